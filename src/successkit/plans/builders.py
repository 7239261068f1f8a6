"""One builder per record kind of the plan domain: success plans, objectives,
cockpit CTAs and tasks.

Every path that makes one of these records — the services, plan templates,
playbooks, cloning and automation rules — builds it here, so the checks a new
record must pass live in one place: its text, its lookups (type, priority,
reason, category), its dates, its status with a matching ``closed_at``, its
custom fields, and the defaults its plan type gives (OBJ_02, PLAN_04).  A
builder reads nothing from storage beyond the kit's cached configuration, so a
path that makes a thousand records calls it a thousand times and then writes
them in one bulk insert.  Owners are resolved by the caller (each path has its
own fallbacks) and checked with :func:`successkit.accounts.people.owner_refusal`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

from successkit.errors import RuleViolation, ValidationError, named
from successkit.records import Cta, Objective, SuccessPlan, Task, new_id
from successkit.records.checks import require_text
from successkit.service import stamp

from .business_days import add_days

if TYPE_CHECKING:
    from successkit.kit import Kit

__all__ = [
    "SUCCESS_CRITERIA_LIMIT",
    "check_criteria",
    "check_plan_name_free",
    "check_plan_status",
    "initial_plan_status",
    "name_key",
    "new_cta",
    "new_objective",
    "new_plan",
    "new_task",
    "plans_named",
]

#: Longest success criteria an objective may have (OBJ_02).
SUCCESS_CRITERIA_LIMIT = 1000

Owner = tuple[str | None, str]  # (owner id, owner kind: "user" or "person")


# ----------------------------------------------------------------------- plans
def name_key(company_id: str, relationship_id: str | None, name: str) -> str:
    """The key that makes a plan name unique per company and relationship (PLAN_02)."""
    return f"{company_id}/{relationship_id or '-'}/{name.casefold()}"


def plans_named(kit: Kit, keys: Sequence[str]) -> dict[str, SuccessPlan]:
    """The existing plans holding these name keys (PLAN_02), in one query."""
    if not keys:
        return {}
    found = kit.plans.list([("name_key", "in", sorted(set(keys)))])
    return {p.name_key: p for p in found}


def check_plan_name_free(kit: Kit, key: str, name: str, *, exclude: str | None = None) -> None:
    """Refuse a plan name its company and relationship already use (PLAN_02)."""
    clash = plans_named(kit, [key]).get(key)
    if clash is not None and clash.id != exclude:
        companies = kit.store.get_many("company", [clash.company_id])
        where = f" for {named(companies[0])}" if companies else " for this company"
        raise RuleViolation(
            "PLAN_02",
            f"a plan with this name, {named(clash)}, already exists{where}"
            + (" and this relationship" if clash.relationship_id else ""),
            value=name,
        )


def initial_plan_status(kit: Kit, plan_type: str) -> str:
    """A new plan's status (PLAN_04): the ``plan.default_status`` setting when the
    type allows it, else the type's first draft (then active) status."""
    allowed = kit.config.plan_type(plan_type).statuses
    configured = kit.config.setting("plan.default_status")
    if (
        configured is not None
        and configured in kit.statuses.in_category("plan", "draft", "active")
        and (not allowed or configured in allowed)
    ):
        return configured
    for key in (*kit.statuses.in_category("plan", "draft"), *kit.statuses.in_category("plan", "active")):
        if not allowed or key in allowed:
            return key
    return allowed[0]


def check_plan_status(kit: Kit, plan_type: str, status: str) -> str:
    """``status`` as a known plan status that plans of ``plan_type`` may use."""
    known = kit.statuses.get("plan", status)
    allowed = kit.config.plan_type(plan_type).statuses
    if allowed and known.key not in allowed:
        raise ValidationError(f"plans of type {plan_type!r} use the statuses {', '.join(allowed)}", value=status)
    return known.key


def new_plan(
    kit: Kit,
    *,
    name: str,
    company_id: str,
    relationship_id: str | None,
    plan_type: str,
    owner_id: str,
    status: str | None = None,
    due_date: date | None = None,
    highlights: str | None = None,
    fields: Mapping[str, Any] | None = None,
    source_plan_id: str | None = None,
    created: Mapping[str, Any] | None = None,
) -> SuccessPlan:
    """A new success plan (PLAN_01, PLAN_04), not yet stored; the caller checks
    the name is free (PLAN_02) and the owner may own it (PLAN_03)."""
    name = require_text("plan", "name", name)
    ptype = kit.config.plan_type(plan_type)
    key = check_plan_status(kit, ptype.key, status) if status else initial_plan_status(kit, ptype.key)
    closed = kit.statuses.get("plan", key).category == "closed"
    return SuccessPlan(
        **(created or stamp(kit)),
        name=name,
        name_key=name_key(company_id, relationship_id, name),
        company_id=company_id,
        relationship_id=relationship_id,
        plan_type=ptype.key,
        status=key,
        owner_id=owner_id,
        due_date=due_date,
        highlights=highlights,
        closed_at=kit.now() if closed else None,
        source_plan_id=source_plan_id,
        fields=kit.custom_fields.check("plan", fields),
    )


# ------------------------------------------------------------ work: shared checks
def check_criteria(text: str | None) -> None:
    """Success criteria are at most :data:`SUCCESS_CRITERIA_LIMIT` characters (OBJ_02)."""
    if text is not None and len(text) > SUCCESS_CRITERIA_LIMIT:
        raise RuleViolation(
            "OBJ_02",
            f"success criteria are limited to {SUCCESS_CRITERIA_LIMIT} characters; got {len(text)}",
            value=text[:40] + "...",
        )


def _dates(kind: str, start: date, due: date | None) -> None:
    if due is not None and due < start:
        raise ValidationError(f"{kind} due date is before its start date", value=due)


def _status(kit: Kit, kind: str, status: str | None) -> dict[str, Any]:
    """The status fields of a new record: a known status, ``closed_at`` when it is closed."""
    found = kit.statuses.get(kind, status or kit.config.default_status(kind))
    return {"status": found.key, "closed_at": kit.now() if found.is_closed else None}


# ------------------------------------------------------------------ objectives
def new_objective(
    kit: Kit,
    plan: SuccessPlan,
    *,
    name: str,
    owner: Owner,
    start_date: date,
    due_date: date | None = None,
    type: str | None = None,
    priority: str | None = None,
    category: str | None = None,
    status: str | None = None,
    plan_defaults: bool = True,
    relationship_id: str | None = None,
    created: Mapping[str, Any] | None = None,
    **values: Any,
) -> Objective:
    """A new objective of ``plan`` (OBJ_01, OBJ_02), not yet stored.

    With ``plan_defaults`` (the default) a missing type, priority, category,
    status and due date come from the plan type's objective settings; a clone
    passes ``plan_defaults=False`` to keep what the source had.  ``values``
    are further objective fields (reason, comments, success criteria...).
    """
    ptype = kit.config.plan_type(plan.plan_type)
    if plan_defaults:
        type = type or ptype.objective_type
        priority = priority or ptype.objective_priority
        category = category or ptype.objective_category
        status = status or ptype.objective_status
        if due_date is None and ptype.objective_due_days is not None:
            due_date = add_days(start_date, ptype.objective_due_days, what="the default due date (objective_due_days)")
    _dates("objective", start_date, due_date)
    check_criteria(values.get("success_criteria"))
    config = kit.config
    return Objective(
        **(created or stamp(kit)),
        name=require_text("objective", "name", name),
        plan_id=plan.id,
        company_id=plan.company_id,
        relationship_id=plan.relationship_id if relationship_id is None else relationship_id,
        owner_id=owner[0],
        owner_kind=owner[1],
        type=config.check("cta_type", type, what="CTA type"),
        priority=config.check("priority", priority),
        category=config.check("objective_category", category),
        reason=config.check("reason", values.pop("reason", None)),
        start_date=start_date,
        due_date=due_date,
        external=values.pop("external", plan.external),
        fields=kit.custom_fields.check("objective", values.pop("fields", None)),
        **_status(kit, "objective", status),
        **values,
    )


# ------------------------------------------------------------------------ CTAs
def new_cta(
    kit: Kit,
    *,
    name: str,
    company_id: str,
    relationship_id: str | None,
    owner_id: str,
    type: str,
    start_date: date,
    due_date: date | None = None,
    priority: str | None = None,
    status: str | None = None,
    reason: str | None = None,
    created: Mapping[str, Any] | None = None,
    **values: Any,
) -> Cta:
    """A new cockpit CTA (CTA_01), not yet stored; ``values`` are further CTA fields."""
    name = require_text("cta", "name", name)
    if not isinstance(type, str) or not type:
        raise ValidationError("a CTA needs a type", value=type)
    if type == "objective":
        raise RuleViolation(
            "OBJ_01", "objectives can only be created inside a success plan, not from a cockpit", value=name
        )
    _dates("CTA", start_date, due_date)
    config = kit.config
    return Cta(
        **(created or stamp(kit)),
        name=name,
        company_id=company_id,
        relationship_id=relationship_id,
        owner_id=owner_id,
        owner_kind="user",
        type=config.check("cta_type", type, what="CTA type"),
        reason=config.check("reason", reason),
        priority=config.check("priority", priority or "medium"),
        start_date=start_date,
        due_date=due_date,
        fields=kit.custom_fields.check("cta", values.pop("fields", None)),
        **_status(kit, "cta", status),
        **values,
    )


# ----------------------------------------------------------------------- tasks
def new_task(
    kit: Kit,
    parent: Objective | Cta,
    *,
    name: str,
    start_date: date,
    due_date: date | None = None,
    owner: Owner | None = None,
    status: str | None = None,
    priority: str | None = None,
    id: str | None = None,
    created: Mapping[str, Any] | None = None,
    **values: Any,
) -> Task:
    """A new task under an objective or a cockpit CTA (TASK_01), not yet stored.

    The owner defaults to the parent's; ``values`` are further task fields
    (position, dependencies, description, the email of an email task...).
    """
    _dates("task", start_date, due_date)
    owner_id, owner_kind = owner if owner is not None else (parent.owner_id, parent.owner_kind)
    return Task(
        **(created or stamp(kit)),
        id=id or new_id(),
        name=require_text("task", "name", name),
        parent_kind=parent.__kind__,
        parent_id=parent.id,
        plan_id=parent.plan_id if isinstance(parent, Objective) else None,
        company_id=parent.company_id,
        owner_id=owner_id,
        owner_kind=owner_kind,
        priority=kit.config.check("priority", priority),
        start_date=start_date,
        due_date=due_date,
        **_status(kit, "task", status),
        **values,
    )
