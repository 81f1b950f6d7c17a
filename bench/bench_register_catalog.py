"""BENCH: the register's local catalog (issue "Register app and device sync") takes a first sync of a whole
catalog quickly and answers the cashier at once.

- a first sync's stream (`protocol.changes` lines, made in memory beforehand as the client would have
  parsed them) applied by `LocalCatalog.apply`; baseline: the same lines' rows (products and barcodes)
  written by a raw `executemany` into bare tables in one transaction, with the same pragmas;
- `by_barcode` p50 and p95 over random barcodes of the catalog; baseline: a primary-key (rowid)
  lookup of a bare table of the same rows;
- `search` p95 for what a cashier types first (two or three letters of a word, and two words);
  baseline: the search index's own MATCH of the same words for as many rowids as the search needs
  to know whether it can sort the matches by name (`SORTED_UP_TO` + 1), no products read;
- with `--http`, the whole first sync as the register does it: `ServerClient.pull` from a real server
  (uvicorn in a process of its own, as on another machine, SQLite) into an empty catalog (targets:
  50,000 products ≤ 5 s, 1,000,000 ≤ 90 s); baseline: the same stream read and parsed only.

Run: `.venv/bin/python bench/bench_register_catalog.py [--products N] [--http]`.
"""

from __future__ import annotations

import argparse
import gc
import multiprocessing
import os
import random
import socket
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

from bench_catalog_queries import BRANDS, WORDS

SEARCHES = ["мо", "мол", "ке", "кеф", "пр", "про", "ба", "бат", "шо", "шок", "ёл", "ел", "мол пр", "сы ма", "вк"]


def ean13(n: int) -> str:
    body = f"47{n:010d}"
    total = sum(int(digit) * (3 if position % 2 else 1) for position, digit in enumerate(body))
    return body + str((10 - total % 10) % 10)


def stream(count: int, revision: int = 1_000) -> list:
    """A first sync's lines for a catalog of `count` products with a barcode each, as the client yields them
    (made before the clock starts: a million take ~2 GB)."""
    return list(_lines(count, revision))


def _lines(count: int, revision: int):
    from openkassa.protocol.changes import (
        Begin, CashierLine, End, GroupLine, HotKey, HotKeysLine, PointLine, ProductLine,
    )

    chance = random.Random(4)
    catalog_id = uuid.uuid4()
    groups = [GroupLine.model_construct(type="group", id=uuid.uuid4(), parent_id=None, name=word, revision=1)
              for word in WORDS]
    yield Begin(since=0, revision=revision)
    yield PointLine.model_construct(
        type="point", id=uuid.uuid4(), catalog_id=catalog_id, name="Магазин", address="", inn="7707083893",
        timezone="Europe/Moscow", tax_systems=[1], default_tax_system=1, rounding=0, receipt_header="",
        receipt_footer="", carry_over_cash=False, allow_deferred_receipts=False, allow_price_change=False,
        allow_return_without_receipt=False, allow_free_price_sale=False, pay_bonus_card=False,
        pay_gift_certificate=False, pay_advance=False, allow_partial_payment=False, allow_credit=False, revision=1)
    products = [uuid.uuid4() for _ in range(min(count, 40))]
    yield HotKeysLine(keys=[HotKey(position=n, product_id=product_id) for n, product_id in enumerate(products)])
    for n in range(5):
        yield CashierLine.model_construct(
            type="cashier", id=uuid.uuid4(), name=f"Кассир {n}", inn="", pin_hash="$argon2id$", can_return=True,
            can_discount=True, can_change_price=False, can_cash_drawer=True, can_close_shift=True, active=True,
            revision=1)
    yield from groups
    for n in range(count):
        word = chance.randrange(len(WORDS))
        yield ProductLine.model_construct(
            type="product", id=products[n] if n < len(products) else uuid.uuid4(), group_id=groups[word].id,
            name=f"{WORDS[word]} {chance.choice(BRANDS)} {chance.randint(1, 999)} г арт. {n}", short_name="",
            article=f"A{n}", code=f"C{n:07d}", barcodes=[ean13(n)], price=chance.randint(100, 100_000),
            min_price=0, cost_price=0, vat=1, unit=0, kind=1, by_weight=False, free_price=False, archived=False,
            from_register=False, revision=1)
    yield End(revision=revision, lines=1 + 1 + 5 + len(groups) + count)


def bare_load(path: Path, lines: list) -> float:
    """The floor: the same lines' rows written by a raw executemany into bare tables."""
    from openkassa.protocol.changes import ProductLine

    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode = WAL")
    connection.execute("PRAGMA synchronous = NORMAL")
    connection.execute("CREATE TABLE products (id BLOB, group_id BLOB, name TEXT, short_name TEXT, article TEXT, code TEXT,"
                       " price INT, min_price INT, cost_price INT, vat INT, unit INT, kind INT, by_weight INT,"
                       " free_price INT, archived INT, from_register INT)")
    connection.execute("CREATE TABLE barcodes (code TEXT, product_key INT)")
    started = time.perf_counter()
    connection.execute("BEGIN")
    batch: list[ProductLine] = []

    def write() -> None:
        connection.executemany(f"INSERT INTO products VALUES ({', '.join('?' * 16)})", [
            (line.id.bytes, line.group_id.bytes, line.name, line.short_name, line.article, line.code, line.price,
             line.min_price, line.cost_price, line.vat, line.unit, line.kind, line.by_weight, line.free_price,
             line.archived, line.from_register) for line in batch])
        connection.executemany("INSERT INTO barcodes VALUES (?, ?)", [(code, 0) for line in batch for code in line.barcodes])
        batch.clear()

    for line in lines:
        if line.type == "product":
            batch.append(line)
            if len(batch) == 5_000:
                write()
    write()
    connection.execute("COMMIT")
    seconds = time.perf_counter() - started
    connection.close()
    return seconds


def timings(action, inputs) -> list[float]:
    for value in inputs[:20]:
        action(value)
    times = []
    for value in inputs:
        started = time.perf_counter()
        action(value)
        times.append(time.perf_counter() - started)
    return times


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


def line(name: str, value: float, unit: str, baseline: float, extra: str = "") -> None:
    print(f"BENCH {name} {value:.3g} {unit} baseline={baseline:.3g} {unit} ratio={value / baseline:.1f}{extra}", flush=True)


def in_memory(folder: Path, count: int) -> None:
    from openkassa.register.catalog import SORTED_UP_TO, LocalCatalog

    lines = stream(count)
    gc.freeze()  # the lines live to the end: the collector need not walk them again and again
    floor = bare_load(folder / "bare.db", lines)
    with LocalCatalog.open(folder / "catalog.db") as catalog:
        started = time.perf_counter()
        assert catalog.apply(lines)
        applied = time.perf_counter() - started
        del lines
        line(f"register_first_sync_apply_{count}", applied, "s", floor,
             f" ({count / applied:,.0f} products/s; file {os.path.getsize(folder / 'catalog.db') / 2**20:,.0f} MiB)")

        chance = random.Random(7)
        codes = [ean13(chance.randrange(count)) for _ in range(10_000)]
        assert catalog.by_barcode(codes[0]) is not None
        found = timings(catalog.by_barcode, codes)
        bare = sqlite3.connect(folder / "bare.db")
        keys = [chance.randrange(1, count + 1) for _ in range(10_000)]
        floor = timings(lambda key: bare.execute("SELECT * FROM products WHERE rowid = ?", (key,)).fetchone(), keys)
        bare.close()
        line(f"register_by_barcode_p50_{count}", statistics.median(found) * 1e6, "µs", statistics.median(floor) * 1e6)
        line(f"register_by_barcode_p95_{count}", p95(found) * 1e6, "µs", p95(floor) * 1e6)

        searches = SEARCHES * 20
        assert all(catalog.search(text) for text in SEARCHES), [text for text in SEARCHES if not catalog.search(text)]
        found = timings(catalog.search, searches)
        index = sqlite3.connect(folder / "catalog.db")
        floor = timings(lambda text: index.execute(
            "SELECT rowid FROM product_words WHERE product_words MATCH ? LIMIT ?",
            (" ".join(f'"{word}"*' for word in text.replace("ё", "е").split()), SORTED_UP_TO + 1)).fetchall(), searches)
        index.close()
        line(f"register_search_p95_{count}", p95(found) * 1000, "ms", p95(floor) * 1000,
             f" (median {statistics.median(found) * 1000:.2f} ms; {', '.join(SEARCHES)})")


def listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def serve(url: str, folder: str, port: int) -> None:
    """The server, in a process of its own: in this one, it and the register would take turns at the GIL."""
    import uvicorn

    from openkassa.app import create_app
    from openkassa.config import Settings
    from openkassa.db import Database

    settings = Settings(database_url=url, data_dir=folder, env="development", run_worker=False)
    uvicorn.run(create_app(settings, Database(url)), host="127.0.0.1", port=port, log_level="warning")


def over_http(folder: Path, count: int) -> None:
    """The whole first sync from a real server, against the same stream read and parsed only."""
    from sqlalchemy import select

    from bench_catalog_queries import fill, fresh_database
    from openkassa.accounts.models import User
    from openkassa.accounts.service import actor_of
    from openkassa.points import service as points
    from openkassa.points.models import RetailPoint
    from openkassa.register.catalog import LocalCatalog
    from openkassa.register.client import ServerClient

    url = f"sqlite:///{folder / 'server.db'}"
    db = fresh_database(url)
    with db.transaction() as session:
        actor = actor_of(session, user_id=session.scalars(select(User.id).where(User.email == "bench@example.com")).one())
        point = session.scalars(select(RetailPoint).where(RetailPoint.account_id == actor.account_id)
                                .order_by(RetailPoint.name)).first()
        code = points.new_activation_code(session, actor, point_id=point.id).code
        catalog_id = point.catalog_id
    fill(db, catalog_id, actor.account_id, count)
    db.dispose()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = multiprocessing.get_context("spawn").Process(target=serve, args=(url, str(folder), port), daemon=True)
    server.start()
    while not listening(port):
        time.sleep(0.1)
    with ServerClient(f"http://127.0.0.1:{port}") as client:
        client.activate(code, name="Bench")
        for _ in client.changes(0):  # once to warm the server's cache: the first read would lose
            pass
        started = time.perf_counter()
        for _ in client.changes(0):
            pass
        floor = time.perf_counter() - started
        with LocalCatalog.open(folder / "pulled.db") as catalog:
            started = time.perf_counter()
            client.pull(catalog)
            pulled = time.perf_counter() - started
            assert len(catalog.search(f"C{count - 1:07d}")) == 1
    line(f"register_first_sync_http_sqlite_{count}", pulled, "s", floor)
    server.terminate()


def main() -> None:
    arguments = argparse.ArgumentParser()
    arguments.add_argument("--products", type=int, default=1_000_000)
    arguments.add_argument("--http", action="store_true", help="also pull the whole catalog from a real server")
    options = arguments.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-register-"))
    os.environ.update(OPENKASSA_DATA_DIR=str(folder), OPENKASSA_ENV="development")
    in_memory(folder, options.products)
    if options.http:
        over_http(folder, options.products)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    main()
