"""Optional HTTP backends for the async client (the aiohttp transport from ``carrier-sdk[aiohttp]``)."""

from __future__ import annotations

import httpx

from ._exceptions import ConfigurationError

__all__ = ["_AiohttpCompat", "_async_transport"]


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
    return _AiohttpCompat(AiohttpTransport())


class _AiohttpCompat(httpx.AsyncBaseTransport):
    """Makes the aiohttp transport's errors match httpx's own.

    ``httpx-aiohttp`` reports a refused connection as ``ConnectTimeout``; httpx says
    ``ConnectError``. Both mean "never sent", but users see a different exception class.
    """

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            return await self.inner.handle_async_request(request)
        except httpx.ConnectTimeout as err:
            cause = err.__cause__
            if cause is not None and not isinstance(cause, TimeoutError) and "Timeout" not in type(cause).__name__:
                raise httpx.ConnectError(str(err), request=request) from cause
            raise

    async def aclose(self) -> None:
        await self.inner.aclose()
