"""Reading a submitted HTML form into a validated model, and the amounts and quantities people type."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import TypeVar, get_origin

from pydantic import BaseModel

from openkassa.errors import validate
from openkassa.i18n import _, current_language
from openkassa.money import to_kopecks, to_roubles
from openkassa.web.templating import money

M = TypeVar("M", bound=BaseModel)


def parse(model: type[M], form: dict) -> M:
    """The form as `model`, with the browser's habits undone: an unticked checkbox sends nothing
    (so a missing bool is False), and a group of boxes sends one value, several, or none (a list)."""
    data = dict(form)
    for name, field in model.model_fields.items():
        if field.annotation is bool:
            data[name] = data.get(name) == "on"
        elif get_origin(field.annotation) is list and isinstance(data.get(name, ""), str):
            data[name] = [data[name]] if data.get(name) else []
    return validate(model, data)


_AMOUNT = re.compile(r"[+-]?\d+(?:\.\d+)?")
_QUANTITY = re.compile(r"\d+(?:\.\d{1,3})?")


def _typed_number(typed: str) -> str:
    """What was typed, as a number with a point: spaces (no-break ones too) gone, a comma a point."""
    return typed.strip().replace("\u00a0", "").replace(" ", "").replace(",", ".")


def money_text(kopecks: int) -> str:
    """An amount for an input: 199,90 in Russian, 199.90 in English (no grouping: it is read back)."""
    text = str(to_roubles(kopecks))
    return text.replace(".", ",") if current_language() == "ru" else text


def read_money(typed: str, *, maximum: int, required: bool = False) -> int:
    """Kopecks of an amount typed in roubles (199,90 or 199.90), or ValueError with a message to show."""
    text = _typed_number(typed)
    if not text:
        if required:
            raise ValueError(_("Enter the price."))
        return 0
    if not _AMOUNT.fullmatch(text):
        raise ValueError(_("Enter an amount in roubles, for example 199,90."))
    if Decimal(text) < 0:
        raise ValueError(_("The amount cannot be negative."))
    try:
        kopecks = to_kopecks(text)
    except ValueError:
        raise ValueError(_("At most two digits after the comma: kopecks.")) from None
    if kopecks > maximum:
        raise ValueError(_("At most {amount}.").format(amount=money(maximum)))
    return kopecks


def quantity_text(thousandths: int) -> str:
    """A quantity for an input: 1,5 in Russian, 1.5 in English (no grouping: it is read back)."""
    text = format(Decimal(thousandths) / 1000, "f")
    return text.replace(".", ",") if current_language() == "ru" else text


def read_quantity(typed: str) -> int:
    """Thousandths of a quantity as people type it (2, 1,5 or 1.5), or ValueError with a message to show."""
    text = _typed_number(typed)
    if not text:
        raise ValueError(_("Enter the quantity."))
    if not _QUANTITY.fullmatch(text):
        raise ValueError(_("Enter a quantity such as 2 or 1,5 (at most three digits after the comma)."))
    return int(Decimal(text) * 1000)
