"""The adapter conformance suite: every adapter runs it against itself with a few lines.

.. code-block:: python

    from carrier_sdk.testing.conformance import CarrierConformance
    from carrier_sdk_acme import AcmeCarrier


    class TestAcmeConformance(CarrierConformance):
        carrier = AcmeCarrier  # the fake is taken from AcmeCarrier.fake

It checks metadata, that declared capabilities match the operations overridden, that
unsupported operations are refused before any I/O, that every declared operation round-trips
against the adapter's fake on both clients, that errors are typed, that ``map_status`` never
raises, that secrets never reach a ``repr``, a log record or an exception, that ``recognize``
agrees with the fake's scenario numbers, and that the sandbox (in memory and over the loopback
server) serves the adapter.

Override the class attributes ``sample_address``, ``sample_rate_request``,
``sample_shipment_request`` (or ``home_country``) when the generic requests do not suit your
carrier, and :meth:`CarrierConformance.bad_settings` when replacing the secrets is not enough to
fail authentication. Async tests run under anyio (``anyio_backend`` is defined here).

.. versionadded:: 0.1
"""

from __future__ import annotations

import logging
import pickle
import string
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, ClassVar

import attrs
import httpx
import pytest

from .._bulk_ship import AsyncShipmentIterator, ShipmentResult, ShipmentSummary
from .._carrier import Carrier
from .._client import AsyncClient, Client
from .._day import Manifest, Pickup, PickupAvailability, PickupRequest
from .._enums import Capability, LocationKind, TrackingStatus
from .._exceptions import (
    APIConnectionError,
    AuthenticationError,
    CarrierError,
    CarrierServerError,
    OutcomeUnknownError,
    RateLimitError,
    ResponseError,
    TrackingNotFoundError,
    UnsupportedOperationError,
    ValidationError,
)
from .._identify import normalize_number
from .._locations import ServiceLocation
from .._models import TrackingInfo
from .._registry import CarrierRegistry
from .._settings import Secret, load_settings
from .._shipping import Address, AddressCheck, Cancellation, Parcel, Rate, RateRequest, Shipment, ShipmentRequest
from ..fakes import FakeCarrierAPI, FaultKind, FaultOptions, stable_random
from ..sandbox import Sandbox, load_fake
from ._kit import CLIENT_KINDS, ClientKind, OperationRunner, make_client, make_registry, offline_transport
from ._recognition import assert_recognized
from ._samples import sample_addresses

__all__ = ["CarrierConformance", "sample_addresses"]

#: Canary secret threaded through every Secret field by the leak check.
CANARY = "cAnArY-5ecret-7f3a9e21"

_STATUS_VALUES = {s.value for s in TrackingStatus}
_FAULT_SCENARIOS: dict[str, tuple[type[Exception], ...]] = {
    "fault_server_error": (CarrierServerError,),
    "fault_timeout": (APIConnectionError,),
    "fault_rate_limited": (RateLimitError,),
}


def _routes(api: FakeCarrierAPI, request: httpx.Request) -> bool:
    try:
        api.route(request)
    except LookupError:
        return False
    return True


def _mutate(body: bytes, mutation: str) -> bytes:
    """A success body made unusable: cut in half, reshaped (names renamed, values kept) or emptied."""
    import re

    if mutation == "empty":
        return b""
    if mutation == "truncated":
        return body[: len(body) // 2]
    renamed = re.sub(rb'"([A-Za-z_][\w-]*)"(\s*:)', rb'"x_\1"\2', body)
    return re.sub(rb"<(/?)((?:[\w.-]+:)?)([A-Za-z_][\w.-]*)", rb"<\1\2x_\3", renamed)


def _text_of(value: Any) -> str:
    try:
        return repr(value) + "\n" + str(value)
    except Exception as err:  # pragma: no cover - a repr that raises is a bug of its own
        return f"<repr failed: {err!r}>"


class CarrierConformance:
    """Subclass as ``Test<Name>Conformance`` and set :attr:`carrier`.

    Attributes:
        carrier: The adapter class under test.
        fake_class: The fake (default: imported from ``carrier.fake``).
        home_country: Country of the generic sample addresses.
        sample_address: Address used for ``validate_address`` (default: a home-country address).
        sample_rate_request: Request used for ``rates``.
        sample_shipment_request: Request used for ``create_shipment``.
    """

    carrier: ClassVar[type[Carrier]]
    fake_class: ClassVar[type[FakeCarrierAPI] | None] = None
    home_country: ClassVar[str] = "US"
    sample_address: ClassVar[Address | None] = None
    sample_rate_request: ClassVar[RateRequest | None] = None
    sample_shipment_request: ClassVar[ShipmentRequest | None] = None

    # -- hooks for adapter authors ----------------------------------------------------------

    @classmethod
    def get_fake_class(cls) -> type[FakeCarrierAPI]:
        return cls.fake_class if cls.fake_class is not None else load_fake(cls.carrier)

    def make_fake(self) -> FakeCarrierAPI:
        """A fresh fake (override to pass options)."""
        return self.get_fake_class()(seed=0)

    def good_settings(self, api: FakeCarrierAPI) -> dict[str, object]:
        """Settings that authenticate against ``api``."""
        return dict(api.settings())

    def secret_fields(self, api: FakeCarrierAPI) -> list[str]:
        """Names of the settings fields holding a :class:`Secret`."""
        built = load_settings(self.carrier, self.good_settings(api), environ={})
        return [f.name for f in attrs.fields(type(built)) if isinstance(getattr(built, f.name), Secret)]

    def bad_settings(self, api: FakeCarrierAPI) -> dict[str, object] | None:
        """Settings the fake must reject with an authentication error (``None``: skip the check).

        Default: every Secret field replaced by a wrong value.
        """
        fields = self.secret_fields(api)
        if not fields:
            return None
        return {**self.good_settings(api), **dict.fromkeys(fields, "wrong-" + CANARY)}

    def addresses(self) -> tuple[Address, Address]:
        return sample_addresses(self.home_country)

    def address(self) -> Address:
        return self.sample_address or self.addresses()[1]

    def parcel(self) -> Parcel:
        return Parcel(weight=Decimal("1.2"), length=Decimal(20), width=Decimal(15), height=Decimal(10))

    def rate_request(self) -> RateRequest:
        if self.sample_rate_request is not None:
            return self.sample_rate_request
        shipper, recipient = self.addresses()
        return RateRequest(shipper=shipper, recipient=recipient, parcels=(self.parcel(),))

    def shipment_request(self) -> ShipmentRequest:
        if self.sample_shipment_request is not None:
            return self.sample_shipment_request
        shipper, recipient = self.addresses()
        return ShipmentRequest(
            shipper=shipper, recipient=recipient, parcels=(self.parcel(),), reference="conformance-1"
        )

    # -- fixtures ---------------------------------------------------------------------------

    @pytest.fixture
    def anyio_backend(self) -> str:
        return "asyncio"

    @pytest.fixture
    def api(self) -> FakeCarrierAPI:
        return self.make_fake()

    @pytest.fixture
    def registry(self) -> CarrierRegistry:
        return make_registry(self.carrier)

    def build_client(
        self,
        kind: ClientKind,
        registry: CarrierRegistry,
        api: FakeCarrierAPI,
        *,
        settings: Mapping[str, object] | None = None,
        transport: httpx.BaseTransport | httpx.AsyncBaseTransport | None = None,
        **kwargs: Any,
    ) -> Client | AsyncClient:
        """A client of ``kind`` (``"sync"``/``"async"``) wired to ``api``, in virtual time."""
        config = {self.carrier.code: settings if settings is not None else self.good_settings(api)}
        wanted = httpx.BaseTransport if kind == "sync" else httpx.AsyncBaseTransport
        if transport is not None and not isinstance(transport, wanted):
            raise TypeError(f"a {kind} client needs an httpx.{wanted.__name__}")
        return make_client(kind, settings=config, registry=registry, transport=transport or api.transport(), **kwargs)

    @pytest.fixture(params=CLIENT_KINDS)
    def client_kind(self, request: pytest.FixtureRequest) -> ClientKind:
        kind: ClientKind = request.param
        return kind

    @pytest.fixture
    def make_runner(
        self, client_kind: ClientKind, registry: CarrierRegistry, api: FakeCarrierAPI
    ) -> Callable[..., OperationRunner]:
        def make(**kwargs: Any) -> OperationRunner:
            return OperationRunner(self.build_client(client_kind, registry, api, **kwargs))

        return make

    @pytest.fixture
    def runner(self, make_runner: Callable[..., OperationRunner]) -> OperationRunner:
        return make_runner()

    @pytest.fixture
    def offline_runner(self, make_runner: Callable[..., OperationRunner]) -> OperationRunner:
        """A runner whose client may send nothing: any request fails the test."""
        return make_runner(transport=offline_transport())

    # -- helpers ----------------------------------------------------------------------------

    def has(self, capability: Capability) -> bool:
        return capability in self.carrier.capabilities

    def require(self, capability: Capability) -> None:
        """Skip the test unless the adapter declares ``capability``."""
        if not self.has(capability):
            pytest.skip(f"{capability.name} not declared")

    def status_numbers(self) -> dict[str, str]:
        numbers = self.get_fake_class().scenario_numbers
        return {k: v for k, v in numbers.items() if k in _STATUS_VALUES and k != "unknown"}

    def any_number(self) -> str:
        numbers = self.get_fake_class().scenario_numbers
        for key in ("in_transit", "delivered", *sorted(self.status_numbers())):
            if key in numbers:
                return numbers[key]
        raise AssertionError("the fake documents no scenario number with a tracking status")

    def probe(self) -> tuple[str, tuple[object, ...]]:
        """One cheap declared operation and its arguments (for the error checks)."""
        if self.has(Capability.TRACK):
            return "track", (self.any_number(),)
        if self.has(Capability.VALIDATE_ADDRESS):
            return "validate_address", (self.carrier.code, self.address())
        if self.has(Capability.RATES):
            return "rates", (self.carrier.code, self.rate_request())
        pytest.skip("no read-only operation declared")

    async def _bought(self, runner: OperationRunner, operation: str, request: ShipmentRequest, key: str) -> Shipment:
        """Buy through ``operation``; the label names this carrier, a number and the key."""
        shipment = await runner.call(operation, self.carrier.code, request, idempotency_key=key)
        assert isinstance(shipment, Shipment)
        assert shipment.carrier == self.carrier.code
        assert shipment.tracking_number
        assert shipment.idempotency_key == key
        return shipment

    async def _trackable(self, runner: OperationRunner, shipment: Shipment, what: str) -> None:
        if self.has(Capability.TRACK):
            info = await runner.call("track", shipment.tracking_number, carrier=self.carrier.code)
            assert info.carrier == self.carrier.code, f"{what} bought from the fake become trackable"

    async def call_probe(self, runner: OperationRunner) -> Any:
        method, args = self.probe()
        kwargs = {"carrier": self.carrier.code} if method == "track" else {}
        return await runner.call(method, *args, **kwargs)

    # == metadata ===========================================================================

    def test_metadata(self) -> None:
        carrier = self.carrier
        assert isinstance(carrier.code, str)
        assert carrier.code.isidentifier(), "code must be an identifier"
        assert carrier.code == carrier.code.lower(), "code must be lowercase"
        assert isinstance(carrier.display_name, str)
        assert carrier.display_name.strip(), "display_name must not be empty"
        assert isinstance(carrier.capabilities, frozenset)
        assert carrier.capabilities, "an adapter declares at least one capability"
        assert all(isinstance(c, Capability) for c in carrier.capabilities)
        assert attrs.has(carrier.Settings), "Settings must be an attrs class"
        assert isinstance(carrier.batch_size, int)
        assert carrier.batch_size >= 1
        assert all(h == h.lower() for h in carrier.sensitive_headers), "sensitive_headers are lower case"
        CarrierRegistry().add(carrier)  # the registry's own checks

    def test_fake_importable(self) -> None:
        fake_cls = self.get_fake_class()
        assert issubclass(fake_cls, FakeCarrierAPI)
        assert fake_cls.carrier_code == self.carrier.code
        assert fake_cls.base_urls, "the fake needs at least one base URL"
        assert all(isinstance(b, str) and b.startswith(("http://", "https://")) for b in fake_cls.base_urls)
        numbers = fake_cls.scenario_numbers
        assert "unknown" in numbers, "scenario_numbers needs an 'unknown' (not found) number"
        assert self.status_numbers(), "scenario_numbers needs numbers keyed by TrackingStatus values"
        for key, value in numbers.items():  # extra documented scenarios are welcome
            assert key.isidentifier(), f"scenario name {key!r} must be an identifier"
            assert key == key.lower(), f"scenario name {key!r} must be lower case"
            assert isinstance(value, str), f"scenario {key!r} must be a number (str)"
            assert value, f"scenario {key!r} is empty"

    def test_capabilities_match_methods(self) -> None:
        for capability in Capability:
            name = CarrierRegistry.operation_for(capability)
            overridden = getattr(self.carrier, name) is not getattr(Carrier, name)
            declared = capability in self.carrier.capabilities
            assert overridden == declared, f"{capability.value}: declared={declared} but method overridden={overridden}"

    # == refusals before I/O ================================================================

    @pytest.mark.anyio
    async def test_unsupported_operations_refused_before_io(
        self, offline_runner: OperationRunner, api: FakeCarrierAPI
    ) -> None:
        code = self.carrier.code
        calls: dict[Capability, tuple[str, tuple[Any, ...], dict[str, Any]]] = {
            Capability.TRACK: ("track", (self.any_number(),), {"carrier": code}),
            Capability.RATES: ("rates", (code, self.rate_request()), {}),
            Capability.CREATE_SHIPMENT: ("create_shipment", (code, self.shipment_request()), {}),
            Capability.CANCEL_SHIPMENT: ("cancel_shipment", (code, self.any_number()), {}),
            Capability.VALIDATE_ADDRESS: ("validate_address", (code, self.address()), {}),
            Capability.CREATE_RETURN_LABEL: ("create_return_label", (code, self.shipment_request()), {}),
            Capability.CREATE_MANIFEST: ("create_manifest", (code, [self.any_number()]), {"origin": self.address()}),
            Capability.SCHEDULE_PICKUP: ("schedule_pickup", (code, self.pickup_request()), {}),
            Capability.CANCEL_PICKUP: ("cancel_pickup", (code, "CONF123"), {}),
            Capability.PICKUP_AVAILABILITY: ("pickup_availability", (code, self.address()), {}),
            Capability.FIND_LOCATIONS: ("find_locations", (code, self.address()), {}),
        }
        for capability, (method, args, kwargs) in calls.items():
            if capability in self.carrier.capabilities:
                continue
            with pytest.raises(UnsupportedOperationError):
                await offline_runner.call(method, *args, **kwargs)
        assert not api.requests

    # == round trips ========================================================================

    @pytest.mark.anyio
    async def test_track_scenarios(self, runner: OperationRunner) -> None:
        self.require(Capability.TRACK)
        for status, number in self.status_numbers().items():
            info = await runner.call("track", number, carrier=self.carrier.code)
            assert isinstance(info, TrackingInfo)
            assert info.carrier == self.carrier.code
            assert normalize_number(info.tracking_number) == normalize_number(number)
            assert info.status == TrackingStatus(status), f"scenario {status}: got {info.status}"
            assert info.events, f"scenario {status}: a history has events"

    @pytest.mark.anyio
    async def test_track_unknown_number_is_not_found(self, runner: OperationRunner) -> None:
        self.require(Capability.TRACK)
        with pytest.raises(TrackingNotFoundError) as caught:
            await runner.call("track", self.get_fake_class().scenario_numbers["unknown"], carrier=self.carrier.code)
        assert caught.value.carrier == self.carrier.code

    @pytest.mark.anyio
    async def test_track_fault_scenarios(self, runner: OperationRunner) -> None:
        self.require(Capability.TRACK)
        numbers = self.get_fake_class().scenario_numbers
        present = [k for k in _FAULT_SCENARIOS if k in numbers]
        if not present:
            pytest.skip("the fake documents no fault scenario numbers")
        for key in present:
            with pytest.raises(_FAULT_SCENARIOS[key]):
                await runner.call("track", numbers[key], carrier=self.carrier.code)

    @pytest.mark.anyio
    async def test_track_handover(self, runner: OperationRunner) -> None:
        """The documented cross-border hand-over names the other leg's number."""
        number = self.get_fake_class().scenario_numbers.get("handover")
        if number is None or not self.has(Capability.TRACK):
            pytest.skip("the fake documents no hand-over scenario")
        info = await runner.call("track", number, carrier=self.carrier.code)
        assert info.related_numbers, "a hand-over history names the related number(s)"
        assert all(r.tracking_number for r in info.related_numbers)

    @pytest.mark.anyio
    async def test_track_is_deterministic(self, registry: CarrierRegistry, client_kind: ClientKind) -> None:
        self.require(Capability.TRACK)
        results = []
        for _ in range(2):
            api = self.make_fake()
            runner = OperationRunner(self.build_client(client_kind, registry, api))
            results.append(
                [await runner.call("track", n, carrier=self.carrier.code) for n in self.status_numbers().values()]
            )
        assert results[0] == results[1]

    @pytest.mark.anyio
    async def test_track_batch(self, runner: OperationRunner) -> None:
        self.require(Capability.TRACK_BATCH)
        numbers = dict(self.status_numbers())
        unknown = self.get_fake_class().scenario_numbers["unknown"]
        results = await runner.call("track_many", [*numbers.values(), unknown], carrier=self.carrier.code)
        by_number = {normalize_number(r.number): r for r in results}
        assert len(by_number) == len(numbers) + 1
        for status, number in numbers.items():
            result = by_number[normalize_number(number)]
            assert result.error is None, f"{status}: {result.error!r}"
            assert result.info is not None
            assert result.info.status == TrackingStatus(status)
        assert isinstance(by_number[normalize_number(unknown)].error, TrackingNotFoundError)

    @pytest.mark.anyio
    async def test_rates(self, runner: OperationRunner) -> None:
        self.require(Capability.RATES)
        rates = await runner.call("rates", self.carrier.code, self.rate_request())
        assert isinstance(rates, list)
        assert rates, "the fake should quote at least one service"
        for rate in rates:
            assert isinstance(rate, Rate)
            assert rate.carrier == self.carrier.code
            assert rate.service
            assert rate.price.amount >= 0

    @pytest.mark.anyio
    async def test_create_shipment_round_trip(self, runner: OperationRunner, api: FakeCarrierAPI) -> None:
        self.require(Capability.CREATE_SHIPMENT)
        code = self.carrier.code
        shipment = await self._bought(runner, "create_shipment", self.shipment_request(), "conf-key-1")
        await self._trackable(runner, shipment, "labels")
        if self.has(Capability.CANCEL_SHIPMENT):
            cancellation = await runner.call("cancel_shipment", code, shipment.tracking_number)
            assert isinstance(cancellation, Cancellation)
            assert cancellation.carrier == code
            assert cancellation.cancelled

    @pytest.mark.anyio
    async def test_create_shipment_lost_response(self, runner: OperationRunner, api: FakeCarrierAPI) -> None:
        """A purchase whose response is lost: retried safely with a key, else OutcomeUnknownError."""
        self.require(Capability.CREATE_SHIPMENT)
        code = self.carrier.code
        # Warm up (e.g. an OAuth token) so the fault hits the purchase itself.
        operation = self._purchase_operation(api)
        api.inject(FaultKind.LOST_RESPONSE, operation=operation)
        if self.carrier.supports_idempotency_key:
            shipment = await runner.call("create_shipment", code, self.shipment_request(), idempotency_key="lost-1")
            assert shipment.tracking_number
            labels = getattr(api, "labels", None)
            if labels is not None:
                assert len(labels) == 1, "a retried purchase must not buy twice"
        else:
            with pytest.raises(OutcomeUnknownError) as caught:
                await runner.call("create_shipment", code, self.shipment_request(), idempotency_key="lost-1")
            assert caught.value.idempotency_key == "lost-1"

    @pytest.mark.anyio
    @pytest.mark.parametrize("mutation", ["truncated", "reshaped", "empty"])
    async def test_purchase_2xx_then_failure_is_outcome_unknown(
        self, client_kind: ClientKind, registry: CarrierRegistry, api: FakeCarrierAPI, mutation: str
    ) -> None:
        """A purchase answered 2xx whose body then fails is OutcomeUnknownError, never ResponseError.

        The purchase's success answer from the fake is truncated, reshaped (every JSON key and
        XML element renamed) or emptied; the caller must get the key, the reference the request
        carried, a redacted excerpt of the answer, and the purchase must have been sent once.
        """
        self.require(Capability.CREATE_SHIPMENT)
        from .._flow import options_of

        purchases: list[Any] = []

        def handler(request: httpx.Request) -> httpx.Response:
            response = api.handle(request)
            options = options_of(request)
            if not options.purchase:
                return response
            purchases.append(options)
            if not 200 <= response.status_code < 300:
                return response
            headers = {
                k: v for k, v in response.headers.items() if k.lower() not in ("content-length", "content-encoding")
            }
            return httpx.Response(response.status_code, headers=headers, content=_mutate(response.read(), mutation))

        client = self.build_client(client_kind, registry, api, transport=httpx.MockTransport(handler), max_retries=2)
        runner = OperationRunner(client)
        code = self.carrier.code
        with pytest.raises(OutcomeUnknownError) as caught:
            await runner.call("create_shipment", code, self.shipment_request(), idempotency_key="conf-2xx-key")
        err = caught.value
        assert len(purchases) == 1, f"the purchase was sent {len(purchases)} times"
        assert not isinstance(err, ResponseError)
        assert err.carrier == code
        assert err.idempotency_key == "conf-2xx-key"
        assert err.reference == purchases[0].reference
        assert err.response is not None, "the redacted excerpt of the 2xx answer is kept"
        assert 200 <= err.response.status_code < 300
        assert len(err.response.content) <= 2048
        assert isinstance(err.identifiers, dict)
        clone = pickle.loads(pickle.dumps(err))
        assert clone.idempotency_key == "conf-2xx-key"

    def _purchase_operation(self, api: FakeCarrierAPI) -> str:
        """The fake's operation name for label purchase (discovered by a dry run on a copy)."""
        probe = self.make_fake()
        client = self.build_client("sync", self._registry(), probe)
        assert isinstance(client, Client)
        before = dict(probe.calls)
        client.create_shipment(self.carrier.code, self.shipment_request(), idempotency_key="probe")
        labels_ops = [op for op, n in probe.calls.items() if n > before.get(op, 0)]
        return labels_ops[-1]

    def _registry(self) -> CarrierRegistry:
        return make_registry(self.carrier)

    @pytest.mark.anyio
    async def test_validate_address(self, runner: OperationRunner) -> None:
        self.require(Capability.VALIDATE_ADDRESS)
        check = await runner.call("validate_address", self.carrier.code, self.address())
        assert isinstance(check, AddressCheck)
        assert check.carrier == self.carrier.code

    # == typed errors =======================================================================

    @pytest.mark.anyio
    async def test_authentication_failure(
        self, client_kind: ClientKind, registry: CarrierRegistry, api: FakeCarrierAPI
    ) -> None:
        bad = self.bad_settings(api)
        if bad is None:
            pytest.skip("the settings hold no secret to get wrong")
        runner = OperationRunner(self.build_client(client_kind, registry, api, settings=bad))
        with pytest.raises(AuthenticationError) as caught:
            await self.call_probe(runner)
        assert caught.value.carrier == self.carrier.code

    @pytest.mark.anyio
    @pytest.mark.parametrize(
        ("fault", "options", "error", "expected"),
        [
            ("rate_limited", FaultOptions(retry_after=2), RateLimitError, {"status_code": 429, "retry_after": 2}),
            ("server_error", FaultOptions(status=503), CarrierServerError, {"status_code": 503}),
        ],
        ids=["rate_limited", "server_error"],
    )
    async def test_fault_without_retries(
        self,
        make_runner: Callable[..., OperationRunner],
        api: FakeCarrierAPI,
        fault: str,
        options: FaultOptions,
        error: type[CarrierError],
        expected: dict[str, object],
    ) -> None:
        """A fault the caller does not retry surfaces as its typed error, with the status (and wait)."""
        api.inject(FaultKind(fault), **options)  # on the next call only (count=1 by default)
        with pytest.raises(error) as caught:
            await self.call_probe(make_runner(max_retries=0))
        assert {name: getattr(caught.value, name) for name in expected} == expected

    @pytest.mark.anyio
    async def test_server_error_is_retried(self, runner: OperationRunner, api: FakeCarrierAPI) -> None:
        api.inject(FaultKind.SERVER_ERROR, count=1, status=502)
        assert await self.call_probe(runner) is not None

    @pytest.mark.anyio
    async def test_malformed_body(self, runner: OperationRunner, api: FakeCarrierAPI) -> None:
        api.inject(FaultKind.MALFORMED, count=1)
        with pytest.raises(ResponseError):
            await self.call_probe(runner)

    def test_track_survives_hostile_bodies(self, registry: CarrierRegistry, api: FakeCarrierAPI) -> None:
        """~300 hostile or malformed tracking bodies: each ends as a result or a typed error, fast."""
        import time

        from ._hostile import hostile_bodies

        self.require(Capability.TRACK)
        number = self.any_number()
        captured: dict[str, httpx.Response] = {}

        def record(request: httpx.Request) -> httpx.Response:
            response = api.handle(request)
            operation = api.route(request)[0] if _routes(api, request) else ""
            if operation in ("track", "track_batch"):
                captured["response"] = response
            return response

        client = self.build_client("sync", registry, api, transport=httpx.MockTransport(record), max_retries=0)
        assert isinstance(client, Client)
        with client:
            client.track(number, carrier=self.carrier.code)
        valid = captured["response"]
        bodies = hostile_bodies(valid.content, seed=self.carrier.code)
        current: dict[str, bytes] = {}

        def hostile(request: httpx.Request) -> httpx.Response:
            response = api.handle(request)
            if _routes(api, request) and api.route(request)[0] in ("track", "track_batch"):
                headers = {
                    k: v for k, v in response.headers.items() if k.lower() not in ("content-length", "content-encoding")
                }
                return httpx.Response(200, headers=headers, content=current["body"])
            return response

        unlimited = {self.carrier.code: None}  # a quota would refuse calls before the parser sees them
        client = self.build_client(
            "sync", registry, api, transport=httpx.MockTransport(hostile), max_retries=0, rate_limits=unlimited
        )
        assert isinstance(client, Client)
        escaped: list[str] = []
        with client:
            for body in bodies:
                current["body"] = body
                started = time.perf_counter()
                try:
                    result = client.track(number, carrier=self.carrier.code)
                except CarrierError:
                    pass
                except Exception as err:  # the point of the test: nothing untyped escapes
                    escaped.append(f"{type(err).__name__} for body {body[:120]!r}: {err}")
                else:
                    assert result.carrier == self.carrier.code
                elapsed = time.perf_counter() - started
                assert elapsed < 1.0, f"body {body[:60]!r} took {elapsed:.2f}s"
        assert escaped == []

    # == status mapping and recognition =====================================================

    def test_map_status_never_raises(self) -> None:
        rng = stable_random("map_status", self.carrier.code)
        alphabet = string.printable + "éü中文\x00\u202e"
        samples = ["", " ", "\x00", "-1", "None", "null", "0" * 500, "💥", "DELIVERED", "delivered"]
        samples += ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 24))) for _ in range(300)]
        for code in samples:
            for text in ("", code):
                status = self.carrier.map_status(code, text)
                assert isinstance(status, TrackingStatus), f"map_status({code!r}) returned {status!r}"

    def test_recognize_agrees_with_scenario_numbers(self, registry: CarrierRegistry) -> None:
        for number in self.get_fake_class().scenario_numbers.values():
            assert_recognized(self.carrier, number)
            assert registry.identify(number)[0].carrier == self.carrier.code

    def test_recognize_rejects_garbage(self) -> None:
        for junk in ("", "X", "0", "HELLO WORLD", "1" * 64):
            claim = self.carrier.recognize(normalize_number(junk))
            assert claim is None or claim.carrier == self.carrier.code

    # == a shipping day: return labels and manifests ========================================

    def return_request(self) -> ShipmentRequest:
        """A return label request: the sample shipment's recipient sends it back to its shipper."""
        outbound = self.shipment_request()
        return attrs.evolve(outbound, shipper=outbound.recipient, recipient=outbound.shipper, customs=outbound.customs)

    @pytest.mark.anyio
    async def test_return_label_round_trip(self, runner: OperationRunner, api: FakeCarrierAPI) -> None:
        self.require(Capability.CREATE_RETURN_LABEL)
        shipment = await self._bought(runner, "create_return_label", self.return_request(), "conf-rma-1")
        again = await self._bought(runner, "create_return_label", self.return_request(), "conf-rma-1")
        if self.carrier.supports_idempotency_key:
            assert again.tracking_number == shipment.tracking_number, "one key buys one return label"
        await self._trackable(runner, shipment, "return labels")

    @pytest.mark.anyio
    async def test_manifest_round_trip(self, runner: OperationRunner, api: FakeCarrierAPI) -> None:
        if not (self.has(Capability.CREATE_MANIFEST) and self.has(Capability.CREATE_SHIPMENT)):
            pytest.skip("needs CREATE_MANIFEST and CREATE_SHIPMENT")
        code = self.carrier.code
        request = self.shipment_request()
        first = await runner.call("create_shipment", code, request)
        second = await runner.call("create_shipment", code, request)
        manifest = await runner.call(
            "create_manifest", code, [first, second.tracking_number, first], origin=request.shipper
        )
        assert isinstance(manifest, Manifest)
        assert manifest.carrier == code
        assert manifest.manifest_id
        assert manifest.document
        assert sorted(manifest.tracking_numbers) == sorted([first.tracking_number, second.tracking_number])
        assert manifest.complete

    @pytest.mark.anyio
    async def test_manifest_bad_input_refused_before_io(
        self, offline_runner: OperationRunner, api: FakeCarrierAPI
    ) -> None:
        self.require(Capability.CREATE_MANIFEST)
        code = self.carrier.code
        other = "othercarrier" if code != "othercarrier" else "another"
        foreign = Shipment(carrier=other, tracking_number=self.any_number())
        for items in ([], [foreign], self.any_number()):
            with pytest.raises(ValidationError):
                await offline_runner.call("create_manifest", code, items, origin=self.address())
        assert not api.requests

    def pickup_request(self) -> PickupRequest:
        """A pickup of two parcels at the sample shipper's address on the next Monday to Saturday."""
        day = datetime.now(UTC).date() + timedelta(days=2)
        if day.weekday() == 6:
            day += timedelta(days=1)
        shipper = self.shipment_request().shipper
        return PickupRequest(address=shipper, pickup_date=day, package_count=2, total_weight=Decimal(3))

    @pytest.mark.anyio
    async def test_pickup_round_trip(self, runner: OperationRunner, api: FakeCarrierAPI) -> None:
        self.require(Capability.SCHEDULE_PICKUP)
        code = self.carrier.code
        request = self.pickup_request()
        if self.has(Capability.PICKUP_AVAILABILITY):
            availability = await runner.call("pickup_availability", code, request.address)
            assert isinstance(availability, PickupAvailability)
            assert availability.carrier == code
            assert availability.available, "the sample shipper's address is served by the fake"
        pickup = await runner.call("schedule_pickup", code, request)
        assert isinstance(pickup, Pickup)
        assert pickup.carrier == code
        assert pickup.confirmation
        assert pickup.package_count == request.package_count
        assert pickup.pickup_date >= request.pickup_date
        if self.has(Capability.CANCEL_PICKUP):
            await runner.call("cancel_pickup", code, pickup.confirmation)
            with pytest.raises(CarrierError):
                await runner.call("cancel_pickup", code, pickup.confirmation)

    @pytest.mark.anyio
    async def test_pickup_in_the_past_refused_before_io(
        self, offline_runner: OperationRunner, api: FakeCarrierAPI
    ) -> None:
        self.require(Capability.SCHEDULE_PICKUP)
        past = attrs.evolve(self.pickup_request(), pickup_date=datetime.now(UTC).date() - timedelta(days=7))
        with pytest.raises(ValidationError):
            await offline_runner.call("schedule_pickup", self.carrier.code, past)
        assert not api.requests

    @pytest.mark.anyio
    async def test_day_operations_keep_secrets(
        self, make_runner: Callable[..., OperationRunner], api: FakeCarrierAPI, caplog: pytest.LogCaptureFixture
    ) -> None:
        """Failed return labels and manifests (canary secrets, rejected) leak no secret."""
        calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []
        if self.has(Capability.CREATE_RETURN_LABEL):
            calls.append(("create_return_label", (self.carrier.code, self.return_request()), {}))
        if self.has(Capability.CREATE_MANIFEST):
            calls.append(("create_manifest", (self.carrier.code, [self.any_number()]), {"origin": self.address()}))
        if self.has(Capability.SCHEDULE_PICKUP):
            calls.append(("schedule_pickup", (self.carrier.code, self.pickup_request()), {}))
        fields = self.secret_fields(api)
        if not calls or not fields:
            pytest.skip("no return label or manifest capability, or no secret in the settings")
        caplog.set_level(logging.DEBUG)
        settings = {**self.good_settings(api), **{f: f"{CANARY}-{f}" for f in fields}}
        runner = make_runner(settings=settings, max_retries=1)
        evidence: list[str] = []
        for method, args, kwargs in calls:
            with pytest.raises(CarrierError) as caught:
                await runner.call(method, *args, **kwargs)
            evidence.append(_text_of(caught.value))
            evidence.append(repr(pickle.loads(pickle.dumps(caught.value))))
        evidence.append(_text_of(runner.client))
        evidence.append(caplog.text)
        assert CANARY not in "\n".join(evidence), "a canary secret leaked from a return label or manifest call"

    # == service locations ==================================================================

    def locations_near(self) -> Address | str:
        """Where :meth:`test_find_locations_round_trip` searches (default: the sample recipient's address)."""
        return self.address()

    @pytest.mark.anyio
    async def test_find_locations_round_trip(self, runner: OperationRunner, api: FakeCarrierAPI) -> None:
        """Every kind: a list of this carrier's locations of that kind, within the limit, the same
        answer twice (fakes are deterministic); a kind the carrier has none of is refused before I/O."""
        self.require(Capability.FIND_LOCATIONS)
        code = self.carrier.code
        answered = 0
        for kind in LocationKind:
            before = len(api.requests)
            try:
                found = await runner.call("find_locations", code, self.locations_near(), kind=kind, limit=3)
            except UnsupportedOperationError:
                assert len(api.requests) == before, f"{kind}: refused after a request"
                continue
            answered += 1
            assert isinstance(found, list)
            assert len(found) <= 3
            for location in found:
                assert isinstance(location, ServiceLocation)
                assert location.carrier == code
                assert location.kind is kind
                assert location.location_id
            again = await runner.call("find_locations", code, self.locations_near(), kind=kind, limit=3)
            assert again == found, f"{kind}: the fake answers the same place differently"
        assert answered, "FIND_LOCATIONS is declared but every kind was refused"

    @pytest.mark.anyio
    async def test_find_locations_bad_input_refused_before_io(
        self, make_runner: Callable[..., OperationRunner], api: FakeCarrierAPI
    ) -> None:
        self.require(Capability.FIND_LOCATIONS)
        code = self.carrier.code
        runner = make_runner(transport=offline_transport())
        cases: list[tuple[object, dict[str, Any]]] = [
            (self.locations_near(), {"kind": "teleporter"}),
            (self.locations_near(), {"limit": 0}),
            (self.locations_near(), {"limit": 10_000}),
            ("", {}),
            ("<script>", {}),
            (12345, {}),
        ]
        for near, kwargs in cases:
            with pytest.raises(ValidationError):
                await runner.call("find_locations", code, near, **kwargs)
        assert not api.requests

    @pytest.mark.anyio
    async def test_find_locations_typed_errors(
        self, make_runner: Callable[..., OperationRunner], api: FakeCarrierAPI
    ) -> None:
        self.require(Capability.FIND_LOCATIONS)
        runner = make_runner(max_retries=0)
        code = self.carrier.code
        api.inject(FaultKind.SERVER_ERROR, operation="find_locations", count=1, status=503)
        with pytest.raises(CarrierServerError) as server:
            await runner.call("find_locations", code, self.locations_near())
        assert server.value.carrier == code
        api.inject(FaultKind.MALFORMED, operation="find_locations", count=1)
        with pytest.raises(ResponseError):
            await runner.call("find_locations", code, self.locations_near())
        api.inject(FaultKind.RATE_LIMITED, operation="find_locations", count=1, retry_after=2)
        with pytest.raises(RateLimitError):
            await runner.call("find_locations", code, self.locations_near())

    # == bulk purchase (create_shipments) ==================================================

    async def _buy_many(
        self, runner: OperationRunner, requests: list[Any], **kwargs: Any
    ) -> tuple[list[ShipmentResult], ShipmentSummary]:
        """Run ``create_shipments`` on either client; the results in input order, and the summary."""
        stream = runner.client.create_shipments(self.carrier.code, requests, **kwargs)
        results = [r async for r in stream] if isinstance(stream, AsyncShipmentIterator) else list(stream)
        return sorted(results, key=lambda r: r.index), stream.summary

    @pytest.mark.anyio
    async def test_create_shipments_round_trip(self, runner: OperationRunner, api: FakeCarrierAPI) -> None:
        """One result per item with its own key; a bad item is its own result; a rerun with the
        same key prefix buys nothing twice (where the carrier honours idempotency keys)."""
        self.require(Capability.CREATE_SHIPMENT)
        requests: list[Any] = [self.shipment_request(), "not a request", self.shipment_request()]
        results, summary = await self._buy_many(runner, requests, concurrency=2, idempotency_key_prefix="conf-bulk")
        assert [r.index for r in results] == [0, 1, 2]
        assert [r.idempotency_key for r in results] == ["conf-bulk-0", "conf-bulk-1", "conf-bulk-2"]
        bought = [results[0].shipment, results[2].shipment]
        assert all(isinstance(s, Shipment) and s.carrier == self.carrier.code for s in bought)
        assert [s.idempotency_key for s in bought if s is not None] == ["conf-bulk-0", "conf-bulk-2"]
        assert isinstance(results[1].error, ValidationError)
        assert (summary.total, summary.bought, summary.failed, summary.outcome_unknown) == (3, 2, 1, 0)
        if self.carrier.supports_idempotency_key:
            again, _ = await self._buy_many(runner, requests, idempotency_key_prefix="conf-bulk")
            assert [r.shipment.tracking_number for r in again if r.shipment is not None] == [
                s.tracking_number for s in bought if s is not None
            ], "a rerun with the same keys bought new labels"

    @pytest.mark.anyio
    async def test_create_shipments_refused_before_io(
        self, client_kind: ClientKind, registry: CarrierRegistry, api: FakeCarrierAPI
    ) -> None:
        client = self.build_client(client_kind, registry, api, transport=offline_transport())
        if not self.has(Capability.CREATE_SHIPMENT):
            with pytest.raises(UnsupportedOperationError):
                client.create_shipments(self.carrier.code, [self.shipment_request()])
        for kwargs in ({"concurrency": 0}, {"idempotency_key_prefix": ""}):
            with pytest.raises((ValidationError, UnsupportedOperationError)):
                client.create_shipments(self.carrier.code, [self.shipment_request()], **kwargs)
        assert not api.requests

    @pytest.mark.anyio
    async def test_create_shipments_keeps_unknown_outcomes_per_item(
        self, make_runner: Callable[..., OperationRunner], api: FakeCarrierAPI
    ) -> None:
        """A purchase whose answer is lost (no retries left) is that item's OutcomeUnknownError,
        with the key it carried; the other items are bought; nothing raises."""
        self.require(Capability.CREATE_SHIPMENT)
        runner = make_runner(max_retries=0)
        await runner.call("create_shipment", self.carrier.code, self.shipment_request())  # warm up (tokens)
        api.inject(FaultKind.LOST_RESPONSE, operation=self._purchase_operation(api), count=1)
        results, summary = await self._buy_many(
            runner, [self.shipment_request(), self.shipment_request()], concurrency=1, idempotency_key_prefix="lost"
        )
        unknown = [r for r in results if r.outcome_unknown]
        assert len(unknown) == 1
        assert isinstance(unknown[0].error, OutcomeUnknownError)
        assert unknown[0].error.idempotency_key == unknown[0].idempotency_key
        assert [r.ok for r in results].count(True) == 1
        assert summary.outcome_unknown == 1

    @pytest.mark.anyio
    async def test_locations_and_bulk_purchase_keep_secrets(
        self, make_runner: Callable[..., OperationRunner], api: FakeCarrierAPI, caplog: pytest.LogCaptureFixture
    ) -> None:
        """Rejected credentials (canary secrets): no secret in the errors of find_locations nor in
        any per-item error of create_shipments, nor in a log record."""
        fields = self.secret_fields(api)
        if not fields or not (self.has(Capability.FIND_LOCATIONS) or self.has(Capability.CREATE_SHIPMENT)):
            pytest.skip("no secret in the settings, or neither capability declared")
        caplog.set_level(logging.DEBUG)
        canaries = {f: f"{CANARY}-{f}" for f in fields}
        runner = make_runner(settings={**self.good_settings(api), **canaries}, max_retries=1)
        errors: list[BaseException | None] = []
        if self.has(Capability.FIND_LOCATIONS):
            with pytest.raises(CarrierError) as caught:
                await runner.call("find_locations", self.carrier.code, self.locations_near())
            errors.append(caught.value)
        evidence = [caplog.text, _text_of(runner.client)]
        if self.has(Capability.CREATE_SHIPMENT):
            results, summary = await self._buy_many(runner, [self.shipment_request()] * 2)
            assert summary.failed == 2, "canary secrets must be rejected"
            errors += [r.error for r in results]
            evidence += [_text_of(r) for r in results] + [repr(summary.as_dict()), caplog.text]
        evidence += [_text_of(e) + repr(pickle.loads(pickle.dumps(e))) for e in errors]
        assert CANARY not in "\n".join(evidence), "a canary secret leaked from find_locations or create_shipments"

    # == secrets ============================================================================

    @pytest.mark.anyio
    async def test_secrets_never_leak(
        self,
        client_kind: ClientKind,
        registry: CarrierRegistry,
        api: FakeCarrierAPI,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        fields = self.secret_fields(api)
        if not fields:
            pytest.skip("the settings hold no secret")
        good = self.good_settings(api)
        real_secrets = [
            str(value.get_secret_value() if isinstance(value := good[f], Secret) else value)
            for f in fields
            if len(str(good[f])) >= 6
        ]
        canary_settings = {**good, **{f: f"{CANARY}-{f}" for f in fields}}
        caplog.set_level(logging.DEBUG)
        evidence: list[str] = []

        # A failing call: every secret is the canary (the fake rejects it).
        failing = self.build_client(client_kind, registry, api, settings=canary_settings, max_retries=1)
        caught: list[BaseException] = []
        try:
            await self.call_probe(OperationRunner(failing))
        except CarrierError as err:
            caught.append(err)
        # A failing call after a 5xx (error paths keep the request).
        api.inject(FaultKind.SERVER_ERROR, count=10)
        try:
            await self.call_probe(OperationRunner(failing))
        except CarrierError as err:
            caught.append(err)
        api.reset()
        # A succeeding call with the real (fake) secrets.
        succeeding = self.build_client(client_kind, registry, api)
        await self.call_probe(OperationRunner(succeeding))

        raw: list[str] = []  # raw pickles and header lists: checked for the canary only
        for error in caught:
            evidence.append(_text_of(error))
            evidence.append(repr(pickle.loads(pickle.dumps(error))))
            raw.append(pickle.dumps(error).decode("latin-1"))
            request = getattr(error, "request", None)
            if isinstance(request, httpx.Request):
                evidence.append(str(request.url))
                raw.extend(f"{k}: {v}" for k, v in request.headers.multi_items())
            response = getattr(error, "response", None)
            if isinstance(response, httpx.Response):
                raw.extend(f"{k}: {v}" for k, v in response.headers.multi_items())
        for client in (failing, succeeding):
            evidence.append(_text_of(client))
            evidence.extend(_text_of(c) for c in client._shared.carriers.values())
            evidence.extend(_text_of(c.settings) for c in client._shared.carriers.values())
        evidence.append(_text_of(load_settings(self.carrier, canary_settings, environ={})))
        evidence.append(caplog.text)
        for record in caplog.records:
            evidence.append(record.getMessage())
            evidence.append(repr({k: v for k, v in record.__dict__.items() if k not in ("msg", "args")}))
        blob = "\n".join(evidence)
        assert CANARY not in blob + "\n".join(raw), "a canary secret leaked into a repr, log record or exception"
        for secret in real_secrets:
            at = blob.find(secret)
            assert at < 0, f"a secret leaked into a repr, log record or exception: ...{blob[max(0, at - 80) : at]}"

    # == sandbox ============================================================================

    @pytest.mark.anyio
    async def test_sandbox_in_memory(self, client_kind: ClientKind, registry: CarrierRegistry) -> None:
        sandbox = Sandbox(registry=registry)
        async with OperationRunner.open(client_kind, sandbox=sandbox, registry=registry) as runner:
            assert await self.call_probe(runner) is not None
        assert sum(sandbox.fake(self.carrier.code).calls.values()) >= 1

    def test_sandbox_loopback_server(self, registry: CarrierRegistry) -> None:
        sandbox = Sandbox(registry=registry)
        with sandbox.serve() as server:
            assert server.base_urls[self.carrier.code].startswith("http://127.0.0.1:")
            client = make_client("sync", settings=server.settings(), registry=registry)
            with client:
                method, args = self.probe()
                kwargs = {"carrier": self.carrier.code} if method == "track" else {}
                assert getattr(client, method)(*args, **kwargs) is not None
                if self.has(Capability.CREATE_SHIPMENT):
                    shipment = client.create_shipment(self.carrier.code, self.shipment_request())
                    assert shipment.tracking_number
                if self.has(Capability.RATES):
                    assert client.rates(self.carrier.code, self.rate_request())
        assert sum(sandbox.fake(self.carrier.code).calls.values()) >= 1

    # == one vocabulary, one price, parcels that move ========================================

    def _sandbox_client(self, registry: CarrierRegistry) -> tuple[Sandbox, Client]:
        sandbox = Sandbox(registry=registry)
        return sandbox, make_client("sync", sandbox=sandbox, registry=registry)

    def test_fake_records_the_sdk_operation_names(self, registry: CarrierRegistry) -> None:
        """``fake.calls`` (and ``inject(operation=...)``) use the SDK's operation names, the same
        for every carrier: ``track`` (or ``track_batch``), ``rates``, ``create_shipment``,
        ``cancel_shipment``, ``validate_address``."""
        sandbox, client = self._sandbox_client(registry)
        code = self.carrier.code
        fake = sandbox.fake(code)
        with client:
            if self.has(Capability.TRACK):
                client.track(self.any_number(), carrier=code)
                assert fake.calls["track"] + fake.calls["track_batch"] == 1, dict(fake.calls)
            if self.has(Capability.RATES):
                client.rates(code, self.rate_request())
                assert fake.calls["rates"] == 1, dict(fake.calls)
            if self.has(Capability.CREATE_SHIPMENT):
                shipment = client.create_shipment(code, self.shipment_request())
                assert fake.calls["create_shipment"] == 1, dict(fake.calls)
                if self.has(Capability.CANCEL_SHIPMENT):
                    client.cancel_shipment(code, shipment.tracking_number)
                    assert fake.calls["cancel_shipment"] == 1, dict(fake.calls)
            if self.has(Capability.VALIDATE_ADDRESS):
                client.validate_address(code, self.address())
                assert fake.calls["validate_address"] == 1, dict(fake.calls)

    def test_quote_and_purchase_agree(self, registry: CarrierRegistry) -> None:
        """A label bought with a quote (``rate=``) costs what the quote said (one price, one rounding)."""
        if not (self.has(Capability.RATES) and self.has(Capability.CREATE_SHIPMENT)):
            pytest.skip("needs RATES and CREATE_SHIPMENT")
        _, client = self._sandbox_client(registry)
        code = self.carrier.code
        request = self.shipment_request()
        with client:
            quotes = client.rates(
                code, RateRequest(shipper=request.shipper, recipient=request.recipient, parcels=request.parcels)
            )
            assert quotes
            for quote in quotes:
                bought = client.create_shipment(code, request, rate=quote)
                assert bought.price == quote.price, f"{quote.service}: quoted {quote.price}, charged {bought.price}"
                assert bought.quoted_price == quote.price

    def test_sandbox_advance_moves_a_bought_label(self, registry: CarrierRegistry) -> None:
        """:meth:`Sandbox.advance` moves a label bought in the sandbox through the fake's history."""
        if not (self.has(Capability.CREATE_SHIPMENT) and self.has(Capability.TRACK)):
            pytest.skip("needs CREATE_SHIPMENT and TRACK")
        sandbox, client = self._sandbox_client(registry)
        code = self.carrier.code
        with client:
            number = client.create_shipment(code, self.shipment_request()).tracking_number
            assert sandbox.advance(number, to_status="delivered", carrier=code).status == TrackingStatus.DELIVERED
            assert client.track(number, carrier=code).status == TrackingStatus.DELIVERED
