"""The CLI sandbox is one carrier account across separate runs: ship, cancel, track, advance, reset."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from carrier_sdk.cli import Overrides, cli
from carrier_sdk.testing import FakeCarrier, FakeCarrierAPIServer, make_registry

SHIPMENT = {
    "shipper": {
        "name": "Ada",
        "street1": "1 Main St",
        "city": "Richmond",
        "state": "VA",
        "postal_code": "23227",
        "country": "US",
    },
    "recipient": {
        "name": "Bo",
        "street1": "2 Oak St",
        "city": "Denver",
        "state": "CO",
        "postal_code": "80202",
        "country": "US",
    },
    "parcels": [{"weight": "1.5", "weight_unit": "lb"}],
}


def _run(*args: str) -> Result:
    """One separate run of the command (a new Sandbox each time) against FakeCarrier."""
    registry = make_registry(FakeCarrier)
    return CliRunner().invoke(cli, list(args), obj=Overrides(registry=registry, sleep=lambda s: None))


@pytest.fixture
def shipment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "shipment.json"
    path.write_text(json.dumps(SHIPMENT), encoding="utf-8")
    return path


def _ship(shipment: Path, *extra: str) -> dict[str, Any]:
    result = _run("--sandbox", "--json", "ship", "fakecarrier", str(shipment), *extra)
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def test_ship_cancel_track_advance_across_runs(shipment: Path) -> None:
    first = _ship(shipment)
    second = _ship(shipment)
    assert first["tracking_number"] != second["tracking_number"]  # two purchases, two labels
    assert Path(first["label"]["path"]).read_bytes() != Path(second["label"]["path"]).read_bytes()

    number = second["tracking_number"]
    tracked = _run("--sandbox", "--json", "track", number)
    assert tracked.exit_code == 0, tracked.output
    assert json.loads(tracked.stdout.splitlines()[0])["info"]["status"] == "pre_transit"

    moved = _run("--json", "sandbox", "advance", "--hours", "12", number)
    assert moved.exit_code == 0, moved.output
    assert json.loads(moved.stdout)["previous_status"] == "pre_transit"
    assert json.loads(moved.stdout)["status"] == "in_transit"
    again = _run("sandbox", "advance", "--to-status", "DELIVERED", number)
    assert again.exit_code == 0, again.output
    assert f"{number} (fakecarrier): in_transit -> delivered" in again.stdout
    tracked = _run("--sandbox", "--json", "track", number)
    assert json.loads(tracked.stdout.splitlines()[0])["info"]["status"] == "delivered"

    cancelled = _run("--sandbox", "--json", "cancel", "fakecarrier", first["tracking_number"])
    assert cancelled.exit_code == 0, cancelled.output
    assert json.loads(cancelled.stdout)["cancelled"] is True
    twice = _run("--sandbox", "cancel", "fakecarrier", first["tracking_number"])
    assert twice.exit_code == 0, twice.output  # the label is still known to the account (a fresh one would 404)

    refused = _run("sandbox", "advance", "--hours", "5", first["tracking_number"])
    assert refused.exit_code == 2
    assert "was cancelled" in refused.stderr


def test_reset_forgets_the_account(shipment: Path) -> None:
    number = _ship(shipment)["tracking_number"]
    reset = _run("sandbox", "reset")
    assert reset.exit_code == 0
    assert "Sandbox state forgotten (1 file(s) removed" in reset.stdout
    assert "No sandbox state to forget" in _run("sandbox", "reset").stdout
    # The label is gone: the number now reads as a generated one, and the next label reuses the serial.
    assert _ship(shipment)["tracking_number"] == number


def test_an_existing_label_file_is_never_overwritten(shipment: Path) -> None:
    (shipment.parent / "label.pdf").write_bytes(b"precious")
    result = _run("--sandbox", "--json", "ship", "fakecarrier", str(shipment), "--label-out", "label.pdf")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["label"]["path"] == "label-2.pdf"
    assert (shipment.parent / "label.pdf").read_bytes() == b"precious"
    assert "'label.pdf' exists and was left alone; the label is in 'label-2.pdf'" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("sandbox", "advance", "X"), "give one of --hours N or --to-status STATUS"),
        (("sandbox", "advance", "--hours", "1", "--to-status", "delivered", "X"), "give one of --hours"),
        (("sandbox", "advance", "--hours", "0", "X"), "0.0 is not in the range x>0"),
        (("sandbox", "advance", "--to-status", "shipped", "X"), "'shipped' is not one of"),
        (
            ("sandbox", "advance", "--hours", "3", FakeCarrierAPIServer.scenario_numbers["delivery_failed"]),
            "is delivery_failed: hours move a parcel along",
        ),
    ],
)
def test_advance_usage_errors_exit_2(args: tuple[str, ...], message: str) -> None:
    result = _run(*args)
    assert result.exit_code == 2
    assert message in result.stderr


def test_unreadable_state_exits_2_and_says_how_to_recover(shipment: Path) -> None:
    state = Path(os.environ["CARRIER_SDK_DATA_DIR"]) / "sandbox" / "state-seed-0.json"
    state.parent.mkdir(parents=True)
    state.write_text("{broken", encoding="utf-8")
    result = _run("--sandbox", "track", FakeCarrierAPIServer.scenario_numbers["delivered"])
    assert result.exit_code == 2
    assert "run 'carrier-sdk sandbox reset'" in result.stderr
    assert _run("sandbox", "reset").exit_code == 0
    assert _run("--sandbox", "track", FakeCarrierAPIServer.scenario_numbers["delivered"]).exit_code == 0


def test_seeds_keep_separate_accounts(shipment: Path) -> None:
    number = _ship(shipment)["tracking_number"]
    other = _run("--sandbox", "--seed", "7", "--json", "ship", "fakecarrier", str(shipment))
    assert json.loads(other.stdout)["tracking_number"] == number  # a fresh account for seed 7
    assert len(list((Path(os.environ["CARRIER_SDK_DATA_DIR"]) / "sandbox").glob("*.json"))) == 2


def _installed_usps() -> bool:
    from carrier_sdk.sandbox import Sandbox

    return "usps" in Sandbox().codes


@pytest.mark.skipif(not _installed_usps(), reason="needs the carrier-sdk-usps plugin (pip install -e plugins/usps)")
def test_subprocess_runs_share_one_usps_account(shipment: Path) -> None:
    """The same path in separate processes, with the real USPS plugin and its fake."""

    def command(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "carrier_sdk.cli", *args],
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ},
            cwd=shipment.parent,
        )

    bought = command("--sandbox", "--json", "ship", "usps", str(shipment))
    assert bought.returncode == 0, bought.stderr
    number = json.loads(bought.stdout)["tracking_number"]
    advanced = command("--json", "sandbox", "advance", "--to-status", "out_for_delivery", number)
    assert advanced.returncode == 0, advanced.stderr
    tracked = command("--sandbox", "--json", "track", number)
    assert json.loads(tracked.stdout.splitlines()[0])["info"]["status"] == "out_for_delivery"
    cancelled = command("--sandbox", "cancel", "usps", number)
    assert cancelled.returncode == 0, cancelled.stderr
    twice = command("--sandbox", "cancel", "usps", number)
    assert twice.returncode == 1
    assert "already been canceled" in twice.stderr


# -- sandbox serve prints settings ready to use -----------------------------------------------------


def test_serve_prints_settings_and_scenario_numbers() -> None:
    result = _run("--json", "sandbox", "serve", "--exit-after", "0")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    settings = data["settings"]["fakecarrier"]
    assert settings["api_key"] == "fake-key"  # the fake's credentials
    assert settings["base_url"] == data["base_urls"]["fakecarrier"]
    assert data["scenario_numbers"]["fakecarrier"]["delivered"] == FakeCarrierAPIServer.scenario_numbers["delivered"]

    table = _run("sandbox", "serve", "--exit-after", "0")
    assert '[fakecarrier]\napi_key_id = "sandbox"\napi_key = "fake-key"\nbase_url = "http://127.0.0.1:' in table.stdout
    assert FakeCarrierAPIServer.scenario_numbers["delivered"] in table.stdout

    toml_text = _run("sandbox", "serve", "--exit-after", "0", "--format", "toml").stdout
    import tomllib

    assert tomllib.loads(toml_text)["fakecarrier"]["api_key"] == "fake-key"
    env = _run("sandbox", "serve", "--exit-after", "0", "--format", "env").stdout
    assert "export CARRIER_SDK_FAKECARRIER_API_KEY=fake-key\n" in env
    assert "export CARRIER_SDK_FAKECARRIER_BASE_URL=http://127.0.0.1:" in env


def _serve(fmt: str, cwd: Path) -> tuple[subprocess.Popen[str], list[str]]:
    process = subprocess.Popen(
        [sys.executable, "-m", "carrier_sdk.cli", "sandbox", "serve", "--format", fmt, "--exit-after", "60"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=cwd,
    )
    assert process.stdout is not None
    lines = []
    for line in process.stdout:
        if line.startswith("# Serving until Ctrl-C."):
            break
        lines.append(line)
    return process, lines


@pytest.mark.skipif(not _installed_usps(), reason="needs the carrier-sdk-usps plugin (pip install -e plugins/usps)")
@pytest.mark.parametrize("fmt", ["toml", "env"])
def test_printed_settings_work_against_the_running_server(fmt: str, tmp_path: Path) -> None:
    """Paste what `sandbox serve` printed: another process tracks and ships through the server."""
    process, lines = _serve(fmt, tmp_path)
    try:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CARRIER_SDK_") or k == "CARRIER_SDK_DATA_DIR"}
        args = []
        if fmt == "toml":
            (tmp_path / "sandbox.toml").write_text("".join(lines), encoding="utf-8")
            args = ["--config", str(tmp_path / "sandbox.toml")]
        else:
            for line in lines:
                if line.startswith("export "):
                    name, _, value = line.removeprefix("export ").strip().partition("=")
                    env[name] = value
        delivered = "9400111899000000000053"  # the USPS fake's "delivered" scenario number
        tracked = subprocess.run(
            [sys.executable, "-m", "carrier_sdk.cli", *args, "--json", "track", delivered],
            capture_output=True,
            text=True,
            timeout=60,
            env=env,
        )
        assert tracked.returncode == 0, tracked.stderr
        assert json.loads(tracked.stdout.splitlines()[0])["info"]["status"] == "delivered"
        (tmp_path / "s.json").write_text(json.dumps(SHIPMENT), encoding="utf-8")
        shipped = subprocess.run(  # the payment settings are part of what was printed
            [sys.executable, "-m", "carrier_sdk.cli", *args, "--json", "ship", "usps", "s.json"],
            capture_output=True,
            text=True,
            timeout=60,
            env=env,
            cwd=tmp_path,
        )
        assert shipped.returncode == 0, shipped.stderr
    finally:
        process.terminate()
        process.wait(timeout=30)
        if process.stdout is not None:
            process.stdout.close()
