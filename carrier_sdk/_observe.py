"""Observation events and their emission through the plugins' hooks.

The engine reports three things: each request attempt, each retry decision and each operation's
result. An event holds only what is safe to export: codes, names, counts, durations and the
carrier's host, never a credential, a path, a query or a body. Emitting costs a look-up when no
plugin implements the hook (the event is not even built), and an observer that raises is logged,
never allowed to break the call.
"""

from __future__ import annotations

import contextvars
import itertools
import logging
import time
from collections.abc import Callable
from typing import Any

import attrs
import httpx

__all__ = ["Observation", "OperationResult", "RequestAttempt", "RetryDecision", "observed", "observing"]

logger = logging.getLogger("carrier_sdk")


@attrs.frozen(kw_only=True)
class RequestAttempt:
    """One HTTP exchange with a carrier (or its sandbox fake), as the engine saw it.

    Attributes:
        call_id: The SDK call the attempt belongs to (the same for every event of that call,
            unique in the process).
        carrier: The carrier code (``"usps"``).
        operation: The request's operation (``"track"``, ``"create_shipment"``, an adapter's
            own step such as ``"token"``).
        attempt: 1 for the first send of this request, 2 for its first retry, and so on.
        method: The HTTP method.
        host: The carrier's host name only: no scheme, port, path, query or user info.
        status_code: The response's status, or ``None`` when no response came.
        error_type: The transport error's class name (``"ConnectTimeout"``) when no response
            came, else ``None``.
        duration: Seconds from sending to having the whole answer (or the error).
        sandbox: Whether the client talks to the sandbox's fakes.

    .. versionadded:: 0.1
    """

    call_id: int
    carrier: str
    operation: str
    attempt: int
    method: str
    host: str
    status_code: int | None
    error_type: str | None
    duration: float
    sandbox: bool


@attrs.frozen(kw_only=True)
class RetryDecision:
    """What the engine decided after an attempt that failed in a way worth retrying.

    Made once for each attempt that ended in a transport error or in a status the
    :class:`~carrier_sdk.RetryPolicy` retries (429, 5xx ...), whether or not it retries.

    Attributes:
        call_id: As in :class:`RequestAttempt`.
        carrier: The carrier code.
        operation: The request's operation.
        attempt: The attempt that failed (1-based).
        status_code: Its status, or ``None`` after a transport error.
        error_type: The transport error's class name, or ``None``.
        retry: Whether the request is sent again.
        delay: Seconds slept before the next attempt (0 when not retrying).
        reason: Why, in a few words: ``"retryable"``, ``"retry-after"``, ``"attempts exhausted"``,
            ``"budget exhausted"``, ``"deadline"``, ``"not idempotent"``,
            ``"retry-after too long"``, ``"carrier refused"``, ``"not retryable"``.

    .. versionadded:: 0.1
    """

    call_id: int
    carrier: str
    operation: str
    attempt: int
    status_code: int | None
    error_type: str | None
    retry: bool
    delay: float
    reason: str


@attrs.frozen(kw_only=True)
class OperationResult:
    """The end of one SDK call (``track``, ``create_shipment`` ...): success or the error raised.

    Attributes:
        call_id: As in :class:`RequestAttempt`.
        carrier: The carrier code.
        operation: The operation of the call's first request (``"track"``, ``"create_shipment"``);
            ``""`` when the call ended before sending anything.
        duration: Seconds the whole call took, retries and waits included.
        attempts: Request attempts the call made, over all of its requests.
        status_code: The status of the last response, or ``None`` when none came.
        error_type: The class name of the error the call raised (``"OutcomeUnknownError"``), or
            ``None`` on success.
        sandbox: Whether the client talks to the sandbox's fakes.

    .. versionadded:: 0.1
    """

    call_id: int
    carrier: str
    operation: str
    duration: float
    attempts: int
    status_code: int | None
    error_type: str | None
    sandbox: bool


_call_ids = itertools.count(1)


_default_manager: Callable[[], Any] | None = None
_relay: tuple[object, Any] | None = None  # (the process-wide manager, its hook relay)


def _caller(name: str) -> Any | None:
    """The hook caller for ``name`` when some plugin implements it, else ``None``."""
    global _default_manager, _relay
    if _default_manager is None:
        from ._plugins import default_plugin_manager  # not at import: _plugins imports hookspecs imports us

        _default_manager = default_plugin_manager
    manager = _default_manager()
    if _relay is None or _relay[0] is not manager:
        try:
            _relay = (manager, manager.hook)  # discovers the installed plugins once
        except Exception:  # discovery failed (strict mode): no observer can run, the call goes on
            logger.debug("observation hooks unavailable: plugin discovery failed", exc_info=True)
            return None
    caller = getattr(_relay[1], name)
    return caller if caller.get_hookimpls() else None


def _emit(name: str, build: Callable[[], object]) -> None:
    caller = _caller(name)
    if caller is None:
        return
    try:
        caller(event=build())
    except Exception:
        logger.warning("a carrier_sdk plugin's %s hook raised; the call goes on", name, exc_info=True)


def _kind(error: BaseException | None) -> str | None:
    return None if error is None else type(error).__name__


class Observation:
    """What one SDK call reports to the observation hooks (the engine makes one per call)."""

    __slots__ = ("attempts", "call_id", "carrier", "operation", "sandbox", "started", "status_code")

    def __init__(self, carrier: str, *, sandbox: bool) -> None:
        self.call_id = next(_call_ids)  # atomic under the GIL
        self.carrier = carrier
        self.sandbox = sandbox
        self.started = time.perf_counter()
        self.operation = ""
        self.attempts = 0
        self.status_code: int | None = None

    def _about(self, operation: str) -> dict[str, Any]:
        return {"call_id": self.call_id, "carrier": self.carrier, "operation": operation}

    def attempt(
        self,
        operation: str,
        request: httpx.Request,
        attempt: int,
        started: float,
        response: httpx.Response | None,
        error: BaseException | None,
    ) -> None:
        """One attempt ended (``started``: its ``time.perf_counter()``): ``on_request_attempt``."""
        duration = time.perf_counter() - started
        self.attempts += 1
        self.operation = self.operation or operation
        status = None if response is None else response.status_code
        self.status_code = status
        _emit(
            "on_request_attempt",
            lambda: RequestAttempt(
                **self._about(operation),
                attempt=attempt,
                method=request.method,
                host=request.url.host,  # the host only: no user info, port, path or query
                status_code=status,
                error_type=_kind(error),
                duration=duration,
                sandbox=self.sandbox,
            ),
        )

    def decision(
        self,
        operation: str,
        attempt: int,
        response: httpx.Response | None,
        error: BaseException | None,
        delay: float | None,
        reason: str,
    ) -> None:
        """The retry decision after a failed attempt (``delay`` ``None``: not retried)."""
        _emit(
            "on_retry_decision",
            lambda: RetryDecision(
                **self._about(operation),
                attempt=attempt,
                status_code=None if response is None else response.status_code,
                error_type=_kind(error),
                retry=delay is not None,
                delay=delay or 0.0,
                reason=reason,
            ),
        )

    def result(self, error: BaseException | None) -> None:
        """The call ended, with ``error`` raised or ``None``: ``on_operation_result``."""
        duration = time.perf_counter() - self.started
        _emit(
            "on_operation_result",
            lambda: OperationResult(
                **self._about(self.operation),
                duration=duration,
                attempts=self.attempts,
                status_code=self.status_code,
                error_type=_kind(error),
                sandbox=self.sandbox,
            ),
        )


class _Unobserved(Observation):
    """Stands in outside an SDK call (a request sent by hand): reports nothing."""

    def attempt(self, *args: Any) -> None:
        pass

    def decision(self, *args: Any) -> None:
        pass

    def result(self, error: BaseException | None) -> None:
        pass


_NOBODY = _Unobserved("", sandbox=False)
_CURRENT: contextvars.ContextVar[Observation] = contextvars.ContextVar("carrier_sdk_observation", default=_NOBODY)


def observed() -> Observation:
    """The observation of the SDK call running in this context."""
    return _CURRENT.get()


class observing:
    """Observe one SDK call: its attempts and decisions in the block, its result at the end."""

    __slots__ = ("observation", "token")

    def __init__(self, carrier: str, *, sandbox: bool) -> None:
        self.observation = Observation(carrier, sandbox=sandbox)

    def __enter__(self) -> Observation:
        self.token = _CURRENT.set(self.observation)
        return self.observation

    def __exit__(self, kind: object, error: BaseException | None, traceback: object) -> None:
        _CURRENT.reset(self.token)
        self.observation.result(error)
