"""What storage needs to know about a record class: its columns and their types.

Backends stay ignorant of the domain: they receive `KindSchema` objects, derived
once from the attrs classes in :mod:`successkit.records`, and convert records
to rows and back through the codec built here.
"""

from __future__ import annotations

import enum
import json
import types
import typing
from collections.abc import Callable, Mapping
from datetime import date, datetime, timezone
from operator import attrgetter
from typing import Any

import attrs

from successkit.errors import ValidationError

__all__ = ["Column", "FieldType", "KindSchema", "dump_datetime", "make_copier", "schema_of", "slot_setter", "thaw"]


class FieldType(enum.Enum):
    """The storage types a field can have; custom fields map onto the same set."""

    TEXT = "text"
    INTEGER = "integer"
    FLOAT = "float"
    BOOLEAN = "boolean"
    DATE = "date"
    DATETIME = "datetime"
    LIST = "list"  # a list of text values (multi-select, id lists)
    JSON = "json"  # an opaque mapping (the custom ``fields`` bag)

    @property
    def sortable(self) -> bool:
        return self not in (FieldType.LIST, FieldType.JSON)


_SCALARS: dict[Any, FieldType] = {
    str: FieldType.TEXT,
    int: FieldType.INTEGER,
    float: FieldType.FLOAT,
    bool: FieldType.BOOLEAN,
    date: FieldType.DATE,
    datetime: FieldType.DATETIME,
}


def dump_datetime(value: datetime) -> str:
    """A fixed-width UTC ISO string, so that text order equals time order."""
    if value.tzinfo is None:
        raise ValidationError("timestamps must be timezone-aware", value=value)
    return value.astimezone(timezone.utc).isoformat(timespec="microseconds")


def _load_datetime(text: str) -> datetime:
    return datetime.fromisoformat(text)


def field_type_of(tp: Any) -> tuple[FieldType, bool]:
    """Map a resolved annotation to (storage type, nullable)."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) != 1:
            raise TypeError(f"unsupported union annotation {tp!r}")
        return field_type_of(args[0])[0], True
    if tp in _SCALARS:
        return _SCALARS[tp], False
    if origin in (tuple, list):
        return FieldType.LIST, False
    if origin in (dict, Mapping, typing.Mapping) or tp is dict:
        return FieldType.JSON, False
    if origin is typing.Literal:
        return _SCALARS[type(typing.get_args(tp)[0])], False
    raise TypeError(f"unsupported annotation {tp!r}")


@attrs.frozen
class Column:
    """One stored field of a record kind."""

    name: str
    type: FieldType
    nullable: bool


@attrs.frozen(eq=False)
class KindSchema:
    """The storage view of one record class, with a fast row codec.

    ``to_row(record)`` gives the record as a tuple of storage scalars in
    column order; ``from_row(row)`` rebuilds the record from such a tuple.
    Both are plain functions built once per class (see :func:`_build_codec`),
    called directly for every row a backend reads or writes.
    """

    kind: str
    cls: type[Any]
    columns: tuple[Column, ...]
    indexes: tuple[tuple[str, ...], ...]
    by_name: Mapping[str, Column]
    to_row: Callable[[Any], tuple[Any, ...]]
    from_row: Callable[[tuple[Any, ...]], Any]
    #: Column sets no two records may share (backends enforce them).
    unique: tuple[tuple[str, ...], ...] = ()
    #: ``copy(record)``: an equal record sharing no mutable part with it (SEC_06).
    copy: Callable[[Any], Any] = attrs.field(default=lambda record: record)
    #: Other names queries may use for columns (``score.grade`` -> ``score_grade``).
    aliases: Mapping[str, str] = attrs.field(factory=dict)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


def _dump_list(value: Any) -> str:
    return json.dumps(list(value), ensure_ascii=False) if value else "[]"


def _dump_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")) if value else "{}"


#: The decoder's scanner (the C one where there is one): reads one value at a position.
_scan_once: Callable[[str, int], tuple[Any, int]] = json.JSONDecoder().scan_once  # type: ignore[attr-defined]


def _loads(text: str) -> Any:
    """``json.loads`` of text this library wrote, without its Python layers (a
    third of a row's decoding); anything it does not read whole goes to ``json.loads``."""
    try:
        value, end = _scan_once(text, 0)
    except StopIteration:
        return json.loads(text)  # raises the usual error
    return value if end == len(text) else json.loads(text)


def _load_list(text: str) -> tuple[Any, ...]:
    return tuple(_loads(text)) if text != "[]" else ()


#: Decoded ``fields`` mappings of flat scalars, by their text: custom values repeat (a
#: dropdown, a score), and a copy of a small dict costs a fraction of decoding it again.
_FIELDS_SEEN: dict[str, dict[str, Any]] = {}
_FIELDS_SEEN_MAX = 4096
_FLAT = frozenset({str, int, float, bool, type(None)})


def _load_json(text: str) -> dict[str, Any]:
    """A ``fields`` mapping: always the caller's own dict (SEC_06), never the one remembered."""
    if text == "{}":
        return {}
    seen = _FIELDS_SEEN.get(text)
    if seen is not None:
        return seen.copy()
    value: dict[str, Any] = _loads(text)
    if len(text) <= 256 and type(value) is dict and all(type(v) in _FLAT for v in value.values()):
        if len(_FIELDS_SEEN) >= _FIELDS_SEEN_MAX:
            _FIELDS_SEEN.clear()
        _FIELDS_SEEN[text] = value.copy()
    return value


def _load_bool(value: Any) -> bool:
    return bool(value)


_DUMP: dict[FieldType, Callable[[Any], Any]] = {
    FieldType.DATE: date.isoformat,
    FieldType.DATETIME: dump_datetime,
    FieldType.LIST: _dump_list,
    FieldType.JSON: _dump_json,
}
LOADERS: dict[FieldType, Callable[[Any], Any]] = {
    FieldType.DATE: date.fromisoformat,
    FieldType.DATETIME: _load_datetime,
    FieldType.LIST: _load_list,
    FieldType.JSON: _load_json,
    FieldType.BOOLEAN: _load_bool,
}


def storage_scalar(ftype: FieldType, value: Any) -> Any:
    """One value as it is stored (dates as ISO text, booleans as 0/1)."""
    if value is None:
        return None
    if ftype is FieldType.BOOLEAN:
        return int(value)
    dump = _DUMP.get(ftype)
    return dump(value) if dump else value


_UNSET: Any = object()


def _remember_last_object(dump: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """``dump`` with a one-entry cache keyed by identity.

    Records written together usually share one timestamp object (a bulk
    create stamps every record with the same ``now``), so one remembered
    conversion spares almost every call.  The entry is a single tuple,
    replaced whole, so concurrent callers never see a half-updated pair.
    """
    last: tuple[Any, Any] = (_UNSET, None)

    def cached(value: Any) -> Any:
        nonlocal last
        key, result = last
        if value is key:
            return result
        result = dump(value)
        last = (value, result)
        return result

    return cached


def _remember_last_text(load: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """``load`` with a one-entry cache keyed by the stored text (see above);
    rows that share a timestamp then also share one immutable object."""
    last: tuple[Any, Any] = (_UNSET, None)

    def cached(text: Any) -> Any:
        nonlocal last
        key, result = last
        if text == key:
            return result
        result = load(text)
        last = (text, result)
        return result

    return cached


def _column_dump(column: Column) -> Callable[[Any], Any]:
    dump = _DUMP[column.type]
    return _remember_last_object(dump) if column.type is FieldType.DATETIME else dump


def _column_load(column: Column) -> Callable[[Any], Any]:
    load = LOADERS[column.type]
    return _remember_last_text(load) if column.type is FieldType.DATETIME else load


def _build_codec(
    cls: type[Any], columns: tuple[Column, ...]
) -> tuple[Callable[[Any], tuple[Any, ...]], Callable[[tuple[Any, ...]], Any]]:
    names = [c.name for c in columns]
    getter = attrgetter(*names)
    # Columns whose values need converting: always (not nullable), or unless None.
    dump_always = [(i, _column_dump(c)) for i, c in enumerate(columns) if c.type in _DUMP and not c.nullable]
    dump_present = [(i, _column_dump(c)) for i, c in enumerate(columns) if c.type in _DUMP and c.nullable]

    def to_row(record: Any) -> tuple[Any, ...]:
        values = list(getter(record))
        for i, dump in dump_always:
            values[i] = dump(values[i])
        for i, dump in dump_present:
            v = values[i]
            if v is not None:
                values[i] = dump(v)
        return tuple(values)

    return to_row, _build_reader(cls, columns)


def _build_reader(cls: type[Any], columns: tuple[Column, ...]) -> Callable[[tuple[Any, ...]], Any]:
    """``from_row``: one generated function per class that unpacks the row,
    converts the columns needing it and sets every field of a new instance
    through its slot.  Like :func:`make_copier` it skips ``__init__`` and the
    field check: a stored row was checked when its record was made, and a sorted
    page of 50 rows would otherwise spend more time re-checking its records than
    the database spends finding them."""
    values = ", ".join(f"v{i}" for i in range(len(columns)))
    lines = ["def from_row(row):", f"    {values}, = row", "    n = new(cls)"]
    namespace: dict[str, Any] = {"new": object.__new__, "cls": cls}
    for i, c in enumerate(columns):
        namespace[f"set_{i}"] = slot_setter(cls, c.name)
        value = f"v{i}"
        if c.type in LOADERS:
            namespace[f"load_{i}"] = _column_load(c)
            value = f"None if v{i} is None else load_{i}(v{i})" if c.nullable else f"load_{i}(v{i})"
        lines.append(f"    set_{i}(n, {value})")
    lines.append("    return n")
    exec("\n".join(lines), namespace)  # the names come from the attrs class, never from input
    from_row: Callable[[tuple[Any, ...]], Any] = namespace["from_row"]
    return from_row


def slot_setter(cls: type[Any], name: str) -> Callable[[Any, Any], None]:
    """What sets field ``name`` of a new instance: its slot's ``__set__`` (the
    frozen class's own ``__setattr__`` refuses), else ``object.__setattr__``."""
    for klass in cls.__mro__:
        slot = klass.__dict__.get(name)
        if slot is not None and hasattr(slot, "__set__"):
            setter: Callable[[Any, Any], None] = slot.__set__
            return setter
    return lambda record, value: object.__setattr__(record, name, value)


def thaw(value: Any) -> Any:
    """A copy of a JSON-like value sharing no dict or list with it (SEC_06):
    containers are copied, scalars (immutable) are shared."""
    t = type(value)
    if t is dict or isinstance(value, Mapping):
        return {k: thaw(v) for k, v in value.items()} if value else {}
    if t is list:
        return [thaw(v) for v in value]
    if t is tuple:
        return tuple(thaw(v) for v in value) if any(type(v) not in _IMMUTABLE for v in value) else value
    return value


_IMMUTABLE = frozenset({str, int, float, bool, type(None), date, datetime})


def _utc(value: Any) -> Any:
    """A timestamp as the SQL backends read it back: in UTC."""
    return value if value is None or value.tzinfo is timezone.utc else value.astimezone(timezone.utc)


def make_copier(cls: type[Any], columns: tuple[Column, ...], *, utc: bool = False) -> Callable[[Any], Any]:
    """A fast copier for one record class: a new instance (no __init__, no
    validators: the values are already valid) with its mutable parts thawed and,
    with ``utc``, its timestamps in UTC as every SQL backend stores them (SEC_05)."""
    lines = ["def copy(r):", "    n = new(cls)"]
    for c in columns:
        value = f"r.{c.name}"
        if c.type in (FieldType.JSON, FieldType.LIST):
            value = f"thaw({value})"
        elif c.type is FieldType.DATETIME and utc:
            value = f"utc({value})"
        lines.append(f"    set(n, {c.name!r}, {value})")
    lines.append("    return n")
    namespace: dict[str, Any] = {
        "new": object.__new__,
        "set": object.__setattr__,
        "cls": cls,
        "thaw": thaw,
        "utc": _utc,
    }
    exec("\n".join(lines), namespace)  # the names come from the attrs class, never from input
    copy: Callable[[Any], Any] = namespace["copy"]
    return copy


_CACHE: dict[type[Any], KindSchema] = {}


def schema_of(cls: type[Any]) -> KindSchema:
    """The (cached) storage schema of a record class."""
    cached = _CACHE.get(cls)
    if cached is not None:
        return cached
    hints = typing.get_type_hints(cls)
    columns = []
    for f in attrs.fields(cls):
        ftype, nullable = field_type_of(hints[f.name])
        columns.append(Column(f.name, ftype, nullable))
    cols = tuple(columns)
    to_row, from_row = _build_codec(cls, cols)
    schema = KindSchema(
        kind=cls.__kind__,
        cls=cls,
        columns=cols,
        indexes=tuple(getattr(cls, "__indexes__", ())),
        by_name={c.name: c for c in cols},
        to_row=to_row,
        from_row=from_row,
        unique=tuple(getattr(cls, "__unique__", ())),
        copy=make_copier(cls, cols),
        aliases=dict(getattr(cls, "__aliases__", {})),
    )
    _CACHE[cls] = schema
    return schema
