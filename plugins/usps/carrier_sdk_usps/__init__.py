"""USPS adapter for carrier-sdk: the USPS APIs v3 (REST/JSON, OAuth2 client credentials).

Web Tools (the retired XML API) is deliberately not implemented. Importing this package is cheap:
the adapter and its fake (:mod:`carrier_sdk_usps.fake`) are imported on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from carrier_sdk.adapters import lazy_adapter

if TYPE_CHECKING:
    from ._carrier import UspsCarrier, areconcile_label, reconcile_label
    from ._settings import UspsSettings

__all__ = ["UspsCarrier", "UspsSettings", "areconcile_label", "reconcile_label", "register_carriers"]

__getattr__, __dir__, register_carriers = lazy_adapter(
    __name__,
    "usps",
    "UspsCarrier",
    {"UspsSettings": "._settings", "areconcile_label": "._carrier", "reconcile_label": "._carrier"},
)
