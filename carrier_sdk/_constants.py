"""Client defaults, in one place."""

from __future__ import annotations

import httpx

__all__ = [
    "DEFAULT_CONCURRENCY",
    "DEFAULT_DEADLINE",
    "DEFAULT_LIMITS",
    "DEFAULT_TIMEOUT",
    "NOT_GIVEN",
    "NotGiven",
]

#: Per-request timeouts: every phase finite.
DEFAULT_TIMEOUT = httpx.Timeout(connect=5.0, read=30.0, write=30.0, pool=10.0)
#: Overall deadline of one SDK call, across all its requests and retries, in seconds.
DEFAULT_DEADLINE = 60.0
#: Default bound on concurrent work in ``track_many``.
DEFAULT_CONCURRENCY = 16
#: Connection pool size.
DEFAULT_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=32)


class NotGiven:
    """Sentinel type: an option that was not passed (distinct from ``None``)."""

    _instance: NotGiven | None = None

    def __new__(cls) -> NotGiven:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "NOT_GIVEN"

    def __bool__(self) -> bool:
        return False


NOT_GIVEN = NotGiven()
