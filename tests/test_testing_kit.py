"""The opt-in pytest plugin ``carrier_sdk.testing``: fixtures and the documented worked example."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

import carrier_sdk.testing as testing
from carrier_sdk import (
    AsyncClient,
    AuthenticationError,
    CarrierRegistry,
    CarrierServerError,
    Client,
    Confidence,
    RateLimit,
    TrackingStatus,
)
from carrier_sdk.adapters import Carrier
from carrier_sdk.fakes import Fault, FaultKind
from carrier_sdk.sandbox import Sandbox
from carrier_sdk.testing import (
    CLIENT_KINDS,
    ClientKind,
    FakeCarrier,
    FakeCarrierAPIServer,
    OperationRunner,
    VirtualClock,
    assert_not_recognized,
    assert_recognized,
    make_client,
    make_registry,
    offline_transport,
)

# The plugin is enabled for the whole repository by its root conftest.py, as users enable it.

ROOT = Path(__file__).resolve().parents[1]
NUMBERS = FakeCarrierAPIServer.scenario_numbers


@pytest.fixture
def carrier_sandbox_registry(carrier_registry: CarrierRegistry) -> CarrierRegistry:
    return carrier_registry


def test_plugin_exports_every_fixture() -> None:
    for name in (
        "carrier_sandbox",
        "sandbox_client",
        "async_sandbox_client",
        "carrier_respx",
        "inject_fault",
        "carrier_registry",
        "carrier_clock",
        "carrier_sandbox_registry",
        "carrier_sandbox_seed",
        "client_kind",
        "sandbox_runner",
        "make_runner",
        "offline_runner",
        "carrier_class",
        "carrier_settings",
        "carrier_client_options",
        "carrier_runner",
        "assert_recognized",
        "assert_not_recognized",
    ):
        assert name in testing.__all__
        assert hasattr(testing, name)


def test_carrier_registry_holds_fakecarrier(carrier_registry: CarrierRegistry) -> None:
    assert carrier_registry.codes() == ["fakecarrier"]


def test_make_registry_holds_exactly_the_carriers_given() -> None:
    from carrier_sdk_usps import UspsCarrier

    assert make_registry().codes() == []
    assert make_registry(FakeCarrier, UspsCarrier).codes() == ["fakecarrier", "usps"]
    assert make_registry(FakeCarrier) is not make_registry(FakeCarrier)


def test_carrier_sandbox_is_fresh_and_uses_the_overridden_registry(carrier_sandbox: Sandbox) -> None:
    assert carrier_sandbox.codes == ["fakecarrier"]
    fake: Any = carrier_sandbox.fake("fakecarrier")
    assert fake.labels == {}
    assert fake.calls == {}


def test_sandbox_client_tracks(sandbox_client: Client, carrier_sandbox: Sandbox) -> None:
    assert sandbox_client.sandbox is carrier_sandbox
    assert sandbox_client.track(NUMBERS["delivered"]).status is TrackingStatus.DELIVERED


@pytest.mark.anyio
async def test_async_sandbox_client_tracks(async_sandbox_client: AsyncClient) -> None:
    info = await async_sandbox_client.track(NUMBERS["available_for_pickup"])
    assert info.status is TrackingStatus.AVAILABLE_FOR_PICKUP


def test_inject_fault_and_virtual_time(sandbox_client: Client, inject_fault: Any, carrier_clock: VirtualClock) -> None:
    inject_fault("fakecarrier", "rate_limited", operation="track", retry_after=7)
    started = carrier_clock()
    sandbox_client.track(NUMBERS["delivered"])
    assert carrier_clock.sleeps == [7]
    assert carrier_clock() - started == 7


def test_quota_uses_the_virtual_clock_on_both_sides(carrier_sandbox: Sandbox, carrier_clock: VirtualClock) -> None:
    carrier_sandbox.set_quota("fakecarrier", RateLimit.per_second(3))
    with Client(
        sandbox=carrier_sandbox,
        registry=carrier_sandbox.registry,
        clock=carrier_clock,
        sleep=carrier_clock.sleep,
        max_retries=0,
    ) as client:
        for _ in range(9):
            client.track(NUMBERS["delivered"])
    assert sum(carrier_clock.sleeps) == pytest.approx(2.0)


def test_carrier_respx_patches_httpx(carrier_respx: Any, carrier_sandbox: Sandbox) -> None:
    settings = carrier_sandbox.settings_for("fakecarrier")
    response = httpx.get(f"{settings['base_url']}/track/{NUMBERS['delivered']}", headers={"X-Fake-Key": "fake-key"})
    assert response.status_code == 200
    assert carrier_respx.calls.call_count == 1


def test_seed_fixture_reaches_the_fakes(carrier_sandbox: Sandbox, carrier_sandbox_seed: int) -> None:
    assert carrier_sandbox.fake("fakecarrier").seed == carrier_sandbox_seed == 0


def test_virtual_clock() -> None:
    clock = VirtualClock(start=10)
    clock.sleep(2)
    clock.sleep(-5)  # a negative wait is recorded and moves nothing
    clock.advance(1)
    assert clock() == clock.now == 13
    assert clock.sleeps == [2, -5]
    assert "now=13" in repr(clock)


def test_virtual_clock_starts_at_the_wall_clock() -> None:
    import time

    before = time.time()
    assert before <= VirtualClock()() <= time.time()


@pytest.mark.anyio
async def test_virtual_clock_async_sleep_lets_other_tasks_run() -> None:
    import anyio

    clock = VirtualClock(start=0)
    seen: list[str] = []

    async def other() -> None:
        seen.append("other ran")

    async with anyio.create_task_group() as tasks:
        tasks.start_soon(other)
        await clock.async_sleep(3)
        assert seen == ["other ran"]  # the sleep yielded before the task group ended
    assert clock() == 3
    assert clock.sleeps == [3]


# -- the one client kind, the one runner ----------------------------------------------------


def test_client_kind_runs_each_kind(client_kind: ClientKind, request: pytest.FixtureRequest) -> None:
    assert client_kind in CLIENT_KINDS
    collected = {item.name for item in request.session.items}
    assert {f"test_client_kind_runs_each_kind[{kind}]" for kind in ("sync", "async")} <= collected


def test_make_client_builds_each_kind_in_virtual_time(carrier_sandbox: Sandbox) -> None:
    clock = VirtualClock(start=5)
    sync = make_client("sync", sandbox=carrier_sandbox, registry=carrier_sandbox.registry, clock=clock)
    asynchronous = make_client("async", sandbox=carrier_sandbox, registry=carrier_sandbox.registry, clock=clock)
    assert type(sync) is Client
    assert type(asynchronous) is AsyncClient
    sync.close()
    with pytest.raises(ValueError, match="'sync' or 'async'"):
        make_client("threads", sandbox=carrier_sandbox)  # type: ignore[call-overload]


def test_runner_runs_a_method_or_a_callable_on_either_kind(
    sandbox_runner: OperationRunner, client_kind: ClientKind
) -> None:
    assert sandbox_runner.kind == client_kind
    assert isinstance(sandbox_runner.client, AsyncClient) == (client_kind == "async")
    assert sandbox_runner("track", NUMBERS["delivered"]).status is TrackingStatus.DELIVERED
    info = sandbox_runner(lambda c: c.track(NUMBERS["in_transit"], carrier="fakecarrier"))
    assert info.status is TrackingStatus.IN_TRANSIT
    with pytest.raises(TypeError, match="inside the callable"):
        sandbox_runner(lambda c: c.track, NUMBERS["delivered"])


def test_runner_collects_a_stream(sandbox_runner: OperationRunner) -> None:
    numbers = [NUMBERS["delivered"], NUMBERS["in_transit"]]
    results = sandbox_runner("track_many", numbers)
    assert isinstance(results, list)
    assert sorted(r.info.status.value for r in results if r.info) == ["delivered", "in_transit"]


def test_runner_raises_the_typed_error_of_either_kind(sandbox_runner: OperationRunner, inject_fault: Any) -> None:
    from carrier_sdk import CarrierServerError

    inject_fault("fakecarrier", FaultKind.SERVER_ERROR, count=10)
    with pytest.raises(CarrierServerError):
        sandbox_runner("track", NUMBERS["delivered"], carrier="fakecarrier")


@pytest.mark.anyio
async def test_runner_call_awaits_in_async_tests(client_kind: ClientKind, carrier_sandbox: Sandbox) -> None:
    async with OperationRunner.open(client_kind, sandbox=carrier_sandbox, registry=carrier_sandbox.registry) as runner:
        info = await runner.call("track", NUMBERS["delivered"])
        streamed = await runner.call(lambda c: c.track_many([NUMBERS["delivered"]]))
    assert info.status is TrackingStatus.DELIVERED
    assert [r.info.status for r in streamed if r.info] == [TrackingStatus.DELIVERED]


def test_runner_closes_its_client(client_kind: ClientKind, carrier_sandbox: Sandbox) -> None:
    closed: list[str] = []
    runner = OperationRunner.open(client_kind, sandbox=carrier_sandbox, registry=carrier_sandbox.registry)
    client: Any = runner.client
    if client_kind == "sync":
        client.close = lambda: closed.append("close")
    else:

        async def aclose() -> None:
            closed.append("aclose")

        client.aclose = aclose
    with runner:
        runner("track", NUMBERS["delivered"])
    assert closed == (["close"] if client_kind == "sync" else ["aclose"])
    assert repr(runner) == f"OperationRunner(kind={client_kind!r})"


@pytest.mark.anyio
async def test_a_sync_runner_also_serves_async_tests(carrier_sandbox: Sandbox) -> None:
    runner = OperationRunner.open("sync", sandbox=carrier_sandbox, registry=carrier_sandbox.registry)
    async with runner:
        assert (await runner.call("track", NUMBERS["delivered"])).status is TrackingStatus.DELIVERED


def test_make_runner_wires_clients_of_the_kind_and_closes_them(
    make_runner: Any, client_kind: ClientKind, carrier_sandbox: Sandbox, carrier_clock: VirtualClock
) -> None:
    carrier_sandbox.inject("fakecarrier", "rate_limited", operation="track", retry_after=4)
    runner = make_runner(sandbox=carrier_sandbox, registry=carrier_sandbox.registry)
    assert runner.kind == client_kind
    assert runner("track", NUMBERS["delivered"]).status is TrackingStatus.DELIVERED
    assert carrier_clock.sleeps == [4]  # the runner's client waited in the fixture's virtual time


def test_offline_transport_fails_the_test_on_any_request(client_kind: ClientKind) -> None:
    api = FakeCarrierAPIServer()
    options = {"settings": {"fakecarrier": api.settings()}, "registry": make_registry(FakeCarrier)}
    runner = OperationRunner.open(client_kind, transport=offline_transport(), **options)
    with runner, pytest.raises(AssertionError, match="no request may be sent, got GET"):
        runner("track", NUMBERS["delivered"], carrier="fakecarrier")
    assert not api.requests


# -- the carrier under test: carrier_class, carrier_settings, carrier_client_options, carrier_runner --


def test_carrier_runner_defaults_to_fakecarrier_and_its_fakes_settings(
    carrier_class: type[Carrier], carrier_runner: Any, client_kind: ClientKind, carrier_clock: VirtualClock
) -> None:
    assert carrier_class is FakeCarrier
    api = FakeCarrierAPIServer()
    api.inject("rate_limited", operation="track", retry_after=3)
    runner = carrier_runner(transport=api.transport())
    assert runner.kind == client_kind
    assert runner("track", NUMBERS["delivered"]).status is TrackingStatus.DELIVERED
    assert carrier_clock.sleeps == [3]  # make_runner's virtual time
    assert api.calls["track"] == 2


class TestAnAdapterConftestOverridesTheCarrierUnderTest:
    """What an adapter's ``conftest.py`` does: the registry and the runner follow the overrides."""

    @pytest.fixture
    def carrier_class(self) -> type[Carrier]:
        from carrier_sdk_usps import UspsCarrier

        return UspsCarrier

    @pytest.fixture
    def carrier_settings(self) -> dict[str, Any]:
        return {"client_id": "id-1", "client_secret": "secret-1"}

    @pytest.fixture
    def carrier_client_options(self) -> dict[str, Any]:
        return {"max_retries": 0}

    def test_the_registry_holds_the_class(self, carrier_registry: CarrierRegistry) -> None:
        assert carrier_registry.codes() == ["usps"]

    def test_the_runner_configures_it_and_calls_may_change_settings_and_options(self, carrier_runner: Any) -> None:
        from carrier_sdk_usps.fake import UspsFake

        fake = UspsFake(seed=1)
        number = fake.scenario_numbers["delivered"]
        with pytest.raises(AuthenticationError):  # carrier_settings: credentials the fake does not know
            carrier_runner(transport=fake.transport())("track", number)
        fake.inject("server_error", operation="track")
        with pytest.raises(CarrierServerError):  # carrier_client_options: no retry
            carrier_runner(settings=fake.settings(), transport=fake.transport())("track", number)
        fake.inject("server_error", operation="track")
        runner = carrier_runner(settings=fake.settings(), transport=fake.transport(), max_retries=1)
        assert runner("track", number).status is TrackingStatus.DELIVERED


# -- recognition assertions ------------------------------------------------------------------


def test_assert_recognized_checks_the_whole_claim() -> None:
    claim = assert_recognized(FakeCarrier, "fk 1234 5678 5", Confidence.HIGH)  # normalized first
    assert claim.carrier == "fakecarrier"
    assert assert_recognized(FakeCarrier, "FK123456785") == claim  # any confidence
    with pytest.raises(AssertionError, match="FakeCarrier claims 'FK123456785' with HIGH, not LOW"):
        assert_recognized(FakeCarrier, "FK123456785", Confidence.LOW)
    with pytest.raises(AssertionError, match=r"FakeCarrier.recognize\('FK123456784'\) claims nothing"):
        assert_recognized(FakeCarrier, "FK123456784")


def test_assert_recognized_refuses_a_claim_for_another_carrier_or_without_reason() -> None:
    class Borrower(FakeCarrier):
        code = "borrower"

        @classmethod
        def recognize(cls, number: str) -> Any:
            return FakeCarrier.recognize(number)  # claims for "fakecarrier"

    class Mute(FakeCarrier):
        @classmethod
        def recognize(cls, number: str) -> Any:
            return cls.claim(Confidence.HIGH, " ") if number == "FK123456785" else None

    with pytest.raises(AssertionError, match="for 'fakecarrier', not 'borrower'"):
        assert_recognized(Borrower, "FK123456785")
    with pytest.raises(AssertionError, match="without a reason"):
        assert_recognized(Mute, "FK123456785")


def test_assert_not_recognized() -> None:
    assert_not_recognized(FakeCarrier, "fk 1234 5678 4")  # wrong check digit
    assert_not_recognized(FakeCarrier, "")
    with pytest.raises(AssertionError, match=r"FakeCarrier.recognize\('FK123456785'\) claims it"):
        assert_not_recognized(FakeCarrier, "fk-1234-5678-5")


def test_recognition_assertions_still_check_under_python_O() -> None:
    # Library helpers must not rely on ``assert`` statements: ``python -O`` strips them.
    import subprocess
    import sys

    script = (
        "from carrier_sdk.testing import FakeCarrier, assert_not_recognized, assert_recognized\n"
        "for check, number in ((assert_recognized, 'FK123456784'), (assert_not_recognized, 'FK123456785')):\n"
        "    try:\n"
        "        check(FakeCarrier, number)\n"
        "    except AssertionError:\n"
        "        continue\n"
        "    raise SystemExit(f'{check.__name__} passed on {number}')\n"
    )
    result = subprocess.run([sys.executable, "-O", "-c", script], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


# -- the one fault-injection signature ------------------------------------------------------


def test_inject_fault_is_the_sandboxs_inject(inject_fault: Any, carrier_sandbox: Sandbox) -> None:
    assert inject_fault == carrier_sandbox.inject
    inject_fault("fakecarrier", "timeout", operation="track", count=2)
    fake: Any = carrier_sandbox.fake("fakecarrier")
    assert fake._faults == [Fault(kind=FaultKind.TIMEOUT, operation="track", count=2)]
    assert fake._faults[0].status == 503
    assert fake._faults[0].retry_after == 1.0
    with pytest.raises(ValueError, match="no-such-fault"):
        inject_fault("fakecarrier", "no-such-fault")


def _doc_files(markdown: str) -> dict[str, str]:
    """Python blocks of a doc whose first line is ``# <file>.py``."""
    files = {}
    for block in re.findall(r"```python\n(.*?)```", markdown, flags=re.S):
        first = block.splitlines()[0]
        if re.fullmatch(r"# [\w.]+\.py", first):
            files[first[2:]] = block
    return files


def test_documented_worked_example_passes(tmp_path: Path) -> None:
    """docs/testing.md's shipping example, run as a user would: conftest enables the plugin."""
    files = _doc_files((ROOT / "docs" / "testing.md").read_text())
    assert set(files) >= {"conftest.py", "shipping.py", "test_shipping.py"}
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)])}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-W", "error", str(tmp_path)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    # test_shipping.py: 6 (one test runs once per client kind); test_adapter_kit.py: 5 (two of its
    # tests run once per client kind)
    assert "11 passed" in result.stdout
