"""The sandbox: every installed carrier's fake behind one transport, router or loopback server.

Each adapter ships a stateful fake of its carrier's API (``Carrier.fake``, a ``"module:Class"``
string imported only when the sandbox needs it). :class:`Sandbox` composes them three ways:

* :meth:`Sandbox.transport` / :meth:`Sandbox.async_transport`: in-memory httpx transports that
  dispatch each request by URL to the fake whose ``base_urls`` match. ``Client(sandbox=True)``
  and ``AsyncClient(sandbox=True)`` use them, with fake credentials filled in;
* :meth:`Sandbox.router`: a :mod:`respx` router with one route per fake, for your own tests;
* :meth:`Sandbox.serve`: a real HTTP server on the loopback interface, one path prefix per
  carrier (``http://127.0.0.1:PORT/usps/...``), for demos, other languages and benchmarks.

Scenario controls are shared by all fakes: ``seed``, :meth:`Sandbox.set_latency`,
:meth:`Sandbox.inject` (connection drop, timeout, 5xx, 429 with ``Retry-After``, malformed body,
response lost after commit), :meth:`Sandbox.set_quota` and :meth:`Sandbox.reset`. Quotas are
off by default; a client in sandbox mode uses the fake's quota as its client-side rate limit, so
demos run at full speed and turning a quota on (or off) exercises the real limiter, at once,
for clients already running too.

Parcels move on request: :meth:`Sandbox.advance` takes a number forward by some hours or to a
status. The state of every fake (labels bought, orders cancelled, parcels advanced) can be
saved to a file and loaded by the next process (:meth:`Sandbox.save`, :meth:`Sandbox.load`):
the ``carrier-sdk`` command does, so ``--sandbox ship``, ``cancel`` and ``track`` in separate
runs behave as one carrier account.

.. versionadded:: 0.1
"""

from __future__ import annotations

import contextlib
import importlib
import ipaddress
import json
import logging
import math
import os
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Unpack

import httpx

from ._closing import Closing
from ._enums import TrackingStatus
from ._exceptions import ConfigurationError, UnknownCarrierError
from ._flow import drive_sync
from ._retry import transport_error
from ._settings import load_settings
from .fakes import FakeCarrierAPI, FaultKind, FaultOptions, decode_state

if TYPE_CHECKING:
    import http.server

    import respx

    from ._carrier import Carrier
    from ._models import TrackingInfo
    from ._ratelimit import RateLimit
    from ._registry import CarrierRegistry

__all__ = [
    "ADVANCE_LADDER",
    "STATE_LOCK_TIMEOUT",
    "STATE_VERSION",
    "Sandbox",
    "SandboxAsyncTransport",
    "SandboxServer",
    "SandboxTransport",
    "load_fake",
]

logger = logging.getLogger("carrier_sdk.sandbox")

_LOOPBACK_NAMES = frozenset({"localhost"})

#: The road :meth:`Sandbox.advance` follows with ``hours``: each status and the hours after the
#: label was bought at which a parcel reaches it.
ADVANCE_LADDER: tuple[tuple[str, float], ...] = (
    ("pre_transit", 0.0),
    ("in_transit", 12.0),
    ("out_for_delivery", 60.0),
    ("delivered", 66.0),
)

#: Format version of the files :meth:`Sandbox.save` writes.
STATE_VERSION = 1

#: Seconds :meth:`Sandbox.lock` waits for another process to release a sandbox state file.
STATE_LOCK_TIMEOUT = 60.0


def load_fake(carrier: type[Carrier]) -> type[FakeCarrierAPI]:
    """Import the fake class named by ``carrier.fake`` (``"module:Class"``).

    Raises:
        ConfigurationError: The carrier ships no fake, or it cannot be imported.
    """
    spec = getattr(carrier, "fake", None)
    if not spec:
        raise ConfigurationError(f"carrier {carrier.code!r} ships no fake: sandbox mode cannot serve it")
    module_name, _, attr = str(spec).partition(":")
    if not module_name or not attr:
        raise ConfigurationError(f"carrier {carrier.code!r}: fake {spec!r} is not a 'module:Class' string")
    try:
        module = importlib.import_module(module_name)
        fake_cls = getattr(module, attr)
    except (ImportError, AttributeError) as err:
        raise ConfigurationError(
            f"carrier {carrier.code!r}: cannot import its fake {spec!r} ({type(err).__name__}: {err})"
        ) from err
    if not (isinstance(fake_cls, type) and issubclass(fake_cls, FakeCarrierAPI)):
        raise ConfigurationError(f"carrier {carrier.code!r}: {spec!r} is not a FakeCarrierAPI subclass")
    return fake_cls


class Sandbox:
    """Every installed carrier's fake, composed.

    Args:
        registry: The carriers to serve (default: the installed plugins).
        seed: Seed of every fake's generated data (same seed, same histories).
        carriers: Restrict the sandbox to these carrier codes.
        clock: Wall clock of every fake (quotas, timestamps of labels); tests pass a virtual one.

    Attributes:
        fakes: The fakes by carrier code (each created on first use; reading this attribute
            creates them all).

    .. versionadded:: 0.1
    """

    def __init__(
        self,
        *,
        registry: CarrierRegistry | None = None,
        seed: int = 0,
        carriers: Iterable[str] | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        if registry is None:
            from ._plugins import default_plugin_manager

            registry = default_plugin_manager().registry
        self.registry = registry
        self.seed = seed
        self.clock = clock
        if carriers is None:
            self._codes = [c.code for c in registry if getattr(c, "fake", None)]
        else:
            self._codes = []
            for code in carriers:
                registry.get(code)  # UnknownCarrierError for a code that is not installed
                if code not in self._codes:
                    self._codes.append(code)
        self._fakes: dict[str, FakeCarrierAPI] = {}
        self._failed: dict[str, str] = {}
        self._lock = threading.RLock()
        self._server: SandboxServer | None = None
        #: Snapshots loaded for fakes not created yet (restored when they are).
        self._pending: dict[str, dict[str, Any]] = {}
        #: State files this sandbox holds the lock of, and what each held when last read or written.
        self._locks: dict[Path, _FileLock] = {}
        self._bases: dict[Path, Any] = {}

    def __repr__(self) -> str:
        return f"<Sandbox carriers={self._codes!r} seed={self.seed}>"

    # -- the fakes --------------------------------------------------------------------------

    @property
    def codes(self) -> list[str]:
        """The carrier codes this sandbox serves."""
        return list(self._codes)

    @property
    def fakes(self) -> dict[str, FakeCarrierAPI]:
        """Every fake by carrier code (fakes that fail to import are skipped and logged)."""
        return {code: fake for code, fake in self._iter_fakes()}

    def _iter_fakes(self) -> Iterator[tuple[str, FakeCarrierAPI]]:
        for code in self._codes:
            if code in self._failed:
                continue
            try:
                yield code, self.fake(code)
            except ConfigurationError as err:
                with self._lock:
                    self._failed[code] = str(err)
                logger.warning("sandbox: skipping %s: %s", code, err)

    def fake(self, code: str) -> FakeCarrierAPI:
        """The fake of carrier ``code``, created on first use.

        Raises:
            UnknownCarrierError: The sandbox does not serve ``code``.
            ConfigurationError: The carrier ships no fake or it cannot be imported.
        """
        existing = self._fakes.get(code)
        if existing is not None:
            return existing
        with self._lock:
            existing = self._fakes.get(code)
            if existing is not None:
                return existing
            if code not in self._codes:
                carrier = self.registry.get(code)  # raises UnknownCarrierError when not installed
                if not getattr(carrier, "fake", None):
                    raise ConfigurationError(f"carrier {code!r} ships no fake: sandbox mode cannot serve it")
                raise UnknownCarrierError(f"carrier {code!r} is not part of this sandbox", carrier=code)
            fake_cls = load_fake(self.registry.get(code))
            created = fake_cls(seed=self.seed) if self.clock is None else fake_cls(seed=self.seed, clock=self.clock)
            pending = self._pending.pop(code, None)
            if pending is not None:
                created.restore(pending)
            self._fakes[code] = created
            if len(self._fakes) == 1:
                # The first fake brings up the rest, so handovers between them are wired before
                # any history is served (a journey must read in order from its first request).
                list(self._iter_fakes())
            self._wire_handovers()
            return created

    def _wire_handovers(self) -> None:
        for source in list(self._fakes.values()):
            for code, number, at in source.handovers_out():
                target = self._fakes.get(code)
                if target is not None and number not in target.handovers:
                    target.expect_handover(number, at=at)

    def settings_for(self, code: str) -> dict[str, object]:
        """Fake credentials for ``code``: ``fake.settings()``, or, while :meth:`serve` runs,
        ``fake.settings(base_url=...)`` pointing at the loopback server."""
        fake = self.fake(code)
        server = self._server
        if server is not None and not server.closed:
            return fake.settings(base_url=server.base_urls[code])
        return fake.settings()

    def quota_for(self, code: str) -> RateLimit | None:
        """The client-side rate limit a sandbox client uses for ``code``: the fake's quota."""
        return self.fake(code).quota

    def scenario_numbers(self) -> dict[str, dict[str, str]]:
        """Documented numbers with a fixed outcome, by carrier code then scenario name."""
        return {code: dict(fake.scenario_numbers) for code, fake in self._iter_fakes()}

    # -- scenario switches ------------------------------------------------------------------

    def _targets(self, code: str | None) -> list[FakeCarrierAPI]:
        return [self.fake(code)] if code is not None else list(self.fakes.values())

    def inject(self, code: str, kind: FaultKind | str, **options: Unpack[FaultOptions]) -> None:
        """Fail the next ``count`` calls of ``operation`` (any when ``None``) of ``code``'s fake
        (the options of :meth:`FakeCarrierAPI.inject <carrier_sdk.fakes.FakeCarrierAPI.inject>`)."""
        self.fake(code).inject(kind, **options)

    def set_latency(self, seconds: float, code: str | None = None) -> None:
        """Make the transports and the server wait ``seconds`` before each answer (all fakes by default)."""
        if not (seconds >= 0 and seconds != float("inf")):
            raise ConfigurationError("latency must be a finite number of seconds >= 0")
        for fake in self._targets(code):
            fake.latency = float(seconds)

    def set_quota(self, code: str, quota: RateLimit | None, *, retry_after: float = 1.0) -> None:
        """Enforce ``quota`` on ``code``'s fake with 429s; sandbox clients limit themselves to it
        client-side from their next call on (``None`` turns both off)."""
        self.fake(code).set_quota(quota, retry_after=retry_after)

    def reset(self) -> None:
        """Forget every fake's state, faults, quota, latency and counters."""
        with self._lock:
            self._pending.clear()
        for fake in list(self._fakes.values()):
            fake.reset()

    # -- moving parcels ---------------------------------------------------------------------

    def advance(
        self,
        number: str,
        *,
        hours: float | None = None,
        to_status: str | None = None,
        carrier: str | None = None,
    ) -> TrackingInfo:
        """Move a sandbox parcel along its history; return its tracking as it now reads.

        Give exactly one of:

        * ``hours``: the parcel moves that many hours further along :data:`ADVANCE_LADDER`
          (``pre_transit`` at 0 h, ``in_transit`` at 12 h, ``out_for_delivery`` at 60 h,
          ``delivered`` at 66 h after purchase); calls add up, and a parcel never moves back;
        * ``to_status``: the parcel's history becomes the fake's path to that status (any
          :class:`~carrier_sdk.TrackingStatus` value the fake supports, see
          :meth:`FakeCarrierAPI.advance_statuses <carrier_sdk.fakes.FakeCarrierAPI.advance_statuses>`).

        A move only adds events: those the parcel already showed keep their instants (so a
        watcher reports just the new ones), and the new ones follow them at the carrier's pace,
        as on a real parcel (a label bought now and moved 12 hours shows events up to 12 hours
        ahead). Works for labels bought in the sandbox, scenario numbers and generated
        numbers; the move is part of the fake's state (:meth:`save` keeps it, :meth:`reset`
        forgets it). The parcel is read as its adapter reads it: the carrier's own track flow,
        sent straight to the fake (one attempt, no client), so faults injected on ``track``
        apply to these reads too.

        Args:
            number: The tracking number.
            hours: Hours to move forward (> 0).
            to_status: The status to move to.
            carrier: The carrier code (default: identified from the number).

        Raises:
            ConfigurationError: Neither or both of ``hours`` and ``to_status``; a status the
                fake cannot show; a cancelled label; ``hours`` on a parcel that is off the ladder (a failed
                delivery, a return): use ``to_status``.
            TrackingNotFoundError: The fake does not know ``number``.
            APIConnectionError: A fault injected on ``track`` (:class:`APITimeoutError` for a timeout).

        .. versionadded:: 0.2
        """
        if (hours is None) == (to_status is None):
            raise ConfigurationError("give exactly one of hours and to_status")
        if hours is not None and not (isinstance(hours, int | float) and math.isfinite(hours) and hours > 0):
            raise ConfigurationError(f"hours must be a finite number > 0, not {hours!r}")
        if to_status is not None:
            try:
                to_status = TrackingStatus(str(to_status).strip().lower()).value
            except ValueError:
                choices = ", ".join(s.value for s in TrackingStatus)
                raise ConfigurationError(f"unknown status {to_status!r}: choose one of {choices}") from None
        carrier_cls = self.registry.resolve(number, carrier)
        fake = self.fake(carrier_cls.code)
        impl = carrier_cls(load_settings(carrier_cls, self.settings_for(carrier_cls.code)))
        with httpx.Client(transport=self.transport()) as http:

            def send(request: httpx.Request) -> httpx.Response:
                # The SDK's exception tree, as a client's track would raise (an injected fault).
                try:
                    return http.send(request)
                except httpx.TransportError as err:
                    raise transport_error(err, carrier=carrier_cls.code, operation="track", request=None) from None

            def read(tracking_number: str) -> TrackingInfo:
                return drive_sync(impl.track(impl.check_number(tracking_number)), send)

            before = read(number)
            if fake.is_cancelled(before.tracking_number):
                raise ConfigurationError(f"{before.tracking_number} was cancelled: a cancelled label does not move")
            with fake._lock:
                plan = fake.plans.get(before.tracking_number)
                ladder = dict(ADVANCE_LADDER)
                if hours is not None:
                    current = before.status.value
                    if plan is not None:
                        elapsed = float(plan["hours"])
                    elif current in ladder:
                        elapsed = ladder[current]
                    else:
                        raise ConfigurationError(
                            f"{before.tracking_number} is {current}: hours move a parcel along "
                            f"{' -> '.join(ladder)}; give to_status to move it elsewhere"
                        )
                    elapsed += float(hours)
                    status = [name for name, at in ADVANCE_LADDER if at <= elapsed][-1]
                    if plan is None and current in ladder and ladder[status] < ladder[current]:
                        status = current  # never back
                else:
                    assert to_status is not None
                    status = to_status
                    elapsed = ladder.get(status, float(plan["hours"]) if plan is not None else 0.0)
                supported = fake.advance_statuses()
                if status not in supported:
                    raise ConfigurationError(
                        f"the {fake.carrier_code} sandbox cannot move a parcel to {status}: "
                        f"it knows {', '.join(sorted(supported))}"
                    )
                number = before.tracking_number
                if plan is not None:  # moved before: its history keeps its start
                    fake.plans[number] = {"start": plan["start"], "status": status, "hours": elapsed}
                    start = None
                else:
                    start = fake.clock()
                    fake.plans[number] = {"start": start, "status": status, "hours": elapsed}
            if start is not None and before.events:
                # The first move: start the planned history where the parcel's own began, so the
                # events it already showed keep their instants and the move only adds events.
                probe = read(number)
                if probe.events:
                    lead = probe.events[0].occurred_at.timestamp() - start
                    with fake._lock:
                        fake.plans[number]["start"] = before.events[0].occurred_at.timestamp() - lead
            return read(number)

    # -- state that outlives the process ----------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """Every fake's state (labels, orders, advanced parcels ...) as JSON-ready data.

        Faults, quotas, latency and counters are not part of it. Fakes not created yet keep
        the state a :meth:`restore` gave them.
        """
        with self._lock:
            fakes: dict[str, Any] = dict(self._pending)
            for code, fake in self._fakes.items():
                fakes[code] = fake.snapshot()
        return {"version": STATE_VERSION, "seed": self.seed, "fakes": fakes}

    def restore(self, snapshot: Mapping[str, Any]) -> None:
        """Put back the state :meth:`snapshot` returned (fakes created later get theirs on creation).

        Raises:
            ConfigurationError: The snapshot is of another format version or another seed.
        """
        if not isinstance(snapshot, Mapping) or snapshot.get("version") != STATE_VERSION:
            raise ConfigurationError(f"not a sandbox snapshot of format version {STATE_VERSION}")
        if snapshot.get("seed") != self.seed:
            raise ConfigurationError(
                f"the sandbox snapshot was taken with seed {snapshot.get('seed')!r}, this sandbox has seed {self.seed}"
            )
        fakes = snapshot.get("fakes")
        if not isinstance(fakes, Mapping):
            raise ConfigurationError("the sandbox snapshot has no fakes table")
        with self._lock:
            for code, state in fakes.items():
                if code not in self._codes or not isinstance(state, Mapping):
                    continue
                for value in state.values():
                    decode_state(value)  # ValueError now, not when the fake is created
                if code in self._fakes:
                    self._fakes[code].restore(state)
                else:
                    self._pending[code] = dict(state)

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write :meth:`snapshot` to ``path`` as JSON (atomically: a reader never sees half a file).

        Under the file's lock (:meth:`lock`), the file is read again first: when another process
        saved since this sandbox loaded it, the two are merged (what each changed is kept; where
        both changed one value, this sandbox's wins, and counters keep the larger), so concurrent
        runs never erase each other's labels or moves.
        """
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        with self.locked(target):
            mine = json.loads(json.dumps(self.snapshot()))
            key = target.resolve()
            theirs = _read_state(target)
            base = self._bases.get(key)
            if theirs is not None and theirs not in (base, mine) and theirs.get("seed") == mine.get("seed"):
                mine = _merge(base if base is not None else {}, mine, theirs)
            text = json.dumps(mine, separators=(",", ":"))
            fd, tmp = tempfile.mkstemp(prefix=target.name + ".", suffix=".tmp", dir=target.parent)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as f:
                    f.write(text)
                os.replace(tmp, target)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
            self._bases[key] = mine

    def load(self, path: str | os.PathLike[str]) -> bool:
        """Restore the state saved at ``path``; return False (and change nothing) when there is no file.

        Raises:
            ConfigurationError: The file cannot be read or is not a sandbox state of this seed
                (the message names the file; delete it, or ``carrier-sdk sandbox reset``).
        """
        source = Path(path)
        with self.locked(source):
            try:
                text = source.read_text(encoding="utf-8")
            except FileNotFoundError:
                self._bases[source.resolve()] = None
                return False
            except OSError as err:
                raise ConfigurationError(
                    f"cannot read the sandbox state {str(source)!r}: {err.strerror or err}"
                ) from None
            try:
                data = json.loads(text)
                self.restore(data)
            except (ValueError, TypeError, KeyError, ConfigurationError) as err:
                raise ConfigurationError(
                    f"the sandbox state {str(source)!r} is unusable ({err}): "
                    "delete it or run 'carrier-sdk sandbox reset'"
                ) from None
            self._bases[source.resolve()] = data
        return True

    def lock(self, path: str | os.PathLike[str], *, timeout: float = STATE_LOCK_TIMEOUT) -> None:
        """Take the lock of the state file ``path`` (``<path>.lock``, across processes) until :meth:`unlock`.

        Hold it from :meth:`load` to :meth:`save` to make a whole run one step that no other
        process interleaves with: the ``carrier-sdk`` command does, so concurrent runs hand out
        distinct labels and keep each other's moves. Taking a lock this sandbox holds does
        nothing; :meth:`load` and :meth:`save` take it for themselves when it is not held.

        Raises:
            ConfigurationError: Another process held it for ``timeout`` seconds.
        """
        key = Path(path).resolve()
        with self._lock:
            if key in self._locks:
                return
            file_lock = _FileLock(key.with_name(key.name + ".lock"))
            file_lock.acquire(timeout, what=f"the sandbox state {str(path)!r}")
            self._locks[key] = file_lock

    def unlock(self, path: str | os.PathLike[str]) -> None:
        """Release the lock :meth:`lock` took (nothing when it is not held)."""
        with self._lock:
            file_lock = self._locks.pop(Path(path).resolve(), None)
        if file_lock is not None:
            file_lock.release()

    @contextlib.contextmanager
    def locked(self, path: str | os.PathLike[str], *, timeout: float = STATE_LOCK_TIMEOUT) -> Iterator[None]:
        """:meth:`lock` for the ``with`` block (left held when it was held before)."""
        held = Path(path).resolve() in self._locks
        self.lock(path, timeout=timeout)
        try:
            yield
        finally:
            if not held:
                self.unlock(path)

    # -- dispatch ---------------------------------------------------------------------------

    def _match(self, url: httpx.URL) -> FakeCarrierAPI | None:
        text = str(url)
        best: tuple[int, FakeCarrierAPI] | None = None
        for _, fake in self._iter_fakes():
            for base in fake.base_urls:
                if text.startswith(base) and (best is None or len(base) > best[0]):
                    best = (len(base), fake)
        return best[1] if best is not None else None

    def _resolve(self, request: httpx.Request) -> tuple[FakeCarrierAPI, httpx.Request]:
        """The fake serving ``request`` and the request as that fake sees it."""
        server = self._server
        if server is not None and not server.closed:
            served = server.unprefix(request)
            if served is not None:
                return served
        fake = self._match(request.url)
        if fake is None:
            # Never fall through to the network: an unserved URL is a refused connection.
            raise httpx.ConnectError(
                f"sandbox: no carrier fake serves {request.url.scheme}://{request.url.host}",
                request=request,
            )
        return fake, request

    def transport(self) -> SandboxTransport:
        """A sync httpx transport serving every fake in memory."""
        return SandboxTransport(self)

    def async_transport(self) -> SandboxAsyncTransport:
        """An async httpx transport serving every fake in memory."""
        return SandboxAsyncTransport(self)

    def router(self) -> respx.MockRouter:
        """A :class:`respx.MockRouter` with one route per fake base URL (``side_effect=fake.handle``).

        Use it in your own tests: ``with sandbox.router():`` (or ``.start()``/``.stop()``) patches
        httpx so any client code reaching a carrier's production URL talks to its fake. Latency is
        not applied.
        """
        try:
            import respx
        except ImportError:  # pragma: no cover - respx is in the testing extra
            raise ConfigurationError("Sandbox.router() needs respx: pip install 'carrier-sdk[testing]'") from None
        router = respx.MockRouter(assert_all_called=False, assert_all_mocked=True)
        for code, fake in self._iter_fakes():
            for base in fake.base_urls:
                router.route(url__startswith=base, name=f"{code}:{base}").mock(side_effect=fake.handle)
        return router

    def serve(self, host: str = "127.0.0.1", port: int = 0) -> SandboxServer:
        """Start a threaded HTTP server for every fake on the loopback interface.

        Each carrier lives under its own prefix: ``server.base_urls["usps"]`` is
        ``http://127.0.0.1:PORT/usps``; while it runs, :meth:`settings_for` points adapters at
        it. Use the returned server as a context manager or call ``close()``.

        Raises:
            ConfigurationError: ``host`` is not a loopback address.
        """
        if not _is_loopback(host):
            raise ConfigurationError(f"the sandbox serves on loopback addresses only, not {host!r}")
        server = SandboxServer(self, host, port)
        with self._lock:
            self._server = server
        return server

    def _server_closed(self, server: SandboxServer) -> None:
        with self._lock:
            if self._server is server:
                self._server = None


def _is_loopback(host: str) -> bool:
    if host in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class SandboxTransport(httpx.BaseTransport):
    """Sync in-memory transport: dispatch by URL, wait the fake's latency, answer."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        fake, served = self.sandbox._resolve(request)
        if fake.latency > 0:
            time.sleep(fake.latency)
        served.read()
        return fake.handle(served)


class SandboxAsyncTransport(httpx.AsyncBaseTransport):
    """Async in-memory transport: dispatch by URL, ``asyncio.sleep`` the latency, answer."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        fake, served = self.sandbox._resolve(request)
        if fake.latency > 0:
            import asyncio  # not at import: a sync client's sandbox never needs the event loop

            await asyncio.sleep(fake.latency)
        await served.aread()
        return fake.handle(served)


_HOP_HEADERS = frozenset({"host", "content-length", "transfer-encoding", "connection", "keep-alive"})


class SandboxServer(Closing):
    """A running loopback HTTP server for a :class:`Sandbox` (see :meth:`Sandbox.serve`).

    Attributes:
        url: ``http://HOST:PORT``.
        base_urls: Carrier code -> the base URL of its fake on this server.
    """

    def __init__(self, sandbox: Sandbox, host: str, port: int) -> None:
        self.sandbox = sandbox
        self.closed = False
        import http.server  # not at import: only a served sandbox needs the HTTP server

        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        handler = _make_handler(self)

        class _Server(http.server.ThreadingHTTPServer):
            address_family = family
            daemon_threads = True
            allow_reuse_address = True

        self._httpd = _Server((host, port), handler)
        bound_port = self._httpd.server_address[1]
        shown = f"[{host}]" if family == socket.AF_INET6 else host
        self.host = host
        self.port = int(bound_port)
        self.url = f"http://{shown}:{self.port}"
        self.base_urls: dict[str, str] = {code: f"{self.url}/{code}" for code in sandbox.fakes}
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"carrier-sdk-sandbox:{self.port}",
            daemon=True,
        )
        self._thread.start()

    def __repr__(self) -> str:
        return f"<SandboxServer {self.url} carriers={sorted(self.base_urls)!r}{' closed' if self.closed else ''}>"

    def close(self) -> None:
        """Stop serving and release the port."""
        if self.closed:
            return
        self.closed = True
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)
        self.sandbox._server_closed(self)

    def settings_for(self, code: str) -> dict[str, object]:
        """Settings that make ``code``'s adapter talk to this server."""
        return self.sandbox.fake(code).settings(base_url=self.base_urls[code])

    def settings(self) -> dict[str, dict[str, object]]:
        """Settings for every carrier, ready for ``Client(settings=...)``."""
        return {code: self.settings_for(code) for code in self.base_urls}

    def unprefix(self, request: httpx.Request) -> tuple[FakeCarrierAPI, httpx.Request] | None:
        """Map a request for ``<url>/<code>/rest`` to ``(fake, request for <production base>/rest)``."""
        text = str(request.url)
        for code, base in self.base_urls.items():
            if text == base or text.startswith(base + "/") or text.startswith(base + "?"):
                fake = self.sandbox.fake(code)
                rest = text[len(base) :]
                target = fake.base_urls[0].rstrip("/") + rest if rest[:1] in ("", "/") else fake.base_urls[0] + rest
                served = httpx.Request(
                    request.method,
                    target,
                    headers=[(k, v) for k, v in request.headers.multi_items() if k.lower() not in _HOP_HEADERS],
                    content=request.content,
                    extensions=request.extensions,
                )
                return fake, served
        return None

    def _index(self) -> bytes:
        body = {
            "carriers": {
                code: {"base_url": base, "scenario_numbers": dict(self.sandbox.fake(code).scenario_numbers)}
                for code, base in self.base_urls.items()
            }
        }
        return json.dumps(body, indent=2).encode()


def _make_handler(server: SandboxServer) -> type[http.server.BaseHTTPRequestHandler]:
    import http.server

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "carrier-sdk-sandbox"

        def log_message(self, format: str, *args: Any) -> None:
            logger.debug("sandbox server: " + format, *args)

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length > 0 else b""
            if self.path in ("/", ""):
                self._write(httpx.Response(200, content=server._index(), headers={"content-type": "application/json"}))
                return
            url = server.url + self.path
            headers = [(k, v) for k, v in self.headers.items() if k.lower() not in _HOP_HEADERS]
            request = httpx.Request(self.command, url, headers=headers, content=body)
            resolved = server.unprefix(request)
            if resolved is None:
                message = json.dumps({"error": f"no carrier under {self.path.split('?')[0]}"}).encode()
                self._write(httpx.Response(404, content=message, headers={"content-type": "application/json"}))
                return
            fake, served = resolved
            if fake.latency > 0:
                time.sleep(fake.latency)
            try:
                response = fake.handle(served)
            except httpx.TransportError:
                # Injected connection drop, timeout or lost response: hang up without answering.
                self.close_connection = True
                with contextlib.suppress(OSError):  # already gone
                    self.connection.shutdown(socket.SHUT_RDWR)
                return
            self._write(response)

        def _write(self, response: httpx.Response) -> None:
            content = response.read()
            self.send_response(response.status_code)
            for key, value in response.headers.multi_items():
                if key.lower() not in _HOP_HEADERS and key.lower() != "content-encoding":
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(content)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _serve

    return Handler


class _FileLock:
    """An exclusive lock on a file, across processes (``flock``; ``msvcrt.locking`` on Windows)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.file: Any = None

    def acquire(self, timeout: float, *, what: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "a+b")  # noqa: SIM115 - held until release()
        deadline = time.monotonic() + timeout
        while True:
            try:
                _try_lock(handle)
                break
            except OSError:
                if time.monotonic() >= deadline:
                    handle.close()
                    raise ConfigurationError(
                        f"{what} is in use by another carrier-sdk run (waited {timeout:g} s); "
                        "try again when it has finished"
                    ) from None
                time.sleep(0.02)
        self.file = handle

    def release(self) -> None:
        handle, self.file = self.file, None
        if handle is not None:
            with contextlib.suppress(OSError):
                _unlock(handle)
            handle.close()


if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _try_lock(handle: Any) -> None:
        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)

    def _unlock(handle: Any) -> None:
        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _try_lock(handle: Any) -> None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)

    def _unlock(handle: Any) -> None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _read_state(path: Path) -> Any:
    """The JSON a state file holds now, or ``None`` (no file, or not readable as JSON)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


_ABSENT: Any = object()


def _merge(base: Any, mine: Any, theirs: Any) -> Any:
    """Three-way merge of encoded state (see :func:`~carrier_sdk.fakes.encode_state`): what
    ``mine`` and ``theirs`` each changed from ``base``; a value both changed is ``mine``."""
    if mine == base:
        return theirs
    if theirs in (base, mine):
        return mine
    if _is_pairs(mine) and _is_pairs(theirs):  # an encoded dict: {"$dict": [[key, value], ...]}
        old = _pairs(base) if _is_pairs(base) else {}
        merged = _merge_maps(old, _pairs(mine), _pairs(theirs))
        return {"$dict": [[key, value] for key, value in merged.values()]}
    if isinstance(mine, dict) and isinstance(theirs, dict):
        plain_old = base if isinstance(base, dict) else {}
        maps = [{k: (k, v) for k, v in m.items()} for m in (plain_old, mine, theirs)]
        return {key: value for key, value in _merge_maps(*maps).values()}
    if isinstance(base, list) and isinstance(mine, list) and isinstance(theirs, list):
        n = len(base)
        if mine[:n] == base and theirs[:n] == base:  # both appended (a log)
            return base + mine[n:] + theirs[n:]
    if type(mine) is int and type(theirs) is int:
        return max(mine, theirs)  # counters only grow
    return mine


def _is_pairs(value: Any) -> bool:
    return isinstance(value, dict) and set(value) == {"$dict"} and isinstance(value["$dict"], list)


def _pairs(value: Any) -> dict[str, tuple[Any, Any]]:
    """An encoded dict as ``{identity: (key, value)}`` (keys may be lists: their JSON is the identity)."""
    return {json.dumps(key, sort_keys=True): (key, item) for key, item in value["$dict"]}


def _merge_maps(
    old: dict[str, tuple[Any, Any]], mine: dict[str, tuple[Any, Any]], theirs: dict[str, tuple[Any, Any]]
) -> dict[str, tuple[Any, Any]]:
    merged: dict[str, tuple[Any, Any]] = {}
    for ident in [*mine, *(i for i in theirs if i not in mine)]:
        before = old[ident][1] if ident in old else _ABSENT
        if ident in mine and ident in theirs:
            merged[ident] = (mine[ident][0], _merge(before, mine[ident][1], theirs[ident][1]))
        elif ident in mine:
            if before is _ABSENT or before != mine[ident][1]:  # added or changed here (else: removed there)
                merged[ident] = mine[ident]
        elif before is _ABSENT or before != theirs[ident][1]:
            merged[ident] = theirs[ident]
    return merged
