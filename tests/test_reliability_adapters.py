"""Real adapters' purchases over a misbehaving loopback server (issue 18 items 3-4, issue 11 section 3).

The server forwards to each adapter's stateful fake and breaks one step on purpose. Each test
runs on the sync client, the async client over httpx and the async client over aiohttp.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from carrier_sdk import (
    InvalidRequestError,
    OutcomeUnknownError,
    ResponseError,
    ShipmentRequest,
)
from carrier_sdk.testing import cross_border_request, make_registry, sample_address

from ._helpers import domestic_request, run_on_path
from .adversarial import AdversarialServer, Forward, Request, Reset, Respond

carrier_sdk_cainiao = pytest.importorskip("carrier_sdk_cainiao")
carrier_sdk_correos = pytest.importorskip("carrier_sdk_correos")
carrier_sdk_usps = pytest.importorskip("carrier_sdk_usps")


@pytest.fixture(params=["sync", "async-httpx", "async-aiohttp"])
def path(request: pytest.FixtureRequest) -> str:
    if request.param == "async-aiohttp":
        pytest.importorskip("httpx_aiohttp")
    return str(request.param)


def buy(path: str, code: str, carrier_cls: type, settings: dict[str, Any], request: ShipmentRequest, key: str) -> Any:
    return run_on_path(
        path,
        lambda c: c.create_shipment(code, request, idempotency_key=key),
        skip_waits=True,
        settings={code: settings},
        registry=make_registry(carrier_cls),
        timeout=httpx.Timeout(3.0),
        max_retries=2,
    )


# -- Cainiao: the order is created, then the waybill step fails ---------------------------------


@pytest.mark.parametrize("failure", ["503", "reset"])
def test_cainiao_waybill_failure_after_order_is_outcome_unknown(path: str, failure: str) -> None:
    from carrier_sdk_cainiao._carrier import CainiaoCarrier
    from carrier_sdk_cainiao.fake import CainiaoFake

    fake = CainiaoFake()

    def behave(request: Request) -> Any:
        if request.operation == "waybill":
            return Reset() if failure == "reset" else Respond(503, (("content-type", "text/plain"),), b"busy")
        return Forward()

    with AdversarialServer(behave, api=fake, host_url="https://link.cainiao.com") as server:
        settings = fake.settings(base_url=server.url + "/gateway/link.do")
        outcome = buy(path, "cainiao", CainiaoCarrier, settings, cross_border_request("SHOP-REF-9"), "cn-key-1")
        orders = server.count("create_shipment")
    assert orders == 1, f"{orders} orders created for one call"
    assert isinstance(outcome, OutcomeUnknownError), repr(outcome)
    created = fake.orders_by_out_order_id("SHOP-REF-9")
    assert len(created) == 1
    assert outcome.identifiers.get("orderCode") == created[0]
    assert outcome.reference == "SHOP-REF-9"  # the outOrderId
    assert created[0] in str(outcome)
    assert "SHOP-REF-9" in str(outcome)
    assert outcome.idempotency_key == "cn-key-1"


# -- Correos: a 200 answer without its result element -------------------------------------------


def test_correos_200_without_result_is_not_a_refusal(path: str) -> None:
    from carrier_sdk_correos._carrier import CorreosCarrier
    from carrier_sdk_correos.fake import CorreosFake

    fake = CorreosFake()

    def strip_result(response: httpx.Response) -> httpx.Response:
        body = response.content
        start, end = body.find(b"<Resultado>"), body.find(b"</Resultado>")
        assert start >= 0, body[:300]
        assert end > start, body[:300]
        body = body[:start] + body[end + len(b"</Resultado>") :]
        return httpx.Response(response.status_code, headers=response.headers, content=body)

    def behave(request: Request) -> Any:
        return Forward(strip_result) if request.operation == "create_shipment" else Forward()

    request = domestic_request("ES", "ES-REF-1")
    with AdversarialServer(behave, api=fake, host_url="https://preregistroenvios.correos.es") as server:
        outcome = buy(path, "correos", CorreosCarrier, fake.settings(base_url=server.url), request, "es-1")
        registrations = server.count("create_shipment")
    assert registrations == 1
    assert not isinstance(outcome, InvalidRequestError), f"reported as refused: {outcome}"
    assert isinstance(outcome, OutcomeUnknownError), repr(outcome)
    assert len(fake.shipments) == 1  # it was registered
    number = next(iter(fake.shipments))
    assert outcome.identifiers.get("CodEnvio") == number
    assert outcome.idempotency_key == "es-1"
    assert outcome.reference == "ES-REF-1"


# -- USPS international: the caller's key on OutcomeUnknownError --------------------------------


def _usps_international() -> ShipmentRequest:
    """Washington -> Canberra with the test kit's customs declaration."""
    return cross_border_request("INTL-7", shipper=sample_address("washington"), recipient=sample_address("canberra"))


@pytest.mark.parametrize("failure", ["reset", "truncated"])
def test_usps_international_lost_label_carries_the_callers_key(path: str, failure: str) -> None:
    from carrier_sdk_usps._carrier import UspsCarrier
    from carrier_sdk_usps.fake import UspsFake

    fake = UspsFake(seed=3)

    def cut(response: httpx.Response) -> httpx.Response:
        return httpx.Response(response.status_code, headers=response.headers, content=response.content[:200])

    def behave(request: Request) -> Any:
        if "international-label" in request.path and request.method == "POST":
            return Reset() if failure == "reset" else Forward(cut)
        return Forward()

    with AdversarialServer(behave, api=fake, host_url="https://apis.usps.com") as server:
        outcome = buy(path, "usps", UspsCarrier, fake.settings(base_url=server.url), _usps_international(), "intl-key")
        labels = sum(n for k, n in server.counts.items() if k.startswith("POST /international-labels"))
    assert labels == 1, f"{labels} international labels bought for one call"
    assert isinstance(outcome, OutcomeUnknownError), repr(outcome)
    assert not isinstance(outcome, ResponseError)
    assert outcome.idempotency_key == "intl-key"
    assert "intl-key" in str(outcome)
    assert outcome.reference == "INTL-7"
