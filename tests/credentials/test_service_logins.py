"""Service logins as an owner and the programs that use them meet them: made on the Integrations page
with a password shown once, accepted for their purpose only, refused once revoked or rotated, slowed
down after wrong passwords, and not made on a plan without integrations."""

from __future__ import annotations

import re

import pytest

from openkassa.credentials import service
from openkassa.errors import TooManyRequests
from support import create_owner, sign_in

LOGIN = re.compile(r'id="new-login">(svc-[0-9a-f]{12})<')
PASSWORD = re.compile(r'id="new-password-secret">([A-Za-z0-9_-]{43})<')


def _made(page) -> tuple[str, str]:
    assert page.status_code in (200, 201), page.text
    return LOGIN.search(page.text).group(1), PASSWORD.search(page.text).group(1)


def _signs_in(db, login: str, password: str, purpose: str):
    with db.transaction() as session:
        return service.authenticate_service_login(session, login=login, password=password, purpose=purpose)


def _login_id(owner, login: str) -> str:
    row = owner.get("/integrations").text.split(login)[1]
    return re.search(r"/integrations/logins/([0-9a-f-]{36})/", row).group(1)


def test_a_service_login_signs_in_a_program_for_its_purpose_only(db, owner):
    # given a service login the owner made for the 1C exchange
    login, password = _made(owner.submit("/integrations/logins", {"purpose": "one_c"}))
    # when the 1C exchange signs in with it
    actor = _signs_in(db, login, password, "one_c")
    # then it acts for the owner's account, with the exchange's rights but not the team's
    assert actor is not None and actor.company_name == "ООО «Тест»"
    assert "catalog:write" in actor.scopes and not actor.can("manage_users")
    # and the same login is no good for the online shop, nor with a wrong password
    assert _signs_in(db, login, password, "online_shop") is None
    assert _signs_in(db, login, password + "x", "one_c") is None
    assert _signs_in(db, "svc-000000000000", password, "one_c") is None


def test_the_password_is_shown_once_and_the_list_says_when_it_was_used(db, owner):
    # given a service login for the online shop
    login, password = _made(owner.submit("/integrations/logins", {"purpose": "online_shop"}))
    page = owner.get("/integrations").text
    assert login in page and password not in page and "Never" in page
    # when the shop signs in with it
    assert _signs_in(db, login, password, "online_shop") is not None
    # then the list says it was used
    assert "Never" not in owner.get("/integrations").text


def test_a_revoked_service_login_no_longer_signs_in(db, owner):
    # given a working service login
    login, password = _made(owner.submit("/integrations/logins", {"purpose": "one_c"}))
    # when the owner revokes it
    assert owner.submit(f"/integrations/logins/{_login_id(owner, login)}/revoke").status_code == 303
    # then the program is refused
    assert _signs_in(db, login, password, "one_c") is None
    assert "Revoked" in owner.get("/integrations").text


def test_a_new_password_replaces_the_old_one_at_once(db, owner):
    # given a working service login
    login, old = _made(owner.submit("/integrations/logins", {"purpose": "one_c"}))
    # when the owner makes it a new password
    same_login, new = _made(owner.submit(f"/integrations/logins/{_login_id(owner, login)}/rotate"))
    # then the login stays, the old password is refused and the new one works
    assert same_login == login and new != old
    assert _signs_in(db, login, old, "one_c") is None
    assert _signs_in(db, login, new, "one_c") is not None


def test_wrong_passwords_are_slowed_down_like_sign_ins(db, owner):
    # given a service login
    login, password = _made(owner.submit("/integrations/logins", {"purpose": "one_c"}))
    # when a stranger tries ten wrong passwords
    for n in range(service.SERVICE_LOGIN_LIMIT):
        assert _signs_in(db, login, f"guess {n}", "one_c") is None
    # then the next try is refused for a while, even with the right password
    with pytest.raises(TooManyRequests):
        _signs_in(db, login, password, "one_c")


def test_a_starter_plan_cannot_make_service_logins(db, new_browser):
    # given an owner on the Starter plan
    create_owner(db, email="small@shop.ru", plan="start")
    small = sign_in(new_browser(), "small@shop.ru")
    # when she tries to make a service login
    response = small.submit("/integrations/logins", {"purpose": "online_shop"})
    # then no password is shown, and she is told her plan does not include it
    assert response.status_code == 303 and not PASSWORD.search(response.text)
    page = small.get("/integrations").text
    assert "does not include online-shop documents" in page
    assert "Your plan does not include integrations" in page


def test_another_account_cannot_revoke_a_service_login(db, owner, new_browser):
    # given the owner's service login and another shop's owner
    login, password = _made(owner.submit("/integrations/logins", {"purpose": "one_c"}))
    create_owner(db, email="other@shop.ru", plan="standard", company="ООО «Другой»")
    other = sign_in(new_browser(), "other@shop.ru")
    # when the other owner tries to revoke it
    response = other.submit(f"/integrations/logins/{_login_id(owner, login)}/revoke")
    # then it is not found and the login still works
    assert response.status_code == 404
    assert _signs_in(db, login, password, "one_c") is not None
