"""The default store: one SQLite file (standard library ``sqlite3``), WAL mode, versioned schema.

Several processes on one machine may share the file (WAL lets readers run beside the one
writer; writers wait up to ``busy_timeout``). Every write is one ``BEGIN IMMEDIATE`` transaction.
The schema version lives in ``PRAGMA user_version``; :data:`MIGRATIONS` brings any older file up
to date when it is opened, inside a transaction, so an interrupted upgrade leaves the old schema.
"""

from __future__ import annotations

import json
import math
import os
import sqlite3
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .._exceptions import ConfigurationError
from .._models import TrackingInfo
from ._model import ParcelState, TerminalReason, TrackingChange, WatchedParcel
from ._store import CommitBatch, ParcelQuery, Store

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "SQLiteStore", "default_store_path"]

#: Schema version -> the statements that bring version ``n - 1`` to ``n``.
MIGRATIONS: dict[int, tuple[str, ...]] = {
    1: (
        """CREATE TABLE parcels (
            carrier TEXT NOT NULL,
            number TEXT NOT NULL,
            journey TEXT NOT NULL,
            metadata TEXT NOT NULL,
            state TEXT NOT NULL,
            terminal_reason TEXT,
            info TEXT,
            seen TEXT NOT NULL,
            added_at REAL NOT NULL,
            next_poll_at REAL NOT NULL,
            last_polled_at REAL,
            last_event_at REAL,
            errors INTEGER NOT NULL,
            not_found INTEGER NOT NULL,
            last_error TEXT NOT NULL,
            PRIMARY KEY (carrier, number)
        ) WITHOUT ROWID""",
        "CREATE INDEX parcels_due ON parcels (state, next_poll_at)",
        "CREATE INDEX parcels_number ON parcels (number)",
        """CREATE TABLE changes (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            change_id TEXT NOT NULL UNIQUE,
            carrier TEXT NOT NULL,
            number TEXT NOT NULL,
            body TEXT NOT NULL,
            created_at REAL NOT NULL,
            delivered_at REAL
        )""",
        "CREATE INDEX changes_pending ON changes (seq) WHERE delivered_at IS NULL",
    ),
}
#: The schema version this code writes.
SCHEMA_VERSION = max(MIGRATIONS)

_NEVER = 1e308  # SQLite keeps +inf, but a finite sentinel sorts and compares the same everywhere


def default_store_path(environ: dict[str, str] | None = None) -> Path:
    """``watch.sqlite3`` in the user's data directory for carrier-sdk.

    ``CARRIER_SDK_WATCH_DB`` wins; then ``%LOCALAPPDATA%\\carrier-sdk`` on Windows,
    ``~/Library/Application Support/carrier-sdk`` on macOS, ``$XDG_DATA_HOME/carrier-sdk``
    (default ``~/.local/share/carrier-sdk``) elsewhere.
    """
    env = os.environ if environ is None else environ
    explicit = env.get("CARRIER_SDK_WATCH_DB")
    if explicit:
        return Path(explicit)
    home = Path(env.get("HOME") or Path.home())
    if sys.platform == "win32":
        base = Path(env.get("LOCALAPPDATA") or home / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = home / "Library" / "Application Support"
    else:
        base = Path(env.get("XDG_DATA_HOME") or home / ".local" / "share")
    return base / "carrier-sdk" / "watch.sqlite3"


def _to_db(value: float) -> float:
    return _NEVER if value == math.inf else value


def _from_db(value: float) -> float:
    return math.inf if value >= _NEVER else value


def _dump_info(info: TrackingInfo | None) -> str | None:
    if info is None:
        return None
    from .._serialization import to_dict

    return json.dumps(to_dict(info), separators=(",", ":"))


def _load_info(text: str | None) -> TrackingInfo | None:
    if text is None:
        return None
    from .._serialization import from_dict

    return from_dict(TrackingInfo, json.loads(text))


_COLUMNS = (
    "carrier, number, journey, metadata, state, terminal_reason, info, seen, added_at, next_poll_at, "
    "last_polled_at, last_event_at, errors, not_found, last_error"
)


def _row(parcel: WatchedParcel) -> tuple[Any, ...]:
    return (
        parcel.carrier,
        parcel.number,
        parcel.journey,
        json.dumps(parcel.metadata, separators=(",", ":"), sort_keys=True),
        parcel.state.value,
        parcel.terminal_reason.value if parcel.terminal_reason is not None else None,
        _dump_info(parcel.info),
        json.dumps(sorted(parcel.seen), separators=(",", ":")),
        parcel.added_at,
        _to_db(parcel.next_poll_at),
        parcel.last_polled_at,
        parcel.last_event_at,
        parcel.errors,
        parcel.not_found,
        parcel.last_error,
    )


def _parcel(row: sqlite3.Row | tuple[Any, ...]) -> WatchedParcel:
    (carrier, number, journey, metadata, state, reason, info, seen, added, due, polled, event, errors, nf, err) = row
    return WatchedParcel(
        carrier=carrier,
        number=number,
        journey=journey,
        metadata=json.loads(metadata),
        state=ParcelState(state),
        terminal_reason=TerminalReason(reason) if reason else None,
        info=_load_info(info),
        seen=frozenset(json.loads(seen)),
        added_at=added,
        next_poll_at=_from_db(due),
        last_polled_at=polled,
        last_event_at=event,
        errors=errors,
        not_found=nf,
        last_error=err,
    )


class SQLiteStore(Store):
    """The watcher's store in one SQLite file.

    Args:
        path: The database file (created with its directories); default
            :func:`default_store_path`. ``":memory:"`` keeps it in memory (one process).
        busy_timeout: Seconds a write waits for another process's transaction to finish.

    Raises:
        ConfigurationError: The file cannot be opened, is not a database, or was written by a
            newer version of carrier-sdk.
    """

    def __init__(self, path: str | os.PathLike[str] | None = None, *, busy_timeout: float = 10.0) -> None:
        target = default_store_path() if path is None else path
        self.path = str(target)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        try:
            self._db = sqlite3.connect(self.path, timeout=busy_timeout, isolation_level=None, check_same_thread=False)
            self._db.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
            if self.path != ":memory:":
                self._db.execute("PRAGMA journal_mode = WAL")
            self._db.execute("PRAGMA synchronous = NORMAL")
            self._migrate()
        except sqlite3.DatabaseError as err:
            raise ConfigurationError(f"cannot open the watch store {self.path!r}: {err}") from None

    def __repr__(self) -> str:
        return f"<SQLiteStore {self.path!r}>"

    @property
    def schema_version(self) -> int:
        """The schema version of the open file."""
        with self._lock:
            version: int = self._db.execute("PRAGMA user_version").fetchone()[0]
            return version

    def _migrate(self) -> None:
        with self._transaction() as db:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise ConfigurationError(
                    f"the watch store {self.path!r} has schema version {version}; this carrier-sdk "
                    f"reads up to {SCHEMA_VERSION}: upgrade carrier-sdk"
                )
            for step in range(version + 1, SCHEMA_VERSION + 1):
                for statement in MIGRATIONS[step]:
                    db.execute(statement)
                db.execute(f"PRAGMA user_version = {step}")

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            db = self._db
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            else:
                db.execute("COMMIT")

    def close(self) -> None:
        """Close the connection (checkpointing the WAL)."""
        with self._lock:
            self._db.close()

    # -- parcels ------------------------------------------------------------------------------

    def add(self, parcel: WatchedParcel) -> bool:
        with self._transaction() as db:
            cursor = db.execute(
                f"INSERT OR IGNORE INTO parcels ({_COLUMNS}) VALUES ({', '.join('?' * 15)})", _row(parcel)
            )
            return cursor.rowcount == 1

    def add_many(self, parcels: Iterable[WatchedParcel]) -> int:
        """Add many parcels in one transaction; returns how many were new."""
        with self._transaction() as db:
            before = db.total_changes
            db.executemany(
                f"INSERT OR IGNORE INTO parcels ({_COLUMNS}) VALUES ({', '.join('?' * 15)})",
                (_row(p) for p in parcels),
            )
            return db.total_changes - before

    def remove(self, carrier: str, number: str) -> bool:
        with self._transaction() as db:
            return db.execute("DELETE FROM parcels WHERE carrier = ? AND number = ?", (carrier, number)).rowcount == 1

    def get(self, carrier: str, number: str) -> WatchedParcel | None:
        with self._lock:
            row = self._db.execute(
                f"SELECT {_COLUMNS} FROM parcels WHERE carrier = ? AND number = ?", (carrier, number)
            ).fetchone()
        return _parcel(row) if row is not None else None

    def find(self, number: str) -> list[WatchedParcel]:
        with self._lock:
            rows = self._db.execute(
                f"SELECT {_COLUMNS} FROM parcels WHERE number = ? ORDER BY carrier", (number,)
            ).fetchall()
        return [_parcel(r) for r in rows]

    def select(self, query: ParcelQuery) -> list[WatchedParcel]:
        where, args = [], []
        if query.due_before is not None:
            where.append("state = ? AND next_poll_at <= ?")
            args += [ParcelState.WATCHING.value, _to_db(query.due_before)]
        if query.state is not None:
            where.append("state = ?")
            args.append(ParcelState(query.state).value)
        if query.carrier is not None:
            where.append("carrier = ?")
            args.append(query.carrier)
        sql = f"SELECT {_COLUMNS} FROM parcels"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY next_poll_at, carrier, number"
        if query.limit is not None:
            sql += " LIMIT ?"
            args.append(max(int(query.limit), 0))
        with self._lock:
            rows = self._db.execute(sql, args).fetchall()
        return [_parcel(r) for r in rows]

    def count(self, *, state: ParcelState | None = None) -> int:
        with self._lock:
            if state is None:
                value: int = self._db.execute("SELECT COUNT(*) FROM parcels").fetchone()[0]
            else:
                value = self._db.execute(
                    "SELECT COUNT(*) FROM parcels WHERE state = ?", (ParcelState(state).value,)
                ).fetchone()[0]
            return value

    def due_carriers(self, now: float) -> list[str]:
        with self._lock:
            rows = self._db.execute(
                "SELECT DISTINCT carrier FROM parcels WHERE state = ? AND next_poll_at <= ? ORDER BY carrier",
                (ParcelState.WATCHING.value, _to_db(now)),
            ).fetchall()
        return [r[0] for r in rows]

    def next_due(self) -> float | None:
        with self._lock:
            row = self._db.execute(
                "SELECT MIN(next_poll_at) FROM parcels WHERE state = ?", (ParcelState.WATCHING.value,)
            ).fetchone()
        return _from_db(row[0]) if row[0] is not None else None

    # -- the one write after a poll -----------------------------------------------------------

    def commit(self, batch: CommitBatch) -> list[TrackingChange]:
        bodies = [(c, json.dumps(c.to_dict(), separators=(",", ":"))) for c in batch.changes]
        now = time.time()
        queued = []
        with self._transaction() as db:
            if batch.updates:
                db.executemany(
                    "UPDATE parcels SET journey = ?, metadata = ?, state = ?, terminal_reason = ?, info = ?, "
                    "seen = ?, added_at = ?, next_poll_at = ?, last_polled_at = ?, last_event_at = ?, errors = ?, "
                    "not_found = ?, last_error = ? WHERE carrier = ? AND number = ?",
                    (_row(p)[2:] + p.key for p in batch.updates),
                )
            if batch.additions:
                db.executemany(
                    f"INSERT OR IGNORE INTO parcels ({_COLUMNS}) VALUES ({', '.join('?' * 15)})",
                    (_row(p) for p in batch.additions),
                )
            for change, body in bodies:
                cursor = db.execute(
                    "INSERT OR IGNORE INTO changes (change_id, carrier, number, body, created_at) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (change.change_id, change.carrier, change.number, body, now),
                )
                if cursor.rowcount == 1:
                    queued.append(change)
        return queued

    # -- the outbox ---------------------------------------------------------------------------

    def pending(self, limit: int | None = None) -> list[TrackingChange]:
        sql = "SELECT body FROM changes WHERE delivered_at IS NULL ORDER BY seq"
        args: list[Any] = []
        if limit is not None:
            sql += " LIMIT ?"
            args.append(max(int(limit), 0))
        with self._lock:
            rows = self._db.execute(sql, args).fetchall()
        return [TrackingChange.from_dict(json.loads(r[0])) for r in rows]

    def mark_delivered(self, change_ids: Iterable[str]) -> None:
        now = time.time()
        with self._transaction() as db:
            db.executemany(
                "UPDATE changes SET delivered_at = ? WHERE change_id = ? AND delivered_at IS NULL",
                ((now, cid) for cid in change_ids),
            )
