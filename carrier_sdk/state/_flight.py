"""Single-flight across processes: one request (a token fetch) however many processes need it.

The first process takes a short lease in the backend and sends the request; the others wait for
the lease to go and read the response it published (kept a few seconds, never logged). A
response is shared only with callers that asked while it was in flight or within
:data:`GRACE` seconds after, so a later refresh (a token just rejected) fetches anew.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Awaitable, Callable

import httpx

from .._exceptions import APITimeoutError
from ._base import StateBackend, hashed

__all__ = ["FLIGHT_TTL", "shared_flight", "shared_flight_async"]

#: Seconds a published single-flight response stays readable by other processes.
FLIGHT_TTL = 15.0
#: A response published at most this long before a caller asked is still shared with it.
GRACE = 1.0
_POLL = 0.02


def _encode(response: httpx.Response, at: float) -> bytes:
    return json.dumps(
        {
            "at": at,
            "status": response.status_code,
            "headers": [[k, v] for k, v in response.headers.multi_items()],
            "body": base64.b64encode(response.content).decode("ascii"),
        }
    ).encode()


def _decode(payload: bytes | None, request: httpx.Request, since: float) -> httpx.Response | None:
    if payload is None:
        return None
    data = json.loads(payload)
    if float(data["at"]) < since - GRACE:
        return None
    return httpx.Response(
        int(data["status"]),
        headers=[(str(k), str(v)) for k, v in data["headers"]],
        content=base64.b64decode(data["body"]),
        request=request,
    )


def _flight_key(carrier: str, credential: str, key: str) -> str:
    return f"{carrier}:{hashed(carrier, credential, key)}"


class _Turn:
    """One caller's turn at a shared flight: its rules, written once. The sync and async
    drivers only put the steps in order (the async one runs each step in a worker thread)."""

    def __init__(self, state: StateBackend, scope: tuple[str, str, str], request: httpx.Request) -> None:
        self.state = state
        self.carrier = scope[0]
        self.key = _flight_key(*scope)
        self.owner = uuid.uuid4().hex
        self.request = request
        self.since = state.now()

    def published(self) -> httpx.Response | None:
        """The response another caller published for this turn (asked again once the lease is
        taken: it may have been published just before), if any."""
        return _decode(self.state.get_flight(self.key), self.request, self.since)

    def lead(self, left: float) -> bool:
        """Take the lease (``True``: this caller sends), unless the call's deadline has passed."""
        if left <= 0:
            raise APITimeoutError(
                "the call's deadline passed while another process was fetching the same token",
                carrier=self.carrier,
                operation="singleflight",
            )
        return self.state.acquire(self.key, self.owner, min(left, 60.0))

    def publish(self, response: httpx.Response) -> httpx.Response:
        """Share ``response`` with the others when it succeeded; return it."""
        if 200 <= response.status_code < 300:
            self.state.put_flight(self.key, _encode(response, self.state.now()), FLIGHT_TTL)
        return response

    def release(self) -> None:
        """Give the lease back."""
        self.state.release(self.key, self.owner)


def shared_flight(
    state: StateBackend,
    scope: tuple[str, str, str],
    request: httpx.Request,
    send: Callable[[], httpx.Response],
    *,
    remaining: Callable[[], float],
    sleep: Callable[[float], None],
) -> httpx.Response:
    """Send ``request`` through ``send`` in at most one process at a time for ``scope``
    (carrier, credential, single-flight key); share a successful response with the others."""
    turn = _Turn(state, scope, request)
    while True:
        published = turn.published()
        if published is not None:
            return published
        left = remaining()
        if turn.lead(left):
            try:
                published = turn.published()
                return published if published is not None else turn.publish(send())
            finally:
                turn.release()
        sleep(min(_POLL, left))


async def shared_flight_async(
    state: StateBackend,
    scope: tuple[str, str, str],
    request: httpx.Request,
    send: Callable[[], Awaitable[httpx.Response]],
    *,
    remaining: Callable[[], float],
    sleep: Callable[[float], Awaitable[None]],
) -> httpx.Response:
    """Async :func:`shared_flight` (backend calls run in a worker thread)."""
    from asyncio import to_thread

    turn = await to_thread(_Turn, state, scope, request)
    while True:
        published = await to_thread(turn.published)
        if published is not None:
            return published
        left = remaining()
        if await to_thread(turn.lead, left):
            try:
                published = await to_thread(turn.published)
                return published if published is not None else await to_thread(turn.publish, await send())
            finally:
                await to_thread(turn.release)
        await sleep(min(_POLL, left))
