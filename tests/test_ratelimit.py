"""Rate limits as an attacker meets them: every attempt counts, old ones are forgotten."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from openkassa import ratelimit
from openkassa.db import utcnow
from openkassa.errors import TooManyRequests


def test_the_attempt_past_the_limit_is_refused_with_the_wait(db):
    # given a key that may be tried three times in ten minutes
    with db.transaction() as session:
        for _ in range(3):
            ratelimit.attempt(session, "k", limit=3, window=timedelta(minutes=10))
        # when it is tried a fourth time
        with pytest.raises(TooManyRequests) as refused:
            ratelimit.attempt(session, "k", limit=3, window=timedelta(minutes=10))
    # then the answer says to wait at most the window
    assert 0 < refused.value.retry_after <= 600


def test_a_forgiven_attempt_does_not_count(db):
    # given a limit of one, when five requests in a row each succeed and take their attempt back
    for _ in range(5):
        with db.transaction() as session:
            ratelimit.forgive(session, ratelimit.attempt(session, "ok", limit=1, window=timedelta(minutes=1)))
    # then none of them was refused, and the sixth still gets through
    with db.transaction() as session:
        ratelimit.attempt(session, "ok", limit=1, window=timedelta(minutes=1))


def test_one_ipv6_customer_counts_as_one_network():
    # an IPv6 customer holds a whole /64: rotating addresses inside it gains nothing
    assert ratelimit.network("2001:db8:1:2::1") == ratelimit.network("2001:db8:1:2:ffff::9")
    assert ratelimit.network("2001:db8:1:3::1") != ratelimit.network("2001:db8:1:2::1")
    assert ratelimit.network("203.0.113.7") == "203.0.113.7"


def test_the_worker_purges_attempts_older_than_any_window(db):
    # given an attempt from two days ago and one from now
    with db.transaction() as session:
        ratelimit.attempt(session, "old", limit=5, window=timedelta(minutes=1))
        ratelimit.attempt(session, "new", limit=5, window=timedelta(minutes=1))
    with db.transaction() as session:
        session.execute(update(ratelimit.Attempt).where(ratelimit.Attempt.key == "old")
                        .values(at=utcnow() - timedelta(days=2)))
    # when the purge runs
    with db.transaction() as session:
        assert ratelimit.purge(session) == 1
    # then only the recent one is left
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(ratelimit.Attempt)) == 1
