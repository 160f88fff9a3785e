"""The conformance suite, run against the reference adapter FakeCarrier."""

from __future__ import annotations

from carrier_sdk.testing import FakeCarrier
from carrier_sdk.testing.conformance import CarrierConformance


class TestFakeCarrierConformance(CarrierConformance):
    carrier = FakeCarrier
