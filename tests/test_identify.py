"""Check-digit helpers against WIRE.md's vectors (valid fixtures only)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from carrier_sdk.adapters import (
    impb_check_digit,
    is_valid_impb,
    is_valid_s10,
    normalize_number,
    s10_check_digit,
)

VALID_S10 = [
    "RR123456785SG",
    "RA987654326SG",
    "EE000012349SG",
    "CP314159268ES",
    "LX271828189ES",
    "UA555555555CN",
    "RB112233447US",
    "EC123456785US",
    "LV001122337CN",
    "RR287043775IN",
]
VALID_IMPB = [
    "9400111899223855123450",
    "9420550123456789012346",
    "9300199999999999999999",
    "9201901649173123456788",
    "9212391234567812345670",
    "9400136106195372355532",
    "9434650899562092878282",
    "9400111899223847199999",
]


@pytest.mark.parametrize("number", VALID_S10)
def test_valid_s10(number: str) -> None:
    assert is_valid_s10(number)
    assert is_valid_s10(number, number[-2:])
    assert not is_valid_s10(number, "ZZ")


@pytest.mark.parametrize("number", VALID_S10)
def test_every_wrong_check_digit_is_rejected(number: str) -> None:
    for digit in "0123456789":
        if digit != number[10]:
            assert not is_valid_s10(number[:10] + digit + number[11:])


def test_s10_check_digit_special_cases() -> None:
    # 11 - (sum mod 11) == 11 -> 5 and == 10 -> 0
    assert s10_check_digit("12345678") == 5
    assert s10_check_digit("00000000") == 5
    sums = {s10_check_digit(f"{n:08d}") for n in range(0, 2000)}
    assert sums <= set(range(10))


def test_pub97_example_is_invalid() -> None:
    assert not is_valid_s10("EA123456782US")


@pytest.mark.parametrize("number", VALID_IMPB)
def test_valid_impb(number: str) -> None:
    assert is_valid_impb(number)
    assert impb_check_digit(number[:-1]) == int(number[-1])


@given(st.text(alphabet="0123456789", min_size=1, max_size=40))
def test_impb_check_digit_is_pub_199_mod_10(payload: str) -> None:
    # Pub 199: from the right, the digits weigh 3, 1, 3, 1 ...; the check digit tops the sum up to
    # a multiple of ten.
    weights = [3 if position % 2 == 0 else 1 for position in range(len(payload))]
    total = sum(int(digit) * weight for digit, weight in zip(reversed(payload), weights, strict=True))
    assert (impb_check_digit(payload) + total) % 10 == 0
    assert 0 <= impb_check_digit(payload) <= 9


@pytest.mark.parametrize("number", ["9400111899223100012927", "9400100000000000000001", "940011189922385512345X", ""])
def test_invalid_impb(number: str) -> None:
    assert not is_valid_impb(number)


def test_normalize_number() -> None:
    assert normalize_number(" rr 1234-56785 sg ") == "RR123456785SG"


@pytest.mark.parametrize("bad", ["1234567", "1234567a"])
def test_s10_serial_must_be_eight_digits(bad: str) -> None:
    with pytest.raises(ValueError, match="8 digits"):
        s10_check_digit(bad)
