"""The shipping models: money, addresses, parcels, customs, rates, labels, shipments and the
answers about them. Frozen, keyword-only attrs classes validated on construction, like the
tracking models of :mod:`carrier_sdk._models`, whose field helpers they share.

A module of its own so that ``import carrier_sdk`` builds none of these classes (8 ms of a cold
import): the package resolves their names on first access, and a tracking-only program never
does.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal
from typing import Any

import attrs

from ._enums import DimensionUnit, LabelFormat, WeightUnit
from ._exceptions import ValidationError
from ._models import RelatedNumber, _enum, _opt_date, _related, _strings
from ._serialization import JSONValue
from ._validation import check_country, check_currency, check_int, check_positive, check_text, to_decimal

__all__ = [
    "Address",
    "AddressCheck",
    "Cancellation",
    "Customs",
    "CustomsItem",
    "Fee",
    "Label",
    "Money",
    "Parcel",
    "Rate",
    "RateRequest",
    "Shipment",
    "ShipmentRequest",
]

#: Largest accepted parcel weight, in kilograms, whatever the unit it is given in.
MAX_WEIGHT_KG = Decimal(1000)
#: Largest accepted parcel dimension, in centimetres.
MAX_DIMENSION_CM = Decimal(1000)

_TO_KG = {
    WeightUnit.G: Decimal("0.001"),
    WeightUnit.KG: Decimal(1),
    WeightUnit.OZ: Decimal("0.028349523125"),
    WeightUnit.LB: Decimal("0.45359237"),
}
_TO_CM = {
    DimensionUnit.MM: Decimal("0.1"),
    DimensionUnit.CM: Decimal(1),
    DimensionUnit.IN: Decimal("2.54"),
}


# Converters are named, typed functions, as in :mod:`carrier_sdk._models` (which says why).


def _text(field: str, max_length: int, required: bool = False) -> Any:
    """A text field: stripped, NFC-normalized, bounded; ``""`` by default.

    The field is declared ``name: str = _text(...)``: checkers see a ``str`` with a default.
    """

    def convert(value: str) -> str:
        return check_text(value, field, max_length=max_length, required=required)

    return attrs.field(default="", converter=convert)


def _weight_unit(value: WeightUnit | str) -> WeightUnit:
    return _enum(WeightUnit, value, "weight_unit")


def _dimension_unit(value: DimensionUnit | str) -> DimensionUnit:
    return _enum(DimensionUnit, value, "dimension_unit")


def _label_format(value: LabelFormat | str) -> LabelFormat:
    return _enum(LabelFormat, value, "label_format")


def _format(value: LabelFormat | str) -> LabelFormat:
    return _enum(LabelFormat, value, "format")


def _amount(value: Decimal | float | int | str) -> Decimal:
    return to_decimal(value, "amount")


def _currency(value: str) -> str:
    return check_currency(value, "currency")


def _country(value: str) -> str:
    return check_country(value, "country")


def _origin_country(value: str) -> str:
    return check_country(value, "origin_country")


def _weight(value: Decimal | float | int | str) -> Decimal:
    return check_positive(to_decimal(value, "weight"), "weight")


def _opt_positive(value: Decimal | float | int | str | None, field: str) -> Decimal | None:
    return None if value is None else check_positive(to_decimal(value, field), field)


def _length(value: Decimal | float | int | str | None) -> Decimal | None:
    return _opt_positive(value, "length")


def _width(value: Decimal | float | int | str | None) -> Decimal | None:
    return _opt_positive(value, "width")


def _height(value: Decimal | float | int | str | None) -> Decimal | None:
    return _opt_positive(value, "height")


@attrs.frozen(kw_only=True)
class Money:
    """An amount in one currency, exact (``Decimal``) and tagged with its ISO 4217 code."""

    amount: Decimal = attrs.field(converter=_amount)
    currency: str = attrs.field(converter=_currency)

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"


@attrs.frozen(kw_only=True)
class Address:
    """A postal address. ``country`` is an ISO 3166-1 alpha-2 code (normalized to upper case)."""

    name: str = _text("name", 100)
    company: str = _text("company", 100)
    street1: str = _text("street1", 100, required=True)
    street2: str = _text("street2", 100)
    city: str = _text("city", 60, required=True)
    state: str = _text("state", 40)
    postal_code: str = _text("postal_code", 16)
    country: str = attrs.field(converter=_country)
    phone: str = _text("phone", 30)
    email: str = _text("email", 100)

    def __attrs_post_init__(self) -> None:
        if not self.name and not self.company:
            raise ValidationError("an address needs a name or a company", field="name", constraint="name or company")


@attrs.frozen(kw_only=True)
class Parcel:
    """One physical package: a positive, finite weight and optional dimensions with units."""

    weight: Decimal = attrs.field(converter=_weight)
    weight_unit: WeightUnit = attrs.field(default=WeightUnit.KG, converter=_weight_unit)
    length: Decimal | None = attrs.field(default=None, converter=_length)
    width: Decimal | None = attrs.field(default=None, converter=_width)
    height: Decimal | None = attrs.field(default=None, converter=_height)
    dimension_unit: DimensionUnit = attrs.field(default=DimensionUnit.CM, converter=_dimension_unit)

    def __attrs_post_init__(self) -> None:
        if self.weight_in(WeightUnit.KG) > MAX_WEIGHT_KG:
            raise ValidationError(
                f"weight must be at most {MAX_WEIGHT_KG} kg",
                field="weight",
                constraint="<= 1000 kg",
            )
        dims = (self.length, self.width, self.height)
        if any(d is not None for d in dims) and any(d is None for d in dims):
            raise ValidationError("give all three dimensions or none", field="length", constraint="all or none")
        for name, value in zip(("length", "width", "height"), dims, strict=True):
            if value is not None and value * _TO_CM[self.dimension_unit] > MAX_DIMENSION_CM:
                raise ValidationError(
                    f"{name} must be at most {MAX_DIMENSION_CM} cm",
                    field=name,
                    constraint="<= 1000 cm",
                )

    def weight_in(self, unit: WeightUnit) -> Decimal:
        """The weight converted to ``unit``."""
        return self.weight * _TO_KG[self.weight_unit] / _TO_KG[unit]

    def dimensions_in(self, unit: DimensionUnit) -> tuple[Decimal, Decimal, Decimal] | None:
        """``(length, width, height)`` converted to ``unit``, or ``None`` when not given."""
        if self.length is None or self.width is None or self.height is None:
            return None
        factor = _TO_CM[self.dimension_unit] / _TO_CM[unit]
        return (self.length * factor, self.width * factor, self.height * factor)


def _hs_code(value: str) -> str:
    text = check_text(value, "hs_code", max_length=14).replace(".", "").replace(" ", "")
    if text and not (text.isascii() and text.isdigit() and 6 <= len(text) <= 10):
        raise ValidationError(
            f"hs_code must be 6 to 10 digits, got {value!r}",
            field="hs_code",
            constraint="6-10 digits",
        )
    return text


def _quantity(value: int) -> int:
    return check_int(value, "quantity", low=1, what="a positive integer", constraint=">= 1")


@attrs.frozen(kw_only=True)
class CustomsItem:
    """One line of a customs declaration. ``value`` is the value of one unit."""

    description: str = _text("description", 200, required=True)
    quantity: int = attrs.field(default=1, converter=_quantity)
    value: Money
    weight: Decimal = attrs.field(converter=_weight)
    weight_unit: WeightUnit = attrs.field(default=WeightUnit.KG, converter=_weight_unit)
    hs_code: str = attrs.field(default="", converter=_hs_code)
    origin_country: str = attrs.field(converter=_origin_country)
    sku: str = _text("sku", 64)

    @property
    def total_value(self) -> Money:
        """``value`` times ``quantity``."""
        return Money(amount=self.value.amount * self.quantity, currency=self.value.currency)

    def weight_in(self, unit: WeightUnit) -> Decimal:
        """The weight of one unit converted to ``unit`` (as :meth:`Parcel.weight_in`).

        .. versionadded:: 0.4
        """
        return self.weight * _TO_KG[self.weight_unit] / _TO_KG[unit]


def _items(value: Iterable[CustomsItem]) -> tuple[CustomsItem, ...]:
    items = tuple(value)
    if not items:
        raise ValidationError("customs needs at least one item", field="items", constraint="non-empty")
    return items


_INCOTERMS = frozenset({"DAP", "DDP", "DDU", "EXW", "FCA", "CPT", "CIP", "DPU"})


def _contents_type(value: str) -> str:
    return check_text(value, "contents_type", max_length=30, required=True)


def _incoterm(value: str) -> str:
    text = check_text(value, "incoterm", max_length=3, required=True).upper()
    if text not in _INCOTERMS:
        raise ValidationError(
            f"incoterm must be one of {sorted(_INCOTERMS)}, got {value!r}",
            field="incoterm",
            constraint="Incoterm",
        )
    return text


@attrs.frozen(kw_only=True)
class Customs:
    """A customs declaration for a cross-border shipment."""

    items: tuple[CustomsItem, ...] = attrs.field(converter=_items)
    contents_type: str = attrs.field(default="merchandise", converter=_contents_type)
    incoterm: str = attrs.field(default="DAP", converter=_incoterm)
    invoice_number: str = _text("invoice_number", 35)
    exporter_tax_id: str = _text("exporter_tax_id", 35)
    importer_tax_id: str = _text("importer_tax_id", 35)

    @property
    def total_value(self) -> Money:
        """The declared value of all items (they must share one currency)."""
        currencies = {item.value.currency for item in self.items}
        if len(currencies) != 1:
            raise ValidationError("customs items must share one currency", field="items", constraint="one currency")
        return Money(
            amount=sum((i.total_value.amount for i in self.items), Decimal(0)),
            currency=currencies.pop(),
        )


def _parcels(value: Iterable[Parcel]) -> tuple[Parcel, ...]:
    parcels = tuple(value)
    if not parcels:
        raise ValidationError("at least one parcel is required", field="parcels", constraint="non-empty")
    return parcels


_JSON_SCALARS = (str, int, float, bool, type(None))


def _json_value(value: Any, path: str) -> Any:
    if isinstance(value, _JSON_SCALARS):
        return value
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise ValidationError(f"{path} keys must be strings, got {key!r}", field="product", constraint="JSON")
            out[key] = _json_value(item, f"{path}.{key}")
        return out
    if isinstance(value, list | tuple):
        return [_json_value(item, f"{path}[{i}]") for i, item in enumerate(value)]
    raise ValidationError(
        f"{path} must hold JSON values only (str, int, float, bool, None, lists, mappings), got {type(value).__name__}",
        field="product",
        constraint="JSON",
    )


def _fees(value: Iterable[Fee]) -> tuple[Fee, ...]:
    return tuple(value)


def _product(value: Mapping[str, JSONValue] | None) -> dict[str, JSONValue]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ValidationError("product must be a mapping", field="product", constraint="mapping")
    result: dict[str, JSONValue] = _json_value(value, "product")
    return result


@attrs.frozen(kw_only=True)
class Fee:
    """One priced line of a quote besides the base price: a surcharge or a bought extra service.

    ``code`` is the carrier's identifier for it (a USPS SKU or extra-service code) when it gives one.
    """

    name: str
    amount: Money
    code: str = ""


@attrs.frozen(kw_only=True)
class RateRequest:
    """What to price: from where, to where, which parcels, optionally one service."""

    shipper: Address
    recipient: Address
    parcels: tuple[Parcel, ...] = attrs.field(converter=_parcels)
    service: str | None = None
    ship_date: date | None = attrs.field(default=None, converter=_opt_date)


@attrs.frozen(kw_only=True)
class ShipmentRequest:
    """A shipment to buy a label for.

    ``reference`` is your own id for the shipment (an order number); adapters send it to the
    carrier where it has a field for it, so a purchase whose outcome is unknown can be found.
    """

    shipper: Address
    recipient: Address
    parcels: tuple[Parcel, ...] = attrs.field(converter=_parcels)
    service: str | None = None
    customs: Customs | None = None
    reference: str = _text("reference", 64)
    label_format: LabelFormat = attrs.field(default=LabelFormat.PDF, converter=_label_format)
    ship_date: date | None = attrs.field(default=None, converter=_opt_date)
    rate: Rate | None = None

    @property
    def is_international(self) -> bool:
        """Whether shipper and recipient are in different countries."""
        return self.shipper.country != self.recipient.country

    def __attrs_post_init__(self) -> None:
        if self.is_international and self.customs is None:
            raise ValidationError(
                "an international shipment needs a customs declaration",
                field="customs",
                constraint="required when countries differ",
            )
        if self.rate is not None and self.service is not None and self.service != self.rate.service:
            raise ValidationError(
                f"service {self.service!r} differs from the quoted rate's service {self.rate.service!r}",
                field="service",
                constraint="same as rate.service",
            )


@attrs.frozen(kw_only=True)
class Rate:
    """A price quote for one product of one service.

    ``price`` is the total; ``base`` and ``fees`` break it down when the carrier does. Several
    quotes can share a ``service`` (flat-rate boxes, envelopes, zones): ``product_name`` is the
    carrier's name for the exact product and ``product`` is what the adapter needs to buy exactly
    it (opaque, JSON-ready, read by the adapter only). Pass the rate to
    :meth:`Client.create_shipment() <carrier_sdk.Client.create_shipment>` (``rate=``) to buy it.
    """

    carrier: str
    service: str
    service_name: str = ""
    price: Money
    estimated_days: int | None = None
    delivery_date: date | None = attrs.field(default=None, converter=_opt_date)
    product_name: str = ""
    base: Money | None = None
    fees: tuple[Fee, ...] = attrs.field(default=(), converter=_fees)
    zone: str = ""
    product: Mapping[str, JSONValue] = attrs.field(factory=dict, converter=_product, hash=False)


@attrs.frozen(kw_only=True)
class Label:
    """A printable label. ``data`` is the file's bytes (kept out of ``repr``)."""

    format: LabelFormat = attrs.field(converter=_format)
    data: bytes = attrs.field(repr=False)

    @property
    def size(self) -> int:
        """Length of the label file in bytes."""
        return len(self.data)


@attrs.frozen(kw_only=True)
class Shipment:
    """A bought label and what identifies it.

    ``idempotency_key`` is the key every attempt of the purchase carried: keep it to reconcile.
    """

    carrier: str
    tracking_number: str
    label: Label | None = None
    price: Money | None = None
    service: str = ""
    idempotency_key: str = ""
    carrier_reference: str = ""
    related_numbers: tuple[RelatedNumber, ...] = attrs.field(default=(), converter=_related)
    quoted_price: Money | None = None
    expected_delivery: date | None = attrs.field(default=None, converter=_opt_date)
    commitment: str = ""
    zone: str = ""

    @property
    def price_changed(self) -> bool:
        """Whether the carrier charged another price than the quote this shipment was bought from."""
        return self.quoted_price is not None and self.price is not None and self.price != self.quoted_price


@attrs.frozen(kw_only=True)
class Cancellation:
    """The result of cancelling (voiding, refunding) a shipment."""

    carrier: str
    tracking_number: str
    cancelled: bool
    status: str = ""
    message: str = ""


@attrs.frozen(kw_only=True)
class AddressCheck:
    """The carrier's verdict on an address.

    ``address`` is the standardized form when the carrier matched one (ZIP+4 in
    ``postal_code`` for USPS); ``corrections`` and ``messages`` are the carrier's notes.
    """

    carrier: str
    matched: bool
    address: Address | None = None
    corrections: tuple[str, ...] = attrs.field(default=(), converter=_strings)
    messages: tuple[str, ...] = attrs.field(default=(), converter=_strings)
    dpv_confirmation: str | None = None
    residential: bool | None = None
