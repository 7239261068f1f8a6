"""The records: plain, frozen attrs classes, one module per domain.

Every record carries ``id``, ``version`` (for optimistic concurrency, STORE_04),
timestamps, its creator and a ``fields`` mapping for custom fields.  A change is
a new record made with :func:`attrs.evolve`; the services in the kit do that and
enforce the rules.  Reference fields carry ``metadata={"ref": kind}`` so that
generic code (erasure, PERSON_01) can find every reference to a record.
"""

from .accounts import (
    LICENSES,
    OWNER_LICENSES,
    PERSON_ROLES,
    Company,
    CustomField,
    Person,
    Relationship,
    RelationshipType,
    User,
)
from .admin import (
    CONFIG_CATEGORIES,
    ConfigItem,
    PlanType,
    Report,
    Rule,
    RuleEnrolment,
    RuleRunLog,
    Setting,
    StatusDefinition,
    ViewLayout,
)
from .base import Record, new_id, ref
from .engagement import ACTIVITY_LEVELS, Activity, DigestItem, OverdueNotice, Share, Subscription
from .fast_init import install_fast_init, trusted_maker
from .goals import Goal, GoalHistory, GoalLink, GoalTemplate
from .health import Measure, MeasureEntry, Scorecard, ScoreOverride, ScoreSnapshot, stable_id
from .plans import Cta, EmailTemplate, Objective, PlanTemplate, Playbook, PlaybookTask, SuccessPlan, Task, TemplateItem
from .programs import ENROLMENT_STATES, Program, ProgramEmail, ProgramEnrolment
from .signals import AttributeChange, Metric, UsageFact
from .surveys import Survey, SurveyResponse, SurveySend

__all__ = [
    "ACTIVITY_LEVELS",
    "CONFIG_CATEGORIES",
    "ENROLMENT_STATES",
    "LICENSES",
    "OWNER_LICENSES",
    "PERSON_ROLES",
    "RECORD_CLASSES",
    "Activity",
    "AttributeChange",
    "Company",
    "ConfigItem",
    "Cta",
    "CustomField",
    "DigestItem",
    "EmailTemplate",
    "Goal",
    "GoalHistory",
    "GoalLink",
    "GoalTemplate",
    "Measure",
    "MeasureEntry",
    "Metric",
    "Objective",
    "OverdueNotice",
    "Person",
    "PlanTemplate",
    "PlanType",
    "Playbook",
    "PlaybookTask",
    "Program",
    "ProgramEmail",
    "ProgramEnrolment",
    "Record",
    "Relationship",
    "RelationshipType",
    "Report",
    "Rule",
    "RuleEnrolment",
    "RuleRunLog",
    "ScoreOverride",
    "ScoreSnapshot",
    "Scorecard",
    "Setting",
    "Share",
    "StatusDefinition",
    "Subscription",
    "SuccessPlan",
    "Survey",
    "SurveyResponse",
    "SurveySend",
    "Task",
    "TemplateItem",
    "UsageFact",
    "User",
    "ViewLayout",
    "new_id",
    "ref",
    "stable_id",
    "trusted_maker",
]

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
    StatusDefinition,
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
    OverdueNotice,
    Goal,
    GoalTemplate,
    GoalLink,
    GoalHistory,
    Rule,
    RuleEnrolment,
    RuleRunLog,
    Metric,
    UsageFact,
    AttributeChange,
    Survey,
    SurveySend,
    SurveyResponse,
    Measure,
    Scorecard,
    MeasureEntry,
    ScoreOverride,
    ScoreSnapshot,
    ViewLayout,
    Program,
    ProgramEnrolment,
    ProgramEmail,
    Report,
)

for _cls in RECORD_CLASSES:
    install_fast_init(_cls)
