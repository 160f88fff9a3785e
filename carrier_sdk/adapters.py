"""The adapter author's API: everything a carrier adapter may import from carrier-sdk.

``carrier_sdk`` (the top level) is the user's API: clients, models, enums, errors and settings
types. This module is the other half, for people who *write* adapters, in the way ``attrs`` keeps
``attrs.validators`` apart from ``attrs``. An adapter distribution imports only from
``carrier_sdk`` and ``carrier_sdk.adapters`` (and ``carrier_sdk.fakes`` for its fake API); the
modules whose names start with an underscore are private and may change in any release, which
``.ci/run`` enforces with import-linter.

A minimal adapter::

    from carrier_sdk import TrackingInfo, TrackingNotFoundError
    from carrier_sdk.adapters import Carrier, Flow, api_request

    class AcmeCarrier(Carrier):
        code = "acme"
        ...

        def track(self, number: str) -> Flow[TrackingInfo]:
            response = yield api_request("GET", f"{self.base_url}/track/{number}", options=...)
            if response.status_code != 200:
                raise self.api_error(response, operation="track", not_found=TrackingNotFoundError)
            with self.parsing(response, operation="track"):  # KeyError & co -> ResponseError
                return to_tracking_info(self.code, number, parse_track(response.content))

An adapter package's ``__init__`` stays cheap to import with :func:`lazy_adapter` (its public
names and its registration hook in one call), any other package's with :func:`lazy_exports`.
"""

from __future__ import annotations

from ._adapter_package import lazy_adapter
from ._carrier import PARSE_ERRORS, BatchOutcome, Carrier, scan_identifiers
from ._flow import DEFAULT_MAX_BODY, LABEL_MAX_BODY, Flow, RequestOptions, api_request, drive_sync
from ._identify import (
    ascii_digits,
    impb_check_digit,
    is_valid_impb,
    is_valid_s10,
    normalize_number,
    s10_check_digit,
)
from ._lazy import lazy_exports
from ._redact import REDACTED, redact_request, redact_response, redact_url, scrub, scrub_text
from ._registry import CarrierRegistry
from ._retry import parse_retry_after
from ._settings import Secret, env_var_name, load_settings
from ._wall_time import at_offset, in_zone
from ._xml import MAX_XML_DEPTH, MAX_XML_ELEMENTS, MAX_XML_TEXT, local_name, parse_xml
from .hookspecs import hookimpl

__all__ = [
    "BatchOutcome",
    "Carrier",
    "CarrierRegistry",
    "DEFAULT_MAX_BODY",
    "Flow",
    "LABEL_MAX_BODY",
    "MAX_XML_DEPTH",
    "MAX_XML_ELEMENTS",
    "MAX_XML_TEXT",
    "PARSE_ERRORS",
    "REDACTED",
    "RequestOptions",
    "Secret",
    "api_request",
    "ascii_digits",
    "at_offset",
    "drive_sync",
    "env_var_name",
    "hookimpl",
    "impb_check_digit",
    "in_zone",
    "is_valid_impb",
    "is_valid_s10",
    "lazy_adapter",
    "lazy_exports",
    "load_settings",
    "local_name",
    "normalize_number",
    "parse_retry_after",
    "parse_xml",
    "redact_request",
    "redact_response",
    "redact_url",
    "s10_check_digit",
    "scan_identifiers",
    "scrub",
    "scrub_text",
]
