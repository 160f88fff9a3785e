"""carrier_sdk.celery with real Celery worker processes (Redis broker and result backend) on loopback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("celery", reason="needs the celery extra: pip install -e '.[dev]'")

from carrier_sdk_usps.fake import fake_impb

from carrier_sdk.sandbox import Sandbox
from carrier_sdk.state import PurchaseStatus, RedisState
from carrier_sdk.testing import cross_border_request

HERE = Path(__file__).resolve().parent


def usps_numbers(count: int, start: int = 0) -> list[str]:
    return [fake_impb(22_000_000_000 + i) for i in range(start, start + count)]  # 940011189922 + i


class Cluster:
    """A redis-server, a loopback sandbox and Celery workers (prefork, 2 processes each)."""

    def __init__(self, tmp: Path) -> None:
        from carrier_sdk.testing.redis_server import RedisServer

        self.redis = RedisServer()
        self.redis.start()
        self.broker = f"redis://127.0.0.1:{self.redis.port}/1"
        self.state_url = f"redis://127.0.0.1:{self.redis.port}/0"
        self.sandbox = Sandbox(carriers=["usps", "cainiao"])
        self.server = self.sandbox.serve()
        self.watch_url = f"redis://127.0.0.1:{self.redis.port}/2"
        self.env = {
            **os.environ,
            "CARRIER_SDK_TEST_BROKER": self.broker,
            "CARRIER_SDK_TEST_SETTINGS": json.dumps(self.server.settings()),
            "CARRIER_SDK_TEST_WATCH_URL": self.watch_url,
            "CARRIER_SDK_STATE_URL": self.state_url,
            "PYTHONPATH": str(HERE) + os.pathsep + os.environ.get("PYTHONPATH", ""),
        }
        self.workers: list[subprocess.Popen[bytes]] = []
        self.logs = tmp

    def start_worker(self, name: str, concurrency: int = 2) -> subprocess.Popen[bytes]:
        log = open(self.logs / f"{name}.log", "wb")  # noqa: SIM115 - closed with the process
        worker = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "_celery_app",
                "worker",
                "-P",
                "prefork",
                "-c",
                str(concurrency),
                "-n",
                f"{name}@%h",
                "-l",
                "warning",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            env=self.env,
            cwd=HERE,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        self.workers.append(worker)
        return worker

    def app(self) -> Any:
        from celery import Celery

        app = Celery("carrier_sdk_tests_client", broker=self.broker, backend=self.broker)
        app.conf.update(broker_connection_retry_on_startup=True)
        app.set_current()
        app.set_default()
        return app

    def wait_ready(self, app: Any, count: int, timeout: float = 60) -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            replies = app.control.ping(timeout=0.5) or []
            if len(replies) >= count:
                return
        logs = "\n".join(p.read_text(errors="replace")[-2000:] for p in self.logs.glob("*.log"))
        raise AssertionError(f"{count} Celery worker(s) did not come up:\n{logs}")

    def close(self) -> None:
        for worker in self.workers:
            if worker.poll() is None:
                worker.terminate()
        for worker in self.workers:
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait(timeout=10)
        self.server.close()
        self.redis.stop()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory, redis_server: Any) -> Iterator[Cluster]:
    import carrier_sdk.celery  # noqa: F401  (registers the tasks on the app set below)

    cluster = Cluster(tmp_path_factory.mktemp("celery"))
    try:
        app = cluster.app()
        cluster.start_worker("w1")
        cluster.start_worker("w2")
        cluster.wait_ready(app, 2)
        yield cluster
    finally:
        cluster.close()


def test_track_in_chunks_streams_every_number_once_from_several_workers(cluster: Cluster) -> None:
    from carrier_sdk.celery import track_in_chunks

    numbers = usps_numbers(400)
    started = time.monotonic()
    results = list(track_in_chunks(iter(numbers), carrier="usps", chunk_size=25, max_in_flight=6))
    elapsed = time.monotonic() - started
    print(f"\n400 numbers in chunks of 25 over 2 workers x 2 processes: {elapsed:.1f}s")
    assert sorted(r.number for r in results) == sorted(numbers)
    assert {r.error_type for r in results} == {None}
    assert all(r.ok and r.info is not None and r.info.tracking_number == r.number for r in results)
    assert cluster.sandbox.fake("usps").calls["token"] == 1  # four processes, one token


def test_track_chunk_reports_errors_per_number(cluster: Cluster) -> None:
    from carrier_sdk.celery import RemoteTrackingResult, track_chunk

    good = usps_numbers(1, start=5000)[0]
    raw = track_chunk.delay([good, "NOT-A-NUMBER"], "usps").get(timeout=60)
    results = {r.number: r for r in map(RemoteTrackingResult.from_json, raw)}
    assert results[good].ok
    assert not results["NOT-A-NUMBER"].ok
    assert results["NOT-A-NUMBER"].error_type == "ValidationError"


def test_buy_labels_has_per_item_results_and_redelivery_buys_nothing_twice(cluster: Cluster) -> None:
    from carrier_sdk.celery import PurchaseOutcome, buy_labels, purchase_item

    items = [
        purchase_item("cainiao", cross_border_request("A-1")),
        purchase_item("cainiao", cross_border_request("A-2")),
        {"carrier": "cainiao", "request": {"bogus": True}, "idempotency_key": "bad-1"},
    ]
    # The same task twice at once stands for a broker redelivery racing the original.
    first, second = buy_labels.delay(items), buy_labels.delay(items)
    one = [PurchaseOutcome.from_json(r) for r in first.get(timeout=90)]
    two = [PurchaseOutcome.from_json(r) for r in second.get(timeout=90)]
    orders = cluster.sandbox.fake("cainiao").calls["create_shipment"]
    print(f"\nbuy_labels sent twice with 2 good items and 1 bad: {orders} orders bought")
    assert [o.idempotency_key for o in one] == [i["idempotency_key"] for i in items]
    for a, b in zip(one[:2], two[:2], strict=True):
        assert a.shipment is not None
        assert b.shipment is not None
        assert a.shipment.tracking_number == b.shipment.tracking_number
    assert one[2].error_type == "ValidationError"
    assert orders == 2
    state = RedisState(cluster.state_url)
    try:
        record = state.purchase("cainiao", items[0]["idempotency_key"])
    finally:
        state.close()
    assert record is not None
    assert record.status is PurchaseStatus.DONE


def test_watch_tick_runs_one_watcher_round_and_the_beat_entry_names_it(cluster: Cluster) -> None:
    from carrier_sdk.celery import beat_schedule, watch_tick
    from carrier_sdk.state import RedisWatchStore
    from carrier_sdk.watch import Watcher

    store = RedisWatchStore(cluster.watch_url)  # the workers' store: shared by every machine
    with _plain_client(cluster) as client, Watcher(client, store) as watcher:
        for number in usps_numbers(3, start=7000):
            watcher.add(number, carrier="usps")
    outcome = watch_tick.delay().get(timeout=60)
    print(f"\nwatch_tick: {outcome}")
    assert outcome["skipped"] is False
    assert outcome["calls"] >= 1  # the watcher's pacer spreads the first calls over the window
    assert outcome["changes"] == outcome["calls"]  # each first poll is a change
    polled = [p for p in store.parcels() if p.last_polled_at is not None]
    store.close()
    assert len(polled) == outcome["calls"]
    # One round at a time across workers: a held lease makes a tick skip.
    state = RedisState(cluster.state_url)
    try:
        assert state.acquire("carrier_sdk:watch_tick", "someone-else", 30)
        assert watch_tick.delay().get(timeout=60)["skipped"] is True
        state.release("carrier_sdk:watch_tick", "someone-else")
    finally:
        state.close()
    entry = beat_schedule(60)["carrier-sdk-watch-tick"]
    assert entry["task"] == watch_tick.name
    assert entry["schedule"] == 60.0


def _plain_client(cluster: Cluster) -> Any:
    from carrier_sdk import Client, RateLimit

    return Client(cluster.server.settings(), rate_limits={"usps": RateLimit.per_second(1000)})
