"""Rollups of accepted receipts, kept in the same transaction as the upload (`stats.rollups.record`).

Every figure of the dashboard is read from these tables, never from the receipts themselves: a year
of a busy network is millions of receipt lines, and its rollups are a few hundred thousand rows.
Days and hours are the point's local ones when the receipt was made. Money is kopecks, quantities
thousandths; every measure is net: a return takes back what its sale added.

`NO_CASHIER` and `NO_PRODUCT` stand for a receipt made outside a cashier's session and for a line
sold at a free price with no product: a key column cannot be NULL (NULLs never conflict, so an
upsert would add a row each time).
"""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import BigInteger, ForeignKey, Index, SmallInteger
from sqlalchemy.orm import Mapped, mapped_column

from openkassa.db import Base

NO_CASHIER = uuid.UUID(int=0)
NO_PRODUCT = uuid.UUID(int=0)
ALL_POINTS = uuid.UUID(int=0)
"""The product rollups keep each row twice: under its point and under `ALL_POINTS`, so the figures
of a whole network read one row a product and day (or month), not one a point."""

CLUSTERED = {"sqlite_with_rowid": False}
"""On SQLite a rollup is stored in its key's order (WITHOUT ROWID): a period's rows are read in one
pass, not looked up one by one from an index."""


class _Money:
    """The money measures every rollup keeps."""

    revenue: Mapped[int] = mapped_column(BigInteger, default=0)  # sales − returns ± corrections
    cost: Mapped[int] = mapped_column(BigInteger, default=0)  # the lines' cost price when uploaded


class HourFigures(_Money, Base):
    """A point's receipts in one local hour, per cashier."""

    __tablename__ = "stats_hours"
    __table_args__ = (CLUSTERED,)

    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id"), primary_key=True)
    point_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)
    hour: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    cashier_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    sales: Mapped[int] = mapped_column(default=0)  # receipts of settlement 1 (приход)
    sales_sum: Mapped[int] = mapped_column(BigInteger, default=0)
    returns: Mapped[int] = mapped_column(default=0)  # receipts of settlement 2 (возврат прихода)
    returns_sum: Mapped[int] = mapped_column(BigInteger, default=0)
    corrections: Mapped[int] = mapped_column(default=0)
    corrections_sum: Mapped[int] = mapped_column(BigInteger, default=0)  # signed: a return correction subtracts
    cashless: Mapped[int] = mapped_column(BigInteger, default=0)  # paid electronically (1081), net
    discount: Mapped[int] = mapped_column(BigInteger, default=0)  # the lines' discounts, net


class ProductDay(_Money, Base):
    """A product's sales at a point on one local day."""

    __tablename__ = "stats_product_days"
    __table_args__ = (Index("ix_stats_product_days_product", "account_id", "point_id", "product_id", "day"), CLUSTERED)

    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id"), primary_key=True)
    point_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)
    product_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    quantity: Mapped[int] = mapped_column(BigInteger, default=0)


class ProductMonth(_Money, Base):
    """A product's sales at a point in one local month (`month` is its first day): a month's
    product figures come from one of these a product, not thirty days."""

    __tablename__ = "stats_product_months"
    __table_args__ = (CLUSTERED,)

    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id"), primary_key=True)
    point_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    month: Mapped[date] = mapped_column(primary_key=True)
    product_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    quantity: Mapped[int] = mapped_column(BigInteger, default=0)


class ProductQuarter(_Money, Base):
    """A product's sales at a point in one local quarter (`quarter` is its first day: 1 January,
    April, July or October): a year's product figures come from four of these a product."""

    __tablename__ = "stats_product_quarters"
    __table_args__ = (CLUSTERED,)

    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id"), primary_key=True)
    point_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    quarter: Mapped[date] = mapped_column(primary_key=True)
    product_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    quantity: Mapped[int] = mapped_column(BigInteger, default=0)


PRODUCT_SPANS = ((ProductQuarter, ProductQuarter.quarter, 3), (ProductMonth, ProductMonth.month, 1))
"""The product rollups longer than a day, the longest first: the table, its first day's column and
how many months a row holds."""


def span_start(day: date, months: int) -> date:
    """The first day of the span of `months` months (1: a month, 3: a quarter) that holds `day`."""
    return date(day.year, (day.month - 1) // months * months + 1, 1)


def span_after(start: date, months: int) -> date:
    """The first day of the span of `months` months after the one starting on `start`."""
    month = start.month - 1 + months
    return date(start.year + month // 12, month % 12 + 1, 1)
