"""Stock documents refuse bad input with a clear message and change nothing; an inventory count
posts the differences from the book; two postings at once give what one after the other gives."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError
from sqlalchemy import func, select

from openkassa.errors import Conflict, Invalid, NotFound, PlanLimit
from openkassa.stock import service
from openkassa.stock.models import Balance, Movement, StockDocument
from openkassa.stock.schemas import DocumentIn, LineIn, SupplierIn
from stock.conftest import make_shop


def _post(shop, kind: str, *lines: tuple[int, int, int], **header) -> StockDocument:
    with shop.db.transaction(immediate=True) as session:
        actor = shop.actor(session)
        document = service.create_document(session, actor, DocumentIn(
            kind=kind, warehouse_id=header.pop("warehouse_id", shop.shop), **header,
            lines=[LineIn(product_id=shop.goods[product], quantity=quantity, price=price) for product, quantity, price in lines]))
        return service.post_document(session, actor, document.id)


def _ledger(shop) -> tuple:
    with shop.db.transaction() as session:
        return (session.scalar(select(func.count()).select_from(Movement)),
                sorted(session.execute(select(Balance.warehouse_id, Balance.product_id, Balance.quantity, Balance.value)).all()),
                sorted(session.execute(select(StockDocument.id, StockDocument.status)).all()))


def test_an_inventory_count_posts_the_differences_from_the_book(stock_shop):
    shop = stock_shop
    # given 10 of product 1 (received at 10.00 ₽) and 2 of product 2 on the books
    _post(shop, "receipt", (0, 10000, 1000), (1, 2000, 2500))
    # when a count finds 8 of product 1, 2 of product 2 and 5 of product 3, never received
    count = _post(shop, "count", (0, 8000, 0), (1, 2000, 0), (2, 5000, 0))
    with shop.db.transaction() as session:
        _document, lines = service.get_document(session, shop.actor(session), count.id)
        # then each line shows the book and the difference in money: −20.00 ₽, none, +150.00 ₽ at the catalog's cost
        assert [(line.book_quantity, line.quantity, line.value) for line in lines] == [
            (10000, 8000, -2000), (2000, 2000, 0), (0, 5000, 15000)]
        assert count.total == 13000
        # and the books now hold what was counted
        assert sorted(session.execute(select(Balance.product_id, Balance.quantity)).all()) == sorted(
            [(shop.goods[0], 8000), (shop.goods[1], 2000), (shop.goods[2], 5000)])
        kinds = sorted(session.scalars(select(Movement.kind).where(Movement.document_id == count.id)))
        assert kinds == ["shortage", "surplus"]


def test_bad_documents_get_a_clear_message_and_change_nothing(db, stock_shop):
    shop = stock_shop
    other = make_shop(db)
    _post(shop, "receipt", (0, 1000, 100))
    before = _ledger(shop)
    with db.transaction() as session:
        actor = shop.actor(session)
        # a negative or non-numeric quantity is refused by the input's shape
        for quantity in (-1000, "много", 1.5):
            with pytest.raises(ValidationError):
                LineIn(product_id=shop.goods[0], quantity=quantity)
        # a product of another account is not found, by row
        with pytest.raises(Invalid) as refused:
            service.create_document(session, actor, DocumentIn(kind="write_off", warehouse_id=shop.shop, reason="loss", lines=[
                LineIn(product_id=shop.goods[0], quantity=1000), LineIn(product_id=other.goods[0], quantity=1000)]))
        assert refused.value.fields == {"lines.2": "Row 2: no such product in your catalogs."}
        # a service is not kept in stock; a product twice is named with its first row; zero is not a write-off
        with pytest.raises(Invalid) as refused:
            service.create_document(session, actor, DocumentIn(kind="write_off", warehouse_id=shop.shop, reason="loss", lines=[
                LineIn(product_id=shop.service_product, quantity=1000), LineIn(product_id=shop.goods[0], quantity=0),
                LineIn(product_id=shop.goods[0], quantity=1000)]))
        assert refused.value.fields == {
            "lines.1": "Row 1: the product is not goods (a service or work) and is not kept in stock.",
            "lines.2": "Row 2: the quantity must be more than zero.",
            "lines.3": "Row 3: the product is already in row 2."}
        # what a kind needs: a write-off's reason, a transfer's other warehouse, another account's warehouse
        with pytest.raises(Invalid) as refused:
            service.create_document(session, actor, DocumentIn(kind="write_off", warehouse_id=shop.shop))
        assert refused.value.fields == {"reason": "Choose why the goods are written off."}
        with pytest.raises(Invalid) as refused:
            service.create_document(session, actor, DocumentIn(kind="transfer", warehouse_id=shop.shop,
                                                               target_warehouse_id=shop.shop))
        assert refused.value.fields == {"target_warehouse_id": "Goods are transferred to another warehouse, not the same one."}
        with pytest.raises(Invalid) as refused:
            service.create_document(session, actor, DocumentIn(kind="receipt", warehouse_id=other.shop, supplier_id=other.supplier))
        assert refused.value.fields == {"warehouse_id": "Warehouse not found.", "supplier_id": "Supplier not found."}
        # a draft with no lines is not posted
        empty = service.create_document(session, actor, DocumentIn(kind="receipt", warehouse_id=shop.shop))
        with pytest.raises(Invalid) as refused:
            service.post_document(session, actor, empty.id)
        assert refused.value.fields == {"lines": "Add at least one product before posting."}
        service.delete_document(session, actor, empty.id)
    assert _ledger(shop) == before

    posted = _post(shop, "write_off", (0, 500, 0), reason="spoilage")
    before = _ledger(shop)
    with db.transaction() as session:
        actor = shop.actor(session)
        # posting twice, editing or deleting a posted document is refused
        with pytest.raises(Conflict, match="posted already"):
            service.post_document(session, actor, posted.id)
        with pytest.raises(Conflict, match="cannot be edited"):
            service.update_document(session, actor, posted.id, DocumentIn(kind="write_off", warehouse_id=shop.shop, reason="loss"))
        with pytest.raises(Conflict, match="cannot be deleted"):
            service.delete_document(session, actor, posted.id)
        # cancelling a draft is refused; another account's document is not found
        draft = service.create_document(session, actor, DocumentIn(kind="receipt", warehouse_id=shop.shop, lines=[
            LineIn(product_id=shop.goods[1], quantity=1000, price=100)]))
        with pytest.raises(Conflict, match="Only a posted document can be cancelled"):
            service.cancel_document(session, actor, draft.id)
        with pytest.raises(NotFound):
            service.post_document(session, other.actor(session), posted.id)
        service.delete_document(session, actor, draft.id)
    assert _ledger(shop) == before
    with db.transaction(immediate=True) as session:
        service.cancel_document(session, shop.actor(session), posted.id)
    with db.transaction() as session, pytest.raises(Conflict, match="cancelled already"):
        service.cancel_document(session, shop.actor(session), posted.id)


def test_suppliers_have_checked_inns_and_no_twins(stock_shop):
    shop = stock_shop
    with pytest.raises(ValidationError, match="check digit"):
        SupplierIn(name="ООО «Ошибка»", inn="7707083894")
    with shop.db.transaction() as session, pytest.raises(Invalid) as refused:
        service.create_supplier(session, shop.actor(session), SupplierIn(name="Другой", inn="7707083893"))
    assert refused.value.fields == {"inn": "The supplier «ООО «Поставщик»» has this INN already."}


def test_the_starter_plan_has_no_warehouse(db):
    with pytest.raises(PlanLimit, match="does not include warehouse"):
        make_shop(db, plan="start")


def test_two_postings_at_once_give_what_one_after_the_other_gives(db):
    # given two shops alike, each with the same goods received
    together, apart = make_shop(db), make_shop(db)
    for shop in (together, apart):
        _post(shop, "receipt", (0, 50000, 1000), (1, 50000, 2000), (2, 50000, 3000))

    def documents(shop) -> list[list[tuple[int, int, int]]]:
        # write-offs over the same products in opposite orders: the worst case for lock order
        return [[(0, 1000, 0), (1, 2000, 0), (2, 3000, 0)], [(2, 1500, 0), (1, 500, 0), (0, 250, 0)]] * 4

    # when one shop posts them from two threads at once and the other one after the other
    errors: list[Exception] = []

    def post_all(lines_list):
        try:
            for lines in lines_list:
                _post(together, "write_off", *lines, reason="loss")
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=post_all, args=(documents(together)[n::2],)) for n in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    for lines in documents(apart):
        _post(apart, "write_off", *lines, reason="loss")

    # then neither deadlocked and both end with the same balances
    assert errors == [] and not any(thread.is_alive() for thread in threads)
    with db.transaction() as session:
        def figures(shop):
            return sorted((shop.goods.index(product), quantity, value) for product, quantity, value in session.execute(
                select(Balance.product_id, Balance.quantity, Balance.value).where(Balance.warehouse_id == shop.shop)))
        assert figures(together) == figures(apart)
        assert uuid.UUID  # the balances are the account's own: keys differ, figures match


def test_a_count_posted_later_compares_with_the_book_as_of_its_date(stock_shop):
    shop = stock_shop
    now = datetime.now(UTC)
    # given 10 received yesterday, a count of 7 made an hour ago and posted only now, after a sale of 1 half an hour ago
    _post(shop, "receipt", (0, 10000, 1000), dated_at=now - timedelta(days=1))
    _sell(shop, 0, 1000, made_at=now - timedelta(minutes=30))
    count = _post(shop, "count", (0, 7000, 0), dated_at=now - timedelta(hours=1))
    with shop.db.transaction() as session:
        _document, lines = service.get_document(session, shop.actor(session), count.id)
        # then the count found 3 missing from the 10 the books held an hour ago, not 2 from the 9 held now
        assert [(line.book_quantity, line.quantity, line.value) for line in lines] == [(10000, 7000, -3000)]
        # and the books hold what was counted less what was sold since: 6
        assert session.get(Balance, (shop.shop, shop.goods[0])).quantity == 6000


def test_a_sale_made_before_a_count_and_arriving_after_it_is_taken_back_by_the_count(stock_shop):
    shop = stock_shop
    now = datetime.now(UTC)
    # given 10 received and counted as 8 an hour ago
    _post(shop, "receipt", (0, 10000, 1000), dated_at=now - timedelta(days=1))
    count = _post(shop, "count", (0, 8000, 0), dated_at=now - timedelta(hours=1))
    # when an offline register uploads a sale of 2 it made before the count, and one of 1 made after it
    _sell(shop, 0, 2000, made_at=now - timedelta(hours=2))
    _sell(shop, 0, 1000, made_at=now - timedelta(minutes=5))
    with shop.db.transaction() as session:
        # then only the later sale lowers the books: the 2 were gone when the goods were counted
        balance = session.get(Balance, (shop.shop, shop.goods[0]))
        assert (balance.quantity, balance.value) == (7000, 7000)
        # and the count now shows a book of 8 and no difference
        document, lines = service.get_document(session, shop.actor(session), count.id)
        assert [(line.book_quantity, line.quantity, line.value) for line in lines] == [(8000, 8000, 0)]
        assert document.total == 0
        # and both sales are in the ledger, the earlier one answered by the count
        kinds = session.execute(select(Movement.kind, Movement.quantity, Movement.document_id)
                                .where(Movement.moved_at > now - timedelta(hours=3)).order_by(Movement.id)).all()
        assert kinds == [("shortage", -2000, count.id), ("sale", -2000, None), ("surplus", 2000, count.id),
                         ("sale", -1000, None)]

    # when the count is cancelled
    with shop.db.transaction(immediate=True) as session:
        service.cancel_document(session, shop.actor(session), count.id)
        # then the books hold the 10 received less the 3 sold
        assert session.get(Balance, (shop.shop, shop.goods[0])).quantity == 7000


def test_a_document_dated_before_a_posted_count_is_refused(stock_shop):
    shop = stock_shop
    now = datetime.now(UTC)
    # given the warehouse counted an hour ago
    _post(shop, "count", (0, 5000, 0), dated_at=now - timedelta(hours=1))
    before = _ledger(shop)
    # when a receipt dated two hours ago is posted
    with pytest.raises(Invalid) as refused:
        _post(shop, "receipt", (0, 1000, 100), dated_at=now - timedelta(hours=2))
    # then it is refused, naming the count, and the books are as they were
    assert "inventory count No. 1" in refused.value.fields["dated_at"]
    with shop.db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(StockDocument).where(StockDocument.status == "posted")) == 1
    assert _ledger(shop)[:2] == before[:2]


def _sell(shop, product: int, quantity: int, *, made_at: datetime) -> None:
    sale_id = uuid.uuid4()
    with shop.db.transaction(immediate=True) as session:
        service.record_sales(session, account_id=shop.actor(session).account_id, point_id=shop.point_id,
                             receipts=[{"id": sale_id, "kind": "receipt", "settlement": 1, "made_at": made_at}],
                             lines=[{"document_id": sale_id, "position": 0, "product_id": shop.goods[product],
                                     "quantity": quantity, "amount": 0}])


def test_a_document_dated_in_the_future_or_cancelled_behind_a_count_is_refused(stock_shop):
    shop = stock_shop
    now = datetime.now(UTC)
    # when a count is dated next year
    with pytest.raises(Invalid) as future:
        _post(shop, "count", (0, 5000, 0), dated_at=now + timedelta(days=365))
    # then it is refused on its date
    assert future.value.fields["dated_at"] == "A document cannot be dated in the future."
    # given a receipt of yesterday, and a count of an hour ago that found what it brought
    receipt = _post(shop, "receipt", (0, 10000, 1000), dated_at=now - timedelta(days=1))
    _post(shop, "count", (0, 10000, 0), dated_at=now - timedelta(hours=1))
    before = _ledger(shop)
    # when the receipt is cancelled
    with shop.db.transaction(immediate=True) as session, pytest.raises(Invalid) as refused:
        service.cancel_document(session, shop.actor(session), receipt.id)
    # then it is refused, naming the count, and the books still hold what was counted
    assert "inventory count No. 1" in refused.value.fields["dated_at"]
    assert _ledger(shop)[:2] == before[:2]
