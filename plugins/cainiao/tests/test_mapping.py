"""Status mapping, time zones, units and the error-code table."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from carrier_sdk_cainiao import CainiaoCarrier
from carrier_sdk_cainiao._mapping import (
    ACTION_CODE_STATUS,
    DEFAULT_ERROR_CLASS,
    DEFAULT_TIME_ZONE,
    ERROR_CODE_CLASSES,
    PREFER_LOCAL_TIME,
    error_class,
    event_instant,
    event_location,
    map_action_code,
    map_status,
    minor_units,
    to_tracking_info,
)
from carrier_sdk_cainiao._wire import (
    RawEvent,
    TrackRecord,
    _epoch_ms,
    _event,
    _text,
    parse_envelope,
    parse_success,
    parse_time_zone,
)
from hypothesis import given
from hypothesis import strategies as st

from carrier_sdk import (
    AuthenticationError,
    CarrierServerError,
    InvalidRequestError,
    Location,
    Money,
    NotFoundError,
    RateLimitError,
    TrackingStatus,
)

S = TrackingStatus

PUBLISHED_TABLE = {
    S.PRE_TRANSIT: "GWMS_ACCEPT GWMS_PACKAGE PRE_READY_TO_SHIP WMS_CONFIRMED ORDER_CREATED CREATE",
    S.IN_TRANSIT: "CW_INBOUND CW_OUTBOUND CW_COMMON_PROCESSING1 PU_PICKUP_SUCCESS PU_SIGN_IN_SUCCESS GWMS_OUTBOUND "
    "SC_INBOUND_SUCCESS SC_OUTBOUND_SUCCESS SC_SIGN_IN_SUCCESS SC_HO_OUT_SUCCESS CC_EX_START CC_EX_SUCCESS "
    "LH_HO_IN_SUCCESS LH_HO_AIRLINE LH_DEPART LH_ARRIVE LH_POST_COLLECTION COMMON_INTRANSIT CC_HO_IN_SUCCESS "
    "CC_IM_START CC_IM_SUCCESS CC_HO_OUT_SUCCESS GTMS_ACCEPT GTMS_SC_ARRIVE GTMS_SC_DEPART GTMS_DO_ARRIVE "
    "LAST_MILE_HO_SUCCESS",
    S.OUT_FOR_DELIVERY: "GTMS_DO_DEPART GTMS_DELIVERING GTMS_RE_DELIVERING",
    S.AVAILABLE_FOR_PICKUP: "GSTA_INFORM_BUYER GTMS_WAIT_SELF_PICK GTMS_STA_SIGNED",
    S.DELIVERED: "GTMS_SIGNED SIGN_SUCCESS",
    S.DELIVERY_FAILED: "GTMS_SIGN_FAILURE GTMS_STA_SIGN_FAILURE GMT_DEL_FAILURE GTMS_FAILED PU_PICKUP_FAILURE "
    "SC_INBOUND_FAILURE EXCEPTION",
    S.RETURNED_TO_SENDER: "RETURNED GTMS_RETURN RT_INBOUND",
}
CASES = [(code, status) for status, codes in PUBLISHED_TABLE.items() for code in codes.split()]


@pytest.mark.parametrize(("code", "status"), CASES)
def test_action_codes_follow_wire_table(code: str, status: TrackingStatus) -> None:
    assert CainiaoCarrier.map_status(code) is status
    assert CainiaoCarrier.map_status("AE_" + code) is status
    assert CainiaoCarrier.map_status(code.lower()) is status


def test_table_has_no_extra_codes() -> None:
    assert set(ACTION_CODE_STATUS) == {code for code, _ in CASES}


def test_station_signing_is_not_delivery() -> None:
    assert map_action_code("GTMS_STA_SIGNED") is S.AVAILABLE_FOR_PICKUP


@pytest.mark.parametrize("code", ["", "AE_", "GTMS_SIGNED_X", "CC_IM_CUSTOMS_HOLD", "AE_AE_GTMS_SIGNED", "signed"])
def test_unknown_codes(code: str) -> None:
    assert CainiaoCarrier.map_status(code, "Delivered") is S.UNKNOWN


@given(st.text())
def test_map_status_never_raises(code: str) -> None:
    assert isinstance(CainiaoCarrier.map_status(code), TrackingStatus)


@pytest.mark.parametrize(
    ("text", "hours"),
    [
        ("+8", 8),
        ("8", None),
        ("GMT+8", 8),
        ("GMT-3", -3),
        ("GMT+02:00", 2),
        ("GMT+0530", 5.5),
        ("UTC-04:00", -4),
        ("gmt+8", 8),
        ("GMT", 0),
        ("UTC", 0),
        ("GMT+15", None),
        ("GMT+8:75", None),
        ("Asia/Shanghai", None),
        ("", None),
    ],
)
def test_time_zone_normalisation(text: str, hours: float | None) -> None:
    tz = parse_time_zone(text)
    offset = None if tz is None else tz.utcoffset(None)
    assert offset == (None if hours is None else timedelta(hours=hours))


@pytest.mark.parametrize(
    ("local", "zone", "utc"),
    [
        ("2024-08-22 17:52:29", "+8", datetime(2024, 8, 22, 9, 52, 29, tzinfo=UTC)),
        ("2024-08-22 17:52:29", "GMT-3", datetime(2024, 8, 22, 20, 52, 29, tzinfo=UTC)),
        ("2024-08-22 00:30:00", "GMT+02:00", datetime(2024, 8, 21, 22, 30, tzinfo=UTC)),
        ("2024-12-31 23:00:00", "GMT-5", datetime(2025, 1, 1, 4, 0, tzinfo=UTC)),
    ],
)
def test_local_time_to_utc(local: str, zone: str, utc: datetime) -> None:
    at, raw = event_instant(RawEvent(local_time=local, time_zone=zone))
    assert at == utc
    assert raw == f"{local} {zone}"


@given(
    at=st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2099, 12, 31)),
    offset_minutes=st.integers(min_value=-14 * 60, max_value=14 * 60).map(lambda m: m - m % 15),
    separator=st.sampled_from([" ", "T"]),
    seconds=st.booleans(),
    padded=st.booleans(),
)
def test_wall_times_of_every_shape_read_to_the_same_instant(
    at: datetime, offset_minutes: int, separator: str, seconds: bool, padded: bool
) -> None:
    # Two-digit ISO-shaped times take a fromisoformat fast path, the rest (single-digit fields)
    # the regex path: both must give datetime(fields, tzinfo=zone) in UTC.
    hours, minutes = divmod(abs(offset_minutes), 60)
    zone = f"GMT{'-' if offset_minutes < 0 else '+'}{hours:02d}:{minutes:02d}"
    fields = f"%Y-%m-%d{separator}%H:%M{':%S' if seconds else ''}"
    text = (
        at.strftime(fields)
        if padded
        else f"{at.year}-{at.month}-{at.day}{separator}{at.hour}:{at.minute:02d}"
        + (f":{at.second:02d}" if seconds else "")
    )
    expected = at.replace(microsecond=0, second=at.second if seconds else 0)
    expected = expected.replace(tzinfo=parse_time_zone(zone)).astimezone(UTC)
    assert event_instant(RawEvent(local_time=text, time_zone=zone))[0] == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [("2024-02-30 10:00:00", "day"), ("2024-08-22 24:00:00", "hour"), ("2024-13-01 10:00", "month")],
)
def test_impossible_wall_times_raise(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        event_instant(RawEvent(local_time=text, time_zone="GMT+8"))


def test_epoch_wins_over_time_str_and_wall_time_is_the_fallback() -> None:
    # Corpus (tests/external/cainiao): timeStr is the epoch rendered at GMT+8 whatever timeZone
    # says, so the epoch is the instant and timeStr + timeZone would be 11 hours off here.
    event = RawEvent(epoch_ms=1748410407000, local_time="2025-05-28 13:33:27", time_zone="GMT-3")
    assert not PREFER_LOCAL_TIME
    at, raw = event_instant(event)
    assert at == datetime(2025, 5, 28, 5, 33, 27, tzinfo=UTC)
    assert raw == ""
    at, raw = event_instant(RawEvent(local_time="2025-05-28 13:33:27", time_zone="GMT-3"))
    assert at == datetime(2025, 5, 28, 16, 33, 27, tzinfo=UTC)
    assert raw == "2025-05-28 13:33:27 GMT-3"
    at, _ = event_instant(RawEvent(epoch_ms=1748410407000, time_zone="nonsense"))
    assert at == datetime(2025, 5, 28, 5, 33, 27, tzinfo=UTC)


def test_zone_less_local_time_is_china_time() -> None:
    at, _ = event_instant(RawEvent(local_time="2024-01-01 08:00:00"))
    assert DEFAULT_TIME_ZONE.utcoffset(None) == timedelta(hours=8)
    assert at == datetime(2024, 1, 1, 0, 0, tzinfo=UTC)
    with pytest.raises(ValueError, match="usable time"):
        event_instant(RawEvent(local_time="yesterday"))


@pytest.mark.parametrize(
    ("amount", "currency", "minor"),
    [
        ("25.00", "USD", 2500),
        ("12.345", "USD", 1235),
        ("0.01", "EUR", 1),
        ("1500", "JPY", 1500),
        ("1.234", "KWD", 1234),
    ],
)
def test_minor_units(amount: str, currency: str, minor: int) -> None:
    assert minor_units(Money(amount=Decimal(amount), currency=currency)) == minor


@pytest.mark.parametrize(("code", "cls"), sorted(ERROR_CODE_CLASSES.items()))
def test_error_code_table(code: str, cls: type) -> None:
    assert error_class(code, "") is cls
    assert error_class(code.lower(), "whatever") is cls


@pytest.mark.parametrize(
    ("message", "cls"),
    [
        ("request param DataDigest can not be null", InvalidRequestError),
        ("sign check failure", AuthenticationError),
        ("签名错误", AuthenticationError),
        ("order not exist", NotFoundError),
        ("运单不存在", NotFoundError),
        ("API rate limit exceeded", RateLimitError),
        ("请求过于频繁", RateLimitError),
        ("System error, please retry", CarrierServerError),
        ("param error: zipCode", InvalidRequestError),
        ("something else entirely", DEFAULT_ERROR_CLASS),
        ("", DEFAULT_ERROR_CLASS),
    ],
)
def test_error_keyword_fallbacks(message: str, cls: type) -> None:
    assert error_class("E_UNSEEN_CODE", message) is cls
    assert error_class(None, message) is cls


@pytest.mark.parametrize(
    ("value", "parsed"),
    [
        ("true", True),
        ("false", False),
        (True, True),
        (False, False),
        ("TRUE", True),
        ("yes", None),
        (1, None),
        (None, None),
    ],
)
def test_success_flag(value: object, parsed: bool | None) -> None:
    assert parse_success(value) is parsed


def test_nested_data_success_false_is_a_failure() -> None:
    env = parse_envelope({"success": "true", "data": {"success": "false", "errorCode": "X", "errorMsg": "m"}})
    assert (env.success, env.error_code, env.error_message) == (False, "X", "m")
    with pytest.raises(ValueError, match="success"):
        parse_envelope({"data": {}})
    with pytest.raises(TypeError):
        parse_envelope(["success"])


def test_hold_phrases_map_to_held_only_for_codes_the_table_does_not_know() -> None:
    assert map_status("CUSTOMS_ARRIVED_IN_AREA_CALLBACK", "Held by customs") is TrackingStatus.HELD
    assert map_status("AE_CC_HOLD", "包裹被海关扣留") is TrackingStatus.HELD
    assert map_status("CC_IM_START", "Held by customs") is TrackingStatus.IN_TRANSIT
    assert map_status("TRANSIT_PORT_REROUTE_CALLBACK", "Carrier update") is TrackingStatus.UNKNOWN


class _Text(str):
    """A ``str`` subclass: the wire readers' exact-``str`` fast paths do not take it."""


@given(st.text(alphabet=st.sampled_from("0123456789 \t\n\u00a0\u0663\u00b2abc-:"), max_size=16))
def test_exact_str_fast_paths_read_text_as_the_general_path_does(value: str) -> None:
    # _text and _epoch_ms check for an exact str first (every event's fields go through them);
    # a str subclass takes the general isinstance path, which must agree on every text.
    assert _text(value) == _text(_Text(value))
    try:
        fast: object = _epoch_ms(value)
    except ValueError as err:  # int() of digits that str.isdigit accepts but int refuses ("²")
        fast = type(err)
    try:
        general: object = _epoch_ms(_Text(value))
    except ValueError as err:
        general = type(err)
    assert fast == general


def test_an_event_in_a_mapping_that_is_not_a_dict_reads_the_same() -> None:
    from types import MappingProxyType

    item = {"time": "2024-08-22 10:00:00", "timeZone": "GMT+8", "actionCode": "GTMS_SIGNED", "desc": " Delivered "}
    assert _event(MappingProxyType(item)) == _event(item)
    with pytest.raises(TypeError):
        _event(["not", "an", "object"])


def test_event_status_reads_description_and_note_as_map_status_text() -> None:
    # The per-event status is cached by (code, description, note); the note can decide a hold.
    held = RawEvent(action_code="UNLISTED_CODE", description="Update", carrier_note="held by customs")
    plain = RawEvent(action_code="UNLISTED_CODE", description="Update", carrier_note="")
    at = {"epoch_ms": 1_724_292_000_000}
    info = to_tracking_info("cainiao", "LP1", TrackRecord(events=(held._replace(**at), plain._replace(**at))))
    assert [e.status for e in info.events] == [TrackingStatus.HELD, TrackingStatus.UNKNOWN]


@pytest.mark.parametrize(
    ("description", "city"),
    [("[Shatian Town] Processing at sorting center", "Shatian Town"), ("Processing [Shatian Town]", None), ("", None)],
)
def test_bracketed_town_is_read_only_at_the_start(description: str, city: str | None) -> None:
    location = event_location(RawEvent(description=description))
    assert (location.city if location else None) == city


def test_every_raw_event_field_lands_where_it_belongs() -> None:
    # _event builds RawEvent positionally and to_tracking_info unpacks it positionally: a field
    # put in or read from the wrong place shows here, from the trace entry to the event.
    entry = {
        "time": "2024-08-22 17:52:29",
        "timeZone": "GMT-3",
        "actionCode": "GTMS_SIGNED",
        "location": "Sao Paulo DC",
    }
    raw = _event({**entry, "standerdDesc": "Delivered to the door", "desc": "Left with a neighbour"})
    assert (raw.action_code, raw.description, raw.carrier_note) == (
        "GTMS_SIGNED",
        "Delivered to the door",
        "Left with a neighbour",
    )
    assert (raw.epoch_ms, raw.local_time, raw.time_zone, raw.location) == (
        None,
        "2024-08-22 17:52:29",
        "GMT-3",
        "Sao Paulo DC",
    )
    (event,) = to_tracking_info("cainiao", "LP1", TrackRecord(events=(raw,))).events
    assert event.status is TrackingStatus.DELIVERED
    assert (event.carrier_status_code, event.carrier_status_text) == ("GTMS_SIGNED", "Delivered to the door")
    assert event.description == "Delivered to the door"
    assert event.occurred_at == datetime(2024, 8, 22, 20, 52, 29, tzinfo=UTC)
    assert event.local_time == "2024-08-22 17:52:29 GMT-3"
    assert event.location == Location(facility="Sao Paulo DC")
    (noted,) = to_tracking_info("cainiao", "LP1", TrackRecord(events=(raw._replace(description=""),))).events
    assert noted.description == "Left with a neighbour"
    assert noted.carrier_status_text == ""
    assert noted.location == Location(facility="Sao Paulo DC")
