"""carrier-sdk: one typed interface to ship and track parcels through many postal carriers.

Every public name is importable from here; the modules behind them are private.
"""

from __future__ import annotations

from ._bulk import AsyncTrackingIterator, TrackingIterator, TrackingSummary
from ._bulk_ship import AsyncShipmentIterator, ShipmentIterator, ShipmentResult, ShipmentSummary
from ._carrier import BatchOutcome, Carrier
from ._client import AsyncClient, BaseClient, Client
from ._constants import DEFAULT_DEADLINE, DEFAULT_TIMEOUT, NOT_GIVEN
from ._day import Manifest, ManifestRefusal, Pickup, PickupAvailability, PickupRequest
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
from ._flow import DEFAULT_MAX_BODY, LABEL_MAX_BODY, Flow, RequestOptions, api_request
from ._identify import (
    impb_check_digit,
    is_valid_impb,
    is_valid_s10,
    normalize_number,
    s10_check_digit,
)
from ._journey import Journey, JourneyEvent, JourneyLeg
from ._locations import Distance, OpeningHours, ServiceLocation
from ._models import (
    Address,
    AddressCheck,
    Cancellation,
    CarrierInfo,
    Customs,
    CustomsItem,
    Fee,
    Identification,
    Label,
    Location,
    Money,
    Parcel,
    Rate,
    RateRequest,
    RelatedNumber,
    Shipment,
    ShipmentRequest,
    TrackingEvent,
    TrackingInfo,
    TrackingResult,
)
from ._plugins import PluginFailure, PluginManager, PluginReport, default_plugin_manager
from ._ratelimit import RateLimit, Window
from ._registry import CarrierRegistry
from ._retry import RetryBudget, RetryPolicy, parse_retry_after
from ._serialization import JSONValue, from_dict, to_dict
from ._settings import Secret, env_var_name
from ._xml import parse_xml
from .hookspecs import hookimpl

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
    "BatchOutcome",
    "Cancellation",
    "Capability",
    "Carrier",
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
    "DEFAULT_MAX_BODY",
    "DEFAULT_TIMEOUT",
    "DimensionUnit",
    "Distance",
    "DistanceUnit",
    "Environment",
    "Fee",
    "Flow",
    "Identification",
    "InvalidRequestError",
    "JSONValue",
    "Journey",
    "JourneyEvent",
    "JourneyLeg",
    "LABEL_MAX_BODY",
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
    "RequestOptions",
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
    "api_request",
    "default_plugin_manager",
    "env_var_name",
    "from_dict",
    "hookimpl",
    "impb_check_digit",
    "is_valid_impb",
    "is_valid_s10",
    "normalize_number",
    "parse_retry_after",
    "parse_xml",
    "s10_check_digit",
    "to_dict",
]


def __getattr__(name: str) -> str:
    if name == "__version__":
        from ._version import VERSION

        return VERSION
    raise AttributeError(f"module 'carrier_sdk' has no attribute {name!r}")
