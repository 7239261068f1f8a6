"""The PostgreSQL backend, on psycopg 3 with a ``psycopg_pool`` connection pool.

``postgresql://user@host:5432/db?schema=name`` (``schema`` is optional: the
tables go into that PostgreSQL schema, created if needed; default ``public``).
Custom fields live in a JSONB column and are read with typed expressions
(:mod:`.pg_dialect`, which also spells sorts and indexes); bulk inserts go
through ``COPY``; text columns use the "C" collation so that text sorts by code
point, exactly as on the other backends.
The pool checks a connection before handing it out, so connections the server
dropped are replaced instead of failing the next operation.

``options`` in the URL are passed to the server with the schema's search path
(``?options=-c default_transaction_isolation=serializable``),
``retry_attempts`` bounds the store's own retries (default 3) and
``open_timeout`` how many seconds opening waits for a first connection (default 10).

Serialization failures (SQLSTATE 40001) and deadlocks (40P01) are retried by the
store itself, with jittered exponential backoff, wherever that is safe: a read
outside a transaction, or a write the store runs in a transaction of its own
(``insert_many``, ``update_many``, ``delete_many`` called outside any
transaction).  Inside a caller's transaction (every service method, every
``kit.transaction()`` block) only the caller can rerun the whole unit: the
error surfaces at once as :class:`TransientConflict`, a
:class:`~successkit.errors.ConflictError` that :func:`successkit.retry` retries.
"""

from __future__ import annotations

import itertools
import time
import weakref
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any, TypeVar

import attrs
import psycopg
from psycopg import errors as pg_errors
from psycopg.types.string import TextLoader
from psycopg_pool import ConnectionPool

from successkit.errors import ConflictError, StorageError, ValidationError
from successkit.query.aggregate import BoundMeasure, whole_number
from successkit.query.bind import BoundGroup, BoundQuery
from successkit.query.schema import FieldType, KindSchema
from successkit.retry import backoff_delay

from .base import Store
from .indexes import index_changes
from .migrations import (
    SCHEMA_VERSION,
    AppliedStep,
    MigrationPlan,
    check_version,
    history_query,
    make_plan,
    read_history,
    refuse_in_transaction,
)
from .pg_catalog import CATALOG, LOWER_COLLATIONS, fetcher, layout_statements, migrate_schema, read_catalog
from .pg_dialect import PostgresDialect
from .pg_errors import RETRY_SQLSTATES, ConnectionLost, TransientConflict, lost, translate
from .pg_url import check_schema_name, redacted, split_url
from .progress import ProgressSpec, Tally
from .progress_sql import SQLProgress
from .sql import Compiled, aggregate_rows, quote
from .sqlite import fold_groups

__all__ = ["RETRY_SQLSTATES", "PostgresDialect", "PostgresStore", "TransientConflict", "check_schema_name"]

T = TypeVar("T")

_CHUNK = 1000
_LOCK_KEY = 0x5C5C_0001  # advisory lock serialising schema creation across processes
_names = itertools.count(1)

#: The store's own retries: attempts in all, and the backoff bounds in seconds.
RETRY_ATTEMPTS = 3
RETRY_BASE_DELAY = 0.01
RETRY_MAX_DELAY = 0.2
#: A pooled connection idle longer than this (seconds) is checked before it is
#: handed out (a firewall may have dropped it without a word); one returned
#: more recently is used at once, and a read that finds it closed runs again.
IDLE_CHECK = 30.0


class PostgresStore(SQLProgress, Store):
    """Records in PostgreSQL tables, one per record kind."""

    scheme = "postgresql"
    partial_updates = True

    def __init__(
        self,
        classes: Iterable[type[Any]],
        url: str,
        *,
        max_connections: int = 8,
        retry_attempts: int | None = None,
        retry_base_delay: float = RETRY_BASE_DELAY,
        retry_max_delay: float = RETRY_MAX_DELAY,
    ) -> None:
        super().__init__(classes)
        parsed = split_url(url)
        conninfo, self.schema_name = parsed.conninfo, parsed.schema
        self.dialect = PostgresDialect()
        self.dialect.namespace = self.schema_name
        self._get_sql: dict[str, str] = {}
        attempts = retry_attempts if retry_attempts is not None else parsed.retry_attempts or RETRY_ATTEMPTS
        if isinstance(attempts, bool) or not isinstance(attempts, int) or attempts < 1:
            raise ValidationError("retry_attempts must be a whole number >= 1", value=attempts)
        if retry_base_delay < 0 or retry_max_delay < 0:
            raise ValidationError("retry delays must be >= 0", value=(retry_base_delay, retry_max_delay))
        #: Attempts in all for an operation the store may retry itself (1: never retry).
        self.retry_attempts = attempts
        self.retry_base_delay = retry_base_delay
        self.retry_max_delay = retry_max_delay
        self._tx: psycopg.Connection[Any] | None = None
        self._returned: weakref.WeakKeyDictionary[psycopg.Connection[Any], float] = weakref.WeakKeyDictionary()
        server_options = f'{parsed.server_options} -c search_path="{self.schema_name}"'.strip()
        self._pool = ConnectionPool(
            conninfo,
            min_size=1,
            max_size=max_connections,
            open=False,
            check=self._check_idle,  # no ``reset``: with one, every return goes through a worker thread
            kwargs={
                "autocommit": True,
                "options": server_options,
                "application_name": f"successkit/{self.schema_name}",
            },
            configure=_configure,
            name=f"successkit-{next(_names)}",
        )
        with translate():
            try:
                self._pool.open(wait=True, timeout=parsed.open_timeout)
            except Exception as e:
                self._pool.close()
                raise StorageError(f"cannot connect to PostgreSQL at {redacted(conninfo)}: {e}") from e
        try:
            if not self._schema_is_current():  # one round trip, no lock, no DDL
                self._retrying(self._ensure_schema)  # processes opening a new schema at once may conflict
        except BaseException:
            self._pool.close()
            raise

    @classmethod
    def from_url(cls, url: str, classes: Iterable[type[Any]]) -> PostgresStore:
        return cls(classes, url)

    def close(self) -> None:
        self._pool.close()

    # ------------------------------------------------------------- retrying
    def _retrying(self, operation: Callable[[], T], *, read: bool = False) -> T:
        """Run ``operation``; when it is the whole of a transaction the store owns
        (no transaction was open), retry serialization failures and deadlocks, at
        most :attr:`retry_attempts` times in all, sleeping a jittered, growing
        delay between attempts.  Inside a caller's transaction it runs once: the
        database rolled back the caller's work, so only the caller can redo it.
        A ``read`` that found its pooled connection closed by the server runs once
        more on a fresh one (a write may have been applied: it is not rerun)."""
        if self.in_transaction:
            return operation()
        attempt = 1
        lost = 0
        while True:
            try:
                return operation()
            except ConnectionLost:
                if not read or lost >= self._pool.max_size:
                    raise
                lost += 1
            except TransientConflict as e:
                if attempt >= self.retry_attempts:
                    if attempt == 1:
                        raise
                    raise TransientConflict(
                        f"{e.message}; gave up after {attempt} attempts",
                        sqlstate=e.sqlstate,
                        attempts=attempt,
                    ) from e.__cause__
                time.sleep(backoff_delay(attempt, self.retry_base_delay, self.retry_max_delay))
                attempt += 1

    def get(self, kind: str, id: str) -> Any:
        return self._retrying(lambda: super(PostgresStore, self).get(kind, id), read=True)

    def get_many(self, kind: str, ids: Sequence[str]) -> list[Any]:
        return self._retrying(lambda: super(PostgresStore, self).get_many(kind, ids), read=True)

    def insert_many(self, records: Sequence[Any]) -> None:
        self._retrying(lambda: super(PostgresStore, self).insert_many(records))

    def update_many(self, items: Sequence[tuple[Any, int]], *, fields: Sequence[str] | None = None) -> None:
        self._retrying(lambda: super(PostgresStore, self).update_many(items, fields=fields))

    def delete_many(self, kind: str, ids: Sequence[str]) -> int:
        return self._retrying(lambda: super(PostgresStore, self).delete_many(kind, ids))

    def query(self, query: BoundQuery) -> Iterator[Any]:
        # Only the opening of the stream is retried: rows already handed out cannot be taken back.
        return self._retrying(lambda: super(PostgresStore, self).query(query), read=True)

    def query_many(self, queries: Sequence[BoundQuery]) -> list[list[Any]]:
        return self._retrying(lambda: super(PostgresStore, self).query_many(queries), read=True)

    def aggregate(
        self, query: BoundQuery, groups: Sequence[BoundGroup], measures: Sequence[BoundMeasure]
    ) -> list[tuple[tuple[Any, ...], tuple[Any, ...]]]:
        return self._retrying(lambda: super(PostgresStore, self).aggregate(query, groups, measures), read=True)

    def count(self, query: BoundQuery) -> int:
        return self._retrying(lambda: super(PostgresStore, self).count(query), read=True)

    def group_counts(self, query: BoundQuery, group: BoundGroup) -> list[tuple[Any, int]]:
        return self._retrying(lambda: super(PostgresStore, self).group_counts(query, group), read=True)

    # ------------------------------------------------------------- connections
    @contextmanager
    def _conn(self) -> Iterator[psycopg.Connection[Any]]:
        """The transaction's connection, or a pooled one for a single statement."""
        if self._tx is not None:
            yield self._tx
            return
        with self._pooled() as conn:
            try:
                yield conn
            except psycopg.OperationalError as e:
                if lost(conn, e):
                    raise ConnectionLost(f"PostgreSQL closed the connection: {str(e).strip()}") from e
                raise

    @contextmanager
    def _pooled(self) -> Iterator[psycopg.Connection[Any]]:
        """A pooled connection for a few statements, given back (and marked returned) after them."""
        with self._pool.connection() as conn:
            try:
                yield conn
            finally:
                self._returned[conn] = time.monotonic()

    def _check_idle(self, conn: psycopg.Connection[Any]) -> None:
        """The pool's check: a round trip only for a connection idle a while (:data:`IDLE_CHECK`)."""
        returned = self._returned.get(conn)
        if returned is not None and time.monotonic() - returned > IDLE_CHECK:
            ConnectionPool.check_connection(conn)

    def _put(self, conn: psycopg.Connection[Any]) -> None:
        """Give a connection back to the pool, noting when (:meth:`_check_idle` reads it).

        Noted here rather than in a pool ``reset`` callback: with one, psycopg_pool hands
        every returned connection to a worker thread, so the next request often finds the
        pool empty and opens another connection (each one calls :func:`random.random`
        in that thread, for its expiry): sequential use grew the pool to several
        connections for nothing."""
        self._returned[conn] = time.monotonic()
        self._pool.putconn(conn)

    def _schema_is_current(self) -> bool:
        """Read the catalog, the schema version and the collations in one round trip
        (a pipeline on a fresh connection) and say whether the schema is up to date:
        then opening runs no DDL and takes no lock, so a role with only data rights
        can open it.  A missing ``sk_meta`` (a new schema) is simply "not current";
        an older version is left as it is, noted in :attr:`pending_migration`."""
        meta = self.dialect.table("sk_meta")
        with translate(), self._pooled() as conn:
            try:
                with conn.pipeline():
                    catalog = conn.execute(CATALOG, self._catalog_params())
                    version = conn.execute(f"SELECT value FROM {meta} WHERE key = 'schema_version'")
                rows, row = catalog.fetchall(), version.fetchone()
            except pg_errors.UndefinedTable:
                return False
            tables, indexes, collations = read_catalog(rows)
            self._choose_lower_collation(collations)
            found = int(row[0]) if row else None
            check_version(f"schema {self.schema_name}", found)
            if found is not None and found < SCHEMA_VERSION:
                layout = layout_statements(self.dialect, self.schemas.values(), tables, indexes)
                self.pending_migration = make_plan(
                    f"schema {self.schema_name}", found, layout, self.scheme, self.dialect, fetcher(conn)
                )
                return True  # nothing is changed until the caller migrates
        return found == SCHEMA_VERSION and not layout_statements(self.dialect, self.schemas.values(), tables, indexes)

    def _ensure_schema(self) -> None:
        self._migrate(allow_steps=False, dry_run=False, now=None)

    def migrate(self, *, dry_run: bool = False, now: datetime | None = None) -> MigrationPlan:
        refuse_in_transaction(self.in_transaction)
        return self._retrying(lambda: self._migrate(allow_steps=True, dry_run=dry_run, now=now))

    def migration_history(self) -> list[AppliedStep]:
        with translate(), self._pooled() as conn:
            try:
                return read_history(conn.execute(history_query(self.dialect)).fetchall())
            except pg_errors.UndefinedTable:
                return []

    def _migrate(self, *, allow_steps: bool, dry_run: bool, now: datetime | None) -> MigrationPlan:
        """Under the schema lock, read the schema again and apply what it needs, in one transaction."""
        with translate(), self._pooled() as conn, conn.transaction(force_rollback=dry_run):
            conn.execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")  # the lock before the snapshot
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
            plan, apply = migrate_schema(conn, self.dialect, self.schemas.values(), self._catalog_params())
            if dry_run or not plan.needed or (plan.steps and plan.found is not None and not allow_steps):
                if not dry_run:  # still older (an older release wrote it meanwhile), or made current by another
                    self.pending_migration = plan if plan.steps and not allow_steps else None
                return plan
            plan = apply(now)
        self.pending_migration = None
        return plan

    def _choose_lower_collation(self, names: set[str]) -> None:
        """Prefer ICU (same lower-casing as Python); a server without ICU uses its C.UTF-8 locale."""
        for candidate in LOWER_COLLATIONS:
            if candidate in names:
                self.dialect.lower_collation = candidate
                return
        self.dialect.lower_collation = "default"

    def _catalog_params(self) -> tuple[str, list[str], str]:
        return (self.schema_name, list(self.schemas), self.schema_name)

    def _existing_indexes(self, conn: psycopg.Connection[Any]) -> dict[str, str]:
        """Every index in the store's schema: name -> table."""
        return dict(
            conn.execute(
                "SELECT indexname, tablename FROM pg_indexes WHERE schemaname = %s", (self.schema_name,)
            ).fetchall()
        )

    def _custom_index_changes(self, fields: dict[str, dict[str, FieldType]]) -> list[str]:
        with translate(), self._conn() as conn:
            return index_changes(self.dialect, [self.schemas[k] for k in fields], self._existing_indexes(conn), fields)

    def _index_custom_fields(self, fields: dict[str, dict[str, FieldType]]) -> None:
        schemas = [self.schemas[kind] for kind in fields]
        if not self._custom_index_changes(fields):
            return  # nothing to do: no lock taken, no DDL run

        def change() -> None:
            with self.transaction(), translate(), self._conn() as conn:
                self._write("index_custom_fields")
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,))  # one process changes them at once
                for sql in index_changes(self.dialect, schemas, self._existing_indexes(conn), fields):
                    conn.execute(sql)

        self._retrying(change)

    # ----------------------------------------------------------- transactions
    def _begin(self) -> None:
        # connections the server closed while pooled (a restart closes them all) are replaced
        for attempt in range(self._pool.max_size + 1):
            conn = self._pool.getconn()
            try:
                with translate():
                    conn.execute("BEGIN")
            except StorageError as e:
                self._put(conn)
                if attempt == self._pool.max_size or not lost(conn, e.__cause__):
                    raise
                continue
            except BaseException:
                self._put(conn)
                raise
            self._tx = conn
            return

    def _finish(self, statement: str) -> None:
        conn = self._tx
        assert conn is not None
        with translate():
            conn.execute(statement)
        self._tx = None
        self._put(conn)

    def _commit(self) -> None:
        self._finish("COMMIT")

    def _rollback(self) -> None:
        if self._tx is not None:
            self._finish("ROLLBACK")

    def _reset_connection(self) -> None:
        conn, self._tx = self._tx, None
        if conn is not None:
            conn.close()  # closing discards the open transaction; the pool replaces the connection
            self._put(conn)

    def _lock_in_transaction(self, names: list[str]) -> None:
        """Transaction-scoped advisory locks.  Under repeatable read or serializable
        the transaction's snapshot may predate the lock, so what it reads could miss
        the commit of the process that held it: refused rather than risk a second run."""
        with translate(), self._conn() as conn:
            level = conn.execute("SHOW transaction_isolation").fetchone()
            if level is not None and level[0] != "read committed":
                raise ConflictError(
                    f"an operation meant to happen once cannot run inside a {level[0]} transaction "
                    "opened by the caller; run it outside one (it opens its own)",
                    rule="SEC_04",
                    value=level[0],
                )
            for name in names:
                conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (self._lock_key(name),))

    def _lock_outside(self, names: list[str]) -> Callable[[], None]:
        """Session advisory locks on a connection of their own, taken before the
        transaction begins (so its snapshot follows them) and released after it ends."""
        conn = self._pool.getconn()
        try:
            with translate():
                for name in names:
                    conn.execute("SELECT pg_advisory_lock(hashtextextended(%s, 0))", (self._lock_key(name),))
                    conn.commit()  # the session lock stays; no transaction is left open
        except BaseException:
            self._put(conn)  # closing the pool's connection ends its session and its locks
            raise

        def release() -> None:
            try:
                with translate():
                    conn.execute("SELECT pg_advisory_unlock_all()")
                    conn.commit()
            finally:
                self._put(conn)

        return release

    def _lock_key(self, name: str) -> str:
        return f"{self.schema_name}:{name}"

    def _savepoint(self, name: str) -> None:
        with translate(), self._conn() as conn:
            conn.execute(f"SAVEPOINT {name}")

    def _release(self, name: str) -> None:
        with translate(), self._conn() as conn:
            conn.execute(f"RELEASE SAVEPOINT {name}")

    def _rollback_to(self, name: str) -> None:
        with translate(), self._conn() as conn:
            conn.execute(f"ROLLBACK TO SAVEPOINT {name}")
            conn.execute(f"RELEASE SAVEPOINT {name}")

    # ----------------------------------------------------------------- records
    def _get_many(self, schema: KindSchema, ids: list[str]) -> list[Any]:
        sql = self._get_sql.get(schema.kind)
        if sql is None:  # made once per kind: a get by id is the commonest read
            cols = ", ".join(quote(c) for c in schema.names)
            sql = self._get_sql[schema.kind] = (
                f'SELECT {cols} FROM {self.dialect.table(schema.kind)} WHERE "id" = ANY(%s)'
            )
        with translate(), self._conn() as conn:
            rows = conn.execute(sql, (ids,)).fetchall()
        return [schema.from_row(r) for r in rows]

    def _insert_many(self, schema: KindSchema, records: list[Any]) -> None:
        cols = ", ".join(quote(c) for c in schema.names)
        to_row = schema.to_row
        statement = f"COPY {self.dialect.table(schema.kind)} ({cols}) FROM STDIN"
        with translate(), self._conn() as conn, conn.cursor() as cur, cur.copy(statement) as copy:
            for record in records:
                copy.write_row(to_row(record))

    def _update_many(
        self, schema: KindSchema, items: list[tuple[Any, int]], fields: tuple[str, ...] | None = None
    ) -> list[str]:
        names = [n for n in schema.names if n != "id"] if fields is None else list(fields)
        at = [schema.names.index(n) for n in names]
        sets = ", ".join(f"{quote(n)} = %s" for n in names)
        table = self.dialect.table(schema.kind)
        sql = f'UPDATE {table} SET {sets} WHERE "id" = %s'
        ids = [r.id for r, _ in items]
        with translate(), self._conn() as conn:
            # Rows are locked in id order, so two writers of overlapping sets cannot deadlock here.
            found = dict(
                conn.execute(
                    f'SELECT "id", "version" FROM {table} WHERE "id" = ANY(%s) ORDER BY "id" FOR UPDATE', (ids,)
                ).fetchall()
            )
            stale = [r.id for r, expected in items if found.get(r.id) != expected]
            if not stale:
                rows = [(*[row[i] for i in at], row[0]) for row in (schema.to_row(r) for r, _ in items)]
                with conn.cursor() as cur:
                    cur.executemany(sql, rows)
        return stale

    def _delete_many(self, schema: KindSchema, ids: list[str]) -> int:
        with translate(), self._conn() as conn:
            return conn.execute(f'DELETE FROM {self.dialect.table(schema.kind)} WHERE "id" = ANY(%s)', (ids,)).rowcount

    # ----------------------------------------------------------------- queries
    def _query(self, schema: KindSchema, query: BoundQuery) -> Iterator[Any]:
        with self._lock:
            if self._tx is not None or (query.limit is not None and query.limit <= _CHUNK):
                # a page of at most one chunk is read at once: no server-side cursor, one round trip
                sql, params = self.dialect.select(schema, query)
                with translate(), self._conn() as conn:
                    rows = conn.execute(sql, params).fetchall()
                return map(schema.from_row, rows)
            # most reads are short: try one chunk (and one more row) at once, and stream
            # with a server-side cursor only when there is more (the chunk read is dropped)
            short = attrs.evolve(query, limit=_CHUNK + 1 if query.limit is None else min(query.limit, _CHUNK + 1))
            first_sql, first_params = self.dialect.select(schema, short)
            with translate(), self._conn() as conn:
                rows = conn.execute(first_sql, first_params).fetchall()
            if len(rows) <= _CHUNK:
                return map(schema.from_row, rows)
            sql, params = self.dialect.select(schema, query)
            conn = self._pool.getconn()
            try:
                with translate():
                    conn.execute("BEGIN READ ONLY")
                    cur = conn.cursor(name=f"sk_stream_{next(_names)}")
                    cur.itersize = _CHUNK
                    cur.execute(sql, params)
            except BaseException:
                self._give_back(conn)
                raise
        return self._stream(conn, cur, schema)

    def _query_many(self, pairs: list[tuple[KindSchema, BoundQuery]]) -> list[list[Any]]:
        """Every query sent in one pipeline: one round trip for them all."""
        statements = [self.dialect.select(schema, query) for schema, query in pairs]
        with translate(), self._conn() as conn:
            with conn.pipeline():
                cursors = [conn.execute(sql, params) for sql, params in statements]
            return [list(map(schema.from_row, cur.fetchall())) for (schema, _), cur in zip(pairs, cursors, strict=True)]

    def _stream(self, conn: psycopg.Connection[Any], cur: Any, schema: KindSchema) -> Iterator[Any]:
        from_row = schema.from_row
        try:
            while True:
                with translate():
                    rows = cur.fetchmany(_CHUNK)
                if not rows:
                    return
                yield from map(from_row, rows)
        finally:
            self._give_back(conn)

    def _give_back(self, conn: psycopg.Connection[Any]) -> None:
        try:
            conn.execute("ROLLBACK")
        except psycopg.Error:
            conn.close()
        self._put(conn)

    def _count_matching(self, schema: KindSchema, query: BoundQuery) -> int:
        sql, params = self.dialect.count(schema, query)
        with translate(), self._conn() as conn:
            row = conn.execute(sql, params).fetchone()
        return int(row[0]) if row else 0

    def _aggregate(
        self, schema: KindSchema, query: BoundQuery, groups: tuple[BoundGroup, ...], measures: tuple[BoundMeasure, ...]
    ) -> list[tuple[tuple[Any, ...], tuple[Any, ...]]]:
        (sql, params), widths = self.dialect.aggregate(schema, query, groups, measures)
        with translate(), self._conn() as conn:
            rows = conn.execute(sql, params).fetchall()
        return aggregate_rows(rows, widths, groups, measures)

    def _group_counts(
        self, schema: KindSchema, query: BoundQuery, group: BoundGroup, source: Compiled | None = None
    ) -> list[tuple[Any, int]]:
        if group.field.custom and group.mode == "value":
            sql, params = self.dialect.group_parts(schema, query, group, source)
            with translate(), self._conn() as conn:
                parts = conn.execute(sql, params).fetchall()
            rows = [(whole_number(num) if num is not None else txt, int(n)) for num, txt, n in parts]
        else:
            sql, params = self.dialect.group(schema, query, group, source)
            with translate(), self._conn() as conn:
                rows = [(v, int(n)) for v, n in conn.execute(sql, params).fetchall()]
        return fold_groups(rows, group)

    # ------------------------------------------------ computed goal progress (GOAL_06)
    def query_progress(self, query: BoundQuery, spec: ProgressSpec) -> list[tuple[Any, Tally]]:
        return self._retrying(lambda: super(PostgresStore, self).query_progress(query, spec))

    def count_progress(self, query: BoundQuery, spec: ProgressSpec) -> int:
        return self._retrying(lambda: super(PostgresStore, self).count_progress(query, spec))

    def group_counts_progress(self, query: BoundQuery, group: BoundGroup, spec: ProgressSpec) -> list[tuple[Any, int]]:
        return self._retrying(lambda: super(PostgresStore, self).group_counts_progress(query, group, spec))

    def _fetch(self, sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
        with translate(), self._conn() as conn:
            return conn.execute(sql, params).fetchall()


def _configure(conn: psycopg.Connection[Any]) -> None:
    """Read JSONB as text, the way the row codec expects it."""
    conn.adapters.register_loader("jsonb", TextLoader)
    conn.adapters.register_loader("json", TextLoader)
