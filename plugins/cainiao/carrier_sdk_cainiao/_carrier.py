"""The Cainiao adapter: cross-border orders, waybills, cancellation and tracking over LINK."""

from __future__ import annotations

import base64
import re
from typing import Any, ClassVar

import httpx

from carrier_sdk import (
    APIStatusError,
    Cancellation,
    Capability,
    Confidence,
    Identification,
    Label,
    LabelFormat,
    NotFoundError,
    RelatedNumber,
    Shipment,
    ShipmentRequest,
    TrackingInfo,
    TrackingNotFoundError,
    TrackingStatus,
    ValidationError,
)
from carrier_sdk.adapters import (
    LABEL_MAX_BODY,
    PARSE_ERRORS,
    Carrier,
    Flow,
    RequestOptions,
    api_request,
    is_valid_s10,
    normalize_number,
)

from . import _mapping
from ._auth import FORM_CONTENT_TYPE, encode_form, serialize, signed_form
from ._mapping import create_shipment_body, error_class, to_tracking_info
from ._settings import CainiaoSettings
from ._wire import (
    AP_PATTERN,
    CAINIAO_LAST_MILE_PATTERN,
    MSG_CANCEL,
    MSG_CREATE,
    MSG_TRACK,
    MSG_WAYBILL,
    ORDER_CODE_PATTERN,
    TRACK_MAIL_KEY,
    TRACK_ONLY_OFFICIAL_NODE,
    TRACK_ORDER_KEY,
    WAYBILL_TYPE,
    Envelope,
    extract_track_record,
    parse_envelope,
    parse_order_created,
    parse_waybill,
)

__all__ = ["CainiaoCarrier"]


class CainiaoCarrier(Carrier):
    """Cainiao (Alibaba logistics) through the LINK gateway (``cnge.*`` message APIs).

    Every call is a signed form POST (see :mod:`carrier_sdk_cainiao._auth`). Cainiao documents no
    idempotency key, so orders are sent with ``outOrderId`` = the request's ``reference`` (or the
    SDK idempotency key) for reconciliation, and an ambiguous failure raises
    :class:`~carrier_sdk.OutcomeUnknownError` instead of buying twice.
    """

    code: ClassVar[str] = "cainiao"
    display_name: ClassVar[str] = "Cainiao"
    capabilities: ClassVar[frozenset[Capability]] = frozenset(
        {Capability.TRACK, Capability.CREATE_SHIPMENT, Capability.CANCEL_SHIPMENT}
    )
    Settings: ClassVar[type[Any]] = CainiaoSettings
    docs_url: ClassVar[str] = "https://global.link.cainiao.com/"
    fake: ClassVar[str | None] = "carrier_sdk_cainiao.fake:CainiaoFake"
    supports_idempotency_key: ClassVar[bool] = False
    batch_size: ClassVar[int] = 1

    settings: CainiaoSettings

    # -- identity ---------------------------------------------------------------------------

    @classmethod
    def recognize(cls, number: str) -> Identification | None:
        if ORDER_CODE_PATTERN.match(number):
            return cls.claim(Confidence.HIGH, "Cainiao order code LP + 14 digits")
        if AP_PATTERN.match(number):
            return cls.claim(Confidence.MEDIUM, "AP + 14 digits (AliExpress)")
        if CAINIAO_LAST_MILE_PATTERN.match(number):
            return cls.claim(Confidence.LOW, "Cainiao-issued last-mile id (CN + country)")
        if is_valid_s10(number, "CN"):
            return cls.claim(Confidence.LOW, "China Post S10 item (often carried by Cainiao)")
        return None

    @classmethod
    def map_status(cls, code: str, text: str = "") -> TrackingStatus:
        return _mapping.map_status(code, text)

    def credential_id(self) -> str:
        return self.settings.logistic_provider_id

    # -- plumbing ---------------------------------------------------------------------------

    def _call(self, msg_type: str, payload: dict[str, Any], options: RequestOptions) -> httpx.Request:
        settings = self.settings
        content = serialize(payload)  # serialized once; exactly this string is signed and sent
        form = signed_form(
            msg_type,
            content,
            logistic_provider_id=settings.logistic_provider_id,
            secret=settings.secret_key,
            to_code=settings.to_code(msg_type),
        )
        return api_request(
            "POST",
            settings.url,
            content=encode_form(form),
            headers={"Content-Type": FORM_CONTENT_TYPE, "Accept": "application/json"},
            options=options,
        )

    def _scrub(self, text: str | None) -> str | None:
        """Drop the secret and anything digest-like the gateway might echo."""
        if text is None:
            return None
        secret = self.settings.secret_key.get_secret_value()
        if secret and secret in text:
            text = text.replace(secret, "[redacted]")
        return re.sub(r"[A-Za-z0-9+/]{22}==", "[redacted]", text)

    def error_details(self, response: httpx.Response) -> tuple[str | None, str | None]:
        try:
            envelope = parse_envelope(self.parse_json(response))
            return envelope.error_code, self._scrub(envelope.error_message)
        except Exception:  # must not raise, whatever the body
            return None, None

    def _refusal(
        self, response: httpx.Response, envelope: Envelope, operation: str, not_found: type[NotFoundError], context: str
    ) -> APIStatusError:
        """The typed error of a ``success: "false"`` answer, classed by its ``errorCode``/``errorMsg``."""
        code, message = envelope.error_code, self._scrub(envelope.error_message)
        cls = error_class(code, message)
        return self.api_error(
            response,
            operation=operation,
            error_class=not_found if cls is NotFoundError else cls,
            message=f"{context}Cainiao returned success=false: {code or 'no code'}: {message or 'no message'}",
            error_code=code,
            error_message=message,
        )

    def _envelope(
        self,
        response: httpx.Response,
        operation: str,
        *,
        not_found: type[NotFoundError] = NotFoundError,
        context: str = "",
    ) -> Envelope:
        if not 200 <= response.status_code < 300:
            raise self.api_error(response, operation=operation, not_found=not_found)
        body = self.parse_json(response, operation=operation)
        with self.parsing(response, operation=operation):
            envelope = parse_envelope(body)
        if not envelope.success:
            raise self._refusal(response, envelope, operation, not_found, context)
        return envelope

    # -- operations -------------------------------------------------------------------------

    def track(self, number: str) -> Flow[TrackingInfo]:
        key = TRACK_ORDER_KEY if ORDER_CODE_PATTERN.match(number) else TRACK_MAIL_KEY
        payload: dict[str, Any] = {key: number, "locale": self.settings.locale}
        if TRACK_ONLY_OFFICIAL_NODE:
            payload["onlyOfficialNode"] = True
        response = yield self._call(MSG_TRACK, payload, RequestOptions(operation="track", idempotent=True))
        envelope = self._envelope(response, "track", not_found=TrackingNotFoundError)
        with self.parsing(response, operation="track"):
            info = to_tracking_info(self.code, number, extract_track_record(envelope.raw))
        if not info.events:
            message = f"Cainiao has no events for {number}"
            raise self.api_error(response, operation="track", error_class=TrackingNotFoundError, message=message)
        return info

    def create_shipment(self, request: ShipmentRequest, *, idempotency_key: str) -> Flow[Shipment]:
        if request.label_format is not LabelFormat.PDF:
            raise ValidationError(
                "Cainiao waybills are PDF documents", field="label_format", constraint=LabelFormat.PDF.value
            )
        out_order_id = request.reference or idempotency_key
        payload = create_shipment_body(
            request,
            out_order_id=out_order_id,
            solution_code=self.settings.solution_code,
            locale=self.settings.locale,
        )
        response = yield self._call(
            MSG_CREATE,
            payload,
            RequestOptions(
                operation="create_shipment",
                idempotent=False,
                purchase=True,
                idempotency_key=idempotency_key,
                reference=out_order_id,
            ),
        )
        envelope = self._envelope(response, "create_shipment")
        try:
            order = parse_order_created(envelope.data)
        except PARSE_ERRORS as err:  # the order exists: say so, rather than the parsing guard's message
            raise self.response_error(
                response,
                f"order created (outOrderId {out_order_id!r}) but its response is unusable ({type(err).__name__})",
                operation="create_shipment",
            ) from None
        context = f"order {order.order_code} was created (outOrderId {out_order_id!r}) but its waybill failed: "
        waybill_response = yield self._call(
            MSG_WAYBILL,
            {"orderCode": order.order_code, "waybillType": WAYBILL_TYPE, "locale": self.settings.locale},
            RequestOptions(operation="create_shipment", idempotent=True, max_body=LABEL_MAX_BODY),
        )
        waybill_envelope = self._envelope(waybill_response, "create_shipment", context=context)
        try:
            waybill = parse_waybill(waybill_envelope.data)
            pdf = base64.b64decode(waybill.pdf_base64, validate=True)
        except PARSE_ERRORS as err:  # binascii.Error is a ValueError
            raise self.response_error(
                waybill_response, f"{context}unusable waybill ({type(err).__name__})", operation="create_shipment"
            ) from None
        tracking_number = order.tracking_number or waybill.tracking_number or order.order_code
        related: tuple[RelatedNumber, ...] = ()
        if tracking_number != order.order_code:
            related = (RelatedNumber(tracking_number=order.order_code, carrier=self.code, relation="order"),)
        return Shipment(
            carrier=self.code,
            tracking_number=tracking_number,
            label=Label(format=LabelFormat.PDF, data=pdf),
            service=str(payload["solutionParam"]["solutionCode"]),
            idempotency_key=idempotency_key,
            carrier_reference=order.order_code,
            related_numbers=related,
        )

    def cancel_shipment(self, tracking_number: str) -> Flow[Cancellation]:
        order_code = normalize_number(tracking_number)
        if not ORDER_CODE_PATTERN.match(order_code):
            raise ValidationError(
                "Cainiao cancels by order code: pass Shipment.carrier_reference (LP + 14 digits)",
                field="tracking_number",
                constraint="Cainiao order code LP + 14 digits",
            )
        response = yield self._call(
            MSG_CANCEL,
            {"orderCode": order_code, "locale": self.settings.locale},
            RequestOptions(operation="cancel_shipment", idempotent=True),
        )
        self._envelope(response, "cancel_shipment")
        return Cancellation(carrier=self.code, tracking_number=order_code, cancelled=True, status="CANCELLED")
