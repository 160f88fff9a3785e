"""When each parcel is polled next, and how fast each carrier may be called.

:class:`Schedule` is pure: it maps a parcel's status and the age of its latest event to the next
poll, with jitter, and backs off after errors. :class:`Pacer` spreads calls to one carrier
evenly over its client-side rate limit, so a backlog drains at the limit's pace instead of in a
burst that would make the client wait (or refuse) for a slot.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence

import attrs

from .._enums import TrackingStatus
from .._exceptions import ValidationError
from .._ratelimit import RateLimit

__all__ = ["DEFAULT_TABLE", "Pacer", "Schedule"]

MINUTE = 60.0
HOUR = 3600.0
DAY = 86400.0
NEVER = math.inf

#: The default schedule: status -> ((age of the latest event below, poll every), ...).
#: Statuses not listed (delivered, returned, cancelled) are never polled again.
DEFAULT_TABLE: Mapping[TrackingStatus, tuple[tuple[float, float], ...]] = {
    TrackingStatus.OUT_FOR_DELIVERY: ((12 * HOUR, 30 * MINUTE), (2 * DAY, 2 * HOUR), (NEVER, 6 * HOUR)),
    TrackingStatus.DELIVERY_FAILED: ((DAY, 2 * HOUR), (NEVER, 6 * HOUR)),
    TrackingStatus.AVAILABLE_FOR_PICKUP: ((DAY, 4 * HOUR), (NEVER, 12 * HOUR)),
    TrackingStatus.IN_TRANSIT: ((DAY, 2 * HOUR), (7 * DAY, 6 * HOUR), (NEVER, 12 * HOUR)),
    TrackingStatus.HELD: ((NEVER, 12 * HOUR),),
    TrackingStatus.PRE_TRANSIT: ((3 * DAY, 6 * HOUR), (NEVER, 24 * HOUR)),
    TrackingStatus.UNKNOWN: ((DAY, 4 * HOUR), (NEVER, 12 * HOUR)),
}


def _table(
    value: Mapping[TrackingStatus, Sequence[tuple[float, float]]] | Mapping[str, Sequence[tuple[float, float]]],
) -> dict[TrackingStatus, tuple[tuple[float, float], ...]]:
    out: dict[TrackingStatus, tuple[tuple[float, float], ...]] = {}
    for status, rows in value.items():
        try:
            key = TrackingStatus(status)
        except ValueError:
            raise ValidationError(
                f"unknown status {status!r} in the schedule table", field="table", constraint="TrackingStatus"
            ) from None
        clean = []
        for row in rows:
            age, every = (float(x) for x in row)
            if not (age > 0 and every > 0):
                raise ValidationError(
                    "schedule rows are (age > 0, interval > 0) in seconds", field="table", constraint="(age, interval)"
                )
            clean.append((age, every))
        if not clean or clean[-1][0] != NEVER:
            clean.append((NEVER, clean[-1][1] if clean else DAY))
        out[key] = tuple(sorted(clean))
    return out


@attrs.frozen(kw_only=True)
class Schedule:
    """How often a parcel is polled, by status and age of its latest event, and when to give up.

    Attributes:
        table: Status -> rows of ``(age below, interval)`` in seconds, first matching row wins;
            a status not in the table is never polled again. Default: :data:`DEFAULT_TABLE`.
        jitter: Each interval is multiplied by a random factor in ``[1 - jitter, 1 + jitter]``.
        stale_after: Seconds without a new event after which a parcel is done (``"stale"``).
        not_found_attempts: Polls answered "unknown number" before the parcel is marked not found.
        error_backoff: First delay after a failed poll, doubled per consecutive failure.
        max_error_backoff: Longest delay after failures.
    """

    table: dict[TrackingStatus, tuple[tuple[float, float], ...]] = attrs.field(
        factory=lambda: _table(dict(DEFAULT_TABLE)), converter=_table
    )
    jitter: float = attrs.field(default=0.1, validator=[attrs.validators.ge(0.0), attrs.validators.lt(1.0)])
    stale_after: float = attrs.field(default=30 * DAY, validator=attrs.validators.gt(0))
    not_found_attempts: int = attrs.field(default=5, validator=attrs.validators.ge(1))
    error_backoff: float = attrs.field(default=5 * MINUTE, validator=attrs.validators.gt(0))
    max_error_backoff: float = attrs.field(default=12 * HOUR, validator=attrs.validators.gt(0))

    def interval(self, status: TrackingStatus, age: float) -> float:
        """Seconds until the next poll of a parcel in ``status`` whose latest event is ``age`` old
        (``inf``: never)."""
        for below, every in self.table.get(status, ()):
            if age < below:
                return every
        return NEVER

    def _jittered(self, seconds: float, rng: random.Random) -> float:
        if self.jitter == 0 or seconds == NEVER:
            return seconds
        return seconds * rng.uniform(1 - self.jitter, 1 + self.jitter)

    def next_poll(self, status: TrackingStatus, age: float, now: float, rng: random.Random) -> float:
        """Epoch seconds of the next poll after a successful one at ``now``."""
        return now + self._jittered(self.interval(status, age), rng)

    def after_error(self, failures: int, now: float, rng: random.Random) -> float:
        """Epoch seconds of the next poll after ``failures`` consecutive failures."""
        delay = min(self.error_backoff * 2 ** min(max(failures - 1, 0), 30), self.max_error_backoff)
        return now + self._jittered(delay, rng)


class Pacer:
    """Spreads calls to one carrier evenly under its rate limit (one token bucket).

    Tokens refill at the limit's slowest sustained rate (``calls / seconds`` of its tightest
    window); the bucket holds at most ``burst`` tokens, a tenth of the tightest window (at least
    one), so a backlog is sent a little at a time. Without a limit every call is allowed.
    """

    def __init__(self, limit: RateLimit | None, now: float) -> None:
        self.limit = limit
        if limit is None or not limit.windows:
            self.rate = math.inf
            self.burst = math.inf
        else:
            self.rate = min(w.calls / w.seconds for w in limit.windows)
            self.burst = float(max(1, min(w.calls for w in limit.windows) // 10))
        self.tokens = min(self.burst, 1.0) if limit is not None else math.inf
        self.updated = now

    def allowance(self, now: float) -> float:
        """Calls allowed now (``inf`` without a limit)."""
        if self.rate == math.inf:
            return math.inf
        elapsed = max(0.0, now - self.updated)
        self.tokens = min(self.burst, self.tokens + elapsed * self.rate)
        self.updated = max(self.updated, now)
        return math.floor(self.tokens)

    def spend(self, calls: int) -> None:
        """Record ``calls`` made."""
        if self.rate != math.inf:
            self.tokens = max(0.0, self.tokens - calls)

    def next_slot(self, now: float) -> float:
        """Epoch seconds at which at least one more call is allowed."""
        if self.rate == math.inf:
            return now
        self.allowance(now)
        missing = 1.0 - self.tokens
        return now if missing <= 0 else now + missing / self.rate
