"""The SDK's domain models: frozen, keyword-only attrs classes validated on construction.

The tracking and discovery models live here, with the field helpers the model modules share; the
shipping models (money, addresses, parcels, rates, shipments) and their own field helpers are in
:mod:`carrier_sdk._shipping`.

Wire payloads never become models directly: each adapter maps its carrier's schemas onto these
with pure functions. Datetimes are timezone-aware UTC; collections are tuples.
"""

from __future__ import annotations

import enum
import operator
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime
from typing import TypeVar

import attrs

from ._enums import (
    Capability,
    Confidence,
    TrackingStatus,
)
from ._exceptions import CarrierError, ValidationError

__all__ = [
    "CarrierInfo",
    "Identification",
    "Location",
    "RelatedNumber",
    "TrackingEvent",
    "TrackingInfo",
    "TrackingResult",
]


_E = TypeVar("_E", bound=enum.Enum)


# Converters are named, typed functions: mypy's attrs plugin and pyright read the type of their
# first parameter as the constructor's parameter type, and attrs copies it into ``__init__``'s
# annotations, so ``inspect.signature`` shows what a field accepts.


def _aware(value: datetime | str, field: str) -> datetime:
    if type(value) is datetime and value.tzinfo is UTC:
        return value  # already normalized (what the adapters' parsers build): skip the checks
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise ValidationError(f"{field} must be an ISO 8601 datetime", field=field, constraint="ISO 8601") from None
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise ValidationError(f"{field} must be a timezone-aware datetime", field=field, constraint="tz-aware")
    return value.astimezone(UTC)


def _occurred_at(value: datetime | str) -> datetime:
    return _aware(value, "occurred_at")


def _opt_date(value: date | str | None) -> date | None:
    if value is None or (isinstance(value, date) and not isinstance(value, datetime)):
        return value
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise ValidationError("expected an ISO 8601 date", field="date", constraint="ISO 8601 date")


def _enum(cls: type[_E], value: _E | str, field: str) -> _E:
    if type(value) is cls:
        return value  # a member already (what cls(value) would return)
    try:
        return cls(value)
    except ValueError:
        allowed = ", ".join(str(m.value) for m in cls)
        raise ValidationError(
            f"{field} must be one of {allowed}, got {value!r}", field=field, constraint=allowed
        ) from None


def _status(value: TrackingStatus | str) -> TrackingStatus:
    return _enum(TrackingStatus, value, "status")


def _confidence(value: Confidence | int) -> Confidence:
    try:
        return Confidence(value)
    except ValueError:
        allowed = ", ".join(f"{m.value} ({m})" for m in Confidence)
        raise ValidationError(
            f"confidence must be one of {allowed}, got {value!r}", field="confidence", constraint=allowed
        ) from None


def _strings(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(value)


def _related(value: Iterable[RelatedNumber]) -> tuple[RelatedNumber, ...]:
    return tuple(value)


@attrs.frozen(kw_only=True)
class RelatedNumber:
    """Another tracking number for the same parcel: another leg, a relabel, a handover.

    ``carrier`` is the code of the carrier that knows the number, when the payload says which.
    ``relation`` says how it is related (``"last_mile"``, ``"associated"``, ``"origin"``).
    """

    tracking_number: str
    carrier: str | None = None
    relation: str = "related"


@attrs.frozen(kw_only=True)
class Location:
    """Where a tracking event happened, as precisely as the carrier said."""

    city: str = ""
    state: str = ""
    postal_code: str = ""
    country: str = ""
    facility: str = ""

    def __str__(self) -> str:
        parts = [p for p in (self.facility, self.city, self.state, self.postal_code, self.country) if p]
        return ", ".join(parts)


@attrs.frozen(kw_only=True)
class TrackingEvent:
    """One scan or status change.

    ``occurred_at`` is the UTC instant. ``local_time`` keeps the carrier's wall-clock text when
    the instant had to be derived from it. ``carrier_status_code``/``carrier_status_text`` are
    the carrier's own; ``status`` is the normalized one.
    """

    occurred_at: datetime = attrs.field(converter=_occurred_at)
    status: TrackingStatus = attrs.field(converter=_status)
    description: str = ""
    carrier_status_code: str = ""
    carrier_status_text: str = ""
    location: Location | None = None
    local_time: str = ""

    @classmethod
    def _parsed(
        cls,
        *,
        occurred_at: datetime,
        status: TrackingStatus,
        description: str = "",
        carrier_status_code: str = "",
        carrier_status_text: str = "",
        location: Location | None = None,
        local_time: str = "",
    ) -> TrackingEvent:
        """The event an adapter's parser builds, once per event of every history it reads.

        Equal to ``TrackingEvent(...)`` with the same arguments (the only converted fields are
        ``occurred_at`` and ``status``): when they are already what the converters return (a
        ``datetime`` in the ``UTC`` zone, a :class:`TrackingStatus`) the fields are set without
        the generated ``__init__``; anything else goes through it, converters and checks included.
        """
        if type(occurred_at) is not datetime or occurred_at.tzinfo is not UTC or type(status) is not TrackingStatus:
            return cls(
                occurred_at=occurred_at,
                status=status,
                description=description,
                carrier_status_code=carrier_status_code,
                carrier_status_text=carrier_status_text,
                location=location,
                local_time=local_time,
            )
        event = object.__new__(cls)
        _set_occurred_at(event, occurred_at)
        _set_status(event, status)
        _set_description(event, description)
        _set_carrier_status_code(event, carrier_status_code)
        _set_carrier_status_text(event, carrier_status_text)
        _set_location(event, location)
        _set_local_time(event, local_time)
        return event


def _setter(cls: type, name: str) -> Callable[[object, object], None]:
    """The ``__set__`` of a slotted attrs class's field: sets it on a frozen instance, by name."""
    setter: Callable[[object, object], None] = vars(cls)[name].__set__
    return setter


_set_occurred_at = _setter(TrackingEvent, "occurred_at")
_set_status = _setter(TrackingEvent, "status")
_set_description = _setter(TrackingEvent, "description")
_set_carrier_status_code = _setter(TrackingEvent, "carrier_status_code")
_set_carrier_status_text = _setter(TrackingEvent, "carrier_status_text")
_set_location = _setter(TrackingEvent, "location")
_set_local_time = _setter(TrackingEvent, "local_time")


_instant = operator.attrgetter("occurred_at")


def _sorted_events(value: Iterable[TrackingEvent]) -> tuple[TrackingEvent, ...]:
    return tuple(sorted(value, key=_instant))


@attrs.frozen(kw_only=True)
class TrackingInfo:
    """Everything known about one tracking number at one carrier.

    ``events`` are oldest first. ``status`` is the latest event's status unless the carrier
    reports a more current one (a cancelled label). ``related_numbers`` point to other legs of
    the same parcel (a Cainiao order handed to USPS for the last mile).

    ``estimated_delivery`` is the carrier's single expected date; when it gives a window,
    ``estimated_delivery_earliest`` and ``estimated_delivery_latest`` bound it. ``destination``
    is where the parcel is going, ``signed_by`` who signed for it and ``left_at`` where it was
    left, when the carrier says so; ``extra_services`` are the services bought with it.
    """

    carrier: str
    tracking_number: str
    status: TrackingStatus = attrs.field(converter=_status)
    events: tuple[TrackingEvent, ...] = attrs.field(default=(), converter=_sorted_events)
    estimated_delivery: date | None = attrs.field(default=None, converter=_opt_date)
    service: str = ""
    origin_country: str = ""
    destination_country: str = ""
    status_detail: str = ""
    related_numbers: tuple[RelatedNumber, ...] = attrs.field(default=(), converter=_related)
    destination: Location | None = None
    extra_services: tuple[str, ...] = attrs.field(default=(), converter=_strings)
    signed_by: str = ""
    left_at: str = ""
    estimated_delivery_earliest: date | None = attrs.field(default=None, converter=_opt_date)
    estimated_delivery_latest: date | None = attrs.field(default=None, converter=_opt_date)

    def __attrs_post_init__(self) -> None:
        early, late = self.estimated_delivery_earliest, self.estimated_delivery_latest
        if early is not None and late is not None and early > late:
            raise ValidationError(
                "estimated_delivery_earliest is after estimated_delivery_latest",
                field="estimated_delivery_earliest",
                constraint="<= estimated_delivery_latest",
            )

    @property
    def latest_event(self) -> TrackingEvent | None:
        """The most recent event, if any."""
        return self.events[-1] if self.events else None

    @staticmethod
    def status_of(events: Iterable[TrackingEvent]) -> TrackingStatus:
        """The status of the chronologically latest event, ``UNKNOWN`` if there is none."""
        given = tuple(events)
        # The last of the latest in the given order: what the stable sort would put last.
        return max(reversed(given), key=_instant).status if given else TrackingStatus.UNKNOWN


@attrs.frozen(kw_only=True)
class TrackingResult:
    """One outcome of :meth:`Client.track_many`: ``info`` on success, ``error`` otherwise."""

    number: str
    carrier: str | None = None
    info: TrackingInfo | None = None
    error: CarrierError | None = attrs.field(default=None, eq=False)

    @property
    def ok(self) -> bool:
        """Whether tracking succeeded."""
        return self.info is not None


@attrs.frozen(kw_only=True)
class Identification:
    """A carrier's claim on a tracking number, with how sure it is and why."""

    carrier: str
    confidence: Confidence = attrs.field(converter=_confidence)
    reason: str


@attrs.frozen(kw_only=True)
class CarrierInfo:
    """What :meth:`Client.carriers` reports about one installed carrier."""

    code: str
    display_name: str
    capabilities: frozenset[Capability]
    distribution: str = ""
    version: str = ""
    docs_url: str = ""
