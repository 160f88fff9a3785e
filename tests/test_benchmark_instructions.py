"""``benchmarks/instructions.py``: every child variant runs, the parent counts, and says what it needs.

No count is asserted here: the figures live in ``benchmarks/README.md``. The children are run
without valgrind (a few numbers each) so that the variants a reader is told to count still work.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "benchmarks" / "instructions.py"


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    pytest.importorskip("carrier_sdk_usps")
    pytest.importorskip("httpx_aiohttp")
    command = [sys.executable, str(SCRIPT), *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=ROOT, env=env, check=False)


@pytest.mark.parametrize(
    ("group", "variant"),
    [
        ("aiohttp", "raw"),
        ("aiohttp", "all"),  # the typed parse, the deadline timer and the reader swapped out
        ("sync", "sdk"),
        ("batched", "async"),
        ("parse", "usps:sdk"),
        ("parse", "singpost:floor"),
    ],
)
def test_child_variant_runs(group: str, variant: str) -> None:
    done = run("--child", group, variant, "3")
    assert done.returncode == 0, done.stderr[-3000:]


def test_without_valgrind_it_says_what_to_install() -> None:
    env = {**os.environ, "PATH": str(Path(sys.executable).parent)}
    if shutil.which("valgrind", path=env["PATH"]) is not None:
        pytest.skip("valgrind sits beside this interpreter")
    done = run("--only", "sync", env=env)
    assert done.returncode == 2
    assert "needs valgrind" in done.stderr


@pytest.fixture(scope="module")
def counter() -> Any:
    """The benchmark module, its bytecode caches written, where valgrind is installed."""
    if shutil.which("valgrind") is None:
        pytest.skip("valgrind is not installed (Debian package: valgrind); the benchmark needs it, the SDK does not")
    sys.path.insert(0, str(SCRIPT.parent))
    try:
        import instructions
    finally:
        sys.path.remove(str(SCRIPT.parent))
    instructions.prepare()
    return instructions


def test_a_child_run_is_counted(counter: Any) -> None:
    fewer, more = (counter.instructions("parse", "usps:baseline", count) for count in (1, 6))
    # Interpreter start-up alone is hundreds of millions; five more bodies add to it.
    assert 100_000_000 < fewer < more


def test_the_import_group_counts_a_whole_fresh_import(counter: Any) -> None:
    # carrier_sdk imports httpx and more: its fresh import is the larger of the two.
    assert counter.instructions("import", "raw", 1) < counter.instructions("import", "sdk", 1)
