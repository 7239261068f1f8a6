"""successkit: an embeddable customer-success library.

Open a kit with :func:`open` and work through its services::

    import successkit as sk
    kit = sk.open("sqlite:///cs.db")
    acme = kit.companies.create("Acme", arr=120_000)
"""

from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _version

from successkit.accounts.companies import MAX_LEVELS, TreeNode
from successkit.accounts.people import ErasureReport, Reference
from successkit.admin.statuses import Status, StatusRegistry
from successkit.automation.bundles import Bundle, Deployment, DeployStep
from successkit.automation.rules import RuleRun, RuleStep
from successkit.engagement.access import ShareAccess
from successkit.engagement.notifications import Notification
from successkit.engagement.sharing import SharedPlan, ShareGrant
from successkit.engagement.timeline import ActivityTypes, TimelineItem, TimelinePage
from successkit.goals.progress import GoalProgress
from successkit.goals.views import GoalRow, GoalView
from successkit.plans.cloning import ALL_ITEMS, ByStatus, CloneResult, LeftOut, OwnerChoice
from successkit.plans.objectives import natural_key
from successkit.plans.plans import PlanCounts, PlanView
from successkit.plans.playbooks import PlaybookContent
from successkit.plans.schedule import ScheduleRow
from successkit.plans.templates import ALL, PreparedTemplate
from successkit.query.language import ByField, CalendarQuarter, Condition, FiscalQuarter, Query, Sort
from successkit.records import (
    Activity,
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
    Objective,
    Person,
    PlanTemplate,
    PlanType,
    Playbook,
    PlaybookTask,
    Record,
    Relationship,
    RelationshipType,
    Rule,
    Setting,
    Share,
    Subscription,
    SuccessPlan,
    Task,
    TemplateItem,
    User,
)
from successkit.records.dicts import from_dict, make_converter, to_dict
from successkit.storage import Store, StoreStats
from successkit.views.c360 import Company360, GoalSummary, PlanSummary, Relationship360
from successkit.views.gantt import critical_path, render_svg, save_png
from successkit.views.record_list import RecordList

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
from .kit import Kit, open
from .outcome import Notice, Outcome
from .retry import retry

try:
    __version__ = _version("successkit")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

__all__ = [
    "ALL",
    "ALL_ITEMS",
    "MAX_LEVELS",
    "AccessDenied",
    "Activity",
    "ActivityTypes",
    "Bundle",
    "ByField",
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
    "CustomField",
    "DeployStep",
    "Deployment",
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
    "Kit",
    "LeftOut",
    "NotFound",
    "Notice",
    "Notification",
    "Objective",
    "Outcome",
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
    "PreparedTemplate",
    "Query",
    "QueryError",
    "ReadOnlyError",
    "Record",
    "RecordList",
    "Reference",
    "Relationship",
    "Relationship360",
    "RelationshipType",
    "Rule",
    "RuleRun",
    "RuleStep",
    "RuleViolation",
    "ScheduleRow",
    "SchemaError",
    "Setting",
    "Share",
    "ShareAccess",
    "ShareGrant",
    "SharedPlan",
    "Sort",
    "Status",
    "StatusRegistry",
    "StorageError",
    "Store",
    "StoreStats",
    "Subscription",
    "SuccessKitError",
    "SuccessPlan",
    "Task",
    "TemplateItem",
    "TimelineItem",
    "TimelinePage",
    "TreeNode",
    "User",
    "ValidationError",
    "__version__",
    "critical_path",
    "from_dict",
    "make_converter",
    "natural_key",
    "open",
    "render_svg",
    "retry",
    "save_png",
    "to_dict",
]
