"""The ``carrier-sdk`` command group: global options, the per-run state, errors and exit codes.

Tests inject a registry or a transport by passing an :class:`Overrides` as click's ``obj``
(``CliRunner().invoke(cli, args, obj=Overrides(registry=...))``); the group wraps it in the
per-run :class:`State` that every subcommand reads.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, Concatenate, NoReturn, ParamSpec, TypeVar

import attrs
import click
import httpx

from .. import Client, ConfigurationError, UnknownCarrierError
from .._exceptions import CarrierError
from .._registry import CarrierRegistry
from .._settings import ENV_PREFIX, did_you_mean, env_var_name
from ._config import load_config
from ._errors import EXIT_INTERRUPTED, EXIT_USAGE, CliError, exit_code_for
from ._words import cli_message

__all__ = [
    "EXIT_INTERRUPTED",
    "EXIT_USAGE",
    "CliError",
    "Overrides",
    "State",
    "cli",
    "cli_message",
    "exit_code_for",
    "json_option",
    "pass_state",
    "sandbox_option",
    "state_options",
]

#: ``CARRIER_SDK_*`` variables that are not carrier settings (never warned about).
GLOBAL_VARIABLES = frozenset(
    {
        "CARRIER_SDK_CONFIG",
        "CARRIER_SDK_DATA_DIR",
        "CARRIER_SDK_DISABLE_PLUGINS",
        "CARRIER_SDK_STRICT_PLUGINS",
        "CARRIER_SDK_TRACE_PLUGINS",
        "CARRIER_SDK_STATE_URL",
        "CARRIER_SDK_WATCH_DB",
        "CARRIER_SDK_USPS_OPENAPI_DIR",
        "CARRIER_SDK_REQUIRE_REDIS",
    }
)

logger = logging.getLogger("carrier_sdk")

P = ParamSpec("P")
R = TypeVar("R")


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
    allow_insecure_http: bool = False
    seed: int = 0
    state_url: str | None = None
    _client: Client | None = attrs.field(default=None, init=False)
    _sandbox_obj: Any = attrs.field(default=None, init=False)

    def config_file(self) -> Path | None:
        """``--config`` (or ``$CARRIER_SDK_CONFIG``), else the default file when it exists."""
        if self.config is not None:
            return self.config
        from ._paths import default_config_file

        default = default_config_file()
        return default if default.is_file() else None

    def settings(self) -> dict[str, Any]:
        """Carrier settings from the config file (ignored in sandbox mode)."""
        path = self.config_file()
        if path is None or self.sandbox:
            return {}
        return load_config(path)

    def environ(self) -> Mapping[str, str]:
        """The environment the client reads settings from."""
        return self.overrides.environ if self.overrides.environ is not None else os.environ

    def canonical_code(self, code: str) -> str:
        """``code`` as installed (carrier codes are case-insensitive: ``USPS`` is ``usps``).

        Raises:
            UnknownCarrierError: No such carrier, with the closest installed code suggested.
        """
        codes = self.registry.codes()
        if code in codes:
            return code
        by_lower = {c.lower(): c for c in codes}
        if code.strip().lower() in by_lower:
            return by_lower[code.strip().lower()]
        raise UnknownCarrierError(
            f"unknown carrier {code!r}{did_you_mean(code, codes)} (installed: {', '.join(sorted(codes)) or 'none'})",
            carrier=code,
        )

    def _warn_unknown_settings(self, client: Client, settings: Mapping[str, Any]) -> None:
        """Warn (stderr) about config tables and ``CARRIER_SDK_*`` variables nothing reads."""
        codes = client.registry.codes()
        for table in settings:
            if table not in codes:
                click.echo(
                    f"Warning: config file {str(self.config_file())!r}: [{table}] is no installed carrier"
                    f"{did_you_mean(table, codes)}; it is ignored (installed: {', '.join(sorted(codes)) or 'none'})",
                    err=True,
                )
        known = set(GLOBAL_VARIABLES)
        for code in codes:
            try:
                fields = attrs.fields(client.registry.get(code).Settings)
            except Exception:  # a carrier that cannot load is reported elsewhere
                continue
            known.update(env_var_name(code, f.name) for f in fields if f.init)
        for name in sorted(self.environ()):
            if name.startswith(ENV_PREFIX + "_") and name not in known:
                click.echo(
                    f"Warning: environment variable {name} is not read by carrier-sdk{did_you_mean(name, known)}",
                    err=True,
                )

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
            # Held until close(): concurrent runs take turns (distinct labels, no lost moves).
            sandbox.lock(self.state_file())
            try:
                sandbox.load(self.state_file())
            except BaseException:
                sandbox.unlock(self.state_file())
                raise
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
            if self.allow_insecure_http:
                kwargs["allow_insecure_http"] = True
            if self.overrides.transport is not None:
                kwargs["transport"] = self.overrides.transport
            if self.overrides.sleep is not None:
                kwargs["sleep"] = self.overrides.sleep
            if self.sandbox:
                kwargs["sandbox"] = self.get_sandbox()
            if self.state_url is not None:
                kwargs["state"] = self.state_url
            settings = self.settings()
            registry = self.overrides.registry
            if registry is None:
                from .._plugins import default_plugin_manager

                registry = default_plugin_manager().registry
            codes = registry.codes()
            by_lower = {c.lower(): c for c in codes}
            # Tables are carrier codes, case-insensitive; unknown ones are warned about, then ignored.
            settings = {by_lower.get(k.lower(), k): v for k, v in settings.items()}
            client = Client({k: v for k, v in settings.items() if k in codes}, **kwargs)
            if not self.sandbox:
                self._warn_unknown_settings(client, settings)
            self._client = client
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
            except (OSError, TypeError, ConfigurationError) as err:
                click.echo(f"Warning: the sandbox state was not saved to {str(path)!r}: {err}", err=True)
            finally:
                self._sandbox_obj.unlock(path)

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


_JSON_HELP = "Print JSON for machines instead of tables."
_SANDBOX_HELP = "Run against the carriers' fakes: no credentials, no network."


def _subcommand_flag(name: str, help: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``--<name>`` on a subcommand: the group's flag of that name, set from either place."""
    return click.option(f"--{name}", f"{name}_", is_flag=True, expose_value=False, callback=_set_flag(name), help=help)


#: ``--json`` on a subcommand: same as the group's.
json_option = _subcommand_flag("json", _JSON_HELP)
#: ``--sandbox`` on a subcommand: same as the group's.
sandbox_option = _subcommand_flag("sandbox", _SANDBOX_HELP)


def state_options(command: Callable[Concatenate[State, P], R]) -> Callable[P, R]:
    """What a subcommand that calls the carriers takes last: :data:`json_option`,
    :data:`sandbox_option` and the run's :class:`State`, passed as its first argument."""
    return json_option(sandbox_option(pass_state(command)))


def _error_payload(err: BaseException) -> dict[str, Any]:
    from ._output import error_dict

    if isinstance(err, CarrierError):
        return error_dict(err)
    return {"type": type(err).__name__, "message": str(err)}


class CarrierGroup(click.Group):
    """Maps SDK errors and Ctrl-C to messages and exit codes, for every subcommand.

    An error is reported once: as ``Error: ...`` on stderr, or with ``--json`` as one
    ``{"error": ...}`` object on stdout (and nothing on stderr).
    """

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except CarrierError as err:
            state = ctx.find_object(State)
            if state is not None and state.json:
                payload = _error_payload(err)
                payload["message"] = cli_message(err)
                state.emit_json({"error": payload})
                raise click.exceptions.Exit(exit_code_for(err)) from err
            raise CliError(cli_message(err), exit_code_for(err)) from err
        except CliError as err:
            state = ctx.find_object(State)
            if state is not None and state.json:
                state.emit_json({"error": {"type": "UsageError", "message": err.message}})
                raise click.exceptions.Exit(err.exit_code) from err
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
@click.option("--sandbox", is_flag=True, help=_SANDBOX_HELP)
@click.option(
    "--config",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    envvar="CARRIER_SDK_CONFIG",
    help="TOML file of carrier settings ([usps] client_id = ...). Env: CARRIER_SDK_CONFIG.",
)
@click.option("--json", "json_", is_flag=True, help=_JSON_HELP)
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), help="Per-request timeout in seconds.")
@click.option("--max-retries", type=click.IntRange(min=0), help="Retries after the first attempt.")
@click.option(
    "--allow-insecure-http",
    is_flag=True,
    help="Allow plain http:// carrier URLs (base_url) to hosts other than loopback: credentials would "
    "cross the network unencrypted. Off by default.",
)
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
    allow_insecure_http: bool,
    seed: int,
    state_url: str | None,
    verbose: bool,
) -> None:
    """Track, rate and ship parcels through postal carriers.

    Carrier settings come from CARRIER_SDK_<CODE>_<FIELD> environment variables or a
    TOML --config file (default: config.toml in the platform's config directory, e.g.
    ~/.config/carrier-sdk/config.toml, when it exists). --sandbox runs everything against the fakes with no credentials.

    Exit codes: 0 ok, 1 some items failed, 2 usage or configuration error,
    3 label purchase outcome unknown, 4 credentials rejected, 130 interrupted.
    """
    overrides = ctx.obj if isinstance(ctx.obj, Overrides) else Overrides()
    state = State(
        overrides=overrides,
        sandbox=sandbox,
        config=config,
        json=json_,
        timeout=timeout,
        max_retries=max_retries,
        allow_insecure_http=allow_insecure_http,
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
