"""Cross-carrier journeys through the sandbox: Cainiao hands over to each last-mile post.

These need the four plugins (installed by the README's commands); a bare core install skips.
"""

from __future__ import annotations

from typing import Any

import pytest

from carrier_sdk import AsyncClient, Client, TrackingStatus

cainiao_fake = pytest.importorskip("carrier_sdk_cainiao.fake", reason="the cainiao plugin is not installed")
for _name in ("carrier_sdk_usps", "carrier_sdk_singpost", "carrier_sdk_correos"):
    pytest.importorskip(_name, reason=f"{_name} is not installed")

HANDOVERS = sorted(cainiao_fake.CainiaoFake.handover_numbers.items())


def check(journey: Any, last_mile: str) -> None:
    assert [leg.carrier for leg in journey.legs] == ["cainiao", last_mile]
    assert journey.failed_legs == ()
    assert journey.status is TrackingStatus.DELIVERED
    handover = next(e for e in journey.events if e.carrier == "cainiao" and "last-mile" in e.event.description.lower())
    first_last_mile = next(e for e in journey.events if e.carrier == last_mile)
    assert first_last_mile.event.occurred_at > handover.event.occurred_at
    assert journey.events[-1].carrier == last_mile


@pytest.mark.parametrize(("last_mile", "number"), HANDOVERS)
def test_handover_journey_reads_in_order(last_mile: str, number: str) -> None:
    with Client(sandbox=True) as client:
        check(client.track_journey(number), last_mile)


@pytest.mark.anyio
@pytest.mark.parametrize(("last_mile", "number"), HANDOVERS)
async def test_handover_journey_async(last_mile: str, number: str) -> None:
    async with AsyncClient(sandbox=True) as client:
        check(await client.track_journey(number), last_mile)


def test_last_mile_number_alone_tracks_after_the_handover() -> None:
    with Client(sandbox=True) as client:
        origin = client.track(cainiao_fake.CainiaoFake.handover_numbers["usps"])
        (related,) = origin.related_numbers
        last_mile = client.track(related.tracking_number)
    assert last_mile.carrier == "usps"
    assert last_mile.events[0].occurred_at > origin.events[0].occurred_at
