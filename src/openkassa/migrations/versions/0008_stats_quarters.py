"""stats: a quarterly product rollup

- `stats_product_quarters`: a product's sales at a point (and under the nil UUID for all points) in
  one local quarter, so a year's product figures read four rows a product, not twelve; filled here
  from `stats_product_months` (clustered by its key on SQLite, like the other rollups).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28 00:30:00
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "stats_product_quarters",
        sa.Column("revenue", sa.BigInteger(), nullable=False),
        sa.Column("cost", sa.BigInteger(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("point_id", sa.Uuid(), nullable=False),
        sa.Column("quarter", sa.Date(), nullable=False),
        sa.Column("product_id", sa.Uuid(), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], name=op.f("fk_stats_product_quarters_account_id_accounts")),
        sa.PrimaryKeyConstraint("account_id", "point_id", "quarter", "product_id", name=op.f("pk_stats_product_quarters")),
        sqlite_with_rowid=False,
    )
    _fill()


def _fill() -> None:
    """One INSERT … SELECT a quarter that has months, summing its months' rows."""
    bind = op.get_bind()
    months = sa.table("stats_product_months", *(sa.column(name) for name in (
        "account_id", "point_id", "product_id", "quantity", "revenue", "cost")), sa.column("month", sa.Date()))
    quarters = sa.table("stats_product_quarters", *(sa.column(name) for name in (
        "account_id", "point_id", "quarter", "product_id", "quantity", "revenue", "cost")))
    by_quarter: dict[date, list[date]] = {}
    for month in bind.scalars(sa.select(months.c.month).distinct()):
        by_quarter.setdefault(date(month.year, (month.month - 1) // 3 * 3 + 1, 1), []).append(month)
    for quarter, its_months in sorted(by_quarter.items()):
        bind.execute(quarters.insert().from_select(
            ["account_id", "point_id", "quarter", "product_id", "quantity", "revenue", "cost"],
            sa.select(months.c.account_id, months.c.point_id, sa.literal(quarter, sa.Date()), months.c.product_id,
                      sa.func.sum(months.c.quantity), sa.func.sum(months.c.revenue), sa.func.sum(months.c.cost))
            .where(months.c.month.in_(its_months))
            .group_by(months.c.account_id, months.c.point_id, months.c.product_id)))


def downgrade() -> None:
    op.drop_table("stats_product_quarters")
