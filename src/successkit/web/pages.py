"""What the portal's pages show, read from the kit in a bounded number of storage
calls whatever the plan's size (PORTAL_01, PORTAL_03): the templates only lay it out.

A shared plan is exactly :meth:`SharingService.open`'s answer, every record passed
by the one access decision (SHARE_04); its chart is drawn from those records only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import attrs

from successkit.engagement.sharing import SharedPlan
from successkit.plans.schedule import schedule_rows
from successkit.records import Objective, SuccessPlan, Task
from successkit.views.gantt import render_svg

if TYPE_CHECKING:
    from successkit.kit import Kit

__all__ = ["PlanPage", "Progress", "plan_page", "shared_plan_page"]


@attrs.frozen
class Progress:
    """Closed against all: of the objectives and of the tasks a page shows."""

    objectives_done: int
    objectives: int
    tasks_done: int
    tasks: int

    @property
    def percent(self) -> int:
        """Tasks done, in percent (objectives when there are no tasks); 0 for an empty plan."""
        done, total = (self.tasks_done, self.tasks) if self.tasks else (self.objectives_done, self.objectives)
        return round(100 * done / total) if total else 0


@attrs.frozen
class PlanPage:
    """A plan as a page shows it: its objectives, their tasks, progress, chart and owners' names."""

    plan: SuccessPlan
    objectives: tuple[Objective, ...]
    tasks: Mapping[str, tuple[Task, ...]]
    progress: Progress
    gantt_svg: str
    owners: Mapping[tuple[str, str], str]
    labels: Mapping[tuple[str, str], str]
    closed: frozenset[str]
    #: Items closed as not done (closed-lost): a link's holder neither ticks nor reopens them.
    lost: frozenset[str] = frozenset()

    def owner(self, item: Objective | Task) -> str:
        """The name of an item's owner, or ``-``."""
        if item.owner_id is None:
            return "-"
        return self.owners.get((item.owner_kind, item.owner_id), "-")

    def status(self, item: Objective | Task) -> str:
        """The label of an item's status."""
        return self.labels.get((item.__kind__, item.status), item.status)


def _page(
    kit: Kit, plan: SuccessPlan, objectives: Sequence[Objective], tasks: Mapping[str, Sequence[Task]]
) -> PlanPage:
    """The page of these records: two more storage calls (the owners' names), any size."""
    items: list[Objective | Task] = [*objectives, *(t for o in objectives for t in tasks.get(o.id, ()))]
    statuses = kit.statuses
    closed = frozenset(i.id for i in items if statuses.get(i.__kind__, i.status).category != "open")
    lost = frozenset(i.id for i in items if statuses.get(i.__kind__, i.status).category == "closed_lost")
    labels = {(i.__kind__, i.status): statuses.get(i.__kind__, i.status).label for i in [plan, *items]}
    owners: dict[tuple[str, str], str] = {}
    for kind in ("user", "person"):
        ids = sorted({i.owner_id for i in items if i.owner_kind == kind and i.owner_id})
        if ids:
            owners.update({(kind, r.id): r.name for r in kit.store.get_many(kind, ids)})
    n_tasks = [t for o in objectives for t in tasks.get(o.id, ())]
    progress = Progress(
        sum(o.id in closed for o in objectives),
        len(objectives),
        sum(t.id in closed for t in n_tasks),
        len(n_tasks),
    )
    rows = schedule_rows(kit, objectives, tasks)
    svg = render_svg(rows, today=kit.today(), title=plan.name)
    return PlanPage(
        plan,
        tuple(objectives),
        {o.id: tuple(tasks.get(o.id, ())) for o in objectives},
        progress,
        svg,
        owners,
        labels,
        closed,
        lost,
    )


def shared_plan_page(kit: Kit, shared: SharedPlan) -> PlanPage:
    """The page of what a share link opened, nothing more (PORTAL_01)."""
    return _page(kit, shared.plan, shared.objectives, shared.tasks)


def plan_page(kit: Kit, plan: SuccessPlan | str) -> PlanPage:
    """The internal page of a whole plan (PORTAL_03)."""
    view = kit.plans.open(plan)
    return _page(kit, view.plan, view.objectives, view.tasks)
