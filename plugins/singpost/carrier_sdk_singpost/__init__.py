"""Singapore Post (SingPost) adapter for carrier-sdk: tracking over the PAW/APIM XML service.

The package stays light: importing it registers nothing by itself and does not import the fake.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from carrier_sdk.hookspecs import hookimpl

from ._carrier import SingPostCarrier
from ._settings import SingPostSettings

if TYPE_CHECKING:
    from carrier_sdk import CarrierRegistry

__all__ = ["SingPostCarrier", "SingPostSettings", "register_carriers"]


@hookimpl
def register_carriers(registry: CarrierRegistry) -> None:
    """Register :class:`SingPostCarrier` (the ``carrier_sdk`` entry point ``singpost``)."""
    registry.add(SingPostCarrier)
