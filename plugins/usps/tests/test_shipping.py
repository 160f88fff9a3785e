"""Rates, labels, cancel and address validation: four cases each on both clients, plus the fake."""

from __future__ import annotations

import asyncio
import base64
import json
from datetime import date
from decimal import Decimal
from typing import Any

import httpx
import pytest
import respx
from carrier_sdk_usps import areconcile_label, reconcile_label
from carrier_sdk_usps._wire import idempotency_uuid
from carrier_sdk_usps.fake import UspsFake

from carrier_sdk import (
    Address,
    APIConnectionError,
    APITimeoutError,
    CustomsItem,
    InvalidRequestError,
    LabelFormat,
    Money,
    NotFoundError,
    OutcomeUnknownError,
    RateRequest,
    ShipmentRequest,
    TrackingStatus,
    ValidationError,
)
from carrier_sdk.fakes import FaultKind
from carrier_sdk.testing import sample_address, sample_customs, sample_customs_item

from .conftest import BASE, load, parcel, recipient, shipper

pytestmark = pytest.mark.anyio

PDF = b"%PDF-1.4\n% label fixture\n%%EOF\n"
KEY = "8be4df61-93ca-11d2-aa0d-00e098032b8c"


def _token(mock: respx.MockRouter) -> None:
    mock.post("/oauth2/v3/token").respond(json=load("token.json"))


def _payment(mock: respx.MockRouter) -> respx.Route:
    return mock.post("/payments/v3/payment-authorization").respond(json=load("payment_auth.json"))


def _multipart(metadata: dict[str, Any], image: bytes, boundary: str = "b0undary") -> httpx.Response:
    encoded = base64.b64encode(image).decode()
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="labelMetadata"\r\n'
        f"Content-Type: application/json\r\n\r\n{json.dumps(metadata)}\r\n"
        f'--{boundary}\r\nContent-Disposition: form-data; name="labelImage"; filename="labelImage.pdf"\r\n'
        f"Content-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        f"{encoded[:20]}\r\n{encoded[20:]}\r\n"
        f'--{boundary}\r\nContent-Disposition: form-data; name="receiptImage"; filename="receipt.pdf"\r\n'
        f"Content-Type: application/pdf\r\n\r\n{base64.b64encode(b'receipt').decode()}\r\n"
        f"--{boundary}--\r\n"
    )
    return httpx.Response(
        200, content=body.encode(), headers={"content-type": f"multipart/form-data; boundary={boundary}"}
    )


def _rate_request(**kwargs: Any) -> RateRequest:
    return RateRequest(
        shipper=shipper(), recipient=recipient(), parcels=[parcel()], ship_date=date(2025, 5, 26), **kwargs
    )


def _shipment_request(**kwargs: Any) -> ShipmentRequest:
    values: dict[str, Any] = {
        "shipper": shipper(),
        "recipient": recipient(),
        "parcels": [parcel()],
        "ship_date": date(2025, 5, 26),
        "reference": "ORDER-42",
    }
    values.update(kwargs)
    return ShipmentRequest(**values)


def _international_request(*items: CustomsItem) -> ShipmentRequest:
    """To Canberra, declaring ``items`` (the test kit's: two 200 g jigsaw puzzles at 12.34 USD) as merchandise."""
    customs = sample_customs(*items, contents_type="merchandise")
    return _shipment_request(recipient=sample_address("canberra"), customs=customs)


# -- transport failures of the calls that buy nothing ----------------------------------------------


@pytest.mark.parametrize(
    ("operation", "route", "failure", "error"),
    [
        (
            ("rates", "usps", _rate_request()),
            "POST /shipments/v3/options/search",
            httpx.ConnectError("refused"),
            APIConnectionError,
        ),
        (
            ("cancel_shipment", "usps", "EC123456785US"),
            "DELETE /international-labels/v3/international-label/EC123456785US",
            httpx.ReadTimeout("slow"),
            APITimeoutError,
        ),
        (
            ("validate_address", "usps", recipient()),
            "GET /addresses/v3/address",
            httpx.ReadTimeout("slow"),
            APITimeoutError,
        ),
    ],
    ids=["rates", "cancel", "address"],
)
async def test_transport_failure_is_typed(
    carrier_runner: Any, operation: tuple[Any, ...], route: str, failure: Exception, error: type[Exception]
) -> None:
    method, path = route.split()
    with respx.mock(base_url=BASE, assert_all_called=True) as mock:
        _token(mock)
        if operation[0] == "cancel_shipment":
            _payment(mock)  # a cancel authorizes the payment account first
        mock.request(method, path).mock(side_effect=failure)
        with pytest.raises(error):
            await carrier_runner(max_retries=0).call(*operation)


# -- rates ---------------------------------------------------------------------------------------


async def test_rates_request_built_and_parsed(carrier_runner: Any) -> None:
    with respx.mock(base_url=BASE, assert_all_called=True) as mock:
        _token(mock)
        route = mock.post("/shipments/v3/options/search").respond(json=load("options_domestic.json"))
        rates = await carrier_runner().call("rates", "usps", _rate_request())
    body = json.loads(route.calls.last.request.content)
    assert body == {
        "pricingOptions": [{"priceType": "COMMERCIAL"}],
        "originZIPCode": "63116",
        "destinationZIPCode": "63118",
        "packageDescription": {
            "weight": 0.5,
            "length": 9.0,
            "width": 6.0,
            "height": 2.0,
            "mailingDate": "2025-05-26",
            "mailClass": "ALL_OUTBOUND",
        },
    }
    assert route.calls.last.request.headers["authorization"].startswith("Bearer ")
    assert [(r.service, r.price.amount, r.estimated_days, r.delivery_date) for r in rates] == [
        ("USPS_GROUND_ADVANTAGE", Decimal("5.4"), 2, date(2025, 5, 28)),
        ("PRIORITY_MAIL", Decimal("10.6"), 1, date(2025, 5, 27)),  # totalPrice wins over the base price
    ]
    assert rates[0].price.currency == "USD"
    assert rates[0].service_name == "USPS Ground Advantage Machinable Single-piece"


async def test_rates_metric_parcel_converted_to_lb_and_inches(carrier_runner: Any) -> None:
    from carrier_sdk import Parcel

    request = RateRequest(
        shipper=shipper(),
        recipient=recipient(),
        parcels=[Parcel(weight=1, weight_unit="kg", length=30, width=20, height=10, dimension_unit="cm")],
        service="PRIORITY_MAIL",
        ship_date=date(2025, 5, 26),
    )
    with respx.mock(base_url=BASE, assert_all_called=True) as mock:
        _token(mock)
        route = mock.post("/shipments/v3/options/search").respond(json=load("options_domestic.json"))
        await carrier_runner().call("rates", "usps", request)
    package = json.loads(route.calls.last.request.content)["packageDescription"]
    assert package["weight"] == 2.21  # 2.2046 lb rounded up
    assert (package["length"], package["width"], package["height"]) == (11.82, 7.88, 3.94)
    assert package["mailClass"] == "PRIORITY_MAIL"


async def test_rates_carrier_error(carrier_runner: Any) -> None:
    with respx.mock(base_url=BASE, assert_all_called=True) as mock:
        _token(mock)
        mock.post("/shipments/v3/options/search").respond(400, json=load("options_error_030001.json"))
        with pytest.raises(InvalidRequestError) as info:
            await carrier_runner().call("rates", "usps", _rate_request())
    assert info.value.error_code == "030001"


async def test_rates_need_one_parcel(fake_runner: Any) -> None:
    request = RateRequest(shipper=shipper(), recipient=recipient(), parcels=[parcel(), parcel()])
    with pytest.raises(ValidationError):
        await fake_runner.call("rates", "usps", request)


async def test_rates_fake_domestic_and_international(fake_runner: Any) -> None:
    domestic = await fake_runner.call("rates", "usps", _rate_request())
    assert {r.service for r in domestic} == {"USPS_GROUND_ADVANTAGE", "PRIORITY_MAIL", "PRIORITY_MAIL_EXPRESS"}
    assert all(r.delivery_date is not None for r in domestic)
    request = RateRequest(shipper=shipper(), recipient=_international_request().recipient, parcels=[parcel()])
    international = await fake_runner.call("rates", "usps", request)
    assert {r.service for r in international} == {"PRIORITY_MAIL_INTERNATIONAL", "PRIORITY_MAIL_EXPRESS_INTERNATIONAL"}


# -- labels --------------------------------------------------------------------------------------


async def test_label_request_built_and_multipart_parsed(carrier_runner: Any) -> None:
    with respx.mock(base_url=BASE, assert_all_called=True) as mock:
        _token(mock)
        payment = _payment(mock)
        route = mock.post("/labels/v3/label").mock(return_value=_multipart(load("label_metadata.json"), PDF))
        shipment = await carrier_runner().call("create_shipment", "usps", _shipment_request(), idempotency_key=KEY)
    roles = json.loads(payment.calls.last.request.content)["roles"]
    assert roles[0] == {
        "roleName": "PAYER",
        "CRID": "12345678",
        "MID": "123456",
        "manifestMID": "123456",
        "accountType": "EPS",
        "accountNumber": "1000000000",
    }
    assert roles[1]["roleName"] == "LABEL_OWNER"
    request = route.calls.last.request
    assert request.headers["x-payment-authorization-token"] == "header.body.signature-payment-fixture"
    assert request.headers["x-idempotency-key"] == KEY
    assert request.headers["authorization"].startswith("Bearer ")
    body = json.loads(request.content)
    assert body["imageInfo"] == {"imageType": "PDF", "labelType": "4X6LABEL", "receiptOption": "NONE"}
    assert body["toAddress"] == {
        "firstName": "Joe",
        "lastName": "Doe",
        "phone": "3145550100",
        "streetAddress": "1100 Wyoming St",
        "city": "St. Louis",
        "state": "MO",
        "ZIPCode": "63118",
        "secondaryAddress": "Suite 150",
    }
    package = body["packageDescription"]
    assert package["mailClass"] == "USPS_GROUND_ADVANTAGE"
    assert package["weight"] == 0.5
    assert package["weightUOM"] == "lb"
    assert package["customerReference"] == [{"referenceNumber": "ORDER-42", "printReferenceNumber": True}]
    assert shipment.tracking_number == "9400111899223855123450"
    assert shipment.label.data == PDF
    assert shipment.label.format is LabelFormat.PDF
    assert shipment.price == Money(amount=Decimal("7.99"), currency="USD")
    assert shipment.idempotency_key == KEY
    assert shipment.carrier_reference == "420631182628"


async def test_label_json_variant(carrier_runner: Any) -> None:
    from .conftest import SETTINGS

    metadata = {**load("label_metadata.json"), "labelImage": base64.b64encode(PDF).decode()}
    with respx.mock(base_url=BASE, assert_all_called=True) as mock:
        _token(mock)
        _payment(mock)
        route = mock.post("/labels/v3/label").respond(
            json=metadata, headers={"content-type": "application/vnd.usps.labels+json"}
        )
        runner = carrier_runner(settings={**SETTINGS, "label_response": "json"})
        shipment = await runner.call("create_shipment", "usps", _shipment_request(), idempotency_key="not-a-uuid")
    assert route.calls.last.request.headers["accept"] == "application/vnd.usps.labels+json"
    assert route.calls.last.request.headers["x-idempotency-key"] == idempotency_uuid("not-a-uuid")
    assert shipment.label.data == PDF
    assert shipment.idempotency_key == "not-a-uuid"


@pytest.mark.parametrize(
    ("item", "weights"),
    [
        (sample_customs_item(), (0.45, 0.89)),  # 200 g = 0.4409 lb each, 0.8818 lb in all: rounded up
        (sample_customs_item(weight="0.3", weight_unit="lb"), (0.3, 0.6)),  # pounds are sent as they are
    ],
    ids=["grams", "pounds"],
)
async def test_international_label(carrier_runner: Any, item: CustomsItem, weights: tuple[float, float]) -> None:
    with respx.mock(base_url=BASE, assert_all_called=True) as mock:
        _token(mock)
        _payment(mock)
        route = mock.post("/international-labels/v3/international-label").respond(
            201, json=load("international_label.json"), headers={"content-type": "application/vnd.usps.labels+json"}
        )
        request = _international_request(item)
        shipment = await carrier_runner().call("create_shipment", "usps", request, idempotency_key=KEY)
    body = json.loads(route.calls.last.request.content)
    assert body["toAddress"]["countryISOAlpha2Code"] == "AU"
    assert body["toAddress"]["country"] == "Australia"
    assert body["packageDescription"]["mailClass"] == "PRIORITY_MAIL_INTERNATIONAL"
    assert body["customsForm"]["customsContentType"] == "MERCHANDISE"
    assert body["customsForm"]["contents"][0] == {
        "itemDescription": "Jigsaw puzzle",
        "itemQuantity": 2,
        "itemValue": 12.34,
        "itemTotalValue": 24.68,
        "weightUOM": "lb",
        "itemWeight": weights[0],
        "itemTotalWeight": weights[1],
        "countryofOrigin": "CN",
        "HSTariffNumber": "95030041",
    }
    assert "x-idempotency-key" not in route.calls.last.request.headers
    assert shipment.tracking_number == "EC123456785US"
    assert shipment.label.data.startswith(b"%PDF")
    assert shipment.price.amount == Decimal("48.6")


async def test_label_carrier_error(carrier_runner: Any) -> None:
    with respx.mock(base_url=BASE, assert_all_called=True) as mock:
        _token(mock)
        _payment(mock)
        mock.post("/labels/v3/label").respond(400, json=load("label_error_160001.json"))
        with pytest.raises(InvalidRequestError) as info:
            await carrier_runner().call("create_shipment", "usps", _shipment_request(), idempotency_key=KEY)
    assert info.value.error_code == "160001"
    assert "header.body.signature" not in repr(info.value.request.headers)


async def test_label_malformed_multipart_is_outcome_unknown(carrier_runner: Any) -> None:
    """Paid (2xx) but unreadable: OutcomeUnknownError with the key, never ResponseError."""

    broken = httpx.Response(
        200, content=b"--x\r\n\r\nnot json\r\n--x--\r\n", headers={"content-type": "multipart/form-data"}
    )
    with respx.mock(base_url=BASE, assert_all_called=True) as mock:
        _token(mock)
        _payment(mock)
        mock.post("/labels/v3/label").mock(return_value=broken)
        with pytest.raises(OutcomeUnknownError) as info:
            await carrier_runner().call("create_shipment", "usps", _shipment_request(), idempotency_key=KEY)
    assert info.value.idempotency_key == KEY
    assert info.value.response is not None
    assert info.value.response.status_code == 200


async def test_label_timeout_without_retries_is_outcome_unknown(carrier_runner: Any) -> None:
    with respx.mock(base_url=BASE, assert_all_called=True) as mock:
        _token(mock)
        _payment(mock)
        mock.post("/labels/v3/label").mock(side_effect=httpx.ReadTimeout("slow"))
        with pytest.raises(OutcomeUnknownError) as info:
            await carrier_runner(max_retries=0).call(
                "create_shipment", "usps", _shipment_request(), idempotency_key=KEY
            )
    assert info.value.idempotency_key == KEY
    assert info.value.reference == "ORDER-42"


async def test_label_connect_error_before_sending(carrier_runner: Any) -> None:
    with respx.mock(base_url=BASE, assert_all_called=True) as mock:
        _token(mock)
        _payment(mock)
        mock.post("/labels/v3/label").mock(side_effect=httpx.ConnectError("refused"))
        with pytest.raises((APIConnectionError, OutcomeUnknownError)):
            await carrier_runner(max_retries=0).call(
                "create_shipment", "usps", _shipment_request(), idempotency_key=KEY
            )


async def test_fake_label_lost_response_buys_exactly_once(fake_runner: Any, fake: UspsFake) -> None:
    fake.inject(FaultKind.LOST_RESPONSE, operation="create_shipment")
    shipment = await fake_runner.call("create_shipment", "usps", _shipment_request())
    assert fake.calls["create_shipment"] == 2  # resent with the same key after the lost response
    assert len(fake.labels) == 1
    assert len(fake.charges) == 1
    assert shipment.tracking_number in fake.labels
    info = await fake_runner.call("track", shipment.tracking_number)
    assert info.status is TrackingStatus.PRE_TRANSIT


async def test_fake_same_key_different_payload_rejected(fake_runner: Any, fake: UspsFake) -> None:
    first = await fake_runner.call("create_shipment", "usps", _shipment_request(), idempotency_key=KEY)
    again = await fake_runner.call("create_shipment", "usps", _shipment_request(), idempotency_key=KEY)
    assert again.tracking_number == first.tracking_number
    assert len(fake.charges) == 1
    with pytest.raises(InvalidRequestError) as info:
        await fake_runner.call("create_shipment", "usps", _shipment_request(reference="OTHER"), idempotency_key=KEY)
    assert info.value.status_code == 422
    assert len(fake.charges) == 1


async def test_fake_json_label_and_payment_token_cached(carrier_runner: Any, fake: UspsFake) -> None:
    runner = carrier_runner(settings={**fake.settings(), "label_response": "json"}, transport=fake.transport())
    one = await runner.call("create_shipment", "usps", _shipment_request())
    two = await runner.call("create_shipment", "usps", _shipment_request(reference="B"))
    assert one.label.data.startswith(b"%PDF")
    assert one.tracking_number != two.tracking_number
    assert fake.calls["payment_authorization"] == 1
    assert len(fake.payment_tokens) == 1


async def test_fake_international_label_and_cancel(fake_runner: Any, fake: UspsFake) -> None:
    shipment = await fake_runner.call("create_shipment", "usps", _international_request())
    assert shipment.tracking_number.endswith("US")
    cancellation = await fake_runner.call("cancel_shipment", "usps", shipment.tracking_number)
    assert cancellation.cancelled
    assert any("/international-labels/v3/international-label/" in str(r.url) for r in fake.requests)


async def test_labels_need_payment_roles(carrier_runner: Any, fake: UspsFake) -> None:
    runner = carrier_runner(settings={**fake.settings(), "crid": ""}, transport=fake.transport())
    with pytest.raises(ValidationError):
        await runner.call("create_shipment", "usps", _shipment_request())
    assert fake.calls["create_shipment"] == 0


# -- cancel --------------------------------------------------------------------------------------


async def test_cancel_request_built_and_parsed(carrier_runner: Any) -> None:
    number = "9400111899223855123450"
    with respx.mock(base_url=BASE, assert_all_called=True) as mock:
        _token(mock)
        _payment(mock)
        route = mock.delete(f"/labels/v3/label/{number}").respond(json=load("cancel_canceled.json"))
        cancellation = await carrier_runner().call("cancel_shipment", "usps", number)
    request = route.calls.last.request
    assert request.method == "DELETE"
    assert request.headers["x-payment-authorization-token"] == "header.body.signature-payment-fixture"
    assert cancellation.cancelled
    assert cancellation.status == "CANCELED"


async def test_cancel_disputed_is_not_cancelled(carrier_runner: Any) -> None:
    number = "9400111899223855123450"
    with respx.mock(base_url=BASE, assert_all_called=True) as mock:
        _token(mock)
        _payment(mock)
        mock.delete(f"/labels/v3/label/{number}").respond(
            json={"trackingNumber": number, "status": "DISPUTED", "disputeId": "104660"}
        )
        cancellation = await carrier_runner().call("cancel_shipment", "usps", number)
    assert not cancellation.cancelled
    assert "104660" in cancellation.message


async def test_cancel_not_found(carrier_runner: Any) -> None:
    number = "9400111899223855123450"
    with respx.mock(base_url=BASE, assert_all_called=True) as mock:
        _token(mock)
        _payment(mock)
        mock.delete(f"/labels/v3/label/{number}").respond(400, json=load("cancel_not_found.json"))
        with pytest.raises(NotFoundError):
            await carrier_runner().call("cancel_shipment", "usps", number)


async def test_fake_cancel_twice(fake_runner: Any) -> None:
    shipment = await fake_runner.call("create_shipment", "usps", _shipment_request())
    assert (await fake_runner.call("cancel_shipment", "usps", shipment.tracking_number)).cancelled
    with pytest.raises(InvalidRequestError):
        await fake_runner.call("cancel_shipment", "usps", shipment.tracking_number)


# -- reconciliation by idempotency key -----------------------------------------------------------


async def test_reconcile_label_by_key(fake_runner: Any, fake: UspsFake) -> None:
    shipment = await fake_runner.call(
        "create_shipment", "usps", _shipment_request(), idempotency_key="order-42-attempt"
    )

    async def reconcile(**kwargs: Any) -> Any:
        if fake_runner.kind == "async":
            return await areconcile_label(fake_runner.client, "order-42-attempt", **kwargs)
        return reconcile_label(fake_runner.client, "order-42-attempt", **kwargs)

    found = await reconcile()
    assert found.tracking_number == shipment.tracking_number
    assert found.label.data == shipment.label.data
    cancelled = await reconcile(cancel=True)
    assert cancelled.cancelled
    assert len(fake.charges) == 1
    missing = (
        areconcile_label(fake_runner.client, "never-used")
        if fake_runner.kind == "async"
        else asyncio.to_thread(reconcile_label, fake_runner.client, "never-used")
    )
    with pytest.raises(NotFoundError):
        await missing


# -- addresses -----------------------------------------------------------------------------------


async def test_address_request_built_and_parsed(carrier_runner: Any) -> None:
    with respx.mock(base_url=BASE, assert_all_called=True) as mock:
        _token(mock)
        route = mock.get("/addresses/v3/address").respond(json=load("address.json"))
        check = await carrier_runner().call("validate_address", "usps", recipient())
    params = dict(route.calls.last.request.url.params)
    assert params == {
        "streetAddress": "1100 Wyoming St",
        "secondaryAddress": "Suite 150",
        "city": "St. Louis",
        "state": "MO",
        "ZIPCode": "63118",
    }
    assert check.matched
    assert check.address.postal_code == "63118-2628"
    assert check.address.street1 == "1100 WYOMING ST"
    assert check.address.street2 == "STE 150"
    assert check.dpv_confirmation == "Y"
    assert check.residential is False
    assert check.corrections == ()
    assert check.messages == ("Single Response - exact match",)


async def test_address_010001_is_unmatched(carrier_runner: Any) -> None:
    with respx.mock(base_url=BASE, assert_all_called=True) as mock:
        _token(mock)
        mock.get("/addresses/v3/address").respond(400, json=load("address_010001.json"))
        check = await carrier_runner().call("validate_address", "usps", recipient())
    assert not check.matched
    assert check.address is None
    assert "010001" in check.messages[0]


async def test_address_other_400_is_invalid_request(carrier_runner: Any) -> None:
    with respx.mock(base_url=BASE, assert_all_called=True) as mock:
        _token(mock)
        mock.get("/addresses/v3/address").respond(
            400, json={"apiVersion": "/addresses/v3", "error": {"code": "400", "message": "state is invalid"}}
        )
        with pytest.raises(InvalidRequestError):
            await carrier_runner().call("validate_address", "usps", recipient())


async def test_address_fake(fake_runner: Any) -> None:
    ok = await fake_runner.call("validate_address", "usps", recipient())
    assert ok.matched
    assert len(ok.address.postal_code) == 10
    nowhere = Address(name="X", street1="12 Nowhere Road", city="Nope", state="MO", postal_code="63118", country="US")
    assert not (await fake_runner.call("validate_address", "usps", nowhere)).matched
    default = Address(
        name="X", street1="1 Main Street", city="Springfield", state="IL", postal_code="62701", country="US"
    )
    check = await fake_runner.call("validate_address", "usps", default)
    assert check.dpv_confirmation == "D"
    assert check.corrections[0].startswith("32")
