"""Wall-clock times read at a fixed UTC offset, for the adapters' tracking parsers."""

from __future__ import annotations

import functools
from datetime import UTC, datetime, timedelta, tzinfo

__all__ = ["at_offset"]


def at_offset(wall: str, zone: tzinfo) -> datetime:
    """The ISO 8601 wall-clock time ``wall`` (no offset of its own) at the fixed offset ``zone``,
    as an aware UTC :class:`~datetime.datetime`::

        at_offset("2024-11-15T16:32:33", timezone(timedelta(hours=-5)))  # 21:32:33 UTC

    One :meth:`datetime.fromisoformat` call with the offset appended as text, which is cheaper
    than reading the wall time and then ``replace(tzinfo=zone)``: a parser calls it once per
    event. The offset text is made once per zone.

    Raises:
        ValueError: ``wall`` is not ISO date-and-time text, has an offset of its own or a field
            out of range, or ``zone`` is not a fixed offset (a ``ZoneInfo`` with daylight saving
            time is not: use ``replace(tzinfo=...)`` for those).

    .. versionadded:: 0.4
    """
    return datetime.fromisoformat(wall + _suffix(zone)).astimezone(UTC)


@functools.lru_cache(maxsize=64)
def _suffix(zone: tzinfo) -> str:
    offset = zone.utcoffset(None)
    if offset is None or offset.microseconds:
        raise ValueError(f"{zone!r} is not a fixed offset of whole seconds")
    seconds = abs(int(offset.total_seconds()))
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    sign = "-" if offset < timedelta(0) else "+"
    return f"{sign}{hours:02d}:{minutes:02d}" + (f":{seconds:02d}" if seconds else "")
