"""BENCH: a catalog of a million products stays quick (issue 4): barcode lookup ≤ 2 ms, the first page of a
name search ≤ 50 ms, a catalog list page served ≤ 100 ms.

The catalog is filled with bulk inserts (names from a shop's vocabulary, one EAN-13 each). Each figure
is the median of repeated runs through the real code path — `service.find_by_barcode`,
`service.list_products(search_text=…)`, and GET /products through the ASGI app with a signed-in owner —
against a baseline measured in the same run on the same database: the bare SQL a hand-written query
would need (a primary-key lookup, a search-index match with LIMIT, an index-ordered first page).

Run: `.venv/bin/python bench/bench_catalog_queries.py [--products N] [--url postgresql+psycopg://…]`.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

WORDS = ["Молоко", "Кефир", "Сыр", "Хлеб", "Батон", "Масло", "Йогурт", "Творог", "Сок", "Вода", "Чай", "Кофе",
         "Печенье", "Шоколад", "Конфеты", "Макароны", "Рис", "Гречка", "Сахар", "Соль", "Колбаса", "Сосиски"]
BRANDS = ["Простоквашино", "Домик в деревне", "Вкуснотеево", "Агуша", "Фруктовый сад", "Бабаевский", "Макфа",
          "Мистраль", "Черкизово", "Останкино", "Greenfield", "Jacobs", "Alpen Gold", "Barilla", "Ёлочка"]


def ean13(n: int) -> str:
    from openkassa.catalog.barcodes import check_digit

    body = f"47{n:010d}"
    return body + str(check_digit(body))


def empty_database(url: str):
    """The bench's database emptied (a PostgreSQL one loses its schema) and migrated; returns its `Database`."""
    from sqlalchemy import text

    from openkassa.db import Database
    from openkassa.schema import migrate

    if url.startswith("postgresql"):
        empty = Database(url)
        with empty.engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        empty.dispose()
    migrate(url)
    return Database(url)


def fresh_database(url: str):
    """The bench's database, emptied and migrated, with the demo account; returns its `Database`."""
    from openkassa import demo

    db = empty_database(url)
    demo.create(db, email="bench@example.com", password="bench-password")
    return db


def fill(db, catalog_id: uuid.UUID, account_id: uuid.UUID, count: int) -> None:
    from openkassa.catalog.models import Barcode, Product, new_search_key
    from openkassa.ids import new_id

    chance = random.Random(4)
    batch = 20_000
    for start in range(0, count, batch):
        products, codes = [], []
        for n in range(start, min(start + batch, count)):
            product_id = new_id()
            name = f"{chance.choice(WORDS)} {chance.choice(BRANDS)} {chance.randint(1, 999)} г арт. {n}"
            products.append({"id": product_id, "account_id": account_id, "catalog_id": catalog_id, "name": name,
                             "code": f"C{n:07d}", "price": chance.randint(100, 100_000), "search_key": new_search_key(),
                             "revision": 1})
            codes.append({"catalog_id": catalog_id, "code": ean13(n), "product_id": product_id})
        with db.transaction() as session:
            session.execute(Product.__table__.insert(), products)
            session.execute(Barcode.__table__.insert(), codes)


def median_ms(action, runs: int = 30) -> float:
    action()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    arguments = argparse.ArgumentParser()
    arguments.add_argument("--products", type=int, default=1_000_000)
    arguments.add_argument("--url")
    options = arguments.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-catalog-"))
    url = options.url or f"sqlite:///{folder / 'bench.db'}"
    os.environ.update(OPENKASSA_DATABASE_URL=url, OPENKASSA_DATA_DIR=str(folder), OPENKASSA_ENV="development",
                      OPENKASSA_RUN_WORKER="false", OPENKASSA_BASE_URL="http://testserver")
    from sqlalchemy import select, text

    from openkassa.accounts.models import Account
    from openkassa.accounts.service import owner_actor
    from openkassa.app import create_app
    from openkassa.catalog import search, service
    from openkassa.config import get_settings
    from openkassa.points.models import RetailPoint

    db = fresh_database(url)
    with db.transaction() as session:
        account_id = session.scalars(select(Account.id)).first()
        actor = owner_actor(session, account_id=account_id)
        point = session.scalars(select(RetailPoint).where(RetailPoint.account_id == account_id).order_by(RetailPoint.created_at)).first()
        point_id, catalog_id = point.id, point.catalog_id
    started = time.perf_counter()
    fill(db, catalog_id, account_id, options.products)
    if url.startswith("postgresql"):
        with db.engine.begin() as connection:
            connection.execute(text("ANALYZE"))
    print(f"filled {options.products} products in {time.perf_counter() - started:.0f} s", file=sys.stderr)

    code = ean13(options.products // 2)
    with db.transaction() as session:
        lookup = median_ms(lambda: service.find_by_barcode(session, actor, catalog_id, code))
        raw_lookup = median_ms(lambda: session.execute(
            text("SELECT product_id FROM product_barcodes WHERE catalog_id = :c AND code = :code"),
            {"c": catalog_id.hex if url.startswith("sqlite") else catalog_id, "code": code}).all())
        found = median_ms(lambda: service.list_products(session, actor, catalog_id, search_text="молоко прост"))
        if url.startswith("sqlite"):
            raw_search = median_ms(lambda: session.execute(text(
                "SELECT rowid FROM products_fts WHERE products_fts MATCH '\"молоко\"* AND \"прост\"*' LIMIT 50")).all())
        else:
            raw_search = median_ms(lambda: session.execute(text(  # the expression the GIN index holds
                f"SELECT id FROM products WHERE {search.POSTGRESQL_DOCUMENT} @@ to_tsquery('simple', 'молоко:* & прост:*')"
                " LIMIT 50")).all())
        raw_page = median_ms(lambda: session.execute(
            text("SELECT * FROM products WHERE catalog_id = :c ORDER BY name, id LIMIT 50"),
            {"c": catalog_id.hex if url.startswith("sqlite") else catalog_id}).all())

    from fastapi.testclient import TestClient

    with TestClient(create_app(get_settings(), db), follow_redirects=False) as client:
        page = client.get("/login")
        token = client.cookies.get("ok_csrf")
        response = client.post("/login", data={"email": "bench@example.com", "password": "bench-password", "csrf_token": token})
        assert response.status_code in (302, 303), response.status_code
        served = median_ms(lambda: client.get("/products", params={"point": str(point_id)}).raise_for_status(), runs=20)
        assert page.status_code == 200
    db.dispose()
    kind = "postgresql" if url.startswith("postgresql") else "sqlite"
    n = options.products
    print(f"BENCH catalog_barcode_lookup_{kind}_{n} {lookup:.2f} ms baseline={raw_lookup:.2f} ratio={lookup / raw_lookup:.1f}")
    print(f"BENCH catalog_name_search_first_page_{kind}_{n} {found:.2f} ms baseline={raw_search:.2f} ratio={found / raw_search:.1f}")
    print(f"BENCH catalog_list_page_served_{kind}_{n} {served:.2f} ms baseline={raw_page:.2f} ratio={served / raw_page:.1f}")


if __name__ == "__main__":
    main()
