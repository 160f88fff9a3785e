"""The observation hooks: one event per attempt, per retry decision and per operation result, on
both clients, through pluggy's relay; an observer that raises never breaks a call."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import attrs
import pytest

from carrier_sdk import (
    APIConnectionError,
    CarrierServerError,
    OutcomeUnknownError,
    RateLimitError,
    RetryPolicy,
    TrackingNotFoundError,
    default_plugin_manager,
)
from carrier_sdk.fakes import FaultKind
from carrier_sdk.hookspecs import OperationResult, RequestAttempt, RetryDecision, hookimpl
from carrier_sdk.testing import FakeCarrierAPIServer, fake_number

from ._helpers import home_shipment

SHIPMENT = home_shipment("order-observe")
SECRET = "observe-secret-5e1b7c"


class Recorder:
    def __init__(self) -> None:
        self.events: list[Any] = []

    @hookimpl
    def on_request_attempt(self, event: RequestAttempt) -> None:
        self.events.append(event)

    @hookimpl
    def on_retry_decision(self, event: RetryDecision) -> None:
        self.events.append(event)

    @hookimpl
    def on_operation_result(self, event: OperationResult) -> None:
        self.events.append(event)

    def of(self, kind: type) -> list[Any]:
        return [e for e in self.events if isinstance(e, kind)]


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    found = Recorder()
    default_plugin_manager().register(found)
    try:
        yield found
    finally:
        default_plugin_manager().unregister(found)


def test_a_retried_track_reports_attempts_decision_and_result(drive: Any, recorder: Recorder) -> None:
    drive.api.inject(FaultKind.SERVER_ERROR, operation="track", count=1)
    drive(lambda c: c.track(fake_number(1)))

    kinds = [type(e).__name__ for e in recorder.events]
    assert kinds == ["RequestAttempt", "RetryDecision", "RequestAttempt", "OperationResult"]
    first, decision, second, result = recorder.events
    assert len({e.call_id for e in recorder.events}) == 1
    assert (first.carrier, first.operation, first.attempt, first.status_code) == ("fakecarrier", "track", 1, 503)
    assert first.method == "GET"
    assert first.host == "api.fakecarrier.test"
    assert first.error_type is None
    assert first.duration >= 0
    assert first.sandbox is False
    assert (decision.attempt, decision.status_code, decision.retry, decision.reason) == (1, 503, True, "retryable")
    assert decision.delay == drive.clock.sleeps[0]
    assert (second.attempt, second.status_code) == (2, 200)
    assert (result.operation, result.attempts, result.status_code, result.error_type) == ("track", 2, 200, None)
    assert result.duration >= first.duration


def test_calls_have_their_own_ids_and_final_errors(drive: Any, recorder: Recorder) -> None:
    with pytest.raises(TrackingNotFoundError):
        drive(lambda c: c.track(FakeCarrierAPIServer.scenario_numbers["unknown"]))
    drive(lambda c: c.track(fake_number(2)))
    first, second = recorder.of(OperationResult)
    assert first.call_id != second.call_id
    assert (first.status_code, first.error_type) == (404, "TrackingNotFoundError")
    assert second.error_type is None
    assert not recorder.of(RetryDecision)  # a 404 is final: no decision to make


@pytest.mark.parametrize(
    ("kind", "count", "retry_after", "policy", "reason", "error"),
    [
        (FaultKind.SERVER_ERROR, 9, 1.0, RetryPolicy(), "attempts exhausted", CarrierServerError),
        (FaultKind.CONNECT_ERROR, 9, 1.0, RetryPolicy(), "attempts exhausted", APIConnectionError),
        (FaultKind.RATE_LIMITED, 1, 45.0, RetryPolicy(), "deadline", RateLimitError),
        (FaultKind.RATE_LIMITED, 1, 1.0, RetryPolicy(max_retry_after=0.5), "retry-after too long", RateLimitError),
    ],
)
def test_each_way_of_giving_up_is_named(
    drive: Any,
    recorder: Recorder,
    kind: FaultKind,
    count: int,
    retry_after: float,
    policy: RetryPolicy,
    reason: str,
    error: type,
) -> None:
    drive.api.inject(kind, operation="track", count=count, retry_after=retry_after)
    with pytest.raises(error):
        drive(lambda c: c.track(fake_number(3)), retry=policy, deadline=30)
    decisions = recorder.of(RetryDecision)
    assert [d.retry for d in decisions] == [True] * (len(decisions) - 1) + [False]
    assert decisions[-1].reason == reason
    assert decisions[-1].delay == 0
    [result] = recorder.of(OperationResult)
    assert result.error_type == error.__name__
    assert result.attempts == len(recorder.of(RequestAttempt)) == len(decisions)


def test_an_unkeyed_purchase_is_not_resent_and_says_why(drive: Any, recorder: Recorder) -> None:
    drive.api.inject(FaultKind.LOST_RESPONSE, operation="create_shipment", count=1)
    with pytest.raises(OutcomeUnknownError):
        drive(
            lambda c: c.run_flow("fakecarrier", lambda carrier: carrier.create_shipment(SHIPMENT, idempotency_key=""))
        )
    [decision] = recorder.of(RetryDecision)
    assert (decision.retry, decision.reason, decision.error_type) == (False, "not idempotent", "ReadError")
    [result] = recorder.of(OperationResult)
    assert (result.operation, result.error_type) == ("create_shipment", "OutcomeUnknownError")


def test_a_budget_that_cannot_pay_stops_the_retry(drive: Any, recorder: Recorder) -> None:
    from carrier_sdk._engine import Engine

    drive.api.inject(FaultKind.SERVER_ERROR, operation="track", count=1)

    def empty_budget(client: Any) -> Any:
        budget = Engine._budget(client, client._carrier("fakecarrier"))
        budget.acquire(timeout=False)
        while budget.acquire(timeout=False):
            pass
        return client.track(fake_number(4))

    with pytest.raises(CarrierServerError):
        drive(empty_budget)
    [decision] = recorder.of(RetryDecision)
    assert (decision.retry, decision.reason) == (False, "budget exhausted")


def test_an_observer_that_raises_is_logged_and_the_call_goes_on(
    drive: Any, recorder: Recorder, caplog: pytest.LogCaptureFixture
) -> None:
    class Broken:
        @hookimpl(trylast=True)
        def on_request_attempt(self, event: RequestAttempt) -> None:
            raise RuntimeError("observer bug")

    broken = Broken()
    default_plugin_manager().register(broken)
    try:
        with caplog.at_level(logging.WARNING, logger="carrier_sdk"):
            info = drive(lambda c: c.track(fake_number(5)))
    finally:
        default_plugin_manager().unregister(broken)
    assert info.carrier == "fakecarrier"
    assert any("on_request_attempt hook raised" in r.getMessage() for r in caplog.records)
    assert len(recorder.of(OperationResult)) == 1


def test_events_hold_no_secret(drive: Any, recorder: Recorder) -> None:
    drive.api.api_key = SECRET
    settings = {"fakecarrier": {**drive.api.settings(), "api_key_id": SECRET + "-id"}}
    drive.api.inject(FaultKind.TIMEOUT, operation="track", count=1)
    drive(lambda c: c.track(fake_number(6)), settings=settings)
    assert len(recorder.events) == 4
    for event in recorder.events:
        assert SECRET not in repr(attrs.asdict(event))


def test_no_observer_no_event_built(drive: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import carrier_sdk._events as events  # the observation builds its events from this module

    built: list[object] = []
    for name in ("RequestAttempt", "RetryDecision", "OperationResult"):
        real = getattr(events, name)
        monkeypatch.setattr(events, name, lambda real=real, **kw: built.append(real(**kw)))
    manager = default_plugin_manager()
    observers = {"on_request_attempt", "on_retry_decision", "on_operation_result"}
    installed = [  # carrier-sdk-otel, when installed, implements every observation hook
        p for p in manager.pm.get_plugins() if observers & {c.name for c in manager.pm.get_hookcallers(p) or []}
    ]
    names = {id(p): manager.pm.get_name(p) for p in installed}
    for plugin in installed:
        manager.unregister(plugin)
    try:
        assert not manager.hook.on_request_attempt.get_hookimpls()
        drive.api.inject(FaultKind.SERVER_ERROR, operation="track", count=1)
        drive(lambda c: c.track(fake_number(7)))
    finally:
        for plugin in installed:
            if not manager.pm.is_registered(plugin):
                manager.register(plugin, name=names[id(plugin)])
    assert built == []
    assert len(drive.clock.sleeps) == 1  # the call did retry: there were decisions to report
