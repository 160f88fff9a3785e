"""cnge.track.get: request, success (both shapes), carrier errors, transport failures."""

from __future__ import annotations

from datetime import UTC, date, datetime

import httpx
import pytest
import respx
from hypothesis import given, settings
from hypothesis import strategies as st

from carrier_sdk import (
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    CarrierError,
    CarrierServerError,
    InvalidRequestError,
    RateLimitError,
    RelatedNumber,
    ResponseError,
    TrackingNotFoundError,
    TrackingStatus,
)

NUMBER = "LP00667794278588"
_KEYS = [
    "traceDetailList",
    "detailList",
    "time",
    "timeStr",
    "timeZone",
    "actionCode",
    "desc",
    "mailNo",
    "copyRealMailNo",
    "destCpInfo",
    "cpCode",
    "globalEtaInfo",
    "deliveryMaxTime",
    "success",
    "location",
]


def test_request_is_a_signed_form_post(run, cx) -> None:
    with respx.mock(assert_all_called=True) as mock:
        route = mock.post(cx.URL).mock(return_value=cx.reply("track_cnge.json"))
        run("track", NUMBER)
    request = route.calls.last.request
    assert request.method == "POST"
    assert request.headers["content-type"] == "application/x-www-form-urlencoded; charset=UTF-8"
    form = cx.form_of(request)
    assert form["msg_type"] == "cnge.track.get"
    assert form["to_code"] == "TRACK"
    assert form["logistic_provider_id"] == "RESOURCE_CODE"
    assert cx.content_of(request) == {"orderCode": NUMBER, "locale": "en_US", "onlyOfficialNode": True}
    assert cx.SECRET.encode() not in request.content


def test_non_order_numbers_are_sent_as_mail_no(run, cx) -> None:
    with respx.mock(assert_all_called=True) as mock:
        route = mock.post(cx.URL).mock(return_value=cx.reply("track_cnge.json"))
        run("track", "AP00780065527911", carrier="cainiao")
    assert cx.content_of(route.calls.last.request)["mailNo"] == "AP00780065527911"


def test_to_code_override_and_environment(run, cx) -> None:
    settings = {**cx.SETTINGS, "environment": "integration_test", "to_codes": "cnge.track.get=TRACK_EU"}
    url = "https://link.cainiao.com/gateway/custom/open_integration_test_env"
    with respx.mock(assert_all_called=True) as mock:
        route = mock.post(url).mock(return_value=cx.reply("track_cnge.json"))
        run("track", NUMBER, settings=settings)
    assert cx.form_of(route.calls.last.request)["to_code"] == "TRACK_EU"


def test_success_cnge_shape(run, cx) -> None:
    with respx.mock(assert_all_called=True) as mock:
        mock.post(cx.URL).mock(return_value=cx.reply("track_cnge.json"))
        info = run("track", NUMBER)
    assert info.carrier == "cainiao"
    assert info.tracking_number == NUMBER
    assert info.status is TrackingStatus.DELIVERED
    codes = [e.carrier_status_code for e in info.events]
    assert codes == ["GWMS_ACCEPT", "AE_LH_ARRIVE", "LAST_MILE_HO_SUCCESS", "GTMS_DO_DEPART", "GTMS_SIGNED"]
    assert [e.status for e in info.events][:2] == [TrackingStatus.PRE_TRANSIT, TrackingStatus.IN_TRANSIT]
    assert info.events[0].occurred_at == datetime(2024, 8, 16, 1, 15, tzinfo=UTC)  # 09:15 at +8
    assert info.events[1].occurred_at == datetime(2024, 8, 20, 2, 30, tzinfo=UTC)  # 23:30 at GMT-3
    assert info.events[-1].occurred_at == datetime(2024, 8, 22, 22, 52, 29, tzinfo=UTC)
    assert info.events[-1].local_time == "2024-08-22 17:52:29 GMT-5"
    assert info.events[-1].description == "Delivered"
    assert (info.origin_country, info.destination_country) == ("CN", "US")
    assert info.related_numbers == (
        RelatedNumber(tracking_number="9400111899223855123450", carrier="usps", relation="last_mile"),
    )


def test_success_detail_json_shape(run, cx) -> None:
    with respx.mock(assert_all_called=True) as mock:
        mock.post(cx.URL).mock(return_value=cx.reply("track_detail.json"))
        info = run("track", NUMBER)
    assert info.status is TrackingStatus.IN_TRANSIT
    assert [e.carrier_status_code for e in info.events] == ["PU_PICKUP_SUCCESS", "CC_IM_SUCCESS"]
    assert info.events[-1].description == "Import customs clearance complete"
    assert (info.origin_country, info.destination_country) == ("CN", "BR")
    assert info.status_detail == "In customs"
    assert info.estimated_delivery == date(2025, 6, 21)
    # PostNL is not a carrier-sdk carrier (yet): the number is kept, the carrier left open.
    assert info.related_numbers == (
        RelatedNumber(tracking_number="3SDFC0123456789", carrier=None, relation="last_mile"),
    )


def _failure(code: str, message: str, success: object = "false") -> dict[str, object]:
    return {"success": success, "errorCode": code, "errorMsg": message}


@pytest.mark.parametrize(
    ("body", "cls", "code"),
    [
        (_failure("SIGN_CHECK_FAILURE", "sign check failure"), AuthenticationError, "SIGN_CHECK_FAILURE"),
        (_failure("ORDER_NOT_EXIST", "order not exist"), TrackingNotFoundError, "ORDER_NOT_EXIST"),
        (_failure("E1", "request param DataDigest can not be null"), InvalidRequestError, "E1"),
        (_failure("FLOW_CONTROL", "too many requests"), RateLimitError, "FLOW_CONTROL"),
        (_failure("SYSTEM_ERROR", "system busy"), CarrierServerError, "SYSTEM_ERROR"),
        (_failure("X", "轨迹不存在", success=False), TrackingNotFoundError, "X"),
        ({"success": "true", "data": _failure("ORDER_NOT_EXIST", "no")}, TrackingNotFoundError, "ORDER_NOT_EXIST"),
    ],
)
def test_carrier_errors_are_typed(run, cx, body, cls, code) -> None:
    with respx.mock(assert_all_called=True) as mock:
        route = mock.post(cx.URL).mock(return_value=httpx.Response(200, json=body))
        with pytest.raises(cls) as info:
            run("track", NUMBER)
    assert type(info.value) is cls
    assert info.value.error_code == code
    assert info.value.status_code == 200
    assert info.value.operation == "track"
    assert route.call_count == 1  # an error in a 200 body is never retried
    assert cx.SECRET not in str(info.value)


def test_empty_history_is_not_found(run, cx) -> None:
    with respx.mock(assert_all_called=True) as mock:
        mock.post(cx.URL).mock(return_value=cx.reply("track_detail_empty.json"))
        with pytest.raises(TrackingNotFoundError):
            run("track", NUMBER)


def test_secret_and_digest_echoed_by_gateway_are_scrubbed(run, cx) -> None:
    from carrier_sdk_cainiao._auth import data_digest

    digest = data_digest('{"orderCode":"LP00667794278588","locale":"en_US","onlyOfficialNode":true}', cx.SECRET)
    body = {"success": "false", "errorCode": "SIGN_ERROR", "errorMsg": f"expected {digest} with key {cx.SECRET}"}
    with respx.mock(assert_all_called=True) as mock:
        mock.post(cx.URL).mock(return_value=httpx.Response(200, json=body))
        with pytest.raises(AuthenticationError) as info:
            run("track", NUMBER)
    text = f"{info.value} {info.value.message} {info.value.error_message} {info.value!r}"
    assert cx.SECRET not in text
    assert digest not in text


@pytest.mark.parametrize(
    ("status", "cls"),
    [(403, AuthenticationError), (400, InvalidRequestError), (503, CarrierServerError), (429, RateLimitError)],
)
def test_http_errors(run, cx, status, cls) -> None:
    body = {"success": "false", "errorCode": "GW", "errorMsg": "gateway says no"}
    with respx.mock(assert_all_called=True) as mock:
        mock.post(cx.URL).mock(return_value=httpx.Response(status, json=body))
        with pytest.raises(cls) as info:
            run("track", NUMBER, max_retries=1)
    assert info.value.error_code == "GW"


@pytest.mark.parametrize(
    "body",
    [
        b"<html>busy</html>",
        b'{"data": {}}',
        b'{"success": "true", "data": {"traceDetailList": "nope"}}',
        b'{"success": "true", "data": {"traceDetailList": [{"actionCode": "X", "time": "someday"}]}}',
        b'{"success": "true", "data": {"traceDetailList": [{"actionCode": "X", "time": 1e400}]}}',
        b"[" * 5000,
    ],
)
def test_malformed_bodies_are_response_errors(run, cx, body) -> None:
    with respx.mock(assert_all_called=True) as mock:
        mock.post(cx.URL).mock(return_value=httpx.Response(200, content=body))
        with pytest.raises(ResponseError):
            run("track", NUMBER)


@pytest.mark.parametrize(
    ("exc", "cls"), [(httpx.ConnectError("refused"), APIConnectionError), (httpx.ReadTimeout("slow"), APITimeoutError)]
)
def test_transport_failures(run, cx, exc, cls) -> None:
    with respx.mock(assert_all_called=True) as mock:
        route = mock.post(cx.URL).mock(side_effect=exc)
        with pytest.raises(cls):
            run("track", NUMBER, max_retries=2)
    assert route.call_count == 3  # a read-only POST is retried


def test_transient_failure_then_success(run, cx) -> None:
    with respx.mock(assert_all_called=True) as mock:
        mock.post(cx.URL).mock(side_effect=[httpx.ReadTimeout("slow"), cx.reply("track_cnge.json")])
        assert run("track", NUMBER).status is TrackingStatus.DELIVERED


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(_KEYS) | st.text(max_size=8), inner, max_size=6)
    ),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(
    st.fixed_dictionaries(
        {"success": st.sampled_from(["true", True, "false"])}, optional={"data": _json, "module": _json}
    )
)
def test_track_parser_only_raises_carrier_errors(body) -> None:
    from carrier_sdk_cainiao import CainiaoCarrier, CainiaoSettings

    carrier = CainiaoCarrier(CainiaoSettings(logistic_provider_id="RC", secret_key="s"))
    flow = carrier.track(NUMBER)
    request = next(flow)
    response = httpx.Response(200, json=body, request=request)
    outcome: object = None
    try:
        flow.send(response)
    except StopIteration as stop:
        outcome = stop.value
    except CarrierError as err:
        outcome = err
    assert isinstance(outcome, CarrierError) or outcome.tracking_number == NUMBER
