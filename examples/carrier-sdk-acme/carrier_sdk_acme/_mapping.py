"""Acme wire values <-> carrier-sdk models: pure functions, no I/O."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from decimal import Decimal

from carrier_sdk import (
    Address,
    AddressCheck,
    Cancellation,
    Label,
    LabelFormat,
    Location,
    Money,
    Rate,
    RateRequest,
    Shipment,
    ShipmentRequest,
    TrackingEvent,
    TrackingInfo,
    TrackingStatus,
    WeightUnit,
)

from . import _wire

__all__ = [
    "STATUS_CODES",
    "create_shipment_body",
    "map_status",
    "rates_body",
    "to_address_check",
    "to_cancellation",
    "to_rates",
    "to_shipment",
    "to_tracking_info",
]

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
#: The currency of every price the API quotes.
CURRENCY = "USD"


def map_status(code: str, text: str = "") -> TrackingStatus:
    """The status of one event code (``text`` is not needed by this carrier); never raises."""
    if not isinstance(code, str):
        return TrackingStatus.UNKNOWN
    return STATUS_CODES.get(code.strip().upper(), TrackingStatus.UNKNOWN)


def to_tracking_info(carrier: str, number: str, wire: _wire.WireTracking) -> TrackingInfo:
    """The history of ``number``, oldest event first."""
    events = [
        TrackingEvent(
            occurred_at=datetime.fromtimestamp(e["at"], UTC),
            status=map_status(e["code"], e["text"]),
            description=e["text"],
            carrier_status_code=e["code"],
            carrier_status_text=e["text"],
            location=Location(city=e["city"]) if e["city"] else None,
        )
        for e in wire["events"]
    ]
    return TrackingInfo(carrier=carrier, tracking_number=number, status=TrackingInfo.status_of(events), events=events)


def to_rates(carrier: str, wire: list[_wire.WireRate]) -> list[Rate]:
    """One quote per service."""
    return [
        Rate(
            carrier=carrier,
            service=r["service"],
            service_name=r["service"].replace("_", " ").title(),
            price=Money(amount=r["price"], currency=CURRENCY),
            estimated_days=r["days"],
        )
        for r in wire
    ]


def to_shipment(carrier: str, wire: _wire.WireLabel, *, idempotency_key: str) -> Shipment:
    """The bought label (the API sends the PDF base64-encoded)."""
    return Shipment(
        carrier=carrier,
        tracking_number=wire["number"],
        label=Label(format=LabelFormat.PDF, data=base64.b64decode(wire["label"], validate=True)),
        price=Money(amount=wire["price"], currency=CURRENCY),
        service=wire["service"],
        idempotency_key=idempotency_key,
    )


def to_cancellation(carrier: str, number: str, status: str) -> Cancellation:
    """``VOID`` is the only status that means the label is refunded."""
    return Cancellation(carrier=carrier, tracking_number=number, cancelled=status == "VOID", status=status)


def to_address_check(carrier: str, address: Address, matched: bool) -> AddressCheck:
    """The API answers yes or no; a match keeps the address as given."""
    return AddressCheck(carrier=carrier, matched=matched, address=address if matched else None)


def _kilograms(request: RateRequest | ShipmentRequest) -> Decimal:
    return sum((p.weight_in(WeightUnit.KG) for p in request.parcels), Decimal(0))


def rates_body(request: RateRequest) -> dict[str, str]:
    """The body of a quote request."""
    return _wire.rates_body(_kilograms(request))


def create_shipment_body(request: ShipmentRequest) -> dict[str, str]:
    """The body of a label purchase (the API defaults to its ``standard`` service)."""
    return _wire.label_body(
        service=request.service or "standard", recipient=request.recipient.name, reference=request.reference
    )
