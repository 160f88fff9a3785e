from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from carrier_sdk_correos._carrier import CorreosCarrier
from carrier_sdk_correos.fake import CorreosFake

from carrier_sdk import Address, AsyncClient, CarrierRegistry, Client, Parcel, ShipmentRequest

FIXTURES = Path(__file__).parent / "fixtures"
TRACK_BASE = "https://localizador.correos.es"
TRACK_PATH = "/canonico/eventos_envio_servicio_auth"
PRE_URL = "https://preregistroenviospre.correos.es/preregistroenvios"
NUMBER = "PQXXX10721392610108021C"
SETTINGS: dict[str, Any] = {
    "tracking_user": "trk-user",
    "tracking_password": "trk-secret-canary",
    "preregistro_user": "pre-user",
    "preregistro_password": "pre-secret-canary",
    "labeller_code": "10BC",
    "environment": "pre-production",
}


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def registry() -> CarrierRegistry:
    reg = CarrierRegistry()
    reg.add(CorreosCarrier)
    return reg


@pytest.fixture
def fake() -> CorreosFake:
    return CorreosFake(seed=0, clock=lambda: 1_780_000_000.0)


class AsyncRunner:
    """Runs AsyncClient coroutines from sync test code, so one test body covers both clients."""

    def __init__(self, client: AsyncClient) -> None:
        self.client = client

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.client, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            return anyio.run(functools.partial(method, *args, **kwargs))

        return call

    def close(self) -> None:
        anyio.run(self.client.aclose)


async def _no_sleep(_: float) -> None:
    return None


@pytest.fixture(params=["sync", "async"])
def make_client(request: pytest.FixtureRequest, registry: CarrierRegistry) -> Iterator[Callable[..., Any]]:
    made: list[Any] = []

    def make(settings: dict[str, Any] | None = None, transport: Any = None, **kwargs: Any) -> Any:
        config = {"correos": dict(SETTINGS if settings is None else settings)}
        if request.param == "sync":
            client: Any = Client(
                settings=config, registry=registry, transport=transport, sleep=lambda s: None, environ={}, **kwargs
            )
        else:
            client = AsyncRunner(
                AsyncClient(
                    settings=config,
                    registry=registry,
                    transport=transport,
                    sleep=_no_sleep,
                    environ={},
                    http_backend="httpx",
                    **kwargs,
                )
            )
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


def address(**overrides: Any) -> Address:
    values: dict[str, Any] = {
        "name": "Tienda Ejemplo SL",
        "street1": "Calle Mayor 1",
        "city": "Madrid",
        "state": "Madrid",
        "postal_code": "28001",
        "country": "ES",
        "phone": "910 000 000",
        "email": "shop@example.es",
    }
    values.update(overrides)
    return Address(**values)


def shipment_request(**overrides: Any) -> ShipmentRequest:
    values: dict[str, Any] = {
        "shipper": address(),
        "recipient": address(
            name="Smith & Sons <Ltd>", street1="Calle del Mar 3", city="Peñíscola", postal_code="12598", state=""
        ),
        "parcels": [Parcel(weight="1.2", length=30, width=20, height=10)],
        "reference": "ORDER-1",
    }
    values.update(overrides)
    return ShipmentRequest(**values)


@pytest.fixture
def h() -> Any:
    """Shared constants and builders (test modules cannot import each other under importlib mode)."""
    import types

    return types.SimpleNamespace(
        FIXTURES=FIXTURES,
        TRACK_BASE=TRACK_BASE,
        TRACK_PATH=TRACK_PATH,
        PRE_URL=PRE_URL,
        NUMBER=NUMBER,
        SETTINGS=SETTINGS,
        fixture_bytes=fixture_bytes,
        address=address,
        shipment_request=shipment_request,
    )
