"""Rules of the catalog domain (so far: creating, copying and reading catalogs)."""

from __future__ import annotations

import uuid

from sqlalchemy import func, insert, or_, select
from sqlalchemy.orm import Session

from openkassa.accounts.roles import Permission
from openkassa.accounts.service import Actor, next_revision, require
from openkassa.catalog.models import Catalog, Product
from openkassa.errors import NotFound
from openkassa.ids import new_id


PAGE_SIZE = 100  # products shown at once (paging comes with the catalog capability)


def create_catalog(session: Session, actor: Actor, *, name: str) -> Catalog:
    require(actor, Permission.MANAGE)
    catalog = Catalog(account_id=actor.account_id, name=name)
    session.add(catalog)
    session.flush()
    return catalog


def get_catalog(session: Session, actor: Actor, catalog_id: uuid.UUID) -> Catalog:
    catalog = session.get(Catalog, catalog_id)
    if catalog is None or catalog.account_id != actor.account_id:
        raise NotFound()
    return catalog


def copy_catalog(session: Session, actor: Actor, *, source_id: uuid.UUID, name: str) -> Catalog:
    """A new catalog holding a copy of every product of another one (Core bulk insert)."""
    source = get_catalog(session, actor, source_id)
    copy = create_catalog(session, actor, name=name)
    revision = next_revision(session, actor.account_id)
    columns = [c for c in Product.__table__.columns if c.name not in ("id", "catalog_id", "revision", "created_at")]
    rows = session.execute(select(*columns).where(Product.catalog_id == source.id)).all()
    if rows:
        session.execute(
            insert(Product),
            [
                {**{c.name: getattr(row, c.name) for c in columns}, "id": new_id(), "catalog_id": copy.id, "revision": revision}
                for row in rows
            ],
        )
    return copy


def add_product(session: Session, actor: Actor, *, catalog_id: uuid.UUID, name: str, price: int,
                barcode: str = "", vat: str = "none") -> Product:
    require(actor, Permission.MANAGE)
    catalog = get_catalog(session, actor, catalog_id)
    product = Product(
        account_id=actor.account_id, catalog_id=catalog.id, name=name, price=price, barcode=barcode,
        vat=vat, revision=next_revision(session, actor.account_id),
    )
    session.add(product)
    return product


def count_products(session: Session, actor: Actor, catalog_ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
    rows = session.execute(
        select(Product.catalog_id, func.count())
        .where(Product.account_id == actor.account_id, Product.catalog_id.in_(catalog_ids))
        .group_by(Product.catalog_id)
    )
    return {catalog_id: count for catalog_id, count in rows}


def list_products(session: Session, actor: Actor, *, catalog_id: uuid.UUID, search: str = "") -> list[Product]:
    require(actor, Permission.VIEW)
    catalog = get_catalog(session, actor, catalog_id)
    query = select(Product).where(Product.catalog_id == catalog.id)
    if search.strip():
        # "%" and "_" are what the user typed (as in «Молоко 3,2%»), not LIKE wildcards.
        typed = search.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = f"%{typed}%"
        query = query.where(
            or_(Product.name.ilike(pattern, escape="\\"), Product.barcode.like(pattern, escape="\\"))
        )
    return list(session.scalars(query.order_by(Product.name).limit(PAGE_SIZE)))
