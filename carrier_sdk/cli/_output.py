"""Turning results into JSON-ready data for machines and rich tables for people."""

from __future__ import annotations

import errno
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from .. import Journey, TrackingInfo, TrackingResult, TrackingSummary, to_dict
from .._exceptions import CarrierError
from ._errors import EXIT_FAILED
from ._words import cli_words

if TYPE_CHECKING:
    from ._app import State

__all__ = [
    "clean",
    "console",
    "error_dict",
    "journey_dict",
    "journey_tables",
    "report",
    "result_dict",
    "result_line",
    "summary_tables",
    "tracking_tables",
    "write_new_file",
]

#: Columns of tables written to a pipe or file (a terminal uses its own width).
PIPE_WIDTH = 160

_ERROR_ATTRS = ("carrier", "operation", "status_code", "error_code", "error_message", "request_id", "number")


#: Terminal control characters (C0 but tab and newline, DEL, C1): never printed from outside text.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def clean(value: object) -> str:
    """``value`` as text with terminal control characters (ESC sequences, bells, C1) removed."""
    return _CONTROL.sub("", str(value))


class _SafeConsole(Console):
    """A console that reads no markup or emoji codes in text and strips control characters.

    Caller and carrier text ("[/x]" in a number, "[link=...]" or ESC sequences in an event
    description) is printed as it is; the CLI's own styling uses :class:`rich.text.Text`.
    """

    def render_str(self, text: str, **kwargs: Any) -> Text:
        return super().render_str(clean(text), **kwargs)


def console(*, stderr: bool = False) -> Console:
    """A rich console on the current stdout (or stderr); plain text when not a terminal.

    Strings are never read as markup (see :class:`_SafeConsole`): style with :class:`Text`.
    """
    file = sys.stderr if stderr else sys.stdout
    probe = Console(file=file)
    width = None if probe.is_terminal else PIPE_WIDTH
    return _SafeConsole(file=file, highlight=False, soft_wrap=False, width=width, markup=False, emoji=False)


def error_dict(err: CarrierError) -> dict[str, Any]:
    """An SDK error as plain data: its class, message and the non-secret details it carries."""
    data: dict[str, Any] = {"type": type(err).__name__, "message": str(err)}
    for name in _ERROR_ATTRS:
        value = getattr(err, name, None)
        if value not in (None, ""):
            data[name] = value
    return data


def result_dict(result: TrackingResult) -> dict[str, Any]:
    """One bulk-tracking result as plain data (one JSON line)."""
    return {
        "number": result.number,
        "carrier": result.carrier,
        "ok": result.info is not None,
        "info": to_dict(result.info) if result.info is not None else None,
        "error": error_dict(result.error) if result.error is not None else None,
    }


def _detail(info: TrackingInfo) -> str:
    if info.events:
        return info.events[-1].description or info.events[-1].carrier_status_text
    return info.status_detail


def result_line(result: TrackingResult) -> str:
    """One bulk-tracking result as a tab-separated line: number, carrier, status, detail."""
    carrier = result.carrier or "?"
    if result.info is not None:
        return clean(f"{result.number}\t{carrier}\t{result.info.status.value}\t{_detail(result.info)}")
    err = result.error
    carrier = result.carrier or getattr(err, "carrier", None) or "?"
    return clean(f"{result.number}\t{carrier}\terror\t{type(err).__name__}: {cli_words(str(err))}")


def _when(info_event: Any) -> str:
    return str(info_event.occurred_at.strftime("%Y-%m-%d %H:%M UTC"))


def _where(location: Any) -> str:
    if location is None:
        return ""
    parts = [location.facility, location.city, location.state, location.country]
    return ", ".join(p for p in parts if p)


def tracking_tables(result: TrackingResult) -> list[Any]:
    """Renderables for one tracked number: a heading and its events, or the error."""
    if result.info is None:
        err = result.error
        carrier = result.carrier or getattr(err, "carrier", None) or "?"
        return [
            Text.assemble(
                (clean(result.number), "bold"),
                f" ({clean(carrier)}): ",
                (type(err).__name__, "red"),
                f": {clean(cli_words(str(err)))}",
            )
        ]
    info = result.info
    heading = Text.assemble(
        (clean(info.tracking_number), "bold"), f" ({clean(info.carrier)}): ", (info.status.value, "bold")
    )
    extras = []
    if info.estimated_delivery:
        extras.append(f"estimated delivery {info.estimated_delivery.isoformat()}")
    if info.origin_country or info.destination_country:
        extras.append(f"{info.origin_country or '?'} -> {info.destination_country or '?'}")
    if info.related_numbers:
        extras.append("related: " + ", ".join(f"{r.tracking_number} ({r.relation})" for r in info.related_numbers))
    if extras:
        heading.append(clean(" - " + "; ".join(extras)))
    table = Table(show_edge=False, pad_edge=False)
    for column in ("When", "Status", "Description", "Location"):
        table.add_column(column)
    for event in info.events:
        table.add_row(_when(event), event.status.value, event.description, _where(event.location))
    return [heading, table]


def journey_dict(journey: Journey) -> dict[str, Any]:
    """A :class:`Journey` as plain data: legs (info or error) and merged events."""
    return {
        "tracking_number": journey.tracking_number,
        "status": journey.status.value,
        "legs": [
            {
                "carrier": leg.carrier,
                "tracking_number": leg.tracking_number,
                "relation": leg.relation,
                "status": leg.info.status.value if leg.info is not None else None,
                "info": to_dict(leg.info) if leg.info is not None else None,
                "error": error_dict(leg.error) if leg.error is not None else None,
            }
            for leg in journey.legs
        ],
        "events": [
            {"carrier": e.carrier, "tracking_number": e.tracking_number, **to_dict(e.event)} for e in journey.events
        ],
    }


def journey_tables(journey: Journey) -> list[Any]:
    """Renderables for a journey: the legs, then the merged timeline."""
    legs = Table(title=f"Journey of {journey.tracking_number}: {journey.status.value}", title_justify="left")
    for column in ("Leg", "Carrier", "Number", "Relation", "Status"):
        legs.add_column(column)
    for i, leg in enumerate(journey.legs, 1):
        status: str | Text
        if leg.info is not None:
            status = leg.info.status.value
        else:
            status = Text.assemble((type(leg.error).__name__, "red"), f": {clean(leg.error)}")
        legs.add_row(str(i), leg.carrier, leg.tracking_number, leg.relation, status)  # str cells: cleaned
    events = Table(title="Merged events (oldest first)", title_justify="left")
    for column in ("When", "Carrier", "Status", "Description", "Location"):
        events.add_column(column)
    for e in journey.events:
        events.add_row(_when(e.event), e.carrier, e.event.status.value, e.event.description, _where(e.event.location))
    return [legs, events]


def summary_tables(summary: TrackingSummary) -> list[Any]:
    """Renderables for a bulk run's :class:`TrackingSummary`."""
    out: list[Any] = [
        Text.assemble(
            (f"Tracked {summary.total}", "bold"),
            f": {summary.succeeded} succeeded, ",
            (f"{summary.failed} failed", "red" if summary.failed else ""),
        )
    ]
    for title, counts in (
        ("By status", summary.by_status),
        ("By error", summary.by_error),
        ("By carrier", summary.by_carrier),
    ):
        if not counts:
            continue
        table = Table(title=title, title_justify="left")
        table.add_column(title.removeprefix("By ").capitalize())
        table.add_column("Count", justify="right")
        for key, count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
            table.add_row(key, str(count))
        out.append(table)
    return out


def report(state: State, data: Any, title: str, rows: list[tuple[str, Any]], *, failed: bool = False) -> None:
    """One call's result: ``data`` as JSON with ``--json``, else ``rows`` as a table titled
    ``title`` (empty values left out); then exit 1 when ``failed``."""
    if state.json:
        state.emit_json(data)
    else:
        table = Table(title=title, title_justify="left", show_header=False)
        table.add_column("Field", style="bold")
        table.add_column("Value")
        for key, value in rows:
            if value not in (None, "", ()):
                table.add_row(key, str(value))
        console().print(table)
    if failed:
        raise click.exceptions.Exit(EXIT_FAILED)


def write_new_file(path: Path, data: bytes, *, attempts: int = 1000) -> Path:
    """Write ``data`` to ``path``, or to ``<stem>-2<suffix>``, ``-3`` ... when it exists: an
    existing file is never overwritten (created exclusively, so two runs cannot race)."""
    for n in range(1, attempts + 1):
        candidate = path if n == 1 else path.with_name(f"{path.stem}-{n}{path.suffix}")
        try:
            with candidate.open("xb") as f:
                f.write(data)
        except FileExistsError:
            continue
        return candidate
    raise FileExistsError(errno.EEXIST, f"{attempts} files named like it exist already", str(path))
