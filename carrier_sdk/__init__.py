"""carrier-sdk: one typed interface to ship and track parcels through many postal carriers.

This namespace is the user's API: clients, models, enums, errors and settings types. The adapter
author's API (the ``Carrier`` base class, flows, request options, parsing, redaction and
check-digit helpers, the hook marker) is :mod:`carrier_sdk.adapters`. The modules whose names start
with an underscore are private.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._bulk import AsyncTrackingIterator, TrackingIterator, TrackingSummary
from ._client import AsyncClient, BaseClient, Client
from ._constants import DEFAULT_DEADLINE, DEFAULT_TIMEOUT, NOT_GIVEN
from ._enums import (
    Capability,
    Confidence,
    DimensionUnit,
    DistanceUnit,
    Environment,
    LabelFormat,
    LocationKind,
    TrackingStatus,
    WeightUnit,
)
from ._exceptions import (
    AmbiguousCarrierError,
    APIConnectionError,
    APIError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    CarrierError,
    CarrierServerError,
    ConfigurationError,
    InvalidRequestError,
    NotFoundError,
    OutcomeUnknownError,
    PluginLoadError,
    PurchaseInProgressError,
    PushVerificationError,
    RateLimitError,
    ResponseError,
    ResponseTooLargeError,
    StateBackendError,
    TrackingNotFoundError,
    UnknownCarrierError,
    UnsupportedOperationError,
    ValidationError,
)
from ._lazy import lazy_exports as _lazy_exports
from ._models import (
    CarrierInfo,
    Identification,
    Location,
    RelatedNumber,
    TrackingEvent,
    TrackingInfo,
    TrackingResult,
)
from ._plugins import PluginFailure, PluginManager, PluginReport, default_plugin_manager
from ._ratelimit import RateLimit, Window
from ._registry import CarrierRegistry
from ._retry import RetryBudget, RetryPolicy
from ._serialization import JSONValue, from_dict, to_dict
from ._settings import Secret

if TYPE_CHECKING:  # imported on first access (below): a plain `import carrier_sdk` skips them
    from ._bulk_ship import AsyncShipmentIterator, ShipmentIterator, ShipmentResult, ShipmentSummary
    from ._day import Manifest, ManifestRefusal, Pickup, PickupAvailability, PickupRequest
    from ._journey import Journey, JourneyEvent, JourneyLeg
    from ._locations import Distance, OpeningHours, ServiceLocation
    from ._shipping import (
        Address,
        AddressCheck,
        Cancellation,
        Customs,
        CustomsItem,
        Fee,
        Label,
        Money,
        Parcel,
        Rate,
        RateRequest,
        Shipment,
        ShipmentRequest,
    )

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIStatusError",
    "APITimeoutError",
    "Address",
    "AddressCheck",
    "AmbiguousCarrierError",
    "AsyncClient",
    "AsyncShipmentIterator",
    "AsyncTrackingIterator",
    "AuthenticationError",
    "BaseClient",
    "Cancellation",
    "Capability",
    "CarrierError",
    "CarrierInfo",
    "CarrierRegistry",
    "CarrierServerError",
    "Client",
    "Confidence",
    "ConfigurationError",
    "Customs",
    "CustomsItem",
    "DEFAULT_DEADLINE",
    "DEFAULT_TIMEOUT",
    "DimensionUnit",
    "Distance",
    "DistanceUnit",
    "Environment",
    "Fee",
    "Identification",
    "InvalidRequestError",
    "JSONValue",
    "Journey",
    "JourneyEvent",
    "JourneyLeg",
    "Label",
    "LabelFormat",
    "Location",
    "LocationKind",
    "Manifest",
    "ManifestRefusal",
    "Money",
    "NOT_GIVEN",
    "NotFoundError",
    "OpeningHours",
    "OutcomeUnknownError",
    "Parcel",
    "Pickup",
    "PickupAvailability",
    "PickupRequest",
    "PluginFailure",
    "PluginLoadError",
    "PluginManager",
    "PluginReport",
    "PurchaseInProgressError",
    "PushVerificationError",
    "Rate",
    "RateLimit",
    "RateLimitError",
    "RateRequest",
    "RelatedNumber",
    "ResponseError",
    "ResponseTooLargeError",
    "RetryBudget",
    "RetryPolicy",
    "Secret",
    "ServiceLocation",
    "Shipment",
    "ShipmentIterator",
    "ShipmentRequest",
    "ShipmentResult",
    "ShipmentSummary",
    "StateBackendError",
    "TrackingEvent",
    "TrackingInfo",
    "TrackingIterator",
    "TrackingNotFoundError",
    "TrackingResult",
    "TrackingStatus",
    "TrackingSummary",
    "UnknownCarrierError",
    "UnsupportedOperationError",
    "ValidationError",
    "WeightUnit",
    "Window",
    "__version__",
    "default_plugin_manager",
    "from_dict",
    "to_dict",
]


# Names of the shipping, bulk-shipping, shipping-day, journey and locations models: each module is
# imported (and its classes built) on the first access to one of its names, not by `import carrier_sdk`.
_LAZY = {
    **dict.fromkeys(
        (
            "Address",
            "AddressCheck",
            "Cancellation",
            "Customs",
            "CustomsItem",
            "Fee",
            "Label",
            "Money",
            "Parcel",
            "Rate",
            "RateRequest",
            "Shipment",
            "ShipmentRequest",
        ),
        "._shipping",
    ),
    **dict.fromkeys(("AsyncShipmentIterator", "ShipmentIterator", "ShipmentResult", "ShipmentSummary"), "._bulk_ship"),
    **dict.fromkeys(("Manifest", "ManifestRefusal", "Pickup", "PickupAvailability", "PickupRequest"), "._day"),
    **dict.fromkeys(("Journey", "JourneyEvent", "JourneyLeg"), "._journey"),
    **dict.fromkeys(("Distance", "OpeningHours", "ServiceLocation"), "._locations"),
}
_lazy_getattr, _lazy_dir = _lazy_exports(__name__, _LAZY)

if TYPE_CHECKING:
    __version__: str
else:  # type checkers see the names imported above, not a __getattr__ that would accept any name

    def __getattr__(name: str) -> Any:
        if name == "__version__":
            from ._version import VERSION

            return VERSION
        return _lazy_getattr(name)


def __dir__() -> list[str]:
    return sorted({*_lazy_dir(), "__version__"})
