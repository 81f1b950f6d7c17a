"""Filling a draft by scanning, the balances page's filters and paging, the movements of a period."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from openkassa.catalog.schemas import ProductIn
from openkassa.catalog.service import create_product
from openkassa.errors import Invalid
from openkassa.stock import service
from openkassa.stock.schemas import DocumentIn, LineIn
from stock.conftest import make_shop


def test_scanning_into_a_count_adds_one_each_time_and_refuses_what_is_not_goods(db):
    shop = make_shop(db)
    with db.transaction(immediate=True) as session:
        actor = shop.actor(session)
        catalog_id = service.catalogs_of(session, actor, shop.shop)[0]
        milk = create_product(session, actor, catalog_id, ProductIn(name="Молоко", price=8990, barcodes=["4607001771234"])).product
        # given a new inventory count
        count = service.create_document(session, actor, DocumentIn(kind="count", warehouse_id=shop.shop))
        # when the milk is scanned three times
        for _ in range(3):
            line = service.add_line(session, actor, count.id, barcode=" 4607001771234 ")
        # then it is one line of three
        assert (line.position, line.product_id, line.quantity) == (0, milk.id, 3000)
        assert count.lines_count == 1
        # and an unknown barcode, a service or nothing at all are refused by name
        with pytest.raises(Invalid) as refused:
            service.add_line(session, actor, count.id, barcode="0000")
        assert refused.value.fields == {"barcode": "No product has the barcode 0000."}
        with pytest.raises(Invalid) as refused:
            service.add_line(session, actor, count.id, product_id=shop.service_product)
        assert refused.value.fields == {"barcode": "The product is not goods (a service or work) and is not kept in stock."}
        with pytest.raises(Invalid):
            service.add_line(session, actor, count.id)
        # and a count's line set to zero stays (none was found), a receipt's goes
        assert service.change_line(session, actor, count.id, 0, quantity=0).quantity == 0
        receipt = service.create_document(session, actor, DocumentIn(kind="receipt", warehouse_id=shop.shop, lines=[
            LineIn(product_id=milk.id, quantity=2000, price=6000)]))
        assert receipt.total == 12000
        assert service.change_line(session, actor, receipt.id, 0, quantity=0) is None
        assert (receipt.lines_count, receipt.total) == (0, 0)


def test_the_balances_page_lists_the_catalog_by_name_and_filters_by_stock(db):
    shop = make_shop(db)
    with db.transaction(immediate=True) as session:
        actor = shop.actor(session)
        # given 1 and 2 received, 2 sold short to −1, a minimum of 5 set on 1 and of 1 on 3 (never received)
        document = service.create_document(session, actor, DocumentIn(kind="receipt", warehouse_id=shop.shop, lines=[
            LineIn(product_id=shop.goods[0], quantity=3000, price=1000), LineIn(product_id=shop.goods[1], quantity=1000, price=2000)]))
        service.post_document(session, actor, document.id)
        document = service.create_document(session, actor, DocumentIn(kind="write_off", warehouse_id=shop.shop, reason="loss",
                                                                      lines=[LineIn(product_id=shop.goods[1], quantity=2000)]))
        service.post_document(session, actor, document.id)
        service.set_minimum(session, actor, warehouse_id=shop.shop, product_id=shop.goods[0], minimum=5000)
        service.set_minimum(session, actor, warehouse_id=shop.shop, product_id=shop.goods[2], minimum=2000)
        service.set_minimum(session, actor, warehouse_id=shop.shop, product_id=shop.goods[2], minimum=1000)

        def listed(only: str, **asked):
            page = service.list_balances(session, actor, warehouse_id=shop.shop, only=only, **asked)
            return [(row.name, row.quantity, row.negative, row.low) for row in page.rows], page.next_cursor

        # then all goods of the catalog are listed by name, those never moved at zero
        assert listed("all")[0] == [("Товар 1", 3000, False, True), ("Товар 2", -1000, True, False),
                                    ("Товар 3", 0, False, True)]
        # and each filter keeps its own
        assert listed("in_stock")[0] == [("Товар 1", 3000, False, True)]
        assert listed("negative")[0] == [("Товар 2", -1000, True, False)]
        assert listed("low")[0] == [("Товар 1", 3000, False, True), ("Товар 3", 0, False, True)]
        # and a search and the pages work as in the catalog
        assert listed("all", search_text="товар 2")[0] == [("Товар 2", -1000, True, False)]
        first, cursor = listed("all", limit=2)
        assert len(first) == 2 and cursor
        assert listed("all", limit=2, cursor=cursor)[0] == [("Товар 3", 0, False, True)]
        with pytest.raises(Invalid):
            listed("everything")


def test_the_movements_of_a_period_show_the_running_balance_and_their_documents(db):
    shop = make_shop(db)
    with db.transaction(immediate=True) as session:
        actor = shop.actor(session)
        # given a receipt and a transfer of part of it to «Склад»
        receipt = service.create_document(session, actor, DocumentIn(kind="receipt", warehouse_id=shop.shop, lines=[
            LineIn(product_id=shop.goods[0], quantity=4000, price=1000)]))
        service.post_document(session, actor, receipt.id)
        transfer = service.create_document(session, actor, DocumentIn(
            kind="transfer", warehouse_id=shop.shop, target_warehouse_id=shop.store,
            lines=[LineIn(product_id=shop.goods[0], quantity=1500)]))
        service.post_document(session, actor, transfer.id)
        now = datetime.now(UTC)
        # when the movements of today are asked for
        page = service.list_movements(session, actor, start=now - timedelta(days=1), end=now + timedelta(days=1))
        # then each shows the balance it left in its warehouse, at its value, with its document
        assert [(m.kind, m.warehouse_id, m.quantity, m.balance_after, m.value) for m in page.movements] == [
            ("receipt", shop.shop, 4000, 4000, 4000), ("transfer_out", shop.shop, -1500, 2500, -1500),
            ("transfer_in", shop.store, 1500, 1500, 1500)]
        assert {page.documents[m.document_id].kind for m in page.movements} == {"receipt", "transfer"}
        assert set(page.names.values()) == {"Товар 1"}
        # and they are filtered by warehouse and kind, and paged
        only_store = service.list_movements(session, actor, start=now - timedelta(days=1), end=now + timedelta(days=1),
                                            warehouse_id=shop.store)
        assert [m.kind for m in only_store.movements] == ["transfer_in"]
        first = service.list_movements(session, actor, start=now - timedelta(days=1), end=now + timedelta(days=1), limit=2)
        rest = service.list_movements(session, actor, start=now - timedelta(days=1), end=now + timedelta(days=1),
                                      after=int(first.next_cursor))
        assert [m.kind for m in rest.movements] == ["transfer_in"]
        with pytest.raises(Invalid):
            service.list_movements(session, actor, start=now, end=now, kinds=["theft"])


def test_mangled_input_gets_an_answer_not_a_crash(db):
    import base64
    import json

    from pydantic import ValidationError

    from openkassa.errors import NotFound

    shop = make_shop(db)
    with db.transaction(immediate=True) as session:
        actor = shop.actor(session)
        count = service.create_document(session, actor, DocumentIn(kind="count", warehouse_id=shop.shop))
        # a page link whose parts are of the wrong kind, or a moment without its zone
        for parts in (["2026-11-28T10:00:00+00:00", 5], ["2026-11-28T10:00:00", str(count.id)]):
            cursor = base64.urlsafe_b64encode(json.dumps(parts).encode()).decode()
            with pytest.raises(Invalid):
                service.list_documents(session, actor, before=cursor)
        # a movements page past any id, a line position past any row
        now = datetime.now(UTC)
        with pytest.raises(Invalid):
            service.list_movements(session, actor, start=now, end=now, after=2**70)
        with pytest.raises(NotFound):
            service.change_line(session, actor, count.id, 2**40, quantity=1000)
        # a document's date without its time zone
        with pytest.raises(ValidationError):
            DocumentIn(kind="count", warehouse_id=shop.shop, dated_at="2026-11-28T10:00:00")
