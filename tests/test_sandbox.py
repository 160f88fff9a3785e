"""The sandbox: fakes composed into transports, a respx router and a loopback server."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest

from carrier_sdk import (
    APIConnectionError,
    AsyncClient,
    CarrierRegistry,
    CarrierServerError,
    Client,
    ConfigurationError,
    RateLimit,
    RateLimitError,
    TrackingNotFoundError,
    TrackingStatus,
    UnknownCarrierError,
)
from carrier_sdk.adapters import Carrier
from carrier_sdk.fakes import FaultKind
from carrier_sdk.sandbox import Sandbox, SandboxServer, load_fake
from carrier_sdk.testing import (
    FAKE_BASE_URL,
    FakeCarrier,
    FakeCarrierAPIServer,
    FakeCarrierSettings,
    fake_number,
    make_registry,
)

NUMBERS = FakeCarrierAPIServer.scenario_numbers


class NoFakeCarrier(Carrier):
    code = "nofake"
    display_name = "No Fake"
    Settings = FakeCarrierSettings


class BrokenFakeCarrier(Carrier):
    code = "brokenfake"
    display_name = "Broken Fake"
    Settings = FakeCarrierSettings
    fake = "carrier_sdk_does_not_exist.fake:Nope"


@pytest.fixture
def registry() -> CarrierRegistry:
    return make_registry(FakeCarrier)


@pytest.fixture
def sandbox(registry: CarrierRegistry) -> Sandbox:
    return Sandbox(registry=registry)


def no_sleep(seconds: float) -> None:
    return None


async def async_no_sleep(seconds: float) -> None:
    return None


def test_client_sandbox_true_needs_no_credentials(registry: CarrierRegistry) -> None:
    with Client(sandbox=True, registry=registry, environ={}) as client:
        info = client.track(NUMBERS["delivered"])
        assert info.status is TrackingStatus.DELIVERED
        assert isinstance(client.sandbox, Sandbox)
        assert client.sandbox.fake("fakecarrier").calls["track"] == 1


def test_client_accepts_a_sandbox_instance(sandbox: Sandbox, registry: CarrierRegistry) -> None:
    with Client(sandbox=sandbox, registry=registry, environ={}) as client:
        assert client.sandbox is sandbox
        client.track(NUMBERS["in_transit"])
    assert sandbox.fake("fakecarrier").calls["track"] == 1


@pytest.mark.anyio
async def test_async_client_sandbox(sandbox: Sandbox, registry: CarrierRegistry) -> None:
    async with AsyncClient(sandbox=sandbox, registry=registry, environ={}, http_backend="httpx") as client:
        info = await client.track(NUMBERS["out_for_delivery"])
    assert info.status is TrackingStatus.OUT_FOR_DELIVERY
    assert sandbox.fake("fakecarrier").calls["track"] == 1


def test_settings_are_the_fakes_credentials(sandbox: Sandbox) -> None:
    assert sandbox.settings_for("fakecarrier") == FakeCarrierAPIServer().settings()


def test_every_valid_number_gets_a_deterministic_history(registry: CarrierRegistry) -> None:
    histories = []
    for _ in range(2):
        with Client(sandbox=Sandbox(registry=registry, seed=7), registry=registry, environ={}) as client:
            histories.append([client.track(fake_number(n)) for n in (12345678, 424242, 31337)])
    assert histories[0] == histories[1]
    assert all(info.events for info in histories[0])


def test_seed_changes_generated_histories(registry: CarrierRegistry) -> None:
    numbers = [fake_number(n) for n in range(1000, 1020)]
    events = []
    for seed in (1, 2):
        with Client(sandbox=Sandbox(registry=registry, seed=seed), registry=registry, environ={}) as client:
            events.append([client.track(n).events for n in numbers])
    assert events[0] != events[1]


def test_scenario_numbers(sandbox: Sandbox, registry: CarrierRegistry) -> None:
    scenarios = sandbox.scenario_numbers()
    assert scenarios == {"fakecarrier": dict(NUMBERS)}
    with Client(sandbox=sandbox, registry=registry, environ={}, sleep=no_sleep) as client:
        for status in TrackingStatus:
            if status.value in scenarios["fakecarrier"] and status is not TrackingStatus.UNKNOWN:
                assert client.track(scenarios["fakecarrier"][status.value]).status is status
        with pytest.raises(TrackingNotFoundError):
            client.track(scenarios["fakecarrier"]["unknown"])
        with pytest.raises(CarrierServerError):
            client.track(scenarios["fakecarrier"]["fault_server_error"])
        with pytest.raises(RateLimitError):
            client.with_options(max_retries=0).track(scenarios["fakecarrier"]["fault_rate_limited"])


@pytest.mark.parametrize(
    ("kind", "error"),
    [
        (FaultKind.CONNECT_ERROR, APIConnectionError),
        (FaultKind.TIMEOUT, APIConnectionError),
        (FaultKind.SERVER_ERROR, CarrierServerError),
        (FaultKind.RATE_LIMITED, RateLimitError),
    ],
)
def test_injected_faults_reach_the_client(
    sandbox: Sandbox, registry: CarrierRegistry, kind: FaultKind, error: type
) -> None:
    sandbox.inject("fakecarrier", kind, operation="track", count=5)
    with Client(sandbox=sandbox, registry=registry, environ={}, sleep=no_sleep, max_retries=1) as client:
        with pytest.raises(error):
            client.track(NUMBERS["delivered"])
        # Two attempts used two of the five scheduled faults; the others still wait.
        assert sandbox.fake("fakecarrier").pending_faults[0].count == 3


def test_lost_response_after_commit_buys_exactly_one_label(sandbox: Sandbox, registry: CarrierRegistry) -> None:
    from carrier_sdk import Address, Parcel, ShipmentRequest

    address = Address(name="Ada", street1="1 Main St", city="Springfield", country="US")
    request = ShipmentRequest(shipper=address, recipient=address, parcels=(Parcel(weight=1),))
    sandbox.inject("fakecarrier", FaultKind.LOST_RESPONSE, operation="create_shipment")
    with Client(sandbox=sandbox, registry=registry, environ={}, sleep=no_sleep) as client:
        shipment = client.create_shipment("fakecarrier", request)
    fake: Any = sandbox.fake("fakecarrier")
    assert len(fake.labels) == 1
    assert len(fake.charges) == 1
    assert shipment.tracking_number in fake.labels
    assert fake.calls["create_shipment"] == 2


def test_reset_forgets_state_faults_and_quota(sandbox: Sandbox, registry: CarrierRegistry) -> None:
    fake: Any = sandbox.fake("fakecarrier")
    sandbox.inject("fakecarrier", "server_error", count=3)
    sandbox.set_quota("fakecarrier", RateLimit.per_second(1))
    sandbox.set_latency(0.5)
    fake.labels["FK000000014"] = {"cancelled": False, "at": 0}
    sandbox.reset()
    assert fake.labels == {}
    assert fake.pending_faults == []
    assert fake.quota is None
    assert fake.latency == 0
    assert sandbox.quota_for("fakecarrier") is None


def test_quota_off_by_default_means_full_speed(sandbox: Sandbox, registry: CarrierRegistry) -> None:
    slept: list[float] = []
    with Client(sandbox=sandbox, registry=registry, environ={}, sleep=slept.append) as client:
        for _ in range(30):
            client.track(NUMBERS["delivered"])
    assert slept == []
    assert sandbox.quota_for("fakecarrier") is None


def test_quota_switch_drives_the_client_side_limiter(registry: CarrierRegistry) -> None:
    now = [1000.0]

    def clock() -> float:
        return now[0]

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    slept: list[float] = []
    sandbox = Sandbox(registry=registry, clock=clock)
    sandbox.set_quota("fakecarrier", RateLimit.per_second(2))
    assert sandbox.quota_for("fakecarrier") == RateLimit.per_second(2)
    with Client(sandbox=sandbox, registry=registry, environ={}, clock=clock, sleep=sleep) as client:
        for _ in range(6):
            client.track(NUMBERS["delivered"])
    # The real limiter spaced the calls, so the fake's quota never answered 429.
    assert sum(slept) == pytest.approx(2.0)
    assert sandbox.fake("fakecarrier").calls["track"] == 6


def test_quota_switched_on_later_reaches_an_existing_client(registry: CarrierRegistry) -> None:
    now = [1000.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    sandbox = Sandbox(registry=registry, clock=lambda: now[0])
    with Client(sandbox=sandbox, registry=registry, environ={}, clock=lambda: now[0], sleep=sleep) as client:
        client.track(NUMBERS["delivered"])  # the limiter exists now, with no quota
        sandbox.set_quota("fakecarrier", RateLimit.per_second(1))
        for _ in range(3):
            client.track(NUMBERS["delivered"])
        assert sum(slept) == pytest.approx(2.0)
        sandbox.set_quota("fakecarrier", None)
        before = sum(slept)
        for _ in range(5):
            client.track(NUMBERS["delivered"])
        assert sum(slept) == before


def test_quota_without_client_limiter_gets_429(registry: CarrierRegistry) -> None:
    sandbox = Sandbox(registry=registry)
    sandbox.set_quota("fakecarrier", RateLimit.per_minute(1), retry_after=30)
    with Client(
        sandbox=sandbox,
        registry=registry,
        environ={},
        sleep=no_sleep,
        max_retries=0,
        rate_limits={"fakecarrier": None},
    ) as client:
        client.track(NUMBERS["delivered"])
        with pytest.raises(RateLimitError) as caught:
            client.track(NUMBERS["delivered"])
    assert caught.value.retry_after == 30


def test_latency_is_applied(sandbox: Sandbox, registry: CarrierRegistry) -> None:
    sandbox.set_latency(0.05, "fakecarrier")
    with Client(sandbox=sandbox, registry=registry, environ={}) as client:
        started = time.perf_counter()
        client.track(NUMBERS["delivered"])
        assert time.perf_counter() - started >= 0.05


@pytest.mark.anyio
async def test_async_latency_does_not_block_the_loop(sandbox: Sandbox, registry: CarrierRegistry) -> None:
    sandbox.set_latency(0.05)
    async with AsyncClient(sandbox=sandbox, registry=registry, environ={}, http_backend="httpx") as client:
        started = time.perf_counter()
        await asyncio.gather(*(client.track(NUMBERS["delivered"]) for _ in range(10)))
        assert time.perf_counter() - started < 0.4


def test_negative_latency_is_refused(sandbox: Sandbox) -> None:
    with pytest.raises(ConfigurationError):
        sandbox.set_latency(-1)


def test_unserved_urls_never_reach_the_network(sandbox: Sandbox) -> None:
    with (
        httpx.Client(transport=sandbox.transport()) as http,
        pytest.raises(httpx.ConnectError, match="no carrier fake"),
    ):
        http.get("https://example.com/")


def test_state_is_inspectable_through_the_sandbox(sandbox: Sandbox, registry: CarrierRegistry) -> None:
    with Client(sandbox=sandbox, registry=registry, environ={}) as client:
        client.track(NUMBERS["delivered"])
        client.track(NUMBERS["in_transit"])
    fake = sandbox.fakes["fakecarrier"]
    assert fake.calls == {"track": 2}
    assert [r.url.path for r in fake.requests] == [f"/track/{NUMBERS['delivered']}", f"/track/{NUMBERS['in_transit']}"]


def test_carriers_filter_and_unknown_codes(registry: CarrierRegistry) -> None:
    registry.add(NoFakeCarrier)
    sandbox = Sandbox(registry=registry)
    assert sandbox.codes == ["fakecarrier"]  # carriers without a fake are left out
    with pytest.raises(ConfigurationError, match="ships no fake"):
        sandbox.fake("nofake")
    with pytest.raises(UnknownCarrierError):
        sandbox.fake("nope")
    with pytest.raises(UnknownCarrierError):
        Sandbox(registry=registry, carriers=["nope"])
    assert Sandbox(registry=registry, carriers=["fakecarrier"]).codes == ["fakecarrier"]


def test_a_broken_fake_is_skipped_not_fatal(registry: CarrierRegistry, caplog: pytest.LogCaptureFixture) -> None:
    registry.add(BrokenFakeCarrier)
    sandbox = Sandbox(registry=registry)
    assert set(sandbox.fakes) == {"fakecarrier"}
    assert "brokenfake" in caplog.text
    with pytest.raises(ConfigurationError, match="cannot import"):
        load_fake(BrokenFakeCarrier)
    with Client(sandbox=sandbox, registry=registry, environ={}) as client:
        assert client.track(NUMBERS["delivered"]).status is TrackingStatus.DELIVERED


def test_fake_spec_must_name_a_fake_class() -> None:
    class Wrong(Carrier):
        code = "wrong"
        display_name = "Wrong"
        Settings = FakeCarrierSettings
        fake = "carrier_sdk.testing._fake_carrier:FakeCarrier"

    with pytest.raises(ConfigurationError, match="not a FakeCarrierAPI"):
        load_fake(Wrong)
    Wrong.fake = "no-colon"
    with pytest.raises(ConfigurationError, match="module:Class"):
        load_fake(Wrong)


def test_respx_router_serves_the_fakes(sandbox: Sandbox, registry: CarrierRegistry) -> None:
    with sandbox.router() as router:
        with Client(settings={"fakecarrier": sandbox.settings_for("fakecarrier")}, registry=registry) as client:
            assert client.track(NUMBERS["delivered"]).status is TrackingStatus.DELIVERED
        assert router.calls.call_count == 1
        with pytest.raises(Exception, match="not mocked"):
            httpx.get("https://unmocked.example/")


def test_loopback_server_round_trip(sandbox: Sandbox, registry: CarrierRegistry) -> None:
    with sandbox.serve() as server:
        assert isinstance(server, SandboxServer)
        assert server.url.startswith("http://127.0.0.1:")
        assert server.base_urls == {"fakecarrier": f"{server.url}/fakecarrier"}
        assert sandbox.settings_for("fakecarrier")["base_url"] == server.base_urls["fakecarrier"]
        with Client(settings=server.settings(), registry=registry, environ={}, sleep=no_sleep) as client:
            assert client.track(NUMBERS["returned_to_sender"]).status is TrackingStatus.RETURNED_TO_SENDER
            with pytest.raises(TrackingNotFoundError):
                client.track(NUMBERS["unknown"])
        index = httpx.get(server.url + "/").json()
        assert index["carriers"]["fakecarrier"]["scenario_numbers"]["delivered"] == NUMBERS["delivered"]
        assert httpx.get(server.url + "/nope/x").status_code == 404
        fake = sandbox.fake("fakecarrier")
        assert fake.requests[0].url.host == httpx.URL(FAKE_BASE_URL).host  # the prefix was stripped
    assert server.closed
    assert sandbox.settings_for("fakecarrier")["base_url"] == FAKE_BASE_URL
    with pytest.raises(httpx.ConnectError):
        httpx.get(server.url + "/", timeout=1)


def test_loopback_server_drops_the_connection_on_injected_faults(sandbox: Sandbox, registry: CarrierRegistry) -> None:
    sandbox.inject("fakecarrier", FaultKind.LOST_RESPONSE, operation="track", count=1)
    with (
        sandbox.serve() as server,
        Client(settings=server.settings(), registry=registry, environ={}, sleep=no_sleep, max_retries=0) as client,
    ):
        with pytest.raises(APIConnectionError):
            client.track(NUMBERS["delivered"])
        assert client.track(NUMBERS["delivered"]).status is TrackingStatus.DELIVERED


@pytest.mark.anyio
async def test_loopback_server_async_client(sandbox: Sandbox, registry: CarrierRegistry) -> None:
    with sandbox.serve() as server:
        async with AsyncClient(
            settings=server.settings(), registry=registry, environ={}, http_backend="httpx"
        ) as client:
            infos = await asyncio.gather(*(client.track(fake_number(n)) for n in range(100, 120)))
    assert len({i.tracking_number for i in infos}) == 20


def test_sandbox_client_during_serve_still_works_in_memory(sandbox: Sandbox, registry: CarrierRegistry) -> None:
    with sandbox.serve(), Client(sandbox=sandbox, registry=registry, environ={}) as client:
        assert client.track(NUMBERS["delivered"]).status is TrackingStatus.DELIVERED


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "example.com", ""])
def test_serve_refuses_non_loopback_hosts(sandbox: Sandbox, host: str) -> None:
    with pytest.raises(ConfigurationError, match="loopback"):
        sandbox.serve(host=host)


def test_serve_on_a_fixed_port(sandbox: Sandbox) -> None:
    with sandbox.serve(port=0) as first:
        port = first.port
    with sandbox.serve(port=port) as second:
        assert second.port == port
        assert httpx.get(second.url + "/").status_code == 200
