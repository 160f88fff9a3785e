"""What a fresh process imports: the SDK loads its optional machinery only when a call needs it.

Each check runs in a fresh interpreter (``sys.modules`` of the test process already holds
everything). The names are modules that cost milliseconds to import and that a plain
``import carrier_sdk``, or a sync sandbox call, does not use.
"""

from __future__ import annotations

import importlib
import json
import pickle
import subprocess
import sys

import pytest

import carrier_sdk
from carrier_sdk import hookspecs
from carrier_sdk._plugins import ENTRY_POINT_GROUP

# Imported on first use only: plugin discovery (pluggy, the hook specs, importlib.metadata),
# the observation events (with the first observer), the retry loop, serialization, threads.
NOT_AT_IMPORT = (
    "pluggy",
    "carrier_sdk.hookspecs",
    "carrier_sdk._events",
    "importlib.metadata",
    "tenacity",
    "cattrs",
    "concurrent.futures",
    "asyncio",
    "http.server",
)

# Modules of the shipping, bulk-shipping, shipping-day, journey and locations models: `carrier_sdk`
# resolves their public names on first access (PEP 562) so that a plain import builds none of
# their classes.
LAZY_MODULES = {
    "carrier_sdk._shipping": (
        "Address",
        "AddressCheck",
        "Cancellation",
        "Customs",
        "CustomsItem",
        "Fee",
        "Label",
        "Money",
        "Parcel",
        "Rate",
        "RateRequest",
        "Shipment",
        "ShipmentRequest",
    ),
    "carrier_sdk._bulk_ship": ("AsyncShipmentIterator", "ShipmentIterator", "ShipmentResult", "ShipmentSummary"),
    "carrier_sdk._day": ("Manifest", "ManifestRefusal", "Pickup", "PickupAvailability", "PickupRequest"),
    "carrier_sdk._journey": ("Journey", "JourneyEvent", "JourneyLeg"),
    "carrier_sdk._locations": ("Distance", "OpeningHours", "ServiceLocation"),
}

# The lazy modules whose classes deal in shipments and addresses import the shipping models.
LAZY_NEEDS = {
    "carrier_sdk._bulk_ship": ("carrier_sdk._shipping",),
    "carrier_sdk._day": ("carrier_sdk._shipping",),
    "carrier_sdk._locations": ("carrier_sdk._shipping",),
}


def _loaded_after(code: str, names: tuple[str, ...]) -> list[str]:
    script = f"import json, sys\n{code}\nprint(json.dumps([n for n in {list(names)!r} if n in sys.modules]))\n"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    loaded: list[str] = json.loads(out.splitlines()[-1])
    return loaded


def test_import_loads_no_optional_machinery() -> None:
    assert _loaded_after("import carrier_sdk", NOT_AT_IMPORT) == []


def test_import_loads_no_lazily_exported_module() -> None:
    assert _loaded_after("import carrier_sdk", tuple(LAZY_MODULES)) == []


@pytest.mark.parametrize(("module", "names"), LAZY_MODULES.items())
def test_a_lazy_name_loads_its_module_only(module: str, names: tuple[str, ...]) -> None:
    code = f"import carrier_sdk; {'; '.join(f'carrier_sdk.{name}' for name in names)}"
    assert sorted(_loaded_after(code, tuple(LAZY_MODULES))) == sorted({module, *LAZY_NEEDS.get(module, ())})


def test_lazy_names_are_the_defining_modules_objects_listed_and_picklable() -> None:
    for module, names in LAZY_MODULES.items():
        defining = importlib.import_module(module)
        for name in names:
            value = getattr(carrier_sdk, name)
            assert value is getattr(defining, name)
            assert name in carrier_sdk.__all__
            assert name in dir(carrier_sdk)
            assert pickle.loads(pickle.dumps(value)) is value
    assert set(carrier_sdk.__all__) <= set(dir(carrier_sdk))


def test_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'NoSuchName'"):
        carrier_sdk.NoSuchName  # type: ignore[attr-defined]  # noqa: B018


@pytest.mark.parametrize(
    "code",
    [
        "from carrier_sdk.sandbox import Sandbox; Sandbox()",
        "import carrier_sdk; c = carrier_sdk.Client(sandbox=True); c.carriers()",
        "import carrier_sdk; c = carrier_sdk.Client(sandbox=True); "
        "c.track(c.sandbox.fake('usps').scenario_numbers['delivered'])",
    ],
)
def test_sync_sandbox_loads_no_event_loop_or_server(code: str) -> None:
    assert _loaded_after(code, ("asyncio", "http.server")) == []


def test_a_call_without_retries_loads_no_retry_loop() -> None:
    code = (
        "import carrier_sdk; c = carrier_sdk.Client(sandbox=True); "
        "c.track(c.sandbox.fake('usps').scenario_numbers['delivered'])"
    )
    assert _loaded_after(code, ("tenacity", "carrier_sdk._retrying")) == []


def test_entry_point_group_is_the_pluggy_project() -> None:
    assert ENTRY_POINT_GROUP == hookspecs.PROJECT_NAME
