"""The built-in timeline activity types (TL_01); plugins add more the same way."""

from __future__ import annotations

from typing import Any

from .hookspecs import hookimpl

TYPES = [
    ("call", "Call"),
    ("meeting", "Meeting"),
    ("email", "Email"),
    ("update", "Update"),
    ("note", "Note"),
    ("ebr", "Executive business review"),
    ("renewal", "Renewal conversation"),
]


@hookimpl
def successkit_register_activity_types(register: Any) -> None:
    for key, label in TYPES:
        register(key, label)
