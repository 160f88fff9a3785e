"""The SDK's domain models: frozen, keyword-only attrs classes validated on construction.

Wire payloads never become models directly: each adapter maps its carrier's schemas onto these
with pure functions. Money is :class:`~decimal.Decimal` with an ISO 4217 currency; datetimes are
timezone-aware UTC; collections are tuples.
"""

from __future__ import annotations

import enum
import operator
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, TypeVar

import attrs

from ._enums import (
    Capability,
    Confidence,
    DimensionUnit,
    LabelFormat,
    TrackingStatus,
    WeightUnit,
)
from ._exceptions import CarrierError, ValidationError
from ._serialization import JSONValue
from ._validation import check_country, check_currency, check_int, check_positive, check_text, to_decimal

__all__ = [
    "Address",
    "AddressCheck",
    "Cancellation",
    "CarrierInfo",
    "Customs",
    "CustomsItem",
    "Fee",
    "Identification",
    "Label",
    "Location",
    "Money",
    "Parcel",
    "Rate",
    "RateRequest",
    "RelatedNumber",
    "Shipment",
    "ShipmentRequest",
    "TrackingEvent",
    "TrackingInfo",
    "TrackingResult",
]

#: Largest accepted parcel weight, in kilograms, whatever the unit it is given in.
MAX_WEIGHT_KG = Decimal(1000)
#: Largest accepted parcel dimension, in centimetres.
MAX_DIMENSION_CM = Decimal(1000)

_E = TypeVar("_E", bound=enum.Enum)

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


# Converters are named, typed functions: mypy's attrs plugin and pyright read the type of their
# first parameter as the constructor's parameter type, and attrs copies it into ``__init__``'s
# annotations, so ``inspect.signature`` shows what a field accepts.


def _text(field: str, max_length: int, required: bool = False) -> Any:
    """A text field: stripped, NFC-normalized, bounded; ``""`` by default.

    The field is declared ``name: str = _text(...)``: checkers see a ``str`` with a default.
    """

    def convert(value: str) -> str:
        return check_text(value, field, max_length=max_length, required=required)

    return attrs.field(default="", converter=convert)


def _aware(value: datetime | str, field: str) -> datetime:
    if type(value) is datetime and value.tzinfo is UTC:
        return value  # already normalized (what the adapters' parsers build): skip the checks
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise ValidationError(f"{field} must be an ISO 8601 datetime", field=field, constraint="ISO 8601") from None
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise ValidationError(f"{field} must be a timezone-aware datetime", field=field, constraint="tz-aware")
    return value.astimezone(UTC)


def _occurred_at(value: datetime | str) -> datetime:
    return _aware(value, "occurred_at")


def _opt_date(value: date | str | None) -> date | None:
    if value is None or (isinstance(value, date) and not isinstance(value, datetime)):
        return value
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise ValidationError("expected an ISO 8601 date", field="date", constraint="ISO 8601 date")


def _enum(cls: type[_E], value: _E | str, field: str) -> _E:
    if type(value) is cls:
        return value  # a member already (what cls(value) would return)
    try:
        return cls(value)
    except ValueError:
        allowed = ", ".join(str(m.value) for m in cls)
        raise ValidationError(
            f"{field} must be one of {allowed}, got {value!r}", field=field, constraint=allowed
        ) from None


def _weight_unit(value: WeightUnit | str) -> WeightUnit:
    return _enum(WeightUnit, value, "weight_unit")


def _dimension_unit(value: DimensionUnit | str) -> DimensionUnit:
    return _enum(DimensionUnit, value, "dimension_unit")


def _label_format(value: LabelFormat | str) -> LabelFormat:
    return _enum(LabelFormat, value, "label_format")


def _format(value: LabelFormat | str) -> LabelFormat:
    return _enum(LabelFormat, value, "format")


def _status(value: TrackingStatus | str) -> TrackingStatus:
    return _enum(TrackingStatus, value, "status")


def _confidence(value: Confidence | int) -> Confidence:
    try:
        return Confidence(value)
    except ValueError:
        allowed = ", ".join(f"{m.value} ({m})" for m in Confidence)
        raise ValidationError(
            f"confidence must be one of {allowed}, got {value!r}", field="confidence", constraint=allowed
        ) from None


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


def _strings(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(value)


def _related(value: Iterable[RelatedNumber]) -> tuple[RelatedNumber, ...]:
    return tuple(value)


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
class RelatedNumber:
    """Another tracking number for the same parcel: another leg, a relabel, a handover.

    ``carrier`` is the code of the carrier that knows the number, when the payload says which.
    ``relation`` says how it is related (``"last_mile"``, ``"associated"``, ``"origin"``).
    """

    tracking_number: str
    carrier: str | None = None
    relation: str = "related"


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


@attrs.frozen(kw_only=True)
class Location:
    """Where a tracking event happened, as precisely as the carrier said."""

    city: str = ""
    state: str = ""
    postal_code: str = ""
    country: str = ""
    facility: str = ""

    def __str__(self) -> str:
        parts = [p for p in (self.facility, self.city, self.state, self.postal_code, self.country) if p]
        return ", ".join(parts)


@attrs.frozen(kw_only=True)
class TrackingEvent:
    """One scan or status change.

    ``occurred_at`` is the UTC instant. ``local_time`` keeps the carrier's wall-clock text when
    the instant had to be derived from it. ``carrier_status_code``/``carrier_status_text`` are
    the carrier's own; ``status`` is the normalized one.
    """

    occurred_at: datetime = attrs.field(converter=_occurred_at)
    status: TrackingStatus = attrs.field(converter=_status)
    description: str = ""
    carrier_status_code: str = ""
    carrier_status_text: str = ""
    location: Location | None = None
    local_time: str = ""

    @classmethod
    def _parsed(
        cls,
        *,
        occurred_at: datetime,
        status: TrackingStatus,
        description: str = "",
        carrier_status_code: str = "",
        carrier_status_text: str = "",
        location: Location | None = None,
        local_time: str = "",
    ) -> TrackingEvent:
        """The event an adapter's parser builds, once per event of every history it reads.

        Equal to ``TrackingEvent(...)`` with the same arguments (the only converted fields are
        ``occurred_at`` and ``status``): when they are already what the converters return (a
        ``datetime`` in the ``UTC`` zone, a :class:`TrackingStatus`) the fields are set without
        the generated ``__init__``; anything else goes through it, converters and checks included.
        """
        if type(occurred_at) is not datetime or occurred_at.tzinfo is not UTC or type(status) is not TrackingStatus:
            return cls(
                occurred_at=occurred_at,
                status=status,
                description=description,
                carrier_status_code=carrier_status_code,
                carrier_status_text=carrier_status_text,
                location=location,
                local_time=local_time,
            )
        event = object.__new__(cls)
        _set_occurred_at(event, occurred_at)
        _set_status(event, status)
        _set_description(event, description)
        _set_carrier_status_code(event, carrier_status_code)
        _set_carrier_status_text(event, carrier_status_text)
        _set_location(event, location)
        _set_local_time(event, local_time)
        return event


def _setter(cls: type, name: str) -> Callable[[object, object], None]:
    """The ``__set__`` of a slotted attrs class's field: sets it on a frozen instance, by name."""
    setter: Callable[[object, object], None] = vars(cls)[name].__set__
    return setter


_set_occurred_at = _setter(TrackingEvent, "occurred_at")
_set_status = _setter(TrackingEvent, "status")
_set_description = _setter(TrackingEvent, "description")
_set_carrier_status_code = _setter(TrackingEvent, "carrier_status_code")
_set_carrier_status_text = _setter(TrackingEvent, "carrier_status_text")
_set_location = _setter(TrackingEvent, "location")
_set_local_time = _setter(TrackingEvent, "local_time")


_instant = operator.attrgetter("occurred_at")


def _sorted_events(value: Iterable[TrackingEvent]) -> tuple[TrackingEvent, ...]:
    return tuple(sorted(value, key=_instant))


@attrs.frozen(kw_only=True)
class TrackingInfo:
    """Everything known about one tracking number at one carrier.

    ``events`` are oldest first. ``status`` is the latest event's status unless the carrier
    reports a more current one (a cancelled label). ``related_numbers`` point to other legs of
    the same parcel (a Cainiao order handed to USPS for the last mile).

    ``estimated_delivery`` is the carrier's single expected date; when it gives a window,
    ``estimated_delivery_earliest`` and ``estimated_delivery_latest`` bound it. ``destination``
    is where the parcel is going, ``signed_by`` who signed for it and ``left_at`` where it was
    left, when the carrier says so; ``extra_services`` are the services bought with it.
    """

    carrier: str
    tracking_number: str
    status: TrackingStatus = attrs.field(converter=_status)
    events: tuple[TrackingEvent, ...] = attrs.field(default=(), converter=_sorted_events)
    estimated_delivery: date | None = attrs.field(default=None, converter=_opt_date)
    service: str = ""
    origin_country: str = ""
    destination_country: str = ""
    status_detail: str = ""
    related_numbers: tuple[RelatedNumber, ...] = attrs.field(default=(), converter=_related)
    destination: Location | None = None
    extra_services: tuple[str, ...] = attrs.field(default=(), converter=_strings)
    signed_by: str = ""
    left_at: str = ""
    estimated_delivery_earliest: date | None = attrs.field(default=None, converter=_opt_date)
    estimated_delivery_latest: date | None = attrs.field(default=None, converter=_opt_date)

    def __attrs_post_init__(self) -> None:
        early, late = self.estimated_delivery_earliest, self.estimated_delivery_latest
        if early is not None and late is not None and early > late:
            raise ValidationError(
                "estimated_delivery_earliest is after estimated_delivery_latest",
                field="estimated_delivery_earliest",
                constraint="<= estimated_delivery_latest",
            )

    @property
    def latest_event(self) -> TrackingEvent | None:
        """The most recent event, if any."""
        return self.events[-1] if self.events else None

    @staticmethod
    def status_of(events: Iterable[TrackingEvent]) -> TrackingStatus:
        """The status of the chronologically latest event, ``UNKNOWN`` if there is none."""
        given = tuple(events)
        # The last of the latest in the given order: what the stable sort would put last.
        return max(reversed(given), key=_instant).status if given else TrackingStatus.UNKNOWN


@attrs.frozen(kw_only=True)
class TrackingResult:
    """One outcome of :meth:`Client.track_many`: ``info`` on success, ``error`` otherwise."""

    number: str
    carrier: str | None = None
    info: TrackingInfo | None = None
    error: CarrierError | None = attrs.field(default=None, eq=False)

    @property
    def ok(self) -> bool:
        """Whether tracking succeeded."""
        return self.info is not None


@attrs.frozen(kw_only=True)
class Identification:
    """A carrier's claim on a tracking number, with how sure it is and why."""

    carrier: str
    confidence: Confidence = attrs.field(converter=_confidence)
    reason: str


@attrs.frozen(kw_only=True)
class CarrierInfo:
    """What :meth:`Client.carriers` reports about one installed carrier."""

    code: str
    display_name: str
    capabilities: frozenset[Capability]
    distribution: str = ""
    version: str = ""
    docs_url: str = ""
