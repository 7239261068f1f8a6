"""Records of customer goals: goals, goal templates, links and history."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date
from typing import Any

import attrs

from .base import Record, ref


@attrs.frozen(kw_only=True)
class Goal(Record):
    """A customer goal of a company or one of its relationships (GOAL_01).

    ``company_id`` is always set, so a company's goals and its relationships'
    goals are one indexed query (GOAL_14).  Progress is not stored: it is
    computed from the linked CTAs and plans when read (GOAL_06).
    """

    __kind__ = "goal"
    __indexes__ = (("company_id",), ("relationship_id",), ("due_date",), ("status",), ("-created_at",))

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
