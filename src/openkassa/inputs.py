"""Building blocks of validated input shared by every domain's schemas."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints

from openkassa.i18n import _
from openkassa.ids import normalize_inn

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_LINE_BREAK = re.compile(r"[\r\n\t\u2028\u2029]")


class Strict(BaseModel):
    """Input that names an unknown field is refused, not silently dropped."""

    model_config = ConfigDict(extra="forbid")


def _multi_line(value: str) -> str:
    if _CONTROL.search(value):
        raise ValueError(_("Remove the control characters."))
    return value


def _single_line(value: str) -> str:
    if _LINE_BREAK.search(value):
        raise ValueError(_("Must fit on one line."))
    return " ".join(_multi_line(value).split())


def single_line(max_length: int, *, required: bool = True):
    """A one-line text (a name, an address): trimmed, each run of spaces (no-break ones too) made one
    plain space, as a catalog import reads a cell, so a name exported and imported again is the same;
    no line breaks or control characters."""
    return Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=1 if required else 0, max_length=max_length),
        AfterValidator(_single_line),
    ]


def multi_line(max_length: int):
    """A text that may span lines (receipt cliché and advertising)."""
    return Annotated[str, StringConstraints(strip_whitespace=True, max_length=max_length), AfterValidator(_multi_line)]


def check_inn(value: str) -> str:
    """A Russian taxpayer number (ИНН): 10 digits for a company, 12 for a person, checksum verified."""
    try:
        return normalize_inn(value)
    except ValueError:
        raise ValueError(_("The INN must have 10 or 12 digits with a correct check digit.")) from None
