"""Base class for the stateful fake carrier APIs that adapters ship.

A fake speaks its carrier's real wire format and keeps state (labels bought, orders
cancelled), so tests, the sandbox and benchmarks exercise the adapter's real request building
and parsing. This base gives every fake the same scenario switches:

* ``inject(FaultKind.X, operation=..., count=...)``: fail the next calls of an operation with a
  connection drop, a timeout, a 5xx, a 429 with ``Retry-After``, a malformed body, or a
  response lost *after* the state change was committed;
* ``latency``: seconds the transports serving the fake wait before answering;
* ``quota``: a :class:`~carrier_sdk.RateLimit` the fake enforces with 429s (off by default);
* ``reset()``: forget state, faults and counters; ``seed`` makes generated data repeatable.

.. versionadded:: 0.1
"""

from __future__ import annotations

import enum
import hashlib
import random
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

import attrs
import httpx

from ._ratelimit import RateLimit

__all__ = ["Fault", "FaultKind", "FakeCarrierAPI", "Handler", "stable_random"]

Handler = Callable[[httpx.Request], httpx.Response]

#: How many recent requests a fake keeps in :attr:`FakeCarrierAPI.requests`.
REQUEST_LOG_LIMIT = 1_000


class FaultKind(enum.StrEnum):
    """Failures a fake can inject."""

    CONNECT_ERROR = "connect_error"  # refused before anything was sent
    TIMEOUT = "timeout"  # read timeout, before the handler ran
    SERVER_ERROR = "server_error"  # 5xx in the carrier's error format
    RATE_LIMITED = "rate_limited"  # 429 with Retry-After
    MALFORMED = "malformed"  # 200 with a body the adapter cannot parse
    LOST_RESPONSE = "lost_response"  # the handler ran (state committed), then the connection died

    def __str__(self) -> str:
        return self.value


@attrs.define(kw_only=True)
class Fault:
    """One scheduled fault: ``kind`` on the next ``count`` calls of ``operation`` (any if None)."""

    kind: FaultKind
    operation: str | None = None
    count: int = 1
    status: int = 503
    retry_after: float = 1.0


def stable_random(*parts: object) -> random.Random:
    """A :class:`random.Random` seeded from ``parts`` (same parts, same numbers, every run)."""
    digest = hashlib.sha256("\x1f".join(map(str, parts)).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


class FakeCarrierAPI:
    """A stateful in-memory carrier API. Subclasses implement :meth:`route`.

    Class attributes:
        carrier_code: The carrier this fakes.
        base_urls: The base URLs (scheme and host, maybe a path) it answers on, production first.
        scenario_numbers: Documented numbers with a fixed outcome, by scenario name
            (one per :class:`~carrier_sdk.TrackingStatus` value, ``"unknown"``, ``"handover"``,
            and one per fault kind where it applies).
    """

    carrier_code: ClassVar[str]
    base_urls: ClassVar[tuple[str, ...]]
    scenario_numbers: ClassVar[Mapping[str, str]] = {}

    def __init__(self, *, seed: int = 0, clock: Callable[[], float] = time.time) -> None:
        self.seed = seed
        self.clock = clock
        self.latency = 0.0
        self.quota: RateLimit | None = None
        self.quota_retry_after = 1.0
        self._lock = threading.RLock()
        self._faults: list[Fault] = []
        self._quota_log: deque[float] = deque()
        self.calls: Counter[str] = Counter()
        #: The most recent requests served (bounded: a 100k-number bulk run must not grow it).
        self.requests: deque[httpx.Request] = deque(maxlen=REQUEST_LOG_LIMIT)
        #: Numbers another carrier hands over to this one: number -> (epoch seconds, outcome).
        self.handovers: dict[str, tuple[float, str]] = {}
        self.reset_state()

    # -- for subclasses ----------------------------------------------------------------------

    def reset_state(self) -> None:
        """Forget the carrier-specific state (override; called by ``__init__`` and :meth:`reset`)."""

    def route(self, request: httpx.Request) -> tuple[str, Handler]:
        """Return ``(operation name, handler)`` for ``request``; unknown routes get 404."""
        raise NotImplementedError

    def settings(self, base_url: str | None = None) -> dict[str, Any]:
        """Settings (fake credentials) that make the adapter talk to this fake."""
        raise NotImplementedError

    def error_response(self, status: int, message: str) -> httpx.Response:
        """An error response in the carrier's format (override for the real shape)."""
        return httpx.Response(status, json={"error": {"code": str(status), "message": message}})

    def malformed_response(self) -> httpx.Response:
        """A 200 response the adapter cannot parse."""
        return httpx.Response(
            200,
            content=b"<html><body>Service Unavailable</body></html>",
            headers={"content-type": "text/html"},
        )

    def not_routed(self, request: httpx.Request) -> httpx.Response:
        """Response for a request no route matches."""
        return self.error_response(404, f"no route for {request.method} {request.url.path}")

    # -- cross-carrier journeys ---------------------------------------------------------------

    def handovers_out(self) -> list[tuple[str, str, float]]:
        """``(carrier code, number, epoch seconds)`` for each parcel this fake's histories hand
        over to another carrier (Cainiao to USPS ...). The sandbox passes each one to the
        receiving fake's :meth:`expect_handover`, so a stitched journey reads in order.
        Default: none."""
        return []

    def expect_handover(self, number: str, *, at: float, outcome: str = "delivered") -> None:
        """``number`` arrives from another carrier at ``at`` (epoch seconds): its history here
        starts then and ends in ``outcome`` (a :class:`~carrier_sdk.TrackingStatus` value).
        Fakes read :attr:`handovers` when they build a history; it survives :meth:`reset`."""
        with self._lock:
            self.handovers[number] = (at, outcome)

    # -- scenario switches -------------------------------------------------------------------

    def inject(
        self,
        kind: FaultKind | str,
        *,
        operation: str | None = None,
        count: int = 1,
        status: int = 503,
        retry_after: float = 1.0,
    ) -> None:
        """Schedule ``kind`` for the next ``count`` calls of ``operation`` (any when ``None``)."""
        with self._lock:
            self._faults.append(
                Fault(
                    kind=FaultKind(kind),
                    operation=operation,
                    count=count,
                    status=status,
                    retry_after=retry_after,
                )
            )

    def set_quota(self, quota: RateLimit | None, *, retry_after: float = 1.0) -> None:
        """Enforce ``quota`` with 429s (``None`` turns it off)."""
        with self._lock:
            self.quota = quota
            self.quota_retry_after = retry_after
            self._quota_log.clear()

    def reset(self) -> None:
        """Forget state, faults, quota and counters."""
        with self._lock:
            self._faults.clear()
            self._quota_log.clear()
            self.quota = None
            self.latency = 0.0
            self.calls.clear()
            self.requests.clear()
            self.reset_state()

    @property
    def pending_faults(self) -> list[Fault]:
        """Faults not yet used up."""
        return list(self._faults)

    # -- serving -----------------------------------------------------------------------------

    def _take_fault(self, operation: str) -> Fault | None:
        for fault in self._faults:
            if fault.operation in (None, operation) and fault.count > 0:
                fault.count -= 1
                if fault.count == 0:
                    self._faults.remove(fault)
                return fault
        return None

    def _over_quota(self) -> bool:
        if self.quota is None:
            return False
        now = self.clock()
        longest = max(w.seconds for w in self.quota.windows)
        while self._quota_log and self._quota_log[0] <= now - longest:
            self._quota_log.popleft()
        for window in self.quota.windows:
            recent = sum(1 for t in self._quota_log if t > now - window.seconds)
            if recent >= window.calls:
                return True
        self._quota_log.append(now)
        return False

    def handle(self, request: httpx.Request) -> httpx.Response:
        """Serve one request, applying faults and quota around the route's handler."""
        with self._lock:
            request.read()
            self.requests.append(request)
            try:
                operation, handler = self.route(request)
            except LookupError:
                return self.not_routed(request)
            self.calls[operation] += 1
            fault = self._take_fault(operation)
            if fault is not None:
                if fault.kind is FaultKind.CONNECT_ERROR:
                    raise httpx.ConnectError("injected: connection refused", request=request)
                if fault.kind is FaultKind.TIMEOUT:
                    raise httpx.ReadTimeout("injected: read timed out", request=request)
                if fault.kind is FaultKind.SERVER_ERROR:
                    return self.error_response(fault.status, "injected server error")
                if fault.kind is FaultKind.RATE_LIMITED:
                    return self._rate_limited(fault.retry_after)
                if fault.kind is FaultKind.MALFORMED:
                    return self.malformed_response()
            if self._over_quota():
                return self._rate_limited(self.quota_retry_after)
            response = handler(request)
            if fault is not None and fault.kind is FaultKind.LOST_RESPONSE:
                raise httpx.ReadError("injected: connection lost after the request was processed", request=request)
            return response

    def _rate_limited(self, retry_after: float) -> httpx.Response:
        response = self.error_response(429, "Too Many Requests")
        response.headers["Retry-After"] = f"{retry_after:g}"
        return response

    def transport(self) -> httpx.MockTransport:
        """An httpx transport (sync and async) serving this fake in memory."""
        return httpx.MockTransport(self.handle)

    def matches(self, url: httpx.URL) -> bool:
        """Whether ``url`` is under one of :attr:`base_urls`."""
        text = str(url)
        return any(text.startswith(base) for base in self.base_urls)
