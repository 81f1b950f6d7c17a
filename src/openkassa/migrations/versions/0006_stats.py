"""stats: rollups of accepted receipts, kept at ingestion

- `sales_documents.local_day`, `local_hour`: when the document was made, in its point's time zone;
  an index on (account, made_at) for all points' receipts of a period;
- `receipt_lines.cost`: the product's cost price × quantity when the receipt arrived (0 for the
  receipts taken before: their cost is not known);
- `stats_hours`, `stats_product_days`, `stats_product_months`: the rollups the dashboard reads
  (clustered by their key on SQLite; product rows also under the nil UUID for all points), filled here from the receipts already taken (the same rules as `stats.rollups.record`, frozen
  in SQL as of this revision).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27 21:30:00
"""

from __future__ import annotations

import uuid
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_NIL = uuid.UUID(int=0)


def _money_columns() -> list[sa.Column]:
    return [sa.Column("revenue", sa.BigInteger(), nullable=False), sa.Column("cost", sa.BigInteger(), nullable=False)]


def upgrade() -> None:
    with op.batch_alter_table("sales_documents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("local_day", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("local_hour", sa.SmallInteger(), nullable=True))
    with op.batch_alter_table("receipt_lines", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cost", sa.BigInteger(), nullable=False, server_default="0"))
    _fill_local_times()
    with op.batch_alter_table("sales_documents", schema=None) as batch_op:
        batch_op.create_index("ix_sales_documents_account_made", ["account_id", "made_at"], unique=False)
    with op.batch_alter_table("sales_documents", schema=None) as batch_op:
        batch_op.alter_column("local_day", existing_type=sa.Date(), nullable=False)
        batch_op.alter_column("local_hour", existing_type=sa.SmallInteger(), nullable=False)

    op.create_table(
        "stats_hours",
        *_money_columns(),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("point_id", sa.Uuid(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("hour", sa.SmallInteger(), nullable=False),
        sa.Column("cashier_id", sa.Uuid(), nullable=False),
        sa.Column("sales", sa.Integer(), nullable=False),
        sa.Column("sales_sum", sa.BigInteger(), nullable=False),
        sa.Column("returns", sa.Integer(), nullable=False),
        sa.Column("returns_sum", sa.BigInteger(), nullable=False),
        sa.Column("corrections", sa.Integer(), nullable=False),
        sa.Column("corrections_sum", sa.BigInteger(), nullable=False),
        sa.Column("cashless", sa.BigInteger(), nullable=False),
        sa.Column("discount", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], name=op.f("fk_stats_hours_account_id_accounts")),
        sa.PrimaryKeyConstraint("account_id", "point_id", "day", "hour", "cashier_id", name=op.f("pk_stats_hours")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "stats_product_days",
        *_money_columns(),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("point_id", sa.Uuid(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("product_id", sa.Uuid(), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], name=op.f("fk_stats_product_days_account_id_accounts")),
        sa.PrimaryKeyConstraint("account_id", "point_id", "day", "product_id", name=op.f("pk_stats_product_days")),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("stats_product_days", schema=None) as batch_op:
        batch_op.create_index("ix_stats_product_days_product", ["account_id", "point_id", "product_id", "day"], unique=False)
    op.create_table(
        "stats_product_months",
        *_money_columns(),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("point_id", sa.Uuid(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("product_id", sa.Uuid(), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], name=op.f("fk_stats_product_months_account_id_accounts")),
        sa.PrimaryKeyConstraint("account_id", "point_id", "month", "product_id", name=op.f("pk_stats_product_months")),
        sqlite_with_rowid=False,
    )
    _fill_rollups()


def _fill_local_times() -> None:
    bind = op.get_bind()
    documents = sa.table("sales_documents", sa.column("id", sa.Uuid()), sa.column("point_id", sa.Uuid()),
                         sa.column("made_at", sa.DateTime(timezone=True)), sa.column("local_day", sa.Date()),
                         sa.column("local_hour", sa.SmallInteger()))
    points = sa.table("retail_points", sa.column("id", sa.Uuid()), sa.column("timezone", sa.String()))
    rows = bind.execute(sa.select(documents.c.id, documents.c.made_at, points.c.timezone)
                        .join(points, points.c.id == documents.c.point_id)).all()
    update = sa.update(documents).where(documents.c.id == sa.bindparam("document_id")).values(
        local_day=sa.bindparam("day"), local_hour=sa.bindparam("hour"))
    values = []
    for row in rows:
        made_at = row.made_at if row.made_at.tzinfo else row.made_at.replace(tzinfo=ZoneInfo("UTC"))
        local = made_at.astimezone(ZoneInfo(row.timezone))
        values.append({"document_id": row.id, "day": local.date(), "hour": local.hour})
    if values:
        bind.execute(update, values)


def _fill_rollups() -> None:
    bind = op.get_bind()
    counted = ("d.status = 'accepted' AND d.kind IN ('receipt', 'correction') AND d.settlement IN (1, 2)")
    sign = "(CASE WHEN d.settlement = 1 THEN 1 ELSE -1 END)"
    nil = sa.bindparam("nil", _NIL, type_=sa.Uuid())
    bind.execute(sa.text(f"""
        INSERT INTO stats_hours (account_id, point_id, day, hour, cashier_id, sales, sales_sum, returns, returns_sum,
                                 corrections, corrections_sum, cashless, discount, revenue, cost)
        SELECT d.account_id, d.point_id, d.local_day, d.local_hour, COALESCE(d.cashier_id, :nil),
               SUM(CASE WHEN d.kind = 'receipt' AND d.settlement = 1 THEN 1 ELSE 0 END),
               SUM(CASE WHEN d.kind = 'receipt' AND d.settlement = 1 THEN d.total ELSE 0 END),
               SUM(CASE WHEN d.kind = 'receipt' AND d.settlement = 2 THEN 1 ELSE 0 END),
               SUM(CASE WHEN d.kind = 'receipt' AND d.settlement = 2 THEN d.total ELSE 0 END),
               SUM(CASE WHEN d.kind = 'correction' THEN 1 ELSE 0 END),
               SUM(CASE WHEN d.kind = 'correction' THEN {sign} * d.total ELSE 0 END),
               SUM({sign} * d.electronic), SUM({sign} * d.discount), SUM({sign} * d.total), 0
        FROM sales_documents d WHERE {counted}
        GROUP BY d.account_id, d.point_id, d.local_day, d.local_hour, COALESCE(d.cashier_id, :nil)
    """).bindparams(nil))
    product_days = f"""
        SELECT d.account_id AS account_id, d.point_id AS point_id, d.local_day AS day,
               COALESCE(l.product_id, :nil) AS product_id,
               {sign} * l.quantity AS quantity, {sign} * l.amount AS revenue
        FROM sales_documents d JOIN receipt_lines l ON l.document_id = d.id WHERE {counted}"""
    bind.execute(sa.text(f"""
        INSERT INTO stats_product_days (account_id, point_id, day, product_id, quantity, revenue, cost)
        SELECT account_id, point_id, day, product_id, SUM(quantity), SUM(revenue), 0 FROM ({product_days}) AS lines
        GROUP BY account_id, point_id, day, product_id
    """).bindparams(nil))
    # the same under "all points" (the nil UUID), once a product and day for the whole account
    bind.execute(sa.text("""
        INSERT INTO stats_product_days (account_id, point_id, day, product_id, quantity, revenue, cost)
        SELECT account_id, :nil, day, product_id, SUM(quantity), SUM(revenue), 0 FROM stats_product_days
        GROUP BY account_id, day, product_id
    """).bindparams(nil))
    month = ("CAST(date_trunc('month', day) AS DATE)" if bind.dialect.name == "postgresql"
             else "date(day, 'start of month')")
    bind.execute(sa.text(f"""
        INSERT INTO stats_product_months (account_id, point_id, month, product_id, quantity, revenue, cost)
        SELECT account_id, point_id, {month}, product_id, SUM(quantity), SUM(revenue), 0 FROM stats_product_days
        GROUP BY account_id, point_id, {month}, product_id
    """))


def downgrade() -> None:
    op.drop_table("stats_product_months")
    with op.batch_alter_table("stats_product_days", schema=None) as batch_op:
        batch_op.drop_index("ix_stats_product_days_product")
    op.drop_table("stats_product_days")
    op.drop_table("stats_hours")
    with op.batch_alter_table("receipt_lines", schema=None) as batch_op:
        batch_op.drop_column("cost")
    with op.batch_alter_table("sales_documents", schema=None) as batch_op:
        batch_op.drop_index("ix_sales_documents_account_made")
        batch_op.drop_column("local_hour")
        batch_op.drop_column("local_day")
