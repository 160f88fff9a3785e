"""Shared fixtures: USPS as the test kit's carrier under test, its fake, and a runner over the fake."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from carrier_sdk_usps import UspsCarrier
from carrier_sdk_usps.fake import UspsFake

from carrier_sdk import Address, Parcel
from carrier_sdk.adapters import Carrier
from carrier_sdk.testing import OperationRunner, sample_address

FIXTURES = Path(__file__).parent / "fixtures"
BASE = "https://apis.usps.com"
#: The fake's account (CRID, MIDs, EPS account) with these tests' own API credentials.
SETTINGS: dict[str, Any] = {**UspsFake().settings(), "client_id": "client-123", "client_secret": "s3cr3t-value"}


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


@pytest.fixture
def carrier_class() -> type[Carrier]:
    """The test kit's ``carrier_registry`` and ``carrier_runner`` (of each client kind in turn:
    ``await carrier_runner(transport=...).call("track", number)``) are for USPS, with ``SETTINGS``."""
    return UspsCarrier


@pytest.fixture
def carrier_settings() -> dict[str, Any]:
    return SETTINGS


@pytest.fixture
def carrier_client_options() -> dict[str, Any]:
    return {"rate_limits": {"usps": None}}


@pytest.fixture
def fake() -> UspsFake:
    return UspsFake(seed=7)


@pytest.fixture
def fake_runner(carrier_runner: Callable[..., OperationRunner], fake: UspsFake) -> OperationRunner:
    return carrier_runner(settings=fake.settings(), transport=fake.transport())


def shipper() -> Address:
    return sample_address("st-louis")


def recipient() -> Address:
    return sample_address("st-louis-home", street2="Suite 150", phone="+1 (314) 555-0100")


def parcel() -> Parcel:
    return Parcel(weight=8, weight_unit="oz", length=9, width=6, height=2, dimension_unit="in")
