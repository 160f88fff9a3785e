"""USPS Carrier Pickup 3.0 (``/pickup/v3/carrier-pickup*``): eligibility, schedule, cancel.

Wire facts (plugin README, "Carrier pickups", from ``carrier-pickup.yaml``): eligibility is a GET
with the address as query parameters, answered with the standardized address when the address
is served; a pickup is a ``SchedulePickupRequest`` answered by a ``PickupConfirmation``; pickups
are Monday to Saturday, up to one year ahead; cancelling is a ``DELETE`` that needs the ``ETag``
of a ``GET`` of the same pickup in ``If-Match``, and a pickup is cancelled once.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import httpx

from carrier_sdk import (
    Address,
    CarrierError,
    Flow,
    NotFoundError,
    Pickup,
    PickupAvailability,
    PickupRequest,
    RequestOptions,
    ValidationError,
    WeightUnit,
    api_request,
)

from . import _mapping as m

if TYPE_CHECKING:
    from ._carrier import UspsCarrier

__all__ = [
    "PACKAGE_LOCATIONS",
    "PACKAGE_TYPES",
    "PICKUP_DAYS_AHEAD",
    "PICKUP_ELIGIBILITY_PATH",
    "PICKUP_PATH",
    "build_pickup",
    "check_pickup_window",
    "eligibility_params",
]

PICKUP_PATH = "/pickup/v3/carrier-pickup"
PICKUP_ELIGIBILITY_PATH = "/pickup/v3/carrier-pickup/eligibility"
#: "you can schedule your pickup up to one year in advance" (carrier-pickup.yaml).
PICKUP_DAYS_AHEAD = 365
#: ``SchedulePickupRequest_packages.packageType``.
PACKAGE_TYPES = frozenset(
    {"FIRST-CLASS_PACKAGE_SERVICE", "PRIORITY_MAIL_EXPRESS", "PRIORITY_MAIL", "RETURNS", "USPS_GROUND_ADVANTAGE",
     "INTERNATIONAL", "OTHER"}
)  # fmt: skip
#: ``SchedulePickupRequest_pickupLocation.packageLocation``.
PACKAGE_LOCATIONS = frozenset(
    {"FRONT_DOOR", "BACK_DOOR", "SIDE_DOOR", "KNOCK_ON_DOOR", "MAIL_ROOM", "OFFICE", "PORCH", "RECEPTION", "MAILBOX",
     "OTHER"}
)  # fmt: skip
_TO_LB = {
    WeightUnit.LB: Decimal(1),
    WeightUnit.OZ: Decimal(1) / Decimal(16),
    WeightUnit.KG: Decimal(1) / Decimal("0.45359237"),
    WeightUnit.G: Decimal("0.001") / Decimal("0.45359237"),
}


def check_pickup_window(day: date, today: date) -> None:
    """USPS serves pickups Monday to Saturday, from today (Central time) up to a year ahead."""
    if day < today:
        raise ValidationError(
            f"pickup_date {day.isoformat()} is in the past", field="pickup_date", constraint="today or later"
        )
    if day > today + timedelta(days=PICKUP_DAYS_AHEAD):
        raise ValidationError(
            f"USPS schedules pickups at most {PICKUP_DAYS_AHEAD} days ahead",
            field="pickup_date",
            constraint=f"<= {PICKUP_DAYS_AHEAD} days ahead",
        )
    if day.weekday() == 6:
        raise ValidationError(
            "USPS carrier pickups run Monday to Saturday; pick another day",
            field="pickup_date",
            constraint="Monday-Saturday",
        )


def _check_us(address: Address) -> None:
    if address.country != "US" or len(m._zip5(address.postal_code)) != 5:
        raise ValidationError(
            "USPS carrier pickup needs a US address with a 5-digit ZIP Code", field="address", constraint="US ZIP"
        )


def eligibility_params(address: Address) -> dict[str, str]:
    """Query of ``GET /carrier-pickup/eligibility``."""
    _check_us(address)
    params = m.address_params(address)
    params.pop("firm", None)  # the eligibility query takes the address only
    return params


def build_pickup(request: PickupRequest) -> dict[str, Any]:
    """Body of ``POST /carrier-pickup`` (``SchedulePickupRequest``)."""
    address = request.address
    _check_us(address)
    first, _, last = address.name.partition(" ")
    if not first or not last.strip():
        raise ValidationError(
            "USPS carrier pickup needs the contact's first and last name in address.name",
            field="address.name",
            constraint="first and last name",
        )
    contact: list[dict[str, str]] = []
    if address.email:
        contact.append({"email": address.email[:50]})
    person = m._person(address)
    if "phone" in person:
        contact.append({"cellNumber": person["phone"]})
    if not contact:
        raise ValidationError(
            "USPS carrier pickup needs an email or a 10-digit phone number in the address",
            field="address.email",
            constraint="email or phone",
        )
    package_type = (request.service or "OTHER").upper()
    if package_type not in PACKAGE_TYPES:
        allowed = ", ".join(sorted(PACKAGE_TYPES))
        raise ValidationError(f"USPS pickup service must be one of {allowed}", field="service", constraint=allowed)
    location = (request.location or "FRONT_DOOR").upper()
    if location not in PACKAGE_LOCATIONS:
        allowed = ", ".join(sorted(PACKAGE_LOCATIONS))
        raise ValidationError(f"USPS pickup location must be one of {allowed}", field="location", constraint=allowed)
    pounds = (request.total_weight * _TO_LB[request.weight_unit]).quantize(Decimal("0.01"))
    pickup_location: dict[str, Any] = {"packageLocation": location}
    if request.instructions:
        pickup_location["specialInstructions"] = request.instructions
    pickup_address: dict[str, Any] = {
        "firstName": first[:50],
        "lastName": last.strip()[:50],
        "address": m._domestic_address(address),
        "contact": contact[:2],
    }
    for key in ("phone", "email", "firstName", "lastName", "firm"):
        pickup_address["address"].pop(key, None)
    if address.company:
        pickup_address["firm"] = address.company[:50]
    return {
        "pickupDate": request.pickup_date.isoformat(),
        "pickupAddress": pickup_address,
        "packages": [{"packageType": package_type, "packageCount": request.package_count}],
        "estimatedWeight": float(max(pounds, Decimal("0.01"))),
        "pickupLocation": pickup_location,
    }


def parse_confirmation(data: Any, request: PickupRequest, carrier: str) -> Pickup:
    """``PickupConfirmation`` -> :class:`Pickup` (USPS may move the date to the next served day)."""
    if not isinstance(data, Mapping):
        raise TypeError("pickup answer is not an object")
    number = data.get("confirmationNumber")
    if not isinstance(number, str) or not number:
        raise KeyError("confirmationNumber")
    day = data.get("pickupDate") or request.pickup_date.isoformat()
    return Pickup(
        carrier=carrier,
        confirmation=number,
        pickup_date=str(day),
        address=request.address,
        package_count=request.package_count,
    )


_PARSE_ERRORS = (KeyError, TypeError, ValueError, AttributeError)


def availability_flow(carrier: UspsCarrier, address: Address, operation: str) -> Flow[PickupAvailability]:
    """``GET /carrier-pickup/eligibility``: 200 means served; a 400 with a USPS message means not."""
    params = eligibility_params(address)
    url = carrier._url(PICKUP_ELIGIBILITY_PATH)

    def build(token: str, _: str | None) -> httpx.Request:
        return api_request(
            "GET", url, params=params, headers=carrier._bearer(token), options=RequestOptions(operation=operation)
        )

    response = yield from carrier._authorized(build, operation)
    if response.status_code == 200:
        return PickupAvailability(carrier=carrier.code, address=address, available=True)
    if response.status_code == 400:
        _, message, _ = carrier._error_body(response)
        return PickupAvailability(carrier=carrier.code, address=address, available=False, message=message or "")
    raise carrier.api_error(response, operation=operation)


def schedule_flow(carrier: UspsCarrier, request: PickupRequest) -> Flow[Pickup]:
    """Check eligibility, then ``POST /carrier-pickup``; an ineligible address is USPS's typed error."""
    body = build_pickup(request)
    check_pickup_window(request.pickup_date, carrier._today())
    return _schedule(carrier, request, body)


def _schedule(carrier: UspsCarrier, request: PickupRequest, body: dict[str, Any]) -> Flow[Pickup]:
    availability = yield from availability_flow(carrier, request.address, "schedule_pickup")
    if not availability.available:
        raise ValidationError(
            f"USPS does not collect at this address: {availability.message or 'not eligible for carrier pickup'}",
            field="address",
            constraint="eligible for USPS carrier pickup",
        )
    url = carrier._url(PICKUP_PATH)
    options = RequestOptions(operation="schedule_pickup", idempotent=False)

    def build(token: str, _: str | None) -> httpx.Request:
        return api_request("POST", url, json=body, headers=carrier._bearer(token), options=options)

    response = yield from carrier._authorized(build, "schedule_pickup")
    if response.status_code not in (200, 201):
        raise carrier.api_error(response, operation="schedule_pickup")
    try:
        return parse_confirmation(carrier.parse_json(response, operation="schedule_pickup"), request, carrier.code)
    except (*_PARSE_ERRORS, CarrierError) as err:
        raise carrier._parse_failure(response, "schedule_pickup", err) from None


def cancel_flow(carrier: UspsCarrier, confirmation: str) -> Flow[None]:
    """``GET`` the pickup for its ``ETag``, then ``DELETE`` it with ``If-Match``."""
    url = carrier._url(f"{PICKUP_PATH}/{quote(confirmation, safe='')}")

    def read(token: str, _: str | None) -> httpx.Request:
        options = RequestOptions(operation="cancel_pickup")
        return api_request("GET", url, headers=carrier._bearer(token), options=options)

    response = yield from carrier._authorized(read, "cancel_pickup")
    if response.status_code in (400, 404):
        raise carrier._typed(NotFoundError, response, "cancel_pickup", f"USPS has no open pickup {confirmation}")
    if response.status_code != 200:
        raise carrier.api_error(response, operation="cancel_pickup")
    etag = response.headers.get("etag", "")
    if not etag:
        raise carrier.response_error(response, "no ETag on the pickup", operation="cancel_pickup")

    def delete(token: str, _: str | None) -> httpx.Request:
        headers = carrier._bearer(token) | {"If-Match": etag}
        return api_request(
            "DELETE", url, headers=headers, options=RequestOptions(operation="cancel_pickup", idempotent=False)
        )

    response = yield from carrier._authorized(delete, "cancel_pickup")
    if response.status_code in (200, 204):
        return None
    if response.status_code in (400, 404):
        raise carrier._typed(NotFoundError, response, "cancel_pickup", f"USPS has no open pickup {confirmation}")
    raise carrier.api_error(response, operation="cancel_pickup")
