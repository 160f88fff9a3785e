r"""Bulk work: the one bounded-concurrency streaming scheduler, and bulk tracking's jobs.

:func:`run_jobs` (sync) and :func:`run_jobs_async` run a lazy stream of :class:`~._operation.Unit`\ s
with bounded concurrency and yield their results as they complete; ``track_many`` and
``create_shipments`` both run on them. The tracking planner pulls numbers lazily, so an input of
any length streams with memory bounded by the batch buffers (at most ``batch_size`` numbers per
carrier) and the jobs in flight.
"""

from __future__ import annotations

import logging
import math
import time
from collections import Counter, deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from functools import partial
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

import attrs

from ._enums import Capability
from ._exceptions import APIError, CarrierError, ResponseError, UnknownCarrierError, ValidationError
from ._models import TrackingInfo, TrackingResult
from ._operation import FLUSH, Operation, Unit

if TYPE_CHECKING:
    from ._carrier import BatchOutcome, Carrier

__all__ = [
    "FLUSH",
    "AsyncResults",
    "AsyncTrackingIterator",
    "Job",
    "Results",
    "TrackingIterator",
    "TrackingSummary",
    "batch_results",
    "plan_jobs",
    "run_jobs",
    "run_jobs_async",
    "summary_dict",
    "track_units",
]

W = TypeVar("W")
R = TypeVar("R")

logger = logging.getLogger("carrier_sdk")


@attrs.frozen
class Job:
    """Numbers for one carrier: one ``track`` call, or one ``track_batch`` call."""

    carrier: str
    numbers: tuple[str, ...]
    batch: bool


@attrs.define
class TrackingSummary:
    """Counts over a bulk run, updated as results are yielded.

    .. versionadded:: 0.1
    """

    total: int = 0
    succeeded: int = 0
    failed: int = 0
    by_status: Counter[str] = attrs.field(factory=Counter)
    by_error: Counter[str] = attrs.field(factory=Counter)
    by_carrier: Counter[str] = attrs.field(factory=Counter)

    def add(self, result: TrackingResult) -> None:
        """Count one result."""
        self.total += 1
        self.by_carrier[result.carrier or "?"] += 1
        if result.info is not None:
            self.succeeded += 1
            self.by_status[result.info.status.value] += 1
        else:
            self.failed += 1
            self.by_error[type(result.error).__name__] += 1

    def as_dict(self) -> dict[str, object]:
        """Plain data for JSON output."""
        return summary_dict(self)


def summary_dict(summary: attrs.AttrsInstance) -> dict[str, object]:
    """A bulk run's summary as plain data: its fields in order, each tally a dict sorted by key."""
    data: dict[str, object] = {}
    for field in attrs.fields(type(summary)):
        value = getattr(summary, field.name)
        data[field.name] = dict(sorted(value.items())) if isinstance(value, Counter) else value
    return data


class _Counts(Protocol):
    def add(self, result: Any, /) -> None: ...


S = TypeVar("S", bound=_Counts)


class Results(Iterator[R], Generic[R, S]):
    """An iterator of bulk results with a running ``summary``, counted as results are consumed."""

    def __init__(self, source: Iterator[R], summary: S) -> None:
        self._source = source
        self.summary = summary

    def __next__(self) -> R:
        result = next(self._source)
        self.summary.add(result)
        return result

    def close(self) -> None:
        """Stop early: no new work starts; work in flight finishes, pending work is cancelled."""
        close = getattr(self._source, "close", None)
        if close is not None:
            close()


class AsyncResults(AsyncIterator[R], Generic[R, S]):
    """An async iterator of bulk results with a running ``summary``, counted as results are consumed."""

    def __init__(self, source: AsyncIterator[R], summary: S) -> None:
        self._source = source
        self.summary = summary

    async def __anext__(self) -> R:
        result = await self._source.__anext__()
        self.summary.add(result)
        return result

    async def aclose(self) -> None:
        """Stop early: pending tasks are cancelled (a purchase cancelled in flight may end as an unknown outcome)."""
        aclose = getattr(self._source, "aclose", None)
        if aclose is not None:
            await aclose()


def plan_jobs(
    numbers: Iterable[str],
    resolve: Callable[[str], type[Carrier]],
    on_error: Callable[[str, CarrierError], None],
    batch_size_for: Callable[[str], int] | None = None,
) -> Iterator[Job]:
    """Yield jobs for ``numbers``; a number that cannot be resolved goes to ``on_error``.

    Numbers of a carrier whose batch size (``batch_size_for(code)``, by default the class's
    ``batch_size`` when it declares ``TRACK_BATCH``) is above 1 are grouped; the rest get one job
    per number. Duplicates in the input are tracked once per occurrence.
    """
    buffers: dict[str, list[str]] = {}
    sizes: dict[str, int] = {}
    for raw in numbers:
        number = raw.strip() if isinstance(raw, str) else raw
        if not number:
            continue
        try:
            carrier = resolve(number)
            normalized = carrier.check_number(number)
            size = sizes.get(carrier.code)
            if size is None:
                size = sizes[carrier.code] = (
                    batch_size_for(carrier.code) if batch_size_for is not None else _class_batch_size(carrier)
                )
        except CarrierError as err:
            on_error(number, err)
            yield FLUSH
            continue
        except Exception as err:  # an adapter bug on one odd number must not end the run
            logger.exception("checking %r for bulk tracking raised %s", number, type(err).__name__)
            on_error(
                number,
                ValidationError(
                    f"{str(number)[:64]!r} could not be checked ({type(err).__name__})",
                    field="tracking_number",
                    constraint="a number the carrier's adapter can check",
                ),
            )
            yield FLUSH
            continue
        if size > 1:
            buffer = buffers.setdefault(carrier.code, [])
            buffer.append(normalized)
            if len(buffer) >= size:
                yield Job(carrier.code, tuple(buffer), True)
                buffer.clear()
        else:
            yield Job(carrier.code, (normalized,), False)
    for code, buffer in buffers.items():
        if buffer:
            yield Job(code, tuple(buffer), len(buffer) > 1)


def _class_batch_size(carrier: type[Carrier]) -> int:
    return carrier.batch_size if Capability.TRACK_BATCH in carrier.capabilities else 1


class TrackingIterator(Results[TrackingResult, TrackingSummary]):
    """Iterator of :class:`TrackingResult` with a running ``summary`` (:class:`TrackingSummary`)."""


class AsyncTrackingIterator(AsyncResults[TrackingResult, TrackingSummary]):
    """Async iterator of :class:`TrackingResult` with a running ``summary`` (:class:`TrackingSummary`)."""


def batch_results(job: Job, outcome: BatchOutcome) -> list[TrackingResult]:
    """One result per number of a batch job; a number the response left out gets a ResponseError."""
    results = []
    for number in job.numbers:
        value = outcome.get(number)
        if isinstance(value, TrackingInfo):
            results.append(TrackingResult(number=number, carrier=job.carrier, info=value))
            continue
        error = (
            value
            if isinstance(value, CarrierError)
            else ResponseError(
                "the batch response did not mention this number", carrier=job.carrier, operation="track_batch"
            )
        )
        results.append(TrackingResult(number=number, carrier=job.carrier, error=error))
    return results


def track_units(
    numbers: Iterable[str],
    carrier: str | None,
    resolve: Callable[[str], type[Carrier]],
    carrier_for: Callable[[str, Capability | None], Carrier],
    early: list[TrackingResult],
) -> Iterator[Unit[Any, TrackingResult]]:
    """``track_many``'s work: one unit per job of :func:`plan_jobs` (``FLUSH`` passed through).

    ``resolve`` finds a number's carrier class, ``carrier_for`` the configured carrier for a code
    and capability; a number that cannot be resolved becomes a result in ``early``.
    """

    def unresolved(number: str, error: CarrierError) -> None:
        early.append(TrackingResult(number=number, carrier=carrier or _carrier_of(error), error=error))

    jobs = plan_jobs(numbers, resolve, unresolved, lambda code: carrier_for(code, None).track_batch_size())
    for job in jobs:
        unit: Any = FLUSH if job is FLUSH else job_unit(job, carrier_for)
        yield unit


def job_unit(job: Job, carrier_for: Callable[[str, Capability | None], Carrier]) -> Unit[Any, TrackingResult]:
    """One job as a unit: its (carrier, flow) pair, and its numbers' results."""

    def operation() -> Operation[Any]:
        if job.batch:
            impl = carrier_for(job.carrier, Capability.TRACK_BATCH)
            return Operation(impl, impl.track_batch(job.numbers))
        impl = carrier_for(job.carrier, Capability.TRACK)
        return Operation(impl, impl.track(job.numbers[0]))

    return Unit(operation, partial(_job_ok, job), partial(_job_failed, job))


def _job_ok(job: Job, value: Any) -> list[TrackingResult]:
    if job.batch:
        return batch_results(job, value)
    return [TrackingResult(number=job.numbers[0], carrier=job.carrier, info=value)]


def _job_failed(job: Job, err: Exception) -> list[TrackingResult]:
    if isinstance(err, CarrierError):
        return [TrackingResult(number=n, carrier=job.carrier, error=err) for n in job.numbers]
    return _unexpected(job, err)  # an adapter bug on one item becomes that item's typed error


def _carrier_of(error: BaseException) -> str | None:
    """The carrier an error names (a missing setting of the identified carrier ...), or None."""
    if isinstance(error, UnknownCarrierError):
        return None  # it names the code that was not found
    code = getattr(error, "carrier", None)
    return code if isinstance(code, str) and code and code != "?" else None


def _unexpected(job: Job, err: Exception) -> list[TrackingResult]:
    logger.exception("tracking %s with %s raised %s", job.numbers, job.carrier, type(err).__name__)
    error = APIError(
        f"tracking failed unexpectedly ({type(err).__name__}); this is a bug in the {job.carrier} adapter",
        carrier=job.carrier,
        operation="track_batch" if job.batch else "track",
    )
    return [TrackingResult(number=n, carrier=job.carrier, error=error) for n in job.numbers]


#: A job whose wall time is more than this many times its CPU time waits on the network more
#: than it computes: running several at once pays off.
WAITING_RATIO = 2.0
#: ... provided it waits at least this long (seconds, wall minus CPU time). A job that waited a
#: millisecond was more likely held up by the machine (another process on its core, a scheduler
#: hiccup) than by the network; moving to threads on that would double the CPU per number.
WAITING_MIN = 0.005
#: Jobs run in the calling thread first; the median wall/CPU ratio of the last this many decides.
PROBE_JOBS = 3


def _timed(
    run: Callable[[W], list[R]],
    job: W,
    wall: Callable[[], float],
    cpu: Callable[[], float],
) -> tuple[list[R], float, float]:
    """``run(job)``, its wall time over its CPU time and the time it waited (the calling thread's)."""
    wall_start, cpu_start = wall(), cpu()
    results = run(job)
    spent, elapsed = cpu() - cpu_start, wall() - wall_start
    return results, elapsed / spent if spent > 0 else math.inf, elapsed - spent


def run_jobs(
    jobs: Iterator[W],
    run: Callable[[W], list[R]],
    concurrency: int,
    early: list[R],
    *,
    wall: Callable[[], float] = time.perf_counter,
    cpu: Callable[[], float] = time.thread_time,
) -> Iterator[R]:
    """The scheduler's sync driver: as many threads as the jobs' waiting needs, up to ``concurrency``.

    ``run(job)`` gives a job's results (it never raises for one bad item); ``jobs`` is pulled
    lazily and may yield :data:`FLUSH` after it put results in ``early``.

    Jobs run in the calling thread while they barely wait (an in-memory transport, a server
    next door): there, worker threads would only add GIL hand-offs and context switches to every
    number. Once the median wall/CPU ratio of the last :data:`PROBE_JOBS` jobs exceeds
    :data:`WAITING_RATIO` and their median wait reaches :data:`WAITING_MIN`, the rest run in a
    thread pool keeping ``ceil(ratio)`` jobs in flight (Little's law: enough to keep one core busy
    while the others wait), re-estimated upwards as jobs complete, never above ``concurrency``.
    ``early`` collects results produced while ``jobs`` is pulled (numbers that could not be
    resolved); they are yielded as they appear.
    """
    ratios: deque[float] = deque(maxlen=PROBE_JOBS)
    waits: deque[float] = deque(maxlen=PROBE_JOBS)
    limit = 1
    while True:
        job = next(jobs, None)
        while early:
            yield early.pop()
        if job is None:
            return
        if job is FLUSH:
            continue
        results, ratio, waited = _timed(run, job, wall, cpu)
        yield from results
        ratios.append(ratio)
        waits.append(waited)
        if concurrency > 1 and len(ratios) == PROBE_JOBS:
            median = sorted(ratios)[PROBE_JOBS // 2]
            if median > WAITING_RATIO and sorted(waits)[PROBE_JOBS // 2] >= WAITING_MIN:
                limit = min(concurrency, math.ceil(median))
                break
    yield from _run_threaded(jobs, run, concurrency, limit, early, wall, cpu)


class _Feed(Generic[W, R]):
    """The scheduler's input: pulls jobs lazily, and hands over early results as they appear."""

    def __init__(self, jobs: Iterator[W], early: list[R]) -> None:
        self.jobs = jobs
        self.early = early
        self.exhausted = False

    def fill(self, room: int, start: Callable[[W], None]) -> Iterator[R]:
        """``start`` up to ``room`` jobs; yield the early results (bad input) on the way."""
        while not self.exhausted and room > 0:
            job = next(self.jobs, None)
            if job is None:
                self.exhausted = True
                break
            if job is not FLUSH:
                start(job)
                room -= 1
            while self.early:  # results of bad input are yielded before more input is read
                yield self.early.pop()
        while self.early:
            yield self.early.pop()


def _run_threaded(
    jobs: Iterator[W],
    run: Callable[[W], list[R]],
    concurrency: int,
    limit: int,
    early: list[R],
    wall: Callable[[], float],
    cpu: Callable[[], float],
) -> Iterator[R]:
    import concurrent.futures

    pool = concurrent.futures.ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="carrier-sdk")
    pending: set[concurrent.futures.Future[tuple[list[R], float, float]]] = set()
    feed = _Feed(jobs, early)

    def start(job: W) -> None:
        pending.add(pool.submit(_timed, run, job, wall, cpu))

    try:
        while True:
            yield from feed.fill(limit - len(pending), start)
            if not pending:
                if feed.exhausted:
                    return
                continue
            done, _ = concurrent.futures.wait(pending, return_when=concurrent.futures.FIRST_COMPLETED)
            pending.difference_update(done)
            for future in done:
                results, ratio, _ = future.result()
                if ratio > limit:
                    limit = min(concurrency, math.ceil(ratio))
                yield from results
    finally:
        for future in pending:
            future.cancel()
        pool.shutdown(wait=True, cancel_futures=True)


async def run_jobs_async(
    jobs: Iterator[W],
    run: Callable[[W], Awaitable[list[R]]],
    concurrency: int,
    early: list[R],
) -> AsyncIterator[R]:
    """The scheduler's async driver: up to ``concurrency`` tasks of ``run(job)`` in flight.

    Each job runs in its own task (so a context variable it sets stays its own); closing the
    iterator cancels the tasks in flight.
    """
    import asyncio

    pending: set[asyncio.Future[list[R]]] = set()
    feed = _Feed(jobs, early)

    def start(job: W) -> None:
        pending.add(asyncio.ensure_future(run(job)))

    try:
        while True:
            for result in feed.fill(concurrency - len(pending), start):
                yield result
            if not pending:
                if feed.exhausted:
                    return
                continue
            done, _ = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            pending.difference_update(done)
            for task in done:
                for result in task.result():
                    yield result
    finally:
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
