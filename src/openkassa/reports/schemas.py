"""What a report is asked for with, shared by the page's form, the JSON API and the service.

The period's own rules (forward, at most `stats.service.MAX_DAYS` days, from 2000 to tomorrow) are
checked by the service, which knows the points' today; the points, that they are the account's."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Literal

from pydantic import AfterValidator, BeforeValidator, EmailStr, Field

from openkassa.inputs import Strict

MAX_POINTS = 1000
"""Points one request may name; more is no account's (the largest plan's points fit)."""


def _empty_is_none(value: object) -> object:
    return None if value == "" else value


Choice = BeforeValidator(_empty_is_none)
Email = Annotated[EmailStr, AfterValidator(str.lower), Field(max_length=254)]

Preset = Literal["today", "yesterday", "week", "month", "last_month", "custom"]


class ReportIn(Strict):
    """A report to build: a period (a preset, or `custom` from `start` to `end`), the points (None: all
    of the account's, archived ones too) and the address to mail the file to.

    `email` left out: the account owner's address; null or "": the file is not mailed."""

    period: Preset = "month"
    start: Annotated[date | None, Choice] = None
    end: Annotated[date | None, Choice] = None
    points: Annotated[list[uuid.UUID] | None, Field(max_length=MAX_POINTS)] = None
    email: Annotated[Email | None, Choice] = None
