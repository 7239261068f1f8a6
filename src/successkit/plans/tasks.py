"""Tasks under objectives and cockpit CTAs, and the dependencies between the
items of one plan (TASK_01): finish-to-start, never a cycle."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from functools import partial
from typing import TYPE_CHECKING, Any

from successkit.accounts.people import check_email
from successkit.errors import NotFound, RuleViolation, ValidationError
from successkit.outcome import Notice, Outcome
from successkit.records import Cta, Objective, Person, SuccessPlan, Task, User
from successkit.records.checks import as_list, check_attributes, require_text, text_list
from successkit.service import Service

from .builders import new_task
from .emails import compose, deliver
from .invariants import check_open_plan, evolve, extend_plan_due, resolve_owner, status_change

if TYPE_CHECKING:
    from successkit.kit import Kit

__all__ = ["TaskService", "drop_tasks", "forget_dependencies"]

_EDITABLE: dict[str, type] = {"name": str, "start_date": date, "due_date": date, "priority": str, "description": str}


class TaskService(Service[Task]):
    """``kit.tasks``: units of work with owners, dates and dependencies."""

    record_class = Task

    # ---------------------------------------------------------------- helpers
    def parent(self, ref: Any) -> Objective | Cta:
        """An objective or cockpit CTA, given as a record or an id."""
        if isinstance(ref, (Objective, Cta)):
            return self.kit.store.get(ref.__kind__, ref.id)  # type: ignore[no-any-return]
        if not isinstance(ref, str):
            raise ValidationError("a task belongs to an objective or a CTA", value=ref)
        try:
            return self.kit.objectives.get(ref)
        except NotFound:
            return self.kit.ctas.get(ref)

    def _plan(self, parent: Objective | Cta) -> SuccessPlan | None:
        return self.kit.plans.get(parent.plan_id) if isinstance(parent, Objective) else None

    def _guard(self, task: Task, what: str) -> SuccessPlan | None:
        """The acting user may change the task, and its plan (if any) is open (PLAN_06)."""
        plan = self.kit.plans.get(task.plan_id) if task.plan_id else None
        if plan is not None:
            check_open_plan(self.kit, plan, what=what)
        else:
            self.kit.access.check_actor("change", task)
        return plan

    # ------------------------------------------------------------------ create
    def create(
        self,
        parent: Objective | Cta | str,
        name: str,
        *,
        owner: User | Person | str | None = None,
        start_date: date | None = None,
        due_date: date | None = None,
        status: str | None = None,
        priority: str | None = None,
        depends_on: Sequence[Task | Objective | str] = (),
        description: str | None = None,
    ) -> Outcome[Task]:
        """A task under an objective or CTA (TASK_01).  The owner defaults to
        the parent's owner; start defaults to today; PLAN_09 applies."""
        values = check_attributes(
            self.kind,
            {"start_date": start_date, "due_date": due_date, "description": description},
            {"start_date": date, "due_date": date, "description": str},
        )
        with self.kit.transaction():
            host = self.parent(parent)
            plan = self._plan(host)
            if plan is not None:
                check_open_plan(self.kit, plan, what="adding a task")
            else:
                self.kit.access.check_actor("change", host)
            task = new_task(
                self.kit,
                host,
                name=name,
                start_date=values["start_date"] or self.kit.today(),
                due_date=values["due_date"],
                status=status,
                priority=priority,
                owner=resolve_owner(self.kit, owner, what="task", allow_person=True, company_id=host.company_id)
                if owner is not None
                else None,
                depends_on=self._dependency_ids_for(host, depends_on) if depends_on else (),
                description=values["description"],
                position=self.count([("parent_id", "=", host.id)]),
            )
            self.kit.store.insert(task)
            warnings: list[Notice] = []
            if plan is not None:
                plan, warnings = extend_plan_due(self.kit, plan, [(f"task {task.name!r}", task.due_date)])
        return Outcome(task, tuple(warnings), plan=plan)

    # ------------------------------------------------------------------ change
    def update(self, task: Task | str, **changes: Any) -> Outcome[Task]:
        """Edit name, dates, priority, description or owner; PLAN_09 applies."""
        plain = {k: v for k, v in changes.items() if k != "owner"}
        if "status" in plain:
            raise ValidationError("change a status with set_status()", value="status")
        values: dict[str, Any] = check_attributes(self.kind, plain, _EDITABLE)
        if "name" in values:
            values["name"] = require_text(self.kind, "name", values["name"])
        if "priority" in values:
            self.kit.config.check("priority", values["priority"])
        with self.kit.transaction():
            current = self._current(task)
            plan = self._guard(current, f"editing task {current.name!r}")
            if "owner" in changes:
                values["owner_id"], values["owner_kind"] = resolve_owner(
                    self.kit, changes["owner"], what="task", allow_person=True, company_id=current.company_id
                )
            if values.get("start_date", current.start_date) is None:
                raise ValidationError("a task's start date cannot be cleared", value=None)
            start = values.get("start_date", current.start_date)
            due = values.get("due_date", current.due_date)
            if due is not None and due < start:
                raise ValidationError("task due date is before its start date", value=due)
            new = self._save(current, values)
            warnings: list[Notice] = []
            if plan is not None:
                plan, warnings = extend_plan_due(self.kit, plan, [(f"task {new.name!r}", new.due_date)])
        return Outcome(new, tuple(warnings), plan=plan)

    def set_status(self, task: Task | str, status: str) -> Task:
        """Move a task to a status; closing stamps ``closed_at``."""
        with self.kit.transaction():
            current = self._current(task)
            self._guard(current, f"changing task {current.name!r}")
            new = self._save(current, status_change(self.kit, self.kind, current, status))
        return new

    def send_email(self, task: Task | str, *, to: Sequence[str] | None = None) -> Task:
        """Send an email task waiting in ``verify`` (OBJ_09, MAIL_02).

        The email is rendered from the task's subject and body (MAIL_01) and
        handed to the ``successkit_send_email`` hook after the transaction
        commits.  ``to`` replaces the task's addresses (SEC_09); without any, the
        task's owner when a person, else its parent's associated people receive it.
        The task becomes ``sent`` and closes only when a sender accepted the
        email; otherwise it stays in ``verify`` with the error in ``email_error``.
        Returns the task as it is afterwards (still ``verify`` when called inside
        an open transaction: the email goes once that transaction commits).
        """
        recipients = None if to is None else tuple(check_email(a, param="to") for a in text_list("email", "to", to))
        with self.kit.transaction():
            current = self._current(task)
            self._guard(current, "sending an email")
            if current.email_state != "verify":
                raise ValidationError(
                    "only an email task waiting in the verify state can be sent", value=current.email_state
                )
            if recipients is not None and recipients != current.email_to:
                current = self._save(current, {"email_to": recipients})
            self.kit.after_commit(partial(deliver, self.kit, compose(self.kit, current)))
            task_id = current.id
        return self.get(task_id)

    def delete(self, task: Task | str) -> None:
        """Delete a task; dependencies on it are dropped."""
        with self.kit.transaction():
            current = self.get(task)
            self._guard(current, f"deleting task {current.name!r}")
            drop_tasks(self.kit, [current.id])

    # ------------------------------------------------------------ dependencies
    def add_dependency(self, item: Task | Objective | str, on: Task | Objective | str) -> Task | Objective:
        """Make ``item`` wait for ``on`` (finish-to-start).  Both belong to the
        same plan (or the same CTA); a dependency that closes a cycle is refused
        (TASK_01)."""
        with self.kit.transaction():
            current = self._item(item)
            target = self._item(on)
            plan_id = _plan_id(current)
            if plan_id is not None:
                check_open_plan(self.kit, self.kit.plans.get(plan_id), what="changing dependencies")
            if target.id in current.depends_on:
                return current
            graph = self._graph(current)
            if target.id not in graph:
                raise ValidationError("dependencies link items of the same plan (or CTA)", value=target.id)
            if target.id == current.id or _reaches(graph, target.id, current.id):
                raise RuleViolation(
                    "TASK_01",
                    f"{target.name!r} already waits for {current.name!r}: the dependency would make a cycle",
                    value=target.name,
                )
            new = evolve(self.kit, current, depends_on=(*current.depends_on, target.id))
            self.kit.store.update(new, current.version)
        return new

    def remove_dependency(self, item: Task | Objective | str, on: Task | Objective | str) -> Task | Objective:
        """Drop one finish-to-start dependency of a task."""
        current = self._item(item)
        on_id = self._item(on).id
        plan_id = _plan_id(current)
        if plan_id is not None:
            check_open_plan(self.kit, self.kit.plans.get(plan_id), what="changing dependencies")
        new = evolve(self.kit, current, depends_on=tuple(d for d in current.depends_on if d != on_id))
        self.kit.store.update(new, current.version)
        return new

    def _item(self, ref: Any) -> Task | Objective:
        """A task or objective (record or id), read fresh."""
        if isinstance(ref, (Task, Objective)):
            return self.kit.store.get(ref.__kind__, ref.id)  # type: ignore[no-any-return]
        if not isinstance(ref, str) or not ref:
            raise ValidationError("dependencies link tasks and objectives (records or ids)", value=ref)
        found = self.kit.store.get_many("task", [ref]) or self.kit.store.get_many("objective", [ref])
        if not found:
            raise NotFound("task or objective", ref)
        return found[0]  # type: ignore[no-any-return]

    def dependency_ids(self, plan_id: str, items: Iterable[Any]) -> tuple[str, ...]:
        """Ids of tasks or objectives of ``plan_id``, checked to exist there."""
        wanted = [i.id if isinstance(i, (Task, Objective)) else i for i in as_list("task", "depends_on", items)]
        known = self._plan_items(plan_id)
        for i in wanted:
            if not isinstance(i, str) or i not in known:  # a list or mapping names nothing (and is unhashable)
                raise ValidationError("a dependency names no task or objective of this plan", value=i)
        return tuple(dict.fromkeys(wanted))

    def _dependency_ids_for(self, host: Objective | Cta, items: Iterable[Any]) -> tuple[str, ...]:
        if isinstance(host, Objective):
            return self.dependency_ids(host.plan_id, items)
        wanted = [i.id if isinstance(i, Task) else i for i in as_list("task", "depends_on", items)]
        known = {t.id for t in self.list([("parent_id", "=", host.id)])}
        for i in wanted:
            if not isinstance(i, str) or i not in known:
                raise ValidationError("a CTA task depends only on tasks of the same CTA", value=i)
        return tuple(dict.fromkeys(wanted))

    def _plan_items(self, plan_id: str) -> dict[str, tuple[str, ...]]:
        """Every task and objective of a plan with its dependencies (two queries)."""
        graph = {o.id: o.depends_on for o in self.kit.objectives.list([("plan_id", "=", plan_id)])}
        graph.update({t.id: t.depends_on for t in self.list([("plan_id", "=", plan_id)])})
        return graph

    def _graph(self, item: Task | Objective) -> dict[str, tuple[str, ...]]:
        plan_id = _plan_id(item)
        if plan_id is not None:
            return self._plan_items(plan_id)
        assert isinstance(item, Task)
        return {t.id: t.depends_on for t in self.list([("parent_id", "=", item.parent_id)])}


def _plan_id(item: Task | Objective) -> str | None:
    return item.plan_id


def _reaches(graph: dict[str, tuple[str, ...]], start: str, goal: str) -> bool:
    """Whether ``start`` depends, directly or not, on ``goal``."""
    seen: set[str] = set()
    stack = [start]
    while stack:
        node = stack.pop()
        if node == goal:
            return True
        if node in seen:
            continue
        seen.add(node)
        stack.extend(graph.get(node, ()))
    return False


def drop_tasks(kit: Kit, ids: Sequence[str]) -> None:
    """Delete tasks and every dependency on them: what deleting a task, its
    parent, or the tasks a playbook replaces all do (the caller checks access)."""
    if ids:
        kit.store.delete_many("task", list(ids))
        forget_dependencies(kit, ids)


def forget_dependencies(kit: Kit, ids: Sequence[str]) -> None:
    """Remove deleted items' ``ids`` from the dependencies of every task and objective (TASK_01)."""
    gone = set(ids)
    updates = []
    for service in (kit.tasks, kit.objectives):
        for item in service.list([("depends_on", "in", list(ids))]):
            kept = tuple(d for d in item.depends_on if d not in gone)
            updates.append((evolve(kit, item, depends_on=kept), item.version))
    kit.store.update_many(updates)
