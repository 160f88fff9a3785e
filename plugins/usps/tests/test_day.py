"""USPS return labels and SCAN forms through the public clients against the stateful fake."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from carrier_sdk_usps.fake import UspsFake

from carrier_sdk import (
    Address,
    Capability,
    InvalidRequestError,
    LabelFormat,
    Manifest,
    NotFoundError,
    OutcomeUnknownError,
    Pickup,
    PickupAvailability,
    PickupRequest,
    Shipment,
    ShipmentRequest,
    TrackingStatus,
    ValidationError,
)
from carrier_sdk.fakes import FaultKind
from carrier_sdk.testing import OperationRunner, offline_transport, sample_address

from .conftest import parcel, recipient, shipper

pytestmark = pytest.mark.anyio


@pytest.fixture
def offline_runner(carrier_runner: Callable[..., OperationRunner]) -> OperationRunner:
    """A USPS runner whose client fails the test if it sends anything."""
    return carrier_runner(transport=offline_transport())


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


async def test_return_label_is_charged_once_and_trackable(fake_runner: OperationRunner, fake: UspsFake) -> None:
    shipment = await fake_runner.call(
        "create_return_label", "usps", _return(reference="RMA-7"), idempotency_key="rma-7"
    )
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
    again = await fake_runner.call("create_return_label", "usps", _return(reference="RMA-7"), idempotency_key="rma-7")
    assert again.tracking_number == shipment.tracking_number
    assert [n for n, _ in fake.charges] == [shipment.tracking_number]
    info = await fake_runner.call("track", shipment.tracking_number, carrier="usps")
    assert info.status is TrackingStatus.PRE_TRANSIT


async def test_return_label_service_maps_to_its_return_class(fake_runner: OperationRunner, fake: UspsFake) -> None:
    shipment = await fake_runner.call("create_return_label", "usps", _return(service="PRIORITY_MAIL"))
    assert shipment.service == "PRIORITY_MAIL_RETURN_SERVICE"
    with pytest.raises(ValidationError, match="no return service"):
        await fake_runner.call("create_return_label", "usps", _return(service="USPS_CONNECT_LOCAL"))
    assert len(fake.charges) == 1


async def test_return_label_refuses_before_io(offline_runner: OperationRunner) -> None:
    guam = Address(name="C D", street1="2 Main", city="Hagatna", postal_code="96910", country="GU")
    with pytest.raises(ValidationError, match="domestic"):
        await offline_runner.call("create_return_label", "usps", _return(recipient=guam, customs=_customs()))
    with pytest.raises(ValidationError, match="ShipmentRequest"):
        await offline_runner.call("create_return_label", "usps", "not a request")


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


async def test_return_label_outcome_unknown_keeps_the_key(fake_runner: OperationRunner, fake: UspsFake) -> None:
    fake.inject(FaultKind.TIMEOUT, operation="create_return_label", count=50)
    with pytest.raises(OutcomeUnknownError) as caught:
        await fake_runner.call("create_return_label", "usps", _return(), idempotency_key="rma-unknown")
    assert caught.value.idempotency_key == "rma-unknown"


async def test_manifest_covers_bought_labels_and_refuses_cancelled(
    fake_runner: OperationRunner, fake: UspsFake
) -> None:
    first = await fake_runner.call("create_shipment", "usps", _outbound(reference="A"))
    second = await fake_runner.call("create_shipment", "usps", _outbound(reference="B"))
    third = await fake_runner.call("create_shipment", "usps", _outbound(reference="C"))
    await fake_runner.call("cancel_shipment", "usps", third.tracking_number)
    manifest = await fake_runner.call(
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
        await fake_runner.call("create_manifest", "usps", [first], origin=shipper())


async def test_manifest_bad_input_refused_before_io(offline_runner: OperationRunner) -> None:
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
            await offline_runner.call("create_manifest", "usps", items, **kwargs)


async def test_manifest_refused_by_carrier_when_nothing_is_eligible(fake_runner: OperationRunner) -> None:
    unknown = UspsFake.scenario_numbers["in_transit"]
    with pytest.raises(InvalidRequestError) as caught:
        await fake_runner.call("create_manifest", "usps", [unknown], origin=shipper())
    assert "No eligible labels" in str(caught.value)


async def test_scan_forms_survive_a_snapshot(fake_runner: OperationRunner, fake: UspsFake) -> None:
    bought = await fake_runner.call("create_shipment", "usps", _outbound())
    manifest = await fake_runner.call("create_manifest", "usps", [bought], origin=shipper())
    restored = UspsFake(seed=7)
    restored.restore(fake.snapshot())
    assert restored.scan_forms[manifest.manifest_id]["numbers"] == [bought.tracking_number]
    assert restored.labels[bought.tracking_number]["scan_form"] == manifest.manifest_id


# -- carrier pickups ----------------------------------------------------------------------------


def _next_weekday(start: date | None = None) -> date:
    day = (start or _today()) + timedelta(days=1)
    while day.weekday() == 6:
        day += timedelta(days=1)
    return day


def _dock(**kwargs: Any) -> Address:
    return sample_address("st-louis", **{"company": "Acme Dock", "email": "dock@example.com", **kwargs})


def _pickup_request(**kwargs: Any) -> PickupRequest:
    values: dict[str, Any] = {
        "address": _dock(),
        "pickup_date": _next_weekday(),
        "package_count": 3,
        "total_weight": "2.5",
        "service": "PRIORITY_MAIL",
        "location": "mail_room",
    }
    values.update(kwargs)
    return PickupRequest(**values)


async def test_pickup_schedule_checks_eligibility_then_cancels_once(
    fake_runner: OperationRunner, fake: UspsFake
) -> None:
    pickup = await fake_runner.call("schedule_pickup", "usps", _pickup_request())
    assert isinstance(pickup, Pickup)
    assert pickup.carrier == "usps"
    assert pickup.package_count == 3
    assert pickup.pickup_date == _next_weekday()
    assert pickup.address == _dock()
    record = fake.pickups[pickup.confirmation]
    assert record["count"] == 3
    assert record["request"]["pickupLocation"]["packageLocation"] == "MAIL_ROOM"
    paths = [(r.method, r.url.path) for r in fake.requests]
    eligibility = paths.index(("GET", "/pickup/v3/carrier-pickup/eligibility"))
    assert eligibility < paths.index(("POST", "/pickup/v3/carrier-pickup"))
    assert await fake_runner.call("cancel_pickup", "usps", pickup.confirmation) is None
    assert fake.pickups[pickup.confirmation]["cancelled"] is True
    with pytest.raises(NotFoundError):
        await fake_runner.call("cancel_pickup", "usps", pickup.confirmation)


async def test_pickup_availability(fake_runner: OperationRunner) -> None:
    served = await fake_runner.call("pickup_availability", "usps", _dock())
    assert isinstance(served, PickupAvailability)
    assert served.available
    unserved = await fake_runner.call("pickup_availability", "usps", _dock(postal_code="99950"))
    assert not unserved.available
    assert "not eligible" in unserved.message


async def test_pickup_at_an_unserved_address_is_not_scheduled(fake_runner: OperationRunner, fake: UspsFake) -> None:
    with pytest.raises(ValidationError, match="does not collect"):
        await fake_runner.call("schedule_pickup", "usps", _pickup_request(address=_dock(postal_code="99950")))
    assert fake.pickups == {}
    assert ("POST", "/pickup/v3/carrier-pickup") not in [(r.method, r.url.path) for r in fake.requests]


async def test_pickup_bad_input_refused_before_io(offline_runner: OperationRunner) -> None:
    sunday = _today() + timedelta(days=(6 - _today().weekday()) % 7 or 7)
    cases: list[tuple[PickupRequest | Any, str]] = [
        (_pickup_request(pickup_date=_today() - timedelta(days=5)), "in the past"),
        (_pickup_request(pickup_date=_today() + timedelta(days=400)), "365 days"),
        (_pickup_request(pickup_date=sunday), "Monday to Saturday"),
        (_pickup_request(address=_dock(country="CA", postal_code="K1A 0B1", state="ON")), "US address"),
        (_pickup_request(address=_dock(email="")), "email or a 10-digit phone"),
        (_pickup_request(address=_dock(name="Cher")), "first and last name"),
        (_pickup_request(service="FREIGHT"), "service must be one of"),
        (_pickup_request(location="ROOF"), "location must be one of"),
        ("not a request", "PickupRequest"),
    ]
    for request, message in cases:
        with pytest.raises(ValidationError, match=message):
            await offline_runner.call("schedule_pickup", "usps", request)
    for confirmation in ("", "bad confirmation!", "x" * 65):
        with pytest.raises(ValidationError, match="confirmation"):
            await offline_runner.call("cancel_pickup", "usps", confirmation)
    with pytest.raises(ValidationError, match="US address"):
        await offline_runner.call("pickup_availability", "usps", _dock(country="CA", postal_code="K1A 0B1", state="ON"))


async def test_pickups_survive_a_snapshot(fake_runner: OperationRunner, fake: UspsFake) -> None:
    pickup = await fake_runner.call("schedule_pickup", "usps", _pickup_request())
    restored = UspsFake(seed=7)
    restored.restore(fake.snapshot())
    assert restored.pickups[pickup.confirmation]["count"] == 3


# -- bulk purchase ------------------------------------------------------------------------------


async def _collect(runner: OperationRunner, *args: Any, **kwargs: Any) -> tuple[list[Any], Any]:
    iterator = runner.client.create_shipments(*args, **kwargs)
    results = [r async for r in iterator] if runner.kind == "async" else list(iterator)
    return results, iterator.summary


async def test_create_shipments_streams_one_result_per_item(fake_runner: OperationRunner, fake: UspsFake) -> None:
    abroad_shipper = Address(name="A B", street1="1 Rue", city="Paris", postal_code="75001", country="FR")
    items: list[Any] = [_outbound(reference=f"O-{i}") for i in range(5)]
    items.insert(2, "not a request")
    items.append(_outbound(shipper=abroad_shipper, recipient=abroad_shipper))
    results, summary = await _collect(fake_runner, "usps", iter(items), concurrency=3, idempotency_key_prefix="day1")
    assert sorted(r.index for r in results) == list(range(7))
    by_index = {r.index: r for r in results}
    assert {r.idempotency_key for r in results} == {f"day1-{i}" for i in range(7)}
    assert isinstance(by_index[2].error, ValidationError)
    assert isinstance(by_index[6].error, ValidationError)
    bought = [r for r in results if r.ok]
    assert len(bought) == 5
    assert all(r.shipment.idempotency_key == r.idempotency_key for r in bought)
    assert len(fake.charges) == 5
    assert summary.as_dict() == {
        "total": 7,
        "bought": 5,
        "failed": 2,
        "outcome_unknown": 0,
        "by_error": {"ValidationError": 2},
    }
    # The same input again with the same prefix buys nothing twice.
    again, _ = await _collect(fake_runner, "usps", items, idempotency_key_prefix="day1")
    assert {r.shipment.tracking_number for r in again if r.ok} == {r.shipment.tracking_number for r in bought}
    assert len(fake.charges) == 5


async def test_create_shipments_keeps_unknown_outcomes_per_item(fake_runner: OperationRunner, fake: UspsFake) -> None:
    fake.inject(FaultKind.TIMEOUT, operation="create_shipment", count=1000)
    results, summary = await _collect(fake_runner, "usps", [_outbound(), _outbound()], concurrency=2)
    assert len(results) == 2
    assert all(r.outcome_unknown for r in results)
    assert results[0].idempotency_key != results[1].idempotency_key
    assert all(r.error.idempotency_key == r.idempotency_key for r in results)
    assert summary.outcome_unknown == 2


async def test_create_shipments_refuses_bad_arguments_before_io(offline_runner: OperationRunner) -> None:
    for kwargs in ({"concurrency": 0}, {"idempotency_key_prefix": ""}):
        with pytest.raises(ValidationError):
            offline_runner.client.create_shipments("usps", [_outbound()], **kwargs)


@pytest.mark.parametrize("utc_hour", [0, 3, 5, 6, 12, 23])
def test_the_fake_and_the_adapter_agree_on_today_at_any_hour(utc_hour: int) -> None:
    # Between 00:00 and 06:00 UTC the UTC date is already tomorrow's in the US: a fake judging
    # "the past" by the UTC date refused the adapter's default (Central time) mailing date.
    from carrier_sdk_usps import UspsCarrier, UspsSettings
    from carrier_sdk_usps._fake_day import fake_today

    instant = datetime(2026, 12, 1, utc_hour, 30, tzinfo=UTC).timestamp()
    fake = UspsFake(clock=lambda: instant)
    carrier = UspsCarrier(UspsSettings(client_id="id-1234", client_secret="secret-1234"), clock=lambda: instant)
    assert fake_today(fake) == carrier._today()
    assert carrier._today() == (date(2026, 11, 30) if utc_hour < 6 else date(2026, 12, 1))
