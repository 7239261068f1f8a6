"""Records an administrator sets up: plan types, lookups (CTA types, priorities,
reasons, objective categories), stored statuses, settings, stored automation rules and 360 layouts."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import attrs

from .base import Record, ref


@attrs.frozen(kw_only=True)
class PlanType(Record):
    """A kind of success plan and what its plans start with (PLAN_01, TL_05).

    ``statuses`` lists the plan statuses plans of this type may use (empty:
    all); the ``objective_*`` fields are the default objective settings used
    for objectives created without explicit values.
    """

    __kind__ = "plan_type"
    __indexes__ = (("key",),)
    __unique__ = (("key",),)

    key: str
    name: str
    statuses: tuple[str, ...] = ()
    sharing_enabled: bool = False
    objective_type: str | None = None
    objective_priority: str | None = None
    objective_category: str | None = None
    objective_status: str | None = None
    objective_due_days: int | None = None
    active: bool = True


#: The categories of :class:`ConfigItem`.
CONFIG_CATEGORIES = ("cta_type", "priority", "reason", "objective_category", "activity_type")


@attrs.frozen(kw_only=True)
class ConfigItem(Record):
    """One administrator-defined choice: a CTA type, priority, reason, objective
    category, or an activity type beside those plugins register (TL_01, VAULT_05)."""

    __kind__ = "config_item"
    __indexes__ = (("category", "key"),)
    __unique__ = (("category", "key"),)

    category: str
    key: str
    name: str
    order: int = 0
    active: bool = True


@attrs.frozen(kw_only=True)
class StatusDefinition(Record):
    """A status an administrator or a bundle stored (VAULT_05), beside those plugins
    register: of which ``record_kind`` (plan, objective, cta, task, goal), its ``key`` and
    ``name``, the ``category`` its behaviour follows (PLAN_04, CTA_01) and its
    ``order`` among the stored statuses of its kind.  Read into ``kit.statuses``
    when a kit opens; an inactive one is left out."""

    __kind__ = "status_definition"
    __indexes__ = (("record_kind", "key"),)
    __unique__ = (("record_kind", "key"),)

    record_kind: str
    key: str
    name: str
    category: str
    order: int = 0
    active: bool = True


@attrs.frozen(kw_only=True)
class Setting(Record):
    """One named configuration value (for example the default open status of objectives)."""

    __kind__ = "setting"
    __indexes__ = (("key",),)
    __unique__ = (("key",),)

    key: str
    value: str | None = None


@attrs.frozen(kw_only=True)
class Rule(Record):
    """A stored rule (RULE_01): which companies or relationships it selects and
    what it does for each.  ``definition`` is the checked, JSON-ready form of
    ``where``, ``logic``, ``without_activity``, ``actions`` and, for an event
    rule, ``trigger`` and ``limit`` (see ``docs/rules.md``); ``bundle`` names the
    solution bundle that installed it."""

    __kind__ = "rule"
    __unique__ = (("name",),)

    name: str
    description: str | None = None
    target: str = "company"
    definition: Mapping[str, Any] = attrs.field(factory=dict, hash=False)
    active: bool = True
    bundle: str | None = None


@attrs.frozen(kw_only=True)
class Report(Record):
    """A saved report (REPORT_02): an aggregate of one record set run by name.

    ``record_set`` is the record kind it reads (``company``, ``cta``...);
    ``definition`` the checked, JSON-ready ``where``, ``logic``, ``by``,
    ``measures``, ``sort`` and ``chart`` (see ``docs/reports.md``); ``bundle``
    names the solution bundle that installed it."""

    __kind__ = "report"
    __unique__ = (("name",),)

    name: str
    title: str | None = None
    record_set: str = "company"
    definition: Mapping[str, Any] = attrs.field(factory=dict, hash=False)
    bundle: str | None = None


@attrs.frozen(kw_only=True)
class ViewLayout(Record):
    """A 360 layout (C360_03): which sections a company or relationship 360 shows,
    in which order, and to whom or what it applies.

    ``target`` is ``company`` or ``relationship``; ``sections`` the section names
    in display order; ``user_groups`` the groups of the acting user it applies to;
    ``relationship_types`` the ids of the relationship types it applies to (a
    relationship layout only); ``condition`` the query-language conditions the
    company or relationship must match (``where``, ``logic``).  Every criterion
    given must hold.  ``default`` marks the layout shown when no other applies;
    ``position`` orders layouts of the same precedence (see ``docs/c360.md``).
    """

    __kind__ = "view_layout"
    __indexes__ = (("key",), ("target", "position"))
    __unique__ = (("key",),)

    key: str
    name: str
    target: str = "company"
    sections: tuple[str, ...] = ()
    user_groups: tuple[str, ...] = ()
    relationship_types: tuple[str, ...] = ()
    condition: Mapping[str, Any] = attrs.field(factory=dict, hash=False)
    default: bool = False
    position: int = 0


@attrs.frozen(kw_only=True)
class RuleEnrolment(Record):
    """When a rule last acted on a target (AUTO_04): a rule with an enrolment
    ``limit`` acts on a target once, or at most once every N days."""

    __kind__ = "rule_enrolment"
    __indexes__ = (("rule_id", "target_id"),)
    __unique__ = (("rule_id", "target_id"),)

    rule_id: str = ref("rule", default=attrs.NOTHING)
    target_kind: str
    target_id: str
    enrolled_at: datetime


@attrs.frozen(kw_only=True)
class RuleRunLog(Record):
    """One run of an event rule (AUTO_01, AUTO_04): which rule, on which event,
    for which targets, and how it ended: ``ran`` (``created`` records made),
    ``failed`` (``error`` says why; nothing of the run was kept) or ``skipped``
    (the depth limit held it back).  Read with ``kit.rules.run_log()``."""

    __kind__ = "rule_run"
    __indexes__ = (("rule_id", "created_at"), ("outcome", "created_at"))

    rule_id: str
    rule_name: str
    event: str
    depth: int = 1
    targets: tuple[str, ...] = ()
    outcome: str
    matched: int = 0
    created: int = 0
    error: str | None = None
    #: The acting user whose change triggered the run (None: the host application).
    triggered_by: str | None = None
