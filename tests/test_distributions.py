"""Every distribution in the repository ships the core's license and names its project URLs
(issue 13): the core, each carrier plugin, each example adapter."""

from __future__ import annotations

import importlib.metadata
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PLUGINS = sorted(p.parent for p in ROOT.glob("plugins/*/pyproject.toml"))
EXAMPLES = sorted(p.parent for p in ROOT.glob("examples/*/pyproject.toml"))
URL_NAMES = {"Source", "Documentation", "Issues"}


def _project(folder: Path) -> dict[str, object]:
    project: dict[str, object] = tomllib.loads((folder / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return project


def _ids(folders: list[Path]) -> list[str]:
    return [str(f.relative_to(ROOT)) for f in folders]


@pytest.mark.parametrize("folder", PLUGINS, ids=_ids(PLUGINS))
def test_each_plugin_ships_the_core_license_and_its_urls(folder: Path) -> None:
    project = _project(folder)
    assert project["license"] == "MIT"
    assert project.get("license-files") == ["LICENSE"], f"{folder.name}: license-files must name its LICENSE"
    assert (folder / "LICENSE").read_text(encoding="utf-8") == (ROOT / "LICENSE").read_text(encoding="utf-8")
    urls = project.get("urls")
    assert isinstance(urls, dict), f"{folder.name}: no [project.urls]"
    assert set(urls) >= URL_NAMES
    assert all(str(url).startswith("https://") for url in urls.values())


@pytest.mark.parametrize("folder", PLUGINS, ids=_ids(PLUGINS))
def test_each_installed_plugin_carries_its_license_metadata(folder: Path) -> None:
    name = str(_project(folder)["name"])
    try:
        dist = importlib.metadata.distribution(name)
    except importlib.metadata.PackageNotFoundError:
        pytest.skip(f"{name} is not installed (pip install -e {folder.relative_to(ROOT)})")
    metadata = dist.metadata
    assert metadata.get("License-Expression") == "MIT", (
        f"{name}: no License-Expression; reinstall it (pip install -e {folder.relative_to(ROOT)})"
    )
    assert "LICENSE" in (metadata.get_all("License-File") or [])
    urls = {entry.split(",", 1)[0].strip() for entry in metadata.get_all("Project-URL") or []}
    assert urls >= URL_NAMES
    shipped = [f for f in dist.files or [] if f.name == "LICENSE"]
    assert shipped, f"{name}: the installed distribution has no LICENSE file"
    assert shipped[0].read_text(encoding="utf-8") == (ROOT / "LICENSE").read_text(encoding="utf-8")


@pytest.mark.parametrize("folder", PLUGINS, ids=_ids(PLUGINS))
def test_each_built_plugin_wheel_carries_its_license(folder: Path, tmp_path: Path) -> None:
    """Build the wheel itself (offline, with hatchling when it is installed) and read it."""
    wheel_builder = pytest.importorskip("hatchling.builders.wheel", reason="hatchling is not installed")
    builder = wheel_builder.WheelBuilder(str(folder))
    (wheel,) = builder.build(directory=str(tmp_path), versions=["standard"])
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        license_entry = next(n for n in names if n.endswith(".dist-info/licenses/LICENSE"))
        assert archive.read(license_entry) == (ROOT / "LICENSE").read_bytes()
        metadata = archive.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    assert "License-Expression: MIT" in metadata
    assert "License-File: LICENSE" in metadata
    assert "Project-URL: Source, https://" in metadata
