"""carrier-sdk plugin for Cainiao (Alibaba logistics) over the LINK gateway.

Registers :class:`CainiaoCarrier` (code ``"cainiao"``) and offers :func:`verify_push` for
tracking messages Cainiao pushes to you. The fake API lives in :mod:`carrier_sdk_cainiao.fake`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from carrier_sdk.hookspecs import hookimpl

from ._carrier import CainiaoCarrier
from ._push import verify_push
from ._settings import CainiaoEnvironment, CainiaoSettings

if TYPE_CHECKING:
    from carrier_sdk import CarrierRegistry

__all__ = ["CainiaoCarrier", "CainiaoEnvironment", "CainiaoSettings", "register_carriers", "verify_push"]


@hookimpl
def register_carriers(registry: CarrierRegistry) -> None:
    """Register the Cainiao carrier."""
    registry.add(CainiaoCarrier)
