"""Fixtures shared by every test: a kit on each backend, a fixed clock."""

from __future__ import annotations

import functools
import os
import warnings
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

import successkit as sk

from .helpers import opened_kits

#: Every backend the conformance suite and the rule tests run on.
BACKENDS = ["memory", "sqlite", "postgres"]

#: The PostgreSQL server the tests use: most tests take turns on one shared schema, emptied
#: after each (:class:`SharedSchema`); a few get a schema of their own (:func:`fresh_schema_url`).
PG_URL = os.environ.get("SUCCESSKIT_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=timezone.utc)


def backend_url(name: str, tmp_path: Path) -> str:
    if name == "memory":
        return "memory://"
    if name == "sqlite":
        return f"sqlite:///{tmp_path}/successkit-test.db"
    raise ValueError(name)


@functools.cache
def postgres_missing() -> str | None:
    """Why PostgreSQL tests cannot run here, or None when they can."""
    try:
        import psycopg
    except ImportError:
        return "psycopg is not installed (pip install 'successkit[postgres]')"
    try:
        psycopg.connect(PG_URL, connect_timeout=5).close()
    except psycopg.Error as e:
        return f"no PostgreSQL server at {PG_URL}: {e}"
    return None


def need_postgres() -> None:
    """Skip the test when PostgreSQL cannot be reached; on CI (``CI=true``) fail it instead."""
    reason = postgres_missing()
    if reason is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI runs every test on PostgreSQL, but {reason}")
        pytest.skip(reason)


def fresh_schema_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A schema of the test's own, created by the test's first open and dropped after it:
    for tests that change the structure (drop a column or an index, add a table), that
    look at the database before the first open, or whose worker processes could outlive
    the test.  Every other PostgreSQL test uses :func:`shared_schema_url`."""
    need_postgres()
    import psycopg

    schema = f"sk_test_{os.urandom(6).hex()}"
    yield f"{PG_URL}?schema={schema}"
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


#: The catalog rows that make up a schema's structure: the objects in it (tables,
#: sequences, views, types, functions), and for its tables and indexes their
#: columns, indexes, constraints and triggers.  Object ids are part of it, so a
#: table dropped and made again counts as a change.
_OBJECTS = """SELECT d.classid::regclass::text, d.objid FROM pg_depend d
 WHERE d.refclassid = 'pg_namespace'::regclass AND d.refobjid = (SELECT oid FROM pg_namespace WHERE nspname = %s)
 ORDER BY 1, 2"""
_DETAILS = """
SELECT concat_ws(' ', 'r', c.oid, c.relname, c.relkind, c.relnatts) FROM pg_class c WHERE c.oid = ANY(%(oids)s)
UNION ALL
SELECT concat_ws(' ', 'a', a.attrelid, a.attnum, a.attname, a.atttypid, a.atttypmod, a.attcollation, a.attnotnull,
                 a.atthasdef, a.attisdropped)
  FROM pg_attribute a WHERE a.attrelid = ANY(%(oids)s) AND a.attnum > 0
UNION ALL
SELECT concat_ws(' ', 'i', i.indrelid, i.indexrelid, c.relname, i.indisunique, i.indisvalid, i.indkey, i.indclass,
                 i.indcollation, i.indexprs, i.indpred)
  FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = ANY(%(oids)s)
UNION ALL
SELECT concat_ws(' ', 'c', co.conrelid, co.conname, co.contype, co.conkey, co.confrelid)
  FROM pg_constraint co WHERE co.conrelid = ANY(%(oids)s)
UNION ALL
SELECT concat_ws(' ', 't', t.tgrelid, t.tgname, t.tgenabled) FROM pg_trigger t WHERE t.tgrelid = ANY(%(oids)s)
ORDER BY 1"""


class SharedSchema:
    """One PostgreSQL schema that the tests of a run take turns on (creating every
    table and index for each test made the suite slow).

    It is built the way a first open builds a schema, then emptied.  After each test
    every table is emptied again, ``sk_meta`` and the seeded configuration included,
    so the next test's first open finds no rows, reseeds the defaults with its own
    clock and writes the schema version, exactly as on a new schema.  Rows are
    deleted rather than truncated: on tables this small DELETE is many times faster
    (TRUNCATE makes new files for every table and index).  When a test changed the
    structure (a column, an index, a table, a function...) or left locks behind, the
    schema is dropped and built anew under another name, with a warning naming the
    test: it should have asked for :func:`fresh_schema_url`.
    """

    def __init__(self) -> None:
        self._admin: Any = None
        self.name = ""
        self.url = ""
        self._build()

    def _conn(self) -> Any:
        """The connection that empties and checks the schema (remade if a test killed it)."""
        import psycopg

        if self._admin is None or self._admin.closed or self._admin.broken:
            self._admin = psycopg.connect(PG_URL, autocommit=True)
            self._admin.execute("SET jit = off")  # the catalogs' stale statistics would make it compile
            self._admin.execute("SET lock_timeout = '10s'")
        return self._admin

    def _build(self) -> None:
        self.name = f"sk_test_{os.urandom(6).hex()}"
        self.url = f"{PG_URL}?schema={self.name}"
        sk.open(self.url, entry_points=False).close()
        self._shape = self._read_shape()
        tables = [
            r[0]
            for r in self._conn().execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = %s ORDER BY 1", (self.name,)
            )
        ]
        assert "sk_meta" in tables and "company" in tables, tables
        self._empty = "; ".join(f'DELETE FROM "{self.name}"."{t}"' for t in tables)  # one round trip, one transaction
        self.empty()

    def _read_shape(self) -> tuple[Any, ...]:
        conn = self._conn()
        objects = conn.execute(_OBJECTS, (self.name,)).fetchall()
        oids = [oid for catalog, oid in objects if catalog == "pg_class"]
        return (*objects, *(r[0] for r in conn.execute(_DETAILS, {"oids": oids})))

    def empty(self) -> None:
        """Delete every row of every table (in one transaction)."""
        self._conn().execute(self._empty)

    def reset(self, test: str) -> None:
        """Empty every table for the next test; build anew if ``test`` changed more than rows."""
        import psycopg

        for attempt in (1, 2):
            try:
                self._drop_custom_field_indexes()
                if self._read_shape() == self._shape:
                    self.empty()
                    return
                what = "changed the structure of"
            except psycopg.errors.LockNotAvailable:
                what = "left locks on"
            except psycopg.OperationalError:  # the test ended this connection: check again on a new one
                if attempt == 2:
                    raise
                self._admin.close()
                self._admin = None
                continue
            break
        warnings.warn(
            f"{test} {what} the shared test schema {self.name}, which was built anew; "
            "a test that does this should use a fresh schema (fresh_schema_url)",
            stacklevel=1,
        )
        self.drop()
        self._build()

    def _drop_custom_field_indexes(self) -> None:
        """Indexes of custom fields declared ``indexed`` come and go with the data, through the API."""
        self._conn().execute(
            "DO $$ DECLARE r record; BEGIN FOR r IN SELECT indexname FROM pg_indexes "
            f"WHERE schemaname = '{self.name}' AND indexname LIKE 'sk\\_cf\\_%' LOOP "
            f"EXECUTE format('DROP INDEX %I.%I', '{self.name}', r.indexname); END LOOP; END $$"
        )

    def drop(self) -> None:
        conn = self._conn()
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s",
            (f"successkit/{self.name}",),
        )  # connections a test left open
        conn.execute(f'DROP SCHEMA IF EXISTS "{self.name}" CASCADE')

    def close(self) -> None:
        try:
            self.drop()
        finally:
            self._conn().close()


@pytest.fixture(scope="session")
def postgres_shared_schema() -> Iterator[SharedSchema]:
    """The run's shared PostgreSQL schema, made on first use and dropped at the end."""
    need_postgres()
    schema = SharedSchema()
    yield schema
    schema.close()


def shared_schema_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """The run's shared PostgreSQL schema, with every table empty (see :class:`SharedSchema`);
    emptied again after the test."""
    need_postgres()  # before the session fixture, so that a missing server skips (or fails) this test
    schema: SharedSchema = request.getfixturevalue("postgres_shared_schema")
    yield schema.url
    schema.reset(request.node.nodeid)


@pytest.fixture(params=BACKENDS)
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty store on each backend."""
    if request.param == "postgres":
        yield from shared_schema_url(request)
    else:
        yield backend_url(request.param, tmp_path)


@pytest.fixture
def pg_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """The URL of an empty PostgreSQL store (the shared schema)."""
    yield from shared_schema_url(request)


@pytest.fixture
def fresh_pg_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """The URL of a PostgreSQL schema of the test's own, not yet created."""
    yield from fresh_schema_url(request)


@pytest.fixture(params=["sqlite", "postgres"])
def shared_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A store several processes open at once: a SQLite file or a PostgreSQL schema of the
    test's own (a worker process that outlived its test could not write into the next one's)."""
    if request.param == "postgres":
        yield from fresh_schema_url(request)
    else:
        yield f"sqlite:///{tmp_path}/shared.db"


@pytest.fixture
def clock() -> sk.FixedClock:
    return sk.FixedClock(NOW)


@pytest.fixture
def open_kit(url: str, clock: sk.FixedClock) -> Iterator[Callable[..., sk.Kit]]:
    """Open kits on the test's store; all are closed after the test."""
    with opened_kits(url, clock) as _open:
        yield _open


@pytest.fixture
def kit(open_kit: Callable[..., sk.Kit]) -> sk.Kit:
    """A kit on a fresh store of each backend, with a fixed clock."""
    return open_kit()
