"""Query-language conditions stored with scorecards and count measures
(SCORE_01, SCORE_02): checked in their stored, JSON-ready form, so a stored
condition always binds again.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from successkit.errors import QueryError, RuleViolation
from successkit.query.bind import BoundQuery, bind
from successkit.query.language import Condition, Query, combine

if TYPE_CHECKING:
    from successkit.kit import Kit

__all__ = ["MAX_CONDITIONS", "bind_stored", "stored_condition"]

#: At most this many conditions in one stored condition (SEC_07).
MAX_CONDITIONS = 50


def _plain(value: Any) -> Any:
    """A condition value in JSON form: dates as ISO text, tuples as lists."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    return value


def _as_list(rule: str, what: str, item: Any) -> list[Any]:
    if isinstance(item, Condition):
        return [item.field, item.op, _plain(item.value)]
    if isinstance(item, (tuple, list)) and len(item) in (2, 3):
        return [item[0], item[1], _plain(item[2]) if len(item) == 3 else None]
    raise RuleViolation(rule, f"{what}: a condition is (field, operator, value) or (field, operator)", value=item)


def stored_condition(kit: Kit, kind: str, where: Any, logic: Any, *, rule: str, what: str) -> dict[str, Any]:
    """``{"where": [[field, op, value], ...], "logic": text or None}``, checked by
    binding it against ``kind``; an empty ``where`` gives ``{}`` (no condition)."""
    if where is None or (isinstance(where, (list, tuple)) and not where):
        if logic is not None:
            raise RuleViolation(rule, f"{what}: logic given without conditions", value=logic)
        return {}
    if isinstance(where, (str, bytes, Mapping)) or not isinstance(where, Sequence):
        raise RuleViolation(rule, f"{what}: conditions are a list of (field, operator, value)", value=where)
    if len(where) > MAX_CONDITIONS:
        raise RuleViolation(rule, f"{what}: at most {MAX_CONDITIONS} conditions", value=len(where))
    items = [_as_list(rule, what, c) for c in where]
    if logic is not None and not isinstance(logic, str):
        raise RuleViolation(rule, f"{what}: logic is text such as '(1 AND 2) OR NOT 3'", value=logic)
    try:
        text = json.dumps(items, allow_nan=False)
    except (TypeError, ValueError):
        raise RuleViolation(rule, f"{what}: condition values are text, numbers, dates or lists", value=where) from None
    stored = {"where": json.loads(text), "logic": logic.strip() if logic and logic.strip() else None}
    try:
        kit.bind(kind, Query(conditions=[tuple(c) for c in stored["where"]], logic=stored["logic"]))
    except QueryError as e:
        raise RuleViolation(rule, f"{what}: {e.message}", value=e.value) from None
    return stored


def bind_stored(kit: Kit, kind: str, stored: Mapping[str, Any], now: datetime, extra: Sequence[Any] = ()) -> BoundQuery:
    """A stored condition (and ``extra`` conditions that must hold too), bound
    with ``now`` for relative dates ("within last 90 days")."""
    where = [tuple(c) for c in stored.get("where", ())]
    query = combine(extra, where, stored.get("logic"))
    schema = kit.store.schema(kind)
    try:
        return bind(query, schema, kit.custom_field_types(kind), now)
    except QueryError:
        return bind(query, schema, kit.custom_field_types(kind, refresh=True), now)
