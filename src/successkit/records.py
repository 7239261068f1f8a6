"""The records: plain, frozen attrs classes.

Every record carries ``id``, ``version`` (for optimistic concurrency, STORE_04),
timestamps, its creator and a ``fields`` mapping for custom fields.  A change is
a new record made with :func:`attrs.evolve`; the services in the kit do that and
enforce the rules.  Reference fields carry ``metadata={"ref": kind}`` so that
generic code (erasure, PERSON_01) can find every reference to a record.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any, ClassVar

import attrs

from .validate import check_record

__all__ = [
    "ACTIVITY_LEVELS",
    "LICENSES",
    "OWNER_LICENSES",
    "Activity",
    "Company",
    "CustomField",
    "DigestItem",
    "Goal",
    "GoalHistory",
    "GoalLink",
    "GoalTemplate",
    "Person",
    "Record",
    "Relationship",
    "RelationshipType",
    "Rule",
    "Share",
    "Subscription",
    "User",
    "new_id",
]


#: Where ids draw their random bytes; tests that replay one history on several
#: stores swap in a deterministic source.
entropy: Callable[[int], bytes] = os.urandom


def new_id() -> str:
    """A random, unguessable record id: 128 random bits as 32 hex characters."""
    return entropy(16).hex()


def ref(kind: str | tuple[str, ...], *, default: Any = None, on_erase: str = "clear",
        kind_field: str | None = None) -> Any:
    """An attrs field that refers to a record of ``kind``.

    Erasure of a person (PERSON_01) reads the metadata: ``on_erase="delete"``
    deletes the referring record instead of clearing the field (a share to the
    person means nothing without them); ``kind_field`` names the sibling field
    that says which kind a multi-kind reference points at (``owner_kind``), so
    only references of the erased kind are listed and the sibling is reset.
    """
    if on_erase not in ("clear", "delete"):
        raise ValueError(f"on_erase is 'clear' or 'delete', not {on_erase!r}")
    metadata: dict[str, Any] = {"ref": kind}
    if on_erase != "clear":
        metadata["on_erase"] = on_erase
    if kind_field is not None:
        metadata["kind_field"] = kind_field
    return attrs.field(default=default, metadata=metadata)


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

    def __attrs_post_init__(self) -> None:
        """Every field holds a value of its declared type, or the record is not made (SEC_05)."""
        check_record(self)

    def _repr_html_(self) -> str:
        """A field/value table in notebooks (DATA_01)."""
        from .frames import record_html

        return record_html(self)


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
    __unique__ = (("record_kind", "name"),)  # declared once, however many processes race (SEC_04)

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


# ------------------------------------------------------------ timeline, sharing
#: The levels an activity is logged at (TL_01).
ACTIVITY_LEVELS = ("company", "relationship", "plan", "objective")


@attrs.frozen(kw_only=True)
class Activity(Record):
    """One timeline entry: a call, meeting, email, update, note... (TL_01).

    ``level`` says where it was logged; ``company_id`` is always set (the
    company timeline is one indexed query), the other ids down to the level.
    Participants are internal users and external people; the person list is
    a ``ref("person")`` so erasure finds it (PERSON_01).
    """

    __kind__ = "activity"
    __indexes__ = (("company_id", "occurred_at"), ("relationship_id", "occurred_at"),
                   ("plan_id", "occurred_at"), ("objective_id", "occurred_at"))

    type: str
    subject: str
    notes: str | None = None
    occurred_at: datetime
    author_id: str | None = ref("user")
    participant_user_ids: tuple[str, ...] = ref("user", default=())
    participant_person_ids: tuple[str, ...] = ref("person", default=())
    draft: bool = False
    published_at: datetime | None = None
    level: str
    company_id: str = ref("company", default=attrs.NOTHING)
    relationship_id: str | None = ref("relationship")
    plan_id: str | None = ref("plan")
    objective_id: str | None = ref("objective")


@attrs.frozen(kw_only=True)
class Share(Record):
    """A plan shared by link with an internal user or by email with an external
    contact (SHARE_01).  Only the SHA-256 of the token is stored (SHARE_02); the
    token itself is handed out once.  Erasing the person deletes the share."""

    __kind__ = "share"
    __indexes__ = (("plan_id",), ("person_id",), ("user_id",))
    __unique__ = (("token_hash",),)

    plan_id: str = ref("plan", default=attrs.NOTHING)
    audience: str
    user_id: str | None = ref("user")
    person_id: str | None = ref("person", on_erase="delete")
    email: str | None = None
    token_hash: str
    expires_on: date | None = None
    revoked_at: datetime | None = None
    revoked_by: str | None = ref("user")


@attrs.frozen(kw_only=True)
class Subscription(Record):
    """A user's choice to receive one event, and how: ``realtime``, ``daily`` or
    ``weekly`` digest (NOTIF_02, NOTIF_04)."""

    __kind__ = "subscription"
    __indexes__ = (("user_id", "event"),)
    __unique__ = (("user_id", "event"),)

    user_id: str = ref("user", default=attrs.NOTHING)
    event: str
    delivery: str = "realtime"


@attrs.frozen(kw_only=True)
class DigestItem(Record):
    """A notification waiting for its user's daily or weekly digest (NOTIF_04).

    Written in the same transaction as the change that caused it, so a
    rolled-back change leaves none behind (NOTIF_03).
    """

    __kind__ = "digest_item"
    __indexes__ = (("delivery", "created_at"), ("user_id",))

    user_id: str = ref("user", default=attrs.NOTHING)
    event: str
    delivery: str
    title: str
    message: str = ""
    record_kind: str | None = None
    record_id: str | None = None
    actor_id: str | None = ref("user")


# ---------------------------------------------------------------- customer goals
@attrs.frozen(kw_only=True)
class Goal(Record):
    """A customer goal of a company or one of its relationships (GOAL_01).

    ``company_id`` is always set, so a company's goals and its relationships'
    goals are one indexed query (GOAL_14).  Progress is not stored: it is
    computed from the linked CTAs and plans when read (GOAL_06).
    """

    __kind__ = "goal"
    __indexes__ = (("company_id",), ("relationship_id",), ("due_date",), ("status",), ("created_at",))

    name: str
    company_id: str = ref("company", default=attrs.NOTHING)
    relationship_id: str | None = ref("relationship")
    opportunity_id: str | None = None
    status: str
    due_date: date | None = None
    description: str | None = None
    template_id: str | None = ref("goal_template")


@attrs.frozen(kw_only=True)
class GoalTemplate(Record):
    """A goal of the goal library: default values for new goals (GOAL_02).

    ``due_days`` puts the new goal's due date that many days after the day it
    is created; ``default_fields`` are default custom-field values of the goal.
    """

    __kind__ = "goal_template"
    __indexes__ = (("name",),)

    name: str
    description: str | None = None
    status: str | None = None
    due_days: int | None = None
    default_fields: Mapping[str, Any] = attrs.field(factory=dict, hash=False)
    active: bool = True


@attrs.frozen(kw_only=True)
class GoalLink(Record):
    """A cockpit CTA or a success plan linked to a goal (GOAL_03); ``item_kind``
    is ``cta`` or ``plan``."""

    __kind__ = "goal_link"
    __indexes__ = (("goal_id",), ("item_id",), ("company_id",))
    __unique__ = (("goal_id", "item_kind", "item_id"),)

    goal_id: str = ref("goal", default=attrs.NOTHING)
    item_kind: str
    item_id: str
    company_id: str = ref("company", default=attrs.NOTHING)


@attrs.frozen(kw_only=True)
class GoalHistory(Record):
    """One entry of a goal's activity history (GOAL_11): who (``created_by``),
    when (``created_at``), what (``action``: created, changed, linked,
    unlinked), which ``field``, and the old and new values as JSON text."""

    __kind__ = "goal_history"
    __indexes__ = (("goal_id", "seq"),)

    goal_id: str = ref("goal", default=attrs.NOTHING)
    seq: int = 0
    action: str
    field: str | None = None
    old_value: str | None = None
    new_value: str | None = None

    @property
    def old(self) -> Any:
        """The old value, decoded from JSON (None when there was none)."""
        return None if self.old_value is None else json.loads(self.old_value)

    @property
    def new(self) -> Any:
        """The new value, decoded from JSON (None when there is none)."""
        return None if self.new_value is None else json.loads(self.new_value)


@attrs.frozen(kw_only=True)
class Rule(Record):
    """A stored rule (RULE_01): which companies or relationships it selects and
    what it does for each.  ``definition`` is the checked, JSON-ready form of
    ``where``, ``logic``, ``without_activity`` and ``actions`` (see
    ``docs/rules.md``); ``bundle`` names the solution bundle that installed it."""

    __kind__ = "rule"
    __unique__ = (("name",),)

    name: str
    description: str | None = None
    target: str = "company"
    definition: Mapping[str, Any] = attrs.field(factory=dict, hash=False)
    active: bool = True
    bundle: str | None = None


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
    Activity,
    Share,
    Subscription,
    DigestItem,
    Goal,
    GoalTemplate,
    GoalLink,
    GoalHistory,
    Rule,
)
