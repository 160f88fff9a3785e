"""Optional HTTP backends for the async client (the aiohttp transport from ``carrier-sdk[aiohttp]``).

The core resends a purchase that has no idempotency key only when the failure proves that no
byte of the request left the machine (``ConnectError``, ``ConnectTimeout``, ``PoolTimeout``).
httpx's own transports raise those classes only before a connection is handed to the request;
``httpx-aiohttp`` reports *every* aiohttp connection error as ``ConnectTimeout``, including a
server hang-up after the request was written. So :class:`_AiohttpCompat` decides the class
again, from facts: aiohttp's trace hooks say whether a connection was handed to this request
(after that, bytes may have been written), and aiohttp's own exception says which phase failed.
When it cannot tell, the failure is ambiguous (``ReadError``/``ReadTimeout``), never "never sent".
"""

from __future__ import annotations

import contextvars
from collections.abc import AsyncIterator
from typing import Any

import httpx

from ._exceptions import ConfigurationError

__all__ = ["_SYNC_DEADLINE", "_AiohttpCompat", "_async_transport", "_install_sync_deadline"]


class _Facts:
    """What aiohttp reported about one request: whether it got a connection (then may have written)."""

    __slots__ = ("connected",)

    def __init__(self) -> None:
        self.connected = False


_FACTS: contextvars.ContextVar[_Facts | None] = contextvars.ContextVar("carrier_sdk_aiohttp_facts", default=None)


async def _on_connection(session: Any, context: Any, params: Any) -> None:
    facts = _FACTS.get()
    if facts is not None:
        facts.connected = True


def _async_transport(backend: str) -> httpx.AsyncBaseTransport | None:
    if backend == "httpx":
        return None
    try:
        from httpx_aiohttp import AiohttpTransport
    except ImportError:
        if backend == "aiohttp":
            raise ConfigurationError(
                "http_backend='aiohttp' needs the aiohttp extra: pip install 'carrier-sdk[aiohttp]'"
            ) from None
        return None

    class _TracedAiohttpTransport(AiohttpTransport):
        """The httpx-aiohttp transport over a session that reports connection hand-over."""

        backend_name = "AiohttpTransport"
        traced = True

        def get_client(self) -> Any:
            import aiohttp

            trace = aiohttp.TraceConfig()
            trace.on_connection_create_end.append(_on_connection)
            trace.on_connection_reuseconn.append(_on_connection)
            connector = aiohttp.TCPConnector(
                keepalive_timeout=self.limits.keepalive_expiry,
                ssl=self.ssl_context,
                limit=self.limits.max_connections or 100,
            )
            # HTTP(S)_PROXY and NO_PROXY are honoured, as on httpx's own transports (aiohttp's
            # trust_env). Only when a proxy is set: trust_env makes aiohttp look the proxy up in
            # the environment and ~/.netrc on every request, a thread-pool hop each time (~130 us
            # a request). Like httpx, the environment is read once, when the session is made.
            return aiohttp.ClientSession(connector=connector, trace_configs=[trace], trust_env=_env_proxies())

    return _AiohttpCompat(_TracedAiohttpTransport())


def _env_proxies() -> bool:
    """Whether the environment names a proxy aiohttp would use (``http``/``https``/``ws``/``wss``)."""
    from urllib.request import getproxies

    return any(scheme in ("http", "https", "ws", "wss") for scheme in getproxies())


def _connect_phase(error: BaseException) -> bool:
    """Whether aiohttp's own exception says the connection was never established."""
    try:
        import aiohttp
    except ImportError:  # pragma: no cover - only used with the extra installed
        return False
    cause = error.__cause__
    kinds: tuple[type[BaseException], ...] = (aiohttp.ClientConnectorError,)
    timeout_kind = getattr(aiohttp, "ConnectionTimeoutError", None)
    if timeout_kind is not None:
        kinds = (*kinds, timeout_kind)
    return isinstance(cause, kinds)


def _timeout_cause(error: httpx.TransportError) -> bool:
    """Whether aiohttp's exception behind ``error`` is a timeout (httpx-aiohttp's class is not evidence)."""
    cause = error.__cause__
    if cause is None:
        return isinstance(error, httpx.TimeoutException)
    return isinstance(cause, TimeoutError) or "Timeout" in type(cause).__name__


def _ambiguous(error: httpx.TransportError, request: httpx.Request) -> httpx.TransportError:
    """The class for a failure after which the request may have reached the server."""
    if _timeout_cause(error):
        return httpx.ReadTimeout(str(error) or "timed out", request=request)
    return httpx.ReadError(str(error) or type(error.__cause__ or error).__name__, request=request)


class _MappedStream(httpx.AsyncByteStream):
    """The response body: every failure while reading it happened after the request was sent."""

    def __init__(self, inner: httpx.AsyncByteStream, request: httpx.Request) -> None:
        self.inner = inner
        self.request = request

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self.inner:
                yield chunk
        except httpx.TransportError as err:
            raise _ambiguous(err, self.request) from err.__cause__

    async def aclose(self) -> None:
        try:
            await self.inner.aclose()
        except httpx.TransportError as err:
            raise _ambiguous(err, self.request) from err.__cause__


class _AiohttpCompat(httpx.AsyncBaseTransport):
    """Makes the aiohttp transport's errors mean what httpx's own mean.

    ``ConnectError``/``ConnectTimeout`` ("never sent") only when aiohttp says the connection
    failed *and* no connection was handed to the request; every other failure, including any
    while the body is read, is ``ReadError``/``ReadTimeout`` (the request may have arrived).
    """

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        facts = _Facts()
        token = _FACTS.set(facts)
        try:
            response = await self.inner.handle_async_request(request)
        except httpx.TransportError as err:
            if isinstance(err, httpx.UnsupportedProtocol | httpx.ProxyError):
                raise
            if getattr(self.inner, "traced", False) and not facts.connected and _connect_phase(err):
                if _timeout_cause(err):
                    raise httpx.ConnectTimeout(str(err) or "connect timed out", request=request) from err.__cause__
                raise httpx.ConnectError(str(err) or "connection failed", request=request) from err.__cause__
            raise _ambiguous(err, request) from err.__cause__
        finally:
            _FACTS.reset(token)
        stream = response.stream
        if isinstance(stream, httpx.AsyncByteStream):
            response.stream = _MappedStream(stream, request)
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


# -- the sync client's whole-call deadline ---------------------------------------------------------
#
# httpx's read timeout applies to each socket read, so a server that trickles one byte at a time
# keeps a sync call alive forever. The sync client therefore sets the call's deadline (a monotonic
# instant) in a context variable around each request, and the network backend below cuts every
# connect, read and write timeout to the time left, raising a timeout once none is left. Headers,
# body and every request of the call (an OAuth token fetch included) are covered. The async client
# cancels the call instead (``asyncio.timeout``).

_SYNC_DEADLINE: contextvars.ContextVar[float | None] = contextvars.ContextVar("carrier_sdk_deadline", default=None)


def _cut(timeout: float | None, error: type[Exception]) -> float | None:
    import time

    deadline = _SYNC_DEADLINE.get()
    if deadline is None:
        return timeout
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise error("the call's deadline passed")
    return remaining if timeout is None else min(timeout, remaining)


def _deadline_backend(inner: Any) -> Any:
    """Wrap an httpcore sync network backend so every socket operation obeys the call's deadline."""
    import httpcore

    class Stream(httpcore.NetworkStream):
        def __init__(self, stream: Any) -> None:
            self._stream = stream

        def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
            data: bytes = self._stream.read(max_bytes, _cut(timeout, httpcore.ReadTimeout))
            return data

        def write(self, buffer: bytes, timeout: float | None = None) -> None:
            self._stream.write(buffer, _cut(timeout, httpcore.WriteTimeout))

        def close(self) -> None:
            self._stream.close()

        def start_tls(self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None) -> Any:
            return Stream(self._stream.start_tls(ssl_context, server_hostname, _cut(timeout, httpcore.ConnectTimeout)))

        def get_extra_info(self, info: str) -> Any:
            return self._stream.get_extra_info(info)

    class Backend(httpcore.NetworkBackend):
        def connect_tcp(
            self,
            host: str,
            port: int,
            timeout: float | None = None,
            local_address: str | None = None,
            socket_options: Any = None,
        ) -> Any:
            stream = inner.connect_tcp(
                host, port, _cut(timeout, httpcore.ConnectTimeout), local_address, socket_options
            )
            return Stream(stream)

        def connect_unix_socket(self, path: str, timeout: float | None = None, socket_options: Any = None) -> Any:
            return Stream(inner.connect_unix_socket(path, _cut(timeout, httpcore.ConnectTimeout), socket_options))

        def sleep(self, seconds: float) -> None:
            inner.sleep(seconds)

    return Backend()


def _install_sync_deadline(client: httpx.Client) -> bool:
    """Make the pools of ``client``'s own transports obey :data:`_SYNC_DEADLINE`; ``False`` if none could."""
    installed = False
    transports = [client._transport, *client._mounts.values()]  # httpx's own transports (incl. env proxies)
    for transport in transports:
        pool = getattr(transport, "_pool", None)
        backend = getattr(pool, "_network_backend", None)
        if pool is not None and backend is not None:
            pool._network_backend = _deadline_backend(backend)
            installed = True
    return installed
