"""carrier-sdk plugin for Cainiao (Alibaba logistics) over the LINK gateway.

Registers :class:`CainiaoCarrier` (code ``"cainiao"``) and offers :func:`verify_push` for
tracking messages Cainiao pushes to you. The fake API lives in :mod:`carrier_sdk_cainiao.fake`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from carrier_sdk.adapters import CarrierRegistry, hookimpl

if TYPE_CHECKING:
    from ._carrier import CainiaoCarrier
    from ._settings import CainiaoEnvironment, CainiaoSettings
    from .push import verify_push

__all__ = ["CainiaoCarrier", "CainiaoEnvironment", "CainiaoSettings", "register_carriers", "verify_push"]

# Public names are imported on first access, so plugin discovery imports no adapter module.
_LAZY = {
    "CainiaoCarrier": "._carrier",
    "verify_push": ".push",
    "CainiaoEnvironment": "._settings",
    "CainiaoSettings": "._settings",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module, __name__), name)


@hookimpl
def register_carriers(registry: CarrierRegistry) -> None:
    registry.add_lazy("cainiao", "carrier_sdk_cainiao._carrier:CainiaoCarrier")
