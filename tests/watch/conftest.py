"""Virtual time and sandbox helpers for the watcher tests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from carrier_sdk import Client
from carrier_sdk.sandbox import Sandbox

#: A virtual "now" (late 2026) after which sandbox orders unfold.
T0 = 1_790_000_000.0


class VirtualClock:
    """A wall clock that only moves when told; ``sleep`` moves it and is recorded."""

    def __init__(self, start: float = T0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += max(seconds, 0.0)

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock()


@pytest.fixture
def sandbox(clock: VirtualClock) -> Sandbox:
    return Sandbox(clock=clock)


@pytest.fixture
def client(sandbox: Sandbox, clock: VirtualClock) -> Iterator[Client]:
    with Client(sandbox=sandbox, clock=clock, sleep=clock.sleep) as c:
        yield c


def add_cainiao_order(sandbox: Sandbox, number: str, created_at: float, destination: str = "US") -> None:
    """Put an order in the Cainiao fake, as create_shipment would: its history unfolds with the clock."""
    fake: Any = sandbox.fake("cainiao")
    fake.orders[number] = {
        "out_order_id": f"order-{number}",
        "tracking_number": number,
        "destination": destination,
        "created_at": created_at,
        "cancelled": False,
        "cancelled_at": None,
        "payload": {},
    }
