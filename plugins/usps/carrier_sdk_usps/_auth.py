"""OAuth2 and payment-token caching for the USPS adapter.

Tokens are cached on the carrier instance, one per key, behind a :class:`threading.Lock`
(sync threads and async tasks both read it; nothing awaits while holding it). Keys never
contain a secret: the OAuth key is ``(client_id, scopes)``; the payment key is the payment
roles, which are identifiers, not credentials. Concurrent refreshes are coalesced by the core
through ``RequestOptions.singleflight``.
"""

from __future__ import annotations

import threading
from typing import Any

import attrs

from ._wire import DEFAULT_TOKEN_LIFETIME, TOKEN_REFRESH_MARGIN

__all__ = ["CachedToken", "TokenCache", "parse_expires_in", "refresh_margin"]


@attrs.frozen
class CachedToken:
    """One cached token and when to stop using it (wall-clock seconds)."""

    value: str = attrs.field(repr=False)
    refresh_at: float


def parse_expires_in(value: Any) -> float:
    """``expires_in`` in seconds; USPS samples show both ``28799`` and ``"11111"``."""
    if isinstance(value, bool):
        return DEFAULT_TOKEN_LIFETIME
    try:
        seconds = float(str(value).strip())
    except (TypeError, ValueError):
        return DEFAULT_TOKEN_LIFETIME
    if not (0 < seconds < 10 * 365 * 86400):
        return DEFAULT_TOKEN_LIFETIME
    return seconds


def refresh_margin(lifetime: float, margin: float = TOKEN_REFRESH_MARGIN) -> float:
    """How long before expiry to refresh: ``margin``, at most half the lifetime."""
    return min(margin, lifetime / 2)


class TokenCache:
    """A thread-safe map of key -> token with a refresh deadline."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tokens: dict[tuple[str, ...], CachedToken] = {}

    def __repr__(self) -> str:
        return f"<TokenCache {len(self._tokens)} token(s)>"

    def get(self, key: tuple[str, ...], now: float, *, stale: str | None = None) -> str | None:
        """The cached token unless due for refresh or equal to ``stale`` (a token just rejected)."""
        with self._lock:
            token = self._tokens.get(key)
        if token is None or now >= token.refresh_at or (stale is not None and token.value == stale):
            return None
        return token.value

    def put(self, key: tuple[str, ...], value: str, refresh_at: float) -> None:
        with self._lock:
            self._tokens[key] = CachedToken(value, refresh_at)

    def invalidate(self, key: tuple[str, ...], value: str) -> None:
        """Forget ``value`` unless another caller already replaced it with a newer token."""
        with self._lock:
            token = self._tokens.get(key)
            if token is not None and token.value == value:
                del self._tokens[key]

    def clear(self) -> None:
        with self._lock:
            self._tokens.clear()
