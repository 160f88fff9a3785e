"""``carrier-sdk return``, ``manifest`` and ``pickup`` through the command, against the sandbox."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

pytest.importorskip("carrier_sdk_usps")

from carrier_sdk.cli import EXIT_FAILED, EXIT_USAGE, Overrides, cli

DOCK = {"name": "Sam Shipper", "street1": "4120 Bingham Ave", "city": "St. Louis", "state": "MO",
        "postal_code": "63116", "country": "US", "email": "dock@example.com"}  # fmt: skip
HOME = {"name": "Jane Doe", "street1": "1100 Wyoming St", "city": "St. Louis", "state": "MO",
        "postal_code": "63118", "country": "US"}  # fmt: skip
PARCEL = {"weight": "12", "weight_unit": "oz"}


def _run(tmp_path: Path, *args: str) -> tuple[int, str]:
    from carrier_sdk.cli._paths import DATA_DIR_ENV

    overrides = Overrides(environ={DATA_DIR_ENV: str(tmp_path / "data")})  # this test's own sandbox account
    result = CliRunner().invoke(cli, ["--sandbox", "--json", *args], obj=overrides, catch_exceptions=False)
    return result.exit_code, result.output


def _file(tmp_path: Path, name: str, data: object) -> str:
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return str(path)


def test_return_manifest_and_pickup_commands(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    back = _file(tmp_path, "back.json", {"shipper": HOME, "recipient": DOCK, "parcels": [PARCEL]})
    code, out = _run(tmp_path, "return", "usps", back, "--idempotency-key", "rma-1")
    assert code == 0, out
    returned = json.loads(out)
    assert returned["service"] == "USPS_GROUND_ADVANTAGE_RETURN_SERVICE"
    assert Path(returned["label"]["path"]).read_bytes().startswith(b"%PDF")

    origin = _file(tmp_path, "dock.json", DOCK)
    code, out = _run(tmp_path, "manifest", "usps", returned["tracking_number"], "--origin", origin)
    assert code == 0, out
    sheet = json.loads(out)
    assert sheet["tracking_numbers"] == [returned["tracking_number"]]
    assert Path(sheet["document"]["path"]).exists()
    # Already on a form: the carrier refuses it (its typed error, exit 1 or 2 by kind, never 0).
    code, out = _run(tmp_path, "manifest", "usps", returned["tracking_number"], "--origin", origin)
    assert code != 0

    day = date.today() + timedelta(days=2)
    if day.weekday() == 6:
        day += timedelta(days=1)
    request = _file(tmp_path, "pickup.json", {"address": DOCK, "pickup_date": day.isoformat(),
                                              "package_count": 2, "total_weight": "1.5"})  # fmt: skip
    code, out = _run(tmp_path, "pickup", "availability", "usps", "--address", origin)
    assert code == 0, out
    assert json.loads(out)["available"] is True
    code, out = _run(tmp_path, "pickup", "schedule", "usps", request)
    assert code == 0, out
    confirmation = json.loads(out)["confirmation"]
    code, out = _run(tmp_path, "pickup", "cancel", "usps", confirmation)
    assert code == 0, out
    code, out = _run(tmp_path, "pickup", "cancel", "usps", confirmation)
    assert code == EXIT_FAILED


def test_bad_input_is_a_usage_error(tmp_path: Path) -> None:
    past = _file(tmp_path, "past.json", {"address": DOCK, "pickup_date": "2001-01-01", "package_count": 1,
                                         "total_weight": 1})  # fmt: skip
    code, _ = _run(tmp_path, "pickup", "schedule", "usps", past)
    assert code == EXIT_USAGE
    origin = _file(tmp_path, "dock.json", DOCK)
    code, _ = _run(tmp_path, "manifest", "usps", "not-a-number!", "--origin", origin)
    assert code == EXIT_USAGE
