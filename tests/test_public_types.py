"""Public signatures tell the truth: constructors show what they accept, no ``Any`` where a type exists."""

from __future__ import annotations

import importlib
import inspect
import re
import typing
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from types import ModuleType

import pytest

import carrier_sdk
from carrier_sdk import (
    Address,
    Client,
    Customs,
    CustomsItem,
    Journey,
    LabelFormat,
    Money,
    Parcel,
    ShipmentRequest,
    TrackingEvent,
    TrackingStatus,
    WeightUnit,
    to_dict,
)

#: Modules whose ``__all__`` is public API.
PUBLIC_MODULES = (
    "carrier_sdk",
    "carrier_sdk.adapters",
    "carrier_sdk.sandbox",
    "carrier_sdk.fakes",
    "carrier_sdk.hookspecs",
    "carrier_sdk.iso",
    "carrier_sdk.testing",
    "carrier_sdk.testing.conformance",
)

#: Where ``Any`` is the honest type, and why. Keys are ``module.Qualname[.member](parameter)``
#: or ``...->`` for a return annotation.
ALLOWED_ANY = {
    # Each adapter declares its own Settings class; the base class cannot name it.
    "carrier_sdk.adapters.lazy_exports->": "a module __getattr__, which returns whatever the named module holds",
    "carrier_sdk.adapters.lazy_adapter->": "a module __getattr__, which returns whatever the named module holds",
    "carrier_sdk.adapters.load_settings(value)": "a raw settings value of the adapter's own settings class",
    "carrier_sdk.adapters.load_settings->": "an instance of the adapter's own settings class",
    "carrier_sdk.adapters.Carrier(settings)": "an adapter's own Settings instance",
    "carrier_sdk.adapters.Carrier.__init__(settings)": "an adapter's own Settings instance",
    "carrier_sdk.testing.FakeCarrier(settings)": "inherits Carrier.__init__",
    # The carrier's JSON has whatever shape its API gives it; adapters map it through their schemas.
    "carrier_sdk.adapters.Carrier.parse_json->": "a decoded JSON document of the carrier's own shape",
    # ``make_flow`` receives the adapter's own Carrier subclass, which only the caller knows.
    "carrier_sdk.Client.run_flow(make_flow)": "the adapter's own Carrier subclass",
    "carrier_sdk.AsyncClient.run_flow(make_flow)": "the adapter's own Carrier subclass",
    # Keyword arguments forwarded to CarrierError.__init__, typed there.
    "carrier_sdk.RateLimitError(kwargs)": "forwarded to CarrierError",
    "carrier_sdk.RateLimitError.__init__(kwargs)": "forwarded to CarrierError",
    "carrier_sdk.ResponseError(kwargs)": "forwarded to CarrierError",
    "carrier_sdk.ResponseError.__init__(kwargs)": "forwarded to CarrierError",
    "carrier_sdk.ResponseTooLargeError(kwargs)": "forwarded to CarrierError",
    "carrier_sdk.ResponseTooLargeError.__init__(kwargs)": "forwarded to CarrierError",
    # httpx's own request argument types, passed through unchanged (httpx keeps them private).
    "carrier_sdk.adapters.api_request(params)": "httpx QueryParamTypes",
    "carrier_sdk.adapters.api_request(headers)": "httpx HeaderTypes",
    "carrier_sdk.adapters.api_request(json)": "any JSON-serializable value, as httpx takes it",
    "carrier_sdk.adapters.api_request(data)": "httpx RequestData",
    "carrier_sdk.adapters.api_request(files)": "httpx RequestFiles",
    # The test kit calls any client operation by name and forwards client options.
    "carrier_sdk.testing.OperationRunner.call(args)": "arguments of the named operation",
    "carrier_sdk.testing.OperationRunner.call(kwargs)": "arguments of the named operation",
    "carrier_sdk.testing.OperationRunner.call->": "the named operation's result",
    "carrier_sdk.testing.OperationRunner.__call__(args)": "arguments of the named operation",
    "carrier_sdk.testing.OperationRunner.__call__(kwargs)": "arguments of the named operation",
    "carrier_sdk.testing.OperationRunner.__call__->": "the named operation's result",
    "carrier_sdk.testing.OperationRunner.open(options)": "Client options",
    "carrier_sdk.testing.make_client(options)": "Client options",
    "carrier_sdk.testing.carrier_client_options->": "Client options",
    "carrier_sdk.testing.carrier_runner(carrier_client_options)": "Client options",
    "carrier_sdk.testing.carrier_settings->": "raw settings values of the adapter's own settings class",
    "carrier_sdk.testing.carrier_runner(carrier_settings)": "raw settings values of the adapter's own settings class",
    "carrier_sdk.testing.conformance.CarrierConformance.build_client(kwargs)": "Client options",
    "carrier_sdk.testing.conformance.CarrierConformance.call_probe->": "the probed operation's result",
    # Sandbox state: each fake's own attributes, tagged JSON (to retype with JSONValue, see fakes.py).
    "carrier_sdk.fakes.FakeCarrierAPI.snapshot->": "a fake's own state, JSON-ready",
    "carrier_sdk.fakes.FakeCarrierAPI.restore(snapshot)": "a fake's own state, JSON-ready",
    "carrier_sdk.fakes.encode_state(value)": "any value of a fake's state",
    "carrier_sdk.fakes.encode_state->": "tagged JSON of that value",
    "carrier_sdk.fakes.decode_state(data)": "tagged JSON",
    "carrier_sdk.fakes.decode_state->": "any value of a fake's state",
    "carrier_sdk.sandbox.Sandbox.snapshot->": "every fake's own state, JSON-ready",
    "carrier_sdk.sandbox.Sandbox.restore(snapshot)": "every fake's own state, JSON-ready",
}

_ANY = re.compile(r"\bAny\b")


def _annotation_text(annotation: object) -> str:
    return annotation if isinstance(annotation, str) else repr(annotation)


def _members(obj: type) -> Iterator[tuple[str, Callable[..., object]]]:
    yield "", obj
    for name, value in vars(obj).items():
        if name.startswith("_") and name not in ("__init__", "__call__"):
            continue
        if isinstance(value, property):
            if value.fget is not None:
                yield f".{name}", value.fget
        elif isinstance(value, staticmethod | classmethod):
            yield f".{name}", value.__func__
        elif callable(value):
            yield f".{name}", value


def _public_callables() -> Iterator[tuple[str, Callable[..., object]]]:
    seen: set[int] = set()
    for module_name in PUBLIC_MODULES:
        module: ModuleType = importlib.import_module(module_name)
        for name in module.__all__:
            obj = getattr(module, name)
            if id(obj) in seen or not callable(obj):
                continue
            seen.add(id(obj))
            if inspect.isclass(obj):
                for suffix, member in _members(obj):
                    yield f"{module_name}.{name}{suffix}", member
            else:
                yield f"{module_name}.{name}", obj


def _any_annotations() -> list[str]:
    found = []
    for qualname, obj in _public_callables():
        try:
            signature = inspect.signature(obj)
        except (TypeError, ValueError):  # builtins without a signature
            continue
        for parameter in signature.parameters.values():
            if _ANY.search(_annotation_text(parameter.annotation)):
                found.append(f"{qualname}({parameter.name})")
        if _ANY.search(_annotation_text(signature.return_annotation)):
            found.append(f"{qualname}->")
    return found


def test_the_walk_sees_the_public_api() -> None:
    names = {name for name, _ in _public_callables()}
    assert {"carrier_sdk.Parcel", "carrier_sdk.Client.track_journey", "carrier_sdk.sandbox.Sandbox.router"} <= names
    assert len(names) > 300


def test_no_public_signature_says_any_where_a_type_exists() -> None:
    found = _any_annotations()
    unexplained = sorted(set(found) - set(ALLOWED_ANY))
    assert not unexplained, "public signatures typed Any:\n" + "\n".join(unexplained)


def test_the_any_allowlist_has_no_stale_entries() -> None:
    stale = sorted(set(ALLOWED_ANY) - set(_any_annotations()))
    assert not stale, f"ALLOWED_ANY names signatures that are now typed: {stale}"


@pytest.mark.parametrize(
    ("cls", "parameter", "shown"),
    [
        (Parcel, "weight", "Decimal | float | int | str"),
        (Parcel, "weight_unit", "WeightUnit | str"),
        (Parcel, "length", "Decimal | float | int | str | None"),
        (ShipmentRequest, "parcels", "Iterable[Parcel]"),
        (ShipmentRequest, "label_format", "LabelFormat | str"),
        (ShipmentRequest, "ship_date", "date | str | None"),
        (Money, "amount", "Decimal | float | int | str"),
        (Address, "country", "str"),
        (Address, "name", "str"),
        (TrackingEvent, "occurred_at", "datetime | str"),
        (TrackingEvent, "status", "TrackingStatus | str"),
        (Customs, "items", "Iterable[CustomsItem]"),
    ],
)
def test_constructor_signatures_show_what_they_accept(cls: type, parameter: str, shown: str) -> None:
    assert inspect.signature(cls).parameters[parameter].annotation == shown


def test_attributes_hold_the_declared_types() -> None:
    parcel = Parcel(weight=0.5, weight_unit="lb", length="10", width=20, height=Decimal(5))
    assert parcel.weight == Decimal("0.5")
    assert type(parcel.weight) is Decimal
    assert parcel.weight_unit is WeightUnit.LB
    hints = typing.get_type_hints(Parcel)
    assert hints["weight"] is Decimal
    assert hints["weight_unit"] is WeightUnit
    home = Address(name="A", street1="1 Main St", city="Springfield", country="us")
    request = ShipmentRequest(shipper=home, recipient=home, parcels=[parcel], label_format="zpl")
    assert request.parcels == (parcel,)
    assert request.label_format is LabelFormat.ZPL
    event = TrackingEvent(occurred_at="2026-01-02T03:04:05+01:00", status="delivered")
    assert event.occurred_at == datetime(2026, 1, 2, 2, 4, 5, tzinfo=UTC)
    assert event.status is TrackingStatus.DELIVERED
    item = CustomsItem(description="Mug", value=Money(amount=5, currency="usd"), weight="0.3", origin_country="CN")
    assert Customs(items=[item]).items == (item,)


def test_track_journey_and_sandbox_are_typed() -> None:
    hints = typing.get_type_hints(Client.track_journey, localns={"Journey": Journey})
    assert hints["return"] is Journey
    assert inspect.signature(carrier_sdk.AsyncClient.track_journey).return_annotation == "Journey"
    assert inspect.signature(Client.sandbox.fget).return_annotation == "Sandbox | None"  # type: ignore[union-attr]


def test_to_dict_returns_a_mapping_of_json_values() -> None:
    assert inspect.signature(to_dict).return_annotation == ("dict[str, JSONValue] | list[dict[str, JSONValue]]")
    money = Money(amount="1.50", currency="EUR")
    assert to_dict(money) == {"amount": "1.50", "currency": "EUR"}
    assert to_dict([money, money]) == [{"amount": "1.50", "currency": "EUR"}] * 2
    with pytest.raises(TypeError, match="attrs model"):
        to_dict(Decimal(1))  # type: ignore[call-overload]
