"""The :class:`Carrier` base class every adapter subclasses.

Metadata is declared as class attributes, so the registry lists, filters and validates carriers
without instantiating one. Operations are sans-I/O flows (see :mod:`carrier_sdk._flow`): an
adapter never touches sockets, retries, timeouts or rate limits.
"""

from __future__ import annotations

import functools
import json
import math
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import date
from types import TracebackType
from typing import TYPE_CHECKING, Any, ClassVar
from xml.etree.ElementTree import ParseError as XMLParseError

import httpx

from ._enums import Capability, Confidence, TrackingStatus
from ._exceptions import (
    APIStatusError,
    AuthenticationError,
    CarrierError,
    CarrierServerError,
    InvalidRequestError,
    NotFoundError,
    RateLimitError,
    ResponseError,
    UnsupportedOperationError,
    ValidationError,
)
from ._flow import Flow
from ._identify import is_valid_s10, normalize_number, plausibility_problem
from ._redact import redact_request, redact_response, scrub_text

if TYPE_CHECKING:
    from xml.etree.ElementTree import Element

    from ._day import Manifest, Pickup, PickupAvailability, PickupRequest
    from ._enums import LocationKind
    from ._locations import ServiceLocation
    from ._models import Identification, TrackingInfo
    from ._ratelimit import RateLimit
    from ._shipping import Address, AddressCheck, Cancellation, Rate, RateRequest, Shipment, ShipmentRequest
    from .state import TokenCache

__all__ = ["PARSE_ERRORS", "BatchOutcome", "Carrier"]

#: What :meth:`Carrier.track_batch` returns: per number, the info or the error.
BatchOutcome = Mapping[str, "TrackingInfo | CarrierError"]


#: Names that purchase answers commonly use for what they bought (see ``Carrier.purchase_id_fields``).
DEFAULT_PURCHASE_ID_FIELDS: tuple[str, ...] = (
    "trackingNumber",
    "tracking_number",
    "internationalTrackingNumber",
    "orderCode",
    "outOrderId",
    "mailNo",
    "CodEnvio",
    "CodExpedicion",
    "shipmentId",
    "labelId",
)

#: The scan reads at most this much of a body (identifiers come early in every known answer).
_SCAN_LIMIT = 1024 * 1024
_ID_VALUE = rb"([A-Za-z0-9][A-Za-z0-9_.\-]{0,63})"


def scan_identifiers(body: bytes, names: Sequence[str]) -> dict[str, str]:
    """Values of ``names`` found in ``body`` as JSON members or XML elements (first match each).

    Tolerates truncation (a value cut short is not reported) and escaping (JSON inside a JSON
    string); never raises.
    """
    import re

    found: dict[str, str] = {}
    if not names or not body:
        return found
    alternatives = b"|".join(re.escape(n.encode("ascii", "ignore")) for n in names if n)
    head = body[:_SCAN_LIMIT]
    json_like = re.compile(rb'\\?"(' + alternatives + rb')\\?"\s*:\s*\\?"?' + _ID_VALUE + rb'(?=\\?"|\s*[,}\]])')
    xml_like = re.compile(rb"<(?:[\w.-]+:)?(" + alternatives + rb")(?:\s[^>]*)?>\s*" + _ID_VALUE + rb"\s*<")
    for pattern in (json_like, xml_like):
        for match in pattern.finditer(head):
            name = match.group(1).decode("ascii")
            if name not in found:
                found[name] = match.group(2).decode("ascii")
    return found


def _takes(cls: type[Carrier], normalized: str) -> bool:
    try:
        return cls.recognize(normalized) is not None or cls.accepts(normalized)
    except Exception as err:  # an adapter's recognizer that trips on odd input does not take it
        import logging

        logging.getLogger("carrier_sdk").warning(
            "%s adapter raised %s checking %r (an adapter bug)", cls.code, type(err).__name__, normalized[:64]
        )
        return False


def _parse_retry_after_header(response: httpx.Response) -> float | None:
    from ._retry import parse_retry_after

    return parse_retry_after(response.headers)


_REQUEST_ID_HEADERS = (
    "x-request-id",
    "x-correlation-id",
    "x-amzn-requestid",
    "request-id",
    "eagleeye-traceid",
)


def _request_id(response: httpx.Response) -> str | None:
    for name in _REQUEST_ID_HEADERS:
        value: str | None = response.headers.get(name)
        if value:
            return value[:128]
    return None


#: The exceptions a parser of untrusted bodies raises on bad input, which :meth:`Carrier.parsing`
#: turns into :class:`~carrier_sdk.ResponseError` (``ValueError`` covers JSON and Unicode decoding,
#: ``ArithmeticError`` overflowing numbers, ``ParseError`` malformed XML).
PARSE_ERRORS: tuple[type[Exception], ...] = (
    KeyError,
    TypeError,
    ValueError,
    IndexError,
    AttributeError,
    ArithmeticError,
    RecursionError,
    XMLParseError,
)

#: The message prefix of each typed error, most specific class first.
_KINDS: tuple[tuple[type[APIStatusError], str], ...] = (
    (AuthenticationError, "authentication failed"),
    (NotFoundError, "not found"),
    (RateLimitError, "rate limited"),
    (InvalidRequestError, "request rejected"),
    (CarrierServerError, "carrier server error"),
)


def _kind_of(cls: type[APIStatusError]) -> str:
    return next((kind for base, kind in _KINDS if issubclass(cls, base)), "carrier error")


def _status_class(status: int, not_found: type[NotFoundError]) -> tuple[type[APIStatusError], str]:
    if status in (401, 403):
        return AuthenticationError, "authentication failed"
    if status in (404, 410):
        return not_found, "not found"
    if status == 429:
        return RateLimitError, "rate limited"
    if 400 <= status < 500:
        return InvalidRequestError, "request rejected"
    if status >= 500:
        return CarrierServerError, "carrier server error"
    if 300 <= status < 400:
        return APIStatusError, "unexpected redirect (not followed)"
    return APIStatusError, "unexpected HTTP status"


class _ParsingGuard:
    """What :meth:`Carrier.parsing` returns."""

    __slots__ = ("_carrier", "_operation", "_response")

    def __init__(self, carrier: Carrier, response: httpx.Response, operation: str) -> None:
        self._carrier = carrier
        self._response = response
        self._operation = operation

    def __enter__(self) -> None:
        return None

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        if error is not None and isinstance(error, (*PARSE_ERRORS, ValidationError)):
            op = self._operation
            raise self._carrier.response_error(
                self._response, f"unexpected {op} payload ({type(error).__name__})", operation=op
            ) from None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"non-finite number {name}")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError("number out of range")
    return value


@functools.lru_cache(maxsize=16)
def _json_decoder(object_pairs_hook: Callable[[list[tuple[str, object]]], object] | None) -> json.JSONDecoder:
    """The strict decoder for one ``object_pairs_hook``, built once: ``json.loads`` with keyword
    arguments builds a new decoder (and its scanner) on every call."""
    return json.JSONDecoder(
        parse_constant=_reject_constant, parse_float=_finite_float, object_pairs_hook=object_pairs_hook
    )


class Carrier:
    """Base class of carrier adapters.

    Subclasses set the class attributes and override the operations they support; the
    capabilities they declare must match the operations they override (the conformance suite
    checks it). Operations return flows; the clients drive them.

    Attributes:
        code: Lowercase, stable registry key (``"usps"``); also the entry-point name.
        display_name: Human name (``"USPS"``).
        capabilities: The operations implemented.
        Settings: An attrs class of the carrier's settings; secrets are :class:`Secret` fields.
        docs_url: Where the adapter is documented.
        fake: ``"module:Class"`` of the adapter's stateful fake API, imported only when used.
        supports_idempotency_key: The carrier honours an idempotency key on purchases, so the
            core may retry them after ambiguous failures.
        batch_size: Most numbers one :meth:`track_batch` request takes (1: no batching).
        rate_limit: Default client-side rate limit per credential, or ``None``.
        sensitive_headers: Extra header names to mask in errors and logs.
        purchase_id_fields: Field names (JSON keys or XML element names) under which the
            carrier's purchase answers name what was bought; after a success status whose body
            then fails, the core reports their values on
            :class:`~carrier_sdk.OutcomeUnknownError` (see :meth:`purchase_identifiers`).

    .. versionadded:: 0.1
    """

    code: ClassVar[str]
    display_name: ClassVar[str]
    capabilities: ClassVar[frozenset[Capability]] = frozenset()
    Settings: ClassVar[type[Any]]
    docs_url: ClassVar[str] = ""
    fake: ClassVar[str | None] = None
    supports_idempotency_key: ClassVar[bool] = False
    batch_size: ClassVar[int] = 1
    rate_limit: ClassVar[RateLimit | None] = None
    sensitive_headers: ClassVar[frozenset[str]] = frozenset()
    purchase_id_fields: ClassVar[tuple[str, ...]] = DEFAULT_PURCHASE_ID_FIELDS

    def __init__(self, settings: Any, *, clock: Callable[[], float] = time.time) -> None:
        self.settings = settings
        self.clock = clock

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.code!r}>"

    # -- identity -------------------------------------------------------------------------

    @classmethod
    def recognize(cls, number: str) -> Identification | None:
        """Claim ``number`` (already normalized: upper case, no spaces) if it looks like ours."""
        return None

    @classmethod
    def claim(cls, confidence: Confidence, reason: str) -> Identification:
        """This carrier's :class:`~carrier_sdk.Identification` of a number, for :meth:`recognize` to return.

        ::

            if ORDER_CODE.match(number):
                return cls.claim(Confidence.HIGH, "Acme order code AC + 9 digits")

        .. versionadded:: 0.4
        """
        from ._models import Identification

        return Identification(carrier=cls.code, confidence=confidence, reason=reason)

    @classmethod
    def recognize_s10(cls, number: str, country: str, *, inbound: bool = True) -> Identification | None:
        """The postal operator's rule for UPU S10 item ids (``RR123456785SG``), for :meth:`recognize`.

        A valid S10 id issued in ``country`` (its last two letters) is claimed with
        :attr:`~carrier_sdk.Confidence.HIGH`. With ``inbound``, a valid S10 id of any other post is
        claimed with :attr:`~carrier_sdk.Confidence.LOW`: the post of the destination country
        tracks the items it delivers, but the number does not say which country that is. Anything
        else, an S10 shape with a wrong check digit included, is ``None``::

            @classmethod
            def recognize(cls, number: str) -> Identification | None:
                return cls.recognize_s10(number, "SG")

        .. versionadded:: 0.4
        """
        if is_valid_s10(number, country):
            return cls.claim(Confidence.HIGH, f"UPU S10 item id issued by {cls.display_name} ({country})")
        if inbound and is_valid_s10(number):
            return cls.claim(
                Confidence.LOW,
                f"UPU S10 item id of another post: {cls.display_name} tracks it if delivered in {country}",
            )
        return None

    @classmethod
    def accepts(cls, number: str) -> bool:
        """Whether this carrier's network may carry ``number`` (already normalized).

        :meth:`recognize` claims numbers for auto-identification and must stay narrow, or it
        would claim other carriers' numbers. When the caller *names* the carrier
        (``track(number, carrier="cainiao")``), the wider question is this one: carriers move
        parcels under other operators' S10 ids, last-mile numbers and their own order codes, so
        a plausible number is sent and the carrier decides. The default accepts what
        :meth:`recognize` claims and any number without a ``plausibility_problem`` (letters
        and digits, 8-40 characters, a valid check digit when S10-shaped); override it to
        refuse shapes the carrier is known never to use. Must not raise.

        .. versionadded:: 0.2
        """
        return cls.recognize(number) is not None or plausibility_problem(number) is None

    @classmethod
    def check_number(cls, number: str) -> str:
        """Normalize ``number`` for sending; :class:`ValidationError` unless the carrier takes it.

        The carrier takes what :meth:`recognize` claims and, when the caller named the carrier,
        what :meth:`accepts` allows (recognition alone decides only when no carrier is named:
        the client resolves such numbers through :meth:`recognize` first).
        """
        if not isinstance(number, str):
            raise ValidationError(
                f"a tracking number is text, got {type(number).__name__}",
                field="tracking_number",
                constraint="str",
            )
        normalized = normalize_number(number)
        if normalized and normalized.isascii() and _takes(cls, normalized):
            return normalized
        reason = plausibility_problem(normalized) if normalized else "it is empty"
        raise ValidationError(
            f"{number[:64]!r} is not a plausible {cls.display_name} tracking number: "
            f"{reason or f'{cls.display_name} does not use numbers of this shape'}",
            field="tracking_number",
            constraint=f"{cls.code} tracking number",
        )

    @classmethod
    def map_status(cls, code: str, text: str = "") -> TrackingStatus:
        """Map one carrier event code (and its text, as a fallback) to a normalized status.

        Must never raise: unknown codes are :attr:`TrackingStatus.UNKNOWN`.
        """
        return TrackingStatus.UNKNOWN

    def track_batch_size(self) -> int:
        """How many numbers one :meth:`track_batch` request takes with these settings.

        ``batch_size`` when ``TRACK_BATCH`` is declared, else 1. Override when the settings
        decide (USPS batches only on its v3r2 tracking API); 1 means one ``track`` per number.
        """
        return self.batch_size if Capability.TRACK_BATCH in self.capabilities else 1

    def use_token_cache(self, cache: TokenCache) -> None:
        """Keep this adapter's tokens in ``cache`` (shared by every process using one state).

        The client calls this with a shared cache when its state backend is shared
        (``get(key, now, stale=)``, ``put(key, value, refresh_at)``, ``invalidate(key, value)``,
        see :class:`~carrier_sdk.state.LocalTokenCache`). Adapters that cache OAuth or payment
        tokens override it; the default (no tokens) ignores it.

        .. versionadded:: 0.2
        """

    def credential_id(self) -> str:
        """A non-secret identity of the credentials (rate-limit and retry-budget key)."""
        for name in ("client_id", "app_key", "username", "user", "api_key_id"):
            value: object = getattr(self.settings, name, None)
            if isinstance(value, str) and value:
                return value
        return "default"

    # -- operations ------------------------------------------------------------------------

    @classmethod
    def _unsupported(cls, operation: str) -> UnsupportedOperationError:
        return UnsupportedOperationError(
            f"{cls.display_name} does not support {operation}",
            carrier=cls.code,
            operation=operation,
        )

    def track(self, number: str) -> Flow[TrackingInfo]:
        """Track one number (already checked by :meth:`~carrier_sdk.adapters.Carrier.check_number`)."""
        raise self._unsupported("track")

    def track_batch(self, numbers: Sequence[str]) -> Flow[BatchOutcome]:
        """Track up to :attr:`batch_size` numbers in one request (``TRACK_BATCH``)."""
        raise self._unsupported("track_batch")

    def rates(self, request: RateRequest) -> Flow[list[Rate]]:
        """Price a shipment (``RATES``)."""
        raise self._unsupported("rates")

    def create_shipment(self, request: ShipmentRequest, *, idempotency_key: str) -> Flow[Shipment]:
        """Buy a label (``CREATE_SHIPMENT``); every request of the purchase carries the key."""
        raise self._unsupported("create_shipment")

    def cancel_shipment(self, tracking_number: str) -> Flow[Cancellation]:
        """Cancel (void, refund) a label (``CANCEL_SHIPMENT``)."""
        raise self._unsupported("cancel_shipment")

    def validate_address(self, address: Address) -> Flow[AddressCheck]:
        """Check and standardize an address (``VALIDATE_ADDRESS``)."""
        raise self._unsupported("validate_address")

    def create_return_label(self, request: ShipmentRequest, *, idempotency_key: str) -> Flow[Shipment]:
        """Buy a return label (``CREATE_RETURN_LABEL``): ``request.shipper`` sends the parcel back
        to ``request.recipient``; every request of the purchase carries the key.

        .. versionadded:: 0.3
        """
        raise self._unsupported("create_return_label")

    def create_manifest(
        self, tracking_numbers: Sequence[str], *, ship_date: date | None, origin: Address | None
    ) -> Flow[Manifest]:
        """Close the day with one manifest covering ``tracking_numbers`` (``CREATE_MANIFEST``).

        The numbers are this carrier's, once each, at least one (checked by the client);
        ``origin`` is where the parcels are handed over, when the caller gave it.

        .. versionadded:: 0.3
        """
        raise self._unsupported("create_manifest")

    def schedule_pickup(self, request: PickupRequest) -> Flow[Pickup]:
        """Ask the carrier to collect parcels (``SCHEDULE_PICKUP``); the date is not in the past.

        .. versionadded:: 0.3
        """
        raise self._unsupported("schedule_pickup")

    def cancel_pickup(self, confirmation: str) -> Flow[None]:
        """Cancel a scheduled pickup by its confirmation number (``CANCEL_PICKUP``).

        .. versionadded:: 0.3
        """
        raise self._unsupported("cancel_pickup")

    def pickup_availability(self, address: Address) -> Flow[PickupAvailability]:
        """Whether the carrier collects at ``address`` (``PICKUP_AVAILABILITY``).

        .. versionadded:: 0.3
        """
        raise self._unsupported("pickup_availability")

    def find_locations(self, near: Address | str, *, kind: LocationKind, limit: int) -> Flow[list[ServiceLocation]]:
        """Up to ``limit`` locations of ``kind`` near a postal code or an address, nearest first
        where the carrier orders them (``FIND_LOCATIONS``). A postal code the carrier cannot use
        is a :class:`~carrier_sdk.ValidationError` before any request; a ``kind`` the carrier has
        no such places of is :class:`~carrier_sdk.UnsupportedOperationError` before any request.

        .. versionadded:: 0.3
        """
        raise self._unsupported("find_locations")

    # -- helpers for adapters --------------------------------------------------------------

    def error_details(self, response: httpx.Response) -> tuple[str | None, str | None]:
        """The carrier's ``(error_code, error_message)`` from an error response, if any.

        Used by the core when it raises for statuses the flow never sees (5xx, 429 after
        retries). Must not raise.
        """
        return None, None

    def known_secrets(self, request: httpx.Request | None = None) -> tuple[str, ...]:
        """Every secret this adapter knows, to scrub from what the SDK keeps (excerpts, messages).

        The values of the settings' :class:`~carrier_sdk.Secret` fields, plus the values of the
        sensitive headers ``request`` carried (OAuth and payment tokens fetched at run time).
        """
        from ._redact import SENSITIVE_HEADERS
        from ._settings import Secret

        found: list[str] = []
        fields = getattr(type(self.settings), "__attrs_attrs__", ())
        for field in fields:
            value = getattr(self.settings, field.name, None)
            if isinstance(value, Secret) and value.get_secret_value():
                found.append(value.get_secret_value())
        if request is not None:
            sensitive = SENSITIVE_HEADERS | {h.lower() for h in self.sensitive_headers}
            for name, value in request.headers.multi_items():
                if name.lower() in sensitive:
                    found.append(value)
                    found.extend(part for part in value.split() if len(part) >= 8)
        return tuple(dict.fromkeys(found))

    def purchase_identifiers(self, response: httpx.Response) -> dict[str, str]:
        """What a purchase's success answer names (tracking number, order code), as far as readable.

        Called by the core when a purchase got a 2xx and something after it failed, so the body
        may be truncated, reshaped or empty: the default scans the raw bytes (JSON, XML or
        multipart alike) for :attr:`purchase_id_fields` instead of parsing. Must not raise.
        """
        return scan_identifiers(response.content, self.purchase_id_fields)

    def rejected_for_sure(self, response: httpx.Response) -> bool:
        """Whether an error response proves the carrier did not act on the request.

        Some carriers answer a rejected purchase with a 5xx (SOAP services send every fault
        with HTTP 500). When this returns ``True`` the core neither retries the response nor
        raises :class:`~carrier_sdk.OutcomeUnknownError`: it hands the response to the flow,
        which raises the typed error. Must not raise; the default is ``False``.
        """
        return False

    def api_error(
        self,
        response: httpx.Response,
        *,
        operation: str | None = None,
        error_code: str | None = None,
        error_message: str | None = None,
        not_found: type[NotFoundError] = NotFoundError,
        error_class: type[APIStatusError] | None = None,
        message: str | None = None,
    ) -> APIStatusError:
        """The typed error for a response the carrier refused: the one place a status becomes a class.

        By HTTP status: 401/403 -> :class:`~carrier_sdk.AuthenticationError`, 404/410 ->
        ``not_found`` (:class:`~carrier_sdk.TrackingNotFoundError` when tracking), 429 ->
        :class:`~carrier_sdk.RateLimitError` (with ``retry_after`` from the ``Retry-After``
        header), other 4xx -> :class:`~carrier_sdk.InvalidRequestError`, 5xx ->
        :class:`~carrier_sdk.CarrierServerError`, anything else (a redirect, an odd status) ->
        :class:`~carrier_sdk.APIStatusError`. The core raises it for statuses a flow never
        sees; flows raise it for the others.

        The error carries the carrier's own ``error_code`` and ``error_message`` (by default from
        :meth:`error_details`, which adapters override to read their error body), the request id
        from the response headers, and redacted copies of the request and response; the values of
        :meth:`known_secrets` are scrubbed from the code, the messages and the body excerpt.

        Args:
            response: The carrier's answer (any status).
            operation: The operation name the error reports (``"track"``).
            error_code: The carrier's code, when the flow has already read the body.
            error_message: The carrier's message, likewise.
            not_found: The class for 404/410 (e.g. :class:`~carrier_sdk.TrackingNotFoundError`).
            error_class: A class decided by the body instead of the status (a 400 whose body
                says "no such label", a 200 whose envelope says "unauthorized").
            message: The exception message; by default ``"<kind>: <carrier message or reason>"``.

        .. versionadded:: 0.4
           Replaces ``status_error`` (the function and the method), which it unifies.
        """
        if error_code is None and error_message is None:
            try:
                error_code, error_message = self.error_details(response)
            except Exception:  # an adapter bug must not hide the HTTP error itself
                error_code, error_message = None, None
        sensitive = tuple(self.sensitive_headers)
        secrets = self.known_secrets(response.request)
        if secrets:  # the carrier's own error text may echo a credential or a token
            error_code = scrub_text(error_code, secrets) if error_code else error_code
            error_message = scrub_text(error_message, secrets) if error_message else error_message
            message = scrub_text(message, secrets) if message else message
        request = redact_request(response.request, sensitive)
        cls, kind = (
            (error_class, _kind_of(error_class)) if error_class else _status_class(response.status_code, not_found)
        )
        kwargs: dict[str, Any] = {
            "carrier": self.code,
            "status_code": response.status_code,
            "error_code": error_code,
            "error_message": error_message,
            "response": redact_response(response, request, sensitive, secrets),
            "request": request,
            "request_id": _request_id(response),
            "operation": operation,
        }
        if issubclass(cls, RateLimitError):
            kwargs["retry_after"] = _parse_retry_after_header(response)
        return cls(message or f"{kind}: {error_message or response.reason_phrase or 'error'}", **kwargs)

    def parsing(self, response: httpx.Response, *, operation: str) -> AbstractContextManager[None]:
        """The one parsing guard: any of :data:`PARSE_ERRORS` inside becomes a :class:`~carrier_sdk.ResponseError`.

        ::

            with self.parsing(response, operation="track"):
                return to_tracking_info(self.code, number, parse_track(response.content))

        A :class:`~carrier_sdk.ValidationError` inside is converted too: there it means a model
        refused a value the carrier sent (a negative price, an unknown currency), which makes the
        response unusable, not the caller's input wrong. The
        :class:`~carrier_sdk.ResponseError` names the operation and the exception's type (never
        its text, which may quote the body), carries the status, the request id and the redacted
        request, and is raised ``from None``. Other exceptions, the SDK's own errors included,
        pass through unchanged.

        .. versionadded:: 0.4
        """
        return _ParsingGuard(self, response, operation)

    def response_error(self, response: httpx.Response, reason: str, *, operation: str | None = None) -> ResponseError:
        """A :class:`ResponseError` for a response whose body cannot be used."""
        return ResponseError(
            f"unusable response: {reason}",
            carrier=self.code,
            operation=operation,
            status_code=response.status_code,
            request=redact_request(response.request, self.sensitive_headers),
            request_id=_request_id(response),
        )

    def parse_json(
        self,
        response: httpx.Response,
        *,
        operation: str | None = None,
        object_pairs_hook: Callable[[list[tuple[str, object]]], object] | None = None,
    ) -> Any:
        """Decode a JSON body strictly: no NaN/Infinity, no huge numbers, no deep nesting.

        ``object_pairs_hook`` (as in :func:`json.loads`) sees every key of every object, repeated
        keys included, for carriers whose bodies repeat a key (Correos repeats ``eventos``).
        """
        try:
            text = response.content.decode("utf-8")
        except UnicodeDecodeError:
            raise self.response_error(response, "body is not UTF-8", operation=operation) from None
        if not text.strip():
            raise self.response_error(response, "empty body", operation=operation)
        try:
            return _json_decoder(object_pairs_hook).decode(text)
        except (ValueError, RecursionError) as err:
            raise self.response_error(response, f"invalid JSON ({type(err).__name__})", operation=operation) from None

    def parse_xml(self, response: httpx.Response, *, operation: str | None = None) -> Element:
        """Parse an XML body with the hardened parser (see :func:`carrier_sdk._xml.parse_xml`)."""
        from ._xml import parse_xml

        try:
            return parse_xml(response.content, carrier=self.code, operation=operation, status_code=response.status_code)
        except ResponseError as err:
            err.request = redact_request(response.request, self.sensitive_headers)  # redacted only when it is raised
            raise
