"""CainiaoFake: digest checks, scenario numbers, stateful orders, faults, end to end on both clients."""

from __future__ import annotations

import httpx
import pytest
from carrier_sdk_cainiao import CainiaoCarrier
from carrier_sdk_cainiao._auth import encode_form, serialize, signed_form
from carrier_sdk_cainiao.fake import CainiaoFake

from carrier_sdk import (
    APITimeoutError,
    AuthenticationError,
    CarrierServerError,
    InvalidRequestError,
    NotFoundError,
    OutcomeUnknownError,
    RateLimit,
    RateLimitError,
    TrackingNotFoundError,
    TrackingStatus,
    Window,
)
from carrier_sdk.adapters import is_valid_impb, is_valid_s10
from carrier_sdk.fakes import FaultKind
from carrier_sdk.testing import VirtualClock

NOW = 1_800_000_000.0


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock(start=NOW)


@pytest.fixture
def api(clock: VirtualClock) -> CainiaoFake:
    return CainiaoFake(clock=clock)


def call(run, api: CainiaoFake, method: str, *args, **kwargs):
    return run(method, *args, settings=api.settings(), transport=api.transport(), **kwargs)


def test_class_wiring() -> None:
    assert CainiaoCarrier.fake == "carrier_sdk_cainiao.fake:CainiaoFake"
    assert CainiaoFake.handover_numbers["usps"] == CainiaoFake.scenario_numbers["handover"]
    for name, number in {**CainiaoFake.scenario_numbers, **CainiaoFake.handover_numbers}.items():
        assert CainiaoCarrier.recognize(number) is not None, name
    statuses = {s.value for s in TrackingStatus} - {"cancelled"}
    assert statuses <= set(CainiaoFake.scenario_numbers)


@pytest.mark.parametrize(
    "status",
    [s for s in TrackingStatus if s not in (TrackingStatus.UNKNOWN, TrackingStatus.CANCELLED)],
    ids=str,
)
def test_status_scenarios(run, api, status) -> None:
    info = call(run, api, "track", api.scenario_numbers[status.value])
    assert info.status is status
    assert info.origin_country == "CN"
    times = [e.occurred_at for e in info.events]
    assert times == sorted(times)


def test_unknown_and_fault_scenarios(run, api) -> None:
    n = api.scenario_numbers
    with pytest.raises(TrackingNotFoundError):
        call(run, api, "track", n["unknown"])
    with pytest.raises(CarrierServerError):
        call(run, api, "track", n["fault_server_error"])
    with pytest.raises(APITimeoutError):
        call(run, api, "track", n["fault_timeout"])
    with pytest.raises(RateLimitError):
        call(run, api, "track", n["fault_rate_limited"])


def test_handover_to_usps_with_a_valid_impb(run, api) -> None:
    info = call(run, api, "track", api.scenario_numbers["handover"])
    [related] = info.related_numbers
    assert (related.carrier, related.relation) == ("usps", "last_mile")
    assert len(related.tracking_number) == 22
    assert is_valid_impb(related.tracking_number)
    assert "LAST_MILE_HO_SUCCESS" in [e.carrier_status_code for e in info.events]
    assert info.destination_country == "US"


@pytest.mark.parametrize(("carrier", "country"), [("singpost", "SG"), ("correos", "ES")])
def test_handover_to_s10_carriers(run, api, carrier, country) -> None:
    info = call(run, api, "track", api.handover_numbers[carrier])
    [related] = info.related_numbers
    assert related.carrier == carrier
    assert is_valid_s10(related.tracking_number, country)


def test_histories_are_deterministic_per_number_and_seed(run) -> None:
    number = "LP00987654321012"
    first = call(run, CainiaoFake(seed=1), "track", number)
    again = call(run, CainiaoFake(seed=1), "track", number)
    other_seed = call(run, CainiaoFake(seed=2), "track", number)
    assert first == again
    assert first.events != other_seed.events


def test_track_mixes_time_zones_like_cainiao(api) -> None:
    content = serialize({"orderCode": api.scenario_numbers["handover"], "locale": "en_US"})
    form = signed_form(
        "cnge.track.get", content, logistic_provider_id=api.logistic_provider_id, secret=api.secret_key, to_code="TRACK"
    )
    response = api.handle(httpx.Request("POST", api.base_urls[0], content=encode_form(form)))
    data = response.json()
    assert data["success"] == "true"
    zones = {e["timeZone"] for e in data["data"]["traceDetailList"]}
    assert zones == {"+8", "GMT-5"}
    assert data["data"]["traceDetailList"][0]["actionCode"] == "GTMS_SC_ARRIVE"  # newest first


def test_bad_digest_gets_the_real_error_shape(api) -> None:
    content = serialize({"orderCode": "LP00667794278588"})
    form = signed_form(
        "cnge.track.get", content, logistic_provider_id=api.logistic_provider_id, secret="wrong", to_code="TRACK"
    )
    response = api.handle(httpx.Request("POST", api.base_urls[0], content=encode_form(form)))
    assert response.status_code == 200
    assert response.json() == {"success": "false", "errorCode": "SIGN_CHECK_FAILURE", "errorMsg": "sign check failure"}


def test_wrong_secret_through_the_client_is_an_authentication_error(run, api) -> None:
    settings = {**api.settings(), "secret_key": "not-the-secret"}
    with pytest.raises(AuthenticationError) as info:
        run("track", "LP00667794278588", settings=settings, transport=api.transport())
    assert info.value.error_code == "SIGN_CHECK_FAILURE"
    assert "not-the-secret" not in str(info.value)


def test_wrong_to_code_is_rejected_and_overrides_reach_the_fake(run, api) -> None:
    settings = {**api.settings(), "to_codes": {"cnge.track.get": "TRACK_EU"}}
    with pytest.raises(InvalidRequestError):
        run("track", "LP00667794278588", settings=settings, transport=api.transport())
    api.expected_to_codes["cnge.track.get"] = "TRACK_EU"
    assert run("track", "LP00667794278588", settings=settings, transport=api.transport()).events


def test_order_lifecycle(run, api, clock, cx) -> None:
    shipment = call(run, api, "create_shipment", "cainiao", cx.shipment_request(), idempotency_key="key-1")
    code = shipment.carrier_reference
    assert list(api.orders) == [code]
    assert len(api.charges) == 1
    assert shipment.tracking_number == code
    assert shipment.label.data.startswith(b"%PDF")
    assert code.encode() in shipment.label.data
    assert api.orders_by_out_order_id("SHOP-20240829-0001") == [code]
    first = call(run, api, "track", code)
    assert first.status is TrackingStatus.PRE_TRANSIT
    assert [e.carrier_status_code for e in first.events] == ["ORDER_CREATED"]
    cancelled = call(run, api, "cancel_shipment", "cainiao", code)
    assert cancelled.cancelled
    assert api.orders[code]["cancelled"]
    clock.advance(30 * 86400)
    assert call(run, api, "track", code).events == first.events  # frozen at cancellation
    with pytest.raises(NotFoundError):
        call(run, api, "cancel_shipment", "cainiao", "LP00999999999999")


def test_created_order_unfolds_and_hands_over(run, api, clock, cx) -> None:
    shipment = call(run, api, "create_shipment", "cainiao", cx.shipment_request(), idempotency_key="key-2")
    clock.advance(40 * 86400)
    info = call(run, api, "track", shipment.tracking_number)
    assert info.status is TrackingStatus.DELIVERED
    [related] = info.related_numbers
    assert related.carrier == "usps"
    assert is_valid_impb(related.tracking_number)
    with pytest.raises(InvalidRequestError, match="cannot be cancelled"):
        call(run, api, "cancel_shipment", "cainiao", shipment.carrier_reference)


def test_lost_response_is_outcome_unknown_with_exactly_one_order(run, api, cx) -> None:
    api.inject(FaultKind.LOST_RESPONSE, operation="create_shipment")
    with pytest.raises(OutcomeUnknownError) as info:
        call(run, api, "create_shipment", "cainiao", cx.shipment_request(), idempotency_key="key-3")
    assert len(api.orders) == 1
    assert len(api.charges) == 1
    assert api.calls["create_shipment"] == 1
    # Reconciliation: the order is findable by the outOrderId the error reports.
    assert api.orders_by_out_order_id(info.value.reference) == list(api.orders)


@pytest.mark.parametrize("kind", [FaultKind.SERVER_ERROR, FaultKind.TIMEOUT])
def test_create_faults_never_buy_twice(run, api, cx, kind) -> None:
    api.inject(kind, operation="create_shipment", count=5)
    with pytest.raises(OutcomeUnknownError):
        call(run, api, "create_shipment", "cainiao", cx.shipment_request(), idempotency_key="key-4")
    assert api.calls["create_shipment"] == 1
    assert len(api.orders) <= 1


def test_waybill_fault_is_retried(run, api, cx) -> None:
    api.inject(FaultKind.SERVER_ERROR, operation="waybill")
    shipment = call(run, api, "create_shipment", "cainiao", cx.shipment_request(), idempotency_key="key-5")
    assert shipment.label is not None
    assert api.calls["waybill"] == 2
    assert len(api.orders) == 1


def test_malformed_and_quota(run, api) -> None:
    from carrier_sdk import ResponseError

    api.inject(FaultKind.MALFORMED, operation="track")
    with pytest.raises(ResponseError):
        call(run, api, "track", "LP00667794278588")
    api.set_quota(RateLimit(windows=(Window(calls=1, seconds=60),)), retry_after=999)
    call(run, api, "track", "LP00667794278588")
    with pytest.raises(RateLimitError):
        call(run, api, "track", "LP00667794278588")


def test_unknown_msg_type_and_wrong_method(api) -> None:
    content = serialize({})
    form = signed_form("cnge.nope", content, logistic_provider_id="X", secret="y", to_code="Z")
    assert api.handle(httpx.Request("POST", api.base_urls[0], content=encode_form(form))).status_code == 404
    assert api.handle(httpx.Request("GET", api.base_urls[0])).status_code == 404


@pytest.mark.anyio
async def test_async_client_end_to_end(api, cx) -> None:
    from carrier_sdk import AsyncClient

    async def no_sleep(seconds: float) -> None:
        return None

    async with AsyncClient(
        settings={"cainiao": api.settings()},
        registry=cx.registry(),
        transport=api.transport(),
        sleep=no_sleep,
        environ={},
        http_backend="httpx",
    ) as client:
        shipment = await client.create_shipment("cainiao", cx.shipment_request())
        info = await client.track(shipment.tracking_number)
        cancelled = await client.cancel_shipment("cainiao", shipment.carrier_reference)
    assert info.status is TrackingStatus.PRE_TRANSIT
    assert cancelled.cancelled
