"""Refused calls never starve the rate limiter (issue 18): the deadline is checked before a slot
is reserved, and a slot beyond the deadline is not taken (virtual time, both clients)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, ClassVar

import httpx
import pytest

from carrier_sdk import APITimeoutError, AsyncClient, CarrierRegistry, Client, RateLimit, RateLimitError, TrackingInfo
from carrier_sdk.adapters import Flow
from carrier_sdk.testing import FakeCarrier, FakeCarrierAPIServer, VirtualClock, fake_number

PATHS = ["sync", "async"]


class TwoStepCarrier(FakeCarrier):
    """FakeCarrier whose tracking takes two requests (as a token fetch and the call would)."""

    code: ClassVar[str] = "twostep"
    display_name: ClassVar[str] = "Two steps"

    def track(self, number: str) -> Flow[TrackingInfo]:
        yield from super().track(number)
        return (yield from super().track(number))


def _run(
    path: str, clock: VirtualClock, handler: Callable[[httpx.Request], httpx.Response], calls: list[tuple[int, float]]
) -> list[Any]:
    """Track ``(number, deadline)`` one after the other with one call a minute allowed; the outcomes."""
    registry = CarrierRegistry()
    registry.add(TwoStepCarrier)
    options: dict[str, Any] = {
        "settings": {"twostep": FakeCarrierAPIServer().settings()},
        "registry": registry,
        "clock": clock,
        "rate_limits": {"twostep": RateLimit.per_minute(1)},
        "max_retries": 0,
    }
    outcomes: list[Any] = []
    if path == "sync":
        with Client(**options, transport=httpx.MockTransport(handler), sleep=clock.sleep) as client:
            for number, deadline in calls:
                try:
                    outcomes.append(client.with_options(deadline=deadline).track(fake_number(number)))
                except Exception as err:
                    outcomes.append(err)
        return outcomes

    async def main() -> None:
        async with AsyncClient(
            **options, transport=httpx.MockTransport(handler), sleep=clock.async_sleep, http_backend="httpx"
        ) as client:
            for number, deadline in calls:
                try:
                    outcomes.append(await client.with_options(deadline=deadline).track(fake_number(number)))
                except Exception as err:
                    outcomes.append(err)

    asyncio.run(main())
    return outcomes


@pytest.mark.parametrize("path", PATHS)
def test_calls_refused_by_their_deadline_leave_the_slots(path: str) -> None:
    clock = VirtualClock(start=1000.0)
    api = FakeCarrierAPIServer(clock=clock)
    sent: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(clock.now)
        return api.handle(request)

    # One call (two requests: two slots, at 1000 and 1060), ten refused ones with 10 s each, one more.
    calls = [(1, 600.0), *((n, 10.0) for n in range(2, 12)), (20, 600.0)]
    outcomes = _run(path, clock, handler, calls)
    refused = outcomes[1:-1]
    assert all(isinstance(o, RateLimitError) for o in refused), refused
    assert isinstance(outcomes[-1], TrackingInfo), outcomes[-1]
    # The last call's requests got the next two minutes' slots: the refused calls took none.
    assert sent == [1000.0, 1060.0, 1120.0, 1180.0], sent


@pytest.mark.parametrize("path", PATHS)
def test_a_request_after_the_deadline_takes_no_slot(path: str) -> None:
    """The first request's answer arrives after the call's deadline: the second request is not
    sent (APITimeoutError) and reserves nothing, so the next call is not held back."""
    clock = VirtualClock(start=1000.0)
    api = FakeCarrierAPIServer(clock=clock)
    sent: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(clock.now)
        if len(sent) == 1:
            clock.advance(70)  # past the first call's 20 s deadline, and past the next slot (1060)
        return api.handle(request)

    outcomes = _run(path, clock, handler, [(1, 20.0), (2, 600.0)])
    assert isinstance(outcomes[0], APITimeoutError), outcomes
    assert isinstance(outcomes[1], TrackingInfo), outcomes
    # The second call starts at once (1070: the slot at 1060 has passed, none was taken at 1070),
    # its second request a minute later.
    assert sent == [1000.0, 1070.0, 1130.0], sent
