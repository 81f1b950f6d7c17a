"""Receipt arithmetic in integer kopecks: line amounts, discounts, VAT, rounding, payments and change.

Money is kopecks and quantities are thousandths (1023 × 1000), both `int`; no float is used anywhere.
The reference (§2.4, §7 item 8) leaves the rounding of 1043 and 1200 unconfirmed: this module rounds
both half up to the kopeck, in one place each (`line_amount`, `vat_of`).

`settle` turns what the cashier rang up into what the receipt says, keeping the two sums ФФД 1.2
checks (§2.3): 1020 = Σ 1043 over the items, and 1031 + 1081 + 1215 + 1216 + 1217 = 1020.
Every refusal is an `InvalidDocument` naming the requisite and the reason.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from openkassa.fiscal.enums import VatRate
from openkassa.fiscal.errors import InvalidDocument

SUM_LIMIT = 2**48  # 1079, 1043, 1020 and the tenders are VLN ≤ 6 bytes: every sum is below this
QUANTITY_LIMIT = 2**56  # 1023 is FVLN ≤ 8 bytes: one byte of decimals, seven of mantissa
ROUNDING_STEPS = (0, 10, 50, 100)  # kopecks; 0 = no rounding

_TENDER_TAGS = {"cash": 1031, "electronic": 1081, "advance": 1215, "credit": 1216, "other": 1217}


def _whole(tag: int, what: str, value: object, *, minimum: int = 0, limit: int = SUM_LIMIT) -> int:
    """`value` as an int in [minimum, limit), refused on `tag` otherwise (bool is not a number here)."""
    if type(value) is int and minimum <= value < limit:
        return value  # the hot path: every sum of every line goes through here
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidDocument(tag, f"{what} ({tag}) must be an integer, not {type(value).__name__} {value!r}")
    if value < minimum:
        bound = "negative" if minimum == 0 else f"below {minimum}"
        raise InvalidDocument(tag, f"{what} ({tag}) must not be {bound}: {value}")
    if value >= limit:
        raise InvalidDocument(tag, f"{what} ({tag}) = {value} does not fit its field (must be below {limit})")
    return value


def _rate(value: object) -> VatRate:
    """`value` if it is a VatRate; a bare number is refused, since 1199 values 7–12 are unconfirmed."""
    if not isinstance(value, VatRate):
        raise InvalidDocument(1199, f"VAT rate (1199) must be a VatRate, not {type(value).__name__} {value!r}")
    return value


@dataclass(frozen=True)
class LineInput:
    """One line as the cashier rang it up: price per unit, quantity, VAT rate and the line's own discount."""

    price: int  # kopecks per unit (1079)
    quantity: int  # thousandths (1023 × 1000)
    vat: VatRate  # 1199
    discount: int = 0  # kopecks off this line

    def __post_init__(self) -> None:
        # Every line of every receipt: a price and a quantity in range and a VatRate pass one test.
        if not (type(self.price) is int and 0 <= self.price < SUM_LIMIT and type(self.quantity) is int
                and 1 <= self.quantity < QUANTITY_LIMIT and type(self.vat) is VatRate):
            _whole(1079, "price", self.price)
            _whole(1023, "quantity in thousandths", self.quantity, minimum=1, limit=QUANTITY_LIMIT)
            _rate(self.vat)
        gross = line_amount(self.price, self.quantity)
        _whole(1043, "line discount", self.discount)
        if self.discount > gross:
            raise InvalidDocument(1043, f"line discount {self.discount} exceeds the line sum price × quantity = {gross}")


@dataclass(frozen=True)
class Line:
    """One line as the receipt states it.

    `discount` is everything taken off the line: its own discount, its share of the receipt-level
    discount and its share of the rounding. `amount` (1043) = line_amount(price, quantity) − discount;
    `vat_amount` (1200) = vat_of(amount, vat).
    """

    price: int
    quantity: int
    vat: VatRate
    discount: int
    amount: int
    vat_amount: int


@dataclass(frozen=True)
class Payments:
    """What the buyer pays with, in kopecks: 1031 cash, 1081 electronic, 1215 advance, 1216 credit, 1217 other."""

    cash: int = 0
    electronic: int = 0
    advance: int = 0
    credit: int = 0
    other: int = 0

    def __post_init__(self) -> None:
        for name, tag in _TENDER_TAGS.items():
            _whole(tag, f"{name} tender", getattr(self, name))

    @property
    def total(self) -> int:
        """All tenders together."""
        return self.cash + self.electronic + self.advance + self.credit + self.other


@dataclass(frozen=True)
class Settlement:
    """The receipt's sums: its lines, the total, VAT per rate, the payments applied and the change.

    Invariants (tests/fiscal/test_arithmetic.py proves them): total == Σ line.amount ==
    payments.total; change ≥ 0 and only out of cash; vat_by_rate[r] == Σ vat_amount of the lines at r.
    """

    lines: tuple[Line, ...]
    total: int  # 1020
    vat_by_rate: dict[VatRate, int]  # Σ 1200 of the lines per rate, every rate that occurs (0 for 0 % and no VAT)
    payments: Payments  # cash reduced by the change
    change: int  # cash given back
    rounded_off: int  # taken off the total by rounding in the buyer's favour

    @property
    def amount_by_rate(self) -> dict[VatRate, int]:
        """Σ line amounts per rate: the receipt sums at 0 % (1104) and without VAT (1105) read from here."""
        sums: dict[VatRate, int] = {}
        for line in sorted(self.lines, key=lambda line: line.vat):
            sums[line.vat] = sums.get(line.vat, 0) + line.amount
        return sums


def line_amount(price: int, quantity: int) -> int:
    """price × quantity in kopecks, quantity in thousandths: round(price × quantity / 1000), half up."""
    # Called for every line of every receipt, a few times over: plain ints in range pass one test.
    if not (type(price) is int and 0 <= price < SUM_LIMIT and type(quantity) is int and 1 <= quantity < QUANTITY_LIMIT):
        _whole(1079, "price", price)
        _whole(1023, "quantity in thousandths", quantity, minimum=1, limit=QUANTITY_LIMIT)
    amount = (price * quantity + 500) // 1000
    return amount if amount < SUM_LIMIT else _whole(1043, "line sum price × quantity", amount)


def vat_of(amount: int, rate: VatRate) -> int:
    """The VAT included in `amount` at `rate`: amount × num / den (`VatRate.fraction`), rounded half up.

    20 % and 20/120 take 20/120 of the amount, 10 % and 10/110 take 10/110, and so on; 0 % and no VAT
    give 0. Exactly half a kopeck goes up: 20/120 of 0.03 is 0.005, so 0.01.
    """
    if not (type(amount) is int and 0 <= amount < SUM_LIMIT and type(rate) is VatRate):
        _whole(1043, "amount", amount)
        _rate(rate)
    numerator, denominator = _FRACTIONS[rate]
    return (2 * amount * numerator + denominator) // (2 * denominator)


_FRACTIONS = {rate: rate.fraction for rate in VatRate}


def spread(amounts: list[int], discount: int) -> list[int]:
    """Shares of `discount` proportional to `amounts`, in the same order; Σ shares = discount.

    Rule (largest remainder): each line first gets floor(discount × amount / Σ amounts); the kopecks
    still left over go one each to the lines with the largest remainders of that division, and among
    equal remainders to the earlier line. So 1.00 over three equal lines is 0.34, 0.33, 0.33.
    No share exceeds its amount, and a line with amount 0 gets nothing. Refused: a negative amount or
    discount, or a discount above Σ amounts.
    """
    for amount in amounts:
        _whole(1043, "line amount", amount)
    _whole(1043, "discount", discount)
    whole = sum(amounts)
    if discount > whole:
        raise InvalidDocument(1043, f"discount {discount} exceeds the sum of the lines it is spread over, {whole}")
    if discount == 0:
        return [0] * len(amounts)
    shares = [discount * amount // whole for amount in amounts]
    remainders = [discount * amount % whole for amount in amounts]
    left = discount - sum(shares)
    # A non-zero remainder means the exact share is not whole, hence below the amount: +1 still fits.
    by_remainder = sorted(range(len(amounts)), key=lambda i: (-remainders[i], i))
    for i in by_remainder[:left]:
        shares[i] += 1
    return shares


def round_down(total: int, step: int) -> int:
    """`total` rounded down to a multiple of `step` kopecks (0 = unchanged): rounding in the buyer's favour."""
    _whole(1020, "total", total)
    if type(step) is not int or step not in ROUNDING_STEPS:
        raise InvalidDocument(1020, f"rounding step must be one of {ROUNDING_STEPS} kopecks, not {step!r}")
    return total - total % step if step else total


def settle(
    lines: list[LineInput], tendered: Payments, *, receipt_discount: int = 0, rounding: int = 0
) -> Settlement:
    """The receipt's lines, total, VAT and payments from what was rung up and what the buyer tendered.

    In this order:
    1. each line's amount = line_amount(price, quantity) − its own discount;
    2. `receipt_discount` is spread over the lines in proportion to those amounts (`spread`);
    3. the total is rounded down to `rounding` kopecks (`round_down`) and the rounded-off kopecks are
       spread over the lines as a discount too, so Σ line amounts still equals the total (1020 = Σ 1043);
    4. each line's VAT is vat_of(its final amount); the VAT of a rate is the SUM OF THE LINES' VAT at
       that rate, not the VAT recomputed from the rate's total amount (they may differ by a few kopecks:
       three lines of 1.00 at 20 % carry 0.17 each, 0.51 in all, while 20/120 of 3.00 is 0.50);
    5. electronic + advance + credit + other must not exceed the total; cash may, and the excess of all
       tenders over the total is the `change`, taken off `payments.cash`. Tenders below the total are refused.
    """
    if not isinstance(lines, (list, tuple)) or not lines:
        raise InvalidDocument(1059, "a receipt needs at least one line (1059)")
    for line in lines:
        if not isinstance(line, LineInput):
            raise InvalidDocument(1059, f"a line must be a LineInput, not {type(line).__name__}")
    if not isinstance(tendered, Payments):
        raise InvalidDocument(None, f"tendered must be Payments, not {type(tendered).__name__}")
    _whole(1020, "receipt discount", receipt_discount)

    gross = [line_amount(line.price, line.quantity) for line in lines]
    after_own = [g - line.discount for g, line in zip(gross, lines, strict=True)]
    subtotal = sum(after_own)
    if receipt_discount > subtotal:
        raise InvalidDocument(1020, f"receipt discount {receipt_discount} exceeds the sum of the lines, {subtotal}")
    # spread() checks every amount, and these are valid by construction: without a discount, skip it.
    receipt_shares = spread(after_own, receipt_discount) if receipt_discount else [0] * len(lines)
    after_receipt = [a - s for a, s in zip(after_own, receipt_shares, strict=True)]
    unrounded = subtotal - receipt_discount
    _whole(1020, "receipt total", unrounded)
    total = round_down(unrounded, rounding)
    rounded_off = unrounded - total
    rounding_shares = spread(after_receipt, rounded_off) if rounded_off else [0] * len(lines)

    settled = []
    vat_by_rate: dict[VatRate, int] = {rate: 0 for rate in sorted({line.vat for line in lines})}
    for line, g, own_and_receipt, rounded in zip(lines, gross, after_receipt, rounding_shares, strict=True):
        amount = own_and_receipt - rounded
        vat_amount = vat_of(amount, line.vat)
        vat_by_rate[line.vat] += vat_amount
        # Line(price, quantity, vat, discount, amount, vat_amount): positional, as keywords cost a tenth more
        settled.append(Line(line.price, line.quantity, line.vat, g - amount, amount, vat_amount))

    payments, change = _apply(tendered, total)
    return Settlement(lines=tuple(settled), total=total, vat_by_rate=vat_by_rate, payments=payments,
                      change=change, rounded_off=rounded_off)


def _apply(tendered: Payments, total: int) -> tuple[Payments, int]:
    """The tenders as applied to `total` and the change: only cash can exceed what is due."""
    non_cash = 0
    for name in ("electronic", "advance", "credit", "other"):
        non_cash += getattr(tendered, name)
        if non_cash > total:
            tag = _TENDER_TAGS[name]
            raise InvalidDocument(tag, f"non-cash tenders up to {name} ({tag}) come to {non_cash}, more than the "
                                       f"total (1020) {total}; only cash can be paid over and given change")
    if tendered.total < total:
        raise InvalidDocument(1020, f"tenders come to {tendered.total}, less than the total (1020) {total}")
    change = tendered.total - total
    return replace(tendered, cash=tendered.cash - change), change
