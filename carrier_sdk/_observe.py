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
from typing import TYPE_CHECKING, Any

import httpx

if TYPE_CHECKING:
    from ._events import OperationResult, RequestAttempt, RetryDecision

__all__ = ["Observation", "observed", "observing"]

logger = logging.getLogger("carrier_sdk")


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

        def build() -> RequestAttempt:
            from ._events import RequestAttempt  # loaded with the hookspecs when an observer exists

            return RequestAttempt(
                **self._about(operation),
                attempt=attempt,
                method=request.method,
                host=request.url.host,  # the host only: no user info, port, path or query
                status_code=status,
                error_type=_kind(error),
                duration=duration,
                sandbox=self.sandbox,
            )

        _emit("on_request_attempt", build)

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

        def build() -> RetryDecision:
            from ._events import RetryDecision

            return RetryDecision(
                **self._about(operation),
                attempt=attempt,
                status_code=None if response is None else response.status_code,
                error_type=_kind(error),
                retry=delay is not None,
                delay=delay or 0.0,
                reason=reason,
            )

        _emit("on_retry_decision", build)

    def result(self, error: BaseException | None) -> None:
        """The call ended, with ``error`` raised or ``None``: ``on_operation_result``."""
        duration = time.perf_counter() - self.started

        def build() -> OperationResult:
            from ._events import OperationResult

            return OperationResult(
                **self._about(self.operation),
                duration=duration,
                attempts=self.attempts,
                status_code=self.status_code,
                error_type=_kind(error),
                sandbox=self.sandbox,
            )

        _emit("on_operation_result", build)


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
