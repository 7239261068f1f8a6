"""Cloning a success plan (CLONE_01-CLONE_16), with a preview.

The clone is planned in memory first — every record it would create, the
owner each gets and why, every item left out and by which rule — and then,
unless it is a dry run, written in one transaction with one bulk insert per
record kind.  The preview and the real clone come from the same plan, so they
cannot disagree.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import TYPE_CHECKING, Any

import attrs

from successkit.errors import RuleViolation, ValidationError
from successkit.outcome import Notice
from successkit.records import Company, Objective, Relationship, SuccessPlan, Task, User, new_id
from successkit.records.checks import flag, require_text

from .invariants import as_date, resolve_owner
from .plans import name_key

if TYPE_CHECKING:
    from successkit.kit import Kit

__all__ = ["ALL_ITEMS", "ByStatus", "CloneResult", "LeftOut", "OwnerChoice", "clone_plan"]


@attrs.frozen(init=False)
class ByStatus:
    """Copy only the objectives (or tasks) whose status is one of ``statuses`` (CLONE_05)."""

    statuses: tuple[str, ...]

    def __init__(self, *statuses: str) -> None:
        if not statuses or not all(isinstance(s, str) for s in statuses):
            raise ValidationError("ByStatus takes one or more status keys", value=statuses)
        self.__attrs_init__(tuple(statuses))


#: Copy every objective (or task).
ALL_ITEMS = "all"

#: The keyword options of a clone.
CLONE_OPTIONS = frozenset({"name", "status", "owner", "due_date", "plan_type", "copy_plan_info", "objectives",
                           "tasks", "objective_owner", "task_owner", "dry_run"})


@attrs.frozen
class OwnerChoice:
    """Who owns a cloned item and why: ``rule`` is ``kept``, ``CLONE_06``,
    ``CLONE_13``, ``CLONE_14`` or ``CLONE_15``."""

    kind: str
    source_id: str
    name: str
    owner_id: str | None
    owner_kind: str
    rule: str
    reason: str


@attrs.frozen
class LeftOut:
    """Something of the source plan the clone does not carry, and the rule that says so."""

    kind: str
    source_id: str
    name: str
    rule: str
    reason: str


@attrs.frozen
class CloneResult:
    """What a clone holds (or, with ``dry_run``, would hold)."""

    plan: SuccessPlan
    objectives: tuple[Objective, ...]
    tasks: tuple[Task, ...]
    owners: tuple[OwnerChoice, ...]
    left_out: tuple[LeftOut, ...]
    warnings: tuple[Notice, ...]
    dry_run: bool
    source_ids: dict[str, str] = attrs.field(factory=dict, eq=False)  # new id -> source id

    def to_pandas(self) -> Any:
        """The new objectives and tasks with their ``source_id`` as a pandas DataFrame (needs the ``pandas`` extra)."""
        from successkit.views.frames import clone_frame

        return clone_frame(self)


def _selector(value: Any, what: str) -> Any:
    if value is None or value == ALL_ITEMS or isinstance(value, ByStatus):
        return value
    if isinstance(value, (list, tuple, set, frozenset)) and all(isinstance(v, str) for v in value):
        return ByStatus(*value)
    raise ValidationError(f"{what} is 'all', None (copy none) or ByStatus(...)", value=value)


def clone_plan(kit: Kit, plan: SuccessPlan | str, *, to: Company | Relationship | str, name: str | None = None,
               status: str | None = None, owner: User | str | None = None, due_date: date | None = None,
               plan_type: str | None = None, copy_plan_info: bool = True, objectives: Any = ALL_ITEMS,
               tasks: Any = ALL_ITEMS, objective_owner: User | str | None = None,
               task_owner: User | str | None = None, dry_run: bool = False) -> CloneResult:
    """Clone ``plan`` to a company or relationship ``to``; see the module docstring."""
    copy_plan_info = flag("clone", "copy_plan_info", copy_plan_info)
    dry_run = flag("clone", "dry_run", dry_run)
    objectives = _selector(objectives, "objectives")
    tasks = _selector(tasks, "tasks")
    for kind, chosen in (("objective", objectives), ("task", tasks)):
        if isinstance(chosen, ByStatus):
            for key in chosen.statuses:
                kit.statuses.get(kind, key)  # an unknown status is an error, not "copy nothing"
    with kit.transaction():
        result = _plan_clone(kit, plan, to, name, status, owner, due_date, plan_type, copy_plan_info, objectives,
                             tasks, objective_owner, task_owner, dry_run)
        if not dry_run:
            kit.access.check_actor("change", result.plan)
            kit.store.insert_many([result.plan, *result.objectives, *result.tasks])
            kit.plans._assigned(None, result.plan)
            kit.notifications.work_created(result.objectives)
    return result


def _target(kit: Kit, source: SuccessPlan, to: Any) -> tuple[str, str | None]:
    """(company id, relationship id) of the clone, under CLONE_02 and CLONE_03."""
    if isinstance(to, Relationship) or (isinstance(to, str) and kit.store.get_many("relationship", [to])):
        rel = kit.relationships.get(to)
        if source.relationship_id is None:
            raise RuleViolation("CLONE_02", "a company plan can be cloned to a company, never to a relationship",
                                value=rel.name)
        own = kit.relationships.get(source.relationship_id)
        if rel.type_id != own.type_id:
            raise RuleViolation("CLONE_03", "a relationship plan can only be cloned to a relationship of the "
                                "same relationship type", value=rel.name)
        return rel.company_id, rel.id
    company = kit.companies.get(to)
    if source.relationship_id is not None:
        raise RuleViolation("CLONE_03", "a relationship plan can only be cloned to a relationship",
                            value=company.name)
    return company.id, None


def _plan_clone(kit: Kit, plan: Any, to: Any, name: str | None, status: str | None, owner: Any,
                due_date: date | None, plan_type: str | None, copy_info: bool, which_objectives: Any,
                which_tasks: Any, objective_owner: Any, task_owner: Any, dry_run: bool) -> CloneResult:
    source = kit.plans.get(plan)
    due_date = as_date("clone", "due_date", due_date)
    if plan_type is not None and kit.config.plan_type(plan_type).key != source.plan_type:
        raise RuleViolation("CLONE_01", f"a plan can only be cloned into a plan of the same type "
                            f"({source.plan_type})", value=plan_type)
    company_id, rel_id = _target(kit, source, to)
    same_target = (company_id, rel_id) == (source.company_id, source.relationship_id)
    clone_name = require_text("plan", "name", name if name is not None else f"Copy of {source.name}")
    key = name_key(company_id, rel_id, clone_name)
    kit.plans._check_unique(key, clone_name)
    status_key = kit.plans._check_status(source.plan_type, status) if status else kit.plans._initial_status(
        source.plan_type)
    if kit.statuses.get("plan", status_key).category == "closed":
        raise RuleViolation("CLONE_08", f"a clone cannot be created in the closed status {status_key!r}: its "
                            "copies start in their default open status and a closed plan holds no open work "
                            "(PLAN_05); clone it, then close the clone", value=status_key)
    owners: list[OwnerChoice] = []
    left: list[LeftOut] = []

    # the clone's owner (CLONE_04, CLONE_13)
    if owner is not None:
        plan_owner = resolve_owner(kit, owner, what="success plan", allow_person=False)[0]
        owners.append(OwnerChoice("plan", source.id, clone_name, plan_owner, "user", "CLONE_04",
                                  "owner chosen for the clone"))
    else:
        current = kit.users.get_many([source.owner_id])
        if current and current[0].active and current[0].licensed and kit.users.can_own(current[0]):
            plan_owner = current[0].id
            owners.append(OwnerChoice("plan", source.id, clone_name, plan_owner, "user", "kept",
                                      "the original plan's owner"))
        else:
            if kit.actor_id is None:
                raise RuleViolation("CLONE_13", "the original plan's owner is inactive or unlicensed and no acting "
                                    "user can take over; open the kit as a user or pass owner=", value=source.name)
            plan_owner = resolve_owner(kit, kit.actor_id, what="success plan", allow_person=False)[0]
            owners.append(OwnerChoice("plan", source.id, clone_name, plan_owner, "user", "CLONE_13",
                                      "the original owner is inactive or unlicensed: the acting user owns the clone"))
    new_objective_owner = (resolve_owner(kit, objective_owner, what="objective", allow_person=False)
                           if objective_owner is not None else None)
    new_task_owner = (resolve_owner(kit, task_owner, what="task", allow_person=False)
                      if task_owner is not None else None)

    # what to copy (CLONE_05, CLONE_11)
    source_objectives = kit.objectives.list([("plan_id", "=", source.id)], sort=["position", "created_at"])
    source_tasks = kit.tasks.list([("plan_id", "=", source.id)], sort=["position", "created_at"])
    kept_objectives: list[Objective] = []
    for o in source_objectives:
        if which_objectives is None:
            left.append(LeftOut("objective", o.id, o.name, "CLONE_05", "objectives were not chosen"))
        elif isinstance(which_objectives, ByStatus) and o.status not in which_objectives.statuses:
            left.append(LeftOut("objective", o.id, o.name, "CLONE_05", f"status {o.status} was not chosen"))
        else:
            kept_objectives.append(o)
    kept_parent = {o.id for o in kept_objectives}
    kept_tasks: list[Task] = []
    for t in source_tasks:
        if t.parent_id not in kept_parent:
            left.append(LeftOut("task", t.id, t.name, "CLONE_05", "its objective is not copied"))
        elif which_tasks is None:
            left.append(LeftOut("task", t.id, t.name, "CLONE_05", "tasks were not chosen"))
        elif isinstance(which_tasks, ByStatus) and t.status not in which_tasks.statuses:
            left.append(LeftOut("task", t.id, t.name, "CLONE_05", f"status {t.status} was not chosen"))
        elif t.email_subject is not None and t.email_template_id is None:
            left.append(LeftOut("task", t.id, t.name, "CLONE_11", "ad-hoc email tasks are not copied"))
        else:
            kept_tasks.append(t)

    # owners of the items (CLONE_06, CLONE_14, CLONE_15), checked in one read
    items: list[Objective | Task] = [*kept_objectives, *kept_tasks]
    user_ids = sorted({i.owner_id for i in items if i.owner_kind == "user" and i.owner_id})
    users = {u.id: u for u in kit.users.get_many(user_ids)}

    def owner_for(item: Objective | Task, chosen: tuple[str, str] | None) -> tuple[str | None, str]:
        kind = item.__kind__
        if chosen is not None:
            owners.append(OwnerChoice(kind, item.id, item.name, chosen[0], chosen[1], "CLONE_06",
                                      f"every copied {kind} gets the chosen owner"))
            return chosen
        if item.owner_kind == "person":
            if not same_target:
                owners.append(OwnerChoice(kind, item.id, item.name, plan_owner, "user", "CLONE_15",
                                          "external owners do not follow a plan to another customer"))
                return plan_owner, "user"
        elif item.owner_id is None or item.owner_id not in users or not kit.users.can_own(users[item.owner_id]):
            owners.append(OwnerChoice(kind, item.id, item.name, plan_owner, "user", "CLONE_14",
                                      "the owner is inactive or unlicensed: the clone's owner takes over"))
            return plan_owner, "user"
        owners.append(OwnerChoice(kind, item.id, item.name, item.owner_id, item.owner_kind, "kept",
                                  "the original owner"))
        return item.owner_id, item.owner_kind

    ids = {i.id: new_id() for i in items}
    now = kit.now()
    stamp: dict[str, Any] = {"created_at": now, "updated_at": now, "created_by": kit.actor_id}
    objective_status = kit.config.default_status("objective")  # CLONE_08: whatever they had
    task_status = kit.config.default_status("task")

    def remap(depends_on: Iterable[str], item: Objective | Task) -> tuple[str, ...]:
        out = []
        for d in depends_on:
            if d in ids:
                out.append(ids[d])
            else:
                left.append(LeftOut("dependency", item.id, item.name, "CLONE_09",
                                    "it depended on an item that is not copied"))
        return tuple(out)

    new_objectives: list[Objective] = []
    for o in kept_objectives:
        owner_id, owner_kind = owner_for(o, new_objective_owner)
        if not same_target and o.associated_person_ids:
            left.append(LeftOut("associated_persons", o.id, o.name, "CLONE_15",
                                "associated persons stay with the original customer"))
        if not same_target and o.links:
            left.append(LeftOut("links", o.id, o.name, "CLONE_15", "links to other records are not copied"))
        new_objectives.append(Objective(
            id=ids[o.id], **stamp, name=o.name, plan_id="", company_id=company_id,
            relationship_id=o.relationship_id if same_target else rel_id,  # its own one (OBJ_02) stays at home
            owner_id=owner_id, owner_kind=owner_kind, type=o.type, priority=o.priority, status=objective_status,
            reason=o.reason, source=o.source, start_date=o.start_date, due_date=o.due_date, comments=o.comments,
            playbook_ids=o.playbook_ids, category=o.category, success_criteria=o.success_criteria,
            associated_person_ids=o.associated_person_ids if same_target else (),
            sharing_enabled=o.sharing_enabled, external=False, depends_on=remap(o.depends_on, o),
            links=o.links if same_target else (), position=o.position, template_item_id=o.template_item_id,
            fields=dict(o.fields)))
    new_tasks: list[Task] = []
    templates = {t.id: t for t in kit.store.get_many(
        "email_template", sorted({t.email_template_id for t in kept_tasks if t.email_template_id}))}
    for t in kept_tasks:
        owner_id, owner_kind = owner_for(t, new_task_owner)
        email: dict[str, Any] = {}
        if t.email_template_id is not None:  # CLONE_11: template again, back to verify
            template = templates.get(t.email_template_id)
            email = {"email_template_id": t.email_template_id, "email_state": "verify",
                     "email_subject": template.subject if template else t.email_subject,
                     "email_body": template.body if template else t.email_body, "email_to": t.email_to}
        new_tasks.append(Task(
            id=ids[t.id], **stamp, name=t.name, parent_kind="objective", parent_id=ids[t.parent_id], plan_id="",
            company_id=company_id, owner_id=owner_id, owner_kind=owner_kind, status=task_status,
            priority=t.priority, start_date=t.start_date, due_date=t.due_date, depends_on=remap(t.depends_on, t),
            position=t.position, playbook_id=t.playbook_id, description=t.description,
            **email))

    # the plan itself (CLONE_04, CLONE_07, CLONE_12)
    due = due_date if due_date is not None else source.due_date
    warnings: list[Notice] = []
    latest = max((o.due_date for o in new_objectives if o.due_date), default=None)  # objectives only
    if latest is not None and (due is None or latest > due):
        if due is not None:
            warnings.append(Notice("CLONE_07", f"the clone's due date is {latest}, the latest due date of its "
                                   f"objectives, later than {due}", value=latest))
        due = latest
    clone = SuccessPlan(
        **stamp, name=clone_name, name_key=key, company_id=company_id, relationship_id=rel_id,
        plan_type=source.plan_type, status=status_key, due_date=due, owner_id=plan_owner,
        highlights=source.highlights if copy_info else None,
        external=False, source_plan_id=source.id, fields=dict(source.fields) if copy_info else {})
    new_objectives = [attrs.evolve(o, plan_id=clone.id) for o in new_objectives]
    new_tasks = [attrs.evolve(t, plan_id=clone.id) for t in new_tasks]
    return CloneResult(clone, tuple(new_objectives), tuple(new_tasks), tuple(owners), tuple(left),
                       tuple(warnings), dry_run, {v: k for k, v in ids.items()})


def describe(result: CloneResult, kit: Kit | None = None) -> list[str]:
    """The preview as lines of text, for people (owner names looked up when ``kit`` is given)."""
    names: dict[str, str] = {}
    if kit is not None:
        for kind in ("user", "person"):
            ids = sorted({c.owner_id for c in result.owners if c.owner_kind == kind and c.owner_id})
            names.update({r.id: r.name for r in kit.store.get_many(kind, ids)})
    lines = [f"{'Would create' if result.dry_run else 'Created'} plan {result.plan.name!r} "
             f"(status {result.plan.status}, due {result.plan.due_date})"]
    lines.append(f"  {len(result.objectives)} objectives, {len(result.tasks)} tasks")
    for choice in result.owners:
        who = names.get(choice.owner_id or "", choice.owner_id)
        lines.append(f"  owner of {choice.kind} {choice.name!r}: {who} [{choice.rule}] {choice.reason}")
    for item in result.left_out:
        lines.append(f"  left out: {item.kind} of {item.name!r} [{item.rule}] {item.reason}")
    for notice in result.warnings:
        lines.append(f"  warning: {notice}")
    return lines
