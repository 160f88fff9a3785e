"""The adapter import contracts in ``pyproject.toml`` cover every bundled adapter and the example.

``lint-imports`` checks the packages the dev setup installs; the example adapter
(``examples/carrier-sdk-acme``) is not installed there, so this test runs the same contracts with it
added, from a copy of the configuration and with the example on the import path.
"""

from __future__ import annotations

import copy
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

from ._helpers import ROOT, run_captured

EXAMPLE = ROOT / "examples" / "carrier-sdk-acme"
ADAPTER_CONTRACTS = ("adapters-no-private-core", "adapters-independent", "adapters-core-imports-none")


def _config() -> dict[str, Any]:
    config: dict[str, Any] = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"][
        "importlinter"
    ]
    return config


def _contract(config: dict[str, Any], contract_id: str) -> dict[str, Any]:
    found = [c for c in config["contracts"] if c.get("id") == contract_id]
    assert len(found) == 1, f"pyproject.toml has no single contract {contract_id!r}"
    return found[0]


def _bundled_adapters() -> list[str]:
    return sorted(p.parent.name for p in ROOT.glob("plugins/*/carrier_sdk_*/_carrier.py"))


def _lint_imports() -> str:
    path = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    if path is None:
        message = "import-linter is not installed (pip install -e '.[dev]')"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


def test_the_contracts_name_every_bundled_adapter() -> None:
    config = _config()
    adapters = _bundled_adapters()
    assert {"carrier_sdk_usps", "carrier_sdk_cainiao", "carrier_sdk_correos", "carrier_sdk_singpost"} <= set(adapters)
    assert set(adapters) <= set(config["root_packages"])
    assert "carrier_sdk" in config["root_packages"]
    assert set(_contract(config, "adapters-independent")["modules"]) == set(adapters)
    forbidden = _contract(config, "adapters-core-imports-none")
    assert forbidden["source_modules"] == ["carrier_sdk"]
    assert set(forbidden["forbidden_modules"]) == set(adapters)
    assert _contract(config, "adapters-no-private-core")["packages_with_private_modules"] == ["carrier_sdk"]


def _with_example(config: dict[str, Any]) -> dict[str, Any]:
    """The adapter contracts with the example adapter added wherever the bundled ones are named."""
    example = "carrier_sdk_acme"
    out = copy.deepcopy(config)
    out["root_packages"] = [*config["root_packages"], example]
    out["contracts"] = [copy.deepcopy(_contract(config, cid)) for cid in ADAPTER_CONTRACTS]
    _contract(out, "adapters-independent")["modules"].append(example)
    _contract(out, "adapters-core-imports-none")["forbidden_modules"].append(example)
    return out


def _toml(config: dict[str, Any]) -> str:
    def value(v: Any) -> str:
        if isinstance(v, list):
            return "[" + ", ".join(value(x) for x in v) + "]"
        if isinstance(v, bool):
            return "true" if v else "false"
        return '"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"'

    lines = ["[tool.importlinter]", f"root_packages = {value(config['root_packages'])}"]
    for contract in config["contracts"]:
        lines += ["", "[[tool.importlinter.contracts]]", *(f"{k} = {value(v)}" for k, v in contract.items())]
    return "\n".join(lines) + "\n"


def _run(config: dict[str, Any], tmp_path: Path, *paths: Path) -> subprocess.CompletedProcess[str]:
    (tmp_path / "pyproject.toml").write_text(_toml(config), encoding="utf-8")
    extra = [os.environ["PYTHONPATH"]] if os.environ.get("PYTHONPATH") else []
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([*(str(p) for p in (ROOT, EXAMPLE, *paths)), *extra])}
    return run_captured([_lint_imports(), "--no-cache", str(tmp_path / "pyproject.toml")], env=env)


def test_the_example_adapter_keeps_the_adapter_contracts(tmp_path: Path) -> None:
    result = _run(_with_example(_config()), tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_a_private_import_from_an_adapter_breaks_the_contract(tmp_path: Path) -> None:
    """The contract can fail: a copy of the example that imports ``carrier_sdk._flow`` is refused."""
    package = tmp_path / "pkgs" / "carrier_sdk_badexample"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("from carrier_sdk._flow import api_request\n", encoding="utf-8")
    config = _with_example(_config())
    config["root_packages"].append("carrier_sdk_badexample")
    result = _run(config, tmp_path, tmp_path / "pkgs")
    assert result.returncode != 0
    assert "carrier_sdk_badexample -> carrier_sdk._flow" in result.stdout
