"""Sales statistics: the dashboard's figures, read from the rollups (`stats.models`).

A request names a scope (one point, or every point of the account) and a period of local days,
both checked here: a period runs forward, within `MAX_DAYS`, between the year 2000 and tomorrow.
Every block answers from the rollups in one or two queries, whatever the number of receipts:

- `summary`: revenue, sales and returns, average check, cashless share, discounts, gross profit and
  margin, for the period and the one before it;
- `trend`: the same by day; `hours`: by hour of the day and by weekday × hour;
- `cashiers`: per cashier; `products`: per product, with ABC classes by revenue and by profit;
- `idle`: products of the scope's catalogs no receipt has sold for N days.

Definitions. Revenue is sales − returns ± corrections (a correction of a return subtracts). The
average check is the sales' sum over their number (returns and corrections aside). The cashless
share is the revenue paid electronically (1081) over the revenue. Gross profit is revenue − the
cost price of what was sold (the product's cost price when the receipt arrived); margin is profit
over revenue. A product's figures are net of its returns.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import String, func, or_, select, type_coerce, union_all
from sqlalchemy.orm import Session

from openkassa.accounts.roles import Permission
from openkassa.accounts.service import Actor, require
from openkassa.catalog import service as catalog_service
from openkassa.errors import Invalid
from openkassa.i18n import _
from openkassa.points import service as points_service
from openkassa.points.models import RetailPoint
from openkassa.sales import service as sales_service
from openkassa.stats.models import (ALL_POINTS, NO_CASHIER, NO_PRODUCT, PRODUCT_SPANS, HourFigures, ProductDay,
                                   span_after, span_start)
from openkassa.stats.schemas import DrillIn

MAX_DAYS = 366
"""The longest period the dashboard shows at once: a year, leap day included."""

PRESETS = ("today", "yesterday", "week", "month", "last_month", "custom")
ABC_SHARES = (80, 95)
"""Class A holds the products making the first 80 % of the total, B the next 15 %, C the rest."""


# --- what is asked ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """Local days from `start` to `end`, both included."""

    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def each_day(self) -> list[date]:
        return [self.start + timedelta(days=n) for n in range(self.days)]

    def previous(self) -> Period:
        """The period to compare with: for a period within one month from its first day, the same
        days of the month before (as many as it has); else as many days right before."""
        if self.start.day == 1 and (self.start.year, self.start.month) == (self.end.year, self.end.month):
            last_day = self.start - timedelta(days=1)
            return Period(last_day.replace(day=1), last_day.replace(day=min(self.end.day, last_day.day)))
        return Period(self.start - timedelta(days=self.days), self.start - timedelta(days=1))


@dataclass(frozen=True)
class Scope:
    """What the figures cover: one point, or every point of the account (`point` None)."""

    account_id: uuid.UUID
    point: RetailPoint | None
    zone: ZoneInfo  # whose today it is: the point's, or the account's first point's
    points: tuple[RetailPoint, ...]  # the point, or the account's points (not archived)

    @property
    def point_ids(self) -> list[uuid.UUID] | None:
        return None if self.point is None else [self.point.id]

    @property
    def product_point(self) -> uuid.UUID:
        """Whose rows of the product rollups to read: the point's, or those kept for all points."""
        return ALL_POINTS if self.point is None else self.point.id

    @property
    def catalog_ids(self) -> list[uuid.UUID]:
        return sorted({point.catalog_id for point in self.points})

    def points_of(self, catalog_id: uuid.UUID) -> list[str]:
        """The names of the scope's points that sell from a catalog."""
        return [point.name for point in self.points if point.catalog_id == catalog_id]

    def today(self) -> date:
        return datetime.now(self.zone).date()


def scope_for(session: Session, actor: Actor, *, point_id: uuid.UUID | None) -> Scope:
    """The scope asked for; another account's point is not found."""
    require(actor, Permission.VIEW)
    if point_id is not None:
        point = points_service.get_point(session, actor, point_id)
        return Scope(actor.account_id, point, ZoneInfo(point.timezone), (point,))
    points = points_service.list_points(session, actor)
    zone = points[0].timezone if points else points_service.DEFAULT_ZONE
    return Scope(actor.account_id, None, ZoneInfo(zone), tuple(points))


def period_for(scope: Scope, *, preset: str = "today", start: date | None = None, end: date | None = None) -> Period:
    """A preset's period in the scope's time zone, or a custom one checked; `Invalid` names the field."""
    today = scope.today()
    if preset == "today":
        return Period(today, today)
    if preset == "yesterday":
        return Period(today - timedelta(days=1), today - timedelta(days=1))
    if preset == "week":
        return Period(today - timedelta(days=today.weekday()), today)
    if preset == "month":
        return Period(today.replace(day=1), today)
    if preset == "last_month":
        last = today.replace(day=1) - timedelta(days=1)
        return Period(last.replace(day=1), last)
    if preset != "custom":
        raise Invalid(fields={"period": _("Choose a period from the list.")})
    problems = {}
    if start is None:
        problems["start"] = _("Enter the first day of the period.")
    if end is None:
        problems["end"] = _("Enter the last day of the period.")
    for name, day in (("start", start), ("end", end)):
        if day is not None and not (date(2000, 1, 1) <= day <= today + timedelta(days=1)):
            problems[name] = _("Enter a day between 01.01.2000 and tomorrow.")
    if not problems and start > end:  # type: ignore[operator]
        problems["end"] = _("The period ends before it starts.")
    if not problems and (end - start).days + 1 > MAX_DAYS:  # type: ignore[operator]
        problems["end"] = _("A period is at most {days} days long.").format(days=MAX_DAYS)
    if problems:
        raise Invalid(fields=problems)
    return Period(start, end)  # type: ignore[arg-type]


# --- figures ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figures:
    """The summary's measures over some receipts. Money in kopecks."""

    revenue: int = 0
    sales: int = 0
    sales_sum: int = 0
    returns: int = 0
    returns_sum: int = 0
    corrections: int = 0
    corrections_sum: int = 0
    cashless: int = 0
    discount: int = 0
    cost: int = 0

    @property
    def average_check(self) -> int:
        return _divide(self.sales_sum, self.sales)

    @property
    def profit(self) -> int:
        return self.revenue - self.cost

    @property
    def cashless_share(self) -> Decimal | None:
        """A fraction (0.25 is 25 %), None without revenue."""
        return _share(self.cashless, self.revenue)

    @property
    def margin(self) -> Decimal | None:
        return _share(self.profit, self.revenue)


_FIGURES = tuple(field.name for field in fields(Figures))


def _divide(amount: int, count: int) -> int:
    """amount / count in whole kopecks, half up; 0 for nothing."""
    if not count:
        return 0
    return int((Decimal(amount) / count).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _share(part: int, whole: int) -> Decimal | None:
    """part / whole, unrounded (whoever shows it rounds once), None when the whole is not positive."""
    return None if whole <= 0 else Decimal(part) / whole


def _sums(*columns: str) -> list:
    return [func.coalesce(func.sum(getattr(HourFigures, name)), 0).label(name) for name in columns]


def _hours_in(scope: Scope, period: Period) -> list:
    where = [HourFigures.account_id == scope.account_id, HourFigures.day.between(period.start, period.end)]
    if scope.point_ids is not None:
        where.append(HourFigures.point_id.in_(scope.point_ids))
    return where


def _figures(session: Session, scope: Scope, period: Period) -> Figures:
    row = session.execute(select(*_sums(*_FIGURES)).where(*_hours_in(scope, period))).one()
    return Figures(**row._asdict())


@dataclass(frozen=True)
class Summary:
    period: Period
    current: Figures
    previous_period: Period
    previous: Figures


def summary(session: Session, scope: Scope, period: Period) -> Summary:
    """The key figures of the period, and of the one before it to compare."""
    before = period.previous()
    return Summary(period, _figures(session, scope, period), before, _figures(session, scope, before))


@dataclass(frozen=True)
class Day:
    day: date
    figures: Figures


def trend(session: Session, scope: Scope, period: Period) -> list[Day]:
    """Each day of the period with its figures (days without receipts included, as zeros)."""
    rows = session.execute(select(HourFigures.day, *_sums(*_FIGURES)).where(*_hours_in(scope, period))
                           .group_by(HourFigures.day))
    found = {row.day: Figures(**{name: getattr(row, name) for name in _FIGURES}) for row in rows}
    return [Day(day, found.get(day, Figures())) for day in period.each_day()]


@dataclass(frozen=True)
class Hours:
    """When the shops are busy: sales and revenue by hour of the day, and sales by weekday × hour
    (`by_weekday[0]` is Monday)."""

    sales: list[int]
    revenue: list[int]
    by_weekday: list[list[int]]
    revenue_by_weekday: list[list[int]]

    @property
    def busiest(self) -> int:
        return max((cell for row in self.by_weekday for cell in row), default=0)


def hours(session: Session, scope: Scope, period: Period) -> Hours:
    rows = session.execute(select(HourFigures.day, HourFigures.hour, *_sums("sales", "revenue"))
                           .where(*_hours_in(scope, period)).group_by(HourFigures.day, HourFigures.hour))
    result = Hours([0] * 24, [0] * 24, [[0] * 24 for _ in range(7)], [[0] * 24 for _ in range(7)])
    for row in rows:
        weekday = row.day.weekday()
        result.sales[row.hour] += row.sales
        result.revenue[row.hour] += row.revenue
        result.by_weekday[weekday][row.hour] += row.sales
        result.revenue_by_weekday[weekday][row.hour] += row.revenue
    return result


@dataclass(frozen=True)
class CashierFigures:
    cashier_id: uuid.UUID | None  # None: receipts made outside a cashier's session
    name: str
    figures: Figures


def cashiers(session: Session, scope: Scope, period: Period) -> list[CashierFigures]:
    """Each cashier's figures in the period, the highest revenue first."""
    rows = session.execute(select(HourFigures.cashier_id, *_sums(*_FIGURES)).where(*_hours_in(scope, period))
                           .group_by(HourFigures.cashier_id))
    names = points_service.cashier_names(session, account_id=scope.account_id)
    result = []
    for row in rows:
        cashier_id = None if row.cashier_id == NO_CASHIER else row.cashier_id
        name = _("No cashier") if cashier_id is None else names.get(cashier_id, _("Unknown cashier"))
        result.append(CashierFigures(cashier_id, name, Figures(**{name: getattr(row, name) for name in _FIGURES})))
    return sorted(result, key=lambda item: (-item.figures.revenue, item.name))


# --- products ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProductFigures:
    product_id: uuid.UUID | None  # None: lines sold at a free price with no product
    name: str
    quantity: int  # thousandths
    revenue: int
    cost: int
    abc_revenue: str = ""  # "A", "B" or "C"
    abc_profit: str = ""

    @property
    def profit(self) -> int:
        return self.revenue - self.cost

    @property
    def margin(self) -> Decimal | None:
        return _share(self.profit, self.revenue)


@dataclass(frozen=True)
class Products:
    """The products sold in the period: how many, their ABC classes, and the figures of those named
    (all, or the best and the worst few: see `products`), the highest revenue first."""

    count: int
    items: list[ProductFigures]  # the best, or all
    least: list[ProductFigures]  # the worst, the least first
    by_class: dict[str, dict[str, tuple[int, int]]]  # "revenue"/"profit" → class → (products, their sum)

    def best(self, count: int = 10) -> list[ProductFigures]:
        return self.items[:count]

    def worst(self, count: int = 10) -> list[ProductFigures]:
        """The products that brought the least (of those sold), the least first."""
        return self.least[:count]

    def classes(self, key: str) -> dict[str, tuple[int, int]]:
        """For each ABC class by `key` ("revenue" or "profit"): how many products, and their sum."""
        return self.by_class[key]


def products(session: Session, scope: Scope, period: Period, *, shown: int | None = None) -> Products:
    """Each product's net quantity, revenue and cost over the period, with its ABC classes, read from
    the quarterly and monthly rollups for the quarters and months the period covers and from the
    daily one for the days around them (`_pieces`). A network's year is tens of thousands of
    products: the dashboard asks for the best and worst `shown`, and only those are named; files and
    the API ask for all (`shown` None)."""
    spans: dict[tuple[int, int], list[date]] = defaultdict(list)
    parts = []
    for level, first, last, sign in _pieces(period.start, period.end):
        if level is None:
            parts.append(select(ProductDay.product_id, sign * ProductDay.quantity, sign * ProductDay.revenue,
                                sign * ProductDay.cost)
                         .where(ProductDay.account_id == scope.account_id, ProductDay.point_id == scope.product_point,
                                ProductDay.day.between(first, last)))
        else:
            spans[(level, sign)].append(first)
    for (level, sign), starts in spans.items():
        table, start, _months = PRODUCT_SPANS[level]
        parts.append(select(table.product_id, sign * table.quantity, sign * table.revenue, sign * table.cost)
                     .where(table.account_id == scope.account_id, table.point_id == scope.product_point,
                            start.in_(starts)))
    source = (parts[0] if len(parts) == 1 else union_all(*parts)).subquery()
    key, quantity, revenue, cost = source.c
    totals = (func.sum(quantity), func.sum(revenue), func.sum(cost))
    # Core rows, the key as stored (text on SQLite): a UUID is made only for the products named.
    rows = session.connection().execute(
        select(type_coerce(key, String), *totals).group_by(key)
        .having(or_(totals[0] != 0, totals[1] != 0, totals[2] != 0))
        .order_by(totals[1].desc(), key)).all()
    by_revenue, revenue_classes = _abc([row[2] for row in rows], descending=True)
    by_profit, profit_classes = _abc([row[2] - row[3] for row in rows])
    named = range(len(rows)) if shown is None else sorted({*range(min(shown, len(rows))),
                                                            *range(max(len(rows) - shown, 0), len(rows))})
    keys = {index: _uuid(rows[index][0]) for index in named}
    names = _names(session, scope, keys.values())
    figures = {index: ProductFigures(None if keys[index] == NO_PRODUCT else keys[index],
                                     names.get(keys[index], _("Deleted product")), *rows[index][1:],
                                     abc_revenue=by_revenue[index], abc_profit=by_profit[index]) for index in named}
    best = [figures[index] for index in named if shown is None or index < shown]
    least = [figures[index] for index in reversed(named) if shown is None or index >= len(rows) - shown]
    return Products(len(rows), best, least, {"revenue": revenue_classes, "profit": profit_classes})


def _uuid(key: str | uuid.UUID) -> uuid.UUID:
    return key if isinstance(key, uuid.UUID) else uuid.UUID(key)


def _pieces(first: date, last: date, sign: int = 1, level: int = 0) -> list[tuple[int | None, date, date, int]]:
    """The days `first`..`last` as pieces of the product rollups, each added (`sign` 1) or taken away
    (−1): (the index in `PRODUCT_SPANS`, the span's first and last day, sign) for a span read whole, (None,
    first, last, sign) for a run of days of the daily rollup. A span the days cover more than half
    of is read whole, less its days outside them, which are pieces of the shorter rollups: those
    days of this quarter or month still to come hold nothing, and a few days of a network are tens
    of thousands of rows where its quarter is one a product. Every day of `first`..`last` is counted
    once over the pieces, every other day not at all (`tests/stats/test_pieces.py`)."""
    if level == len(PRODUCT_SPANS):
        return [(None, first, last, sign)]
    months = PRODUCT_SPANS[level][2]
    pieces: list[tuple[int | None, date, date, int]] = []
    start = span_start(first, months)
    while start <= last:
        after = span_after(start, months)
        end = after - timedelta(days=1)
        covered_first, covered_last = max(start, first), min(end, last)
        if (covered_last - covered_first).days + 1 > (after - start).days // 2:
            pieces.append((level, start, end, sign))
            if covered_first > start:
                pieces += _pieces(start, covered_first - timedelta(days=1), -sign, level + 1)
            if covered_last < end:
                pieces += _pieces(covered_last + timedelta(days=1), end, -sign, level + 1)
        else:
            pieces += _pieces(covered_first, covered_last, sign, level + 1)
        start = after
    return pieces


def _abc(values: list[int], *, descending: bool = False) -> tuple[list[str], dict[str, tuple[int, int]]]:
    """Each value's class, in the order given, and each class's count and sum: A for those making the
    first 80 % of the total (those that bring it, largest first), B the next 15 %, C the rest and any
    that lose. A value's place is what the larger values make before it, so equal values share a
    class. `descending`: the values come largest first already."""
    order = range(len(values)) if descending else sorted(range(len(values)), key=values.__getitem__, reverse=True)
    total = sum(value for value in values if value > 0)
    a_below, b_below = ABC_SHARES[0] * total, ABC_SHARES[1] * total
    classes = ["C"] * len(values)
    sums = {"A": [0, 0], "B": [0, 0], "C": [0, 0]}
    running = before = 0  # the sum of the values larger than the current one
    previous = None
    for index in order:
        value = values[index]
        if value <= 0:
            break
        if value != previous:
            before, previous = running, value
        name = "A" if before * 100 < a_below else "B" if before * 100 < b_below else "C"
        classes[index] = name
        sums[name][0] += 1
        sums[name][1] += value
        running += value
    counted = sums["A"][0] + sums["B"][0] + sums["C"][0]
    sums["C"][0] += len(values) - counted
    sums["C"][1] += sum(value for value in values if value <= 0)
    return classes, {name: (count, total) for name, (count, total) in sums.items()}


def product_name(session: Session, scope: Scope, product: uuid.UUID | str) -> str:
    """A product's name as the figures give it ("free": the lines sold at a free price)."""
    key = NO_PRODUCT if product == "free" else product
    return _names(session, scope, [key]).get(key, _("Deleted product"))  # type: ignore[arg-type]


def _names(session: Session, scope: Scope, product_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, str]:
    """Product names from the catalog; a product deleted since goes by the name it was sold under."""
    ids = [product_id for product_id in product_ids if product_id != NO_PRODUCT]
    names = catalog_service.product_names(session, account_id=scope.account_id, product_ids=ids)
    missing = [product_id for product_id in ids if product_id not in names]
    names.update(sales_service.sold_names(session, account_id=scope.account_id, product_ids=missing))
    names[NO_PRODUCT] = _("Sold at a free price, not in the catalog")
    return names


@dataclass(frozen=True)
class IdleProduct:
    product_id: uuid.UUID
    catalog_id: uuid.UUID  # a network's points may sell from several catalogs: `Scope.points_of` says whose
    name: str
    code: str
    last_sold: date | None  # None: never sold


@dataclass(frozen=True)
class Idle:
    days: int
    count: int  # how many products of the scope's catalogs no receipt has sold for `days` days
    items: list[IdleProduct]  # the first of them by name


IDLE_SHOWN = 50
MAX_IDLE_DAYS = 3650


def idle(session: Session, scope: Scope, *, days: int = 30, limit: int = IDLE_SHOWN) -> Idle:
    """Products of the scope's catalogs not sold at any of the scope's points for `days` days."""
    if not 1 <= days <= MAX_IDLE_DAYS:
        raise Invalid(fields={"days": _("Enter a number of days from 1 to {most}.").format(most=MAX_IDLE_DAYS)})
    since = scope.today() - timedelta(days=days - 1)
    catalog = catalog_service.product_rows(account_id=scope.account_id, catalog_ids=scope.catalog_ids)
    product_id = catalog.selected_columns.id
    # One look into the index (account, point, product, day) a product of the catalogs: the subquery
    # selects only columns of that index, or SQLite prefers to walk the days of the primary key.
    unsold = catalog.where(~select(ProductDay.day).where(
        ProductDay.account_id == scope.account_id, ProductDay.point_id == scope.product_point,
        ProductDay.product_id == product_id, ProductDay.day >= since).exists())
    # The count comes with the first page (a window over every row), in the same pass.
    rows = session.execute(unsold.add_columns(func.count().over().label("count"))
                           .order_by(catalog.selected_columns.name, product_id).limit(max(limit, 1))).all()
    last = _last_sold(session, scope, [row.id for row in rows[:limit]])
    return Idle(days, rows[0].count if rows else 0,
                [IdleProduct(row.id, row.catalog_id, row.name, row.code, last.get(row.id)) for row in rows[:limit]])


def _last_sold(session: Session, scope: Scope, product_ids: list[uuid.UUID]) -> dict[uuid.UUID, date]:
    if not product_ids:
        return {}
    where = [ProductDay.account_id == scope.account_id, ProductDay.point_id == scope.product_point,
             ProductDay.product_id.in_(product_ids), ProductDay.quantity > 0]
    return dict(session.execute(select(ProductDay.product_id, func.max(ProductDay.day)).where(*where)
                                .group_by(ProductDay.product_id)).all())


# --- the receipts behind a figure ------------------------------------------------------------------


def receipts(session: Session, scope: Scope, period: Period, drill: DrillIn) -> sales_service.DocumentPage:
    """The receipts and corrections a figure of the period counts, narrowed down as `drill` says."""
    days = period.each_day()
    if drill.day is not None:
        if not period.start <= drill.day <= period.end:
            raise Invalid(fields={"day": _("The day is outside the period.")})
        days = [drill.day]
    if drill.weekday is not None:
        days = [day for day in days if day.weekday() == drill.weekday]
        if not days:
            return sales_service.DocumentPage(documents=[], cashiers={}, next_cursor=None, quarantined=0)
    wanted = sales_service.ReceiptFilter(
        account_id=scope.account_id, point_ids=scope.point_ids, days=days, kind=drill.kind,
        cashier_id=drill.cashier if isinstance(drill.cashier, uuid.UUID) else None,
        without_cashier=drill.cashier == "none", hour=drill.hour,
        product_id=drill.product if isinstance(drill.product, uuid.UUID) else None, free_price=drill.product == "free")
    return sales_service.find_receipts(session, wanted, before=drill.before)
