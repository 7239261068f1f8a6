"""Objectives: OBJ_01-OBJ_10, with USER_01/USER_02 for their owners."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest

import successkit as sk
from successkit.plans.objectives import OBJECTIVE_SORTS
from successkit.plugins import hookimpl

from .helpers import World, snapshot


@pytest.fixture
def w(kit: sk.Kit) -> World:
    return World(kit)


def test_objective_outside_a_plan_is_refused__OBJ_01(w: World) -> None:
    before = snapshot(w.kit)
    with pytest.raises(sk.RuleViolation) as e:
        w.kit.objectives.create(None, "From the cockpit")
    assert e.value.rule == "OBJ_01"
    with pytest.raises(sk.RuleViolation) as e:
        w.kit.ctas.create("From the cockpit", company=w.acme, type="objective", owner=w.alice)
    assert e.value.rule == "OBJ_01"
    assert snapshot(w.kit) == before


def test_objective_has_every_field__OBJ_02(w: World) -> None:
    kit = w.kit
    plan = w.plan(relationship=w.rel)
    out = kit.objectives.create(
        plan.id,
        "Adoption",
        owner=w.pat,
        due_date=date(2027, 1, 15),
        type="objective",
        priority="high",
        status="work_in_progress",
        category="adoption",
        success_criteria="80% weekly active users",
        comments="Agreed at kickoff",
        associated_persons=[w.pat],
        sharing_enabled=False,
    )
    o = kit.objectives.get(out.record.id)
    assert (
        o.name,
        o.company_id,
        o.relationship_id,
        o.due_date,
        o.owner_id,
        o.owner_kind,
        o.type,
        o.priority,
        o.status,
        o.category,
        o.success_criteria,
        o.comments,
        o.associated_person_ids,
        o.sharing_enabled,
    ) == (
        "Adoption",
        w.acme.id,
        w.rel.id,
        date(2027, 1, 15),
        w.pat.id,
        "person",
        "objective",
        "high",
        "work_in_progress",
        "adoption",
        "80% weekly active users",
        "Agreed at kickoff",
        (w.pat.id,),
        False,
    )
    assert o.start_date == o.created_at.date()  # start defaults to the created date


def test_objective_may_name_a_relationship_of_its_company__OBJ_02(w: World) -> None:
    """The objective form's optional relationship: any relationship of a company plan's company,
    set at creation or changed later (None goes back to the plan's); kept by a clone to the same
    company, dropped by a clone to another one."""
    kit = w.kit
    plan = w.plan()
    region = kit.relationships.create(w.acme, kit.relationship_types.create("Region"), "Acme EMEA")
    o = kit.objectives.create(plan.id, "Analytics rollout", relationship=w.rel).record
    assert kit.objectives.get(o.id).relationship_id == w.rel.id
    assert kit.objectives.create(plan.id, "Plain").record.relationship_id is None  # the plan's
    moved = kit.objectives.update(o, relationship=region.id, comments="moved").record
    assert (moved.relationship_id, moved.comments) == (region.id, "moved")
    assert kit.objectives.update(moved, relationship=None).record.relationship_id is None
    kit.objectives.update(o.id, relationship_id=w.rel.id)
    same = kit.plans.clone(plan, to=w.acme, name="Again")
    assert {x.name: x.relationship_id for x in same.objectives}["Analytics rollout"] == w.rel.id
    other = kit.plans.clone(plan, to=w.other)
    assert {x.relationship_id for x in other.objectives} == {None}
    kit.as_user(w.alice).timeline.log("call", "Rollout call", objective=o.id)
    assert [i.activity.subject for i in kit.timeline.company(w.acme)] == ["Rollout call"]  # TL_03: its plan's
    with pytest.raises(sk.ValidationError, match="still has 2 objectives"):
        kit.relationships.delete(w.rel)  # the objective would point at nothing


def test_objective_relationship_is_checked__OBJ_02(w: World) -> None:
    """A relationship of another company, another relationship than a relationship plan's, or
    something that is no relationship is refused with a clear error, and nothing is written."""
    kit = w.kit
    company_plan, rel_plan = w.plan(), w.plan("Rel plan", relationship=w.rel)
    elsewhere = kit.relationships.create(w.other, w.product, "Other Analytics")
    sibling = kit.relationships.create(w.acme, w.product, "Acme CRM")
    o = kit.objectives.create(company_plan.id, "O").record
    before = snapshot(kit)
    for plan, rel in ((company_plan, elsewhere), (rel_plan, sibling), (rel_plan, elsewhere)):
        with pytest.raises(sk.RuleViolation) as e:
            kit.objectives.create(plan.id, "Refused", relationship=rel)
        assert e.value.rule == "OBJ_02" and e.value.value == rel.name
    with pytest.raises(sk.RuleViolation, match="OBJ_02"):
        kit.objectives.update(o.id, relationship=elsewhere)
    with pytest.raises(sk.RuleViolation, match="OBJ_02"):
        kit.objectives.update(o.id, relationship_id=elsewhere.id)
    with pytest.raises(sk.NotFound):
        kit.objectives.create(company_plan.id, "Refused", relationship="no-such-relationship")
    for bad in (42, w.acme):
        with pytest.raises(sk.ValidationError):
            kit.objectives.create(company_plan.id, "Refused", relationship=bad)  # type: ignore[arg-type]
    with pytest.raises(sk.ValidationError, match="not both"):
        kit.objectives.update(o.id, relationship=w.rel, relationship_id=w.rel.id)
    assert snapshot(kit) == before
    assert kit.objectives.create(rel_plan.id, "Own", relationship=w.rel).record.relationship_id == w.rel.id


def test_plan_type_defaults_fill_missing_fields__OBJ_02(w: World) -> None:
    kit = w.kit
    plan = w.plan(plan_type="renewal")
    o = kit.objectives.create(plan.id, "Renew").record
    ptype = kit.config.plan_type("renewal")
    assert (o.type, o.priority, o.category) == (
        ptype.objective_type,
        ptype.objective_priority,
        ptype.objective_category,
    )
    assert o.status == kit.config.default_status("objective")
    assert o.owner_id == plan.owner_id


def test_success_criteria_limited_to_1000_characters__OBJ_02(w: World) -> None:
    plan = w.plan()
    w.kit.objectives.create(plan.id, "ok", success_criteria="x" * 1000)
    before = snapshot(w.kit)
    with pytest.raises(sk.RuleViolation) as e:
        w.kit.objectives.create(plan.id, "too long", success_criteria="x" * 1001)
    assert e.value.rule == "OBJ_02"
    assert snapshot(w.kit) == before


@pytest.mark.parametrize("who,rule", [("ian", "USER_01"), ("gone", "USER_02")])
def test_objective_owner_follows_user_rules__OBJ_02(w: World, who: str, rule: str) -> None:
    plan = w.plan()
    before = snapshot(w.kit)
    with pytest.raises(sk.RuleViolation) as e:
        w.kit.objectives.create(plan.id, "O", owner=getattr(w, who))
    assert e.value.rule == rule
    assert snapshot(w.kit) == before


def test_playbook_creates_its_tasks__OBJ_03(w: World) -> None:
    kit = w.kit
    plan = w.plan()
    book = kit.playbooks.create(
        "Kickoff", [{"name": "Agenda", "due_days": 2}, {"name": "Meeting", "due_days": 5, "depends_on": [1]}]
    )
    out = kit.objectives.create(plan.id, "Kickoff", playbook=book)
    tasks = kit.objectives.tasks(out.record)
    assert [t.name for t in tasks] == ["Agenda", "Meeting"]
    assert [t.due_date for t in tasks] == [kit.today() + timedelta(days=2), kit.today() + timedelta(days=5)]
    assert tasks[1].depends_on == (tasks[0].id,)
    assert out.record.playbook_ids == (book.id,)


def test_more_playbooks_add_and_replace_swaps__OBJ_03(w: World) -> None:
    kit = w.kit
    plan = w.plan()
    first = kit.playbooks.create("First", [{"name": "F1"}, {"name": "F2"}])
    second = kit.playbooks.create("Second", [{"name": "S1"}])
    third = kit.playbooks.create("Third", [{"name": "T1"}])
    obj = kit.objectives.create(plan.id, "O", playbook=first).record
    kit.tasks.create(obj, "Manual")
    obj = kit.objectives.apply_playbook(obj, second).record
    assert sorted(t.name for t in kit.objectives.tasks(obj)) == ["F1", "F2", "Manual", "S1"]
    obj = kit.objectives.apply_playbook(obj, third, replace=True).record
    assert sorted(t.name for t in kit.objectives.tasks(obj)) == ["Manual", "T1"]
    assert obj.playbook_ids == (third.id,)


def test_only_all_type_playbooks_on_objectives__OBJ_04(w: World) -> None:
    kit = w.kit
    plan = w.plan()
    risk_only = kit.playbooks.create("Risk only", [{"name": "Call"}], all_cta_types=False, cta_types=["risk"])
    obj = kit.objectives.create(plan.id, "O").record
    before = snapshot(kit)
    with pytest.raises(sk.RuleViolation) as e:
        kit.objectives.apply_playbook(obj, risk_only)
    assert e.value.rule == "OBJ_04"
    with pytest.raises(sk.RuleViolation):
        kit.objectives.create(plan.id, "P", playbook=risk_only)
    assert snapshot(kit) == before
    cta = kit.ctas.create("Risk", company=w.acme, type="risk", owner=w.alice).record
    assert [t.name for t in kit.ctas.apply_playbook(cta, risk_only).created] == ["Call"]


def test_age_open_and_closed__OBJ_05(w: World, clock: sk.FixedClock) -> None:
    kit = w.kit
    plan = w.plan()
    obj = kit.objectives.create(plan.id, "O").record
    clock.advance(days=10)
    assert kit.objectives.age(kit.objectives.get(obj.id)) == 10
    closed = kit.objectives.set_status(obj.id, "closed_success")
    clock.advance(days=5)
    assert kit.objectives.age(closed) == 10  # closed date minus created date


def test_views_search_and_filters__OBJ_06(w: World) -> None:
    kit = w.kit
    plan = w.plan()
    a = kit.objectives.create(plan.id, "Adoption review", owner=w.alice).record
    b = kit.objectives.create(plan.id, "Training", owner=w.bob).record
    c = kit.objectives.create(plan.id, "Adoption rollout", owner=w.bob, priority="high").record
    kit.objectives.set_status(b, "closed_success")

    def names(items: Iterable[sk.Objective]) -> list[str]:
        return sorted(o.name for o in items)

    assert names(kit.objectives.view(plan)) == ["Adoption review", "Adoption rollout", "Training"]
    assert names(kit.objectives.view(plan, view="open")) == ["Adoption review", "Adoption rollout"]
    assert names(kit.objectives.view(plan, view="closed")) == ["Training"]
    assert names(kit.objectives.view(plan, view="my", user=w.bob)) == ["Adoption rollout", "Training"]
    assert names(kit.as_user(w.alice).objectives.view(plan, view="my")) == ["Adoption review"]
    assert names(kit.objectives.view(plan, search="adoption")) == ["Adoption review", "Adoption rollout"]
    found = kit.objectives.view(plan, where=[("priority", "=", "high"), ("owner_id", "=", w.alice.id)], logic="1 OR 2")
    assert {o.id for o in found} == {a.id, c.id}


def test_every_sort_key__OBJ_06(w: World, clock: sk.FixedClock) -> None:
    kit = w.kit
    plan = w.plan()
    today = kit.today()
    x = kit.objectives.create(plan.id, "X", priority="low", due_date=today + timedelta(days=9)).record
    clock.advance(hours=1)
    y = kit.objectives.create(plan.id, "Y", priority="high", due_date=today + timedelta(days=3)).record
    clock.advance(hours=1)
    z = kit.objectives.create(plan.id, "Z", priority="medium").record
    kit.tasks.create(z, "soon", due_date=today + timedelta(days=1))
    kit.tasks.create(x, "later", due_date=today + timedelta(days=4))
    kit.objectives.set_status(y, "work_in_progress")

    def order(key: str, **kw: Any) -> list[str]:
        return [o.name for o in kit.objectives.view(plan, sort=key, **kw)]

    assert order("created_date") == ["X", "Y", "Z"]
    assert order("created_date", descending=True) == ["Z", "Y", "X"]
    assert order("priority") == ["Y", "Z", "X"]
    assert order("next_task_due_date") == ["Z", "X", "Y"]
    assert order("status") == ["X", "Z", "Y"]  # New before Work in progress
    assert order("due_date")[:2] == ["Y", "X"]
    for key in OBJECTIVE_SORTS:
        assert sorted(order(key)) == ["X", "Y", "Z"]
    with pytest.raises(sk.ValidationError, match="sort is one of"):
        kit.objectives.view(plan, sort="colour")


def test_next_task_due_date_sort_is_bounded__OBJ_06(w: World) -> None:
    kit = w.kit
    plan = w.plan()
    for i in range(20):
        o = kit.objectives.create(plan.id, f"O{i}").record
        kit.tasks.create(o, "t", due_date=kit.today() + timedelta(days=i % 7))
    kit.objectives.view(plan, sort="next_task_due_date")
    kit.store.stats.reset()
    kit.objectives.view(plan, sort="next_task_due_date")
    assert kit.store.stats.total <= 2


def test_names_with_leading_numbers_first_in_numeric_order__OBJ_07(w: World) -> None:
    plan = w.plan()
    for name in ["Go live", "10. Review", "2. Configure", "adoption", "1. Kickoff", "Bravo"]:
        w.kit.objectives.create(plan.id, name)
    names = [o.name for o in w.kit.objectives.view(plan, sort="name")]
    assert names == ["1. Kickoff", "2. Configure", "10. Review", "adoption", "Bravo", "Go live"]


def test_snoozed_objective_leaves_open_cockpit__OBJ_08(w: World, clock: sk.FixedClock) -> None:
    kit = w.kit
    plan = kit.plans.set_status(w.plan().id, "active").record
    obj = kit.objectives.create(plan.id, "Quiet", owner=w.alice).record
    me = kit.as_user(w.alice)
    assert [o.name for o in me.ctas.cockpit()] == ["Quiet"]
    snoozed = kit.objectives.snooze(obj, kit.today() + timedelta(days=7), reason="Customer on holiday")
    assert (snoozed.snooze_reason, kit.objectives.is_snoozed(snoozed)) == ("Customer on holiday", True)
    assert me.ctas.cockpit() == []
    assert [o.name for o in me.ctas.cockpit(include_snoozed=True)] == ["Quiet"]
    clock.advance(days=7)
    assert [o.name for o in me.ctas.cockpit()] == ["Quiet"]  # back when the snooze ends
    with pytest.raises(sk.ValidationError, match="after today"):
        kit.objectives.snooze(obj.id, kit.today())


@pytest.mark.parametrize("kind", ["objective", "cta"])
def test_snoozing_is_refused_when_turned_off__OBJ_08(w: World, kind: str) -> None:
    """Snoozing is on unless an administrator turns it off (setting ``snooze.enabled``); then
    snoozing an objective or a CTA is refused naming OBJ_08 and nothing changes.  Ending a
    snooze stays possible, and turning it back on allows snoozing again."""
    kit = w.kit
    item: sk.Objective | sk.Cta
    if kind == "objective":
        service: Any = kit.objectives
        item = kit.objectives.create(w.plan().id, "Quiet", owner=w.alice).record
    else:
        service = kit.ctas
        item = kit.ctas.create("Quiet", company=w.acme, type="risk", owner=w.alice).record
    until = kit.today() + timedelta(days=7)
    item = service.snooze(item, until, reason="holiday")
    kit.config.set_setting("snooze.enabled", "false")
    before = snapshot(kit)
    with pytest.raises(sk.RuleViolation) as e:
        service.snooze(item.id, until + timedelta(days=1))
    assert e.value.rule == "OBJ_08" and "snooze.enabled" in str(e.value) and e.value.value == "Quiet"
    assert snapshot(kit) == before
    assert service.unsnooze(item.id).snoozed_until is None  # a snooze can always be ended
    kit.config.set_setting("snooze.enabled", "true")
    assert service.snooze(item.id, until).snoozed_until == until
    with pytest.raises(sk.ValidationError, match=r"snooze\.enabled") as bad:
        kit.config.set_setting("snooze.enabled", "sometimes")
    assert bad.value.value == "sometimes"
    assert service.snooze(item.id, until).snoozed_until == until


class _Outbox:
    """An email sender plugin that accepts every email."""

    def __init__(self) -> None:
        self.sent: list[sk.OutgoingEmail] = []

    @hookimpl
    def successkit_send_email(self, email: sk.OutgoingEmail, kit: sk.Kit) -> bool:
        self.sent.append(email)
        return True


def test_email_and_draft_make_tasks__OBJ_09(w: World) -> None:
    kit = w.kit
    outbox = _Outbox()
    kit.plugins.register(outbox)
    plan = w.plan()
    obj = kit.objectives.create(plan.id, "O").record
    sent = kit.objectives.send_email(obj, subject="Kickoff agenda", body="Hi", to=["pat@acme.example"]).record
    draft = kit.objectives.send_email(obj, subject="Follow-up", draft=True).record
    assert (sent.name, sent.email_state, kit.statuses.get("task", sent.status).is_closed) == (
        "Kickoff agenda",
        "sent",
        True,
    )
    assert (draft.name, draft.email_state, kit.statuses.get("task", draft.status).is_closed) == (
        "Follow-up",
        "verify",
        False,
    )
    later = kit.tasks.send_email(draft, to=["pat@acme.example"])
    assert later.email_state == "sent" and kit.statuses.get("task", later.status).is_closed
    assert [(e.subject, e.to) for e in outbox.sent] == [
        ("Kickoff agenda", ("pat@acme.example",)),
        ("Follow-up", ("pat@acme.example",)),
    ]
    with pytest.raises(sk.ValidationError, match="verify"):
        kit.tasks.send_email(later)


def test_delete_takes_tasks_and_dependencies__OBJ_10(w: World) -> None:
    kit = w.kit
    plan = w.plan()
    a = kit.objectives.create(plan.id, "A").record
    kit.tasks.create(a, "A1")
    b = kit.objectives.create(plan.id, "B", depends_on=[a]).record
    kit.objectives.delete(a.id)
    assert kit.tasks.list([("plan_id", "=", plan.id)]) == []
    assert kit.objectives.get(b.id).depends_on == ()


def test_sharing_flag_and_stable_link__OBJ_10(w: World) -> None:
    kit = w.kit
    plan = w.plan()
    obj = kit.objectives.create(plan.id, "O").record
    assert obj.sharing_enabled
    off = kit.objectives.set_sharing(obj, False)
    assert not off.sharing_enabled
    assert kit.objectives.set_sharing(off, True).sharing_enabled
    link = kit.objectives.link(obj)
    kit.objectives.update(obj.id, name="Renamed")
    assert kit.objectives.link(obj.id) == link
    assert kit.objectives.resolve(link).name == "Renamed"
    with pytest.raises(sk.NotFound):
        kit.objectives.resolve(link[:-3] + "zzz")


def test_closed_objective_records_its_closing_time(w: World, clock: sk.FixedClock) -> None:
    plan = w.plan()
    obj = w.kit.objectives.create(plan.id, "O").record
    clock.set(datetime(2026, 12, 1, tzinfo=timezone.utc))
    closed = w.kit.objectives.set_status(obj, "closed_lost")
    assert closed.closed_at == datetime(2026, 12, 1, tzinfo=timezone.utc)
    assert w.kit.objectives.set_status(closed, "new").closed_at is None
