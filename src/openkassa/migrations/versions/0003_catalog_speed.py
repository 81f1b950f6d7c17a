"""catalog: leaner tables for imports at a million products

- Staged import rows lose their search key: an import numbers its new products' keys itself
  (`new_search_key(room)` + row number).
- On SQLite, `product_barcodes` and the staging tables become WITHOUT ROWID: a row is written once,
  in its primary key's B-tree, instead of in a table and again in the key's index.
- Staging numbers each group path of a file (`group_key`) and `catalog_import_groups` holds the
  group each number names, so one statement gives every staged row its group; a path may be as
  long as ten names of 128 characters (it was cut at 1,000).
- Staged rows keep no foreign key to their import: SQLite then empties a staging table at once
  (a DELETE without WHERE) when one import is alone in it, and checks no parent row per staged
  row. The worker's hourly purge deletes rows whose import is gone.
- On SQLite, the search index keeps no column sizes (`columnsize=0`): nothing ranks by them.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 11:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# The search triggers exactly as 0002 made them: a migration keeps its own copy of what it creates.
_FTS_TRIGGERS = [
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
]


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def _recreate(table: str, *, with_rowid: bool):
    """A batch alteration of a table; on SQLite the table is built anew, with or without rowid."""
    if not _sqlite():
        return op.batch_alter_table(table)
    return op.batch_alter_table(table, recreate="always", table_kwargs={"sqlite_with_rowid": with_rowid})


def _sqlite_search(options: str) -> None:
    """The FTS5 table made again with `options`, its triggers, and its words read from the products."""
    for trigger in ("insert", "delete", "update"):
        op.execute(f"DROP TRIGGER IF EXISTS products_fts_{trigger}")
    op.execute("DROP TABLE IF EXISTS products_fts")
    op.execute(f"""CREATE VIRTUAL TABLE products_fts USING fts5(
        catalog_id UNINDEXED, name, article, code,
        content='products', content_rowid='search_key', tokenize='unicode61 remove_diacritics 2'{options}
    )""")
    for statement in _FTS_TRIGGERS:
        op.execute(statement)
    op.execute("INSERT INTO products_fts (rowid, catalog_id, name, article, code) "
               "SELECT search_key, catalog_id, replace(replace(name, 'ё', 'е'), 'Ё', 'Е'), article, code FROM products "
               "ORDER BY search_key")


def upgrade() -> None:
    op.create_table(
        "catalog_import_groups",
        sa.Column("import_id", sa.Uuid(), nullable=False),
        sa.Column("group_key", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("import_id", "group_key", name=op.f("pk_catalog_import_groups")),
        sqlite_with_rowid=False,
    )
    # A path is numbered while staging (group_key). Ten names of 128 characters overflowed 1,000.
    op.execute("UPDATE catalog_imports SET state = 'failed', error = 'Загрузите файл ещё раз (upload the file again).' "
               "WHERE state IN ('checking', 'ready') AND id IN "
               "(SELECT import_id FROM catalog_import_rows WHERE group_path IS NOT NULL)")
    with _recreate("catalog_import_rows", with_rowid=False) as batch:
        batch.drop_column("search_key")
        batch.add_column(sa.Column("group_key", sa.Integer(), nullable=True))
        batch.alter_column("group_path", type_=sa.Text(), existing_type=sa.String(length=1000), existing_nullable=True)
        batch.drop_constraint("fk_catalog_import_rows_import_id_catalog_imports", type_="foreignkey")
    with _recreate("catalog_import_barcodes", with_rowid=False) as batch:
        batch.drop_constraint("fk_catalog_import_barcodes_import_id_catalog_imports", type_="foreignkey")
    with _recreate("product_barcodes", with_rowid=False):
        pass
    if _sqlite():
        _sqlite_search(", columnsize=0")


def downgrade() -> None:
    op.drop_table("catalog_import_groups")
    if _sqlite():
        _sqlite_search("")
    with _recreate("product_barcodes", with_rowid=True):
        pass
    # Staged rows only wait for a preview: a downgrade fails those imports rather than invent keys.
    op.execute("UPDATE catalog_imports SET state = 'failed', error = 'Загрузите файл ещё раз (upload the file again).' "
               "WHERE state IN ('checking', 'ready')")
    for table in ("catalog_import_rows", "catalog_import_barcodes"):
        op.execute(f"DELETE FROM {table}")
        with _recreate(table, with_rowid=True) as batch:
            batch.create_foreign_key(f"fk_{table}_import_id_catalog_imports", "catalog_imports", ["import_id"], ["id"],
                                     ondelete="CASCADE")
            if table == "catalog_import_rows":
                batch.add_column(sa.Column("search_key", sa.BigInteger(), nullable=False, server_default="0"))
                batch.drop_column("group_key")
                batch.alter_column("group_path", type_=sa.String(length=1000), existing_type=sa.Text(), existing_nullable=True)
