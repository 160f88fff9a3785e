"""Tracking 100,000 sandbox numbers with 1, 2 and 4 Celery worker processes, and what the shared
(Redis) rate limiter costs per request against the in-memory one.

For each worker count (one ``celery worker -P prefork -c N``) and each state backend
(``memory://``: every process limits itself; ``redis://``: one limiter shared through Redis), the
script sends the numbers with :func:`carrier_sdk.celery.track_in_chunks` (chunks of 500, at most
``4 x N`` queued) and times the first send to the last result. Broker, result backend and shared
state are one ``redis-server`` started on a free loopback port (the system package). Each worker
process tracks against its own in-process sandbox (no HTTP), so the figures are the SDK, Celery
and the state backend, not a network.

It also times ``reserve()`` alone in one process: the in-memory ``RateLimiter`` against
``RedisState`` (one Lua script round trip on loopback).

Reproduce (from the repository root, with the dev extra and the plugins installed):

    .venv/bin/python benchmarks/celery_scale.py                    # 100,000 numbers, 1/2/4 processes
    .venv/bin/python benchmarks/celery_scale.py --count 20000 --processes 1 2 --json
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def reserve_cost(url: str, calls: int) -> dict[str, float]:
    """Microseconds per ``reserve()``: in-memory limiter vs Redis state, one process, one thread."""
    from carrier_sdk import RateLimit
    from carrier_sdk._ratelimit import RateLimiter
    from carrier_sdk.state import RedisState

    limit = RateLimit.per_second(10**9)
    memory = RateLimiter(limit, time.monotonic)
    started = time.perf_counter()
    for _ in range(calls):
        memory.reserve()
    mem_us = (time.perf_counter() - started) / calls * 1e6
    state = RedisState(url)
    shared = state.limiter("bench", "credential", limit, time.monotonic)
    started = time.perf_counter()
    for _ in range(calls):
        shared.reserve()
    redis_us = (time.perf_counter() - started) / calls * 1e6
    state.close()
    return {"memory_us": mem_us, "redis_us": redis_us}


def run(count: int, processes: int, state_url: str, broker: str, chunk: int) -> dict[str, Any]:
    from celery import Celery

    from carrier_sdk import Client
    from carrier_sdk.celery import track_in_chunks
    from carrier_sdk.cli._numbers import generate_numbers

    env = {
        **os.environ,
        "CARRIER_SDK_BENCH_BROKER": broker,
        "CARRIER_SDK_STATE_URL": state_url,
        "PYTHONPATH": str(HERE) + os.pathsep + os.environ.get("PYTHONPATH", ""),
    }
    name = f"bench{processes}-{int(time.time() * 1000)}"
    command = [sys.executable, "-m", "celery", "-A", "_celery_bench_app", "worker", "-P", "prefork"]
    command += ["-c", str(processes), "-n", f"{name}@%h", "-l", "error"]
    command += ["--without-gossip", "--without-mingle", "--without-heartbeat"]
    worker = subprocess.Popen(
        command,
        env=env,
        cwd=HERE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        app = Celery("carrier_sdk_bench_client", broker=broker, backend=broker)
        app.conf.update(broker_connection_retry_on_startup=True)
        app.set_current()
        app.set_default()
        end = time.monotonic() + 60
        while not app.control.ping(timeout=0.5):
            if time.monotonic() > end:
                raise SystemExit("the Celery worker did not come up")
        # Warm up: every process builds its client and sandbox before the clock starts.
        warm = list(track_in_chunks(generate_numbers(Client().registry, 50 * processes, seed=1), chunk_size=50))
        assert len(warm) == 50 * processes
        numbers = generate_numbers(Client().registry, count, seed=0)
        ok = errors = 0
        kinds: dict[str, int] = {}
        started = time.perf_counter()
        for result in track_in_chunks(numbers, chunk_size=chunk, max_in_flight=4 * processes):
            if result.ok:
                ok += 1
            else:
                errors += 1
                kind = f"{result.error_type}: {(result.error_message or '')[:80]}"
                kinds[kind] = kinds.get(kind, 0) + 1
        elapsed = time.perf_counter() - started
    finally:
        worker.terminate()
        _, _, usage = os.wait4(worker.pid, 0)  # the worker and its pool processes, start to stop
        worker.returncode = 0
    cpu = usage.ru_utime + usage.ru_stime
    return {
        "processes": processes,
        "state": state_url.split(":", 1)[0],
        "numbers": ok + errors,
        "errors": errors,
        "error_kinds": kinds,
        "seconds": elapsed,
        "per_second": (ok + errors) / elapsed,
        "worker_cpu_seconds": cpu,
        "cpu_ms_per_1000": cpu / (ok + errors) * 1e6,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--chunk", type=int, default=500)
    parser.add_argument("--reserve-calls", type=int, default=20_000)
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    args = parser.parse_args()

    from carrier_sdk.testing.redis_server import RedisServer

    rows: list[dict[str, Any]] = []
    with RedisServer() as redis:
        broker = f"redis://127.0.0.1:{redis.port}/1"
        state = f"redis://127.0.0.1:{redis.port}/0"
        cost = reserve_cost(state, args.reserve_calls)
        for processes in args.processes:
            for url in ("memory://", state):
                row = run(args.count, processes, url, broker, args.chunk)
                rows.append(row)
                if not args.json:
                    print(
                        f"{row['processes']} process(es), {row['state']:6} state: {row['numbers']:,} numbers "
                        f"({row['errors']:,} errors) in {row['seconds']:.1f}s = {row['per_second']:,.0f}/s; "
                        f"workers' CPU {row['worker_cpu_seconds']:.1f}s = {row['cpu_ms_per_1000']:.0f} ms per 1,000",
                        flush=True,
                    )
    overhead = []
    for processes in args.processes:
        mem = next(r for r in rows if r["processes"] == processes and r["state"] == "memory")
        red = next(r for r in rows if r["processes"] == processes and r["state"] == "redis")
        # Worker CPU per number added by the shared limiter (every number is at least one request).
        extra = (red["worker_cpu_seconds"] - mem["worker_cpu_seconds"]) / red["numbers"] * 1e6
        overhead.append({"processes": processes, "ratio": mem["per_second"] / red["per_second"], "extra_us": extra})
    if args.json:
        print(json.dumps({"runs": rows, "reserve": cost, "overhead": overhead}, indent=2))
        return
    print(f"reserve() alone, one process: in-memory {cost['memory_us']:.1f} us, Redis {cost['redis_us']:.1f} us")
    for o in overhead:
        print(
            f"{o['processes']} process(es): in-memory/Redis throughput ratio {o['ratio']:.2f}, "
            f"shared state adds {o['extra_us']:.0f} us of worker CPU per number"
        )


if __name__ == "__main__":
    main()
