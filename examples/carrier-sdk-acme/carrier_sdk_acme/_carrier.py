"""The Acme adapter: every operation a sans-I/O flow."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import httpx
from carrier_sdk import (
    Address,
    AddressCheck,
    Cancellation,
    Capability,
    CarrierError,
    Confidence,
    Identification,
    Rate,
    RateRequest,
    Shipment,
    ShipmentRequest,
    TrackingInfo,
    TrackingNotFoundError,
    TrackingStatus,
)
from carrier_sdk.adapters import (
    LABEL_MAX_BODY,
    BatchOutcome,
    Carrier,
    Flow,
    RequestOptions,
    api_request,
    s10_check_digit,
)

from . import _mapping, _wire
from ._settings import AcmeSettings

__all__ = ["AcmeCarrier"]


class AcmeCarrier(Carrier):
    """Acme: tracking (one or a batch), rates, labels, cancels, address checks."""

    code: ClassVar[str] = "acme"
    display_name: ClassVar[str] = "Acme"
    capabilities: ClassVar[frozenset[Capability]] = frozenset(
        {
            Capability.TRACK,
            Capability.TRACK_BATCH,
            Capability.RATES,
            Capability.CREATE_SHIPMENT,
            Capability.CANCEL_SHIPMENT,
            Capability.VALIDATE_ADDRESS,
        }
    )
    Settings: ClassVar[type[Any]] = AcmeSettings
    docs_url: ClassVar[str] = "https://github.com/your-org/carrier-sdk-acme"
    fake: ClassVar[str | None] = "carrier_sdk_acme.fake:AcmeFake"
    supports_idempotency_key: ClassVar[bool] = True
    batch_size: ClassVar[int] = 5
    sensitive_headers: ClassVar[frozenset[str]] = frozenset({_wire.API_KEY_HEADER.lower()})

    @classmethod
    def recognize(cls, number: str) -> Identification | None:
        prefix, digits = _wire.NUMBER_PREFIX, number[len(_wire.NUMBER_PREFIX) :]
        valid = number.startswith(prefix) and len(digits) == 9 and digits.isascii() and digits.isdigit()
        if not valid or s10_check_digit(digits[:8]) != int(digits[8]):
            return None
        return cls.claim(Confidence.HIGH, f"{prefix} + 8 digits + check")

    @classmethod
    def accepts(cls, number: str) -> bool:
        # The network carries nothing but its own numbers, so naming the carrier adds none.
        return cls.recognize(number) is not None

    @classmethod
    def map_status(cls, code: str, text: str = "") -> TrackingStatus:
        return _mapping.map_status(code, text)

    # -- plumbing -----------------------------------------------------------------------------

    def _url(self, path: str) -> str:
        base: str = self.settings.base_url
        return base.rstrip("/") + path

    def _headers(self) -> dict[str, str]:
        return {_wire.API_KEY_HEADER: self.settings.api_key.get_secret_value()}

    def error_details(self, response: httpx.Response) -> tuple[str | None, str | None]:
        try:
            with self.parsing(response, operation="error"):
                return _wire.parse_error(self.parse_json(response))
        except CarrierError:  # not JSON, or JSON of another shape
            return None, None

    def _send(
        self, method: str, path: str, options: RequestOptions, *, headers: dict[str, str] | None = None, **kwargs: Any
    ) -> Flow[httpx.Response]:
        """One request with the API key; the response of a success, the typed error of anything else."""
        response = yield api_request(
            method, self._url(path), headers={**self._headers(), **(headers or {})}, options=options, **kwargs
        )
        if not response.is_success:
            raise self.api_error(response, operation=options.operation, not_found=TrackingNotFoundError)
        return response

    # -- operations ---------------------------------------------------------------------------

    def track(self, number: str) -> Flow[TrackingInfo]:
        response = yield from self._send("GET", _wire.track_path(number), RequestOptions(operation="track"))
        with self.parsing(response, operation="track"):
            return _mapping.to_tracking_info(self.code, number, _wire.parse_tracking(self.parse_json(response)))

    def track_batch(self, numbers: Sequence[str]) -> Flow[BatchOutcome]:
        options = RequestOptions(operation="track_batch", idempotent=True)
        response = yield from self._send("POST", _wire.TRACK_PATH, options, json={"numbers": list(numbers)})
        outcome: dict[str, TrackingInfo | CarrierError] = {}
        with self.parsing(response, operation="track_batch"):
            for number, wire in _wire.parse_batch(self.parse_json(response)):
                if wire is None:
                    outcome[number] = TrackingNotFoundError(
                        "unknown number", carrier=self.code, status_code=404, operation="track_batch"
                    )
                else:
                    outcome[number] = _mapping.to_tracking_info(self.code, number, wire)
        return outcome

    def rates(self, request: RateRequest) -> Flow[list[Rate]]:
        options = RequestOptions(operation="rates", idempotent=True)
        response = yield from self._send("POST", _wire.RATES_PATH, options, json=_mapping.rates_body(request))
        with self.parsing(response, operation="rates"):
            return _mapping.to_rates(self.code, _wire.parse_rates(self.parse_json(response)))

    def create_shipment(self, request: ShipmentRequest, *, idempotency_key: str) -> Flow[Shipment]:
        options = RequestOptions(
            operation="create_shipment",
            idempotent=False,
            purchase=True,
            idempotency_key=idempotency_key,
            reference=request.reference or None,
            max_body=LABEL_MAX_BODY,
        )
        response = yield from self._send(
            "POST",
            _wire.LABELS_PATH,
            options,
            headers={"Idempotency-Key": idempotency_key},
            json=_mapping.create_shipment_body(request),
        )
        with self.parsing(response, operation="create_shipment"):
            label = _wire.parse_label(self.parse_json(response))
            return _mapping.to_shipment(self.code, label, idempotency_key=idempotency_key)

    def cancel_shipment(self, tracking_number: str) -> Flow[Cancellation]:
        options = RequestOptions(operation="cancel_shipment")
        response = yield from self._send("DELETE", _wire.label_path(tracking_number), options)
        with self.parsing(response, operation="cancel_shipment"):
            status = _wire.parse_cancel(self.parse_json(response))
            return _mapping.to_cancellation(self.code, tracking_number, status)

    def validate_address(self, address: Address) -> Flow[AddressCheck]:
        options = RequestOptions(operation="validate_address")
        response = yield from self._send("GET", _wire.ADDRESS_PATH, options, params={"city": address.city})
        with self.parsing(response, operation="validate_address"):
            return _mapping.to_address_check(self.code, address, _wire.parse_address(self.parse_json(response)))
