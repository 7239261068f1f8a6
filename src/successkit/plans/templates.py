"""Plan templates: objectives and tasks applied to a plan with date offsets
(TPL_01-TPL_03), in one transaction with bulk inserts."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

import attrs

from successkit.errors import RuleViolation, ValidationError, article
from successkit.outcome import Outcome
from successkit.query.language import Query
from successkit.records import EmailTemplate, Objective, PlanTemplate, SuccessPlan, Task, TemplateItem, new_id
from successkit.records.checks import as_list, check_attributes, check_options, flag, require_text
from successkit.service import Service, stamp

from .builders import check_criteria, new_objective, new_task
from .business_days import DateShifter
from .invariants import check_open_plan, extend_plan_due, find_cycle, playbook_tasks, resolve_owner, today_or

if TYPE_CHECKING:
    from successkit.kit import Kit

    from .playbooks import PlaybookContent

__all__ = ["ALL", "PlanTemplateService", "PreparedTemplate", "check_template_for"]

#: The template category offered to plans of every type (TPL_01).
ALL = "ALL"

_OBJECTIVE_FIELDS = {
    "name",
    "start_days",
    "due_days",
    "type",
    "priority",
    "category",
    "success_criteria",
    "playbook",
    "depends_on",
    "tasks",
    "key",
}
_TASK_FIELDS = {"name", "start_days", "due_days", "priority", "depends_on", "email_template", "key"}
_OVERRIDABLE = {"name", "start_date", "due_date", "owner", "priority", "type", "category", "success_criteria"}


class PlanTemplateService(Service[PlanTemplate]):
    """``kit.plan_templates``: reusable objectives and tasks per plan type."""

    record_class = PlanTemplate
    named = True

    def create(
        self,
        name: str,
        plan_type: str,
        objectives: Sequence[Mapping[str, Any]],
        *,
        business_days: bool = False,
        description: str | None = None,
    ) -> PlanTemplate:
        """A template for ``plan_type`` (or :data:`ALL`), TPL_01.

        Each objective is a mapping with ``name``, optional ``key`` (default:
        its number), ``start_days``/``due_days`` offsets, ``type``, ``priority``,
        ``category``, ``success_criteria``, ``playbook``, ``depends_on`` (keys)
        and ``tasks``: mappings with ``name``, ``key``, offsets, ``priority``,
        ``depends_on`` and ``email_template``.  A task's key is prefixed with
        its objective's: ``"1.2"``.  Dependencies may name any item key (TPL_03).
        """
        name = require_text(self.kind, "name", name)
        if plan_type != ALL:
            plan_type = self.kit.config.plan_type(plan_type).key
        business_days = flag(self.kind, "business_days", business_days)
        with self.kit.transaction():
            self._check_new_name(name)
            template = self._new(name=name, plan_type=plan_type, business_days=business_days, description=description)
            items = self._items(template, objectives)
            self.kit.store.insert_many([template, *items])
        return template

    def ensure(
        self, name: str, plan_type: str, objectives: Sequence[Mapping[str, Any]], **options: Any
    ) -> PlanTemplate:
        """The plan template of this name, created as :meth:`create` would when there
        is none.  An existing one is returned unchanged (its objectives are not
        compared) unless its plan type or an option given differs: refused."""
        name = require_text(self.kind, "name", name)
        check_options("plan template ensure", self.create, options, given=("name", "plan_type", "objectives"))
        with self.kit.transaction():
            found = self.list([("name", "=", name)], limit=1)
            given = {
                "plan_type": plan_type if plan_type == ALL else self.kit.config.plan_type(plan_type).key,
                **options,
            }
            return self._ensured(
                found[0] if found else None, "name", given, lambda: self.create(name, plan_type, objectives, **options)
            )

    def _items(self, template: PlanTemplate, objectives: Sequence[Mapping[str, Any]]) -> list[TemplateItem]:
        stamp = self._stamp()
        items: list[TemplateItem] = []
        keys: set[str] = set()
        config = self.kit.config

        def key_of(raw: Mapping[str, Any], default: str, prefix: str = "") -> str:
            key = prefix + str(raw.get("key", default))
            if key in keys:
                raise ValidationError(f"template item key {key!r} is used twice", value=key)
            keys.add(key)
            return key

        for i, raw in enumerate(as_list("plan template", "objectives", objectives)):
            _only(raw, _OBJECTIVE_FIELDS, "template objective")
            okey = key_of(raw, str(i + 1))
            playbook = raw.get("playbook")
            playbook_id = None if playbook is None else self.kit.playbooks.get(playbook).id
            deps = tuple(str(d) for d in raw.get("depends_on", ()))
            items.append(
                TemplateItem(
                    **stamp,
                    template_id=template.id,
                    key=okey,
                    name=require_text("template objective", "name", raw.get("name")),
                    position=i,
                    start_days=raw.get("start_days", 0),
                    due_days=raw.get("due_days", 0),
                    type=config.check("cta_type", raw.get("type"), what="CTA type"),
                    priority=config.check("priority", raw.get("priority")),
                    category=config.check("objective_category", raw.get("category")),
                    success_criteria=raw.get("success_criteria"),
                    playbook_id=playbook_id,
                    depends_on=deps,
                )
            )
            for j, traw in enumerate(as_list("template objective", "tasks", raw.get("tasks"))):
                _only(traw, _TASK_FIELDS, "template task")
                tkey = key_of(traw, str(j + 1), prefix=f"{okey}.")
                tdeps = tuple(str(d) for d in traw.get("depends_on", ()))
                template_ref = traw.get("email_template")
                items.append(
                    TemplateItem(
                        **stamp,
                        template_id=template.id,
                        key=tkey,
                        parent_key=okey,
                        name=require_text("template task", "name", traw.get("name")),
                        position=j,
                        start_days=traw.get("start_days", 0),
                        due_days=traw.get("due_days", 0),
                        priority=config.check("priority", traw.get("priority")),
                        depends_on=tdeps,
                        email_template_id=None
                        if template_ref is None
                        else self.kit.playbooks.email_template(template_ref).id,
                    )
                )
        items = [attrs.evolve(i, depends_on=tuple(_resolve(d, i, keys) for d in i.depends_on)) for i in items]
        cycle = find_cycle({i.key: i.depends_on for i in items})
        if cycle:
            raise RuleViolation("TASK_01", f"template dependencies make a cycle: {' -> '.join(cycle)}", value=cycle[0])
        for item in items:
            check_criteria(item.success_criteria)
            for offset in (item.start_days, item.due_days):
                if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
                    raise ValidationError(f"template item {item.key!r}: offsets are whole days >= 0", value=offset)
            if item.due_days < item.start_days:
                raise ValidationError(f"template item {item.key!r} is due before it starts", value=item.due_days)
        return items

    def items(self, template: PlanTemplate | str) -> list[TemplateItem]:
        """A template's items, objectives and tasks, in order."""
        return list(self.kit.store.query(self.kit.bind("template_item", _items_query(self.ref_id(template)))))

    def for_type(self, plan_type: str) -> list[PlanTemplate]:
        """Templates offered to plans of a type: its own and those of ALL (TPL_01)."""
        return self.list([("plan_type", "in", [plan_type, ALL])], sort=["name"])

    # ------------------------------------------------------------------ apply
    def apply(
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
        """Add a template's objectives and tasks to a plan (TPL_02, TPL_03).

        Dates are offsets from ``on`` (default today), in business days when the
        template (or ``business_days``) says so, skipping weekends and
        ``holidays``.  ``skip`` leaves out items by key (an objective takes its
        tasks with it; dependencies on skipped items are dropped); ``overrides``
        maps item keys to field values (name, start_date, due_date, owner,
        priority, type, category, success_criteria).  Nothing already in the
        plan is removed; PLAN_09 applies.  One transaction, bulk inserts.
        """
        kit = self.kit
        with kit.transaction():
            target = kit.plans.get(plan)
            check_open_plan(kit, target, what="applying a template")
            prepared = self.prepare(template)
            owners: dict[tuple[str, Any], tuple[str, str]] = {}

            def owner_of(ref: Any, what: str) -> tuple[str, str]:
                """Each distinct owner is checked once, however many items it owns."""
                key = (what, ref.id if hasattr(ref, "id") else ref)
                if key not in owners:
                    owners[key] = resolve_owner(kit, ref, what=what, allow_person=True, company_id=target.company_id)
                return owners[key]

            objectives, tasks = prepared.build(
                kit,
                target,
                on=today_or(kit, on),
                skip=skip,
                overrides=overrides,
                business_days=business_days,
                holidays=holidays,
                position=kit.objectives.count([("plan_id", "=", target.id)]),
                owner_of=owner_of,
            )
            kit.store.insert_many([*objectives, *tasks])
            kit.notifications.work_created(objectives)
            plan_now, warnings = extend_plan_due(
                kit,
                target,
                [(f"objective {o.name!r}", o.due_date) for o in objectives]
                + [(f"task {t.name!r}", t.due_date) for t in tasks],
            )
        return Outcome(plan_now, tuple(warnings), (*objectives, *tasks), plan_now)

    def prepare(self, template: PlanTemplate | str) -> PreparedTemplate:
        """A template with its items, playbooks and email templates, read in a
        bounded number of storage calls and applicable to many plans."""
        tpl = self.get(template)
        items = tuple(self.items(tpl))
        books = self.kit.playbooks.contents(i.playbook_id for i in items if i.playbook_id)
        email_ids = list(dict.fromkeys(i.email_template_id for i in items if i.email_template_id))
        emails = {e.id: e for e in self.kit.store.get_many("email_template", email_ids)} if email_ids else {}
        return PreparedTemplate(tpl, items, books, emails)


@attrs.frozen
class PreparedTemplate:
    """What applying a template needs, read once (see :meth:`PlanTemplateService.prepare`)."""

    template: PlanTemplate
    items: tuple[TemplateItem, ...]
    playbooks: Mapping[str, PlaybookContent]
    emails: Mapping[str, EmailTemplate]

    def build(
        self,
        kit: Kit,
        target: SuccessPlan,
        *,
        on: date,
        owner_of: Callable[[Any, str], tuple[str, str]],
        skip: Iterable[str] = (),
        overrides: Mapping[str, Mapping[str, Any]] | None = None,
        business_days: bool | None = None,
        holidays: Iterable[date] = (),
        position: int = 0,
    ) -> tuple[list[Objective], list[Task]]:
        """The objectives and tasks the template gives ``target``, not yet stored.

        Storage is only read through ``owner_of`` (to check override owners)."""
        check_template_for(self.template, target.plan_type)
        skipped = self._skipped(skip)
        changes = self._overrides(overrides)
        kept = [i for i in self.items if i.key not in skipped]
        ids = {i.key: new_id() for i in kept}
        tpl = self.template
        shifter = DateShifter(
            on, business_days=tpl.business_days if business_days is None else business_days, holidays=holidays
        )
        created = stamp(kit)
        objectives: dict[str, Objective] = {}
        tasks: list[Task] = []
        for item in sorted(kept, key=lambda i: i.parent_key is not None):  # objectives first
            o = changes.get(item.key, {})
            start = o.get("start_date") or shifter.shift(item.start_days)
            due = o.get("due_date") or shifter.shift(item.due_days)
            if due < start:
                raise ValidationError(f"item {item.key!r} would be due before it starts", value=due)
            common = {
                "id": ids[item.key],
                "created": created,
                "name": o.get("name", item.name),
                "start_date": start,
                "due_date": due,
                "depends_on": tuple(ids[d] for d in item.depends_on if d in ids),
            }
            if item.parent_key is None:
                obj = objectives[item.key] = self._objective(kit, target, item, o, common, owner_of, position)
                if item.playbook_id:
                    tasks.extend(playbook_tasks(kit, obj, self.playbooks[item.playbook_id], start, first_position=1000))
            else:
                tasks.append(self._task(kit, objectives[item.parent_key], item, o, common, owner_of))
        return list(objectives.values()), tasks

    def _skipped(self, skip: Iterable[str]) -> set[str]:
        """The keys of the items left out: those named and the tasks of skipped objectives."""
        skipped = set(as_list("template", "skip", skip))
        unknown = skipped - {i.key for i in self.items}
        if unknown:
            raise ValidationError("skip names no item of the template", value=sorted(unknown)[0])
        return skipped | {i.key for i in self.items if i.parent_key in skipped}

    def _overrides(self, overrides: Mapping[str, Mapping[str, Any]] | None) -> dict[str, Mapping[str, Any]]:
        """Overrides by item key, checked: known items, known fields, dates and criteria."""
        keys = {i.key for i in self.items}
        checked: dict[str, Mapping[str, Any]] = {}
        if overrides is not None and not isinstance(overrides, Mapping):
            raise ValidationError("overrides map item keys to the values to change", rule="TPL_03", value=overrides)
        for key, values in dict(overrides or {}).items():
            if key not in keys:
                raise ValidationError("overrides name no item of the template", value=key)
            _only(values, _OVERRIDABLE, f"override of {key!r}")
            dates = {k: v for k, v in values.items() if k in ("start_date", "due_date")}
            checked[key] = {
                **values,
                **check_attributes("template override", dates, {"start_date": date, "due_date": date}),
            }
            check_criteria(checked[key].get("success_criteria"))
        return checked

    def _objective(
        self,
        kit: Kit,
        target: SuccessPlan,
        item: TemplateItem,
        o: Mapping[str, Any],
        common: dict[str, Any],
        owner_of: Callable[[Any, str], tuple[str, str]],
        position: int,
    ) -> Objective:
        return new_objective(
            kit,
            target,
            **common,
            owner=owner_of(o.get("owner", target.owner_id), "objective"),
            type=o.get("type", item.type),
            priority=o.get("priority", item.priority),
            category=o.get("category", item.category),
            success_criteria=o.get("success_criteria", item.success_criteria),
            source="template",
            position=position + item.position,
            template_item_id=item.id,
            playbook_ids=(item.playbook_id,) if item.playbook_id else (),
        )

    def _task(
        self,
        kit: Kit,
        parent: Objective,
        item: TemplateItem,
        o: Mapping[str, Any],
        common: dict[str, Any],
        owner_of: Callable[[Any, str], tuple[str, str]],
    ) -> Task:
        email = item.email_template_id
        mail = self.emails.get(email) if email else None
        return new_task(
            kit,
            parent,
            **common,
            owner=owner_of(o["owner"], "task") if "owner" in o else None,
            priority=o.get("priority", item.priority),
            position=item.position,
            email_template_id=email,
            email_subject=mail.subject if mail else None,
            email_body=mail.body if mail else None,
            email_state="verify" if email else None,
        )


def check_template_for(template: PlanTemplate, plan_type: str) -> None:
    """TPL_01: a template serves plans of its own type, or of every type (ALL)."""
    if template.plan_type not in (ALL, plan_type):
        raise RuleViolation(
            "TPL_01",
            f"template {template.name!r} is for {template.plan_type} plans, not {plan_type}",
            value=template.name,
        )


def _resolve(dep: str, item: TemplateItem, keys: set[str]) -> str:
    """A dependency key as written: a full key ("1.2", "3"), or for a task the
    short key of a sibling task ("2" meaning "1.2")."""
    if item.parent_key is not None and f"{item.parent_key}.{dep}" in keys:
        return f"{item.parent_key}.{dep}"
    if dep in keys:
        return dep
    raise ValidationError(f"template item {item.key!r} depends on unknown item {dep!r}", value=dep)


def _only(values: Mapping[str, Any], allowed: set[str], what: str) -> None:
    if not isinstance(values, Mapping):
        raise ValidationError(f"{article(what)} is a mapping", value=values)
    unknown = set(values) - allowed
    if unknown:
        raise ValidationError(
            f"{what} has no field {sorted(unknown)[0]!r}; known: {', '.join(sorted(allowed))}", value=sorted(unknown)[0]
        )


def _items_query(template_id: str) -> Query:
    return Query(conditions=[("template_id", "=", template_id)], sort=["position", "key"])
