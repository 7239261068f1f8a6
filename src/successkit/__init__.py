"""successkit: an embeddable customer-success library.

Open a kit with :func:`open` and work through its services::

    import successkit as sk
    kit = sk.open("sqlite:///cs.db")
    acme = kit.companies.create("Acme", arr=120_000)
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from successkit.query.language import (
    ByField,
    ByRange,
    ByRelated,
    CalendarQuarter,
    Condition,
    FiscalQuarter,
    Query,
    Sort,
    ValueRange,
)
from successkit.records import (
    Activity,
    AttributeChange,
    Company,
    ConfigItem,
    Cta,
    CustomField,
    DigestItem,
    EmailTemplate,
    Goal,
    GoalHistory,
    GoalLink,
    GoalTemplate,
    Measure,
    MeasureEntry,
    Metric,
    Objective,
    OverdueNotice,
    Person,
    PlanTemplate,
    PlanType,
    Playbook,
    PlaybookTask,
    Program,
    ProgramEmail,
    ProgramEnrolment,
    Record,
    Relationship,
    RelationshipType,
    Report,
    Rule,
    RuleEnrolment,
    RuleRunLog,
    Scorecard,
    ScoreOverride,
    ScoreSnapshot,
    Setting,
    Share,
    StatusDefinition,
    Subscription,
    SuccessPlan,
    Survey,
    SurveyResponse,
    SurveySend,
    Task,
    TemplateItem,
    UsageFact,
    User,
    ViewLayout,
)
from successkit.storage import Store, StoreStats
from successkit.storage.migrations import AppliedStep, MigrationNeeded, MigrationPlan

from .clock import Clock, FixedClock
from .errors import (
    AccessDenied,
    ConflictError,
    NotFound,
    QueryError,
    ReadOnlyError,
    RuleViolation,
    SchemaError,
    StorageError,
    SuccessKitError,
    ValidationError,
)
from .kit import Kit, migrate, open
from .outcome import Notice, Outcome
from .retry import retry  # eager: the name is also the module's, which an import would put here

if TYPE_CHECKING:
    from successkit.accounts.companies import MAX_LEVELS, TreeNode
    from successkit.accounts.people import ErasureReport, Reference
    from successkit.admin.statuses import Status, StatusRegistry
    from successkit.automation.bundles import AssetDiff, Bundle, Deployment, DeployStep
    from successkit.automation.program_run import ProgramRun, ProgramStep
    from successkit.automation.rules import RuleRun, RuleStep
    from successkit.automation.step_report import StepReport
    from successkit.engagement.access import ShareAccess
    from successkit.engagement.notifications import Notification
    from successkit.engagement.sharing import SharedPlan, ShareGrant
    from successkit.engagement.timeline import ActivityTypes, LatestValue, TimelineItem, TimelinePage
    from successkit.goals.progress import GoalProgress
    from successkit.goals.views import GoalRow, GoalView
    from successkit.health.explain import MeasureExplanation, RollupPart, ScoreExplanation
    from successkit.health.history import ScoreHistory, ScorePoint
    from successkit.health.preview import PreviewRow, ScorePreview
    from successkit.health.recompute import GradeChange, ScoreRun
    from successkit.plans.cloning import ALL_ITEMS, ByStatus, CloneResult, LeftOut, OwnerChoice
    from successkit.plans.emails import EMAIL_PLACEHOLDERS, OutgoingEmail, check_placeholders, render_email
    from successkit.plans.objectives import natural_key
    from successkit.plans.plans import PlanCounts, PlanView
    from successkit.plans.playbooks import PlaybookContent
    from successkit.plans.schedule import ScheduleRow
    from successkit.plans.templates import ALL, PreparedTemplate
    from successkit.plugins.queued_notifier import QueuedNotifier
    from successkit.plugins.smtp_sender import SmtpSender
    from successkit.plugins.webhook_notifier import WebhookNotifier
    from successkit.records.dicts import from_dict, make_converter, to_dict
    from successkit.reports.boards import (
        ArrAtRisk,
        CtaEffectiveness,
        Dashboard,
        Portfolio,
        Renewals,
        SuccessPlans,
        Trends,
    )
    from successkit.reports.charts import Svg, bar_chart, line_chart, stacked_bar_chart
    from successkit.reports.digests import Digest
    from successkit.reports.saved import ReportResult, deploy_report
    from successkit.signals.history import AttributeSeries
    from successkit.signals.surveys import RecordScores, SurveyScores, nps_category
    from successkit.signals.usage import IngestResult, UsageWindow, WindowRow, fact_id
    from successkit.views.aggregate_table import AggregateRow, AggregateTable
    from successkit.views.c360 import Company360, Relationship360
    from successkit.views.c360_layouts import COMPANY_SECTIONS, RELATIONSHIP_SECTIONS, LayoutChoice
    from successkit.views.c360_text import GoalSummary, PlanSummary
    from successkit.views.gantt import critical_path, render_svg, save_png
    from successkit.views.record_list import RecordList

#: Names imported on first use (PEP 562), so ``import successkit`` loads only the kit,
#: the records, the query language and the errors; a service loads with its first call.
_LAZY = {
    "ALL": "successkit.plans.templates",
    "ALL_ITEMS": "successkit.plans.cloning",
    "ActivityTypes": "successkit.engagement.timeline",
    "EMAIL_PLACEHOLDERS": "successkit.plans.emails",
    "OutgoingEmail": "successkit.plans.emails",
    "QueuedNotifier": "successkit.plugins.queued_notifier",
    "SmtpSender": "successkit.plugins.smtp_sender",
    "check_placeholders": "successkit.plans.emails",
    "render_email": "successkit.plans.emails",
    "AggregateRow": "successkit.views.aggregate_table",
    "AttributeSeries": "successkit.signals.history",
    "IngestResult": "successkit.signals.usage",
    "LatestValue": "successkit.engagement.timeline",
    "RecordScores": "successkit.signals.surveys",
    "SurveyScores": "successkit.signals.surveys",
    "nps_category": "successkit.signals.surveys",
    "UsageWindow": "successkit.signals.usage",
    "WindowRow": "successkit.signals.usage",
    "fact_id": "successkit.signals.usage",
    "AggregateTable": "successkit.views.aggregate_table",
    "AssetDiff": "successkit.automation.bundles",
    "Bundle": "successkit.automation.bundles",
    "ByStatus": "successkit.plans.cloning",
    "CloneResult": "successkit.plans.cloning",
    "Company360": "successkit.views.c360",
    "DeployStep": "successkit.automation.bundles",
    "Deployment": "successkit.automation.bundles",
    "ErasureReport": "successkit.accounts.people",
    "GoalProgress": "successkit.goals.progress",
    "GoalRow": "successkit.goals.views",
    "GoalSummary": "successkit.views.c360_text",
    "GoalView": "successkit.goals.views",
    "GradeChange": "successkit.health.recompute",
    "LeftOut": "successkit.plans.cloning",
    "MAX_LEVELS": "successkit.accounts.companies",
    "MeasureExplanation": "successkit.health.explain",
    "Notification": "successkit.engagement.notifications",
    "OwnerChoice": "successkit.plans.cloning",
    "PlanCounts": "successkit.plans.plans",
    "PlanSummary": "successkit.views.c360_text",
    "PlanView": "successkit.plans.plans",
    "PlaybookContent": "successkit.plans.playbooks",
    "PreparedTemplate": "successkit.plans.templates",
    "PreviewRow": "successkit.health.preview",
    "RecordList": "successkit.views.record_list",
    "Reference": "successkit.accounts.people",
    "Relationship360": "successkit.views.c360",
    "COMPANY_SECTIONS": "successkit.views.c360_layouts",
    "RELATIONSHIP_SECTIONS": "successkit.views.c360_layouts",
    "LayoutChoice": "successkit.views.c360_layouts",
    "RollupPart": "successkit.health.explain",
    "ProgramRun": "successkit.automation.program_run",
    "ProgramStep": "successkit.automation.program_run",
    "StepReport": "successkit.automation.step_report",
    "RuleRun": "successkit.automation.rules",
    "RuleStep": "successkit.automation.rules",
    "ScheduleRow": "successkit.plans.schedule",
    "ScoreExplanation": "successkit.health.explain",
    "ScoreHistory": "successkit.health.history",
    "ScorePoint": "successkit.health.history",
    "ScorePreview": "successkit.health.preview",
    "ScoreRun": "successkit.health.recompute",
    "ShareAccess": "successkit.engagement.access",
    "ShareGrant": "successkit.engagement.sharing",
    "SharedPlan": "successkit.engagement.sharing",
    "Status": "successkit.admin.statuses",
    "StatusRegistry": "successkit.admin.statuses",
    "TimelineItem": "successkit.engagement.timeline",
    "TimelinePage": "successkit.engagement.timeline",
    "TreeNode": "successkit.accounts.companies",
    "WebhookNotifier": "successkit.plugins.webhook_notifier",
    "critical_path": "successkit.views.gantt",
    "from_dict": "successkit.records.dicts",
    "make_converter": "successkit.records.dicts",
    "natural_key": "successkit.plans.objectives",
    "render_svg": "successkit.views.gantt",
    "save_png": "successkit.views.gantt",
    "to_dict": "successkit.records.dicts",
    "ArrAtRisk": "successkit.reports.boards",
    "CtaEffectiveness": "successkit.reports.boards",
    "Dashboard": "successkit.reports.boards",
    "Portfolio": "successkit.reports.boards",
    "Renewals": "successkit.reports.boards",
    "SuccessPlans": "successkit.reports.boards",
    "Trends": "successkit.reports.boards",
    "Svg": "successkit.reports.charts",
    "bar_chart": "successkit.reports.charts",
    "line_chart": "successkit.reports.charts",
    "stacked_bar_chart": "successkit.reports.charts",
    "Digest": "successkit.reports.digests",
    "ReportResult": "successkit.reports.saved",
    "deploy_report": "successkit.reports.saved",
}


def __getattr__(name: str) -> Any:
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("successkit")
        except PackageNotFoundError:  # pragma: no cover - running from a source tree
            return "0.0.0"
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'successkit' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


__all__ = [
    "ALL",
    "ALL_ITEMS",
    "COMPANY_SECTIONS",
    "EMAIL_PLACEHOLDERS",
    "MAX_LEVELS",
    "RELATIONSHIP_SECTIONS",
    "AccessDenied",
    "Activity",
    "ActivityTypes",
    "AggregateRow",
    "AggregateTable",
    "AppliedStep",
    "ArrAtRisk",
    "AssetDiff",
    "AttributeChange",
    "AttributeSeries",
    "Bundle",
    "ByField",
    "ByRange",
    "ByRelated",
    "ByStatus",
    "CalendarQuarter",
    "Clock",
    "CloneResult",
    "Company",
    "Company360",
    "Condition",
    "ConfigItem",
    "ConflictError",
    "Cta",
    "CtaEffectiveness",
    "CustomField",
    "Dashboard",
    "DeployStep",
    "Deployment",
    "Digest",
    "DigestItem",
    "EmailTemplate",
    "ErasureReport",
    "FiscalQuarter",
    "FixedClock",
    "Goal",
    "GoalHistory",
    "GoalLink",
    "GoalProgress",
    "GoalRow",
    "GoalSummary",
    "GoalTemplate",
    "GoalView",
    "GradeChange",
    "IngestResult",
    "Kit",
    "LatestValue",
    "LayoutChoice",
    "LeftOut",
    "Measure",
    "MeasureEntry",
    "MeasureExplanation",
    "Metric",
    "MigrationNeeded",
    "MigrationPlan",
    "NotFound",
    "Notice",
    "Notification",
    "Objective",
    "Outcome",
    "OutgoingEmail",
    "OverdueNotice",
    "OwnerChoice",
    "Person",
    "PlanCounts",
    "PlanSummary",
    "PlanTemplate",
    "PlanType",
    "PlanView",
    "Playbook",
    "PlaybookContent",
    "PlaybookTask",
    "Portfolio",
    "PreparedTemplate",
    "PreviewRow",
    "Program",
    "ProgramEmail",
    "ProgramEnrolment",
    "ProgramRun",
    "ProgramStep",
    "Query",
    "QueryError",
    "QueuedNotifier",
    "ReadOnlyError",
    "Record",
    "RecordList",
    "RecordScores",
    "Reference",
    "Relationship",
    "Relationship360",
    "RelationshipType",
    "Renewals",
    "Report",
    "ReportResult",
    "RollupPart",
    "Rule",
    "RuleEnrolment",
    "RuleRun",
    "RuleRunLog",
    "RuleStep",
    "RuleViolation",
    "ScheduleRow",
    "SchemaError",
    "ScoreExplanation",
    "ScoreHistory",
    "ScoreOverride",
    "ScorePoint",
    "ScorePreview",
    "ScoreRun",
    "ScoreSnapshot",
    "Scorecard",
    "Setting",
    "Share",
    "ShareAccess",
    "ShareGrant",
    "SharedPlan",
    "SmtpSender",
    "Sort",
    "Status",
    "StatusDefinition",
    "StatusRegistry",
    "StepReport",
    "StorageError",
    "Store",
    "StoreStats",
    "Subscription",
    "SuccessKitError",
    "SuccessPlan",
    "SuccessPlans",
    "Survey",
    "SurveyResponse",
    "SurveyScores",
    "SurveySend",
    "Svg",
    "Task",
    "TemplateItem",
    "TimelineItem",
    "TimelinePage",
    "TreeNode",
    "Trends",
    "UsageFact",
    "UsageWindow",
    "User",
    "ValidationError",
    "ValueRange",
    "ViewLayout",
    "WebhookNotifier",
    "WindowRow",
    "__version__",
    "bar_chart",
    "check_placeholders",
    "critical_path",
    "deploy_report",
    "fact_id",
    "from_dict",
    "line_chart",
    "make_converter",
    "migrate",
    "natural_key",
    "nps_category",
    "open",
    "render_email",
    "render_svg",
    "retry",
    "save_png",
    "stacked_bar_chart",
    "to_dict",
]
