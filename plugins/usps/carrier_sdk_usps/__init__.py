"""carrier-sdk plugin for USPS APIs v3 (REST/JSON, OAuth2).

Web Tools (the retired XML API) is deliberately not implemented. Importing this package is
cheap: the fake API lives in :mod:`carrier_sdk_usps.fake` and is imported only when used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from carrier_sdk.hookspecs import hookimpl

from ._carrier import UspsCarrier, areconcile_label, reconcile_label
from ._settings import UspsSettings

if TYPE_CHECKING:
    from carrier_sdk import CarrierRegistry

__all__ = ["UspsCarrier", "UspsSettings", "areconcile_label", "reconcile_label", "register_carriers"]


@hookimpl
def register_carriers(registry: CarrierRegistry) -> None:
    """Register :class:`UspsCarrier` under the code ``"usps"``."""
    registry.add(UspsCarrier)
