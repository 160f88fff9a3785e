"""USPS wire values <-> carrier-sdk models: ``map_status``, ``to_<model>`` and ``<operation>_body``.

The ``to_*`` functions may raise any of ``carrier_sdk.adapters.PARSE_ERRORS`` on a malformed
payload; the flows call them inside ``Carrier.parsing``, which turns those into
:class:`~carrier_sdk.ResponseError`.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import functools
import gzip
import html
import json
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from decimal import ROUND_UP, Decimal
from typing import Any

from carrier_sdk import (
    Address,
    AddressCheck,
    Customs,
    DimensionUnit,
    Distance,
    DistanceUnit,
    Fee,
    Label,
    LabelFormat,
    Location,
    LocationKind,
    Manifest,
    ManifestRefusal,
    Money,
    OpeningHours,
    Parcel,
    Pickup,
    PickupRequest,
    Rate,
    ServiceLocation,
    Shipment,
    ShipmentRequest,
    TrackingEvent,
    TrackingInfo,
    TrackingStatus,
    ValidationError,
    WeightUnit,
)
from carrier_sdk.adapters import at_offset
from carrier_sdk.iso import country_name

from ._wire import (
    DEFAULT_DIMENSION_IN,
    DEFAULT_RETURN_MAIL_CLASS,
    FALLBACK_EVENT_TZ,
    PACKAGE_LOCATIONS,
    PACKAGE_TYPES,
    RETURN_MAIL_CLASSES,
    MultipartPart,
    multipart_parts,
)

__all__ = [
    "AES_EXEMPTION",
    "EVENT_CODE_STATUS",
    "HELD_KEYWORDS",
    "LABEL_IMAGE_TYPES",
    "LABEL_PRODUCT_FIELDS",
    "LOCKER_SERVICES",
    "PRODUCT_FIELDS",
    "address_params",
    "eligibility_params",
    "event_instant",
    "label_body",
    "label_format_of",
    "lenient_bool",
    "locations_query",
    "map_status",
    "parse_label_response",
    "parse_offset",
    "pickup_body",
    "rates_body",
    "return_label_body",
    "return_mail_class",
    "scan_form_body",
    "single_parcel",
    "strip_html",
    "to_address_check",
    "to_locations",
    "to_manifest",
    "to_pickup",
    "to_rates",
    "to_return_shipment",
    "to_shipment",
    "to_tracking_info",
]

_P = TrackingStatus

#: USPS ``eventCode`` -> normalized status (USPS Publication 199, Appendix G-4; see the plugin README).
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
    return _offset(value) if isinstance(value, str) else None


@functools.lru_cache(maxsize=64)
def _offset(value: str) -> tzinfo | None:
    """:func:`parse_offset` of one text, cached: a history repeats a few offsets in every event."""
    match = _OFFSET.match(value.strip())
    if match is None:
        return None
    sign, hours, minutes = match.groups()
    delta = timedelta(hours=int(hours), minutes=int(minutes or 0))
    if delta > timedelta(hours=14):
        return None
    return timezone(-delta if sign == "-" else delta)


def _parse_aware(text: str) -> datetime | None:
    try:  # Python 3.11 reads a trailing "Z" itself (as UTC): the common case is one call
        parsed = datetime.fromisoformat(text)
    except ValueError:
        value = text.strip()
        if value.endswith(("Z", "z")):
            value = value[:-1] + "+00:00"
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return None
    zone = parsed.tzinfo
    if zone is None:
        return None
    return parsed if zone is UTC else parsed.astimezone(UTC)


_LOCAL_FORMATS = ("%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M")
_TIME_FORMATS = ("%H:%M:%S", "%H:%M", "%I:%M %p", "%I:%M%p", "%I:%M:%S %p")


#: The shape every captured ``eventTimestamp`` has; ``fromisoformat`` reads it ~4x faster than
#: ``strptime`` and to the same value (other shapes go through :data:`_LOCAL_FORMATS`).
_ISO_LOCAL = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2})?", re.ASCII)
_LOCAL_SUFFIX = re.compile(r"(?:[Zz]|[+-]\d{2}:?\d{2})$")
_FRACTION = re.compile(r"\.\d+$")
#: An ISO-shaped local time with the fraction and suffix the two patterns above strip, in one match.
_ISO_LOCAL_TEXT = re.compile(
    r"(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2})?)(?:\.\d+)?(?:[Zz]|[+-]\d{2}:?\d{2})?", re.ASCII
)


def _parse_local(text: str) -> datetime | None:
    """A wall-clock datetime; a trailing ``Z`` or offset is dropped (it is not trustworthy)."""
    value = text.strip()
    iso = _ISO_LOCAL_TEXT.fullmatch(value)
    if iso is not None:
        try:  # not contextlib.suppress: that is three more calls, for every event
            return datetime.fromisoformat(iso[1])
        except ValueError:
            pass  # out-of-range fields: the formats below decide
    value = _FRACTION.sub("", _LOCAL_SUFFIX.sub("", value))
    if _ISO_LOCAL.fullmatch(value):
        with contextlib.suppress(ValueError):  # out-of-range fields: the formats below decide
            return datetime.fromisoformat(value)
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


def _iso_at_offset(text: str, offset: tzinfo) -> datetime | None:
    """The common case of :func:`event_instant` in one ``fromisoformat`` call: an ISO-shaped
    local time (what :func:`_parse_local` reads first) read with ``offset`` appended, in UTC.
    ``None`` for any other text: the general path decides."""
    iso = _ISO_LOCAL_TEXT.fullmatch(text)
    if iso is None:
        return None
    try:  # not contextlib.suppress: that is three more calls, for every event
        return at_offset(iso[1], offset)
    except ValueError:
        return None


#: How far ``GMTTimestamp`` may be from ``eventTimestamp`` + ``GMTOffset`` and still be the same
#: instant (it carries seconds the local time drops).
GMT_AGREEMENT = timedelta(minutes=1)


def event_instant(event: Mapping[str, Any]) -> tuple[datetime, str] | None:
    """The UTC instant of a tracking event and the raw local time text.

    ``eventTimestamp`` (local wall time, sometimes with a bogus ``Z``) plus ``GMTOffset`` decide
    when both are present. ``GMTTimestamp`` is only a cross-check: when it agrees to within
    :data:`GMT_AGREEMENT` its seconds are kept, when it disagrees (captures carry the local date
    with the UTC time of day, 24 h early whenever the UTC date rolls over) the offset wins.
    Without an offset ``GMTTimestamp`` is used, and without either the local time is read in
    :data:`FALLBACK_EVENT_TZ`. A time-only ``eventTimestamp`` is combined with ``eventDate``.
    ``None`` when the event cannot be placed in time at all.
    """
    local_raw = event.get("eventTimestamp")
    local_text = local_raw.strip() if isinstance(local_raw, str) else ""
    gmt_raw = event.get("GMTTimestamp")
    gmt = _parse_aware(gmt_raw) if isinstance(gmt_raw, str) and gmt_raw.strip() else None
    offset = parse_offset(event.get("GMTOffset"))
    local: datetime | None = None
    instant = _iso_at_offset(local_text, offset) if offset is not None else None
    if instant is None:
        local = _parse_local(local_text) if local_text else None
        if local is None and local_text:
            only = _parse_time_only(local_text)
            day_raw = event.get("eventDate")
            if only is not None and isinstance(day_raw, str):
                try:
                    local = datetime.combine(date.fromisoformat(day_raw.strip()[:10]), only)
                except ValueError:
                    local = None
        if local is not None and offset is not None:
            instant = local.replace(tzinfo=offset).astimezone(UTC)
    if instant is not None:
        if gmt is not None and abs(gmt - instant) < GMT_AGREEMENT:
            return gmt, local_text
        return instant, local_text
    if gmt is not None:
        return gmt, local_text
    if local is None:
        return None
    return local.replace(tzinfo=FALLBACK_EVENT_TZ).astimezone(UTC), local_text


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


def _memo_location(event: Mapping[str, Any], seen: dict[tuple[Any, ...], Location | None]) -> Location | None:
    """:func:`_location`, memoized in ``seen`` by the raw fields: a history repeats a few places."""
    get = event.get
    key = (get("eventCity"), get("eventState"), get("eventZIP"), get("eventZIPCode"), get("eventCountry"), get("firm"))
    try:
        return seen[key]
    except KeyError:
        location = seen[key] = _location(event)
        return location
    except TypeError:  # an unhashable field (hostile body): read it uncached
        return _location(event)


def _location(event: Mapping[str, Any]) -> Location | None:
    city = _text(event.get("eventCity"))
    state = _text(event.get("eventState"))
    postal_code = _text(event.get("eventZIP")) or _text(event.get("eventZIPCode"))
    country = _text(event.get("eventCountry"))
    facility = _text(event.get("firm"))
    if not (city or state or postal_code or country or facility):
        return None
    return Location(
        city=city,
        state=state,
        postal_code=postal_code,
        country=country.upper() if len(country) == 2 else country,
        facility=facility,
    )


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


def _services(value: Any) -> tuple[str, ...]:
    """``services`` is a list in most captures and a single string in USPS's own README sample."""
    items = value if isinstance(value, list) else [value]
    return tuple(text for item in items if (text := strip_html(item)))


def _destination(data: Mapping[str, Any]) -> Location | None:
    zip_code = _text(data.get("destinationZIP"))
    location = Location(
        city=_text(data.get("destinationCity")),
        state=_text(data.get("destinationState")),
        postal_code=zip_code,
        country=_country(data.get("destinationCountryCode")) or ("US" if zip_code else ""),
    )
    return location if str(location) else None


def _delivery(raw_events: list[Any]) -> tuple[str, str]:
    """``(signed by, where left)`` from the latest "Delivered" event: its ``name`` and the place
    after "Delivered, " in its ``eventType`` ("Delivered, Parcel Locker" -> "Parcel Locker")."""
    for raw in raw_events:  # newest first on the wire
        if not isinstance(raw, Mapping):
            continue
        text = _text(raw.get("eventType"))
        if map_status(_text(raw.get("eventCode")).upper(), text) is not TrackingStatus.DELIVERED:
            continue
        _, comma, place = text.partition(",")
        return _text(raw.get("name")), place.strip() if comma else ""
    return "", ""


def to_tracking_info(carrier: str, number: str, wire: Mapping[str, Any]) -> TrackingInfo:
    """A Tracking 3.0 DETAIL or 3.2 element -> :class:`TrackingInfo` (events oldest first)."""
    if not isinstance(wire, Mapping):
        raise TypeError("tracking payload is not an object")
    raw_events = wire.get("trackingEvents") or []
    if not isinstance(raw_events, list):
        raise TypeError("trackingEvents is not a list")
    events = []
    places: dict[tuple[Any, ...], Location | None] = {}
    for raw in raw_events:
        if type(raw) is not dict and not isinstance(raw, Mapping):  # dict first: the ABC check is slower
            raise TypeError("tracking event is not an object")
        placed = event_instant(raw)
        if placed is None:
            continue  # an event with no usable time cannot be ordered; keep the rest
        instant, local = placed
        get = raw.get
        code = _text(get("eventCode")).upper()
        text = _text(get("eventType"))
        status = EVENT_CODE_STATUS.get(code)  # map_status's first look-up, on the code normalized here
        events.append(
            TrackingEvent._parsed(
                occurred_at=instant,
                status=map_status(code, text) if status is None else status,
                description=text,
                carrier_status_code=code,
                carrier_status_text=text,
                location=_memo_location(raw, places),
                local_time=local,
            )
        )
    status = TrackingInfo.status_of(events)
    if not events:
        status = map_status("", _text(wire.get("statusCategory")) or _text(wire.get("status")))
    origin = _country(wire.get("originCountry")) or ("US" if _text(wire.get("originZIP")) else "")
    destination = _country(wire.get("destinationCountryCode")) or ("US" if _text(wire.get("destinationZIP")) else "")
    signed_by, left_at = _delivery(raw_events)
    return TrackingInfo(
        carrier=carrier,
        tracking_number=number,
        status=status,
        events=events,
        estimated_delivery=_estimated_delivery(wire),
        service=strip_html(wire.get("mailClass")),
        origin_country=origin,
        destination_country=destination,
        status_detail=_text(wire.get("statusSummary")) or _text(wire.get("status")),
        destination=_destination(wire),
        extra_services=_services(wire.get("services")),
        signed_by=signed_by,
        left_at=left_at,
    )


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


def rates_body(
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


#: Fields of a quoted rate that make it one product; a purchase sends them back as quoted.
PRODUCT_FIELDS = ("rateIndicator", "processingCategory", "destinationEntryFacilityType", "priceType", "SKU")


def _fee_list(items: Any, name_key: str = "name") -> list[Fee]:
    fees: list[Fee] = []
    for item in items or []:
        if not isinstance(item, Mapping) or item.get("price") is None:
            continue
        code = item.get("extraService") or item.get("SKU") or ""
        fees.append(Fee(name=strip_html(item.get(name_key)) or str(code), amount=_money(item["price"]), code=str(code)))
    return fees


def _product(mail_class: str, detail: Mapping[str, Any], extra: Any) -> dict[str, Any]:
    """What buying exactly this quote needs: the mail class, the quoted product fields that are
    present, and the extra-service codes the quote priced (never a field the quote lacks)."""
    product: dict[str, Any] = {"mailClass": mail_class}
    for key in PRODUCT_FIELDS:
        value = detail.get(key)
        if isinstance(value, str) and value:
            product[key] = value
    codes = []
    for item in extra or []:
        code = item.get("extraService") if isinstance(item, Mapping) else None
        if isinstance(code, str | int) and not isinstance(code, bool) and str(code).isdigit():
            codes.append(int(code))
    if codes:
        product["extraServices"] = codes
    return product


def to_rates(carrier: str, wire: Mapping[str, Any]) -> list[Rate]:
    """``pricingOptions[].shippingOptions[].rateOptions[]`` -> one :class:`Rate` per product.

    Each rate keeps what makes it a product (rate indicator, processing category, SKU, entry
    facility, price type, priced extra services) in ``Rate.product`` so that buying it sends
    exactly that; ``base`` is ``totalBasePrice``, ``fees`` the rate's fees and priced extras.
    """
    rates: list[Rate] = []
    for pricing in wire.get("pricingOptions") or []:
        for option in pricing.get("shippingOptions") or []:
            mail_class = str(option["mailClass"])
            for rate_option in option.get("rateOptions") or []:
                price = rate_option.get("totalPrice")
                if price is None:
                    price = rate_option["totalBasePrice"]
                base = rate_option.get("totalBasePrice")
                details = [d for d in rate_option.get("rates") or [] if isinstance(d, Mapping)]
                detail: Mapping[str, Any] = details[0] if details else {}
                description = strip_html(detail.get("description"))
                commitment = rate_option.get("commitment") or {}
                delivery = commitment.get("expectedDeliveryDate") or commitment.get("scheduleDeliveryDate")
                extra = rate_option.get("extraServices")
                fees = [fee for d in details for fee in _fee_list(d.get("fees"))] + _fee_list(extra)
                rates.append(
                    Rate(
                        carrier=carrier,
                        service=mail_class,
                        service_name=description or mail_class.replace("_", " ").title(),
                        price=_money(price),
                        estimated_days=_days(commitment.get("name")),
                        delivery_date=_date(delivery),
                        product_name=strip_html(detail.get("productName")) or description,
                        base=_money(base) if base is not None else None,
                        fees=fees,
                        zone=_text(detail.get("zone")),
                        product=_product(mail_class, detail, extra),
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
    return country_name(code) or code


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
    LabelFormat.TIFF: "TIFF",
}


#: Quoted product fields a label request's ``packageDescription`` carries.
LABEL_PRODUCT_FIELDS = (
    "mailClass",
    "rateIndicator",
    "processingCategory",
    "destinationEntryFacilityType",
    "extraServices",
)


def _apply_product(package: dict[str, Any], product: Mapping[str, Any] | None) -> None:
    """Buy exactly the quoted product: its fields replace the defaults."""
    for key in LABEL_PRODUCT_FIELDS:
        if product is not None and key in product:
            package[key] = list(product[key]) if key == "extraServices" else product[key]


def _image_info(label_format: LabelFormat) -> dict[str, Any]:
    return {"imageType": LABEL_IMAGE_TYPES[label_format], "labelType": "4X6LABEL", "receiptOption": "NONE"}


def _international_image_info(label_format: LabelFormat) -> dict[str, Any]:
    """International labels take PDF, TIFF or ZPL only, always 4x6, and have no receipt option."""
    if label_format is LabelFormat.PNG:
        raise ValidationError(
            "USPS international labels come as PDF or ZPL", field="label_format", constraint="pdf or zpl"
        )
    return {"imageType": LABEL_IMAGE_TYPES[label_format], "labelType": "4X6LABEL"}


def _label_package(
    parcel: Parcel, mail_class: str, mailing_date: date, reference: str, product: Mapping[str, Any] | None
) -> dict[str, Any]:
    """The ``packageDescription`` both label APIs share."""
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
    _apply_product(package, product)
    if reference:
        package["customerReference"] = [{"referenceNumber": reference[:30], "printReferenceNumber": True}]
    return package


def label_body(
    shipper: Address,
    recipient: Address,
    parcel: Parcel,
    *,
    mail_class: str,
    mailing_date: date,
    label_format: LabelFormat,
    reference: str,
    product: Mapping[str, Any] | None = None,
    customs: Customs | None = None,
) -> dict[str, Any]:
    """Body of ``POST /labels/v3/label`` or, with ``customs``, of
    ``POST /international-labels/v3/international-label``; ``product`` is a quote's
    ``Rate.product`` to buy as quoted."""
    package = _label_package(parcel, mail_class, mailing_date, reference, product)
    if customs is None:
        return {
            "imageInfo": _image_info(label_format),
            "toAddress": _domestic_address(recipient),
            "fromAddress": _domestic_address(shipper),
            "packageDescription": package,
        }
    return {
        "imageInfo": _international_image_info(label_format),
        "toAddress": _international_address(recipient),
        "fromAddress": _domestic_address(shipper),
        "packageDescription": package,
        "customsForm": _customs_form(customs),
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


# -- label responses ---------------------------------------------------------------------------


_NOT_B64 = re.compile(rb"[^A-Za-z0-9+/=\s]")


def _b64(text: str | bytes | memoryview) -> bytes:
    """Strict base64 (whitespace allowed anywhere), decoded without a whitespace-free copy."""
    raw = text.encode("ascii") if isinstance(text, str) else text
    if _NOT_B64.search(raw):
        raise binascii.Error("non-base64 characters")
    return binascii.a2b_base64(raw)


_ZPL = re.compile(rb"^\s*(?:[\^~][A-Z]{2}[^\n]*\s*)*\^XA")


def label_format_of(data: bytes) -> LabelFormat:
    """The label format the bytes themselves say (PDF, PNG, TIFF or ZPL magic), never the request's."""
    if data.startswith(b"%PDF-"):
        return LabelFormat.PDF
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return LabelFormat.PNG
    if data.startswith((b"II*\x00", b"MM\x00*")):
        return LabelFormat.TIFF
    if _ZPL.match(data[:4096]):
        return LabelFormat.ZPL
    raise ValueError("label bytes are not PDF, PNG, TIFF or ZPL")


def _image_bytes(raw: bytes | memoryview) -> bytes:
    """A label image part: base64 text (USPS's documented form, whatever the part headers say),
    possibly gzip-compressed, or the raw file."""
    try:
        label_format_of(bytes(raw[:4096]))
        return bytes(raw)
    except ValueError:
        pass
    decoded = _b64(raw)
    if decoded.startswith(b"\x1f\x8b"):
        decoded = gzip.decompress(decoded)
    return decoded


_JSON_START = re.compile(rb"\s*\{")
_NON_SPACE = re.compile(rb"\S")


def _json_object(raw: memoryview) -> Mapping[str, Any] | None:
    if not _JSON_START.match(raw):  # no copy of a label part to find out it is not JSON
        return None
    try:
        value = json.loads(bytes(raw).decode("utf-8"))
    except ValueError:
        return None
    return value if isinstance(value, Mapping) else None


def _is_label_metadata(value: Mapping[str, Any]) -> bool:
    return bool(value.get("trackingNumber") or value.get("internationalTrackingNumber"))


def _label_part(part: MultipartPart) -> bool:
    """A part that is the label image: not JSON, and not a receipt or return-label part."""
    name = part.label.lower()
    return not any(word in name for word in ("receipt", "return", "metadata")) and not part.content_type.endswith(
        "json"
    )


def parse_label_response(
    content_type: str, body: bytes, *, international: bool
) -> tuple[Mapping[str, Any], bytes | None]:
    """``(metadata, label bytes)`` from any label answer the corpus shows.

    Multipart: the metadata is the JSON part that names a tracking number (``labelMetadata``
    preferred), the label the first image part that is not a receipt or return label; parts are
    recognised by content type and content, with or without ``name=``. JSON: the metadata is
    the body itself or its nested ``labelMetadata`` (reprints), the label ``labelImage``.
    """
    metadata: Mapping[str, Any] | None = None
    label: bytes | None = None
    if content_type.lower().startswith("multipart/"):
        parts = multipart_parts(content_type, body)
        candidates = [(part, _json_object(part.view)) for part in parts]
        named = [obj for part, obj in candidates if obj is not None and part.label in ("labelMetadata", "metadata")]
        anonymous = [obj for part, obj in candidates if obj is not None and _is_label_metadata(obj)]
        metadata = named[0] if named else anonymous[0] if anonymous else None
        images = [
            part for part, obj in candidates if obj is None and _NON_SPACE.search(part.view) and _label_part(part)
        ]
        if images:
            label = _image_bytes(images[0].view)
    else:
        data = json.loads(body.decode("utf-8"))
        if not isinstance(data, Mapping):
            raise TypeError("label response is not an object")
        nested = data.get("labelMetadata")
        metadata = nested if isinstance(nested, Mapping) else data
        image_text = data.get("labelImage")
        label = _image_bytes(image_text.encode("ascii")) if isinstance(image_text, str) and image_text else None
    if metadata is None:
        raise KeyError("labelMetadata")
    number = metadata.get("internationalTrackingNumber" if international else "trackingNumber") or (
        metadata.get("trackingNumber") or metadata.get("internationalTrackingNumber")
    )
    if not isinstance(number, str) or not number:
        raise KeyError("trackingNumber")
    return metadata, label


def _commitment(metadata: Mapping[str, Any]) -> tuple[str, date | None]:
    commitment = metadata.get("commitment")
    if not isinstance(commitment, Mapping):
        return "", None
    expected = _date(commitment.get("expectedDeliveryDate")) or _date(commitment.get("scheduleDeliveryDate"))
    return _text(commitment.get("name")), expected


def to_shipment(
    metadata: Mapping[str, Any],
    image: bytes | None,
    *,
    carrier: str,
    international: bool,
    service: str,
    idempotency_key: str,
) -> Shipment:
    """A :class:`Shipment` from label metadata (``postage`` is the price USPS charged)."""
    number = metadata.get("internationalTrackingNumber" if international else "trackingNumber") or (
        metadata.get("trackingNumber") or metadata.get("internationalTrackingNumber")
    )
    postage = metadata.get("postage")
    commitment, expected = _commitment(metadata)
    return Shipment(
        carrier=carrier,
        tracking_number=str(number),
        label=Label(format=label_format_of(image), data=image) if image else None,
        price=_money(postage) if postage is not None else None,
        service=service,
        idempotency_key=idempotency_key,
        carrier_reference=_text(metadata.get("routingInformation")),
        expected_delivery=expected,
        commitment=commitment,
        zone=_text(metadata.get("zone")),
    )


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


def to_address_check(carrier: str, wire: Mapping[str, Any], original: Address) -> AddressCheck:
    """``AddressResponse`` -> :class:`AddressCheck` with the standardized address (ZIP+4)."""
    found = wire["address"]
    if not isinstance(found, Mapping):
        raise TypeError("address is not an object")
    zip5 = _text(found.get("ZIPCode"))
    zip4 = _text(found.get("ZIPPlus4"))
    info = wire.get("additionalInfo") or {}
    if not isinstance(info, Mapping):
        raise TypeError("additionalInfo is not an object")
    dpv = _text(info.get("DPVConfirmation")) or None
    business = lenient_bool(info.get("business"))
    corrections = tuple(
        text
        for c in (wire.get("corrections") or [])
        if isinstance(c, Mapping) and (text := f"{c.get('code') or ''}: {c.get('text') or ''}".strip(": "))
    )
    messages = tuple(
        _text(m.get("text")) for m in (wire.get("matches") or []) if isinstance(m, Mapping) and m.get("text")
    )
    warnings = tuple(str(w) for w in (wire.get("warnings") or []) if isinstance(w, str | int))
    standardized = Address(
        name=original.name,
        company=_text(wire.get("firm")) or original.company,
        street1=_text(found.get("streetAddress")) or original.street1,
        street2=_text(found.get("secondaryAddress")),
        city=_text(found.get("city")) or original.city,
        state=_text(found.get("state")) or original.state,
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


# -- return labels, SCAN forms and carrier pickups -------------------------------------------


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


def return_label_body(request: ShipmentRequest, *, mailing_date: date) -> dict[str, Any]:
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
    parcel = single_parcel(request.parcels)
    body = label_body(
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
    out: dict[str, Any] = dict(_domestic_address(address))
    for key in ("phone", "email"):
        out.pop(key, None)
    out["ignoreBadAddress"] = False
    return out


def scan_form_body(numbers: Sequence[str], *, mailing_date: date, origin: Address) -> dict[str, Any]:
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


def to_return_shipment(carrier: str, wire: Any, *, service: str, idempotency_key: str) -> Shipment:
    """``ReturnLabelVendorResponse`` -> :class:`Shipment` (``postage`` is what USPS charged)."""
    if not isinstance(wire, Mapping):
        raise TypeError("return label answer is not an object")
    number = wire.get("trackingNumber")
    if not isinstance(number, str) or not number:
        raise KeyError("trackingNumber")
    image = _image(wire, "returnLabelImage")
    postage = wire.get("postage")
    return Shipment(
        carrier=carrier,
        tracking_number=number.replace(" ", ""),
        label=Label(format=label_format_of(image), data=image) if image else None,
        price=_money(postage) if postage is not None else None,
        service=service,
        idempotency_key=idempotency_key,
        carrier_reference=str(wire.get("routingInformation") or ""),
        zone=str(wire.get("zone") or ""),
    )


def to_manifest(carrier: str, wire: Any, *, requested: Sequence[str], mailing_date: date) -> Manifest:
    """``SCANFormVendorResponse`` -> :class:`Manifest`; requested numbers it does not list are refused."""
    if not isinstance(wire, Mapping):
        raise TypeError("SCAN form answer is not an object")
    manifest_id = wire.get("manifestNumber")
    if not isinstance(manifest_id, str) or not manifest_id:
        raise KeyError("manifestNumber")
    covered_raw = wire.get("trackingNumbers")
    if covered_raw is None:
        shipment = wire.get("shipment")
        covered_raw = shipment.get("trackingNumbers") if isinstance(shipment, Mapping) else None
    if not isinstance(covered_raw, list) or not all(isinstance(n, str) for n in covered_raw):
        raise TypeError("trackingNumbers is not a list of strings")
    covered = [n.replace(" ", "").upper() for n in covered_raw]
    listed = set(covered)
    image = _image(wire, "SCANFormImage")
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
        format=label_format_of(image),
        tracking_numbers=covered,
        refused=refused,
        ship_date=mailing_date,
    )


_TO_LB = {
    WeightUnit.LB: Decimal(1),
    WeightUnit.OZ: Decimal(1) / Decimal(16),
    WeightUnit.KG: Decimal(1) / Decimal("0.45359237"),
    WeightUnit.G: Decimal("0.001") / Decimal("0.45359237"),
}


def _check_us(address: Address) -> None:
    if address.country != "US" or len(_zip5(address.postal_code)) != 5:
        raise ValidationError(
            "USPS carrier pickup needs a US address with a 5-digit ZIP Code", field="address", constraint="US ZIP"
        )


def eligibility_params(address: Address) -> dict[str, str]:
    """Query of ``GET /carrier-pickup/eligibility``."""
    _check_us(address)
    params = address_params(address)
    params.pop("firm", None)  # the eligibility query takes the address only
    return params


def pickup_body(request: PickupRequest) -> dict[str, Any]:
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
    person = _person(address)
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
        "address": _domestic_address(address),
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


def to_pickup(carrier: str, wire: Any, request: PickupRequest) -> Pickup:
    """``PickupConfirmation`` -> :class:`Pickup` (USPS may move the date to the next served day)."""
    if not isinstance(wire, Mapping):
        raise TypeError("pickup answer is not an object")
    number = wire.get("confirmationNumber")
    if not isinstance(number, str) or not number:
        raise KeyError("confirmationNumber")
    day = wire.get("pickupDate") or request.pickup_date.isoformat()
    return Pickup(
        carrier=carrier,
        confirmation=number,
        pickup_date=str(day),
        address=request.address,
        package_count=request.package_count,
    )


# -- locations (Locations 3.0) ------------------------------------------------------------------


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
