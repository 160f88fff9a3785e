"""The Acme wire format, model-free: endpoints, header, number syntax, parsers and bodies.

Parsers take decoded JSON and return plain typed dicts; on a payload of the wrong shape they
raise ``KeyError``, ``TypeError`` or ``ValueError``, which the carrier's parsing guard turns into
:class:`carrier_sdk.ResponseError`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, TypedDict

__all__ = [
    "ADDRESS_PATH",
    "API_KEY_HEADER",
    "BASE_URL",
    "LABELS_PATH",
    "NUMBER_PREFIX",
    "RATES_PATH",
    "TRACK_PATH",
    "WireEvent",
    "WireLabel",
    "WireRate",
    "WireTracking",
    "label_body",
    "label_path",
    "parse_address",
    "parse_batch",
    "parse_cancel",
    "parse_error",
    "parse_label",
    "parse_rates",
    "parse_tracking",
    "rates_body",
    "track_path",
]

#: The API root.
BASE_URL = "https://api.acme.example"
#: Header carrying the API key (declared in ``sensitive_headers``).
API_KEY_HEADER = "X-Acme-Key"
#: Tracking numbers: this prefix, 8 digits and an S10 check digit.
NUMBER_PREFIX = "AC"
#: ``GET`` one number (``track_path``); ``POST`` ``{"numbers": [...]}`` for several.
TRACK_PATH = "/track"
#: ``POST`` ``{"kg": "1.5"}``: the quotes.
RATES_PATH = "/rates"
#: ``POST`` a label (``label_body``); ``DELETE`` one (``label_path``).
LABELS_PATH = "/labels"
#: ``GET`` ``?city=...``: whether the address is served.
ADDRESS_PATH = "/address"


class WireEvent(TypedDict):
    at: int
    code: str
    text: str
    city: str


class WireTracking(TypedDict):
    number: str
    events: list[WireEvent]


class WireRate(TypedDict):
    service: str
    price: Decimal
    days: int


class WireLabel(TypedDict):
    number: str
    label: str
    price: Decimal
    service: str


def track_path(number: str) -> str:
    """The path of one number's history."""
    return f"{TRACK_PATH}/{number}"


def label_path(number: str) -> str:
    """The path of one bought label."""
    return f"{LABELS_PATH}/{number}"


def rates_body(kg: Decimal) -> dict[str, str]:
    """``{"kg": "1.5"}``: the total weight of the parcels."""
    return {"kg": str(kg)}


def label_body(*, service: str, recipient: str, reference: str) -> dict[str, str]:
    """``{"service": ..., "to": ..., "reference": ...}``."""
    return {"service": service, "to": recipient, "reference": reference}


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
    events: list[WireEvent] = [
        {"at": _int(e["at"]), "code": _str(e["code"]), "text": _str(e["text"]), "city": _str(e.get("city", ""))}
        for e in data["events"]
    ]
    return {"number": _str(data["number"]), "events": events}


def parse_batch(data: Any) -> list[tuple[str, WireTracking | None]]:
    """``{"results": [tracking + {"found": true} | {"number": str, "found": false}]}``."""
    return [(_str(item["number"]), parse_tracking(item) if item["found"] is True else None) for item in data["results"]]


def parse_rates(data: Any) -> list[WireRate]:
    """``{"rates": [{"service": str, "price": "7.50", "days": int}]}``."""
    return [
        {"service": _str(r["service"]), "price": Decimal(_str(r["price"])), "days": _int(r["days"])}
        for r in data["rates"]
    ]


def parse_label(data: Any) -> WireLabel:
    """``{"number": str, "label": base64 PDF, "price": "7.50", "service": str}``."""
    return {
        "number": _str(data["number"]),
        "label": _str(data["label"]),
        "price": Decimal(_str(data["price"])),
        "service": _str(data["service"]),
    }


def parse_cancel(data: Any) -> str:
    """``{"status": "VOID"}`` -> the carrier's status word."""
    return _str(data["status"])


def parse_address(data: Any) -> bool:
    """``{"matched": bool}``."""
    matched = data["matched"]
    if not isinstance(matched, bool):
        raise TypeError("expected a boolean")
    return matched


def parse_error(data: Any) -> tuple[str, str]:
    """``{"error": {"code": str, "message": str}}`` -> ``(code, message)``."""
    error = data["error"]
    return _str(error["code"]), _str(error["message"])
