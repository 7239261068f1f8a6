"""A plan's schedule for Gantt charts (GANTT_01) and date changes from it (GANTT_02)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

import attrs

from successkit.errors import ValidationError
from successkit.outcome import Outcome
from successkit.records import Objective, SuccessPlan, Task
from successkit.views.record_list import RecordList

if TYPE_CHECKING:
    from successkit.kit import Kit

__all__ = ["ScheduleRow", "reschedule", "schedule", "schedule_rows"]


@attrs.frozen
class ScheduleRow:
    """One bar of a Gantt chart: an objective (level 0) or one of its tasks (level 1)."""

    kind: str
    id: str
    name: str
    level: int
    parent_id: str | None
    start: date
    due: date | None
    status: str
    category: str
    owner_id: str | None
    owner_kind: str
    depends_on: tuple[str, ...]
    overdue: bool

    @property
    def closed(self) -> bool:
        """Whether the item is in a closed status category."""
        return self.category != "open"


def schedule(kit: Kit, plan: SuccessPlan | str) -> RecordList[ScheduleRow]:
    """Objectives in order of start, due date and position, each followed by
    its tasks in the same order, with dependencies (three queries)."""
    view = kit.plans.open(plan)
    return schedule_rows(kit, view.objectives, view.tasks)


def schedule_rows(
    kit: Kit, objectives: Sequence[Objective], tasks: Mapping[str, Sequence[Task]]
) -> RecordList[ScheduleRow]:
    """The rows of :func:`schedule` for the objectives and tasks given: a shared
    plan's chart shows what its link shows, no more (PORTAL_01).  A dependency on
    an item not given is left out, so a chart names nothing it does not show."""
    today = kit.today()
    rows: list[ScheduleRow] = []
    given = {o.id for o in objectives} | {t.id for ts in tasks.values() for t in ts}

    def row(item: Objective | Task, level: int, parent: str | None) -> ScheduleRow:
        category = kit.statuses.get(item.__kind__, item.status).category
        return ScheduleRow(
            item.__kind__,
            item.id,
            item.name,
            level,
            parent,
            item.start_date,
            item.due_date,
            item.status,
            category,
            item.owner_id,
            item.owner_kind,
            tuple(d for d in item.depends_on if d in given),
            category == "open" and item.due_date is not None and item.due_date < today,
        )

    def order(item: Objective | Task) -> tuple[Any, ...]:
        return (item.start_date, item.due_date or date.max, item.position, item.name)

    for objective in sorted(objectives, key=order):
        rows.append(row(objective, 0, None))
        for task in sorted(tasks.get(objective.id, ()), key=order):
            rows.append(row(task, 1, objective.id))
    return RecordList(rows, record_class=ScheduleRow)


def reschedule(
    kit: Kit, item: Objective | Task | str, *, start: date | None = None, due: date | None = None
) -> Outcome[Any]:
    """Change an objective's or task's start and/or due date from the chart
    (GANTT_02).  The plan's rules apply: PLAN_06, PLAN_09."""
    if start is None and due is None:
        raise ValidationError("give a new start date, a new due date or both", value=item)
    changes: dict[str, Any] = {}
    if start is not None:
        changes["start_date"] = start
    if due is not None:
        changes["due_date"] = due
    target: Any = item
    if isinstance(item, str):
        target = kit.objectives.get(item) if _is_objective(kit, item) else kit.tasks.get(item)
    if isinstance(target, Objective):
        return kit.objectives.update(target, **changes)
    if isinstance(target, Task):
        return kit.tasks.update(target, **changes)
    raise ValidationError("only objectives and tasks are on a plan's schedule", value=item)


def _is_objective(kit: Kit, id: str) -> bool:
    return bool(kit.store.get_many("objective", [id]))
