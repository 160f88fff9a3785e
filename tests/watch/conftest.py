"""Virtual time (the kit's ``carrier_clock`` from :data:`T0`) and sandbox helpers for the watcher tests."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from carrier_sdk.sandbox import Sandbox
from carrier_sdk.testing import VirtualClock

#: A virtual "now" (late 2026) after which sandbox orders unfold.
T0 = 1_790_000_000.0


@pytest.fixture
def carrier_clock() -> VirtualClock:
    """The test kit's virtual clock, started at :data:`T0`; the kit's ``carrier_sandbox`` and
    ``sandbox_client`` run on it."""
    return VirtualClock(start=T0)


def add_cainiao_order(sandbox: Sandbox, number: str, created_at: float, destination: str = "US") -> None:
    """Put an order in the Cainiao fake, as create_shipment would: its history unfolds with the clock."""
    fake: Any = sandbox.fake("cainiao")
    fake.orders[number] = {
        "out_order_id": f"order-{number}",
        "tracking_number": number,
        "destination": destination,
        "created_at": created_at,
        "cancelled": False,
        "cancelled_at": None,
        "payload": {},
    }


@contextlib.contextmanager
def serve_asgi(app: Any) -> Iterator[str]:
    """Run ``app`` under uvicorn on a free loopback port in a thread; yield its base URL."""
    uvicorn = pytest.importorskip("uvicorn", reason="the ASGI tests need uvicorn (in the dev extra)")
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on", ws="none", http="h11")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


async def read_request(scope: dict[str, Any], receive: Any) -> tuple[bytes, dict[str, str]]:
    """An ASGI HTTP request's whole body and its headers (names as text)."""
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            return body, {k.decode(): v.decode() for k, v in scope["headers"]}
