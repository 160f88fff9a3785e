"""Pure functions: what a poll (or a push) changes about a watched parcel.

No I/O and no clock: the watcher, the async watcher and the push receiver call the same code
with the time and the random generator they own, so every path reports a change the same way
and with the same stable id.
"""

from __future__ import annotations

import random

import attrs

from .._enums import TrackingStatus
from .._models import RelatedNumber, TrackingInfo
from ._model import ParcelState, TerminalReason, TrackingChange, WatchedParcel, change_id, event_id, final_reason, utc
from ._schedule import NEVER, Schedule

__all__ = ["apply_error", "apply_info", "apply_not_found", "merge_push"]


def apply_info(
    parcel: WatchedParcel,
    info: TrackingInfo,
    *,
    now: float,
    schedule: Schedule,
    rng: random.Random,
    source: str = "poll",
) -> tuple[WatchedParcel, TrackingChange | None]:
    """The parcel after a successful poll returned ``info``, and the change it reveals (if any)."""
    new_events = []
    seen = set(parcel.seen)
    for event in info.events:
        identity = event_id(event)
        if identity not in seen:
            seen.add(identity)
            new_events.append((identity, event))
    old = parcel.info
    old_status = old.status if old is not None else None
    old_eta = old.estimated_delivery if old is not None else None
    known = {r.tracking_number for r in old.related_numbers} if old is not None else set()
    new_related: list[RelatedNumber] = []
    for related in info.related_numbers:
        if related.tracking_number not in known:
            known.add(related.tracking_number)
            new_related.append(related)
    latest = info.latest_event
    latest_at = latest.occurred_at.timestamp() if latest is not None else None
    candidates = [t for t in (parcel.last_event_at, latest_at) if t is not None]
    last_event_at = max(candidates) if candidates else None
    age = max(0.0, now - (last_event_at if last_event_at is not None else parcel.added_at))
    reason = final_reason(info.status)
    if reason is None and age >= schedule.stale_after:
        reason = TerminalReason.STALE
    state = ParcelState.DONE if reason is not None else ParcelState.WATCHING
    updated = attrs.evolve(
        parcel,
        info=info,
        seen=frozenset[str](seen),
        state=state,
        terminal_reason=reason,
        last_polled_at=now if source == "poll" else parcel.last_polled_at,
        last_event_at=last_event_at,
        next_poll_at=NEVER if reason is not None else schedule.next_poll(info.status, age, now, rng),
        errors=0,
        not_found=0,
        last_error="",
    )
    parts = [f"e:{identity}" for identity, _ in new_events]
    if old_status != info.status:
        parts.append(f"s:{old_status}>{info.status}")
    if old_eta != info.estimated_delivery:
        parts.append(f"eta:{old_eta}>{info.estimated_delivery}")
    parts += [f"r:{r.tracking_number}" for r in new_related]
    terminal = reason is not None and parcel.state != state
    if terminal:
        parts.append(f"end:{reason}")
    if not parts:
        return updated, None
    change = TrackingChange(
        change_id=change_id(parcel.carrier, parcel.number, parts),
        carrier=parcel.carrier,
        number=parcel.number,
        journey=parcel.journey or parcel.number,
        old_status=old_status,
        new_status=info.status,
        new_events=tuple(e for _, e in new_events),
        old_eta=old_eta,
        new_eta=info.estimated_delivery,
        new_related=tuple(new_related),
        terminal=terminal,
        terminal_reason=reason if terminal else None,
        detected_at=utc(now),
        source=source,
        metadata=parcel.metadata,
    )
    return updated, change


def apply_not_found(
    parcel: WatchedParcel, message: str, *, now: float, schedule: Schedule, rng: random.Random
) -> tuple[WatchedParcel, TrackingChange | None]:
    """The parcel after the carrier said it does not know the number; marked (and reported)
    not found after ``schedule.not_found_attempts`` such polls in a row."""
    count = parcel.not_found + 1
    if count < schedule.not_found_attempts:
        return (
            attrs.evolve(
                parcel,
                not_found=count,
                last_polled_at=now,
                last_error=message,
                next_poll_at=schedule.after_error(count, now, rng),
            ),
            None,
        )
    updated = attrs.evolve(
        parcel,
        not_found=count,
        last_polled_at=now,
        last_error=message,
        state=ParcelState.NOT_FOUND,
        terminal_reason=TerminalReason.NOT_FOUND,
        next_poll_at=NEVER,
    )
    status = parcel.status
    change = TrackingChange(
        change_id=change_id(parcel.carrier, parcel.number, [f"end:{TerminalReason.NOT_FOUND}", f"n:{count}"]),
        carrier=parcel.carrier,
        number=parcel.number,
        journey=parcel.journey or parcel.number,
        old_status=status if parcel.info is not None else None,
        new_status=status,
        terminal=True,
        terminal_reason=TerminalReason.NOT_FOUND,
        detected_at=utc(now),
        metadata=parcel.metadata,
    )
    return updated, change


def apply_error(
    parcel: WatchedParcel, message: str, *, now: float, schedule: Schedule, rng: random.Random
) -> WatchedParcel:
    """The parcel after a failed poll: one more consecutive error, polled again after a backoff."""
    errors = parcel.errors + 1
    return attrs.evolve(
        parcel,
        errors=errors,
        last_polled_at=now,
        last_error=message,
        next_poll_at=schedule.after_error(errors, now, rng),
    )


def merge_push(parcel: WatchedParcel, pushed: TrackingInfo) -> TrackingInfo:
    """The parcel's info with pushed events added (a push usually carries one event)."""
    old = parcel.info
    if old is None:
        return pushed
    by_id = {event_id(e): e for e in old.events}
    for event in pushed.events:
        by_id.setdefault(event_id(event), event)
    events = tuple(by_id.values())
    status = TrackingInfo.status_of(events) if events else old.status
    if status is TrackingStatus.UNKNOWN:
        status = pushed.status
    related = {r.tracking_number: r for r in (*old.related_numbers, *pushed.related_numbers)}
    return attrs.evolve(
        old,
        events=events,
        status=status,
        estimated_delivery=pushed.estimated_delivery or old.estimated_delivery,
        related_numbers=tuple(related.values()),
    )
