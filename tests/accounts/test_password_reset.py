"""Forgetting the password: asking for a link, choosing a new password, and the link's limits."""

from __future__ import annotations

import pytest

from support import create_owner, sign_in

OLD, NEW = "correct horse 1", "battery staple 2"


@pytest.fixture
def shop(db):
    """A confirmed owner, owner@shop.ru, with the password OLD."""
    create_owner(db, email="owner@shop.ru", password=OLD)
    return "owner@shop.ru"


def _page_without(text: str, email: str) -> str:
    return text.replace(email, "<e-mail>")


def test_an_unknown_email_gets_the_same_answer_and_no_mail(browser, mailbox, shop):
    # given the answer for a registered address
    known = browser.submit("/password/forgot", {"email": shop})
    mailbox_after_known = mailbox.messages()
    # when someone asks for a link for an address nobody registered
    unknown = browser.submit("/password/forgot", {"email": "nobody@shop.ru"})
    # then the page reads exactly the same (it does not tell who is registered)
    assert unknown.status_code == known.status_code == 200
    assert "a link to choose a new password is on its way" in unknown.text
    assert _page_without(unknown.text, "nobody@shop.ru") == _page_without(known.text, shop)
    # and no mail goes out for the unknown address
    assert mailbox.messages() == mailbox_after_known
    assert mailbox.messages("nobody@shop.ru") == []


def test_the_link_sets_a_new_password_and_the_old_one_stops_working(browser, new_browser, mailbox, shop):
    # given an owner who asked for a reset link
    browser.submit("/password/forgot", {"email": shop})
    link = mailbox.last_link(shop)
    assert link.startswith("/password/reset/")
    # when they open it and choose a new password
    form = browser.get(link)
    assert form.status_code == 200
    assert "New password" in form.text
    response = browser.submit(link, {"password": NEW})
    # then they are signed in with the new password set
    assert response.status_code == 303
    assert response.headers["location"] == "/points"
    assert "Your new password is set." in browser.get("/points").text
    # and later the new password works, the old one does not
    assert new_browser().submit("/login", {"email": shop, "password": NEW}).status_code == 303
    refused = new_browser().submit("/login", {"email": shop, "password": OLD})
    assert refused.status_code == 401
    assert "Wrong e-mail or password." in refused.text


def test_a_new_password_signs_out_every_other_browser(browser, new_browser, mailbox, shop):
    # given the owner signed in on another computer (or someone who knew the old password)
    elsewhere = sign_in(new_browser(), shop, OLD)
    # when the owner resets the password
    browser.submit("/password/forgot", {"email": shop})
    browser.submit(mailbox.last_link(shop), {"password": NEW})
    # then the other browser is signed out
    assert elsewhere.get("/points").headers["location"] == "/login?next=/points"


def test_the_link_works_once(browser, new_browser, mailbox, shop):
    # given an owner who already used a reset link
    browser.submit("/password/forgot", {"email": shop})
    link = mailbox.last_link(shop)
    browser.submit(link, {"password": NEW})
    # when the link is opened again (someone reading the mail later)
    other = new_browser()
    page = other.get(link)
    attempt = other.submit(link, {"password": "attacker chosen pw"})
    # then it shows a clear not-found page, and the password stays the owner's
    assert page.status_code == 404
    assert "This link has expired or was already used" in page.text
    assert attempt.status_code == 404
    assert new_browser().submit("/login", {"email": shop, "password": NEW}).status_code == 303


def test_a_newer_link_retires_the_older_one(browser, mailbox, shop):
    # given an owner who asked for a link twice
    browser.submit("/password/forgot", {"email": shop})
    first = mailbox.last_link(shop)
    browser.submit("/password/forgot", {"email": shop})
    # when they open the first mail
    response = browser.get(first)
    # then that link no longer works
    assert response.status_code == 404


def test_a_too_short_password_comes_back_marked_and_the_link_still_works(browser, new_browser, mailbox, shop):
    # given an owner on the reset form
    browser.submit("/password/forgot", {"email": shop})
    link = mailbox.last_link(shop)
    # when they type a password that is too short
    response = browser.submit(link, {"password": "short"})
    # then the form comes back with the message next to the field
    assert response.status_code == 422
    assert '<p class="error" id="e-password">At least 8 characters.</p>' in response.text
    # and the old password still works, and the link can still be used
    assert new_browser().submit("/login", {"email": shop, "password": OLD}).status_code == 303
    assert browser.submit(link, {"password": NEW}).status_code == 303


def test_a_bogus_reset_link_is_not_found(browser, shop):
    # when someone guesses a reset link
    response = browser.get("/password/reset/guessed-token")
    # then they get a not-found page that says why
    assert response.status_code == 404
    assert "This link has expired or was already used" in response.text


def test_an_invitation_link_does_not_open_the_password_form(owner, new_browser, mailbox):
    # given an invitation link mailed to a colleague
    owner.submit("/team/invite", {"email": "anna@shop.ru", "role": "manager"})
    token = mailbox.last_link("anna@shop.ru").removeprefix("/invite/")
    # when it is pasted into the password reset address
    response = new_browser().get(f"/password/reset/{token}")
    # then it is not a reset link: not found, as it would be on saving
    assert response.status_code == 404
