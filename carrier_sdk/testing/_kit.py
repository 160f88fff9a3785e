"""The one test kit: a virtual clock, a client of either kind, and one operation runner.

Nothing here needs pytest, so scripts and other test runners can use it too; the pytest fixtures
built on it live in :mod:`carrier_sdk.testing.fixtures`.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any, Literal, TypeAlias, overload

import anyio.lowlevel
import httpx

from .._carrier import Carrier
from .._client import AsyncClient, Client
from .._closing import AsyncClosing, Closing
from .._registry import CarrierRegistry

__all__ = [
    "CLIENT_KINDS",
    "ClientKind",
    "OperationRunner",
    "VirtualClock",
    "make_client",
    "make_registry",
    "offline_transport",
]

#: Which client a test drives: the blocking :class:`~carrier_sdk.Client` or the
#: :class:`~carrier_sdk.AsyncClient`.
ClientKind: TypeAlias = Literal["sync", "async"]

#: Both kinds, in the order the ``client_kind`` fixture runs them.
CLIENT_KINDS: tuple[ClientKind, ...] = ("sync", "async")

#: An operation: a client method's name, or a callable taking the client (``lambda c: c.track(n)``).
Operation: TypeAlias = str | Callable[[Any], object]


class VirtualClock:
    """Virtual time: calling it reads ``now``; ``sleep`` / ``async_sleep`` record the wait and
    move time forward at once; :meth:`advance` moves it without recording a wait.

    Pass it as a client's ``clock`` (and its ``sleep``) and as a sandbox's ``clock``, so retries,
    ``Retry-After`` waits, rate limits and the fakes' histories take no real time.

    Args:
        start: The first reading (epoch seconds); the real wall-clock time by default, so the
            timestamps fakes stamp on labels look current.

    .. versionadded:: 0.1
    """

    def __init__(self, start: float | None = None) -> None:
        #: The current reading.
        self.now: float = time.time() if start is None else float(start)
        #: Every wait asked of :meth:`sleep` / :meth:`async_sleep`, in order.
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def __repr__(self) -> str:
        return f"VirtualClock(now={self.now!r}, sleeps={len(self.sleeps)})"

    def sleep(self, seconds: float) -> None:
        """Record a wait of ``seconds`` and move time forward by it (a negative wait by nothing)."""
        self.sleeps.append(seconds)
        self.now += max(0.0, seconds)

    async def async_sleep(self, seconds: float) -> None:
        """:meth:`sleep`, then let other tasks run (as a real sleep would)."""
        self.sleep(seconds)
        await anyio.lowlevel.checkpoint()

    def advance(self, seconds: float) -> None:
        """Move time forward by ``seconds`` without recording a wait."""
        self.now += seconds


def make_registry(*carriers: type[Carrier]) -> CarrierRegistry:
    """A fresh :class:`~carrier_sdk.CarrierRegistry` holding exactly ``carriers`` (no plugin discovery)."""
    registry = CarrierRegistry()
    for carrier in carriers:
        registry.add(carrier)
    return registry


def offline_transport() -> httpx.MockTransport:
    """An httpx transport (for either client kind) that fails the test on any request: give it
    to a client whose call must be refused before any I/O."""

    def refuse(request: httpx.Request) -> httpx.Response:
        raise AssertionError(f"no request may be sent, got {request.method} {request.url}")

    return httpx.MockTransport(refuse)


@overload
def make_client(kind: Literal["sync"], *, clock: VirtualClock | None = None, **options: Any) -> Client: ...
@overload
def make_client(kind: Literal["async"], *, clock: VirtualClock | None = None, **options: Any) -> AsyncClient: ...
@overload
def make_client(kind: ClientKind, *, clock: VirtualClock | None = None, **options: Any) -> Client | AsyncClient: ...
def make_client(kind: ClientKind, *, clock: VirtualClock | None = None, **options: Any) -> Client | AsyncClient:
    """A :class:`~carrier_sdk.Client` or :class:`~carrier_sdk.AsyncClient` in virtual time.

    Args:
        kind: ``"sync"`` or ``"async"``.
        clock: The client's clock and sleep (a fresh :class:`VirtualClock` by default), so waits
            between retries are instant.
        **options: Client options (``settings``, ``registry``, ``transport``, ``sandbox``,
            ``max_retries`` ...). ``environ`` defaults to ``{}`` (the test's process environment
            never leaks in); the async client uses the ``httpx`` backend unless told otherwise.

    Raises:
        ValueError: ``kind`` is neither ``"sync"`` nor ``"async"``.
    """
    clock = clock if clock is not None else VirtualClock()
    options.setdefault("environ", {})
    if kind == "sync":
        return Client(clock=clock, sleep=clock.sleep, **options)
    if kind == "async":
        options.setdefault("http_backend", "httpx")
        return AsyncClient(clock=clock, sleep=clock.async_sleep, **options)
    raise ValueError(f"client kind must be 'sync' or 'async', not {kind!r}")


class OperationRunner(Closing, AsyncClosing):
    """Runs client operations the same way on a :class:`~carrier_sdk.Client` or an
    :class:`~carrier_sdk.AsyncClient`, so one test body covers both.

    An operation is a client method's name with its arguments (``runner("track", number)``) or a
    callable taking the client (``runner(lambda c: c.track(number))``). Its result is awaited
    when the client is async, and a stream (``track_many``, ``create_shipments``) is collected
    into a list for either kind.

    From a synchronous test call the runner: an async client runs on an event loop the runner
    keeps for its life. From an ``async`` test, ``await runner.call(...)``. Close it (or use it
    as a context manager, ``with`` or ``async with``) to close the client.

    Args:
        client: The client to drive; :meth:`open` builds one of a kind.

    .. versionadded:: 0.1
    """

    def __init__(self, client: Client | AsyncClient) -> None:
        self.client = client
        self.kind: ClientKind = "async" if isinstance(client, AsyncClient) else "sync"
        self._loop: asyncio.Runner | None = None

    @classmethod
    def open(cls, kind: ClientKind, *, clock: VirtualClock | None = None, **options: Any) -> OperationRunner:
        """A runner over a new client of ``kind`` (see :func:`make_client` for the arguments)."""
        return cls(make_client(kind, clock=clock, **options))

    def __repr__(self) -> str:
        return f"OperationRunner(kind={self.kind!r})"

    def _start(self, operation: Operation, args: tuple[Any, ...], kwargs: dict[str, Any]) -> object:
        if isinstance(operation, str):
            return getattr(self.client, operation)(*args, **kwargs)
        if args or kwargs:
            raise TypeError("arguments go inside the callable when the operation is one")
        return operation(self.client)

    async def call(self, operation: Operation, /, *args: Any, **kwargs: Any) -> Any:
        """Run ``operation`` and return its result (for ``async`` tests; either kind)."""
        result = self._start(operation, args, kwargs)
        if inspect.isawaitable(result):
            result = await result
        if isinstance(result, AsyncIterator):
            return [item async for item in result]
        if isinstance(result, Iterator):
            return list(result)
        return result

    def __call__(self, operation: Operation, /, *args: Any, **kwargs: Any) -> Any:
        """Run ``operation`` and return its result (for synchronous tests; either kind).

        Raises:
            RuntimeError: called from a running event loop with an async client (await
                :meth:`call` there instead).
        """
        if self.kind == "sync":
            result = self._start(operation, args, kwargs)
            return list(result) if isinstance(result, Iterator) else result
        return self._event_loop().run(self.call(operation, *args, **kwargs))

    def _event_loop(self) -> asyncio.Runner:
        if self._loop is None:
            self._loop = asyncio.Runner()
        return self._loop

    def close(self) -> None:
        """Close the client (and the runner's event loop), from synchronous code."""
        if isinstance(self.client, AsyncClient):
            self._event_loop().run(self.client.aclose())
            self._event_loop().close()
        else:
            self.client.close()

    async def aclose(self) -> None:
        """Close the client, from ``async`` code."""
        if isinstance(self.client, AsyncClient):
            await self.client.aclose()
        else:
            self.client.close()
        if self._loop is not None:
            self._loop.close()
