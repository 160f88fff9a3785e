"""Unit tests of the Acme adapter against its fake."""

from __future__ import annotations

import pytest
from carrier_sdk import (
    Address,
    CarrierRegistry,
    Client,
    OutcomeUnknownError,
    Parcel,
    ResponseError,
    ShipmentRequest,
    TrackingStatus,
)
from carrier_sdk.fakes import FaultKind

from carrier_sdk_acme import AcmeCarrier
from carrier_sdk_acme.fake import AcmeFake, number

ADDRESS = Address(name="Ada", street1="1 Main St", city="Springfield", country="US")
REQUEST = ShipmentRequest(shipper=ADDRESS, recipient=ADDRESS, parcels=(Parcel(weight=2),), reference="order-1")


@pytest.fixture
def api() -> AcmeFake:
    return AcmeFake()


@pytest.fixture
def client(api: AcmeFake) -> Client:
    registry = CarrierRegistry()
    registry.add(AcmeCarrier)
    settings = {"acme": api.settings()}
    return Client(settings=settings, registry=registry, transport=api.transport(), sleep=lambda s: None)


def test_recognize() -> None:
    assert AcmeCarrier.recognize(number(12345678)) is not None
    assert AcmeCarrier.recognize(number(12345678)[:-1] + "0" if number(12345678)[-1] != "0" else "X") is None
    assert AcmeCarrier.recognize("NOT-A-NUMBER") is None


def test_map_status() -> None:
    assert AcmeCarrier.map_status("DONE") is TrackingStatus.DELIVERED
    assert AcmeCarrier.map_status("done ") is TrackingStatus.DELIVERED
    assert AcmeCarrier.map_status("SOMETHING NEW") is TrackingStatus.UNKNOWN


def test_track_delivered(client: Client) -> None:
    info = client.track(AcmeFake.scenario_numbers["delivered"])
    assert info.status is TrackingStatus.DELIVERED
    assert [e.carrier_status_code for e in info.events][-1] == "DONE"


def test_malformed_tracking_payload(client: Client, api: AcmeFake) -> None:
    api.inject(FaultKind.MALFORMED, operation="track")
    with pytest.raises(ResponseError):
        client.track(AcmeFake.scenario_numbers["delivered"])


def test_label_then_cancel(client: Client, api: AcmeFake) -> None:
    shipment = client.create_shipment("acme", REQUEST, idempotency_key="k-1")
    assert shipment.label is not None
    assert shipment.label.data.startswith(b"%PDF")
    assert client.track(shipment.tracking_number).status is TrackingStatus.PRE_TRANSIT
    assert client.cancel_shipment("acme", shipment.tracking_number).cancelled
    assert client.track(shipment.tracking_number).status is TrackingStatus.CANCELLED
    assert len(api.charges) == 1


def test_lost_label_response_is_retried_with_the_same_key(client: Client, api: AcmeFake) -> None:
    api.inject(FaultKind.LOST_RESPONSE, operation="create_shipment")
    shipment = client.create_shipment("acme", REQUEST, idempotency_key="k-2")
    assert list(api.labels) == [shipment.tracking_number]


def test_without_key_support_a_lost_response_is_an_unknown_outcome(api: AcmeFake) -> None:
    class NoKeys(AcmeCarrier):
        supports_idempotency_key = False

    registry = CarrierRegistry()
    registry.add(NoKeys)
    client = Client(settings={"acme": api.settings()}, registry=registry, transport=api.transport())
    api.inject(FaultKind.LOST_RESPONSE, operation="create_shipment")
    with pytest.raises(OutcomeUnknownError):
        client.create_shipment("acme", REQUEST, idempotency_key="k-3")
