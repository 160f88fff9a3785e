"""A stateful fake of the Acme API, for tests, the sandbox and benchmarks.

Not imported by the package: carrier-sdk imports it from ``AcmeCarrier.fake`` on demand.
"""

from __future__ import annotations

import base64
import json
from decimal import Decimal
from typing import Any, ClassVar

import httpx
from carrier_sdk import s10_check_digit
from carrier_sdk.fakes import FakeCarrierAPI, Handler, stable_random

from ._schemas import API_KEY_HEADER, NUMBER_PREFIX, PRODUCTION_URL

__all__ = ["AcmeFake", "number"]


def number(serial: int) -> str:
    """A valid Acme tracking number for an 8-digit ``serial``."""
    digits = f"{serial:08d}"
    return f"{NUMBER_PREFIX}{digits}{s10_check_digit(digits)}"


_PATHS: dict[str, list[str]] = {  # scenario name -> event codes (its number: position + 1)
    "delivered": ["CREATED", "ACCEPTED", "MOVING", "OUT", "DONE"],
    "in_transit": ["CREATED", "ACCEPTED", "MOVING"],
    "pre_transit": ["CREATED"],
    "out_for_delivery": ["CREATED", "ACCEPTED", "MOVING", "OUT"],
    "available_for_pickup": ["CREATED", "ACCEPTED", "MOVING", "PICKUP"],
    "delivery_failed": ["CREATED", "ACCEPTED", "MOVING", "OUT", "FAILED"],
    "returned_to_sender": ["CREATED", "ACCEPTED", "MOVING", "FAILED", "RETURNED"],
    "cancelled": ["CREATED", "VOID"],
}
_CITIES = ("Springfield", "Riverside", "Fairview", "Greenville", "Madison")


class AcmeFake(FakeCarrierAPI):
    """In-memory Acme API: labels bought here become trackable; cancels stick."""

    carrier_code: ClassVar[str] = "acme"
    base_urls: ClassVar[tuple[str, ...]] = (PRODUCTION_URL,)
    scenario_numbers: ClassVar[dict[str, str]] = {
        **{status: number(i + 1) for i, status in enumerate(_PATHS)},
        "unknown": number(99_999_999),
        "fault_server_error": number(99_999_001),
        "fault_timeout": number(99_999_002),
        "fault_rate_limited": number(99_999_003),
    }
    api_key_id = "sandbox"
    api_key = "acme-sandbox-key"

    def reset_state(self) -> None:
        self.labels: dict[str, dict[str, Any]] = {}
        self.by_key: dict[str, str] = {}
        self.charges: list[tuple[str, Decimal]] = []
        self._serial = 50_000_000

    def settings(self, base_url: str | None = None) -> dict[str, object]:
        return {"api_key_id": self.api_key_id, "api_key": self.api_key, "base_url": base_url or PRODUCTION_URL}

    def error_response(self, status: int, message: str) -> httpx.Response:
        return httpx.Response(status, json={"error": {"code": f"E{status}", "message": message}})

    def route(self, request: httpx.Request) -> tuple[str, Handler]:
        path, method = request.url.path, request.method
        if request.headers.get(API_KEY_HEADER) != self.api_key:
            return "auth", lambda r: self.error_response(401, "invalid API key")
        if method == "GET" and path.startswith("/v1/tracking/"):
            return "track", self._track
        if method == "POST" and path == "/v1/rates":
            return "rates", self._rates
        if method == "POST" and path == "/v1/labels":
            return "create_shipment", self._create
        if method == "DELETE" and path.startswith("/v1/labels/"):
            return "cancel_shipment", self._cancel
        raise LookupError(path)

    # -- tracking -----------------------------------------------------------------------------

    def _scenario(self, tracking_number: str) -> str | None:
        for name, scenario_number in self.scenario_numbers.items():
            if scenario_number == tracking_number:
                return name
        return None

    def history(self, tracking_number: str) -> dict[str, Any] | None:
        """The deterministic history of ``tracking_number`` (``None``: unknown)."""
        rng = stable_random(self.seed, tracking_number)
        label = self.labels.get(tracking_number)
        plan = self.planned(tracking_number)  # moved by Sandbox.advance (or handed over by another carrier)
        if plan is not None and plan[1] in _PATHS:
            codes, start = _PATHS[plan[1]], int(plan[0])
        elif label is not None:
            codes, start = (["CREATED", "VOID"] if label["cancelled"] else ["CREATED"]), label["at"]
        else:
            scenario = self._scenario(tracking_number)
            if scenario == "unknown":
                return None
            codes = _PATHS.get(scenario or "") or _PATHS["delivered"][: rng.randint(1, 5)]
            start = 1_700_000_000 + rng.randint(0, 20_000_000)
        events = []
        at = start
        for code in codes:
            events.append({"at": at, "code": code, "text": code.title(), "city": rng.choice(_CITIES)})
            at += 3600 * rng.randint(2, 30)  # strictly increasing: the last event gives the status
        return {"number": tracking_number, "events": events}

    def _track(self, request: httpx.Request) -> httpx.Response:
        tracking_number = request.url.path.rsplit("/", 1)[-1]
        scenario = self._scenario(tracking_number)
        if scenario == "fault_server_error":
            return self.error_response(500, "scenario: internal error")
        if scenario == "fault_rate_limited":
            return self._rate_limited(1.0)
        if scenario == "fault_timeout":
            raise httpx.ReadTimeout("scenario: read timed out", request=request)
        history = self.history(tracking_number)
        if history is None:
            return self.error_response(404, "tracking number not found")
        return httpx.Response(200, json=history)

    # -- rates and labels ---------------------------------------------------------------------

    @staticmethod
    def _price(grams: int, service: str) -> Decimal:
        base = Decimal("4.50") + Decimal(grams) / 1000 * Decimal("1.20")
        return (base * (Decimal(3) if service == "express" else Decimal(1))).quantize(Decimal("0.01"))

    def _rates(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        grams = int(body["grams"])
        rates = [
            {"service": "standard", "price": str(self._price(grams, "standard")), "days": 5},
            {"service": "express", "price": str(self._price(grams, "express")), "days": 2},
        ]
        return httpx.Response(200, json={"rates": rates})

    def _create(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        key = request.headers.get("idempotency-key", "")
        if key and key in self.by_key:
            tracking_number = self.by_key[key]
        else:
            self._serial += 1
            tracking_number = number(self._serial)
            price = self._price(int(body["grams"]), body["service"])
            self.labels[tracking_number] = {"cancelled": False, "at": int(self.clock()), "price": price}
            self.charges.append((tracking_number, price))
            if key:
                self.by_key[key] = tracking_number
        label = self.labels[tracking_number]
        pdf = b"%PDF-1.4 fake label " + tracking_number.encode()
        return httpx.Response(
            201,
            json={
                "number": tracking_number,
                "label": base64.b64encode(pdf).decode(),
                "price": str(label["price"]),
                "service": body["service"],
            },
        )

    def _cancel(self, request: httpx.Request) -> httpx.Response:
        tracking_number = request.url.path.rsplit("/", 1)[-1]
        label = self.labels.get(tracking_number)
        if label is None:
            return self.error_response(404, "no such label")
        label["cancelled"] = True
        return httpx.Response(200, json={"status": "VOID"})
