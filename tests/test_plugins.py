"""Plugin discovery through real ``importlib.metadata`` entry points.

Each test writes a tiny installed distribution (a ``*.dist-info`` folder and a module) into a
temporary ``sys.path`` entry: exactly what ``pip install`` leaves behind, without pip.
"""

from __future__ import annotations

import logging
import sys
import textwrap
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path

import pytest

from carrier_sdk import Client, ConfigurationError, PluginLoadError
from carrier_sdk._plugins import PluginManager

CARRIER = """
from typing import ClassVar
from carrier_sdk import Capability, Confidence, Identification
from carrier_sdk.adapters import Carrier
from carrier_sdk.hookspecs import hookimpl
from carrier_sdk.testing import FakeCarrierSettings

class {cls}(Carrier):
    code: ClassVar[str] = "{code}"
    display_name: ClassVar[str] = "{cls}"
    capabilities = frozenset({{Capability.TRACK}})
    Settings = FakeCarrierSettings

    @classmethod
    def recognize(cls, number):
        return Identification(carrier=cls.code, confidence=Confidence.LOW, reason="demo") if number.startswith("{prefix}") else None

@hookimpl
def register_carriers(registry):
    registry.add({cls})
"""


def install(site: Path, dist: str, module: str, code: str, body: str | None = None, ep_name: str | None = None) -> None:
    info = site / f"{dist.replace('-', '_')}-1.2.3.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.2.3\n")
    (info / "entry_points.txt").write_text(f"[carrier_sdk]\n{ep_name or code} = {module}\n")
    source = body if body is not None else CARRIER.format(cls=f"C{code.title()}", code=code, prefix=code.upper()[:2])
    (site / f"{module}.py").write_text(textwrap.dedent(source))


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path
    for name in [m for m in sys.modules if m.startswith("probe_")]:
        del sys.modules[name]


def ours(environ: dict[str, str] | None = None) -> PluginManager:
    """A manager that only sees the probe distributions of this test (the repo's plugins are real too)."""

    def entry_points() -> list[metadata.EntryPoint]:
        return [ep for ep in metadata.entry_points(group="carrier_sdk") if ep.value.startswith("probe_")]

    return PluginManager(environ=environ or {}, entry_points=entry_points)


def test_real_entry_point_is_discovered(site: Path) -> None:
    install(site, "carrier-sdk-alpha", "probe_alpha", "alpha")
    manager = ours()
    assert "probe_alpha" not in sys.modules  # discovery is lazy
    registry = manager.registry
    assert registry.codes() == ["alpha"]
    info = registry.info("alpha")
    assert (info.distribution, info.version) == ("carrier-sdk-alpha", "1.2.3")
    assert manager.report().loaded == ("alpha",)
    assert manager.registry is registry  # once


def test_default_discovery_sees_the_whole_group(site: Path) -> None:
    install(site, "carrier-sdk-gamma", "probe_gamma", "gamma")
    manager = PluginManager(environ={})
    assert "gamma" in manager.registry.codes()


def test_broken_plugin_is_reported_not_fatal(site: Path, caplog: pytest.LogCaptureFixture) -> None:
    install(site, "carrier-sdk-alpha", "probe_alpha", "alpha")
    install(site, "carrier-sdk-broken", "probe_broken", "broken", body="raise ImportError('missing dependency xyz')\n")
    install(
        site,
        "carrier-sdk-badhook",
        "probe_badhook",
        "badhook",
        body=(
            "from carrier_sdk.hookspecs import hookimpl\n@hookimpl\ndef register_carriers(registry):\n    raise RuntimeError('boom')\n"
        ),
    )
    with caplog.at_level(logging.WARNING, logger="carrier_sdk"):
        manager = ours()
        assert manager.registry.codes() == ["alpha"]
    report = manager.report()
    failed = {f.name: f for f in report.failed}
    assert set(failed) == {"broken", "badhook"}
    assert "missing dependency xyz" in failed["broken"].error
    assert failed["broken"].distribution == "carrier-sdk-broken"
    assert "boom" in failed["badhook"].error
    assert "Traceback" in failed["badhook"].traceback
    assert sum("failed to load" in r.getMessage() for r in caplog.records) == 2


def test_strict_mode_raises(site: Path) -> None:
    install(site, "carrier-sdk-broken", "probe_broken", "broken", body="raise ImportError('nope')\n")
    with pytest.raises(PluginLoadError) as info:
        _ = ours({"CARRIER_SDK_STRICT_PLUGINS": "1"}).registry
    assert info.value.plugin == "broken"
    assert info.value.distribution == "carrier-sdk-broken"


def test_disable_list_blocks_plugins(site: Path) -> None:
    install(site, "carrier-sdk-alpha", "probe_alpha", "alpha")
    install(site, "carrier-sdk-beta", "probe_beta", "beta")
    manager = ours({"CARRIER_SDK_DISABLE_PLUGINS": "beta, other"})
    assert manager.registry.codes() == ["alpha"]
    assert manager.report().blocked == ("beta",)
    assert "probe_beta" not in sys.modules


def test_duplicate_codes_name_both_distributions(site: Path) -> None:
    install(site, "carrier-sdk-alpha", "probe_alpha", "alpha")
    body = CARRIER.format(cls="Impostor", code="alpha", prefix="AL")
    install(site, "carrier-sdk-impostor", "probe_impostor", "alpha", body=body, ep_name="impostor")
    with pytest.raises(PluginLoadError) as info:
        _ = ours().registry
    assert "carrier-sdk-alpha" in str(info.value)
    assert "carrier-sdk-impostor" in str(info.value)


def test_client_uses_discovery_and_reports(site: Path) -> None:
    install(site, "carrier-sdk-alpha", "probe_alpha", "alpha")
    client = Client(registry=ours().registry)
    assert [c.code for c in client.carriers()] == ["alpha"]
    assert client.identify("ALPHA1")[0].carrier == "alpha"


def test_tracing_can_be_enabled(site: Path, caplog: pytest.LogCaptureFixture) -> None:
    install(site, "carrier-sdk-alpha", "probe_alpha", "alpha")
    with caplog.at_level(logging.DEBUG, logger="carrier_sdk"):
        manager = ours({"CARRIER_SDK_TRACE_PLUGINS": "1"})
        assert manager.registry.codes() == ["alpha"]
    traced = [r.getMessage() for r in caplog.records if "plugin trace" in r.getMessage()]
    assert any("register_carriers" in message for message in traced)


def test_a_hook_that_fails_half_way_leaves_nothing_behind(site: Path) -> None:
    install(site, "carrier-sdk-alpha", "probe_alpha", "alpha")
    body = CARRIER.format(cls="CHalf", code="half", prefix="HA").replace(
        "    registry.add(CHalf)", "    registry.add(CHalf)\n    raise RuntimeError('second carrier failed')"
    )
    install(site, "carrier-sdk-half", "probe_half", "half", body=body)
    manager = ours()
    assert manager.registry.codes() == ["alpha"]  # CHalf was added, then removed with its plugin
    assert [f.name for f in manager.report().failed] == ["half"]
    assert not manager.pm.has_plugin("half")


def test_a_plugin_registered_later_fills_the_same_registry(site: Path) -> None:
    install(site, "carrier-sdk-alpha", "probe_alpha", "alpha")
    (site / "probe_later.py").write_text(textwrap.dedent(CARRIER.format(cls="CLater", code="later", prefix="LA")))
    import probe_later  # type: ignore[import-not-found]

    manager = ours()
    assert manager.hook.register_carriers.is_historic()  # the relay, after discovery
    registry = manager.registry
    assert registry.codes() == ["alpha"]
    assert manager.register(probe_later, name="later") == "later"  # register_carriers is historic
    assert registry.codes() == ["alpha", "later"]
    assert registry.origin("later") == ("", "")
    assert manager.unregister(probe_later) is probe_later
    assert not manager.pm.is_registered(probe_later)


def test_registering_attributes_and_rolls_back() -> None:
    from carrier_sdk import CarrierRegistry

    registry = CarrierRegistry()
    with registry.registering("carrier-sdk-x", "2.0"):
        registry.add_lazy("xray", "probe_nowhere:X")
    assert registry.origin("xray") == ("carrier-sdk-x", "2.0")

    def half_way() -> None:
        with registry.registering("carrier-sdk-y", "1.0"):
            registry.add_lazy("yankee", "probe_nowhere:Y")
            raise RuntimeError("half way")

    with pytest.raises(RuntimeError):
        half_way()
    assert registry.codes() == ["xray"]
    assert registry.origin("yankee") == ("", "")
    registry.add_lazy("zulu", "probe_nowhere:Z")
    assert registry.origin("zulu") == ("", "")  # outside a block: added by hand


def test_registry_rejects_bad_carriers() -> None:
    from carrier_sdk import CarrierRegistry
    from carrier_sdk.adapters import Carrier

    class NoCode(Carrier):
        display_name = "x"

    class BadCode(Carrier):
        code = "Bad-Code"
        display_name = "x"
        Settings = dict

    registry = CarrierRegistry()
    with pytest.raises(ConfigurationError):
        registry.add(NoCode)
    with pytest.raises(ConfigurationError):
        registry.add(BadCode)
    with pytest.raises(ConfigurationError):
        registry.add(object)  # type: ignore[arg-type]


def test_lazy_registration_imports_on_first_use(site: Path) -> None:
    install(
        site,
        "carrier-sdk-lazy",
        "probe_lazy",
        "lazy",
        body=(
            "from carrier_sdk.hookspecs import hookimpl\n"
            "@hookimpl\ndef register_carriers(registry):\n    registry.add_lazy('lazy', 'probe_lazyimpl:CLazy')\n"
        ),
    )
    (site / "probe_lazyimpl.py").write_text(textwrap.dedent(CARRIER.format(cls="CLazy", code="lazy", prefix="LA")))
    registry = ours().registry
    assert registry.codes() == ["lazy"]
    assert "probe_lazyimpl" not in sys.modules  # discovery did not import the carrier module
    assert registry.get("lazy").__name__ == "CLazy"
    assert registry.info("lazy").distribution == "carrier-sdk-lazy"


def test_lazy_registration_errors_name_the_plugin(site: Path) -> None:
    from carrier_sdk import CarrierRegistry

    registry = CarrierRegistry()
    registry.add_lazy("ghost", "probe_missing_module:Ghost")
    with pytest.raises(PluginLoadError, match="ghost"):
        registry.get("ghost")
    (site / "probe_wrongcode.py").write_text(textwrap.dedent(CARRIER.format(cls="CWrong", code="wrong", prefix="WR")))
    registry.add_lazy("right", "probe_wrongcode:CWrong")
    with pytest.raises(PluginLoadError, match="registered as 'right'"):
        registry.get("right")
    with pytest.raises(ConfigurationError):
        registry.add_lazy("bad", "no-colon")


def test_discovery_of_the_installed_adapters_imports_none_of_them() -> None:
    import subprocess

    code = (
        "import sys, carrier_sdk\n"
        "client = carrier_sdk.Client()\n"
        "codes = client.registry.codes()\n"
        "loaded = sorted(m for m in sys.modules if m.startswith('carrier_sdk_') and '.' in m)\n"
        "print(len(codes), loaded)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split(" ", 1)
    if out[0] == "0":
        pytest.skip("no adapter plugins installed")
    assert out[1].strip() == "[]"
