"""Singapore Post (SingPost) adapter for carrier-sdk: tracking over the PAW/APIM XML service.

The package stays light: importing it registers nothing by itself and does not import the fake.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from carrier_sdk.adapters import CarrierRegistry, hookimpl

if TYPE_CHECKING:
    from ._carrier import SingPostCarrier
    from ._settings import SingPostSettings

__all__ = ["SingPostCarrier", "SingPostSettings", "register_carriers"]

# Public names are imported on first access, so plugin discovery imports no adapter module.
_LAZY = {"SingPostCarrier": "._carrier", "SingPostSettings": "._settings"}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module, __name__), name)


@hookimpl
def register_carriers(registry: CarrierRegistry) -> None:
    registry.add_lazy("singpost", "carrier_sdk_singpost._carrier:SingPostCarrier")
