"""The Redis watch store passes the watch store contract, against a real redis-server."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from carrier_sdk.state import RedisWatchStore
from carrier_sdk.watch import Store
from carrier_sdk.watch.contract import StoreContract


class TestRedisWatchStore(StoreContract):
    @pytest.fixture(autouse=True)
    def _redis(self, redis_url: str) -> None:
        self.url = redis_url
        self.stores: list[RedisWatchStore] = []

    def make_store(self) -> Store:
        store = RedisWatchStore(self.url, namespace=f"test:{uuid.uuid4().hex}")
        self.stores.append(store)
        return store

    @pytest.fixture(autouse=True)
    def _close(self) -> Any:
        yield
        for store in getattr(self, "stores", []):
            store.close()
