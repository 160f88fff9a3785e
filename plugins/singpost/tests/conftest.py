"""Shared fixtures: a registry with SingPost, a fake, and a driver running calls on both clients."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from carrier_sdk_singpost import SingPostCarrier
from carrier_sdk_singpost.fake import SingPostFake

from carrier_sdk import AsyncClient, CarrierRegistry, Client

FIXTURES = Path(__file__).parent / "fixtures"
API_KEY = "sp-test-key-0123456789"
APIM_HOST = "https://apim.singpost.com"
APIM_PATH = "/sp/tracking"


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def registry() -> CarrierRegistry:
    reg = CarrierRegistry()
    reg.add(SingPostCarrier)
    return reg


@pytest.fixture
def fake() -> SingPostFake:
    return SingPostFake(seed=0)


async def _no_sleep(seconds: float) -> None:
    return None


class Driver:
    """Runs one public client method on a fresh ``Client`` or ``AsyncClient`` (``kind``)."""

    def __init__(self, kind: str, registry: CarrierRegistry) -> None:
        self.kind = kind
        self.registry = registry

    def __call__(
        self,
        method: str,
        *args: Any,
        settings: dict[str, Any] | None = None,
        transport: Any = None,
        max_retries: int | None = None,
        **kwargs: Any,
    ) -> Any:
        options: dict[str, Any] = {
            "settings": {"singpost": settings if settings is not None else {"api_key": API_KEY}},
            "registry": self.registry,
            "environ": {},
        }
        if max_retries is not None:
            options["max_retries"] = max_retries
        if self.kind == "sync":
            with Client(**options, transport=transport, sleep=lambda s: None) as client:
                result = getattr(client, method)(*args, **kwargs)
                return list(result) if method == "track_many" else result

        async def main() -> Any:
            async with AsyncClient(**options, transport=transport, sleep=_no_sleep, http_backend="httpx") as client:
                result = getattr(client, method)(*args, **kwargs)
                if method == "track_many":
                    return [r async for r in result]
                return await result

        return anyio.run(main)


@pytest.fixture(params=["sync", "async"])
def drive(request: pytest.FixtureRequest, registry: CarrierRegistry) -> Driver:
    return Driver(request.param, registry)


@pytest.fixture
def fail_transport() -> Callable[[], httpx.MockTransport]:
    """A transport that fails the test if any request reaches it."""

    def handler(request: httpx.Request) -> httpx.Response:
        pytest.fail(f"unexpected I/O: {request.method} {request.url}")

    return lambda: httpx.MockTransport(handler)
