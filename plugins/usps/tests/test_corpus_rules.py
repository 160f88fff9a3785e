"""The failure classes the external corpus showed, each pinned on a corpus body (or a stated derivation of one)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from carrier_sdk_usps._mapping import event_instant, label_format_of, parse_label_response, to_tracking_info

from carrier_sdk import LabelFormat, TrackingStatus

CORPUS = Path(__file__).parents[3] / "tests" / "external" / "usps"
NAMED = "multipart/form-data; boundary=FNfrpx9bbvOkzqOIlaOc8mp+"


def corpus(name: str) -> bytes:
    return (CORPUS / name).read_bytes()


def test_the_offset_decides_when_gmt_timestamp_disagrees() -> None:
    # The failure USPS captures show: GMTTimestamp carries the local date with the UTC time of
    # day, 24 h early once the UTC date rolls over. 21:30 at -05:00 is 02:30Z the next day.
    event = {"eventTimestamp": "2024-11-19T21:30:00", "GMTOffset": "-05:00", "GMTTimestamp": "2024-11-19T02:30:00Z"}
    assert event_instant(event) == (datetime(2024, 11, 20, 2, 30, tzinfo=UTC), "2024-11-19T21:30:00")


def test_history_order_follows_the_true_instants() -> None:
    # Newest first on the wire. With GMTTimestamp trusted the evening scan would sort 24 h early,
    # before the afternoon one.
    data = {
        "trackingEvents": [
            {"eventType": "Departed USPS Regional Facility", "eventCode": "T1", "eventTimestamp": "2024-11-19T21:30:00",
             "GMTOffset": "-05:00", "GMTTimestamp": "2024-11-19T02:30:00Z"},
            {"eventType": "Arrived at USPS Regional Facility", "eventCode": "10", "eventTimestamp": "2024-11-19T15:00:00",
             "GMTOffset": "-05:00", "GMTTimestamp": "2024-11-19T20:00:00Z"},
        ]
    }  # fmt: skip
    info = to_tracking_info("usps", "9400109104250532908587", data)
    assert [e.carrier_status_code for e in info.events] == ["10", "T1"]
    assert info.latest_event is not None
    assert info.latest_event.occurred_at == datetime(2024, 11, 20, 2, 30, tzinfo=UTC)


def test_gmt_timestamp_that_agrees_keeps_its_seconds() -> None:
    # karrio capture: eventTimestamp 11:32:00 at -05:00, GMTTimestamp 16:32:33Z: the same minute.
    event = {"eventTimestamp": "2024-11-15T11:32:00", "GMTTimestamp": "2024-11-15T16:32:33Z", "GMTOffset": "-05:00"}
    assert event_instant(event) == (datetime(2024, 11, 15, 16, 32, 33, tzinfo=UTC), "2024-11-15T11:32:00")


def _strip_names(body: bytes) -> bytes:
    return re.sub(rb';\s*name="[^"]*"', b"", body)


def test_parts_with_only_a_file_name_are_recognised() -> None:
    # Derived from the karrio capture: every ``name=`` removed, file names kept.
    body = _strip_names(corpus("label_domestic_multipart_named.txt"))
    assert b'name="labelImage"' not in body
    assert b'filename="labelImage.pdf"' in body
    metadata, image = parse_label_response(NAMED, body, international=False)
    assert metadata["trackingNumber"] == "9234690361980900000265"
    assert image is not None
    assert label_format_of(image) is LabelFormat.PDF
    _, named_image = parse_label_response(NAMED, corpus("label_domestic_multipart_named.txt"), international=False)
    assert image == named_image  # the label, not the receipt part that follows it


def test_parts_without_any_disposition_are_recognised_by_type_and_content() -> None:
    body = corpus("label_domestic_multipart_unnamed.txt")
    assert b"Content-Disposition" not in body
    metadata, image = parse_label_response(
        "multipart/form-data; boundary=726UYUDSQB6JWJXFDY", body, international=False
    )
    assert metadata["postage"] == 7.64
    assert image is not None
    assert image.startswith(b"%PDF-1.4")


def test_json_reprint_nests_the_metadata() -> None:
    metadata, image = parse_label_response(
        "application/json", corpus("label_reprint_domestic_json.json"), international=False
    )
    assert metadata["trackingNumber"] == "123456789012"
    assert image is not None
    assert label_format_of(image) is LabelFormat.PNG


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"%PDF-1.4\n", LabelFormat.PDF),
        (b"\x89PNG\r\n\x1a\n\x00", LabelFormat.PNG),
        (b"II*\x00\x08\x00", LabelFormat.TIFF),  # the eVS capture's LabelImage starts SUkqAAgA = II*\0
        (b"MM\x00*\x00", LabelFormat.TIFF),
        (b"^XA^FO50,50^FDUSPS^FS^XZ", LabelFormat.ZPL),
        (b"\r\n^XA\n^XZ", LabelFormat.ZPL),
        (b"~DGR:IMG.GRF,1,1,00\n^XA^XZ", LabelFormat.ZPL),
    ],
    ids=["pdf", "png", "tiff-le", "tiff-be", "zpl", "zpl-leading-space", "zpl-after-download"],
)
def test_label_format_comes_from_the_bytes(data: bytes, expected: LabelFormat) -> None:
    assert label_format_of(data) is expected


def test_unknown_label_bytes_are_refused() -> None:
    with pytest.raises(ValueError, match="not PDF, PNG, TIFF or ZPL"):
        label_format_of(b"string")


def test_delivered_capture_says_where_it_was_left() -> None:
    import json

    info = to_tracking_info(
        "usps", "9400109104250532908587", json.loads(corpus("track_v3_delivered_parcel_locker.json"))
    )
    assert info.status is TrackingStatus.DELIVERED
    assert info.left_at == "Parcel Locker"
