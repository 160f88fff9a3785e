"""The pytest plugin entry: ``pytest_plugins = ["carrier_sdk.testing"]`` (or this module).

Importing it registers the sandbox fixtures of :mod:`carrier_sdk.testing.fixtures`.
"""

from __future__ import annotations

from .fixtures import (
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

__all__ = [
    "async_sandbox_client",
    "carrier_clock",
    "carrier_registry",
    "carrier_respx",
    "carrier_sandbox",
    "carrier_sandbox_registry",
    "carrier_sandbox_seed",
    "inject_fault",
    "sandbox_client",
]
