"""Bulk purchase: ``create_shipments`` buys many labels with bounded concurrency.

Each request is one :meth:`Client.create_shipment() <carrier_sdk.Client.create_shipment>` call with
its own idempotency key, under the same purchase rules. Results stream as they complete; one
failure never stops the run nor raises: it is that item's result, an
:class:`~carrier_sdk.OutcomeUnknownError` included (reconcile it with its key before buying again).
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator

import attrs

from ._exceptions import CarrierError, OutcomeUnknownError, ValidationError
from ._models import Shipment, ShipmentRequest

__all__ = ["AsyncShipmentIterator", "ShipmentIterator", "ShipmentResult", "ShipmentSummary"]


@attrs.frozen(kw_only=True)
class ShipmentResult:
    """One item of :meth:`Client.create_shipments() <carrier_sdk.Client.create_shipments>`.

    ``index`` is the item's position in the input; ``idempotency_key`` the key its purchase
    carried (keep it: it finds the label after an unknown outcome). Exactly one of ``shipment``
    and ``error`` is set.
    """

    index: int
    idempotency_key: str
    request: ShipmentRequest | None = None
    shipment: Shipment | None = None
    error: CarrierError | None = None

    @property
    def ok(self) -> bool:
        """Whether the label was bought."""
        return self.shipment is not None

    @property
    def outcome_unknown(self) -> bool:
        """Whether the purchase may have happened (:class:`~carrier_sdk.OutcomeUnknownError`)."""
        return isinstance(self.error, OutcomeUnknownError)


@attrs.define
class ShipmentSummary:
    """Counts over a bulk purchase, updated as results are consumed.

    ``outcome_unknown`` counts purchases that may have happened: reconcile each before retrying.
    """

    total: int = 0
    bought: int = 0
    failed: int = 0
    outcome_unknown: int = 0
    by_error: Counter[str] = attrs.field(factory=Counter)

    def add(self, result: ShipmentResult) -> None:
        """Count one result."""
        self.total += 1
        if result.shipment is not None:
            self.bought += 1
            return
        self.failed += 1
        if result.outcome_unknown:
            self.outcome_unknown += 1
        self.by_error[type(result.error).__name__] += 1

    def as_dict(self) -> dict[str, object]:
        """Plain data for JSON output."""
        return {
            "total": self.total,
            "bought": self.bought,
            "failed": self.failed,
            "outcome_unknown": self.outcome_unknown,
            "by_error": dict(sorted(self.by_error.items())),
        }


class ShipmentIterator(Iterator[ShipmentResult]):
    """Iterator of :class:`ShipmentResult` with a running :class:`ShipmentSummary` (``summary``)."""

    def __init__(self, source: Iterator[ShipmentResult], summary: ShipmentSummary) -> None:
        self._source = source
        self.summary = summary

    def __iter__(self) -> ShipmentIterator:
        return self

    def __next__(self) -> ShipmentResult:
        return next(self._source)

    def close(self) -> None:
        """Stop: no new purchase starts; those in flight finish."""
        close = getattr(self._source, "close", None)
        if close is not None:
            close()


class AsyncShipmentIterator(AsyncIterator[ShipmentResult]):
    """Async iterator of :class:`ShipmentResult` with a running :class:`ShipmentSummary` (``summary``)."""

    def __init__(self, source: AsyncIterator[ShipmentResult], summary: ShipmentSummary) -> None:
        self._source = source
        self.summary = summary

    def __aiter__(self) -> AsyncShipmentIterator:
        return self

    async def __anext__(self) -> ShipmentResult:
        return await self._source.__anext__()

    async def aclose(self) -> None:
        """Stop: purchases in flight are cancelled (each may end as an unknown outcome)."""
        aclose = getattr(self._source, "aclose", None)
        if aclose is not None:
            await aclose()


def check_concurrency(concurrency: object) -> int:
    """``concurrency`` as a positive whole number; :class:`ValidationError` otherwise."""
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
        raise ValidationError("concurrency must be a whole number >= 1", field="concurrency", constraint=">= 1")
    return concurrency


def key_maker(prefix: str | None) -> Callable[[int], str]:
    """Per-item keys: ``f"{prefix}-{index}"`` (a rerun of the same input buys nothing twice), else UUIDs."""
    if prefix is None:
        return lambda index: uuid.uuid4().hex
    if not isinstance(prefix, str) or not 1 <= len(prefix) <= 200 or not prefix.isprintable():
        raise ValidationError(
            "idempotency_key_prefix must be 1-200 printable characters",
            field="idempotency_key_prefix",
            constraint="1-200 printable",
        )
    return lambda index: f"{prefix}-{index}"


def _bad_item(index: int, key: str, item: object) -> ShipmentResult | None:
    if isinstance(item, ShipmentRequest):
        return None
    error = ValidationError(
        f"item {index} must be a ShipmentRequest, got {type(item).__name__}",
        field="requests",
        constraint="ShipmentRequest",
    )
    return ShipmentResult(index=index, idempotency_key=key, error=error)


def buy_many_sync(
    requests: Iterable[ShipmentRequest],
    buy: Callable[[ShipmentRequest, str], Shipment],
    keys: Callable[[int], str],
    concurrency: int,
    summary: ShipmentSummary,
) -> Iterator[ShipmentResult]:
    """Run ``buy(request, key)`` for each request on up to ``concurrency`` threads, lazily."""
    import concurrent.futures as cf

    def one(index: int, request: ShipmentRequest, key: str) -> ShipmentResult:
        try:
            return ShipmentResult(index=index, idempotency_key=key, request=request, shipment=buy(request, key))
        except CarrierError as err:
            return ShipmentResult(index=index, idempotency_key=key, request=request, error=err)

    items = enumerate(requests)
    pending: set[cf.Future[ShipmentResult]] = set()
    with cf.ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="carrier-sdk-ship") as pool:
        try:
            exhausted = False
            while True:
                while not exhausted and len(pending) < concurrency:
                    nxt = next(items, None)
                    if nxt is None:
                        exhausted = True
                        break
                    index, item = nxt
                    key = keys(index)
                    bad = _bad_item(index, key, item)
                    if bad is not None:
                        summary.add(bad)
                        yield bad
                        continue
                    pending.add(pool.submit(one, index, item, key))
                if not pending:
                    return
                done, pending = cf.wait(pending, return_when=cf.FIRST_COMPLETED)
                for future in done:
                    result = future.result()
                    summary.add(result)
                    yield result
        finally:
            for future in pending:
                future.cancel()


async def buy_many_async(
    requests: Iterable[ShipmentRequest],
    buy: Callable[[ShipmentRequest, str], Awaitable[Shipment]],
    keys: Callable[[int], str],
    concurrency: int,
    summary: ShipmentSummary,
) -> AsyncIterator[ShipmentResult]:
    """Async twin of :func:`buy_many_sync`: up to ``concurrency`` purchases in flight."""
    import asyncio

    async def one(index: int, request: ShipmentRequest, key: str) -> ShipmentResult:
        try:
            shipment = await buy(request, key)
            return ShipmentResult(index=index, idempotency_key=key, request=request, shipment=shipment)
        except CarrierError as err:
            return ShipmentResult(index=index, idempotency_key=key, request=request, error=err)

    items = enumerate(requests)
    pending: set[asyncio.Task[ShipmentResult]] = set()
    try:
        exhausted = False
        while True:
            while not exhausted and len(pending) < concurrency:
                nxt = next(items, None)
                if nxt is None:
                    exhausted = True
                    break
                index, item = nxt
                key = keys(index)
                bad = _bad_item(index, key, item)
                if bad is not None:
                    summary.add(bad)
                    yield bad
                    continue
                pending.add(asyncio.create_task(one(index, item, key)))
            if not pending:
                return
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                result = task.result()
                summary.add(result)
                yield result
    finally:
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
