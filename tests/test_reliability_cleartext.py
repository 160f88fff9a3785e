"""Plain ``http://`` carrier URLs (issue 18, "decide and document").

Decided: outside the sandbox, a request to a non-loopback host over ``http://`` is refused before
any I/O with :class:`ConfigurationError` naming the opt-in (``allow_insecure_http=True``), since
production credentials would cross the network in cleartext. Loopback hosts are always allowed.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from carrier_sdk import AsyncClient, CarrierRegistry, Client, ConfigurationError, TrackingInfo
from carrier_sdk._cleartext import is_loopback
from carrier_sdk.testing import FakeCarrier, FakeCarrierAPIServer, fake_number, make_registry

PATHS = ["sync", "async"]


def _registry() -> CarrierRegistry:
    return make_registry(FakeCarrier)


def _track(path: str, base_url: str, **options: Any) -> tuple[Any, int]:
    """Track one number against ``base_url`` (answered in process); (outcome, requests sent)."""
    api = FakeCarrierAPIServer()
    sent: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return api.handle(request)

    registry = _registry()
    settings = {"fakecarrier": api.settings(base_url=base_url)}
    if path == "sync":
        with Client(
            settings=settings, registry=registry, environ={}, transport=httpx.MockTransport(handle), **options
        ) as client:
            try:
                return client.track(fake_number(2)), len(sent)
            except Exception as err:
                return err, len(sent)

    async def main() -> Any:
        async with AsyncClient(
            settings=settings, registry=registry, environ={}, transport=httpx.MockTransport(handle), **options
        ) as client:
            try:
                return await client.track(fake_number(2))
            except Exception as err:
                return err

    return asyncio.run(main()), len(sent)


@pytest.mark.parametrize("path", PATHS)
def test_cleartext_to_a_remote_host_is_refused_before_io(path: str) -> None:
    outcome, sent = _track(path, "http://user:s3cr3t@api.carrier.example")
    assert isinstance(outcome, ConfigurationError), repr(outcome)
    assert sent == 0
    assert "allow_insecure_http=True" in str(outcome)
    assert "http://api.carrier.example" in str(outcome)
    assert "s3cr3t" not in str(outcome)
    assert outcome.carrier == "fakecarrier"


@pytest.mark.parametrize("path", PATHS)
def test_cleartext_with_the_opt_in_is_sent(path: str) -> None:
    outcome, sent = _track(path, "http://api.carrier.example", allow_insecure_http=True)
    assert isinstance(outcome, TrackingInfo), repr(outcome)
    assert sent == 1


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("host", ["127.0.0.1:8080", "localhost", "[::1]:9000", "127.9.9.9"])
def test_cleartext_to_loopback_needs_no_opt_in(path: str, host: str) -> None:
    outcome, sent = _track(path, f"http://{host}")
    assert isinstance(outcome, TrackingInfo), repr(outcome)
    assert sent == 1


@pytest.mark.parametrize("path", PATHS)
def test_https_needs_no_opt_in(path: str) -> None:
    outcome, sent = _track(path, "https://api.carrier.example")
    assert isinstance(outcome, TrackingInfo), repr(outcome)
    assert sent == 1


def test_loopback_names() -> None:
    assert is_loopback("127.0.0.1")
    assert is_loopback("::1")
    assert is_loopback("LOCALHOST.")
    assert is_loopback("api.localhost")
    assert not is_loopback("localhost.example.com")
    assert not is_loopback("10.0.0.1")
    assert not is_loopback("128.0.0.1")


@pytest.mark.parametrize("path", PATHS)
def test_sandbox_needs_no_opt_in(path: str) -> None:
    outcome, sent = _track(path, "http://api.carrier.example", sandbox=True)
    assert isinstance(outcome, TrackingInfo), repr(outcome)
    assert sent == 1
