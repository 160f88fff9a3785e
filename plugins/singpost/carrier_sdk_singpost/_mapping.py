"""SingPost wire values -> carrier-sdk models: the status tables, events and :class:`TrackingInfo`.

Nothing here does I/O or raises SDK errors: unusable values raise :class:`ValueError` and the
carrier turns them into :class:`~carrier_sdk.ResponseError`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from functools import lru_cache
from typing import Final

from carrier_sdk import (
    APIStatusError,
    AuthenticationError,
    CarrierServerError,
    InvalidRequestError,
    Location,
    RateLimitError,
    TrackingEvent,
    TrackingInfo,
    TrackingStatus,
)

from ._wire import EVENTS_NEWEST_FIRST, WireEvent, WireItem, error_kind, parse_time

__all__ = [
    "ERROR_KIND_CLASSES",
    "FALLBACK_STATUS_CODES",
    "HELD_KEYWORDS",
    "STATUS_CODES",
    "STATUS_KEYWORDS",
    "error_class",
    "map_status",
    "to_tracking_info",
]

# -- status tables (all [A] except IR; the README names the sources) ---------------------------

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


def map_status(code: str, text: str = "") -> TrackingStatus:
    """Code table, then description keywords, then fallback codes, else ``UNKNOWN``. Never raises."""
    try:
        return _status((code or "").strip().upper(), str(text or ""))
    except Exception:  # map_status must never raise, whatever it is handed
        return TrackingStatus.UNKNOWN


@lru_cache(maxsize=512)  # a history repeats a few code/description pairs; so do the histories
def _status(key: str, text: str) -> TrackingStatus:
    status = STATUS_CODES.get(key)
    if status is not None:
        return status
    lowered = " ".join(text.lower().split())
    if lowered:
        for candidate, keywords in STATUS_KEYWORDS:
            if any(keyword in lowered for keyword in keywords):
                return candidate
    return FALLBACK_STATUS_CODES.get(key, TrackingStatus.UNKNOWN)


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
    out = []
    places: dict[str, Location] = {}  # a history names a few places many times: one Location each
    for (date, code, _reason, description, place), at in events:  # WireEvent's fields
        location = None
        if place:
            location = places.get(place)
            if location is None:
                location = places[place] = Location(facility=place)
        out.append(
            TrackingEvent._parsed(
                occurred_at=at,
                status=_status(code, description),  # map_status: the code is already stripped, upper case
                description=description,
                carrier_status_code=code,
                carrier_status_text=description,
                location=location,
                local_time=date,
            )
        )
    return out


def to_tracking_info(carrier: str, number: str, wire: WireItem) -> TrackingInfo:
    """The :class:`TrackingInfo` of a found item (``number``: the number as it was asked for,
    else the item's own ``TrackingNumber``)."""
    events = _events(wire.events)
    return TrackingInfo(
        carrier=carrier,
        tracking_number=number or wire.tracking_number,
        status=TrackingInfo.status_of(events),
        events=events,
        origin_country=wire.original_country,
        destination_country=wire.destination_country,
        status_detail=events[-1].description if events else "",
    )


# -- errors ------------------------------------------------------------------------------------

#: Error kind (see :func:`._wire.error_kind`) -> the error raised for a non-zero ``ErrorCode``.
ERROR_KIND_CLASSES: Final[dict[str, type[APIStatusError]]] = {
    "rate_limit": RateLimitError,
    "authentication": AuthenticationError,
    "invalid_request": InvalidRequestError,
    "server": CarrierServerError,
}


def error_class(code: str, description: str) -> type[APIStatusError]:
    """The error class of a non-zero ``Status/ErrorCode`` and its ``ErrorDesc``."""
    return ERROR_KIND_CLASSES[error_kind(code, description)]
