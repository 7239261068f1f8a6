"""Checking rule definitions (RULE_01) and filling in their text (SEC_07).

Every refusal is a RULE_01 error naming the rule and the bad entry, raised
when the rule is created, so a stored rule always runs.
"""

from __future__ import annotations

import json
import math
import re
import string
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

from successkit.errors import NotFound, QueryError, RuleViolation, ValidationError
from successkit.plans.templates import check_template_for
from successkit.query.language import Query
from successkit.records import PlanTemplate, User
from successkit.records.checks import INT_MAX, INT_MIN

from .action_checks import MORE_ACTIONS, check_action
from .conditions import check_change, check_having
from .triggers import check_limit, check_trigger

if TYPE_CHECKING:
    from successkit.kit import Kit

#: What a rule selects.
TARGETS = ("company", "relationship")

#: The keys each action takes; ``do`` names the action.
ACTIONS: dict[str, frozenset[str]] = {
    "create_cta": frozenset(
        {"do", "name", "type", "reason", "priority", "owner", "playbook", "due_days", "comments", "cooldown_days"}
    ),
    "create_plan": frozenset({"do", "name", "plan_type", "template", "owner", "due_days"}),
    "log_activity": frozenset({"do", "type", "subject", "notes", "cooldown_days"}),
    **MORE_ACTIONS,  # AUTO_03: update_field, close_ctas, set_measure, assign, send_email, call_webhook
    "enter_program": frozenset({"do", "program", "people"}),  # MAIL_03
}
_REQUIRED = {
    "create_cta": ("name", "type"),
    "create_plan": ("name", "plan_type"),
    "log_activity": ("type", "subject"),
    "enter_program": ("program",),
}
_DEFINITION = frozenset({"where", "logic", "without_activity", "actions", "trigger", "limit", "change", "having"})
_ABSENCE = frozenset({"types", "days", "since"})
_PLACEHOLDERS = frozenset({"name", "company"})
#: The longest definition a rule stores, as JSON (SEC_07): ``in`` lists of thousands of values
#: belong in a field or a segment, not in every copy of a rule.
MAX_DEFINITION = 100_000
#: The most actions a rule takes: each costs a few storage calls per run (SEC_07).
MAX_ACTIONS = 50
#: The longest offset a rule may use (a century): dates stay inside the calendar.
MAX_DAYS = 36_500
#: The widest format width or precision a placeholder may ask for ("{name:>40}").
MAX_FORMAT_WIDTH = 100
#: The longest text a rule writes into a name or subject: longer results are cut
#: (with an ellipsis), and longer templates are refused (SEC_07).
MAX_TEXT = 500
_SPEC_NUMBER = re.compile(r"\d+")
#: An email template's placeholder written where a rule's ``{name}`` belongs.
_EMAIL_STYLE = re.compile(r"\{\{\s*\w+(\.\w+)?\s*\}\}")
#: Action keys holding text, when given.
_TEXT_KEYS = (
    "name",
    "subject",
    "notes",
    "comments",
    "type",
    "reason",
    "priority",
    "owner",
    "playbook",
    "plan_type",
    "template",
    "program",
    "people",
)


# -------------------------------------------------------------------------- definitions
def check_definition(kit: Kit, name: str, target: Any, definition: Mapping[str, Any]) -> dict[str, Any]:
    """The checked, JSON-ready definition of rule ``name``; every refusal is a
    RULE_01 error naming the rule and the bad entry (AUTO_01 for a bad
    ``trigger``, AUTO_04 for a bad enrolment ``limit``, AUTO_02 for bad
    ``change`` or ``having`` conditions)."""

    def bad(message: str, value: Any) -> RuleViolation:
        return RuleViolation("RULE_01", f"rule {name!r}: {message}", value=value)

    if target not in TARGETS:
        raise bad(f"a rule selects one of {', '.join(TARGETS)}", target)
    if not isinstance(definition, Mapping):
        raise bad("a rule definition is a mapping", definition)
    unknown = set(definition) - _DEFINITION
    if unknown:
        raise bad(f"unknown key; known: {', '.join(sorted(_DEFINITION))}", sorted(unknown)[0])
    where = definition.get("where") or []
    if isinstance(where, (str, bytes)) or not isinstance(where, Sequence):
        raise bad("'where' is a list of conditions (field, operator, value)", where)
    logic = definition.get("logic")
    try:
        query = Query(conditions=[plain(c) for c in where], logic=logic)
        kit.bind(target, query)
    except QueryError as e:
        raise bad(e.message, e.value) from None
    out: dict[str, Any] = {"where": [list(c) for c in _json(where)], "logic": logic}
    absence = definition.get("without_activity")
    if absence is not None:
        out["without_activity"] = _check_absence(kit, target, absence, bad)
    actions = definition.get("actions")
    if isinstance(actions, (str, bytes, Mapping)) or not isinstance(actions, Sequence) or not actions:
        raise bad("'actions' is a non-empty list of actions", actions)
    if len(actions) > MAX_ACTIONS:
        raise bad(f"a rule has at most {MAX_ACTIONS} actions (SEC_07)", len(actions))
    out["actions"] = [_check_action(kit, i, a, bad) for i, a in enumerate(actions)]
    out["actions"] = [check_action(kit, name, target, i, a) if a["do"] in MORE_ACTIONS else a
                      for i, a in enumerate(out["actions"])]  # fmt: skip
    if definition.get("trigger") is not None:  # AUTO_01: an event rule
        out["trigger"] = check_trigger(kit, name, target, definition["trigger"])
    if definition.get("limit") is not None:  # AUTO_04
        out["limit"] = check_limit(name, definition["limit"])
    if definition.get("change") is not None:  # AUTO_02: on the event's old and new values
        out["change"] = check_change(kit, name, out.get("trigger"), definition["change"])
    if definition.get("having") is not None:  # AUTO_02: aggregates and signals
        out["having"] = check_having(kit, name, target, definition["having"])
    unstorable = _unstorable(out)
    if unstorable is not None:  # SEC_05: no backend stores it
        raise bad(f"numbers are finite, whole numbers from {INT_MIN} to {INT_MAX}", unstorable)
    result: dict[str, Any] = _json(out)
    size = len(json.dumps(result))
    if size > MAX_DEFINITION:
        raise bad(f"a rule definition is at most {MAX_DEFINITION:,} characters as JSON (SEC_07)", size)
    return result


def plain(condition: Any) -> Any:
    return tuple(condition) if isinstance(condition, list) else condition


def _json(value: Any) -> Any:
    """The JSON-ready form (dates as ISO text), so every backend stores the same."""
    try:
        return json.loads(json.dumps(value, default=lambda v: v.isoformat() if isinstance(v, date) else str(v)))
    except ValueError as e:
        raise ValidationError(f"a rule definition must be JSON-ready: {e}", value=value) from None


def _unstorable(value: Any) -> Any:
    """The first number in ``value`` no backend stores (NaN, an infinity, a whole number
    beyond 64 bits), or None (walked without recursion)."""
    todo = [value]
    while todo:
        v = todo.pop()
        if isinstance(v, Mapping):
            todo.extend(v.values())
        elif isinstance(v, (list, tuple)):
            todo.extend(v)
        elif _bad_number(v):
            return v
    return None


def _bad_number(v: Any) -> bool:
    if isinstance(v, float):
        return not math.isfinite(v)
    return isinstance(v, int) and not isinstance(v, bool) and not INT_MIN <= v <= INT_MAX


def _check_absence(kit: Kit, target: str, spec: Any, bad: Callable[[str, Any], RuleViolation]) -> dict[str, Any]:
    if not isinstance(spec, Mapping):
        raise bad("'without_activity' is a mapping with types, days and optionally since", spec)
    unknown = set(spec) - _ABSENCE
    if unknown:
        raise bad(f"unknown key in 'without_activity'; known: {', '.join(sorted(_ABSENCE))}", sorted(unknown)[0])
    types = spec.get("types")
    if isinstance(types, str) or not isinstance(types, Sequence) or not types:
        raise bad("'without_activity' needs a list of activity types", types)
    for t in types:
        if t not in kit.activity_types:
            raise bad(f"unknown activity type; known: {', '.join(kit.activity_types.keys())}", t)
    days = _days(spec.get("days"), "'without_activity' days", bad, required=True)
    since = spec.get("since")
    if since is not None:
        try:
            kit.bind(target, Query(conditions=[(since, "within next 1 days")]))
        except QueryError as e:
            raise bad(f"'without_activity' since: {e.message}", since) from None
    return {"types": list(types), "days": days, "since": since}


def _days(value: Any, what: str, bad: Callable[[str, Any], RuleViolation], *, required: bool = False) -> int | None:
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_DAYS:
        raise bad(f"{what} is a whole number of days from 0 to {MAX_DAYS}", value)
    return value


def _check_action(kit: Kit, i: int, action: Any, bad: Callable[[str, Any], RuleViolation]) -> dict[str, Any]:
    where = f"action {i + 1}"
    if not isinstance(action, Mapping):
        raise bad(f"{where} is a mapping with 'do'", action)
    do = action.get("do")
    if not isinstance(do, str) or do not in ACTIONS:
        raise bad(f"{where}: 'do' is one of {', '.join(ACTIONS)}", do)
    unknown = set(action) - ACTIONS[do]
    if unknown:
        raise bad(f"{where} ({do}): unknown key; known: {', '.join(sorted(ACTIONS[do]))}", sorted(unknown)[0])
    if do in MORE_ACTIONS:  # AUTO_03: checked by check_action, knowing the rule's target
        return dict(action)
    for key in _REQUIRED[do]:
        if not isinstance(action.get(key), str) or not action[key].strip():
            raise bad(f"{where} ({do}) needs {key!r}", action.get(key))
    for key in _TEXT_KEYS:
        if action.get(key) is not None and not isinstance(action[key], str):
            raise bad(f"{where} ({do}) {key} is text", action[key])
    for key in ("name", "subject"):
        if key in action:
            _check_placeholders(action[key], f"{where} ({do}) {key}", bad)
    for key in ("due_days", "cooldown_days"):
        _days(action.get(key), f"{where} ({do}) {key}", bad)
    try:
        if do == "create_cta":
            if action["type"] == "objective":
                raise bad(f"{where}: objectives live in success plans (OBJ_01), not in a cockpit", action["type"])
            kit.config.check("cta_type", action["type"], what="CTA type")
            kit.config.check("reason", action.get("reason"))
            kit.config.check("priority", action.get("priority"))
            if action.get("playbook") is not None:
                book = kit.playbooks.by_name(action["playbook"])
                if not book.all_cta_types and action["type"] not in book.cta_types:
                    raise RuleViolation(
                        "OBJ_04",
                        f"playbook {book.name!r} is not configured for CTA type {action['type']!r}",
                        value=book.name,
                    )
        elif do == "create_plan":
            ptype = kit.config.plan_type(action["plan_type"])
            if action.get("template") is not None:
                template_by_name(kit, action["template"], ptype.key)
        elif do == "enter_program":
            from .programs import check_enter

            check_enter(kit, action)
        elif action["type"] not in kit.activity_types:
            raise ValidationError(
                f"unknown activity type; known: {', '.join(kit.activity_types.keys())}", value=action["type"]
            )
        if do not in ("log_activity", "enter_program"):
            _check_owner_spec(kit, action.get("owner", "csm"))
    except (ValidationError, NotFound) as e:  # the action is at fault, not storage
        if isinstance(e, RuleViolation) and e.message.startswith("rule "):
            raise
        raise bad(f"{where} ({do}): {e.message}", e.value) from None
    return dict(action)


def _check_placeholders(text: str, what: str, bad: Callable[[str, Any], RuleViolation]) -> None:
    """Only ``{name}`` and ``{company}``, with format specs that work on any name
    and whose width and precision are small (SEC_07: "{name:>20000000}" would
    write 20 MB per record)."""
    if len(text) > MAX_TEXT:
        raise bad(f"{what}: at most {MAX_TEXT} characters (SEC_07)", len(text))
    email_style = _EMAIL_STYLE.search(text)
    if email_style:  # "{{company.name}}" would be written as the text "{company.name}"
        raise bad(
            f"{what}: {{{{object.field}}}} is the placeholder of email templates and programs; "
            "a rule's texts take {name} and {company}",
            email_style.group(0),
        )
    try:
        parsed = [(field, spec or "") for _, field, spec, _ in string.Formatter().parse(text) if field is not None]
    except ValueError as e:
        raise bad(f"{what}: {e}", text) from None
    unknown = {field for field, _ in parsed} - _PLACEHOLDERS
    if unknown:
        raise bad(f"{what}: unknown placeholder; known: {{name}}, {{company}}", sorted(unknown)[0])
    try:  # format specs and conversions ("{name:d}") must work on any name
        text.format(name="Acme", company="Acme")
    except (KeyError, IndexError, ValueError, AttributeError, TypeError) as e:
        raise bad(f"{what}: cannot be filled in ({e!r})", text) from None
    for _, spec in parsed:
        if "{" in spec:  # a name would set the width
            raise bad(f"{what}: a format spec cannot hold a placeholder (SEC_07)", spec)
        if any(_too_wide(n) for n in _SPEC_NUMBER.findall(spec)):
            raise bad(f"{what}: a format width or precision is at most {MAX_FORMAT_WIDTH} (SEC_07)", spec)


def _too_wide(digits: str) -> bool:
    """Whether a width or precision exceeds the limit (compared as text first:
    Python refuses to read numbers of more than 4,300 digits)."""
    digits = digits.lstrip("0")
    return len(digits) > len(str(MAX_FORMAT_WIDTH)) or int(digits or "0") > MAX_FORMAT_WIDTH


def fill(template: str, **values: str) -> str:
    """``template`` filled in, cut to :data:`MAX_TEXT` characters (SEC_07): a
    company's name is as long as its owner made it, and so is what holds it."""
    text = template.format(**{k: v[: MAX_TEXT + 1] for k, v in values.items()})  # one more: the cut shows
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "\u2026"


def _check_owner_spec(kit: Kit, owner: Any) -> None:
    if owner == "csm" or (isinstance(owner, str) and owner.startswith("field:") and len(owner) > 6):
        return
    if not isinstance(owner, str) or not owner:
        raise ValidationError("owner is 'csm', 'field:<custom field>', a user id or an email", value=owner)
    user = by_email(kit, [owner]).get(owner) if "@" in owner else kit.users.get(owner)
    if user is None:
        raise ValidationError("no user with this email", value=owner)
    kit.users.check_owner(user, what="rule's work")


def by_email(kit: Kit, emails: Sequence[str]) -> dict[str, User]:
    """Users by the emails asked for, compared without case (one query: the team's users)."""
    team = {u.email.casefold(): u for u in kit.users.list() if u.email}
    return {e: team[e.casefold()] for e in emails if e.casefold() in team}


def template_by_name(kit: Kit, name: str, plan_type: str) -> PlanTemplate:
    tpl = kit.plan_templates.by_name(name)
    check_template_for(tpl, plan_type)
    return tpl
