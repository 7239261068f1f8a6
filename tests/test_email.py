"""Email for real: placeholders (MAIL_01) and sending after commit (MAIL_02),
against a real SMTP server on loopback."""

from __future__ import annotations

import email
import socket
from collections.abc import Callable, Iterator
from datetime import date
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller

import successkit as sk
from successkit.plugins import hookimpl

from .helpers import World, snapshot


class Inbox:
    """An aiosmtpd handler: accepts every message, or refuses each with ``refuse``."""

    def __init__(self) -> None:
        self.envelopes: list[Any] = []
        self.refuse: str | None = None
        self.unknown: set[str] = set()  # addresses refused at RCPT TO

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if address in self.unknown:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.refuse is not None:
            return self.refuse
        self.envelopes.append(envelope)
        return "250 Message accepted"

    def messages(self) -> list[Message]:
        return [email.message_from_bytes(e.content) for e in self.envelopes]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp() -> Iterator[tuple[int, Inbox]]:
    """A real SMTP server on 127.0.0.1 for one test."""
    port = _free_port()
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, inbox
    finally:
        controller.stop()


class Outbox:
    """A sender plugin that keeps what it is given and accepts it."""

    def __init__(self) -> None:
        self.sent: list[sk.OutgoingEmail] = []

    @hookimpl
    def successkit_send_email(self, email: sk.OutgoingEmail, kit: sk.Kit) -> bool:
        assert not kit.store.in_transaction  # MAIL_02: after the commit, never inside it
        self.sent.append(email)
        return True


class MailWorld(World):
    """A company with a CSM, a relationship, a sponsor; a welcome template and playbook."""

    def __init__(self, kit: sk.Kit) -> None:
        super().__init__(kit)
        self.carla = kit.users.create("Carla Diaz", email="carla@vendor.example")
        self.acme = kit.companies.update(self.acme, csm_id=self.carla.id, industry="Retail", arr=120000.0)
        self.kim = kit.people.create("Kim Lee", company=self.acme, email="kim@acme.example", title="CTO")
        self.welcome = kit.playbooks.create_email_template(
            "Welcome",
            "Welcome to {{ plan.name }}, {{person.first_name}}",
            "Hello {{person.name}} ({{person.title}}) of {{company.name}},\n"
            "your CSM is {{csm.name}} <{{csm.email}}>; {{cta.name}} is due {{cta.due_date}}.\n"
            "Industry {{company.industry}}, ARR {{company.arr}}, {{relationship.name}}.\n"
            "Literal {0.__dict__} and {company.name} stay as they are.",
        )
        self.book = self.kit.playbooks.create(
            "Kickoff", [{"name": "Send the welcome email", "due_days": 2, "email_template": self.welcome}]
        )

    def email_task(self) -> sk.Task:
        """An email task from the playbook, on an objective of a plan, for Kim."""
        plan = self.plan("Onboarding")
        obj = self.kit.objectives.create(
            plan, "Kickoff", relationship=self.rel, associated_persons=[self.kim], due_date=date(2027, 1, 15)
        ).record
        self.kit.objectives.apply_playbook(obj, self.book)
        (task,) = self.kit.objectives.tasks(obj)
        assert task.email_state == "verify"
        return task


@pytest.fixture
def mw(kit: sk.Kit) -> MailWorld:
    return MailWorld(kit)


# ------------------------------------------------------------------ MAIL_01
@pytest.mark.parametrize(
    "text",
    [
        "Hi {{company.nickname}}",  # an unknown field
        "Hi {{customer.name}}",  # an unknown object
        "{{company.__class__}}",  # attribute access
        "{{ company.name.__class__.__mro__ }}",
        "{{company.name:>40}}",  # a format spec
        "{{company.name!r}}",  # a conversion
        "{{company}}",
        "{{}}",
        "{{0.__dict__}}",
    ],
)
def test_unknown_placeholder_is_refused_when_a_template_is_saved__MAIL_01(kit: sk.Kit, text: str) -> None:
    before = snapshot(kit)
    with pytest.raises(sk.RuleViolation) as body_error:
        kit.playbooks.create_email_template("Bad body", "Hello", text)
    with pytest.raises(sk.RuleViolation) as subject_error:
        kit.playbooks.create_email_template("Bad subject", text)
    for error in (body_error.value, subject_error.value):
        assert error.rule == "MAIL_01"
        token = text[text.index("{{") : text.index("}}") + 2]
        assert error.value == token and repr(token) in str(error)
    assert snapshot(kit) == before


def test_known_placeholders_are_accepted_and_listed__MAIL_01(kit: sk.Kit) -> None:
    every = " ".join(f"{{{{{o}.{f}}}}}" for o, fields in sk.EMAIL_PLACEHOLDERS.items() for f in fields)
    assert len(sk.check_placeholders(every)) == sum(len(f) for f in sk.EMAIL_PLACEHOLDERS.values())
    assert sk.check_placeholders("{{ company.name }} {company.name} {0.__dict__} {{company.name}}") == ("company.name",)
    template = kit.playbooks.create_email_template("All", "Hi", every)
    assert template.body == every  # stored as written, filled when sent


def test_ad_hoc_and_bundled_emails_refuse_unknown_placeholders__MAIL_01(mw: MailWorld) -> None:
    kit = mw.kit
    obj = kit.objectives.create(mw.plan(), "O").record
    before = snapshot(kit)
    with pytest.raises(sk.RuleViolation, match=r"MAIL_01.*\{\{person.password\}\}"):
        kit.objectives.send_email(obj, subject="Hi {{person.password}}", draft=True)
    with pytest.raises(sk.RuleViolation, match="MAIL_01"):
        kit.objectives.send_email(obj, subject="Hi", body="{{company.__init__.__globals__}}", draft=True)
    bundle = {
        "format": 1,
        "name": "Bad mail",
        "email_templates": [{"name": "M", "subject": "Hi", "body": "{{csm.phone}}"}],
    }
    with pytest.raises(sk.RuleViolation, match="MAIL_01"):
        kit.bundles.deploy(bundle)
    assert snapshot(kit) == before


def test_rendering_substitutes_only_whitelisted_values__MAIL_01() -> None:
    values = {"company.name": "{{csm.email}} {0.__class__}", "csm.email": "secret@vendor.example"}
    text = "A {{company.name}} B {{csm.email}} C {{company.__class__}} D {company.name} E {{company.name:>9}}"
    # a value that looks like a placeholder is not filled again; unknown tokens stay as written
    assert sk.render_email(text, values) == (
        "A {{csm.email}} {0.__class__} B secret@vendor.example C {{company.__class__}} D {company.name} "
        "E {{company.name:>9}}"
    )
    assert sk.render_email("{{plan.name}}!", {}) == "!"  # a field without a value is empty
    with pytest.raises(sk.ValidationError):
        sk.render_email("x", {"company.name": object()})  # type: ignore[dict-item]


def test_template_renders_company_relationship_person_csm_plan_and_cta__MAIL_01(mw: MailWorld) -> None:
    kit = mw.kit
    outbox = Outbox()
    kit.plugins.register(outbox)
    task = mw.email_task()
    sent = kit.tasks.send_email(task)
    assert sent.email_state == "sent"
    (mail,) = outbox.sent
    assert mail.to == ("kim@acme.example",) and mail.task_id == task.id
    assert mail.subject == "Welcome to Onboarding, Kim"
    assert mail.body == (
        "Hello Kim Lee (CTO) of Acme,\n"
        "your CSM is Carla Diaz <carla@vendor.example>; Kickoff is due 2027-01-15.\n"
        "Industry Retail, ARR 120000, Acme Analytics.\n"
        "Literal {0.__dict__} and {company.name} stay as they are."
    )
    # the task keeps the template's text: the values are those of the moment it is sent
    assert kit.tasks.get(task.id).email_body == mw.welcome.body


def test_hostile_record_values_are_text_never_templates__MAIL_01(mw: MailWorld) -> None:
    kit = mw.kit
    outbox = Outbox()
    kit.plugins.register(outbox)
    kit.companies.update(mw.acme, name="{{csm.email}} {0.__dict__} {company.name!r}")
    kit.tasks.send_email(mw.email_task())
    (mail,) = outbox.sent
    assert "of {{csm.email}} {0.__dict__} {company.name!r}," in mail.body


# ------------------------------------------------------------------ MAIL_02
def test_smtp_sender_delivers_and_the_task_becomes_sent__MAIL_02(
    open_kit: Callable[..., sk.Kit], smtp: tuple[int, Inbox]
) -> None:
    port, inbox = smtp
    kit = open_kit(plugins=[sk.SmtpSender(host="127.0.0.1", port=port, sender="cs@vendor.example", timeout=5)])
    mw = MailWorld(kit)
    task = mw.email_task()
    sent = kit.tasks.send_email(task)
    assert (sent.email_state, sent.email_error) == ("sent", None)
    assert kit.statuses.get("task", sent.status).is_closed and sent.closed_at is not None
    assert kit.tasks.get(task.id) == sent
    (envelope,) = inbox.envelopes
    assert (envelope.mail_from, envelope.rcpt_tos) == ("cs@vendor.example", ["kim@acme.example"])
    (msg,) = inbox.messages()
    assert msg["Subject"] == "Welcome to Onboarding, Kim" and msg["To"] == "kim@acme.example"
    assert msg["X-Successkit-Task"] == task.id
    payload = msg.get_payload(decode=True)
    assert isinstance(payload, bytes)
    body = payload.decode().replace("\r\n", "\n")
    assert body.startswith("Hello Kim Lee (CTO) of Acme,\nyour CSM is Carla Diaz <carla@vendor.example>;")


def test_refused_delivery_stays_in_verify_with_the_error__MAIL_02(
    open_kit: Callable[..., sk.Kit], smtp: tuple[int, Inbox]
) -> None:
    port, inbox = smtp
    inbox.refuse = "550 5.7.1 Relaying denied"
    kit = open_kit(plugins=[sk.SmtpSender(host="127.0.0.1", port=port, sender="cs@vendor.example", timeout=5)])
    mw = MailWorld(kit)
    task = mw.email_task()
    after = kit.tasks.send_email(task, to=["kim@acme.example", "ops@acme.example"])
    assert after.email_state == "verify" and not kit.statuses.get("task", after.status).is_closed
    assert after.email_error is not None and "550 5.7.1 Relaying denied" in after.email_error
    assert after.email_to == ("kim@acme.example", "ops@acme.example")  # the committed change stays
    assert kit.tasks.get(task.id) == after and inbox.envelopes == []
    inbox.refuse = None  # the server accepts again: sending again works and clears the error
    again = kit.tasks.send_email(after)
    assert (again.email_state, again.email_error) == ("sent", None)
    assert inbox.envelopes[0].rcpt_tos == ["kim@acme.example", "ops@acme.example"]


def test_one_refused_recipient_sends_to_nobody__MAIL_02(
    open_kit: Callable[..., sk.Kit], smtp: tuple[int, Inbox]
) -> None:
    """smtplib alone would deliver to the accepted recipients and report success."""
    port, inbox = smtp
    inbox.unknown = {"gone@acme.example"}
    kit = open_kit(plugins=[sk.SmtpSender(host="127.0.0.1", port=port, sender="cs@vendor.example", timeout=5)])
    mw = MailWorld(kit)
    after = kit.tasks.send_email(mw.email_task(), to=["kim@acme.example", "gone@acme.example"])
    assert after.email_state == "verify" and inbox.envelopes == []
    assert after.email_error is not None and "gone@acme.example: 550 5.1.1 No such user here" in after.email_error
    assert "kim@acme.example" not in after.email_error


def test_unreachable_server_is_recorded_on_the_task__MAIL_02(open_kit: Callable[..., sk.Kit]) -> None:
    kit = open_kit(plugins=[sk.SmtpSender(host="127.0.0.1", port=_free_port(), timeout=2)])
    mw = MailWorld(kit)
    after = kit.tasks.send_email(mw.email_task())
    assert after.email_state == "verify"
    assert after.email_error is not None and "ConnectionRefusedError" in after.email_error


def test_send_happens_only_after_commit_and_not_on_rollback__MAIL_02(mw: MailWorld) -> None:
    kit = mw.kit
    outbox = Outbox()
    kit.plugins.register(outbox)
    task = mw.email_task()
    with pytest.raises(RuntimeError), kit.transaction():
        kit.tasks.send_email(task)
        raise RuntimeError("the caller's work failed")
    assert outbox.sent == [] and kit.tasks.get(task.id).email_state == "verify"
    with kit.transaction():
        inside = kit.tasks.send_email(task)
        assert inside.email_state == "verify" and outbox.sent == []  # not inside the transaction
    assert len(outbox.sent) == 1 and kit.tasks.get(task.id).email_state == "sent"


def test_without_sender_or_recipient_the_task_stays_in_verify__MAIL_02(mw: MailWorld) -> None:
    kit = mw.kit
    task = mw.email_task()
    after = kit.tasks.send_email(task)
    assert after.email_state == "verify" and "no email sender" in str(after.email_error)
    outbox = Outbox()
    kit.plugins.register(outbox)
    obj = kit.objectives.create(mw.plan("Second"), "O").record
    nobody = kit.objectives.send_email(obj, subject="Hello {{company.name}}").record
    assert nobody.email_state == "verify" and "no recipient" in str(nobody.email_error)
    assert outbox.sent == []
    direct = kit.objectives.send_email(obj, subject="Hello {{company.name}}", to=["kim@acme.example"]).record
    assert direct.email_state == "sent" and outbox.sent[-1].subject == "Hello Acme"


class Broken:
    @hookimpl
    def successkit_send_email(self, email: sk.OutgoingEmail, kit: sk.Kit) -> bool:
        raise RuntimeError("the mail API is down")


class Declining:
    @hookimpl
    def successkit_send_email(self, email: sk.OutgoingEmail, kit: sk.Kit) -> bool:
        return False


def test_a_sender_answering_false_leaves_the_task_in_verify__MAIL_02(mw: MailWorld) -> None:
    kit = mw.kit
    kit.plugins.register(Outbox())
    kit.plugins.register(Declining())  # asked first, and it answers: the outbox is not asked
    after = kit.tasks.send_email(mw.email_task())
    assert (after.email_state, after.email_error) == ("verify", "the email sender did not accept the email")


def test_a_failing_sender_never_undoes_the_change__MAIL_02(mw: MailWorld) -> None:
    kit = mw.kit
    kit.plugins.register(Broken())
    obj = kit.objectives.create(mw.plan(), "O").record
    task = kit.objectives.send_email(obj, subject="Agenda", to=["kim@acme.example"]).record
    assert (task.name, task.email_state, task.email_error) == ("Agenda", "verify", "RuntimeError: the mail API is down")
    assert [t.id for t in kit.objectives.tasks(obj)] == [task.id]


def test_a_task_deleted_before_delivery_is_left_alone__MAIL_02(mw: MailWorld, caplog: pytest.LogCaptureFixture) -> None:
    kit = mw.kit

    class Deleting:
        @hookimpl
        def successkit_send_email(self, email: sk.OutgoingEmail, kit: sk.Kit) -> bool:
            kit.tasks.delete(email.task_id)  # another process deletes it meanwhile
            return True

    kit.plugins.register(Deleting())
    task = mw.email_task()
    with pytest.raises(sk.NotFound):  # the email went; there is no task left to return
        kit.tasks.send_email(task)
    assert "deleted or sent meanwhile" in caplog.text
    assert kit.tasks.list([("id", "=", task.id)]) == []


def test_send_email_checks_its_inputs__MAIL_02_SEC_09(mw: MailWorld) -> None:
    kit = mw.kit
    task = mw.email_task()
    before = snapshot(kit)
    for bad in (["kim@acme.example\r\nBcc: x@evil.example"], "kim@acme.example", [3]):
        with pytest.raises(sk.ValidationError):
            kit.tasks.send_email(task, to=bad)  # type: ignore[arg-type]
    assert snapshot(kit) == before
    with pytest.raises(sk.ValidationError):
        sk.SmtpSender(host="127.0.0.1", sender="a@b.example, c@d.example")


def test_an_acting_user_sends_within_their_rights__MAIL_02(mw: MailWorld) -> None:
    kit = mw.kit
    outbox = Outbox()
    kit.plugins.register(outbox)
    task = mw.email_task()
    with pytest.raises(sk.AccessDenied):
        kit.as_user(mw.bob).tasks.send_email(task)  # a viewer sends nothing
    assert outbox.sent == [] and kit.tasks.get(task.id).email_state == "verify"
    sent = kit.as_user(mw.alice).tasks.send_email(task)  # the plan's owner
    assert sent.email_state == "sent" and kit.tasks.get(task.id).email_state == "sent"
    assert len(outbox.sent) == 1
