"""The observation hooks' events: frozen, and holding nothing secret (see :mod:`carrier_sdk.hookspecs`)."""

from __future__ import annotations

import attrs

__all__ = ["OperationResult", "RequestAttempt", "RetryDecision"]


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
