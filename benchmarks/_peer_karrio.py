"""The peer's side of ``compare.py``: karrio's USPS tracking, run inside the benchmark-only venv.

Not meant to be run by hand: ``compare.py`` starts it with the peer venv's interpreter, writes one
JSON job to its stdin and reads one JSON result from its stdout. It imports nothing from
carrier-sdk (the peer venv does not have it), only karrio and the standard library.

Job: ``{"base_url": ..., "numbers": [...], "warmup": [...], "parse_body": "...", "parse_number": ...,
"parse_repeat": N}``. Result: ``{"bulk_wall", "bulk_cpu", "tracked", "parse_s", "parse_events"}``.
"""

from __future__ import annotations

import json
import logging
import statistics
import sys
import time


def main() -> None:
    job = json.load(sys.stdin)
    logging.disable(logging.CRITICAL)
    import karrio.core.models as models
    import karrio.lib as lib
    import karrio.providers.usps.tracking as usps_tracking
    import karrio.providers.usps.utils as usps_utils
    import karrio.sdk as karrio

    try:  # karrio logs through loguru: keep its per-request lines out of the measurement
        from loguru import logger

        logger.remove()
    except Exception:
        pass

    base_url = job.get("base_url", "http://127.0.0.1:9")  # parse-only jobs send nothing
    # karrio hard-codes the USPS host; point it at the benchmark's loopback server.
    usps_utils.Settings.server_url = property(lambda self: base_url)
    gateway = karrio.gateway["usps"].create(
        {"client_id": "bench-client", "client_secret": "bench-secret", "test_mode": False}
    )

    def track(numbers: list[str]) -> int:
        request = models.TrackingRequest(tracking_numbers=numbers)
        details, messages = karrio.Tracking.fetch(request).from_(gateway).parse()
        if messages:
            raise SystemExit(f"karrio reported errors: {messages[:3]}")
        return len(details)

    result: dict[str, float] = {}
    if job.get("numbers"):
        track(job["warmup"])  # token and first connection, as every variant of compare.py does
        cpu, wall = time.process_time(), time.perf_counter()
        result["tracked"] = track(job["numbers"])
        result["bulk_wall"] = time.perf_counter() - wall
        result["bulk_cpu"] = time.process_time() - cpu

    if job.get("parse_body"):
        number, body = job["parse_number"], job["parse_body"]

        def parse_once() -> int:
            response = lib.Deserializable([(number, body)], lambda rows: [(n, lib.to_dict(text)) for n, text in rows])
            details, _ = usps_tracking.parse_tracking_response(response, gateway.settings)
            return len(details[0].events)

        result["parse_events"] = parse_once()
        times = []
        for _ in range(job["parse_repeat"]):  # the median of single bodies, as compare.py times the SDK
            start = time.perf_counter()
            parse_once()
            times.append(time.perf_counter() - start)
        result["parse_s"] = statistics.median(times)

    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
