"""HTTP(S)_PROXY is honoured the same way on every transport (issue 18, "decide and document")."""

from __future__ import annotations

import pathlib
from typing import Any

import pytest

from carrier_sdk.testing import FakeCarrier, FakeCarrierAPIServer, fake_number, make_registry

from ._helpers import run_on_path
from .adversarial import AdversarialServer, Request, Respond


def track_once(path: str, settings: dict[str, Any]) -> None:
    """One fake-carrier track over plain http without retries; its outcome is not the point, what reached
    the server is."""
    run_on_path(
        path,
        lambda c: c.track(fake_number(2)),
        settings=settings,
        registry=make_registry(FakeCarrier),
        max_retries=0,
        allow_insecure_http=True,
    )


@pytest.mark.parametrize("path", ["sync", "async-httpx", "async-aiohttp"])
def test_env_proxy_is_honoured_on_every_transport(path: str, monkeypatch: pytest.MonkeyPatch) -> None:
    if path == "async-aiohttp":
        pytest.importorskip("httpx_aiohttp")
    seen: list[str] = []

    def proxy(request: Request) -> Any:
        seen.append(request.path)  # a forward proxy receives the absolute URL
        return Respond(503, (("content-type", "application/json"),), b"{}")

    with AdversarialServer(proxy) as server:
        for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("HTTP_PROXY", server.url)
        monkeypatch.setenv("NO_PROXY", "")
        monkeypatch.setenv("no_proxy", "")
        settings = {"fakecarrier": FakeCarrierAPIServer().settings(base_url="http://carrier.invalid")}
        track_once(path, settings)
    assert seen, f"{path}: the request did not go through HTTP_PROXY"
    assert seen[0].startswith("http://carrier.invalid/")


@pytest.mark.parametrize("path", ["sync", "async-httpx", "async-aiohttp"])
def test_netrc_credentials_are_never_sent(path: str, monkeypatch: pytest.MonkeyPatch, tmp_path: pathlib.Path) -> None:
    """No transport adds ``~/.netrc`` credentials to a carrier request (no proxy set)."""
    if path == "async-aiohttp":
        pytest.importorskip("httpx_aiohttp")
    seen: list[dict[str, str]] = []

    def record(request: Request) -> Any:
        seen.append(request.headers)
        return Respond(503, (("content-type", "application/json"),), b"{}")

    with AdversarialServer(record) as server:
        for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
            monkeypatch.delenv(name, raising=False)
        netrc = tmp_path / "netrc"
        netrc.write_text("machine 127.0.0.1 login netrc-user password netrc-password\n")
        netrc.chmod(0o600)
        monkeypatch.setenv("NETRC", str(netrc))
        settings = {"fakecarrier": FakeCarrierAPIServer().settings(base_url=server.url)}
        track_once(path, settings)
    assert seen, f"{path}: no request reached the server"
    assert not any("basic" in v.lower() for headers in seen for k, v in headers.items() if k.lower() == "authorization")
