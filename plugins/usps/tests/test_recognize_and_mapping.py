"""recognize(), the event-code table, time-zone handling and small parsers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from carrier_sdk_usps import UspsCarrier
from carrier_sdk_usps._mapping import (
    EVENT_CODE_STATUS,
    event_instant,
    lenient_bool,
    parse_label_response,
    parse_offset,
    strip_html,
)
from carrier_sdk_usps._wire import (
    FALLBACK_EVENT_TZ,
    TRACK_V3R2_BATCH_SIZE,
    USPS_DEFAULT_QUOTA_PER_HOUR,
    idempotency_uuid,
)

from carrier_sdk import Confidence, TrackingStatus, ValidationError
from carrier_sdk.testing import assert_not_recognized, assert_recognized, make_registry


@pytest.mark.parametrize(
    ("number", "confidence"),
    [
        ("9400111899223855123450", Confidence.HIGH),  # IMPB, 22 digits
        ("9420550123456789012346", Confidence.HIGH),
        ("9300199999999999999999", Confidence.HIGH),
        ("9201901649173123456788", Confidence.HIGH),
        ("9400136106195372355532", Confidence.HIGH),
        ("9434650899562092878282", Confidence.HIGH),
        ("420631189400111899223855123450", Confidence.HIGH),  # routing code (420 + ZIP) first
        ("4206311826289400111899223855123450", Confidence.HIGH),  # routing code (420 + ZIP+4) first
        ("RB112233447US", Confidence.HIGH),
        ("EC123456785US", Confidence.HIGH),
        ("03001234567890123459", Confidence.MEDIUM),
        ("8212345678", Confidence.LOW),
    ],
)
def test_recognized(number: str, confidence: Confidence) -> None:
    assert_recognized(UspsCarrier, number, confidence)


@pytest.mark.parametrize(
    "number",
    [
        "EA123456782US",  # Pub 97's illustrative number has a wrong check digit
        "RR123456785SG",  # valid S10 but not issued by USPS
        "9400111899223100012927",  # "nice" fixture number failing mod 10
        "9400111899223855123451",
        "420631189400111899223855123451",  # a routing code does not mend a bad check digit
        "4206311826289400111899223855123451",
        "03001234567890123458",
        "940011189922385512345",
        "HELLO",
    ],
)
def test_rejected(number: str) -> None:
    assert_not_recognized(UspsCarrier, number)


def test_check_number_and_registry_identify() -> None:
    with pytest.raises(ValidationError):
        UspsCarrier.check_number("EA123456782US")
    registry = make_registry(UspsCarrier)
    assert [i.carrier for i in registry.identify("9400 1118 9922 3855 1234 50")] == ["usps"]


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("GX", TrackingStatus.PRE_TRANSIT),
        ("MA", TrackingStatus.PRE_TRANSIT),
        ("80", TrackingStatus.PRE_TRANSIT),
        ("03", TrackingStatus.IN_TRANSIT),
        ("EF", TrackingStatus.IN_TRANSIT),
        ("OF", TrackingStatus.OUT_FOR_DELIVERY),
        ("59", TrackingStatus.OUT_FOR_DELIVERY),
        ("16", TrackingStatus.AVAILABLE_FOR_PICKUP),
        ("01", TrackingStatus.DELIVERED),
        ("43", TrackingStatus.DELIVERED),
        ("02", TrackingStatus.DELIVERY_FAILED),
        ("DX", TrackingStatus.DELIVERY_FAILED),
        ("09", TrackingStatus.RETURNED_TO_SENDER),
        ("31", TrackingStatus.RETURNED_TO_SENDER),
        ("of", TrackingStatus.OUT_FOR_DELIVERY),
    ],
)
def test_event_codes(code: str, status: TrackingStatus) -> None:
    assert UspsCarrier.map_status(code) is status


def test_code_beats_text_and_text_is_a_fallback() -> None:
    assert UspsCarrier.map_status("01", "Out for Delivery") is TrackingStatus.DELIVERED
    assert UspsCarrier.map_status("", "Delivered") is TrackingStatus.DELIVERED
    assert UspsCarrier.map_status("", "Delivery Attempt: Action Needed") is TrackingStatus.DELIVERY_FAILED
    assert UspsCarrier.map_status("", "On Its Way to USPS") is TrackingStatus.PRE_TRANSIT
    assert UspsCarrier.map_status("", "Moving Through Network") is TrackingStatus.IN_TRANSIT
    assert UspsCarrier.map_status("QQ", "International scan") is TrackingStatus.UNKNOWN
    assert UspsCarrier.map_status(None, None) is TrackingStatus.UNKNOWN  # type: ignore[arg-type]
    assert len(EVENT_CODE_STATUS) >= 50


def test_constants() -> None:
    assert TRACK_V3R2_BATCH_SIZE == UspsCarrier.batch_size == 35
    assert USPS_DEFAULT_QUOTA_PER_HOUR == 60
    assert UspsCarrier.rate_limit is not None
    assert "x-payment-authorization-token" in UspsCarrier.sensitive_headers
    assert UspsCarrier.supports_idempotency_key


# -- time zones ----------------------------------------------------------------------------------


def _utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        # GMTTimestamp wins, eventTimestamp's bogus Z is not believed
        (
            {"eventTimestamp": "2024-04-04T07:03:12Z", "GMTTimestamp": "2024-04-04T14:03:12.041Z"},
            _utc(2024, 4, 4, 14, 3, 12, 41000),
        ),
        # local + "-7:00" (single-digit hour)
        ({"eventTimestamp": "2024-04-04T07:03:12Z", "GMTOffset": "-7:00"}, _utc(2024, 4, 4, 14, 3, 12)),
        # local + "-04:00"
        ({"eventTimestamp": "2023-08-02T07:31:00", "GMTOffset": "-04:00"}, _utc(2023, 8, 2, 11, 31)),
        # zone-less, no offset: FALLBACK_EVENT_TZ (CST in January = UTC-6)
        ({"eventTimestamp": "2024-01-15T06:10:00"}, _utc(2024, 1, 15, 12, 10)),
        # unparseable GMTTimestamp falls back to the local time
        (
            {"eventTimestamp": "2024-01-15 06:10", "GMTTimestamp": "garbage", "GMTOffset": "+05:30"},
            _utc(2024, 1, 15, 0, 40),
        ),
        # time-only eventTimestamp (early v3 bug) with a separate eventDate
        ({"eventTimestamp": "7:31 am", "eventDate": "2023-08-02", "GMTOffset": "-04:00"}, _utc(2023, 8, 2, 11, 31)),
    ],
)
def test_event_instant(event: dict[str, str], expected: datetime) -> None:
    placed = event_instant(event)
    assert placed is not None
    assert placed[0] == expected
    assert placed[1] == event["eventTimestamp"]


def test_event_instant_unplaceable() -> None:
    assert event_instant({"eventTimestamp": "07:31:00"}) is None  # time only, no date anywhere
    assert event_instant({}) is None
    assert event_instant({"eventTimestamp": "yesterday"}) is None


def test_fallback_zone_is_us_central() -> None:
    assert FALLBACK_EVENT_TZ.utcoffset(datetime(2024, 7, 1)) == timedelta(hours=-5)


@pytest.mark.parametrize(
    ("text", "hours"), [("-7:00", -7), ("-04:00", -4), ("-0500", -5), ("+5", 5), ("GMT-6", -6), ("+05:30", 5.5)]
)
def test_parse_offset(text: str, hours: float) -> None:
    zone = parse_offset(text)
    assert zone is not None
    assert zone.utcoffset(None) == timedelta(hours=hours)


@pytest.mark.parametrize("text", ["", "7:00", "-25:00", "PST", None])
def test_parse_offset_rejects(text: str | None) -> None:
    assert parse_offset(text) is None


def test_small_parsers() -> None:
    assert strip_html("Priority Mail Express<SUP>&#8482;</SUP> 1-Day") == "Priority Mail Express 1-Day"
    assert strip_html(None) == ""
    assert lenient_bool("false") is False
    assert lenient_bool("Y") is True
    assert lenient_bool(True) is True
    assert lenient_bool("maybe") is None
    key = "8be4df61-93ca-11d2-aa0d-00e098032b8c"
    assert idempotency_uuid(key.upper()) == key
    assert idempotency_uuid("8be4df6193ca11d2aa0d00e098032b8c") == key
    assert idempotency_uuid("order-1") == idempotency_uuid("order-1") != idempotency_uuid("order-2")


def test_multipart_without_metadata_is_an_error() -> None:
    body = b'--x\r\nContent-Disposition: form-data; name="labelImage"\r\n\r\nJVBERg==\r\n--x--\r\n'
    with pytest.raises(KeyError):
        parse_label_response("multipart/form-data; boundary=x", body, international=False)
