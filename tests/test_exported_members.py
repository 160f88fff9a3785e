"""``carrier_sdk.__all__`` is sorted, complete and every name in it imports."""

from __future__ import annotations

import carrier_sdk


def test_all_is_sorted() -> None:
    assert carrier_sdk.__all__ == sorted(carrier_sdk.__all__)


def test_every_name_imports() -> None:
    for name in carrier_sdk.__all__:
        assert getattr(carrier_sdk, name) is not None, name


def test_no_public_name_is_left_out() -> None:
    public = {
        name
        for name, value in vars(carrier_sdk).items()
        if not name.startswith("_") and getattr(value, "__module__", "").startswith("carrier_sdk")
    }
    assert public - set(carrier_sdk.__all__) == set()


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
