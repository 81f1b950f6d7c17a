"""Money: integer kopecks inside, Decimal with two places at the edges. Never float.

The JSON APIs' amounts (`Roubles` in, `RoublesOut` out) are here too, so that every domain's API
takes and shows roubles alike; the register and the fiscal library use only the conversions.
"""

from __future__ import annotations

import json
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Annotated

from pydantic import BeforeValidator, WithJsonSchema

from openkassa.i18n import _

KOPECKS = Decimal("0.01")


def to_kopecks(value: Decimal | str | int) -> int:
    """Roubles (Decimal, string with a point or a comma, or int) to integer kopecks.

    Refuses more than two decimal places rather than silently rounding money.
    """
    if isinstance(value, str):
        value = value.strip().replace("\u00a0", "").replace(" ", "").replace(",", ".")
    try:
        amount = Decimal(value)
    except (InvalidOperation, ValueError) as exc:
        raise ValueError(f"not an amount of money: {value!r}") from exc
    if not amount.is_finite():
        raise ValueError(f"not an amount of money: {value!r}")
    if amount != amount.quantize(KOPECKS, rounding=ROUND_HALF_UP):
        raise ValueError(f"more than two decimal places: {value!r}")
    return int(amount * 100)


def to_roubles(kopecks: int) -> Decimal:
    """Integer kopecks to Decimal roubles with two places."""
    return (Decimal(kopecks) / 100).quantize(KOPECKS)


# --- roubles at the JSON APIs' edge -------------------------------------------------------------------

MAX_KOPECKS = 10**12  # ten billion roubles: the most an amount typed or sent may be (a product card's price, a
# purchase price); far below the ФФД's limit
MAX_ROUBLES = to_roubles(MAX_KOPECKS)
_AMOUNT = re.compile(r"-?[0-9]+(\.[0-9]+)?")
ROUBLES_OUT = 'Roubles as a string with two decimals and a point: "199.90" (never a JSON number).'
ROUBLES_IN = ('Roubles: a string ("199.90") or a JSON number (199.9), at most two decimals, not negative, '
              "at most 10000000000.")


def _shown(value: object) -> str:
    """A sent value as a person would recognise it in a message (JSON spelling, cut short)."""
    if isinstance(value, str):
        return value if len(value) <= 40 else value[:40] + "…"
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    if isinstance(value, (int, float, Decimal)):
        return str(value)
    return "[…]" if isinstance(value, list) else "{…}"


def _amount(value: object) -> Decimal | None:
    """The number a sent value spells, or None when it is no number."""
    if isinstance(value, str) and _AMOUNT.fullmatch(value.strip()):
        return Decimal(value.strip())
    if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        return Decimal(value)
    if isinstance(value, float):  # only from Python callers: the APIs read JSON numbers as Decimal
        return Decimal(repr(value))  # the float's shortest text: 199.9 is "199.9", 0.1 + 0.2 is refused
    return None


def _roubles(value: object) -> Decimal:
    """An amount sent to an API as roubles, checked, with two places; ValueError says what is wrong."""
    amount, shown = _amount(value), _shown(value)
    if amount is None or not amount.is_finite():
        raise ValueError(_("Expected an amount in roubles, for example 199.90, not «{value}».").format(value=shown))
    if amount < 0:
        raise ValueError(_("An amount cannot be negative: «{value}».").format(value=shown))
    if amount > MAX_ROUBLES:  # before quantize, which cannot take 1E+999999
        raise ValueError(_("The amount «{value}» is too large: at most 10 000 000 000 roubles.").format(value=shown))
    rounded = amount.quantize(KOPECKS)
    if rounded != amount:
        raise ValueError(_("An amount has at most two digits of kopecks: «{value}».").format(value=shown))
    return rounded.copy_abs()  # -0.00 is 0.00


Roubles = Annotated[
    Decimal,
    BeforeValidator(_roubles),
    WithJsonSchema({"anyOf": [
        {"type": "string", "pattern": r"^[0-9]+(\.[0-9]{1,2})?$", "examples": ["199.90"]},
        {"type": "number", "minimum": 0, "maximum": int(MAX_ROUBLES)},
    ]}, mode="validation"),
]
"""An amount a JSON API takes: roubles as a string or a number, at most two places, not negative."""
RoublesOut = Annotated[
    Decimal,
    WithJsonSchema({"type": "string", "pattern": r"^[0-9]+\.[0-9]{2}$", "examples": ["199.90"]}, mode="serialization"),
]
"""An amount a JSON API answers: roubles as a string with two places ("199.90")."""
