"""The Acme adapter: every operation a sans-I/O flow."""

from __future__ import annotations

import base64
from decimal import Decimal
from typing import Any, ClassVar

import httpx
from carrier_sdk import (
    LABEL_MAX_BODY,
    Cancellation,
    Capability,
    Carrier,
    CarrierError,
    Confidence,
    Flow,
    Identification,
    Label,
    LabelFormat,
    Money,
    Rate,
    RateLimit,
    RateRequest,
    RequestOptions,
    Shipment,
    ShipmentRequest,
    TrackingInfo,
    TrackingNotFoundError,
    TrackingStatus,
    WeightUnit,
    api_request,
    s10_check_digit,
)

from . import _mapping, _schemas
from ._settings import AcmeSettings

__all__ = ["AcmeCarrier"]


class AcmeCarrier(Carrier):
    """Acme: tracking, rates, labels and cancellation over a JSON API."""

    code: ClassVar[str] = "acme"
    display_name: ClassVar[str] = "Acme"
    capabilities: ClassVar[frozenset[Capability]] = frozenset(
        {Capability.TRACK, Capability.RATES, Capability.CREATE_SHIPMENT, Capability.CANCEL_SHIPMENT}
    )
    Settings: ClassVar[type[Any]] = AcmeSettings
    docs_url: ClassVar[str] = "https://github.com/your-org/carrier-sdk-acme"
    fake: ClassVar[str | None] = "carrier_sdk_acme.fake:AcmeFake"
    supports_idempotency_key: ClassVar[bool] = True
    rate_limit: ClassVar[RateLimit | None] = RateLimit.per_second(10)
    sensitive_headers: ClassVar[frozenset[str]] = frozenset({_schemas.API_KEY_HEADER.lower()})

    @classmethod
    def recognize(cls, number: str) -> Identification | None:
        prefix = _schemas.NUMBER_PREFIX
        serial = number[len(prefix) : len(prefix) + 8]
        if (
            len(number) == len(prefix) + 9
            and number.startswith(prefix)
            and number[len(prefix) :].isdigit()
            and s10_check_digit(serial) == int(number[-1])
        ):
            return Identification(carrier=cls.code, confidence=Confidence.HIGH, reason=f"{prefix} + 8 digits + check")
        return None

    @classmethod
    def map_status(cls, code: str, text: str = "") -> TrackingStatus:
        return _mapping.map_status(code, text)

    # -- plumbing -----------------------------------------------------------------------------

    def _url(self, path: str) -> str:
        base: str = self.settings.base_url
        return base.rstrip("/") + path

    def _headers(self) -> dict[str, str]:
        return {_schemas.API_KEY_HEADER: self.settings.api_key.get_secret_value()}

    def error_details(self, response: httpx.Response) -> tuple[str | None, str | None]:
        try:
            return _schemas.parse_error(self.parse_json(response))
        except (CarrierError, KeyError, TypeError, ValueError):
            return None, None

    def _json(self, response: httpx.Response, operation: str, *, not_found: type[Any] = TrackingNotFoundError) -> Any:
        if response.status_code >= 300:
            raise self.api_error(response, operation=operation, not_found=not_found)
        return self.parse_json(response, operation=operation)

    def _bad(self, response: httpx.Response, operation: str, err: Exception) -> CarrierError:
        return self.response_error(
            response, f"unexpected {operation} payload ({type(err).__name__})", operation=operation
        )

    # -- operations ---------------------------------------------------------------------------

    def track(self, number: str) -> Flow[TrackingInfo]:
        response = yield api_request(
            "GET",
            self._url(f"/v1/tracking/{number}"),
            headers=self._headers(),
            options=RequestOptions(operation="track"),
        )
        data = self._json(response, "track")
        try:
            return _mapping.to_tracking_info(self.code, _schemas.parse_tracking(data))
        except (KeyError, TypeError, ValueError, OverflowError) as err:
            raise self._bad(response, "track", err) from None

    def rates(self, request: RateRequest) -> Flow[list[Rate]]:
        grams = sum((p.weight_in(WeightUnit.G) for p in request.parcels), Decimal(0))
        response = yield api_request(
            "POST",
            self._url("/v1/rates"),
            headers=self._headers(),
            json={"from": request.shipper.country, "to": request.recipient.country, "grams": int(grams)},
            options=RequestOptions(operation="rates", idempotent=True),
        )
        data = self._json(response, "rates")
        try:
            return _mapping.to_rates(self.code, _schemas.parse_rates(data))
        except (KeyError, TypeError, ValueError, ArithmeticError) as err:
            raise self._bad(response, "rates", err) from None

    def create_shipment(self, request: ShipmentRequest, *, idempotency_key: str) -> Flow[Shipment]:
        grams = sum((p.weight_in(WeightUnit.G) for p in request.parcels), Decimal(0))
        response = yield api_request(
            "POST",
            self._url("/v1/labels"),
            headers={**self._headers(), "Idempotency-Key": idempotency_key},
            json={
                "service": request.service or "standard",
                "to": {"name": request.recipient.name, "country": request.recipient.country},
                "grams": int(grams),
                "reference": request.reference,
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
        data = self._json(response, "create_shipment")
        try:
            return Shipment(
                carrier=self.code,
                tracking_number=str(data["number"]),
                label=Label(format=LabelFormat.PDF, data=base64.b64decode(data["label"], validate=True)),
                price=Money(amount=data["price"], currency="USD"),
                service=str(data["service"]),
                idempotency_key=idempotency_key,
            )
        except (KeyError, TypeError, ValueError, ArithmeticError, CarrierError) as err:
            raise self._bad(response, "create_shipment", err) from None

    def cancel_shipment(self, tracking_number: str) -> Flow[Cancellation]:
        response = yield api_request(
            "DELETE",
            self._url(f"/v1/labels/{tracking_number}"),
            headers=self._headers(),
            options=RequestOptions(operation="cancel_shipment"),
        )
        data = self._json(response, "cancel_shipment")
        try:
            status = str(data["status"])
        except (KeyError, TypeError) as err:
            raise self._bad(response, "cancel_shipment", err) from None
        return Cancellation(
            carrier=self.code, tracking_number=tracking_number, cancelled=status == "VOID", status=status
        )
