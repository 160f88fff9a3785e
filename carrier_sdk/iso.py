"""ISO 3166-1 countries and ISO 4217 currencies: codes and English names.

A small table generated from the Debian iso-codes data (through pycountry, a development
dependency only) and checked against it by the test suite, so the SDK installs no database.

.. code-block:: python

    from carrier_sdk.iso import country_code, country_name

    country_name("DE")  # 'Germany'
    country_code("Federal Republic of Germany")  # 'DE'

.. versionadded:: 0.1
"""

from __future__ import annotations

from functools import cache

from ._iso_data import COUNTRY_ROWS, CURRENCY_ROWS

__all__ = ["COUNTRY_CODES", "CURRENCY_CODES", "country_code", "country_name", "currency_name"]


def _country_fields() -> dict[str, tuple[str, ...]]:
    return {row[:2]: tuple(row.split("|")) for row in COUNTRY_ROWS}


def _currency_names() -> dict[str, str]:
    return {code: name for code, _numeric, name in (row.split("|") for row in CURRENCY_ROWS)}


_COUNTRIES = _country_fields()
_CURRENCIES = _currency_names()

#: Every ISO 3166-1 alpha-2 country code (upper case).
COUNTRY_CODES: frozenset[str] = frozenset(_COUNTRIES)

#: Every ISO 4217 currency code (upper case).
CURRENCY_CODES: frozenset[str] = frozenset(_CURRENCIES)


def country_name(code: str) -> str | None:
    """The ISO English short name of the country with alpha-2 ``code`` (any case), or ``None``.

    ``country_name("gb")`` is ``'United Kingdom'``.
    """
    fields = _COUNTRIES.get(code.strip().upper())
    return fields[3] if fields is not None else None


@cache
def _country_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for alpha_2, fields in _COUNTRIES.items():
        for value in fields:
            if value:
                index.setdefault(value.casefold(), alpha_2)
    return index


def country_code(text: str) -> str | None:
    """The alpha-2 code of a country named by ``text``, or ``None``.

    ``text`` may be an alpha-2, alpha-3 or numeric code, or the short, official or common
    name, in any case: ``country_code("deu")``, ``country_code("276")`` and
    ``country_code("germany")`` are all ``'DE'``.
    """
    return _country_index().get(text.strip().casefold())


def currency_name(code: str) -> str | None:
    """The ISO English name of the currency with ``code`` (any case), or ``None``.

    ``currency_name("eur")`` is ``'Euro'``.
    """
    return _CURRENCIES.get(code.strip().upper())
