"""The named-carrier rule: ``carrier=`` sends any number plausible for that carrier's network.

Recognition (:meth:`Carrier.recognize`) decides only when no carrier is named. When the caller
names one, :meth:`Carrier.accepts` decides: a plausible number reaches the carrier (here its
fake, which answers "not found"), junk is refused with a typed error before any request.
"""

from __future__ import annotations

from typing import Any

import pytest

from carrier_sdk import CarrierError, Client, TrackingNotFoundError, UnknownCarrierError, ValidationError
from carrier_sdk._identify import PLAUSIBLE_LENGTH, plausibility_problem
from carrier_sdk._plugins import default_plugin_manager
from carrier_sdk.adapters import Carrier
from carrier_sdk.sandbox import Sandbox

#: Numbers each network carries that its recognize() does not claim (sources in the comments).
NAMED_ONLY: dict[str, list[str]] = {
    # LP + 11 digits + CN: the AliExpress example in tests/external/cainiao (SOURCES.md);
    # a SingPost S10 item; a PostNL last-mile number (Cainiao's copyRealMailNo).
    "cainiao": ["LP00123456789CN", "RR123456785SG", "3SDFC0123456789"],
    # An 18-character Correos code another client accepts (SOURCES.md, Correos).
    "correos": ["PR123456789012345C"],
    # A 21-character SmartPac number.
    "singpost": ["ABCDE1234567890ABCDE1"],
    # Inbound international items of other posts.
    "usps": ["LV001122337CN", "RR123456785SG"],
}

JUNK = [
    "RR123456784SG",  # S10-shaped, wrong check digit
    "LP123",  # too short
    "../../admin",  # path characters
    "ÀÉÎ12345678",  # not ASCII
    "1" * (PLAUSIBLE_LENGTH[1] + 1),  # too long
    "ABCDEFGHIJKL",  # no digit
    "AB12\x0034567",  # control character
]


def _registry() -> Any:
    return default_plugin_manager().registry


def _client(code: str) -> tuple[Client, Sandbox]:
    registry = _registry()
    sandbox = Sandbox(registry=registry, carriers=[code])
    client = Client(sandbox=sandbox, registry=registry, environ={}, sleep=lambda s: None)
    return client, sandbox


def _carried(sandbox: Sandbox, code: str, number: str) -> bool:
    for request in sandbox.fake(code).requests:
        if number in str(request.url) or number.encode() in request.content:
            return True
    return False


CASES = [(code, number) for code, numbers in NAMED_ONLY.items() for number in numbers]


@pytest.mark.parametrize(("code", "number"), CASES)
def test_named_carrier_sends_a_plausible_number_recognition_does_not_claim(code: str, number: str) -> None:
    client, sandbox = _client(code)
    with client:
        assert code not in [claim.carrier for claim in client.identify(number)]
        try:
            info = client.track(number, carrier=code)
        except TrackingNotFoundError:
            pass  # the fake does not know it, but it was asked
        else:
            assert info.carrier == code
        assert _carried(sandbox, code, number)


@pytest.mark.parametrize(("code", "number"), CASES)
def test_named_carrier_in_bulk_and_journeys(code: str, number: str) -> None:
    client, sandbox = _client(code)
    with client:
        [result] = list(client.track_many([number], carrier=code))
        assert result.error is None or isinstance(result.error, TrackingNotFoundError)
        assert _carried(sandbox, code, number)
        sandbox.fake(code).requests.clear()
        journey = client.track_journey(number, carrier=code)
        assert journey is not None
        assert _carried(sandbox, code, number)


@pytest.mark.parametrize("code", sorted(NAMED_ONLY))
@pytest.mark.parametrize("junk", JUNK)
def test_named_carrier_refuses_junk_before_any_request(code: str, junk: str) -> None:
    client, sandbox = _client(code)
    with client:
        with pytest.raises(ValidationError) as info:
            client.track(junk, carrier=code)
        assert info.value.field == "tracking_number"
        assert "plausible" in str(info.value)
        [result] = list(client.track_many([junk], carrier=code))
        assert isinstance(result.error, ValidationError)
        assert not sandbox.fake(code).requests


@pytest.mark.parametrize("code", sorted(NAMED_ONLY))
def test_without_a_named_carrier_recognition_decides(code: str) -> None:
    client, sandbox = _client(code)
    with client:
        for number in NAMED_ONLY[code]:
            try:
                client.track(number)
            except UnknownCarrierError:
                pass  # nobody claims it: refused, never sent to the carrier we did not name
            except CarrierError:
                pass  # another installed carrier claims it
        assert not sandbox.fake(code).requests


def test_accepts_default_and_override() -> None:
    class Plain(Carrier):
        code = "plain"
        display_name = "Plain"

    class Strict(Carrier):
        code = "strict"
        display_name = "Strict"

        @classmethod
        def accepts(cls, number: str) -> bool:
            return number.startswith("ST")

    assert Plain.accepts("3SDFC0123456789")
    assert not Plain.accepts("RR123456784SG")
    assert Plain.check_number(" 3sdfc-0123 456789 ") == "3SDFC0123456789"
    assert Strict.check_number("st12345678") == "ST12345678"
    with pytest.raises(ValidationError, match="Strict does not use numbers of this shape"):
        Strict.check_number("3SDFC0123456789")
    with pytest.raises(ValidationError, match="is text"):
        Plain.check_number(None)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="empty"):
        Plain.check_number("  ")


@pytest.mark.parametrize(
    ("number", "problem"),
    [
        ("RR123456785SG", None),
        ("LP00123456789CN", None),
        ("RR123456784SG", "check digit"),
        ("ABC1234", "8 to 40"),
        ("ABCDEFGHIJ", "digits"),
        ("AB-12345678", "letters A-Z"),
    ],
)
def test_plausibility_problem(number: str, problem: str | None) -> None:
    found = plausibility_problem(number)
    if problem is None:
        assert found is None
    else:
        assert found is not None
        assert problem in found
