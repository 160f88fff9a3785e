"""Retries in virtual time: what is retried, how long it waits, and what never is."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any, ClassVar

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from carrier_sdk import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    AsyncClient,
    CarrierRegistry,
    CarrierServerError,
    Client,
    InvalidRequestError,
    OutcomeUnknownError,
    RateLimitError,
    RetryBudget,
    RetryPolicy,
)
from carrier_sdk.adapters import parse_retry_after
from carrier_sdk.fakes import FaultKind
from carrier_sdk.testing import FakeCarrier, FakeCarrierAPIServer, VirtualClock, fake_number, make_client, make_registry

from ._helpers import home_shipment

SHIPMENT = home_shipment("order-7")
NOW = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"retry-after": "0"}, 0.0),
        ({"retry-after": "1"}, 1.0),
        ({"retry-after": "2.5"}, 2.5),
        ({"retry-after": " 30 "}, 30.0),
        ({"retry-after": "60"}, 60.0),
        ({"retry-after": "3600"}, 3600.0),
        ({"retry-after": "-1"}, None),
        ({"retry-after": "-0.5"}, None),
        ({"retry-after": "inf"}, None),
        ({"retry-after": "Infinity"}, None),
        ({"retry-after": "nan"}, None),
        ({"retry-after": "1e35"}, None),
        ({"retry-after": ""}, None),
        ({"retry-after": "   "}, None),
        ({"retry-after": "soon"}, None),
        ({"retry-after": "1,5"}, None),
        ({"retry-after": "Wed, 32 Foo 2026 99:99:99 GMT"}, None),
        ({"retry-after": format_datetime(NOW + timedelta(seconds=20), usegmt=True)}, 20.0),
        ({"retry-after": format_datetime(NOW - timedelta(seconds=20), usegmt=True)}, 0.0),
        ({"retry-after": format_datetime(NOW + timedelta(hours=2), usegmt=True)}, 7200.0),
        ({"retry-after": "Thu, 01 Jan 2026 12:00:10"}, 10.0),
        ({"retry-after-ms": "1500"}, 1.5),
        ({"retry-after-ms": "1500", "retry-after": "9"}, 1.5),
        ({"retry-after-ms": "oops", "retry-after": "9"}, 9.0),
        ({"retry-after-ms": "-5"}, None),
        ({}, None),
    ],
)
def test_parse_retry_after(headers: dict[str, str], expected: float | None) -> None:
    assert parse_retry_after(httpx.Headers(headers), now=NOW) == expected


def client_for(
    api: FakeCarrierAPIServer, clock: VirtualClock, registry: CarrierRegistry | None = None, **kwargs: Any
) -> Client:
    registry = registry or make_registry(FakeCarrier)
    settings = {"fakecarrier": api.settings()}
    return make_client(
        "sync", settings=settings, registry=registry, transport=api.transport(), clock=clock, seed=3, **kwargs
    )


@pytest.mark.parametrize(
    "kind", [FaultKind.SERVER_ERROR, FaultKind.CONNECT_ERROR, FaultKind.TIMEOUT, FaultKind.LOST_RESPONSE]
)
@pytest.mark.parametrize(("failures", "bulk"), [(1, False), (2, False), (3, True), (8, True)])
def test_transient_failures_are_retried(
    fake_api: FakeCarrierAPIServer, clock: VirtualClock, kind: FaultKind, failures: int, bulk: bool
) -> None:
    """Single calls ride out RetryPolicy.interactive_max_retries (2) failures; bulk work max_retries (8)."""
    fake_api.inject(kind, operation="track", count=failures)
    with client_for(fake_api, clock) as client:
        if bulk:
            (result,) = list(client.track_many([fake_number(1)]))
            assert result.info is not None, result.error
        else:
            assert client.track(fake_number(1)).carrier == "fakecarrier"
    assert fake_api.calls["track"] == failures + 1
    assert len(clock.sleeps) == failures
    policy = RetryPolicy()
    for n, slept in enumerate(clock.sleeps, start=1):
        assert 0 <= slept <= min(policy.max_delay, policy.initial_delay * 2 ** (n - 1))


@pytest.mark.parametrize("kind", [FaultKind.CONNECT_ERROR, FaultKind.SERVER_ERROR])
def test_a_single_call_reports_a_dead_carrier_quickly(
    fake_api: FakeCarrierAPIServer, clock: VirtualClock, kind: FaultKind
) -> None:
    """Issue 13: a refused connection is reported after 3 attempts and well under a second of
    backoff (not ~6 s), while bulk tracking of the same number keeps trying 9 times."""
    fake_api.inject(kind, operation="track", count=100)
    with client_for(fake_api, clock) as client, pytest.raises(APIError):
        client.track(fake_number(1))
    assert fake_api.calls["track"] == 3
    assert sum(clock.sleeps) < 1.0
    with client_for(fake_api, clock) as client:
        (result,) = list(client.track_many([fake_number(2)]))
    assert result.error is not None
    assert fake_api.calls["track"] == 3 + 9


@pytest.mark.parametrize(
    ("kind", "error"),
    [
        (FaultKind.SERVER_ERROR, CarrierServerError),
        (FaultKind.CONNECT_ERROR, APIConnectionError),
        (FaultKind.TIMEOUT, APITimeoutError),
    ],
)
def test_retries_stop_at_max_retries(
    fake_api: FakeCarrierAPIServer, clock: VirtualClock, kind: FaultKind, error: type[Exception]
) -> None:
    fake_api.inject(kind, operation="track", count=100)
    with client_for(fake_api, clock, max_retries=2) as client, pytest.raises(error) as info:
        client.track(fake_number(1))
    assert fake_api.calls["track"] == 3
    assert info.value.carrier == "fakecarrier"  # type: ignore[attr-defined]


def test_retry_after_is_honoured_exactly(fake_api: FakeCarrierAPIServer, clock: VirtualClock) -> None:
    fake_api.inject(FaultKind.RATE_LIMITED, operation="track", count=2, retry_after=2.5)
    with client_for(fake_api, clock) as client:
        client.track(fake_number(1))
    assert clock.sleeps == [2.5, 2.5]


def test_retry_after_above_the_cap_is_not_retried(fake_api: FakeCarrierAPIServer, clock: VirtualClock) -> None:
    fake_api.inject(FaultKind.RATE_LIMITED, operation="track", retry_after=3600)
    with client_for(fake_api, clock) as client, pytest.raises(RateLimitError) as info:
        client.track(fake_number(1))
    assert info.value.retry_after == 3600
    assert info.value.status_code == 429
    assert fake_api.calls["track"] == 1
    assert clock.sleeps == []


def test_a_429_pauses_every_caller_of_that_credential(fake_api: FakeCarrierAPIServer, clock: VirtualClock) -> None:
    fake_api.inject(FaultKind.RATE_LIMITED, operation="track", retry_after=5)
    with client_for(fake_api, clock) as client:
        client.track(fake_number(1))
        limiter = next(iter(client._shared.limiters.values()))
        assert limiter._paused_until >= clock.now  # pause was set from the 429
        start = clock.now
        client.track(fake_number(2))
    assert clock.now - start == 0  # the pause had already elapsed during the first call's sleep


def test_client_errors_are_not_retried(fake_api: FakeCarrierAPIServer, clock: VirtualClock) -> None:
    with client_for(fake_api, clock) as client, pytest.raises(InvalidRequestError):
        # 400 from an unknown route
        client._run(client._carrier("fakecarrier"), _get_flow(fake_api))
    assert clock.sleeps == []


def _get_flow(api: FakeCarrierAPIServer) -> Any:
    from carrier_sdk.adapters import RequestOptions, api_request

    def flow() -> Any:
        response = yield api_request(
            "GET",
            "https://api.fakecarrier.test/nowhere",
            headers={"X-Fake-Key": api.api_key},
            options=RequestOptions(operation="probe"),
        )
        if response.status_code == 404:
            response.status_code = 400
        raise FakeCarrier(None).api_error(response, operation="probe")

    return flow()


class NoKeyCarrier(FakeCarrier):
    """The same API, but the adapter declares that the carrier ignores idempotency keys."""

    code: ClassVar[str] = "nokey"
    supports_idempotency_key: ClassVar[bool] = False

    @classmethod
    def recognize(cls, number: str) -> None:
        return None


def no_key_client(api: FakeCarrierAPIServer, clock: VirtualClock, **kwargs: Any) -> Client:
    registry = make_registry(NoKeyCarrier)
    return make_client(
        "sync", settings={"nokey": api.settings()}, registry=registry, transport=api.transport(), clock=clock, **kwargs
    )


@pytest.mark.parametrize("kind", [FaultKind.LOST_RESPONSE, FaultKind.TIMEOUT, FaultKind.SERVER_ERROR])
def test_ambiguous_purchase_without_key_support_is_outcome_unknown(
    fake_api: FakeCarrierAPIServer, clock: VirtualClock, kind: FaultKind
) -> None:
    fake_api.inject(kind, operation="create_shipment")
    with no_key_client(fake_api, clock) as client, pytest.raises(OutcomeUnknownError) as info:
        client.create_shipment("nokey", SHIPMENT, idempotency_key="k-1")
    assert fake_api.calls["create_shipment"] == 1
    assert info.value.idempotency_key == "k-1"
    assert info.value.reference == "order-7"
    assert info.value.attempted_at is not None
    assert len(fake_api.charges) <= 1


def test_purchase_that_never_left_is_retried_even_without_key_support(
    fake_api: FakeCarrierAPIServer, clock: VirtualClock
) -> None:
    fake_api.inject(FaultKind.CONNECT_ERROR, operation="create_shipment", count=2)
    with no_key_client(fake_api, clock) as client:
        shipment = client.create_shipment("nokey", SHIPMENT)
    assert fake_api.calls["create_shipment"] == 3
    assert len(fake_api.charges) == 1
    assert shipment.idempotency_key


@pytest.mark.parametrize(
    "kind", [FaultKind.LOST_RESPONSE, FaultKind.TIMEOUT, FaultKind.SERVER_ERROR, FaultKind.RATE_LIMITED]
)
def test_keyed_purchase_is_retried_with_the_same_key(
    fake_api: FakeCarrierAPIServer, clock: VirtualClock, kind: FaultKind
) -> None:
    fake_api.inject(kind, operation="create_shipment", count=2)
    with client_for(fake_api, clock) as client:
        shipment = client.create_shipment("fakecarrier", SHIPMENT)
    keys = {r.headers["idempotency-key"] for r in fake_api.requests if r.url.path == "/labels"}
    assert keys == {shipment.idempotency_key}
    assert len(fake_api.charges) == 1


def test_distinct_purchases_carry_distinct_keys(fake_api: FakeCarrierAPIServer, clock: VirtualClock) -> None:
    with client_for(fake_api, clock) as client:
        keys = {client.create_shipment("fakecarrier", SHIPMENT).idempotency_key for _ in range(50)}
    assert len(keys) == 50
    assert all(len(k) == 32 for k in keys)  # uuid4 hex: 122 random bits


FAULTS = st.lists(st.sampled_from(list(FaultKind)), max_size=6)


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(schedule=FAULTS, honours_keys=st.booleans())
def test_fault_schedules_never_buy_twice(schedule: list[FaultKind], honours_keys: bool) -> None:
    api = FakeCarrierAPIServer()
    clock = VirtualClock()
    for kind in schedule:
        api.inject(kind, operation="create_shipment")
    client = client_for(api, clock) if honours_keys else no_key_client(api, clock)
    from carrier_sdk import CarrierError

    outcome: object
    with client:
        try:
            outcome = client.create_shipment(client.registry.codes()[0], SHIPMENT)
        except Exception as err:  # every failure must be one of ours: checked below
            outcome = err
    if isinstance(outcome, BaseException):
        assert isinstance(outcome, CarrierError), f"untyped error {outcome!r}"
        assert len(api.charges) <= 1
        if isinstance(outcome, OutcomeUnknownError):
            assert outcome.idempotency_key
    else:
        assert len(api.charges) == 1
        assert api.by_key.get(outcome.idempotency_key) == outcome.tracking_number  # type: ignore[attr-defined]
    keys = {r.headers["idempotency-key"] for r in api.requests if r.url.path == "/labels"}
    assert len(keys) <= 1


def test_retry_budget_stops_a_retry_storm(fake_api: FakeCarrierAPIServer, clock: VirtualClock) -> None:
    fake_api.inject(FaultKind.SERVER_ERROR, count=10_000)
    first_attempts = 200
    with client_for(fake_api, clock) as client:
        for n in range(first_attempts):
            with pytest.raises(CarrierServerError):
                client.track(fake_number(n + 1))
        budget = next(iter(client._shared.budgets.values()))
    retries = fake_api.calls["track"] - first_attempts
    assert retries <= budget.capacity // budget.retry_cost
    # after the budget is spent, the last 100 calls made no retry at all
    assert budget.tokens < budget.retry_cost
    assert retries <= 0.1 * first_attempts * 5


def test_budget_refills_on_success() -> None:
    budget = RetryBudget(capacity=10, retry_cost=5)
    assert budget.acquire(timeout=False)
    assert budget.acquire(timeout=False)
    assert not budget.acquire(timeout=False)
    budget.refund()
    budget.refund(100)
    assert budget.tokens == 10


def test_deadline_bounds_the_whole_call(fake_api: FakeCarrierAPIServer, clock: VirtualClock) -> None:
    fake_api.inject(FaultKind.SERVER_ERROR, count=100)
    start = clock.now
    with (
        client_for(
            fake_api, clock, deadline=3.0, retry=RetryPolicy(max_retries=100, initial_delay=1, max_delay=1)
        ) as client,
        pytest.raises(CarrierServerError),
    ):
        client.track(fake_number(1))
    assert clock.now - start <= 3.0


def test_every_retry_is_logged(
    fake_api: FakeCarrierAPIServer, clock: VirtualClock, caplog: pytest.LogCaptureFixture
) -> None:
    fake_api.inject(FaultKind.SERVER_ERROR, operation="track", count=2)
    caplog.set_level(logging.DEBUG, logger="carrier_sdk")
    with client_for(fake_api, clock) as client:
        client.track(fake_number(1))
    retries = [r for r in caplog.records if r.getMessage().startswith("retrying")]
    assert [r.attempt for r in retries] == [1, 2]  # type: ignore[attr-defined]
    assert all(r.carrier == "fakecarrier" and r.operation == "track" for r in retries)  # type: ignore[attr-defined]
    requests = [r for r in caplog.records if " attempt " in r.getMessage() and "->" in r.getMessage()]
    assert len(requests) == 3


def test_cancellation_is_never_retried(registry: CarrierRegistry, fake_api: FakeCarrierAPIServer) -> None:
    started = asyncio.Event()

    async def handler(request: httpx.Request) -> httpx.Response:
        started.set()
        await asyncio.sleep(10)
        return fake_api.handle(request)

    async def main() -> int:
        async with AsyncClient(
            settings={"fakecarrier": fake_api.settings()},
            registry=registry,
            transport=httpx.MockTransport(handler),
            http_backend="httpx",
        ) as client:
            task = asyncio.create_task(client.track(fake_number(1)))
            await started.wait()
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            return 1

    assert asyncio.run(asyncio.wait_for(main(), 5)) == 1
    assert fake_api.calls["track"] == 0  # the handler never reached the fake; nothing was resent


def test_tracking_survives_thirty_percent_transient_faults() -> None:
    """RELIABILITY goal 3, scaled down for CI: 30 % of attempts fail; every call returns."""
    import random

    api = FakeCarrierAPIServer()
    clock = VirtualClock()
    rng = random.Random(7)
    kinds = [FaultKind.CONNECT_ERROR, FaultKind.TIMEOUT, FaultKind.SERVER_ERROR, FaultKind.RATE_LIMITED]
    original = api.handle

    def flaky(request: httpx.Request) -> httpx.Response:
        if rng.random() < 0.3:
            api.inject(rng.choice(kinds), retry_after=round(rng.uniform(0, 2), 3))
        return original(request)

    api.handle = flaky  # type: ignore[method-assign]
    added: list[float] = []
    with client_for(api, clock) as client:
        client._shared.budgets.clear()
        for n in range(1, 1001):
            start = clock.now
            # Bulk work (track_many) keeps the patient retry count that keeps results whole.
            (result,) = list(client.track_many([fake_number(n)]))
            assert result.carrier == "fakecarrier"
            assert result.info is not None, result.error
            added.append(clock.now - start)
            client._budget(client._carrier("fakecarrier")).refund(5)
    added.sort()
    assert added[int(len(added) * 0.99)] <= 2.5
    assert added[int(len(added) * 0.999)] <= 10
    assert max(added) <= 45


def test_async_client_single_calls_and_bulk_use_their_own_retry_counts(
    registry: CarrierRegistry, fake_api: FakeCarrierAPIServer
) -> None:
    """AsyncClient: a single track retries interactive_max_retries (2) times, track_many max_retries (8)."""
    fake_api.inject(FaultKind.CONNECT_ERROR, operation="track", count=100)

    async def no_sleep(seconds: float) -> None:
        return None

    async def main() -> APIError | None:
        async with AsyncClient(
            settings={"fakecarrier": fake_api.settings()},
            registry=registry,
            transport=fake_api.transport(),
            sleep=no_sleep,
            http_backend="httpx",
        ) as client:
            with pytest.raises(APIError):
                await client.track(fake_number(1))
            assert fake_api.calls["track"] == 3
            results = [r async for r in client.track_many([fake_number(2)])]
            assert fake_api.calls["track"] == 3 + 9
            error = results[0].error
            return error if isinstance(error, APIError) else None

    assert asyncio.run(main()) is not None
