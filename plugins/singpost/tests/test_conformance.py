"""The core's adapter conformance suite, run against SingPost and its fake."""

from __future__ import annotations

from carrier_sdk_singpost import SingPostCarrier

from carrier_sdk.testing.conformance import CarrierConformance


class TestSingPostConformance(CarrierConformance):
    carrier = SingPostCarrier
