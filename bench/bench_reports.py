"""BENCH: a sales report of 1,000,000 receipt lines builds in ≤ 60 s, in memory that does not grow with
the rows (issue 6, «Документы → Отчёты»), on SQLite.

The database: the demo account (`demo.create` with no history: three points, their registers and
cashiers) and 30 days of receipts ending yesterday, written by bare DB-API `executemany`: 100,000 lines
at one point and 900,000 at another, 1 to 5 lines a receipt (a product of 2,000, a price, a quantity,
some discounts, the cost), 4 % of them returns, 65 % paid by card; 60 corrections and two cash
operations a register a day. A report of the first point alone has 100,000 lines; of all points,
1,000,000.

Each figure is the report's outbox job, `reports.service.build`, run in a process of its own (so its
peak RSS, `ru_maxrss`, is the build's alone): it counts the rows, streams them from one snapshot into
the five sheets (XlsxWriter constant_memory with the fast row path of `reports.workbook`), zips the
file and marks the report done. Baseline, in the same run, in a process of its own: the same lines
read by a bare DB-API SELECT (the very statement the build sends, captured from the engine with its
parameters) and their 16 cells written by XlsxWriter constant_memory with `write_row` and no formats —
the library's own floor for the sheet — and the bare SELECT alone, the database's floor (the baseline of
the 100,000-line figure). The memory
figure is the 1,000,000-line build's peak RSS, against the 100,000-line build's as its baseline: a
ratio near 1 is memory that does not grow with the rows.

Run: `.venv/bin/python bench/bench_reports.py [--lines N] [--keep PATH] [--url DATABASE_URL]`.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

TARGET_SECONDS = 60
FIRST_POINT_LINES = 100_000
DAYS = 30
EMAIL = "reports-bench@example.com"
RETURN_SHARE, CARD_SHARE = 0.04, 0.65
CORRECTIONS = 60
PRODUCTS = 2_000
WORDS = ["Молоко", "Хлеб", "Сыр", "Кефир", "Чай", "Кофе", "Сок", "Вода", "Печенье", "Шоколад", "Яблоки", "Бананы",
         "Масло", "Сметана", "Творог", "Йогурт", "Колбаса", "Сосиски", "Пельмени", "Макароны"]
DOCUMENT_COLUMNS = ("id", "account_id", "point_id", "device_id", "kind", "status", "shift", "made_at", "received_at",
                    "cashier_id", "settlement", "total", "cash", "electronic", "advance", "credit", "other", "discount",
                    "fn_serial", "fiscal_number", "receipt_number", "fiscal_sign", "body", "local_day", "local_hour")
LINE_COLUMNS = ("document_id", "position", "account_id", "product_id", "name", "price", "quantity", "discount", "amount",
                "vat", "cost")


def main() -> None:
    arguments = argparse.ArgumentParser()
    arguments.add_argument("--lines", type=int, default=1_000_000)
    arguments.add_argument("--keep", default=None, help="an SQLite file to keep (and reuse when it has the lines)")
    arguments.add_argument("--url", default=None, help="a database URL (default: a new SQLite file)")
    arguments.add_argument("--child", nargs="+", default=None, help=argparse.SUPPRESS)
    options = arguments.parse_args()
    if options.child:
        child(*options.child)
        return
    folder = Path(tempfile.mkdtemp(prefix="reports-bench-"))
    url = options.url or f"sqlite:///{options.keep or folder / 'bench.db'}"
    os.environ.update(OPENKASSA_DATA_DIR=str(folder), OPENKASSA_DATABASE_URL=url, OPENKASSA_ENV="development",
                      OPENKASSA_SMTP_HOST="")

    from sqlalchemy import select

    from openkassa.accounts.models import Account, User
    from openkassa.accounts.service import actor_of
    from openkassa.db import Database
    from openkassa.reports import service
    from openkassa.reports.schemas import ReportIn

    db = Database(url)
    account_id = existing(db, options.lines) if options.keep or options.url else None
    if account_id is None:
        db.dispose()
        db, account_id = generate(url, options.lines)
    with db.transaction() as session:
        account = session.get_one(Account, account_id)
        actor = actor_of(session, user_id=session.scalars(select(User.id).where(User.account_id == account_id)).first())
        first_point = uuid.UUID(account.company_name.split()[-1])
        zone = ZoneInfo("Europe/Moscow")
        last = datetime.now(zone).date() - timedelta(days=1)
        asked = {}
        for name, points in (("100k", [first_point]), ("1m", None)):
            report = service.request_report(session, actor, ReportIn(
                period="custom", start=last - timedelta(days=DAYS - 1), end=last, points=points, email=None))
            asked[name] = str(report.id)
    db.dispose()

    small = run_child("build", url, folder, asked["100k"])
    large = run_child("build", url, folder, asked["1m"])
    floor = run_child("baseline", url, folder, asked["1m"])
    select_only = run_child("select", url, folder, asked["1m"])
    select_small = run_child("select", url, folder, asked["100k"])
    engine = "sqlite" if url.startswith("sqlite") else "postgresql"
    print(f"  100k: {small}", file=sys.stderr)
    print(f"  1m: {large}", file=sys.stderr)
    print(f"  baseline (bare SELECT + XlsxWriter write_row, no formats): {floor}", file=sys.stderr)
    print(f"  bare SELECT alone: {select_only}", file=sys.stderr)
    assert small["rows"] == FIRST_POINT_LINES and large["rows"] == options.lines, (small, large)
    suffix = "" if engine == "sqlite" else "_postgresql"
    print(f"BENCH report_1m_lines{suffix} {large['seconds']:.1f} s baseline={floor['seconds']:.1f} s "
          f"ratio={large['seconds'] / floor['seconds']:.2f} (target ≤ {TARGET_SECONDS} s; {large['rows']:,} lines, "
          f"{large['size'] / 1e6:.0f} MB file; the bare SELECT alone {select_only['seconds']:.1f} s)")
    print(f"BENCH report_100k_lines{suffix} {small['seconds']:.1f} s baseline={select_small['seconds']:.1f} s "
          f"ratio={small['seconds'] / select_small['seconds']:.1f} (baseline: the bare SELECT of its lines alone)")
    print(f"BENCH report_peak_rss_1m_lines{suffix} {large['rss_mb']:.0f} MB baseline={small['rss_mb']:.0f} MB "
          f"ratio={large['rss_mb'] / small['rss_mb']:.2f} (baseline: the 100,000-line build's peak; "
          f"bare SELECT + XlsxWriter: {floor['rss_mb']:.0f} MB)")


def run_child(what: str, url: str, folder: Path, report_id: str) -> dict:
    done = subprocess.run([sys.executable, __file__, "--child", what, url, str(folder), report_id],
                          capture_output=True, text=True, env=os.environ.copy())
    if done.returncode:
        raise SystemExit(f"{what} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def child(what: str, url: str, folder: str, report_id: str) -> None:
    """One measurement in a fresh process: the build, or the baseline, of a report asked for."""
    from openkassa.config import get_settings
    from openkassa.db import Database
    from openkassa.reports import service
    from openkassa.sales import rows as sales_rows
    from openkassa.reports.models import Report

    settings = get_settings()
    report_key = uuid.UUID(report_id)
    if what == "build":
        start = time.perf_counter()
        service.build(settings, {"report_id": report_id})
        seconds = time.perf_counter() - start
        db = Database(url)
        with db.snapshot() as session:
            report = session.get_one(Report, report_key)
            assert report.status == "done", (report.status, report.error)
            size = report.file_size
            rows, _corrections, _cash = sales_rows.counts(session.connection(), scope_of(session, report))
        db.dispose()
        result = {"seconds": seconds, "rows": rows, "size": size}
    else:
        statement, parameters = captured_select(url, report_key)
        import sqlite3

        if not url.startswith("sqlite"):
            raise SystemExit("the baseline reads SQLite")
        connection = sqlite3.connect(url.removeprefix("sqlite:///"))
        start = time.perf_counter()
        cursor = connection.execute(statement, parameters)
        if what == "select":
            rows = 0
            while batch := cursor.fetchmany(sales_rows.BATCH):
                rows += len(batch)
        else:
            import xlsxwriter

            book = xlsxwriter.Workbook(str(Path(folder) / "baseline.xlsx"), {"constant_memory": True})
            sheet = book.add_worksheet()
            rows = 0
            cells = (3, 1, 2, 4, 5, 6, 7, 8, 14, 15, 16, 17, 18, 19, 20, 21)  # the 16 the sheet shows
            while batch := cursor.fetchmany(sales_rows.BATCH):
                for row in batch:
                    rows += 1
                    sheet.write_row(rows, 0, [row[index] for index in cells])
            book.close()
        seconds = time.perf_counter() - start
        connection.close()
        result = {"seconds": seconds, "rows": rows, "size": 0}
    result["rss_mb"] = peak_rss_mb()
    print(json.dumps(result))


def peak_rss_mb() -> float:
    """This process's peak resident set (VmHWM). Not `ru_maxrss`: Linux carries that over an exec from
    the parent, whose generated rows would show in every child's figure."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def captured_select(url: str, report_id: uuid.UUID) -> tuple[str, tuple]:
    """The statement the build sends for the lines of the report, with its parameters, as the driver gets them."""
    from sqlalchemy import event

    from openkassa.db import Database
    from openkassa.reports.models import Report
    from openkassa.sales import rows as sales_rows

    db = Database(url)
    seen: list[tuple[str, tuple]] = []

    def capture(connection, cursor, statement, parameters, context, executemany):
        seen.append((statement, parameters))

    with db.snapshot() as session:
        report = session.get_one(Report, report_id)
        scope = scope_of(session, report)
        event.listen(db.engine, "before_cursor_execute", capture)
        rows = sales_rows.lines(session.connection(), scope)
        next(rows)
        event.remove(db.engine, "before_cursor_execute", capture)
        rows.close()
    db.dispose()
    [found] = [(statement, parameters) for statement, parameters in seen if "receipt_lines" in statement]
    return found


def scope_of(session, report):
    from openkassa.reports import service
    from openkassa.sales import rows as sales_rows

    return sales_rows.Scope(report.account_id, None if report.all_points else
                            service.points_of(session, [report.id])[report.id], report.first_day, report.last_day)


def existing(db, lines: int) -> uuid.UUID | None:
    """The bench's account in a kept database holding `lines` lines, if there is one."""
    from sqlalchemy import select
    from sqlalchemy.exc import OperationalError, ProgrammingError

    from openkassa.accounts.models import Account, User

    try:
        with db.transaction() as session:
            found = session.execute(select(Account.id, Account.company_name).join(User, User.account_id == Account.id)
                                    .where(User.email == EMAIL)).first()
    except (OperationalError, ProgrammingError):
        return None
    if found is None or not found.company_name.startswith(f"bench {lines} "):
        return None
    print(f"reusing the kept database: {lines:,} lines", file=sys.stderr)
    return found.id


def generate(url: str, lines_wanted: int):
    """A fresh database with the demo account and its receipts (see the module's docstring)."""
    from sqlalchemy import select, text

    from openkassa import demo
    from openkassa.accounts.models import Account
    from openkassa.db import Database
    from openkassa.points.models import Cashier, Device
    from openkassa.schema import migrate

    started = time.perf_counter()
    if url.startswith("postgresql"):
        empty = Database(url)
        with empty.engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        empty.dispose()
    elif Path(url.removeprefix("sqlite:///")).exists():
        for suffix in ("", "-wal", "-shm"):
            Path(url.removeprefix("sqlite:///") + suffix).unlink(missing_ok=True)
    migrate(url)
    db = Database(url)
    demo.create(db, email=EMAIL, password="bench-password", days=0)
    sqlite = url.startswith("sqlite")
    with db.transaction() as session:
        devices = session.execute(select(Device.id, Device.point_id, Device.account_id).order_by(Device.name)).all()
        cashiers = list(session.scalars(select(Cashier.id)))
    account_id = devices[0].account_id
    first, second = devices[0], next(device for device in devices if device.point_id != devices[0].point_id)
    chance = random.Random(6)
    key = (lambda value: value.hex) if sqlite else (lambda value: value)
    marker = "?" if sqlite else "%s"
    products = [(uuid.uuid4(), f"{chance.choice(WORDS)} «{chance.choice(WORDS)}» №{n}", chance.randrange(2_000, 90_000),
                 chance.choice((1, 2, 6))) for n in range(PRODUCTS)]
    zone = ZoneInfo("Europe/Moscow")
    last = datetime.now(zone).date() - timedelta(days=1)
    days = [last - timedelta(days=n) for n in range(DAYS - 1, -1, -1)]

    def moment(value: datetime):
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds") if sqlite else value

    def day_of(value: date):
        return value.isoformat() if sqlite else value

    insert_documents = (f"INSERT INTO sales_documents ({', '.join(DOCUMENT_COLUMNS)}) "
                        f"VALUES ({', '.join([marker] * len(DOCUMENT_COLUMNS))})")
    insert_lines = f"INSERT INTO receipt_lines ({', '.join(LINE_COLUMNS)}) VALUES ({', '.join([marker] * len(LINE_COLUMNS))})"
    body = "{}" if sqlite else None
    if not sqlite:
        from psycopg.types.json import Json
        body = Json({})
    written = 0
    for device, wanted in ((first, FIRST_POINT_LINES), (second, lines_wanted - FIRST_POINT_LINES)):
        receipts_a_day = wanted / 3 / DAYS
        number = 0
        left = wanted
        for day_index, day in enumerate(days):
            documents, lines = [], []
            opened = datetime.combine(day, datetime.min.time().replace(hour=8), zone)
            today_lines = left if day_index == DAYS - 1 else min(left, round(receipts_a_day * 3))
            gap = 14 * 3600 / max(1, today_lines / 3)
            seconds = 0.0
            for cash_n, (kind, amount) in enumerate((("cash_in", 500_000), ("cash_out", 200_000))):
                made = opened + timedelta(hours=1 + 12 * cash_n)
                documents.append((key(uuid.uuid4()), key(account_id), key(device.point_id), key(device.id), kind,
                                  "accepted", day_index + 1, moment(made), moment(made), key(chance.choice(cashiers)),
                                  None, amount, 0, 0, 0, 0, 0, 0, None, None, None, None, body, day_of(day), made.hour))
            while today_lines > 0:
                count = min(today_lines, 1 + chance.randrange(5))
                today_lines -= count
                seconds += gap * count / 3
                made = opened + timedelta(seconds=seconds)
                document = uuid.uuid4()
                settlement = 2 if chance.random() < RETURN_SHARE else 1
                total = discounts = cost_total = 0
                for position in range(count):
                    product_id, name, price, vat = products[chance.randrange(PRODUCTS)]
                    quantity = 1000 * (1 + chance.randrange(3))
                    discount = price * quantity // 1000 // 10 if chance.random() < 0.08 else 0
                    amount = price * quantity // 1000 - discount
                    cost = amount * 7 // 10
                    total, discounts, cost_total = total + amount, discounts + discount, cost_total + cost
                    lines.append((key(document), position, key(account_id), key(product_id), name, price, quantity,
                                  discount, amount, vat, cost))
                number += 1
                electronic = total if chance.random() < CARD_SHARE else 0
                documents.append((key(document), key(account_id), key(device.point_id), key(device.id), "receipt",
                                  "accepted", day_index + 1, moment(made), moment(made), key(chance.choice(cashiers)),
                                  settlement, total, total - electronic, electronic, 0, 0, 0, discounts, "9999078900012345",
                                  number, number, chance.getrandbits(32), body, day_of(day), made.hour))
            if device is second and day_index < CORRECTIONS // 2:
                for n in range(2):
                    made = opened + timedelta(hours=2, minutes=n)
                    number += 1
                    documents.append((key(uuid.uuid4()), key(account_id), key(device.point_id), key(device.id),
                                      "correction", "accepted", day_index + 1, moment(made), moment(made),
                                      key(chance.choice(cashiers)), 1 + n, 10_000, 10_000, 0, 0, 0, 0, 0,
                                      "9999078900012345", number, number, chance.getrandbits(32), body, day_of(day),
                                      made.hour))
            left -= len(lines)
            written += len(lines)
            with db.engine.begin() as connection:
                cursor = connection.connection.cursor()
                cursor.executemany(insert_documents, documents)
                cursor.executemany(insert_lines, lines)
                cursor.close()
        assert left == 0, left
    with db.transaction() as session:  # the mark of a finished generation, and the first point's id
        session.get_one(Account, account_id).company_name = f"bench {lines_wanted} {first.point_id}"
    if sqlite:
        with db.engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            connection.exec_driver_sql("ANALYZE")
    print(f"generated {written:,} lines in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return db, account_id


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    main()
