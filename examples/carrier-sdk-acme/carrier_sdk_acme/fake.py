"""A stateful fake of the Acme API, for tests, the sandbox and benchmarks.

Not imported by the package: carrier-sdk imports it from ``AcmeCarrier.fake`` on demand.
Labels bought here become trackable, cancels stick, and every operation counts its charges.
"""

from __future__ import annotations

import base64
import json
from decimal import Decimal
from typing import Any, ClassVar

import httpx
from carrier_sdk.adapters import s10_check_digit
from carrier_sdk.fakes import FakeCarrierAPI, Handler, stable_random

from . import _wire

__all__ = ["AcmeFake", "number"]


def number(serial: int) -> str:
    """A valid Acme tracking number for an 8-digit ``serial``."""
    digits = f"{serial:08d}"
    return f"{_wire.NUMBER_PREFIX}{digits}{s10_check_digit(digits)}"


#: Services: name -> (price in USD, days). Rates quote them; labels cost the same.
SERVICES: dict[str, tuple[Decimal, int]] = {"standard": (Decimal("7.50"), 5), "express": (Decimal("19.00"), 2)}
#: Event codes of the scenario numbers (the last code gives the documented status).
PATHS: dict[str, list[str]] = {
    "delivered": ["CREATED", "MOVING", "OUT", "DONE"],
    "in_transit": ["CREATED", "MOVING", "MOVING"],
    "pre_transit": ["CREATED"],
    "out_for_delivery": ["CREATED", "MOVING", "OUT"],
    "available_for_pickup": ["CREATED", "MOVING", "PICKUP"],
    "delivery_failed": ["CREATED", "MOVING", "OUT", "FAILED"],
    "returned_to_sender": ["CREATED", "MOVING", "FAILED", "RETURNED"],
    "cancelled": ["CREATED", "VOID"],
}
_CITIES = ("Springfield", "Riverside", "Fairview", "Greenville", "Madison")


class AcmeFake(FakeCarrierAPI):
    """In-memory Acme API: labels bought here become trackable; cancels stick."""

    carrier_code: ClassVar[str] = "acme"
    base_urls: ClassVar[tuple[str, ...]] = (_wire.BASE_URL,)
    scenario_numbers: ClassVar[dict[str, str]] = {
        **{status: number(i + 1) for i, status in enumerate(PATHS)},
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
        self._serial = 10_000_000

    def settings(self, base_url: str | None = None) -> dict[str, object]:
        return {"api_key_id": self.api_key_id, "api_key": self.api_key, "base_url": base_url or _wire.BASE_URL}

    def error_response(self, status: int, message: str) -> httpx.Response:
        return httpx.Response(status, json={"error": {"code": f"E{status}", "message": message}})

    def route(self, request: httpx.Request) -> tuple[str, Handler]:
        path, method = request.url.path, request.method
        if request.headers.get(_wire.API_KEY_HEADER) != self.api_key:
            return "auth", lambda r: self.error_response(401, "invalid API key")
        if method == "GET" and path.startswith(_wire.TRACK_PATH + "/"):
            return "track", self._track
        if method == "POST" and path == _wire.TRACK_PATH:
            return "track_batch", self._track_batch
        if method == "POST" and path == _wire.RATES_PATH:
            return "rates", self._rates
        if method == "POST" and path == _wire.LABELS_PATH:
            return "create_shipment", self._create
        if method == "DELETE" and path.startswith(_wire.LABELS_PATH + "/"):
            return "cancel_shipment", self._cancel
        if method == "GET" and path == _wire.ADDRESS_PATH:
            return "validate_address", self._address
        raise LookupError(path)

    # -- tracking -----------------------------------------------------------------------------

    def _scenario(self, tracking_number: str) -> str | None:
        for name, scenario_number in self.scenario_numbers.items():
            if scenario_number == tracking_number:
                return name
        return None

    def _history(self, tracking_number: str) -> dict[str, Any] | None:
        """The deterministic history of ``tracking_number`` (``None``: unknown)."""
        if tracking_number == self.scenario_numbers["unknown"]:
            return None
        rng = stable_random(self.seed, tracking_number)
        label = self.labels.get(tracking_number)
        plan = self.planned(tracking_number)  # moved by Sandbox.advance (or handed over by another carrier)
        if plan is not None and plan[1] in PATHS:
            codes, start = PATHS[plan[1]], int(plan[0])
        elif label is not None:
            codes, start = (["CREATED", "VOID"] if label["cancelled"] else ["CREATED"]), int(label["at"])
        else:
            codes = PATHS.get(self._scenario(tracking_number) or "", [])
            if not codes:
                codes = ["CREATED", "MOVING", "MOVING", "OUT", "DONE"][: rng.randint(1, 5)]
            start = int(self.recent_start(rng.randint(0, 10_000_000) / 10_000_000))
        events = [
            {"at": start + i * 3600, "code": code, "text": code.lower(), "city": _CITIES[i % len(_CITIES)]}
            for i, code in enumerate(codes)
        ]
        return {"number": tracking_number, "found": True, "events": events}

    def _track(self, request: httpx.Request) -> httpx.Response:
        tracking_number = request.url.path.rsplit("/", 1)[-1]
        scenario = self._scenario(tracking_number)
        if scenario == "fault_server_error":
            return self.error_response(500, "scenario: internal error")
        if scenario == "fault_rate_limited":
            return self._rate_limited(1.0)
        if scenario == "fault_timeout":
            raise httpx.ReadTimeout("scenario: read timed out", request=request)
        history = self._history(tracking_number)
        if history is None:
            return self.error_response(404, "unknown number")
        return httpx.Response(200, json=history)

    def _track_batch(self, request: httpx.Request) -> httpx.Response:
        numbers = json.loads(request.content)["numbers"]
        results = [self._history(n) or {"number": n, "found": False} for n in numbers]
        return httpx.Response(200, json={"results": results})

    # -- rates, labels, addresses ------------------------------------------------------------

    def _rates(self, request: httpx.Request) -> httpx.Response:
        rates = [{"service": name, "price": str(price), "days": days} for name, (price, days) in SERVICES.items()]
        return httpx.Response(200, json={"rates": rates})

    def _create(self, request: httpx.Request) -> httpx.Response:
        try:
            body = json.loads(request.content or b"{}")
        except ValueError:
            body = {}
        service = str(body.get("service") or "standard") if isinstance(body, dict) else "standard"
        if service not in SERVICES:
            return self.error_response(400, f"unknown service {service!r}")
        key = request.headers.get("idempotency-key", "")
        if key and key in self.by_key:  # the same purchase again: the same label, no second charge
            tracking_number = self.by_key[key]
            service = str(self.labels[tracking_number]["service"])
        else:
            self._serial += 1
            tracking_number = number(self._serial)
            self.labels[tracking_number] = {"cancelled": False, "at": int(self.clock()), "service": service}
            self.charges.append((tracking_number, SERVICES[service][0]))
            if key:
                self.by_key[key] = tracking_number
        pdf = b"%PDF-1.4 fake label " + tracking_number.encode()
        label = {"number": tracking_number, "label": base64.b64encode(pdf).decode(), "service": service}
        return httpx.Response(201, json={**label, "price": str(SERVICES[service][0])})

    def _cancel(self, request: httpx.Request) -> httpx.Response:
        label = self.labels.get(request.url.path.rsplit("/", 1)[-1])
        if label is None:
            return self.error_response(404, "no such label")
        label["cancelled"] = True
        return httpx.Response(200, json={"status": "VOID"})

    def _address(self, request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"matched": request.url.params.get("city", "") != "Nowhere"})
