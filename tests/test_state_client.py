"""Clients on shared state: limits, tokens and the purchase ledger, in one process (several
clients stand for several processes; the multi-process checks are in test_state_processes.py)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from carrier_sdk import (
    AsyncClient,
    Client,
    ConfigurationError,
    OutcomeUnknownError,
    PurchaseInProgressError,
    RateLimit,
    StateBackendError,
    ValidationError,
)
from carrier_sdk._ratelimit import Window
from carrier_sdk.sandbox import Sandbox
from carrier_sdk.state import MemoryState, PurchaseStatus, RedisState, SharedRateLimiter, SQLiteState, StateBackend
from carrier_sdk.testing import cross_border_request

from ._helpers import open_backend


@pytest.fixture(params=["sqlite", "redis"])
def shared(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StateBackend]:
    with open_backend(request.param, request, tmp_path) as state:
        yield state


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_default_state_is_memory_and_env_var_selects_another(tmp_path: Path) -> None:
    with Client(sandbox=True, environ={}) as client:
        assert isinstance(client.state, MemoryState)
    url = f"sqlite:///{tmp_path}/s.db"
    with Client(sandbox=True, environ={"CARRIER_SDK_STATE_URL": url}) as client:
        assert isinstance(client.state, SQLiteState)
    with Client(sandbox=True, state=url, environ={"CARRIER_SDK_STATE_URL": "memory://"}) as client:
        assert isinstance(client.state, SQLiteState)  # the argument wins
    with pytest.raises(ConfigurationError, match="state must be"):
        Client(sandbox=True, state=42)  # type: ignore[arg-type]


def test_two_clients_share_one_limit(shared: StateBackend) -> None:
    sandbox = Sandbox(carriers=["cainiao"])
    limits = {"cainiao": RateLimit((Window(2, 30.0),))}
    number = sandbox.scenario_numbers()["cainiao"]["in_transit"]
    with Client(sandbox=sandbox, state=shared, rate_limits=limits) as one:
        one.track(number)
        one.track(number)
        limiter = one._limiter(one._carrier("cainiao"))
        assert isinstance(limiter, SharedRateLimiter)
    # The window is full with the first client's two calls: the next slot is ~30 s away.
    with (
        Client(sandbox=sandbox, state=shared, rate_limits=limits, deadline=5) as two,
        pytest.raises(Exception, match="client-side rate limit"),
    ):
        two.track(number)


def test_a_429_pauses_every_client_on_the_state(shared: StateBackend) -> None:
    sandbox = Sandbox(carriers=["cainiao"])
    number = sandbox.scenario_numbers()["cainiao"]["in_transit"]
    sandbox.inject("cainiao", "rate_limited", retry_after=20, count=1)
    with Client(sandbox=sandbox, state=shared, deadline=60, sleep=lambda s: None) as one:
        one.track(number)  # 429 (pause 20 s shared), then the retry
    with (
        Client(sandbox=sandbox, state=shared, deadline=5) as two,
        pytest.raises(Exception, match="client-side rate limit"),
    ):
        two.track(number)


def test_same_key_in_two_clients_buys_once(shared: StateBackend) -> None:
    sandbox = Sandbox(carriers=["cainiao"])
    with Client(sandbox=sandbox, state=shared) as one, Client(sandbox=sandbox, state=shared) as two:
        first = one.create_shipment("cainiao", cross_border_request(), idempotency_key="order-1")
        again = two.create_shipment("cainiao", cross_border_request(), idempotency_key="order-1")
    assert again == first
    assert first.idempotency_key == "order-1"
    assert sandbox.fake("cainiao").calls["create_shipment"] == 1
    record = shared.purchase("cainiao", "order-1")
    assert record is not None
    assert record.status is PurchaseStatus.DONE


def test_same_key_for_another_request_is_refused_before_any_io(shared: StateBackend) -> None:
    sandbox = Sandbox(carriers=["cainiao"])
    with Client(sandbox=sandbox, state=shared) as client:
        client.create_shipment("cainiao", cross_border_request(), idempotency_key="order-1")
        with pytest.raises(ValidationError, match="different request"):
            client.create_shipment("cainiao", cross_border_request("OTHER"), idempotency_key="order-1")
    assert sandbox.fake("cainiao").calls["create_shipment"] == 1


def test_a_key_in_flight_elsewhere_is_in_progress_then_unknown(shared: StateBackend) -> None:
    sandbox = Sandbox(carriers=["cainiao"])
    key = shared.purchase_key("cainiao", "order-1")
    from carrier_sdk.state._ledger import request_fingerprint

    shared.begin_purchase(key, "another-process", 0.5, request_fingerprint(cross_border_request()))
    with Client(sandbox=sandbox, state=shared) as client:
        with pytest.raises(PurchaseInProgressError) as info:
            client.create_shipment("cainiao", cross_border_request(), idempotency_key="order-1")
        assert 0 < info.value.retry_after <= 0.5
        assert info.value.idempotency_key == "order-1"
        settled = shared.wait_for_purchase("cainiao", "order-1", timeout=5, poll=0.05)
        assert settled is not None
        assert settled.status is PurchaseStatus.UNKNOWN
        with pytest.raises(OutcomeUnknownError, match="lease expired"):
            client.create_shipment("cainiao", cross_border_request(), idempotency_key="order-1")
    assert sandbox.fake("cainiao").calls["create_shipment"] == 0


def test_an_ambiguous_purchase_is_recorded_unknown(shared: StateBackend) -> None:
    sandbox = Sandbox(carriers=["cainiao"])
    sandbox.inject("cainiao", "lost_response", operation="create_shipment")
    with Client(sandbox=sandbox, state=shared) as client:
        with pytest.raises(OutcomeUnknownError):
            client.create_shipment("cainiao", cross_border_request(), idempotency_key="order-1")
        record = shared.purchase("cainiao", "order-1")
        assert record is not None
        assert record.status is PurchaseStatus.UNKNOWN
        with pytest.raises(OutcomeUnknownError):
            client.create_shipment("cainiao", cross_border_request(), idempotency_key="order-1")
        shared.forget("cainiao", "order-1")  # reconciled by hand: nothing was bought ... or was it
    assert sandbox.fake("cainiao").calls["create_shipment"] == 1


def test_the_ledger_fails_closed_unless_the_caller_opts_out() -> None:
    sandbox = Sandbox(carriers=["cainiao"])
    down = RedisState(f"redis://127.0.0.1:{closed_port()}/0", retry_for=0.1)
    with Client(sandbox=sandbox, state=down) as client, pytest.raises(StateBackendError, match="begin_purchase"):
        client.create_shipment("cainiao", cross_border_request(), idempotency_key="order-1")
    down.close()
    assert sandbox.fake("cainiao").calls["create_shipment"] == 0

    class LedgerDown(MemoryState):
        def begin_purchase(self, key: str, owner: str, lease: float, fingerprint: str = "") -> Any:
            raise StateBackendError("ledger down", backend="test://", operation="begin_purchase")

    with Client(sandbox=sandbox, state=LedgerDown()) as client, pytest.raises(StateBackendError):
        client.create_shipment("cainiao", cross_border_request(), idempotency_key="order-1")
    assert sandbox.fake("cainiao").calls["create_shipment"] == 0
    with Client(sandbox=sandbox, state=LedgerDown(), ledger_required=False) as client:
        shipment = client.create_shipment("cainiao", cross_border_request(), idempotency_key="order-1")
    assert shipment.tracking_number
    assert sandbox.fake("cainiao").calls["create_shipment"] == 1


def test_usps_token_shared_by_clients(shared: StateBackend) -> None:
    sandbox = Sandbox(carriers=["usps"])
    number = sandbox.scenario_numbers()["usps"]["in_transit"]
    with sandbox.serve() as server:  # one USPS for every client, as in production
        for _ in range(3):
            with Client(server.settings(), state=shared) as client:
                client.track(number)
    assert sandbox.fake("usps").calls["token"] == 1


def test_in_process_sandbox_tokens_stay_in_the_process(shared: StateBackend) -> None:
    # Two in-process sandboxes are two USPS: a token of one means nothing to the other.
    number = Sandbox(carriers=["usps"]).scenario_numbers()["usps"]["in_transit"]
    one, two = Sandbox(carriers=["usps"]), Sandbox(carriers=["usps"])
    for box in (one, two):
        with Client(sandbox=box, state=shared) as client:
            client.track(number)
    assert one.fake("usps").calls["token"] == 1
    assert two.fake("usps").calls["token"] == 1


def test_async_client_on_shared_state(shared: StateBackend) -> None:
    sandbox = Sandbox(carriers=["usps", "cainiao"])
    number = sandbox.scenario_numbers()["usps"]["in_transit"]
    limits = {"usps": RateLimit((Window(4, 30.0),))}  # one token request + three tracks

    async def main() -> Any:
        async with AsyncClient(sandbox=sandbox, state=shared, rate_limits=limits, deadline=5) as client:
            await asyncio.gather(*(client.track(number) for _ in range(3)))
            with pytest.raises(Exception, match="client-side rate limit"):
                await client.track(number)
            one = await client.create_shipment("cainiao", cross_border_request(), idempotency_key="k")
            two = await client.create_shipment("cainiao", cross_border_request(), idempotency_key="k")
            return one, two

    one, two = asyncio.run(main())
    assert one == two
    assert sandbox.fake("cainiao").calls["create_shipment"] == 1
    assert sandbox.fake("usps").calls["token"] == 1


def test_cli_state_option(tmp_path: Path) -> None:
    import sqlite3

    from click.testing import CliRunner

    from carrier_sdk.cli import cli

    sandbox = Sandbox(carriers=["cainiao"])
    number = sandbox.scenario_numbers()["cainiao"]["in_transit"]
    db = tmp_path / "cli-state.db"
    result = CliRunner().invoke(cli, ["--sandbox", "--state", f"sqlite:///{db}", "--json", "track", number])
    assert result.exit_code == 0, result.output
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM limits").fetchone()[0] >= 1  # the run reserved its slots there
    bad = CliRunner().invoke(cli, ["--sandbox", "--state", "ftp://nowhere", "track", number])
    assert bad.exit_code == 2
    assert "unsupported state URL" in bad.output


def test_a_watcher_plans_within_the_shared_limit(shared: StateBackend) -> None:
    from carrier_sdk.watch import MemoryStore, Watcher

    sandbox = Sandbox(carriers=["cainiao"])
    numbers = list(sandbox.scenario_numbers()["cainiao"].values())[:3]
    limits = {"cainiao": RateLimit((Window(2, 60.0),))}
    with Client(sandbox=sandbox, state=shared, rate_limits=limits) as other:
        other.track(numbers[0])
        other.track(numbers[0])  # another process filled the window
    with Client(sandbox=sandbox, state=shared, rate_limits=limits) as client, Watcher(client, MemoryStore()) as watcher:
        for number in numbers:
            watcher.add(number, carrier="cainiao")
        watcher.run_once()
        assert client._limiter(client._carrier("cainiao")).headroom() == 0
        assert sum(watcher.calls.values()) == 0  # nothing planned: the shared window is full
    assert sandbox.fake("cainiao").calls["track"] == 2
