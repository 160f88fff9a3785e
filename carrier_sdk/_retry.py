"""The retry policy, ``Retry-After``, the retry budget, the failure the engine may retry and the
typed error a transport failure becomes.

The engine's decision (``Engine._decide``) says whether a failure may be retried; tenacity's
strategies (``carrier_sdk._retrying``, imported on a client's first request) wait, stop and log.
tenacity's types never appear in a public signature.
"""

from __future__ import annotations

import email.utils
import math
import random
import ssl
import threading
from collections.abc import Mapping
from datetime import UTC, datetime

import attrs
import httpx

from ._exceptions import APIConnectionError, APITimeoutError

__all__ = [
    "RETRYABLE_STATUSES",
    "RetryableFailure",
    "RetryBudget",
    "RetryPolicy",
    "parse_retry_after",
    "sent_for_sure_not",
    "tls_failure",
    "transport_error",
]

#: Statuses retried for idempotent requests.
RETRYABLE_STATUSES = frozenset({408, 429, 500, 502, 503, 504})

#: Transport errors raised before any byte of the request left the machine.
_NEVER_SENT: tuple[type[Exception], ...] = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    httpx.UnsupportedProtocol,
)


def sent_for_sure_not(error: BaseException) -> bool:
    """Whether ``error`` proves the request never reached the carrier (safe to resend a purchase)."""
    return isinstance(error, _NEVER_SENT)


def tls_failure(error: BaseException) -> bool:
    """Whether ``error`` (or what caused it) is a TLS verification failure."""
    seen: BaseException | None = error
    for _ in range(8):
        if seen is None:
            return False
        if isinstance(seen, ssl.SSLCertVerificationError) or "CERTIFICATE_VERIFY_FAILED" in str(seen):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _host_of(request: httpx.Request) -> str:
    """``host[:port]`` a request went to (no path, query or credentials)."""
    url = request.url
    return f"{url.host}:{url.port}" if url.port else url.host


def transport_error(
    error: BaseException | None, *, carrier: str, operation: str, request: httpx.Request | None
) -> APIConnectionError:
    """The SDK's error for a transport failure of ``operation``: :class:`APITimeoutError` for a
    timeout, else :class:`APIConnectionError` (a TLS verification failure says so). ``request``
    (already redacted) names the host and is attached; the caller decides what to chain."""
    kind = type(error).__name__
    host = f" ({_host_of(request)})" if request is not None else ""
    if error is not None and tls_failure(error):
        return APIConnectionError(
            f"{operation} failed: the carrier's TLS certificate{host} did not verify",
            carrier=carrier,
            request=request,
            operation=operation,
        )
    if isinstance(error, httpx.TimeoutException):
        return APITimeoutError(
            f"{operation} timed out{' waiting for ' + _host_of(request) if request else ''} ({kind})",
            carrier=carrier,
            request=request,
            operation=operation,
        )
    return APIConnectionError(
        f"{operation} failed to connect{' to ' + _host_of(request) if request else ''} ({kind})",
        carrier=carrier,
        request=request,
        operation=operation,
    )


@attrs.define(kw_only=True, auto_exc=True)
class RetryableFailure(Exception):
    """A failed attempt the engine allows to retry; tenacity decides whether there is room.

    Attributes:
        error: The transport error, or ``None`` when a response came.
        response: The retryable response (429, 5xx ...), or ``None``.
        retry_after: Seconds the carrier asked to wait (already within the policy's cap).
        timed_out: Whether the attempt timed out (a retry then costs more of the budget).
        cause: ``"HTTP 503"`` or the transport error's class name, for the log.
    """

    error: BaseException | None
    response: httpx.Response | None
    retry_after: float | None
    timed_out: bool
    cause: str

    def __str__(self) -> str:
        return self.cause


@attrs.frozen(kw_only=True)
class RetryPolicy:
    """How the clients retry.

    Attributes:
        max_retries: Retries after the first attempt in bulk work (``track_many``, the CLI's
            ``track --file``). The default (8) keeps bulk tracking whole under a 30 % transient
            failure rate (0.3**9 < 1e-4); the retry budget stops it from multiplying an outage.
        interactive_max_retries: Retries after the first attempt of a single call (``track``,
            ``rates``, ``create_shipment`` ... outside bulk work). The default (2) rides out a blip
            but reports a refused connection in well under a second instead of ~6 s of backoff:
            a person (or a request handler) is waiting. ``Client(max_retries=N)`` sets both.
        initial_delay: Backoff base in seconds (small, so a blip costs little: with 30 % of
            attempts failing, p99 added latency stays under 2.5 s); attempt ``n`` waits up to
            ``initial_delay * 2**n`` (full jitter), capped by ``max_delay``.
        max_delay: Longest backoff sleep.
        max_retry_after: Longest ``Retry-After`` honoured, whatever the status (429, 503 ...); a
            longer one is not retried: a 429 surfaces as :class:`~carrier_sdk.RateLimitError`
            with ``retry_after``, another status as its typed error at once.
        statuses: HTTP statuses retried for idempotent requests.

    .. versionadded:: 0.1
    """

    max_retries: int = attrs.field(default=8, validator=attrs.validators.ge(0))
    interactive_max_retries: int = attrs.field(default=2, validator=attrs.validators.ge(0))
    initial_delay: float = attrs.field(default=0.1, validator=attrs.validators.ge(0))
    max_delay: float = attrs.field(default=4.0, validator=attrs.validators.ge(0))
    max_retry_after: float = attrs.field(default=60.0, validator=attrs.validators.ge(0))
    statuses: frozenset[int] = attrs.field(default=RETRYABLE_STATUSES, converter=frozenset)

    def backoff(self, retry_number: int, rng: random.Random) -> float:
        """Full-jitter exponential backoff before retry ``retry_number`` (1-based)."""
        ceiling = min(self.max_delay, self.initial_delay * (2 ** (retry_number - 1)))
        return rng.uniform(0, ceiling)


_MAX_SANE = 10.0**9


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    if not math.isfinite(value) or value < 0 or value > _MAX_SANE:
        return None
    return value


def parse_retry_after(headers: Mapping[str, str] | httpx.Headers, now: datetime | None = None) -> float | None:
    """Seconds to wait from ``retry-after-ms`` or ``Retry-After`` (seconds or HTTP-date).

    Malformed, negative or non-finite values give ``None`` (fall back to backoff); never raises.
    """
    try:
        ms = headers.get("retry-after-ms")
        if ms is not None:
            value = _number(ms.strip())
            if value is not None:
                return value / 1000.0
        raw = headers.get("retry-after")
        if raw is None:
            return None
        raw = raw.strip()
        if not raw:
            return None
        value = _number(raw)
        if value is not None:
            return value
        if raw[:1] in "0123456789+-.":
            return None
        parsed = email.utils.parsedate_to_datetime(raw)
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        delta = (parsed - (now or datetime.now(UTC))).total_seconds()
        return max(0.0, delta)
    except (ValueError, TypeError, OverflowError, IndexError):
        return None


class RetryBudget:
    """A retry quota shared by all calls to one (carrier, credential), as in botocore.

    Starts full at ``capacity``; a retry costs ``retry_cost`` (``timeout_cost`` after a
    timeout); a first-attempt success refunds 1. When a retry cannot be paid for, it is not
    made: an outage is not multiplied. First attempts are never blocked.
    """

    def __init__(self, capacity: int = 500, retry_cost: int = 5, timeout_cost: int = 10) -> None:
        self.capacity = capacity
        self.retry_cost = retry_cost
        self.timeout_cost = timeout_cost
        self._tokens = capacity
        self._lock = threading.Lock()
        self.exhausted_count = 0

    @property
    def tokens(self) -> int:
        """Tokens left."""
        return self._tokens

    def acquire(self, *, timeout: bool) -> bool:
        """Pay for one retry; ``False`` if the budget cannot."""
        cost = self.timeout_cost if timeout else self.retry_cost
        with self._lock:
            if self._tokens < cost:
                self.exhausted_count += 1
                return False
            self._tokens -= cost
            return True

    def refund(self, amount: int = 1) -> None:
        """Return tokens after a success (never above capacity)."""
        with self._lock:
            self._tokens = min(self.capacity, self._tokens + amount)
