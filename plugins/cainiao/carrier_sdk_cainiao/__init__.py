"""Cainiao adapter for carrier-sdk: cross-border orders, waybills and tracking over the LINK gateway.

Besides the carrier, :func:`verify_push` (from :mod:`carrier_sdk_cainiao.push`) verifies the
tracking messages Cainiao pushes to you. The fake API is :mod:`carrier_sdk_cainiao.fake`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from carrier_sdk.adapters import lazy_adapter

if TYPE_CHECKING:
    from ._carrier import CainiaoCarrier
    from ._settings import CainiaoEnvironment, CainiaoSettings
    from .push import verify_push

__all__ = ["CainiaoCarrier", "CainiaoEnvironment", "CainiaoSettings", "register_carriers", "verify_push"]

__getattr__, __dir__, register_carriers = lazy_adapter(
    __name__,
    "cainiao",
    "CainiaoCarrier",
    {"CainiaoEnvironment": "._settings", "CainiaoSettings": "._settings", "verify_push": ".push"},
)
