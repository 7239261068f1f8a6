"""More notification events and org-wide defaults (NOTIF_05), on every backend."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timezone

import attrs
import pytest

import successkit as sk

from .helpers import snapshot
from .test_notifications import NotifyWorld, Recorder


@pytest.fixture
def nw(open_kit: Callable[..., sk.Kit]) -> NotifyWorld:
    rec = Recorder()
    return NotifyWorld(open_kit(plugins=[rec]), rec)


def test_csm_assigned_or_changed_tells_the_new_csm__NOTIF_05(nw: NotifyWorld) -> None:
    kit = nw.kit
    kit.notifications.subscribe(nw.alice, "csm_assigned")
    kit.notifications.subscribe(nw.bob, "csm_assigned", delivery="daily")
    beta = nw.me.companies.create("Beta", csm_id=nw.alice.id)
    nw.me.companies.update(beta, industry="Retail")  # not the CSM: nobody is told
    nw.me.companies.update(beta.id, csm_id=nw.bob.id)
    nw.me.companies.update_many([(nw.acme.id, {"csm_id": nw.alice.id}), (nw.other.id, {"arr": 5})])
    (gamma,) = nw.me.companies.create_many([{"name": "Gamma", "csm_id": nw.alice.id}])
    assert [(n.event, n.recipient.name, n.record_id) for n in nw.rec.got] == [
        ("csm_assigned", "Alice", beta.id),
        ("csm_assigned", "Alice", nw.acme.id),
        ("csm_assigned", "Alice", gamma.id),
    ]
    assert nw.rec.got[0].title == "You are now the CSM of 'Beta'"
    assert [(d.event, d.record_id) for d in kit.notifications.pending(nw.bob)] == [("csm_assigned", beta.id)]
    kit.as_user(nw.alice).companies.update(nw.other.id, csm_id=nw.alice.id)  # NOTIF_04: her own action
    assert len(nw.rec.got) == 3


def test_activity_logged_by_type_tells_the_csms__NOTIF_05(nw: NotifyWorld) -> None:
    kit = nw.kit
    kit.companies.update(nw.acme, csm_id=nw.alice.id)
    kit.relationships.update(nw.rel, csm_id=nw.carol.id)
    kit.notifications.subscribe(nw.alice, "activity_logged:call")  # calls only
    kit.notifications.subscribe(nw.carol, "activity_logged")  # every type
    dave = kit.users.create("Dave")
    as_dave = kit.as_user(dave)
    as_dave.timeline.log("call", "Kickoff call", company=nw.acme)
    as_dave.timeline.log("email", "Follow-up", company=nw.acme)  # Alice chose calls only
    as_dave.timeline.log("meeting", "QBR", relationship=nw.rel)  # Carol: the relationship's CSM
    draft = as_dave.timeline.save_draft("call", "Draft call", relationship=nw.rel)
    assert [(n.event, n.recipient.name) for n in nw.rec.got] == [
        ("activity_logged:call", "Alice"),
        ("activity_logged:meeting", "Carol"),
    ]
    assert nw.rec.got[0].title == "Call logged on 'Acme': Kickoff call"
    as_dave.timeline.publish(draft)  # published: now it is logged
    assert [(n.event, n.recipient.name) for n in nw.rec.got[2:]] == [
        ("activity_logged:call", "Alice"),
        ("activity_logged:call", "Carol"),
    ]


def test_a_specific_activity_choice_wins_over_the_general_one__NOTIF_05(nw: NotifyWorld) -> None:
    kit = nw.kit
    kit.companies.update(nw.acme, csm_id=nw.alice.id)
    kit.notifications.subscribe(nw.alice, "activity_logged", delivery="daily")
    kit.notifications.subscribe(nw.alice, "activity_logged:call")
    nw.me.timeline.log("call", "Call", company=nw.acme)
    nw.me.timeline.log("email", "Email", company=nw.acme)
    assert [n.event for n in nw.rec.got] == ["activity_logged:call"]
    assert [d.event for d in kit.notifications.pending(nw.alice)] == ["activity_logged:email"]
    with pytest.raises(sk.ValidationError, match="events are among"):
        kit.notifications.subscribe(nw.alice, "activity_logged:telepathy")


def test_goal_status_changed_tells_the_csm__NOTIF_05(nw: NotifyWorld) -> None:
    kit = nw.kit
    kit.companies.update(nw.acme, csm_id=nw.alice.id)
    kit.notifications.subscribe(nw.alice, "goal_status_changed")
    goal = nw.me.goals.create("Adopt reporting", company=nw.acme)
    nw.me.goals.update(goal, description="No status change")
    nw.me.goals.set_status(goal.id, "achieved")
    ((n),) = nw.rec.got
    assert (n.event, n.recipient.name, n.record_kind, n.record_id) == ("goal_status_changed", "Alice", "goal", goal.id)
    assert (n.title, n.message) == ("Goal 'Adopt reporting' is now Achieved", "from not_started to achieved")


def test_grade_changed_on_recompute_tells_the_csm__NOTIF_05(nw: NotifyWorld) -> None:
    kit = nw.kit
    kit.companies.update(nw.acme, csm_id=nw.alice.id)
    kit.notifications.subscribe(nw.alice, "grade_changed")
    kit.measures.create("sentiment", label="CSM sentiment", staleness_days=30)
    kit.scorecards.create("standard", default=True, measures=["sentiment"])
    kit.scorecards.set_value(nw.acme, "sentiment", 95)
    first = kit.scorecards.recompute()
    kit.scorecards.set_value(nw.acme, "sentiment", 10)
    second = kit.scorecards.recompute()
    kit.scorecards.recompute()  # nothing changes: nobody is told
    changes = [c for run in (first, second) for c in run.grade_changes if c.record_id == nw.acme.id]
    assert len(changes) == 2
    assert [(n.event, n.recipient.name, n.record_id) for n in nw.rec.got] == [
        ("grade_changed", "Alice", nw.acme.id)
    ] * 2
    assert [n.message for n in nw.rec.got] == [f"from {c.old or 'no grade'} to {c.new or 'no grade'}" for c in changes]


def test_overdue_work_is_notified_once_per_due_date__NOTIF_05(nw: NotifyWorld, clock: sk.FixedClock) -> None:
    kit = nw.kit
    kit.notifications.subscribe(nw.alice, "overdue")
    cta = kit.ctas.create(
        "Renewal call", company=nw.acme, type="risk", owner=nw.alice, due_date=date(2026, 11, 30)
    ).record
    plan = nw.plan()
    objective = kit.objectives.create(plan, "Kickoff", owner=nw.alice, due_date=date(2026, 12, 5)).record
    task = kit.tasks.create(objective, "Send agenda", owner=nw.alice, due_date=date(2026, 12, 2)).record
    done = kit.ctas.create("Done", company=nw.acme, type="risk", owner=nw.alice, due_date=date(2026, 11, 30))
    kit.ctas.set_status(done.record.id, "closed_success")
    kit.objectives.create(plan, "Pat's", owner=nw.pat, due_date=date(2026, 11, 30))  # a person: no user to tell
    assert kit.notifications.notify_overdue() == []  # nothing is late yet
    clock.set(datetime(2026, 12, 3, 8, 0, tzinfo=timezone.utc))
    notices = kit.notifications.notify_overdue()
    assert {(n.record_kind, n.record_id) for n in notices} == {("cta", cta.id), ("task", task.id)}
    assert sorted(n.title for n in nw.rec.got) == ["CTA 'Renewal call' is overdue", "Task 'Send agenda' is overdue"]
    assert kit.notifications.notify_overdue() == []  # once per due date
    kit.ctas.update(cta.id, due_date=date(2026, 12, 10))
    clock.set(datetime(2026, 12, 11, 8, 0, tzinfo=timezone.utc))
    later = kit.notifications.notify_overdue()
    assert {(n.record_kind, n.record_id, n.due_date) for n in later} == {
        ("cta", cta.id, date(2026, 12, 10)),
        ("objective", objective.id, date(2026, 12, 5)),
    }
    assert len(nw.rec.got) == 4 and kit.notifications.notify_overdue() == []


def test_org_wide_default_applies_unless_the_user_chose__NOTIF_05(nw: NotifyWorld) -> None:
    kit = nw.kit
    kit.notifications.set_default("plan_assigned", "daily")
    kit.notifications.subscribe(nw.carol, "plan_assigned")  # Carol's own choice: real time
    assert kit.notifications.defaults() == {"plan_assigned": "daily"}
    assert kit.notifications.default("plan_assigned") == "daily" and kit.notifications.default("overdue") == "off"
    me = kit.as_user(nw.alice)
    me.plans.create("For Carol", company=nw.acme, plan_type="onboarding", owner=nw.carol)
    nw.me.plans.create("For Alice", company=nw.acme, plan_type="onboarding", owner=nw.alice)  # no choice: default
    assert [(n.recipient.name, n.delivery) for n in nw.rec.got] == [("Carol", "realtime")]
    assert [d.title for d in kit.notifications.pending(nw.alice)] == ["Success plan 'For Alice' was assigned to you"]
    kit.notifications.unsubscribe(nw.alice, "plan_assigned")  # her choice: off, whatever the default
    assert [(s.event, s.delivery) for s in kit.notifications.subscriptions(nw.alice)] == [("plan_assigned", "off")]
    nw.me.plans.create("Again", company=nw.acme, plan_type="onboarding", owner=nw.alice)
    assert kit.notifications.pending(nw.alice) == []


def test_activity_default_per_type_falls_back_to_the_general_one__NOTIF_05(nw: NotifyWorld) -> None:
    kit = nw.kit
    kit.companies.update(nw.acme, csm_id=nw.alice.id)
    kit.notifications.set_default("activity_logged", "realtime")
    kit.notifications.set_default("activity_logged:email", "off")
    nw.me.timeline.log("call", "Call", company=nw.acme)
    nw.me.timeline.log("email", "Email", company=nw.acme)
    assert [n.event for n in nw.rec.got] == ["activity_logged:call"]


def test_org_wide_defaults_are_checked_and_for_administrators__NOTIF_05(nw: NotifyWorld) -> None:
    kit = nw.kit
    before = snapshot(kit)
    with pytest.raises(sk.RuleViolation) as e:
        kit.notifications.set_default("plan_assigned", "hourly")
    assert e.value.rule == "NOTIF_05" and e.value.value == "hourly"
    with pytest.raises(sk.ValidationError, match="events are among"):
        kit.notifications.set_default("plan_deleted", "daily")
    with pytest.raises(sk.AccessDenied):
        kit.as_user(nw.bob).notifications.set_default("plan_assigned", "daily")  # a viewer
    with pytest.raises(sk.ValidationError) as bad:
        kit.config.set_setting("notification.default.plan_assigned", "sometimes")
    assert bad.value.rule == "NOTIF_05"
    assert snapshot(kit) == before


def test_rolled_back_changes_notify_nobody_of_the_new_events__NOTIF_05(nw: NotifyWorld) -> None:
    kit = nw.kit
    kit.notifications.set_default(["csm_assigned", "goal_status_changed"], "realtime")
    kit.notifications.subscribe(nw.alice, "activity_logged", delivery="daily")
    kit.companies.update(nw.other, csm_id=nw.alice.id)
    nw.rec.got.clear()
    goal = kit.goals.create("G", company=nw.other)
    before = snapshot(kit)
    with pytest.raises(RuntimeError), nw.me.transaction():
        nw.me.companies.update(nw.acme, csm_id=nw.alice.id)
        nw.me.goals.set_status(goal.id, "achieved")
        nw.me.timeline.log("call", "Call", company=nw.other)
        raise RuntimeError("changed my mind")
    assert nw.rec.got == [] and snapshot(kit) == before and kit.notifications.pending() == []


def test_a_collaborators_activity_tells_the_csm_but_made_up_records_do_not__NOTIF_05_SEC_02(nw: NotifyWorld) -> None:
    """Any user who may log an activity tells the CSMs; a limited user cannot call the
    event methods with a record of their own making to message someone."""
    kit = nw.kit
    kit.companies.update(nw.acme, csm_id=nw.alice.id)
    kit.notifications.subscribe(nw.alice, ["activity_logged", "csm_assigned"])
    as_ian = kit.as_user(nw.ian)  # an internal collaborator
    as_ian.timeline.log("note", "Met the team", company=nw.acme)
    assert [(n.event, n.recipient.name) for n in nw.rec.got] == [("activity_logged:note", "Alice")]
    fake = attrs.evolve(kit.companies.get(nw.other.id), name="Click here", csm_id=nw.alice.id)
    with pytest.raises(sk.AccessDenied) as e:
        as_ian.notifications.csm_assigned([(None, fake)])
    assert e.value.rule == "SEC_02"
    assert len(nw.rec.got) == 1
