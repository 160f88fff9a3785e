"""Correos (Spain) adapter for carrier-sdk: localizador tracking and SOAP pre-registration.

Kept light on purpose: the carrier class is imported only when the plugin manager asks for it.
"""

from __future__ import annotations

from carrier_sdk.adapters import CarrierRegistry, hookimpl

__all__ = ["register_carriers"]


@hookimpl
def register_carriers(registry: CarrierRegistry) -> None:
    # Registered lazily: discovery imports no adapter module.
    registry.add_lazy("correos", "carrier_sdk_correos._carrier:CorreosCarrier")
