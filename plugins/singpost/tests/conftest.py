"""Shared fixtures: SingPost as the test kit's carrier under test, and its fake."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from carrier_sdk_singpost import SingPostCarrier
from carrier_sdk_singpost.fake import SingPostFake

from carrier_sdk.adapters import Carrier

FIXTURES = Path(__file__).parent / "fixtures"
API_KEY = "sp-test-key-0123456789"
APIM_HOST = "https://apim.singpost.com"
APIM_PATH = "/sp/tracking"


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


@pytest.fixture
def carrier_class() -> type[Carrier]:
    """The test kit's ``carrier_registry`` and ``carrier_runner`` (over a client of each kind in
    turn: ``carrier_runner(transport=...)("track", number)``) are for SingPost, with ``API_KEY``."""
    return SingPostCarrier


@pytest.fixture
def carrier_settings() -> dict[str, Any]:
    return {"api_key": API_KEY}


@pytest.fixture
def fake() -> SingPostFake:
    return SingPostFake(seed=0)
