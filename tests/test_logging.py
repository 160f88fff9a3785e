"""What the SDK logs: the request id only when the carrier sent one, no production host in the sandbox."""

from __future__ import annotations

import logging

import httpx
import pytest

from carrier_sdk import Client, TrackingNotFoundError
from carrier_sdk.sandbox import Sandbox
from carrier_sdk.testing import FakeCarrier, FakeCarrierAPIServer, fake_number, make_registry


def _client(api: FakeCarrierAPIServer, request_id: str | None) -> Client:
    def handle(request: httpx.Request) -> httpx.Response:
        response = api.handle(request)
        if request_id is not None:
            response.headers["x-request-id"] = request_id
        return response

    registry = make_registry(FakeCarrier)
    return Client(
        settings={"fakecarrier": api.settings()},
        registry=registry,
        transport=httpx.MockTransport(handle),
        sleep=lambda seconds: None,
    )


def _attempt_lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "carrier_sdk" and " attempt " in r.getMessage()]


def test_the_request_id_is_logged_when_the_carrier_sent_one(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="carrier_sdk")
    with _client(FakeCarrierAPIServer(), "req-7f3a") as client:
        client.track(fake_number(12345678))
    [line] = _attempt_lines(caplog)
    assert line.getMessage().endswith(" (request id req-7f3a)")
    assert line.__dict__["request_id"] == "req-7f3a"


def test_no_request_id_means_no_mention_of_one(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="carrier_sdk")
    with _client(FakeCarrierAPIServer(), None) as client:
        client.track(fake_number(12345678))
    [line] = _attempt_lines(caplog)
    assert "request id" not in line.getMessage()
    assert "None" not in line.getMessage()
    assert line.getMessage().startswith("fakecarrier track attempt 1 -> 200 in ")
    assert line.__dict__["request_id"] is None


def _production_hosts(sandbox: Sandbox) -> set[str]:
    return {httpx.URL(base).host for fake in sandbox.fakes.values() for base in fake.base_urls}


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_sandbox_runs_log_no_production_hostname(kind: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)  # every logger: ours and httpx's request lines
    sandbox = Sandbox(seed=3)
    numbers = sandbox.scenario_numbers()
    tracked = [numbers["usps"]["delivered"], numbers["cainiao"]["in_transit"], numbers["usps"]["unknown"]]
    if kind == "sync":
        with Client(sandbox=sandbox, sleep=lambda seconds: None) as client:
            client.track(tracked[0])
            client.track(tracked[1])
            with pytest.raises(TrackingNotFoundError) as caught:
                client.track(tracked[2])
    else:
        import asyncio

        from carrier_sdk import AsyncClient

        async def run() -> pytest.ExceptionInfo[TrackingNotFoundError]:
            async def no_sleep(seconds: float) -> None:
                return None

            async with AsyncClient(sandbox=sandbox, sleep=no_sleep) as client:
                await client.track(tracked[0])
                await client.track(tracked[1])
                with pytest.raises(TrackingNotFoundError) as caught:
                    await client.track(tracked[2])
                return caught

        caught = asyncio.run(run())
    hosts = _production_hosts(sandbox)
    assert {"apis.usps.com"} <= hosts  # the check below looks for real names
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "HTTP Request:" in text  # httpx's own lines were captured
    assert "usps.sandbox.invalid" in text
    assert "cainiao.sandbox.invalid" in text
    for host in hosts:
        assert host not in text, f"a sandbox run logged the production host {host}"
    request = caught.value.request
    assert request is not None
    assert request.url.host == "usps.sandbox.invalid"  # errors name the sandbox too


def test_a_real_transport_keeps_its_hosts(caplog: pytest.LogCaptureFixture) -> None:
    # Relabelling is for sandbox runs only: a client with its own transport logs the real URL.
    caplog.set_level(logging.INFO, logger="httpx")
    with _client(FakeCarrierAPIServer(), None) as client:
        client.track(fake_number(12345678))
    host = httpx.URL(FakeCarrierAPIServer.base_urls[0]).host
    assert any(host in r.getMessage() for r in caplog.records)


def test_a_retried_sandbox_request_reaches_its_fake_again(caplog: pytest.LogCaptureFixture) -> None:
    # The relabelled request is resent as it is on a retry: it must still find its fake.
    caplog.set_level(logging.DEBUG)
    sandbox = Sandbox(seed=5)
    number = sandbox.scenario_numbers()["usps"]["delivered"]
    sandbox.inject("usps", "server_error", operation="track", count=2)
    with Client(sandbox=sandbox, sleep=lambda seconds: None) as client:
        assert client.track(number).status == "delivered"
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "retrying usps track" in text
    assert "apis.usps.com" not in text
