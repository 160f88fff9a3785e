"""The watcher at scale: 100,000 parcels in SQLite, and a 60/h USPS quota kept with v3r2 batches.

Part 1 (scale): N parcels (default 100,000 USPS numbers) are added to a fresh SQLite store in
one transaction; one ``run_once(collect=False)`` then polls every due parcel against the
sandbox served on a loopback port (real HTTP, USPS v3r2 batches of 35, no client-side limit)
and commits each chunk. A sampling thread reads this process's RSS every 10 ms: the figure is
the peak during ``run_once`` minus the RSS just before it. The store's write cost is the time
spent inside ``SQLiteStore.commit`` per parcel, next to a baseline measured in the same run: a
plain ``executemany`` UPDATE of the same number of rows setting one REAL column (what any
"remember when we polled it" table costs), so the ratio says what the watcher's full row
(info JSON, seen ids, schedule) and its outbox cost over the minimum.

Part 2 (quota): 10,000 USPS parcels, the sandbox's USPS quota set to 60 calls an hour (the
client follows it as its client-side limit), v3r2, virtual time: ``run_once`` every 30 s for
three hours. Reported: calls in the busiest 3,600 s window (must be <= 60), numbers polled an
hour, client-side waits (each is an overrun the schedule should have avoided: must be 0) and
429s from the fake. Baseline in the same run: a naive loop calling ``track_many`` over every
due number each round, through the same kind of client.

Reproduce (from the repository root, with the plugins installed):

    .venv/bin/python benchmarks/watch_scale.py                 # 100,000 parcels, about 3 minutes
    .venv/bin/python benchmarks/watch_scale.py --parcels 10000 --json
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import tempfile
import threading
import time
from collections import deque
from pathlib import Path
from typing import Any

from carrier_sdk_usps.fake import fake_impb

from carrier_sdk import Client, RateLimit, RateLimitError
from carrier_sdk.sandbox import Sandbox
from carrier_sdk.watch import MemoryStore, SQLiteStore, WatchedParcel, Watcher

PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_mib() -> float:
    with open("/proc/self/statm", encoding="ascii") as f:
        return int(f.read().split()[1]) * PAGE / 2**20


class PeakRSS:
    """Samples RSS every 10 ms in a thread; ``peak`` is the highest seen."""

    def __init__(self) -> None:
        self.peak = rss_mib()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.01):
            self.peak = max(self.peak, rss_mib())

    def __enter__(self) -> PeakRSS:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_mib())


def scale(parcels: int, tmp: Path) -> dict[str, Any]:
    sandbox = Sandbox(carriers=["usps"])
    numbers = [fake_impb(1_000_000 + i) for i in range(parcels)]
    with sandbox.serve() as server:
        settings = {"usps": {**server.settings_for("usps"), "tracking_api": "v3r2"}}
        with Client(settings, rate_limits={"usps": None}) as client:
            store = SQLiteStore(tmp / "watch.sqlite3")
            watcher = Watcher(client, store)
            started = time.perf_counter()
            now = time.time()
            added = store.add_many(
                WatchedParcel(carrier="usps", number=n, journey=n, added_at=now, next_poll_at=now) for n in numbers
            )
            add_seconds = time.perf_counter() - started
            del numbers
            commit_time = [0.0]
            commit_rows = [0]
            real_commit = store.commit

            def timed_commit(updates: Any, changes: Any = (), additions: Any = ()) -> Any:
                t = time.perf_counter()
                try:
                    return real_commit(updates, changes, additions)
                finally:
                    commit_time[0] += time.perf_counter() - t
                    commit_rows[0] += len(updates)

            store.commit = timed_commit  # type: ignore[method-assign]
            before = rss_mib()
            started = time.perf_counter()
            with PeakRSS() as peak:
                watcher.run_once(collect=False)
            run_seconds = time.perf_counter() - started
            polled = sum(1 for _ in store.parcels(due_before=time.time() - 1))
            calls = watcher.calls.get("usps", 0)
            store.close()
    # Baseline: the cheapest possible per-parcel write, same row count, same file settings.
    db = sqlite3.connect(tmp / "baseline.sqlite3", isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = NORMAL")
    db.execute("CREATE TABLE t (number TEXT PRIMARY KEY, polled REAL) WITHOUT ROWID")
    db.execute("BEGIN")
    db.executemany("INSERT INTO t VALUES (?, 0)", ((str(i),) for i in range(commit_rows[0])))
    db.execute("COMMIT")
    started = time.perf_counter()
    for offset in range(0, commit_rows[0], 1000):
        db.execute("BEGIN IMMEDIATE")
        db.executemany(
            "UPDATE t SET polled = ? WHERE number = ?", ((1.0, str(i)) for i in range(offset, offset + 1000))
        )
        db.execute("COMMIT")
    baseline = time.perf_counter() - started
    db.close()
    per_parcel = commit_time[0] / max(commit_rows[0], 1)
    return {
        "parcels": added,
        "add_seconds": round(add_seconds, 2),
        "run_once_seconds": round(run_seconds, 1),
        "parcels_per_second": round(commit_rows[0] / run_seconds),
        "tracking_calls": calls,
        "still_due_after": polled,
        "rss_before_mib": round(before, 1),
        "peak_rss_growth_mib": round(peak.peak - before, 1),
        "store_write_us_per_parcel": round(per_parcel * 1e6, 1),
        "store_share_of_run": round(commit_time[0] / run_seconds, 3),
        "baseline_update_us_per_row": round(baseline / max(commit_rows[0], 1) * 1e6, 1),
        "write_cost_ratio": round(per_parcel / (baseline / max(commit_rows[0], 1)), 1),
    }


class VirtualClock:
    def __init__(self, start: float) -> None:
        self.now = start
        self.waits: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            self.waits.append(seconds)
            self.now += seconds


def busiest_hour(samples: list[tuple[float, int]]) -> int:
    """Most calls in any 3,600 s window, from (time, calls made at that time) samples."""
    window: deque[tuple[float, int]] = deque()
    total = best = 0
    for at, calls in samples:
        window.append((at, calls))
        total += calls
        while window and window[0][0] <= at - 3600:
            total -= window.popleft()[1]
        best = max(best, total)
    return best


def quota(parcels: int, hours: float, naive: bool) -> dict[str, Any]:
    clock = VirtualClock(1_790_000_000.0)
    sandbox = Sandbox(carriers=["usps"], clock=clock)
    sandbox.set_quota("usps", RateLimit.per_hour(60))
    settings = {"usps": {**sandbox.settings_for("usps"), "tracking_api": "v3r2"}}
    fake: Any = sandbox.fake("usps")
    samples: list[tuple[float, int]] = []
    polled: set[str] = set()
    refused = 0
    numbers = [fake_impb(2_000_000 + i) for i in range(parcels)]
    with Client(settings, sandbox=sandbox, clock=clock, sleep=clock.sleep, max_retries=0) as client:
        end = clock.now + hours * 3600
        if naive:
            while clock.now < end:
                before = fake.calls["track_batch"]
                for result in client.track_many([n for n in numbers if n not in polled]):
                    if result.ok:
                        polled.add(result.number)
                    elif isinstance(result.error, RateLimitError):
                        refused += 1
                samples.append((clock.now, fake.calls["track_batch"] - before))
                clock.now += 30
        else:
            watcher = Watcher(client, MemoryStore(), clock=clock, seed=1)
            for number in numbers:
                watcher.add(number)
            while clock.now < end:
                before = watcher.calls.get("usps", 0)
                watcher.run_once(collect=False)
                samples.append((clock.now, watcher.calls.get("usps", 0) - before))
                clock.now += 30
            polled = {p.number for p in watcher.list() if p.last_polled_at is not None}
    return {
        "variant": "naive track_many loop" if naive else "Watcher.run_once every 30 s",
        "hours": hours,
        "calls": fake.calls["track_batch"],
        "busiest_hour_calls": busiest_hour(samples),
        "numbers_polled": len(polled),
        "numbers_per_hour": round(len(polled) / hours),
        "client_side_waits": len(clock.waits),
        "client_wait_seconds": round(sum(clock.waits)),
        "numbers_refused_client_side": refused,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parcels", type=int, default=100_000)
    parser.add_argument("--quota-parcels", type=int, default=10_000)
    parser.add_argument("--hours", type=float, default=3.0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        results = {
            "scale": scale(args.parcels, Path(tmp)),
            "quota": [
                quota(args.quota_parcels, args.hours, naive=False),
                quota(args.quota_parcels, args.hours, naive=True),
            ],
        }
    if args.json:
        print(json.dumps(results))
        return
    s = results["scale"]
    print(
        f"{s['parcels']:,} parcels added in {s['add_seconds']} s; run_once polled them in {s['run_once_seconds']} s "
        f"({s['parcels_per_second']:,}/s, {s['tracking_calls']:,} v3r2 calls over loopback)"
    )
    print(f"peak RSS growth during run_once: {s['peak_rss_growth_mib']} MiB (from {s['rss_before_mib']} MiB)")
    print(
        f"store write: {s['store_write_us_per_parcel']} us/parcel ({s['store_share_of_run']:.0%} of the run); "
        f"baseline one-column UPDATE {s['baseline_update_us_per_row']} us/row; ratio {s['write_cost_ratio']}"
    )
    for q in results["quota"]:
        print(
            f"{q['variant']}: {q['calls']} calls in {q['hours']:g} h, busiest hour {q['busiest_hour_calls']}, "
            f"{q['numbers_per_hour']:,} numbers/h, client-side waits {q['client_side_waits']} "
            f"({q['client_wait_seconds']} s), numbers refused client-side {q['numbers_refused_client_side']:,}"
        )


if __name__ == "__main__":
    main()
