"""Install and first run: the script without the cli extra, the scaffold's pin, license, URLs, docs."""

from __future__ import annotations

import importlib.metadata
import os
import subprocess
import sys
import tomllib

import pytest

from carrier_sdk import __version__
from carrier_sdk._console import INSTALL_HINT
from carrier_sdk._scaffold import core_requirement, project_files

from ._helpers import ROOT, run_captured

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
PUBLISHED_NAMES = (
    "carrier-sdk",
    "carrier-sdk-usps",
    "carrier-sdk-cainiao",
    "carrier-sdk-correos",
    "carrier-sdk-singpost",
)


def _run_script(*args: str, blocked: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
    """Run the console script's entry function, with ``blocked`` modules made unimportable."""
    code = (
        "import sys\n"
        f"for name in {blocked!r}:\n"
        "    sys.modules[name] = None\n"
        "from carrier_sdk._console import main\n"
        f"sys.argv = ['carrier-sdk', *{args!r}]\n"
        "main()\n"
    )
    return run_captured([sys.executable, "-c", code], timeout=120)


def test_the_script_is_the_guarded_entry_point() -> None:
    assert PYPROJECT["project"]["scripts"] == {"carrier-sdk": "carrier_sdk._console:main"}
    installed = importlib.metadata.entry_points(group="console_scripts", name="carrier-sdk")
    assert [ep.value for ep in installed] == ["carrier_sdk._console:main"], "re-run pip install -e ."


@pytest.mark.parametrize("missing", ["click", "rich"])
def test_without_the_cli_extra_the_command_says_how_to_install_it(missing: str) -> None:
    result = _run_script("--help", blocked=(missing,))
    assert result.returncode == 2
    assert result.stderr == INSTALL_HINT.format(missing=missing)
    assert "pip install 'carrier-sdk[cli]'" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_with_the_cli_extra_the_command_runs() -> None:
    result = _run_script("--help")
    assert result.returncode == 0, result.stderr
    assert "Usage:" in result.stdout


def test_an_unrelated_missing_module_is_not_hidden() -> None:
    # Only click and rich get the install hint; anything else is a real bug and keeps its traceback.
    result = _run_script("--help", blocked=("carrier_sdk.cli._track",))
    assert result.returncode == 1
    assert "ModuleNotFoundError" in result.stderr


def test_the_scaffold_pins_the_core_version_that_wrote_it() -> None:
    assert core_requirement("0.1.0") == ">=0.1.0,<0.2"
    assert core_requirement("1.4.2") == ">=1.4.2,<2"
    pyproject = tomllib.loads(project_files("acme")["pyproject.toml"])
    assert pyproject["project"]["dependencies"] == [f"carrier-sdk>={__version__},<0.2"]
    # The version it names is the one installed here, so the pin never points past what exists.
    assert importlib.metadata.version("carrier-sdk") == __version__


def test_license_and_urls() -> None:
    license_text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert license_text.startswith("MIT License")
    assert PYPROJECT["project"]["license"] == "MIT"
    assert "LICENSE" in PYPROJECT["tool"]["hatch"]["build"]["targets"]["sdist"]["include"]
    urls = PYPROJECT["project"]["urls"]
    assert {"Source", "Documentation", "Issues"} <= set(urls)
    assert all(url.startswith("https://") for url in urls.values())


@pytest.mark.parametrize("page", ["README.md", "docs/quickstart.md"])
def test_install_instructions_work_from_a_checkout(page: str) -> None:
    text = (ROOT / page).read_text(encoding="utf-8")
    assert "not published yet" in text
    assert 'pip install -e ".[cli]"' in text or "pip install -e '.[cli]'" in text
    for name in PUBLISHED_NAMES:
        assert name in text, f"{page} does not name the published distribution {name}"


def test_usps_openapi_checks_skip_with_an_actionable_reason() -> None:
    env = {k: v for k, v in os.environ.items() if k != "CARRIER_SDK_USPS_OPENAPI_DIR"}
    result = run_captured(
        [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:randomly", "plugins/usps/tests/test_openapi.py"],
        env=env,
    )
    assert result.returncode == 0, result.stdout[-3000:]
    assert "skipped" in result.stdout
    assert "set CARRIER_SDK_USPS_OPENAPI_DIR to a folder holding the USPS OpenAPI specs" in result.stdout
    assert "../shared" not in result.stdout
    assert "passed" not in result.stdout.splitlines()[-1]


def test_ci_points_the_openapi_checks_at_the_shared_specs() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "CARRIER_SDK_USPS_OPENAPI_DIR" in ci
    assert "../shared/carriers/usps-openapi" in ci


def test_every_registry_install_line_says_how_to_install_from_a_checkout() -> None:
    import re

    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), *sorted(ROOT.glob("plugins/*/README.md"))]
    registry_install = re.compile(r"pip install ['\"]?carrier-sdk")
    checked = 0
    for page in pages:
        text = page.read_text(encoding="utf-8")
        if registry_install.search(text):
            checked += 1
            assert "published" in text, f"{page.relative_to(ROOT)} installs from the registry without the checkout way"
            assert "pip install -e" in text, f"{page.relative_to(ROOT)} does not show the install from a checkout"
    assert checked >= 5
