"""USPS return labels (``POST /labels/v3/return-label``) and SCAN forms (``POST /scan-forms/v3/scan-form``).

Wire facts (sources in the plugin README, "Return labels and SCAN forms"): both answer JSON with
the file Base64-encoded inside when asked with ``Accept: application/vnd.usps.labels+json``; the
return label carries the payment authorization token and ``X-Idempotency-Key`` like an outbound
label; the SCAN form needs only the OAuth token and lists the tracking numbers it covers.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

import httpx

from carrier_sdk import (
    LABEL_MAX_BODY,
    Address,
    CarrierError,
    Flow,
    Label,
    Manifest,
    ManifestRefusal,
    RequestOptions,
    Shipment,
    ShipmentRequest,
    ValidationError,
    api_request,
)

from . import _mapping as m
from ._schemas import ACCEPT_LABEL_JSON, PAYMENT_TOKEN_HEADER

if TYPE_CHECKING:
    from ._carrier import UspsCarrier

__all__ = [
    "DEFAULT_RETURN_MAIL_CLASS",
    "RETURN_LABEL_PATH",
    "RETURN_MAIL_CLASSES",
    "SCAN_FORM_PATH",
    "build_return_label",
    "build_scan_form",
    "parse_return_label",
    "parse_scan_form",
    "return_label_flow",
    "scan_form_flow",
]

RETURN_LABEL_PATH = "/labels/v3/return-label"
SCAN_FORM_PATH = "/scan-forms/v3/scan-form"

#: ``BaseReturnsPackageDescription.mailClass`` in domestic-labels.yaml.
RETURN_MAIL_CLASSES = frozenset(
    {
        "FIRST-CLASS_PACKAGE_RETURN_SERVICE",
        "GROUND_RETURN_SERVICE",
        "PRIORITY_MAIL_EXPRESS_RETURN_SERVICE",
        "PRIORITY_MAIL_RETURN_SERVICE",
        "USPS_GROUND_ADVANTAGE_RETURN_SERVICE",
    }
)
DEFAULT_RETURN_MAIL_CLASS = "USPS_GROUND_ADVANTAGE_RETURN_SERVICE"


def return_mail_class(service: str | None) -> str:
    """The return mail class for ``service``: a return class as is, an outbound one with its return twin."""
    if not service:
        return DEFAULT_RETURN_MAIL_CLASS
    name = service.upper()
    if name in RETURN_MAIL_CLASSES:
        return name
    twin = f"{name}_RETURN_SERVICE"
    if twin in RETURN_MAIL_CLASSES:
        return twin
    allowed = ", ".join(sorted(RETURN_MAIL_CLASSES))
    raise ValidationError(
        f"USPS has no return service for {service!r}; use one of {allowed}", field="service", constraint=allowed
    )


def build_return_label(request: ShipmentRequest, *, mailing_date: date) -> dict[str, Any]:
    """Body of ``POST /labels/v3/return-label`` (``ReturnLabelRequest``).

    ``toAddress`` is where the return goes (``request.recipient``, the merchant), ``fromAddress``
    who sends it back (``request.shipper``, the customer).
    """
    if request.shipper.country != "US" or request.recipient.country != "US":
        raise ValidationError("USPS return labels are domestic (US to US)", field="recipient.country", constraint="US")
    if request.rate is not None:
        raise ValidationError(
            "a USPS return label is priced by USPS at purchase; quotes are for outbound labels",
            field="rate",
            constraint="no rate",
        )
    parcel = m.single_parcel(request.parcels)
    body = m.build_label(
        request.shipper,
        request.recipient,
        parcel,
        mail_class=return_mail_class(request.service),
        mailing_date=mailing_date,
        label_format=request.label_format,
        reference=request.reference,
    )
    package = body["packageDescription"]
    for key in ("mailingDate", "destinationEntryFacilityType"):
        package.pop(key, None)
    return body


def _scan_address(address: Address) -> dict[str, Any]:
    out: dict[str, Any] = dict(m._domestic_address(address))
    for key in ("phone", "email"):
        out.pop(key, None)
    out["ignoreBadAddress"] = False
    return out


def build_scan_form(numbers: Sequence[str], *, mailing_date: date, origin: Address) -> dict[str, Any]:
    """Body of ``POST /scan-forms/v3/scan-form`` (``SCANFormRequest`` with a ``LabelShipment``)."""
    zip5 = origin.postal_code.strip()[:5]
    if origin.country != "US" or not (len(zip5) == 5 and zip5.isdigit()):
        raise ValidationError(
            "a USPS SCAN form needs a US origin with a 5-digit ZIP Code", field="origin", constraint="US ZIP"
        )
    if not origin.state:
        raise ValidationError("a USPS SCAN form origin needs a state", field="origin.state", constraint="required")
    return {
        "imageInfo": {"imageType": "PDF", "labelType": "8.5X11LABEL"},
        "mailingDate": mailing_date.isoformat(),
        "overwriteMailingDate": False,
        "entryFacilityZIPCode": zip5,
        "destinationEntryFacilityType": "NONE",
        "shipment": {"trackingNumbers": list(numbers)},
        "fromAddress": _scan_address(origin),
    }


def _image(data: Mapping[str, Any], key: str) -> bytes | None:
    text = data.get(key)
    if not isinstance(text, str) or not text:
        return None
    try:
        return base64.b64decode(text, validate=False)
    except (binascii.Error, ValueError):
        raise ValueError(f"{key} is not Base64") from None


def parse_return_label(data: Any, *, carrier: str, service: str, idempotency_key: str) -> Shipment:
    """``ReturnLabelVendorResponse`` -> :class:`Shipment` (``postage`` is what USPS charged)."""
    if not isinstance(data, Mapping):
        raise TypeError("return label answer is not an object")
    number = data.get("trackingNumber")
    if not isinstance(number, str) or not number:
        raise KeyError("trackingNumber")
    image = _image(data, "returnLabelImage")
    postage = data.get("postage")
    return Shipment(
        carrier=carrier,
        tracking_number=number.replace(" ", ""),
        label=Label(format=m.label_format_of(image), data=image) if image else None,
        price=m._money(postage) if postage is not None else None,
        service=service,
        idempotency_key=idempotency_key,
        carrier_reference=str(data.get("routingInformation") or ""),
        zone=str(data.get("zone") or ""),
    )


def parse_scan_form(data: Any, *, carrier: str, requested: Sequence[str], mailing_date: date) -> Manifest:
    """``SCANFormVendorResponse`` -> :class:`Manifest`; requested numbers it does not list are refused."""
    if not isinstance(data, Mapping):
        raise TypeError("SCAN form answer is not an object")
    manifest_id = data.get("manifestNumber")
    if not isinstance(manifest_id, str) or not manifest_id:
        raise KeyError("manifestNumber")
    covered_raw = data.get("trackingNumbers")
    if covered_raw is None:
        shipment = data.get("shipment")
        covered_raw = shipment.get("trackingNumbers") if isinstance(shipment, Mapping) else None
    if not isinstance(covered_raw, list) or not all(isinstance(n, str) for n in covered_raw):
        raise TypeError("trackingNumbers is not a list of strings")
    covered = [n.replace(" ", "").upper() for n in covered_raw]
    listed = set(covered)
    image = _image(data, "SCANFormImage")
    if image is None:
        raise KeyError("SCANFormImage")
    refused = [
        ManifestRefusal(
            tracking_number=n,
            reason="USPS left it off the SCAN form (not a label of this account, cancelled, or already on a form)",
        )
        for n in requested
        if n not in listed
    ]
    return Manifest(
        carrier=carrier,
        manifest_id=manifest_id,
        document=image,
        format=m.label_format_of(image),
        tracking_numbers=covered,
        refused=refused,
        ship_date=mailing_date,
    )


_PARSE_ERRORS = (KeyError, TypeError, ValueError, AttributeError)


def return_label_flow(carrier: UspsCarrier, request: ShipmentRequest, idempotency_key: str) -> Flow[Shipment]:
    """Buy a domestic return label with the payment token and ``X-Idempotency-Key``."""
    body = build_return_label(request, mailing_date=request.ship_date or carrier._today())
    service = body["packageDescription"]["mailClass"]
    wire_key = m.idempotency_uuid(idempotency_key)
    url = carrier._url(RETURN_LABEL_PATH)
    options = RequestOptions(
        operation="create_return_label",
        idempotent=False,
        purchase=True,
        idempotency_key=idempotency_key,
        reference=request.reference or None,
        max_body=LABEL_MAX_BODY,
    )

    def build(token: str, pay: str | None) -> httpx.Request:
        headers = carrier._bearer(token) | {"Accept": ACCEPT_LABEL_JSON, "X-Idempotency-Key": wire_key}
        if pay is not None:
            headers[PAYMENT_TOKEN_HEADER] = pay
        return api_request("POST", url, json=body, headers=headers, options=options)

    response = yield from carrier._authorized(build, "create_return_label", payment=True)
    if response.status_code not in (200, 201):
        raise carrier.api_error(response, operation="create_return_label")
    try:
        data = carrier.parse_json(response, operation="create_return_label")
        return parse_return_label(data, carrier=carrier.code, service=service, idempotency_key=idempotency_key)
    except (*_PARSE_ERRORS, CarrierError) as err:
        raise carrier._parse_failure(response, "create_return_label", err) from None


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
    body = build_scan_form(wire_numbers, mailing_date=mailing_date, origin=origin)
    url = carrier._url(SCAN_FORM_PATH)
    options = RequestOptions(operation="create_manifest", idempotent=False, max_body=LABEL_MAX_BODY)

    def build(token: str, _: str | None) -> httpx.Request:
        headers = carrier._bearer(token) | {"Accept": ACCEPT_LABEL_JSON}
        return api_request("POST", url, json=body, headers=headers, options=options)

    response = yield from carrier._authorized(build, "create_manifest")
    if response.status_code not in (200, 201):
        raise carrier.api_error(response, operation="create_manifest")
    try:
        data = carrier.parse_json(response, operation="create_manifest")
        return parse_scan_form(data, carrier=carrier.code, requested=wire_numbers, mailing_date=mailing_date)
    except (*_PARSE_ERRORS, CarrierError) as err:
        raise carrier._parse_failure(response, "create_manifest", err) from None
