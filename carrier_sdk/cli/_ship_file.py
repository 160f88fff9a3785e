"""``ship CARRIER --file FILE``: many labels from a JSON lines file, through ``create_shipments``.

FILE holds one shipment document per line, as JSON (the fields of a ``ship`` shipment file:
``shipper``, ``recipient``, ``parcels``, ``service``, ``reference`` ...); blank lines and lines
starting with ``#`` are skipped; ``-`` reads standard input. The file is read lazily, so its size
does not matter. A line that is not a valid shipment is that item's ``ValidationError``; the rest
are bought.
"""

from __future__ import annotations

import json
import secrets
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import IO, Any, cast

import click

from .. import ShipmentRequest, ShipmentResult, ShipmentSummary, ValidationError, from_dict
from ._app import State
from ._errors import EXIT_AUTH, EXIT_FAILED, EXIT_OUTCOME_UNKNOWN
from ._output import error_dict, report, write_new_file
from ._track import _Progress, count_lines, progress_enabled

__all__ = ["ship_file"]


class _BadLine:
    """A line that is no shipment: stands in the input so indexes stay the input's positions."""


def _requests(source: IO[str], lines: list[int], bad: dict[int, ValidationError]) -> Iterator[object]:
    """Shipment requests from JSON lines, lazily; ``lines[i]`` is item ``i``'s line number."""
    for number, raw in enumerate(source, start=1):
        text = raw.strip()
        if not text or text.startswith("#"):
            continue
        index = len(lines)
        lines.append(number)
        try:
            data = json.loads(text)
            if not isinstance(data, dict):
                kind = type(data).__name__
                raise ValidationError(f"a shipment is a JSON object, not {kind}", field="line", constraint="object")
            yield from_dict(ShipmentRequest, data)
        except (json.JSONDecodeError, ValidationError) as err:
            message = err.msg if isinstance(err, json.JSONDecodeError) else str(err)
            bad[index] = ValidationError(f"not a shipment: {message}", field="line", constraint="shipment JSON")
            yield _BadLine()


def _item(result: ShipmentResult, line: int, label: Path | None, label_error: str) -> dict[str, Any]:
    data: dict[str, Any] = {
        "index": result.index,
        "line": line,
        "ok": result.ok,
        "idempotency_key": result.idempotency_key,
    }
    if result.shipment is not None:
        shipment = result.shipment
        data.update(
            tracking_number=shipment.tracking_number,
            service=shipment.service,
            price=str(shipment.price) if shipment.price is not None else None,
        )
        if label is not None:
            data["label"] = {"path": str(label)}
        if label_error:
            data["label"] = {"error": label_error}
    elif result.error is not None:
        data["outcome_unknown"] = result.outcome_unknown
        data["error"] = error_dict(result.error)
    return data


def _line(data: dict[str, Any]) -> str:
    where = f"line {data['line']}"
    if data["ok"]:
        label = data.get("label", {})
        saved = f" -> {label['path']}" if "path" in label else ""
        if "error" in label:
            saved = f" (label NOT written: {label['error']})"
        return f"{where}: {data['tracking_number']} {data['service']} {data['price'] or ''}{saved}".rstrip()
    error = data["error"]
    if data["outcome_unknown"]:
        return (
            f"{where}: OUTCOME UNKNOWN, reconcile key {data['idempotency_key']} before buying again: {error['message']}"
        )
    return f"{where}: FAILED {error['type']}: {error['message']}"


def _save(result: ShipmentResult, label_dir: Path) -> tuple[Path | None, str]:
    shipment = result.shipment
    if shipment is None or shipment.label is None:
        return None, ""
    try:
        path = write_new_file(
            label_dir / f"{shipment.tracking_number}.{shipment.label.format.value}", shipment.label.data
        )
    except OSError as err:
        return None, str(err.strerror or err)
    return path, ""


def _summary(state: State, summary: ShipmentSummary, prefix: str, labels_lost: int) -> None:
    data = {**summary.as_dict(), "idempotency_key_prefix": prefix, "labels_not_written": labels_lost}
    rows: list[tuple[str, Any]] = [
        (key.replace("_", " ").capitalize(), data[key])
        for key in ("total", "bought", "failed", "outcome_unknown", "labels_not_written")
    ]
    rows += [(f"  {name}", count) for name, count in summary.by_error.items()]
    rows.append(("Key prefix (rerun with --key-prefix to buy nothing twice)", prefix))
    report(state, {"summary": data}, "Summary", rows)


def ship_file(
    state: State,
    carrier: str,
    file_: str,
    *,
    label_dir: Path,
    concurrency: int,
    key_prefix: str | None,
    progress: bool | None,
) -> None:
    """Buy one label per line of ``file_``; one output line (or JSON object) per item, then a summary.

    Exit code: 3 when any purchase outcome is unknown, else 4 when the credentials were rejected,
    else 1 when an item failed or a label could not be written, else 0.
    """
    prefix = key_prefix or f"ship-{time.strftime('%Y%m%dT%H%M%S')}-{secrets.token_hex(4)}"
    lines: list[int] = []
    bad: dict[int, ValidationError] = {}
    labels_lost = 0
    if not label_dir.is_dir():
        state.fail(f"--label-dir {str(label_dir)!r} is not a folder")
    with ExitStack() as stack:
        total: int | None = None
        if file_ == "-":
            source: IO[str] = sys.stdin
        else:
            try:
                if progress_enabled() if progress is None else progress:
                    total = count_lines(file_)
                source = stack.enter_context(open(file_, encoding="utf-8"))
            except (OSError, UnicodeDecodeError) as err:
                state.fail(f"cannot read {file_!r}: {err}")
        # Placeholders of bad lines go through too: each becomes that item's ValidationError.
        requests = cast("Iterator[ShipmentRequest]", _requests(source, lines, bad))
        results = state.client().create_shipments(
            carrier, requests, concurrency=concurrency, idempotency_key_prefix=prefix
        )
        enabled = progress_enabled() if progress is None else progress
        try:
            with _Progress(enabled, total, "Buying labels") as bar:
                for result in results:
                    bar.advance()
                    if result.index in bad:
                        result = ShipmentResult(
                            index=result.index, idempotency_key=result.idempotency_key, error=bad.pop(result.index)
                        )
                    label, label_error = _save(result, label_dir)
                    labels_lost += bool(label_error)
                    data = _item(result, lines[result.index], label, label_error)
                    if state.json:
                        state.emit_json(data)
                    else:
                        bar.print(_line(data))
        finally:
            results.close()
    summary = results.summary
    _summary(state, summary, prefix, labels_lost)
    if summary.outcome_unknown:
        raise click.exceptions.Exit(EXIT_OUTCOME_UNKNOWN)
    if summary.by_error.get("AuthenticationError"):
        raise click.exceptions.Exit(EXIT_AUTH)
    if summary.failed or labels_lost:
        raise click.exceptions.Exit(EXIT_FAILED)
