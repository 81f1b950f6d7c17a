"""Forged requests: a form posted from another site, and the JSON API called with the browser's cookie."""

from __future__ import annotations

import pytest

from support import create_owner

SIGN_UP = {
    "company_name": "ООО «Ромашка»", "name": "Мария", "phone": "+7 900 123-45-67",
    "email": "maria@romashka.ru", "password": "long enough pw",
}


def test_a_sign_up_form_posted_from_another_site_is_refused_and_writes_nothing(browser, mailbox, registered):
    # when another site makes the visitor's browser post the sign-up form (it cannot know the token)
    response = browser.post("/signup", data=SIGN_UP)
    # then it is refused, and nothing is registered or mailed
    assert response.status_code == 403
    assert "The form has expired. Reload the page and try again." in response.text
    assert registered() == (0, 0)
    assert mailbox.messages() == []


def test_a_form_with_a_token_that_is_not_the_cookies_is_refused(browser, registered):
    # given a visitor whose browser holds its own CSRF cookie
    browser.csrf()
    # when a forged form carries a token the attacker made up
    response = browser.post("/signup", data={**SIGN_UP, "csrf_token": "x" * 43})
    # then it is refused
    assert response.status_code == 403
    assert registered() == (0, 0)


def test_a_forged_sign_in_is_refused(db, browser):
    # given an attacker who knows a password and wants to sign the victim's browser into their account
    create_owner(db, email="attacker@shop.ru")
    # when their page posts the sign-in form without the token
    response = browser.post("/login", data={"email": "attacker@shop.ru", "password": "correct horse 1"})
    # then it is refused and no session is opened
    assert response.status_code == 403
    assert "ok_session" not in browser.cookies


@pytest.mark.parametrize(
    ("url", "data"),
    [
        ("/points/new", {"name": "Fake", "address": "x", "inn": "7707083893", "tax_systems": "2", "default_tax_system": "2"}),
        ("/team/invite", {"email": "spy@evil.example", "role": "owner"}),
        ("/plan", {"plan": "extended"}),
        ("/logout", {}),
    ],
)
def test_forged_forms_of_a_signed_in_owner_are_refused_and_change_nothing(owner, mailbox, url, data):
    # given a signed-in owner with no points, no colleagues, on the Standard plan
    mails_before = mailbox.messages()
    # when another site makes their browser post a form without the token
    response = owner.post(url, data=data)
    # then it is refused
    assert response.status_code == 403
    # and nothing changed: no point, no invitation, the same plan, still signed in
    assert "Add your first shop" in owner.get("/points").text
    assert mailbox.messages() == mails_before
    assert "<b>Standard</b>" in owner.get("/plan").text


def test_the_json_api_with_the_session_cookie_needs_the_token_to_change_things(owner, new_point, api):
    # when a page's script creates a point with the cookie but without the X-CSRF-Token header
    refused = owner.post("/api/v1/points", json=new_point())
    # then it is refused with a message naming the header, and no point is made
    assert refused.status_code == 403
    assert "X-CSRF-Token" in refused.json()["error"]["message"]
    assert owner.get("/api/v1/points").json() == []
    # when it sends the header
    created = owner.post("/api/v1/points", json=new_point(), headers=api(owner))
    # then the point is created
    assert created.status_code == 201
    assert [p["name"] for p in owner.get("/api/v1/points").json()] == ["Магазин на Ленина"]


def test_the_json_api_with_the_session_cookie_reads_without_the_token(owner):
    # when a page's script reads with the cookie alone
    response = owner.get("/api/v1/me")
    # then it gets the answer
    assert response.status_code == 200
    assert response.json()["email"] == "owner@shop.ru"


def test_the_json_api_with_http_basic_needs_no_token(owner, new_browser, new_point):
    # given an accounting program that knows the owner's e-mail and password (no cookies at all)
    program = new_browser()
    # when it creates a point with HTTP Basic
    response = program.post("/api/v1/points", json=new_point(), auth=("owner@shop.ru", "correct horse 1"))
    # then the point is created
    assert response.status_code == 201
    assert [p["name"] for p in owner.get("/api/v1/points").json()] == ["Магазин на Ленина"]


def test_http_basic_works_with_a_cyrillic_password(db, new_browser):
    # given an owner whose password is in Russian
    create_owner(db, email="ivan@shop.ru", password="секретный пароль")
    # when their accounting program uses the API with HTTP Basic (UTF-8, RFC 7617)
    response = new_browser().get("/api/v1/me", auth=("ivan@shop.ru", "секретный пароль"))
    # then it gets in
    assert response.status_code == 200
    assert response.json()["email"] == "ivan@shop.ru"
