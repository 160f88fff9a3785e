"""Models and checks for the end of a shipping day: return labels and manifests.

A return label is bought with a :class:`~carrier_sdk.ShipmentRequest` whose ``shipper`` is the
customer sending the parcel back and whose ``recipient`` is the merchant; the result is a
:class:`~carrier_sdk.Shipment`, bought under the same purchase rules as
:meth:`Client.create_shipment() <carrier_sdk.Client.create_shipment>`. A manifest (USPS calls
it a SCAN form) is one document that lets the carrier accept a batch of labels with one scan.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

import attrs

from ._enums import LabelFormat, WeightUnit
from ._exceptions import ValidationError
from ._models import _opt_date, _strings
from ._shipping import Address, Shipment, _format, _weight_unit
from ._validation import check_int, check_positive, check_text, to_decimal

if TYPE_CHECKING:
    from ._carrier import Carrier
    from ._flow import Flow

__all__ = ["Manifest", "ManifestRefusal", "Pickup", "PickupAvailability", "PickupRequest"]

#: Most labels one manifest request takes (USPS SCAN forms take up to 40,000).
MAX_MANIFEST_NUMBERS = 40_000


def _reason(value: str) -> str:
    return check_text(value, "reason", max_length=500)


def _refusals(value: Iterable[ManifestRefusal]) -> tuple[ManifestRefusal, ...]:
    return tuple(value)


@attrs.frozen(kw_only=True)
class ManifestRefusal:
    """A tracking number the carrier left off a manifest, with the carrier's reason."""

    tracking_number: str
    reason: str = attrs.field(default="", converter=_reason)


@attrs.frozen(kw_only=True)
class Manifest:
    """An end-of-day manifest (USPS: SCAN form, PS Form 5630).

    ``manifest_id`` is the carrier's number for it; ``document`` is the printable file (kept out
    of ``repr``) in ``format``; ``tracking_numbers`` are the labels it covers and ``refused`` the
    ones the carrier left off, each with a reason. Hand the printed document to the carrier's
    driver or the post office counter: one scan accepts every covered label.
    """

    carrier: str
    manifest_id: str
    document: bytes = attrs.field(repr=False)
    format: LabelFormat = attrs.field(converter=_format)
    tracking_numbers: tuple[str, ...] = attrs.field(converter=_strings)
    refused: tuple[ManifestRefusal, ...] = attrs.field(default=(), converter=_refusals)
    ship_date: date | None = attrs.field(default=None, converter=_opt_date)

    @property
    def complete(self) -> bool:
        """Whether the carrier covered every label it was asked to (nothing refused)."""
        return not self.refused


def _pickup_date(value: date | str) -> date:
    day = _opt_date(value)
    if day is None:
        raise ValidationError("pickup_date is required", field="pickup_date", constraint="ISO 8601 date")
    return day


def _package_count(value: int) -> int:
    return check_int(value, "package_count", low=1, high=999, what="a whole number from 1 to 999", constraint="1-999")


def _pickup_weight(value: Decimal | float | int | str) -> Decimal:
    return check_positive(to_decimal(value, "total_weight"), "total_weight")


def _instructions(value: str) -> str:
    return check_text(value, "instructions", max_length=200)


def _location(value: str) -> str:
    return check_text(value, "location", max_length=40)


def _message(value: str) -> str:
    return check_text(value, "message", max_length=500)


@attrs.frozen(kw_only=True)
class PickupRequest:
    """Ask the carrier to collect parcels at ``address`` on ``pickup_date``.

    ``package_count`` parcels weighing ``total_weight`` (in ``weight_unit``) in all; ``service``
    is the carrier's product for them when it asks (USPS: ``"PRIORITY_MAIL"``,
    ``"USPS_GROUND_ADVANTAGE"``, ...), ``location`` where the driver finds them in the carrier's
    words (USPS: ``"FRONT_DOOR"``, ``"MAIL_ROOM"``, ...), ``instructions`` free text for the driver.
    """

    address: Address
    pickup_date: date = attrs.field(converter=_pickup_date)
    package_count: int = attrs.field(converter=_package_count)
    total_weight: Decimal = attrs.field(converter=_pickup_weight)
    weight_unit: WeightUnit = attrs.field(default=WeightUnit.KG, converter=_weight_unit)
    service: str | None = None
    location: str = attrs.field(default="", converter=_location)
    instructions: str = attrs.field(default="", converter=_instructions)

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.address, Address):
            raise ValidationError("address must be an Address", field="address", constraint="Address")


@attrs.frozen(kw_only=True)
class Pickup:
    """A scheduled pickup: the carrier's ``confirmation`` number (keep it to cancel), the day the
    carrier will come (it may move the requested day to the next one it serves), where, and how
    many parcels. ``window`` is the carrier's own words for the time of day, when it gives any."""

    carrier: str
    confirmation: str
    pickup_date: date = attrs.field(converter=_pickup_date)
    address: Address
    package_count: int = attrs.field(converter=_package_count)
    window: str = attrs.field(default="", converter=_message)


@attrs.frozen(kw_only=True)
class PickupAvailability:
    """Whether the carrier collects parcels at ``address``, with the carrier's explanation."""

    carrier: str
    address: Address
    available: bool
    message: str = attrs.field(default="", converter=_message)


def pickup_flow(carrier: Carrier, request: PickupRequest) -> Flow[Pickup]:
    """The adapter's pickup flow for ``request``, after the checks that need no I/O.

    ``request`` is a :class:`PickupRequest` whose date is not in the past (a day of slack for time
    zones); the adapter checks its own window (days served, how far ahead) before any request.
    """
    if not isinstance(request, PickupRequest):
        raise ValidationError(
            f"request must be a PickupRequest, got {type(request).__name__}",
            field="request",
            constraint="PickupRequest",
        )
    if request.pickup_date < datetime.now(UTC).date() - timedelta(days=1):
        raise ValidationError(
            f"pickup_date {request.pickup_date.isoformat()} is in the past",
            field="pickup_date",
            constraint="today or later",
        )
    return carrier.schedule_pickup(request)


def check_confirmation(confirmation: object) -> str:
    """A pickup confirmation number as sent: 1-64 letters, digits and dashes."""
    if (
        not isinstance(confirmation, str)
        or not 1 <= len(confirmation.strip()) <= 64
        or not confirmation.strip().replace("-", "").isalnum()
    ):
        raise ValidationError(
            f"invalid pickup confirmation {str(confirmation)[:70]!r}",
            field="confirmation",
            constraint="1-64 letters, digits, dashes",
        )
    return confirmation.strip()


def check_address(address: object) -> Address:
    """``address`` if it is an :class:`Address`; :class:`ValidationError` otherwise."""
    if isinstance(address, Address):
        return address
    raise ValidationError(
        f"address must be an Address, got {type(address).__name__}", field="address", constraint="Address"
    )


def manifest_numbers(carrier: str, items: Iterable[Shipment | str]) -> list[str]:
    """The tracking numbers of ``items`` (shipments of ``carrier`` or numbers), once each, in order.

    Raises:
        ValidationError: No item, too many, an item that is neither, or a shipment of another carrier.
    """
    if isinstance(items, (str, bytes)):
        raise ValidationError(
            "give a list of shipments or tracking numbers, not one string",
            field="shipments",
            constraint="iterable of Shipment or str",
        )
    out: list[str] = []
    seen: set[str] = set()
    for item in items:
        if isinstance(item, Shipment):
            if item.carrier != carrier:
                raise ValidationError(
                    f"{item.tracking_number} is a {item.carrier} label, not a {carrier} one",
                    field="shipments",
                    constraint=f"{carrier} labels",
                )
            number = item.tracking_number
        elif isinstance(item, str):
            number = item
        else:
            raise ValidationError(
                f"a manifest takes shipments or tracking numbers, got {type(item).__name__}",
                field="shipments",
                constraint="Shipment or str",
            )
        if number not in seen:
            seen.add(number)
            out.append(number)
        if len(out) > MAX_MANIFEST_NUMBERS:
            raise ValidationError(
                f"a manifest takes at most {MAX_MANIFEST_NUMBERS} labels",
                field="shipments",
                constraint=f"<= {MAX_MANIFEST_NUMBERS}",
            )
    if not out:
        raise ValidationError("a manifest needs at least one label", field="shipments", constraint=">= 1 label")
    return out


def check_origin(origin: object) -> Address | None:
    """``origin`` if it is an :class:`Address` or ``None``; :class:`ValidationError` otherwise."""
    if origin is None or isinstance(origin, Address):
        return origin
    raise ValidationError(
        f"origin must be an Address, got {type(origin).__name__}", field="origin", constraint="Address"
    )


def manifest_flow(
    carrier: Carrier, items: Iterable[Shipment | str], ship_date: date | str | None, origin: Address | None
) -> Flow[Manifest]:
    """The adapter's manifest flow for ``items``, after every check that needs no I/O.

    Both clients run what this returns: the numbers are this carrier's (each checked by
    :meth:`Carrier.check_number`), once each; ``ship_date`` is today or later (a day of slack for
    time zones); ``origin`` is an :class:`Address` when given.
    """
    numbers = [carrier.check_number(n) for n in manifest_numbers(carrier.code, items)]
    day = _opt_date(ship_date)
    if day is not None and day < datetime.now(UTC).date() - timedelta(days=1):
        raise ValidationError(
            f"ship_date {day.isoformat()} is in the past", field="ship_date", constraint="today or later"
        )
    return carrier.create_manifest(numbers, ship_date=day, origin=check_origin(origin))
