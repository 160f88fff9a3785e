"""The Celery app the worker processes of tests/test_celery.py run (``celery -A _celery_app worker``).

Broker, result backend and shared state are the test's redis-server; the carriers are the test's
loopback sandbox (settings in ``CARRIER_SDK_TEST_SETTINGS``).
"""

from __future__ import annotations

import json
import os

from celery import Celery

import carrier_sdk.celery
from carrier_sdk import Client, RateLimit

broker = os.environ["CARRIER_SDK_TEST_BROKER"]
app = Celery("carrier_sdk_tests", broker=broker, backend=broker, include=["carrier_sdk.celery"])
app.conf.update(
    task_acks_late=True,
    worker_prefetch_multiplier=1,
    broker_connection_retry_on_startup=True,
    result_expires=600,
    worker_hijack_root_logger=False,
)


def _client() -> Client:
    # The sandbox has no quota; USPS's default client-side limit (60/h) would throttle the tests.
    limits = {"usps": RateLimit.per_second(1000)}
    return Client(json.loads(os.environ["CARRIER_SDK_TEST_SETTINGS"]), rate_limits=limits, deadline=30)


def _store() -> object:
    from carrier_sdk.state import RedisWatchStore

    return RedisWatchStore(os.environ["CARRIER_SDK_TEST_WATCH_URL"])


carrier_sdk.celery.configure(client=_client, watch_store=_store)  # type: ignore[arg-type]
