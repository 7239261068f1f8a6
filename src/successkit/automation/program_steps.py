"""Checking program definitions (MAIL_03): steps and exit conditions.

A program is checked whole when it is saved, so a stored program always runs:
every refusal is a MAIL_03 error naming the program and the bad value (an
unknown email template, a placeholder the program cannot fill, an unknown
activity type, CTA type or status, a wait that is not a positive number of days).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from successkit.errors import RuleViolation, SuccessKitError
from successkit.plans.emails import check_placeholders
from successkit.query.language import Query

from .definitions import MAX_DAYS, MAX_TEXT

if TYPE_CHECKING:
    from successkit.kit import Kit

__all__ = ["MAX_STEPS", "PROGRAM_STEPS", "PROGRAM_TARGETS", "RECIPIENTS", "check_program", "placeholder_objects"]

#: A rule's placeholder (``{name}``, ``{company}``) written in a program's CTA name or subject.
_RULE_STYLE = re.compile(r"\{(name|company)\}")
#: The most steps a program takes (a cadence of a hundred emails and waits is plenty; SEC_07).
MAX_STEPS = 100
#: Who enters a program.
PROGRAM_TARGETS = ("person", "company")
#: The keys each step takes; ``do`` names the step.
PROGRAM_STEPS: dict[str, frozenset[str]] = {
    "send_email": frozenset({"do", "template", "to"}),
    "wait": frozenset({"do", "days"}),
    "create_cta": frozenset({"do", "name", "type", "reason", "priority", "due_days"}),
    "log_activity": frozenset({"do", "type", "subject", "notes"}),
}
_REQUIRED = {
    "send_email": ("template",),
    "wait": (),
    "create_cta": ("name", "type"),
    "log_activity": ("type", "subject"),
}
#: Who an email step writes to: the enrolled person, the company's CSM, or the company's sponsors.
RECIPIENTS = ("person", "csm", "sponsors")
_EXIT = frozenset({"activity", "cta_closed", "survey_answered"})
_CTA_EXIT = frozenset({"types", "statuses"})
#: What makes a refusal naming the program.
Bad = Callable[[str, Any], RuleViolation]


def placeholder_objects(target: str, to: str | None = None) -> tuple[str, ...]:
    """The placeholder objects a program's text can fill: its company, the CSM, and a
    person when there is one (the enrolled person, or the first sponsor an email goes to)."""
    person = target == "person" or to == "sponsors"
    return ("company", "csm", "person") if person else ("company", "csm")


def check_program(kit: Kit, name: str, target: Any, steps: Any, exit: Any) -> dict[str, Any]:
    """The checked, JSON-ready definition (``steps``, ``exit``) of program ``name``."""

    def bad(message: str, value: Any) -> RuleViolation:
        return RuleViolation("MAIL_03", f"program {name!r}: {message}", value=value)

    if target not in PROGRAM_TARGETS:
        raise bad(f"a program's target is one of {', '.join(PROGRAM_TARGETS)}", target)
    if isinstance(steps, (str, bytes, Mapping)) or not isinstance(steps, Sequence) or not steps:
        raise bad("'steps' is a non-empty list of steps", steps)
    if len(steps) > MAX_STEPS:
        raise bad(f"a program has at most {MAX_STEPS} steps (SEC_07)", len(steps))
    checked = [_check_step(kit, target, i, s, bad) for i, s in enumerate(steps)]
    if all(s["do"] == "wait" for s in checked):
        raise bad("a program needs a step that does something besides waiting", "wait")
    exits = _check_exit(kit, exit, bad)
    for s in checked:  # its own activity would end the program at its next step
        if s["do"] == "log_activity" and s["type"] in exits.get("activity", ()):
            raise bad("a program cannot log an activity of a type it exits on", s["type"])
    out = {"steps": checked, "exit": exits}
    result: dict[str, Any] = json.loads(json.dumps(out))
    return result


def _check_step(kit: Kit, target: str, i: int, step: Any, bad: Bad) -> dict[str, Any]:
    where = f"step {i + 1}"
    if not isinstance(step, Mapping):
        raise bad(f"{where} is a mapping with 'do'", step)
    do = step.get("do")
    if not isinstance(do, str) or do not in PROGRAM_STEPS:
        raise bad(f"{where}: 'do' is one of {', '.join(PROGRAM_STEPS)}", do)
    unknown = set(step) - PROGRAM_STEPS[do]
    if unknown:
        raise bad(f"{where} ({do}): unknown key; known: {', '.join(sorted(PROGRAM_STEPS[do]))}", sorted(unknown)[0])
    for key in _REQUIRED[do]:
        if not isinstance(step.get(key), str) or not step[key].strip():
            raise bad(f"{where} ({do}) needs {key!r} as text", step.get(key))
    for key in ("name", "subject", "notes", "reason", "priority", "to"):
        if step.get(key) is not None and not isinstance(step[key], str):
            raise bad(f"{where} ({do}) {key} is text", step[key])
    out = dict(step)
    if do == "wait":
        out["days"] = _days(step.get("days"), f"{where} (wait) days", bad, minimum=1)
    elif do == "send_email":
        out.update(_check_email(kit, target, where, step, bad))
    else:
        _check_work(kit, target, where, do, step, bad)
    return out


def _days(value: Any, what: str, bad: Bad, *, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= MAX_DAYS:
        raise bad(f"{what} is a whole number of days from {minimum} to {MAX_DAYS}", value)
    return value


def _allowed(text: str, objects: tuple[str, ...], what: str, bad: Bad) -> None:
    """Every ``{{object.field}}`` of ``text`` is known (MAIL_01) and one the program fills."""
    try:
        used = check_placeholders(text, what=what)
    except SuccessKitError as e:
        raise bad(f"{what}: {e.message}", e.value) from None
    for key in used:
        if key.split(".")[0] not in objects:
            raise bad(f"{what}: a program fills only {', '.join(o + '.*' for o in objects)} here", "{{" + key + "}}")


def _check_email(kit: Kit, target: str, where: str, step: Mapping[str, Any], bad: Bad) -> dict[str, Any]:
    to = step.get("to") or ("person" if target == "person" else "sponsors")
    if to not in RECIPIENTS:
        raise bad(f"{where} (send_email): 'to' is one of {', '.join(RECIPIENTS)}", to)
    if to == "person" and target != "person":
        raise bad(f"{where} (send_email): a company program writes to its csm or sponsors", to)
    found = list(kit.store.query(kit.bind("email_template", Query(conditions=[("name", "=", step["template"])]))))
    if not found:
        raise bad(f"{where} (send_email): no email template with this name", step["template"])
    template = found[0]
    objects = placeholder_objects(target, to)
    _allowed(template.subject, objects, f"{where} (send_email) template subject", bad)
    _allowed(template.body, objects, f"{where} (send_email) template body", bad)
    return {"to": to, "template_id": template.id}


def _check_work(kit: Kit, target: str, where: str, do: str, step: Mapping[str, Any], bad: Bad) -> None:
    text_key = "name" if do == "create_cta" else "subject"
    if len(step[text_key]) > MAX_TEXT:
        raise bad(f"{where} ({do}) {text_key}: at most {MAX_TEXT} characters (SEC_07)", len(step[text_key]))
    _allowed(step[text_key], placeholder_objects(target), f"{where} ({do}) {text_key}", bad)
    rule_style = _RULE_STYLE.search(step[text_key].replace("{{", "").replace("}}", ""))
    if rule_style:  # a rule's "{name}" would be written as it is
        raise bad(
            f"{where} ({do}) {text_key}: a program's texts take {{{{object.field}}}} placeholders "
            "({{company.name}}, {{person.name}}); {name} and {company} are a rule's",
            rule_style.group(0),
        )
    try:
        if do == "log_activity":
            if step["type"] not in kit.activity_types:
                known = ", ".join(kit.activity_types.keys())
                raise bad(f"{where} (log_activity): unknown activity type; known: {known}", step["type"])
            return
        if step["type"] == "objective":
            raise bad(f"{where}: objectives live in success plans (OBJ_01), not in a cockpit", step["type"])
        kit.config.check("cta_type", step["type"], what="CTA type")
        kit.config.check("reason", step.get("reason"))
        kit.config.check("priority", step.get("priority"))
        if step.get("due_days") is not None:
            _days(step["due_days"], f"{where} (create_cta) due_days", bad, minimum=0)
    except RuleViolation:
        raise
    except SuccessKitError as e:
        raise bad(f"{where} ({do}): {e.message}", e.value) from None


def _check_exit(kit: Kit, exit: Any, bad: Bad) -> dict[str, Any]:
    """``activity`` (activity types), ``cta_closed`` (CTA ``types`` and closed
    ``statuses``, each optional) and ``survey_answered`` (true)."""
    if exit is None:
        return {}
    if not isinstance(exit, Mapping):
        raise bad("'exit' is a mapping with activity, cta_closed or survey_answered", exit)
    unknown = set(exit) - _EXIT
    if unknown:
        raise bad(f"unknown exit condition; known: {', '.join(sorted(_EXIT))}", sorted(unknown)[0])
    out: dict[str, Any] = {}
    if exit.get("activity") is not None:
        types = exit["activity"]
        if isinstance(types, str) or not isinstance(types, Sequence) or not types:
            raise bad("exit 'activity' is a non-empty list of activity types", types)
        for t in types:
            if t not in kit.activity_types:
                raise bad(f"exit 'activity': unknown activity type; known: {', '.join(kit.activity_types.keys())}", t)
        out["activity"] = list(types)
    if exit.get("cta_closed") is not None:
        out["cta_closed"] = _check_cta_exit(kit, exit["cta_closed"], bad)
    if exit.get("survey_answered") is not None:
        if not isinstance(exit["survey_answered"], bool):
            raise bad("exit 'survey_answered' is true or false", exit["survey_answered"])
        if exit["survey_answered"]:
            out["survey_answered"] = True
    return out


def _check_cta_exit(kit: Kit, spec: Any, bad: Bad) -> dict[str, Any]:
    if spec is True:
        spec = {}
    if not isinstance(spec, Mapping):
        raise bad("exit 'cta_closed' is true or a mapping with types and statuses", spec)
    unknown = set(spec) - _CTA_EXIT
    if unknown:
        raise bad(f"exit 'cta_closed': unknown key; known: {', '.join(sorted(_CTA_EXIT))}", sorted(unknown)[0])
    out: dict[str, list[str]] = {}
    for key in ("types", "statuses"):
        values = spec.get(key)
        if values is None:
            continue
        if isinstance(values, str) or not isinstance(values, Sequence) or not values:
            raise bad(f"exit 'cta_closed' {key} is a non-empty list", values)
        for v in values:
            try:
                if key == "types":
                    kit.config.check("cta_type", v, what="CTA type")
                elif not kit.statuses.get("cta", v).is_closed:
                    raise bad("exit 'cta_closed': the status is not a closed status", v)
            except RuleViolation:
                raise
            except SuccessKitError as e:
                raise bad(f"exit 'cta_closed' {key}: {e.message}", v) from None
        out[key] = list(values)
    return out
