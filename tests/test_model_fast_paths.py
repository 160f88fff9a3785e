"""The fast paths for what the adapters' parsers build (issue 17) build what the validated
constructor builds.

An adapter's parser hands ``TrackingEvent`` a UTC datetime and a ``TrackingStatus`` member: the
converters return those as they are, and ``TrackingEvent._parsed`` (what the bundled parsers
call) sets the fields without the generated ``__init__``. These tests show that this changes
nothing: the same values given in any other accepted form (an ISO string, another offset, the
status's text) build an equal model, ``_parsed`` equals the constructor on any input, and input
that is not normalized is still converted and validated, by either path.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from carrier_sdk import Client, Location, TrackingEvent, TrackingInfo, TrackingStatus, ValidationError
from carrier_sdk.sandbox import Sandbox

offsets = st.integers(min_value=-14 * 60, max_value=14 * 60).map(lambda m: timezone(timedelta(minutes=m)))
aware = st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2100, 1, 1), timezones=offsets)


@given(at=aware, status=st.sampled_from(TrackingStatus))
def test_normalized_values_build_what_user_forms_build(at: datetime, status: TrackingStatus) -> None:
    normalized = TrackingEvent(occurred_at=at.astimezone(UTC), status=status)
    for occurred_at in (at, at.isoformat()):
        same = TrackingEvent(occurred_at=occurred_at, status=status.value)
        assert same == normalized
        assert same.occurred_at.tzinfo is UTC
        assert normalized.occurred_at.tzinfo is UTC
    assert TrackingInfo(carrier="x", tracking_number="1", status=status).status is status


texts = st.text(max_size=20)


@given(
    at=aware,
    status=st.sampled_from(TrackingStatus),
    at_form=st.sampled_from(["utc", "offset", "iso"]),
    status_as_member=st.booleans(),
    description=texts,
    code=texts,
    local_time=texts,
    located=st.booleans(),
)
def test_parsed_equals_the_constructor(
    at: datetime,
    status: TrackingStatus,
    at_form: str,
    status_as_member: bool,
    description: str,
    code: str,
    local_time: str,
    located: bool,
) -> None:
    fields: dict[str, Any] = {
        "occurred_at": {"utc": at.astimezone(UTC), "offset": at, "iso": at.isoformat()}[at_form],
        "status": status if status_as_member else status.value,
        "description": description,
        "carrier_status_code": code,
        "carrier_status_text": description,
        "location": Location(city=code) if located else None,
        "local_time": local_time,
    }
    parsed = TrackingEvent._parsed(**fields)
    built = TrackingEvent(**fields)
    assert parsed == built
    assert type(parsed) is TrackingEvent
    assert parsed.occurred_at.tzinfo is UTC
    assert parsed.status is built.status
    assert hash(parsed) == hash(built)
    assert repr(parsed) == repr(built)


def test_parsed_validates_what_is_not_normalized() -> None:
    with pytest.raises(ValidationError):
        TrackingEvent._parsed(occurred_at=datetime(2024, 5, 1, 12), status=TrackingStatus.DELIVERED)
    with pytest.raises(ValidationError):
        TrackingEvent._parsed(occurred_at=datetime(2024, 5, 1, 12, tzinfo=UTC), status="lost")  # type: ignore[arg-type]


def test_a_utc_equivalent_zone_is_still_converted_to_utc() -> None:
    zero = timezone(timedelta(0), "Z0")  # not the UTC singleton: converted like any other offset
    event = TrackingEvent(occurred_at=datetime(2024, 5, 1, 12, tzinfo=zero), status=TrackingStatus.DELIVERED)
    assert event.occurred_at.tzinfo is UTC
    assert event.occurred_at == datetime(2024, 5, 1, 12, tzinfo=UTC)


class _Stamp(datetime):
    """A datetime subclass (as pandas' Timestamp is one): never taken for a normalized value."""


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"occurred_at": datetime(2024, 5, 1, 12), "status": TrackingStatus.DELIVERED}, "occurred_at"),
        ({"occurred_at": "2024-05-01T12:00:00", "status": TrackingStatus.DELIVERED}, "occurred_at"),
        ({"occurred_at": "yesterday", "status": TrackingStatus.DELIVERED}, "occurred_at"),
        ({"occurred_at": _Stamp(2024, 5, 1, 12), "status": TrackingStatus.DELIVERED}, "occurred_at"),
        ({"occurred_at": datetime(2024, 5, 1, 12, tzinfo=UTC), "status": "lost"}, "status"),
        ({"occurred_at": datetime(2024, 5, 1, 12, tzinfo=UTC), "status": 3}, "status"),
    ],
)
def test_user_input_is_still_validated(fields: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        TrackingEvent(**fields)
    assert caught.value.field == field


def test_a_datetime_subclass_in_utc_is_converted() -> None:
    stamp = _Stamp(2024, 5, 1, 12, tzinfo=UTC)
    event = TrackingEvent(occurred_at=stamp, status="delivered")
    assert event.occurred_at == stamp
    assert event.status is TrackingStatus.DELIVERED


@pytest.mark.parametrize("code", Sandbox().codes)
def test_every_adapters_events_equal_the_validated_construction(code: str) -> None:
    """Each adapter's parsed events, rebuilt from user-form values (ISO text, status text),
    through every conversion and check, are equal to what the parser built."""
    sandbox = Sandbox()
    numbers = [n for name, n in sandbox.fake(code).scenario_numbers.items() if not name.startswith("fault_")]
    events = 0
    with Client(sandbox=sandbox) as client:
        for result in client.track_many(numbers, carrier=code):
            if result.info is None:
                continue
            for event in result.info.events:
                rebuilt = TrackingEvent(
                    occurred_at=event.occurred_at.isoformat(),
                    status=event.status.value,
                    description=event.description,
                    carrier_status_code=event.carrier_status_code,
                    carrier_status_text=event.carrier_status_text,
                    location=event.location,
                    local_time=event.local_time,
                )
                assert rebuilt == event
                assert event.occurred_at.tzinfo is UTC
                events += 1
    assert events > 0


@given(
    st.lists(
        st.tuples(st.integers(min_value=0, max_value=3), st.sampled_from(TrackingStatus)),
        max_size=8,
    )
)
def test_status_of_is_the_last_event_of_the_stable_sort(rows: list[tuple[int, TrackingStatus]]) -> None:
    """Ties included: the latest instant that comes last in the given order decides."""
    events = [TrackingEvent(occurred_at=datetime(2024, 5, 1, hour, tzinfo=UTC), status=s) for hour, s in rows]
    expected = sorted(events, key=lambda e: e.occurred_at)[-1].status if events else TrackingStatus.UNKNOWN
    assert TrackingInfo.status_of(events) is expected
    assert TrackingInfo.status_of(iter(events)) is expected
