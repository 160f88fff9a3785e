"""The ISO 3166 / ISO 4217 table in ``carrier_sdk/_iso_data.py`` is generated from pycountry
(a dev-only dependency: the core does not install it) and checked against it here.

Regenerate it after a pycountry upgrade with
``CARRIER_SDK_REGENERATE_ISO=1 .venv/bin/pytest tests/test_iso_tables.py``.
"""

from __future__ import annotations

import importlib.metadata
import os
from pathlib import Path
from typing import Any

import pytest

from carrier_sdk import Address, Money, ValidationError, _iso_data
from carrier_sdk.iso import COUNTRY_CODES, CURRENCY_CODES, country_code, country_name, currency_name

GENERATED = Path(_iso_data.__file__)


def _pycountry() -> Any:
    return pytest.importorskip("pycountry", reason="pycountry is in the dev extra: pip install -e '.[dev]'")


def country_rows() -> list[str]:
    pycountry = _pycountry()
    return [
        "|".join(
            (c.alpha_2, c.alpha_3, c.numeric, c.name, getattr(c, "official_name", ""), getattr(c, "common_name", ""))
        )
        for c in sorted(pycountry.countries, key=lambda c: c.alpha_2)
    ]


def currency_rows() -> list[str]:
    pycountry = _pycountry()
    return ["|".join((c.alpha_3, c.numeric, c.name)) for c in sorted(pycountry.currencies, key=lambda c: c.alpha_3)]


def render() -> str:
    def block(rows: list[str]) -> str:
        return "".join(f"    {_quote(row)},\n" for row in rows)

    version = importlib.metadata.version("pycountry")
    return (
        '"""ISO 3166-1 countries and ISO 4217 currencies (GENERATED: do not edit by hand).\n\n'
        f"Generated from pycountry {version} (the Debian iso-codes data) by tests/test_iso_tables.py,\n"
        "which also checks it; see that file to regenerate.\n"
        '"""\n\n'
        "# ruff: noqa: RUF001 (names are spelled as ISO spells them, with typographic apostrophes)\n\n"
        "from __future__ import annotations\n\n"
        "#: ``alpha_2|alpha_3|numeric|name|official_name|common_name``, by alpha-2 code.\n"
        f"COUNTRY_ROWS: tuple[str, ...] = (\n{block(country_rows())})\n\n"
        "#: ``alpha_3|numeric|name``, by code.\n"
        f"CURRENCY_ROWS: tuple[str, ...] = (\n{block(currency_rows())})\n"
    )


def _quote(text: str) -> str:
    assert '"' not in text, text
    assert "\\" not in text, text
    return f'"{text}"'


def test_the_generated_table_matches_pycountry() -> None:
    if os.environ.get("CARRIER_SDK_REGENERATE_ISO") == "1":
        GENERATED.write_text(render(), encoding="utf-8")
    assert list(_iso_data.COUNTRY_ROWS) == country_rows(), "regenerate carrier_sdk/_iso_data.py (see this file)"
    assert list(_iso_data.CURRENCY_ROWS) == currency_rows(), "regenerate carrier_sdk/_iso_data.py (see this file)"


def test_every_name_and_code_is_found_as_pycountry_finds_it() -> None:
    pycountry = _pycountry()
    for country in pycountry.countries:
        assert country_name(country.alpha_2) == country.name
        for field in ("alpha_2", "alpha_3", "numeric", "name", "official_name", "common_name"):
            value = getattr(country, field, None)
            if value:
                assert country_code(value) == pycountry.countries.lookup(value).alpha_2, value
                assert country_code(f" {value.upper()} ") == country_code(value)
    for currency in pycountry.currencies:
        assert currency_name(currency.alpha_3) == currency.name


def test_codes_and_names() -> None:
    assert len(COUNTRY_CODES) >= 249
    assert len(CURRENCY_CODES) >= 170
    assert {"US", "CN", "ES", "SG", "DE"} <= COUNTRY_CODES
    assert {"USD", "CNY", "EUR", "SGD"} <= CURRENCY_CODES
    assert country_name("gb") == "United Kingdom"
    assert country_name("TW") == "Taiwan, Province of China"
    assert country_code("Taiwan") == "TW"  # the common name
    assert country_code("Federal Republic of Germany") == "DE"  # the official name
    assert country_code("deu") == country_code("276") == "DE"
    assert currency_name("eur") == "Euro"
    assert country_name("XX") is None
    assert country_code("Atlantis") is None
    assert currency_name("XYZ") is None


@pytest.mark.parametrize("code", ["US", "us", " cn "])
def test_known_countries_validate(code: str) -> None:
    address = Address(name="A", street1="1 Main St", city="C", country=code)
    assert address.country == code.strip().upper()


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("XX", "'XX' is not an ISO 3166-1 alpha-2 country code"),
        ("USA", "must be an ISO 3166-1 alpha-2 country code, got 'USA'"),
        ("", "must be an ISO 3166-1 alpha-2 country code"),
    ],
)
def test_unknown_countries_are_refused(code: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message) as caught:
        Address(name="A", street1="1 Main St", city="C", country=code)
    assert caught.value.constraint == "ISO 3166-1 alpha-2"


def test_currencies_validate() -> None:
    assert Money(amount="1", currency="eur").currency == "EUR"
    with pytest.raises(ValidationError, match="'XYZ' is not an ISO 4217 currency code") as caught:
        Money(amount="1", currency="XYZ")
    assert caught.value.constraint == "ISO 4217"
    with pytest.raises(ValidationError, match="must be an ISO 4217 currency code"):
        Money(amount="1", currency="EURO")
