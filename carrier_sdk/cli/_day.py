"""``return``, ``manifest`` and ``pickup schedule|cancel|availability``: the rest of a shipping day."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import click

from .. import PickupRequest, to_dict
from ._app import State, state_options
from ._config import DOCUMENT, address_from, load_document, shipment_request_from
from ._output import console, report, write_new_file
from ._shipping import report_label

__all__ = ["manifest", "pickup", "return_label"]


@click.command("return")
@click.argument("carrier")
@click.argument("shipment", type=DOCUMENT)
@click.option("--label-out", type=click.Path(dir_okay=False, path_type=Path), help="Where to write the label.")
@click.option("--idempotency-key", metavar="KEY", help="Reuse KEY to retry the purchase safely.")
@state_options
def return_label(
    state: State, carrier: str, shipment: str, label_out: Path | None, idempotency_key: str | None
) -> None:
    """Buy a return label from CARRIER: in the SHIPMENT file, the shipper is your customer and the
    recipient is you. Exits 3 when the purchase outcome is unknown."""
    carrier = state.canonical_code(carrier)
    request = shipment_request_from(shipment)
    result = state.client().create_return_label(carrier, request, idempotency_key=idempotency_key)
    report_label(state, result, label_out, "return label", f"Return label from {carrier}")


@click.command()
@click.argument("carrier")
@click.argument("numbers", nargs=-1, required=True)
@click.option("--origin", "origin_file", type=DOCUMENT, required=True, help="Where the parcels are handed over.")
@click.option("--ship-date", type=click.DateTime(formats=["%Y-%m-%d"]), help="Mailing date (default today).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Where to write the manifest document.")
@state_options
def manifest(
    state: State, carrier: str, numbers: tuple[str, ...], origin_file: str, ship_date: Any, out: Path | None
) -> None:
    """Close the day: one manifest (USPS SCAN form) for the labels NUMBERS bought from CARRIER.

    Exits 1 when the carrier left some labels off (listed with its reasons)."""
    carrier = state.canonical_code(carrier)
    origin = address_from(origin_file, {})
    day: date | None = ship_date.date() if ship_date is not None else None
    result = state.client().create_manifest(carrier, list(numbers), ship_date=day, origin=origin)
    wanted = out or Path(f"manifest-{result.manifest_id}.{result.format.value}")
    path = write_new_file(wanted, result.document)
    data = to_dict(result)
    data["document"] = {"format": result.format.value, "path": str(path), "bytes": len(result.document)}
    rows = [
        ("Manifest", result.manifest_id),
        ("Document", str(path)),
        ("Covers", ", ".join(result.tracking_numbers)),
        ("Left off", "; ".join(f"{r.tracking_number}: {r.reason}" for r in result.refused)),
    ]
    report(state, data, f"Manifest from {carrier}", rows, failed=bool(result.refused))


@click.group()
def pickup() -> None:
    """Carrier pickups: schedule, cancel, availability."""


@pickup.command("schedule")
@click.argument("carrier")
@click.argument("request_file", type=DOCUMENT)
@state_options
def pickup_schedule(state: State, carrier: str, request_file: str) -> None:
    """Ask CARRIER to collect parcels (REQUEST_FILE: address, pickup_date, package_count, total_weight ...)."""
    from .._serialization import from_dict

    carrier = state.canonical_code(carrier)
    data = load_document(request_file)
    try:
        request = from_dict(PickupRequest, data)
    except Exception as err:  # a ValidationError names the field
        state.fail(f"{request_file}: {err}")
    result = state.client().schedule_pickup(carrier, request)
    rows = [("Confirmation", result.confirmation), ("Date", result.pickup_date), ("Parcels", result.package_count)]
    report(state, to_dict(result), f"Pickup with {carrier}", rows)


@pickup.command("cancel")
@click.argument("carrier")
@click.argument("confirmation")
@state_options
def pickup_cancel(state: State, carrier: str, confirmation: str) -> None:
    """Cancel the pickup CONFIRMATION scheduled with CARRIER."""
    carrier = state.canonical_code(carrier)
    state.client().cancel_pickup(carrier, confirmation)
    if state.json:
        state.emit_json({"carrier": carrier, "confirmation": confirmation, "cancelled": True})
    else:
        console().print(f"Pickup {confirmation} cancelled.")


@pickup.command("availability")
@click.argument("carrier")
@click.option("--address", "address_file", type=DOCUMENT, required=True, help="Address file (JSON or TOML).")
@state_options
def pickup_availability(state: State, carrier: str, address_file: str) -> None:
    """Whether CARRIER collects parcels at an address. Exits 1 when it does not."""
    carrier = state.canonical_code(carrier)
    result = state.client().pickup_availability(carrier, address_from(address_file, {}))
    rows = [("Available", "yes" if result.available else "NO"), ("Message", result.message)]
    report(state, to_dict(result), f"Pickup at this address by {carrier}", rows, failed=not result.available)
