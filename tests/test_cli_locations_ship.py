"""``carrier-sdk locations`` and ``ship --file`` through the command, against the sandbox and the USPS fake."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

pytest.importorskip("carrier_sdk_usps")

from carrier_sdk_usps import UspsCarrier
from carrier_sdk_usps.fake import UspsFake

from carrier_sdk import CarrierRegistry
from carrier_sdk.cli import EXIT_FAILED, EXIT_OUTCOME_UNKNOWN, EXIT_USAGE, Overrides, cli
from carrier_sdk.fakes import FaultKind

DOCK = {"name": "Sam Shipper", "street1": "4120 Bingham Ave", "city": "St. Louis", "state": "MO",
        "postal_code": "63116", "country": "US", "email": "dock@example.com"}  # fmt: skip
HOME = {"name": "Jane Doe", "street1": "1100 Wyoming St", "city": "St. Louis", "state": "MO",
        "postal_code": "63118", "country": "US"}  # fmt: skip
SHIPMENT = {"shipper": DOCK, "recipient": HOME, "parcels": [{"weight": "12", "weight_unit": "oz"}]}


def _sandboxed(tmp_path: Path, *args: str) -> tuple[int, str]:
    from carrier_sdk.cli._paths import DATA_DIR_ENV

    overrides = Overrides(environ={DATA_DIR_ENV: str(tmp_path / "data")})  # this test's own sandbox account
    result = CliRunner().invoke(cli, ["--sandbox", *args], obj=overrides, catch_exceptions=False)
    return result.exit_code, result.output


def _lines(output: str) -> list[Any]:
    return [json.loads(line) for line in output.splitlines() if line.strip()]


# -- locations ---------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["post_office", "parcel_locker", "drop_off"])
def test_locations_json_lists_places_of_the_kind(tmp_path: Path, kind: str) -> None:
    code, out = _sandboxed(tmp_path, "--json", "locations", "usps", "63116", "--kind", kind, "--limit", "2")
    assert code == 0, out
    (found,) = _lines(out)
    assert 1 <= len(found) <= 2
    assert {place["kind"] for place in found} == {kind}
    assert all(place["carrier"] == "usps" and place["address"]["country"] == "US" for place in found)
    again = _sandboxed(tmp_path, "--json", "locations", "usps", "63116", "--kind", kind, "--limit", "2")
    assert again == (code, out), "the same ZIP Code gets the same answer"


def test_locations_table_and_address_file(tmp_path: Path) -> None:
    code, out = _sandboxed(tmp_path, "locations", "usps", "20500")
    assert code == 0, out
    for column in ("Name", "Address", "Distance", "Open today", "Services"):
        assert column in out
    assert " mi" in out
    dock = tmp_path / "dock.json"
    dock.write_text(json.dumps(DOCK))
    code, out = _sandboxed(tmp_path, "--json", "locations", "usps", "--address", str(dock), "--kind", "parcel_locker")
    assert code == 0, out
    assert _lines(out)[0]


def test_locations_bad_input(tmp_path: Path) -> None:
    for args in (
        ["locations", "usps", "6311"],  # not a ZIP Code: ValidationError before any request
        ["locations", "usps"],  # neither NEAR nor --address
        ["locations", "usps", "63116", "--kind", "mailbox"],
        ["locations", "singpost", "408600"],  # SingPost publishes no locations: refused before I/O
    ):
        code, out = _sandboxed(tmp_path, *args)
        assert code == EXIT_USAGE, (args, out)
    code, out = _sandboxed(tmp_path, "locations", "usps", "99999")  # unknown to USPS: its typed error
    assert code == EXIT_FAILED, out
    assert "not a ZIP Code in use" in out


# -- ship --file -------------------------------------------------------------------------------


def _batch(tmp_path: Path, lines: list[str]) -> str:
    path = tmp_path / "batch.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def test_ship_file_buys_each_line_and_reports_bad_ones(tmp_path: Path) -> None:
    labels = tmp_path / "labels"
    labels.mkdir()
    good = json.dumps(SHIPMENT)
    batch = _batch(tmp_path, ["# orders of the day", good, "", "{not json", json.dumps({**SHIPMENT, "parcels": []}),
                              good])  # fmt: skip
    args = ["--json", "ship", "usps", "--file", batch, "--label-dir", str(labels), "--key-prefix", "day-1"]
    code, out = _sandboxed(tmp_path, *args)
    assert code == EXIT_FAILED, out  # two bad lines
    *items, last = _lines(out)
    summary = last["summary"]
    assert (summary["total"], summary["bought"], summary["failed"], summary["outcome_unknown"]) == (4, 2, 2, 0)
    assert summary["idempotency_key_prefix"] == "day-1"
    by_line = {item["line"]: item for item in items}
    assert sorted(by_line) == [2, 4, 5, 6]
    assert by_line[4]["error"]["type"] == "ValidationError"
    assert "not a shipment" in by_line[4]["error"]["message"]
    assert by_line[5]["error"]["type"] == "ValidationError"
    bought = [by_line[2], by_line[6]]
    assert [b["idempotency_key"] for b in bought] == ["day-1-0", "day-1-3"]
    for item in bought:
        assert Path(item["label"]["path"]).parent == labels
        assert Path(item["label"]["path"]).read_bytes().startswith(b"%PDF")
    # The same file with the same prefix buys nothing twice: the same labels come back.
    code, out = _sandboxed(tmp_path, *args)
    again = {i["line"]: i for i in _lines(out)[:-1]}
    assert [again[2]["tracking_number"], again[6]["tracking_number"]] == [b["tracking_number"] for b in bought]


def test_ship_file_table_output_and_usage_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    batch = _batch(tmp_path, [json.dumps(SHIPMENT)])
    code, out = _sandboxed(tmp_path, "ship", "usps", "--file", batch, "--no-progress")
    assert code == 0, out
    assert "line 1: 9" in out
    assert "Bought" in out
    assert "Key prefix" in out
    shipment = tmp_path / "one.json"
    shipment.write_text(json.dumps(SHIPMENT))
    for args in (
        ["ship", "usps"],
        ["ship", "usps", str(shipment), "--file", batch],
        ["ship", "usps", "--file", batch, "--idempotency-key", "k"],
        ["ship", "usps", "--file", str(tmp_path / "missing.jsonl")],
        ["ship", "usps", "--file", batch, "--label-dir", str(shipment)],
    ):
        code, out = _sandboxed(tmp_path, *args)
        assert code == EXIT_USAGE, (args, out)


def test_ship_file_exits_3_when_an_outcome_is_unknown(tmp_path: Path) -> None:
    """A purchase whose answer is lost (no retries left) is that item's unknown outcome: exit 3,
    the item names its key; the other item is bought."""
    fake = UspsFake(seed=3)
    config = tmp_path / "carrier-sdk.toml"
    config.write_text("[usps]\n" + "".join(f"{k} = {json.dumps(v)}\n" for k, v in fake.settings().items()))
    registry = CarrierRegistry()
    registry.add(UspsCarrier)
    overrides = Overrides(registry=registry, transport=fake.transport(), environ={}, sleep=lambda s: None)
    batch = _batch(tmp_path, [json.dumps(SHIPMENT)] * 2)
    argv = ["--config", str(config), "--max-retries", "0", "--json", "ship", "usps", "--file", batch,
            "--concurrency", "1", "--label-dir", str(tmp_path), "--key-prefix", "lost"]  # fmt: skip
    fake.inject(FaultKind.LOST_RESPONSE, operation="create_shipment", count=1)
    result = CliRunner().invoke(cli, argv, obj=overrides, catch_exceptions=False)
    assert result.exit_code == EXIT_OUTCOME_UNKNOWN, result.output
    *items, last = _lines(result.output)
    unknown = [i for i in items if not i["ok"]]
    assert len(unknown) == 1
    assert unknown[0]["outcome_unknown"] is True
    assert unknown[0]["error"]["type"] == "OutcomeUnknownError"
    assert unknown[0]["idempotency_key"].startswith("lost-")
    assert last["summary"]["outcome_unknown"] == 1
    assert last["summary"]["bought"] == 1
