"""``carrier_sdk._scaffold.write_adapter``: a new adapter project that passes its own tests."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from carrier_sdk import ConfigurationError
from carrier_sdk._scaffold import project_files, write_adapter

ROOT = Path(__file__).resolve().parents[1]


def run_tests(project: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(project), str(ROOT)])}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_generated_project_layout(tmp_path: Path) -> None:
    project = write_adapter("parcel_hub", tmp_path)
    assert project == tmp_path / "carrier-sdk-parcel-hub"
    package = project / "carrier_sdk_parcel_hub"
    for name in ("__init__.py", "py.typed", "_carrier.py", "_settings.py", "_schemas.py", "_mapping.py", "fake.py"):
        assert (package / name).is_file(), name
    for name in ("conftest.py", "test_carrier.py", "test_conformance.py"):
        assert (project / "tests" / name).is_file(), name
    assert "CarrierConformance" in (project / "tests" / "test_conformance.py").read_text()
    meta = tomllib.loads((project / "pyproject.toml").read_text())
    assert meta["project"]["name"] == "carrier-sdk-parcel-hub"
    assert meta["build-system"]["build-backend"] == "hatchling.build"
    assert meta["project"]["entry-points"]["carrier_sdk"] == {"parcel_hub": "carrier_sdk_parcel_hub"}
    assert meta["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"] == ["carrier_sdk_parcel_hub"]
    assert "ParcelHubCarrier" in (package / "__init__.py").read_text()
    assert "import fake" not in (package / "__init__.py").read_text()  # the package stays light
    assert "# Parcel Hub" not in (project / "README.md").read_text()
    assert "carrier-sdk-parcel-hub" in (project / "README.md").read_text()


def test_generated_project_passes_its_own_tests(tmp_path: Path) -> None:
    project = write_adapter("parcel_hub", tmp_path)
    result = run_tests(project)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert " passed" in result.stdout
    assert "failed" not in result.stdout
    assert "Conformance" in (project / "tests" / "test_conformance.py").read_text()


def test_generated_project_is_lint_clean(tmp_path: Path) -> None:
    project = write_adapter("acme", tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", "."], cwd=project, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_registered_through_the_hook(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = write_adapter("zephyr", tmp_path)
    monkeypatch.syspath_prepend(str(project))
    import importlib

    from carrier_sdk import CarrierRegistry

    module = importlib.import_module("carrier_sdk_zephyr")
    registry = CarrierRegistry()
    module.register_carriers(registry)
    assert registry.codes() == ["zephyr"]
    assert registry.get("zephyr").display_name == "Zephyr"
    assert "carrier_sdk_zephyr.fake" not in sys.modules  # the fake is imported only on demand


@pytest.mark.parametrize("name", ["", "A", "Acme", "9lives", "has-dash", "a", "x__y", "trailing_", "ok name"])
def test_invalid_names_are_refused(tmp_path: Path, name: str) -> None:
    with pytest.raises(ConfigurationError, match="lowercase identifier"):
        write_adapter(name, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_existing_project_is_not_overwritten(tmp_path: Path) -> None:
    project = write_adapter("acme", tmp_path)
    (project / "mine.txt").write_text("precious")
    with pytest.raises(ConfigurationError, match="already exists"):
        write_adapter("acme", tmp_path)
    assert (project / "mine.txt").read_text() == "precious"


def test_the_third_party_example_is_the_unchanged_scaffold() -> None:
    example = ROOT / "examples" / "carrier-sdk-acme"
    for relative, text in project_files("acme").items():
        if relative == "README.md":
            continue
        assert (example / relative).read_text() == text, f"examples/carrier-sdk-acme/{relative} drifted"
