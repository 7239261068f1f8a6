"""successkit: an embeddable customer-success library.

Open a kit with :func:`open` and work through its services::

    import successkit as sk
    kit = sk.open("sqlite:///cs.db")
    acme = kit.companies.create("Acme", arr=120_000)
"""

from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _version

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
from .kit import Kit, open
from .people import ErasureReport, Reference
from .query import ByField, CalendarQuarter, Condition, FiscalQuarter, Query, Sort
from .records import Company, CustomField, Person, Record, Relationship, RelationshipType, User
from .results import RecordList
from .statuses import Status, StatusRegistry
from .storage import Store

try:
    __version__ = _version("successkit")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

__all__ = [
    "MAX_LEVELS",
    "AccessDenied",
    "ByField",
    "CalendarQuarter",
    "Clock",
    "Company",
    "Condition",
    "ConflictError",
    "CustomField",
    "ErasureReport",
    "FiscalQuarter",
    "FixedClock",
    "Kit",
    "NotFound",
    "Person",
    "Query",
    "QueryError",
    "ReadOnlyError",
    "Record",
    "RecordList",
    "Reference",
    "Relationship",
    "RelationshipType",
    "RuleViolation",
    "SchemaError",
    "Sort",
    "Status",
    "StatusRegistry",
    "StorageError",
    "Store",
    "SuccessKitError",
    "TreeNode",
    "User",
    "ValidationError",
    "__version__",
    "from_dict",
    "make_converter",
    "open",
    "to_dict",
]
