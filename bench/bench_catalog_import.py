"""BENCH: importing catalog files end to end on SQLite (issue 4).

- a 50,000-row .xlsx (parse, validate, preview, apply) in ≤ 2 s; baseline: reading the same file with
  python-calamine alone;
- a 1,000,000-row .csv in ≤ 20 s with peak memory ≤ 400 MB; baseline: a bare SQLite executemany of the
  same rows into a table with no index.

Each import goes into an empty catalog of a fresh database through `catalog.imports` (check, then
apply), exactly as `openkassa import` runs it. The time runs until the apply commits, when every user
sees the products; on SQLite the checkpoint that then copies the write-ahead log into the database
file (which SQLite would run inside that commit) is timed apart and printed after it. Peak memory is
the process's maximum resident size (ru_maxrss), measured in a child process per file so the figures
do not mix, and the same of the process that reads a large file (`imports._read_apart`).

Run: `.venv/bin/python bench/bench_catalog_import.py [--rows-csv N] [--rows-xlsx N] [--url postgresql+psycopg://…]`
(with --url the imports go into that PostgreSQL database, emptied first; the baselines stay the same).
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
from pathlib import Path

from bench_catalog_queries import fresh_database
from openkassa.catalog.barcodes import check_digit

HEADER = ["Наименование", "Код", "Штрихкоды", "Цена", "НДС", "Единица измерения", "Группа"]
GROUPS = ["Молочные", "Хлеб", "Бакалея/Крупы", "Бакалея/Макароны", "Напитки/Вода", "Напитки/Соки"]
VATS = ["10%", "20%", "22%", "без НДС"]


def ean13(n: int) -> str:
    body = f"46{n:010d}"
    return body + str(check_digit(body))


def product_rows(count: int):
    for n in range(count):
        yield [f"Товар {n} уп {n % 97}", f"C{n:07d}", ean13(n), f"{100 + n % 9000},{n % 100:02d}",
               VATS[n % 4], "шт", GROUPS[n % len(GROUPS)]]


def make_csv(path: Path, count: int) -> None:
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, delimiter=";")
        writer.writerow(HEADER)
        writer.writerows(product_rows(count))


def make_xlsx(path: Path, count: int) -> None:
    import xlsxwriter

    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = workbook.add_worksheet()
    sheet.write_row(0, 0, HEADER)
    for index, row in enumerate(product_rows(count), start=1):
        row[3] = float(row[3].replace(",", "."))
        sheet.write_row(index, 0, row)
    workbook.close()


def import_once(path: Path, url: str | None) -> None:
    """In a child process: a fresh database with one owner and point, then the import; prints seconds and MB."""
    folder = path.parent / f"db-{path.suffix[1:]}"
    folder.mkdir()
    os.environ.update(OPENKASSA_DATABASE_URL=url or f"sqlite:///{folder / 'bench.db'}", OPENKASSA_DATA_DIR=str(folder),
                      OPENKASSA_ENV="development")
    from openkassa.accounts.service import owner_actor
    from openkassa.catalog import imports
    from openkassa.catalog.service import create_catalog

    db = fresh_database(os.environ["OPENKASSA_DATABASE_URL"])
    with db.transaction() as session:
        from openkassa.accounts.models import Account
        from sqlalchemy import select

        account_id = session.scalars(select(Account.id)).first()
        actor = owner_actor(session, account_id=account_id)
        catalog_id = create_catalog(session, actor, name="Bench").id
        import_id = imports.start(session, actor, catalog_id, path.name).id
    start = time.perf_counter()
    imports.check(db, import_id, path)
    sqlite = db.engine.dialect.name == "sqlite"
    with db.transaction() as session:
        if sqlite:  # the commit alone: the checkpoint after it is timed apart
            session.connection().exec_driver_sql("PRAGMA wal_autocheckpoint=0")
        job = imports.apply(session, actor, import_id)
        assert job.state == "applied" and job.invalid == 0, (job.state, job.invalid, job.error)
    applied = time.perf_counter() - start
    if sqlite:
        with db.engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")
            connection.exec_driver_sql("PRAGMA wal_autocheckpoint=1000")
    checkpoint = time.perf_counter() - start - applied
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    reader = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # `imports._read_apart`'s process
    print(f"{applied:.3f} {checkpoint:.3f} {peak:.0f} {reader:.0f}")


def child(path: Path, url: str | None) -> tuple[float, float, float, float]:
    """Seconds until the import is applied (committed: every user sees it), seconds of the SQLite
    checkpoint that copies the write-ahead log home after it, the import's peak MB and its reading
    process's."""
    out = subprocess.run([sys.executable, __file__, "--child", str(path), *(["--url", url] if url else [])],
                         check=True, capture_output=True, text=True)
    applied, checkpoint, peak, reader = map(float, out.stdout.split()[-4:])
    return applied, checkpoint, peak, reader


def calamine_read(path: Path) -> float:
    from python_calamine import CalamineWorkbook

    start = time.perf_counter()
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    assert len(rows) > 1
    return time.perf_counter() - start


def executemany(path: Path, rows: int) -> float:
    db = sqlite3.connect(path.parent / "floor.db")
    db.execute("CREATE TABLE products (name TEXT, code TEXT, barcode TEXT, price TEXT, vat TEXT, unit TEXT, grp TEXT)")
    start = time.perf_counter()
    with path.open(encoding="utf-8") as source:
        reader = csv.reader(source, delimiter=";")
        next(reader)
        db.executemany("INSERT INTO products VALUES (?, ?, ?, ?, ?, ?, ?)", reader)
    db.commit()
    elapsed = time.perf_counter() - start
    db.close()
    return elapsed


if __name__ == "__main__":
    arguments = argparse.ArgumentParser()
    arguments.add_argument("--rows-csv", type=int, default=1_000_000)
    arguments.add_argument("--rows-xlsx", type=int, default=50_000)
    arguments.add_argument("--url", help="a PostgreSQL database to use (emptied first) instead of a fresh SQLite file")
    arguments.add_argument("--child")
    options = arguments.parse_args()
    if options.child:
        import_once(Path(options.child), options.url)
        sys.exit()
    with tempfile.TemporaryDirectory() as folder:
        xlsx, big = Path(folder) / "catalog.xlsx", Path(folder) / "catalog.csv"
        make_xlsx(xlsx, options.rows_xlsx)
        seconds, checkpoint, _, _ = child(xlsx, options.url)
        floor = calamine_read(xlsx)
        kind = "postgresql" if options.url else "sqlite"
        print(f"BENCH catalog_import_xlsx_{kind}_{options.rows_xlsx}_rows {seconds:.2f} s baseline={floor:.2f} "
              f"ratio={seconds / floor:.1f} then_checkpoint={checkpoint:.2f} s")
        make_csv(big, options.rows_csv)
        seconds, checkpoint, peak, reader = child(big, options.url)
        floor = executemany(big, options.rows_csv)
        print(f"BENCH catalog_import_csv_{kind}_{options.rows_csv}_rows {seconds:.2f} s baseline={floor:.2f} "
              f"ratio={seconds / floor:.1f} then_checkpoint={checkpoint:.2f} s peak_memory={peak:.0f} MB + reader {reader:.0f} MB")
