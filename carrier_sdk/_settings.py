"""Carrier settings: the :class:`Secret` wrapper and loading from mappings and the environment."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import attrs

from ._exceptions import ConfigurationError, ValidationError

if TYPE_CHECKING:
    from ._carrier import Carrier

__all__ = ["ENV_PREFIX", "Secret", "did_you_mean", "env_var_name", "load_settings"]

ENV_PREFIX = "CARRIER_SDK"


class Secret:
    """A secret string that never shows itself in ``repr``, ``str``, logs or tracebacks.

    Read the value with :meth:`get_secret_value` at the one place it is sent.
    """

    __slots__ = ("_value",)

    def __init__(self, value: str | Secret) -> None:
        if isinstance(value, Secret):
            value = value.get_secret_value()
        if not isinstance(value, str):
            raise TypeError("a Secret wraps a str")
        self._value: str = value

    @classmethod
    def coerce(cls, value: str | Secret) -> Secret:
        """Wrap ``value`` unless it already is a :class:`Secret` (an attrs converter)."""
        return value if isinstance(value, Secret) else cls(value)

    def get_secret_value(self) -> str:
        """The secret itself."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('**********')" if self._value else "Secret('')"

    def __str__(self) -> str:
        return "**********" if self._value else ""

    def __eq__(self, other: object) -> bool:
        import hmac

        return isinstance(other, Secret) and hmac.compare_digest(self._value.encode(), other._value.encode())

    def __hash__(self) -> int:
        return hash((Secret, self._value))

    def __bool__(self) -> bool:
        return bool(self._value)

    def __reduce__(self) -> tuple[Any, ...]:
        return (Secret, (self._value,))


def env_var_name(carrier: str, field: str) -> str:
    """The environment variable read for a missing setting: ``CARRIER_SDK_USPS_CLIENT_ID``."""
    return f"{ENV_PREFIX}_{carrier.upper()}_{field.upper()}"


def did_you_mean(name: str, choices: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for the closest of ``choices`` to ``name``, or ``""``."""
    import difflib

    options = {c.lower(): c for c in choices}
    close = difflib.get_close_matches(name.lower(), list(options), n=1, cutoff=0.6)
    return f" (did you mean {options[close[0]]!r}?)" if close else ""


def load_settings(
    carrier: type[Carrier],
    value: Any,
    environ: Mapping[str, str] | None = None,
) -> Any:
    """Build ``carrier.Settings`` from a settings object, a plain mapping, or ``None``.

    Fields missing from the mapping are read from ``CARRIER_SDK_<CODE>_<FIELD>``. Unknown
    keys (with the closest known name) and missing required fields raise
    :class:`ConfigurationError` naming the field and the variable, never the value. Every
    missing field is reported at once, including groups of alternatives a settings class
    declares in a ``required_one_of`` class attribute (``(("logistic_provider_id", "app_key"),)``:
    one of them must be given).
    """
    settings_cls = carrier.Settings
    if isinstance(value, settings_cls):
        return value
    if value is not None and not isinstance(value, Mapping):
        raise ConfigurationError(f"settings for {carrier.code!r} must be a {settings_cls.__name__} or a mapping")
    given = dict(value or {})
    env = os.environ if environ is None else environ
    fields = {f.name: f for f in attrs.fields(settings_cls) if f.init}
    unknown = sorted(set(given) - set(fields))
    if unknown:
        named = ", ".join(f"{name}{did_you_mean(name, fields)}" for name in unknown)
        raise ConfigurationError(
            f"unknown settings for {carrier.code!r}: {named} (known: {', '.join(sorted(fields))})",
            carrier=carrier.code,
        )
    for name in fields:
        if name not in given:
            env_value = env.get(env_var_name(carrier.code, name))
            if env_value is not None:
                given[name] = env_value
    missing = [name for name, f in fields.items() if name not in given and f.default is attrs.NOTHING]
    described = [f"{m} (or ${env_var_name(carrier.code, m)})" for m in missing]
    # Groups of alternatives (one of them is required): reported in the same round.
    for group in getattr(settings_cls, "required_one_of", ()):
        if not any(given.get(name) not in (None, "") for name in group):
            missing.append(group[0])
            described.append(
                " or ".join(group) + " (or " + " or ".join(f"${env_var_name(carrier.code, n)}" for n in group) + ")"
            )
    if missing:
        raise ConfigurationError(
            f"missing settings for {carrier.code!r}: {', '.join(described)}", carrier=carrier.code, missing=missing
        )
    try:
        return settings_cls(**given)
    except ValidationError as err:
        raise ConfigurationError(f"invalid setting {err.field!r} for {carrier.code!r}: {err.constraint}") from None
    except (TypeError, ValueError) as err:
        # The message of a converter error can echo the value: do not pass it on.
        raise ConfigurationError(f"invalid settings for {carrier.code!r} ({type(err).__name__})") from None
