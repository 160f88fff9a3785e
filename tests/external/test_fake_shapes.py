"""The fakes speak the corpus shapes: each fake answer holds every key (and the nesting) of the
corpus bodies of the same kind, and the fake produces each variant the corpus shows.

SingPost has no corpus body (SOURCES.md), so there is nothing to hold its fake to yet.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from xml.etree import ElementTree as ET

import httpx
import pytest
from carrier_sdk_correos._wire import correos_object

from carrier_sdk import (
    Address,
    CarrierRegistry,
    Parcel,
    ShipmentRequest,
    TrackingNotFoundError,
)
from carrier_sdk._plugins import default_plugin_manager
from carrier_sdk.sandbox import Sandbox
from carrier_sdk.testing import OperationRunner

from .conftest import corpus_bytes, corpus_json, missing_keys, shape


class Recorder:
    """Drives the public client against one fake, keeping every answer's body."""

    def __init__(self, code: str) -> None:
        self.code = code
        registry = CarrierRegistry()
        registry.add(default_plugin_manager().registry.get(code))
        self.registry = registry
        self.fake: Any = Sandbox(registry=registry, carriers=[code]).fake(code)
        self.bodies: list[bytes] = []

    def _handle(self, request: httpx.Request) -> httpx.Response:
        request.read()
        response = self.fake.handle(request)
        self.bodies.append(response.read())
        return httpx.Response(response.status_code, headers=response.headers, content=self.bodies[-1])

    def call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        options = {"registry": self.registry, "transport": httpx.MockTransport(self._handle), "max_retries": 0}
        with OperationRunner.open("sync", settings={self.code: self.fake.settings()}, **options) as runner:
            return runner(method, *args, **kwargs)


def _covers(expected_body: Any, actual_body: Any) -> None:
    missing = missing_keys(shape(expected_body), shape(actual_body))
    assert missing == [], f"the fake lacks corpus keys: {missing}"


# -- Cainiao ------------------------------------------------------------------------------------


def test_cainiao_link_track_answer() -> None:
    rec = Recorder("cainiao")
    rec.call("track", rec.fake.scenario_numbers["delivered"])
    _covers(corpus_json("cainiao", "link_track_get_lp.json"), json.loads(rec.bodies[-1]))


@pytest.mark.parametrize(
    "body", ["detail_ae010698498_in_transit.json", "detail_lp_clear_customs.json", "detail_unknown_number.json"]
)
def test_cainiao_detail_json_answer(body: str) -> None:
    rec = Recorder("cainiao")
    info = rec.call("track", rec.fake.detail_json_numbers["detail_json"])
    answer = json.loads(rec.bodies[-1])
    _covers(corpus_json("cainiao", body), answer)
    # As in the corpus, timeStr is the epoch at UTC+8 whatever timeZone says; the adapter reads
    # the epoch, so the instants are the ones the fake planned.
    details = answer["module"][0]["detailList"]
    assert {d["timeZone"] for d in details} - {"GMT+8"}
    assert sorted(int(e.occurred_at.timestamp() * 1000) for e in info.events) == sorted(d["time"] for d in details)


def test_cainiao_order_and_waybill_answers(make_shipment_request: Callable[..., ShipmentRequest]) -> None:
    rec = Recorder("cainiao")
    request = make_shipment_request()
    rec.call("create_shipment", "cainiao", request)
    order, waybill = (json.loads(b) for b in rec.bodies[-2:])
    _covers(corpus_json("cainiao", "link_order_create.json"), order)
    _covers(corpus_json("cainiao", "link_waybill_get.json"), waybill)


# -- Correos ------------------------------------------------------------------------------------


def _localizador(raw: bytes) -> Any:
    return json.loads(raw, object_pairs_hook=correos_object)


@pytest.mark.parametrize(
    "body", ["localizador_delivered.json", "localizador_pickup.json", "localizador_classified_list.json"]
)
def test_correos_found_answer(body: str) -> None:
    rec = Recorder("correos")
    rec.call("track", rec.fake.scenario_numbers["delivered"])
    _covers(corpus_json("correos", body), _localizador(rec.bodies[-1]))


def test_correos_not_found_answer() -> None:
    rec = Recorder("correos")
    with pytest.raises(TrackingNotFoundError):
        rec.call("track", rec.fake.scenario_numbers["unknown"])
    answer = json.loads(rec.bodies[-1])
    _covers(corpus_json("correos", "localizador_not_found.json"), answer)
    assert answer[0]["eventos"] is None


def test_correos_single_object_variant() -> None:
    rec = Recorder("correos")
    info = rec.call("track", rec.fake.extra_numbers["single_event"])
    answer = json.loads(rec.bodies[-1])
    assert isinstance(corpus_json("correos", "localizador_classified_single_object.json")[0]["eventos"], dict)
    assert isinstance(answer[0]["eventos"], dict)
    _covers(corpus_json("correos", "localizador_classified_single_object.json"), answer)
    assert len(info.events) == 1


def test_correos_repeated_eventos_variant() -> None:
    rec = Recorder("correos")
    info = rec.call("track", rec.fake.extra_numbers["repeated_eventos"])
    raw = rec.bodies[-1]
    corpus_raw = corpus_bytes("correos", "localizador_delivered_repeated_eventos.json")
    assert corpus_raw.count(b'"eventos"') > 1
    assert raw.count(b'"eventos"') == len(info.events) > 1
    _covers(_localizador(corpus_raw), _localizador(raw))


def _paths(element: ET.Element, prefix: str = "") -> set[str]:
    name = element.tag.rsplit("}", 1)[-1]
    here = f"{prefix}/{name}"
    out = {here}
    for child in element:
        out |= _paths(child, here)
    return out


def test_correos_preregistro_answer() -> None:
    rec = Recorder("correos")
    request = ShipmentRequest(
        shipper=Address(
            name="Jose Gonzalez", street1="San Juan 12", city="Boecillo", postal_code="47151", country="ES"
        ),
        recipient=Address(
            name="Rosa Cano", street1="Antonio Teran 2", city="Palencia", postal_code="34005", country="ES"
        ),
        parcels=[Parcel(weight="44", weight_unit="g")],
    )
    rec.call("create_shipment", "correos", request)
    expected = _paths(ET.fromstring(corpus_bytes("correos", "preregistro_ok.xml")))
    actual = _paths(ET.fromstring(rec.bodies[-1]))
    assert expected - actual == set()
