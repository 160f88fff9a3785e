"""Per-history memo of event places, and ``GMTTimestamp`` reading (issue 17's parse work).

``to_tracking_info`` builds one :class:`~carrier_sdk.Location` per distinct raw place of a history
and shares it between the events that repeat it (a ``Location`` is immutable); the result must be
what :func:`_location` gives for each event alone, hostile field types included.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from carrier_sdk_usps._mapping import _location, event_instant, to_tracking_info


def _event(day: int, **fields: Any) -> dict[str, Any]:
    return {
        "eventType": "Arrived at USPS Regional Facility",
        "eventCode": "10",
        "eventTimestamp": f"2024-11-{day:02d}T10:00:00",
        "GMTOffset": "-05:00",
        **fields,
    }


PLACES: list[dict[str, Any]] = [
    {"eventCity": "MEMPHIS", "eventState": "TN", "eventZIP": "38118", "eventCountry": "US"},
    {"eventCity": "MEMPHIS", "eventState": "TN", "eventZIP": "38118", "eventCountry": "US"},
    {"eventCity": " MEMPHIS ", "eventState": "TN", "eventZIP": "38118", "eventCountry": "us"},
    {"eventCity": "JAMAICA", "eventState": "NY", "eventZIPCode": "11430", "firm": "USPS"},
    {},
    {"eventCity": {"nested": "object"}, "eventState": "NY"},  # unhashable: read uncached
    {"eventCity": ["a", "list"], "eventState": ["NY"]},
    {"eventCity": {"nested": "object"}, "eventState": "NY"},
]


def test_each_event_gets_the_place_it_would_get_alone() -> None:
    raw = [_event(day, **place) for day, place in enumerate(PLACES, start=1)]
    info = to_tracking_info("usps", "9400100000000000000000", {"trackingEvents": raw})
    by_day = {event.occurred_at.day: event for event in info.events}
    for day, place in enumerate(PLACES, start=1):
        assert by_day[day].location == _location(_event(day, **place))
    assert by_day[1].location is by_day[2].location  # the same raw place: one shared object
    assert by_day[3].location == by_day[1].location  # same place after stripping, built apart
    assert by_day[5].location is None
    assert by_day[6].location is not None
    assert by_day[6].location.city == ""
    assert by_day[6].location.state == "NY"


@pytest.mark.parametrize(
    "gmt",
    ["2024-11-15T21:32:33Z", "2024-11-15T21:32:33z", " 2024-11-15T21:32:33Z ", "2024-11-15T21:32:33.000+00:00"],
)
def test_gmt_timestamp_spellings_agree(gmt: str) -> None:
    event = {"eventTimestamp": "2024-11-15T16:32", "GMTOffset": "-05:00", "GMTTimestamp": gmt}
    placed = event_instant(event)
    assert placed is not None
    # The GMT time agrees with local + offset to the minute, so its seconds are kept.
    assert placed[0] == datetime(2024, 11, 15, 21, 32, 33, tzinfo=UTC)
    assert placed[0].tzinfo is UTC


def test_gmt_timestamp_in_another_zone_is_converted() -> None:
    placed = event_instant({"eventTimestamp": "2024-11-15T16:32", "GMTTimestamp": "2024-11-15T18:32:33+02:00"})
    assert placed is not None
    assert placed[0] == datetime(2024, 11, 15, 16, 32, 33, tzinfo=UTC)
    assert placed[0].tzinfo is UTC
