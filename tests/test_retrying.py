"""tenacity's strategies as the engine sets them up: waits, stops, before-sleep and the budget."""

from __future__ import annotations

import logging
import random
from typing import Any

import httpx
import pytest
import tenacity

from carrier_sdk import RetryBudget, RetryPolicy
from carrier_sdk._retry import RetryableFailure
from carrier_sdk._retrying import (
    before_sleep_log_and_observe,
    stop_before_deadline,
    stop_reason,
    strategies,
    wait_full_jitter,
    wait_retry_after,
)


def failure(retry_after: float | None = None, *, timed_out: bool = False) -> RetryableFailure:
    response = httpx.Response(503, request=httpx.Request("GET", "https://carrier.example/x"))
    return RetryableFailure(
        error=None, response=response, retry_after=retry_after, timed_out=timed_out, cause="HTTP 503"
    )


def state_after(attempt: int, error: BaseException, upcoming_sleep: float = 0.0) -> tenacity.RetryCallState:
    state = tenacity.RetryCallState(tenacity.Retrying(), fn=None, args=(), kwargs={})
    state.attempt_number = attempt
    state.set_exception((type(error), error, None))
    state.upcoming_sleep = upcoming_sleep
    return state


def test_full_jitter_is_tenacitys_ceiling_with_the_clients_rng() -> None:
    policy = RetryPolicy()
    wait = wait_full_jitter(random.Random(7), multiplier=policy.initial_delay, max=policy.max_delay)
    reference = random.Random(7)
    for attempt in range(1, 10):
        waited = wait(state_after(attempt, failure()))
        assert waited == policy.backoff(attempt, reference)  # the documented formula, same draws
        assert 0 <= waited <= min(policy.max_delay, policy.initial_delay * 2 ** (attempt - 1))
    assert isinstance(wait, tenacity.wait_random_exponential)


def test_retry_after_wins_over_backoff() -> None:
    wait = wait_retry_after(tenacity.wait_fixed(3))
    assert wait(state_after(1, failure(retry_after=12.5))) == 12.5
    assert wait(state_after(1, failure())) == 3


def test_stop_before_deadline_uses_the_clients_clock() -> None:
    now = [100.0]
    stop = stop_before_deadline(lambda: now[0], deadline_at=110.0)
    assert not stop(state_after(1, failure(), upcoming_sleep=9.9))
    assert stop(state_after(1, failure(), upcoming_sleep=10.0))
    now[0] = 109.0
    assert stop(state_after(1, failure(), upcoming_sleep=1.0))


def test_the_budget_is_paid_only_for_a_retry_that_happens() -> None:
    budget = RetryBudget(capacity=10, retry_cost=5, timeout_cost=10)
    kwargs = strategies(
        RetryPolicy(),
        max_retries=2,
        rng=random.Random(1),
        clock=lambda: 0.0,
        deadline_at=50.0,
        budget=budget,
        before_sleep=lambda state: None,
        give_up=lambda state: None,
    )
    stop = kwargs["stop"]
    assert stop(state_after(3, failure(), upcoming_sleep=0.1))  # attempts exhausted: nothing paid
    assert stop(state_after(1, failure(), upcoming_sleep=60.0))  # past the deadline: nothing paid
    assert budget.tokens == 10
    assert not stop(state_after(1, failure(), upcoming_sleep=0.1))  # a retry: paid
    assert budget.tokens == 5
    assert stop(state_after(1, failure(timed_out=True), upcoming_sleep=0.1))  # a timeout costs 10
    assert budget.tokens == 5
    assert stop_reason(state_after(1, failure(), 0.1), 3, lambda: 0.0, 50.0) == "budget exhausted"
    assert stop_reason(state_after(3, failure(), 0.1), 3, lambda: 0.0, 50.0) == "attempts exhausted"
    assert stop_reason(state_after(1, failure(), 60.0), 3, lambda: 0.0, 50.0) == "deadline"


def test_before_sleep_logs_the_structured_line(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("carrier_sdk")
    before_sleep = before_sleep_log_and_observe(logger, "acme", "track", 3)
    with caplog.at_level(logging.DEBUG, logger="carrier_sdk"):
        before_sleep(state_after(1, failure(), upcoming_sleep=0.25))
    [record] = caplog.records
    assert record.getMessage() == "retrying acme track: attempt 1/3 failed with HTTP 503; sleeping 0.250s"
    fields: dict[str, Any] = {k: getattr(record, k) for k in ("carrier", "operation", "attempt", "sleep", "cause")}
    assert fields == {"carrier": "acme", "operation": "track", "attempt": 1, "sleep": 0.25, "cause": "HTTP 503"}
