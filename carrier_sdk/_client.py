"""``Client`` and ``AsyncClient``: twins over one :class:`BaseClient`.

The base holds configuration, carrier lookup and every operation, built once as a (carrier,
flow) pair; the engine it inherits (``_engine``) writes each request once as sans-I/O steps
(preparation, rate limit, retry decision, error mapping), which the sync and async drivers only
perform. Each public method of the twins is one line that runs an operation.
"""

from __future__ import annotations

import functools
import random
import ssl
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping
from datetime import date
from typing import TYPE_CHECKING, Any, Literal, Self, TypeVar

import attrs
import httpx

from ._bulk import AsyncTrackingIterator, TrackingIterator, TrackingSummary, run_jobs, run_jobs_async, track_units
from ._carrier import Carrier
from ._closing import AsyncClosing, Closing
from ._constants import (
    DEFAULT_CONCURRENCY,
    DEFAULT_DEADLINE,
    DEFAULT_LIMITS,
    DEFAULT_TIMEOUT,
    NOT_GIVEN,
    NotGiven,
)
from ._engine import AsyncEngine, Engine, SyncEngine, _Shared
from ._enums import Capability, LocationKind
from ._exceptions import ConfigurationError, ValidationError
from ._flow import Flow, drive_async, drive_sync
from ._models import CarrierInfo, Identification, TrackingInfo, TrackingResult
from ._operation import Bulk, Operation, purchase_flow
from ._plugins import PluginManager, PluginReport, default_plugin_manager
from ._ratelimit import RateLimit
from ._registry import CarrierRegistry
from ._retry import RetryPolicy
from ._settings import load_settings
from ._transports import _AiohttpCompat, _async_transport, _install_sync_deadline
from .state._base import StateBackend
from .state._ledger import PurchaseGuard, request_fingerprint

if TYPE_CHECKING:  # imported where used: a sync program never loads asyncio through the SDK,
    # and `import carrier_sdk` builds no bulk-shipping, shipping-day, journey or locations model
    from ._bulk_ship import AsyncShipmentIterator, ShipmentIterator, ShipmentResult, ShipmentSummary
    from ._day import Manifest, Pickup, PickupAvailability, PickupRequest
    from ._journey import Journey, Step
    from ._locations import ServiceLocation
    from ._shipping import Address, AddressCheck, Cancellation, Rate, RateRequest, Shipment, ShipmentRequest
    from .sandbox import Sandbox

__all__ = ["AsyncClient", "BaseClient", "Client"]

T = TypeVar("T")


_SANDBOX_ORIGINAL_URL = "carrier_sdk.sandbox_original_url"


def _sandbox_url(request: httpx.Request, sandbox: Sandbox) -> None:
    """Show a request a fake answered under ``https://<carrier>.sandbox.invalid``.

    httpx logs each request's URL after the transport returns, and errors carry the request: in
    a sandbox run neither should name a production host. ``.invalid`` never resolves (RFC 2606).
    The real URL is kept in the request's extensions, so a retry of the same request is
    dispatched by it again (``_real_url``).
    """
    for code, fake in sandbox.fakes.items():
        if fake.matches(request.url):
            request.extensions[_SANDBOX_ORIGINAL_URL] = request.url
            request.url = request.url.copy_with(scheme="https", host=f"{code}.sandbox.invalid", port=None)
            return


def _real_url(request: httpx.Request) -> None:
    original = request.extensions.pop(_SANDBOX_ORIGINAL_URL, None)
    if isinstance(original, httpx.URL):
        request.url = original


class _SandboxHosts(httpx.BaseTransport):
    """The sandbox's sync transport, relabelling the requests it answers (see ``_sandbox_url``)."""

    def __init__(self, inner: httpx.BaseTransport, sandbox: Sandbox) -> None:
        self.inner = inner
        self.sandbox = sandbox

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        _real_url(request)
        try:
            return self.inner.handle_request(request)
        finally:
            _sandbox_url(request, self.sandbox)

    def close(self) -> None:
        self.inner.close()


class _AsyncSandboxHosts(httpx.AsyncBaseTransport):
    """The sandbox's async transport, relabelling the requests it answers (see ``_sandbox_url``)."""

    def __init__(self, inner: httpx.AsyncBaseTransport, sandbox: Sandbox) -> None:
        self.inner = inner
        self.sandbox = sandbox

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        _real_url(request)
        try:
            return await self.inner.handle_async_request(request)
        finally:
            _sandbox_url(request, self.sandbox)

    async def aclose(self) -> None:
        await self.inner.aclose()


class BaseClient(Engine):
    """Configuration, carrier lookup, request preparation and the retry decision.

    Not used directly: see :class:`Client` and :class:`AsyncClient`.
    """

    def __init__(
        self,
        settings: Mapping[str, object] | None = None,
        *,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        max_retries: int | NotGiven = NOT_GIVEN,
        retry: RetryPolicy | None = None,
        deadline: float = DEFAULT_DEADLINE,
        rate_limits: Mapping[str, RateLimit | None] | None = None,
        registry: CarrierRegistry | None = None,
        sandbox: bool | Sandbox = False,
        environ: Mapping[str, str] | None = None,
        clock: Callable[[], float] | None = None,
        seed: int | None = None,
        state: str | StateBackend | None = None,
        ledger_required: bool = True,
        allow_insecure_http: bool = False,
    ) -> None:
        policy = retry or RetryPolicy()
        if not isinstance(max_retries, NotGiven):
            policy = attrs.evolve(policy, max_retries=max_retries, interactive_max_retries=max_retries)
        self.retry_policy = policy
        self.timeout = _finite_timeout(timeout)
        if not (deadline > 0 and deadline != float("inf")):
            raise ConfigurationError("deadline must be a finite number of seconds > 0")
        self.deadline = float(deadline)
        self._settings_input = dict(settings or {})
        self._rate_limits = dict(rate_limits or {})
        self._environ = environ
        self._clock = clock or time.monotonic
        self._rng = random.Random(seed)
        sandbox_obj = None
        if sandbox:
            from .sandbox import Sandbox

            sandbox_obj = sandbox if isinstance(sandbox, Sandbox) else None
        source: CarrierRegistry | PluginManager = registry if registry is not None else default_plugin_manager()
        self._shared = _Shared(source, sandbox_obj)
        self._owns_http = True  # a with_options() copy shares the pool and must not close it
        self._sandbox_flag = bool(sandbox)
        self.state, self._owns_state = _open_client_state(state, environ)
        self.ledger_required = bool(ledger_required)
        self.allow_insecure_http = bool(allow_insecure_http)

    def with_options(
        self,
        *,
        timeout: float | httpx.Timeout | NotGiven = NOT_GIVEN,
        max_retries: int | NotGiven = NOT_GIVEN,
        retry: RetryPolicy | NotGiven = NOT_GIVEN,
        deadline: float | NotGiven = NOT_GIVEN,
    ) -> Self:
        """A copy with other options that shares the connection pool, tokens and limits."""
        clone = object.__new__(type(self))
        clone.__dict__.update(self.__dict__)
        if not isinstance(retry, NotGiven):
            clone.retry_policy = retry
        if not isinstance(max_retries, NotGiven):
            clone.retry_policy = attrs.evolve(
                clone.retry_policy, max_retries=max_retries, interactive_max_retries=max_retries
            )
        if not isinstance(timeout, NotGiven):
            clone.timeout = _finite_timeout(timeout)
        if not isinstance(deadline, NotGiven):
            if not (0 < deadline < float("inf")):
                raise ConfigurationError("deadline must be a finite number of seconds > 0")
            clone.deadline = float(deadline)
        clone._owns_http = False
        return clone

    def _pool_options(self, transport: httpx.BaseTransport | httpx.AsyncBaseTransport | None) -> dict[str, Any]:
        """The connection pool's options, the same for both clients: this client's timeout, no
        redirects (they could carry credentials elsewhere), the default limits, and, over the
        network, the proxy environment and one verifying TLS context; a given transport is taken as is.
        """
        return {
            "transport": transport,
            "timeout": self.timeout,
            "follow_redirects": False,
            "limits": DEFAULT_LIMITS,
            "trust_env": transport is None,
            "verify": _ssl_context() if transport is None else True,
        }

    # -- carriers and discovery ---------------------------------------------------------------

    @property
    def registry(self) -> CarrierRegistry:
        """The carrier registry (plugins are discovered on first access)."""
        return self._shared.registry

    def carriers(self) -> list[CarrierInfo]:
        """Installed carriers: code, display name, capabilities, distribution and version."""
        registry = self.registry
        return [registry.info(code) for code in registry.codes()]

    def tracking_pace(self, code: str) -> tuple[int, RateLimit | None, int | None]:
        """How fast carrier ``code`` may be tracked through this client, for schedulers that poll
        through it (the watcher): the numbers one call takes, the client-side rate limit, and how
        many calls the limit takes now without waiting (``None``: no limit). Reserves nothing.
        """
        impl = self._carrier(code)
        limiter = self._limiter(impl)
        headroom: int | None = limiter.headroom()
        return max(1, impl.track_batch_size()), limiter.limit, headroom

    def plugin_report(self) -> PluginReport:
        """Which plugins loaded, which were blocked and which failed, and why."""
        source = self._shared.registry_source
        if isinstance(source, PluginManager):
            return source.report()
        return PluginReport(carriers=tuple(source.codes()))

    def identify(self, number: str) -> list[Identification]:
        """Which carriers claim ``number``, most confident first.

        Raises:
            ValidationError: ``number`` is not text.
        """
        if not isinstance(number, str):
            raise ValidationError("a tracking number is text", field="number", constraint="str")
        return self.registry.identify(number)

    def _carrier(self, code: str, capability: Capability | None = None) -> Carrier:
        carrier_cls = self.registry.get(code)
        if capability is not None and capability not in carrier_cls.capabilities:
            raise carrier_cls._unsupported(capability.value)
        key = (code, id(self._shared))
        carrier = self._shared.carriers.get(key)
        if carrier is None:
            with self._shared.lock:
                carrier = self._shared.carriers.get(key)
                if carrier is None:
                    carrier = carrier_cls(self._load_settings(carrier_cls), clock=time.time)
                    # Tokens are shared by every process using this state; an in-process sandbox's
                    # tokens mean nothing to another process's sandbox, so they stay here.
                    if self.state.shared and self._get_sandbox() is None:
                        carrier.use_token_cache(self.state.token_cache(code, carrier.credential_id()))
                    self._shared.carriers[key] = carrier
        return carrier

    def _load_settings(self, carrier_cls: type[Carrier]) -> Any:
        value = self._settings_input.get(carrier_cls.code)
        sandbox = self._get_sandbox()
        if sandbox is not None and value is None:
            value = sandbox.settings_for(carrier_cls.code)
        return load_settings(carrier_cls, value, self._environ)

    @property
    def sandbox(self) -> Sandbox | None:
        """The :class:`~carrier_sdk.sandbox.Sandbox` behind a ``sandbox=True`` client, else ``None``."""
        return self._get_sandbox()

    @staticmethod
    def _new_key() -> str:
        return uuid.uuid4().hex

    def _purchase_guard(self, carrier: Carrier, key: str, request: ShipmentRequest) -> PurchaseGuard:
        # The lease outlives the call's deadline: a live buyer never loses its claim.
        return PurchaseGuard(
            self.state,
            carrier.code,
            key,
            lease=self.deadline + _LEASE_MARGIN,
            required=self.ledger_required,
            fingerprint=request_fingerprint(request),
            carrier_checks_keys=carrier.supports_idempotency_key,
        )

    # -- operations, built once for both clients as (carrier, flow) pairs -----------------------

    def _op(self, carrier: str, capability: Capability | None, make: Callable[[Carrier], Flow[T]]) -> Operation[T]:
        impl = self._carrier(carrier, capability)
        return Operation(impl, make(impl))

    def _op_track(self, number: str, carrier: str | None) -> Operation[TrackingInfo]:
        impl = self._carrier(self.registry.resolve(number, carrier).code, Capability.TRACK)
        return Operation(impl, impl.track(impl.check_number(number)))

    def _op_rates(self, carrier: str, request: RateRequest) -> Operation[list[Rate]]:
        from ._shipping import RateRequest

        _require_type(request, RateRequest, "request")
        return self._op(carrier, Capability.RATES, lambda impl: impl.rates(request))

    def _op_buy(
        self,
        carrier: str,
        request: ShipmentRequest,
        idempotency_key: str | None,
        rate: Rate | None,
        capability: Capability = Capability.CREATE_SHIPMENT,
    ) -> Operation[Shipment]:
        """A purchase (a label, a return label): one idempotency key on every attempt, under the ledger."""
        request = _with_rate(carrier, request, rate)
        impl = self._carrier(carrier, capability)
        key = _check_key(idempotency_key) if idempotency_key is not None else self._new_key()
        buy = impl.create_return_label if capability is Capability.CREATE_RETURN_LABEL else impl.create_shipment
        flow = purchase_flow(lambda: buy(request, idempotency_key=key), key, request.rate)
        return Operation(impl, flow, key=key, guard=self._purchase_guard(impl, key, request))

    def _op_cancel(self, carrier: str, tracking_number: str) -> Operation[Cancellation]:
        return self._op(
            carrier, Capability.CANCEL_SHIPMENT, lambda impl: impl.cancel_shipment(_check_plain(tracking_number))
        )

    def _op_validate(self, carrier: str, address: Address) -> Operation[AddressCheck]:
        from ._shipping import Address

        _require_type(address, Address, "address")
        return self._op(carrier, Capability.VALIDATE_ADDRESS, lambda impl: impl.validate_address(address))

    def _op_manifest(
        self, carrier: str, items: Iterable[Shipment | str], ship_date: date | str | None, origin: Address | None
    ) -> Operation[Manifest]:
        from ._day import manifest_flow

        return self._op(carrier, Capability.CREATE_MANIFEST, lambda impl: manifest_flow(impl, items, ship_date, origin))

    def _op_pickup(self, carrier: str, request: PickupRequest) -> Operation[Pickup]:
        from ._day import pickup_flow

        return self._op(carrier, Capability.SCHEDULE_PICKUP, lambda impl: pickup_flow(impl, request))

    def _op_cancel_pickup(self, carrier: str, confirmation: str) -> Operation[None]:
        from ._day import check_confirmation

        return self._op(
            carrier, Capability.CANCEL_PICKUP, lambda impl: impl.cancel_pickup(check_confirmation(confirmation))
        )

    def _op_pickup_availability(self, carrier: str, address: Address) -> Operation[PickupAvailability]:
        from ._day import check_address

        return self._op(
            carrier, Capability.PICKUP_AVAILABILITY, lambda impl: impl.pickup_availability(check_address(address))
        )

    def _op_locations(
        self, carrier: str, near: Address | str, kind: LocationKind | str, limit: int
    ) -> Operation[list[ServiceLocation]]:
        from ._locations import locations_flow

        return self._op(carrier, Capability.FIND_LOCATIONS, lambda impl: locations_flow(impl, near, kind, limit))

    def _bulk_track(
        self, numbers: Iterable[str], carrier: str | None, concurrency: int
    ) -> Bulk[TrackingResult, TrackingSummary]:
        if concurrency < 1:
            raise ValidationError("concurrency must be >= 1", field="concurrency", constraint=">= 1")
        early: list[TrackingResult] = []
        units = track_units(numbers, carrier, lambda n: self.registry.resolve(n, carrier), self._carrier, early)
        return Bulk(units, early, TrackingSummary(), concurrency)

    def _bulk_buy(
        self, carrier: str, requests: Iterable[ShipmentRequest], concurrency: int, prefix: str | None
    ) -> Bulk[ShipmentResult, ShipmentSummary]:
        from ._bulk_ship import ShipmentSummary, check_concurrency, key_maker, purchase_units

        self._carrier(carrier, Capability.CREATE_SHIPMENT)
        summary = ShipmentSummary()
        keys = key_maker(prefix)
        limit = check_concurrency(concurrency)
        early: list[ShipmentResult] = []
        units = purchase_units(requests, keys, lambda item, key: self._op_buy(carrier, item, key, None), early)
        return Bulk(units, early, summary, limit)

    def _journey(self, number: str, carrier: str | None, max_legs: int) -> Step:
        """The journey's legs, tracked under one deadline (drive with ``Leg``\\ s tracked by the client)."""
        from ._journey import JourneyPlanner

        planner = JourneyPlanner(max_legs=max_legs)
        deadline_at = self._deadline_at()
        return planner.plan(
            number,
            carrier,
            resolve=lambda n, c: self.registry.resolve(n, c).code,
            registry=self.registry,
            remaining=lambda: deadline_at - self._clock(),
            deadline=self.deadline,
        )


#: Seconds a purchase's ledger lease outlives the call's deadline.
_LEASE_MARGIN = 5.0


def _open_client_state(
    state: str | StateBackend | None, environ: Mapping[str, str] | None
) -> tuple[StateBackend, bool]:
    """The state a client uses, and whether the client opened it (and so closes it)."""
    if isinstance(state, StateBackend):
        return state, False
    if state is None:
        from .state import state_from_env

        return state_from_env(environ), True
    if isinstance(state, str):
        from .state import open_state

        return open_state(state), True
    raise ConfigurationError(f"state must be a URL or a StateBackend, got {type(state).__name__}")


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    """One verifying TLS context for every client (building one loads the CA bundle: ~20 ms)."""
    return httpx.create_ssl_context()


def _finite_timeout(timeout: float | httpx.Timeout) -> httpx.Timeout:
    value = timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout)
    for phase in ("connect", "read", "write", "pool"):
        t = getattr(value, phase)
        if t is None or not (0 < t < float("inf")):
            raise ConfigurationError(f"timeout {phase} must be a finite number of seconds > 0")
    return value


class Client(BaseClient, SyncEngine, Closing):
    """The synchronous client.

    Args:
        settings: Carrier code -> that carrier's settings object or a plain dict of its fields.
            Missing fields are read from ``CARRIER_SDK_<CODE>_<FIELD>``.
        timeout: Per-request timeouts (a number or :class:`httpx.Timeout`; every phase finite).
        max_retries: Retries after the first attempt (overrides ``retry.max_retries``).
        retry: The :class:`RetryPolicy`.
        deadline: Overall seconds one SDK call may take, across requests and retries.
        rate_limits: Carrier code -> :class:`RateLimit` overriding the carrier's default
            client-side limit (``None`` turns it off).
        transport: An httpx transport (tests, proxies).
        registry: A :class:`CarrierRegistry` to use instead of entry-point discovery.
        sandbox: Route every carrier to its fake (no credentials needed).
        environ: Environment mapping to read settings from (default ``os.environ``).
        clock: Monotonic clock (tests run in virtual time with this and ``sleep``).
        sleep: Sleep function used between retries and for rate limiting.
        seed: Seed for backoff jitter.
        state: Shared state (rate limits, tokens, purchase ledger): a URL (``redis://host:6379/0``,
            ``sqlite:///state.db``, ``memory://``) or a :class:`~carrier_sdk.state.StateBackend`.
            Default: ``CARRIER_SDK_STATE_URL``, else this process's memory.
        ledger_required: Refuse to buy when the purchase ledger cannot be reached (default).
            ``False`` buys without it, with a warning.
        allow_insecure_http: Allow plain ``http://`` carrier URLs to hosts other than loopback
            (refused by default with :class:`ConfigurationError`: credentials would travel in
            cleartext). Loopback hosts and the sandbox never need it.

    .. versionadded:: 0.1
    """

    def __init__(
        self,
        settings: Mapping[str, object] | None = None,
        *,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        max_retries: int | NotGiven = NOT_GIVEN,
        retry: RetryPolicy | None = None,
        deadline: float = DEFAULT_DEADLINE,
        rate_limits: Mapping[str, RateLimit | None] | None = None,
        transport: httpx.BaseTransport | None = None,
        registry: CarrierRegistry | None = None,
        sandbox: bool | Sandbox = False,
        environ: Mapping[str, str] | None = None,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], None] | None = None,
        seed: int | None = None,
        state: str | StateBackend | None = None,
        ledger_required: bool = True,
        allow_insecure_http: bool = False,
    ) -> None:
        super().__init__(
            settings,
            timeout=timeout,
            max_retries=max_retries,
            retry=retry,
            deadline=deadline,
            rate_limits=rate_limits,
            registry=registry,
            sandbox=sandbox,
            environ=environ,
            clock=clock,
            seed=seed,
            state=state,
            ledger_required=ledger_required,
            allow_insecure_http=allow_insecure_http,
        )
        self._sleep = sleep or time.sleep
        box = self._get_sandbox()
        if transport is None and box is not None:
            transport = _SandboxHosts(box.transport(), box)
        self._http = httpx.Client(**self._pool_options(transport))
        # The whole-call deadline reaches every socket read, write and connect (trickling servers).
        self._deadline_enforced = _install_sync_deadline(self._http)

    def close(self) -> None:
        """Close the connection pool (only the client that created it closes it)."""
        if self._owns_http:
            self._http.close()
            if self._owns_state:
                self.state.close()

    def __repr__(self) -> str:
        return f"<Client carriers={self.registry.codes()!r} sandbox={self._sandbox_flag}>"

    def run_flow(self, carrier: str, make_flow: Callable[[Any], Flow[T]]) -> T:
        """Run an adapter's own flow (an operation beyond the common ones) through this client.

        ``make_flow`` receives the configured carrier instance and returns a flow; it runs with
        the client's settings, retries, rate limits, deadline and size caps, like any operation.

        .. versionadded:: 0.1
        """
        return self._call(self._op(carrier, None, make_flow))

    # -- operations -------------------------------------------------------------------------

    def track(self, number: str, *, carrier: str | None = None) -> TrackingInfo:
        """Track one number; the carrier is identified from the number unless given.

        Raises:
            UnknownCarrierError: No carrier (or several equally) recognizes the number.
            ValidationError: The number is not valid for the carrier.
            TrackingNotFoundError: The carrier does not know the number.
        """
        return self._call(self._op_track(number, carrier))

    def track_many(
        self,
        numbers: Iterable[str],
        *,
        carrier: str | None = None,
        concurrency: int = DEFAULT_CONCURRENCY,
    ) -> TrackingIterator:
        """Track many numbers with bounded concurrency; one :class:`TrackingResult` per input.

        Results are yielded as they complete (not in input order) and never raise for one bad
        number. The input is consumed lazily, so it may be a generator over a huge file.
        Carriers that support batch requests receive batches. ``.summary`` counts outcomes.
        ``concurrency`` is an upper bound: requests that barely wait (an in-memory transport, a
        server next door) run in the calling thread, where worker threads would only add GIL
        hand-offs; as requests wait longer, up to ``concurrency`` threads keep them in flight.
        """
        bulk = self._bulk_track(numbers, carrier, concurrency)
        return TrackingIterator(run_jobs(bulk.units, self._unit, bulk.concurrency, bulk.early), bulk.summary)

    def rates(self, carrier: str, request: RateRequest) -> list[Rate]:
        """Quotes for ``request`` from ``carrier``."""
        return self._call(self._op_rates(carrier, request))

    def create_shipment(
        self,
        carrier: str,
        request: ShipmentRequest,
        *,
        idempotency_key: str | None = None,
        rate: Rate | None = None,
    ) -> Shipment:
        """Buy a label. Every attempt carries one idempotency key, exposed on the result.

        With ``rate`` (a quote from :meth:`rates`, or ``request.rate``) the adapter buys exactly
        the quoted product, and the result's ``quoted_price`` is the quote's price.

        Raises:
            OutcomeUnknownError: The purchase may have happened; reconcile before retrying.
            ValidationError: ``rate`` was quoted by another carrier or for another service.
        """
        return self._call(self._op_buy(carrier, request, idempotency_key, rate))

    def cancel_shipment(self, carrier: str, tracking_number: str) -> Cancellation:
        """Cancel (void or refund) a label."""
        return self._call(self._op_cancel(carrier, tracking_number))

    def validate_address(self, carrier: str, address: Address) -> AddressCheck:
        """Ask ``carrier`` whether ``address`` is deliverable, and for its standard form."""
        return self._call(self._op_validate(carrier, address))

    def create_return_label(
        self,
        carrier: str,
        request: ShipmentRequest,
        *,
        idempotency_key: str | None = None,
        rate: Rate | None = None,
    ) -> Shipment:
        """Buy a return label: ``request.shipper`` (your customer) sends the parcel back to
        ``request.recipient`` (you). The purchase rules of :meth:`create_shipment` apply: one
        idempotency key on every attempt, exposed on the result.

        Raises:
            UnsupportedOperationError: The carrier sells no return labels (before any I/O).
            OutcomeUnknownError: The purchase may have happened; reconcile before retrying.

        .. versionadded:: 0.3
        """
        return self._call(self._op_buy(carrier, request, idempotency_key, rate, Capability.CREATE_RETURN_LABEL))

    def create_manifest(
        self,
        carrier: str,
        shipments_or_tracking_numbers: Iterable[Shipment | str],
        *,
        ship_date: date | str | None = None,
        origin: Address | None = None,
    ) -> Manifest:
        """Close the day: one manifest (USPS: SCAN form) for labels bought from ``carrier``.

        ``origin`` is where the parcels are handed over (USPS needs it). The result lists what
        the carrier covered and what it refused, with reasons; check :attr:`Manifest.refused`.

        Raises:
            ValidationError: No label, a label of another carrier, a date in the past (before any I/O).
            UnsupportedOperationError: The carrier has no manifests (before any I/O).

        .. versionadded:: 0.3
        """
        return self._call(self._op_manifest(carrier, shipments_or_tracking_numbers, ship_date, origin))

    def create_shipments(
        self,
        carrier: str,
        requests: Iterable[ShipmentRequest],
        *,
        concurrency: int = 4,
        idempotency_key_prefix: str | None = None,
    ) -> ShipmentIterator:
        """Buy many labels: one :class:`ShipmentResult` per request, as each completes.

        Up to ``concurrency`` purchases are in flight; the input is read lazily. Each request is
        one :meth:`create_shipment` with its own idempotency key (``f"{prefix}-{index}"`` with
        ``idempotency_key_prefix``, so rerunning the same input buys nothing twice; a random key
        otherwise). No item raises: failures, :class:`OutcomeUnknownError` included, are that
        item's result. ``.summary`` counts bought, failed and unknown outcomes.

        Raises:
            UnsupportedOperationError: The carrier sells no labels (before any I/O).

        .. versionadded:: 0.3
        """
        bulk = self._bulk_buy(carrier, requests, concurrency, idempotency_key_prefix)
        from ._bulk_ship import ShipmentIterator

        return ShipmentIterator(run_jobs(bulk.units, self._unit, bulk.concurrency, bulk.early), bulk.summary)

    def schedule_pickup(self, carrier: str, request: PickupRequest) -> Pickup:
        """Ask ``carrier`` to collect parcels; keep :attr:`Pickup.confirmation` to cancel.

        Where the carrier answers whether the address is served, that is asked first.

        Raises:
            ValidationError: A date in the past or outside the carrier's window (before any I/O).
            UnsupportedOperationError: The carrier takes no pickup requests (before any I/O).

        .. versionadded:: 0.3
        """
        return self._call(self._op_pickup(carrier, request))

    def cancel_pickup(self, carrier: str, confirmation: str) -> None:
        """Cancel the pickup ``confirmation`` (a pickup is cancelled once; again is the carrier's error).

        .. versionadded:: 0.3
        """
        self._call(self._op_cancel_pickup(carrier, confirmation))

    def pickup_availability(self, carrier: str, address: Address) -> PickupAvailability:
        """Whether ``carrier`` collects parcels at ``address``.

        .. versionadded:: 0.3
        """
        return self._call(self._op_pickup_availability(carrier, address))

    def find_locations(
        self,
        carrier: str,
        near: Address | str,
        *,
        kind: LocationKind | str = LocationKind.POST_OFFICE,
        limit: int = 10,
    ) -> list[ServiceLocation]:
        """Up to ``limit`` (1-100) of ``carrier``'s locations of ``kind`` near ``near`` (a postal
        code, or an :class:`Address`), nearest first where the carrier says.

        Raises:
            ValidationError: A postal code the carrier cannot use, an unknown ``kind``, a bad
                ``limit`` (before any I/O).
            UnsupportedOperationError: The carrier publishes no locations (before any I/O).

        .. versionadded:: 0.3
        """
        return self._call(self._op_locations(carrier, near, kind, limit))

    def track_journey(self, number: str, *, carrier: str | None = None, max_legs: int = 4) -> Journey:
        """Follow a parcel across carriers (see :class:`~carrier_sdk.Journey`)."""
        track = lambda leg: self.with_options(deadline=leg.remaining).track(leg.number, carrier=leg.carrier)  # noqa: E731
        return drive_sync(self._journey(number, carrier, max_legs), track)


def _with_rate(carrier: str, request: Any, rate: Rate | None) -> ShipmentRequest:
    """``request`` checked, carrying ``rate`` (which must be this carrier's) and its service."""
    from ._shipping import Rate, ShipmentRequest

    _require_type(request, ShipmentRequest, "request")
    if rate is not None:
        _require_type(rate, Rate, "rate")
        if request.rate is not None and request.rate != rate:
            raise ValidationError("request.rate and rate= differ: give one", field="rate", constraint="one rate")
        request = attrs.evolve(request, rate=rate)
    checked: ShipmentRequest = request
    quote = checked.rate
    if quote is None:
        return checked
    if quote.carrier != carrier:
        raise ValidationError(
            f"the rate was quoted by {quote.carrier!r}, not {carrier!r}", field="rate.carrier", constraint=carrier
        )
    if checked.service is None:
        checked = attrs.evolve(checked, service=quote.service)
    return checked


def _require_type(value: Any, cls: type, field: str) -> None:
    if not isinstance(value, cls):
        raise ValidationError(
            f"{field} must be a {cls.__name__}, got {type(value).__name__}",
            field=field,
            constraint=cls.__name__,
        )


def _check_plain(number: Any) -> str:
    if (
        not isinstance(number, str)
        or not number.strip()
        or len(number) > 64
        or not (number.strip().isascii() and number.strip().isalnum())
    ):
        raise ValidationError(
            f"invalid tracking number {number!r}",
            field="tracking_number",
            constraint="1-64 letters and digits",
        )
    return number.strip().upper()


def _check_key(key: Any) -> str:
    if not isinstance(key, str) or not (1 <= len(key) <= 255) or not key.isprintable():
        raise ValidationError(
            "idempotency_key must be 1-255 printable characters",
            field="idempotency_key",
            constraint="1-255 printable",
        )
    return key


class AsyncClient(BaseClient, AsyncEngine, AsyncClosing):
    """The asynchronous client: the same methods as :class:`Client`, as coroutines.

    Takes the same arguments as :class:`Client`, with an async ``transport`` and ``sleep``, plus
    ``http_backend``: ``"httpx"`` (httpx's own transport), ``"aiohttp"`` (the ``httpx-aiohttp``
    transport from the ``carrier-sdk[aiohttp]`` extra, several times cheaper per request) or
    ``"auto"`` (aiohttp when installed). Timeouts, size caps, redirects and retries behave the
    same over both.

    .. versionadded:: 0.1
    """

    def __init__(
        self,
        settings: Mapping[str, object] | None = None,
        *,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        max_retries: int | NotGiven = NOT_GIVEN,
        retry: RetryPolicy | None = None,
        deadline: float = DEFAULT_DEADLINE,
        rate_limits: Mapping[str, RateLimit | None] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        registry: CarrierRegistry | None = None,
        sandbox: bool | Sandbox = False,
        environ: Mapping[str, str] | None = None,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], Awaitable[None]] | None = None,
        seed: int | None = None,
        http_backend: Literal["auto", "httpx", "aiohttp"] = "auto",
        state: str | StateBackend | None = None,
        ledger_required: bool = True,
        allow_insecure_http: bool = False,
    ) -> None:
        super().__init__(
            settings,
            timeout=timeout,
            max_retries=max_retries,
            retry=retry,
            deadline=deadline,
            rate_limits=rate_limits,
            registry=registry,
            sandbox=sandbox,
            environ=environ,
            clock=clock,
            seed=seed,
            state=state,
            ledger_required=ledger_required,
            allow_insecure_http=allow_insecure_http,
        )
        if sleep is None:
            import asyncio

            sleep = asyncio.sleep
        self._sleep = sleep
        box = self._get_sandbox()
        if transport is None and box is not None:
            transport = _AsyncSandboxHosts(box.async_transport(), box)
        if transport is None:
            transport = _async_transport(http_backend)
        if transport is not None and type(transport).__module__.startswith("httpx_aiohttp"):
            transport = _AiohttpCompat(transport)  # a caller's own aiohttp transport: no trace, so no "never sent"
        inner = transport.inner if isinstance(transport, _AiohttpCompat) else transport
        name = getattr(inner, "backend_name", type(inner).__name__) if inner is not None else "httpx"
        self.http_backend: str = name
        self._http = httpx.AsyncClient(**self._pool_options(transport))

    async def aclose(self) -> None:
        """Close the connection pool (only the client that created it closes it)."""
        if self._owns_http:
            await self._http.aclose()
            await self.state.aclose_loop()
            if self._owns_state:
                self.state.close()

    def __repr__(self) -> str:
        return f"<AsyncClient carriers={self.registry.codes()!r} sandbox={self._sandbox_flag}>"

    async def run_flow(self, carrier: str, make_flow: Callable[[Any], Flow[T]]) -> T:
        """Async :meth:`Client.run_flow`."""
        return await self._call(self._op(carrier, None, make_flow))

    # -- operations -------------------------------------------------------------------------

    async def track(self, number: str, *, carrier: str | None = None) -> TrackingInfo:
        """Async :meth:`Client.track`."""
        return await self._call(self._op_track(number, carrier))

    def track_many(
        self,
        numbers: Iterable[str],
        *,
        carrier: str | None = None,
        concurrency: int = DEFAULT_CONCURRENCY,
    ) -> AsyncTrackingIterator:
        """Async :meth:`Client.track_many`: an async iterator of :class:`TrackingResult`."""
        bulk = self._bulk_track(numbers, carrier, concurrency)
        return AsyncTrackingIterator(run_jobs_async(bulk.units, self._unit, bulk.concurrency, bulk.early), bulk.summary)

    async def rates(self, carrier: str, request: RateRequest) -> list[Rate]:
        """Async :meth:`Client.rates`."""
        return await self._call(self._op_rates(carrier, request))

    async def create_shipment(
        self,
        carrier: str,
        request: ShipmentRequest,
        *,
        idempotency_key: str | None = None,
        rate: Rate | None = None,
    ) -> Shipment:
        """Async :meth:`Client.create_shipment`."""
        return await self._call(self._op_buy(carrier, request, idempotency_key, rate))

    async def cancel_shipment(self, carrier: str, tracking_number: str) -> Cancellation:
        """Async :meth:`Client.cancel_shipment`."""
        return await self._call(self._op_cancel(carrier, tracking_number))

    async def validate_address(self, carrier: str, address: Address) -> AddressCheck:
        """Async :meth:`Client.validate_address`."""
        return await self._call(self._op_validate(carrier, address))

    async def create_return_label(
        self,
        carrier: str,
        request: ShipmentRequest,
        *,
        idempotency_key: str | None = None,
        rate: Rate | None = None,
    ) -> Shipment:
        """Async :meth:`Client.create_return_label`."""
        return await self._call(self._op_buy(carrier, request, idempotency_key, rate, Capability.CREATE_RETURN_LABEL))

    async def create_manifest(
        self,
        carrier: str,
        shipments_or_tracking_numbers: Iterable[Shipment | str],
        *,
        ship_date: date | str | None = None,
        origin: Address | None = None,
    ) -> Manifest:
        """Async :meth:`Client.create_manifest`."""
        return await self._call(self._op_manifest(carrier, shipments_or_tracking_numbers, ship_date, origin))

    def create_shipments(
        self,
        carrier: str,
        requests: Iterable[ShipmentRequest],
        *,
        concurrency: int = 4,
        idempotency_key_prefix: str | None = None,
    ) -> AsyncShipmentIterator:
        """Async :meth:`Client.create_shipments`: an async iterator of :class:`ShipmentResult`."""
        bulk = self._bulk_buy(carrier, requests, concurrency, idempotency_key_prefix)
        from ._bulk_ship import AsyncShipmentIterator

        return AsyncShipmentIterator(run_jobs_async(bulk.units, self._unit, bulk.concurrency, bulk.early), bulk.summary)

    async def schedule_pickup(self, carrier: str, request: PickupRequest) -> Pickup:
        """Async :meth:`Client.schedule_pickup`."""
        return await self._call(self._op_pickup(carrier, request))

    async def cancel_pickup(self, carrier: str, confirmation: str) -> None:
        """Async :meth:`Client.cancel_pickup`."""
        await self._call(self._op_cancel_pickup(carrier, confirmation))

    async def pickup_availability(self, carrier: str, address: Address) -> PickupAvailability:
        """Async :meth:`Client.pickup_availability`."""
        return await self._call(self._op_pickup_availability(carrier, address))

    async def find_locations(
        self,
        carrier: str,
        near: Address | str,
        *,
        kind: LocationKind | str = LocationKind.POST_OFFICE,
        limit: int = 10,
    ) -> list[ServiceLocation]:
        """Async :meth:`Client.find_locations`."""
        return await self._call(self._op_locations(carrier, near, kind, limit))

    async def track_journey(self, number: str, *, carrier: str | None = None, max_legs: int = 4) -> Journey:
        """Async :meth:`Client.track_journey`."""
        track = lambda leg: self.with_options(deadline=leg.remaining).track(leg.number, carrier=leg.carrier)  # noqa: E731
        return await drive_async(self._journey(number, carrier, max_legs), track)
