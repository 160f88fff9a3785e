"""USPS Locations 3.0 (``/locations/v3/...``): post offices, parcel lockers, drop-off (entry) facilities.

Wire facts (plugin README, "Locations", from ``locations.yaml``): three ``GET`` endpoints, each
queried by a 5-digit ZIP Code. ``/post-office-locations`` answers ``{"locations": [...],
"metadata": ...}`` sorted by distance (miles), with hours per service; ``/parcel-locker-locations``
answers an array of lockers (``facilityID``, booleans per service, no distance);
``/dropoff-locations`` answers an array of destination entry facilities for a destination ZIP
Code (acceptance hours, accepted mail classes, no distance). A bad or unknown ZIP Code is a 400.

This module holds the flow :meth:`~carrier_sdk_usps.UspsCarrier.find_locations` returns; the
paths are in ``_wire``, the query and the mapping (``locations_query``, ``to_locations``) in
``_mapping``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from carrier_sdk import Address, LocationKind, ServiceLocation
from carrier_sdk.adapters import Flow, RequestOptions

from . import _mapping as m
from ._wire import DROPOFF_LOCATIONS_PATH, PARCEL_LOCKER_LOCATIONS_PATH, POST_OFFICE_LOCATIONS_PATH

if TYPE_CHECKING:
    from ._carrier import UspsCarrier

__all__ = ["locations_flow"]

_PATHS = {
    LocationKind.POST_OFFICE: POST_OFFICE_LOCATIONS_PATH,
    LocationKind.PARCEL_LOCKER: PARCEL_LOCKER_LOCATIONS_PATH,
    LocationKind.DROP_OFF: DROPOFF_LOCATIONS_PATH,
}


# -- flow -------------------------------------------------------------------------------------


def locations_flow(
    carrier: UspsCarrier, near: Address | str, kind: LocationKind, limit: int
) -> Flow[list[ServiceLocation]]:
    """Check ``near`` (before any request), then ``GET`` ``kind``'s endpoint and map the answer."""
    params = m.locations_query(near, kind, limit)
    return _fetch(carrier, params, kind, limit)


def _fetch(carrier: UspsCarrier, params: dict[str, str], kind: LocationKind, limit: int) -> Flow[list[ServiceLocation]]:
    url = carrier._url(_PATHS[kind])

    build = carrier._oauth_request("GET", url, RequestOptions(operation="find_locations"), params=params)
    response = yield from carrier._authorized(build, "find_locations")
    if response.status_code != 200:
        raise carrier.api_error(response, operation="find_locations")
    with carrier.parsing(response, operation="find_locations"):
        return m.to_locations(carrier.code, kind, carrier.parse_json(response, operation="find_locations"), limit)
