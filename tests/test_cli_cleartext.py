"""``carrier-sdk --allow-insecure-http``: the command line's opt-in to plain ``http://`` carrier URLs.

Without it a configured ``http://`` base URL to a host other than loopback is refused before any
request (exit 2, naming the option); with it the request goes out over ``http://``.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner, Result

from carrier_sdk.cli import EXIT_USAGE, Overrides, cli
from carrier_sdk.testing import FakeCarrier, FakeCarrierAPIServer, fake_number, make_registry


class Recording(httpx.BaseTransport):
    """Hands each request to the fake carrier's transport and keeps its URL."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner
        self.urls: list[httpx.URL] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.urls.append(request.url)
        return self.inner.handle_request(request)


@pytest.fixture
def api() -> FakeCarrierAPIServer:
    return FakeCarrierAPIServer()


def run(api: FakeCarrierAPIServer, tmp_path: Path, transport: Recording, *options: str) -> Result:
    settings = api.settings()
    config = tmp_path / "carrier-sdk.toml"
    config.write_text(
        f'[fakecarrier]\napi_key_id = "{settings["api_key_id"]}"\napi_key = "{settings["api_key"]}"\n'
        'base_url = "http://api.fakecarrier.test"\n',
        encoding="utf-8",
    )
    overrides = Overrides(registry=make_registry(FakeCarrier), transport=transport, environ={}, sleep=lambda s: None)
    argv = ["--config", str(config), *options, "track", fake_number(1)]
    return CliRunner().invoke(cli, argv, obj=overrides, catch_exceptions=False)


def test_cleartext_base_url_is_refused_before_any_request(api: FakeCarrierAPIServer, tmp_path: Path) -> None:
    transport = Recording(api.transport())
    result = run(api, tmp_path, transport)
    assert result.exit_code == EXIT_USAGE, result.output
    assert "--allow-insecure-http" in result.output
    assert "http://api.fakecarrier.test" in result.output
    assert transport.urls == []


def test_allow_insecure_http_sends_over_http(api: FakeCarrierAPIServer, tmp_path: Path) -> None:
    transport = Recording(api.transport())
    result = run(api, tmp_path, transport, "--allow-insecure-http")
    assert result.exit_code == 0, result.output
    assert transport.urls, "no request was sent"
    assert {url.scheme for url in transport.urls} == {"http"}
    assert {url.host for url in transport.urls} == {"api.fakecarrier.test"}
