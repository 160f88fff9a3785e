"""The "Follow parcels" page's example runs, and the page quotes the schedule's real defaults."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from carrier_sdk import TrackingStatus
from carrier_sdk.watch import Schedule

PAGE = Path(__file__).resolve().parents[2] / "docs" / "follow-parcels.md"


def test_the_follow_parcels_example_runs(capsys: pytest.CaptureFixture[str]) -> None:
    text = PAGE.read_text(encoding="utf-8")
    code = re.search(r"```python\n(.*?)```", text, re.S)
    assert code is not None
    exec(compile(code.group(1), str(PAGE), "exec"), {})
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("cainiao LP00100000000010 None -> ")
    assert any(line.startswith("usps 9400111899000000000107 None -> delivered") for line in out)


def _hours(text: str) -> float:
    number, unit = text.split()
    return float(number) * {"min": 60, "h": 3600, "day": 86400, "days": 86400}[unit]


def test_the_page_quotes_the_default_schedule() -> None:
    text = PAGE.read_text(encoding="utf-8")
    schedule = Schedule()
    names = {status.value.replace("_", " ").replace("pre transit", "pre-transit"): status for status in TrackingStatus}
    rows = 0
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if len(cells) != 3 or cells[0] not in names:
            continue
        rows += 1
        ages = [a for a in cells[1].split(" / ") if a not in ("older", "any age")]
        intervals = [_hours(i) for i in cells[2].split(" / ")]
        expected = schedule.table[names[cells[0]]]
        assert [every for _, every in expected] == intervals, cells[0]
        assert [below for below, _ in expected[:-1]] == [_hours(a) for a in ages], cells[0]
    assert rows == len(schedule.table)
    assert f"`stale_after` ({schedule.stale_after / 86400:g} days)" in text
    assert f"`not_found_attempts` ({schedule.not_found_attempts})" in text
    assert f"`error_backoff` ({schedule.error_backoff / 60:g} min)" in text
    assert f"`max_error_backoff` ({schedule.max_error_backoff / 3600:g} h)" in text


def test_the_page_quotes_the_webhook_defaults() -> None:
    import inspect

    from carrier_sdk.watch import WebhookSink, verify

    text = PAGE.read_text(encoding="utf-8")
    with WebhookSink("http://127.0.0.1:9/hook", "secret") as sink:  # the defaults, as built
        assert f"`max_attempts` ({sink.max_attempts})" in text
        assert f"`backoff` ({sink.backoff:g} s)" in text
        assert f"`max_backoff` ({sink.max_backoff:g} s)" in text
    assert f"({inspect.signature(verify).parameters['tolerance'].default:g} s by default)" in text
