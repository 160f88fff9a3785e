"""Shared fixtures: a registry with SingPost, a fake, and ``drive`` running calls on both clients."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from carrier_sdk_singpost import SingPostCarrier
from carrier_sdk_singpost.fake import SingPostFake

from carrier_sdk import CarrierRegistry
from carrier_sdk.testing import OperationRunner, make_registry

FIXTURES = Path(__file__).parent / "fixtures"
API_KEY = "sp-test-key-0123456789"
APIM_HOST = "https://apim.singpost.com"
APIM_PATH = "/sp/tracking"


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


@pytest.fixture
def registry() -> CarrierRegistry:
    return make_registry(SingPostCarrier)


@pytest.fixture
def fake() -> SingPostFake:
    return SingPostFake(seed=0)


@pytest.fixture
def drive(make_runner: Callable[..., OperationRunner], registry: CarrierRegistry) -> Callable[..., Any]:
    """``drive(method, *args, settings=..., transport=..., max_retries=..., **kwargs)`` runs one
    client method on a fresh client of each kind in turn (the test kit's runner)."""

    def run(
        method: str,
        *args: Any,
        settings: dict[str, Any] | None = None,
        transport: Any = None,
        max_retries: int | None = None,
        **kwargs: Any,
    ) -> Any:
        options: dict[str, Any] = {} if max_retries is None else {"max_retries": max_retries}
        singpost = {"singpost": settings if settings is not None else {"api_key": API_KEY}}
        return make_runner(settings=singpost, registry=registry, transport=transport, **options)(
            method, *args, **kwargs
        )

    return run
