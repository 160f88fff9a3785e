"""carrier-sdk plugin for USPS APIs v3 (REST/JSON, OAuth2).

Web Tools (the retired XML API) is deliberately not implemented. Importing this package is
cheap: the fake API lives in :mod:`carrier_sdk_usps.fake` and is imported only when used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from carrier_sdk.hookspecs import hookimpl

if TYPE_CHECKING:
    from carrier_sdk import CarrierRegistry

    from ._carrier import UspsCarrier, areconcile_label, reconcile_label
    from ._settings import UspsSettings

__all__ = ["UspsCarrier", "UspsSettings", "areconcile_label", "reconcile_label", "register_carriers"]

# Public names are imported on first access, so plugin discovery imports no adapter module.
_LAZY = {
    "UspsCarrier": "._carrier",
    "areconcile_label": "._carrier",
    "reconcile_label": "._carrier",
    "UspsSettings": "._settings",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module, __name__), name)


@hookimpl
def register_carriers(registry: CarrierRegistry) -> None:
    registry.add_lazy("usps", "carrier_sdk_usps._carrier:UspsCarrier")
