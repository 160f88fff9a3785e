"""USPS wire constants: base URLs, paths, error codes and every assumption behind a name.

Facts and tags come from WIRE.md section 2 ([V-off] verified in a USPS artefact, [V-3p] two or
more third parties, [M] one third party, [A] assumption). Each [A]/[M] value is listed in the
plugin README under "Assumptions" and has a test.
"""

from __future__ import annotations

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
    "PAYMENT_AUTH_PATH",
    "PAYMENT_TOKEN_ASSUMED_LIFETIME",
    "PAYMENT_TOKEN_HEADER",
    "PAYMENT_TOKEN_REFRESH_MARGIN",
    "PRODUCTION_BASE_URL",
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
