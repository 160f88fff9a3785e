from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from carrier_sdk_correos._carrier import CorreosCarrier
from carrier_sdk_correos.fake import CorreosFake

from carrier_sdk import Address, CarrierRegistry, Parcel, ShipmentRequest
from carrier_sdk.testing import OperationRunner, make_registry, sample_address

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
def registry() -> CarrierRegistry:
    return make_registry(CorreosCarrier)


@pytest.fixture
def fake() -> CorreosFake:
    return CorreosFake(seed=0, clock=lambda: 1_780_000_000.0)


@pytest.fixture
def make_client(
    make_runner: Callable[..., OperationRunner], registry: CarrierRegistry
) -> Callable[..., OperationRunner]:
    """``make_client(settings=None, transport=None, **client_options)``: the test kit's runner over a
    Correos client of each kind in turn (``client("track", number)``)."""

    def make(settings: dict[str, Any] | None = None, transport: Any = None, **options: Any) -> OperationRunner:
        correos = {"correos": dict(SETTINGS if settings is None else settings)}
        return make_runner(settings=correos, registry=registry, transport=transport, **options)

    return make


def address(**overrides: Any) -> Address:
    return sample_address("madrid-shop", **{"email": "shop@example.es", **overrides})


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
