"""The Singapore Post carrier: tracking (single and batch) over the PAW/APIM XML service."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any, ClassVar

import httpx

from carrier_sdk import (
    Capability,
    CarrierError,
    Identification,
    RateLimitError,
    TrackingInfo,
    TrackingNotFoundError,
    TrackingStatus,
)
from carrier_sdk.adapters import (
    PARSE_ERRORS,
    BatchOutcome,
    Carrier,
    Flow,
    RequestOptions,
    api_request,
    normalize_number,
)

from . import _mapping, _wire
from ._settings import SingPostSettings
from ._wire import (
    AUTH_HEADER,
    BATCH_SIZE,
    CONTENT_TYPE,
    RATE_LIMIT_MARKER,
    SMARTPAC_PATTERN,
    SUCCESS_CODE,
    WireItem,
    WireResponse,
    looks_rate_limited,
)

__all__ = ["SingPostCarrier"]


class SingPostCarrier(Carrier):
    """Singapore Post: tracking only (no public rate, label, cancel or address API exists).

    One request tracks up to :data:`BATCH_SIZE` numbers; numbers SingPost does not know come
    back as :class:`~carrier_sdk.TrackingNotFoundError` per number.

    .. versionadded:: 0.1
    """

    code: ClassVar[str] = "singpost"
    display_name: ClassVar[str] = "Singapore Post"
    capabilities: ClassVar[frozenset[Capability]] = frozenset({Capability.TRACK, Capability.TRACK_BATCH})
    Settings: ClassVar[type[Any]] = SingPostSettings
    docs_url: ClassVar[str] = "https://www.singpost.com/track-items"
    fake: ClassVar[str | None] = "carrier_sdk_singpost.fake:SingPostFake"
    batch_size: ClassVar[int] = BATCH_SIZE
    sensitive_headers: ClassVar[frozenset[str]] = frozenset({AUTH_HEADER.lower()})

    settings: SingPostSettings

    # -- identity -------------------------------------------------------------------------

    @classmethod
    def recognize(cls, number: str) -> Identification | None:
        return cls.recognize_s10(number, "SG")

    @classmethod
    def accepts(cls, number: str) -> bool:
        """S10 items (any post: SingPost delivers inbound mail) and 21-character SmartPac numbers.

        :meth:`recognize` never claims SmartPac numbers (21 alphanumerics would claim other
        carriers' numbers); they are sent when the caller names SingPost. Other shapes pass the
        core plausibility rule.
        """
        return SMARTPAC_PATTERN.match(number) is not None or super().accepts(number)

    @classmethod
    def map_status(cls, code: str, text: str = "") -> TrackingStatus:
        return _mapping.map_status(code, text)

    def credential_id(self) -> str:
        key = self.settings.api_key.get_secret_value()
        if not key:
            return "default"
        return "key-" + hashlib.sha256(key.encode()).hexdigest()[:12]

    # -- requests -------------------------------------------------------------------------

    def _headers(self) -> dict[str, str]:
        headers = {"Content-Type": CONTENT_TYPE, "Accept": "application/xml, text/xml"}
        key = self.settings.api_key.get_secret_value()
        if key:
            headers[AUTH_HEADER] = key
        return headers

    def _request(self, numbers: Sequence[str], operation: str) -> httpx.Request:
        return api_request(
            "POST",
            self.settings.base_url,
            headers=self._headers(),
            content=_wire.build_request(numbers, self.settings.system_id),
            # The POST only reads: safe to resend on timeouts and 5xx.
            options=RequestOptions(operation=operation, idempotent=True),
        )

    def _read(self, response: httpx.Response, operation: str) -> WireResponse:
        """Check status, throttling text and ``ErrorCode``; return the parsed response."""
        if looks_rate_limited(response.content):
            raise self.api_error(
                response, operation=operation, error_class=RateLimitError, error_message=RATE_LIMIT_MARKER
            )
        if not response.is_success:
            # A 404 here is a wrong endpoint, never an unknown number (that is reported in-body).
            raise self.api_error(response, operation=operation)
        root = self.parse_xml(response, operation=operation)  # hardened: DTDs, entities, deep nesting refused
        with self.parsing(response, operation=operation):
            wire = _wire.parse_response(root)
        if wire.error_code != SUCCESS_CODE:
            cls = _mapping.error_class(wire.error_code, wire.error_desc)
            desc = wire.error_desc
            message: str | None = f"SingPost error {wire.error_code}: {desc or 'no description'}"
            if issubclass(cls, RateLimitError):
                desc, message = desc or RATE_LIMIT_MARKER, None
            raise self.api_error(
                response,
                operation=operation,
                error_class=cls,
                error_code=wire.error_code,
                error_message=desc or None,
                message=message,
            )
        return wire

    def _outcome(self, item: WireItem | None, number: str, response: httpx.Response, operation: str) -> Any:
        """The :class:`TrackingInfo` for ``number``, or the error to report for it."""
        if item is None:
            return self.response_error(response, f"the response did not mention {number}", operation=operation)
        if item.found is False or (item.found is None and not item.events):
            return self.api_error(
                response,
                operation=operation,
                error_class=TrackingNotFoundError,
                message=f"SingPost does not know {number}",
            )
        try:
            return _mapping.to_tracking_info(self.code, number, item)
        except PARSE_ERRORS + (CarrierError,) as err:  # noqa: RUF005 (mypy rejects a starred except tuple)
            return self.response_error(
                response, f"unusable tracking data for {number} ({type(err).__name__})", operation=operation
            )

    @staticmethod
    def _by_number(wire: WireResponse) -> dict[str, WireItem]:
        items: dict[str, WireItem] = {}
        for item in wire.items:
            items.setdefault(normalize_number(item.tracking_number), item)
        return items

    def error_details(self, response: httpx.Response) -> tuple[str | None, str | None]:
        try:
            if looks_rate_limited(response.content):
                return None, RATE_LIMIT_MARKER
            body = response.content
            if body.lstrip().startswith(b"<"):
                wire = _wire.parse_response(self.parse_xml(response))
                if wire.error_code != SUCCESS_CODE:
                    return wire.error_code, wire.error_desc or None
                return None, None
            text = body[:200].decode("utf-8", "replace").strip()
            return None, text or None
        except Exception:  # must not raise, whatever the body
            return None, None

    # -- operations ------------------------------------------------------------------------

    def track(self, number: str) -> Flow[TrackingInfo]:
        response = yield self._request([number], "track")
        wire = self._read(response, "track")
        outcome = self._outcome(self._by_number(wire).get(normalize_number(number)), number, response, "track")
        if isinstance(outcome, CarrierError):
            raise outcome
        info: TrackingInfo = outcome
        return info

    def track_batch(self, numbers: Sequence[str]) -> Flow[BatchOutcome]:
        """Track ``numbers`` in requests of at most :data:`BATCH_SIZE`.

        A failure of a whole request (HTTP error, ``ErrorCode`` != 0, throttling) raises; a
        number SingPost does not know, or whose data is unusable, gets its own error in the
        mapping.
        """
        unique = list(dict.fromkeys(numbers))
        out: dict[str, TrackingInfo | CarrierError] = {}
        for start in range(0, len(unique), BATCH_SIZE):
            chunk = unique[start : start + BATCH_SIZE]
            response = yield self._request(chunk, "track_batch")
            items = self._by_number(self._read(response, "track_batch"))
            for number in chunk:
                out[number] = self._outcome(items.get(normalize_number(number)), number, response, "track_batch")
        return out
