"""The recognition helpers on the adapter base class: ``Carrier.claim`` and ``Carrier.recognize_s10``."""

from __future__ import annotations

import pytest

from carrier_sdk import Confidence, Identification
from carrier_sdk.adapters import Carrier


class _Post(Carrier):
    code = "post"
    display_name = "Post"


def test_claim_is_this_carriers_identification() -> None:
    assert _Post.claim(Confidence.MEDIUM, "PO + 9 digits") == Identification(
        carrier="post", confidence=Confidence.MEDIUM, reason="PO + 9 digits"
    )


@pytest.mark.parametrize(
    ("number", "inbound", "confidence"),
    [
        ("RR123456785SG", True, Confidence.HIGH),  # issued by the post's own country
        ("RR123456785SG", False, Confidence.HIGH),
        ("RR123456785DE", True, Confidence.LOW),  # another post's item, delivered here perhaps
        ("RR123456785DE", False, None),  # inbound items not claimed
        ("RR123456784SG", True, None),  # wrong check digit
        ("RR123456784DE", True, None),
        ("RR12345678SG", True, None),  # not S10-shaped
        ("9400111899223855123450", True, None),
    ],
)
def test_recognize_s10(number: str, inbound: bool, confidence: Confidence | None) -> None:
    claim = _Post.recognize_s10(number, "SG", inbound=inbound)
    assert (claim and claim.confidence) == confidence
    if claim is not None:
        assert claim.carrier == "post"
        assert "S10" in claim.reason
