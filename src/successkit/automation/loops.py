"""Refusing a recursion through event rules when a rule is saved (AUTO_04).

From each active event rule's actions this module derives the events they can
cause, and from each rule's trigger (and ``change`` conditions) the events it
hears; a rule whose actions can cause an event another rule hears points at that
rule.  A rule that is created, switched on or deployed and closes a cycle of such
rules is refused with an AUTO_04 error naming the rules of the cycle, unless one
of them has an enrolment limit (``once`` or ``every_days``): the limit stops the
loop after one round per target.  The run-time depth limit
(:data:`~successkit.automation.events.MAX_DEPTH`) stays, for what no save-time
check can see (a ``where`` that happens to stop a loop is not read here).

What the actions cause, as the writers report it (:mod:`.events`):

- ``update_field`` of the target or (relationship rules) its company: a
  ``changed`` event of that field on that record, with the new value when the
  action sets a constant; a write to sponsors (people) reports nothing;
- ``assign``: a ``changed`` event of ``csm_id`` (``csm_changed``);
- ``log_activity`` of type T: an ``activity`` event of type T without fields, heard
  by company rules and, when a relationship rule logs it, by relationship rules;
- ``create_cta``, ``create_plan``, ``close_ctas``, ``send_email``, ``call_webhook``:
  nothing a trigger listens to (``created`` is about companies and relationships);
- ``set_measure``: nothing directly; the score moves when scores are next computed,
  a change of its own, not the rule's;
- ``enter_program``: nothing directly; the program's steps run when the host
  advances programs.

One read at most: the active event rules, which the dispatcher caches anyway.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import attrs

from successkit.errors import RuleViolation, ValidationError
from successkit.query.language import OPERATORS
from successkit.records.checks import check_attributes

from .action_checks import WRITABLE
from .conditions import compare
from .events import listening

if TYPE_CHECKING:
    from successkit.kit import Kit

__all__ = ["Cause", "causes", "check_loops", "hears"]

_UNKNOWN: Any = object()


@attrs.frozen
class Cause:
    """An event a rule's action can cause: ``changed`` (of ``field`` on a ``kind``
    record, to ``to`` when known) or ``activity`` (of ``type``, logged on a
    relationship when ``on_relationship``)."""

    on: str
    action: str
    kind: str = "activity"
    field: str | None = None
    to: Any = _UNKNOWN
    type: str | None = None
    on_relationship: bool = False

    def describe(self) -> str:
        if self.on == "activity":
            return f"{self.action} logs a {self.type!r} activity"
        shown = "" if self.to is _UNKNOWN else f" to {self.to!r}"
        return (
            f"{self.action} changes the {self.kind}'s {self.field.removeprefix('fields.') if self.field else ''}{shown}"
        )


@attrs.frozen
class _Node:
    name: str
    target: str
    definition: Mapping[str, Any]


def causes(kit: Kit, target: str, definition: Mapping[str, Any]) -> list[Cause]:
    """The events the actions of a rule selecting ``target`` can cause (checked definition)."""
    out: list[Cause] = []
    for a in definition.get("actions") or ():
        do = a["do"]
        if do == "update_field" and a.get("of", "target") != "sponsors":
            kind = "company" if a.get("of") == "company" else target
            to = _value_as_reported(kit, kind, a["field"], a["value"]) if "value" in a else _UNKNOWN
            out.append(Cause("changed", do, kind, a["field"], to))
        elif do == "assign":
            out.append(Cause("changed", do, target, "csm_id", a["user"] if a.get("user") else _UNKNOWN))
        elif do == "log_activity":
            out.append(Cause("activity", do, type=a["type"], on_relationship=target == "relationship"))
    return out


def _value_as_reported(kit: Kit, kind: str, field: str, value: Any) -> Any:
    """The value as the ``changed`` event reports it (stored form, dates as ISO text),
    or unknown when it cannot be told here."""
    try:
        if field.startswith("fields."):
            name = field[len("fields.") :]
            value = kit.custom_fields.check(kind, {name: value}).get(name, value)
        elif field == "renewal_date" and isinstance(value, str):
            value = date.fromisoformat(value[:10])
        elif value is not None:
            value = check_attributes(kind, {field: value}, WRITABLE[kind])[field]
    except (ValidationError, ValueError, KeyError):
        return _UNKNOWN
    return value.isoformat() if isinstance(value, (date, datetime)) else value


def hears(target: str, definition: Mapping[str, Any], cause: Cause) -> bool:
    """Whether a rule selecting ``target`` with this trigger (and ``change``
    conditions) can run on the event ``cause`` stands for, as
    :func:`~successkit.automation.triggers.matches` and
    :func:`~successkit.automation.triggers.target_of` decide at run time; a
    value not known at save time may match."""
    trigger = definition.get("trigger")
    if not trigger:
        return False
    on = trigger["on"]
    known: dict[str, Any] = {}
    if cause.on == "changed":
        if cause.kind != target:
            return False  # a company rule does not hear its relationships' attribute changes
        if on == "csm_changed":
            if cause.field != "csm_id":
                return False
        elif on != "changed" or trigger["field"] != cause.field:
            return False
        if cause.to is not _UNKNOWN:
            if "to" in trigger and not _maybe_same(cause.to, trigger["to"]):
                return False
            if "from" in trigger and trigger["from"] == cause.to:
                return False  # a change from the value it sets is no change
            known["to"] = cause.to
    elif cause.on == "activity":
        if on != "activity" or (target == "relationship" and not cause.on_relationship):
            return False
        if trigger.get("type") not in (None, cause.type):
            return False
        if "field" in trigger and trigger["value"] is not None:
            return False  # the activity a rule logs has no field values
        known = {
            "type": cause.type,
            **{c[0]: None for c in definition.get("change") or () if c[0].startswith("fields.")},
        }
    else:
        return False
    return all(
        compare(OPERATORS[op], known[name], operand)
        for name, op, operand in definition.get("change") or ()
        if name in known
    )


def _maybe_same(a: Any, b: Any) -> bool:
    if a == b:
        return True
    return isinstance(a, str) and isinstance(b, str) and a.strip().casefold() == b.strip().casefold()


def check_loops(kit: Kit, rules: Sequence[tuple[str, str, Mapping[str, Any]]]) -> None:
    """Refuse ``rules`` (name, target, checked definition; new or switched on) when one
    closes a cycle among the active event rules without an enrolment limit (AUTO_04)."""
    candidates = [_Node(n, t, d) for n, t, d in rules if d.get("trigger")]
    if not candidates:
        return
    names = {c.name for c in candidates}
    nodes = [_Node(r.name, r.target, r.definition) for r in listening(kit).rules if r.name not in names]
    nodes += candidates
    nodes = [n for n in nodes if not n.definition.get("limit")]  # a limit stops every loop through its rule
    edges = _edges(kit, nodes)
    for c in candidates:
        if c.definition.get("limit"):
            continue
        cycle = _cycle(c.name, edges)
        if cycle is not None:
            loop = [c.name, *(to for to, _ in cycle)]
            path = " -> ".join(repr(n) for n in loop)
            how = "; ".join(f"{frm!r} {why}, which {to!r} hears" for frm, (to, why) in zip(loop, cycle, strict=False))
            raise RuleViolation(
                "AUTO_04",
                f"rule {c.name!r}: event rules would trigger each other in a loop: {path} ({how}); "
                "give a rule of the loop an enrolment limit ('once' or 'every_days') or change a trigger",
                value=loop,
            )


def _edges(kit: Kit, nodes: Iterable[_Node]) -> dict[str, list[tuple[str, str]]]:
    """Per rule, the rules it can trigger, with why (in name order)."""
    listed = sorted(nodes, key=lambda n: n.name)
    out: dict[str, list[tuple[str, str]]] = {}
    for n in listed:
        made = causes(kit, n.target, n.definition)
        for other in listed:
            why = next((c.describe() for c in made if hears(other.target, other.definition, c)), None)
            if why is not None:
                out.setdefault(n.name, []).append((other.name, why))
    return out


def _cycle(start: str, edges: Mapping[str, list[tuple[str, str]]]) -> list[tuple[str, str]] | None:
    """The shortest path of (rule, why) from ``start`` back to itself, if any."""
    came: dict[str, tuple[str, str]] = {}  # reached -> (from, why)
    todo = deque([start])
    while todo:
        at = todo.popleft()
        for to, why in edges.get(at, ()):
            if to == start:
                path = [(to, why)]
                while at != start:
                    frm, how = came[at]
                    path.append((at, how))
                    at = frm
                return list(reversed(path))
            if to not in came:
                came[to] = (at, why)
                todo.append(to)
    return None
