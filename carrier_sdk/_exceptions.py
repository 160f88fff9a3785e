"""The exception tree. Every error the SDK raises on purpose is a :class:`CarrierError`.

.. code-block:: text

    CarrierError
     ├── ConfigurationError
     │    └── PluginLoadError
     ├── StateBackendError                  (the shared-state backend failed: Redis, SQLite)
     ├── PurchaseInProgressError            (another process holds this purchase key: wait)
     ├── UnknownCarrierError
     │    └── AmbiguousCarrierError
     ├── ValidationError                    (bad input, raised before any I/O)
     ├── UnsupportedOperationError          (raised before any I/O)
     ├── PushVerificationError              (a pushed message failed its signature check)
     └── APIError                           (carrier, request, request_id)
          ├── APIConnectionError
          │    └── APITimeoutError
          ├── APIStatusError                (status_code, error_code, error_message)
          │    ├── AuthenticationError
          │    ├── NotFoundError
          │    │    └── TrackingNotFoundError
          │    ├── RateLimitError           (retry_after)
          │    ├── InvalidRequestError
          │    └── CarrierServerError
          ├── OutcomeUnknownError           (a purchase may have happened: reconcile)
          └── ResponseError                 (malformed or hostile body)
               └── ResponseTooLargeError

Exceptions never hold secrets: the request and response they keep are redacted copies with
no request body and a response body cut to an excerpt, so they can be logged and pickled.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import httpx

if TYPE_CHECKING:
    from ._models import Identification

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIStatusError",
    "APITimeoutError",
    "AmbiguousCarrierError",
    "AuthenticationError",
    "CarrierError",
    "CarrierServerError",
    "ConfigurationError",
    "InvalidRequestError",
    "NotFoundError",
    "OutcomeUnknownError",
    "PluginLoadError",
    "PurchaseInProgressError",
    "PushVerificationError",
    "RateLimitError",
    "ResponseError",
    "ResponseTooLargeError",
    "StateBackendError",
    "TrackingNotFoundError",
    "UnknownCarrierError",
    "UnsupportedOperationError",
    "ValidationError",
]


class CarrierError(Exception):
    """Root of every exception the SDK raises on purpose."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message

    def __reduce__(self) -> tuple[Any, ...]:
        # Keyword-only constructors do not survive the default Exception pickling.
        return (_rebuild, (type(self), self.__dict__))


def _rebuild(cls: type[CarrierError], state: dict[str, Any]) -> CarrierError:
    obj = cls.__new__(cls)
    Exception.__init__(obj, state.get("message", ""))
    obj.__dict__.update(state)
    return obj


class ConfigurationError(CarrierError):
    """Settings are missing or invalid (a credential not set, an unknown option).

    Attributes:
        carrier: The carrier whose settings are at fault, when there is one.
        missing: Names of the required settings that were not given (empty otherwise).
    """

    def __init__(self, message: str, *, carrier: str | None = None, missing: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.carrier = carrier
        self.missing = tuple(missing)


class PluginLoadError(ConfigurationError):
    """A plugin failed to load or register (raised only in strict mode or for duplicates)."""

    def __init__(self, message: str, *, plugin: str = "", distribution: str = "") -> None:
        super().__init__(message)
        self.plugin = plugin
        self.distribution = distribution


class StateBackendError(CarrierError):
    """The shared-state backend (Redis, SQLite) failed or could not be reached.

    Raised instead of the backend library's own errors, with the backend's address (never its
    password) in the message. A purchase never starts without its ledger entry, so this error
    before a purchase means nothing was bought.

    Attributes:
        backend: The backend's redacted address (``redis://127.0.0.1:6379/0``).
        operation: What the SDK was doing (``"reserve"``, ``"ledger_begin"`` ...).
    """

    def __init__(self, message: str, *, backend: str, operation: str) -> None:
        super().__init__(message)
        self.backend = backend
        self.operation = operation


class PurchaseInProgressError(CarrierError):
    """Another caller (thread, process or machine) is buying with this idempotency key now.

    Nothing was sent. Wait for it (``client.state.wait_for_purchase(carrier, key)``) and call
    again with the same key: a finished purchase returns its stored result, a crashed one
    becomes :class:`OutcomeUnknownError` once its lease expires.

    Attributes:
        carrier: The carrier code.
        idempotency_key: The key in flight.
        retry_after: Seconds until the holder's lease expires, at most.
    """

    def __init__(self, message: str, *, carrier: str, idempotency_key: str, retry_after: float) -> None:
        super().__init__(message)
        self.carrier = carrier
        self.idempotency_key = idempotency_key
        self.retry_after = retry_after


class UnknownCarrierError(CarrierError):
    """No installed carrier matches the code, or none recognizes the tracking number."""

    def __init__(
        self,
        message: str,
        *,
        carrier: str | None = None,
        number: str | None = None,
        candidates: Sequence[Identification] = (),
    ) -> None:
        super().__init__(message)
        self.carrier = carrier
        self.number = number
        self.candidates = tuple(candidates)


class AmbiguousCarrierError(UnknownCarrierError):
    """Several carriers recognize a tracking number equally well; pass ``carrier=``."""


class ValidationError(CarrierError):
    """Input failed validation before any I/O.

    Attributes:
        field: The dotted name of the offending field (``"recipient.country"``).
        constraint: What the value must satisfy, in words.
    """

    def __init__(self, message: str, *, field: str, constraint: str) -> None:
        super().__init__(message)
        self.field = field
        self.constraint = constraint


class UnsupportedOperationError(CarrierError):
    """The carrier does not offer this operation; raised before any I/O."""

    def __init__(self, message: str, *, carrier: str, operation: str) -> None:
        super().__init__(message)
        self.carrier = carrier
        self.operation = operation


class PushVerificationError(CarrierError):
    """A message pushed by a carrier failed verification (bad digest, tampered body)."""


class APIError(CarrierError):
    """A call to a carrier's API failed.

    Attributes:
        carrier: The carrier code.
        request: A redacted copy of the request (no body, secret headers masked), or ``None``.
        request_id: The carrier's request id, where it sent one.
        operation: The SDK operation (``"track"``, ``"create_shipment"`` ...).
    """

    def __init__(
        self,
        message: str,
        *,
        carrier: str,
        request: httpx.Request | None = None,
        request_id: str | None = None,
        operation: str | None = None,
    ) -> None:
        super().__init__(message)
        self.carrier = carrier
        self.request = request
        self.request_id = request_id
        self.operation = operation

    def __str__(self) -> str:
        parts = [f"[{self.carrier}] {self.message}"]
        if self.request_id:
            parts.append(f"(request id {self.request_id})")
        return " ".join(parts)


class APIConnectionError(APIError):
    """The request could not be completed: connection refused, reset, DNS, TLS."""


class APITimeoutError(APIConnectionError):
    """The request or the call's overall deadline timed out."""


class APIStatusError(APIError):
    """The carrier answered with an error, as an HTTP status or inside a 200 body.

    Attributes:
        status_code: The HTTP status code.
        error_code: The carrier's own error code, where it gave one.
        error_message: The carrier's own error text, where it gave one.
        response: A redacted copy of the response (body cut to an excerpt).
    """

    def __init__(
        self,
        message: str,
        *,
        carrier: str,
        status_code: int,
        error_code: str | None = None,
        error_message: str | None = None,
        response: httpx.Response | None = None,
        request: httpx.Request | None = None,
        request_id: str | None = None,
        operation: str | None = None,
    ) -> None:
        super().__init__(message, carrier=carrier, request=request, request_id=request_id, operation=operation)
        self.status_code = status_code
        self.error_code = error_code
        self.error_message = error_message
        self.response = response

    def __str__(self) -> str:
        text = f"[{self.carrier}] {self.message} (HTTP {self.status_code}"
        if self.error_code:
            text += f", carrier code {self.error_code}"
        if self.request_id:
            text += f", request id {self.request_id}"
        return text + ")"


class AuthenticationError(APIStatusError):
    """Credentials were rejected (bad key, expired token, bad signature, missing scope)."""


class NotFoundError(APIStatusError):
    """The resource does not exist at the carrier."""


class TrackingNotFoundError(NotFoundError):
    """The carrier does not know this tracking number (yet)."""


class RateLimitError(APIStatusError):
    """The carrier (or the client-side limiter) refused the call for quota reasons.

    Attributes:
        retry_after: Seconds the carrier asked us to wait, where it said.
    """

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class InvalidRequestError(APIStatusError):
    """The carrier rejected the request's content (4xx or an error code in a 200 body)."""


class CarrierServerError(APIStatusError):
    """The carrier failed on its side (5xx or an equivalent code)."""


class OutcomeUnknownError(APIError):
    """A purchase (label, order) may or may not have happened.

    The request may have reached the carrier, and retrying it without a key the carrier
    honours could buy twice. Reconcile before buying again: look the shipment up, or retry
    with the same ``idempotency_key`` where the carrier honours keys.

    Attributes:
        idempotency_key: The key every attempt carried.
        reference: The client reference sent with the purchase, if any.
        attempted_at: When the last attempt started (UTC).
        cause_kind: What went wrong (``"ReadTimeout"``, ``"HTTP 503"`` ...).
        identifiers: What the carrier's answer named, where it could be read after a success
            status (``{"orderCode": "LP00..."}``): use them to look the purchase up.
        response: A redacted excerpt of the purchase's success response, where one arrived
            (headers masked, known secrets scrubbed, body cut to an excerpt).
    """

    def __init__(
        self,
        message: str,
        *,
        carrier: str,
        idempotency_key: str,
        reference: str | None = None,
        attempted_at: datetime | None = None,
        cause_kind: str = "",
        identifiers: Mapping[str, str] | None = None,
        response: httpx.Response | None = None,
        request: httpx.Request | None = None,
        request_id: str | None = None,
        operation: str | None = None,
    ) -> None:
        super().__init__(message, carrier=carrier, request=request, request_id=request_id, operation=operation)
        self.idempotency_key = idempotency_key
        self.reference = reference
        self.attempted_at = attempted_at
        self.cause_kind = cause_kind
        self.identifiers: dict[str, str] = dict(identifiers or {})
        self.response = response


class ResponseError(APIError):
    """The carrier's response could not be used: malformed, unexpected or hostile.

    Attributes:
        status_code: The HTTP status code of the response, where there was one.
    """

    def __init__(self, message: str, *, status_code: int | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.status_code = status_code


class ResponseTooLargeError(ResponseError):
    """The response body exceeded the size cap for its endpoint.

    Attributes:
        limit: The cap in bytes.
    """

    def __init__(self, message: str, *, limit: int, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.limit = limit
