"""The Celery app of benchmarks/celery_scale.py (``celery -A _celery_bench_app worker``).

Each worker process tracks against its own in-process sandbox (no HTTP), with the shared state
named by ``CARRIER_SDK_STATE_URL`` (``memory://`` or the benchmark's redis-server).
"""

from __future__ import annotations

import os

from celery import Celery

import carrier_sdk.celery
from carrier_sdk import Client

broker = os.environ["CARRIER_SDK_BENCH_BROKER"]
app = Celery("carrier_sdk_bench", broker=broker, backend=broker, include=["carrier_sdk.celery"])
app.conf.update(
    worker_prefetch_multiplier=1,
    broker_connection_retry_on_startup=True,
    result_expires=3600,
    worker_hijack_root_logger=False,
)
carrier_sdk.celery.configure(client=lambda: Client(sandbox=True))
