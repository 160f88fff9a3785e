"""Service locations: where a parcel can be dropped off (post offices, parcel lockers, entry points).

:meth:`Client.find_locations() <carrier_sdk.Client.find_locations>` asks a carrier for the
locations of one :class:`~carrier_sdk.LocationKind` near a postal code or an address; each answer
is a :class:`ServiceLocation` with its address, opening hours, the carrier's services there and,
when the carrier says, the distance from the point asked about.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import time
from decimal import Decimal
from typing import TYPE_CHECKING

import attrs

from ._enums import DistanceUnit, LocationKind
from ._exceptions import ValidationError
from ._models import _enum
from ._shipping import Address
from ._validation import check_int, check_text, to_decimal

if TYPE_CHECKING:
    from ._carrier import Carrier
    from ._flow import Flow

__all__ = ["Distance", "OpeningHours", "ServiceLocation"]

#: Most locations one call returns (carriers page further; the nearest come first).
MAX_LOCATIONS = 100

_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_PER_KM = {DistanceUnit.KM: Decimal(1), DistanceUnit.MI: Decimal("1.609344")}


def _unit(value: DistanceUnit | str) -> DistanceUnit:
    return _enum(DistanceUnit, value, "unit")


def _distance_value(value: Decimal | float | int | str) -> Decimal:
    number = to_decimal(value, "distance")
    if number < 0:
        raise ValidationError(f"distance must not be negative, got {number}", field="distance", constraint=">= 0")
    return number


@attrs.frozen(kw_only=True)
class Distance:
    """A distance with its unit, as the carrier gave it (USPS: miles)."""

    value: Decimal = attrs.field(converter=_distance_value)
    unit: DistanceUnit = attrs.field(default=DistanceUnit.KM, converter=_unit)

    def to(self, unit: DistanceUnit | str) -> Distance:
        """The same distance in ``unit`` (exact ratio: a mile is 1.609344 km)."""
        target = _unit(unit)
        if target is self.unit:
            return self
        return Distance(value=self.value * _PER_KM[self.unit] / _PER_KM[target], unit=target)

    def __str__(self) -> str:
        return f"{self.value.normalize():f} {self.unit}"


def _weekday(value: int) -> int:
    return check_int(value, "weekday", low=0, high=6, what="0 (Monday) to 6 (Sunday)", constraint="0-6")


def _clock(value: time | str) -> time:
    if isinstance(value, time):
        return value
    if isinstance(value, str):
        text = value.strip()
        if len(text) == 4 and text.isdigit():  # "0830", how many carriers write it
            text = f"{text[:2]}:{text[2:]}"
        try:
            return time.fromisoformat(text)
        except ValueError:
            pass
    raise ValidationError(f"expected a time of day (HH:MM), got {value!r}", field="hours", constraint="HH:MM")


def _service_name(value: str) -> str:
    return check_text(value, "service", max_length=80)


@attrs.frozen(kw_only=True)
class OpeningHours:
    """One opening interval: on ``weekday`` (0 is Monday, as :meth:`datetime.date.weekday`) from
    ``opens`` to ``closes`` (local time at the location). ``service`` names the carrier's service
    the interval is for when the carrier gives hours per service (USPS post offices), else ``""``."""

    weekday: int = attrs.field(converter=_weekday)
    opens: time = attrs.field(converter=_clock)
    closes: time = attrs.field(converter=_clock)
    service: str = attrs.field(default="", converter=_service_name)

    @property
    def day(self) -> str:
        """The English day name in lower case (``"monday"``)."""
        return _DAYS[self.weekday]

    def __str__(self) -> str:
        return f"{self.day[:3].title()} {self.opens:%H:%M}-{self.closes:%H:%M}"


def _kind(value: LocationKind | str) -> LocationKind:
    return _enum(LocationKind, value, "kind")


def _hours(value: Iterable[OpeningHours]) -> tuple[OpeningHours, ...]:
    return tuple(value)


def _services(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(_service_name(s) for s in value)


def _location_id(value: str) -> str:
    return check_text(value, "location_id", max_length=64, required=True)


def _location_name(value: str) -> str:
    return check_text(value, "name", max_length=200, required=True)


def _phone(value: str) -> str:
    return check_text(value, "phone", max_length=30)


def _degrees(value: float | None, field: str, bound: int) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not -bound <= value <= bound:
        raise ValidationError(
            f"{field} must be degrees from -{bound} to {bound}, got {value!r}", field=field, constraint=f"±{bound}"
        )
    return float(value)


def _latitude(value: float | None) -> float | None:
    return _degrees(value, "latitude", 90)


def _longitude(value: float | None) -> float | None:
    return _degrees(value, "longitude", 180)


@attrs.frozen(kw_only=True)
class ServiceLocation:
    """A place of ``carrier`` where parcels are handed in or collected.

    ``location_id`` is the carrier's id for it (USPS: facility id; a parcel locker's is what a
    label addressed to the locker needs); ``kind`` what it is; ``address`` where (its ``company``
    is the location's name); ``hours`` when it is open; ``services`` the carrier's own names for
    what it offers there; ``distance`` from the point asked about, when the carrier gives one.
    """

    carrier: str
    location_id: str = attrs.field(converter=_location_id)
    kind: LocationKind = attrs.field(converter=_kind)
    name: str = attrs.field(converter=_location_name)
    address: Address
    hours: tuple[OpeningHours, ...] = attrs.field(default=(), converter=_hours)
    services: tuple[str, ...] = attrs.field(default=(), converter=_services)
    distance: Distance | None = None
    latitude: float | None = attrs.field(default=None, converter=_latitude)
    longitude: float | None = attrs.field(default=None, converter=_longitude)
    phone: str = attrs.field(default="", converter=_phone)

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.address, Address):
            raise ValidationError("address must be an Address", field="address", constraint="Address")

    def hours_on(self, weekday: int) -> tuple[OpeningHours, ...]:
        """The opening intervals on ``weekday`` (0 is Monday), in the carrier's order."""
        day = _weekday(weekday)
        return tuple(h for h in self.hours if h.weekday == day)


def check_near(near: object) -> Address | str:
    """``near`` as given when it is an :class:`Address` or a postal code (letters, digits, spaces, dashes)."""
    if isinstance(near, Address):
        return near
    if isinstance(near, str):
        code = near.strip()
        if 1 <= len(code) <= 16 and code.replace(" ", "").replace("-", "").isalnum() and code.isascii():
            return code
        raise ValidationError(
            f"near must be a postal code or an Address, got {near[:40]!r}",
            field="near",
            constraint="postal code (letters, digits, spaces, dashes) or Address",
        )
    raise ValidationError(
        f"near must be a postal code or an Address, got {type(near).__name__}",
        field="near",
        constraint="postal code or Address",
    )


def check_limit(limit: object) -> int:
    """``limit`` when it is a whole number from 1 to :data:`MAX_LOCATIONS`."""
    return check_int(
        limit,
        "limit",
        low=1,
        high=MAX_LOCATIONS,
        what=f"a whole number from 1 to {MAX_LOCATIONS}",
        constraint=f"1-{MAX_LOCATIONS}",
    )


def locations_flow(
    carrier: Carrier, near: Address | str, kind: LocationKind | str, limit: int
) -> Flow[list[ServiceLocation]]:
    """The adapter's locations flow, after the checks that need no I/O (both clients run it)."""
    return carrier.find_locations(check_near(near), kind=_kind(kind), limit=check_limit(limit))
