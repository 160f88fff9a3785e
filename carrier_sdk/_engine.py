"""The engine both clients drive: the attempt/retry decision, and its sync and async drivers.

:class:`Engine` holds what is decided once (request preparation, the should-retry decision,
error mapping, the purchase guarantee) and writes each request of a flow once, sans-I/O, as
:data:`Steps`: a generator that asks for a rate-limit slot, a read, a sleep or a shared request
and decides on each reply. :class:`SyncEngine` and :class:`AsyncEngine` only perform those steps
(and keep their own in-process single flight: threads or tasks). The clients inherit them.
"""

from __future__ import annotations

import contextvars
import functools
import logging
import threading
import time
from collections.abc import Awaitable, Callable, Generator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, NamedTuple, NoReturn, TypeAlias, TypeVar, cast

import attrs
import httpx

from ._carrier import Carrier, _request_id
from ._cleartext import check_cleartext
from ._exceptions import (
    APIConnectionError,
    APIError,
    APIStatusError,
    APITimeoutError,
    CarrierError,
    CarrierServerError,
    OutcomeUnknownError,
    RateLimitError,
    ResponseError,
)
from ._flow import Flow, RequestOptions, drive_async, drive_sync, options_of
from ._observe import observed, observing
from ._operation import Operation, Unit
from ._plugins import PluginManager
from ._ratelimit import RateLimit
from ._reading import _Reader
from ._redact import redact_request, redact_response, scrub_text
from ._registry import CarrierRegistry
from ._retry import (
    RetryableFailure,
    RetryBudget,
    RetryPolicy,
    parse_retry_after,
    sent_for_sure_not,
    tls_failure,
    transport_error,
)
from ._transports import _SYNC_DEADLINE
from ._version import VERSION
from .state._ledger import guarded_purchase, guarded_purchase_async

if TYPE_CHECKING:
    import asyncio
    import concurrent.futures
    import random

    from ._shipping import Shipment
    from .sandbox import Sandbox
    from .state._base import StateBackend

__all__ = ["AsyncEngine", "Engine", "SyncEngine"]

logger = logging.getLogger("carrier_sdk")

#: True while a call runs as part of bulk work (track_many): it then retries up to
#: ``RetryPolicy.max_retries`` times; single calls use ``interactive_max_retries``.
_BULK: contextvars.ContextVar[bool] = contextvars.ContextVar("carrier_sdk_bulk", default=False)


T = TypeVar("T")
R = TypeVar("R")

_USER_AGENT = f"carrier-sdk/{VERSION}"
_ACCEPT_ENCODING = "gzip, deflate"


@attrs.frozen
class _Final:
    """The retry decision said stop: return ``response`` or raise ``error``.

    ``reason`` is set when a failure that could have been retried is not (the observed decision).
    """

    response: httpx.Response | None = None
    error: BaseException | None = None
    reason: str = ""


class _Read(NamedTuple):
    """Send ``request`` and read its answer; the driver replies with the response or the transport error."""

    options: RequestOptions
    request: httpx.Request
    deadline_at: float


class _Sleep(NamedTuple):
    """Sleep ``seconds`` (a rate-limit slot, a backoff); the driver replies ``None``."""

    seconds: float


class _Reserve(NamedTuple):
    """Reserve a slot of ``limiter`` within ``within`` seconds; the driver replies the wait for it."""

    limiter: Any
    within: float


class _SingleFlight(NamedTuple):
    """Share ``request`` with the callers sending the same one at once (``options.singleflight``); the
    driver replies the response, from its own single flight whose leader performs ``_leader_steps``."""

    options: RequestOptions
    request: httpx.Request
    deadline_at: float


class _AcrossProcesses(NamedTuple):
    """Perform ``steps`` if this process leads for ``scope`` (carrier, credential, key): one process
    at a time sends, the others take its success from the state backend; the driver replies the
    response."""

    scope: tuple[str, str, str]
    request: httpx.Request
    steps: Steps
    remaining: Callable[[], float]


#: What the engine asks a driver to do for one request (sans-I/O: the engine decides, the sync or
#: async driver performs each step and sends back its reply), ending with the final response.
Steps: TypeAlias = Generator["_Step", Any, httpx.Response]
_Step: TypeAlias = "_Read | _Sleep | _Reserve | _SingleFlight | _AcrossProcesses"


class _Call:
    """What one SDK call knows about its purchase, for the "2xx, then a failure" guarantee.

    ``in_flight``: a purchase request started to be sent and its outcome is not settled yet.
    ``bought``: the purchase request's success response (the carrier accepted it).
    ``after``: requests the flow sent after that success (a later step: a waybill, a label).
    """

    __slots__ = ("after", "bought", "in_flight", "key", "options")

    def __init__(self, key: str | None = None) -> None:
        self.key = key
        self.options: RequestOptions | None = None
        self.in_flight = False
        self.bought: httpx.Response | None = None
        self.after = 0

    def sending(self, options: RequestOptions) -> None:
        if self.bought is not None:
            self.after += 1
        if options.purchase:
            self.options = options

    def settled(self, options: RequestOptions, response: httpx.Response | None) -> None:
        if options.purchase:
            self.in_flight = False
            if response is not None and 200 <= response.status_code < 300:
                self.bought = response
                self.after = 0


class _Shared:
    """State shared by a client and every copy made by ``with_options``."""

    def __init__(self, registry_source: CarrierRegistry | PluginManager, sandbox: Sandbox | None) -> None:
        self.registry_source = registry_source
        self.sandbox = sandbox
        self.lock = threading.Lock()
        self.carriers: dict[tuple[str, int], Carrier] = {}
        self.limiters: dict[tuple[str, str], Any] = {}
        self.budgets: dict[tuple[str, str], RetryBudget] = {}
        self.singleflight_sync: dict[str, concurrent.futures.Future[httpx.Response]] = {}
        self.singleflight_async: dict[str, asyncio.Future[httpx.Response]] = {}

    @property
    def registry(self) -> CarrierRegistry:
        source = self.registry_source
        return source if isinstance(source, CarrierRegistry) else source.registry


class Engine:
    """What both clients decide once: limits, request preparation, the retry decision, errors.

    Not used directly: the clients inherit it (through :class:`SyncEngine` or :class:`AsyncEngine`).
    """

    retry_policy: RetryPolicy
    timeout: httpx.Timeout
    deadline: float
    state: StateBackend
    _shared: _Shared
    _clock: Callable[[], float]
    _rng: random.Random
    _rate_limits: dict[str, RateLimit | None]
    _sandbox_flag: bool
    allow_insecure_http: bool

    def _get_sandbox(self) -> Sandbox | None:
        if not self._sandbox_flag:
            return None
        if self._shared.sandbox is None:
            from .sandbox import Sandbox

            with self._shared.lock:
                if self._shared.sandbox is None:
                    self._shared.sandbox = Sandbox(registry=self._shared.registry)
        return self._shared.sandbox

    def _limiter(self, carrier: Carrier) -> Any:
        key = (carrier.code, carrier.credential_id())
        limiter = self._shared.limiters.get(key)
        if limiter is None:
            with self._shared.lock:
                limiter = self._shared.limiters.get(key)
                if limiter is None:
                    limit = self._rate_limit_for(carrier)
                    limiter = self.state.limiter(carrier.code, carrier.credential_id(), limit, self._clock)
                    self._shared.limiters[key] = limiter
        elif self._sandbox_flag and carrier.code not in self._rate_limits:
            # In the sandbox the client-side limit follows the fake's quota switch, live.
            quota = self._rate_limit_for(carrier)
            if quota != limiter.limit:
                limiter.reconfigure(quota)
        return limiter

    def _rate_limit_for(self, carrier: Carrier) -> RateLimit | None:
        if carrier.code in self._rate_limits:
            return self._rate_limits[carrier.code]
        sandbox = self._get_sandbox()
        if sandbox is not None:
            quota: RateLimit | None = sandbox.quota_for(carrier.code)
            return quota
        return carrier.rate_limit

    def _budget(self, carrier: Carrier) -> RetryBudget:
        key = (carrier.code, carrier.credential_id())
        budget = self._shared.budgets.get(key)
        if budget is None:
            with self._shared.lock:
                budget = self._shared.budgets.setdefault(key, RetryBudget())
        return budget

    # -- requests -------------------------------------------------------------------------------

    def _prepare(self, request: httpx.Request, deadline_at: float) -> None:
        remaining = deadline_at - self._clock()
        if remaining <= 0:
            raise APITimeoutError(
                "the call's deadline passed before the request could be sent",
                carrier="?",
                request=redact_request(request),
            )
        t = self.timeout
        request.extensions["timeout"] = {
            "connect": min(t.connect or remaining, remaining),
            "read": min(t.read or remaining, remaining),
            "write": min(t.write or remaining, remaining),
            "pool": min(t.pool or remaining, remaining),
        }
        request.headers.setdefault("User-Agent", _USER_AGENT)
        request.headers["Accept-Encoding"] = _ACCEPT_ENCODING

    # -- one request, as steps both drivers perform ----------------------------------------------

    def _request_steps(self, carrier: Carrier, request: httpx.Request, deadline_at: float, call: _Call | None) -> Steps:
        """One request of a flow: the cleartext check, single flight or the retry loop, the purchase's bookkeeping."""
        check_cleartext(request, carrier=carrier.code, allowed=self.allow_insecure_http or self._sandbox_flag)
        options = options_of(request)
        if call is not None:
            call.sending(options)
        response: httpx.Response
        if options.singleflight:
            response = yield _SingleFlight(options, request, deadline_at)
        else:
            response = yield from self._retry_steps(carrier, options, request, deadline_at, call)
        if call is not None:
            call.settled(options, response)
        return response

    def _leader_steps(
        self, carrier: Carrier, options: RequestOptions, request: httpx.Request, deadline_at: float
    ) -> Steps:
        """A single flight's leader: sends the request, in one process at a time where state is shared."""
        if not self.state.shared or self._get_sandbox() is not None:
            return (yield from self._retry_steps(carrier, options, request, deadline_at, None))
        response: httpx.Response = yield _AcrossProcesses(
            (carrier.code, carrier.credential_id(), options.singleflight or ""),
            request,
            self._retry_steps(carrier, options, request, deadline_at, None),
            lambda: deadline_at - self._clock(),
        )
        return response

    def _retry_steps(
        self, carrier: Carrier, options: RequestOptions, request: httpx.Request, deadline_at: float, call: _Call | None
    ) -> Steps:
        """Attempts under tenacity's wait and stop until one is final (see :meth:`_retrying`).

        tenacity's ``iter`` says what comes next (an attempt, or a sleep the driver performs); when
        a stop fires it raises the call's error (``give_up``). The first attempt is made before the
        loop exists, since most requests need no other: the loop (and tenacity's import) is set up
        only when that attempt may be retried, and is handed its failure as attempt 1.
        """
        try:
            return (yield from self._attempt_steps(carrier, options, request, 1, deadline_at, call))
        except RetryableFailure as failure:
            first = failure
        import tenacity

        retrying = tenacity.Retrying(**self._retrying(carrier, options, deadline_at))
        retrying.begin()
        state = tenacity.RetryCallState(retrying, fn=None, args=(), kwargs={})
        action = retrying.iter(state)
        assert isinstance(action, tenacity.DoAttempt)  # attempt 1: the one made above
        state.set_exception((type(first), first, first.__traceback__))
        while True:
            action = retrying.iter(state)
            if isinstance(action, tenacity.DoSleep):
                state.prepare_for_next_attempt()
                yield _Sleep(float(action))
                continue
            assert isinstance(action, tenacity.DoAttempt)  # a stop raised the call's error (``give_up``)
            try:
                return (
                    yield from self._attempt_steps(carrier, options, request, state.attempt_number, deadline_at, call)
                )
            except RetryableFailure as failure:
                state.set_exception((type(failure), failure, failure.__traceback__))

    def _attempt_steps(
        self,
        carrier: Carrier,
        options: RequestOptions,
        request: httpx.Request,
        attempt: int,
        deadline_at: float,
        call: _Call | None,
    ) -> Steps:
        """One attempt: its rate-limit slot, the exchange, its log and decision.

        The outcome is raised here, not in the driver's ``except`` block, so no error carries the
        transport error (and its live request) as its implicit context.
        """
        if options.rate_limited:
            self._prepare(request, deadline_at)  # the deadline first: a refused request takes no slot
            wait = yield _Reserve(self._limiter(carrier), deadline_at - self._clock())
            if wait > 0:
                if self._clock() + wait >= deadline_at:
                    raise _client_side_limited(carrier, options, wait)
                yield _Sleep(wait)
        self._prepare(request, deadline_at)
        if call is not None and options.purchase:
            call.in_flight = True  # from here until an outcome is decided, a failure is ambiguous
        started = time.perf_counter()
        reply = yield _Read(options, request, deadline_at)
        response, error = (reply, None) if isinstance(reply, httpx.Response) else (None, reply)
        self._log_response(carrier, options, request, attempt, response, error, started)
        outcome = self._decide(carrier, options, attempt, error=error, response=response)
        if call is not None and options.purchase:
            call.in_flight = False
        if isinstance(outcome, _Final):
            return self._finish(carrier, options, outcome)
        raise outcome

    def _decide(
        self,
        carrier: Carrier,
        options: RequestOptions,
        attempt: int,
        *,
        error: BaseException | None = None,
        response: httpx.Response | None = None,
    ) -> _Final | RetryableFailure:
        """The single should-retry decision: what to finish with, or a failure that may be retried.

        Whether there is room for the retry (attempts, deadline, budget) is tenacity's stop; see
        :meth:`_retrying`.
        """
        outcome = self._judge(carrier, options, error=error, response=response)
        if isinstance(outcome, _Final) and outcome.reason:
            observed().decision(options.operation, attempt, response, error, None, outcome.reason)
        return outcome

    def _judge(
        self,
        carrier: Carrier,
        options: RequestOptions,
        *,
        error: BaseException | None = None,
        response: httpx.Response | None = None,
    ) -> _Final | RetryableFailure:
        policy = self.retry_policy
        keyed = carrier.supports_idempotency_key and bool(options.idempotency_key)
        if error is not None:
            if not isinstance(error, httpx.TransportError):
                return _Final(error=error)
            if tls_failure(error):
                # A certificate that does not verify will not verify on the next attempt either.
                return _Final(error=error, reason="not retryable")
            never_sent = sent_for_sure_not(error)
            if not (options.idempotent or keyed or never_sent):
                return _Final(error=self._ambiguous(carrier, options, error, None), reason="not idempotent")
            timed_out = isinstance(error, httpx.TimeoutException)
            cause = type(error).__name__
            retry_after = None
        else:
            assert response is not None
            status = response.status_code
            if 300 <= status < 400:
                # Redirects are never followed (they could carry credentials elsewhere).
                return _Final(error=self._status_error(carrier, options, response))
            if status < 400:
                self._budget(carrier).refund()
                return _Final(response=response)
            if status not in policy.statuses:
                return _Final(response=response)
            if _rejected(carrier, response):
                return _Final(response=response, reason="carrier refused")
            # Retry-After is honoured on every retried status that carries it, up to the cap; a
            # longer wait is not retried at all (never a 3,000 s sleep inside the deadline).
            retry_after = parse_retry_after(response.headers)
            if status == 429 and retry_after is not None:
                self._limiter(carrier).pause(min(retry_after, policy.max_retry_after))
                if retry_after > policy.max_retry_after:
                    return _Final(error=self._status_error(carrier, options, response), reason="retry-after too long")
            if retry_after is not None and retry_after > policy.max_retry_after:
                return attrs.evolve(self._give_up(carrier, options, None, response), reason="retry-after too long")
            if status != 429 and not (options.idempotent or keyed):
                # The carrier may have acted on it: never resend a purchase without a key.
                return _Final(error=self._ambiguous(carrier, options, None, response), reason="not idempotent")
            timed_out = status == 408
            cause = f"HTTP {status}"
        return RetryableFailure(
            error=error, response=response, retry_after=retry_after, timed_out=timed_out, cause=cause
        )

    def _retrying(self, carrier: Carrier, options: RequestOptions, deadline_at: float) -> dict[str, Any]:
        """tenacity's wait, stop, before-sleep and give-up for one request (``Retrying(**...)``)."""
        policy = self.retry_policy
        retries = policy.max_retries if _BULK.get() else policy.interactive_max_retries

        def give_up(state: Any) -> NoReturn:
            failure: RetryableFailure = state.outcome.exception()
            reason = stop_reason(state, retries + 1, self._clock, deadline_at)
            observed().decision(options.operation, state.attempt_number, failure.response, failure.error, None, reason)
            self._finish(carrier, options, self._give_up(carrier, options, failure.error, failure.response))
            raise AssertionError("unreachable")  # pragma: no cover (_give_up always holds an error)

        from ._retrying import before_sleep_log_and_observe, stop_reason, strategies

        return strategies(
            policy,
            max_retries=retries,
            rng=self._rng,
            clock=self._clock,
            deadline_at=deadline_at,
            budget=self._budget(carrier),
            before_sleep=before_sleep_log_and_observe(logger, carrier.code, options.operation, retries + 1),
            give_up=give_up,
        )

    def _give_up(
        self,
        carrier: Carrier,
        options: RequestOptions,
        error: BaseException | None,
        response: httpx.Response | None,
    ) -> _Final:
        never_sent = error is not None and sent_for_sure_not(error)
        refused = response is not None and response.status_code == 429  # a 429 means "not processed"
        if options.purchase and not never_sent and not refused:
            return _Final(error=self._ambiguous(carrier, options, error, response))
        if response is not None:
            return _Final(error=self._status_error(carrier, options, response))
        assert error is not None
        return _Final(error=error)

    def _status_error(self, carrier: Carrier, options: RequestOptions, response: httpx.Response) -> APIError:
        return carrier.api_error(response, operation=options.operation)

    def _ambiguous(
        self,
        carrier: Carrier,
        options: RequestOptions,
        error: BaseException | None,
        response: httpx.Response | None,
    ) -> APIError:
        cause = type(error).__name__ if error is not None else f"HTTP {response.status_code if response else '?'}"
        request = (
            error.request
            if isinstance(error, httpx.RequestError) and error._request
            else (response.request if response is not None else None)
        )
        redacted = redact_request(request, carrier.sensitive_headers) if request is not None else None
        if not options.purchase:
            if response is not None:
                return self._status_error(carrier, options, response)
            return transport_error(error, carrier=carrier.code, operation=options.operation, request=redacted)
        return OutcomeUnknownError(
            f"{options.operation} may or may not have happened ({cause}); reconcile with "
            f"idempotency key {options.idempotency_key or ''!r} before buying again",
            carrier=carrier.code,
            idempotency_key=options.idempotency_key or "",
            reference=options.reference,
            attempted_at=datetime.now(UTC),
            cause_kind=cause,
            request=redacted,
            operation=options.operation,
        )

    def _settle(self, carrier: Carrier, call: _Call, error: Exception) -> Exception:
        """The error a call ends with, once the purchase guarantee is applied.

        After a purchase got a success status, every later failure (a parse error, a missing
        field, a later step failing, the deadline) becomes :class:`OutcomeUnknownError`, except
        a refusal the carrier stated in that very answer (a 4xx-class error raised from it).
        """
        if isinstance(error, OutcomeUnknownError):
            self._enrich(carrier, call, error)
            return error
        if call.bought is None:
            if call.in_flight and call.options is not None and _ambiguous_in_flight(error):
                return self._outcome_unknown(carrier, call, error, "its answer could not be read to the end")
            return error
        if call.after == 0 and isinstance(error, APIStatusError) and not isinstance(error, CarrierServerError):
            return error  # the carrier's own answer refused the purchase
        return self._outcome_unknown(carrier, call, error, None)

    @staticmethod
    def _scrub(carrier: Carrier, error: Exception) -> Exception:
        """Remove the carrier's known secrets from what ``error`` keeps (excerpt, messages), in place."""
        if not isinstance(error, CarrierError):
            return error
        try:
            secrets = carrier.known_secrets()
        except Exception:  # an adapter bug must not hide the error
            return error
        if not secrets:
            return error
        error.message = scrub_text(error.message, secrets)
        error.args = (error.message,)
        for name in ("error_message", "error_code"):
            value = getattr(error, name, None)
            if isinstance(value, str):
                setattr(error, name, scrub_text(value, secrets))
        response = getattr(error, "response", None)
        if isinstance(response, httpx.Response):
            request = response._request  # the redacted copy, or None
            error.response = redact_response(  # type: ignore[attr-defined]
                response, request, carrier.sensitive_headers, secrets
            )
        return error

    def _outcome_unknown(
        self, carrier: Carrier, call: _Call, error: BaseException | None, what: str | None
    ) -> OutcomeUnknownError:
        options = call.options
        operation = options.operation if options is not None else "create_shipment"
        key = call.key or (options.idempotency_key if options is not None else None) or ""
        if what is None:
            status = call.bought.status_code if call.bought is not None else "?"
            step = "a later step" if call.after else "reading its answer"
            what = f"the carrier accepted it (HTTP {status}), then {step} failed"
        detail = f": {error}" if isinstance(error, CarrierError) else (f": {type(error).__name__}" if error else "")
        reference = options.reference if options is not None else None
        by_reference = f" or reference {reference!r}" if reference else ""
        err = OutcomeUnknownError(
            f"{operation} may or may not have happened ({what}{detail}); reconcile with "
            f"idempotency key {key!r}{by_reference} before buying again",
            carrier=carrier.code,
            idempotency_key=key,
            reference=reference,
            attempted_at=datetime.now(UTC),
            cause_kind=type(error).__name__ if error is not None else "",
            operation=operation,
            request=getattr(error, "request", None) if isinstance(error, APIError) else None,
            request_id=getattr(error, "request_id", None) if isinstance(error, APIError) else None,
        )
        self._enrich(carrier, call, err)
        return err

    def _enrich(self, carrier: Carrier, call: _Call, error: OutcomeUnknownError) -> None:
        """Add what the call knows: the caller's key, the identifiers and excerpt of a 2xx answer."""
        if call.key and error.idempotency_key != call.key:
            old = error.idempotency_key
            error.idempotency_key = call.key
            error.message = error.message.replace(f"idempotency key {old!r}", f"idempotency key {call.key!r}")
        if error.reference is None and call.options is not None:
            error.reference = call.options.reference
        if call.bought is not None:
            try:
                found = carrier.purchase_identifiers(call.bought)
            except Exception:  # an adapter bug must not hide the outcome
                found = {}
            error.identifiers = {**found, **error.identifiers}
            if error.identifiers and "named" not in error.message:
                named = ", ".join(f"{k} {v!r}" for k, v in error.identifiers.items())
                error.message = f"{error.message}; the answer named {named}"
            if error.response is None:
                request = redact_request(call.bought.request, carrier.sensitive_headers)
                error.response = redact_response(
                    call.bought, request, carrier.sensitive_headers, carrier.known_secrets(call.bought.request)
                )
            if error.request is None:
                error.request = redact_request(call.bought.request, carrier.sensitive_headers)

    def _finish(self, carrier: Carrier, options: RequestOptions, final: _Final) -> httpx.Response:
        if final.response is not None:
            return final.response
        error = final.error
        if isinstance(error, CarrierError):
            raise error
        if isinstance(error, httpx.TransportError):
            request = error._request if isinstance(error, httpx.RequestError) else None
            redacted = redact_request(request, carrier.sensitive_headers) if request is not None else None
            # Chain a copy that holds the redacted request, never the live one (credentials).
            raise transport_error(
                error, carrier=carrier.code, operation=options.operation, request=redacted
            ) from _redacted_cause(error, redacted)
        assert error is not None
        raise error

    def _log_response(
        self,
        carrier: Carrier,
        options: RequestOptions,
        request: httpx.Request,
        attempt: int,
        response: httpx.Response | None,
        error: BaseException | None,
        started: float,
    ) -> None:
        """Log the attempt (DEBUG) and report it to the observers."""
        observed().attempt(options.operation, request, attempt, started, response, error)
        if not logger.isEnabledFor(logging.DEBUG):
            return
        status = response.status_code if response is not None else type(error).__name__
        request_id = _request_id(response) if response is not None else None
        message = "%s %s attempt %d -> %s in %.1f ms"
        args: list[object] = [carrier.code, options.operation, attempt, status, (time.perf_counter() - started) * 1000]
        if request_id:  # the carrier's id of the exchange when it sent one; nothing when it did not
            message += " (request id %s)"
            args.append(request_id)
        logger.debug(
            message,
            *args,
            extra={
                "carrier": carrier.code,
                "operation": options.operation,
                "attempt": attempt,
                "status": status,
                "request_id": request_id,
            },
        )

    def _deadline_at(self) -> float:
        return self._clock() + self.deadline


def _own_copy(error: BaseException) -> BaseException:
    """A copy of a shared request's error for one waiting caller (never one object raised in many places)."""
    import copy

    if isinstance(error, CarrierError):
        return copy.copy(error)
    return APIConnectionError(f"a shared request failed ({type(error).__name__})", carrier="?")


def _follower_retries(error: BaseException, remaining: float) -> bool:
    """Whether a caller that waited on a shared request should send it itself.

    Yes when the leader stopped for its own reasons (its shorter deadline, an untyped failure)
    and this caller still has time; a carrier's answer (401, 5xx after retries) is shared.
    """
    if remaining <= 0:
        return False
    return isinstance(error, APITimeoutError) or not isinstance(error, CarrierError)


def _waited_too_long(carrier: Carrier, options: RequestOptions) -> APITimeoutError:
    return APITimeoutError(
        f"{options.operation}: the call's deadline passed while waiting for the same request in flight",
        carrier=carrier.code,
        operation=options.operation,
    )


def _ambiguous_in_flight(error: Exception) -> bool:
    """A failure while a purchase's answer was being read that leaves its outcome unknown."""
    if isinstance(error, APITimeoutError):
        return True
    if isinstance(error, ResponseError):
        return error.status_code is None or not (400 <= error.status_code < 500)
    return False


def _redacted_cause(error: httpx.TransportError, request: httpx.Request | None) -> BaseException:
    """``error``'s class and message over the redacted request, with no live objects chained."""
    try:
        copy = type(error)(str(error), request=request) if request is not None else type(error)(str(error))
    except TypeError:
        return httpx.TransportError(str(error))
    copy.__cause__ = None
    copy.__suppress_context__ = True
    return copy


def _rejected(carrier: Carrier, response: httpx.Response) -> bool:
    try:
        return carrier.rejected_for_sure(response)
    except Exception:  # an adapter bug must not turn an ambiguous failure into a certain one
        return False


def _client_side_limited(carrier: Carrier, options: RequestOptions, wait: float) -> RateLimitError:
    return RateLimitError(
        f"client-side rate limit: next slot in {wait:.1f}s, after the call's deadline",
        retry_after=wait,
        carrier=carrier.code,
        status_code=429,
        operation=options.operation,
    )


class SyncEngine(Engine):
    """The synchronous driver: sending, reading, sleeping and single flight over ``httpx.Client``."""

    _http: httpx.Client
    _sleep: Callable[[float], None]

    # -- I/O --------------------------------------------------------------------------------

    def _read(
        self, carrier: Carrier, options: RequestOptions, request: httpx.Request, deadline_at: float | None = None
    ) -> httpx.Response:
        real_time = deadline_at is not None and self._clock is time.monotonic
        token = _SYNC_DEADLINE.set(deadline_at) if real_time else None
        try:
            response = self._http.send(request, stream=True)
            try:
                reader = _Reader(carrier, options, response)
                if response.is_stream_consumed:  # in-memory transports hand over decoded content
                    reader.feed_decoded(response.content)
                else:
                    for chunk in response.iter_raw():
                        reader.feed(chunk)
                return reader.build()
            finally:
                response.close()
        finally:
            if token is not None:
                _SYNC_DEADLINE.reset(token)

    def _perform(self, carrier: Carrier, steps: Steps) -> httpx.Response:
        """Drive ``steps`` to the response, performing each step it asks for (see :data:`Steps`)."""
        return drive_sync(steps, functools.partial(self._step, carrier))

    def _step(self, carrier: Carrier, step: _Step) -> Any:
        """Perform one step; a transport error is the reply, so the engine raises what follows from it."""
        if isinstance(step, _Reserve):
            return step.limiter.reserve(within=step.within)
        if isinstance(step, _Read):
            try:
                return self._read(carrier, step.options, step.request, step.deadline_at)
            except httpx.TransportError as err:
                return err
        if isinstance(step, _Sleep):
            return self._sleep(step.seconds)
        if isinstance(step, _SingleFlight):
            return self._send_singleflight(carrier, step.options, step.request, step.deadline_at)
        from .state._flight import shared_flight

        send = functools.partial(self._perform, carrier, step.steps)
        return shared_flight(self.state, step.scope, step.request, send, remaining=step.remaining, sleep=self._sleep)

    def _send(
        self, carrier: Carrier, request: httpx.Request, deadline_at: float, call: _Call | None = None
    ) -> httpx.Response:
        return self._perform(carrier, self._request_steps(carrier, request, deadline_at, call))

    def _send_singleflight(
        self, carrier: Carrier, options: RequestOptions, request: httpx.Request, deadline_at: float
    ) -> httpx.Response:
        import concurrent.futures

        key = options.singleflight or ""
        shared = self._shared
        while True:
            with shared.lock:
                future = shared.singleflight_sync.get(key)
                leader = future is None
                if future is None:
                    future = concurrent.futures.Future()
                    shared.singleflight_sync[key] = future
            if leader:
                break
            remaining = deadline_at - self._clock()
            wait = remaining if self._clock is time.monotonic else remaining + 1
            try:
                return future.result(timeout=max(0.0, wait))
            except concurrent.futures.TimeoutError:
                if future.done() and future.exception() is not None:
                    continue  # the leader failed just now: settle below on the next turn
                raise _waited_too_long(carrier, options) from None
            except BaseException as err:
                if not (future.done() and future.exception() is err):
                    raise  # this caller's own interruption
                if _follower_retries(err, deadline_at - self._clock()):
                    continue
                raise _own_copy(err) from None
        try:
            response = self._perform(carrier, self._leader_steps(carrier, options, request, deadline_at))
        except BaseException as err:
            future.set_exception(err)
            raise
        else:
            future.set_result(response)
            return response
        finally:
            with shared.lock:
                if shared.singleflight_sync.get(key) is future:
                    shared.singleflight_sync.pop(key, None)

    def _run(self, carrier: Carrier, flow: Flow[T], *, key: str | None = None) -> T:
        with observing(carrier.code, sandbox=self._sandbox_flag):
            deadline_at = self._deadline_at()
            call = _Call(key)
            try:
                return drive_sync(flow, lambda request: self._send(carrier, request, deadline_at, call))
            except Exception as err:
                settled = self._scrub(carrier, self._settle(carrier, call, err))
                if settled is err:
                    raise
                raise settled from None

    def _call(self, op: Operation[T]) -> T:
        """Run a prepared operation; a purchase runs under its ledger guard."""
        if op.guard is None:
            return self._run(op.carrier, op.flow)
        buy = cast("Callable[[], Shipment]", lambda: self._run(op.carrier, op.flow, key=op.key))
        return cast(T, guarded_purchase(op.guard, buy))

    def _unit(self, unit: Unit[Any, R]) -> list[R]:
        """One unit of bulk work: its results, never its exception (unless ``unit.failed`` raises)."""
        token = _BULK.set(unit.bulk)
        try:
            return unit.ok(self._call(unit.operation()))
        except Exception as err:
            return unit.failed(err)
        finally:
            _BULK.reset(token)


class AsyncEngine(Engine):
    """The asynchronous driver: sending, reading, sleeping and single flight over ``httpx.AsyncClient``."""

    _http: httpx.AsyncClient
    _sleep: Callable[[float], Awaitable[None]]

    # -- I/O --------------------------------------------------------------------------------

    async def _read(self, carrier: Carrier, options: RequestOptions, request: httpx.Request) -> httpx.Response:
        response = await self._http.send(request, stream=True)
        try:
            reader = _Reader(carrier, options, response)
            if response.is_stream_consumed:  # in-memory transports hand over decoded content
                reader.feed_decoded(response.content)
            else:
                async for chunk in response.aiter_raw():
                    reader.feed(chunk)
            return reader.build()
        finally:
            await response.aclose()

    async def _perform(self, carrier: Carrier, steps: Steps) -> httpx.Response:
        """Async :meth:`SyncEngine._perform`."""
        return await drive_async(steps, functools.partial(self._step, carrier))

    async def _step(self, carrier: Carrier, step: _Step) -> Any:
        """Async :meth:`SyncEngine._step` (a shared limiter's slot is reserved without blocking the loop)."""
        if isinstance(step, _Reserve):
            limiter, within = step.limiter, step.within
            return await limiter.areserve(within) if self.state.shared else limiter.reserve(within)
        if isinstance(step, _Read):
            try:
                return await self._read(carrier, step.options, step.request)
            except httpx.TransportError as err:
                return err
        if isinstance(step, _Sleep):
            return await self._sleep(step.seconds)
        if isinstance(step, _SingleFlight):
            return await self._send_singleflight(carrier, step.options, step.request, step.deadline_at)
        from .state._flight import shared_flight_async

        send = functools.partial(self._perform, carrier, step.steps)
        return await shared_flight_async(
            self.state, step.scope, step.request, send, remaining=step.remaining, sleep=self._sleep
        )

    async def _send(
        self, carrier: Carrier, request: httpx.Request, deadline_at: float, call: _Call | None = None
    ) -> httpx.Response:
        return await self._perform(carrier, self._request_steps(carrier, request, deadline_at, call))

    async def _send_singleflight(
        self, carrier: Carrier, options: RequestOptions, request: httpx.Request, deadline_at: float
    ) -> httpx.Response:
        import asyncio

        key = options.singleflight or ""
        shared = self._shared
        while True:
            future = shared.singleflight_async.get(key)
            if future is None:
                break
            try:
                return await asyncio.shield(future)
            except asyncio.CancelledError:
                task = asyncio.current_task()
                if future.cancelled() and not (task is not None and task.cancelling()):
                    continue  # the leader was cancelled, not this caller: fetch again
                raise
            except Exception as err:
                if _follower_retries(err, deadline_at - self._clock()):
                    continue
                raise _own_copy(err) from None
        future = asyncio.get_running_loop().create_future()
        shared.singleflight_async[key] = future
        try:
            response = await self._perform(carrier, self._leader_steps(carrier, options, request, deadline_at))
        except asyncio.CancelledError:
            future.cancel()  # followers fetch again; one caller's cancellation cancels no other
            raise
        except BaseException as err:
            if not future.done():
                future.set_exception(err)
                future.exception()  # mark retrieved: waiters re-raise copies themselves
            raise
        else:
            future.set_result(response)
            return response
        finally:
            if shared.singleflight_async.get(key) is future:
                shared.singleflight_async.pop(key, None)

    async def _run(self, carrier: Carrier, flow: Flow[T], *, key: str | None = None) -> T:
        import asyncio

        with observing(carrier.code, sandbox=self._sandbox_flag):
            deadline_at = self._deadline_at()
            remaining = deadline_at - self._clock()
            call = _Call(key)
            try:
                async with asyncio.timeout(remaining if self._clock is time.monotonic else None):
                    return await drive_async(flow, lambda request: self._send(carrier, request, deadline_at, call))
            except TimeoutError:
                error = APITimeoutError(f"the call exceeded its {self.deadline:g}s deadline", carrier=carrier.code)
                if call.in_flight or call.bought is not None:
                    raise self._scrub(
                        carrier,
                        self._outcome_unknown(
                            carrier, call, error, f"the call's {self.deadline:g}s deadline passed during the purchase"
                        ),
                    ) from None
                raise error from None
            except Exception as err:
                settled = self._scrub(carrier, self._settle(carrier, call, err))
                if settled is err:
                    raise
                raise settled from None

    async def _call(self, op: Operation[T]) -> T:
        """Run a prepared operation; a purchase runs under its ledger guard."""
        if op.guard is None:
            return await self._run(op.carrier, op.flow)
        buy = cast("Callable[[], Awaitable[Shipment]]", lambda: self._run(op.carrier, op.flow, key=op.key))
        return cast(T, await guarded_purchase_async(op.guard, buy))

    async def _unit(self, unit: Unit[Any, R]) -> list[R]:
        """Async :meth:`SyncEngine._unit`; each unit runs in its own task, so ``_BULK`` stays the task's."""
        _BULK.set(unit.bulk)
        try:
            return unit.ok(await self._call(unit.operation()))
        except Exception as err:
            return unit.failed(err)
