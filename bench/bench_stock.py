"""BENCH: stock accounting stays quick (issue 7): an inventory count of 50,000 lines posts in ≤ 5 s, and
a page of a warehouse's balances over a catalog of 1,000,000 products answers in ≤ 200 ms.

Two figures, each on a fresh database holding the demo account (no sales history), its first point's
stock accounting switched on:

- `count`: a catalog of 50,000 products (bulk inserts), half of them received first through the
  service (one receipt of goods, posted), then an inventory count of every product: its draft made by
  `service.create_document` and posted by `service.post_document`, each timed in its own
  transaction, commit included. Baseline: the same 50,000 movement rows and 50,000 balance rows
  written again by a bare `executemany` (an INSERT into the ledger and an UPDATE of the balances by
  their key), commit included.
- `balances`: a catalog of `--products` products (1,000,000) with balances made in bulk: ~65 % in
  stock, 0.2 % below zero, 0.3 % with a minimum (half of those below it), the rest never moved. Each
  page is `service.list_balances` as the balances page asks it — the first page, a page deep in the
  alphabet (by cursor), a search, each filter — run 20 times after a warm-up; p50 and p95. Baseline: a
  bare SELECT of one page of 50 balance rows by their primary key.

Run: `.venv/bin/python bench/bench_stock.py [--figure count|balances|both] [--products N] [--lines N]
[--profile] [--url postgresql+psycopg://…]`.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path


def fresh(url: str):
    """A migrated database (a PostgreSQL one loses its schema first) with the demo account and no sales
    history; returns the `Database`, the owner's actor's ids, and the first point's (id, catalog id)."""
    from sqlalchemy import select

    from bench_catalog_queries import empty_database
    from openkassa import demo
    from openkassa.points.models import RetailPoint

    db = empty_database(url)
    demo.create(db, email="bench@example.com", password="bench-password", days=0)
    with db.transaction() as session:
        point = session.scalars(select(RetailPoint).order_by(RetailPoint.created_at, RetailPoint.id)).first()
        return db, point.account_id, point.id, point.catalog_id


def owner(session, account_id):
    from openkassa.accounts.service import owner_actor

    return owner_actor(session, account_id=account_id)


def analyze(db, url: str) -> None:
    from sqlalchemy import text

    if url.startswith("postgresql"):
        with db.engine.begin() as connection:
            connection.execute(text("ANALYZE"))


def catalog_goods(db, catalog_id) -> list[uuid.UUID]:
    """The catalog's goods (kept in stock), by name."""
    from sqlalchemy import select

    from openkassa.catalog.models import Product
    from openkassa.fiscal.enums import ItemType

    with db.transaction() as session:
        return list(session.scalars(select(Product.id).where(Product.catalog_id == catalog_id, Product.kind == ItemType.GOODS)
                                    .order_by(Product.name, Product.id)))


def timed(action) -> tuple[float, object]:
    start = time.perf_counter()
    result = action()
    return time.perf_counter() - start, result


def profiled(action, profile: bool):
    """Run `action`, printing its 25 costliest functions (by cumulative time) when asked."""
    if not profile:
        return action()
    profiler = cProfile.Profile()
    result = profiler.runcall(action)
    pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_stats(25)
    return result


# --- an inventory count of 50,000 lines ------------------------------------------------------------------


def bench_count(url: str, lines: int, profile: bool) -> list[str]:
    from sqlalchemy import bindparam, insert, select, update

    from bench_catalog_queries import fill
    from openkassa.stock import service
    from openkassa.stock.models import Balance, Movement
    from openkassa.stock.schemas import DocumentIn, LineIn

    db, account_id, point_id, catalog_id = fresh(url)
    started = time.perf_counter()
    fill(db, catalog_id, account_id, lines)
    analyze(db, url)
    products = catalog_goods(db, catalog_id)[:lines]
    assert len(products) == lines, len(products)
    with db.transaction(immediate=True) as session:
        warehouse_id = service.enable_stock(session, owner(session, account_id), point_id=point_id).id
    chance = random.Random(7)
    received = DocumentIn(kind="receipt", warehouse_id=warehouse_id, lines=[
        LineIn(product_id=product, quantity=chance.randint(1, 50) * 1000, price=chance.randint(100, 50_000))
        for product in products[::2]])

    def receive():
        with db.transaction(immediate=True) as session:
            actor = owner(session, account_id)
            service.post_document(session, actor, service.create_document(session, actor, received).id)

    receipt_seconds, _ = timed(receive)
    print(f"filled {lines} products and received {len(received.lines)} in {time.perf_counter() - started:.1f} s "
          f"(the receipt made and posted in {receipt_seconds:.2f} s)", file=sys.stderr)

    # the count: every product, most as on the books or near, some never received
    counted = DocumentIn(kind="count", warehouse_id=warehouse_id, lines=[
        LineIn(product_id=product, quantity=chance.choice((0, 1, 2, 5, 10, 20, 50)) * 1000) for product in products])

    def create():
        with db.transaction(immediate=True) as session:
            return service.create_document(session, owner(session, account_id), counted).id

    def post():
        with db.transaction(immediate=True) as session:
            return service.post_document(session, owner(session, account_id), document_id).status

    create_seconds, document_id = timed(lambda: profiled(create, profile))
    post_seconds, status = timed(lambda: profiled(post, profile))
    assert status == "posted", status

    # the floor: the same movements and balances written again by a bare executemany
    with db.transaction() as session:
        movements = [dict(row._mapping) for row in session.execute(
            select(Movement.__table__).where(Movement.document_id == document_id))]
        balances = [{"w": row.warehouse_id, "p": row.product_id, "q": row.quantity, "v": row.value, "c": row.unit_cost,
                     "t": row.updated_at} for row in session.execute(
            select(Balance.__table__).where(Balance.warehouse_id == warehouse_id))]
    for movement in movements:
        del movement["id"]
    table = Balance.__table__
    start = time.perf_counter()
    with db.transaction(immediate=True) as session:
        connection = session.connection()
        connection.execute(insert(Movement.__table__), movements)
        connection.execute(update(table).where(table.c.warehouse_id == bindparam("w"), table.c.product_id == bindparam("p"))
                           .values(quantity=bindparam("q"), value=bindparam("v"), unit_cost=bindparam("c"),
                                   updated_at=bindparam("t")), balances)
    floor = time.perf_counter() - start
    db.dispose()
    engine = "postgresql" if url.startswith("postgresql") else "sqlite"
    print(f"count of {lines} lines: {len(movements)} movements, {len(balances)} balances", file=sys.stderr)
    return [
        f"BENCH stock_count_post_{engine}_{lines} {post_seconds:.2f} s baseline={floor:.2f} ratio={post_seconds / floor:.1f}",
        f"BENCH stock_count_create_{engine}_{lines} {create_seconds:.2f} s baseline={floor:.2f} "
        f"ratio={create_seconds / floor:.1f}",
    ]


# --- the balances page over 1,000,000 products -----------------------------------------------------------


def bench_balances(url: str, count: int, profile: bool) -> list[str]:
    from sqlalchemy import insert, select, text

    from bench_catalog_queries import fill
    from openkassa.catalog import service as catalog_service
    from openkassa.catalog.models import Product
    from openkassa.db import utcnow
    from openkassa.stock import service
    from openkassa.stock.models import Balance

    db, account_id, point_id, catalog_id = fresh(url)
    started = time.perf_counter()
    fill(db, catalog_id, account_id, count)
    print(f"filled {count} products in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    with db.transaction(immediate=True) as session:
        warehouse_id = service.enable_stock(session, owner(session, account_id), point_id=point_id).id
    started = time.perf_counter()
    chance = random.Random(11)
    now = utcnow()
    made = {"in_stock": 0, "negative": 0, "low": 0}
    with db.transaction() as session:
        ids = list(session.scalars(select(Product.id).where(Product.catalog_id == catalog_id)))
    chance.shuffle(ids)
    rows = []
    for product_id in ids:
        draw = chance.random()
        if draw < 0.002:
            quantity = -chance.randint(1, 20) * 1000
            made["negative"] += 1
        elif draw < 0.652:
            quantity = chance.randint(1, 200) * 1000
            made["in_stock"] += 1
        else:
            continue
        minimum = 0
        if chance.random() < 0.003 / 0.652:
            minimum = quantity + 5000 if chance.random() < 0.5 else max(quantity - 5000, 1000)
            made["low"] += quantity < minimum
        unit_cost = chance.randint(100, 50_000)
        rows.append({"warehouse_id": warehouse_id, "product_id": product_id, "account_id": account_id, "quantity": quantity,
                     "value": unit_cost * quantity // 1000, "unit_cost": unit_cost, "minimum": minimum, "updated_at": now})
    rows.sort(key=lambda row: str(row["product_id"]))
    for first in range(0, len(rows), 50_000):
        with db.transaction() as session:
            session.execute(insert(Balance.__table__), rows[first:first + 50_000])
    analyze(db, url)
    print(f"made {len(rows)} balances in {time.perf_counter() - started:.0f} s: {made}", file=sys.stderr)

    with db.transaction() as session:  # the cursor of a page at 90 % of the alphabet, as the page before it writes it
        name, last_id = session.execute(select(Product.name, Product.id).where(Product.catalog_id == catalog_id)
                                        .order_by(Product.name, Product.id).offset(count * 9 // 10).limit(1)).one()
    deep = catalog_service._write_cursor(name, last_id)
    cases = {
        "first_page": {},
        "deep_page": {"cursor": deep},
        "search": {"search_text": "молоко прост"},
        "in_stock": {"only": "in_stock"},
        "in_stock_deep": {"only": "in_stock", "cursor": deep},
        "negative": {"only": "negative"},
        "low": {"only": "low"},
    }
    engine = "postgresql" if url.startswith("postgresql") else "sqlite"
    results = []
    with db.snapshot() as session:
        actor = owner(session, account_id)
        key = warehouse_id.hex if engine == "sqlite" else warehouse_id
        bare = text("SELECT * FROM stock_balances WHERE warehouse_id = :w ORDER BY product_id LIMIT 50")
        assert len(session.execute(bare, {"w": key}).all()) == 50
        floor = percentiles(lambda: session.execute(bare, {"w": key}).all())
        for name, asked in cases.items():
            page = service.list_balances(session, actor, warehouse_id=warehouse_id, **asked)
            shown = len(page.rows)
            if profile:
                profiled(lambda: service.list_balances(session, actor, warehouse_id=warehouse_id, **asked), True)
            p50, p95 = percentiles(lambda: service.list_balances(session, actor, warehouse_id=warehouse_id, **asked))
            print(f"{name}: {shown} rows, p50 {p50:.1f} ms, p95 {p95:.1f} ms", file=sys.stderr)
            results.append(f"BENCH stock_balances_{name}_p95_{engine}_{count} {p95:.1f} ms baseline={floor[1]:.2f} "
                           f"ratio={p95 / floor[1]:.0f} (p50 {p50:.1f} ms, baseline p50 {floor[0]:.2f} ms, {shown} rows)")
    db.dispose()
    return results


def percentiles(action, runs: int = 20) -> tuple[float, float]:
    """p50 and p95 (nearest rank) of `runs` runs after a warm-up, in milliseconds."""
    action()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[max(0, -(-95 * runs // 100) - 1)]


def main() -> None:
    arguments = argparse.ArgumentParser()
    arguments.add_argument("--figure", choices=("count", "balances", "both"), default="both")
    arguments.add_argument("--lines", type=int, default=50_000, help="lines of the inventory count")
    arguments.add_argument("--products", type=int, default=1_000_000, help="products of the balances' catalog")
    arguments.add_argument("--profile", action="store_true", help="print where the time goes (cProfile)")
    arguments.add_argument("--url")
    options = arguments.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-stock-"))
    os.environ.update(OPENKASSA_DATA_DIR=str(folder), OPENKASSA_ENV="development", OPENKASSA_RUN_WORKER="false")
    if options.figure in ("count", "both"):
        print(*bench_count(options.url or f"sqlite:///{folder / 'count.db'}", options.lines, options.profile), sep="\n", flush=True)
    if options.figure in ("balances", "both"):
        print(*bench_balances(options.url or f"sqlite:///{folder / 'balances.db'}", options.products, options.profile),
              sep="\n", flush=True)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    main()
