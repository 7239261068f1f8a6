"""Programs (MAIL_03): email-then-wait cadences that people or companies go through.

``kit.programs.create`` checks a program whole when it is saved (MAIL_03
refusals name the program and the value).  A target enters with
:meth:`ProgramService.enroll` or through a rule's ``enter_program`` action, once
(RULE_02).  :meth:`ProgramService.advance` is the one run a host schedules (daily,
say; ``successkit programs advance``): idempotent, in one transaction, with a
bounded number of storage calls whatever the number of enrolments, and a dry
run that reports what it would do (RULE_03).  Emails go to the
``successkit_send_email`` hook after the run commits; each is recorded as a
:class:`~successkit.records.ProgramEmail`, ``sent`` once a sender accepted it
(MAIL_02).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from contextlib import nullcontext
from functools import partial
from typing import TYPE_CHECKING, Any

import attrs

from successkit.errors import NotFound, RuleViolation, SuccessKitError, ValidationError
from successkit.query.language import Query
from successkit.records import Company, Person, Program, ProgramEmail
from successkit.records.checks import flag, require_text
from successkit.records.fast_init import trusted_evolve
from successkit.records.programs import ENROLMENT_STATES, ProgramEnrolment
from successkit.retry import retry
from successkit.service import Service, stamp

from .program_run import Delivery, ProgramAdvance, ProgramRun, ProgramStep, describe_error
from .program_steps import PROGRAM_STEPS, PROGRAM_TARGETS, RECIPIENTS, check_program

if TYPE_CHECKING:
    from successkit.kit import Kit

__all__ = ["PROGRAM_STEPS", "PROGRAM_TARGETS", "RECIPIENTS", "ProgramRun", "ProgramService", "ProgramStep"]

log = logging.getLogger(__name__)
#: The lock every advance holds (SEC_04): two hosts advancing at once take turns.
LOCK = "programs:advance"
#: Longest delivery error kept on an email.
_ERROR_LENGTH = 500
_DEFINITION_KEYS = frozenset({"name", "steps", "target", "exit", "description", "active"})


class ProgramService(Service[Program]):
    """``kit.programs``: programs, their enrolments, and the scheduled advance."""

    record_class = Program
    named = True

    def create(
        self,
        name: str,
        *,
        steps: Sequence[Mapping[str, Any]],
        target: str = "person",
        exit: Mapping[str, Any] | None = None,
        description: str | None = None,
        active: bool = True,
        bundle: str | None = None,
    ) -> Program:
        """A program (MAIL_03): ``steps`` in order (``send_email``, ``wait``,
        ``create_cta``, ``log_activity``) for people or companies (``target``), and
        ``exit`` conditions (``activity``, ``cta_closed``, ``survey_answered``); see
        ``docs/programs.md``.  Anything it could not run is refused now."""
        name = require_text(self.kind, "name", name)
        active = flag(f"program {name!r}", "active", active)
        definition = check_program(self.kit, name, target, steps, exit)
        with self.kit.transaction():
            self._check_new_name(name)
            program = self._new(
                name=name,
                description=description,
                target=target,
                definition=definition,
                active=active,
                bundle=bundle,
            )
            self.kit.store.insert(program)
        return program

    def create_from(self, spec: Mapping[str, Any], *, bundle: str | None = None) -> Program:
        """A program from a mapping with ``name``, ``steps`` and optionally ``target``,
        ``exit``, ``description``, ``active`` (a solution bundle's program asset)."""
        if not isinstance(spec, Mapping):
            raise RuleViolation("MAIL_03", "a program is a mapping with name and steps", value=spec)
        unknown = set(spec) - _DEFINITION_KEYS
        if unknown:
            raise RuleViolation(
                "MAIL_03",
                f"program {spec.get('name')!r}: unknown key; known: {', '.join(sorted(_DEFINITION_KEYS))}",
                value=sorted(unknown)[0],
            )
        if "steps" not in spec:
            raise RuleViolation("MAIL_03", f"program {spec.get('name')!r}: a program has 'steps'", value=dict(spec))
        values = {k: v for k, v in spec.items() if k != "name"}
        return self.create(spec.get("name"), bundle=bundle, **values)  # type: ignore[arg-type]

    def set_active(self, program: Program | str, active: bool) -> Program:
        """Switch a program on or off: an advance leaves the enrolments of an inactive program where they are."""
        with self.kit.transaction():
            return self._save(self.get(program), {"active": flag(self.kind, "active", active)})

    def delete(self, program: Program | str) -> None:
        """Delete a program with its enrolments and its emails' records."""
        with self.kit.transaction():
            found = self.get(program)
            for kind in ("program_email", "program_enrolment"):
                rows = self.kit.store.query(self.kit.bind(kind, Query(conditions=[("program_id", "=", found.id)])))
                self.kit.store.delete_many(kind, [r.id for r in rows])
            self.kit.store.delete(self.kind, found.id)

    # -------------------------------------------------------------- enrolment
    def enroll(
        self, program: Program | str, targets: Sequence[Person | Company | str], *, source: str = "manual"
    ) -> list[ProgramEnrolment]:
        """Enter people (or companies, for a company program) into ``program``; the
        new enrolments, due at once.  A target already enrolled (whatever its
        state) is left as it is (RULE_02).  Three reads and one write, however many."""
        found = self.get(program)
        kind = found.target
        ids = list(dict.fromkeys(self._target_id(kind, t) for t in self._refs(targets)))
        with self.kit.store.exclusive(f"programs:enrol:{found.id}"), self.kit.transaction():
            records = {r.id: r for r in self.kit.store.get_many(kind, ids)}
            for i in ids:
                record = records.get(i)
                if record is None:
                    raise RuleViolation("MAIL_03", f"program {found.name!r}: no {kind} with this id", value=i)
                if isinstance(record, Person) and (record.erased or not record.company_id):
                    why = "is erased" if record.erased else "belongs to no company"
                    raise RuleViolation("MAIL_03", f"program {found.name!r}: the person {why}", value=i)
            return enrol(self.kit, found, [records[i] for i in ids], source)

    def _target_id(self, kind: str, target: Any) -> str:
        if isinstance(target, (Person, Company)):
            if target.__kind__ != kind:
                raise RuleViolation(
                    "MAIL_03", f"this program enrols a {kind}, not a {target.__kind__}", value=target.id
                )
            return target.id
        if not isinstance(target, str) or not target:
            raise ValidationError(f"expected a {kind} or its id", value=target)
        return target

    def enrolments(self, program: Program | str | None = None, *, state: str | None = None) -> list[ProgramEnrolment]:
        """The enrolments (of one program, in one state), oldest first."""
        where: list[Any] = []
        if program is not None:
            where.append(("program_id", "=", self.get(program).id))
        if state is not None:
            if state not in ENROLMENT_STATES:
                raise ValidationError(f"an enrolment's state is one of {', '.join(ENROLMENT_STATES)}", value=state)
            where.append(("state", "=", state))
        query = Query(conditions=where, sort=["enrolled_at", "id"])
        return list(self.kit.store.query(self.kit.bind("program_enrolment", query)))

    def enrolment_counts(self) -> dict[str, dict[str, int]]:
        """How many enrolments each program has in each state: ``{program id: {"active": 3, ...}}``
        (one grouped count per state)."""
        out: dict[str, dict[str, int]] = {}
        by_program = self.kit.bind_group("program_enrolment", "program_id")
        for state in ENROLMENT_STATES:
            query = self.kit.bind("program_enrolment", Query(conditions=[("state", "=", state)]))
            for program_id, n in self.kit.store.group_counts(query, by_program):
                out.setdefault(program_id, {})[state] = n
        return out

    def emails(self, program: Program | str | None = None, *, state: str | None = None) -> list[ProgramEmail]:
        """The emails programs sent or tried to send (``verify``: not accepted yet, ``error`` says why)."""
        where: list[Any] = []
        if program is not None:
            where.append(("program_id", "=", self.get(program).id))
        if state is not None:
            if state not in ("verify", "sent"):
                raise ValidationError("an email's state is verify or sent", value=state)
            where.append(("state", "=", state))
        query = Query(conditions=where, sort=["created_at", "id"])
        return list(self.kit.store.query(self.kit.bind("program_email", query)))

    # ---------------------------------------------------------------- advance
    def advance(self, *, dry_run: bool = False) -> ProgramRun:
        """Do every due step of every active enrolment, in one transaction (see the
        module docstring); ``dry_run=True`` reports what it would do and writes and
        sends nothing (RULE_03)."""
        dry_run = flag("program advance", "dry_run", dry_run)
        kit = self.kit
        run = ProgramRun(False, 0, ())
        delivered: dict[int, tuple[str, str]] = {}
        try:
            with kit.store.exclusive(LOCK), kit.transaction():
                advance = ProgramAdvance(kit)
                run = advance.execute()
                if dry_run:
                    raise _DryRun
                if advance.deliveries:
                    kit.after_commit(partial(deliver, kit, tuple(advance.deliveries), delivered))
        except _DryRun:
            dry = [attrs.evolve(s, record_id=None) if s.result in ("created", "queued") else s for s in run.steps]
            return attrs.evolve(run, dry_run=True, steps=tuple(dry))
        if not delivered:
            return run
        steps = list(run.steps)
        for index, (result, detail) in delivered.items():
            s = steps[index]
            steps[index] = ProgramStep(s.program, s.enrolment_id, s.target_kind, s.target_id, s.target_name, s.action,
                                       result, s.record_id, detail or s.detail)  # fmt: skip
        return attrs.evolve(run, steps=tuple(steps))


class _DryRun(Exception):
    """Raised to roll back a dry run."""


def enrol(kit: Kit, program: Program, targets: Sequence[Person | Company], source: str) -> list[ProgramEnrolment]:
    """Enrolments for the targets not yet in ``program`` (one read, one write; RULE_02)."""
    where = [("program_id", "=", program.id), ("target_id", "in", [t.id for t in targets])]
    known = {e.target_id for e in kit.store.query(kit.bind("program_enrolment", Query(conditions=where)))}
    created, now, today = stamp(kit), kit.now(), kit.today()
    new = [
        ProgramEnrolment(
            **created,
            program_id=program.id,
            target_kind=program.target,
            target_id=t.id,
            company_id=t.id if isinstance(t, Company) else str(t.company_id),
            due_on=today,
            enrolled_at=now,
            source=source,
        )
        for t in targets
        if t.id not in known
    ]
    kit.store.insert_many(new)
    return new


# ------------------------------------------------------------------- delivery
def deliver(kit: Kit, deliveries: Sequence[Delivery], results: dict[int, tuple[str, str]]) -> None:
    """Hand each email to the senders (after the commit that made them) and record
    the results on their records in one transaction: ``sent`` when accepted,
    the error otherwise (MAIL_02).  ``results`` gets each step's outcome."""
    errors: dict[str, str | None] = {}
    for d in deliveries:
        error: str | None = None
        try:
            accepted = kit.plugins.hook.successkit_send_email(email=d.email, kit=kit)
        except Exception as e:  # a sender's failure is recorded, never raised
            error = describe_error(e)
        else:
            if accepted is None:
                error = "no email sender is installed (a successkit_send_email plugin, such as SmtpSender)"
            elif accepted is False:
                error = "the email sender did not accept the email"
        if error is not None:
            log.warning("program email %s not sent: %s", d.record.id, error)
        errors[d.record.id] = error
        results[d.index] = ("failed", error) if error is not None else ("sent", "")
    try:
        _record(kit, [d.record for d in deliveries], errors)
    except SuccessKitError:  # an email changed or went meanwhile: read them again
        try:
            retry(partial(_record_fresh, kit, errors))
        except Exception:
            log.exception("the results of %d program emails could not be recorded", len(errors))


def _results(kit: Kit, emails: Sequence[ProgramEmail], errors: Mapping[str, str | None]) -> None:
    now = kit.now()
    changed = [
        (trusted_evolve(e, state="verify" if errors[e.id] else "sent", error=(errors[e.id] or "")[:_ERROR_LENGTH]
                        or None, sent_at=None if errors[e.id] else now, version=e.version + 1, updated_at=now),
         e.version)
        for e in emails
        if e.state == "verify"
    ]  # fmt: skip
    kit.store.update_many(changed, fields=["state", "error", "sent_at"])


def _record(kit: Kit, emails: Sequence[ProgramEmail], errors: Mapping[str, str | None]) -> None:
    """The results on the emails as the run wrote them (one write)."""
    with kit.transaction():
        _results(kit, emails, errors)


def _record_fresh(kit: Kit, errors: Mapping[str, str | None]) -> None:
    """The results on the emails as stored now (one read, one write)."""
    with kit.transaction():
        _results(kit, kit.store.get_many("program_email", list(errors)), errors)


# ----------------------------------------------------------------- rule action
def check_enter(kit: Kit, action: Mapping[str, Any]) -> None:
    """A rule's ``enter_program`` action names a program (and, for a program of
    people, which of the company's people enter: ``all`` or ``sponsors``)."""
    try:
        program = kit.programs.get(action["program"])
    except NotFound:
        raise ValidationError("no program with this id or name", value=action["program"]) from None
    people = action.get("people")
    if people is not None and (program.target != "person" or people not in ("all", "sponsors")):
        raise ValidationError("'people' is all or sponsors, for a program of people", value=people)


def enter_from_rule(
    kit: Kit, action: Mapping[str, Any], companies: Mapping[str, Company], source: str
) -> dict[str, tuple[str, str | None, str]]:
    """Enter the rule's targets (by id, with their company) into the action's program:
    a company program takes the company, a program of people the company's people
    (all, or its sponsors).  Per target: (result, enrolment id, detail)."""
    try:
        program = kit.programs.get(action["program"])
    except NotFound:
        return {t: ("skipped", None, f"MAIL_03: program {action['program']!r} was deleted") for t in companies}
    if not program.active:
        return {t: ("skipped", None, f"program {program.name!r} is not active") for t in companies}
    chosen: dict[str, list[Person | Company]] = {}
    if program.target == "company":
        chosen = {t: [c] for t, c in companies.items()}
    else:
        where: list[Any] = [("company_id", "in", sorted({c.id for c in companies.values()})), ("erased", "=", False)]
        if action.get("people") == "sponsors":
            where.append(("sponsor", "=", True))
        people: dict[str, list[Person]] = {}
        for p in kit.store.query(kit.bind("person", Query(conditions=where, sort=["name", "id"]))):
            people.setdefault(p.company_id or "", []).append(p)
        chosen = {t: list(people.get(c.id, [])) for t, c in companies.items()}
    every = list({r.id: r for rs in chosen.values() for r in rs}.values())
    with kit.store.exclusive(f"programs:enrol:{program.id}") if every else nullcontext():
        new = {e.target_id: e for e in enrol(kit, program, every, source)} if every else {}
    out: dict[str, tuple[str, str | None, str]] = {}
    for t, rs in chosen.items():
        entered = [new[r.id] for r in rs if r.id in new]
        if entered:
            out[t] = ("created", entered[0].id, f"{len(entered)} entered program {program.name!r}")
        else:
            why = "no one to enter" if not rs else "RULE_02: already in the program"
            out[t] = ("unchanged", None, f"{why} ({program.name!r})")
    return out
