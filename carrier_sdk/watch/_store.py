"""The watcher's store: the interface every backend implements, and the in-memory backend.

A store keeps two things: the watched parcels (:class:`WatchedParcel`, keyed by
``(carrier, number)``) and the outbox of changes (:class:`TrackingChange`, keyed by their stable
``change_id``) not yet accepted by every sink. The watcher's only write after a poll is
:meth:`Store.commit` of one :class:`CommitBatch`, which must be atomic: parcels updated, new legs
added and changes queued all together or not at all. That is what makes a crash between a poll
and its store lose nothing (the parcel is polled again and the same change, with the same id, is
found again) and duplicate nothing (a change id already in the outbox or already delivered is ignored).

Backends: :class:`MemoryStore` (tests, one process), :class:`~carrier_sdk.watch.SQLiteStore`
(the default, one machine). A new backend passes :class:`carrier_sdk.watch.contract.StoreContract`.
"""

from __future__ import annotations

import abc
import threading
from collections.abc import Iterable, Sequence

import attrs

from ._model import ParcelState, TrackingChange, WatchedParcel

__all__ = ["CommitBatch", "MemoryStore", "ParcelQuery", "Store"]


@attrs.frozen(kw_only=True)
class ParcelQuery:
    """Which parcels :meth:`~carrier_sdk.watch.Store.parcels` returns: those matching every
    filter given, soonest due first (then by key), at most ``limit`` of them.

    ``due_before`` keeps parcels in state ``WATCHING`` whose ``next_poll_at`` is at or before it.

    .. versionadded:: 0.2
    """

    state: ParcelState | None = None
    due_before: float | None = None
    carrier: str | None = None
    limit: int | None = None

    def matches(self, parcel: WatchedParcel) -> bool:
        """Whether ``parcel`` passes every filter."""
        return (
            (self.state is None or parcel.state == self.state)
            and (self.carrier is None or parcel.carrier == self.carrier)
            and (
                self.due_before is None
                or (parcel.state == ParcelState.WATCHING and parcel.next_poll_at <= self.due_before)
            )
        )

    def apply(self, parcels: Iterable[WatchedParcel]) -> list[WatchedParcel]:
        """The answer from every parcel of a store: those that match, in order, up to ``limit``."""
        selected = sorted((p for p in parcels if self.matches(p)), key=lambda p: (p.next_poll_at, p.key))
        return selected if self.limit is None else selected[: max(self.limit, 0)]


@attrs.frozen(kw_only=True)
class CommitBatch:
    """One atomic write to a store (:meth:`~carrier_sdk.watch.Store.commit`): the parcels a poll
    updated, the new legs it found and the changes it revealed, stored together or not at all.

    .. versionadded:: 0.2
    """

    #: Parcels replaced by their new version (one removed meanwhile stays removed).
    updates: Sequence[WatchedParcel] = ()
    #: Changes queued in the outbox, each unless its ``change_id`` was ever queued before.
    changes: Sequence[TrackingChange] = ()
    #: Parcels to start watching, each unless its key is already watched.
    additions: Sequence[WatchedParcel] = ()


class Store(abc.ABC):
    """What a watcher needs from its storage. Every method is safe to call from several threads.

    Implementations must make :meth:`commit` atomic and keep ``change_id`` unique across the
    outbox *and* the changes already delivered (a re-found change is never queued twice).
    """

    @abc.abstractmethod
    def add(self, parcel: WatchedParcel) -> bool:
        """Start watching ``parcel``; ``False`` (and nothing changes) when its key is already watched."""

    def add_many(self, parcels: Iterable[WatchedParcel]) -> int:
        """Add many parcels (one transaction where the backend has them); returns how many were new.

        The default calls :meth:`add` for each; backends override it to batch.
        """
        return sum(1 for parcel in parcels if self.add(parcel))

    @abc.abstractmethod
    def remove(self, carrier: str, number: str) -> bool:
        """Stop watching; ``False`` when it was not watched. Its queued changes stay queued."""

    @abc.abstractmethod
    def get(self, carrier: str, number: str) -> WatchedParcel | None:
        """The parcel with this key, or ``None``."""

    @abc.abstractmethod
    def find(self, number: str) -> list[WatchedParcel]:
        """Every parcel with this number, whatever the carrier."""

    def parcels(
        self,
        *,
        state: ParcelState | None = None,
        due_before: float | None = None,
        carrier: str | None = None,
        limit: int | None = None,
    ) -> list[WatchedParcel]:
        """Parcels matching every filter given, soonest due first (then by key); see
        :class:`~carrier_sdk.watch.ParcelQuery`."""
        return self.select(ParcelQuery(state=state, due_before=due_before, carrier=carrier, limit=limit))

    @abc.abstractmethod
    def select(self, query: ParcelQuery) -> list[WatchedParcel]:
        """The parcels :meth:`~carrier_sdk.watch.Store.parcels` returns for ``query``: what
        :meth:`~carrier_sdk.watch.ParcelQuery.apply` returns from every parcel of the store (a
        backend may answer from its indexes)."""

    @abc.abstractmethod
    def count(self, *, state: ParcelState | None = None) -> int:
        """How many parcels (in ``state``, when given)."""

    @abc.abstractmethod
    def due_carriers(self, now: float) -> list[str]:
        """Carrier codes having at least one parcel due at ``now``."""

    @abc.abstractmethod
    def next_due(self) -> float | None:
        """The earliest ``next_poll_at`` of a watched parcel, or ``None`` when none is watched."""

    @abc.abstractmethod
    def commit(self, batch: CommitBatch) -> list[TrackingChange]:
        """Atomically: replace ``batch.updates`` (parcels removed meanwhile stay removed), add
        ``batch.additions`` not yet watched, and queue ``batch.changes`` whose id was never seen.

        Returns the changes actually queued (the others were already queued or delivered).
        """

    @abc.abstractmethod
    def pending(self, limit: int | None = None) -> list[TrackingChange]:
        """Queued changes not yet delivered, oldest first."""

    @abc.abstractmethod
    def mark_delivered(self, change_ids: Iterable[str]) -> None:
        """Record that these changes were accepted by every sink (unknown ids are ignored)."""

    def close(self) -> None:  # noqa: B027 - optional hook, most backends have nothing to close
        """Release resources (connections, files). The default does nothing."""


class MemoryStore(Store):
    """A store in a dict: fast, per process, gone on exit. For tests and short scripts."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._parcels: dict[tuple[str, str], WatchedParcel] = {}
        self._outbox: dict[str, TrackingChange] = {}
        self._delivered: set[str] = set()

    def add(self, parcel: WatchedParcel) -> bool:
        with self._lock:
            if parcel.key in self._parcels:
                return False
            self._parcels[parcel.key] = parcel
            return True

    def remove(self, carrier: str, number: str) -> bool:
        with self._lock:
            return self._parcels.pop((carrier, number), None) is not None

    def get(self, carrier: str, number: str) -> WatchedParcel | None:
        with self._lock:
            return self._parcels.get((carrier, number))

    def find(self, number: str) -> list[WatchedParcel]:
        with self._lock:
            return sorted((p for p in self._parcels.values() if p.number == number), key=lambda p: p.key)

    def select(self, query: ParcelQuery) -> list[WatchedParcel]:
        with self._lock:
            everything = list(self._parcels.values())
        return query.apply(everything)

    def count(self, *, state: ParcelState | None = None) -> int:
        with self._lock:
            return sum(1 for p in self._parcels.values() if state is None or p.state == state)

    def due_carriers(self, now: float) -> list[str]:
        with self._lock:
            return sorted(
                {p.carrier for p in self._parcels.values() if p.state == ParcelState.WATCHING and p.next_poll_at <= now}
            )

    def next_due(self) -> float | None:
        with self._lock:
            times = [p.next_poll_at for p in self._parcels.values() if p.state == ParcelState.WATCHING]
        return min(times) if times else None

    def commit(self, batch: CommitBatch) -> list[TrackingChange]:
        with self._lock:
            for parcel in batch.updates:
                if parcel.key in self._parcels:
                    self._parcels[parcel.key] = parcel
            for parcel in batch.additions:
                self._parcels.setdefault(parcel.key, parcel)
            queued = []
            for change in batch.changes:
                if change.change_id in self._outbox or change.change_id in self._delivered:
                    continue
                self._outbox[change.change_id] = change
                queued.append(change)
            return queued

    def pending(self, limit: int | None = None) -> list[TrackingChange]:
        with self._lock:
            items = list(self._outbox.values())
        return items if limit is None else items[: max(limit, 0)]

    def mark_delivered(self, change_ids: Iterable[str]) -> None:
        with self._lock:
            for cid in change_ids:
                if self._outbox.pop(cid, None) is not None:
                    self._delivered.add(cid)
