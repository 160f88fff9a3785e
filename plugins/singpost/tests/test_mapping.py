"""Status mapping, time parsing and the pure parser."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from carrier_sdk_singpost import SingPostCarrier
from carrier_sdk_singpost._mapping import FALLBACK_STATUS_CODES, STATUS_CODES, to_tracking_info
from carrier_sdk_singpost._wire import WireEvent, WireItem, clean, error_kind, parse_time
from hypothesis import given
from hypothesis import strategies as st

from carrier_sdk import TrackingStatus

S = TrackingStatus


@pytest.mark.parametrize(
    ("code", "text", "expected"),
    [
        ("IR", "", S.PRE_TRANSIT),
        ("IR", "Item delivered", S.PRE_TRANSIT),  # the code wins over keywords
        ("ir", "", S.PRE_TRANSIT),
        ("RS", "", S.RETURNED_TO_SENDER),
        ("-", "Information Received", S.PRE_TRANSIT),
        ("", "Item delivered", S.DELIVERED),
        ("", "Item DELIVERED to addressee", S.DELIVERED),
        ("", "Item not delivered - address incomplete", S.DELIVERY_FAILED),
        ("", "Undelivered item", S.DELIVERY_FAILED),
        ("", "Delivery unsuccessful", S.DELIVERY_FAILED),
        ("", "Delivery attempted", S.DELIVERY_FAILED),
        ("", "Addressee refused", S.DELIVERY_FAILED),
        ("", "Item held by customs", S.HELD),
        ("", "Item is out for delivery", S.OUT_FOR_DELIVERY),
        ("", "Item with delivery courier", S.OUT_FOR_DELIVERY),
        ("", "Item is ready for collection", S.AVAILABLE_FOR_PICKUP),
        ("", "Item held at post office for collection", S.AVAILABLE_FOR_PICKUP),
        ("", "Deposited in POPStation", S.AVAILABLE_FOR_PICKUP),
        ("", "Item returned to sender", S.RETURNED_TO_SENDER),
        ("", "Item posted over the counter", S.IN_TRANSIT),
        ("", "Item despatched to overseas destination", S.IN_TRANSIT),
        ("", "Arrived at  destination   country", S.IN_TRANSIT),
        ("AC", "", S.IN_TRANSIT),  # observed code, fallback only
        ("AC", "Item delivered", S.DELIVERED),  # keywords before the fallback
        # unknown codes without a keyword: never guessed
        ("HQ", "", S.UNKNOWN),
        ("DF", "Status update", S.UNKNOWN),
        ("ZZ", "", S.UNKNOWN),
        ("", "", S.UNKNOWN),
    ],
)
def test_map_status(code, text, expected):
    assert SingPostCarrier.map_status(code, text) is expected


def test_status_tables_only_use_known_statuses():
    for status in [*STATUS_CODES.values(), *FALLBACK_STATUS_CODES.values()]:
        assert isinstance(status, TrackingStatus)


@given(st.text(max_size=40), st.text(max_size=200))
def test_map_status_never_raises(code, text):
    assert isinstance(SingPostCarrier.map_status(code, text), TrackingStatus)


def test_map_status_tolerates_non_strings():
    assert SingPostCarrier.map_status(None, None) is S.UNKNOWN  # type: ignore[arg-type]
    assert SingPostCarrier.map_status(42, b"x") is S.UNKNOWN  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-05-21T10:56:00", datetime(2024, 5, 21, 2, 56, tzinfo=UTC)),  # Singapore, UTC+8
        ("2024-05-21 10:56:00", datetime(2024, 5, 21, 2, 56, tzinfo=UTC)),
        ("2024-05-21T10:56", datetime(2024, 5, 21, 2, 56, tzinfo=UTC)),
        ("2024-05-21T00:30:00", datetime(2024, 5, 20, 16, 30, tzinfo=UTC)),  # crosses midnight
        ("2024-05-21T10:56:00.123", datetime(2024, 5, 21, 2, 56, 0, 123000, tzinfo=UTC)),
        ("2024-05-21T10:56:00.1234567", datetime(2024, 5, 21, 2, 56, 0, 123456, tzinfo=UTC)),
        ("2024-05-21T10:56:00Z", datetime(2024, 5, 21, 10, 56, tzinfo=UTC)),
        ("2024-05-21T10:56:00+08:00", datetime(2024, 5, 21, 2, 56, tzinfo=UTC)),
        ("2024-05-21T10:56:00+0800", datetime(2024, 5, 21, 2, 56, tzinfo=UTC)),
        ("2024-05-21T10:56:00.500-05:00", datetime(2024, 5, 21, 15, 56, 0, 500000, tzinfo=UTC)),
        ("2024-05-21T10:56:00+02", datetime(2024, 5, 21, 8, 56, tzinfo=UTC)),
        ("2024-05-21T10:56:00 SGT", datetime(2024, 5, 21, 2, 56, tzinfo=UTC)),
        ("2024-05-21T10:56:00GMT+8", datetime(2024, 5, 21, 2, 56, tzinfo=UTC)),
        ("2024-05-21T10:56:00 UTC", datetime(2024, 5, 21, 10, 56, tzinfo=UTC)),
        ("2024-05-21", datetime(2024, 5, 20, 16, 0, tzinfo=UTC)),
    ],
)
def test_parse_time(text, expected):
    parsed = parse_time(text)
    assert parsed == expected
    assert parsed.tzinfo is UTC


@pytest.mark.parametrize(
    "text",
    [
        "",
        "yesterday",
        "21/05/2024 10:56",
        "2024-13-01T00:00:00",
        "2024-05-21T25:00:00",
        "2024-05-21T10:56:00 XYZ",
        "2024-05-21T10:56:00+24:00",
        "2024-05-21T10:56:00+05:75",
    ],
)
def test_parse_time_rejects(text):
    with pytest.raises(ValueError):  # noqa: PT011 - any ValueError; the carrier wraps it
        parse_time(text)


def test_clean_dash_means_empty():
    assert clean("-") == ""
    assert clean("  - ") == ""
    assert clean(None) == ""
    assert clean("A-1") == "A-1"


@pytest.mark.parametrize(
    ("code", "desc", "kind"),
    [
        ("3", "Rate limit exceeded", "rate_limit"),
        ("3", "Invalid SystemID", "authentication"),
        ("3", "Missing TrackingNumber", "invalid_request"),
        ("3", "Unexpected failure", "server"),
    ],
)
def test_error_kind(code, desc, kind):
    assert error_kind(code, desc) == kind


def test_events_with_equal_times_keep_carrier_order():
    item = WireItem(
        tracking_number="RR123456785SG",
        found=True,
        events=(  # newest first, both at the same minute
            WireEvent(date="2024-05-21T10:56:00", description="Item delivered"),
            WireEvent(date="2024-05-21T10:56:00", description="Item is out for delivery"),
        ),
    )
    info = to_tracking_info("singpost", "", item)
    assert [e.description for e in info.events] == ["Item is out for delivery", "Item delivered"]
    assert info.status is S.DELIVERED


def test_oldest_first_document_is_not_reversed():
    item = WireItem(
        tracking_number="RR123456785SG",
        events=(
            WireEvent(date="2024-05-21T09:00:00", status_code="IR"),
            WireEvent(date="2024-05-22T09:00:00", description="Item delivered"),
        ),
    )
    info = to_tracking_info("singpost", "", item)
    assert info.status is S.DELIVERED


@given(st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2099, 12, 31)))
def test_usual_dates_read_as_the_general_path_reads_them(at):
    # "YYYY-MM-DDTHH:MM:SS" takes a one-call path; padded with spaces it takes the general one.
    # Both read it in Asia/Singapore's rules of that day (+07:30 before 1982 included).
    text = at.strftime("%Y-%m-%dT%H:%M:%S")
    fast = parse_time(text)
    assert fast == parse_time(f" {text} ")
    assert fast.tzinfo is UTC


def test_event_fields_are_the_first_of_each_name_cleaned():
    import xml.etree.ElementTree as ET

    from carrier_sdk_singpost._wire import parse_response

    ns = "http://singpost.com/paw/ns"
    root = ET.fromstring(
        f'<R xmlns="{ns}"><Status><ErrorCode>0</ErrorCode></Status><ItemsTrackingDetailList><ItemTrackingDetail>'
        "<TrackingNumber>RR1SG</TrackingNumber><DeliveryStatusDetails><DeliveryStatusDetail>"
        "<Date> 2024-05-21T10:56:00 </Date><Date>2030-01-01T00:00:00</Date><StatusCode> dl </StatusCode>"
        "<ReasonCode>-</ReasonCode><Location>  -  </Location>"
        "</DeliveryStatusDetail></DeliveryStatusDetails></ItemTrackingDetail></ItemsTrackingDetailList></R>"
    )
    (event,) = parse_response(root).items[0].events
    assert event == WireEvent(date="2024-05-21T10:56:00", status_code="DL", reason_code="", description="", location="")
