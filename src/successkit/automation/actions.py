"""The rule actions beside RULE_01's (AUTO_03): update a field, close CTAs, set a
measure, assign a CSM, send an email, call a webhook.

Each action is checked when its rule is saved (:func:`check_action`: an unknown
field, status, measure, user, template placeholder or a URL that is not http(s)
is an AUTO_03 error naming the rule and the value) and run by
:class:`~successkit.automation.run.RuleExecution` for all the rule's targets at
once (:func:`run_action`): a fixed number of storage calls per action, however
many targets.  Every action keeps RULE_02 (a rerun does nothing twice: a value
already in place is ``unchanged``, an email or webhook goes once per target per
rule) and RULE_03 (a dry run rolls the transaction back, and the after-commit
work of emails and webhooks goes with it).

Writes to companies and relationships take the writers' path: the attribute
history (HIST_01) is written in the run's transaction and the change is reported
to the event rules (AUTO_01), which may react one level deeper (AUTO_04).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from functools import partial
from typing import TYPE_CHECKING, Any

from successkit.accounts.people import check_email
from successkit.errors import ValidationError
from successkit.plans.emails import OutgoingEmail, record_values, render_email
from successkit.plans.emails import send as send_now
from successkit.plans.invariants import status_change
from successkit.plugins.webhook_notifier import WebhookNotifier, post_signed
from successkit.plugins.webhook_notifier import where as shown_url
from successkit.query.language import Query
from successkit.records import Company, Person, Record, Relationship, RuleEnrolment, Setting, User, new_id
from successkit.records.checks import check_attributes
from successkit.service import evolve, stamp
from successkit.signals.history import record_changes

from .action_checks import MORE_ACTIONS, WRITABLE, check_action

if TYPE_CHECKING:
    from successkit.kit import Kit

    from .run import RuleExecution

__all__ = ["MORE_ACTIONS", "action_locks", "check_action", "run_action"]

log = logging.getLogger(__name__)

Target = Company | Relationship
_DATES = frozenset({"renewal_date"})


def run_action(ex: RuleExecution, targets: Sequence[Target], action: Mapping[str, Any]) -> list[Target]:
    """Do ``action`` (one of :data:`MORE_ACTIONS`) for every target, recording a step each;
    returns the targets as they now are, for the rule's next actions (the CSM an
    ``assign`` chose is who a ``send_email`` after it writes to)."""
    written = _RUNNERS[action["do"]](ex, targets, action) or {}
    for record in written.values():
        if isinstance(record, Company) and record.id in ex.companies:
            ex.companies[record.id] = record
    return [written.get(t.id, t) if isinstance(written.get(t.id), type(t)) else t for t in targets]


def action_locks(rule_id: str, action: Mapping[str, Any]) -> set[str]:
    """The locks an action takes (SEC_04): what it writes once, per identity."""
    do = action["do"]
    if do == "close_ctas":  # the CTAs a create_cta of the same type and reason raises
        return {f"rules:cta:{action['type']}:{action.get('reason')}"}
    if do == "set_measure":
        return {f"rules:measure:{action['measure']}"}
    if do == "assign":  # a team's load and a rotation's position are shared
        return {"rules:assign"}
    if do in ("send_email", "call_webhook"):
        return {f"rules:send:{rule_id}"}
    return {"rules:update_field"}


# ------------------------------------------------------------------------------ writes
def _converted(kit: Kit, kind: str, field: str, value: Any, scope: str | None) -> Any:
    """``value`` as ``field`` of a ``kind`` record stores it (ValidationError if it cannot)."""
    if field.startswith("fields."):
        name = field[len("fields.") :]
        return kit.custom_fields.check(kind, {name: value}, scope=scope).get(name, value)
    if field in _DATES and isinstance(value, str):
        try:
            value = date.fromisoformat(value[:10])
        except ValueError:
            raise ValidationError(f"{field} is a date", value=value) from None
    return check_attributes(kind, {field: value}, WRITABLE[kind])[field]


def _current_value(record: Any, field: str) -> Any:
    if field.startswith("fields."):
        return record.fields.get(field[len("fields.") :])
    return getattr(record, field, None)


def _write(ex: RuleExecution, kind: str, changes: Mapping[str, tuple[Record, dict[str, Any]]]) -> dict[str, Any]:
    """Store the changed records in bulk, as their writers do: the history of tracked
    attributes (HIST_01) and the event report (AUTO_01) for companies and
    relationships, the CSM notification for companies (NOTIF_05).  Three calls."""
    kit = ex.kit
    updates: list[tuple[Any, int]] = []
    for record, change in changes.values():
        plain = {k: v for k, v in change.items() if not k.startswith("fields.")}
        custom = {k[len("fields.") :]: v for k, v in change.items() if k.startswith("fields.")}
        if custom:
            plain["fields"] = {**record.fields, **custom}
        updates.append((evolve(kit, record, **plain), record.version))
    if not updates:
        return {}
    ex.guard([u for u, _ in updates])
    kit.store.update_many(updates)
    pairs = [(record, new) for (record, _), (new, _) in zip(changes.values(), updates, strict=True)]
    if kind in ("company", "relationship"):
        record_changes(kit, pairs)
    if kind == "company":
        kit.notifications.csm_assigned([(b, n) for b, n in pairs if isinstance(b, Company) and isinstance(n, Company)])
    return {new.id: new for new, _ in updates}


def _scope_of(record: Any) -> str | None:
    return record.type_id if isinstance(record, Relationship) else None


# -------------------------------------------------------------------- update_field
def _update_field(ex: RuleExecution, targets: Sequence[Target], a: Mapping[str, Any]) -> dict[str, Any]:
    kit, field, of = ex.kit, a["field"], a.get("of", "target")
    current = {r.id: r for r in kit.store.get_many(ex.kind, [t.id for t in targets])}  # what earlier actions left
    values: dict[str, Any] = {}
    missing = ""
    if "from_activity" in a:
        source = a["from_activity"]
        found = kit.timeline.latest_values(
            f"fields.{source['field']}", record_kind=ex.kind, types=source.get("types"), records=list(current)
        )
        values = {tid: v.value for tid, v in found.items()}
        missing = f"no published activity has a value for {source['field']!r}"
    elif "from_field" in a:
        values = {tid: _current_value(r, a["from_field"]) for tid, r in current.items()}
    else:
        values = {tid: a["value"] for tid in current}
    written = _written(ex, [current[t.id] for t in targets if t.id in current], of)
    wkind = "person" if of == "sponsors" else ("company" if of == "company" else ex.kind)
    changes: dict[str, tuple[Record, dict[str, Any]]] = {}
    for t in targets:
        if t.id not in values:
            ex.step("update_field", "skipped", t, detail=missing or f"the {ex.kind} is gone")
            continue
        records = written.get(t.id, [])
        if not records:
            ex.step("update_field", "skipped", t, detail="no sponsor to update (PEOPLE_02)")
        for record in records:
            try:
                value = _converted(kit, wkind, field, values[t.id], _scope_of(record))
            except ValidationError as e:
                ex.step("update_field", "skipped", t, record.id, f"{field}: {e.message} ({values[t.id]!r})")
                continue
            before = changes[record.id][0] if record.id in changes else record
            shown = f"{wkind} {getattr(record, 'name', record.id)!r} {field.removeprefix('fields.')}"
            if _current_value(before, field) == value and record.id not in changes:
                ex.step("update_field", "unchanged", t, record.id, f"RULE_02: {shown} is already {value!r}")
                continue
            changes[record.id] = (record, {field: value})
            ex.step("update_field", "updated", t, record.id, f"{shown} set to {value!r}")
    return _write(ex, wkind, changes)


def _written(ex: RuleExecution, targets: Sequence[Target], of: str) -> dict[str, list[Any]]:
    """Per target, the records an ``update_field`` writes (one read at most)."""
    if of == "target":
        return {t.id: [t] for t in targets}
    if of == "company":
        ids = sorted({t.company_id for t in targets if isinstance(t, Relationship)})
        companies = {c.id: c for c in ex.kit.store.get_many("company", ids)}
        return {t.id: [companies[t.company_id]] for t in targets if isinstance(t, Relationship)}
    return _sponsors(ex, targets)


def _sponsors(ex: RuleExecution, targets: Sequence[Target]) -> dict[str, list[Person]]:
    """Per target, its sponsors (PEOPLE_02): the people of the company marked ``sponsor``
    (for a relationship, those who work on it), not erased, by name.  One read."""
    ids = sorted({ex.company_of(t).id for t in targets})
    where = [("company_id", "in", ids), ("sponsor", "=", True), ("erased", "=", False)]
    people: list[Person] = list(ex.kit.store.query(ex.kit.bind("person", Query(conditions=where, sort=["name", "id"]))))
    out: dict[str, list[Person]] = {}
    for t in targets:
        if isinstance(t, Relationship):
            out[t.id] = [p for p in people if p.company_id == t.company_id and t.id in p.relationship_ids]
        else:
            out[t.id] = [p for p in people if p.company_id == t.id]
    return out


# ---------------------------------------------------------------------- close_ctas
def _close_ctas(ex: RuleExecution, targets: Sequence[Target], a: Mapping[str, Any]) -> None:
    kit = ex.kit
    where: list[Any] = [
        *ex.scope(targets),
        ("type", "=", a["type"]),
        ("status", "in", kit.statuses.in_category("cta", "open")),
    ]
    if a.get("reason") is not None:
        where.append(("reason", "=", a["reason"]))
    found: dict[str, list[Any]] = {}
    for c in kit.store.query(kit.bind("cta", Query(conditions=where, sort=["created_at", "id"]))):
        found.setdefault(getattr(c, ex.key), []).append(c)
    label = kit.statuses.get("cta", a["status"]).label
    updates: list[tuple[Any, int]] = []
    for t in targets:
        name = ex.text(a["name"], t) if a.get("name") else None
        chosen = [c for c in found.get(t.id, []) if name is None or c.name == name]
        if not chosen:
            ex.step("close_ctas", "unchanged", t, detail=f"RULE_02: no open {a['type']} CTA matches")
        for c in chosen:
            updates.append((evolve(kit, c, **status_change(kit, "cta", c, a["status"])), c.version))
            ex.step("close_ctas", "updated", t, c.id, f"CTA {c.name!r} closed as {label}")
    ex.guard([u for u, _ in updates])
    if updates:
        kit.store.update_many(updates)


# --------------------------------------------------------------------- set_measure
def _set_measure(ex: RuleExecution, targets: Sequence[Target], a: Mapping[str, Any]) -> None:
    """A manual entry (SCORE_02) per target, at the id ``kit.scores`` gives it: one read,
    one insert, one update and one delete at most.  ``value`` None (``"NA"`` in a bundle)
    deletes the entry, so the measure reads NA (SCORE_03); with ``older_than_days``
    only entries dated more than that many days ago (``"staleness"``: the measure's
    staleness, read now) are touched, and a target without an entry is left alone."""
    from successkit.records import MeasureEntry, stable_id

    kit, key, value = ex.kit, a["measure"], a["value"]
    older = a.get("older_than_days")
    if older == "staleness":
        older = kit.measures.get(key).staleness_days
    ids = {t.id: stable_id("measure_entry", ex.kind, t.id, key) for t in targets}
    stored = {e.id: e for e in kit.store.get_many("measure_entry", list(ids.values()))}
    new: list[MeasureEntry] = []
    changed: list[tuple[MeasureEntry, int]] = []
    cleared: list[str] = []
    made, today = stamp(kit), ex.today
    for t in targets:
        old = stored.get(ids[t.id])
        if older is not None and (old is None or (today - old.as_of).days <= older):
            why = "no entry" if old is None else f"entered {old.as_of.isoformat()}, not older than {older} days"
            ex.step("set_measure", "unchanged", t, None if old is None else old.id, f"{key}: {why}")
            continue
        if value is None:
            if old is None:
                ex.step("set_measure", "unchanged", t, None, f"RULE_02: {key} is already NA")
            else:
                cleared.append(old.id)
                ex.step("set_measure", "updated", t, old.id, f"{key} = NA (was {old.value:g})")
            continue
        if old is not None and old.value == value and old.grade is None and older is None:
            ex.step("set_measure", "unchanged", t, old.id, f"RULE_02: {key} is already {value:g}")
            continue
        values: dict[str, Any] = {"value": float(value), "grade": None, "author_id": kit.actor_id,
                                  "comment": a.get("comment"), "as_of": today}  # fmt: skip
        if old is None:
            entry = MeasureEntry(id=ids[t.id], **made, record_kind=ex.kind, record_id=t.id, measure=key, **values)
            new.append(entry)
            ex.step("set_measure", "created", t, entry.id, f"{key} = {value:g}")
        else:
            changed.append((evolve(kit, old, **values), old.version))
            ex.step("set_measure", "updated", t, old.id, f"{key} = {value:g} (was {old.value:g})")
    if new:
        kit.store.insert_many(new)
    if changed:
        kit.store.update_many(changed)
    if cleared:
        kit.store.delete_many("measure_entry", cleared)


# -------------------------------------------------------------------------- assign
def _assign(ex: RuleExecution, targets: Sequence[Target], a: Mapping[str, Any]) -> dict[str, Any]:
    """Set the targets' CSM: a named user; or, for a team, round robin or the least
    loaded.  A target whose CSM is already that user (or, for a team, a member) is
    ``unchanged`` (RULE_02).  At most five calls: the team, the records, the load
    (one GROUP BY) or the rotation's position, the writes."""
    kit = ex.kit
    current = {r.id: r for r in kit.store.get_many(ex.kind, [t.id for t in targets])}
    team = _team(kit, a)
    members = {u.id: u for u in team}
    todo = [current[t.id] for t in targets if t.id in current]
    if not team:
        for t in todo:
            ex.step("assign", "skipped", t, detail="the team has no active user")
        return {}
    pick: Callable[[], User]
    if a.get("how") == "least_loaded":
        pick = _least_loaded(ex, team)
    elif a.get("how") == "round_robin":
        pick = _rotation(ex, a, team)
    else:
        pick = lambda: team[0]  # noqa: E731 - a named user
    changes: dict[str, tuple[Record, dict[str, Any]]] = {}
    for t in todo:
        if t.csm_id in members:
            ex.step("assign", "unchanged", t, t.csm_id, f"RULE_02: the CSM is already {members[t.csm_id].name}")
            continue
        user = pick()
        changes[t.id] = (t, {"csm_id": user.id})
        ex.step("assign", "updated", t, user.id, f"CSM set to {user.name}")
    if isinstance(pick, _Rotation):
        pick.save()
    return _write(ex, ex.kind, changes)


def _team(kit: Kit, a: Mapping[str, Any]) -> list[User]:
    """The active users the action chooses from, in the action's order (a group's
    members by name).  One read."""
    users = {u.id: u for u in kit.users.list() if u.active and u.license != "viewer"}
    if a.get("group") is not None:
        return sorted((u for u in users.values() if a["group"] in u.groups), key=lambda u: (u.name, u.id))
    ids = [a["user"]] if a.get("user") is not None else list(a["team"])
    return [users[i] for i in ids if i in users]


def _least_loaded(ex: RuleExecution, team: list[User]) -> Callable[[], User]:
    """The member with the fewest records of the target's kind as CSM (ties: team order),
    counted in the database in one GROUP BY; each pick counts at once."""
    service = ex.kit.companies if ex.kind == "company" else ex.kit.relationships
    table = service.aggregate([("csm_id", "in", [u.id for u in team])], by="csm_id")
    load = {u.id: 0 for u in team}
    for row in table:
        load[row.keys[0]] = int(row["count"])

    def pick() -> User:
        user = min(team, key=lambda u: load[u.id])  # min keeps the first of equals
        load[user.id] += 1
        return user

    return pick


class _Rotation:
    """Round robin over a team, remembering the last user chosen in the setting
    ``rules.round_robin.<rule id>.<action>`` so the next run goes on from there."""

    def __init__(self, ex: RuleExecution, key: str, team: list[User]) -> None:
        self.ex, self.key, self.team = ex, key, team
        query = Query(conditions=[("key", "=", key)])
        found = list(ex.kit.store.query(ex.kit.bind("setting", query)))
        self.stored: Setting | None = found[0] if found else None
        ids = [u.id for u in team]
        last = self.stored.value if self.stored is not None else None
        self.at = ids.index(last) + 1 if last in ids else 0
        self.moved = False

    def __call__(self) -> User:
        user = self.team[self.at % len(self.team)]
        self.at, self.moved = (self.at % len(self.team)) + 1, True
        return user

    def save(self) -> None:
        if not self.moved:
            return
        last = self.team[(self.at - 1) % len(self.team)].id
        kit = self.ex.kit
        if self.stored is None:
            kit.store.insert(Setting(**stamp(kit), key=self.key, value=last))
        else:
            kit.store.update(evolve(kit, self.stored, value=last), self.stored.version)


def _rotation(ex: RuleExecution, a: Mapping[str, Any], team: list[User]) -> _Rotation:
    return _Rotation(ex, f"rules.round_robin.{ex.rule.id}.{_index(ex, a)}", team)


def _index(ex: RuleExecution, a: Mapping[str, Any]) -> int:
    return list(ex.rule.definition["actions"]).index(dict(a))


# ------------------------------------------------------------------ once per target
def _not_yet(ex: RuleExecution, targets: Sequence[Target], a: Mapping[str, Any]) -> tuple[list[Target], dict[str, str]]:
    """The targets the action has not yet sent to (RULE_02), and the id of the record
    that will remember each send.  The memory is a rule enrolment keyed by the action
    (``a<n>:<target id>``), deleted with the rule.  A rule whose enrolment limit lets a
    target in again (``every_days``) sends each time it does (AUTO_04)."""
    keys = {t.id: f"a{_index(ex, a)}:{t.id}" for t in targets}
    limit = ex.rule.definition.get("limit") or {}
    if "every_days" in limit:
        return list(targets), {}
    where = [("rule_id", "=", ex.rule.id), ("target_id", "in", list(keys.values()))]
    done = {e.target_id: e for e in ex.kit.store.query(ex.kit.bind("rule_enrolment", Query(conditions=where)))}
    todo = []
    for t in targets:
        if keys[t.id] in done:
            day = done[keys[t.id]].enrolled_at.date()
            ex.step(a["do"], "unchanged", t, done[keys[t.id]].id, f"RULE_02: already sent on {day}")
        else:
            todo.append(t)
    return todo, {t.id: keys[t.id] for t in todo}


def _remember(ex: RuleExecution, kind: str, keys: Mapping[str, str], sent: Sequence[str]) -> dict[str, str]:
    """Record the sends (one insert); the memory record's id per target (a fresh id
    when the rule's limit governs and nothing is remembered)."""
    if not keys:
        return {t: new_id() for t in sent}
    now, made = ex.kit.now(), stamp(ex.kit)
    records = [
        RuleEnrolment(**made, rule_id=ex.rule.id, target_kind=kind, target_id=keys[t], enrolled_at=now) for t in sent
    ]
    if records:
        ex.kit.store.insert_many(records)
    return {t: r.id for t, r in zip(sent, records, strict=True)}


# ---------------------------------------------------------------------- send_email
def _send_email(ex: RuleExecution, targets: Sequence[Target], a: Mapping[str, Any]) -> None:
    """Render the template for each target and hand the emails to the
    ``successkit_send_email`` senders once the run commits (MAIL_02)."""
    kit = ex.kit
    todo, keys = _not_yet(ex, targets, a)
    if not todo:
        return
    query = Query(conditions=[("name", "=", a["template"])])
    template = next(iter(kit.store.query(kit.bind("email_template", query))), None)
    if template is None:
        for t in todo:
            ex.step("send_email", "skipped", t, detail=f"the email template {a['template']!r} was deleted")
        return
    csm_ids = {t.id: t.csm_id or ex.company_of(t).csm_id for t in todo}
    csms = {u.id: u for u in kit.store.get_many("user", sorted({i for i in csm_ids.values() if i}))}
    to = a.get("to", "csm")
    sponsors = _sponsors(ex, todo) if to == "sponsors" else {}
    ready: list[tuple[Target, tuple[str, ...], Person | None, User | None]] = []
    for t in todo:
        csm = csms.get(csm_ids[t.id] or "")
        people = sponsors.get(t.id, [])
        person = people[0] if people else None
        addresses = _addresses(to, t, csm, people)
        if not addresses:
            ex.step("send_email", "skipped", t, detail=f"no address to send to ({to})")
            continue
        ready.append((t, addresses, person, csm))
    ids = _remember(ex, ex.kind, keys, [t.id for t, *_ in ready])
    emails = []
    for t, addresses, person, csm in ready:
        company = ex.company_of(t)
        relationship = t if isinstance(t, Relationship) else None
        values = record_values(company=company, relationship=relationship, person=person, csm=csm)
        subject = render_email(template.subject, values)
        body = render_email(template.body, values)
        emails.append(OutgoingEmail(ids[t.id], company.id, addresses, subject, body, rule=ex.rule.name))
        ex.step("send_email", "sent", t, ids[t.id], f"{subject!r} to {', '.join(addresses)}")
    if emails:
        kit.after_commit(partial(_deliver_emails, kit, ex.rule.name, tuple(emails), bool(keys)))


def _addresses(to: str, t: Target, csm: User | None, people: Sequence[Person]) -> tuple[str, ...]:
    if to == "csm":
        return (csm.email,) if csm is not None and csm.email else ()
    if to == "sponsors":
        return tuple(dict.fromkeys(p.email for p in people if p.email))
    if to.startswith("field:"):
        try:
            return (check_email(t.fields.get(to[len("field:") :]), param=to),)
        except ValidationError:
            return ()
    return (to,)


def _deliver_emails(kit: Kit, rule: str, emails: Sequence[OutgoingEmail], remembered: bool) -> None:
    """After the commit: each email to the senders.  A refusal is logged, never raised,
    and its send forgotten, so the rule's next run tries again."""
    failed = []
    for email in emails:
        error = send_now(kit, email)
        if error is not None:
            log.warning("email of rule %r to %s not sent: %s", rule, ", ".join(email.to), error)
            failed.append(email.task_id)
    if remembered:
        _forget(kit, rule, failed)


def _forget(kit: Kit, rule: str, ids: Sequence[str]) -> None:
    """Delete the memory of sends that failed (one write); never raises."""
    if not ids:
        return
    try:
        with kit.transaction():
            kit.store.delete_many("rule_enrolment", list(ids))
    except Exception:
        log.exception("rule %r: %d failed sends could not be forgotten; they are not retried", rule, len(ids))


# -------------------------------------------------------------------- call_webhook
def _call_webhook(ex: RuleExecution, targets: Sequence[Target], a: Mapping[str, Any]) -> None:
    """POST a signed JSON document about each target once the run commits."""
    kit = ex.kit
    todo, keys = _not_yet(ex, targets, a)
    ids = _remember(ex, ex.kind, keys, [t.id for t in todo])
    bodies: list[tuple[str, bytes]] = []
    at = kit.now().isoformat()
    for t in todo:
        document = {"id": ids[t.id], "event": "rule", "rule": ex.rule.name, "at": at, ex.kind: _about(t)}
        if isinstance(t, Relationship):
            document["company"] = _about(ex.company_of(t))
        body = json.dumps(document, separators=(",", ":"), ensure_ascii=False, default=_plain).encode()
        bodies.append((ids[t.id], body))
        ex.step("call_webhook", "sent", t, ids[t.id], f"POST {shown_url(a['url'])}")  # no query: it may hold a token
    if bodies:
        kit.after_commit(partial(_post_all, kit, ex.rule.name, a, tuple(bodies), bool(keys)))


def _about(record: Target) -> dict[str, Any]:
    keys = ("id", "name", "stage", "status", "csm_id", "arr", "renewal_date", "health_score", "score_grade", "nps")
    return {**{k: getattr(record, k, None) for k in keys}, "fields": dict(record.fields)}


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, (date, datetime)) else str(value)


def _post_all(kit: Kit, rule: str, a: Mapping[str, Any], bodies: Sequence[tuple[str, bytes]], remembered: bool) -> None:
    """After the commit: one signed POST per target, retried as the webhook notifier
    does (NOTIF_05); a call that was not delivered is logged and forgotten, so the
    rule's next run tries again."""
    secret = os.environ.get(a["secret_env"])
    failed = [delivery for delivery, _ in bodies]
    if not secret:
        log.warning("rule %r: the webhook secret %s is not set; %d calls not made", rule, a["secret_env"], len(bodies))
    else:
        how = WebhookNotifier(a["url"], secret=secret)
        failed = []
        for delivery, body in bodies:
            headers = {"Content-Type": "application/json", "User-Agent": "successkit-webhook",
                       "X-Successkit-Event": "rule", "X-Successkit-Delivery": delivery}  # fmt: skip
            if not post_signed(how, body, headers, what=f"rule {rule!r} {delivery}"):
                failed.append(delivery)
    if remembered:
        _forget(kit, rule, failed)


_RUNNERS: dict[str, Callable[[RuleExecution, Sequence[Target], Mapping[str, Any]], dict[str, Any] | None]] = {
    "update_field": _update_field,
    "close_ctas": _close_ctas,
    "set_measure": _set_measure,
    "assign": _assign,
    "send_email": _send_email,
    "call_webhook": _call_webhook,
}
