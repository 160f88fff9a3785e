"""The carrier registry: carriers by code, filtered by capability, and number recognition."""

from __future__ import annotations

from collections.abc import Iterator

from ._carrier import Carrier
from ._enums import Capability
from ._exceptions import ConfigurationError, PluginLoadError, UnknownCarrierError
from ._identify import normalize_number
from ._models import CarrierInfo, Identification

__all__ = ["CarrierRegistry"]

_OPERATIONS = {
    Capability.TRACK: "track",
    Capability.TRACK_BATCH: "track_batch",
    Capability.RATES: "rates",
    Capability.CREATE_SHIPMENT: "create_shipment",
    Capability.CANCEL_SHIPMENT: "cancel_shipment",
    Capability.VALIDATE_ADDRESS: "validate_address",
}


class CarrierRegistry:
    """Carrier classes keyed by code.

    Plugins fill it from their ``register_carriers`` hook; tests build one by hand and pass it
    to a client as ``registry=``.

    .. versionadded:: 0.1
    """

    def __init__(self) -> None:
        self._carriers: dict[str, type[Carrier]] = {}
        self._origin: dict[str, tuple[str, str]] = {}
        self._current_origin: tuple[str, str] = ("", "")

    def add(self, carrier: type[Carrier]) -> None:
        """Register ``carrier`` under ``carrier.code``.

        Raises:
            ConfigurationError: The class lacks required metadata.
            PluginLoadError: Another distribution registered the same code.
        """
        self._check(carrier)
        existing = self._carriers.get(carrier.code)
        if existing is not None and existing is not carrier:
            first = self._origin[carrier.code][0] or existing.__module__
            second = self._current_origin[0] or carrier.__module__
            raise PluginLoadError(
                f"carrier code {carrier.code!r} is registered twice: by {first} and by {second}",
                plugin=carrier.code,
                distribution=second,
            )
        self._carriers[carrier.code] = carrier
        self._origin[carrier.code] = self._current_origin

    @staticmethod
    def _check(carrier: type[Carrier]) -> None:
        if not (isinstance(carrier, type) and issubclass(carrier, Carrier)):
            raise ConfigurationError(f"{carrier!r} is not a carrier_sdk.Carrier subclass")
        for attr in ("code", "display_name", "Settings"):
            if not hasattr(carrier, attr):
                raise ConfigurationError(f"{carrier.__name__} lacks the class attribute {attr!r}")
        code = carrier.code
        if not (isinstance(code, str) and code.isidentifier() and code == code.lower()):
            raise ConfigurationError(f"carrier code {code!r} must be a lowercase identifier")

    def get(self, code: str) -> type[Carrier]:
        """The carrier class for ``code``.

        Raises:
            UnknownCarrierError: No such carrier is installed.
        """
        try:
            return self._carriers[code]
        except KeyError:
            known = ", ".join(sorted(self._carriers)) or "none"
            raise UnknownCarrierError(f"unknown carrier {code!r} (installed: {known})", carrier=code) from None

    def __contains__(self, code: object) -> bool:
        return code in self._carriers

    def __iter__(self) -> Iterator[type[Carrier]]:
        return iter(sorted(self._carriers.values(), key=lambda c: c.code))

    def __len__(self) -> int:
        return len(self._carriers)

    def codes(self) -> list[str]:
        """Registered codes, sorted."""
        return sorted(self._carriers)

    def with_capability(self, capability: Capability) -> list[type[Carrier]]:
        """Carriers that declare ``capability``."""
        return [c for c in self if capability in c.capabilities]

    def origin(self, code: str) -> tuple[str, str]:
        """``(distribution, version)`` that registered ``code`` (empty when added by hand)."""
        return self._origin.get(code, ("", ""))

    def info(self, code: str) -> CarrierInfo:
        """The :class:`CarrierInfo` of one carrier."""
        carrier = self.get(code)
        dist, version = self.origin(code)
        return CarrierInfo(
            code=carrier.code,
            display_name=carrier.display_name,
            capabilities=frozenset(carrier.capabilities),
            distribution=dist,
            version=version,
            docs_url=carrier.docs_url,
        )

    def identify(self, number: str) -> list[Identification]:
        """Every carrier's claim on ``number``, most confident first (ties by code)."""
        normalized = normalize_number(number)
        found: list[Identification] = []
        for carrier in self:
            try:
                claim = carrier.recognize(normalized)
            except Exception:  # a plugin's recognizer must not break identification
                claim = None
            if claim is not None:
                found.append(claim)
        found.sort(key=lambda i: (-i.confidence, i.carrier))
        return found

    @staticmethod
    def operation_for(capability: Capability) -> str:
        """The :class:`Carrier` method that implements ``capability``."""
        return _OPERATIONS[capability]
