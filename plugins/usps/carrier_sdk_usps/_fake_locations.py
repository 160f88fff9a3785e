"""The USPS fake's Locations 3.0: deterministic post offices, parcel lockers and entry facilities.

Any valid ZIP Code gets locations (the same ZIP Code, the same answer: they come from
``stable_random(seed, kind, ZIP)``), in the shapes of ``locations.yaml``. ZIP Codes that are
not in use (below 00501, above 99950) are answered 400 like USPS answers an unknown address.
The fake keeps no state for locations: they are read-only.
"""

from __future__ import annotations

import math
import random
from typing import TYPE_CHECKING, Any

import httpx

from carrier_sdk.fakes import stable_random

if TYPE_CHECKING:
    from .fake import UspsFake

__all__ = ["dropoff_locations", "parcel_locker_locations", "post_office_locations"]

_API = "/locations/v3"
#: First ZIP digit -> (a state of that ZIP region, latitude, longitude) for plausible addresses.
_REGIONS = {
    "0": ("MA", 42.36, -71.06),
    "1": ("NY", 40.71, -74.01),
    "2": ("VA", 37.54, -77.44),
    "3": ("FL", 30.33, -81.66),
    "4": ("OH", 39.96, -82.99),
    "5": ("MN", 44.98, -93.27),
    "6": ("MO", 38.63, -90.20),
    "7": ("TX", 32.78, -96.80),
    "8": ("CO", 39.74, -104.99),
    "9": ("CA", 37.77, -122.42),
}
_TOWNS = ("SPRINGFIELD", "FRANKLIN", "GREENVILLE", "CLINTON", "SALEM", "MADISON", "GEORGETOWN", "ARLINGTON")
_STREETS = ("MAIN ST", "OAK AVE", "MARKET ST", "2ND ST", "PARK AVE", "ELM ST", "WASHINGTON BLVD", "LAKE RD")
_PO_SERVICES = (
    "PO_BOX",
    "CARRIER_SERVICES",
    "GENERAL_DELIVERY",
    "HOLD_FOR_PICKUP",
    "PASSPORT_PHOTO",
    "MONEY_ORDER_DOMESTIC",
    "SELF-SERVICE_KIOSK",
)
_WEEKDAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY")
_ENTRY_TYPES = ("DESTINATION_DELIVERY_UNIT", "DESTINATION_SECTIONAL_CENTER_FACILITY", "DESTINATION_SERVICE_HUB")
_ENTRY_CLASSES = ("PARCEL_SELECT", "PARCEL_SELECT_LIGHTWEIGHT", "USPS_CONNECT_LOCAL", "MEDIA_MAIL")


def _zip_problem(zip5: str) -> str | None:
    if len(zip5) != 5 or not zip5.isdigit():
        return "ZIPCode must be 5 digits."
    if not "00501" <= zip5 <= "99950":
        return f"Invalid Address Information: {zip5} is not a ZIP Code in use."
    return None


def _bounded(raw: str | None, default: int, low: int, high: int) -> int | None:
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        return None
    if not value.is_integer() or not low <= value <= high:
        return None
    return int(value)


def _address(rng: random.Random, zip5: str) -> dict[str, Any]:
    state = _REGIONS[zip5[0]][0]
    return {
        "streetAddress": f"{rng.randint(1, 9999)} {rng.choice(_STREETS)}",
        "city": rng.choice(_TOWNS),
        "state": state,
        "ZIPCode": zip5,
        "ZIPPlus4": f"{rng.randint(1, 9999):04d}",
    }


def _spot(rng: random.Random, zip5: str) -> tuple[float, float]:
    _, lat, lon = _REGIONS[zip5[0]]
    return round(lat + rng.uniform(-0.2, 0.2), 6), round(lon + rng.uniform(-0.2, 0.2), 6)


def _hours(rng: random.Random, *, saturday: bool, sunday: bool = False) -> list[dict[str, Any]]:
    opens = rng.choice(("0800", "0830", "0900"))
    closes = rng.choice(("1630", "1700", "1800"))
    days = [{"dayOfWeek": day, "times": [{"openTime": opens, "closeTime": closes}]} for day in _WEEKDAYS]
    if saturday:
        days.append({"dayOfWeek": "SATURDAY", "times": [{"openTime": "0900", "closeTime": "1200"}]})
    if sunday:
        days.append({"dayOfWeek": "SUNDAY", "times": []})
    return days


def _post_offices(seed: int, zip5: str) -> list[dict[str, Any]]:
    rng = stable_random(seed, "post_office", zip5)
    count = rng.randint(3, 8)
    distances = sorted(round(rng.uniform(0.1, 30.0), 1) for _ in range(count))
    out: list[dict[str, Any]] = []
    for index, distance in enumerate(distances):
        address = _address(rng, zip5)
        lat, lon = _spot(rng, zip5)
        services = sorted(rng.sample(_PO_SERVICES, rng.randint(2, 4)))
        retail_hours = _hours(rng, saturday=True, sunday=True)
        out.append(
            {
                "facilityName": f"{address['city']} POST OFFICE"[:60],
                "facilityAddress": address,
                "facilityID": str(1_300_000 + rng.randint(0, 699_999)),
                "geoCoordinates": {"latitude": lat, "longitude": lon},
                "postOfficeType": "POST_OFFICE" if index % 3 else rng.choice(("POST_OFFICE", "CONTRACT_POSTAL_UNIT")),
                "distance": distance,
                "phoneNumbers": {"phone": f"{rng.randint(200, 989)}555{rng.randint(0, 9999):04d}"},
                "services": [
                    {"service": name, "hours": retail_hours if name != "PO_BOX" else _hours(rng, saturday=True)}
                    for name in services
                ],
                "temporaryClosure": False,
                "parking": rng.choice(("LOT", "STREET")),
                "timeZone": "LOCAL",
                "DSTObserved": True,
            }
        )
    return out


def _lockers(seed: int, zip5: str) -> list[dict[str, Any]]:
    rng = stable_random(seed, "parcel_locker", zip5)
    out: list[dict[str, Any]] = []
    for index in range(rng.randint(1, 4) + 1):
        address = _address(rng, zip5)
        lat, lon = _spot(rng, zip5)
        online = index > 0 or rng.random() < 0.5  # sometimes the first one is offline
        out.append(
            {
                "facilityID": str(1_360_000 + rng.randint(0, 9_999)),
                "locationName": f"{address['city']} {rng.choice(('STATION', 'BRANCH', 'MARKET'))}",
                "locationAddress": address,
                "latitude": lat,
                "longitude": lon,
                "deliveryAddress": {**address, "secondaryAddress": "PARCEL LOCKER"},
                "deliveryPoint": f"{rng.randint(0, 99):02d}",
                "lockerStatus": "ACTIVE" if online else "OFFLINE",
                "lockerOnline": online,
                "lockerSizeMaximumLength": 24.0,
                "lockerSizeMaximumWidth": 18.0,
                "lockerSizeMaximumHeight": 12.0,
                "serviceDirectShip": True,
                "serviceRedelivery": rng.random() < 0.7,
                "servicePOBoxOverflow": rng.random() < 0.5,
                "servicePrepaidReturns": rng.random() < 0.6,
                "serviceLabelPrinting": rng.random() < 0.3,
            }
        )
    return out


def _entry_facilities(seed: int, zip5: str) -> list[dict[str, Any]]:
    rng = stable_random(seed, "drop_off", zip5)
    out: list[dict[str, Any]] = []
    for _ in range(rng.randint(1, 3)):
        address = _address(rng, zip5)
        classes = rng.sample(_ENTRY_CLASSES, rng.randint(1, 3))
        building = rng.choice(("CARRIER ANNEX", "PROCESSING CENTER", "MAIN OFFICE"))
        out.append(
            {
                "dropShipmentKey": f"SV{rng.randint(10_000, 99_999)}",
                "facilityName": f"{address['city']} {building}",
                "facilityAddress": {"address": address},
                "dropSitePhoneNumber": f"{rng.randint(200, 989)}555{rng.randint(0, 9999):04d}",
                "destinationZIPCode": zip5,
                "destinationEntryFacilityType": rng.choice(_ENTRY_TYPES),
                "acceptedPackageTypes": [
                    {"mailClass": c, "processingCategory": "MACHINABLE", "palletized": "BOTH"} for c in classes
                ],
                "dropShipAcceptanceTimes": _hours(rng, saturday=rng.random() < 0.5),
                "timeZone": "LOCAL",
                "DSTObserved": True,
            }
        )
    return out


def post_office_locations(fake: UspsFake, request: httpx.Request) -> httpx.Response:
    """``GET /locations/v3/post-office-locations`` by ZIP Code (city/state alone: 400 here)."""
    params = request.url.params
    zip5 = params.get("ZIPCode", "")
    if not zip5:
        return fake._error(400, "Invalid Address Information: the fake searches by ZIPCode.", api=_API)
    problem = _zip_problem(zip5)
    if problem:
        return fake._error(400, problem, api=_API)
    limit = _bounded(params.get("limit"), 20, 1, 100)
    offset = _bounded(params.get("offset"), 0, 0, 10_000)
    radius = _bounded(params.get("radius"), 20, 1, 100)
    if limit is None or offset is None or radius is None:
        return fake._error(400, "limit, offset or radius is out of range.", api=_API)
    # Only the ZIP Code picks the places (the street, city and state sent with it do not).
    found = [o for o in _post_offices(fake.seed, zip5) if o["distance"] <= radius]
    page = found[offset : offset + limit]
    metadata = {
        "totalCount": len(found),
        "page": offset // limit + 1,
        "totalPages": max(1, math.ceil(len(found) / limit)),
        "limit": limit,
        "offset": offset,
    }
    return httpx.Response(200, json={"locations": page, "metadata": metadata})


def parcel_locker_locations(fake: UspsFake, request: httpx.Request) -> httpx.Response:
    """``GET /locations/v3/parcel-locker-locations`` by ZIP Code."""
    params = request.url.params
    if ("city" in params) != ("state" in params):
        return fake._error(400, "city and state go together.", api=_API)
    zip5 = params.get("ZIPCode", "")
    if not zip5:
        return fake._error(400, "Either ZIPCode or city and state is required.", api=_API)
    problem = _zip_problem(zip5)
    limit = _bounded(params.get("limit"), 30, 1, 100)
    offset = _bounded(params.get("offset"), 0, 0, 500)
    if problem or limit is None or offset is None:
        return fake._error(400, problem or "limit or offset is out of range.", api=_API)
    return httpx.Response(200, json=_lockers(fake.seed, zip5)[offset : offset + limit])


def dropoff_locations(fake: UspsFake, request: httpx.Request) -> httpx.Response:
    """``GET /locations/v3/dropoff-locations`` for a destination ZIP Code."""
    zip5 = request.url.params.get("destinationZIPCode", "")
    problem = _zip_problem(zip5) if zip5 else "destinationZIPCode is required."
    if problem:
        return fake._error(400, problem, api=_API)
    return httpx.Response(200, json=_entry_facilities(fake.seed, zip5))
