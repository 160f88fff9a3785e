"""tenacity's strategies, set up for the engine's retry loop (imported on a client's first request).

The engine decides whether a failed attempt *may* be retried (what is idempotent, purchases,
``Retry-After`` beyond the cap: see ``Engine._decide``) and raises :class:`RetryableFailure`
when it may. From there tenacity runs the loop with its own strategies:

* wait: the carrier's ``Retry-After`` when the answer carried one, else tenacity's full-jitter
  exponential backoff (:class:`tenacity.wait_random_exponential`: ``initial_delay * 2**(n-1)``
  capped by ``max_delay``, a uniform draw below it) drawn from the client's seeded RNG;
* stop: :func:`tenacity.stop_after_attempt` (the interactive or bulk retry count) ``|`` a stop
  before the call's deadline (``clock() + next sleep >= deadline``, on the client's clock, which
  tests make virtual) ``|`` the retry budget (last, so only a retry that happens is paid for);
* before sleep: one DEBUG log line and the ``on_retry_decision`` observation;
* when a stop fires, ``retry_error_callback`` turns the last failure into the call's error.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from typing import Any

import tenacity
from tenacity.stop import stop_base
from tenacity.wait import wait_base

from ._observe import observed
from ._retry import RetryableFailure, RetryBudget, RetryPolicy

__all__ = [
    "before_sleep_log_and_observe",
    "stop_before_deadline",
    "stop_without_budget",
    "wait_full_jitter",
    "stop_reason",
    "strategies",
    "wait_retry_after",
]


def _failure(state: tenacity.RetryCallState) -> RetryableFailure:
    outcome = state.outcome
    error = outcome.exception() if outcome is not None else None
    assert isinstance(error, RetryableFailure)  # the loop retries nothing else
    return error


class wait_full_jitter(tenacity.wait_random_exponential):
    """:class:`tenacity.wait_random_exponential` drawing from ``rng`` (a seeded client replays its
    jitter), the ceiling being tenacity's ``wait_exponential``."""

    def __init__(self, rng: random.Random, *, multiplier: float, max: float) -> None:
        super().__init__(multiplier=multiplier, max=max)
        self._rng = rng

    def __call__(self, retry_state: tenacity.RetryCallState) -> float:
        ceiling = tenacity.wait_exponential.__call__(self, retry_state)
        return self._rng.uniform(0, ceiling)


class wait_retry_after(wait_base):
    """The carrier's ``Retry-After`` when the failed attempt carried one, else ``fallback``."""

    def __init__(self, fallback: wait_base) -> None:
        self.fallback = fallback

    def __call__(self, retry_state: tenacity.RetryCallState) -> float:
        retry_after = _failure(retry_state).retry_after
        return retry_after if retry_after is not None else self.fallback(retry_state)


class stop_before_deadline(stop_base):
    """Stop when the next sleep would end at or after the call's deadline (``clock`` time).

    tenacity's ``stop_before_delay`` measures from the first attempt of one request on the real
    monotonic clock; a call's deadline covers all of its requests, and tests run in virtual time.
    """

    def __init__(self, clock: Callable[[], float], deadline_at: float) -> None:
        self.clock = clock
        self.deadline_at = deadline_at

    def __call__(self, retry_state: tenacity.RetryCallState) -> bool:
        return self.clock() + retry_state.upcoming_sleep >= self.deadline_at


class stop_without_budget(stop_base):
    """Stop when the retry budget cannot pay for the retry; pays for it when it can.

    It has a side effect, so it goes last in a ``|`` of stops (tenacity stops at the first that
    fires): a retry refused by the attempt count or the deadline costs nothing.
    """

    def __init__(self, budget: RetryBudget) -> None:
        self.budget = budget

    def __call__(self, retry_state: tenacity.RetryCallState) -> bool:
        return not self.budget.acquire(timeout=_failure(retry_state).timed_out)


def stop_reason(
    retry_state: tenacity.RetryCallState, attempts: int, clock: Callable[[], float], deadline_at: float
) -> str:
    """Which stop fired, in the words of :class:`carrier_sdk.hookspecs.RetryDecision`."""
    if retry_state.attempt_number >= attempts:
        return "attempts exhausted"
    if clock() + retry_state.upcoming_sleep >= deadline_at:
        return "deadline"
    return "budget exhausted"


def strategies(
    policy: RetryPolicy,
    *,
    max_retries: int,
    rng: random.Random,
    clock: Callable[[], float],
    deadline_at: float,
    budget: RetryBudget,
    before_sleep: Callable[[tenacity.RetryCallState], None],
    give_up: Callable[[tenacity.RetryCallState], Any],
) -> dict[str, Any]:
    """The keyword arguments of the ``tenacity.Retrying`` whose ``iter`` paces one request's attempts
    (``Engine._retry_steps``: the same loop for both clients)."""
    return {
        "retry": tenacity.retry_if_exception_type(RetryableFailure),
        "wait": wait_retry_after(wait_full_jitter(rng, multiplier=policy.initial_delay, max=policy.max_delay)),
        "stop": (
            tenacity.stop_after_attempt(max_retries + 1)
            | stop_before_deadline(clock, deadline_at)
            | stop_without_budget(budget)
        ),
        "before_sleep": before_sleep,
        "retry_error_callback": give_up,
        "reraise": True,
    }


def before_sleep_log_and_observe(
    logger: logging.Logger, carrier: str, operation: str, attempts: int
) -> Callable[[tenacity.RetryCallState], None]:
    """tenacity's ``before_sleep``: what ``tenacity.before_sleep_log`` logs, as our DEBUG line with
    structured fields, and the ``on_retry_decision`` observation."""

    def before_sleep(retry_state: tenacity.RetryCallState) -> None:
        failure = _failure(retry_state)
        logger.debug(
            "retrying %s %s: attempt %d/%d failed with %s; sleeping %.3fs",
            carrier,
            operation,
            retry_state.attempt_number,
            attempts,
            failure.cause,
            retry_state.upcoming_sleep,
            extra={
                "carrier": carrier,
                "operation": operation,
                "attempt": retry_state.attempt_number,
                "sleep": retry_state.upcoming_sleep,
                "cause": failure.cause,
            },
        )
        reason = "retry-after" if failure.retry_after is not None else "retryable"
        observed().decision(
            operation, retry_state.attempt_number, failure.response, failure.error, retry_state.upcoming_sleep, reason
        )

    return before_sleep
