"""``demo``: the README's tour, against the sandbox, with no credentials and no network."""

from __future__ import annotations

import time

import click
from rich.text import Text

from ._app import State, json_option, pass_state
from ._numbers import generate_numbers
from ._output import clean, console, journey_dict, journey_tables
from ._track import run_bulk

__all__ = ["demo"]

#: The cross-border journey of the demo: a parcel handed over from Cainiao to a destination post.
JOURNEY_CARRIER = "cainiao"
JOURNEY_SCENARIO = "handover"


@click.command()
@click.option(
    "--count",
    type=click.IntRange(min=0, max=1_000_000),
    default=2000,
    show_default=True,
    help="Numbers in the bulk run.",
)
@click.option("--concurrency", type=click.IntRange(min=1, max=256), default=16, show_default=True)
@click.option(
    "--progress/--no-progress", default=None, help="Force the progress bar (default: when stderr is a terminal)."
)
@json_option
@pass_state
def demo(state: State, count: int, concurrency: int, progress: bool | None) -> None:
    """Track a cross-border Cainiao -> USPS journey and a bulk run, all in the sandbox.

    Needs no credentials and no network: every carrier is its in-memory fake.
    """
    state.sandbox = True
    started = time.perf_counter()
    client = state.client()
    sandbox = state.get_sandbox()
    out = console()
    codes = client.registry.codes()
    if not state.json:
        out.print(
            Text.assemble(
                ("carrier-sdk demo", "bold"),
                clean(f": sandbox with {len(codes)} carriers: {', '.join(codes) or 'none'}"),
            )
        )
    scenarios = sandbox.scenario_numbers()
    number = scenarios.get(JOURNEY_CARRIER, {}).get(JOURNEY_SCENARIO)
    if number is None:
        message = (
            f"Skipping the cross-border journey: the {JOURNEY_CARRIER} plugin (and its fake) is not installed "
            f"(pip install carrier-sdk-{JOURNEY_CARRIER})."
        )
        if state.json:
            state.emit_json({"journey": None, "message": message})
        else:
            out.print(Text(clean(message), style="yellow"))
    else:
        journey = client.track_journey(number)
        if state.json:
            state.emit_json({"journey": journey_dict(journey)})
        else:
            out.print()
            out.print(
                Text.assemble(("1. One parcel across carriers", "bold"), clean(f": client.track_journey({number!r})"))
            )
            for renderable in journey_tables(journey):
                out.print(renderable)
    if not state.json:
        out.print()
        out.print(
            Text.assemble(("2. Bulk tracking", "bold"), f": client.track_many(...) over {count} generated numbers")
        )
    run_bulk(
        state,
        generate_numbers(client.registry, count, seed=state.seed),
        concurrency=concurrency,
        total=count,
        progress=progress,
        lines=False,
        description=f"Tracking {count} sandbox parcels",
    )
    if not state.json:
        out.print(f"Done in {time.perf_counter() - started:.2f}s.")
