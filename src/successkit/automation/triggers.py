"""Event triggers of rules (AUTO_01) and enrolment limits (AUTO_04): what a rule
listens to, checked when the rule is stored, and whether an event matches it.

An event is what a service reports from inside its transaction (a record created,
an attribute changed, a score moved, a survey answered, an activity logged); the
dispatcher in :mod:`successkit.automation.events` hands it to the rules whose
trigger it matches once the transaction has committed.  Every refusal here is an
AUTO_01 (trigger) or AUTO_04 (limit) error naming the rule and the bad value.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import TYPE_CHECKING, Any

import attrs

from successkit.errors import RuleViolation, article

if TYPE_CHECKING:
    from successkit.kit import Kit

__all__ = ["EVENTS", "LIMITS", "NPS_CATEGORIES", "Event", "check_limit", "check_trigger", "matches", "target_of"]

#: The events a rule can listen to, with the keys each trigger takes (``on`` names the event).
EVENTS: dict[str, frozenset[str]] = {
    "created": frozenset({"on"}),
    "changed": frozenset({"on", "field", "from", "to"}),
    "csm_changed": frozenset({"on"}),
    "score": frozenset({"on", "grade_from", "grade_to", "dropped_by"}),
    "survey_response": frozenset({"on", "category"}),
    "activity": frozenset({"on", "type", "field", "value"}),
    "goal_status": frozenset({"on", "from", "to"}),
    "usage_change": frozenset({"on", "metric", "days", "function", "below_percent", "above_percent"}),
}
#: The NPS categories a survey-response trigger may ask for (SURVEY_01).
NPS_CATEGORIES = ("promoter", "passive", "detractor")
#: The keys of an enrolment limit: ``{"once": True}`` or ``{"every_days": N}``.
LIMITS = frozenset({"once", "every_days"})
_NOT_WATCHABLE = frozenset({"id", "version", "created_at", "updated_at", "created_by", "fields"})
_SCALARS = (str, int, float, bool, type(None))
_MAX_DAYS = 36_500
_MAX_NUMBER = 10**15  # beyond, a float loses whole units
_MAX_TEXT = 500  # as a rule's texts (SEC_07)


@attrs.frozen
class Event:
    """Something that happened to a company or relationship, reported by the
    service that made it happen: ``on`` is the event (see :data:`EVENTS`),
    ``kind`` the kind of record it is about (``company``, ``relationship``,
    ``survey_response``, ``activity``), ``values`` what a trigger compares
    (``field``/``from``/``to``, ``grade_from``/``grade_to``/``score_from``/
    ``score_to``, ``category``, ``type``/``fields``)."""

    on: str
    kind: str
    company_id: str
    relationship_id: str | None = None
    values: Mapping[str, Any] = attrs.field(factory=dict)


def check_trigger(kit: Kit, name: str, target: str, trigger: Any) -> dict[str, Any]:
    """The checked trigger of rule ``name`` selecting ``target`` (AUTO_01)."""

    def bad(message: str, value: Any) -> RuleViolation:
        return RuleViolation("AUTO_01", f"rule {name!r}: {message}", value=value)

    if not isinstance(trigger, Mapping):
        raise bad("a trigger is a mapping with 'on'", trigger)
    on = trigger.get("on")
    if not isinstance(on, str) or on not in EVENTS:
        raise bad(f"a trigger's 'on' is one of {', '.join(EVENTS)}", on)
    unknown = set(trigger) - EVENTS[on]
    if unknown:
        raise bad(f"unknown key in a {on!r} trigger; known: {', '.join(sorted(EVENTS[on]))}", sorted(unknown)[0])
    out: dict[str, Any] = {"on": on}
    if on == "changed":
        out["field"] = _watched_field(kit, target, trigger.get("field"), bad)
        for key in ("from", "to"):
            if key in trigger:
                out[key] = _scalar(trigger[key], f"'{key}'", bad)
    elif on == "score":
        for key in ("grade_from", "grade_to"):
            if trigger.get(key) is not None:
                out[key] = _text(trigger[key], f"'{key}'", bad)
        if trigger.get("dropped_by") is not None:
            drop = trigger["dropped_by"]
            if isinstance(drop, bool) or not isinstance(drop, (int, float)) or not 0 < drop <= 100:
                raise bad("'dropped_by' is a number of points above 0, at most 100", drop)
            out["dropped_by"] = drop
    elif on == "survey_response":
        category = trigger.get("category")
        if category is not None and category not in NPS_CATEGORIES:
            raise bad(f"'category' is one of {', '.join(NPS_CATEGORIES)}", category)
        out["category"] = category
    elif on == "activity":
        out.update(_activity_trigger(kit, trigger, bad))
    elif on == "usage_change":
        out.update(_usage_trigger(kit, trigger, bad))
    elif on == "goal_status":
        for key in ("from", "to"):
            if trigger.get(key) is not None:
                if not isinstance(trigger[key], str) or trigger[key] not in {s.key for s in kit.statuses.of("goal")}:
                    known = ", ".join(s.key for s in kit.statuses.of("goal"))
                    raise bad(f"'{key}' is a goal status; known: {known}", trigger[key])
                out[key] = trigger[key]
    return out


def _activity_trigger(kit: Kit, trigger: Mapping[str, Any], bad: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    kind = trigger.get("type")
    if kind is not None:
        if not isinstance(kind, str) or kind not in kit.activity_types:
            raise bad(f"unknown activity type; known: {', '.join(kit.activity_types.keys())}", kind)
        out["type"] = kind
    if "field" in trigger or "value" in trigger:
        field = trigger.get("field")
        declared = kit.declared_fields("activity")
        if not isinstance(field, str) or field not in declared:
            raise bad("'field' names a declared activity field, with the 'value' to match", field)
        out["field"] = field
        out["value"] = _scalar(trigger.get("value"), "'value'", bad)
    return out


def _usage_trigger(kit: Kit, trigger: Mapping[str, Any], bad: Any) -> dict[str, Any]:
    """A declared metric, a window (``days``, default 30; ``function``, default sum) and
    exactly one of ``below_percent`` (a fall, below 0) or ``above_percent`` (a rise, above 0)."""
    from successkit.signals.usage import FUNCTIONS

    metric = trigger.get("metric")
    if not isinstance(metric, str) or metric not in kit.metrics.declared_keys():
        raise bad("'metric' names a declared usage metric", metric)
    days = trigger.get("days", 30)
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 3660:
        raise bad("'days' is a window of 1 to 3660 days", days)
    function = trigger.get("function", "sum")
    if function not in FUNCTIONS:
        raise bad(f"'function' is one of {', '.join(FUNCTIONS)}", function)
    bounds = [k for k in ("below_percent", "above_percent") if trigger.get(k) is not None]
    if len(bounds) != 1:
        raise bad("a usage trigger takes one of 'below_percent' or 'above_percent'", sorted(trigger))
    value = trigger[bounds[0]]
    sign = -1 if bounds[0] == "below_percent" else 1
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value * sign <= 10_000:
        raise bad(f"'{bounds[0]}' is a change in % {'below' if sign < 0 else 'above'} 0", value)
    return {"metric": metric, "days": days, "function": function, bounds[0]: value}


def _watched_field(kit: Kit, target: str, field: Any, bad: Any) -> str:
    """A built-in attribute of the target kind, or a declared custom field (as ``fields.<name>``)."""
    if not isinstance(field, str) or not field:
        raise bad("a 'changed' trigger names the 'field' it watches", field)
    key = field.removeprefix("fields.")
    if key in kit.declared_fields(target):
        return f"fields.{key}"
    if field in kit.store.schema(target).by_name and field not in _NOT_WATCHABLE:
        return field
    raise bad(f"{article(target)} has no field of this name to watch", field)


def _scalar(value: Any, what: str, bad: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if not isinstance(value, _SCALARS) or (isinstance(value, float) and value != value):
        raise bad(f"{what} is text, a number, true/false, a date or null", value)
    if isinstance(value, (int, float)) and not isinstance(value, bool) and not abs(value) <= _MAX_NUMBER:
        raise bad(f"{what} is a finite number, at most {_MAX_NUMBER:.0e} either way", value)
    if isinstance(value, str) and len(value) > _MAX_TEXT:
        raise bad(f"{what} is text of at most {_MAX_TEXT} characters (SEC_07)", len(value))
    return value


def _text(value: Any, what: str, bad: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise bad(f"{what} is text", value)
    return value


def check_limit(name: str, limit: Any) -> dict[str, Any]:
    """The checked enrolment limit of rule ``name`` (AUTO_04)."""

    def bad(message: str, value: Any) -> RuleViolation:
        return RuleViolation("AUTO_04", f"rule {name!r}: {message}", value=value)

    if not isinstance(limit, Mapping) or len(limit) != 1 or not set(limit) <= LIMITS:
        raise bad("a limit is {'once': true} or {'every_days': N}", limit)
    if "once" in limit:
        if limit["once"] is not True:
            raise bad("'once' is true", limit["once"])
        return {"once": True}
    days = limit["every_days"]
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= _MAX_DAYS:
        raise bad(f"'every_days' is a whole number of days from 1 to {_MAX_DAYS}", days)
    return {"every_days": days}


def target_of(target: str, event: Event) -> str | None:
    """The id of the record of kind ``target`` the event is about, if any: a company
    rule hears of its relationships' activities, survey responses and goals, not of
    their attribute changes."""
    if event.kind in ("survey_response", "activity", "goal", "usage_fact"):
        return event.company_id if target == "company" else event.relationship_id
    if event.kind != target:
        return None
    return event.company_id if target == "company" else event.relationship_id


def matches(trigger: Mapping[str, Any], event: Event) -> bool:
    """Whether ``event`` is one ``trigger`` listens to."""
    on, v = trigger["on"], event.values
    if on == "csm_changed":  # a change of the csm_id attribute
        return event.on == "changed" and v["field"] == "csm_id"
    if on != event.on:
        return False
    if on == "changed":
        return (
            v["field"] == trigger["field"]
            and ("from" not in trigger or v["from"] == trigger["from"])
            and ("to" not in trigger or v["to"] == trigger["to"])
        )
    if on == "score":
        moved = v["grade_from"] != v["grade_to"]
        if "grade_to" in trigger and not (moved and v["grade_to"] == trigger["grade_to"]):
            return False
        if "grade_from" in trigger and not (moved and v["grade_from"] == trigger["grade_from"]):
            return False
        if "dropped_by" in trigger:
            old, new = v["score_from"], v["score_to"]
            return old is not None and new is not None and old - new >= trigger["dropped_by"]
        return True
    if on == "usage_change":  # the window's change is the dispatcher's to read
        return bool(v["metric"] == trigger["metric"])
    if on == "goal_status":
        return trigger.get("from") in (None, v["from"]) and trigger.get("to") in (None, v["to"])
    if on == "survey_response":
        return trigger.get("category") in (None, v["category"])
    if on == "activity":
        if trigger.get("type") not in (None, v["type"]):
            return False
        return "field" not in trigger or v["fields"].get(trigger["field"]) == trigger["value"]
    return True  # created
