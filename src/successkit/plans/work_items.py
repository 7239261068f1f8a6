"""What objectives and cockpit CTAs share: editing with task shifts and
reassignment (CTA_02, CTA_03), statuses, playbooks (OBJ_03, OBJ_04), snoozing
(OBJ_08), age (OBJ_05) and deletion."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

from successkit.errors import RuleViolation, ValidationError, article
from successkit.outcome import Notice, Outcome
from successkit.plugins.builtin_config import SNOOZE_SETTING, flag_setting
from successkit.records import Cta, Objective, Playbook, SuccessPlan, Task
from successkit.records.checks import check_attributes, field_changes, flag, require_text
from successkit.service import Service

from .business_days import add_days
from .invariants import (
    check_open_plan,
    check_playbook_for,
    evolve,
    extend_plan_due,
    playbook_tasks,
    resolve_owner,
    status_change,
    today_or,
)
from .tasks import drop_tasks

__all__ = ["REASSIGN", "WorkService"]

W = TypeVar("W", Objective, Cta)

#: Which tasks follow a new owner (CTA_03).
REASSIGN = ("none", "previous", "all")

_EDITABLE: dict[str, type] = {
    "name": str, "due_date": date, "start_date": date, "type": str, "priority": str, "reason": str,
    "comments": str, "source": str,
}  # fmt: skip


class WorkService(Service[W]):
    """Base of ``kit.objectives`` and ``kit.ctas``."""

    allow_person_owner = True

    # ------------------------------------------------------------ rules hooks
    def _plan_of(self, item: W) -> SuccessPlan | None:
        """The plan an item lives in (objectives), or None (cockpit CTAs)."""
        return None

    def _guard(self, item: W, what: str) -> SuccessPlan | None:
        """The acting user may change the item, and its plan (if any) is open (PLAN_06)."""
        plan = self._plan_of(item)
        if plan is not None:
            check_open_plan(self.kit, plan, what=what)
        else:
            self.kit.access.check_actor("change", item)
        return plan

    def _extra_editable(self) -> dict[str, type]:
        return {}

    def _check_lookups(self, values: Mapping[str, Any]) -> None:
        config = self.kit.config
        if "type" in values:
            config.check("cta_type", values["type"], what="CTA type")
        if "priority" in values:
            config.check("priority", values["priority"])
        if "reason" in values:
            config.check("reason", values["reason"])

    # ---------------------------------------------------------------- change
    def update(
        self, item: W | str, *, shift_tasks: bool = False, reassign_tasks: str = "none", **changes: Any
    ) -> Outcome[W]:
        """Edit fields of an objective or CTA.

        ``shift_tasks=True`` with a new ``due_date`` moves its open tasks by the
        same number of days (CTA_02).  With a new ``owner``, ``reassign_tasks``
        says which tasks follow: ``"previous"`` (those the previous owner had),
        ``"all"`` or ``"none"`` (CTA_03).  In a plan, PLAN_09 applies.
        """
        shift_tasks = flag(self.kind, "shift_tasks", shift_tasks)
        if reassign_tasks not in REASSIGN:
            raise ValidationError(f"reassign_tasks is one of {', '.join(REASSIGN)}", value=reassign_tasks)
        if "status" in changes:
            raise ValidationError("change a status with set_status()", value="status")
        editable = {**_EDITABLE, **self._extra_editable()}
        special = {"owner", "fields", "associated_persons"}
        plain = {k: v for k, v in changes.items() if k not in special}
        values: dict[str, Any] = check_attributes(self.kind, plain, editable)
        if "name" in values:
            values["name"] = require_text(self.kind, "name", values["name"])
        self._check_lookups(values)
        self._check_extra(values)
        with self.kit.transaction():
            current = self._current(item)
            plan = self._guard(current, f"editing {self.kind} {current.name!r}")
            if "owner" in changes:
                values["owner_id"], values["owner_kind"] = resolve_owner(
                    self.kit,
                    changes["owner"],
                    what=self.kind,
                    allow_person=self.allow_person_owner,
                    company_id=current.company_id,
                )
            if values.get("start_date", current.start_date) is None:
                raise ValidationError(f"{article(self.kind)}'s start date cannot be cleared", value=None)
            if "associated_persons" in changes:
                values["associated_person_ids"] = self.kit.people.ids_of(changes["associated_persons"])
            if changes.get("fields") is not None:
                merged = {**current.fields, **field_changes(changes["fields"])}
                values["fields"] = self.kit.custom_fields.check(self.kind, merged)
            start = values.get("start_date", current.start_date)
            due = values.get("due_date", current.due_date)
            if due is not None and start is not None and due < start:
                raise ValidationError(f"{self.kind} due date is before its start date", value=due)
            new = self._save(current, values)
            task_updates = self._follow(current, new, shift_tasks, reassign_tasks)
            self.kit.store.update_many(task_updates)
            tasks = [t for t, _ in task_updates]
            warnings: list[Notice] = []
            if plan is not None:
                plan, warnings = extend_plan_due(
                    self.kit,
                    plan,
                    [(f"{self.kind} {new.name!r}", new.due_date)] + [(f"task {t.name!r}", t.due_date) for t in tasks],
                )
            self._assigned(current, new)
        return Outcome(new, tuple(warnings), tuple(tasks), plan)

    def _check_extra(self, values: dict[str, Any]) -> None:
        """Kind-specific checks of edited values."""

    def _follow(self, old: W, new: W, shift: bool, reassign: str) -> list[tuple[Task, int]]:
        """Task updates that follow a due-date move (CTA_02) or an owner change (CTA_03)."""
        moved = shift and old.due_date is not None and new.due_date is not None and new.due_date != old.due_date
        owner_changed = new.owner_id != old.owner_id and reassign != "none"
        if not moved and not owner_changed:
            return []
        delta = (new.due_date - old.due_date) if moved and new.due_date and old.due_date else timedelta(0)
        open_keys = set(self.kit.statuses.in_category("task", "open"))
        updates = []
        for t in self.kit.tasks.list([("parent_id", "=", old.id)]):
            changes: dict[str, Any] = {}
            if moved and t.status in open_keys:
                what = f"shifting task {t.name!r} with its {self.kind.replace('_', ' ')}"
                changes["start_date"] = add_days(t.start_date, delta.days, what=what)
                if t.due_date is not None:
                    changes["due_date"] = add_days(t.due_date, delta.days, what=what)
            if owner_changed and (reassign == "all" or (t.owner_id == old.owner_id and t.owner_kind == old.owner_kind)):
                changes["owner_id"], changes["owner_kind"] = new.owner_id, new.owner_kind
            if changes:
                updates.append((evolve(self.kit, t, **changes), t.version))
        return updates

    def set_status(self, item: W | str, status: str) -> W:
        """Set the status; ``closed_at`` follows the category (open / closed-success / closed-lost)."""
        with self.kit.transaction():
            current = self._current(item)
            self._guard(current, f"changing {self.kind} {current.name!r}")
            new = self._save(current, status_change(self.kit, self.kind, current, status))
        return new

    def snooze(self, item: W | str, until: date, *, reason: str | None = None) -> W:
        """Hide an open item from open cockpit views until ``until`` (OBJ_08), if
        snoozing is enabled (setting ``snooze.enabled``, on by default)."""
        if isinstance(until, datetime):
            until = until.date()
        if not isinstance(until, date) or until <= self.kit.today():
            raise ValidationError("snooze until a date after today", value=until)
        with self.kit.transaction():
            current = self._current(item)
            if not flag_setting(self.kit.config, SNOOZE_SETTING):
                raise RuleViolation(
                    "OBJ_08",
                    f"snoozing is turned off (setting {SNOOZE_SETTING!r}); an administrator can enable it",
                    value=current.name,
                )
            self._guard(current, f"snoozing {self.kind} {current.name!r}")
            if self.kit.statuses.get(self.kind, current.status).is_closed:
                raise ValidationError(f"a closed {self.kind} cannot be snoozed", value=current.name)
            return self._save(current, {"snoozed_until": until, "snooze_reason": reason})

    def unsnooze(self, item: W | str) -> W:
        """End a snooze: the item shows in open views again."""
        with self.kit.transaction():
            current = self._current(item)
            self._guard(current, f"changing {self.kind} {current.name!r}")
            return self._save(current, {"snoozed_until": None, "snooze_reason": None})

    def is_snoozed(self, item: W | str) -> bool:
        """Whether the item is snoozed until after today (OBJ_08)."""
        item = self._current(item)
        return item.snoozed_until is not None and item.snoozed_until > self.kit.today()

    def age(self, item: W | str) -> int:
        """Days open: closed date minus created date, or today minus created date (OBJ_05)."""
        item = self._current(item)
        end = item.closed_at.date() if item.closed_at is not None else self.kit.today()
        return (end - item.created_at.date()).days

    # -------------------------------------------------------------- playbooks
    def apply_playbook(
        self, item: W | str, playbook: Playbook | str, *, replace: bool = False, on: date | None = None
    ) -> Outcome[W]:
        """Create a playbook's tasks under the item (OBJ_03).

        Applying more playbooks adds their tasks; ``replace=True`` first removes
        the open tasks that earlier playbooks created and makes this playbook
        the only one.  OBJ_04 decides which playbooks an item takes.
        """
        replace = flag("apply_playbook", "replace", replace)
        with self.kit.transaction():
            current: W = self._current(item)
            plan = self._guard(current, f"applying a playbook to {self.kind} {current.name!r}")
            content = self.kit.playbooks.content(playbook)
            book = content.playbook
            check_playbook_for(self.kit, current, book)
            existing = self.kit.tasks.list([("parent_id", "=", current.id)])
            removed: list[str] = []
            if replace:
                open_keys = set(self.kit.statuses.in_category("task", "open"))
                removed = [t.id for t in existing if t.playbook_id is not None and t.status in open_keys]
                drop_tasks(self.kit, removed)
            tasks = playbook_tasks(
                self.kit, current, content, today_or(self.kit, on), first_position=len(existing) - len(removed)
            )
            self.kit.store.insert_many(tasks)
            ids = (book.id,) if replace else (*current.playbook_ids, book.id)
            new = self._save(current, {"playbook_ids": tuple(dict.fromkeys(ids))})
            warnings: list[Notice] = []
            if plan is not None:
                plan, warnings = extend_plan_due(self.kit, plan, [(f"task {t.name!r}", t.due_date) for t in tasks])
        return Outcome(new, tuple(warnings), tuple(tasks), plan)

    # ---------------------------------------------------------------- delete
    def delete(self, item: W | str) -> None:
        """Delete the item with its tasks; dependencies on them are dropped."""
        with self.kit.transaction():
            current = self.get(item)
            self._guard(current, f"deleting {self.kind} {current.name!r}")
            task_ids = [t.id for t in self.kit.tasks.list([("parent_id", "=", current.id)])]
            drop_tasks(self.kit, task_ids)
            self.kit.store.delete(self.kind, current.id)
            self._forget_dependencies([current.id])

    def _forget_dependencies(self, ids: Sequence[str]) -> None:
        """Remove dependencies on deleted items (objectives override)."""

    def tasks(self, item: W | str) -> list[Task]:
        """The item's tasks in order."""
        return self.kit.tasks.list([("parent_id", "=", self.id_of(item))], sort=["position", "due_date", "name"])

    def _assigned(self, old: W | None, new: W) -> None:
        """Called when an item gets an owner: the ``cta_assigned`` event (NOTIF_01)."""
        self.kit.notifications.work_assigned(old, new)
