"""``rates``, ``ship``, ``cancel`` and ``validate-address``: one carrier call each."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from rich.table import Table

from .. import Shipment, to_dict
from ._app import State, state_options
from ._config import DOCUMENT, address_from, rate_request_from, shipment_request_from
from ._errors import EXIT_FAILED
from ._output import console, report, write_new_file

__all__ = ["cancel", "rates", "ship", "validate_address"]


@click.command()
@click.argument("carrier")
@click.option("--shipment", "shipment", type=DOCUMENT, required=True, help="Shipment file (JSON or TOML).")
@state_options
def rates(state: State, carrier: str, shipment: str) -> None:
    """Quote the services of CARRIER for the parcels in a --shipment file."""
    carrier = state.canonical_code(carrier)
    request = rate_request_from(shipment)
    quotes = state.client().rates(carrier, request)
    if state.json:
        state.emit_json([to_dict(rate) for rate in quotes])
        return
    table = Table(title=f"Rates from {carrier}", title_justify="left")
    for column in ("Service", "Name", "Price", "Days", "Delivery date"):
        table.add_column(column)
    for rate in sorted(quotes, key=lambda r: r.price.amount):
        days = "" if rate.estimated_days is None else str(rate.estimated_days)
        when = rate.delivery_date.isoformat() if rate.delivery_date else ""
        table.add_row(rate.service, rate.service_name, str(rate.price), days, when)
    console().print(table)


@click.command()
@click.argument("carrier")
@click.argument("shipment", type=DOCUMENT, required=False)
@click.option(
    "--file",
    "file_",
    type=DOCUMENT,
    help="Buy many labels: one shipment per line of FILE, as JSON (JSON lines; - reads stdin).",
)
@click.option(
    "--label-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=".",
    show_default=True,
    help="With --file: where the labels are written.",
)
@click.option(
    "--concurrency", type=click.IntRange(1, 64), default=4, show_default=True, help="With --file: purchases in flight."
)
@click.option(
    "--key-prefix",
    metavar="PREFIX",
    help="With --file: item keys are PREFIX-<index>; rerun with the same PREFIX to buy nothing twice.",
)
@click.option(
    "--progress/--no-progress",
    default=None,
    help="With --file: force the progress bar on or off (default: on when stderr is a terminal).",
)
@click.option(
    "--label-out",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Where to write the label (default: <tracking number>.<format> in the current directory).",
)
@click.option(
    "--idempotency-key",
    metavar="KEY",
    help="Reuse KEY to retry a purchase safely: the carrier returns the first label, not a second one.",
)
@state_options
def ship(
    state: State,
    carrier: str,
    shipment: str | None,
    file_: str | None,
    label_dir: Path,
    concurrency: int,
    key_prefix: str | None,
    progress: bool | None,
    label_out: Path | None,
    idempotency_key: str | None,
) -> None:
    """Buy a label from CARRIER for the SHIPMENT file (JSON or TOML) and write it to disk, or
    many labels with --file (one JSON shipment per line; one result line each, then a summary).

    Exits 3 when a purchase outcome is unknown: reconcile (or retry with the same
    --idempotency-key / --key-prefix, printed in the output) before buying again.
    """
    if (shipment is None) == (file_ is None):
        state.fail("give a SHIPMENT file or --file FILE (one of them)")
    carrier = state.canonical_code(carrier)
    if file_ is not None:
        if label_out is not None or idempotency_key is not None:
            state.fail("--label-out and --idempotency-key buy one label; with --file use --label-dir and --key-prefix")
        from ._ship_file import ship_file

        ship_file(
            state,
            carrier,
            file_,
            label_dir=label_dir,
            concurrency=concurrency,
            key_prefix=key_prefix,
            progress=progress,
        )
        return
    assert shipment is not None
    request = shipment_request_from(shipment)
    result = state.client().create_shipment(carrier, request, idempotency_key=idempotency_key)
    report_label(state, result, label_out, "label", f"Shipment with {carrier}")


@click.command()
@click.argument("carrier")
@click.argument("number")
@state_options
def cancel(state: State, carrier: str, number: str) -> None:
    """Cancel (void or refund) the label NUMBER bought from CARRIER.

    Exits 1 when the carrier did not cancel it.
    """
    carrier = state.canonical_code(carrier)
    result = state.client().cancel_shipment(carrier, number)
    rows = [
        ("Tracking number", result.tracking_number),
        ("Cancelled", "yes" if result.cancelled else "NO"),
        ("Status", result.status),
        ("Message", result.message),
    ]
    report(state, to_dict(result), f"Cancellation with {carrier}", rows, failed=not result.cancelled)


@click.command("validate-address")
@click.argument("carrier")
@click.option("--address", "address_file", type=DOCUMENT, help="Address file (JSON or TOML); options override it.")
@click.option("--name")
@click.option("--company")
@click.option("--street1")
@click.option("--street2")
@click.option("--city")
@click.option("--state", "state_")
@click.option("--postal-code")
@click.option("--country", help="ISO 3166-1 alpha-2 code.")
@state_options
def validate_address(
    state: State,
    carrier: str,
    address_file: str | None,
    name: str | None,
    company: str | None,
    street1: str | None,
    street2: str | None,
    city: str | None,
    state_: str | None,
    postal_code: str | None,
    country: str | None,
) -> None:
    """Ask CARRIER whether an address (--address FILE and/or the options) is deliverable.

    Exits 1 when the carrier does not match the address.
    """
    carrier = state.canonical_code(carrier)
    fields = {
        "name": name,
        "company": company,
        "street1": street1,
        "street2": street2,
        "city": city,
        "state": state_,
        "postal_code": postal_code,
        "country": country,
    }
    if address_file is None and all(v is None for v in fields.values()):
        state.fail("give --address FILE or the address options (--name, --street1, --city, --country ...)")
    address = address_from(address_file, fields)
    result = state.client().validate_address(carrier, address)
    rows = [
        ("Matched", "yes" if result.matched else "NO"),
        ("Standard form", _one_line(result.address) if result.address is not None else ""),
        ("Corrections", "; ".join(result.corrections)),
        ("Messages", "; ".join(result.messages)),
        ("DPV", result.dpv_confirmation),
        ("Residential", result.residential),
    ]
    report(state, to_dict(result), f"Address check by {carrier}", rows, failed=not result.matched)


def _one_line(address: Any) -> str:
    parts = [
        address.name,
        address.company,
        address.street1,
        address.street2,
        address.city,
        address.state,
        address.postal_code,
        address.country,
    ]
    return ", ".join(p for p in parts if p)


def save_label(state: State, result: Shipment, label_out: Path | None, what: str) -> Path | None:
    """Write a bought label to ``label_out`` (or ``<tracking number>.<format>``), never over a file.

    A failure to write exits with a message saying the label was bought (``what`` names it).
    """
    if result.label is None:
        return None
    wanted = label_out or Path(f"{result.tracking_number}.{result.label.format.value}")
    try:
        path = write_new_file(wanted, result.label.data)
    except OSError as err:
        state.fail(
            f"{what} bought ({result.tracking_number}) but not written to {str(wanted)!r}: {err.strerror or err}",
            EXIT_FAILED,
        )
    if path != wanted:
        click.echo(f"Note: {str(wanted)!r} exists and was left alone; the label is in {str(path)!r}.", err=True)
    return path


def report_label(state: State, result: Shipment, label_out: Path | None, what: str, title: str) -> None:
    """Write a bought label (see :func:`save_label`) and report the purchase: as JSON, the
    shipment with where its label was written; else a table titled ``title``."""
    path = save_label(state, result, label_out, what)
    data = to_dict(result)
    if result.label is not None:
        data["label"] = {"format": result.label.format.value, "path": str(path), "bytes": len(result.label.data)}
    rows = [
        ("Tracking number", result.tracking_number),
        ("Service", result.service),
        ("Price", result.price),
        ("Label", f"{path} ({len(result.label.data)} bytes)" if result.label is not None else "none"),
        ("Idempotency key", result.idempotency_key),
        ("Carrier reference", result.carrier_reference),
        ("Related", ", ".join(f"{r.tracking_number} ({r.relation})" for r in result.related_numbers)),
    ]
    report(state, data, title, rows)
