"""``watch add``, ``list``, ``remove`` and ``run``: follow parcels from the command line.

The parcels live in a SQLite store (:class:`~carrier_sdk.watch.SQLiteStore`): ``--db PATH``, else
``$CARRIER_SDK_WATCH_DB``, else ``watch/watch.sqlite3`` in the data directory, and with
``--sandbox`` a separate ``watch/sandbox-seed-N.sqlite3`` so sandbox parcels never mix with real
ones.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
from rich.live import Live
from rich.table import Table
from rich.text import Text

from .._enums import TrackingStatus
from .._exceptions import CarrierError
from ..watch import ParcelState, SQLiteStore, TrackingChange, WatchedParcel, Watcher, WebhookSink
from ._app import State, iter_nonblank, state_options
from ._errors import EXIT_FAILED
from ._output import clean, console, error_dict

__all__ = ["watch"]


def _store_path(state: State, db: Path | None) -> Path:
    if db is not None:
        return db
    from ._paths import data_dir

    name = f"sandbox-seed-{state.seed}.sqlite3" if state.sandbox else "watch.sqlite3"
    return data_dir(state.overrides.environ) / "watch" / name


def _watcher(ctx: click.Context, state: State, on_change: Any = None) -> Watcher:
    db: Path | None = ctx.find_root().meta.get("carrier_sdk.watch_db")
    store = SQLiteStore(_store_path(state, db))
    ctx.call_on_close(store.close)
    client = state.client()
    if state.sandbox:  # watching can last hours: other sandbox runs go on, and close() merges
        state.get_sandbox().unlock(state.state_file())
    return Watcher(client, store, on_change=on_change)


@click.group()
@click.option(
    "--db",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="CARRIER_SDK_WATCH_DB",
    help="The watch store (SQLite file). Env: CARRIER_SDK_WATCH_DB. Default: in the data directory.",
)
@click.pass_context
def watch(ctx: click.Context, db: Path | None) -> None:
    """Follow parcels: add numbers, then `watch run` polls them on a schedule and reports changes.

    The schedule respects each carrier's quota (USPS: 60 calls an hour) and batch size.
    """
    ctx.find_root().meta["carrier_sdk.watch_db"] = db


def _when(epoch: float | None) -> str:
    if epoch is None:
        return "-"
    if epoch == float("inf"):
        return "never"
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M")


def _parcel_dict(parcel: WatchedParcel) -> dict[str, Any]:
    latest = parcel.info.latest_event if parcel.info is not None else None
    return {
        "carrier": parcel.carrier,
        "number": parcel.number,
        "journey": parcel.journey,
        "status": parcel.status.value,
        "state": parcel.state.value,
        "terminal_reason": parcel.terminal_reason.value if parcel.terminal_reason is not None else None,
        "latest_event": latest.description if latest is not None else None,
        "latest_event_at": latest.occurred_at.isoformat() if latest is not None else None,
        "next_poll_at": None if parcel.next_poll_at == float("inf") else _when(parcel.next_poll_at),
        "errors": parcel.errors,
        "not_found": parcel.not_found,
        "last_error": parcel.last_error or None,
        "metadata": parcel.metadata,
    }


def _metadata(pairs: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"{pair!r} is not KEY=VALUE", param_hint="--meta")
        out[key.strip()] = value
    return out


@watch.command()
@click.argument("numbers", nargs=-1)
@click.option("--file", "file", type=click.File("r", encoding="utf-8"), help="Read numbers from FILE ('-': stdin).")
@click.option("--carrier", metavar="CODE", help="The numbers' carrier (default: identified from each number).")
@click.option("--meta", multiple=True, metavar="KEY=VALUE", help="Metadata copied into every change (repeatable).")
@state_options
@click.pass_context
def add(
    ctx: click.Context,
    state: State,
    numbers: tuple[str, ...],
    file: Any,
    carrier: str | None,
    meta: tuple[str, ...],
) -> None:
    """Start watching NUMBERS (or the lines of --file); they are due at once."""
    if not numbers and file is None:
        state.fail("give tracking numbers or --file")
    metadata = _metadata(meta)
    watcher = _watcher(ctx, state)
    source: Iterator[str] = iter(numbers) if file is None else iter_nonblank(file)
    rows: list[dict[str, Any]] = []
    failed = 0
    for number in source:
        existed = False
        try:
            before = watcher.get(number, carrier)
            existed = before is not None
            parcel = watcher.add(number, carrier, metadata=metadata or None)
        except CarrierError as err:
            failed += 1
            row: dict[str, Any] = {"number": number, "added": False, "error": error_dict(err)}
        else:
            row = {"number": parcel.number, "carrier": parcel.carrier, "added": not existed, "error": None}
        if state.json:
            state.emit_json(row)
        rows.append(row)
    if not state.json:
        table = Table(title="Watched", title_justify="left")
        for column in ("Carrier", "Number", "Result"):
            table.add_column(column)
        for row in rows:
            if row["error"] is not None:
                result: str | Text = Text.assemble(
                    (str(row["error"]["type"]), "red"), f": {clean(row['error']['message'])}"
                )
            else:
                result = "added" if row["added"] else "already watched"
            table.add_row(row.get("carrier") or "-", row["number"], result)
        console().print(table)
    if failed:
        ctx.exit(EXIT_FAILED)


_STATUS_CHOICES = sorted({s.value for s in TrackingStatus} | {s.value for s in ParcelState})


@watch.command(name="list")
@click.option(
    "--status",
    type=click.Choice(_STATUS_CHOICES, case_sensitive=False),
    help="Only parcels with this last known status, or in this state (watching, done, not_found).",
)
@click.option("--carrier", metavar="CODE", help="Only this carrier's parcels.")
@state_options
@click.pass_context
def list_(ctx: click.Context, state: State, status: str | None, carrier: str | None) -> None:
    """List watched parcels, soonest due first."""
    watcher = _watcher(ctx, state)
    wanted = status.lower() if status is not None else None
    if wanted in {s.value for s in ParcelState}:
        parcels = watcher.list(state=wanted, carrier=carrier)
    else:
        parcels = watcher.list(wanted, carrier=carrier)
    if state.json:
        for parcel in parcels:
            state.emit_json(_parcel_dict(parcel))
        return
    table = Table(title=f"{len(parcels)} watched parcel(s)", title_justify="left")
    for column in ("Carrier", "Number", "Status", "State", "Latest event", "Next poll (UTC)", "Errors"):
        table.add_column(column)
    for parcel in parcels:
        data = _parcel_dict(parcel)
        state_text = (
            parcel.state.value if parcel.terminal_reason is None else f"{parcel.state} ({parcel.terminal_reason})"
        )
        table.add_row(
            parcel.carrier,
            parcel.number,
            data["status"],
            state_text,
            data["latest_event"] or "-",
            _when(parcel.next_poll_at),
            str(parcel.errors + parcel.not_found) if parcel.errors or parcel.not_found else "",
        )
    console().print(table)


@watch.command()
@click.argument("numbers", nargs=-1, required=True)
@click.option("--carrier", metavar="CODE", help="Only at this carrier (default: every carrier watching the number).")
@state_options
@click.pass_context
def remove(ctx: click.Context, state: State, numbers: tuple[str, ...], carrier: str | None) -> None:
    """Stop watching NUMBERS (their changes already queued are still delivered)."""
    watcher = _watcher(ctx, state)
    missing = 0
    for number in numbers:
        removed = watcher.remove(number, carrier)
        missing += not removed
        if state.json:
            state.emit_json({"number": number, "removed": removed})
        else:
            click.echo(f"{number}: {'removed' if removed else 'not watched'}")
    if missing:
        ctx.exit(EXIT_FAILED)


def _change_row(change: TrackingChange) -> tuple[str, ...]:
    old = change.old_status.value if change.old_status is not None else "new"
    latest = change.new_events[-1].description if change.new_events else ""
    notes = []
    if change.eta_changed and change.new_eta is not None:
        notes.append(f"ETA {change.new_eta.isoformat()}")
    notes += [f"next leg {r.tracking_number}" for r in change.new_related]
    if change.terminal_reason is not None:
        notes.append(f"done: {change.terminal_reason}")
    return (
        change.carrier,
        change.number,
        f"{old} -> {change.new_status}",
        str(len(change.new_events)),
        latest,
        ", ".join(notes),
    )


def _changes_table(changes: list[TrackingChange], title: str) -> Table:
    table = Table(title=title, title_justify="left")
    for column in ("Carrier", "Number", "Status", "New events", "Latest event", "Notes"):
        table.add_column(column)
    for change in changes:
        table.add_row(*_change_row(change))
    return table


def _live_table(watcher: Watcher, latest: dict[tuple[str, str], TrackingChange], rounds: int) -> Table:
    table = Table(
        title=f"Watching {watcher.store.count(state=ParcelState.WATCHING)} parcel(s), round {rounds}"
        f" - {datetime.now(UTC).strftime('%H:%M:%S')} UTC - Ctrl-C to stop",
        title_justify="left",
    )
    for column in ("Carrier", "Number", "Status", "Latest change", "Next poll (UTC)"):
        table.add_column(column)
    for parcel in watcher.list()[:40]:
        change = latest.get(parcel.key)
        described = " ".join(_change_row(change)[2:5]) if change is not None else ""
        table.add_row(parcel.carrier, parcel.number, parcel.status.value, described, _when(parcel.next_poll_at))
    return table


@watch.command()
@click.option("--once", is_flag=True, help="One round: poll what is due, report, exit.")
@click.option("--all", "all_", is_flag=True, help="Poll every watched parcel now, not only the due ones.")
@click.option("--webhook", metavar="URL", help="POST each change, signed, to URL (needs --secret).")
@click.option(
    "--secret", envvar="CARRIER_SDK_WATCH_SECRET", help="The webhook's shared secret. Env: CARRIER_SDK_WATCH_SECRET."
)
@click.option(
    "--max-idle",
    type=click.FloatRange(min=0, min_open=True),
    default=60.0,
    show_default=True,
    help="Longest sleep between rounds, in seconds.",
)
@click.option("--rounds", type=click.IntRange(min=1), hidden=True, help="Stop after ROUNDS rounds (tests).")
@state_options
@click.pass_context
def run(
    ctx: click.Context,
    state: State,
    once: bool,
    all_: bool,
    webhook: str | None,
    secret: str | None,
    max_idle: float,
    rounds: int | None,
) -> None:
    """Poll watched parcels on their schedule and report each change until Ctrl-C.

    On a terminal: a live table of the parcels and their latest change; otherwise (or with
    --json) one JSON line per change. A change is reported once the webhook (if any) accepted it;
    while the webhook is down changes stay queued in the store and are sent again next round.
    """
    if webhook is not None and not secret:
        state.fail("--webhook needs --secret (or CARRIER_SDK_WATCH_SECRET)")
    sink = WebhookSink(webhook, secret or "") if webhook is not None else None
    if sink is not None:
        ctx.call_on_close(sink.close)
    watcher = _watcher(ctx, state, on_change=sink)
    if all_:
        watcher.make_due()
    live = not state.json and not once and console().is_terminal
    latest: dict[tuple[str, str], TrackingChange] = {}
    done = 0

    def report(changes: list[TrackingChange]) -> None:
        for change in changes:
            latest[(change.carrier, change.number)] = change
            if state.json or (not console().is_terminal and not once):
                state.emit_json(change.to_dict())
        queued = len(watcher.store.pending(limit=1))
        if queued and not state.json:
            click.echo("Warning: some changes are still queued (the webhook did not accept them).", err=True)

    if once:
        changes = watcher.run_once()
        report(changes)
        if not state.json:
            console().print(_changes_table(changes, f"{len(changes)} change(s)"))
        return
    if not live:
        while rounds is None or done < rounds:
            report(watcher.run_once())
            done += 1
            if rounds is not None and done >= rounds:
                break
            time.sleep(watcher.idle_for(max_idle))
        return
    with Live(_live_table(watcher, latest, 0), console=console(), refresh_per_second=2) as view:
        while rounds is None or done < rounds:
            report(watcher.run_once())
            done += 1
            view.update(_live_table(watcher, latest, done))
            if rounds is not None and done >= rounds:
                break
            time.sleep(watcher.idle_for(max_idle))
