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
    key = _flight_key(*scope)
    owner = uuid.uuid4().hex
    since = state.now()
    while True:
        published = _decode(state.get_flight(key), request, since)
        if published is not None:
            return published
        left = remaining()
        if left <= 0:
            raise APITimeoutError(
                "the call's deadline passed while another process was fetching the same token",
                carrier=scope[0],
                operation="singleflight",
            )
        if state.acquire(key, owner, min(left, 60.0)):
            try:
                published = _decode(state.get_flight(key), request, since)
                if published is not None:
                    return published
                response = send()
                if 200 <= response.status_code < 300:
                    state.put_flight(key, _encode(response, state.now()), FLIGHT_TTL)
                return response
            finally:
                state.release(key, owner)
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
    import asyncio

    key = _flight_key(*scope)
    owner = uuid.uuid4().hex
    since = await asyncio.to_thread(state.now)
    while True:
        published = _decode(await asyncio.to_thread(state.get_flight, key), request, since)
        if published is not None:
            return published
        left = remaining()
        if left <= 0:
            raise APITimeoutError(
                "the call's deadline passed while another process was fetching the same token",
                carrier=scope[0],
                operation="singleflight",
            )
        if await asyncio.to_thread(state.acquire, key, owner, min(left, 60.0)):
            try:
                published = _decode(await asyncio.to_thread(state.get_flight, key), request, since)
                if published is not None:
                    return published
                response = await send()
                if 200 <= response.status_code < 300:
                    stamp = await asyncio.to_thread(state.now)
                    await asyncio.to_thread(state.put_flight, key, _encode(response, stamp), FLIGHT_TTL)
                return response
            finally:
                await asyncio.to_thread(state.release, key, owner)
        await sleep(min(_POLL, left))
