"""A newcomer's first visit in a real browser: sign up, confirm by mail, add a shop, sign out and in.

Runs Debian's chromium (never a downloaded browser) against the real app served by uvicorn
(the `live_server` and `page` fixtures of conftest.py), with the outbox worker delivering the
confirmation mail as an .eml file.
"""

from __future__ import annotations

import email
import email.policy
import re
import time
from pathlib import Path

import pytest

from support import field

pytestmark = pytest.mark.slow

LINK = re.compile(r"https?://\S+")


def newest_mail_link(outbox: Path, *, timeout: float = 10.0) -> str:
    """Wait for the worker to write a mail into the outbox folder; return the link inside it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        mails = sorted(outbox.glob("*.eml"), key=lambda p: p.stat().st_mtime)
        if mails:
            message = email.message_from_bytes(mails[-1].read_bytes(), policy=email.policy.default)
            return LINK.search(message.get_body(("plain",)).get_content()).group(0)
        time.sleep(0.1)
    raise AssertionError(f"no mail written to {outbox} within {timeout} s")


def test_sign_up_confirm_add_a_point_and_sign_in_again(page, live_server):
    from playwright.sync_api import expect

    _base_url, settings = live_server

    # given a visitor who fills in the sign-up form
    page.goto("/signup")
    field(page, "Company name").fill("ООО «Ромашка»")
    field(page, "Your name").fill("Анна Петрова")
    field(page, "Phone").fill("+7 900 123-45-67")
    field(page, "E-mail").fill("anna@romashka.ru")
    field(page, "Password").fill("long enough pw")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Check your mail")).to_be_visible()
    expect(page.get_by_text("anna@romashka.ru")).to_be_visible()

    # when she opens the link from the mail the worker delivered
    link = newest_mail_link(settings.outbox_dir)
    assert link.startswith(settings.base_url + "/confirm/")
    page.goto(link)
    page.get_by_role("button", name="Confirm the e-mail").click()

    # then she is asked to sign in, and her password opens the empty list of points
    expect(page.get_by_text("Your e-mail is confirmed.")).to_be_visible()
    field(page, "Password").fill("long enough pw")
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/points$"))
    expect(page.get_by_text("Add your first shop")).to_be_visible()

    # when she adds her first point with the default settings
    page.get_by_role("link", name="Add a point").first.click()
    field(page, "Name").fill("Магазин на Тверской")
    field(page, "Address").fill("Москва, ул. Тверская, д. 7")
    field(page, "Seller INN").fill("7707083893")
    page.get_by_role("button", name="Save").click()

    # then the point's page shows the code to enter on the register
    expect(page.get_by_role("heading", name="Магазин на Тверской")).to_be_visible()
    expect(page.locator("#activation-code .code-box")).to_have_text(re.compile(r"^[A-Z0-9]{4}-[A-Z0-9]{4}$"))

    # when she signs out
    page.locator(".user-menu summary").click()
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()

    # and signs in again with her e-mail and password
    field(page, "E-mail").fill("anna@romashka.ru")
    field(page, "Password").fill("long enough pw")
    page.get_by_role("button", name="Sign in").click()

    # then she is back at her points, with the new one listed
    expect(page).to_have_url(re.compile(r"/points$"))
    expect(page.get_by_role("link", name="Магазин на Тверской")).to_be_visible()
