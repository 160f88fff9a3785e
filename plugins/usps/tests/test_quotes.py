"""Rates that buy what they quote: every product of a real multi-product quote, bought through the fake."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import httpx
import pytest
from carrier_sdk_usps._mapping import LABEL_PRODUCT_FIELDS
from carrier_sdk_usps.fake import UspsFake

from carrier_sdk import Client, Money, Parcel, RateRequest, ShipmentRequest, ValidationError

from . import test_openapi as openapi
from .conftest import recipient, shipper

CORPUS = Path(__file__).parents[3] / "tests" / "external" / "usps"
#: karrio's options capture: 12 products over 5 mail classes (tests/external/SOURCES.md).
QUOTE = (CORPUS / "options_karrio_multi_product.json").read_bytes()


class QuoteThenFake:
    """Answers the options search with the corpus quote and everything else with the fake."""

    def __init__(self, fake: UspsFake) -> None:
        self.fake = fake
        self.labels: list[httpx.Request] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/shipments/v3/options/search"):
            return httpx.Response(200, content=QUOTE, headers={"content-type": "application/json"})
        response = self.fake.handle(request)
        if request.url.path.endswith("/labels/v3/label"):
            self.labels.append(request)
        return response


@pytest.fixture
def quoted(carrier_registry: Any) -> Iterator[tuple[Client, QuoteThenFake]]:
    wire = QuoteThenFake(UspsFake(seed=3))
    client = Client(
        settings={"usps": wire.fake.settings()},
        registry=carrier_registry,
        transport=httpx.MockTransport(wire.handle),
        rate_limits={"usps": None},
        sleep=lambda s: None,
    )
    yield client, wire
    client.close()


def _request() -> ShipmentRequest:
    return ShipmentRequest(
        shipper=shipper(),
        recipient=recipient(),
        parcels=[Parcel(weight="2", weight_unit="lb")],
        ship_date=date(2025, 5, 29),
        reference="quote-test",
    )


def test_every_product_of_a_real_quote_is_bought_as_quoted(quoted: tuple[Client, QuoteThenFake]) -> None:
    client, wire = quoted
    rates = client.rates(
        "usps",
        RateRequest(shipper=shipper(), recipient=recipient(), parcels=[Parcel(weight="2", weight_unit="lb")]),
    )
    assert len(rates) == 12
    assert len({json.dumps(dict(r.product), sort_keys=True) for r in rates}) == 12  # twelve distinct products
    for rate in rates:
        shipment = client.create_shipment("usps", _request(), rate=rate)
        package = json.loads(wire.labels[-1].content)["packageDescription"]
        for key in LABEL_PRODUCT_FIELDS:
            if key in rate.product:
                assert package[key] == rate.product[key], (rate.product_name, key)
        assert package["mailClass"] == rate.service
        assert shipment.quoted_price == rate.price
        assert shipment.service == rate.service
        assert shipment.price_changed is (shipment.price != rate.price)
    assert len(wire.labels) == len(wire.fake.charges) == 12


def test_each_purchase_of_the_quote_validates_against_the_openapi(quoted: tuple[Client, QuoteThenFake]) -> None:
    specs = openapi.spec_dir()
    if specs is None:
        pytest.skip(openapi.SKIP_REASON)
    if not specs.is_dir():
        pytest.fail(f"{openapi.SPEC_DIR_VARIABLE}={specs} is not a folder")
    client, wire = quoted
    rates = client.rates(
        "usps",
        RateRequest(shipper=shipper(), recipient=recipient(), parcels=[Parcel(weight="2", weight_unit="lb")]),
    )
    for rate in rates:
        client.create_shipment("usps", _request(), rate=rate)
    assert len(wire.labels) == len(rates) == 12
    for request in wire.labels:
        openapi.check("domestic-labels", "LabelRequest", json.loads(request.content), write=True)


def test_the_fakes_quotes_round_trip_and_a_moved_price_shows() -> None:
    fake = UspsFake(seed=4)
    client = Client(
        settings={"usps": fake.settings()},
        transport=fake.transport(),
        rate_limits={"usps": None},
        sleep=lambda s: None,
    )
    with client:
        rates = client.rates(
            "usps",
            RateRequest(shipper=shipper(), recipient=recipient(), parcels=[Parcel(weight="2", weight_unit="lb")]),
        )
        priority = [r for r in rates if r.service == "PRIORITY_MAIL"]
        assert {r.product["rateIndicator"] for r in priority} == {"SP", "FE"}  # one class, two products
        for rate in rates:
            shipment = client.create_shipment("usps", _request(), rate=rate)
            assert (shipment.price, shipment.quoted_price, shipment.price_changed) == (rate.price, rate.price, False)
        fake.price_change = Decimal("0.25")
        moved = client.create_shipment("usps", _request(), rate=priority[1])
        assert moved.quoted_price == priority[1].price
        assert moved.price == Money(amount=priority[1].price.amount + Decimal("0.25"), currency="USD")
        assert moved.price_changed


def test_a_rate_for_another_service_is_refused_before_any_request() -> None:
    fake = UspsFake(seed=5)
    with Client(settings={"usps": fake.settings()}, transport=fake.transport(), sleep=lambda s: None) as client:
        rate = client.rates(
            "usps",
            RateRequest(shipper=shipper(), recipient=recipient(), parcels=[Parcel(weight="1", weight_unit="lb")]),
        )[0]
        before = len(fake.requests)
        with pytest.raises(ValidationError):
            client.create_shipment("usps", attrs.evolve(_request(), service="MEDIA_MAIL"), rate=rate)
        assert len(fake.requests) == before


def test_international_quotes_are_bought_as_quoted() -> None:
    from .test_shipping import _international_request

    fake = UspsFake(seed=6)
    request = _international_request()
    with Client(
        settings={"usps": fake.settings()}, transport=fake.transport(), rate_limits={"usps": None}, sleep=lambda s: None
    ) as client:
        rates = client.rates(
            "usps", RateRequest(shipper=request.shipper, recipient=request.recipient, parcels=request.parcels)
        )
        assert {r.product["destinationEntryFacilityType"] for r in rates} == {"INTERNATIONAL_SERVICE_CENTER"}
        for rate in rates:
            shipment = client.create_shipment("usps", request, rate=rate)
            sent = json.loads(
                next(r for r in reversed(fake.requests) if r.url.path.endswith("/international-label")).content
            )
            for key in LABEL_PRODUCT_FIELDS:
                if key in rate.product:
                    assert sent["packageDescription"][key] == rate.product[key]
            assert (shipment.price, shipment.price_changed) == (rate.price, False)
            specs = openapi.spec_dir()
            if specs is not None and specs.is_dir():
                openapi.check("international-labels", "InternationalLabelRequest", sent, write=True)
