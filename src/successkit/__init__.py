"""successkit: an embeddable customer-success library.

Open a kit with :func:`open` and work through its services::

    import successkit as sk
    kit = sk.open("sqlite:///cs.db")
    acme = kit.companies.create("Acme", arr=120_000)
"""

from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _version

from .access import ShareAccess
from .bundles import Bundle, Deployment, DeployStep
from .c360 import Company360, GoalSummary, PlanSummary, Relationship360
from .clock import Clock, FixedClock
from .companies import MAX_LEVELS, TreeNode
from .convert import from_dict, make_converter, to_dict
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
from .gantt import critical_path, render_svg, save_png
from .goal_views import GoalRow, GoalView
from .goals import GoalProgress
from .kit import Kit, open
from .notifications import Notification
from .objectives import natural_key
from .outcome import Notice, Outcome
from .people import ErasureReport, Reference
from .plans import PlanCounts, PlanView
from .query import ByField, CalendarQuarter, Condition, FiscalQuarter, Query, Sort
from .records import (
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
from .results import RecordList
from .retry import retry
from .rules import RuleRun, RuleStep
from .schedule import ScheduleRow
from .sharing import SharedPlan, ShareGrant
from .statuses import Status, StatusRegistry
from .storage import Store
from .templates import ALL
from .timeline import ActivityTypes, TimelineItem, TimelinePage

try:
    __version__ = _version("successkit")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

__all__ = [
    "ALL",
    "MAX_LEVELS",
    "AccessDenied",
    "Activity",
    "ActivityTypes",
    "Bundle",
    "ByField",
    "CalendarQuarter",
    "Clock",
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
    "NotFound",
    "Notice",
    "Notification",
    "Objective",
    "Outcome",
    "Person",
    "PlanCounts",
    "PlanSummary",
    "PlanTemplate",
    "PlanType",
    "PlanView",
    "Playbook",
    "PlaybookTask",
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
