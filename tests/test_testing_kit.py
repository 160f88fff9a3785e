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
from carrier_sdk import AsyncClient, CarrierRegistry, Client, RateLimit, TrackingStatus
from carrier_sdk.sandbox import Sandbox
from carrier_sdk.testing import FakeCarrierAPIServer, SandboxClock
from carrier_sdk.testing import fixtures as kit

# The plugin's fixtures, made visible to this module (users write pytest_plugins = ["carrier_sdk.testing"]).
async_sandbox_client = kit.async_sandbox_client
carrier_clock = kit.carrier_clock
carrier_registry = kit.carrier_registry
carrier_respx = kit.carrier_respx
carrier_sandbox = kit.carrier_sandbox
carrier_sandbox_seed = kit.carrier_sandbox_seed
inject_fault = kit.inject_fault
sandbox_client = kit.sandbox_client

ROOT = Path(__file__).resolve().parents[1]
NUMBERS = FakeCarrierAPIServer.scenario_numbers


@pytest.fixture
def carrier_sandbox_registry(carrier_registry: CarrierRegistry) -> CarrierRegistry:
    return carrier_registry


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


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
    ):
        assert name in testing.__all__
        assert hasattr(testing, name)


def test_carrier_registry_holds_fakecarrier(carrier_registry: CarrierRegistry) -> None:
    assert carrier_registry.codes() == ["fakecarrier"]


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


def test_inject_fault_and_virtual_time(sandbox_client: Client, inject_fault: Any, carrier_clock: SandboxClock) -> None:
    inject_fault("fakecarrier", "rate_limited", operation="track", retry_after=7)
    started = carrier_clock()
    sandbox_client.track(NUMBERS["delivered"])
    assert carrier_clock.slept == [7]
    assert carrier_clock() - started == 7


def test_quota_uses_the_virtual_clock_on_both_sides(carrier_sandbox: Sandbox, carrier_clock: SandboxClock) -> None:
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
    assert sum(carrier_clock.slept) == pytest.approx(2.0)


def test_carrier_respx_patches_httpx(carrier_respx: Any, carrier_sandbox: Sandbox) -> None:
    settings = carrier_sandbox.settings_for("fakecarrier")
    response = httpx.get(f"{settings['base_url']}/track/{NUMBERS['delivered']}", headers={"X-Fake-Key": "fake-key"})
    assert response.status_code == 200
    assert carrier_respx.calls.call_count == 1


def test_seed_fixture_reaches_the_fakes(carrier_sandbox: Sandbox, carrier_sandbox_seed: int) -> None:
    assert carrier_sandbox.fake("fakecarrier").seed == carrier_sandbox_seed == 0


def test_sandbox_clock() -> None:
    clock = SandboxClock(start=10)
    clock.sleep(2)
    clock.advance(1)
    assert clock() == 13
    assert clock.slept == [2]


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
    assert "4 passed" in result.stdout
