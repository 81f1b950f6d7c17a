"""shopdocs: online-shop documents and the shops' associations; a point takes them when marked

- `retail_points.online_shop`: the point takes an online shop's documents;
- `shop_associations`: a shop's login and password for a point (and one of its applications);
- `shop_documents`: the documents shops send, queued for the point's register.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-28 04:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("retail_points") as batch:
        batch.add_column(sa.Column("online_shop", sa.Boolean(), server_default="0", nullable=False))
    op.create_table(
        "shop_associations",
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("point_id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.String(length=128), nullable=False),
        sa.Column("user_name", sa.String(length=36), nullable=False),
        sa.Column("password_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rotated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], name=op.f("fk_shop_associations_account_id_accounts")),
        sa.ForeignKeyConstraint(["point_id"], ["retail_points.id"], name=op.f("fk_shop_associations_point_id_retail_points"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shop_associations")),
        sa.UniqueConstraint("point_id", "client_id", name=op.f("uq_shop_associations_point_id_client_id")),
        sa.UniqueConstraint("user_name", name=op.f("uq_shop_associations_user_name")),
    )
    op.create_index(op.f("ix_shop_associations_account_id"), "shop_associations", ["account_id"])
    op.create_table(
        "shop_documents",
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("point_id", sa.Uuid(), nullable=False),
        sa.Column("external_id", sa.String(length=256), nullable=False),
        sa.Column("doc_num", sa.String(length=256), nullable=False),
        sa.Column("doc_type", sa.String(length=16), nullable=False),
        sa.Column("checkout_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("contact", sa.String(length=256), nullable=False),
        sa.Column("response_url", sa.Text(), nullable=False),
        sa.Column("total", sa.BigInteger(), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("failure_type", sa.String(length=32), nullable=False),
        sa.Column("fiscal", sa.JSON(), nullable=True),
        sa.Column("device_id", sa.Uuid(), nullable=True),
        sa.Column("receipt_id", sa.Uuid(), nullable=True),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status_changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], name=op.f("fk_shop_documents_account_id_accounts")),
        sa.ForeignKeyConstraint(["point_id"], ["retail_points.id"], name=op.f("fk_shop_documents_point_id_retail_points")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shop_documents")),
        sa.UniqueConstraint("point_id", "external_id", name=op.f("uq_shop_documents_point_id_external_id")),
    )
    op.create_index("ix_shop_documents_queue", "shop_documents", ["point_id", "status", "queued_at"])
    op.create_index("ix_shop_documents_account", "shop_documents", ["account_id", "created_at"])


def downgrade() -> None:
    op.drop_table("shop_documents")
    op.drop_table("shop_associations")
    with op.batch_alter_table("retail_points") as batch:
        batch.drop_column("online_shop")
