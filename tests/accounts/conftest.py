"""Fixtures of the accounts tests: owners on a given plan, colleagues who joined by invitation,
and the few facts a user can check (how many people and companies are registered)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from openkassa.accounts.models import Account, User
from support import Browser, create_owner, sign_in

PASSWORD = "correct horse 1"


@pytest.fixture
def new_point():
    """What a user types to add a retail point (JSON for the API; `as_form=True` for the HTML form)."""

    def make(name: str = "Магазин на Ленина", *, as_form: bool = False) -> dict:
        data = {"name": name, "address": "Москва, ул. Ленина, 1", "inn": "7707083893",
                "timezone": "Europe/Moscow", "tax_systems": [2], "default_tax_system": 2}
        if as_form:
            data.update(tax_systems="2", default_tax_system="2", catalog="new", rounding="0")
        return data

    return make


@pytest.fixture
def api():
    """The headers a page's script sends with a JSON call made with the session cookie."""

    def headers(browser: Browser) -> dict[str, str]:
        return {"X-CSRF-Token": browser.csrf()}

    return headers


@pytest.fixture
def starter_owner(db, new_browser) -> Browser:
    """A signed-in owner of a fresh account on the Starter plan (e-mail starter@shop.ru)."""
    create_owner(db, email="starter@shop.ru", plan="start")
    return sign_in(new_browser(), "starter@shop.ru")


@pytest.fixture
def join_team(owner, mailbox, new_browser):
    """Invite a colleague through the owner's team page; returns their browser, signed in by accepting."""

    def join(email: str, role: str) -> Browser:
        response = owner.submit("/team/invite", {"email": email, "role": role})
        assert response.status_code == 303, response.text
        colleague = new_browser()
        accepted = {"name": email.split("@")[0].title(), "phone": "+7 900 765-43-21", "password": PASSWORD}
        response = colleague.submit(mailbox.last_link(email), accepted)
        assert response.status_code == 303, response.text
        return colleague

    return join


@pytest.fixture
def registered(db):
    """How many people and companies are registered: what a refused form must leave unchanged."""

    def count() -> tuple[int, int]:
        with db.transaction() as session:
            return (
                session.scalar(select(func.count()).select_from(User)),
                session.scalar(select(func.count()).select_from(Account)),
            )

    return count
