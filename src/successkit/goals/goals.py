"""Customer goals: goals, links to CTAs and plans, progress, history
(GOAL_01-GOAL_06, GOAL_11, GOAL_12, GOAL_14).

The goal library (GOAL_02) lives in :mod:`successkit.goals.library`; list views
and reports over goals in :mod:`successkit.goals.views`.
"""

from __future__ import annotations

import builtins
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import attrs

from successkit.automation.events import report
from successkit.errors import RuleViolation, ValidationError, article
from successkit.outcome import Outcome
from successkit.plans.business_days import add_days
from successkit.plugins.builtin_config import RELATIONSHIP_GOALS_SETTING, flag_setting
from successkit.query.language import CalendarQuarter, FiscalQuarter
from successkit.records import (
    Company,
    Cta,
    Goal,
    GoalHistory,
    GoalLink,
    GoalTemplate,
    Objective,
    Person,
    PlanType,
    Playbook,
    Relationship,
    SuccessPlan,
    Task,
    User,
)
from successkit.records.checks import (
    as_list,
    check_attributes,
    check_names,
    field_changes,
    flag,
)
from successkit.service import Service, Where, as_query
from successkit.views.record_list import RecordList

from .progress import LINKABLE, GoalProgress, progress_of

if TYPE_CHECKING:
    from .views import GoalView

__all__ = [
    "LINKABLE",
    "SYSTEM_FIELDS",
    "GoalHistoryService",
    "GoalLinkService",
    "GoalService",
]

#: Fields no caller may edit (GOAL_12): the record's identity and bookkeeping,
#: its creation stamp and creator, and the computed progress.
SYSTEM_FIELDS = frozenset({
    "id", "version", "created_at", "created_date", "created_by", "creator", "updated_at", "progress",
    "company_id", "company", "template_id", "template",
})  # fmt: skip
#: Fields :meth:`GoalService.update` changes, with their types.
_EDITABLE: dict[str, type] = {"name": str, "status": str, "due_date": date, "description": str, "opportunity_id": str}
#: Optional fields an administrator may make required (GOAL_02).
_REQUIRABLE = ("due_date", "description", "opportunity_id")
_REQUIRED_SETTING = "goal.required_fields"


def _json(value: Any) -> str | None:
    """A value as the JSON text kept in the history (dates as ISO text)."""
    if value is None:
        return None
    if isinstance(value, (date, datetime)):
        value = value.isoformat()
    elif isinstance(value, tuple):
        value = list(value)
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


class GoalLinkService(Service[GoalLink]):
    """``kit.goal_links``: the links between goals and CTAs or plans, as a record
    set for reports (GOAL_13).  Link and unlink through ``kit.goals``."""

    record_class = GoalLink


class GoalHistoryService(Service[GoalHistory]):
    """``kit.goal_history``: every goal's activity history (GOAL_11)."""

    record_class = GoalHistory


class GoalService(Service[Goal]):
    """``kit.goals``: customer goals of companies and relationships."""

    record_class = Goal

    def iter(
        self,
        where: Where = None,
        *,
        logic: str | None = None,
        sort: Any = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> Iterator[Goal]:
        """Like :meth:`list`, streamed.  Dropdown and multi-select fields, the
        built-in ``status`` included, cannot be sorted (GOAL_09): the same check
        as the goal view's, for every goal query (``list``, ``report``, ...)."""
        from .views import check_sort

        query = as_query(where, logic, sort, limit, offset)
        check_sort(self.kit, query.sort)
        return super().iter(query)

    # ------------------------------------------------------------------ create
    def create(
        self,
        name: str | None = None,
        *,
        company: Company | str | None = None,
        relationship: Relationship | str | None = None,
        template: GoalTemplate | str | None = None,
        opportunity: str | None = None,
        status: str | None = None,
        due_date: date | None = None,
        description: str | None = None,
        fields: Mapping[str, Any] | None = None,
    ) -> Goal:
        """A goal for a company, or for a relationship (its company is implied)
        (GOAL_01), from scratch or from a goal ``template`` whose values are the
        defaults any argument given here overrides (GOAL_02).

        The status defaults to the template's, else the configured default goal
        status (the first open one).  Name and company are always required;
        an administrator may require more (:meth:`set_required_fields`).
        """
        values = check_attributes(
            self.kind,
            {"due_date": due_date, "description": description, "opportunity_id": opportunity},
            {"due_date": date, "description": str, "opportunity_id": str},
        )
        with self.kit.transaction():
            tpl = None if template is None else self.kit.goal_templates.get(template)
            if tpl is not None:
                name = name if name is not None else tpl.name
                status = status if status is not None else tpl.status
                if values["description"] is None:
                    values["description"] = tpl.description
                if values["due_date"] is None and tpl.due_days is not None:
                    values["due_date"] = add_days(self.kit.today(), tpl.due_days, what="the goal template's due_days")
                fields = {**tpl.default_fields, **field_changes(fields or {})}
            if not isinstance(name, str) or not name.strip():
                raise RuleViolation("GOAL_02", "a goal needs a name (non-blank text)", value=name)
            company_id, rel_id = self._target(company, relationship)
            status_key = self.kit.statuses.get("goal", status or self.kit.config.default_status("goal")).key
            checked = self.kit.custom_fields.check(self.kind, fields)
            goal = self._new(
                name=name.strip(),
                company_id=company_id,
                relationship_id=rel_id,
                status=status_key,
                template_id=tpl.id if tpl is not None else None,
                fields=checked,
                **{k: (None if isinstance(v, str) and not v.strip() else v) for k, v in values.items()},
            )
            self._check_required(goal)
            self.kit.store.insert_many([goal, self._entry(goal.id, 1, "created", None, None, goal.name)])
        return goal

    def _target(self, company: Any, relationship: Any) -> tuple[str, str | None]:
        if relationship is not None:
            rel = self.kit.relationships.get(relationship)
            if company is not None and self.kit.companies.id_of(company) != rel.company_id:
                raise ValidationError("the relationship belongs to another company", value=rel.name)
            return rel.company_id, rel.id
        if company is None:
            raise RuleViolation(
                "GOAL_02", "a goal belongs to a company or a relationship: pass company= or relationship=", value=None
            )
        return self.kit.companies.get(company).id, None

    # ------------------------------------------------------- required fields
    def required_fields(self) -> builtins.list[str]:
        """The fields an administrator made required, beyond name and company."""
        text = self.kit.config.setting(_REQUIRED_SETTING)
        return [f for f in (text or "").split(",") if f]

    def set_required_fields(self, names: Iterable[str]) -> None:
        """Make optional goal fields (due_date, description, opportunity_id) or
        declared goal custom fields required for new and edited goals (GOAL_02)."""
        declared = self.kit.custom_field_decls("goal", refresh=True)
        out = []
        for name in as_list("goal", "required fields", names):
            if not isinstance(name, str):
                raise ValidationError("a required goal field is named by text", rule="SEC_05", value=name)
            key = name[len("fields.") :] if isinstance(name, str) and name.startswith("fields.") else name
            if key not in _REQUIRABLE and key not in declared:
                raise ValidationError(
                    f"a required goal field is one of {', '.join(_REQUIRABLE)} or a declared goal custom field",
                    value=name,
                )
            out.append(key if key in _REQUIRABLE else f"fields.{key}")
        with self.kit.transaction():
            self.kit.config.set_setting(_REQUIRED_SETTING, ",".join(dict.fromkeys(out)))

    def _check_required(self, goal: Goal) -> None:
        for name in self.required_fields():
            value = goal.fields.get(name[7:]) if name.startswith("fields.") else getattr(goal, name)
            if value is None or value == "" or value == [] or value == ():
                raise RuleViolation("GOAL_02", f"goal field {name!r} is required", value=name)

    # ------------------------------------------------------------------ change
    def update(self, goal: Goal | str, **changes: Any) -> Goal:
        """Edit name, status, due date, description, opportunity or custom fields.

        Every changed field is written to the goal's activity history in the
        same transaction (GOAL_11).  System fields (id, created date, creator,
        progress...) cannot be edited (GOAL_12).
        """
        system = sorted(set(changes) & SYSTEM_FIELDS)
        if system:
            raise RuleViolation(
                "GOAL_12", f"{system[0]!r} is a system field of goals and cannot be edited", value=system[0]
            )
        if "opportunity" in changes:
            changes["opportunity_id"] = changes.pop("opportunity")
        check_names("goals have no editable field", changes, [*_EDITABLE, "fields"])
        values = check_attributes(self.kind, {k: v for k, v in changes.items() if k != "fields"}, _EDITABLE)
        if "name" in values:
            if not isinstance(values["name"], str) or not values["name"].strip():
                raise RuleViolation("GOAL_02", "a goal needs a name (non-blank text)", value=values["name"])
            values["name"] = values["name"].strip()
        if "status" in values:
            values["status"] = self.kit.statuses.get("goal", values["status"]).key
        for key in ("description", "opportunity_id"):
            if isinstance(values.get(key), str) and not values[key].strip():
                values[key] = None
        with self.kit.transaction():
            current = self._current(goal)
            if "fields" in changes:
                new_fields = {**current.fields, **self.kit.custom_fields.check(self.kind, changes["fields"])}
                values["fields"] = new_fields
            diffs = [
                (k, getattr(current, k), v) for k, v in values.items() if k != "fields" and getattr(current, k) != v
            ]
            if "fields" in values:
                keys = sorted(set(current.fields) | set(values["fields"]))
                diffs += [
                    (f"fields.{k}", current.fields.get(k), values["fields"].get(k))
                    for k in keys
                    if current.fields.get(k) != values["fields"].get(k)
                ]
            if not diffs:
                return current
            new = self._save(current, values)
            report(self.kit, changed=[(current, new)])  # AUTO_01: a goal's status changed
            self._check_required(new)
            self.kit.notifications.goal_status_changed(current, new)  # NOTIF_05
            seq = self._next_seq(current.id)
            self.kit.store.insert_many(
                [self._entry(current.id, seq + i, "changed", f, old, value) for i, (f, old, value) in enumerate(diffs)]
            )
        return new

    def set_status(self, goal: Goal | str, status: str) -> Goal:
        """Change a goal's status (kept in its history like any change)."""
        return self.update(goal, status=status)

    def delete(self, goal: Goal | str) -> None:
        """Delete a goal with its links and history; the linked CTAs and plans
        are left untouched (GOAL_05)."""
        with self.kit.transaction():
            current = self.get(goal)
            links = self.kit.goal_links.list([("goal_id", "=", current.id)])
            self.kit.store.delete_many("goal_link", [link.id for link in links])
            history = self.kit.goal_history.list([("goal_id", "=", current.id)])
            self.kit.store.delete_many("goal_history", [h.id for h in history])
            self.kit.store.delete(self.kind, current.id)

    # -------------------------------------------------------------- history
    def _entry(self, goal_id: str, seq: int, action: str, field: str | None, old: Any, new: Any) -> GoalHistory:
        now = self.kit.now()
        return GoalHistory(
            created_at=now,
            updated_at=now,
            created_by=self.kit.actor_id,
            goal_id=goal_id,
            seq=seq,
            action=action,
            field=field,
            old_value=_json(old),
            new_value=_json(new),
        )

    def _next_seq(self, goal_id: str) -> int:
        last = self.kit.goal_history.list([("goal_id", "=", goal_id)], sort=["-seq"], limit=1)
        return last[0].seq + 1 if last else 1

    def history(self, goal: Goal | str) -> RecordList[GoalHistory]:
        """Every change to the goal, oldest first (GOAL_11): who (``created_by``),
        when (``created_at``), ``action``, ``field``, ``old`` and ``new`` values."""
        return self.kit.goal_history.list([("goal_id", "=", self.id_of(goal))], sort=["seq", "created_at"])

    # ---------------------------------------------------------------- links
    def _item(self, item: Any, kind: str | None) -> tuple[str, Cta | SuccessPlan]:
        """The CTA or plan ``item`` names; objectives and tasks are refused (GOAL_03)."""
        if isinstance(item, (Objective, Task)) or kind in ("objective", "task"):
            what = item.__kind__ if isinstance(item, (Objective, Task)) else str(kind)
            raise RuleViolation(
                "GOAL_03",
                f"{article(what)} cannot be linked to a goal directly; link its CTA or success plan instead",
                value=getattr(item, "name", item),
            )
        if isinstance(item, Cta):
            kind = "cta"
        elif isinstance(item, SuccessPlan):
            kind = "plan"
        elif kind not in LINKABLE:
            raise ValidationError(
                "link a cockpit CTA or a success plan (a record, or an id with kind='cta' or kind='plan')",
                value=item if kind is None else kind,
            )
        found: Cta | SuccessPlan = self.kit.ctas.get(item) if kind == "cta" else self.kit.plans.get(item)
        return kind, found

    def link(self, goal: Goal | str, item: Any, *, kind: str | None = None) -> GoalLink:
        """Link a cockpit CTA or a success plan of the goal's company to the goal
        (GOAL_03).  Linking an objective or a task is refused; linking an item
        already linked returns the existing link."""
        with self.kit.transaction():
            current = self.get(goal)
            item_kind, found = self._item(item, kind)
            if found.company_id != current.company_id:
                raise ValidationError(f"the {item_kind} belongs to another company than the goal", value=found.name)
            existing = self.kit.goal_links.list([("goal_id", "=", current.id), ("item_id", "=", found.id)])
            if existing:
                return existing[0]
            now = self.kit.now()
            link = GoalLink(
                created_at=now,
                updated_at=now,
                created_by=self.kit.actor_id,
                goal_id=current.id,
                item_kind=item_kind,
                item_id=found.id,
                company_id=current.company_id,
            )
            entry = self._entry(current.id, self._next_seq(current.id), "linked", item_kind, None, found.id)
            self.kit.store.insert_many([link, entry])
        return link

    def unlink(self, goal: Goal | str, item: Any, *, kind: str | None = None) -> None:
        """Remove the link between a goal and a CTA or plan; the CTA or plan
        itself is left untouched (GOAL_05)."""
        goal_id = self.id_of(goal)
        item_id = item.id if isinstance(item, (Cta, SuccessPlan, Objective, Task)) else item
        if isinstance(item, (Objective, Task)) or kind in ("objective", "task"):
            self._item(item, kind)  # raises GOAL_03
        with self.kit.transaction():
            links = self.kit.goal_links.list([("goal_id", "=", goal_id), ("item_id", "=", item_id)])
            if not links:
                raise ValidationError("this item is not linked to the goal", value=item_id)
            self.kit.store.delete_many("goal_link", [link.id for link in links])
            entry = self._entry(goal_id, self._next_seq(goal_id), "unlinked", links[0].item_kind, item_id, None)
            self.kit.store.insert(entry)

    def create_cta(
        self,
        goal: Goal | str,
        name: str,
        *,
        type: str,
        company: Company | str | None = None,
        relationship: Relationship | str | None = None,
        reason: str | None = None,
        priority: str | None = None,
        status: str | None = None,
        owner: User | str | None = None,
        due_date: date | None = None,
        start_date: date | None = None,
        source: str = "manual",
        comments: str | None = None,
        playbook: Playbook | str | None = None,
        associated_persons: Sequence[Person | str] = (),
        fields: Mapping[str, Any] | None = None,
    ) -> Outcome[Cta]:
        """Create a cockpit CTA from a goal and link it, in one transaction (GOAL_04).

        The options are those of :meth:`CtaService.create`; the company (and
        relationship) default to the goal's.  The link is in ``created``.
        """
        with self.kit.transaction():
            current = self.get(goal)
            if company is None and relationship is None:
                if current.relationship_id is not None:
                    relationship = current.relationship_id
                else:
                    company = current.company_id
            outcome = self.kit.ctas.create(
                name,
                type=type,
                company=company,
                relationship=relationship,
                reason=reason,
                priority=priority,
                status=status,
                owner=owner,
                due_date=due_date,
                start_date=start_date,
                source=source,
                comments=comments,
                playbook=playbook,
                associated_persons=associated_persons,
                fields=fields,
            )
            link = self.link(current, outcome.record)
        return attrs.evolve(outcome, created=(*outcome.created, link))

    def create_plan(
        self,
        goal: Goal | str,
        name: str,
        *,
        plan_type: PlanType | str,
        owner: User | str,
        company: Company | str | None = None,
        relationship: Relationship | str | None = None,
        status: str | None = None,
        due_date: date | None = None,
        highlights: str | None = None,
        fields: Mapping[str, Any] | None = None,
    ) -> Outcome[SuccessPlan]:
        """Create a success plan from a goal and link it, in one transaction (GOAL_04).

        The options are those of :meth:`PlanService.create`; the company (and
        relationship) default to the goal's.  The link is in ``created``.
        """
        with self.kit.transaction():
            current = self.get(goal)
            if company is None:
                company = current.company_id
                if relationship is None and current.relationship_id is not None:
                    relationship = current.relationship_id
            plan = self.kit.plans.create(
                name,
                company=company,
                plan_type=plan_type,
                owner=owner,
                relationship=relationship,
                status=status,
                due_date=due_date,
                highlights=highlights,
                fields=fields,
            )
            link = self.link(current, plan)
        return Outcome(plan, created=(link,), plan=plan)

    def links(self, goal: Goal | str) -> RecordList[GoalLink]:
        """The goal's links, oldest first."""
        return self.kit.goal_links.list([("goal_id", "=", self.id_of(goal))], sort=["created_at"])

    def linked(self, goal: Goal | str) -> builtins.list[Cta | SuccessPlan]:
        """The CTAs and plans linked to the goal (CTAs first), in three queries."""
        links = self.links(goal)
        ctas = self.kit.ctas.get_many([x.item_id for x in links if x.item_kind == "cta"])
        plans = self.kit.plans.get_many([x.item_id for x in links if x.item_kind == "plan"])
        return [*ctas, *plans]

    # ------------------------------------------------------------- progress
    def progress(self, goal: Goal | str) -> GoalProgress:
        """The goal's progress, from its linked items' current statuses (GOAL_06)."""
        return self.progress_many([goal])[self.id_of(goal)]

    def progress_many(self, goals: Sequence[Goal | str]) -> dict[str, GoalProgress]:
        """Progress of many goals in one storage call, however many
        (see :func:`successkit.goals.progress.progress_of`)."""
        return progress_of(self.kit, list(dict.fromkeys(self.id_of(g) for g in self._refs(goals))))

    # ---------------------------------------------------------------- reading
    def of_company(
        self,
        company: Company | str,
        *,
        relationships: bool | None = None,
        where: Where = None,
        logic: str | None = None,
    ) -> RecordList[Goal]:
        """A company's goals, newest first, in one query; with
        ``relationships=True`` its relationships' goals too (GOAL_14).  Left
        out (None), the administrator's setting decides, off by default
        (:meth:`show_relationship_goals`)."""
        from successkit.query.language import combine

        cid = self.kit.companies.id_of(company)
        extra: list[tuple[Any, ...]] = [("company_id", "=", cid)]
        if not self.with_relationship_goals(relationships):
            extra.append(("relationship_id", "is empty"))
        return self.list(combine(extra, where, logic, sort=["-created_at"]))

    def show_relationship_goals(self, enabled: bool) -> None:
        """Whether a company's goal list and 360 view show its relationships'
        goals when the call does not say (GOAL_14); off until turned on."""
        if not isinstance(enabled, bool):
            raise ValidationError("show_relationship_goals takes True or False", value=enabled)
        with self.kit.transaction():
            self.kit.config.set_setting(RELATIONSHIP_GOALS_SETTING, "true" if enabled else "false")

    def with_relationship_goals(self, relationships: bool | None) -> bool:
        """``relationships`` as given (True or False), or the setting when None."""
        if relationships is None:
            return flag_setting(self.kit.config, RELATIONSHIP_GOALS_SETTING)
        return flag("goals", "relationships", relationships)

    def view(
        self,
        where: Where = None,
        *,
        logic: str | None = None,
        columns: Sequence[str] | None = None,
        extra_columns: Sequence[str] | None = (),
        sort: Any = None,
        group_by: str | CalendarQuarter | FiscalQuarter | None = None,
        limit: int | None = None,
        offset: int = 0,
        company: Company | str | None = None,
        relationship: Relationship | str | None = None,
        relationships: bool | None = None,
    ) -> GoalView:
        """The goal list view (GOAL_07-GOAL_10); see :func:`successkit.goals.views.goal_view`."""
        from .views import goal_view

        return goal_view(
            self.kit,
            where,
            logic=logic,
            columns=columns,
            extra_columns=extra_columns,
            sort=sort,
            group_by=group_by,
            limit=limit,
            offset=offset,
            company=company,
            relationship=relationship,
            relationships=relationships,
        )

    def report(
        self,
        record_set: str,
        where: Where = None,
        *,
        logic: str | None = None,
        sort: Any = None,
        limit: int | None = None,
    ) -> RecordList[Any]:
        """Rows of one of the three goal record sets (GOAL_13): ``"goals"``,
        ``"goal_templates"`` or ``"goal_links"``, through the query language;
        ``.to_pandas()`` gives a DataFrame."""
        services: dict[str, Service[Any]] = {
            "goals": self,
            "goal_templates": self.kit.goal_templates,
            "goal_links": self.kit.goal_links,
        }
        service = services.get(record_set) if isinstance(record_set, str) else None
        if service is None:
            raise ValidationError(f"goal reports use one of {', '.join(services)}", value=record_set)
        return service.list(where, logic=logic, sort=sort, limit=limit)
