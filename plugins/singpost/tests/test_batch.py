"""Batch tracking: mixed found / not found / unusable, chunking, whole-request failures."""

from __future__ import annotations

import httpx
import pytest
import respx
from carrier_sdk_singpost import SingPostCarrier, SingPostSettings
from carrier_sdk_singpost._wire import BATCH_SIZE
from carrier_sdk_singpost.fake import SingPostFake, sg_number

from carrier_sdk import CarrierServerError, ResponseError, TrackingNotFoundError, TrackingStatus

from .conftest import API_KEY, APIM_HOST, APIM_PATH, fixture_bytes


def test_mixed_batch_never_fails_whole(carrier_runner):
    numbers = ["RR123456785SG", "RA987654326SG", "EE000012349SG", "CP314159268ES"]
    with respx.mock(base_url=APIM_HOST, assert_all_called=True) as mock:
        mock.post(APIM_PATH).mock(return_value=httpx.Response(200, content=fixture_bytes("track_batch_mixed.xml")))
        results = {r.number: r for r in carrier_runner()("track_many", numbers, carrier="singpost")}
    assert set(results) == set(numbers)
    found = results["RR123456785SG"].info
    assert found is not None
    assert found.status is TrackingStatus.AVAILABLE_FOR_PICKUP
    assert isinstance(results["RA987654326SG"].error, TrackingNotFoundError)
    assert isinstance(results["EE000012349SG"].error, ResponseError)  # unparseable Date, this number only
    assert isinstance(results["CP314159268ES"].error, ResponseError)  # absent from the response


def drive_flow(carrier, flow, responder):
    """Drive a flow by hand: ``responder(request) -> response``."""
    request = next(flow)
    try:
        while True:
            request = flow.send(responder(request))
    except StopIteration as stop:
        return stop.value


def test_track_batch_chunks_to_batch_size():
    fake = SingPostFake()
    carrier = SingPostCarrier(SingPostSettings(**fake.settings()))
    numbers = [sg_number("RR", 20000000 + i) for i in range(BATCH_SIZE * 2 + 3)]
    sizes = []

    def responder(request):
        response = fake.handle(request)
        response.request = request
        sizes.append(len(fake.tracked) - sum(sizes))
        return response

    outcome = drive_flow(carrier, carrier.track_batch(numbers + numbers[:2]), responder)
    assert sizes == [BATCH_SIZE, BATCH_SIZE, 3]  # duplicates sent once
    assert set(outcome) == set(numbers)
    assert all(info.tracking_number == n for n, info in outcome.items())


def test_batch_error_code_fails_the_request(carrier_runner, fake):
    numbers = [fake.scenario_numbers["delivered"], fake.scenario_numbers["fault_error_code"]]
    results = carrier_runner(settings=fake.settings(), transport=fake.transport())("track_many", numbers)
    assert len(results) == 2
    assert all(isinstance(r.error, CarrierServerError) for r in results)


def test_batch_with_fake_covers_every_status(carrier_runner, fake):
    scenario = fake.scenario_numbers
    statuses = [s.value for s in TrackingStatus if s.value in scenario and s is not TrackingStatus.UNKNOWN]
    numbers = [scenario[s] for s in statuses] + [scenario["unknown"]]
    results = {
        r.number: r for r in carrier_runner(settings=fake.settings(), transport=fake.transport())("track_many", numbers)
    }
    for status in statuses:
        info = results[scenario[status]].info
        assert info is not None, status
        assert info.status.value == status
    assert isinstance(results[scenario["unknown"]].error, TrackingNotFoundError)
    assert fake.calls["track"] == 1  # 8 numbers, one request


@pytest.mark.anyio
async def test_async_track_many_native(carrier_registry, fake):
    from carrier_sdk import AsyncClient

    async def no_sleep(s):
        return None

    async with AsyncClient(
        settings={"singpost": fake.settings()},
        registry=carrier_registry,
        transport=fake.transport(),
        sleep=no_sleep,
        environ={},
    ) as client:
        numbers = [fake.scenario_numbers["delivered"], fake.scenario_numbers["unknown"]]
        results = [r async for r in client.track_many(numbers)]
        info = await client.track(fake.scenario_numbers["in_transit"])
    assert sorted(r.ok for r in results) == [False, True]
    assert info.status is TrackingStatus.IN_TRANSIT
    assert API_KEY not in repr(client)
