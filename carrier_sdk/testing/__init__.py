"""Testing helpers for SDK users and adapter authors (the ``testing`` extra).

Use as an opt-in pytest plugin: ``pytest_plugins = ["carrier_sdk.testing"]``. That registers the
sandbox fixtures (``carrier_sandbox``, ``sandbox_client``, ``async_sandbox_client``,
``sandbox_runner``, ``make_runner``, ``offline_runner``, ``client_kind``, ``carrier_respx``,
``inject_fault``, ``carrier_registry``, ``carrier_clock``, and for an adapter's own tests
``carrier_class``, ``carrier_settings``, ``carrier_client_options``, ``carrier_runner``). The kit
under them: one :class:`VirtualClock`, :func:`make_client` (a client of either kind in virtual time)
and one :class:`OperationRunner` (runs a client call the same way for either kind). Sample requests
to send: :func:`sample_address` (a named place, with changes), :func:`sample_addresses`,
:func:`sample_customs`, :func:`cross_border_request`. Adapter authors subclass
:class:`carrier_sdk.testing.conformance.CarrierConformance`, and check what their ``recognize``
claims with :func:`assert_recognized` and :func:`assert_not_recognized`.
"""

from __future__ import annotations

from ._fake_carrier import (
    FAKE_BASE_URL,
    FakeCarrier,
    FakeCarrierAPIServer,
    FakeCarrierSettings,
    fake_number,
)
from ._kit import (
    CLIENT_KINDS,
    ClientKind,
    OperationRunner,
    VirtualClock,
    make_client,
    make_registry,
    offline_transport,
)
from ._recognition import assert_not_recognized, assert_recognized
from ._samples import (
    cross_border_request,
    sample_address,
    sample_addresses,
    sample_customs,
    sample_customs_item,
)

try:  # the fixtures need pytest (the ``testing`` extra); the fake carrier does not
    from .fixtures import *  # noqa: F403 (the plugin's fixtures, listed in fixtures.__all__)
    from .fixtures import __all__ as _fixtures
except ImportError as _err:  # pragma: no cover - exercised only without pytest installed
    if getattr(_err, "name", None) not in ("pytest", "_pytest"):
        raise
    _fixtures = []

__all__ = [
    "CLIENT_KINDS",
    "FAKE_BASE_URL",
    "FakeCarrier",
    "FakeCarrierAPIServer",
    "FakeCarrierSettings",
    "ClientKind",
    "OperationRunner",
    "VirtualClock",
    "assert_not_recognized",
    "assert_recognized",
    "cross_border_request",
    "fake_number",
    "make_client",
    "make_registry",
    "offline_transport",
    "sample_address",
    "sample_addresses",
    "sample_customs",
    "sample_customs_item",
    *_fixtures,
]
