"""The reference semantics of a bound query, evaluated in Python.

The memory backend uses this directly; the SQL backends compile the same tree
to SQL and are tested to give the same answers (STORE_02).  The rules:

Values are compared in their storage form: dates and timestamps as ISO text
(timestamps in UTC), booleans as 0/1.  ``=``, ``<`` and the rest compare text
exactly, by code point; ``contains`` and ``starts with`` compare ``str.lower()``
of both sides, so they ignore case the same way on every backend.

Null rules: a condition on a missing value is false, except ``!=`` and
``not in`` (a missing value is not equal to anything) and ``is empty``
(missing, ``""`` or an empty list).  ``NOT`` is plain negation: ``NOT 1``
matches exactly the records ``1`` does not.

Sorting puts missing values last in both directions and breaks ties by id.
Grouping gives keys ascending with the empty key last.

Custom values stored before their field was declared can be of another
type.  Mixed types order as SQLite orders them: numbers (booleans count as
0/1) before text.  A value of the wrong *shape* -- a list or mapping where one
value is declared, a single value where a multi-select list is -- reads as
missing, and so does, for quarters, a value that is not a date.  Integers
beyond 64 bits compare as floats, as SQLite reads them.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterable
from typing import Any

from .bind import And, BoundGroup, BoundQuery, FieldRef, Node, Not, Or, Pred, quarter_of, to_storage
from .schema import LOADERS, FieldType

__all__ = [
    "group_counts",
    "group_decoder",
    "group_key",
    "matches",
    "page",
    "sort_records",
    "sorted_groups",
    "storage_key",
    "value_of",
]


def value_of(record: Any, field: FieldRef) -> Any:
    """A record's value for ``field`` in storage form (None when missing)."""
    raw = record.fields.get(field.name) if field.custom else getattr(record, field.name)
    return to_storage(field, raw)


def _key(v: Any) -> tuple[int, Any]:
    """Order values like SQLite: numbers (and booleans) before text."""
    return (1, v) if isinstance(v, (int, float)) else (2, v)


def storage_key(v: Any) -> Any:
    """A hashable key equal for exactly the values ``=`` finds equal (for indexes)."""
    return _key(v)


def _text(v: Any) -> str | None:
    return v if isinstance(v, str) else None


def _pred(p: Pred, record: Any) -> bool:
    v = value_of(record, p.field)
    op = p.op
    if op == "empty":
        return v is None or v == "" or v == ()
    if op == "not_empty":
        return not (v is None or v == "" or v == ())
    if p.field.type is FieldType.LIST:
        items = v if isinstance(v, tuple) else ()
        if op == "has":
            return p.value in items
        if op == "has_any":
            return any(x in items for x in p.value)
        if op == "has_none":
            return not any(x in items for x in p.value)
    if v is None:
        return op in ("ne", "not_in")
    if p.datepart:
        v = v[:10] if isinstance(v, str) else v
    if op == "contains":
        t = _text(v)
        return t is not None and p.value in t.lower()
    if op == "starts_with":
        t = _text(v)
        return t is not None and t.lower().startswith(p.value)
    if op == "in":
        return any(_key(v) == _key(x) for x in p.value)
    if op == "not_in":
        return not any(_key(v) == _key(x) for x in p.value)
    k = _key(v)
    if op == "between":
        return _key(p.value[0]) <= k <= _key(p.value[1])
    other = _key(p.value)
    if op == "eq":
        return k == other
    if op == "ne":
        return k != other
    if op == "lt":
        return k < other
    if op == "le":
        return k <= other
    if op == "gt":
        return k > other
    if op == "ge":
        return k >= other
    raise AssertionError(f"unknown operator {op}")  # bind() only produces the ones above


def matches(node: Node | None, record: Any) -> bool:
    """Whether a record satisfies a bound condition tree."""
    if node is None:
        return True
    if isinstance(node, Pred):
        return _pred(node, record)
    if isinstance(node, And):
        return all(matches(n, record) for n in node.items)
    if isinstance(node, Or):
        return any(matches(n, record) for n in node.items)
    if isinstance(node, Not):
        return not matches(node.item, record)
    raise AssertionError(f"unknown node {node!r}")


def sort_records(records: list[Any], query: BoundQuery) -> list[Any]:
    """Order records (in place) by the query's sort keys, nulls last, ties by id:
    stable sorts from the last key to the first, each record's values read once."""
    if not query.sort:
        records.sort(key=lambda r: r.id)
        return records
    fields = [f for f, _ in query.sort]
    rows = [(tuple([value_of(r, f) for f in fields]), r) for r in records]
    rows.sort(key=lambda row: row[1].id)
    for i in range(len(fields) - 1, -1, -1):
        rows.sort(key=lambda row, i=i: _sort_key(row[0][i]), reverse=query.sort[i][1])  # type: ignore[misc]
        rows.sort(key=lambda row, i=i: row[0][i] is None)  # type: ignore[misc]
    records[:] = [r for _, r in rows]
    return records


def _sort_key(v: Any) -> tuple[int, Any]:
    return (0, 0) if v is None else _key(v)


def page(records: list[Any], query: BoundQuery) -> list[Any]:
    end = None if query.limit is None else query.offset + query.limit
    return records[query.offset : end]


def group_key(record: Any, group: BoundGroup) -> Any:
    """The group a record falls in: its value, or its quarter's label."""
    v = value_of(record, group.field)
    if v is None or group.mode == "value":
        return v
    if group.mode == "range":  # the index of its range; a value that is no number has none
        return bisect_right(group.bounds, v) if isinstance(v, (int, float)) else None  # true/false: 1/0
    return quarter_of(v, group.mode, group.start_month)


def group_counts(records: Iterable[Any], group: BoundGroup) -> list[tuple[Any, int]]:
    """(key, count) pairs, keys ascending with the empty key last."""
    counts: dict[Any, int] = {}
    for r in records:
        k = group_key(r, group)
        counts[k] = counts.get(k, 0) + 1
    return sorted_groups(counts, group)


def sorted_groups(counts: dict[Any, int], group: BoundGroup) -> list[tuple[Any, int]]:
    """Order storage-form group keys (empty last) and decode them for users."""
    decode = group_decoder(group)
    keys = sorted(counts, key=lambda k: (k is None, (0, 0) if k is None else _key(k)))
    return [(decode(k), counts[k]) for k in keys]


def group_decoder(group: BoundGroup) -> Callable[[Any], Any]:
    """Turn a group key back from storage form into the value users see."""
    if group.mode == "range":
        return lambda v: None if v is None else group.range_of(int(v))
    if group.mode != "value":
        return lambda v: v
    if group.field.custom:
        if group.field.type is FieldType.BOOLEAN:  # True/False, as for built-in flags
            return lambda v: bool(v) if type(v) is int and v in (0, 1) else v
        return lambda v: v  # custom values are JSON values already (dates as ISO text)
    load = LOADERS.get(group.field.type)
    if load is None:
        return lambda v: v
    return lambda v: None if v is None else load(v)
