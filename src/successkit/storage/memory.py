"""The in-memory backend: dictionaries, an undo log, and the reference evaluator.

Equality lookups are indexed like a SQL backend's: unique keys are checked in
a dict per key, and a query whose condition requires ``field = x`` or ``field
in [...]`` on a built-in field reads only the records with those values (a
dict per field, built on its first such query and kept with every write), so
a lookup by name costs the same in a store of ten records or a million (SEC_07).

Used by default (``memory://``) and in tests; it is the executable
specification the SQL backends are compared against.  Records go in and come
out as copies (:attr:`KindSchema.copy`): like a SQL backend's freshly decoded
rows, what a caller holds never shares a ``fields`` dict with the store (SEC_06).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from successkit.errors import ConflictError, article
from successkit.query import evaluate
from successkit.query.bind import And, BoundGroup, BoundQuery, FieldRef, Node, Pred
from successkit.query.schema import KindSchema, make_copier

from .base import Store

__all__ = ["MemoryStore"]

#: The copier records of each class go in with, compiled once per class: compiling
#: the copiers of every kind took longer than all the rest of opening a store.
_COPY_IN: dict[type[Any], Callable[[Any], Any]] = {}


def _copier_in(schema: KindSchema) -> Callable[[Any], Any]:
    copy = _COPY_IN.get(schema.cls)
    if copy is None:
        copy = _COPY_IN[schema.cls] = make_copier(schema.cls, schema.columns, utc=True)
    return copy


# (kind, id, record before the change or None if it did not exist)
_Undo = tuple[str, str, Any]


class MemoryStore(Store):
    """Records in dictionaries; transactions by undo log."""

    scheme = "memory"

    def __init__(self, classes: Iterable[type[Any]]) -> None:
        super().__init__(classes)
        self._tables: dict[str, dict[str, Any]] = {kind: {} for kind in self.schemas}
        self._undo: list[_Undo] = []
        self._marks: dict[str, int] = {}
        #: How records go in: copied, timestamps in UTC like the SQL backends'.
        self._copy_in = {kind: _copier_in(s) for kind, s in self.schemas.items()}
        #: kind -> unique columns -> key -> id (keys with a None are not unique).
        self._unique: dict[str, dict[tuple[str, ...], dict[tuple[Any, ...], str]]] = {
            kind: {cols: {} for cols in s.unique} for kind, s in self.schemas.items()
        }
        #: kind -> field name -> (field, storage key -> ids), for equality lookups.
        self._eq: dict[str, dict[str, tuple[FieldRef, dict[Any, set[str]]]]] = {kind: {} for kind in self.schemas}

    # indexes
    def _put(self, kind: str, record: Any) -> None:
        """Store ``record`` (replacing its stored version) and index it."""
        self._drop(kind, record.id)
        self._tables[kind][record.id] = record
        for cols, index in self._unique[kind].items():
            key = tuple(getattr(record, c) for c in cols)
            if None not in key:
                index[key] = record.id
        for field, ids in self._eq[kind].values():
            ids.setdefault(_eq_key(record, field), set()).add(record.id)

    def _drop(self, kind: str, id: str) -> Any:
        """Remove the record ``id`` from its table and the indexes; the record or None."""
        record = self._tables[kind].pop(id, None)
        if record is None:
            return None
        for cols, index in self._unique[kind].items():
            key = tuple(getattr(record, c) for c in cols)
            if index.get(key) == id:
                del index[key]
        for field, by_value in self._eq[kind].values():
            value = _eq_key(record, field)
            ids = by_value.get(value)
            if ids is not None:
                ids.discard(id)
                if not ids:
                    del by_value[value]
        return record

    def _eq_index(self, kind: str, field: FieldRef) -> dict[Any, set[str]]:
        """The equality index of a built-in field, built on first use."""
        found = self._eq[kind].get(field.name)
        if found is None:
            by_value: dict[Any, set[str]] = {}
            for r in self._tables[kind].values():
                by_value.setdefault(_eq_key(r, field), set()).add(r.id)
            found = self._eq[kind][field.name] = (field, by_value)
        return found[1]

    def _candidates(self, kind: str, where: Node | None) -> list[Any] | None:
        """The records an equality condition the query requires allows, or None to scan."""
        preds = [where] if isinstance(where, Pred) else list(where.items) if isinstance(where, And) else []
        for p in preds:
            if (
                isinstance(p, Pred)
                and p.op in ("eq", "in")
                and not p.field.custom
                and not p.datepart
                and p.field.type.sortable
            ):
                by_value = self._eq_index(kind, p.field)
                values = [p.value] if p.op == "eq" else list(p.value)
                table = self._tables[kind]
                ids = {i for v in values for i in by_value.get(evaluate.storage_key(v), ())}
                return [table[i] for i in ids]
        return None

    # transactions
    def _begin(self) -> None:
        self._undo = []

    def _commit(self) -> None:
        self._undo = []
        self._marks.clear()

    def _rollback(self) -> None:
        self._undo_to(0)
        self._marks.clear()

    def _savepoint(self, name: str) -> None:
        self._marks[name] = len(self._undo)

    def _release(self, name: str) -> None:
        self._marks.pop(name, None)

    def _rollback_to(self, name: str) -> None:
        self._undo_to(self._marks.pop(name))

    def _undo_to(self, mark: int) -> None:
        while len(self._undo) > mark:
            kind, id, before = self._undo.pop()
            if before is None:
                self._drop(kind, id)
            else:
                self._put(kind, before)

    # records
    def _get_many(self, schema: KindSchema, ids: list[str]) -> list[Any]:
        table, copy = self._tables[schema.kind], schema.copy
        return [copy(table[i]) for i in ids if i in table]

    def _insert_many(self, schema: KindSchema, records: list[Any]) -> None:
        table = self._tables[schema.kind]
        seen: set[str] = set()
        for r in records:
            if r.id in table or r.id in seen:
                raise ConflictError(f"{article(schema.kind)} with this id already exists", value=r.id)
            seen.add(r.id)
        self._check_unique(schema, records, replacing=set())
        copy = self._copy_in[schema.kind]
        for r in records:
            self._put(schema.kind, copy(r))  # the caller's record stays the caller's (SEC_06)
            self._undo.append((schema.kind, r.id, None))

    def _update_many(
        self, schema: KindSchema, items: list[tuple[Any, int]], fields: tuple[str, ...] | None = None
    ) -> list[str]:
        table = self._tables[schema.kind]
        stale = [r.id for r, v in items if r.id not in table or table[r.id].version != v]
        if stale:
            return stale
        self._check_unique(schema, [r for r, _ in items], replacing={r.id for r, _ in items})
        copy = self._copy_in[schema.kind]
        for r, _ in items:
            self._undo.append((schema.kind, r.id, table[r.id]))
            self._put(schema.kind, copy(r))
        return []

    def _check_unique(self, schema: KindSchema, records: list[Any], *, replacing: set[str]) -> None:
        """Refuse records whose unique columns clash with each other or with stored ones."""
        for columns in schema.unique:
            stored, taken = self._unique[schema.kind][columns], set()  # one dict lookup per record (SEC_07)
            for r in records:
                key = tuple(getattr(r, c) for c in columns)
                if None in key:
                    continue
                owner = stored.get(key)
                if key in taken or (owner is not None and owner not in replacing):
                    raise ConflictError(
                        f"{article(schema.kind)} with this {', '.join(columns)} already exists", value=key
                    )
                taken.add(key)

    def _delete_many(self, schema: KindSchema, ids: list[str]) -> int:
        n = 0
        for i in ids:
            before = self._drop(schema.kind, i)
            if before is not None:
                self._undo.append((schema.kind, i, before))
                n += 1
        return n

    # queries
    def _matching(self, schema: KindSchema, query: BoundQuery) -> list[Any]:
        with self._lock:
            rows = self._candidates(schema.kind, query.where)
            if rows is None:
                rows = list(self._tables[schema.kind].values())
            return [r for r in rows if evaluate.matches(query.where, r)]

    def _query(self, schema: KindSchema, query: BoundQuery) -> Iterator[Any]:
        with self._lock:
            rows = evaluate.page(evaluate.sort_records(self._matching(schema, query), query), query)
            return iter([schema.copy(r) for r in rows])

    def _count_matching(self, schema: KindSchema, query: BoundQuery) -> int:
        return len(self._matching(schema, query))

    def _group_counts(self, schema: KindSchema, query: BoundQuery, group: BoundGroup) -> list[tuple[Any, int]]:
        return evaluate.group_counts(self._matching(schema, query), group)


def _eq_key(record: Any, field: FieldRef) -> Any:
    return evaluate.storage_key(evaluate.value_of(record, field))
