"""What a fresh process imports: the SDK loads its optional machinery only when a call needs it.

Each check runs in a fresh interpreter (``sys.modules`` of the test process already holds
everything). The names are modules that cost milliseconds to import and that a plain
``import carrier_sdk``, or a sync sandbox call, does not use.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

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


def _loaded_after(code: str, names: tuple[str, ...]) -> list[str]:
    script = f"import json, sys\n{code}\nprint(json.dumps([n for n in {list(names)!r} if n in sys.modules]))\n"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    loaded: list[str] = json.loads(out.splitlines()[-1])
    return loaded


def test_import_loads_no_optional_machinery() -> None:
    assert _loaded_after("import carrier_sdk", NOT_AT_IMPORT) == []


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
