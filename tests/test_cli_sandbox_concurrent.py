"""Concurrent CLI sandbox runs (issue 13): separate processes at the same time share one account.

Each run loads the sandbox state, works and saves it; without a lock the last save wins (labels
bought by the other run vanish, and both runs hand out the same label number). The state file is
locked for a run's read-modify-write, so concurrent runs serialize.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from carrier_sdk import CarrierRegistry, Client, ConfigurationError
from carrier_sdk.sandbox import Sandbox
from carrier_sdk.testing import FakeCarrier, FakeCarrierAPIServer

from .test_cli_sandbox import SHIPMENT

RUNS = 4


def _usps() -> bool:
    try:
        return "usps" in Sandbox().codes
    except Exception:  # pragma: no cover
        return False


needs_usps = pytest.mark.skipif(not _usps(), reason="needs the carrier-sdk-usps plugin (pip install -e plugins/usps)")


def _start(cwd: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "carrier_sdk.cli", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ},
        cwd=cwd,
    )


def _all(processes: list[subprocess.Popen[str]]) -> list[str]:
    outputs = []
    for process in processes:
        out, err = process.communicate(timeout=180)
        assert process.returncode == 0, err
        outputs.append(out)
    return outputs


@needs_usps
def test_concurrent_ship_runs_keep_every_label(tmp_path: Path) -> None:
    shipment = tmp_path / "shipment.json"
    shipment.write_text(json.dumps(SHIPMENT), encoding="utf-8")
    outputs = _all([_start(tmp_path, "--sandbox", "--json", "ship", "usps", str(shipment)) for _ in range(RUNS)])
    numbers = [json.loads(out)["tracking_number"] for out in outputs]
    assert len(set(numbers)) == RUNS, f"concurrent runs handed out the same label: {numbers}"
    # Every label is in the saved account: each can be cancelled once by a later run.
    cancels = _all([_start(tmp_path, "--sandbox", "--json", "cancel", "usps", n) for n in numbers])
    assert all(json.loads(out)["cancelled"] for out in cancels), cancels
    saved = json.loads(
        next((Path(os.environ["CARRIER_SDK_DATA_DIR"]) / "sandbox").glob("state-seed-0.json")).read_text()
    )
    labels = saved["fakes"]["usps"]
    assert all(n in json.dumps(labels) for n in numbers)


@needs_usps
def test_concurrent_advance_runs_keep_every_move(tmp_path: Path) -> None:
    scenario = Sandbox(carriers=["usps"]).scenario_numbers()["usps"]
    numbers = [scenario["pre_transit"], scenario["in_transit"], scenario["out_for_delivery"]]
    _all([_start(tmp_path, "--json", "sandbox", "advance", "--to-status", "delivered", number) for number in numbers])
    tracked = _all([_start(tmp_path, "--sandbox", "--json", "track", number) for number in numbers])
    statuses = [json.loads(out.splitlines()[0])["info"]["status"] for out in tracked]
    assert statuses == ["delivered"] * len(numbers), statuses


def _fake_sandbox() -> Sandbox:
    registry = CarrierRegistry()
    registry.add(FakeCarrier)
    return Sandbox(registry=registry)


def test_saves_of_interleaved_sandboxes_merge(tmp_path: Path) -> None:
    """Two sandboxes load the same file, each moves a parcel, both save: both moves are kept."""
    path = tmp_path / "state.json"
    first, second = _fake_sandbox(), _fake_sandbox()
    first.load(path)
    second.load(path)
    scenarios = FakeCarrierAPIServer.scenario_numbers
    first.advance(scenarios["pre_transit"], to_status="delivered")
    second.advance(scenarios["in_transit"], to_status="returned_to_sender")
    first.save(path)
    second.save(path)  # without the merge, this save would erase the first one's move
    third = _fake_sandbox()
    third.load(path)
    with Client(sandbox=third, registry=third.registry) as client:
        assert client.track(scenarios["pre_transit"]).status == "delivered"
        assert client.track(scenarios["in_transit"]).status == "returned_to_sender"
    # A value both changed: the later save's wins; a parcel only one moved keeps that move.
    second.advance(scenarios["pre_transit"], to_status="delivery_failed")
    second.save(path)
    fourth = _fake_sandbox()
    fourth.load(path)
    with Client(sandbox=fourth, registry=fourth.registry) as client:
        assert client.track(scenarios["pre_transit"]).status == "delivery_failed"
        assert client.track(scenarios["in_transit"]).status == "returned_to_sender"


def test_a_held_state_file_makes_another_run_wait_then_fail(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    holder, other = _fake_sandbox(), _fake_sandbox()
    holder.lock(path)
    holder.lock(path)  # taking a held lock again does nothing
    with pytest.raises(ConfigurationError, match="in use by another carrier-sdk run"):
        other.lock(path, timeout=0.2)
    with pytest.raises(ConfigurationError, match="in use"):
        other.lock(path, timeout=0)
    holder.unlock(path)
    other.save(path)  # free now
    assert path.exists()
    with other.locked(path), pytest.raises(ConfigurationError):
        holder.lock(path, timeout=0)
    holder.lock(path, timeout=0)
    holder.unlock(path)
