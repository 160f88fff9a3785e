"""The fake: real XML, deterministic histories, auth, scenarios and faults."""

from __future__ import annotations

import defusedxml.ElementTree as SafeET
import httpx
import pytest
from carrier_sdk_singpost._wire import NAMESPACE, PRODUCTION_URL, build_request
from carrier_sdk_singpost.fake import FAKE_API_KEY, SingPostFake, sg_number

from carrier_sdk import (
    APITimeoutError,
    AuthenticationError,
    CarrierServerError,
    RateLimitError,
    ResponseError,
    TrackingNotFoundError,
    TrackingStatus,
)
from carrier_sdk.adapters import is_valid_s10
from carrier_sdk.fakes import FaultKind

NS = f"{{{NAMESPACE}}}"


def post(fake, numbers, *, key=FAKE_API_KEY, system_id="SYS", url=PRODUCTION_URL, content=None):
    headers = {"Authorization": key} if key is not None else {}
    request = httpx.Request("POST", url, headers=headers, content=content or build_request(numbers, system_id))
    return fake.handle(request)


def test_scenario_numbers_are_valid_singpost_s10():
    for name, number in SingPostFake.scenario_numbers.items():
        assert is_valid_s10(number, "SG"), name
    statuses = {s.value for s in TrackingStatus} - {"cancelled", "unknown"}
    assert statuses <= set(SingPostFake.scenario_numbers)
    for fault in ("unknown", "fault_server_error", "fault_timeout", "fault_rate_limited"):
        assert fault in SingPostFake.scenario_numbers


def test_histories_are_deterministic():
    number = sg_number("LX", 55555555)  # not a scenario number: a generated history
    a, b = SingPostFake(seed=1), SingPostFake(seed=1)
    assert post(a, [number]).content == post(b, [number]).content
    assert a.history(number) == b.history(number)


def test_response_is_real_xml_newest_first():
    fake = SingPostFake()
    number = fake.scenario_numbers["delivered"]
    root = SafeET.fromstring(post(fake, [number]).content)
    assert root.tag == f"{NS}ItemTrackingDetailsResponse"
    assert root.findtext(f"{NS}Status/{NS}ErrorCode") == "0"
    dates = [el.text for el in root.iterfind(f".//{NS}DeliveryStatusDetail/{NS}Date")]
    assert len(dates) == 7
    assert dates == sorted(dates, reverse=True)


def test_unknown_number_not_found_in_xml():
    fake = SingPostFake()
    root = SafeET.fromstring(post(fake, [fake.scenario_numbers["unknown"]]).content)
    assert root.findtext(f".//{NS}TrackingNumberFound") == "false"


@pytest.mark.parametrize("key", [None, "wrong-key"])
def test_bad_key_is_401(key):
    fake = SingPostFake()
    assert post(fake, ["RR123456785SG"], key=key).status_code == 401


def test_request_validation():
    fake = SingPostFake()
    too_many = [f"RR{i:08d}0SG" for i in range(11)]
    assert SafeET.fromstring(post(fake, too_many).content).findtext(f"{NS}Status/{NS}ErrorCode") != "0"
    assert SafeET.fromstring(post(fake, [], content=b"<x/>").content).findtext(f"{NS}Status/{NS}ErrorCode") != "0"
    no_sys = build_request(["RR123456785SG"], " ")
    assert SafeET.fromstring(post(fake, [], content=no_sys).content).findtext(f"{NS}Status/{NS}ErrorCode") != "0"


def test_custom_history_and_reset():
    fake = SingPostFake()
    fake.histories["RR123456785SG"] = [("IR", "Information received", "-", "2024-01-01T08:00:00")]
    assert b"Information received" in post(fake, ["RR123456785SG"]).content
    fake.reset()
    assert fake.histories == {}
    assert fake.calls == {}


@pytest.mark.parametrize(
    ("scenario", "error_class"),
    [
        ("unknown", TrackingNotFoundError),
        ("fault_error_code", CarrierServerError),
        ("fault_rate_limit_text", RateLimitError),
        ("fault_server_error", CarrierServerError),
        ("fault_timeout", APITimeoutError),
        ("fault_rate_limited", RateLimitError),
    ],
)
def test_failure_scenarios_through_the_client(carrier_runner, fake, scenario, error_class):
    with pytest.raises(error_class):
        carrier_runner(settings=fake.settings(), transport=fake.transport())("track", fake.scenario_numbers[scenario])


def test_wrong_key_through_the_client(carrier_runner, fake):
    settings = {**fake.settings(), "api_key": "nope"}
    with pytest.raises(AuthenticationError) as caught:
        carrier_runner(settings=settings, transport=fake.transport())("track", fake.scenario_numbers["delivered"])
    assert "nope" not in str(caught.value)


def test_injected_faults(carrier_runner, fake):
    number = fake.scenario_numbers["delivered"]
    fake.inject(FaultKind.SERVER_ERROR, operation="track", count=2)
    info = carrier_runner(settings=fake.settings(), transport=fake.transport(), max_retries=2)("track", number)
    assert info.status is TrackingStatus.DELIVERED
    assert fake.calls["track"] == 3
    fake.inject(FaultKind.MALFORMED, operation="track")
    with pytest.raises(ResponseError):
        carrier_runner(settings=fake.settings(), transport=fake.transport())("track", number)
    fake.inject(FaultKind.RATE_LIMITED, operation="track", retry_after=0)
    assert (
        carrier_runner(settings=fake.settings(), transport=fake.transport())("track", number).status.value
        == "delivered"
    )


def test_every_url_answers(carrier_runner, fake):
    for base_url in fake.base_urls:
        info = carrier_runner(settings=fake.settings(base_url), transport=fake.transport())(
            "track", fake.scenario_numbers["pre_transit"]
        )
        assert info.status is TrackingStatus.PRE_TRANSIT


def test_unmapped_code_gives_unknown_status(carrier_runner, fake):
    info = carrier_runner(settings=fake.settings(), transport=fake.transport())("track", fake.extra_numbers["unmapped"])
    assert info.status is TrackingStatus.UNKNOWN
    assert info.events[-1].carrier_status_code == "ZZ"
    assert info.events[-1].carrier_status_text == "Item status updated"
