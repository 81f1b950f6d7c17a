"""BENCH: the sales dashboard stays quick over a year of a busy network (issue 6): with 10,000,000
receipt lines in the database, every block for a month and for a year answers in ≤ 300 ms on SQLite.

The database: one account (plan Standard) with 10 points in Europe/Moscow sharing one catalog of
20,000 products — a chain with one assortment, the usual case (`--catalogs N`: the points use N
catalogs in turn, each with its own products) — 3 to 5 cashiers a point (made by the points
service) working two shifts a day, one register a point, two at the four busiest. A year of
receipts ending now: opening hours 8–22; the points' traffic 0.6–1.6 × the mean; weekly (Friday,
Saturday high) and daily (lunch and evening peaks) seasonality, a December rush, a quiet 1 January;
~3 lines a receipt (exactly `--lines` in all); products drawn by a Zipf popularity (s = 1: the top
fifth makes ~85 % of the lines), 6 % sold by weight, 8 % of lines 10 % off; 4 % returns of recent
sales, one receipt in 5,000 a correction; 65 % paid by card; random (version 4) document ids, as
registers make them. Documents (shift openings and closings too) and lines are written by bare
DB-API `executemany`, a week of one point at a time (~6,000 receipts), and each such batch goes
through the real `stats.rollups.record`, so the rollups are what ingestion makes; a transaction
holds four weeks. A check then compares one point-month of the rollups with its receipts.
`--keep PATH` keeps the SQLite file and reuses it when it holds as many lines made by the same
rollup code (`stats.models` and `stats.rollups` are fingerprinted), so the next run skips
generation; with `--url` and `--keep`, a PostgreSQL database holding the bench's account is reused.

Each figure: a block of `stats.service` called as the dashboard calls it (the scope made once, then
the block in its own transaction; `products` naming the best and worst 10 where it takes `shown`),
for last month (preset `last_month`) and for a year (`custom`: the last 365 days; `idle` takes 30
and 365 days), for all points and for the busiest one; one warm-up, then 10 runs: p50 and p95
(nearest rank: of 10 runs, the slowest); a block whose warm-up takes over 10 s is not run again,
that run is its figure. Baseline, in the same run on the same database: the
block's main rollup query — the first statement it sends that reads a `stats_*` table, captured
from the engine with its bound parameters — run bare through the DB-API cursor and fetched, no ORM
and no Python after it, timed the same way; the ratio is p95 over the baseline's p95. A block over
300 ms is followed (on stderr) by the bare time of each statement it sent, and with `--explain` by
their query plans.

Run: `.venv/bin/python bench/bench_stats.py [--lines N] [--keep PATH] [--url DATABASE_URL] [--explain]`.
"""

from __future__ import annotations

import argparse
import bisect
import hashlib
import inspect
import json
import math
import os
import random
import re
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ZONE = "Europe/Moscow"
EMAIL = "stats-bench@example.com"
PASSWORD = "bench-password"
COMPANY = "ООО «Сеть у дома»"
TARGET_MS = 300
SLOW_S = 10  # a block slower than this at its warm-up is not run again: that run is its figure
BATCH_DAYS = 7  # a batch: one point's receipts of a week (~6,000), given to `rollups.record` at once
COMMIT_DAYS = 28  # a transaction: four weeks of every point
DASHBOARD_PRODUCTS = 10  # the dashboard's products block names the best and the worst ten

POINT_TRAFFIC = (1.6, 1.4, 1.2, 1.1, 1.0, 0.9, 0.8, 0.8, 0.6, 0.6)
HOURS = {8: 0.45, 9: 0.6, 10: 0.7, 11: 0.8, 12: 1.0, 13: 1.1, 14: 0.9, 15: 0.8, 16: 0.9, 17: 1.2, 18: 1.5, 19: 1.5,
         20: 1.2, 21: 0.7}
WEEKDAYS = (0.9, 0.9, 0.95, 1.0, 1.2, 1.3, 1.05)
MONTHS = (0.85, 0.9, 0.95, 0.95, 1.0, 0.95, 0.95, 0.95, 1.0, 1.0, 1.0, 1.15)
SALE_LINES = (28, 22, 17, 12, 8, 5, 4, 2, 1, 1)  # weights of 1…10 lines a sale: 3.04 on average
RETURN_LINES = (70, 25, 5)  # of 1…3 lines a return
MAX_LINES = 12
RETURN_SHARE = 0.04
CORRECTION_SHARE = 1 / 5000
CARD_SHARE, MIXED_SHARE = 0.65, 0.03
SALE, RETURN, CORRECTION = 0, 1, 2
FIRST_NAMES = ["Анна", "Мария", "Елена", "Ольга", "Татьяна", "Ирина", "Наталья", "Светлана", "Дмитрий", "Алексей",
               "Сергей", "Андрей", "Иван", "Павел", "Юлия", "Екатерина"]
LAST_NAMES = ["Иванова", "Смирнова", "Кузнецова", "Попова", "Васильева", "Петрова", "Соколова", "Михайлова",
              "Новикова", "Фёдорова", "Морозова", "Волкова", "Алексеева", "Лебедева", "Семёнова", "Егорова"]

DOCUMENT_COLUMNS = ("id", "account_id", "point_id", "device_id", "kind", "status", "shift", "made_at", "received_at",
                    "cashier_id", "settlement", "total", "cash", "electronic", "advance", "credit", "other", "discount",
                    "original_id", "fn_serial", "fiscal_number", "receipt_number", "fiscal_sign", "body", "local_day",
                    "local_hour")
LINE_COLUMNS = ("document_id", "position", "account_id", "product_id", "name", "price", "quantity", "discount", "amount",
                "vat", "cost")


# --- the database ------------------------------------------------------------------------------------


class Values:
    """How raw rows spell values for the database's driver: SQLite keeps what SQLAlchemy would
    write (UUIDs as 32 hex digits, dates and UTC times as text, JSON as text), psycopg takes objects."""

    def __init__(self, sqlite: bool, chance: random.Random):
        self.sqlite = sqlite
        self.bits = chance.getrandbits
        self.marker = "?" if sqlite else "%s"
        if not sqlite:
            from psycopg.types.json import Json

            self.json = Json

    def key(self, value: uuid.UUID):
        return value.hex if self.sqlite else value

    def new_key(self):
        """A random UUID (version 4), as registers make a document's id."""
        value = (self.bits(128) & ~(0xF000 << 64) | (0x4000 << 64)) & ~(0xC000 << 48) | (0x8000 << 48)
        return f"{value:032x}" if self.sqlite else uuid.UUID(int=value)

    def day(self, value: date):
        return value.isoformat() if self.sqlite else value

    def moment(self, value: datetime):
        """A naive UTC time whose microseconds are never 0 (isoformat would drop them)."""
        return value.isoformat(" ") if self.sqlite else value.replace(tzinfo=UTC)

    def body(self, value: dict):
        return json.dumps(value) if self.sqlite else self.json(value)

    def insert(self, table: str, columns: tuple[str, ...]) -> str:
        return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join([self.marker] * len(columns))})"


def fresh_database(url: str):
    """The bench's database, emptied (a PostgreSQL one loses its schema) and migrated, with no demo
    account (`demo.create` writes a sales history of its own); returns its `Database`."""
    from bench_catalog_queries import empty_database

    return empty_database(url)


def rollup_code() -> str:
    """A fingerprint of the rollups' code: a database made by other code is made again."""
    from openkassa.stats import models, rollups

    return hashlib.sha1((inspect.getsource(models) + inspect.getsource(rollups)).encode()).hexdigest()[:8]


def finished_mark(lines: int) -> str:
    """The account's name once its generation finished (`bench_account` reads it)."""
    return f"{COMPANY}: {lines} lines, rollups {rollup_code()}"


def bench_account(db) -> tuple[uuid.UUID, int, bool] | None:
    """The bench's account, the lines generated and whether the rollups' code is the same, when a
    generation finished in this database."""
    from sqlalchemy import inspect as inspect_db
    from sqlalchemy import select

    from openkassa.accounts.models import Account, User

    if not inspect_db(db.engine).has_table("users"):
        return None
    with db.transaction() as session:
        row = session.execute(select(Account.id, Account.company_name).join(User, User.account_id == Account.id)
                              .where(User.email == EMAIL)).first()
    found = row and re.fullmatch(r".*: (\d+) lines, rollups ([0-9a-f]{8})", row.company_name)
    if not found:
        return None
    return row.id, int(found[1]), found[2] == rollup_code()


def set_up(db, options) -> tuple[uuid.UUID, list[dict], list[dict]]:
    """The account, its points, cashiers and registers through the services; returns the account,
    its points (id, catalog number, traffic, registers, cashiers) and its catalogs (empty yet)."""
    from openkassa.accounts import service as accounts
    from openkassa.accounts.models import Account
    from openkassa.accounts.plans import Plan
    from openkassa.accounts.schemas import SignUpIn
    from openkassa.db import utcnow
    from openkassa.points import service as points_service
    from openkassa.points.schemas import ActivateIn, CashierIn, CatalogChoice, DeviceInfo, NewPointIn, TaxSystem

    with db.transaction() as session:
        user = accounts.sign_up(session, data=SignUpIn(company_name=COMPANY, name="Ольга Соколова", phone="+7 900 765-43-21",
                                                       email=EMAIL, password=PASSWORD), ip="bench-stats")
        user.email_confirmed_at = utcnow()
        session.get_one(Account, user.account_id).plan = Plan.STANDARD if options.points <= 10 else Plan.EXTENDED
        session.flush()
        owner_id, account_id = user.id, user.account_id
        actor = accounts.actor_of(session, user_id=owner_id)
        points, catalogs = [], []
        for n in range(options.points):
            own = n < options.catalogs
            point = points_service.create_point(session, actor, data=NewPointIn(
                name=f"Магазин №{n + 1}", address=f"Москва, ул. Садовая, д. {n + 1}", inn="7707083893", timezone=ZONE,
                tax_systems=[TaxSystem.USN_INCOME], default_tax_system=TaxSystem.USN_INCOME,
                catalog=CatalogChoice.NEW if own else CatalogChoice.SHARED,
                catalog_source_point_id=None if own else points[n % options.catalogs]["id"]))
            if own:
                catalogs.append({"id": point.catalog_id})
            points.append({"id": point.id, "catalog": n % options.catalogs, "traffic": POINT_TRAFFIC[n % len(POINT_TRAFFIC)],
                           "registers": 2 if n < 4 else 1, "cashiers": []})
        people = iter(f"{last} {first}" for first in FIRST_NAMES for last in LAST_NAMES)
        for n, point in enumerate(points):
            for k in range(3 + n % 3):
                cashier = points_service.create_cashier(session, actor, data=CashierIn(
                    name=next(people), pin=f"{1000 + 10 * n + k}", point_ids=[point["id"]], can_return=k == 0))
                point["cashiers"].append(cashier.id)
    for n, point in enumerate(points):
        point["devices"] = []
        for k in range(point["registers"]):
            with db.transaction() as session:
                actor = accounts.actor_of(session, user_id=owner_id)
                code = points_service.new_activation_code(session, actor, point_id=point["id"]).code
            with db.transaction() as session:
                device, _, _ = points_service.activate_device(session, data=ActivateIn(code=code, device=DeviceInfo(
                    name=f"Касса {k + 1}", app_version="1.0", serial=f"ST-{n + 1:02d}-{k + 1}")), ip="bench-stats")
                point["devices"].append({"id": device.id, "fn_serial": f"9999{n:06d}{k:06d}"})
    return account_id, points, catalogs


def fill_catalogs(db, account_id: uuid.UUID, catalogs: list[dict], count: int, chance: random.Random) -> None:
    """`count` products a catalog, with cost prices, bulk inserted; each catalog gets its products'
    popularity: a random order of them and Zipf weights 1/rank."""
    from bench_catalog_queries import BRANDS, WORDS

    from openkassa.catalog.models import Product, new_search_key
    from openkassa.fiscal.enums import Unit, VatRate
    from openkassa.ids import new_ids

    ids = new_ids()
    for number, catalog in enumerate(catalogs):
        rows = []
        for n in range(count):
            weighed = chance.random() < 0.06
            price = int(math.exp(chance.uniform(math.log(2_000), math.log(150_000))))  # 20–1,500 ₽ (a kilo if weighed)
            rows.append({"id": next(ids), "account_id": account_id, "catalog_id": catalog["id"],
                         "name": f"{chance.choice(WORDS)} {chance.choice(BRANDS)} {'весовой' if weighed else f'{chance.randint(1, 20) * 50} г'} арт. {n}",
                         "code": f"{number + 1}{n:06d}", "price": price, "cost_price": int(price * chance.uniform(0.6, 0.85)),
                         "vat": int(VatRate.VAT_10 if chance.random() < 0.4 else VatRate.VAT_22),
                         "unit": int(Unit.KILOGRAM if weighed else Unit.PIECE), "by_weight": weighed,
                         "search_key": new_search_key(), "revision": 1})
        with db.transaction() as session:
            for first in range(0, count, 10_000):
                session.execute(Product.__table__.insert(), rows[first:first + 10_000])
        order = list(range(count))
        chance.shuffle(order)
        running, cumulative = 0.0, []
        for rank in range(count):
            running += 1 / (rank + 1)
            cumulative.append(running)
        catalog.update(products=rows, ranked=order, cumulative=cumulative, total=running)


def plan(chance: random.Random, points: list[dict], days: list[date], now_local: datetime, lines: int):
    """How many receipts each point has in each hour of each day, and each receipt's kind and
    number of lines, drawn so that the lines add up to `lines` exactly."""
    hours = list(HOURS)
    weights = []
    for point in points:
        for day in days:
            noise = max(0.5, chance.gauss(1, 0.08))
            season = WEEKDAYS[day.weekday()] * MONTHS[day.month - 1] * noise
            if (day.month, day.day) in ((12, 28), (12, 29), (12, 30), (12, 31)):
                season *= 1.4
            elif (day.month, day.day) == (1, 1):
                season *= 0.4
            for hour in hours:
                open_ = day < now_local.date() or hour < now_local.hour
                weights.append(point["traffic"] * season * HOURS[hour] if open_ else 0.0)
    sale_mean = sum((n + 1) * w for n, w in enumerate(SALE_LINES)) / sum(SALE_LINES)
    return_mean = sum((n + 1) * w for n, w in enumerate(RETURN_LINES)) / sum(RETURN_LINES)
    receipts = max(1, round(lines / ((1 - RETURN_SHARE) * sale_mean + RETURN_SHARE * return_mean)))
    scale = receipts / sum(weights)
    counts = []
    for weight in weights:
        expected = weight * scale
        counts.append(int(expected) + (chance.random() < expected - int(expected)))
    cells = range(len(counts))
    while (missing := receipts - sum(counts)) != 0:
        for cell in chance.choices(cells, weights=weights, k=abs(missing)):
            if missing > 0 or counts[cell] > 0:
                counts[cell] += 1 if missing > 0 else -1
    kinds = bytearray(receipts)
    sizes = bytearray(chance.choices(range(1, len(SALE_LINES) + 1), weights=SALE_LINES, k=receipts))
    for n in range(receipts):
        draw = chance.random()
        if draw < CORRECTION_SHARE:
            kinds[n], sizes[n] = CORRECTION, 1
        elif draw < CORRECTION_SHARE + RETURN_SHARE:
            kinds[n], sizes[n] = RETURN, chance.choices((1, 2, 3), weights=RETURN_LINES)[0]
    missing = lines - sum(sizes)
    while missing:
        n = chance.randrange(receipts)
        step = 1 if missing > 0 else -1
        if kinds[n] == SALE and 1 <= sizes[n] + step <= MAX_LINES:
            sizes[n] += step
            missing -= step
    return counts, kinds, sizes


class Generator:
    """A year of documents and lines, made point by point and week by week (see `plan`)."""

    def __init__(self, db, options, account_id: uuid.UUID, points: list[dict], catalogs: list[dict],
                 chance: random.Random):
        self.sqlite = db.engine.dialect.name == "sqlite"
        self.values = values = Values(self.sqlite, chance)
        self.chance = chance
        self.zone = ZoneInfo(ZONE)
        self.now_local = datetime.now(self.zone)
        self.today = self.now_local.date()
        self.days = [self.today - timedelta(days=364 - n) for n in range(365)]
        self.counts, self.kinds, self.sizes = plan(chance, points, self.days, self.now_local, options.lines)
        self.receipt_index = 0
        self.account = values.key(account_id)
        self.points, self.catalogs = points, catalogs
        self.bodies = {kind: values.body({"type": kind}) for kind in ("receipt", "correction", "shift_open", "shift_close")}
        for catalog in catalogs:
            products = catalog["products"]
            catalog.update(keys=[values.key(p["id"]) for p in products], ids=[p["id"] for p in products],
                           names=[p["name"] for p in products], prices=[p["price"] for p in products],
                           costs=[p["cost_price"] for p in products], vats=[p["vat"] for p in products],
                           weighed=[p["by_weight"] for p in products])
        for point in points:
            point.update(key=values.key(point["id"]), cashier_keys=[values.key(c) for c in point["cashiers"]],
                         recent=[], recent_at=0)
            for device in point["devices"]:
                device.update(key=values.key(device["id"]), number=0)

    def batch(self, p: int, block: range) -> tuple[list[tuple], list[tuple], list[dict], list[dict]]:
        """One point's documents and lines of some days, as rows to insert and as `record` takes them."""
        from openkassa.fiscal.arithmetic import line_amount

        values, chance, zone, days, today, now_local = self.values, self.chance, self.zone, self.days, self.today, self.now_local
        rand, randrange, bits = chance.random, chance.randrange, chance.getrandbits
        counts, kinds, sizes, account, bodies = self.counts, self.kinds, self.sizes, self.account, self.bodies
        point = self.points[p]
        catalog = self.catalogs[point["catalog"]]
        ranked, cumulative, total_weight = catalog["ranked"], catalog["cumulative"], catalog["total"]
        keys, ids, names, prices = catalog["keys"], catalog["ids"], catalog["names"], catalog["prices"]
        costs, vats, weighed = catalog["costs"], catalog["vats"], catalog["weighed"]
        devices, cashiers, cashier_keys, recent = point["devices"], point["cashiers"], point["cashier_keys"], point["recent"]
        hours = list(HOURS)
        documents, lines, receipts, counted_lines = [], [], [], []
        for day_index in block:
            day = days[day_index]
            local_day = values.day(day)
            shift = day_index + 1
            midnight = datetime(day.year, day.month, day.day, tzinfo=zone)
            for d, device in enumerate(devices):
                device["receipt"] = 0
                for kind, hour, cashier in (("shift_open", 7, 2 * day_index + d), ("shift_close", 22, 2 * day_index + d + 1)):
                    if day == today and hour >= now_local.hour:
                        continue
                    made = (midnight + timedelta(hours=hour, minutes=randrange(5, 55), microseconds=randrange(1, 999_999))
                            ).astimezone(UTC).replace(tzinfo=None)
                    device["number"] += 1
                    documents.append((values.new_key(), account, point["key"], device["key"], kind, "accepted", shift,
                                      values.moment(made), values.moment(made + timedelta(seconds=randrange(2, 600))),
                                      cashier_keys[cashier % len(cashiers)], None, 500_000, 0, 0, 0, 0, 0, 0, None,
                                      device["fn_serial"], device["number"], None, bits(32), bodies[kind], local_day, hour))
            for h, hour in enumerate(hours):
                count = counts[(p * len(days) + day_index) * len(hours) + h]
                if not count:
                    continue
                start = (midnight + timedelta(hours=hour)).astimezone(UTC).replace(tzinfo=None)
                late = hour >= 15
                for offset in sorted(randrange(1, 3_600_000_000) for _ in range(count)):
                    kind, size = kinds[self.receipt_index], sizes[self.receipt_index]
                    self.receipt_index += 1
                    d = 0 if len(devices) == 1 or rand() < 0.5 else 1
                    device = devices[d]
                    cashier = (2 * day_index + late + d) % len(cashiers)
                    made = start + timedelta(microseconds=offset if offset % 1_000_000 else offset + 1)
                    document = values.new_key()
                    position = total = discounts = 0
                    original = None
                    if kind == RETURN and recent:
                        for _ in range(8):  # a recent sale with as many lines, if one comes up
                            original, sold = recent[randrange(len(recent))]
                            if len(sold) >= size:
                                break
                        picked = [sold[n % len(sold)] for n in range(size)]
                    else:
                        picked = []
                        for _ in range(size):
                            i = ranked[bisect.bisect(cumulative, rand() * total_weight)]
                            if weighed[i]:
                                quantity = randrange(150, 2_500)
                            else:
                                draw = rand()
                                quantity = 1000 if draw < 0.82 else 2000 if draw < 0.95 else 3000 if draw < 0.99 else 6000
                            gross = line_amount(prices[i], quantity)
                            off = gross // 10 if rand() < 0.08 else 0
                            picked.append((i, quantity, off, gross - off))
                    for i, quantity, off, amount in picked:
                        line_cost = line_amount(costs[i], quantity)
                        lines.append((document, position, account, keys[i], names[i], prices[i], quantity, off, amount,
                                      vats[i], line_cost))
                        counted_lines.append({"document_id": document, "product_id": ids[i], "quantity": quantity,
                                              "amount": amount, "cost": line_cost})
                        position += 1
                        total += amount
                        discounts += off
                    if kind == SALE:
                        settlement, name = 1, "receipt"
                        if len(recent) < 2000:
                            recent.append((document, picked))
                        else:
                            recent[point["recent_at"]] = (document, picked)
                            point["recent_at"] = (point["recent_at"] + 1) % 2000
                    elif kind == RETURN:
                        settlement, name = 2, "receipt"
                    else:
                        settlement, name = (1 if rand() < 0.8 else 2), "correction"
                    draw = rand()
                    electronic = total if draw < CARD_SHARE else total // 2 if draw < CARD_SHARE + MIXED_SHARE else 0
                    device["number"] += 1
                    device["receipt"] += 1
                    documents.append((document, account, point["key"], device["key"], name, "accepted", shift,
                                      values.moment(made), values.moment(made + timedelta(seconds=randrange(2, 600))),
                                      cashier_keys[cashier], settlement, total, total - electronic, electronic, 0, 0, 0,
                                      discounts, original, device["fn_serial"], device["number"], device["receipt"],
                                      bits(32), bodies[name], local_day, hour))
                    receipts.append({"id": document, "kind": name, "settlement": settlement, "local_day": day,
                                     "local_hour": hour, "cashier_id": cashiers[cashier], "total": total,
                                     "electronic": electronic, "discount": discounts})
        return documents, lines, receipts, counted_lines


def generate(db, options, account_id: uuid.UUID, points: list[dict], catalogs: list[dict], chance: random.Random) -> None:
    """Write a year of documents and lines: a transaction every four weeks, and in it, for each
    week and point, the rows by bare `executemany`, then `rollups.record` of them."""
    from openkassa.stats import rollups

    maker = Generator(db, options, account_id, points, catalogs, chance)
    values, days = maker.values, maker.days
    insert_documents = values.insert("sales_documents", DOCUMENT_COLUMNS)
    insert_lines = values.insert("receipt_lines", LINE_COLUMNS)
    lines_written = receipts_written = 0
    spent = dict.fromkeys(("making", "inserting", "rollups", "committing"), 0.0)
    started = time.perf_counter()
    for first_day in range(0, len(days), COMMIT_DAYS):
        last_day = min(first_day + COMMIT_DAYS, len(days))
        with db.sessions() as session:
            session.begin()
            cursor = session.connection().connection.dbapi_connection.cursor()
            if maker.sqlite:  # the generator's own connection: the random-id indexes stay in memory
                cursor.execute("PRAGMA cache_size=-2000000")
            for first in range(first_day, last_day, BATCH_DAYS):
                for p, point in enumerate(points):
                    clock = time.perf_counter()
                    documents, lines, receipts, counted_lines = maker.batch(p, range(first, min(first + BATCH_DAYS, last_day)))
                    clock = _lap(spent, "making", clock)
                    cursor.executemany(insert_documents, documents)
                    cursor.executemany(insert_lines, lines)
                    clock = _lap(spent, "inserting", clock)
                    rollups.record(session, account_id=account_id, point_id=point["id"], receipts=receipts, lines=counted_lines)
                    _lap(spent, "rollups", clock)
                    lines_written += len(lines)
                    receipts_written += len(receipts)
            cursor.close()
            clock = time.perf_counter()
            session.commit()
            _lap(spent, "committing", clock)
        elapsed = time.perf_counter() - started
        print(f"  {days[last_day - 1]}: {receipts_written:,} receipts, {lines_written:,} lines, {elapsed:.0f} s "
              f"({', '.join(f'{name} {seconds:.0f}' for name, seconds in spent.items())}), "
              f"{lines_written / elapsed:,.0f} lines/s, ~{elapsed * (options.lines / max(lines_written, 1) - 1):.0f} s to go",
              file=sys.stderr, flush=True)
    assert lines_written == options.lines and maker.receipt_index == len(maker.kinds), (lines_written, maker.receipt_index)


def _lap(spent: dict[str, float], name: str, since: float) -> float:
    now = time.perf_counter()
    spent[name] += now - since
    return now


def check(db, account_id: uuid.UUID) -> str:
    """One point-month of the rollups against its receipts (the migration's rules, in SQL)."""
    from sqlalchemy import and_, case, func, select

    from openkassa.points.models import RetailPoint
    from openkassa.sales.models import ReceiptLine, SalesDocument
    from openkassa.stats import models
    from openkassa.stats.models import HourFigures, ProductDay, ProductMonth, ProductQuarter, span_after, span_start

    with db.transaction() as session:
        point = session.scalars(select(RetailPoint).where(RetailPoint.account_id == account_id)
                                .order_by(RetailPoint.name)).first()
        last = datetime.now(ZoneInfo(ZONE)).date().replace(day=1) - timedelta(days=1)
        first = last.replace(day=1)
        d = SalesDocument
        sign = case((d.settlement == 1, 1), else_=-1)
        window = and_(d.account_id == account_id, d.point_id == point.id,
                      d.made_at.between(datetime.combine(first - timedelta(days=1), datetime.min.time(), UTC),
                                        datetime.combine(last + timedelta(days=2), datetime.min.time(), UTC)),
                      d.local_day.between(first, last), d.status == "accepted", d.kind.in_(("receipt", "correction")),
                      d.settlement.in_((1, 2)))
        receipts = session.execute(select(
            func.sum(case((and_(d.kind == "receipt", d.settlement == 1), 1), else_=0)),
            func.sum(case((and_(d.kind == "receipt", d.settlement == 2), 1), else_=0)),
            func.sum(case((d.kind == "correction", 1), else_=0)),
            func.sum(sign * d.total), func.sum(sign * d.electronic), func.sum(sign * d.discount)).where(window)).one()
        lines = session.execute(select(func.sum(sign * ReceiptLine.quantity), func.sum(sign * ReceiptLine.amount),
                                       func.sum(sign * ReceiptLine.cost)).join(d, d.id == ReceiptLine.document_id)
                                .where(window)).one()
        h = HourFigures
        hours = session.execute(select(func.sum(h.sales), func.sum(h.returns), func.sum(h.corrections), func.sum(h.revenue),
                                       func.sum(h.cashless), func.sum(h.discount), func.sum(h.cost))
                                .where(h.account_id == account_id, h.point_id == point.id, h.day.between(first, last))).one()
        days = session.execute(select(func.sum(ProductDay.quantity), func.sum(ProductDay.revenue), func.sum(ProductDay.cost))
                               .where(ProductDay.account_id == account_id, ProductDay.point_id == point.id,
                                      ProductDay.day.between(first, last))).one()
        month = session.execute(select(func.sum(ProductMonth.quantity), func.sum(ProductMonth.revenue),
                                       func.sum(ProductMonth.cost))
                                .where(ProductMonth.account_id == account_id, ProductMonth.point_id == point.id,
                                       ProductMonth.month == first)).one()
        quarter = span_start(first, 3)
        q, m = ProductQuarter, ProductMonth
        in_quarter = session.execute(select(func.sum(q.quantity), func.sum(q.revenue), func.sum(q.cost))
                                     .where(q.account_id == account_id, q.quarter == quarter)).one()
        its_months = session.execute(select(func.sum(m.quantity), func.sum(m.revenue), func.sum(m.cost))
                                     .where(m.account_id == account_id, m.month >= quarter,
                                            m.month < span_after(quarter, 3))).one()
        network = None
        if hasattr(models, "ALL_POINTS"):  # the product rollups' rows for the whole network: the points' sum
            m = ProductMonth
            each = (func.sum(m.quantity), func.sum(m.revenue), func.sum(m.cost))
            network = [tuple(session.execute(select(*each).where(m.account_id == account_id, m.month == first, where)).one())
                       for where in (m.point_id == models.ALL_POINTS, m.point_id != models.ALL_POINTS)]
    assert tuple(hours) == (*receipts, lines[2]), (tuple(hours), tuple(receipts), tuple(lines))
    assert tuple(days) == tuple(lines) == tuple(month), (tuple(days), tuple(lines), tuple(month))
    assert network is None or network[0] == network[1], network
    assert tuple(in_quarter) == tuple(its_months), (tuple(in_quarter), tuple(its_months))
    return (f"{point.name}, {first:%m.%Y}: {receipts[0]:,} sales, {receipts[1]:,} returns, {receipts[2]} corrections"
            f"{'' if network is None else '; all points of the month add up'}; its quarter is its months'")


def build(url: str, options) -> uuid.UUID:
    from openkassa.accounts.models import Account

    chance = random.Random(options.seed)
    started = time.perf_counter()
    db = fresh_database(url)
    account_id, points, catalogs = set_up(db, options)
    fill_catalogs(db, account_id, catalogs, options.products, chance)
    print(f"set up: {len(points)} points, {len(catalogs)} catalog(s) of {options.products:,} products, "
          f"{sum(len(p['cashiers']) for p in points)} cashiers, {sum(len(p['devices']) for p in points)} registers, "
          f"{time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
    generate(db, options, account_id, points, catalogs, chance)
    with db.transaction() as session:  # the mark of a finished generation (`bench_account`)
        session.get_one(Account, account_id).company_name = finished_mark(options.lines)
    if url.startswith("sqlite"):
        with db.engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    else:
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE")
    generated = time.perf_counter() - started
    print(f"generated {options.lines:,} lines in {generated:.0f} s; check: {check(db, account_id)}", file=sys.stderr, flush=True)
    print(f"BENCH stats_generation_{'sqlite' if url.startswith('sqlite') else 'postgresql'}_{options.lines} {generated:.0f} s")
    db.dispose()
    return account_id


# --- the dashboard -----------------------------------------------------------------------------------


def percentiles(times: list[float]) -> tuple[float, float]:
    """p50 and p95 (nearest rank) in milliseconds."""
    ordered = sorted(times)
    return statistics.median(ordered) * 1000, ordered[math.ceil(0.95 * len(ordered)) - 1] * 1000


def timed(action, runs: int) -> tuple[float, float, int]:
    """p50 and p95 of `runs` runs after a warm-up, and how many runs; a warm-up over `SLOW_S` is
    the one run (minutes a run would make the bench last hours)."""
    start = time.perf_counter()
    action()
    if (warm_up := time.perf_counter() - start) > SLOW_S:
        return warm_up * 1000, warm_up * 1000, 1
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return (*percentiles(times), runs)


def describe(db, account_id: uuid.UUID) -> None:
    """The data's size: rows of each table, the rollups' span, the database's bytes."""
    from sqlalchemy import text

    sqlite = db.engine.dialect.name == "sqlite"
    with db.engine.connect() as connection:
        counts = {}
        for table in ("sales_documents", "receipt_lines", "stats_hours", "stats_product_days", "stats_product_months",
                      "stats_product_quarters"):
            rowid = sqlite and not connection.execute(text(f"SELECT 1 FROM pragma_table_list WHERE name = '{table}' AND wr")).first()
            counts[table] = connection.execute(text(
                f"SELECT max(rowid) FROM {table}" if rowid else f"SELECT count(*) FROM {table}" if sqlite
                else f"SELECT reltuples::bigint FROM pg_class WHERE relname = '{table}'")).scalar() or 0
        span = connection.execute(text("SELECT min(day), max(day) FROM stats_hours")).one()
        if db.engine.dialect.name == "sqlite":
            path = Path(db.url.removeprefix("sqlite:///"))
            size = sum(Path(f"{path}{suffix}").stat().st_size for suffix in ("", "-wal") if Path(f"{path}{suffix}").exists())
        else:
            size = connection.execute(text("SELECT pg_database_size(current_database())")).scalar()
    print(f"data: {', '.join(f'{table} ~{count:,}' for table, count in counts.items())}; days {span[0]} … {span[1]}; "
          f"database {size / 2**30:.2f} GiB", file=sys.stderr, flush=True)


def measure(url: str, account_id: uuid.UUID, options) -> None:
    from sqlalchemy import event, select

    from openkassa.accounts.service import owner_actor
    from openkassa.db import Database
    from openkassa.points.models import RetailPoint
    from openkassa.stats import service

    db = Database(url)  # a new engine: the app's own connection settings
    describe(db, account_id)
    sent: list[tuple[str, object]] = []
    capturing = [False]

    @event.listens_for(db.engine, "before_cursor_execute")
    def _capture(connection, cursor, statement, parameters, context, executemany):
        if capturing[0]:
            sent.append((statement, parameters))

    with db.transaction() as session:
        actor = owner_actor(session, account_id=account_id)
        busiest = session.scalars(select(RetailPoint.id).where(RetailPoint.account_id == account_id)
                                  .order_by(RetailPoint.name)).first()  # «Магазин №1», the busiest
        scopes = {"all": service.scope_for(session, actor, point_id=None),
                  "point": service.scope_for(session, actor, point_id=busiest)}
    products_asked = {"shown": DASHBOARD_PRODUCTS}  # the dashboard names only the best and the worst few
    blocks = {
        "summary": lambda session, scope, period, days: service.summary(session, scope, period),
        "trend": lambda session, scope, period, days: service.trend(session, scope, period),
        "hours": lambda session, scope, period, days: service.hours(session, scope, period),
        "cashiers": lambda session, scope, period, days: service.cashiers(session, scope, period),
        "products": lambda session, scope, period, days: service.products(session, scope, period, **products_asked),
        "idle": lambda session, scope, period, days: service.idle(session, scope, days=days),
    }
    raw = db.engine.raw_connection()
    over = []
    for name, block in blocks.items():
        for span in ("month", "year"):
            for scope_name, scope in scopes.items():
                today = scope.today()
                period = (service.period_for(scope, preset="last_month") if span == "month" else
                          service.period_for(scope, preset="custom", start=today - timedelta(days=364), end=today))
                days = 30 if span == "month" else 365

                def run(block=block, scope=scope, period=period, days=days):
                    with db.transaction() as session:
                        block(session, scope, period, days)

                sent.clear()
                capturing[0] = True
                run()
                capturing[0] = False
                statements = [item for item in sent if item[0].lstrip()[:6].upper() in ("SELECT", "WITH")]
                main = next(item for item in statements if "stats_" in item[0])

                def bare(statement=main[0], parameters=main[1]):
                    cursor = raw.cursor()
                    cursor.execute(statement, parameters)
                    cursor.fetchall()
                    cursor.close()

                p50, p95, runs = timed(run, options.runs)
                once = f" (timed once: over {SLOW_S} s)" if runs == 1 < options.runs else ""
                bare50, bare95, _ = timed(bare, options.runs)
                print(f"BENCH stats_{name}_{span}_{scope_name} {p95:.1f} ms baseline={bare95:.1f} ms "
                      f"ratio={p95 / bare95:.1f} p50={p50:.1f} ms baseline_p50={bare50:.1f} ms{once}", flush=True)
                if p95 > TARGET_MS:
                    over.append((f"{name}_{span}_{scope_name}", p95, statements))
    for label, p95, statements in over:
        print(f"\n{label}: {p95:.0f} ms, over {TARGET_MS} ms; its statements run bare (p50 of 3):", file=sys.stderr)
        shapes: dict[str, list] = {}
        for statement, parameters in statements:
            def bare(statement=statement, parameters=parameters):
                cursor = raw.cursor()
                cursor.execute(statement, parameters)
                cursor.fetchall()
                cursor.close()

            shapes.setdefault(statement, []).append((timed(bare, 3)[0], parameters))  # p50
        for statement, runs in shapes.items():
            print(f"  {sum(ms for ms, _ in runs):8.1f} ms  {f'{len(runs)} × ' if len(runs) > 1 else ''}"
                  f"{' '.join(statement.split())[:400]}", file=sys.stderr)
            parameters = runs[0][1]
            if options.explain:
                cursor = raw.cursor()
                explain = "EXPLAIN QUERY PLAN " if db.engine.dialect.name == "sqlite" else "EXPLAIN "
                cursor.execute(explain + statement, parameters)
                for row in cursor.fetchall():
                    print(f"             {row[-1] if db.engine.dialect.name == 'sqlite' else row[0]}", file=sys.stderr)
                cursor.close()
    raw.close()
    db.dispose()


def main() -> None:
    arguments = argparse.ArgumentParser()
    arguments.add_argument("--lines", type=int, default=10_000_000)
    arguments.add_argument("--products", type=int, default=20_000)
    arguments.add_argument("--points", type=int, default=10)
    arguments.add_argument("--catalogs", type=int, default=1, help="how many catalogs the points use in turn")
    arguments.add_argument("--url", default=None, help="a database URL (default: a new SQLite file)")
    arguments.add_argument("--keep", nargs="?", const="", default=None, metavar="PATH",
                           help="keep the SQLite file at PATH, reusing it when it holds as many lines made by the "
                                "same rollup code; with --url, reuse the database's data likewise")
    arguments.add_argument("--runs", type=int, default=10)
    arguments.add_argument("--seed", type=int, default=6)
    arguments.add_argument("--explain", action="store_true", help="print the query plans of the blocks over 300 ms")
    options = arguments.parse_args()
    if options.keep and not options.url:
        path = Path(options.keep).resolve()
        path.parent.mkdir(parents=True, exist_ok=True)
        folder = path.parent
    else:
        folder = Path(tempfile.mkdtemp(prefix="bench-stats-"))
        path = folder / "bench.db"
    os.environ.update(OPENKASSA_DATA_DIR=str(folder), OPENKASSA_ENV="development")
    url = options.url or f"sqlite:///{path}"

    from openkassa.db import Database

    found = None
    if options.keep is not None and (options.url or path.exists()):
        db = Database(url)
        found = bench_account(db)
        db.dispose()
        if found is not None and found[1] != options.lines:
            print(f"the kept database holds {found[1]:,} lines, not {options.lines:,}: generating again", file=sys.stderr)
            found = None
        elif found is not None and not found[2]:
            print("the kept database's rollups were made by other code (stats.models, stats.rollups): generating again",
                  file=sys.stderr)
            found = None
    if found is None:
        if not options.url:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        account_id = build(url, options)
    else:
        account_id = found[0]
        print(f"reusing {url} ({found[1]:,} lines)", file=sys.stderr)
    measure(url, account_id, options)
    if options.keep is None and not options.url:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    main()
