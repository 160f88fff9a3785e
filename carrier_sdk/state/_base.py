"""The state interface every backend implements, and the objects the clients build on it.

A backend stores five kinds of shared facts under string keys:

* rate-limit histories (the last ``calls`` reservations of each window) and a pause deadline,
  changed only through one atomic :meth:`StateBackend.reserve` / :meth:`StateBackend.pause`;
* tokens (value + refresh deadline, with the deadline as the entry's expiry);
* short leases (:meth:`StateBackend.acquire`) for single-flight work across processes, and the
  shared response of such a flight (:meth:`StateBackend.put_flight`);
* purchase-ledger records (:class:`PurchaseRecord`).

Backends are thread-safe. Times are the backend's own clock (Redis: the server's ``TIME``;
SQLite and memory: the wall clock), so several machines agree on one clock.
"""

from __future__ import annotations

import abc
import enum
import hashlib
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, Protocol

import attrs

from .._ratelimit import RateLimit, RateLimiter, Window

__all__ = [
    "LocalTokenCache",
    "PurchaseRecord",
    "PurchaseStatus",
    "SharedRateLimiter",
    "SharedTokenCache",
    "StateBackend",
    "TokenCache",
    "claim_purchase",
    "reserve_in",
]


class TokenCache(Protocol):
    """Where an adapter keeps its tokens (see :meth:`carrier_sdk.adapters.Carrier.use_token_cache`)."""

    def get(self, key: tuple[str, ...], now: float, *, stale: str | None = None) -> str | None:
        """The live token of ``key`` at ``now`` (wall clock), unless it is ``stale``."""

    def put(self, key: tuple[str, ...], value: str, refresh_at: float) -> None:
        """Keep ``value`` until ``refresh_at``."""

    def invalidate(self, key: tuple[str, ...], value: str) -> None:
        """Forget ``value`` (rejected by the carrier) unless already replaced."""


class PurchaseStatus(enum.Enum):
    """Where one idempotency key's purchase stands in the ledger."""

    PENDING = "pending"  #: A caller holds the key and is buying now (until its lease expires).
    DONE = "done"  #: Bought; the record holds the result.
    FAILED = "failed"  #: Surely not bought (the carrier refused, bad input); the key may be used again.
    UNKNOWN = "unknown"  #: May or may not have been bought (crash, lost response), so reconcile.


@attrs.frozen(kw_only=True)
class PurchaseRecord:
    """One ledger entry.

    Attributes:
        key: The ledger key (carrier code and idempotency key).
        status: The :class:`PurchaseStatus`.
        owner: The caller that holds or held the key (a random id per attempt).
        lease_until: When a ``pending`` entry turns ``unknown`` (backend clock, epoch seconds).
        result: The purchase's result as JSON text (``done`` only).
        detail: Why it failed or is unknown.
        fingerprint: A digest of the request bought under the key.
        now: The backend clock when the record was read.
    """

    key: str
    status: PurchaseStatus
    owner: str = ""
    lease_until: float = 0.0
    result: str | None = attrs.field(default=None, repr=False)
    detail: str = ""
    fingerprint: str = ""
    now: float = 0.0

    def to_json(self) -> dict[str, Any]:
        """Plain data for storage."""
        return {
            "status": self.status.value,
            "owner": self.owner,
            "lease_until": self.lease_until,
            "result": self.result,
            "detail": self.detail,
            "fingerprint": self.fingerprint,
        }

    @classmethod
    def from_json(cls, key: str, data: dict[str, Any], now: float) -> PurchaseRecord:
        """The record stored as ``data``, read at ``now``; an expired lease reads as ``unknown``."""
        record = cls(
            key=key,
            status=PurchaseStatus(data["status"]),
            owner=str(data.get("owner") or ""),
            lease_until=float(data.get("lease_until") or 0.0),
            result=data.get("result"),
            detail=str(data.get("detail") or ""),
            fingerprint=str(data.get("fingerprint") or ""),
            now=now,
        )
        if record.status is PurchaseStatus.PENDING and now >= record.lease_until:
            return attrs.evolve(
                record, status=PurchaseStatus.UNKNOWN, detail="the holder's lease expired before it reported an outcome"
            )
        return record


def claim_purchase(
    key: str, stored: dict[str, Any] | None, owner: str, lease: float, fingerprint: str, now: float
) -> tuple[PurchaseRecord, dict[str, Any] | None]:
    """:meth:`StateBackend.begin_purchase`'s rule, for a backend that reads and writes the ledger
    entry in one transaction: ``stored`` is the entry as stored (``None``: absent).

    Returns the record to answer with, and the entry to store (``None``: leave it as it is).
    """
    if stored is not None:
        record = PurchaseRecord.from_json(key, stored, now)
        if record.status is not PurchaseStatus.FAILED and not (
            record.status is PurchaseStatus.PENDING and record.owner == owner
        ):
            if record.status is PurchaseStatus.UNKNOWN and stored["status"] == "pending":
                return record, record.to_json()  # the expired lease turns unknown for good
            return record, None
    data = {
        "status": "pending",
        "owner": owner,
        "lease_until": now + lease,
        "result": None,
        "detail": "",
        "fingerprint": fingerprint,
    }
    return PurchaseRecord.from_json(key, data, now), data


def reserve_in(
    histories: list[list[float]],
    windows: Sequence[Window],
    paused_until: float,
    now: float,
    within: float | None = None,
) -> tuple[float, list[list[float]]]:
    """The reservation rule of :class:`~carrier_sdk._ratelimit.RateLimiter`, on plain lists.

    ``histories[i]`` holds the last ``windows[i].calls`` reserved instants (oldest first). The
    slot is the earliest instant at or after ``now`` and the pause at which every window has
    room; it is appended to every history, unless ``within`` is given and the slot is not less
    than ``within`` seconds away (then nothing is taken). Returns ``(slot, new histories)``.
    """
    at = max(now, paused_until)
    fitted = [list(h) for h in histories] + [[] for _ in range(len(windows) - len(histories))]
    for window, history in zip(windows, fitted, strict=False):
        del history[: max(0, len(history) - window.calls)]
        if len(history) == window.calls:
            at = max(at, history[0] + window.seconds)
    if within is not None and at - now >= within:
        return at, [list(h) for h in histories]
    for window, history in zip(windows, fitted, strict=False):
        history.append(at)
        del history[: max(0, len(history) - window.calls)]
        # An instant that left the window can never hold a later slot back: drop it (same rule).
        while history and history[0] + window.seconds <= now:
            del history[0]
    return at, fitted[: len(windows)]


def headroom_in(histories: list[list[float]], windows: Sequence[Window], paused_until: float, now: float) -> int | None:
    """Free slots now under :func:`reserve_in`'s rule (``None`` when there is no window)."""
    if paused_until > now:
        return 0
    if not windows:
        return None
    free = []
    for i, window in enumerate(windows):
        history = histories[i][-window.calls :] if i < len(histories) else []
        free.append(window.calls - sum(1 for at in history if at + window.seconds > now))
    return max(0, min(free))


def hashed(*parts: str) -> str:
    """A fixed-length key for ``parts`` (no identifier or credential appears in the store)."""
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:40]


class StateBackend(abc.ABC):
    """Shared state for clients in one or many processes (see the module docstring).

    Implementations: :class:`~carrier_sdk.state.MemoryState` (one process, the default),
    :class:`~carrier_sdk.state.SQLiteState` (processes of one machine) and
    :class:`~carrier_sdk.state.RedisState` (many machines). Every method raises
    :class:`~carrier_sdk.StateBackendError` when the backend fails.

    .. versionadded:: 0.2
    """

    #: Whether several processes can share this backend (``False`` for memory).
    shared: bool = True
    #: The backend's address, without any password (for messages).
    url: str = ""

    # -- clock, limits ---------------------------------------------------------------------

    @abc.abstractmethod
    def now(self) -> float:
        """The backend's clock, epoch seconds."""

    @abc.abstractmethod
    def reserve(self, key: str, windows: Sequence[Window], within: float | None = None) -> float:
        """Reserve the next slot under ``windows`` for ``key``; seconds to wait before using it.

        With ``within``, the slot is taken only when it is less than ``within`` seconds away."""

    @abc.abstractmethod
    def headroom(self, key: str, windows: Sequence[Window]) -> int | None:
        """How many slots ``key`` could reserve now without waiting (``None``: no window); reserves nothing."""

    @abc.abstractmethod
    def pause(self, key: str, seconds: float) -> None:
        """Hold every reservation of ``key`` for ``seconds`` from now (a 429's ``Retry-After``)."""

    @abc.abstractmethod
    def reset_limit(self, key: str) -> None:
        """Forget ``key``'s history (a new limit starts afresh; a pause is kept)."""

    async def areserve(self, key: str, windows: Sequence[Window], within: float | None = None) -> float:
        """Async :meth:`reserve` (default: in a worker thread)."""
        import asyncio

        return await asyncio.to_thread(self.reserve, key, windows, within)

    # -- tokens ------------------------------------------------------------------------------

    @abc.abstractmethod
    def get_token(self, key: str) -> tuple[str, float] | None:
        """``(value, refresh_at)`` of a live token, or ``None``."""

    @abc.abstractmethod
    def put_token(self, key: str, value: str, refresh_at: float) -> None:
        """Store a token until ``refresh_at`` (epoch seconds; the entry expires then)."""

    @abc.abstractmethod
    def invalidate_token(self, key: str, value: str) -> None:
        """Forget the token of ``key`` if it is still ``value``."""

    # -- leases and shared flights ---------------------------------------------------------

    @abc.abstractmethod
    def acquire(self, key: str, owner: str, lease: float) -> bool:
        """Take the lease ``key`` for ``lease`` seconds unless another owner holds it."""

    @abc.abstractmethod
    def release(self, key: str, owner: str) -> None:
        """Give the lease back if ``owner`` still holds it."""

    @abc.abstractmethod
    def put_flight(self, key: str, payload: bytes, ttl: float) -> None:
        """Publish a single-flight result for ``ttl`` seconds."""

    @abc.abstractmethod
    def get_flight(self, key: str) -> bytes | None:
        """The published single-flight result, or ``None``."""

    # -- purchase ledger ---------------------------------------------------------------------

    @abc.abstractmethod
    def begin_purchase(self, key: str, owner: str, lease: float, fingerprint: str = "") -> PurchaseRecord:
        """Atomically claim ``key`` for ``owner`` unless it is held, done or unknown.

        A free key (absent or ``failed``) becomes ``pending`` for ``owner`` until ``lease``
        seconds from now, noting ``fingerprint`` (a digest of the request); otherwise the record
        as it stands is returned (a ``pending`` record whose lease has expired turns ``unknown``,
        and stays so).
        """

    @abc.abstractmethod
    def finish_purchase(
        self, key: str, owner: str, status: PurchaseStatus, *, result: str | None = None, detail: str = ""
    ) -> bool:
        """Record the outcome of ``owner``'s purchase; ``False`` when ``owner`` no longer holds it."""

    @abc.abstractmethod
    def get_purchase(self, key: str) -> PurchaseRecord | None:
        """The ledger record of ``key``, or ``None``."""

    @abc.abstractmethod
    def forget_purchase(self, key: str) -> None:
        """Drop the record of ``key`` (after reconciling an ``unknown`` purchase by hand)."""

    def close(self) -> None:  # noqa: B027 - optional for backends without resources
        """Release connections."""

    async def aclose_loop(self) -> None:  # noqa: B027 - optional for backends without async resources
        """Release the running event loop's connections (``AsyncClient.aclose`` calls it;
        later async calls reconnect)."""

    # -- built on the primitives -----------------------------------------------------------

    def limiter(
        self, carrier: str, credential: str, limit: RateLimit | None, clock: Callable[[], float]
    ) -> RateLimiter | SharedRateLimiter:
        """The rate limiter a client uses for ``(carrier, credential)``."""
        return SharedRateLimiter(self, f"{carrier}:{hashed(carrier, credential)}", limit)

    def token_cache(self, carrier: str, credential: str) -> LocalTokenCache:
        """The token cache an adapter uses for ``(carrier, credential)``."""
        return SharedTokenCache(self, f"{carrier}:{hashed(carrier, credential)}")

    @staticmethod
    def purchase_key(carrier: str, idempotency_key: str) -> str:
        """The ledger key of ``idempotency_key`` at ``carrier``."""
        return f"{carrier}:{hashed(carrier, idempotency_key)}"

    def purchase(self, carrier: str, idempotency_key: str) -> PurchaseRecord | None:
        """The ledger record of ``idempotency_key`` at ``carrier``, or ``None``."""
        return self.get_purchase(self.purchase_key(carrier, idempotency_key))

    def wait_for_purchase(
        self, carrier: str, idempotency_key: str, *, timeout: float = 120.0, poll: float = 0.1
    ) -> PurchaseRecord | None:
        """Block until the purchase of ``idempotency_key`` is no longer ``pending`` (or ``timeout``).

        Returns the settled record (``done``, ``failed`` or ``unknown``), the ``pending`` one when
        ``timeout`` ran out, or ``None`` when the key is not in the ledger.
        """
        end = time.monotonic() + timeout
        while True:
            record = self.purchase(carrier, idempotency_key)
            if record is None or record.status is not PurchaseStatus.PENDING or time.monotonic() >= end:
                return record
            time.sleep(max(0.0, min(poll, end - time.monotonic())))

    def forget(self, carrier: str, idempotency_key: str) -> None:
        """Drop the ledger record of ``idempotency_key`` (once an ``unknown`` one is reconciled)."""
        self.forget_purchase(self.purchase_key(carrier, idempotency_key))


class SharedRateLimiter:
    """A :class:`~carrier_sdk._ratelimit.RateLimiter` whose history lives in a backend.

    Same reservation semantics: :meth:`reserve` returns how long to wait, the caller sleeps.
    """

    def __init__(self, backend: StateBackend, key: str, limit: RateLimit | None) -> None:
        self.backend = backend
        self.key = key
        self.limit = limit

    def __repr__(self) -> str:
        return f"<SharedRateLimiter {self.limit!r} on {self.backend.url}>"

    def reconfigure(self, limit: RateLimit | None) -> None:
        """Switch to ``limit`` (history restarts; a pending pause is kept)."""
        self.limit = limit
        self.backend.reset_limit(self.key)

    def reserve(self, within: float | None = None) -> float:
        """Reserve the next slot; seconds to wait before using it (taken only when less than
        ``within`` seconds away, when given)."""
        return self.backend.reserve(self.key, self.limit.windows if self.limit else (), within)

    async def areserve(self, within: float | None = None) -> float:
        """Async :meth:`reserve`."""
        return await self.backend.areserve(self.key, self.limit.windows if self.limit else (), within)

    def headroom(self) -> int | None:
        """How many slots could be reserved now without waiting (``None``: no limit); reserves nothing."""
        return self.backend.headroom(self.key, self.limit.windows if self.limit else ())

    def pause(self, seconds: float) -> None:
        """Hold every caller sharing this limit for ``seconds`` (all processes)."""
        self.backend.pause(self.key, seconds)


class LocalTokenCache:
    """Tokens of one process, by key, each with a refresh deadline (wall clock)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tokens: dict[tuple[str, ...], tuple[str, float]] = {}

    def __repr__(self) -> str:
        return f"<LocalTokenCache {len(self._tokens)} token(s)>"

    def get(self, key: tuple[str, ...], now: float, *, stale: str | None = None) -> str | None:
        """The cached token unless due for refresh or equal to ``stale`` (a token just rejected)."""
        with self._lock:
            entry = self._tokens.get(key)
        if entry is None or now >= entry[1] or (stale is not None and entry[0] == stale):
            return None
        return entry[0]

    def put(self, key: tuple[str, ...], value: str, refresh_at: float) -> None:
        """Cache ``value`` until ``refresh_at``."""
        with self._lock:
            self._tokens[key] = (value, refresh_at)

    def invalidate(self, key: tuple[str, ...], value: str) -> None:
        """Forget ``value`` unless another caller already replaced it."""
        with self._lock:
            if key in self._tokens and self._tokens[key][0] == value:
                del self._tokens[key]

    def clear(self) -> None:
        """Forget every token of this process."""
        with self._lock:
            self._tokens.clear()


class SharedTokenCache(LocalTokenCache):
    """A token cache read through to a backend: one token per key for every process.

    The process keeps a copy until the token's refresh deadline, so a hot path costs no
    round trip; :meth:`invalidate` (a 401) drops both copies. Values never appear in a repr,
    log or error; the backend keeps each one until its refresh deadline (the entry's TTL).
    """

    def __init__(self, backend: StateBackend, prefix: str) -> None:
        super().__init__()
        self.backend = backend
        self.prefix = prefix

    def __repr__(self) -> str:
        return f"<SharedTokenCache on {self.backend.url}>"

    def _key(self, key: tuple[str, ...]) -> str:
        return f"{self.prefix}:{hashed(*key)}"

    def get(self, key: tuple[str, ...], now: float, *, stale: str | None = None) -> str | None:
        """The token for ``key``: this process's copy, else the backend's."""
        local = super().get(key, now, stale=stale)
        if local is not None:
            return local
        found = self.backend.get_token(self._key(key))
        if found is None:
            return None
        value, refresh_at = found
        if now >= refresh_at or (stale is not None and value == stale):
            return None
        super().put(key, value, refresh_at)
        return value

    def put(self, key: tuple[str, ...], value: str, refresh_at: float) -> None:
        """Store ``value`` here and in the backend until ``refresh_at``."""
        super().put(key, value, refresh_at)
        self.backend.put_token(self._key(key), value, refresh_at)

    def invalidate(self, key: tuple[str, ...], value: str) -> None:
        """Forget ``value`` here and in the backend (unless already replaced there)."""
        super().invalidate(key, value)
        self.backend.invalidate_token(self._key(key), value)
