"""What the statistics are asked for, shared by the pages, the JSON API and the exports.

These come in query strings: an empty field is no choice, and a parameter we do not know is
ignored (links get shared and bookmarked). The period's own rules (forward, at most a year, not
in the future) are checked by `service.period_for`, which knows the scope's today."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field


def _empty_is_none(value: object) -> object:
    return None if value == "" else value


Choice = BeforeValidator(_empty_is_none)


class DashboardIn(BaseModel):
    """Which receipts the figures cover: a point (none: all) and a period."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    point: Annotated[uuid.UUID | None, Choice] = None
    period: Literal["today", "yesterday", "week", "month", "last_month", "custom"] = "today"
    start: Annotated[date | None, Choice] = None
    end: Annotated[date | None, Choice] = None


class DrillIn(DashboardIn):
    """The receipts behind one figure: the period's, narrowed down (none: all of them)."""

    kind: Annotated[Literal["sale", "return", "correction"] | None, Choice] = None
    cashier: Annotated[Literal["none"] | uuid.UUID | None, Choice] = None  # "none": made outside a cashier's session
    product: Annotated[Literal["free"] | uuid.UUID | None, Choice] = None  # "free": a line at a free price, no product
    day: Annotated[date | None, Choice] = None
    hour: Annotated[int | None, Field(ge=0, le=23), Choice] = None
    weekday: Annotated[int | None, Field(ge=0, le=6), Choice] = None  # 0 is Monday
    before: Annotated[str | None, Field(max_length=100), Choice] = None


class IdleIn(DashboardIn):
    days: Annotated[int, Field(ge=1, le=3650)] = 30
