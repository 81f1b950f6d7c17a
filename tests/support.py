"""Helpers for tests: a browser-like client, the mailbox, accounts made through the services, and
what the real-browser tests need (Debian's chromium, its fields by label)."""

from __future__ import annotations

import os
import re
import shutil
import uuid

import pytest

from fastapi.testclient import TestClient
from sqlalchemy import select

from openkassa.accounts import service as accounts
from openkassa.accounts.models import Account, User
from openkassa.accounts.schemas import SignUpIn
from openkassa.db import Database, utcnow
from openkassa.jobs.models import OutboxJob

LINK = re.compile(r"http://testserver(/\S+)")


class Browser(TestClient):
    """A TestClient that keeps cookies and sends the CSRF token with every form, as our pages do."""

    def csrf(self) -> str:
        if "ok_csrf" not in self.cookies:
            self.get("/login")
        return self.cookies["ok_csrf"]

    def submit(self, url: str, data: dict | None = None, **kwargs):
        """POST a form like the browser would (with the page's CSRF token)."""
        return self.post(url, data={**(data or {}), "csrf_token": self.csrf()}, **kwargs)


class Api:
    """A signed-in browser calling the JSON API as our pages' scripts do (CSRF token in a header)."""

    def __init__(self, browser: Browser):
        self.browser = browser

    def get(self, url: str, **params):
        return self.browser.get(url, params=params or None)

    def send(self, method: str, url: str, json=None):
        return self.browser.request(method, url, json=json, headers={"X-CSRF-Token": self.browser.csrf()})

    def send_text(self, method: str, url: str, text: str):
        """Send JSON as written, numbers spelled exactly (json= would pass them through a Python float)."""
        return self.browser.request(method, url, content=text.encode(), headers={
            "X-CSRF-Token": self.browser.csrf(), "Content-Type": "application/json"})

    def post(self, url: str, json=None):
        return self.send("POST", url, json)

    def put(self, url: str, json=None):
        return self.send("PUT", url, json)

    def patch(self, url: str, json=None):
        return self.send("PATCH", url, json)

    def delete(self, url: str):
        return self.send("DELETE", url)


class Mailbox:
    """The outbox as a user's mail: what was sent to whom, and the links inside."""

    def __init__(self, db: Database):
        self.db = db

    def messages(self, to: str | None = None) -> list[dict]:
        with self.db.transaction() as session:
            jobs = session.scalars(
                select(OutboxJob).where(OutboxJob.kind == "email").order_by(OutboxJob.created_at, OutboxJob.id)
            ).all()
            return [j.payload for j in jobs if to is None or j.payload["to"] == to]

    def last_link(self, to: str) -> str:
        """The path of the link in the newest mail to `to`."""
        messages = self.messages(to)
        assert messages, f"no mail to {to}"
        return LINK.search(messages[-1]["text"]).group(1)


def create_owner(db: Database, *, email: str, password: str = "correct horse 1", plan: str = "start",
                 company: str = "ООО «Тест»") -> uuid.UUID:
    """A confirmed owner with a fresh account, created through the service; returns the account id."""
    with db.transaction(immediate=True) as session:
        user = accounts.sign_up(
            session,
            data=SignUpIn(company_name=company, name="Owner", phone="+79001234567", email=email, password=password),
            ip=f"test-{email}",
        )
        user.email_confirmed_at = utcnow()
        session.get_one(Account, user.account_id).plan = plan
        return user.account_id


def sign_in(client: Browser, email: str, password: str = "correct horse 1") -> Browser:
    response = client.submit("/login", {"email": email, "password": password})
    assert response.status_code == 303, response.text
    return client


def user_id(db: Database, email: str) -> uuid.UUID:
    with db.transaction() as session:
        return session.scalars(select(User.id).where(User.email == email)).one()


# --- a real browser (the slow tests; the `live_server` and `page` fixtures are in conftest.py) ---------

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str:
    """Debian's chromium on PATH; skipped on a developer's machine without it, a failure in CI."""
    path = shutil.which("chromium")
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed: apt-get install chromium")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    return path


def field(page, label: str):
    """The form field labelled `label` (a required field's label ends with a " *" mark)."""
    return page.get_by_label(re.compile(rf"^{re.escape(label)}( \*)?$"))


class Register:
    """A cash register app: activates with a code, then calls the device API with its token."""

    def __init__(self, client):
        self.client = client
        self.token: str | None = None

    def activate(self, code: str, *, name: str = "Касса 1", app_version: str = "1.4.2", serial: str = "SN-0001"):
        response = self.client.post(
            "/api/device/v1/activate",
            json={"code": code, "device": {"name": name, "app_version": app_version, "serial": serial}},
        )
        if response.status_code == 201:
            self.token = response.json()["token"]
        return response

    def me(self, token: str | None = None):
        return self.client.get("/api/device/v1/me", headers={"Authorization": f"Bearer {token or self.token}"})


def point_json(**overrides) -> dict:
    """A complete, valid point as the JSON API takes it."""
    data = {
        "name": "Магазин на Ленина",
        "address": "г. Казань, ул. Ленина, д. 1",
        "inn": "7707083893",
        "timezone": "Europe/Moscow",
        "tax_systems": [2],
        "default_tax_system": 2,
    }
    return {**data, **overrides}
