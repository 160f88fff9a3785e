"""SingPost's wire format: endpoints, the tracking XML, its parser and its code tables.

SingPost publishes no open developer documentation. Everything the adapter believes about the
wire is a named constant in this module, tagged with its confidence:

* ``[V]``: seen in SingPost's own site or app code, or in several independent clients;
* ``[M]``: seen in one third-party source only;
* ``[A]``: an assumption to confirm with real credentials.

The README ("Wire facts") names the public source of each. Nothing here knows the SDK's models:
the parser turns bytes into the plain :class:`WireResponse` and raises ``ValueError`` on a
document it cannot read; :mod:`._mapping` turns wire values into models.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta, timezone
from functools import cache, lru_cache
from typing import Final, NamedTuple
from zoneinfo import ZoneInfo

import attrs

from carrier_sdk.adapters import in_zone, local_name

__all__ = [
    "AUTH_HEADER",
    "BATCH_SIZE",
    "CONTENT_TYPE",
    "DEFAULT_ERROR_KIND",
    "DEFAULT_SYSTEM_ID",
    "EMPTY_VALUE",
    "ERROR_CODE_KINDS",
    "ERROR_KEYWORDS",
    "EVENTS_NEWEST_FIRST",
    "LEGACY_URL",
    "LOCAL_TIMEZONE",
    "MAX_EVENTS",
    "NAMED_URLS",
    "NAMESPACE",
    "PRODUCTION_URL",
    "RATE_LIMIT_MARKER",
    "REQUEST_ROOT",
    "RESPONSE_ROOT",
    "SANDBOX_URL",
    "SMARTPAC_PATTERN",
    "SUCCESS_CODE",
    "ZONE_ABBREVIATIONS",
    "WireEvent",
    "WireItem",
    "WireResponse",
    "build_request",
    "clean",
    "error_kind",
    "looks_rate_limited",
    "parse_response",
    "parse_time",
]

# -- endpoints and authentication ------------------------------------------------------------

#: APIM "Tracking API v1.0" production endpoint; the XML is POSTed to this exact URL. [M]
PRODUCTION_URL: Final = "https://apim.singpost.com/sp/tracking"
#: The older ESB endpoint used by SingPost's site and apps (same XML contract). [V]
LEGACY_URL: Final = "https://prdesb1.singpost.com/ma/GetItemTrackingDetails"
#: APIM sandbox. [M]
SANDBOX_URL: Final = "https://api.qa.singpost.com/sp/tracking"
#: Names accepted in the ``base_url`` setting instead of a URL.
NAMED_URLS: Final = {
    "production": PRODUCTION_URL,
    "apim": PRODUCTION_URL,
    "legacy": LEGACY_URL,
    "esb": LEGACY_URL,
    "sandbox": SANDBOX_URL,
}

#: Header carrying the API key as a raw value, no ``Bearer`` prefix. [V] site code, [M] APIM
AUTH_HEADER: Final = "Authorization"
#: Request content type. [V]
CONTENT_TYPE: Final = "application/xml; charset=utf-8"
#: ``SystemID`` sent when none is configured; ``-`` works for the APIM client. [A]
DEFAULT_SYSTEM_ID: Final = "-"

# -- request / response shape ----------------------------------------------------------------

#: XML namespace of request and response. [V]
NAMESPACE: Final = "http://singpost.com/paw/ns"
#: Request root element. [V]
REQUEST_ROOT: Final = "ItemTrackingDetailsRequest"
#: Response root element. [A] The parser does not insist on it: it accepts any root that has
#: a ``Status`` or ``ItemsTrackingDetailList`` child, and rejects anything else (an HTML page).
RESPONSE_ROOT: Final = "ItemTrackingDetailsResponse"
#: Most tracking numbers per request. [M: one client suggests <= 10]
BATCH_SIZE: Final = 10
#: ``Status/ErrorCode`` of a successful response. [V]
SUCCESS_CODE: Final = "0"
#: Plain-text body the gateway sends when throttling (any HTTP status). [V]
RATE_LIMIT_MARKER: Final = "Rate limit exceeded"
#: A field holding only this means "empty". [V]
EMPTY_VALUE: Final = "-"
#: Events are listed newest first; used only to order events with equal timestamps. [M]
EVENTS_NEWEST_FIRST: Final = True

# -- time --------------------------------------------------------------------------------------

#: Zone of timestamps that carry no offset (``2024-05-21T10:56:00``). [A] Overseas legs may in
#: fact carry the foreign local time; nothing in the payload says so.
LOCAL_TIMEZONE: Final = "Asia/Singapore"
#: Zone abbreviations accepted after a timestamp (the iOS app parses ``...ssz``), in minutes east
#: of UTC. [A] Unlisted abbreviations make the timestamp unusable rather than guessed.
ZONE_ABBREVIATIONS: Final = {"Z": 0, "UTC": 0, "GMT": 0, "SGT": 480}

# -- errors inside 200 bodies ------------------------------------------------------------------

#: ``Status/ErrorCode`` values with a known meaning -> error kind. None are documented. [A]
ERROR_CODE_KINDS: Final[dict[str, str]] = {}
#: ``ErrorDesc`` keywords -> error kind, first match wins. [A]
ERROR_KEYWORDS: Final[tuple[tuple[str, tuple[str, ...]], ...]] = (
    ("rate_limit", ("rate limit", "too many requests", "quota")),
    ("authentication", ("unauthori", "authenticat", "api key", "apikey", "access denied", "forbidden", "systemid")),
    ("invalid_request", ("invalid", "required", "missing", "malformed", "too many", "exceed", "format")),
)
#: Kind for an ``ErrorCode`` != 0 that nothing above explains. [A]
DEFAULT_ERROR_KIND: Final = "server"

# -- numbers -----------------------------------------------------------------------------------

#: SmartPac ("mail") numbers are 21 characters [V: site code checks ``strlen == 21``];
#: the pattern is unknown [A]. Accepted by ``check_number`` when the caller names SingPost
#: explicitly, but never claimed by ``recognize()``: 21 alphanumerics would claim other
#: carriers' numbers.
SMARTPAC_PATTERN: Final = re.compile(r"^[A-Z0-9]{21}$")


# -- wire schemas (only the fields the adapter reads) ----------------------------------------


class WireEvent(NamedTuple):
    """One ``DeliveryStatusDetail`` (``-`` already turned into ``""``): a plain record, built once
    per event of every history read (a tuple is built in a third of the time of a frozen attrs
    class), read by unpacking."""

    date: str
    status_code: str = ""
    reason_code: str = ""
    description: str = ""
    location: str = ""


@attrs.frozen(kw_only=True)
class WireItem:
    """One ``ItemTrackingDetail``. ``found`` is ``None`` when the element was absent."""

    tracking_number: str
    found: bool | None = None
    active: bool | None = None
    original_country: str = ""
    destination_country: str = ""
    posting_date: str = ""
    events: tuple[WireEvent, ...] = ()


@attrs.frozen(kw_only=True)
class WireResponse:
    """A parsed ``ItemTrackingDetailsResponse``."""

    root: str
    error_code: str = SUCCESS_CODE
    error_desc: str = ""
    items: tuple[WireItem, ...] = ()


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


#: ``local_name`` of the few tags a response repeats, cached.
_name = lru_cache(maxsize=256)(local_name)


def _children(element: ET.Element, name: str) -> Iterator[ET.Element]:
    return (child for child in element if isinstance(child.tag, str) and _name(child.tag) == name)


def _child(element: ET.Element | None, name: str) -> ET.Element | None:
    if element is None:
        return None
    return next(_children(element, name), None)


def clean(text: str | None) -> str:
    """Stripped text, with SingPost's ``-`` placeholder meaning empty."""
    value = (text or "").strip()
    return "" if value == EMPTY_VALUE else value


def _fields(element: ET.Element) -> dict[str, ET.Element]:
    """The first child of each local name (the one :func:`_child` finds), in one pass."""
    fields: dict[str, ET.Element] = {}
    for child in element:
        if isinstance(child.tag, str):
            fields.setdefault(_name(child.tag), child)
    return fields


def _texts(element: ET.Element) -> dict[str, str]:
    """The :func:`clean` text of the first child of each local name, in one pass (an event's fields)."""
    texts: dict[str, str] = {}
    for child in element:
        tag = child.tag
        if isinstance(tag, str):
            name = _name(tag)
            if name not in texts:
                texts[name] = clean(child.text)
    return texts


def _field(fields: dict[str, ET.Element], *names: str) -> str:
    """Text of the first of ``names`` found in ``fields`` (fallback names for renamed fields)."""
    for name in names:
        child = fields.get(name)
        if child is not None:
            return clean(child.text)
    return ""


def _bool(fields: dict[str, ET.Element], name: str) -> bool | None:
    child = fields.get(name)
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
    status_fields = {} if status is None else _fields(status)
    error_code = _field(status_fields, "ErrorCode") or SUCCESS_CODE
    items: list[WireItem] = []
    if item_list is not None:
        items.extend(_item(element) for element in _children(item_list, "ItemTrackingDetail"))
    return WireResponse(
        root=local_name(str(root.tag)),
        error_code=error_code,
        error_desc=_field(status_fields, "ErrorDesc", "ErrorDescription", "ErrorMessage"),
        items=tuple(items),
    )


def _item(element: ET.Element) -> WireItem:
    item = _fields(element)
    number = _field(item, "TrackingNumber")
    if not number:
        raise ValueError("ItemTrackingDetail without TrackingNumber")
    details = item.get("DeliveryStatusDetails")
    events: list[WireEvent] = []
    if details is not None:
        for detail in _children(details, "DeliveryStatusDetail"):
            if len(events) >= MAX_EVENTS:
                raise ValueError("too many events")
            texts = _texts(detail).get
            events.append(
                WireEvent(
                    texts("Date", ""),
                    texts("StatusCode", "").upper(),
                    texts("ReasonCode", ""),
                    texts("StatusDescription", ""),
                    texts("Location", ""),
                )
            )
    return WireItem(
        tracking_number=number,
        found=_bool(item, "TrackingNumberFound"),
        active=_bool(item, "TrackingNumberActive"),
        original_country=_field(item, "OriginalCountry", "OriginCountry"),
        destination_country=_field(item, "DestinationCountry"),
        posting_date=_field(item, "PostingDate"),
        events=tuple(events),
    )


def error_kind(code: str, description: str) -> str:
    """Which error a non-zero ``ErrorCode`` is: ``rate_limit``, ``authentication``,
    ``invalid_request`` or ``server`` (see :data:`ERROR_CODE_KINDS`, :data:`ERROR_KEYWORDS`)."""
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
#: A zone-less stamp with seconds and no fraction: the usual ``Date`` (README, "Wire facts").
_PLAIN_LOCAL = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}", re.ASCII)
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
    if _PLAIN_LOCAL.fullmatch(text):  # the usual shape: one fromisoformat call
        return in_zone(text, _local_zone())
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


def looks_rate_limited(body: bytes) -> bool:
    """A throttling body: plain text (not an XML document) mentioning :data:`RATE_LIMIT_MARKER`."""
    head = body[:4096]
    return not head.lstrip().startswith(b"<") and RATE_LIMIT_MARKER.lower().encode() in head.lower()
