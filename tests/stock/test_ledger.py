"""The rules stock obeys, over random sequences of documents, sales and returns.

- A balance is the sum of its movements, in quantity and in value, and every movement's
  `balance_after` is the running sum of its product's movements in ledger order.
- The balances are what a plain model of the operations expects (received, written off, counted,
  transferred, sold, returned, cancelled).
- Posting a document and cancelling it leaves every balance as it was.
- Every movement has a posted or cancelled document, or a fiscal document, behind it; a cancelled
  document's movements cancel out line by line; a draft has none.
- The moving-average cost stays consistent: with stock on hand, the unit cost is the value over the
  quantity; with nothing on hand or goods short, the value is the quantity at the unit cost (goods
  sold to zero leave zero value; goods sold short and then received are re-costed at their price).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from openkassa.stock import service
from openkassa.stock.models import CANCELLED, DRAFT, Balance, Movement, StockDocument
from openkassa.stock.schemas import DocumentIn, LineIn
from stock.conftest import make_shop

quantities = st.sampled_from([1, 250, 1000, 1500, 3000, 10000])
prices = st.sampled_from([0, 1, 999, 1000, 3333, 12050])


@dataclass(frozen=True)
class Op:
    kind: str  # receipt, write_off, count, transfer, sale, return
    lines: tuple[tuple[int, int, int], ...]  # product index, quantity, price
    where: int  # 0: the point's warehouse, 1: «Склад» (transfers go from `where` to the other)
    cancel: bool  # cancelled right after it is posted
    as_booked: bool = False  # a count that finds what the books hold (when they hold something)


ops = st.lists(st.builds(
    Op, kind=st.sampled_from(["receipt", "receipt", "write_off", "count", "transfer", "sale", "sale", "return"]),
    lines=st.lists(st.tuples(st.integers(0, 2), quantities, prices), min_size=1, max_size=3,
                   unique_by=lambda line: line[0]).map(tuple),
    where=st.integers(0, 1), cancel=st.booleans(), as_booked=st.booleans()), min_size=1, max_size=12)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(ops=ops)
def test_stock_obeys_its_invariants(db, ops):
    # given a shop keeping stock at its point's warehouse and at a second one
    shop = make_shop(db)
    warehouses = (shop.shop, shop.store)
    expected: dict[tuple, int] = defaultdict(int)
    # when random documents are posted (some cancelled at once) and sales and returns arrive
    for op in ops:
        if op.kind in ("sale", "return"):
            _sell(shop, op)
            for product, quantity, _price in op.lines:
                expected[(shop.shop, shop.goods[product])] += quantity if op.kind == "return" else -quantity
            continue
        with db.transaction(immediate=True) as session:
            actor = shop.actor(session)
            before = _balances(session)
            source = warehouses[op.where]
            if op.kind == "count" and op.as_booked:
                op = Op(op.kind, tuple((product, max(expected[(source, shop.goods[product])], 0), price)
                                       for product, _quantity, price in op.lines), op.where, op.cancel)
            document = service.create_document(session, actor, DocumentIn(
                kind=op.kind, warehouse_id=source,
                target_warehouse_id=warehouses[1 - op.where] if op.kind == "transfer" else None,
                reason="spoilage" if op.kind == "write_off" else "",
                lines=[LineIn(product_id=shop.goods[product], quantity=quantity, price=price if op.kind == "receipt" else 0)
                       for product, quantity, price in op.lines]))
            service.post_document(session, actor, document.id)
            if op.cancel:
                service.cancel_document(session, actor, document.id)
                # then posting and cancelling left every balance as it was
                after = _balances(session)
                assert {key: figures[:2] for key, figures in after.items() if figures[:2] != (0, 0)} == {
                    key: figures[:2] for key, figures in before.items() if figures[:2] != (0, 0)}
                continue
        for product, quantity, _price in op.lines:
            key = (source, shop.goods[product])
            if op.kind == "receipt":
                expected[key] += quantity
            elif op.kind == "write_off":
                expected[key] -= quantity
            elif op.kind == "count":
                expected[key] = quantity
            else:
                expected[key] -= quantity
                expected[(warehouses[1 - op.where], shop.goods[product])] += quantity
    with db.transaction() as session:
        balances = _balances(session, account_id=_account(session, shop))
        # then the balances are what the operations make
        assert {key: figures[0] for key, figures in balances.items() if figures[0]} == {
            key: quantity for key, quantity in expected.items() if quantity}
        # and each balance is the sum of its movements, each movement's balance_after the running sum
        movements = session.scalars(select(Movement).where(Movement.account_id == _account(session, shop))
                                    .order_by(Movement.id)).all()
        running: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
        for movement in movements:
            key = (movement.warehouse_id, movement.product_id)
            running[key][0] += movement.quantity
            running[key][1] += movement.value
            assert movement.balance_after == running[key][0]
        assert {key: tuple(sums) for key, sums in running.items()} == {
            key: figures[:2] for key, figures in balances.items() if key in running}
        # and the moving-average cost is the value over the quantity whenever there is stock; with none,
        # or goods short, the balance is worth its quantity at the unit cost (no value left behind)
        for (quantity, value, unit_cost) in balances.values():
            if quantity > 0:
                assert unit_cost == service._divide(value * 1000, quantity)
            else:
                assert value == service._at_cost(unit_cost, quantity)
        # and every movement has a posted or cancelled document or a fiscal document behind it
        documents = {document.id: document for document in session.scalars(select(StockDocument).where(
            StockDocument.account_id == _account(session, shop)))}
        by_line: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
        for movement in movements:
            assert (movement.document_id is None) != (movement.sale_id is None)
            if movement.document_id is not None:
                assert documents[movement.document_id].status != DRAFT
                if documents[movement.document_id].status == CANCELLED:
                    line = by_line[(movement.document_id, movement.position, movement.warehouse_id)]
                    line[0] += movement.quantity
                    line[1] += movement.value
        assert all(sums == [0, 0] for sums in by_line.values()), "a cancelled document's movements cancel out"


def _sell(shop, op: Op) -> None:
    """A fiscal document of the point arrives: its lines move the point's warehouse's goods."""
    sale_id = uuid.uuid4()
    with shop.db.transaction(immediate=True) as session:
        service.record_sales(
            session, account_id=_account(session, shop), point_id=shop.point_id,
            receipts=[{"id": sale_id, "kind": "receipt", "settlement": 1 if op.kind == "sale" else 2,
                       "made_at": datetime.now(UTC)}],
            lines=[{"document_id": sale_id, "position": n, "product_id": shop.goods[product], "quantity": quantity}
                   for n, (product, quantity, _price) in enumerate(op.lines)])


def _account(session, shop) -> uuid.UUID:
    return shop.actor(session).account_id


def _balances(session, account_id=None) -> dict[tuple, tuple[int, int, int]]:
    query = select(Balance.warehouse_id, Balance.product_id, Balance.quantity, Balance.value, Balance.unit_cost)
    if account_id is not None:
        query = query.where(Balance.account_id == account_id)
    return {(w, p): (q, v, c) for w, p, q, v, c in session.execute(query)}


def test_a_receipt_sets_the_moving_average_cost_and_a_sale_takes_its_share(stock_shop):
    shop = stock_shop
    with shop.db.transaction(immediate=True) as session:
        actor = shop.actor(session)
        milk = shop.goods[0]
        # given 3 units received at 100.00 ₽ and 1 more at 140.00 ₽
        for quantity, price in ((3000, 10000), (1000, 14000)):
            document = service.create_document(session, actor, DocumentIn(
                kind="receipt", warehouse_id=shop.shop, supplier_id=shop.supplier,
                lines=[LineIn(product_id=milk, quantity=quantity, price=price)]))
            service.post_document(session, actor, document.id)
        # then the unit cost is their average, 110.00 ₽
        balance = session.get(Balance, (shop.shop, milk))
        assert (balance.quantity, balance.value, balance.unit_cost) == (4000, 44000, 11000)
    # when two are sold
    _sell(shop, Op("sale", ((0, 2000, 0),), 0, False))
    with shop.db.transaction() as session:
        # then they leave at 110.00 ₽ each, and the rest keeps its cost
        balance = session.get(Balance, (shop.shop, milk))
        assert (balance.quantity, balance.value, balance.unit_cost) == (2000, 22000, 11000)
        sale = session.scalars(select(Movement).where(Movement.kind == "sale")).one()
        assert (sale.quantity, sale.value, sale.balance_after) == (-2000, -22000, 2000)
        assert session.scalar(select(func.count()).select_from(Movement)) == 3


def test_goods_sold_short_are_re_costed_at_the_price_they_come_in_at(stock_shop):
    shop = stock_shop
    milk = shop.goods[0]
    # given one unit received at 200.00 ₽ and 11 sold: 10 short, carried at 200.00 ₽
    _receive(shop, milk, 1000, 20000)
    _sell(shop, Op("sale", ((0, 11000, 0),), 0, False))
    # when 11 more come in at 100.00 ₽
    _receive(shop, milk, 11000, 10000)
    with shop.db.transaction() as session:
        # then the one left is worth 100.00 ₽, not −900.00 ₽, and the next unit costs 100.00 ₽
        balance = session.get(Balance, (shop.shop, milk))
        assert (balance.quantity, balance.value, balance.unit_cost) == (1000, 10000, 10000)
        # and the ledger says why: a revaluation of the 10 sold short, beside the receipt
        revaluation = session.scalars(select(Movement).where(Movement.kind == "revaluation")).one()
        assert (revaluation.quantity, revaluation.value, revaluation.balance_after) == (0, 100000, 1000)


def test_goods_coming_back_to_zero_leave_no_value_behind(stock_shop):
    shop = stock_shop
    milk = shop.goods[0]
    # given 10 sold short at the unit cost of 200.00 ₽
    _receive(shop, milk, 1000, 20000)
    _sell(shop, Op("sale", ((0, 11000, 0),), 0, False))
    # when exactly 10 come in at 100.00 ₽
    _receive(shop, milk, 10000, 10000)
    with shop.db.transaction() as session:
        # then nothing is on hand and nothing is worth anything; the price they came at is the unit cost
        balance = session.get(Balance, (shop.shop, milk))
        assert (balance.quantity, balance.value, balance.unit_cost) == (0, 0, 10000)


def test_cancelling_a_receipt_gives_back_the_unit_cost_from_before_it(stock_shop):
    shop = stock_shop
    milk = shop.goods[0]
    # given milk received at 50.00 ₽ and sold out
    _receive(shop, milk, 2000, 5000)
    _sell(shop, Op("sale", ((0, 2000, 0),), 0, False))
    # when a receipt typed at 5,000.00 ₽ by mistake is posted and cancelled
    wrong = _receive(shop, milk, 1000, 500000)
    with shop.db.transaction(immediate=True) as session:
        service.cancel_document(session, shop.actor(session), wrong)
    # and a unit is then sold short
    _sell(shop, Op("sale", ((0, 1000, 0),), 0, False))
    with shop.db.transaction() as session:
        # then it leaves at 50.00 ₽, the cost from before the mistake
        balance = session.get(Balance, (shop.shop, milk))
        assert (balance.quantity, balance.value, balance.unit_cost) == (-1000, -5000, 5000)


def _receive(shop, product_id, quantity: int, price: int) -> uuid.UUID:
    with shop.db.transaction(immediate=True) as session:
        actor = shop.actor(session)
        document = service.create_document(session, actor, DocumentIn(
            kind="receipt", warehouse_id=shop.shop, lines=[LineIn(product_id=product_id, quantity=quantity, price=price)]))
        service.post_document(session, actor, document.id)
        return document.id
