"""Aggregates over a record set (REPORT_01): count, distinct count, sum, mean,
min and max, by none, one or two groupings.

What callers write is a mapping of output names to functions::

    {"companies": "count", "arr": "sum", "mean_arr": ("mean", "arr")}

``"count"`` counts records; any other function names the field it reads, either
as the output name itself (``"arr": "sum"``) or as the second item of a pair.
:func:`bind_measures` checks that against a record kind; :func:`aggregate_records`
is the reference semantics the SQL backends reproduce, value for value:

- the groups are those of :meth:`Store.group_counts` (a value, or a calendar or
  fiscal quarter of a date), keys ascending with the empty key last;
- ``sum``, ``mean``, ``min`` and ``max`` read only the values that are numbers
  (for ``min``/``max`` also dates) and skip missing ones; over no value they
  give None.  A custom field's ``true``/``false`` count as 1/0, as its filters do;
- ``count_distinct`` counts distinct present values (``3`` and ``3.0`` are one);
- without a grouping there is exactly one row, even when nothing matches.

Sums of floating-point numbers may differ in their last digits between backends:
a database adds them in an order of its own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import attrs

from successkit.errors import QueryError

from .bind import FieldRef, resolve_field
from .evaluate import group_decoder, group_key, storage_key, value_of
from .schema import LOADERS, FieldType, KindSchema

__all__ = [
    "FUNCTIONS",
    "BoundMeasure",
    "aggregate_records",
    "bind_measures",
    "related_keys",
    "sorted_rows",
    "whole_number",
]

#: The functions, and the storage types each reads.
_NUMBERS = frozenset({FieldType.INTEGER, FieldType.FLOAT})
_ORDERED = _NUMBERS | {FieldType.DATE, FieldType.DATETIME}
FUNCTIONS: dict[str, frozenset[FieldType] | None] = {
    "count": None,
    "count_distinct": frozenset(t for t in FieldType if t.sortable),
    "sum": _NUMBERS,
    "mean": _NUMBERS,
    "min": _ORDERED,
    "max": _ORDERED,
}
#: At most this many measures in one aggregate.
MAX_MEASURES = 32


@attrs.frozen
class BoundMeasure:
    """One checked measure: its output ``name``, ``func`` and the ``field`` it reads
    (None for ``count``)."""

    name: str
    func: str
    field: FieldRef | None = None


def bind_measures(measures: Any, schema: KindSchema, custom: Mapping[str, FieldType]) -> tuple[BoundMeasure, ...]:
    """Check a measures mapping against a record kind (REPORT_01)."""
    if measures is None:
        return (BoundMeasure("count", "count"),)
    if not isinstance(measures, Mapping) or not measures:
        raise QueryError('measures map output names to functions, e.g. {"arr": "sum", "n": "count"}', value=measures)
    if len(measures) > MAX_MEASURES:
        raise QueryError(f"at most {MAX_MEASURES} measures", value=len(measures))
    out = []
    for name, spec in measures.items():
        if not isinstance(name, str) or not name:
            raise QueryError("a measure's output name is text", value=name)
        if isinstance(spec, str):
            func, field_name = spec, name
        elif isinstance(spec, (tuple, list)) and len(spec) == 2 and all(isinstance(s, str) for s in spec):
            func, field_name = spec
        else:
            raise QueryError(f"measure {name!r} is a function name or a (function, field) pair", value=spec)
        if func not in FUNCTIONS:
            raise QueryError(f"unknown aggregate function; known: {', '.join(FUNCTIONS)}", value=func)
        types = FUNCTIONS[func]
        if types is None:
            out.append(BoundMeasure(name, func))
            continue
        field = resolve_field(field_name, schema, custom)
        if field.type not in types:
            raise QueryError(f"{func} cannot read {field.name!r} ({field.type.value})", value=field_name)
        out.append(BoundMeasure(name, func, field))
    return tuple(out)


def aggregate_records(
    records: Iterable[Any],
    groups: Sequence[Any],
    measures: Sequence[BoundMeasure],
    related: Mapping[int, Mapping[Any, Any]] | None = None,
) -> list[tuple[tuple[Any, ...], tuple[Any, ...]]]:
    """The reference: (group keys, measure values) rows, keys in storage form until
    :func:`sorted_rows` orders and decodes them.  ``related`` maps the index of each
    related grouping to the group key of every record its reference names, by id
    (:func:`related_keys`); a reference naming none is in the empty group."""
    cells: dict[tuple[Any, ...], list[_Cell]] = {}
    lookups = [None if g.via is None else (related or {}).get(i, {}) for i, g in enumerate(groups)]
    for record in records:
        key = tuple(
            group_key(record, g) if look is None else look.get(value_of(record, g.via))
            for g, look in zip(groups, lookups, strict=True)
        )
        row = cells.get(key)
        if row is None:
            row = cells[key] = [_Cell() for _ in measures]
        for cell, m in zip(row, measures, strict=True):
            cell.add(m, None if m.field is None else value_of(record, m.field))
    if not groups and not cells:
        cells[()] = [_Cell() for _ in measures]
    rows = [(k, tuple(c.result(m) for c, m in zip(row, measures, strict=True))) for k, row in cells.items()]
    return sorted_rows(rows, groups, measures)


def related_keys(records: Sequence[Any], group: Any, targets: Callable[[list[str]], Iterable[Any]]) -> dict[Any, Any]:
    """For a related grouping: the group key (storage form) of each record the grouped
    ``records`` reference, by id; ``targets`` reads records of ``group.via_kind`` by id."""
    ids = sorted({v for r in records if isinstance(v := value_of(r, group.via), str)})
    plain = attrs.evolve(group, via=None, via_kind=None)
    return {t.id: group_key(t, plain) for t in targets(ids)} if ids else {}


def sorted_rows(
    rows: Iterable[tuple[tuple[Any, ...], tuple[Any, ...]]], groups: Sequence[Any], measures: Sequence[BoundMeasure]
) -> list[tuple[tuple[Any, ...], tuple[Any, ...]]]:
    """Rows with storage-form keys, ordered (each key ascending, empty last) and decoded
    for users; date minima and maxima decoded too."""
    decoders = [group_decoder(g) for g in groups]
    loads = [_result_decoder(m) for m in measures]
    ordered = sorted(rows, key=lambda r: tuple((k is None, (0, 0) if k is None else storage_key(k)) for k in r[0]))
    return [
        (
            tuple(d(k) for d, k in zip(decoders, keys, strict=True)),
            tuple(load(v) for load, v in zip(loads, values, strict=True)),
        )
        for keys, values in ordered
    ]


def _result_decoder(m: BoundMeasure) -> Any:
    """What turns a measure's value as a backend computed it into what users see: counts
    and integer sums as ints (PostgreSQL gives decimals), means and float sums as floats,
    a custom number's whole sum as an int, date extremes as dates."""
    if m.field is None or m.func == "count_distinct":
        return lambda v: int(v)
    if m.func == "mean":
        return lambda v: None if v is None else float(v)
    if m.func == "sum":
        if m.field.custom:
            return lambda v: None if v is None else whole_number(float(v) if not isinstance(v, int) else v)
        cast = float if m.field.type is FieldType.FLOAT else int
        return lambda v: None if v is None else cast(v)
    load = None if m.field.custom else LOADERS.get(m.field.type)
    if load is not None:
        return lambda v: None if v is None else load(v)
    if m.field.custom and m.field.type in _NUMBERS:
        return lambda v: None if v is None else whole_number(v)
    return lambda v: v


def whole_number(v: Any) -> Any:
    """A custom number as every reader gives it: a whole float as an int (JSON keeps 3
    and 3.0 apart, PostgreSQL reads both as 3.0; users see 3)."""
    return int(v) if isinstance(v, float) and v.is_integer() else v


class _Cell:
    """One group's running value of one measure."""

    __slots__ = ("high", "low", "n", "seen", "total")

    def __init__(self) -> None:
        self.n = 0
        self.total: Any = 0
        self.low: Any = None
        self.high: Any = None
        self.seen: set[Any] = set()

    def add(self, m: BoundMeasure, v: Any) -> None:
        if m.func == "count":
            self.n += 1
            return
        if v is None:
            return
        if m.func == "count_distinct":
            self.seen.add(storage_key(v))
            return
        assert m.field is not None
        number = type(v) in (int, float)
        if m.func in ("sum", "mean"):
            if number:
                self.n += 1
                self.total += v
            return
        wanted = number if m.field.type in _NUMBERS else isinstance(v, str)
        if wanted:
            self.low = v if self.low is None or v < self.low else self.low
            self.high = v if self.high is None or v > self.high else self.high

    def result(self, m: BoundMeasure) -> Any:
        if m.func == "count":
            return self.n
        if m.func == "count_distinct":
            return len(self.seen)
        if m.func == "sum":
            return self.total if self.n else None
        if m.func == "mean":
            return float(self.total) / self.n if self.n else None
        return self.low if m.func == "min" else self.high
