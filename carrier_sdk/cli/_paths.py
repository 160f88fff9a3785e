"""Where the command keeps its files: the config file it reads by default and the sandbox state.

* Config: ``<config dir>/config.toml`` when ``--config`` (or ``$CARRIER_SDK_CONFIG``) is not
  given and the file exists. The config dir is the platform's (click's ``get_app_dir``):
  ``$XDG_CONFIG_HOME/carrier-sdk`` or ``~/.config/carrier-sdk`` on Linux,
  ``~/Library/Application Support/carrier-sdk`` on macOS, ``%APPDATA%\\carrier-sdk`` on Windows.
* Data: ``$CARRIER_SDK_DATA_DIR`` when set, else ``$XDG_DATA_HOME/carrier-sdk`` or
  ``~/.local/share/carrier-sdk`` on Linux, ``~/Library/Application Support/carrier-sdk`` on
  macOS, ``%LOCALAPPDATA%\\carrier-sdk`` on Windows. The sandbox state lives in its ``sandbox``
  folder, one file per ``--seed``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path

import click

__all__ = ["APP_NAME", "DATA_DIR_ENV", "config_dir", "data_dir", "default_config_file", "sandbox_state_file"]

APP_NAME = "carrier-sdk"
#: Environment variable that moves the data directory (tests point it at a temporary folder).
DATA_DIR_ENV = "CARRIER_SDK_DATA_DIR"


def config_dir() -> Path:
    """The platform's configuration directory for ``carrier-sdk``."""
    return Path(click.get_app_dir(APP_NAME))


def default_config_file() -> Path:
    """``config.toml`` in :func:`config_dir` (read when it exists and no ``--config`` is given)."""
    return config_dir() / "config.toml"


def data_dir(environ: Mapping[str, str] | None = None) -> Path:
    """The directory for data the command keeps between runs (see the module docstring)."""
    env = os.environ if environ is None else environ
    explicit = env.get(DATA_DIR_ENV, "").strip()
    if explicit:
        return Path(explicit).expanduser()
    if sys.platform == "win32":
        base = env.get("LOCALAPPDATA") or env.get("APPDATA") or str(Path.home() / "AppData" / "Local")
        return Path(base) / APP_NAME
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / APP_NAME
    xdg = env.get("XDG_DATA_HOME", "").strip()
    return (Path(xdg) if xdg else Path.home() / ".local" / "share") / APP_NAME


def sandbox_state_file(seed: int, environ: Mapping[str, str] | None = None) -> Path:
    """The file the sandbox of ``--seed SEED`` is saved in between runs."""
    return data_dir(environ) / "sandbox" / f"state-seed-{seed}.json"
