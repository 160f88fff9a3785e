"""The Correos (Spain) carrier adapter: localizador tracking and SOAP pre-registration."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any, ClassVar

import httpx

from carrier_sdk import (
    APIStatusError,
    AuthenticationError,
    Cancellation,
    Capability,
    CarrierError,
    CarrierServerError,
    Confidence,
    ConfigurationError,
    Identification,
    InvalidRequestError,
    Label,
    LabelFormat,
    NotFoundError,
    Shipment,
    ShipmentRequest,
    TrackingInfo,
    TrackingNotFoundError,
    TrackingStatus,
)
from carrier_sdk.adapters import Carrier, Flow, RequestOptions, api_request

from . import _mapping
from ._mapping import create_shipment_body, to_tracking_info
from ._settings import CorreosSettings
from ._wire import (
    ANNUL_ALREADY_CANCELLED,
    ANNUL_ERROR_CODES,
    ANNUL_SOAP_ACTION,
    DEFAULT_PRODUCT,
    DOMESTIC_CODE_PATTERN,
    FOUND_CODE,
    NOT_FOUND_CODE,
    PREREGISTRO_SOAP_ACTION,
    PREREGISTRO_URLS,
    TRACKING_AUTH_ERROR_WORDS,
    TRACKING_BASE_URL,
    SoapFault,
    annul_envelope,
    correos_object,
    parse_annul,
    parse_localizador,
    parse_preregistro,
    repeats_possible,
    soap_body,
    soap_fault,
)

__all__ = ["CorreosCarrier"]


#: Cap on a pre-registration answer: a SOAP envelope with one parcel's PDF label inline (base64),
#: tens of KiB in practice. Not the 30 MiB label cap: the answer is parsed as one XML tree.
PREREGISTRO_MAX_BODY = 8 * 1024 * 1024


class CorreosCarrier(Carrier):
    """Correos (Spain): tracking through the authenticated localizador, labels and annulment
    through the IRIS6 pre-registration SOAP service.

    Tracking needs only the localizador credentials; shipments need the pre-registration ones.
    """

    code: ClassVar[str] = "correos"
    display_name: ClassVar[str] = "Correos"
    capabilities: ClassVar[frozenset[Capability]] = frozenset(
        {Capability.TRACK, Capability.CREATE_SHIPMENT, Capability.CANCEL_SHIPMENT}
    )
    Settings: ClassVar[type[Any]] = CorreosSettings
    docs_url: ClassVar[str] = "https://www.correos.es/es/es/empresas/ecommerce/integraciones"
    fake: ClassVar[str | None] = "carrier_sdk_correos.fake:CorreosFake"
    # The SOAP service has no idempotency key: ReferenciaCliente is sent for reconciliation only.
    supports_idempotency_key: ClassVar[bool] = False
    batch_size: ClassVar[int] = 1

    settings: CorreosSettings

    # -- identity ---------------------------------------------------------------------------------

    @classmethod
    def recognize(cls, number: str) -> Identification | None:
        if DOMESTIC_CODE_PATTERN.match(number):
            return cls.claim(Confidence.HIGH, "23-character Correos package code (check letter not validated)")
        return cls.recognize_s10(number, "ES")

    @classmethod
    def map_status(cls, code: str, text: str = "") -> TrackingStatus:
        return _mapping.map_status(code, text)

    def credential_id(self) -> str:
        return self.settings.tracking_user or self.settings.preregistro_user or "default"

    # -- helpers ------------------------------------------------------------------------------------

    def _tracking_url(self, number: str) -> str:
        base = self.settings.tracking_base_url or TRACKING_BASE_URL
        return f"{base}/{number}"

    def _preregistro_url(self) -> str:
        return self.settings.preregistro_url or PREREGISTRO_URLS[self.settings.environment]

    def _require_shipping(self, operation: str) -> None:
        if not self.settings.can_ship:
            missing = [
                name
                for name in ("preregistro_user", "preregistro_password", "labeller_code")
                if not getattr(self.settings, name)
            ]
            raise ConfigurationError(
                f"Correos {operation} needs the pre-registration settings: {', '.join(missing)} "
                f"(or $CARRIER_SDK_CORREOS_<FIELD>)"
            )

    def _soap_request(self, action: str, body: bytes, options: RequestOptions) -> httpx.Request:
        auth = httpx.BasicAuth(self.settings.preregistro_user, self.settings.preregistro_password.get_secret_value())
        request = api_request(
            "POST",
            self._preregistro_url(),
            headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": action, "Accept": "text/xml"},
            content=body,
            options=options,
        )
        return next(auth.auth_flow(request))

    def _xml(self, response: httpx.Response, operation: str | None) -> Any:
        return self.parse_xml(response, operation=operation)  # hardened: DTDs, entities, deep nesting refused

    def rejected_for_sure(self, response: httpx.Response) -> bool:
        """A SOAP ``Client`` fault (sent with HTTP 500) rejects the input: nothing was registered."""
        if response.status_code != 500 or not response.content.lstrip().startswith(b"<"):
            return False
        try:
            fault = soap_fault(soap_body(self._xml(response, None)))
        except Exception:
            return False
        return fault is not None and fault.code.rsplit(":", 1)[-1].lower().startswith("client")

    def error_details(self, response: httpx.Response) -> tuple[str | None, str | None]:
        try:
            content = response.content.lstrip()
            if content.startswith(b"<"):
                body = soap_body(self._xml(response, None))
                fault = soap_fault(body)
                if fault is not None:
                    return fault.code or None, fault.message or None
                answer = parse_preregistro(body)
                return answer.error_code or None, answer.error_text or None
            data = self.parse_json(response)
            shipment = parse_localizador(data)
            return shipment.error_code, shipment.error_text or None
        except Exception:
            return None, None

    def _fault_error(self, fault: SoapFault, response: httpx.Response, operation: str) -> APIStatusError:
        text = fault.message.lower()
        kind = fault.code.rsplit(":", 1)[-1].lower()
        cls: type[APIStatusError]
        if any(w in text for w in ("autentic", "authentic", "unauthori", "autoriz", "credencial")):
            cls = AuthenticationError
        elif kind.startswith("server"):
            cls = CarrierServerError
        else:
            cls = InvalidRequestError
        return self.api_error(
            response,
            operation=operation,
            error_class=cls,
            message=f"SOAP fault: {fault.message or fault.code}",
            error_code=fault.code or None,
            error_message=fault.message,
        )

    def _soap_answer(self, response: httpx.Response, operation: str, not_found: type[NotFoundError]) -> Any:
        """Check the HTTP status and SOAP fault of ``response``; return the SOAP Body."""
        if response.status_code >= 400 or response.status_code < 200:
            if response.status_code in (401, 403):
                raise self.api_error(response, operation=operation)
            fault: SoapFault | None = None
            try:
                with self.parsing(response, operation=operation):
                    fault = soap_fault(soap_body(self._xml(response, operation)))
            except CarrierError:  # not a SOAP document: the status decides
                fault = None
            if fault is not None and (response.status_code < 500 or self.rejected_for_sure(response)):
                raise self._fault_error(fault, response, operation)
            raise self.api_error(response, operation=operation, not_found=not_found)
        root = self._xml(response, operation)
        with self.parsing(response, operation=operation):
            body = soap_body(root)
            fault = soap_fault(body)
        if fault is not None:
            raise self._fault_error(fault, response, operation)
        return body

    # -- tracking -----------------------------------------------------------------------------------

    def track(self, number: str) -> Flow[TrackingInfo]:
        auth = httpx.BasicAuth(self.settings.tracking_user, self.settings.tracking_password.get_secret_value())
        request = api_request(
            "GET",
            self._tracking_url(number),
            params={"codIdioma": self.settings.tracking_language, "indUltEvento": "N"},
            headers={"Accept": "application/json"},
            options=RequestOptions(operation="track"),
        )
        response = yield next(auth.auth_flow(request))
        if response.status_code >= 300 or response.status_code < 200:
            raise self.api_error(response, operation="track", not_found=TrackingNotFoundError)
        hook = correos_object if repeats_possible(response.content) else None
        data = self.parse_json(response, operation="track", object_pairs_hook=hook)
        with self.parsing(response, operation="track"):
            shipment = parse_localizador(data)
        code, text = shipment.error_code, shipment.error_text
        if code == NOT_FOUND_CODE or (code is None and shipment.events is None):
            raise self.api_error(
                response,
                operation="track",
                error_class=TrackingNotFoundError,
                message=f"Correos does not know {number} (yet): {text or 'no events'}",
                error_code=code,
                error_message=text or None,
            )
        if code not in (None, FOUND_CODE):
            credentials_refused = any(w in text.lower() for w in TRACKING_AUTH_ERROR_WORDS)
            raise self.api_error(
                response,
                operation="track",
                error_class=AuthenticationError if credentials_refused else InvalidRequestError,
                message=f"localizador error {code}: {text or 'unknown error'}",
                error_code=code,
                error_message=text or None,
            )
        with self.parsing(response, operation="track"):
            return to_tracking_info(self.code, number, shipment)

    # -- shipments ----------------------------------------------------------------------------------

    def create_shipment(self, request: ShipmentRequest, *, idempotency_key: str) -> Flow[Shipment]:
        self._require_shipping("create_shipment")
        reference = (request.reference or idempotency_key)[:100]
        envelope = create_shipment_body(
            request, self.settings, reference=reference, now=datetime.fromtimestamp(self.clock(), UTC)
        )
        response = yield self._soap_request(
            PREREGISTRO_SOAP_ACTION,
            envelope,
            RequestOptions(
                operation="create_shipment",
                idempotent=False,
                purchase=True,
                idempotency_key=idempotency_key,
                reference=reference,
                max_body=PREREGISTRO_MAX_BODY,
            ),
        )
        body = self._soap_answer(response, "create_shipment", NotFoundError)
        with self.parsing(response, operation="create_shipment"):
            answer = parse_preregistro(body)
        if not answer.result:
            # A success status without a readable Resultado is never a refusal: the shipment may be
            # registered (the core reports OutcomeUnknownError with what could be read).
            raise self.response_error(
                response, "pre-registration answer without Resultado", operation="create_shipment"
            )
        if answer.result != "0":
            raise self.api_error(
                response,
                operation="create_shipment",
                error_class=InvalidRequestError,
                message=f"pre-registration refused: {answer.error_text or 'Resultado ' + (answer.result or '?')}",
                error_code=answer.error_code or answer.result or None,
                error_message=answer.error_text or None,
            )
        if not answer.tracking_number:
            raise self.response_error(
                response, "pre-registration answer without Bulto/CodEnvio", operation="create_shipment"
            )
        label = None
        if answer.label_base64:
            try:
                data = base64.b64decode("".join(answer.label_base64.split()), validate=True)
            except ValueError:  # binascii.Error is a ValueError
                raise self.response_error(
                    response, "label Fichero is not base64", operation="create_shipment"
                ) from None
            label = Label(format=LabelFormat.PDF, data=data)
        return Shipment(
            carrier=self.code,
            tracking_number=answer.tracking_number,
            label=label,
            service=(request.service or "").strip().upper() or DEFAULT_PRODUCT,
            idempotency_key=idempotency_key,
            carrier_reference=answer.expedition,
        )

    def cancel_shipment(self, tracking_number: str) -> Flow[Cancellation]:
        self._require_shipping("cancel_shipment")
        number = tracking_number.strip().upper()
        response = yield self._soap_request(
            ANNUL_SOAP_ACTION,
            annul_envelope(number),
            # Annulling twice is harmless ("already cancelled" counts as done), so resending is safe.
            RequestOptions(operation="cancel_shipment", idempotent=True),
        )
        body = self._soap_answer(response, "cancel_shipment", NotFoundError)
        with self.parsing(response, operation="cancel_shipment"):
            answer = parse_annul(body)
        errors = [e for e in answer.errors if e[0] or e[1]]
        if errors:
            code, text = errors[0]
            if code == ANNUL_ALREADY_CANCELLED:
                return Cancellation(
                    carrier=self.code,
                    tracking_number=number,
                    cancelled=True,
                    status="already_cancelled",
                    message=text or ANNUL_ERROR_CODES[code],
                )
            raise self.api_error(
                response,
                operation="cancel_shipment",
                error_class=NotFoundError if code == "67" else InvalidRequestError,
                message=f"annulment refused: {text or ANNUL_ERROR_CODES.get(code, 'error ' + code)}",
                error_code=code or None,
                error_message=text or ANNUL_ERROR_CODES.get(code),
            )
        if answer.result not in ("", "0"):
            raise self.api_error(
                response,
                operation="cancel_shipment",
                error_class=InvalidRequestError,
                message=f"annulment refused (Resultado {answer.result})",
                error_code=answer.result,
            )
        return Cancellation(carrier=self.code, tracking_number=number, cancelled=True, status="cancelled")
