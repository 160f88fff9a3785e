"""Follow parcels: a watcher that polls on a schedule, an embedded store, change events and sinks.

``Watcher(client)`` (or ``AsyncWatcher(async_client)``) keeps parcels in a :class:`Store`
(SQLite in the user's data directory by default), polls each one when it is due, within every
carrier's client-side rate limit and batch size, and reports a :class:`TrackingChange` for each
parcel whose history changed. See the "Follow parcels" page of the documentation.

.. versionadded:: 0.2
"""

from __future__ import annotations

from ._diff import apply_error, apply_info, apply_not_found, merge_push
from ._model import ParcelState, TerminalReason, TrackingChange, WatchedParcel, event_id
from ._push import DEFAULT_MAX_PUSH_BODY, PushReceiver, PushVerifier, cainiao_verifier, record_push
from ._schedule import DEFAULT_TABLE, Pacer, Schedule
from ._sqlite import SCHEMA_VERSION, SQLiteStore, default_store_path
from ._store import CommitBatch, MemoryStore, ParcelQuery, Store
from ._watcher import AsyncWatcher, OnChange, Watcher, WatcherOptions
from ._webhook import (
    CHANGE_ID_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    AsyncWebhookSink,
    WebhookDeliveryError,
    WebhookOptions,
    WebhookSink,
    WebhookVerificationError,
    sign,
    verify,
)

__all__ = [
    "CHANGE_ID_HEADER",
    "DEFAULT_MAX_PUSH_BODY",
    "DEFAULT_TABLE",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "AsyncWebhookSink",
    "PushReceiver",
    "PushVerifier",
    "WebhookDeliveryError",
    "WebhookOptions",
    "WebhookSink",
    "WebhookVerificationError",
    "cainiao_verifier",
    "record_push",
    "sign",
    "verify",
    "SCHEMA_VERSION",
    "AsyncWatcher",
    "CommitBatch",
    "MemoryStore",
    "OnChange",
    "Pacer",
    "ParcelQuery",
    "ParcelState",
    "SQLiteStore",
    "Schedule",
    "Store",
    "TerminalReason",
    "TrackingChange",
    "WatchedParcel",
    "Watcher",
    "WatcherOptions",
    "apply_error",
    "apply_info",
    "apply_not_found",
    "default_store_path",
    "event_id",
    "merge_push",
]
