"""The watcher against the sandbox in virtual time: changes, journeys, errors, quotas, crashes, sinks."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import attrs
import pytest
from carrier_sdk_cainiao.fake import usps_last_mile_number
from carrier_sdk_usps.fake import fake_impb

from carrier_sdk import AsyncClient, Client, RateLimit, TrackingStatus, UnknownCarrierError, ValidationError
from carrier_sdk.sandbox import Sandbox
from carrier_sdk.testing import VirtualClock, make_client
from carrier_sdk.watch import (
    AsyncWatcher,
    MemoryStore,
    ParcelState,
    Schedule,
    SQLiteStore,
    TerminalReason,
    TrackingChange,
    Watcher,
    event_id,
)

from .conftest import T0, add_cainiao_order

HOUR = 3600.0
ORDER = "LP00000000012345"


def test_add_normalizes_identifies_and_is_idempotent(sandbox_client: Client, carrier_clock: VirtualClock) -> None:
    watcher = Watcher(sandbox_client, MemoryStore(), clock=carrier_clock)
    parcel = watcher.add(" lp00000000012345 ", metadata={"order": "A-1"})
    assert (parcel.carrier, parcel.number, parcel.journey) == ("cainiao", ORDER, ORDER)
    assert parcel.next_poll_at == carrier_clock.now
    assert parcel.state is ParcelState.WATCHING
    assert watcher.add(ORDER, metadata={"other": 1}) == parcel
    assert watcher.get(ORDER) == parcel
    assert [p.number for p in watcher.list()] == [ORDER]
    with pytest.raises(UnknownCarrierError):
        watcher.add("NOT-A-NUMBER")
    with pytest.raises(ValidationError, match="JSON"):
        watcher.add(fake_impb(1), metadata={"x": object()})
    assert watcher.remove(ORDER) is True
    assert watcher.remove(ORDER) is False
    assert watcher.get(ORDER) is None


def test_a_cainiao_parcel_is_followed_across_the_handover_to_usps(
    carrier_sandbox: Sandbox, sandbox_client: Client, carrier_clock: VirtualClock
) -> None:
    add_cainiao_order(carrier_sandbox, ORDER, created_at=T0 - 60)
    usps_number = usps_last_mile_number(ORDER)
    carrier_sandbox.fake("usps").expect_handover(usps_number, at=T0 + 86400)  # the USPS leg starts at the handover
    watcher = Watcher(sandbox_client, MemoryStore(), clock=carrier_clock, seed=1, schedule=Schedule(jitter=0))
    watcher.add(ORDER, metadata={"order": "A-1"})
    changes: list[TrackingChange] = []
    for _ in range(200):
        changes += watcher.run_once()
        leg = watcher.get(usps_number)
        if leg is not None and leg.state is ParcelState.DONE:
            break
        carrier_clock.advance(2 * HOUR)
    else:
        pytest.fail("the journey never reached the USPS leg's end")
    cainiao = [c for c in changes if c.carrier == "cainiao"]
    usps = [c for c in changes if c.carrier == "usps"]
    assert len(cainiao) > 3, "the Cainiao history unfolds over several polls"
    # New events only: no event is ever reported twice, and together they are the whole history.
    reported = [event_id(e) for c in cainiao for e in c.new_events]
    assert len(reported) == len(set(reported))
    final = watcher.get(ORDER, "cainiao")
    assert final is not None
    assert final.info is not None
    assert set(reported) == {event_id(e) for e in final.info.events}
    handover = [c for c in cainiao if c.new_related]
    assert len(handover) == 1
    assert handover[0].new_related[0].tracking_number == usps_number
    # The USPS leg is one journey with the Cainiao number and carries the parcel's metadata.
    assert usps
    assert all(c.journey == ORDER and c.metadata == {"order": "A-1"} for c in usps)
    assert usps[-1].terminal
    assert usps[-1].terminal_reason is TerminalReason.DELIVERED
    assert usps[-1].new_status is TrackingStatus.DELIVERED
    assert all(c.change_id for c in changes)
    assert len({c.change_id for c in changes}) == len(changes)


def test_status_and_eta_changes_are_flagged(
    carrier_sandbox: Sandbox, sandbox_client: Client, carrier_clock: VirtualClock
) -> None:
    add_cainiao_order(carrier_sandbox, ORDER, created_at=T0 - 60)
    watcher = Watcher(sandbox_client, MemoryStore(), clock=carrier_clock, schedule=Schedule(jitter=0))
    watcher.add(ORDER)
    first = watcher.run_once()
    assert len(first) == 1
    assert first[0].old_status is None
    assert first[0].status_changed
    assert watcher.run_once() == []  # not due again yet
    carrier_clock.advance(200 * HOUR)
    later = watcher.run_once()
    assert len(later) == 1
    assert later[0].old_status == first[0].new_status
    assert later[0].new_events
    assert later[0].new_events[0].occurred_at > first[0].new_events[-1].occurred_at


def test_unknown_numbers_are_marked_and_reported_after_n_attempts(
    carrier_sandbox: Sandbox, sandbox_client: Client, carrier_clock: VirtualClock
) -> None:
    unknown = carrier_sandbox.scenario_numbers()["usps"]["unknown"]
    schedule = Schedule(not_found_attempts=3, jitter=0, error_backoff=60)
    watcher = Watcher(sandbox_client, MemoryStore(), clock=carrier_clock, schedule=schedule)
    watcher.add(unknown)
    reported: list[TrackingChange] = []
    for _ in range(10):
        reported += watcher.run_once()
        carrier_clock.advance(HOUR)
    parcel = watcher.get(unknown)
    assert parcel is not None
    assert parcel.state is ParcelState.NOT_FOUND
    assert parcel.not_found == 3
    assert "TrackingNotFoundError" in parcel.last_error
    assert len(reported) == 1
    assert reported[0].terminal_reason is TerminalReason.NOT_FOUND
    assert watcher.calls["usps"] == 3  # polled three times, then never again


def test_a_failing_parcel_backs_off_and_never_stops_the_others(
    carrier_sandbox: Sandbox, sandbox_client: Client, carrier_clock: VirtualClock
) -> None:
    failing = carrier_sandbox.scenario_numbers()["usps"]["fault_server_error"]
    healthy = fake_impb(2)
    schedule = Schedule(jitter=0, error_backoff=60, max_error_backoff=1000)
    watcher = Watcher(sandbox_client.with_options(max_retries=0), MemoryStore(), clock=carrier_clock, schedule=schedule)
    watcher.add(failing)
    watcher.add(healthy)
    changes = watcher.run_once()
    assert [c.number for c in changes] == [healthy]
    delays = []
    for _ in range(6):
        parcel = watcher.get(failing)
        assert parcel is not None
        delays.append(parcel.next_poll_at - carrier_clock.now)
        carrier_clock.advance(parcel.next_poll_at - carrier_clock.now)
        watcher.run_once()
    assert delays == [60, 120, 240, 480, 960, 1000]
    parcel = watcher.get(failing)
    assert parcel is not None
    assert parcel.errors == 7
    assert parcel.state is ParcelState.WATCHING
    assert "CarrierServerError" in parcel.last_error


def test_the_schedule_keeps_a_60_per_hour_quota_with_v3r2_batches(
    carrier_sandbox: Sandbox, carrier_clock: VirtualClock
) -> None:
    carrier_sandbox.set_quota("usps", RateLimit.per_hour(60))
    settings = {"usps": {**carrier_sandbox.settings_for("usps"), "tracking_api": "v3r2"}}
    with make_client("sync", settings=settings, sandbox=carrier_sandbox, clock=carrier_clock) as client:
        watcher = Watcher(client, MemoryStore(), clock=carrier_clock, seed=3)
        for serial in range(1, 3001):
            watcher.add(fake_impb(10_000 + serial))
        polled = 0
        start = carrier_clock.now
        while carrier_clock.now < start + HOUR:
            watcher.run_once(collect=False)
            carrier_clock.advance(30)
        polled = len(watcher.list(state=ParcelState.DONE)) + sum(
            1 for p in watcher.list(state=ParcelState.WATCHING) if p.last_polled_at is not None
        )
    fake: Any = carrier_sandbox.fake("usps")
    assert watcher.calls["usps"] <= 60
    assert polled >= 55 * 35  # the quota is used, not wasted
    assert [s for s in carrier_clock.sleeps if s > 0] == []  # the client never waited for a slot
    assert fake.calls["track_batch"] == watcher.calls["usps"]  # and the fake never answered 429


def test_a_crash_between_poll_and_store_loses_and_duplicates_nothing(
    carrier_sandbox: Sandbox, sandbox_client: Client, carrier_clock: VirtualClock
) -> None:
    add_cainiao_order(carrier_sandbox, ORDER, created_at=T0 - 60)
    store = MemoryStore()
    real_commit = store.commit
    crashes = [1]

    def crashing_commit(*args: Any, **kwargs: Any) -> Any:
        if crashes:
            crashes.pop()
            raise KeyboardInterrupt  # the process dies after the poll, before the store wrote
        return real_commit(*args, **kwargs)

    store.commit = crashing_commit  # type: ignore[method-assign]
    watcher = Watcher(sandbox_client, store, clock=carrier_clock, schedule=Schedule(jitter=0))
    watcher.add(ORDER)
    with pytest.raises(KeyboardInterrupt):
        watcher.run_once()
    assert store.pending() == []
    assert store.get("cainiao", ORDER).info is None
    # A restarted watcher polls again and finds the same change, once, with the same id as a
    # watcher that never crashed.
    again = Watcher(sandbox_client, store, clock=carrier_clock, schedule=Schedule(jitter=0)).run_once()
    control = Watcher(sandbox_client, MemoryStore(), clock=carrier_clock, schedule=Schedule(jitter=0))
    control.add(ORDER)
    expected = control.run_once()
    assert [c.change_id for c in again] == [c.change_id for c in expected]
    assert len(again) == 1
    assert again[0].new_events == expected[0].new_events
    assert Watcher(sandbox_client, store, clock=carrier_clock).run_once() == []


def test_a_crash_after_store_before_delivery_redelivers_the_same_change(
    carrier_sandbox: Sandbox, sandbox_client: Client, carrier_clock: VirtualClock, tmp_path: Any
) -> None:
    add_cainiao_order(carrier_sandbox, ORDER, created_at=T0 - 60)
    path = tmp_path / "w.sqlite3"
    store = SQLiteStore(path)

    def dies(change: TrackingChange) -> None:
        raise KeyboardInterrupt

    watcher = Watcher(sandbox_client, store, clock=carrier_clock, on_change=dies)
    watcher.add(ORDER)
    with pytest.raises(KeyboardInterrupt):
        watcher.run_once()
    store.close()
    got: list[TrackingChange] = []
    with Watcher(sandbox_client, SQLiteStore(path), clock=carrier_clock, on_change=got.append) as restarted:
        assert restarted.store.count() == 1
        restarted.store.close  # noqa: B018
        delivered = restarted.run_once()
        restarted.store.close()
    assert len(got) == 1
    assert delivered == got
    assert got[0].new_events


def test_a_sink_that_is_down_keeps_changes_queued_and_retried_in_order(
    carrier_sandbox: Sandbox, sandbox_client: Client, carrier_clock: VirtualClock
) -> None:
    for index in range(3):
        add_cainiao_order(carrier_sandbox, f"LP0000000001234{index}", created_at=T0 - 60)
    received: list[str] = []
    down = [True]

    def sink(change: TrackingChange) -> None:
        if down[0]:
            raise ConnectionError("sink down")
        received.append(change.change_id)

    watcher = Watcher(sandbox_client, MemoryStore(), clock=carrier_clock, on_change=sink)
    for index in range(3):
        watcher.add(f"LP0000000001234{index}")
    assert watcher.run_once() == []
    assert len(watcher.store.pending()) == 3
    carrier_clock.advance(60)
    assert watcher.run_once() == []  # still down: still kept
    down[0] = False
    delivered = watcher.run_once()
    assert received == [c.change_id for c in delivered]
    assert len(received) == 3
    assert watcher.store.pending() == []
    assert watcher.run_once() == []
    assert len(received) == 3


def test_async_callbacks_and_the_async_watcher(carrier_sandbox: Sandbox, carrier_clock: VirtualClock) -> None:
    add_cainiao_order(carrier_sandbox, ORDER, created_at=T0 - 60)
    seen: list[str] = []

    async def on_change(change: TrackingChange) -> None:
        await asyncio.sleep(0)
        seen.append(change.number)

    async def main() -> list[TrackingChange]:
        client = AsyncClient(sandbox=carrier_sandbox, clock=carrier_clock)
        async with client, AsyncWatcher(client, MemoryStore(), clock=carrier_clock, on_change=[on_change, print]) as w:
            w.add(ORDER)
            return await w.run_once()

    changes = asyncio.run(main())
    assert [c.number for c in changes] == [ORDER] == seen
    # The sync watcher runs a coroutine callback to completion too.
    sync_seen: list[str] = []

    async def async_cb(change: TrackingChange) -> None:
        sync_seen.append(change.number)

    with Client(sandbox=carrier_sandbox, clock=carrier_clock) as client:
        watcher = Watcher(client, MemoryStore(), clock=carrier_clock, on_change=async_cb)
        watcher.add(ORDER)
        watcher.run_once()
    assert sync_seen == [ORDER]


@pytest.mark.parametrize("coroutine", [False, True])
def test_a_failing_callback_keeps_the_change_queued_on_both_watchers(
    carrier_sandbox: Sandbox, carrier_clock: VirtualClock, coroutine: bool
) -> None:
    add_cainiao_order(carrier_sandbox, ORDER, created_at=T0 - 60)
    failures = [RuntimeError("receiver down")]
    calls: list[str] = []

    def plain(change: TrackingChange) -> None:
        calls.append(change.number)
        if failures:
            raise failures.pop()

    async def awaited(change: TrackingChange) -> None:
        plain(change)

    callback = awaited if coroutine else plain
    with Client(sandbox=carrier_sandbox, clock=carrier_clock) as client:
        watcher = Watcher(client, MemoryStore(), clock=carrier_clock, on_change=callback)
        watcher.add(ORDER)
        assert watcher.run_once() == []  # the callback failed: nothing delivered
        assert [c.number for c in watcher.deliver()] == [ORDER]  # still queued, delivered now
        assert watcher.deliver() == []

    failures.append(RuntimeError("receiver down"))

    async def main() -> tuple[list[TrackingChange], list[TrackingChange]]:
        async with AsyncClient(sandbox=carrier_sandbox, clock=carrier_clock) as client:
            async_watcher = AsyncWatcher(client, MemoryStore(), clock=carrier_clock, on_change=callback)
            async_watcher.add(ORDER)
            first = await async_watcher.run_once()
            return first, await async_watcher.deliver()

    first, second = asyncio.run(main())
    assert first == []
    assert [c.number for c in second] == [ORDER]
    assert calls == [ORDER] * 4


def test_a_cancelled_async_run_leaves_no_task_and_no_connection() -> None:
    sandbox = Sandbox()
    sandbox.set_latency(5.0, "usps")  # every poll is in flight when the run is cancelled

    async def main() -> None:
        async with AsyncClient(sandbox=sandbox) as client:
            watcher = AsyncWatcher(client, MemoryStore())
            for serial in range(20):
                watcher.add(fake_impb(500 + serial))
            task = asyncio.create_task(watcher.run())
            await asyncio.sleep(0.3)
            started = time.perf_counter()
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            assert time.perf_counter() - started < 1.0
            assert asyncio.all_tasks() == {asyncio.current_task()}
            assert all(p.last_polled_at is None for p in watcher.list())  # nothing half-committed
            pool = client._http._transport  # the sandbox transport holds no connection
            assert not getattr(pool, "_pool", None)

    asyncio.run(main())


def test_a_sync_run_stops_promptly_when_asked(carrier_sandbox: Sandbox) -> None:
    with Client(sandbox=carrier_sandbox) as client:
        watcher = Watcher(client, MemoryStore())
        watcher.add(fake_impb(2))
        thread = threading.Thread(target=watcher.run, kwargs={"max_idle": 30})
        thread.start()
        time.sleep(0.3)
        started = time.perf_counter()
        watcher.stop()
        thread.join(5)
        assert not thread.is_alive()
        assert time.perf_counter() - started < 1.0
        assert watcher.get(fake_impb(2)).last_polled_at is not None  # type: ignore[union-attr]


def test_changes_iterates_until_stopped(carrier_sandbox: Sandbox, carrier_clock: VirtualClock) -> None:
    add_cainiao_order(carrier_sandbox, ORDER, created_at=T0 - 60)
    with Client(sandbox=carrier_sandbox, clock=carrier_clock) as client:
        watcher = Watcher(client, MemoryStore(), clock=carrier_clock)
        watcher.add(ORDER)
        got = []
        for change in watcher.changes(max_idle=0.01):
            got.append(change)
            watcher.stop()
        assert [c.number for c in got] == [ORDER]


def test_a_parcel_without_news_for_too_long_is_done_as_stale(
    sandbox_client: Client, carrier_clock: VirtualClock
) -> None:
    number = fake_impb(2)  # its sandbox history is years old
    watcher = Watcher(sandbox_client, MemoryStore(), clock=carrier_clock, schedule=Schedule(stale_after=10 * 86400))
    watcher.add(number)
    (change,) = watcher.run_once()
    assert change.terminal
    assert change.terminal_reason is TerminalReason.STALE
    parcel = watcher.get(number)
    assert parcel is not None
    assert parcel.state is ParcelState.DONE
    assert parcel.next_poll_at == float("inf")


def test_list_filters_by_status_and_state(
    sandbox_client: Client, carrier_clock: VirtualClock, carrier_sandbox: Sandbox
) -> None:
    numbers = carrier_sandbox.scenario_numbers()["usps"]
    watcher = Watcher(sandbox_client, MemoryStore(), clock=carrier_clock, schedule=Schedule(stale_after=1e12))
    for name in ("delivered", "in_transit"):
        watcher.add(numbers[name])
    watcher.run_once()
    assert [p.number for p in watcher.list("delivered")] == [numbers["delivered"]]
    assert [p.number for p in watcher.list(state="watching")] == [numbers["in_transit"]]
    assert watcher.list(due_before=carrier_clock.now) == []
    assert attrs.has(type(watcher.list()[0]))


def test_add_many_make_due_and_idle_for(sandbox_client: Client, carrier_clock: VirtualClock) -> None:
    watcher = Watcher(
        sandbox_client, SQLiteStore(":memory:"), clock=carrier_clock, schedule=Schedule(jitter=0, stale_after=1e12)
    )
    assert watcher.add_many([fake_impb(1), fake_impb(2), fake_impb(1)]) == 2
    with pytest.raises(UnknownCarrierError):
        watcher.add_many([fake_impb(3), "NOT-A-NUMBER"])
    assert watcher.get(fake_impb(3)) is None  # all or nothing
    assert watcher.idle_for(60) == pytest.approx(0.05)  # due now
    watcher.run_once()
    assert watcher.list(due_before=carrier_clock.now) == []
    wait = watcher.idle_for(10 * 86400)
    assert 0 < wait <= 24 * HOUR
    assert watcher.idle_for(5.0) == 5.0
    assert watcher.make_due([fake_impb(1)]) == 1
    assert [p.number for p in watcher.list(due_before=carrier_clock.now)] == [fake_impb(1)]
    assert watcher.make_due() == 2
    assert len(watcher.list(due_before=carrier_clock.now)) == 2


def test_a_cancelled_async_run_over_real_http_releases_every_connection() -> None:
    sandbox = Sandbox(carriers=["usps"])
    sandbox.set_latency(3.0, "usps")

    async def main() -> None:
        with sandbox.serve() as server:
            settings = {"usps": server.settings_for("usps")}
            async with AsyncClient(settings, rate_limits={"usps": None}, http_backend="httpx") as client:
                watcher = AsyncWatcher(client, MemoryStore())
                for serial in range(8):
                    watcher.add(fake_impb(700 + serial))
                task = asyncio.create_task(watcher.run())
                await asyncio.sleep(0.5)  # requests are in flight (the server answers after 3 s)
                pool: Any = client._http._transport._pool  # type: ignore[attr-defined]
                assert pool._requests, "the test must cancel while requests are in flight"
                task.cancel()
                with pytest.raises(asyncio.CancelledError):
                    await task
                assert asyncio.all_tasks() == {asyncio.current_task()}
                assert pool._requests == []
                assert all(c.is_idle() or c.is_closed() for c in pool.connections)
                assert all(p.last_polled_at is None for p in watcher.list())

    asyncio.run(main())


def test_ctrl_c_stops_a_sync_run_promptly_and_the_client_stays_usable(carrier_sandbox: Sandbox) -> None:
    import signal

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGALRM, interrupt)
    try:
        with Client(sandbox=carrier_sandbox) as client:
            watcher = Watcher(client, MemoryStore())
            watcher.add(fake_impb(2))
            threads_before = threading.active_count()
            signal.setitimer(signal.ITIMER_REAL, 0.3)
            started = time.perf_counter()
            with pytest.raises(KeyboardInterrupt):
                watcher.run(max_idle=30)
            assert time.perf_counter() - started < 2.0
            assert threading.active_count() <= threads_before  # no pool thread left behind
            assert client.track(fake_impb(3)).tracking_number == fake_impb(3)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def test_a_client_with_shared_state_is_paced_without_peeking(tmp_path: Any, carrier_clock: VirtualClock) -> None:
    sandbox = Sandbox(clock=carrier_clock)
    sandbox.set_quota("usps", RateLimit.per_hour(60))
    state = f"sqlite:///{tmp_path / 'state.db'}"
    with make_client("sync", sandbox=sandbox, clock=carrier_clock, state=state) as client:
        watcher = Watcher(client, MemoryStore(), clock=carrier_clock)
        for serial in range(30):
            watcher.add(fake_impb(900 + serial))
        for _ in range(10):
            watcher.run_once(collect=False)
            carrier_clock.advance(30)
    assert 1 <= watcher.calls["usps"] <= 6  # one call a minute, not thirty at once
