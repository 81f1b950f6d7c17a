"""BENCH: exporting a catalog of a million products to .xlsx in ≤ 60 s, in memory that does not grow with
the catalog (issue 4).

A fresh SQLite database gets two catalogs filled as `bench_catalog_queries` fills one (names from a
shop's vocabulary, one EAN-13 each), of N/10 and N products, spread over a two-level group tree.
Each is exported end to end through `catalog.exports.write`, exactly as the export page runs it, in
a child process of its own, which prints the seconds and its peak memory (ru_maxrss): the peaks of
the two lines show whether memory grows with the row count.

Baseline, measured in the same run on the same database: the reading and writing any export of these
rows does, without our code's work: the same cells read by one bare sqlite3 SELECT in name order
(barcodes by a subquery, group names by a join) and written with `csv.writer`.

Run: `.venv/bin/python bench/bench_catalog_export.py [--products N]`.
"""

from __future__ import annotations

import argparse
import csv
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from bench_catalog_queries import fill, fresh_database

GROUPS = {"Молочные продукты": ["Молоко", "Сыры", "Йогурты"], "Бакалея": ["Крупы", "Макароны", "Сахар и соль"],
          "Напитки": ["Вода", "Соки", "Чай и кофе"], "Кондитерские изделия": ["Печенье", "Шоколад", "Конфеты"]}


def prepare(folder: Path, counts: list[int]) -> tuple[str, list[uuid.UUID]]:
    """A fresh database with one catalog per count, filled; returns its URL and the catalogs' ids."""
    url = f"sqlite:///{folder / 'bench.db'}"
    os.environ.update(OPENKASSA_DATABASE_URL=url, OPENKASSA_DATA_DIR=str(folder), OPENKASSA_ENV="development")
    from sqlalchemy import select, text

    from openkassa.accounts.models import Account
    from openkassa.accounts.service import owner_actor
    from openkassa.catalog.schemas import GroupIn
    from openkassa.catalog.service import create_catalog, create_group

    db = fresh_database(url)
    catalog_ids = []
    for count in counts:
        with db.transaction() as session:
            account_id = session.scalars(select(Account.id)).first()
            actor = owner_actor(session, account_id=account_id)
            catalog_id = create_catalog(session, actor, name=f"Bench {count}").id
            leaves = [create_group(session, actor, catalog_id, GroupIn(name=child, parent_id=parent.id)).id
                      for parent in (create_group(session, actor, catalog_id, GroupIn(name=name)) for name in GROUPS)
                      for child in GROUPS[parent.name]]
        fill(db, catalog_id, account_id, count)
        with db.transaction() as session:
            # Each product in one of the twelve leaf groups by its row number; one in thirteen in none.
            for index, group_id in enumerate(leaves):
                session.execute(
                    text("UPDATE products SET group_id = :group WHERE catalog_id = :catalog AND rowid % 13 = :index"),
                    {"group": group_id.hex, "catalog": catalog_id.hex, "index": index})
        catalog_ids.append(catalog_id)
    db.dispose()
    return url, catalog_ids


def export_once(url: str, catalog_id: str, path: Path) -> None:
    """In a child process: the export to `path`; prints the seconds and the peak memory in MB."""
    os.environ.update(OPENKASSA_DATABASE_URL=url, OPENKASSA_DATA_DIR=str(path.parent), OPENKASSA_ENV="development")
    from sqlalchemy import select

    from openkassa.accounts.models import Account
    from openkassa.accounts.service import owner_actor
    from openkassa.catalog import exports
    from openkassa.db import Database

    db = Database(url)
    with db.transaction() as session:
        actor = owner_actor(session, account_id=session.scalars(select(Account.id)).first())
    start = time.perf_counter()
    with db.transaction() as session, path.open("wb") as out:
        exports.write(session, actor, uuid.UUID(catalog_id), "xlsx", out)
    elapsed = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{elapsed:.3f} {peak:.0f}")


def child(url: str, catalog_id: uuid.UUID, path: Path) -> tuple[float, float]:
    out = subprocess.run([sys.executable, __file__, "--child", url, str(catalog_id), str(path)],
                         check=True, capture_output=True, text=True)
    seconds, megabytes = out.stdout.split()[-2:]
    return float(seconds), float(megabytes)


def csv_floor(database: Path, catalog_id: uuid.UUID, path: Path) -> float:
    """Seconds to read the export's cells with one bare SELECT and write them with csv.writer."""
    connection = sqlite3.connect(database)
    start = time.perf_counter()
    rows = connection.execute(
        """SELECT p.name, p.short_name, p.article, p.code,
                  (SELECT group_concat(b.code, ', ') FROM product_barcodes b WHERE b.product_id = p.id),
                  p.price / 100.0, p.min_price / 100.0, p.cost_price / 100.0, p.vat, p.unit, p.kind,
                  g.name, p.by_weight, p.free_price, p.archived
           FROM products p LEFT JOIN product_groups g ON g.id = p.group_id
           WHERE p.catalog_id = ? ORDER BY p.name, p.id""", (catalog_id.hex,))
    with path.open("w", encoding="utf-8", newline="") as out:
        csv.writer(out, delimiter=";").writerows(rows)
    elapsed = time.perf_counter() - start
    connection.close()
    return elapsed


def main() -> None:
    arguments = argparse.ArgumentParser()
    arguments.add_argument("--products", type=int, default=1_000_000)
    arguments.add_argument("--child", nargs=3)
    options = arguments.parse_args()
    if options.child:
        url, catalog_id, path = options.child
        export_once(url, catalog_id, Path(path))
        return
    counts = [options.products // 10, options.products]
    with tempfile.TemporaryDirectory(prefix="bench-export-") as name:
        folder = Path(name)
        started = time.perf_counter()
        url, catalog_ids = prepare(folder, counts)
        print(f"filled {' + '.join(map(str, counts))} products in {time.perf_counter() - started:.0f} s", file=sys.stderr)
        for count, catalog_id in zip(counts, catalog_ids):
            path = folder / f"export-{count}.xlsx"
            seconds, peak = child(url, catalog_id, path)
            floor = csv_floor(folder / "bench.db", catalog_id, folder / f"floor-{count}.csv")
            print(f"{path.name}: {path.stat().st_size / 1024 / 1024:.0f} MB", file=sys.stderr)
            print(f"BENCH catalog_export_xlsx_{count} {seconds:.2f} s baseline={floor:.2f} ratio={seconds / floor:.1f}"
                  f" peak_memory={peak:.0f} MB")

if __name__ == "__main__":
    main()
