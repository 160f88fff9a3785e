"""USPS Locations 3.0 through the public clients against the fake; the mapping on USPS's own shapes."""

from __future__ import annotations

from datetime import time
from decimal import Decimal
from typing import Any

import pytest
from carrier_sdk_usps._mapping import locations_query, to_locations
from carrier_sdk_usps.fake import UspsFake

from carrier_sdk import (
    Address,
    Capability,
    DistanceUnit,
    InvalidRequestError,
    LocationKind,
    ResponseError,
    ServiceLocation,
    ValidationError,
)
from carrier_sdk.fakes import FaultKind
from carrier_sdk.testing import OperationRunner

from .conftest import recipient, shipper

pytestmark = pytest.mark.anyio


async def test_usps_declares_find_locations() -> None:
    from carrier_sdk_usps import UspsCarrier

    assert Capability.FIND_LOCATIONS in UspsCarrier.capabilities


@pytest.mark.parametrize("kind", list(LocationKind))
async def test_each_kind_round_trips_to_its_endpoint(
    fake_runner: OperationRunner, fake: UspsFake, kind: LocationKind
) -> None:
    found = await fake_runner.call("find_locations", "usps", "63116", kind=kind, limit=5)
    assert found, "the fake answers locations for any ZIP Code in use"
    assert len(found) <= 5
    for location in found:
        assert isinstance(location, ServiceLocation)
        assert location.carrier == "usps"
        assert location.kind is kind
        assert location.address.country == "US"
        assert location.address.state == "MO"  # the fake's region of ZIP Codes 6xxxx
        assert location.address.company == location.name
        assert location.services
    path = {
        LocationKind.POST_OFFICE: "/locations/v3/post-office-locations",
        LocationKind.PARCEL_LOCKER: "/locations/v3/parcel-locker-locations",
        LocationKind.DROP_OFF: "/locations/v3/dropoff-locations",
    }[kind]
    assert [r.url.path for r in fake.requests if "/locations/" in r.url.path] == [path]


async def test_post_offices_are_nearest_first_in_miles_with_hours(fake_runner: OperationRunner) -> None:
    found = await fake_runner.call("find_locations", "usps", "20500", limit=100)
    distances = [o.distance for o in found]
    assert all(d is not None and d.unit is DistanceUnit.MI for d in distances)
    values = [d.value for d in distances if d is not None]
    assert values == sorted(values)
    first = found[0]
    assert first.hours_on(0), "open on Mondays"
    assert all(h.service in first.services for h in first.hours)
    assert not first.hours_on(6), "the fake's offices are closed on Sundays (an empty times list)"
    assert first.latitude is not None
    assert first.longitude is not None
    assert first.phone.isdigit()


async def test_same_zip_same_answer_other_zip_other_answer(carrier_runner: Any) -> None:
    async def ask(seed: int, zip_code: str) -> list[ServiceLocation]:
        fake = UspsFake(seed=seed)
        runner: OperationRunner = carrier_runner(settings=fake.settings(), transport=fake.transport())
        result: list[ServiceLocation] = await runner.call("find_locations", "usps", zip_code, kind="parcel_locker")
        return result

    first = await ask(0, "10118")
    assert first == await ask(0, "10118")
    assert first != await ask(0, "10119")


async def test_an_address_sends_its_street_and_zip(fake_runner: OperationRunner, fake: UspsFake) -> None:
    by_address = await fake_runner.call("find_locations", "usps", shipper(), limit=3)
    by_zip = await fake_runner.call("find_locations", "usps", shipper().postal_code[:5], limit=3)
    assert by_address == by_zip, "the fake's places depend on the ZIP Code only"
    fake.requests.clear()
    await fake_runner.call("find_locations", "usps", shipper(), kind=LocationKind.POST_OFFICE, limit=3)
    (sent,) = [r for r in fake.requests if "/locations/" in r.url.path]
    assert sent.url.params["ZIPCode"] == shipper().postal_code[:5]
    assert sent.url.params["streetAddress"] == shipper().street1
    assert sent.url.params["limit"] == "3"


async def test_bad_input_is_refused_before_io(fake_runner: OperationRunner, fake: UspsFake) -> None:
    canadian = Address(name="Ann", street1="1 Main St", city="Ottawa", state="ON", postal_code="K1A 0B1", country="CA")
    cases: list[tuple[Any, dict[str, Any], str]] = [
        ("6311", {}, "5-digit ZIP Code"),
        ("ABCDE", {}, "5-digit ZIP Code"),
        ("00000", {}, "not a ZIP Code in use"),
        ("00499", {}, "not a ZIP Code in use"),
        (canadian, {}, "US only"),
        ("", {}, "postal code or an Address"),
        ("63116;DROP", {}, "postal code or an Address"),
        (63116, {}, "postal code or an Address"),
        ("63116", {"kind": "mailbox"}, "kind must be one of"),
        ("63116", {"limit": 0}, "limit"),
        ("63116", {"limit": 101}, "limit"),
        ("63116", {"limit": True}, "limit"),
    ]
    for near, kwargs, message in cases:
        with pytest.raises(ValidationError, match=message):
            await fake_runner.call("find_locations", "usps", near, **kwargs)
    assert list(fake.requests) == [], "not even a token was asked for"


async def test_unknown_zip_is_the_carriers_typed_error(fake_runner: OperationRunner) -> None:
    for kind in LocationKind:
        with pytest.raises(InvalidRequestError) as caught:
            await fake_runner.call("find_locations", "usps", "99999", kind=kind)
        assert caught.value.carrier == "usps"
        assert "not a ZIP Code in use" in str(caught.value.error_message)


async def test_malformed_answer_is_a_response_error(fake_runner: OperationRunner, fake: UspsFake) -> None:
    fake.inject(FaultKind.MALFORMED, operation="find_locations", count=1)
    with pytest.raises(ResponseError):
        await fake_runner.call("find_locations", "usps", "63116")


async def test_zip_plus_four_is_split() -> None:
    assert locations_query("63116-1234", LocationKind.POST_OFFICE, 10) == {
        "ZIPCode": "63116",
        "ZIPPlus4": "1234",
        "limit": "10",
    }
    assert locations_query("631161234", LocationKind.DROP_OFF, 10) == {
        "destinationZIPCode": "63116",
        "destinationZIPPlus4": "1234",
    }
    assert locations_query(recipient(), LocationKind.PARCEL_LOCKER, 7) == {
        "ZIPCode": recipient().postal_code[:5],
        "limit": "7",
    }


# USPS's own shapes (locations.yaml examples), not the fake's: the mapping reads what USPS documents.
_DOCUMENTED_ADDRESS = {"streetAddress": "100 MAIN ST", "city": "ANYTOWN", "state": "VA", "ZIPCode": "99999"}


def test_post_office_mapping_on_the_documented_shape() -> None:
    answer = {
        "locations": [
            {
                "facilityName": "LEnfant Plaza",
                "facilityAddress": {**_DOCUMENTED_ADDRESS, "ZIPPlus4": "9999"},
                "facilityID": "1368559",
                "geoCoordinates": {"latitude": 42.727486, "longitude": -73.848186},
                "distance": 10.3,
                "phoneNumbers": {"phone": "2025550100"},
                "services": [
                    {
                        "service": "PO_BOX",
                        "hours": [
                            {"dayOfWeek": "MONDAY", "times": [{"openTime": "0800", "closeTime": "1200"}]},
                            {"dayOfWeek": "SUNDAY", "times": []},
                        ],
                    }
                ],
            }
        ]
    }
    (office,) = to_locations("usps", LocationKind.POST_OFFICE, answer, 10)
    assert office.location_id == "1368559"
    assert office.name == "LEnfant Plaza"
    assert office.address.postal_code == "99999-9999"
    assert office.distance is not None
    assert office.distance.value == Decimal("10.3")
    assert office.distance.to("km").value.quantize(Decimal("0.01")) == Decimal("16.58")
    (monday,) = office.hours
    assert (monday.weekday, monday.opens, monday.closes, monday.service) == (0, time(8), time(12), "PO_BOX")
    assert office.services == ("PO_BOX",)


def test_locker_mapping_drops_offline_lockers_and_names_services() -> None:
    online = {
        "facilityID": "1368559",
        "locationName": "JOSE MARTI",
        "locationAddress": _DOCUMENTED_ADDRESS,
        "latitude": 38.8951,
        "longitude": -77.0364,
        "lockerOnline": True,
        "serviceDirectShip": True,
        "servicePrepaid": True,
        "serviceLabelPrinting": False,
    }
    offline = {**online, "facilityID": "2", "lockerOnline": False}
    (locker,) = to_locations("usps", LocationKind.PARCEL_LOCKER, [offline, online], 10)
    assert locker.location_id == "1368559"
    assert locker.services == ("DIRECT_SHIP", "PREPAID_RETURNS")
    assert locker.distance is None


def test_drop_off_mapping_reads_acceptance_times_and_mail_classes() -> None:
    facility = {
        "dropShipmentKey": "SV21038",
        "facilityName": "LEnfant Plaza",
        "facilityAddress": {"address": _DOCUMENTED_ADDRESS},
        "dropSitePhoneNumber": "9999999999",
        "acceptedPackageTypes": [
            {"mailClass": "PARCEL_SELECT", "processingCategory": "MACHINABLE"},
            {"mailClass": "PARCEL_SELECT", "processingCategory": "NONSTANDARD"},
            {"mailClass": "MEDIA_MAIL"},
        ],
        "dropShipAcceptanceTimes": [{"dayOfWeek": "FRIDAY", "times": [{"openTime": "0700", "closeTime": "1530"}]}],
    }
    (entry,) = to_locations("usps", LocationKind.DROP_OFF, [facility, facility], 1)
    assert entry.location_id == "SV21038"
    assert entry.services == ("PARCEL_SELECT", "MEDIA_MAIL")
    assert [str(h) for h in entry.hours] == ["Fri 07:00-15:30"]
    assert entry.phone == "9999999999"


@pytest.mark.parametrize(
    "answer",
    [
        {"locations": "nope"},
        {"locations": [{"facilityName": "X"}]},
        [{"facilityID": "1", "facilityAddress": _DOCUMENTED_ADDRESS}],
        {"locations": [{"facilityID": "1", "facilityAddress": _DOCUMENTED_ADDRESS, "services": [
            {"service": "PO_BOX", "hours": [{"dayOfWeek": "FUNDAY", "times": []}]}]}]},
    ],
)  # fmt: skip
def test_post_office_mapping_rejects_other_shapes(answer: Any) -> None:
    with pytest.raises((KeyError, TypeError, ValueError)):
        to_locations("usps", LocationKind.POST_OFFICE, answer, 10)
