"""Journeys: legs found through related numbers, merged events, bounded and loop-free."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import pytest

from carrier_sdk import (
    Capability,
    CarrierRegistry,
    Confidence,
    Identification,
    RelatedNumber,
    TrackingEvent,
    TrackingInfo,
    TrackingNotFoundError,
    TrackingStatus,
    UnknownCarrierError,
)
from carrier_sdk.adapters import Carrier
from carrier_sdk.testing import FakeCarrierSettings, make_registry

T0 = datetime(2025, 5, 21, tzinfo=UTC)


class Static(Carrier):
    """Answers from a table without I/O (a flow that returns before its first yield)."""

    capabilities: ClassVar[frozenset[Capability]] = frozenset({Capability.TRACK})
    Settings: ClassVar[type[Any]] = FakeCarrierSettings
    prefix: ClassVar[str]
    table: ClassVar[dict[str, TrackingInfo]]

    @classmethod
    def recognize(cls, number: str) -> Identification | None:
        if number.startswith(cls.prefix):
            return Identification(carrier=cls.code, confidence=Confidence.HIGH, reason="prefix")
        if len(number) == 13 and number[-2:] == "SG":  # every carrier here claims S10 SG weakly
            return Identification(carrier=cls.code, confidence=Confidence.LOW, reason="S10")
        return None

    @classmethod
    def answers(
        cls, number: str, hours: list[tuple[int, TrackingStatus, str]], related: Sequence[RelatedNumber] = ()
    ) -> None:
        """Track ``number`` as these (hours after T0, status, description) events, the latest its status."""
        events = [TrackingEvent(occurred_at=T0 + timedelta(hours=h), status=s, description=d) for h, s, d in hours]
        status = TrackingInfo.status_of(events)
        cls.table[number] = TrackingInfo(
            carrier=cls.code, tracking_number=number, status=status, events=events, related_numbers=related
        )

    def track(self, number: str) -> Any:
        if False:  # pragma: no cover - makes this a generator
            yield
        if number not in self.table:
            raise TrackingNotFoundError("unknown", carrier=self.code, status_code=404)
        return self.table[number]


class Origin(Static):
    code = "origin"
    display_name = "Origin"
    prefix = "LP"
    table: ClassVar[dict[str, TrackingInfo]] = {}


class LastMile(Static):
    code = "lastmile"
    display_name = "Last Mile"
    prefix = "94"
    table: ClassVar[dict[str, TrackingInfo]] = {}


@pytest.fixture
def journey_registry() -> CarrierRegistry:
    Origin.table.clear()
    LastMile.table.clear()
    reg = make_registry(Origin)
    reg.add(LastMile)
    return reg


SETTINGS = {"origin": {"api_key_id": "a", "api_key": "b"}, "lastmile": {"api_key_id": "a", "api_key": "b"}}


def test_handover_is_followed_and_events_merged(drive: Any, journey_registry: CarrierRegistry) -> None:
    Origin.answers(
        "LP00667794278588",
        [
            (0, TrackingStatus.PRE_TRANSIT, "order created"),
            (10, TrackingStatus.IN_TRANSIT, "departed"),
            (30, TrackingStatus.IN_TRANSIT, "handed to last mile"),
        ],
        [RelatedNumber(tracking_number="9400111899223855123450", carrier="lastmile", relation="last_mile")],
    )
    LastMile.answers(
        "9400111899223855123450",
        [
            (30, TrackingStatus.IN_TRANSIT, "Handed to last mile"),
            (40, TrackingStatus.OUT_FOR_DELIVERY, "out"),
            (45, TrackingStatus.DELIVERED, "delivered"),
        ],
    )
    journey = drive(lambda c: c.track_journey("LP00667794278588"), registry=journey_registry, settings=SETTINGS)
    assert [(leg.carrier, leg.relation) for leg in journey.legs] == [("origin", "start"), ("lastmile", "last_mile")]
    assert journey.status is TrackingStatus.DELIVERED
    times = [e.event.occurred_at for e in journey.events]
    assert times == sorted(times)
    assert len(journey.events) == 5  # the shared handover event appears once
    assert journey.failed_legs == ()


def test_failed_leg_is_reported_not_raised(drive: Any, journey_registry: CarrierRegistry) -> None:
    Origin.answers(
        "LP00667794278588",
        [(0, TrackingStatus.IN_TRANSIT, "x")],
        [
            RelatedNumber(tracking_number="9400111899223855123450", relation="last_mile"),
            RelatedNumber(tracking_number="ZZZ", relation="other"),
        ],
    )
    journey = drive(lambda c: c.track_journey("LP00667794278588"), registry=journey_registry, settings=SETTINGS)
    failed = {leg.tracking_number: leg.error for leg in journey.failed_legs}
    assert isinstance(failed["9400111899223855123450"], TrackingNotFoundError)
    assert isinstance(failed["ZZZ"], UnknownCarrierError)
    assert journey.status is TrackingStatus.IN_TRANSIT


def test_loops_and_depth_are_bounded(drive: Any, journey_registry: CarrierRegistry) -> None:
    Origin.answers(
        "LP00000000000001",
        [(0, TrackingStatus.IN_TRANSIT, "a")],
        [RelatedNumber(tracking_number="9400000000000000000002")],
    )
    LastMile.answers(
        "9400000000000000000002",
        [(1, TrackingStatus.IN_TRANSIT, "b")],
        [RelatedNumber(tracking_number="LP00000000000001")],
    )
    journey = drive(lambda c: c.track_journey("LP00000000000001"), registry=journey_registry, settings=SETTINGS)
    assert len(journey.legs) == 2  # A -> B -> A stops
    many = [RelatedNumber(tracking_number=f"LP0000000000{n:04d}") for n in range(2, 30)]
    Origin.answers("LP00000000000001", [(0, TrackingStatus.IN_TRANSIT, "a")], many)
    journey = drive(
        lambda c: c.track_journey("LP00000000000001", max_legs=3), registry=journey_registry, settings=SETTINGS
    )
    assert len(journey.legs) == 3


def test_s10_is_tracked_by_origin_and_destination(drive: Any, journey_registry: CarrierRegistry) -> None:
    class SgPost(Static):
        code = "sgpost"
        display_name = "SG Post"
        prefix = "RR"
        table: ClassVar[dict[str, TrackingInfo]] = {}

    journey_registry.add(SgPost)
    number = "RR123456785SG"
    SgPost.answers(
        number,
        [(0, TrackingStatus.IN_TRANSIT, "posted"), (20, TrackingStatus.IN_TRANSIT, "dispatched abroad")],
    )
    LastMile.answers(number, [(50, TrackingStatus.DELIVERED, "delivered")])
    settings = {**SETTINGS, "sgpost": {"api_key_id": "a", "api_key": "b"}}
    journey = drive(lambda c: c.track_journey(number), registry=journey_registry, settings=settings)
    assert journey.legs[0].carrier == "sgpost"
    assert {leg.carrier for leg in journey.legs} == {"sgpost", "origin", "lastmile"}
    assert journey.status is TrackingStatus.DELIVERED
    assert isinstance({leg.carrier: leg for leg in journey.legs}["origin"].error, TrackingNotFoundError)
