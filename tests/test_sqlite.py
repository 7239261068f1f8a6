"""What only the SQLite backend has to prove: files, processes, schema versions."""

from __future__ import annotations

import multiprocessing
import sqlite3
from pathlib import Path

import attrs
import pytest

import successkit as sk
from successkit.storage.sqlite import SCHEMA_VERSION, SQLiteStore


def test_two_kits_on_one_file_conflict_on_stale_update__STORE_04(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/shared.db"
    first, second = sk.open(url, entry_points=False), sk.open(url, entry_points=False)
    mine = first.companies.create("Acme")
    theirs = second.companies.get(mine.id)
    second.companies.update(theirs, stage="Adoption")
    with pytest.raises(sk.ConflictError) as e:
        first.companies.update(mine, stage="Renewal")
    assert e.value.rule == "STORE_04"
    assert first.companies.get(mine.id).stage == "Adoption"
    fresh = first.companies.get(mine.id)
    assert first.companies.update(fresh, stage="Renewal").version == 3


def test_relative_and_absolute_urls__STORE_01(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    sk.open("sqlite:///relative.db", entry_points=False).companies.create("A")
    assert (tmp_path / "relative.db").exists()
    absolute = tmp_path / "sub" / "abs.db"
    sk.open(f"sqlite:///{absolute}", entry_points=False).companies.create("B")
    assert absolute.exists()
    assert [c.name for c in sk.open(f"sqlite:///{absolute}", entry_points=False).companies.list()] == ["B"]


def test_bad_sqlite_url_is_a_clear_error__STORE_01() -> None:
    with pytest.raises(sk.StorageError, match=r"sqlite:///relative\.db"):
        sk.open("sqlite://nohost.db", entry_points=False)


def test_newer_schema_version_is_refused__STORE_01(tmp_path: Path) -> None:
    path = tmp_path / "future.db"
    sk.open(f"sqlite:///{path}", entry_points=False).close()
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE sk_meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION + 1),))
    with pytest.raises(sk.SchemaError, match="newer successkit") as e:
        sk.open(f"sqlite:///{path}", entry_points=False)
    assert e.value.value == SCHEMA_VERSION + 1


def test_older_file_gains_new_columns__STORE_01(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as conn:  # a company table from before 'nps' existed
        kit = sk.open("memory://", entry_points=False)
        cols = [c.name for c in kit.store.schema("company").columns if c.name != "nps"]
        conn.execute(f"CREATE TABLE company ({', '.join(cols)})")
    kit = sk.open(f"sqlite:///{path}", entry_points=False)
    c = kit.companies.create("Acme", nps=42)
    assert kit.companies.get(c.id).nps == 42.0


def test_wal_and_synchronous_normal__STORE_01(tmp_path: Path) -> None:
    kit = sk.open(f"sqlite:///{tmp_path}/wal.db", entry_points=False)
    store = kit.store
    assert isinstance(store, SQLiteStore)
    assert store._conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store._conn.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL


def test_url_options_set_durability_and_timeout__STORE_01(tmp_path: Path) -> None:
    kit = sk.open(f"sqlite:///{tmp_path}/full.db?synchronous=full&busy_timeout=2.5", entry_points=False)
    store = kit.store
    assert isinstance(store, SQLiteStore)
    assert store._conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert store.busy_timeout == 2.5
    with pytest.raises(sk.StorageError, match="unknown SQLite URL option"):
        sk.open(f"sqlite:///{tmp_path}/x.db?journal=off", entry_points=False)


def test_writer_waits_then_fails_cleanly_when_file_is_locked__STORE_03(tmp_path: Path) -> None:
    path = tmp_path / "busy.db"
    sk.open(f"sqlite:///{path}", entry_points=False).close()
    store = SQLiteStore(sk.records.RECORD_CLASSES, path, busy_timeout=0.2)
    kit_conn = sqlite3.connect(path, isolation_level=None)
    kit_conn.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    try:
        with pytest.raises(sk.StorageError, match="busy"), store.transaction():
            pass
        assert not store._conn.in_transaction
    finally:
        kit_conn.execute("ROLLBACK")
    with store.transaction():  # and works again once the lock is gone
        pass


def test_failed_rollback_leaves_no_open_transaction__STORE_03(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    kit = sk.open(f"sqlite:///{tmp_path}/rb.db", entry_points=False)
    store = kit.store
    assert isinstance(store, SQLiteStore)
    kit.companies.create("Before")

    def broken_rollback() -> None:
        raise sk.StorageError("rollback broke")

    monkeypatch.setattr(store, "_rollback", broken_rollback)
    with pytest.raises(sk.StorageError, match="rollback failed"), kit.transaction():
        kit.companies.create("Half")
        raise RuntimeError("boom")
    monkeypatch.undo()
    assert not store._conn.in_transaction
    assert [c.name for c in kit.companies.list()] == ["Before"]
    kit.companies.create("After")
    assert sorted(c.name for c in kit.companies.list()) == ["After", "Before"]


def _writer(url: str, prefix: str, n: int) -> None:
    kit = sk.open(url, entry_points=False)
    for i in range(n):
        with kit.transaction():
            kit.companies.create(f"{prefix}-{i}")
    kit.close()


@pytest.mark.slow
def test_two_processes_share_one_file__STORE_03(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/multi.db"
    sk.open(url, entry_points=False).close()
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(url, p, 150)) for p in ("a", "b")]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert [p.exitcode for p in procs] == [0, 0]
    kit = sk.open(url, entry_points=False)
    assert kit.companies.count() == 300
    assert kit.store._conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"  # type: ignore[attr-defined]


def test_odd_values_are_clear_errors_not_crashes__STORE_01(tmp_path: Path) -> None:
    kit = sk.open(f"sqlite:///{tmp_path}/odd.db", entry_points=False)
    a = kit.companies.create("A")
    assert kit.store.get_many("company", [a.id + "\x00zzz"]) == []  # never the record "a..."
    with pytest.raises(sk.NotFound):
        kit.store.get("company", a.id + "\x00")
    assert kit.store.delete_many("company", [a.id + "\x00"]) == 0
    assert kit.companies.get(a.id).name == "A"
    with pytest.raises(sk.ValidationError, match="surrogate"):
        kit.companies.create("bad \ud800 name")
    with pytest.raises(sk.ValidationError, match="NUL"):
        kit.store.insert(sk.records.Company(id="x\x00y", name="n", created_at=kit.now(), updated_at=kit.now()))
    twice = [(attrs.evolve(a, stage=s, version=a.version + 1), a.version) for s in ("x", "y")]
    with pytest.raises(sk.ValidationError, match="only once"):
        kit.store.update_many(twice)
    assert [c.name for c in kit.companies.list()] == ["A"]
