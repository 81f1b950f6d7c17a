"""stock: each movement keeps the unit cost it left; documents found by warehouse and date

- `stock_movements.unit_cost`: the balance's unit cost right after the movement, so that cancelling
  a document gives back the unit cost from before it (0, unknown, on the movements written before);
- `ix_stock_documents_dated`: the posted inventory counts of a warehouse after a moment, looked up
  when sales made before a count arrive after it, and when a document dated before one is posted.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-28 04:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("stock_movements") as batch:
        batch.add_column(sa.Column("unit_cost", sa.BigInteger(), server_default="0", nullable=False))
    op.create_index("ix_stock_documents_dated", "stock_documents", ["warehouse_id", "kind", "status", "dated_at"])


def downgrade() -> None:
    op.drop_index("ix_stock_documents_dated", table_name="stock_documents")
    with op.batch_alter_table("stock_movements") as batch:
        batch.drop_column("unit_cost")
