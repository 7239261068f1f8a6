"""Checking the actions of AUTO_03 when their rule is saved: every refusal is an
AUTO_03 error naming the rule, the action and the offending value, so a stored
rule's actions always apply to its target.  :mod:`.actions` runs them."""

from __future__ import annotations

import os
import re
import string
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

from successkit.accounts.people import check_email
from successkit.errors import NotFound, RuleViolation, ValidationError
from successkit.health.mapping import score_number
from successkit.plans.emails import check_placeholders
from successkit.plugins.webhook_notifier import check_url
from successkit.query.language import Query
from successkit.records.checks import check_attributes, plain_text, text_limit

if TYPE_CHECKING:
    from successkit.kit import Kit

__all__ = ["MORE_ACTIONS", "NA", "WRITABLE", "check_action"]

#: The keys each AUTO_03 action takes; ``do`` names the action.
MORE_ACTIONS: dict[str, frozenset[str]] = {
    "update_field": frozenset({"do", "field", "of", "value", "from_field", "from_activity"}),
    "close_ctas": frozenset({"do", "type", "reason", "name", "status"}),
    "set_measure": frozenset({"do", "measure", "value", "comment", "older_than_days"}),
    "assign": frozenset({"do", "user", "team", "group", "how"}),
    "send_email": frozenset({"do", "template", "to"}),
    "call_webhook": frozenset({"do", "url", "secret_env"}),
}
#: The built-in attributes ``update_field`` may set, per record kind, with their types
#: (the CSM is set with ``assign``; scores and NPS are computed).
WRITABLE: Mapping[str, Mapping[str, type]] = {
    "company": {"stage": str, "status": str, "industry": str, "renewal_date": date, "arr": float},
    "relationship": {"stage": str, "status": str, "renewal_date": date, "arr": float},
    "person": {"title": str, "phone": str},
}
#: Whose record ``update_field`` writes: the target, its company (relationship rules)
#: or its sponsors (the people of the company marked ``sponsor``, PEOPLE_02).
OF = ("target", "company", "sponsors")
#: The ``set_measure`` value that clears the entry: the measure reads NA (SCORE_03).
NA = "NA"
#: How ``assign`` picks from a team.
HOW = ("round_robin", "least_loaded")
_ENV = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_MAX_TEAM = 1000

Bad = Callable[[str, Any], RuleViolation]


def check_action(kit: Kit, rule: str, target: str, i: int, action: Mapping[str, Any]) -> dict[str, Any]:
    """The checked, JSON-ready form of action ``i`` of rule ``rule`` selecting ``target``."""
    do = action["do"]

    def bad(message: str, value: Any) -> RuleViolation:
        return RuleViolation("AUTO_03", f"rule {rule!r}: action {i + 1} ({do}): {message}", value=value)

    unknown = set(action) - MORE_ACTIONS[do]
    if unknown:
        raise bad(f"unknown key; known: {', '.join(sorted(MORE_ACTIONS[do]))}", sorted(unknown)[0])
    out = dict(action)
    try:
        _CHECKS[do](kit, target, out, bad)
    except (ValidationError, NotFound) as e:
        if isinstance(e, RuleViolation) and e.message.startswith("rule "):
            raise
        raise bad(e.message, e.value) from None
    return out


def _text(a: Mapping[str, Any], key: str, bad: Bad, *, required: bool = True) -> str | None:
    value = a.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise bad(f"{key!r} is non-blank text", value)
    return value


def _field(kit: Kit, kind: str, name: Any, bad: Bad, *, writable: bool) -> str:
    """A built-in attribute (writable ones only when set) or a declared custom field
    (as ``fields.<name>``) of ``kind``."""
    if not isinstance(name, str) or not name:
        raise bad("a field is named by text", name)
    key = name.removeprefix("fields.")
    if key in kit.declared_fields(kind):
        return f"fields.{key}"
    if writable and name in WRITABLE[kind]:
        return name
    if not writable and name in kit.store.schema(kind).by_name and name != "fields":
        return name
    known = ", ".join([*(WRITABLE[kind] if writable else ()), *kit.declared_fields(kind)])
    raise bad(f"a {kind} has no {'writable ' if writable else ''}field of this name; known: {known}", name)


def _update_field(kit: Kit, target: str, a: dict[str, Any], bad: Bad) -> None:
    of = a.setdefault("of", "target")
    if of not in OF or (of == "company" and target != "relationship"):
        raise bad(f"'of' is one of {', '.join(OF)} ('company' for a relationship rule)", of)
    kind = "person" if of == "sponsors" else ("company" if of == "company" else target)
    a["field"] = _field(kit, kind, a.get("field"), bad, writable=True)
    sources = [k for k in ("value", "from_field", "from_activity") if k in a]
    if len(sources) != 1:
        raise bad("give exactly one of 'value', 'from_field' or 'from_activity'", sources)
    if "value" in a:
        try:
            if a["field"].startswith("fields."):
                kit.custom_fields.check(kind, {a["field"][7:]: a["value"]})
            elif a["value"] is not None and a["field"] == "renewal_date":
                date.fromisoformat(str(a["value"])[:10])
            else:
                check_attributes(kind, {a["field"]: a["value"]}, WRITABLE[kind])
                if isinstance(a["value"], str) and (
                    len(a["value"]) > text_limit(a["field"]) or not plain_text(a["value"])
                ):  # what the store would refuse at every run (SEC_05, SEC_07)
                    raise ValidationError(
                        f"text of at most {text_limit(a['field'])} characters, without NUL", value=a["value"]
                    )
        except (ValidationError, ValueError) as e:
            raise bad(f"the value does not fit {a['field']}: {getattr(e, 'message', e)}", a["value"]) from None
    elif "from_field" in a:
        a["from_field"] = _field(kit, target, a["from_field"], bad, writable=False)
    else:
        source = a["from_activity"]
        if not isinstance(source, Mapping) or set(source) - {"field", "types"}:
            raise bad("'from_activity' is a mapping with 'field' and optionally 'types'", source)
        field = source.get("field")
        if not isinstance(field, str) or field.removeprefix("fields.") not in kit.declared_fields("activity"):
            raise bad("'from_activity' names a declared activity field (ACT_01)", field)
        types = source.get("types")
        if types is not None:
            if isinstance(types, str) or not isinstance(types, Sequence) or not types:
                raise bad("'from_activity' types is a list of activity types", types)
            for t in types:
                if t not in kit.activity_types:
                    raise bad(f"unknown activity type; known: {', '.join(kit.activity_types.keys())}", t)
            types = list(types)
        a["from_activity"] = {"field": field.removeprefix("fields."), "types": types}


def _close_ctas(kit: Kit, target: str, a: dict[str, Any], bad: Bad) -> None:
    kit.config.check("cta_type", _text(a, "type", bad), what="CTA type")
    kit.config.check("reason", _text(a, "reason", bad, required=False))
    name = _text(a, "name", bad, required=False)
    if name is not None:  # the CTA name a create_cta wrote: the same placeholders, no format specs
        try:
            fields = [(f, spec, conv) for _, f, spec, conv in string.Formatter().parse(name) if f is not None]
        except ValueError:
            raise bad("'name' takes the placeholders {name} and {company}", name) from None
        if len(name) > 500 or any(f not in ("name", "company") or spec or conv for f, spec, conv in fields):
            raise bad("'name' takes the placeholders {name} and {company}, without format specs", name)
    status = _text(a, "status", bad)
    keys = {s.key: s for s in kit.statuses.of("cta")}
    if status not in keys or not keys[status].is_closed:
        closed = ", ".join(k for k, s in keys.items() if s.is_closed)
        raise bad(f"'status' is a closed CTA status; known: {closed}", status)


def _set_measure(kit: Kit, target: str, a: dict[str, Any], bad: Bad) -> None:
    key = str(_text(a, "measure", bad))
    try:
        found = kit.measures.get(key)
    except NotFound:
        raise bad("no measure with this key", key) from None
    if found.source.get("type") != "manual":
        raise bad(f"only manual measures take entries (SCORE_02); this one reads {found.source.get('type')}", key)
    if found.locked:
        raise bad("the measure is locked against manual entry (SCORE_09)", key)
    a["measure"] = found.key
    if "value" not in a:
        raise bad("'value' is a number from 0 to 100, or 'NA' to clear the entry", None)
    value = a["value"]
    a["value"] = None if value is None or value == NA else score_number("AUTO_03", "a measure's value", value)
    older = a.get("older_than_days")
    if older == "staleness" and found.staleness_days is None:
        raise bad("'older_than_days' is 'staleness', but the measure does not go stale (SCORE_03)", key)
    if older is not None and older != "staleness" and (type(older) is not int or not 0 <= older <= 36_500):
        raise bad("'older_than_days' is a whole number of days from 0 to 36500, or 'staleness'", older)
    comment = a.get("comment")
    if comment is not None and (not isinstance(comment, str) or len(comment) > 1000):
        raise bad("'comment' is text of at most 1000 characters", comment)


def _assign(kit: Kit, target: str, a: dict[str, Any], bad: Bad) -> None:
    given = [k for k in ("user", "team", "group") if a.get(k) is not None]
    if len(given) != 1:
        raise bad("give exactly one of 'user', 'team' or 'group'", given)
    how = a.get("how")
    if given == ["user"]:
        if how is not None:
            raise bad("'how' is for a team or a group", how)
    elif how not in HOW:
        raise bad(f"'how' is one of {', '.join(HOW)}", how)
    users = kit.users.list()
    by_ref = {**{u.id: u for u in users}, **{u.email.casefold(): u for u in users if u.email}}

    def one(ref: Any) -> str:
        if not isinstance(ref, str):
            raise bad("a user is named by id or email (text)", ref)
        user = by_ref.get(ref.casefold() if "@" in ref else ref)
        if user is None:
            raise bad("no user with this id or email", ref)
        kit.users.check_owner(user, what="rule's assignment")
        if user.license == "viewer":  # the run picks CSMs among users who may work records
            raise bad("a user with the viewer license cannot be made a CSM", ref)
        return user.id

    if "user" in given:
        a["user"] = one(a["user"])
    elif "team" in given:
        team = a["team"]
        if isinstance(team, str) or not isinstance(team, Sequence) or not 0 < len(team) <= _MAX_TEAM:
            raise bad(f"'team' is a list of 1 to {_MAX_TEAM} users (ids or emails)", team)
        a["team"] = list(dict.fromkeys(one(r) for r in team))
    elif not isinstance(a["group"], str) or not any(
        a["group"] in u.groups and u.active and u.license != "viewer" for u in users
    ):
        raise bad("no active user is in this group (viewers are not CSMs)", a["group"])


def _send_email(kit: Kit, target: str, a: dict[str, Any], bad: Bad) -> None:
    name = _text(a, "template", bad)
    found = list(kit.store.query(kit.bind("email_template", Query(conditions=[("name", "=", name)]))))
    if not found:
        raise bad("no email template of this name", name)
    to = a.setdefault("to", "csm")
    if not isinstance(to, str):
        raise bad("'to' is 'csm', 'sponsors', 'field:<custom field>' or an email address", to)
    if to.startswith("field:"):
        _field(kit, target, to[len("field:") :], bad, writable=False)
    elif to not in ("csm", "sponsors"):
        a["to"] = check_email(to, param="to")
    offered = {"company", "csm", *(("relationship",) if target == "relationship" else ())}
    if to == "sponsors":
        offered.add("person")
    for text in (found[0].subject, found[0].body):
        for key in check_placeholders(text, what="email template"):
            if key.split(".")[0] not in offered:
                raise bad(
                    f"template {name!r} uses a placeholder a {target} rule cannot fill; "
                    f"it fills {', '.join(sorted(offered))} (MAIL_01)",
                    "{{" + key + "}}",
                )


def _call_webhook(kit: Kit, target: str, a: dict[str, Any], bad: Bad) -> None:
    try:
        a["url"] = check_url(a.get("url"))
    except ValidationError as e:  # its value: the URL, or what of it may be shown (no credentials)
        raise bad(e.message, e.value) from None
    env = a.get("secret_env")
    if not isinstance(env, str) or not _ENV.fullmatch(env):
        raise bad("'secret_env' names the environment variable holding the HMAC secret", env)
    if not os.environ.get(env):
        raise bad("the environment variable holding the webhook's secret is not set", env)


_CHECKS: dict[str, Callable[[Kit, str, dict[str, Any], Bad], None]] = {
    "update_field": _update_field,
    "close_ctas": _close_ctas,
    "set_measure": _set_measure,
    "assign": _assign,
    "send_email": _send_email,
    "call_webhook": _call_webhook,
}
