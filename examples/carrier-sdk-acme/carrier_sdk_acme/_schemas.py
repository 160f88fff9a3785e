"""The Acme wire format: constants and parsers of the JSON payloads.

Parsers raise ``KeyError``/``TypeError``/``ValueError`` on a payload of the wrong shape; the
carrier wraps them into :class:`carrier_sdk.ResponseError`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import attrs

__all__ = [
    "API_KEY_HEADER",
    "NUMBER_PREFIX",
    "PRODUCTION_URL",
    "WireEvent",
    "WireRate",
    "WireTracking",
    "parse_error",
    "parse_rates",
    "parse_tracking",
]

#: The API root.
PRODUCTION_URL = "https://api.acme.example"
#: Header carrying the API key (declared in ``sensitive_headers``).
API_KEY_HEADER = "X-Acme-Key"
#: [A] Tracking numbers: this prefix, 8 digits and an S10 check digit.
NUMBER_PREFIX = "AC"


@attrs.frozen
class WireEvent:
    at: int
    code: str
    text: str
    city: str


@attrs.frozen
class WireTracking:
    number: str
    events: tuple[WireEvent, ...]


@attrs.frozen
class WireRate:
    service: str
    price: Decimal
    days: int


def _str(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError("expected a string")
    return value


def _int(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError("expected an integer")
    return value


def parse_tracking(data: Any) -> WireTracking:
    """``{"number": str, "events": [{"at": epoch, "code": str, "text": str, "city": str}]}``."""
    events = tuple(
        WireEvent(at=_int(e["at"]), code=_str(e["code"]), text=_str(e["text"]), city=_str(e.get("city", "")))
        for e in data["events"]
    )
    return WireTracking(number=_str(data["number"]), events=events)


def parse_rates(data: Any) -> list[WireRate]:
    """``{"rates": [{"service": str, "price": "7.50", "days": int}]}``."""
    return [
        WireRate(service=_str(r["service"]), price=Decimal(_str(r["price"])), days=_int(r["days"]))
        for r in data["rates"]
    ]


def parse_error(data: Any) -> tuple[str, str]:
    """``{"error": {"code": str, "message": str}}`` -> ``(code, message)``."""
    error = data["error"]
    return _str(error["code"]), _str(error["message"])
