"""``carrier-sdk watch``: add, list, remove and run, against the real carriers' sandbox, across separate runs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from carrier_sdk_usps.fake import UspsFake, fake_impb
from click.testing import CliRunner, Result

from carrier_sdk.cli import cli
from carrier_sdk.watch import SIGNATURE_HEADER, verify

from .conftest import read_request, serve_asgi

PRE_TRANSIT = UspsFake.scenario_numbers["pre_transit"]


def run(*args: str, input: str | None = None) -> Result:
    """One separate run of the command, like a new process (the sandbox and the store persist)."""
    return CliRunner().invoke(cli, list(args), input=input)


def lines(result: Result) -> list[dict[str, Any]]:
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


def test_sandbox_add_advance_run_shows_the_changes() -> None:
    added = run("--sandbox", "--json", "watch", "add", PRE_TRANSIT, "--meta", "order=A-1")
    assert added.exit_code == 0, added.output
    assert lines(added) == [{"number": PRE_TRANSIT, "carrier": "usps", "added": True, "error": None}]
    moved = run("--sandbox", "sandbox", "advance", "--hours", "20", PRE_TRANSIT)
    assert moved.exit_code == 0, moved.output
    first = run("--sandbox", "--json", "watch", "run", "--once")
    assert first.exit_code == 0, first.output
    (change,) = lines(first)
    assert change["number"] == PRE_TRANSIT
    assert change["old_status"] is None
    assert change["new_status"] == "in_transit"
    assert [e["carrier_status_code"] for e in change["new_events"]]
    assert change["metadata"] == {"order": "A-1"}
    # Nothing is due any more: a second round reports nothing, and the parcel is listed.
    assert lines(run("--sandbox", "--json", "watch", "run", "--once")) == []
    listed = lines(run("--sandbox", "--json", "watch", "list", "--status", "in_transit"))
    assert [p["number"] for p in listed] == [PRE_TRANSIT]
    assert listed[0]["state"] == "watching"
    assert lines(run("--sandbox", "--json", "watch", "list", "--status", "done")) == []
    # Table output for people.
    table = run("--sandbox", "watch", "list")
    assert PRE_TRANSIT in table.stdout and "in_transit" in table.stdout  # noqa: PT018


def test_add_from_a_file_reports_bad_numbers_and_remove(tmp_path: Path) -> None:
    path = tmp_path / "numbers.txt"
    path.write_text(f"{fake_impb(71)}\n# a comment\n\nNOT-A-NUMBER\n{fake_impb(72)}\n")
    result = run("--sandbox", "watch", "add", "--file", str(path))
    assert result.exit_code == 1
    assert "added" in result.stdout and "UnknownCarrierError" in result.stdout  # noqa: PT018
    listed = lines(run("--sandbox", "--json", "watch", "list"))
    assert sorted(p["number"] for p in listed) == [fake_impb(71), fake_impb(72)]
    again = lines(run("--sandbox", "--json", "watch", "add", fake_impb(71)))
    assert again[0]["added"] is False
    removed = run("--sandbox", "--json", "watch", "remove", fake_impb(71), "NOPE")
    assert removed.exit_code == 1
    assert lines(removed) == [{"number": fake_impb(71), "removed": True}, {"number": "NOPE", "removed": False}]
    assert [p["number"] for p in lines(run("--sandbox", "--json", "watch", "list"))] == [fake_impb(72)]


def test_sandbox_and_real_stores_are_separate(tmp_path: Path) -> None:
    assert run("--sandbox", "watch", "add", fake_impb(81)).exit_code == 0
    assert lines(run("--json", "watch", "list")) == []
    db = tmp_path / "mine.sqlite3"
    assert run("--sandbox", "watch", "--db", str(db), "add", fake_impb(82)).exit_code == 0
    assert db.exists()
    assert [p["number"] for p in lines(run("--sandbox", "--json", "watch", "--db", str(db), "list"))] == [fake_impb(82)]


def test_run_posts_signed_changes_to_a_webhook() -> None:
    received: list[tuple[bytes, dict[str, str]]] = []

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        received.append(await read_request(scope, receive))
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    run("--sandbox", "watch", "add", PRE_TRANSIT)
    with serve_asgi(app) as base:
        result = run("--sandbox", "--json", "watch", "run", "--once", "--webhook", f"{base}/hook", "--secret", "s3")
    assert result.exit_code == 0, result.output
    (change,) = lines(result)
    ((body, headers),) = received
    assert SIGNATURE_HEADER.lower() in headers
    assert verify(body, headers, "s3")["change_id"] == change["change_id"]
    refused = run("--sandbox", "watch", "run", "--once", "--webhook", f"{base}/hook")
    assert refused.exit_code == 2
    assert "--secret" in refused.output


def test_a_down_webhook_keeps_changes_queued(monkeypatch: pytest.MonkeyPatch) -> None:
    run("--sandbox", "watch", "add", PRE_TRANSIT)
    down = run("--sandbox", "watch", "run", "--once", "--webhook", "http://127.0.0.1:9/hook", "--secret", "s3")
    assert down.exit_code == 0, down.output
    assert "still queued" in down.output


def test_continuous_run_writes_json_lines_and_all_polls_everything() -> None:
    run("--sandbox", "watch", "add", fake_impb(91), fake_impb(92))
    result = run("--sandbox", "--json", "watch", "run", "--rounds", "2", "--max-idle", "0.01")
    assert result.exit_code == 0, result.output
    assert sorted(c["number"] for c in lines(result)) == [fake_impb(91), fake_impb(92)]
    assert lines(run("--sandbox", "--json", "watch", "run", "--once")) == []
    forced = run("--sandbox", "--json", "watch", "run", "--once", "--all")
    assert forced.exit_code == 0
    assert lines(forced) == []  # polled again, nothing new
    table = run("--sandbox", "watch", "run", "--rounds", "1", "--max-idle", "0.01")
    assert table.exit_code == 0


def test_on_a_terminal_run_shows_a_live_table(monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    from rich.console import Console

    import carrier_sdk.cli._watch as watch_cli

    screen = io.StringIO()
    monkeypatch.setattr(watch_cli, "console", lambda **kw: Console(file=screen, force_terminal=True, width=200))
    run("--sandbox", "watch", "add", fake_impb(93))
    result = run("--sandbox", "watch", "run", "--rounds", "1", "--max-idle", "0.01")
    assert result.exit_code == 0, result.output
    text = screen.getvalue()
    assert "Watching" in text
    assert fake_impb(93) in text
    assert result.stdout == ""  # no JSON lines on a terminal
