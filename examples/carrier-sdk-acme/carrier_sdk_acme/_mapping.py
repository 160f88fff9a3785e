"""Pure functions from Acme wire payloads to carrier-sdk models."""

from __future__ import annotations

from datetime import UTC, datetime

from carrier_sdk import Location, Money, Rate, TrackingEvent, TrackingInfo, TrackingStatus

from ._schemas import WireRate, WireTracking

__all__ = ["STATUS_CODES", "map_status", "to_rates", "to_tracking_info"]

#: The carrier's event codes -> normalized statuses. Unknown codes map to UNKNOWN.
STATUS_CODES: dict[str, TrackingStatus] = {
    "CREATED": TrackingStatus.PRE_TRANSIT,
    "ACCEPTED": TrackingStatus.IN_TRANSIT,
    "MOVING": TrackingStatus.IN_TRANSIT,
    "OUT": TrackingStatus.OUT_FOR_DELIVERY,
    "PICKUP": TrackingStatus.AVAILABLE_FOR_PICKUP,
    "DONE": TrackingStatus.DELIVERED,
    "FAILED": TrackingStatus.DELIVERY_FAILED,
    "RETURNED": TrackingStatus.RETURNED_TO_SENDER,
    "VOID": TrackingStatus.CANCELLED,
}


def map_status(code: str, text: str = "") -> TrackingStatus:
    """The status of one event code; never raises."""
    if not isinstance(code, str):
        return TrackingStatus.UNKNOWN
    return STATUS_CODES.get(code.strip().upper(), TrackingStatus.UNKNOWN)


def to_tracking_info(carrier: str, wire: WireTracking) -> TrackingInfo:
    events = [
        TrackingEvent(
            occurred_at=datetime.fromtimestamp(e.at, UTC),
            status=map_status(e.code),
            description=e.text,
            carrier_status_code=e.code,
            carrier_status_text=e.text,
            location=Location(city=e.city) if e.city else None,
        )
        for e in wire.events
    ]
    return TrackingInfo(
        carrier=carrier,
        tracking_number=wire.number,
        status=TrackingInfo.status_of(events),
        events=events,
    )


def to_rates(carrier: str, wire: list[WireRate]) -> list[Rate]:
    return [
        Rate(
            carrier=carrier,
            service=r.service,
            service_name=r.service.replace("_", " ").title(),
            price=Money(amount=r.price, currency="USD"),
            estimated_days=r.days,
        )
        for r in wire
    ]
