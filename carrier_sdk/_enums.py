"""Closed sets used across the SDK: statuses, capabilities, units and formats."""

from __future__ import annotations

import enum

__all__ = [
    "Capability",
    "Confidence",
    "DimensionUnit",
    "DistanceUnit",
    "Environment",
    "LabelFormat",
    "LocationKind",
    "TrackingStatus",
    "WeightUnit",
]


class TrackingStatus(enum.StrEnum):
    """The normalized status of a parcel or of one tracking event.

    Every adapter maps its carrier's own codes onto these values with a table; a code the
    table does not know becomes :attr:`UNKNOWN` (the raw code is kept beside it), never a guess.
    """

    PRE_TRANSIT = "pre_transit"
    IN_TRANSIT = "in_transit"
    OUT_FOR_DELIVERY = "out_for_delivery"
    AVAILABLE_FOR_PICKUP = "available_for_pickup"
    DELIVERED = "delivered"
    DELIVERY_FAILED = "delivery_failed"
    RETURNED_TO_SENDER = "returned_to_sender"
    CANCELLED = "cancelled"
    #: Held at customs or by the carrier, waiting for action (documents, duties, a decision).
    HELD = "held"
    UNKNOWN = "unknown"

    @property
    def is_final(self) -> bool:
        """Whether no further movement is expected (delivered, returned or cancelled)."""
        return self in _FINAL


_FINAL = frozenset({TrackingStatus.DELIVERED, TrackingStatus.RETURNED_TO_SENDER, TrackingStatus.CANCELLED})


class Capability(enum.StrEnum):
    """An operation a carrier adapter implements."""

    TRACK = "track"
    TRACK_BATCH = "track_batch"
    RATES = "rates"
    CREATE_SHIPMENT = "create_shipment"
    CANCEL_SHIPMENT = "cancel_shipment"
    VALIDATE_ADDRESS = "validate_address"
    #: Buy a return label (:meth:`Client.create_return_label() <carrier_sdk.Client.create_return_label>`).
    CREATE_RETURN_LABEL = "create_return_label"
    #: Close the day with a manifest (:meth:`Client.create_manifest() <carrier_sdk.Client.create_manifest>`).
    CREATE_MANIFEST = "create_manifest"
    #: Ask for a pickup (:meth:`Client.schedule_pickup() <carrier_sdk.Client.schedule_pickup>`).
    SCHEDULE_PICKUP = "schedule_pickup"
    #: Cancel a pickup (:meth:`Client.cancel_pickup() <carrier_sdk.Client.cancel_pickup>`).
    CANCEL_PICKUP = "cancel_pickup"
    #: Ask whether an address is served (:meth:`Client.pickup_availability() <carrier_sdk.Client.pickup_availability>`).
    PICKUP_AVAILABILITY = "pickup_availability"
    #: Find drop-off points (:meth:`Client.find_locations() <carrier_sdk.Client.find_locations>`).
    FIND_LOCATIONS = "find_locations"


class Confidence(enum.IntEnum):
    """How sure a carrier is that a tracking number is one of its own."""

    LOW = 1
    MEDIUM = 2
    HIGH = 3

    def __str__(self) -> str:
        return self.name.lower()


class Environment(enum.StrEnum):
    """Which of a carrier's deployments to talk to."""

    PRODUCTION = "production"
    TEST = "test"


class WeightUnit(enum.StrEnum):
    """Units for :attr:`Parcel.weight`."""

    G = "g"
    KG = "kg"
    OZ = "oz"
    LB = "lb"


class DimensionUnit(enum.StrEnum):
    """Units for parcel dimensions."""

    MM = "mm"
    CM = "cm"
    IN = "in"


class LabelFormat(enum.StrEnum):
    """File formats a label can be delivered in."""

    PDF = "pdf"
    PNG = "png"
    ZPL = "zpl"
    TIFF = "tiff"


class LocationKind(enum.StrEnum):
    """What a :class:`~carrier_sdk.ServiceLocation` is."""

    #: A place that takes parcels in bulk or for one product (for USPS, a destination entry facility).
    DROP_OFF = "drop_off"
    #: A staffed counter of the carrier (or a partner acting for it).
    POST_OFFICE = "post_office"
    #: A self-service parcel locker.
    PARCEL_LOCKER = "parcel_locker"


class DistanceUnit(enum.StrEnum):
    """Units for :class:`~carrier_sdk.Distance`."""

    KM = "km"
    MI = "mi"
