"""The storage contract every backend fulfils.

:class:`Store` holds the bookkeeping every backend shares (transaction nesting,
a thread lock, per-call statistics for round-trip tests, a fault-injection
point for atomicity tests, version checks) and leaves the actual reading and
writing to a handful of abstract methods, each documented below.  A backend
knows record *kinds* and their columns (:class:`~successkit.query.schema.KindSchema`),
never plans or goals: the rules live above it.
"""

from __future__ import annotations

import abc
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from functools import partial
from typing import Any

import attrs

from successkit.errors import ConflictError, NotFound, QueryError, StorageError, SuccessKitError, ValidationError, named
from successkit.query.aggregate import BoundMeasure, aggregate_records, related_keys
from successkit.query.bind import BoundGroup, BoundQuery, Node
from successkit.query.schema import FieldType, KindSchema, schema_of
from successkit.records.fast_init import trusted_evolve

from .migrations import SCHEMA_VERSION, AppliedStep, MigrationPlan
from .progress import ProgressSpec, Reference, Tally, check_kind

__all__ = ["MAX_GROUPS", "Store", "StoreStats"]

#: The most groupings one aggregate takes (REPORT_01: one or two).
MAX_GROUPS = 2

#: Called before every write with the operation's name; raise to inject a fault.
FaultHook = Callable[[str], None]


@attrs.define
class StoreStats:
    """How many calls reached the backend, by operation (for bounded-query tests)."""

    calls: Counter[str] = attrs.field(factory=Counter)

    @property
    def total(self) -> int:
        return sum(self.calls.values())

    def reset(self) -> None:
        self.calls.clear()


class Store(abc.ABC):
    """A backend that stores records of the kinds it was opened with."""

    #: The URL scheme(s) this backend serves, for messages.
    scheme: str = ""
    #: Whether ``_update_many`` writes only the ``fields`` it is given; a backend
    #: without gets whole records, the stored ones with those fields replaced.
    partial_updates: bool = False
    #: Set when opening found an older schema (OPS_01): what :meth:`migrate` would do.
    pending_migration: MigrationPlan | None = None

    def __init__(self, classes: Iterable[type[Any]]) -> None:
        self.schemas: dict[str, KindSchema] = {}
        self._by_class: dict[type[Any], KindSchema] = {}
        for cls in classes:
            s = schema_of(cls)
            self.schemas[s.kind] = s
            self._by_class[cls] = s
        self.stats = StoreStats()
        self.fault: FaultHook | None = None
        self._lock = threading.RLock()
        self._depth = 0
        self._savepoints = 0
        self._owner: int | None = None  # the thread whose transaction is open (SEC_08)
        self._callbacks: list[Callable[[], None]] = []  # after_commit, of that transaction

    # ------------------------------------------------------------------ public API
    def schema(self, kind: str) -> KindSchema:
        """The schema of a record kind."""
        try:
            return self.schemas[kind]
        except KeyError:
            raise ValidationError(f"unknown record kind; known: {sorted(self.schemas)}", value=kind) from None
        except TypeError:  # an unhashable kind (a list, a dict...) names no kind
            raise ValidationError("a record kind is the name of a kind (text)", rule="SEC_05", value=kind) from None

    def schema_for(self, record: Any) -> KindSchema:
        """The schema of a record's kind."""
        try:
            return self._by_class[type(record)]
        except KeyError:
            raise ValidationError("this store does not hold records of this class", value=type(record)) from None

    @property
    def in_transaction(self) -> bool:
        """Whether the calling thread has a transaction open on this store; another
        thread's transaction does not count (SEC_08)."""
        return self._depth > 0 and self._owner == threading.get_ident()

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` once the calling thread's outermost transaction has
        committed, or now if it has none open.  It is dropped when that
        transaction, or the savepoint it was queued in, rolls back (SEC_08)."""
        if self.in_transaction:
            self._callbacks.append(callback)
        else:
            callback()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Run the block atomically.  Nested blocks become savepoints, so an
        inner failure the caller catches undoes only the inner block."""
        with self._lock:
            if self._depth == 0:
                self._count("begin")
                self._begin()
                self._depth, self._owner = 1, threading.get_ident()
                try:
                    yield
                except BaseException as e:
                    self._end_outer()
                    self._safe_rollback(e)
                    raise
                callbacks = self._end_outer()
                try:
                    self._commit()
                except BaseException as e:
                    self._safe_rollback(e)
                    raise
            else:
                self._savepoints += 1
                name = f"sk_{self._savepoints}"
                self._savepoint(name)
                self._depth += 1
                queued = len(self._callbacks)
                try:
                    yield
                except BaseException:
                    self._depth -= 1
                    del self._callbacks[queued:]  # the savepoint's work is undone: so are its callbacks
                    self._rollback_to(name)
                    raise
                self._depth -= 1
                self._release(name)
                return
        _run_all(callbacks)  # committed; the lock is released, so other threads go on meanwhile

    def _end_outer(self) -> list[Callable[[], None]]:
        """Close the outermost transaction's bookkeeping; its callbacks, taken away."""
        callbacks, self._callbacks = self._callbacks, []
        self._depth, self._owner = 0, None
        return callbacks

    @contextmanager
    def exclusive(self, *names: str) -> Iterator[None]:
        """Run the block in a transaction holding the locks ``names`` (SEC_04).

        Operations meant to happen once (a rule run, a digest delivery, a bundle
        deploy) run their reads and writes inside it, so processes that run them at
        the same moment take turns and the result equals one run.  Opened outside a
        transaction, the locks are taken before the transaction begins, so what it
        reads is what the process before it committed, at any isolation level.
        Inside an open transaction they are held until that transaction ends.
        """
        if not names or not all(isinstance(n, str) and n for n in names):
            raise ValidationError("lock names are non-empty text", value=names)
        ordered = sorted(set(names))  # one order for every process: no deadlock
        if self.in_transaction:
            with self.transaction():
                self._count("lock")
                self._lock_in_transaction(ordered)
                yield
            return
        self._count("lock")
        release = self._lock_outside(ordered)
        try:
            with self.transaction():
                yield
        finally:
            release()

    def _safe_rollback(self, cause: BaseException) -> None:
        """Roll back after ``cause``; when that fails too (a connection the server
        dropped), reset the connection and raise a StorageError naming both."""
        try:
            self._rollback()
        except BaseException as exc:  # the connection is in an unknown state
            self._reset_connection()
            raise StorageError(
                f"the transaction failed ({_describe(cause)}) and the rollback failed too "
                f"({_describe(exc)}); the connection was reset"
            ) from cause

    def get(self, kind: str, id: str) -> Any:
        """The record of ``kind`` with ``id``; :class:`NotFound` if there is none."""
        schema = self.schema(kind)
        self._count("get")
        with self._lock:
            # one id that is text without NUL (see _lookups), checked without building a list of candidates
            found = self._get_many(schema, [id]) if type(id) is str and "\x00" not in id else []
        if not found:
            raise NotFound(kind, id)
        return found[0]

    def get_many(self, kind: str, ids: Sequence[str]) -> list[Any]:
        """The records with these ids, in the order asked, missing ones skipped."""
        schema = self.schema(kind)
        if not ids:
            return []
        self._count("get_many")
        with self._lock:
            found = {r.id: r for r in self._get_many(schema, _lookups(ids))}
        return [found[i] for i in ids if i in found]

    def insert(self, record: Any) -> Any:
        """Store one new record (one call)."""
        self.insert_many([record])
        return record

    def insert_many(self, records: Sequence[Any]) -> None:
        """Insert new records (of one or several kinds) in one bulk write each."""
        if not records:
            return
        groups: dict[str, list[Any]] = {}
        for r in records:
            if not isinstance(r.id, str) or not r.id or "\x00" in r.id:
                raise ValidationError("a record id is non-empty text without NUL characters", value=r.id)
            groups.setdefault(self.schema_for(r).kind, []).append(r)
        with self.transaction():
            for kind, rows in groups.items():
                self._write("insert_many")
                self._insert_many(self.schemas[kind], rows)

    def update(self, record: Any, expected_version: int) -> Any:
        """Replace a record whose stored version is ``expected_version`` (STORE_04)."""
        self.update_many([(record, expected_version)])
        return record

    def update_many(self, items: Sequence[tuple[Any, int]], *, fields: Sequence[str] | None = None) -> None:
        """Replace several records, each only if its stored version is the one
        expected; any stale one raises :class:`ConflictError` and writes nothing.
        With ``fields`` (names of the kinds' columns), only those fields of each
        record are written, with its ``version`` and ``updated_at``; the others
        keep their stored values (the SQL backends then touch only the indexes of those)."""
        if not items:
            return
        if fields is not None:
            fields = _written_fields(fields)
        groups: dict[str, list[tuple[Any, int]]] = {}
        seen: set[tuple[type[Any], str]] = set()
        for record, expected in items:
            if (type(record), record.id) in seen:
                raise ValidationError("one update_many call may change a record only once", value=record.id)
            seen.add((type(record), record.id))
            if record.version != expected + 1:
                raise ValidationError(
                    "an update must carry version expected_version + 1", value=(record.id, record.version, expected)
                )
            groups.setdefault(self.schema_for(record).kind, []).append((record, expected))
        with self.transaction():
            for kind, rows in groups.items():
                self._write("update_many")
                schema = self.schemas[kind]
                if fields is not None and not set(fields) <= set(schema.names):
                    unknown = sorted(set(fields) - set(schema.names))[0]
                    raise ValidationError(f"{kind} has no field to update named {unknown!r}", value=unknown)
                if fields is not None and not self.partial_updates:
                    rows = self._merged(schema, rows, fields)
                    stale = self._update_many(schema, rows)
                elif fields is not None:
                    stale = self._update_many(schema, rows, fields)
                else:
                    stale = self._update_many(schema, rows)
                if stale:
                    missing = set(stale) - {r.id for r in self._get_many(self.schemas[kind], stale)}
                    if missing:
                        raise NotFound(kind, sorted(missing)[0])
                    record, expected = next((r, v) for r, v in rows if r.id == stale[0])
                    raise ConflictError(
                        f"{kind} {named(record)} has changed since version {expected} was read; "
                        "reload it (or pass its id) and retry",
                        rule="STORE_04",
                        value=stale[0],
                    )

    def delete(self, kind: str, id: str) -> None:
        """Delete one record; :class:`NotFound` if it does not exist."""
        if not self.delete_many(kind, [id]):
            raise NotFound(kind, id)

    def delete_many(self, kind: str, ids: Sequence[str]) -> int:
        """Delete the records with these ids; returns how many existed."""
        schema = self.schema(kind)
        if not ids:
            return 0
        with self.transaction():
            self._write("delete_many")
            return self._delete_many(schema, _lookups(ids))

    def query(self, query: BoundQuery) -> Iterator[Any]:
        """Stream the records matching a bound query, in its order."""
        schema = self.schema(query.kind)
        self._count("query")
        return self._query(schema, query)

    def query_many(self, queries: Sequence[BoundQuery]) -> list[list[Any]]:
        """The records of several queries, each read whole: one storage call, and one
        round trip where the backend can send them together (PostgreSQL pipelines
        them).  Meant for the small lookups read together, such as a kit's
        configuration when it opens; stream large results with :meth:`query`."""
        pairs = [(self.schema(q.kind), q) for q in queries]
        self._count("query_many")
        with self._lock:
            return self._query_many(pairs)

    def count(self, query: BoundQuery) -> int:
        """How many records match (limit and offset ignored)."""
        schema = self.schema(query.kind)
        self._count("count")
        with self._lock:
            return self._count_matching(schema, query)

    def group_counts(self, query: BoundQuery, group: BoundGroup) -> list[tuple[Any, int]]:
        """(group key, count) pairs for the matching records, keys ascending, empty key last."""
        schema = self.schema(query.kind)
        self._count("group_counts")
        with self._lock:
            if group.via is not None:  # a related grouping: the aggregate's join, counted
                rows = self._aggregate(schema, query, (group,), (BoundMeasure("count", "count"),))
                return [(keys[0], values[0]) for keys, values in rows]
            return self._group_counts(schema, query, group)

    def aggregate(
        self, query: BoundQuery, groups: Sequence[BoundGroup], measures: Sequence[BoundMeasure]
    ) -> list[tuple[tuple[Any, ...], tuple[Any, ...]]]:
        """(group keys, measure values) rows of the matching records, by at most two
        groupings, keys ascending with empty keys last (REPORT_01); without a grouping,
        one row.  The semantics are :func:`successkit.query.aggregate.aggregate_records`."""
        schema = self.schema(query.kind)
        if len(groups) > MAX_GROUPS:
            raise QueryError(f"aggregate by at most {MAX_GROUPS} groupings", value=len(groups))
        self._count("aggregate")
        with self._lock:
            return self._aggregate(schema, query, tuple(groups), tuple(measures))

    def index_custom_fields(self, fields: Mapping[str, Mapping[str, FieldType]]) -> None:
        """Make the custom-field indexes of each kind named in ``fields`` exactly
        those of the custom fields listed for it (name -> storage type): missing
        ones are created, ones of fields no longer listed dropped; kinds not named
        are left alone.  Nothing is written when nothing changes.  Inside a
        transaction the change commits or rolls back with it."""
        checked = _index_fields(self, fields)
        self._count("index_custom_fields")
        self._index_custom_fields(checked)

    def custom_index_changes(self, fields: Mapping[str, Mapping[str, FieldType]]) -> list[str]:
        """The statements :meth:`index_custom_fields` would run for ``fields``
        (none: the indexes are as listed); nothing is run."""
        checked = _index_fields(self, fields)
        self._count("custom_index_changes")
        return self._custom_index_changes(checked)

    def close(self) -> None:  # noqa: B027 - optional for backends holding nothing
        """Release the backend's resources."""

    def migrate(self, *, dry_run: bool = False, now: datetime | None = None) -> MigrationPlan:
        """Bring the schema to this library's version in one transaction, recording
        the steps with ``now`` (OPS_01); with ``dry_run``, only say what that takes.
        The default: nothing to do (a backend without a stored schema, memory)."""
        return MigrationPlan(self.scheme, SCHEMA_VERSION, SCHEMA_VERSION)

    def migration_history(self) -> list[AppliedStep]:
        """The steps applied to this store, oldest first (none for a backend without a schema)."""
        return []

    # --------------------------------------------------------------- bookkeeping
    def _count(self, op: str) -> None:
        self.stats.calls[op] += 1

    def _write(self, op: str) -> None:
        self._count(op)
        if self.fault is not None:
            self.fault(op)

    # ------------------------------------------------------- what backends write
    @abc.abstractmethod
    def _begin(self) -> None:
        """Open a write transaction (SQL backends: take the write lock now)."""

    @abc.abstractmethod
    def _commit(self) -> None:
        """Make the open transaction durable; translate driver errors."""

    @abc.abstractmethod
    def _rollback(self) -> None:
        """Undo the open transaction."""

    @abc.abstractmethod
    def _savepoint(self, name: str) -> None:
        """Mark a point inside the open transaction."""

    @abc.abstractmethod
    def _release(self, name: str) -> None:
        """Forget a savepoint, keeping its changes."""

    @abc.abstractmethod
    def _rollback_to(self, name: str) -> None:
        """Undo everything since a savepoint, and forget it."""

    def _lock_in_transaction(self, names: list[str]) -> None:  # noqa: B027 - writers are already serialised
        """Wait for the locks ``names`` inside the open transaction, held until it
        ends.  The default does nothing: memory and SQLite write transactions
        already exclude every other writer."""

    def _lock_outside(self, names: list[str]) -> Callable[[], None]:
        """Wait for the locks ``names`` before a transaction begins; returns the
        function that releases them.  The default relies on the write lock the
        transaction takes, as :meth:`_lock_in_transaction` does."""
        return lambda: None

    def _index_custom_fields(self, fields: dict[str, dict[str, FieldType]]) -> None:  # noqa: B027
        """Bring the custom-field indexes of the kinds in ``fields`` to those fields
        (see :meth:`index_custom_fields`).  The default does nothing: a backend
        without indexes (the memory one) needs none to answer the same."""

    def _custom_index_changes(self, fields: dict[str, dict[str, FieldType]]) -> list[str]:
        """What :meth:`_index_custom_fields` would run; the default: nothing."""
        return []

    def _reset_connection(self) -> None:  # noqa: B027 - optional for connectionless backends
        """Called when a rollback failed: leave no connection inside a transaction."""

    @abc.abstractmethod
    def _get_many(self, schema: KindSchema, ids: list[str]) -> list[Any]:
        """The existing records among ``ids`` (distinct), in any order."""

    @abc.abstractmethod
    def _insert_many(self, schema: KindSchema, records: list[Any]) -> None:
        """Insert new records; an existing id raises :class:`ConflictError`."""

    def _merged(self, schema: KindSchema, items: list[tuple[Any, int]], fields: tuple[str, ...]) -> list[Any]:
        """For a backend without partial updates: each stored record with only ``fields`` taken from the new one."""
        stored = {r.id: r for r in self._get_many(schema, [r.id for r, _ in items])}
        return [
            (trusted_evolve(stored[r.id], **{f: getattr(r, f) for f in fields}) if r.id in stored else r, v)
            for r, v in items
        ]

    @abc.abstractmethod
    def _update_many(
        self, schema: KindSchema, items: list[tuple[Any, int]], fields: tuple[str, ...] | None = None
    ) -> list[str]:
        """Replace records whose stored version matches; return the ids that did
        not.  ``fields`` is given only to a backend whose ``partial_updates`` is
        true: write only those columns (they include ``version`` and ``updated_at``)."""

    @abc.abstractmethod
    def _delete_many(self, schema: KindSchema, ids: list[str]) -> int:
        """Delete by id; return how many existed."""

    @abc.abstractmethod
    def _query(self, schema: KindSchema, query: BoundQuery) -> Iterator[Any]:
        """Stream matching records in the query's order (ties by id)."""

    def _aggregate(
        self, schema: KindSchema, query: BoundQuery, groups: tuple[BoundGroup, ...], measures: tuple[BoundMeasure, ...]
    ) -> list[tuple[tuple[Any, ...], tuple[Any, ...]]]:
        """The reference over the matching records; SQL backends compute it in the database.
        A related grouping reads the records the matching ones reference, by id."""
        records = self._query(schema, BoundQuery(query.kind, query.where))
        if not any(g.via is not None for g in groups):
            return aggregate_records(records, groups, measures)
        found = list(records)
        related: dict[int, dict[Any, Any]] = {}
        for i, g in enumerate(groups):
            if g.via is not None and g.via_kind is not None:
                related[i] = related_keys(found, g, partial(self._get_many, self.schema(g.via_kind)))
        return aggregate_records(found, groups, measures, related)

    def _query_many(self, pairs: list[tuple[KindSchema, BoundQuery]]) -> list[list[Any]]:
        """Read several queries whole (a backend that can batch them overrides this)."""
        return [list(self._query(schema, query)) for schema, query in pairs]

    @abc.abstractmethod
    def _count_matching(self, schema: KindSchema, query: BoundQuery) -> int:
        """Count matching records, ignoring limit and offset."""

    @abc.abstractmethod
    def _group_counts(self, schema: KindSchema, query: BoundQuery, group: BoundGroup) -> list[tuple[Any, int]]:
        """Count matching records per group key (see :class:`BoundGroup`)."""

    # ------------------------------------------------ computed goal progress (GOAL_06)
    def query_progress(self, query: BoundQuery, spec: ProgressSpec) -> list[tuple[Any, Tally]]:
        """The goals matching ``query``, in its order and paged, each with its
        (linked, closed, achieved) tally, in one call however many goals; the
        query's conditions and sort may read the computed ``progress`` column
        (:mod:`successkit.storage.progress`)."""
        schema = self.schema(query.kind)
        check_kind(query)
        self._count("query_progress")
        with self._lock:
            return self._query_progress(schema, query, spec)

    def count_progress(self, query: BoundQuery, spec: ProgressSpec) -> int:
        """How many goals match a query whose conditions may read ``progress`` (one call)."""
        schema = self.schema(query.kind)
        check_kind(query)
        self._count("count_progress")
        with self._lock:
            return self._count_progress(schema, query, spec)

    def group_counts_progress(self, query: BoundQuery, group: BoundGroup, spec: ProgressSpec) -> list[tuple[Any, int]]:
        """:meth:`group_counts` for goals, with ``progress`` readable by the query and
        the grouping (one call)."""
        schema = self.schema(query.kind)
        check_kind(query)
        if group.via is not None:
            raise QueryError("goal lists group by the goals' own fields", value=group.via.name)
        self._count("group_counts_progress")
        with self._lock:
            return self._group_counts_progress(schema, query, group, spec)

    def _progress_reference(self, spec: ProgressSpec) -> Reference:
        """The reference semantics over this store's own reads (see :class:`Reference`)."""

        def read(kind: str, where: Node | None) -> Iterator[Any]:
            return self._query(self.schemas[kind], BoundQuery(kind, where))

        return Reference(read, lambda kind, ids: self._get_many(self.schemas[kind], ids), spec)

    def _query_progress(self, schema: KindSchema, query: BoundQuery, spec: ProgressSpec) -> list[tuple[Any, Tally]]:
        """Goals with their tallies; the default computes them from the store's own
        reads (a few calls, every goal the filter's progress-free part lets through)."""
        return self._progress_reference(spec).query(query)

    def _count_progress(self, schema: KindSchema, query: BoundQuery, spec: ProgressSpec) -> int:
        return self._progress_reference(spec).count(query)

    def _group_counts_progress(
        self, schema: KindSchema, query: BoundQuery, group: BoundGroup, spec: ProgressSpec
    ) -> list[tuple[Any, int]]:
        return self._progress_reference(spec).group_counts(query, group)


def _run_all(callbacks: list[Callable[[], None]]) -> None:
    """Run every after-commit callback, even when one fails; then raise the first failure."""
    failure: BaseException | None = None
    for callback in callbacks:
        try:
            callback()
        except BaseException as exc:  # the others still run: the commit stands
            failure = failure or exc
    if failure is not None:
        raise failure


def _describe(error: BaseException) -> str:
    """An error in a few words for a message: its own text, else its class."""
    if isinstance(error, SuccessKitError):
        return str(error)
    text = str(error).strip()
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def _index_fields(store: Store, fields: Any) -> dict[str, dict[str, FieldType]]:
    """Custom-field index lists, checked: kind -> {field name: storage type} (SEC_05)."""
    if not isinstance(fields, Mapping):
        raise ValidationError("custom-field indexes map kinds to {field: type}", rule="SEC_05", value=fields)
    checked: dict[str, dict[str, FieldType]] = {}
    for kind, names in fields.items():
        store.schema(kind)
        if not isinstance(names, Mapping) or not all(
            isinstance(n, str) and isinstance(t, FieldType) for n, t in names.items()
        ):
            raise ValidationError(
                "custom-field indexes of a kind are given as {field name: type}", rule="SEC_05", value=names
            )
        checked[kind] = dict(names)
    return checked


def _lookups(ids: Sequence[str]) -> list[str]:
    """Distinct ids worth looking up: an id that is not text, or holds NUL, names nothing."""
    return [i for i in dict.fromkeys(ids) if isinstance(i, str) and "\x00" not in i]


def _written_fields(fields: Any) -> tuple[str, ...]:
    """The fields an update writes: ``version`` and ``updated_at`` always, never ``id``."""
    if isinstance(fields, (str, bytes)) or not isinstance(fields, Sequence):
        raise ValidationError("update_many fields is a list of field names", value=fields)
    names = list(fields)
    if not all(isinstance(n, str) for n in names) or "id" in names:
        raise ValidationError("update_many fields are field names other than 'id'", value=fields)
    return tuple(dict.fromkeys([*names, "version", "updated_at"]))
