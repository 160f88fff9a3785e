"""``SingPostFake``: an in-memory SingPost tracking service speaking the real XML.

Histories are deterministic per number (``stable_random(seed, number)``), timestamps mix the
formats SingPost uses (zone-less local time, milliseconds, explicit offsets), events are listed
newest first, and ``-`` stands for empty fields. Scenario numbers (valid S10 ``…SG`` ids) give
fixed outcomes; see :attr:`SingPostFake.scenario_numbers`.

The fake's own ``ErrorCode`` values (``FAKE_ERROR_*``) are invented: SingPost documents none.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import deque
from datetime import datetime, timedelta, timezone
from typing import Any, ClassVar

import defusedxml
import defusedxml.ElementTree as SafeET
import httpx

from carrier_sdk.adapters import is_valid_s10, local_name, s10_check_digit
from carrier_sdk.fakes import FakeCarrierAPI, Handler, stable_random

from ._wire import (
    AUTH_HEADER,
    BATCH_SIZE,
    EMPTY_VALUE,
    LEGACY_URL,
    NAMESPACE,
    PRODUCTION_URL,
    RATE_LIMIT_MARKER,
    REQUEST_ROOT,
    RESPONSE_ROOT,
    SANDBOX_URL,
    SMARTPAC_PATTERN,
    SUCCESS_CODE,
)

__all__ = ["FAKE_API_KEY", "SingPostFake", "sg_number"]

FAKE_API_KEY = "fake-singpost-key"
FAKE_SYSTEM_ID = "CARRIERSDK"
#: Invented error codes of the fake (the real vocabulary is unknown).
FAKE_ERROR_INVALID_REQUEST = "1"
FAKE_ERROR_SYSTEM = "99"
FAKE_ERROR_AUTH = "401"


def sg_number(prefix: str, serial: int, country: str = "SG") -> str:
    """A valid S10 id: ``prefix`` + 8-digit ``serial`` + check digit + ``country``."""
    digits = f"{serial:08d}"
    return f"{prefix}{digits}{s10_check_digit(digits)}{country}"


# (StatusCode, StatusDescription, Location). Codes other than IR/AC/RS are the fake's own.
_INFO = ("IR", "Information received", EMPTY_VALUE)
_POSTED = ("AC", "Item posted over the counter", "Toa Payoh Central Post Office")
_PROCESSED = ("HQ", "Item processed at Singapore Post Centre", "Singapore Post Centre")
_DISPATCHED = ("DF", "Item despatched to overseas destination", "Singapore Post Centre")
_ARRIVED = ("AL", "Item arrived at destination country", EMPTY_VALUE)
_OUT = ("OD", "Item is out for delivery", "Delivery Base")
_DELIVERED = ("DL", "Item delivered", EMPTY_VALUE)
_PICKUP = ("CP", "Item is ready for collection at POPStation", "POPStation Bishan")
_FAILED = ("UD", "Delivery unsuccessful - addressee not available", EMPTY_VALUE)
_RETURNED = ("RS", "Item returned to sender", "Singapore Post Centre")
_UNMAPPED = ("ZZ", "Item status updated", EMPTY_VALUE)
_HELD = ("HC", "Item held by customs - pending clearance", "Singapore Post Centre")

_PATHS: dict[str, list[tuple[str, str, str]]] = {
    "pre_transit": [_INFO],
    "in_transit": [_INFO, _POSTED, _PROCESSED, _DISPATCHED, _ARRIVED],
    # Each later status extends the in-transit path, so a parcel moved along keeps its events.
    "out_for_delivery": [_INFO, _POSTED, _PROCESSED, _DISPATCHED, _ARRIVED, _OUT],
    "available_for_pickup": [_INFO, _POSTED, _PROCESSED, _DISPATCHED, _ARRIVED, _OUT, _FAILED, _PICKUP],
    "delivered": [_INFO, _POSTED, _PROCESSED, _DISPATCHED, _ARRIVED, _OUT, _DELIVERED],
    "delivery_failed": [_INFO, _POSTED, _PROCESSED, _DISPATCHED, _ARRIVED, _OUT, _FAILED],
    "returned_to_sender": [_INFO, _POSTED, _PROCESSED, _DISPATCHED, _ARRIVED, _OUT, _FAILED, _RETURNED],
    "held": [_INFO, _POSTED, _PROCESSED, _DISPATCHED, _ARRIVED, _HELD],
    "unmapped": [_INFO, _POSTED, _UNMAPPED],
}


class SingPostFake(FakeCarrierAPI):
    """Stateful fake of the SingPost tracking endpoint (APIM, legacy ESB and sandbox URLs).

    Checks the ``Authorization`` header (a wrong key gets 401), validates the request XML
    (namespace, root, ``SystemID``, 1..:data:`BATCH_SIZE` numbers) and answers each number with
    its history, or ``TrackingNumberFound=false``. ``histories`` lets tests pin a number's events.
    """

    carrier_code: ClassVar[str] = "singpost"
    base_urls: ClassVar[tuple[str, ...]] = (PRODUCTION_URL, LEGACY_URL, SANDBOX_URL)
    scenario_numbers: ClassVar[dict[str, str]] = {
        "pre_transit": sg_number("RR", 10000001),
        "in_transit": sg_number("RR", 10000002),
        "out_for_delivery": sg_number("RR", 10000003),
        "available_for_pickup": sg_number("RR", 10000004),
        "delivered": sg_number("RR", 10000005),
        "delivery_failed": sg_number("RR", 10000006),
        "returned_to_sender": sg_number("RR", 10000007),
        "held": sg_number("RR", 10000009),
        "unknown": sg_number("RR", 99999990),
        "fault_error_code": sg_number("EZ", 90000001),
        "fault_rate_limit_text": sg_number("EZ", 90000002),
        "fault_server_error": sg_number("EZ", 90000003),
        "fault_timeout": sg_number("EZ", 90000004),
        "fault_rate_limited": sg_number("EZ", 90000005),
    }
    #: Further documented numbers (not scenario keys): ``unmapped`` ends with a status code no
    #: table knows, so the parcel status is ``unknown``.
    extra_numbers: ClassVar[dict[str, str]] = {"unmapped": sg_number("RR", 10000008)}
    api_key = FAKE_API_KEY

    def reset_state(self) -> None:
        #: number -> events (code, description, location, date text), oldest first.
        self.histories: dict[str, list[tuple[str, str, str, str]]] = {}
        #: numbers asked for, in request order.
        self.tracked: deque[str] = deque(maxlen=1_000)  # bounded: bulk runs must not grow it

    def settings(self, base_url: str | None = None) -> dict[str, Any]:
        return {"api_key": self.api_key, "base_url": base_url or PRODUCTION_URL, "system_id": FAKE_SYSTEM_ID}

    # -- wire helpers --------------------------------------------------------------------------

    @staticmethod
    def _xml(status_code: str, description: str, items: list[ET.Element] | None = None) -> bytes:
        ns = NAMESPACE
        root = ET.Element(f"{{{ns}}}{RESPONSE_ROOT}")
        status = ET.SubElement(root, f"{{{ns}}}Status")
        ET.SubElement(status, f"{{{ns}}}ErrorCode").text = status_code
        ET.SubElement(status, f"{{{ns}}}ErrorDesc").text = description
        item_list = ET.SubElement(root, f"{{{ns}}}ItemsTrackingDetailList")
        item_list.extend(items or [])
        document: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True, default_namespace=ns)
        return document

    def _xml_response(
        self, status: int, code: str, description: str, items: list[ET.Element] | None = None
    ) -> httpx.Response:
        return httpx.Response(
            status,
            content=self._xml(code, description, items),
            headers={"content-type": "application/xml; charset=utf-8"},
        )

    def error_response(self, status: int, message: str) -> httpx.Response:
        if status == 429:
            return httpx.Response(429, text=RATE_LIMIT_MARKER, headers={"content-type": "text/plain"})
        code = FAKE_ERROR_AUTH if status in (401, 403) else str(status)
        return self._xml_response(status, code, message)

    def malformed_response(self) -> httpx.Response:
        return httpx.Response(
            200,
            content=b"<!DOCTYPE html><html><body><h1>Service Unavailable</h1></body></html>",
            headers={"content-type": "text/html"},
        )

    # -- routing -------------------------------------------------------------------------------

    def route(self, request: httpx.Request) -> tuple[str, Handler]:
        url = str(request.url.copy_with(query=None))
        if request.method != "POST" or url.rstrip("/") not in {u.rstrip("/") for u in self.base_urls}:
            raise LookupError(url)
        if request.headers.get(AUTH_HEADER) != self.api_key:
            return "auth", lambda r: self.error_response(401, "Unauthorized: invalid API key")
        return "track", self._track

    def _parse_request(self, request: httpx.Request) -> list[str] | httpx.Response:
        def invalid(message: str) -> httpx.Response:
            return self._xml_response(200, FAKE_ERROR_INVALID_REQUEST, message)

        try:
            root = SafeET.fromstring(request.content, forbid_dtd=True)
        except (SafeET.ParseError, defusedxml.DefusedXmlException):
            return invalid("Invalid request XML")
        if root.tag != f"{{{NAMESPACE}}}{REQUEST_ROOT}":
            return invalid("Invalid request root")
        system_id = [el.text for el in root if local_name(el.tag) == "SystemID"]
        if not system_id or not (system_id[0] or "").strip():
            return invalid("SystemID is required")
        numbers = [
            (el.text or "").strip()
            for parent in root
            if local_name(parent.tag) == "ItemTrackingNumbers"
            for el in parent
            if local_name(el.tag) == "TrackingNumber"
        ]
        if not numbers:
            return invalid("TrackingNumber is required")
        if len(numbers) > BATCH_SIZE:
            return invalid(f"Too many tracking numbers (max {BATCH_SIZE})")
        return numbers

    def _track(self, request: httpx.Request) -> httpx.Response:
        parsed = self._parse_request(request)
        if isinstance(parsed, httpx.Response):
            return parsed
        self.tracked.extend(parsed)
        scenarios = self.scenario_numbers
        asked = set(parsed)
        if scenarios["fault_timeout"] in asked:
            raise httpx.ReadTimeout("fake: SingPost did not answer", request=request)
        if scenarios["fault_server_error"] in asked:
            return self.error_response(503, "Service temporarily unavailable")
        if scenarios["fault_rate_limited"] in asked:
            response = self.error_response(429, RATE_LIMIT_MARKER)
            response.headers["Retry-After"] = "1"
            return response
        if scenarios["fault_rate_limit_text"] in asked:
            return httpx.Response(200, text=RATE_LIMIT_MARKER, headers={"content-type": "text/plain"})
        if scenarios["fault_error_code"] in asked:
            return self._xml_response(200, FAKE_ERROR_SYSTEM, "System error, please try again later")
        items = [self._item(number) for number in parsed]
        return self._xml_response(200, SUCCESS_CODE, "Success", items)

    # -- histories -----------------------------------------------------------------------------

    def history(self, number: str) -> list[tuple[str, str, str, str]] | None:
        """The events of ``number`` oldest first (code, description, location, date), or None."""
        if number in self.histories:
            return self.histories[number]
        if number == self.scenario_numbers["unknown"]:
            return None
        if not (is_valid_s10(number) or SMARTPAC_PATTERN.match(number)):
            return None
        rng = stable_random(self.seed, number)
        named = {**self.scenario_numbers, **self.extra_numbers}
        path_name = next((name for name, n in named.items() if n == number), None)
        if path_name not in _PATHS:
            path_name = rng.choice(sorted(set(_PATHS) - {"unmapped"}))
        start = datetime.fromtimestamp(
            self.recent_start(rng.randint(0, 300 * 24 * 60) / (300 * 24 * 60)), timezone(timedelta(hours=8))
        ).replace(tzinfo=None)
        handover = self.planned(number)  # advanced in the sandbox, or handed over by another carrier
        if handover is not None and handover[1] in _PATHS:
            path_name = handover[1]
            # local Singapore wall time of the handover, less the first step's delay
            start = datetime.fromtimestamp(handover[0], timezone(timedelta(hours=8))).replace(tzinfo=None)
        events: list[tuple[str, str, str, str]] = []
        at = start
        for code, text, location in _PATHS[path_name]:
            at += timedelta(minutes=rng.randint(45, 36 * 60), seconds=rng.randint(0, 59))
            stamp = at.strftime("%Y-%m-%dT%H:%M:%S")
            style = rng.randint(0, 5)
            if style == 4:
                stamp += f".{rng.randint(0, 999):03d}"
            elif style == 5:
                stamp += "+08:00"
            events.append((code, text, location, stamp))
        return events

    def _item(self, number: str) -> ET.Element:
        ns = NAMESPACE

        def sub(parent: ET.Element, name: str, text: str) -> ET.Element:
            element = ET.SubElement(parent, f"{{{ns}}}{name}")
            element.text = text
            return element

        item = ET.Element(f"{{{ns}}}ItemTrackingDetail")
        sub(item, "TrackingNumber", number)
        events = self.history(number)
        sub(item, "TrackingNumberFound", "false" if events is None else "true")
        if events is None:
            sub(item, "TrackingNumberActive", "false")
            return item
        sub(item, "TrackingNumberActive", "true")
        sub(item, "OriginalCountry", "Singapore")
        sub(item, "DestinationCountry", "Singapore" if number.endswith("SG") else "Malaysia")
        sub(item, "PostingDate", events[0][3][:10] if events else EMPTY_VALUE)
        details = ET.SubElement(item, f"{{{ns}}}DeliveryStatusDetails")
        for code, text, location, stamp in reversed(events):  # newest first, like SingPost
            detail = ET.SubElement(details, f"{{{ns}}}DeliveryStatusDetail")
            sub(detail, "Date", stamp)
            sub(detail, "StatusCode", code)
            sub(detail, "ReasonCode", EMPTY_VALUE)
            sub(detail, "StatusDescription", text)
            sub(detail, "Location", location)
        return item
