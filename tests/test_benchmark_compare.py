"""``benchmarks/compare.py`` runs end to end (a smoke run on tiny sizes, without the peer).

No timing is asserted here: the figures live in ``benchmarks/README.md``. This only proves the
command a reader is told to run still works and that every workload tracked every number.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
COMPARE = ROOT / "benchmarks" / "compare.py"


def run_compare(*args: str) -> str:
    """``compare.py --quick`` with ``args`` in a fresh interpreter; its standard output."""
    pytest.importorskip("carrier_sdk_usps")
    pytest.importorskip("httpx_aiohttp")
    command = [sys.executable, str(COMPARE), "--quick", "--latencies", "0", *args]
    proc = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=ROOT, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    out = tmp_path_factory.mktemp("compare") / "compare.json"
    output = run_compare("--no-peer", "--numbers", "8", "--rounds", "2", "--json", str(out))
    assert "| workload | baseline |" in output
    data: dict[str, object] = json.loads(out.read_text())
    assert data["rounds"] == 2  # each bulk variant timed twice: the medians
    return data


def test_every_bulk_variant_ran(quick_run: dict[str, object]) -> None:
    bulk = quick_run["bulk"]
    assert isinstance(bulk, dict)
    runs = bulk["0 ms"]
    assert set(runs) == {
        "raw httpx sync loop",
        "raw httpx async",
        "raw httpx-aiohttp",
        "raw v3r2 batch loop",
        "Client.track_many v3",
        "AsyncClient httpx v3",
        "AsyncClient aiohttp v3",
        "Client.track_many v3r2",
        "AsyncClient aiohttp v3r2",
    }
    assert all(run["cpu"] > 0 and run["wall"] > 0 for run in runs.values())


def test_every_adapter_parsed_fifty_events(quick_run: dict[str, object]) -> None:
    parse = quick_run["parse"]
    assert isinstance(parse, dict)
    assert "usps" in parse
    for row in parse.values():
        assert row["events"] == 50
        assert row["sdk"] > 0
        assert row["baseline"] > 0


def test_table_has_the_goals(quick_run: dict[str, object]) -> None:
    table = quick_run["table"]
    assert isinstance(table, list)
    goals = {row["goal"] for row in table}
    assert {"≤ 2x", "≤ 1.25x (at 0 ms)", "≤ 1.1x", "≤ httpx + 40 ms", "≤ 1.5x"} <= goals
    cold = quick_run["cold"]
    assert isinstance(cold, dict)
    assert {"import httpx", "import carrier_sdk", "Client(sandbox) + carriers() + track"} <= set(cold)


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("parse", ["parse usps", "parse cainiao", "parse correos", "parse singpost", "x the baseline"]),
        (
            "aiohttp-parts",
            ["raw httpx-aiohttp", "traced", "untraced", "untraced, unmapped", "the walk for the typed parse"],
        ),
    ],
)
def test_focused_modes_run(mode: str, expected: list[str]) -> None:
    output = run_compare("--only", mode, "--numbers", "6")
    for text in expected:
        assert text in output, output
