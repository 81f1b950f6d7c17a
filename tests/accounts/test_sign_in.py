"""Signing in and out: the happy path, wrong passwords, redirects after sign-in, guessing, cookies, logs."""

from __future__ import annotations

import logging

import pytest

from openkassa.config import Settings
from openkassa.jobs import mail
from support import create_owner, sign_in

PASSWORD = "correct horse 1"


@pytest.fixture
def shop(db):
    """A confirmed owner, owner@shop.ru, who has not signed in yet."""
    create_owner(db, email="owner@shop.ru", password=PASSWORD)
    return "owner@shop.ru"


def test_sign_in_opens_the_points(browser, shop):
    # when the owner signs in
    response = browser.submit("/login", {"email": shop, "password": PASSWORD})
    # then they land on the start page, which shows their points
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    assert browser.get("/").headers["location"] == "/points"
    assert browser.get("/points").status_code == 200


def test_sign_in_ignores_the_case_of_the_email(browser, shop):
    # when the owner types their address in capitals
    response = browser.submit("/login", {"email": " Owner@Shop.RU ", "password": PASSWORD})
    # then they are signed in all the same
    assert response.status_code == 303


def test_a_wrong_password_is_refused_with_a_message(browser, shop):
    # when someone signs in with a wrong password
    response = browser.submit("/login", {"email": shop, "password": "wrong password"})
    # then the form says so, keeps the e-mail, and signs nobody in
    assert response.status_code == 401
    assert "Wrong e-mail or password." in response.text
    assert f'value="{shop}"' in response.text
    assert "ok_session" not in browser.cookies


def test_an_unknown_email_gets_the_same_message_as_a_wrong_password(browser, shop):
    # when someone tries an address nobody registered
    response = browser.submit("/login", {"email": "nobody@shop.ru", "password": PASSWORD})
    # then they cannot tell it from a wrong password
    assert response.status_code == 401
    assert "Wrong e-mail or password." in response.text


def test_an_empty_form_marks_the_fields(browser):
    # when someone presses "Sign in" with nothing typed
    response = browser.submit("/login", {"email": "", "password": ""})
    # then both fields are marked
    assert response.status_code == 422
    assert 'id="e-email"' in response.text
    assert 'id="e-password"' in response.text


def test_after_sign_out_the_old_session_cookie_opens_nothing(browser, new_browser, shop):
    # given a signed-in owner whose session cookie was copied (a shared computer, a stolen cookie)
    sign_in(browser, shop)
    stolen = browser.cookies["ok_session"]
    # when the owner signs out
    response = browser.submit("/logout")
    assert response.status_code == 303
    assert response.headers["location"] == "/login"
    # then the copied cookie no longer opens the points: it is sent to sign in first
    thief = new_browser()
    thief.cookies.set("ok_session", stolen)
    response = thief.get("/points")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/points"
    # and neither does the owner's own browser
    assert browser.get("/points").headers["location"] == "/login?next=/points"


def test_sign_in_sends_the_user_back_where_they_were_going(browser, shop):
    # given someone who opened a page before signing in
    response = browser.get("/team")
    assert response.headers["location"] == "/login?next=/team"
    form = browser.get(response.headers["location"])
    assert 'name="next" value="/team"' in form.text
    # when they sign in from that page
    response = browser.submit("/login", {"email": shop, "password": PASSWORD, "next": "/team"})
    # then they are taken back to it
    assert response.status_code == 303
    assert response.headers["location"] == "/team"


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example",
        "//evil.example",
        "//evil.example/points",
        "https:/evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "/\t/evil.example",
        "javascript:alert(1)",
        "evil.example",
    ],
)
def test_sign_in_never_sends_the_user_to_another_site(browser, shop, target):
    # when a link crafted by an attacker carries an external `next`
    response = browser.submit("/login", {"email": shop, "password": PASSWORD, "next": target})
    # then the user is signed in and stays on our site
    assert response.status_code == 303
    location = response.headers["location"]
    assert location.startswith("/")
    assert not location.startswith("//")
    # (a browser reads "/\\" as "//", and drops tabs: both would lead to another host)
    assert "\\" not in location and "\t" not in location


def test_the_eleventh_attempt_after_ten_wrong_passwords_is_refused_even_with_the_right_one(browser, new_browser, shop):
    # given someone who guessed ten wrong passwords for one address
    for attempt in range(10):
        response = browser.submit("/login", {"email": shop, "password": f"guess number {attempt}"})
        assert response.status_code == 401
    # when the eleventh attempt has the right password, even from another browser
    response = new_browser().submit("/login", {"email": shop, "password": PASSWORD})
    # then it is refused with "too many attempts"
    assert response.status_code == 429
    assert "Too many attempts. Try again in 15 min." in response.text
    assert "ok_session" not in response.headers.get("set-cookie", "")


def test_guessing_one_address_does_not_lock_out_another(db, browser, shop):
    # given ten wrong passwords for one address
    create_owner(db, email="other@shop.ru", password=PASSWORD)
    for attempt in range(10):
        browser.submit("/login", {"email": shop, "password": f"guess number {attempt}"})
    # when the owner of another address signs in
    response = browser.submit("/login", {"email": "other@shop.ru", "password": PASSWORD})
    # then they get in
    assert response.status_code == 303


def test_a_successful_sign_in_forgives_earlier_typos(browser, shop):
    # given an owner who mistyped nine times and then got it right
    for attempt in range(9):
        browser.submit("/login", {"email": shop, "password": f"typo {attempt}"})
    sign_in(browser, shop)
    # when they mistype nine more times later
    for attempt in range(9):
        assert browser.submit("/login", {"email": shop, "password": f"typo {attempt}"}).status_code == 401
    # then they can still sign in
    assert browser.submit("/login", {"email": shop, "password": PASSWORD}).status_code == 303


def test_the_session_cookie_cannot_be_read_by_scripts_nor_sent_by_other_sites(browser, shop):
    # when the owner signs in
    response = browser.submit("/login", {"email": shop, "password": PASSWORD})
    # then the session cookie is HttpOnly and SameSite=Lax
    cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith("ok_session="))
    flags = [part.strip().lower() for part in cookie.split(";")]
    assert "httponly" in flags
    assert "samesite=lax" in flags


def test_the_password_never_reaches_the_logs(browser, new_browser, shop, caplog):
    # given every logger listening at DEBUG
    caplog.set_level(logging.DEBUG)
    # when the owner signs in through the form, mistypes once, and uses the API with HTTP Basic
    browser.submit("/login", {"email": shop, "password": "wrong " + PASSWORD})
    browser.submit("/login", {"email": shop, "password": PASSWORD})
    new_browser().get("/api/v1/me", auth=(shop, PASSWORD))
    # then no log record carries the password
    assert caplog.records, "expected some logging at DEBUG"
    assert not [r.name for r in caplog.records if PASSWORD in r.getMessage()]
    assert PASSWORD not in caplog.text


def test_a_password_reset_link_never_reaches_the_logs_of_a_production_server(
    browser, mailbox, shop, caplog, tmp_path
):
    # given a production server with no SMTP host yet (mail kept as files for the admin)
    production = Settings(env="production", secret_key="k" * 40, data_dir=tmp_path, smtp_host="")
    caplog.set_level(logging.DEBUG)
    # when the owner asks for a reset link and the worker delivers the mail
    browser.submit("/password/forgot", {"email": shop})
    link = mailbox.last_link(shop)
    mail.deliver(production, mailbox.messages(shop)[-1])
    # then the link, which is as good as the password, is not in the log
    assert link not in caplog.text
