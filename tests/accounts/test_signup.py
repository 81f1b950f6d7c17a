"""Signing up and confirming the e-mail: what a newcomer sees, and what a careless or hostile one gets."""

from __future__ import annotations

import pytest

from support import create_owner

SIGN_UP = {
    "company_name": "ООО «Ромашка»",
    "name": "Мария",
    "phone": "+7 900 123-45-67",
    "email": "maria@romashka.ru",
    "password": "long enough pw",
}


def test_sign_up_sends_one_confirmation_mail_with_a_link(browser, mailbox):
    # when a visitor fills in the sign-up form
    response = browser.submit("/signup", SIGN_UP)
    # then they are told to check their mail
    assert response.status_code == 200
    assert "We have sent a confirmation link to maria@romashka.ru" in response.text
    # and exactly one mail with a confirmation link reaches them
    mails = mailbox.messages()
    assert [m["to"] for m in mails] == ["maria@romashka.ru"]
    assert mailbox.last_link("maria@romashka.ru").startswith("/confirm/")


def test_sign_up_with_a_registered_email_in_other_case_is_refused_on_the_email_field(db, browser, mailbox, registered):
    # given someone already registered as maria@romashka.ru
    create_owner(db, email="maria@romashka.ru")
    before, mails_before = registered(), mailbox.messages()
    # when another visitor signs up with the same address in capitals
    response = browser.submit("/signup", {**SIGN_UP, "email": "Maria@Romashka.RU"})
    # then the form comes back saying the address is taken, next to the e-mail field
    assert response.status_code == 409
    assert 'id="e-email"' in response.text
    assert "This e-mail is already registered" in response.text
    # and nobody new is registered, nobody is mailed
    assert registered() == before
    assert mailbox.messages() == mails_before


@pytest.mark.parametrize(
    ("field", "typed", "message"),
    [
        ("company_name", "", "Required."),
        ("company_name", "   ", "Required."),
        ("name", "Я" * 121, "At most 120 characters."),
        ("phone", "abc", "Enter a phone number such as +7 900 123-45-67."),
        ("phone", "123", "Enter a phone number such as +7 900 123-45-67."),
        ("email", "maria-at-romashka.ru", "Enter a valid e-mail address."),
        ("email", "maria@", "Enter a valid e-mail address."),
        ("password", "short", "At least 8 characters."),
        ("password", " leading space", "The password must not start or end with a space."),
    ],
)
def test_a_bad_field_comes_back_marked_with_the_rest_kept_and_nothing_written(
    browser, mailbox, registered, field, typed, message
):
    # when a visitor sends the form with one bad field
    response = browser.submit("/signup", {**SIGN_UP, field: typed})
    # then the form comes back as unprocessable, with the message next to that field
    assert response.status_code == 422
    assert f'<p class="error" id="e-{field}">{message}</p>' in response.text
    # and what they typed in the other fields is still there (but never the password)
    for other, value in SIGN_UP.items():
        if other not in (field, "password"):
            assert f'value="{value}"' in response.text, other
    assert SIGN_UP["password"] not in response.text
    # and nothing is registered, nothing is mailed
    assert registered() == (0, 0)
    assert mailbox.messages() == []


def test_a_form_with_an_unexpected_field_is_refused_and_writes_nothing(browser, mailbox, registered):
    # when a hostile visitor adds a field of their own (trying to choose a role or a plan)
    response = browser.submit("/signup", {**SIGN_UP, "plan": "extended"})
    # then the form is refused and nothing is written
    assert response.status_code == 422
    assert registered() == (0, 0)
    assert mailbox.messages() == []


# --- confirmation ----------------------------------------------------------------------


def test_before_confirming_sign_in_is_refused_with_a_way_to_get_the_link_again(browser):
    # given a visitor who signed up but did not open the mail
    browser.submit("/signup", SIGN_UP)
    # when they try to sign in with the right password
    response = browser.submit("/login", {"email": "maria@romashka.ru", "password": SIGN_UP["password"]})
    # then they are told to confirm the address first, and offered to get the link again
    assert response.status_code == 403
    assert "Confirm your e-mail first" in response.text
    assert "Send the confirmation link again" in response.text
    assert "ok_session" not in browser.cookies


def test_send_again_mails_a_new_link_and_the_old_one_stops_working(browser, mailbox):
    # given a visitor who signed up and lost the first mail
    browser.submit("/signup", SIGN_UP)
    old_link = mailbox.last_link("maria@romashka.ru")
    # when they press "send again" on the sign-in page
    response = browser.submit("/confirm/resend", {"email": "maria@romashka.ru"})
    # then a second mail with a new link arrives
    assert response.status_code == 200
    assert "We have sent a confirmation link to maria@romashka.ru" in response.text
    assert len(mailbox.messages("maria@romashka.ru")) == 2
    new_link = mailbox.last_link("maria@romashka.ru")
    assert new_link != old_link
    # and the old link no longer works, while the new one does
    assert browser.get(old_link).status_code == 404
    assert browser.get(new_link).status_code == 200
    assert browser.submit(new_link).status_code == 303


def test_send_again_says_the_same_for_an_unknown_address_and_mails_nothing(browser, mailbox):
    # when someone asks to resend a link to an address nobody registered
    response = browser.submit("/confirm/resend", {"email": "nobody@romashka.ru"})
    # then the page looks as for a registered one, and no mail goes out
    assert response.status_code == 200
    assert "We have sent a confirmation link to nobody@romashka.ru" in response.text
    assert mailbox.messages() == []


def test_opening_the_link_only_asks_to_confirm(browser, mailbox):
    # given a visitor who signed up
    browser.submit("/signup", SIGN_UP)
    link = mailbox.last_link("maria@romashka.ru")
    # when the link is opened (by the person, or by a mail scanner that follows links)
    page = browser.get(link)
    # then it shows a button and spends nothing: the link still works afterwards
    assert page.status_code == 200
    assert "Confirm the e-mail" in page.text
    assert browser.get(link).status_code == 200


def test_the_button_confirms_and_the_person_signs_in(browser, mailbox):
    # given a visitor who signed up and opened the link
    browser.submit("/signup", SIGN_UP)
    link = mailbox.last_link("maria@romashka.ru")
    # when they press the button
    response = browser.submit(link)
    # then they are asked to sign in, with their address filled in and a word of welcome
    assert response.status_code == 303
    page = browser.get(response.headers["location"])
    assert "Your e-mail is confirmed. Sign in with your password." in page.text
    assert 'value="maria@romashka.ru"' in page.text
    # and the password now opens their points
    response = browser.submit("/login", {"email": "maria@romashka.ru", "password": SIGN_UP["password"]})
    assert response.status_code == 303
    assert "maria@romashka.ru" in browser.get("/points").text


def test_a_used_link_shows_a_clear_not_found_page(new_browser, mailbox):
    # given a visitor who confirmed their address
    browser = new_browser()
    browser.submit("/signup", SIGN_UP)
    link = mailbox.last_link("maria@romashka.ru")
    browser.submit(link)
    # when the same link is opened again (a forwarded mail, a second click)
    response = new_browser().get(link)
    # then it says the link is no longer valid, and signs nobody in
    assert response.status_code == 404
    assert "This link has expired or was already used" in response.text
    assert "ok_session" not in response.headers.get("set-cookie", "")


@pytest.mark.parametrize("token", ["bogus", "A" * 43])
def test_a_bogus_link_shows_a_clear_not_found_page(browser, token):
    # when someone guesses a confirmation link
    response = browser.get(f"/confirm/{token}")
    # then they get a not-found page that says why
    assert response.status_code == 404
    assert "This link has expired or was already used" in response.text
    assert "ok_session" not in browser.cookies


def test_send_again_cannot_flood_someones_mailbox(browser, mailbox):
    # given a visitor who signed up
    browser.submit("/signup", SIGN_UP)
    # when someone presses "send again" over and over
    answers = [browser.submit("/confirm/resend", {"email": "maria@romashka.ru"}).status_code for _ in range(6)]
    # then after five mails in an hour they are told to wait, and no more mail goes out
    assert answers == [200, 200, 200, 200, 200, 429]
    assert len(mailbox.messages("maria@romashka.ru")) == 1 + 5
    assert "Too many attempts" in browser.submit("/confirm/resend", {"email": "maria@romashka.ru"}).text


def test_markup_typed_into_the_form_is_shown_as_text(browser, mailbox):
    # given a visitor who types markup as their company and name
    script = "<script>alert(1)</script>"
    browser.submit("/signup", {**SIGN_UP, "company_name": script, "name": script})
    # when they confirm, sign in and open their back office
    browser.submit(mailbox.last_link("maria@romashka.ru"))
    browser.submit("/login", {"email": "maria@romashka.ru", "password": SIGN_UP["password"]})
    page = browser.get("/points")
    # then it is shown as text, never run
    assert script not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text


def test_a_crafted_next_on_the_sign_in_page_is_shown_as_text(browser):
    # when a link to the sign-in page carries markup in `next`
    page = browser.get("/login", params={"next": '"><script>alert(1)</script>'})
    # then the page does not run it
    assert page.status_code == 200
    assert "<script>alert(1)</script>" not in page.text
