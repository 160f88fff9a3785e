"""Errors in the command's words: ``--carrier`` rather than ``carrier=``, and what to do next."""

from __future__ import annotations

import re

from .. import AuthenticationError, ConfigurationError

__all__ = ["cli_message", "cli_words"]

_PYTHON_CARRIER_WORDS = re.compile(r"\bpass carrier=(?: explicitly)?|\bcarrier=")


def cli_words(text: str) -> str:
    """``text`` with the Python API's words replaced by the command's (``carrier=`` -> ``--carrier``)."""
    return _PYTHON_CARRIER_WORDS.sub(
        lambda m: "give --carrier CODE" if m.group().startswith("pass") else "--carrier ", text
    )


def cli_message(err: BaseException) -> str:
    """``err``'s message in the command's words: ``--carrier`` for ``carrier=``, and for missing
    settings the ways out (the environment, ``--config FILE``, ``--sandbox``)."""
    text = cli_words(str(err))
    if isinstance(err, ConfigurationError) and err.missing and err.carrier:
        codes = list(dict.fromkeys([err.carrier, *re.findall(r"missing settings for '([^']+)'", text)]))
        listed = ", ".join(f"[{code}]" for code in codes)
        tables = f"{listed} tables" if len(codes) > 1 else f"a {listed} table"
        text += (
            f"\nSet the variables, or put the settings in {tables} of a config file "
            f"(--config FILE), or run with --sandbox to use the carriers' fakes (no credentials)."
        )
    if isinstance(err, AuthenticationError):
        text += "\nThe carrier rejected the credentials: check the settings (retrying will not help)."
    return text
