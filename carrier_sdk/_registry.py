"""The carrier registry: carriers by code, filtered by capability, and number recognition."""

from __future__ import annotations

import importlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from ._carrier import Carrier
from ._enums import Capability, Confidence
from ._exceptions import (
    AmbiguousCarrierError,
    ConfigurationError,
    PluginLoadError,
    UnknownCarrierError,
    ValidationError,
)
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
    Capability.CREATE_RETURN_LABEL: "create_return_label",
    Capability.CREATE_MANIFEST: "create_manifest",
    Capability.SCHEDULE_PICKUP: "schedule_pickup",
    Capability.CANCEL_PICKUP: "cancel_pickup",
    Capability.PICKUP_AVAILABILITY: "pickup_availability",
    Capability.FIND_LOCATIONS: "find_locations",
}


def _check_code(code: object) -> None:
    if not (isinstance(code, str) and code.isidentifier() and code == code.lower()):
        raise ConfigurationError(f"carrier code {code!r} must be a lowercase identifier")


def _where(entry: object) -> str:
    return entry if isinstance(entry, str) else getattr(entry, "__module__", repr(entry))


class CarrierRegistry:
    """Carrier classes keyed by code.

    Plugins fill it from their ``register_carriers`` hook; tests build one by hand and pass it
    to a client as ``registry=``.

    .. versionadded:: 0.1
    """

    def __init__(self) -> None:
        self._carriers: dict[str, type[Carrier] | str] = {}
        self._origin: dict[str, tuple[str, str]] = {}
        self._current_origin: tuple[str, str] = ("", "")
        self._lock = threading.Lock()

    def add(self, carrier: type[Carrier]) -> None:
        """Register ``carrier`` under ``carrier.code``.

        Raises:
            ConfigurationError: The class lacks required metadata.
            PluginLoadError: Another distribution registered the same code.
        """
        self._check(carrier)
        self._put(carrier.code, carrier)

    def add_lazy(self, code: str, target: str) -> None:
        """Register the carrier class at ``target`` (``"module:Class"``) under ``code``,
        importing the module only when the carrier is first used.

        Discovery then imports no adapter module: a client that tracks with one carrier pays
        for that one. The class is checked when it is loaded (its ``code`` must equal ``code``).

        Raises:
            ConfigurationError: ``code`` or ``target`` is malformed.
            PluginLoadError: Another distribution registered the same code.

        .. versionadded:: 0.1
        """
        _check_code(code)
        module, _, attr = target.partition(":")
        if not module or not attr:
            raise ConfigurationError(f"lazy carrier target {target!r} must look like 'package.module:Class'")
        self._put(code, target)

    @contextmanager
    def registering(self, distribution: str, version: str = "") -> Iterator[CarrierRegistry]:
        """Attribute what is added inside the block to ``distribution`` (all or nothing).

        Discovery wraps each plugin's registration in this block: :meth:`origin` and
        :meth:`info` then name the distribution, a duplicate code names both distributions, and
        when the block raises (a plugin's hook failed half-way) the carriers it added are
        removed again, so a broken plugin leaves nothing behind.

        .. versionadded:: 0.1
        """
        with self._lock:
            carriers, origins, previous = dict(self._carriers), dict(self._origin), self._current_origin
            self._current_origin = (distribution, version)
        try:
            yield self
        except BaseException:
            with self._lock:
                self._carriers, self._origin = carriers, origins
            raise
        finally:
            self._current_origin = previous

    def _put(self, code: str, carrier: type[Carrier] | str) -> None:
        existing = self._carriers.get(code)
        if existing is not None and existing != carrier:
            first = self._origin[code][0] or _where(existing)
            second = self._current_origin[0] or _where(carrier)
            raise PluginLoadError(
                f"carrier code {code!r} is registered twice: by {first} and by {second}",
                plugin=code,
                distribution=second,
            )
        self._carriers[code] = carrier
        self._origin[code] = self._current_origin

    @staticmethod
    def _check(carrier: type[Carrier]) -> None:
        if not (isinstance(carrier, type) and issubclass(carrier, Carrier)):
            raise ConfigurationError(f"{carrier!r} is not a carrier_sdk.adapters.Carrier subclass")
        for attr in ("code", "display_name", "Settings"):
            if not hasattr(carrier, attr):
                raise ConfigurationError(f"{carrier.__name__} lacks the class attribute {attr!r}")
        _check_code(carrier.code)

    def get(self, code: str) -> type[Carrier]:
        """The carrier class for ``code`` (importing it if it was registered lazily).

        Raises:
            UnknownCarrierError: No such carrier is installed.
            PluginLoadError: A lazily registered class cannot be imported or is not valid.
        """
        try:
            entry = self._carriers[code]
        except KeyError:
            from ._settings import did_you_mean

            known = ", ".join(sorted(self._carriers)) or "none"
            hint = did_you_mean(code, self._carriers)
            raise UnknownCarrierError(f"unknown carrier {code!r}{hint} (installed: {known})", carrier=code) from None
        if isinstance(entry, str):
            return self._load(code, entry)
        return entry

    def _load(self, code: str, target: str) -> type[Carrier]:
        with self._lock:
            entry = self._carriers[code]
            if not isinstance(entry, str):
                return entry
            module_name, _, attr = target.partition(":")
            try:
                carrier = getattr(importlib.import_module(module_name), attr)
                self._check(carrier)
            except (ImportError, AttributeError, ConfigurationError) as err:
                raise PluginLoadError(
                    f"carrier {code!r} ({target}) cannot be loaded: {type(err).__name__}: {err}",
                    plugin=code,
                    distribution=self._origin.get(code, ("", ""))[0],
                ) from err
            if carrier.code != code:
                raise PluginLoadError(
                    f"carrier {target} has code {carrier.code!r} but was registered as {code!r}",
                    plugin=code,
                    distribution=self._origin.get(code, ("", ""))[0],
                )
            self._carriers[code] = carrier
            return carrier  # type: ignore[no-any-return]

    def __contains__(self, code: object) -> bool:
        return code in self._carriers

    def __iter__(self) -> Iterator[type[Carrier]]:
        return iter([self.get(code) for code in sorted(self._carriers)])

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
        if not normalized.isascii():  # numbers travel in URLs and XML: only ASCII letters and digits
            return found
        for carrier in self:
            try:
                claim = carrier.recognize(normalized)
            except Exception:  # a plugin's recognizer must not break identification
                claim = None
            if claim is not None:
                found.append(claim)
        found.sort(key=lambda i: (-i.confidence, i.carrier))
        return found

    def resolve(self, number: str, carrier: str | None = None) -> type[Carrier]:
        """The carrier of ``number``: ``carrier`` when given, else the one carrier that claims it
        with the most confidence (a low-confidence claim counts only when it is the only one).

        Raises:
            ValidationError: ``number`` is not text.
            UnknownCarrierError: ``carrier`` is not installed, or no carrier claims ``number``.
            AmbiguousCarrierError: Several carriers claim ``number`` alike; pass ``carrier``.
        """
        if carrier is not None:
            return self.get(carrier)
        if not isinstance(number, str):
            raise ValidationError("a tracking number is text", field="number", constraint="str")
        candidates = self.identify(number)
        if not candidates:
            raise UnknownCarrierError(
                f"no installed carrier recognizes {number!r}; pass carrier= explicitly",
                number=number,
            )
        best = candidates[0].confidence
        top = [c for c in candidates if c.confidence == best]
        if len(top) > 1 or (best < Confidence.MEDIUM and len(candidates) > 1):
            names = ", ".join(f"{c.carrier} ({c.confidence})" for c in candidates)
            raise AmbiguousCarrierError(
                f"{number!r} could belong to several carriers: {names}; pass carrier=",
                number=number,
                candidates=candidates,
            )
        return self.get(top[0].carrier)

    @staticmethod
    def operation_for(capability: Capability) -> str:
        """The :class:`Carrier` method that implements ``capability``."""
        return _OPERATIONS[capability]
