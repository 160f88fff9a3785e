"""Pure functions between Cainiao wire data and carrier-sdk models."""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from typing import Any

from carrier_sdk import (
    Address,
    APIStatusError,
    AuthenticationError,
    CarrierServerError,
    DimensionUnit,
    InvalidRequestError,
    Location,
    Money,
    NotFoundError,
    RateLimitError,
    RelatedNumber,
    ShipmentRequest,
    TrackingEvent,
    TrackingInfo,
    TrackingStatus,
    ValidationError,
    WeightUnit,
)
from carrier_sdk.adapters import at_offset
from carrier_sdk.iso import country_code as iso_country_code

from ._wire import RawEvent, TrackRecord, parse_time_zone

__all__ = [
    "ACTION_CODE_STATUS",
    "CP_CODE_CARRIERS",
    "CURRENCY_EXPONENTS",
    "DEFAULT_ERROR_CLASS",
    "DEFAULT_TIME_ZONE",
    "ERROR_CODE_CLASSES",
    "ERROR_KEYWORDS",
    "HELD_KEYWORDS",
    "ORIGIN_COUNTRY",
    "PREFER_LOCAL_TIME",
    "country_code",
    "create_shipment_body",
    "error_class",
    "event_instant",
    "event_location",
    "map_action_code",
    "map_status",
    "minor_units",
    "to_tracking_info",
]

_S = TrackingStatus

#: actionCode -> status [V] (codes seen in one source only [M] are included; README "Wire facts").
ACTION_CODE_STATUS: Mapping[str, TrackingStatus] = {
    **dict.fromkeys(
        ("GWMS_ACCEPT", "GWMS_PACKAGE", "PRE_READY_TO_SHIP", "WMS_CONFIRMED", "ORDER_CREATED", "CREATE"),
        _S.PRE_TRANSIT,
    ),
    **dict.fromkeys(
        (
            "CW_INBOUND",
            "CW_OUTBOUND",
            "CW_COMMON_PROCESSING1",
            "PU_PICKUP_SUCCESS",
            "PU_SIGN_IN_SUCCESS",
            "GWMS_OUTBOUND",
            "SC_INBOUND_SUCCESS",
            "SC_OUTBOUND_SUCCESS",
            "SC_SIGN_IN_SUCCESS",
            "SC_HO_OUT_SUCCESS",
            "CC_EX_START",
            "CC_EX_SUCCESS",
            "LH_HO_IN_SUCCESS",
            "LH_HO_AIRLINE",
            "LH_DEPART",
            "LH_ARRIVE",
            "LH_POST_COLLECTION",
            "COMMON_INTRANSIT",
            "CC_HO_IN_SUCCESS",
            "CC_IM_START",
            "CC_IM_SUCCESS",
            "CC_HO_OUT_SUCCESS",
            "GTMS_ACCEPT",
            "GTMS_SC_ARRIVE",
            "GTMS_SC_DEPART",
            "GTMS_DO_ARRIVE",
            "LAST_MILE_HO_SUCCESS",
        ),
        _S.IN_TRANSIT,
    ),
    **dict.fromkeys(("GTMS_DO_DEPART", "GTMS_DELIVERING", "GTMS_RE_DELIVERING"), _S.OUT_FOR_DELIVERY),
    # The station signing for the parcel is not the recipient receiving it.
    **dict.fromkeys(("GSTA_INFORM_BUYER", "GTMS_WAIT_SELF_PICK", "GTMS_STA_SIGNED"), _S.AVAILABLE_FOR_PICKUP),
    **dict.fromkeys(("GTMS_SIGNED", "SIGN_SUCCESS"), _S.DELIVERED),
    **dict.fromkeys(
        (
            "GTMS_SIGN_FAILURE",
            "GTMS_STA_SIGN_FAILURE",
            "GMT_DEL_FAILURE",
            "GTMS_FAILED",
            "PU_PICKUP_FAILURE",
            "SC_INBOUND_FAILURE",
            "EXCEPTION",
        ),
        _S.DELIVERY_FAILED,
    ),
    **dict.fromkeys(("RETURNED", "GTMS_RETURN", "RT_INBOUND"), _S.RETURNED_TO_SENDER),
}

#: Description phrases of a hold (customs or carrier), waiting for action: used only when the
#: actionCode is not in :data:`ACTION_CODE_STATUS`. [A] No public body shows a Cainiao hold, so no
#: actionCode is mapped to ``held``; the phrases are matched in ``standerdDesc``/``desc``.
HELD_KEYWORDS: tuple[str, ...] = (
    "held by customs",
    "held at customs",
    "held in customs",
    "customs hold",
    "detained by customs",
    "customs detained",
    "held by carrier",
    "held at facility",
    "扣留",
    "扣关",
)

#: AliExpress buyer-side codes are the same codes with this prefix [M].
AE_PREFIX = "AE_"

#: Cainiao ``destCpInfo.cpCode`` -> carrier-sdk carrier code (only carriers we know the code of).
CP_CODE_CARRIERS: Mapping[str, str] = {
    "USPS": "usps",
    "SINGPOST": "singpost",
    "SINGAPORE_POST": "singpost",
    "SG_POST": "singpost",
    "CORREOS": "correos",
    "CORREOS_ES": "correos",
}

#: Offset assumed for a local time sent without ``timeZone`` (China; LINK is a Chinese gateway). [A]
DEFAULT_TIME_ZONE = timezone(timedelta(hours=8))

#: Which wins when an event has both epoch ``time`` and ``timeStr`` + ``timeZone``: the epoch
#: (settled from the corpus, see the README "Event times"). In every detail.json event of the
#: public captures (tests/external/cainiao), ``timeStr`` is ``time`` rendered in UTC+8 whatever
#: ``timeZone`` says (``GMT+2``, ``GMT+0``, ``GMT-3``, ``""``), so reading ``timeStr`` with
#: ``timeZone`` moves every non-China event by (8 - offset) hours. The wall time + ``timeZone``
#: decides only when no epoch is sent (cnge.track.get sends ``time`` as a wall-time string).
PREFER_LOCAL_TIME = False

#: ISO 4217 minor-unit exponents that are not 2 (``unitPrice`` is in minor units [A]).
CURRENCY_EXPONENTS: Mapping[str, int] = {
    **dict.fromkeys(("JPY", "KRW", "VND", "CLP", "ISK", "UGX", "XAF", "XOF", "PYG", "RWF", "KMF", "GNF"), 0),
    **dict.fromkeys(("KWD", "BHD", "OMR", "JOD", "TND", "LYD", "IQD"), 3),
}

#: The cnge.order.create flow ships from mainland China. [A]
ORIGIN_COUNTRY = "CN"

_LOCAL = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})[ T](\d{1,2}):(\d{2})(?::(\d{2}))?$")


def map_action_code(code: object) -> TrackingStatus:
    """Status of one actionCode (``AE_`` prefix accepted); unknown -> ``UNKNOWN``. Never raises."""
    if not isinstance(code, str):
        return TrackingStatus.UNKNOWN
    key = code.strip().upper()
    status = ACTION_CODE_STATUS.get(key)
    if status is None and key.startswith(AE_PREFIX):
        status = ACTION_CODE_STATUS.get(key[len(AE_PREFIX) :])
    return status or TrackingStatus.UNKNOWN


@functools.lru_cache(maxsize=512)  # histories repeat a few (actionCode, description) pairs
def _event_status(code: str, description: str, note: str) -> TrackingStatus:
    """:func:`map_status` of an event's code with its description and note as the text."""
    return map_status(code, f"{description} {note}")


def map_status(code: str, text: str = "") -> TrackingStatus:
    """The actionCode's status; for a code the table does not know, a hold phrase in ``text``
    gives ``HELD``; otherwise ``UNKNOWN``. Never raises."""
    status = map_action_code(code)
    if status is TrackingStatus.UNKNOWN and isinstance(text, str):
        lowered = text.lower()
        if any(keyword in lowered for keyword in HELD_KEYWORDS):
            return TrackingStatus.HELD
    return status


#: The shape nearly every wall time has (two-digit fields, ASCII digits): ``at_offset`` reads it
#: in one call, to the same instant as the general path below.
_ISO_LOCAL = re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(?::\d{2})?", re.ASCII)


def _local_instant(text: str, zone: str, default: timezone | None) -> datetime | None:
    tz = parse_time_zone(zone) or default
    if tz is None:
        return None
    if _ISO_LOCAL.fullmatch(text):
        try:  # not contextlib.suppress: that is three more calls, for every event
            return at_offset(text, tz)
        except ValueError:
            pass  # out-of-range fields: the general path raises the error
    match = _LOCAL.match(text)
    if match is None:
        return None
    year, month, day, hour, minute, second = map(int, match.groups(0))  # no seconds: 0
    return datetime(year, month, day, hour, minute, second, tzinfo=tz).astimezone(UTC)


def event_instant(event: RawEvent) -> tuple[datetime, str]:
    """The UTC instant of ``event`` and the wall-clock text it was derived from (or ``""``).

    Epoch milliseconds decide when sent (unless :data:`PREFER_LOCAL_TIME`); otherwise the wall
    time is read with its ``timeZone``, and a zone-less wall time in :data:`DEFAULT_TIME_ZONE`.
    """
    return _instant(event.epoch_ms, event.local_time, event.time_zone)


def _instant(epoch_ms: int | None, local: str, zone: str) -> tuple[datetime, str]:
    """:func:`event_instant` of an event's fields, as :func:`to_tracking_info` unpacks them."""
    if PREFER_LOCAL_TIME:
        at = _local_instant(local, zone, None)
        if at is not None:
            return at, f"{local} {zone}" if local and zone else local or zone
    if epoch_ms is not None:
        if not -62_000_000_000_000 < epoch_ms < 253_000_000_000_000:
            raise ValueError("epoch out of range")
        return datetime.fromtimestamp(epoch_ms / 1000, UTC), ""
    at = _local_instant(local, zone, DEFAULT_TIME_ZONE)
    if at is None:
        raise ValueError("event has no usable time")
    return at, f"{local} {zone}" if local and zone else local or zone


#: ``standerdDesc`` of sorting-centre scans names the town first: ``"[Shatian Town] Processing at
#: sorting center"`` (tests/external/cainiao).
_BRACKETED_PLACE = re.compile(r"^\[([^\[\]]{1,80})\]\s*")


def event_location(event: RawEvent) -> Location | None:
    """Where ``event`` happened: the sent location, else the ``[Town]`` prefix of its text."""
    return _place(event.location, event.description)


def _place(location: str, description: str) -> Location | None:
    if location:
        return Location(facility=location[:200])
    if description[:1] != "[":  # most descriptions: no regex call
        return None
    match = _BRACKETED_PLACE.match(description)
    if match is not None:
        return Location(city=match.group(1).strip())
    return None


_COUNTRY_NAMES = {
    "MAINLAND CHINA": "CN",
    "CHINA": "CN",
    "HONG KONG": "HK",
    "HONG KONG, CHINA": "HK",
    "TAIWAN": "TW",
    "UNITED STATES": "US",
    "USA": "US",
    "UNITED KINGDOM": "GB",
    "UK": "GB",
    "KOREA": "KR",
    "SOUTH KOREA": "KR",
    "RUSSIA": "RU",
}


def country_code(name: str) -> str:
    """An ISO alpha-2 code for a Cainiao country (code or display name); the text if unknown."""
    text = name.strip()
    if not text:
        return ""
    if len(text) == 2 and text.isalpha():
        return text.upper()
    known = _COUNTRY_NAMES.get(text.upper())
    if known:
        return known
    return iso_country_code(text) or text


def _related(record: TrackRecord, number: str) -> tuple[RelatedNumber, ...]:
    last_mile = record.last_mile_number.strip().upper().replace(" ", "")
    if not last_mile or last_mile == number.upper():
        return ()
    carrier = CP_CODE_CARRIERS.get(record.last_mile_cp_code.strip().upper())
    return (RelatedNumber(tracking_number=last_mile, carrier=carrier, relation="last_mile"),)


def _eta_date(epoch_ms: int | None) -> date | None:
    """The UTC date of a ``globalEtaInfo`` bound (epoch milliseconds), or ``None``."""
    if epoch_ms is None or not 0 < epoch_ms < 253_000_000_000_000:
        return None
    return datetime.fromtimestamp(epoch_ms / 1000, UTC).date()


def to_tracking_info(carrier: str, number: str, wire: TrackRecord) -> TrackingInfo:
    """A :class:`TrackingInfo` from a parsed record (raises ``ValueError`` on unusable times)."""
    events = []
    for code, description, note, epoch_ms, local, zone, place in wire.events:  # RawEvent's fields
        occurred_at, local_time = _instant(epoch_ms, local, zone)
        events.append(
            TrackingEvent._parsed(
                occurred_at=occurred_at,
                status=_event_status(code, description, note),
                description=description or note,
                carrier_status_code=code,
                carrier_status_text=description,
                location=_place(place, description),
                local_time=local_time,
            )
        )
    eta = _eta_date(wire.eta_max_ms)
    earliest = _eta_date(wire.eta_min_ms)
    if earliest is not None and (eta is None or earliest > eta):
        earliest = None
    destination = country_code(wire.dest_country)
    return TrackingInfo(
        carrier=carrier,
        tracking_number=number,
        status=TrackingInfo.status_of(events),
        events=events,
        estimated_delivery=eta,
        estimated_delivery_earliest=earliest,
        estimated_delivery_latest=eta if earliest is not None else None,
        origin_country=country_code(wire.origin_country),
        destination_country=destination,
        destination=Location(country=destination) if len(destination) == 2 else None,
        status_detail=wire.status_desc or wire.status,
        related_numbers=_related(wire, number),
    )


# -- order create -------------------------------------------------------------------------------


def minor_units(money: Money) -> int:
    """``money`` in minor units (cents), rounded half up."""
    exponent = CURRENCY_EXPONENTS.get(money.currency, 2)
    return int((money.amount * (Decimal(10) ** exponent)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _ceil_int(value: Decimal) -> int:
    return max(1, int(value.to_integral_value(rounding=ROUND_CEILING)))


def _party(address: Address) -> dict[str, str]:
    street = ", ".join(p for p in (address.street1, address.street2) if p)
    party = {
        "name": address.name or address.company,
        "company": address.company,
        "telephone": address.phone,
        "mobilePhone": address.phone,
        "email": address.email,
        "countryCode": address.country,
        "state": address.state,
        "city": address.city,
        "zipCode": address.postal_code,
        "street": street,
        "detailAddress": street,
    }
    return {k: v for k, v in party.items() if v}


def create_shipment_body(
    request: ShipmentRequest,
    *,
    out_order_id: str,
    solution_code: str,
    locale: str,
) -> dict[str, Any]:
    """The ``cnge.order.create`` content for ``request``; raises :class:`ValidationError` first."""
    if request.shipper.country != ORIGIN_COUNTRY:
        raise ValidationError(
            f"Cainiao cross-border orders ship from {ORIGIN_COUNTRY}",
            field="shipper.country",
            constraint=ORIGIN_COUNTRY,
        )
    if request.recipient.country == ORIGIN_COUNTRY or request.customs is None:
        raise ValidationError(
            "Cainiao cross-border orders go abroad with a customs declaration",
            field="recipient.country",
            constraint=f"not {ORIGIN_COUNTRY}, with customs",
        )
    if len(request.parcels) != 1:
        raise ValidationError(
            "a Cainiao order carries exactly one parcel", field="parcels", constraint="exactly one parcel"
        )
    parcel = request.parcels[0]
    items = []
    for index, item in enumerate(request.customs.items, start=1):
        unit_grams = item.weight_in(WeightUnit.G)
        line: dict[str, Any] = {
            "itemId": item.sku or str(index),
            "sku": item.sku or str(index),
            "quantity": str(item.quantity),
            "englishName": item.description,
            "unitPrice": str(minor_units(item.value)),
            "unitPriceCurrency": item.value.currency,
            "weight": str(_ceil_int(unit_grams)),
        }
        if item.hs_code:
            line["hscode"] = item.hs_code
        items.append(line)
    package: dict[str, Any] = {
        "weight": str(_ceil_int(parcel.weight_in(WeightUnit.G))),
        "itemParams": items,
    }
    dims = parcel.dimensions_in(DimensionUnit.CM)
    if dims is not None:
        package.update({k: str(_ceil_int(v)) for k, v in zip(("length", "width", "height"), dims, strict=True)})
    solution: dict[str, Any] = {"solutionCode": request.service or solution_code}
    if request.customs.importer_tax_id:
        solution["importCustomsParam"] = {"taxNumber": request.customs.importer_tax_id}
    payload: dict[str, Any] = {
        "outOrderId": out_order_id,
        "syncGetTrackingNumber": "true",
        "locale": locale,
        "solutionParam": solution,
        "packageParams": [package],
        "senderParam": _party(request.shipper),
        "receiverParam": _party(request.recipient),
        "returnerParam": _party(request.shipper),
    }
    return payload


# -- errors [A] -----------------------------------------------------------------------------------

#: ``errorCode`` -> error class. ASSUMPTION [A]: guessed vocabulary, to confirm with real traffic.
#: :class:`NotFoundError` becomes :class:`~carrier_sdk.TrackingNotFoundError` on tracking calls.
ERROR_CODE_CLASSES: Mapping[str, type[APIStatusError]] = {
    # signature / credentials
    "SIGN_CHECK_FAILURE": AuthenticationError,
    "SIGN_ERROR": AuthenticationError,
    "INVALID_SIGNATURE": AuthenticationError,
    "DATA_DIGEST_ERROR": AuthenticationError,
    "S03": AuthenticationError,
    "INVALID_LOGISTIC_PROVIDER": AuthenticationError,
    "NO_PERMISSION": AuthenticationError,
    "PERMISSION_DENIED": AuthenticationError,
    # unknown order / number
    "ORDER_NOT_EXIST": NotFoundError,
    "ORDER_NOT_FOUND": NotFoundError,
    "MAILNO_NOT_EXIST": NotFoundError,
    "TRACE_NOT_FOUND": NotFoundError,
    "NOT_FOUND": NotFoundError,
    # bad request
    "PARAM_ERROR": InvalidRequestError,
    "PARAMS_ERROR": InvalidRequestError,
    "INVALID_PARAM": InvalidRequestError,
    "ILLEGAL_PARAM": InvalidRequestError,
    "MISSING_PARAM": InvalidRequestError,
    "ORDER_STATUS_ERROR": InvalidRequestError,
    # throttling
    "RATE_LIMIT": RateLimitError,
    "FLOW_CONTROL": RateLimitError,
    "API_CALL_LIMIT": RateLimitError,
    "TOO_MANY_REQUESTS": RateLimitError,
    # carrier side
    "SYSTEM_ERROR": CarrierServerError,
    "SERVICE_UNAVAILABLE": CarrierServerError,
    "INTERNAL_ERROR": CarrierServerError,
    "S99": CarrierServerError,
}

#: Fallback on ``errorMsg`` (lower-cased substring -> class), first match wins. ASSUMPTION [A].
#: "can not be null" comes first: "request param DataDigest can not be null" is a bad request.
ERROR_KEYWORDS: Sequence[tuple[str, type[APIStatusError]]] = (
    ("can not be null", InvalidRequestError),
    ("cannot be null", InvalidRequestError),
    ("不能为空", InvalidRequestError),
    ("signature", AuthenticationError),
    ("sign check", AuthenticationError),
    ("digest", AuthenticationError),
    ("签名", AuthenticationError),
    ("permission", AuthenticationError),
    ("not exist", NotFoundError),
    ("not found", NotFoundError),
    ("no trace", NotFoundError),
    ("不存在", NotFoundError),
    ("rate limit", RateLimitError),
    ("too many", RateLimitError),
    ("flow control", RateLimitError),
    ("限流", RateLimitError),
    ("频繁", RateLimitError),
    ("system error", CarrierServerError),
    ("system busy", CarrierServerError),
    ("timeout", CarrierServerError),
    ("系统", CarrierServerError),
    ("param", InvalidRequestError),
    ("invalid", InvalidRequestError),
    ("参数", InvalidRequestError),
)

#: Class for a ``success: "false"`` nobody recognizes. ASSUMPTION [A].
DEFAULT_ERROR_CLASS: type[APIStatusError] = InvalidRequestError


def error_class(code: str | None, message: str | None) -> type[APIStatusError]:
    """The error class for a LINK ``errorCode``/``errorMsg`` pair (never raises)."""
    key = (code or "").strip().upper()
    if key in ERROR_CODE_CLASSES:
        return ERROR_CODE_CLASSES[key]
    text = (message or "").lower()
    for keyword, cls in ERROR_KEYWORDS:
        if keyword in text:
            return cls
    return DEFAULT_ERROR_CLASS
