"""One contract every state backend passes: memory, SQLite and a real Redis."""

from __future__ import annotations

import concurrent.futures
import pickle
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from carrier_sdk import ConfigurationError, StateBackendError
from carrier_sdk._ratelimit import RateLimit, Window
from carrier_sdk.state import (
    MemoryState,
    PurchaseStatus,
    RedisState,
    SharedTokenCache,
    SQLiteState,
    StateBackend,
    open_state,
    state_from_env,
)

from ._helpers import open_backend


@pytest.fixture(params=["memory", "sqlite", "redis"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StateBackend]:
    with open_backend(request.param, request, tmp_path) as state:
        yield state


def test_reservations_fill_a_window_then_wait_for_its_oldest_slot(backend: StateBackend) -> None:
    windows = (Window(3, 2.0),)
    waits = [backend.reserve("k", windows) for _ in range(5)]
    assert all(w < 0.2 for w in waits[:3]), waits
    assert 1.7 < waits[3] <= 2.0, waits
    assert 1.7 < waits[4] <= 2.0, waits
    # Another key has its own history.
    assert backend.reserve("other", windows) < 0.2


def test_headroom_counts_free_slots_without_reserving(backend: StateBackend) -> None:
    windows = (Window(3, 30.0), Window(5, 60.0))
    assert backend.headroom("k", windows) == 3
    assert backend.headroom("k", ()) is None
    backend.reserve("k", windows)
    assert backend.headroom("k", windows) == 2
    assert backend.headroom("k", windows) == 2  # asking reserves nothing
    backend.reserve("k", windows)
    backend.reserve("k", windows)
    assert backend.headroom("k", windows) == 0
    backend.pause("other", 5)
    assert backend.headroom("other", windows) == 0
    limiter = backend.limiter("usps", "c", RateLimit((Window(2, 30.0),)), time.monotonic)
    limiter.reserve()
    assert limiter.headroom() == 1


def test_every_window_must_hold(backend: StateBackend) -> None:
    windows = (Window(2, 1.0), Window(3, 10.0))
    waits = [backend.reserve("k", windows) for _ in range(4)]
    assert waits[0] < 0.2, waits
    assert waits[1] < 0.2, waits
    assert 0.7 < waits[2] <= 1.0, waits  # the 1 s window is full
    assert 9.5 < waits[3] <= 10.0, waits  # the 10 s window is full


def test_a_pause_holds_every_reservation_and_survives_a_reset(backend: StateBackend) -> None:
    backend.pause("k", 5.0)
    assert 4.5 < backend.reserve("k", (Window(100, 1.0),)) <= 5.0
    backend.reset_limit("k")
    assert 4.5 < backend.reserve("k", ()) <= 5.0
    assert backend.reserve("other", ()) < 0.2


def test_reset_forgets_the_history(backend: StateBackend) -> None:
    windows = (Window(1, 30.0),)
    backend.reserve("k", windows)
    assert backend.reserve("k", windows) > 25
    backend.reset_limit("k")
    assert backend.reserve("k", windows) < 0.2


def test_reservations_are_atomic_under_concurrency(backend: StateBackend) -> None:
    windows = (Window(10, 100.0),)
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        waits = list(pool.map(lambda _: backend.reserve("k", windows), range(40)))
    immediate = [w for w in waits if w < 1.0]
    print(f"\n{type(backend).__name__}: 40 concurrent reservations at 10/100s -> {len(immediate)} immediate")
    assert len(immediate) == 10
    assert sorted(waits)[10] > 95


def test_tokens_expire_at_their_refresh_deadline(backend: StateBackend) -> None:
    now = backend.now()
    backend.put_token("t", "secret-1", now + 0.4)
    found = backend.get_token("t")
    assert found is not None
    assert found[0] == "secret-1"
    assert abs(found[1] - (now + 0.4)) < 0.01
    time.sleep(0.6)
    assert backend.get_token("t") is None


def test_invalidate_only_drops_the_rejected_token(backend: StateBackend) -> None:
    backend.put_token("t", "new", backend.now() + 60)
    backend.invalidate_token("t", "old")
    assert backend.get_token("t") == ("new", pytest.approx(backend.now() + 60, abs=1))
    backend.invalidate_token("t", "new")
    assert backend.get_token("t") is None


def test_leases_have_one_holder_until_released_or_expired(backend: StateBackend) -> None:
    assert backend.acquire("l", "a", 0.5)
    assert not backend.acquire("l", "b", 0.5)
    assert backend.acquire("l", "a", 0.5)  # the holder may renew
    backend.release("l", "b")  # not b's to release
    assert not backend.acquire("l", "b", 0.5)
    backend.release("l", "a")
    assert backend.acquire("l", "b", 0.3)
    time.sleep(0.5)
    assert backend.acquire("l", "c", 1.0)


def test_flights_are_readable_until_their_ttl(backend: StateBackend) -> None:
    assert backend.get_flight("f") is None
    backend.put_flight("f", b"\x00payload", 0.4)
    assert backend.get_flight("f") == b"\x00payload"
    time.sleep(0.6)
    assert backend.get_flight("f") is None


def test_ledger_claim_in_progress_done(backend: StateBackend) -> None:
    first = backend.begin_purchase("p", "a", 30, "fp")
    assert first.status is PurchaseStatus.PENDING
    assert first.owner == "a"
    second = backend.begin_purchase("p", "b", 30, "fp")
    assert second.status is PurchaseStatus.PENDING
    assert second.owner == "a"
    assert second.lease_until - second.now == pytest.approx(30, abs=1)
    assert backend.begin_purchase("p", "a", 30, "fp").owner == "a"  # the holder may re-claim
    assert not backend.finish_purchase("p", "b", PurchaseStatus.DONE, result="{}")  # not b's
    assert backend.finish_purchase("p", "a", PurchaseStatus.DONE, result='{"n": 1}')
    done = backend.begin_purchase("p", "c", 30, "fp")
    assert done.status is PurchaseStatus.DONE
    assert done.result == '{"n": 1}'
    assert done.fingerprint == "fp"
    assert not backend.finish_purchase("p", "a", PurchaseStatus.FAILED)  # settled stays settled
    record = backend.get_purchase("p")
    assert record is not None
    assert record.status is PurchaseStatus.DONE


def test_ledger_failed_keys_may_be_claimed_again(backend: StateBackend) -> None:
    backend.begin_purchase("p", "a", 30)
    assert backend.finish_purchase("p", "a", PurchaseStatus.FAILED, detail="InvalidRequestError")
    again = backend.begin_purchase("p", "b", 30)
    assert again.status is PurchaseStatus.PENDING
    assert again.owner == "b"


def test_ledger_lease_expiry_turns_pending_into_unknown_for_good(backend: StateBackend) -> None:
    backend.begin_purchase("p", "a", 0.3)
    time.sleep(0.5)
    record = backend.begin_purchase("p", "b", 30)
    assert record.status is PurchaseStatus.UNKNOWN
    assert "lease expired" in record.detail
    assert backend.begin_purchase("p", "a", 30).status is PurchaseStatus.UNKNOWN  # not even the old holder
    got = backend.get_purchase("p")
    assert got is not None
    assert got.status is PurchaseStatus.UNKNOWN
    # The old holder may still report what happened (truth beats "unknown").
    assert backend.finish_purchase("p", "a", PurchaseStatus.DONE, result="{}")
    backend.forget_purchase("p")
    assert backend.get_purchase("p") is None
    assert backend.begin_purchase("p", "b", 30).owner == "b"


def test_wait_for_purchase_returns_the_settled_record(backend: StateBackend) -> None:
    key = backend.purchase_key("cainiao", "order-1")
    backend.begin_purchase(key, "a", 30)
    pending = backend.wait_for_purchase("cainiao", "order-1", timeout=0.2, poll=0.05)
    assert pending is not None
    assert pending.status is PurchaseStatus.PENDING
    backend.finish_purchase(key, "a", PurchaseStatus.DONE, result="{}")
    done = backend.wait_for_purchase("cainiao", "order-1", timeout=5)
    assert done is not None
    assert done.status is PurchaseStatus.DONE
    assert backend.wait_for_purchase("cainiao", "never", timeout=5) is None
    backend.forget("cainiao", "order-1")
    assert backend.purchase("cainiao", "order-1") is None


def test_shared_token_caches_see_each_others_tokens(backend: StateBackend) -> None:
    if not backend.shared:
        pytest.skip("memory state keeps tokens per carrier instance, as without shared state")
    one = backend.token_cache("usps", "client-1")
    two = backend.token_cache("usps", "client-1")
    other = backend.token_cache("usps", "client-2")
    assert isinstance(one, SharedTokenCache)
    key = ("oauth", "client-1", "tracking")
    now = time.time()
    one.put(key, "tok-A", now + 60)
    assert two.get(key, now) == "tok-A"
    assert other.get(key, now) is None
    assert two.get(key, now, stale="tok-A") is None  # a rejected token is not served
    two.invalidate(key, "tok-A")
    assert backend.token_cache("usps", "client-1").get(key, now) is None
    assert "tok-A" not in repr(one)
    assert "tok-A" not in repr(backend)


def test_shared_limiter_matches_the_in_memory_reservation_rule(backend: StateBackend) -> None:
    limit = RateLimit((Window(2, 1.0),))
    limiter = backend.limiter("usps", "client-1", limit, time.monotonic)
    waits = [limiter.reserve() for _ in range(3)]
    assert waits[0] < 0.2
    assert waits[1] < 0.2
    assert 0.7 < waits[2] <= 1.0
    limiter.pause(3.0)
    assert 2.5 < limiter.reserve() <= 3.0
    limiter.reconfigure(RateLimit((Window(50, 1.0),)))
    assert limiter.limit == RateLimit((Window(50, 1.0),))


def test_shared_backends_pickle_to_their_address(backend: StateBackend, tmp_path: Path) -> None:
    if not backend.shared:
        pytest.skip("memory state is this process's own")
    copy = pickle.loads(pickle.dumps(backend))
    copy.put_token("t", "v", copy.now() + 30)
    assert backend.get_token("t") is not None
    copy.close()


def test_redis_connection_failures_are_typed_with_the_address_but_no_password() -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    state = RedisState(f"redis://:hunter2@127.0.0.1:{port}/0", retry_for=0.2)
    with pytest.raises(StateBackendError) as info:
        state.reserve("k", ())
    assert f"127.0.0.1:{port}" in str(info.value)
    assert "hunter2" not in str(info.value)
    assert info.value.operation == "reserve"
    assert "hunter2" not in repr(state)


def test_sqlite_failures_are_typed(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(StateBackendError, match="cannot create the state database"):
        SQLiteState(blocker / "state.db")
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StateBackendError, match=r"garbage\.db"):
        SQLiteState(garbage).reserve("k", ())


@pytest.mark.parametrize(
    ("url", "kind"),
    [("memory://", MemoryState), ("sqlite:///{tmp}/s.db", SQLiteState), ("redis://127.0.0.1:1/0", RedisState)],
)
def test_open_state_parses_urls(url: str, kind: type[Any], tmp_path: Path) -> None:
    assert isinstance(open_state(url.format(tmp=tmp_path)), kind)
    assert isinstance(state_from_env({"CARRIER_SDK_STATE_URL": url.format(tmp=tmp_path)}), kind)


def test_open_state_rejects_unknown_urls_without_echoing_credentials() -> None:
    with pytest.raises(ConfigurationError, match="unsupported state URL"):
        open_state("postgres://db/x")
    with pytest.raises(ConfigurationError) as info:
        open_state("mongodb://user:hunter2@db/x")
    assert "hunter2" not in str(info.value)
    with pytest.raises(ConfigurationError, match="names no file"):
        open_state("sqlite://")
    assert isinstance(state_from_env({}), MemoryState)


def test_memory_ledger_forgets_settled_records_after_its_ttl() -> None:
    now = [1000.0]
    state = MemoryState(clock=lambda: now[0], ledger_ttl=100)
    state.begin_purchase("done", "a", 30)
    state.finish_purchase("done", "a", PurchaseStatus.DONE, result="{}")
    state.begin_purchase("held", "b", 10_000)
    now[0] += 500
    state.begin_purchase("new", "c", 30)  # prunes
    assert state.get_purchase("done") is None
    held = state.get_purchase("held")
    assert held is not None
    assert held.status is PurchaseStatus.PENDING  # never forget a purchase in flight


def test_a_slot_beyond_within_is_not_taken(backend: StateBackend) -> None:
    """A caller whose deadline comes before the slot leaves it to others (issue 18)."""
    windows = (Window(1, 60.0),)
    assert backend.reserve("w", windows) < 0.2  # the one slot of the minute
    for _ in range(5):  # refused callers: the next slot is ~60 s away, they have 10 s
        assert 59 < backend.reserve("w", windows, within=10.0) <= 60
    # They took nothing: the next slot is still the one after the first, not 5 minutes on.
    assert 59 < backend.reserve("w", windows) <= 60
    assert backend.reserve("w2", windows, within=1.0) < 0.2  # a free slot is taken as usual
    assert 59 < backend.reserve("w2", windows) <= 60
