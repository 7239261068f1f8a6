"""What callers write: conditions, advanced logic, sort, paging and grouping.

A :class:`Query` is checked and turned into a bound query by
:func:`successkit.query.bind.bind`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs

from successkit.errors import QueryError

__all__ = [
    "OPERATORS",
    "ByField",
    "ByRange",
    "ByRelated",
    "CalendarQuarter",
    "Condition",
    "FiscalQuarter",
    "Query",
    "Sort",
    "ValueRange",
    "combine",
]

#: Operators users may write, mapped to their canonical name.
OPERATORS: dict[str, str] = {
    "=": "eq", "==": "eq", "eq": "eq", "equals": "eq",
    "!=": "ne", "<>": "ne", "ne": "ne", "not equals": "ne",
    "<": "lt", "lt": "lt", "<=": "le", "le": "le",
    ">": "gt", "gt": "gt", ">=": "ge", "ge": "ge",
    "in": "in", "not in": "not_in",
    "contains": "contains", "starts with": "starts_with",
    "is empty": "empty", "is not empty": "not_empty",
    "between": "between",
    "within next n days": "next_days", "within last n days": "last_days",
}  # fmt: skip


# ----------------------------------------------------------------------- what callers write
@attrs.frozen
class Condition:
    """One numbered condition: ``(field, operator, value)``."""

    field: str
    op: str
    value: Any = None


@attrs.frozen
class Sort:
    """One sort key; nulls always sort last, whatever the direction."""

    field: str
    descending: bool = False

    @classmethod
    def parse(cls, spec: str | Sort | tuple[str, str]) -> Sort:
        """Accept ``"name"``, ``"-name"``, ``("name", "desc")`` or a Sort."""
        if type(spec) is str:
            return cls(spec[1:], True) if spec.startswith("-") else cls(spec)
        if isinstance(spec, Sort):
            return spec
        if isinstance(spec, tuple):
            if len(spec) != 2:
                raise QueryError("a sort key tuple is (field, 'asc'|'desc')", value=spec)
            field, direction = spec
            if not isinstance(field, str):
                raise QueryError("a sort key names a field", value=field)
            if not isinstance(direction, str) or direction.lower() not in ("asc", "desc"):
                raise QueryError("sort direction must be 'asc' or 'desc'", value=direction)
            return cls(field, direction.lower() == "desc")
        if isinstance(spec, str):
            return cls(spec[1:], True) if spec.startswith("-") else cls(spec)
        raise QueryError("a sort key is a field name, '-field' or (field, 'asc'|'desc')", value=spec)


@attrs.frozen
class ByField:
    """Group by the value of a field."""

    field: str


@attrs.frozen
class CalendarQuarter:
    """Group a date field by calendar quarter, labelled ``2027-Q1``."""

    field: str


@attrs.frozen
class FiscalQuarter:
    """Group a date field by fiscal quarter, labelled ``FY2026-Q1``.

    A fiscal year is named after the calendar year in which it starts: with
    ``start_month=4``, April 2026 to March 2027 is FY2026.
    """

    field: str
    start_month: int = 4


def _as_tuple(bounds: Any) -> Any:
    """Bounds given as a list become a tuple (the record stays hashable); other values are
    kept for the binding to refuse."""
    return tuple(bounds) if isinstance(bounds, (list, tuple)) else bounds


@attrs.frozen
class ByRange:
    """Group a number field into value ranges cut at ``bounds`` (ascending): below the
    first bound, from each bound up to the next (the lower one included), and from the
    last bound up.  ``ByRange("arr", (10_000, 100_000))`` gives three ranges."""

    field: str
    bounds: tuple[float, ...] = attrs.field(converter=_as_tuple)


@attrs.frozen
class ByRelated:
    """Group by a built-in field of the record a reference names (REPORT_01):
    ``ByRelated("company_id", "csm_id")`` groups CTAs by their company's CSM.  A record
    whose reference is empty, or names no record, is in the empty group."""

    via: str
    field: str


@attrs.frozen(order=True)
class ValueRange:
    """A range of a :class:`ByRange` grouping: ``low <= value < high``, None for no
    bound; it prints as ``10,000-100,000``, ``< 10,000`` or ``>= 100,000``."""

    low: float | None
    high: float | None

    def __str__(self) -> str:
        if self.low is None:
            return f"< {_shown(self.high)}"
        if self.high is None:
            return f">= {_shown(self.low)}"
        return f"{_shown(self.low)}-{_shown(self.high)}"


def _shown(bound: float | None) -> str:
    value = float(bound or 0)
    return f"{int(value):,}" if value.is_integer() else f"{value:,}"


GroupSpec = ByField | CalendarQuarter | FiscalQuarter | ByRange | ByRelated
ConditionLike = Condition | Sequence[Any]


def _items(what: str, items: Any) -> Iterable[Any]:
    """A list given as any ordered iterable: conditions are numbered and sort keys
    ranked by position, so a set (no order) or a mapping is refused like a number."""
    if type(items) is list or type(items) is tuple:  # the usual case, without the ABC checks
        return items
    if isinstance(items, (str, bytes, bytearray, Mapping, set, frozenset)) or not isinstance(items, Iterable):
        raise QueryError(f"{what} are given as a list", value=items)
    return items


def _conditions(items: Iterable[ConditionLike] | None) -> tuple[Condition, ...]:
    if items is None:
        return ()
    out = []
    for item in _items("conditions", items):
        if isinstance(item, Condition):
            out.append(item)
        elif isinstance(item, (tuple, list)) and len(item) in (2, 3):
            out.append(Condition(*item))
        else:
            raise QueryError("a condition is (field, operator, value) or (field, operator)", value=item)
    return tuple(out)


def _sorts(items: Iterable[Any] | str | None) -> tuple[Sort, ...]:
    if items is None:
        return ()
    if isinstance(items, (str, Sort)):
        items = [items]
    return tuple(Sort.parse(s) for s in _items("sort keys", items))


@attrs.frozen
class Query:
    """A whole query: conditions, logic over their numbers, sort and paging."""

    conditions: tuple[Condition, ...] = attrs.field(default=(), converter=_conditions)
    logic: str | None = None
    sort: tuple[Sort, ...] = attrs.field(default=(), converter=_sorts)
    limit: int | None = None
    offset: int = 0


def combine(
    extra: Sequence[ConditionLike],
    where: Iterable[ConditionLike] | Query | None = None,
    logic: str | None = None,
    sort: Any = None,
    limit: int | None = None,
    offset: int = 0,
    *,
    negated: Sequence[ConditionLike] = (),
) -> Query:
    """A query holding the caller's conditions and logic plus ``extra``
    conditions that must all hold too, and ``negated`` ones that must not
    (views add their own filters this way)."""
    if isinstance(where, Query):
        base = where
    else:
        base = Query(conditions=where or (), logic=logic, sort=sort, limit=limit, offset=offset)
    n = len(base.conditions)
    extra_conds = _conditions(extra)
    negated_conds = _conditions(negated)
    if not extra_conds and not negated_conds:
        return base
    if base.logic is not None and not isinstance(base.logic, str):
        raise QueryError("logic is text such as '(1 AND 2) OR NOT 3'", value=base.logic)
    terms = [str(n + i + 1) for i in range(len(extra_conds))]
    terms += [f"NOT {n + len(extra_conds) + i + 1}" for i in range(len(negated_conds))]
    if base.logic is not None and base.logic.strip():
        new_logic: str | None = f"({base.logic}) AND " + " AND ".join(terms)
    elif negated_conds:
        new_logic = " AND ".join([*(str(i + 1) for i in range(n)), *terms])
    else:
        new_logic = None
    return attrs.evolve(base, conditions=base.conditions + extra_conds + negated_conds, logic=new_logic)
