"""Assertions on what an adapter's :meth:`~carrier_sdk.adapters.Carrier.recognize` claims.

Nothing here needs pytest: the helpers raise :class:`AssertionError` with a message that names
the carrier and the number, so they read well under any test runner. They raise it themselves
rather than use ``assert``, so they still check under ``python -O``.
"""

from __future__ import annotations

from .._carrier import Carrier
from .._enums import Confidence
from .._identify import normalize_number
from .._models import Identification

__all__ = ["assert_not_recognized", "assert_recognized"]


def assert_recognized(carrier: type[Carrier], number: str, confidence: Confidence | None = None) -> Identification:
    """Assert that ``carrier`` claims ``number`` fully, and return the claim.

    The number is normalized first (as the client does before asking an adapter), so it may be
    written the way people type it (``"9400 1118 9922 3855 1234 50"``). The claim must name
    ``carrier.code``, carry a non-empty reason, have ``confidence`` (any confidence when it is
    ``None``), and :meth:`~carrier_sdk.adapters.Carrier.check_number` must take the number as
    the same normalized text::

        @pytest.mark.parametrize(("number", "confidence"), [("AC123456789", Confidence.HIGH)])
        def test_recognized(number: str, confidence: Confidence) -> None:
            assert_recognized(AcmeCarrier, number, confidence)

    Raises:
        AssertionError: Any of those does not hold.

    .. versionadded:: 0.4
    """
    normalized = normalize_number(number)
    name = carrier.__name__
    claim = carrier.recognize(normalized)
    if claim is None:
        raise AssertionError(f"{name}.recognize({normalized!r}) claims nothing")
    if claim.carrier != carrier.code:
        raise AssertionError(f"{name} claims {normalized!r} for {claim.carrier!r}, not {carrier.code!r}")
    if confidence is not None and claim.confidence is not confidence:
        raise AssertionError(f"{name} claims {normalized!r} with {claim.confidence.name}, not {confidence.name}")
    if not claim.reason.strip():
        raise AssertionError(f"{name} claims {normalized!r} without a reason")
    taken = carrier.check_number(number)
    if taken != normalized:
        raise AssertionError(f"{name}.check_number({number!r}) is {taken!r}, not {normalized!r}")
    return claim


def assert_not_recognized(carrier: type[Carrier], number: str) -> None:
    """Assert that ``carrier`` does not claim ``number`` (normalized first, as the client does).

    Raises:
        AssertionError: :meth:`~carrier_sdk.adapters.Carrier.recognize` returns a claim.

    .. versionadded:: 0.4
    """
    normalized = normalize_number(number)
    claim = carrier.recognize(normalized)
    if claim is not None:
        raise AssertionError(f"{carrier.__name__}.recognize({normalized!r}) claims it: {claim!r}")
