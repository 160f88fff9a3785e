"""Acme adapter for carrier-sdk: an invented JSON API (replace it with the carrier's own)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from carrier_sdk.adapters import lazy_adapter

if TYPE_CHECKING:
    from ._carrier import AcmeCarrier
    from ._settings import AcmeSettings

__all__ = ["AcmeCarrier", "AcmeSettings", "register_carriers"]

__getattr__, __dir__, register_carriers = lazy_adapter(
    __name__,
    "acme",
    "AcmeCarrier",
    {"AcmeSettings": "._settings"},
)
