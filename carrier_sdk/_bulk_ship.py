"""Bulk purchase: ``create_shipments`` buys many labels with bounded concurrency.

Each request is the operation :meth:`Client.create_shipment() <carrier_sdk.Client.create_shipment>`
runs, with its own idempotency key, under the same purchase rules, on the bulk scheduler of
``_bulk``. Results stream as they complete; one
failure never stops the run nor raises: it is that item's result, an
:class:`~carrier_sdk.OutcomeUnknownError` included (reconcile it with its key before buying again).
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from functools import partial

import attrs

from ._bulk import AsyncResults, Results, summary_dict
from ._exceptions import CarrierError, OutcomeUnknownError, ValidationError
from ._operation import FLUSH, Operation, Unit
from ._shipping import Shipment, ShipmentRequest

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
        return summary_dict(self)


class ShipmentIterator(Results[ShipmentResult, ShipmentSummary]):
    """Iterator of :class:`ShipmentResult` with a running :class:`ShipmentSummary` (``summary``).

    ``close()`` stops: no new purchase starts; those in flight finish.
    """


class AsyncShipmentIterator(AsyncResults[ShipmentResult, ShipmentSummary]):
    """Async iterator of :class:`ShipmentResult` with a running :class:`ShipmentSummary` (``summary``).

    ``aclose()`` stops: purchases in flight are cancelled (each may end as an unknown outcome).
    """


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


def purchase_units(
    requests: Iterable[ShipmentRequest],
    keys: Callable[[int], str],
    buy: Callable[[ShipmentRequest, str], Operation[Shipment]],
    early: list[ShipmentResult],
) -> Iterator[Unit[Shipment, ShipmentResult]]:
    """``create_shipments``' work: one unit per request, read lazily.

    ``buy(request, key)`` prepares one purchase (the same operation ``create_shipment`` runs); an
    item that is no request becomes a result in ``early`` (and :data:`FLUSH` is yielded).
    """
    for index, item in enumerate(requests):
        key = keys(index)
        bad = _bad_item(index, key, item)
        if bad is not None:
            early.append(bad)
            yield FLUSH
            continue
        yield Unit(
            partial(buy, item, key),
            partial(_bought, index, key, item),
            partial(_not_bought, index, key, item),
            bulk=False,
        )


def _bought(index: int, key: str, request: ShipmentRequest, shipment: Shipment) -> list[ShipmentResult]:
    return [ShipmentResult(index=index, idempotency_key=key, request=request, shipment=shipment)]


def _not_bought(index: int, key: str, request: ShipmentRequest, error: Exception) -> list[ShipmentResult]:
    if not isinstance(error, CarrierError):
        raise error
    return [ShipmentResult(index=index, idempotency_key=key, request=request, error=error)]
