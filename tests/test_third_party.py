"""The third-party path end to end: an adapter distribution outside this repository.

``examples/carrier-sdk-acme`` is installed with pip into a fresh virtualenv next to the core;
carrier-sdk must discover it through its entry point, serve it in sandbox mode, and the
example's own tests (the conformance suite among them) must pass with that venv's pytest. The
installed core renders new projects (and its testing kit's FakeCarrier) from its package data.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from carrier_sdk._scaffold import project_files

from .test_scaffold import run_tests

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "carrier-sdk-acme"

CHECK = textwrap.dedent(
    """
    import carrier_sdk, carrier_sdk_acme
    from carrier_sdk import Client, TrackingStatus

    assert "site-packages" in carrier_sdk.__file__, carrier_sdk.__file__
    client = Client()
    infos = {c.code: c for c in client.carriers()}
    assert "acme" in infos, infos
    assert infos["acme"].distribution == "carrier-sdk-acme", infos["acme"]
    assert infos["acme"].version == "0.1.0", infos["acme"]
    assert "acme" in client.plugin_report().loaded
    assert client.identify("AC000000014")[0].carrier == "acme"

    with Client(sandbox=True) as sandboxed:
        info = sandboxed.track("AC000000014")
        assert info.status is TrackingStatus.DELIVERED, info
        numbers = sandboxed.sandbox.scenario_numbers()["acme"]
        assert sandboxed.track(numbers["in_transit"]).status is TrackingStatus.IN_TRANSIT
    print("third-party OK")
    """
)

# The scaffold and the testing kit read the template from the installed package data.
RENDER = textwrap.dedent(
    """
    import json, sys, tempfile
    from pathlib import Path
    import carrier_sdk._scaffold as scaffold
    from carrier_sdk.testing import FakeCarrier, FakeCarrierAPIServer

    assert "site-packages" in scaffold.__file__, scaffold.__file__
    assert FakeCarrier.code == "fakecarrier" and FakeCarrierAPIServer().labels == {}
    with tempfile.TemporaryDirectory() as tmp:
        project = scaffold.write_adapter("zeta", Path(tmp))
        files = {p.relative_to(project).as_posix(): p.read_text() for p in project.rglob("*") if p.is_file()}
    json.dump(files, sys.stdout)
    """
)


def _run(args: list[str], *, cwd: Path | None = None, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def test_example_tests_pass_in_process_tree() -> None:
    """The example's tests with the repo's core on PYTHONPATH (no install needed)."""
    result = run_tests(EXAMPLE)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]


def test_installed_in_a_fresh_virtualenv(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    created = _run([sys.executable, "-m", "venv", str(venv)], timeout=300)
    if created.returncode != 0:
        pytest.skip(f"cannot create a virtualenv: {created.stderr[-500:]}")
    python = venv / ("Scripts" if os.name == "nt" else "bin") / "python"
    installed = _run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            str(ROOT),
            str(EXAMPLE),
            "pytest",
            "respx",
            "anyio",
        ],
        timeout=900,
    )
    if installed.returncode != 0:
        pytest.skip(f"pip could not install into the fresh venv (offline?): {installed.stderr[-1500:]}")

    checked = _run([str(python), "-c", CHECK], cwd=tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "third-party OK" in checked.stdout

    rendered = _run([str(python), "-c", RENDER], cwd=tmp_path)
    assert rendered.returncode == 0, rendered.stderr
    assert json.loads(rendered.stdout) == project_files("zeta")

    # The core was installed without the cli extra: its command says how to get it, no traceback.
    script = python.with_name("carrier-sdk")
    no_cli = _run([str(script), "--help"], cwd=tmp_path)
    assert no_cli.returncode == 2, no_cli.stdout + no_cli.stderr
    assert "pip install 'carrier-sdk[cli]'" in no_cli.stderr
    assert "Traceback" not in no_cli.stderr

    tests = _run([str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", str(EXAMPLE / "tests")], cwd=tmp_path)
    assert tests.returncode == 0, tests.stdout[-4000:] + tests.stderr[-2000:]
    assert " passed" in tests.stdout
