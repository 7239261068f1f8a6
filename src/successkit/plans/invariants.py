"""Invariants of the specification shared by plans, objectives, cockpit CTAs and tasks.

- owners: a user under USER_01/USER_02, or (for objectives and tasks) an external person;
- PLAN_06: nothing inside a closed plan changes;
- PLAN_09: a due date later than the plan's moves the plan's due date, with a warning;
- playbooks (OBJ_03, OBJ_04): the tasks a playbook creates on an objective or CTA;
- statuses: a status change keeps ``closed_at`` in step with the status category.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from successkit.errors import NotFound, ReadOnlyError, RuleViolation, ValidationError, article
from successkit.outcome import Notice
from successkit.records import Cta, Objective, Person, Playbook, SuccessPlan, Task, User, new_id
from successkit.records.checks import check_attributes
from successkit.service import evolve, stamp

from .builders import new_task
from .business_days import DateShifter

if TYPE_CHECKING:
    from successkit.kit import Kit

    from .playbooks import PlaybookContent

__all__ = [
    "check_open_plan",
    "evolve",
    "extend_plan_due",
    "latest_beyond",
    "playbook_tasks",
    "resolve_owner",
    "status_change",
]

Work = Objective | Cta


def resolve_owner(
    kit: Kit, owner: Any, *, what: str, allow_person: bool, company_id: str | None = None
) -> tuple[str, str]:
    """(owner id, owner kind) for a user or, where allowed, an external person.

    Users must pass USER_01 and USER_02; a person must exist and, when
    ``company_id`` is given, be a contact of that customer (or of none).
    """
    if isinstance(owner, User):
        return kit.users.check_owner(owner.id, what=what).id, "user"
    if isinstance(owner, Person):
        if not allow_person:
            raise ValidationError(f"{article(what)} is owned by a user, not an external person", value=owner.name)
        return _contact(kit, owner.id, what, company_id), "person"
    if not isinstance(owner, str) or not owner:
        raise ValidationError(f"{article(what)} owner is a user (or person) or its id", value=owner)
    try:
        return kit.users.check_owner(owner, what=what).id, "user"
    except NotFound:
        if not allow_person:
            raise
    return _contact(kit, owner, what, company_id), "person"


def _contact(kit: Kit, person_id: str, what: str, company_id: str | None) -> str:
    person = kit.people.get(person_id)
    if company_id is not None and person.company_id not in (None, company_id):
        raise ValidationError(f"an external owner of a {what} is a contact of the same customer", value=person.name)
    return person.id


def check_open_plan(kit: Kit, plan: SuccessPlan, *, what: str) -> None:
    """Refuse any change inside a plan the acting user may not change (SHARE_04,
    the license matrix of ``docs/sharing.md``), or inside a closed plan (PLAN_06).

    Every change to a plan, its objectives and tasks passes here, which makes
    it the one place where changes are checked.
    """
    kit.access.check_actor("change", plan)
    if kit.statuses.get("plan", plan.status).category == "closed":
        raise ReadOnlyError(
            "PLAN_06",
            f"plan {plan.name!r} is closed: {what} is not allowed until the plan is set back to an active status",
            value=plan.name,
        )


def extend_plan_due(
    kit: Kit, plan: SuccessPlan, items: Iterable[tuple[str, date | None]]
) -> tuple[SuccessPlan, list[Notice]]:
    """PLAN_09: move the plan's due date to the latest item due date beyond it.

    ``items`` are (label, due date) pairs.  A plan without a due date has
    nothing to move.  Returns the (possibly updated and stored) plan and the
    warnings to hand back to the caller.
    """
    latest = latest_beyond(plan.due_date, items)
    if latest is None:
        return plan, []
    new_due, label = latest
    moved = evolve(kit, plan, due_date=new_due)
    kit.store.update(moved, plan.version)
    kit.notifications.plan_due_date_changed(plan, moved)
    notice = Notice(
        "PLAN_09",
        f"the plan's due date moved from {plan.due_date} to {new_due} because {label} is due then",
        value=new_due,
    )
    return moved, [notice]


def latest_beyond(due: date | None, items: Iterable[tuple[str, date | None]]) -> tuple[date, str] | None:
    """PLAN_09's test: the latest (due date, label) of ``items`` after ``due``;
    None when none is later or the plan has no due date to move."""
    if due is None:
        return None
    latest: tuple[date, str] | None = None
    for label, when in items:
        if when is not None and when > due and (latest is None or when > latest[0]):
            latest = (when, label)
    return latest


def status_change(kit: Kit, kind: str, record: Any, status: str) -> dict[str, Any]:
    """The changes that set ``status``: the status and a matching ``closed_at``."""
    new = kit.statuses.get(kind, status)
    old = kit.statuses.get(kind, record.status)
    changes: dict[str, Any] = {"status": new.key}
    if new.is_closed and not old.is_closed:
        changes["closed_at"] = kit.now()
    elif not new.is_closed and old.is_closed:
        changes["closed_at"] = None
    return changes


def check_playbook_for(kit: Kit, work: Work, playbook: Playbook) -> None:
    """OBJ_04: objectives take only playbooks configured for all CTA types;
    a cockpit CTA takes one for all types or for its own type."""
    if isinstance(work, Objective):
        if not playbook.all_cta_types:
            raise RuleViolation(
                "OBJ_04", "only playbooks configured for all CTA types can be used on objectives", value=playbook.name
            )
    elif not playbook.all_cta_types and work.type not in playbook.cta_types:
        raise RuleViolation(
            "OBJ_04", f"playbook {playbook.name!r} is not configured for CTA type {work.type!r}", value=playbook.name
        )


def playbook_tasks(kit: Kit, work: Work, content: PlaybookContent, on: date, *, first_position: int = 0) -> list[Task]:
    """The tasks a playbook creates under ``work`` when applied on day ``on`` (OBJ_03).

    Owners are the work item's owner; due dates come from the steps' offsets;
    dependencies between steps become dependencies between the new tasks;
    email steps become email tasks waiting in the ``verify`` state.  No
    storage call: ``content`` holds everything needed.
    """
    shifter = DateShifter(on, holidays=())
    created = stamp(kit)
    steps = sorted(content.steps, key=lambda s: (s.position, s.key))
    ids = {s.key: new_id() for s in steps}
    tasks = []
    for i, step in enumerate(steps):
        template = content.emails.get(step.email_template_id) if step.email_template_id else None
        tasks.append(
            new_task(
                kit,
                work,
                id=ids[step.key],
                created=created,
                name=step.name,
                priority=step.priority,
                start_date=shifter.shift(step.start_days, business_days=step.business_days),
                due_date=shifter.shift(step.due_days, business_days=step.business_days),
                depends_on=tuple(ids[k] for k in step.depends_on if k in ids),
                position=first_position + i,
                playbook_id=content.playbook.id,
                description=step.description,
                email_subject=template.subject if template else None,
                email_body=template.body if template else None,
                email_template_id=step.email_template_id,
                email_state="verify" if step.email_template_id else None,
            )
        )
    return tasks


def find_cycle(graph: Mapping[str, Sequence[str]]) -> list[str] | None:
    """A dependency cycle in ``graph`` (node -> nodes it waits for), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    for start in graph:
        if state.get(start):
            continue
        stack: list[tuple[str, Iterator[str]]] = [(start, iter(graph.get(start, ())))]
        path = [start]
        state[start] = 1
        while stack:
            node, deps = stack[-1]
            nxt = next(deps, None)
            if nxt is None:
                stack.pop()
                path.pop()
                state[node] = 2
            elif state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            elif not state.get(nxt):
                state[nxt] = 1
                path.append(nxt)
                stack.append((nxt, iter(graph.get(nxt, ()))))
    return None


def as_date(kind: str, field: str, value: Any, *, required: bool = False) -> date | None:
    """A date from a date or an ISO string; None passes unless ``required``."""
    if value is None:
        if required:
            raise ValidationError(f"{kind} {field} is required", value=value)
        return None
    return check_attributes(kind, {field: value}, {field: date})[field]  # type: ignore[no-any-return]


def today_or(kit: Kit, value: date | datetime | None) -> date:
    """``value`` as a date, or the kit's today."""
    if value is None:
        return kit.today()
    if isinstance(value, datetime):
        return value.date()
    if not isinstance(value, date):
        raise ValidationError("expected a date", value=value)
    return value
