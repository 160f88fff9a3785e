"""Client-side rate limits per (carrier, credential): exact sliding windows, reservation based.

A caller *reserves* a slot and is told how long to wait for it; the clock is injected and the
client does the sleeping (``time.sleep`` or ``asyncio.sleep``), so one limiter serves threads
and tasks alike and tests run in virtual time.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterable

import attrs

__all__ = ["RateLimit", "RateLimiter", "Window"]


@attrs.frozen
class Window:
    """At most ``calls`` requests in any ``seconds``-long window."""

    calls: int = attrs.field(validator=attrs.validators.gt(0))
    seconds: float = attrs.field(validator=attrs.validators.gt(0))


def _windows(value: Iterable[Window]) -> tuple[Window, ...]:
    return tuple(value)


@attrs.frozen
class RateLimit:
    """One or more windows that must all hold (``5/min`` and ``60/h``).

    .. versionadded:: 0.1
    """

    windows: tuple[Window, ...] = attrs.field(converter=_windows)

    @classmethod
    def per_second(cls, calls: int) -> RateLimit:
        """``calls`` per second."""
        return cls((Window(calls, 1.0),))

    @classmethod
    def per_minute(cls, calls: int) -> RateLimit:
        """``calls`` per minute."""
        return cls((Window(calls, 60.0),))

    @classmethod
    def per_hour(cls, calls: int) -> RateLimit:
        """``calls`` per hour."""
        return cls((Window(calls, 3600.0),))

    def __and__(self, other: RateLimit) -> RateLimit:
        return RateLimit(self.windows + other.windows)


class RateLimiter:
    """Reservations against a :class:`RateLimit`, plus a shared pause (a 429's ``Retry-After``)."""

    def __init__(self, limit: RateLimit | None, clock: Callable[[], float]) -> None:
        self.limit = limit
        self._clock = clock
        self._lock = threading.Lock()
        self._history: list[deque[float]] = [deque(maxlen=w.calls) for w in (limit.windows if limit else ())]
        self._paused_until = 0.0

    def reconfigure(self, limit: RateLimit | None) -> None:
        """Switch to ``limit`` (history restarts; a pending pause is kept)."""
        with self._lock:
            self.limit = limit
            self._history = [deque(maxlen=w.calls) for w in (limit.windows if limit else ())]

    def reserve(self, within: float | None = None) -> float:
        """Reserve the next slot; return how many seconds to wait before using it.

        With ``within``, the slot is taken only when it is less than ``within`` seconds away
        (a caller whose deadline comes first leaves it to others); the wait is returned anyway.
        """
        with self._lock:
            now = self._clock()
            at = max(now, self._paused_until)
            if self.limit is not None:
                for window, history in zip(self.limit.windows, self._history, strict=True):
                    if len(history) == window.calls:
                        at = max(at, history[0] + window.seconds)
                if within is None or at - now < within:
                    for history in self._history:
                        history.append(at)
            return at - now

    def headroom(self) -> int | None:
        """How many slots could be reserved right now without waiting (``None``: no limit).

        Reserves nothing. Schedulers use it to send only what the limit allows at once, so the
        client never has to wait for (or refuse) a slot.
        """
        with self._lock:
            now = self._clock()
            if self._paused_until > now:
                return 0
            if self.limit is None:
                return None
            free = []
            for window, history in zip(self.limit.windows, self._history, strict=True):
                busy = sum(1 for at in history if at + window.seconds > now)
                free.append(window.calls - busy)
            return max(0, min(free))

    def pause(self, seconds: float) -> None:
        """Hold every caller sharing this limiter for ``seconds`` from now."""
        with self._lock:
            self._paused_until = max(self._paused_until, self._clock() + seconds)
