"""Builders and runners shared by the core's tests (import them by name; conftest fixtures cannot be)."""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal
from pathlib import Path

import pytest

from carrier_sdk import Address, Parcel, ShipmentRequest
from carrier_sdk.state import MemoryState, RedisState, SQLiteState, StateBackend
from carrier_sdk.testing import sample_addresses

ROOT = Path(__file__).resolve().parents[1]

#: The least address the fake carrier takes: a name, a street, a city and a country.
HOME = Address(name="Jane", street1="1 Main St", city="Springfield", country="US")


def home_shipment(reference: str) -> ShipmentRequest:
    """One parcel of weight 1 from :data:`HOME` to :data:`HOME`, under ``reference``."""
    return ShipmentRequest(shipper=HOME, recipient=HOME, parcels=[Parcel(weight=1)], reference=reference)


def domestic_request(country: str, reference: str = "", weight: str = "1") -> ShipmentRequest:
    """One parcel of ``weight`` (the default unit) between the test kit's sample addresses of ``country``."""
    shipper, recipient = sample_addresses(country)
    return ShipmentRequest(
        shipper=shipper, recipient=recipient, parcels=(Parcel(weight=Decimal(weight)),), reference=reference
    )


def run_captured(
    command: Sequence[str], *, cwd: Path = ROOT, env: Mapping[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """Run ``command`` to its end, its output captured as text; the caller judges the return code."""
    return subprocess.run(list(command), cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False)


@contextlib.contextmanager
def open_backend(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StateBackend]:
    """A fresh state backend, closed on exit: ``memory``, ``sqlite`` (a file in ``tmp_path``) or
    ``redis`` (the session's server, emptied; skipped or failed as the ``redis_url`` fixture says)."""
    state: StateBackend
    if kind == "memory":
        state = MemoryState()
    elif kind == "sqlite":
        state = SQLiteState(tmp_path / "state.db")
    else:
        state = RedisState(request.getfixturevalue("redis_url"))
    try:
        yield state
    finally:
        state.close()
