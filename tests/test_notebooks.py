"""The sync client works inside a running event loop, as every notebook cell runs (docs/notebooks.md)."""

from __future__ import annotations

import asyncio
import threading

from carrier_sdk import Client, TrackingStatus

from ._helpers import domestic_request


def _in_a_running_loop(cell: object) -> None:
    async def kernel() -> None:
        asyncio.get_running_loop()  # a cell runs while the kernel's loop runs
        assert callable(cell)
        cell()

    asyncio.run(kernel())


def test_every_sync_operation_works_inside_a_running_loop() -> None:
    seen: dict[str, object] = {}

    def cell() -> None:
        with Client(sandbox=True) as client:
            numbers = client.sandbox.scenario_numbers() if client.sandbox else {}
            seen["track"] = client.track(numbers["usps"]["delivered"]).status
            wanted = [numbers["usps"]["in_transit"], numbers["singpost"]["delivered"], "X"]
            seen["track_many"] = sorted((r.number, r.ok) for r in client.track_many(wanted))
            seen["wanted"] = sorted(zip(wanted, [True, True, False], strict=True))
            seen["journey"] = [leg.carrier for leg in client.track_journey(numbers["cainiao"]["handover"]).legs]
            request = domestic_request("US")
            shipment = client.create_shipment("usps", request)
            seen["cancel"] = client.cancel_shipment("usps", shipment.tracking_number).cancelled
            seen["loop_thread"] = threading.current_thread() is threading.main_thread()

    _in_a_running_loop(cell)
    assert seen["track"] == TrackingStatus.DELIVERED
    assert seen["track_many"] == seen["wanted"]
    assert seen["journey"][:2] == ["cainiao", "usps"]
    assert seen["cancel"] is True
    assert seen["loop_thread"] is True  # the calls ran on the loop's own thread, blocking it as a cell does
