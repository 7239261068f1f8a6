"""Record sets as pandas DataFrames and HTML tables (DATA_01).

This module is the one place that decides how a column of a list result or a
report looks in pandas.  The column type comes from the declared type of the
field (the attrs class and its resolved type hints; for custom fields, their
declarations), never from a hand-kept list, so an empty list still has its
columns and dtypes:

==============================  =========================================================
field                           pandas dtype
==============================  =========================================================
``date``                        ``datetime64[us]`` (midnight; ``.dt`` works)
``datetime``                    ``datetime64[us, UTC]``
status, priority, type,         ``category``
category, stage, kind, ...
other text                      ``string`` (missing values are ``pd.NA``)
``int``                         ``Int64`` (nullable)
``float``                       ``float64`` (missing values are ``NaN``)
``bool``                        ``boolean`` (nullable)
tuples, lists                   ``object`` holding Python lists
mappings                        ``object`` holding Python dicts
==============================  =========================================================

Microseconds rather than nanoseconds: a ``datetime64[ns]`` column ends in
the year 2262, so a far-future date (``9999-12-31`` is a common "never")
would not fit, while microseconds cover every Python date and are exactly
what Python's ``datetime`` holds.

Custom fields become ``fields.<name>`` columns.  When their declarations
are known (``to_pandas(kit=kit)``, or a list made with ``custom_fields``)
they are typed from them: text, number (``float64``), date, boolean,
dropdown (``category``) and multi-select (lists).  Otherwise each column is
inferred from its values: all booleans, all whole numbers (``Int64``), all
numbers, all ``YYYY-MM-DD`` text (dates), other text, else ``object``.
"""

from __future__ import annotations

import re
import typing
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime, timezone
from typing import Any

import attrs

from successkit.query.schema import FieldType, field_type_of
from successkit.records import CustomField, Record

from . import notebook

__all__ = [
    "BOOKKEEPING",
    "CATEGORY_FIELDS",
    "COLUMN_TYPES",
    "CustomType",
    "RecordClass",
    "clone_frame",
    "column_types",
    "goal_view_frame",
    "html_table",
    "infer_type",
    "is_category",
    "plan_view_frame",
    "reading_order",
    "record_classes",
    "record_html",
    "record_parts",
    "records_frame",
    "timeline_frame",
    "to_frame",
    "work_in_order",
]

#: The column types :func:`to_frame` knows; ``auto`` infers one from the values.
COLUMN_TYPES = ("text", "category", "integer", "float", "boolean", "date", "datetime", "list", "json", "object", "auto")

#: Text fields that hold one of a small set of keys, shown as ``category`` columns;
#: so is any text field whose name ends in ``_`` and one of these.
CATEGORY_FIELDS = frozenset(
    {
        "status",
        "priority",
        "type",
        "category",
        "stage",
        "kind",
        "level",
        "audience",
        "delivery",
        "license",
        "source",
        "action",
        "event",
        "rule",
        "label",
        "email_state",
        "target",
        "result",
    }
)
_CATEGORY_SUFFIXES = ("_status", "_priority", "_type", "_category", "_stage", "_kind")

#: What every record carries for the library's own bookkeeping: shown last, in this order.
BOOKKEEPING = ("id", "version", "created_at", "updated_at", "created_by")
#: Fields that name a record, in the order they lead a table.
_NAME_FIELDS = ("name", "subject", "title", "label", "key", "metric", "measure", "attribute")
#: Fields that say where a record stands, beside the closed vocabularies (categories).
_STATE_FIELDS = frozenset({"grade", "score_grade", "trend", "score_trend", "active", "outcome"})

_STORAGE_TYPES: dict[FieldType, str] = {
    FieldType.TEXT: "text",
    FieldType.INTEGER: "integer",
    FieldType.FLOAT: "float",
    FieldType.BOOLEAN: "boolean",
    FieldType.DATE: "date",
    FieldType.DATETIME: "datetime",
    FieldType.LIST: "list",
    FieldType.JSON: "json",
}
#: Declared custom field types (``kit.custom_fields.declare``) as column types.
_DECLARED_TYPES: dict[str, str] = {
    "text": "text",
    "number": "float",
    "date": "date",
    "boolean": "boolean",
    "dropdown": "category",
    "multiselect": "list",
}
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

#: A custom field's type: a declaration, a declared type name, a storage type or a column type.
CustomType = CustomField | FieldType | str
#: The kind(s) of a list: one class, or a tuple of classes for a list of several kinds.
RecordClass = type[Any] | tuple[type[Any], ...]


def _pandas() -> Any:
    try:
        import pandas as pd
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError("to_pandas() needs pandas: pip install 'successkit[pandas]'") from e
    return pd


# ------------------------------------------------------------------ column types
def is_category(name: str) -> bool:
    """Whether a text field of this name is shown as a ``category`` column."""
    return name in CATEGORY_FIELDS or name.endswith(_CATEGORY_SUFFIXES)


_CLASS_CACHE: dict[type[Any], dict[str, str]] = {}


def column_types(cls: type[Any]) -> dict[str, str]:
    """The column types of an attrs class, in field order, from its resolved type hints.

    A record's ``fields`` mapping is left out: it becomes ``fields.<name>`` columns.
    """
    cached = _CLASS_CACHE.get(cls)
    if cached is not None:
        return cached
    hints = typing.get_type_hints(cls)
    out: dict[str, str] = {}
    for f in attrs.fields(cls):
        if f.name == "fields" and issubclass(cls, Record):
            continue
        try:
            ftype = _STORAGE_TYPES[field_type_of(hints[f.name])[0]]
        except (TypeError, KeyError):
            ftype = "object"  # a nested object (a record in a row, say): kept as it is
        out[f.name] = "category" if ftype == "text" and is_category(f.name) else ftype
    _CLASS_CACHE[cls] = out
    return out


_PEOPLE_CACHE: dict[type[Any], frozenset[str]] = {}


def _people_fields(cls: type[Any]) -> frozenset[str]:
    """The fields of a record class that refer to a user or a person (owners, CSMs, authors)."""
    cached = _PEOPLE_CACHE.get(cls)
    if cached is None:
        found = set()
        for f in attrs.fields(cls):
            ref = f.metadata.get("ref")
            kinds = (ref,) if isinstance(ref, str) else tuple(ref or ())
            if f.name not in BOOKKEEPING and ({"user", "person"} & set(kinds)):
                found.add(f.name)
        cached = _PEOPLE_CACHE[cls] = frozenset(found)
    return cached


def _rank(name: str, ctype: str, people: frozenset[str], names: Mapping[str, str]) -> tuple[int, int]:
    """Where a column goes (see :func:`reading_order`)."""
    if name == "kind":
        return (0, 0)
    if name in BOOKKEEPING:
        return (9, BOOKKEEPING.index(name))
    if name.startswith("fields."):
        return (8, 0)
    if name in _NAME_FIELDS:
        return (1, _NAME_FIELDS.index(name))
    if name.endswith("_name"):
        return (1, len(_NAME_FIELDS))
    if name.endswith("_kind") and f"{name[: -len('_kind')]}_id" in names:
        return (7, 0)  # which kind a reference points at: with the references
    if name in ("status", "stage"):
        return (2, 0)
    if ctype == "category" or name in _STATE_FIELDS:
        return (2, 1)
    if name in people:
        return (3, 0)
    if ctype in ("date", "datetime"):
        return (4, 0)
    if ctype in ("integer", "float"):
        return (5, 0)
    return (7, 0)


def reading_order(columns: Mapping[str, str], kinds: Sequence[type[Any]]) -> dict[str, str]:
    """The columns of a table of records (name -> type) in the order a person reads them (DATA_01).

    One rule for every record kind: ``kind`` (a list of several kinds); the name
    (``name``, ``subject``, ``title``, ``label``, ``key``, ``*_name``); where it
    stands (``status`` and ``stage``, then the other closed vocabularies: type,
    priority, category..., and grade, trend, active); who (owners, CSMs, authors:
    fields that refer to a user or a person); dates and timestamps; numbers; the
    rest (references to other records, texts, lists); custom fields; and last the
    bookkeeping of :data:`BOOKKEEPING`.  Within a step, the record class's order.
    Rows that are not records (schedule rows, rule steps) keep their class's order.
    """
    if not kinds or not all(isinstance(k, type) and issubclass(k, Record) for k in kinds):
        return dict(columns)
    people = frozenset().union(*(_people_fields(k) for k in kinds))
    ranked = sorted(enumerate(columns.items()), key=lambda e: (_rank(e[1][0], e[1][1], people, columns), e[0]))
    return {name: ctype for _, (name, ctype) in ranked}


def custom_column_type(value: CustomType) -> str:
    """The column type of a custom field from its declaration (or its type)."""
    if isinstance(value, CustomField):
        value = value.type
    if isinstance(value, FieldType):
        return _STORAGE_TYPES[value]
    if value in _DECLARED_TYPES:
        return _DECLARED_TYPES[value]
    if value in COLUMN_TYPES:
        return value
    raise ValueError(f"unknown custom field type {value!r}")


def infer_type(values: Iterable[Any]) -> str:
    """A column type that fits every non-missing value (see the module docstring)."""
    present = [v for v in values if v is not None]
    if not present:
        return "object"
    if all(isinstance(v, bool) for v in present):
        return "boolean"
    if any(isinstance(v, bool) for v in present):
        return "object"
    if all(isinstance(v, int) for v in present):
        return "integer"
    if all(isinstance(v, (int, float)) for v in present):
        return "float"
    if all(isinstance(v, str) for v in present):
        return "date" if all(_iso_date(v) for v in present) else "text"
    if all(isinstance(v, datetime) and v.tzinfo is not None for v in present):
        return "datetime"
    if all(isinstance(v, date) and not isinstance(v, datetime) for v in present):
        return "date"
    if all(isinstance(v, (list, tuple)) for v in present):
        return "list"
    if all(isinstance(v, Mapping) for v in present):
        return "json"
    return "object"


def _iso_date(text: str) -> bool:
    if not _ISO_DATE.match(text):
        return False
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


# ------------------------------------------------------------------ conversion
def _objects(values: Sequence[Any], convert: Callable[[Any], Any] = lambda v: v) -> Any:
    import numpy as np

    out = np.empty(len(values), dtype=object)
    for i, v in enumerate(values):
        out[i] = None if v is None else convert(v)
    return out


def _as_date(v: Any) -> Any:
    if isinstance(v, datetime):
        return v.date() if v.tzinfo is None else v.astimezone(timezone.utc).date()
    if isinstance(v, date):
        return v
    if isinstance(v, str) and _iso_date(v):
        return date.fromisoformat(v)
    raise ValueError(f"not a date: {v!r}")


def _as_utc(v: Any) -> datetime:
    if not isinstance(v, datetime):
        raise ValueError(f"not a timestamp: {v!r}")
    return v if v.tzinfo is None else v.astimezone(timezone.utc).replace(tzinfo=None)


def _convert(pd: Any, ctype: str, values: Sequence[Any]) -> Any:
    """One column's values as a pandas array (or Series) of the column type."""
    import numpy as np

    if ctype == "auto":
        ctype = infer_type(values)
    if ctype == "text":
        if not all(v is None or isinstance(v, str) for v in values):
            raise ValueError("not text")
        return pd.array(list(values), dtype="string")
    if ctype == "category":
        return pd.Categorical(list(values))
    if ctype == "integer":
        return pd.array(list(values), dtype="Int64")
    if ctype == "float":
        return np.array([np.nan if v is None else float(v) for v in values], dtype="float64")
    if ctype == "boolean":
        if not all(v is None or isinstance(v, bool) for v in values):
            raise ValueError("not booleans")
        return pd.array(list(values), dtype="boolean")
    if ctype == "date":
        return np.array([None if v is None else _as_date(v) for v in values], dtype="datetime64[us]")
    if ctype == "datetime":
        naive = np.array([None if v is None else _as_utc(v) for v in values], dtype="datetime64[us]")
        return pd.Series(naive).dt.tz_localize("UTC").array
    if ctype == "list":
        return _objects(values, list)
    if ctype == "json":
        return _objects(values, dict)
    if ctype == "object":
        return _objects(values)
    raise ValueError(f"unknown column type {ctype!r}; known: {', '.join(COLUMN_TYPES)}")


def to_frame(rows: Iterable[Mapping[str, Any]], columns: Mapping[str, str]) -> Any:
    """A DataFrame of ``rows`` with exactly ``columns`` (name -> column type), in order.

    A row without a column's key holds a missing value there.  A value that
    does not fit its declared column type (text stored in a number field
    before it was declared, say) leaves that column as ``object``, holding
    the values as they are, rather than losing them.
    """
    unknown = [t for t in columns.values() if t not in COLUMN_TYPES]
    if unknown:
        raise ValueError(f"unknown column type {unknown[0]!r}; known: {', '.join(COLUMN_TYPES)}")
    pd = _pandas()
    data = rows if isinstance(rows, Sequence) else list(rows)
    arrays: dict[str, Any] = {}
    for name, ctype in columns.items():
        values = [row.get(name) for row in data]
        try:
            arrays[name] = _convert(pd, ctype, values)
        except (ValueError, TypeError, OverflowError):
            arrays[name] = _convert(pd, "object", values)
    return pd.DataFrame(arrays, columns=list(columns), index=pd.RangeIndex(len(data)))


# ------------------------------------------------------------------ tables of rows
@attrs.frozen
class _Table:
    """What a list shows: its columns with their types, and each row as a dict."""

    columns: dict[str, str]
    rows: list[dict[str, Any]]


def _table(
    items: Sequence[Any], classes: Sequence[type[Any]] = (), custom_fields: Mapping[str, CustomType] | None = None
) -> _Table:
    """The columns of ``items``: those of ``classes`` (the kinds the list holds even
    when empty) and of every item's class, plus ``fields.<name>`` custom fields."""
    kinds: list[type[Any]] = list(dict.fromkeys(classes))
    for item in items:
        if type(item) not in kinds:
            kinds.append(type(item))
    if not kinds:
        return _Table({}, [])
    if all(isinstance(i, Mapping) for i in items) and not classes:
        names = list(dict.fromkeys(k for i in items for k in i))
        return _Table({n: "auto" for n in names}, [dict(i) for i in items])
    bad = next((c for c in kinds if not attrs.has(c)), None)
    if bad is not None:
        raise TypeError(f"cannot tabulate {bad.__name__} objects: rows are records, attrs classes or mappings")
    mixed = len(kinds) > 1
    types: dict[str, str] = {"kind": "category"} if mixed else {}
    for cls in kinds:
        for name, ctype in column_types(cls).items():
            types[name] = ctype if types.get(name, ctype) == ctype else "auto"
    custom: dict[str, str] = {}
    if any(issubclass(c, Record) for c in kinds):
        for name, decl in (custom_fields or {}).items():
            custom[f"fields.{name}"] = custom_column_type(decl)
        for item in items:
            for name in getattr(item, "fields", None) or ():
                custom.setdefault(f"fields.{name}", "auto")
    rows = []
    for item in items:
        row = {name: getattr(item, name, None) for name in types}
        if mixed and (isinstance(item, Record) or not hasattr(item, "kind")):
            row["kind"] = getattr(item, "__kind__", type(item).__name__)
        if isinstance(item, Record) and item.fields:
            row.update({f"fields.{k}": v for k, v in item.fields.items()})
        rows.append(row)
    return _Table(reading_order({**types, **custom}, kinds), rows)


def record_classes(record_class: RecordClass | None) -> tuple[type[Any], ...]:
    """``record_class`` as a tuple of classes (empty for None)."""
    if record_class is None:
        return ()
    return record_class if isinstance(record_class, tuple) else (record_class,)


def records_frame(
    items: Iterable[Any],
    *,
    record_class: RecordClass | None = None,
    custom_fields: Mapping[str, CustomType] | None = None,
) -> Any:
    """A DataFrame of records (or attrs rows such as schedule rows, or mappings).

    ``record_class`` (a class, or a tuple of classes) gives the columns when
    ``items`` is empty; a list of several record kinds has a ``kind`` column first and the union of the
    kinds' columns.  ``custom_fields`` maps custom field names to their
    declarations (or type names); undeclared custom fields are inferred.
    """
    rows = items if isinstance(items, Sequence) else list(items)
    table = _table(rows, record_classes(record_class), custom_fields)
    return to_frame(table.rows, table.columns)


def html_table(
    items: Sequence[Any],
    *,
    record_class: RecordClass | None = None,
    custom_fields: Mapping[str, CustomType] | None = None,
    max_rows: int = 50,
) -> str:
    """An HTML table of the same columns, in the same order, as :func:`records_frame` (for
    notebooks), at most ``max_rows`` rows; values read as :mod:`successkit.views.notebook` says."""
    table = _table(items, record_classes(record_class), custom_fields)
    if not table.columns:
        return "<p>(no records)</p>"
    n = len(table.rows)
    shown = f"{n} row{'s' if n != 1 else ''}" if n <= max_rows else f"first {max_rows} of {n} rows"
    numeric = [t in ("integer", "float") for t in table.columns.values()]
    rows = ([row.get(c) for c in table.columns] for row in table.rows[:max_rows])
    return notebook.block(notebook.table(list(table.columns), rows, caption=shown, numeric=numeric))


def record_html(item: Any) -> str:
    """One record (or attrs row) as a two-column field / value HTML table, for notebooks,
    its fields in the order of :func:`reading_order`."""
    return notebook.block(record_parts(item))


def record_parts(item: Any) -> str:
    """What :func:`record_html` shows, without the enclosing block (to place inside another result)."""
    table = _table([item])
    title = getattr(item, "__kind__", type(item).__name__)
    rows = ([c, table.rows[0].get(c)] for c in table.columns)
    return notebook.title(title) + notebook.table(["field", "value"], rows, numeric=[False, False])


# ------------------------------------------------------------------ views and reports
def goal_view_frame(view: Any, *, custom_fields: Mapping[str, CustomType] | None = None) -> Any:
    """A goal list view (``kit.goals.view()``) as a DataFrame: ``group`` when
    grouped (a category in display order), the view's columns in the view's order,
    typed like the goal's fields, then the goal's ``id`` (bookkeeping last, DATA_01);
    ``progress`` is a percentage (``float64``)."""
    from successkit.records import Goal

    pd = _pandas()
    goal_types = column_types(Goal)
    declared = dict(custom_fields or {})
    columns: dict[str, str] = {}
    for name in view.columns:
        key = name.removeprefix("fields.")
        if name == "progress":
            columns[name] = "float"
        elif name in goal_types:
            columns[name] = goal_types[name]
        elif key in declared:
            columns[name] = custom_column_type(declared[key])
        else:
            columns[name] = "auto"
    columns.setdefault("id", "text")
    rows = [{**r.values, "id": r.goal.id} for r in view.rows]
    frame = to_frame(rows, columns)
    if view.grouped:
        order = list(dict.fromkeys(g for g, _ in view.groups if g is not None))
        labels = [r.group for r in view.rows]
        order += [g for g in dict.fromkeys(labels) if g is not None and g not in order]
        frame.insert(0, "group", pd.Categorical(labels, categories=order))
    return frame


def timeline_frame(page: Any) -> Any:
    """A timeline page as a DataFrame of its activities, with the ``label``
    column (``SP`` for plan-level entries) after the subject; newest first."""
    from successkit.records import Activity

    pd = _pandas()
    frame = records_frame(page.activities, record_class=Activity)
    frame.insert(1, "label", _convert(pd, "category", [i.label for i in page.items]))
    return frame


def work_in_order(objectives: Sequence[Any], tasks: Iterable[Any]) -> list[Any]:
    """Objectives, each followed by its tasks; tasks of no listed objective last."""
    by_parent: dict[str, list[Any]] = {}
    for t in tasks:
        by_parent.setdefault(t.parent_id, []).append(t)
    out: list[Any] = []
    for o in objectives:
        out.append(o)
        out.extend(by_parent.pop(o.id, ()))
    for rest in by_parent.values():
        out.extend(rest)
    return out


def plan_view_frame(view: Any) -> Any:
    """An opened plan (``kit.plans.open()``) as a DataFrame: every objective
    followed by its tasks, with a ``kind`` column and the columns of both."""
    from successkit.records import Objective, Task

    items = work_in_order(view.objectives, (t for ts in view.tasks.values() for t in ts))
    table = _table(items, (Objective, Task))
    return to_frame(table.rows, table.columns)


def clone_frame(result: Any) -> Any:
    """A clone (or its dry-run preview) as a DataFrame: the new objectives,
    each followed by its new tasks, with ``kind``, and ``source_id`` (the
    copied item) just before the bookkeeping columns."""
    from successkit.records import Objective, Task

    pd = _pandas()
    table = _table(work_in_order(result.objectives, result.tasks), (Objective, Task))
    frame = to_frame(table.rows, table.columns)
    at = list(frame.columns).index("id")
    frame.insert(at, "source_id", _convert(pd, "text", [result.source_ids.get(i) for i in frame["id"]]))
    return frame
