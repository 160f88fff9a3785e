"""Errors that say what to do: each error case of issue 13, its message and its exit code, through the command."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from carrier_sdk.cli import EXIT_AUTH, EXIT_FAILED, EXIT_USAGE, Overrides, cli
from carrier_sdk.testing import FakeCarrier, FakeCarrierAPIServer, make_registry

DELIVERED = FakeCarrierAPIServer.scenario_numbers["delivered"]


def _run(
    *args: str, environ: Mapping[str, str] | None = None, api: FakeCarrierAPIServer | None = None, plugins: bool = False
) -> Result:
    """One run against FakeCarrier (or the installed plugins), with the environment ``environ``."""
    overrides: dict[str, Any] = {"environ": dict(environ or {}), "sleep": lambda s: None}
    if not plugins:
        registry = make_registry(FakeCarrier)
        overrides["registry"] = registry
        overrides["transport"] = (api or FakeCarrierAPIServer()).transport()
    return CliRunner().invoke(cli, list(args), obj=Overrides(**overrides))


def _lines(text: str) -> list[Any]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


# -- one failure, reported once -------------------------------------------------------------------


def test_missing_credentials_are_reported_once_with_the_ways_out() -> None:
    result = _run("track", DELIVERED)
    assert result.exit_code == EXIT_USAGE
    assert result.stdout == ""  # not as an item *and* as an error
    assert result.stderr.count("missing settings") == 1
    assert "missing settings for 'fakecarrier': " in result.stderr  # the identified carrier, not (?)
    assert "api_key_id (or $CARRIER_SDK_FAKECARRIER_API_KEY_ID)" in result.stderr
    assert "api_key (or $CARRIER_SDK_FAKECARRIER_API_KEY)" in result.stderr
    assert "--config FILE" in result.stderr
    assert "--sandbox" in result.stderr


def test_missing_credentials_in_json_are_one_object() -> None:
    result = _run("--json", "track", DELIVERED)
    assert result.exit_code == EXIT_USAGE
    (line,) = _lines(result.stdout)
    assert line["error"]["type"] == "ConfigurationError"
    assert line["error"]["carrier"] == "fakecarrier"
    assert "$CARRIER_SDK_FAKECARRIER_API_KEY" in line["error"]["message"]
    assert result.stderr == ""


def test_json_items_summary_and_nothing_else() -> None:
    api = FakeCarrierAPIServer()
    env = {"CARRIER_SDK_FAKECARRIER_API_KEY_ID": "sandbox", "CARRIER_SDK_FAKECARRIER_API_KEY": api.api_key}
    unknown = FakeCarrierAPIServer.scenario_numbers["unknown"]
    result = _run("--json", "track", DELIVERED, unknown, environ=env, api=api)
    assert result.exit_code == EXIT_FAILED
    lines = _lines(result.stdout)
    assert [sorted(line) for line in lines] == [
        ["carrier", "error", "info", "number", "ok"],
        ["carrier", "error", "info", "number", "ok"],
        ["summary"],
    ]  # each item one object, the summary one object
    assert result.stderr == ""


def test_fatal_error_in_json_is_one_object_and_not_on_stderr() -> None:
    result = _run("--json", "rates", "nosuchcarrier", "--shipment", "x.json")
    assert result.exit_code == EXIT_USAGE
    (line,) = _lines(result.stdout)
    assert line["error"]["type"] == "UnknownCarrierError"
    assert result.stderr == ""


@pytest.mark.skipif(os.environ.get("CARRIER_SDK_DISABLE_PLUGINS") is not None, reason="needs the installed plugins")
def test_cainiao_missing_settings_in_one_round() -> None:
    pytest.importorskip("carrier_sdk_cainiao")
    result = _run("track", "--carrier", "cainiao", "LP00100000000005", plugins=True)
    assert result.exit_code == EXIT_USAGE
    assert "secret_key (or $CARRIER_SDK_CAINIAO_SECRET_KEY)" in result.stderr
    assert "logistic_provider_id or app_key" in result.stderr
    assert "$CARRIER_SDK_CAINIAO_LOGISTIC_PROVIDER_ID or $CARRIER_SDK_CAINIAO_APP_KEY" in result.stderr


def test_rejected_credentials_exit_4() -> None:
    env = {"CARRIER_SDK_FAKECARRIER_API_KEY_ID": "x", "CARRIER_SDK_FAKECARRIER_API_KEY": "wrong"}
    tracked = _run("track", DELIVERED, environ=env)
    assert tracked.exit_code == EXIT_AUTH
    cancelled = _run("cancel", "fakecarrier", DELIVERED, environ=env)
    assert cancelled.exit_code == EXIT_AUTH
    assert "rejected the credentials" in cancelled.stderr
    assert cancelled.stderr.count("Error:") == 1


# -- unknown names, with suggestions --------------------------------------------------------------


def test_unknown_config_table_and_variable_are_warned_with_a_suggestion(tmp_path: Path) -> None:
    api = FakeCarrierAPIServer()
    config = tmp_path / "c.toml"
    config.write_text(
        f'[FakeCarrier]\napi_key_id = "sandbox"\napi_key = "{api.api_key}"\n\n[fakecarier]\napi_key = "x"\n',
        encoding="utf-8",
    )
    result = _run("--config", str(config), "track", DELIVERED, environ={"CARRIER_SDK_FAKECARRIER_APIKEY": "x"}, api=api)
    assert result.exit_code == 0, result.output  # [FakeCarrier] is [fakecarrier]: tables are case-insensitive
    assert "[fakecarier] is no installed carrier (did you mean 'fakecarrier'?); it is ignored" in result.stderr
    assert (
        "environment variable CARRIER_SDK_FAKECARRIER_APIKEY is not read by carrier-sdk "
        "(did you mean 'CARRIER_SDK_FAKECARRIER_API_KEY'?)" in result.stderr
    )


def test_default_config_file_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from carrier_sdk.cli._paths import default_config_file

    api = FakeCarrierAPIServer()
    path = default_config_file()
    assert str(path).startswith(os.environ["XDG_CONFIG_HOME"])  # the conftest's private folder
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f'[fakecarrier]\napi_key_id = "sandbox"\napi_key = "{api.api_key}"\n', encoding="utf-8")
    result = _run("--json", "track", DELIVERED, api=api)
    assert result.exit_code == 0, result.output
    assert _lines(result.stdout)[0]["info"]["status"] == "delivered"


def test_carrier_codes_are_case_insensitive_and_near_misses_suggested() -> None:
    api = FakeCarrierAPIServer()
    env = {"CARRIER_SDK_FAKECARRIER_API_KEY_ID": "sandbox", "CARRIER_SDK_FAKECARRIER_API_KEY": api.api_key}
    upper = _run("--json", "track", "--carrier", "FAKECARRIER", DELIVERED, environ=env, api=api)
    assert upper.exit_code == 0, upper.output
    assert _lines(upper.stdout)[0]["carrier"] == "fakecarrier"
    near = _run("cancel", "fakecarier", DELIVERED, environ=env, api=api)
    assert near.exit_code == EXIT_USAGE
    assert "unknown carrier 'fakecarier' (did you mean 'fakecarrier'?)" in near.stderr


def test_unknown_document_fields_suggest_the_right_name(tmp_path: Path) -> None:
    shipment = tmp_path / "s.json"
    shipment.write_text(
        json.dumps(
            {
                "shipper": {"name": "A", "street1": "1 Main St", "city": "X", "zip": "10001", "country": "US"},
                "recipient": {"name": "B", "street1": "2 Main St", "city": "Y", "country": "US"},
                "parcel": [{"weight": 1}],
            }
        ),
        encoding="utf-8",
    )
    result = _run("--sandbox", "ship", "fakecarrier", str(shipment))
    assert result.exit_code == EXIT_USAGE
    assert "unknown field 'zip' (did you mean 'postal_code'?) @ $.shipper" in result.stderr
    assert "unknown field 'parcel' (did you mean 'parcels'?)" in result.stderr


def test_cli_words_in_cli_messages() -> None:
    result = _run("--sandbox", "track", "ZZ9999")
    assert result.exit_code == EXIT_FAILED
    assert "give --carrier CODE" in result.stdout
    assert "carrier=" not in result.stdout + result.stderr


@pytest.mark.parametrize(
    ("number", "why"),
    [
        ("RR100000018SG", "shaped like a UPU S10 id but the check digit is 8, not 7"),
        ("RR10000001SG", "shaped like a UPU S10 id (2 letters, 9 digits, 2 letters) but it has 8 digits"),
        ("9400111899000000000054", "shaped like a USPS IMpb number but the check digit is 4, not 3"),
        ("940011189900000000005", "21 digits: a USPS IMpb number has 20, 22, 26, 30, 34 digits"),
        ("1234", "a tracking number has 8 to 40 characters, this one has 4"),
    ],
)
def test_identify_says_why_a_number_failed(number: str, why: str) -> None:
    result = _run("--json", "identify", number)
    assert result.exit_code == EXIT_FAILED
    (line,) = _lines(result.stdout)
    assert line["candidates"] == []
    assert line["problem"].startswith(why)
    table = _run("identify", number)
    assert why in " ".join(table.stdout.split())


def test_connection_errors_name_the_host() -> None:
    api = FakeCarrierAPIServer()
    api.inject("connect_error", count=100)
    env = {"CARRIER_SDK_FAKECARRIER_API_KEY_ID": "sandbox", "CARRIER_SDK_FAKECARRIER_API_KEY": api.api_key}
    result = _run("--json", "track", DELIVERED, environ=env, api=api)
    assert result.exit_code == EXIT_FAILED
    message = _lines(result.stdout)[0]["error"]["message"]
    assert "failed to connect to api.fakecarrier.test" in message
    assert api.calls["track"] == 3  # a one-shot command: 2 retries, not 8


def test_shell_completion_as_documented() -> None:
    """docs/cli.md's completion lines work: the script, then completions of commands and statuses."""
    import subprocess
    import sys

    def complete(**env: str) -> str:
        return subprocess.run(
            [sys.executable, "-c", "from carrier_sdk.cli import main; main()"],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, **env},
        ).stdout

    assert "_carrier_sdk_completion()" in complete(_CARRIER_SDK_COMPLETE="bash_source")
    words = complete(
        _CARRIER_SDK_COMPLETE="bash_complete",
        COMP_WORDS="carrier-sdk sandbox advance --to-status deliv",
        COMP_CWORD="4",
    )
    assert words.split() == ["plain,delivered", "plain,delivery_failed"]
    docs = (Path(__file__).resolve().parents[1] / "docs" / "cli.md").read_text(encoding="utf-8")
    assert 'eval "$(_CARRIER_SDK_COMPLETE=bash_source carrier-sdk)"' in docs


def test_missing_settings_of_several_carriers_name_every_table() -> None:
    from carrier_sdk import ConfigurationError
    from carrier_sdk.cli._track import _one_config_error
    from carrier_sdk.cli._words import cli_message

    usps = ConfigurationError("missing settings for 'usps': client_id (or $X)", carrier="usps", missing=["client_id"])
    sg = ConfigurationError("missing settings for 'singpost': api_key (or $Y)", carrier="singpost", missing=["api_key"])
    message = cli_message(_one_config_error([usps, sg, usps]))
    assert message.count("missing settings for 'usps'") == 1
    assert "missing settings for 'singpost'" in message
    assert "put the settings in [usps], [singpost] tables of a config file (--config FILE)" in message
