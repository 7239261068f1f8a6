"""Success plans: creation, statuses and their effects, counts (PLAN_01-PLAN_09).

Objectives, tasks, templates and the schedule have modules of their own; the
plan service is the door to the operations that act on a whole plan.
"""

from __future__ import annotations

import html
import os
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from typing import Any

import attrs

from successkit.engagement.sharing import delete_shares_of_plan
from successkit.engagement.timeline import delete_activities_of
from successkit.errors import ReadOnlyError, ValidationError
from successkit.outcome import Outcome
from successkit.query.language import ByField, Query
from successkit.records import Company, Objective, PlanTemplate, PlanType, Relationship, SuccessPlan, Task, User
from successkit.records.checks import check_attributes, check_names, field_changes, flag, require_text
from successkit.service import Service
from successkit.views.gantt import Collapse, check_size, render_svg
from successkit.views.record_list import RecordList

from .builders import check_plan_name_free, check_plan_status, name_key, new_plan
from .cloning import ALL_ITEMS, CloneResult, Selection, clone_plan
from .invariants import check_open_plan, evolve, resolve_owner, status_change
from .schedule import ScheduleRow, reschedule, schedule

__all__ = ["PlanCounts", "PlanService", "PlanView"]


@attrs.frozen
class PlanCounts:
    """Objective counts of a plan (PLAN_07, CTA_01): overdue = open and due before today."""

    total: int = 0
    open: int = 0
    overdue: int = 0
    closed_success: int = 0
    closed_lost: int = 0


@attrs.frozen
class PlanView:
    """A plan opened whole: its objectives (in schedule order), their tasks and counts.

    In a notebook it shows as a header, the counts and the Gantt chart
    (GANTT_03); the chart is drawn when shown, so opening a plan costs no more.
    :meth:`chart` sets the chart's width, names column and collapsing.
    """

    plan: SuccessPlan
    objectives: tuple[Objective, ...]
    tasks: Mapping[str, tuple[Task, ...]]
    counts: PlanCounts
    _chart: Callable[..., str] | None = attrs.field(default=None, eq=False, repr=False, kw_only=True)
    _chart_options: Mapping[str, Any] = attrs.field(factory=dict, eq=False, repr=False, kw_only=True)

    def chart(self, *, width: int = 960, label_width: int = 250, collapse: Collapse = False) -> PlanView:
        """The same view, shown with a chart ``width`` pixels wide whose names column is
        ``label_width`` wide, tasks folded into their objectives with ``collapse`` (``True``,
        or the ids of the objectives to fold); see :func:`successkit.render_svg`."""
        check_size(width, label_width)
        return attrs.evolve(self, chart_options={"width": width, "label_width": label_width, "collapse": collapse})

    def to_pandas(self) -> Any:
        """Each objective followed by its tasks as a pandas DataFrame (needs the ``pandas`` extra)."""
        from successkit.views.frames import plan_view_frame

        return plan_view_frame(self)

    def _repr_html_(self) -> str:
        """The plan's name, type, status and due date, its objective counts and the chart (DATA_01)."""
        from successkit.views import notebook as nb

        p, c = self.plan, self.counts
        due = f" · due {p.due_date.isoformat()}" if p.due_date else ""
        counts = (
            f"Objectives: {c.total} ({c.open} open, {c.overdue} overdue, {c.closed_success} closed with "
            f"success, {c.closed_lost} lost)"
        )
        chart = self._chart(**self._chart_options) if self._chart else ""
        return nb.block(nb.title(p.name, f"{p.plan_type} · {p.status}{due}"), f"<p>{html.escape(counts)}</p>", chart)


class PlanService(Service[SuccessPlan]):
    """``kit.plans``: success plans for companies and relationships."""

    record_class = SuccessPlan

    # ------------------------------------------------------------------ create
    def create(
        self,
        name: str,
        *,
        company: Company | str,
        plan_type: PlanType | str,
        owner: User | str,
        relationship: Relationship | str | None = None,
        status: str | None = None,
        due_date: date | None = None,
        highlights: str | None = None,
        fields: Mapping[str, Any] | None = None,
    ) -> SuccessPlan:
        """A new plan (PLAN_01).  The name is unique per company and relationship
        (PLAN_02); the owner follows USER_01/USER_02 (PLAN_03); the status
        defaults to the plan type's first draft status (PLAN_04)."""
        values = check_attributes(
            self.kind, {"due_date": due_date, "highlights": highlights}, {"due_date": date, "highlights": str}
        )
        with self.kit.transaction():
            target = self.kit.companies.get(company)
            rel = self._relationship_of(target.id, relationship)
            owner_id, _ = resolve_owner(self.kit, owner, what="success plan", allow_person=False)
            plan = new_plan(
                self.kit,
                name=name,
                company_id=target.id,
                relationship_id=rel.id if rel else None,
                plan_type=self.kit.config.plan_type(plan_type).key,
                owner_id=owner_id,
                status=status,
                fields=fields,
                **values,
            )
            check_plan_name_free(self.kit, plan.name_key, plan.name)
            self.kit.access.check_actor("change", plan)
            self.kit.store.insert(plan)
            self.kit.notifications.plan_assigned(None, plan)
        return plan

    def _relationship_of(self, company_id: str, relationship: Any) -> Relationship | None:
        if relationship is None:
            return None
        rel = self.kit.relationships.get(relationship)
        if rel.company_id != company_id:
            raise ValidationError("the relationship belongs to another company", value=rel.name)
        return rel

    # ------------------------------------------------------------------ change
    def update(self, plan: SuccessPlan | str, **changes: Any) -> SuccessPlan:
        """Edit name, type, due date, owner, highlights or custom fields (PLAN_08).

        Refused inside a closed plan (PLAN_06); status changes go through
        :meth:`set_status`, which applies the closing rules.
        """
        if "status" in changes:
            raise ValidationError("change a plan's status with kit.plans.set_status()", value="status")
        allowed = {"name": str, "plan_type": str, "due_date": date, "owner": object, "highlights": str, "fields": dict}
        check_names("plans have no editable field", changes, allowed)
        with self.kit.transaction():
            current = self._current(plan)
            check_open_plan(self.kit, current, what="editing the plan")
            values: dict[str, Any] = {}
            if "name" in changes:
                values["name"] = require_text(self.kind, "name", changes["name"])
                values["name_key"] = name_key(current.company_id, current.relationship_id, values["name"])
                if values["name_key"] != current.name_key:
                    check_plan_name_free(self.kit, values["name_key"], values["name"], exclude=current.id)
            if "plan_type" in changes:
                ptype = self.kit.config.plan_type(changes["plan_type"])
                values["plan_type"] = ptype.key
                check_plan_status(self.kit, ptype.key, current.status)
            if "due_date" in changes:
                values.update(check_attributes(self.kind, {"due_date": changes["due_date"]}, {"due_date": date}))
            if "highlights" in changes:
                values.update(check_attributes(self.kind, {"highlights": changes["highlights"]}, {"highlights": str}))
            if "owner" in changes:
                values["owner_id"] = resolve_owner(self.kit, changes["owner"], what="success plan", allow_person=False)[
                    0
                ]
            if changes.get("fields") is not None:
                merged = {**current.fields, **field_changes(changes["fields"])}
                values["fields"] = self.kit.custom_fields.check(self.kind, merged)
            new = self._save(current, values)
            self.kit.notifications.plan_assigned(current, new)
            if new.due_date != current.due_date:
                self.kit.notifications.plan_due_date_changed(current, new)
        return new

    def set_status(self, plan: SuccessPlan | str, status: str) -> Outcome[SuccessPlan]:
        """Change the status, with the effects of its category.

        Closing (PLAN_05) closes every open objective and task of the plan in
        the same transaction, with the configured close statuses.  A closed
        plan can only be set back to an active status (PLAN_06); its
        objectives and tasks stay as they are.
        """
        with self.kit.transaction():
            current = self._current(plan)
            self.kit.access.check_actor("change", current)
            key = check_plan_status(self.kit, current.plan_type, status)
            old = self.kit.statuses.get("plan", current.status).category
            new_category = self.kit.statuses.get("plan", key).category
            if old == "closed" and key != current.status and new_category != "active":
                raise ReadOnlyError(
                    "PLAN_06",
                    f"plan {current.name!r} is closed: it can only be set back to an active status",
                    value=status,
                )
            changes = status_change(self.kit, "plan", current, key)
            created: list[Any] = []
            if new_category == "closed" and old != "closed":
                created = self._close_everything(current)
            new = self._save(current, changes)
        return Outcome(new, created=tuple(created), plan=new)

    def _close_everything(self, plan: SuccessPlan) -> list[Any]:
        """Close the plan's open objectives and tasks in two bulk writes (PLAN_05)."""
        kit = self.kit
        changed: list[Any] = []
        for kind, service in (("objective", kit.objectives), ("task", kit.tasks)):
            open_keys = kit.statuses.in_category(kind, "open")
            close = kit.config.close_status(kind)
            items = service.list([("plan_id", "=", plan.id), ("status", "in", open_keys)])
            updates = [(evolve(kit, r, **status_change(kit, kind, r, close)), r.version) for r in items]
            kit.store.update_many(updates)
            changed.extend(new for new, _ in updates)
        return changed

    def delete(self, plan: SuccessPlan | str) -> None:
        """Delete a plan with its objectives, tasks, timeline activities and
        shares (refused while closed, PLAN_06)."""
        with self.kit.transaction():
            current = self.get(plan)
            check_open_plan(self.kit, current, what="deleting the plan")
            tasks = self.kit.tasks.list([("plan_id", "=", current.id)])
            objectives = self.kit.objectives.list([("plan_id", "=", current.id)])
            self.kit.store.delete_many("task", [t.id for t in tasks])
            self.kit.store.delete_many("objective", [o.id for o in objectives])
            delete_activities_of(self.kit, "plan_id", [current.id])
            delete_shares_of_plan(self.kit, current.id)
            self.kit.store.delete(self.kind, current.id)

    # ------------------------------------------------------------------ read
    def counts(self, plan: SuccessPlan | str) -> PlanCounts:
        """Total, open, overdue, closed-success and closed-lost objectives (PLAN_07),
        counted by the database (see :meth:`counts_many`)."""
        return self.counts_many([self.get(plan)])[self.id_of(plan)]

    def counts_many(self, plans: Sequence[SuccessPlan | str]) -> dict[str, PlanCounts]:
        """Counts for many plans in four grouped counts, however many objectives
        they hold: the database counts, no objective is read (one per status
        category, one for the overdue)."""
        ids = list(dict.fromkeys(self.id_of(p) for p in self._refs(plans)))
        tallies = {i: dict.fromkeys(("open", "overdue", "closed_success", "closed_lost"), 0) for i in ids}
        if not ids:
            return {}
        by_plan = self.kit.bind_group("objective", ByField("plan_id"))
        statuses = self.kit.statuses
        for key, where in (
            ("open", [("status", "in", statuses.in_category("objective", "open"))]),
            (
                "overdue",
                [("status", "in", statuses.in_category("objective", "open")), ("due_date", "<", self.kit.today())],
            ),
            ("closed_success", [("status", "in", statuses.in_category("objective", "closed_success"))]),
            ("closed_lost", [("status", "in", statuses.in_category("objective", "closed_lost"))]),
        ):
            query = self.kit.bind("objective", Query([("plan_id", "in", ids), *where]))
            for plan_id, n in self.kit.store.group_counts(query, by_plan):
                tallies[plan_id][key] = n
        return {
            i: PlanCounts(total=t["open"] + t["closed_success"] + t["closed_lost"], **t) for i, t in tallies.items()
        }

    def _counts(self, ids: Iterable[str], objectives: Iterable[Objective]) -> dict[str, PlanCounts]:
        today = self.kit.today()
        tallies = {i: {"total": 0, "open": 0, "overdue": 0, "closed_success": 0, "closed_lost": 0} for i in ids}
        for o in objectives:
            t = tallies[o.plan_id]
            t["total"] += 1
            category = self.kit.statuses.get("objective", o.status).category
            t[category] += 1
            if category == "open" and o.due_date is not None and o.due_date < today:
                t["overdue"] += 1
        return {i: PlanCounts(**t) for i, t in tallies.items()}

    def open(self, plan: SuccessPlan | str) -> PlanView:
        """The plan with its objectives, tasks and counts, in three queries."""
        current = self.get(plan)
        objectives = self.kit.objectives.list(
            [("plan_id", "=", current.id)], sort=["start_date", "due_date", "position", "name"]
        )
        tasks: dict[str, list[Task]] = {o.id: [] for o in objectives}
        for t in self.kit.tasks.list(
            [("plan_id", "=", current.id)], sort=["position", "start_date", "due_date", "name"]
        ):
            tasks.setdefault(t.parent_id, []).append(t)
        counts = self._counts([current.id], objectives)[current.id]
        return PlanView(
            current,
            tuple(objectives),
            {k: tuple(v) for k, v in tasks.items()},
            counts,
            chart=lambda **options: self.gantt(current, **options),
        )

    def of_company(self, company: Company | str, *, relationships: bool = True) -> list[SuccessPlan]:
        """A company's plans (and, by default, those of its relationships), by name."""
        relationships = flag(self.kind, "relationships", relationships)
        cid = self.kit.companies.id_of(company)
        where: list[Any] = [("company_id", "=", cid)]
        if not relationships:
            where.append(("relationship_id", "is empty"))
        return self.list(where, sort=["name"])

    def templates_for(self, plan: SuccessPlan | str) -> list[PlanTemplate]:
        """The templates offered for a plan: those of its type and those of ALL (TPL_01)."""
        return self.kit.plan_templates.for_type(self.get(plan).plan_type)

    def apply_template(
        self,
        plan: SuccessPlan | str,
        template: PlanTemplate | str,
        *,
        on: date | None = None,
        skip: Iterable[str] = (),
        overrides: Mapping[str, Mapping[str, Any]] | None = None,
        business_days: bool | None = None,
        holidays: Iterable[date] = (),
    ) -> Outcome[SuccessPlan]:
        """Apply a plan template, given as a record, its id or its name (TPL_02, TPL_03);
        see :meth:`PlanTemplateService.apply`."""
        return self.kit.plan_templates.apply(
            plan, template, on=on, skip=skip, overrides=overrides, business_days=business_days, holidays=holidays
        )

    def clone(
        self,
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
        """Clone a plan to a company or relationship (CLONE_01-CLONE_16).

        ``name`` defaults to ``Copy of <name>``; ``objectives`` and ``tasks`` are
        ``"all"``, ``None`` or ``ByStatus(...)`` (a list of status keys works
        too); ``objective_owner`` and ``task_owner`` give every copied item one
        owner; ``dry_run=True`` is a preview that writes nothing.
        """
        return clone_plan(
            self.kit,
            plan,
            to=to,
            name=name,
            status=status,
            owner=owner,
            due_date=due_date,
            plan_type=plan_type,
            copy_plan_info=copy_plan_info,
            objectives=objectives,
            tasks=tasks,
            objective_owner=objective_owner,
            task_owner=task_owner,
            dry_run=dry_run,
        )

    def schedule(self, plan: SuccessPlan | str) -> RecordList[ScheduleRow]:
        """The plan's objectives and tasks as ordered rows for a chart (GANTT_01)."""
        return schedule(self.kit, plan)

    def reschedule(self, item: Any, *, start: date | None = None, due: date | None = None) -> Outcome[Any]:
        """Move an objective's or task's dates from the chart (GANTT_02; PLAN_09 applies)."""
        return reschedule(self.kit, item, start=start, due=due)

    def gantt(
        self,
        plan: SuccessPlan | str,
        *,
        path: str | os.PathLike[str] | None = None,
        width: int = 960,
        label_width: int = 250,
        collapse: Collapse = False,
    ) -> str:
        """The plan's Gantt chart as SVG, also written to ``path`` when given (GANTT_03).

        ``width`` and ``label_width`` (the names column) are in pixels; ``collapse`` folds
        tasks into their objectives' bars (``True``, or the ids of the objectives to fold).
        A ``path`` ending in ``.png`` still writes the deprecated matplotlib PNG, with a
        warning: write the SVG and convert it instead."""
        check_size(width, label_width)
        current = self.get(plan)
        rows, today = schedule(self.kit, current), self.kit.today()
        svg = render_svg(rows, today=today, title=current.name, width=width, label_width=label_width, collapse=collapse)
        if path is not None and os.fspath(path).lower().endswith(".png"):
            warnings.warn(
                "writing a Gantt chart as PNG is deprecated and will be removed: the PNG is not the SVG "
                "chart and is slow on large plans; write the SVG (a .svg path) and convert it with a "
                "browser, rsvg-convert or cairosvg",
                DeprecationWarning,
                stacklevel=2,
            )
            from successkit.views.gantt_png import draw_png

            draw_png(rows, path, today=today, title=current.name)
        elif path is not None:
            with open(path, "w", encoding="utf-8") as f:
                f.write(svg)
        return svg
