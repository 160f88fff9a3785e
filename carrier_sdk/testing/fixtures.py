"""pytest fixtures for testing code that uses carrier-sdk, against the sandbox.

Enable them with ``pytest_plugins = ["carrier_sdk.testing"]`` in your ``conftest.py``.

* ``carrier_class``: the adapter under test (default :class:`~carrier_sdk.testing.FakeCarrier`);
  an adapter's ``conftest.py`` overrides it, with ``carrier_settings`` and
  ``carrier_client_options``, and ``carrier_registry`` and ``carrier_runner`` follow;
* ``carrier_registry``: a fresh :class:`~carrier_sdk.CarrierRegistry` holding ``carrier_class``;
* ``carrier_settings``: the settings of ``carrier_class`` that ``carrier_runner`` uses (default:
  those its fake accepts);
* ``carrier_client_options``: client options every ``carrier_runner`` client gets (default none);
* ``carrier_sandbox_registry``: the registry the sandbox serves (default ``None``: the installed
  plugins); override it in your ``conftest.py`` to pin carriers;
* ``carrier_sandbox_seed``: the sandbox seed (default 0);
* ``carrier_clock``: a :class:`~carrier_sdk.testing.VirtualClock`, virtual time shared by the
  clients and the fakes, so retries, ``Retry-After`` waits and client-side rate limits take no
  real time;
* ``carrier_sandbox``: a fresh :class:`~carrier_sdk.sandbox.Sandbox` per test;
* ``sandbox_client`` / ``async_sandbox_client``: a :class:`~carrier_sdk.Client` /
  :class:`~carrier_sdk.AsyncClient` wired to that sandbox;
* ``carrier_respx``: the sandbox's respx router, activated (httpx requests to the carriers'
  production URLs reach the fakes);
* ``inject_fault``: :meth:`Sandbox.inject <carrier_sdk.sandbox.Sandbox.inject>` of that sandbox;
* ``client_kind``: ``"sync"`` then ``"async"`` (a test using it runs once per client kind);
* ``sandbox_runner``: an :class:`~carrier_sdk.testing.OperationRunner` over a client of
  ``client_kind`` wired to the sandbox;
* ``make_runner``: ``make_runner(**client_options)`` opens an
  :class:`~carrier_sdk.testing.OperationRunner` over a client of ``client_kind`` in the
  virtual time of ``carrier_clock`` (closed after the test), for clients you wire yourself;
* ``offline_runner``: a ``make_runner`` runner whose client fails the test if it sends anything;
* ``carrier_runner``: ``carrier_runner(settings=None, **client_options)``, a ``make_runner``
  runner whose client holds ``carrier_registry`` and ``carrier_class``'s settings.

.. versionadded:: 0.1
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

import pytest

from .._carrier import Carrier
from .._client import AsyncClient, Client
from .._registry import CarrierRegistry
from ..sandbox import Sandbox, load_fake
from ._fake_carrier import FakeCarrier
from ._kit import CLIENT_KINDS, ClientKind, OperationRunner, VirtualClock, make_client, make_registry, offline_transport

if TYPE_CHECKING:
    import respx

__all__ = [
    "async_sandbox_client",
    "carrier_class",
    "carrier_client_options",
    "carrier_clock",
    "carrier_registry",
    "carrier_respx",
    "carrier_runner",
    "carrier_sandbox",
    "carrier_sandbox_registry",
    "carrier_sandbox_seed",
    "carrier_settings",
    "client_kind",
    "inject_fault",
    "make_runner",
    "offline_runner",
    "sandbox_client",
    "sandbox_runner",
]


@pytest.fixture
def carrier_class() -> type[Carrier]:
    """The adapter under test: :class:`~carrier_sdk.testing.FakeCarrier` unless a ``conftest.py``
    overrides this fixture (``return AcmeCarrier``).

    .. versionadded:: 0.4
    """
    return FakeCarrier


@pytest.fixture
def carrier_registry(carrier_class: type[Carrier]) -> CarrierRegistry:
    """A fresh registry holding only ``carrier_class`` (no plugin discovery).

    .. versionchanged:: 0.4
       It holds ``carrier_class``, which is :class:`~carrier_sdk.testing.FakeCarrier` by default.
    """
    return make_registry(carrier_class)


@pytest.fixture
def carrier_settings(carrier_class: type[Carrier]) -> Mapping[str, Any]:
    """The settings of ``carrier_class`` that ``carrier_runner`` clients get unless a call names
    others. Default: the settings its fake accepts (``FakeCarrierAPI.settings()``); override it
    to test your own credentials.

    .. versionadded:: 0.4
    """
    return load_fake(carrier_class)().settings()


@pytest.fixture
def carrier_client_options() -> Mapping[str, Any]:
    """Client options (as :func:`~carrier_sdk.testing.make_client` takes them) that every
    ``carrier_runner`` client gets unless a call names them: none by default. Override it, for
    example with ``{"max_retries": 2}`` or ``{"rate_limits": {"acme": None}}``.

    .. versionadded:: 0.4
    """
    return {}


@pytest.fixture
def carrier_sandbox_registry() -> CarrierRegistry | None:
    """The registry the sandbox serves; ``None`` means the installed plugins (override me)."""
    return None


@pytest.fixture
def carrier_sandbox_seed() -> int:
    """Seed of the sandbox's fakes (override me)."""
    return 0


@pytest.fixture
def carrier_clock() -> VirtualClock:
    """Virtual time shared by the sandbox clients and the fakes."""
    return VirtualClock()


@pytest.fixture(params=CLIENT_KINDS)
def client_kind(request: pytest.FixtureRequest) -> ClientKind:
    """``"sync"``, then ``"async"``: a test asking for it runs once with each client kind."""
    kind: ClientKind = request.param
    return kind


@pytest.fixture
def carrier_sandbox(
    carrier_sandbox_registry: CarrierRegistry | None,
    carrier_sandbox_seed: int,
    carrier_clock: VirtualClock,
) -> Sandbox:
    """A fresh :class:`~carrier_sdk.sandbox.Sandbox`: state, faults and quotas start empty."""
    return Sandbox(registry=carrier_sandbox_registry, seed=carrier_sandbox_seed, clock=carrier_clock)


@pytest.fixture
def sandbox_client(carrier_sandbox: Sandbox, carrier_clock: VirtualClock) -> Iterator[Client]:
    """A :class:`~carrier_sdk.Client` talking to ``carrier_sandbox`` in virtual time."""
    with make_client("sync", sandbox=carrier_sandbox, registry=carrier_sandbox.registry, clock=carrier_clock) as client:
        yield client


@pytest.fixture
def async_sandbox_client(carrier_sandbox: Sandbox, carrier_clock: VirtualClock) -> AsyncClient:
    """An :class:`~carrier_sdk.AsyncClient` talking to ``carrier_sandbox`` in virtual time.

    (Its in-memory transport holds no sockets, so it needs no closing.)
    """
    return make_client("async", sandbox=carrier_sandbox, registry=carrier_sandbox.registry, clock=carrier_clock)


@pytest.fixture
def carrier_respx(carrier_sandbox: Sandbox) -> Iterator[respx.MockRouter]:
    """The sandbox's :class:`respx.MockRouter`, active for the test."""
    with carrier_sandbox.router() as router:
        yield router


@pytest.fixture
def sandbox_runner(
    client_kind: ClientKind, carrier_sandbox: Sandbox, carrier_clock: VirtualClock
) -> Iterator[OperationRunner]:
    """An :class:`~carrier_sdk.testing.OperationRunner` over a client of ``client_kind`` talking
    to ``carrier_sandbox`` in virtual time: ``sandbox_runner("track", number)``."""
    with OperationRunner.open(
        client_kind, sandbox=carrier_sandbox, registry=carrier_sandbox.registry, clock=carrier_clock
    ) as runner:
        yield runner


@pytest.fixture
def make_runner(client_kind: ClientKind, carrier_clock: VirtualClock) -> Iterator[Callable[..., OperationRunner]]:
    """``make_runner(**client_options)``: an :class:`~carrier_sdk.testing.OperationRunner` over a
    new client of ``client_kind`` (options as :func:`~carrier_sdk.testing.make_client` takes
    them), in the virtual time of ``carrier_clock``; every runner made is closed after the test.

    Override it in a ``conftest.py`` to fill in your carrier's settings: a fixture of the same
    name may ask for this one.
    """
    made: list[OperationRunner] = []

    def make(**options: Any) -> OperationRunner:
        options.setdefault("clock", carrier_clock)
        runner = OperationRunner.open(client_kind, **options)
        made.append(runner)
        return runner

    yield make
    for runner in made:
        runner.close()


@pytest.fixture
def carrier_runner(
    make_runner: Callable[..., OperationRunner],
    carrier_class: type[Carrier],
    carrier_registry: CarrierRegistry,
    carrier_settings: Mapping[str, Any],
    carrier_client_options: Mapping[str, Any],
) -> Callable[..., OperationRunner]:
    """``carrier_runner(settings=None, **client_options)``: a ``make_runner`` runner (of
    ``client_kind``, in ``carrier_clock``'s time, closed after the test) whose client holds
    ``carrier_registry`` and configures ``carrier_class`` with ``settings`` (``carrier_settings``
    when ``None``). ``client_options`` are added to ``carrier_client_options``, and win::

        def test_track(carrier_runner, fake):
            runner = carrier_runner(transport=fake.transport())
            assert runner("track", fake.scenario_numbers["delivered"]).status == "delivered"

    .. versionadded:: 0.4
    """

    def make(settings: Mapping[str, Any] | None = None, **client_options: Any) -> OperationRunner:
        chosen = carrier_settings if settings is None else settings
        options = {**carrier_client_options, **client_options}
        return make_runner(settings={carrier_class.code: dict(chosen)}, registry=carrier_registry, **options)

    return make


@pytest.fixture
def offline_runner(make_runner: Callable[..., OperationRunner]) -> OperationRunner:
    """``make_runner(transport=offline_transport())``: a runner whose client fails the test if it
    sends anything, for calls that must be refused before any I/O."""
    return make_runner(transport=offline_transport())


@pytest.fixture
def inject_fault(carrier_sandbox: Sandbox) -> Callable[..., None]:
    """:meth:`Sandbox.inject <carrier_sdk.sandbox.Sandbox.inject>` of ``carrier_sandbox``:
    ``inject_fault(code, kind, operation=None, count=1, status=503, retry_after=1.0)``.

    ``kind`` is a :class:`~carrier_sdk.fakes.FaultKind` or its value: ``"connect_error"``,
    ``"timeout"``, ``"server_error"``, ``"rate_limited"``, ``"malformed"``, ``"lost_response"``.
    """
    return carrier_sandbox.inject
