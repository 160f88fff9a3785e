"""Shared state for clients in many processes and on many machines.

One small interface, :class:`StateBackend`, holds what the clients must agree on: rate-limit
windows and the pause after a 429 (per carrier and credential), OAuth and payment tokens (per
carrier, credential and scope, refreshed by one process at a time), and the purchase ledger
(idempotency key -> pending / done / failed / unknown). Three backends:

* :class:`MemoryState`: this process only (the default; today's behaviour);
* :class:`SQLiteState`: every process of one machine (stdlib ``sqlite3``);
* :class:`RedisState`: every process on every machine (``carrier-sdk[redis]``).

:class:`RedisWatchStore` is the watcher's store in Redis, for watchers on many machines.

Pick one with ``Client(state=...)`` (a URL or a backend object), the environment variable
``CARRIER_SDK_STATE_URL``, or the CLI's ``--state URL``; :func:`open_state` parses the URL.

.. versionadded:: 0.2
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .._exceptions import ConfigurationError
from ._base import (
    LocalTokenCache,
    PurchaseRecord,
    PurchaseStatus,
    SharedRateLimiter,
    SharedTokenCache,
    StateBackend,
    TokenCache,
)
from ._memory import MemoryState

if TYPE_CHECKING:  # imported on first use: a client on memory state never loads sqlite3 or redis
    from ._redis import RedisState
    from ._sqlite import SQLiteState
    from ._watch_store import RedisWatchStore

_LAZY = {"RedisState": "._redis", "SQLiteState": "._sqlite", "RedisWatchStore": "._watch_store"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "ENV_VAR",
    "LocalTokenCache",
    "MemoryState",
    "PurchaseRecord",
    "PurchaseStatus",
    "RedisState",
    "RedisWatchStore",
    "SQLiteState",
    "SharedRateLimiter",
    "SharedTokenCache",
    "StateBackend",
    "TokenCache",
    "open_state",
    "state_from_env",
]

#: The environment variable a client reads its state URL from when none is given.
ENV_VAR = "CARRIER_SDK_STATE_URL"


def open_state(url: str) -> StateBackend:
    """The backend a URL names.

    * ``memory://``: :class:`MemoryState`;
    * ``sqlite:///relative/path.db``, ``sqlite:////absolute/path.db``: :class:`SQLiteState`;
    * ``redis://[[user]:password@]host:port/db``, ``rediss://...`` (TLS),
      ``unix:///path/redis.sock``: :class:`RedisState`.

    Raises:
        ConfigurationError: The URL is not one of these.
        StateBackendError: The database file cannot be created.
    """
    if not isinstance(url, str) or not url.strip():
        raise ConfigurationError("a state URL is text such as redis://127.0.0.1:6379/0 or sqlite:///state.db")
    url = url.strip()
    scheme = url.partition("://")[0].lower() if "://" in url else ""
    if scheme == "memory":
        return MemoryState()
    if scheme == "sqlite":
        from ._sqlite import SQLiteState

        path = url[len("sqlite:///") :] if url.lower().startswith("sqlite:///") else ""
        if not path:
            raise ConfigurationError(f"state URL {url!r} names no file: use sqlite:///path/to/state.db")
        return SQLiteState(path)
    if scheme in ("redis", "rediss", "unix"):
        from ._redis import RedisState

        return RedisState(url)
    shown = url if "@" not in url else "<url with credentials>"
    raise ConfigurationError(
        f"unsupported state URL {shown!r}: use memory://, sqlite:///path/to/state.db or redis://host:6379/0"
    )


def state_from_env(environ: Mapping[str, str] | None = None) -> StateBackend:
    """The backend named by ``CARRIER_SDK_STATE_URL`` in ``environ`` (default ``os.environ``),
    else a new :class:`MemoryState`."""
    env = os.environ if environ is None else environ
    url = env.get(ENV_VAR, "").strip()
    return open_state(url) if url else MemoryState()
