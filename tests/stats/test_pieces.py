"""A period of the products block is read from quarters, months and days (`service._pieces`): every
day of the period is counted exactly once, no other day at all, whatever the period."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from openkassa.stats.models import PRODUCT_SPANS, span_after, span_start
from openkassa.stats.service import MAX_DAYS, _pieces

periods = st.tuples(st.dates(date(2000, 1, 1), date(2030, 12, 31)), st.integers(0, MAX_DAYS - 1)).map(
    lambda start_length: (start_length[0], start_length[0] + timedelta(days=start_length[1])))


def counted_days(pieces) -> Counter:
    counts: Counter = Counter()
    for _level, first, last, sign in pieces:
        for n in range((last - first).days + 1):
            counts[first + timedelta(days=n)] += sign
    return Counter({day: count for day, count in counts.items() if count != 0})


@given(periods)
def test_every_day_of_the_period_is_counted_once_and_no_other(period):
    # given any period the dashboard accepts
    first, last = period
    # when it is cut into pieces of the rollups
    pieces = _pieces(first, last)
    # then over all the pieces each of its days counts once and nothing else counts
    assert counted_days(pieces) == Counter({first + timedelta(days=n): 1 for n in range((last - first).days + 1)})
    # and a span read whole is one row a product of its rollup
    for level, start, end, _sign in pieces:
        if level is not None:
            months = PRODUCT_SPANS[level][2]
            assert start == span_start(start, months) and end == span_after(start, months) - timedelta(days=1)


def test_a_year_is_read_as_quarters_and_a_few_short_pieces():
    # given the year from 28 November 2025 to 27 November 2026
    pieces = _pieces(date(2025, 11, 28), date(2026, 11, 27))
    # then it is read as four quarters, December, and the days of November at both ends
    assert sorted((level, start) for level, start, _end, _sign in pieces if level is not None) == [
        (0, date(2026, 1, 1)), (0, date(2026, 4, 1)), (0, date(2026, 7, 1)), (0, date(2026, 10, 1)),
        (1, date(2025, 12, 1)), (1, date(2026, 12, 1))]
    assert sorted((first, last, sign) for level, first, last, sign in pieces if level is None) == [
        (date(2025, 11, 28), date(2025, 11, 30), 1), (date(2026, 11, 28), date(2026, 11, 30), -1)]
