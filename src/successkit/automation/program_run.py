"""One advance of every program (MAIL_03), and its report.

The run reads the active enrolments whose next step is due, exits those whose
exit condition happened since they entered, does the due steps of the others
(up to their next wait) and moves them on, all in bulk: the number of storage
calls depends on the kinds of steps, never on the number of enrolments.  A
wait moves the enrolment's ``due_on`` past today, so a second run the same day
finds nothing due (idempotent).  Emails are composed in the run's transaction
and handed to the ``successkit_send_email`` hook once it has committed (MAIL_02).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime, time, timedelta, timezone
from typing import TYPE_CHECKING, Any, ClassVar

import attrs

from successkit.accounts.people import owner_refusal
from successkit.errors import SuccessKitError
from successkit.plans.builders import new_cta
from successkit.plans.emails import EMAIL_PLACEHOLDERS, OutgoingEmail, check_placeholders
from successkit.query.language import Query
from successkit.records import Activity, Company, Cta, EmailTemplate, Person, Program, ProgramEmail, User
from successkit.records.fast_init import trusted_evolve, trusted_maker
from successkit.records.programs import ProgramEnrolment
from successkit.service import stamp

from .definitions import MAX_TEXT
from .events import report
from .program_exits import exited
from .step_report import StepReport

if TYPE_CHECKING:
    from successkit.kit import Kit

__all__ = ["ProgramAdvance", "ProgramRun", "ProgramStep"]

#: Words for each result in a report, for a real run and a dry run.
_WORDS = {
    "sent": ("sent", "would send"),
    "failed": ("failed", "would send"),
    "queued": ("queued", "would send"),
    "created": ("created", "would create"),
    "waiting": ("waits", "would wait"),
    "completed": ("completed", "would complete"),
    "exited": ("exited", "would exit"),
    "skipped": ("skipped", "would skip"),
}

_WHAT = {"send_email": " email", "create_cta": " CTA", "log_activity": " activity"}


@attrs.frozen
class ProgramStep:
    """What an advance did (or, in a dry run, would do) for one enrolment.

    ``action`` is the step (``send_email``, ``create_cta``, ``log_activity``,
    ``wait``) or ``exit`` / ``complete``; ``result`` is ``sent`` or ``failed``
    (an email, once delivered: ``queued`` inside an open transaction),
    ``created``, ``waiting``, ``exited``, ``completed`` or ``skipped`` (``detail`` says why)."""

    program: str
    enrolment_id: str
    target_kind: str
    target_id: str
    target_name: str
    action: str
    result: str
    record_id: str | None = None
    detail: str = ""


@attrs.frozen
class ProgramRun(StepReport):
    """The report of one advance (a dry run holds the same steps, nothing written or sent)."""

    step_class: ClassVar[type[Any]] = ProgramStep
    dry_run: bool
    due: int
    steps: tuple[ProgramStep, ...]

    @property
    def sent(self) -> int:
        """Emails a sender accepted."""
        return self.count("sent")

    @property
    def exited(self) -> int:
        """Enrolments an exit condition stopped."""
        return self.count("exited")

    def describe(self) -> list[str]:
        """One line per step, worded for a dry run ("would send") or a real one."""
        head = f"Programs: {self.due} {'enrolment' if self.due == 1 else 'enrolments'} due"
        lines = [head + (" (dry run, nothing written or sent)" if self.dry_run else "")]
        for s in self.steps:
            word = _WORDS[s.result][1 if self.dry_run else 0]
            what = _WHAT.get(s.action, "")
            lines.append(
                f"  {word}{what}: {s.program!r} for {s.target_kind} {s.target_name!r}"
                + (f" ({s.detail})" if s.detail else "")
            )
        return lines

    def __str__(self) -> str:
        return "\n".join(self.describe())


@attrs.frozen
class Delivery:
    """An email composed by the run, handed to the senders after commit."""

    record: ProgramEmail
    email: OutgoingEmail
    index: int  # its step's place in the report


class ProgramAdvance:
    """One advance: the due enrolments, their exits, then their steps in bulk."""

    def __init__(self, kit: Kit) -> None:
        self.kit = kit
        self.today = kit.today()
        self.now = kit.now()
        self.steps: list[ProgramStep] = []
        self.deliveries: list[Delivery] = []
        self.programs: dict[str, Program] = {}
        self.people: dict[str, Person] = {}
        self.companies: dict[str, Company] = {}
        self.users: dict[str, User] = {}
        self.templates: dict[str, EmailTemplate] = {}
        self.sponsors: dict[str, list[Person]] = {}
        self.emails: list[ProgramEmail] = []
        self.ctas: list[Cta] = []
        self.activities: list[Activity] = []
        self.parsed: dict[str, list[tuple[bool, str]]] = {}
        self.shared: dict[str, dict[str, str]] = {}

    def execute(self) -> ProgramRun:
        kit = self.kit
        self.programs = {
            p.id: p for p in kit.store.query(kit.bind("program", Query(conditions=[("active", "=", True)])))
        }
        due: list[ProgramEnrolment] = []
        if self.programs:
            where = [("state", "=", "active"), ("due_on", "<=", self.today), ("program_id", "in", list(self.programs))]
            due = list(kit.store.query(kit.bind("program_enrolment", Query(conditions=where, sort=["due_on", "id"]))))
        if not due:
            return ProgramRun(False, 0, ())
        self._load(due)
        gone = exited(kit, self.programs, due)
        created = stamp(kit)
        changed: list[tuple[ProgramEnrolment, int]] = []
        for e in due:
            if e.id in gone:
                self._step(e, "exit", "exited", detail=gone[e.id])
                changed.append(self._moved(e, state="exited", exit_reason=gone[e.id], ended_at=self.now))
                continue
            steps = self.programs[e.program_id].definition["steps"]
            i = e.step
            while i < len(steps) and steps[i]["do"] != "wait":
                self._do(e, i, steps[i], created)
                i += 1
            if i < len(steps):
                days = steps[i]["days"]
                changed.append(self._moved(e, step=i + 1, due_on=self.today + timedelta(days=days)))
            else:
                changed.append(self._moved(e, state="completed", step=i, ended_at=self.now))
        self._write(changed)
        return ProgramRun(False, len(due), tuple(self.steps))

    # ----------------------------------------------------------------- reading
    def _load(self, due: Sequence[ProgramEnrolment]) -> None:
        """Everything the due steps read, one read per kind."""
        kit = self.kit
        person_ids = sorted({e.target_id for e in due if e.target_kind == "person"})
        self.people = {p.id: p for p in kit.store.get_many("person", person_ids)}
        company_ids = sorted({e.company_id for e in due})
        self.companies = {c.id: c for c in kit.store.get_many("company", company_ids)}
        user_ids = sorted({c.csm_id for c in self.companies.values() if c.csm_id})
        self.users = {u.id: u for u in kit.store.get_many("user", user_ids)}
        used = [s for p in self.programs.values() for s in p.definition["steps"]]
        template_ids = sorted({s["template_id"] for s in used if s["do"] == "send_email"})
        self.templates = {t.id: t for t in kit.store.get_many("email_template", template_ids)}
        if any(s["do"] == "send_email" and s["to"] == "sponsors" for s in used):
            where = [("company_id", "in", company_ids), ("sponsor", "=", True), ("erased", "=", False)]
            for p in kit.store.query(kit.bind("person", Query(conditions=where, sort=["name", "id"]))):
                self.sponsors.setdefault(p.company_id or "", []).append(p)

    # ------------------------------------------------------------------ helpers
    def _name(self, e: ProgramEnrolment) -> str:
        target = self.people.get(e.target_id) if e.target_kind == "person" else self.companies.get(e.target_id)
        return target.name if target is not None else e.target_id

    def _step(self, e: ProgramEnrolment, action: str, result: str, record_id: str | None = None,
              detail: str = "") -> None:  # fmt: skip
        program = self.programs[e.program_id].name
        self.steps.append(ProgramStep(program, e.id, e.target_kind, e.target_id, self._name(e), action, result,
                                      record_id, detail))  # fmt: skip

    def _moved(self, e: ProgramEnrolment, **changes: Any) -> tuple[ProgramEnrolment, int]:
        new = trusted_evolve(e, **changes, last_run_on=self.today, version=e.version + 1, updated_at=self.now)
        if changes.get("state") == "completed":
            self._step(e, "complete", "completed")
        elif "due_on" in changes:
            self._step(e, "wait", "waiting", detail=f"next step on {changes['due_on']}")
        return new, e.version

    def values(self, e: ProgramEnrolment, person: Person | None) -> dict[str, str]:
        """The placeholder values of an enrolment's texts (company, CSM, person)."""
        shared = self.shared.get(e.company_id)
        if shared is None:  # the company's and its CSM's, once per company
            company = self.companies.get(e.company_id)
            csm = self.users.get(company.csm_id) if company is not None and company.csm_id else None
            shared = self.shared[e.company_id] = {**_values("company", company), **_values("csm", csm)}
        return {**shared, **_values("person", person)} if person is not None else shared

    def render(self, text: str, values: Mapping[str, str]) -> str:
        """:func:`~successkit.plans.emails.render_email`, with each text split once per run."""
        parts = self.parsed.get(text)
        if parts is None:
            parts = self.parsed[text] = _parse(text)
        return "".join(values.get(p, "") if key else p for key, p in parts)

    # ------------------------------------------------------------------ writing
    def _do(self, e: ProgramEnrolment, i: int, step: Mapping[str, Any], created: Mapping[str, Any]) -> None:
        """Step ``i`` of an enrolment: its record, kept for the bulk write."""
        person = self.people.get(e.target_id) if e.target_kind == "person" else None
        if step["do"] == "send_email":
            email = self._email(e, i, step, person, created)
            if email is not None:
                self.emails.append(email)
        elif step["do"] == "create_cta":
            cta = self._cta(e, step, person, created)
            if cta is not None:
                self.ctas.append(cta)
        else:
            self.activities.append(self._activity(e, step, person, created))

    def _write(self, changed: list[tuple[ProgramEnrolment, int]]) -> None:
        """The steps' records and the enrolments moved on: one bulk write per kind."""
        kit = self.kit
        kit.store.insert_many([*self.emails, *self.ctas, *self.activities])
        kit.store.update_many(changed, fields=["state", "step", "due_on", "last_run_on", "ended_at", "exit_reason"])
        if self.ctas:
            kit.notifications.work_created(self.ctas)
        if self.activities:
            report(kit, created=self.activities)  # AUTO_01: event rules hear of them

    def _email(self, e: ProgramEnrolment, i: int, step: Mapping[str, Any], person: Person | None,
               created: Mapping[str, Any]) -> ProgramEmail | None:  # fmt: skip
        template = self.templates.get(step["template_id"])
        if template is None:
            self._step(e, "send_email", "skipped", detail=f"the email template {step['template']!r} was deleted")
            return None
        to: tuple[str, ...] = ()
        people: list[Person] = []
        if step["to"] == "person":
            people = [person] if person is not None and person.email and not person.erased else []
        elif step["to"] == "sponsors":
            people = [p for p in self.sponsors.get(e.company_id, []) if p.email]
            person = people[0] if people else None
        if people:
            to = tuple(dict.fromkeys(str(p.email) for p in people))
        elif step["to"] == "csm":
            company = self.companies.get(e.company_id)
            csm = self.users.get(company.csm_id) if company is not None and company.csm_id else None
            to = (csm.email,) if csm is not None and csm.email else ()
        if not to:
            self._step(e, "send_email", "skipped", detail=f"no address: the email goes to the {step['to']}")
            return None
        values = self.values(e, person)
        record: ProgramEmail = trusted_maker(ProgramEmail)(  # stored values and text rendered from them
            **created, program_id=e.program_id, enrolment_id=e.id, step=i, company_id=e.company_id,
            person_id=person.id if person is not None else None, recipient_ids=tuple(p.id for p in people), to=to,
            subject=self.render(template.subject, values), body=self.render(template.body, values),
        )  # fmt: skip
        outgoing = OutgoingEmail(record.id, e.company_id, to, record.subject, record.body)
        self.deliveries.append(Delivery(record, outgoing, len(self.steps)))
        self._step(e, "send_email", "queued", record.id, template.name)
        return record

    def _cta(self, e: ProgramEnrolment, step: Mapping[str, Any], person: Person | None,
             created: Mapping[str, Any]) -> Cta | None:  # fmt: skip
        company = self.companies.get(e.company_id)
        owner = self.users.get(company.csm_id) if company is not None and company.csm_id else None
        owner_id = owner.id if owner is not None else self.kit.actor_id
        refusal = owner_refusal(owner, "new work") if owner is not None else None
        if refusal is not None or owner_id is None:
            why = str(refusal) if refusal is not None else "no owner: the company has no CSM and no user runs programs"
            self._step(e, "create_cta", "skipped", detail=why)
            return None
        name = _cut(self.render(step["name"], self.values(e, person)))
        due = None if step.get("due_days") is None else self.today + timedelta(days=step["due_days"])
        cta = new_cta(self.kit, created=created, name=name or step["name"], company_id=e.company_id,
                      relationship_id=None, owner_id=owner_id, type=step["type"], reason=step.get("reason"),
                      priority=step.get("priority"), start_date=self.today, due_date=due, source="program",
                      associated_person_ids=(person.id,) if person is not None else ())  # fmt: skip
        self._step(e, "create_cta", "created", cta.id, name)
        return cta

    def _activity(self, e: ProgramEnrolment, step: Mapping[str, Any], person: Person | None,
                  created: Mapping[str, Any]) -> Activity:  # fmt: skip
        subject = _cut(self.render(step["subject"], self.values(e, person))) or step["subject"]
        activity = Activity(
            **created, type=step["type"], subject=subject, notes=step.get("notes"), occurred_at=self.now,
            author_id=self.kit.actor_id, published_at=self.now, level="company", company_id=e.company_id,
            participant_person_ids=(person.id,) if person is not None else (),
        )  # fmt: skip
        self._step(e, "log_activity", "created", activity.id, subject)
        return activity


_TOKEN = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)  # as render_email reads a template


def _parse(text: str) -> list[tuple[bool, str]]:
    """``text`` as (is a placeholder, literal text or ``object.field``) parts, read the way
    :func:`render_email` reads it: what is not a known placeholder stays as it is."""
    parts: list[tuple[bool, str]] = []
    at = 0
    for m in _TOKEN.finditer(text):
        parts.append((False, text[at : m.start()]))
        try:
            (key,) = check_placeholders(m.group(0))
        except SuccessKitError:
            parts.append((False, m.group(0)))
        else:
            parts.append((True, key))
        at = m.end()
    parts.append((False, text[at:]))
    return [p for p in parts if p[0] or p[1]]


def _values(prefix: str, record: Any) -> dict[str, str]:
    if record is None:
        return {}
    out = {}
    for name in EMAIL_PLACEHOLDERS[prefix]:
        value = (record.name.split() or [""])[0] if name == "first_name" else getattr(record, name, None)
        out[f"{prefix}.{name}"] = _text(value)
    return out


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _cut(text: str) -> str:
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "\u2026"


def since(enrolments: Sequence[ProgramEnrolment]) -> datetime:
    """The earliest moment an exit condition can count from: the first enrolment."""
    return min(e.enrolled_at for e in enrolments)


def day_start(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=timezone.utc)


def describe_error(error: BaseException) -> str:
    if isinstance(error, SuccessKitError):
        return str(error)
    return f"{type(error).__name__}: {error}"
