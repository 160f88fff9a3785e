"""carrier-sdk's conformance suite, run against this adapter and its fake."""

from __future__ import annotations

from carrier_sdk.testing.conformance import CarrierConformance

from carrier_sdk_acme import AcmeCarrier


class TestAcmeConformance(CarrierConformance):
    carrier = AcmeCarrier
