"""What plan operations return: the record, plus warnings the caller should show."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

import attrs

__all__ = ["Notice", "Outcome"]

T = TypeVar("T")


@attrs.frozen
class Notice:
    """A warning about a side effect, naming the rule that caused it (e.g. PLAN_09)."""

    rule: str
    message: str
    value: Any = None

    def __str__(self) -> str:
        return f"{self.rule}: {self.message}"


@attrs.frozen
class Outcome(Generic[T]):
    """The result of an operation that may have side effects.

    ``record`` is what the operation made or changed; ``created`` holds further
    records it made (tasks from a playbook, objectives from a template);
    ``plan`` is the plan as it is after the operation, when one was touched;
    ``warnings`` say what else happened (a moved plan due date, PLAN_09).
    """

    record: T
    warnings: tuple[Notice, ...] = ()
    created: tuple[Any, ...] = ()
    plan: Any = None
