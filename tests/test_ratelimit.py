"""Client-side rate limits: exact windows, shared pauses, independent credentials (virtual time)."""

from __future__ import annotations

import threading

import pytest

from carrier_sdk import CarrierRegistry, Client, RateLimit, RateLimitError, Window
from carrier_sdk._ratelimit import RateLimiter
from carrier_sdk.testing import FakeCarrierAPIServer, VirtualClock, fake_number, make_client


def test_sliding_windows_never_exceed_any_window() -> None:
    clock = VirtualClock()
    limiter = RateLimiter(RateLimit.per_minute(5) & RateLimit.per_hour(60), clock)
    times = []
    for _ in range(600):
        clock.sleep(limiter.reserve())
        times.append(clock.now)
    for i, t in enumerate(times):
        assert sum(1 for u in times[i:] if u < t + 60) <= 5
        assert sum(1 for u in times[i:] if u < t + 3600) <= 60
    # and the limiter is not slower than it must be: 600 calls at 60/h take just under 10 h
    assert times[-1] - times[0] < 10 * 3600


def test_pause_holds_every_caller() -> None:
    clock = VirtualClock()
    limiter = RateLimiter(None, clock)
    assert limiter.reserve() == 0
    limiter.pause(30)
    assert limiter.reserve() == 30
    clock.sleep(30)
    assert limiter.reserve() == 0


def test_reservations_are_thread_safe() -> None:
    clock = VirtualClock()
    limiter = RateLimiter(RateLimit.per_second(10), clock)
    waits: list[float] = []
    lock = threading.Lock()

    def take() -> None:
        for _ in range(50):
            w = limiter.reserve()
            with lock:
                waits.append(w)

    threads = [threading.Thread(target=take) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    slots = sorted(clock.now + w for w in waits)
    for i in range(len(slots) - 10):
        assert slots[i + 10] - slots[i] >= 1.0 - 1e-9


def test_window_validation() -> None:
    with pytest.raises(ValueError, match="calls"):
        Window(0, 1)
    with pytest.raises(ValueError, match="seconds"):
        Window(1, 0)


def limited_client(
    registry: CarrierRegistry, api: FakeCarrierAPIServer, clock: VirtualClock, key_id: str, limit: RateLimit | None
) -> Client:
    settings = api.settings()
    settings["api_key_id"] = key_id
    limits = {"fakecarrier": limit}
    options = {"registry": registry, "transport": api.transport(), "clock": clock}
    return make_client("sync", settings={"fakecarrier": settings}, rate_limits=limits, deadline=10**7, **options)


def test_carrier_never_sees_more_than_the_limit(
    registry: CarrierRegistry, fake_api: FakeCarrierAPIServer, clock: VirtualClock
) -> None:
    """RELIABILITY goal 6: 600 requests at 5/min and 60/h; the fake enforces the same quota."""
    limit = RateLimit.per_minute(5) & RateLimit.per_hour(60)
    fake_api.clock = clock
    fake_api.set_quota(limit)
    with limited_client(registry, fake_api, clock, "acct-1", limit) as client:
        for n in range(1, 121):
            client.track(fake_number(n))
    assert fake_api.calls["track"] == 120  # no 429 was answered, so no retry happened
    assert clock.now - 1000.0 >= 3600  # 120 calls at 60/h need over an hour


def test_credentials_do_not_throttle_each_other(
    registry: CarrierRegistry, fake_api: FakeCarrierAPIServer, clock: VirtualClock
) -> None:
    limit = RateLimit.per_hour(1)
    with (
        limited_client(registry, fake_api, clock, "a", limit) as a,
        limited_client(registry, fake_api, clock, "b", limit) as b,
    ):
        a.track(fake_number(1))
        b.track(fake_number(2))
        assert clock.now == 1000.0


def test_limit_beyond_the_deadline_is_a_rate_limit_error(
    registry: CarrierRegistry, fake_api: FakeCarrierAPIServer, clock: VirtualClock
) -> None:
    limits = {"fakecarrier": RateLimit.per_hour(1)}
    settings = {"fakecarrier": fake_api.settings()}
    with make_client(
        "sync", settings=settings, registry=registry, transport=fake_api.transport(), clock=clock, rate_limits=limits
    ) as client:
        client.track(fake_number(1))
        with pytest.raises(RateLimitError) as info:
            client.track(fake_number(2))
    assert info.value.retry_after is not None
    assert info.value.retry_after > 3000
    assert fake_api.calls["track"] == 1
