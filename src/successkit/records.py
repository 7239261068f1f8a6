"""The records: plain, frozen attrs classes.

Every record carries ``id``, ``version`` (for optimistic concurrency, STORE_04),
timestamps, its creator and a ``fields`` mapping for custom fields.  A change is
a new record made with :func:`attrs.evolve`; the services in the kit do that and
enforce the rules.  Reference fields carry ``metadata={"ref": kind}`` so that
generic code (erasure, PERSON_01) can find every reference to a record.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any, ClassVar

import attrs

__all__ = [
    "LICENSES",
    "OWNER_LICENSES",
    "Company",
    "CustomField",
    "Person",
    "Record",
    "Relationship",
    "RelationshipType",
    "User",
    "new_id",
]


def new_id() -> str:
    """A random, unguessable record id (32 hex characters)."""
    return uuid.uuid4().hex


def ref(kind: str | tuple[str, ...], *, default: Any = None) -> Any:
    """An attrs field that refers to a record of ``kind``."""
    return attrs.field(default=default, metadata={"ref": kind})


@attrs.frozen(kw_only=True)
class Record:
    """Fields every record has."""

    __kind__: ClassVar[str] = "record"
    __indexes__: ClassVar[tuple[tuple[str, ...], ...]] = ()
    #: Column sets no two records of the kind may share.
    __unique__: ClassVar[tuple[tuple[str, ...], ...]] = ()

    id: str = attrs.field(factory=new_id)
    version: int = 1
    created_at: datetime
    updated_at: datetime
    created_by: str | None = ref("user")
    fields: Mapping[str, Any] = attrs.field(factory=dict, hash=False)


#: Every license type (USER_01).
LICENSES = ("full", "viewer", "viewer_analytics", "internal_collaborator")
#: Licenses that may own plans, objectives and tasks (USER_01).
OWNER_LICENSES = ("full", "viewer", "viewer_analytics")


@attrs.frozen(kw_only=True)
class User(Record):
    """An internal user of the customer-success team."""

    __kind__ = "user"
    __indexes__ = (("email",),)

    name: str
    email: str | None = None
    license: str = "full"
    active: bool = True
    licensed: bool = True


@attrs.frozen(kw_only=True)
class Company(Record):
    """A customer account; ``parent_id`` places it in the hierarchy (HIER_01)."""

    __kind__ = "company"
    __indexes__ = (("parent_id",), ("name",), ("csm_id",), ("renewal_date",))

    name: str
    parent_id: str | None = ref("company")
    stage: str | None = None
    status: str | None = None
    csm_id: str | None = ref("user")
    renewal_date: date | None = None
    industry: str | None = None
    arr: float | None = None
    health_score: float | None = None
    nps: float | None = None


@attrs.frozen(kw_only=True)
class RelationshipType(Record):
    """A kind of relationship (product line, region, project), REL_01."""

    __kind__ = "relationship_type"
    __indexes__ = (("name",),)

    name: str
    description: str | None = None


@attrs.frozen(kw_only=True)
class Relationship(Record):
    """One connection point with a customer: one company, one type (REL_01, REL_02)."""

    __kind__ = "relationship"
    __indexes__ = (("company_id",), ("type_id",))

    name: str
    company_id: str = ref("company", default=attrs.NOTHING)
    type_id: str = ref("relationship_type", default=attrs.NOTHING)
    stage: str | None = None
    status: str | None = None
    csm_id: str | None = ref("user")
    renewal_date: date | None = None
    arr: float | None = None
    health_score: float | None = None
    nps: float | None = None


@attrs.frozen(kw_only=True)
class Person(Record):
    """An external contact at a customer."""

    __kind__ = "person"
    __indexes__ = (("company_id",), ("email",))

    name: str
    email: str | None = None
    company_id: str | None = ref("company")
    title: str | None = None
    phone: str | None = None
    sponsor: bool = False
    erased: bool = False


@attrs.frozen(kw_only=True)
class CustomField(Record):
    """An administrator's declaration of a custom field on a record kind.

    ``type`` is one of text, number, date, boolean, dropdown, multiselect;
    ``scope`` narrows a relationship field to one relationship type.
    """

    __kind__ = "custom_field"
    __indexes__ = (("record_kind", "name"),)

    record_kind: str
    name: str
    type: str
    label: str | None = None
    options: tuple[str, ...] = ()
    scope: str | None = ref("relationship_type")


# ------------------------------------------------------------------ configuration
@attrs.frozen(kw_only=True)
class PlanType(Record):
    """A kind of success plan and what its plans start with (PLAN_01, TL_05).

    ``statuses`` lists the plan statuses plans of this type may use (empty:
    all); the ``objective_*`` fields are the default objective settings used
    for objectives created without explicit values.
    """

    __kind__ = "plan_type"
    __indexes__ = (("key",),)
    __unique__ = (("key",),)

    key: str
    name: str
    statuses: tuple[str, ...] = ()
    sharing_enabled: bool = False
    objective_type: str | None = None
    objective_priority: str | None = None
    objective_category: str | None = None
    objective_status: str | None = None
    objective_due_days: int | None = None
    active: bool = True


#: The categories of :class:`ConfigItem`.
CONFIG_CATEGORIES = ("cta_type", "priority", "reason", "objective_category")


@attrs.frozen(kw_only=True)
class ConfigItem(Record):
    """One administrator-defined choice: a CTA type, priority, reason or objective category."""

    __kind__ = "config_item"
    __indexes__ = (("category", "key"),)
    __unique__ = (("category", "key"),)

    category: str
    key: str
    name: str
    order: int = 0
    active: bool = True


@attrs.frozen(kw_only=True)
class Setting(Record):
    """One named configuration value (for example the default open status of objectives)."""

    __kind__ = "setting"
    __indexes__ = (("key",),)
    __unique__ = (("key",),)

    key: str
    value: str | None = None


# --------------------------------------------------------------- plans and work
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
    owner_id: str | None = ref(("user", "person"))
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
    __indexes__ = (("plan_id",), ("owner_id",), ("company_id",), ("status",))

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
    __indexes__ = (("company_id",), ("owner_id",), ("status",))


@attrs.frozen(kw_only=True)
class Task(Record):
    """A unit of work under an objective or a cockpit CTA (TASK_01).

    ``depends_on`` holds ids of tasks or objectives of the same plan that must
    finish before this one starts.  An email task carries its email and its
    state: ``draft``, ``verify`` (saved, waiting to be checked and sent) or
    ``sent`` (OBJ_09).
    """

    __kind__ = "task"
    __indexes__ = (("parent_id",), ("plan_id",), ("owner_id",))

    name: str
    parent_kind: str
    parent_id: str
    plan_id: str | None = ref("plan")
    company_id: str = ref("company", default=attrs.NOTHING)
    owner_id: str | None = ref(("user", "person"))
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
    closed_at: datetime | None = None


# --------------------------------------------------------- playbooks, templates
@attrs.frozen(kw_only=True)
class EmailTemplate(Record):
    """An email a playbook task sends, with ``{placeholders}`` for the recipient's data."""

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


#: Every record class the library stores, by kind.
RECORD_CLASSES: tuple[type[Record], ...] = (
    User,
    Company,
    RelationshipType,
    Relationship,
    Person,
    CustomField,
    PlanType,
    ConfigItem,
    Setting,
    SuccessPlan,
    Objective,
    Cta,
    Task,
    EmailTemplate,
    Playbook,
    PlaybookTask,
    PlanTemplate,
    TemplateItem,
)
