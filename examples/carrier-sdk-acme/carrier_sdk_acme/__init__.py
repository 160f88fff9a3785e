"""Acme adapter for carrier-sdk: an invented JSON API (replace it with the carrier's own)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from carrier_sdk.adapters import CarrierRegistry, hookimpl, lazy_exports

if TYPE_CHECKING:
    from ._carrier import AcmeCarrier
    from ._settings import AcmeSettings

__all__ = ["AcmeCarrier", "AcmeSettings", "register_carriers"]

__getattr__, __dir__ = lazy_exports(
    __name__,
    {"AcmeCarrier": "._carrier", "AcmeSettings": "._settings"},
)


@hookimpl
def register_carriers(registry: CarrierRegistry) -> None:
    """Register :class:`AcmeCarrier` (its module is imported on first use)."""
    registry.add_lazy(
        "acme",
        "carrier_sdk_acme._carrier:AcmeCarrier",
    )
