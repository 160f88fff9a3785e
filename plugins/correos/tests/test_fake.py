"""The stateful fake: real formats, state, scenarios and the base switches, through both clients."""

from __future__ import annotations

import httpx
import pytest
from carrier_sdk_correos._carrier import CorreosCarrier
from carrier_sdk_correos._wire import DOMESTIC_CODE_PATTERN
from carrier_sdk_correos.fake import ASSOCIATED_CODE, CorreosFake

from carrier_sdk import (
    APITimeoutError,
    AuthenticationError,
    CarrierServerError,
    NotFoundError,
    RateLimitError,
    TrackingNotFoundError,
    TrackingStatus,
)
from carrier_sdk.fakes import FaultKind

STATUSES = {s.value for s in TrackingStatus}


def test_scenario_numbers_give_their_status(carrier_runner, fake):
    client = carrier_runner(fake.settings(), transport=fake.transport())
    for name, number in fake.scenario_numbers.items():
        assert CorreosCarrier.recognize(number) is not None, name
        if name in STATUSES and name != "unknown":
            assert client("track", number).status.value == name
    info = client("track", fake.extra_numbers["associated"])
    assert [r.tracking_number for r in info.related_numbers] == [ASSOCIATED_CODE]
    assert client("track", ASSOCIATED_CODE).status is TrackingStatus.DELIVERED
    assert CorreosCarrier.recognize(fake.extra_numbers["international"]) is not None
    assert client("track", fake.extra_numbers["international"]).events


def test_unknown_number_is_codError_3(carrier_runner, fake):
    client = carrier_runner(fake.settings(), transport=fake.transport())
    with pytest.raises(TrackingNotFoundError) as info:
        client("track", fake.scenario_numbers["unknown"])
    assert info.value.error_code == "3"
    response = httpx.Client(transport=fake.transport(), auth=("fake-tracking", "fake-tracking-secret")).get(
        f"https://localizador.correos.es/canonico/eventos_envio_servicio_auth/{fake.scenario_numbers['unknown']}"
    )
    assert response.status_code == 200
    assert response.json()[0]["eventos"] is None


def test_fault_scenarios(carrier_runner, fake):
    client = carrier_runner(fake.settings(), transport=fake.transport(), max_retries=1)
    with pytest.raises(CarrierServerError):
        client("track", fake.scenario_numbers["fault_server_error"])
    with pytest.raises(APITimeoutError):
        client("track", fake.scenario_numbers["fault_timeout"])
    with pytest.raises(RateLimitError):
        client("track", fake.scenario_numbers["fault_rate_limited"])


def test_histories_are_deterministic_and_shuffled():
    number = CorreosFake.scenario_numbers["returned_to_sender"]
    first, second = CorreosFake(seed=3).history(number), CorreosFake(seed=3).history(number)
    assert first == second
    assert first is not None
    codes = [e["codEvento"] for e in first["eventos"]]
    assert sorted(codes) == sorted(["A090000V", "A010000V", "P040000V", "H020000V", "H010930R", "O140000V",
                                    "P040000V", "I010000V"])  # fmt: skip
    generated = "PK0FKE0000001234508001X"
    assert CorreosFake(seed=1).history(generated) == CorreosFake(seed=1).history(generated)


def test_bad_credentials_get_401(carrier_runner, fake):
    settings = {**fake.settings(), "tracking_password": "wrong", "preregistro_password": "wrong"}
    client = carrier_runner(settings, transport=fake.transport())
    with pytest.raises(AuthenticationError):
        client("track", fake.scenario_numbers["delivered"])
    with pytest.raises(AuthenticationError):
        client("cancel_shipment", "correos", fake.scenario_numbers["delivered"])


def test_shipment_lifecycle(carrier_runner, fake, h):
    client = carrier_runner(fake.settings(), transport=fake.transport())
    shipment = client("create_shipment", "correos", h.shipment_request(), idempotency_key="life-1")
    assert DOMESTIC_CODE_PATTERN.match(shipment.tracking_number)
    assert shipment.tracking_number[2:6] == fake.labeller_code
    assert shipment.tracking_number[17:22] == "12598"  # destination postcode inside the code
    assert shipment.label is not None
    assert shipment.label.data.startswith(b"%PDF")
    assert len(fake.shipments) == 1
    assert len(fake.charges) == 1
    stored = fake.shipments[shipment.tracking_number]
    assert stored["recipient_name"] == "Smith & Sons <Ltd>"
    assert stored["reference"] == "ORDER-1"
    assert stored["weight_g"] == 1200
    assert client("track", shipment.tracking_number).status is TrackingStatus.PRE_TRANSIT
    assert client("cancel_shipment", "correos", shipment.tracking_number).status == "cancelled"
    assert fake.shipments[shipment.tracking_number]["cancelled"] is True
    assert client("cancel_shipment", "correos", shipment.tracking_number).status == "already_cancelled"
    with pytest.raises(NotFoundError):
        client("cancel_shipment", "correos", "PQ10BC0000000000128001A")


def test_fake_refusal_is_typed(carrier_runner, fake, h):
    from carrier_sdk import InvalidRequestError

    client = carrier_runner(fake.settings(), transport=fake.transport())
    with pytest.raises(InvalidRequestError) as info:
        client("create_shipment", "correos", h.shipment_request(service="S9999"))
    assert info.value.error_code == "1027"
    assert fake.shipments == {}


def test_malformed_soap_gets_a_fault(fake):
    http = httpx.Client(transport=fake.transport(), auth=("fake-preregistro", "fake-preregistro-secret"))
    url = "https://preregistroenvios.correos.es/preregistroenvios"
    response = http.post(url, content=b"<not xml", headers={"SOAPAction": "PreRegistro"})
    assert response.status_code == 500
    assert b"<faultstring>" in response.content
    assert b"Fault" in response.content
    response = http.post(url, content=b"<x/>", headers={"SOAPAction": "Nope"})
    assert response.status_code == 500


def test_base_switches(carrier_runner, fake, h):
    client = carrier_runner(fake.settings(), transport=fake.transport(), max_retries=0)
    fake.inject(FaultKind.MALFORMED, operation="create_shipment")
    from carrier_sdk import OutcomeUnknownError

    with pytest.raises(OutcomeUnknownError):  # a 2xx purchase answer that cannot be read: never ResponseError
        client("create_shipment", "correos", h.shipment_request())
    fake.inject(FaultKind.SERVER_ERROR, operation="cancel_shipment")
    with pytest.raises(CarrierServerError) as info:
        client("cancel_shipment", "correos", fake.scenario_numbers["delivered"])
    assert info.value.error_message == "injected server error"  # SOAP fault text via error_details
    fake.inject(FaultKind.LOST_RESPONSE, operation="create_shipment")
    with pytest.raises(OutcomeUnknownError):
        client("create_shipment", "correos", h.shipment_request(), idempotency_key="lost-1")
    assert len(fake.shipments) == 1  # committed, answer lost: reconcile by ReferenciaCliente
    assert next(iter(fake.shipments.values()))["reference"] == "ORDER-1"
    fake.reset()
    assert fake.shipments == {}
    assert not fake.calls


def test_fake_settings_with_base_url(carrier_runner, fake):
    settings = fake.settings("http://127.0.0.1:9999")
    assert settings["preregistro_url"] == "http://127.0.0.1:9999/preregistroenvios"
    assert settings["tracking_base_url"].endswith("/canonico/eventos_envio_servicio_auth")
    client = carrier_runner(settings, transport=fake.transport())
    assert client("track", fake.scenario_numbers["delivered"]).status is TrackingStatus.DELIVERED
