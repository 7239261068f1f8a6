"""Notifications: NOTIF_01-NOTIF_04, digests, failing notifiers, the logging and SMTP notifiers."""

from __future__ import annotations

import email
import logging
import socket
from collections.abc import Callable, Iterator
from datetime import date, datetime, timezone
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller

import successkit as sk
from successkit.plugins import hookimpl
from successkit.plugins.smtp_notifier import SmtpNotifier

from .helpers import World, snapshot


class Recorder:
    """A notifier plugin that keeps what it is given."""

    def __init__(self) -> None:
        self.got: list[sk.Notification] = []

    @hookimpl
    def successkit_deliver(self, notification: sk.Notification, kit: sk.Kit) -> None:
        self.got.append(notification)

    def events(self) -> list[tuple[str, str]]:
        return [(n.event, n.recipient.name) for n in self.got]


class Boom:
    @hookimpl
    def successkit_deliver(self, notification: sk.Notification) -> None:
        raise RuntimeError("the chat service is down")


class NotifyWorld(World):
    def __init__(self, kit: sk.Kit, recorder: Recorder) -> None:
        super().__init__(kit)
        self.rec = recorder
        self.carol = kit.users.create("Carol", email="carol@example.com")
        self.alice = kit.users.update(self.alice, email="alice@example.com")
        self.me = kit.as_user(self.carol)  # the acting user for most changes


@pytest.fixture
def nw(open_kit: Callable[..., sk.Kit]) -> NotifyWorld:
    rec = Recorder()
    return NotifyWorld(open_kit(plugins=[rec]), rec)


def test_plan_assigned_notifies_the_new_owner__NOTIF_01(nw: NotifyWorld) -> None:
    nw.kit.notifications.subscribe(nw.alice)
    nw.kit.notifications.subscribe(nw.bob)
    plan = nw.me.plans.create("Onboarding", company=nw.acme, plan_type="onboarding", owner=nw.alice)
    assert nw.rec.events() == [("plan_assigned", "Alice")]
    n = nw.rec.got[0]
    assert (n.record_kind, n.record_id, n.actor_id, n.delivery, n.at) == (
        "plan",
        plan.id,
        nw.carol.id,
        "realtime",
        nw.kit.now(),
    )
    assert "Onboarding" in n.title
    nw.me.plans.update(plan, highlights="Nothing about owners")
    assert len(nw.rec.got) == 1
    nw.me.plans.update(plan.id, owner=nw.bob)
    assert nw.rec.events()[-1] == ("plan_assigned", "Bob")


def test_plan_due_date_change_notifies_owner_while_active__NOTIF_01(nw: NotifyWorld) -> None:
    kit = nw.kit
    kit.notifications.subscribe(nw.alice, "plan_due_date_changed")
    plan = nw.plan(due_date=date(2027, 1, 31))
    nw.me.plans.update(plan, due_date=date(2027, 2, 28))  # a draft plan: nobody is told
    assert nw.rec.got == []
    kit.plans.set_status(plan.id, "active")
    nw.me.plans.update(plan.id, due_date=date(2027, 3, 31))
    nw.me.objectives.create(plan.id, "Late objective", due_date=date(2027, 4, 30))  # PLAN_09 moves the plan
    objective = nw.me.objectives.create(plan.id, "Tasks").record
    nw.me.tasks.create(objective, "Late task", due_date=date(2027, 5, 31))
    book = kit.playbooks.create("Long", [{"name": "Far away", "due_days": 400}])
    nw.me.objectives.apply_playbook(objective.id, book)
    assert [n.event for n in nw.rec.got] == ["plan_due_date_changed"] * 4
    assert [n.message for n in nw.rec.got] == [
        "from 2027-02-28 to 2027-03-31",
        "from 2027-03-31 to 2027-04-30",
        "from 2027-04-30 to 2027-05-31",
        "from 2027-05-31 to 2027-12-29",
    ]
    assert {n.recipient.id for n in nw.rec.got} == {nw.alice.id}


def test_cta_or_objective_assigned_notifies_the_user__NOTIF_01(nw: NotifyWorld) -> None:
    kit = nw.kit
    kit.notifications.subscribe(nw.bob, "cta_assigned")
    kit.notifications.subscribe(nw.alice, "cta_assigned")
    plan = nw.plan()
    objective = nw.me.objectives.create(plan, "Kickoff", owner=nw.bob).record
    nw.me.ctas.create("Risk", company=nw.acme, type="risk", owner=nw.bob)
    nw.me.objectives.update(objective, owner=nw.alice)
    nw.me.objectives.update(objective.id, owner=nw.pat)  # a person: no user to tell
    assert nw.rec.events() == [("cta_assigned", "Bob"), ("cta_assigned", "Bob"), ("cta_assigned", "Alice")]
    assert [n.record_kind for n in nw.rec.got] == ["objective", "cta", "objective"]


def test_only_subscribed_users_are_notified__NOTIF_02(nw: NotifyWorld) -> None:
    kit = nw.kit
    kit.notifications.subscribe(nw.alice, "plan_assigned")
    plan = nw.me.plans.create("P", company=nw.acme, plan_type="onboarding", owner=nw.alice)
    nw.me.objectives.create(plan, "Kickoff", owner=nw.alice)  # cta_assigned: not chosen
    nw.me.plans.update(plan, owner=nw.bob)  # Bob chose nothing
    assert nw.rec.events() == [("plan_assigned", "Alice")]
    kit.notifications.unsubscribe(nw.alice)
    nw.me.plans.update(plan.id, owner=nw.alice)
    assert len(nw.rec.got) == 1
    assert kit.notifications.subscriptions(nw.alice) == []


def test_subscriptions_are_checked__NOTIF_02(nw: NotifyWorld) -> None:
    kit = nw.kit
    before = snapshot(kit)
    with pytest.raises(sk.ValidationError, match="events are among"):
        kit.notifications.subscribe(nw.alice, "plan_deleted")
    with pytest.raises(sk.ValidationError, match="delivery is one of"):
        kit.notifications.subscribe(nw.alice, delivery="hourly")
    assert snapshot(kit) == before
    kit.notifications.subscribe(nw.alice, ["plan_assigned", "cta_assigned"], delivery="daily")
    kit.notifications.subscribe(nw.alice, "cta_assigned", delivery="weekly")
    assert [(s.event, s.delivery) for s in kit.notifications.subscriptions(nw.alice)] == [
        ("cta_assigned", "weekly"),
        ("plan_assigned", "daily"),
    ]


def test_notification_goes_out_only_after_commit__NOTIF_03(nw: NotifyWorld) -> None:
    nw.kit.notifications.subscribe(nw.alice)
    with nw.me.transaction():
        nw.me.plans.create("P", company=nw.acme, plan_type="onboarding", owner=nw.alice)
        assert nw.rec.got == []  # still inside the transaction
    assert nw.rec.events() == [("plan_assigned", "Alice")]


def test_rolled_back_change_notifies_nobody__NOTIF_03(nw: NotifyWorld) -> None:
    kit = nw.kit
    kit.notifications.subscribe(nw.alice, "plan_assigned")
    kit.notifications.subscribe(nw.bob, "plan_assigned", delivery="daily")
    before = snapshot(kit)
    with pytest.raises(RuntimeError), nw.me.transaction():
        nw.me.plans.create("P", company=nw.acme, plan_type="onboarding", owner=nw.alice)
        nw.me.plans.create("Q", company=nw.acme, plan_type="onboarding", owner=nw.bob)
        raise RuntimeError("the caller changed its mind")
    assert nw.rec.got == []
    assert snapshot(kit) == before  # no plan, no digest item
    assert kit.notifications.pending() == []


def test_failed_operation_inside_a_transaction_notifies_nobody__NOTIF_03(nw: NotifyWorld) -> None:
    """A nested step that fails and is caught drops its notifications with its writes."""
    nw.kit.notifications.subscribe(nw.alice)
    nw.kit.notifications.subscribe(nw.bob)
    with nw.me.transaction():
        nw.me.plans.create("P", company=nw.acme, plan_type="onboarding", owner=nw.alice)
        with pytest.raises(sk.RuleViolation), nw.me.transaction():
            nw.me.plans.create("Q", company=nw.acme, plan_type="onboarding", owner=nw.bob)
            nw.me.plans.create("q", company=nw.acme, plan_type="onboarding", owner=nw.bob)  # PLAN_02
    assert nw.rec.events() == [("plan_assigned", "Alice")]


def test_a_failing_notifier_is_logged_and_does_not_stop_others__NOTIF_03(
    open_kit: Callable[..., sk.Kit], caplog: pytest.LogCaptureFixture
) -> None:
    rec = Recorder()
    kit = open_kit(plugins=[rec, Boom()])
    w = World(kit)
    kit.notifications.subscribe(w.alice)
    with caplog.at_level(logging.ERROR, logger="successkit.engagement.notifications"):
        plan = kit.plans.create("P", company=w.acme, plan_type="onboarding", owner=w.alice)
    assert [n.event for n in rec.got] == ["plan_assigned"]
    assert kit.plans.get(plan.id).owner_id == w.alice.id  # the change stays
    failures = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(failures) == 1 and "failed to deliver plan_assigned" in failures[0].getMessage()
    assert failures[0].exc_info is not None and "chat service is down" in str(failures[0].exc_info[1])


def test_nobody_is_notified_of_their_own_action__NOTIF_04(nw: NotifyWorld) -> None:
    kit = nw.kit
    kit.notifications.subscribe(nw.alice)
    me = kit.as_user(nw.alice)
    plan = me.plans.create("Mine", company=nw.acme, plan_type="onboarding", owner=nw.alice)
    me.objectives.create(plan, "Mine too", owner=nw.alice)
    me.plans.set_status(plan.id, "active")
    me.plans.update(plan.id, due_date=date(2027, 6, 30))
    assert nw.rec.got == []
    nw.me.plans.update(plan.id, due_date=date(2027, 7, 31))  # someone else's action
    assert nw.rec.events() == [("plan_due_date_changed", "Alice")]


def test_inactive_users_are_not_notified__NOTIF_02(nw: NotifyWorld) -> None:
    kit = nw.kit
    kit.notifications.subscribe(nw.alice)
    plan = nw.plan()
    kit.plans.set_status(plan.id, "active")
    nw.rec.got.clear()
    kit.users.deactivate(nw.alice.id)
    nw.me.plans.update(plan.id, due_date=date(2027, 6, 30))
    assert nw.rec.got == []


def test_daily_digest_sends_yesterdays_items__NOTIF_04(nw: NotifyWorld, clock: sk.FixedClock) -> None:
    kit = nw.kit
    kit.notifications.subscribe(nw.alice, delivery="daily")
    plan = nw.me.plans.create("P", company=nw.acme, plan_type="onboarding", owner=nw.alice)
    clock.advance(minutes=5)
    nw.me.objectives.create(plan, "Kickoff", owner=nw.alice)
    assert nw.rec.got == [] and len(kit.notifications.pending(nw.alice)) == 2
    assert kit.notifications.send_digests() == []  # still the same day
    clock.set(datetime(2026, 11, 25, 0, 0, tzinfo=timezone.utc))
    sent = kit.notifications.send_digests()
    assert [(n.event, n.delivery, n.recipient.name, len(n.items)) for n in nw.rec.got] == [
        ("digest", "daily", "Alice", 2)
    ]
    assert sent == nw.rec.got
    assert [i.event for i in sent[0].items] == ["plan_assigned", "cta_assigned"]
    assert kit.notifications.pending() == []
    assert kit.notifications.send_digests() == []  # sent once


def test_weekly_digest_waits_for_the_week_to_end__NOTIF_04(nw: NotifyWorld, clock: sk.FixedClock) -> None:
    kit = nw.kit
    kit.notifications.subscribe(nw.alice, "plan_assigned", delivery="weekly")
    kit.notifications.subscribe(nw.bob, "plan_assigned", delivery="daily")
    nw.me.plans.create("P", company=nw.acme, plan_type="onboarding", owner=nw.alice)  # Tuesday 24 Nov
    nw.me.plans.create("Q", company=nw.acme, plan_type="onboarding", owner=nw.bob)
    clock.set(datetime(2026, 11, 29, 23, 0, tzinfo=timezone.utc))  # Sunday
    assert [(n.recipient.name, n.delivery) for n in kit.notifications.send_digests()] == [("Bob", "daily")]
    clock.set(datetime(2026, 11, 30, 0, 1, tzinfo=timezone.utc))  # Monday: a new week
    assert [(n.recipient.name, n.delivery) for n in kit.notifications.send_digests()] == [("Alice", "weekly")]
    assert kit.notifications.pending() == []


def test_unsubscribing_drops_waiting_digest_items__NOTIF_02(nw: NotifyWorld, clock: sk.FixedClock) -> None:
    kit = nw.kit
    kit.notifications.subscribe(nw.alice, delivery="daily")
    nw.me.plans.create("P", company=nw.acme, plan_type="onboarding", owner=nw.alice)
    kit.notifications.unsubscribe(nw.alice, "plan_assigned")
    clock.advance(days=1)
    assert kit.notifications.send_digests() == []


def test_logging_notifier_is_built_in(nw: NotifyWorld, caplog: pytest.LogCaptureFixture) -> None:
    nw.kit.notifications.subscribe(nw.alice)
    with caplog.at_level(logging.INFO, logger="successkit.notify"):
        nw.me.plans.create("Logged", company=nw.acme, plan_type="onboarding", owner=nw.alice)
    lines = [r.getMessage() for r in caplog.records if r.name == "successkit.notify"]
    assert lines == ["[plan_assigned/realtime] to Alice <alice@example.com>: Success plan 'Logged' was assigned to you"]


# ------------------------------------------------------------------------- SMTP
class _Inbox:
    """An aiosmtpd handler keeping every message it receives."""

    def __init__(self) -> None:
        self.envelopes: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append(envelope)
        return "250 Message accepted"

    def messages(self) -> list[Message]:
        return [email.message_from_bytes(e.content) for e in self.envelopes]


@pytest.fixture
def smtp_server() -> Iterator[tuple[str, int, _Inbox]]:
    """A real SMTP server on loopback, for the duration of one test."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield "127.0.0.1", port, inbox
    finally:
        controller.stop()


def test_smtp_notifier_emails_the_recipient__NOTIF_03(
    open_kit: Callable[..., sk.Kit], smtp_server: tuple[str, int, _Inbox], clock: sk.FixedClock
) -> None:
    host, port, inbox = smtp_server
    notifier = SmtpNotifier(host=host, port=port, sender="cs@example.com")
    kit = open_kit(plugins=[notifier])
    w = World(kit)
    alice = kit.users.update(w.alice, email="alice@example.com")
    kit.notifications.subscribe(alice)
    kit.plans.create("Onboarding", company=w.acme, plan_type="onboarding", owner=alice)
    assert len(inbox.envelopes) == 1
    envelope = inbox.envelopes[0]
    assert (envelope.mail_from, envelope.rcpt_tos) == ("cs@example.com", ["alice@example.com"])
    msg = inbox.messages()[0]
    assert msg["Subject"] == "Success plan 'Onboarding' was assigned to you"
    assert msg["X-Successkit-Event"] == "plan_assigned"
    assert "Hello Alice," in msg.get_payload()


def test_smtp_notifier_sends_digests_and_uses_the_lookup(
    open_kit: Callable[..., sk.Kit], smtp_server: tuple[str, int, _Inbox], clock: sk.FixedClock
) -> None:
    host, port, inbox = smtp_server
    directory = {"Alice": "a.smith@corp.example"}
    notifier = SmtpNotifier(
        host=host, port=port, sender="cs@example.com", email_of=lambda user: directory.get(user.name)
    )
    kit = open_kit(plugins=[notifier])
    w = World(kit)
    kit.notifications.subscribe(w.alice, delivery="daily")
    kit.notifications.subscribe(w.bob)  # Bob has no address anywhere: skipped, not an error
    plan = kit.plans.create("Onboarding", company=w.acme, plan_type="onboarding", owner=w.alice)
    clock.advance(minutes=5)
    kit.objectives.create(plan, "Kickoff", owner=w.alice)
    kit.plans.update(plan.id, owner=w.bob)
    assert inbox.envelopes == []
    clock.advance(days=1)
    kit.notifications.send_digests()
    assert [e.rcpt_tos for e in inbox.envelopes] == [["a.smith@corp.example"]]
    body = inbox.messages()[0].get_payload()
    assert "- Success plan 'Onboarding' was assigned to you" in body
    assert "- Objective 'Kickoff' was assigned to you" in body


def test_smtp_failure_is_logged_and_keeps_the_change__NOTIF_03(
    open_kit: Callable[..., sk.Kit], caplog: pytest.LogCaptureFixture
) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    kit = open_kit(plugins=[SmtpNotifier(host="127.0.0.1", port=port, timeout=2)])
    w = World(kit)
    kit.users.update(w.alice, email="alice@example.com")
    kit.notifications.subscribe(w.alice)
    with caplog.at_level(logging.ERROR, logger="successkit.engagement.notifications"):
        plan = kit.plans.create("P", company=w.acme, plan_type="onboarding", owner=w.alice)
    assert kit.plans.get(plan.id).name == "P"
    assert any("failed to deliver" in r.getMessage() for r in caplog.records)


def test_objectives_from_templates_and_clones_notify_their_owners__NOTIF_01(nw: NotifyWorld) -> None:
    kit = nw.kit
    kit.notifications.subscribe(nw.alice, "cta_assigned")
    kit.notifications.subscribe(nw.bob, "cta_assigned", delivery="daily")
    plan = nw.plan()
    tpl = kit.plan_templates.create(
        "Std", "onboarding", [{"name": f"Step {i}"} for i in range(20)] + [{"name": "Bob's step"}]
    )
    kit.store.stats.reset()
    nw.me.plans.apply_template(plan, tpl, overrides={"21": {"owner": nw.bob}})
    assert kit.store.stats.calls["query"] <= 8  # one subscription query, not one per objective
    assert sorted(nw.rec.events()) == [("cta_assigned", "Alice")] * 20
    assert [d.title for d in kit.notifications.pending(nw.bob)] == ['Objective "Bob\'s step" was assigned to you']
    nw.rec.got.clear()
    nw.me.plans.clone(plan.id, to=nw.other)
    assert len(nw.rec.got) == 20 and len(kit.notifications.pending(nw.bob)) == 2


def test_smtp_subject_with_line_breaks_is_one_safe_header__NOTIF_03_SEC_09(
    open_kit: Callable[..., sk.Kit], smtp_server: tuple[str, int, _Inbox], clock: sk.FixedClock
) -> None:
    """A CR/LF in a title made message() raise a bare ValueError; the subject is now one
    line (no header can be injected) and the body keeps the text."""
    host, port, inbox = smtp_server
    kit = open_kit(plugins=[SmtpNotifier(host=host, port=port, sender="cs@example.com")])
    w = World(kit)
    alice = kit.users.update(w.alice, email="alice@example.com")
    kit.notifications.subscribe(alice)
    plan = w.plan()
    inbox.envelopes.clear()
    kit.notifications.emit(
        "plan_assigned", alice.id, plan, "Renewal\r\nBcc: evil@example.com\u2028\x00now", "see\r\nbelow"
    )
    (msg,) = inbox.messages()
    assert msg["Subject"] == "Renewal Bcc: evil@example.com now"
    assert msg["Bcc"] is None and inbox.envelopes[0].rcpt_tos == ["alice@example.com"]
    assert "Bcc: evil@example.com" in msg.get_payload()
