"""Sample requests for tests: named addresses, a customs declaration and a cross-border label request.

Every value here is plausible enough for the built-in fakes and the sandbox to accept, and fixed, so
a test may assert what an adapter sends for it. Build a variant with keyword changes
(``sample_address("st-louis", street2="Suite 150")``) rather than writing the whole object again.
"""

from __future__ import annotations

from typing import Any

import attrs

from .._shipping import Address, Customs, CustomsItem, Money, Parcel, ShipmentRequest

__all__ = [
    "cross_border_request",
    "sample_address",
    "sample_addresses",
    "sample_customs",
    "sample_customs_item",
]

_COLUMNS = ("name", "street1", "city", "state", "postal_code", "country", "phone")

#: The sample addresses by place: one row of ``_COLUMNS`` each.
_PLACES: dict[str, tuple[str, str, str, str, str, str, str]] = {
    "washington": ("Ada Shipper", "1600 Pennsylvania Ave NW", "Washington", "DC", "20500", "US", "2025550100"),
    "new-york": ("Grace Recipient", "350 5th Ave", "New York", "NY", "10118", "US", "2125550100"),
    "st-louis": ("John Smith", "4120 Bingham Ave", "St. Louis", "MO", "63116", "US", ""),
    "st-louis-home": ("Joe Doe", "1100 Wyoming St", "St. Louis", "MO", "63118", "US", ""),
    "canberra": ("John Smith", "14 Kendall Lane", "Canberra", "ACT", "2601", "AU", ""),
    "madrid": ("Ada Remitente", "Calle de Alcala 1", "Madrid", "Madrid", "28014", "ES", "910000000"),
    "madrid-shop": ("Tienda Ejemplo SL", "Calle Mayor 1", "Madrid", "Madrid", "28001", "ES", "910 000 000"),
    "barcelona": ("Grace Destinataria", "Carrer de Mallorca 401", "Barcelona", "Barcelona", "08013", "ES", "930000000"),
    "eunos": ("Ada Sender", "10 Eunos Road 8", "Singapore", "", "408600", "SG", "65550100"),
    "raffles-place": ("Grace Recipient", "1 Raffles Place", "Singapore", "", "048616", "SG", "65550101"),
    "hangzhou": ("Ada Sender", "969 West Wen Yi Road", "Hangzhou", "Zhejiang", "311121", "CN", "13800000000"),
    "beijing": ("Grace Recipient", "1 Jianguomenwai Ave", "Beijing", "Beijing", "100004", "CN", "13900000000"),
    "london": ("Ada Sender", "10 Downing Street", "London", "", "SW1A 2AA", "GB", "2070000000"),
    "edinburgh": ("Grace Recipient", "1 Princes Street", "Edinburgh", "", "EH2 2EQ", "GB", "1310000000"),
}

#: The ``(shipper, recipient)`` places of :func:`sample_addresses`, one pair per country.
_PAIRS: tuple[tuple[str, str], ...] = (
    ("washington", "new-york"),
    ("madrid", "barcelona"),
    ("eunos", "raffles-place"),
    ("hangzhou", "beijing"),
    ("london", "edinburgh"),
)
_PAIR_BY_COUNTRY = {_PLACES[shipper][_COLUMNS.index("country")]: (shipper, recipient) for shipper, recipient in _PAIRS}


def sample_address(place: str, **changes: str) -> Address:
    """The sample address of ``place``, with ``changes`` applied.

    Args:
        place: One of ``"washington"``, ``"new-york"``, ``"st-louis"``, ``"st-louis-home"`` (US),
            ``"canberra"`` (AU), ``"madrid"``, ``"madrid-shop"``, ``"barcelona"`` (ES), ``"eunos"``,
            ``"raffles-place"`` (SG), ``"hangzhou"``, ``"beijing"`` (CN), ``"london"``,
            ``"edinburgh"`` (GB).
        **changes: :class:`~carrier_sdk.Address` fields to set or replace (``street2="Suite 150"``).

    Raises:
        KeyError: ``place`` is not a sample place.

    .. versionadded:: 0.1
    """
    fields: dict[str, str] = dict(zip(_COLUMNS, _PLACES[place], strict=True))
    fields.update(changes)
    return Address(**fields)


def sample_addresses(country: str) -> tuple[Address, Address]:
    """A plausible ``(shipper, recipient)`` pair in ``country`` (US when unknown)."""
    shipper, recipient = _PAIR_BY_COUNTRY.get(country.upper(), _PAIRS[0])
    return sample_address(shipper), sample_address(recipient)


def sample_customs_item(**changes: object) -> CustomsItem:
    """One customs item line: two jigsaw puzzles made in China (HS 9503.00.41, SKU 373871), 12.34 USD
    and 200 g each.

    Args:
        **changes: :class:`~carrier_sdk.CustomsItem` fields to replace (``value=Money(...)``).

    .. versionadded:: 0.1
    """
    item = CustomsItem(
        description="Jigsaw puzzle",
        quantity=2,
        value=Money(amount="12.34", currency="USD"),
        weight="200",
        weight_unit="g",
        hs_code="9503.00.41",
        origin_country="CN",
        sku="373871",
    )
    fields: dict[str, Any] = dict(changes)  # checked by the model's converters
    return attrs.evolve(item, **fields)


def sample_customs(*items: CustomsItem, **changes: object) -> Customs:
    """A customs declaration of ``items`` (one :func:`sample_customs_item` when none is given) with
    the importer's tax id ``P210001518521``.

    Args:
        *items: The item lines.
        **changes: Other :class:`~carrier_sdk.Customs` fields to set (``contents_type=...``).

    .. versionadded:: 0.1
    """
    customs = Customs(items=list(items) or [sample_customs_item()], importer_tax_id="P210001518521")
    fields: dict[str, Any] = dict(changes)  # checked by the model's converters
    return attrs.evolve(customs, **fields)


def cross_border_request(reference: str = "ORDER-1", **changes: object) -> ShipmentRequest:
    """A Hangzhou -> New York label request: one 0.5 kg parcel of 24 x 10 x 4.2 cm and the
    :func:`sample_customs` declaration (the sandbox's Cainiao fake accepts it).

    Args:
        reference: The shipper's reference.
        **changes: Other :class:`~carrier_sdk.ShipmentRequest` fields to replace (``recipient=...``).

    .. versionadded:: 0.1
    """
    request = ShipmentRequest(
        shipper=sample_address("hangzhou"),
        recipient=sample_address("new-york"),
        parcels=[Parcel(weight="0.5", weight_unit="kg", length="24", width="10", height="4.2")],
        customs=sample_customs(),
        reference=reference,
    )
    fields: dict[str, Any] = dict(changes)  # checked by the model's converters
    return attrs.evolve(request, **fields)
