"""The schedule table, jitter, error backoff, the pacer and the limiter's headroom."""

from __future__ import annotations

import math
import random

import pytest

from carrier_sdk import RateLimit, TrackingStatus, ValidationError
from carrier_sdk._ratelimit import RateLimiter, Window
from carrier_sdk.watch import Pacer, Schedule

HOUR = 3600.0


def test_the_default_table_polls_fresh_parcels_often_and_finished_ones_never() -> None:
    schedule = Schedule()
    assert schedule.interval(TrackingStatus.OUT_FOR_DELIVERY, 60) == 1800
    assert schedule.interval(TrackingStatus.IN_TRANSIT, 60) == 2 * HOUR
    assert schedule.interval(TrackingStatus.IN_TRANSIT, 3 * 86400) == 6 * HOUR
    assert schedule.interval(TrackingStatus.IN_TRANSIT, 30 * 86400) == 12 * HOUR
    assert schedule.interval(TrackingStatus.HELD, 30 * 86400) == 12 * HOUR  # held (customs): rarely, never dropped
    for status in TrackingStatus:
        if not status.is_final:
            assert schedule.interval(status, 0) < math.inf, f"{status} would never be polled again"
    for final in (TrackingStatus.DELIVERED, TrackingStatus.RETURNED_TO_SENDER, TrackingStatus.CANCELLED):
        assert schedule.interval(final, 0) == math.inf


def test_jitter_stays_within_its_bounds_and_a_custom_table_applies() -> None:
    schedule = Schedule(table={"in_transit": [(86400, 1000)]}, jitter=0.2)
    rng = random.Random(0)
    values = [schedule.next_poll(TrackingStatus.IN_TRANSIT, 10, 0.0, rng) for _ in range(200)]
    assert min(values) >= 800
    assert max(values) <= 1200
    assert max(values) - min(values) > 100  # it does jitter
    assert schedule.interval(TrackingStatus.IN_TRANSIT, 10 * 86400) == 1000  # the last row extends
    assert schedule.interval(TrackingStatus.OUT_FOR_DELIVERY, 0) == math.inf  # left out: never


def test_bad_tables_are_typed_errors() -> None:
    with pytest.raises(ValidationError, match="unknown status"):
        Schedule(table={"teleported": [(1, 1)]})
    with pytest.raises(ValidationError, match="age > 0"):
        Schedule(table={"in_transit": [(0, 1)]})


def test_error_backoff_doubles_up_to_its_cap() -> None:
    schedule = Schedule(jitter=0, error_backoff=10, max_error_backoff=50)
    rng = random.Random(0)
    assert [schedule.after_error(n, 0.0, rng) for n in range(1, 6)] == [10, 20, 40, 50, 50]


def test_the_pacer_spreads_calls_over_the_tightest_window() -> None:
    pacer = Pacer(RateLimit.per_hour(60), now=0.0)
    assert pacer.allowance(0.0) == 1
    pacer.spend(1)
    assert pacer.allowance(30.0) == 0
    assert pacer.next_slot(30.0) == pytest.approx(60.0)
    assert pacer.allowance(60.0) == 1
    pacer.spend(1)
    assert pacer.allowance(10_000.0) == 6  # a long idle gap allows a tenth of the window, no more
    unlimited = Pacer(None, now=0.0)
    assert unlimited.allowance(0.0) == math.inf
    assert unlimited.next_slot(5.0) == 5.0


def test_limiter_headroom_counts_free_slots_without_reserving() -> None:
    now = [0.0]
    limiter = RateLimiter(RateLimit((Window(3, 10.0), Window(5, 100.0))), lambda: now[0])
    assert limiter.headroom() == 3
    assert limiter.headroom() == 3  # reserves nothing
    limiter.reserve()
    limiter.reserve()
    assert limiter.headroom() == 1
    now[0] = 10.0
    assert limiter.headroom() == 3  # the short window freed up
    limiter.reserve()
    limiter.reserve()
    limiter.reserve()
    now[0] = 20.0
    assert limiter.headroom() == 0  # five in the long window
    limiter.pause(5)
    assert limiter.headroom() == 0
    assert RateLimiter(None, lambda: 0.0).headroom() is None
