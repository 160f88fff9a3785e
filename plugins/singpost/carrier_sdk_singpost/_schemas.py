"""SingPost wire facts and assumptions, and the small wire schemas the parser fills.

SingPost publishes no open developer documentation. Everything the adapter believes about the
wire is a named constant in this module, tagged with its confidence (see WIRE.md §0):

* ``[V-off]``/``[V-3p]``: verified in SingPost's own site code or several third-party clients;
* ``[M]``: seen in one third-party source only;
* ``[A]``: an assumption to confirm with real credentials.

When real credentials arrive, confirming or correcting the assumptions is a change to this file
only (the README "Assumptions" section lists the same names).
"""

from __future__ import annotations

import re
from typing import Final

import attrs

from carrier_sdk import TrackingStatus

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
    "FALLBACK_STATUS_CODES",
    "LEGACY_URL",
    "LOCAL_TIMEZONE",
    "NAMED_URLS",
    "NAMESPACE",
    "PRODUCTION_URL",
    "RATE_LIMIT_MARKER",
    "REQUEST_ROOT",
    "RESPONSE_ROOT",
    "SANDBOX_URL",
    "SMARTPAC_PATTERN",
    "STATUS_CODES",
    "HELD_KEYWORDS",
    "STATUS_KEYWORDS",
    "SUCCESS_CODE",
    "ZONE_ABBREVIATIONS",
    "WireEvent",
    "WireItem",
    "WireResponse",
]

# -- endpoints and authentication ------------------------------------------------------------

#: APIM "Tracking API v1.0" production endpoint; the XML is POSTed to this exact URL. [M]
PRODUCTION_URL: Final = "https://apim.singpost.com/sp/tracking"
#: The older ESB endpoint used by SingPost's site and apps (same XML contract). [V-3p]
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

#: Header carrying the API key as a raw value, no ``Bearer`` prefix. [V-off-ish site code; M for APIM]
AUTH_HEADER: Final = "Authorization"
#: Request content type. [V-3p]
CONTENT_TYPE: Final = "application/xml; charset=utf-8"
#: ``SystemID`` sent when none is configured; ``-`` works for the APIM client. [A]
DEFAULT_SYSTEM_ID: Final = "-"

# -- request / response shape ----------------------------------------------------------------

#: XML namespace of request and response. [V-3p]
NAMESPACE: Final = "http://singpost.com/paw/ns"
#: Request root element. [V-3p]
REQUEST_ROOT: Final = "ItemTrackingDetailsRequest"
#: Response root element. [A] The parser does not insist on it: it accepts any root that has
#: a ``Status`` or ``ItemsTrackingDetailList`` child, and rejects anything else (an HTML page).
RESPONSE_ROOT: Final = "ItemTrackingDetailsResponse"
#: Most tracking numbers per request. [M: one client suggests <= 10]
BATCH_SIZE: Final = 10
#: ``Status/ErrorCode`` of a successful response. [V-3p]
SUCCESS_CODE: Final = "0"
#: Plain-text body the gateway sends when throttling (any HTTP status). [V-off-ish]
RATE_LIMIT_MARKER: Final = "Rate limit exceeded"
#: A field holding only this means "empty". [V-3p]
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

# -- status mapping (WIRE.md §3.3, all [A] except IR) ------------------------------------------

#: ``StatusDescription`` phrases of a hold (customs or SingPost), waiting for action. [A] No
#: SingPost code or body with a hold is public; matched after the pickup phrases.
HELD_KEYWORDS: Final = ("held", "detained", "customs clearance pending", "pending payment of duty")

#: Per-event ``StatusCode`` with a known meaning: checked first and decisive.
#: ``IR`` = Information Received [M]; ``RS`` = returned to sender [A, "plausibly"].
STATUS_CODES: Final = {
    "IR": TrackingStatus.PRE_TRANSIT,
    "RS": TrackingStatus.RETURNED_TO_SENDER,
}

#: ``StatusDescription`` keywords (case-insensitive substrings), first matching row wins. [A]
#: The order matters: "undelivered" must hit ``delivery_failed`` before "delivered" matches,
#: "held at post office for collection" is a pickup, and any other "held" (at customs, by
#: SingPost, pending payment) is ``held``: waiting for action, not a failed delivery.
STATUS_KEYWORDS: Final[tuple[tuple[TrackingStatus, tuple[str, ...]], ...]] = (
    (TrackingStatus.PRE_TRANSIT, ("information received",)),
    (TrackingStatus.RETURNED_TO_SENDER, ("return",)),
    (
        TrackingStatus.AVAILABLE_FOR_PICKUP,
        (
            "ready for collection",
            "available for collection",
            "popstation",
            "post office for collection",
            "collection point",
        ),
    ),
    (
        TrackingStatus.DELIVERY_FAILED,
        ("unsuccessful", "attempted", "undeliverable", "undelivered", "not delivered", "refused"),
    ),
    (TrackingStatus.HELD, HELD_KEYWORDS),
    (TrackingStatus.OUT_FOR_DELIVERY, ("out for delivery", "with delivery courier")),
    (TrackingStatus.DELIVERED, ("delivered",)),
    (
        TrackingStatus.IN_TRANSIT,
        (
            "in transit",
            "posted",
            "accepted",
            "processed",
            "processing",
            "despatched",
            "dispatched",
            "arrived",
            "departed",
            "received by",
            "customs",
            "handed over",
            "sorting",
        ),
    ),
)

#: Observed codes whose meaning is undocumented, used only when no keyword matched. [A]
#: ``AC`` appears with "Item posted over the counter" (accepted). ``HQ``, ``AL``, ``DF``, ``RP``
#: are observed too but deliberately not guessed: they map to ``unknown`` without a keyword.
FALLBACK_STATUS_CODES: Final = {"AC": TrackingStatus.IN_TRANSIT}

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

#: SmartPac ("mail") numbers are 21 characters [V-off-ish: site code checks ``strlen == 21``];
#: the pattern is unknown [A]. Accepted by ``check_number`` when the caller names SingPost
#: explicitly, but never claimed by ``recognize()``: 21 alphanumerics would claim other
#: carriers' numbers.
SMARTPAC_PATTERN: Final = re.compile(r"^[A-Z0-9]{21}$")


# -- wire schemas (only the fields the adapter reads) ----------------------------------------


@attrs.frozen(kw_only=True)
class WireEvent:
    """One ``DeliveryStatusDetail`` (``-`` already turned into ``""``)."""

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
