"""The ``carrier-sdk`` console script: the command line, or how to install it.

The script is installed with the core distribution, but the command line needs the ``cli`` extra
(click and rich). Without them it says so and exits with 2 (a configuration error) instead of
crashing with ``ModuleNotFoundError``.
"""

from __future__ import annotations

import sys

__all__ = ["CLI_DEPENDENCIES", "INSTALL_HINT", "main"]

#: The top-level modules the command line imports from the ``cli`` extra.
CLI_DEPENDENCIES = frozenset({"click", "rich"})

#: What the script prints when the ``cli`` extra is missing.
INSTALL_HINT = (
    "carrier-sdk: the command line needs the 'cli' extra ({missing} is not installed).\n"
    "Install it with: pip install 'carrier-sdk[cli]'\n"
    "(from a checkout of the repository: pip install -e '.[cli]')\n"
)


def main() -> None:
    """Run ``carrier-sdk``; exit with 2 and an install hint when click or rich is missing."""
    try:
        from .cli import main as cli_main
    except ModuleNotFoundError as err:
        top = (err.name or "").partition(".")[0]
        if top not in CLI_DEPENDENCIES:
            raise
        sys.stderr.write(INSTALL_HINT.format(missing=top))
        raise SystemExit(2) from None
    cli_main()
