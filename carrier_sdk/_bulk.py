"""Bulk tracking: turning a stream of numbers into per-carrier jobs, and the run's summary.

The planner pulls numbers lazily, so an input of any length streams with memory bounded by
the batch buffers (at most ``batch_size`` numbers per carrier) and the jobs in flight.
"""

from __future__ import annotations

import logging
import math
import time
from collections import Counter, deque
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import attrs

from ._enums import Capability
from ._exceptions import APIError, CarrierError, ResponseError, ValidationError
from ._models import TrackingInfo, TrackingResult

if TYPE_CHECKING:
    from ._carrier import BatchOutcome, Carrier
    from ._client import AsyncClient
    from ._flow import Flow

__all__ = [
    "FLUSH",
    "AsyncTrackingIterator",
    "Job",
    "TrackingIterator",
    "TrackingResults",
    "TrackingSummary",
    "async_job_results",
    "batch_results",
    "job_results",
    "plan_jobs",
    "run_jobs",
]

T = TypeVar("T")

logger = logging.getLogger("carrier_sdk")


@attrs.frozen
class Job:
    """Numbers for one carrier: one ``track`` call, or one ``track_batch`` call."""

    carrier: str
    numbers: tuple[str, ...]
    batch: bool


#: Yielded by :func:`plan_jobs` after a number went to ``on_error``: the driver yields the early
#: results before pulling more input, so unrecognized numbers are never read far ahead.
FLUSH = Job("", (), False)


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
        return {
            "total": self.total,
            "succeeded": self.succeeded,
            "failed": self.failed,
            "by_status": dict(sorted(self.by_status.items())),
            "by_error": dict(sorted(self.by_error.items())),
            "by_carrier": dict(sorted(self.by_carrier.items())),
        }


class TrackingResults(Generic[T]):
    """The iterator ``track_many`` returns; ``summary`` grows as results are consumed."""

    def __init__(self, source: T, summary: TrackingSummary) -> None:
        self._source = source
        self.summary = summary


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


class TrackingIterator(TrackingResults[Iterator[TrackingResult]], Iterator[TrackingResult]):
    """Iterator of :class:`TrackingResult` with a running ``summary``."""

    def __iter__(self) -> TrackingIterator:
        return self

    def __next__(self) -> TrackingResult:
        return next(self._source)

    def close(self) -> None:
        """Stop early: pending work is cancelled."""
        close = getattr(self._source, "close", None)
        if close is not None:
            close()


class AsyncTrackingIterator(TrackingResults[AsyncIterator[TrackingResult]], AsyncIterator[TrackingResult]):
    """Async iterator of :class:`TrackingResult` with a running ``summary``."""

    def __aiter__(self) -> AsyncTrackingIterator:
        return self

    async def __anext__(self) -> TrackingResult:
        return await self._source.__anext__()

    async def aclose(self) -> None:
        """Stop early: pending tasks are cancelled."""
        aclose = getattr(self._source, "aclose", None)
        if aclose is not None:
            await aclose()


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


def job_results(
    job: Job,
    run: Callable[[Carrier, Flow[Any]], Any],
    carrier_for: Callable[[str, Capability], Carrier],
) -> list[TrackingResult]:
    try:
        if job.batch:
            impl = carrier_for(job.carrier, Capability.TRACK_BATCH)
            return batch_results(job, run(impl, impl.track_batch(job.numbers)))
        impl = carrier_for(job.carrier, Capability.TRACK)
        info = run(impl, impl.track(job.numbers[0]))
        return [TrackingResult(number=job.numbers[0], carrier=job.carrier, info=info)]
    except CarrierError as err:
        return [TrackingResult(number=n, carrier=job.carrier, error=err) for n in job.numbers]
    except Exception as err:  # an adapter bug on one item becomes that item's typed error
        return _unexpected(job, err)


async def async_job_results(job: Job, client: AsyncClient) -> list[TrackingResult]:
    try:
        if job.batch:
            impl = client._carrier(job.carrier, Capability.TRACK_BATCH)
            return batch_results(job, await client._run(impl, impl.track_batch(job.numbers)))
        impl = client._carrier(job.carrier, Capability.TRACK)
        info = await client._run(impl, impl.track(job.numbers[0]))
        return [TrackingResult(number=job.numbers[0], carrier=job.carrier, info=info)]
    except CarrierError as err:
        return [TrackingResult(number=n, carrier=job.carrier, error=err) for n in job.numbers]
    except Exception as err:  # an adapter bug on one item becomes that item's typed error
        return _unexpected(job, err)


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
#: Jobs run in the calling thread first; the median wall/CPU ratio of the last this many decides.
PROBE_JOBS = 5


def _timed(
    run: Callable[[Job], list[TrackingResult]],
    job: Job,
    wall: Callable[[], float],
    cpu: Callable[[], float],
) -> tuple[list[TrackingResult], float]:
    """``run(job)`` and its wall time over its CPU time (the calling thread's)."""
    wall_start, cpu_start = wall(), cpu()
    results = run(job)
    spent = cpu() - cpu_start
    return results, (wall() - wall_start) / spent if spent > 0 else math.inf


def run_jobs(
    jobs: Iterator[Job],
    run: Callable[[Job], list[TrackingResult]],
    concurrency: int,
    early: list[TrackingResult],
    *,
    wall: Callable[[], float] = time.perf_counter,
    cpu: Callable[[], float] = time.thread_time,
) -> Iterator[TrackingResult]:
    """The synchronous bulk engine: as many threads as the jobs' waiting needs, up to ``concurrency``.

    Jobs run in the calling thread while they barely wait (an in-memory transport, a server
    next door): there, worker threads would only add GIL hand-offs and context switches to every
    number. Once the median wall/CPU ratio of the last :data:`PROBE_JOBS` jobs exceeds
    :data:`WAITING_RATIO`, the rest run in a thread pool keeping ``ceil(ratio)`` jobs in flight
    (Little's law: enough to keep one core busy while the others wait), re-estimated upwards as
    jobs complete, never above ``concurrency``. ``early`` collects results produced while
    ``jobs`` is pulled (numbers that could not be resolved); they are yielded as they appear.
    """
    ratios: deque[float] = deque(maxlen=PROBE_JOBS)
    limit = 1
    while True:
        job = next(jobs, None)
        while early:
            yield early.pop()
        if job is None:
            return
        if job is FLUSH:
            continue
        results, ratio = _timed(run, job, wall, cpu)
        yield from results
        ratios.append(ratio)
        if concurrency > 1 and len(ratios) == PROBE_JOBS:
            median = sorted(ratios)[PROBE_JOBS // 2]
            if median > WAITING_RATIO:
                limit = min(concurrency, math.ceil(median))
                break
    yield from _run_threaded(jobs, run, concurrency, limit, early, wall, cpu)


def _run_threaded(
    jobs: Iterator[Job],
    run: Callable[[Job], list[TrackingResult]],
    concurrency: int,
    limit: int,
    early: list[TrackingResult],
    wall: Callable[[], float],
    cpu: Callable[[], float],
) -> Iterator[TrackingResult]:
    import concurrent.futures

    pool = concurrent.futures.ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="carrier-sdk")
    pending: set[concurrent.futures.Future[tuple[list[TrackingResult], float]]] = set()
    try:
        exhausted = False
        while True:
            while not exhausted and len(pending) < limit:
                job = next(jobs, None)
                if job is None:
                    exhausted = True
                    break
                if job is not FLUSH:
                    pending.add(pool.submit(_timed, run, job, wall, cpu))
                while early:
                    yield early.pop()
            while early:
                yield early.pop()
            if not pending:
                if exhausted:
                    return
                continue
            done, pending = concurrent.futures.wait(pending, return_when=concurrent.futures.FIRST_COMPLETED)
            for future in done:
                results, ratio = future.result()
                if ratio > limit:
                    limit = min(concurrency, math.ceil(ratio))
                yield from results
    finally:
        for future in pending:
            future.cancel()
        pool.shutdown(wait=True, cancel_futures=True)
