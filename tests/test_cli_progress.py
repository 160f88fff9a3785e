"""On a real terminal (a pty) the progress bar and the result lines never overwrite each other."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pty = pytest.importorskip("pty")  # POSIX only

_CSI = re.compile(r"\x1b\[([0-9;?]*)([A-Za-z])")


def render(raw: str, width: int = 200) -> list[str]:
    """What a terminal shows after ``raw``: enough of VT100 for rich (\\r, \\n, erase line, cursor up)."""
    screen: list[list[str]] = [[]]
    row = col = 0
    i = 0
    while i < len(raw):
        match = _CSI.match(raw, i)
        if match:
            args, op = match.groups()
            if op == "K":
                screen[row] = screen[row][:col] if args in ("", "0") else []
            elif op == "A":
                row = max(0, row - int(args or 1))
            elif op == "G":
                col = int(args or 1) - 1
            i = match.end()
            continue
        char = raw[i]
        i += 1
        if char == "\r":
            col = 0
        elif char == "\n":
            row += 1
            col = 0
            while len(screen) <= row:
                screen.append([])
        elif char == "\x1b":
            continue
        else:
            line = screen[row]
            while len(line) < col:
                line.append(" ")
            if col < len(line):
                line[col] = char
            else:
                line.append(char)
            col = min(col + 1, width)
    return ["".join(line).rstrip() for line in screen]


def _plugins_installed() -> bool:
    from carrier_sdk.sandbox import Sandbox

    return len(Sandbox().codes) >= 2


@pytest.mark.skipif(not _plugins_installed(), reason="needs the carrier plugins (pip install -e plugins/...)")
def test_bar_and_result_lines_share_the_terminal_cleanly(tmp_path: Path) -> None:
    generated = subprocess.run(
        [sys.executable, "-m", "carrier_sdk.cli", "sandbox", "numbers", "--generate", "200"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout.split()
    (tmp_path / "numbers.txt").write_text("\n".join(generated) + "\n", encoding="utf-8")
    master, slave = os.openpty()
    env = {**os.environ, "COLUMNS": "200", "LINES": "50", "TERM": "xterm-256color"}
    env.pop("NO_COLOR", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "carrier_sdk.cli", "--sandbox", "track", "--file", "numbers.txt", "--concurrency", "4"],
        stdout=slave,
        stderr=slave,
        stdin=subprocess.DEVNULL,
        cwd=tmp_path,
        env=env,
    )
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # the child closed the pty
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    assert process.wait(timeout=120) in (0, 1)
    screen = render(b"".join(chunks).decode("utf-8", "replace"))

    result_lines = [line for line in screen if line.split(" ")[0] in set(generated)]
    assert sorted(line.split()[0] for line in result_lines) == sorted(generated)  # every line whole, once
    assert not any("━" in line for line in result_lines)  # no bar drawn over a result line
    bars = [line for line in screen if "Tracking" in line and "━" in line]
    assert len(bars) == 1  # the bar ends as one clean final line
    (bar,) = bars
    assert "200/200" in bar
    assert re.search(r"[\d,]+/s", bar)  # rate
    assert "ETA" in bar
    assert screen.index(bar) > max(screen.index(line) for line in result_lines)  # below the results
    assert any(line.startswith("Tracked 200: ") for line in screen)  # the summary after the bar
