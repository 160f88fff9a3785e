"""The SQLite backend: several processes of one machine share one database file."""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from .._exceptions import StateBackendError
from .._ratelimit import Window
from ._base import PurchaseRecord, PurchaseStatus, StateBackend, claim_purchase, headroom_in, reserve_in

__all__ = ["SQLiteState"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS limits (key TEXT PRIMARY KEY, histories TEXT NOT NULL, paused REAL NOT NULL);
CREATE TABLE IF NOT EXISTS tokens (key TEXT PRIMARY KEY, value TEXT NOT NULL, refresh_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS leases (key TEXT PRIMARY KEY, owner TEXT NOT NULL, until REAL NOT NULL);
CREATE TABLE IF NOT EXISTS flights (key TEXT PRIMARY KEY, payload BLOB NOT NULL, until REAL NOT NULL);
CREATE TABLE IF NOT EXISTS ledger (key TEXT PRIMARY KEY, data TEXT NOT NULL);
"""


class SQLiteState(StateBackend):
    """State in one SQLite file (WAL mode): every process of one machine that opens it shares it.

    Each change is one ``BEGIN IMMEDIATE`` transaction, so reservations and ledger claims are
    atomic across processes. Not for network file systems (SQLite's locks need a local disk).

    Args:
        path: The database file (created with its parent directory).
        timeout: Seconds to wait for another process's transaction before failing.
        clock: Wall clock (epoch seconds) shared by the processes.

    .. versionadded:: 0.2
    """

    def __init__(self, path: str | os.PathLike[str], *, timeout: float = 10.0, clock: Callable[[], float] = time.time):
        self.path = Path(path)
        self.url = f"sqlite:///{self.path}"
        self.timeout = timeout
        self._clock = clock
        self._local = threading.local()
        self._opened: list[sqlite3.Connection] = []
        self._opened_lock = threading.Lock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._connection().executescript(_SCHEMA)
        except OSError as err:
            raise StateBackendError(
                f"cannot create the state database {self.url}: {err.strerror}", backend=self.url, operation="open"
            ) from None
        except sqlite3.Error as err:
            raise self._error("open", err) from None

    def __repr__(self) -> str:
        return f"<SQLiteState {str(self.path)!r}>"

    def __getstate__(self) -> dict[str, Any]:
        return {"path": self.path, "timeout": self.timeout, "clock": self._clock}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["path"], timeout=state["timeout"], clock=state["clock"])  # type: ignore[misc]

    def _connection(self) -> sqlite3.Connection:
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None or getattr(self._local, "pid", None) != os.getpid():
            db = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None, check_same_thread=False)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            self._local.db = db
            self._local.pid = os.getpid()
            with self._opened_lock:
                self._opened.append(db)
        return db

    @contextlib.contextmanager
    def _transaction(self, operation: str) -> Iterator[sqlite3.Connection]:
        try:
            db = self._connection()
            db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as err:
            raise self._error(operation, err) from None
        try:
            yield db
        except sqlite3.Error as err:
            with contextlib.suppress(sqlite3.Error):
                db.execute("ROLLBACK")
            raise self._error(operation, err) from None
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                db.execute("ROLLBACK")
            raise
        else:
            try:
                db.execute("COMMIT")
            except sqlite3.Error as err:
                raise self._error(operation, err) from None

    def _error(self, operation: str, err: sqlite3.Error) -> StateBackendError:
        return StateBackendError(
            f"state database {self.url} failed during {operation}: {type(err).__name__}: {err}",
            backend=self.url,
            operation=operation,
        )

    def close(self) -> None:
        with self._opened_lock:
            opened, self._opened = self._opened, []
        for db in opened:
            with contextlib.suppress(sqlite3.Error):
                db.close()
        self._local = threading.local()

    def now(self) -> float:
        return self._clock()

    def reserve(self, key: str, windows: Sequence[Window], within: float | None = None) -> float:
        with self._transaction("reserve") as db:
            now = self._clock()
            row = db.execute("SELECT histories, paused FROM limits WHERE key = ?", (key,)).fetchone()
            histories, paused = (json.loads(row[0]), row[1]) if row else ([], 0.0)
            at, histories = reserve_in(histories, windows, paused, now, within)
            db.execute(
                "INSERT OR REPLACE INTO limits (key, histories, paused) VALUES (?, ?, ?)",
                (key, json.dumps(histories), paused),
            )
            return at - now

    def headroom(self, key: str, windows: Sequence[Window]) -> int | None:
        with self._transaction("headroom") as db:
            row = db.execute("SELECT histories, paused FROM limits WHERE key = ?", (key,)).fetchone()
            histories, paused = (json.loads(row[0]), row[1]) if row else ([], 0.0)
            return headroom_in(histories, windows, paused, self._clock())

    def pause(self, key: str, seconds: float) -> None:
        with self._transaction("pause") as db:
            until = self._clock() + seconds
            db.execute(
                "INSERT INTO limits (key, histories, paused) VALUES (?, '[]', ?) "
                "ON CONFLICT(key) DO UPDATE SET paused = max(paused, excluded.paused)",
                (key, until),
            )

    def reset_limit(self, key: str) -> None:
        with self._transaction("reset_limit") as db:
            db.execute("UPDATE limits SET histories = '[]' WHERE key = ?", (key,))

    def get_token(self, key: str) -> tuple[str, float] | None:
        with self._transaction("get_token") as db:
            row = db.execute("SELECT value, refresh_at FROM tokens WHERE key = ?", (key,)).fetchone()
            if row is None:
                return None
            if self._clock() >= row[1]:
                db.execute("DELETE FROM tokens WHERE key = ?", (key,))
                return None
            return str(row[0]), float(row[1])

    def put_token(self, key: str, value: str, refresh_at: float) -> None:
        with self._transaction("put_token") as db:
            db.execute("DELETE FROM tokens WHERE refresh_at <= ?", (self._clock(),))
            db.execute(
                "INSERT OR REPLACE INTO tokens (key, value, refresh_at) VALUES (?, ?, ?)", (key, value, refresh_at)
            )

    def invalidate_token(self, key: str, value: str) -> None:
        with self._transaction("invalidate_token") as db:
            db.execute("DELETE FROM tokens WHERE key = ? AND value = ?", (key, value))

    def acquire(self, key: str, owner: str, lease: float) -> bool:
        with self._transaction("acquire") as db:
            now = self._clock()
            row = db.execute("SELECT owner, until FROM leases WHERE key = ?", (key,)).fetchone()
            if row is not None and row[0] != owner and now < row[1]:
                return False
            db.execute("INSERT OR REPLACE INTO leases (key, owner, until) VALUES (?, ?, ?)", (key, owner, now + lease))
            return True

    def release(self, key: str, owner: str) -> None:
        with self._transaction("release") as db:
            db.execute("DELETE FROM leases WHERE key = ? AND owner = ?", (key, owner))

    def put_flight(self, key: str, payload: bytes, ttl: float) -> None:
        with self._transaction("put_flight") as db:
            now = self._clock()
            db.execute("DELETE FROM flights WHERE until <= ?", (now,))
            db.execute(
                "INSERT OR REPLACE INTO flights (key, payload, until) VALUES (?, ?, ?)", (key, payload, now + ttl)
            )

    def get_flight(self, key: str) -> bytes | None:
        with self._transaction("get_flight") as db:
            row = db.execute("SELECT payload, until FROM flights WHERE key = ?", (key,)).fetchone()
            if row is None or self._clock() >= row[1]:
                return None
            return bytes(row[0])

    def begin_purchase(self, key: str, owner: str, lease: float, fingerprint: str = "") -> PurchaseRecord:
        with self._transaction("begin_purchase") as db:
            now = self._clock()
            row = db.execute("SELECT data FROM ledger WHERE key = ?", (key,)).fetchone()
            stored = json.loads(row[0]) if row is not None else None
            record, data = claim_purchase(key, stored, owner, lease, fingerprint, now)
            if data is not None:
                db.execute("INSERT OR REPLACE INTO ledger (key, data) VALUES (?, ?)", (key, json.dumps(data)))
            return record

    def finish_purchase(
        self, key: str, owner: str, status: PurchaseStatus, *, result: str | None = None, detail: str = ""
    ) -> bool:
        with self._transaction("finish_purchase") as db:
            row = db.execute("SELECT data FROM ledger WHERE key = ?", (key,)).fetchone()
            if row is None:
                return False
            data = json.loads(row[0])
            if data["owner"] != owner or data["status"] not in ("pending", "unknown"):
                return False
            data.update(status=status.value, result=result, detail=detail)
            db.execute("UPDATE ledger SET data = ? WHERE key = ?", (json.dumps(data), key))
            return True

    def get_purchase(self, key: str) -> PurchaseRecord | None:
        with self._transaction("get_purchase") as db:
            row = db.execute("SELECT data FROM ledger WHERE key = ?", (key,)).fetchone()
            return None if row is None else PurchaseRecord.from_json(key, json.loads(row[0]), self._clock())

    def forget_purchase(self, key: str) -> None:
        with self._transaction("forget_purchase") as db:
            db.execute("DELETE FROM ledger WHERE key = ?", (key,))
