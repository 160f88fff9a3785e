"""The SDK's adapter conformance suite, run against the Correos adapter and its fake."""

from __future__ import annotations

from carrier_sdk_correos._carrier import CorreosCarrier

from carrier_sdk.testing.conformance import CarrierConformance


class TestCorreosConformance(CarrierConformance):
    carrier = CorreosCarrier
    home_country = "ES"
