"""Every refusal the library makes is one of these.

A refusal that enforces a rule of the specification carries the rule's ID
(``rule``) and the offending value (``value``) so that callers and logs can say
exactly which rule said no and to what.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "AccessDenied",
    "ConflictError",
    "NotFound",
    "QueryError",
    "ReadOnlyError",
    "RuleViolation",
    "SchemaError",
    "StorageError",
    "SuccessKitError",
    "ValidationError",
    "article",
    "named",
]

_MISSING: Any = object()


class SuccessKitError(Exception):
    """Base class of every error the library raises on purpose."""

    def __init__(self, message: str, *, rule: str | None = None, value: Any = _MISSING) -> None:
        self.message = message
        self.rule = rule
        self.value = None if value is _MISSING else value
        text = f"{rule}: {message}" if rule else message
        if value is not _MISSING:
            text = f"{text} (got {value!r})"
        super().__init__(text)


class ValidationError(SuccessKitError, ValueError):
    """A value is missing, of the wrong type or out of range."""


class RuleViolation(ValidationError):
    """An operation would break a rule of the specification; ``rule`` names it."""

    def __init__(self, rule: str, message: str, *, value: Any = _MISSING) -> None:
        super().__init__(message, rule=rule, value=value)


class NotFound(SuccessKitError, LookupError):
    """The record asked for does not exist (or is not visible to the caller)."""

    def __init__(self, kind: str, id: Any, *, by: str = "id") -> None:
        self.kind = kind
        self.id = id
        super().__init__(f"no {kind.replace('_', ' ')} with {by} {id!r}")


class ConflictError(SuccessKitError):
    """A write was based on a stale version of a record (STORE_04) or a key clashed."""


class ReadOnlyError(RuleViolation):
    """The record is read-only in its current state (for example inside a closed plan)."""


class AccessDenied(SuccessKitError, PermissionError):
    """The acting principal may not see or change the object."""


class QueryError(ValidationError):
    """A query names an unknown field, a bad operator, a wrong value type or bad logic."""


class StorageError(SuccessKitError):
    """The storage backend failed; the driver's error is chained as ``__cause__``."""


class SchemaError(StorageError):
    """The stored schema cannot be used by this version of the library."""


def article(noun: str) -> str:
    """``noun`` with its indefinite article, for messages: "an objective", "a plan"."""
    return f"{'an' if noun[:1].lower() in 'aeiou' else 'a'} {noun}"


def named(record: Any) -> str:
    """A record as messages name it: its name and its id ("Acme Japan (c_...)"),
    the id alone when it has no name."""
    name = getattr(record, "name", None) or getattr(record, "key", None)
    rid = getattr(record, "id", record)
    return f"{name} ({rid})" if isinstance(name, str) and name else str(rid)
