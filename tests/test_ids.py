"""Identifiers: UUIDv7s made one by one or in runs keep time order and never repeat."""

from __future__ import annotations

import itertools
import time

from openkassa.ids import new_id, new_ids


def test_a_run_of_new_ids_rises_never_repeats_and_stays_a_uuid7():
    # given ids made one by one before and after a run made for a large import (a millisecond apart:
    # ids made alone within one millisecond have random order)
    before = new_id()
    time.sleep(0.002)
    run = list(itertools.islice(new_ids(), 200_000))  # three refills of the run's random steps
    time.sleep(0.002)
    after = new_id()
    # then the run rises strictly, each is a version-7 RFC 9562 UUID, and time order holds around it
    assert all(a < b for a, b in zip(run, run[1:]))
    assert {(value.version, value.variant) for value in run} == {(7, "specified in RFC 4122")}
    assert before < run[0] and run[-1] < after
