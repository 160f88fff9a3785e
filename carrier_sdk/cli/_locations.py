"""``locations``: a carrier's post offices, parcel lockers or drop-off points near a postal code."""

from __future__ import annotations

from datetime import date

import click
from rich.table import Table

from .. import LocationKind, ServiceLocation, to_dict
from ._app import State, state_options
from ._config import DOCUMENT, address_from
from ._output import clean, console

__all__ = ["locations"]


def _hours_today(location: ServiceLocation, weekday: int) -> str:
    spans = {f"{h.opens:%H:%M}-{h.closes:%H:%M}" for h in location.hours_on(weekday)}
    return ", ".join(sorted(spans)) if spans else ("closed" if location.hours else "")


def _address(location: ServiceLocation) -> str:
    a = location.address
    return ", ".join(p for p in (a.street1, a.street2, a.city, a.state, a.postal_code) if p)


@click.command()
@click.argument("carrier")
@click.argument("near", required=False)
@click.option(
    "--address",
    "address_file",
    type=DOCUMENT,
    help="Search near this address (JSON or TOML file) instead of a postal code.",
)
@click.option(
    "--kind",
    type=click.Choice([k.value for k in LocationKind]),
    default=LocationKind.POST_OFFICE.value,
    show_default=True,
    help="Which places: staffed counters, self-service lockers, or drop-off (entry) points.",
)
@click.option("--limit", type=click.IntRange(1, 100), default=10, show_default=True, help="At most this many.")
@state_options
def locations(state: State, carrier: str, near: str | None, address_file: str | None, kind: str, limit: int) -> None:
    """CARRIER's places of --kind near NEAR (a postal code) or --address FILE, nearest first where
    the carrier says. A postal code the carrier cannot use is a usage error (exit 2)."""
    if (near is None) == (address_file is None):
        state.fail("give a postal code NEAR or --address FILE (one of them)")
    carrier = state.canonical_code(carrier)
    where = address_from(address_file, {}) if address_file is not None else near
    assert where is not None
    found = state.client().find_locations(carrier, where, kind=kind, limit=limit)
    if state.json:
        state.emit_json([to_dict(location) for location in found])
        return
    if not found:
        console().print(f"No {kind.replace('_', ' ')} of {carrier} found near {clean(near or 'the address')}.")
        return
    today = date.today().weekday()
    table = Table(
        title=f"{LocationKind(kind).value.replace('_', ' ').title()} locations of {carrier}", title_justify="left"
    )
    for column in ("Id", "Name", "Address", "Distance", "Open today", "Services"):
        table.add_column(column)
    for location in found:
        table.add_row(
            location.location_id,
            location.name,
            _address(location),
            str(location.distance) if location.distance is not None else "",
            _hours_today(location, today),
            ", ".join(location.services),
        )
    console().print(table)
