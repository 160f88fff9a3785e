"""The Redis backend: processes on many machines share one Redis (redis-py, sync and asyncio).

Every change that must be atomic (a reservation, a pause, a lease, a ledger claim or outcome)
is one Lua script run on the server, timed by the server's own clock (``TIME``), so machines
with skewed clocks still share exact sliding windows. Tokens are stored with their refresh
deadline as the key's expiry and never logged.
"""

from __future__ import annotations

import contextlib
import json
import threading
import urllib.parse
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

from .._exceptions import ConfigurationError, StateBackendError
from .._ratelimit import Window
from ._base import PurchaseRecord, PurchaseStatus, StateBackend, headroom_in

__all__ = ["RedisState"]

T = TypeVar("T")

_NOW = "local t = redis.call('TIME')\nlocal now = tonumber(t[1]) + tonumber(t[2]) / 1000000\n"

# KEYS[1] pause deadline; KEYS[2..n+1] one list per window (reserved instants, oldest first);
# ARGV = within (-1: none), calls1, seconds1, calls2, seconds2, ... Every step is O(1): LLEN,
# LINDEX, RPUSH, LTRIM. A slot not less than ``within`` seconds away is not taken.
_RESERVE = (
    _NOW
    + """
local at = math.max(now, tonumber(redis.call('GET', KEYS[1]) or '0'))
local within = tonumber(ARGV[1])
local n = (#ARGV - 1) / 2
for i = 1, n do
  local calls = tonumber(ARGV[2 * i])
  local secs = tonumber(ARGV[2 * i + 1])
  local len = redis.call('LLEN', KEYS[i + 1])
  if len >= calls then
    local oldest = tonumber(redis.call('LINDEX', KEYS[i + 1], len - calls))
    if oldest + secs > at then at = oldest + secs end
  end
end
if within >= 0 and at - now >= within then return string.format('%.6f', at - now) end
local slot = string.format('%.6f', at)
for i = 1, n do
  local calls = tonumber(ARGV[2 * i])
  local secs = tonumber(ARGV[2 * i + 1])
  redis.call('RPUSH', KEYS[i + 1], slot)
  redis.call('LTRIM', KEYS[i + 1], -calls, -1)
  redis.call('PEXPIRE', KEYS[i + 1], math.ceil((at - now + secs) * 1000) + 1000)
end
return string.format('%.6f', at - now)
"""
)

# KEYS[1] pause deadline; ARGV[1] seconds to pause
_PAUSE = (
    _NOW
    + """
local until_ = math.max(tonumber(redis.call('GET', KEYS[1]) or '0'), now + tonumber(ARGV[1]))
redis.call('SET', KEYS[1], string.format('%.6f', until_), 'PX', math.ceil((until_ - now) * 1000) + 1000)
return 1
"""
)

# KEYS[1] pause deadline; KEYS[2..] window lists -> JSON {p, h = {list...}, now} (read only)
_READ_LIMIT = (
    _NOW
    + """
local h = {}
for i = 2, #KEYS do h[i - 1] = redis.call('LRANGE', KEYS[i], 0, -1) end
return cjson.encode({p = redis.call('GET', KEYS[1]) or '0', h = h, now = tostring(now)})
"""
)

#: Windows a limit may have in Redis (one list each).
MAX_WINDOWS = 8

_COMPARE_DELETE = """
local raw = redis.call('GET', KEYS[1])
if raw and raw == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""

_ACQUIRE = """
local cur = redis.call('GET', KEYS[1])
if (not cur) or cur == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
"""

# KEYS[1] ledger record; ARGV owner, lease seconds, keep seconds, fingerprint -> JSON {record, now}
_BEGIN = (
    _NOW
    + """
local raw = redis.call('GET', KEYS[1])
local keep = math.ceil(tonumber(ARGV[3]) * 1000)
if raw then
  local d = cjson.decode(raw)
  if d.status == 'pending' and now >= tonumber(d.lease_until) then
    d.status = 'unknown'
    d.detail = "the holder's lease expired before it reported an outcome"
    redis.call('SET', KEYS[1], cjson.encode(d), 'PX', keep)
  end
  if not (d.status == 'failed' or (d.status == 'pending' and d.owner == ARGV[1])) then
    return cjson.encode({record = d, now = tostring(now)})
  end
end
local d = {status = 'pending', owner = ARGV[1], lease_until = tostring(now + tonumber(ARGV[2])), detail = '',
           fingerprint = ARGV[4]}
redis.call('SET', KEYS[1], cjson.encode(d), 'PX', keep)
return cjson.encode({record = d, now = tostring(now)})
"""
)

# KEYS[1] ledger record; ARGV owner, status, result ('' for none), detail, keep seconds
_FINISH = """
local raw = redis.call('GET', KEYS[1])
if not raw then return 0 end
local d = cjson.decode(raw)
if d.owner ~= ARGV[1] or (d.status ~= 'pending' and d.status ~= 'unknown') then return 0 end
d.status = ARGV[2]
if ARGV[3] ~= '' then d.result = ARGV[3] end
d.detail = ARGV[4]
redis.call('SET', KEYS[1], cjson.encode(d), 'PX', math.ceil(tonumber(ARGV[5]) * 1000))
return 1
"""

_GET_PURCHASE = _NOW + "return {redis.call('GET', KEYS[1]), tostring(now)}\n"


def redact_url(url: str) -> str:
    """``url`` without its password (``redis://user:***@host:6379/0``)."""
    parts = urllib.parse.urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.hostname or ""
    if parts.port:
        netloc += f":{parts.port}"
    user = f"{parts.username}:***@" if parts.username else ":***@"
    return urllib.parse.urlunsplit(parts._replace(netloc=user + netloc))


def connection_options(socket_timeout: float, retries: int) -> dict[str, Any]:
    """redis-py options of every connection to a shared Redis: finite timeouts, and ``retries``
    retries of a lost connection with a capped exponential backoff (0.05 s doubling to 0.5 s)."""
    from redis.backoff import ExponentialBackoff
    from redis.exceptions import ConnectionError, TimeoutError
    from redis.retry import Retry

    return {
        "socket_timeout": socket_timeout,
        "socket_connect_timeout": min(socket_timeout, 2.0),
        "retry": Retry(ExponentialBackoff(cap=0.5, base=0.05), retries),
        "retry_on_error": [ConnectionError, TimeoutError],
        "health_check_interval": 0,
    }


@contextlib.contextmanager
def redis_errors(what: str, operation: str, *, backend: str, hint: str = "") -> Iterator[None]:
    """Turn a redis-py error inside the block into :class:`~carrier_sdk.StateBackendError`
    (``what`` names the store, ``hint`` ends the message); the cause is dropped, it may hold the URL."""
    import redis

    try:
        yield
    except redis.RedisError as err:
        text = str(err).splitlines()[0][:200] if str(err) else ""
        raise StateBackendError(
            f"{what} failed during {operation}: {type(err).__name__}: {text}{hint}",
            backend=backend,
            operation=operation,
        ) from None


class RedisState(StateBackend):
    """State in Redis, shared by every process on every machine that uses the same URL.

    Connection drops are retried for a few seconds (with backoff) before the call fails with
    :class:`~carrier_sdk.StateBackendError`; the scripts are safe to retry. For the purchase
    ledger to survive a Redis restart, run Redis with ``appendonly yes`` and
    ``appendfsync always`` (see "Running on many machines").

    Args:
        url: ``redis://[[user]:password@]host:port/db`` or ``rediss://`` (TLS) or
            ``unix:///path/redis.sock``.
        prefix: Namespace of every key.
        retry_for: Roughly how long a call keeps retrying a lost connection, in seconds.
        ledger_ttl: Seconds a ledger record (with the label bought) is kept after its last change.
        socket_timeout: Finite per-command timeout, in seconds.

    .. versionadded:: 0.2
    """

    def __init__(
        self,
        url: str,
        *,
        prefix: str = "carrier_sdk",
        retry_for: float = 5.0,
        ledger_ttl: float = 7 * 86400,
        socket_timeout: float = 5.0,
    ) -> None:
        try:
            import redis
        except ImportError:
            raise ConfigurationError("a redis:// state URL needs redis-py: pip install 'carrier-sdk[redis]'") from None
        self.url = redact_url(url)
        self._raw_url = url
        self.prefix = prefix
        self.retry_for = retry_for
        self.ledger_ttl = ledger_ttl
        self.socket_timeout = socket_timeout
        self._lock = threading.Lock()
        self._async: dict[int, Any] = {}
        self._redis = redis.Redis.from_url(url, **self._options())
        r = self._redis
        self._reserve = r.register_script(_RESERVE)
        self._pause = r.register_script(_PAUSE)
        self._read_limit = r.register_script(_READ_LIMIT)
        self._compare_delete = r.register_script(_COMPARE_DELETE)
        self._acquire = r.register_script(_ACQUIRE)
        self._begin = r.register_script(_BEGIN)
        self._finish = r.register_script(_FINISH)
        self._get_purchase = r.register_script(_GET_PURCHASE)

    def _options(self) -> dict[str, Any]:
        return connection_options(self.socket_timeout, max(0, int(self.retry_for / 0.5)))

    def __repr__(self) -> str:
        return f"<RedisState {self.url}>"

    def __getstate__(self) -> dict[str, Any]:
        return {
            "url": self._raw_url,
            "prefix": self.prefix,
            "retry_for": self.retry_for,
            "ledger_ttl": self.ledger_ttl,
            "socket_timeout": self.socket_timeout,
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        url = state.pop("url")
        self.__init__(url, **state)  # type: ignore[misc]

    def _k(self, kind: str, key: str) -> str:
        return f"{self.prefix}:{kind}:{key}"

    def _call(self, operation: str, fn: Callable[[], T]) -> T:
        hint = "; check that Redis is running and CARRIER_SDK_STATE_URL"
        with redis_errors(f"Redis state backend {self.url}", operation, backend=self.url, hint=hint):
            return fn()

    def ping(self) -> None:
        """Check the connection now (raises :class:`~carrier_sdk.StateBackendError`)."""
        self._call("ping", self._redis.ping)

    def close(self) -> None:
        self._redis.close()
        self._redis.connection_pool.disconnect()

    def now(self) -> float:
        seconds, micros = self._call("time", self._redis.time)
        return float(seconds) + micros / 1e6

    @staticmethod
    def _window_args(windows: Sequence[Window]) -> list[str]:
        args: list[str] = []
        for w in windows:
            args += [str(w.calls), repr(float(w.seconds))]
        return args

    def _limit_keys(self, key: str, windows: int) -> list[str]:
        if windows > MAX_WINDOWS:
            raise ConfigurationError(f"a shared rate limit has at most {MAX_WINDOWS} windows, got {windows}")
        base = self._k("limit", "{" + key + "}")  # one hash slot for every key of a limit (Redis Cluster)
        return [f"{base}:pause"] + [f"{base}:w{i}" for i in range(windows)]

    def reserve(self, key: str, windows: Sequence[Window], within: float | None = None) -> float:
        args = [_within_arg(within), *self._window_args(windows)]
        keys = self._limit_keys(key, len(windows))
        return float(self._call("reserve", lambda: self._reserve(keys=keys, args=args)))

    async def areserve(self, key: str, windows: Sequence[Window], within: float | None = None) -> float:
        script = self._async_script()
        with redis_errors(f"Redis state backend {self.url}", "reserve", backend=self.url):
            args = [_within_arg(within), *self._window_args(windows)]
            value = await script(keys=self._limit_keys(key, len(windows)), args=args)
        return float(value)

    def _async_script(self) -> Any:
        import asyncio

        import redis.asyncio

        loop = asyncio.get_running_loop()
        with self._lock:
            entry = self._async.get(id(loop))
            if entry is None or entry[0] is not loop:
                client = redis.asyncio.Redis.from_url(self._raw_url, **self._options())
                entry = (loop, client.register_script(_RESERVE), client)
                self._async = {k: v for k, v in self._async.items() if not v[0].is_closed()}
                self._async[id(loop)] = entry
            return entry[1]

    async def aclose_loop(self) -> None:
        import asyncio

        loop = asyncio.get_running_loop()
        with self._lock:
            entry = self._async.pop(id(loop), None)
        if entry is not None and entry[0] is loop:
            await entry[2].aclose()

    def headroom(self, key: str, windows: Sequence[Window]) -> int | None:
        keys = self._limit_keys(key, len(windows))
        data = json.loads(self._call("headroom", lambda: self._read_limit(keys=keys)))
        lists = data["h"] if isinstance(data["h"], list) else []  # an empty Lua table encodes as {}
        histories = [[float(t) for t in h] if isinstance(h, list) else [] for h in lists]
        return headroom_in(histories, windows, float(data["p"]), float(data["now"]))

    def pause(self, key: str, seconds: float) -> None:
        keys = self._limit_keys(key, 0)
        self._call("pause", lambda: self._pause(keys=keys, args=[repr(float(max(0.0, seconds)))]))

    def reset_limit(self, key: str) -> None:
        keys = self._limit_keys(key, MAX_WINDOWS)[1:]
        self._call("reset_limit", lambda: self._redis.delete(*keys))

    def get_token(self, key: str) -> tuple[str, float] | None:
        raw = self._call("get_token", lambda: self._redis.get(self._k("token", key)))
        if raw is None:
            return None
        text = raw.decode() if isinstance(raw, bytes) else str(raw)
        refresh_at, _, value = text.partition("|")
        return value, float(refresh_at)

    def put_token(self, key: str, value: str, refresh_at: float) -> None:
        stored = f"{refresh_at!r}|{value}"
        self._call("put_token", lambda: self._redis.set(self._k("token", key), stored, pxat=int(refresh_at * 1000)))

    def invalidate_token(self, key: str, value: str) -> None:
        k = self._k("token", key)

        def run() -> None:
            raw = self._redis.get(k)
            text = raw.decode() if isinstance(raw, bytes) else raw
            if text is not None and text.partition("|")[2] == value:
                self._compare_delete(keys=[k], args=[text])

        self._call("invalidate_token", run)

    def acquire(self, key: str, owner: str, lease: float) -> bool:
        ms = str(max(1, int(lease * 1000)))
        return bool(self._call("acquire", lambda: self._acquire(keys=[self._k("lease", key)], args=[owner, ms])))

    def release(self, key: str, owner: str) -> None:
        self._call("release", lambda: self._compare_delete(keys=[self._k("lease", key)], args=[owner]))

    def put_flight(self, key: str, payload: bytes, ttl: float) -> None:
        ms = max(1, int(ttl * 1000))
        self._call("put_flight", lambda: self._redis.set(self._k("flight", key), payload, px=ms))

    def get_flight(self, key: str) -> bytes | None:
        raw = self._call("get_flight", lambda: self._redis.get(self._k("flight", key)))
        return None if raw is None else raw if isinstance(raw, bytes) else raw.encode()

    @staticmethod
    def _record(key: str, raw: Any) -> PurchaseRecord:
        data = json.loads(raw)
        return PurchaseRecord.from_json(key, data["record"], float(data["now"]))

    def begin_purchase(self, key: str, owner: str, lease: float, fingerprint: str = "") -> PurchaseRecord:
        args = [owner, repr(float(lease)), repr(float(self.ledger_ttl)), fingerprint]
        raw = self._call("begin_purchase", lambda: self._begin(keys=[self._k("ledger", key)], args=args))
        return self._record(key, raw)

    def finish_purchase(
        self, key: str, owner: str, status: PurchaseStatus, *, result: str | None = None, detail: str = ""
    ) -> bool:
        args = [owner, status.value, result or "", detail, repr(float(self.ledger_ttl))]
        return bool(self._call("finish_purchase", lambda: self._finish(keys=[self._k("ledger", key)], args=args)))

    def get_purchase(self, key: str) -> PurchaseRecord | None:
        raw, now = self._call("get_purchase", lambda: self._get_purchase(keys=[self._k("ledger", key)]))
        if not raw:
            return None
        return PurchaseRecord.from_json(key, json.loads(raw), float(now))

    def forget_purchase(self, key: str) -> None:
        self._call("forget_purchase", lambda: self._redis.delete(self._k("ledger", key)))


def _within_arg(within: float | None) -> str:
    return "-1" if within is None else repr(max(0.0, float(within)))
