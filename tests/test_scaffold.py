"""``carrier_sdk._scaffold``: the reference adapter template, rendered into projects that pass their own checks."""

from __future__ import annotations

import ast
import inspect
import os
import string
import subprocess
import sys
import tarfile
import tomllib
import zipfile
from pathlib import Path

import pytest

from carrier_sdk import ConfigurationError
from carrier_sdk._scaffold import load_reference, project_files, template_context, template_files, write_adapter

ROOT = Path(__file__).resolve().parents[1]


def run_module(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``python -m <args>`` in ``cwd`` with this interpreter."""
    return subprocess.run([sys.executable, "-m", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def run_tests(project: Path) -> subprocess.CompletedProcess[str]:
    """A project's tests, with its package and this repository's core on the path (no install)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(project), str(ROOT)])}
    return run_module(["pytest", "-q", "-p", "no:cacheprovider"], project, env)


def test_generated_project_layout(tmp_path: Path) -> None:
    project = write_adapter("parcel_hub", tmp_path)
    assert project == tmp_path / "carrier-sdk-parcel-hub"
    package = project / "carrier_sdk_parcel_hub"
    for name in ("__init__.py", "py.typed", "_carrier.py", "_settings.py", "_wire.py", "_mapping.py", "fake.py"):
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


LONGEST = "a_carrier_name_of_31_characters"


@pytest.mark.parametrize("name", ["acme", LONGEST])
def test_generated_project_is_lint_and_format_clean(tmp_path: Path, name: str) -> None:
    assert len(LONGEST) == 31  # the longest name the scaffold takes
    project = write_adapter(name, tmp_path)
    for command in (["check", "--no-cache", "."], ["format", "--check", "--no-cache", "."]):
        result = run_module(["ruff", *command], project)
        assert result.returncode == 0, result.stdout + result.stderr


def test_generated_project_is_type_clean(tmp_path: Path) -> None:
    project = write_adapter("parcel_hub", tmp_path / "src")
    cache = str(tmp_path / "cache")
    result = run_module(["mypy", "--strict", "--cache-dir", cache, "carrier_sdk_parcel_hub", "tests"], project)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Success" in result.stdout


def test_generated_project_imports_only_the_public_api(tmp_path: Path) -> None:
    allowed = {"carrier_sdk", "carrier_sdk.adapters", "carrier_sdk.fakes", "carrier_sdk.testing"}
    project = write_adapter("acme", tmp_path)
    seen: set[str] = set()
    for path in project.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("carrier_sdk"):
                seen.add(node.module)
            if isinstance(node, ast.Import):
                seen.update(a.name for a in node.names if a.name.startswith("carrier_sdk"))
    adapter = {m for m in seen if m.startswith("carrier_sdk_acme")}
    assert seen - adapter <= allowed | {"carrier_sdk.testing.conformance"}, seen
    assert "carrier_sdk" in seen
    assert "carrier_sdk.adapters" in seen


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
    rendered = project_files("acme")
    on_disk = {
        p.relative_to(example).as_posix()
        for p in example.rglob("*")
        if p.is_file() and not any(part.startswith((".", "__pycache__")) for part in p.relative_to(example).parts)
    }
    regenerate = "regenerate: rm -r examples/carrier-sdk-acme && carrier-sdk new-adapter acme --dest examples"
    assert on_disk == set(rendered), regenerate
    for relative, text in rendered.items():
        assert (example / relative).read_text() == text, f"examples/carrier-sdk-acme/{relative} drifted; {regenerate}"


def test_template_files_are_package_data_with_tokens_only_where_rendered() -> None:
    template = template_files()
    assert "${package}/_carrier.py-tpl" in template
    assert "pyproject.toml-tpl" in template
    assert all(path.endswith("-tpl") or path.endswith("py.typed") for path in template), sorted(template)
    context = template_context("acme")
    for relative, text in project_files("acme").items():
        assert "${" not in text, relative  # every placeholder was known
        assert not relative.endswith("-tpl")
    assert set(context) >= {"code", "package", "carrier_class", "fake_class", "settings_class"}


def test_bad_placeholder_is_a_configuration_error(tmp_path: Path) -> None:
    context = template_context("acme")
    del context["display"]
    with pytest.raises(ConfigurationError, match="bad placeholder"):
        load_reference("carrier_sdk_scaffold_probe", {**context, "package": "carrier_sdk_scaffold_probe"})
    assert "carrier_sdk_scaffold_probe" not in sys.modules


def test_load_reference_imports_the_rendered_modules() -> None:
    context = {**template_context("probe"), "package": "carrier_sdk_probe_rendered"}
    package = load_reference("carrier_sdk_probe_rendered", context)
    try:
        assert load_reference("carrier_sdk_probe_rendered", context) is package  # loaded once
        carrier = package.ProbeCarrier  # through lazy_exports
        assert carrier.code == "probe"
        assert carrier.__module__ == "carrier_sdk_probe_rendered._carrier"
        assert carrier.fake == "carrier_sdk_probe_rendered.fake:ProbeFake"
        source = inspect.getsource(carrier)
        assert "class ProbeCarrier(Carrier):" in source  # rendered text, not the template's
        assert inspect.getfile(carrier).endswith("_template/carrier_sdk_probe_rendered/_carrier.py")
    finally:
        for name in [m for m in sys.modules if m.startswith("carrier_sdk_probe_rendered")]:
            del sys.modules[name]
        sys.meta_path[:] = [f for f in sys.meta_path if getattr(f, "package", None) != "carrier_sdk_probe_rendered"]
    with pytest.raises(ConfigurationError, match="is not"):
        load_reference("other_name", context)


def test_the_testing_kit_fake_carrier_is_the_rendered_template() -> None:
    from carrier_sdk.testing import FakeCarrier, FakeCarrierAPIServer

    assert FakeCarrier.__module__ == "carrier_sdk.testing._fakecarrier._carrier"
    assert FakeCarrierAPIServer.__module__ == "carrier_sdk.testing._fakecarrier.fake"
    assert inspect.getfile(FakeCarrier).endswith("_template/carrier_sdk.testing._fakecarrier/_carrier.py")
    from carrier_sdk.testing._fake_carrier import CONTEXT

    for module in ("_carrier", "fake", "_wire", "_mapping", "_settings"):
        template = template_files()[f"${{package}}/{module}.py-tpl"]
        rendered = sys.modules[f"carrier_sdk.testing._fakecarrier.{module}"]
        assert inspect.getsource(rendered) == string.Template(template).substitute(CONTEXT)


def test_what_type_checkers_see_of_the_fake_carrier_exists_at_run_time() -> None:
    import carrier_sdk.testing as kit
    import carrier_sdk.testing._fake_carrier as module

    tree = ast.parse(inspect.getsource(module))
    (block,) = [n for n in tree.body if isinstance(n, ast.If) and ast.unparse(n.test) == "TYPE_CHECKING"]
    declared: dict[str, list[str]] = {}
    for node in block.body:
        if isinstance(node, ast.ClassDef):
            declared[node.name] = [
                item.target.id if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name) else item.name
                for item in node.body
                if isinstance(item, ast.AnnAssign | ast.FunctionDef)
            ]
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            declared[node.target.id] = []
        elif isinstance(node, ast.FunctionDef):
            declared[node.name] = []
    assert set(declared) == set(module.__all__)
    settings = kit.FakeCarrierSettings(api_key_id="id", api_key="k")
    instances = {"FakeCarrierAPIServer": kit.FakeCarrierAPIServer(), "FakeCarrierSettings": settings}
    for name, members in declared.items():
        value = getattr(kit, name)
        for member in members:
            owner = instances.get(name, value)
            assert hasattr(owner, member), f"{name}.{member}"


@pytest.mark.parametrize("target", ["wheel", "sdist"])
def test_the_built_distributions_carry_the_template(target: str, tmp_path: Path) -> None:
    """Build the core's wheel and sdist (offline, with hatchling) and find every template file in them."""
    module = pytest.importorskip(f"hatchling.builders.{target}", reason="hatchling is not installed")
    builder = module.WheelBuilder(str(ROOT)) if target == "wheel" else module.SdistBuilder(str(ROOT))
    (built,) = builder.build(directory=str(tmp_path), versions=["standard"])
    if target == "wheel":
        with zipfile.ZipFile(built) as archive:
            names = set(archive.namelist())
    else:
        with tarfile.open(built) as archive:
            names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    expected = {f"carrier_sdk/_template/{path}" for path in template_files()}
    assert len(expected) >= 13
    assert expected <= names, sorted(expected - names)
