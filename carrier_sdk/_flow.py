"""Sans-I/O operation flows and the request options the core reads from them.

An adapter writes each operation once, as a generator: it ``yield``\\ s an :class:`httpx.Request`,
receives the :class:`httpx.Response` (after the core's retries, rate limiting and size checks),
and ``return``\\ s a domain model. OAuth token fetches and multi-step calls are more yields. The
sync and async clients each drive the same generator. When sending fails with a
:class:`~carrier_sdk.CarrierError` (after the core's retries), the error is thrown into the
flow at its ``yield``, so a multi-step flow can add what it knows (an order already created)
or let it propagate.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Generator
from typing import Any, TypeAlias, TypeVar

import attrs
import httpx

from ._exceptions import CarrierError

__all__ = [
    "DEFAULT_MAX_BODY",
    "LABEL_MAX_BODY",
    "Flow",
    "RequestOptions",
    "api_request",
    "drive_async",
    "drive_sync",
    "options_of",
]

T = TypeVar("T")
Q = TypeVar("Q")
P = TypeVar("P")

#: A carrier operation: yields requests, receives responses, returns the result.
Flow: TypeAlias = Generator[httpx.Request, httpx.Response, T]

#: Default cap on a response body (JSON/XML), in bytes.
DEFAULT_MAX_BODY = 2 * 1024 * 1024
#: Cap for responses that carry label documents, in bytes.
LABEL_MAX_BODY = 30 * 1024 * 1024

_EXTENSION = "carrier_sdk"


@attrs.frozen(kw_only=True)
class RequestOptions:
    """How the core must treat one request of a flow.

    Attributes:
        operation: The SDK operation name, for logs and errors (``"track"``).
        idempotent: Safe to send twice (reads, and POSTs that only read). Retried on any
            transient failure. Non-idempotent requests are retried only when they surely never
            left the machine, unless ``idempotency_key`` is set and the carrier honours keys.
        purchase: The request buys something (a label, an order). An ambiguous failure raises
            :class:`~carrier_sdk.OutcomeUnknownError` instead of a plain error.
        idempotency_key: The key the request carries, reported on ``OutcomeUnknownError``.
        reference: The caller's reference sent with a purchase, reported likewise.
        max_body: Largest response body accepted, in bytes.
        singleflight: Requests with the same key that are in flight at once share one response
            (token fetches: one refresh however many callers).
        rate_limited: Whether the request counts against the client-side rate limit.
    """

    operation: str
    idempotent: bool = True
    purchase: bool = False
    idempotency_key: str | None = None
    reference: str | None = None
    max_body: int = DEFAULT_MAX_BODY
    singleflight: str | None = None
    rate_limited: bool = True


def api_request(
    method: str,
    url: str | httpx.URL,
    *,
    options: RequestOptions,
    params: Any = None,
    headers: Any = None,
    json: Any = None,
    data: Any = None,
    content: bytes | str | None = None,
    files: Any = None,
) -> httpx.Request:
    """Build an :class:`httpx.Request` that carries ``options`` for the core."""
    return httpx.Request(
        method,
        url,
        params=params,
        headers=headers,
        json=json,
        data=data,
        content=content,
        files=files,
        extensions={_EXTENSION: options},
    )


_DEFAULTS: dict[bool, RequestOptions] = {
    True: RequestOptions(operation="request", idempotent=True),
    False: RequestOptions(operation="request", idempotent=False),
}


def options_of(request: httpx.Request) -> RequestOptions:
    """The options attached by :func:`api_request`; plain requests get method-based defaults."""
    options = request.extensions.get(_EXTENSION)
    if isinstance(options, RequestOptions):
        return options
    return _DEFAULTS[request.method in ("GET", "HEAD", "OPTIONS", "DELETE", "PUT")]


def drive_sync(flow: Generator[Q, P, T], send: Callable[[Q], P]) -> T:
    """Run ``flow`` to completion, sending each request it yields with ``send``.

    A flow's requests and responses are :class:`httpx.Request` and :class:`httpx.Response`; any
    generator of that form is driven the same way (a journey yields the legs to track).
    """
    try:
        request = next(flow)
        while True:
            try:
                response = send(request)
            except CarrierError as err:
                # The flow may add context (an order already created) or handle it.
                request = flow.throw(err)
            else:
                request = flow.send(response)
    except StopIteration as stop:
        return stop.value  # type: ignore[no-any-return]
    finally:
        flow.close()


async def drive_async(flow: Generator[Q, P, T], send: Callable[[Q], Awaitable[P]]) -> T:
    """Async twin of :func:`drive_sync`."""
    try:
        request = next(flow)
        while True:
            try:
                response = await send(request)
            except CarrierError as err:
                request = flow.throw(err)
            else:
                request = flow.send(response)
    except StopIteration as stop:
        return stop.value  # type: ignore[no-any-return]
    finally:
        flow.close()
