"""``carrier-sdk new-adapter NAME``: write a new adapter project that passes its own tests.

The project is a complete, small adapter in the house style (settings with a secret, wire
schemas, a status table, every operation a sans-I/O flow, a stateful fake with scenario numbers)
plus its tests, the conformance suite among them. Replace the invented wire format with your
carrier's, one test at a time.

.. versionadded:: 0.1
"""

from __future__ import annotations

import re
import string
from pathlib import Path

from ._exceptions import ConfigurationError
from ._version import VERSION

__all__ = ["project_files", "write_adapter"]

_NAME = re.compile(r"^[a-z][a-z0-9_]{1,30}$")


def core_requirement(version: str = VERSION) -> str:
    """The ``carrier-sdk`` requirement a new adapter declares: this version up to the next minor.

    It names the version that wrote the project (so it exists: it is the one installed), never a
    later release.
    """
    major, minor = (int(part) for part in version.split(".")[:2])
    upper = f"{major}.{minor + 1}" if major == 0 else f"{major + 1}"
    return f">={version},<{upper}"


def _context(name: str) -> dict[str, str]:
    if not _NAME.match(name) or name.endswith("_") or "__" in name:
        raise ConfigurationError(
            f"adapter name {name!r} must be a lowercase identifier of 2-31 letters, digits and single underscores"
        )
    parts = name.split("_")
    letters = "".join(ch for ch in name.upper() if ch.isalpha())
    return {
        "code": name,
        "Class": "".join(p.capitalize() for p in parts),
        "display": " ".join(p.capitalize() for p in parts),
        "dist": "carrier-sdk-" + name.replace("_", "-"),
        "package": "carrier_sdk_" + name,
        "prefix": (letters + "XX")[:2],
        "host": name.replace("_", "-"),
        "env": name.upper(),
        "core_pin": core_requirement(),
    }


def project_files(name: str) -> dict[str, str]:
    """The files of a new adapter project, by relative path."""
    context = _context(name)
    files: dict[str, str] = {}
    for path, text in _TEMPLATES.items():
        rendered_path = string.Template(path).substitute(context)
        files[rendered_path] = string.Template(text).substitute(context)
    return files


def write_adapter(name: str, dest: Path) -> Path:
    """Write the project ``carrier-sdk-<name>`` under the directory ``dest``; return its path.

    Raises:
        ConfigurationError: ``name`` is not a lowercase identifier, or the project directory
            already exists and is not empty.
    """
    files = project_files(name)
    root = Path(dest) / _context(name)["dist"]
    if root.exists() and any(root.iterdir()):
        raise ConfigurationError(f"{root} already exists and is not empty")
    for relative, text in files.items():
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return root


_PYPROJECT = """\
[build-system]
requires = ["hatchling>=1.25"]
build-backend = "hatchling.build"

[project]
name = "${dist}"
version = "0.1.0"
description = "${display} adapter for carrier-sdk."
readme = "README.md"
requires-python = ">=3.11"
license = "MIT"
dependencies = ["carrier-sdk${core_pin}"]
classifiers = ["Programming Language :: Python :: 3", "Typing :: Typed"]

[project.optional-dependencies]
test = ["carrier-sdk[testing]${core_pin}", "pytest>=8"]

[project.entry-points.carrier_sdk]
${code} = "${package}"

[tool.hatch.build.targets.wheel]
packages = ["${package}"]

[tool.pytest.ini_options]
addopts = ["--import-mode=importlib", "-p", "no:cacheprovider"]
testpaths = ["tests"]
filterwarnings = ["error"]

[tool.ruff]
line-length = 120

[tool.ruff.lint]
select = ["E", "F", "W", "I", "B", "UP", "SIM", "RUF", "PT"]

[tool.ruff.lint.isort]
known-first-party = ["${package}"]
known-third-party = ["carrier_sdk"]

[tool.mypy]
strict = true
"""

_README = """\
# ${dist}

A carrier-sdk adapter for ${display}.

```console
pip install ${dist}
```

Until carrier-sdk is published, install it from its checkout first (`pip install -e
/path/to/carrier-sdk`), then this project (`pip install -e .`).

```python
from carrier_sdk import Client

client = Client(settings={"${code}": {"api_key_id": "...", "api_key": "..."}})
print(client.track("${prefix}000000014"))
```

Settings may also come from the environment: `CARRIER_SDK_${env}_API_KEY_ID`,
`CARRIER_SDK_${env}_API_KEY`.

## Try it without credentials

```python
client = Client(sandbox=True)  # every installed carrier's fake
client.track("${prefix}000000014")  # a documented scenario number: delivered
```

Scenario numbers (see `${package}/fake.py`): one per tracking status, `unknown` (not
found) and one per fault (`fault_server_error`, `fault_timeout`, `fault_rate_limited`).

## Developing

```console
pip install -e '.[test]'
pytest
```

`tests/test_conformance.py` runs carrier-sdk's conformance suite against this adapter; keep
it green while you replace the invented wire format in `_schemas.py`, `_mapping.py`,
`_carrier.py` and `fake.py` with ${display}'s real one.

## Assumptions

- `NUMBER_PREFIX` in `_schemas.py`: tracking numbers are `${prefix}` + 8 digits + an S10 check digit
  (placeholder; replace with the carrier's real syntax).
"""

_INIT = '''\
"""${display} adapter for carrier-sdk (registered through the ``carrier_sdk`` entry point)."""

from __future__ import annotations

from typing import Any

from carrier_sdk.hookspecs import hookimpl

from ._carrier import ${Class}Carrier
from ._settings import ${Class}Settings

__all__ = ["${Class}Carrier", "${Class}Settings", "register_carriers"]


@hookimpl
def register_carriers(registry: Any) -> None:
    """Register :class:`${Class}Carrier` with carrier-sdk."""
    registry.add(${Class}Carrier)
'''

_SETTINGS = '''\
"""Settings of the ${display} adapter."""

from __future__ import annotations

import attrs
from carrier_sdk import Secret

from ._schemas import PRODUCTION_URL

__all__ = ["${Class}Settings"]


@attrs.frozen(kw_only=True)
class ${Class}Settings:
    """Credentials and endpoint of the ${display} API.

    Attributes:
        api_key_id: The public id of the API key (not secret; identifies the account).
        api_key: The API key itself.
        base_url: The API root (the sandbox points it at its fake).
    """

    api_key_id: str
    api_key: Secret = attrs.field(converter=Secret.coerce, repr=False)  # type: ignore[misc]
    base_url: str = PRODUCTION_URL
'''

_SCHEMAS = '''\
"""The ${display} wire format: constants and parsers of the JSON payloads.

Parsers raise ``KeyError``/``TypeError``/``ValueError`` on a payload of the wrong shape; the
carrier wraps them into :class:`carrier_sdk.ResponseError`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import attrs

__all__ = [
    "API_KEY_HEADER",
    "NUMBER_PREFIX",
    "PRODUCTION_URL",
    "WireEvent",
    "WireRate",
    "WireTracking",
    "parse_error",
    "parse_rates",
    "parse_tracking",
]

#: The API root.
PRODUCTION_URL = "https://api.${host}.example"
#: Header carrying the API key (declared in ``sensitive_headers``).
API_KEY_HEADER = "X-${Class}-Key"
#: [A] Tracking numbers: this prefix, 8 digits and an S10 check digit.
NUMBER_PREFIX = "${prefix}"


@attrs.frozen
class WireEvent:
    at: int
    code: str
    text: str
    city: str


@attrs.frozen
class WireTracking:
    number: str
    events: tuple[WireEvent, ...]


@attrs.frozen
class WireRate:
    service: str
    price: Decimal
    days: int


def _str(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError("expected a string")
    return value


def _int(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError("expected an integer")
    return value


def parse_tracking(data: Any) -> WireTracking:
    """``{"number": str, "events": [{"at": epoch, "code": str, "text": str, "city": str}]}``."""
    events = tuple(
        WireEvent(at=_int(e["at"]), code=_str(e["code"]), text=_str(e["text"]), city=_str(e.get("city", "")))
        for e in data["events"]
    )
    return WireTracking(number=_str(data["number"]), events=events)


def parse_rates(data: Any) -> list[WireRate]:
    """``{"rates": [{"service": str, "price": "7.50", "days": int}]}``."""
    return [
        WireRate(service=_str(r["service"]), price=Decimal(_str(r["price"])), days=_int(r["days"]))
        for r in data["rates"]
    ]


def parse_error(data: Any) -> tuple[str, str]:
    """``{"error": {"code": str, "message": str}}`` -> ``(code, message)``."""
    error = data["error"]
    return _str(error["code"]), _str(error["message"])
'''

_MAPPING = '''\
"""Pure functions from ${display} wire payloads to carrier-sdk models."""

from __future__ import annotations

from datetime import UTC, datetime

from carrier_sdk import Location, Money, Rate, TrackingEvent, TrackingInfo, TrackingStatus

from ._schemas import WireRate, WireTracking

__all__ = ["STATUS_CODES", "map_status", "to_rates", "to_tracking_info"]

#: The carrier's event codes -> normalized statuses. Unknown codes map to UNKNOWN.
STATUS_CODES: dict[str, TrackingStatus] = {
    "CREATED": TrackingStatus.PRE_TRANSIT,
    "ACCEPTED": TrackingStatus.IN_TRANSIT,
    "MOVING": TrackingStatus.IN_TRANSIT,
    "OUT": TrackingStatus.OUT_FOR_DELIVERY,
    "PICKUP": TrackingStatus.AVAILABLE_FOR_PICKUP,
    "DONE": TrackingStatus.DELIVERED,
    "FAILED": TrackingStatus.DELIVERY_FAILED,
    "RETURNED": TrackingStatus.RETURNED_TO_SENDER,
    "VOID": TrackingStatus.CANCELLED,
}


def map_status(code: str, text: str = "") -> TrackingStatus:
    """The status of one event code; never raises."""
    if not isinstance(code, str):
        return TrackingStatus.UNKNOWN
    return STATUS_CODES.get(code.strip().upper(), TrackingStatus.UNKNOWN)


def to_tracking_info(carrier: str, wire: WireTracking) -> TrackingInfo:
    events = [
        TrackingEvent(
            occurred_at=datetime.fromtimestamp(e.at, UTC),
            status=map_status(e.code),
            description=e.text,
            carrier_status_code=e.code,
            carrier_status_text=e.text,
            location=Location(city=e.city) if e.city else None,
        )
        for e in wire.events
    ]
    return TrackingInfo(
        carrier=carrier,
        tracking_number=wire.number,
        status=TrackingInfo.status_of(events),
        events=events,
    )


def to_rates(carrier: str, wire: list[WireRate]) -> list[Rate]:
    return [
        Rate(
            carrier=carrier,
            service=r.service,
            service_name=r.service.replace("_", " ").title(),
            price=Money(amount=r.price, currency="USD"),
            estimated_days=r.days,
        )
        for r in wire
    ]
'''

_CARRIER = '''\
"""The ${display} adapter: every operation a sans-I/O flow."""

from __future__ import annotations

import base64
from decimal import Decimal
from typing import Any, ClassVar

import httpx
from carrier_sdk import (
    LABEL_MAX_BODY,
    Cancellation,
    Capability,
    Carrier,
    CarrierError,
    Confidence,
    Flow,
    Identification,
    Label,
    LabelFormat,
    Money,
    Rate,
    RateLimit,
    RateRequest,
    RequestOptions,
    Shipment,
    ShipmentRequest,
    TrackingInfo,
    TrackingNotFoundError,
    TrackingStatus,
    WeightUnit,
    api_request,
    s10_check_digit,
)

from . import _mapping, _schemas
from ._settings import ${Class}Settings

__all__ = ["${Class}Carrier"]


class ${Class}Carrier(Carrier):
    """${display}: tracking, rates, labels and cancellation over a JSON API."""

    code: ClassVar[str] = "${code}"
    display_name: ClassVar[str] = "${display}"
    capabilities: ClassVar[frozenset[Capability]] = frozenset(
        {Capability.TRACK, Capability.RATES, Capability.CREATE_SHIPMENT, Capability.CANCEL_SHIPMENT}
    )
    Settings: ClassVar[type[Any]] = ${Class}Settings
    docs_url: ClassVar[str] = "https://github.com/your-org/${dist}"
    fake: ClassVar[str | None] = "${package}.fake:${Class}Fake"
    supports_idempotency_key: ClassVar[bool] = True
    rate_limit: ClassVar[RateLimit | None] = RateLimit.per_second(10)
    sensitive_headers: ClassVar[frozenset[str]] = frozenset({_schemas.API_KEY_HEADER.lower()})

    @classmethod
    def recognize(cls, number: str) -> Identification | None:
        prefix = _schemas.NUMBER_PREFIX
        serial = number[len(prefix) : len(prefix) + 8]
        if (
            len(number) == len(prefix) + 9
            and number.startswith(prefix)
            and number[len(prefix) :].isdigit()
            and s10_check_digit(serial) == int(number[-1])
        ):
            return Identification(carrier=cls.code, confidence=Confidence.HIGH, reason=f"{prefix} + 8 digits + check")
        return None

    @classmethod
    def map_status(cls, code: str, text: str = "") -> TrackingStatus:
        return _mapping.map_status(code, text)

    # -- plumbing -----------------------------------------------------------------------------

    def _url(self, path: str) -> str:
        base: str = self.settings.base_url
        return base.rstrip("/") + path

    def _headers(self) -> dict[str, str]:
        return {_schemas.API_KEY_HEADER: self.settings.api_key.get_secret_value()}

    def error_details(self, response: httpx.Response) -> tuple[str | None, str | None]:
        try:
            return _schemas.parse_error(self.parse_json(response))
        except (CarrierError, KeyError, TypeError, ValueError):
            return None, None

    def _json(self, response: httpx.Response, operation: str, *, not_found: type[Any] = TrackingNotFoundError) -> Any:
        if response.status_code >= 300:
            raise self.api_error(response, operation=operation, not_found=not_found)
        return self.parse_json(response, operation=operation)

    def _bad(self, response: httpx.Response, operation: str, err: Exception) -> CarrierError:
        return self.response_error(
            response, f"unexpected {operation} payload ({type(err).__name__})", operation=operation
        )

    # -- operations ---------------------------------------------------------------------------

    def track(self, number: str) -> Flow[TrackingInfo]:
        response = yield api_request(
            "GET",
            self._url(f"/v1/tracking/{number}"),
            headers=self._headers(),
            options=RequestOptions(operation="track"),
        )
        data = self._json(response, "track")
        try:
            return _mapping.to_tracking_info(self.code, _schemas.parse_tracking(data))
        except (KeyError, TypeError, ValueError, OverflowError) as err:
            raise self._bad(response, "track", err) from None

    def rates(self, request: RateRequest) -> Flow[list[Rate]]:
        grams = sum((p.weight_in(WeightUnit.G) for p in request.parcels), Decimal(0))
        response = yield api_request(
            "POST",
            self._url("/v1/rates"),
            headers=self._headers(),
            json={"from": request.shipper.country, "to": request.recipient.country, "grams": int(grams)},
            options=RequestOptions(operation="rates", idempotent=True),
        )
        data = self._json(response, "rates")
        try:
            return _mapping.to_rates(self.code, _schemas.parse_rates(data))
        except (KeyError, TypeError, ValueError, ArithmeticError) as err:
            raise self._bad(response, "rates", err) from None

    def create_shipment(self, request: ShipmentRequest, *, idempotency_key: str) -> Flow[Shipment]:
        grams = sum((p.weight_in(WeightUnit.G) for p in request.parcels), Decimal(0))
        response = yield api_request(
            "POST",
            self._url("/v1/labels"),
            headers={**self._headers(), "Idempotency-Key": idempotency_key},
            json={
                "service": request.service or "standard",
                "to": {"name": request.recipient.name, "country": request.recipient.country},
                "grams": int(grams),
                "reference": request.reference,
            },
            options=RequestOptions(
                operation="create_shipment",
                idempotent=False,
                purchase=True,
                idempotency_key=idempotency_key,
                reference=request.reference or None,
                max_body=LABEL_MAX_BODY,
            ),
        )
        data = self._json(response, "create_shipment")
        try:
            return Shipment(
                carrier=self.code,
                tracking_number=str(data["number"]),
                label=Label(format=LabelFormat.PDF, data=base64.b64decode(data["label"], validate=True)),
                price=Money(amount=data["price"], currency="USD"),
                service=str(data["service"]),
                idempotency_key=idempotency_key,
            )
        except (KeyError, TypeError, ValueError, ArithmeticError, CarrierError) as err:
            raise self._bad(response, "create_shipment", err) from None

    def cancel_shipment(self, tracking_number: str) -> Flow[Cancellation]:
        response = yield api_request(
            "DELETE",
            self._url(f"/v1/labels/{tracking_number}"),
            headers=self._headers(),
            options=RequestOptions(operation="cancel_shipment"),
        )
        data = self._json(response, "cancel_shipment")
        try:
            status = str(data["status"])
        except (KeyError, TypeError) as err:
            raise self._bad(response, "cancel_shipment", err) from None
        return Cancellation(
            carrier=self.code, tracking_number=tracking_number, cancelled=status == "VOID", status=status
        )
'''

_FAKE = '''\
"""A stateful fake of the ${display} API, for tests, the sandbox and benchmarks.

Not imported by the package: carrier-sdk imports it from ``${Class}Carrier.fake`` on demand.
"""

from __future__ import annotations

import base64
import json
from decimal import Decimal
from typing import Any, ClassVar

import httpx
from carrier_sdk import s10_check_digit
from carrier_sdk.fakes import FakeCarrierAPI, Handler, stable_random

from ._schemas import API_KEY_HEADER, NUMBER_PREFIX, PRODUCTION_URL

__all__ = ["${Class}Fake", "number"]


def number(serial: int) -> str:
    """A valid ${display} tracking number for an 8-digit ``serial``."""
    digits = f"{serial:08d}"
    return f"{NUMBER_PREFIX}{digits}{s10_check_digit(digits)}"


_PATHS: dict[str, list[str]] = {  # scenario name -> event codes (its number: position + 1)
    "delivered": ["CREATED", "ACCEPTED", "MOVING", "OUT", "DONE"],
    "in_transit": ["CREATED", "ACCEPTED", "MOVING"],
    "pre_transit": ["CREATED"],
    "out_for_delivery": ["CREATED", "ACCEPTED", "MOVING", "OUT"],
    "available_for_pickup": ["CREATED", "ACCEPTED", "MOVING", "PICKUP"],
    "delivery_failed": ["CREATED", "ACCEPTED", "MOVING", "OUT", "FAILED"],
    "returned_to_sender": ["CREATED", "ACCEPTED", "MOVING", "FAILED", "RETURNED"],
    "cancelled": ["CREATED", "VOID"],
}
_CITIES = ("Springfield", "Riverside", "Fairview", "Greenville", "Madison")


class ${Class}Fake(FakeCarrierAPI):
    """In-memory ${display} API: labels bought here become trackable; cancels stick."""

    carrier_code: ClassVar[str] = "${code}"
    base_urls: ClassVar[tuple[str, ...]] = (PRODUCTION_URL,)
    scenario_numbers: ClassVar[dict[str, str]] = {
        **{status: number(i + 1) for i, status in enumerate(_PATHS)},
        "unknown": number(99_999_999),
        "fault_server_error": number(99_999_001),
        "fault_timeout": number(99_999_002),
        "fault_rate_limited": number(99_999_003),
    }
    api_key_id = "sandbox"
    api_key = "${code}-sandbox-key"

    def reset_state(self) -> None:
        self.labels: dict[str, dict[str, Any]] = {}
        self.by_key: dict[str, str] = {}
        self.charges: list[tuple[str, Decimal]] = []
        self._serial = 50_000_000

    def settings(self, base_url: str | None = None) -> dict[str, object]:
        return {"api_key_id": self.api_key_id, "api_key": self.api_key, "base_url": base_url or PRODUCTION_URL}

    def error_response(self, status: int, message: str) -> httpx.Response:
        return httpx.Response(status, json={"error": {"code": f"E{status}", "message": message}})

    def route(self, request: httpx.Request) -> tuple[str, Handler]:
        path, method = request.url.path, request.method
        if request.headers.get(API_KEY_HEADER) != self.api_key:
            return "auth", lambda r: self.error_response(401, "invalid API key")
        if method == "GET" and path.startswith("/v1/tracking/"):
            return "track", self._track
        if method == "POST" and path == "/v1/rates":
            return "rates", self._rates
        if method == "POST" and path == "/v1/labels":
            return "create_shipment", self._create
        if method == "DELETE" and path.startswith("/v1/labels/"):
            return "cancel_shipment", self._cancel
        raise LookupError(path)

    # -- tracking -----------------------------------------------------------------------------

    def _scenario(self, tracking_number: str) -> str | None:
        for name, scenario_number in self.scenario_numbers.items():
            if scenario_number == tracking_number:
                return name
        return None

    def history(self, tracking_number: str) -> dict[str, Any] | None:
        """The deterministic history of ``tracking_number`` (``None``: unknown)."""
        rng = stable_random(self.seed, tracking_number)
        label = self.labels.get(tracking_number)
        plan = self.planned(tracking_number)  # moved by Sandbox.advance (or handed over by another carrier)
        if plan is not None and plan[1] in _PATHS:
            codes, start = _PATHS[plan[1]], int(plan[0])
        elif label is not None:
            codes, start = (["CREATED", "VOID"] if label["cancelled"] else ["CREATED"]), label["at"]
        else:
            scenario = self._scenario(tracking_number)
            if scenario == "unknown":
                return None
            codes = _PATHS.get(scenario or "") or _PATHS["delivered"][: rng.randint(1, 5)]
            start = 1_700_000_000 + rng.randint(0, 20_000_000)
        events = []
        at = start
        for code in codes:
            events.append({"at": at, "code": code, "text": code.title(), "city": rng.choice(_CITIES)})
            at += 3600 * rng.randint(2, 30)  # strictly increasing: the last event gives the status
        return {"number": tracking_number, "events": events}

    def _track(self, request: httpx.Request) -> httpx.Response:
        tracking_number = request.url.path.rsplit("/", 1)[-1]
        scenario = self._scenario(tracking_number)
        if scenario == "fault_server_error":
            return self.error_response(500, "scenario: internal error")
        if scenario == "fault_rate_limited":
            return self._rate_limited(1.0)
        if scenario == "fault_timeout":
            raise httpx.ReadTimeout("scenario: read timed out", request=request)
        history = self.history(tracking_number)
        if history is None:
            return self.error_response(404, "tracking number not found")
        return httpx.Response(200, json=history)

    # -- rates and labels ---------------------------------------------------------------------

    @staticmethod
    def _price(grams: int, service: str) -> Decimal:
        base = Decimal("4.50") + Decimal(grams) / 1000 * Decimal("1.20")
        return (base * (Decimal(3) if service == "express" else Decimal(1))).quantize(Decimal("0.01"))

    def _rates(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        grams = int(body["grams"])
        rates = [
            {"service": "standard", "price": str(self._price(grams, "standard")), "days": 5},
            {"service": "express", "price": str(self._price(grams, "express")), "days": 2},
        ]
        return httpx.Response(200, json={"rates": rates})

    def _create(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        key = request.headers.get("idempotency-key", "")
        if key and key in self.by_key:
            tracking_number = self.by_key[key]
        else:
            self._serial += 1
            tracking_number = number(self._serial)
            price = self._price(int(body["grams"]), body["service"])
            self.labels[tracking_number] = {"cancelled": False, "at": int(self.clock()), "price": price}
            self.charges.append((tracking_number, price))
            if key:
                self.by_key[key] = tracking_number
        label = self.labels[tracking_number]
        pdf = b"%PDF-1.4 fake label " + tracking_number.encode()
        return httpx.Response(
            201,
            json={
                "number": tracking_number,
                "label": base64.b64encode(pdf).decode(),
                "price": str(label["price"]),
                "service": body["service"],
            },
        )

    def _cancel(self, request: httpx.Request) -> httpx.Response:
        tracking_number = request.url.path.rsplit("/", 1)[-1]
        label = self.labels.get(tracking_number)
        if label is None:
            return self.error_response(404, "no such label")
        label["cancelled"] = True
        return httpx.Response(200, json={"status": "VOID"})
'''

_CONFTEST = """\
from __future__ import annotations

import pytest


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
"""

_TEST_CARRIER = '''\
"""Unit tests of the ${display} adapter against its fake."""

from __future__ import annotations

import pytest
from carrier_sdk import (
    Address,
    CarrierRegistry,
    Client,
    OutcomeUnknownError,
    Parcel,
    ResponseError,
    ShipmentRequest,
    TrackingStatus,
)
from carrier_sdk.fakes import FaultKind

from ${package} import ${Class}Carrier
from ${package}.fake import ${Class}Fake, number

ADDRESS = Address(name="Ada", street1="1 Main St", city="Springfield", country="US")
REQUEST = ShipmentRequest(shipper=ADDRESS, recipient=ADDRESS, parcels=(Parcel(weight=2),), reference="order-1")


@pytest.fixture
def api() -> ${Class}Fake:
    return ${Class}Fake()


@pytest.fixture
def client(api: ${Class}Fake) -> Client:
    registry = CarrierRegistry()
    registry.add(${Class}Carrier)
    settings = {"${code}": api.settings()}
    return Client(settings=settings, registry=registry, transport=api.transport(), sleep=lambda s: None)


def test_recognize() -> None:
    assert ${Class}Carrier.recognize(number(12345678)) is not None
    assert ${Class}Carrier.recognize(number(12345678)[:-1] + "0" if number(12345678)[-1] != "0" else "X") is None
    assert ${Class}Carrier.recognize("NOT-A-NUMBER") is None


def test_map_status() -> None:
    assert ${Class}Carrier.map_status("DONE") is TrackingStatus.DELIVERED
    assert ${Class}Carrier.map_status("done ") is TrackingStatus.DELIVERED
    assert ${Class}Carrier.map_status("SOMETHING NEW") is TrackingStatus.UNKNOWN


def test_track_delivered(client: Client) -> None:
    info = client.track(${Class}Fake.scenario_numbers["delivered"])
    assert info.status is TrackingStatus.DELIVERED
    assert [e.carrier_status_code for e in info.events][-1] == "DONE"


def test_malformed_tracking_payload(client: Client, api: ${Class}Fake) -> None:
    api.inject(FaultKind.MALFORMED, operation="track")
    with pytest.raises(ResponseError):
        client.track(${Class}Fake.scenario_numbers["delivered"])


def test_label_then_cancel(client: Client, api: ${Class}Fake) -> None:
    shipment = client.create_shipment("${code}", REQUEST, idempotency_key="k-1")
    assert shipment.label is not None
    assert shipment.label.data.startswith(b"%PDF")
    assert client.track(shipment.tracking_number).status is TrackingStatus.PRE_TRANSIT
    assert client.cancel_shipment("${code}", shipment.tracking_number).cancelled
    assert client.track(shipment.tracking_number).status is TrackingStatus.CANCELLED
    assert len(api.charges) == 1


def test_lost_label_response_is_retried_with_the_same_key(client: Client, api: ${Class}Fake) -> None:
    api.inject(FaultKind.LOST_RESPONSE, operation="create_shipment")
    shipment = client.create_shipment("${code}", REQUEST, idempotency_key="k-2")
    assert list(api.labels) == [shipment.tracking_number]


def test_without_key_support_a_lost_response_is_an_unknown_outcome(api: ${Class}Fake) -> None:
    class NoKeys(${Class}Carrier):
        supports_idempotency_key = False

    registry = CarrierRegistry()
    registry.add(NoKeys)
    client = Client(settings={"${code}": api.settings()}, registry=registry, transport=api.transport())
    api.inject(FaultKind.LOST_RESPONSE, operation="create_shipment")
    with pytest.raises(OutcomeUnknownError):
        client.create_shipment("${code}", REQUEST, idempotency_key="k-3")
'''

_TEST_CONFORMANCE = '''\
"""carrier-sdk's conformance suite, run against this adapter and its fake."""

from __future__ import annotations

from carrier_sdk.testing.conformance import CarrierConformance

from ${package} import ${Class}Carrier


class Test${Class}Conformance(CarrierConformance):
    carrier = ${Class}Carrier
'''

_TEMPLATES: dict[str, str] = {
    "pyproject.toml": _PYPROJECT,
    "README.md": _README,
    "${package}/__init__.py": _INIT,
    "${package}/py.typed": "",
    "${package}/_settings.py": _SETTINGS,
    "${package}/_schemas.py": _SCHEMAS,
    "${package}/_mapping.py": _MAPPING,
    "${package}/_carrier.py": _CARRIER,
    "${package}/fake.py": _FAKE,
    "tests/__init__.py": "",
    "tests/conftest.py": _CONFTEST,
    "tests/test_carrier.py": _TEST_CARRIER,
    "tests/test_conformance.py": _TEST_CONFORMANCE,
}
