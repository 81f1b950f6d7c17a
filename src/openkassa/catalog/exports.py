"""Exporting a catalog to a file with the template's columns: importing the file back changes nothing.

Rows are read in batches (`yield_per`) and written as they come, so memory does not grow with the
catalog: a million products go out in constant memory.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import BinaryIO

from sqlalchemy import Connection, func, select
from sqlalchemy.orm import Session

from openkassa.accounts.roles import Permission
from openkassa.accounts.service import Actor, require
from openkassa.catalog import columns, spreadsheets
from openkassa.catalog.models import Barcode, Product, ProductGroup
from openkassa.catalog.service import get_catalog

BATCH = 5_000
WRITERS = {"xls": spreadsheets.write_xls, "csv": spreadsheets.write_csv}
MEDIA_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "xls": "application/vnd.ms-excel",
    "csv": "text/csv; charset=utf-8",
}
_FIELDS = ("name", "short_name", "article", "code", "price", "min_price", "cost_price", "vat", "unit", "kind",
           "by_weight", "free_price", "archived")


def write(session: Session, actor: Actor, catalog_id: uuid.UUID, file_format: str, out: BinaryIO) -> None:
    """Write the catalog to `out` as "xlsx", "xls" or "csv"."""
    require(actor, Permission.VIEW)
    catalog = get_catalog(session, actor, catalog_id)
    with _snapshot(session) as connection:
        if file_format == "xlsx":
            # The sheet gives its size before its rows (some readers stop there), and an import of the
            # file shows its progress by it: counted in the same snapshot as the rows.
            count = connection.scalar(select(func.count()).select_from(Product).where(Product.catalog_id == catalog.id))
            spreadsheets.write_xlsx(out, _rows(connection, catalog.id), size=count + 1)
        else:
            WRITERS[file_format](out, _rows(connection, catalog.id))


@contextmanager
def _snapshot(session: Session) -> Iterator[Connection]:
    """A connection that sees one state of the catalog throughout. SQLite's transaction does already;
    PostgreSQL's READ COMMITTED would let a product added meanwhile in after the count, so the export
    reads on a REPEATABLE READ connection of its own."""
    if session.get_bind().dialect.name == "sqlite":
        yield session.connection()
        return
    with session.get_bind().connect().execution_options(isolation_level="REPEATABLE READ") as connection, \
            connection.begin():
        yield connection


def _rows(connection: Connection, catalog_id: uuid.UUID) -> Iterator[list[object]]:
    """The header row (the template's Russian headers), then one row per product, by name.

    A million products pass through here: the queries run on a connection without the ORM's per-row
    work (seconds at that size), the barcodes of each batch of products come in one query, and
    `columns.format_row` takes the stored values as they are (VAT, unit and kind codes too).
    """
    paths = _group_paths(connection, catalog_id)
    yield [column.ru for column in columns.COLUMNS]
    result = connection.execute(
        select(Product.id, Product.group_id, *(getattr(Product, name) for name in _FIELDS))
        .where(Product.catalog_id == catalog_id).order_by(Product.name, Product.id)
        .execution_options(yield_per=BATCH)
    )
    for batch in result.partitions():
        codes: dict[uuid.UUID, list[str]] = {}
        for product_id, code in connection.execute(
            select(Barcode.product_id, Barcode.code).where(Barcode.product_id.in_([row[0] for row in batch])).order_by(Barcode.code)
        ):
            codes.setdefault(product_id, []).append(code)
        for product_id, group_id, *stored in batch:
            values = dict(zip(_FIELDS, stored))
            values["barcodes"] = codes.get(product_id, [])
            values["group"] = paths.get(group_id)
            yield columns.format_row(values)


def _group_paths(connection: Connection, catalog_id: uuid.UUID) -> dict[uuid.UUID, tuple[str, ...]]:
    """Each group's path from the root, as the group column writes it."""
    groups = {group_id: (parent_id, name) for group_id, parent_id, name in connection.execute(
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
