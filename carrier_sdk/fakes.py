"""Base class for the stateful fake carrier APIs that adapters ship.

A fake speaks its carrier's real wire format and keeps state (labels bought, orders
cancelled), so tests, the sandbox and benchmarks exercise the adapter's real request building
and parsing. This base gives every fake the same scenario switches:

* ``inject(FaultKind.X, operation=..., count=...)``: fail the next calls of an operation with a
  connection drop, a timeout, a 5xx, a 429 with ``Retry-After``, a malformed body, or a
  response lost *after* the state change was committed;
* ``latency``: seconds the transports serving the fake wait before answering;
* ``quota``: a :class:`~carrier_sdk.RateLimit` the fake enforces with 429s (off by default);
* ``reset()``: forget state, faults and counters; ``seed`` makes generated data repeatable;
* :meth:`~FakeCarrierAPI.snapshot` / :meth:`~FakeCarrierAPI.restore`: the carrier state as JSON-ready
  data, so a sandbox can be saved to a file and picked up by the next process (the CLI does);
* :attr:`~FakeCarrierAPI.plans`: parcels moved along their history by
  :meth:`Sandbox.advance <carrier_sdk.sandbox.Sandbox.advance>` (read through
  :meth:`~FakeCarrierAPI.planned`).

.. versionadded:: 0.1
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import random
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any, ClassVar, TypedDict, Unpack

import attrs
import httpx

from ._ratelimit import RateLimit

__all__ = [
    "Fault",
    "FaultKind",
    "FaultOptions",
    "FakeCarrierAPI",
    "Handler",
    "decode_state",
    "encode_state",
    "stable_random",
]

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


class FaultOptions(TypedDict, total=False):
    """The options of a scheduled fault (defaults: those of :class:`Fault`), as
    :meth:`FakeCarrierAPI.inject` and :meth:`carrier_sdk.sandbox.Sandbox.inject` take them."""

    operation: str | None
    count: int
    status: int
    retry_after: float


def _hour_of(instant: float) -> float:
    return float(instant // 3600 * 3600)


def stable_random(*parts: object) -> random.Random:
    """A :class:`random.Random` seeded from ``parts`` (same parts, same numbers, every run)."""
    digest = hashlib.sha256("\x1f".join(map(str, parts)).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


class FakeCarrierAPI:
    """A stateful in-memory carrier API. Subclasses implement :meth:`route`.

    Attributes:
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
        #: The most recent requests served, bounded so that a 100k-number bulk run does not grow it.
        self.requests: deque[httpx.Request] = deque(maxlen=REQUEST_LOG_LIMIT)
        #: Numbers another carrier hands over to this one, as number -> (epoch seconds, outcome).
        self.handovers: dict[str, tuple[float, str]] = {}
        #: Parcels moved by :meth:`Sandbox.advance <carrier_sdk.sandbox.Sandbox.advance>`:
        #: number -> ``{"start": epoch seconds, "status": outcome, "hours": elapsed hours}``.
        self.plans: dict[str, dict[str, Any]] = {}
        #: Epoch seconds that generated histories are dated back from (the start of the hour
        #: the fake was created or reset in, kept by snapshots; see ``recent_start``).
        self.anchor = _hour_of(clock())
        before = set(vars(self))
        self.reset_state()
        #: Attribute names that :meth:`reset_state` creates: the carrier state a snapshot holds.
        self.state_names: tuple[str, ...] = tuple(sorted(set(vars(self)) - before))

    # -- for subclasses ----------------------------------------------------------------------

    def reset_state(self) -> None:
        """Forget the carrier-specific state.

        Override it; ``__init__`` and :meth:`~carrier_sdk.fakes.FakeCarrierAPI.reset` call it.
        """

    def route(self, request: httpx.Request) -> tuple[str, Handler]:
        """Return ``(operation name, handler)`` for ``request``; unknown routes get 404."""
        raise NotImplementedError

    def settings(self, base_url: str | None = None) -> dict[str, object]:
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

    def advance_statuses(self) -> frozenset[str]:
        """Statuses (:class:`~carrier_sdk.TrackingStatus` values) a history of this fake can end in,
        so :meth:`Sandbox.advance <carrier_sdk.sandbox.Sandbox.advance>` can move a parcel there.
        Default: the status-named keys of :attr:`scenario_numbers`."""
        from ._enums import TrackingStatus

        known = {s.value for s in TrackingStatus}
        return frozenset(name for name in self.scenario_numbers if name in known)

    def is_cancelled(self, number: str) -> bool:
        """Whether ``number`` is a label (order, shipment) of this fake that was cancelled.

        Default: some state attribute that is a dict maps ``number`` to a record whose
        ``"cancelled"`` is true (how the bundled fakes keep labels); override otherwise."""
        for name in self.state_names:
            records = getattr(self, name, None)
            if isinstance(records, dict):
                record = records.get(number)
                if isinstance(record, dict) and record.get("cancelled"):
                    return True
        return False

    def planned(self, number: str) -> tuple[float, str] | None:
        """``(start epoch seconds, outcome status)`` that ``number``'s history must follow, or None.

        A parcel moved by :meth:`Sandbox.advance <carrier_sdk.sandbox.Sandbox.advance>` (its
        :attr:`plans` entry) comes first, then a hand-over from another carrier
        (:attr:`handovers`). Fakes read this where they build a history, before their own
        records (a label bought here follows its plan once advanced)."""
        plan = self.plans.get(number)
        if plan is not None:
            return float(plan["start"]), str(plan["status"])
        return self.handovers.get(number)

    def recent_start(self, fraction: float, *, lead_days: float = 14.0, span_days: float = 14.0) -> float:
        """Where a generated history starts (epoch seconds): ``lead_days`` plus ``fraction`` (a
        draw in ``[0, 1]`` from the fake's seeded random) of ``span_days`` before :attr:`anchor`.

        The offset is deterministic (same seed and number, same offset) and the history recent:
        dated back from when the sandbox was created, never from a fixed year. ``lead_days`` must
        cover the longest history the fake generates, so that it has ended by the anchor.
        """
        return self.anchor - 86400.0 * (lead_days + min(max(fraction, 0.0), 1.0) * span_days)

    # -- state that outlives the process -------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """The carrier state (what :meth:`reset_state` creates, and :attr:`plans`) as JSON-ready data.

        Values may be ``None``, booleans, numbers, strings, lists, tuples, dicts, sets, deques,
        :class:`~decimal.Decimal`, :class:`~datetime.datetime` and :class:`~datetime.date`
        (see :func:`encode_state`); a fake holding anything else overrides this and :meth:`restore`.

        Raises:
            TypeError: A state attribute holds a value of another type.
        """
        with self._lock:
            data = {name: getattr(self, name) for name in self.state_names if hasattr(self, name)}
            data["plans"] = self.plans
            data["anchor"] = self.anchor
            return {name: encode_state(value, f"{type(self).__name__}.{name}") for name, value in data.items()}

    def restore(self, snapshot: Mapping[str, Any]) -> None:
        """Put back the state a :meth:`snapshot` took (of the same fake class; unknown names are
        ignored, missing ones keep their fresh value)."""
        with self._lock:
            for name, value in snapshot.items():
                if name in self.state_names or name in ("plans", "anchor"):
                    setattr(self, name, decode_state(value))

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

    def inject(self, kind: FaultKind | str, **options: Unpack[FaultOptions]) -> None:
        """Schedule ``kind`` for the next ``count`` calls of ``operation`` (any when ``None``);
        ``status`` is the 5xx of a server error, ``retry_after`` the wait a 429 asks for."""
        with self._lock:
            self._faults.append(Fault(kind=FaultKind(kind), **options))

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
            self.plans.clear()
            self.anchor = _hour_of(self.clock())
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


def encode_state(value: Any, where: str = "state") -> Any:
    """``value`` as JSON-ready data; tuples, sets, deques, dicts, decimals and dates are tagged
    (``{"$tuple": [...]}`` ...) so :func:`decode_state` gives back the same types.

    Raises:
        TypeError: ``value`` holds something else (``where`` names it in the message).
    """
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list):
        return [encode_state(v, where) for v in value]
    if isinstance(value, tuple):
        return {"$tuple": [encode_state(v, where) for v in value]}
    if isinstance(value, set | frozenset):
        return {"$set": [encode_state(v, where) for v in value]}
    if isinstance(value, deque):
        return {"$deque": [encode_state(v, where) for v in value], "maxlen": value.maxlen}
    if isinstance(value, dict):
        return {"$dict": [[encode_state(k, where), encode_state(v, where)] for k, v in value.items()]}
    if isinstance(value, Decimal):
        return {"$decimal": str(value)}
    if isinstance(value, dt.datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, dt.date):
        return {"$date": value.isoformat()}
    raise TypeError(f"{where} holds a {type(value).__name__}, which a sandbox snapshot cannot save")


def decode_state(data: Any) -> Any:
    """The value :func:`encode_state` encoded.

    Raises:
        ValueError: ``data`` is not what :func:`encode_state` writes.
    """
    if data is None or isinstance(data, bool | int | float | str):
        return data
    if isinstance(data, list):
        return [decode_state(v) for v in data]
    if isinstance(data, dict) and len(data) in (1, 2):
        if "$tuple" in data:
            return tuple(decode_state(v) for v in data["$tuple"])
        if "$set" in data:
            return {decode_state(v) for v in data["$set"]}
        if "$deque" in data:
            return deque((decode_state(v) for v in data["$deque"]), maxlen=data.get("maxlen"))
        if "$dict" in data:
            return {decode_state(k): decode_state(v) for k, v in data["$dict"]}
        if "$decimal" in data:
            return Decimal(data["$decimal"])
        if "$datetime" in data:
            return dt.datetime.fromisoformat(data["$datetime"])
        if "$date" in data:
            return dt.date.fromisoformat(data["$date"])
    raise ValueError(f"not a sandbox state value: {str(data)[:80]!r}")
