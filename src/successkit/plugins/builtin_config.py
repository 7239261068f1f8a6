"""The default configuration: plan types, CTA types, priorities, reasons,
objective categories and settings, so that ``successkit.open()`` works with no setup."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from successkit.admin.statuses import CATEGORIES
from successkit.errors import ValidationError

from .hookspecs import hookimpl

if TYPE_CHECKING:
    from successkit.admin.config import ConfigService

#: Whether a company's goal list and 360 view show its relationships' goals
#: (GOAL_14): off until an administrator turns it on, as in the source product.
RELATIONSHIP_GOALS_SETTING = "goal.show_relationship_goals_in_company"
#: Whether CTAs and objectives can be snoozed (OBJ_08): on unless turned off.
SNOOZE_SETTING = "snooze.enabled"
#: Org-wide default deliveries per notification event (NOTIF_05): the setting
#: ``notification.default.<event>`` holds one of NOTIFICATION_CHOICES; unset is ``off``.
NOTIFICATION_DEFAULT_PREFIX = "notification.default."
NOTIFICATION_CHOICES = ("off", "realtime", "daily", "weekly")
_FLAGS = {"true": True, "false": False}
#: The kinds of value a known setting holds (checked when it is set, SEC_05).
FLAG, OPEN_STATUS, CLOSED_STATUS = "flag", "open status", "closed status"

PLAN_TYPES: list[dict[str, Any]] = [
    {
        "key": "onboarding",
        "name": "Onboarding",
        "sharing_enabled": True,
        "objective_type": "objective",
        "objective_priority": "medium",
        "objective_category": "adoption",
        "objective_due_days": 14,
    },
    {
        "key": "renewal",
        "name": "Renewal",
        "sharing_enabled": True,
        "objective_type": "objective",
        "objective_priority": "high",
        "objective_category": "renewal",
        "objective_due_days": 14,
    },
    {
        "key": "roi",
        "name": "ROI",
        "sharing_enabled": True,
        "objective_type": "objective",
        "objective_priority": "medium",
        "objective_category": "value",
        "objective_due_days": 30,
    },
    {
        "key": "business_review",
        "name": "Business review",
        "sharing_enabled": True,
        "objective_type": "objective",
        "objective_priority": "medium",
        "objective_category": "value",
        "objective_due_days": 14,
    },
    {
        "key": "internal",
        "name": "Internal",
        "sharing_enabled": False,
        "objective_type": "objective",
        "objective_priority": "low",
        "objective_category": "adoption",
        "objective_due_days": 14,
    },
]

CONFIG_ITEMS: dict[str, list[tuple[str, str]]] = {
    "cta_type": [
        ("objective", "Objective"),
        ("risk", "Risk"),
        ("expansion", "Expansion"),
        ("lifecycle", "Lifecycle"),
        ("activity", "Activity"),
        ("renewal", "Renewal"),
    ],
    "priority": [("high", "High"), ("medium", "Medium"), ("low", "Low")],
    "reason": [
        ("onboarding", "Onboarding"),
        ("low_usage", "Low usage"),
        ("renewal_due", "Renewal due"),
        ("health_drop", "Health score drop"),
        ("business_review", "Business review"),
        ("expansion_opportunity", "Expansion opportunity"),
        ("other", "Other"),
    ],
    "objective_category": [
        ("adoption", "Adoption"),
        ("value", "Value realisation"),
        ("renewal", "Renewal"),
        ("relationship", "Relationship"),
        ("technical", "Technical"),
    ],
}

#: Settings: default statuses for new objectives and tasks (CLONE_08 uses them too),
#: and the statuses open items get when their plan closes (PLAN_05).
SETTINGS = {
    "objective.default_status": "new",
    "task.default_status": "open",
    "cta.default_status": "new",
    "goal.default_status": "not_started",
    "plan.default_status": "draft",
    "objective.close_status": "closed_lost",
    "task.close_status": "cancelled",
    # switches, "true" or "false" (read with flag_setting)
    RELATIONSHIP_GOALS_SETTING: "false",
    SNOOZE_SETTING: "true",
}


#: The one declaration of what each known setting holds: a switch, or an open
#: (default) or closed status of the kind its key starts with.
SETTING_KINDS: dict[str, str] = {
    **{f"{kind}.default_status": OPEN_STATUS for kind in CATEGORIES},
    **{f"{kind}.close_status": CLOSED_STATUS for kind in CATEGORIES},
    RELATIONSHIP_GOALS_SETTING: FLAG,
    SNOOZE_SETTING: FLAG,
}


@hookimpl
def successkit_register_defaults(register: Any) -> None:
    for values in PLAN_TYPES:
        register("plan_type", **values)
    for category, items in CONFIG_ITEMS.items():
        for order, (key, name) in enumerate(items):
            register("config_item", key=key, name=name, category=category, order=order)
    for key, value in SETTINGS.items():
        register("setting", key=key, value=value)


def flag_setting(config: ConfigService, key: str) -> bool:
    """A switch setting as a bool: exactly ``"true"`` or ``"false"``; unset means its
    default here.  Any other stored value is a clear error naming the setting, never a guess."""
    value = config.setting(key)
    if value is None:
        value = SETTINGS[key]
    flag = _FLAGS.get(value) if isinstance(value, str) else None
    if flag is None:
        raise ValidationError(f"setting {key!r} is 'true' or 'false'", rule="SEC_05", value=value)
    return flag
