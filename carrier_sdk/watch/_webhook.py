"""A webhook sink: each change POSTed as signed JSON, and the receiver's :func:`verify`.

The body is the change's JSON (:meth:`TrackingChange.to_dict`, compact, keys sorted). Headers:

* ``X-Carrier-SDK-Timestamp``: Unix seconds when this attempt was signed;
* ``X-Carrier-SDK-Signature``: ``sha256=`` + hex HMAC-SHA256 of ``"{timestamp}." + body`` with the
  shared secret (binding the timestamp stops an old delivery from being replayed later);
* ``X-Carrier-SDK-Change-Id``: the stable change id (deduplicate on it: delivery is at least once).

The sink retries connection errors, timeouts, 408, 429 (honouring ``Retry-After``) and 5xx with
exponential backoff and full jitter; another status fails at once. A failure raises
:class:`WebhookDeliveryError`, so the watcher keeps the change queued and tries again next round.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import random
import time
from collections.abc import Callable, Mapping
from typing import Any, TypedDict, Unpack

import httpx

from .._closing import AsyncClosing, Closing
from .._exceptions import CarrierError, ConfigurationError
from .._settings import Secret
from ._model import TrackingChange

__all__ = [
    "CHANGE_ID_HEADER",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "AsyncWebhookSink",
    "WebhookDeliveryError",
    "WebhookOptions",
    "WebhookSink",
    "WebhookVerificationError",
    "sign",
    "verify",
]

#: Header carrying ``sha256=<hex HMAC>``.
SIGNATURE_HEADER = "X-Carrier-SDK-Signature"
#: Header carrying the signing time in Unix seconds.
TIMESTAMP_HEADER = "X-Carrier-SDK-Timestamp"
#: Header carrying the change's stable id.
CHANGE_ID_HEADER = "X-Carrier-SDK-Change-Id"

_RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})


class WebhookDeliveryError(CarrierError):
    """A webhook receiver did not accept a change after every attempt (the change stays queued)."""

    def __init__(self, message: str, *, status_code: int | None = None, attempts: int = 0) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.attempts = attempts


class WebhookVerificationError(CarrierError):
    """A received webhook failed verification: bad or missing signature, or a stale timestamp."""


def _secret(value: str | Secret) -> Secret:
    secret = Secret.coerce(value)
    if not secret.get_secret_value():
        raise ConfigurationError("a webhook needs a non-empty shared secret")
    return secret


def body_of(change: TrackingChange) -> bytes:
    """The exact bytes POSTed for ``change``."""
    return json.dumps(change.to_dict(), separators=(",", ":"), sort_keys=True).encode("utf-8")


def sign(body: bytes, secret: str | Secret, timestamp: int) -> str:
    """The signature header value for ``body`` sent at ``timestamp``: ``sha256=<hex>``."""
    key = _secret(secret).get_secret_value().encode("utf-8")
    digest = hmac.new(key, str(int(timestamp)).encode("ascii") + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify(
    body: bytes,
    headers: Mapping[str, str],
    secret: str | Secret,
    *,
    tolerance: float = 300.0,
    now: float | None = None,
) -> dict[str, Any]:
    """Check a received webhook and return its JSON (a :meth:`TrackingChange.to_dict`).

    Args:
        body: The raw request body, exactly as received.
        headers: The request headers (any mapping; names are matched case-insensitively).
        secret: The shared secret.
        tolerance: Largest accepted distance, in seconds, between the timestamp and ``now``.
        now: The current Unix time (default ``time.time()``).

    Raises:
        WebhookVerificationError: A header is missing, the timestamp is outside the tolerance,
            or the signature does not match (compared in constant time).
    """
    lowered = {k.lower(): v for k, v in headers.items()}
    stamp = lowered.get(TIMESTAMP_HEADER.lower())
    signature = lowered.get(SIGNATURE_HEADER.lower())
    if not stamp or not signature:
        raise WebhookVerificationError("webhook lacks its timestamp or signature header")
    try:
        timestamp = int(stamp)
    except ValueError:
        raise WebhookVerificationError("webhook timestamp is not an integer") from None
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance:
        raise WebhookVerificationError(f"webhook timestamp is more than {tolerance:g} s away from now")
    expected = sign(body, secret, timestamp)
    if not hmac.compare_digest(expected.encode("ascii"), signature.strip().encode("ascii", "replace")):
        raise WebhookVerificationError("webhook signature does not match its body")
    try:
        data = json.loads(body)
    except ValueError:
        raise WebhookVerificationError("verified webhook body is not JSON") from None
    if not isinstance(data, dict):
        raise WebhookVerificationError("verified webhook body is not a JSON object")
    return data


def _check_url(url: str) -> httpx.URL:
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError) as err:
        raise ConfigurationError(f"invalid webhook URL: {err}") from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise ConfigurationError("a webhook URL is http:// or https:// with a host")
    return parsed


def _shown(url: httpx.URL) -> str:
    return str(url.copy_with(username=None, password=None, query=None))


class WebhookOptions(TypedDict, total=False):
    """The keyword options :class:`WebhookSink` and :class:`AsyncWebhookSink` share (described there)."""

    max_attempts: int
    backoff: float
    max_backoff: float
    timeout: float
    headers: Mapping[str, str] | None
    clock: Callable[[], float]
    seed: int | None


class _SinkBase:
    def __init__(
        self,
        url: str,
        secret: str | Secret,
        *,
        max_attempts: int = 5,
        backoff: float = 0.5,
        max_backoff: float = 30.0,
        timeout: float = 10.0,
        headers: Mapping[str, str] | None = None,
        clock: Callable[[], float] = time.time,
        seed: int | None = None,
    ) -> None:
        self.url = _check_url(url)
        self._secret = _secret(secret)
        if max_attempts < 1:
            raise ConfigurationError("max_attempts must be >= 1")
        if not (0 < timeout < float("inf")):
            raise ConfigurationError("timeout must be a finite number of seconds > 0")
        self.max_attempts = max_attempts
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.timeout = timeout
        self.extra_headers = dict(headers or {})
        self._clock = clock
        self._rng = random.Random(seed)
        #: Attempts made (all changes), for logs and tests.
        self.attempts = 0

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {_shown(self.url)!r}>"

    def _request(self, change: TrackingChange) -> tuple[bytes, dict[str, str]]:
        """The signed POST of one attempt (counted in :attr:`attempts`)."""
        self.attempts += 1
        body = body_of(change)
        timestamp = int(self._clock())
        headers = {
            **self.extra_headers,
            "Content-Type": "application/json",
            TIMESTAMP_HEADER: str(timestamp),
            SIGNATURE_HEADER: sign(body, self._secret, timestamp),
            CHANGE_ID_HEADER: change.change_id,
        }
        return body, headers

    def _delay(self, attempt: int, response: httpx.Response | None) -> float:
        if response is not None and response.status_code == 429:
            retry_after = response.headers.get("Retry-After", "")
            if retry_after.isdigit():
                return min(float(retry_after), self.max_backoff)
        return self._rng.uniform(0, min(self.max_backoff, self.backoff * 2 ** (attempt - 1)))

    def _verdict(self, response: httpx.Response | None, error: Exception | None, attempt: int) -> bool:
        """True when delivered; False to retry; raises when it will not be delivered."""
        if response is not None and 200 <= response.status_code < 300:
            return True
        retryable = error is not None or (response is not None and response.status_code in _RETRY_STATUSES)
        status = response.status_code if response is not None else None
        if not retryable or attempt >= self.max_attempts:
            reason = f"HTTP {status}" if status is not None else type(error).__name__
            raise WebhookDeliveryError(
                f"webhook {_shown(self.url)} did not accept the change after {attempt} attempt(s): {reason}",
                status_code=status,
                attempts=attempt,
            )
        return False


class WebhookSink(_SinkBase, Closing):
    """POST each change as signed JSON to ``url`` (use it as a :class:`Watcher` ``on_change``).

    Args:
        url: The receiver (http or https).
        secret: The shared secret (kept in a :class:`~carrier_sdk.Secret`; never logged).
        max_attempts: Attempts per change before :class:`WebhookDeliveryError`.
        backoff: First retry delay in seconds (doubled per attempt, full jitter).
        max_backoff: Longest retry delay.
        timeout: Seconds per attempt (connect, read, write, pool).
        headers: Extra headers sent with every POST.
        transport: An httpx transport (tests).
        clock: Unix time, for the timestamp header.
        sleep: Sleep between attempts.
        seed: Seed of the jitter.

    .. versionadded:: 0.2
    """

    def __init__(
        self,
        url: str,
        secret: str | Secret,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        **options: Unpack[WebhookOptions],
    ) -> None:
        super().__init__(url, secret, **options)
        self._sleep = sleep
        self._http = httpx.Client(transport=transport, timeout=self.timeout, follow_redirects=False)

    def __call__(self, change: TrackingChange) -> None:
        """Deliver one change (retrying); raises :class:`WebhookDeliveryError` when it cannot."""
        for attempt in range(1, self.max_attempts + 1):
            body, headers = self._request(change)
            response: httpx.Response | None = None
            error: Exception | None = None
            try:
                response = self._http.post(self.url, content=body, headers=headers)
            except httpx.TransportError as err:
                error = err
            if self._verdict(response, error, attempt):
                return
            self._sleep(self._delay(attempt, response))

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()


class AsyncWebhookSink(_SinkBase, AsyncClosing):
    """The :class:`WebhookSink` for an :class:`AsyncWatcher`: the same arguments, awaited.

    .. versionadded:: 0.2
    """

    def __init__(
        self,
        url: str,
        secret: str | Secret,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        **options: Unpack[WebhookOptions],
    ) -> None:
        super().__init__(url, secret, **options)
        self._http = httpx.AsyncClient(transport=transport, timeout=self.timeout, follow_redirects=False)

    async def __call__(self, change: TrackingChange) -> None:
        """Deliver one change (retrying); raises :class:`WebhookDeliveryError` when it cannot."""
        for attempt in range(1, self.max_attempts + 1):
            body, headers = self._request(change)
            response: httpx.Response | None = None
            error: Exception | None = None
            try:
                response = await self._http.post(self.url, content=body, headers=headers)
            except httpx.TransportError as err:
                error = err
            if self._verdict(response, error, attempt):
                return
            await asyncio.sleep(self._delay(attempt, response))

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()
