"""Testing helpers for SDK users and adapter authors (the ``testing`` extra).

Use as an opt-in pytest plugin: ``pytest_plugins = ["carrier_sdk.testing"]``. That registers the
sandbox fixtures (``carrier_sandbox``, ``sandbox_client``, ``async_sandbox_client``,
``carrier_respx``, ``inject_fault``, ``carrier_registry``, ``carrier_clock``); adapter authors
subclass :class:`carrier_sdk.testing.conformance.CarrierConformance`.
"""

from __future__ import annotations

from ._fake_carrier import (
    FAKE_BASE_URL,
    FakeCarrier,
    FakeCarrierAPIServer,
    FakeCarrierSettings,
    fake_number,
)

try:  # the fixtures need pytest (the ``testing`` extra); the fake carrier does not
    from .fixtures import SandboxClock
    from .plugin import (
        async_sandbox_client,
        carrier_clock,
        carrier_registry,
        carrier_respx,
        carrier_sandbox,
        carrier_sandbox_registry,
        carrier_sandbox_seed,
        inject_fault,
        sandbox_client,
    )
except ImportError as _err:  # pragma: no cover - exercised only without pytest installed
    if getattr(_err, "name", None) not in ("pytest", "_pytest"):
        raise

__all__ = [
    "FAKE_BASE_URL",
    "FakeCarrier",
    "FakeCarrierAPIServer",
    "FakeCarrierSettings",
    "SandboxClock",
    "async_sandbox_client",
    "carrier_clock",
    "carrier_registry",
    "carrier_respx",
    "carrier_sandbox",
    "carrier_sandbox_registry",
    "carrier_sandbox_seed",
    "fake_number",
    "inject_fault",
    "sandbox_client",
]
