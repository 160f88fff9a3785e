"""USPS shipping-day flows: return labels, SCAN forms and Carrier Pickup.

Return labels (``POST /labels/v3/return-label``) carry the payment authorization token and
``X-Idempotency-Key`` like an outbound label; a SCAN form (``POST /scan-forms/v3/scan-form``)
needs only the OAuth token and lists the numbers it covers. Pickups: eligibility is a ``GET``
with the address as query parameters; cancelling is a ``DELETE`` that needs the ``ETag`` of a
``GET`` of the same pickup in ``If-Match``. The wire facts and their sources are in the plugin
README ("Return labels and SCAN forms", "Carrier pickups").
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import httpx

from carrier_sdk import (
    Address,
    APIStatusError,
    Manifest,
    NotFoundError,
    Pickup,
    PickupAvailability,
    PickupRequest,
    Shipment,
    ShipmentRequest,
    ValidationError,
)
from carrier_sdk.adapters import LABEL_MAX_BODY, Flow, RequestOptions, api_request

from . import _mapping as m
from ._wire import (
    ACCEPT_LABEL_JSON,
    PAYMENT_TOKEN_HEADER,
    PICKUP_DAYS_AHEAD,
    PICKUP_ELIGIBILITY_PATH,
    PICKUP_PATH,
    RETURN_LABEL_PATH,
    SCAN_FORM_PATH,
    idempotency_uuid,
)

if TYPE_CHECKING:
    from ._carrier import UspsCarrier

__all__ = [
    "availability_flow",
    "cancel_pickup_flow",
    "check_pickup_window",
    "return_label_flow",
    "scan_form_flow",
    "schedule_pickup_flow",
]


def return_label_flow(carrier: UspsCarrier, request: ShipmentRequest, idempotency_key: str) -> Flow[Shipment]:
    """Buy a domestic return label with the payment token and ``X-Idempotency-Key``."""
    body = m.return_label_body(request, mailing_date=request.ship_date or carrier._today())
    service = body["packageDescription"]["mailClass"]
    wire_key = idempotency_uuid(idempotency_key)
    url = carrier._url(RETURN_LABEL_PATH)
    options = carrier._purchase_options("create_return_label", idempotency_key, request.reference)

    def build(token: str, pay: str | None) -> httpx.Request:
        headers = carrier._bearer(token) | {"Accept": ACCEPT_LABEL_JSON, "X-Idempotency-Key": wire_key}
        if pay is not None:
            headers[PAYMENT_TOKEN_HEADER] = pay
        return api_request("POST", url, json=body, headers=headers, options=options)

    response = yield from carrier._authorized(build, "create_return_label", payment=True)
    if response.status_code not in (200, 201):
        raise carrier.api_error(response, operation="create_return_label")
    with carrier.parsing(response, operation="create_return_label"):
        data = carrier.parse_json(response, operation="create_return_label")
        return m.to_return_shipment(carrier.code, data, service=service, idempotency_key=idempotency_key)


def scan_form_flow(
    carrier: UspsCarrier, numbers: Sequence[str], ship_date: date | None, origin: Address | None
) -> Flow[Manifest]:
    """One SCAN form (PS Form 5630) for ``numbers`` (as USPS APIs take them) handed over at ``origin``."""
    if origin is None:
        raise ValidationError(
            "a USPS SCAN form needs origin= (where the parcels are handed over)", field="origin", constraint="Address"
        )
    wire_numbers = list(numbers)
    mailing_date = ship_date or carrier._today()
    body = m.scan_form_body(wire_numbers, mailing_date=mailing_date, origin=origin)
    url = carrier._url(SCAN_FORM_PATH)
    options = RequestOptions(operation="create_manifest", idempotent=False, max_body=LABEL_MAX_BODY)

    def build(token: str, _: str | None) -> httpx.Request:
        headers = carrier._bearer(token) | {"Accept": ACCEPT_LABEL_JSON}
        return api_request("POST", url, json=body, headers=headers, options=options)

    response = yield from carrier._authorized(build, "create_manifest")
    if response.status_code not in (200, 201):
        raise carrier.api_error(response, operation="create_manifest")
    with carrier.parsing(response, operation="create_manifest"):
        data = carrier.parse_json(response, operation="create_manifest")
        return m.to_manifest(carrier.code, data, requested=wire_numbers, mailing_date=mailing_date)


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


def availability_flow(carrier: UspsCarrier, address: Address, operation: str) -> Flow[PickupAvailability]:
    """``GET /carrier-pickup/eligibility``: 200 means served; a 400 with a USPS message means not."""
    params = m.eligibility_params(address)
    url = carrier._url(PICKUP_ELIGIBILITY_PATH)

    build = carrier._oauth_request("GET", url, RequestOptions(operation=operation), params=params)
    response = yield from carrier._authorized(build, operation)
    if response.status_code == 200:
        return PickupAvailability(carrier=carrier.code, address=address, available=True)
    if response.status_code == 400:
        _, message, _ = carrier._error_body(response)
        return PickupAvailability(carrier=carrier.code, address=address, available=False, message=message or "")
    raise carrier.api_error(response, operation=operation)


def schedule_pickup_flow(carrier: UspsCarrier, request: PickupRequest) -> Flow[Pickup]:
    """Check eligibility, then ``POST /carrier-pickup``; an ineligible address is USPS's typed error."""
    body = m.pickup_body(request)
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

    build = carrier._oauth_request("POST", url, options, json=body)
    response = yield from carrier._authorized(build, "schedule_pickup")
    if response.status_code not in (200, 201):
        raise carrier.api_error(response, operation="schedule_pickup")
    with carrier.parsing(response, operation="schedule_pickup"):
        return m.to_pickup(carrier.code, carrier.parse_json(response, operation="schedule_pickup"), request)


def cancel_pickup_flow(carrier: UspsCarrier, confirmation: str) -> Flow[None]:
    """``GET`` the pickup for its ``ETag``, then ``DELETE`` it with ``If-Match``."""
    url = carrier._url(f"{PICKUP_PATH}/{quote(confirmation, safe='')}")

    read = carrier._oauth_request("GET", url, RequestOptions(operation="cancel_pickup"))
    response = yield from carrier._authorized(read, "cancel_pickup")
    if response.status_code in (400, 404):
        raise _no_pickup(carrier, response, confirmation)
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
        raise _no_pickup(carrier, response, confirmation)
    raise carrier.api_error(response, operation="cancel_pickup")


def _no_pickup(carrier: UspsCarrier, response: httpx.Response, confirmation: str) -> APIStatusError:
    """USPS answers 400 or 404 for a pickup it does not have (or has already cancelled)."""
    return carrier.api_error(
        response,
        operation="cancel_pickup",
        error_class=NotFoundError,
        message=f"USPS has no open pickup {confirmation}",
    )
