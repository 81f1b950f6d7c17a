"""A key's requests a minute are counted in the database: two server processes share one count, and
requests arriving at the same moment cannot all slip under the limit."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from openkassa.app import create_app
from openkassa.credentials import service
from openkassa.db import Database
from openkassa.errors import TooManyRequests

MOMENT = datetime(2026, 11, 28, 12, 0, 30, tzinfo=UTC)


def test_two_server_processes_share_a_keys_limit(database, owner, point, key, program, settings, monkeypatch):
    # given a limit of 4 requests a minute and two servers, each with its own engine and connections
    monkeypatch.setattr(settings, "api_key_requests_per_minute", 4)
    monkeypatch.setattr(service, "utcnow", lambda: MOMENT)
    other_db = Database(database.url)
    try:
        secret = key("catalog:read")
        first, second = program(secret), program(secret, through=create_app(settings, other_db))
        assert second.client.app.state.db is other_db
        products = f"/api/v1/catalogs/{point['catalog_id']}/products"
        # when the program's requests go to one server and the other in turn
        answers = [(first if n % 2 else second).get(products).status_code for n in range(6)]
        # then the fifth and sixth are refused, whichever server they reach
        assert answers == [200, 200, 200, 200, 429, 429]
    finally:
        other_db.dispose()


def test_requests_at_the_same_moment_cannot_all_slip_under_the_limit(db, owner, key, settings, monkeypatch):
    # given a limit of 5 requests a minute
    monkeypatch.setattr(settings, "api_key_requests_per_minute", 5)
    monkeypatch.setattr(service, "utcnow", lambda: MOMENT)
    secret = key("catalog:read")

    def ask(_n: int) -> str:
        try:
            with db.transaction() as session:
                service.actor_for_key(session, secret=secret, scope="catalog:read")
            return "ok"
        except TooManyRequests:
            return "refused"

    # when 12 requests arrive at once
    with ThreadPoolExecutor(max_workers=6) as pool:
        outcomes = list(pool.map(ask, range(12)))
    # then exactly 5 are served
    assert outcomes.count("ok") == 5 and outcomes.count("refused") == 7
