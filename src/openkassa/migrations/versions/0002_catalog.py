"""catalog: product cards, barcodes, groups, hot keys, tombstones, name search, imports

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 08:46:35

Existing products keep their data: the single `barcode` becomes a row of `product_barcodes`
(the first product keeps a code two products of a catalog shared), `vat` turns from the
ATOL-style name ("vat10", "none") into the 1199 code, `updated_at` starts as `created_at`.
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op

from openkassa.db import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

VAT_CODES = {
    "vat20": 1, "vat10": 2, "vat120": 3, "vat110": 4, "vat0": 5, "none": 6,
    "vat5": 7, "vat7": 8, "vat105": 9, "vat107": 10, "vat22": 11, "vat122": 12,
}

# SQLite: an FTS5 index over the products' words, kept by triggers (rowid = products.search_key).
# Its tokenizer folds the diacritics of Latin letters only, so the name goes in with ё as е.
SQLITE_SEARCH = [
    """CREATE VIRTUAL TABLE products_fts USING fts5(
        catalog_id UNINDEXED, name, article, code,
        content='products', content_rowid='search_key', tokenize='unicode61 remove_diacritics 2'
    )""",
    """CREATE TRIGGER products_fts_insert AFTER INSERT ON products BEGIN
        INSERT INTO products_fts (rowid, catalog_id, name, article, code)
        VALUES (new.search_key, new.catalog_id, replace(replace(new.name, 'ё', 'е'), 'Ё', 'Е'), new.article, new.code);
    END""",
    """CREATE TRIGGER products_fts_delete AFTER DELETE ON products BEGIN
        INSERT INTO products_fts (products_fts, rowid, catalog_id, name, article, code)
        VALUES ('delete', old.search_key, old.catalog_id, replace(replace(old.name, 'ё', 'е'), 'Ё', 'Е'), old.article, old.code);
    END""",
    """CREATE TRIGGER products_fts_update AFTER UPDATE OF name, article, code, search_key, catalog_id ON products BEGIN
        INSERT INTO products_fts (products_fts, rowid, catalog_id, name, article, code)
        VALUES ('delete', old.search_key, old.catalog_id, replace(replace(old.name, 'ё', 'е'), 'Ё', 'Е'), old.article, old.code);
        INSERT INTO products_fts (rowid, catalog_id, name, article, code)
        VALUES (new.search_key, new.catalog_id, replace(replace(new.name, 'ё', 'е'), 'Ё', 'Е'), new.article, new.code);
    END""",
    "INSERT INTO products_fts (rowid, catalog_id, name, article, code) "
    "SELECT search_key, catalog_id, replace(replace(name, 'ё', 'е'), 'Ё', 'Е'), article, code FROM products",
]

# PostgreSQL: a GIN index over the same words (the expression is repeated in catalog/search.py).
POSTGRESQL_SEARCH = [
    "CREATE INDEX ix_products_search ON products USING gin "
    "(to_tsvector('simple', regexp_replace(translate(name || ' ' || article || ' ' || code, 'Ёё', 'Ее'), '[^[:alnum:]]+', ' ', 'g')))",
]


def upgrade() -> None:
    op.create_table(
        "product_groups",
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("catalog_id", sa.Uuid(), nullable=False),
        sa.Column("parent_id", sa.Uuid(), nullable=True),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], name=op.f("fk_product_groups_account_id_accounts")),
        sa.ForeignKeyConstraint(["catalog_id"], ["catalogs.id"], name=op.f("fk_product_groups_catalog_id_catalogs"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["parent_id"], ["product_groups.id"], name=op.f("fk_product_groups_parent_id_product_groups"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_product_groups")),
    )
    op.create_index("ix_product_groups_catalog_parent", "product_groups", ["catalog_id", "parent_id"])

    op.create_table(
        "catalog_tombstones",
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("catalog_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("object_id", sa.Uuid(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("deleted_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], name=op.f("fk_catalog_tombstones_account_id_accounts")),
        sa.ForeignKeyConstraint(["catalog_id"], ["catalogs.id"], name=op.f("fk_catalog_tombstones_catalog_id_catalogs"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_tombstones")),
    )
    op.create_index("ix_catalog_tombstones_catalog_revision", "catalog_tombstones", ["catalog_id", "revision"])

    # The product card grows; new columns start with defaults, then the old data is carried over.
    with op.batch_alter_table("products") as batch:
        batch.add_column(sa.Column("group_id", sa.Uuid(), nullable=True))
        batch.add_column(sa.Column("short_name", sa.String(length=64), nullable=False, server_default=""))
        batch.add_column(sa.Column("article", sa.String(length=64), nullable=False, server_default=""))
        batch.add_column(sa.Column("code", sa.String(length=64), nullable=False, server_default=""))
        batch.add_column(sa.Column("min_price", sa.BigInteger(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("cost_price", sa.BigInteger(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("vat_code", sa.Integer(), nullable=False, server_default="6"))
        batch.add_column(sa.Column("unit", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("kind", sa.Integer(), nullable=False, server_default="1"))
        batch.add_column(sa.Column("by_weight", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("free_price", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("archived", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("from_register", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("search_key", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("updated_at", UTCDateTime(timezone=True), nullable=True))

    kept_barcodes = _carry_over_products()

    with op.batch_alter_table("products") as batch:
        batch.drop_index("ix_products_account_id")
        batch.drop_index("ix_products_catalog_name")
        batch.create_index("ix_products_catalog_name", ["catalog_id", "name", "id"])
        batch.drop_column("barcode")
        batch.drop_column("vat")
        batch.alter_column("vat_code", new_column_name="vat", existing_type=sa.Integer(), existing_nullable=False, server_default=None)
        for name in ("short_name", "article", "code", "min_price", "cost_price", "unit", "kind", "by_weight", "free_price", "archived", "from_register"):
            batch.alter_column(name, server_default=None)
        batch.alter_column("search_key", existing_type=sa.BigInteger(), nullable=False)
        batch.alter_column("price", existing_type=sa.Integer(), type_=sa.BigInteger(), existing_nullable=False)
        batch.alter_column("updated_at", existing_type=UTCDateTime(timezone=True), nullable=False)
        batch.create_index("ix_products_catalog_article", ["catalog_id", "article"])
        batch.create_index("ix_products_catalog_group_name", ["catalog_id", "group_id", "name"])
        batch.create_index("ix_products_catalog_price", ["catalog_id", "price", "id"])
        batch.create_index("ix_products_catalog_updated", ["catalog_id", "updated_at", "id"])
        batch.create_index("ix_products_catalog_revision", ["catalog_id", "revision"])
        batch.create_index("uq_products_catalog_code", ["catalog_id", "code"], unique=True,
                           sqlite_where=sa.text("code != ''"), postgresql_where=sa.text("code != ''"))
        batch.create_unique_constraint(op.f("uq_products_search_key"), ["search_key"])
        batch.create_foreign_key(op.f("fk_products_group_id_product_groups"), "product_groups", ["group_id"], ["id"], ondelete="SET NULL")

    op.create_table(
        "product_barcodes",
        sa.Column("catalog_id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("product_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(["catalog_id"], ["catalogs.id"], name=op.f("fk_product_barcodes_catalog_id_catalogs"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["product_id"], ["products.id"], name=op.f("fk_product_barcodes_product_id_products"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("catalog_id", "code", name=op.f("pk_product_barcodes")),
    )
    op.create_index(op.f("ix_product_barcodes_product_id"), "product_barcodes", ["product_id"])
    # Made after the batch above: on SQLite it rebuilds `products`, and dropping the old copy would
    # cascade to rows that already pointed at it.
    if kept_barcodes:
        op.bulk_insert(sa.table("product_barcodes", sa.column("catalog_id", sa.Uuid()), sa.column("code", sa.String()),
                                sa.column("product_id", sa.Uuid())), kept_barcodes)

    op.create_table(
        "hot_keys",
        sa.Column("point_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(["point_id"], ["retail_points.id"], name=op.f("fk_hot_keys_point_id_retail_points"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["product_id"], ["products.id"], name=op.f("fk_hot_keys_product_id_products"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("point_id", "position", name=op.f("pk_hot_keys")),
    )
    op.create_index(op.f("ix_hot_keys_product_id"), "hot_keys", ["product_id"])

    # Imports: the file's rows staged for the preview, then applied in one go.
    op.create_table(
        "catalog_imports",
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("catalog_id", sa.Uuid(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("columns", sa.String(length=500), nullable=False),
        sa.Column("ignored_columns", sa.String(length=2000), nullable=False),
        sa.Column("rows_total", sa.Integer(), nullable=False),
        sa.Column("rows_expected", sa.Integer(), nullable=False),
        sa.Column("new", sa.Integer(), nullable=False),
        sa.Column("changed", sa.Integer(), nullable=False),
        sa.Column("unchanged", sa.Integer(), nullable=False),
        sa.Column("invalid", sa.Integer(), nullable=False),
        sa.Column("error", sa.String(length=1000), nullable=False),
        sa.Column("checked_revision", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], name=op.f("fk_catalog_imports_account_id_accounts")),
        sa.ForeignKeyConstraint(["catalog_id"], ["catalogs.id"], name=op.f("fk_catalog_imports_catalog_id_catalogs"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_imports")),
    )
    op.create_index(op.f("ix_catalog_imports_catalog_id"), "catalog_imports", ["catalog_id"])
    op.create_table(
        "catalog_import_rows",
        sa.Column("import_id", sa.Uuid(), nullable=False),
        sa.Column("row", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=10), nullable=True),
        sa.Column("product_id", sa.Uuid(), nullable=True),
        sa.Column("new_product_id", sa.Uuid(), nullable=False),
        sa.Column("search_key", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=True),
        sa.Column("short_name", sa.String(length=64), nullable=True),
        sa.Column("article", sa.String(length=64), nullable=True),
        sa.Column("code", sa.String(length=64), nullable=True),
        sa.Column("price", sa.BigInteger(), nullable=True),
        sa.Column("min_price", sa.BigInteger(), nullable=True),
        sa.Column("cost_price", sa.BigInteger(), nullable=True),
        sa.Column("vat", sa.Integer(), nullable=True),
        sa.Column("unit", sa.Integer(), nullable=True),
        sa.Column("kind", sa.Integer(), nullable=True),
        sa.Column("group_path", sa.String(length=1000), nullable=True),
        sa.Column("group_id", sa.Uuid(), nullable=True),
        sa.Column("by_weight", sa.Boolean(), nullable=True),
        sa.Column("free_price", sa.Boolean(), nullable=True),
        sa.Column("archived", sa.Boolean(), nullable=True),
        sa.ForeignKeyConstraint(["import_id"], ["catalog_imports.id"], name=op.f("fk_catalog_import_rows_import_id_catalog_imports"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("import_id", "row", name=op.f("pk_catalog_import_rows")),
    )
    op.create_table(
        "catalog_import_barcodes",
        sa.Column("import_id", sa.Uuid(), nullable=False),
        sa.Column("row", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["import_id"], ["catalog_imports.id"], name=op.f("fk_catalog_import_barcodes_import_id_catalog_imports"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("import_id", "row", "code", name=op.f("pk_catalog_import_barcodes")),
    )
    op.create_index("ix_catalog_import_barcodes_code", "catalog_import_barcodes", ["import_id", "code"])
    op.create_table(
        "catalog_import_problems",
        sa.Column("import_id", sa.Uuid(), nullable=False),
        sa.Column("row", sa.Integer(), nullable=False),
        sa.Column("column", sa.String(length=200), nullable=False),
        sa.Column("message", sa.String(length=500), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(["import_id"], ["catalog_imports.id"], name=op.f("fk_catalog_import_problems_import_id_catalog_imports"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_import_problems")),
    )
    op.create_index("ix_catalog_import_problems_import_row", "catalog_import_problems", ["import_id", "row"])

    for statement in SQLITE_SEARCH if op.get_bind().dialect.name == "sqlite" else POSTGRESQL_SEARCH:
        op.execute(statement)


def _carry_over_products() -> list[dict]:
    """Convert each product's VAT, give it a search key; return its barcode as a row to insert."""
    bind = op.get_bind()
    products = sa.table(
        "products", sa.column("id", sa.Uuid()), sa.column("catalog_id", sa.Uuid()), sa.column("barcode", sa.String()),
        sa.column("vat", sa.String()), sa.column("vat_code", sa.Integer()), sa.column("search_key", sa.BigInteger()),
        sa.column("created_at", UTCDateTime(timezone=True)), sa.column("updated_at", UTCDateTime(timezone=True)),
    )
    kept: list[dict] = []
    taken: set[tuple] = set()
    rows = bind.execute(sa.select(products.c.id, products.c.catalog_id, products.c.barcode, products.c.vat, products.c.created_at)
                        .order_by(products.c.created_at, products.c.id)).all()
    for product_id, catalog_id, barcode, vat, created_at in rows:
        bind.execute(products.update().where(products.c.id == product_id).values(
            vat_code=VAT_CODES.get(vat, 6), search_key=secrets.randbits(63), updated_at=created_at,
        ))
        if barcode and (catalog_id, barcode) not in taken:
            taken.add((catalog_id, barcode))
            kept.append({"catalog_id": catalog_id, "code": barcode, "product_id": product_id})
    return kept


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER products_fts_{trigger}")
        op.execute("DROP TABLE products_fts")
    else:
        op.execute("DROP INDEX ix_products_search")
    for table in ("catalog_import_problems", "catalog_import_barcodes", "catalog_import_rows", "catalog_imports", "hot_keys"):
        op.drop_table(table)
    with op.batch_alter_table("products") as batch:
        batch.drop_constraint(op.f("fk_products_group_id_product_groups"), type_="foreignkey")
        batch.drop_constraint(op.f("uq_products_search_key"), type_="unique")
        batch.drop_index("uq_products_catalog_code")
        for index in ("ix_products_catalog_revision", "ix_products_catalog_price", "ix_products_catalog_updated", "ix_products_catalog_group_name", "ix_products_catalog_article"):
            batch.drop_index(index)
        batch.add_column(sa.Column("barcode", sa.String(length=64), nullable=False, server_default=""))
        batch.alter_column("vat", type_=sa.String(length=10), existing_type=sa.Integer(), existing_nullable=False)
        batch.alter_column("price", type_=sa.Integer(), existing_type=sa.BigInteger(), existing_nullable=False)
        for column in ("updated_at", "search_key", "from_register", "archived", "free_price", "by_weight", "kind", "unit",
                       "cost_price", "min_price", "code", "article", "short_name", "group_id"):
            batch.drop_column(column)
        batch.create_index("ix_products_account_id", ["account_id"])
    op.drop_table("product_barcodes")
    op.drop_table("catalog_tombstones")
    op.drop_table("product_groups")
