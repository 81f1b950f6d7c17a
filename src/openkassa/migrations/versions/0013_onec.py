"""1C exchange: products keep their Ид in 1C; a catalog's exchange login

- `products.external_id` with a unique index per catalog: a product found again by its 1C Ид;
  added with a plain ALTER TABLE (no batch), so SQLite keeps the table and its search triggers;
- `onec_exchanges`: the exchange login of a catalog, its password's hash, its price type;
- `onec_exchange_runs`: each `import` call of an exchange and its result (the last 20 are kept).

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-28 04:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("products", sa.Column("external_id", sa.String(length=80), nullable=True))
    op.create_index("uq_products_catalog_external", "products", ["catalog_id", "external_id"], unique=True)
    op.create_table(
        "onec_exchanges",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("catalog_id", sa.Uuid(), nullable=False),
        sa.Column("login", sa.String(length=64), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("price_type", sa.String(length=128), nullable=False),
        sa.Column("session_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_exchange_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], name=op.f("fk_onec_exchanges_account_id_accounts")),
        sa.ForeignKeyConstraint(["catalog_id"], ["catalogs.id"], name=op.f("fk_onec_exchanges_catalog_id_catalogs"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_onec_exchanges")),
        sa.UniqueConstraint("catalog_id", name=op.f("uq_onec_exchanges_catalog_id")),
        sa.UniqueConstraint("login", name=op.f("uq_onec_exchanges_login")),
    )
    op.create_index(op.f("ix_onec_exchanges_account_id"), "onec_exchanges", ["account_id"])
    op.create_index(op.f("ix_onec_exchanges_session_hash"), "onec_exchanges", ["session_hash"])
    op.create_table(
        "onec_exchange_runs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("exchange_id", sa.Uuid(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("succeeded", sa.Boolean(), nullable=False),
        sa.Column("result", sa.String(length=2000), nullable=False),
        sa.ForeignKeyConstraint(["exchange_id"], ["onec_exchanges.id"], name=op.f("fk_onec_exchange_runs_exchange_id_onec_exchanges"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_onec_exchange_runs")),
    )
    op.create_index("ix_onec_exchange_runs_exchange_at", "onec_exchange_runs", ["exchange_id", "at"])


def downgrade() -> None:
    op.drop_index("ix_onec_exchange_runs_exchange_at", table_name="onec_exchange_runs")
    op.drop_table("onec_exchange_runs")
    op.drop_index(op.f("ix_onec_exchanges_session_hash"), table_name="onec_exchanges")
    op.drop_index(op.f("ix_onec_exchanges_account_id"), table_name="onec_exchanges")
    op.drop_table("onec_exchanges")
    op.drop_index("uq_products_catalog_external", table_name="products")
    op.drop_column("products", "external_id")
