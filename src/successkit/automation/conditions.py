"""Richer rule conditions (AUTO_02): on the change an event carries, on aggregates
over related records, and on signals (usage windows, NPS).

A rule's ``where`` is the query language, run by the database; it already reads
the score (``score.value``, ``score.grade``).  Two more keys go beyond what one
query over the targets can say:

- ``change``: conditions on the event's old and new values (``("grade_from", "=",
  "Green")``, ``("change_percent", "<", -20)``), evaluated by the dispatcher per
  event, so only the targets whose change satisfies them run.
- ``having``: conditions on what the database computes for each target after
  ``where`` selected it: an aggregate over related records (the CSM's number of
  customers, the company's open risk CTAs, the ARR of its child companies), a
  usage window (USAGE_02) or the NPS over a window (SURVEY_02).  Each is one
  grouped read for all the targets (two for a window), never one per target.

Every refusal is an AUTO_02 error naming the rule and the bad value, raised when
the rule is saved.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

from successkit.errors import QueryError, RuleViolation
from successkit.query.aggregate import bind_measures
from successkit.query.language import OPERATORS, Query

from .triggers import Event

if TYPE_CHECKING:
    from successkit.kit import Kit

__all__ = [
    "CHANGE_VALUES",
    "HAVING_OPERATORS",
    "RELATED_KINDS",
    "change_holds",
    "change_values",
    "check_change",
    "check_having",
    "having",
]

#: The values a ``change`` condition may name, per trigger event (activity
#: triggers also offer their declared fields as ``fields.<name>``).
CHANGE_VALUES: dict[str, frozenset[str]] = {
    "changed": frozenset({"from", "to", "change", "change_percent"}),
    "csm_changed": frozenset({"from", "to"}),
    "score": frozenset({"grade_from", "grade_to", "score_from", "score_to", "score_change", "score_change_percent"}),
    "goal_status": frozenset({"from", "to"}),
    "survey_response": frozenset({"category", "nps", "csat", "ces"}),
    "activity": frozenset({"type"}),
}
#: Operators of ``change`` conditions (canonical names of the query language's).
_CHANGE_OPS = frozenset({"eq", "ne", "lt", "le", "gt", "ge", "in", "not_in", "empty", "not_empty", "between"})
_CHANGE_OPS_TEXT = "=, !=, <, <=, >, >=, in, not in, between, is empty, is not empty"
#: Operators of ``having`` conditions, comparing a computed number.
HAVING_OPERATORS = ("=", "!=", "<", "<=", ">", ">=", "between", "is empty", "is not empty")
#: The record kinds a ``related`` aggregate may read.
RELATED_KINDS = ("company", "relationship", "person", "cta", "task", "plan", "objective", "activity", "goal")
_FUNCTIONS = ("count", "count_distinct", "sum", "mean", "min", "max")
_RELATED_KEYS = frozenset({*_FUNCTIONS, "of", "by", "to", "where", "logic"})
_USAGE_KEYS = frozenset({"metric", "days", "function", "measure"})
_NPS_KEYS = frozenset({"months", "measure"})
_NPS_MEASURES = ("nps", "csat", "responses")
_SOURCES = ("related", "usage", "nps")
#: The most ``having`` conditions a rule takes (each costs a read or two per run).
MAX_HAVING = 10
#: The largest magnitude a number in a condition may have (beyond, a float loses whole units).
MAX_NUMBER = 10**15
#: The longest text a change condition compares with (as a rule's texts, SEC_07).
_MAX_TEXT = 500
#: The most values an ``in`` or ``not in`` change condition lists (SEC_07).
MAX_VALUES = 1000

Bad = Callable[[str, Any], RuleViolation]


def _bad_for(name: str) -> Bad:
    def bad(message: str, value: Any) -> RuleViolation:
        return RuleViolation("AUTO_02", f"rule {name!r}: {message}", value=value)

    return bad


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _fits(v: Any) -> bool:
    """A number a stored condition may hold: finite, at most :data:`MAX_NUMBER` either way."""
    return _is_number(v) and abs(v) <= MAX_NUMBER  # NaN and infinities compare false; big ints do not overflow


# ------------------------------------------------------------------------ the change
def check_change(kit: Kit, name: str, trigger: Mapping[str, Any] | None, change: Any) -> list[list[Any]]:
    """The checked ``change`` conditions of rule ``name``: (value, operator, operand)
    triples on what its trigger's event carries (AUTO_02)."""
    bad = _bad_for(name)
    if trigger is None:
        raise bad("'change' conditions need a trigger: a rule run by call has no change", "change")
    if isinstance(change, (str, bytes, Mapping)) or not isinstance(change, Sequence) or not change:
        raise bad("'change' is a non-empty list of conditions (value, operator, operand)", change)
    on = trigger["on"]
    known = set(CHANGE_VALUES.get(on, ()))
    if on == "activity":
        known |= {f"fields.{f}" for f in kit.declared_fields("activity")}
    out: list[list[Any]] = []
    for c in change:
        if isinstance(c, (str, bytes, Mapping)) or not isinstance(c, Sequence) or len(c) not in (2, 3):
            raise bad("a change condition is (value, operator, operand)", c)
        value, op_text, operand = c[0], c[1], c[2] if len(c) == 3 else None
        if on == "activity" and isinstance(value, str) and f"fields.{value}" in known:
            value = f"fields.{value}"
        if not isinstance(value, str) or value not in known:
            carries = ", ".join(sorted(known)) or "no values to test"
            raise bad(f"a {on!r} event carries {carries}", value)
        op = OPERATORS.get(op_text) if isinstance(op_text, str) else None
        if op not in _CHANGE_OPS:
            raise bad(f"a change condition's operator is one of {_CHANGE_OPS_TEXT}", op_text)
        out.append([value, op_text, _operand(op, operand, bad)])
    return out


def _operand(op: str, operand: Any, bad: Bad) -> Any:
    if isinstance(operand, date):
        operand = operand.isoformat()
    if op in ("empty", "not_empty"):
        return None
    if op in ("in", "not_in"):
        if isinstance(operand, (str, bytes, Mapping)) or not isinstance(operand, Sequence):
            raise bad(f"'{op}' takes a list of values", operand)
        if len(operand) > MAX_VALUES:
            raise bad(f"'{op}' takes at most {MAX_VALUES} values (SEC_07)", len(operand))
        return [_scalar(v, bad) for v in operand]
    if op == "between":
        if not isinstance(operand, Sequence) or isinstance(operand, str) or len(operand) != 2:
            raise bad("'between' takes [low, high]", operand)
        return [_scalar(v, bad) for v in operand]
    if op in ("lt", "le", "gt", "ge") and not (_is_number(operand) or isinstance(operand, str)):
        raise bad("an order comparison takes a number or text", operand)
    return _scalar(operand, bad)


def _scalar(v: Any, bad: Bad) -> Any:
    if isinstance(v, date):
        return v.isoformat()
    if v is not None and not isinstance(v, (str, int, float, bool)):
        raise bad("a change condition compares text, numbers, true/false, dates or null", v)
    if _is_number(v) and not _fits(v):
        raise bad(f"a change condition's number is finite, at most {MAX_NUMBER:.0e} either way", v)
    if isinstance(v, str) and len(v) > _MAX_TEXT:
        raise bad(f"a change condition's text is at most {_MAX_TEXT} characters (SEC_07)", len(v))
    return v


def change_values(event: Event) -> dict[str, Any]:
    """What ``change`` conditions read from an event: its values, with the change of
    a number (``change``, ``change_percent``; ``score_change``, ``score_change_percent``)
    and an activity's fields as ``fields.<name>``."""
    v = dict(event.values)
    if event.on == "changed":
        v["change"], v["change_percent"] = _moved(v.get("from"), v.get("to"))
    elif event.on == "score":
        v["score_change"], v["score_change_percent"] = _moved(v.get("score_from"), v.get("score_to"))
    elif event.on == "activity":
        v.update({f"fields.{k}": x for k, x in (v.get("fields") or {}).items()})
    return v


def _moved(old: Any, new: Any) -> tuple[float | None, float | None]:
    if not (_is_number(old) and _is_number(new)):
        return None, None
    percent = None if old == 0 else 100.0 * (new - old) / abs(old)
    return new - old, percent


def change_holds(conditions: Sequence[Sequence[Any]], event: Event) -> bool:
    """Whether every ``change`` condition holds for ``event`` (AUTO_02)."""
    values = change_values(event)
    return all(compare(OPERATORS[op], values.get(name), operand) for name, op, operand in conditions)


def compare(op: str, actual: Any, operand: Any) -> bool:
    """``actual <op> operand``; a missing value or one of another type compares false
    (except ``is empty``, ``!=`` and ``not in``)."""
    if op == "empty":
        return actual is None or actual == ""
    if op == "not_empty":
        return not (actual is None or actual == "")
    if op == "eq":
        return _same(actual, operand)
    if op == "ne":
        return not _same(actual, operand)
    if op == "in":
        return any(_same(actual, o) for o in operand)
    if op == "not_in":
        return not any(_same(actual, o) for o in operand)
    if op == "between":
        return _ordered(operand[0], actual, "le") and _ordered(actual, operand[1], "le")
    return _ordered(actual, operand, op)


def _same(a: Any, b: Any) -> bool:
    if _is_number(a) and _is_number(b):
        return bool(a == b)
    return type(a) is type(b) and bool(a == b)


def _ordered(a: Any, b: Any, op: str) -> bool:
    if not ((_is_number(a) and _is_number(b)) or (isinstance(a, str) and isinstance(b, str))):
        return False
    return bool({"lt": a < b, "le": a <= b, "gt": a > b, "ge": a >= b}[op])


# ------------------------------------------------------------------------ checking having
def check_having(kit: Kit, name: str, target: str, having: Any) -> list[dict[str, Any]]:
    """The checked ``having`` conditions of rule ``name`` (AUTO_02): each a mapping
    with one of ``related``, ``usage`` or ``nps``, an ``op`` and a ``value``."""
    bad = _bad_for(name)
    if isinstance(having, (str, bytes, Mapping)) or not isinstance(having, Sequence) or not having:
        raise bad("'having' is a non-empty list of conditions", having)
    if len(having) > MAX_HAVING:
        raise bad(f"at most {MAX_HAVING} 'having' conditions", len(having))
    return [_check_one(kit, target, c, bad) for c in having]


def _check_one(kit: Kit, target: str, c: Any, bad: Bad) -> dict[str, Any]:
    if not isinstance(c, Mapping):
        raise bad("a 'having' condition is a mapping with related, usage or nps, op and value", c)
    sources = [s for s in _SOURCES if s in c]
    unknown = set(c) - {*_SOURCES, "op", "value"}
    if unknown:
        known = ", ".join((*_SOURCES, "op", "value"))
        raise bad(f"unknown key in a 'having' condition; known: {known}", sorted(unknown)[0])
    if len(sources) != 1:
        raise bad("a 'having' condition takes one of related, usage or nps", sorted(c))
    source = sources[0]
    spec: dict[str, Any]
    if source == "related":
        spec = _check_related(kit, target, c["related"], bad)
    elif source == "usage":
        spec = _check_usage(kit, c["usage"], bad)
    else:
        spec = _check_nps(c["nps"], bad)
    op = c.get("op")
    if op not in HAVING_OPERATORS:
        raise bad(f"a 'having' condition's op is one of {', '.join(HAVING_OPERATORS)}", op)
    value = c.get("value")
    if op == "between":
        if not (isinstance(value, Sequence) and not isinstance(value, str) and len(value) == 2) or not all(
            map(_fits, value)
        ):
            raise bad("'between' takes [low, high] numbers", value)
        value = list(value)
    elif op in ("is empty", "is not empty"):
        value = None
    elif not _fits(value):
        raise bad(f"a 'having' condition compares with a finite number, at most {MAX_NUMBER:.0e} either way", value)
    return {source: spec, "op": op, "value": value}


def _check_related(kit: Kit, target: str, spec: Any, bad: Bad) -> dict[str, Any]:
    if not isinstance(spec, Mapping):
        raise bad("'related' is a mapping such as {'count': 'company', 'by': 'csm_id'}", spec)
    unknown = set(spec) - _RELATED_KEYS
    if unknown:
        raise bad(f"unknown key in 'related'; known: {', '.join(sorted(_RELATED_KEYS))}", sorted(unknown)[0])
    if len([f for f in _FUNCTIONS if f in spec]) != 1:
        raise bad(f"'related' takes one of {', '.join(_FUNCTIONS)}", sorted(spec))
    func, kind, field = _function_of(spec)
    if func == "count" and "of" in spec:
        raise bad("'count' names the kind counted; 'of' goes with the other functions", spec["of"])
    if not isinstance(kind, str) or kind not in RELATED_KINDS:
        raise bad(f"the related kind is one of {', '.join(RELATED_KINDS)}", kind)
    by = spec.get("by")
    if not isinstance(by, str) or not by:
        raise bad(f"'related' needs 'by': the {kind} field that links it to the target", by)
    try:
        kit.bind_group(kind, by)
    except QueryError:
        raise bad(f"a {kind} has no field of this name to link by", by) from None
    to = spec.get("to", _default_to(target, by))
    if not isinstance(to, str) or not _target_field(kit, target, to):
        raise bad(f"'to' names a field of the {target} that {kind}.{by} equals", to)
    if field is not None:
        try:
            bind_measures({"v": (func, field)}, kit.store.schema(kind), kit.custom_field_types(kind))
        except QueryError as e:
            raise bad(f"{func} of {kind}: {e.message}", field) from None
    where = [tuple(x) if isinstance(x, list) else x for x in spec.get("where") or []]
    try:
        kit.bind(kind, Query(conditions=where, logic=spec.get("logic")))
    except QueryError as e:
        raise bad(f"'where' of related {kind}: {e.message}", e.value) from None
    out: dict[str, Any] = {func: kind} if field is None else {func: field, "of": kind}
    return {**out, "by": by, "to": to, "where": [list(x) for x in where], "logic": spec.get("logic")}


def _function_of(spec: Mapping[str, Any]) -> tuple[str, Any, Any]:
    """(function, related kind, field read) of a ``related`` spec: ``{"count": kind}``
    or ``{"sum": field, "of": kind}``."""
    func = next(f for f in _FUNCTIONS if f in spec)
    return (func, spec["count"], None) if func == "count" else (func, spec.get("of"), spec[func])


def _default_to(target: str, by: str) -> str:
    """A link to the target kind itself (``company_id`` of a company rule) compares with
    its id; any other field with the target's field of that name (``csm_id``)."""
    return "id" if by == f"{target}_id" or (target == "company" and by == "parent_id") else by


def _target_field(kit: Kit, target: str, name: str) -> bool:
    return name in kit.store.schema(target).by_name or name.removeprefix("fields.") in kit.declared_fields(target)


def _check_usage(kit: Kit, spec: Any, bad: Bad) -> dict[str, Any]:
    from successkit.signals.usage import FUNCTIONS

    if not isinstance(spec, Mapping) or set(spec) - _USAGE_KEYS:
        raise bad(f"'usage' is a mapping of {', '.join(sorted(_USAGE_KEYS))}", spec)
    metric = spec.get("metric")
    if not isinstance(metric, str) or metric not in kit.metrics.declared_keys():
        raise bad("'usage' names a declared usage metric", metric)
    days = spec.get("days", 30)
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 3660:
        raise bad("'usage' days is a window of 1 to 3660 days", days)
    function = spec.get("function", "sum")
    if function not in FUNCTIONS:
        raise bad(f"'usage' function is one of {', '.join(FUNCTIONS)}", function)
    measure = spec.get("measure", "value")
    if measure not in ("value", "change"):
        raise bad("'usage' measure is 'value' (the window's) or 'change' (in % against the window before)", measure)
    return {"metric": metric, "days": days, "function": function, "measure": measure}


def _check_nps(spec: Any, bad: Bad) -> dict[str, Any]:
    if not isinstance(spec, Mapping) or set(spec) - _NPS_KEYS:
        raise bad(f"'nps' is a mapping of {', '.join(sorted(_NPS_KEYS))}", spec)
    months = spec.get("months", 12)
    if isinstance(months, bool) or not isinstance(months, int) or not 1 <= months <= 120:
        raise bad("'nps' months is a window of 1 to 120 months", months)
    measure = spec.get("measure", "nps")
    if measure not in _NPS_MEASURES:
        raise bad(f"'nps' measure is one of {', '.join(_NPS_MEASURES)}", measure)
    return {"months": months, "measure": measure}


# ------------------------------------------------------------------------ applying having
def having(kit: Kit, target: str, targets: Sequence[Any], conditions: Sequence[Mapping[str, Any]]) -> list[Any]:
    """The targets for which every ``having`` condition holds: one grouped read per
    related aggregate, two per usage window or NPS window, for all targets."""
    kept = list(targets)
    for c in conditions:
        if not kept:
            break
        if "related" in c:
            values = _related(kit, target, kept, c["related"])
        elif "usage" in c:
            values = _usage(kit, target, kept, c["usage"])
        else:
            values = _nps(kit, target, kept, c["nps"])
        op = OPERATORS[c["op"]]
        kept = [t for t in kept if compare(op, values.get(t.id), c["value"])]
    return kept


def _field_of(record: Any, name: str) -> Any:
    if name.startswith("fields.") or not hasattr(record, name):
        return record.fields.get(name.removeprefix("fields."))
    return getattr(record, name)


def _related(kit: Kit, target: str, targets: Sequence[Any], spec: Mapping[str, Any]) -> dict[str, Any]:
    """Each target's aggregate: one grouped read of the related kind (REPORT_01), by
    the link field, among the values the targets hold."""
    links = {t.id: _field_of(t, spec["to"]) for t in targets}
    wanted = sorted({v for v in links.values() if v is not None}, key=str)
    found: dict[Any, Any] = {}
    func, kind, field = _function_of(spec)
    if wanted:
        by = spec["by"]
        where = [tuple(x) for x in spec["where"]]
        logic = spec.get("logic")
        where.append((by, "in", wanted))
        if logic is not None:
            logic = f"({logic}) AND {len(where)}"
        measure = {"v": "count"} if field is None else {"v": (func, field)}
        bound = kit.bind(kind, Query(conditions=where, logic=logic))
        measures = bind_measures(measure, kit.store.schema(kind), kit.custom_field_types(kind))
        rows = kit.store.aggregate(bound, [kit.bind_group(kind, by)], measures)
        found = {keys[0]: values[0] for keys, values in rows if keys[0] is not None}
    empty = 0 if func in ("count", "count_distinct", "sum") else None
    return {tid: found.get(v, empty) if v is not None else empty for tid, v in links.items()}


def _usage(kit: Kit, target: str, targets: Sequence[Any], spec: Mapping[str, Any]) -> dict[str, Any]:
    """Each target's usage window (or its change in %): one window read (two calls)."""
    ids = [t.id for t in targets]
    window = kit.usage.window(spec["metric"], days=spec["days"], function=spec["function"], record_kind=target,
                              records=ids)  # fmt: skip
    rows = {r.record_id: r for r in window}
    if spec["measure"] == "change":
        return {i: rows[i].change if i in rows else None for i in ids}
    none = 0 if spec["function"] in ("sum", "active_persons") else None  # no usage: nothing summed
    return {i: (rows[i].current if i in rows and rows[i].current is not None else none) for i in ids}


def _nps(kit: Kit, target: str, targets: Sequence[Any], spec: Mapping[str, Any]) -> dict[str, Any]:
    """Each target's NPS, CSAT or response count over the window: two storage calls."""
    ids = [t.id for t in targets]
    scores = {r.record_id: r for r in kit.surveys.scores(record_kind=target, records=ids, months=spec["months"])}
    measure = spec["measure"]
    if measure == "responses":
        return {i: scores[i].responses if i in scores else 0 for i in ids}
    return {i: getattr(scores[i], measure) if i in scores else None for i in ids}
