"""``UspsFake``: a stateful in-memory USPS APIs v3 speaking the real wire shapes.

It issues OAuth tokens (rejecting bad credentials with the real OAuth error body), payment
authorization tokens, prices, labels (multipart by default, one JSON document with
``Accept: application/vnd.usps.labels+json``) that become trackable, honours
``X-Idempotency-Key``, cancels labels, validates addresses and tracks numbers with
deterministic histories (v3 GET and v3r2 batch POST with 207 mixed results).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, ClassVar
from urllib.parse import parse_qs

import httpx

from carrier_sdk.adapters import impb_check_digit, s10_check_digit
from carrier_sdk.fakes import FakeCarrierAPI, Handler, stable_random

from . import _fake_day, _fake_locations
from ._wire import ACCEPT_LABEL_JSON, PAYMENT_TOKEN_HEADER, PRODUCTION_BASE_URL, TEST_BASE_URL

__all__ = ["FAKE_CLIENT_ID", "FAKE_CLIENT_SECRET", "UspsFake", "fake_impb", "fake_s10"]

FAKE_CLIENT_ID = "fake-usps-client-id"
FAKE_CLIENT_SECRET = "fake-usps-client-secret"
_TOKEN_LIFETIME = 28799  # seconds, as in real token responses
_QUOTA_MESSAGE = (
    "Exceeded quota limit. Please contact https://emailus.usps.com/s/web-tools-inquiry "
    "and a representative will assist."
)
_NOT_AVAILABLE = (
    "Tracking is not available for this item. This may be because the tracking number is invalid; "
    "USPS has not yet received payment; or the item was shipped with a third-party label."
)


def fake_impb(serial: int) -> str:
    """A valid 22-digit IMpb (``9400111899`` + 11-digit serial + mod-10 check digit)."""
    payload = f"9400111899{serial:011d}"
    return payload + str(impb_check_digit(payload))


def fake_s10(serial: int, prefix: str = "EC") -> str:
    """A valid S10 number issued by USPS (``..US``)."""
    digits = f"{serial:08d}"
    return f"{prefix}{digits}{s10_check_digit(digits)}US"


# (city, state, ZIP, GMT offset as USPS writes it)
_PLACES = (
    ("RICHMOND", "VA", "23227", "-04:00"),
    ("CHICAGO", "IL", "60607", "-05:00"),
    ("DENVER", "CO", "80202", "-6:00"),
    ("PHOENIX", "AZ", "85001", "-7:00"),
    ("MEMPHIS", "TN", "38118", "-05:00"),
)

_EVENT_TEXT = {
    "GX": ("Shipping Label Created, USPS Awaiting Item", "Pre-Shipment"),
    "03": ("USPS in possession of item", "Accepted"),
    "10": ("Arrived at USPS Regional Facility", "In Transit"),
    "EF": ("Departed USPS Regional Facility", "In Transit"),
    "07": ("Arrived at Post Office", "In Transit"),
    "OF": ("Out for Delivery", "Out for Delivery"),
    "01": ("Delivered, In/At Mailbox", "Delivered"),
    "16": ("Available for Pickup", "Available for Pickup"),
    "02": ("Notice Left (No Authorized Recipient Available)", "Delivery Attempt"),
    "09": ("Return to Sender", "Return to Sender"),
    # No public capture shows the code of a customs hold: the fake sends the text only.
    "": ("Held in Customs", "In Transit"),
}

_SCENARIO_CODES: dict[str, list[str]] = {
    "pre_transit": ["GX"],
    "in_transit": ["GX", "03", "10", "EF"],
    "out_for_delivery": ["GX", "03", "10", "EF", "07", "OF"],
    "available_for_pickup": ["GX", "03", "10", "EF", "07", "16"],
    "delivered": ["GX", "03", "10", "EF", "07", "OF", "01"],
    "delivery_failed": ["GX", "03", "10", "EF", "07", "OF", "02"],
    "returned_to_sender": ["GX", "03", "10", "EF", "07", "OF", "02", "09"],
    "held": ["GX", "03", "10", "EF", ""],
}

#: Mail classes the Tracking 3.0 spec enumerates for ``mailClass``.
_TRACKING_MAIL_CLASSES = frozenset({"PRIORITY_MAIL", "PRIORITY_MAIL_EXPRESS", "PARCEL_SELECT", "MEDIA_MAIL"})

#: The fake's products, in the shape of karrio's options capture (tests/external/usps):
#: (mail class, rate indicator, processing category, product name, base USD, USD per lb (0: flat),
#: SKU, days). Several products share a mail class, as in real quotes.
_PRODUCTS = (
    ("USPS_GROUND_ADVANTAGE", "SP", "MACHINABLE", "USPS Ground Advantage Machinable Single-piece",
     Decimal("5.40"), Decimal("0.85"), "DUXP0XXXXC05010", 4),
    ("PRIORITY_MAIL", "SP", "MACHINABLE", "Priority Mail Machinable Single-piece",
     Decimal("9.35"), Decimal("0.85"), "DPXX0XXXXC05010", 2),
    ("PRIORITY_MAIL", "FE", "FLATS", "Priority Mail Flat Rate Envelope",
     Decimal("10.20"), Decimal(0), "DPFE0XXXXC00000", 2),
    ("PRIORITY_MAIL_EXPRESS", "PA", "NONSTANDARD", "Priority Mail Express Nonstandard Single-piece",
     Decimal("30.45"), Decimal("0.85"), "DEXX0XXXXC05010", 1),
    ("PRIORITY_MAIL_EXPRESS", "FP", "FLATS", "Priority Mail Express Padded Flat Rate Envelope",
     Decimal("32.25"), Decimal(0), "DEFE2XXXXC00700", 1),
)  # fmt: skip
_INTERNATIONAL_PRODUCTS = (
    ("PRIORITY_MAIL_INTERNATIONAL", "SP", "MACHINABLE", "Priority Mail International ISC Single-piece",
     Decimal("48.60"), Decimal("4.10"), "IPXX0XXXXB01020"),
    ("PRIORITY_MAIL_EXPRESS_INTERNATIONAL", "PA", "FLATS", "Priority Mail Express International ISC Single-piece",
     Decimal("65.64"), Decimal("4.10"), "IEXX0XXXXB01020"),
)  # fmt: skip
#: USPS Tracking, included at no cost in karrio's capture.
_TRACKING_EXTRA = {"name": "USPS Tracking", "price": 0.0, "extraService": "920", "priceType": "COMMERCIAL",
                   "warnings": [], "SKU": "DXTX0EXXXCX0000"}  # fmt: skip
#: Human mail-class names with the HTML USPS puts in tracking answers.
_TRACKING_NAMES = {
    "PRIORITY_MAIL": "Priority Mail<SUP>&reg;</SUP>",
    "PRIORITY_MAIL_EXPRESS": "Priority Mail Express<SUP>&reg;</SUP>",
    "USPS_GROUND_ADVANTAGE": "USPS Ground Advantage<SUP>&#153;</SUP>",
}
#: Multipart label styles the corpus shows, chosen by ``seed % 3``: parts named (karrio's
#: capture), parts with no Content-Disposition and a ``File Name:`` header (USPS's published
#: sample), parts with only a ``filename=``.
LABEL_STYLES = ("named", "unnamed", "filename")


def _product_price(base: Decimal, per_lb: Decimal, weight: Decimal) -> Decimal:
    """A price as USPS states it: base plus a rate per pound, in whole cents (half up)."""
    return (base + weight * per_lb).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _label_postage(mail_class: str, weight: Decimal, *, international: bool) -> Decimal:
    """What a label of an unnamed product costs: the first product of its mail class, as quoted."""
    table = (
        {name: (base, per_lb) for name, _, _, _, base, per_lb, _ in reversed(_INTERNATIONAL_PRODUCTS)}
        if international
        else {name: (base, per_lb) for name, _, _, _, base, per_lb, _, _ in reversed(_PRODUCTS)}
    )
    base, per_pound = table.get(mail_class, next(iter(table.values())))
    return _product_price(base, per_pound, weight)


class UspsFake(FakeCarrierAPI):
    """In-memory USPS APIs v3 (production and TEM base URLs).

    Inspectable state: ``labels`` (tracking number -> label record), ``charges`` (one entry per
    label actually bought), ``tokens``/``payment_tokens`` (issued), ``by_key`` (idempotency
    key -> (payload digest, tracking number)). Switches: ``reject_all_tokens`` (every API call
    answers 401), ``expires_in`` (what token responses say; a string works too).
    """

    carrier_code: ClassVar[str] = "usps"
    base_urls: ClassVar[tuple[str, ...]] = (PRODUCTION_BASE_URL, TEST_BASE_URL)
    scenario_numbers: ClassVar[dict[str, str]] = {
        "pre_transit": fake_impb(1),
        "in_transit": fake_impb(2),
        "out_for_delivery": fake_impb(3),
        "available_for_pickup": fake_impb(4),
        "delivered": fake_impb(5),
        "delivery_failed": fake_impb(6),
        "returned_to_sender": fake_impb(7),
        "held": fake_impb(8),
        "unknown": fake_impb(99_999_999_999),
        "fault_server_error": fake_impb(99_999_999_997),
        "fault_timeout": fake_impb(99_999_999_996),
        "fault_rate_limited": fake_impb(99_999_999_995),
    }

    #: Tracking this number answers 400 with code 150001 ("not yet available"); it is not in
    #: ``scenario_numbers`` because that mapping is keyed by statuses and fault kinds.
    not_yet_available_number: ClassVar[str] = fake_impb(99_999_999_998)

    def reset_state(self) -> None:
        self.tokens: dict[str, float] = {}
        self.payment_tokens: set[str] = set()
        self.labels: dict[str, dict[str, Any]] = {}
        self.by_key: dict[str, tuple[str, str]] = {}
        self.charges: list[tuple[str, Decimal]] = []
        #: SCAN forms made: manifest number -> {"numbers", "mailing_date", "zip"} (see ``_fake_day``).
        self.scan_forms: dict[str, dict[str, Any]] = {}
        #: Carrier pickups: confirmation number -> {"date", "count", "zip", "cancelled", ...}.
        self.pickups: dict[str, dict[str, Any]] = {}
        self.reject_all_tokens = False
        self.expires_in: int | str = _TOKEN_LIFETIME
        self._serial = 10_000_000
        #: Added to every label's postage: a price that moved between quote and purchase.
        self.price_change = Decimal(0)

    def settings(self, base_url: str | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {
            "client_id": FAKE_CLIENT_ID,
            "client_secret": FAKE_CLIENT_SECRET,
            "environment": "production",
            "crid": "12345678",
            "mid": "123456",
            "manifest_mid": "123456",
            "account_type": "EPS",
            "account_number": "1000000000",
        }
        if base_url:
            out["base_url"] = base_url
        return out

    # -- shapes ---------------------------------------------------------------------------------

    def _error(self, status: int, message: str, *, code: str | None = None, api: str = "") -> httpx.Response:
        body: dict[str, Any] = {
            "apiVersion": api or "/v3",
            "error": {
                "code": str(status),
                "message": message,
                "errors": [{"status": str(status), "code": code or str(status), "title": message, "detail": message}],
            },
        }
        return httpx.Response(status, json=body)

    def error_response(self, status: int, message: str) -> httpx.Response:
        if status == 429:
            response = httpx.Response(
                429,
                json={
                    "apiVersion": "/v3",
                    "error": {
                        "code": "429",
                        "message": _QUOTA_MESSAGE,
                        "errors": [{"title": "Too Many Requests.", "detail": "Quota limit exceeded."}],
                    },
                },
            )
            return response
        return self._error(status, message)

    # -- routing --------------------------------------------------------------------------------

    def route(self, request: httpx.Request) -> tuple[str, Handler]:
        path = request.url.path
        method = request.method
        if method == "POST" and path.endswith("/oauth2/v3/token"):
            return "token", self._token
        handler = self._route_api(method, path)
        if handler is None:
            raise LookupError(path)
        operation, func = handler
        auth = request.headers.get("authorization", "")
        token = auth[7:] if auth.startswith("Bearer ") else ""
        if self.reject_all_tokens or token not in self.tokens or self.tokens[token] <= self.clock():
            return operation, lambda r: self._error(401, "The client application identifier is invalid.")
        return operation, func

    def _route_api(self, method: str, path: str) -> tuple[str, Handler] | None:
        routes: tuple[tuple[str, str, str, Handler], ...] = (
            ("GET", r"/tracking/v3/tracking/[^/]+$", "track", self._track),
            ("POST", r"/tracking/v3r2/tracking$", "track_batch", self._track_batch),
            ("POST", r"/shipments/v3/options/search$", "rates", self._options),
            ("POST", r"/payments/v3/payment-authorization$", "payment_authorization", self._payment),
            ("POST", r"/labels/v3/label$", "create_shipment", self._label),
            ("POST", r"/international-labels/v3/international-label$", "create_shipment", self._label),
            ("DELETE", r"/labels/v3/label/[^/]+$", "cancel_shipment", self._cancel),
            ("DELETE", r"/international-labels/v3/international-label/[^/]+$", "cancel_shipment", self._cancel),
            ("DELETE", r"/labels/v3/label$", "cancel_shipment", self._cancel_by_key),
            ("POST", r"/labels/v3/label-reprint$", "reprint_label", self._reprint),
            ("GET", r"/addresses/v3/address$", "validate_address", self._address),
            ("POST", r"/labels/v3/return-label$", "create_return_label", lambda r: _fake_day.return_label(self, r)),
            ("POST", r"/scan-forms/v3/scan-form$", "create_manifest", lambda r: _fake_day.scan_form(self, r)),
            ("GET", r"/pickup/v3/carrier-pickup/eligibility$", "pickup_availability", self._pickup_eligibility),
            ("POST", r"/pickup/v3/carrier-pickup$", "schedule_pickup", lambda r: _fake_day.schedule_pickup(self, r)),
            ("GET", r"/pickup/v3/carrier-pickup/[^/]+$", "cancel_pickup", lambda r: _fake_day.get_pickup(self, r)),
            ("DELETE", r"/pickup/v3/carrier-pickup/[^/]+$", "cancel_pickup", self._cancel_pickup),
            ("GET", r"/locations/v3/post-office-locations$", "find_locations", self._post_offices),
            ("GET", r"/locations/v3/parcel-locker-locations$", "find_locations", self._lockers),
            ("GET", r"/locations/v3/dropoff-locations$", "find_locations", self._entry_facilities),
        )
        for want, pattern, operation, handler in routes:
            if method == want and re.search(pattern, path):
                return operation, handler
        return None

    def _pickup_eligibility(self, request: httpx.Request) -> httpx.Response:
        return _fake_day.pickup_eligibility(self, request)

    def _cancel_pickup(self, request: httpx.Request) -> httpx.Response:
        return _fake_day.cancel_pickup(self, request)

    def _post_offices(self, request: httpx.Request) -> httpx.Response:
        return _fake_locations.post_office_locations(self, request)

    def _lockers(self, request: httpx.Request) -> httpx.Response:
        return _fake_locations.parcel_locker_locations(self, request)

    def _entry_facilities(self, request: httpx.Request) -> httpx.Response:
        return _fake_locations.dropoff_locations(self, request)

    # -- OAuth and payments ---------------------------------------------------------------------

    def _token(self, request: httpx.Request) -> httpx.Response:
        content_type = request.headers.get("content-type", "")
        if "json" in content_type:
            try:
                form = {k: str(v) for k, v in json.loads(request.content).items()}
            except (ValueError, AttributeError):
                form = {}
        else:
            form = {k: v[0] for k, v in parse_qs(request.content.decode("utf-8", "replace")).items()}
        if form.get("grant_type") != "client_credentials":
            description = "grant_type must be client_credentials"
            return httpx.Response(400, json={"error": "unsupported_grant_type", "error_description": description})
        if form.get("client_id") != FAKE_CLIENT_ID or form.get("client_secret") != FAKE_CLIENT_SECRET:
            return httpx.Response(
                401,
                json={
                    "error": "invalid_client",
                    "error_description": "Client authentication failed",
                    "error_uri": "https://developers.usps.com/",
                },
            )
        token = "fake-" + secrets.token_hex(16)
        lifetime = float(str(self.expires_in)) if str(self.expires_in).strip().isdigit() else _TOKEN_LIFETIME
        self.tokens[token] = self.clock() + lifetime
        scope = form.get("scope") or "addresses tracking labels prices international-labels shipments payments"
        return httpx.Response(
            200,
            json={
                "access_token": token,
                "token_type": "Bearer",
                "issued_at": int(self.clock() * 1000),
                "expires_in": self.expires_in,
                "status": "approved",
                "scope": scope,
                "issuer": "https://keyc.usps.com/realms/USPS",
                "client_id": FAKE_CLIENT_ID,
                "application_name": "carrier-sdk fake",
                "api_products": "[Public Access I]",
            },
        )

    def _payment(self, request: httpx.Request) -> httpx.Response:
        try:
            roles = json.loads(request.content)["roles"]
            names = {r["roleName"] for r in roles}
        except (ValueError, KeyError, TypeError):
            return self._error(400, "roles are required", api="/payments/v3")
        if not {"PAYER", "LABEL_OWNER"} <= names:
            return self._error(400, "The PAYER and LABEL_OWNER roles must be specified.", api="/payments/v3")
        token = "pat-" + secrets.token_hex(16)
        self.payment_tokens.add(token)
        return httpx.Response(200, json={"paymentAuthorizationToken": token, "roles": roles})

    # -- tracking -------------------------------------------------------------------------------

    def _codes_for(self, number: str) -> tuple[list[str], float, str] | None:
        """Event codes (oldest first), start time and mail class, or None when unknown."""
        label = self.labels.get(number)
        mail_class = "PRIORITY_MAIL"
        if label is not None:
            mail_class = label["mail_class"] if label["mail_class"] in _TRACKING_MAIL_CLASSES else ""
        plan = self.planned(number)  # advanced in the sandbox, or handed over by another carrier
        if plan is not None and plan[1] in _SCENARIO_CODES:
            return _SCENARIO_CODES[plan[1]], plan[0], mail_class
        if label is not None:
            return ["GX"], label["at"], mail_class
        scenario = next((k for k, v in self.scenario_numbers.items() if v == number), None)
        if number == self.not_yet_available_number or (scenario is not None and scenario not in _SCENARIO_CODES):
            return None
        rng = stable_random(self.seed, number)
        start = self.recent_start(rng.randint(0, 20_000_000) / 20_000_000)
        if scenario is not None:
            return _SCENARIO_CODES[scenario], start, "PRIORITY_MAIL"
        if not re.match(r"^(9[1-5]\d{20}|[A-Z]{2}\d{9}US)$", number):
            return None
        return _SCENARIO_CODES[rng.choice(sorted(_SCENARIO_CODES))], start, "PRIORITY_MAIL"

    def _history(self, number: str, *, v3r2: bool) -> dict[str, Any] | None:
        found = self._codes_for(number)
        if found is None:
            return None
        codes, start, mail_class = found
        rng = stable_random(self.seed, number, "places")
        events = []
        at = start
        # A plausible route: two scans at the origin, two at a hub, the rest at the destination
        # (by position only, so a parcel moved further keeps the places it already showed).
        origin, hub, destination = (_PLACES[rng.randrange(len(_PLACES))] for _ in range(3))
        for index, code in enumerate(codes):
            place = origin if index < 2 else hub if index < 4 else destination
            city, state, zip_code, offset = place
            sign = -1 if offset.startswith("-") else 1
            hours, _, minutes = offset.lstrip("+-").partition(":")
            tz = timezone(sign * timedelta(hours=int(hours), minutes=int(minutes or 0)))
            instant = datetime.fromtimestamp(at, UTC)
            local = instant.astimezone(tz).replace(tzinfo=None)
            text, _category = _EVENT_TEXT[code]
            event: dict[str, Any] = {
                "eventType": text,
                # Local wall time serialised with a bogus "Z", as the real API does.
                "eventTimestamp": local.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "GMTTimestamp": instant.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                "GMTOffset": offset,
                "eventCountry": "US",
                "eventCity": city,
                "eventState": state,
                ("eventZIPCode" if v3r2 else "eventZIP"): zip_code,
                "firm": None,
                "name": None,
                "authorizedAgent": False,
                "additionalProp": None,
            }
            if code:
                event["eventCode"] = code
            events.append(event)
            at += 3600 * (3 + index * 2 + rng.randint(0, 5))
        last_text, category = _EVENT_TEXT[codes[-1]]
        expected = (datetime.fromtimestamp(start, UTC) + timedelta(days=3)).date().isoformat()
        body: dict[str, Any] = {
            "trackingNumber": number,
            "status": last_text,
            "statusCategory": category,
            "statusSummary": f"Latest update: {last_text}.",
            "originCity": "RICHMOND",
            "originState": "VA",
            "originZIP": "23227",
            "destinationCity": "MEMPHIS",
            "destinationState": "TN",
            "destinationZIP": "38118",
            "emailEnabled": "true",
            "kahalaIndicator": "false",
            "mailClass": _TRACKING_NAMES.get(mail_class, "Priority Mail<SUP>&reg;</SUP>"),
            "mailType": "DM",
            "proofOfDeliveryEnabled": "false",
            "restoreEnabled": "false",
            "RRAMEnabled": "false",
            "RREEnabled": "false",
            "services": ["USPS Tracking<SUP>&#174;</SUP>"],
            "serviceTypeCode": "001",
            "trackingEvents": list(reversed(events)),  # USPS lists newest first
        }
        if v3r2:
            body["deliveryDateExpectation"] = {"expectedDeliveryDate": expected}
        else:
            body["expectedDeliveryTimeStamp"] = f"{expected}T21:00:00Z"
        return body

    def _fault_for(self, number: str, request: httpx.Request) -> httpx.Response | None:
        scenario = next((k for k, v in self.scenario_numbers.items() if v == number), "")
        if scenario == "fault_server_error":
            return self._error(503, "Service Unavailable")
        if scenario == "fault_timeout":
            raise httpx.ReadTimeout("fake: read timed out", request=request)
        if scenario == "fault_rate_limited":
            response = self.error_response(429, "Too Many Requests")
            response.headers["Retry-After"] = "1"
            return response
        return None

    def _track(self, request: httpx.Request) -> httpx.Response:
        number = request.url.path.rsplit("/", 1)[-1]
        fault = self._fault_for(number, request)
        if fault is not None:
            return fault
        if number == self.not_yet_available_number:
            return self._error(
                400, "12: A status update is not yet available on your package.", code="150001", api="/tracking/v3"
            )
        history = self._history(number, v3r2=False)
        if history is None:
            return self._error(
                400,
                "7: The tracking number may be incorrect or the status update is not yet available.",
                code="150002",
                api="/tracking/v3",
            )
        return httpx.Response(200, json=history)

    def _track_batch(self, request: httpx.Request) -> httpx.Response:
        try:
            items = json.loads(request.content)
            numbers = [str(item["trackingNumber"]) for item in items]
        except (ValueError, KeyError, TypeError):
            return self._error(400, "The request body must be an array of tracking numbers.", api="/tracking/v3r2")
        for number in numbers:
            fault = self._fault_for(number, request)
            if fault is not None:
                return fault
        out: list[dict[str, Any]] = []
        missing = 0
        for number in numbers:
            history = self._history(number, v3r2=True)
            if history is None:
                missing += 1
                out.append(
                    {"trackingNumber": number, "statusCode": "404", "error": {"code": "404", "message": _NOT_AVAILABLE}}
                )
            else:
                out.append(history)
        if missing and len(numbers) == 1:
            return self._error(404, _NOT_AVAILABLE, api="/tracking/v3r2")
        return httpx.Response(207 if missing else 200, json=out)

    # -- rates ----------------------------------------------------------------------------------

    def _options(self, request: httpx.Request) -> httpx.Response:
        try:
            body = json.loads(request.content)
            package = body["packageDescription"]
            weight = Decimal(str(package["weight"]))
            mail_class = package["mailClass"]
            origin = body["originZIPCode"]
        except (ValueError, KeyError, TypeError, ArithmeticError):
            return self._error(400, "packageDescription is required", api="/shipments/v3")
        international = "destinationCountryCode" in body
        destination = body.get("destinationZIPCode", "")
        if not international and destination == "00000":
            message = "Could not find zone for the origin and destination."
            return self._error(400, message, code="030001", api="/shipments/v3")
        today = datetime.fromtimestamp(self.clock(), UTC).date()
        price_type = body["pricingOptions"][0]["priceType"]
        by_class: dict[str, list[dict[str, Any]]] = {}
        if international:
            for name, indicator, category, product, base, per_lb, sku in _INTERNATIONAL_PRODUCTS:
                if mail_class not in ("ALL", name):
                    continue
                price = float(_product_price(base, per_lb, weight))
                detail = self._rate_detail(name, indicator, category, product, price, sku, price_type, weight)
                detail["destinationEntryFacilityType"] = "INTERNATIONAL_SERVICE_CENTER"
                by_class.setdefault(name, []).append({"totalBasePrice": price, "rates": [detail]})
        else:
            for name, indicator, category, product, base, per_lb, sku, days in _PRODUCTS:
                if mail_class not in ("ALL", "ALL_OUTBOUND", name):
                    continue
                price = float(_product_price(base, per_lb, weight))
                delivery = (today + timedelta(days=days)).isoformat()
                by_class.setdefault(name, []).append(
                    {
                        "commitment": {
                            "name": f"{days} Day" + ("s" if days > 1 else ""),
                            "scheduleDeliveryDate": delivery,
                            "expectedDeliveryDate": delivery,
                            "guaranteedDelivery": name == "PRIORITY_MAIL_EXPRESS",
                        },
                        "totalPrice": price,
                        "totalBasePrice": price,
                        "rates": [
                            self._rate_detail(name, indicator, category, product, price, sku, price_type, weight)
                        ],
                        "extraServices": [dict(_TRACKING_EXTRA, priceType=price_type)],
                    }
                )
        options = [{"mailClass": name, "rateOptions": rate_options} for name, rate_options in by_class.items()]
        response: dict[str, Any] = {
            "originZIPCode": origin,
            "pricingOptions": [{"shippingOptions": options, "priceType": price_type}],
        }
        if international:
            response["destinationCountryCode"] = body["destinationCountryCode"]
        else:
            response["destinationZIPCode"] = destination
        return httpx.Response(200, json=response)

    @staticmethod
    def _rate_detail(
        mail_class: str,
        indicator: str,
        category: str,
        product: str,
        price: float,
        sku: str,
        price_type: str,
        weight: Decimal,
    ) -> dict[str, Any]:
        """One ``rates[]`` item with the keys of karrio's options capture."""
        return {
            "description": product,
            "startDate": "2025-01-19",
            "endDate": "",
            "price": price,
            "zone": "05",
            "weight": float(weight),
            "dimensionalWeight": 0,
            "dimWeight": 0,
            "fees": [],
            "priceType": price_type,
            "mailClass": mail_class,
            "productName": product,
            "productDefinition": "",
            "processingCategory": category,
            "rateIndicator": indicator,
            "destinationEntryFacilityType": "NONE",
            "SKU": sku,
        }

    # -- labels ---------------------------------------------------------------------------------

    def _payment_ok(self, request: httpx.Request) -> bool:
        return request.headers.get(PAYMENT_TOKEN_HEADER.lower(), "") in self.payment_tokens

    def _label_response(
        self, request: httpx.Request, record: dict[str, Any], *, status: int, reprint: bool = False
    ) -> httpx.Response:
        number = record["number"]
        image = f"%PDF-1.4\n% fake USPS label {number}\n%%EOF\n".encode()
        if record["international"]:
            metadata: dict[str, Any] = {
                "labelAddress": record.get("label_address", {}),
                "internationalTrackingNumber": number,
                "constructCode": "I01",
                "postage": float(record["postage"]),
                "extraServices": [],
                "weightUOM": "lb",
                "weight": record["weight"],
                "dimensionalWeight": "0.0",
                "mailingDate": record["mailing_date"],
                "fees": [],
                "SKU": record.get("sku", "IPXX0XXXXB01020"),
            }
        else:
            days = record.get("days", 3)
            metadata = {
                "labelAddress": record.get("label_address", {}),
                "routingInformation": "420" + record["zip"],
                "trackingNumber": number,
                "postage": float(record["postage"]),
                "extraServices": [{"name": "USPS Tracking", "price": 0.0, "SKU": "DXTV0EXXXCX0000"}],
                "zone": "05",
                "commitment": {
                    "name": f"{days} Day" + ("s" if days > 1 else ""),
                    "scheduleDeliveryDate": record["mailing_date"],
                },
                "weightUOM": "lb",
                "weight": record["weight"],
                "dimensionalWeight": 0.0,
                "fees": [],
                "mailingDate": f"{record['mailing_date']}T00:00:00Z",  # a date-time here (OpenAPI example)
                "bannerText": "USPS TRACKING # USPS Ship",
                "serviceTypeCode": "001",
                "constructCode": "C01",
                "SKU": record.get("sku", "DPXR0XXXXC00010"),
            }
        encoded = base64.b64encode(image).decode()
        if ACCEPT_LABEL_JSON in request.headers.get("accept", ""):
            if reprint:  # reprints nest the metadata (OpenAPI LabelReprintResponseExample)
                body = {"labelMetadata": metadata, "labelImage": encoded, "reprintInfo": record["reprints"]}
                return httpx.Response(status, json=body)
            return httpx.Response(status, json={**metadata, "labelImage": encoded})
        boundary = "uspsBoundary" + hashlib.sha256(number.encode()).hexdigest()[:16]
        wrapped = "\r\n".join(encoded[i : i + 76] for i in range(0, len(encoded), 76))
        style = LABEL_STYLES[self.seed % len(LABEL_STYLES)]
        if style == "unnamed":  # USPS/api-examples domesticlabel-v3-response.json
            meta_head = "Content-type: application/json\r\n"
            image_head = (
                "File Name: label.pdf\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: encode\r\n"
            )
        else:
            names = style == "named"
            meta_head = (
                'Content-Type: application/json\r\nContent-Disposition: form-data; name="labelMetadata"\r\n'
                if names
                else "Content-Type: application/json\r\n"
            )
            image_head = "Content-Type: application/pdf\r\nContent-Disposition: form-data; " + (
                'filename="labelImage.pdf"; name="labelImage"\r\n' if names else 'filename="labelImage.pdf"\r\n'
            )
        content = (
            f"--{boundary}\r\n{meta_head}\r\n{json.dumps(metadata)}\r\n"
            f"--{boundary}\r\n{image_head}\r\n{wrapped}\r\n"
            f"--{boundary}--\r\n"
        ).encode()
        content_type = f"multipart/form-data; boundary={boundary}"
        return httpx.Response(status, content=content, headers={"content-type": content_type})

    @staticmethod
    def _label_address(address: Any) -> dict[str, Any]:
        """The recipient as USPS echoes it in ``labelAddress`` (upper case, as in the captures)."""
        if not isinstance(address, dict):
            return {}
        keys = ("streetAddress", "secondaryAddress", "city", "state", "ZIPCode", "ZIPPlus4", "postalCode",
                "province", "country", "countryISOAlpha2Code", "firstName", "lastName", "firm")  # fmt: skip
        out: dict[str, Any] = {k: str(address[k]).upper() for k in keys if address.get(k)}
        out["ignoreBadAddress"] = False
        return out

    @staticmethod
    def _find_product(package: dict[str, Any], international: bool) -> tuple[Decimal, Decimal, str, int] | None:
        """(base, per lb, SKU, days) of the product a label request names, if the fake sells it."""
        indicator = package.get("rateIndicator")
        category = package.get("processingCategory")
        if international:
            for name, ind, cat, _, base, per_lb, sku in _INTERNATIONAL_PRODUCTS:
                if (name, ind, cat) == (package.get("mailClass"), indicator, category):
                    return base, per_lb, sku, 6
            return None
        for name, ind, cat, _, base, per_lb, sku, days in _PRODUCTS:
            if (name, ind, cat) == (package.get("mailClass"), indicator, category):
                return base, per_lb, sku, days
        return None

    def _label(self, request: httpx.Request) -> httpx.Response:
        international = "international-label" in request.url.path
        api = "/international-labels/v3" if international else "/labels/v3"

        def read(body: Any) -> dict[str, Any]:
            package = body["packageDescription"]
            mailing_date = str(package["mailingDate"])
            date.fromisoformat(mailing_date)
            if international and "customsForm" not in body:
                raise KeyError("customsForm")
            return {
                "international": international,
                "weight": float(package["weight"]),
                "zip": str(body["toAddress"].get("ZIPCode", "")) if not international else "",
                "mail_class": str(package["mailClass"]),
                "mailing_date": mailing_date,
            }

        def buy(label: dict[str, Any]) -> dict[str, Any]:
            number = fake_s10(self._serial) if international else fake_impb(self._serial)
            weight = Decimal(str(label["weight"]))
            product = self._find_product(label["package"], international)
            if product is None:
                postage = _label_postage(label["mail_class"], weight, international=international)
                return {"number": number, "postage": postage + self.price_change}
            postage = _product_price(product[0], product[1], weight)
            return {"number": number, "postage": postage + self.price_change, "sku": product[2], "days": product[3]}

        status = 201 if international else 200
        return self._purchase(
            request, api, read, buy, lambda label: self._label_response(request, label, status=status)
        )

    def _purchase(
        self,
        request: httpx.Request,
        api: str,
        read: Callable[[Any], dict[str, Any]],
        buy: Callable[[dict[str, Any]], dict[str, Any]],
        answer: Callable[[dict[str, Any]], httpx.Response],
    ) -> httpx.Response:
        """The protocol of every label purchase (outbound, international, return).

        The payment token (else 401), a JSON body ``read`` accepts (else 400: ``read`` raises a
        ``ValueError``, ``KeyError``, ``TypeError`` or ``AttributeError``) and the idempotency key
        (an error answer, or the label the key already bought, answered again) come first; then
        one new label is bought: ``read``'s fields, the fields common to every label (purchase
        time, key, package, printed address, reprint allowance) and ``buy``'s (number, postage,
        ...; ``_serial`` is already the new label's), booked and charged once, then answered.
        """
        if not self._payment_ok(request):
            return self._error(401, "The payment authorization token is missing or invalid.", api=api)
        try:
            body = json.loads(request.content)
            label = read(body)
        except (ValueError, KeyError, TypeError, AttributeError):
            return self._error(400, "The request body is invalid.", api=api)
        digest, key, replay = self._replay(request, body, api)
        if isinstance(replay, httpx.Response):
            return replay
        if replay is not None:
            return answer(replay)
        self._serial += 1
        label.update(
            at=self.clock(),
            cancelled=False,
            key=key,
            package=body["packageDescription"],
            label_address=self._label_address(body.get("toAddress")),
            reprints={"reprintNumber": 0, "reprintLimit": 3},
        )
        label.update(buy(label))
        self._book(label, digest)
        return answer(label)

    def _replay(
        self, request: httpx.Request, body: Any, api: str
    ) -> tuple[str, str, httpx.Response | dict[str, Any] | None]:
        """``(digest, key, replay)`` of a purchase: ``replay`` is an error answer (a key that is
        not a UUID, or reused with another payload), the label a repeated key already bought, or
        ``None`` for a new purchase."""
        digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
        key = request.headers.get("x-idempotency-key", "")
        if key:
            try:
                uuid.UUID(key)
            except ValueError:
                return digest, key, self._error(400, "X-Idempotency-Key must be a UUID.", api=api)
            previous = self.by_key.get(key)
            if previous is not None:
                if previous[0] != digest:
                    message = "The idempotency key was already used with a different request payload."
                    return digest, key, self._error(422, message, api=api)
                return digest, key, self.labels[previous[1]]
        return digest, key, None

    def _book(self, record: dict[str, Any], digest: str) -> None:
        """Keep a bought label, charge it once, and remember its idempotency key."""
        number = record["number"]
        self.labels[number] = record
        self.charges.append((number, record["postage"]))
        if record["key"]:
            self.by_key[record["key"]] = (digest, number)

    def _cancel_record(self, record: dict[str, Any] | None, api: str) -> httpx.Response:
        if record is None:
            return httpx.Response(
                400,
                json={
                    "apiVersion": api,
                    "error": {
                        "code": "400",
                        "message": "Bad Request",
                        "errors": [{"title": "Bad Request", "detail": "Order not found", "code": "00000XX"}],
                    },
                },
            )
        if record["cancelled"]:
            return self._error(400, "The label has already been canceled.", api=api)
        record["cancelled"] = True
        return httpx.Response(200, json={"trackingNumber": record["number"], "status": "CANCELED"})

    def _cancel(self, request: httpx.Request) -> httpx.Response:
        api = "/international-labels/v3" if "international-label" in request.url.path else "/labels/v3"
        if not self._payment_ok(request):
            return self._error(401, "The payment authorization token is missing or invalid.", api=api)
        number = request.url.path.rsplit("/", 1)[-1]
        return self._cancel_record(self.labels.get(number), api)

    def _cancel_by_key(self, request: httpx.Request) -> httpx.Response:
        if not self._payment_ok(request):
            return self._error(401, "The payment authorization token is missing or invalid.", api="/labels/v3")
        previous = self.by_key.get(request.headers.get("x-idempotency-key", ""))
        record = self.labels.get(previous[1]) if previous else None
        response = self._cancel_record(record, "/labels/v3")
        if previous:
            response.headers["X-Idempotency-Key"] = request.headers["x-idempotency-key"]
        return response

    def _reprint(self, request: httpx.Request) -> httpx.Response:
        if not self._payment_ok(request):
            return self._error(401, "The payment authorization token is missing or invalid.", api="/labels/v3")
        previous = self.by_key.get(request.headers.get("x-idempotency-key", ""))
        record = self.labels.get(previous[1]) if previous else None
        if record is None or record["international"]:
            return self._cancel_record(None, "/labels/v3")
        if record["cancelled"]:
            return self._error(400, "Canceled labels are not eligible for reprint.", api="/labels/v3")
        reprints = record.setdefault("reprints", {"reprintNumber": 0, "reprintLimit": 3})
        reprints["reprintNumber"] += 1
        return self._label_response(request, record, status=200, reprint=True)

    # -- addresses ------------------------------------------------------------------------------

    def _address(self, request: httpx.Request) -> httpx.Response:
        params = request.url.params
        street = params.get("streetAddress", "").upper()
        state = params.get("state", "").upper()
        zip_code = params.get("ZIPCode", "")
        if not street or len(state) != 2:
            return self._error(400, "streetAddress and state are required.", api="/addresses/v3")
        if zip_code == "00000":
            return self._error(400, "Invalid ZIP Code.", code="010002", api="/addresses/v3")
        if "NOWHERE" in street:
            return self._error(404, "There is no match for the address requested.", api="/addresses/v3")
        rng = stable_random(self.seed, street, zip_code)
        secondary = params.get("secondaryAddress", "").upper()
        default_only = not secondary and street.startswith("1 ")
        body: dict[str, Any] = {
            "firm": params.get("firm", "").upper(),
            "address": {
                "streetAddress": re.sub(r"\bSTREET\b", "ST", re.sub(r"\s+", " ", street)),
                "streetAddressAbbreviation": None,
                "secondaryAddress": secondary,
                "city": params.get("city", "").upper(),
                "cityAbbreviation": None,
                "state": state,
                "postalCode": None,
                "province": None,
                "ZIPCode": zip_code or f"{rng.randint(10000, 99999)}",
                "ZIPPlus4": f"{rng.randint(1, 9999):04d}",
                "urbanization": "",
                "country": None,
                "countryISOCode": None,
            },
            "additionalInfo": {
                "deliveryPoint": f"{rng.randint(0, 99):02d}",
                "carrierRoute": f"C{rng.randint(1, 99):03d}",
                "DPVConfirmation": "D" if default_only else "Y",
                "DPVCMRA": "N",
                "business": "Y" if params.get("firm") else "N",
                "centralDeliveryPoint": "N",
                "vacant": "N",
            },
            "corrections": (  # an exact match carries one empty correction, as USPS's samples show
                [{"code": "32", "text": "Default address: more information, such as a suite number, is needed."}]
                if default_only
                else [{"code": "", "text": ""}]
            ),
            "matches": [] if default_only else [{"code": "31", "text": "Single Response - exact match"}],
        }
        return httpx.Response(200, json=body)
