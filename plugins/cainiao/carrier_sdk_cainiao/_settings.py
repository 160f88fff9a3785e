"""Settings of the Cainiao adapter: LINK credentials, environment, per-API ``to_code`` overrides."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any, ClassVar

import attrs

from carrier_sdk import Environment, Secret, ValidationError

from ._wire import DEFAULT_TO_CODES, INTEGRATION_TEST_URL, PRE_PRODUCTION_URL, PRODUCTION_URL

__all__ = [
    "ENDPOINTS",
    "CainiaoEnvironment",
    "CainiaoSettings",
    "parse_to_codes",
]


class CainiaoEnvironment(enum.StrEnum):
    """Which LINK gateway to call."""

    PRODUCTION = "production"
    PRE_PRODUCTION = "pre_production"
    #: The Cainiao Global (``cnge.*``) integration-test environment.
    INTEGRATION_TEST = "integration_test"


#: Gateway URL per environment.
ENDPOINTS: Mapping[CainiaoEnvironment, str] = {
    CainiaoEnvironment.PRODUCTION: PRODUCTION_URL,
    CainiaoEnvironment.PRE_PRODUCTION: PRE_PRODUCTION_URL,
    CainiaoEnvironment.INTEGRATION_TEST: INTEGRATION_TEST_URL,
}

_ENV_ALIASES = {
    "production": CainiaoEnvironment.PRODUCTION,
    "prod": CainiaoEnvironment.PRODUCTION,
    "pre_production": CainiaoEnvironment.PRE_PRODUCTION,
    "preproduction": CainiaoEnvironment.PRE_PRODUCTION,
    "pre": CainiaoEnvironment.PRE_PRODUCTION,
    "prelink": CainiaoEnvironment.PRE_PRODUCTION,
    "integration_test": CainiaoEnvironment.INTEGRATION_TEST,
    "test": CainiaoEnvironment.INTEGRATION_TEST,
    "sandbox": CainiaoEnvironment.INTEGRATION_TEST,
}


def _environment(value: Any) -> CainiaoEnvironment:
    if isinstance(value, CainiaoEnvironment):
        return value
    if isinstance(value, Environment):
        value = value.value
    if isinstance(value, str):
        key = value.strip().lower().replace("-", "_").replace(" ", "_")
        if key in _ENV_ALIASES:
            return _ENV_ALIASES[key]
    allowed = ", ".join(e.value for e in CainiaoEnvironment)
    raise ValidationError(f"environment must be one of {allowed}", field="environment", constraint=allowed)


def parse_to_codes(value: Any) -> tuple[tuple[str, str], ...]:
    """``to_code`` overrides from a mapping or an env string ``"cnge.track.get=TRACK,cnge.order.create=X"``.

    Keys must be ``msg_type`` values this adapter sends (a typo must not silently do nothing).
    """
    if value is None or value == "":
        return ()
    pairs: list[tuple[Any, Any]]
    if isinstance(value, str):
        pairs = []
        for part in value.replace(";", ",").split(","):
            if not part.strip():
                continue
            key, sep, code = part.partition("=")
            if not sep:
                raise ValidationError(
                    "to_codes entries look like msg_type=TO_CODE", field="to_codes", constraint="msg_type=TO_CODE"
                )
            pairs.append((key, code))
    elif isinstance(value, Mapping):
        pairs = list(value.items())
    elif isinstance(value, tuple | list):
        pairs = [tuple(p) for p in value]
    else:
        raise ValidationError("to_codes must be a mapping or text", field="to_codes", constraint="mapping or text")
    out: dict[str, str] = {}
    for key, code in pairs:
        if not isinstance(key, str) or not isinstance(code, str):
            raise ValidationError("to_codes keys and values are text", field="to_codes", constraint="str=str")
        key, code = key.strip(), code.strip()
        if key not in DEFAULT_TO_CODES:
            known = ", ".join(sorted(DEFAULT_TO_CODES))
            raise ValidationError(
                f"to_codes: unknown msg_type {key!r} (known: {known})", field="to_codes", constraint=known
            )
        if not code or any(c.isspace() or ord(c) < 32 for c in code):
            raise ValidationError("to_codes values must be non-empty codes", field="to_codes", constraint="non-empty")
        out[key] = code
    return tuple(sorted(out.items()))


def _opt_url(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not value.startswith(("https://", "http://")):
        raise ValidationError("base_url must be an http(s) URL", field="base_url", constraint="http(s) URL")
    return value


def _lpid_default(self: Any) -> str:
    app_key: str = self.app_key
    return app_key


@attrs.frozen(kw_only=True)
class CainiaoSettings:
    """Settings of :class:`~carrier_sdk_cainiao.CainiaoCarrier`.

    Attributes:
        logistic_provider_id: The LINK resource code ("fromCode") of your account.
        app_key: Alias of ``logistic_provider_id`` (what the Cainiao portal sometimes calls it).
        secret_key: The LINK secret used to compute ``data_digest``.
        environment: ``production``, ``pre_production`` or ``integration_test`` (cnge.* test env).
        base_url: Gateway URL overriding the environment's (e.g. the EU cluster).
        to_codes: ``to_code`` overrides per ``msg_type`` (mapping, or ``"msg=CODE,msg=CODE"``).
        solution_code: Default ``solutionCode`` of created orders (``ShipmentRequest.service`` wins).
        locale: ``locale`` sent with requests (``en_US``, ``zh_CN``).
    """

    #: One of these is required (``load_settings`` reports it with the other missing settings).
    required_one_of: ClassVar[tuple[tuple[str, ...], ...]] = (("logistic_provider_id", "app_key"),)

    app_key: str = ""
    logistic_provider_id: str = attrs.field(default=attrs.Factory(_lpid_default, takes_self=True))
    secret_key: Secret = attrs.field(converter=Secret.coerce, repr=False)  # type: ignore[misc]
    environment: CainiaoEnvironment = attrs.field(default=CainiaoEnvironment.PRODUCTION, converter=_environment)
    base_url: str | None = attrs.field(default=None, converter=_opt_url)
    to_codes: tuple[tuple[str, str], ...] = attrs.field(default=(), converter=parse_to_codes)
    solution_code: str = "CN_GLO_STD"
    locale: str = "en_US"

    def __attrs_post_init__(self) -> None:
        lpid = self.logistic_provider_id
        if not isinstance(lpid, str) or not lpid.strip():
            raise ValidationError(
                "logistic_provider_id (or app_key) is required "
                "($CARRIER_SDK_CAINIAO_LOGISTIC_PROVIDER_ID or $CARRIER_SDK_CAINIAO_APP_KEY)",
                field="logistic_provider_id",
                constraint="non-empty (or app_key)",
            )
        if self.app_key and self.app_key != lpid:
            raise ValidationError(
                "app_key and logistic_provider_id are the same setting and differ",
                field="app_key",
                constraint="equal to logistic_provider_id",
            )
        if not self.secret_key:
            raise ValidationError("secret_key is required", field="secret_key", constraint="non-empty")

    @property
    def url(self) -> str:
        """The gateway URL requests go to."""
        return self.base_url or ENDPOINTS[self.environment]

    def to_code(self, msg_type: str) -> str:
        """The ``to_code`` sent with ``msg_type`` (override, else the documented default)."""
        return dict(self.to_codes).get(msg_type) or DEFAULT_TO_CODES[msg_type]
