"""Pure functions between SingPost XML and the SDK models: request building, parsing, mapping.

Nothing here does I/O or raises SDK errors: structural problems raise :class:`ValueError` and
the carrier turns them into :class:`~carrier_sdk.ResponseError`.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta, timezone
from functools import cache
from zoneinfo import ZoneInfo

from carrier_sdk import Location, TrackingEvent, TrackingInfo, TrackingStatus
from carrier_sdk._xml import local_name

from ._schemas import (
    DEFAULT_ERROR_KIND,
    EMPTY_VALUE,
    ERROR_CODE_KINDS,
    ERROR_KEYWORDS,
    EVENTS_NEWEST_FIRST,
    FALLBACK_STATUS_CODES,
    LOCAL_TIMEZONE,
    NAMESPACE,
    REQUEST_ROOT,
    STATUS_CODES,
    STATUS_KEYWORDS,
    SUCCESS_CODE,
    ZONE_ABBREVIATIONS,
    WireEvent,
    WireItem,
    WireResponse,
)

__all__ = [
    "build_request",
    "error_kind",
    "map_status",
    "parse_response",
    "parse_time",
    "to_tracking_info",
]

#: At most this many events per item are read (a real history has a few dozen).
MAX_EVENTS = 500


# -- request -----------------------------------------------------------------------------------


def build_request(numbers: Sequence[str], system_id: str) -> bytes:
    """The ``ItemTrackingDetailsRequest`` document for ``numbers`` (escaped by ElementTree)."""
    ns = NAMESPACE
    root = ET.Element(f"{{{ns}}}{REQUEST_ROOT}")
    ET.SubElement(root, f"{{{ns}}}SystemID").text = system_id
    numbers_el = ET.SubElement(root, f"{{{ns}}}ItemTrackingNumbers")
    for number in numbers:
        ET.SubElement(numbers_el, f"{{{ns}}}TrackingNumber").text = number
    document: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True, default_namespace=ns)
    return document


# -- response ----------------------------------------------------------------------------------


def _children(element: ET.Element, name: str) -> Iterator[ET.Element]:
    return (child for child in element if isinstance(child.tag, str) and local_name(child.tag) == name)


def _child(element: ET.Element | None, name: str) -> ET.Element | None:
    if element is None:
        return None
    return next(_children(element, name), None)


def clean(text: str | None) -> str:
    """Stripped text, with SingPost's ``-`` placeholder meaning empty."""
    value = (text or "").strip()
    return "" if value == EMPTY_VALUE else value


def _text(element: ET.Element | None, *names: str) -> str:
    """Text of the first child named one of ``names`` (fallback names for renamed fields)."""
    for name in names:
        child = _child(element, name)
        if child is not None:
            return clean(child.text)
    return ""


def _bool(element: ET.Element, name: str) -> bool | None:
    child = _child(element, name)
    if child is None:
        return None
    value = clean(child.text).lower()
    if value in ("true", "1", "y", "yes"):
        return True
    if value in ("false", "0", "n", "no"):
        return False
    if not value:
        return None
    raise ValueError(f"{name} is not a boolean")


def parse_response(root: ET.Element) -> WireResponse:
    """Read a tracking response by element names (namespace-agnostic).

    Raises:
        ValueError: The document is not a SingPost tracking response.
    """
    status = _child(root, "Status")
    item_list = _child(root, "ItemsTrackingDetailList")
    if status is None and item_list is None:
        raise ValueError(f"not a tracking response (root <{local_name(str(root.tag))}>)")
    error_code = _text(status, "ErrorCode") or SUCCESS_CODE
    items: list[WireItem] = []
    if item_list is not None:
        items.extend(_item(element) for element in _children(item_list, "ItemTrackingDetail"))
    return WireResponse(
        root=local_name(str(root.tag)),
        error_code=error_code,
        error_desc=_text(status, "ErrorDesc", "ErrorDescription", "ErrorMessage"),
        items=tuple(items),
    )


def _item(element: ET.Element) -> WireItem:
    number = _text(element, "TrackingNumber")
    if not number:
        raise ValueError("ItemTrackingDetail without TrackingNumber")
    details = _child(element, "DeliveryStatusDetails")
    events: list[WireEvent] = []
    if details is not None:
        for detail in _children(details, "DeliveryStatusDetail"):
            if len(events) >= MAX_EVENTS:
                raise ValueError("too many events")
            events.append(
                WireEvent(
                    date=_text(detail, "Date"),
                    status_code=_text(detail, "StatusCode").upper(),
                    reason_code=_text(detail, "ReasonCode"),
                    description=_text(detail, "StatusDescription"),
                    location=_text(detail, "Location"),
                )
            )
    return WireItem(
        tracking_number=number,
        found=_bool(element, "TrackingNumberFound"),
        active=_bool(element, "TrackingNumberActive"),
        original_country=_text(element, "OriginalCountry", "OriginCountry"),
        destination_country=_text(element, "DestinationCountry"),
        posting_date=_text(element, "PostingDate"),
        events=tuple(events),
    )


def error_kind(code: str, description: str) -> str:
    """Which error a non-zero ``ErrorCode`` is: ``rate_limit``, ``authentication``,
    ``invalid_request`` or ``server`` (see the tables in ``_schemas``)."""
    kind = ERROR_CODE_KINDS.get(code)
    if kind is not None:
        return kind
    text = description.lower()
    for candidate, keywords in ERROR_KEYWORDS:
        if any(keyword in text for keyword in keywords):
            return candidate
    return DEFAULT_ERROR_KIND


# -- time --------------------------------------------------------------------------------------

_TIME = re.compile(
    r"""^(?P<date>\d{4}-\d{2}-\d{2})
        (?:[T\ ](?P<time>\d{2}:\d{2}(?::\d{2})?)(?P<frac>[.,]\d{1,9})?)?
        \s*(?P<zone>Z|[+-]\d{2}(?::?\d{2})?|(?:GMT|UTC)[+-]\d{1,2}(?::?\d{2})?|[A-Z]{1,5})?$""",
    re.VERBOSE,
)
_OFFSET = re.compile(r"^(?:GMT|UTC)?(?P<sign>[+-])(?P<hours>\d{1,2}):?(?P<minutes>\d{2})?$")


@cache
def _local_zone() -> ZoneInfo:
    return ZoneInfo(LOCAL_TIMEZONE)


def _zone(text: str) -> timezone | ZoneInfo:
    if text in ZONE_ABBREVIATIONS:
        return timezone(timedelta(minutes=ZONE_ABBREVIATIONS[text]))
    match = _OFFSET.match(text)
    if match is None:
        raise ValueError("unknown time zone")
    minutes = int(match["hours"]) * 60 + int(match["minutes"] or 0)
    if minutes >= 24 * 60 or int(match["minutes"] or 0) >= 60:
        raise ValueError("time zone offset out of range")
    return timezone(timedelta(minutes=-minutes if match["sign"] == "-" else minutes))


def parse_time(text: str) -> datetime:
    """A SingPost ``Date`` as an aware UTC datetime.

    Accepts ``2024-05-21T10:56:00`` with or without milliseconds, with ``Z``, ``+08:00``,
    ``+0800``, ``GMT+8`` or a listed abbreviation (``SGT``); zone-less stamps are in
    :data:`LOCAL_TIMEZONE`.

    Raises:
        ValueError: Anything else.
    """
    match = _TIME.match(text.strip())
    if match is None:
        raise ValueError("unrecognized timestamp")
    clock = match["time"] or "00:00:00"
    if len(clock) == 5:
        clock += ":00"
    frac = (match["frac"] or ".0")[1:7].ljust(6, "0")
    naive = datetime.fromisoformat(f"{match['date']}T{clock}.{frac}")
    tz = _zone(match["zone"]) if match["zone"] else _local_zone()
    return naive.replace(tzinfo=tz).astimezone(UTC)


# -- status ------------------------------------------------------------------------------------


def map_status(code: str, text: str = "") -> TrackingStatus:
    """Code table, then description keywords, then fallback codes, else ``UNKNOWN``. Never raises."""
    try:
        key = (code or "").strip().upper()
        status = STATUS_CODES.get(key)
        if status is not None:
            return status
        lowered = " ".join(str(text or "").lower().split())
        if lowered:
            for candidate, keywords in STATUS_KEYWORDS:
                if any(keyword in lowered for keyword in keywords):
                    return candidate
        return FALLBACK_STATUS_CODES.get(key, TrackingStatus.UNKNOWN)
    except Exception:  # map_status must never raise, whatever it is handed
        return TrackingStatus.UNKNOWN


# -- domain ------------------------------------------------------------------------------------


def _events(wire_events: Iterable[WireEvent]) -> list[TrackingEvent]:
    events: list[tuple[WireEvent, datetime]] = []
    for event in wire_events:
        if not event.date:
            raise ValueError("event without Date")
        events.append((event, parse_time(event.date)))
    # Equal timestamps keep document order in the (stable) sort, so put the document oldest
    # first: reverse it when it reads newest first.
    if len(events) > 1:
        first, last = events[0][1], events[-1][1]
        if first > last or (first == last and EVENTS_NEWEST_FIRST):
            events.reverse()
    return [
        TrackingEvent(
            occurred_at=at,
            status=map_status(event.status_code, event.description),
            description=event.description,
            carrier_status_code=event.status_code,
            carrier_status_text=event.description,
            location=Location(facility=event.location) if event.location else None,
            local_time=event.date,
        )
        for event, at in events
    ]


def to_tracking_info(item: WireItem, carrier: str, number: str | None = None) -> TrackingInfo:
    """The :class:`TrackingInfo` of a found item (``number``: the number as it was asked for)."""
    events = _events(item.events)
    return TrackingInfo(
        carrier=carrier,
        tracking_number=number or item.tracking_number,
        status=TrackingInfo.status_of(events),
        events=events,
        origin_country=item.original_country,
        destination_country=item.destination_country,
        status_detail=events[-1].description if events else "",
    )
