"""Prepared operations: what a client call runs, built once for both clients.

:class:`~carrier_sdk.BaseClient` checks a call's arguments and builds an :class:`Operation`: the
configured carrier and the flow to drive, plus, for a purchase, its idempotency key and ledger
guard. The sync and async drivers run it. Bulk work is a stream of :class:`Unit`\\ s: each prepares
an operation and says how its outcome, or its error, becomes that unit's results.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import attrs

if TYPE_CHECKING:
    from ._carrier import Carrier
    from ._flow import Flow
    from ._shipping import Rate, Shipment
    from .state._ledger import PurchaseGuard

__all__ = ["FLUSH", "Bulk", "Operation", "Unit", "purchase_flow"]

T = TypeVar("T")
R = TypeVar("R")
S = TypeVar("S")


@attrs.frozen
class Operation(Generic[T]):
    """One call, ready to run: ``flow`` driven against ``carrier``.

    A purchase carries its idempotency ``key`` (reported on an unknown outcome) and the ledger
    ``guard`` that answers a repeated key with the label already bought.
    """

    carrier: Carrier
    flow: Flow[T]
    key: str | None = None
    guard: PurchaseGuard | None = None


@attrs.frozen
class Unit(Generic[T, R]):
    """One piece of bulk work: ``operation()`` prepares what to run; ``ok`` turns its result into
    results, ``failed`` the exception it raised (preparing included). ``bulk`` selects the patient
    retry count (``RetryPolicy.max_retries``) for the unit's calls.
    """

    operation: Callable[[], Operation[T]]
    ok: Callable[[T], list[R]]
    failed: Callable[[Exception], list[R]]
    bulk: bool = True


class _Flush:
    def __repr__(self) -> str:
        return "FLUSH"


#: Yielded by a bulk planner after it put a result in its ``early`` list: the scheduler yields
#: the early results before it pulls more input, so bad items are never read far ahead.
FLUSH: Any = _Flush()


def purchase_flow(make: Callable[[], Flow[Shipment]], key: str, rate: Rate | None) -> Flow[Shipment]:
    """The idempotency wrapper around a purchase flow: its shipment carries the call's key, and
    the quote's price when the purchase was bought as quoted. ``make`` runs when the flow starts
    (inside the ledger guard), so an adapter's eager check fails under the guard, as a purchase.
    """
    shipment = yield from make()
    changes: dict[str, Any] = {}
    if not shipment.idempotency_key:
        changes["idempotency_key"] = key
    if rate is not None and shipment.quoted_price is None:
        changes["quoted_price"] = rate.price
    return attrs.evolve(shipment, **changes) if changes else shipment


@attrs.frozen
class Bulk(Generic[R, S]):
    """Bulk work ready to schedule: its units, the list early results land in, and the summary."""

    units: Iterator[Unit[Any, R]]
    early: list[R]
    summary: S
    concurrency: int
