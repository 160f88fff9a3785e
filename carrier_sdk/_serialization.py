"""JSON-ready conversion of the public models (one cattrs converter, hooks for the odd types).

``Decimal`` becomes a string (never a float), datetimes ISO 8601 with their UTC offset, dates
ISO 8601, ``bytes`` base64, enums their value, tuples and frozensets lists, and errors (on
``TrackingResult`` and journey legs) their type, text and carrier fields. The converter is built
on first use, so importing the SDK does not import cattrs.
"""

from __future__ import annotations

import base64
import binascii
import enum
import typing
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import Any, TypeAlias, TypeVar, overload

from ._exceptions import ValidationError

if typing.TYPE_CHECKING:
    import cattrs
    from attrs import AttrsInstance

__all__ = ["JSONValue", "from_dict", "get_converter", "to_dict"]

T = TypeVar("T")

#: A JSON value as :func:`to_dict` produces it and :func:`json.dumps` writes it.
JSONValue: TypeAlias = "str | int | float | bool | list[JSONValue] | dict[str, JSONValue] | None"

#: Error attributes carried into ``to_dict`` output (errors serialize one way only).
_ERROR_FIELDS = ("carrier", "status_code", "error_code", "error_message", "retry_after", "idempotency_key", "field")


def _structure_bytes(value: Any, _: Any) -> bytes:
    if not isinstance(value, str):
        raise TypeError("expected base64 text")
    try:
        return base64.b64decode(value, validate=True)
    except binascii.Error as err:
        raise ValueError(f"invalid base64: {err}") from None


def _structure_datetime(value: Any, _: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


def _structure_date(value: Any, _: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def _is_enum(t: Any) -> bool:
    return isinstance(t, type) and issubclass(t, enum.Enum)


def _is_frozenset(t: Any) -> bool:
    return t is frozenset or typing.get_origin(t) is frozenset


def _is_error(t: Any) -> bool:
    return isinstance(t, type) and issubclass(t, BaseException)


def _unstructure_error(error: BaseException) -> dict[str, Any]:
    data: dict[str, Any] = {"type": type(error).__name__, "message": str(error)}
    for name in _ERROR_FIELDS:
        value = getattr(error, name, None)
        if value is not None:
            data[name] = value
    return data


@cache
def get_converter() -> cattrs.Converter:
    """The converter behind :func:`to_dict` and :func:`from_dict`, built once on first use."""
    import cattrs

    converter = cattrs.Converter(forbid_extra_keys=True)

    def structure_frozenset(value: Any, cls: Any) -> frozenset[Any]:
        (item_type,) = getattr(cls, "__args__", (Any,))
        return frozenset(converter.structure(v, item_type) for v in value)

    converter.register_unstructure_hook_func(_is_enum, lambda v: v.value)
    converter.register_unstructure_hook(Decimal, str)
    converter.register_structure_hook(Decimal, lambda v, _: Decimal(str(v)))
    converter.register_unstructure_hook(datetime, lambda v: v.isoformat())
    converter.register_structure_hook(datetime, _structure_datetime)
    converter.register_unstructure_hook(date, lambda v: v.isoformat())
    converter.register_structure_hook(date, _structure_date)
    converter.register_unstructure_hook(bytes, lambda v: base64.b64encode(v).decode("ascii"))
    converter.register_structure_hook(bytes, _structure_bytes)
    converter.register_unstructure_hook_func(_is_frozenset, lambda v: sorted(converter.unstructure(x) for x in v))
    converter.register_structure_hook_func(_is_frozenset, structure_frozenset)
    converter.register_unstructure_hook_func(_is_error, _unstructure_error)
    return converter


@overload
def to_dict(model: AttrsInstance) -> dict[str, JSONValue]: ...
@overload
def to_dict(model: Sequence[AttrsInstance]) -> list[dict[str, JSONValue]]: ...
def to_dict(model: AttrsInstance | Sequence[AttrsInstance]) -> dict[str, JSONValue] | list[dict[str, JSONValue]]:
    """Convert a model (or a sequence of models) to plain JSON-compatible data.

    A model becomes a ``dict`` with one key per field, a sequence of models a ``list`` of them.

    .. versionadded:: 0.1
    """
    data = get_converter().unstructure(model)
    if isinstance(model, Sequence):
        return list(data)
    if not isinstance(data, dict):
        raise TypeError(f"to_dict expects an attrs model, got {type(model).__name__}")
    return data


def from_dict(cls: type[T], data: object) -> T:
    """Build a ``cls`` model from data made by :func:`to_dict`.

    Raises:
        ValidationError: ``data`` does not describe a valid ``cls``.

    .. versionadded:: 0.1
    """
    import cattrs

    try:
        return get_converter().structure(data, cls)
    except ValidationError:
        raise
    except cattrs.BaseValidationError as err:
        inner = [e for e in _leaves(err) if isinstance(e, ValidationError)]
        if inner:
            raise inner[0] from err
        raise ValidationError(
            f"cannot build {cls.__name__}: {'; '.join(cattrs.transform_error(err, format_exception=_explain))}",
            field=cls.__name__,
            constraint="structure",
        ) from err
    except (TypeError, ValueError, KeyError) as err:
        raise ValidationError(
            f"cannot build {cls.__name__}: {err}", field=cls.__name__, constraint="structure"
        ) from err


def _leaves(err: BaseException) -> list[BaseException]:
    if isinstance(err, BaseExceptionGroup):
        out: list[BaseException] = []
        for sub in err.exceptions:
            out.extend(_leaves(sub))
        return out
    return [err]


#: Names people use for a field, by the field's name here (suggested for unknown fields).
_ALIASES: dict[str, str] = {
    "zip": "postal_code",
    "zipcode": "postal_code",
    "zip_code": "postal_code",
    "postcode": "postal_code",
    "post_code": "postal_code",
    "postalcode": "postal_code",
    "province": "state",
    "region": "state",
    "address1": "street1",
    "address_1": "street1",
    "line1": "street1",
    "street": "street1",
    "address2": "street2",
    "address_2": "street2",
    "line2": "street2",
    "country_code": "country",
    "phone_number": "phone",
    "email_address": "email",
    "parcel": "parcels",
    "package": "parcels",
    "packages": "parcels",
    "sender": "shipper",
    "from": "shipper",
    "from_address": "shipper",
    "receiver": "recipient",
    "to": "recipient",
    "to_address": "recipient",
}


def suggest_field(name: str, fields: list[str]) -> str | None:
    """The field of ``fields`` that ``name`` most likely meant (``zip`` -> ``postal_code``), or None."""
    import difflib

    alias = _ALIASES.get(name.lower())
    if alias in fields:
        return alias
    close = difflib.get_close_matches(name.lower(), fields, n=1, cutoff=0.6)
    return close[0] if close else None


def _explain(exc: BaseException, type_: type | None) -> str:
    """cattrs' description of one error, with the right name suggested for an unknown field."""
    import attrs
    from cattrs.errors import ForbiddenExtraKeysError
    from cattrs.v import format_exception

    if isinstance(exc, ForbiddenExtraKeysError) and attrs.has(exc.cl):
        fields = [f.name for f in attrs.fields(exc.cl)]
        parts = []
        for extra in sorted(exc.extra_fields):
            better = suggest_field(extra, fields)
            parts.append(f"unknown field {extra!r}" + (f" (did you mean {better!r}?)" if better else ""))
        return "; ".join(parts)
    return format_exception(exc, type_)
