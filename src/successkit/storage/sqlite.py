"""The SQLite backend (the embedded default), on the standard library's ``sqlite3``.

Durability trade-off: the database runs in WAL mode with ``synchronous=NORMAL``.
A committed transaction survives a crash of the application; after a power
loss or OS crash the last few transactions before it may be rolled back, but
the file is never corrupted.  Write transactions start with ``BEGIN IMMEDIATE``
so that a second process waits (up to the busy timeout) for the write lock
instead of failing halfway with ``SQLITE_BUSY``.
"""

from __future__ import annotations

import json
import math
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Literal
from urllib.parse import parse_qsl, urlsplit

from successkit.errors import ConflictError, StorageError, ValidationError
from successkit.query.aggregate import BoundMeasure
from successkit.query.bind import BoundGroup, BoundQuery, FieldRef, quarter_of
from successkit.query.evaluate import sorted_groups
from successkit.query.schema import FieldType, KindSchema

from .base import Store
from .indexes import index_changes
from .migrations import (
    SCHEMA_VERSION,
    AppliedStep,
    MigrationPlan,
    apply_plan,
    check_version,
    history_query,
    make_plan,
    read_history,
    refuse_in_transaction,
)
from .progress_sql import SQLProgress
from .sql import Compiled, Dialect, aggregate_rows, literal, quote

__all__ = ["SCHEMA_VERSION", "SQLiteStore"]

_CHUNK = 1000
#: The longest busy timeout, in seconds: SQLite takes milliseconds as a 32-bit integer.
_MAX_TIMEOUT = 2_000_000


def _lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else None


class SQLiteDialect(Dialect):
    """SQLite spelling: JSON1 functions for custom fields and lists.

    SQLite sorts nulls first ascending and last descending.  ``x NULLS LAST``
    (SQLite 3.30 and later) reads an ascending index in two passes, the values
    then the nulls, and ``x DESC`` reads one backwards; older versions get the
    ``x IS NULL`` spelling, which sorts.
    """

    nulls_last = sqlite3.sqlite_version_info >= (3, 30, 0)

    def custom(self, field: FieldRef) -> Compiled:
        p = _path(field.name)
        path, params = (f"'{p}'", []) if literal(field.name) else ("?", [p])
        if field.type is FieldType.LIST:  # read only through list_items() and empty()
            return f'json_extract("fields", {path})', params
        # a list or mapping where one value is declared reads as missing (see evaluate)
        return (
            f"CASE WHEN json_type(\"fields\", {path}) IN ('array', 'object') THEN NULL"
            f' ELSE json_extract("fields", {path}) END',
            params + params,
        )

    def sort_terms(self, field: FieldRef, descending: bool) -> Compiled:
        x, p = self.field(field)
        if descending:  # nulls come last by themselves
            return f"{x} DESC", p
        if not (field.custom or field.nullable):
            return x, p
        if self.nulls_last:
            return f"{x} NULLS LAST", p
        return super().sort_terms(field, descending)

    def lower(self, expr: str) -> str:
        return f"sk_lower({expr})"

    def empty(self, field: FieldRef, expr: str, params: list[Any]) -> Compiled:
        if field.custom:
            p = _path(field.name)
            t = 'json_type("fields", ?)'
            if field.type is FieldType.LIST:  # anything but a non-empty list
                return (f"(COALESCE({t}, 'null') <> 'array' OR json_array_length(\"fields\", ?) = 0)", [p, p])
            return (
                f"(COALESCE({t}, 'null') IN ('null', 'array', 'object')"
                f" OR ({t} = 'text' AND json_extract(\"fields\", ?) = ''))",
                [p, p, p],
            )
        if field.type is FieldType.TEXT:
            return f"({expr} IS NULL OR {expr} = '')", params + params
        if field.type is FieldType.LIST:
            return f"({expr} IS NULL OR {expr} = '[]')", params + params
        return f"{expr} IS NULL", params

    def list_items(self, field: FieldRef) -> Compiled:
        # only text items: query values for lists are text, and a nested list
        # or mapping would otherwise be compared as its JSON text
        if field.custom:
            p = _path(field.name)
            return (
                "SELECT 1 FROM json_each(\"fields\", ?) WHERE json_type(\"fields\", ?) = 'array' AND type = 'text'",
                [p, p],
            )
        return f"SELECT 1 FROM json_each({quote(field.name)}) WHERE type = 'text'", []

    def many_values(self, values: list[Any]) -> Compiled:
        return "SELECT value FROM json_each(?)", [_json_array(values)]

    def number(self, field: FieldRef) -> Compiled:
        x, p = self.field(field)
        return (f"(CASE WHEN typeof({x}) IN ('integer', 'real') THEN {x} END)", p + p) if field.custom else (x, p)

    def date_text(self, field: FieldRef) -> Compiled:
        x, p = self.field(field)
        return (f"(CASE WHEN typeof({x}) = 'text' THEN {x} END)", p + p) if field.custom else (x, p)


def _path(name: str) -> str:
    return "$." + json.dumps(name)


def _json_array(values: list[Any]) -> str:
    """Query values (text and numbers) as a JSON array that SQLite reads back
    value for value; an infinity is written as a number past the float range."""
    if all(type(v) is str for v in values):  # ids, keys: one call for the whole list
        return json.dumps(values, ensure_ascii=False, separators=(",", ":"))
    items = []
    for v in values:
        if isinstance(v, float) and not math.isfinite(v):
            items.append("9e999" if v > 0 else "-9e999")
        else:
            items.append(json.dumps(v, ensure_ascii=False))
    return "[" + ",".join(items) + "]"


def _url_path(url: str) -> str:
    rest = url[len("sqlite://") :]
    if not rest.startswith("/"):
        raise StorageError("a SQLite URL is sqlite:///relative.db or sqlite:////absolute.db", value=url)
    if "#" in rest:  # it would become part of the file name
        raise StorageError("a SQLite URL has no #fragment (a file name with # cannot be given in a URL)", value=url)
    path = rest[1:].split("?", 1)[0]
    if not path:
        raise StorageError("the SQLite URL names no file", value=url)
    return path


def _check_path(path: Any) -> str:
    """The file name as text; a NUL character cannot be in a file name."""
    if isinstance(path, Path):
        path = str(path)
    if not isinstance(path, str) or not path or "\x00" in path:
        raise ValidationError("the SQLite path is non-empty text without NUL characters", value=path)
    return path


def _check_timeout(seconds: Any) -> float:
    """busy_timeout: a finite number of seconds >= 0 that SQLite can hold in milliseconds."""
    if (
        isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not 0 <= seconds <= _MAX_TIMEOUT
    ):  # NaN fails the comparison
        raise ValidationError(f"busy_timeout is a number of seconds from 0 to {_MAX_TIMEOUT}", value=seconds)
    return float(seconds)


@dataclass(frozen=True, slots=True)
class _Statements:
    """The SQL text of a kind's reads and writes by id, made once when the store
    opens rather than on every call; ``sqlite3`` keeps each text's prepared
    statement in its cache, keyed by the text."""

    get_one: str
    get_many: str
    insert: str
    versions: str
    update: str
    delete: str

    @classmethod
    def of(cls, schema: KindSchema) -> _Statements:
        table = quote(schema.kind)
        cols = ", ".join(quote(c) for c in schema.names)
        by_ids = '"id" IN (SELECT value FROM json_each(?))'
        sets = ", ".join(f"{quote(n)} = ?" for n in schema.names if n != "id")
        return cls(
            get_one=f'SELECT {cols} FROM {table} WHERE "id" = ?',
            get_many=f"SELECT {cols} FROM {table} WHERE {by_ids}",
            insert=f"INSERT INTO {table} ({cols}) VALUES ({', '.join('?' * len(schema.columns))})",
            versions=f'SELECT "id", "version" FROM {table} WHERE {by_ids}',
            update=f'UPDATE {table} SET {sets} WHERE "id" = ? AND "version" = ?',
            delete=f"DELETE FROM {table} WHERE {by_ids}",
        )


class SQLiteStore(SQLProgress, Store):
    """Records in one SQLite file (or ``:memory:``), one table per record kind."""

    scheme = "sqlite"
    partial_updates = True

    def __init__(
        self, classes: Iterable[type[Any]], path: str | Path, *, busy_timeout: float = 10.0, synchronous: str = "normal"
    ) -> None:
        super().__init__(classes)
        if not isinstance(synchronous, str) or synchronous.lower() not in ("normal", "full"):
            raise StorageError("synchronous is 'normal' or 'full'", value=synchronous)
        self.path = _check_path(path)
        self.busy_timeout = _check_timeout(busy_timeout)
        self.synchronous = synchronous.upper()
        self.dialect = SQLiteDialect()
        self._sql = {kind: _Statements.of(schema) for kind, schema in self.schemas.items()}
        self._conn = self._connect()
        try:
            self._ensure_schema()
        except BaseException:
            self._conn.close()
            raise

    @classmethod
    def from_url(cls, url: str, classes: Iterable[type[Any]]) -> SQLiteStore:
        """``sqlite:///file.db?busy_timeout=10&synchronous=full`` (both options optional)."""
        options: dict[str, str] = {}
        for key, value in parse_qsl(urlsplit(url).query, keep_blank_values=True):
            if key not in ("busy_timeout", "synchronous"):
                raise StorageError("unknown SQLite URL option; known: busy_timeout, synchronous", value=key)
            if key in options:
                raise StorageError("a SQLite URL option is given twice", value=key)
            options[key] = value
        try:
            timeout = float(options.get("busy_timeout", 10.0))
        except ValueError:
            raise StorageError("busy_timeout is a number of seconds", value=options["busy_timeout"]) from None
        return cls(classes, _url_path(url), busy_timeout=timeout, synchronous=options.get("synchronous", "normal"))

    # ------------------------------------------------------------- connection
    def _connect(self) -> sqlite3.Connection:
        if self.path != ":memory:":
            if Path(self.path).exists() and not Path(self.path).is_file():
                raise StorageError(
                    "the SQLite path is not a regular file (a device, a directory...): it cannot hold a database",
                    value=self.path,
                )
            try:
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            except OSError as e:
                raise StorageError(
                    f"cannot create the directory of the SQLite file: {e.strerror or e}", value=self.path
                ) from e
        try:
            with _translate():
                conn = sqlite3.connect(
                    self.path, isolation_level=None, check_same_thread=False, timeout=self.busy_timeout
                )
        except StorageError as e:
            raise StorageError(f"cannot open the SQLite file: {e.message}", value=self.path) from e.__cause__
        try:
            with _translate():
                conn.create_function("sk_lower", 1, _lower, deterministic=True)
                conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout * 1000)}")
                if self.path != ":memory:":
                    conn.execute("PRAGMA journal_mode = WAL")
                conn.execute(f"PRAGMA synchronous = {self.synchronous}")
        except StorageError as e:
            conn.close()
            raise StorageError(f"cannot use the SQLite file: {e.message}", value=self.path) from e.__cause__
        return conn

    def close(self) -> None:
        self._conn.close()

    def _reset_connection(self) -> None:
        try:
            self._conn.close()  # closing discards any open transaction
        finally:
            self._conn = self._connect()

    def _ensure_schema(self) -> None:
        """Read the schema without writing; create a new one, repair a current one
        that lacks a table, column or index, and leave an older one as it is,
        noting what it needs in :attr:`pending_migration` (:mod:`.migrations`)."""
        with _translate(), self._lock:
            found, layout = self._inspect()
            if found is not None and found < SCHEMA_VERSION:
                self.pending_migration = make_plan(self.path, found, layout, self.scheme, self.dialect, self._rows)
                return
            if found == SCHEMA_VERSION and not layout:
                return  # current: no DDL, no write lock
            self._migrate(allow_steps=False, dry_run=False, now=None)

    def migrate(self, *, dry_run: bool = False, now: datetime | None = None) -> MigrationPlan:
        refuse_in_transaction(self.in_transaction)
        with _translate(), self._lock:
            return self._migrate(allow_steps=True, dry_run=dry_run, now=now)

    def migration_history(self) -> list[AppliedStep]:
        with _translate(), self._lock:
            if not self._has_table("sk_migrations"):
                return []
            return read_history(self._rows(history_query(self.dialect)))

    def _migrate(self, *, allow_steps: bool, dry_run: bool, now: datetime | None) -> MigrationPlan:
        """Inspect again under the write lock and apply what is needed in one transaction."""
        c = self._conn
        c.execute("BEGIN IMMEDIATE")
        try:
            found, layout = self._inspect()
            plan = make_plan(self.path, found, layout, self.scheme, self.dialect, self._rows)
            if dry_run or not plan.needed or (found is not None and found < SCHEMA_VERSION and not allow_steps):
                c.execute("ROLLBACK")
                if not dry_run:  # still older (an older release wrote it meanwhile), or made current by another
                    self.pending_migration = plan if plan.steps and not allow_steps else None
                return plan
            applied = apply_plan(plan, layout, self.scheme, self.dialect, c.execute, now)
            c.execute("COMMIT")
        except BaseException:
            if c.in_transaction:  # a failed BEGIN leaves none to roll back
                c.execute("ROLLBACK")
            raise
        self.pending_migration = None
        return applied

    def _rows(self, sql: str) -> list[tuple[Any, ...]]:
        return self._conn.execute(sql).fetchall()

    def _has_table(self, name: str) -> bool:
        query = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?"
        return self._conn.execute(query, (name,)).fetchone() is not None

    def _inspect(self) -> tuple[int | None, list[Compiled]]:
        """The recorded schema version and the statements the layout lacks, read without writing."""
        found = None
        if self._has_table("sk_meta"):
            row = self._conn.execute("SELECT value FROM sk_meta WHERE key = 'schema_version'").fetchone()
            found = int(row[0]) if row else None
        check_version(self.path, found)
        layout: list[Compiled] = []
        for schema in self.schemas.values():
            have = {r[1] for r in self._conn.execute(f"PRAGMA table_info({quote(schema.kind)})")}
            layout += self.dialect.upgrade_table(schema, have) if have else [(self.dialect.create_table(schema), [])]
        changes = index_changes(self.dialect, self.schemas.values(), self._existing_indexes())
        return found, layout + [(sql, []) for sql in changes]

    def _existing_indexes(self) -> dict[str, str]:
        """Every index of the file but SQLite's own: name -> table."""
        rows = self._conn.execute(
            "SELECT name, tbl_name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite^_%' ESCAPE '^'"
        ).fetchall()
        return dict(rows)

    def _custom_index_changes(self, fields: dict[str, dict[str, FieldType]]) -> list[str]:
        with self._lock, _translate():
            return index_changes(self.dialect, [self.schemas[k] for k in fields], self._existing_indexes(), fields)

    def _index_custom_fields(self, fields: dict[str, dict[str, FieldType]]) -> None:
        schemas = [self.schemas[kind] for kind in fields]
        if not self._custom_index_changes(fields):
            return  # nothing to do: no write lock taken
        with self.transaction(), _translate():
            self._write("index_custom_fields")
            for sql in index_changes(self.dialect, schemas, self._existing_indexes(), fields):
                self._conn.execute(sql)

    # ----------------------------------------------------------- transactions
    def _begin(self) -> None:
        with _translate():
            self._conn.execute("BEGIN IMMEDIATE")

    def _commit(self) -> None:
        with _translate():
            self._conn.execute("COMMIT")

    def _rollback(self) -> None:
        with _translate():
            if self._conn.in_transaction:
                self._conn.execute("ROLLBACK")

    def _savepoint(self, name: str) -> None:
        with _translate():
            self._conn.execute(f"SAVEPOINT {name}")

    def _release(self, name: str) -> None:
        with _translate():
            self._conn.execute(f"RELEASE {name}")

    def _rollback_to(self, name: str) -> None:
        with _translate():
            self._conn.execute(f"ROLLBACK TO {name}")
            self._conn.execute(f"RELEASE {name}")

    # ----------------------------------------------------------------- records
    def _get_many(self, schema: KindSchema, ids: list[str]) -> list[Any]:
        sql = self._sql[schema.kind]
        with _translate():
            if len(ids) == 1:  # a get: the primary-key lookup, without json_each
                rows = self._conn.execute(sql.get_one, ids).fetchall()
            else:
                rows = self._conn.execute(sql.get_many, (json.dumps(ids),)).fetchall()
        from_row = schema.from_row
        return [from_row(r) for r in rows]

    def _insert_many(self, schema: KindSchema, records: list[Any]) -> None:
        with _translate():
            self._conn.executemany(self._sql[schema.kind].insert, map(schema.to_row, records))

    def _update_many(
        self, schema: KindSchema, items: list[tuple[Any, int]], fields: tuple[str, ...] | None = None
    ) -> list[str]:
        statements = self._sql[schema.kind]
        update = statements.update
        if fields is not None:
            at = [schema.names.index(f) for f in fields]
            sets = ", ".join(f"{quote(f)} = ?" for f in fields)
            update = f'UPDATE {quote(schema.kind)} SET {sets} WHERE "id" = ? AND "version" = ?'

        def rows() -> Iterator[tuple[Any, ...]]:
            for record, expected in items:
                row = schema.to_row(record)
                if fields is None:
                    yield (*row[1:], row[0], expected)
                else:
                    yield (*[row[i] for i in at], row[0], expected)

        ids = [r.id for r, _ in items]
        with _translate():
            # Inside the write transaction, so nobody can change a version in between.
            found = dict(self._conn.execute(statements.versions, (json.dumps(ids),)).fetchall())
            stale = [r.id for r, expected in items if found.get(r.id) != expected]
            if not stale:
                self._conn.executemany(update, rows())
        return stale

    def _delete_many(self, schema: KindSchema, ids: list[str]) -> int:
        with _translate():
            return self._conn.execute(self._sql[schema.kind].delete, (json.dumps(ids),)).rowcount

    # ----------------------------------------------------------------- queries
    def _query(self, schema: KindSchema, query: BoundQuery) -> Iterator[Any]:
        sql, params = self.dialect.select(schema, query)
        with self._lock, _translate():
            cur = self._conn.execute(sql, params)
            if query.limit is not None and query.limit <= _CHUNK:  # a page of at most one chunk: read at once
                rows = cur.fetchall()
                cur.close()
                return map(schema.from_row, rows)
        return self._stream(cur, schema)

    def _stream(self, cur: sqlite3.Cursor, schema: KindSchema) -> Iterator[Any]:
        from_row = schema.from_row
        try:
            while True:
                with self._lock, _translate():
                    rows = cur.fetchmany(_CHUNK)
                if not rows:
                    return
                yield from map(from_row, rows)
        finally:
            cur.close()

    def _count_matching(self, schema: KindSchema, query: BoundQuery) -> int:
        sql, params = self.dialect.count(schema, query)
        with _translate():
            return int(self._conn.execute(sql, params).fetchone()[0])

    def _aggregate(
        self, schema: KindSchema, query: BoundQuery, groups: tuple[BoundGroup, ...], measures: tuple[BoundMeasure, ...]
    ) -> list[tuple[tuple[Any, ...], tuple[Any, ...]]]:
        (sql, params), widths = self.dialect.aggregate(schema, query, groups, measures)
        with _translate():
            rows = self._conn.execute(sql, params).fetchall()
        return aggregate_rows(rows, widths, groups, measures)

    def _group_counts(
        self, schema: KindSchema, query: BoundQuery, group: BoundGroup, source: Compiled | None = None
    ) -> list[tuple[Any, int]]:
        sql, params = self.dialect.group(schema, query, group, source)
        with _translate():
            rows = self._conn.execute(sql, params).fetchall()
        return fold_groups(rows, group)

    # ------------------------------------------------ computed goal progress (GOAL_06)
    def _fetch(self, sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
        with _translate():
            return self._conn.execute(sql, params).fetchall()


def fold_groups(rows: list[tuple[Any, int]], group: BoundGroup) -> list[tuple[Any, int]]:
    """Turn SQL group rows into the same (key, count) list the memory backend gives."""
    merged: dict[Any, int] = {}
    for value, n in rows:
        if group.mode in ("quarter", "fiscal"):
            value = quarter_of(value, group.mode, group.start_month)
        merged[value] = merged.get(value, 0) + n
    return sorted_groups(merged, group)


def _translated(e: BaseException) -> Exception | None:
    """The successkit error a driver error becomes; None for any other error."""
    if isinstance(e, sqlite3.IntegrityError):
        return ConflictError(f"storage refused a duplicate or invalid row: {e}")
    if isinstance(e, sqlite3.OperationalError):
        if "locked" in str(e) or "busy" in str(e):
            return StorageError(f"the database is busy (another writer holds it): {e}")
        return StorageError(f"SQLite error: {e}")
    if isinstance(e, sqlite3.Error):
        return StorageError(f"SQLite error: {e}")
    if isinstance(e, UnicodeEncodeError):
        return ValidationError("text with unpaired surrogate characters cannot be stored", value=e.object)
    if isinstance(e, OverflowError):
        return ValidationError(f"a number is too large to store (at most 64-bit integers): {e}")
    return None


class _Translate:
    """``with _translate():`` turns driver errors into successkit errors, keeping
    the cause.  A class rather than a generator: it wraps every statement."""

    __slots__ = ()

    def __enter__(self) -> None:
        return None

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> Literal[False]:
        translated = None if error is None else _translated(error)
        if translated is None:
            return False
        raise translated from error


_TRANSLATE = _Translate()


def _translate() -> _Translate:
    return _TRANSLATE
