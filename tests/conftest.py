"""Shared fixtures: a migrated database (SQLite, or PostgreSQL via OPENKASSA_TEST_DATABASE_URL),
the app, web clients that behave like a browser (cookies, CSRF), the mail outbox, and for the slow
tests the app served by uvicorn with a headless chromium page."""

from __future__ import annotations

import os
import socket
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher
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

from openkassa import passwords  # noqa: E402
from openkassa.accounts.models import User  # noqa: E402
from openkassa.accounts.service import actor_of  # noqa: E402
from openkassa.app import create_app  # noqa: E402
from openkassa.catalog.schemas import ProductIn  # noqa: E402
from openkassa.catalog.service import create_product  # noqa: E402
from openkassa.config import Settings, get_settings  # noqa: E402
from openkassa.db import Base, Database  # noqa: E402
from openkassa.schema import load_models, migrate  # noqa: E402
from support import CHROMIUM_ARGS, Api, Browser, Mailbox, Register, chromium_path, create_owner, point_json, sign_in  # noqa: E402

get_settings.cache_clear()
load_models()


@pytest.fixture(autouse=True)
def quick_password_hashing(monkeypatch):
    """Argon2 at its smallest cost: the same rules, but ten wrong passwords take milliseconds."""
    monkeypatch.setattr(passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


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


@pytest.fixture
def add_products(db):
    """Put products (name, price in kopecks[, barcode]) into a point's catalog, as its owner would."""

    def add(point: dict, *products: tuple, email: str = "owner@shop.ru") -> None:
        with db.transaction() as session:
            owner = session.scalars(select(User.id).where(User.email == email)).one()
            actor = actor_of(session, user_id=owner)
            for name, price, *barcodes in products:
                create_product(session, actor, uuid.UUID(point["catalog_id"]), ProductIn(name=name, price=price, barcodes=barcodes))

    return add


@pytest.fixture
def mailbox(db: Database) -> Mailbox:
    return Mailbox(db)


@pytest.fixture
def owner(db: Database, new_browser) -> Browser:
    """A signed-in owner of a fresh account on the Standard plan (e-mail owner@shop.ru)."""
    create_owner(db, email="owner@shop.ru", plan="standard")
    return sign_in(new_browser(), "owner@shop.ru")


@pytest.fixture(name="point_json")
def point_json_fixture():
    """Build a valid point's JSON with some fields overridden."""
    return point_json


@pytest.fixture
def api(owner) -> Api:
    """The owner's JSON API."""
    return Api(owner)


@pytest.fixture
def api_of():
    """Wrap any signed-in browser as a JSON API client."""
    return Api


@pytest.fixture
def new_point(api):
    """Create a point of the owner through the JSON API; returns its JSON."""

    def make(**overrides) -> dict:
        response = api.post("/api/v1/points", json=point_json(**overrides))
        assert response.status_code == 201, response.text
        return response.json()

    return make


@pytest.fixture
def point(new_point) -> dict:
    """A point of the owner with the defaults of `point_json`."""
    return new_point()


@pytest.fixture
def register(new_browser) -> Register:
    """A register not yet bound to any point (its own client, no cookies of the owner)."""
    return Register(new_browser())


@pytest.fixture
def new_register(new_browser):
    """A factory of further registers (each its own client)."""
    return lambda: Register(new_browser())


@pytest.fixture
def fresh_code(api):
    """Ask the back office for a new activation code of a point; returns the code."""

    def issue(point_id) -> str:
        response = api.post(f"/api/v1/points/{point_id}/activation-code")
        assert response.status_code == 201, response.text
        return response.json()["code"]

    return issue


@pytest.fixture
def bound_register(point, register, fresh_code) -> Register:
    """A register bound to `point`."""
    response = register.activate(fresh_code(point["id"]))
    assert response.status_code == 201, response.text
    return register


@pytest.fixture
def stranger(db, new_browser) -> Api:
    """The signed-in owner of another account (stranger@other.ru), as a JSON API client."""
    create_owner(db, email="stranger@other.ru", plan="standard", company="ООО «Чужие»")
    return Api(sign_in(new_browser(), "stranger@other.ru"))


@pytest.fixture
def live_server(db: Database, tmp_path: Path, monkeypatch) -> Iterator[tuple[str, Settings]]:
    """The real app with its worker, served by uvicorn on a free port of 127.0.0.1."""
    import uvicorn

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    # Services build links from get_settings(); make it agree with the app's settings.
    monkeypatch.setenv("OPENKASSA_BASE_URL", base_url)
    monkeypatch.setenv("OPENKASSA_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("OPENKASSA_SMTP_HOST", "")
    monkeypatch.setenv("OPENKASSA_RUN_WORKER", "true")
    get_settings.cache_clear()
    settings = get_settings()
    assert settings.run_worker and not settings.smtp_host and settings.base_url == base_url
    server = uvicorn.Server(uvicorn.Config(create_app(settings, db), log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="live-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    try:
        yield base_url, settings
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()
        get_settings.cache_clear()


@pytest.fixture
def page(live_server):
    """A fresh headless chromium page whose interface language is English."""
    from playwright.sync_api import sync_playwright

    executable = chromium_path()
    base_url, _settings = live_server
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(base_url=base_url)
        context.add_cookies([{"name": "ok_lang", "value": "en", "url": base_url}])
        context.set_default_timeout(10_000)
        try:
            yield context.new_page()
        finally:
            context.close()
            browser.close()
