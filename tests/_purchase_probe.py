"""Buy one label in a process of its own and measure what the purchase cost.

The large-answer tests (``test_reliability_multipart``, ``test_reliability_xml``) call
:func:`measure_purchase`; it runs this file as a script, so that what is measured (time, traced
peak, RSS growth, event-loop stalls) is the client's alone, not the loopback server's nor its
prepared answer's. The script prints one line of JSON: ``seconds``, ``peak`` (traced bytes),
``rss_growth`` (bytes), ``loop_lag`` (the longest stall of the event loop in seconds, 0 on the
sync path), then either the label (``number``, ``label`` bytes, ``pdf``) or the error (``error``
its repr, ``error_types`` the names of its classes, ``idempotency_key``).
"""

from __future__ import annotations

import asyncio
import json
import resource
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

from carrier_sdk import AsyncClient, Client, Shipment, ShipmentRequest, from_dict, to_dict

#: How often the async path's ticker looks at the event loop, in seconds.
TICK = 0.01


def measure_purchase(
    path: str, carrier: str, settings: dict[str, Any], request: ShipmentRequest, *, key: str, deadline: float
) -> dict[str, Any]:
    """Buy ``request``'s label on ``path`` (``sync``, ``async-httpx`` or ``async-aiohttp``) in a
    fresh interpreter; what it measured."""
    from ._helpers import run_captured

    spec = {
        "path": path,
        "carrier": carrier,
        "settings": settings,
        "request": to_dict(request),
        "key": key,
        "deadline": deadline,
    }
    done = run_captured([sys.executable, str(Path(__file__)), json.dumps(spec)], timeout=120)
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _rss() -> int:
    with open("/proc/self/statm", encoding="ascii") as f:
        return int(f.read().split()[1]) * resource.getpagesize()


def _probe(spec: dict[str, Any]) -> dict[str, Any]:
    path, carrier, key = spec["path"], spec["carrier"], spec["key"]
    options: dict[str, Any] = {"settings": {carrier: spec["settings"]}, "environ": {}, "deadline": spec["deadline"]}
    request = from_dict(ShipmentRequest, spec["request"])
    lags = [0.0]

    def sync() -> Shipment:
        with Client(**options) as client:
            return client.create_shipment(carrier, request, idempotency_key=key)

    async def ticker() -> None:
        while True:
            before = time.monotonic()
            await asyncio.sleep(TICK)
            lags.append(time.monotonic() - before - TICK)

    async def run_async() -> Shipment:
        tick = asyncio.create_task(ticker())
        try:
            async with AsyncClient(http_backend=path.removeprefix("async-"), **options) as client:
                return await client.create_shipment(carrier, request, idempotency_key=key)
        finally:
            tick.cancel()

    before = _rss()
    tracemalloc.start()
    started = time.monotonic()
    result: dict[str, Any]
    try:
        shipment = sync() if path == "sync" else asyncio.run(run_async())
        assert shipment.label is not None
        data = shipment.label.data
        result = {"number": shipment.tracking_number, "label": len(data), "pdf": data.startswith(b"%PDF-")}
    except Exception as err:
        result = {
            "error": repr(err),
            "error_types": [cls.__name__ for cls in type(err).__mro__],
            "idempotency_key": getattr(err, "idempotency_key", None),
        }
    result["seconds"] = time.monotonic() - started
    result["peak"] = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    result["loop_lag"] = max(lags)
    result["rss_growth"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - before
    return result


if __name__ == "__main__":
    print(json.dumps(_probe(json.loads(sys.argv[1]))))
