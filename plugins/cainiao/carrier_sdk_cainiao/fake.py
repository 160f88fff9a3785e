"""``CainiaoFake``: a stateful in-memory LINK gateway speaking the real wire format.

Requests are routed on the form field ``msg_type`` and their ``data_digest`` is verified like
the real gateway does (a bad digest gets ``success: "false"``). Orders created through it get an
``LP`` order code, a PDF waybill, and become trackable with a cross-border history that unfolds
with the fake's clock. Any other ``LP`` number tracks with a deterministic history
(``stable_random(seed, number)``); the :attr:`CainiaoFake.scenario_numbers` have fixed outcomes.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, ClassVar
from urllib.parse import parse_qs

import httpx

from carrier_sdk.adapters import impb_check_digit, s10_check_digit
from carrier_sdk.fakes import FakeCarrierAPI, Handler, stable_random

from ._auth import digest_matches
from ._wire import DEFAULT_TO_CODES, INTEGRATION_TEST_URL, PRE_PRODUCTION_URL, PRODUCTION_URL, parse_time_zone

__all__ = ["FAKE_LOGISTIC_PROVIDER_ID", "FAKE_SECRET_KEY", "CainiaoFake", "usps_last_mile_number"]

FAKE_LOGISTIC_PROVIDER_ID = "FAKE_RESOURCE_CODE"
FAKE_SECRET_KEY = "fake-link-secret"

_ORIGIN = (
    ("GWMS_ACCEPT", "Order received by the warehouse"),
    ("GWMS_PACKAGE", "Package packed"),
    ("GWMS_OUTBOUND", "Left the warehouse"),
    ("SC_INBOUND_SUCCESS", "Arrived at sorting center"),
    ("SC_OUTBOUND_SUCCESS", "Left sorting center"),
    ("CC_EX_START", "Export customs clearance started"),
    ("CC_EX_SUCCESS", "Export customs clearance complete"),
    ("LH_HO_IN_SUCCESS", "Received by line-haul carrier"),
    ("LH_DEPART", "Departed from departure country/region"),
)
_DESTINATION = (
    ("LH_ARRIVE", "Arrived at destination country/region"),
    ("CC_IM_START", "Import customs clearance started"),
    ("CC_IM_SUCCESS", "Import customs clearance complete"),
    ("CC_HO_OUT_SUCCESS", "Left customs"),
    ("LAST_MILE_HO_SUCCESS", "Handed over to last-mile carrier"),
    ("GTMS_ACCEPT", "Accepted by last-mile carrier"),
    ("GTMS_SC_ARRIVE", "Arrived at local sorting center"),
)
_OUT = ("GTMS_DO_DEPART", "Out for delivery")
_ENDINGS: Mapping[str, tuple[tuple[str, str], ...]] = {
    "delivered": (_OUT, ("GTMS_SIGNED", "Delivered")),
    "out_for_delivery": (_OUT,),
    "available_for_pickup": (("GTMS_WAIT_SELF_PICK", "Awaiting collection at pickup point"),),
    "delivery_failed": (_OUT, ("GTMS_SIGN_FAILURE", "Delivery attempt failed")),
    "returned_to_sender": (_OUT, ("GTMS_SIGN_FAILURE", "Delivery attempt failed"), ("RETURNED", "Returned to sender")),
    "in_transit": (),
    # The fake's own hold event: no public body shows a Cainiao hold (the adapter reads the text).
    "held": (("CUSTOMS_ARRIVED_IN_AREA_CALLBACK", "Held by customs: waiting for the importer's documents"),),
}
#: Destination -> (timeZone text as Cainiao sends it, last-mile cpCode).
_DESTINATIONS: Mapping[str, tuple[str, str]] = {
    "US": ("GMT-5", "USPS"),
    "SG": ("GMT+8", "SINGPOST"),
    "ES": ("GMT+02:00", "CORREOS"),
    "BR": ("GMT-3", ""),
    "FR": ("GMT+01:00", ""),
}
_ORIGIN_TZ = "+8"


def usps_last_mile_number(number: str) -> str:
    """The valid 22-digit USPS IMpb the fake hands ``number`` over to."""
    payload = "9400111899" + "".join(c for c in number if c.isdigit())[-11:].rjust(11, "0")
    return payload + str(impb_check_digit(payload))


def _s10(prefix: str, number: str, country: str) -> str:
    serial = "".join(c for c in number if c.isdigit())[-8:].rjust(8, "0")
    return f"{prefix}{serial}{s10_check_digit(serial)}{country}"


def _last_mile_number(cp_code: str, number: str) -> str:
    if cp_code == "USPS":
        return usps_last_mile_number(number)
    if cp_code == "SINGPOST":
        return _s10("RR", number, "SG")
    if cp_code == "CORREOS":
        return _s10("CP", number, "ES")
    return ""


def _lp(serial: int) -> str:
    return f"LP{serial:014d}"


#: Seconds between Cainiao's handover scan and the last-mile carrier's first scan.
_LAST_MILE_ACCEPT_DELAY = 1800.0


class CainiaoFake(FakeCarrierAPI):
    """Stateful fake of the Cainiao LINK gateway (``cnge.*`` message APIs).

    Inspectable state: ``orders`` (order code -> order dict), ``charges`` (order code, amount),
    ``expected_to_codes`` (the ``to_code`` the fake requires per ``msg_type``).
    Operation names for ``inject()``: ``create_shipment``, ``waybill``, ``cancel_shipment``, ``track``.
    """

    carrier_code: ClassVar[str] = "cainiao"
    base_urls: ClassVar[tuple[str, ...]] = (PRODUCTION_URL, PRE_PRODUCTION_URL, INTEGRATION_TEST_URL)
    scenario_numbers: ClassVar[dict[str, str]] = {
        "pre_transit": _lp(100_000_000_001),
        "in_transit": _lp(100_000_000_002),
        "out_for_delivery": _lp(100_000_000_003),
        "available_for_pickup": _lp(100_000_000_004),
        "delivered": _lp(100_000_000_005),
        "delivery_failed": _lp(100_000_000_006),
        "returned_to_sender": _lp(100_000_000_007),
        "held": _lp(100_000_000_008),
        "handover": _lp(100_000_000_010),
        "unknown": _lp(199_999_999_999),
        "fault_server_error": _lp(100_000_000_090),
        "fault_timeout": _lp(100_000_000_091),
        "fault_rate_limited": _lp(100_000_000_092),
    }
    #: Numbers answered with the public detail.json shape instead of the LINK one (the corpus shows
    #: both answering a track request; tests/external/cainiao): ``module[0].detailList`` with epoch
    #: ``time`` and a ``timeStr`` rendered at UTC+8 whatever ``timeZone`` says, as Cainiao does.
    detail_json_numbers: ClassVar[dict[str, str]] = {"detail_json": _lp(100_000_000_020)}
    #: Numbers handed over to each last-mile carrier (``"handover"`` above is the USPS one).
    handover_numbers: ClassVar[dict[str, str]] = {
        "usps": _lp(100_000_000_010),
        "singpost": _lp(100_000_000_011),
        "correos": _lp(100_000_000_012),
    }
    logistic_provider_id = FAKE_LOGISTIC_PROVIDER_ID
    secret_key = FAKE_SECRET_KEY
    #: Nominal amount recorded in ``charges`` per order (Cainiao invoices later; no price is returned).
    order_charge = Decimal("38.50")

    def reset_state(self) -> None:
        self.orders: dict[str, dict[str, Any]] = {}
        self.charges: list[tuple[str, Decimal]] = []
        self.expected_to_codes: dict[str, str] = dict(DEFAULT_TO_CODES)
        self._serial = 200_000_000_000

    def settings(self, base_url: str | None = None) -> dict[str, Any]:
        return {
            "logistic_provider_id": self.logistic_provider_id,
            "secret_key": self.secret_key,
            "base_url": base_url or self.base_urls[0],
        }

    def orders_by_out_order_id(self, out_order_id: str) -> list[str]:
        """Order codes created with ``outOrderId`` (how a lost order is reconciled)."""
        return [code for code, o in self.orders.items() if o["out_order_id"] == out_order_id]

    # -- wire format ----------------------------------------------------------------------------

    @staticmethod
    def failure(code: str, message: str, status: int = 200) -> httpx.Response:
        """The gateway's error shape: HTTP 200 (usually) with ``success: "false"``."""
        return httpx.Response(status, json={"success": "false", "errorCode": code, "errorMsg": message})

    @staticmethod
    def ok(data: Any = None) -> httpx.Response:
        body: dict[str, Any] = {"success": "true", "errorMsg": ""}
        if data is not None:
            body["data"] = data
        return httpx.Response(200, json=body)

    def error_response(self, status: int, message: str) -> httpx.Response:
        if status == 429:
            code = "FLOW_CONTROL"
        elif status >= 500:
            code = "SYSTEM_ERROR"
        elif status in (401, 403):
            code = "NO_PERMISSION"
        elif status == 404:
            code = "NOT_FOUND"
        else:
            code = "PARAM_ERROR"
        return self.failure(code, message, status)

    def route(self, request: httpx.Request) -> tuple[str, Handler]:
        if request.method != "POST" or not self.matches(request.url):
            raise LookupError(str(request.url))
        try:
            form = parse_qs(request.content.decode("utf-8"), keep_blank_values=True, errors="strict")
        except (UnicodeDecodeError, ValueError):
            return "bad_request", lambda r: self.failure("PARAM_ERROR", "request body is not a form")
        fields = {k: v[0] for k, v in form.items() if len(v) == 1}
        routes: dict[str, tuple[str, Callable[[dict[str, Any]], httpx.Response]]] = {
            "cnge.order.create": ("create_shipment", self._create),
            "cnge.waybill.get": ("waybill", self._waybill),
            "cnge.order.cancel": ("cancel_shipment", self._cancel),
            "cnge.track.get": ("track", self._track),
        }
        msg_type = fields.get("msg_type", "")
        if msg_type not in routes:
            raise LookupError(msg_type)
        operation, handler = routes[msg_type]
        return operation, lambda r: self._guarded(r, fields, msg_type, handler)

    def _guarded(
        self,
        request: httpx.Request,
        fields: dict[str, str],
        msg_type: str,
        handler: Callable[[dict[str, Any]], httpx.Response],
    ) -> httpx.Response:
        self._request = request
        if not fields.get("data_digest"):
            return self.failure("S01", "request param DataDigest can not be null")
        if not fields.get("logistic_provider_id"):
            return self.failure("S01", "request param fromCode can not be null")
        content = fields.get("logistics_interface", "")
        if not content:
            return self.failure("S01", "request param logistics_interface can not be null")
        if fields["logistic_provider_id"] != self.logistic_provider_id:
            return self.failure("INVALID_LOGISTIC_PROVIDER", "logistic provider not registered")
        if not digest_matches(content, fields["data_digest"], self.secret_key):
            return self.failure("SIGN_CHECK_FAILURE", "sign check failure")
        if fields.get("to_code") != self.expected_to_codes[msg_type]:
            return self.failure("PARAM_ERROR", f"to_code is not a route of {msg_type}")
        try:
            payload = json.loads(content)
        except ValueError:
            return self.failure("PARAM_ERROR", "logistics_interface is not JSON")
        if not isinstance(payload, dict):
            return self.failure("PARAM_ERROR", "logistics_interface is not an object")
        return handler(payload)

    # -- handlers -------------------------------------------------------------------------------

    def _create(self, payload: dict[str, Any]) -> httpx.Response:
        out_order_id = payload.get("outOrderId")
        receiver = payload.get("receiverParam")
        sender = payload.get("senderParam")
        packages = payload.get("packageParams")
        if not isinstance(out_order_id, str) or not out_order_id:
            return self.failure("PARAM_ERROR", "param error: outOrderId can not be null")
        if not isinstance(receiver, dict) or not receiver.get("countryCode"):
            return self.failure("PARAM_ERROR", "param error: receiverParam.countryCode can not be null")
        if not isinstance(sender, dict) or sender.get("countryCode") != "CN":
            return self.failure("PARAM_ERROR", "param error: senderParam.countryCode must be CN")
        if not isinstance(packages, list) or not packages or not packages[0].get("itemParams"):
            return self.failure("PARAM_ERROR", "param error: packageParams can not be null")
        self._serial += 1
        code = _lp(self._serial)
        self.orders[code] = {
            "out_order_id": out_order_id,
            "tracking_number": code,
            "destination": str(receiver["countryCode"]),
            "created_at": self.clock(),
            "cancelled": False,
            "cancelled_at": None,
            "payload": payload,
        }
        self.charges.append((code, self.order_charge))
        return self.ok({"orderCode": code, "trackingNumber": code, "laneCode": "L_FAKE_STD"})

    def _waybill(self, payload: dict[str, Any]) -> httpx.Response:
        order = self.orders.get(str(payload.get("orderCode", "")))
        if order is None:
            return self.failure("ORDER_NOT_EXIST", "order not exist")
        code = str(payload["orderCode"])
        pdf = b"%PDF-1.4\n% Cainiao fake waybill " + code.encode() + b"\n%%EOF\n"
        cp = _DESTINATIONS.get(order["destination"], ("", ""))[1]
        return self.ok(
            {
                "waybillPdfData": base64.b64encode(pdf).decode(),
                "trackingNumber": order["tracking_number"],
                "laneCode": "L_FAKE_STD",
                "laneName": "Cainiao Standard (fake)",
                "laneLastMileCP": cp,
                "distributionWarehouse": "",
            }
        )

    def _cancel(self, payload: dict[str, Any]) -> httpx.Response:
        code = str(payload.get("orderCode", ""))
        order = self.orders.get(code)
        if order is None:
            return self.failure("ORDER_NOT_EXIST", "order not exist")
        if not order["cancelled"]:
            shipped = any(e[1] == "GWMS_OUTBOUND" for e in self._order_events(code, order))
            if shipped:
                return self.failure("ORDER_STATUS_ERROR", "order has left the warehouse and cannot be cancelled")
            order["cancelled"] = True
            order["cancelled_at"] = self.clock()
        return self.ok()

    def _track(self, payload: dict[str, Any]) -> httpx.Response:
        number = str(payload.get("orderCode") or payload.get("mailNo") or "").upper()
        scenarios = self.scenario_numbers
        if number == scenarios["fault_server_error"]:
            return self.error_response(500, "system error")
        if number == scenarios["fault_rate_limited"]:
            response = self.error_response(429, "Too Many Requests")
            response.headers["Retry-After"] = "1"
            return response
        if number == scenarios["fault_timeout"]:
            raise httpx.ReadTimeout("injected: read timed out", request=self._request)
        if number == scenarios["unknown"] or not number.startswith("LP"):
            return self.failure("ORDER_NOT_EXIST", "order not exist")
        if number in self.orders:
            order = self.orders[number]
            events = self._order_events(number, order)
            destination = order["destination"]
        else:
            destination, events = self._scenario_history(number)
        plan = self.planned(number)  # advanced in the sandbox
        if plan is not None and (plan[1] in _ENDINGS or plan[1] == "pre_transit"):
            ending = "in_transit" if plan[1] == "pre_transit" else plan[1]
            ordered = number in self.orders  # an order bought here keeps its ORDER_CREATED event
            start = plan[0] + 3600 if ordered else plan[0]
            events = self._plan(number, start, destination, ending, stop_before_handover=ending == "in_transit")
            events = events[:2] if plan[1] == "pre_transit" else events
            if ordered:
                events = [(plan[0], "ORDER_CREATED", "Order created", _ORIGIN_TZ), *events]
        if number in self.detail_json_numbers.values():
            return httpx.Response(200, json=self._detail_json(number, destination, events))
        data: dict[str, Any] = {
            "success": "true",
            "mailNo": number,
            "originCountry": "CN",
            "destCountry": destination,
            "traceDetailList": [self._wire_event(e) for e in reversed(events)],  # newest first, like Cainiao
        }
        if any(e[1] == "LAST_MILE_HO_SUCCESS" for e in events):
            cp_code = _DESTINATIONS.get(destination, ("", ""))[1]
            last_mile = _last_mile_number(cp_code, number)
            if last_mile:
                data["copyRealMailNo"] = last_mile
                data["realMailNo"] = f"{cp_code} {last_mile}"
                data["destCpInfo"] = {"cpCode": cp_code, "cpName": cp_code.title()}
        return self.ok(data)

    # -- histories ------------------------------------------------------------------------------

    def handovers_out(self) -> list[tuple[str, str, float]]:
        """The handover scenarios: the last-mile number each one reaches, and when."""
        out = []
        for carrier, number in self.handover_numbers.items():
            destination, events = self._scenario_history(number)
            cp_code = _DESTINATIONS.get(destination, ("", ""))[1]
            last_mile = _last_mile_number(cp_code, number)
            handed = next((e[0] for e in events if e[1] == "LAST_MILE_HO_SUCCESS"), None)
            if last_mile and handed is not None:
                out.append((carrier, last_mile, handed + _LAST_MILE_ACCEPT_DELAY))
        return out

    @staticmethod
    def _detail_event(event: tuple[float, str, str, str]) -> dict[str, Any]:
        at, code, desc, tz_text = event
        beijing = datetime.fromtimestamp(at, UTC).astimezone(timezone(timedelta(hours=8)))
        return {
            "time": int(at * 1000),
            "timeStr": beijing.strftime("%Y-%m-%d %H:%M:%S"),
            "desc": desc,
            "standerdDesc": desc,
            "descTitle": "Carrier note:",
            "timeZone": "GMT+8" if tz_text == _ORIGIN_TZ else tz_text,
            "actionCode": code,
            "group": {
                "nodeCode": f"AE_GROUP_{code.split('_')[0]}_PROCESSING",
                "nodeDesc": "In transit",
                "currentIconUrl": "",
                "historyIconUrl": "",
            },
        }

    def _detail_json(self, number: str, destination: str, events: list[tuple[float, str, str, str]]) -> Any:
        """The public detail.json body (module entry keys as in the corpus captures)."""
        details = [self._detail_event(e) for e in reversed(events)]
        last_at = events[-1][0] if events else self.clock()
        module: dict[str, Any] = {
            "mailNo": number,
            "originCountry": "Mainland China",
            "destCountry": destination,
            "status": "TRANSITING",
            "statusDesc": "In transit",
            "mailNoSource": "AE",
            "processInfo": {
                "progressStatus": "NORMAL",
                "progressRate": 0.5,
                "type": "CROSS",
                "progressPointList": [
                    {"pointName": "Mainland China", "light": True},
                    {"pointName": destination, "light": True},
                    {"pointName": "Destination city", "reload": True, "light": False},
                    {"pointName": "Delivered"},
                ],
            },
            "globalEtaInfo": {
                "etaDesc": "Estimated delivery by",
                "deliveryMinTime": int((last_at + 4 * 86400) * 1000),
                "deliveryMaxTime": int((last_at + 12 * 86400) * 1000),
            },
            "latestTrace": details[0] if details else {},
            "detailList": details,
            "daysNumber": f"{max(1, int((last_at - events[0][0]) // 86400)) if events else 0}\tday(s)",
        }
        return {"module": [module], "success": True}

    @staticmethod
    def _wire_event(event: tuple[float, str, str, str]) -> dict[str, Any]:
        at, code, desc, tz_text = event
        tz = parse_time_zone(tz_text) or UTC
        local = datetime.fromtimestamp(at, UTC).astimezone(tz)
        return {"time": local.strftime("%Y-%m-%d %H:%M:%S"), "timeZone": tz_text, "actionCode": code, "desc": desc}

    def _plan(
        self, number: str, start: float, destination: str, ending: str, *, stop_before_handover: bool = False
    ) -> list[tuple[float, str, str, str]]:
        rng = stable_random(self.seed, number, "plan")
        dest_tz = _DESTINATIONS.get(destination, ("GMT+0", ""))[0]
        steps = [(c, d, _ORIGIN_TZ) for c, d in _ORIGIN]
        destination_steps = list(_DESTINATION)
        cut = rng.randint(1, 3)  # drawn for every ending: the step times of all endings agree
        if stop_before_handover:
            destination_steps = destination_steps[:cut]
        elif ending == "held":
            destination_steps = destination_steps[:2]  # arrived, import clearance started
        steps += [(c, d, dest_tz) for c, d in destination_steps]
        steps += [(c, d, dest_tz) for c, d in _ENDINGS[ending]]
        events = []
        at = start
        for code, desc, tz_text in steps:
            events.append((at, code, desc, tz_text))
            at += rng.randint(2 * 3600, 30 * 3600)
        return events

    def _scenario_history(self, number: str) -> tuple[str, list[tuple[float, str, str, str]]]:
        rng = stable_random(self.seed, number)
        start = self.recent_start(rng.randint(0, 20_000_000) / 20_000_000, lead_days=21)
        handovers = {"usps": "US", "singpost": "SG", "correos": "ES"}
        for carrier, handover_number in self.handover_numbers.items():
            if number == handover_number:
                return handovers[carrier], self._plan(number, start, handovers[carrier], "in_transit")
        if number in self.detail_json_numbers.values():  # through Brazilian customs, like the corpus
            return "BR", self._plan(number, start, "BR", "in_transit", stop_before_handover=True)
        scenarios = {v: k for k, v in self.scenario_numbers.items()}
        name = scenarios.get(number)
        if name == "pre_transit":
            return "US", self._plan(number, start, "US", "in_transit")[:2]
        destination = rng.choice(sorted(_DESTINATIONS))
        if name is None:
            name = rng.choice(["in_transit", "delivered", "out_for_delivery", "delivered"])
        events = self._plan(number, start, destination, name, stop_before_handover=name == "in_transit")
        return destination, events

    def _order_events(self, number: str, order: dict[str, Any]) -> list[tuple[float, str, str, str]]:
        """An order's plan, revealed up to now (and frozen at its cancellation)."""
        start = float(order["created_at"])
        plan = [(start, "ORDER_CREATED", "Order created", _ORIGIN_TZ)]
        plan += self._plan(number, start + 3600, order["destination"], "delivered")
        horizon = order["cancelled_at"] if order["cancelled"] else self.clock()
        return [e for e in plan if e[0] <= horizon]
