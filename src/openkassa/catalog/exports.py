"""Exporting a catalog to a file with the template's columns: importing the file back changes nothing.

Rows are read in batches (`yield_per`) and written as they come, so memory does not grow with the
catalog: a million products go out in constant memory.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from openkassa.accounts.roles import Permission
from openkassa.accounts.service import Actor, require
from openkassa.catalog import columns, spreadsheets
from openkassa.catalog.models import Barcode, Product, ProductGroup
from openkassa.catalog.service import get_catalog
from openkassa.fiscal.enums import ItemType, Unit, VatRate

BATCH = 5_000
WRITERS = {"xlsx": spreadsheets.write_xlsx, "xls": spreadsheets.write_xls, "csv": spreadsheets.write_csv}
MEDIA_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "xls": "application/vnd.ms-excel",
    "csv": "text/csv; charset=utf-8",
}
_FIELDS = ("name", "short_name", "article", "code", "price", "min_price", "cost_price", "vat", "unit", "kind",
           "by_weight", "free_price", "archived")


def write(session: Session, actor: Actor, catalog_id: uuid.UUID, file_format: str, out: BinaryIO) -> None:
    """Write the catalog to `out` as "xlsx", "xls" or "csv"."""
    WRITERS[file_format](out, rows(session, actor, catalog_id))


def rows(session: Session, actor: Actor, catalog_id: uuid.UUID) -> Iterator[list[object]]:
    """The header row (the template's Russian headers), then one row per product, by name."""
    require(actor, Permission.VIEW)
    catalog = get_catalog(session, actor, catalog_id)
    paths = _group_paths(session, catalog.id)
    yield [column.ru for column in columns.COLUMNS]
    result = session.execute(
        select(Product.id, Product.group_id, *(getattr(Product, name) for name in _FIELDS))
        .where(Product.catalog_id == catalog.id).order_by(Product.name, Product.id)
        .execution_options(yield_per=BATCH)
    )
    for batch in result.partitions():
        codes: dict[uuid.UUID, list[str]] = {}
        for product_id, code in session.execute(
            select(Barcode.product_id, Barcode.code).where(Barcode.product_id.in_([row.id for row in batch])).order_by(Barcode.code)
        ):
            codes.setdefault(product_id, []).append(code)
        for row in batch:
            values = {name: getattr(row, name) for name in _FIELDS}
            values.update(vat=VatRate(row.vat), unit=Unit(row.unit), kind=ItemType(row.kind),
                          barcodes=codes.get(row.id, []), group=paths.get(row.group_id))
            yield columns.format_row(values)


def _group_paths(session: Session, catalog_id: uuid.UUID) -> dict[uuid.UUID, tuple[str, ...]]:
    """Each group's path from the root, as the group column writes it."""
    groups = {group_id: (parent_id, name) for group_id, parent_id, name in session.execute(
        select(ProductGroup.id, ProductGroup.parent_id, ProductGroup.name).where(ProductGroup.catalog_id == catalog_id))}
    paths: dict[uuid.UUID, tuple[str, ...]] = {}

    def path(group_id: uuid.UUID) -> tuple[str, ...]:
        if group_id not in paths:
            parent_id, name = groups[group_id]
            paths[group_id] = (path(parent_id) if parent_id in groups else ()) + (name,)
        return paths[group_id]

    for group_id in groups:
        path(group_id)
    return paths
