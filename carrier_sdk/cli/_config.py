"""Reading the config file (carrier settings) and shipment / address documents (JSON or TOML)."""

from __future__ import annotations

import json
import sys
import tomllib
from pathlib import Path
from typing import Any, TypeVar

import click

from .. import Address, RateRequest, ShipmentRequest, ValidationError, from_dict
from ._errors import EXIT_USAGE, CliError

__all__ = ["DOCUMENT", "address_from", "load_config", "load_document", "rate_request_from", "shipment_request_from"]

T = TypeVar("T")

#: A document argument or option (JSON or TOML): a file path, or ``-`` for stdin.
DOCUMENT = click.Path(dir_okay=False, allow_dash=True)

#: Fields of a shipment document that a :class:`RateRequest` also has.
RATE_FIELDS = ("shipper", "recipient", "parcels", "service", "ship_date")


def _usage(message: str) -> click.ClickException:
    return CliError(message, EXIT_USAGE)


def load_config(path: Path) -> dict[str, dict[str, Any]]:
    """Carrier settings from a TOML file: one table per carrier code.

    .. code-block:: toml

        [usps]
        client_id = "..."
        client_secret = "..."
    """
    try:
        with path.open("rb") as f:
            data = tomllib.load(f)
    except OSError as err:
        raise _usage(f"cannot read config file {str(path)!r}: {err.strerror or err}") from None
    except tomllib.TOMLDecodeError as err:
        raise _usage(f"config file {str(path)!r} is not valid TOML: {err}") from None
    bad = sorted(key for key, value in data.items() if not isinstance(value, dict))
    if bad:
        raise _usage(
            f"config file {str(path)!r}: top-level keys must be carrier tables like [usps], not {', '.join(bad)}"
        )
    return {code: dict(table) for code, table in data.items()}


def load_document(path: str) -> dict[str, Any]:
    """A JSON or TOML document (by suffix; ``-`` reads JSON from stdin) as a dict."""
    try:
        if path == "-":
            text = sys.stdin.read()
            kind = "json"
        else:
            file = Path(path)
            text = file.read_text(encoding="utf-8")
            kind = "toml" if file.suffix.lower() == ".toml" else "json"
    except (OSError, UnicodeDecodeError) as err:
        raise _usage(f"cannot read {path!r}: {err}") from None
    try:
        data = tomllib.loads(text) if kind == "toml" else json.loads(text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as err:
        raise _usage(f"{path!r} is not valid {kind.upper()}: {err}") from None
    if not isinstance(data, dict):
        raise _usage(f"{path!r} must hold an object (a table), not {type(data).__name__}")
    return data


def _build(cls: type[T], data: Any, source: str) -> T:
    try:
        return from_dict(cls, data)
    except ValidationError as err:
        raise _usage(f"{source}: {err}") from None


def shipment_request_from(path: str) -> ShipmentRequest:
    """A :class:`ShipmentRequest` from a shipment document."""
    return _build(ShipmentRequest, load_document(path), path)


def rate_request_from(path: str) -> RateRequest:
    """A :class:`RateRequest` from a shipment document (customs, reference and label format are ignored)."""
    data = load_document(path)
    return _build(RateRequest, {k: v for k, v in data.items() if k in RATE_FIELDS}, path)


def address_from(path: str | None, fields: dict[str, str | None]) -> Address:
    """An :class:`Address` from a document, with inline options overriding its fields."""
    data: dict[str, Any] = load_document(path) if path else {}
    if "address" in data and isinstance(data["address"], dict):
        data = data["address"]
    data.update({k: v for k, v in fields.items() if v is not None})
    return _build(Address, data, path or "address")
