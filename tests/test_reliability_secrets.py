"""Secrets under attack (issue 18 item 12): carriers that echo credentials, transport errors' causes."""

from __future__ import annotations

import pickle
from typing import Any

import httpx
import pytest

from carrier_sdk import APIConnectionError, APIError, CarrierRegistry
from carrier_sdk.testing import FakeCarrier, fake_number, make_registry

from ._helpers import run_on_path
from .adversarial import AdversarialServer, Forward, Request, Reset, Respond


@pytest.fixture(params=["sync", "async-httpx", "async-aiohttp"])
def path(request: pytest.FixtureRequest) -> str:
    if request.param == "async-aiohttp":
        pytest.importorskip("httpx_aiohttp")
    return str(request.param)


def run(path: str, settings: dict[str, Any], registry: CarrierRegistry, op: Any) -> Any:
    return run_on_path(path, op, settings=settings, registry=registry, max_retries=0)


def _everything_kept(err: BaseException) -> str:
    """What an error report could show: message, repr, excerpt, pickle, and the whole cause chain."""
    parts = [str(err), repr(err), repr(pickle.dumps(err))]
    seen: BaseException | None = err
    for _ in range(10):
        if seen is None:
            break
        parts.append(repr(seen))
        for name in ("response", "request", "_request"):
            value = getattr(seen, name, None)
            if isinstance(value, httpx.Response):
                parts.append(value.content.decode("utf-8", "replace"))
                parts.append(repr(value.headers.multi_items()))
            if isinstance(value, httpx.Request):
                parts.append(repr(value.headers.multi_items()))
                parts.append(str(value.url))
        seen = seen.__cause__ or seen.__context__
    return "\n".join(parts)


def test_cainiao_gateway_echoing_the_secret_is_scrubbed(path: str) -> None:
    pytest.importorskip("carrier_sdk_cainiao")
    from carrier_sdk_cainiao._carrier import CainiaoCarrier
    from carrier_sdk_cainiao.fake import CainiaoFake

    fake = CainiaoFake()
    secret = fake.settings()["secret_key"]
    assert len(secret) >= 8

    def echo(request: Request) -> Any:
        body = (
            '{"success": "false", "errorCode": "S02", '
            f'"errorMsg": "sign check failure: expected digest of content+{secret}"}}'
        )
        return Respond(200, (("content-type", "application/json"), ("x-debug", f"key={secret}")), body.encode())

    registry = make_registry(CainiaoCarrier)
    number = next(iter(v for k, v in fake.scenario_numbers.items() if k == "in_transit"))
    with AdversarialServer(echo) as server:
        settings = {"cainiao": fake.settings(base_url=server.url + "/gateway/link.do")}
        err = run(path, settings, registry, lambda c: c.track(number, carrier="cainiao"))
    assert isinstance(err, APIError), repr(err)
    kept = _everything_kept(err)
    assert secret not in kept
    assert "[redacted]" in kept


def test_bearer_token_echoed_by_the_carrier_is_scrubbed(path: str) -> None:
    """A USPS error body that echoes the OAuth token the request carried keeps no trace of it."""
    pytest.importorskip("carrier_sdk_usps")
    from carrier_sdk_usps._carrier import UspsCarrier
    from carrier_sdk_usps.fake import UspsFake

    fake = UspsFake(seed=2)
    tokens: list[str] = []

    def behave(request: Request) -> Any:
        if request.operation == "token":
            return Forward()
        token = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        tokens.append(token)
        body = f'{{"error": {{"code": "400", "message": "bad request for token {token}"}}}}'
        return Respond(400, (("content-type", "application/json"),), body.encode())

    registry = make_registry(UspsCarrier)
    number = fake.scenario_numbers["delivered"]
    with AdversarialServer(behave, api=fake, host_url="https://apis.usps.com") as server:
        err = run(
            path, {"usps": fake.settings(base_url=server.url)}, registry, lambda c: c.track(number, carrier="usps")
        )
    assert isinstance(err, APIError), repr(err)
    assert tokens
    assert tokens[0]
    kept = _everything_kept(err)
    assert tokens[0] not in kept
    assert fake.settings()["client_secret"] not in kept


def test_transport_error_cause_holds_no_live_credentials(path: str) -> None:
    """A reset chains a copy of the httpx error over the redacted request, never the live one."""
    registry = make_registry(FakeCarrier)
    secret = "live-key-9f8e7d6c5b"
    with AdversarialServer(lambda r: Reset()) as server:
        settings = {"fakecarrier": {"api_key_id": "id", "api_key": secret, "base_url": server.url}}
        err = run(path, settings, registry, lambda c: c.track(fake_number(2)))
    assert isinstance(err, APIConnectionError), repr(err)
    assert err.__cause__ is not None
    kept = _everything_kept(err)
    assert secret not in kept
