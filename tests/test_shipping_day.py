"""Core of the shipping-day operations: models, checks before any I/O, refusal without the capability."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from carrier_sdk import (
    Address,
    Capability,
    CarrierRegistry,
    Client,
    LabelFormat,
    Manifest,
    ManifestRefusal,
    Shipment,
    UnsupportedOperationError,
    ValidationError,
)
from carrier_sdk._day import MAX_MANIFEST_NUMBERS, manifest_numbers
from carrier_sdk.testing import FakeCarrier, make_registry, offline_transport


def test_manifest_model() -> None:
    manifest = Manifest(
        carrier="usps",
        manifest_id="9475",
        document=b"%PDF-secret-bytes",
        format="pdf",
        tracking_numbers=["A1", "B2"],
        refused=[ManifestRefusal(tracking_number="C3", reason=" cancelled ")],
        ship_date="2026-03-02",
    )
    assert manifest.format is LabelFormat.PDF
    assert manifest.tracking_numbers == ("A1", "B2")
    assert manifest.refused[0].reason == "cancelled"
    assert manifest.ship_date == date(2026, 3, 2)
    assert not manifest.complete
    assert "secret-bytes" not in repr(manifest)
    with pytest.raises(ValidationError, match="format"):
        Manifest(carrier="usps", manifest_id="1", document=b"", format="docx", tracking_numbers=[])
    with pytest.raises(ValidationError):
        ManifestRefusal(tracking_number="X", reason="bad\x00reason")


def test_manifest_numbers_checks() -> None:
    usps = Shipment(carrier="usps", tracking_number="9400100000000000000001")
    assert manifest_numbers("usps", [usps, "9400100000000000000001", "EC000000001US"]) == [
        "9400100000000000000001",
        "EC000000001US",
    ]
    with pytest.raises(ValidationError, match="at least one"):
        manifest_numbers("usps", iter([]))
    with pytest.raises(ValidationError, match="cainiao label"):
        manifest_numbers("usps", [Shipment(carrier="cainiao", tracking_number="LP1")])
    with pytest.raises(ValidationError, match="not one string"):
        manifest_numbers("usps", "9400100000000000000001")
    with pytest.raises(ValidationError, match="got int"):
        manifest_numbers("usps", [42])  # type: ignore[list-item]
    with pytest.raises(ValidationError, match="at most"):
        manifest_numbers("usps", (f"N{i}" for i in range(MAX_MANIFEST_NUMBERS + 1)))


def test_capabilities_name_their_operations() -> None:
    assert CarrierRegistry.operation_for(Capability.CREATE_RETURN_LABEL) == "create_return_label"
    assert CarrierRegistry.operation_for(Capability.CREATE_MANIFEST) == "create_manifest"


def test_refused_without_the_capability_before_io() -> None:
    registry = make_registry(FakeCarrier)
    address = Address(name="A", street1="1 Main St", city="Town", postal_code="10001", country="US")
    with Client(registry=registry, transport=offline_transport(), settings={"fakecarrier": {}}) as client:
        with pytest.raises(UnsupportedOperationError):
            client.create_manifest("fakecarrier", ["FC123456789"], origin=address)
        past = datetime.now(UTC).date() - timedelta(days=5)
        with pytest.raises(UnsupportedOperationError):
            client.create_manifest("fakecarrier", ["FC123456789"], ship_date=past)


def _dock() -> Address:
    return Address(name="Jo Dock", street1="1 Main St", city="Town", postal_code="10001", country="US")


def test_pickup_models() -> None:
    from carrier_sdk import Pickup, PickupAvailability, PickupRequest, WeightUnit

    request = PickupRequest(address=_dock(), pickup_date="2031-05-06", package_count=2, total_weight="1.5")
    assert request.pickup_date == date(2031, 5, 6)
    assert request.weight_unit is WeightUnit.KG
    for bad in ({"package_count": 0}, {"package_count": True}, {"total_weight": 0}, {"weight_unit": "stone"}):
        values = {"address": _dock(), "pickup_date": "2031-05-06", "package_count": 2, "total_weight": 1, **bad}
        with pytest.raises(ValidationError):
            PickupRequest(**values)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="address"):
        PickupRequest(address="here", pickup_date="2031-05-06", package_count=1, total_weight=1)  # type: ignore[arg-type]
    pickup = Pickup(carrier="usps", confirmation="WTC1", pickup_date=date(2031, 5, 6), address=_dock(), package_count=2)
    assert pickup.window == ""
    assert PickupAvailability(carrier="usps", address=_dock(), available=False, message=" no ").message == "no"


def test_pickup_checks_before_io() -> None:
    from carrier_sdk import PickupRequest

    registry = make_registry(FakeCarrier)

    past = PickupRequest(
        address=_dock(), pickup_date=datetime.now(UTC).date() - timedelta(days=3), package_count=1, total_weight=1
    )
    with Client(registry=registry, transport=offline_transport(), settings={"fakecarrier": {}}) as client:
        for call in (
            lambda: client.schedule_pickup("fakecarrier", past),
            lambda: client.cancel_pickup("fakecarrier", "WTC1"),
            lambda: client.pickup_availability("fakecarrier", _dock()),
        ):
            with pytest.raises(UnsupportedOperationError):
                call()
