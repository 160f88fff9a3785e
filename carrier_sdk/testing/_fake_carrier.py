"""``FakeCarrier``: the reference adapter of ``carrier-sdk new-adapter``, rendered for the code ``fakecarrier``.

It is not a copy: the modules are rendered from the scaffold's template (``carrier_sdk/_template``)
in memory and imported as ``carrier_sdk.testing._fakecarrier`` (see
:func:`carrier_sdk._scaffold.load_reference`), so the testing kit, ``examples/carrier-sdk-acme``
and every new adapter run the same code. It is not registered anywhere by itself: tests add it to
a :class:`~carrier_sdk.adapters.CarrierRegistry` (or use the ``carrier_registry`` fixture).
Numbers look like ``FK`` + 8 digits + an S10 check digit (``FK123456785``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._scaffold import load_reference

__all__ = [
    "FAKE_BASE_URL",
    "FakeCarrier",
    "FakeCarrierAPIServer",
    "FakeCarrierSettings",
    "fake_number",
]

#: The placeholder values the template is rendered with (see ``template_context``).
CONTEXT: dict[str, str] = {
    "code": "fakecarrier",
    "Class": "Fake",
    "carrier_class": "FakeCarrier",
    "settings_class": "FakeCarrierSettings",
    "fake_class": "FakeCarrierAPIServer",
    "display": "Fake Carrier",
    "dist": "carrier-sdk",
    "package": "carrier_sdk.testing._fakecarrier",
    "prefix": "FK",
    "base_url": "https://api.fakecarrier.test",
    "header": "X-Fake-Key",
    "sandbox_key": "fake-key",
    "docs_url": "",
    "env": "FAKECARRIER",
    "core_pin": "",
}

if TYPE_CHECKING:  # what type checkers see of the rendered modules (tests/test_scaffold.py checks them)
    from decimal import Decimal
    from typing import Any

    import attrs

    from .._settings import Secret
    from ..adapters import Carrier
    from ..fakes import FakeCarrierAPI

    #: The API root of the fake carrier.
    FAKE_BASE_URL: str = CONTEXT["base_url"]

    def fake_number(serial: int) -> str:
        """A valid FakeCarrier number for an 8-digit ``serial``."""

    @attrs.frozen(kw_only=True)
    class FakeCarrierSettings:
        api_key_id: str
        api_key: Secret = attrs.field(converter=Secret.coerce)  # type: ignore[misc]
        base_url: str = FAKE_BASE_URL

    class FakeCarrier(Carrier):
        def _url(self, path: str) -> str: ...

    class FakeCarrierAPIServer(FakeCarrierAPI):
        labels: dict[str, dict[str, Any]]
        by_key: dict[str, str]
        charges: list[tuple[str, Decimal]]

else:
    import importlib

    _package = load_reference(CONTEXT["package"], CONTEXT).__name__
    _carrier, _settings, _fake, _wire = (
        importlib.import_module(f"{_package}.{name}") for name in ("_carrier", "_settings", "fake", "_wire")
    )
    FakeCarrier = _carrier.FakeCarrier
    FakeCarrierSettings = _settings.FakeCarrierSettings
    FakeCarrierAPIServer = _fake.FakeCarrierAPIServer
    fake_number = _fake.number
    #: The API root of the fake carrier.
    FAKE_BASE_URL = _wire.BASE_URL
