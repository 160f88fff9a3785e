"""Tracking: v3 GET and v3r2 batch POST, four cases each, on both clients; fake scenarios."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
import respx
from carrier_sdk_usps.fake import UspsFake

from carrier_sdk import (
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    CarrierServerError,
    InvalidRequestError,
    RateLimitError,
    ResponseError,
    TrackingNotFoundError,
    TrackingStatus,
)

from .conftest import BASE, SETTINGS, load

pytestmark = pytest.mark.anyio

NUMBER = "9400136106195372355532"
OTHER = "9400111899223855123450"


def _token_route(mock: respx.MockRouter) -> respx.Route:
    return mock.post("/oauth2/v3/token").respond(json=load("token.json"))


# -- v3: request built ---------------------------------------------------------------------------


async def test_v3_request_built(carrier_runner: Any) -> None:
    with respx.mock(base_url=BASE, assert_all_called=True) as mock:
        token = _token_route(mock)
        route = mock.get(f"/tracking/v3/tracking/{NUMBER}").respond(json=load("track_v3_detail.json"))
        await carrier_runner().call("track", NUMBER, carrier="usps")
    sent = token.calls.last.request
    assert sent.method == "POST"
    assert sent.headers["content-type"] == "application/x-www-form-urlencoded"
    form = parse_qs(sent.content.decode())
    assert form == {
        "grant_type": ["client_credentials"],
        "client_id": ["client-123"],
        "client_secret": ["s3cr3t-value"],
    }
    request = route.calls.last.request
    assert request.method == "GET"
    assert request.url.params["expand"] == "DETAIL"
    assert request.headers["authorization"] == "Bearer eyJhbGciOiJSUzI1NiJ9.fixture.token"


async def test_v3_scopes_are_sent_when_configured(carrier_runner: Any) -> None:
    with respx.mock(base_url=BASE, assert_all_called=True) as mock:
        token = _token_route(mock)
        mock.get(f"/tracking/v3/tracking/{NUMBER}").respond(json=load("track_v3_detail.json"))
        await carrier_runner(settings={**SETTINGS, "scopes": "tracking, labels"}).call("track", NUMBER, carrier="usps")
    assert parse_qs(token.calls.last.request.content.decode())["scope"] == ["tracking labels"]


async def test_test_environment_base_url(carrier_runner: Any) -> None:
    with respx.mock(base_url="https://apis-tem.usps.com", assert_all_called=True) as mock:
        _token_route(mock)
        mock.get(f"/tracking/v3/tracking/{NUMBER}").respond(json=load("track_v3_detail.json"))
        info = await carrier_runner(settings={**SETTINGS, "environment": "test"}).call("track", NUMBER, carrier="usps")
    assert info.status is TrackingStatus.DELIVERED


async def test_routed_impb_is_tracked_by_its_22_digit_number(carrier_runner: Any) -> None:
    routed = "42063118" + NUMBER
    with respx.mock(base_url=BASE, assert_all_called=True) as mock:
        _token_route(mock)
        mock.get(f"/tracking/v3/tracking/{NUMBER}").respond(json=load("track_v3_detail.json"))
        info = await carrier_runner().call("track", routed)
    assert info.tracking_number == routed


# -- v3: success parsed --------------------------------------------------------------------------


async def test_v3_success_parsed(carrier_runner: Any) -> None:
    with respx.mock(base_url=BASE, assert_all_called=True) as mock:
        _token_route(mock)
        mock.get(f"/tracking/v3/tracking/{NUMBER}").respond(json=load("track_v3_detail.json"))
        info = await carrier_runner().call("track", NUMBER)
    assert info.carrier == "usps"
    assert info.status is TrackingStatus.DELIVERED
    assert info.service == "Priority Mail"
    assert info.estimated_delivery == date(2023, 8, 4)
    assert (info.origin_country, info.destination_country) == ("US", "US")
    codes = [e.carrier_status_code for e in info.events]
    assert codes == ["03", "ZZ", "EF", "OF", "01"]  # oldest first
    by_code = {e.carrier_status_code: e for e in info.events}
    # GMTTimestamp is the instant; eventTimestamp's "Z" is ignored.
    assert by_code["03"].occurred_at == datetime(2023, 8, 2, 11, 31, tzinfo=UTC)
    assert by_code["03"].local_time == "2023-08-02T07:31:00Z"
    # No GMTTimestamp: local wall time + GMTOffset "-5:00".
    assert by_code["OF"].occurred_at == datetime(2023, 8, 4, 11, 10, tzinfo=UTC)
    # No offset at all: FALLBACK_EVENT_TZ (US Central, CDT in August = UTC-5).
    assert by_code["EF"].occurred_at == datetime(2023, 8, 4, 2, 40, tzinfo=UTC)
    assert by_code["EF"].local_time == "2023-08-03T21:40:00"
    assert by_code["ZZ"].status is TrackingStatus.UNKNOWN
    assert by_code["ZZ"].carrier_status_text == "Something New"
    assert by_code["01"].location is not None
    assert by_code["01"].location.city == "CEDAR RAPIDS"
    assert by_code["01"].location.postal_code == "52404"


# -- v3: carrier errors --------------------------------------------------------------------------


def _error(code: str, status: int = 400) -> dict[str, Any]:
    return {
        "apiVersion": "/tracking/v3",
        "error": {"code": str(status), "message": f"message {code}", "errors": [{"status": str(status), "code": code}]},
    }


async def test_v3_150002_is_not_found(carrier_runner: Any) -> None:
    with respx.mock(base_url=BASE, assert_all_called=True) as mock:
        _token_route(mock)
        mock.get(f"/tracking/v3/tracking/{NUMBER}").respond(400, json=load("track_v3_150002.json"))
        with pytest.raises(TrackingNotFoundError) as info:
            await carrier_runner().call("track", NUMBER)
    assert info.value.error_code == "150002"
    assert info.value.status_code == 400


@pytest.mark.parametrize("code", ["150001", "150003", "150009"])
async def test_v3_not_yet_available_is_pre_transit(carrier_runner: Any, code: str) -> None:
    with respx.mock(base_url=BASE, assert_all_called=True) as mock:
        _token_route(mock)
        mock.get(f"/tracking/v3/tracking/{NUMBER}").respond(400, json=_error(code))
        info = await carrier_runner().call("track", NUMBER)
    assert info.status is TrackingStatus.PRE_TRANSIT
    assert info.events == ()
    assert info.status_detail.startswith(code)


@pytest.mark.parametrize(
    ("code", "status", "expected"),
    [
        ("150010", 400, TrackingNotFoundError),
        ("150012", 400, InvalidRequestError),
        ("150004", 400, InvalidRequestError),
        ("404", 404, TrackingNotFoundError),
        ("403", 403, AuthenticationError),
    ],
)
async def test_v3_error_codes(carrier_runner: Any, code: str, status: int, expected: type[Exception]) -> None:
    with respx.mock(base_url=BASE, assert_all_called=True) as mock:
        _token_route(mock)
        mock.get(f"/tracking/v3/tracking/{NUMBER}").respond(status, json=_error(code, status))
        with pytest.raises(expected) as info:
            await carrier_runner().call("track", NUMBER)
    assert info.value.error_code == code  # type: ignore[attr-defined]


async def test_v3_quota_429_is_rate_limit_error(carrier_runner: Any) -> None:
    with respx.mock(base_url=BASE, assert_all_called=True) as mock:
        _token_route(mock)
        mock.get(f"/tracking/v3/tracking/{NUMBER}").respond(
            429, json=load("error_quota_429.json"), headers={"Retry-After": "2"}
        )
        with pytest.raises(RateLimitError) as info:
            await carrier_runner(max_retries=0).call("track", NUMBER)
    assert "Exceeded quota limit" in (info.value.error_message or "")


async def test_v3_malformed_body_is_response_error(carrier_runner: Any) -> None:
    with respx.mock(base_url=BASE, assert_all_called=True) as mock:
        _token_route(mock)
        mock.get(f"/tracking/v3/tracking/{NUMBER}").respond(json={"trackingEvents": "nope"})
        with pytest.raises(ResponseError):
            await carrier_runner().call("track", NUMBER)


# -- v3: transport failures ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("exc", "expected"),
    [(httpx.ConnectError("refused"), APIConnectionError), (httpx.ReadTimeout("slow"), APITimeoutError)],
)
async def test_v3_transport_failure(carrier_runner: Any, exc: Exception, expected: type[Exception]) -> None:
    with respx.mock(base_url=BASE, assert_all_called=True) as mock:
        _token_route(mock)
        mock.get(f"/tracking/v3/tracking/{NUMBER}").mock(side_effect=exc)
        with pytest.raises(expected):
            await carrier_runner(max_retries=1).call("track", NUMBER)


# -- v3r2 ----------------------------------------------------------------------------------------

V3R2 = {**SETTINGS, "tracking_api": "v3r2"}


async def test_v3r2_request_built_and_207_parsed(carrier_runner: Any) -> None:
    with respx.mock(base_url=BASE, assert_all_called=True) as mock:
        _token_route(mock)
        route = mock.post("/tracking/v3r2/tracking").respond(207, json=load("track_v3r2_207.json"))
        results = await carrier_runner(settings=V3R2).call("track_many", [NUMBER, OTHER], carrier="usps")
    request = route.calls.last.request
    assert request.method == "POST"
    assert request.headers["authorization"].startswith("Bearer ")
    assert sorted(item["trackingNumber"] for item in __import__("json").loads(request.content)) == sorted(
        [NUMBER, OTHER]
    )
    assert route.call_count == 1  # one batch request
    by_number = {r.number: r for r in results}
    ok = by_number[NUMBER].info
    assert ok is not None
    assert ok.status is TrackingStatus.DELIVERED
    assert ok.service == "USPS Ground Advantage"
    assert ok.estimated_delivery == date(2024, 1, 15)  # predicted wins over expected
    assert [e.carrier_status_code for e in ok.events] == ["GX", "OF", "01"]
    assert ok.events[0].location is not None
    assert ok.events[0].location.postal_code == "23227"
    assert isinstance(by_number[OTHER].error, TrackingNotFoundError)


async def test_v3r2_single_404_is_not_found(carrier_runner: Any) -> None:
    with respx.mock(base_url=BASE, assert_all_called=True) as mock:
        _token_route(mock)
        mock.post("/tracking/v3r2/tracking").respond(404, json=_error("404", 404))
        with pytest.raises(TrackingNotFoundError):
            await carrier_runner(settings=V3R2).call("track", NUMBER)


async def test_v3r2_server_error(carrier_runner: Any) -> None:
    with respx.mock(base_url=BASE, assert_all_called=True) as mock:
        _token_route(mock)
        mock.post("/tracking/v3r2/tracking").respond(503, json=_error("503", 503))
        with pytest.raises(CarrierServerError):
            await carrier_runner(settings=V3R2, max_retries=0).call("track", NUMBER)


async def test_v3r2_timeout(carrier_runner: Any) -> None:
    with respx.mock(base_url=BASE, assert_all_called=True) as mock:
        _token_route(mock)
        mock.post("/tracking/v3r2/tracking").mock(side_effect=httpx.ReadTimeout("slow"))
        with pytest.raises(APITimeoutError):
            await carrier_runner(settings=V3R2, max_retries=0).call("track", NUMBER)


# -- against the fake ----------------------------------------------------------------------------

STATUSES = [s for s in TrackingStatus if s not in (TrackingStatus.UNKNOWN, TrackingStatus.CANCELLED)]


@pytest.mark.parametrize("status", STATUSES, ids=str)
async def test_fake_scenarios(fake_runner: Any, status: TrackingStatus) -> None:
    number = UspsFake.scenario_numbers[status.value]
    info = await fake_runner.call("track", number)
    assert info.status is status
    assert info.events
    assert info.events[0].status is TrackingStatus.PRE_TRANSIT
    assert all(e.occurred_at.tzinfo is not None for e in info.events)


async def test_fake_histories_are_deterministic(carrier_runner: Any) -> None:
    number = "9400111899223855123450"
    infos = []
    for _ in range(2):
        api = UspsFake(seed=3)
        infos.append(await carrier_runner(settings=api.settings(), transport=api.transport()).call("track", number))
    assert infos[0] == infos[1]


async def test_fake_unknown_and_faults(fake_runner: Any, fake: UspsFake) -> None:
    with pytest.raises(TrackingNotFoundError):
        await fake_runner.call("track", fake.scenario_numbers["unknown"])
    info = await fake_runner.call("track", fake.not_yet_available_number)
    assert info.status is TrackingStatus.PRE_TRANSIT
    with pytest.raises(CarrierServerError):
        await fake_runner.call("track", fake.scenario_numbers["fault_server_error"])
    with pytest.raises(APITimeoutError):
        await fake_runner.call("track", fake.scenario_numbers["fault_timeout"])


async def test_fake_v3r2_batch_207(carrier_runner: Any, fake: UspsFake) -> None:
    runner = carrier_runner(settings={**fake.settings(), "tracking_api": "v3r2"}, transport=fake.transport())
    numbers = [
        fake.scenario_numbers["delivered"],
        fake.scenario_numbers["in_transit"],
        fake.scenario_numbers["unknown"],
    ]
    results = {r.number: r for r in await runner.call("track_many", numbers)}
    assert fake.calls["track_batch"] == 1
    assert results[numbers[0]].info.status is TrackingStatus.DELIVERED
    assert results[numbers[1]].info.status is TrackingStatus.IN_TRANSIT
    assert isinstance(results[numbers[2]].error, TrackingNotFoundError)


async def test_fake_v3_track_many_batches_sequential_gets(fake_runner: Any, fake: UspsFake) -> None:
    numbers = [fake.scenario_numbers["delivered"], fake.scenario_numbers["unknown"]]
    results = {r.number: r for r in await fake_runner.call("track_many", numbers)}
    assert fake.calls["track"] == 2
    assert fake.calls["track_batch"] == 0
    assert results[numbers[0]].ok
    assert isinstance(results[numbers[1]].error, TrackingNotFoundError)
