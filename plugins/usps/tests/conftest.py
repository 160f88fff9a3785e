"""Shared fixtures: a registry with the USPS carrier, the fake, and the test kit's runner set up for USPS."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from carrier_sdk_usps import UspsCarrier
from carrier_sdk_usps.fake import UspsFake

from carrier_sdk import Address, CarrierRegistry, Parcel
from carrier_sdk.testing import OperationRunner, make_registry, sample_address

FIXTURES = Path(__file__).parent / "fixtures"
BASE = "https://apis.usps.com"
#: The fake's account (CRID, MIDs, EPS account) with these tests' own API credentials.
SETTINGS: dict[str, Any] = {**UspsFake().settings(), "client_id": "client-123", "client_secret": "s3cr3t-value"}


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


@pytest.fixture
def registry() -> CarrierRegistry:
    return make_registry(UspsCarrier)


@pytest.fixture
def fake() -> UspsFake:
    return UspsFake(seed=7)


@pytest.fixture
def make_runner(
    make_runner: Callable[..., OperationRunner], registry: CarrierRegistry
) -> Callable[..., OperationRunner]:
    """``make_runner(settings=..., transport=..., **client_options)``: the test kit's runner for USPS
    (``await runner.call("track", number)``), of each client kind in turn."""

    def make(settings: dict[str, Any] | None = None, transport: Any = None, **options: Any) -> OperationRunner:
        options.setdefault("rate_limits", {"usps": None})
        usps = {"usps": settings or dict(SETTINGS)}
        return make_runner(settings=usps, registry=registry, transport=transport, **options)

    return make


@pytest.fixture
def fake_runner(make_runner: Callable[..., OperationRunner], fake: UspsFake) -> OperationRunner:
    return make_runner(settings=fake.settings(), transport=fake.transport())


def shipper() -> Address:
    return sample_address("st-louis")


def recipient() -> Address:
    return sample_address("st-louis-home", street2="Suite 150", phone="+1 (314) 555-0100")


def parcel() -> Parcel:
    return Parcel(weight=8, weight_unit="oz", length=9, width=6, height=2, dimension_unit="in")
