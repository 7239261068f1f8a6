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

    def _repr_html_(self) -> str:
        """The record, what else was created and the warnings, in notebooks (DATA_01)."""
        from successkit.views import notebook as nb
        from successkit.views.frames import record_parts

        parts = [record_parts(self.record)]
        if self.created:
            made = [[getattr(c, "name", None), getattr(c, "__kind__", type(c).__name__)] for c in self.created]
            parts += [nb.subtitle(f"Also created ({len(made)})"), nb.table(["name", "kind"], made)]
        if self.warnings:
            parts.append(nb.items([str(w) for w in self.warnings], heading="Warnings"))
        return nb.block(*parts)
