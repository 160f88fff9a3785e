"""``FakeCarrier``: a tiny, complete carrier adapter with its fake API, for tests and docs.

It is not registered anywhere by itself: tests add it to a :class:`CarrierRegistry` (or use the
``carrier_registry`` fixture). It doubles as the smallest example of an adapter: settings with a
secret, every operation as a sans-I/O flow, a status table, ``recognize()`` and a stateful fake.
Numbers look like ``FK`` + 8 digits + an S10-style check digit (``FK123456785``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, ClassVar

import attrs
import httpx

from .._carrier import BatchOutcome, Carrier
from .._enums import Capability, Confidence, LabelFormat, TrackingStatus
from .._exceptions import CarrierError, TrackingNotFoundError
from .._flow import LABEL_MAX_BODY, Flow, RequestOptions, api_request
from .._identify import s10_check_digit
from .._models import (
    Address,
    AddressCheck,
    Cancellation,
    Identification,
    Label,
    Money,
    Rate,
    RateRequest,
    Shipment,
    ShipmentRequest,
    TrackingEvent,
    TrackingInfo,
)
from .._ratelimit import RateLimit
from .._settings import Secret
from ..fakes import FakeCarrierAPI, Handler, stable_random

__all__ = [
    "FAKE_BASE_URL",
    "FakeCarrier",
    "FakeCarrierAPIServer",
    "FakeCarrierSettings",
    "fake_number",
]

FAKE_BASE_URL = "https://api.fakecarrier.test"

_STATUS = {
    "CREATED": TrackingStatus.PRE_TRANSIT,
    "MOVING": TrackingStatus.IN_TRANSIT,
    "OUT": TrackingStatus.OUT_FOR_DELIVERY,
    "PICKUP": TrackingStatus.AVAILABLE_FOR_PICKUP,
    "DONE": TrackingStatus.DELIVERED,
    "FAILED": TrackingStatus.DELIVERY_FAILED,
    "RETURNED": TrackingStatus.RETURNED_TO_SENDER,
}


_BASE_PATH = ["CREATED", "MOVING"]
#: Event codes of the scenario numbers (the last code gives the documented status).
#: Services of the fake: name -> (price in USD, days). Rates quote them; labels cost the same.
_SERVICES: dict[str, tuple[Decimal, int]] = {"standard": (Decimal("7.50"), 5), "express": (Decimal("19.00"), 2)}

_SCENARIO_CODES: dict[str, list[str]] = {
    "pre_transit": ["CREATED"],
    "in_transit": [*_BASE_PATH, "MOVING"],
    "out_for_delivery": [*_BASE_PATH, "OUT"],
    "available_for_pickup": [*_BASE_PATH, "PICKUP"],
    "delivered": [*_BASE_PATH, "OUT", "DONE"],
    "delivery_failed": [*_BASE_PATH, "OUT", "FAILED"],
    "returned_to_sender": [*_BASE_PATH, "FAILED", "RETURNED"],
}


def fake_number(serial: int) -> str:
    """A valid FakeCarrier number for an 8-digit ``serial``."""
    digits = f"{serial:08d}"
    return f"FK{digits}{s10_check_digit(digits)}"


@attrs.frozen(kw_only=True)
class FakeCarrierSettings:
    """Settings of :class:`FakeCarrier`."""

    api_key_id: str
    api_key: Secret = attrs.field(converter=Secret.coerce, repr=False)  # type: ignore[misc]
    base_url: str = FAKE_BASE_URL


class FakeCarrier(Carrier):
    """A complete example carrier talking JSON to :class:`FakeCarrierAPIServer`."""

    code: ClassVar[str] = "fakecarrier"
    display_name: ClassVar[str] = "Fake Carrier"
    capabilities: ClassVar[frozenset[Capability]] = frozenset(Capability) - {
        Capability.CREATE_RETURN_LABEL,
        Capability.CREATE_MANIFEST,
        Capability.SCHEDULE_PICKUP,
        Capability.CANCEL_PICKUP,
        Capability.PICKUP_AVAILABILITY,
        Capability.FIND_LOCATIONS,
    }
    Settings: ClassVar[type[Any]] = FakeCarrierSettings
    fake: ClassVar[str | None] = "carrier_sdk.testing._fake_carrier:FakeCarrierAPIServer"
    supports_idempotency_key: ClassVar[bool] = True
    batch_size: ClassVar[int] = 5
    rate_limit: ClassVar[RateLimit | None] = None
    sensitive_headers: ClassVar[frozenset[str]] = frozenset({"x-fake-key"})

    @classmethod
    def recognize(cls, number: str) -> Identification | None:
        if (
            len(number) == 11
            and number.startswith("FK")
            and number[2:].isdigit()
            and s10_check_digit(number[2:10]) == int(number[10])
        ):
            return Identification(carrier=cls.code, confidence=Confidence.HIGH, reason="FK + 8 digits + check digit")
        return None

    @classmethod
    def accepts(cls, number: str) -> bool:
        # Its network carries nothing but its own check-digit numbers, so naming it adds none.
        return cls.recognize(number) is not None

    @classmethod
    def map_status(cls, code: str, text: str = "") -> TrackingStatus:
        return _STATUS.get(code, TrackingStatus.UNKNOWN)

    def _headers(self) -> dict[str, str]:
        key: Secret = self.settings.api_key
        return {"X-Fake-Key": key.get_secret_value()}

    def _url(self, path: str) -> str:
        base: str = self.settings.base_url
        return base.rstrip("/") + path

    def _check(
        self,
        response: httpx.Response,
        operation: str,
        *,
        not_found: type[Any] = TrackingNotFoundError,
    ) -> Any:
        if response.status_code >= 400:
            raise self.api_error(response, operation=operation, not_found=not_found)
        return self.parse_json(response, operation=operation)

    def error_details(self, response: httpx.Response) -> tuple[str | None, str | None]:
        try:
            error = self.parse_json(response)["error"]
            return str(error["code"]), str(error["message"])
        except (CarrierError, KeyError, TypeError):
            return None, None

    def _info(self, data: dict[str, Any], operation: str, response: httpx.Response) -> TrackingInfo:
        try:
            events = [
                TrackingEvent(
                    occurred_at=datetime.fromtimestamp(e["at"], UTC),
                    status=self.map_status(e["code"]),
                    description=e["text"],
                    carrier_status_code=e["code"],
                    carrier_status_text=e["text"],
                )
                for e in data["events"]
            ]
            return TrackingInfo(
                carrier=self.code,
                tracking_number=data["number"],
                status=TrackingInfo.status_of(events),
                events=events,
            )
        except (KeyError, TypeError, ValueError, OverflowError) as err:
            raise self.response_error(
                response, f"unexpected tracking payload ({type(err).__name__})", operation=operation
            ) from None

    def track(self, number: str) -> Flow[TrackingInfo]:
        response = yield api_request(
            "GET",
            self._url(f"/track/{number}"),
            headers=self._headers(),
            options=RequestOptions(operation="track"),
        )
        return self._info(self._check(response, "track"), "track", response)

    def track_batch(self, numbers: Sequence[str]) -> Flow[BatchOutcome]:
        response = yield api_request(
            "POST",
            self._url("/track"),
            headers=self._headers(),
            json={"numbers": list(numbers)},
            options=RequestOptions(operation="track_batch", idempotent=True),
        )
        data = self._check(response, "track_batch")
        out: dict[str, TrackingInfo | CarrierError] = {}
        for item in data.get("results", []):
            number = item.get("number")
            if item.get("found"):
                out[number] = self._info(item, "track_batch", response)
            else:
                out[number] = TrackingNotFoundError(
                    "unknown number", carrier=self.code, status_code=404, operation="track_batch"
                )
        return out

    def rates(self, request: RateRequest) -> Flow[list[Rate]]:
        weight = sum((p.weight_in(p.weight_unit.KG) for p in request.parcels), Decimal(0))
        response = yield api_request(
            "POST",
            self._url("/rates"),
            headers=self._headers(),
            json={"kg": str(weight)},
            options=RequestOptions(operation="rates"),
        )
        data = self._check(response, "rates", not_found=TrackingNotFoundError)
        return [
            Rate(
                carrier=self.code,
                service=r["service"],
                service_name=r["service"].title(),
                price=Money(amount=r["price"], currency="USD"),
                estimated_days=r["days"],
            )
            for r in data["rates"]
        ]

    def create_shipment(self, request: ShipmentRequest, *, idempotency_key: str) -> Flow[Shipment]:
        response = yield api_request(
            "POST",
            self._url("/labels"),
            headers={**self._headers(), "Idempotency-Key": idempotency_key},
            json={
                "to": request.recipient.name,
                "reference": request.reference,
                "service": request.service or "standard",
            },
            options=RequestOptions(
                operation="create_shipment",
                idempotent=False,
                purchase=True,
                idempotency_key=idempotency_key,
                reference=request.reference or None,
                max_body=LABEL_MAX_BODY,
            ),
        )
        data = self._check(response, "create_shipment")
        return Shipment(
            carrier=self.code,
            tracking_number=data["number"],
            label=Label(format=LabelFormat.PDF, data=data["label"].encode()),
            price=Money(amount=data["price"], currency="USD"),
            service=str(data.get("service") or ""),
            idempotency_key=idempotency_key,
        )

    def cancel_shipment(self, tracking_number: str) -> Flow[Cancellation]:
        response = yield api_request(
            "DELETE",
            self._url(f"/labels/{tracking_number}"),
            headers=self._headers(),
            options=RequestOptions(operation="cancel_shipment"),
        )
        data = self._check(response, "cancel_shipment")
        return Cancellation(
            carrier=self.code,
            tracking_number=tracking_number,
            cancelled=True,
            status=data["status"],
        )

    def validate_address(self, address: Address) -> Flow[AddressCheck]:
        response = yield api_request(
            "GET",
            self._url("/address"),
            params={"city": address.city},
            headers=self._headers(),
            options=RequestOptions(operation="validate_address"),
        )
        data = self._check(response, "validate_address")
        return AddressCheck(
            carrier=self.code,
            matched=bool(data["matched"]),
            address=address if data["matched"] else None,
        )


class FakeCarrierAPIServer(FakeCarrierAPI):
    """Stateful fake of the FakeCarrier JSON API (labels become trackable, cancels stick)."""

    carrier_code: ClassVar[str] = "fakecarrier"
    base_urls: ClassVar[tuple[str, ...]] = (FAKE_BASE_URL,)
    scenario_numbers: ClassVar[dict[str, str]] = {
        "delivered": fake_number(1),
        "in_transit": fake_number(2),
        "pre_transit": fake_number(3),
        "out_for_delivery": fake_number(4),
        "available_for_pickup": fake_number(5),
        "delivery_failed": fake_number(6),
        "returned_to_sender": fake_number(7),
        "unknown": fake_number(99999999),
        "fault_server_error": fake_number(99999001),
        "fault_timeout": fake_number(99999002),
        "fault_rate_limited": fake_number(99999003),
    }
    api_key = "fake-key"

    def reset_state(self) -> None:
        self.labels: dict[str, dict[str, Any]] = {}
        self.by_key: dict[str, str] = {}
        self.charges: list[tuple[str, Decimal]] = []
        self._serial = 10_000_000

    def settings(self, base_url: str | None = None) -> dict[str, object]:
        return {
            "api_key_id": "sandbox",
            "api_key": self.api_key,
            "base_url": base_url or FAKE_BASE_URL,
        }

    def route(self, request: httpx.Request) -> tuple[str, Handler]:
        path = request.url.path
        if request.headers.get("x-fake-key") != self.api_key:
            return "auth", lambda r: self.error_response(401, "bad key")
        if request.method == "GET" and path.startswith("/track/"):
            return "track", self._track
        if request.method == "POST" and path == "/track":
            return "track_batch", self._track_batch
        if request.method == "POST" and path == "/rates":
            return "rates", lambda r: httpx.Response(
                200,
                json={
                    "rates": [
                        {"service": name, "price": str(price), "days": days}
                        for name, (price, days) in _SERVICES.items()
                    ]
                },
            )
        if request.method == "POST" and path == "/labels":
            return "create_shipment", self._label
        if request.method == "DELETE" and path.startswith("/labels/"):
            return "cancel_shipment", self._cancel
        if request.method == "GET" and path == "/address":
            return "validate_address", lambda r: httpx.Response(
                200, json={"matched": r.url.params.get("city", "") != "Nowhere"}
            )
        raise LookupError(path)

    def _history(self, number: str) -> dict[str, Any] | None:
        if number == self.scenario_numbers["unknown"]:
            return None
        label = self.labels.get(number)
        rng = stable_random(self.seed, number)
        plan = self.planned(number)  # moved by Sandbox.advance
        if plan is not None and plan[1] in _SCENARIO_CODES:
            codes, start = _SCENARIO_CODES[plan[1]], plan[0]
        elif label is not None:
            codes = ["CREATED"] + (["RETURNED"] if label["cancelled"] else [])
            start = label["at"]
        else:
            codes = _SCENARIO_CODES.get(self._scenario_of(number) or "", [])
            if not codes:
                codes = ["CREATED", "MOVING", "MOVING", "OUT", "DONE"][: rng.randint(1, 5)]
            start = self.recent_start(rng.randint(0, 10_000_000) / 10_000_000)
        return {
            "number": number,
            "found": True,
            "events": [{"at": start + i * 3600, "code": c, "text": c.lower()} for i, c in enumerate(codes)],
        }

    def _scenario_of(self, number: str) -> str | None:
        for name, scenario in self.scenario_numbers.items():
            if scenario == number:
                return name
        return None

    def _track(self, request: httpx.Request) -> httpx.Response:
        number = request.url.path.rsplit("/", 1)[-1]
        scenario = self._scenario_of(number)
        if scenario == "fault_server_error":
            return self.error_response(500, "scenario: server error")
        if scenario == "fault_rate_limited":
            return self._rate_limited(1.0)
        if scenario == "fault_timeout":
            raise httpx.ReadTimeout("scenario: read timed out", request=request)
        history = self._history(number)
        if history is None:
            return self.error_response(404, "unknown number")
        return httpx.Response(200, json=history)

    def _track_batch(self, request: httpx.Request) -> httpx.Response:
        import json

        numbers = json.loads(request.content)["numbers"]
        return httpx.Response(
            200,
            json={"results": [self._history(n) or {"number": n, "found": False} for n in numbers]},
        )

    def _label(self, request: httpx.Request) -> httpx.Response:
        import json

        key = request.headers.get("idempotency-key", "")
        try:
            body = json.loads(request.content or b"{}")
        except ValueError:
            body = {}
        service = str(body.get("service") or "standard") if isinstance(body, dict) else "standard"
        if service not in _SERVICES:
            return self.error_response(400, f"unknown service {service!r}")
        if key and key in self.by_key:
            number = self.by_key[key]
            service = str(self.labels[number].get("service", "standard"))
        else:
            self._serial += 1
            number = fake_number(self._serial)
            self.labels[number] = {"cancelled": False, "at": int(self.clock()), "service": service}
            self.charges.append((number, _SERVICES[service][0]))
            if key:
                self.by_key[key] = number
        label = hashlib.sha256(number.encode()).hexdigest()
        return httpx.Response(
            201, json={"number": number, "label": label, "price": str(_SERVICES[service][0]), "service": service}
        )

    def _cancel(self, request: httpx.Request) -> httpx.Response:
        number = request.url.path.rsplit("/", 1)[-1]
        label = self.labels.get(number)
        if label is None:
            return self.error_response(404, "no such label")
        label["cancelled"] = True
        return httpx.Response(200, json={"status": "CANCELLED"})
