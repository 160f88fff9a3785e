"""OAuth2: caching, refresh ahead of expiry, single flight under concurrency, 401 handling."""

from __future__ import annotations

import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
import respx
from carrier_sdk_usps import UspsCarrier, UspsSettings
from carrier_sdk_usps._auth import parse_expires_in, refresh_margin
from carrier_sdk_usps._wire import DEFAULT_TOKEN_LIFETIME, PAYMENT_TOKEN_ASSUMED_LIFETIME, TOKEN_REFRESH_MARGIN
from carrier_sdk_usps.fake import UspsFake

from carrier_sdk import AsyncClient, AuthenticationError, CarrierRegistry, Client, TrackingStatus
from carrier_sdk.adapters import drive_sync

from .conftest import BASE, SETTINGS, load

pytestmark = pytest.mark.anyio

NUMBER = UspsFake.scenario_numbers["delivered"]


async def test_token_is_cached_across_calls(fake_runner: Any, fake: UspsFake) -> None:
    for _ in range(3):
        await fake_runner.call("track", NUMBER)
    assert fake.calls["token"] == 1
    assert fake.calls["track"] == 3


async def test_invalid_client_is_authentication_error(carrier_runner: Any, fake: UspsFake) -> None:
    runner = carrier_runner(settings={**fake.settings(), "client_secret": "wrong"}, transport=fake.transport())
    with pytest.raises(AuthenticationError) as info:
        await runner.call("track", NUMBER)
    assert info.value.error_code == "invalid_client"
    assert "wrong" not in str(info.value)
    assert "wrong" not in repr(info.value.request)
    assert fake.calls["track"] == 0


async def test_invalid_client_on_400_is_authentication_error(carrier_runner: Any) -> None:
    with respx.mock(base_url=BASE, assert_all_called=True) as mock:
        mock.post("/oauth2/v3/token").respond(400, json=load("oauth_invalid_client.json"))
        with pytest.raises(AuthenticationError):
            await carrier_runner().call("track", NUMBER)


async def test_token_endpoint_timeout(carrier_runner: Any) -> None:
    from carrier_sdk import APITimeoutError

    with respx.mock(base_url=BASE, assert_all_called=True) as mock:
        mock.post("/oauth2/v3/token").mock(side_effect=httpx.ReadTimeout("slow"))
        with pytest.raises(APITimeoutError):
            await carrier_runner(max_retries=0).call("track", NUMBER)


async def test_401_refreshes_once_then_succeeds(fake_runner: Any, fake: UspsFake) -> None:
    await fake_runner.call("track", NUMBER)
    fake.tokens.clear()  # the server forgets the token: the next call gets 401
    info = await fake_runner.call("track", NUMBER)
    assert info.status is TrackingStatus.DELIVERED
    assert fake.calls["token"] == 2
    assert fake.calls["track"] == 3


async def test_401_twice_is_authentication_error(fake_runner: Any, fake: UspsFake) -> None:
    fake.reject_all_tokens = True
    with pytest.raises(AuthenticationError) as info:
        await fake_runner.call("track", NUMBER)
    assert info.value.status_code == 401
    assert fake.calls["token"] == 2  # the first fetch and exactly one forced refresh
    assert fake.calls["track"] == 2


def test_expires_in_parsing() -> None:
    assert parse_expires_in(28799) == 28799
    assert parse_expires_in("11111") == 11111
    assert parse_expires_in(" 3600 ") == 3600
    assert parse_expires_in(None) == DEFAULT_TOKEN_LIFETIME
    assert parse_expires_in("soon") == DEFAULT_TOKEN_LIFETIME
    assert parse_expires_in(True) == DEFAULT_TOKEN_LIFETIME
    assert parse_expires_in(-5) == DEFAULT_TOKEN_LIFETIME
    assert refresh_margin(28799) == TOKEN_REFRESH_MARGIN == 1800
    assert refresh_margin(600) == 300  # capped at half the lifetime
    assert PAYMENT_TOKEN_ASSUMED_LIFETIME == 3000


def _carrier(fake: UspsFake, now: list[float]) -> UspsCarrier:
    settings = UspsSettings(**fake.settings())
    return UspsCarrier(settings, clock=lambda: now[0])


@pytest.mark.parametrize("expires_in", [28799, "28799"], ids=["int", "str"])
def test_token_refreshed_ahead_of_expiry(expires_in: int | str) -> None:
    now = [1_000_000.0]
    fake = UspsFake(clock=lambda: now[0])
    fake.expires_in = expires_in
    carrier = _carrier(fake, now)
    drive_sync(carrier.track(NUMBER), fake.handle)
    now[0] += 28799 - TOKEN_REFRESH_MARGIN - 1  # just before the refresh margin
    drive_sync(carrier.track(NUMBER), fake.handle)
    assert fake.calls["token"] == 1
    now[0] += 2  # inside the margin: refresh although the token is still valid
    drive_sync(carrier.track(NUMBER), fake.handle)
    assert fake.calls["token"] == 2


def test_cache_key_and_repr_never_contain_the_secret(fake: UspsFake) -> None:
    now = [1_000_000.0]
    carrier = _carrier(fake, now)
    drive_sync(carrier.track(NUMBER), fake.handle)
    keys = list(carrier._tokens._tokens)
    assert keys == [("oauth", "fake-usps-client-id", "")]
    secret = fake.settings()["client_secret"]
    assert all(secret not in "".join(k) for k in keys)
    assert secret not in repr(carrier.settings)
    assert secret not in repr(carrier._tokens)
    assert carrier.credential_id() == "fake-usps-client-id"


def test_token_single_flight_sync_threads(carrier_registry: CarrierRegistry) -> None:
    fake = UspsFake()

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/oauth2/v3/token"):
            time.sleep(0.05)  # a slow token endpoint: every thread arrives while it is in flight
        return fake.handle(request)

    client = Client(
        settings={"usps": fake.settings()},
        registry=carrier_registry,
        transport=httpx.MockTransport(handler),
        rate_limits={"usps": None},
        sleep=lambda s: None,
    )
    barrier = threading.Barrier(20)
    errors: list[BaseException] = []

    def work() -> None:
        barrier.wait()
        try:
            client.track(NUMBER)
        except BaseException as err:  # pragma: no cover - reported below
            errors.append(err)

    with ThreadPoolExecutor(max_workers=20) as pool:  # leaving the block waits for all 20
        for _ in range(20):
            pool.submit(work)
    client.close()
    assert errors == []
    assert fake.calls["token"] == 1
    assert fake.calls["track"] == 20


async def test_token_single_flight_async_tasks(carrier_registry: CarrierRegistry) -> None:
    fake = UspsFake()

    async def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/oauth2/v3/token"):
            await asyncio.sleep(0.05)
        return fake.handle(request)

    async def no_sleep(_: float) -> None:
        return None

    client = AsyncClient(
        settings={"usps": fake.settings()},
        registry=carrier_registry,
        transport=httpx.MockTransport(handler),
        rate_limits={"usps": None},
        sleep=no_sleep,
        http_backend="httpx",
    )
    results = await asyncio.gather(*(client.track(NUMBER) for _ in range(20)))
    await client.aclose()
    assert len(results) == 20
    assert fake.calls["token"] == 1
    assert fake.calls["track"] == 20


def test_settings_from_env_strings(carrier_registry: CarrierRegistry) -> None:
    from carrier_sdk.adapters import load_settings

    env = {
        "CARRIER_SDK_USPS_CLIENT_ID": "id-from-env",
        "CARRIER_SDK_USPS_CLIENT_SECRET": "secret-from-env",
        "CARRIER_SDK_USPS_ENVIRONMENT": "TEST",
        "CARRIER_SDK_USPS_SCOPES": "tracking,labels",
        "CARRIER_SDK_USPS_MID": "123456789",
        "CARRIER_SDK_USPS_ACCOUNT_TYPE": "permit",
        "CARRIER_SDK_USPS_TRACKING_API": "V3R2",
    }
    settings = load_settings(UspsCarrier, None, env)
    assert settings.api_base == "https://apis-tem.usps.com"
    assert settings.scopes == "tracking labels"
    assert settings.account_type == "PERMIT"
    assert settings.tracking_api == "v3r2"
    assert "secret-from-env" not in repr(settings)
    override = load_settings(UspsCarrier, {"base_url": "http://127.0.0.1:9/usps/"}, env)
    assert override.api_base == "http://127.0.0.1:9/usps"


@pytest.mark.parametrize(
    ("field", "value"), [("environment", "staging"), ("tracking_api", "v2"), ("mid", "12"), ("account_type", "CASH")]
)
def test_bad_settings_are_configuration_errors(field: str, value: str) -> None:
    from carrier_sdk import ConfigurationError
    from carrier_sdk.adapters import load_settings

    with pytest.raises(ConfigurationError) as info:
        load_settings(UspsCarrier, {**SETTINGS, field: value}, {})
    assert value not in str(info.value) or field in str(info.value)
