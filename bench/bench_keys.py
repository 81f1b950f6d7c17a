"""BENCH: what an API key costs a request — finding the key, counting the request in its minute (the
rate limit, in the database so every process shares it) and checking its scope — against the browser's
session cookie, on SQLite (issue: public REST API keys; target: key auth + limit under 2 ms a request).

A fresh SQLite database gets an owner on the Standard plan with a point, its catalog of a few
products and groups, a browser session and an API key. Then, in the same run:

- the small GET `/api/v1/catalogs/{id}/groups` is asked N times through the whole app (Starlette's
  TestClient, in process) with the key and N times with the session cookie (the baseline), in turn;
- the services alone: `credentials.service.actor_for_key` (its own committed write transaction with
  the counting UPDATE, then the account read) and `accounts.service.actor_for_session` (one read),
  each in a request's transaction, against the floor: the same UPDATE … RETURNING in BEGIN IMMEDIATE …
  COMMIT by bare sqlite3.

The key's path writes on every request (the counter), the cookie's only reads; the difference per
request is the price of a limit every process shares.

Run: `.venv/bin/python bench/bench_keys.py [--requests N]`.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=2000)
    n = parser.parse_args().requests
    folder = Path(tempfile.mkdtemp(prefix="openkassa-bench-keys-"))
    url = f"sqlite:///{folder / 'bench.db'}"
    os.environ.update(OPENKASSA_DATABASE_URL=url, OPENKASSA_DATA_DIR=str(folder), OPENKASSA_ENV="development",
                      OPENKASSA_RUN_WORKER="false", OPENKASSA_API_KEY_REQUESTS_PER_MINUTE=str(10**9))

    from fastapi.testclient import TestClient

    from openkassa.accounts import service as accounts
    from openkassa.accounts.models import Account
    from openkassa.accounts.schemas import SignUpIn
    from openkassa.app import create_app
    from openkassa.catalog.schemas import GroupIn, ProductIn
    from openkassa.catalog.service import create_group, create_product
    from openkassa.config import get_settings
    from openkassa.credentials import service as credentials
    from openkassa.credentials.schemas import ApiKeyIn
    from openkassa.db import Database, utcnow
    from openkassa.ids import secret_hash
    from openkassa.points.schemas import NewPointIn
    from openkassa.points.service import create_point
    from openkassa.schema import migrate

    get_settings.cache_clear()
    migrate(url)
    db = Database(url)
    with db.transaction(immediate=True) as session:
        user = accounts.sign_up(session, ip="bench", data=SignUpIn(
            company_name="ООО «Бенч»", name="Owner", phone="+79001234567", email="bench@shop.ru",
            password="correct horse 1"))
        user.email_confirmed_at = utcnow()
        session.get_one(Account, user.account_id).plan = "standard"
        session.flush()
        actor = accounts.actor_of(session, user_id=user.id)
        point = create_point(session, actor, data=NewPointIn(
            name="Магазин", address="г. Казань, ул. Ленина, д. 1", inn="7707083893", timezone="Europe/Moscow",
            tax_systems=[2], default_tax_system=2))
        for name in ("Молоко", "Хлеб", "Напитки"):
            create_group(session, actor, point.catalog_id, GroupIn(name=name))
        for n_product in range(20):
            create_product(session, actor, point.catalog_id, ProductIn(name=f"Товар {n_product}", price=1000))
        cookie = accounts.start_session(session, user=user)
        key = credentials.create_key(session, actor, data=ApiKeyIn(name="Бенч", scopes=["catalog:read"])).secret
        catalog_id = point.catalog_id

    app = create_app(get_settings(), db)
    path = f"/api/v1/catalogs/{catalog_id}/groups"

    def rates(client: TestClient, kinds: dict[str, dict]) -> dict[str, float]:
        """Requests a second of each kind, asked in turn (one of each, N times), so a burst of outside
        load falls on both alike."""
        spent = dict.fromkeys(kinds, 0.0)
        for round_ in range(n + 50):
            for kind, headers in kinds.items():
                started = time.perf_counter()
                response = client.get(path, headers=headers)
                if round_ >= 50:  # the first 50 warm up
                    spent[kind] += time.perf_counter() - started
                assert response.status_code == 200, response.text
        return {kind: n / seconds for kind, seconds in spent.items()}

    with TestClient(app) as client:
        measured = rates(client, {"key": {"Authorization": f"Bearer {key}"}, "cookie": {"Cookie": f"ok_session={cookie}"}})
    by_key, by_cookie = measured["key"], measured["cookie"]

    def per_call(check) -> float:
        started = time.perf_counter()
        for _ in range(n):
            with db.transaction() as session:
                check(session)
        return (time.perf_counter() - started) / n * 1000

    key_ms = per_call(lambda s: credentials.actor_for_key(s, secret=key, scope="catalog:read"))
    session_ms = per_call(lambda s: accounts.actor_for_session(s, token=cookie))
    raw_ms = raw_count(folder / "bench.db", secret_hash(key), n)

    print(f"BENCH api_key_get_rate {by_key:.0f} req/s baseline={by_cookie:.0f} ratio={by_key / by_cookie:.2f}")
    print(f"BENCH api_key_get_time {1000 / by_key:.2f} ms baseline={1000 / by_cookie:.2f} "
          f"ratio={by_cookie / by_key:.2f}")
    print(f"BENCH api_key_auth_and_limit {key_ms:.3f} ms baseline={raw_ms:.3f} ratio={key_ms / raw_ms:.2f}")
    print(f"BENCH session_cookie_auth {session_ms:.3f} ms baseline={raw_ms:.3f} ratio={session_ms / raw_ms:.2f}")
    db.dispose()


def raw_count(path: Path, key_hash: str, n: int) -> float:
    """The floor of counting in the database: the same UPDATE … RETURNING in its own BEGIN IMMEDIATE …
    COMMIT by bare sqlite3 with our pragmas, ms each."""
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA synchronous=NORMAL")
    started = time.perf_counter()
    for _ in range(n):
        connection.execute("BEGIN IMMEDIATE")
        connection.execute(
            "UPDATE api_keys SET window_requests = window_requests + 1, last_used_at = last_used_at "
            "WHERE secret_hash = ? AND revoked_at IS NULL RETURNING id, account_id, created_by, name, scopes, "
            "window_requests", (key_hash,)).fetchall()
        connection.execute("COMMIT")
    elapsed = (time.perf_counter() - started) / n * 1000
    connection.close()
    return elapsed


if __name__ == "__main__":
    main()
