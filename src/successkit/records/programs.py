"""Records of programs (MAIL_03): the program (a cadence of steps), the
enrolments of people or companies in it, and the emails its steps sent."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

import attrs

from .base import Record, ref

#: What an enrolment can be: advancing, through all its steps, or stopped by an exit condition.
ENROLMENT_STATES = ("active", "completed", "exited")


@attrs.frozen(kw_only=True)
class Program(Record):
    """A program (cadence, MAIL_03): a named sequence of steps (send an email, wait
    N days, create a CTA, log an activity) that people or companies (``target``)
    go through, with exit conditions.  ``definition`` is the checked, JSON-ready
    form of ``steps`` and ``exit`` (see ``docs/programs.md``); ``bundle`` names
    the solution bundle that installed it."""

    __kind__ = "program"
    __unique__ = (("name",),)

    name: str
    description: str | None = None
    target: str = "person"
    definition: Mapping[str, Any] = attrs.field(factory=dict, hash=False)
    active: bool = True
    bundle: str | None = None


@attrs.frozen(kw_only=True)
class ProgramEnrolment(Record):
    """One person or company in one program (MAIL_03): ``step`` is the index of the
    next step to do, on ``due_on`` or later; ``state`` is one of
    :data:`ENROLMENT_STATES`.  A target enters a program once (RULE_02)."""

    __kind__ = "program_enrolment"
    __indexes__ = (("state", "due_on"), ("program_id", "state"), ("company_id",))
    __unique__ = (("program_id", "target_id"),)

    program_id: str = ref("program", default=attrs.NOTHING)
    target_kind: str
    target_id: str = ref(("person", "company"), default=attrs.NOTHING, kind_field="target_kind", on_erase="delete")
    company_id: str = ref("company", default=attrs.NOTHING)
    state: str = "active"
    step: int = 0
    due_on: date
    enrolled_at: datetime
    source: str = "manual"
    last_run_on: date | None = None
    ended_at: datetime | None = None
    exit_reason: str | None = None


@attrs.frozen(kw_only=True)
class ProgramEmail(Record):
    """An email a program's step sent (MAIL_03, MAIL_02): ``verify`` until a
    sender accepted it, then ``sent``; ``error`` says why the last delivery failed.
    ``person_id`` is the person whose fields filled ``{{person.*}}``."""

    __kind__ = "program_email"
    __indexes__ = (("state",), ("company_id",), ("enrolment_id",))
    __unique__ = (("enrolment_id", "step"),)

    program_id: str = ref("program", default=attrs.NOTHING)
    enrolment_id: str = ref("program_enrolment", default=attrs.NOTHING)
    step: int
    company_id: str = ref("company", default=attrs.NOTHING)
    person_id: str | None = ref("person", on_erase="delete")
    #: The people the email went to (erasing one of them deletes the record, PERSON_01).
    recipient_ids: tuple[str, ...] = ref("person", default=(), on_erase="delete")
    to: tuple[str, ...] = ()
    subject: str
    body: str = ""
    state: str = "verify"
    error: str | None = None
    sent_at: datetime | None = None
