"""The core's adapter conformance suite, run against the USPS adapter and its fake."""

from __future__ import annotations

import pytest

conformance = pytest.importorskip("carrier_sdk.testing.conformance")

from carrier_sdk_usps import UspsCarrier  # noqa: E402 - after the importorskip guard


class TestUspsConformance(conformance.CarrierConformance):  # type: ignore[misc, name-defined]
    carrier = UspsCarrier
