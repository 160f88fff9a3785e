"""cnge.order.create + cnge.waybill.get (create_shipment) and cnge.order.cancel."""

from __future__ import annotations

import base64

import httpx
import pytest
import respx

from carrier_sdk import (
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    InvalidRequestError,
    LabelFormat,
    NotFoundError,
    OutcomeUnknownError,
    Parcel,
    RelatedNumber,
    ResponseError,
    ValidationError,
)

ORDER = "LP00672818399569"
KEY = "k-0123456789abcdef"


def routes(mock, cx, create=None, waybill=None):
    """Route on msg_type like the gateway does; returns the list of calls per msg_type."""
    seen: dict[str, list[httpx.Request]] = {"cnge.order.create": [], "cnge.waybill.get": [], "cnge.order.cancel": []}
    answers = {
        "cnge.order.create": create or cx.reply("order_create_ok.json"),
        "cnge.waybill.get": waybill or cx.reply("waybill_ok.json"),
        "cnge.order.cancel": cx.reply("cancel_ok.json"),
    }

    def handler(request: httpx.Request):
        msg_type = cx.form_of(request)["msg_type"]
        seen[msg_type].append(request)
        answer = answers[msg_type]
        if isinstance(answer, Exception):
            raise answer
        return answer

    mock.post(cx.URL).mock(side_effect=handler)
    return seen


def test_create_request_is_built_from_the_shipment(run, cx) -> None:
    with respx.mock(assert_all_called=True) as mock:
        seen = routes(mock, cx)
        run("create_shipment", "cainiao", cx.shipment_request(), idempotency_key=KEY)
    [create] = seen["cnge.order.create"]
    form = cx.form_of(create)
    assert (form["msg_type"], form["to_code"]) == ("cnge.order.create", "CNGCP-OPEN")
    body = cx.content_of(create)
    assert body["outOrderId"] == "SHOP-20240829-0001"
    assert body["syncGetTrackingNumber"] == "true"
    assert body["solutionParam"] == {"solutionCode": "CN_GLO_STD", "importCustomsParam": {"taxNumber": "P210001518521"}}
    [package] = body["packageParams"]
    assert package["weight"] == "500"  # grams
    assert (package["length"], package["width"], package["height"]) == ("24", "10", "5")  # cm, rounded up
    [item] = package["itemParams"]
    assert item == {
        "itemId": "373871",
        "sku": "373871",
        "quantity": "2",
        "englishName": "Jigsaw puzzle",
        "unitPrice": "1235",  # minor units, half up
        "unitPriceCurrency": "USD",
        "weight": "200",
        "hscode": "95030041",
    }
    assert body["senderParam"]["countryCode"] == "CN"
    assert body["senderParam"]["city"] == "Hangzhou"
    assert body["receiverParam"]["countryCode"] == "US"
    assert body["receiverParam"]["detailAddress"] == "350 5th Ave, Apt 2"
    assert body["receiverParam"]["zipCode"] == "10118"
    [waybill] = seen["cnge.waybill.get"]
    assert cx.form_of(waybill)["to_code"] == "CGOP"
    assert cx.content_of(waybill) == {"orderCode": ORDER, "waybillType": "1", "locale": "en_US"}


def test_out_order_id_falls_back_to_the_idempotency_key(run, cx) -> None:
    with respx.mock(assert_all_called=True) as mock:
        seen = routes(mock, cx)
        run("create_shipment", "cainiao", cx.shipment_request(reference="", service="CN_GLO_EXP"), idempotency_key=KEY)
    body = cx.content_of(seen["cnge.order.create"][0])
    assert body["outOrderId"] == KEY
    assert body["solutionParam"]["solutionCode"] == "CN_GLO_EXP"


def test_create_success(run, cx) -> None:
    with respx.mock(assert_all_called=True) as mock:
        routes(mock, cx)
        shipment = run("create_shipment", "cainiao", cx.shipment_request(), idempotency_key=KEY)
    assert shipment.carrier == "cainiao"
    assert shipment.tracking_number == "CNUS0001234567890HD"
    assert shipment.carrier_reference == ORDER
    assert shipment.idempotency_key == KEY
    assert shipment.service == "CN_GLO_STD"
    assert shipment.label.format is LabelFormat.PDF
    assert shipment.label.data.startswith(b"%PDF-1.4")
    assert shipment.related_numbers == (RelatedNumber(tracking_number=ORDER, carrier="cainiao", relation="order"),)


def test_create_without_tracking_number_uses_the_order_code(run, cx) -> None:
    create = httpx.Response(200, json={"success": "true", "data": {"orderCode": ORDER}})
    waybill = httpx.Response(
        200, json={"success": "true", "data": {"waybillPdfData": base64.b64encode(b"%PDF").decode()}}
    )
    with respx.mock(assert_all_called=True) as mock:
        routes(mock, cx, create=create, waybill=waybill)
        shipment = run("create_shipment", "cainiao", cx.shipment_request(), idempotency_key=KEY)
    assert shipment.tracking_number == ORDER
    assert shipment.carrier_reference == ORDER
    assert shipment.related_numbers == ()


@pytest.mark.parametrize(
    ("fixture", "cls"), [("error_param.json", InvalidRequestError), ("error_sign.json", AuthenticationError)]
)
def test_create_carrier_error(run, cx, fixture, cls) -> None:
    with respx.mock(assert_all_called=True) as mock:
        seen = routes(mock, cx, create=cx.reply(fixture))
        with pytest.raises(cls) as info:
            run("create_shipment", "cainiao", cx.shipment_request(), idempotency_key=KEY)
    assert info.value.error_code == cx.load(fixture)["errorCode"]
    assert info.value.operation == "create_shipment"
    assert seen["cnge.waybill.get"] == []
    assert len(seen["cnge.order.create"]) == 1


def test_waybill_error_names_the_created_order(run, cx) -> None:
    """The order exists once its create answered 2xx: a failed waybill step is OutcomeUnknownError."""
    with respx.mock(assert_all_called=True) as mock:
        routes(mock, cx, waybill=cx.reply("error_not_found.json"))
        with pytest.raises(OutcomeUnknownError, match=ORDER) as info:
            run("create_shipment", "cainiao", cx.shipment_request(), idempotency_key=KEY)
    assert "SHOP-20240829-0001" in str(info.value)
    assert info.value.identifiers["orderCode"] == ORDER
    assert info.value.reference == "SHOP-20240829-0001"
    assert info.value.idempotency_key == KEY


def test_unusable_waybill_is_outcome_unknown(run, cx) -> None:
    bad = httpx.Response(200, json={"success": "true", "data": {"waybillPdfData": "***not base64***"}})
    with respx.mock(assert_all_called=True) as mock:
        routes(mock, cx, waybill=bad)
        with pytest.raises(OutcomeUnknownError, match=ORDER) as info:
            run("create_shipment", "cainiao", cx.shipment_request(), idempotency_key=KEY)
    assert not isinstance(info.value, ResponseError)
    assert info.value.identifiers["orderCode"] == ORDER


@pytest.mark.parametrize("exc", [httpx.ReadTimeout("lost"), httpx.RemoteProtocolError("reset")])
def test_create_ambiguous_failure_is_outcome_unknown_and_not_retried(run, cx, exc) -> None:
    with respx.mock(assert_all_called=True) as mock:
        seen = routes(mock, cx, create=exc)
        with pytest.raises(OutcomeUnknownError) as info:
            run("create_shipment", "cainiao", cx.shipment_request(), idempotency_key=KEY)
    assert len(seen["cnge.order.create"]) == 1  # no key Cainiao honours: never resent
    assert info.value.idempotency_key == KEY
    assert info.value.reference == "SHOP-20240829-0001"  # the outOrderId to reconcile with


def test_create_server_error_is_outcome_unknown(run, cx) -> None:
    with respx.mock(assert_all_called=True) as mock:
        seen = routes(mock, cx, create=httpx.Response(502, json={"success": "false", "errorCode": "SYSTEM_ERROR"}))
        with pytest.raises(OutcomeUnknownError):
            run("create_shipment", "cainiao", cx.shipment_request(), idempotency_key=KEY)
    assert len(seen["cnge.order.create"]) == 1


def test_create_connect_error_never_sent_is_retried_then_typed(run, cx) -> None:
    with respx.mock(assert_all_called=True) as mock:
        seen = routes(mock, cx, create=httpx.ConnectError("refused"))
        with pytest.raises(APIConnectionError):
            run("create_shipment", "cainiao", cx.shipment_request(), idempotency_key=KEY)
    assert len(seen["cnge.order.create"]) == 3


def test_waybill_transient_failure_is_retried(run, cx) -> None:
    answers = iter([httpx.ReadTimeout("slow"), cx.reply("waybill_ok.json")])
    with respx.mock(assert_all_called=True) as mock:
        seen = routes(mock, cx)

        def handler(request):
            msg_type = cx.form_of(request)["msg_type"]
            seen[msg_type].append(request)
            if msg_type == "cnge.order.create":
                return cx.reply("order_create_ok.json")
            answer = next(answers)
            if isinstance(answer, Exception):
                raise answer
            return answer

        mock.routes[0].side_effect = handler
        shipment = run("create_shipment", "cainiao", cx.shipment_request(), idempotency_key=KEY)
    assert shipment.carrier_reference == ORDER
    assert len(seen["cnge.order.create"]) == 1
    assert len(seen["cnge.waybill.get"]) == 2


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"label_format": "zpl"}, "label_format"),
        ({"parcels": [Parcel(weight=1), Parcel(weight=2)]}, "parcels"),
    ],
)
def test_create_validation_before_any_io(run, cx, overrides, field) -> None:
    with respx.mock(assert_all_called=False) as mock:
        route = mock.post(cx.URL)
        with pytest.raises(ValidationError) as info:
            run("create_shipment", "cainiao", cx.shipment_request(**overrides), idempotency_key=KEY)
    assert info.value.field == field
    assert route.call_count == 0


def test_sender_must_be_in_china(run, cx) -> None:
    from carrier_sdk import Address

    req = cx.shipment_request(shipper=Address(name="X", street1="1 Rd", city="Singapore", country="SG"))
    with respx.mock(assert_all_called=False) as mock:
        route = mock.post(cx.URL)
        with pytest.raises(ValidationError) as info:
            run("create_shipment", "cainiao", req, idempotency_key=KEY)
    assert info.value.field == "shipper.country"
    assert route.call_count == 0


# -- cancel -------------------------------------------------------------------------------------


def test_cancel_request(run, cx) -> None:
    with respx.mock(assert_all_called=True) as mock:
        seen = routes(mock, cx)
        run("cancel_shipment", "cainiao", "lp00672818399569")
    [request] = seen["cnge.order.cancel"]
    assert cx.form_of(request)["to_code"] == "CNGCP-OPEN"
    assert cx.content_of(request) == {"orderCode": ORDER, "locale": "en_US"}


def test_cancel_success(run, cx) -> None:
    with respx.mock(assert_all_called=True) as mock:
        routes(mock, cx)
        result = run("cancel_shipment", "cainiao", ORDER)
    assert (result.carrier, result.tracking_number, result.cancelled, result.status) == (
        "cainiao",
        ORDER,
        True,
        "CANCELLED",
    )


@pytest.mark.parametrize(
    ("body", "cls"),
    [
        ({"success": "false", "errorCode": "ORDER_NOT_EXIST", "errorMsg": "order not exist"}, NotFoundError),
        ({"success": "false", "errorCode": "ORDER_STATUS_ERROR", "errorMsg": "already shipped"}, InvalidRequestError),
    ],
)
def test_cancel_carrier_error(run, cx, body, cls) -> None:
    with respx.mock(assert_all_called=True) as mock:
        mock.post(cx.URL).mock(return_value=httpx.Response(200, json=body))
        with pytest.raises(cls) as info:
            run("cancel_shipment", "cainiao", ORDER)
    assert info.value.error_code == body["errorCode"]
    assert info.value.error_message == body["errorMsg"]


@pytest.mark.parametrize(
    ("exc", "cls"), [(httpx.ConnectError("refused"), APIConnectionError), (httpx.ReadTimeout("slow"), APITimeoutError)]
)
def test_cancel_transport_failure(run, cx, exc, cls) -> None:
    with respx.mock(assert_all_called=True) as mock:
        mock.post(cx.URL).mock(side_effect=exc)
        with pytest.raises(cls):
            run("cancel_shipment", "cainiao", ORDER)


def test_cancel_needs_the_order_code(run, cx) -> None:
    with respx.mock(assert_all_called=False) as mock:
        route = mock.post(cx.URL)
        with pytest.raises(ValidationError, match="carrier_reference"):
            run("cancel_shipment", "cainiao", "CNUS0001234567890HD")
    assert route.call_count == 0
