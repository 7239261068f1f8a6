"""Programs (MAIL_03): cadences of emails, waits, CTAs and activities that people or
companies enter (by hand or through a rule, once: RULE_02), with exit conditions,
advanced by one idempotent, bounded run (with a dry run, RULE_03) - on every backend,
and delivered to a real SMTP server on loopback."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

import successkit as sk
from successkit.plugins import hookimpl

from .helpers import snapshot
from .test_email import Inbox, smtp  # noqa: F401 - the SMTP server fixture

STEPS: list[dict[str, Any]] = [
    {"do": "send_email", "template": "Hello"},
    {"do": "wait", "days": 3},
    {"do": "send_email", "template": "Nudge"},
    {"do": "wait", "days": 4},
    {"do": "create_cta", "name": "Call {{person.name}}", "type": "lifecycle", "due_days": 5},
    {"do": "log_activity", "type": "update", "subject": "Cadence done for {{person.name}}"},
]


class Outbox:
    """A sender that keeps what it is given and accepts it (or refuses with ``fail``)."""

    def __init__(self) -> None:
        self.sent: list[sk.OutgoingEmail] = []
        self.fail: str | None = None

    @hookimpl
    def successkit_send_email(self, email: sk.OutgoingEmail, kit: sk.Kit) -> bool:
        if self.fail is not None:
            raise RuntimeError(self.fail)
        self.sent.append(email)
        return True


class World:
    def __init__(self, kit: sk.Kit) -> None:
        self.kit = kit
        self.carla = kit.users.create("Carla Diaz", email="carla@vendor.example")
        self.acme = kit.companies.create("Acme", csm_id=self.carla.id)
        self.kim = kit.people.create("Kim Lee", company=self.acme, email="kim@acme.example")
        self.sam = kit.people.create("Sam Roe", company=self.acme, email="sam@acme.example", sponsor=True)
        kit.playbooks.create_email_template(
            "Hello", "Welcome, {{person.first_name}}", "Hi {{person.name}}, I am {{csm.name}} for {{company.name}}."
        )
        kit.playbooks.create_email_template("Nudge", "Still there, {{person.first_name}}?", "{{company.name}}")
        kit.playbooks.create_email_template("Plan", "About {{plan.name}}", "")
        kit.playbooks.create_email_template("Account", "News for {{company.name}}", "From {{csm.name}}")

    def program(self, name: str = "New executive", **kw: Any) -> sk.Program:
        kw.setdefault("steps", STEPS)
        return self.kit.programs.create(name, **kw)


@pytest.fixture
def outbox() -> Outbox:
    return Outbox()


@pytest.fixture
def w(open_kit: Callable[..., sk.Kit], outbox: Outbox) -> World:
    return World(open_kit(plugins=[outbox]))


# ------------------------------------------------------------ checks on save
@pytest.mark.parametrize(
    ("kw", "value"),
    [
        ({"steps": [{"do": "send_email", "template": "Nope"}]}, "Nope"),
        ({"steps": [{"do": "send_email", "template": "Plan"}]}, "{{plan.name}}"),
        (
            {"target": "company", "steps": [{"do": "send_email", "template": "Hello", "to": "csm"}]},
            "{{person.first_name}}",
        ),
        ({"target": "company", "steps": [{"do": "send_email", "template": "Account", "to": "person"}]}, "person"),
        ({"steps": [{"do": "send_email", "template": "Hello", "to": "boss"}]}, "boss"),
        ({"steps": [{"do": "log_activity", "type": "telepathy", "subject": "x"}]}, "telepathy"),
        ({"steps": [{"do": "create_cta", "name": "x", "type": "nope"}]}, "nope"),
        ({"steps": [{"do": "create_cta", "name": "{{cta.name}}", "type": "risk"}]}, "{{cta.name}}"),
        ({"steps": [{"do": "create_cta", "name": "{{company.nickname}}", "type": "risk"}]}, "{{company.nickname}}"),
        ({"steps": [{"do": "create_cta", "name": "Call {name}", "type": "risk"}]}, "{name}"),  # a rule's syntax
        ({"steps": [{"do": "log_activity", "type": "note", "subject": "At {company}"}]}, "{company}"),
        ({"steps": [{"do": "wait", "days": 0}, {"do": "send_email", "template": "Hello"}]}, 0),
        ({"steps": [{"do": "wait", "days": -2}, {"do": "send_email", "template": "Hello"}]}, -2),
        ({"steps": [{"do": "wait", "days": "3"}, {"do": "send_email", "template": "Hello"}]}, "3"),
        ({"steps": [{"do": "wait", "days": 3}]}, "wait"),
        ({"steps": [{"do": "teleport"}]}, "teleport"),
        ({"steps": []}, []),
        ({"target": "relationship"}, "relationship"),
        ({"exit": {"activity": ["telepathy"]}}, "telepathy"),
        ({"exit": {"cta_closed": {"statuses": ["new"]}}}, "new"),
        ({"exit": {"cta_closed": {"types": ["nope"]}}}, "nope"),
        ({"exit": {"replied": True}}, "replied"),
        ({"exit": {"survey_answered": "yes"}}, "yes"),
        ({"exit": {"activity": ["update"]}}, "update"),  # step 6 logs an update: it would exit itself
    ],
)
def test_a_program_is_checked_whole_when_saved__MAIL_03(w: World, kw: dict[str, Any], value: Any) -> None:
    """Unknown template, a placeholder the program cannot fill, unknown activity or CTA
    type or status, a wait that is not a positive whole number: refused, naming the
    program and the value, and nothing is stored."""
    before = snapshot(w.kit)
    with pytest.raises(sk.RuleViolation) as e:
        w.program("Bad one", **kw)
    assert e.value.rule == "MAIL_03" and e.value.value == value
    assert "'Bad one'" in e.value.message
    assert snapshot(w.kit) == before


def test_a_company_program_fills_person_placeholders_from_its_sponsors__MAIL_03(w: World) -> None:
    p = w.program("Sponsor check-in", target="company", steps=[{"do": "send_email", "template": "Hello"}])
    assert p.definition["steps"][0]["to"] == "sponsors" and p.target == "company"
    with pytest.raises(sk.ValidationError):
        w.program("Sponsor check-in", target="company", steps=[{"do": "send_email", "template": "Hello"}])


# ----------------------------------------------------------------- enrolment
def test_entering_twice_is_a_no_op__MAIL_03_RULE_02(w: World) -> None:
    p = w.program()
    (first,) = w.kit.programs.enroll(p, [w.kim])
    assert (first.state, first.step, first.due_on, first.company_id) == ("active", 0, w.kit.today(), w.acme.id)
    assert w.kit.programs.enroll(p.name, [w.kim, w.kim.id]) == []
    assert [e.id for e in w.kit.programs.enrolments(p)] == [first.id]


def test_enrolling_the_wrong_kind_or_nobody_is_refused__MAIL_03(w: World) -> None:
    p = w.program()
    before = snapshot(w.kit)
    for bad in ([w.acme], ["no-such-person"]):
        with pytest.raises(sk.RuleViolation) as e:
            w.kit.programs.enroll(p, bad)
        assert e.value.rule == "MAIL_03"
    assert snapshot(w.kit) == before


# ------------------------------------------------------------------ advance
def test_advance_does_the_due_steps_and_moves_on__MAIL_03(w: World, clock: sk.FixedClock, outbox: Outbox) -> None:
    kit = w.kit
    p = w.program()
    kit.programs.enroll(p, [w.kim])
    run = kit.programs.advance()
    assert run.due == 1 and run.sent == 1 and run.summary() == {"send_email": {"sent": 1}, "wait": {"waiting": 1}}
    (email,) = outbox.sent
    assert (email.to, email.subject) == (("kim@acme.example",), "Welcome, Kim")
    assert email.body == "Hi Kim Lee, I am Carla Diaz for Acme."
    (stored,) = kit.programs.emails(p)
    assert (stored.id, stored.state, stored.error, stored.person_id) == (email.task_id, "sent", None, w.kim.id)
    (e,) = kit.programs.enrolments(p)
    assert (e.step, e.due_on, e.state) == (2, kit.today() + timedelta(days=3), "active")
    assert "sent email: 'New executive' for person 'Kim Lee' (Hello)" in str(run)

    clock.advance(days=2)
    assert kit.programs.advance().due == 0  # not yet due
    clock.advance(days=1)
    assert kit.programs.advance().sent == 1 and outbox.sent[-1].subject == "Still there, Kim?"
    clock.advance(days=4)
    run = kit.programs.advance()
    assert run.summary() == {"create_cta": {"created": 1}, "log_activity": {"created": 1}, "complete": {"completed": 1}}
    (cta,) = kit.ctas.list()
    assert (cta.name, cta.owner_id, cta.source, cta.associated_person_ids) == (
        "Call Kim Lee",
        w.carla.id,
        "program",
        (w.kim.id,),
    )
    (activity,) = kit.store.query(kit.bind("activity", sk.Query()))
    assert (activity.subject, activity.participant_person_ids) == ("Cadence done for Kim Lee", (w.kim.id,))
    (e,) = kit.programs.enrolments(p)
    assert (e.state, e.ended_at) == ("completed", kit.now())
    clock.advance(days=30)
    assert kit.programs.advance().due == 0 and len(outbox.sent) == 2


def test_running_twice_the_same_day_does_nothing_the_second_time__MAIL_03(w: World, outbox: Outbox) -> None:
    kit = w.kit
    p = w.program(steps=[{"do": "send_email", "template": "Hello"}, {"do": "log_activity", "type": "update",
                                                                       "subject": "Hi"}])  # fmt: skip
    kit.programs.enroll(p, [w.kim, w.sam])
    first = kit.programs.advance()
    assert first.due == 2 and first.sent == 2 and first.count("completed") == 2
    before = snapshot(kit)
    second = kit.programs.advance()
    assert (second.due, second.steps) == (0, ())
    assert snapshot(kit) == before and len(outbox.sent) == 2


def test_a_dry_run_reports_and_changes_nothing__MAIL_03_RULE_03(w: World, outbox: Outbox) -> None:
    kit = w.kit
    p = w.program()
    kit.programs.enroll(p, [w.kim, w.sam])
    before = snapshot(kit)
    dry = kit.programs.advance(dry_run=True)
    assert dry.dry_run and dry.due == 2 and snapshot(kit) == before and outbox.sent == []
    assert "would send email: 'New executive' for person 'Kim Lee' (Hello)" in str(dry)
    real = kit.programs.advance()
    assert [(s.action, s.target_name) for s in dry.steps] == [(s.action, s.target_name) for s in real.steps]
    assert len(outbox.sent) == 2


def test_storage_calls_do_not_grow_with_enrolments__MAIL_03(w: World) -> None:
    """10 and 1,000 due enrolments (email, CTA, activity, exit checks): the same number of calls."""
    kit = w.kit
    steps = [*STEPS[:1], *STEPS[4:], {"do": "wait", "days": 2}]
    exit = {"activity": ["meeting"], "cta_closed": True, "survey_answered": True}
    calls = []
    for n in (10, 1000):
        program = w.program(f"P{n}", steps=steps, exit=exit)
        made: dict[str, Any] = {"created_at": kit.now(), "updated_at": kit.now()}
        people = [sk.Person(**made, name=f"Person {n}-{i}", company_id=w.acme.id, email=f"p{n}-{i}@acme.example")
                  for i in range(n)]  # fmt: skip
        kit.store.insert_many(people)
        kit.programs.enroll(program, people)
        kit.store.stats.reset()
        run = kit.programs.advance()
        calls.append(kit.store.stats.total)
        assert run.due == n and run.sent == n and run.count("created") == 2 * n
        assert run.count("completed") == 0 and run.count("waiting") == n
        kit.programs.set_active(program, False)
    assert calls[0] == calls[1], calls


# ------------------------------------------------------------------- exits
def test_an_activity_with_the_person_exits_before_the_next_email__MAIL_03(
    w: World, clock: sk.FixedClock, outbox: Outbox
) -> None:
    kit = w.kit
    p = w.program(exit={"activity": ["meeting"]})
    kit.programs.enroll(p, [w.kim, w.sam])
    kit.programs.advance()
    kit.timeline.log("meeting", "Met Kim", company=w.acme, participants=[w.kim])
    kit.timeline.log("call", "Called Sam", company=w.acme, participants=[w.sam])  # another type: no exit
    clock.advance(days=3)
    run = kit.programs.advance()
    assert run.exited == 1 and run.sent == 1 and outbox.sent[-1].to == ("sam@acme.example",)
    kim = next(e for e in kit.programs.enrolments(p) if e.target_id == w.kim.id)
    assert (kim.state, kim.exit_reason) == ("exited", "a meeting activity was logged: 'Met Kim'")
    assert kit.programs.enrolments(p, state="exited") == [kim]


def test_a_closed_cta_exits_a_company__MAIL_03(w: World, clock: sk.FixedClock) -> None:
    kit = w.kit
    p = w.program("Account", target="company", exit={"cta_closed": {"types": ["risk"]}},
                  steps=[{"do": "send_email", "template": "Account", "to": "csm"}, {"do": "wait", "days": 1},
                         {"do": "send_email", "template": "Account", "to": "csm"}])  # fmt: skip
    kit.programs.enroll(p, [w.acme])
    assert kit.programs.advance().sent == 1
    cta = kit.ctas.create("Rescue", company=w.acme, type="risk", owner=w.carla).record
    kit.ctas.set_status(cta, kit.statuses.in_category("cta", "closed_success")[0])
    clock.advance(days=1)
    run = kit.programs.advance()
    assert run.exited == 1 and run.sent == 0 and "CTA 'Rescue' was closed" in str(run)


def test_a_survey_answer_exits_the_person__MAIL_03(w: World, clock: sk.FixedClock) -> None:
    kit = w.kit
    survey = kit.surveys.create("Pulse", [{"key": "nps", "type": "nps", "text": "Recommend us?"}])
    p = w.program(exit={"survey_answered": True})
    kit.programs.enroll(p, [w.kim, w.sam])
    kit.programs.advance()
    kit.surveys.respond(survey, w.kim, {"nps": 9}, company=w.acme)
    clock.advance(days=3)
    run = kit.programs.advance()
    assert run.exited == 1 and {s.target_name for s in run.steps if s.result == "exited"} == {"Kim Lee"}


# ---------------------------------------------------------------- delivery
def test_a_refused_email_stays_in_verify_and_the_enrolment_moves_on__MAIL_03_MAIL_02(w: World, outbox: Outbox) -> None:
    kit = w.kit
    outbox.fail = "quota exceeded"
    p = w.program()
    kit.programs.enroll(p, [w.kim])
    run = kit.programs.advance()
    assert run.count("failed") == 1 and "RuntimeError: quota exceeded" in str(run)
    (email,) = kit.programs.emails(p, state="verify")
    assert email.error == "RuntimeError: quota exceeded" and email.sent_at is None
    assert kit.programs.enrolments(p)[0].step == 2


def test_no_address_skips_the_email__MAIL_03(w: World, outbox: Outbox) -> None:
    kit = w.kit
    nobody = kit.people.create("No Mail", company=w.acme)
    p = w.program()
    kit.programs.enroll(p, [nobody])
    run = kit.programs.advance()
    assert run.count("skipped", "send_email") == 1 and outbox.sent == [] and kit.programs.emails() == []


def test_email_steps_deliver_to_a_real_smtp_server__MAIL_03(
    open_kit: Callable[..., sk.Kit],
    smtp: tuple[int, Inbox],  # noqa: F811
) -> None:
    port, inbox = smtp
    kit = open_kit(plugins=[sk.SmtpSender(host="127.0.0.1", port=port, sender="cs@vendor.example", timeout=5)])
    w = World(kit)
    p = w.program()
    kit.programs.enroll(p, [w.kim])
    assert kit.programs.advance().sent == 1
    (envelope,) = inbox.envelopes
    assert (envelope.mail_from, envelope.rcpt_tos) == ("cs@vendor.example", ["kim@acme.example"])
    (msg,) = inbox.messages()
    assert msg["Subject"] == "Welcome, Kim"
    payload = msg.get_payload(decode=True)
    assert isinstance(payload, bytes) and payload.decode().strip() == "Hi Kim Lee, I am Carla Diaz for Acme."
    (email,) = kit.programs.emails(p)
    assert email.state == "sent" and msg["X-Successkit-Task"] == email.id
    inbox.refuse = "550 5.7.1 Relaying denied"
    kit.programs.enroll(p, [w.sam])
    assert kit.programs.advance().count("failed") == 1
    (failed,) = kit.programs.emails(p, state="verify")
    assert failed.error is not None and "550" in failed.error


# ------------------------------------------------------------- rule action
def test_a_rule_enters_a_companys_people_once__MAIL_03_RULE_02(w: World) -> None:
    kit = w.kit
    p = w.program()
    kit.rules.create("Onboard", where=[("name", "=", "Acme")],
                     actions=[{"do": "enter_program", "program": p.name}])  # fmt: skip
    dry = kit.rules.run("Onboard", dry_run=True)
    assert dry.summary() == {"enter_program": {"created": 1}} and kit.programs.enrolments() == []
    run = kit.rules.run("Onboard")
    assert run.summary() == {"enter_program": {"created": 1}} and "2 entered program" in run.steps[0].detail
    assert {e.target_id for e in kit.programs.enrolments(p)} == {w.kim.id, w.sam.id}
    assert {e.source for e in kit.programs.enrolments(p)} == {"rule:Onboard"}
    assert kit.rules.run("Onboard").summary() == {"enter_program": {"unchanged": 1}}


def test_a_rule_enters_sponsors_or_the_company__MAIL_03(w: World) -> None:
    kit = w.kit
    people = w.program()
    account = w.program("Account", target="company", steps=[{"do": "send_email", "template": "Account", "to": "csm"}])
    kit.rules.create("Sponsors", actions=[{"do": "enter_program", "program": people.name, "people": "sponsors"},
                                          {"do": "enter_program", "program": account.id}])  # fmt: skip
    kit.rules.run("Sponsors")
    assert [e.target_id for e in kit.programs.enrolments(people)] == [w.sam.id]
    assert [e.target_id for e in kit.programs.enrolments(account)] == [w.acme.id]


def test_a_rule_naming_an_unknown_program_is_refused__MAIL_03_RULE_01(w: World) -> None:
    p = w.program("Account", target="company", steps=[{"do": "send_email", "template": "Account", "to": "csm"}])
    for action, value in [
        ({"do": "enter_program", "program": "Nope"}, "Nope"),
        ({"do": "enter_program", "program": p.name, "people": "all"}, "all"),
    ]:
        with pytest.raises(sk.RuleViolation) as e:
            w.kit.rules.create("Bad", actions=[action])
        assert e.value.rule == "RULE_01" and e.value.value == value


# ----------------------------------------------------------------- the rest
def test_inactive_and_deleted_programs_do_nothing__MAIL_03(w: World, outbox: Outbox) -> None:
    kit = w.kit
    p = w.program()
    kit.programs.enroll(p, [w.kim])
    kit.programs.set_active(p, False)
    assert kit.programs.advance().due == 0
    kit.programs.set_active(p, True)
    kit.programs.advance()
    kit.programs.delete(p)
    assert kit.programs.enrolments() == [] and kit.programs.emails() == [] and kit.programs.count() == 0


def test_create_from_a_mapping__MAIL_03(w: World) -> None:
    p = w.kit.programs.create_from({"name": "From a bundle", "steps": STEPS, "exit": {"activity": ["meeting"]}},
                                   bundle="onboarding")  # fmt: skip
    assert (p.bundle, p.target, len(p.definition["steps"])) == ("onboarding", "person", 6)
    with pytest.raises(sk.RuleViolation) as e:
        w.kit.programs.create_from({"name": "X", "steps": STEPS, "colour": "red"})
    assert e.value.rule == "MAIL_03" and e.value.value == "colour"
    for spec in ({}, {"name": "No steps"}):  # refused naming the rule, not a TypeError
        with pytest.raises(sk.RuleViolation, match="has 'steps'") as e:
            w.kit.programs.create_from(spec)
        assert e.value.rule == "MAIL_03"


# -------------------------------------------------------------- command line
def _console(*args: str) -> Any:
    """The ``successkit`` command in a process of its own."""
    import os
    import subprocess
    import sys

    return subprocess.run(
        [sys.executable, "-m", "successkit.cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=dict(os.environ),
    )


def test_programs_list_and_advance_from_the_command_line__MAIL_03(tmp_path: Any) -> None:
    """``programs list`` and ``programs advance [--dry-run] [--json]``, with ``--url``
    anywhere; a read on no store exits 1 without creating one; the dry run writes nothing."""
    url = f"sqlite:///{tmp_path / 'cs.db'}"
    none = _console("programs", "list", "--url", f"sqlite:///{tmp_path / 'none.db'}")
    assert none.returncode == 1 and "no store at" in none.stderr and not (tmp_path / "none.db").exists()
    kit = sk.open(url, entry_points=False)
    w = World(kit)
    kit.programs.enroll(w.program(), [w.kim])
    kit.close()
    listed = _console("--url", url, "programs", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    (row,) = json.loads(listed.stdout)
    assert (row["name"], row["target"], row["steps"], row["enrolments"]) == (
        "New executive", "person", 6, {"active": 1, "completed": 0, "exited": 0}
    )  # fmt: skip
    dry = _console("programs", "advance", "--dry-run", "--url", url)
    assert dry.returncode == 0 and "would send email: 'New executive' for person 'Kim Lee'" in dry.stdout
    done = _console("programs", "advance", "--json", "--url", url)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert (report["dry_run"], report["due"]) == (False, 1)
    assert report["summary"] == {"send_email": {"failed": 1}, "wait": {"waiting": 1}}  # no sender installed
    again = _console("programs", "advance", "--url", url)
    assert again.returncode == 0 and again.stdout.startswith("Programs: 0 enrolments due")
    text = _console("programs", "list", "--url", url).stdout
    assert "New executive" in text and "1 active" in text
    bad = _console("programs", "advanse", "--url", url)
    assert bad.returncode == 2 and "invalid choice" in bad.stderr


def test_erasing_a_person_deletes_their_enrolments_and_emails__MAIL_03_PERSON_01(w: World) -> None:
    kit = w.kit
    p = w.program()
    kit.programs.enroll(p, [w.kim, w.sam])
    kit.programs.advance()
    kit.people.erase(w.kim)
    assert [e.target_id for e in kit.programs.enrolments(p)] == [w.sam.id]
    assert [e.to for e in kit.programs.emails(p)] == [("sam@acme.example",)]


def test_an_event_rule_enters_a_new_company_into_a_company_program__MAIL_03_AUTO_01(w: World, outbox: Outbox) -> None:
    kit = w.kit
    p = w.program("Welcome", target="company", steps=[{"do": "send_email", "template": "Account", "to": "csm"}])
    kit.rules.create("New accounts", trigger={"on": "created"},
                     actions=[{"do": "enter_program", "program": p.name}])  # fmt: skip
    globex = kit.companies.create("Globex", csm_id=w.carla.id)
    assert [e.target_id for e in kit.programs.enrolments(p)] == [globex.id]
    assert kit.programs.advance().sent == 1 and outbox.sent[0].subject == "News for Globex"
    assert outbox.sent[0].to == ("carla@vendor.example",) and outbox.sent[0].body == "From Carla Diaz"


def test_inside_a_host_transaction_emails_wait_for_its_commit__MAIL_03_MAIL_02(w: World, outbox: Outbox) -> None:
    kit = w.kit
    p = w.program()
    kit.programs.enroll(p, [w.kim])
    with pytest.raises(RuntimeError), kit.transaction():
        assert kit.programs.advance().count("queued") == 1
        raise RuntimeError("the host changes its mind")
    assert outbox.sent == [] and kit.programs.emails() == [] and kit.programs.enrolments(p)[0].step == 0
    with kit.transaction():
        assert kit.programs.advance().count("queued") == 1
        assert outbox.sent == []
    assert len(outbox.sent) == 1 and kit.programs.emails(p)[0].state == "sent"


# ---------------------------------------------------------------- SEC_04
PROCESSES = 3
NOW_OF_TESTS = datetime(2026, 11, 24, 9, 0, tzinfo=timezone.utc)


def _advance_worker(url: str, barrier: Any, results: Any) -> None:
    outbox = Outbox()
    kit = sk.open(url, clock=NOW_OF_TESTS, plugins=[outbox], entry_points=False)
    try:
        barrier.wait(300)  # every process advances at the same moment
        kit.programs.advance()
    finally:
        kit.close()
    results.put([e.to[0] for e in outbox.sent])


@pytest.mark.slow
def test_processes_advancing_at_once_send_each_email_once__MAIL_03_SEC_04(shared_url: str) -> None:
    """3 processes, each with its own kit on the same store, advance at the same moment:
    every enrolment's email goes out exactly once, as from a single run."""
    import multiprocessing

    kit = sk.open(shared_url, clock=NOW_OF_TESTS, entry_points=False)
    try:
        w = World(kit)
        people = [kit.people.create(f"P{i}", company=w.acme, email=f"p{i}@acme.example") for i in range(20)]
        kit.programs.enroll(w.program(), people)
    finally:
        kit.close()
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(PROCESSES), ctx.Queue()
    procs = [ctx.Process(target=_advance_worker, args=(shared_url, barrier, results)) for _ in range(PROCESSES)]
    for p in procs:
        p.start()
    sent = [to for _ in procs for to in results.get(timeout=120)]
    for p in procs:
        p.join(300)
    assert [p.exitcode for p in procs] == [0] * PROCESSES
    assert sorted(sent) == sorted(f"p{i}@acme.example" for i in range(20))


def test_a_fault_at_any_write_leaves_nothing_and_sends_nothing__MAIL_03_STORE_03(w: World, outbox: Outbox) -> None:
    """The advance is one transaction: failing it at each of its writes in turn leaves the
    store as it was and sends no email; the run that gets through sends each email once."""
    from successkit.testing.faults import fail_each_write

    kit = w.kit
    p = w.program(steps=[STEPS[0], *STEPS[4:], {"do": "wait", "days": 1}], exit={"activity": ["meeting"]})
    kit.programs.enroll(p, [w.kim, w.sam])
    points = fail_each_write(kit, kit.programs.advance)
    assert points >= 2  # emails, CTAs and activities inserted; enrolments moved
    assert sorted(e.to for e in outbox.sent) == [("kim@acme.example",), ("sam@acme.example",)]
    assert kit.ctas.count() == 2 and {e.step for e in kit.programs.enrolments(p)} == {4}


def test_the_report_as_a_data_frame__MAIL_03(w: World) -> None:
    pytest.importorskip("pandas")
    w.kit.programs.enroll(w.program(), [w.kim])
    frame = w.kit.programs.advance().to_pandas()
    assert list(frame["action"]) == ["send_email", "wait"] and list(frame["result"]) == ["sent", "waiting"]
    assert list(frame["target_name"]) == ["Kim Lee", "Kim Lee"]


def test_a_cta_step_without_an_owner_is_skipped_and_the_enrolment_moves_on__MAIL_03(w: World) -> None:
    kit = w.kit
    lone = kit.companies.create("Lone Co")
    p = w.program("Account", target="company", steps=[{"do": "create_cta", "name": "Check {{company.name}}",
                                                       "type": "risk"}])  # fmt: skip
    kit.programs.enroll(p, [lone, w.acme])
    run = kit.programs.advance()
    assert run.count("skipped", "create_cta") == 1 and "no owner" in str(run)
    assert [c.name for c in kit.ctas.list()] == ["Check Acme"]
    assert {e.state for e in kit.programs.enrolments(p)} == {"completed"}


def test_a_relationship_rule_enters_its_company__MAIL_03(w: World) -> None:
    kit = w.kit
    rel = kit.relationships.create(w.acme, kit.relationship_types.create("Region"), "Acme EU")
    p = w.program("Account", target="company", steps=[{"do": "send_email", "template": "Account", "to": "csm"}])
    kit.rules.create("Regions", target="relationship", actions=[{"do": "enter_program", "program": p.name}])
    run = kit.rules.run("Regions")
    assert [(s.target_id, s.result) for s in run.steps] == [(rel.id, "created")]
    assert [e.target_id for e in kit.programs.enrolments(p)] == [w.acme.id]


def test_a_person_without_a_company_or_erased_cannot_enter__MAIL_03(w: World) -> None:
    kit = w.kit
    p = w.program()
    loner = kit.people.create("Loner", email="loner@example.com")
    with pytest.raises(sk.RuleViolation) as e:
        kit.programs.enroll(p, [loner])
    assert e.value.rule == "MAIL_03" and e.value.value == loner.id and "belongs to no company" in e.value.message
    assert kit.programs.enrolments() == []


def test_erasing_one_sponsor_deletes_the_emails_that_went_to_them__MAIL_03_PERSON_01(w: World, outbox: Outbox) -> None:
    kit = w.kit
    lee = kit.people.create("Lee Park", company=w.acme, email="lee@acme.example", sponsor=True)
    p = w.program("Sponsors", target="company", steps=[{"do": "send_email", "template": "Hello"}])
    kit.programs.enroll(p, [w.acme])
    kit.programs.advance()
    (email,) = kit.programs.emails(p)
    assert email.to == ("lee@acme.example", "sam@acme.example") and email.person_id == lee.id
    assert outbox.sent[0].subject == "Welcome, Lee"
    kit.people.erase(w.sam)
    assert kit.programs.emails(p) == []


def test_a_rule_whose_program_went_skips_its_targets__MAIL_03(w: World) -> None:
    kit = w.kit
    p = w.program()
    kit.rules.create("Onboard", actions=[{"do": "enter_program", "program": p.name}])
    kit.programs.set_active(p, False)
    assert "is not active" in str(kit.rules.run("Onboard"))
    kit.programs.delete(p)
    run = kit.rules.run("Onboard")
    assert run.summary() == {"enter_program": {"skipped": 1}} and "was deleted" in str(run)
