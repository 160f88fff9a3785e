"""Correos: every corpus body through the public client (SOURCES.md, "Correos")."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
import pytest

from carrier_sdk import Address, LabelFormat, Parcel, ShipmentRequest, TrackingNotFoundError, TrackingStatus

from .conftest import CorpusWire, corpus_bytes, reply

S = TrackingStatus
SETTINGS = {
    "tracking_user": "corpus-user",
    "tracking_password": "corpus-password",
    "preregistro_user": "corpus-pre-user",
    "preregistro_password": "corpus-pre-password",
    "labeller_code": "43B4",
}
TRACK_PREFIX = "https://localizador.correos.es/canonico/eventos_envio_servicio_auth/"


def _tracking_wire(body: str) -> Any:
    def answer(request: httpx.Request) -> httpx.Response | None:
        if request.method != "GET" or not str(request.url).startswith(TRACK_PREFIX):
            return None
        return reply(corpus_bytes("correos", body))

    return CorpusWire(answer)


@dataclass(frozen=True)
class Case:
    body: str
    number: str
    status: TrackingStatus
    #: (UTC instant, codEvento, status, unidad, town), oldest first
    events: list[tuple[str, str, TrackingStatus, str, str]]
    tracking_number: str = ""
    status_detail: str = ""


_CLASSIFIED = [
    ("2018-03-19T18:00:16Z", "P040000V", S.IN_TRANSIT, "CTA SANTIAGO DE COMPOSTELA", "SANTIAGO DE COMPOSTELA")
]
_DELIVERED = [
    ("2026-04-27T21:03:58Z", "A090000V", S.PRE_TRANSIT, "CTA MADRID", "MADRID"),
    ("2026-04-28T13:52:17Z", "P040000V", S.IN_TRANSIT, "CTA MADRID", "MADRID"),
    ("2026-04-29T06:46:00Z", "H020000V", S.OUT_FOR_DELIVERY, "CTA MADRID", "MADRID"),
    ("2026-04-29T11:12:42Z", "I010000V", S.DELIVERED, "CTA MADRID", "MADRID"),
]

CASES = [
    # The number is not in the source body (it has no codEnvio): the requested one is kept.
    Case("localizador_classified_list.json", "PQ10011000000060138080T", S.IN_TRANSIT, _CLASSIFIED),
    # The same event sent as a bare object instead of a one-item array.
    Case("localizador_classified_single_object.json", "PQ10011000000060138080T", S.IN_TRANSIT, _CLASSIFIED),
    Case("localizador_delivered.json", "PQ9988776655ES", S.DELIVERED, _DELIVERED),
    # The same four events, each under its own repeated "eventos" key.
    Case("localizador_delivered_repeated_eventos.json", "PQ9988776655ES", S.DELIVERED, _DELIVERED),
    Case(
        "localizador_pickup.json",
        "PQ0011223344ES",
        S.AVAILABLE_FOR_PICKUP,
        [
            *_DELIVERED[:2],
            ("2026-04-29T07:30:00Z", "L010000V", S.AVAILABLE_FOR_PICKUP, "OFICINA MADRID CENTRAL", ""),
        ],
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.body)
def test_tracking_body(corpus_run: Any, case: Case) -> None:
    wire = _tracking_wire(case.body)
    info = corpus_run("correos", SETTINGS, wire, "track", case.number, carrier="correos")

    [request] = wire.requests
    assert request.url.path.endswith("/" + case.number)
    assert request.url.params["indUltEvento"] == "N"
    assert request.headers["authorization"].startswith("Basic ")

    assert info.carrier == "correos"
    assert info.tracking_number == case.number
    assert info.status is case.status
    assert len(info.events) == len(case.events)
    got = [
        (e.occurred_at, e.carrier_status_code, e.status, e.location.facility, e.location.city, e.location.country)
        for e in info.events
        if e.location is not None
    ]
    want = [(datetime.fromisoformat(t), c, st, unit, town, "ES") for t, c, st, unit, town in case.events]
    assert got == want
    assert info.estimated_delivery is None
    assert info.related_numbers == ()
    assert info.status_detail == info.events[-1].description


def test_repeated_eventos_keys_would_collapse_in_a_plain_dict() -> None:
    # Why the adapter decodes with an object_pairs_hook: json.loads keeps the last key only.
    body = corpus_bytes("correos", "localizador_delivered_repeated_eventos.json")
    assert body.count(b'"eventos"') == 4
    assert isinstance(json.loads(body)[0]["eventos"], dict)


def test_not_found_body(corpus_run: Any) -> None:
    wire = _tracking_wire("localizador_not_found.json")
    with pytest.raises(TrackingNotFoundError) as info:
        corpus_run("correos", SETTINGS, wire, "track", "PQAZXT0710002040128224R")
    assert info.value.error_code == "3"
    assert info.value.error_message == "Sin Trazabilidad en Minerva."
    assert len(wire.requests) == 1


def test_preregistro_body_makes_a_shipment(corpus_run: Any) -> None:
    def answer(request: httpx.Request) -> httpx.Response | None:
        if request.method == "POST" and b"PreregistroEnvio" in request.content:
            return reply(corpus_bytes("correos", "preregistro_ok.xml"), content_type="text/xml; charset=utf-8")
        return None

    wire = CorpusWire(answer)
    request = ShipmentRequest(
        shipper=Address(
            name="Jose Gonzalez", street1="San Juan 12", city="Boecillo", postal_code="47151", country="ES"
        ),
        recipient=Address(
            name="Rosa Cano", street1="Antonio Teran 2", city="Palencia", postal_code="34005", country="ES"
        ),
        parcels=[Parcel(weight="44", weight_unit="g", length="44", width="44", height="44")],
        reference="ORDER-1",
    )
    shipment = corpus_run("correos", SETTINGS, wire, "create_shipment", "correos", request)
    [sent] = wire.requests
    assert sent.headers["soapaction"].strip('"') == "PreRegistro"
    assert shipment.tracking_number == "PQ10011000000060138080T"
    assert shipment.carrier_reference == "PQ1001100000006N"
    assert shipment.label is not None
    assert shipment.label.format is LabelFormat.PDF
    fichero = corpus_bytes("correos", "preregistro_ok.xml").split(b"<Fichero>")[1].split(b"</Fichero>")[0]
    assert shipment.label.data == base64.b64decode(fichero)


def test_repeats_are_possible_only_where_a_key_could_repeat() -> None:
    from carrier_sdk_correos._wire import correos_object, repeats_possible

    repeated = corpus_bytes("correos", "localizador_delivered_repeated_eventos.json")
    assert repeats_possible(repeated)
    single = b'[{"eventos": [{"codEvento": "A"}], "enviosAsociados": [], "e": "\\u00f3"}]'
    assert not repeats_possible(single)  # an escaped accent cannot spell a key
    # An escaped letter can: "\u0065ventos" is "eventos", so the raw bytes cannot tell.
    escaped = b'[{"eventos": {"codEvento": "A"}, "\\u0065ventos": {"codEvento": "B"}}]'
    assert repeats_possible(escaped)
    assert json.loads(escaped, object_pairs_hook=correos_object)[0]["eventos"] == [
        {"codEvento": "A"},
        {"codEvento": "B"},
    ]
    twice_associated = b'{"enviosAsociados": ["X"], "enviosAsociados": ["Y"]}'
    assert repeats_possible(twice_associated)


def test_an_escaped_repeated_eventos_key_keeps_every_event(corpus_run: Any) -> None:
    # The same four events, with the second "eventos" key spelled with an escape: the adapter must
    # still decode with its pairs hook and keep all four.
    body = corpus_bytes("correos", "localizador_delivered_repeated_eventos.json")
    first = body.index(b'"eventos"')
    second = body.index(b'"eventos"', first + 1)
    escaped = body[:second] + b'"\\u0065ventos"' + body[second + len(b'"eventos"') :]
    assert escaped.count(b'"eventos"') == 3
    wire = CorpusWire(lambda request: reply(escaped))
    info = corpus_run("correos", SETTINGS, wire, "track", "PQ9988776655ES", carrier="correos")
    assert len(info.events) == 4
