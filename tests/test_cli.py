"""The ``carrier-sdk`` command: every subcommand in-process with CliRunner, and once as a subprocess.

Most tests inject a registry holding only ``FakeCarrier`` (and its fake API as the transport)
through :class:`carrier_sdk.cli.Overrides`, so they do not depend on which plugins are
installed. The tests at the end run the real sandbox with the installed plugins and are skipped
when the Cainiao and USPS plugins (and their fakes) are missing.
"""

from __future__ import annotations

import io
import itertools
import json
import subprocess
import sys
from pathlib import Path
from typing import Any, ClassVar

import click
import pytest
from click.testing import CliRunner, Result

from carrier_sdk import Client, PluginFailure, PluginReport
from carrier_sdk.cli import EXIT_AUTH, EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OUTCOME_UNKNOWN, EXIT_USAGE, Overrides, cli
from carrier_sdk.cli._app import iter_nonblank
from carrier_sdk.cli._numbers import generate_numbers
from carrier_sdk.cli._track import progress_enabled
from carrier_sdk.fakes import FaultKind
from carrier_sdk.testing import FakeCarrier, FakeCarrierAPIServer, fake_number, make_registry

ROOT = Path(__file__).resolve().parents[1]

SHIPMENT = {
    "shipper": {"name": "Ana", "street1": "2 Oak Ave", "city": "Chicago", "postal_code": "60601", "country": "US"},
    "recipient": {"name": "Bo", "street1": "1 Main St", "city": "Springfield", "postal_code": "62701", "country": "US"},
    "parcels": [{"weight": "1.5", "weight_unit": "kg"}],
    "reference": "order-1",
}

SHIPMENT_TOML = """\
reference = "order-2"

[shipper]
name = "Ana"
street1 = "Calle Mayor 1"
city = "Madrid"
country = "ES"

[recipient]
name = "Bo"
street1 = "1 Main St"
city = "Springfield"
country = "US"

[[parcels]]
weight = 0.5
weight_unit = "kg"
"""


class Cli:
    """Runs the command in-process against FakeCarrier, with a config file holding its settings."""

    def __init__(self, tmp_path: Path) -> None:
        self.registry = make_registry(FakeCarrier)
        self.api = FakeCarrierAPIServer()
        self.tmp_path = tmp_path
        self.config = tmp_path / "carrier-sdk.toml"
        settings = self.api.settings()
        self.config.write_text(
            f'[fakecarrier]\napi_key_id = "{settings["api_key_id"]}"\napi_key = "{settings["api_key"]}"\n',
            encoding="utf-8",
        )

    def overrides(self, **kwargs: Any) -> Overrides:
        base: dict[str, Any] = {
            "registry": self.registry,
            "transport": self.api.transport(),
            "environ": {},
            "sleep": lambda s: None,
        }
        base.update(kwargs)
        return Overrides(**base)

    def __call__(
        self, *args: str, config: bool = True, input: str | None = None, overrides: Overrides | None = None
    ) -> Result:
        argv = (["--config", str(self.config)] if config else []) + list(args)
        return CliRunner().invoke(cli, argv, obj=overrides or self.overrides(), input=input, catch_exceptions=False)

    def sandboxed(self, *args: str, input: str | None = None) -> Result:
        """``--sandbox`` with only FakeCarrier: the real Sandbox class over the injected registry."""
        overrides = Overrides(registry=self.registry, sleep=lambda s: None)
        return CliRunner().invoke(cli, ["--sandbox", *args], obj=overrides, input=input, catch_exceptions=False)


@pytest.fixture
def run(tmp_path: Path) -> Cli:
    return Cli(tmp_path)


def json_lines(output: str) -> list[Any]:
    return [json.loads(line) for line in output.splitlines() if line.strip()]


DELIVERED = FakeCarrierAPIServer.scenario_numbers["delivered"]
UNKNOWN = FakeCarrierAPIServer.scenario_numbers["unknown"]


# -- help ---------------------------------------------------------------------------------------


def _all_commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    out = [prefix]
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            out.extend(_all_commands(command, (*prefix, name)))
        else:
            out.append((*prefix, name))
    return out


ALL_COMMANDS = _all_commands(cli)


def test_every_command_is_listed() -> None:
    names = {" ".join(c) for c in ALL_COMMANDS}
    expected = {"carriers", "identify", "track", "rates", "ship", "cancel", "validate-address"}
    assert expected | {"sandbox serve", "sandbox numbers", "new-adapter", "demo"} <= names


@pytest.mark.parametrize("command", ALL_COMMANDS, ids=lambda c: " ".join(c) or "carrier-sdk")
def test_help(command: tuple[str, ...]) -> None:
    result = CliRunner().invoke(cli, [*command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output
    assert result.output.count("--help") == 1


def test_help_documents_exit_codes() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert "1 some items failed" in result.output
    assert "2 usage or configuration error" in result.output


def test_unknown_option_is_a_usage_error() -> None:
    assert CliRunner().invoke(cli, ["track", "--no-such-option"]).exit_code == EXIT_USAGE


# -- carriers and identify ------------------------------------------------------------------------


def test_carriers_json(run: Cli) -> None:
    result = run("carriers", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [c["code"] for c in data["carriers"]] == ["fakecarrier"]
    assert data["carriers"][0]["capabilities"] == sorted(data["carriers"][0]["capabilities"])
    assert "track_batch" in data["carriers"][0]["capabilities"]
    assert data["failed"] == []


def test_carriers_table(run: Cli) -> None:
    result = run("carriers")
    assert result.exit_code == 0
    assert "fakecarrier" in result.output
    assert "Fake Carrier" in result.output


def test_carriers_reports_load_failures(run: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    report = PluginReport(
        loaded=("fakecarrier",),
        failed=(PluginFailure(name="broken", distribution="carrier-sdk-broken", error="ImportError: nope"),),
        carriers=("fakecarrier",),
    )
    monkeypatch.setattr(Client, "plugin_report", lambda self: report)
    result = run("carriers")
    assert result.exit_code == EXIT_FAILED
    assert "broken" in result.output
    assert "ImportError: nope" in result.output
    data = json.loads(run("--json", "carriers").stdout)
    assert data["failed"] == [{"name": "broken", "distribution": "carrier-sdk-broken", "error": "ImportError: nope"}]


def test_identify(run: Cli) -> None:
    result = run("identify", "--json", DELIVERED.lower())
    assert result.exit_code == 0
    (line,) = json_lines(result.stdout)
    assert line["normalized"] == DELIVERED
    assert line["candidates"][0]["carrier"] == "fakecarrier"
    assert line["candidates"][0]["confidence"] == "high"


def test_identify_unrecognized_number_exits_1(run: Cli) -> None:
    result = run("identify", DELIVERED, "NOTANUMBER")
    assert result.exit_code == EXIT_FAILED
    assert "fakecarrier" in result.output
    assert "a tracking number contains digits" in result.output  # why it failed, not just that it did


# -- track ----------------------------------------------------------------------------------------


def test_track_one_number_table(run: Cli) -> None:
    result = run("track", DELIVERED)
    assert result.exit_code == 0, result.output
    assert f"{DELIVERED} (fakecarrier): delivered" in result.output
    assert "Tracked" not in result.output  # no summary for a single number


def test_track_json_lines_and_summary(run: Cli) -> None:
    result = run("--json", "track", DELIVERED, UNKNOWN)
    assert result.exit_code == EXIT_FAILED
    first, second, summary = json_lines(result.stdout)
    assert first["number"] == DELIVERED  # input order for numbers given as arguments
    assert first["ok"] is True
    assert first["info"]["status"] == "delivered"
    assert first["info"]["events"][-1]["occurred_at"].endswith("+00:00")
    assert second["ok"] is False
    assert second["error"]["type"] == "TrackingNotFoundError"
    assert summary == {
        "summary": {
            "total": 2,
            "succeeded": 1,
            "failed": 1,
            "by_status": {"delivered": 1},
            "by_error": {"TrackingNotFoundError": 1},
            "by_carrier": {"fakecarrier": 2},
        }
    }


def test_track_unrecognized_number_is_an_item_failure(run: Cli) -> None:
    result = run("track", "--json", "XX1")
    assert result.exit_code == EXIT_FAILED
    assert json_lines(result.stdout)[0]["error"]["type"] == "UnknownCarrierError"


def test_track_file_streams_json_lines(run: Cli) -> None:
    numbers = [fake_number(i) for i in range(1, 41)]
    path = run.tmp_path / "numbers.txt"
    path.write_text("# a comment\n\n" + "\n".join(numbers) + "\n\n", encoding="utf-8")
    result = run("track", "--json", "--file", str(path), "--concurrency", "4")
    assert result.exit_code == 0, result.output
    lines = json_lines(result.stdout)
    assert sorted(line["number"] for line in lines[:-1]) == sorted(numbers)
    assert lines[-1]["summary"]["total"] == 40
    assert lines[-1]["summary"]["succeeded"] == 40
    assert run.api.calls["track_batch"] == 8  # batch_size 5: the core batched the stream
    assert result.stderr == ""  # no progress bar: stderr is not a terminal


def test_track_file_human_lines_and_summary(run: Cli) -> None:
    path = run.tmp_path / "numbers.txt"
    path.write_text(f"{DELIVERED}\n{UNKNOWN}\n", encoding="utf-8")
    result = run("track", "-f", str(path))
    assert result.exit_code == EXIT_FAILED
    assert f"{DELIVERED}\tfakecarrier\tdelivered\t" in result.output
    assert f"{UNKNOWN}\tfakecarrier\terror\tTrackingNotFoundError" in result.output
    assert "Tracked 2: 1 succeeded, 1 failed" in result.output
    assert "By error" in result.output


def test_track_stdin_dash(run: Cli) -> None:
    result = run("track", "--json", "-", input=f"{DELIVERED}\n\n{fake_number(2)}\n")
    assert result.exit_code == 0, result.output
    lines = json_lines(result.stdout)
    assert {line["number"] for line in lines[:-1]} == {DELIVERED, fake_number(2)}
    assert lines[-1]["summary"]["total"] == 2


def test_track_file_dash_reads_stdin(run: Cli) -> None:
    result = run("track", "--json", "--file", "-", input=f"{DELIVERED}\n")
    assert json_lines(result.stdout)[-1]["summary"]["succeeded"] == 1


def test_progress_bar_only_on_a_terminal(run: Cli) -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert progress_enabled(Tty()) is True
    assert progress_enabled(io.StringIO()) is False
    path = run.tmp_path / "n.txt"
    path.write_text(DELIVERED + "\n", encoding="utf-8")
    assert "Tracking" not in run("track", "--file", str(path)).stderr
    forced = run("track", "--file", str(path), "--progress")
    assert "Tracking" in forced.stderr  # --progress forces it even without a terminal
    assert "1/1" in forced.stderr


def test_number_input_is_consumed_lazily() -> None:
    endless = (f"{n}\n" for n in itertools.count())
    assert list(itertools.islice(iter_nonblank(endless), 3)) == ["0", "1", "2"]


def test_track_with_carrier_option(run: Cli) -> None:
    result = run("track", "--json", "--carrier", "fakecarrier", DELIVERED)
    assert json_lines(result.stdout)[0]["carrier"] == "fakecarrier"
    unknown = run("track", "--carrier", "nosuch", DELIVERED)
    assert unknown.exit_code == EXIT_USAGE
    assert "unknown carrier 'nosuch'" in unknown.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "nothing to track"),
        ((DELIVERED, "--file", "x.txt"), "not both"),
        (("--journey", "-"), "--journey"),
    ],
)
def test_track_usage_errors(run: Cli, args: tuple[str, ...], message: str) -> None:
    result = run("track", *args, input="")
    assert result.exit_code == EXIT_USAGE
    assert message in result.stderr


def test_track_journey(run: Cli) -> None:
    result = run("track", "--journey", "--json", DELIVERED)
    assert result.exit_code == 0, result.output
    (journey,) = json_lines(result.stdout)
    assert journey["status"] == "delivered"
    assert [(leg["carrier"], leg["relation"]) for leg in journey["legs"]] == [("fakecarrier", "start")]
    assert [e["status"] for e in journey["events"]][-1] == "delivered"
    table = run("track", "--journey", DELIVERED)
    assert "Journey of" in table.output
    assert "Merged events" in table.output


def test_track_journey_failed_leg_exits_1(run: Cli) -> None:
    result = run("track", "--journey", "--json", UNKNOWN)
    assert result.exit_code == EXIT_FAILED
    (journey,) = json_lines(result.stdout)
    assert journey["legs"][0]["error"]["type"] == "TrackingNotFoundError"


def test_max_retries_option(run: Cli) -> None:
    run.api.inject(FaultKind.SERVER_ERROR, operation="track", count=1)
    failed = run("--max-retries", "0", "track", "--json", DELIVERED)
    assert failed.exit_code == EXIT_FAILED
    assert json_lines(failed.stdout)[0]["error"]["type"] == "CarrierServerError"
    run.api.inject(FaultKind.SERVER_ERROR, operation="track", count=1)
    assert run("--max-retries", "2", "track", DELIVERED).exit_code == 0


def test_interrupt_exits_130(run: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(*args: Any, **kwargs: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr(Client, "track_many", interrupted)
    assert run("track", DELIVERED).exit_code == EXIT_INTERRUPTED


# -- settings: config file, environment -------------------------------------------------------------


def test_missing_settings_exit_2_and_name_the_variable(run: Cli) -> None:
    result = run("track", DELIVERED, config=False)
    assert result.exit_code == EXIT_USAGE
    assert "CARRIER_SDK_FAKECARRIER_API_KEY" in result.stderr


def test_settings_from_environment(run: Cli) -> None:
    environ = {"CARRIER_SDK_FAKECARRIER_API_KEY_ID": "env", "CARRIER_SDK_FAKECARRIER_API_KEY": "fake-key"}
    result = run("track", DELIVERED, config=False, overrides=run.overrides(environ=environ))
    assert result.exit_code == 0, result.output


def test_config_file_from_environment_variable(run: Cli) -> None:
    result = CliRunner(env={"CARRIER_SDK_CONFIG": str(run.config)}).invoke(
        cli, ["track", DELIVERED], obj=run.overrides()
    )
    assert result.exit_code == 0, result.output


def test_secret_in_config_never_printed(run: Cli) -> None:
    run.config.write_text('[fakecarrier]\napi_key_id = "x"\napi_key = "wrong-secret-value"\n', encoding="utf-8")
    result = run("-v", "track", DELIVERED)
    assert result.exit_code == EXIT_AUTH  # the carrier rejected the credentials
    assert "wrong-secret-value" not in result.output + result.stderr


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[fakecarrier\n", "not valid TOML"),
        ('api_key = "x"\n', "carrier tables"),
    ],
)
def test_broken_config_file_exits_2(run: Cli, text: str, message: str) -> None:
    run.config.write_text(text, encoding="utf-8")
    result = run("carriers")
    assert result.exit_code == EXIT_USAGE
    assert message in result.stderr


def test_unknown_setting_exits_2(run: Cli) -> None:
    run.config.write_text('[fakecarrier]\napi_key_id = "x"\napi_key = "y"\nnope = 1\n', encoding="utf-8")
    result = run("--json", "track", DELIVERED)
    assert result.exit_code == EXIT_USAGE
    (line,) = json_lines(result.stdout)  # one failure, one object: no item line, no summary, nothing on stderr
    assert line["error"]["type"] == "ConfigurationError"
    assert "unknown settings for 'fakecarrier': nope" in line["error"]["message"]
    assert result.stderr == ""


def test_verbose_logs_debug_to_stderr(run: Cli) -> None:
    result = run("-v", "track", DELIVERED)
    assert result.exit_code == 0
    assert "DEBUG carrier_sdk" in result.stderr
    assert "fake-key" not in result.stderr


# -- rates, ship, cancel, validate-address ---------------------------------------------------------


@pytest.fixture
def shipment_json(tmp_path: Path) -> Path:
    path = tmp_path / "shipment.json"
    path.write_text(json.dumps(SHIPMENT), encoding="utf-8")
    return path


def test_rates_json(run: Cli, shipment_json: Path) -> None:
    result = run("rates", "fakecarrier", "--shipment", str(shipment_json), "--json")
    assert result.exit_code == 0, result.output
    rates = json.loads(result.stdout)
    assert [(r["service"], r["price"]["amount"]) for r in rates] == [("standard", "7.50"), ("express", "19.00")]


def test_rates_table_from_toml(run: Cli, tmp_path: Path) -> None:
    path = tmp_path / "shipment.toml"
    path.write_text(SHIPMENT_TOML, encoding="utf-8")
    result = run("rates", "fakecarrier", "--shipment", str(path))
    assert result.exit_code == 0, result.output
    assert "express" in result.output
    assert "19.00 USD" in result.output


def test_rates_bad_shipment_exits_2(run: Cli, tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({**SHIPMENT, "parcels": [{"weight": "-1"}]}), encoding="utf-8")
    assert run("rates", "fakecarrier", "--shipment", str(path)).exit_code == EXIT_USAGE
    path.write_text("{not json", encoding="utf-8")
    result = run("rates", "fakecarrier", "--shipment", str(path))
    assert result.exit_code == EXIT_USAGE
    assert "not valid JSON" in result.stderr


def test_ship_writes_label_and_reuses_idempotency_key(run: Cli, shipment_json: Path) -> None:
    label = run.tmp_path / "label.pdf"
    args = ("ship", "fakecarrier", str(shipment_json), "--label-out", str(label), "--idempotency-key", "k-1")
    first = run("--json", *args)
    assert first.exit_code == 0, first.output
    data = json.loads(first.stdout)
    assert data["idempotency_key"] == "k-1"
    assert data["label"] == {"format": "pdf", "path": str(label), "bytes": label.stat().st_size}
    assert label.read_bytes()
    second = json.loads(run("--json", *args).stdout)
    assert second["tracking_number"] == data["tracking_number"]
    assert len(run.api.labels) == 1  # the same key bought one label


def test_ship_default_label_path(run: Cli, shipment_json: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(run.tmp_path)
    result = run("ship", "fakecarrier", str(shipment_json))
    assert result.exit_code == 0, result.output
    (number,) = run.api.labels
    assert (run.tmp_path / f"{number}.pdf").is_file()
    assert number in result.output


def test_ship_outcome_unknown_exits_3(run: Cli, shipment_json: Path) -> None:
    class NoKeyCarrier(FakeCarrier):
        supports_idempotency_key: ClassVar[bool] = False

    registry = make_registry(NoKeyCarrier)
    run.api.inject(FaultKind.LOST_RESPONSE, operation="create_shipment")
    overrides = run.overrides(registry=registry)
    result = run("ship", "fakecarrier", str(shipment_json), "--label-out", "x.pdf", overrides=overrides)
    assert result.exit_code == EXIT_OUTCOME_UNKNOWN
    assert len(run.api.labels) == 1  # bought once, never resent


def test_ship_unsupported_operation_exits_2(run: Cli, shipment_json: Path) -> None:
    class TrackOnly(FakeCarrier):
        capabilities: ClassVar[frozenset[Any]] = frozenset(FakeCarrier.capabilities) - {
            c for c in FakeCarrier.capabilities if c.value == "create_shipment"
        }

    registry = make_registry(TrackOnly)
    result = run("ship", "fakecarrier", str(shipment_json), overrides=run.overrides(registry=registry))
    assert result.exit_code == EXIT_USAGE


def test_cancel(run: Cli, shipment_json: Path) -> None:
    run("ship", "fakecarrier", str(shipment_json), "--label-out", str(run.tmp_path / "l.pdf"))
    (number,) = run.api.labels
    result = run("cancel", "fakecarrier", number, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["cancelled"] is True
    assert run.api.labels[number]["cancelled"] is True
    missing = run("cancel", "fakecarrier", fake_number(1234))
    assert missing.exit_code == EXIT_FAILED
    assert "no such label" in missing.stderr


def test_validate_address_inline_and_file(run: Cli, tmp_path: Path) -> None:
    inline = ("--name", "Bo", "--street1", "1 Main St", "--country", "US")
    ok = run("validate-address", "fakecarrier", *inline, "--city", "Springfield", "--json")
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.stdout)["matched"] is True
    nowhere = run("validate-address", "fakecarrier", *inline, "--city", "Nowhere")
    assert nowhere.exit_code == EXIT_FAILED
    assert "NO" in nowhere.output
    path = tmp_path / "address.toml"
    path.write_text('name = "Bo"\nstreet1 = "1 Main St"\ncity = "Nowhere"\ncountry = "US"\n', encoding="utf-8")
    assert run("validate-address", "fakecarrier", "--address", str(path)).exit_code == EXIT_FAILED
    overridden = run("validate-address", "fakecarrier", "--address", str(path), "--city", "Springfield")
    assert overridden.exit_code == 0


def test_validate_address_needs_an_address(run: Cli) -> None:
    assert run("validate-address", "fakecarrier").exit_code == EXIT_USAGE
    assert run("validate-address", "fakecarrier", "--city", "X").exit_code == EXIT_USAGE  # no street1


# -- sandbox, new-adapter, demo ---------------------------------------------------------------------


def test_sandbox_numbers(run: Cli) -> None:
    result = run("sandbox", "numbers", "--json")
    assert json.loads(result.stdout) == {"fakecarrier": dict(FakeCarrierAPIServer.scenario_numbers)}
    assert DELIVERED in run("sandbox", "numbers").output


def test_sandbox_numbers_generate(run: Cli) -> None:
    result = run("sandbox", "numbers", "--generate", "30")
    numbers = result.output.split()
    assert len(numbers) == 30
    assert all(FakeCarrier.recognize(n) for n in numbers)
    assert len(set(numbers)) > 25


def test_generated_numbers_resolve_to_one_carrier() -> None:
    registry = Client().registry
    numbers = list(generate_numbers(registry, 200, seed=3))
    assert len(numbers) == 200 or not registry.codes()
    for number in numbers:
        claims = registry.identify(number)
        assert claims, number
        assert len(claims) == 1 or claims[1].confidence < claims[0].confidence, number
    assert numbers == list(generate_numbers(registry, 200, seed=3))  # deterministic


def test_sandbox_track_needs_no_credentials(run: Cli) -> None:
    result = run.sandboxed("track", "--json", DELIVERED)
    assert result.exit_code == 0, result.output
    assert json_lines(result.stdout)[0]["info"]["status"] == "delivered"


def test_sandbox_serve(run: Cli) -> None:
    result = run.sandboxed("sandbox", "serve", "--exit-after", "0.1", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["url"].startswith("http://127.0.0.1:")
    assert data["base_urls"]["fakecarrier"].startswith(data["url"])
    table = run.sandboxed("sandbox", "serve", "--exit-after", "0")
    assert "fakecarrier" in table.output
    assert "Sandbox stopped." in table.stderr


def test_new_adapter(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["new-adapter", "acme", "--dest", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    path = Path(json.loads(result.stdout)["path"])
    assert path.is_dir()
    assert (path / "pyproject.toml").is_file()
    again = CliRunner().invoke(cli, ["new-adapter", "acme", "--dest", str(tmp_path)])
    assert again.exit_code == EXIT_USAGE  # not empty: refused


def test_new_adapter_without_scaffolding(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "carrier_sdk._scaffold", None)  # import fails
    result = CliRunner().invoke(cli, ["new-adapter", "acme", "--dest", str(tmp_path)])
    assert result.exit_code == EXIT_USAGE
    assert "not available" in result.stderr


def test_demo_without_cainiao(run: Cli) -> None:
    result = run.sandboxed("demo", "--count", "60", "--json")
    assert result.exit_code == 0, result.output
    journey, summary = json_lines(result.stdout)
    assert journey["journey"] is None
    assert "cainiao" in journey["message"]
    assert summary["summary"]["total"] == 60
    assert summary["summary"]["by_error"] == {"TrackingNotFoundError": 1}  # the "unknown" scenario
    table = run.sandboxed("demo", "--count", "10")
    assert "Skipping the cross-border journey" in table.output
    assert "Tracked 10" in table.output


def test_json_error_object_on_stdout(run: Cli) -> None:
    result = run("--json", "rates", "nosuch", "--shipment", "x.json")
    assert result.exit_code == EXIT_USAGE
    assert json.loads(result.stdout)["error"]["type"] == "UnknownCarrierError"


# -- as a real process ----------------------------------------------------------------------------


def test_subprocess_carriers_json() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "carrier_sdk.cli", "carriers", "--json"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        check=False,
    )
    data = json.loads(proc.stdout)
    assert proc.returncode == (EXIT_FAILED if data["failed"] else 0), proc.stderr
    assert [c["code"] for c in data["carriers"]] == Client().registry.codes()


# -- the real sandbox with the installed plugins -----------------------------------------------------


def _plugins_with_fakes() -> set[str]:
    try:
        from carrier_sdk.sandbox import Sandbox

        return set(Sandbox().scenario_numbers())
    except Exception:
        return set()


needs_plugins = pytest.mark.skipif(
    not {"cainiao", "usps"} <= _plugins_with_fakes(), reason="needs the cainiao and usps plugins with their fakes"
)


@needs_plugins
def test_demo_with_plugins_stitches_cainiao_to_usps() -> None:
    result = CliRunner().invoke(cli, ["demo", "--count", "300", "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    journey, summary = json_lines(result.stdout)
    legs = journey["journey"]["legs"]
    assert [leg["carrier"] for leg in legs][:2] == ["cainiao", "usps"]
    assert legs[1]["relation"] == "last_mile"
    carriers = {e["carrier"] for e in journey["journey"]["events"]}
    assert {"cainiao", "usps"} <= carriers
    assert summary["summary"]["total"] == 300
    assert set(summary["summary"]["by_carrier"]) == _plugins_with_fakes()


@needs_plugins
def test_sandbox_journey_and_bulk_file_with_plugins(tmp_path: Path) -> None:
    runner = CliRunner()
    numbers = json.loads(runner.invoke(cli, ["--sandbox", "sandbox", "numbers", "--json"]).stdout)
    handover = numbers["cainiao"]["handover"]
    journey = runner.invoke(cli, ["--sandbox", "track", "--journey", "--json", handover], catch_exceptions=False)
    legs = json_lines(journey.stdout)[0]["legs"]
    assert ("usps", "last_mile") in {(leg["carrier"], leg["relation"]) for leg in legs}
    path = tmp_path / "numbers.txt"
    path.write_text(runner.invoke(cli, ["sandbox", "numbers", "--generate", "120"]).output, encoding="utf-8")
    result = runner.invoke(cli, ["track", "--sandbox", "--json", "--file", str(path)], catch_exceptions=False)
    summary = json_lines(result.stdout)[-1]["summary"]
    assert summary["total"] == 120
    assert result.exit_code == (EXIT_FAILED if summary["failed"] else 0)
    assert summary["by_error"].get("TrackingNotFoundError", 0) == summary["failed"]  # only the "unknown" scenarios
