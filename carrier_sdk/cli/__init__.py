"""The ``carrier-sdk`` command line (the ``cli`` extra: click and rich).

Exit codes: 0 ok; 1 some items failed; 2 usage or configuration error; 3 a label purchase's
outcome is unknown; 4 the carrier rejected the credentials; 130 interrupted. See ``docs/cli.md``.
"""

from __future__ import annotations

from typing import Any

from ._app import Overrides, State, cli
from ._day import manifest, pickup, return_label
from ._demo import demo
from ._errors import (
    EXIT_AUTH,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_OUTCOME_UNKNOWN,
    EXIT_USAGE,
    CliError,
)
from ._info import carriers, identify
from ._locations import locations
from ._sandbox import new_adapter, sandbox
from ._shipping import cancel, rates, ship, validate_address
from ._track import track
from ._watch import watch

__all__ = [
    "EXIT_AUTH",
    "EXIT_FAILED",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_OUTCOME_UNKNOWN",
    "EXIT_USAGE",
    "CliError",
    "Overrides",
    "State",
    "cli",
    "main",
]

for _command in (carriers, identify, track, rates, ship, cancel, validate_address, sandbox, new_adapter, demo, watch):
    cli.add_command(_command)
for _command in (return_label, manifest, pickup, locations):  # the rest of a shipping day
    cli.add_command(_command)


def main(args: list[str] | None = None, **kwargs: Any) -> Any:
    """Run the ``carrier-sdk`` command (the console-script entry point)."""
    return cli.main(args=args, prog_name="carrier-sdk", **kwargs)
