"""Shared fixtures for the core tests: a FakeCarrier registry, its fake API, virtual time, and
one ``drive`` fixture that runs the same scenario on ``Client`` and ``AsyncClient``."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from carrier_sdk import (
    Address,
    AsyncClient,
    CarrierRegistry,
    Client,
    Customs,
    CustomsItem,
    Money,
    Parcel,
    ShipmentRequest,
)
from carrier_sdk.testing import FakeCarrier, FakeCarrierAPIServer


class VirtualClock:
    """A monotonic clock that only moves when somebody sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    async def asleep(self, seconds: float) -> None:
        self.sleep(seconds)
        await asyncio.sleep(0)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def registry() -> CarrierRegistry:
    reg = CarrierRegistry()
    reg.add(FakeCarrier)
    return reg


@pytest.fixture
def fake_api() -> FakeCarrierAPIServer:
    return FakeCarrierAPIServer()


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock()


class Driver:
    """Builds a client of one kind and runs an operation on it to completion."""

    def __init__(self, kind: str, registry: CarrierRegistry, api: FakeCarrierAPIServer, clock: VirtualClock) -> None:
        self.kind = kind
        self.registry = registry
        self.api = api
        self.clock = clock

    def kwargs(self, **overrides: Any) -> dict[str, Any]:
        kwargs: dict[str, Any] = {
            "settings": {"fakecarrier": self.api.settings()},
            "registry": self.registry,
            "transport": self.api.transport(),
            "clock": self.clock,
            "sleep": self.clock.sleep if self.kind == "sync" else self.clock.asleep,
            "seed": 1,
        }
        kwargs.update(overrides)
        return kwargs

    def __call__(self, op: Callable[[Any], Any], **overrides: Any) -> Any:
        kwargs = self.kwargs(**overrides)
        if self.kind == "sync":
            with Client(**kwargs) as client:
                return op(client)

        async def main() -> Any:
            async with AsyncClient(http_backend="httpx", **kwargs) as client:
                result = op(client)
                if hasattr(result, "__aiter__"):
                    return [item async for item in result]
                return await result

        return asyncio.run(main())

    def collect(self, op: Callable[[Any], Any], **overrides: Any) -> list[Any]:
        """Run an operation that returns an iterator (track_many) and list its items."""
        if self.kind == "sync":
            return self(lambda client: list(op(client)), **overrides)  # type: ignore[no-any-return]
        return self(op, **overrides)  # type: ignore[no-any-return]


@pytest.fixture(params=["sync", "async"])
def drive(
    request: pytest.FixtureRequest, registry: CarrierRegistry, fake_api: FakeCarrierAPIServer, clock: VirtualClock
) -> Driver:
    return Driver(request.param, registry, fake_api, clock)


@pytest.fixture(autouse=True)
def _private_cli_dirs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """The command's sandbox state and default config file live in a fresh folder per test,
    never in the user's own data or config directory."""
    base = tmp_path_factory.mktemp("cli-dirs")
    monkeypatch.setenv("CARRIER_SDK_DATA_DIR", str(base / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(base / "config"))


@pytest.fixture(scope="session")
def redis_server() -> Any:
    """A real redis-server on a free loopback port for the whole session (no fake Redis).

    Skips with the install command when the binary is missing, unless
    ``CARRIER_SDK_REQUIRE_REDIS=1`` (set by ``.ci/run``) turns that into a failure.
    """
    import os

    from carrier_sdk.testing.redis_server import RedisServer, RedisServerUnavailable

    try:
        server = RedisServer()
    except RedisServerUnavailable as err:
        if os.environ.get("CARRIER_SDK_REQUIRE_REDIS") == "1":
            pytest.fail(str(err))
        pytest.skip(str(err))
    with server:
        yield server


@pytest.fixture
def redis_url(redis_server: Any) -> str:
    """The session's Redis, emptied for this test."""
    redis_server.flush()
    return str(redis_server.url)


def cross_border_request(reference: str = "ORDER-1") -> ShipmentRequest:
    """A Hangzhou -> Austin label request with customs (Cainiao accepts it)."""
    return ShipmentRequest(
        shipper=Address(
            name="Sender Co",
            street1="88 Wenyi West Rd",
            city="Hangzhou",
            state="Zhejiang",
            postal_code="310000",
            country="CN",
            phone="057185022088",
        ),
        recipient=Address(
            name="Jane Doe",
            street1="1 Main St",
            city="Austin",
            state="TX",
            postal_code="78701",
            country="US",
            phone="5125550100",
        ),
        parcels=[Parcel(weight="0.5", weight_unit="kg", length="24", width="10", height="4.2")],
        customs=Customs(
            items=[
                CustomsItem(
                    description="Jigsaw puzzle",
                    quantity=2,
                    value=Money(amount="12.34", currency="USD"),
                    weight="200",
                    weight_unit="g",
                    hs_code="9503.00.41",
                    origin_country="CN",
                )
            ],
            importer_tax_id="P210001518521",
        ),
        reference=reference,
    )


@pytest.fixture
def make_shipment_request() -> Callable[..., ShipmentRequest]:
    """Builds :func:`cross_border_request` (a conftest cannot be imported by name)."""
    return cross_border_request
