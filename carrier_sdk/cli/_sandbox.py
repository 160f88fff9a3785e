"""``sandbox serve``, ``numbers``, ``advance`` and ``reset``, and ``new-adapter``."""

from __future__ import annotations

import importlib
import json
import shlex
import sys
import time
from pathlib import Path
from typing import Any

import click
from rich.table import Table
from rich.text import Text

from .. import TrackingStatus, to_dict
from .._settings import env_var_name
from ._app import EXIT_USAGE, State, json_option, pass_state
from ._numbers import generate_numbers, scenario_numbers
from ._output import clean, console

__all__ = ["new_adapter", "sandbox"]


@click.group()
def sandbox() -> None:
    """The carriers' fakes: serve them, list their scenario numbers, move parcels, start over.

    --sandbox runs share one state, kept between runs in the data directory
    ($CARRIER_SDK_DATA_DIR, else the platform's, e.g. ~/.local/share/carrier-sdk/sandbox):
    a label bought by one run can be cancelled, tracked and advanced by the next.
    """


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return json.dumps(str(value), ensure_ascii=False)  # a JSON string is a TOML basic string


def settings_toml(settings: dict[str, dict[str, Any]]) -> str:
    """Carrier settings as a TOML config file (one table per carrier)."""
    blocks = []
    for code, fields in sorted(settings.items()):
        lines = [f"[{code}]"] + [
            f"{name} = {_toml_value(value)}" for name, value in fields.items() if value is not None
        ]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


def settings_exports(settings: dict[str, dict[str, Any]]) -> str:
    """Carrier settings as POSIX shell ``export CARRIER_SDK_<CODE>_<FIELD>=...`` lines."""
    lines = []
    for code, fields in sorted(settings.items()):
        for name, value in fields.items():
            if value is None:
                continue
            text = _toml_value(value).lower() if isinstance(value, bool) else str(value)
            lines.append(f"export {env_var_name(code, name)}={shlex.quote(text)}")
    return "\n".join(lines) + "\n"


@sandbox.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option(
    "--port", type=click.IntRange(min=0, max=65535), default=0, show_default=True, help="0 picks a free port."
)
@click.option(
    "--format",
    "format_",
    type=click.Choice(["table", "toml", "env"]),
    default="table",
    show_default=True,
    help="table: base URLs, a TOML config block and the scenario numbers; toml: only the config file; "
    "env: only export lines.",
)
@click.option("--exit-after", type=click.FloatRange(min=0), hidden=True, help="Stop after SECONDS (for tests).")
@json_option
@pass_state
def serve(state: State, host: str, port: int, format_: str, exit_after: float | None) -> None:
    """Serve every installed carrier's fake over HTTP until Ctrl-C.

    Prints the settings that point each carrier's adapter at it (base URL, fake credentials,
    payment settings) as a TOML config file or export lines, and the scenario numbers.
    """
    sandbox_obj = state.get_sandbox()
    sandbox_obj.unlock(state.state_file())  # serving lasts: other runs go on, and close() merges
    server = sandbox_obj.serve(host=host, port=port)
    with server:
        base_urls = dict(server.base_urls)
        settings = server.settings()
        scenarios = sandbox_obj.scenario_numbers()
        if state.json:
            state.emit_json(
                {"url": server.url, "base_urls": base_urls, "settings": settings, "scenario_numbers": scenarios}
            )
        elif format_ == "toml":
            click.echo(f"# carrier-sdk sandbox on {server.url}: save as a file and pass --config FILE", nl=True)
            click.echo(settings_toml(settings), nl=False)
            click.echo("# Serving until Ctrl-C.")
        elif format_ == "env":
            click.echo(f"# carrier-sdk sandbox on {server.url}: paste into a shell")
            click.echo(settings_exports(settings), nl=False)
            click.echo("# Serving until Ctrl-C.")
        else:
            table = Table(title=f"Sandbox serving on {server.url}", title_justify="left")
            table.add_column("Carrier")
            table.add_column("Base URL")
            for code, url in sorted(base_urls.items()):
                table.add_row(code, url)
            out = console()
            out.print(table)
            out.print()
            out.print("Settings for a config file (--config FILE); --format env prints export lines instead:")
            out.print()
            out.print(settings_toml(settings), markup=False, highlight=False, end="")
            out.print()
            out.print(_scenario_table(scenarios))
            out.print("Press Ctrl-C to stop.")
        sys.stdout.flush()
        try:
            deadline = None if exit_after is None else time.monotonic() + exit_after
            while deadline is None or time.monotonic() < deadline:
                time.sleep(0.05 if deadline is not None else 0.5)
        except KeyboardInterrupt:
            pass
    if not state.json:
        click.echo("Sandbox stopped.", err=True)


def _scenario_table(scenarios: dict[str, dict[str, str]]) -> Table:
    table = Table(title="Sandbox scenario numbers", title_justify="left")
    for column in ("Carrier", "Scenario", "Number"):
        table.add_column(column)
    for code, by_name in sorted(scenarios.items()):
        for i, (name, number) in enumerate(by_name.items()):
            table.add_row(code if i == 0 else "", name, number)
    return table


@sandbox.command()
@click.option(
    "--generate",
    "count",
    type=click.IntRange(min=1),
    help="Instead, print COUNT valid numbers (one per line, across carriers) for bulk tests.",
)
@click.option("--carrier", "carrier_code", metavar="CODE", help="Only this carrier.")
@json_option
@pass_state
def numbers(state: State, count: int | None, carrier_code: str | None) -> None:
    """Print the fakes' scenario numbers: tracking each always gives the same outcome."""
    registry = state.registry
    if carrier_code is not None:
        from .. import CarrierRegistry

        only = CarrierRegistry()
        only.add(registry.get(state.canonical_code(carrier_code)))
        scenarios = scenario_numbers(only)
        source = only
    else:
        scenarios = scenario_numbers(registry)
        source = registry
    if count is not None:
        for number in generate_numbers(source, count, seed=state.seed):
            click.echo(number)
        return
    if state.json:
        state.emit_json(scenarios)
        return
    console().print(_scenario_table(scenarios))


@sandbox.command()
@click.argument("number")
@click.option(
    "--hours",
    type=click.FloatRange(min=0, min_open=True),
    help="Move the parcel this many hours on (in_transit at 12 h, out_for_delivery at 60 h, delivered at 66 h).",
)
@click.option(
    "--to-status",
    "to_status",
    type=click.Choice([s.value for s in TrackingStatus], case_sensitive=False),
    help="Move the parcel straight to this status.",
)
@click.option("--carrier", metavar="CODE", help="The number's carrier (default: identified from the number).")
@json_option
@pass_state
def advance(state: State, number: str, hours: float | None, to_status: str | None, carrier: str | None) -> None:
    """Move the sandbox parcel NUMBER along its history (--hours N or --to-status STATUS).

    The move is saved with the sandbox state: later --sandbox runs (track, watch) see it.
    """
    if (hours is None) == (to_status is None):
        state.fail("give one of --hours N or --to-status STATUS")
    sandbox_obj = state.get_sandbox()
    if carrier is not None:
        carrier = state.canonical_code(carrier)
    before = state.sandbox_client().track(number, carrier=carrier)
    info = sandbox_obj.advance(number, hours=hours, to_status=to_status, carrier=carrier or before.carrier)
    if state.json:
        state.emit_json(
            {
                "number": info.tracking_number,
                "carrier": info.carrier,
                "previous_status": before.status.value,
                "status": info.status.value,
                "info": to_dict(info),
            }
        )
        return
    latest = info.events[-1] if info.events else None
    line = f"{info.tracking_number} ({info.carrier}): {before.status.value} -> {info.status.value}"
    if latest is not None:
        line += f"; latest event {latest.occurred_at:%Y-%m-%d %H:%M} UTC: {latest.description}"
    click.echo(line)


@sandbox.command()
@json_option
@pass_state
def reset(state: State) -> None:
    """Forget the saved sandbox state (labels, orders, advanced parcels) of every --seed."""
    folder = state.state_file().parent
    removed = []
    if folder.is_dir():
        for path in sorted(folder.glob("state-seed-*.json")):
            try:
                path.unlink()
            except OSError as err:
                state.fail(f"cannot remove {str(path)!r}: {err.strerror or err}")
            removed.append(str(path))
    if state.json:
        state.emit_json({"removed": removed, "folder": str(folder)})
    elif removed:
        click.echo(f"Sandbox state forgotten ({len(removed)} file(s) removed from {folder}).")
    else:
        click.echo(f"No sandbox state to forget in {folder}.")


@click.command("new-adapter")
@click.argument("name")
@click.option(
    "--dest",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="Directory to create the plugin in.",
)
@json_option
@pass_state
def new_adapter(state: State, name: str, dest: Path) -> None:
    """Create a new carrier plugin project NAME (carrier, settings, fake, tests) under --dest."""
    try:  # written by the scaffolding issue; imported lazily
        write_adapter = importlib.import_module("carrier_sdk._scaffold").write_adapter
    except (ImportError, AttributeError):
        state.fail("adapter scaffolding is not available in this version of carrier-sdk", EXIT_USAGE)
    try:
        path = write_adapter(name, dest)
    except (ValueError, FileExistsError) as err:
        state.fail(str(err), EXIT_USAGE)
    if state.json:
        state.emit_json({"name": name, "path": str(path)})
    else:
        console().print(
            Text.assemble("Created ", (clean(path), "bold"), clean(f". Next: pip install -e {path} && pytest {path}"))
        )
