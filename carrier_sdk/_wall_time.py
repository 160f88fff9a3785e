"""Wall-clock times read in a zone's rules, for the adapters' tracking parsers."""

from __future__ import annotations

import functools
from datetime import UTC, date, datetime, time, timedelta, tzinfo

__all__ = ["at_offset", "in_zone"]


def at_offset(wall: str, zone: tzinfo) -> datetime:
    """The ISO 8601 wall-clock time ``wall`` (no offset of its own) at the fixed offset ``zone``,
    as an aware UTC :class:`~datetime.datetime`::

        at_offset("2024-11-15T16:32:33", timezone(timedelta(hours=-5)))  # 21:32:33 UTC

    One :meth:`datetime.fromisoformat` call, the wall time read as UTC, then the zone's offset
    taken away: a parser calls it once per event, and that is about three times cheaper than
    appending the offset as text and converting with ``astimezone`` (the same instant, and the
    same errors). The offset is checked once per zone.

    Raises:
        ValueError: ``wall`` is not ISO date-and-time text (a date alone is not), has an offset
            of its own or a field out of range, or ``zone`` is not a fixed offset (a ``ZoneInfo``
            with daylight saving time is not: use :func:`in_zone` for those).
        OverflowError: the instant falls outside the years 1-9999 in UTC.

    .. versionadded:: 0.4
    """
    offset = _offset(zone)  # first: a zone that is not a fixed offset is refused whatever the text
    read = datetime.fromisoformat(wall + "+00:00")
    if read.tzinfo is not UTC:  # a date alone: fromisoformat drops the offset after it
        raise ValueError(f"not ISO date-and-time text: {wall!r}")
    return read - offset


@functools.lru_cache(maxsize=64)
def _offset(zone: tzinfo) -> timedelta:
    offset = zone.utcoffset(None)
    if offset is None or offset.microseconds:
        raise ValueError(f"{zone!r} is not a fixed offset of whole seconds")
    return offset


def in_zone(wall: str, zone: tzinfo) -> datetime:
    """The ISO 8601 wall-clock time ``wall`` (no offset of its own) in the rules of ``zone`` (a
    ``ZoneInfo``, daylight saving time included), as an aware UTC :class:`~datetime.datetime`::

        in_zone("2026-03-05T10:11:12", ZoneInfo("Europe/Madrid"))  # 09:11:12 UTC

    Always the same instant as ``datetime.fromisoformat(wall).replace(tzinfo=zone).astimezone(UTC)``:
    a time the clock shows twice (when it goes back) is its first occurrence, and a time it
    skips (when it goes forward) is read at the offset in force before the jump (``fold=0``).

    Most days have one offset from their first microsecond to their last. For those the wall time
    is read at that offset in one ``fromisoformat`` call, as :func:`at_offset` does; the day's
    offset is looked up once per day and zone. A day on which the zone changes its offset takes
    the general path. (The time zone database has no zone that changes its offset twice within
    48 hours, so a day whose first and last moments have the same offset has it throughout.)

    Raises:
        ValueError: ``wall`` is not ISO date or date-and-time text, has an offset of its own or a
            field out of range.
        OverflowError: the instant falls outside the years 1-9999 in UTC.

    .. versionadded:: 0.4
    """
    offset = _day_offset(wall[:10], zone)
    if offset is not None:
        try:
            read = datetime.fromisoformat(wall + "+00:00")
        except ValueError:
            pass  # the general path below decides (and raises its own error)
        else:
            if read.tzinfo is UTC:  # not a date alone, which is midnight: the general path
                return read - offset
    return datetime.fromisoformat(wall).replace(tzinfo=zone).astimezone(UTC)


@functools.lru_cache(maxsize=512)
def _day_offset(day_text: str, zone: tzinfo) -> timedelta | None:
    """``zone``'s offset throughout the local day ``day_text`` (``YYYY-MM-DD``), or ``None``: not
    a date, or a day on which the offset changes."""
    try:
        day = date.fromisoformat(day_text)
    except ValueError:
        return None
    first = datetime.combine(day, time.min, zone).utcoffset()
    last = datetime.combine(day, time.max, zone).utcoffset()
    return first if first is not None and first == last else None
