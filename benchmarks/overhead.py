"""SDK overhead against hand-written httpx, measured in the same run.

Reproduce (from the repository root, after the README's test command installed .venv):

    .venv/bin/python benchmarks/overhead.py

Three comparisons, each printed with its baseline and the ratio:

1. ``track()`` per-call overhead: ``Client.track`` vs a plain ``httpx.Client`` GET + JSON parse
   over the same in-memory transport (so only client-side CPU is compared).
2. Bulk tracking: ``AsyncClient.track_many`` (concurrency 16) vs hand-written
   ``httpx.AsyncClient`` + semaphore, both against the same loopback HTTP server (a separate
   process), over httpx's transport and over the aiohttp transport.
3. Cold start: ``import carrier_sdk`` + plugin discovery in a fresh interpreter vs
   ``import httpx`` alone.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable

import httpx

from carrier_sdk import AsyncClient, CarrierRegistry, Client
from carrier_sdk.testing import FakeCarrier, FakeCarrierAPIServer, fake_number

BODY = json.dumps(
    {
        "number": fake_number(1),
        "found": True,
        "events": [{"at": 1_700_000_000 + i * 3600, "code": "MOVING", "text": "moving"} for i in range(5)],
    }
).encode()


def best_of(repeat: int, fn: Callable[[], float]) -> float:
    return min(fn() for _ in range(repeat))


def bench_track_overhead(n: int = 3000) -> tuple[float, float]:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=BODY, headers={"content-type": "application/json"})

    registry = CarrierRegistry()
    registry.add(FakeCarrier)
    api = FakeCarrierAPIServer()
    number = fake_number(1)

    def sdk() -> float:
        with Client(
            settings={"fakecarrier": api.settings()}, registry=registry, transport=httpx.MockTransport(handler)
        ) as client:
            client.track(number)
            start = time.perf_counter()
            for _ in range(n):
                client.track(number)
            return (time.perf_counter() - start) / n

    def raw() -> float:
        with httpx.Client(transport=httpx.MockTransport(handler), base_url="https://api.fakecarrier.test") as client:
            start = time.perf_counter()
            for _ in range(n):
                response = client.get(f"/track/{number}", headers={"X-Fake-Key": "k"})
                json.loads(response.content)
            return (time.perf_counter() - start) / n

    return best_of(3, sdk), best_of(3, raw)


SERVER = r"""
import asyncio, sys
BODY = sys.stdin.buffer.read()
HEAD = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: %d\r\n\r\n" % len(BODY)
async def handle(reader, writer):
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            if length:
                await reader.readexactly(length)
            writer.write(HEAD + BODY)
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        writer.close()
async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    print(server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()
asyncio.run(main())
"""


def bench_bulk(n: int = 2000, concurrency: int = 16) -> dict[str, float]:
    proc = subprocess.Popen([sys.executable, "-c", SERVER], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert proc.stdin is not None
    assert proc.stdout is not None
    proc.stdin.write(BODY)
    proc.stdin.close()
    port = int(proc.stdout.readline())
    base = f"http://127.0.0.1:{port}"
    numbers = [fake_number(1)] * n
    results: dict[str, float] = {}

    async def hand_written(transport: httpx.AsyncBaseTransport | None) -> float:
        async with httpx.AsyncClient(base_url=base, transport=transport) as client:
            sem = asyncio.Semaphore(concurrency)

            async def one(number: str) -> None:
                async with sem:
                    response = await client.get(f"/track/{number}", headers={"X-Fake-Key": "k"})
                    json.loads(response.content)

            start = time.perf_counter()
            await asyncio.gather(*(one(x) for x in numbers))
            return time.perf_counter() - start

    async def sdk(backend: str) -> float:
        settings = {"fakecarrier": {"api_key_id": "bench", "api_key": "k", "base_url": base}}
        async with AsyncClient(settings=settings, registry=registry, http_backend=backend) as client:  # type: ignore[arg-type]
            start = time.perf_counter()
            count = 0
            async for result in client.track_many(numbers, carrier="fakecarrier", concurrency=concurrency):
                count += result.ok
            assert count == n
            return time.perf_counter() - start

    class OneAtATime(FakeCarrier):
        batch_size = 1  # compare request for request

    registry = CarrierRegistry()
    registry.add(OneAtATime)
    try:
        results["httpx hand-written"] = min(asyncio.run(hand_written(None)) for _ in range(2))
        results["sdk over httpx"] = min(asyncio.run(sdk("httpx")) for _ in range(2))
        try:
            from httpx_aiohttp import AiohttpTransport

            results["httpx+aiohttp hand-written"] = min(asyncio.run(hand_written(AiohttpTransport())) for _ in range(2))
            results["sdk over aiohttp"] = min(asyncio.run(sdk("aiohttp")) for _ in range(2))
        except ImportError:
            pass
    finally:
        proc.terminate()
        proc.wait()
    return results


def _median_start(code: str, repeat: int) -> float:
    """Median wall time of ``python -c code`` in a fresh interpreter, after one warming run."""
    # Bytecode caching on, as on a user's machine (some CI images set PYTHONDONTWRITEBYTECODE).
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run([sys.executable, "-c", code], check=True, env=env)  # warm the caches
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, env=env)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def bench_cold_start(repeat: int = 7) -> tuple[float, float]:
    # Discovery only: no adapter imported.
    sdk = _median_start("import carrier_sdk; carrier_sdk.Client().registry.codes()", repeat)
    baseline = _median_start("import httpx", repeat)
    return sdk, baseline


def bench_listing(repeat: int = 7) -> float:
    """``Client().carriers()`` also loads every adapter's class for its metadata."""
    return _median_start("import carrier_sdk; carrier_sdk.Client().carriers()", repeat)


def main() -> None:
    sdk, raw = bench_track_overhead()
    print(
        f"track(): sdk {sdk * 1e6:.1f} us/call, raw httpx {raw * 1e6:.1f} us/call, overhead {(sdk - raw) * 1e6:.1f} us, ratio {sdk / raw:.2f}"
    )
    bulk = bench_bulk()
    for name, seconds in bulk.items():
        print(f"bulk 2000 @16: {name:28s} {seconds:.3f} s")
    if "sdk over httpx" in bulk:
        print(f"bulk ratio sdk/hand-written over httpx: {bulk['sdk over httpx'] / bulk['httpx hand-written']:.2f}")
    if "sdk over aiohttp" in bulk:
        print(
            f"bulk ratio sdk/hand-written over aiohttp: {bulk['sdk over aiohttp'] / bulk['httpx+aiohttp hand-written']:.2f}"
        )
        print(
            f"bulk ratio sdk over aiohttp / hand-written stock httpx: {bulk['sdk over aiohttp'] / bulk['httpx hand-written']:.2f}"
        )
    cold, base = bench_cold_start()
    print(
        f"cold start: import carrier_sdk + discovery {cold * 1000:.0f} ms (interpreter included), import httpx {base * 1000:.0f} ms, difference {(cold - base) * 1000:.0f} ms"
    )
    listing = bench_listing()
    print(
        f"cold start + carriers() (imports the adapters): {listing * 1000:.0f} ms, {(listing - base) * 1000:.0f} ms over import httpx"
    )


if __name__ == "__main__":
    main()
