"""Demo data: an account with three points, products, cashiers and registers, and a year of their
sales, so the first screen is alive.

The sales are made the way registers make them, never written into tables: each demo register has
a software fiscal drive (`fiscal.drive.SoftwareDrive`) that signs its shift reports and receipts,
the server learns the drive's key (`sales.service.register_drive`), and the documents are taken in
by `sales.service.ingest` in batches of up to `protocol.documents.MAX_DOCUMENTS`, the server's
acknowledgements going back to the drive as the register's sync does. So every rollup, check and
figure of the dashboard is what real uploads make.

What the history looks like (seeded: the same dates give the same figures):
- each register opens a shift a day a little before opening hours with the cash the last shift
  left, and closes it a little after closing with the cash counted (now and then a little short or
  over), leaving a float of 5 000 ₽ for the next shift;
- its two cashiers take turns, two days on, two days off;
- buyers come more at lunch and in the evening (to the kiosk by the metro, in the morning), on
  Fridays and at weekends, on the eve of public holidays, and most in late December; fewer on New
  Year's Day; some products sell by season (mandarins in winter, ice cream in summer);
- 1–6 lines a receipt, fruit, vegetables and cheese weighed; bread marked down after 20:00, a
  loyalty discount now and then; about 60 % paid by card; about 3 % of the sales come back (a line
  or all of it) within two weeks, paid back as they were paid;
- cash goes to the safe (инкассация) when the drawer fills up, change comes in now and then.

The drives exist only to sign the history. They live in a temporary folder, on tmpfs (/dev/shm)
where the system has one, and are deleted afterwards: a drive fsyncs every document it signs and
every acknowledgement it takes (its durability is left as it is for real registers), and a year
is tens of thousands of them, which on a disk would take minutes instead of seconds.
"""

from __future__ import annotations

import logging
import os
import random
import secrets
import tempfile
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from openkassa.accounts import service as accounts
from openkassa.accounts.models import Account, User
from openkassa.accounts.plans import Plan
from openkassa.accounts.schemas import SignUpIn
from openkassa.catalog import service as catalog
from openkassa.catalog.schemas import ProductIn
from openkassa.config import get_settings
from openkassa.db import Database, utcnow
from openkassa.fiscal import documents as fiscal
from openkassa.fiscal.arithmetic import line_amount, round_down
from openkassa.fiscal.drive import SoftwareDrive
from openkassa.fiscal.enums import SettlementType, Unit, VatRate
from openkassa.fiscal.enums import TaxSystem as FiscalTaxSystem
from openkassa.fiscal.ofd import Acknowledgement
from openkassa.points import service as points
from openkassa.points.models import Device, RetailPoint
from openkassa.points.schemas import (
    ActivateIn,
    CashierIn,
    CatalogChoice,
    DeviceInfo,
    DeviceStatusIn,
    NewPointIn,
    TaxSystem,
)
from openkassa.protocol import documents as protocol
from openkassa.register import sale
from openkassa.sales import service as sales

log = logging.getLogger(__name__)

DAYS = 365
"""Days of sales the demo makes by default: a year, ending today."""

COMPANY = "ООО «Ромашка»"
INN = "7707083893"
ROUNDING = 10  # kopecks: the demo points round a sale's total down to 10 kopecks, in the buyer's favour
FLOAT = 500_000  # cash left in the drawer for the next shift
BANK_ABOVE = 2_000_000  # cash in the drawer above which the afternoon's excess goes to the safe
APP_VERSION = "0.1.0"


@dataclass(frozen=True)
class DemoProduct:
    """A product of the demo catalog and how it sells."""

    name: str
    barcode: str
    price: int  # kopecks, per kilogram for a weighed product
    cost_price: int
    vat: VatRate
    grams: tuple[int, int] | None = None  # weighed: how much a buyer takes, from–to
    shop: float = 1.0  # how often it is bought in the shops …
    kiosk: float = 1.0  # … and in the kiosk by the metro
    season: tuple[float, ...] = (1.0,) * 12  # January … December

    @property
    def by_weight(self) -> bool:
        return self.grams is not None


_WINTER = (4.0, 1.5, 0.4, 0.2, 0.1, 0.1, 0.1, 0.1, 0.2, 0.5, 2.5, 7.0)
_SUMMER = (0.3, 0.4, 0.6, 1.0, 2.0, 3.5, 4.0, 3.5, 1.5, 0.7, 0.4, 0.3)
_GIFTS = (0.8, 2.0, 2.5, 0.8, 0.8, 0.7, 0.7, 0.8, 1.0, 1.0, 1.2, 3.0)
_NEW_YEAR = (0.3, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.1, 2.0, 12.0)
_HOT_DRINKS = (1.3, 1.2, 1.1, 1.0, 0.8, 0.7, 0.7, 0.8, 1.0, 1.1, 1.2, 1.3)
_COLD_DRINKS = (0.7, 0.7, 0.8, 1.0, 1.3, 1.8, 2.0, 1.8, 1.1, 0.9, 0.8, 0.8)

PRODUCTS = [
    DemoProduct("Хлеб «Бородинский», 400 г", "4600000000015", 6490, 4200, VatRate.VAT_10, shop=9, kiosk=5),
    DemoProduct("Молоко 3,2%, 1 л", "4600000000022", 8990, 6500, VatRate.VAT_10, shop=10, kiosk=5),
    DemoProduct("Кефир 2,5%, 930 мл", "4600000000039", 9450, 6900, VatRate.VAT_10, shop=5, kiosk=3),
    DemoProduct("Сыр «Российский», 1 кг", "4600000000046", 69900, 52000, VatRate.VAT_10, grams=(150, 600), shop=4, kiosk=0.3),
    DemoProduct("Кофе молотый, 250 г", "4600000000053", 42900, 29000, VatRate.VAT_22, shop=2.5, kiosk=1, season=_HOT_DRINKS),
    DemoProduct("Чай чёрный, 100 пакетиков", "4600000000060", 25900, 17500, VatRate.VAT_22, shop=2.5, kiosk=1, season=_HOT_DRINKS),
    DemoProduct("Шоколад молочный, 90 г", "4600000000077", 11990, 7800, VatRate.VAT_22, shop=6, kiosk=8, season=_GIFTS),
    DemoProduct("Вода питьевая, 1,5 л", "4600000000084", 5490, 3100, VatRate.VAT_22, shop=6, kiosk=12, season=_COLD_DRINKS),
    DemoProduct("Яблоки «Гала», 1 кг", "", 17990, 11500, VatRate.VAT_10, grams=(400, 2000), shop=6, kiosk=1),
    DemoProduct("Пакет-майка", "4600000000091", 900, 300, VatRate.VAT_22, shop=8, kiosk=4),
    DemoProduct("Батон нарезной, 400 г", "4600000000107", 4290, 2800, VatRate.VAT_10, shop=8, kiosk=6),
    DemoProduct("Яйца куриные С1, 10 шт", "4600000000114", 11990, 8900, VatRate.VAT_10, shop=5, kiosk=1),
    DemoProduct("Сок апельсиновый, 1 л", "4600000000121", 15990, 10900, VatRate.VAT_22, shop=3, kiosk=3),
    DemoProduct("Печенье овсяное, 300 г", "4600000000138", 9990, 6300, VatRate.VAT_22, shop=3, kiosk=3),
    DemoProduct("Конфеты «Ассорти», 250 г", "4600000000145", 39900, 24900, VatRate.VAT_22, shop=1.2, kiosk=0.8, season=_GIFTS),
    DemoProduct("Мороженое «Пломбир», 80 г", "4600000000152", 8990, 5200, VatRate.VAT_22, shop=2, kiosk=5, season=_SUMMER),
    DemoProduct("Гирлянда светодиодная, 5 м", "4600000000169", 59900, 31000, VatRate.VAT_22, shop=0.4, kiosk=0.3, season=_NEW_YEAR),
    DemoProduct("Бананы, 1 кг", "", 14990, 9800, VatRate.VAT_10, grams=(500, 2000), shop=6, kiosk=2),
    DemoProduct("Мандарины, 1 кг", "", 22990, 14500, VatRate.VAT_10, grams=(500, 2500), shop=2, kiosk=1, season=_WINTER),
    DemoProduct("Огурцы, 1 кг", "", 19990, 12900, VatRate.VAT_10, grams=(300, 1200), shop=3, kiosk=0.2),
]


@dataclass(frozen=True)
class DemoCashier:
    name: str
    pin: str
    points: tuple[str, ...]  # keys of POINTS
    rights: bool = True  # returns, discounts, the cash drawer


CASHIERS = [
    DemoCashier("Иванова Мария", "1111", ("shop", "kiosk")),
    DemoCashier("Сидоров Пётр", "2222", ("kazan",), rights=False),
    DemoCashier("Кузнецова Ольга", "3333", ("shop",)),
    DemoCashier("Смирнов Алексей", "4444", ("shop",)),
    DemoCashier("Морозова Анна", "5555", ("shop",)),
    DemoCashier("Попова Елена", "6666", ("kiosk",)),
    DemoCashier("Волков Дмитрий", "7777", ("kiosk", "shop")),
]


@dataclass(frozen=True)
class DemoPoint:
    name: str
    address: str
    timezone: str
    hours: tuple[int, int]  # opening hours, from–to (local)
    traffic: tuple[int, ...]  # how busy each hour of them is, relative


POINTS = {
    "shop": DemoPoint("Магазин на Тверской", "Москва, ул. Тверская, д. 7", "Europe/Moscow", (8, 22),
                      (3, 5, 6, 7, 9, 9, 7, 6, 7, 9, 12, 11, 8, 4)),
    "kiosk": DemoPoint("Киоск у метро", "Москва, Комсомольская пл., д. 3", "Europe/Moscow", (7, 21),
                       (9, 12, 8, 5, 5, 6, 5, 5, 6, 10, 12, 9, 6, 3)),
    "kazan": DemoPoint("Магазин в Казани", "Казань, ул. Баумана, д. 15", "Europe/Moscow", (9, 21),
                       (4, 5, 6, 8, 8, 6, 6, 7, 9, 10, 8, 5)),
}


@dataclass(frozen=True)
class DemoRegister:
    name: str
    point: str
    receipts: int  # on an ordinary day (a Thursday in May)
    cashiers: tuple[str, str]  # two days on, two days off each
    busy_days_only: bool = False  # opens only when the day is busier than usual (`day_factor`)


# Two registers in the central shop, one in the kiosk, none yet in Kazan (its code waits). The
# volume (some 14 000 receipts a year) is what takes about 35 seconds of one core to sign and take
# in: `make run` makes it on a fresh machine.
REGISTERS = [
    DemoRegister("Касса 1", "shop", 18, ("Иванова Мария", "Кузнецова Ольга")),
    DemoRegister("Касса 2", "shop", 12, ("Смирнов Алексей", "Морозова Анна"), busy_days_only=True),
    DemoRegister("Касса 3", "kiosk", 14, ("Попова Елена", "Волков Дмитрий")),
]
BUSY_DAY = 1.1

WEEKDAYS = (0.86, 0.9, 0.93, 0.97, 1.15, 1.32, 1.18)  # Monday … Sunday
MONTHS = (0.85, 0.9, 0.95, 0.95, 1.0, 1.0, 0.95, 0.98, 1.0, 1.0, 1.05, 1.2)  # January … December
HOLIDAYS = frozenset({(1, 1), (1, 2), (1, 3), (1, 4), (1, 5), (1, 6), (1, 7), (1, 8), (2, 23), (3, 8), (5, 1),
                      (5, 9), (6, 12), (11, 4)})
LINES = (1, 2, 3, 4, 5, 6)
LINE_WEIGHTS = (34, 25, 17, 12, 7, 5)
CARD_SHARE = 0.6
RETURN_SHARE = 0.03
RETURN_WITHIN = timedelta(days=14)
UPLOAD_EVERY = timedelta(days=7)  # the history is uploaded in big batches, but never later than this


def day_factor(day: date) -> float:
    """How busy a day is against an ordinary one: weekday, month, holidays and their eves, New Year."""
    factor = WEEKDAYS[day.weekday()] * MONTHS[day.month - 1]
    following = day + timedelta(days=1)
    if (day.month, day.day) == (1, 1):
        factor *= 0.45
    elif (day.month, day.day) in HOLIDAYS:
        factor *= 0.85
    elif (following.month, following.day) in HOLIDAYS:
        factor *= 1.35
    if day.month == 12 and day.day >= 24:
        factor *= 1 + (day.day - 23) * 0.08  # the last week of the year: up to +64 % on the 31st
    return factor


@dataclass
class History:
    """What `create` made: documents by kind and what the server did with them."""

    days: int = 0
    documents: int = 0
    receipts: int = 0
    returns: int = 0
    shifts: int = 0
    cash_operations: int = 0
    revenue: int = 0  # kopecks, sales − returns
    statuses: Counter = field(default_factory=Counter)  # accepted, quarantined, rejected
    problems: list[str] = field(default_factory=list)  # the reasons of the first few not accepted


def database_is_empty(session: Session) -> bool:
    return not session.scalar(select(exists().where(Account.id.is_not(None))))


def account_exists(session: Session, *, email: str) -> bool:
    return session.scalar(select(exists().where(User.email == email.lower()))) or False


def create(db: Database, *, email: str, password: str, days: int = DAYS, until: datetime | None = None,
           secret_key: str | None = None, drives_dir: str | os.PathLike[str] | None = None) -> History:
    """Sign up a confirmed owner on the Standard plan, fill the account, bind three registers, and
    make `days` days of their sales ending at `until` (now by default; the day in progress stops
    there, its shift still open). `secret_key` is the site's (it signs the OFD's acknowledgements);
    `drives_dir` is where the drives are made and deleted (a temporary folder by default).

    Registers are bound as real ones are: each in its own transaction after the account exists.
    """
    if days < 0:
        raise ValueError("days must not be negative")
    with db.transaction(immediate=True) as session:
        account = _fill_account(session, email=email, password=password)
    bound = []
    for number, plan in enumerate(REGISTERS, start=1):
        point_id = account.points[plan.point]
        with db.transaction(immediate=True) as session:
            actor = accounts.actor_of(session, user_id=account.owner_id)
            code = points.new_activation_code(session, actor, point_id=point_id).code
        with db.transaction(immediate=True) as session:
            device, _point, _token = points.activate_device(
                session,
                data=ActivateIn(code=code, device=DeviceInfo(name=plan.name, app_version=APP_VERSION,
                                                             serial=f"DEMO-{number:04d}")),
                ip="demo",
            )
            bound.append((plan, device.id, point_id))
    history = History(days=days)
    if days:
        key = sales.ofd_key(secret_key if secret_key is not None else get_settings().secret_key)
        _make_history(db, account, bound, days=days, until=until or utcnow(), ofd_key=key, history=history,
                      drives_dir=drives_dir)
    return history


# --- the account ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Account:
    owner_id: uuid.UUID
    points: dict[str, uuid.UUID]
    cashiers: dict[str, uuid.UUID]
    products: list[tuple[DemoProduct, uuid.UUID]]  # of the shop's catalog, which the kiosk shares


def _fill_account(session: Session, *, email: str, password: str) -> _Account:
    """The account, its points, products and cashiers."""
    owner = accounts.sign_up(
        session,
        data=SignUpIn(company_name=COMPANY, name="Анна Петрова", phone="+7 900 123-45-67",
                      email=email, password=password),
        ip="demo",
    )
    owner.email_confirmed_at = utcnow()
    session.get_one(Account, owner.account_id).plan = Plan.STANDARD  # what most shops buy; integrations included
    session.flush()
    actor = accounts.actor_of(session, user_id=owner.id)

    def point(key: str, catalog_choice=CatalogChoice.NEW, source=None) -> RetailPoint:
        spec = POINTS[key]  # the first shop also takes an online shop's documents, to try the API at once
        return points.create_point(
            session, actor,
            data=NewPointIn(
                name=spec.name, address=spec.address, inn=INN, timezone=spec.timezone,
                tax_systems=[TaxSystem.USN_INCOME, TaxSystem.PATENT], default_tax_system=TaxSystem.USN_INCOME,
                rounding=ROUNDING, receipt_footer="Спасибо за покупку!", catalog=catalog_choice,
                catalog_source_point_id=source, allow_deferred_receipts=True, carry_over_cash=True,
                online_shop=key == "shop",
            ),
        )

    shop = point("shop")
    products = []
    for product in PRODUCTS:
        card = catalog.create_product(session, actor, shop.catalog_id, ProductIn(
            name=product.name, price=product.price, cost_price=product.cost_price, vat=product.vat,
            barcodes=[product.barcode] if product.barcode else [],
            unit=Unit.KILOGRAM if product.by_weight else Unit.PIECE, by_weight=product.by_weight))
        products.append((product, card.product.id))
    session.flush()
    kiosk = point("kiosk", CatalogChoice.SHARED, shop.id)
    kazan = point("kazan", CatalogChoice.COPY, shop.id)
    ids = {"shop": shop.id, "kiosk": kiosk.id, "kazan": kazan.id}

    cashiers = {}
    for cashier in CASHIERS:
        cashiers[cashier.name] = points.create_cashier(session, actor, data=CashierIn(
            name=cashier.name, pin=cashier.pin, point_ids=[ids[key] for key in cashier.points],
            can_return=cashier.rights, can_discount=cashier.rights, can_cash_drawer=cashier.rights)).id
    return _Account(owner.id, ids, cashiers, products)


# --- the history ---------------------------------------------------------------------------------------


def _make_history(db: Database, account: _Account, bound: list[tuple[DemoRegister, uuid.UUID, uuid.UUID]], *,
                  days: int, until: datetime, ofd_key: bytes, history: History,
                  drives_dir: str | os.PathLike[str] | None) -> None:
    log.info("demo: making %d days of sales of %d registers (half a minute for a year)", days, len(bound))
    with tempfile.TemporaryDirectory(prefix="openkassa-demo-drives-", dir=drives_dir or _scratch_dir()) as folder:
        registers = []
        try:
            for index, (plan, device_id, point_id) in enumerate(bound):
                registers.append(_Register(db, plan, device_id=device_id, point_id=point_id, account=account,
                                           drive_path=Path(folder) / f"drive-{index + 1}.db", ofd_key=ofd_key,
                                           rng=random.Random(f"openkassa demo {index}"), history=history))
            for register in registers:
                register.begin(days=days, until=until)
            for offset in range(days):
                for register in registers:
                    register.work_day(offset)
            for register in registers:
                register.finish()
        finally:
            for register in registers:
                register.drive.close()
    accepted = history.statuses["accepted"]
    if accepted != history.documents:
        log.warning("demo: of %d documents the server accepted %d (%s); first problems: %s", history.documents,
                    accepted, dict(history.statuses), history.problems)


def _scratch_dir() -> str | None:
    """tmpfs where the system has one (the drives' fsyncs cost nothing there), else the usual temporary folder."""
    shm = "/dev/shm"
    return shm if os.path.isdir(shm) and os.access(shm, os.W_OK | os.X_OK) else None


class _Register:
    """One demo register: its drive, its clock, its drawer and its outbox; sells day after day."""

    def __init__(self, db: Database, plan: DemoRegister, *, device_id: uuid.UUID, point_id: uuid.UUID,
                 account: _Account, drive_path: Path, ofd_key: bytes, rng: random.Random, history: History):
        self.db, self.plan, self.rng, self.history = db, plan, rng, history
        self.device_id, self.point_id, self.ofd_key = device_id, point_id, ofd_key
        self.spec = POINTS[plan.point]
        self.zone = ZoneInfo(self.spec.timezone)
        self.products = account.products
        self.cashiers = [(name, account.cashiers[name]) for name in plan.cashiers]
        self.kiosk = plan.point == "kiosk"
        self.drive_path = drive_path
        self.drive: SoftwareDrive | None = None
        self.clock = datetime(2000, 1, 1)  # local, naive: the drive's time
        self.outbox: list[dict] = []
        self.waiting_since = self.clock  # when the oldest document of the outbox was made
        self.drawer = 0
        self.carried = FLOAT
        self.shift = 0
        self.recent: list[tuple[protocol.Receipt, str]] = []  # sales that may come back, with how they were paid
        self._choices: dict[int, tuple[list[int], list[float]]] = {}
        first, last = self.spec.hours
        self._hours = list(range(first, last))
        self._hour_weights = _cumulative(self.spec.traffic)

    # --- the drive and the outbox -----------------------------------------------------------------------

    def begin(self, *, days: int, until: datetime) -> None:
        """Make and register the drive the evening before the first day; tell the server its key."""
        self.until = until.astimezone(self.zone).replace(tzinfo=None)
        self.first_day = self.until.date() - timedelta(days=days - 1)
        self.clock = datetime.combine(self.first_day - timedelta(days=1), time(19, 0))
        self.drive = SoftwareDrive.create(self.drive_path, clock=lambda: self.clock)  # a random serial and key
        spec = self.spec
        report = fiscal.RegistrationReport(  # as `register.till.Till.ensure_drive` registers a new drive
            kkt_serial=f"{secrets.randbelow(10**14):014d}", kkt_version="1.0", cashier="Администратор",
            tax_systems=FiscalTaxSystem.USN_INCOME | FiscalTaxSystem.PATENT, key_resource_days=0,
            ofd_inn=INN, ofd_name="OpenKassa")
        registration = self.drive.register(report, registration_number=f"{secrets.randbelow(10**16):016d}",
                                           user_inn=INN, user=COMPANY, address=spec.address, place=spec.name)
        self.registration_number = registration.stamp.registration_number
        with self.db.transaction(immediate=True) as session:
            sales.register_drive(session, device=session.get_one(Device, self.device_id),
                                 data=protocol.DriveKey(fn_serial=self.drive.serial, key=self.drive.key()))
        self._queue(protocol.FiscalReport(id=uuid.uuid4(), made_at=self._made_at(), fiscal=registration.to_bytes()))

    def _queue(self, document: protocol.BaseModel) -> None:
        if not self.outbox:
            self.waiting_since = self.clock
        self.outbox.append(document.model_dump(mode="json"))
        self.history.documents += 1

    def upload(self, everything: bool = False) -> None:
        """Send the outbox in batches of up to 500, as the register's sync does, and give the drive the
        OFD's acknowledgements: the full batches, and all of it once it has waited `UPLOAD_EVERY` (the
        drive stops selling when the OFD has not acknowledged a document for 30 days) or if asked."""
        everything = everything or (self.outbox and self.clock - self.waiting_since >= UPLOAD_EVERY)
        while len(self.outbox) >= protocol.MAX_DOCUMENTS or (everything and self.outbox):
            batch, self.outbox = self.outbox[:protocol.MAX_DOCUMENTS], self.outbox[protocol.MAX_DOCUMENTS:]
            with self.db.transaction(immediate=True) as session:
                results = sales.ingest(session, device=session.get_one(Device, self.device_id),
                                       point=session.get_one(RetailPoint, self.point_id), documents=batch,
                                       ofd_key=self.ofd_key)
            for result in results:
                self.history.statuses[result.status] += 1
                if result.status != "accepted" and len(self.history.problems) < 5:
                    self.history.problems.append(f"{result.status}: {result.reason}")
                if result.ofd is not None:
                    ofd = result.ofd
                    self.drive.acknowledge(Acknowledgement(
                        fn_serial=ofd.fn_serial, document_number=ofd.document_number, received_at=ofd.received_at,
                        operator_sign=ofd.operator_sign, code=ofd.code))

    def finish(self) -> None:
        """Upload the rest and report the register's state, as its heartbeat would."""
        self.upload(everything=True)
        status = self.drive.status()
        report = DeviceStatusIn(
            app_version=APP_VERSION, fn_serial=self.drive.serial, kkt_reg_number=self.registration_number,
            unsent_documents=status.unsent_count, last_ofd_exchange_at=utcnow(),
            oldest_unsent_at=(status.first_unsent_date.replace(tzinfo=self.zone).astimezone(UTC)
                              if status.first_unsent_date else None))
        with self.db.transaction(immediate=True) as session:
            points.report_device_status(session, device=session.get_one(Device, self.device_id), data=report)

    def _made_at(self) -> datetime:
        return self.clock.replace(tzinfo=self.zone).astimezone(UTC)

    # --- a day ------------------------------------------------------------------------------------------

    def work_day(self, offset: int) -> None:
        """The register's day: open the shift, sell, take returns, move cash, count and close; then
        upload what the outbox holds, as the sync would."""
        day = self.first_day + timedelta(days=offset)
        self.clock = max(self.clock, datetime.combine(day, time()))
        self._work(day)
        self.upload()

    def _work(self, day: date) -> None:
        rng = self.rng
        first, last = self.spec.hours
        opening = datetime.combine(day, time(first)) - timedelta(minutes=rng.randint(5, 20), seconds=rng.randrange(60))
        closing = datetime.combine(day, time(last)) + timedelta(minutes=rng.randint(3, 25), seconds=rng.randrange(60))
        cashier = self.cashiers[(day.toordinal() // 2) % 2]
        busy = day_factor(day)
        expected = self.plan.receipts * busy * rng.gauss(1, 0.08)
        events = [(datetime.combine(day, time(hour)) + timedelta(seconds=rng.randrange(3600)), "sale")
                  for hour in rng.choices(self._hours, cum_weights=self._hour_weights, k=max(1, round(expected)))]
        if rng.random() < 0.1:  # change brought from the safe
            events.append((datetime.combine(day, time(rng.randint(first + 1, last - 2), rng.randrange(60))), "change"))
        if rng.random() < 0.06:  # paid out of the drawer
            events.append((datetime.combine(day, time(rng.randint(first + 1, last - 2), rng.randrange(60))), "expense"))
        since = self._aware(opening) - RETURN_WITHIN
        self.recent = [(receipt, paid) for receipt, paid in self.recent if receipt.made_at > since]
        if (self.plan.busy_days_only and busy < BUSY_DAY) or not self._at(opening):
            return
        self._open_shift(cashier)
        banked = False
        for moment, what in sorted(events):
            if not self._at(moment):
                return  # the history ends in the middle of the day: the shift stays open
            if what == "change":
                self._cash(cashier, "in", rng.choice((200_000, 300_000, 500_000)), "Размен из сейфа")
            elif what == "expense":
                amount = rng.choice((25_000, 50_000, 80_000, 120_000))
                if amount <= self.drawer:
                    self._cash(cashier, "out", amount, rng.choice(("Хозяйственные нужды", "Оплата доставки воды")))
            elif self.recent and rng.random() < RETURN_SHARE:
                self._return(cashier)
            else:
                self._sell(cashier, moment)
                if not banked and moment.hour >= 14 and self.drawer > BANK_ABOVE:
                    self._cash(cashier, "out", (self.drawer - FLOAT) // 100_000 * 100_000, "Инкассация")
                    banked = True
        if self._at(closing):
            self._close_shift(cashier)

    def _at(self, moment: datetime) -> bool:
        """Move the clock to `moment`; False when that is past the end of the history."""
        if moment > self.until:
            return False
        self.clock = max(self.clock, moment)
        return True

    def _aware(self, local: datetime) -> datetime:
        return local.replace(tzinfo=self.zone).astimezone(UTC)

    def _open_shift(self, cashier: tuple[str, uuid.UUID]) -> None:
        name, cashier_id = cashier
        report = self.drive.open_shift(cashier=name)
        self.shift = report.stamp.shift
        self.history.shifts += 1
        self._queue(protocol.ShiftOpen(id=uuid.uuid4(), made_at=self._made_at(), cashier_id=cashier_id,
                                       shift=self.shift, cash=self.carried, fiscal=report.to_bytes()))
        self.drawer = 0
        if self.carried:  # the opening cash goes into the drawer as a cash-in, as the till records it
            self._cash(cashier, "in", self.carried, "Остаток на начало смены", counted=False)

    def _close_shift(self, cashier: tuple[str, uuid.UUID]) -> None:
        name, cashier_id = cashier
        counted, chance = self.drawer, self.rng.random()
        if chance < 0.03 and counted > 20_000:
            counted -= self.rng.choice((1_000, 5_000, 10_000, 20_000))  # a little short
        elif chance < 0.04:
            counted += self.rng.choice((1_000, 5_000))  # a little over
        report = self.drive.close_shift(cashier=name)
        self.carried = min(counted, FLOAT)
        self._queue(protocol.ShiftClose(id=uuid.uuid4(), made_at=self._made_at(), cashier_id=cashier_id,
                                        shift=self.shift, counted_cash=counted, carried_over=self.carried,
                                        fiscal=report.to_bytes()))

    def _cash(self, cashier: tuple[str, uuid.UUID], kind: str, amount: int, reason: str, counted: bool = True) -> None:
        name, cashier_id = cashier
        document_id = uuid.uuid4()
        (self.drive.cash_in if kind == "in" else self.drive.cash_out)(amount, cashier=name, request_id=str(document_id))
        self.drawer += amount if kind == "in" else -amount
        if counted:
            self.history.cash_operations += 1
        self._queue(protocol.CashOperation(id=document_id, made_at=self._made_at(), cashier_id=cashier_id,
                                           shift=self.shift, kind=kind, amount=amount, reason=reason))

    # --- receipts ---------------------------------------------------------------------------------------

    def _sell(self, cashier: tuple[str, uuid.UUID], moment: datetime) -> None:
        rng = self.rng
        lines = []
        taken: set[uuid.UUID] = set()
        choices, weights = self._weights(moment.month)
        for _attempt in range(rng.choices(LINES, weights=LINE_WEIGHTS)[0]):
            index = rng.choices(choices, cum_weights=weights)[0]
            product, product_id = self.products[index]
            if product_id in taken:
                continue
            taken.add(product_id)
            if product.grams:
                quantity = rng.randint(*product.grams)  # grams: thousandths of a kilogram
            else:
                quantity = 1000 * rng.choices((1, 2, 3), weights=(80, 15, 5))[0]
            discount = 0
            if moment.hour >= 20 and product.name.startswith(("Хлеб", "Батон")):
                discount = line_amount(product.price, quantity) * 30 // 100  # the evening mark-down
            lines.append(sale.CartLine(product_id=product_id, name=product.name, price=product.price, quantity=quantity,
                                       vat=product.vat, unit=Unit.KILOGRAM if product.grams else Unit.PIECE,
                                       discount=discount))
        subtotal = sum(line_amount(line.price, line.quantity) - line.discount for line in lines)
        receipt_discount = subtotal * 5 // 100 if not self.kiosk and rng.random() < 0.08 else 0  # a loyalty card
        total = round_down(subtotal - receipt_discount, ROUNDING)
        if rng.random() < CARD_SHARE:
            tenders, paid = [sale.Tender("card", total, reference=f"{rng.randrange(10**6):06d}")], "card"
        else:
            tenders, paid = [sale.Tender("cash", _banknotes(total, rng))], "cash"
        receipt = self._receipt(cashier, lines, tenders, SettlementType.SALE, receipt_discount=receipt_discount)
        if paid == "cash":
            self.drawer += receipt.total
        self.recent.append((receipt, paid))
        self.history.receipts += 1
        self.history.revenue += receipt.total

    def _return(self, cashier: tuple[str, uuid.UUID]) -> None:
        """A buyer brings back a line (or the whole receipt) of a recent sale; paid back as it was paid."""
        rng = self.rng
        index = rng.randrange(len(self.recent))
        original, paid = self.recent[index]
        chosen = range(len(original.lines)) if rng.random() < 0.3 else [rng.randrange(len(original.lines))]
        lines = []
        for position in chosen:
            line = original.lines[position]
            want = line.quantity
            if line.quantity > 1000 and line.quantity % 1000 == 0 and rng.random() < 0.5:
                want = 1000  # one of several pieces
            amount = line.amount if want == line.quantity else line.amount * want // line.quantity
            product = self._product(line.product_id)
            lines.append(sale.CartLine(product_id=line.product_id, name=line.name, price=line.price, quantity=want,
                                       vat=VatRate(line.vat), unit=Unit.KILOGRAM if product.grams else Unit.PIECE,
                                       discount=line_amount(line.price, want) - amount, origin=position))
        total = sum(line_amount(line.price, line.quantity) - line.discount for line in lines)
        if paid == "cash" and total > self.drawer:
            return self._sell(cashier, self.clock)  # not enough cash to pay back: the buyer buys something instead
        del self.recent[index]
        tenders = [sale.Tender(paid, total)] if total else []
        receipt = self._receipt(cashier, lines, tenders, SettlementType.SALE_RETURN, original_id=original.id)
        if paid == "cash":
            self.drawer -= receipt.total
        self.history.returns += 1
        self.history.revenue -= receipt.total

    def _receipt(self, cashier: tuple[str, uuid.UUID], lines: list[sale.CartLine], tenders: list[sale.Tender],
                 settlement: SettlementType, *, receipt_discount: int = 0,
                 original_id: uuid.UUID | None = None) -> protocol.Receipt:
        name, cashier_id = cashier
        document_id = uuid.uuid4()
        closed = sale.close(lines, tenders, tax_system=FiscalTaxSystem.USN_INCOME, settlement=settlement,
                            receipt_discount=receipt_discount,
                            rounding=ROUNDING if settlement is SettlementType.SALE else 0, cashier=name)
        signed = self.drive.receipt(closed.draft)
        # The bytes as the drive archived them (what `sale.document` would encode again from `signed`).
        receipt = sale.document(closed, None, id=document_id, made_at=self._made_at(), shift=self.shift,
                                cashier_id=cashier_id, original_id=original_id
                                ).model_copy(update={"fiscal": self.drive.document(signed.stamp.document_number)})
        self._queue(receipt)
        return receipt

    def _weights(self, month: int) -> tuple[list[int], list[float]]:
        """The products and how likely each is to be bought this month here (cumulative weights)."""
        if month not in self._choices:
            weights = [(product.kiosk if self.kiosk else product.shop) * product.season[month - 1]
                       for product, _id in self.products]
            self._choices[month] = (list(range(len(self.products))), _cumulative(weights))
        return self._choices[month]

    def _product(self, product_id: uuid.UUID | None) -> DemoProduct:
        return next(product for product, known in self.products if known == product_id)


def _cumulative(weights) -> list[float]:
    total, running = 0.0, []
    for weight in weights:
        total += weight
        running.append(total)
    return running


def _banknotes(total: int, rng: random.Random) -> int:
    """What a buyer hands over for `total` kopecks: the exact sum, or the next round sum of some note."""
    step = rng.choices((1, 1_000, 5_000, 10_000, 50_000, 100_000, 500_000), weights=(25, 10, 10, 25, 15, 12, 3))[0]
    return max(-(-total // step) * step, total)
