"""Singapore Post (SingPost) adapter for carrier-sdk: tracking over the PAW/APIM XML service."""

from __future__ import annotations

from typing import TYPE_CHECKING

from carrier_sdk.adapters import CarrierRegistry, hookimpl, lazy_exports

if TYPE_CHECKING:
    from ._carrier import SingPostCarrier
    from ._settings import SingPostSettings

__all__ = ["SingPostCarrier", "SingPostSettings", "register_carriers"]

__getattr__, __dir__ = lazy_exports(__name__, {"SingPostCarrier": "._carrier", "SingPostSettings": "._settings"})


@hookimpl
def register_carriers(registry: CarrierRegistry) -> None:
    """Register :class:`SingPostCarrier` (its module is imported on first use)."""
    registry.add_lazy("singpost", "carrier_sdk_singpost._carrier:SingPostCarrier")
