"""Receipt arithmetic: worked examples a reader can check by hand, refusals, and the invariants as properties.

Money is in kopecks (12345 = 123.45 ₽), quantities in thousandths (1000 = 1 piece, 250 = 0.250 kg).
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openkassa.fiscal.arithmetic import (
    LineInput,
    Payments,
    line_amount,
    round_down,
    settle,
    spread,
    vat_of,
)
from openkassa.fiscal.enums import VatRate
from openkassa.fiscal.errors import InvalidDocument

PIECE = 1000


# --- worked examples --------------------------------------------------------------------------------

def test_a_weighed_line_is_rounded_half_up_to_the_kopeck():
    # given 0.250 kg of cheese at 459.90 per kg
    # when its line sum is computed
    amount = line_amount(45990, 250)
    # then 459.90 × 0.250 = 114.975 becomes 114.98 (half a kopeck goes up)
    assert amount == 11498


def test_a_receipt_discount_over_three_equal_lines_gives_the_odd_kopeck_to_the_first():
    # given three lines of 33.33 (99.99 in all) and a 10.00 receipt discount
    lines = [LineInput(3333, PIECE, VatRate.VAT_20)] * 3
    # when the receipt is settled
    receipt = settle(lines, Payments(cash=8999), receipt_discount=1000)
    # then each line takes 3.33⅓: 3.33 each, and the one kopeck left goes to the earliest line
    assert [line.discount for line in receipt.lines] == [334, 333, 333]
    assert [line.amount for line in receipt.lines] == [2999, 3000, 3000]
    # and the total is 99.99 − 10.00 = 89.99
    assert receipt.total == 8999


def test_a_receipt_discount_on_one_line_of_three_pieces_comes_off_that_line():
    # given one line: 3 × 33.33 = 99.99, and a 10.00 receipt discount
    receipt = settle([LineInput(3333, 3 * PIECE, VatRate.VAT_20)], Payments(cash=8999), receipt_discount=1000)
    # then the line says 89.99 and keeps its price and quantity
    (line,) = receipt.lines
    assert (line.price, line.quantity, line.discount, line.amount) == (3333, 3000, 1000, 8999)
    assert receipt.total == 8999


def test_a_line_discount_comes_off_before_the_receipt_discount_is_spread():
    # given 100.00 with 50.00 off the line, and 50.00 plain; then 30.00 off the receipt
    lines = [LineInput(10000, PIECE, VatRate.VAT_20, discount=5000), LineInput(5000, PIECE, VatRate.VAT_20)]
    receipt = settle(lines, Payments(cash=7000), receipt_discount=3000)
    # then both lines stand at 50.00 before the receipt discount, so each takes 15.00 of it
    assert [line.discount for line in receipt.lines] == [5000 + 1500, 1500]
    assert [line.amount for line in receipt.lines] == [3500, 3500]
    assert receipt.total == 7000


@pytest.mark.parametrize(("step", "expected"), [(0, 123456), (10, 123450), (50, 123450), (100, 123400)])
def test_rounding_in_the_buyers_favour_goes_down(step, expected):
    # given a total of 1234.56; when it is rounded to 0 / 0.10 / 0.50 / 1.00
    # then 1234.56 / 1234.50 / 1234.50 / 1234.00
    assert round_down(123456, step) == expected


def test_the_rounded_off_kopecks_are_spread_over_the_lines_so_they_still_add_up():
    # given 1000.00 and 234.56 (1234.56 in all), rounded to whole roubles
    lines = [LineInput(100000, PIECE, VatRate.VAT_20), LineInput(23456, PIECE, VatRate.VAT_10)]
    receipt = settle(lines, Payments(cash=123400), rounding=100)
    # then 0.56 is taken off: exact shares 0.4536 and 0.1064 → 0.45 and 0.10, and the kopeck left over
    # goes to the larger remainder (.64 over .36), the second line
    assert receipt.rounded_off == 56
    assert [line.discount for line in receipt.lines] == [45, 11]
    assert [line.amount for line in receipt.lines] == [99955, 23445]
    assert receipt.total == 123400 == sum(line.amount for line in receipt.lines)


def test_change_is_given_from_cash_and_the_receipt_records_the_cash_kept():
    # given a 1234.50 receipt (1234.56 rounded to 0.50) paid with a 5000 note
    receipt = settle([LineInput(123456, PIECE, VatRate.VAT_20)], Payments(cash=500000), rounding=50)
    # then the total is 1234.50, the change 3765.50, and 1031 says 1234.50
    assert receipt.total == 123450
    assert receipt.rounded_off == 6
    assert receipt.change == 376550
    assert receipt.payments == Payments(cash=123450)


def test_card_and_cash_together_give_change_only_from_the_cash():
    # given 1234.50 paid with 1000.00 by card and a 500 note
    receipt = settle([LineInput(123450, PIECE, VatRate.VAT_20)], Payments(cash=50000, electronic=100000))
    # then the change is 265.50 and the receipt records 234.50 cash and 1000.00 by card
    assert receipt.change == 26550
    assert receipt.payments == Payments(cash=23450, electronic=100000)
    assert receipt.payments.total == receipt.total


def test_exact_card_payment_gives_no_change():
    receipt = settle([LineInput(12345, PIECE, VatRate.NO_VAT)], Payments(electronic=12345))
    assert (receipt.change, receipt.payments) == (0, Payments(electronic=12345))


@pytest.mark.parametrize(
    ("amount", "rate", "vat"),
    [
        (12000, VatRate.VAT_20, 2000),  # 20 % of 120.00 (VAT included) = 20/120 = 20.00
        (12000, VatRate.VAT_20_120, 2000),
        (11000, VatRate.VAT_10, 1000),  # 10 % of 110.00 = 10.00
        (11000, VatRate.VAT_10_110, 1000),
        (12200, VatRate.VAT_22, 2200),  # 22 % of 122.00 = 22.00
        (12200, VatRate.VAT_22_122, 2200),
        (10500, VatRate.VAT_5, 500),  # 5 % of 105.00 = 5.00
        (10500, VatRate.VAT_5_105, 500),
        (10700, VatRate.VAT_7, 700),  # 7 % of 107.00 = 7.00
        (10700, VatRate.VAT_7_107, 700),
        (12000, VatRate.VAT_0, 0),
        (12000, VatRate.NO_VAT, 0),
        (100, VatRate.VAT_20, 17),  # 1.00 × 20/120 = 0.1666… → 0.17
        (3, VatRate.VAT_20, 1),  # 0.03 × 20/120 = 0.005 exactly: half a kopeck goes up
        (0, VatRate.VAT_20, 0),
    ],
)
def test_vat_included_in_an_amount(amount, rate, vat):
    assert vat_of(amount, rate) == vat


def test_receipt_vat_per_rate_is_the_sum_of_the_lines_vat():
    # given three lines of 1.00 at 20 % and one of 110.00 at 10 %
    lines = [LineInput(100, PIECE, VatRate.VAT_20)] * 3 + [LineInput(11000, PIECE, VatRate.VAT_10)]
    receipt = settle(lines, Payments(cash=11300))
    # then each 1.00 carries 0.17, so 20 % totals 0.51 (not 20/120 of 3.00 = 0.50)
    assert [line.vat_amount for line in receipt.lines] == [17, 17, 17, 1000]
    assert receipt.vat_by_rate == {VatRate.VAT_20: 51, VatRate.VAT_10: 1000}


def test_rates_without_vat_appear_with_zero_vat_and_their_amounts_are_at_hand():
    lines = [LineInput(5000, PIECE, VatRate.VAT_0), LineInput(7000, 2 * PIECE, VatRate.NO_VAT)]
    receipt = settle(lines, Payments(cash=19000))
    assert receipt.vat_by_rate == {VatRate.VAT_0: 0, VatRate.NO_VAT: 0}
    assert receipt.amount_by_rate == {VatRate.VAT_0: 5000, VatRate.NO_VAT: 14000}


def test_spread_over_lines_with_nothing_left_gives_them_nothing():
    assert spread([0, 300, 0, 100], 40) == [0, 30, 0, 10]
    assert spread([0, 0], 0) == [0, 0]


# --- refusals ---------------------------------------------------------------------------------------

ONE = LineInput(10000, PIECE, VatRate.VAT_20)


@pytest.mark.parametrize(
    ("make", "tag"),
    [
        pytest.param(lambda: LineInput(-1, PIECE, VatRate.VAT_20), 1079, id="negative price"),
        pytest.param(lambda: LineInput(2**48, PIECE, VatRate.VAT_20), 1079, id="price over VLN 6 bytes"),
        pytest.param(lambda: LineInput(True, PIECE, VatRate.VAT_20), 1079, id="bool price"),
        pytest.param(lambda: LineInput(100, 0, VatRate.VAT_20), 1023, id="zero quantity"),
        pytest.param(lambda: LineInput(100, -1000, VatRate.VAT_20), 1023, id="negative quantity"),
        pytest.param(lambda: LineInput(100, 1.5, VatRate.VAT_20), 1023, id="float quantity"),
        pytest.param(lambda: LineInput(100, PIECE, 1), 1199, id="bare number as VAT"),
        pytest.param(lambda: LineInput(100, PIECE, "20%"), 1199, id="unknown VAT"),
        pytest.param(lambda: LineInput(100, PIECE, VatRate.VAT_20, discount=101), 1043, id="discount beyond line"),
        pytest.param(lambda: LineInput(100, PIECE, VatRate.VAT_20, discount=-1), 1043, id="negative discount"),
        pytest.param(lambda: LineInput(2**47, 2 * PIECE, VatRate.VAT_20), 1043, id="line sum over VLN"),
        pytest.param(lambda: Payments(cash=-1), 1031, id="negative cash"),
        pytest.param(lambda: Payments(electronic=-5), 1081, id="negative electronic"),
        pytest.param(lambda: Payments(advance=True), 1215, id="bool advance"),
        pytest.param(lambda: settle([], Payments()), 1059, id="no lines"),
        pytest.param(lambda: settle([ONE], Payments(electronic=10001)), 1081, id="card over total"),
        pytest.param(lambda: settle([ONE], Payments(electronic=5000, other=5001)), 1217, id="non-cash over total"),
        pytest.param(lambda: settle([ONE], Payments(cash=9999)), 1020, id="tendered below total"),
        pytest.param(lambda: settle([ONE], Payments(cash=10000), receipt_discount=10001), 1020, id="receipt discount"),
        pytest.param(lambda: settle([ONE], Payments(cash=10000), rounding=25), 1020, id="rounding step"),
        pytest.param(lambda: settle([ONE], Payments(cash=10000), receipt_discount=False), 1020, id="bool discount"),
        pytest.param(lambda: LineInput(-1, PIECE, 1), 1079, id="price named before VAT"),
        pytest.param(lambda: LineInput(100, 0, "20%"), 1023, id="quantity named before VAT"),
        pytest.param(lambda: line_amount(True, PIECE), 1079, id="line sum of a bool price"),
        pytest.param(lambda: line_amount(100, 0), 1023, id="line sum of no quantity"),
        pytest.param(lambda: line_amount(2**47, 2 * PIECE), 1043, id="line sum over VLN 6 bytes"),
        pytest.param(lambda: vat_of(100, 1), 1199, id="vat of a bare number"),
        pytest.param(lambda: vat_of(-1, VatRate.VAT_20), 1043, id="vat of a negative amount"),
        pytest.param(lambda: vat_of(True, VatRate.VAT_20), 1043, id="vat of a bool amount"),
        pytest.param(lambda: vat_of(2**48, VatRate.VAT_20), 1043, id="vat of an amount over VLN 6 bytes"),
        pytest.param(lambda: vat_of(-1, "20%"), 1043, id="amount named before the rate"),
        pytest.param(lambda: spread([100, 200], 301), 1043, id="spread beyond the amounts"),
        pytest.param(lambda: spread([100, -1], 0), 1043, id="spread over a negative amount"),
        pytest.param(lambda: round_down(-1, 10), 1020, id="negative total"),
        pytest.param(lambda: round_down(100, 10.0), 1020, id="float rounding step"),
    ],
)
def test_bad_input_is_refused_naming_the_requisite(make, tag):
    # given a value the format cannot hold; when it is used; then InvalidDocument names its tag
    with pytest.raises(InvalidDocument) as refused:
        make()
    assert refused.value.tag == tag
    assert refused.value.reason


def test_a_refusal_says_why_in_plain_words():
    with pytest.raises(InvalidDocument, match="exceeds the line sum"):
        LineInput(100, PIECE, VatRate.VAT_20, discount=101)


# --- invariants -------------------------------------------------------------------------------------

PROPERTY = settings(max_examples=100, deadline=None)


@st.composite
def line_inputs(draw):
    price = draw(st.integers(0, 10**7))
    quantity = draw(st.integers(1, 10**6))
    discount = draw(st.integers(0, line_amount(price, quantity)))
    return LineInput(price, quantity, draw(st.sampled_from(VatRate)), discount)


@st.composite
def receipts(draw):
    """Lines, a receipt discount, a rounding step, and tenders that cover the total (cash maybe over)."""
    lines = draw(st.lists(line_inputs(), min_size=1, max_size=30))
    subtotal = sum(line_amount(line.price, line.quantity) - line.discount for line in lines)
    receipt_discount = draw(st.integers(0, subtotal))
    rounding = draw(st.sampled_from((0, 10, 50, 100)))
    total = round_down(subtotal - receipt_discount, rounding)
    non_cash = draw(st.lists(st.integers(0, total), min_size=4, max_size=4).map(sorted))
    # four cut points in [0, total] give four non-cash tenders that add up to at most `total`
    cuts = [0, *non_cash]
    electronic, advance, credit, other = (cuts[i + 1] - cuts[i] for i in range(4))
    cash = total - non_cash[-1] + draw(st.integers(0, 10**6))
    tendered = Payments(cash=cash, electronic=electronic, advance=advance, credit=credit, other=other)
    return lines, tendered, receipt_discount, rounding


@PROPERTY
@given(st.lists(line_inputs(), min_size=1, max_size=30))
def test_without_a_receipt_discount_or_rounding_each_line_keeps_its_own_discount(lines):
    # given lines with their own discounts only, when settled, then nothing else comes off any line
    receipt = settle(lines, Payments(cash=10**12))
    assert [line.discount for line in receipt.lines] == [line.discount for line in lines]
    assert receipt.rounded_off == 0


@PROPERTY
@given(receipts())
def test_total_equals_the_lines_and_the_payments(receipt_input):
    lines, tendered, receipt_discount, rounding = receipt_input
    receipt = settle(lines, tendered, receipt_discount=receipt_discount, rounding=rounding)
    assert receipt.total == sum(line.amount for line in receipt.lines) == receipt.payments.total
    assert all(line.amount >= 0 for line in receipt.lines)
    assert all(line.amount == line_amount(line.price, line.quantity) - line.discount for line in receipt.lines)


@PROPERTY
@given(receipts())
def test_vat_per_rate_is_the_sum_of_line_vat(receipt_input):
    lines, tendered, receipt_discount, rounding = receipt_input
    receipt = settle(lines, tendered, receipt_discount=receipt_discount, rounding=rounding)
    assert set(receipt.vat_by_rate) == {line.vat for line in lines}
    for rate, vat in receipt.vat_by_rate.items():
        assert vat == sum(line.vat_amount for line in receipt.lines if line.vat == rate)
    assert all(line.vat_amount == vat_of(line.amount, line.vat) for line in receipt.lines)


@PROPERTY
@given(receipts())
def test_change_is_never_negative_and_comes_only_out_of_cash(receipt_input):
    lines, tendered, receipt_discount, rounding = receipt_input
    receipt = settle(lines, tendered, receipt_discount=receipt_discount, rounding=rounding)
    assert receipt.change == tendered.total - receipt.total >= 0
    assert receipt.change <= tendered.cash
    assert receipt.payments.cash == tendered.cash - receipt.change
    assert (receipt.payments.electronic, receipt.payments.advance, receipt.payments.credit, receipt.payments.other) == (
        tendered.electronic, tendered.advance, tendered.credit, tendered.other)


@PROPERTY
@given(receipts(), st.randoms(use_true_random=False))
def test_the_order_of_lines_does_not_change_the_total(receipt_input, random):
    lines, tendered, receipt_discount, rounding = receipt_input
    shuffled = random.sample(lines, len(lines))
    before = settle(lines, tendered, receipt_discount=receipt_discount, rounding=rounding)
    after = settle(shuffled, tendered, receipt_discount=receipt_discount, rounding=rounding)
    assert (after.total, after.rounded_off, after.change) == (before.total, before.rounded_off, before.change)


@PROPERTY
@given(st.lists(st.integers(0, 10**10), max_size=30).flatmap(lambda amounts: st.tuples(
    st.just(amounts), st.integers(0, sum(amounts)))))
def test_spread_shares_add_up_and_none_exceeds_its_amount(amounts_and_discount):
    amounts, discount = amounts_and_discount
    shares = spread(amounts, discount)
    assert sum(shares) == discount
    assert all(0 <= share <= amount for share, amount in zip(shares, amounts, strict=True))
    # each share is its exact proportional share rounded down or up
    whole = sum(amounts)
    if whole:
        assert all(share * whole - discount * amount in range(-whole + 1, whole)
                   for share, amount in zip(shares, amounts, strict=True))


@PROPERTY
@given(st.integers(0, 10**12), st.sampled_from((10, 50, 100)))
def test_the_rounded_total_is_a_multiple_of_the_step_within_one_step_below(total, step):
    rounded = round_down(total, step)
    assert rounded % step == 0
    assert total - step < rounded <= total


@PROPERTY
@given(receipts())
def test_settle_rounds_the_total_down_by_less_than_one_step(receipt_input):
    lines, tendered, receipt_discount, rounding = receipt_input
    receipt = settle(lines, tendered, receipt_discount=receipt_discount, rounding=rounding)
    if rounding:
        assert receipt.total % rounding == 0
        assert 0 <= receipt.rounded_off < rounding
    else:
        assert receipt.rounded_off == 0
