"""Builders and runners shared by the core's tests (import them by name; conftest fixtures cannot be)."""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
from collections.abc import Callable, Iterator, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from carrier_sdk import Address, AsyncClient, Client, Parcel, ShipmentRequest
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


def run_on_path(path: str, op: Callable[[Any], Any], *, skip_waits: bool = False, **options: Any) -> Any:
    """Run ``op(client)`` on a client for ``path`` and return its result or the exception it raised.

    ``path`` is ``sync`` (:class:`~carrier_sdk.Client`), ``async-httpx`` or ``async-aiohttp``
    (:class:`~carrier_sdk.AsyncClient` over that backend, checked; ``op``'s result is awaited).
    The client is built from ``options`` (``environ`` defaults to ``{}``) and closed after;
    ``skip_waits`` makes its sleeps between retries return at once.
    """
    options.setdefault("environ", {})
    if path == "sync":
        if skip_waits:
            options["sleep"] = lambda seconds: None
        with Client(**options) as client:
            try:
                return op(client)
            except Exception as err:
                return err

    async def no_wait(seconds: float) -> None:
        return None

    async def main() -> Any:
        backend = path.removeprefix("async-")
        if skip_waits:
            options["sleep"] = no_wait
        async with AsyncClient(http_backend=backend, **options) as client:
            assert (client.http_backend == "AiohttpTransport") == (backend == "aiohttp"), client.http_backend
            try:
                return await op(client)
            except Exception as err:
                return err

    return asyncio.run(main())
