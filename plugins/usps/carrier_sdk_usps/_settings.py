"""Settings of the USPS adapter (every field can be given as a string environment variable)."""

from __future__ import annotations

import re
from typing import Any

import attrs

from carrier_sdk import Environment, Secret, ValidationError

from ._wire import PRODUCTION_BASE_URL, TEST_BASE_URL

__all__ = ["ACCOUNT_TYPES", "LABEL_RESPONSES", "PRICE_TYPES", "TRACKING_APIS", "UspsSettings"]

TRACKING_APIS = ("v3", "v3r2")
ACCOUNT_TYPES = ("EPS", "PERMIT", "METER")
PRICE_TYPES = ("RETAIL", "COMMERCIAL", "CONTRACT")
LABEL_RESPONSES = ("multipart", "json")

_BASE_URLS = {Environment.PRODUCTION: PRODUCTION_BASE_URL, Environment.TEST: TEST_BASE_URL}
_MID = re.compile(r"^(\d{6}|\d{9})$")


def _choice(field: str, allowed: tuple[str, ...], *, upper: bool = False) -> Any:
    def convert(value: Any) -> str:
        text = str(value).strip()
        text = text.upper() if upper else text.lower()
        if text not in allowed:
            raise ValidationError(
                f"{field} must be one of {', '.join(allowed)}", field=field, constraint="|".join(allowed)
            )
        return text

    return convert


def _environment(value: Any) -> Environment:
    text = str(value).strip().lower()
    try:
        return Environment(text)
    except ValueError:
        raise ValidationError(
            "environment must be production or test", field="environment", constraint="production|test"
        ) from None


def _scopes(value: Any) -> str:
    """Normalize scopes: commas or whitespace between names, one space in the result."""
    return " ".join(part for part in re.split(r"[\s,]+", str(value)) if part)


def _mid(field: str) -> Any:
    def convert(value: Any) -> str:
        text = str(value).strip()
        if text and not _MID.match(text):
            raise ValidationError(f"{field} must be 6 or 9 digits", field=field, constraint="6 or 9 digits")
        return text

    return convert


def _strip(value: Any) -> str:
    return str(value).strip()


def _field(**kwargs: Any) -> Any:
    return attrs.field(**kwargs)


@attrs.frozen(kw_only=True)
class UspsSettings:
    """Settings of :class:`~carrier_sdk_usps.UspsCarrier`.

    Attributes:
        client_id: OAuth client id (the app's "Consumer Key").
        client_secret: OAuth client secret (the "Consumer Secret").
        environment: ``production`` (apis.usps.com) or ``test`` (apis-tem.usps.com).
        base_url: Overrides the environment's base URL (proxies, the fake).
        scopes: Space- or comma-separated OAuth scopes; empty asks for the app's default scopes.
        crid, mid, manifest_mid, account_type, account_number, permit_zip: The payment
            roles for labels (``POST /payments/v3/payment-authorization``).
        tracking_api: ``v3`` (GET one number) or ``v3r2`` (POST up to 35 numbers).
        price_type: ``RETAIL``, ``COMMERCIAL`` or ``CONTRACT`` for rates.
        label_response: ``multipart`` (USPS default) or ``json`` (one JSON with base64 images).
    """

    client_id: str = _field(converter=_strip)
    client_secret: Secret = attrs.field(converter=Secret.coerce, repr=False)  # type: ignore[misc]
    environment: Environment = attrs.field(default=Environment.PRODUCTION, converter=_environment)
    base_url: str = _field(default="", converter=_strip)
    scopes: str = _field(default="", converter=_scopes)
    crid: str = _field(default="", converter=_strip)
    mid: str = _field(default="", converter=_mid("mid"))
    manifest_mid: str = _field(default="", converter=_mid("manifest_mid"))
    account_type: str = _field(default="EPS", converter=_choice("account_type", ACCOUNT_TYPES, upper=True))
    account_number: str = _field(default="", converter=_strip)
    permit_zip: str = _field(default="", converter=_strip)
    tracking_api: str = _field(default="v3", converter=_choice("tracking_api", TRACKING_APIS))
    price_type: str = _field(default="COMMERCIAL", converter=_choice("price_type", PRICE_TYPES, upper=True))
    label_response: str = _field(default="multipart", converter=_choice("label_response", LABEL_RESPONSES))

    @property
    def api_base(self) -> str:
        """The base URL requests go to (no trailing slash)."""
        return (self.base_url or _BASE_URLS[self.environment]).rstrip("/")
