"""pytest fixtures for testing code that uses carrier-sdk, against the sandbox.

Enable them with ``pytest_plugins = ["carrier_sdk.testing"]`` in your ``conftest.py``.

* ``carrier_registry``: a fresh :class:`~carrier_sdk.CarrierRegistry` holding
  :class:`~carrier_sdk.testing.FakeCarrier`;
* ``carrier_sandbox_registry``: the registry the sandbox serves (default ``None``: the installed
  plugins); override it in your ``conftest.py`` to pin carriers;
* ``carrier_sandbox_seed``: the sandbox seed (default 0);
* ``carrier_clock``: a :class:`SandboxClock`, virtual time shared by the clients and the fakes,
  so retries, ``Retry-After`` waits and client-side rate limits take no real time;
* ``carrier_sandbox``: a fresh :class:`~carrier_sdk.sandbox.Sandbox` per test;
* ``sandbox_client`` / ``async_sandbox_client``: a :class:`~carrier_sdk.Client` /
  :class:`~carrier_sdk.AsyncClient` wired to that sandbox;
* ``carrier_respx``: the sandbox's respx router, activated (httpx requests to the carriers'
  production URLs reach the fakes);
* ``inject_fault``: ``inject_fault(code, kind, operation=None, count=1)`` schedules a fault.

.. versionadded:: 0.1
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import pytest

from .._client import AsyncClient, Client
from .._registry import CarrierRegistry
from ..fakes import FaultKind
from ..sandbox import Sandbox
from ._fake_carrier import FakeCarrier

if TYPE_CHECKING:
    import respx

__all__ = [
    "SandboxClock",
    "async_sandbox_client",
    "carrier_clock",
    "carrier_registry",
    "carrier_respx",
    "carrier_sandbox",
    "carrier_sandbox_registry",
    "carrier_sandbox_seed",
    "inject_fault",
    "sandbox_client",
]


class SandboxClock:
    """Virtual time: ``clock()`` reads it, ``sleep(s)`` / ``await async_sleep(s)`` advance it.

    Starts at the real wall-clock time, so timestamps the fakes stamp on labels look current.
    """

    def __init__(self, start: float | None = None) -> None:
        self.now = time.time() if start is None else float(start)
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += max(0.0, seconds)

    async def async_sleep(self, seconds: float) -> None:
        self.sleep(seconds)

    def advance(self, seconds: float) -> None:
        """Move time forward without recording a sleep."""
        self.now += seconds


@pytest.fixture
def carrier_registry() -> CarrierRegistry:
    """A fresh registry holding only :class:`~carrier_sdk.testing.FakeCarrier`."""
    registry = CarrierRegistry()
    registry.add(FakeCarrier)
    return registry


@pytest.fixture
def carrier_sandbox_registry() -> CarrierRegistry | None:
    """The registry the sandbox serves; ``None`` means the installed plugins (override me)."""
    return None


@pytest.fixture
def carrier_sandbox_seed() -> int:
    """Seed of the sandbox's fakes (override me)."""
    return 0


@pytest.fixture
def carrier_clock() -> SandboxClock:
    """Virtual time shared by the sandbox clients and the fakes."""
    return SandboxClock()


@pytest.fixture
def carrier_sandbox(
    carrier_sandbox_registry: CarrierRegistry | None,
    carrier_sandbox_seed: int,
    carrier_clock: SandboxClock,
) -> Sandbox:
    """A fresh :class:`~carrier_sdk.sandbox.Sandbox`: state, faults and quotas start empty."""
    return Sandbox(registry=carrier_sandbox_registry, seed=carrier_sandbox_seed, clock=carrier_clock)


@pytest.fixture
def sandbox_client(carrier_sandbox: Sandbox, carrier_clock: SandboxClock) -> Iterator[Client]:
    """A :class:`~carrier_sdk.Client` talking to ``carrier_sandbox`` in virtual time."""
    client = Client(
        sandbox=carrier_sandbox,
        registry=carrier_sandbox.registry,
        clock=carrier_clock,
        sleep=carrier_clock.sleep,
        environ={},
    )
    with client:
        yield client


@pytest.fixture
def async_sandbox_client(carrier_sandbox: Sandbox, carrier_clock: SandboxClock) -> AsyncClient:
    """An :class:`~carrier_sdk.AsyncClient` talking to ``carrier_sandbox`` in virtual time.

    (Its in-memory transport holds no sockets, so it needs no closing.)
    """
    return AsyncClient(
        sandbox=carrier_sandbox,
        registry=carrier_sandbox.registry,
        clock=carrier_clock,
        sleep=carrier_clock.async_sleep,
        environ={},
        http_backend="httpx",
    )


@pytest.fixture
def carrier_respx(carrier_sandbox: Sandbox) -> Iterator[respx.MockRouter]:
    """The sandbox's :class:`respx.MockRouter`, active for the test."""
    with carrier_sandbox.router() as router:
        yield router


@pytest.fixture
def inject_fault(carrier_sandbox: Sandbox) -> Callable[..., None]:
    """``inject_fault(code, kind, operation=None, count=1, status=503, retry_after=1.0)``.

    ``kind`` is a :class:`~carrier_sdk.fakes.FaultKind` or its value: ``"connect_error"``,
    ``"timeout"``, ``"server_error"``, ``"rate_limited"``, ``"malformed"``, ``"lost_response"``.
    """

    def inject(
        code: str,
        kind: FaultKind | str,
        *,
        operation: str | None = None,
        count: int = 1,
        status: int = 503,
        retry_after: float = 1.0,
    ) -> None:
        carrier_sandbox.inject(code, kind, operation=operation, count=count, status=status, retry_after=retry_after)

    return inject
