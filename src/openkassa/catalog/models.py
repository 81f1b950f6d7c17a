"""Tables of the catalog domain: catalogs, product cards, their barcodes and groups, hot keys.

Every row a register syncs carries `revision`, the account's revision when it last changed; a
deletion leaves a `CatalogTombstone` with its revision, so "changes since N" sees it too.

Name search: on SQLite an FTS5 table `products_fts` mirrors each product's name, article and code
(kept by triggers, keyed by `search_key`); on PostgreSQL a GIN index over a `simple` tsvector of the
same words. Both are made by the migrations `0002_catalog` and `0003_catalog_speed`, and used by `catalog/search.py`.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from openkassa.db import Base, IdMixin, utcnow
from openkassa.fiscal.enums import ItemType, Unit, VatRate


def new_search_key(room: int = 1) -> int:
    """The product's key in the search index: random 63 bits (a collision is refused by a unique index).

    With `room`, the first of that many keys in a row: an import gives its new products the keys
    `first + row number`.
    """
    return secrets.randbelow((1 << 63) - room)


class Catalog(IdMixin, Base):
    """A list of products; points point at one, and several points may share it."""

    __tablename__ = "catalogs"

    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ProductGroup(IdMixin, Base):
    """A folder of products; groups nest (`parent_id`) into a tree per catalog."""

    __tablename__ = "product_groups"
    __table_args__ = (Index("ix_product_groups_catalog_parent", "catalog_id", "parent_id"),)

    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id"))
    catalog_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("catalogs.id", ondelete="CASCADE"))
    parent_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("product_groups.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(128))
    revision: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Product(IdMixin, Base):
    """A product card. Sums are kopecks; `vat`, `unit` and `kind` are the ФФД 1.2 codes (1199, 2108, 1212)."""

    __tablename__ = "products"
    __table_args__ = (
        # An internal code is optional; those given are unique in their catalog.
        Index("uq_products_catalog_code", "catalog_id", "code", unique=True,
              sqlite_where=text("code != ''"), postgresql_where=text("code != ''")),
        # Lists sort by a column, then by id: each sortable column's index ends with id.
        Index("ix_products_catalog_name", "catalog_id", "name", "id"),
        Index("ix_products_catalog_price", "catalog_id", "price", "id"),
        Index("ix_products_catalog_updated", "catalog_id", "updated_at", "id"),
        Index("ix_products_catalog_article", "catalog_id", "article"),
        Index("ix_products_catalog_group_name", "catalog_id", "group_id", "name"),
        Index("ix_products_catalog_revision", "catalog_id", "revision"),
        # The product's Ид in 1C, when it came from a 1C exchange: one product per Ид in a catalog.
        Index("uq_products_catalog_external", "catalog_id", "external_id", unique=True),
    )

    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id"))
    catalog_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("catalogs.id", ondelete="CASCADE"))
    group_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("product_groups.id", ondelete="SET NULL"))
    name: Mapped[str] = mapped_column(String(128))  # as printed on the receipt (1030)
    short_name: Mapped[str] = mapped_column(String(64), default="")
    article: Mapped[str] = mapped_column(String(64), default="")
    code: Mapped[str] = mapped_column(String(64), default="")  # the internal code, "" when none
    price: Mapped[int] = mapped_column(BigInteger, default=0)  # up to schemas.MAX_KOPECKS, past a 32-bit integer
    min_price: Mapped[int] = mapped_column(BigInteger, default=0)
    cost_price: Mapped[int] = mapped_column(BigInteger, default=0)
    vat: Mapped[int] = mapped_column(default=int(VatRate.NO_VAT))
    unit: Mapped[int] = mapped_column(default=int(Unit.PIECE))
    kind: Mapped[int] = mapped_column(default=int(ItemType.GOODS))
    by_weight: Mapped[bool] = mapped_column(default=False)
    free_price: Mapped[bool] = mapped_column(default=False)
    archived: Mapped[bool] = mapped_column(default=False)
    from_register: Mapped[bool] = mapped_column(default=False)  # made by a cashier, not yet checked by a person
    external_id: Mapped[str | None] = mapped_column(String(80))  # its Ид in 1C (onec/), None when it never came from 1C
    search_key: Mapped[int] = mapped_column(BigInteger, unique=True, default=new_search_key)
    revision: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Barcode(Base):
    """A barcode of a product; a code belongs to one product of a catalog."""

    __tablename__ = "product_barcodes"
    __table_args__ = {"sqlite_with_rowid": False}  # a lookup by code is one B-tree search

    catalog_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("catalogs.id", ondelete="CASCADE"), primary_key=True)
    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    product_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"), index=True)


class HotKey(Base):
    """A cell of a point's hot-key grid on the register: a favourite product at a position.

    A change of the grid bumps the point's revision: registers fetch the whole grid again."""

    __tablename__ = "hot_keys"

    point_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("retail_points.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(primary_key=True)  # 0-based, row by row
    product_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"), index=True)


class CatalogTombstone(IdMixin, Base):
    """What was deleted, and at which revision, so registers that sync changes delete it too."""

    __tablename__ = "catalog_tombstones"
    __table_args__ = (Index("ix_catalog_tombstones_catalog_revision", "catalog_id", "revision"),)

    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id"))
    catalog_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("catalogs.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))  # "product", "group"
    object_id: Mapped[uuid.UUID]
    revision: Mapped[int]
    deleted_at: Mapped[datetime] = mapped_column(default=utcnow)


class CatalogImport(IdMixin, Base):
    """A file being imported into a catalog: checked first (the preview), applied on request.

    `columns` are the keys of the columns the file has (the others stay as they are in the
    catalog); the counts say what applying would do.
    """

    __tablename__ = "catalog_imports"

    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id"))
    catalog_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("catalogs.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    state: Mapped[str] = mapped_column(String(16), default="checking")  # checking, ready, applying, applied, failed
    columns: Mapped[str] = mapped_column(String(500), default="")  # comma-separated column keys
    ignored_columns: Mapped[str] = mapped_column(String(2000), default="")  # headers not recognised, "\n"-separated
    rows_total: Mapped[int] = mapped_column(default=0)  # rows read so far, then in all
    rows_expected: Mapped[int] = mapped_column(default=0)  # an estimate for the progress bar; 0 when unknown
    new: Mapped[int] = mapped_column(default=0)
    changed: Mapped[int] = mapped_column(default=0)
    unchanged: Mapped[int] = mapped_column(default=0)
    invalid: Mapped[int] = mapped_column(default=0)
    error: Mapped[str] = mapped_column(String(1000), default="")  # why the whole file was refused
    checked_revision: Mapped[int] = mapped_column(default=0)  # the account's revision the preview was made at
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]


class ImportRow(Base):
    """One row of an imported file, staged: its values, the product it matched and what it will do.

    The staging tables (rows, barcodes, groups) are scratch space written a million rows at a time:
    WITHOUT ROWID on SQLite (one B-tree each), and with no foreign key to their import, so no parent
    is looked up per row and SQLite can empty a table at once. `imports.purge` removes orphans.
    """

    __tablename__ = "catalog_import_rows"
    __table_args__ = {"sqlite_with_rowid": False}

    import_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)  # no foreign key: see above
    row: Mapped[int] = mapped_column(primary_key=True)  # as the user sees it in the file
    outcome: Mapped[str | None] = mapped_column(String(10))  # new, changed, unchanged, invalid
    product_id: Mapped[uuid.UUID | None]  # the product it matched
    new_product_id: Mapped[uuid.UUID]  # the id it gets if it is new
    name: Mapped[str | None] = mapped_column(String(128))
    short_name: Mapped[str | None] = mapped_column(String(64))
    article: Mapped[str | None] = mapped_column(String(64))
    code: Mapped[str | None] = mapped_column(String(64))
    price: Mapped[int | None] = mapped_column(BigInteger)
    min_price: Mapped[int | None] = mapped_column(BigInteger)
    cost_price: Mapped[int | None] = mapped_column(BigInteger)
    vat: Mapped[int | None]
    unit: Mapped[int | None]
    kind: Mapped[int | None]
    group_path: Mapped[str | None] = mapped_column(Text)  # up to 10 names of 128 characters
    group_key: Mapped[int | None]  # the path's number in the file (`ImportGroup`)
    group_id: Mapped[uuid.UUID | None]
    by_weight: Mapped[bool | None]
    free_price: Mapped[bool | None]
    archived: Mapped[bool | None]


class ImportBarcode(Base):
    """A barcode of a staged row, for matching and for finding a code given twice."""

    __tablename__ = "catalog_import_barcodes"
    __table_args__ = (Index("ix_catalog_import_barcodes_code", "import_id", "code"), {"sqlite_with_rowid": False})

    import_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)  # no foreign key: see `ImportRow`
    row: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), primary_key=True)


class ImportGroup(Base):
    """The group a path of a staged file names (found, or made when applying), by the path's number."""

    __tablename__ = "catalog_import_groups"
    __table_args__ = {"sqlite_with_rowid": False}

    import_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)  # no foreign key: see `ImportRow`
    group_key: Mapped[int] = mapped_column(primary_key=True)  # `ImportRow.group_key`
    group_id: Mapped[uuid.UUID]


class ImportProblem(IdMixin, Base):
    """Why a row of an imported file cannot be taken: its row, its column, the reason."""

    __tablename__ = "catalog_import_problems"
    __table_args__ = (Index("ix_catalog_import_problems_import_row", "import_id", "row"),)

    import_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("catalog_imports.id", ondelete="CASCADE"))
    row: Mapped[int]
    column: Mapped[str] = mapped_column(String(200))
    message: Mapped[str] = mapped_column(String(500))
