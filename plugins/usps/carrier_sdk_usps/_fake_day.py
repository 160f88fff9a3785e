"""The USPS fake's return labels and SCAN forms (state lives on :class:`~carrier_sdk_usps.fake.UspsFake`).

Return labels are labels (``UspsFake.labels``, ``"returns": True``): they are charged, cancellable
and trackable like outbound ones. ``UspsFake.scan_forms`` maps a manifest number to the numbers it
covers; a label on a form records it (``"scan_form"``), so a second form leaves it off.
"""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import httpx

if TYPE_CHECKING:
    from .fake import UspsFake

__all__ = ["return_label", "scan_form"]

_RETURN_POSTAGE = {
    "USPS_GROUND_ADVANTAGE_RETURN_SERVICE": (Decimal("7.80"), Decimal("1.10")),
    "PRIORITY_MAIL_RETURN_SERVICE": (Decimal("10.40"), Decimal("1.60")),
    "PRIORITY_MAIL_EXPRESS_RETURN_SERVICE": (Decimal("31.50"), Decimal("3.00")),
    "GROUND_RETURN_SERVICE": (Decimal("7.80"), Decimal("1.10")),
    "FIRST-CLASS_PACKAGE_RETURN_SERVICE": (Decimal("5.20"), Decimal("0.90")),
}


def _pdf(text: str) -> bytes:
    return f"%PDF-1.4\n% {text}\n%%EOF\n".encode()


def _return_answer(record: dict[str, Any]) -> httpx.Response:
    body = {
        "labelAddress": record.get("label_address", {}),
        "routingInformation": "420" + record["zip"],
        "trackingNumber": record["number"],
        "postage": float(record["postage"]),
        "extraServices": [],
        "zone": "05",
        "weightUOM": "lb",
        "weight": record["weight"],
        "fees": [],
        "SKU": "DUXR0XXXXC00010",
        "returnLabelImage": base64.b64encode(_pdf(f"fake USPS return label {record['number']}")).decode(),
    }
    return httpx.Response(200, json=body)


def return_label(fake: UspsFake, request: httpx.Request) -> httpx.Response:
    """``POST /labels/v3/return-label``: charged once per idempotency key, like outbound labels."""

    def read(body: Any) -> dict[str, Any]:
        package = body["packageDescription"]
        mail_class = str(package["mailClass"])
        if mail_class not in _RETURN_POSTAGE:
            raise KeyError(mail_class)
        str(body["fromAddress"]["ZIPCode"])
        return {
            "international": False,
            "returns": True,
            "weight": float(package["weight"]),
            "zip": str(body["toAddress"]["ZIPCode"]),
            "mail_class": mail_class,
        }

    def buy(label: dict[str, Any]) -> dict[str, Any]:
        from .fake import fake_impb

        base, per_lb = _RETURN_POSTAGE[label["mail_class"]]
        postage = (base + per_lb * Decimal(str(label["weight"]))).quantize(Decimal("0.01")) + fake.price_change
        return {"number": fake_impb(fake._serial), "postage": postage, "mailing_date": fake_today(fake).isoformat()}

    return fake._purchase(request, "/labels/v3", read, buy, _return_answer)


def fake_today(fake: UspsFake) -> date:
    """Today where USPS judges mailing and pickup dates: in the US (Central time), not in UTC.

    The adapter's default mailing date is the same Central-time date, so the two agree at any hour
    (between 00:00 and 06:00 UTC the UTC date is already tomorrow's).
    """
    from datetime import datetime

    from ._wire import FALLBACK_EVENT_TZ

    return datetime.fromtimestamp(fake.clock(), FALLBACK_EVENT_TZ).date()


def _refusal(number: str, record: dict[str, Any] | None) -> str | None:
    if record is None:
        return "No label with this tracking number was created by this account."
    if record["international"]:
        return "International labels cannot be added to a SCAN form."
    if record["cancelled"]:
        return "The label has been canceled."
    if record.get("scan_form"):
        return f"The label is already on SCAN form {record['scan_form']}."
    return None


def scan_form(fake: UspsFake, request: httpx.Request) -> httpx.Response:
    """``POST /scan-forms/v3/scan-form`` for a ``LabelShipment``: covers the eligible labels.

    Labels unknown to the account, cancelled, international or already on a form are left off;
    when none is left, the answer is a 400 naming each number's problem.
    """
    api = "/scan-forms/v3"
    try:
        body = json.loads(request.content)
        numbers = body["shipment"]["trackingNumbers"]
        mailing_date = date.fromisoformat(str(body["mailingDate"]))
        zip5 = str(body["entryFacilityZIPCode"])
        if not (isinstance(numbers, list) and numbers and len(zip5) == 5 and zip5.isdigit()):
            raise ValueError("shipment")
        body["fromAddress"]["streetAddress"]
    except (ValueError, KeyError, TypeError, AttributeError):
        return fake._error(400, "The request body is invalid.", api=api)
    if mailing_date < fake_today(fake):
        return fake._error(400, "The mailing date cannot be in the past.", api=api)
    covered: list[str] = []
    problems: list[dict[str, str]] = []
    for number in numbers:
        record = fake.labels.get(str(number))
        reason = _refusal(str(number), record)
        if reason is None:
            covered.append(str(number))
        else:
            problems.append({"status": "400", "code": "SCAN-0002", "title": str(number), "detail": reason})
    if not covered:
        return httpx.Response(
            400,
            json={
                "apiVersion": api,
                "error": {"code": "400", "message": "No eligible labels for the SCAN form.", "errors": problems},
            },
        )
    fake._serial += 1
    manifest_number = f"9475{fake._serial:018d}"[:22]
    for number in covered:
        fake.labels[number]["scan_form"] = manifest_number
    fake.scan_forms[manifest_number] = {"numbers": covered, "mailing_date": mailing_date.isoformat(), "zip": zip5}
    image = _pdf(f"fake USPS SCAN form {manifest_number} ({len(covered)} labels)")
    answer = {
        "imageInfo": body.get("imageInfo", {"imageType": "PDF", "labelType": "8.5X11LABEL"}),
        "mailingDate": mailing_date.isoformat(),
        "overwriteMailingDate": bool(body.get("overwriteMailingDate", False)),
        "entryFacilityZIPCode": zip5,
        "destinationEntryFacilityType": body.get("destinationEntryFacilityType", "NONE"),
        "shipment": {"trackingNumbers": covered},
        "fromAddress": body["fromAddress"],
        "manifestNumber": manifest_number,
        "SCANFormImage": base64.b64encode(image).decode(),
        "trackingNumbers": covered,
    }
    return httpx.Response(200, json=answer)


# -- carrier pickups --------------------------------------------------------------------------

#: ZIP Codes the fake treats as not served by carrier pickup (deterministic for tests and docs).
UNSERVED_ZIP_PREFIXES = ("000", "999")


def _etag(confirmation: str, record: dict[str, Any]) -> str:
    return '"' + hashlib.sha256(f"{confirmation}:{record['version']}".encode()).hexdigest()[:40] + '"'


def pickup_eligibility(fake: UspsFake, request: httpx.Request) -> httpx.Response:
    """``GET /pickup/v3/carrier-pickup/eligibility``: the standardized address when served."""
    params = request.url.params
    zip5 = params.get("ZIPCode", "")
    street = params.get("streetAddress", "")
    if not street or not (zip5 or (params.get("city") and params.get("state"))):
        return fake._error(400, "streetAddress and either ZIPCode or city and state are required.", api="/pickup/v3")
    if zip5 and (len(zip5) != 5 or not zip5.isdigit()):
        return fake._error(400, "ZIPCode must be 5 digits.", api="/pickup/v3")
    if zip5.startswith(UNSERVED_ZIP_PREFIXES):
        return fake._error(400, "This address is not eligible for Carrier Pickup.", api="/pickup/v3")
    address: dict[str, Any] = {"streetAddress": street.upper(), "city": params.get("city", "").upper()}
    if params.get("state"):
        address["state"] = params.get("state", "").upper()
    if zip5:
        address["ZIPCode"] = zip5
    contact = [{"email": "pickup@example.com"}]
    return httpx.Response(
        200, json={"firstName": "CURRENT", "lastName": "RESIDENT", "address": address, "contact": contact}
    )


def schedule_pickup(fake: UspsFake, request: httpx.Request) -> httpx.Response:
    """``POST /pickup/v3/carrier-pickup``: a Sunday moves to Monday, the past is refused."""
    api = "/pickup/v3"
    try:
        body = json.loads(request.content)
        day = date.fromisoformat(str(body["pickupDate"]))
        count = sum(int(p["packageCount"]) for p in body["packages"])
        zip5 = str(body["pickupAddress"]["address"]["ZIPCode"])
        float(body["estimatedWeight"])
        str(body["pickupLocation"]["packageLocation"])
    except (ValueError, KeyError, TypeError, AttributeError):
        return fake._error(400, "The request body is invalid.", api=api)
    if day < fake_today(fake):
        return fake._error(400, "The pickup date cannot be in the past.", api=api)
    if zip5.startswith(UNSERVED_ZIP_PREFIXES):
        return fake._error(400, "This address is not eligible for Carrier Pickup.", api=api)
    if day.weekday() == 6:
        from datetime import timedelta

        day += timedelta(days=1)
    fake._serial += 1
    confirmation = f"WTC{fake._serial:09d}"
    fake.pickups[confirmation] = {
        "date": day.isoformat(),
        "count": count,
        "zip": zip5,
        "cancelled": False,
        "version": 1,
        "request": body,
    }
    return httpx.Response(
        200, json={"confirmationNumber": confirmation, "pickupDate": day.isoformat(), "carrierPickupRequest": body}
    )


def get_pickup(fake: UspsFake, request: httpx.Request) -> httpx.Response:
    """``GET /pickup/v3/carrier-pickup/{n}`` with the pickup's ``ETag``; a cancelled pickup is gone."""
    confirmation = request.url.path.rsplit("/", 1)[-1]
    record = fake.pickups.get(confirmation)
    if record is None or record["cancelled"]:
        return fake._error(404, f"No open carrier pickup {confirmation}.", api="/pickup/v3")
    answer = {
        "confirmationNumber": confirmation,
        "pickupDate": record["date"],
        "carrierPickupRequest": record["request"],
    }
    return httpx.Response(200, json=answer, headers={"ETag": _etag(confirmation, record)})


def cancel_pickup(fake: UspsFake, request: httpx.Request) -> httpx.Response:
    """``DELETE /pickup/v3/carrier-pickup/{n}``: needs the current ``ETag``; a pickup is cancelled once."""
    confirmation = request.url.path.rsplit("/", 1)[-1]
    record = fake.pickups.get(confirmation)
    if record is None or record["cancelled"]:
        return fake._error(404, f"No open carrier pickup {confirmation}.", api="/pickup/v3")
    if request.headers.get("if-match", "") != _etag(confirmation, record):
        return fake._error(412, "If-Match does not match the pickup's ETag.", api="/pickup/v3")
    record["cancelled"] = True
    record["version"] += 1
    return httpx.Response(200)
