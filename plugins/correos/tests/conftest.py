from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from carrier_sdk_correos._carrier import CorreosCarrier
from carrier_sdk_correos.fake import CorreosFake

from carrier_sdk import Address, Parcel, ShipmentRequest
from carrier_sdk.adapters import Carrier
from carrier_sdk.testing import sample_address

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
def carrier_class() -> type[Carrier]:
    """The test kit's ``carrier_registry`` and ``carrier_runner`` (over a client of each kind in
    turn: ``carrier_runner(transport=...)("track", number)``) are for Correos, with ``SETTINGS``."""
    return CorreosCarrier


@pytest.fixture
def carrier_settings() -> dict[str, Any]:
    return SETTINGS


@pytest.fixture
def fake() -> CorreosFake:
    return CorreosFake(seed=0, clock=lambda: 1_780_000_000.0)


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
