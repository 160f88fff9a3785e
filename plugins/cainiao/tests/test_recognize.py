"""Which numbers Cainiao claims, and how strongly."""

from __future__ import annotations

import pytest
from carrier_sdk_cainiao import CainiaoCarrier

from carrier_sdk import Confidence, ValidationError
from carrier_sdk.testing import assert_not_recognized, assert_recognized


@pytest.mark.parametrize(
    ("number", "confidence"),
    [
        ("LP00667794278588", Confidence.HIGH),
        ("LP00672818399569", Confidence.HIGH),
        ("AP00780065527911", Confidence.MEDIUM),
        ("CNFR9010012345678HD", Confidence.LOW),
        ("CNES0123456789012", Confidence.LOW),
        ("UA555555555CN", Confidence.LOW),
        ("LV001122337CN", Confidence.LOW),
    ],
)
def test_recognized(number: str, confidence: Confidence) -> None:
    assert_recognized(CainiaoCarrier, number, confidence)


@pytest.mark.parametrize(
    "number",
    [
        "LP0066779427858",  # 13 digits
        "LP006677942785881",  # 15 digits
        "LP00123456789CN",  # synthetic doc example [A]
        "UA555555556CN",  # bad S10 check digit
        "RR123456785SG",  # S10 of another country
        "9400111899223855123450",  # USPS
        "CNFRABCDEFGH",  # no digits
        "",
    ],
)
def test_not_recognized(number: str) -> None:
    assert_not_recognized(CainiaoCarrier, number)


def test_check_number_normalizes_and_rejects() -> None:
    assert CainiaoCarrier.check_number("lp 0066 7794 2785 88") == "LP00667794278588"
    with pytest.raises(ValidationError):
        CainiaoCarrier.check_number("LP123")
