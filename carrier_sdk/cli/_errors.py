"""The command line's exit codes, its error type and ``exit_code_for`` (``_app`` re-exports them).

A module of their own, so that ``_config`` and ``_app`` need not import each other.
"""

from __future__ import annotations

import click

from .._exceptions import (
    AuthenticationError,
    CarrierError,
    ConfigurationError,
    OutcomeUnknownError,
    UnknownCarrierError,
    UnsupportedOperationError,
    ValidationError,
)

#: Everything worked.
EXIT_OK = 0
#: Some items failed: a number not tracked, a carrier error, an address not matched.
EXIT_FAILED = 1
#: Usage or configuration error: bad options, unreadable files, missing settings, unknown carrier.
EXIT_USAGE = 2
#: A label purchase may or may not have happened: reconcile before buying again.
EXIT_OUTCOME_UNKNOWN = 3
#: The carrier rejected the credentials (HTTP 401/403): fix the settings, retrying will not help.
EXIT_AUTH = 4
#: Interrupted with Ctrl-C.
EXIT_INTERRUPTED = 130


class CliError(click.ClickException):
    """An error reported as ``Error: <message>`` on stderr, with its own exit code."""

    def __init__(self, message: str, exit_code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.exit_code = exit_code  # type: ignore[misc]  # click declares it on the class


def exit_code_for(err: CarrierError) -> int:
    """The exit code for an SDK error that stopped a whole command."""
    if isinstance(err, OutcomeUnknownError):
        return EXIT_OUTCOME_UNKNOWN
    if isinstance(err, AuthenticationError):
        return EXIT_AUTH
    if isinstance(err, ConfigurationError | ValidationError | UnsupportedOperationError | UnknownCarrierError):
        return EXIT_USAGE
    return EXIT_FAILED
