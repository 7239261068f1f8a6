"""Objectives: the work inside a success plan (OBJ_01-OBJ_10)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from functools import partial
from typing import Any

from successkit.accounts.people import check_email
from successkit.engagement.timeline import delete_activities_of
from successkit.errors import NotFound, RuleViolation, ValidationError
from successkit.outcome import Outcome
from successkit.query.language import combine
from successkit.records import Objective, Person, Playbook, Relationship, SuccessPlan, Task, User
from successkit.records.checks import check_attributes, flag, require_text, text_list
from successkit.views.record_list import RecordList

from .builders import check_criteria, new_objective, new_task
from .emails import check_placeholders, compose, deliver
from .invariants import check_open_plan, extend_plan_due, resolve_owner
from .tasks import forget_dependencies
from .work_items import WorkService

__all__ = ["OBJECTIVE_SORTS", "ObjectiveService", "natural_key"]

#: Sort keys of the objective list view (OBJ_06).
OBJECTIVE_SORTS = (
    "created_date", "due_date", "company_relationship", "type", "status", "priority", "reason", "source",
    "relationship", "name", "next_task_due_date", "category", "none",
)  # fmt: skip
VIEWS = ("all", "open", "closed", "my")
_LEADING_NUMBER = re.compile(r"^\s*(\d+)(.*)$", re.S)
LINK_PREFIX = "successkit://objective/"


def natural_key(name: str) -> tuple[int, int, str, str]:
    """OBJ_07: names that start with a number come first, in numeric order
    (2 before 10), then the other names in name order (ignoring case)."""
    m = _LEADING_NUMBER.match(name)
    if m:
        return (0, int(m.group(1)), m.group(2).strip().casefold(), name)
    return (1, 0, name.casefold(), name)


class ObjectiveService(WorkService[Objective]):
    """``kit.objectives``: objective CTAs inside success plans."""

    record_class = Objective

    def _plan_of(self, item: Objective) -> SuccessPlan:
        return self.kit.plans.get(item.plan_id)

    def _extra_editable(self) -> dict[str, type]:
        return {"category": str, "success_criteria": str, "relationship_id": str}  # checked in update()

    def _relationship_for(self, plan: SuccessPlan, relationship: Any) -> str | None:
        """The relationship an objective of ``plan`` may have (OBJ_02): None means the
        plan's; otherwise a relationship of the plan's company, and for a relationship
        plan that relationship itself (its work belongs to it, REL_02)."""
        if relationship is None:
            return plan.relationship_id
        rel = self.kit.relationships.get(relationship)
        if rel.company_id != plan.company_id:
            raise RuleViolation(
                "OBJ_02", "an objective's relationship must be a relationship of its plan's company", value=rel.name
            )
        if plan.relationship_id is not None and rel.id != plan.relationship_id:
            raise RuleViolation(
                "OBJ_02", "an objective of a relationship plan belongs to the plan's relationship", value=rel.name
            )
        return rel.id

    def update(
        self, item: Objective | str, *, shift_tasks: bool = False, reassign_tasks: str = "none", **changes: Any
    ) -> Outcome[Objective]:
        """Edit an objective like a CTA (:meth:`WorkService.update`), and also its
        ``category``, ``success_criteria`` and ``relationship`` (OBJ_02: a
        relationship of the plan's company, or None for the plan's own)."""
        shift_tasks = flag(self.kind, "shift_tasks", shift_tasks)
        keys = [k for k in ("relationship", "relationship_id") if k in changes]
        if not keys:
            return super().update(item, shift_tasks=shift_tasks, reassign_tasks=reassign_tasks, **changes)
        if len(keys) > 1:
            raise ValidationError("pass relationship= or relationship_id=, not both", value=keys)
        wanted = changes.pop(keys[0])
        with self.kit.transaction():
            current = self._current(item)
            changes["relationship_id"] = self._relationship_for(self._plan_of(current), wanted)
            return super().update(current, shift_tasks=shift_tasks, reassign_tasks=reassign_tasks, **changes)

    def _check_extra(self, values: dict[str, Any]) -> None:
        if "category" in values:
            self.kit.config.check("objective_category", values["category"])
        if "success_criteria" in values:
            check_criteria(values["success_criteria"])

    # ------------------------------------------------------------------ create
    def create(
        self,
        plan: SuccessPlan | str | None,
        name: str,
        *,
        owner: User | Person | str | None = None,
        due_date: date | None = None,
        start_date: date | None = None,
        type: str | None = None,
        priority: str | None = None,
        status: str | None = None,
        category: str | None = None,
        success_criteria: str | None = None,
        comments: str | None = None,
        reason: str | None = None,
        source: str = "manual",
        playbook: Playbook | str | None = None,
        associated_persons: Sequence[Person | str] = (),
        depends_on: Sequence[Task | Objective | str] = (),
        sharing_enabled: bool = True,
        links: Sequence[str] = (),
        relationship: Relationship | str | None = None,
        fields: Mapping[str, Any] | None = None,
    ) -> Outcome[Objective]:
        """A new objective in ``plan`` (OBJ_01, OBJ_02).

        Missing type, priority, category, status and due date come from the
        plan type's default objective settings; the owner defaults to the
        plan's owner and may be a user (USER_01/USER_02) or an external person.
        ``relationship`` (optional, OBJ_02) is one of the plan company's
        relationships; it defaults to the plan's, and an objective of a
        relationship plan cannot name another.
        A playbook creates its tasks (OBJ_03); PLAN_09 applies.
        """
        if plan is None:
            raise RuleViolation("OBJ_01", "objectives can only be created inside a success plan", value=name)
        name = require_text(self.kind, "name", name)
        values = check_attributes(
            self.kind,
            {
                "due_date": due_date,
                "start_date": start_date,
                "comments": comments,
                "success_criteria": success_criteria,
                "source": source,
                "sharing_enabled": sharing_enabled,
            },
            {
                "due_date": date,
                "start_date": date,
                "comments": str,
                "success_criteria": str,
                "source": str,
                "sharing_enabled": bool,
            },
        )
        with self.kit.transaction():
            target = self.kit.plans.get(plan)
            check_open_plan(self.kit, target, what="adding an objective")
            objective = new_objective(
                self.kit,
                target,
                name=name,
                start_date=values["start_date"] or self.kit.today(),
                due_date=values["due_date"],
                type=type,
                priority=priority,
                category=category,
                status=status,
                owner=resolve_owner(
                    self.kit,
                    owner if owner is not None else target.owner_id,
                    what="objective",
                    allow_person=True,
                    company_id=target.company_id,
                ),
                relationship_id=self._relationship_for(target, relationship),
                reason=reason,
                success_criteria=values["success_criteria"],
                comments=values["comments"],
                source=values["source"],
                associated_person_ids=self.kit.people.ids_of(associated_persons),
                sharing_enabled=flag(self.kind, "sharing_enabled", sharing_enabled),
                links=text_list(self.kind, "links", links),
                position=self.count([("plan_id", "=", target.id)]),
                depends_on=self.kit.tasks.dependency_ids(target.id, depends_on) if depends_on else (),
                fields=fields,
            )
            self.kit.store.insert(objective)
            created: list[Task] = []
            if playbook is not None:
                outcome = self.apply_playbook(objective, playbook, on=objective.start_date)
                objective, created = outcome.record, list(outcome.created)
            plan_now, warnings = extend_plan_due(
                self.kit,
                self.kit.plans.get(target.id),
                [(f"objective {name!r}", objective.due_date)] + [(f"task {t.name!r}", t.due_date) for t in created],
            )
            self._assigned(None, objective)
        return Outcome(objective, tuple(warnings), tuple(created), plan_now)

    # ------------------------------------------------------------- list view
    def view(
        self,
        plan: SuccessPlan | str | None = None,
        *,
        view: str = "all",
        search: str | None = None,
        sort: str = "created_date",
        descending: bool = False,
        where: Any = None,
        logic: str | None = None,
        user: User | str | None = None,
    ) -> RecordList[Objective]:
        """The objective list view (OBJ_06): a view (all, open, closed, my),
        a name search, filters with the query language, and one of the sort
        keys in :data:`OBJECTIVE_SORTS` (``name`` sorts naturally, OBJ_07).

        A bounded number of queries whatever the number of objectives.
        """
        if view not in VIEWS:
            raise ValidationError(f"view is one of {', '.join(VIEWS)}", value=view)
        if not isinstance(sort, str) or sort not in OBJECTIVE_SORTS:
            raise ValidationError(f"sort is one of {', '.join(OBJECTIVE_SORTS)}", value=sort)
        flag("objective view", "descending", descending)
        extra: list[tuple[Any, ...]] = []
        if plan is not None:
            extra.append(("plan_id", "=", self.kit.plans.id_of(plan)))
        if view in ("open", "closed"):
            categories = ("open",) if view == "open" else ("closed_success", "closed_lost")
            extra.append(("status", "in", self.kit.statuses.in_category(self.kind, *categories)))
        if view == "my":
            who = self.kit.users.id_of(user) if user is not None else self.kit.actor_id
            if who is None:
                raise ValidationError("the 'my' view needs a user (pass user= or open the kit as a user)", value=view)
            extra.append(("owner_id", "=", who))
        if search:
            extra.append(("name", "contains", search))
        items = list(self.iter(combine(extra, where, logic)))
        items.sort(key=lambda o: (o.position, o.created_at, o.id))  # ties keep the plan's order
        if sort != "none":
            items.sort(key=self._sort_key(sort, items), reverse=descending)
            if sort in ("due_date", "next_task_due_date"):  # missing dates last either way
                items.sort(key=lambda o: self._sort_missing(sort, o))
        return RecordList(items)

    def _sort_missing(self, sort: str, o: Objective) -> bool:
        return (o.due_date if sort == "due_date" else self._next_due.get(o.id)) is None

    def _sort_key(self, sort: str, items: list[Objective]) -> Callable[[Objective], Any]:
        kit = self.kit
        if sort == "name":
            return lambda o: natural_key(o.name)
        if sort == "created_date":
            return lambda o: o.created_at
        if sort == "due_date":
            return lambda o: o.due_date or date.max
        if sort in ("priority", "type", "category", "reason"):
            category = {"type": "cta_type", "category": "objective_category"}.get(sort, sort)
            order = {i.key: n for n, i in enumerate(kit.config.items(category, include_inactive=True))}
            return lambda o: (getattr(o, sort) is None, order.get(getattr(o, sort), len(order)))
        if sort == "status":
            order = {s.key: n for n, s in enumerate(kit.statuses.of(self.kind))}
            return lambda o: order.get(o.status, len(order))
        if sort == "source":
            return lambda o: o.source
        if sort in ("relationship", "company_relationship"):
            companies = {c.id: c.name for c in kit.companies.get_many(sorted({o.company_id for o in items}))}
            rel_ids = sorted({o.relationship_id for o in items if o.relationship_id})
            rels = {r.id: r.name for r in kit.relationships.get_many(rel_ids)}
            if sort == "relationship":
                return lambda o: (o.relationship_id is None, rels.get(o.relationship_id or "", "").casefold())
            return lambda o: (
                companies.get(o.company_id, "").casefold(),
                rels.get(o.relationship_id or "", "").casefold(),
            )
        # next_task_due_date: the earliest due date among each objective's open tasks (one query)
        open_keys = kit.statuses.in_category("task", "open")
        self._next_due: dict[str, date] = {}
        if items:
            for t in kit.tasks.iter(
                [("parent_id", "in", [o.id for o in items]), ("status", "in", open_keys), ("due_date", "is not empty")]
            ):
                best = self._next_due.get(t.parent_id)
                if t.due_date is not None and (best is None or t.due_date < best):
                    self._next_due[t.parent_id] = t.due_date
        return lambda o: self._next_due.get(o.id, date.max)

    # ------------------------------------------------------------------ email
    def send_email(
        self, objective: Objective | str, *, subject: str, body: str = "", to: Sequence[str] = (), draft: bool = False
    ) -> Outcome[Task]:
        """Send an email from the objective: a task named after its subject
        records it (OBJ_09).  The task waits in ``verify`` and the email goes
        after the commit, as with ``kit.tasks.send_email`` (MAIL_02): it becomes
        ``sent`` when a sender accepted it.  A draft stays in ``verify`` until it
        is sent later.  ``subject`` and ``body`` may use ``{{object.field}}``
        placeholders; an unknown one is refused (MAIL_01)."""
        subject = require_text("email", "subject", subject)
        check_placeholders(subject, what="email subject")
        check_placeholders(body, what="email body")
        recipients = tuple(check_email(a, param="to") for a in text_list("email", "to", to))  # SEC_09
        draft = flag("email", "draft", draft)
        with self.kit.transaction():
            current = self.get(objective)
            plan = self._plan_of(current)
            check_open_plan(self.kit, plan, what="sending an email")
            today = self.kit.today()
            task = new_task(
                self.kit,
                current,
                name=subject,
                start_date=today,
                due_date=today,
                position=self.kit.tasks.count([("parent_id", "=", current.id)]),
                email_subject=subject,
                email_body=body,
                email_to=recipients,
                email_state="verify",
            )
            self.kit.store.insert(task)
            plan, warnings = extend_plan_due(self.kit, plan, [(f"email task {task.name!r}", task.due_date)])
            if not draft:
                self.kit.after_commit(partial(deliver, self.kit, compose(self.kit, task)))
        if not draft:  # as the delivery left it (still verify inside an open transaction)
            task = self.kit.tasks.get(task.id)
        return Outcome(task, tuple(warnings), plan=plan)

    # -------------------------------------------------------- sharing, links
    def set_sharing(self, objective: Objective | str, enabled: bool) -> Objective:
        """Enable or disable sharing of one objective (OBJ_10, SHARE_03)."""
        with self.kit.transaction():
            current = self._current(objective)
            self._guard(current, "changing sharing")
            return self._save(current, {"sharing_enabled": flag(self.kind, "sharing_enabled", enabled)})

    def link(self, objective: Objective | str) -> str:
        """A stable link that identifies the objective (OBJ_10)."""
        return LINK_PREFIX + self.get(objective).id

    def resolve(self, link: str) -> Objective:
        """The objective a link from :meth:`link` names."""
        if not isinstance(link, str) or not link.startswith(LINK_PREFIX):
            raise ValidationError(f"an objective link starts with {LINK_PREFIX}", value=link)
        try:
            return self.get(link[len(LINK_PREFIX) :])
        except NotFound:
            raise NotFound(self.kind, link) from None

    def _forget_dependencies(self, ids: Sequence[str]) -> None:
        """Drop dependencies on deleted objectives and delete their timeline activities."""
        forget_dependencies(self.kit, ids)
        delete_activities_of(self.kit, "objective_id", ids)
