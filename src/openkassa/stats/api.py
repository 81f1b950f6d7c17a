"""JSON API of the statistics (`/api/v1/stats/…`): the dashboard's blocks, for programs and for checks.

Every route takes the dashboard's query: `point` (none: every point of the account), `period` (`today`,
`yesterday`, `week`, `month`, `last_month` or `custom` with `start` and `end`, ISO dates). A period
the service refuses answers 422 naming the field; another account's point, 404.

Money is decimal roubles as a string with two places (`"199.90"`, `"-45.00"`), as in the catalog's API;
shares are fractions as a string with four places (`"0.2500"` is 25 %), null when there is nothing to
divide by; quantities are a string with three places (`"1.500"`).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, PlainSerializer, WithJsonSchema

from openkassa.accounts.deps import ApiActor
from openkassa.credentials.scopes import Scope, key_access
from openkassa.errors import Invalid, NotFound, validate
from openkassa.money import to_roubles
from openkassa.stats import service
from openkassa.stats.schemas import DashboardIn, DrillIn, IdleIn
from openkassa.stats.service import Figures, Period
from openkassa.web.deps import DbSession

router = APIRouter(prefix="/api/v1/stats", tags=["statistics"], dependencies=[key_access(read=Scope.SALES_READ)])

Roubles = Annotated[
    Decimal,
    PlainSerializer(lambda value: f"{value:.2f}", return_type=str),
    WithJsonSchema({"type": "string", "pattern": r"^-?[0-9]+\.[0-9]{2}$", "examples": ["199.90"]}),
]
Share = Annotated[
    Decimal | None,
    PlainSerializer(lambda value: None if value is None else f"{value:.4f}", return_type=str | None),
    WithJsonSchema({"anyOf": [{"type": "string", "pattern": r"^-?[0-9]+\.[0-9]{4}$", "examples": ["0.2500"]},
                              {"type": "null"}]}),
]
Quantity = Annotated[
    Decimal,
    PlainSerializer(lambda value: f"{value:.3f}", return_type=str),
    WithJsonSchema({"type": "string", "pattern": r"^-?[0-9]+\.[0-9]{3}$", "examples": ["1.500"]}),
]


def _query(model: type[BaseModel]) -> dict[str, Any]:
    """The model's fields as documented query parameters (the route reads them with `validate`)."""
    schema = model.model_json_schema()
    return {"parameters": [{"name": name, "in": "query", "required": False, "schema": field}
                           for name, field in schema["properties"].items()]}


def _asked(request: Request, model: type[BaseModel] = DashboardIn) -> Any:
    try:
        return validate(model, dict(request.query_params))
    except Invalid as error:
        if "point" in error.fields:  # a mangled id names no point, as in a path
            raise NotFound() from None
        raise


def _view(db, actor, asked: DashboardIn) -> tuple[service.Scope, Period]:
    scope = service.scope_for(db, actor, point_id=asked.point)
    return scope, service.period_for(scope, preset=asked.period, start=asked.start, end=asked.end)


# --- answers ----------------------------------------------------------------------------------------


class StatsPeriod(BaseModel):
    start: date
    end: date
    days: int

    @classmethod
    def of(cls, period: Period) -> StatsPeriod:
        return cls(start=period.start, end=period.end, days=period.days)


class StatsFigures(BaseModel):
    revenue: Roubles
    sales: int
    sales_sum: Roubles
    returns: int
    returns_sum: Roubles
    corrections: int
    corrections_sum: Roubles
    cashless: Roubles
    discount: Roubles
    cost: Roubles
    average_check: Roubles
    profit: Roubles
    cashless_share: Share
    margin: Share

    @classmethod
    def of(cls, figures: Figures, **more: Any) -> Any:
        """The figures (and the subclass's own fields, `more`)."""
        money = ("revenue", "sales_sum", "returns_sum", "corrections_sum", "cashless", "discount", "cost",
                 "average_check", "profit")
        return cls(**{name: to_roubles(getattr(figures, name)) for name in money},
                   sales=figures.sales, returns=figures.returns, corrections=figures.corrections,
                   cashless_share=figures.cashless_share, margin=figures.margin, **more)


class StatsAsked(BaseModel):
    point_id: uuid.UUID | None
    period: StatsPeriod


class StatsSummary(StatsAsked):
    current: StatsFigures
    previous_period: StatsPeriod
    previous: StatsFigures


class StatsDay(StatsFigures):
    day: date


class StatsTrend(StatsAsked):
    days: list[StatsDay]


class StatsHour(BaseModel):
    hour: int
    sales: int
    revenue: Roubles


class StatsWeekday(BaseModel):
    weekday: int  # 0 is Monday
    sales: list[int]  # by hour, 0–23
    revenue: list[Roubles]


class StatsHours(StatsAsked):
    hours: list[StatsHour]
    weekdays: list[StatsWeekday]
    busiest: int


class StatsCashier(StatsFigures):
    cashier_id: uuid.UUID | None  # null: receipts made outside a cashier's session
    name: str


class StatsCashiers(StatsAsked):
    cashiers: list[StatsCashier]


class StatsProduct(BaseModel):
    product_id: uuid.UUID | None  # null: lines sold at a free price, not in the catalog
    name: str
    quantity: Quantity
    revenue: Roubles
    cost: Roubles
    profit: Roubles
    margin: Share
    abc_revenue: str
    abc_profit: str


class StatsAbcClass(BaseModel):
    products: int
    sum: Roubles


class StatsProducts(StatsAsked):
    products: list[StatsProduct]
    abc: dict[str, dict[str, StatsAbcClass]]  # "revenue" / "profit" → "A" / "B" / "C"


class StatsIdleProduct(BaseModel):
    product_id: uuid.UUID
    catalog_id: uuid.UUID
    name: str
    code: str
    last_sold: date | None  # null: never sold


class StatsIdle(BaseModel):
    point_id: uuid.UUID | None
    days: int
    count: int
    products: list[StatsIdleProduct]


class StatsReceipt(BaseModel):
    id: uuid.UUID
    point_id: uuid.UUID
    kind: str  # "receipt" or "correction"
    settlement: int | None  # 1 sale, 2 return
    made_at: datetime
    local_day: date
    receipt_number: int | None
    cashier_id: uuid.UUID | None
    cashier: str | None
    total: Roubles
    discount: Roubles
    url: str  # the document's page in the back office


class StatsReceipts(StatsAsked):
    receipts: list[StatsReceipt]
    next_cursor: str | None  # pass as `before` for the next page; null on the last


def _asked_out(scope: service.Scope, period: Period) -> dict:
    return {"point_id": scope.point.id if scope.point else None, "period": StatsPeriod.of(period)}


# --- routes -----------------------------------------------------------------------------------------


@router.get("/summary", openapi_extra=_query(DashboardIn))
def summary(request: Request, db: DbSession, actor: ApiActor) -> StatsSummary:
    """The key figures of the period and of the one before it."""
    scope, period = _view(db, actor, _asked(request))
    found = service.summary(db, scope, period)
    return StatsSummary(**_asked_out(scope, period), current=StatsFigures.of(found.current),
                      previous_period=StatsPeriod.of(found.previous_period), previous=StatsFigures.of(found.previous))


@router.get("/trend", openapi_extra=_query(DashboardIn))
def trend(request: Request, db: DbSession, actor: ApiActor) -> StatsTrend:
    """Each day of the period with its figures (days without receipts as zeros)."""
    scope, period = _view(db, actor, _asked(request))
    return StatsTrend(**_asked_out(scope, period), days=[
        StatsDay.of(day.figures, day=day.day) for day in service.trend(db, scope, period)])


@router.get("/hours", openapi_extra=_query(DashboardIn))
def hours(request: Request, db: DbSession, actor: ApiActor) -> StatsHours:
    """Sales and revenue by hour of the day, and by weekday × hour."""
    scope, period = _view(db, actor, _asked(request))
    found = service.hours(db, scope, period)
    return StatsHours(
        **_asked_out(scope, period), busiest=found.busiest,
        hours=[StatsHour(hour=hour, sales=found.sales[hour], revenue=to_roubles(found.revenue[hour]))
               for hour in range(24)],
        weekdays=[StatsWeekday(weekday=weekday, sales=found.by_weekday[weekday],
                             revenue=[to_roubles(value) for value in found.revenue_by_weekday[weekday]])
                  for weekday in range(7)])


@router.get("/cashiers", openapi_extra=_query(DashboardIn))
def cashiers(request: Request, db: DbSession, actor: ApiActor) -> StatsCashiers:
    """Each cashier's figures, the highest revenue first."""
    scope, period = _view(db, actor, _asked(request))
    return StatsCashiers(**_asked_out(scope, period), cashiers=[
        StatsCashier.of(row.figures, cashier_id=row.cashier_id, name=row.name)
        for row in service.cashiers(db, scope, period)])


@router.get("/products", openapi_extra=_query(DashboardIn))
def products(request: Request, db: DbSession, actor: ApiActor) -> StatsProducts:
    """Every product sold in the period (net of returns), the highest revenue first, with ABC classes."""
    scope, period = _view(db, actor, _asked(request))
    found = service.products(db, scope, period, shown=None)
    return StatsProducts(
        **_asked_out(scope, period),
        products=[StatsProduct(product_id=item.product_id, name=item.name, quantity=Decimal(item.quantity) / 1000,
                             revenue=to_roubles(item.revenue), cost=to_roubles(item.cost),
                             profit=to_roubles(item.profit), margin=item.margin, abc_revenue=item.abc_revenue,
                             abc_profit=item.abc_profit) for item in found.items],
        abc={key: {name: StatsAbcClass(products=count, sum=to_roubles(total))
                   for name, (count, total) in found.classes(key).items()} for key in ("revenue", "profit")})


@router.get("/idle", openapi_extra=_query(IdleIn))
def idle(request: Request, db: DbSession, actor: ApiActor) -> StatsIdle:
    """Products of the scope's catalogs not sold for `days` days (1–3650): how many, and the first by name."""
    asked = _asked(request, IdleIn)
    scope = service.scope_for(db, actor, point_id=asked.point)
    found = service.idle(db, scope, days=asked.days)
    return StatsIdle(point_id=scope.point.id if scope.point else None, days=found.days, count=found.count,
                   products=[StatsIdleProduct(product_id=item.product_id, catalog_id=item.catalog_id, name=item.name, code=item.code,
                                            last_sold=item.last_sold) for item in found.items])


@router.get("/receipts", openapi_extra=_query(DrillIn))
def receipts(request: Request, db: DbSession, actor: ApiActor) -> StatsReceipts:
    """The receipts and corrections a figure counts, newest first, a page at a time: the period's, narrowed
    by `kind`, `cashier` (an id, or `none`), `product` (an id, or `free`), `day`, `hour`, `weekday`."""
    asked = _asked(request, DrillIn)
    scope, period = _view(db, actor, asked)
    page = service.receipts(db, scope, period, asked)
    return StatsReceipts(**_asked_out(scope, period), next_cursor=page.next_cursor, receipts=[
        StatsReceipt(id=document.id, point_id=document.point_id, kind=document.kind, settlement=document.settlement,
                   made_at=document.made_at, local_day=document.local_day, receipt_number=document.receipt_number,
                   cashier_id=document.cashier_id, cashier=page.cashiers.get(document.cashier_id),
                   total=to_roubles(document.total), discount=to_roubles(document.discount),
                   url=f"/documents/{document.id}")
        for document in page.documents])
