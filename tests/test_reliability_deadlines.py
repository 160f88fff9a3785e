"""Deadlines and Retry-After under attack (issue 18 items 5, 6 and 8), over real loopback sockets.

Every test measures seconds against the deadline on the sync client, the async client over
httpx and the async client over aiohttp.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import attrs
import httpx
import pytest

from carrier_sdk import (
    APITimeoutError,
    CarrierRegistry,
    CarrierServerError,
    RelatedNumber,
    RetryPolicy,
)
from carrier_sdk.testing import FakeCarrier, FakeCarrierAPIServer, fake_number, make_registry

from ._helpers import run_on_path
from .adversarial import AdversarialServer, Delay, Forward, Request, Respond, Trickle


@pytest.fixture(params=["sync", "async-httpx", "async-aiohttp"])
def path(request: pytest.FixtureRequest) -> str:
    if request.param == "async-aiohttp":
        pytest.importorskip("httpx_aiohttp")
    return str(request.param)


def call(
    path: str, settings: dict[str, Any], registry: CarrierRegistry, op: Callable[[Any], Any], **options: Any
) -> Any:
    """Run ``op(client)`` on ``path``; returns (result or exception, seconds)."""
    started = time.monotonic()
    result = run_on_path(path, op, settings=settings, registry=registry, **options)
    return result, time.monotonic() - started


def _fake_settings(url: str) -> dict[str, Any]:
    return {"fakecarrier": FakeCarrierAPIServer().settings(base_url=url)}


def track_fake(path: str, server: AdversarialServer, **options: Any) -> Any:
    """Track the fake carrier's parcel 2 through ``server`` on ``path``; returns (result or exception, seconds)."""
    return call(
        path, _fake_settings(server.url), make_registry(FakeCarrier), lambda c: c.track(fake_number(2)), **options
    )


BODY = b'{"number": "' + b"x" * 200 + b'"}'


# -- item 5: the whole-call deadline while reading headers and body ---------------------------


@pytest.mark.parametrize("where", ["body", "headers"])
def test_trickling_server_cannot_outlive_the_deadline(path: str, where: str) -> None:
    """One byte every 0.25 s (each read well inside the 5 s read timeout): the 2 s deadline holds."""
    trickle = Trickle(BODY, interval=0.25, trickle_headers=where == "headers")
    with AdversarialServer(lambda r: trickle) as server:
        result, seconds = track_fake(path, server, deadline=2.0, timeout=httpx.Timeout(5.0), max_retries=0)
    assert isinstance(result, APITimeoutError), repr(result)
    assert seconds < 3.0, f"{seconds:.2f} s against a 2 s deadline ({where} trickled)"


def test_trickled_oauth_token_fetch_obeys_the_deadline(path: str) -> None:
    """The USPS token endpoint trickles its answer: the call still ends at its deadline."""
    pytest.importorskip("carrier_sdk_usps")
    from carrier_sdk_usps._carrier import UspsCarrier
    from carrier_sdk_usps.fake import UspsFake

    fake = UspsFake(seed=1)
    token_body = b'{"access_token": "' + b"t" * 300 + b'", "token_type": "Bearer", "expires_in": 3600}'

    def behave(request: Request) -> Any:
        if request.operation == "token":
            return Trickle(token_body, interval=0.25)
        return Forward()

    registry = make_registry(UspsCarrier)
    number = fake.scenario_numbers["delivered"]
    with AdversarialServer(behave, api=fake, host_url="https://apis.usps.com") as server:
        result, seconds = call(
            path,
            {"usps": fake.settings(base_url=server.url)},
            registry,
            lambda c: c.track(number, carrier="usps"),
            deadline=2.0,
            timeout=httpx.Timeout(5.0),
            max_retries=0,
        )
        assert server.count("token") >= 1
    assert isinstance(result, APITimeoutError), repr(result)
    assert seconds < 3.0, f"{seconds:.2f} s against a 2 s deadline (token trickled)"


# -- item 6: the Retry-After cap on every status --------------------------------------------


@pytest.mark.parametrize("status", [503, 502])
def test_huge_retry_after_is_capped_on_every_status(path: str, status: int) -> None:
    """503 + Retry-After: 3000 inside a 3,600 s deadline: not waited out, typed error at once."""
    answer = Respond(status, (("content-type", "application/json"), ("retry-after", "3000")), b"{}")
    with AdversarialServer(lambda r: answer) as server:
        result, seconds = track_fake(path, server, deadline=3600.0, retry=RetryPolicy(max_retry_after=60.0))
        attempts = sum(server.counts.values())
    assert isinstance(result, CarrierServerError), repr(result)
    assert result.status_code == status
    assert attempts == 1
    assert seconds < 2.0, f"{seconds:.2f} s: a 3,000 s Retry-After was waited on"


def test_short_retry_after_on_503_is_honoured(path: str) -> None:
    """A Retry-After under the cap is waited, then the call succeeds."""
    api = FakeCarrierAPIServer()
    answers: list[Any] = [Respond(503, (("retry-after", "0.5"), ("content-type", "application/json")), b"{}")]

    def behave(request: Request) -> Any:
        return answers.pop() if answers else Forward()

    with AdversarialServer(behave, api=api, host_url="https://api.fakecarrier.test") as server:
        result, seconds = track_fake(path, server)
    assert not isinstance(result, Exception), repr(result)
    assert seconds >= 0.5


# -- item 8: one deadline for the whole journey ---------------------------------------------


class ChainCarrier(FakeCarrier):
    """FakeCarrier whose every parcel was handed over to the next serial number (a long journey)."""

    def track(self, number: str) -> Any:
        info = yield from super().track(number)
        serial = int(number[2:10])
        following = RelatedNumber(tracking_number=fake_number(serial + 1), carrier=self.code, relation="handover")
        return attrs.evolve(info, related_numbers=(following,))


def test_track_journey_has_one_deadline(path: str) -> None:
    """Each leg answers in 0.8 s; 4 legs would take 3.2 s; the journey's 2 s deadline holds."""
    api = FakeCarrierAPIServer()
    registry = make_registry(ChainCarrier)
    with AdversarialServer(lambda r: Delay(0.8, Forward()), api=api, host_url="https://api.fakecarrier.test") as server:
        journey, seconds = call(
            path,
            _fake_settings(server.url),
            registry,
            lambda c: c.track_journey(fake_number(1), carrier="fakecarrier", max_legs=4),
            deadline=2.0,
            max_retries=0,
        )
    assert not isinstance(journey, Exception), repr(journey)
    assert seconds < 2.6, f"{seconds:.2f} s against the journey's 2 s deadline"
    assert [leg.error is None for leg in journey.legs][:2] == [True, True]  # two legs fit in 2 s
    late = [leg for leg in journey.legs if leg.error is not None]
    assert late, "legs past the deadline are reported as errors"
    assert all(isinstance(leg.error, APITimeoutError) for leg in late)
