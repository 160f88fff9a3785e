"""A watch store in Redis: every watcher on every machine shares one set of parcels and one outbox."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

from .._exceptions import ConfigurationError
from ..watch._model import ParcelState, TrackingChange, WatchedParcel
from ..watch._store import CommitBatch, ParcelQuery, Store
from ._redis import connection_options, redact_url, redis_errors

__all__ = ["RedisWatchStore"]

T = TypeVar("T")

# KEYS: parcels hash, due zset; ARGV: key, json, score ('' when not watching), number-set key
_ADD = """
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 0 then return 0 end
if ARGV[3] ~= '' then redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1]) end
redis.call('SADD', ARGV[4], ARGV[1])
return 1
"""

# KEYS: parcels hash, due zset; ARGV: key, number-set key
_REMOVE = """
if redis.call('HDEL', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('SREM', ARGV[2], ARGV[1])
return 1
"""

# KEYS: parcels hash, due zset, outbox zset, changes hash, delivered set, sequence
# ARGV[1]: JSON {u = updates, a = additions, c = changes}; a parcel is {k, j, s, n}, a change {i, j}
_COMMIT = """
local batch = cjson.decode(ARGV[1])
for _, p in ipairs(batch.u) do
  if redis.call('HEXISTS', KEYS[1], p.k) == 1 then
    redis.call('HSET', KEYS[1], p.k, p.j)
    if p.s ~= '' then redis.call('ZADD', KEYS[2], p.s, p.k) else redis.call('ZREM', KEYS[2], p.k) end
  end
end
for _, p in ipairs(batch.a) do
  if redis.call('HSETNX', KEYS[1], p.k, p.j) == 1 then
    if p.s ~= '' then redis.call('ZADD', KEYS[2], p.s, p.k) end
    redis.call('SADD', p.n, p.k)
  end
end
local queued = {}
for _, c in ipairs(batch.c) do
  if not redis.call('ZSCORE', KEYS[3], c.i) and redis.call('SISMEMBER', KEYS[5], c.i) == 0 then
    redis.call('ZADD', KEYS[3], redis.call('INCR', KEYS[6]), c.i)
    redis.call('HSET', KEYS[4], c.i, c.j)
    table.insert(queued, c.i)
  end
end
return cjson.encode(queued)
"""

# KEYS: outbox zset, changes hash, delivered set; ARGV: change ids
_DELIVERED = """
for _, id in ipairs(ARGV) do
  if redis.call('ZREM', KEYS[1], id) == 1 then
    redis.call('HDEL', KEYS[2], id)
    redis.call('SADD', KEYS[3], id)
  end
end
return 1
"""


def _dump(parcel: WatchedParcel) -> str:
    from .._serialization import to_dict

    return json.dumps(to_dict(parcel), separators=(",", ":"))


def _load(text: bytes | str) -> WatchedParcel:
    from .._serialization import from_dict

    return from_dict(WatchedParcel, json.loads(text))


def _members(raw: Any) -> list[bytes]:
    """Sorted-set members as bytes (redis-py types them loosely)."""
    return [m if isinstance(m, bytes) else str(m).encode() for m in raw]


def _score(parcel: WatchedParcel) -> str:
    if parcel.state != ParcelState.WATCHING:
        return ""
    return "+inf" if math.isinf(parcel.next_poll_at) else repr(float(parcel.next_poll_at))


class RedisWatchStore(Store):
    """The watcher's :class:`~carrier_sdk.watch.Store` in Redis, for watchers on many machines.

    Parcels live in one hash, the due ones in a sorted set scored by ``next_poll_at``, and the
    outbox in a sorted set in arrival order; :meth:`commit` and every other write is one Lua
    script, so it is atomic. Passes :class:`carrier_sdk.watch.contract.StoreContract`.

    Args:
        url: ``redis://host:6379/0`` (see :class:`~carrier_sdk.state.RedisState`).
        namespace: Prefix of every key (one namespace per watched population).
        socket_timeout: Finite per-command timeout, in seconds.

    .. versionadded:: 0.2
    """

    def __init__(self, url: str, *, namespace: str = "carrier_sdk:watch", socket_timeout: float = 5.0) -> None:
        try:
            import redis
        except ImportError:
            raise ConfigurationError("RedisWatchStore needs redis-py: pip install 'carrier-sdk[redis]'") from None
        self.url = redact_url(url)
        ns = "{" + namespace + "}"  # one hash slot for the whole store (Redis Cluster)
        self._parcels, self._due, self._outbox = f"{ns}:parcels", f"{ns}:due", f"{ns}:outbox"
        self._changes, self._delivered, self._seq = f"{ns}:changes", f"{ns}:delivered", f"{ns}:seq"
        self._number_prefix = f"{ns}:number:"
        self._redis = redis.Redis.from_url(url, **connection_options(socket_timeout, 10))
        self._add = self._redis.register_script(_ADD)
        self._remove = self._redis.register_script(_REMOVE)
        self._commit = self._redis.register_script(_COMMIT)
        self._mark = self._redis.register_script(_DELIVERED)

    def __repr__(self) -> str:
        return f"<RedisWatchStore {self.url}>"

    def _call(self, operation: str, fn: Callable[[], T]) -> T:
        with redis_errors(f"Redis watch store {self.url}", operation, backend=self.url):
            return fn()

    @staticmethod
    def _key(carrier: str, number: str) -> str:
        return f"{carrier}\x1f{number}"

    def _number_key(self, number: str) -> str:
        return self._number_prefix + number

    def _parcel_args(self, parcel: WatchedParcel) -> dict[str, str]:
        return {
            "k": self._key(*parcel.key),
            "j": _dump(parcel),
            "s": _score(parcel),
            "n": self._number_key(parcel.number),
        }

    def _load_many(self, keys: Sequence[bytes | str]) -> list[WatchedParcel]:
        if not keys:
            return []
        raw = self._call("read", lambda: self._redis.hmget(self._parcels, list(keys)))
        return [_load(r) for r in raw if r is not None]

    def add(self, parcel: WatchedParcel) -> bool:
        a = self._parcel_args(parcel)
        args = [a["k"], a["j"], a["s"], a["n"]]
        return bool(self._call("add", lambda: self._add(keys=[self._parcels, self._due], args=args)))

    def remove(self, carrier: str, number: str) -> bool:
        args = [self._key(carrier, number), self._number_key(number)]
        return bool(self._call("remove", lambda: self._remove(keys=[self._parcels, self._due], args=args)))

    def get(self, carrier: str, number: str) -> WatchedParcel | None:
        raw = self._call("get", lambda: self._redis.hget(self._parcels, self._key(carrier, number)))
        return None if raw is None else _load(raw)

    def find(self, number: str) -> list[WatchedParcel]:
        keys = sorted(self._call("find", lambda: self._redis.smembers(self._number_key(number))))
        return sorted(self._load_many(keys), key=lambda p: p.key)

    def select(self, query: ParcelQuery) -> list[WatchedParcel]:
        due_before = query.due_before
        if due_before is None:
            everything = self._call("parcels", lambda: self._redis.hvals(self._parcels))
            return query.apply(map(_load, everything))
        # The due index holds exactly the watched parcels, by next_poll_at then key.
        if query.state is not None and query.state != ParcelState.WATCHING:
            return []
        keys = _members(
            self._call("parcels", lambda: self._redis.zrangebyscore(self._due, "-inf", repr(float(due_before))))
        )
        if query.carrier is not None:
            prefix = (query.carrier + "\x1f").encode()
            keys = [k for k in keys if k.startswith(prefix)]
        if query.limit is not None:
            keys = keys[: max(query.limit, 0)]
        return self._load_many(keys)

    def count(self, *, state: ParcelState | None = None) -> int:
        if state is None:
            return int(self._call("count", lambda: self._redis.hlen(self._parcels)))
        return len(self.parcels(state=state))

    def due_carriers(self, now: float) -> list[str]:
        keys = _members(
            self._call("due_carriers", lambda: self._redis.zrangebyscore(self._due, "-inf", repr(float(now))))
        )
        return sorted({k.split(b"\x1f", 1)[0].decode() for k in keys})

    def next_due(self) -> float | None:
        first = self._call("next_due", lambda: self._redis.zrange(self._due, 0, 0, withscores=True))
        return float(first[0][1]) if first else None

    def commit(self, batch: CommitBatch) -> list[TrackingChange]:
        by_id = {c.change_id: c for c in batch.changes}
        payload: dict[str, Any] = {
            "u": [self._parcel_args(p) for p in batch.updates],
            "a": [self._parcel_args(p) for p in batch.additions],
            "c": [{"i": c.change_id, "j": json.dumps(c.to_dict(), separators=(",", ":"))} for c in batch.changes],
        }
        keys = [self._parcels, self._due, self._outbox, self._changes, self._delivered, self._seq]
        # An empty Lua table encodes as {}: ipairs over it is fine either way.
        raw = self._call("commit", lambda: self._commit(keys=keys, args=[json.dumps(payload)]))
        queued = json.loads(raw)
        return [by_id[i] for i in (queued if isinstance(queued, list) else [])]

    def pending(self, limit: int | None = None) -> list[TrackingChange]:
        end = -1 if limit is None else max(limit, 0) - 1
        if end == -1 and limit == 0:
            return []
        ids = _members(self._call("pending", lambda: self._redis.zrange(self._outbox, 0, end)))
        if not ids:
            return []
        raw = self._call("pending", lambda: self._redis.hmget(self._changes, ids))
        return [TrackingChange.from_dict(json.loads(r)) for r in raw if r is not None]

    def mark_delivered(self, change_ids: Iterable[str]) -> None:
        ids = list(change_ids)
        if ids:
            keys = [self._outbox, self._changes, self._delivered]
            self._call("mark_delivered", lambda: self._mark(keys=keys, args=ids))

    def close(self) -> None:
        self._redis.close()
        self._redis.connection_pool.disconnect()
