"""Both store backends pass the store contract; SQLite specifics: WAL, schema versions, atomic commits."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from carrier_sdk import ConfigurationError
from carrier_sdk.watch import SCHEMA_VERSION, CommitBatch, MemoryStore, SQLiteStore, Store, default_store_path
from carrier_sdk.watch.contract import StoreContract, sample_change, sample_parcel


class TestMemoryStore(StoreContract):
    def make_store(self) -> Store:
        return MemoryStore()


class TestSQLiteStore(StoreContract):
    @pytest.fixture(autouse=True)
    def _tmp(self, tmp_path: Path) -> Iterator[None]:
        self.tmp_path = tmp_path
        self.opened: list[SQLiteStore] = []
        yield
        for store in self.opened:
            store.close()

    def make_store(self) -> Store:
        store = SQLiteStore(self.tmp_path / f"watch-{len(self.opened)}.sqlite3")
        self.opened.append(store)
        return store


def test_sqlite_uses_wal_and_the_current_schema(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "sub" / "w.sqlite3")
    assert store.schema_version == SCHEMA_VERSION
    mode = sqlite3.connect(tmp_path / "sub" / "w.sqlite3").execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"
    store.close()


def test_two_handles_on_one_file_share_parcels_and_changes(tmp_path: Path) -> None:
    one, two = SQLiteStore(tmp_path / "w.sqlite3"), SQLiteStore(tmp_path / "w.sqlite3")
    one.add(sample_parcel("A1"))
    one.commit(CommitBatch(changes=[sample_change("c1")]))
    assert two.get("usps", "A1") == sample_parcel("A1")
    assert two.commit(CommitBatch(changes=[sample_change("c1")])) == []  # the id is known to the file, not to a process
    two.mark_delivered(["c1"])
    assert one.pending() == []
    one.close()
    two.close()


def test_a_crash_inside_the_transaction_rolls_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = SQLiteStore(tmp_path / "w.sqlite3")
    store.add(sample_parcel("A1", errors=0))
    real = store._db

    class Dying:
        def execute(self, sql: str, *args: object) -> object:
            if sql.startswith("INSERT OR IGNORE INTO changes"):
                raise sqlite3.OperationalError("disk I/O error")
            return real.execute(sql, *args)

        def __getattr__(self, name: str) -> object:
            return getattr(real, name)

    monkeypatch.setattr(store, "_db", Dying())
    with pytest.raises(sqlite3.OperationalError):
        store.commit(CommitBatch(updates=[sample_parcel("A1", errors=7)], changes=[sample_change("c1")]))
    monkeypatch.setattr(store, "_db", real)
    assert store.get("usps", "A1") == sample_parcel("A1", errors=0)
    assert store.pending() == []


def test_an_old_schema_is_migrated_and_a_newer_one_refused(tmp_path: Path) -> None:
    path = tmp_path / "w.sqlite3"
    sqlite3.connect(path).close()  # an empty file: version 0
    store = SQLiteStore(path)
    assert store.schema_version == SCHEMA_VERSION
    store.close()
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.close()
    with pytest.raises(ConfigurationError, match="upgrade carrier-sdk"):
        SQLiteStore(path)


def test_a_file_that_is_not_a_database_is_a_configuration_error(tmp_path: Path) -> None:
    path = tmp_path / "w.sqlite3"
    path.write_bytes(b"not a database at all" * 100)
    with pytest.raises(ConfigurationError, match="cannot open the watch store"):
        SQLiteStore(path)


def test_default_path_follows_the_environment(tmp_path: Path) -> None:
    assert default_store_path({"CARRIER_SDK_WATCH_DB": str(tmp_path / "x.db")}) == tmp_path / "x.db"
    path = default_store_path({"HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "data")})
    assert path == tmp_path / "data" / "carrier-sdk" / "watch.sqlite3"
