"""``Watcher`` (on a :class:`~carrier_sdk.Client`) and ``AsyncWatcher`` (on an :class:`~carrier_sdk.AsyncClient`).

Both share :class:`_Core`: adding parcels, choosing what is due within each carrier's rate limit
and batch size, turning poll results into parcel updates and changes, and the one atomic store
commit per chunk. Only the poll (``track_many``), the callbacks and the waiting differ.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import logging
import math
import random
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Generator, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, TypedDict, Unpack

import attrs

from .._closing import AsyncClosing, Closing
from .._enums import TrackingStatus
from .._exceptions import CarrierError, TrackingNotFoundError, ValidationError
from .._models import RelatedNumber, TrackingResult
from ._diff import apply_error, apply_info, apply_not_found
from ._model import ParcelState, TrackingChange, WatchedParcel
from ._schedule import Pacer, Schedule
from ._store import CommitBatch, Store

if TYPE_CHECKING:
    from .._client import AsyncClient, BaseClient, Client

__all__ = ["AsyncWatcher", "OnChange", "Watcher", "WatcherOptions"]

_list = list  # the watchers' own ``list`` method shadows the builtin in their bodies

logger = logging.getLogger("carrier_sdk.watch")

#: A change callback: a plain function or a coroutine function taking one :class:`TrackingChange`.
OnChange = Callable[[TrackingChange], Any]


class WatcherOptions(TypedDict, total=False):
    """The keyword options of :class:`Watcher` and :class:`AsyncWatcher` (described there)."""

    schedule: Schedule | None
    on_change: OnChange | Iterable[OnChange] | None
    clock: Callable[[], float]
    seed: int | None
    max_per_run: int | None


#: Numbers polled (and committed) per chunk: bounds memory whatever the backlog.
CHUNK = 1000
#: Changes read from the outbox per delivery round.
DELIVERY_PAGE = 500


def _check_metadata(metadata: Mapping[str, Any] | None) -> dict[str, Any]:
    if metadata is None:
        return {}
    if not isinstance(metadata, Mapping):
        raise ValidationError("metadata must be a mapping", field="metadata", constraint="mapping")
    try:
        json.dumps(metadata)
    except (TypeError, ValueError) as err:
        raise ValidationError(f"metadata must be JSON-compatible: {err}", field="metadata", constraint="JSON") from None
    return dict(metadata)


def _message(error: BaseException | None) -> str:
    if error is None:
        return "no result"
    return f"{type(error).__name__}: {error}"[:500]


class _Core:
    """Everything a watcher does that is neither I/O nor waiting."""

    def __init__(
        self,
        client: BaseClient,
        store: Store | None,
        schedule: Schedule | None,
        clock: Callable[[], float],
        seed: int | None,
        max_per_run: int | None,
    ) -> None:
        if store is None:
            from ._sqlite import SQLiteStore

            store = SQLiteStore()
            self.owns_store = True
        else:
            self.owns_store = False
        self.client = client
        self.store = store
        self.schedule = schedule or Schedule()
        self.clock = clock
        self.rng = random.Random(seed)
        self.max_per_run = max_per_run
        self.pacers: dict[str, Pacer] = {}
        #: Calls planned per carrier since the watcher was created.
        self.calls: dict[str, int] = {}

    # -- parcels -------------------------------------------------------------------------------

    def resolve(self, number: str, carrier: str | None) -> tuple[str, str]:
        if not isinstance(number, str) or not number.strip():
            raise ValidationError("a tracking number is non-empty text", field="number", constraint="str")
        carrier_cls = self.client.registry.resolve(number.strip(), carrier)
        return carrier_cls.code, carrier_cls.check_number(number.strip())

    def new_parcel(
        self, code: str, number: str, *, journey: str = "", metadata: Mapping[str, Any] | None = None
    ) -> WatchedParcel:
        now = self.clock()
        return WatchedParcel(
            carrier=code,
            number=number,
            journey=journey or number,
            metadata=_check_metadata(metadata),
            added_at=now,
            next_poll_at=now,
        )

    def add(self, number: str, carrier: str | None, metadata: Mapping[str, Any] | None) -> WatchedParcel:
        code, normalized = self.resolve(number, carrier)
        parcel = self.new_parcel(code, normalized, metadata=metadata)
        if self.store.add(parcel):
            return parcel
        existing = self.store.get(code, normalized)
        return existing if existing is not None else parcel

    def lookup(self, number: str, carrier: str | None) -> list[WatchedParcel]:
        from .._identify import normalize_number

        normalized = normalize_number(number) if isinstance(number, str) else ""
        found = self.store.find(normalized)
        return [p for p in found if carrier is None or p.carrier == carrier]

    def select(
        self,
        status: TrackingStatus | str | None,
        state: ParcelState | str | None,
        due_before: float | None,
        carrier: str | None,
    ) -> list[WatchedParcel]:
        wanted = TrackingStatus(status) if status is not None else None
        parcels = self.store.parcels(
            state=ParcelState(state) if state is not None else None, due_before=due_before, carrier=carrier
        )
        return [p for p in parcels if wanted is None or p.status == wanted]

    # -- planning ------------------------------------------------------------------------------

    def budget(self, code: str, now: float) -> tuple[int, float]:
        """``(batch size, calls allowed now)`` for carrier ``code`` (``inf``: no limit)."""
        batch, limit, headroom = self.client.tracking_pace(code)
        pacer = self.pacers.get(code)
        if pacer is None or pacer.limit != limit:
            pacer = self.pacers[code] = Pacer(limit, now)
        # The headroom is a snapshot: if other processes take shared slots meanwhile, the client waits.
        allowed = min(pacer.allowance(now), math.inf if headroom is None else headroom)
        return batch, allowed

    def plan(self, now: float) -> Iterator[tuple[str, list[WatchedParcel]]]:
        """``(carrier, parcels)`` chunks to poll now, within each carrier's budget."""
        for code in self.store.due_carriers(now):
            batch, allowed = self.budget(code, now)
            if allowed <= 0:
                continue
            numbers = allowed * batch
            if self.max_per_run is not None:
                numbers = min(numbers, self.max_per_run)
            chunk = max(batch, (CHUNK // batch) * batch)
            taken = 0
            while taken < numbers:
                size = int(min(chunk, numbers - taken))
                parcels = self.store.parcels(due_before=now, carrier=code, limit=size)
                if not parcels:
                    break
                calls = math.ceil(len(parcels) / batch)
                pacer = self.pacers[code]
                pacer.spend(calls)
                self.calls[code] = self.calls.get(code, 0) + calls
                taken += len(parcels)
                yield code, parcels
                if len(parcels) < size:
                    break

    def next_wake(self, now: float, max_idle: float) -> float:
        """Seconds to wait before the next round."""
        due = self.store.next_due()
        wake = now + max_idle if due is None else min(now + max_idle, max(due, now))
        for code, pacer in self.pacers.items():
            if due is not None and due <= now and code in self.store.due_carriers(now):
                wake = min(wake, pacer.next_slot(now))
        return max(0.05, wake - now)

    # -- absorbing results ---------------------------------------------------------------------

    def related_parcels(self, parent: WatchedParcel, related: Iterable[RelatedNumber]) -> list[WatchedParcel]:
        out = []
        for item in related:
            code = item.carrier if item.carrier and item.carrier in self.client.registry else None
            try:
                code, number = self.resolve(item.tracking_number, code)
            except CarrierError:
                logger.info("watch: related number %s of %s is not trackable here", item.tracking_number, parent.number)
                continue
            if (code, number) == parent.key:
                continue
            out.append(self.new_parcel(code, number, journey=parent.journey or parent.number, metadata=parent.metadata))
        return out

    def absorb(self, parcels: list[WatchedParcel], results: Iterable[TrackingResult]) -> list[TrackingChange]:
        """Turn one chunk's results into updates and changes, committed in one transaction."""
        now = self.clock()
        by_number = {r.number: r for r in results}
        updates: list[WatchedParcel] = []
        changes: list[TrackingChange] = []
        additions: list[WatchedParcel] = []
        for parcel in parcels:
            result = by_number.get(parcel.number)
            change = None
            if result is not None and result.info is not None:
                updated, change = apply_info(parcel, result.info, now=now, schedule=self.schedule, rng=self.rng)
                if change is not None and change.new_related:
                    additions += self.related_parcels(parcel, change.new_related)
            elif result is not None and isinstance(result.error, TrackingNotFoundError):
                updated, change = apply_not_found(
                    parcel, _message(result.error), now=now, schedule=self.schedule, rng=self.rng
                )
            else:
                error = result.error if result is not None else None
                updated = apply_error(parcel, _message(error), now=now, schedule=self.schedule, rng=self.rng)
                logger.warning(
                    "watch: polling %s %s failed (%d in a row)", parcel.carrier, parcel.number, updated.errors
                )
            updates.append(updated)
            if change is not None:
                changes.append(change)
        return self.store.commit(CommitBatch(updates=updates, changes=changes, additions=additions))

    def close(self) -> None:
        if self.owns_store:
            self.store.close()


class _Base:
    def __init__(
        self,
        client: BaseClient,
        store: Store | None = None,
        *,
        schedule: Schedule | None = None,
        on_change: OnChange | Iterable[OnChange] | None = None,
        clock: Callable[[], float] = time.time,
        seed: int | None = None,
        max_per_run: int | None = None,
    ) -> None:
        self._core = _Core(client, store, schedule, clock, seed, max_per_run)
        self.on_change: _list[OnChange] = _callbacks(on_change)

    def _delivery(self, collect: bool) -> Generator[Awaitable[Any], Exception | None, _list[TrackingChange]]:
        """Delivery as steps: yields each awaitable a callback returns (the driver awaits it and
        sends back its error or ``None``); returns the delivered changes."""
        delivered: _list[TrackingChange] = []
        while True:
            page = self._core.store.pending(DELIVERY_PAGE)
            done: _list[str] = []
            try:
                for change in page:
                    for callback in self.on_change:
                        result = callback(change)
                        if inspect.isawaitable(result) and (error := (yield result)) is not None:
                            raise error
                    done.append(change.change_id)
                    if collect:
                        delivered.append(change)
            except Exception as err:
                logger.warning("watch: a change callback failed; the change stays queued: %s", _message(err))
                self._core.store.mark_delivered(done)
                return delivered
            self._core.store.mark_delivered(done)
            if len(page) < DELIVERY_PAGE:
                return delivered

    @property
    def store(self) -> Store:
        """The store this watcher reads and writes."""
        return self._core.store

    @property
    def schedule(self) -> Schedule:
        """The schedule in force."""
        return self._core.schedule

    @property
    def calls(self) -> dict[str, int]:
        """Tracking calls made per carrier since this watcher was created (a batch is one call)."""
        return dict(self._core.calls)

    def add(
        self, number: str, carrier: str | None = None, *, metadata: Mapping[str, Any] | None = None
    ) -> WatchedParcel:
        """Start watching ``number`` (its carrier is identified unless given); due at once.

        Adding a number already watched returns the existing parcel unchanged.

        Raises:
            UnknownCarrierError: No carrier (or several equally) recognizes the number.
            ValidationError: The number is not valid for the carrier, or ``metadata`` is not
                a JSON-compatible mapping.
        """
        return self._core.add(number, carrier, metadata)

    def remove(self, number: str, carrier: str | None = None) -> bool:
        """Stop watching ``number`` (at every carrier unless given); whether anything was removed."""
        removed = False
        for parcel in self._core.lookup(number, carrier):
            removed = self._core.store.remove(parcel.carrier, parcel.number) or removed
        return removed

    def get(self, number: str, carrier: str | None = None) -> WatchedParcel | None:
        """The watched parcel (last known info, schedule, errors), or ``None``."""
        found = self._core.lookup(number, carrier)
        return found[0] if found else None

    def add_many(
        self, numbers: Iterable[str], carrier: str | None = None, *, metadata: Mapping[str, Any] | None = None
    ) -> int:
        """Watch many numbers in one store transaction; returns how many were new.

        Raises:
            UnknownCarrierError: A number no carrier recognizes (nothing is added).
            ValidationError: A number not valid for its carrier (nothing is added).
        """
        parcels = []
        for number in numbers:
            code, normalized = self._core.resolve(number, carrier)
            parcels.append(self._core.new_parcel(code, normalized, metadata=metadata))
        return self._core.store.add_many(parcels)

    def make_due(self, numbers: Iterable[str] | None = None) -> int:
        """Make watched parcels (all of them, or ``numbers``) due now, whatever their schedule;
        returns how many. Rate limits still apply when they are polled."""
        now = self._core.clock()
        if numbers is None:
            parcels = self._core.store.parcels(state=ParcelState.WATCHING)
        else:
            parcels = [p for n in numbers for p in self._core.lookup(n, None) if p.state is ParcelState.WATCHING]
        self._core.store.commit(CommitBatch(updates=[attrs.evolve(p, next_poll_at=now) for p in parcels]))
        return len(parcels)

    def idle_for(self, max_idle: float = 60.0) -> float:
        """Seconds until the next round is worth running: the next parcel due or the next free
        rate-limit slot for a due backlog, at most ``max_idle``."""
        return self._core.next_wake(self._core.clock(), max_idle)

    def list(
        self,
        status: TrackingStatus | str | None = None,
        *,
        state: ParcelState | str | None = None,
        due_before: float | None = None,
        carrier: str | None = None,
    ) -> _list[WatchedParcel]:
        """Watched parcels, soonest due first, filtered by last known ``status``, life-cycle
        ``state``, ``due_before`` (epoch seconds) and ``carrier``."""
        return self._core.select(status, state, due_before, carrier)


class Watcher(_Base, Closing):
    """Follows parcels through a :class:`~carrier_sdk.Client`: polls what is due, reports changes.

    Args:
        client: The client polls go through (its rate limits, retries and deadlines apply).
        store: Where parcels and changes live; default a :class:`~carrier_sdk.watch.SQLiteStore`
            in the user's data directory (closed by :meth:`close`).
        schedule: When to poll; default :class:`~carrier_sdk.watch.Schedule`.
        on_change: Callbacks (plain functions; a coroutine function is run to completion) called
            with each change; a change is marked delivered once every callback returned.
        clock: Wall clock in epoch seconds (tests pass a virtual one).
        seed: Seed of the schedule's jitter.
        max_per_run: Most numbers polled per carrier in one :meth:`run_once` (default: all due,
            within the rate limit).

    .. versionadded:: 0.2
    """

    def __init__(self, client: Client, store: Store | None = None, **options: Unpack[WatcherOptions]) -> None:
        super().__init__(client, store, **options)
        self._client = client
        self._stop = threading.Event()

    def __repr__(self) -> str:
        return f"<Watcher store={self._core.store!r}>"

    def close(self) -> None:
        """Close the store if the watcher created it (the client is yours to close)."""
        self._core.close()

    def poll(self) -> int:
        """Poll what is due now (within each carrier's budget) and commit; returns how many
        changes were queued. Changes wait in the store's outbox until :meth:`deliver`."""
        queued = 0
        for code, parcels in self._core.plan(self._core.clock()):
            with contextlib.closing(self._client.track_many([p.number for p in parcels], carrier=code)) as results:
                queued += len(self._core.absorb(parcels, list(results)))
        return queued

    def deliver(self, *, collect: bool = True) -> _list[TrackingChange]:
        """Hand queued changes to every ``on_change`` callback, oldest first, marking each
        delivered once all accepted it. Stops at the first callback that raises (the change
        stays queued and is retried next time). Returns the delivered changes."""
        steps = self._delivery(collect)
        try:
            step = next(steps)
            while True:
                step = steps.send(_failure(step))
        except StopIteration as stop:
            delivered: _list[TrackingChange] = stop.value
            return delivered

    def run_once(self, *, collect: bool = True) -> _list[TrackingChange]:
        """Poll what is due, then deliver; returns the changes delivered (with ``collect=False``
        an empty list, for huge backlogs)."""
        self.poll()
        return self.deliver(collect=collect)

    def stop(self) -> None:
        """Make :meth:`run` / :meth:`changes` return after the current round (thread-safe)."""
        self._stop.set()

    def changes(self, *, max_idle: float = 60.0) -> Iterator[TrackingChange]:
        """Run rounds until :meth:`stop`, yielding each delivered change."""
        self._stop.clear()
        while not self._stop.is_set():
            yield from self.run_once()
            if self._stop.wait(self._core.next_wake(self._core.clock(), max_idle)):
                break

    def run(self, *, max_idle: float = 60.0) -> None:
        """Run rounds until :meth:`stop` or Ctrl-C (which propagates after the round's pool
        is shut down). Sleeps until the next parcel is due, at most ``max_idle`` seconds."""
        for _ in self.changes(max_idle=max_idle):
            pass


class AsyncWatcher(_Base, AsyncClosing):
    """The :class:`Watcher` for an :class:`~carrier_sdk.AsyncClient`; the same arguments.

    ``on_change`` callbacks may be coroutine functions (awaited) or plain functions. Store
    calls are short local I/O made on the event loop.

    .. versionadded:: 0.2
    """

    def __init__(self, client: AsyncClient, store: Store | None = None, **options: Unpack[WatcherOptions]) -> None:
        super().__init__(client, store, **options)
        self._client = client
        self._stop: asyncio.Event | None = None

    def __repr__(self) -> str:
        return f"<AsyncWatcher store={self._core.store!r}>"

    async def aclose(self) -> None:
        """Close the store if the watcher created it (the client is yours to close)."""
        self._core.close()

    async def poll(self) -> int:
        """Async :meth:`Watcher.poll`."""
        queued = 0
        for code, parcels in self._core.plan(self._core.clock()):
            results = self._client.track_many([p.number for p in parcels], carrier=code)
            async with contextlib.aclosing(results):
                collected = [r async for r in results]
            queued += len(self._core.absorb(parcels, collected))
        return queued

    async def deliver(self, *, collect: bool = True) -> _list[TrackingChange]:
        """Async :meth:`Watcher.deliver`."""
        steps = self._delivery(collect)
        try:
            step = next(steps)
            while True:
                step = steps.send(await _afailure(step))
        except StopIteration as stop:
            delivered: _list[TrackingChange] = stop.value
            return delivered

    async def run_once(self, *, collect: bool = True) -> _list[TrackingChange]:
        """Async :meth:`Watcher.run_once`."""
        await self.poll()
        return await self.deliver(collect=collect)

    def stop(self) -> None:
        """Make :meth:`run` / :meth:`changes` return (call it from the event loop's thread)."""
        if self._stop is not None:
            self._stop.set()

    async def changes(self, *, max_idle: float = 60.0) -> AsyncIterator[TrackingChange]:
        """Run rounds until :meth:`stop` or cancellation, yielding each delivered change."""
        self._stop = asyncio.Event()
        while not self._stop.is_set():
            for change in await self.run_once():
                yield change
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self._core.next_wake(self._core.clock(), max_idle))

    async def run(self, *, max_idle: float = 60.0) -> None:
        """Run rounds until :meth:`stop` or cancellation (in-flight requests are cancelled and
        their connections released; nothing is committed for an interrupted chunk)."""
        async for _ in self.changes(max_idle=max_idle):
            pass


async def _awaited(awaitable: Awaitable[Any]) -> Any:
    return await awaitable


def _failure(awaitable: Awaitable[Any]) -> Exception | None:
    """What running ``awaitable`` on an event loop of its own raised, or ``None``."""
    try:
        asyncio.run(_awaited(awaitable))
    except Exception as err:
        return err
    return None


async def _afailure(awaitable: Awaitable[Any]) -> Exception | None:
    """What awaiting ``awaitable`` raised, or ``None``."""
    try:
        await awaitable
    except Exception as err:
        return err
    return None


def _callbacks(value: OnChange | Iterable[OnChange] | None) -> _list[OnChange]:
    if value is None:
        return []
    if callable(value):
        return [value]
    callbacks = list(value)
    for item in callbacks:
        if not callable(item):
            raise ValidationError("on_change takes callables", field="on_change", constraint="callable")
    return callbacks
