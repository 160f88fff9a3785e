"""Tracking-number check digits shared by the adapters: UPU S10 and USPS IMpb (mod 10)."""

from __future__ import annotations

import re

__all__ = [
    "PLAUSIBLE_LENGTH",
    "S10_PATTERN",
    "ascii_digits",
    "impb_check_digit",
    "is_valid_impb",
    "is_valid_s10",
    "normalize_number",
    "plausibility_problem",
    "s10_check_digit",
]

#: A 13-character UPU S10 item id: service indicator, 8-digit serial, check digit, country.
S10_PATTERN = re.compile(r"^[A-Z]{2}([0-9]{8})([0-9])([A-Z]{2})$")

_S10_WEIGHTS = (8, 6, 4, 2, 3, 5, 9, 7)

#: Shortest and longest normalized number any adapter sends when the caller names the carrier
#: (UPU S10 is 13, Cainiao LP codes 16, Correos package codes 23, USPS IMpb up to 34).
PLAUSIBLE_LENGTH = (8, 40)
_PLAUSIBLE_CHARS = re.compile(r"^[A-Z0-9]+$")


def ascii_digits(text: str) -> bool:
    """Whether ``text`` is one or more ASCII digits 0-9 (``str.isdigit`` also accepts "²" and "٣")."""
    return text.isascii() and text.isdigit()


def normalize_number(number: str) -> str:
    """Upper-case a tracking number and drop spaces and dashes people type into them."""
    return re.sub(r"[\s\-]", "", number).upper()


def plausibility_problem(number: str) -> str | None:
    """Why a normalized number cannot be a tracking number of any network, or ``None``.

    The default rule behind :meth:`Carrier.accepts <carrier_sdk.adapters.Carrier.accepts>`: only ASCII
    letters and digits (numbers travel in URL paths and XML), :data:`PLAUSIBLE_LENGTH`
    characters, at least one digit, and a number shaped like a UPU S10 id must carry its check
    digit. Everything else is left to the carrier, which answers "not found" for numbers it does
    not know.
    """
    low, high = PLAUSIBLE_LENGTH
    if not _PLAUSIBLE_CHARS.match(number):
        return "only the letters A-Z and the digits 0-9 are allowed"
    if not low <= len(number) <= high:
        return f"a tracking number has {low} to {high} characters, this one has {len(number)}"
    if not any("0" <= c <= "9" for c in number):
        return "a tracking number contains digits"
    if S10_PATTERN.match(number) and not is_valid_s10(number):
        return "it is shaped like a UPU S10 item id but its check digit is wrong"
    return None


def s10_check_digit(serial: str) -> int:
    """The S10 check digit of an 8-digit serial (weights 8,6,4,2,3,5,9,7; 10 -> 0, 11 -> 5)."""
    if len(serial) != 8 or not ascii_digits(serial):
        raise ValueError("an S10 serial is 8 digits")
    check = 11 - sum(int(d) * w for d, w in zip(serial, _S10_WEIGHTS, strict=True)) % 11
    return {10: 0, 11: 5}.get(check, check)


def is_valid_s10(number: str, country: str | None = None) -> bool:
    """Whether ``number`` is a well-formed S10 id with a correct check digit.

    With ``country``, the id must also end in that ISO alpha-2 code.
    """
    match = S10_PATTERN.match(number)
    if match is None:
        return False
    serial, check, suffix = match.groups()
    if country is not None and suffix != country.upper():
        return False
    return s10_check_digit(serial) == int(check)


def impb_check_digit(payload: str) -> int:
    """The USPS Pub 199 mod-10 check digit for the digits left of it.

    Walking from the right, digits are weighted 3, 1, 3, 1 ...; the check digit brings the
    weighted sum up to a multiple of ten.
    """
    if not ascii_digits(payload):
        raise ValueError("IMpb payload must be digits")
    backwards = payload[::-1]  # every number a call tracks is checked here: no Python call per digit
    total = 3 * sum(map(int, backwards[0::2])) + sum(map(int, backwards[1::2]))
    return (10 - total % 10) % 10


def is_valid_impb(number: str) -> bool:
    """Whether an all-digit number's last digit is its mod-10 check digit."""
    if len(number) < 2 or not ascii_digits(number):
        return False
    return impb_check_digit(number[:-1]) == int(number[-1])
