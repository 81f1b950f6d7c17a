"""A catalog's part of a register's changes stream (`protocol.changes`): what was deleted, the groups
and the products that changed after a revision, read in batches so a first sync of a million
products goes out in constant memory."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session

from openkassa.catalog.models import Barcode, CatalogTombstone, HotKey, Product, ProductGroup
from openkassa.protocol.changes import DeletedLine, GroupLine, HotKey as HotKeyCell, HotKeysLine, ProductLine

BATCH = 2_000  # products a query reads; their barcodes come in one query more
_PRODUCT_FIELDS = ("id", "group_id", "name", "short_name", "article", "code", "price", "min_price", "cost_price",
                   "vat", "unit", "kind", "by_weight", "free_price", "archived", "from_register", "revision")


def lines(session: Session, catalog_id: uuid.UUID, since: int) -> Iterator[DeletedLine | GroupLine | ProductLine]:
    """Deletions first (a new product may take a deleted one's barcode; from 0 there is nothing to
    delete), then groups, parents before their children, then products by revision: a barcode moved
    from one product to another (two revisions, as no change takes another product's barcode)
    comes freed before it is taken."""
    for kind, object_id, revision in () if since == 0 else session.execute(
            select(CatalogTombstone.kind, CatalogTombstone.object_id, CatalogTombstone.revision)
            .where(CatalogTombstone.catalog_id == catalog_id, CatalogTombstone.revision > since)
            .order_by(CatalogTombstone.revision)):
        yield DeletedLine(kind=kind, id=object_id, revision=revision)
    yield from _groups(session, catalog_id, since)
    yield from _products(session, catalog_id, since)


def hot_keys(session: Session, point_id: uuid.UUID) -> HotKeysLine:
    """A point's whole hot-key grid."""
    return HotKeysLine(keys=[HotKeyCell(position=position, product_id=product_id) for position, product_id in session.execute(
        select(HotKey.position, HotKey.product_id).where(HotKey.point_id == point_id).order_by(HotKey.position))])


def _groups(session: Session, catalog_id: uuid.UUID, since: int) -> Iterator[GroupLine]:
    changed = {group.id: group for group in session.scalars(
        select(ProductGroup).where(ProductGroup.catalog_id == catalog_id, ProductGroup.revision > since))}
    sent: set[uuid.UUID] = set()

    def send(group: ProductGroup) -> Iterator[GroupLine]:
        if group.id in sent:
            return
        sent.add(group.id)
        if group.parent_id in changed:
            yield from send(changed[group.parent_id])
        yield GroupLine(id=group.id, parent_id=group.parent_id, name=group.name, revision=group.revision)

    for group in sorted(changed.values(), key=lambda group: (group.revision, group.name)):
        yield from send(group)


def _products(session: Session, catalog_id: uuid.UUID, since: int) -> Iterator[ProductLine]:
    result = session.execute(select(*(getattr(Product, name) for name in _PRODUCT_FIELDS))
                             .where(Product.catalog_id == catalog_id, Product.revision > since)
                             .order_by(Product.revision)  # the (catalog, revision) index's order: no sort
                             .execution_options(yield_per=BATCH))
    for batch in result.partitions():
        codes: dict[uuid.UUID, list[str]] = {}
        for product_id, code in session.execute(select(Barcode.product_id, Barcode.code).where(
                Barcode.product_id.in_([row[0] for row in batch])).order_by(Barcode.code)):
            codes.setdefault(product_id, []).append(code)
        for row in batch:
            yield ProductLine(**dict(zip(_PRODUCT_FIELDS, row)), barcodes=codes.get(row[0], []))
