"""Core of find_locations: the models, the checks before any I/O, refusal without the capability."""

from __future__ import annotations

from datetime import time
from decimal import Decimal
from typing import Any

import attrs
import pytest

from carrier_sdk import (
    Address,
    AsyncClient,
    Capability,
    CarrierRegistry,
    Client,
    Distance,
    DistanceUnit,
    LocationKind,
    OpeningHours,
    ServiceLocation,
    UnsupportedOperationError,
    ValidationError,
)
from carrier_sdk.testing import FakeCarrier, make_registry, offline_transport

_PLACE = Address(company="Main St Post Office", street1="1 Main St", city="Springfield", country="US")


def _location(**kwargs: Any) -> ServiceLocation:
    """A post office with ``kwargs`` changed (validated again, as a new instance would be)."""
    base = ServiceLocation(
        carrier="usps", location_id="1368559", kind="post_office", name="Main St Post Office", address=_PLACE
    )
    return attrs.evolve(base, **kwargs)


def test_distance_converts_exactly_and_prints() -> None:
    mile = Distance(value=1, unit="mi")
    assert mile.to(DistanceUnit.KM).value == Decimal("1.609344")
    assert mile.to("mi") is mile
    assert Distance(value="1.609344", unit="km").to("mi").value == 1
    assert str(Distance(value=Decimal("10.30"), unit="mi")) == "10.3 mi"
    assert Distance(value=2).unit is DistanceUnit.KM
    with pytest.raises(ValidationError, match="negative"):
        Distance(value=-1)
    with pytest.raises(ValidationError, match="unit must be one of"):
        Distance(value=1, unit="furlong")
    with pytest.raises(ValidationError, match="finite"):
        Distance(value=float("nan"))


def test_opening_hours_read_carrier_clock_times() -> None:
    hours = OpeningHours(weekday=5, opens="0900", closes="12:30", service=" PO_BOX ")
    assert (hours.opens, hours.closes, hours.service, hours.day) == (time(9), time(12, 30), "PO_BOX", "saturday")
    assert str(hours) == "Sat 09:00-12:30"
    for bad in ("9am", "2500", ""):
        with pytest.raises(ValidationError, match="HH:MM"):
            OpeningHours(weekday=0, opens=bad, closes="1700")
    for day in (7, -1, True, "1"):
        with pytest.raises(ValidationError, match="weekday"):
            OpeningHours(weekday=day, opens="0900", closes="1700")  # type: ignore[arg-type]


def test_service_location_validates_and_filters_hours() -> None:
    monday = OpeningHours(weekday=0, opens="0800", closes="1200")
    location = _location(
        hours=[monday, OpeningHours(weekday=1, opens="0800", closes="1200")],
        services=["PO_BOX"],
        distance=Distance(value="0.4", unit="mi"),
        latitude=38.6,
        longitude=-90.2,
    )
    assert location.kind is LocationKind.POST_OFFICE
    assert location.hours_on(0) == (monday,)
    assert location.hours_on(6) == ()
    assert location.services == ("PO_BOX",)
    with pytest.raises(ValidationError, match="kind must be one of"):
        _location(kind="mailbox")
    with pytest.raises(ValidationError, match="location_id"):
        _location(location_id=" ")
    with pytest.raises(ValidationError, match="latitude"):
        _location(latitude=91.0)
    with pytest.raises(ValidationError, match="longitude"):
        _location(longitude=-181)
    with pytest.raises(ValidationError, match="address must be an Address"):
        _location(address="1 Main St")
    with pytest.raises(ValidationError, match="service"):
        _location(services=["PO\x00BOX"])
    with pytest.raises(ValidationError, match="weekday"):
        location.hours_on(8)


@pytest.fixture
def registry() -> CarrierRegistry:
    return make_registry(FakeCarrier)


def test_a_carrier_without_locations_refuses_before_io(registry: CarrierRegistry) -> None:
    assert Capability.FIND_LOCATIONS not in FakeCarrier.capabilities
    with Client(registry=registry, transport=offline_transport()) as client:
        with pytest.raises(UnsupportedOperationError, match="find_locations"):
            client.find_locations("fakecarrier", "10001")
        info = {i.code: i for i in client.carriers()}["fakecarrier"]
        assert Capability.FIND_LOCATIONS not in info.capabilities


@pytest.mark.anyio
async def test_async_client_refuses_before_io(registry: CarrierRegistry) -> None:
    async with AsyncClient(registry=registry, transport=offline_transport()) as client:
        with pytest.raises(UnsupportedOperationError):
            await client.find_locations("fakecarrier", _PLACE, kind=LocationKind.PARCEL_LOCKER)


def test_checks_before_the_adapter_runs() -> None:
    from carrier_sdk._locations import check_limit, check_near

    assert check_near(" 63116 ") == "63116"
    assert check_near("SW1A 1AA") == "SW1A 1AA"
    assert check_near(_PLACE) is _PLACE
    for bad in ("", "x" * 17, "631;16", "\uff16\uff13\uff11\uff11\uff16", None, 63116):
        with pytest.raises(ValidationError, match="near"):
            check_near(bad)
    assert check_limit(100) == 100
    for limit in (0, 101, 1.5, True, "10"):
        with pytest.raises(ValidationError, match="limit"):
            check_limit(limit)
