"""The ``carrier-sdk`` command group: global options, the per-run state, errors and exit codes.

Tests inject a registry or a transport by passing an :class:`Overrides` as click's ``obj``
(``CliRunner().invoke(cli, args, obj=Overrides(registry=...))``); the group wraps it in the
per-run :class:`State` that every subcommand reads.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, NoReturn

import attrs
import click
import httpx

from .. import (
    Client,
    ConfigurationError,
    OutcomeUnknownError,
    UnknownCarrierError,
    UnsupportedOperationError,
    ValidationError,
)
from .._exceptions import CarrierError
from .._registry import CarrierRegistry
from ._config import load_config

__all__ = [
    "EXIT_FAILED",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_OUTCOME_UNKNOWN",
    "EXIT_USAGE",
    "CliError",
    "Overrides",
    "State",
    "cli",
    "exit_code_for",
    "json_option",
    "pass_state",
    "sandbox_option",
]

#: Everything worked.
EXIT_OK = 0
#: Some items failed: a number not tracked, a carrier error, an address not matched.
EXIT_FAILED = 1
#: Usage or configuration error: bad options, unreadable files, missing settings, unknown carrier.
EXIT_USAGE = 2
#: A label purchase may or may not have happened: reconcile before buying again.
EXIT_OUTCOME_UNKNOWN = 3
#: Interrupted with Ctrl-C.
EXIT_INTERRUPTED = 130

#: Requests each sandbox fake remembers in CLI runs (the fakes' own default is unbounded).

logger = logging.getLogger("carrier_sdk")


class CliError(click.ClickException):
    """An error reported as ``Error: <message>`` on stderr, with its own exit code."""

    def __init__(self, message: str, exit_code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.exit_code = exit_code  # type: ignore[misc]  # click declares it on the class


def exit_code_for(err: CarrierError) -> int:
    """The exit code for an SDK error that stopped a whole command."""
    if isinstance(err, OutcomeUnknownError):
        return EXIT_OUTCOME_UNKNOWN
    if isinstance(err, ConfigurationError | ValidationError | UnsupportedOperationError | UnknownCarrierError):
        return EXIT_USAGE
    return EXIT_FAILED


@attrs.define(kw_only=True)
class Overrides:
    """What tests (or embedding programs) inject instead of plugin discovery and the network."""

    registry: CarrierRegistry | None = None
    transport: httpx.BaseTransport | None = None
    environ: Mapping[str, str] | None = None
    sleep: Callable[[float], None] | None = None


@attrs.define(kw_only=True)
class State:
    """Options of one run and the client built from them (lazily, once)."""

    overrides: Overrides = attrs.field(factory=Overrides)
    sandbox: bool = False
    config: Path | None = None
    json: bool = False
    timeout: float | None = None
    max_retries: int | None = None
    seed: int = 0
    state_url: str | None = None
    _client: Client | None = attrs.field(default=None, init=False)
    _sandbox_obj: Any = attrs.field(default=None, init=False)

    def settings(self) -> dict[str, Any]:
        """Carrier settings from the config file (ignored in sandbox mode)."""
        if self.config is None or self.sandbox:
            return {}
        return load_config(self.config)

    def state_file(self) -> Path:
        """The file the sandbox of this run is loaded from and saved to."""
        from ._paths import sandbox_state_file

        return sandbox_state_file(self.seed)

    def get_sandbox(self) -> Any:
        """The :class:`~carrier_sdk.sandbox.Sandbox` of this run, with the state earlier runs
        saved (labels bought, orders cancelled, parcels advanced); saved again on close."""
        if self._sandbox_obj is None:
            from ..sandbox import Sandbox

            sandbox = Sandbox(registry=self.overrides.registry, seed=self.seed)
            sandbox.load(self.state_file())
            self._sandbox_obj = sandbox
        return self._sandbox_obj

    def client(self) -> Client:
        """The :class:`~carrier_sdk.Client` of this run (sandboxed with ``--sandbox``)."""
        if self._client is None:
            kwargs: dict[str, Any] = {"registry": self.overrides.registry, "environ": self.overrides.environ}
            if self.timeout is not None:
                kwargs["timeout"] = self.timeout
            if self.max_retries is not None:
                kwargs["max_retries"] = self.max_retries
            if self.overrides.transport is not None:
                kwargs["transport"] = self.overrides.transport
            if self.overrides.sleep is not None:
                kwargs["sleep"] = self.overrides.sleep
            if self.sandbox:
                kwargs["sandbox"] = self.get_sandbox()
            if self.state_url is not None:
                kwargs["state"] = self.state_url
            self._client = Client(self.settings(), **kwargs)
        return self._client

    def sandbox_client(self) -> Client:
        """The client of this run, in sandbox mode whatever ``--sandbox`` says (sandbox commands)."""
        self.sandbox = True
        return self.client()

    @property
    def registry(self) -> CarrierRegistry:
        """The carrier registry (plugins are discovered on first use)."""
        return self.client().registry

    def close(self) -> None:
        """Close the client and save the sandbox state (a failure to save is a warning)."""
        if self._client is not None:
            self._client.close()
        if self._sandbox_obj is not None:
            path = self.state_file()
            try:
                self._sandbox_obj.save(path)
            except (OSError, TypeError) as err:
                click.echo(f"Warning: the sandbox state was not saved to {str(path)!r}: {err}", err=True)

    def emit_json(self, data: Any) -> None:
        """One JSON document on one line of stdout."""
        click.echo(json.dumps(data, ensure_ascii=False, default=str))

    def fail(self, message: str, exit_code: int = EXIT_USAGE) -> NoReturn:
        """Stop the command with ``message`` and ``exit_code``."""
        raise CliError(message, exit_code)


pass_state = click.make_pass_decorator(State)


def _set_flag(name: str) -> Callable[[click.Context, click.Parameter, bool], None]:
    def callback(ctx: click.Context, param: click.Parameter, value: bool) -> None:
        state = ctx.find_object(State)
        if value and state is not None:
            setattr(state, name, True)

    return callback


def json_option(f: Callable[..., Any]) -> Callable[..., Any]:
    """``--json`` on a subcommand: same as the group's."""
    return click.option(
        "--json",
        "json_",
        is_flag=True,
        expose_value=False,
        callback=_set_flag("json"),
        help="Print JSON for machines instead of tables.",
    )(f)


def sandbox_option(f: Callable[..., Any]) -> Callable[..., Any]:
    """``--sandbox`` on a subcommand: same as the group's."""
    return click.option(
        "--sandbox",
        is_flag=True,
        expose_value=False,
        callback=_set_flag("sandbox"),
        help="Run against the carriers' fakes: no credentials, no network.",
    )(f)


def _error_payload(err: BaseException) -> dict[str, Any]:
    from ._output import error_dict

    if isinstance(err, CarrierError):
        return error_dict(err)
    return {"type": type(err).__name__, "message": str(err)}


class CarrierGroup(click.Group):
    """Maps SDK errors and Ctrl-C to messages and exit codes, for every subcommand."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except CarrierError as err:
            state = ctx.find_object(State)
            if state is not None and state.json:
                state.emit_json({"error": _error_payload(err)})
            raise CliError(str(err), exit_code_for(err)) from err
        except CliError as err:
            state = ctx.find_object(State)
            if state is not None and state.json:
                state.emit_json({"error": {"type": "UsageError", "message": err.message}})
            raise
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            raise click.exceptions.Exit(EXIT_INTERRUPTED) from None


class _StderrHandler(logging.Handler):
    """Log records to whatever ``sys.stderr`` is at the time (test runners swap it)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            sys.stderr.write(self.format(record) + "\n")
        except Exception:  # pragma: no cover - logging must never break the command
            self.handleError(record)


def _enable_debug_logging(ctx: click.Context) -> None:
    handler = _StderrHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    previous = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)

    def undo() -> None:
        logger.removeHandler(handler)
        logger.setLevel(previous)

    ctx.call_on_close(undo)


@click.group(cls=CarrierGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--sandbox", is_flag=True, help="Run against the carriers' fakes: no credentials, no network.")
@click.option(
    "--config",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    envvar="CARRIER_SDK_CONFIG",
    help="TOML file of carrier settings ([usps] client_id = ...). Env: CARRIER_SDK_CONFIG.",
)
@click.option("--json", "json_", is_flag=True, help="Print JSON for machines instead of tables.")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), help="Per-request timeout in seconds.")
@click.option("--max-retries", type=click.IntRange(min=0), help="Retries after the first attempt.")
@click.option(
    "--seed", type=int, default=0, show_default=True, help="Seed of the sandbox fakes and of generated numbers."
)
@click.option(
    "--state",
    "state_url",
    metavar="URL",
    help="Shared state (rate limits, tokens, purchase ledger): redis://host:6379/0, sqlite:///state.db. "
    "Default: CARRIER_SDK_STATE_URL, else this process only.",
)
@click.option("-v", "--verbose", is_flag=True, help="Log at DEBUG level to stderr.")
@click.version_option(package_name="carrier-sdk", prog_name="carrier-sdk")
@click.pass_context
def cli(
    ctx: click.Context,
    sandbox: bool,
    config: Path | None,
    json_: bool,
    timeout: float | None,
    max_retries: int | None,
    seed: int,
    state_url: str | None,
    verbose: bool,
) -> None:
    """Track, rate and ship parcels through postal carriers.

    Carrier settings come from CARRIER_SDK_<CODE>_<FIELD> environment variables or a
    TOML --config file. --sandbox runs everything against the fakes with no credentials.

    Exit codes: 0 ok, 1 some items failed, 2 usage or configuration error,
    3 label purchase outcome unknown, 130 interrupted.
    """
    overrides = ctx.obj if isinstance(ctx.obj, Overrides) else Overrides()
    state = State(
        overrides=overrides,
        sandbox=sandbox,
        config=config,
        json=json_,
        timeout=timeout,
        max_retries=max_retries,
        seed=seed,
        state_url=state_url,
    )
    ctx.obj = state
    ctx.call_on_close(state.close)
    if verbose:
        _enable_debug_logging(ctx)
    if config is not None:
        load_config(config)  # fail early (exit 2) on a broken file


def iter_nonblank(lines: Iterator[str] | Any) -> Iterator[str]:
    """Stripped, non-empty lines that are not ``#`` comments, lazily."""
    for line in lines:
        text = line.strip()
        if text and not text.startswith("#"):
            yield text
