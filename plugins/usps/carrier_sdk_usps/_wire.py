"""The USPS APIs v3 wire format, model-free: hosts, paths, headers, code tables, error bodies, multipart.

Each value carries its evidence tag ([V-off] verified in a USPS artefact, [V-3p] two or more
third parties, [M] one third party, [A] assumption); the plugin README lists the sources, and
every [A]/[M] value under "Assumptions", each with a test.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

__all__ = [
    "ACCEPT_LABEL_JSON",
    "ADDRESS_NOT_MATCHED_CODES",
    "ADDRESS_PATH",
    "DEFAULT_DIMENSION_IN",
    "DEFAULT_MAIL_CLASS",
    "DEFAULT_TOKEN_LIFETIME",
    "FALLBACK_EVENT_TZ",
    "IDEMPOTENCY_NAMESPACE",
    "INTERNATIONAL_CANCEL_PATH",
    "INTERNATIONAL_DEFAULT_MAIL_CLASS",
    "INTERNATIONAL_LABEL_PATH",
    "LABEL_CANCEL_PATH",
    "LABEL_PATH",
    "LABEL_REPRINT_PATH",
    "OPTIONS_PATH",
    "PACKAGE_LOCATIONS",
    "PACKAGE_TYPES",
    "PAYMENT_AUTH_PATH",
    "PAYMENT_TOKEN_ASSUMED_LIFETIME",
    "PAYMENT_TOKEN_HEADER",
    "PAYMENT_TOKEN_REFRESH_MARGIN",
    "PICKUP_DAYS_AHEAD",
    "PICKUP_ELIGIBILITY_PATH",
    "PICKUP_PATH",
    "POST_OFFICE_LOCATIONS_PATH",
    "PARCEL_LOCKER_LOCATIONS_PATH",
    "DROPOFF_LOCATIONS_PATH",
    "PRODUCTION_BASE_URL",
    "RETURN_LABEL_PATH",
    "RETURN_MAIL_CLASSES",
    "DEFAULT_RETURN_MAIL_CLASS",
    "SCAN_FORM_PATH",
    "TEST_BASE_URL",
    "TOKEN_PATH",
    "TOKEN_REFRESH_MARGIN",
    "TRACKING_FATAL_CODES",
    "TRACKING_NOT_FOUND_CODES",
    "TRACKING_NOT_YET_AVAILABLE_CODES",
    "TRACK_V3R2_BATCH_SIZE",
    "TRACK_V3R2_PATH",
    "TRACK_V3_PATH",
    "USPS_DEFAULT_QUOTA_PER_HOUR",
    "MultipartPart",
    "error_details",
    "idempotency_uuid",
    "multipart_parts",
]

#: Production base URL [V-off].
PRODUCTION_BASE_URL = "https://apis.usps.com"
#: Test environment (TEM) base URL [V-off].
TEST_BASE_URL = "https://apis-tem.usps.com"

TOKEN_PATH = "/oauth2/v3/token"
TRACK_V3_PATH = "/tracking/v3/tracking/{number}"
TRACK_V3R2_PATH = "/tracking/v3r2/tracking"
OPTIONS_PATH = "/shipments/v3/options/search"
PAYMENT_AUTH_PATH = "/payments/v3/payment-authorization"
LABEL_PATH = "/labels/v3/label"
LABEL_CANCEL_PATH = "/labels/v3/label/{number}"
LABEL_REPRINT_PATH = "/labels/v3/label-reprint"
INTERNATIONAL_LABEL_PATH = "/international-labels/v3/international-label"
INTERNATIONAL_CANCEL_PATH = "/international-labels/v3/international-label/{number}"
ADDRESS_PATH = "/addresses/v3/address"
RETURN_LABEL_PATH = "/labels/v3/return-label"
SCAN_FORM_PATH = "/scan-forms/v3/scan-form"
POST_OFFICE_LOCATIONS_PATH = "/locations/v3/post-office-locations"
PARCEL_LOCKER_LOCATIONS_PATH = "/locations/v3/parcel-locker-locations"
DROPOFF_LOCATIONS_PATH = "/locations/v3/dropoff-locations"
PICKUP_PATH = "/pickup/v3/carrier-pickup"
PICKUP_ELIGIBILITY_PATH = "/pickup/v3/carrier-pickup/eligibility"

#: The header carrying the payment authorization token (a secret: redacted everywhere).
PAYMENT_TOKEN_HEADER = "X-Payment-Authorization-Token"
#: Accept value that makes label endpoints answer one JSON document instead of multipart [V-off].
ACCEPT_LABEL_JSON = "application/vnd.usps.labels+json"

#: Refresh an OAuth token this many seconds before it expires (KARRIO uses 30 min) [M]. Capped
#: at half the token's lifetime so a short-lived token is not refreshed on every call.
TOKEN_REFRESH_MARGIN = 30 * 60.0
#: Lifetime assumed when a token response has no usable ``expires_in`` [A].
DEFAULT_TOKEN_LIFETIME = 3600.0
#: The payment authorization token's lifetime is undocumented; KARRIO assumes about 50 min [A].
PAYMENT_TOKEN_ASSUMED_LIFETIME = 50 * 60.0
#: Refresh the payment token this many seconds before the assumed expiry [A].
PAYMENT_TOKEN_REFRESH_MARGIN = 5 * 60.0

#: Numbers per ``POST /tracking/v3r2/tracking``: unknown; a reseller page says 35 [A].
TRACK_V3R2_BATCH_SIZE = 35

#: Default product quota: about 60 calls per hour per application [V-3p, not documented].
USPS_DEFAULT_QUOTA_PER_HOUR = 60

#: Zone assumed for an ``eventTimestamp`` (local wall time) when neither ``GMTTimestamp`` nor
#: ``GMTOffset`` is given [A]: US Central, the zone USPS's own manifest schedules are written
#: in; it is at most two hours off anywhere in the contiguous US. The raw text is kept in
#: ``TrackingEvent.local_time``.
FALLBACK_EVENT_TZ = ZoneInfo("America/Chicago")

#: Tracking message codes (HTTP 400 on v3) [V-off USPS-ERRINV].
TRACKING_NOT_YET_AVAILABLE_CODES = frozenset({"150001", "150003", "150009"})
TRACKING_NOT_FOUND_CODES = frozenset({"150002", "150010"})
TRACKING_FATAL_CODES = frozenset({"150012"})

#: Address codes meaning "no such address" (Invalid Address, Invalid ZIP Code) [V-off].
ADDRESS_NOT_MATCHED_CODES = frozenset({"010001", "010002"})

#: Mail class used when a request names no service [A: the cheapest general parcel class].
DEFAULT_MAIL_CLASS = "USPS_GROUND_ADVANTAGE"
INTERNATIONAL_DEFAULT_MAIL_CLASS = "PRIORITY_MAIL_INTERNATIONAL"
#: Dimension (inches) sent for parcels given without dimensions [A]: USPS requires length,
#: width and height, and they only change prices above 12 inches.
DEFAULT_DIMENSION_IN = "1"

#: Namespace turning a non-UUID idempotency key into the UUID USPS requires (uuid5) [A].
IDEMPOTENCY_NAMESPACE = "6f1c3f5e-2b0a-5c1e-9f57-6b1d2b0e7a11"

#: ``BaseReturnsPackageDescription.mailClass`` in domestic-labels.yaml.
RETURN_MAIL_CLASSES = frozenset(
    {
        "FIRST-CLASS_PACKAGE_RETURN_SERVICE",
        "GROUND_RETURN_SERVICE",
        "PRIORITY_MAIL_EXPRESS_RETURN_SERVICE",
        "PRIORITY_MAIL_RETURN_SERVICE",
        "USPS_GROUND_ADVANTAGE_RETURN_SERVICE",
    }
)
DEFAULT_RETURN_MAIL_CLASS = "USPS_GROUND_ADVANTAGE_RETURN_SERVICE"

#: "you can schedule your pickup up to one year in advance" (carrier-pickup.yaml).
PICKUP_DAYS_AHEAD = 365
#: ``SchedulePickupRequest_packages.packageType``.
PACKAGE_TYPES = frozenset(
    {"FIRST-CLASS_PACKAGE_SERVICE", "PRIORITY_MAIL_EXPRESS", "PRIORITY_MAIL", "RETURNS", "USPS_GROUND_ADVANTAGE",
     "INTERNATIONAL", "OTHER"}
)  # fmt: skip
#: ``SchedulePickupRequest_pickupLocation.packageLocation``.
PACKAGE_LOCATIONS = frozenset(
    {"FRONT_DOOR", "BACK_DOOR", "SIDE_DOOR", "KNOCK_ON_DOOR", "MAIL_ROOM", "OFFICE", "PORCH", "RECEPTION", "MAILBOX",
     "OTHER"}
)  # fmt: skip


# -- error bodies ---------------------------------------------------------------------------------


def error_details(data: Any) -> tuple[str | None, str | None, list[str]]:
    """``(code, message, all codes)`` from a USPS error body or an OAuth error body.

    The most specific code wins: ``error.errors[0].code`` over ``error.code`` (which is
    documented as a string but sometimes a number).
    """
    if not isinstance(data, Mapping):
        return None, None, []
    error = data.get("error")
    if isinstance(error, str):  # OAuth: {"error": "invalid_client", "error_description": ...}
        description = data.get("error_description")
        return error, str(description) if description is not None else error, [error]
    if not isinstance(error, Mapping):
        return None, None, []
    codes: list[str] = []
    message = error.get("message")
    details = error.get("errors")
    if isinstance(details, list):
        for item in details:
            if isinstance(item, Mapping) and item.get("code") not in (None, ""):
                codes.append(str(item["code"]))
        if message in (None, "") and details and isinstance(details[0], Mapping):
            message = details[0].get("detail") or details[0].get("title")
    top = error.get("code")
    if top not in (None, ""):
        codes.append(str(top))
    return (codes[0] if codes else None), (str(message) if message not in (None, "") else None), codes


# -- requests -------------------------------------------------------------------------------------


def idempotency_uuid(key: str) -> str:
    """USPS wants a UUID: a UUID key is used as is (canonical form), anything else maps via uuid5."""
    try:
        return str(uuid.UUID(key))
    except ValueError:
        return str(uuid.uuid5(uuid.UUID(IDEMPOTENCY_NAMESPACE), key))


# -- multipart label answers ----------------------------------------------------------------------


class MultipartPart:
    """One part of a multipart label response: its headers (lower-case names) and raw bytes,
    as a view into the body (a label part is not copied to be recognised or decoded)."""

    __slots__ = ("headers", "view")

    def __init__(self, headers: dict[str, str], view: memoryview) -> None:
        self.headers = headers
        self.view = view

    @property
    def content(self) -> bytes:
        return self.view.tobytes()

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    @property
    def label(self) -> str:
        """What the part calls itself: ``name=``, else ``filename=``, else a ``File Name:`` header."""
        disposition = self.headers.get("content-disposition", "")
        for key in ("name", "filename"):
            match = re.search(rf'(?:^|;)\s*{key}="?([^";]*)"?', disposition, re.IGNORECASE)
            if match and match.group(1).strip():
                return match.group(1).strip()
        return self.headers.get("file name", "").strip()


def _boundary(content_type: str) -> bytes:
    match = re.search(r'boundary="?([^";]+)"?', content_type, re.IGNORECASE)
    if match is None:
        raise ValueError("multipart content type without a boundary")
    return match.group(1).strip().encode("latin-1")


_HEAD_END = re.compile(rb"\r?\n\r?\n")


def multipart_parts(content_type: str, body: bytes) -> list[MultipartPart]:
    """The parts of a multipart body, in order, read leniently.

    Real USPS answers use CRLF or bare LF, may omit ``Content-Disposition`` (and so ``name=``),
    and may carry headers no MIME parser expects (``File Name: label.pdf``); a part's headers
    end at its first empty line.
    """
    delimiter = b"--" + _boundary(content_type)
    parts: list[MultipartPart] = []
    whole = memoryview(body)
    # Offsets and views, not body.split(): no copy of a part (label answers run to 30 MiB).
    start = body.find(delimiter)
    while start >= 0:
        start += len(delimiter)
        end = body.find(delimiter, start)
        if body.startswith(b"--", start):
            break  # the closing delimiter
        stop = len(body) if end < 0 else end
        start += 2 if body.startswith(b"\r\n", start) else 1 if body.startswith(b"\n", start) else 0
        match = _HEAD_END.search(body, start, stop)
        head_end, content_start = (stop, stop) if match is None else match.span()
        head = body[start:head_end]
        while stop > content_start and body[stop - 1] in b"\r\n":
            stop -= 1
        start = end
        if not head.strip() and match is None:
            continue
        headers: dict[str, str] = {}
        for line in re.split(rb"\r?\n", head):
            name, colon, value = line.decode("latin-1").partition(":")
            if colon and name.strip():
                headers[name.strip().lower()] = value.strip()
        parts.append(MultipartPart(headers, whole[content_start:stop]))
    if not parts:
        raise ValueError("multipart body without parts")
    return parts
