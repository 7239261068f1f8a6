"""Binding a query to a record kind: the checked, storage-form tree backends run.

A :class:`Query` is what a caller writes.  :func:`bind` checks it against a
record kind's schema (and its declared custom fields) and turns it into a
:class:`BoundQuery`: a small tree whose values are already in storage form
(dates as ISO text, booleans as 0/1) and whose relative dates are already
resolved against the kit's clock.  Backends only ever see bound queries, so
nothing a user typed reaches SQL as text, and every backend answers the same.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta, timezone
from typing import Any

import attrs

from successkit.errors import QueryError
from successkit.query.language import (
    OPERATORS,
    ByField,
    ByRange,
    ByRelated,
    CalendarQuarter,
    Condition,
    FiscalQuarter,
    GroupSpec,
    Query,
    ValueRange,
)
from successkit.query.schema import FieldType, KindSchema, dump_datetime, storage_scalar

__all__ = [
    "And",
    "BoundGroup",
    "BoundQuery",
    "FieldRef",
    "Not",
    "Or",
    "Pred",
    "bind",
    "bind_group",
    "parse_logic",
    "referenced_kind",
]

_RELATIVE = re.compile(r"^within (next|last) (\d+) days?$")
_UNARY = {"empty", "not_empty"}
_ORDERED = {"lt", "le", "gt", "ge", "between"}
_MAX_LOGIC_DEPTH = 64
_MAX_LOGIC_LENGTH = 4000
#: The range of a stored integer (SQLite's, and most databases'); numbers
#: outside it are compared as floats, the way SQLite reads them from JSON.
_INT_MIN, _INT_MAX = -(2**63), 2**63 - 1
#: The year and month a date or timestamp in storage form starts with.
_YEAR_MONTH = re.compile(r"(\d{4})-(0[1-9]|1[0-2])", re.ASCII)


# ----------------------------------------------------------------------------- bound form
@attrs.frozen
class FieldRef:
    """A field resolved against a schema: a column, or a key of ``fields``."""

    name: str
    type: FieldType
    custom: bool = False
    #: False for a column that always holds a value (SQL may then skip its null handling).
    nullable: bool = attrs.field(default=True, eq=False)


@attrs.frozen
class Pred:
    """A checked condition.  ``value`` is in storage form; ``datepart`` means
    a date value compared with the (UTC) date part of a timestamp."""

    field: FieldRef
    op: str
    value: Any = None
    datepart: bool = False


@attrs.frozen
class And:
    items: tuple[Node, ...]


@attrs.frozen
class Or:
    items: tuple[Node, ...]


@attrs.frozen
class Not:
    item: Node


Node = Pred | And | Or | Not


@attrs.frozen
class BoundQuery:
    """A query checked against one record kind, ready for any backend."""

    kind: str
    where: Node | None = None
    sort: tuple[tuple[FieldRef, bool], ...] = ()
    limit: int | None = None
    offset: int = 0


@attrs.frozen
class BoundGroup:
    """A checked grouping: ``mode`` is ``value``, ``quarter``, ``fiscal`` or ``range``
    (``bounds`` ascending; the key of a value is the index of its range)."""

    field: FieldRef
    mode: str
    start_month: int = 1
    bounds: tuple[float, ...] = ()
    #: A related grouping (:class:`ByRelated`): the reference read on the grouped
    #: records, and the kind it names; ``field`` is then a field of that kind.
    via: FieldRef | None = None
    via_kind: str | None = None

    def range_of(self, index: int) -> ValueRange:
        """The range of key ``index`` of a ``range`` grouping."""
        b = self.bounds
        return ValueRange(b[index - 1] if index > 0 else None, b[index] if index < len(b) else None)


#: At most this many bounds in a range grouping.
MAX_BOUNDS = 50


# --------------------------------------------------------------------------------- logic
_TOKEN = re.compile(r"\s*(?:(\d+)|(\()|(\))|([A-Za-z]+)|(\S))")


def _tokens(text: str) -> list[str]:
    out = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:  # only trailing blanks remain
            break
        pos = m.end()
        num, lp, rp, word, other = m.groups()
        if other is not None:
            raise QueryError(f"unexpected character {other!r} in logic at position {m.start(5) + 1}", value=text)
        token = num or lp or rp or word.upper()
        if word is not None and token not in ("AND", "OR", "NOT"):
            raise QueryError(f"unknown word {word!r} in logic; use AND, OR, NOT", value=text)
        out.append(token)
    return out


def parse_logic(text: str, count: int) -> Node:
    """Parse an advanced-logic expression over condition numbers 1..count.

    The tree's leaves are ``Pred`` placeholders carrying the condition index in
    ``value``; :func:`bind` swaps in the real predicates.  Every condition must
    be used, as in the filter editors users know.
    """
    if not isinstance(text, str):
        raise QueryError("logic must be a string such as '(1 AND 2) OR 3'", value=text)
    if len(text) > _MAX_LOGIC_LENGTH:
        raise QueryError(f"logic is longer than {_MAX_LOGIC_LENGTH} characters", value=text[:40] + "...")
    tokens = _tokens(text)
    if not tokens:
        raise QueryError("logic is empty", value=text)
    pos = 0
    used: set[int] = set()

    def peek() -> str | None:
        return tokens[pos] if pos < len(tokens) else None

    def take() -> str:
        nonlocal pos
        tok = peek()
        if tok is None:
            raise QueryError("logic ends too early", value=text)
        pos += 1
        return tok

    def parse_or(depth: int) -> Node:
        items = [parse_and(depth)]
        while peek() == "OR":
            take()
            items.append(parse_and(depth))
        return items[0] if len(items) == 1 else Or(tuple(items))

    def parse_and(depth: int) -> Node:
        items = [parse_not(depth)]
        while peek() == "AND":
            take()
            items.append(parse_not(depth))
        return items[0] if len(items) == 1 else And(tuple(items))

    def parse_not(depth: int) -> Node:
        if depth > _MAX_LOGIC_DEPTH:
            raise QueryError(f"logic is nested deeper than {_MAX_LOGIC_DEPTH} levels", value=text)
        if peek() == "NOT":
            take()
            return Not(parse_not(depth + 1))
        return parse_atom(depth)

    def parse_atom(depth: int) -> Node:
        tok = take()
        if tok == "(":
            node = parse_or(depth + 1)
            if peek() != ")":
                raise QueryError("logic has an unclosed '('", value=text)
            take()
            return node
        if tok.isdigit():
            n = int(tok)
            if not 1 <= n <= count:
                raise QueryError(f"logic names condition {n}, but there are {count} conditions", value=text)
            used.add(n)
            return Pred(FieldRef("", FieldType.TEXT), "ref", n - 1)
        raise QueryError(f"unexpected {tok!r} in logic", value=text)

    tree = parse_or(0)
    if pos != len(tokens):
        raise QueryError(f"unexpected {tokens[pos]!r} in logic", value=text)
    unused = sorted(set(range(1, count + 1)) - used)
    if unused:
        raise QueryError(f"conditions {unused} are not used in the logic", value=text)
    return tree


def _substitute(node: Node, preds: Sequence[Pred]) -> Node:
    if isinstance(node, Pred):
        return preds[int(node.value)]
    if isinstance(node, Not):
        return Not(_substitute(node.item, preds))
    items = tuple(_substitute(i, preds) for i in node.items)
    return And(items) if isinstance(node, And) else Or(items)


# ------------------------------------------------------------------------------- binding
def resolve_field(name: Any, schema: KindSchema, custom: Mapping[str, FieldType]) -> FieldRef:
    """Find a field by name: a column first (or an alias of one, such as
    ``score.grade``), then a declared custom field (written ``name`` or ``fields.name``)."""
    if not isinstance(name, str):
        raise QueryError("a field name must be a string", value=name)
    column = schema.by_name.get(name) or schema.by_name.get(schema.aliases.get(name, ""))
    if column is not None and column.type is not FieldType.JSON:
        return FieldRef(column.name, column.type, nullable=column.nullable)
    key = name[len("fields.") :] if name.startswith("fields.") else name
    if key in custom:
        return FieldRef(key, custom[key], custom=True)
    known = sorted([c.name for c in schema.columns if c.type is not FieldType.JSON] + [*schema.aliases, *custom])
    raise QueryError(f"unknown field for {schema.kind}; known fields: {', '.join(known)}", value=name)


def _scalar(field: FieldRef, value: Any, op: str) -> tuple[Any, bool]:
    """Check a value against the field's type; return (storage value, datepart)."""
    t = field.type
    if value is None:
        raise QueryError(f"{_where(field)}: use 'is empty' to look for missing values", value=value)
    if t in (FieldType.TEXT, FieldType.LIST):
        if not isinstance(value, str):
            raise QueryError(f"{_where(field)} takes text values", value=value)
        if "\x00" in value:
            raise QueryError(f"{_where(field)}: text values may not contain NUL characters", value=value)
        if not value.isascii():
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                raise QueryError(
                    f"{_where(field)}: text values must be valid Unicode (no lone surrogates)", value=value
                ) from None
        return value, False
    if t in (FieldType.INTEGER, FieldType.FLOAT):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
            raise QueryError(f"{_where(field)} takes numbers", value=value)
        return _number_storage(value), False
    if t is FieldType.BOOLEAN:
        if not isinstance(value, bool):
            raise QueryError(f"{_where(field)} takes True or False", value=value)
        if op not in ("eq", "ne"):
            raise QueryError(f"{_where(field)} supports only = and != (and is empty)", value=op)
        return int(value), False
    if t is FieldType.DATE:
        if isinstance(value, str):
            value = _parse_date(_where(field), value)
        if isinstance(value, datetime) or not isinstance(value, date):
            raise QueryError(f"{_where(field)} takes dates", value=value)
        return value.isoformat(), False
    if t is FieldType.DATETIME:
        if isinstance(value, datetime):
            if value.tzinfo is None:
                raise QueryError(f"{_where(field)} takes timezone-aware timestamps", value=value)
            try:
                return dump_datetime(value), False
            except OverflowError:
                raise QueryError(f"{_where(field)}: the timestamp is out of range in UTC", value=value) from None
        if isinstance(value, str):
            value = _parse_date(_where(field), value)
        if isinstance(value, date):
            return value.isoformat(), True
        raise QueryError(f"{_where(field)} takes timestamps or dates", value=value)
    raise QueryError(f"{_where(field)} cannot be filtered", value=value)


def _where(field: FieldRef) -> str:
    """How a message names a field (made only for a message)."""
    return f"field {field.name!r} ({field.type.value})"


def _parse_date(where: str, text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise QueryError(f"{where}: not an ISO date (YYYY-MM-DD)", value=text) from None


def _canonical_op(op: Any, value: Any) -> tuple[str, Any]:
    canonical = OPERATORS.get(op) if type(op) is str else None
    if canonical is not None:  # written as the table writes it: nothing to normalise
        return canonical, value
    if not isinstance(op, str):
        raise QueryError("an operator must be a string", value=op)
    text = " ".join(op.lower().split())
    m = _RELATIVE.match(text)
    if m:
        digits = m.group(2).lstrip("0") or "0"
        # int() refuses thousands of digits; any such number is past the calendar's end anyway
        days = int(digits) if len(digits) <= 100 else 10**100
        return ("next_days" if m.group(1) == "next" else "last_days"), days
    if text in ("within next", "within last"):
        text += " n days"
    canonical = OPERATORS.get(text)
    if canonical is None:
        raise QueryError(f"unknown operator; known: {', '.join(sorted(set(OPERATORS)))}", value=op)
    return canonical, value


def _bind_condition(
    i: int, cond: Condition, schema: KindSchema, custom: Mapping[str, FieldType], now: datetime
) -> Pred:
    field = resolve_field(cond.field, schema, custom)
    op, value = _canonical_op(cond.op, cond.value)
    try:
        return _bind_op(field, op, value, now)
    except QueryError as e:
        raise QueryError(f"condition {i + 1}: {e.message}", value=e.value) from None


def _bind_op(field: FieldRef, op: str, value: Any, now: datetime) -> Pred:
    t = field.type
    if op in _UNARY:
        return Pred(field, op)
    if t is FieldType.LIST:
        if op == "contains":
            return Pred(field, "has", _scalar(field, value, op)[0])
        if op in ("in", "not_in"):
            values = _many(field, value, op)
            return Pred(field, "has_any" if op == "in" else "has_none", values)
        raise QueryError(f"list field {field.name!r} supports contains, in, not in, is empty", value=op)
    if op in ("next_days", "last_days"):
        if t not in (FieldType.DATE, FieldType.DATETIME):
            raise QueryError(f"'within ... days' needs a date field, {field.name!r} is {t.value}", value=op)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise QueryError("'within ... days' takes a whole number of days >= 0", value=value)
        forward = op == "next_days"
        if t is FieldType.DATE:
            today = now.date()
            other = _shift_date(today, value, forward)
            lo, hi = (today, other) if forward else (other, today)
            return Pred(field, "between", (lo.isoformat(), hi.isoformat()))
        utc_now = now.astimezone(timezone.utc)
        other_t = _shift_moment(utc_now, value, forward)
        lo_t, hi_t = (utc_now, other_t) if forward else (other_t, utc_now)
        return Pred(field, "between", (dump_datetime(lo_t), dump_datetime(hi_t)))
    if op in ("contains", "starts_with"):
        if t is not FieldType.TEXT:
            raise QueryError(f"{op.replace('_', ' ')} needs a text field, {field.name!r} is {t.value}", value=op)
        return Pred(field, op, _scalar(field, value, op)[0].lower())
    if op in ("in", "not_in"):
        values = _many(field, value, op)
        dateparts = {_scalar(field, v, op)[1] for v in _raw_many(value)}
        if len(dateparts) > 1:
            raise QueryError(f"mix of dates and timestamps for {field.name!r}", value=value)
        return Pred(field, op, values, datepart=dateparts.pop())
    if op == "between":
        if not isinstance(value, (tuple, list)) or len(value) != 2:
            raise QueryError("between takes a pair (low, high)", value=value)
        (lo, dp1), (hi, dp2) = _scalar(field, value[0], op), _scalar(field, value[1], op)
        if dp1 != dp2:
            raise QueryError(f"mix of dates and timestamps for {field.name!r}", value=value)
        return Pred(field, "between", (lo, hi), datepart=dp1)
    if op in _ORDERED and t is FieldType.BOOLEAN:
        raise QueryError(f"field {field.name!r} (boolean) supports only = and !=", value=op)
    scalar, dp = _scalar(field, value, op)
    return Pred(field, op, scalar, datepart=dp)


def _shift_date(day: date, days: int, forward: bool) -> date:
    """``day`` moved by ``days``, stopping at the ends of the calendar."""
    try:
        return day + timedelta(days=days) if forward else day - timedelta(days=days)
    except OverflowError:
        return date.max if forward else date.min


def _shift_moment(moment: datetime, days: int, forward: bool) -> datetime:
    """A UTC ``moment`` moved by ``days``, stopping at the ends of the calendar."""
    try:
        return moment + timedelta(days=days) if forward else moment - timedelta(days=days)
    except OverflowError:
        end = datetime.max if forward else datetime.min
        return end.replace(tzinfo=timezone.utc)


def _number_storage(value: int | float) -> int | float:
    """A number as storage compares it: integers beyond 64 bits become floats
    (infinite past the float range), as SQLite reads them."""
    if type(value) is int and not _INT_MIN <= value <= _INT_MAX:
        try:
            return float(value)
        except OverflowError:
            return float("inf") if value > 0 else float("-inf")
    return value


def _raw_many(value: Any) -> list[Any]:
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise QueryError("in / not in take a list of values", value=value)
    return list(value)


def _many(field: FieldRef, value: Any, op: str) -> tuple[Any, ...]:
    items = _raw_many(value)
    if not items:
        raise QueryError("in / not in need at least one value", value=value)
    return tuple(dict.fromkeys(_scalar(field, v, op)[0] for v in items))


def bind(query: Query, schema: KindSchema, custom: Mapping[str, FieldType], now: datetime) -> BoundQuery:
    """Check ``query`` against a record kind and resolve it for the backends."""
    preds = [_bind_condition(i, c, schema, custom, now) for i, c in enumerate(query.conditions)]
    if query.logic is not None and not isinstance(query.logic, str):
        raise QueryError("logic is text such as '(1 AND 2) OR NOT 3'", value=query.logic)
    where: Node | None
    if query.logic is not None and query.logic.strip():
        if not preds:
            raise QueryError("logic given without conditions", value=query.logic)
        where = _substitute(parse_logic(query.logic, len(preds)), preds)
    elif not preds:
        where = None
    else:
        where = preds[0] if len(preds) == 1 else And(tuple(preds))
    sort = []
    for s in query.sort:
        field = resolve_field(s.field, schema, custom)
        if not field.type.sortable:
            raise QueryError(
                f"cannot sort by {field.name!r}: {field.type.value} fields are not sortable", value=s.field
            )
        sort.append((field, s.descending))
    limit = query.limit
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 0):
        raise QueryError("limit must be a whole number >= 0", value=limit)
    if isinstance(query.offset, bool) or not isinstance(query.offset, int) or query.offset < 0:
        raise QueryError("offset must be a whole number >= 0", value=query.offset)
    # Past 2**63 - 1 rows a limit is no limit and an offset skips everything;
    # clamping keeps the numbers within what a database accepts.
    if limit is not None and limit > _INT_MAX:
        limit = None
    return BoundQuery(schema.kind, where, tuple(sort), limit, min(query.offset, _INT_MAX))


def bind_group(
    group: GroupSpec | str,
    schema: KindSchema,
    custom: Mapping[str, FieldType],
    related: Callable[[str], KindSchema] | None = None,
) -> BoundGroup:
    """Check a grouping against a record kind; ``related`` gives the schema of a kind a
    reference names, for :class:`ByRelated` groupings."""
    if isinstance(group, str):
        group = ByField(group)
    if isinstance(group, ByRelated):
        return _bind_related(group, schema, custom, related)
    if not isinstance(group, (ByField, CalendarQuarter, FiscalQuarter, ByRange)):
        raise QueryError(
            "group by a field name, CalendarQuarter(field), FiscalQuarter(field) or ByRange(field, bounds)",
            value=group,
        )
    field = resolve_field(group.field, schema, custom)
    if isinstance(group, ByField):
        if not field.type.sortable:
            raise QueryError(f"cannot group by {field.name!r} ({field.type.value})", value=group.field)
        return BoundGroup(field, "value")
    if isinstance(group, ByRange):
        return BoundGroup(field, "range", bounds=_bounds(field, group.bounds))
    if field.type not in (FieldType.DATE, FieldType.DATETIME):
        raise QueryError(f"quarters need a date field, {field.name!r} is {field.type.value}", value=group.field)
    if isinstance(group, CalendarQuarter):
        return BoundGroup(field, "quarter", 1)
    m = group.start_month
    if isinstance(m, bool) or not isinstance(m, int) or not 1 <= m <= 12:
        raise QueryError("fiscal year start month must be 1..12", value=m)
    return BoundGroup(field, "fiscal", m)


def _bind_related(
    group: ByRelated, schema: KindSchema, custom: Mapping[str, FieldType], related: Callable[[str], KindSchema] | None
) -> BoundGroup:
    """A :class:`ByRelated` grouping: ``via`` a built-in reference to one kind, ``field``
    a built-in, groupable field of that kind (REPORT_01)."""
    if not isinstance(group.via, str) or not isinstance(group.field, str) or related is None:
        raise QueryError("a related grouping names a reference field and a field of what it names", value=group)
    via = resolve_field(group.via, schema, custom)
    kind = referenced_kind(schema, via)
    if kind is None:
        raise QueryError(f"{via.name!r} is no reference to one kind of record", value=group.via)
    field = resolve_field(group.field, related(kind), {})
    if field.custom or not field.type.sortable:
        raise QueryError(f"cannot group by {kind} field {field.name!r}", value=group.field)
    return BoundGroup(field, "value", via=via, via_kind=kind)


def referenced_kind(schema: KindSchema, via: FieldRef) -> str | None:
    """The kind a built-in reference field of ``schema`` names, when it names one kind."""
    if via.custom or via.type is not FieldType.TEXT:
        return None
    try:
        kind = attrs.fields_dict(schema.cls)[via.name].metadata.get("ref")
    except (KeyError, TypeError, attrs.exceptions.NotAnAttrsClassError):
        return None
    return kind if isinstance(kind, str) else None


def _bounds(field: FieldRef, bounds: Any) -> tuple[float, ...]:
    """A range grouping's bounds, checked: 1 to MAX_BOUNDS finite numbers, strictly ascending,
    over a number field (REPORT_01)."""
    if field.type not in (FieldType.INTEGER, FieldType.FLOAT):
        raise QueryError(f"value ranges need a number field, {field.name!r} is {field.type.value}", value=field.name)
    if not isinstance(bounds, tuple) or not 1 <= len(bounds) <= MAX_BOUNDS:
        raise QueryError(f"value ranges take 1 to {MAX_BOUNDS} bounds", value=bounds)
    try:
        checked = tuple(float(b) for b in bounds if not isinstance(b, bool) and isinstance(b, (int, float)))
    except OverflowError:
        checked = ()
    if len(checked) != len(bounds) or not all(math.isfinite(b) for b in checked):
        raise QueryError("range bounds are finite numbers", value=bounds)
    if any(lo >= hi for lo, hi in itertools.pairwise(checked)):
        raise QueryError("range bounds ascend strictly", value=bounds)
    return checked


def quarter_label(year: int, month: int, mode: str, start_month: int) -> str:
    """The label of the (calendar or fiscal) quarter that holds a month."""
    if mode == "quarter":
        return f"{year}-Q{(month - 1) // 3 + 1}"
    shifted = (month - start_month) % 12
    fiscal_year = year if month >= start_month else year - 1
    return f"FY{fiscal_year}-Q{shifted // 3 + 1}"


def quarter_of(value: Any, mode: str, start_month: int) -> str | None:
    """The quarter label of a date or timestamp in storage form (only its first
    seven characters, ``YYYY-MM``, are read); None for a value that is not a date."""
    m = _YEAR_MONTH.match(value[:7]) if isinstance(value, str) else None
    if m is None:
        return None
    return quarter_label(int(m.group(1)), int(m.group(2)), mode, start_month)


def to_storage(field: FieldRef, value: Any) -> Any:
    """A record's value for ``field`` in the storage form predicates compare with.

    A custom value of the wrong shape for its declared type (a list or mapping
    where one value is declared, a single value where a list is) was stored
    before the field was declared; it reads as missing.
    """
    if field.custom:
        if field.type is FieldType.LIST:
            return tuple(value) if isinstance(value, (list, tuple)) else None
        if isinstance(value, (list, tuple, Mapping)):
            return None
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, int):
            return _number_storage(value)
        return value
    if field.type is FieldType.LIST:
        return tuple(value) if value is not None else None
    return storage_scalar(field.type, value)
