"""Cloning a success plan (CLONE_01-CLONE_16), with a preview.

The clone is planned in memory first — every record it would create, the
owner each gets and why, every item left out and by which rule — and then,
unless it is a dry run, written in one transaction with one bulk insert per
record kind.  The preview and the real clone come from the same plan, so they
cannot disagree.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

import attrs

from successkit.errors import RuleViolation, ValidationError
from successkit.outcome import Notice, Outcome
from successkit.records import Company, Objective, Relationship, SuccessPlan, Task, User, new_id
from successkit.records.checks import flag, require_text
from successkit.service import stamp

from .builders import check_plan_name_free, name_key, new_objective, new_plan, new_task
from .invariants import as_date, resolve_owner

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

#: What a clone copies of the objectives (or tasks): every one, none, or those of some statuses.
Selection = str | ByStatus | Sequence[str] | None


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


@attrs.frozen(kw_only=True)
class CloneResult(Outcome[SuccessPlan]):
    """What a clone holds (or, with ``dry_run``, would hold): an :class:`Outcome`
    whose ``record`` and ``plan`` are the new plan and whose ``created`` are its
    objectives and tasks, with who owns what and why, and what was left out."""

    objectives: tuple[Objective, ...] = ()
    tasks: tuple[Task, ...] = ()
    owners: tuple[OwnerChoice, ...] = ()
    left_out: tuple[LeftOut, ...] = ()
    dry_run: bool = False
    source_ids: dict[str, str] = attrs.field(factory=dict, eq=False)  # new id -> source id
    #: Names of the owners the clone read anyway, by id (the notebook shows owners by name).
    owner_names: dict[str, str] = attrs.field(factory=dict, eq=False)

    def to_pandas(self) -> Any:
        """The new objectives and tasks with their ``source_id`` as a pandas DataFrame (needs the ``pandas`` extra)."""
        from successkit.views.frames import clone_frame

        return clone_frame(self)

    def _repr_html_(self) -> str:
        """The new plan, each objective followed by its tasks with who owns each and why, and
        what was left out, in notebooks (DATA_01)."""
        from successkit.views import notebook as nb
        from successkit.views.frames import work_in_order

        p, names = self.plan, self.owner_names
        owners = {(c.kind, c.source_id): c for c in self.owners}
        rows = []
        for item in work_in_order(self.objectives, self.tasks):
            choice = owners.get((item.__kind__, self.source_ids.get(item.id, "")))
            name = item.name if item.__kind__ == "objective" else f"↳ {item.name}"
            who = names.get(item.owner_id or "", item.owner_id)
            rows.append([name, item.__kind__, item.status, item.start_date, item.due_date, who, choice and choice.rule])
        verb = "Would create" if self.dry_run else "Created"
        parts = [
            nb.title(f"{verb} plan: {p.name}", "dry run, nothing written" if self.dry_run else None),
            nb.figures([("objectives", len(self.objectives)), ("tasks", len(self.tasks)), ("status", p.status),
                        ("due", p.due_date), ("owner", names.get(p.owner_id, p.owner_id))]),
            nb.table(["name", "kind", "status", "start", "due", "owner", "owner rule"], rows) if rows else "",
        ]  # fmt: skip
        if self.left_out:
            gone = [[i.name, i.kind, i.rule, i.reason] for i in self.left_out]
            parts += [nb.subtitle(f"Left out ({len(gone)})"), nb.table(["name", "kind", "rule", "reason"], gone)]
        if self.warnings:
            parts.append(nb.items([str(w) for w in self.warnings], heading="Warnings"))
        return nb.block(*parts)


def clone_plan(
    kit: Kit,
    plan: SuccessPlan | str,
    *,
    to: Company | Relationship | str,
    name: str | None = None,
    status: str | None = None,
    owner: User | str | None = None,
    due_date: date | None = None,
    plan_type: str | None = None,
    copy_plan_info: bool = True,
    objectives: Selection = ALL_ITEMS,
    tasks: Selection = ALL_ITEMS,
    objective_owner: User | str | None = None,
    task_owner: User | str | None = None,
    dry_run: bool = False,
) -> CloneResult:
    """Clone ``plan`` to a company or relationship ``to``; see the module docstring."""
    copy_plan_info = flag("clone", "copy_plan_info", copy_plan_info)
    dry_run = flag("clone", "dry_run", dry_run)
    which = {"objective": _selector(objectives, "objectives"), "task": _selector(tasks, "tasks")}
    for kind, chosen in which.items():
        if isinstance(chosen, ByStatus):
            for key in chosen.statuses:
                kit.statuses.get(kind, key)  # an unknown status is an error, not "copy nothing"
    with kit.transaction():
        source = kit.plans.get(plan)
        if plan_type is not None and kit.config.plan_type(plan_type).key != source.plan_type:
            raise RuleViolation(
                "CLONE_01",
                f"a plan can only be cloned into a plan of the same type ({source.plan_type})",
                value=plan_type,
            )
        cloner = _Cloner(kit, source, to)
        clone = cloner.plan(
            name,
            status,
            owner,
            as_date("clone", "due_date", due_date),
            copy_plan_info,
            cloner.select(which["objective"], which["task"]),
        )
        result = cloner.items(clone, objective_owner, task_owner, dry_run)
        if not dry_run:
            kit.access.check_actor("change", result.plan)
            kit.store.insert_many([result.plan, *result.objectives, *result.tasks])
            kit.notifications.plan_assigned(None, result.plan)
            kit.notifications.work_created(result.objectives)
    return result


class _Cloner:
    """One clone being planned: the target, what is copied, who owns what, what is left out."""

    def __init__(self, kit: Kit, source: SuccessPlan, to: Any) -> None:
        self.kit, self.source = kit, source
        self.company_id, self.rel_id = _target(kit, source, to)
        self.same_target = (self.company_id, self.rel_id) == (source.company_id, source.relationship_id)
        self.owners: list[OwnerChoice] = []
        self.left: list[LeftOut] = []
        self.objectives: list[Objective] = []
        self.tasks: list[Task] = []
        self.warnings: list[Notice] = []
        self.ids: dict[str, str] = {}
        self.names: dict[str, str] = {}  # the users read anyway, by id: owners shown by name

    def leave(self, item: Objective | Task, kind: str, rule: str, reason: str) -> None:
        self.left.append(LeftOut(kind, item.id, item.name, rule, reason))

    # ------------------------------------------------------------ what to copy
    def select(self, which_objectives: Any, which_tasks: Any) -> list[Objective]:
        """The source objectives and tasks the clone copies (CLONE_05, CLONE_11)."""
        plan_id = self.source.id
        for o in self.kit.objectives.list([("plan_id", "=", plan_id)], sort=["position", "created_at"]):
            if which_objectives is None:
                self.leave(o, "objective", "CLONE_05", "objectives were not chosen")
            elif isinstance(which_objectives, ByStatus) and o.status not in which_objectives.statuses:
                self.leave(o, "objective", "CLONE_05", f"status {o.status} was not chosen")
            else:
                self.objectives.append(o)
        kept_parent = {o.id for o in self.objectives}
        for t in self.kit.tasks.list([("plan_id", "=", plan_id)], sort=["position", "created_at"]):
            if t.parent_id not in kept_parent:
                self.leave(t, "task", "CLONE_05", "its objective is not copied")
            elif which_tasks is None:
                self.leave(t, "task", "CLONE_05", "tasks were not chosen")
            elif isinstance(which_tasks, ByStatus) and t.status not in which_tasks.statuses:
                self.leave(t, "task", "CLONE_05", f"status {t.status} was not chosen")
            elif t.email_subject is not None and t.email_template_id is None:
                self.leave(t, "task", "CLONE_11", "ad-hoc email tasks are not copied")
            else:
                self.tasks.append(t)
        self.ids = {i.id: new_id() for i in [*self.objectives, *self.tasks]}
        return self.objectives

    # --------------------------------------------------------------- the plan
    def plan(
        self,
        name: str | None,
        status: str | None,
        owner: Any,
        due_date: date | None,
        copy_info: bool,
        objectives: list[Objective],
    ) -> SuccessPlan:
        """The clone itself (CLONE_04, CLONE_07, CLONE_08, CLONE_12), not yet stored."""
        source, kit = self.source, self.kit
        clone_name = require_text("plan", "name", name if name is not None else f"Copy of {source.name}")
        check_plan_name_free(kit, name_key(self.company_id, self.rel_id, clone_name), clone_name)
        if status and kit.statuses.get("plan", status).category == "closed":
            raise RuleViolation(
                "CLONE_08",
                f"a clone cannot be created in the closed status {status!r}: its "
                "copies start in their default open status and a closed plan holds no open work "
                "(PLAN_05); clone it, then close the clone",
                value=status,
            )
        due = due_date if due_date is not None else source.due_date
        latest = max((o.due_date for o in objectives if o.due_date), default=None)  # objectives only
        if latest is not None and (due is None or latest > due):
            if due is not None:
                self.warnings.append(
                    Notice(
                        "CLONE_07",
                        f"the clone's due date is {latest}, the latest due date of its objectives, later than {due}",
                        value=latest,
                    )
                )
            due = latest
        return new_plan(
            kit,
            name=clone_name,
            company_id=self.company_id,
            relationship_id=self.rel_id,
            plan_type=source.plan_type,
            status=status,
            due_date=due,
            owner_id=self.plan_owner(owner, clone_name),
            highlights=source.highlights if copy_info else None,
            source_plan_id=source.id,
            fields=source.fields if copy_info else None,
        )

    def plan_owner(self, owner: Any, clone_name: str) -> str:
        """The clone's owner: the one chosen, else the original's, else the acting user (CLONE_04, CLONE_13)."""
        kit, source = self.kit, self.source
        if owner is not None:
            chosen = resolve_owner(kit, owner, what="success plan", allow_person=False)[0]
            rule, reason = "CLONE_04", "owner chosen for the clone"
        else:
            current = kit.users.get_many([source.owner_id])
            self.names.update({u.id: u.name for u in current})
            if current and kit.users.can_own(current[0]):
                chosen, rule, reason = current[0].id, "kept", "the original plan's owner"
            elif kit.actor_id is None:
                raise RuleViolation(
                    "CLONE_13",
                    "the original plan's owner is inactive or unlicensed and no acting "
                    "user can take over; open the kit as a user or pass owner=",
                    value=source.name,
                )
            else:
                chosen = resolve_owner(kit, kit.actor_id, what="success plan", allow_person=False)[0]
                rule = "CLONE_13"
                reason = "the original owner is inactive or unlicensed: the acting user owns the clone"
        self.own("plan", source.id, clone_name, (chosen, "user"), rule, reason)
        return chosen

    def own(self, kind: str, source_id: str, name: str, owner: tuple[str | None, str], rule: str, reason: str) -> None:
        """Record who owns a copied item and why."""
        self.owners.append(OwnerChoice(kind, source_id, name, owner[0], owner[1], rule, reason))

    # -------------------------------------------------------------- the items
    def items(self, clone: SuccessPlan, objective_owner: Any, task_owner: Any, dry_run: bool) -> CloneResult:
        """The copied objectives and tasks, their owners checked in one read (CLONE_06, CLONE_14, CLONE_15)."""
        kit = self.kit
        chosen = {
            kind: resolve_owner(kit, who, what=kind, allow_person=False) if who is not None else None
            for kind, who in (("objective", objective_owner), ("task", task_owner))
        }
        items: list[Objective | Task] = [*self.objectives, *self.tasks]
        user_ids = sorted({i.owner_id for i in items if i.owner_kind == "user" and i.owner_id})
        users = {u.id: u for u in kit.users.get_many(user_ids)}
        self.names.update({u.id: u.name for u in users.values()})
        created = stamp(kit)
        copies = {
            o.id: self.objective(clone, o, self.owner_for(o, chosen["objective"], clone, users), created)
            for o in self.objectives
        }
        templates = {
            t.id: t
            for t in kit.store.get_many(
                "email_template", sorted({t.email_template_id for t in self.tasks if t.email_template_id})
            )
        }
        tasks = [
            self.task(copies[t.parent_id], t, self.owner_for(t, chosen["task"], clone, users), templates, created)
            for t in self.tasks
        ]
        objectives = tuple(copies.values())
        return CloneResult(
            clone,
            tuple(self.warnings),
            (*objectives, *tasks),
            clone,
            objectives=objectives,
            tasks=tuple(tasks),
            owners=tuple(self.owners),
            left_out=tuple(self.left),
            dry_run=dry_run,
            source_ids={v: k for k, v in self.ids.items()},
            owner_names=self.names,
        )

    def owner_for(
        self, item: Objective | Task, chosen: tuple[str, str] | None, clone: SuccessPlan, users: dict[str, User]
    ) -> tuple[str | None, str]:
        kind = item.__kind__
        if chosen is not None:
            self.own(kind, item.id, item.name, chosen, "CLONE_06", f"every copied {kind} gets the chosen owner")
            return chosen
        if item.owner_kind == "person":
            if not self.same_target:
                self.own(
                    kind,
                    item.id,
                    item.name,
                    (clone.owner_id, "user"),
                    "CLONE_15",
                    "external owners do not follow a plan to another customer",
                )
                return clone.owner_id, "user"
        elif item.owner_id is None or item.owner_id not in users or not self.kit.users.can_own(users[item.owner_id]):
            self.own(
                kind,
                item.id,
                item.name,
                (clone.owner_id, "user"),
                "CLONE_14",
                "the owner is inactive or unlicensed: the clone's owner takes over",
            )
            return clone.owner_id, "user"
        self.own(kind, item.id, item.name, (item.owner_id, item.owner_kind), "kept", "the original owner")
        return item.owner_id, item.owner_kind

    def remap(self, item: Objective | Task) -> tuple[str, ...]:
        """The copied dependencies; those on items not copied are left out (CLONE_09)."""
        kept = tuple(self.ids[d] for d in item.depends_on if d in self.ids)
        for _ in range(len(item.depends_on) - len(kept)):
            self.leave(item, "dependency", "CLONE_09", "it depended on an item that is not copied")
        return kept

    def objective(
        self, clone: SuccessPlan, o: Objective, owner: tuple[str | None, str], created: dict[str, Any]
    ) -> Objective:
        """A copy of ``o``, in its default open status (CLONE_08); what stays with the customer stays (CLONE_15)."""
        home = self.same_target
        if not home and o.associated_person_ids:
            self.leave(o, "associated_persons", "CLONE_15", "associated persons stay with the original customer")
        if not home and o.links:
            self.leave(o, "links", "CLONE_15", "links to other records are not copied")
        return new_objective(
            self.kit,
            clone,
            id=self.ids[o.id],
            created=created,
            name=o.name,
            owner=owner,
            plan_defaults=False,
            relationship_id=o.relationship_id if home else self.rel_id,  # its own one (OBJ_02) stays at home
            type=o.type,
            priority=o.priority,
            reason=o.reason,
            source=o.source,
            start_date=o.start_date,
            due_date=o.due_date,
            comments=o.comments,
            playbook_ids=o.playbook_ids,
            category=o.category,
            success_criteria=o.success_criteria,
            associated_person_ids=o.associated_person_ids if home else (),
            sharing_enabled=o.sharing_enabled,
            external=False,
            depends_on=self.remap(o),
            links=o.links if home else (),
            position=o.position,
            template_item_id=o.template_item_id,
            fields=o.fields,
        )

    def task(
        self,
        parent: Objective,
        t: Task,
        owner: tuple[str | None, str],
        templates: dict[str, Any],
        created: dict[str, Any],
    ) -> Task:
        """A copy of ``t`` in its default open status; an email task is drafted again
        from its template (CLONE_11)."""
        email: dict[str, Any] = {}
        if t.email_template_id is not None:
            template = templates.get(t.email_template_id)
            email = {
                "email_template_id": t.email_template_id,
                "email_state": "verify",
                "email_subject": template.subject if template else t.email_subject,
                "email_body": template.body if template else t.email_body,
                "email_to": t.email_to,
            }
        return new_task(
            self.kit,
            parent,
            id=self.ids[t.id],
            created=created,
            name=t.name,
            owner=owner,
            priority=t.priority,
            start_date=t.start_date,
            due_date=t.due_date,
            depends_on=self.remap(t),
            position=t.position,
            playbook_id=t.playbook_id,
            description=t.description,
            **email,
        )


def _selector(value: Any, what: str) -> Any:
    if value is None or value == ALL_ITEMS or isinstance(value, ByStatus):
        return value
    if isinstance(value, (list, tuple, set, frozenset)) and all(isinstance(v, str) for v in value):
        return ByStatus(*value)
    raise ValidationError(f"{what} is 'all', None (copy none) or ByStatus(...)", value=value)


def _target(kit: Kit, source: SuccessPlan, to: Any) -> tuple[str, str | None]:
    """(company id, relationship id) of the clone, under CLONE_02 and CLONE_03."""
    if isinstance(to, Relationship) or (isinstance(to, str) and kit.store.get_many("relationship", [to])):
        rel = kit.relationships.get(to)
        if source.relationship_id is None:
            raise RuleViolation(
                "CLONE_02", "a company plan can be cloned to a company, never to a relationship", value=rel.name
            )
        own = kit.relationships.get(source.relationship_id)
        if rel.type_id != own.type_id:
            raise RuleViolation(
                "CLONE_03",
                "a relationship plan can only be cloned to a relationship of the same relationship type",
                value=rel.name,
            )
        return rel.company_id, rel.id
    company = kit.companies.get(to)
    if source.relationship_id is not None:
        raise RuleViolation("CLONE_03", "a relationship plan can only be cloned to a relationship", value=company.name)
    return company.id, None


def describe(result: CloneResult, kit: Kit | None = None) -> list[str]:
    """The preview as lines of text, for people (owner names looked up when ``kit`` is given)."""
    names: dict[str, str] = {}
    if kit is not None:
        for kind in ("user", "person"):
            ids = sorted({c.owner_id for c in result.owners if c.owner_kind == kind and c.owner_id})
            names.update({r.id: r.name for r in kit.store.get_many(kind, ids)})
    lines = [
        f"{'Would create' if result.dry_run else 'Created'} plan {result.plan.name!r} "
        f"(status {result.plan.status}, due {result.plan.due_date})"
    ]
    lines.append(f"  {len(result.objectives)} objectives, {len(result.tasks)} tasks")
    for choice in result.owners:
        who = names.get(choice.owner_id or "", choice.owner_id)
        lines.append(f"  owner of {choice.kind} {choice.name!r}: {who} [{choice.rule}] {choice.reason}")
    for item in result.left_out:
        lines.append(f"  left out: {item.kind} of {item.name!r} [{item.rule}] {item.reason}")
    for notice in result.warnings:
        lines.append(f"  warning: {notice}")
    return lines
