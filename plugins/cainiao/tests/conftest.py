"""Shared fixtures: settings, fixture payloads, and ``run`` driving Client and AsyncClient alike."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
from carrier_sdk_cainiao import CainiaoCarrier
from carrier_sdk_cainiao._auth import data_digest

from carrier_sdk import CarrierRegistry, Money, ShipmentRequest
from carrier_sdk.testing import (
    OperationRunner,
    cross_border_request,
    make_registry,
    sample_address,
    sample_customs,
    sample_customs_item,
)

FIXTURES = Path(__file__).parent / "fixtures"
URL = "https://link.cainiao.com/gateway/link.do"
SECRET = "test-secret"
SETTINGS = {"logistic_provider_id": "RESOURCE_CODE", "secret_key": SECRET}


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def reply(name: str, status: int = 200) -> httpx.Response:
    return httpx.Response(status, json=load(name))


def form_of(request: httpx.Request) -> dict[str, str]:
    """The sent form, after checking it is one value per field and correctly signed."""
    parsed = parse_qs(request.content.decode("utf-8"), keep_blank_values=True, errors="strict")
    assert all(len(v) == 1 for v in parsed.values())
    form = {k: v[0] for k, v in parsed.items()}
    assert form["data_digest"] == data_digest(form["logistics_interface"], SECRET)
    return form


def content_of(request: httpx.Request) -> Any:
    return json.loads(form_of(request)["logistics_interface"])


def registry() -> CarrierRegistry:
    return make_registry(CainiaoCarrier)


@pytest.fixture
def run(make_runner: Callable[..., OperationRunner]) -> Callable[..., Any]:
    """``run(method, *args, settings=..., transport=..., max_retries=2, **kwargs)`` calls one client
    method on a fresh client of each kind in turn (the test kit's runner)."""

    def call(
        method: str,
        *args: Any,
        settings: dict[str, Any] | None = None,
        transport: Any = None,
        max_retries: int = 2,
        **kwargs: Any,
    ) -> Any:
        cainiao = {"cainiao": settings or SETTINGS}
        runner = make_runner(settings=cainiao, registry=registry(), transport=transport, max_retries=max_retries)
        return runner(method, *args, **kwargs)

    return call


def shipment_request(**overrides: Any) -> ShipmentRequest:
    """The kit's cross-border request with a second street line and a unit price the adapter must
    round to cents (12.345 USD, half up)."""
    item = sample_customs_item(value=Money(amount="12.345", currency="USD"))
    fields: dict[str, Any] = {
        "recipient": sample_address("new-york", street2="Apt 2"),
        "customs": sample_customs(item),
        "reference": "SHOP-20240829-0001",
        **overrides,
    }
    return cross_border_request(**fields)


@pytest.fixture
def cx() -> Any:
    """This module's helpers (``--import-mode=importlib`` makes conftest unimportable by name)."""
    import sys

    return sys.modules[__name__]
