"""The Cainiao LINK gateway's wire format: endpoints, message types, the envelope, the records.

Model-free: constants and parsers from JSON values to the plain records below; only the fields
the adapter reads are modelled. The ``cnge.track.get`` response shape is only partly attested
[M]: :func:`extract_track_record` reads it (``data.traceDetailList``) and falls back to the
public ``detail.json`` shape (``module[0].detailList``) and to a few other key names
(:data:`EVENT_LIST_KEYS`). The README ("Wire facts") names the public source of each fact;
``[V]`` marks facts several independent sources agree on, ``[M]`` one source, ``[A]`` an
assumption.

Parsers raise ``KeyError``/``TypeError``/``ValueError`` on malformed input; the carrier turns
them into :class:`carrier_sdk.ResponseError`.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, timedelta, timezone
from typing import Any, NamedTuple

import attrs

__all__ = [
    "AP_PATTERN",
    "CAINIAO_LAST_MILE_PATTERN",
    "DEFAULT_TO_CODES",
    "EVENT_LIST_KEYS",
    "INTEGRATION_TEST_URL",
    "MSG_CANCEL",
    "MSG_CREATE",
    "MSG_TRACK",
    "MSG_WAYBILL",
    "ORDER_CODE_PATTERN",
    "PRE_PRODUCTION_URL",
    "PRODUCTION_URL",
    "TRACK_MAIL_KEY",
    "TRACK_ONLY_OFFICIAL_NODE",
    "TRACK_ORDER_KEY",
    "WAYBILL_TYPE",
    "Envelope",
    "OrderCreated",
    "RawEvent",
    "TrackRecord",
    "Waybill",
    "extract_track_record",
    "parse_envelope",
    "parse_order_created",
    "parse_success",
    "parse_time_zone",
    "parse_waybill",
]

# -- endpoints and messages ---------------------------------------------------------------------

#: Gateway URLs [V].
PRODUCTION_URL = "https://link.cainiao.com/gateway/link.do"
PRE_PRODUCTION_URL = "https://prelink.cainiao.com/gateway/link.do"
#: The Cainiao Global (``cnge.*``) integration-test environment [V].
INTEGRATION_TEST_URL = "https://link.cainiao.com/gateway/custom/open_integration_test_env"

MSG_CREATE = "cnge.order.create"
MSG_WAYBILL = "cnge.waybill.get"
MSG_CANCEL = "cnge.order.cancel"
MSG_TRACK = "cnge.track.get"

#: ``msg_type`` -> ``to_code`` [V]. Accounts or regions may differ: the settings override them.
DEFAULT_TO_CODES: Mapping[str, str] = {
    MSG_CREATE: "CNGCP-OPEN",
    MSG_WAYBILL: "CGOP",
    MSG_CANCEL: "CNGCP-OPEN",
    MSG_TRACK: "TRACK",
}

#: Key the tracked number is sent under, by shape [M]: order codes as ``orderCode``, else ``mailNo``.
TRACK_ORDER_KEY = "orderCode"
TRACK_MAIL_KEY = "mailNo"
#: ``onlyOfficialNode`` sent with cnge.track.get (as the known clients do) [M].
TRACK_ONLY_OFFICIAL_NODE = True
#: ``waybillType`` asked of cnge.waybill.get (``"1"``: the PDF label) [V].
WAYBILL_TYPE = "1"

# -- numbers ------------------------------------------------------------------------------------

#: Cainiao logistics order code: ``LP`` + 14 digits (not S10, no check digit) [V].
ORDER_CODE_PATTERN = re.compile(r"^LP\d{14}$")
#: AliExpress/Cainiao ``AP`` + 14 digits [M].
AP_PATTERN = re.compile(r"^AP\d{14}$")
#: Cainiao-issued last-mile ids such as ``CNFR…HD`` / ``CNES…`` [M]: ``CN`` + a country + 8-26 more.
CAINIAO_LAST_MILE_PATTERN = re.compile(r"^CN(?:[A-Z]{2})(?=[A-Z0-9]*\d{6})[A-Z0-9]{8,26}$")

# -- envelope -----------------------------------------------------------------------------------


def parse_success(value: Any) -> bool | None:
    """``success`` as sent: the string ``"true"``/``"false"`` on LINK, a boolean on detail.json."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None


def _opt_text(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, str | int) and not isinstance(value, bool):
        return str(value)[:500]
    return None


@attrs.frozen(kw_only=True)
class Envelope:
    """``{"success": "true"|"false", "errorCode", "errorMsg", "data"}``."""

    success: bool
    error_code: str | None = None
    error_message: str | None = None
    data: Any = None
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False)


def parse_envelope(body: Any) -> Envelope:
    """The envelope of a gateway response; raises ``ValueError`` when it is not one."""
    if not isinstance(body, Mapping):
        raise TypeError("response is not a JSON object")
    success = parse_success(body.get("success"))
    if success is None:
        raise ValueError("response has no usable 'success' field")
    data = body.get("data")
    code, message = _opt_text(body.get("errorCode")), _opt_text(body.get("errorMsg"))
    # The data object of cnge.track.get carries its own success flag and error fields.
    if success and isinstance(data, Mapping) and parse_success(data.get("success")) is False:
        success = False
        code = code or _opt_text(data.get("errorCode"))
        message = message or _opt_text(data.get("errorMsg"))
    return Envelope(success=success, error_code=code, error_message=message, data=data, raw=body)


# -- order create / waybill ---------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class OrderCreated:
    """``data`` of ``cnge.order.create``."""

    order_code: str
    tracking_number: str = ""
    lane_code: str = ""


def _str_field(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    if value is None:
        return ""
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise TypeError(f"{key} is not text")
    return str(value).strip()


def parse_order_created(data: Any) -> OrderCreated:
    if not isinstance(data, Mapping):
        raise TypeError("order data is not an object")
    order_code = _str_field(data, "orderCode")
    if not order_code:
        raise KeyError("orderCode")
    return OrderCreated(
        order_code=order_code,
        tracking_number=_str_field(data, "trackingNumber"),
        lane_code=_str_field(data, "laneCode"),
    )


@attrs.frozen(kw_only=True)
class Waybill:
    """``data`` of ``cnge.waybill.get``."""

    pdf_base64: str = attrs.field(repr=False)
    tracking_number: str = ""
    last_mile_cp: str = ""


def parse_waybill(data: Any) -> Waybill:
    if not isinstance(data, Mapping):
        raise TypeError("waybill data is not an object")
    pdf = data.get("waybillPdfData")
    if not isinstance(pdf, str) or not pdf.strip():
        raise KeyError("waybillPdfData")
    return Waybill(
        pdf_base64=pdf.strip(),
        tracking_number=_str_field(data, "trackingNumber"),
        last_mile_cp=_str_field(data, "laneLastMileCP"),
    )


# -- tracking [M] -------------------------------------------------------------------------------

#: Keys that may hold the event list, in order of preference [M]: ``cnge.track.get`` uses
#: ``traceDetailList``; detail.json uses ``detailList``.
EVENT_LIST_KEYS: Sequence[str] = ("traceDetailList", "detailList", "traceList", "traces")
#: Keys of the event description, best first (``standerdDesc`` is Cainiao's own spelling).
DESCRIPTION_KEYS: Sequence[str] = ("standerdDesc", "standardDesc", "desc", "statusDesc", "remark")


class RawEvent(NamedTuple):
    """One trace entry as sent: a plain record, built once per event of every history read (a
    tuple is built in a third of the time of a frozen attrs class), read by unpacking."""

    action_code: str = ""
    description: str = ""
    carrier_note: str = ""
    #: Epoch milliseconds (the true instant), when sent.
    epoch_ms: int | None = None
    #: Local wall time ``YYYY-MM-DD HH:mm:ss``.
    local_time: str = ""
    time_zone: str = ""
    location: str = ""


@attrs.frozen(kw_only=True)
class TrackRecord:
    """One tracked number with its events (either shape)."""

    mail_no: str = ""
    events: tuple[RawEvent, ...] = ()
    origin_country: str = ""
    dest_country: str = ""
    status: str = ""
    status_desc: str = ""
    last_mile_number: str = ""
    last_mile_cp_code: str = ""
    eta_max_ms: int | None = None
    eta_min_ms: int | None = None


def _epoch_ms(value: Any) -> int | None:
    if type(value) is str:  # the common case first: every event's "time" is read here
        digits = value.strip()
        return int(digits) if digits.isdigit() and len(digits) >= 10 else None
    if isinstance(value, bool):
        raise TypeError("time is a boolean")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value)
    if isinstance(value, str) and value.strip().isdigit() and len(value.strip()) >= 10:
        return int(value.strip())
    return None


def _text(value: Any) -> str:
    if type(value) is str:  # the common case first: six fields of every event are read here
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise TypeError("expected text")


def _location(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Mapping):
        parts = [_text(value.get(k)) for k in ("facility", "city", "state", "country", "address")]
        return ", ".join(p for p in parts if p)
    return _text(value)


def _event(item: Any) -> RawEvent:
    if type(item) is not dict and not isinstance(item, Mapping):  # a dict skips the ABC check
        raise TypeError("trace entry is not an object")
    get = item.get
    # Each field is text in nearly every entry: ``str`` is read inline, anything else by _text.
    raw_time = get("time")
    epoch = _epoch_ms(raw_time)
    value = get("timeStr")
    local = value.strip() if type(value) is str else _text(value)
    if not local and epoch is None:
        local = _text(raw_time)
    description = ""
    for key in DESCRIPTION_KEYS:
        value = get(key)
        if value is not None:  # _text(None) is ""
            description = value.strip() if type(value) is str else _text(value)
            if description:
                break
    value = get("desc")
    note = value.strip() if type(value) is str else _text(value)
    value = get("actionCode") or get("action") or get("status")
    code = value.strip() if type(value) is str else _text(value)
    value = get("timeZone")
    zone = value.strip() if type(value) is str else _text(value)
    value = get("location") or get("address")
    place = "" if value is None else _location(value)
    return RawEvent(code, description, note if note != description else "", epoch, local, zone, place)


def _record_container(body: Any) -> Mapping[str, Any]:
    """Find the object holding the events: ``data``, ``data.module[0]``, ``module[0]`` or ``body``."""
    candidates: list[Any] = []
    if isinstance(body, Mapping):
        data = body.get("data")
        candidates += [data, body]
        if isinstance(data, Mapping):
            candidates.append(data.get("module"))
        candidates.append(body.get("module"))
    for candidate in candidates:
        if isinstance(candidate, list):
            candidate = candidate[0] if candidate else None
        if isinstance(candidate, Mapping) and any(k in candidate for k in (*EVENT_LIST_KEYS, "traceDetail")):
            return candidate
    for candidate in candidates:
        if isinstance(candidate, list) and candidate and isinstance(candidate[0], Mapping):
            return candidate[0]
        if isinstance(candidate, Mapping) and ("mailNo" in candidate or "orderCode" in candidate):
            return candidate
    return {}


def _last_mile(container: Mapping[str, Any]) -> tuple[str, str]:
    number = _text(container.get("copyRealMailNo") or container.get("lastMileMailNo"))
    real = _text(container.get("realMailNo"))
    if not number and real:
        number = real.split()[-1]  # "PostNL 3SDFC0123456789"
    cp_info = container.get("destCpInfo")
    cp_code = ""
    if isinstance(cp_info, Mapping):
        cp_code = _text(cp_info.get("cpCode"))
    cp_code = cp_code or _text(container.get("lastMileCpCode"))
    return number, cp_code


def extract_track_record(body: Any) -> TrackRecord:
    """Read the tracking record out of a ``cnge.track.get``, detail.json or push body."""
    container = _record_container(body)
    items: Any = None
    for key in EVENT_LIST_KEYS:
        if key in container:
            items = container[key]
            break
    if items is None and isinstance(container.get("traceDetail"), Mapping):
        items = [container["traceDetail"]]  # a pushed trace carries one entry
    if items is None:
        items = []
    if not isinstance(items, list):
        raise TypeError("event list is not a list")
    number, cp_code = _last_mile(container)
    eta = container.get("globalEtaInfo")
    eta_ms = _epoch_ms(eta.get("deliveryMaxTime")) if isinstance(eta, Mapping) else None
    eta_min = _epoch_ms(eta.get("deliveryMinTime")) if isinstance(eta, Mapping) else None
    return TrackRecord(
        mail_no=_text(container.get("mailNo") or container.get("orderCode")),
        events=tuple(_event(item) for item in items),
        origin_country=_text(container.get("originCountry")),
        dest_country=_text(container.get("destCountry")),
        status=_text(container.get("status")),
        status_desc=_text(container.get("statusDesc")),
        last_mile_number=number,
        last_mile_cp_code=cp_code,
        eta_max_ms=eta_ms,
        eta_min_ms=eta_min,
    )


# -- time zones ---------------------------------------------------------------------------------

_TZ = re.compile(r"^(?:GMT|UTC)?\s*([+-])\s*(\d{1,2})(?::?(\d{2}))?$", re.IGNORECASE)


@functools.lru_cache(maxsize=64)  # a history repeats one or two zones in every event
def parse_time_zone(text: str) -> timezone | None:
    """``"+8"``, ``"GMT+8"``, ``"GMT-3"``, ``"GMT+02:00"``, ``"UTC"`` -> a fixed offset; else ``None``."""
    value = text.strip()
    if value.upper() in ("GMT", "UTC", "Z"):
        return UTC
    match = _TZ.match(value)
    if match is None:
        return None
    sign, hours, minutes = match.group(1), int(match.group(2)), int(match.group(3) or 0)
    if hours > 14 or minutes >= 60:
        return None
    offset = timedelta(hours=hours, minutes=minutes)
    return timezone(-offset if sign == "-" else offset)
