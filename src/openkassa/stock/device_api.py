"""The device API's stock: a register asks a product's balance in the warehouse its point sells from.

`GET /api/device/v1/stock/{product_id}` answers `{"product_id", "quantity"}`: the quantity in
thousandths of the product's unit (below zero when more was sold than the books hold), or `null` when
the point keeps no stock (its stock accounting is off). A product the warehouse never moved has 0; so
does an id of no product of the account: the answer is read from the point's own warehouse alone, so
it tells nothing of another account's products, and a register only asks for the products of its own
catalog (a 404 would need the catalog asked on every scan for nothing a register can use).
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from openkassa.points.device_api import CurrentDevice
from openkassa.protocol.stock import ProductBalance
from openkassa.stock import service
from openkassa.web.deps import DbSession

router = APIRouter(prefix="/api/device/v1", tags=["device"])


@router.get("/stock/{product_id}")
def product_balance(db: DbSession, current: CurrentDevice, product_id: uuid.UUID) -> ProductBalance:
    """A product's balance in the warehouse the register's point sells from."""
    _device, point = current
    return ProductBalance(product_id=product_id,
                          quantity=service.product_balance(db, point_id=point.id, product_id=product_id))
