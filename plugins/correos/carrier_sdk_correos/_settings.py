"""Settings of the Correos adapter."""

from __future__ import annotations

from typing import Any

import attrs

from carrier_sdk import Secret, ValidationError

from ._wire import LENGTH_LIMITS

__all__ = ["ENVIRONMENTS", "CorreosSettings"]

#: Accepted spellings of the two environments.
ENVIRONMENTS = {
    "production": "production",
    "prod": "production",
    "pro": "production",
    "pre-production": "pre-production",
    "preproduction": "pre-production",
    "pre": "pre-production",
    "test": "pre-production",
    "sandbox": "pre-production",
}


def _environment(value: Any) -> str:
    key = str(value).strip().lower().replace("_", "-")
    if key not in ENVIRONMENTS:
        raise ValidationError(
            "environment must be 'production' or 'pre-production'",
            field="environment",
            constraint="production | pre-production",
        )
    return ENVIRONMENTS[key]


def _labeller(value: Any) -> str:
    text = str(value or "").strip().upper()
    limit = LENGTH_LIMITS["CodEtiquetador"]
    if len(text) > limit or (text and not text.isalnum()):
        raise ValidationError(
            f"labeller_code (CodEtiquetador) is at most {limit} letters or digits",
            field="labeller_code",
            constraint=f"<= {limit} alphanumeric characters",
        )
    return text


def _check_url(value: Any, field: str) -> str:
    text = str(value or "").strip()
    if text and not text.startswith(("https://", "http://")):
        raise ValidationError(f"{field} must be an http(s) URL", field=field, constraint="http(s) URL")
    return text.rstrip("/")


def _tracking_url(value: Any) -> str:
    return _check_url(value, "tracking_base_url")


def _preregistro_url(value: Any) -> str:
    return _check_url(value, "preregistro_url")


def _language(value: Any) -> str:
    text = str(value).strip().upper()
    if text not in ("ES", "EN"):
        raise ValidationError("tracking_language must be ES or EN", field="tracking_language", constraint="ES | EN")
    return text


@attrs.frozen(kw_only=True)
class CorreosSettings:
    """Settings of :class:`~carrier_sdk_correos.CorreosCarrier`.

    Tracking needs only ``tracking_user``/``tracking_password`` (localizador Basic auth).
    Shipments also need ``preregistro_user``, ``preregistro_password`` and ``labeller_code``;
    without them a shipment operation raises :class:`~carrier_sdk.ConfigurationError`.
    Every field can come from ``CARRIER_SDK_CORREOS_<FIELD>``.
    """

    tracking_user: str
    tracking_password: Secret = attrs.field(converter=Secret.coerce, repr=False)  # type: ignore[misc]
    preregistro_user: str = ""
    preregistro_password: Secret = attrs.field(default=Secret(""), converter=Secret.coerce, repr=False)  # type: ignore[misc]
    labeller_code: str = attrs.field(default="", converter=_labeller)
    contract_number: str = ""
    client_number: str = ""
    environment: str = attrs.field(default="production", converter=_environment)
    tracking_base_url: str = attrs.field(default="", converter=_tracking_url)
    preregistro_url: str = attrs.field(default="", converter=_preregistro_url)
    tracking_language: str = attrs.field(default="ES", converter=_language)

    @property
    def can_ship(self) -> bool:
        """Whether the pre-registration credentials are all set."""
        return bool(self.preregistro_user and self.preregistro_password and self.labeller_code)
