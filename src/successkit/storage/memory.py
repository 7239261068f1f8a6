"""The in-memory backend: dictionaries, an undo log, and the reference evaluator.

Used by default (``memory://``) and in tests; it is the executable
specification the SQL backends are compared against.  Records go in and come
out as copies (:attr:`KindSchema.copy`): like a SQL backend's freshly decoded
rows, what a caller holds never shares a ``fields`` dict with the store (SEC_06).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from successkit.errors import ConflictError
from successkit.query import evaluate
from successkit.query.bind import BoundGroup, BoundQuery
from successkit.query.schema import KindSchema, make_copier

from .base import Store

__all__ = ["MemoryStore"]

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
        self._copy_in = {kind: make_copier(s.cls, s.columns, utc=True) for kind, s in self.schemas.items()}

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
            table = self._tables[kind]
            if before is None:
                table.pop(id, None)
            else:
                table[id] = before

    # records
    def _get_many(self, schema: KindSchema, ids: list[str]) -> list[Any]:
        table, copy = self._tables[schema.kind], schema.copy
        return [copy(table[i]) for i in ids if i in table]

    def _insert_many(self, schema: KindSchema, records: list[Any]) -> None:
        table = self._tables[schema.kind]
        seen: set[str] = set()
        for r in records:
            if r.id in table or r.id in seen:
                raise ConflictError(f"a {schema.kind} with this id already exists", value=r.id)
            seen.add(r.id)
        self._check_unique(schema, records, replacing=set())
        copy = self._copy_in[schema.kind]
        for r in records:
            table[r.id] = copy(r)  # the caller's record stays the caller's (SEC_06)
            self._undo.append((schema.kind, r.id, None))

    def _update_many(self, schema: KindSchema, items: list[tuple[Any, int]]) -> list[str]:
        table = self._tables[schema.kind]
        stale = [r.id for r, v in items if r.id not in table or table[r.id].version != v]
        if stale:
            return stale
        self._check_unique(schema, [r for r, _ in items], replacing={r.id for r, _ in items})
        copy = self._copy_in[schema.kind]
        for r, _ in items:
            self._undo.append((schema.kind, r.id, table[r.id]))
            table[r.id] = copy(r)
        return []

    def _check_unique(self, schema: KindSchema, records: list[Any], *, replacing: set[str]) -> None:
        """Refuse records whose unique columns clash with each other or with stored ones."""
        for columns in schema.unique:
            taken = {tuple(getattr(r, c) for c in columns) for i, r in self._tables[schema.kind].items()
                     if i not in replacing}
            for r in records:
                key = tuple(getattr(r, c) for c in columns)
                if None not in key and key in taken:
                    raise ConflictError(f"a {schema.kind} with this {', '.join(columns)} already exists", value=key)
                taken.add(key)

    def _delete_many(self, schema: KindSchema, ids: list[str]) -> int:
        table = self._tables[schema.kind]
        n = 0
        for i in ids:
            before = table.pop(i, None)
            if before is not None:
                self._undo.append((schema.kind, i, before))
                n += 1
        return n

    # queries
    def _matching(self, schema: KindSchema, query: BoundQuery) -> list[Any]:
        return [r for r in self._tables[schema.kind].values() if evaluate.matches(query.where, r)]

    def _query(self, schema: KindSchema, query: BoundQuery) -> Iterator[Any]:
        with self._lock:
            rows = evaluate.page(evaluate.sort_records(self._matching(schema, query), query), query)
            return iter([schema.copy(r) for r in rows])

    def _count_matching(self, schema: KindSchema, query: BoundQuery) -> int:
        return len(self._matching(schema, query))

    def _group_counts(self, schema: KindSchema, query: BoundQuery, group: BoundGroup) -> list[tuple[Any, int]]:
        return evaluate.group_counts(self._matching(schema, query), group)
