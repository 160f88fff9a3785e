"""``track``: one number, many numbers, a file of numbers streamed line by line, or a journey."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from contextlib import ExitStack
from typing import IO, Any

import click

from .. import ConfigurationError, TrackingResult, TrackingSummary
from .._constants import DEFAULT_CONCURRENCY
from .._identify import normalize_number
from ._app import State, iter_nonblank, state_options
from ._errors import EXIT_AUTH, EXIT_FAILED
from ._output import (
    console,
    journey_dict,
    journey_tables,
    result_dict,
    result_line,
    summary_tables,
    tracking_tables,
)

__all__ = ["progress_enabled", "run_bulk", "track"]


def progress_enabled(stream: Any = None) -> bool:
    """Progress bars are drawn only when stderr is a terminal."""
    stream = sys.stderr if stream is None else stream
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except ValueError:  # closed stream
        return False


def count_lines(path: str) -> int:
    """Non-blank, non-comment lines of ``path``, streamed (for the progress bar's total)."""
    with open(path, encoding="utf-8") as f:
        return sum(1 for _ in iter_nonblank(f))


class _Progress:
    """A rich progress bar (count, rate, elapsed time and ETA), or nothing.

    Result lines never fight the bar: when stdout is a terminal the bar is drawn there too and
    lines are printed above it through the same console; when stdout is a file or a pipe the
    bar goes to stderr and lines to stdout untouched.
    """

    def __init__(self, enabled: bool, total: int | None, description: str) -> None:
        self._bar: Any = None
        self._task: Any = None
        self._console: Any = None
        if enabled:
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                ProgressColumn,
                SpinnerColumn,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )
            from rich.text import Text

            class RateColumn(ProgressColumn):
                """Items per second."""

                def render(self, task: Any) -> Text:
                    speed = task.finished_speed or task.speed
                    return Text("-/s" if speed is None else f"{speed:,.0f}/s", style="progress.data.speed")

            out = console()
            self._console = out if out.is_terminal else console(stderr=True)
            self._bar = Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                RateColumn(),
                TimeElapsedColumn(),
                TextColumn("ETA"),
                TimeRemainingColumn(),
                console=self._console,
                transient=False,
                redirect_stdout=False,
                redirect_stderr=False,
            )
            self._task = self._bar.add_task(description, total=total)

    def __enter__(self) -> _Progress:
        if self._bar is not None:
            self._bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()

    def advance(self) -> None:
        if self._bar is not None:
            self._bar.advance(self._task)

    def print(self, line: str) -> None:
        """One result line on stdout, above the bar when both share the terminal."""
        if self._bar is not None and self._console is not None and self._console.file is sys.stdout:
            self._console.print(line, markup=False, highlight=False, soft_wrap=True, emoji=False)
        else:
            click.echo(line)


def run_bulk(
    state: State,
    numbers: Iterable[str],
    *,
    carrier: str | None = None,
    concurrency: int = DEFAULT_CONCURRENCY,
    total: int | None = None,
    progress: bool | None = None,
    lines: bool = True,  # False: only the progress bar and the summary
    description: str = "Tracking",
) -> TrackingSummary:
    """Stream ``numbers`` through ``track_many``: one output line per result, then the summary.

    Memory stays flat: numbers are pulled lazily, each result is written and dropped, and only
    the counters of the summary are kept.
    """
    results = state.client().track_many(numbers, carrier=carrier, concurrency=concurrency)
    enabled = progress_enabled() if progress is None else progress
    config_errors: list[ConfigurationError] = []
    shown = 0
    try:
        with _Progress(enabled, total, description) as bar:
            for result in results:
                bar.advance()
                if isinstance(result.error, ConfigurationError):
                    # Missing or invalid settings stop the command: reported once, at the end.
                    config_errors.append(result.error)
                    continue
                shown += 1
                if lines and state.json:
                    state.emit_json(result_dict(result))
                elif lines:
                    bar.print(result_line(result))
    finally:
        results.close()
    if not config_errors or shown:
        print_summary(state, results.summary)
    if config_errors:
        raise _one_config_error(config_errors)  # exit 2, reported once (not "some items failed")
    return results.summary


def _one_config_error(errors: list[ConfigurationError]) -> ConfigurationError:
    """One error for the settings problems of several items: each distinct problem once."""
    distinct: dict[str, ConfigurationError] = {}
    for err in errors:
        distinct.setdefault(str(err), err)
    if len(distinct) == 1:
        return next(iter(distinct.values()))
    first = next(iter(distinct.values()))
    missing = [m for err in distinct.values() for m in err.missing]
    return ConfigurationError("; ".join(distinct), carrier=first.carrier, missing=missing)


def print_summary(state: State, summary: TrackingSummary) -> None:
    """The summary: a final ``{"summary": ...}`` JSON line, or tables."""
    if state.json:
        state.emit_json({"summary": summary.as_dict()})
    else:
        out = console()
        for renderable in summary_tables(summary):
            out.print(renderable)


def _track_few(state: State, numbers: list[str], carrier: str | None, concurrency: int) -> TrackingSummary:
    client = state.client()
    if state.max_retries is None:
        # Numbers typed on the command line are one-shot work, someone is waiting: the
        # interactive retry count, not the bulk one (RetryPolicy.interactive_max_retries).
        client = client.with_options(max_retries=client.retry_policy.interactive_max_retries)
    iterator = client.track_many(numbers, carrier=carrier, concurrency=concurrency)
    try:
        collected = list(iterator)
    finally:
        iterator.close()
    order = {normalize_number(n): i for i, n in reversed(list(enumerate(numbers)))}
    collected.sort(key=lambda r: order.get(normalize_number(r.number), len(numbers)))
    config_errors = [r.error for r in collected if isinstance(r.error, ConfigurationError)]
    collected = [r for r in collected if not isinstance(r.error, ConfigurationError)]
    if state.json:
        for result in collected:
            state.emit_json(result_dict(result))
    else:
        out = console()
        for result in collected:
            for renderable in tracking_tables(result):
                out.print(renderable)
            out.print()
    if len(collected) > 1 or (state.json and collected):
        print_summary(state, iterator.summary)
    if config_errors:
        raise _one_config_error(config_errors)  # exit 2, reported once (not "some items failed")
    return iterator.summary


def _journeys(state: State, numbers: list[str], carrier: str | None, max_legs: int) -> int:
    client = state.client()
    failed = 0
    for number in numbers:
        try:
            journey = client.track_journey(number, carrier=carrier, max_legs=max_legs)
        except Exception as err:
            from .._exceptions import CarrierError

            if not isinstance(err, CarrierError):
                raise
            failed += 1
            result = TrackingResult(number=number, carrier=carrier, error=err)
            if state.json:
                state.emit_json({"tracking_number": number, "error": result_dict(result)["error"]})
            else:
                console().print(*tracking_tables(result))
            continue
        failed += bool(journey.failed_legs) or not any(leg.info for leg in journey.legs)
        if state.json:
            state.emit_json(journey_dict(journey))
        else:
            out = console()
            for renderable in journey_tables(journey):
                out.print(renderable)
    return failed


@click.command()
@click.argument("numbers", nargs=-1)
@click.option(
    "-f",
    "--file",
    "file_",
    type=click.Path(dir_okay=False, allow_dash=True),
    help="Read numbers from FILE, one per line (- for stdin); streamed, never read whole.",
)
@click.option("--carrier", metavar="CODE", help="Skip identification: every number belongs to CODE.")
@click.option(
    "--concurrency",
    type=click.IntRange(min=1, max=256),
    default=DEFAULT_CONCURRENCY,
    show_default=True,
    help="Requests in flight at once.",
)
@click.option("--journey", is_flag=True, help="Follow each number across carriers (stitched legs and events).")
@click.option("--max-legs", type=click.IntRange(min=1, max=16), default=4, show_default=True, help="With --journey.")
@click.option(
    "--progress/--no-progress",
    default=None,
    help="Force the progress bar on or off (default: on for bulk work when stderr is a terminal).",
)
@state_options
def track(
    state: State,
    numbers: tuple[str, ...],
    file_: str | None,
    carrier: str | None,
    concurrency: int,
    journey: bool,
    max_legs: int,
    progress: bool | None,
) -> None:
    """Track NUMBERs, a --file of numbers, or numbers on stdin (-).

    Bulk input (--file or -) is streamed through track_many: one line per result as it
    completes (JSON lines with --json), a progress bar on stderr when it is a terminal, and
    a summary at the end (a final {"summary": ...} line with --json).

    Exits 1 when some number failed (not found, carrier error, not recognized).
    """
    from_stdin = "-" in numbers or file_ == "-"
    positional = [n for n in numbers if n != "-"]
    if (file_ or from_stdin) and positional:
        state.fail("give numbers as arguments, or --file / -, not both")
    if not positional and not file_ and not from_stdin:
        state.fail("nothing to track: give NUMBER..., --file FILE, or - to read stdin")
    if journey and (file_ or from_stdin):
        state.fail("--journey tracks the numbers given as arguments, not a file")
    if carrier is not None:
        carrier = state.canonical_code(carrier)  # case-insensitive; unknown code: exit 2 before any work
    if journey:
        failed = _journeys(state, positional, carrier, max_legs)
        if failed:
            raise click.exceptions.Exit(EXIT_FAILED)
        return
    if positional:
        summary = _track_few(state, positional, carrier, concurrency)
    else:
        with ExitStack() as stack:
            total: int | None = None
            source: IO[str]
            if from_stdin:
                source = sys.stdin
            else:
                assert file_ is not None
                try:
                    wants_bar = progress_enabled() if progress is None else progress
                    total = count_lines(file_) if wants_bar else None
                    source = stack.enter_context(open(file_, encoding="utf-8"))
                except OSError as err:
                    state.fail(f"cannot read {file_!r}: {err.strerror or err}")
            summary = run_bulk(
                state,
                iter_nonblank(source),
                carrier=carrier,
                concurrency=concurrency,
                total=total,
                progress=progress,
            )
    if summary.by_error.get("AuthenticationError"):
        raise click.exceptions.Exit(EXIT_AUTH)  # the credentials were rejected: fix the settings
    if summary.failed:
        raise click.exceptions.Exit(EXIT_FAILED)
