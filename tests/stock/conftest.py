"""A shop keeping stock, built through the services: an owner on the Standard plan, a point (its
stock accounting on, its warehouse «Магазин на Ленина»), a second warehouse «Склад», a supplier and
goods in the point's catalog, plus a service that is not kept in stock."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass

import pytest

from openkassa.accounts.service import Actor, actor_of
from openkassa.accounts.models import User
from openkassa.catalog.schemas import ProductIn
from openkassa.catalog.service import create_product
from openkassa.db import Database
from openkassa.fiscal.enums import ItemType
from openkassa.i18n import language
from openkassa.points.schemas import NewPointIn
from openkassa.points.service import create_point
from openkassa.stock import service
from openkassa.stock.schemas import SupplierIn, WarehouseIn
from sqlalchemy import select
from support import create_owner, point_json

_accounts = itertools.count()


@dataclass
class StockShop:
    db: Database
    user_id: uuid.UUID
    point_id: uuid.UUID
    shop: uuid.UUID  # the point's warehouse
    store: uuid.UUID  # «Склад», serving no point
    supplier: uuid.UUID
    goods: list[uuid.UUID]  # cost prices 10.00, 20.00, 30.00 ₽
    service_product: uuid.UUID

    def actor(self, session) -> Actor:
        return actor_of(session, user_id=self.user_id)


def make_shop(db: Database, *, plan: str = "standard") -> StockShop:
    email = f"stock{next(_accounts)}-{uuid.uuid4().hex[:6]}@shop.ru"
    create_owner(db, email=email, plan=plan)
    with db.transaction(immediate=True) as session:
        actor = actor_of(session, user_id=session.scalars(select(User.id).where(User.email == email)).one())
        point = create_point(session, actor, data=NewPointIn(**point_json()))
        goods = [create_product(session, actor, point.catalog_id,
                                ProductIn(name=f"Товар {n}", price=n * 1500, cost_price=n * 1000)).product.id for n in (1, 2, 3)]
        service_product = create_product(session, actor, point.catalog_id,
                                         ProductIn(name="Доставка", price=30000, kind=ItemType.SERVICE)).product.id
        shop = service.enable_stock(session, actor, point_id=point.id).id
        store = service.create_warehouse(session, actor, WarehouseIn(name="Склад")).id
        supplier = service.create_supplier(session, actor, SupplierIn(name="ООО «Поставщик»", inn="7707083893")).id
        return StockShop(db, actor.user_id, point.id, shop, store, supplier, goods, service_product)


@pytest.fixture(autouse=True)
def english():
    """The services' messages as an English-speaking user reads them."""
    with language("en"):
        yield


@pytest.fixture
def stock_shop(db) -> StockShop:
    return make_shop(db)
