"""reports: sales reports asked for in the back office and built by the worker

- `reports`: a report of a period of local days and some points, its recipient, its state while the
  worker builds it (queued, building, done, failed; rows counted and written; the build's attempt
  and heartbeat) and what came of it (the file's name and size, or the reason it failed);
- `report_points`: the points each report covers (a register reads the reports of its point alone).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27 23:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reports",
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("all_points", sa.Boolean(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("language", sa.String(length=5), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("rows_total", sa.BigInteger(), nullable=False),
        sa.Column("rows_done", sa.BigInteger(), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("file_size", sa.BigInteger(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], name=op.f("fk_reports_account_id_accounts")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_reports_user_id_users"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reports")),
    )
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.create_index("ix_reports_account", ["account_id", "id"], unique=False)
    op.create_table(
        "report_points",
        sa.Column("report_id", sa.Uuid(), nullable=False),
        sa.Column("point_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(["point_id"], ["retail_points.id"],
                                name=op.f("fk_report_points_point_id_retail_points"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["report_id"], ["reports.id"], name=op.f("fk_report_points_report_id_reports"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("report_id", "point_id", name=op.f("pk_report_points")),
    )
    with op.batch_alter_table("report_points", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_report_points_point_id"), ["point_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("report_points", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_report_points_point_id"))
    op.drop_table("report_points")
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.drop_index("ix_reports_account")
    op.drop_table("reports")
