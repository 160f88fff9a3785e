"""Correos (Spain) adapter for carrier-sdk: localizador tracking and SOAP pre-registration."""

from __future__ import annotations

from typing import TYPE_CHECKING

from carrier_sdk.adapters import lazy_adapter

if TYPE_CHECKING:
    from ._carrier import CorreosCarrier
    from ._settings import CorreosSettings

__all__ = ["CorreosCarrier", "CorreosSettings", "register_carriers"]

__getattr__, __dir__, register_carriers = lazy_adapter(
    __name__, "correos", "CorreosCarrier", {"CorreosSettings": "._settings"}
)
