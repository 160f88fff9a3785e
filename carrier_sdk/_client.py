"""``Client`` and ``AsyncClient``: twins over one :class:`BaseClient`.

The base holds configuration, carrier lookup, request preparation, error mapping and the retry
*decision*. Only sending, reading and sleeping are written twice.
"""

from __future__ import annotations

import contextvars
import functools
import logging
import random
import ssl
import threading
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Mapping
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any, Literal, Self, TypeVar

import attrs
import httpx

from ._bulk import (
    FLUSH,
    AsyncTrackingIterator,
    Job,
    TrackingIterator,
    TrackingSummary,
    async_job_results,
    job_results,
    plan_jobs,
    run_jobs,
)
from ._bulk_ship import (
    AsyncShipmentIterator,
    ShipmentIterator,
    ShipmentSummary,
    buy_many_async,
    buy_many_sync,
    check_concurrency,
    key_maker,
)
from ._carrier import Carrier, _request_id
from ._cleartext import check_cleartext
from ._constants import (
    DEFAULT_CONCURRENCY,
    DEFAULT_DEADLINE,
    DEFAULT_LIMITS,
    DEFAULT_TIMEOUT,
    NOT_GIVEN,
    NotGiven,
)
from ._day import (
    Manifest,
    Pickup,
    PickupAvailability,
    PickupRequest,
    check_address,
    check_confirmation,
    manifest_flow,
    pickup_flow,
)
from ._enums import Capability, Confidence, LocationKind
from ._exceptions import (
    AmbiguousCarrierError,
    APIConnectionError,
    APIError,
    APIStatusError,
    APITimeoutError,
    CarrierError,
    CarrierServerError,
    ConfigurationError,
    OutcomeUnknownError,
    RateLimitError,
    ResponseError,
    UnknownCarrierError,
    ValidationError,
)
from ._flow import Flow, RequestOptions, drive_async, drive_sync, options_of
from ._locations import ServiceLocation, locations_flow
from ._models import (
    Address,
    AddressCheck,
    Cancellation,
    CarrierInfo,
    Identification,
    Rate,
    RateRequest,
    Shipment,
    ShipmentRequest,
    TrackingInfo,
    TrackingResult,
)
from ._plugins import PluginManager, PluginReport, default_plugin_manager
from ._ratelimit import RateLimit
from ._reading import _Reader
from ._redact import redact_request, redact_response, scrub_text
from ._registry import CarrierRegistry
from ._retry import RetryBudget, RetryPolicy, parse_retry_after, sent_for_sure_not
from ._settings import load_settings
from ._transports import _SYNC_DEADLINE, _AiohttpCompat, _async_transport, _install_sync_deadline
from ._version import VERSION
from .state._base import StateBackend
from .state._ledger import PurchaseGuard, guarded_purchase, guarded_purchase_async, request_fingerprint

if TYPE_CHECKING:  # imported where used: a sync program never loads asyncio through the SDK
    import asyncio
    import concurrent.futures

    from ._journey import Journey
    from .sandbox import Sandbox

__all__ = ["AsyncClient", "BaseClient", "Client"]

logger = logging.getLogger("carrier_sdk")

#: True while a call runs as part of bulk work (track_many): it then retries up to
#: ``RetryPolicy.max_retries`` times; single calls use ``interactive_max_retries``.
_BULK: contextvars.ContextVar[bool] = contextvars.ContextVar("carrier_sdk_bulk", default=False)


def _carrier_of(error: BaseException) -> str | None:
    """The carrier an error names (a missing setting of the identified carrier ...), or None."""
    if isinstance(error, UnknownCarrierError):
        return None  # it names the code that was not found
    code = getattr(error, "carrier", None)
    return code if isinstance(code, str) and code and code != "?" else None


def _host_of(request: httpx.Request) -> str:
    """``host[:port]`` a request went to (no path, query or credentials)."""
    url = request.url
    return f"{url.host}:{url.port}" if url.port else url.host


def _bulk_context() -> contextvars.Context:
    """A copy of the current context with :data:`_BULK` set (for the tasks of async bulk work)."""
    context = contextvars.copy_context()
    context.run(_BULK.set, True)
    return context


T = TypeVar("T")

_USER_AGENT = f"carrier-sdk/{VERSION}"
_ACCEPT_ENCODING = "gzip, deflate"


class _Retry(Exception):
    """Internal signal to tenacity: retry after ``delay`` seconds."""

    def __init__(self, delay: float) -> None:
        self.delay = delay


@attrs.frozen
class _Final:
    """The retry decision said stop: return ``response`` or raise ``error``."""

    response: httpx.Response | None = None
    error: BaseException | None = None


class _Call:
    """What one SDK call knows about its purchase, for the "2xx, then a failure" guarantee.

    ``in_flight``: a purchase request started to be sent and its outcome is not settled yet.
    ``bought``: the purchase request's success response (the carrier accepted it).
    ``after``: requests the flow sent after that success (a later step: a waybill, a label).
    """

    __slots__ = ("after", "bought", "in_flight", "key", "options")

    def __init__(self, key: str | None = None) -> None:
        self.key = key
        self.options: RequestOptions | None = None
        self.in_flight = False
        self.bought: httpx.Response | None = None
        self.after = 0

    def sending(self, options: RequestOptions) -> None:
        if self.bought is not None:
            self.after += 1
        if options.purchase:
            self.options = options

    def settled(self, options: RequestOptions, response: httpx.Response | None) -> None:
        if options.purchase:
            self.in_flight = False
            if response is not None and 200 <= response.status_code < 300:
                self.bought = response
                self.after = 0


def _wait_from_signal(state: Any) -> float:
    exc = state.outcome.exception() if state.outcome else None
    return exc.delay if isinstance(exc, _Retry) else 0.0


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


class _Shared:
    """State shared by a client and every copy made by ``with_options``."""

    def __init__(self, registry_source: CarrierRegistry | PluginManager, sandbox: Sandbox | None) -> None:
        self.registry_source = registry_source
        self.sandbox = sandbox
        self.lock = threading.Lock()
        self.carriers: dict[tuple[str, int], Carrier] = {}
        self.limiters: dict[tuple[str, str], Any] = {}
        self.budgets: dict[tuple[str, str], RetryBudget] = {}
        self.singleflight_sync: dict[str, concurrent.futures.Future[httpx.Response]] = {}
        self.singleflight_async: dict[str, asyncio.Future[httpx.Response]] = {}

    @property
    def registry(self) -> CarrierRegistry:
        source = self.registry_source
        return source if isinstance(source, CarrierRegistry) else source.registry


class BaseClient:
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

    # -- carriers and discovery ---------------------------------------------------------------

    @property
    def registry(self) -> CarrierRegistry:
        """The carrier registry (plugins are discovered on first access)."""
        return self._shared.registry

    def carriers(self) -> list[CarrierInfo]:
        """Installed carriers: code, display name, capabilities, distribution and version."""
        registry = self.registry
        return [registry.info(code) for code in registry.codes()]

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

    def _resolve(self, number: str, carrier: str | None = None) -> type[Carrier]:
        if carrier is not None:
            return self.registry.get(carrier)
        candidates = self.identify(number)
        if not candidates:
            raise UnknownCarrierError(
                f"no installed carrier recognizes {number!r}; pass carrier= explicitly",
                number=number,
            )
        best = candidates[0].confidence
        top = [c for c in candidates if c.confidence == best]
        if len(top) > 1 or (best < Confidence.MEDIUM and len(candidates) > 1):
            names = ", ".join(f"{c.carrier} ({c.confidence})" for c in candidates)
            raise AmbiguousCarrierError(
                f"{number!r} could belong to several carriers: {names}; pass carrier=",
                number=number,
                candidates=candidates,
            )
        return self.registry.get(top[0].carrier)

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

    def _get_sandbox(self) -> Sandbox | None:
        if not self._sandbox_flag:
            return None
        if self._shared.sandbox is None:
            from .sandbox import Sandbox

            with self._shared.lock:
                if self._shared.sandbox is None:
                    self._shared.sandbox = Sandbox(registry=self.registry)
        return self._shared.sandbox

    @property
    def sandbox(self) -> Sandbox | None:
        """The :class:`~carrier_sdk.sandbox.Sandbox` behind a ``sandbox=True`` client, else ``None``."""
        return self._get_sandbox()

    def _limiter(self, carrier: Carrier) -> Any:
        key = (carrier.code, carrier.credential_id())
        limiter = self._shared.limiters.get(key)
        if limiter is None:
            with self._shared.lock:
                limiter = self._shared.limiters.get(key)
                if limiter is None:
                    limit = self._rate_limit_for(carrier)
                    limiter = self.state.limiter(carrier.code, carrier.credential_id(), limit, self._clock)
                    self._shared.limiters[key] = limiter
        elif self._sandbox_flag and carrier.code not in self._rate_limits:
            # In the sandbox the client-side limit follows the fake's quota switch, live.
            quota = self._rate_limit_for(carrier)
            if quota != limiter.limit:
                limiter.reconfigure(quota)
        return limiter

    def _rate_limit_for(self, carrier: Carrier) -> RateLimit | None:
        if carrier.code in self._rate_limits:
            return self._rate_limits[carrier.code]
        sandbox = self._get_sandbox()
        if sandbox is not None:
            quota: RateLimit | None = sandbox.quota_for(carrier.code)
            return quota
        return carrier.rate_limit

    def _budget(self, carrier: Carrier) -> RetryBudget:
        key = (carrier.code, carrier.credential_id())
        budget = self._shared.budgets.get(key)
        if budget is None:
            with self._shared.lock:
                budget = self._shared.budgets.setdefault(key, RetryBudget())
        return budget

    # -- requests -------------------------------------------------------------------------------

    def _prepare(self, request: httpx.Request, deadline_at: float) -> None:
        remaining = deadline_at - self._clock()
        if remaining <= 0:
            raise APITimeoutError(
                "the call's deadline passed before the request could be sent",
                carrier="?",
                request=redact_request(request),
            )
        t = self.timeout
        request.extensions["timeout"] = {
            "connect": min(t.connect or remaining, remaining),
            "read": min(t.read or remaining, remaining),
            "write": min(t.write or remaining, remaining),
            "pool": min(t.pool or remaining, remaining),
        }
        request.headers.setdefault("User-Agent", _USER_AGENT)
        request.headers["Accept-Encoding"] = _ACCEPT_ENCODING

    def _decide(
        self,
        carrier: Carrier,
        options: RequestOptions,
        attempt: int,
        deadline_at: float,
        *,
        error: BaseException | None = None,
        response: httpx.Response | None = None,
    ) -> float | _Final:
        """The single should-retry decision: a delay to retry after, or what to finish with."""
        policy = self.retry_policy
        keyed = carrier.supports_idempotency_key and bool(options.idempotency_key)
        if error is not None:
            if not isinstance(error, httpx.TransportError):
                return _Final(error=error)
            if _tls_failure(error):
                # A certificate that does not verify will not verify on the next attempt either.
                return _Final(error=error)
            never_sent = sent_for_sure_not(error)
            if not (options.idempotent or keyed or never_sent):
                return _Final(error=self._ambiguous(carrier, options, error, None))
            timed_out = isinstance(error, httpx.TimeoutException)
            cause = type(error).__name__
            retry_after = None
        else:
            assert response is not None
            status = response.status_code
            if 300 <= status < 400:
                # Redirects are never followed (they could carry credentials elsewhere).
                return _Final(error=self._status_error(carrier, options, response))
            if status < 400:
                self._budget(carrier).refund()
                return _Final(response=response)
            if status not in policy.statuses:
                return _Final(response=response)
            if _rejected(carrier, response):
                return _Final(response=response)
            # Retry-After is honoured on every retried status that carries it, up to the cap; a
            # longer wait is not retried at all (never a 3,000 s sleep inside the deadline).
            retry_after = parse_retry_after(response.headers)
            if status == 429 and retry_after is not None:
                self._limiter(carrier).pause(min(retry_after, policy.max_retry_after))
                if retry_after > policy.max_retry_after:
                    return _Final(error=self._status_error(carrier, options, response))
            if retry_after is not None and retry_after > policy.max_retry_after:
                return self._give_up(carrier, options, None, response)
            if status != 429 and not (options.idempotent or keyed):
                # The carrier may have acted on it: never resend a purchase without a key.
                return _Final(error=self._ambiguous(carrier, options, None, response))
            timed_out = status == 408
            cause = f"HTTP {status}"
        limit = policy.max_retries if _BULK.get() else policy.interactive_max_retries
        if attempt > limit or not self._budget(carrier).acquire(timeout=timed_out):
            return self._give_up(carrier, options, error, response)
        delay = retry_after if retry_after is not None else policy.backoff(attempt, self._rng)
        if self._clock() + delay >= deadline_at:
            return self._give_up(carrier, options, error, response)
        logger.debug(
            "retrying %s %s: attempt %d/%d failed with %s; sleeping %.3fs",
            carrier.code,
            options.operation,
            attempt,
            limit + 1,
            cause,
            delay,
            extra={
                "carrier": carrier.code,
                "operation": options.operation,
                "attempt": attempt,
                "sleep": delay,
                "cause": cause,
            },
        )
        return delay

    def _give_up(
        self,
        carrier: Carrier,
        options: RequestOptions,
        error: BaseException | None,
        response: httpx.Response | None,
    ) -> _Final:
        never_sent = error is not None and sent_for_sure_not(error)
        refused = response is not None and response.status_code == 429  # a 429 means "not processed"
        if options.purchase and not never_sent and not refused:
            return _Final(error=self._ambiguous(carrier, options, error, response))
        if response is not None:
            return _Final(error=self._status_error(carrier, options, response))
        assert error is not None
        return _Final(error=error)

    def _status_error(self, carrier: Carrier, options: RequestOptions, response: httpx.Response) -> APIError:
        return carrier.status_error(response, operation=options.operation)

    def _ambiguous(
        self,
        carrier: Carrier,
        options: RequestOptions,
        error: BaseException | None,
        response: httpx.Response | None,
    ) -> APIError:
        cause = type(error).__name__ if error is not None else f"HTTP {response.status_code if response else '?'}"
        request = (
            error.request
            if isinstance(error, httpx.RequestError) and error._request
            else (response.request if response is not None else None)
        )
        redacted = redact_request(request, carrier.sensitive_headers) if request is not None else None
        if not options.purchase:
            if response is not None:
                return self._status_error(carrier, options, response)
            return self._map_transport_error(carrier, options, error, redacted)
        return OutcomeUnknownError(
            f"{options.operation} may or may not have happened ({cause}); reconcile with "
            f"idempotency key {options.idempotency_key or ''!r} before buying again",
            carrier=carrier.code,
            idempotency_key=options.idempotency_key or "",
            reference=options.reference,
            attempted_at=datetime.now(UTC),
            cause_kind=cause,
            request=redacted,
            operation=options.operation,
        )

    def _settle(self, carrier: Carrier, call: _Call, error: Exception) -> Exception:
        """The error a call ends with, once the purchase guarantee is applied.

        After a purchase got a success status, every later failure (a parse error, a missing
        field, a later step failing, the deadline) becomes :class:`OutcomeUnknownError`, except
        a refusal the carrier stated in that very answer (a 4xx-class error raised from it).
        """
        if isinstance(error, OutcomeUnknownError):
            self._enrich(carrier, call, error)
            return error
        if call.bought is None:
            if call.in_flight and call.options is not None and _ambiguous_in_flight(error):
                return self._outcome_unknown(carrier, call, error, "its answer could not be read to the end")
            return error
        if call.after == 0 and isinstance(error, APIStatusError) and not isinstance(error, CarrierServerError):
            return error  # the carrier's own answer refused the purchase
        return self._outcome_unknown(carrier, call, error, None)

    @staticmethod
    def _scrub(carrier: Carrier, error: Exception) -> Exception:
        """Remove the carrier's known secrets from what ``error`` keeps (excerpt, messages), in place."""
        if not isinstance(error, CarrierError):
            return error
        try:
            secrets = carrier.known_secrets()
        except Exception:  # an adapter bug must not hide the error
            return error
        if not secrets:
            return error
        error.message = scrub_text(error.message, secrets)
        error.args = (error.message,)
        for name in ("error_message", "error_code"):
            value = getattr(error, name, None)
            if isinstance(value, str):
                setattr(error, name, scrub_text(value, secrets))
        response = getattr(error, "response", None)
        if isinstance(response, httpx.Response):
            request = response._request  # the redacted copy, or None
            error.response = redact_response(  # type: ignore[attr-defined]
                response, request, carrier.sensitive_headers, secrets
            )
        return error

    def _outcome_unknown(
        self, carrier: Carrier, call: _Call, error: BaseException | None, what: str | None
    ) -> OutcomeUnknownError:
        options = call.options
        operation = options.operation if options is not None else "create_shipment"
        key = call.key or (options.idempotency_key if options is not None else None) or ""
        if what is None:
            status = call.bought.status_code if call.bought is not None else "?"
            step = "a later step" if call.after else "reading its answer"
            what = f"the carrier accepted it (HTTP {status}), then {step} failed"
        detail = f": {error}" if isinstance(error, CarrierError) else (f": {type(error).__name__}" if error else "")
        reference = options.reference if options is not None else None
        by_reference = f" or reference {reference!r}" if reference else ""
        err = OutcomeUnknownError(
            f"{operation} may or may not have happened ({what}{detail}); reconcile with "
            f"idempotency key {key!r}{by_reference} before buying again",
            carrier=carrier.code,
            idempotency_key=key,
            reference=reference,
            attempted_at=datetime.now(UTC),
            cause_kind=type(error).__name__ if error is not None else "",
            operation=operation,
            request=getattr(error, "request", None) if isinstance(error, APIError) else None,
            request_id=getattr(error, "request_id", None) if isinstance(error, APIError) else None,
        )
        self._enrich(carrier, call, err)
        return err

    def _enrich(self, carrier: Carrier, call: _Call, error: OutcomeUnknownError) -> None:
        """Add what the call knows: the caller's key, the identifiers and excerpt of a 2xx answer."""
        if call.key and error.idempotency_key != call.key:
            old = error.idempotency_key
            error.idempotency_key = call.key
            error.message = error.message.replace(f"idempotency key {old!r}", f"idempotency key {call.key!r}")
        if error.reference is None and call.options is not None:
            error.reference = call.options.reference
        if call.bought is not None:
            try:
                found = carrier.purchase_identifiers(call.bought)
            except Exception:  # an adapter bug must not hide the outcome
                found = {}
            error.identifiers = {**found, **error.identifiers}
            if error.identifiers and "named" not in error.message:
                named = ", ".join(f"{k} {v!r}" for k, v in error.identifiers.items())
                error.message = f"{error.message}; the answer named {named}"
            if error.response is None:
                request = redact_request(call.bought.request, carrier.sensitive_headers)
                error.response = redact_response(
                    call.bought, request, carrier.sensitive_headers, carrier.known_secrets(call.bought.request)
                )
            if error.request is None:
                error.request = redact_request(call.bought.request, carrier.sensitive_headers)

    def _map_transport_error(
        self,
        carrier: Carrier,
        options: RequestOptions,
        error: BaseException | None,
        redacted: httpx.Request | None,
    ) -> APIError:
        kind = type(error).__name__
        host = f" ({_host_of(redacted)})" if redacted is not None else ""
        if error is not None and _tls_failure(error):
            return APIConnectionError(
                f"{options.operation} failed: the carrier's TLS certificate{host} did not verify",
                carrier=carrier.code,
                request=redacted,
                operation=options.operation,
            )
        if isinstance(error, httpx.TimeoutException):
            return APITimeoutError(
                f"{options.operation} timed out{' waiting for ' + _host_of(redacted) if redacted else ''} ({kind})",
                carrier=carrier.code,
                request=redacted,
                operation=options.operation,
            )
        return APIConnectionError(
            f"{options.operation} failed to connect{' to ' + _host_of(redacted) if redacted else ''} ({kind})",
            carrier=carrier.code,
            request=redacted,
            operation=options.operation,
        )

    def _finish(self, carrier: Carrier, options: RequestOptions, final: _Final) -> httpx.Response:
        if final.response is not None:
            return final.response
        error = final.error
        if isinstance(error, CarrierError):
            raise error
        if isinstance(error, httpx.TransportError):
            request = error._request if isinstance(error, httpx.RequestError) else None
            redacted = redact_request(request, carrier.sensitive_headers) if request is not None else None
            # Chain a copy that holds the redacted request, never the live one (credentials).
            raise self._map_transport_error(carrier, options, error, redacted) from _redacted_cause(error, redacted)
        assert error is not None
        raise error

    def _log_response(
        self,
        carrier: Carrier,
        options: RequestOptions,
        attempt: int,
        response: httpx.Response | None,
        error: BaseException | None,
        started: float,
    ) -> None:
        if not logger.isEnabledFor(logging.DEBUG):
            return
        status = response.status_code if response is not None else type(error).__name__
        request_id = _request_id(response) if response is not None else None
        message = "%s %s attempt %d -> %s in %.1f ms"
        args: list[object] = [carrier.code, options.operation, attempt, status, (time.perf_counter() - started) * 1000]
        if request_id:  # the carrier's id of the exchange when it sent one; nothing when it did not
            message += " (request id %s)"
            args.append(request_id)
        logger.debug(
            message,
            *args,
            extra={
                "carrier": carrier.code,
                "operation": options.operation,
                "attempt": attempt,
                "status": status,
                "request_id": request_id,
            },
        )

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

    def _deadline_at(self) -> float:
        return self._clock() + self.deadline


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


def _tls_failure(error: BaseException) -> bool:
    """Whether ``error`` (or what caused it) is a TLS verification failure."""
    seen: BaseException | None = error
    for _ in range(8):
        if seen is None:
            return False
        if isinstance(seen, ssl.SSLCertVerificationError) or "CERTIFICATE_VERIFY_FAILED" in str(seen):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _own_copy(error: BaseException) -> BaseException:
    """A copy of a shared request's error for one waiting caller (never one object raised in many places)."""
    import copy

    if isinstance(error, CarrierError):
        return copy.copy(error)
    return APIConnectionError(f"a shared request failed ({type(error).__name__})", carrier="?")


def _follower_retries(error: BaseException, remaining: float) -> bool:
    """Whether a caller that waited on a shared request should send it itself.

    Yes when the leader stopped for its own reasons (its shorter deadline, an untyped failure)
    and this caller still has time; a carrier's answer (401, 5xx after retries) is shared.
    """
    if remaining <= 0:
        return False
    return isinstance(error, APITimeoutError) or not isinstance(error, CarrierError)


def _waited_too_long(carrier: Carrier, options: RequestOptions) -> APITimeoutError:
    return APITimeoutError(
        f"{options.operation}: the call's deadline passed while waiting for the same request in flight",
        carrier=carrier.code,
        operation=options.operation,
    )


def _ambiguous_in_flight(error: Exception) -> bool:
    """A failure while a purchase's answer was being read that leaves its outcome unknown."""
    if isinstance(error, APITimeoutError):
        return True
    if isinstance(error, ResponseError):
        return error.status_code is None or not (400 <= error.status_code < 500)
    return False


def _redacted_cause(error: httpx.TransportError, request: httpx.Request | None) -> BaseException:
    """``error``'s class and message over the redacted request, with no live objects chained."""
    try:
        copy = type(error)(str(error), request=request) if request is not None else type(error)(str(error))
    except TypeError:
        return httpx.TransportError(str(error))
    copy.__cause__ = None
    copy.__suppress_context__ = True
    return copy


def _rejected(carrier: Carrier, response: httpx.Response) -> bool:
    try:
        return carrier.rejected_for_sure(response)
    except Exception:  # an adapter bug must not turn an ambiguous failure into a certain one
        return False


def _finite_timeout(timeout: float | httpx.Timeout) -> httpx.Timeout:
    value = timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout)
    for phase in ("connect", "read", "write", "pool"):
        t = getattr(value, phase)
        if t is None or not (0 < t < float("inf")):
            raise ConfigurationError(f"timeout {phase} must be a finite number of seconds > 0")
    return value


class Client(BaseClient):
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
        self._http = httpx.Client(
            transport=transport,
            timeout=self.timeout,
            follow_redirects=False,
            limits=DEFAULT_LIMITS,
            trust_env=transport is None,
            verify=_ssl_context() if transport is None else True,
        )
        # The whole-call deadline reaches every socket read, write and connect (trickling servers).
        self._deadline_enforced = _install_sync_deadline(self._http)

    def close(self) -> None:
        """Close the connection pool (only the client that created it closes it)."""
        if self._owns_http:
            self._http.close()
            if self._owns_state:
                self.state.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<Client carriers={self.registry.codes()!r} sandbox={self._sandbox_flag}>"

    # -- I/O --------------------------------------------------------------------------------

    def _read(
        self, carrier: Carrier, options: RequestOptions, request: httpx.Request, deadline_at: float | None = None
    ) -> httpx.Response:
        real_time = deadline_at is not None and self._clock is time.monotonic
        token = _SYNC_DEADLINE.set(deadline_at) if real_time else None
        try:
            response = self._http.send(request, stream=True)
            try:
                reader = _Reader(carrier, options, response)
                if response.is_stream_consumed:  # in-memory transports hand over decoded content
                    reader.feed_decoded(response.content)
                else:
                    for chunk in response.iter_raw():
                        reader.feed(chunk)
                return reader.build()
            finally:
                response.close()
        finally:
            if token is not None:
                _SYNC_DEADLINE.reset(token)

    def _attempt(
        self,
        carrier: Carrier,
        options: RequestOptions,
        request: httpx.Request,
        attempt: int,
        deadline_at: float,
        call: _Call | None = None,
    ) -> httpx.Response:
        if options.rate_limited:
            wait = self._limiter(carrier).reserve()
            if wait > 0:
                if self._clock() + wait >= deadline_at:
                    raise _client_side_limited(carrier, options, wait)
                self._sleep(wait)
        self._prepare(request, deadline_at)
        started = time.perf_counter()
        if call is not None and options.purchase:
            call.in_flight = True  # from here until an outcome is decided, a failure is ambiguous
        try:
            response = self._read(carrier, options, request, deadline_at)
        except httpx.TransportError as err:
            self._log_response(carrier, options, attempt, None, err, started)
            outcome = self._decide(carrier, options, attempt, deadline_at, error=err)
        else:
            self._log_response(carrier, options, attempt, response, None, started)
            outcome = self._decide(carrier, options, attempt, deadline_at, response=response)
        if call is not None and options.purchase:
            call.in_flight = False
        if isinstance(outcome, _Final):
            return self._finish(carrier, options, outcome)
        raise _Retry(outcome)

    def _send(
        self, carrier: Carrier, request: httpx.Request, deadline_at: float, call: _Call | None = None
    ) -> httpx.Response:
        check_cleartext(request, carrier=carrier.code, allowed=self.allow_insecure_http or self._sandbox_flag)
        options = options_of(request)
        if call is not None:
            call.sending(options)
        if options.singleflight:
            response = self._send_singleflight(carrier, options, request, deadline_at)
        else:
            response = self._send_retrying(carrier, options, request, deadline_at, call)
        if call is not None:
            call.settled(options, response)
        return response

    def _send_retrying(
        self,
        carrier: Carrier,
        options: RequestOptions,
        request: httpx.Request,
        deadline_at: float,
        call: _Call | None = None,
    ) -> httpx.Response:
        import tenacity  # only a call that needs a retry pays for importing it

        retrying = tenacity.Retrying(
            retry=tenacity.retry_if_exception_type(_Retry),
            wait=_wait_from_signal,
            stop=tenacity.stop_never,
            sleep=self._sleep,
            reraise=True,
        )
        for attempt in retrying:
            with attempt:
                return self._attempt(carrier, options, request, attempt.retry_state.attempt_number, deadline_at, call)
        raise AssertionError("unreachable")  # pragma: no cover

    def _send_singleflight(
        self, carrier: Carrier, options: RequestOptions, request: httpx.Request, deadline_at: float
    ) -> httpx.Response:
        import concurrent.futures

        key = options.singleflight or ""
        shared = self._shared
        while True:
            with shared.lock:
                future = shared.singleflight_sync.get(key)
                leader = future is None
                if future is None:
                    future = concurrent.futures.Future()
                    shared.singleflight_sync[key] = future
            if leader:
                break
            remaining = deadline_at - self._clock()
            wait = remaining if self._clock is time.monotonic else remaining + 1
            try:
                return future.result(timeout=max(0.0, wait))
            except concurrent.futures.TimeoutError:
                if future.done() and future.exception() is not None:
                    continue  # the leader failed just now: settle below on the next turn
                raise _waited_too_long(carrier, options) from None
            except BaseException as err:
                if not (future.done() and future.exception() is err):
                    raise  # this caller's own interruption
                if _follower_retries(err, deadline_at - self._clock()):
                    continue
                raise _own_copy(err) from None
        try:
            response = self._send_across_processes(carrier, options, request, deadline_at)
        except BaseException as err:
            future.set_exception(err)
            raise
        else:
            future.set_result(response)
            return response
        finally:
            with shared.lock:
                if shared.singleflight_sync.get(key) is future:
                    shared.singleflight_sync.pop(key, None)

    def _send_across_processes(
        self, carrier: Carrier, options: RequestOptions, request: httpx.Request, deadline_at: float
    ) -> httpx.Response:
        if not self.state.shared or self._get_sandbox() is not None:
            return self._send_retrying(carrier, options, request, deadline_at)
        from .state._flight import shared_flight

        return shared_flight(
            self.state,
            (carrier.code, carrier.credential_id(), options.singleflight or ""),
            request,
            lambda: self._send_retrying(carrier, options, request, deadline_at),
            remaining=lambda: deadline_at - self._clock(),
            sleep=self._sleep,
        )

    def _run(self, carrier: Carrier, flow: Flow[T], *, key: str | None = None) -> T:
        deadline_at = self._deadline_at()
        call = _Call(key)
        try:
            return drive_sync(flow, lambda request: self._send(carrier, request, deadline_at, call))
        except Exception as err:
            settled = self._scrub(carrier, self._settle(carrier, call, err))
            if settled is err:
                raise
            raise settled from None

    def run_flow(self, carrier: str, make_flow: Callable[[Any], Flow[T]]) -> T:
        """Run an adapter's own flow (an operation beyond the common ones) through this client.

        ``make_flow`` receives the configured carrier instance and returns a flow; it runs with
        the client's settings, retries, rate limits, deadline and size caps, like any operation.

        .. versionadded:: 0.1
        """
        impl = self._carrier(carrier)
        return self._run(impl, make_flow(impl))

    # -- operations -------------------------------------------------------------------------

    def track(self, number: str, *, carrier: str | None = None) -> TrackingInfo:
        """Track one number; the carrier is identified from the number unless given.

        Raises:
            UnknownCarrierError: No carrier (or several equally) recognizes the number.
            ValidationError: The number is not valid for the carrier.
            TrackingNotFoundError: The carrier does not know the number.
        """
        impl = self._carrier(self._resolve(number, carrier).code, Capability.TRACK)
        return self._run(impl, impl.track(impl.check_number(number)))

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
        if concurrency < 1:
            raise ValidationError("concurrency must be >= 1", field="concurrency", constraint=">= 1")
        summary = TrackingSummary()
        return TrackingIterator(self._track_many(numbers, carrier, concurrency, summary), summary)

    def _run_job(self, job: Job) -> list[TrackingResult]:
        token = _BULK.set(True)  # bulk work: the patient retry count (RetryPolicy.max_retries)
        try:
            return job_results(job, lambda impl, flow: self._run(impl, flow), self._carrier)
        finally:
            _BULK.reset(token)

    def _track_many(
        self,
        numbers: Iterable[str],
        carrier: str | None,
        concurrency: int,
        summary: TrackingSummary,
    ) -> Iterator[TrackingResult]:
        early: list[TrackingResult] = []
        jobs = plan_jobs(
            numbers,
            lambda n: self._resolve(n, carrier),
            lambda n, e: early.append(TrackingResult(number=n, carrier=carrier or _carrier_of(e), error=e)),
            lambda code: self._carrier(code).track_batch_size(),
        )
        for result in run_jobs(jobs, self._run_job, concurrency, early):
            summary.add(result)
            yield result

    def rates(self, carrier: str, request: RateRequest) -> list[Rate]:
        """Quotes for ``request`` from ``carrier``."""
        _require_type(request, RateRequest, "request")
        impl = self._carrier(carrier, Capability.RATES)
        return self._run(impl, impl.rates(request))

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
        request = _with_rate(carrier, request, rate)
        impl = self._carrier(carrier, Capability.CREATE_SHIPMENT)
        key = _check_key(idempotency_key) if idempotency_key is not None else self._new_key()

        def buy() -> Shipment:
            shipment = self._run(impl, impl.create_shipment(request, idempotency_key=key), key=key)
            return _finish_shipment(shipment, key, request.rate)

        return guarded_purchase(self._purchase_guard(impl, key, request), buy)

    def cancel_shipment(self, carrier: str, tracking_number: str) -> Cancellation:
        """Cancel (void or refund) a label."""
        impl = self._carrier(carrier, Capability.CANCEL_SHIPMENT)
        return self._run(impl, impl.cancel_shipment(_check_plain(tracking_number)))

    def validate_address(self, carrier: str, address: Address) -> AddressCheck:
        """Ask ``carrier`` whether ``address`` is deliverable, and for its standard form."""
        _require_type(address, Address, "address")
        impl = self._carrier(carrier, Capability.VALIDATE_ADDRESS)
        return self._run(impl, impl.validate_address(address))

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
        request = _with_rate(carrier, request, rate)
        impl = self._carrier(carrier, Capability.CREATE_RETURN_LABEL)
        key = _check_key(idempotency_key) if idempotency_key is not None else self._new_key()

        def buy() -> Shipment:
            shipment = self._run(impl, impl.create_return_label(request, idempotency_key=key), key=key)
            return _finish_shipment(shipment, key, request.rate)

        return guarded_purchase(self._purchase_guard(impl, key, request), buy)

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
        impl = self._carrier(carrier, Capability.CREATE_MANIFEST)
        return self._run(impl, manifest_flow(impl, shipments_or_tracking_numbers, ship_date, origin))

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
        self._carrier(carrier, Capability.CREATE_SHIPMENT)
        summary = ShipmentSummary()
        keys = key_maker(idempotency_key_prefix)
        limit = check_concurrency(concurrency)

        def buy(request: ShipmentRequest, key: str) -> Shipment:
            return self.create_shipment(carrier, request, idempotency_key=key)

        return ShipmentIterator(buy_many_sync(requests, buy, keys, limit, summary), summary)

    def schedule_pickup(self, carrier: str, request: PickupRequest) -> Pickup:
        """Ask ``carrier`` to collect parcels; keep :attr:`Pickup.confirmation` to cancel.

        Where the carrier answers whether the address is served, that is asked first.

        Raises:
            ValidationError: A date in the past or outside the carrier's window (before any I/O).
            UnsupportedOperationError: The carrier takes no pickup requests (before any I/O).

        .. versionadded:: 0.3
        """
        impl = self._carrier(carrier, Capability.SCHEDULE_PICKUP)
        return self._run(impl, pickup_flow(impl, request))

    def cancel_pickup(self, carrier: str, confirmation: str) -> None:
        """Cancel the pickup ``confirmation`` (a pickup is cancelled once; again is the carrier's error).

        .. versionadded:: 0.3
        """
        impl = self._carrier(carrier, Capability.CANCEL_PICKUP)
        self._run(impl, impl.cancel_pickup(check_confirmation(confirmation)))

    def pickup_availability(self, carrier: str, address: Address) -> PickupAvailability:
        """Whether ``carrier`` collects parcels at ``address``.

        .. versionadded:: 0.3
        """
        impl = self._carrier(carrier, Capability.PICKUP_AVAILABILITY)
        return self._run(impl, impl.pickup_availability(check_address(address)))

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
        impl = self._carrier(carrier, Capability.FIND_LOCATIONS)
        return self._run(impl, locations_flow(impl, near, kind, limit))

    def track_journey(self, number: str, *, carrier: str | None = None, max_legs: int = 4) -> Journey:
        """Follow a parcel across carriers (see :class:`~carrier_sdk.Journey`)."""
        from ._journey import JourneyPlanner

        planner = JourneyPlanner(max_legs=max_legs)
        return planner.run_sync(self, number, carrier)


def _client_side_limited(carrier: Carrier, options: RequestOptions, wait: float) -> RateLimitError:
    return RateLimitError(
        f"client-side rate limit: next slot in {wait:.1f}s, after the call's deadline",
        retry_after=wait,
        carrier=carrier.code,
        status_code=429,
        operation=options.operation,
    )


def _with_rate(carrier: str, request: Any, rate: Rate | None) -> ShipmentRequest:
    """``request`` checked, carrying ``rate`` (which must be this carrier's) and its service."""
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


def _finish_shipment(shipment: Shipment, key: str, rate: Rate | None) -> Shipment:
    """The adapter's shipment with the call's idempotency key and the quote's price filled in."""
    changes: dict[str, Any] = {}
    if not shipment.idempotency_key:
        changes["idempotency_key"] = key
    if rate is not None and shipment.quoted_price is None:
        changes["quoted_price"] = rate.price
    return attrs.evolve(shipment, **changes) if changes else shipment


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


class AsyncClient(BaseClient):
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
        self._http = httpx.AsyncClient(
            transport=transport,
            timeout=self.timeout,
            follow_redirects=False,
            limits=DEFAULT_LIMITS,
            trust_env=transport is None,
            verify=_ssl_context() if transport is None else True,
        )

    async def aclose(self) -> None:
        """Close the connection pool (only the client that created it closes it)."""
        if self._owns_http:
            await self._http.aclose()
            await self.state.aclose_loop()
            if self._owns_state:
                self.state.close()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return f"<AsyncClient carriers={self.registry.codes()!r} sandbox={self._sandbox_flag}>"

    # -- I/O --------------------------------------------------------------------------------

    async def _read(self, carrier: Carrier, options: RequestOptions, request: httpx.Request) -> httpx.Response:
        response = await self._http.send(request, stream=True)
        try:
            reader = _Reader(carrier, options, response)
            if response.is_stream_consumed:  # in-memory transports hand over decoded content
                reader.feed_decoded(response.content)
            else:
                async for chunk in response.aiter_raw():
                    reader.feed(chunk)
            return reader.build()
        finally:
            await response.aclose()

    async def _attempt(
        self,
        carrier: Carrier,
        options: RequestOptions,
        request: httpx.Request,
        attempt: int,
        deadline_at: float,
        call: _Call | None = None,
    ) -> httpx.Response:
        if options.rate_limited:
            limiter = self._limiter(carrier)
            wait = await limiter.areserve() if self.state.shared else limiter.reserve()
            if wait > 0:
                if self._clock() + wait >= deadline_at:
                    raise _client_side_limited(carrier, options, wait)
                await self._sleep(wait)
        self._prepare(request, deadline_at)
        started = time.perf_counter()
        if call is not None and options.purchase:
            call.in_flight = True  # from here until an outcome is decided, a failure is ambiguous
        try:
            response = await self._read(carrier, options, request)
        except httpx.TransportError as err:
            self._log_response(carrier, options, attempt, None, err, started)
            outcome = self._decide(carrier, options, attempt, deadline_at, error=err)
        else:
            self._log_response(carrier, options, attempt, response, None, started)
            outcome = self._decide(carrier, options, attempt, deadline_at, response=response)
        if call is not None and options.purchase:
            call.in_flight = False
        if isinstance(outcome, _Final):
            return self._finish(carrier, options, outcome)
        raise _Retry(outcome)

    async def _send(
        self, carrier: Carrier, request: httpx.Request, deadline_at: float, call: _Call | None = None
    ) -> httpx.Response:
        check_cleartext(request, carrier=carrier.code, allowed=self.allow_insecure_http or self._sandbox_flag)
        options = options_of(request)
        if call is not None:
            call.sending(options)
        if options.singleflight:
            response = await self._send_singleflight(carrier, options, request, deadline_at)
        else:
            response = await self._send_retrying(carrier, options, request, deadline_at, call)
        if call is not None:
            call.settled(options, response)
        return response

    async def _send_retrying(
        self,
        carrier: Carrier,
        options: RequestOptions,
        request: httpx.Request,
        deadline_at: float,
        call: _Call | None = None,
    ) -> httpx.Response:
        import tenacity

        retrying = tenacity.AsyncRetrying(
            retry=tenacity.retry_if_exception_type(_Retry),
            wait=_wait_from_signal,
            stop=tenacity.stop_never,
            sleep=self._sleep,
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                return await self._attempt(
                    carrier, options, request, attempt.retry_state.attempt_number, deadline_at, call
                )
        raise AssertionError("unreachable")  # pragma: no cover

    async def _send_singleflight(
        self, carrier: Carrier, options: RequestOptions, request: httpx.Request, deadline_at: float
    ) -> httpx.Response:
        import asyncio

        key = options.singleflight or ""
        shared = self._shared
        while True:
            future = shared.singleflight_async.get(key)
            if future is None:
                break
            try:
                return await asyncio.shield(future)
            except asyncio.CancelledError:
                task = asyncio.current_task()
                if future.cancelled() and not (task is not None and task.cancelling()):
                    continue  # the leader was cancelled, not this caller: fetch again
                raise
            except Exception as err:
                if _follower_retries(err, deadline_at - self._clock()):
                    continue
                raise _own_copy(err) from None
        future = asyncio.get_running_loop().create_future()
        shared.singleflight_async[key] = future
        try:
            response = await self._send_across_processes(carrier, options, request, deadline_at)
        except asyncio.CancelledError:
            future.cancel()  # followers fetch again; one caller's cancellation cancels no other
            raise
        except BaseException as err:
            if not future.done():
                future.set_exception(err)
                future.exception()  # mark retrieved: waiters re-raise copies themselves
            raise
        else:
            future.set_result(response)
            return response
        finally:
            if shared.singleflight_async.get(key) is future:
                shared.singleflight_async.pop(key, None)

    async def _send_across_processes(
        self, carrier: Carrier, options: RequestOptions, request: httpx.Request, deadline_at: float
    ) -> httpx.Response:
        if not self.state.shared or self._get_sandbox() is not None:
            return await self._send_retrying(carrier, options, request, deadline_at)
        from .state._flight import shared_flight_async

        return await shared_flight_async(
            self.state,
            (carrier.code, carrier.credential_id(), options.singleflight or ""),
            request,
            lambda: self._send_retrying(carrier, options, request, deadline_at),
            remaining=lambda: deadline_at - self._clock(),
            sleep=self._sleep,
        )

    async def _run(self, carrier: Carrier, flow: Flow[T], *, key: str | None = None) -> T:
        import asyncio

        deadline_at = self._deadline_at()
        remaining = deadline_at - self._clock()
        call = _Call(key)
        try:
            async with asyncio.timeout(remaining if self._clock is time.monotonic else None):
                return await drive_async(flow, lambda request: self._send(carrier, request, deadline_at, call))
        except TimeoutError:
            error = APITimeoutError(f"the call exceeded its {self.deadline:g}s deadline", carrier=carrier.code)
            if call.in_flight or call.bought is not None:
                raise self._scrub(
                    carrier,
                    self._outcome_unknown(
                        carrier, call, error, f"the call's {self.deadline:g}s deadline passed during the purchase"
                    ),
                ) from None
            raise error from None
        except Exception as err:
            settled = self._scrub(carrier, self._settle(carrier, call, err))
            if settled is err:
                raise
            raise settled from None

    async def run_flow(self, carrier: str, make_flow: Callable[[Any], Flow[T]]) -> T:
        """Async :meth:`Client.run_flow`."""
        impl = self._carrier(carrier)
        return await self._run(impl, make_flow(impl))

    # -- operations -------------------------------------------------------------------------

    async def track(self, number: str, *, carrier: str | None = None) -> TrackingInfo:
        """Async :meth:`Client.track`."""
        impl = self._carrier(self._resolve(number, carrier).code, Capability.TRACK)
        return await self._run(impl, impl.track(impl.check_number(number)))

    def track_many(
        self,
        numbers: Iterable[str],
        *,
        carrier: str | None = None,
        concurrency: int = DEFAULT_CONCURRENCY,
    ) -> AsyncTrackingIterator:
        """Async :meth:`Client.track_many`: an async iterator of :class:`TrackingResult`."""
        if concurrency < 1:
            raise ValidationError("concurrency must be >= 1", field="concurrency", constraint=">= 1")
        summary = TrackingSummary()
        return AsyncTrackingIterator(self._track_many(numbers, carrier, concurrency, summary), summary)

    async def _track_many(
        self,
        numbers: Iterable[str],
        carrier: str | None,
        concurrency: int,
        summary: TrackingSummary,
    ) -> AsyncIterator[TrackingResult]:
        import asyncio

        early: list[TrackingResult] = []
        jobs = plan_jobs(
            numbers,
            lambda n: self._resolve(n, carrier),
            lambda n, e: early.append(TrackingResult(number=n, carrier=carrier or _carrier_of(e), error=e)),
            lambda code: self._carrier(code).track_batch_size(),
        )
        pending: set[asyncio.Task[list[TrackingResult]]] = set()
        try:
            exhausted = False
            while True:
                while not exhausted and len(pending) < concurrency:
                    job = next(jobs, None)
                    if job is None:
                        exhausted = True
                        break
                    if job is not FLUSH:
                        pending.add(asyncio.create_task(async_job_results(job, self), context=_bulk_context()))
                    while early:  # unrecognized numbers are yielded before more input is read
                        result = early.pop()
                        summary.add(result)
                        yield result
                while early:
                    result = early.pop()
                    summary.add(result)
                    yield result
                if not pending:
                    if exhausted:
                        return
                    continue
                done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    for result in task.result():
                        summary.add(result)
                        yield result
        finally:
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.gather(*pending, return_exceptions=True)

    async def rates(self, carrier: str, request: RateRequest) -> list[Rate]:
        """Async :meth:`Client.rates`."""
        _require_type(request, RateRequest, "request")
        impl = self._carrier(carrier, Capability.RATES)
        return await self._run(impl, impl.rates(request))

    async def create_shipment(
        self,
        carrier: str,
        request: ShipmentRequest,
        *,
        idempotency_key: str | None = None,
        rate: Rate | None = None,
    ) -> Shipment:
        """Async :meth:`Client.create_shipment`."""
        request = _with_rate(carrier, request, rate)
        impl = self._carrier(carrier, Capability.CREATE_SHIPMENT)
        key = _check_key(idempotency_key) if idempotency_key is not None else self._new_key()

        async def buy() -> Shipment:
            shipment = await self._run(impl, impl.create_shipment(request, idempotency_key=key), key=key)
            return _finish_shipment(shipment, key, request.rate)

        return await guarded_purchase_async(self._purchase_guard(impl, key, request), buy)

    async def cancel_shipment(self, carrier: str, tracking_number: str) -> Cancellation:
        """Async :meth:`Client.cancel_shipment`."""
        impl = self._carrier(carrier, Capability.CANCEL_SHIPMENT)
        return await self._run(impl, impl.cancel_shipment(_check_plain(tracking_number)))

    async def validate_address(self, carrier: str, address: Address) -> AddressCheck:
        """Async :meth:`Client.validate_address`."""
        _require_type(address, Address, "address")
        impl = self._carrier(carrier, Capability.VALIDATE_ADDRESS)
        return await self._run(impl, impl.validate_address(address))

    async def create_return_label(
        self,
        carrier: str,
        request: ShipmentRequest,
        *,
        idempotency_key: str | None = None,
        rate: Rate | None = None,
    ) -> Shipment:
        """Async :meth:`Client.create_return_label`."""
        request = _with_rate(carrier, request, rate)
        impl = self._carrier(carrier, Capability.CREATE_RETURN_LABEL)
        key = _check_key(idempotency_key) if idempotency_key is not None else self._new_key()

        async def buy() -> Shipment:
            shipment = await self._run(impl, impl.create_return_label(request, idempotency_key=key), key=key)
            return _finish_shipment(shipment, key, request.rate)

        return await guarded_purchase_async(self._purchase_guard(impl, key, request), buy)

    async def create_manifest(
        self,
        carrier: str,
        shipments_or_tracking_numbers: Iterable[Shipment | str],
        *,
        ship_date: date | str | None = None,
        origin: Address | None = None,
    ) -> Manifest:
        """Async :meth:`Client.create_manifest`."""
        impl = self._carrier(carrier, Capability.CREATE_MANIFEST)
        return await self._run(impl, manifest_flow(impl, shipments_or_tracking_numbers, ship_date, origin))

    def create_shipments(
        self,
        carrier: str,
        requests: Iterable[ShipmentRequest],
        *,
        concurrency: int = 4,
        idempotency_key_prefix: str | None = None,
    ) -> AsyncShipmentIterator:
        """Async :meth:`Client.create_shipments`: an async iterator of :class:`ShipmentResult`."""
        self._carrier(carrier, Capability.CREATE_SHIPMENT)
        summary = ShipmentSummary()
        keys = key_maker(idempotency_key_prefix)
        limit = check_concurrency(concurrency)

        async def buy(request: ShipmentRequest, key: str) -> Shipment:
            return await self.create_shipment(carrier, request, idempotency_key=key)

        return AsyncShipmentIterator(buy_many_async(requests, buy, keys, limit, summary), summary)

    async def schedule_pickup(self, carrier: str, request: PickupRequest) -> Pickup:
        """Async :meth:`Client.schedule_pickup`."""
        impl = self._carrier(carrier, Capability.SCHEDULE_PICKUP)
        return await self._run(impl, pickup_flow(impl, request))

    async def cancel_pickup(self, carrier: str, confirmation: str) -> None:
        """Async :meth:`Client.cancel_pickup`."""
        impl = self._carrier(carrier, Capability.CANCEL_PICKUP)
        await self._run(impl, impl.cancel_pickup(check_confirmation(confirmation)))

    async def pickup_availability(self, carrier: str, address: Address) -> PickupAvailability:
        """Async :meth:`Client.pickup_availability`."""
        impl = self._carrier(carrier, Capability.PICKUP_AVAILABILITY)
        return await self._run(impl, impl.pickup_availability(check_address(address)))

    async def find_locations(
        self,
        carrier: str,
        near: Address | str,
        *,
        kind: LocationKind | str = LocationKind.POST_OFFICE,
        limit: int = 10,
    ) -> list[ServiceLocation]:
        """Async :meth:`Client.find_locations`."""
        impl = self._carrier(carrier, Capability.FIND_LOCATIONS)
        return await self._run(impl, locations_flow(impl, near, kind, limit))

    async def track_journey(self, number: str, *, carrier: str | None = None, max_legs: int = 4) -> Journey:
        """Async :meth:`Client.track_journey`."""
        from ._journey import JourneyPlanner

        planner = JourneyPlanner(max_legs=max_legs)
        return await planner.run_async(self, number, carrier)
