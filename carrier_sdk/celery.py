"""Spread tracking, watching and label purchases over Celery workers (``carrier-sdk[celery]``).

Tasks (registered with Celery's ``shared_task``, so any Celery app that imports this module
has them):

* ``carrier_sdk.track_chunk``: track a list of numbers; one result per number.
* ``carrier_sdk.buy_labels``: buy a batch of labels; one result per item, each item bought
  exactly once across workers and redeliveries (the purchase ledger of the client's state).
* ``carrier_sdk.watch_tick``: one round of a :class:`~carrier_sdk.watch.Watcher` (one at a
  time across workers, guarded by a lease in the shared state); see :func:`beat_schedule`.

Every worker process builds one client, on first use, from :func:`configure` (default:
``Client()``, which reads carrier settings from ``CARRIER_SDK_<CODE>_<FIELD>`` and the shared
state from ``CARRIER_SDK_STATE_URL``). :func:`track_in_chunks` splits a large input into chunks,
sends them as groups and streams the results back as chunks finish.

.. versionadded:: 0.2
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

import attrs

from ._client import Client
from ._exceptions import CarrierError, ConfigurationError, PurchaseInProgressError, ValidationError
from ._models import TrackingInfo, TrackingResult
from ._serialization import from_dict, to_dict
from ._shipping import Shipment, ShipmentRequest

try:
    from celery import group, shared_task
except ImportError:  # pragma: no cover - exercised only without the extra
    raise ImportError("carrier_sdk.celery needs Celery: pip install 'carrier-sdk[celery]'") from None

if TYPE_CHECKING:
    from .watch import Store
    from .watch._watcher import OnChange

__all__ = [
    "WATCH_TICK_LEASE",
    "PurchaseOutcome",
    "RemoteTrackingResult",
    "beat_schedule",
    "buy_labels",
    "configure",
    "purchase_item",
    "track_chunk",
    "track_in_chunks",
    "watch_tick",
    "worker_client",
]

#: Longest a watcher round may hold the tick lease, in seconds (a crashed round frees it then).
WATCH_TICK_LEASE = 600.0


@attrs.define
class _Config:
    client: Callable[[], Client] = Client
    watch_store: Callable[[], Store] | None = None
    on_change: list[OnChange] = attrs.field(factory=list)


_config = _Config()
_lock = threading.Lock()
_client: tuple[int, Client] | None = None


def configure(
    *,
    client: Callable[[], Client] | None = None,
    watch_store: Callable[[], Store] | None = None,
    on_change: Iterable[OnChange] | None = None,
) -> None:
    """Say how a worker process builds its client and watch store (call it where the app is defined).

    Args:
        client: Builds this process's :class:`~carrier_sdk.Client` (default ``Client()``: settings
            and ``CARRIER_SDK_STATE_URL`` from the environment). Called once per process, after
            the fork.
        watch_store: Builds the watcher's store for ``watch_tick`` (default: the watcher's SQLite
            store in the user's data directory).
        on_change: Callbacks the watcher hands each change to (webhook sinks ...).
    """
    global _client
    with _lock:
        if client is not None:
            _config.client = client
        if watch_store is not None:
            _config.watch_store = watch_store
        if on_change is not None:
            _config.on_change = list(on_change)
        _client = None


def worker_client() -> Client:
    """This process's client, built on first use (and again in a forked child)."""
    global _client
    pid = os.getpid()
    with _lock:
        if _client is None or _client[0] != pid:
            built = _config.client()
            if not isinstance(built, Client):
                raise ConfigurationError("carrier_sdk.celery.configure(client=...) must build a carrier_sdk.Client")
            _client = (pid, built)
        return _client[1]


def _error(err: BaseException) -> dict[str, Any]:
    data: dict[str, Any] = to_dict(err)  # type: ignore[call-overload]  # errors serialize one way
    return data


def _tracking_result(result: TrackingResult) -> dict[str, Any]:
    return {
        "number": result.number,
        "carrier": result.carrier,
        "info": to_dict(result.info) if result.info is not None else None,
        "error": _error(result.error) if result.error is not None else None,
    }


@shared_task(name="carrier_sdk.track_chunk")  # type: ignore[untyped-decorator]
def track_chunk(numbers: list[str], carrier: str | None = None, concurrency: int = 8) -> list[dict[str, Any]]:
    """Track ``numbers`` (one Celery task): one JSON result per number, errors included."""
    client = worker_client()
    return [_tracking_result(r) for r in client.track_many(numbers, carrier=carrier, concurrency=concurrency)]


def purchase_item(carrier: str, request: ShipmentRequest, idempotency_key: str | None = None) -> dict[str, Any]:
    """One item for ``buy_labels``, with its idempotency key fixed now (a new one if not given).

    The key travels in the task's arguments, so a redelivered task presents the same key and
    the ledger answers instead of the carrier.
    """
    if not isinstance(request, ShipmentRequest):
        raise ValidationError("request must be a ShipmentRequest", field="request", constraint="ShipmentRequest")
    return {"carrier": carrier, "request": to_dict(request), "idempotency_key": idempotency_key or uuid.uuid4().hex}


def _buy_one(client: Client, item: dict[str, Any]) -> dict[str, Any]:
    key = str(item.get("idempotency_key") or "")
    carrier = str(item.get("carrier") or "")
    out: dict[str, Any] = {"carrier": carrier, "idempotency_key": key, "shipment": None, "error": None}
    try:
        if not key:
            raise ValidationError(
                "each item needs an idempotency_key (build items with purchase_item)",
                field="idempotency_key",
                constraint="required",
            )
        request = from_dict(ShipmentRequest, item.get("request"))
        for attempt in range(2):
            try:
                shipment = client.create_shipment(carrier, request, idempotency_key=key)
                break
            except PurchaseInProgressError as err:
                if attempt:
                    raise
                # Another worker holds the key (a redelivery racing the original): wait for it.
                client.state.wait_for_purchase(carrier, key, timeout=err.retry_after + 1)
        out["shipment"] = to_dict(shipment)
    except CarrierError as err:
        out["error"] = _error(err)
    return out


@shared_task(name="carrier_sdk.buy_labels", acks_late=True, reject_on_worker_lost=True)  # type: ignore[untyped-decorator]
def buy_labels(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Buy each item (from :func:`purchase_item`): one result per item, in order.

    Acknowledged after it ran, so a worker lost mid-task hands it to another; every item keeps
    its idempotency key, so the ledger returns what was bought instead of buying again.
    """
    client = worker_client()
    return [_buy_one(client, item) for item in items]


@shared_task(name="carrier_sdk.watch_tick")  # type: ignore[untyped-decorator]
def watch_tick(max_per_run: int | None = None) -> dict[str, Any]:
    """One watcher round (poll what is due, deliver changes), at most one at a time across workers."""
    from .watch import Watcher

    client = worker_client()
    owner = uuid.uuid4().hex
    if not client.state.acquire("carrier_sdk:watch_tick", owner, WATCH_TICK_LEASE):
        return {"skipped": True, "changes": 0, "calls": 0}
    try:
        store = _config.watch_store() if _config.watch_store is not None else None
        with Watcher(client, store, on_change=_config.on_change, max_per_run=max_per_run) as watcher:
            changes = watcher.run_once()
            calls = sum(watcher.calls.values())
        if store is not None:
            store.close()
        return {"skipped": False, "changes": len(changes), "calls": calls}
    finally:
        client.state.release("carrier_sdk:watch_tick", owner)


def beat_schedule(every: float = 300.0, *, name: str = "carrier-sdk-watch-tick") -> dict[str, dict[str, Any]]:
    """A ``beat_schedule`` entry running ``watch_tick`` every ``every`` seconds.

    ``app.conf.beat_schedule = beat_schedule(60)``; a tick not started within ``every`` seconds
    expires instead of piling up behind a slow one.
    """
    if not (0 < every < float("inf")):
        raise ValidationError("every must be a finite number of seconds > 0", field="every", constraint="> 0")
    return {name: {"task": "carrier_sdk.watch_tick", "schedule": float(every), "options": {"expires": float(every)}}}


@attrs.frozen(kw_only=True)
class RemoteTrackingResult:
    """One number's result from a worker (:func:`track_in_chunks`).

    Attributes:
        number: The number as given.
        carrier: The carrier that answered, where known.
        info: The tracking history, or ``None`` on error.
        error_type: The error's class name (``TrackingNotFoundError`` ...), or ``None``.
        error_message: The error's message, or ``None``.
    """

    number: str
    carrier: str | None = None
    info: TrackingInfo | None = None
    error_type: str | None = None
    error_message: str | None = None

    @property
    def ok(self) -> bool:
        """Whether the number was tracked."""
        return self.info is not None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RemoteTrackingResult:
        """The result a ``track_chunk`` task returned as JSON."""
        error = data.get("error") or {}
        return cls(
            number=data["number"],
            carrier=data.get("carrier"),
            info=from_dict(TrackingInfo, data["info"]) if data.get("info") else None,
            error_type=error.get("type"),
            error_message=error.get("message"),
        )


@attrs.frozen(kw_only=True)
class PurchaseOutcome:
    """One item's result from ``buy_labels``.

    Attributes:
        carrier: The carrier code.
        idempotency_key: The item's key (reconcile with it when ``error_type`` is
            ``OutcomeUnknownError``).
        shipment: The label bought (or already bought under this key), or ``None``.
        error_type: The error's class name, or ``None``.
        error_message: The error's message, or ``None``.
    """

    carrier: str
    idempotency_key: str
    shipment: Shipment | None = None
    error_type: str | None = None
    error_message: str | None = None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PurchaseOutcome:
        """The outcome a ``buy_labels`` task returned as JSON."""
        error = data.get("error") or {}
        return cls(
            carrier=data["carrier"],
            idempotency_key=data["idempotency_key"],
            shipment=from_dict(Shipment, data["shipment"]) if data.get("shipment") else None,
            error_type=error.get("type"),
            error_message=error.get("message"),
        )


def _chunks(numbers: Iterable[str], size: int) -> Iterator[list[str]]:
    chunk: list[str] = []
    for number in numbers:
        chunk.append(number)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def track_in_chunks(
    numbers: Iterable[str],
    *,
    carrier: str | None = None,
    chunk_size: int = 500,
    max_in_flight: int = 16,
    timeout: float = 600.0,
    poll: float = 0.05,
    concurrency: int = 8,
) -> Iterator[RemoteTrackingResult]:
    """Track ``numbers`` on the workers: chunks of ``chunk_size`` sent as Celery groups, results
    yielded as each chunk finishes (not in input order), one per number.

    The input is read lazily and at most ``max_in_flight`` chunks are queued at once, so the
    input may be a generator over a huge file. Needs a result backend.

    Raises:
        APITimeoutError: A chunk took longer than ``timeout`` seconds.
    """
    from ._exceptions import APITimeoutError

    if chunk_size < 1 or max_in_flight < 1:
        raise ValidationError("chunk_size and max_in_flight must be >= 1", field="chunk_size", constraint=">= 1")
    chunks = _chunks(numbers, chunk_size)
    in_flight: list[tuple[Any, float]] = []
    exhausted = False
    try:
        while True:
            room = max_in_flight - len(in_flight)
            if room > 0 and not exhausted:
                batch = []
                for _ in range(room):
                    chunk = next(chunks, None)
                    if chunk is None:
                        exhausted = True
                        break
                    batch.append(chunk)
                if batch:
                    sent = group(track_chunk.s(chunk, carrier, concurrency) for chunk in batch).apply_async()
                    in_flight += [(result, time.monotonic()) for result in sent.results]
            if not in_flight:
                return
            finished = [(r, t) for r, t in in_flight if r.ready()]
            if not finished:
                oldest = min(t for _, t in in_flight)
                if time.monotonic() - oldest > timeout:
                    raise APITimeoutError(f"a track_chunk task took longer than {timeout:g}s", carrier=carrier or "?")
                time.sleep(poll)
                continue
            for result, started in finished:
                in_flight.remove((result, started))
                for item in result.get(timeout=timeout, propagate=True):
                    yield RemoteTrackingResult.from_json(item)
                result.forget()
    finally:
        for result, _ in in_flight:
            result.revoke()
