"""The USPS adapter: APIs v3 (REST/JSON, OAuth2 client credentials). Web Tools is not implemented."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import quote

import attrs
import httpx

from carrier_sdk import (
    Address,
    AddressCheck,
    APIStatusError,
    AuthenticationError,
    Cancellation,
    Capability,
    CarrierError,
    Confidence,
    Identification,
    InvalidRequestError,
    LabelFormat,
    LocationKind,
    Manifest,
    NotFoundError,
    Pickup,
    PickupAvailability,
    PickupRequest,
    Rate,
    RateLimit,
    RateRequest,
    ResponseError,
    ServiceLocation,
    Shipment,
    ShipmentRequest,
    TrackingInfo,
    TrackingNotFoundError,
    TrackingStatus,
    ValidationError,
)
from carrier_sdk.adapters import (
    LABEL_MAX_BODY,
    BatchOutcome,
    Carrier,
    Flow,
    RequestOptions,
    api_request,
    is_valid_impb,
    is_valid_s10,
)

from . import _mapping as m
from ._auth import TokenCache, parse_expires_in, refresh_margin
from ._settings import UspsSettings
from ._wire import (
    ACCEPT_LABEL_JSON,
    ADDRESS_NOT_MATCHED_CODES,
    ADDRESS_PATH,
    DEFAULT_MAIL_CLASS,
    FALLBACK_EVENT_TZ,
    INTERNATIONAL_CANCEL_PATH,
    INTERNATIONAL_DEFAULT_MAIL_CLASS,
    INTERNATIONAL_LABEL_PATH,
    LABEL_CANCEL_PATH,
    LABEL_PATH,
    LABEL_REPRINT_PATH,
    OPTIONS_PATH,
    PAYMENT_AUTH_PATH,
    PAYMENT_TOKEN_ASSUMED_LIFETIME,
    PAYMENT_TOKEN_HEADER,
    PAYMENT_TOKEN_REFRESH_MARGIN,
    TOKEN_PATH,
    TRACK_V3_PATH,
    TRACK_V3R2_BATCH_SIZE,
    TRACK_V3R2_PATH,
    TRACKING_FATAL_CODES,
    TRACKING_NOT_FOUND_CODES,
    TRACKING_NOT_YET_AVAILABLE_CODES,
    USPS_DEFAULT_QUOTA_PER_HOUR,
    error_details,
    idempotency_uuid,
)

if TYPE_CHECKING:
    from carrier_sdk import AsyncClient, Client

__all__ = ["UspsCarrier", "api_tracking_number", "areconcile_label", "is_international_number", "reconcile_label"]

_IMPB22 = re.compile(r"^9[1-5]\d{20}$")
_IMPB26 = re.compile(r"^9[1-5]\d{24}$")
_ROUTED = re.compile(r"^420(\d{5}|\d{9})(9[1-5]\d{20})$")
_S10_US = re.compile(r"^[A-Z]{2}\d{9}US$")
_GXG = re.compile(r"^82\d{8}$")
_OAUTH_AUTH_ERRORS = frozenset({"invalid_client", "unauthorized_client", "invalid_grant", "access_denied"})

BuildRequest = Callable[[str, str | None], httpx.Request]


def _says_not_found(response: httpx.Response) -> bool:
    """USPS label errors put "Order not found" in ``errors[].detail`` under a generic message."""
    try:
        return "not found" in response.content[:4096].decode("utf-8", "replace").lower()
    except Exception:  # pragma: no cover - defensive
        return False


def api_tracking_number(number: str) -> str:
    """The human-readable tracking number USPS APIs take: a ``420`` + ZIP routing prefix is dropped."""
    match = _ROUTED.match(number)
    return match.group(2) if match else number


def is_international_number(number: str) -> bool:
    """Whether a label number is an outbound international (S10 ending ``US``) one."""
    return bool(_S10_US.match(number)) and is_valid_s10(number, "US")


class UspsCarrier(Carrier):
    """USPS via the v3 REST APIs at apis.usps.com (test: apis-tem.usps.com).

    Tracking uses ``GET /tracking/v3/tracking/{n}?expand=DETAIL`` or, with
    ``tracking_api="v3r2"``, ``POST /tracking/v3r2/tracking`` for up to
    :data:`~carrier_sdk_usps._wire.TRACK_V3R2_BATCH_SIZE` numbers per call. Rates use
    ``POST /shipments/v3/options/search``. Labels need the payment roles in the settings.

    .. versionadded:: 0.1
    """

    code: ClassVar[str] = "usps"
    display_name: ClassVar[str] = "USPS"
    capabilities: ClassVar[frozenset[Capability]] = frozenset(Capability)
    Settings: ClassVar[type[Any]] = UspsSettings
    docs_url: ClassVar[str] = "https://developers.usps.com/apis"
    fake: ClassVar[str | None] = "carrier_sdk_usps.fake:UspsFake"
    supports_idempotency_key: ClassVar[bool] = True
    batch_size: ClassVar[int] = TRACK_V3R2_BATCH_SIZE
    rate_limit: ClassVar[RateLimit | None] = RateLimit.per_hour(USPS_DEFAULT_QUOTA_PER_HOUR)
    sensitive_headers: ClassVar[frozenset[str]] = frozenset({PAYMENT_TOKEN_HEADER.lower()})

    def __init__(self, settings: Any, *, clock: Callable[[], float] = time.time) -> None:
        super().__init__(settings, clock=clock)
        self._tokens = TokenCache()

    def use_token_cache(self, cache: Any) -> None:
        """Keep OAuth and payment tokens in ``cache`` (the client's shared state)."""
        self._tokens = cache

    # -- identity -------------------------------------------------------------------------------

    @classmethod
    def recognize(cls, number: str) -> Identification | None:
        if number.isdigit():
            if _IMPB22.match(number) and is_valid_impb(number):
                return cls.claim(Confidence.HIGH, "USPS IMpb (22 digits, mod 10)")
            routed = _ROUTED.match(number)
            if routed and is_valid_impb(routed.group(2)):
                return cls.claim(Confidence.HIGH, "USPS IMpb with 420+ZIP routing (mod 10)")
            if _IMPB26.match(number) and is_valid_impb(number):
                return cls.claim(Confidence.HIGH, "USPS IMpb (26 digits, mod 10)")
            if len(number) == 20 and is_valid_impb(number):
                return cls.claim(Confidence.MEDIUM, "legacy USPS 20-digit number (mod 10)")
            if _GXG.match(number):
                return cls.claim(Confidence.LOW, "Global Express Guaranteed (82 + 8 digits)")
            return None
        if is_international_number(number):
            return cls.claim(Confidence.HIGH, "UPU S10 issued by USPS (US)")
        return None

    @classmethod
    def accepts(cls, number: str) -> bool:
        """Named USPS: any post's S10 item (USPS delivers inbound mail) and other plausible ids,
        but an all-digit number must be one :meth:`recognize` claims (IMpb mod-10 checked)."""
        if number.isdigit():
            return cls.recognize(number) is not None
        return super().accepts(number)

    @classmethod
    def map_status(cls, code: str, text: str = "") -> TrackingStatus:
        return m.map_status(code, text)

    # -- plumbing -------------------------------------------------------------------------------

    @property
    def _settings(self) -> UspsSettings:
        settings: UspsSettings = self.settings
        return settings

    def _url(self, path: str) -> str:
        return self._settings.api_base + path

    def _today(self) -> date:
        return datetime.fromtimestamp(self.clock(), FALLBACK_EVENT_TZ).date()

    def error_details(self, response: httpx.Response) -> tuple[str | None, str | None]:
        try:
            code, message, _ = error_details(self.parse_json(response))
        except Exception:
            return None, None
        return code, message

    def _error_body(self, response: httpx.Response) -> tuple[str | None, str | None, list[str]]:
        try:
            return error_details(self.parse_json(response))
        except Exception:
            return None, None, []

    # -- OAuth and payment tokens ---------------------------------------------------------------

    def _oauth_key(self) -> tuple[str, ...]:
        return ("oauth", self._settings.client_id, self._settings.scopes)

    def _access_token(self, stale: str | None = None) -> Flow[str]:
        """A cached OAuth token, or one fetched with client credentials (one fetch in flight)."""
        settings = self._settings
        key = self._oauth_key()
        cached = self._tokens.get(key, self.clock(), stale=stale)
        if cached is not None:
            return cached
        form = {
            "grant_type": "client_credentials",
            "client_id": settings.client_id,
            "client_secret": settings.client_secret.get_secret_value(),
        }
        if settings.scopes:
            form["scope"] = settings.scopes
        response = yield api_request(
            "POST",
            self._url(TOKEN_PATH),
            data=form,
            headers={"Accept": "application/json"},
            options=RequestOptions(
                operation="token",
                idempotent=True,
                singleflight=f"usps-token:{settings.client_id}:{settings.scopes}",
            ),
        )
        if response.status_code != 200:
            code, text, _ = self._error_body(response)
            if code in _OAUTH_AUTH_ERRORS or response.status_code in (401, 403):
                raise self.api_error(
                    response,
                    operation="token",
                    error_class=AuthenticationError,
                    message=f"USPS OAuth rejected the credentials: {code}",
                    error_code=code,
                    error_message=text,
                )
            raise self.api_error(response, operation="token", error_code=code, error_message=text)
        with self.parsing(response, operation="token"):
            data = self.parse_json(response, operation="token")
            token = data["access_token"]
            if not isinstance(token, str) or not token:
                raise ValueError("empty access_token")
            lifetime = parse_expires_in(data.get("expires_in"))
        self._tokens.put(key, token, self.clock() + lifetime - refresh_margin(lifetime))
        return token

    def _payment_key(self) -> tuple[str, ...]:
        s = self._settings
        return ("payment", s.client_id, s.crid, s.mid, s.manifest_mid, s.account_type, s.account_number, s.permit_zip)

    def _payment_roles(self) -> list[dict[str, str]]:
        s = self._settings
        if not (s.crid and s.mid):
            raise ValidationError(
                "USPS labels need the payment roles: set crid, mid, manifest_mid, account_type and account_number",
                field="crid",
                constraint="payment roles configured",
            )
        owner = {"roleName": "LABEL_OWNER", "CRID": s.crid, "MID": s.mid, "manifestMID": s.manifest_mid or s.mid}
        payer: dict[str, str] = {**owner, "roleName": "PAYER", "accountType": s.account_type}
        if s.account_type == "PERMIT":
            payer["permitNumber"] = s.account_number
            if s.permit_zip:
                payer["permitZIP"] = s.permit_zip
        else:
            payer["accountNumber"] = s.account_number
        return [payer, owner]

    def _payment_token(self, stale: str | None = None) -> Flow[str]:
        """The payment authorization token (cached for an assumed lifetime; never logged)."""
        key = self._payment_key()
        cached = self._tokens.get(key, self.clock(), stale=stale)
        if cached is not None:
            return cached
        body = {"roles": self._payment_roles()}
        url = self._url(PAYMENT_AUTH_PATH)
        options = RequestOptions(
            operation="payment_authorization", idempotent=True, singleflight=f"usps-payment:{':'.join(key[1:])}"
        )
        build = self._oauth_request("POST", url, options, json=body)
        response = yield from self._authorized(build, "payment_authorization")
        if response.status_code != 200:
            raise self.api_error(response, operation="payment_authorization")
        with self.parsing(response, operation="payment_authorization"):
            token = self.parse_json(response, operation="payment_authorization")["paymentAuthorizationToken"]
            if not isinstance(token, str) or not token:
                raise ValueError("empty paymentAuthorizationToken")
        refresh = PAYMENT_TOKEN_ASSUMED_LIFETIME - refresh_margin(
            PAYMENT_TOKEN_ASSUMED_LIFETIME, PAYMENT_TOKEN_REFRESH_MARGIN
        )
        self._tokens.put(key, token, self.clock() + refresh)
        return token

    def _oauth_request(self, method: str, url: str, options: RequestOptions, **kwargs: Any) -> BuildRequest:
        """A request builder for :meth:`_authorized` that needs only the OAuth token."""

        def build(token: str, _: str | None) -> httpx.Request:
            return api_request(method, url, headers=self._bearer(token), options=options, **kwargs)

        return build

    @staticmethod
    def _purchase_options(operation: str, idempotency_key: str | None, reference: str) -> RequestOptions:
        """A label purchase: never resent blindly; with the key the core may resend it after an
        ambiguous failure, because USPS answers a repeated key with the label it already sold."""
        return RequestOptions(
            operation=operation,
            idempotent=False,
            purchase=True,
            idempotency_key=idempotency_key,
            reference=reference or None,
            max_body=LABEL_MAX_BODY,
        )

    @staticmethod
    def _bearer(token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}", "Accept": "application/json"}

    def _authorized(self, build: BuildRequest, operation: str, *, payment: bool = False) -> Flow[httpx.Response]:
        """Send ``build(token, payment_token)``; on a 401 refresh once and resend, then give up."""
        token = yield from self._access_token()
        pay = (yield from self._payment_token()) if payment else None
        response = yield build(token, pay)
        if response.status_code != 401:
            return response
        self._tokens.invalidate(self._oauth_key(), token)
        token = yield from self._access_token(stale=token)
        if payment and pay is not None:
            self._tokens.invalidate(self._payment_key(), pay)
            pay = yield from self._payment_token(stale=pay)
        response = yield build(token, pay)
        if response.status_code == 401:
            raise self.api_error(response, operation=operation)
        return response

    # -- tracking -------------------------------------------------------------------------------

    def track_batch_size(self) -> int:
        """Batches only on v3r2; on v3 ``track_many`` sends one GET per number, concurrently."""
        return self.batch_size if self._settings.tracking_api == "v3r2" else 1

    def track(self, number: str) -> Flow[TrackingInfo]:
        if self._settings.tracking_api == "v3r2":
            outcome = yield from self._track_v3r2([number], "track")
            value = outcome[number]
            if isinstance(value, CarrierError):
                raise value
            return value
        info = yield from self._track_v3(number, "track")
        return info

    def track_batch(self, numbers: Sequence[str]) -> Flow[BatchOutcome]:
        """v3r2: one POST per batch. v3: one GET per number, in sequence, inside this flow."""
        if self._settings.tracking_api == "v3r2":
            outcome = yield from self._track_v3r2(list(numbers), "track_batch")
            return outcome
        results: dict[str, TrackingInfo | CarrierError] = {}
        for number in numbers:
            try:
                results[number] = yield from self._track_v3(number, "track_batch")
            except (NotFoundError, InvalidRequestError, ResponseError) as err:
                results[number] = err
        return results

    def _not_yet(self, number: str, code: str | None, message: str | None) -> TrackingInfo:
        detail = f"{code}: {message}" if message else str(code)
        return TrackingInfo(
            carrier=self.code, tracking_number=number, status=TrackingStatus.PRE_TRANSIT, status_detail=detail
        )

    def _track_v3(self, number: str, operation: str) -> Flow[TrackingInfo]:
        url = self._url(TRACK_V3_PATH.format(number=quote(api_tracking_number(number), safe="")))

        def build(token: str, _: str | None) -> httpx.Request:
            return api_request(
                "GET",
                url,
                params={"expand": "DETAIL"},
                headers=self._bearer(token),
                options=RequestOptions(operation=operation),
            )

        response = yield from self._authorized(build, operation)
        if response.status_code == 200:
            with self.parsing(response, operation=operation):
                return m.to_tracking_info(self.code, number, self.parse_json(response, operation=operation))
        code, message, codes = self._error_body(response)
        if TRACKING_NOT_YET_AVAILABLE_CODES.intersection(codes):
            return self._not_yet(number, code, message)
        cls: type[APIStatusError]
        if TRACKING_NOT_FOUND_CODES.intersection(codes) or response.status_code == 404:
            cls, text = TrackingNotFoundError, f"USPS does not know {number}"
        elif TRACKING_FATAL_CODES.intersection(codes):
            cls, text = InvalidRequestError, f"USPS refuses tracking for {number}"
        else:
            raise self.api_error(response, operation=operation, not_found=TrackingNotFoundError)
        raise self.api_error(
            response, operation=operation, error_class=cls, message=text, error_code=code, error_message=message
        )

    def _element_error(self, item: Mapping[str, Any], operation: str) -> TrackingInfo | CarrierError:
        number = str(item.get("trackingNumber", ""))
        raw_error = item.get("error")
        error: Mapping[str, Any] = raw_error if isinstance(raw_error, Mapping) else {}
        status_raw = str(item.get("statusCode") or error.get("code") or "404")
        status = int(status_raw) if status_raw.isdigit() and 400 <= int(status_raw) < 600 else 404
        code, message, codes = error_details({"error": error})
        if TRACKING_NOT_YET_AVAILABLE_CODES.intersection(codes):
            return self._not_yet(number, code, message)
        cls: type[APIStatusError] = TrackingNotFoundError
        if TRACKING_FATAL_CODES.intersection(codes) or (
            status != 404 and not TRACKING_NOT_FOUND_CODES.intersection(codes)
        ):
            cls = InvalidRequestError
        return cls(
            f"USPS tracking failed for {number}: {message or status}",
            carrier=self.code,
            status_code=status,
            error_code=code,
            error_message=message,
            operation=operation,
        )

    def _track_v3r2(self, numbers: list[str], operation: str) -> Flow[dict[str, TrackingInfo | CarrierError]]:
        wire = {n: api_tracking_number(n) for n in numbers}
        body = [{"trackingNumber": n} for n in dict.fromkeys(wire.values())]
        url = self._url(TRACK_V3R2_PATH)

        build = self._oauth_request("POST", url, RequestOptions(operation=operation, idempotent=True), json=body)

        response = yield from self._authorized(build, operation)
        results: dict[str, TrackingInfo | CarrierError] = {}
        if response.status_code == 404:
            code, message, _ = self._error_body(response)
            error = self.api_error(
                response,
                operation=operation,
                error_class=TrackingNotFoundError,
                message="USPS does not know these numbers",
                error_code=code,
                error_message=message,
            )
            return dict.fromkeys(numbers, error)
        if response.status_code not in (200, 207):
            raise self.api_error(response, operation=operation, not_found=TrackingNotFoundError)
        by_wire: dict[str, TrackingInfo | CarrierError] = {}
        with self.parsing(response, operation=operation):
            data = self.parse_json(response, operation=operation)
            if not isinstance(data, list):
                raise TypeError("v3r2 response is not a list")
            for item in data:
                if not isinstance(item, Mapping):
                    raise TypeError("v3r2 element is not an object")
                number = str(item["trackingNumber"])
                failed = item.get("error") is not None or str(item.get("statusCode") or "200")[:1] in ("4", "5")
                by_wire[number] = (
                    self._element_error(item, operation) if failed else m.to_tracking_info(self.code, number, item)
                )
        for number, sent in wire.items():
            value = by_wire.get(sent)
            if isinstance(value, TrackingInfo) and value.tracking_number != number:
                value = attrs.evolve(value, tracking_number=number)
            results[number] = (
                value
                if value is not None
                else self.response_error(
                    response, "the batch response did not mention this number", operation=operation
                )
            )
        return results

    # -- rates ----------------------------------------------------------------------------------

    def rates(self, request: RateRequest) -> Flow[list[Rate]]:
        parcel = m.single_parcel(request.parcels)
        if request.shipper.country != "US":
            raise ValidationError("USPS rates need a US origin", field="shipper.country", constraint="US")
        s = self._settings
        account = (
            {"accountType": s.account_type, "accountNumber": s.account_number}
            if s.price_type == "CONTRACT" and s.account_number
            else None
        )
        body = m.rates_body(
            request.shipper,
            request.recipient,
            parcel,
            mail_class=request.service,
            mailing_date=request.ship_date or self._today(),
            price_type=s.price_type,
            payment_account=account,
        )
        url = self._url(OPTIONS_PATH)

        build = self._oauth_request("POST", url, RequestOptions(operation="rates", idempotent=True), json=body)

        response = yield from self._authorized(build, "rates")
        if response.status_code != 200:
            raise self.api_error(response, operation="rates")
        with self.parsing(response, operation="rates"):
            return m.to_rates(self.code, self.parse_json(response, operation="rates"))

    # -- labels ---------------------------------------------------------------------------------

    def _label_headers(self, token: str, pay: str | None, key: str | None) -> dict[str, str]:
        headers = self._bearer(token)
        if self._settings.label_response == "json":
            headers["Accept"] = ACCEPT_LABEL_JSON
        else:
            headers.pop("Accept")
        if pay is not None:
            headers[PAYMENT_TOKEN_HEADER] = pay
        if key is not None:
            headers["X-Idempotency-Key"] = key
        return headers

    def _shipment(
        self,
        response: httpx.Response,
        *,
        international: bool,
        service: str,
        idempotency_key: str,
        operation: str,
    ) -> Shipment:
        """The shipment a label answer describes; the label format is read from the label's bytes."""
        with self.parsing(response, operation=operation):
            metadata, image = m.parse_label_response(
                response.headers.get("content-type", ""), response.content, international=international
            )
            return m.to_shipment(
                metadata,
                image,
                carrier=self.code,
                international=international,
                service=service,
                idempotency_key=idempotency_key,
            )

    def create_shipment(self, request: ShipmentRequest, *, idempotency_key: str) -> Flow[Shipment]:
        """Buy a label; domestic purchases carry ``X-Idempotency-Key`` (a UUID derived from the key).

        The international label API documents no idempotency key, so international purchases
        are never resent after an ambiguous failure (the core raises OutcomeUnknownError).
        """
        parcel = m.single_parcel(request.parcels)
        if request.shipper.country != "US":
            raise ValidationError("USPS labels need a US origin", field="shipper.country", constraint="US")
        international = request.recipient.country != "US"
        mailing_date = request.ship_date or self._today()
        product = request.rate.product if request.rate is not None else None
        # ShipmentRequest enforces customs when the countries differ; the international API takes no key.
        assert not international or request.customs is not None
        service = request.service or (INTERNATIONAL_DEFAULT_MAIL_CLASS if international else DEFAULT_MAIL_CLASS)
        body = m.label_body(
            request.shipper,
            request.recipient,
            parcel,
            mail_class=service,
            mailing_date=mailing_date,
            label_format=request.label_format,
            reference=request.reference,
            product=product,
            customs=request.customs if international else None,
        )
        url = self._url(INTERNATIONAL_LABEL_PATH if international else LABEL_PATH)
        wire_key = None if international else idempotency_uuid(idempotency_key)
        options = self._purchase_options("create_shipment", idempotency_key if wire_key else None, request.reference)

        def build(token: str, pay: str | None) -> httpx.Request:
            return api_request(
                "POST", url, json=body, headers=self._label_headers(token, pay, wire_key), options=options
            )

        response = yield from self._authorized(build, "create_shipment", payment=True)
        if response.status_code not in (200, 201):
            raise self.api_error(response, operation="create_shipment")
        return self._shipment(
            response,
            international=international,
            service=service,
            idempotency_key=idempotency_key,
            operation="create_shipment",
        )

    def cancel_shipment(self, tracking_number: str) -> Flow[Cancellation]:
        number = api_tracking_number(tracking_number)
        path = INTERNATIONAL_CANCEL_PATH if is_international_number(number) else LABEL_CANCEL_PATH
        return self._cancel(self._url(path.format(number=quote(number, safe=""))), None, number)

    def _cancel(self, url: str, wire_key: str | None, number: str) -> Flow[Cancellation]:
        """``DELETE url`` with the payment token (and the label's idempotency key, when by key)."""

        def build(token: str, pay: str | None) -> httpx.Request:
            return api_request(
                "DELETE",
                url,
                headers=self._label_headers(token, pay, wire_key) | {"Accept": "application/json"},
                options=RequestOptions(operation="cancel_shipment", idempotent=False),
            )

        response = yield from self._authorized(build, "cancel_shipment", payment=True)
        return self._cancellation(response, number, "cancel_shipment")

    def _cancellation(self, response: httpx.Response, number: str, operation: str) -> Cancellation:
        if response.status_code != 200:
            code, message, _ = self._error_body(response)
            if response.status_code == 400 and _says_not_found(response):
                raise self.api_error(
                    response,
                    operation=operation,
                    error_class=NotFoundError,
                    message=f"USPS has no label {number}",
                    error_code=code,
                    error_message=message,
                )
            raise self.api_error(response, operation=operation)
        with self.parsing(response, operation=operation):
            data = self.parse_json(response, operation=operation)
            status = str(data.get("status") or "").upper()
            dispute = data.get("disputeId")
            return Cancellation(
                carrier=self.code,
                tracking_number=str(data.get("trackingNumber") or number),
                cancelled=status in ("CANCELED", "CANCELLED"),
                status=status,
                message=f"refund requested (dispute {dispute})" if status == "DISPUTED" and dispute else "",
            )

    # -- reconciliation by idempotency key ------------------------------------------------------

    def find_label_by_idempotency_key(
        self, idempotency_key: str, *, label_format: LabelFormat = LabelFormat.PDF
    ) -> Flow[Shipment]:
        """Look a domestic label up by the key it was bought with (``POST /labels/v3/label-reprint``).

        USPS allows 3 reprints per label, up to its mailing date; a cancelled label cannot be
        reprinted. Raises :class:`~carrier_sdk.NotFoundError` when no label has that key.
        """
        wire_key = idempotency_uuid(idempotency_key)
        url = self._url(LABEL_REPRINT_PATH)
        body = {"imageInfo": {"imageType": m.LABEL_IMAGE_TYPES[label_format], "labelType": "4X6LABEL"}}

        def build(token: str, pay: str | None) -> httpx.Request:
            return api_request(
                "POST",
                url,
                json=body,
                headers=self._label_headers(token, pay, wire_key),
                options=RequestOptions(operation="reconcile_label", idempotent=True, max_body=LABEL_MAX_BODY),
            )

        response = yield from self._authorized(build, "reconcile_label", payment=True)
        if response.status_code not in (200, 201):
            code, message, _ = self._error_body(response)
            if response.status_code in (400, 404) and _says_not_found(response):
                raise self.api_error(
                    response,
                    operation="reconcile_label",
                    error_class=NotFoundError,
                    message="no USPS label has this key",
                    error_code=code,
                    error_message=message,
                )
            raise self.api_error(response, operation="reconcile_label")
        return self._shipment(
            response,
            international=False,
            service="",
            idempotency_key=idempotency_key,
            operation="reconcile_label",
        )

    def cancel_label_by_idempotency_key(self, idempotency_key: str) -> Flow[Cancellation]:
        """Cancel (or request a refund for) the domestic label bought with ``idempotency_key``."""
        return self._cancel(self._url(LABEL_PATH), idempotency_uuid(idempotency_key), "")

    # -- addresses ------------------------------------------------------------------------------

    def create_return_label(self, request: ShipmentRequest, *, idempotency_key: str) -> Flow[Shipment]:
        """Buy a domestic return label (``POST /labels/v3/return-label``, see :mod:`._carrier_day`)."""
        from ._carrier_day import return_label_flow

        return return_label_flow(self, request, idempotency_key)

    def create_manifest(
        self, tracking_numbers: Sequence[str], *, ship_date: date | None, origin: Address | None
    ) -> Flow[Manifest]:
        """One SCAN form for the labels (``POST /scan-forms/v3/scan-form``, see :mod:`._carrier_day`)."""
        from ._carrier_day import scan_form_flow

        return scan_form_flow(self, [api_tracking_number(n) for n in tracking_numbers], ship_date, origin)

    def schedule_pickup(self, request: PickupRequest) -> Flow[Pickup]:
        """Carrier Pickup: eligibility first, then ``POST /pickup/v3/carrier-pickup`` (see :mod:`._carrier_day`)."""
        from ._carrier_day import schedule_pickup_flow

        return schedule_pickup_flow(self, request)

    def cancel_pickup(self, confirmation: str) -> Flow[None]:
        """``DELETE /pickup/v3/carrier-pickup/{n}`` with the ``ETag`` of a ``GET`` (see :mod:`._carrier_day`)."""
        from ._carrier_day import cancel_pickup_flow

        return cancel_pickup_flow(self, confirmation)

    def pickup_availability(self, address: Address) -> Flow[PickupAvailability]:
        """``GET /pickup/v3/carrier-pickup/eligibility`` (see :mod:`._carrier_day`)."""
        from ._carrier_day import availability_flow

        m.eligibility_params(address)  # a non-US address is refused before any request
        return availability_flow(self, address, "pickup_availability")

    def find_locations(self, near: Address | str, *, kind: LocationKind, limit: int) -> Flow[list[ServiceLocation]]:
        """Locations 3.0: one ``GET`` of the endpoint for ``kind`` (see :mod:`._carrier_locations`)."""
        from ._carrier_locations import locations_flow

        return locations_flow(self, near, kind, limit)

    def validate_address(self, address: Address) -> Flow[AddressCheck]:
        """``GET /addresses/v3/address``. "No such address" is ``matched=False``, not an error."""
        if address.country != "US":
            raise ValidationError("USPS validates US addresses only", field="address.country", constraint="US")
        if not address.state:
            raise ValidationError("USPS address validation needs a state", field="address.state", constraint="required")
        url = self._url(ADDRESS_PATH)
        params = m.address_params(address)

        build = self._oauth_request("GET", url, RequestOptions(operation="validate_address"), params=params)

        response = yield from self._authorized(build, "validate_address")
        if response.status_code == 200:
            with self.parsing(response, operation="validate_address"):
                return m.to_address_check(self.code, self.parse_json(response, operation="validate_address"), address)
        code, message, codes = self._error_body(response)
        if response.status_code == 404 or (
            response.status_code == 400 and ADDRESS_NOT_MATCHED_CODES.intersection(codes)
        ):
            text = f"{code}: {message}" if code and message else message or code or "no match"
            return AddressCheck(carrier=self.code, matched=False, messages=(text,))
        raise self.api_error(response, operation="validate_address")


def reconcile_label(client: Client, idempotency_key: str, *, cancel: bool = False) -> Shipment | Cancellation:
    """After an :class:`~carrier_sdk.OutcomeUnknownError`: find (or cancel) the label bought with the key.

    Uses the client's configured USPS settings, retries and rate limits.
    """
    result: Shipment | Cancellation = client.run_flow(
        UspsCarrier.code, lambda carrier: _reconcile_flow(carrier, idempotency_key, cancel)
    )
    return result


async def areconcile_label(
    client: AsyncClient, idempotency_key: str, *, cancel: bool = False
) -> Shipment | Cancellation:
    """Async twin of :func:`reconcile_label`."""
    result: Shipment | Cancellation = await client.run_flow(
        UspsCarrier.code, lambda carrier: _reconcile_flow(carrier, idempotency_key, cancel)
    )
    return result


def _reconcile_flow(carrier: Any, idempotency_key: str, cancel: bool) -> Flow[Any]:
    assert isinstance(carrier, UspsCarrier)
    if cancel:
        return carrier.cancel_label_by_idempotency_key(idempotency_key)
    return carrier.find_label_by_idempotency_key(idempotency_key)
