"""Every dashboard figure equals a naive recomputation from the raw receipts.

Random sales, returns and corrections are made by real software drives at two points eight hours
apart (Moscow and Vladivostok), at random moments of the last two hundred days with the day boundaries
(00:00:00, 23:59:59) and the hours around midnight UTC favoured, and uploaded the way registers
do. Then, for random periods, for each point and for all points, every block of the dashboard is
compared with what a plain loop over the accepted receipts of the database finds. The drives of
each example are new; the account keeps what earlier examples uploaded, so the rollups are also
checked as they grow.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from openkassa.accounts.models import User
from openkassa.accounts.service import actor_of
from openkassa.catalog.schemas import ProductIn
from openkassa.catalog.service import create_product
from openkassa.fiscal.arithmetic import line_amount
from openkassa.fiscal.drive import SoftwareDrive
from openkassa.fiscal.ofd import Acknowledgement
from openkassa.fiscal.enums import SettlementType, VatRate
from openkassa.protocol import documents as protocol
from openkassa.register import sale
from openkassa.sales.models import ReceiptLine, SalesDocument
from openkassa.stats import service
from openkassa.stats.schemas import DrillIn
from fiscal.drives import register as register_drive
from sales.conftest import Till

ZONES = ("Europe/Moscow", "Asia/Vladivostok")
PRODUCTS = [("Хлеб", 4500, 3000), ("Молоко", 8990, 6100), ("Сыр, кг", 69900, 52000), ("Кофе", 42900, 50000)]


@dataclass
class Shop:
    """The account under test: its points, products (with cost prices), cashiers and an actor."""

    points: list[dict]
    products: list[tuple[uuid.UUID, str, int, int]]  # id, name, price, cost price
    cashiers: list[uuid.UUID]
    actor_of: object
    drives: int = 0


@pytest.fixture
def shop(api, new_point, db) -> Shop:
    points = [new_point(name=f"Магазин {n}", timezone=zone) for n, zone in enumerate(ZONES, start=1)]
    # the second point shares nothing with the first: its own catalog
    with db.transaction() as session:
        owner = session.scalars(select(User.id).where(User.email == "owner@shop.ru")).one()
        actor = actor_of(session, user_id=owner)
        products = []
        for name, price, cost in PRODUCTS:
            for point in points:
                card = create_product(session, actor, uuid.UUID(point["catalog_id"]),
                                      ProductIn(name=name, price=price, cost_price=cost))
                products.append((card.product.id, name, price, cost))
    cashiers = [uuid.UUID(api.post("/api/v1/cashiers", {"name": name, "pin": pin, "point_ids": [p["id"] for p in points]}).json()["id"])
                for name, pin in (("Иванова А.", "1111"), ("Петров Б.", "2222"))]

    def acting():
        session = Session(db.engine)
        return session, actor_of(session, user_id=owner)

    return Shop(points, products, cashiers, acting)


# --- what happens at the tills -------------------------------------------------------------------


@dataclass(frozen=True)
class Operation:
    point: int
    days_ago: int
    second: int  # of the local day
    kind: str  # sale, return, correction_sale, correction_return
    cashier: int | None
    lines: tuple[tuple[int | None, int, int], ...]  # product index (None: free price), quantity, discount
    card_share: int  # of 4: how much of the total goes by card


_moments = st.one_of(st.sampled_from([0, 59, 3600 * 3 - 1, 3600 * 3, 3600 * 10, 86399]),
                     st.integers(min_value=0, max_value=86399))
_lines = st.lists(st.tuples(st.one_of(st.none(), st.integers(0, len(PRODUCTS) - 1)),
                            st.sampled_from([1000, 2000, 1500, 250]), st.sampled_from([0, 0, 100, 999])),
                  min_size=1, max_size=3)
operations = st.lists(st.builds(
    Operation, point=st.integers(0, 1), days_ago=st.one_of(st.integers(0, 59), st.integers(0, 199)), second=_moments,
    kind=st.sampled_from(["sale"] * 6 + ["return", "correction_sale", "correction_return"]),
    cashier=st.one_of(st.none(), st.integers(0, 1)), lines=_lines.map(tuple), card_share=st.integers(0, 4)),
    min_size=1, max_size=14)


class ClockedTill(Till):
    """A till whose drive's clock is set to each operation's moment."""

    def __init__(self, register, drive, clock, zone):
        super().__init__(register, drive)
        self.clock, self.zone, self.opened_at = clock, zone, None

    def at(self, moment: datetime) -> None:
        self.clock[0] = moment.astimezone(self.zone).replace(tzinfo=None)

    def now(self) -> datetime:
        return self.clock[0].replace(tzinfo=self.zone)


def make_till(shop: Shop, point: dict, new_register, fresh_code, tmp_path, first: datetime) -> ClockedTill:
    register = new_register()
    assert register.activate(fresh_code(point["id"])).status_code == 201
    zone = ZoneInfo(point["timezone"])
    clock = [first.astimezone(zone).replace(tzinfo=None)]
    shop.drives += 1
    drive = SoftwareDrive.create(tmp_path / f"drive-{shop.drives}.db", clock=lambda: clock[0])
    register_drive(drive)
    till = ClockedTill(register, drive, clock, zone)
    assert till.tell_key().status_code == 200
    return till


def run(shop: Shop, ops: list[Operation], new_register, fresh_code, tmp_path) -> None:
    today = {index: datetime.now(ZoneInfo(point["timezone"])).date() for index, point in enumerate(shop.points)}
    timed = sorted(((datetime.combine(today[op.point] - timedelta(days=op.days_ago), time(), ZoneInfo(shop.points[op.point]["timezone"]))
                     + timedelta(seconds=op.second), n, op) for n, op in enumerate(ops)), key=lambda item: item[:2])
    now = datetime.now(UTC)
    tills: dict[int, ClockedTill] = {}
    pending: dict[int, list] = defaultdict(list)  # documents not yet uploaded, with the moment of the first
    for moment, _n, op in timed:
        moment = min(moment, now - timedelta(seconds=1))
        if op.point not in tills:
            tills[op.point] = make_till(shop, shop.points[op.point], new_register, fresh_code, tmp_path, moment)
            registration = tills[op.point].drive.document(1)
            pending[op.point].append((moment, protocol.FiscalReport(id=uuid.uuid4(), made_at=moment, fiscal=registration)))
        till = tills[op.point]
        if pending[op.point] and moment - pending[op.point][0][0] > timedelta(days=20):
            upload(till, pending.pop(op.point))  # before the drive's 30 days without the OFD run out
        till.at(moment)
        if till.opened_at is None or moment - till.opened_at >= timedelta(hours=23):
            if till.opened_at is not None:
                pending[op.point].append((moment, till.close_shift()))
            pending[op.point].append((moment, till.open_shift()))
            till.opened_at = moment
        pending[op.point].append((moment, _sign(shop, till, op)))
    for point, made in pending.items():
        upload(tills[point], made)
    for till in tills.values():
        till.drive.close()


def upload(till: ClockedTill, made: list) -> None:
    """Upload as a register does, and give the drive the OFD's acknowledgements."""
    documents = [document for _moment, document in made]
    for start in range(0, len(documents), protocol.MAX_DOCUMENTS):
        results = till.results(*documents[start:start + protocol.MAX_DOCUMENTS])
        assert {result["status"] for result in results} == {"accepted"}, results
        for result in results:
            ofd = protocol.Ofd.model_validate(result["ofd"])
            till.drive.acknowledge(Acknowledgement(fn_serial=ofd.fn_serial, document_number=ofd.document_number,
                                                   received_at=ofd.received_at, operator_sign=ofd.operator_sign))


def _sign(shop: Shop, till: ClockedTill, op: Operation):
    catalog = shop.products[op.point::2]
    lines = []
    for product, quantity, discount in op.lines:
        if product is None:
            lines.append(sale.CartLine(product_id=None, name="Свободная цена", price=12345, quantity=quantity,
                                       vat=VatRate.VAT_22, discount=discount))
        else:
            product_id, name, price, _cost = catalog[product]
            lines.append(sale.CartLine(product_id=product_id, name=name, price=price, quantity=quantity,
                                       vat=VatRate.VAT_10, discount=discount))
    due = sum(line_amount(line.price, line.quantity) - line.discount for line in lines)
    card = due * op.card_share // 4
    tenders = [sale.Tender(kind, amount) for kind, amount in (("card", card), ("cash", due - card)) if amount]
    settlement = SettlementType.SALE_RETURN if op.kind.endswith("return") else SettlementType.SALE
    cashier_id = None if op.cashier is None else shop.cashiers[op.cashier]
    if not op.kind.startswith("correction"):
        return till.sell(*lines, tenders=tenders, settlement=settlement, cashier_id=cashier_id)
    from openkassa.fiscal import documents as fiscal
    from openkassa.fiscal.enums import CorrectionType, TaxSystem
    closed = sale.close(lines, tenders, tax_system=TaxSystem.USN_INCOME, settlement=settlement, cashier="Иванова А.")
    draft = fiscal.CorrectionReceipt(
        **{key: getattr(closed.draft, key) for key in ("settlement", "tax_system", "items", "total", "cash", "electronic",
                                                         "advance", "credit", "other", "cashier", "cashier_inn")},
        corrected_date=till.now().date(), correction_type=CorrectionType.OWN_INITIATIVE)
    signed = till.drive.correction(draft)
    return protocol.Correction(id=uuid.uuid4(), made_at=till.now(), cashier_id=cashier_id, shift=till.shift,
                               settlement=int(settlement), lines=list(closed.lines), payments=list(closed.payments),
                               total=closed.total, fiscal=signed.to_bytes())


# --- the naive recomputation ---------------------------------------------------------------------


@dataclass
class Raw:
    point_id: uuid.UUID
    day: date
    hour: int
    kind: str
    settlement: int
    total: int
    electronic: int
    discount: int
    cashier_id: uuid.UUID | None
    lines: list = field(default_factory=list)  # (product_id, quantity, amount, cost)

    @property
    def sign(self) -> int:
        return 1 if self.settlement == 1 else -1


def raw_receipts(db, shop: Shop) -> list[Raw]:
    zones = {uuid.UUID(point["id"]): ZoneInfo(point["timezone"]) for point in shop.points}
    costs = {product_id: cost for product_id, _name, _price, cost in shop.products}
    with Session(db.engine) as session:
        documents = session.scalars(select(SalesDocument).where(SalesDocument.status == "accepted",
                                                                SalesDocument.kind.in_(["receipt", "correction"]))).all()
        lines = session.scalars(select(ReceiptLine)).all()
    found = {}
    for document in documents:
        local = document.made_at.astimezone(zones[document.point_id])
        found[document.id] = Raw(document.point_id, local.date(), local.hour, document.kind, document.settlement,
                                 document.total, document.electronic, document.discount, document.cashier_id)
    for line in lines:
        # the cost is the product's cost price at the upload, which these tests never change
        found[line.document_id].lines.append((line.product_id, line.quantity, line.amount,
                                              line_amount(costs[line.product_id], line.quantity) if line.product_id else 0))
    return list(found.values())


def naive_figures(receipts: list[Raw]) -> service.Figures:
    totals = defaultdict(int)
    for r in receipts:
        if r.kind == "correction":
            totals["corrections"] += 1
            totals["corrections_sum"] += r.sign * r.total
        elif r.settlement == 1:
            totals["sales"] += 1
            totals["sales_sum"] += r.total
        else:
            totals["returns"] += 1
            totals["returns_sum"] += r.total
        totals["revenue"] += r.sign * r.total
        totals["cashless"] += r.sign * r.electronic
        totals["discount"] += r.sign * r.discount
        totals["cost"] += r.sign * sum(line[3] for line in r.lines)
    return service.Figures(**totals)


def within(receipts: list[Raw], point_ids, start: date, end: date) -> list[Raw]:
    return [r for r in receipts if start <= r.day <= end and (point_ids is None or r.point_id in point_ids)]


def naive_products(receipts: list[Raw]) -> dict:
    products = defaultdict(lambda: [0, 0, 0])
    for r in receipts:
        for product_id, quantity, amount, cost in r.lines:
            figures = products[product_id]
            figures[0] += r.sign * quantity
            figures[1] += r.sign * amount
            figures[2] += r.sign * cost
    return {product: tuple(figures) for product, figures in products.items() if tuple(figures) != (0, 0, 0)}


def naive_abc(values: dict) -> dict:
    """By what the larger values make before each: under 80 % of the positive total A, under 95 % B, else C."""
    total = sum(value for value in values.values() if value > 0)
    classes = {}
    for product, value in values.items():
        if value <= 0 or total <= 0:
            classes[product] = "C"
            continue
        share = Fraction(sum(other for other in values.values() if other > value), total)
        classes[product] = "A" if share < Fraction(80, 100) else "B" if share < Fraction(95, 100) else "C"
    return classes


# --- the property ----------------------------------------------------------------------------------


periods = st.one_of(st.tuples(st.integers(0, 70), st.integers(0, 70)),  # days back, length: a month or two
                    st.tuples(st.integers(0, 230), st.integers(0, 230))).map(sorted)  # across quarters


@settings(max_examples=25, deadline=None, phases=[Phase.explicit, Phase.reuse, Phase.generate], suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(ops=operations, asked=st.lists(periods, min_size=1, max_size=3))
def test_every_figure_equals_a_naive_recomputation_from_the_receipts(shop, db, new_register, fresh_code, tmp_path, ops, asked):
    # given random sales, returns and corrections at two points eight hours apart, uploaded by registers
    run(shop, ops, new_register, fresh_code, tmp_path)
    receipts = raw_receipts(db, shop)
    session, actor = shop.actor_of()
    with session:
        for point_id in (None, uuid.UUID(shop.points[0]["id"]), uuid.UUID(shop.points[1]["id"])):
            scope = service.scope_for(session, actor, point_id=point_id)
            point_ids = None if point_id is None else {point_id}
            for back, length in asked:
                # when the dashboard is asked for a period
                end = scope.today() - timedelta(days=back)
                period = service.Period(end - timedelta(days=length), end)
                mine = within(receipts, point_ids, period.start, period.end)
                # then the summary is the receipts' own, and so is the period before
                summary = service.summary(session, scope, period)
                assert summary.current == naive_figures(mine)
                before = summary.previous_period
                assert summary.previous == naive_figures(within(receipts, point_ids, before.start, before.end))
                # the trend day by day
                assert [day.figures for day in service.trend(session, scope, period)] == [
                    naive_figures([r for r in mine if r.day == day]) for day in period.each_day()]
                # the hours, and the weekday × hour map
                hours = service.hours(session, scope, period)
                assert hours.sales == [sum(1 for r in mine if r.hour == h and r.kind == "receipt" and r.settlement == 1)
                                       for h in range(24)]
                assert hours.revenue == [naive_figures([r for r in mine if r.hour == h]).revenue for h in range(24)]
                assert hours.by_weekday == [[sum(1 for r in mine if r.day.weekday() == w and r.hour == h
                                                 and r.kind == "receipt" and r.settlement == 1) for h in range(24)]
                                            for w in range(7)]
                # each cashier
                assert {c.cashier_id: c.figures for c in service.cashiers(session, scope, period)} == {
                    cashier: naive_figures([r for r in mine if r.cashier_id == cashier])
                    for cashier in {r.cashier_id for r in mine}}
                # each product, and its ABC classes
                products = service.products(session, scope, period)
                expected = naive_products(mine)
                assert {p.product_id: (p.quantity, p.revenue, p.cost) for p in products.items} == expected
                assert [p.revenue for p in products.items] == sorted((p.revenue for p in products.items), reverse=True)
                by_revenue = naive_abc({product: figures[1] for product, figures in expected.items()})
                by_profit = naive_abc({product: figures[1] - figures[2] for product, figures in expected.items()})
                for item in products.items:
                    assert (item.abc_revenue, item.abc_profit) == (by_revenue[item.product_id], by_profit[item.product_id])
                assert products.classes("revenue") == {name: (
                    sum(1 for product in expected if by_revenue[product] == name),
                    sum(figures[1] for product, figures in expected.items() if by_revenue[product] == name)) for name in "ABC"}
                # the dashboard names only the best and the worst two, the same as in the whole list
                few = service.products(session, scope, period, shown=2)
                assert (few.count, few.best(2), few.worst(2)) == (products.count, products.items[:2], products.items[::-1][:2])
                # and the receipts behind the period are exactly those counted
                assert _drilled(session, scope, period) == len(mine)
            # the products not sold for N days are those no receipt of the last N days has
            for days in (1, 7, 45):
                idle = service.idle(session, scope, days=days, limit=1000)
                recent = {line[0] for r in within(receipts, point_ids, scope.today() - timedelta(days=days - 1), scope.today())
                          for line in r.lines}
                catalogs = {point["catalog_id"] for point in shop.points if point_ids is None or uuid.UUID(point["id"]) in point_ids}
                in_scope = [product_id for index, (product_id, *_rest) in enumerate(shop.products)
                            if shop.points[index % 2]["catalog_id"] in catalogs]
                assert {item.product_id for item in idle.items} == {p for p in in_scope if p not in recent}
                assert idle.count == len(idle.items)


def _drilled(session, scope, period) -> int:
    count, before = 0, None
    while True:
        page = service.receipts(session, scope, period, DrillIn(before=before))
        count += len(page.documents)
        if page.next_cursor is None:
            return count
        before = page.next_cursor
