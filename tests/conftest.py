"""Shared fixtures: a migrated database (SQLite, or PostgreSQL via OPENKASSA_TEST_DATABASE_URL),
the app, web clients that behave like a browser (cookies, CSRF), and the mail outbox."""

from __future__ import annotations

import os
import re
import tempfile
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select, text

_TMP = Path(tempfile.mkdtemp(prefix="openkassa-tests-"))
TEST_DATABASE_URL = os.environ.get("OPENKASSA_TEST_DATABASE_URL") or f"sqlite:///{_TMP / 'test.db'}"
# Services read settings through get_settings(); point them at the test world before any import.
os.environ.update(
    OPENKASSA_DATABASE_URL=TEST_DATABASE_URL,
    OPENKASSA_DATA_DIR=str(_TMP / "var"),
    OPENKASSA_BASE_URL="http://testserver",
    OPENKASSA_RUN_WORKER="false",
    OPENKASSA_ENV="development",
    OPENKASSA_SMTP_HOST="",
)

from fastapi.testclient import TestClient  # noqa: E402

from openkassa.accounts import service as accounts  # noqa: E402
from openkassa.accounts.models import Account, User  # noqa: E402
from openkassa.accounts.schemas import SignUpIn  # noqa: E402
from openkassa.app import create_app  # noqa: E402
from openkassa.config import get_settings  # noqa: E402
from openkassa.db import Base, Database, utcnow  # noqa: E402
from openkassa.jobs.models import OutboxJob  # noqa: E402
from openkassa.schema import load_models, migrate  # noqa: E402

get_settings.cache_clear()
load_models()
LINK = re.compile(r"http://testserver(/\S+)")


@pytest.fixture(scope="session")
def database() -> Database:
    """The test database, migrated once from empty by the real migrations."""
    db = Database(TEST_DATABASE_URL)
    if db.engine.dialect.name == "postgresql":
        with db.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    migrate(TEST_DATABASE_URL)
    yield db
    db.dispose()


@pytest.fixture
def db(database: Database) -> Database:
    """The database, emptied after each test."""
    yield database
    with database.engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())


@pytest.fixture
def settings():
    return get_settings()


@pytest.fixture
def app(db: Database, settings):
    return create_app(settings, db)


class Browser(TestClient):
    """A TestClient that keeps cookies and sends the CSRF token with every form, as our pages do."""

    def csrf(self) -> str:
        if "ok_csrf" not in self.cookies:
            self.get("/login")
        return self.cookies["ok_csrf"]

    def submit(self, url: str, data: dict | None = None, **kwargs):
        """POST a form like the browser would (with the page's CSRF token)."""
        return self.post(url, data={**(data or {}), "csrf_token": self.csrf()}, **kwargs)


@pytest.fixture
def browser(app) -> Browser:
    """An anonymous browser whose interface language is English (stable assertions)."""
    with Browser(app, follow_redirects=False, cookies={"ok_lang": "en"}) as client:
        yield client


@pytest.fixture
def new_browser(app):
    """A factory of separate browsers (two users at once)."""
    opened: list[Browser] = []

    def make(language: str = "en") -> Browser:
        client = Browser(app, follow_redirects=False, cookies={"ok_lang": language})
        client.__enter__()
        opened.append(client)
        return client

    yield make
    for client in opened:
        client.__exit__(None, None, None)


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


@pytest.fixture
def mailbox(db: Database) -> Mailbox:
    return Mailbox(db)


def create_owner(db: Database, *, email: str, password: str = "correct horse 1", plan: str = "start",
                 company: str = "ООО «Тест»") -> uuid.UUID:
    """A confirmed owner with a fresh account, created through the service; returns the account id."""
    with db.transaction() as session:
        user = accounts.sign_up(
            session,
            data=SignUpIn(company_name=company, name="Owner", phone="+79001234567", email=email, password=password),
        )
        user.email_confirmed_at = utcnow()
        session.get_one(Account, user.account_id).plan = plan
        return user.account_id


def sign_in(client: Browser, email: str, password: str = "correct horse 1") -> Browser:
    response = client.submit("/login", {"email": email, "password": password})
    assert response.status_code == 303, response.text
    return client


@pytest.fixture
def owner(db: Database, new_browser) -> Browser:
    """A signed-in owner of a fresh account on the Standard plan (e-mail owner@shop.ru)."""
    create_owner(db, email="owner@shop.ru", plan="standard")
    return sign_in(new_browser(), "owner@shop.ru")


def user_id(db: Database, email: str) -> uuid.UUID:
    with db.transaction() as session:
        return session.scalars(select(User.id).where(User.email == email)).one()
