"""``Client.track_many``'s engine picks its threads by how much the jobs wait (``run_jobs``).

The clocks are injected: each fake job advances its own thread's wall and CPU clocks by fixed
amounts, so the wall/CPU ratio the scheduler sees is exact and no assertion depends on timing.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Generator, Iterator

import pytest

from carrier_sdk import TrackingResult
from carrier_sdk._bulk import PROBE_JOBS, Job, run_jobs


class FakeWork:
    """Jobs that 'take' ``wall`` seconds of which ``cpu`` on the CPU, per thread-local clocks."""

    def __init__(self, wall: float, cpu: float, real_sleep: float = 0.0) -> None:
        self.wall_step, self.cpu_step, self.real_sleep = wall, cpu, real_sleep
        self.local = threading.local()
        self.lock = threading.Lock()
        self.threads: list[int] = []
        self.in_flight = 0
        self.max_in_flight = 0

    def _clock(self, name: str) -> float:
        value: float = getattr(self.local, name, 0.0)
        return value

    def wall(self) -> float:
        return self._clock("wall")

    def cpu(self) -> float:
        return self._clock("cpu")

    def run(self, job: Job) -> list[TrackingResult]:
        with self.lock:
            self.threads.append(threading.get_ident())
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        if self.real_sleep:
            time.sleep(self.real_sleep)
        self.local.wall = self.wall() + self.wall_step
        self.local.cpu = self.cpu() + self.cpu_step
        with self.lock:
            self.in_flight -= 1
        return [TrackingResult(number=n, carrier=job.carrier, error=None) for n in job.numbers]


def jobs(count: int) -> list[Job]:
    return [Job("fake", (f"N{i:04d}",), False) for i in range(count)]


def drain(work: FakeWork, count: int, concurrency: int) -> list[str]:
    results = run_jobs(iter(jobs(count)), work.run, concurrency, [], wall=work.wall, cpu=work.cpu)
    return [r.number for r in results]


def test_jobs_that_barely_wait_run_in_the_calling_thread() -> None:
    work = FakeWork(wall=1.2, cpu=1.0)
    numbers = drain(work, 60, concurrency=16)
    assert sorted(numbers) == [f"N{i:04d}" for i in range(60)]
    assert set(work.threads) == {threading.get_ident()}


def test_short_waits_stay_in_the_calling_thread() -> None:
    work = FakeWork(wall=0.003, cpu=0.001)  # ratio 3, but 2 ms of waiting: a busy machine, not the network
    assert len(drain(work, 30, concurrency=16)) == 30
    assert set(work.threads) == {threading.get_ident()}


def test_jobs_that_wait_move_to_at_most_ceil_ratio_threads() -> None:
    work = FakeWork(wall=6.0, cpu=1.0, real_sleep=0.02)  # ratio 6: six in flight keep a core busy
    numbers = drain(work, 60, concurrency=16)
    assert sorted(numbers) == [f"N{i:04d}" for i in range(60)]
    caller = threading.get_ident()
    assert work.threads[:PROBE_JOBS] == [caller] * PROBE_JOBS  # the probe runs here
    assert caller not in work.threads[PROBE_JOBS:]
    assert 2 <= work.max_in_flight <= 6


def test_the_limit_never_exceeds_concurrency() -> None:
    work = FakeWork(wall=100.0, cpu=1.0, real_sleep=0.01)
    numbers = drain(work, 40, concurrency=3)
    assert len(numbers) == 40
    assert work.max_in_flight <= 3


def test_concurrency_one_never_starts_a_thread() -> None:
    work = FakeWork(wall=50.0, cpu=1.0)
    assert len(drain(work, 20, concurrency=1)) == 20
    assert set(work.threads) == {threading.get_ident()}


def planner(early: list[TrackingResult]) -> Iterator[Job]:
    """Like ``plan_jobs``: a number it cannot resolve lands in ``early`` while it is pulled."""
    for job in jobs(12):
        early.append(TrackingResult(number="bad-" + job.numbers[0], carrier=None, error=None))
        yield job


@pytest.mark.parametrize("wall", [1.0, 10.0])  # inline; threaded after the probe
def test_early_results_are_yielded_in_both_modes(wall: float) -> None:
    work = FakeWork(wall=wall, cpu=1.0)
    early: list[TrackingResult] = []
    results = list(run_jobs(planner(early), work.run, 4, early, wall=work.wall, cpu=work.cpu))
    assert len(results) == 24
    assert sum(r.number.startswith("bad-") for r in results) == 12


@pytest.mark.parametrize("concurrency", [2, 16])
def test_stopping_early_leaves_no_worker_running(concurrency: int) -> None:
    work = FakeWork(wall=20.0, cpu=1.0, real_sleep=0.01)
    results = run_jobs(iter(jobs(200)), work.run, concurrency, [], wall=work.wall, cpu=work.cpu)
    for _ in range(PROBE_JOBS + 3):
        next(results)
    assert isinstance(results, Generator)
    results.close()
    assert work.in_flight == 0
    assert len(work.threads) < 200
