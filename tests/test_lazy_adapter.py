"""``carrier_sdk.adapters.lazy_adapter``: an adapter package's lazy names and registration hook."""

from __future__ import annotations

import importlib
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pluggy
import pytest

from carrier_sdk import CarrierRegistry, hookspecs
from carrier_sdk.adapters import lazy_adapter

PACKAGE = "carrier_sdk_lazyprobe"


@pytest.fixture
def adapter_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    package = tmp_path / PACKAGE
    package.mkdir()
    (package / "__init__.py").write_text(
        textwrap.dedent(
            """
            from carrier_sdk.adapters import lazy_adapter

            __all__ = ["ProbeCarrier", "ProbeSettings", "register_carriers"]
            __getattr__, __dir__, register_carriers = lazy_adapter(
                __name__, "lazyprobe", "ProbeCarrier", {"ProbeSettings": "._settings"}
            )
            """
        )
    )
    (package / "_settings.py").write_text("class ProbeSettings:\n    pass\n")
    (package / "_carrier.py").write_text(
        textwrap.dedent(
            """
            from carrier_sdk.adapters import Carrier

            from ._settings import ProbeSettings


            class ProbeCarrier(Carrier):
                code = "lazyprobe"
                display_name = "Lazy probe"
                Settings = ProbeSettings
            """
        )
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    yield PACKAGE
    for module in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
        del sys.modules[module]


def test_the_hook_registers_the_carrier_without_importing_it(adapter_package: str) -> None:
    package = importlib.import_module(adapter_package)
    registry = CarrierRegistry()
    package.register_carriers(registry)
    assert registry.codes() == ["lazyprobe"]
    assert f"{adapter_package}._carrier" not in sys.modules
    carrier = registry.get("lazyprobe")
    assert carrier is sys.modules[f"{adapter_package}._carrier"].ProbeCarrier
    assert package.ProbeCarrier is carrier


def test_the_hook_is_a_pluggy_hookimpl_of_the_package(adapter_package: str) -> None:
    package = importlib.import_module(adapter_package)
    hook = package.register_carriers
    assert hook.__module__ == adapter_package
    assert hook.__name__ == "register_carriers"
    assert "ProbeCarrier" in (hook.__doc__ or "")
    manager = pluggy.PluginManager("carrier_sdk")
    manager.add_hookspecs(hookspecs)
    manager.register(package)  # checked against the hook's spec
    assert [impl.plugin for impl in manager.hook.register_carriers.get_hookimpls()] == [package]


def test_public_names_are_lazy(adapter_package: str) -> None:
    package = importlib.import_module(adapter_package)
    assert {"ProbeCarrier", "ProbeSettings", "register_carriers"} <= set(dir(package))
    assert f"{adapter_package}._settings" not in sys.modules
    assert package.ProbeSettings is sys.modules[f"{adapter_package}._settings"].ProbeSettings
    assert f"{adapter_package}._carrier" not in sys.modules
    with pytest.raises(AttributeError):
        _ = package.Missing


@pytest.mark.parametrize(
    ("carrier", "exports"),
    [("Not a name", {}), ("", {}), ("ProbeCarrier", {"Bad Name": "._settings"}), ("ProbeCarrier", {"X": ""})],
)
def test_bad_names_fail_at_once(carrier: str, exports: dict[str, str]) -> None:
    with pytest.raises(ValueError, match="identifier"):
        lazy_adapter(PACKAGE, "lazyprobe", carrier, exports)
