"""Shared fixtures for the core tests: a FakeCarrier registry, its fake API, virtual time, and
one ``drive`` fixture that runs the same scenario on ``Client`` and ``AsyncClient`` (through the
test kit's ``client_kind`` and :class:`~carrier_sdk.testing.OperationRunner`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from carrier_sdk import CarrierRegistry, ShipmentRequest
from carrier_sdk.testing import (
    ClientKind,
    FakeCarrier,
    FakeCarrierAPIServer,
    OperationRunner,
    VirtualClock,
    cross_border_request,
    make_registry,
)


@pytest.fixture
def registry() -> CarrierRegistry:
    return make_registry(FakeCarrier)


@pytest.fixture
def fake_api() -> FakeCarrierAPIServer:
    return FakeCarrierAPIServer()


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock(start=1000.0)


class Driver:
    """Runs an operation on a fresh client of one kind, wired to the fake API in virtual time."""

    def __init__(
        self, kind: ClientKind, registry: CarrierRegistry, api: FakeCarrierAPIServer, clock: VirtualClock
    ) -> None:
        self.kind = kind
        self.registry = registry
        self.api = api
        self.clock = clock

    def __call__(self, op: Callable[[Any], Any], **overrides: Any) -> Any:
        options: dict[str, Any] = {
            "settings": {"fakecarrier": self.api.settings()},
            "registry": self.registry,
            "transport": self.api.transport(),
            "seed": 1,
            **overrides,
        }
        with OperationRunner.open(self.kind, clock=self.clock, **options) as runner:
            return runner(op)


@pytest.fixture
def drive(
    client_kind: ClientKind, registry: CarrierRegistry, fake_api: FakeCarrierAPIServer, clock: VirtualClock
) -> Driver:
    return Driver(client_kind, registry, fake_api, clock)


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


@pytest.fixture
def make_shipment_request() -> Callable[..., ShipmentRequest]:
    """The test kit's :func:`~carrier_sdk.testing.cross_border_request` (``make_shipment_request("A-1")``)."""
    return cross_border_request
