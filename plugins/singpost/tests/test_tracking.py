"""The four-case pattern for ``track`` and ``track_many`` (batch), on Client and AsyncClient."""

from __future__ import annotations

from datetime import UTC, datetime

import defusedxml.ElementTree as SafeET
import httpx
import pytest
import respx
from carrier_sdk_singpost._wire import LEGACY_URL, NAMESPACE, SANDBOX_URL

from carrier_sdk import (
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    CarrierServerError,
    InvalidRequestError,
    Location,
    NotFoundError,
    RateLimitError,
    ResponseError,
    TrackingNotFoundError,
    TrackingStatus,
)

from .conftest import API_KEY, APIM_HOST, APIM_PATH, fixture_bytes

NS = f"{{{NAMESPACE}}}"


def xml_response(name: str, status: int = 200) -> httpx.Response:
    return httpx.Response(status, content=fixture_bytes(name), headers={"content-type": "application/xml"})


def sent_numbers(request: httpx.Request) -> tuple[str, list[str]]:
    root = SafeET.fromstring(request.content)
    assert root.tag == f"{NS}ItemTrackingDetailsRequest"
    system_id = root.find(f"{NS}SystemID")
    assert system_id is not None
    numbers = [el.text or "" for el in root.iterfind(f"{NS}ItemTrackingNumbers/{NS}TrackingNumber")]
    return system_id.text or "", numbers


# -- 1. the request is built correctly --------------------------------------------------------


def test_track_request_is_built(carrier_runner):
    with respx.mock(base_url=APIM_HOST, assert_all_called=True) as mock:
        route = mock.post(APIM_PATH).mock(return_value=xml_response("track_success.xml"))
        carrier_runner()("track", "rr 1234 5678 5sg", carrier="singpost")
    request = route.calls.last.request
    assert request.method == "POST"
    assert str(request.url) == "https://apim.singpost.com/sp/tracking"
    assert request.headers["authorization"] == API_KEY  # raw key, no "Bearer"
    assert request.headers["content-type"] == "application/xml; charset=utf-8"
    assert request.content.startswith(b"<?xml")
    assert sent_numbers(request) == ("-", ["RR123456785SG"])


def test_batch_request_carries_all_numbers_and_system_id(carrier_runner):
    numbers = ["RR123456785SG", "RA987654326SG", "EE000012349SG"]
    with respx.mock(base_url=APIM_HOST, assert_all_called=True) as mock:
        route = mock.post(APIM_PATH).mock(return_value=xml_response("track_batch_mixed.xml"))
        carrier_runner(settings={"api_key": API_KEY, "system_id": "SHOP42"})("track_many", numbers)
    assert route.call_count == 1
    system_id, sent = sent_numbers(route.calls.last.request)
    assert system_id == "SHOP42"
    assert sorted(sent) == sorted(numbers)


@pytest.mark.parametrize(("base_url", "expected"), [("legacy", LEGACY_URL), ("sandbox", SANDBOX_URL)])
def test_named_base_urls(carrier_runner, base_url, expected):
    with respx.mock(assert_all_called=True) as mock:
        route = mock.post(expected).mock(return_value=xml_response("track_success.xml"))
        info = carrier_runner(settings={"api_key": API_KEY, "base_url": base_url})("track", "RR123456785SG")
    assert route.called
    assert info.status is TrackingStatus.DELIVERED


def test_empty_key_sends_no_authorization_header(carrier_runner):
    with respx.mock(base_url=APIM_HOST, assert_all_called=True) as mock:
        route = mock.post(APIM_PATH).mock(return_value=xml_response("track_success.xml"))
        carrier_runner(settings={"api_key": ""})("track", "RR123456785SG")
    assert "authorization" not in route.calls.last.request.headers


def test_request_escapes_text():
    from carrier_sdk_singpost._wire import build_request

    body = build_request(["A<B&C"], 'x"&<y>')
    root = SafeET.fromstring(body)
    assert root.find(f"{NS}SystemID").text == 'x"&<y>'
    assert root.find(f"{NS}ItemTrackingNumbers/{NS}TrackingNumber").text == "A<B&C"


# -- 2. a success payload parses -------------------------------------------------------------


def test_track_success_parsed(carrier_runner):
    with respx.mock(base_url=APIM_HOST, assert_all_called=True) as mock:
        mock.post(APIM_PATH).mock(return_value=xml_response("track_success.xml"))
        info = carrier_runner()("track", "RR123456785SG")
    assert info.carrier == "singpost"
    assert info.tracking_number == "RR123456785SG"
    assert info.status is TrackingStatus.DELIVERED
    assert info.origin_country == "Singapore"
    assert info.destination_country == "Malaysia"
    # oldest first, all in UTC; zone-less stamps are Singapore time (UTC+8)
    assert [e.occurred_at for e in info.events] == [
        datetime(2024, 5, 20, 10, 0, tzinfo=UTC),  # 18:00+08:00
        datetime(2024, 5, 21, 2, 56, tzinfo=UTC),  # 10:56 SGT
        datetime(2024, 5, 22, 1, 30, tzinfo=UTC),  # Z
        datetime(2024, 5, 23, 1, 15, tzinfo=UTC),  # 09:15 SGT
        datetime(2024, 5, 23, 6, 5, 0, 250000, tzinfo=UTC),  # milliseconds
    ]
    assert [e.status for e in info.events] == [
        TrackingStatus.PRE_TRANSIT,
        TrackingStatus.IN_TRANSIT,
        TrackingStatus.IN_TRANSIT,
        TrackingStatus.OUT_FOR_DELIVERY,
        TrackingStatus.DELIVERED,
    ]
    first, *_, last = info.events
    assert first.carrier_status_code == "IR"
    assert first.location is None  # "-" means empty
    assert last.carrier_status_code == ""  # "-" means empty
    assert last.local_time == "2024-05-23T14:05:00.250"
    assert info.events[1].location == Location(facility="Toa Payoh Central Post Office")
    assert info.status_detail == "Item delivered"


# -- 3. carrier errors are typed ------------------------------------------------------------


def test_not_found_in_body(carrier_runner):
    with respx.mock(base_url=APIM_HOST, assert_all_called=True) as mock:
        mock.post(APIM_PATH).mock(return_value=xml_response("track_not_found.xml"))
        with pytest.raises(TrackingNotFoundError) as caught:
            carrier_runner()("track", "RA987654326SG")
    assert caught.value.status_code == 200
    assert caught.value.carrier == "singpost"


def test_error_code_in_body(carrier_runner):
    with respx.mock(base_url=APIM_HOST, assert_all_called=True) as mock:
        mock.post(APIM_PATH).mock(return_value=xml_response("track_error_code.xml"))
        with pytest.raises(CarrierServerError) as caught:
            carrier_runner()("track", "RR123456785SG")
    assert caught.value.error_code == "2"
    assert caught.value.error_message == "Internal service error"


ERROR_TEMPLATE = (
    '<ItemTrackingDetailsResponse xmlns="http://singpost.com/paw/ns"><Status><ErrorCode>{code}</ErrorCode>'
    "<ErrorDesc>{desc}</ErrorDesc></Status></ItemTrackingDetailsResponse>"
)


@pytest.mark.parametrize(
    ("code", "desc", "error_class"),
    [
        ("5", "Invalid SystemID", AuthenticationError),
        ("6", "Unauthorized access", AuthenticationError),
        ("7", "Invalid tracking number format", InvalidRequestError),
        ("8", "Rate limit exceeded for this key", RateLimitError),
        ("-1", "General failure", CarrierServerError),
        ("E1", "", CarrierServerError),
    ],
)
def test_error_codes_map_to_typed_errors(carrier_runner, code, desc, error_class):
    body = ERROR_TEMPLATE.format(code=code, desc=desc).encode()
    with respx.mock(base_url=APIM_HOST, assert_all_called=True) as mock:
        mock.post(APIM_PATH).mock(return_value=httpx.Response(200, content=body))
        with pytest.raises(error_class) as caught:
            carrier_runner()("track", "RR123456785SG")
    assert type(caught.value) is error_class
    assert caught.value.error_code == code


@pytest.mark.parametrize("status", [200, 403])
def test_plain_text_rate_limit(carrier_runner, status):
    with respx.mock(base_url=APIM_HOST, assert_all_called=True) as mock:
        route = mock.post(APIM_PATH).mock(
            return_value=httpx.Response(status, content=fixture_bytes("rate_limit.txt"), headers={"Retry-After": "7"})
        )
        with pytest.raises(RateLimitError) as caught:
            carrier_runner()("track", "RR123456785SG")
    assert route.call_count == 1
    assert caught.value.retry_after == 7
    assert caught.value.error_message == "Rate limit exceeded"


def test_http_429_is_retried_then_rate_limit_error(carrier_runner):
    with respx.mock(base_url=APIM_HOST, assert_all_called=True) as mock:
        route = mock.post(APIM_PATH).mock(
            return_value=httpx.Response(429, text="Rate limit exceeded", headers={"Retry-After": "0"})
        )
        with pytest.raises(RateLimitError) as caught:
            carrier_runner(max_retries=2)("track", "RR123456785SG")
    assert route.call_count == 3
    assert caught.value.status_code == 429
    assert caught.value.error_message == "Rate limit exceeded"


def test_http_429_then_success(carrier_runner):
    with respx.mock(base_url=APIM_HOST, assert_all_called=True) as mock:
        mock.post(APIM_PATH).mock(
            side_effect=[httpx.Response(429, text="Rate limit exceeded"), xml_response("track_success.xml")]
        )
        info = carrier_runner(max_retries=2)("track", "RR123456785SG")
    assert info.status is TrackingStatus.DELIVERED


@pytest.mark.parametrize(
    ("status", "error_class"),
    [(401, AuthenticationError), (403, AuthenticationError), (400, InvalidRequestError), (404, NotFoundError)],
)
def test_http_errors_typed(carrier_runner, status, error_class):
    with respx.mock(base_url=APIM_HOST, assert_all_called=True) as mock:
        mock.post(APIM_PATH).mock(
            return_value=httpx.Response(status, content=ERROR_TEMPLATE.format(code="9", desc="x").encode())
        )
        with pytest.raises(error_class) as caught:
            carrier_runner()("track", "RR123456785SG")
    assert type(caught.value) is error_class  # a 404 is a wrong endpoint, not TrackingNotFoundError
    assert API_KEY not in repr(caught.value.request.headers)
    assert API_KEY not in str(caught.value)


def test_5xx_after_retries_carries_carrier_details(carrier_runner):
    body = ERROR_TEMPLATE.format(code="503", desc="Backend down").encode()
    with respx.mock(base_url=APIM_HOST, assert_all_called=True) as mock:
        route = mock.post(APIM_PATH).mock(return_value=httpx.Response(503, content=body))
        with pytest.raises(CarrierServerError) as caught:
            carrier_runner(max_retries=1)("track", "RR123456785SG")
    assert route.call_count == 2  # the read-only POST is retried
    assert (caught.value.error_code, caught.value.error_message) == ("503", "Backend down")


def test_response_missing_the_number(carrier_runner):
    with respx.mock(base_url=APIM_HOST, assert_all_called=True) as mock:
        mock.post(APIM_PATH).mock(return_value=xml_response("track_success.xml"))
        with pytest.raises(ResponseError, match="did not mention"):
            carrier_runner()("track", "RA987654326SG")


# -- 4. transport failures ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("exc", "error_class"),
    [(httpx.ConnectError("refused"), APIConnectionError), (httpx.ReadTimeout("slow"), APITimeoutError)],
)
def test_transport_failure(carrier_runner, exc, error_class):
    with respx.mock(base_url=APIM_HOST, assert_all_called=True) as mock:
        route = mock.post(APIM_PATH).mock(side_effect=exc)
        with pytest.raises(error_class):
            carrier_runner(max_retries=2)("track", "RR123456785SG")
    assert route.call_count == 3  # idempotent: retried


def test_timeout_then_success(carrier_runner):
    with respx.mock(base_url=APIM_HOST, assert_all_called=True) as mock:
        mock.post(APIM_PATH).mock(side_effect=[httpx.ReadTimeout("slow"), xml_response("track_success.xml")])
        info = carrier_runner(max_retries=1)("track", "RR123456785SG")
    assert info.status is TrackingStatus.DELIVERED


def test_batch_transport_failure_reported_per_number(carrier_runner):
    numbers = ["RR123456785SG", "RA987654326SG"]
    with respx.mock(base_url=APIM_HOST, assert_all_called=True) as mock:
        mock.post(APIM_PATH).mock(side_effect=httpx.ReadTimeout("slow"))
        results = carrier_runner(max_retries=0)("track_many", numbers)
    assert sorted(r.number for r in results) == sorted(numbers)
    assert all(isinstance(r.error, APITimeoutError) for r in results)
