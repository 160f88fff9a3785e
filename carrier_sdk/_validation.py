"""Input checks shared by the models and adapters. Each failure is a :class:`ValidationError`."""

from __future__ import annotations

import math
import re
import unicodedata
from decimal import Decimal, InvalidOperation
from typing import Any

from ._exceptions import ValidationError
from .iso import COUNTRY_CODES, CURRENCY_CODES

__all__ = [
    "check_country",
    "check_currency",
    "check_int",
    "check_positive",
    "check_text",
    "to_decimal",
]

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _check_code(value: Any, field: str, *, letters: int, known: frozenset[str], standard: str, what: str) -> str:
    """``value`` as an upper-case code of ``letters`` letters found in ``known``, or raise."""
    if not isinstance(value, str) or not re.fullmatch(rf"[A-Za-z]{{{letters}}}", value.strip()):
        raise ValidationError(f"{field} must be an {standard} {what}, got {value!r}", field=field, constraint=standard)
    code = value.strip().upper()
    if code not in known:
        raise ValidationError(f"{field}: {code!r} is not an {standard} {what}", field=field, constraint=standard)
    return code


def check_country(value: Any, field: str) -> str:
    """Return ``value`` as an upper-case ISO 3166-1 alpha-2 code, or raise."""
    return _check_code(value, field, letters=2, known=COUNTRY_CODES, standard="ISO 3166-1 alpha-2", what="country code")


def check_currency(value: Any, field: str) -> str:
    """Return ``value`` as an upper-case ISO 4217 code, or raise."""
    return _check_code(value, field, letters=3, known=CURRENCY_CODES, standard="ISO 4217", what="currency code")


def check_text(value: Any, field: str, *, max_length: int, required: bool = False) -> str:
    """Strip ``value``; reject control characters, over-long and (if required) empty text."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValidationError(f"{field} must be text", field=field, constraint="str")
    text = unicodedata.normalize("NFC", value.strip())
    if _CONTROL.search(text):
        raise ValidationError(f"{field} contains control characters", field=field, constraint="no control characters")
    if len(text) > max_length:
        raise ValidationError(
            f"{field} is {len(text)} characters long, at most {max_length} allowed",
            field=field,
            constraint=f"length <= {max_length}",
        )
    if required and not text:
        raise ValidationError(f"{field} is required", field=field, constraint="non-empty")
    return text


def check_int(value: Any, field: str, *, low: int, high: int | None = None, what: str, constraint: str) -> int:
    """Return ``value`` if it is an ``int`` (not a ``bool``) from ``low`` to ``high``, or raise
    ``"{field} must be {what}, got {value!r}"``."""
    if isinstance(value, bool) or not isinstance(value, int) or value < low or (high is not None and value > high):
        raise ValidationError(f"{field} must be {what}, got {value!r}", field=field, constraint=constraint)
    return value


def to_decimal(value: Any, field: str) -> Decimal:
    """Convert ``value`` to a finite :class:`~decimal.Decimal` (floats go through ``str``)."""
    if isinstance(value, bool):
        raise ValidationError(f"{field} must be a number", field=field, constraint="number")
    try:
        if isinstance(value, float):
            if not math.isfinite(value):
                raise InvalidOperation
            number = Decimal(repr(value))
        else:
            number = Decimal(value) if isinstance(value, int | Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        raise ValidationError(
            f"{field} must be a finite number, got {value!r}", field=field, constraint="finite"
        ) from None
    if not number.is_finite():
        raise ValidationError(f"{field} must be a finite number, got {value!r}", field=field, constraint="finite")
    return number


def check_positive(value: Decimal, field: str, *, maximum: Decimal | None = None) -> Decimal:
    """Reject zero, negative and (where given) over-maximum numbers."""
    if value <= 0:
        raise ValidationError(f"{field} must be positive, got {value}", field=field, constraint="> 0")
    if maximum is not None and value > maximum:
        raise ValidationError(
            f"{field} must be at most {maximum}, got {value}",
            field=field,
            constraint=f"<= {maximum}",
        )
    return value
