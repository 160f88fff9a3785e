"""A worker process for tests/test_state_processes.py: reads a JSON job on stdin, prints a JSON line.

Run as ``python tests/_state_worker.py`` (a real process, so that it can be killed mid-request).
"""

from __future__ import annotations

import concurrent.futures
import json
import os
import sys
import time
from pathlib import Path
from typing import Any


def _client(job: dict[str, Any]) -> Any:
    from carrier_sdk import Client, RateLimit
    from carrier_sdk._ratelimit import Window

    limits = {}
    for code, (calls, seconds) in job.get("limits", {}).items():
        limits[code] = RateLimit((Window(calls, seconds),))
    return Client(job["settings"], state=job["state"], rate_limits=limits, deadline=job.get("deadline", 60.0))


def track(job: dict[str, Any]) -> dict[str, Any]:
    numbers: list[str] = job["numbers"]
    with _client(job) as client:

        def one(number: str) -> tuple[str, str]:
            try:
                return number, client.track(number, carrier=job["carrier"]).status.value
            except Exception as err:  # every error is reported, typed or not
                return number, f"error:{type(err).__module__}.{type(err).__name__}"

        with concurrent.futures.ThreadPoolExecutor(job.get("threads", 4)) as pool:
            results = list(pool.map(one, numbers))
    return {"results": results}


def track_many(job: dict[str, Any]) -> dict[str, Any]:
    with _client(job) as client:
        out = []
        for result in client.track_many(job["numbers"], carrier=job["carrier"], concurrency=job.get("threads", 4)):
            kind = result.info.status.value if result.ok else f"error:{type(result.error).__name__}"
            out.append((result.number, kind))
    return {"results": out}


def cold(job: dict[str, Any]) -> dict[str, Any]:
    go = Path(job["go"])
    with _client(job) as client:
        while not go.exists():  # every process is up before any of them starts
            time.sleep(0.005)
        status = client.track(job["numbers"][0], carrier=job["carrier"]).status.value
    return {"status": status}


def buy(job: dict[str, Any]) -> dict[str, Any]:
    from carrier_sdk import OutcomeUnknownError, PurchaseInProgressError, ShipmentRequest, from_dict

    request = from_dict(ShipmentRequest, job["request"])
    key = job["key"]
    waited = 0.0
    with _client(job) as client:
        print(json.dumps({"started": os.getpid()}), flush=True)
        for _ in range(3):
            try:
                shipment = client.create_shipment(job["carrier"], request, idempotency_key=key)
                return {"result": shipment.tracking_number, "waited": waited}
            except PurchaseInProgressError as err:
                started = time.monotonic()
                client.state.wait_for_purchase(job["carrier"], key, timeout=err.retry_after + 5)
                waited += time.monotonic() - started
            except OutcomeUnknownError as err:
                return {"error": "OutcomeUnknownError", "message": err.message, "waited": waited}
    return {"error": "gave up"}


def main() -> None:
    job = json.loads(sys.stdin.read())
    result = {"track": track, "track_many": track_many, "cold": cold, "buy": buy}[job["mode"]](job)
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
