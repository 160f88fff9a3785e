"""Pure functions between USPS wire payloads and carrier-sdk models.

Parsers here may raise ``KeyError``/``TypeError``/``ValueError``/``ArithmeticError`` on malformed
payloads; the carrier wraps those into :class:`~carrier_sdk.ResponseError`.
"""

from __future__ import annotations

import base64
import email.message
import email.parser
import email.policy
import html
import json
import re
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from decimal import ROUND_UP, Decimal
from typing import Any

from carrier_sdk import (
    Address,
    AddressCheck,
    Customs,
    DimensionUnit,
    LabelFormat,
    Location,
    Money,
    Parcel,
    Rate,
    TrackingEvent,
    TrackingInfo,
    TrackingStatus,
    ValidationError,
    WeightUnit,
)

from ._schemas import DEFAULT_DIMENSION_IN, FALLBACK_EVENT_TZ, IDEMPOTENCY_NAMESPACE

__all__ = [
    "AES_EXEMPTION",
    "EVENT_CODE_STATUS",
    "HELD_KEYWORDS",
    "LABEL_IMAGE_TYPES",
    "address_params",
    "build_international_label",
    "build_label",
    "build_options_request",
    "error_details",
    "event_instant",
    "idempotency_uuid",
    "lenient_bool",
    "map_status",
    "parse_address",
    "parse_label_response",
    "parse_offset",
    "parse_options",
    "parse_tracking",
    "single_parcel",
    "strip_html",
]

_P = TrackingStatus

#: USPS ``eventCode`` -> normalized status (WIRE.md section 2.5; Pub 199 App. G-4).
EVENT_CODE_STATUS: Mapping[str, TrackingStatus] = {
    # pre_transit: label created / manifest / "USPS Awaiting Item" at a shipping partner
    **dict.fromkeys(["MA", "GX", "80", "81", "82"], _P.PRE_TRANSIT),
    # in_transit
    **dict.fromkeys(
        ["03", "TM", "PA", "10", "PC", "EF", "SF", "07", "06", "08", "15", "19", "41", "42"],
        _P.IN_TRANSIT,
    ),
    # out_for_delivery (59 [M])
    **dict.fromkeys(["OF", "59"], _P.OUT_FOR_DELIVERY),
    # available_for_pickup
    **dict.fromkeys(["16", "14"], _P.AVAILABLE_FOR_PICKUP),
    # delivered (43 [M]: picked up at the post office)
    **dict.fromkeys(["01", "17", "43"], _P.DELIVERED),
    # delivery_failed / exception
    **dict.fromkeys(
        ["02", "52", "53", "54", "55", "56", "04", "05", "51", "30", "71", "11", "44", "DX"],
        _P.DELIVERY_FAILED,
    ),
    # returned_to_sender
    **dict.fromkeys(
        ["09", "21", "22", "23", "24", "25", "26", "27", "28", "29", "31"],
        _P.RETURNED_TO_SENDER,
    ),
}

#: ``eventType``/``statusCategory`` phrases of a hold at customs or at a USPS facility, waiting
#: for action (plugins/usps/README.md, "Held"). No public capture shows a dedicated event code
#: for them, so they are recognised by text only.
HELD_KEYWORDS: tuple[str, ...] = (
    "held in customs",
    "held by customs",
    "customs hold",
    "held at post office",
    "held at the post office",
    "held at facility",
    "held at usps facility",
)

#: ``statusCategory``/``eventType`` keywords (lower case, first match wins) used only when
#: the event code is missing or not in the table. No match -> UNKNOWN, never a guess.
_TEXT_STATUS: tuple[tuple[tuple[str, ...], TrackingStatus], ...] = (
    (("return to sender", "returned to sender", "return-to-sender"), _P.RETURNED_TO_SENDER),
    (HELD_KEYWORDS, _P.HELD),
    (("out for delivery",), _P.OUT_FOR_DELIVERY),
    (("available for pickup", "ready for pickup"), _P.AVAILABLE_FOR_PICKUP),
    (("delivery attempt", "alert", "exception", "notice left", "undeliverable"), _P.DELIVERY_FAILED),
    (("delivered",), _P.DELIVERED),
    (("pre-shipment", "pre shipment", "on its way to usps", "awaiting item", "label created"), _P.PRE_TRANSIT),
    (
        ("in transit", "in-transit", "moving through network", "accepted", "arrived", "departed", "processed"),
        _P.IN_TRANSIT,
    ),
)


def map_status(code: str, text: str = "") -> TrackingStatus:
    """Event code first, then keywords of the category/event text; never raises."""
    try:
        key = str(code or "").strip().upper()
        status = EVENT_CODE_STATUS.get(key)
        if status is not None:
            return status
        lowered = str(text or "").lower()
        for keywords, value in _TEXT_STATUS:
            if any(k in lowered for k in keywords):
                return value
    except Exception:  # map_status must never raise
        return _P.UNKNOWN
    return _P.UNKNOWN


_TAG = re.compile(r"<[^>]*>")


def strip_html(value: Any) -> str:
    """``"Priority Mail<SUP>&reg;</SUP>"`` -> ``"Priority Mail"``."""
    if not isinstance(value, str):
        return ""
    text = html.unescape(_TAG.sub("", value))
    text = text.replace("\u00ae", "").replace("\u2122", "").replace("\u2120", "")
    return " ".join(text.split())


def lenient_bool(value: Any) -> bool | None:
    """``true``/``"true"``/``"Y"`` -> True, ``false``/``"false"``/``"N"`` -> False, else None."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        text = value.strip().lower()
        if text in ("true", "y", "yes", "1"):
            return True
        if text in ("false", "n", "no", "0"):
            return False
    return None


# -- time --------------------------------------------------------------------------------------

_OFFSET = re.compile(r"^(?:GMT|UTC)?\s*([+-])(\d{1,2})(?::?(\d{2}))?$")


def parse_offset(value: Any) -> tzinfo | None:
    """``"-7:00"``, ``"-04:00"``, ``"-0500"``, ``"+5"`` -> a fixed offset, else None."""
    if not isinstance(value, str):
        return None
    match = _OFFSET.match(value.strip())
    if match is None:
        return None
    sign, hours, minutes = match.groups()
    delta = timedelta(hours=int(hours), minutes=int(minutes or 0))
    if delta > timedelta(hours=14):
        return None
    return timezone(-delta if sign == "-" else delta)


def _parse_aware(text: str) -> datetime | None:
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return None
    return parsed.astimezone(UTC)


_LOCAL_FORMATS = ("%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M")
_TIME_FORMATS = ("%H:%M:%S", "%H:%M", "%I:%M %p", "%I:%M%p", "%I:%M:%S %p")


def _parse_local(text: str) -> datetime | None:
    """A wall-clock datetime; a trailing ``Z`` or offset is dropped (it is not trustworthy)."""
    value = text.strip()
    value = re.sub(r"(?:[Zz]|[+-]\d{2}:?\d{2})$", "", value)
    value = re.sub(r"\.\d+$", "", value)
    for fmt in _LOCAL_FORMATS:
        try:
            return datetime.strptime(value, fmt)
        except ValueError:
            continue
    return None


def _parse_time_only(text: str) -> time | None:
    value = re.sub(r"[Zz]$", "", text.strip()).upper()
    for fmt in _TIME_FORMATS:
        try:
            return datetime.strptime(value, fmt).time()
        except ValueError:
            continue
    return None


def event_instant(event: Mapping[str, Any]) -> tuple[datetime, str] | None:
    """The UTC instant of a tracking event and the raw local time text.

    ``GMTTimestamp`` wins. Otherwise ``eventTimestamp`` (local wall time, sometimes with a
    bogus ``Z``) plus ``GMTOffset``; without an offset :data:`FALLBACK_EVENT_TZ` is assumed. A
    time-only ``eventTimestamp`` is combined with ``eventDate`` when present. ``None`` when the
    event cannot be placed in time at all.
    """
    local_raw = event.get("eventTimestamp")
    local_text = local_raw.strip() if isinstance(local_raw, str) else ""
    gmt = event.get("GMTTimestamp")
    if isinstance(gmt, str) and gmt.strip():
        instant = _parse_aware(gmt)
        if instant is not None:
            return instant, local_text
    if not local_text:
        return None
    local = _parse_local(local_text)
    if local is None:
        only = _parse_time_only(local_text)
        day_raw = event.get("eventDate")
        if only is None or not isinstance(day_raw, str):
            return None
        try:
            day = date.fromisoformat(day_raw.strip()[:10])
        except ValueError:
            return None
        local = datetime.combine(day, only)
    zone = parse_offset(event.get("GMTOffset")) or FALLBACK_EVENT_TZ
    return local.replace(tzinfo=zone).astimezone(UTC), local_text


def _date(value: Any) -> date | None:
    if not isinstance(value, str) or len(value.strip()) < 10:
        return None
    try:
        # A wall-clock "timestamp" with a bogus Z: its date part is the local date.
        return date.fromisoformat(value.strip()[:10])
    except ValueError:
        return None


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


# -- tracking ----------------------------------------------------------------------------------


def _location(event: Mapping[str, Any]) -> Location | None:
    country = _text(event.get("eventCountry"))
    location = Location(
        city=_text(event.get("eventCity")),
        state=_text(event.get("eventState")),
        postal_code=_text(event.get("eventZIP")) or _text(event.get("eventZIPCode")),
        country=country.upper() if len(country) == 2 else country,
        facility=_text(event.get("firm")),
    )
    return location if str(location) else None


def _estimated_delivery(data: Mapping[str, Any]) -> date | None:
    expectation = data.get("deliveryDateExpectation")
    sources: list[Any] = []
    if isinstance(expectation, Mapping):
        sources += [
            expectation.get("predictedDeliveryDate"),
            expectation.get("expectedDeliveryDate"),
            expectation.get("guaranteedDeliveryDate"),
        ]
    sources += [
        data.get("predictedDeliveryDate"),
        data.get("expectedDeliveryDate"),
        data.get("expectedDeliveryTimeStamp"),
        data.get("guaranteedDeliveryTimeStamp"),
        data.get("predictedDeliveryTimeStamp"),
    ]
    for value in sources:
        parsed = _date(value)
        if parsed is not None:
            return parsed
    return None


def _country(value: Any) -> str:
    text = _text(value).upper()
    return text if len(text) == 2 and text.isalpha() else ""


def parse_tracking(data: Mapping[str, Any], number: str, carrier: str) -> TrackingInfo:
    """A Tracking 3.0 DETAIL or 3.2 element -> :class:`TrackingInfo` (events oldest first)."""
    if not isinstance(data, Mapping):
        raise TypeError("tracking payload is not an object")
    raw_events = data.get("trackingEvents") or []
    if not isinstance(raw_events, list):
        raise TypeError("trackingEvents is not a list")
    events = []
    for raw in raw_events:
        if not isinstance(raw, Mapping):
            raise TypeError("tracking event is not an object")
        placed = event_instant(raw)
        if placed is None:
            continue  # an event with no usable time cannot be ordered; keep the rest
        instant, local = placed
        code = _text(raw.get("eventCode")).upper()
        text = _text(raw.get("eventType"))
        events.append(
            TrackingEvent(
                occurred_at=instant,
                status=map_status(code, text),
                description=text,
                carrier_status_code=code,
                carrier_status_text=text,
                location=_location(raw),
                local_time=local,
            )
        )
    status = TrackingInfo.status_of(events)
    if not events:
        status = map_status("", _text(data.get("statusCategory")) or _text(data.get("status")))
    origin = _country(data.get("originCountry")) or ("US" if _text(data.get("originZIP")) else "")
    destination = _country(data.get("destinationCountryCode")) or ("US" if _text(data.get("destinationZIP")) else "")
    return TrackingInfo(
        carrier=carrier,
        tracking_number=number,
        status=status,
        events=events,
        estimated_delivery=_estimated_delivery(data),
        service=strip_html(data.get("mailClass")),
        origin_country=origin,
        destination_country=destination,
        status_detail=_text(data.get("statusSummary")) or _text(data.get("status")),
    )


def error_details(data: Any) -> tuple[str | None, str | None, list[str]]:
    """``(code, message, all codes)`` from a USPS error body or an OAuth error body.

    The most specific code wins: ``error.errors[0].code`` over ``error.code`` (which is
    documented as a string but sometimes a number).
    """
    if not isinstance(data, Mapping):
        return None, None, []
    error = data.get("error")
    if isinstance(error, str):  # OAuth: {"error": "invalid_client", "error_description": ...}
        description = data.get("error_description")
        return error, str(description) if description is not None else error, [error]
    if not isinstance(error, Mapping):
        return None, None, []
    codes: list[str] = []
    message = error.get("message")
    details = error.get("errors")
    if isinstance(details, list):
        for item in details:
            if isinstance(item, Mapping) and item.get("code") not in (None, ""):
                codes.append(str(item["code"]))
        if message in (None, "") and details and isinstance(details[0], Mapping):
            message = details[0].get("detail") or details[0].get("title")
    top = error.get("code")
    if top not in (None, ""):
        codes.append(str(top))
    return (codes[0] if codes else None), (str(message) if message not in (None, "") else None), codes


# -- requests ----------------------------------------------------------------------------------

_HUNDREDTH = Decimal("0.01")


def _up(value: Decimal) -> float:
    return float(max(value.quantize(_HUNDREDTH, rounding=ROUND_UP), _HUNDREDTH))


def single_parcel(parcels: Sequence[Parcel]) -> Parcel:
    """USPS prices and labels one package per call."""
    if len(parcels) != 1:
        raise ValidationError(
            "USPS takes exactly one parcel per rate request or label",
            field="parcels",
            constraint="exactly one parcel",
        )
    return parcels[0]


def _package(parcel: Parcel) -> dict[str, float]:
    dims = parcel.dimensions_in(DimensionUnit.IN)
    default = Decimal(DEFAULT_DIMENSION_IN)
    length, width, height = dims if dims is not None else (default, default, default)
    return {
        "weight": _up(parcel.weight_in(WeightUnit.LB)),
        "length": _up(length),
        "width": _up(width),
        "height": _up(height),
    }


def _zip5(postal_code: str) -> str:
    digits = re.sub(r"\D", "", postal_code)
    return digits[:5]


def _zip4(postal_code: str) -> str:
    digits = re.sub(r"\D", "", postal_code)
    return digits[5:9] if len(digits) == 9 else ""


def build_options_request(
    shipper: Address,
    recipient: Address,
    parcel: Parcel,
    *,
    mail_class: str | None,
    mailing_date: date,
    price_type: str,
    payment_account: Mapping[str, str] | None,
) -> dict[str, Any]:
    """Body of ``POST /shipments/v3/options/search`` (domestic or international)."""
    pricing: dict[str, Any] = {"priceType": price_type}
    if payment_account:
        pricing["paymentAccount"] = dict(payment_account)
    package: dict[str, Any] = {**_package(parcel), "mailingDate": mailing_date.isoformat()}
    body: dict[str, Any] = {"pricingOptions": [pricing], "originZIPCode": _zip5(shipper.postal_code)}
    if recipient.country == "US":
        package["mailClass"] = mail_class or "ALL_OUTBOUND"
        body["destinationZIPCode"] = _zip5(recipient.postal_code)
    else:
        package["mailClass"] = mail_class or "ALL"
        body["destinationCountryCode"] = recipient.country
        if recipient.postal_code:
            body["foreignPostalCode"] = recipient.postal_code[:10]
    body["packageDescription"] = package
    return body


def _days(name: Any) -> int | None:
    match = re.match(r"^\s*(\d+)\s+days?\b", str(name or ""), re.IGNORECASE)
    return int(match.group(1)) if match else None


def _money(value: Any) -> Money:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise TypeError("price is not a number")
    return Money(amount=Decimal(str(value)), currency="USD")


def parse_options(data: Mapping[str, Any], carrier: str) -> list[Rate]:
    """``pricingOptions[].shippingOptions[].rateOptions[]`` -> one :class:`Rate` each."""
    rates: list[Rate] = []
    for pricing in data.get("pricingOptions") or []:
        for option in pricing.get("shippingOptions") or []:
            mail_class = str(option["mailClass"])
            for rate_option in option.get("rateOptions") or []:
                price = rate_option.get("totalPrice")
                if price is None:
                    price = rate_option["totalBasePrice"]
                details = rate_option.get("rates") or []
                name = details[0].get("description", "") if details and isinstance(details[0], Mapping) else ""
                commitment = rate_option.get("commitment") or {}
                delivery = commitment.get("expectedDeliveryDate") or commitment.get("scheduleDeliveryDate")
                rates.append(
                    Rate(
                        carrier=carrier,
                        service=mail_class,
                        service_name=strip_html(name).strip() or mail_class.replace("_", " ").title(),
                        price=_money(price),
                        estimated_days=_days(commitment.get("name")),
                        delivery_date=_date(delivery),
                    )
                )
    return rates


def _person(address: Address) -> dict[str, str]:
    out: dict[str, str] = {}
    if address.name:
        first, _, last = address.name.partition(" ")
        out["firstName"] = first[:50]
        if last.strip():
            out["lastName"] = last.strip()[:50]
    if address.company:
        out["firm"] = address.company[:50]
    phone = re.sub(r"\D", "", address.phone)
    if len(phone) == 11 and phone.startswith("1"):
        phone = phone[1:]
    if len(phone) == 10:
        out["phone"] = phone
    if address.email:
        out["email"] = address.email
    return out


def _domestic_address(address: Address) -> dict[str, str]:
    out = {
        **_person(address),
        "streetAddress": address.street1[:50],
        "city": address.city[:28],
        "state": address.state.upper(),
        "ZIPCode": _zip5(address.postal_code),
    }
    if address.street2:
        out["secondaryAddress"] = address.street2[:50]
    if _zip4(address.postal_code):
        out["ZIPPlus4"] = _zip4(address.postal_code)
    return out


def _country_name(code: str) -> str:
    try:
        import pycountry

        country = pycountry.countries.get(alpha_2=code)
    except (ImportError, LookupError, KeyError):  # pragma: no cover - pycountry is a core dependency
        return code
    return str(country.name) if country is not None else code


def _international_address(address: Address) -> dict[str, str]:
    out = {
        **_person(address),
        "streetAddress": address.street1[:50],
        "city": address.city[:28],
        "country": _country_name(address.country),
        "countryISOAlpha2Code": address.country,
    }
    out.pop("email", None)
    if address.street2:
        out["secondaryAddress"] = address.street2[:50]
    if address.postal_code:
        out["postalCode"] = address.postal_code[:11]
    if address.state:
        out["province"] = address.state[:40]
    return out


#: Our label format -> USPS ``imageInfo.imageType``.
LABEL_IMAGE_TYPES: Mapping[LabelFormat, str] = {
    LabelFormat.PDF: "PDF",
    LabelFormat.PNG: "PNG",
    LabelFormat.ZPL: "ZPL203DPI",
}


def _image_info(label_format: LabelFormat) -> dict[str, Any]:
    return {"imageType": LABEL_IMAGE_TYPES[label_format], "labelType": "4X6LABEL", "receiptOption": "NONE"}


def _international_image_info(label_format: LabelFormat) -> dict[str, Any]:
    """International labels take PDF, TIFF or ZPL only, always 4x6, and have no receipt option."""
    if label_format is LabelFormat.PNG:
        raise ValidationError(
            "USPS international labels come as PDF or ZPL", field="label_format", constraint="pdf or zpl"
        )
    return {"imageType": LABEL_IMAGE_TYPES[label_format], "labelType": "4X6LABEL"}


def build_label(
    shipper: Address,
    recipient: Address,
    parcel: Parcel,
    *,
    mail_class: str,
    mailing_date: date,
    label_format: LabelFormat,
    reference: str,
) -> dict[str, Any]:
    """Body of ``POST /labels/v3/label``."""
    package: dict[str, Any] = {
        "mailClass": mail_class,
        "rateIndicator": "SP",
        "weightUOM": "lb",
        "dimensionsUOM": "in",
        **_package(parcel),
        "processingCategory": "MACHINABLE",
        "mailingDate": mailing_date.isoformat(),
        "destinationEntryFacilityType": "NONE",
    }
    if reference:
        package["customerReference"] = [{"referenceNumber": reference[:30], "printReferenceNumber": True}]
    return {
        "imageInfo": _image_info(label_format),
        "toAddress": _domestic_address(recipient),
        "fromAddress": _domestic_address(shipper),
        "packageDescription": package,
    }


_CONTENT_TYPES = {
    "merchandise": "MERCHANDISE",
    "gift": "GIFT",
    "gifts": "GIFT",
    "document": "DOCUMENT",
    "documents": "DOCUMENT",
    "sample": "COMMERCIAL_SAMPLE",
    "commercial_sample": "COMMERCIAL_SAMPLE",
    "returned_goods": "RETURNED_GOODS",
    "return": "RETURNED_GOODS",
    "humanitarian": "HUMANITARIAN_DONATIONS",
}

#: AES/ITN exemption used for shipments under the USD 2,500 filing threshold (FTR 30.37(a)) [A].
AES_EXEMPTION = "NOEEI 30.37(a)"


def _customs_form(customs: Customs) -> dict[str, Any]:
    contents = []
    for item in customs.items:
        if item.value.currency != "USD":
            raise ValidationError("USPS customs values must be in USD", field="customs", constraint="USD")
        weight = item.weight * {WeightUnit.G: Decimal("0.001"), WeightUnit.KG: Decimal(1)}.get(
            item.weight_unit, Decimal(1)
        )
        if item.weight_unit in (WeightUnit.G, WeightUnit.KG):
            pounds = weight / Decimal("0.45359237")
        elif item.weight_unit is WeightUnit.OZ:
            pounds = item.weight / 16
        else:
            pounds = item.weight
        line: dict[str, Any] = {
            "itemDescription": item.description[:30],
            "itemQuantity": item.quantity,
            "itemValue": float(item.value.amount),
            "itemTotalValue": float(item.total_value.amount),
            "weightUOM": "lb",
            "itemWeight": _up(pounds),
            "itemTotalWeight": _up(pounds * item.quantity),
            "countryofOrigin": item.origin_country,
        }
        if item.hs_code:
            line["HSTariffNumber"] = item.hs_code
        contents.append(line)
    form: dict[str, Any] = {
        "customsContentType": _CONTENT_TYPES.get(customs.contents_type.lower(), "OTHER"),
        "AESITN": AES_EXEMPTION,
        "contents": contents,
    }
    if form["customsContentType"] == "OTHER":
        form["contentComments"] = customs.contents_type[:25]
    if customs.invoice_number:
        form["invoiceNumber"] = customs.invoice_number[:15]
    return form


def build_international_label(
    shipper: Address,
    recipient: Address,
    parcel: Parcel,
    customs: Customs,
    *,
    mail_class: str,
    mailing_date: date,
    label_format: LabelFormat,
    reference: str,
) -> dict[str, Any]:
    """Body of ``POST /international-labels/v3/international-label``."""
    package: dict[str, Any] = {
        "mailClass": mail_class,
        "rateIndicator": "SP",
        "weightUOM": "lb",
        "dimensionsUOM": "in",
        **_package(parcel),
        "processingCategory": "MACHINABLE",
        "mailingDate": mailing_date.isoformat(),
        "destinationEntryFacilityType": "NONE",
    }
    if reference:
        package["customerReference"] = [{"referenceNumber": reference[:30], "printReferenceNumber": True}]
    return {
        "imageInfo": _international_image_info(label_format),
        "toAddress": _international_address(recipient),
        "fromAddress": _domestic_address(shipper),
        "packageDescription": package,
        "customsForm": _customs_form(customs),
    }


def idempotency_uuid(key: str) -> str:
    """USPS wants a UUID: a UUID key is used as is (canonical form), anything else maps via uuid5."""
    try:
        return str(uuid.UUID(key))
    except ValueError:
        return str(uuid.uuid5(uuid.UUID(IDEMPOTENCY_NAMESPACE), key))


# -- label responses ---------------------------------------------------------------------------


def _b64(text: str | bytes) -> bytes:
    raw = text.encode("ascii") if isinstance(text, str) else text
    return base64.b64decode(re.sub(rb"\s+", b"", raw), validate=True)


def _multipart_parts(content_type: str, body: bytes) -> dict[str, tuple[str, bytes]]:
    """Part name -> (content type, raw bytes) of a ``multipart/form-data`` body."""
    header = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode("latin-1")
    message = email.parser.BytesParser(policy=email.policy.compat32).parsebytes(header + body)
    if not message.is_multipart():
        raise ValueError("multipart body without parts")
    parts: dict[str, tuple[str, bytes]] = {}
    payload = message.get_payload()
    if not isinstance(payload, list):
        raise ValueError("multipart body without parts")
    for part in payload:
        if not isinstance(part, email.message.Message):
            raise ValueError("malformed multipart part")
        name = part.get_param("name", header="content-disposition") or part.get_filename() or ""
        raw = part.get_payload(decode=False)
        if not isinstance(raw, str):
            raise ValueError("nested multipart part")
        # The transfer encoding header is ignored on purpose: USPS documents that image parts are
        # always base64 text and metadata is plain JSON, whatever the part headers say.
        parts[str(name)] = (part.get_content_type(), raw.encode("utf-8", "surrogateescape"))
    return parts


def parse_label_response(
    content_type: str, body: bytes, *, international: bool
) -> tuple[Mapping[str, Any], bytes | None]:
    """``(metadata, label bytes)`` from a multipart or JSON label response."""
    number_key = "internationalTrackingNumber" if international else "trackingNumber"
    if content_type.lower().startswith("multipart/"):
        parts = _multipart_parts(content_type, body)
        meta_raw = parts.get("labelMetadata") or parts.get("metadata")
        if meta_raw is None:
            raise KeyError("labelMetadata")
        metadata = json.loads(meta_raw[1].decode("utf-8"))
        image = parts.get("labelImage")
        label = _b64(image[1]) if image is not None else None
    else:
        metadata = json.loads(body.decode("utf-8"))
        image_text = metadata.get("labelImage") if isinstance(metadata, Mapping) else None
        label = _b64(image_text) if isinstance(image_text, str) else None
    if not isinstance(metadata, Mapping):
        raise TypeError("label metadata is not an object")
    number = metadata.get(number_key) or metadata.get("trackingNumber")
    if not isinstance(number, str) or not number:
        raise KeyError(number_key)
    return metadata, label


# -- addresses ---------------------------------------------------------------------------------


def address_params(address: Address) -> dict[str, str]:
    """Query of ``GET /addresses/v3/address``."""
    params = {"streetAddress": address.street1, "city": address.city, "state": address.state.upper()}
    if address.street2:
        params["secondaryAddress"] = address.street2
    if address.company:
        params["firm"] = address.company
    if _zip5(address.postal_code):
        params["ZIPCode"] = _zip5(address.postal_code)
    if _zip4(address.postal_code):
        params["ZIPPlus4"] = _zip4(address.postal_code)
    return params


def parse_address(data: Mapping[str, Any], original: Address, carrier: str) -> AddressCheck:
    """``AddressResponse`` -> :class:`AddressCheck` with the standardized address (ZIP+4)."""
    wire = data["address"]
    if not isinstance(wire, Mapping):
        raise TypeError("address is not an object")
    zip5 = _text(wire.get("ZIPCode"))
    zip4 = _text(wire.get("ZIPPlus4"))
    info = data.get("additionalInfo") or {}
    if not isinstance(info, Mapping):
        raise TypeError("additionalInfo is not an object")
    dpv = _text(info.get("DPVConfirmation")) or None
    business = lenient_bool(info.get("business"))
    corrections = tuple(
        text
        for c in (data.get("corrections") or [])
        if isinstance(c, Mapping) and (text := f"{c.get('code') or ''}: {c.get('text') or ''}".strip(": "))
    )
    messages = tuple(
        _text(m.get("text")) for m in (data.get("matches") or []) if isinstance(m, Mapping) and m.get("text")
    )
    warnings = tuple(str(w) for w in (data.get("warnings") or []) if isinstance(w, str | int))
    standardized = Address(
        name=original.name,
        company=_text(data.get("firm")) or original.company,
        street1=_text(wire.get("streetAddress")) or original.street1,
        street2=_text(wire.get("secondaryAddress")),
        city=_text(wire.get("city")) or original.city,
        state=_text(wire.get("state")) or original.state,
        postal_code=f"{zip5}-{zip4}" if zip5 and zip4 else zip5 or original.postal_code,
        country=original.country,
        phone=original.phone,
        email=original.email,
    )
    matched = dpv in ("Y", "S", "D") if dpv is not None else bool(zip5)
    return AddressCheck(
        carrier=carrier,
        matched=matched,
        address=standardized,
        corrections=corrections,
        messages=messages + warnings,
        dpv_confirmation=dpv,
        residential=None if business is None else not business,
    )
