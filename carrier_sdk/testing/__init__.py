"""Testing helpers for SDK users and adapter authors (the ``testing`` extra).

Use as an opt-in pytest plugin: ``pytest_plugins = ["carrier_sdk.testing"]``.
"""

from __future__ import annotations

from ._fake_carrier import (
    FAKE_BASE_URL,
    FakeCarrier,
    FakeCarrierAPIServer,
    FakeCarrierSettings,
    fake_number,
)

__all__ = [
    "FAKE_BASE_URL",
    "FakeCarrier",
    "FakeCarrierAPIServer",
    "FakeCarrierSettings",
    "fake_number",
]
