"""``_parse_local`` reads ISO-shaped local times with ``fromisoformat``: same value as ``strptime``.

The fast path is an optimization only (issue 17's parse profile: ``strptime`` was a third of
``to_tracking_info``); this checks it against the reference, every ``_LOCAL_FORMATS`` format tried
with ``strptime`` after the same suffix stripping, over hand-picked and generated inputs. The same
for ``event_instant``'s one-call path (the local time read with ``GMTOffset`` appended) against its
general path.
"""

from __future__ import annotations

import random
from datetime import datetime
from unittest import mock

import pytest
from carrier_sdk_usps import _mapping
from carrier_sdk_usps._mapping import _parse_local


class StrptimeOnly(datetime):
    """``datetime`` whose ``fromisoformat`` refuses every text: each fast path falls back to ``strptime``."""

    @classmethod
    def fromisoformat(cls, date_string: str) -> StrptimeOnly:
        raise ValueError(f"fast path off: {date_string!r}")


def reference(text: str) -> datetime | None:
    """``_parse_local`` with every ``fromisoformat`` fast path switched off."""
    with mock.patch.object(_mapping, "datetime", StrptimeOnly):
        return _parse_local(text)


@pytest.mark.parametrize(
    "text",
    [
        "2024-01-05T10:11:12Z",
        "2024-01-05T10:11:12",
        "2024-01-05 10:11",
        "2024-01-05T10:11:12.123Z",
        " 2024-01-05T10:11:12-0500 ",
        "2024-01-05T10:11:12+05:00",
        "2024-13-05T10:11:12",  # month 13
        "2024-02-30T10:11",  # no such day
        "2024-01-05T24:00:00",
        "2024-01-05T10:11:60",
        "\uff12\uff10\uff12\uff14-01-05T10:11:12",  # fullwidth digits take the strptime path
        "2024-01-05T10:11:12.\uff11\uff12Z",  # a fullwidth fraction: stripped, then the second ISO path
        "2024-1-5T1:2:3",
        "2024-01-05",
        "10:11",
    ],
)
def test_same_as_strptime(text: str) -> None:
    assert _parse_local(text) == reference(text)


def test_same_as_strptime_on_generated_values() -> None:
    rng = random.Random(17)
    for _ in range(3000):
        text = (
            f"{rng.randint(0, 9999):04d}-{rng.randint(0, 19):02d}-{rng.randint(0, 39):02d}"
            f"{rng.choice('T ')}{rng.randint(0, 29):02d}:{rng.randint(0, 69):02d}"
            + rng.choice(["", f":{rng.randint(0, 69):02d}"])
            + rng.choice(["", "Z", ".123", "+05:00", "-0700"])
        )
        assert _parse_local(text) == reference(text), text


def general_instant(event: dict[str, str]) -> tuple[datetime, str] | None:
    """``event_instant`` with its one-call ISO path off: local time read by ``_parse_local``, then
    ``replace(tzinfo=offset)``."""
    with mock.patch.object(_mapping, "_iso_at_offset", return_value=None):
        return _mapping.event_instant(event)


def test_event_instant_one_call_path_agrees_with_the_general_path() -> None:
    rng = random.Random(23)
    offsets = ["-05:00", "-7:00", "+0530", "+5", "GMT-04:00", "UTC+14", "-14:00", "+05:75", "bogus", ""]
    checked = 0
    for _ in range(3000):
        local = (
            f"{rng.randint(1, 9999):04d}-{rng.randint(0, 13):02d}-{rng.randint(0, 32):02d}"
            f"{rng.choice('T ')}{rng.randint(0, 24):02d}:{rng.randint(0, 60):02d}"
            + rng.choice(["", f":{rng.randint(0, 60):02d}"])
            + rng.choice(["", "Z", ".123", ".5Z", "+05:00", "-0700"])
        )
        event = {"eventTimestamp": rng.choice([local, f" {local} "]), "GMTOffset": rng.choice(offsets)}
        if rng.random() < 0.5:
            event["GMTTimestamp"] = rng.choice(["2024-11-15T21:32:33Z", local + ("" if local.endswith("Z") else "Z")])
        try:
            expected = general_instant(event)
        except OverflowError:  # year 1 or 9999 moved past the range by the offset: both paths raise
            with pytest.raises(OverflowError):
                _mapping.event_instant(event)
            continue
        assert _mapping.event_instant(event) == expected, event
        checked += expected is not None
    assert checked > 1000  # most generated events are placed in time, not only the failures
