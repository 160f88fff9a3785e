"""``carriers`` and ``identify``: what is installed, and who claims a number."""

from __future__ import annotations

import re

import click
from rich.table import Table
from rich.text import Text

from .. import to_dict
from .._identify import S10_PATTERN, impb_check_digit, normalize_number, plausibility_problem, s10_check_digit
from ._app import State, state_options
from ._errors import EXIT_FAILED
from ._output import clean, console

__all__ = ["carriers", "identify"]


@click.command()
@state_options
def carriers(state: State) -> None:
    """List installed carriers, their capabilities and versions, and plugins that failed to load.

    Exits 1 when a plugin failed to load.
    """
    client = state.client()
    infos = client.carriers()
    report = client.plugin_report()
    if state.json:
        state.emit_json(
            {
                "carriers": [to_dict(info) for info in infos],
                "loaded": list(report.loaded),
                "blocked": list(report.blocked),
                "failed": [{"name": f.name, "distribution": f.distribution, "error": f.error} for f in report.failed],
            }
        )
    else:
        out = console()
        table = Table(title="Installed carriers", title_justify="left")
        for column in ("Code", "Name", "Capabilities", "Distribution", "Version"):
            table.add_column(column)
        for info in infos:
            caps = ", ".join(sorted(c.value for c in info.capabilities))
            table.add_row(info.code, info.display_name, caps, info.distribution or "-", info.version or "-")
        out.print(table if infos else "No carriers installed: pip install carrier-sdk-usps (or another plugin).")
        for name in report.blocked:
            out.print(Text.assemble(("blocked", "yellow"), f" {clean(name)} (CARRIER_SDK_DISABLE_PLUGINS)"))
        for failure in report.failed:
            out.print(
                Text.assemble(
                    ("failed to load", "red"),
                    clean(f" {failure.name} ({failure.distribution or '?'}): {failure.error}"),
                )
            )
    if report.failed:
        raise click.exceptions.Exit(EXIT_FAILED)


_S10_LIKE = re.compile(r"^([A-Z]{2})(\d+)([A-Z]{2})$")
#: Lengths of USPS IMpb numbers (all digits).
_IMPB_LENGTHS = (20, 22, 26, 30, 34)


def why_unrecognized(number: str) -> str:
    """Why no carrier recognizes ``number``, in words a person can act on."""
    text = normalize_number(number)
    problem = plausibility_problem(text)
    match = S10_PATTERN.match(text)
    if match:
        expected = s10_check_digit(match.group(1))
        return f"shaped like a UPU S10 id but the check digit is {match.group(2)}, not {expected} (a typo?)"
    like = _S10_LIKE.match(text)
    if like:
        return f"shaped like a UPU S10 id (2 letters, 9 digits, 2 letters) but it has {len(like.group(2))} digits"
    if text.isdigit():
        if len(text) in _IMPB_LENGTHS and text.startswith("9"):
            expected = impb_check_digit(text[:-1])
            if int(text[-1]) != expected:
                return f"shaped like a USPS IMpb number but the check digit is {text[-1]}, not {expected} (a typo?)"
        if 18 <= len(text) <= 36 and len(text) not in _IMPB_LENGTHS:
            lengths = ", ".join(map(str, _IMPB_LENGTHS))
            return f"{len(text)} digits: a USPS IMpb number has {lengths} digits"
    if problem is not None:
        return problem
    return f"no installed carrier uses this shape ({len(text)} characters); give --carrier CODE to send it anyway"


@click.command()
@click.argument("numbers", nargs=-1, required=True)
@state_options
def identify(state: State, numbers: tuple[str, ...]) -> None:
    """Show which installed carriers recognize each tracking NUMBER, most confident first.

    Exits 1 when some number is recognized by no carrier.
    """
    client = state.client()
    unknown = 0
    rows = []
    for number in numbers:
        claims = client.identify(number)
        unknown += not claims
        rows.append((number, claims))
    if state.json:
        for number, claims in rows:
            state.emit_json(
                {
                    "number": number,
                    "normalized": normalize_number(number),
                    "candidates": [
                        {"carrier": c.carrier, "confidence": str(c.confidence), "reason": c.reason} for c in claims
                    ],
                    **({} if claims else {"problem": why_unrecognized(number)}),
                }
            )
    else:
        table = Table(show_edge=False)
        for column in ("Number", "Carrier", "Confidence", "Reason"):
            table.add_column(column)
        for number, claims in rows:
            if not claims:
                table.add_row(number, Text("none", style="red"), "", why_unrecognized(number))
            for i, claim in enumerate(claims):
                table.add_row(number if i == 0 else "", claim.carrier, str(claim.confidence), claim.reason)
        console().print(table)
    if unknown:
        raise click.exceptions.Exit(EXIT_FAILED)
