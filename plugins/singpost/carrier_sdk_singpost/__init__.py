"""Singapore Post (SingPost) adapter for carrier-sdk: tracking over the PAW/APIM XML service."""

from __future__ import annotations

from typing import TYPE_CHECKING

from carrier_sdk.adapters import lazy_adapter

if TYPE_CHECKING:
    from ._carrier import SingPostCarrier
    from ._settings import SingPostSettings

__all__ = ["SingPostCarrier", "SingPostSettings", "register_carriers"]

__getattr__, __dir__, register_carriers = lazy_adapter(
    __name__, "singpost", "SingPostCarrier", {"SingPostSettings": "._settings"}
)
