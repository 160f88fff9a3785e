"""Unit tests of the Acme adapter against its fake."""

from __future__ import annotations

import pytest
from carrier_sdk import (
    Address,
    Client,
    Confidence,
    OutcomeUnknownError,
    Parcel,
    RateRequest,
    ResponseError,
    ShipmentRequest,
    TrackingNotFoundError,
    TrackingStatus,
)
from carrier_sdk.adapters import CarrierRegistry
from carrier_sdk.fakes import FaultKind
from carrier_sdk.testing import assert_not_recognized, assert_recognized

from carrier_sdk_acme import AcmeCarrier, register_carriers
from carrier_sdk_acme.fake import AcmeFake, number

ADDRESS = Address(name="Ada", street1="1 Main St", city="Springfield", country="US")
REQUEST = ShipmentRequest(shipper=ADDRESS, recipient=ADDRESS, parcels=(Parcel(weight=2),), reference="order-1")
NUMBERS = AcmeFake.scenario_numbers
CODE = AcmeCarrier.code


@pytest.fixture
def api() -> AcmeFake:
    return AcmeFake()


@pytest.fixture
def client(api: AcmeFake) -> Client:
    registry = CarrierRegistry()
    register_carriers(registry)
    settings = {CODE: api.settings()}
    return Client(settings=settings, registry=registry, transport=api.transport(), sleep=lambda s: None)


def test_recognize() -> None:
    good = number(12345678)
    wrong_check_digit = good[:-1] + str((int(good[-1]) + 1) % 10)
    assert_recognized(AcmeCarrier, good, Confidence.HIGH)
    assert_not_recognized(AcmeCarrier, wrong_check_digit)
    assert_not_recognized(AcmeCarrier, good[:-1] + "\u00b2")  # a digit, but not an ASCII one
    assert_not_recognized(AcmeCarrier, "NOT-A-NUMBER")


def test_map_status() -> None:
    assert AcmeCarrier.map_status("DONE") is TrackingStatus.DELIVERED
    assert AcmeCarrier.map_status("done ") is TrackingStatus.DELIVERED
    assert AcmeCarrier.map_status("SOMETHING NEW") is TrackingStatus.UNKNOWN


def test_every_status_scenario(client: Client) -> None:
    for status in TrackingStatus:
        if status.value in NUMBERS and status is not TrackingStatus.UNKNOWN:  # "unknown": not found
            assert client.track(NUMBERS[status.value]).status is status


def test_track_delivered(client: Client) -> None:
    info = client.track(NUMBERS["delivered"])
    assert info.status is TrackingStatus.DELIVERED
    assert info.tracking_number == NUMBERS["delivered"]
    assert [e.carrier_status_code for e in info.events][-1] == "DONE"
    assert all(e.location is not None for e in info.events)


def test_unknown_number(client: Client) -> None:
    with pytest.raises(TrackingNotFoundError):
        client.track(NUMBERS["unknown"])


def test_malformed_tracking_payload(client: Client, api: AcmeFake) -> None:
    api.inject(FaultKind.MALFORMED, operation="track")
    with pytest.raises(ResponseError):
        client.track(NUMBERS["delivered"])


def test_track_many_in_batches(client: Client, api: AcmeFake) -> None:
    numbers = [NUMBERS["delivered"], NUMBERS["in_transit"], NUMBERS["unknown"]]
    results = {r.number: r for r in client.track_many(numbers)}
    assert results[NUMBERS["delivered"]].info is not None
    assert isinstance(results[NUMBERS["unknown"]].error, TrackingNotFoundError)
    assert api.calls["track_batch"] == 1


def test_rates(client: Client) -> None:
    request = RateRequest(shipper=ADDRESS, recipient=ADDRESS, parcels=(Parcel(weight=2),))
    rates = client.rates(CODE, request)
    assert [(r.service, str(r.price.amount)) for r in rates] == [("standard", "7.50"), ("express", "19.00")]


def test_label_then_cancel(client: Client, api: AcmeFake) -> None:
    shipment = client.create_shipment(CODE, REQUEST, idempotency_key="k-1")
    assert shipment.label is not None
    assert shipment.label.data.startswith(b"%PDF")
    assert client.track(shipment.tracking_number).status is TrackingStatus.PRE_TRANSIT
    assert client.cancel_shipment(CODE, shipment.tracking_number).cancelled
    assert client.track(shipment.tracking_number).status is TrackingStatus.CANCELLED
    assert len(api.charges) == 1


def test_validate_address(client: Client) -> None:
    assert client.validate_address(CODE, ADDRESS).matched
    nowhere = Address(name="Bo", street1="1 Road", city="Nowhere", country="US")
    assert not client.validate_address(CODE, nowhere).matched


def test_lost_label_is_retried_with_its_key(client: Client, api: AcmeFake) -> None:
    api.inject(FaultKind.LOST_RESPONSE, operation="create_shipment")
    shipment = client.create_shipment(CODE, REQUEST, idempotency_key="k-2")
    assert list(api.labels) == [shipment.tracking_number]


def test_without_key_support_a_lost_response_is_an_unknown_outcome(api: AcmeFake) -> None:
    class NoKeys(AcmeCarrier):
        supports_idempotency_key = False

    registry = CarrierRegistry()
    registry.add(NoKeys)
    settings = {CODE: api.settings()}
    client = Client(settings=settings, registry=registry, transport=api.transport())
    api.inject(FaultKind.LOST_RESPONSE, operation="create_shipment")
    with pytest.raises(OutcomeUnknownError):
        client.create_shipment(CODE, REQUEST, idempotency_key="k-3")
