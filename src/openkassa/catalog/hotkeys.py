"""Hot keys: a point's grid of favourite products on the register screen.

The grid has `COLUMNS` × `ROWS` cells, numbered from 0 row by row; a cell holds one product of the
point's catalog or nothing. Every change bumps the point's revision, so its registers fetch the
whole grid again (the grid is small; sending it whole is simpler than sending cells).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from openkassa.accounts.roles import Permission
from openkassa.accounts.service import Actor, next_revision, require
from openkassa.catalog import service
from openkassa.catalog.models import HotKey, Product
from openkassa.errors import Invalid
from openkassa.i18n import _
from openkassa.points import service as points_service
from openkassa.points.models import RetailPoint

COLUMNS = 4
ROWS = 6
POSITIONS = COLUMNS * ROWS


@dataclass(frozen=True)
class HotKeyCell:
    """A cell of the grid: its position and the product in it (None when the cell is empty)."""

    position: int
    product: Product | None

    @property
    def number(self) -> int:
        """The cell's number as people count it (from 1)."""
        return self.position + 1


def get_hot_keys(session: Session, actor: Actor, point_id: uuid.UUID) -> list[HotKeyCell]:
    """Every cell of the point's grid, in order, empty ones included."""
    require(actor, Permission.VIEW)
    point = points_service.get_point(session, actor, point_id)
    placed = {position: product for position, product in session.execute(
        select(HotKey.position, Product).join(Product, Product.id == HotKey.product_id)
        .where(HotKey.point_id == point.id, HotKey.position < POSITIONS)
    )}
    return [HotKeyCell(position, placed.get(position)) for position in range(POSITIONS)]


def set_hot_key(session: Session, actor: Actor, point_id: uuid.UUID, position: int,
                product_id: uuid.UUID) -> HotKeyCell:
    """Put a product of the point's catalog into a cell (replacing what was there)."""
    require(actor, Permission.MANAGE)
    point = points_service.get_point(session, actor, point_id)
    _check_position(position)
    card = service.get_product(session, actor, point.catalog_id, product_id)
    hot_key = session.get(HotKey, (point.id, position))
    if hot_key is None:
        session.add(HotKey(point_id=point.id, position=position, product_id=card.product.id))
    elif hot_key.product_id != card.product.id:
        hot_key.product_id = card.product.id
    else:
        return HotKeyCell(position, card.product)
    _touch(session, actor, point)
    session.flush()
    return HotKeyCell(position, card.product)


def clear_hot_key(session: Session, actor: Actor, point_id: uuid.UUID, position: int) -> None:
    """Empty a cell of the grid (an empty cell stays empty, and nothing changes)."""
    require(actor, Permission.MANAGE)
    point = points_service.get_point(session, actor, point_id)
    _check_position(position)
    removed = session.execute(delete(HotKey).where(HotKey.point_id == point.id, HotKey.position == position))
    if removed.rowcount:
        _touch(session, actor, point)


def _check_position(position: int) -> None:
    if not 0 <= position < POSITIONS:
        raise Invalid(fields={"position": _("Choose a cell from 1 to {count}.").format(count=POSITIONS)})


def _touch(session: Session, actor: Actor, point: RetailPoint) -> None:
    """The point's registers see the new grid at their next sync."""
    point.revision = next_revision(session, actor.account_id)
