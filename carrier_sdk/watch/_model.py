"""What the watcher keeps per parcel (:class:`WatchedParcel`) and what it reports (:class:`TrackingChange`).

Both are frozen attrs classes: the store hands out copies, the watcher builds new ones with
:func:`attrs.evolve`. Times are epoch seconds (``float``, UTC) in the store and aware datetimes
in a change, because a change is what leaves the process (JSON, webhooks).
"""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from typing import Any

import attrs

from .._enums import TrackingStatus
from .._models import RelatedNumber, TrackingEvent, TrackingInfo

__all__ = ["ParcelState", "TerminalReason", "TrackingChange", "WatchedParcel", "event_id"]


class ParcelState(enum.StrEnum):
    """Where a watched parcel stands in the watcher's life cycle."""

    #: Polled on its schedule.
    WATCHING = "watching"
    #: Finished (delivered, returned, cancelled or no update for too long), never polled again.
    DONE = "done"
    #: The carrier did not know the number after the configured number of attempts.
    NOT_FOUND = "not_found"


class TerminalReason(enum.StrEnum):
    """Why a parcel stopped being watched."""

    DELIVERED = "delivered"
    RETURNED = "returned"
    CANCELLED = "cancelled"
    #: No new event for ``Schedule.stale_after`` seconds.
    STALE = "stale"
    #: The carrier did not know the number after ``Schedule.not_found_attempts`` polls.
    NOT_FOUND = "not_found"


_FINAL_REASONS = {
    TrackingStatus.DELIVERED: TerminalReason.DELIVERED,
    TrackingStatus.RETURNED_TO_SENDER: TerminalReason.RETURNED,
    TrackingStatus.CANCELLED: TerminalReason.CANCELLED,
}


def final_reason(status: TrackingStatus) -> TerminalReason | None:
    """The terminal reason a final status implies, else ``None``."""
    return _FINAL_REASONS.get(status)


def event_id(event: TrackingEvent) -> str:
    """A stable identity of one tracking event, the same on every poll.

    Built from the UTC instant, the carrier's own status code (its text when there is no code)
    and the place, never from the free-text description a carrier may reword.
    """
    location = event.location
    place = f"{location.postal_code}|{location.city}|{location.country}" if location is not None else ""
    code = event.carrier_status_code or event.carrier_status_text or event.status.value
    raw = f"{event.occurred_at.astimezone(UTC).isoformat()}|{code}|{place}".upper()
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:20]


def _metadata(value: Mapping[str, Any] | None) -> dict[str, Any]:
    return dict(value or {})


def _ids(value: Iterable[str]) -> frozenset[str]:
    return frozenset(value)


def _events(value: Iterable[TrackingEvent]) -> tuple[TrackingEvent, ...]:
    return tuple(value)


def _related(value: Iterable[RelatedNumber]) -> tuple[RelatedNumber, ...]:
    return tuple(value)


def _aware(value: datetime) -> datetime:
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise TypeError("detected_at must be an aware datetime")
    return value


@attrs.frozen(kw_only=True)
class WatchedParcel:
    """One watched tracking number and its schedule, as the store keeps it.

    Attributes:
        carrier: The carrier code the number is polled at.
        number: The normalized tracking number.
        journey: The number this parcel's journey started with (a last-mile leg learned from a
            related number shares its journey with the first leg).
        metadata: Your own JSON-compatible data, copied into every change.
        state: Watching, done or not found.
        terminal_reason: Why it stopped (``None`` while watching).
        info: The last :class:`~carrier_sdk.TrackingInfo` polled or pushed, if any.
        seen: Identities (:func:`event_id`) of every event already reported.
        added_at: When it was added (epoch seconds).
        next_poll_at: When it is due (epoch seconds; ``inf`` when it is never polled again).
        last_polled_at: When it was last polled successfully or not (``None`` before the first poll).
        last_event_at: Instant of its latest event (``None`` before the first one).
        errors: Consecutive failed polls (reset by a successful one).
        not_found: Consecutive polls the carrier answered "unknown number".
        last_error: The last failure's type and message ("" after a success).
    """

    carrier: str
    number: str
    journey: str = ""
    metadata: dict[str, Any] = attrs.field(factory=dict, converter=_metadata)
    state: ParcelState = ParcelState.WATCHING
    terminal_reason: TerminalReason | None = None
    info: TrackingInfo | None = None
    seen: frozenset[str] = attrs.field(default=frozenset(), converter=_ids)
    added_at: float = 0.0
    next_poll_at: float = 0.0
    last_polled_at: float | None = None
    last_event_at: float | None = None
    errors: int = 0
    not_found: int = 0
    last_error: str = ""

    @property
    def key(self) -> tuple[str, str]:
        """``(carrier, number)``: the parcel's identity in a store."""
        return (self.carrier, self.number)

    @property
    def status(self) -> TrackingStatus:
        """The last known status (``UNKNOWN`` before the first successful poll)."""
        return self.info.status if self.info is not None else TrackingStatus.UNKNOWN


@attrs.frozen(kw_only=True)
class TrackingChange:
    """Something new about one watched parcel: new events, a new status, a new ETA, a new leg, an end.

    ``change_id`` is stable: the same change detected twice (a crash between the poll and the
    store, a re-delivered webhook) has the same id, so receivers can deduplicate on it.

    Attributes:
        change_id: Stable identity of this change.
        carrier: Carrier code of the number that changed.
        number: The tracking number that changed.
        journey: The journey the number belongs to (its first leg's number).
        old_status: The status before (``None`` on the first successful poll).
        new_status: The status now.
        new_events: Only the events not reported before, oldest first.
        old_eta: Estimated delivery date before.
        new_eta: Estimated delivery date now.
        new_related: Related numbers (other legs) learned with this change.
        terminal: Whether the parcel is no longer watched after this change.
        terminal_reason: Why (``None`` unless ``terminal``).
        detected_at: When the watcher (or a push receiver) saw it.
        source: ``"poll"`` or ``"push"``.
        metadata: The parcel's metadata.
    """

    change_id: str
    carrier: str
    number: str
    journey: str = ""
    old_status: TrackingStatus | None = None
    new_status: TrackingStatus
    new_events: tuple[TrackingEvent, ...] = attrs.field(default=(), converter=_events)
    old_eta: date | None = None
    new_eta: date | None = None
    new_related: tuple[RelatedNumber, ...] = attrs.field(default=(), converter=_related)
    terminal: bool = False
    terminal_reason: TerminalReason | None = None
    detected_at: datetime = attrs.field(converter=_aware)
    source: str = "poll"
    metadata: dict[str, Any] = attrs.field(factory=dict, converter=_metadata)

    @property
    def status_changed(self) -> bool:
        """Whether the status differs from the one known before."""
        return self.old_status != self.new_status

    @property
    def eta_changed(self) -> bool:
        """Whether the estimated delivery date differs from the one known before."""
        return self.old_eta != self.new_eta

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-compatible data (the webhook body and the CLI's JSON lines)."""
        from .._serialization import to_dict

        data: dict[str, Any] = to_dict(self)
        data["status_changed"] = self.status_changed
        data["eta_changed"] = self.eta_changed
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TrackingChange:
        """Rebuild a change from :meth:`to_dict` output.

        Raises:
            ValidationError: ``data`` does not describe a change.
        """
        from .._serialization import from_dict

        clean = {k: v for k, v in data.items() if k not in ("status_changed", "eta_changed")}
        return from_dict(cls, clean)


def change_id(carrier: str, number: str, parts: Iterable[str]) -> str:
    """A stable change identity from the parcel and what changed (sorted, so order never matters)."""
    raw = "\x1f".join([carrier, number, *sorted(parts)])
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:32]


def utc(epoch: float) -> datetime:
    """An aware UTC datetime from epoch seconds."""
    return datetime.fromtimestamp(epoch, UTC)
