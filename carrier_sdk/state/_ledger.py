"""The purchase ledger around one ``create_shipment`` call: exactly once across processes."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from .._exceptions import (
    APIStatusError,
    CarrierError,
    ConfigurationError,
    OutcomeUnknownError,
    PurchaseInProgressError,
    StateBackendError,
    UnknownCarrierError,
    UnsupportedOperationError,
    ValidationError,
)
from ._base import PurchaseRecord, PurchaseStatus, StateBackend

if TYPE_CHECKING:
    from .._shipping import Shipment

__all__ = ["PurchaseGuard", "guarded_purchase", "guarded_purchase_async", "request_fingerprint"]

logger = logging.getLogger("carrier_sdk.state")

#: Errors after which the carrier surely bought nothing: the key may be used again.
_SURELY_NOT_BOUGHT = (
    ValidationError,
    UnsupportedOperationError,
    ConfigurationError,
    UnknownCarrierError,
    APIStatusError,
)


def request_fingerprint(request: Any) -> str:
    """A digest of a purchase request (same request, same digest, in every process)."""
    import hashlib

    from .._serialization import to_dict

    return hashlib.sha256(json.dumps(to_dict(request), sort_keys=True, default=str).encode()).hexdigest()[:32]


class PurchaseGuard:
    """One purchase's ledger entry: claim it, then record how it ended.

    ``required=False`` lets a purchase go ahead (with a warning) when the backend cannot be
    reached; by default it fails closed: no ledger entry, no purchase.
    """

    def __init__(
        self,
        state: StateBackend,
        carrier: str,
        idempotency_key: str,
        *,
        lease: float,
        required: bool,
        fingerprint: str = "",
        carrier_checks_keys: bool = False,
    ):
        self.state = state
        self.fingerprint = fingerprint
        self.carrier_checks_keys = carrier_checks_keys
        self.carrier = carrier
        self.idempotency_key = idempotency_key
        self.key = state.purchase_key(carrier, idempotency_key)
        self.owner = uuid.uuid4().hex
        self.lease = lease
        self.required = required
        self.claimed = False

    def start(self) -> Shipment | None:
        """Claim the key: ``None`` to go ahead and buy, or the stored result of a finished purchase.

        Raises:
            PurchaseInProgressError: Another caller holds the key.
            OutcomeUnknownError: An earlier attempt with this key ended without an outcome.
            StateBackendError: The ledger cannot be reached (and ``required``).
        """
        try:
            record = self.state.begin_purchase(self.key, self.owner, self.lease, self.fingerprint)
        except StateBackendError:
            if self.required:
                raise
            logger.warning("purchase ledger unreachable; buying without it (ledger_required=False)")
            return None
        return self._decide(record)

    def _decide(self, record: PurchaseRecord) -> Shipment | None:
        if record.status is PurchaseStatus.PENDING and record.owner == self.owner:
            self.claimed = True
            return None
        if record.fingerprint and self.fingerprint and record.fingerprint != self.fingerprint:
            if self.carrier_checks_keys:
                return None  # the carrier judges a reused key itself (and rejects it); not ours to record
            raise ValidationError(
                f"idempotency key {self.idempotency_key!r} was already used for a different request; "
                "use a new key for a new purchase",
                field="idempotency_key",
                constraint="one request per key",
            )
        if record.status is PurchaseStatus.DONE and record.result is not None:
            from .._serialization import from_dict
            from .._shipping import Shipment

            return from_dict(Shipment, json.loads(record.result))
        if record.status is PurchaseStatus.PENDING:
            wait = max(0.0, record.lease_until - record.now)
            raise PurchaseInProgressError(
                f"a purchase with idempotency key {self.idempotency_key!r} is in progress elsewhere; "
                f"wait for it (its lease ends in {wait:.1f}s) and call again with the same key",
                carrier=self.carrier,
                idempotency_key=self.idempotency_key,
                retry_after=wait,
            )
        raise OutcomeUnknownError(
            f"create_shipment with idempotency key {self.idempotency_key!r} may or may not have happened "
            f"({record.detail or 'an earlier attempt ended without an outcome'}); reconcile, then "
            "state.forget(carrier, key) before buying again",
            carrier=self.carrier,
            idempotency_key=self.idempotency_key,
            attempted_at=datetime.now(UTC),
            cause_kind="ledger: unknown",
            operation="create_shipment",
        )

    def _finish(self, status: PurchaseStatus, result: str | None, detail: str) -> None:
        if not self.claimed:
            return
        try:
            self.state.finish_purchase(self.key, self.owner, status, result=result, detail=detail)
        except StateBackendError as err:
            # The purchase itself is settled for this caller; the entry turns unknown at lease end.
            logger.warning("could not record a purchase outcome in the ledger (%s): %s", status.value, err.message)

    def succeeded(self, shipment: Shipment) -> None:
        """Record the result so that a caller with the same key gets it without buying."""
        from .._serialization import to_dict

        self._finish(PurchaseStatus.DONE, json.dumps(to_dict(shipment)), "")

    def failed(self, error: BaseException) -> None:
        """Record how the purchase ended with ``error``: ``failed`` when surely nothing was bought."""
        if isinstance(error, _SURELY_NOT_BOUGHT) and not isinstance(error, OutcomeUnknownError):
            self._finish(PurchaseStatus.FAILED, None, type(error).__name__)
        elif isinstance(error, CarrierError):
            self._finish(PurchaseStatus.UNKNOWN, None, f"the purchase ended with {type(error).__name__}")
        # Anything else (a crash, a cancellation) leaves the entry pending until its lease ends.


def guarded_purchase(guard: PurchaseGuard, buy: Callable[[], Shipment]) -> Shipment:
    """Run ``buy`` under ``guard`` (see :class:`PurchaseGuard`)."""
    stored = guard.start()
    if stored is not None:
        return stored
    try:
        shipment = buy()
    except BaseException as err:
        guard.failed(err)
        raise
    guard.succeeded(shipment)
    return shipment


async def guarded_purchase_async(guard: PurchaseGuard, buy: Callable[[], Awaitable[Shipment]]) -> Shipment:
    """Async :func:`guarded_purchase` (ledger calls run in a worker thread)."""
    import asyncio

    stored = await asyncio.to_thread(guard.start)
    if stored is not None:
        return stored
    try:
        shipment = await buy()
    except BaseException as err:
        await asyncio.to_thread(guard.failed, err)
        raise
    await asyncio.to_thread(guard.succeeded, shipment)
    return shipment
