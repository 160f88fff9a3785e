"""The contract every watch :class:`~carrier_sdk.watch.Store` backend must pass, as a test class.

Subclass :class:`StoreContract` in your test suite and implement :meth:`StoreContract.make_store`
(a fresh, empty store per call); pytest collects the ``test_*`` methods::

    from carrier_sdk.watch.contract import StoreContract

    class TestRedisStore(StoreContract):
        def make_store(self):
            return RedisStore(url, namespace=uuid.uuid4().hex)

No pytest import is needed: the checks are plain ``assert`` statements.

.. versionadded:: 0.2
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

import attrs

from .._enums import TrackingStatus
from .._models import Location, RelatedNumber, TrackingEvent, TrackingInfo
from ._model import ParcelState, TerminalReason, TrackingChange, WatchedParcel
from ._store import CommitBatch, Store

__all__ = ["StoreContract", "sample_change", "sample_parcel"]


def sample_parcel(number: str = "9400111899223855123450", carrier: str = "usps", **changes: Any) -> WatchedParcel:
    """A parcel with every field filled in (so a backend that drops one fails the round trip)."""
    event = TrackingEvent(
        occurred_at=datetime(2026, 5, 1, 12, 30, tzinfo=UTC),
        status=TrackingStatus.IN_TRANSIT,
        description="Arrived at facility",
        carrier_status_code="10",
        carrier_status_text="Arrived at USPS Regional Facility",
        location=Location(city="MEMPHIS", state="TN", postal_code="38118", country="US"),
        local_time="2026-05-01T07:30:00",
    )
    info = TrackingInfo(
        carrier=carrier,
        tracking_number=number,
        status=TrackingStatus.IN_TRANSIT,
        events=(event,),
        estimated_delivery=datetime(2026, 5, 4, tzinfo=UTC).date(),
        related_numbers=(RelatedNumber(tracking_number="LP00100000000010", carrier="cainiao", relation="origin"),),
    )
    parcel = WatchedParcel(
        carrier=carrier,
        number=number,
        journey="LP00100000000010",
        metadata={"order": "A-1", "items": [1, 2], "nested": {"ok": True}},
        info=info,
        seen=frozenset({"abc", "def"}),
        added_at=1_700_000_000.5,
        next_poll_at=1_700_003_600.25,
        last_polled_at=1_700_000_100.0,
        last_event_at=1_700_000_050.0,
        errors=2,
        not_found=1,
        last_error="CarrierServerError: boom",
    )
    return attrs.evolve(parcel, **changes)


def sample_change(change_id: str = "c1", number: str = "9400111899223855123450", **changes: Any) -> TrackingChange:
    """A change with every field filled in."""
    parcel = sample_parcel(number)
    assert parcel.info is not None
    change = TrackingChange(
        change_id=change_id,
        carrier="usps",
        number=number,
        journey="LP00100000000010",
        old_status=TrackingStatus.PRE_TRANSIT,
        new_status=TrackingStatus.IN_TRANSIT,
        new_events=parcel.info.events,
        old_eta=None,
        new_eta=parcel.info.estimated_delivery,
        new_related=parcel.info.related_numbers,
        terminal=False,
        detected_at=datetime(2026, 5, 1, 13, 0, tzinfo=UTC),
        metadata={"order": "A-1"},
    )
    return attrs.evolve(change, **changes)


class StoreContract:
    """Behaviour every store backend must have. Override :meth:`make_store`."""

    def make_store(self) -> Store:
        """A fresh, empty store."""
        raise NotImplementedError

    def test_add_get_round_trip(self) -> None:
        store = self.make_store()
        parcel = sample_parcel()
        assert store.add(parcel) is True
        assert store.get("usps", parcel.number) == parcel
        assert store.get("cainiao", parcel.number) is None
        assert store.find(parcel.number) == [parcel]
        assert store.count() == 1

    def test_add_twice_keeps_the_first(self) -> None:
        store = self.make_store()
        first = sample_parcel(errors=0)
        assert store.add(first)
        assert store.add(sample_parcel(errors=5)) is False
        assert store.get("usps", first.number) == first

    def test_same_number_at_two_carriers(self) -> None:
        store = self.make_store()
        store.add(sample_parcel(carrier="usps"))
        store.add(sample_parcel(carrier="singpost"))
        assert [p.carrier for p in store.find(sample_parcel().number)] == ["singpost", "usps"]

    def test_remove(self) -> None:
        store = self.make_store()
        parcel = sample_parcel()
        store.add(parcel)
        assert store.remove("usps", parcel.number) is True
        assert store.remove("usps", parcel.number) is False
        assert store.get("usps", parcel.number) is None

    def test_parcels_filters_and_order(self) -> None:
        store = self.make_store()
        store.add(sample_parcel("A3", next_poll_at=30.0))
        store.add(sample_parcel("A1", next_poll_at=10.0))
        store.add(sample_parcel("A2", next_poll_at=20.0, state=ParcelState.DONE))
        store.add(sample_parcel("B1", carrier="cainiao", next_poll_at=5.0))
        assert [p.number for p in store.parcels()] == ["B1", "A1", "A2", "A3"]
        assert [p.number for p in store.parcels(due_before=25.0)] == ["B1", "A1"]
        assert [p.number for p in store.parcels(due_before=25.0, carrier="usps")] == ["A1"]
        assert [p.number for p in store.parcels(state=ParcelState.DONE)] == ["A2"]
        assert [p.number for p in store.parcels(limit=2)] == ["B1", "A1"]
        assert store.count(state=ParcelState.WATCHING) == 3
        assert store.due_carriers(10.0) == ["cainiao", "usps"]
        assert store.due_carriers(7.0) == ["cainiao"]
        assert store.next_due() == 5.0

    def test_never_due_parcels(self) -> None:
        store = self.make_store()
        store.add(sample_parcel("A1", next_poll_at=float("inf"), state=ParcelState.DONE))
        assert store.next_due() is None
        assert store.get("usps", "A1") == sample_parcel("A1", next_poll_at=float("inf"), state=ParcelState.DONE)
        assert store.parcels(due_before=1e300) == []

    def test_commit_updates_adds_and_queues(self) -> None:
        store = self.make_store()
        parcel = sample_parcel("A1")
        store.add(parcel)
        updated = attrs.evolve(parcel, errors=0, state=ParcelState.DONE, terminal_reason=TerminalReason.DELIVERED)
        leg = sample_parcel("B1", carrier="cainiao")
        queued = store.commit(CommitBatch(updates=[updated], changes=[sample_change("c1", "A1")], additions=[leg]))
        assert [c.change_id for c in queued] == ["c1"]
        assert store.get("usps", "A1") == updated
        assert store.get("cainiao", "B1") == leg
        assert store.pending() == [sample_change("c1", "A1")]

    def test_commit_never_resurrects_a_removed_parcel(self) -> None:
        store = self.make_store()
        parcel = sample_parcel("A1")
        store.add(parcel)
        store.remove("usps", "A1")
        store.commit(CommitBatch(updates=[attrs.evolve(parcel, errors=9)]))
        assert store.get("usps", "A1") is None

    def test_commit_does_not_overwrite_an_existing_addition(self) -> None:
        store = self.make_store()
        existing = sample_parcel("A1", errors=3)
        store.add(existing)
        store.commit(CommitBatch(additions=[sample_parcel("A1", errors=0)]))
        assert store.get("usps", "A1") == existing

    def test_a_change_id_is_queued_once_even_after_delivery(self) -> None:
        store = self.make_store()
        assert len(store.commit(CommitBatch(changes=[sample_change("c1")]))) == 1
        assert store.commit(CommitBatch(changes=[sample_change("c1")])) == []
        store.mark_delivered(["c1"])
        assert store.pending() == []
        assert store.commit(CommitBatch(changes=[sample_change("c1")])) == []
        assert store.pending() == []

    def test_pending_is_oldest_first_and_paged(self) -> None:
        store = self.make_store()
        for index in range(5):
            store.commit(CommitBatch(changes=[sample_change(f"c{index}")]))
        assert [c.change_id for c in store.pending()] == ["c0", "c1", "c2", "c3", "c4"]
        assert [c.change_id for c in store.pending(limit=2)] == ["c0", "c1"]
        store.mark_delivered(["c1", "c3", "unknown"])
        assert [c.change_id for c in store.pending()] == ["c0", "c2", "c4"]

    def test_change_round_trip(self) -> None:
        store = self.make_store()
        change = sample_change(terminal=True, terminal_reason=TerminalReason.DELIVERED, source="push")
        store.commit(CommitBatch(changes=[change]))
        assert store.pending() == [change]

    def test_concurrent_commits_lose_nothing(self) -> None:
        store = self.make_store()

        def worker(base: int) -> None:
            for index in range(25):
                store.commit(
                    CommitBatch(
                        changes=[sample_change(f"t{base}-{index}")], additions=[sample_parcel(f"N{base}-{index}")]
                    )
                )

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(store.pending()) == 100
        assert store.count() == 100
