"""The default statuses of every kind, each mapped to its category."""

from __future__ import annotations

from successkit.admin.statuses import StatusRegistrar

from .hookspecs import hookimpl

#: Objectives are objective CTAs: both kinds start with the same statuses.
CTA_STATUSES = [
    ("new", "New", "open"),
    ("work_in_progress", "Work in progress", "open"),
    ("closed_success", "Closed success", "closed_success"),
    ("closed_lost", "Closed lost", "closed_lost"),
]

DEFAULTS = {
    "plan": [("draft", "Draft", "draft"), ("active", "Active", "active"), ("closed", "Closed", "closed")],
    "objective": CTA_STATUSES,
    "cta": CTA_STATUSES,
    "task": [
        ("open", "Open", "open"),
        ("in_progress", "In progress", "open"),
        ("complete", "Complete", "closed_success"),
        ("cancelled", "Cancelled", "closed_lost"),
    ],
    "goal": [
        ("not_started", "Not started", "open"),
        ("in_progress", "In progress", "open"),
        ("achieved", "Achieved", "closed_success"),
        ("not_achieved", "Not achieved", "closed_lost"),
    ],
}


@hookimpl
def successkit_register_statuses(register: StatusRegistrar) -> None:
    for kind, statuses in DEFAULTS.items():
        for key, label, category in statuses:
            register(kind, key, label, category)
