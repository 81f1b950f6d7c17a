"""Sales and returns arriving from a register move the goods of the point's warehouse, once each."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from openkassa.accounts.models import User
from openkassa.accounts.service import actor_of
from openkassa.protocol.documents import NewProduct
from openkassa.fiscal.enums import SettlementType, VatRate
from openkassa.register import sale
from openkassa.sales.models import ReceiptLine
from openkassa.stock import service
from openkassa.stock.models import Balance, Movement
from openkassa.stock.schemas import DocumentIn, LineIn
from sales.conftest import Till, new_till  # noqa: F401 - the fixture


def _line(product: dict, quantity: int) -> sale.CartLine:
    return sale.CartLine(product_id=uuid.UUID(product["id"]), name=product["name"], price=int(product["price"].replace(".", "")),
                         quantity=quantity, vat=VatRate.VAT_10)


def test_a_sale_and_a_return_from_the_register_move_the_goods_once(db, api, point, new_till):
    # given a point with stock accounting on, 5 packs of milk received at 60.00 ₽, and a delivery service
    milk = api.post(f"/api/v1/catalogs/{point['catalog_id']}/products",
                    json={"name": "Молоко 3,2%", "price": "89.90", "cost_price": "55.00"}).json()
    delivery = api.post(f"/api/v1/catalogs/{point['catalog_id']}/products",
                        json={"name": "Доставка", "price": "300.00", "kind": 4}).json()
    milk_id = uuid.UUID(milk["id"])
    with db.transaction(immediate=True) as session:
        actor = actor_of(session, user_id=session.scalars(select(User.id).where(User.email == "owner@shop.ru")).one())
        warehouse = service.enable_stock(session, actor, point_id=uuid.UUID(point["id"])).id
        receipt = service.create_document(session, actor, DocumentIn(
            kind="receipt", warehouse_id=warehouse, lines=[LineIn(product_id=milk_id, quantity=5000, price=6000)]))
        service.post_document(session, actor, receipt.id)
    till: Till = new_till()
    opened = till.open_shift()

    # when the register sells two packs with a delivery and a free-price item, and uploads it twice
    sold = till.sell(_line(milk, 2000), _line(delivery, 1000),
                     sale.CartLine(product_id=None, name="Пакет", price=500, vat=VatRate.VAT_20))
    assert [result["status"] for result in till.results(opened, sold)] == ["accepted", "accepted"]
    assert till.results(sold)[0]["status"] == "accepted"

    # then two packs left the warehouse once, at their cost of 60.00 ₽, and nothing else moved
    with db.transaction() as session:
        balance = session.get(Balance, (warehouse, milk_id))
        assert (balance.quantity, balance.value) == (3000, 18000)
        sales = session.scalars(select(Movement).where(Movement.sale_id.is_not(None))).all()
        assert [(m.kind, m.product_id, m.quantity, m.value) for m in sales] == [("sale", milk_id, -2000, -12000)]
        # and the sale's gross profit counts that cost, not the catalog's cost price
        costs = session.scalars(select(ReceiptLine.cost).where(ReceiptLine.document_id == sold.id)
                                .order_by(ReceiptLine.position)).all()
        assert costs[0] == 12000

    # when a pack is returned
    till.results(till.sell(_line(milk, 1000), settlement=SettlementType.SALE_RETURN))

    # then it is back in stock at the unit cost
    with db.transaction() as session:
        balance = session.get(Balance, (warehouse, milk_id))
        assert (balance.quantity, balance.value, balance.unit_cost) == (4000, 24000, 6000)


def test_a_point_without_stock_accounting_moves_nothing(db, api, point, new_till):
    # given a point whose stock accounting is off
    milk = api.post(f"/api/v1/catalogs/{point['catalog_id']}/products", json={"name": "Молоко", "price": "89.90"}).json()
    till: Till = new_till()
    opened = till.open_shift()
    # when it sells
    till.results(opened, till.sell(_line(milk, 1000)))
    # then no stock moved
    with db.transaction() as session:
        assert session.scalars(select(Movement)).all() == []
        assert session.scalars(select(Balance)).all() == []


def test_a_product_made_at_the_till_moves_stock_on_its_first_sale(db, api, point, new_till):
    # given a point with stock accounting on
    with db.transaction(immediate=True) as session:
        actor = actor_of(session, user_id=session.scalars(select(User.id).where(User.email == "owner@shop.ru")).one())
        warehouse = service.enable_stock(session, actor, point_id=uuid.UUID(point["id"])).id
    till: Till = new_till()
    opened = till.open_shift()
    # when the cashier makes a product for an unknown barcode and sells it, both in one upload
    made = NewProduct(id=uuid.uuid4(), made_at=till.now(), name="Сырок глазированный", barcode="4600000000015",
                               price=4500)
    sold = till.sell(sale.CartLine(product_id=made.id, name=made.name, price=4500, quantity=2000, vat=VatRate.VAT_10))
    assert [result["status"] for result in till.results(opened, made, sold)] == ["accepted"] * 3
    # then the new product's two units left the warehouse: it is short by two
    with db.transaction() as session:
        assert session.get(Balance, (warehouse, made.id)).quantity == -2000


def test_goods_bought_from_a_person_come_in_at_the_price_paid(db, api, point, new_till):
    # given a pawn shop keeping stock, its phones costing 5,000.00 ₽ in the catalog
    phone = api.post(f"/api/v1/catalogs/{point['catalog_id']}/products",
                     json={"name": "Телефон б/у", "price": "9000.00", "cost_price": "5000.00"}).json()
    with db.transaction(immediate=True) as session:
        actor = actor_of(session, user_id=session.scalars(select(User.id).where(User.email == "owner@shop.ru")).one())
        warehouse = service.enable_stock(session, actor, point_id=uuid.UUID(point["id"])).id
    till: Till = new_till()
    opened = till.open_shift()
    # when the register buys one from a person for 3,500.00 ₽ (settlement 3, расход)
    bought = till.sell(sale.CartLine(product_id=uuid.UUID(phone["id"]), name=phone["name"], price=350000,
                                     quantity=1000, vat=VatRate.NO_VAT), settlement=SettlementType.PURCHASE)
    assert [result["status"] for result in till.results(opened, bought)] == ["accepted", "accepted"]
    # then the phone is in stock at what was paid for it
    with db.transaction() as session:
        balance = session.get(Balance, (warehouse, uuid.UUID(phone["id"])))
        assert (balance.quantity, balance.value, balance.unit_cost) == (1000, 350000, 350000)
