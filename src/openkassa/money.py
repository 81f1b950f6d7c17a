"""Money: integer kopecks inside, Decimal with two places at the edges. Never float."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

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
