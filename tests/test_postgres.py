"""What only the PostgreSQL backend has to prove: schemas, versions, a pool that recovers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import successkit as sk
from successkit.storage.sqlite import SCHEMA_VERSION

from .conftest import PG_URL


def _admin() -> object:
    import psycopg

    return psycopg.connect(PG_URL, autocommit=True)


def test_two_kits_conflict_on_stale_update__STORE_04(pg_url: str) -> None:
    first, second = sk.open(pg_url, entry_points=False), sk.open(pg_url, entry_points=False)
    try:
        mine = first.companies.create("Acme")
        second.companies.update(second.companies.get(mine.id), stage="Adoption")
        with pytest.raises(sk.ConflictError) as e:
            first.companies.update(mine, stage="Renewal")
        assert e.value.rule == "STORE_04"
        assert first.companies.get(mine.id).stage == "Adoption"
    finally:
        first.close()
        second.close()


def test_newer_schema_version_is_refused__STORE_01(pg_url: str) -> None:
    sk.open(pg_url, entry_points=False).close()
    schema = pg_url.rsplit("schema=", 1)[1]
    with _admin() as conn:  # type: ignore[attr-defined]
        conn.execute(f"UPDATE {schema}.sk_meta SET value = %s WHERE key = 'schema_version'", (str(SCHEMA_VERSION + 1),))
    with pytest.raises(sk.SchemaError, match="newer successkit"):
        sk.open(pg_url, entry_points=False)


def test_pool_recovers_when_the_server_drops_connections__STORE_01(pg_url: str) -> None:
    kit = sk.open(pg_url, entry_points=False)
    try:
        kit.companies.create("Before")
        schema = pg_url.rsplit("schema=", 1)[1]
        with _admin() as conn:  # type: ignore[attr-defined]
            killed = conn.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = %s",
                (f"successkit/{schema}",),
            ).fetchone()[0]
        assert killed >= 1
        kit.companies.create("After")  # a fresh connection replaces the dropped one
        with _admin() as conn:  # type: ignore[attr-defined]
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s",
                (f"successkit/{schema}",),
            )
        assert kit.companies.count() == 2  # a read that finds its connection closed runs again
        assert sorted(c.name for c in kit.companies.list()) == ["After", "Before"]
    finally:
        kit.close()


def test_one_caller_at_a_time_needs_one_pooled_connection__STORE_01(pg_url: str) -> None:
    """Statements, transactions and streamed reads one after another reuse one
    connection: a connection given back is in the pool for the next request at once
    (no worker thread returns it meanwhile, so the pool neither grows nor opens
    connections in the background while the caller goes on)."""
    kit = sk.open(pg_url, entry_points=False)
    try:
        kit.companies.create_many([{"name": f"C{i}"} for i in range(1_200)])  # more than a read's first chunk
        for _ in range(30):
            kit.companies.count()
            with kit.transaction():
                kit.companies.create("Acme")
            assert len(list(kit.companies.iter())) > 1_000
        schema = pg_url.rsplit("schema=", 1)[1]
        with _admin() as conn:  # type: ignore[attr-defined]
            opened = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", (f"successkit/{schema}",)
            ).fetchone()[0]
        assert opened == 1
    finally:
        kit.close()


def test_bad_url_is_a_clear_error__STORE_01() -> None:
    with pytest.raises(sk.ValidationError, match="schema option"):
        sk.open("postgresql://postgres@127.0.0.1:5432/test?schema=bad;name", entry_points=False)


def test_bulk_insert_is_one_copy__STORE_01(pg_url: str) -> None:
    kit = sk.open(pg_url, entry_points=False)
    try:
        kit.store.stats.reset()
        kit.companies.create_many([{"name": f"C{i}"} for i in range(2000)])
        assert kit.store.stats.calls["insert_many"] == 1
        assert kit.companies.count() == 2000
    finally:
        kit.close()


def test_exclusive_lock_makes_a_second_process_wait__SEC_04(pg_url: str) -> None:
    """``store.exclusive(name)`` holds a transaction-scoped lock: a second store asking for the
    same name waits until the first commits, and a different name does not wait (SEC_04)."""
    import threading
    import time

    first, second = sk.open(pg_url), sk.open(pg_url)
    try:
        order: list[str] = []
        held = threading.Event()

        def hold() -> None:
            with first.store.exclusive("rules:renewal"):
                held.set()
                time.sleep(0.5)
                order.append("first released")

        t = threading.Thread(target=hold)
        t.start()
        assert held.wait(10)
        with second.store.exclusive("another lock"):
            order.append("other name")  # not blocked by the first lock
        with second.store.exclusive("rules:renewal"):
            order.append("second acquired")
        t.join()
        assert order == ["other name", "first released", "second acquired"]
    finally:
        first.close()
        second.close()


def test_opening_repairs_missing_tables_columns_and_indexes_and_runs_no_ddl_when_up_to_date__STORE_01(
    fresh_pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Opening looks the store's tables, columns and indexes up in the catalog at once: what is
    missing (a dropped table, column or index) is made again, and a schema that is up to date
    gets no CREATE or ALTER at all."""
    import psycopg

    sk.open(fresh_pg_url, entry_points=False).close()
    schema = fresh_pg_url.rsplit("schema=", 1)[1]
    with _admin() as conn:  # type: ignore[attr-defined]
        names = [r[0] for r in conn.execute("SELECT indexname FROM pg_indexes WHERE schemaname = %s", (schema,))]
        (by_name,) = [n for n in names if n.startswith("sk_ix_company_name_")]
        (by_parent,) = [n for n in names if n.startswith("sk_ix_company_parent_id_")]
        conn.execute(f'DROP INDEX "{schema}"."{by_name}"')
        conn.execute(f'ALTER TABLE "{schema}".company DROP COLUMN nps')
        conn.execute(f'DROP TABLE "{schema}".goal')
    statements: list[str] = []
    real = psycopg.Connection.execute

    def execute(conn: psycopg.Connection, query: object, params: object = None, **kw: object) -> object:
        statements.append(str(query))
        return real(conn, query, params, **kw)  # type: ignore[call-overload]

    monkeypatch.setattr(psycopg.Connection, "execute", execute)
    kit = sk.open(fresh_pg_url, entry_points=False)
    try:
        ddl = [s for s in statements if s.startswith(("CREATE TABLE", "CREATE INDEX", "CREATE UNIQUE", "ALTER"))]
        assert any('"goal" (' in s for s in ddl) and any(by_name in s for s in ddl)
        assert any('ADD COLUMN "nps"' in s for s in ddl)
        assert any("sk_ix_goal_" in s for s in ddl)  # the new table's indexes
        assert not any(s.startswith("CREATE TABLE") and '"company"' in s for s in ddl)  # nothing else
        assert not any(by_parent in s for s in ddl)
        kit.companies.create("Acme", nps=7)
        assert kit.companies.list([("nps", "=", 7)])[0].name == "Acme"
    finally:
        kit.close()
    statements.clear()
    sk.open(fresh_pg_url, entry_points=False).close()
    assert not [
        s for s in statements if s.startswith(("CREATE", "ALTER", "DROP", "INSERT", "UPDATE", "SELECT pg_advisory"))
    ]
    with _admin() as conn:  # type: ignore[attr-defined]
        indexes = {r[0] for r in conn.execute("SELECT indexname FROM pg_indexes WHERE schemaname = %s", (schema,))}
    assert {by_name, by_parent} <= indexes


def test_the_shared_test_schema_opens_like_a_new_one_once_emptied(fresh_pg_url: str) -> None:
    """Most tests take turns on one schema, emptied after each (tests/conftest.py): a kit then
    opened on it holds exactly what a kit opened on a new schema holds (the seeded configuration
    with the new kit's clock, the schema version), and a test that changed the structure gets
    the schema built anew under another name, with a warning."""
    from datetime import datetime, timezone

    from .conftest import SharedSchema
    from .helpers import snapshot

    def meta(schema: str) -> list[tuple[str, str]]:
        with _admin() as conn:  # type: ignore[attr-defined]
            rows: list[tuple[str, str]] = conn.execute(
                f'SELECT key, value FROM "{schema}".sk_meta ORDER BY key'
            ).fetchall()
            return rows

    before, after = datetime(2026, 1, 1, tzinfo=timezone.utc), datetime(2027, 6, 1, tzinfo=timezone.utc)
    shared = SharedSchema()
    try:
        with sk.open(shared.url, clock=before, entry_points=False) as kit:
            user = kit.users.create("Left behind", license="full")
            kit.companies.create("Left behind", csm_id=user.id)
            kit.custom_fields.declare("company", "tier", "text")
            kit.config.add_item("reason", "left_behind", "Left behind")
        shared.reset("a test")
        with (
            sk.open(shared.url, clock=after, entry_points=False) as reused,
            sk.open(fresh_pg_url, clock=after, entry_points=False) as new,
        ):
            assert snapshot(reused) == snapshot(new)
            assert snapshot(new)["config_item"]  # the defaults were seeded, with the same ids and times
        assert (
            meta(shared.name) == meta(fresh_pg_url.rsplit("schema=", 1)[1]) == [("schema_version", str(SCHEMA_VERSION))]
        )
        old = shared.name
        with _admin() as conn:  # type: ignore[attr-defined]
            (by_name,) = [
                r[0]
                for r in conn.execute(
                    "SELECT indexname FROM pg_indexes WHERE schemaname = %s "
                    "AND indexname LIKE 'sk^_ix^_company^_name^_%%' ESCAPE '^'",
                    (old,),
                )
            ]
            conn.execute(f'DROP INDEX "{old}"."{by_name}"')
        with pytest.warns(UserWarning, match="changed the structure"):
            shared.reset("a test dropping an index")
        assert shared.name != old
        with _admin() as conn:  # type: ignore[attr-defined]
            assert conn.execute("SELECT count(*) FROM pg_namespace WHERE nspname = %s", (old,)).fetchone()[0] == 0
            assert (
                conn.execute(
                    "SELECT count(*) FROM pg_indexes WHERE schemaname = %s AND indexname = %s", (shared.name, by_name)
                ).fetchone()[0]
                == 1
            )
    finally:
        shared.close()


class _RoundTrips:
    """Counts the round trips of every pooled connection from the libpq protocol trace:
    the client waits for the server after each Sync (the end of a statement, or of a
    pipeline of them) and each simple Query."""

    def __init__(self, folder: Path) -> None:
        self.folder, self.conns, self.files = folder, [], []  # type: ignore[var-annotated]

    def watch(self, conn: Any) -> None:
        self.conns.append(conn)
        self._trace(conn)

    def _trace(self, conn: Any) -> None:
        f = (self.folder / f"trace{len(self.files)}.txt").open("w")
        self.files.append(f)
        conn.pgconn.trace(f.fileno())

    def take(self) -> int:
        """The round trips since the last call."""
        for conn in self.conns:
            if not conn.closed:
                conn.pgconn.untrace()  # flushes libpq's buffer
        total = 0
        for f in self.files:
            f.close()
            sent = [line.split("\t")[1:4:2] for line in Path(f.name).read_text().splitlines() if line.count("\t") >= 3]
            total += sum(1 for side, message in sent if side == "F" and message in ("Sync", "Query"))
        self.files = []
        for conn in self.conns:
            if not conn.closed:
                self._trace(conn)
        return total


def test_open_and_reads_take_few_round_trips__STORE_01(
    fresh_pg_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A store whose schema is up to date opens in a handful of round trips (the catalog and
    version in one, the kit's configuration in one, the custom-field index check in one), and
    a page of a list, a get and a count are one round trip each: no per-checkout ping."""
    from successkit.storage import postgres

    seeded = sk.open(fresh_pg_url, entry_points=False)
    seeded.companies.create_many([{"name": f"C{i:03}"} for i in range(60)])
    seeded.close()
    trips = _RoundTrips(tmp_path)
    configure = postgres._configure

    def traced(conn: Any) -> None:
        configure(conn)
        trips.watch(conn)

    monkeypatch.setattr(postgres, "_configure", traced)
    kit = sk.open(fresh_pg_url, entry_points=False)
    try:
        assert trips.take() <= 3
        assert len(kit.companies.list(limit=50)) == 50
        assert trips.take() == 1
        first = kit.companies.list(limit=1)[0]
        trips.take()
        assert kit.companies.get(first.id) == first
        assert trips.take() == 1
        assert kit.companies.count() == 60
        assert trips.take() == 1
        assert len(kit.companies.list()) == 60  # a short unlimited read: no server-side cursor
        assert trips.take() == 1
    finally:
        kit.close()
