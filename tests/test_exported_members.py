"""The two public namespaces: ``carrier_sdk`` (the user's API) and ``carrier_sdk.adapters`` (the
adapter author's). Each ``__all__`` is sorted, complete and imports; the two do not overlap beyond
the names an adapter's registration and settings need from the user's side."""

from __future__ import annotations

from types import ModuleType

import pytest

import carrier_sdk
import carrier_sdk.adapters

NAMESPACES = [carrier_sdk, carrier_sdk.adapters]

#: User-API names that ``carrier_sdk.adapters`` re-exports so an adapter's ``__init__`` and settings
#: can import everything they need from one module.
SHARED = {"CarrierRegistry", "Secret"}


@pytest.mark.parametrize("module", NAMESPACES, ids=lambda m: m.__name__)
def test_all_is_sorted(module: ModuleType) -> None:
    assert module.__all__ == sorted(module.__all__)


@pytest.mark.parametrize("module", NAMESPACES, ids=lambda m: m.__name__)
def test_every_name_imports(module: ModuleType) -> None:
    for name in module.__all__:
        assert getattr(module, name) is not None, name


@pytest.mark.parametrize("module", NAMESPACES, ids=lambda m: m.__name__)
def test_no_public_name_is_left_out(module: ModuleType) -> None:
    public = {
        name
        for name, value in vars(module).items()
        if not name.startswith("_")
        and not isinstance(value, ModuleType)
        and getattr(value, "__module__", "").startswith("carrier_sdk")
    }
    assert public - set(module.__all__) == set()


def test_the_user_namespace_holds_no_adapter_plumbing() -> None:
    assert set(carrier_sdk.__all__) & set(carrier_sdk.adapters.__all__) == SHARED
    for name in ("Carrier", "Flow", "api_request", "RequestOptions", "hookimpl", "parse_xml"):
        assert not hasattr(carrier_sdk, name), name


def test_shared_names_are_the_same_objects() -> None:
    for name in SHARED:
        assert getattr(carrier_sdk, name) is getattr(carrier_sdk.adapters, name)


def test_contract_names_from_the_core_issue() -> None:
    contract = [
        "Client",
        "AsyncClient",
        "TrackingStatus",
        "CarrierError",
        "ConfigurationError",
        "UnknownCarrierError",
        "PluginLoadError",
        "ValidationError",
        "UnsupportedOperationError",
        "APIError",
        "APIConnectionError",
        "APITimeoutError",
        "APIStatusError",
        "AuthenticationError",
        "NotFoundError",
        "TrackingNotFoundError",
        "RateLimitError",
        "InvalidRequestError",
        "CarrierServerError",
        "OutcomeUnknownError",
        "ResponseError",
        "ResponseTooLargeError",
        "RetryPolicy",
        "Address",
        "Parcel",
        "Customs",
        "Money",
        "Shipment",
        "Label",
        "Rate",
        "TrackingEvent",
        "TrackingInfo",
        "TrackingResult",
        "Identification",
        "CarrierInfo",
        "Cancellation",
        "AddressCheck",
        "RateRequest",
        "ShipmentRequest",
        "Fee",
    ]
    missing = [n for n in contract if n not in carrier_sdk.__all__]
    assert missing == []


def test_tracking_status_values() -> None:
    assert [s.value for s in carrier_sdk.TrackingStatus] == [
        "pre_transit",
        "in_transit",
        "out_for_delivery",
        "available_for_pickup",
        "delivered",
        "delivery_failed",
        "returned_to_sender",
        "cancelled",
        "held",
        "unknown",
    ]


def test_version_is_lazy_and_matches_the_version_file() -> None:
    from carrier_sdk._version import VERSION

    assert carrier_sdk.__version__ == VERSION
