"""USPS return labels and SCAN forms through the public clients against the stateful fake."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from carrier_sdk_usps.fake import UspsFake

from carrier_sdk import (
    Address,
    Capability,
    InvalidRequestError,
    LabelFormat,
    Manifest,
    OutcomeUnknownError,
    Shipment,
    ShipmentRequest,
    TrackingStatus,
    ValidationError,
)
from carrier_sdk.fakes import FaultKind

from .conftest import Runner, parcel, recipient, shipper

pytestmark = pytest.mark.anyio


def _today() -> date:
    return datetime.now(UTC).date()


def _outbound(**kwargs: Any) -> ShipmentRequest:
    values: dict[str, Any] = {"shipper": shipper(), "recipient": recipient(), "parcels": [parcel()]}
    values.update(kwargs)
    return ShipmentRequest(**values)


def _return(**kwargs: Any) -> ShipmentRequest:
    # The customer (recipient of the outbound parcel) sends it back to the merchant.
    values: dict[str, Any] = {"shipper": recipient(), "recipient": shipper(), "parcels": [parcel()]}
    values.update(kwargs)
    return ShipmentRequest(**values)


async def test_usps_declares_the_new_capabilities() -> None:
    from carrier_sdk_usps import UspsCarrier

    assert Capability.CREATE_RETURN_LABEL in UspsCarrier.capabilities
    assert Capability.CREATE_MANIFEST in UspsCarrier.capabilities


async def test_return_label_is_charged_once_and_trackable(fake_runner: Runner, fake: UspsFake) -> None:
    shipment = await fake_runner("create_return_label", "usps", _return(reference="RMA-7"), idempotency_key="rma-7")
    assert isinstance(shipment, Shipment)
    assert shipment.carrier == "usps"
    assert shipment.service == "USPS_GROUND_ADVANTAGE_RETURN_SERVICE"
    assert shipment.idempotency_key == "rma-7"
    assert shipment.label is not None
    assert shipment.label.format is LabelFormat.PDF
    assert shipment.price is not None
    assert shipment.price.currency == "USD"
    record = fake.labels[shipment.tracking_number]
    assert record["returns"] is True
    # toAddress is the merchant: the ZIP the return is priced to.
    assert record["zip"] == "63116"
    again = await fake_runner("create_return_label", "usps", _return(reference="RMA-7"), idempotency_key="rma-7")
    assert again.tracking_number == shipment.tracking_number
    assert [n for n, _ in fake.charges] == [shipment.tracking_number]
    info = await fake_runner("track", shipment.tracking_number, carrier="usps")
    assert info.status is TrackingStatus.PRE_TRANSIT


async def test_return_label_service_maps_to_its_return_class(fake_runner: Runner, fake: UspsFake) -> None:
    shipment = await fake_runner("create_return_label", "usps", _return(service="PRIORITY_MAIL"))
    assert shipment.service == "PRIORITY_MAIL_RETURN_SERVICE"
    with pytest.raises(ValidationError, match="no return service"):
        await fake_runner("create_return_label", "usps", _return(service="USPS_CONNECT_LOCAL"))
    assert len(fake.charges) == 1


async def test_return_label_refuses_before_io(make_runner: Any) -> None:
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(500)

    runner: Runner = make_runner(transport=httpx.MockTransport(handler))
    guam = Address(name="C D", street1="2 Main", city="Hagatna", postal_code="96910", country="GU")
    with pytest.raises(ValidationError, match="domestic"):
        await runner("create_return_label", "usps", _return(recipient=guam, customs=_customs()))
    with pytest.raises(ValidationError, match="ShipmentRequest"):
        await runner("create_return_label", "usps", "not a request")
    assert sent == []


def _customs() -> Any:
    from carrier_sdk import Customs, CustomsItem, Money

    return Customs(
        items=[
            CustomsItem(
                description="Shirt", quantity=1, value=Money(amount=5, currency="USD"), weight=1, origin_country="US"
            )
        ],
        contents_type="merchandise",
    )


async def test_return_label_outcome_unknown_keeps_the_key(fake_runner: Runner, fake: UspsFake) -> None:
    fake.inject(FaultKind.TIMEOUT, operation="create_return_label", count=50)
    with pytest.raises(OutcomeUnknownError) as caught:
        await fake_runner("create_return_label", "usps", _return(), idempotency_key="rma-unknown")
    assert caught.value.idempotency_key == "rma-unknown"


async def test_manifest_covers_bought_labels_and_refuses_cancelled(fake_runner: Runner, fake: UspsFake) -> None:
    first = await fake_runner("create_shipment", "usps", _outbound(reference="A"))
    second = await fake_runner("create_shipment", "usps", _outbound(reference="B"))
    third = await fake_runner("create_shipment", "usps", _outbound(reference="C"))
    await fake_runner("cancel_shipment", "usps", third.tracking_number)
    manifest = await fake_runner(
        "create_manifest", "usps", [first, second.tracking_number, third], origin=shipper(), ship_date=_today()
    )
    assert isinstance(manifest, Manifest)
    assert manifest.carrier == "usps"
    assert manifest.manifest_id in fake.scan_forms
    assert manifest.tracking_numbers == (first.tracking_number, second.tracking_number)
    assert [r.tracking_number for r in manifest.refused] == [third.tracking_number]
    assert not manifest.complete
    assert manifest.format is LabelFormat.PDF
    assert manifest.document.startswith(b"%PDF")
    assert manifest.ship_date == _today()
    # Already on a form: a second manifest of the same labels is the carrier's typed error.
    with pytest.raises(InvalidRequestError, match="No eligible labels"):
        await fake_runner("create_manifest", "usps", [first], origin=shipper())


async def test_manifest_bad_input_refused_before_io(make_runner: Any) -> None:
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(500)

    runner: Runner = make_runner(transport=httpx.MockTransport(handler))
    number = UspsFake.scenario_numbers["delivered"]
    other = Shipment(carrier="cainiao", tracking_number="LP00123456789012")
    cases: list[tuple[Any, dict[str, Any], str]] = [
        ([], {"origin": shipper()}, "at least one label"),
        ([other], {"origin": shipper()}, "cainiao label"),
        ([number], {}, "origin"),
        ([number], {"origin": shipper(), "ship_date": _today() - timedelta(days=3)}, "in the past"),
        ([number], {"origin": Address(name="X", street1="1 A", city="B", country="US")}, "ZIP"),
        (number, {"origin": shipper()}, "not one string"),
        (["not a number!"], {"origin": shipper()}, "tracking number"),
    ]
    for items, kwargs, message in cases:
        with pytest.raises(ValidationError, match=message):
            await runner("create_manifest", "usps", items, **kwargs)
    assert sent == []


async def test_manifest_refused_by_carrier_when_nothing_is_eligible(fake_runner: Runner) -> None:
    unknown = UspsFake.scenario_numbers["in_transit"]
    with pytest.raises(InvalidRequestError) as caught:
        await fake_runner("create_manifest", "usps", [unknown], origin=shipper())
    assert "No eligible labels" in str(caught.value)


async def test_scan_forms_survive_a_snapshot(fake_runner: Runner, fake: UspsFake) -> None:
    bought = await fake_runner("create_shipment", "usps", _outbound())
    manifest = await fake_runner("create_manifest", "usps", [bought], origin=shipper())
    restored = UspsFake(seed=7)
    restored.restore(fake.snapshot())
    assert restored.scan_forms[manifest.manifest_id]["numbers"] == [bought.tracking_number]
    assert restored.labels[bought.tracking_number]["scan_form"] == manifest.manifest_id
