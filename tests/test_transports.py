"""The async client behaves the same over httpx's transport and the aiohttp transport.

A real HTTP server on 127.0.0.1 serves the FakeCarrier API (plus a few misbehaving routes), and
the same scenarios run over both backends.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from carrier_sdk import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AsyncClient,
    CarrierRegistry,
    ResponseTooLargeError,
    TrackingNotFoundError,
)
from carrier_sdk.testing import FakeCarrierAPIServer, fake_number

pytest.importorskip("httpx_aiohttp")


class Server:
    def __init__(self) -> None:
        self.api = FakeCarrierAPIServer()
        self.mode = "normal"
        api = self.api
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _serve(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                if outer.mode == "slow":
                    time.sleep(1.0)
                if outer.mode == "redirect":
                    self._send(302, {"location": "http://127.0.0.1:1/elsewhere"}, b"")
                    return
                if outer.mode == "huge":
                    self._send(200, {"content-type": "application/json"}, b" " * (3 * 1024 * 1024))
                    return
                request = httpx.Request(
                    self.command, f"https://api.fakecarrier.test{self.path}", headers=dict(self.headers), content=body
                )
                response = api.handle(request)
                content = response.content
                headers = {"content-type": response.headers.get("content-type", "application/json")}
                if outer.mode == "gzip":
                    content = gzip.compress(content)
                    headers["content-encoding"] = "gzip"
                self._send(response.status_code, headers, content)

            def _send(self, status: int, headers: dict[str, str], content: bytes) -> None:
                try:
                    self.send_response(status)
                    for k, v in headers.items():
                        self.send_header(k, v)
                    self.send_header("content-length", str(len(content)))
                    self.end_headers()
                    self.wfile.write(content)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client stopped reading (size cap): expected

            do_GET = do_POST = do_DELETE = _serve

        class QuietServer(ThreadingHTTPServer):
            def handle_error(self, request: Any, client_address: Any) -> None:
                pass  # clients that give up (timeouts, size caps, cancellation) are the point here

        self.httpd = QuietServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    s = Server()
    yield s
    s.close()


@pytest.fixture(params=["httpx", "aiohttp"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def run(server: Server, registry: CarrierRegistry, backend: str, op: Any, **kwargs: Any) -> Any:
    async def main() -> Any:
        settings = server.api.settings(base_url=server.url)
        async with AsyncClient(
            settings={"fakecarrier": settings},
            registry=registry,
            http_backend=backend,
            max_retries=0,
            **kwargs,  # type: ignore[arg-type]
        ) as client:
            assert client.http_backend == ("AiohttpTransport" if backend == "aiohttp" else "httpx")
            return await op(client)

    return asyncio.run(main())


@pytest.fixture(autouse=True)
def normal_mode(server: Server) -> Iterator[None]:
    server.mode = "normal"
    yield
    server.mode = "normal"


def test_track(server: Server, registry: CarrierRegistry, backend: str) -> None:
    info = run(server, registry, backend, lambda c: c.track(fake_number(1)))
    assert info.status.value == "delivered"


def test_not_found(server: Server, registry: CarrierRegistry, backend: str) -> None:
    with pytest.raises(TrackingNotFoundError):
        run(server, registry, backend, lambda c: c.track(fake_number(99999999)))


def test_track_many(server: Server, registry: CarrierRegistry, backend: str) -> None:
    async def op(client: AsyncClient) -> list[Any]:
        return [r async for r in client.track_many([fake_number(n) for n in range(1, 40)], concurrency=8)]

    results = run(server, registry, backend, op)
    assert len(results) == 39
    assert all(r.ok for r in results)


def test_gzip(server: Server, registry: CarrierRegistry, backend: str) -> None:
    server.mode = "gzip"
    assert run(server, registry, backend, lambda c: c.track(fake_number(2))).tracking_number == fake_number(2)


def test_size_cap(server: Server, registry: CarrierRegistry, backend: str) -> None:
    server.mode = "huge"
    with pytest.raises(ResponseTooLargeError):
        run(server, registry, backend, lambda c: c.track(fake_number(2)))


def test_redirect_not_followed(server: Server, registry: CarrierRegistry, backend: str) -> None:
    server.mode = "redirect"
    with pytest.raises(APIStatusError) as info:
        run(server, registry, backend, lambda c: c.track(fake_number(2)))
    assert info.value.status_code == 302


def test_read_timeout(server: Server, registry: CarrierRegistry, backend: str) -> None:
    server.mode = "slow"
    with pytest.raises(APITimeoutError):
        run(server, registry, backend, lambda c: c.track(fake_number(2)), timeout=httpx.Timeout(0.3))


def test_connection_refused(registry: CarrierRegistry, backend: str) -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now

    async def main() -> Any:
        async with AsyncClient(
            settings={"fakecarrier": {"api_key_id": "x", "api_key": "y", "base_url": f"http://127.0.0.1:{port}"}},
            registry=registry,
            http_backend=backend,  # type: ignore[arg-type]
            max_retries=0,
        ) as client:
            return await client.track(fake_number(2))

    with pytest.raises(APIConnectionError) as info:
        asyncio.run(main())
    assert not isinstance(info.value, APITimeoutError)


def test_no_connection_is_left_in_flight(server: Server, registry: CarrierRegistry) -> None:
    """RELIABILITY goal 14: after successes, 5xx, size-cap aborts and timeouts, nothing is pending."""
    from carrier_sdk import CarrierError, Client

    settings = {"fakecarrier": server.api.settings(base_url=server.url)}
    with Client(settings=settings, registry=registry, max_retries=0, timeout=httpx.Timeout(0.3)) as client:
        for mode, count in (("normal", 20), ("huge", 5), ("slow", 2), ("normal", 5)):
            server.mode = mode
            if mode == "normal":
                server.api.inject("server_error", count=3)
            for n in range(count):
                with contextlib.suppress(CarrierError):
                    client.track(fake_number(n + 1))
        pool = client._http._transport._pool  # type: ignore[attr-defined]
        assert pool._requests == []  # no request waiting for or holding a connection
        assert all(c.is_idle() or c.is_closed() for c in pool.connections)


def test_no_task_or_connection_left_after_async_cancellations(server: Server, registry: CarrierRegistry) -> None:
    async def main() -> tuple[int, int]:
        settings = {"fakecarrier": server.api.settings(base_url=server.url)}
        async with AsyncClient(settings=settings, registry=registry, http_backend="httpx", max_retries=0) as client:
            server.mode = "slow"
            for n in range(5):
                task = asyncio.create_task(client.track(fake_number(n + 1)))
                await asyncio.sleep(0.05)
                task.cancel()
                with pytest.raises(asyncio.CancelledError):
                    await task
            server.mode = "normal"
            assert (await client.track(fake_number(9))).carrier == "fakecarrier"
            pool = client._http._transport._pool  # type: ignore[attr-defined]
            pending = len(pool._requests)
        others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        return pending, len(others)

    assert asyncio.run(main()) == (0, 0)
