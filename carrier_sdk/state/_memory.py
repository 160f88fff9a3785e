"""The in-memory backend: one process, today's behaviour, the default."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from .._ratelimit import RateLimit, RateLimiter, Window
from ._base import (
    LocalTokenCache,
    PurchaseRecord,
    PurchaseStatus,
    SharedRateLimiter,
    StateBackend,
    claim_purchase,
    hashed,
    headroom_in,
    reserve_in,
)

__all__ = ["MemoryState"]


class MemoryState(StateBackend):
    """State kept in this process (threads and tasks share it; other processes do not).

    Settled ledger records are kept ``ledger_ttl`` seconds (they hold the label bought), then
    forgotten. Clients get the classic :class:`~carrier_sdk._ratelimit.RateLimiter` (with the client's
    injected clock, so tests run in virtual time) and a per-carrier token cache, exactly as
    without shared state. The ledger still stops two threads buying with one key.

    .. versionadded:: 0.2
    """

    shared = False

    def __init__(self, *, clock: Callable[[], float] = time.time, ledger_ttl: float = 3600.0) -> None:
        self.url = "memory://"
        self._clock = clock
        self.ledger_ttl = ledger_ttl
        self._ledger_touched: dict[str, float] = {}
        self._pruned_at = 0.0
        self._lock = threading.Lock()
        self._histories: dict[str, list[list[float]]] = {}
        self._paused: dict[str, float] = {}
        self._tokens: dict[str, tuple[str, float]] = {}
        self._leases: dict[str, tuple[str, float]] = {}
        self._flights: dict[str, tuple[bytes, float]] = {}
        self._ledger: dict[str, dict[str, Any]] = {}
        self._limiters: dict[str, RateLimiter] = {}

    def __repr__(self) -> str:
        return "<MemoryState>"

    def now(self) -> float:
        return self._clock()

    def limiter(
        self, carrier: str, credential: str, limit: RateLimit | None, clock: Callable[[], float]
    ) -> RateLimiter | SharedRateLimiter:
        """Today's in-process :class:`RateLimiter`, one per ``(carrier, credential)``."""
        key = f"{carrier}:{hashed(carrier, credential)}"
        with self._lock:
            limiter = self._limiters.get(key)
            if limiter is None:
                limiter = self._limiters[key] = RateLimiter(limit, clock)
            return limiter

    def token_cache(self, carrier: str, credential: str) -> LocalTokenCache:
        """A fresh per-carrier-instance cache, as without shared state."""
        return LocalTokenCache()

    def reserve(self, key: str, windows: Sequence[Window], within: float | None = None) -> float:
        with self._lock:
            now = self._clock()
            at, self._histories[key] = reserve_in(
                self._histories.get(key, []), windows, self._paused.get(key, 0.0), now, within
            )
            return at - now

    def headroom(self, key: str, windows: Sequence[Window]) -> int | None:
        with self._lock:
            return headroom_in(self._histories.get(key, []), windows, self._paused.get(key, 0.0), self._clock())

    def pause(self, key: str, seconds: float) -> None:
        with self._lock:
            self._paused[key] = max(self._paused.get(key, 0.0), self._clock() + seconds)

    def reset_limit(self, key: str) -> None:
        with self._lock:
            self._histories.pop(key, None)

    def get_token(self, key: str) -> tuple[str, float] | None:
        with self._lock:
            entry = self._tokens.get(key)
            if entry is not None and self._clock() >= entry[1]:
                del self._tokens[key]
                return None
            return entry

    def put_token(self, key: str, value: str, refresh_at: float) -> None:
        with self._lock:
            self._tokens[key] = (value, refresh_at)

    def invalidate_token(self, key: str, value: str) -> None:
        with self._lock:
            if key in self._tokens and self._tokens[key][0] == value:
                del self._tokens[key]

    def acquire(self, key: str, owner: str, lease: float) -> bool:
        with self._lock:
            now = self._clock()
            held = self._leases.get(key)
            if held is not None and held[0] != owner and now < held[1]:
                return False
            self._leases[key] = (owner, now + lease)
            return True

    def release(self, key: str, owner: str) -> None:
        with self._lock:
            held = self._leases.get(key)
            if held is not None and held[0] == owner:
                del self._leases[key]

    def put_flight(self, key: str, payload: bytes, ttl: float) -> None:
        with self._lock:
            self._flights[key] = (payload, self._clock() + ttl)

    def get_flight(self, key: str) -> bytes | None:
        with self._lock:
            entry = self._flights.get(key)
            if entry is None or self._clock() >= entry[1]:
                self._flights.pop(key, None)
                return None
            return entry[0]

    def _prune(self, now: float) -> None:
        """Forget records untouched for ``ledger_ttl`` (a long-running process must not grow)."""
        if now - self._pruned_at < 60:
            return
        self._pruned_at = now
        for key, touched in list(self._ledger_touched.items()):
            if now - touched > self.ledger_ttl and self._ledger.get(key, {}).get("status") != "pending":
                self._ledger.pop(key, None)
                del self._ledger_touched[key]

    def begin_purchase(self, key: str, owner: str, lease: float, fingerprint: str = "") -> PurchaseRecord:
        with self._lock:
            now = self._clock()
            self._prune(now)
            self._ledger_touched[key] = now
            record, data = claim_purchase(key, self._ledger.get(key), owner, lease, fingerprint, now)
            if data is not None:
                self._ledger[key] = data
            return record

    def finish_purchase(
        self, key: str, owner: str, status: PurchaseStatus, *, result: str | None = None, detail: str = ""
    ) -> bool:
        with self._lock:
            data = self._ledger.get(key)
            if data is None or data["owner"] != owner or data["status"] not in ("pending", "unknown"):
                return False
            self._ledger[key] = {**data, "status": status.value, "result": result, "detail": detail}
            self._ledger_touched[key] = self._clock()
            return True

    def get_purchase(self, key: str) -> PurchaseRecord | None:
        with self._lock:
            data = self._ledger.get(key)
            return None if data is None else PurchaseRecord.from_json(key, data, self._clock())

    def forget_purchase(self, key: str) -> None:
        with self._lock:
            self._ledger.pop(key, None)
            self._ledger_touched.pop(key, None)
