"""Parts of the 360 views (C360_01): plan and goal summaries, how attributes, people
and timeline items read as lines, and records as JSON-ready dicts."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

import attrs

from successkit.engagement.timeline import TimelineItem
from successkit.goals.progress import GoalProgress
from successkit.plans.plans import PlanCounts
from successkit.records import Goal, Person, Record, SuccessPlan
from successkit.records.dicts import to_dict

__all__ = [
    "GoalSummary",
    "PlanSummary",
    "activity_line",
    "jsonable",
    "label",
    "person_line",
    "record_dicts",
    "value_text",
]

_LABELS = {"arr": "ARR", "nps": "NPS", "health_score": "Health score", "renewal_date": "Renewal date"}


@attrs.frozen
class PlanSummary:
    """A plan in a 360 view: its status category (draft, active, closed) and
    its objective counts (PLAN_07), so closed plans read as well as open ones."""

    plan: SuccessPlan
    category: str
    counts: PlanCounts

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of the plan and its objective counts."""
        return {"plan": to_dict(self.plan), "category": self.category, "counts": attrs.asdict(self.counts)}


@attrs.frozen
class GoalSummary:
    """A goal in a 360 view with its progress, computed when the view was read (GOAL_06)."""

    goal: Goal
    progress: GoalProgress

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of the goal and its progress."""
        p = self.progress
        return {
            "goal": to_dict(self.goal),
            "progress": {"linked": p.linked, "closed": p.closed, "achieved": p.achieved, "percent": p.percent},
        }


def record_dicts(records: Iterable[Record]) -> list[dict[str, Any]]:
    """The records as JSON-ready dicts."""
    return [to_dict(r) for r in records]


def jsonable(value: Any) -> Any:
    """A value as JSON-ready data: dates as ISO text."""
    return value.isoformat() if isinstance(value, date) else value


def label(name: str) -> str:
    """The label of an attribute: a custom field's own name, else the standard attribute's."""
    if name.startswith("fields."):
        return name[len("fields.") :]
    return _LABELS.get(name, name.replace("_", " ").capitalize())


def value_text(name: str, value: Any) -> str:
    """An attribute value as text: ``-`` for none, ARR in dollars, whole numbers without decimals."""
    if value is None:
        return "-"
    if name == "arr" and isinstance(value, (int, float)):
        return f"${value:,.0f}"
    if isinstance(value, float) and value.is_integer():
        return f"{value:.0f}"
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return str(value)


def person_line(p: Person) -> str:
    """A person as one line: name (sponsor), title, email."""
    parts = [p.name + (" (sponsor)" if p.sponsor else ""), p.title or "", p.email or ""]
    return " | ".join(x for x in parts if x)


def activity_line(item: TimelineItem) -> str:
    """A timeline item as one line: when, type, label, subject."""
    a = item.activity
    label = f" [{item.label}]" if item.label else ""
    draft = " (draft)" if a.draft else ""
    return f"{a.occurred_at:%Y-%m-%d %H:%M} {a.type.replace('_', ' ').capitalize()}{label}: {a.subject}{draft}"
