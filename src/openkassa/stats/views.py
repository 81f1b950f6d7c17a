"""HTML pages of the statistics («Статистика»): the dashboard, its blocks, their files, and the receipts
behind a figure.

`/stats` paints the filter bar and the key figures at once; every other block is a fragment the page
loads with HTMX (`/stats/{block}`), so the page shows before the slower blocks are counted. The same
address with `format=xlsx` or `format=csv` downloads the block's table; opened as a page it leads
back to the dashboard. `/stats/receipts` lists the receipts a figure counts, page by page.

A period the service refuses (reversed, too long, out of range) is shown as the filter bar's field
message, never an error page; a point of another account is not found (404).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from urllib.parse import quote, urlencode

from babel.numbers import format_decimal
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from openkassa import tables
from openkassa.accounts.deps import CurrentActor
from openkassa.errors import Invalid, NotFound, validate
from openkassa.i18n import _, current_language
from openkassa.points import service as points_service
from openkassa.sales import service as sales_service
from openkassa.stats import service
from openkassa.stats.schemas import DashboardIn, DrillIn, IdleIn
from openkassa.stats.service import MAX_DAYS, MAX_IDLE_DAYS, Period, Scope
from openkassa.tables import Column, Table
from openkassa.web.deps import DbSession, require_csrf
from openkassa.web.templating import fmt, is_htmx, money, render, see_other

router = APIRouter(dependencies=[Depends(require_csrf)], include_in_schema=False)

BEST_SHOWN = 10
PRODUCTS_SHOWN = 1000  # rows of the full product table on screen; its file has them all
EXPORT_ROWS = 1_048_575  # an .xlsx sheet's rows, less the header




@dataclass(frozen=True)
class Change:
    """How a figure moved since the previous period, as a card shows it."""

    text: str  # "▲ 12,5 %", "▼ 2,0 п. п.", "—"
    direction: str  # "up", "down", "same" or "none" (nothing to compare with)
    tone: str  # "good", "bad" or "" (neither)
    spoken: str  # the same for a screen reader and a tooltip


def change(current: int | Decimal | None, previous: int | Decimal | None, *, rising: str = "good",
           points: bool = False) -> Change:
    """The change of an amount in percent of the previous one, or of a share in percentage points."""
    if current is None or previous is None or (not points and previous == 0):
        return Change("—", "none", "", _("Nothing to compare with in the previous period."))
    if points:
        delta = ((Decimal(current) - Decimal(previous)) * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
        amount = _("{value} pp").format(value=format_decimal(abs(delta), format="#,##0.0", locale=current_language()))
    else:
        delta = (Decimal(current - previous) * 100 / abs(Decimal(previous))).quantize(Decimal("0.1"),
                                                                                     rounding=ROUND_HALF_UP)
        amount = fmt.share(abs(delta) / 100)
    if delta == 0:
        return Change(f"= {amount}", "same", "", _("The same as in the previous period."))
    direction = "up" if delta > 0 else "down"
    tone = "" if rising == "neutral" else ("good" if (direction == "up") == (rising == "good") else "bad")
    spoken = (_("Up {amount} from the previous period.") if direction == "up"
              else _("Down {amount} from the previous period.")).format(amount=amount)
    return Change(("▲ " if direction == "up" else "▼ ") + amount, direction, tone, spoken)


# --- what is asked ----------------------------------------------------------------------------------


PRESET_LABELS = {
    "today": lambda: _("Today"), "yesterday": lambda: _("Yesterday"), "week": lambda: _("This week"),
    "month": lambda: _("This month"), "last_month": lambda: _("Last month"), "custom": lambda: _("Custom range"),
}
KIND_LABELS = {"sale": lambda: _("Sales"), "return": lambda: _("Returns"), "correction": lambda: _("Corrections")}


@dataclass(frozen=True)
class View:
    """The dashboard as asked (a scope and a period, both checked), and the addresses built from it."""

    asked: DashboardIn
    scope: Scope
    period: Period

    def query(self, **extra: object) -> str:
        params = {"point": self.asked.point or "", "period": self.asked.period}
        if self.asked.period == "custom":
            params.update(start=self.period.start.isoformat(), end=self.period.end.isoformat())
        params.update(extra)
        return urlencode({name: str(value) for name, value in params.items() if value not in (None, "")})

    def url(self, path: str, **extra: object) -> str:
        return f"{path}?{self.query(**extra)}"

    def drill(self, **narrow: object) -> str:
        """The receipts behind a figure: the period's, narrowed by kind, cashier, product, day, hour, weekday."""
        return self.url("/stats/receipts", **narrow)


def _asked(request: Request, model=DashboardIn):
    """The query string as the model reads it; a mangled point id names no point (404), like a path."""
    try:
        return validate(model, dict(request.query_params))
    except Invalid as error:
        if "point" in error.fields:
            raise NotFound() from None
        raise _dated(error) from None


def _dated(error: Invalid) -> Invalid:
    """A date that is no date (typed into the address) says so, rather than «Wrong value»."""
    for name in ("start", "end", "day"):
        if error.fields.get(name) == _("Wrong value."):
            error.fields[name] = _("Enter a valid date.")
    return error


def _view(db, actor, asked: DashboardIn) -> View:
    """The scope (404 for another account's point) and the period (Invalid naming the field)."""
    scope = service.scope_for(db, actor, point_id=asked.point)
    return View(asked, scope, service.period_for(scope, preset=asked.period, start=asked.start, end=asked.end))


def _filter(db, actor, request: Request, errors: dict[str, str]) -> dict:
    """What the filter bar shows: the points to choose, the period as asked, its limits."""
    params = dict(request.query_params)
    return {
        "points": points_service.list_points(db, actor),
        "chosen": {"point": params.get("point", ""), "period": params.get("period", "today") or "today",
                   "start": params.get("start", ""), "end": params.get("end", "")},
        "presets": [(key, label()) for key, label in PRESET_LABELS.items()],
        "errors": errors, "max_days": MAX_DAYS,
    }


def _page(request: Request, name: str, status_code: int = 200, **context):
    return render(request, name, status_code=status_code, fmt=fmt, section="stats", **context)


# --- the dashboard ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Kpi:
    key: str
    label: str
    value: str
    previous: str
    change: Change
    drill: str
    note: str = ""


def kpis(view: View, summary: service.Summary) -> list[Kpi]:
    """The key figures of the period as cards, each with its change and the receipts behind it."""
    now, before = summary.current, summary.previous
    every, sales, returns = view.drill(), view.drill(kind="sale"), view.drill(kind="return")
    corrections = (_("Corrections included: {sum}.").format(sum=money(now.corrections_sum))
                   if now.corrections else "")
    return [
        Kpi("revenue", _("Revenue"), money(now.revenue), money(before.revenue), change(now.revenue, before.revenue),
            every, corrections),
        Kpi("sales", _("Sales"), fmt.number(now.sales), fmt.number(before.sales), change(now.sales, before.sales),
            sales),
        Kpi("average_check", _("Average check"), money(now.average_check), money(before.average_check),
            change(now.average_check, before.average_check), sales),
        Kpi("returns", _("Returns"), money(now.returns_sum), money(before.returns_sum),
            change(now.returns_sum, before.returns_sum, rising="bad"), returns,
            _("Return receipts: {count}, before: {before}.").format(count=fmt.number(now.returns),
                                                                   before=fmt.number(before.returns))),
        Kpi("cashless_share", _("Cashless share"), fmt.share(now.cashless_share), fmt.share(before.cashless_share),
            change(now.cashless_share, before.cashless_share, rising="neutral", points=True), every,
            _("Paid cashless: {sum}.").format(sum=money(now.cashless))),
        Kpi("discount", _("Discounts given"), money(now.discount), money(before.discount),
            change(now.discount, before.discount, rising="bad"), every),
        Kpi("profit", _("Gross profit"), money(now.profit), money(before.profit), change(now.profit, before.profit),
            every),
        Kpi("margin", _("Margin"), fmt.share(now.margin), fmt.share(before.margin),
            change(now.margin, before.margin, points=True), every),
    ]


@router.get("/stats")
def dashboard(request: Request, db: DbSession, actor: CurrentActor):
    """The dashboard: the filter bar, the key figures against the previous period, and the blocks."""
    if request.query_params.get("format"):
        return _block(request, db, actor, "summary")
    try:
        view = _view(db, actor, _asked(request))
    except Invalid as error:  # the period's fields say what is wrong; nothing is counted
        context = _filter(db, actor, request, error.fields or {"period": error.message})
        return _page(request, "stats/dashboard.html", status_code=422, view=None, **context)
    summary = service.summary(db, view.scope, view.period)
    days = request.query_params.get("days", "")
    return _page(request, "stats/dashboard.html", view=view, summary=summary, kpis=kpis(view, summary),
                 idle_days=days if days.isdigit() else "", **_filter(db, actor, request, {}))


# --- the blocks: fragments and files ------------------------------------------------------------------


def _summary_table(request: Request, db, view: View) -> Table:
    found = service.summary(db, view.scope, view.period)
    columns = [Column(_("Period")), Column(_("From"), "date"), Column(_("To"), "date"), Column(_("Revenue"), "money"),
               Column(_("Sales"), "int"), Column(_("Sales sum"), "money"), Column(_("Returns"), "int"),
               Column(_("Returns sum"), "money"), Column(_("Corrections"), "int"),
               Column(_("Corrections sum"), "money"), Column(_("Average check"), "money"),
               Column(_("Paid cashless"), "money"), Column(_("Cashless share"), "share"),
               Column(_("Discounts given"), "money"), Column(_("Cost"), "money"), Column(_("Gross profit"), "money"),
               Column(_("Margin"), "share")]
    rows = []
    for label, period, figures in ((_("This period"), found.period, found.current),
                                   (_("Previous period"), found.previous_period, found.previous)):
        rows.append([label, period.start, period.end, figures.revenue, figures.sales, figures.sales_sum,
                     figures.returns, figures.returns_sum, figures.corrections, figures.corrections_sum,
                     figures.average_check, figures.cashless, figures.cashless_share, figures.discount, figures.cost,
                     figures.profit, figures.margin])
    return Table(_("Key figures"), columns, rows)


def _trend(request: Request, db, view: View) -> dict:
    days = service.trend(db, view.scope, view.period)
    chart = {
        "kind": "trend", "labels": [fmt.short_day(day.day) for day in days],
        "titles": [fmt.day(day.day) + ", " + fmt.weekday(day.day.weekday()) for day in days],
        "datasets": [
            {"label": _("Revenue"), "type": "line", "axis": "money", "color": "revenue",
             "data": [fmt.roubles(day.figures.revenue) for day in days]},
            {"label": _("Sales"), "type": "bar", "axis": "count", "color": "sales",
             "data": [day.figures.sales for day in days]},
            {"label": _("Returns"), "type": "bar", "axis": "count", "color": "returns",
             "data": [day.figures.returns for day in days]},
        ],
    }
    return {"days": days, "chart": chart}


def _trend_table(request: Request, db, view: View) -> Table:
    return Table(_("By day"), [
        Column(_("Day"), "date"), Column(_("Weekday")), Column(_("Revenue"), "money"), Column(_("Sales"), "int"),
        Column(_("Average check"), "money"), Column(_("Returns"), "int"), Column(_("Returns sum"), "money"),
        Column(_("Discounts given"), "money"), Column(_("Gross profit"), "money")],
        [[day.day, fmt.weekday(day.day.weekday(), "wide"), day.figures.revenue, day.figures.sales,
          day.figures.average_check, day.figures.returns, day.figures.returns_sum, day.figures.discount,
          day.figures.profit] for day in service.trend(db, view.scope, view.period)])


def _hours(request: Request, db, view: View) -> dict:
    found = service.hours(db, view.scope, view.period)
    total = sum(found.sales)
    chart = {
        "kind": "hours", "labels": [fmt.hour(hour) for hour in range(24)],
        "titles": [fmt.hours(hour) for hour in range(24)],
        "datasets": [
            {"label": _("Sales"), "type": "bar", "axis": "count", "color": "sales", "data": found.sales},
            {"label": _("Revenue"), "type": "line", "axis": "money", "color": "revenue",
             "data": [fmt.roubles(value) for value in found.revenue]},
        ],
    }
    shares = [None if not total else Decimal(count) / total for count in found.sales]
    return {"found": found, "chart": chart, "shares": shares, "total": total}


def _hours_table(request: Request, db, view: View) -> Table:
    found = service.hours(db, view.scope, view.period)
    total = sum(found.sales)
    return Table(_("By hour"), [Column(_("Hour")), Column(_("Sales"), "int"), Column(_("Share of sales"), "share"),
                                Column(_("Revenue"), "money")],
                 [[fmt.hours(hour), found.sales[hour], Decimal(found.sales[hour]) / total if total else None,
                   found.revenue[hour]] for hour in range(24)])


def _heatmap(request: Request, db, view: View) -> dict:
    found = service.hours(db, view.scope, view.period)
    busiest = found.busiest

    def level(count: int) -> int:
        """0 for none, else 1–5 by the share of the busiest hour."""
        return 0 if count <= 0 or not busiest else 1 + min(4, (count * 5 - 1) // busiest)

    return {"found": found, "level": level, "busiest": busiest, "weekdays": range(7), "hours": range(24)}


def _heatmap_table(request: Request, db, view: View) -> Table:
    found = service.hours(db, view.scope, view.period)
    return Table(_("Weekday and hour"), [Column(_("Weekday")), *[Column(fmt.hour(hour), "int") for hour in range(24)]],
                 [[fmt.weekday(weekday, "wide"), *found.by_weekday[weekday]] for weekday in range(7)])


def _cashiers(request: Request, db, view: View) -> dict:
    rows = service.cashiers(db, view.scope, view.period)
    total = sum(row.figures.revenue for row in rows)
    return {"rows": rows, "total": total,
            "share": lambda value: None if total <= 0 else Decimal(value) / total}


def _cashiers_table(request: Request, db, view: View) -> Table:
    return Table(_("Cashiers"), [
        Column(_("Cashier")), Column(_("Revenue"), "money"), Column(_("Sales"), "int"),
        Column(_("Average check"), "money"), Column(_("Returns"), "int"), Column(_("Returns sum"), "money"),
        Column(_("Discounts given"), "money"), Column(_("Gross profit"), "money")],
        [[row.name, row.figures.revenue, row.figures.sales, row.figures.average_check, row.figures.returns,
          row.figures.returns_sum, row.figures.discount, row.figures.profit]
         for row in service.cashiers(db, view.scope, view.period)])


@dataclass(frozen=True)
class AbcRow:
    name: str  # "A", "B", "C"
    count: int
    count_share: Decimal | None
    amount: int
    amount_share: Decimal | None


def abc_rows(found: service.Products, key: str) -> list[AbcRow]:
    classes = found.classes(key)
    count = sum(number for number, _amount in classes.values())
    amount = sum(total for _number, total in classes.values())
    return [AbcRow(name, number, Decimal(number) / count if count else None, total,
                   Decimal(total) / amount if amount > 0 else None) for name, (number, total) in classes.items()]


def _products(request: Request, db, view: View) -> dict:
    found = service.products(db, view.scope, view.period, shown=BEST_SHOWN)  # only these are named
    worst = found.worst(BEST_SHOWN) if found.count > BEST_SHOWN else []  # else all are among the best
    first, second = (Decimal(share) / 100 for share in service.ABC_SHARES)
    explained = _("Class A holds the products that make the first {a} of the sum, B the next {b}, C the remaining "
                  "{c} and those at a loss.").format(a=fmt.share(first, 0), b=fmt.share(second - first, 0),
                                                     c=fmt.share(1 - second, 0))
    return {"found": found, "best": found.best(BEST_SHOWN), "worst": worst, "count": found.count,
            "abc": {"revenue": abc_rows(found, "revenue"), "profit": abc_rows(found, "profit")}, "abc_help": explained}


def _product_table(request: Request, db, view: View) -> dict:
    found = service.products(db, view.scope, view.period, shown=PRODUCTS_SHOWN)
    return {"items": found.best(PRODUCTS_SHOWN), "count": found.count, "shown": PRODUCTS_SHOWN}


def _products_table(request: Request, db, view: View) -> Table:
    return Table(_("Products"), [
        Column(_("Product")), Column(_("Quantity"), "quantity"), Column(_("Revenue"), "money"),
        Column(_("Cost"), "money"), Column(_("Gross profit"), "money"), Column(_("Margin"), "share"),
        Column(_("ABC by revenue")), Column(_("ABC by profit"))],
        [[item.name, item.quantity, item.revenue, item.cost, item.profit, item.margin, item.abc_revenue,
          item.abc_profit] for item in service.products(db, view.scope, view.period, shown=None).items])


def _abc_table(request: Request, db, view: View) -> Table:
    found = service.products(db, view.scope, view.period, shown=0)  # the classes only: no product named
    rows = []
    for key, label in (("revenue", _("By revenue")), ("profit", _("By profit"))):
        for row in abc_rows(found, key):
            rows.append([label, row.name, row.count, row.count_share, row.amount, row.amount_share])
    return Table(_("ABC analysis"), [Column(_("Analysis")), Column(_("Class")), Column(_("Products"), "int"),
                                     Column(_("Share of products"), "share"), Column(_("Sum"), "money"),
                                     Column(_("Share of the sum"), "share")], rows)


def _idle_days(request: Request) -> int:
    """N of «not sold for N days»; out of range, the service's own message."""
    try:
        return validate(IdleIn, dict(request.query_params)).days
    except Invalid as error:
        if "days" in error.fields:
            error.fields["days"] = _("Enter a number of days from 1 to {most}.").format(most=MAX_IDLE_DAYS)
        raise


def _idle(request: Request, db, view: View) -> dict:
    raw = request.query_params.get("days", "")
    try:
        days = _idle_days(request)
        found = service.idle(db, view.scope, days=days)
    except Invalid as error:
        return {"found": None, "days": raw, "error": error.fields.get("days", error.message),
                "max_idle_days": MAX_IDLE_DAYS}
    return {"found": found, "days": found.days, "error": "", "max_idle_days": MAX_IDLE_DAYS}


def _idle_table(request: Request, db, view: View) -> Table:
    found = service.idle(db, view.scope, days=_idle_days(request), limit=EXPORT_ROWS)
    return Table(_("Not sold"), [Column(_("Product")), Column(_("Code")), Column(_("Points")), Column(_("Last sold"), "date")],
                 [[item.name, item.code, ", ".join(view.scope.points_of(item.catalog_id)), item.last_sold]
                  for item in found.items])


@dataclass(frozen=True)
class Block:
    """A block of the dashboard: its fragment and its table as a file."""

    template: str | None  # the fragment; None: a table to download only
    context: Callable | None  # (request, db, view) -> the fragment's context
    table: Callable  # (request, db, view) -> the block's table as a file holds it
    title: Callable[[], str]  # in the file's name
    slug: str  # the file's name for programs that take ASCII only


BLOCKS: dict[str, Block] = {
    "summary": Block(None, None, _summary_table, lambda: _("Key figures"), "summary"),
    "trend": Block("stats/trend.html", _trend, _trend_table, lambda: _("By day"), "days"),
    "hours": Block("stats/hours.html", _hours, _hours_table, lambda: _("By hour"), "hours"),
    "heatmap": Block("stats/heatmap.html", _heatmap, _heatmap_table, lambda: _("Weekday and hour"), "weekday-hour"),
    "cashiers": Block("stats/cashiers.html", _cashiers, _cashiers_table, lambda: _("Cashiers"), "cashiers"),
    "products": Block("stats/products.html", _products, _products_table, lambda: _("Products"), "products"),
    "product-table": Block("stats/product_table.html", _product_table, _products_table, lambda: _("Products"),
                           "products"),
    "abc": Block(None, None, _abc_table, lambda: _("ABC analysis"), "abc"),
    "idle": Block("stats/idle.html", _idle, _idle_table, lambda: _("Not sold"), "not-sold"),
}


@router.get("/stats/receipts")
def receipts(request: Request, db: DbSession, actor: CurrentActor):
    """The receipts a figure counts, newest first, a page at a time, each linking to its document."""
    try:
        asked = _asked(request, DrillIn)
        view = _view(db, actor, asked)
        page = service.receipts(db, view.scope, view.period, asked)
    except Invalid as error:
        return _page(request, "stats/receipts.html", status_code=422, view=None, page=None,
                     errors=list(dict.fromkeys((error.fields or {"": error.message}).values())),
                     back="/stats?" + urlencode({name: value for name, value in request.query_params.items()
                                                 if name in ("point", "period", "start", "end")}))
    points = {point.id: point for point in points_service.list_points(db, actor)}
    return _page(request, "stats/receipts.html", view=view, page=page, errors=[], back=view.url("/stats"),
                 narrowed=_narrowed(db, actor, view, asked, page), points=points,
                 zone=view.scope.zone.key, kind_label=kind_label,
                 older=view.drill(**_narrowing(asked), before=page.next_cursor) if page.next_cursor else None)


def _narrowing(asked: DrillIn) -> dict[str, object]:
    return {name: getattr(asked, name) for name in ("kind", "cashier", "product", "day", "hour", "weekday")}


def _narrowed(db, actor, view: View, asked: DrillIn, page: sales_service.DocumentPage) -> list[tuple[str, str]]:
    """What the list is narrowed to, in words: (what, which)."""
    shown = [(_("Point"), view.scope.point.name if view.scope.point else _("All points")),
             (_("Period"), fmt.period(view.period))]
    if asked.kind:
        shown.append((_("Receipts"), KIND_LABELS[asked.kind]()))
    if asked.cashier == "none":
        shown.append((_("Cashier"), _("No cashier")))
    elif asked.cashier is not None:  # the account's cashiers, archived ones too
        shown.append((_("Cashier"), page.cashiers.get(asked.cashier, _("Unknown cashier"))))
    if asked.product is not None:
        shown.append((_("Product"), service.product_name(db, view.scope, asked.product)))
    if asked.day is not None:
        shown.append((_("Day"), fmt.day(asked.day)))
    if asked.weekday is not None:
        shown.append((_("Weekday"), fmt.weekday(asked.weekday, "wide")))
    if asked.hour is not None:
        shown.append((_("Hour"), fmt.hours(asked.hour)))
    return shown


def kind_label(kind: str, settlement: int | None) -> str:
    """A receipt or a correction, of a sale or of a return."""
    if kind == "correction":
        return _("Return correction") if settlement == 2 else _("Correction")
    return _("Return") if settlement == 2 else _("Sale")


@router.get("/stats/{name}")
def block(request: Request, db: DbSession, actor: CurrentActor, name: str):
    """A block of the dashboard (for HTMX), or its table as a file (`format=xlsx` or `csv`)."""
    if name not in BLOCKS:
        raise NotFound()
    return _block(request, db, actor, name)


def _block(request: Request, db, actor, name: str):
    chosen = BLOCKS[name]
    file_format = request.query_params.get("format", "")
    if file_format and file_format not in tables.FORMATS:
        raise Invalid(fields={"format": _("Choose a file format: xlsx or csv.")})
    if not file_format and (chosen.template is None or not is_htmx(request)):
        # a block opened as a page (no script, a bookmark): the dashboard, at the block
        return see_other(f"/stats?{request.url.query}#{name}" if request.url.query else f"/stats#{name}")
    try:
        view = _view(db, actor, _asked(request))
    except Invalid as error:
        if file_format:
            raise
        # 200, not 422: HTMX swaps only successful answers, and the block must say what is wrong
        return _page(request, "stats/block_error.html", messages=list(dict.fromkeys(error.fields.values())))
    if file_format:
        return _download(chosen.table(request, db, view), file_format, view, chosen)
    return _page(request, chosen.template, view=view, block=name, **chosen.context(request, db, view))


def _download(table: Table, file_format: str, view: View, chosen: Block) -> Response:
    """The table as a file named after the block, the point and the period (in ASCII for old programs)."""
    period = view.period
    dates = period.start.isoformat() if period.days == 1 else f"{period.start.isoformat()}_{period.end.isoformat()}"
    shown = fmt.period(view.period).replace(" – ", "–").replace("/", "-")
    where = view.scope.point.name if view.scope.point else _("All points")
    filename = f"{_('Statistics')}. {chosen.title()}. {where}. {shown}.{file_format}"
    fallback = f"stats-{chosen.slug}-{dates}.{file_format}"
    return Response(tables.write(table, file_format), media_type=tables.MEDIA_TYPES[file_format], headers={
        "Content-Disposition": f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"})
