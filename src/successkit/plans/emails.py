"""Email templates with placeholders, and sending email tasks (MAIL_01, MAIL_02).

A placeholder is ``{{object.field}}`` (spaces inside the braces allowed) with
``object.field`` one of :data:`EMAIL_PLACEHOLDERS`.  Templates and ad-hoc
emails are checked when they are saved: any ``{{...}}`` that is not a known
placeholder is refused (MAIL_01).  Rendering is plain substitution of the
whitelisted fields' values, read from the records: nothing in a template is
ever evaluated (no attribute access, no format specs, no ``str.format``), and
a value that itself looks like a placeholder is not substituted again.

Sending (MAIL_02) composes the email inside a transaction and hands it to the
``successkit_send_email`` hook once that transaction has committed.  The task
leaves ``verify`` for ``sent`` only when a sender accepted it; otherwise it
stays in ``verify`` with the error in ``email_error``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from datetime import date
from functools import partial
from typing import TYPE_CHECKING, Any

import attrs

from successkit.errors import RuleViolation, SuccessKitError, ValidationError
from successkit.records import Cta, Objective, Person, Task
from successkit.retry import retry
from successkit.service import save

from .invariants import status_change

if TYPE_CHECKING:
    from successkit.kit import Kit

__all__ = ["EMAIL_PLACEHOLDERS", "OutgoingEmail", "check_placeholders", "render_email"]

log = logging.getLogger(__name__)

#: The fields each placeholder object offers (MAIL_01): ``{{company.name}}``...
EMAIL_PLACEHOLDERS: Mapping[str, tuple[str, ...]] = {
    "company": ("name", "industry", "stage", "status", "renewal_date", "arr"),
    "relationship": ("name", "stage", "status", "renewal_date", "arr"),
    "person": ("name", "first_name", "email", "title"),
    "csm": ("name", "first_name", "email"),
    "plan": ("name", "status", "due_date"),
    "cta": ("name", "type", "priority", "status", "due_date"),
}

_TOKEN = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)
_NAME = re.compile(r"[ \t]*([a-z]+)\.([a-z_]+)[ \t]*")
#: Longest error text kept on a task.
_ERROR_LENGTH = 500


def _key(token: str) -> str | None:
    """``object.field`` for the inside of a ``{{...}}``, or None when it names no placeholder."""
    m = _NAME.fullmatch(token)
    if m is None or m.group(2) not in EMAIL_PLACEHOLDERS.get(m.group(1), ()):
        return None
    return f"{m.group(1)}.{m.group(2)}"


def check_placeholders(text: str, *, what: str = "email") -> tuple[str, ...]:
    """The placeholders ``text`` uses (``object.field``, each once); any ``{{...}}``
    that is not one of :data:`EMAIL_PLACEHOLDERS` is refused (MAIL_01)."""
    if not isinstance(text, str):
        raise ValidationError(f"an {what} is text", value=text)
    found: list[str] = []
    for m in _TOKEN.finditer(text):
        key = _key(m.group(1))
        if key is None:
            raise RuleViolation(
                "MAIL_01",
                f"unknown placeholder in the {what}; placeholders are {{{{object.field}}}} with "
                + "; ".join(f"{o}: {', '.join(f)}" for o, f in EMAIL_PLACEHOLDERS.items()),
                value=m.group(0),
            )
        found.append(key)
    return tuple(dict.fromkeys(found))


def render_email(text: str, values: Mapping[str, str]) -> str:
    """``text`` with each known placeholder replaced by its value in ``values``
    (keyed ``object.field``; a missing one becomes empty text).  Anything else,
    unknown placeholders included, is left as it is: nothing is evaluated."""
    if not isinstance(text, str):
        raise ValidationError("an email template is text", value=text)
    if not isinstance(values, Mapping) or not all(isinstance(v, str) for v in values.values()):
        raise ValidationError("placeholder values are a mapping of text", value=values)

    def one(m: re.Match[str]) -> str:
        key = _key(m.group(1))
        return m.group(0) if key is None else values.get(key, "")

    return _TOKEN.sub(one, text)


@attrs.frozen
class OutgoingEmail:
    """What a ``successkit_send_email`` sender is given: one rendered email of one task,
    or of a rule's ``send_email`` action (AUTO_03): ``rule`` names the rule and
    ``task_id`` is then the id of the record that remembers the send."""

    task_id: str
    company_id: str
    to: tuple[str, ...]
    subject: str
    body: str
    rule: str | None = None


# ------------------------------------------------------------------ composing
def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _first_name(name: str | None) -> str:
    return name.split()[0] if name and name.split() else ""


def _fields(prefix: str, record: Any, names: tuple[str, ...]) -> dict[str, str]:
    if record is None:
        return {}
    out = {}
    for name in names:
        value = _first_name(record.name) if name == "first_name" else getattr(record, name, None)
        out[f"{prefix}.{name}"] = _text(value)
    return out


def _status_label(kit: Kit, kind: str, key: str) -> str:
    try:
        return kit.statuses.get(kind, key).label
    except SuccessKitError:
        return key


def _recipients(kit: Kit, task: Task, parent: Objective | Cta) -> tuple[tuple[str, ...], Person | None]:
    """Who the email goes to, and the person whose fields fill ``{{person.*}}``:
    the task's addresses (the person is the company's person with the first of them),
    else the task's owner when a person, else the parent's associated people."""
    if task.email_to:
        people = kit.people.list([("company_id", "=", task.company_id), ("email", "in", list(task.email_to))])
        by_email = {p.email: p for p in people if not p.erased}
        return task.email_to, next((by_email[a] for a in task.email_to if a in by_email), None)
    ids = [task.owner_id] if task.owner_kind == "person" and task.owner_id else list(parent.associated_person_ids)
    found = {p.id: p for p in kit.store.get_many("person", ids)} if ids else {}
    chosen = [found[i] for i in ids if i in found and found[i].email and not found[i].erased]
    return tuple(dict.fromkeys(str(p.email) for p in chosen)), chosen[0] if chosen else None


def record_values(**records: Any) -> dict[str, str]:
    """The value of every placeholder of the given records (``company=``, ``relationship=``,
    ``person=``, ``csm=``, ``plan=``, ``cta=``; None or missing: no values), keyed
    ``object.field`` as :func:`render_email` takes them.  The rules' ``send_email``
    action fills its templates with it too (AUTO_03)."""
    out: dict[str, str] = {}
    for prefix, names in EMAIL_PLACEHOLDERS.items():
        out.update(_fields(prefix, records.get(prefix), names))
    return out


def placeholder_values(kit: Kit, task: Task) -> tuple[dict[str, str], tuple[str, ...]]:
    """The value of every placeholder for ``task``'s email, and its recipients."""
    parent: Objective | Cta = kit.store.get(task.parent_kind, task.parent_id)
    company = kit.companies.get(task.company_id)
    relationship = kit.relationships.get(parent.relationship_id) if parent.relationship_id else None
    plan = kit.plans.get(task.plan_id) if task.plan_id else None
    csm_id = (relationship.csm_id if relationship else None) or company.csm_id
    csm = next(iter(kit.store.get_many("user", [csm_id])), None) if csm_id else None
    to, person = _recipients(kit, task, parent)
    values = record_values(company=company, relationship=relationship, person=person, csm=csm, plan=plan, cta=parent)
    if plan is not None:
        values["plan.status"] = _status_label(kit, "plan", plan.status)
    values["cta.status"] = _status_label(kit, parent.__kind__, parent.status)
    return values, to


def compose(kit: Kit, task: Task) -> OutgoingEmail:
    """The rendered email of an email task, as it would be sent now."""
    values, to = placeholder_values(kit, task)
    return OutgoingEmail(
        task_id=task.id,
        company_id=task.company_id,
        to=to,
        subject=render_email(task.email_subject or task.name, values),
        body=render_email(task.email_body or "", values),
    )


# -------------------------------------------------------------------- sending
def deliver(kit: Kit, email: OutgoingEmail) -> None:
    """Hand ``email`` to the sender plugins, after the commit that queued it, and
    record the result on its task: ``sent`` when accepted, the error otherwise (MAIL_02)."""
    error = (
        send(kit, email)
        if email.to
        else "the email has no recipient: give the task addresses, a person owner or associated people"
    )
    if error is not None:
        log.warning("email of task %s not sent: %s", email.task_id, error)
    retry(partial(_record, kit, email.task_id, error))  # re-reads the task: another writer may come first


def send(kit: Kit, email: OutgoingEmail) -> str | None:
    """Hand ``email`` to the ``successkit_send_email`` senders now: None when one accepted
    it, else why not (a sender's exception is the reason, never raised)."""
    try:
        accepted = kit.plugins.hook.successkit_send_email(email=email, kit=kit)
    except Exception as e:  # a sender's failure is recorded, never raised into the caller's commit
        return str(e) if isinstance(e, SuccessKitError) else f"{type(e).__name__}: {e}"
    if accepted is None:
        return "no email sender is installed (a successkit_send_email plugin, such as SmtpSender)"
    if accepted is False:
        return "the email sender did not accept the email"
    return None


def _record(kit: Kit, task_id: str, error: str | None) -> None:
    """Write the result of a delivery on the task, if it still waits in ``verify``."""
    with kit.transaction():
        found = kit.store.get_many("task", [task_id])
        if not found or found[0].email_state != "verify":
            log.warning("email task %s was deleted or sent meanwhile; the delivery's result is not recorded", task_id)
            return
        task: Task = found[0]
        if error is None:
            closed = kit.statuses.in_category("task", "closed_success")[0]
            changes = status_change(kit, "task", task, closed)
            save(kit, task, {"email_state": "sent", "email_error": None, **changes})
        else:
            save(kit, task, {"email_error": error[:_ERROR_LENGTH]})
