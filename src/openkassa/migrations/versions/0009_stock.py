"""stock: warehouses, suppliers, stock documents, the movement ledger and balances

- `warehouses`, and `warehouse_points`: the points whose sales move a warehouse"s goods;
- `suppliers`: who goods are bought from;
- `stock_documents`, `stock_lines`: receipts of goods, write-offs, inventory counts, transfers;
- `stock_movements`: the append-only ledger, each movement behind a stock document or a fiscal one;
- `stock_balances`: each warehouse"s quantity, value at cost and moving-average unit cost of a product.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-28 01:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("suppliers",
    sa.Column("account_id", sa.Uuid(), nullable=False),
    sa.Column("name", sa.String(length=200), nullable=False),
    sa.Column("inn", sa.String(length=12), nullable=False),
    sa.Column("kpp", sa.String(length=9), nullable=False),
    sa.Column("contact", sa.String(length=200), nullable=False),
    sa.Column("phone", sa.String(length=32), nullable=False),
    sa.Column("email", sa.String(length=254), nullable=False),
    sa.Column("address", sa.String(length=500), nullable=False),
    sa.Column("comment", sa.Text(), nullable=False),
    sa.Column("archived", sa.Boolean(), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("id", sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], name=op.f("fk_suppliers_account_id_accounts")),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_suppliers"))
    )
    with op.batch_alter_table("suppliers", schema=None) as batch_op:
        batch_op.create_index("ix_suppliers_account", ["account_id", "name"], unique=False)

    op.create_table("warehouses",
    sa.Column("account_id", sa.Uuid(), nullable=False),
    sa.Column("name", sa.String(length=128), nullable=False),
    sa.Column("archived", sa.Boolean(), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("id", sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], name=op.f("fk_warehouses_account_id_accounts")),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_warehouses"))
    )
    with op.batch_alter_table("warehouses", schema=None) as batch_op:
        batch_op.create_index("ix_warehouses_account", ["account_id", "name"], unique=False)

    op.create_table("stock_balances",
    sa.Column("warehouse_id", sa.Uuid(), nullable=False),
    sa.Column("product_id", sa.Uuid(), nullable=False),
    sa.Column("account_id", sa.Uuid(), nullable=False),
    sa.Column("quantity", sa.BigInteger(), nullable=False),
    sa.Column("value", sa.BigInteger(), nullable=False),
    sa.Column("unit_cost", sa.BigInteger(), nullable=False),
    sa.Column("minimum", sa.BigInteger(), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], name=op.f("fk_stock_balances_account_id_accounts")),
    sa.ForeignKeyConstraint(["warehouse_id"], ["warehouses.id"], name=op.f("fk_stock_balances_warehouse_id_warehouses")),
    sa.PrimaryKeyConstraint("warehouse_id", "product_id", name=op.f("pk_stock_balances"))
    )
    with op.batch_alter_table("stock_balances", schema=None) as batch_op:
        batch_op.create_index("ix_stock_balances_quantity", ["warehouse_id", "quantity"], unique=False)
        batch_op.create_index("ix_stock_balances_minimum", ["warehouse_id"], unique=False,
                              sqlite_where=sa.text("minimum > 0"), postgresql_where=sa.text("minimum > 0"))

    op.create_table("stock_documents",
    sa.Column("account_id", sa.Uuid(), nullable=False),
    sa.Column("kind", sa.String(length=16), nullable=False),
    sa.Column("number", sa.Integer(), nullable=False),
    sa.Column("status", sa.String(length=10), nullable=False),
    sa.Column("warehouse_id", sa.Uuid(), nullable=False),
    sa.Column("target_warehouse_id", sa.Uuid(), nullable=True),
    sa.Column("supplier_id", sa.Uuid(), nullable=True),
    sa.Column("supplier_reference", sa.String(length=64), nullable=False),
    sa.Column("reason", sa.String(length=16), nullable=False),
    sa.Column("comment", sa.Text(), nullable=False),
    sa.Column("dated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("author_id", sa.Uuid(), nullable=True),
    sa.Column("lines_count", sa.Integer(), nullable=False),
    sa.Column("total", sa.BigInteger(), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("posted_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("id", sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], name=op.f("fk_stock_documents_account_id_accounts")),
    sa.ForeignKeyConstraint(["author_id"], ["users.id"], name=op.f("fk_stock_documents_author_id_users"), ondelete="SET NULL"),
    sa.ForeignKeyConstraint(["supplier_id"], ["suppliers.id"], name=op.f("fk_stock_documents_supplier_id_suppliers")),
    sa.ForeignKeyConstraint(["target_warehouse_id"], ["warehouses.id"], name=op.f("fk_stock_documents_target_warehouse_id_warehouses")),
    sa.ForeignKeyConstraint(["warehouse_id"], ["warehouses.id"], name=op.f("fk_stock_documents_warehouse_id_warehouses")),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_documents")),
    sa.UniqueConstraint("account_id", "kind", "number", name=op.f("uq_stock_documents_account_id_kind_number"))
    )
    with op.batch_alter_table("stock_documents", schema=None) as batch_op:
        batch_op.create_index("ix_stock_documents_account", ["account_id", "created_at"], unique=False)

    op.create_table("stock_lines",
    sa.Column("document_id", sa.Uuid(), nullable=False),
    sa.Column("position", sa.Integer(), nullable=False),
    sa.Column("product_id", sa.Uuid(), nullable=False),
    sa.Column("quantity", sa.BigInteger(), nullable=False),
    sa.Column("price", sa.BigInteger(), nullable=False),
    sa.Column("book_quantity", sa.BigInteger(), nullable=True),
    sa.Column("value", sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(["document_id"], ["stock_documents.id"], name=op.f("fk_stock_lines_document_id_stock_documents"), ondelete="CASCADE"),
    sa.PrimaryKeyConstraint("document_id", "position", name=op.f("pk_stock_lines")),
    sa.UniqueConstraint("document_id", "product_id", name=op.f("uq_stock_lines_document_id_product_id"))
    )
    with op.batch_alter_table("stock_lines", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_stock_lines_product_id"), ["product_id"], unique=False)

    op.create_table("stock_movements",
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
    sa.Column("account_id", sa.Uuid(), nullable=False),
    sa.Column("warehouse_id", sa.Uuid(), nullable=False),
    sa.Column("product_id", sa.Uuid(), nullable=False),
    sa.Column("kind", sa.String(length=16), nullable=False),
    sa.Column("quantity", sa.BigInteger(), nullable=False),
    sa.Column("value", sa.BigInteger(), nullable=False),
    sa.Column("balance_after", sa.BigInteger(), nullable=False),
    sa.Column("moved_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("document_id", sa.Uuid(), nullable=True),
    sa.Column("sale_id", sa.Uuid(), nullable=True),
    sa.Column("position", sa.Integer(), nullable=False),
    sa.Column("reversal", sa.Boolean(), nullable=False),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("(document_id IS NULL) <> (sale_id IS NULL)", name=op.f("ck_stock_movements_one_source")),
    sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], name=op.f("fk_stock_movements_account_id_accounts")),
    sa.ForeignKeyConstraint(["document_id"], ["stock_documents.id"], name=op.f("fk_stock_movements_document_id_stock_documents")),
    sa.ForeignKeyConstraint(["warehouse_id"], ["warehouses.id"], name=op.f("fk_stock_movements_warehouse_id_warehouses")),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_movements"))
    )
    with op.batch_alter_table("stock_movements", schema=None) as batch_op:
        batch_op.create_index("ix_stock_movements_document", ["document_id"], unique=False)
        batch_op.create_index("ix_stock_movements_moved", ["account_id", "moved_at"], unique=False)
        batch_op.create_index("ix_stock_movements_product", ["account_id", "warehouse_id", "product_id", "id"], unique=False)
        batch_op.create_index("ix_stock_movements_sale", ["sale_id"], unique=False)

    op.create_table("warehouse_points",
    sa.Column("point_id", sa.Uuid(), nullable=False),
    sa.Column("account_id", sa.Uuid(), nullable=False),
    sa.Column("warehouse_id", sa.Uuid(), nullable=False),
    sa.Column("since", sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], name=op.f("fk_warehouse_points_account_id_accounts")),
    sa.ForeignKeyConstraint(["point_id"], ["retail_points.id"], name=op.f("fk_warehouse_points_point_id_retail_points"), ondelete="CASCADE"),
    sa.ForeignKeyConstraint(["warehouse_id"], ["warehouses.id"], name=op.f("fk_warehouse_points_warehouse_id_warehouses")),
    sa.PrimaryKeyConstraint("point_id", name=op.f("pk_warehouse_points"))
    )
    with op.batch_alter_table("warehouse_points", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_warehouse_points_warehouse_id"), ["warehouse_id"], unique=False)



def downgrade() -> None:
    with op.batch_alter_table("warehouse_points", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_warehouse_points_warehouse_id"))

    op.drop_table("warehouse_points")
    with op.batch_alter_table("stock_movements", schema=None) as batch_op:
        batch_op.drop_index("ix_stock_movements_sale")
        batch_op.drop_index("ix_stock_movements_product")
        batch_op.drop_index("ix_stock_movements_moved")
        batch_op.drop_index("ix_stock_movements_document")

    op.drop_table("stock_movements")
    with op.batch_alter_table("stock_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stock_lines_product_id"))

    op.drop_table("stock_lines")
    with op.batch_alter_table("stock_documents", schema=None) as batch_op:
        batch_op.drop_index("ix_stock_documents_account")

    op.drop_table("stock_documents")
    with op.batch_alter_table("stock_balances", schema=None) as batch_op:
        batch_op.drop_index("ix_stock_balances_minimum")
        batch_op.drop_index("ix_stock_balances_quantity")

    op.drop_table("stock_balances")
    with op.batch_alter_table("warehouses", schema=None) as batch_op:
        batch_op.drop_index("ix_warehouses_account")

    op.drop_table("warehouses")
    with op.batch_alter_table("suppliers", schema=None) as batch_op:
        batch_op.drop_index("ix_suppliers_account")

    op.drop_table("suppliers")
