"""The package's one ``__init__`` form: registration imports no adapter module; names load on use."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def test_discovery_imports_no_adapter_module_and_names_load_on_first_use() -> None:
    script = textwrap.dedent(
        """
        import sys
        import carrier_sdk_usps
        from carrier_sdk import CarrierRegistry

        registry = CarrierRegistry()
        carrier_sdk_usps.register_carriers(registry)
        loaded = sorted(m for m in sys.modules if m.startswith("carrier_sdk_usps."))
        assert loaded == [], loaded
        assert {"UspsCarrier", "UspsSettings", "reconcile_label"} <= set(dir(carrier_sdk_usps))
        carrier = registry.get("usps")
        assert carrier is carrier_sdk_usps.UspsCarrier
        assert "carrier_sdk_usps._carrier" in sys.modules
        assert "carrier_sdk_usps.fake" not in sys.modules
        try:
            carrier_sdk_usps.NoSuchName
        except AttributeError as err:
            assert "NoSuchName" in str(err)
        else:
            raise AssertionError("no AttributeError")
        print("ok")
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
