"""Cainiao: every corpus body through the public client (SOURCES.md, "Cainiao")."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest

from carrier_sdk import (
    LabelFormat,
    Location,
    RelatedNumber,
    ShipmentRequest,
    TrackingNotFoundError,
    TrackingStatus,
)

from .conftest import CorpusWire, corpus_bytes, reply

S = TrackingStatus
SETTINGS = {"logistic_provider_id": "RESOURCE_CODE", "secret_key": "corpus-secret"}


def _form(request: httpx.Request) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(request.content.decode()).items()}


def _by_msg_type(**bodies: str) -> Any:
    """Answer each LINK request with the corpus body named for its ``msg_type``."""

    def answer(request: httpx.Request) -> httpx.Response | None:
        name = bodies.get(_form(request)["msg_type"].replace(".", "_"))
        return None if name is None else reply(corpus_bytes("cainiao", name))

    return CorpusWire(answer)


@dataclass(frozen=True)
class Case:
    body: str
    number: str
    sent_as: tuple[str, str]  # the logistics_interface key and value the request must carry
    status: TrackingStatus
    #: (UTC instant, actionCode, status, town or None), oldest first
    events: list[tuple[str, str, TrackingStatus, str | None]]
    origin: str = ""
    destination: str = ""
    status_detail: str = ""
    eta: date | None = None
    eta_window: tuple[date, date] | None = None
    related: tuple[RelatedNumber, ...] = ()
    local_times: dict[str, str] = field(default_factory=dict)


CASES = [
    Case(
        body="detail_ae010698498_in_transit.json",
        number="AE010698498",
        sent_as=("mailNo", "AE010698498"),
        status=S.IN_TRANSIT,
        events=[
            ("2023-01-23T17:59:33.895Z", "GWMS_ACCEPT", S.PRE_TRANSIT, None),
            ("2023-01-24T03:26:28.216Z", "GWMS_PACKAGE", S.PRE_TRANSIT, None),
            ("2023-01-24T03:30:03.000Z", "GWMS_OUTBOUND", S.IN_TRANSIT, None),
            ("2023-01-24T03:30:03.862Z", "WMS_CONFIRMED", S.PRE_TRANSIT, None),
            ("2023-01-24T12:20:21.000Z", "PU_PICKUP_SUCCESS", S.IN_TRANSIT, None),
            ("2023-01-24T12:20:21.000Z", "SC_INBOUND_SUCCESS", S.IN_TRANSIT, "Shatian Town"),
            ("2023-01-24T12:54:35.000Z", "SC_OUTBOUND_SUCCESS", S.IN_TRANSIT, "Shatian Town"),
            ("2023-01-25T00:25:15.000Z", "LH_HO_IN_SUCCESS", S.IN_TRANSIT, None),
            ("2023-01-25T03:50:38.471Z", "TRANSIT_PORT_REROUTE_CALLBACK", S.UNKNOWN, None),
            ("2023-01-25T06:35:19.000Z", "CC_EX_START", S.IN_TRANSIT, None),
            ("2023-01-25T06:55:42.000Z", "CC_EX_SUCCESS", S.IN_TRANSIT, None),
            ("2023-01-26T00:00:00.000Z", "LH_HO_AIRLINE", S.IN_TRANSIT, None),
            ("2023-01-26T01:47:00.000Z", "CC_IM_START", S.IN_TRANSIT, None),
            ("2023-01-26T15:18:00.000Z", "LH_DEPART", S.IN_TRANSIT, None),
            ("2023-01-27T05:23:00.000Z", "LH_ARRIVE", S.IN_TRANSIT, None),
        ],
        origin="CN",
        destination="IL",
        status_detail="Delivering",
    ),
    Case(
        body="detail_lp_clear_customs.json",
        number="LP00123456789CN",
        sent_as=("mailNo", "LP00123456789CN"),
        status=S.IN_TRANSIT,
        events=[
            ("2025-05-21T05:33:04Z", "PU_PICKUP_SUCCESS", S.IN_TRANSIT, None),
            ("2025-05-21T14:51:17Z", "SC_INBOUND_SUCCESS", S.IN_TRANSIT, "Shatian Town"),
            # timeStr says 13:33:27 and timeZone GMT-3 (16:33:27Z): 11 hours off the epoch.
            ("2025-05-28T05:33:27Z", "CC_IM_SUCCESS", S.IN_TRANSIT, None),
        ],
        origin="CN",
        destination="BR",
        status_detail="In customs",
        eta=date(2025, 6, 21),
        eta_window=(date(2025, 6, 4), date(2025, 6, 21)),
    ),
    Case(
        body="link_track_get_lp.json",
        number="LP00812637173551",
        sent_as=("orderCode", "LP00812637173551"),
        status=S.IN_TRANSIT,
        events=[
            ("2023-01-23T17:59:33Z", "GWMS_ACCEPT", S.PRE_TRANSIT, None),
            ("2023-01-24T12:20:21Z", "PU_PICKUP_SUCCESS", S.IN_TRANSIT, None),
            ("2023-01-26T15:18:00Z", "LH_DEPART", S.IN_TRANSIT, None),
        ],
        local_times={
            "GWMS_ACCEPT": "2023-01-24 01:59:33 GMT+0800",
            "PU_PICKUP_SUCCESS": "2023-01-24 20:20:21 GMT+8",
            "LH_DEPART": "2023-01-26 23:18:00 GMT+8",
        },
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.body)
def test_tracking_body(corpus_run: Any, case: Case) -> None:
    wire = _by_msg_type(cnge_track_get=case.body)
    info = corpus_run("cainiao", SETTINGS, wire, "track", case.number, carrier="cainiao")

    [request] = wire.requests
    form = _form(request)
    assert form["msg_type"] == "cnge.track.get"
    key, value = case.sent_as
    assert json.loads(form["logistics_interface"])[key] == value

    assert info.carrier == "cainiao"
    assert info.tracking_number == case.number
    assert info.status is case.status
    assert len(info.events) == len(case.events)
    got = sorted(
        (e.occurred_at, e.carrier_status_code, e.status, e.location.city if e.location else None) for e in info.events
    )
    want = sorted((datetime.fromisoformat(t), code, st, town) for t, code, st, town in case.events)
    assert got == want
    assert [e.occurred_at for e in info.events] == sorted(e.occurred_at for e in info.events)
    assert all(e.occurred_at.utcoffset() is not None for e in info.events)
    for event in info.events:
        assert event.local_time == case.local_times.get(event.carrier_status_code, "")
    assert (info.origin_country, info.destination_country) == (case.origin, case.destination)
    assert info.status_detail == case.status_detail
    assert info.estimated_delivery == case.eta
    window = (info.estimated_delivery_earliest, info.estimated_delivery_latest)
    assert window == (case.eta_window or (None, None))
    assert info.destination == (Location(country=case.destination) if case.destination else None)
    assert info.related_numbers == case.related


def test_unknown_number_body_is_not_found(corpus_run: Any) -> None:
    # LP + 11 digits is no shape recognize() claims: sent because the caller names Cainiao.
    wire = _by_msg_type(cnge_track_get="detail_unknown_number.json")
    with pytest.raises(TrackingNotFoundError):
        corpus_run("cainiao", SETTINGS, wire, "track", "LP00000000000", carrier="cainiao")
    assert len(wire.requests) == 1


def test_order_and_waybill_bodies_make_a_shipment(
    corpus_run: Any, make_shipment_request: Callable[..., ShipmentRequest]
) -> None:
    wire = _by_msg_type(cnge_order_create="link_order_create.json", cnge_waybill_get="link_waybill_get.json")
    request = make_shipment_request("SHOP-0001")  # the bodies answer any order: its fields are not checked here
    shipment = corpus_run("cainiao", SETTINGS, wire, "create_shipment", "cainiao", request)
    assert [_form(r)["msg_type"] for r in wire.requests] == ["cnge.order.create", "cnge.waybill.get"]
    assert json.loads(_form(wire.requests[1])["logistics_interface"])["orderCode"] == "LP00672818399569"
    # trackingNumber is empty in both bodies: the order code is the number to track.
    assert shipment.tracking_number == "LP00672818399569"
    assert shipment.carrier_reference == "LP00672818399569"
    assert shipment.related_numbers == ()
    assert shipment.label is not None
    assert shipment.label.format is LabelFormat.PDF
    assert shipment.label.data.startswith(b"%PDF-")
