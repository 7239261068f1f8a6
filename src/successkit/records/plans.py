"""Records of success plans and the work in them: plans, objectives, CTAs, tasks,
email templates, playbooks and plan templates."""

from __future__ import annotations

from datetime import date, datetime

import attrs

from .base import Record, ref


@attrs.frozen(kw_only=True)
class SuccessPlan(Record):
    """A success plan for one company or one of its relationships (PLAN_01).

    ``name_key`` is the case-folded name with its company and relationship, a
    unique key that makes duplicate names impossible even under races (PLAN_02).
    """

    __kind__ = "plan"
    __indexes__ = (("company_id",), ("relationship_id",), ("owner_id",), ("status",))
    __unique__ = (("name_key",),)

    name: str
    name_key: str
    company_id: str = ref("company", default=attrs.NOTHING)
    relationship_id: str | None = ref("relationship")
    plan_type: str
    status: str
    due_date: date | None = None
    owner_id: str = ref("user", default=attrs.NOTHING)
    highlights: str | None = None
    closed_at: datetime | None = None
    external: bool = False
    source_plan_id: str | None = ref("plan")


@attrs.frozen(kw_only=True)
class _Work(Record):
    """Fields objectives and cockpit CTAs share (OBJ_02, CTA_01)."""

    name: str
    company_id: str = ref("company", default=attrs.NOTHING)
    relationship_id: str | None = ref("relationship")
    owner_id: str | None = ref(("user", "person"), kind_field="owner_kind")
    owner_kind: str = "user"
    type: str | None = None
    priority: str | None = None
    status: str
    reason: str | None = None
    source: str = "manual"
    start_date: date
    due_date: date | None = None
    comments: str | None = None
    playbook_ids: tuple[str, ...] = ()
    associated_person_ids: tuple[str, ...] = ref("person", default=())
    snoozed_until: date | None = None
    snooze_reason: str | None = None
    closed_at: datetime | None = None


@attrs.frozen(kw_only=True)
class Objective(_Work):
    """An objective CTA: lives only inside a success plan (OBJ_01, OBJ_02)."""

    __kind__ = "objective"
    __indexes__ = (("plan_id",), ("owner_id", "due_date", "name"), ("company_id",), ("status",))

    plan_id: str = ref("plan", default=attrs.NOTHING)
    category: str | None = None
    success_criteria: str | None = None
    sharing_enabled: bool = True
    external: bool = False
    depends_on: tuple[str, ...] = ()
    links: tuple[str, ...] = ()
    position: int = 0
    template_item_id: str | None = None


@attrs.frozen(kw_only=True)
class Cta(_Work):
    """A cockpit CTA of a company or relationship (CTA_01)."""

    __kind__ = "cta"
    # (company, type, reason, status): a rule's lookup of similar open CTAs (RULE_02) seeks
    # straight to them, past however many CTAs of the company were closed; the company's
    # CTAs are its leading column
    __indexes__ = (("company_id", "type", "reason", "status"), ("owner_id", "due_date", "name"), ("status",))


@attrs.frozen(kw_only=True)
class Task(Record):
    """A unit of work under an objective or a cockpit CTA (TASK_01).

    ``depends_on`` holds ids of tasks or objectives of the same plan that must
    finish before this one starts.  An email task carries its email and its
    state: ``draft``, ``verify`` (saved, waiting to be checked and sent) or
    ``sent`` (OBJ_09).  ``email_error`` is why the last delivery failed; the
    task stays in ``verify`` until a sender accepts the email (MAIL_02).
    """

    __kind__ = "task"
    __indexes__ = (("parent_id",), ("plan_id",), ("owner_id",))

    name: str
    parent_kind: str
    parent_id: str
    plan_id: str | None = ref("plan")
    company_id: str = ref("company", default=attrs.NOTHING)
    owner_id: str | None = ref(("user", "person"), kind_field="owner_kind")
    owner_kind: str = "user"
    status: str
    priority: str | None = None
    start_date: date
    due_date: date | None = None
    depends_on: tuple[str, ...] = ()
    position: int = 0
    playbook_id: str | None = ref("playbook")
    description: str | None = None
    email_subject: str | None = None
    email_body: str | None = None
    email_to: tuple[str, ...] = ()
    email_template_id: str | None = ref("email_template")
    email_state: str | None = None
    email_error: str | None = None
    closed_at: datetime | None = None


# --------------------------------------------------------- playbooks, templates
@attrs.frozen(kw_only=True)
class EmailTemplate(Record):
    """An email a playbook task sends, with ``{{object.field}}`` placeholders
    (``{{company.name}}``, ``{{person.first_name}}``...) filled when it is sent (MAIL_01)."""

    __kind__ = "email_template"
    __indexes__ = (("name",),)

    name: str
    subject: str
    body: str = ""


@attrs.frozen(kw_only=True)
class Playbook(Record):
    """A named list of task templates (:class:`PlaybookTask`).

    Only a playbook configured for all CTA types may be used on objectives (OBJ_04).
    """

    __kind__ = "playbook"
    __indexes__ = (("name",),)

    name: str
    description: str | None = None
    all_cta_types: bool = True
    cta_types: tuple[str, ...] = ()


@attrs.frozen(kw_only=True)
class PlaybookTask(Record):
    """One task of a playbook: due ``due_days`` after the day it is applied."""

    __kind__ = "playbook_task"
    __indexes__ = (("playbook_id",),)

    playbook_id: str = ref("playbook", default=attrs.NOTHING)
    key: str
    name: str
    position: int = 0
    start_days: int = 0
    due_days: int = 0
    business_days: bool = False
    priority: str | None = None
    description: str | None = None
    depends_on: tuple[str, ...] = ()
    email_template_id: str | None = ref("email_template")


@attrs.frozen(kw_only=True)
class PlanTemplate(Record):
    """Objectives with their tasks, offered to plans of ``plan_type`` or of every type
    when ``plan_type`` is ``"ALL"`` (TPL_01)."""

    __kind__ = "plan_template"
    __indexes__ = (("plan_type",), ("name",))

    name: str
    plan_type: str
    description: str | None = None
    business_days: bool = False


@attrs.frozen(kw_only=True)
class TemplateItem(Record):
    """An objective (``parent_key`` empty) or a task (``parent_key`` = its objective's key)
    of a plan template, with offsets in days from the day the template is applied."""

    __kind__ = "template_item"
    __indexes__ = (("template_id",),)

    template_id: str = ref("plan_template", default=attrs.NOTHING)
    key: str
    parent_key: str | None = None
    name: str
    position: int = 0
    start_days: int = 0
    due_days: int = 0
    type: str | None = None
    priority: str | None = None
    category: str | None = None
    success_criteria: str | None = None
    playbook_id: str | None = ref("playbook")
    depends_on: tuple[str, ...] = ()
    email_template_id: str | None = ref("email_template")
