"""Shared fixtures: a registry with the USPS carrier, the fake, and sync/async client runners."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import pytest
from carrier_sdk_usps import UspsCarrier
from carrier_sdk_usps.fake import UspsFake

from carrier_sdk import Address, AsyncClient, CarrierRegistry, Client, Parcel

FIXTURES = Path(__file__).parent / "fixtures"
BASE = "https://apis.usps.com"
SETTINGS: dict[str, Any] = {
    "client_id": "client-123",
    "client_secret": "s3cr3t-value",
    "crid": "12345678",
    "mid": "123456",
    "manifest_mid": "123456",
    "account_type": "EPS",
    "account_number": "1000000000",
}


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def registry() -> CarrierRegistry:
    reg = CarrierRegistry()
    reg.add(UspsCarrier)
    return reg


@pytest.fixture
def fake() -> UspsFake:
    return UspsFake(seed=7)


async def _no_sleep(_: float) -> None:
    return None


class Runner:
    """Runs one public client operation the same way on a sync or an async client."""

    def __init__(self, client: Client | AsyncClient) -> None:
        self.client = client
        self.is_async = isinstance(client, AsyncClient)

    async def __call__(self, name: str, *args: Any, **kwargs: Any) -> Any:
        result = getattr(self.client, name)(*args, **kwargs)
        if self.is_async:
            result = await result
        return result

    async def track_many(self, numbers: list[str], **kwargs: Any) -> list[Any]:
        iterator = self.client.track_many(numbers, **kwargs)
        if self.is_async:
            return [r async for r in iterator]
        return list(iterator)

    async def run_flow(self, carrier: str, flow: Any) -> Any:
        impl = self.client._carrier(carrier)
        result = impl and self.client._run(impl, flow)
        return await result if self.is_async else result


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def make_runner(mode: str, registry: CarrierRegistry) -> AsyncIterator[Any]:
    """``make_runner(settings=..., transport=..., **client_kwargs)`` -> :class:`Runner`."""
    async with AsyncExitStack() as stack:

        def make(settings: dict[str, Any] | None = None, transport: Any = None, **kwargs: Any) -> Runner:
            kwargs.setdefault("rate_limits", {"usps": None})
            common = {"settings": {"usps": settings or dict(SETTINGS)}, "registry": registry, **kwargs}
            client: Client | AsyncClient
            if mode == "sync":
                client = Client(transport=transport, sleep=lambda s: None, **common)
                stack.callback(client.close)
            else:
                client = AsyncClient(transport=transport, sleep=_no_sleep, http_backend="httpx", **common)
                stack.push_async_callback(client.aclose)
            return Runner(client)

        yield make


@pytest.fixture
async def fake_runner(make_runner: Any, fake: UspsFake) -> Runner:
    runner: Runner = make_runner(settings=fake.settings(), transport=fake.transport())
    return runner


def shipper() -> Address:
    return Address(
        name="John Smith", street1="4120 Bingham Ave", city="St. Louis", state="MO", postal_code="63116", country="US"
    )


def recipient() -> Address:
    return Address(
        name="Joe Doe",
        street1="1100 Wyoming",
        street2="Suite 150",
        city="St. Louis",
        state="MO",
        postal_code="63118",
        country="US",
        phone="+1 (314) 555-0100",
    )


def parcel() -> Parcel:
    return Parcel(weight=8, weight_unit="oz", length=9, width=6, height=2, dimension_unit="in")
