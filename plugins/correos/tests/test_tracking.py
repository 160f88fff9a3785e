"""Tracking: the four-case pattern on both clients, plus time, ordering and return detection."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import httpx
import pytest
import respx
from carrier_sdk_correos._mapping import map_status, to_tracking_info
from carrier_sdk_correos._wire import madrid_to_utc, parse_localizador
from hypothesis import given
from hypothesis import strategies as st

from carrier_sdk import (
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    InvalidRequestError,
    RelatedNumber,
    ResponseError,
    TrackingNotFoundError,
    TrackingStatus,
)

S = TrackingStatus


def _route(mock, h, number=None):
    return mock.get(f"{h.TRACK_PATH}/{number or h.NUMBER}")


# -- 1. the request ------------------------------------------------------------------------------


def test_track_request_is_built_correctly(carrier_runner, h):
    with respx.mock(base_url=h.TRACK_BASE, assert_all_called=True) as mock:
        route = _route(mock, h).respond(200, content=h.fixture_bytes("tracking_delivered.json"))
        carrier_runner()("track", h.NUMBER.lower(), carrier="correos")
    request = route.calls.last.request
    assert request.method == "GET"
    assert request.url.path == f"{h.TRACK_PATH}/{h.NUMBER}"
    assert dict(request.url.params) == {"codIdioma": "ES", "indUltEvento": "N"}
    expected = base64.b64encode(b"trk-user:trk-secret-canary").decode()
    assert request.headers["authorization"] == f"Basic {expected}"


def test_track_base_url_override(carrier_runner, h):
    settings = {**h.SETTINGS, "tracking_base_url": "https://proxy.example/loc/"}
    with respx.mock(assert_all_called=True) as mock:
        route = mock.get(f"https://proxy.example/loc/{h.NUMBER}").respond(
            200, content=h.fixture_bytes("tracking_delivered.json")
        )
        carrier_runner(settings)("track", h.NUMBER, carrier="correos")
    assert route.called


# -- 2. success payloads -----------------------------------------------------------------------------


def test_track_success_parses_sorted_utc_events_and_related(carrier_runner, h):
    with respx.mock(base_url=h.TRACK_BASE, assert_all_called=True) as mock:
        _route(mock, h).respond(200, content=h.fixture_bytes("tracking_delivered.json"))
        info = carrier_runner()("track", h.NUMBER)
    assert info.carrier == "correos"
    assert info.tracking_number == h.NUMBER
    assert info.status is S.DELIVERED
    assert [e.carrier_status_code for e in info.events] == ["A090000V", "P040000V", "H020000V", "I010000V"]
    assert [e.status for e in info.events] == [S.PRE_TRANSIT, S.IN_TRANSIT, S.OUT_FOR_DELIVERY, S.DELIVERED]
    # 29/04/2026 13:12:42 Madrid summer time (UTC+2) -> 11:12:42 UTC
    assert info.events[-1].occurred_at == datetime(2026, 4, 29, 11, 12, 42, tzinfo=UTC)
    assert info.events[-1].local_time.startswith("29/04/2026 13:12:42")
    assert info.events[-1].location is not None
    assert info.events[-1].location.facility == "UR BARCELONA 21"
    assert info.related_numbers == (
        RelatedNumber(tracking_number="PY53VM9100000810108640T", carrier="correos", relation="associated"),
    )


def test_track_bare_object_body_is_accepted(carrier_runner, h):
    body = json.loads(h.fixture_bytes("tracking_delivered.json"))[0]
    with respx.mock(base_url=h.TRACK_BASE, assert_all_called=True) as mock:
        _route(mock, h).respond(200, json=body)
        info = carrier_runner()("track", h.NUMBER)
    assert info.status is S.DELIVERED


def test_track_returned_parcel_is_not_delivered(carrier_runner, h):
    with respx.mock(base_url=h.TRACK_BASE, assert_all_called=True) as mock:
        _route(mock, h).respond(200, content=h.fixture_bytes("tracking_returned.json"))
        info = carrier_runner()("track", h.NUMBER)
    assert info.status is S.RETURNED_TO_SENDER
    assert [e.status for e in info.events] == [
        S.IN_TRANSIT,
        S.DELIVERY_FAILED,
        S.RETURNED_TO_SENDER,
        S.RETURNED_TO_SENDER,
    ]


# -- 3. carrier errors ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "error", "code", "message"),
    [
        ("tracking_not_found.json", TrackingNotFoundError, "3", "Sin Trazabilidad en Minerva"),
        ("tracking_error_bare.json", InvalidRequestError, "1", "no válido"),
    ],
    ids=["not-found", "other-code"],
)
def test_track_carrier_errors_are_typed(carrier_runner, h, body, error, code, message):
    with respx.mock(base_url=h.TRACK_BASE, assert_all_called=True) as mock:
        _route(mock, h).respond(200, content=h.fixture_bytes(body))
        with pytest.raises(error) as info:
            carrier_runner()("track", h.NUMBER)
    assert type(info.value) is error
    assert info.value.error_code == code
    assert message in (info.value.error_message or "")
    assert info.value.status_code == 200


def test_track_401_is_authentication_error_without_secret(carrier_runner, h):
    with respx.mock(base_url=h.TRACK_BASE, assert_all_called=True) as mock:
        _route(mock, h).respond(401, text="Unauthorized")
        with pytest.raises(AuthenticationError) as info:
            carrier_runner()("track", h.NUMBER)
    assert "trk-secret-canary" not in repr(info.value) + str(info.value)
    assert info.value.request is not None
    assert "trk-secret" not in str(info.value.request.headers)


@pytest.mark.parametrize(
    "body",
    [b"[]", b"{}", b'[{"error": {"codError": "0"}, "eventos": [{"fecEvento": "bad"}]}]', b"<html>", b'"x"'],
)
def test_track_malformed_payload_is_response_error(carrier_runner, h, body):
    with respx.mock(base_url=h.TRACK_BASE, assert_all_called=True) as mock:
        _route(mock, h).respond(200, content=body)
        with pytest.raises((ResponseError, TrackingNotFoundError)):
            carrier_runner()("track", h.NUMBER)


# -- 4. transport failures -------------------------------------------------------------------------------


def test_track_connection_error(carrier_runner, h):
    with respx.mock(base_url=h.TRACK_BASE, assert_all_called=True) as mock:
        _route(mock, h).mock(side_effect=httpx.ConnectError("refused"))
        with pytest.raises(APIConnectionError):
            carrier_runner(max_retries=1)("track", h.NUMBER)


def test_track_timeout(carrier_runner, h):
    with respx.mock(base_url=h.TRACK_BASE, assert_all_called=True) as mock:
        _route(mock, h).mock(side_effect=httpx.ReadTimeout("slow"))
        with pytest.raises(APITimeoutError):
            carrier_runner(max_retries=1)("track", h.NUMBER)


# -- mapping details ----------------------------------------------------------------------------------------


def test_dst_spring_forward_nonexistent_hour_uses_fold_0():
    # Last Sunday of March 2026 is 29/03: 02:00-02:59 does not exist in Madrid.
    assert madrid_to_utc("29/03/2026", "01:59:59") == datetime(2026, 3, 29, 0, 59, 59, tzinfo=UTC)
    assert madrid_to_utc("29/03/2026", "02:30:00") == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)  # fold=0: UTC+1
    assert madrid_to_utc("29/03/2026", "03:00:00") == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)


def test_dst_fall_back_ambiguous_hour_uses_first_occurrence():
    # Last Sunday of October 2026 is 25/10: 02:00-02:59 happens twice.
    assert madrid_to_utc("25/10/2026", "01:30:00") == datetime(2026, 10, 24, 23, 30, tzinfo=UTC)
    assert madrid_to_utc("25/10/2026", "02:30:00") == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # fold=0: UTC+2
    assert madrid_to_utc("25/10/2026", "03:30:00") == datetime(2026, 10, 25, 2, 30, tzinfo=UTC)
    assert madrid_to_utc("15/01/2026", "") == datetime(2026, 1, 14, 23, 0, tzinfo=UTC)  # midnight, winter


def _madrid_reference(day: int, month: int, year: int, hour: int, minute: int, second: int) -> datetime:
    """The wall time built field by field in Madrid's rules (``fold=0``), then UTC."""
    return datetime(year, month, day, hour, minute, second, tzinfo=ZoneInfo("Europe/Madrid")).astimezone(UTC)


@given(
    when=st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2100, 12, 31, 23, 59, 59)),
    shape=st.sampled_from(["HH:MM:SS", "HH:MM", "H:MM:SS", "fullwidth"]),
)
def test_madrid_time_is_the_wall_time_in_madrid(when: datetime, shape: str) -> None:
    """Any day 1900-2100, DST changes included, in every time shape ``horEvento`` may have: the
    instant of the wall time built field by field (no fast path) in Madrid's rules."""
    second = 0 if shape == "HH:MM" else when.second
    if shape == "HH:MM":
        text = f"{when:%H:%M}"
    elif shape == "H:MM:SS":
        text = f"{when.hour}:{when:%M:%S}"
    elif shape == "fullwidth":  # digits int() reads and fromisoformat does not
        text = f"{when:%H:%M:%S}".translate({ord(d): 0xFF10 + int(d) for d in "0123456789"})
    else:
        text = f"{when:%H:%M:%S}"
    expected = _madrid_reference(when.day, when.month, when.year, when.hour, when.minute, second)
    assert madrid_to_utc(f"{when:%d/%m/%Y}", text) == expected
    assert madrid_to_utc(f"{when:%d/%m/%Y}", "") == _madrid_reference(when.day, when.month, when.year, 0, 0, 0)


@pytest.mark.parametrize(
    ("date", "time"), [("2026-01-01", "10:00:00"), ("31/02/2026", "10:00"), ("01/01/2026", "25:00")]
)
def test_bad_timestamps_raise_value_error(date, time):
    with pytest.raises(ValueError, match=r"fecEvento|horEvento|day is out of range|hour must be"):
        madrid_to_utc(date, time)


def _event(code, date, time, summary="", fase="", des_fase=""):
    return {"codEvento": code, "fecEvento": date, "horEvento": time, "desTextoResumen": summary, "fase": fase,
            "desFase": des_fase}  # fmt: skip


def test_events_are_sorted_by_instant_across_dst_and_days():
    raw = [
        _event("I010000V", "26/10/2026", "09:00:00", "Entregado"),
        _event("A010000V", "24/10/2026", "23:00:00", "Admitido"),
        _event("H020000V", "25/10/2026", "02:30:00", "En reparto"),
        _event("P040000V", "25/10/2026", "00:15:00", "Clasificado"),
    ]
    info = to_tracking_info("correos", "X", parse_localizador([{"error": {"codError": "0"}, "eventos": raw}]))
    assert [e.carrier_status_code for e in info.events] == ["A010000V", "P040000V", "H020000V", "I010000V"]
    assert info.status is S.DELIVERED


def test_latest_event_wins_even_when_listed_first():
    raw = [_event("H020000V", "02/01/2026", "10:00:00"), _event("I010000V", "01/01/2026", "10:00:00")]
    info = to_tracking_info("correos", "X", parse_localizador({"error": {"codError": "0"}, "eventos": raw}))
    assert info.status is S.OUT_FOR_DELIVERY


@pytest.mark.parametrize(
    ("events", "expected"),
    [
        # desFase DEVOLUCIÓN on an unknown code, then delivered back
        ([("Z999999V", "01/06/2026", "10:00", "", "", "DEVOLUCIÓN"), ("I010000V", "02/06/2026", "10:00", "Entregado")],
         S.RETURNED_TO_SENDER),
        # "devolución" only in the summary text
        ([("Z999999V", "01/06/2026", "10:00", "En proceso de devolución"), ("I010000V", "02/06/2026", "10:00")],
         S.RETURNED_TO_SENDER),
        # a return event after delivery does not rewrite the past: the return is the latest
        ([("I010000V", "01/06/2026", "10:00"), ("O140000V", "02/06/2026", "10:00")], S.RETURNED_TO_SENDER),
        # no return: delivered
        ([("H020000V", "01/06/2026", "10:00"), ("I010000V", "02/06/2026", "10:00")], S.DELIVERED),
    ],
)  # fmt: skip
def test_return_detection(events, expected):
    raw = [_event(*e) for e in events]
    info = to_tracking_info("correos", "X", parse_localizador([{"error": {"codError": "0"}, "eventos": raw}]))
    assert info.status is expected


@pytest.mark.parametrize(
    ("code", "fase", "des_fase", "summary", "expected"),
    [
        ("A090000V", "", "", "", S.PRE_TRANSIT),
        ("A010000V", "", "", "", S.IN_TRANSIT),
        ("G01L010V", "", "", "", S.IN_TRANSIT),
        ("H020000V", "", "", "", S.OUT_FOR_DELIVERY),
        ("L010000V", "", "", "", S.AVAILABLE_FOR_PICKUP),
        ("I010000V", "", "", "", S.DELIVERED),
        ("H010930R", "", "", "", S.DELIVERY_FAILED),
        ("EOL.9001", "", "", "", S.DELIVERY_FAILED),
        ("O140000V", "", "", "", S.RETURNED_TO_SENDER),
        ("I010000V", "4", "DEVOLUCIÓN", "Entregado", S.RETURNED_TO_SENDER),
        ("Z000000V", "", "ENTREGADO", "", S.DELIVERED),
        ("Z000000V", "4", "", "", S.DELIVERED),
        ("Z000000V", "", "", "Disponible para recoger en oficina", S.AVAILABLE_FOR_PICKUP),
        ("Z000000V", "", "", "No entregado: ausente", S.DELIVERY_FAILED),
        ("Z000000V", "", "", "En reparto", S.OUT_FOR_DELIVERY),
        ("Z000000V", "", "", "Prerregistrado", S.PRE_TRANSIT),
        ("Z000000V", "", "", "Algo nuevo", S.UNKNOWN),
        ("Z000000V", "", "", "Retenido en Aduana", S.HELD),
        ("Z000000V", "", "", "Detenido", S.HELD),
        ("Z000000V", "", "", "Pendiente de pago de aranceles", S.HELD),
        ("Z000000V", "", "", "Pendiente de documentación", S.HELD),
        ("", "", "", "", S.UNKNOWN),
    ],
)
def test_map_status_fallback_chain(code, fase, des_fase, summary, expected):
    assert map_status(code, summary, phase=fase, phase_text=des_fase) is expected


def test_map_status_never_raises():
    from carrier_sdk_correos._carrier import CorreosCarrier

    assert CorreosCarrier.map_status("I010000V") is S.DELIVERED
    assert CorreosCarrier.map_status("NOPE", "Entregado") is S.DELIVERED
    assert CorreosCarrier.map_status(None, None) is S.UNKNOWN  # type: ignore[arg-type]
    assert CorreosCarrier.map_status("NOPE") is S.UNKNOWN
