"""Correos (Spain) adapter for carrier-sdk: localizador tracking and SOAP pre-registration."""

from __future__ import annotations

from typing import TYPE_CHECKING

from carrier_sdk.adapters import CarrierRegistry, hookimpl, lazy_exports

if TYPE_CHECKING:
    from ._carrier import CorreosCarrier
    from ._settings import CorreosSettings

__all__ = ["CorreosCarrier", "CorreosSettings", "register_carriers"]

__getattr__, __dir__ = lazy_exports(__name__, {"CorreosCarrier": "._carrier", "CorreosSettings": "._settings"})


@hookimpl
def register_carriers(registry: CarrierRegistry) -> None:
    """Register :class:`CorreosCarrier` (its module is imported on first use)."""
    registry.add_lazy("correos", "carrier_sdk_correos._carrier:CorreosCarrier")
