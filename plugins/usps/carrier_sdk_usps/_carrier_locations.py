"""USPS Locations 3.0 (``/locations/v3/...``): post offices, parcel lockers, drop-off (entry) facilities.

Wire facts (plugin README, "Locations", from ``locations.yaml``): three ``GET`` endpoints, each
queried by a 5-digit ZIP Code. ``/post-office-locations`` answers ``{"locations": [...],
"metadata": ...}`` sorted by distance (miles), with hours per service; ``/parcel-locker-locations``
answers an array of lockers (``facilityID``, booleans per service, no distance);
``/dropoff-locations`` answers an array of destination entry facilities for a destination ZIP
Code (acceptance hours, accepted mail classes, no distance). A bad or unknown ZIP Code is a 400.

The module holds the query builders and the wire -> model mapping (model-free parts first) and
the flow the carrier's :meth:`~carrier_sdk_usps.UspsCarrier.find_locations` returns.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import httpx

from carrier_sdk import (
    Address,
    CarrierError,
    Distance,
    DistanceUnit,
    LocationKind,
    OpeningHours,
    ServiceLocation,
    ValidationError,
)
from carrier_sdk.adapters import Flow, RequestOptions, api_request

if TYPE_CHECKING:
    from ._carrier import UspsCarrier

__all__ = [
    "DROPOFF_LOCATIONS_PATH",
    "LOCKER_SERVICES",
    "PARCEL_LOCKER_LOCATIONS_PATH",
    "POST_OFFICE_LOCATIONS_PATH",
    "locations_flow",
    "locations_query",
    "to_locations",
]

POST_OFFICE_LOCATIONS_PATH = "/locations/v3/post-office-locations"
PARCEL_LOCKER_LOCATIONS_PATH = "/locations/v3/parcel-locker-locations"
DROPOFF_LOCATIONS_PATH = "/locations/v3/dropoff-locations"
_PATHS = {
    LocationKind.POST_OFFICE: POST_OFFICE_LOCATIONS_PATH,
    LocationKind.PARCEL_LOCKER: PARCEL_LOCKER_LOCATIONS_PATH,
    LocationKind.DROP_OFF: DROPOFF_LOCATIONS_PATH,
}
#: ``ParcelLockerLocation`` service booleans -> the service names a :class:`ServiceLocation` lists.
LOCKER_SERVICES = (
    ("serviceDirectShip", "DIRECT_SHIP"),
    ("serviceRedelivery", "REDELIVERY"),
    ("servicePOBoxOverflow", "PO_BOX_OVERFLOW"),
    ("servicePrepaidReturns", "PREPAID_RETURNS"),
    ("serviceLabelPrinting", "LABEL_PRINTING"),
)
_DAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")
_ZIP = re.compile(r"^(\d{5})(?:-?(\d{4}))?$")
#: The lowest ZIP Code in use is 00501: 00000-00500 are never a place.
_LOWEST_ZIP = "00501"
_STATE = re.compile(r"^[A-Z]{2}$")


# -- query (wire values only) -----------------------------------------------------------------


def _zip_parts(postal_code: str, field: str) -> tuple[str, str]:
    match = _ZIP.match(postal_code.strip().replace(" ", ""))
    if match is None:
        raise ValidationError(
            f"USPS finds locations near a 5-digit ZIP Code (or ZIP+4), got {postal_code[:20]!r}",
            field=field,
            constraint="ZIP Code: 5 digits, optionally -4 digits",
        )
    zip5, plus4 = match.group(1), match.group(2) or ""
    if zip5 < _LOWEST_ZIP:
        raise ValidationError(f"{zip5} is not a ZIP Code in use", field=field, constraint=f">= {_LOWEST_ZIP}")
    return zip5, plus4


def locations_query(near: Address | str, kind: LocationKind, limit: int) -> dict[str, str]:
    """The query string of ``kind``'s endpoint for ``near`` (a ZIP Code or a US address).

    Raises:
        ValidationError: Not a ZIP Code USPS can use, or an address outside the US (before any request).
    """
    if isinstance(near, Address):
        if near.country != "US":
            raise ValidationError("USPS finds locations in the US only", field="near.country", constraint="US")
        zip5, plus4 = _zip_parts(near.postal_code, "near.postal_code")
    else:
        zip5, plus4 = _zip_parts(near, "near")
    if kind is LocationKind.DROP_OFF:
        params = {"destinationZIPCode": zip5}
        if plus4:
            params["destinationZIPPlus4"] = plus4
        return params
    params = {"ZIPCode": zip5}
    if kind is LocationKind.POST_OFFICE:
        if plus4:
            params["ZIPPlus4"] = plus4
        if isinstance(near, Address):
            params["streetAddress"] = near.street1[:50]
            if near.street2:
                params["secondaryAddress"] = near.street2[:50]
            if near.city and _STATE.match(near.state.upper()):
                params["city"] = near.city
                params["state"] = near.state.upper()
    params["limit"] = str(limit)
    return params


# -- wire -> models ---------------------------------------------------------------------------


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _address(data: Any, name: str) -> Address:
    if not isinstance(data, Mapping):
        raise TypeError("address is not an object")
    postal = _text(data.get("ZIPCode"))
    if postal and _text(data.get("ZIPPlus4")):
        postal = f"{postal}-{_text(data.get('ZIPPlus4'))}"
    return Address(
        company=name[:100],
        street1=_text(data["streetAddress"]),
        street2=_text(data.get("secondaryAddress")),
        city=_text(data["city"]),
        state=_text(data.get("state")),
        postal_code=postal,
        country="US",
    )


def _hours(items: Any, service: str = "") -> list[OpeningHours]:
    """``HoursOfOperation[]`` -> intervals (a day without ``times`` is closed: nothing)."""
    out: list[OpeningHours] = []
    for item in items or ():
        day = _DAYS.index(item["dayOfWeek"])
        for span in item.get("times") or ():
            out.append(OpeningHours(weekday=day, opens=span["openTime"], closes=span["closeTime"], service=service))
    return out


def _degrees(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _place(
    carrier: str, kind: LocationKind, location_id: Any, name: str, address: Any, **details: Any
) -> ServiceLocation:
    return ServiceLocation(
        carrier=carrier,
        location_id=str(location_id),
        kind=kind,
        name=name,
        address=_address(address, name),
        **details,
    )


def _post_office(carrier: str, item: Mapping[str, Any]) -> ServiceLocation:
    name = _text(item.get("facilityName")) or "Post Office"
    hours: list[OpeningHours] = []
    services: list[str] = []
    for entry in item.get("services") or ():
        service = _text(entry.get("service"))
        if service:
            services.append(service)
        hours.extend(_hours(entry.get("hours"), service))
    geo = item.get("geoCoordinates") or {}
    distance = item.get("distance")
    phones = item.get("phoneNumbers") or {}
    return _place(
        carrier,
        LocationKind.POST_OFFICE,
        item["facilityID"],
        name,
        item["facilityAddress"],
        hours=hours,
        services=services,
        distance=None if distance is None else Distance(value=distance, unit=DistanceUnit.MI),
        latitude=_degrees(geo.get("latitude")),
        longitude=_degrees(geo.get("longitude")),
        phone=_text(phones.get("phone")),
    )


def _locker(carrier: str, item: Mapping[str, Any]) -> ServiceLocation | None:
    if item.get("lockerOnline") is False:
        return None  # offline: nothing can be dropped off there now
    name = _text(item.get("locationName")) or "Parcel Locker"
    services = [label for key, label in LOCKER_SERVICES if item.get(key) is True]
    if item.get("servicePrepaid") is True and "PREPAID_RETURNS" not in services:  # deprecated name
        services.append("PREPAID_RETURNS")
    return _place(
        carrier,
        LocationKind.PARCEL_LOCKER,
        item["facilityID"],
        name,
        item["locationAddress"],
        services=services,
        latitude=_degrees(item.get("latitude")),
        longitude=_degrees(item.get("longitude")),
    )


def _drop_off(carrier: str, item: Mapping[str, Any]) -> ServiceLocation:
    name = _text(item.get("facilityName")) or "Entry facility"
    classes: list[str] = []
    for accepted in item.get("acceptedPackageTypes") or ():
        mail_class = _text(accepted.get("mailClass"))
        if mail_class and mail_class not in classes:
            classes.append(mail_class)
    return _place(
        carrier,
        LocationKind.DROP_OFF,
        item["dropShipmentKey"],
        name,
        item["facilityAddress"]["address"],
        hours=_hours(item.get("dropShipAcceptanceTimes")),
        services=classes,
        phone=_text(item.get("dropSitePhoneNumber")),
    )


def to_locations(carrier: str, kind: LocationKind, data: Any, limit: int) -> list[ServiceLocation]:
    """The answer of ``kind``'s endpoint -> at most ``limit`` :class:`ServiceLocation`, in USPS's order."""
    if kind is LocationKind.POST_OFFICE:
        if not isinstance(data, Mapping):
            raise TypeError("post office answer is not an object")
        items = data.get("locations") or []
    else:
        items = data
    if not isinstance(items, list):
        raise TypeError("locations are not a list")
    out: list[ServiceLocation] = []
    for item in items:
        if not isinstance(item, Mapping):
            raise TypeError("a location is not an object")
        if kind is LocationKind.POST_OFFICE:
            out.append(_post_office(carrier, item))
        elif kind is LocationKind.PARCEL_LOCKER:
            locker = _locker(carrier, item)
            if locker is not None:
                out.append(locker)
        else:
            out.append(_drop_off(carrier, item))
        if len(out) == limit:
            break
    return out


# -- flow -------------------------------------------------------------------------------------

_PARSE_ERRORS = (KeyError, TypeError, ValueError, AttributeError, IndexError, ArithmeticError, RecursionError)


def locations_flow(
    carrier: UspsCarrier, near: Address | str, kind: LocationKind, limit: int
) -> Flow[list[ServiceLocation]]:
    """Check ``near`` (before any request), then ``GET`` ``kind``'s endpoint and map the answer."""
    params = locations_query(near, kind, limit)
    return _fetch(carrier, params, kind, limit)


def _fetch(carrier: UspsCarrier, params: dict[str, str], kind: LocationKind, limit: int) -> Flow[list[ServiceLocation]]:
    url = carrier._url(_PATHS[kind])

    def build(token: str, _: str | None) -> httpx.Request:
        options = RequestOptions(operation="find_locations")
        return api_request("GET", url, params=params, headers=carrier._bearer(token), options=options)

    response = yield from carrier._authorized(build, "find_locations")
    if response.status_code != 200:
        raise carrier.api_error(response, operation="find_locations")
    try:
        return to_locations(carrier.code, kind, carrier.parse_json(response, operation="find_locations"), limit)
    except (*_PARSE_ERRORS, CarrierError) as err:
        raise carrier._parse_failure(response, "find_locations", err) from None
