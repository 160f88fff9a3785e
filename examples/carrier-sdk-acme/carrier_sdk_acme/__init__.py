"""Acme adapter for carrier-sdk (registered through the ``carrier_sdk`` entry point)."""

from __future__ import annotations

from typing import Any

from carrier_sdk.hookspecs import hookimpl

from ._carrier import AcmeCarrier
from ._settings import AcmeSettings

__all__ = ["AcmeCarrier", "AcmeSettings", "register_carriers"]


@hookimpl
def register_carriers(registry: Any) -> None:
    """Register :class:`AcmeCarrier` with carrier-sdk."""
    registry.add(AcmeCarrier)
