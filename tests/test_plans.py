"""Success plans: PLAN_01-PLAN_09, USER_01/USER_02 for plan owners, custom plan statuses."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest

import successkit as sk
from successkit.plugins import hookimpl

from .helpers import World, snapshot


@pytest.fixture
def w(kit: sk.Kit) -> World:
    return World(kit)


def test_plan_has_every_field__PLAN_01(w: World) -> None:
    kit = w.kit
    kit.custom_fields.declare("plan", "tier", "text")
    plan = w.plan("Onboarding", relationship=w.rel, highlights="Go live by March", fields={"tier": "gold"})
    got = kit.plans.get(plan.id)
    assert (
        got.name,
        got.company_id,
        got.relationship_id,
        got.plan_type,
        got.status,
        got.due_date,
        got.owner_id,
        got.highlights,
        got.fields,
    ) == (
        "Onboarding",
        w.acme.id,
        w.rel.id,
        "onboarding",
        "draft",
        w.due,
        w.alice.id,
        "Go live by March",
        {"tier": "gold"},
    )
    assert got.created_at == kit.now()


@pytest.mark.parametrize("missing", ["name", "company", "plan_type", "owner"])
def test_name_company_type_and_owner_are_required__PLAN_01(w: World, missing: str) -> None:
    args: dict[str, Any] = {"name": "P", "company": w.acme, "plan_type": "onboarding", "owner": w.alice}
    args[missing] = None
    before = snapshot(w.kit)
    with pytest.raises(sk.SuccessKitError):
        w.kit.plans.create(**args)
    assert snapshot(w.kit) == before


def test_relationship_must_belong_to_the_company__PLAN_01(w: World) -> None:
    with pytest.raises(sk.ValidationError, match="another company"):
        w.plan(company=w.other, relationship=w.rel)


def test_duplicate_name_is_refused__PLAN_02(w: World) -> None:
    w.plan("Onboarding")
    before = snapshot(w.kit)
    with pytest.raises(sk.RuleViolation) as e:
        w.plan("onboarding")  # names differ only by case
    assert e.value.rule == "PLAN_02"
    assert e.value.value == "onboarding"
    assert snapshot(w.kit) == before


def test_same_name_allowed_for_another_company_or_relationship__PLAN_02(w: World) -> None:
    w.plan("Onboarding")
    w.plan("Onboarding", company=w.other)
    w.plan("Onboarding", relationship=w.rel)
    assert w.kit.plans.count([("name", "=", "Onboarding")]) == 3


def test_renaming_to_a_taken_name_is_refused__PLAN_02(w: World) -> None:
    w.plan("A")
    b = w.plan("B")
    with pytest.raises(sk.RuleViolation) as e:
        w.kit.plans.update(b, name="a")
    assert e.value.rule == "PLAN_02"


@pytest.mark.parametrize("who,rule", [("ian", "USER_01"), ("gone", "USER_02")])
def test_plan_owner_follows_user_rules__PLAN_03(w: World, who: str, rule: str) -> None:
    before = snapshot(w.kit)
    with pytest.raises(sk.RuleViolation) as e:
        w.plan(owner=getattr(w, who))
    assert e.value.rule == rule
    assert snapshot(w.kit) == before
    plan = w.plan()
    with pytest.raises(sk.RuleViolation) as e2:
        w.kit.plans.update(plan, owner=getattr(w, who))
    assert e2.value.rule == rule


def test_unlicensed_owner_refused__USER_02(w: World) -> None:
    unlicensed = w.kit.users.create("Una", licensed=False)
    with pytest.raises(sk.RuleViolation) as e:
        w.plan(owner=unlicensed)
    assert e.value.rule == "USER_02"


def test_a_person_cannot_own_a_plan__PLAN_03(w: World) -> None:
    with pytest.raises(sk.SuccessKitError):
        w.plan(owner=w.pat)


def test_new_plans_are_drafts_and_drafts_hide_from_cockpit__PLAN_04(w: World) -> None:
    plan = w.plan()
    assert w.kit.statuses.get("plan", plan.status).category == "draft"
    w.kit.objectives.create(plan, "Kickoff", owner=w.alice)
    me = w.kit.as_user(w.alice)
    assert me.ctas.cockpit() == []
    w.kit.plans.set_status(plan.id, "active")
    assert [o.name for o in me.ctas.cockpit()] == ["Kickoff"]


def test_closing_closes_every_objective_and_task__PLAN_05(w: World) -> None:
    kit = w.kit
    plan = w.plan()
    kit.plans.set_status(plan.id, "active")
    o1 = kit.objectives.create(plan.id, "One").record
    o2 = kit.objectives.create(plan.id, "Two").record
    done = kit.objectives.create(plan.id, "Done").record
    kit.objectives.set_status(done, "closed_success")
    for o in (o1, o2):
        kit.tasks.create(o, "T1")
        kit.tasks.create(o, "T2")
    out = kit.plans.set_status(plan.id, "closed")
    assert kit.statuses.get("plan", out.record.status).category == "closed"
    objectives = kit.objectives.list([("plan_id", "=", plan.id)])
    assert all(kit.statuses.get("objective", o.status).is_closed for o in objectives)
    assert {o.name: o.status for o in objectives}["Done"] == "closed_success"  # already closed: kept
    tasks = kit.tasks.list([("plan_id", "=", plan.id)])
    assert len(tasks) == 4 and all(kit.statuses.get("task", t.status).is_closed for t in tasks)
    assert all(t.closed_at is not None for t in tasks)


def test_closing_is_one_transaction__PLAN_05(w: World) -> None:
    kit = w.kit
    plan = w.plan()
    for i in range(3):
        o = kit.objectives.create(plan.id, f"O{i}").record
        kit.tasks.create(o, "T")
    before = snapshot(kit)
    writes = 0

    def fail_on_second_write(op: str) -> None:
        nonlocal writes
        writes += 1
        if writes == 2:
            raise sk.StorageError("injected")

    kit.store.fault = fail_on_second_write
    with pytest.raises(sk.StorageError):
        kit.plans.set_status(plan.id, "closed")
    kit.store.fault = None
    assert snapshot(kit) == before


def test_closed_plan_is_read_only__PLAN_06(w: World) -> None:
    kit = w.kit
    plan = w.plan()
    obj = kit.objectives.create(plan.id, "O").record
    task = kit.tasks.create(obj, "T").record
    kit.plans.set_status(plan.id, "closed")
    before = snapshot(kit)
    attempts: list[Callable[[], object]] = [
        lambda: kit.plans.update(plan.id, name="New name"),
        lambda: kit.plans.update(plan.id, due_date=date(2028, 1, 1)),
        lambda: kit.plans.set_status(plan.id, "draft"),
        lambda: kit.objectives.create(plan.id, "More"),
        lambda: kit.objectives.update(obj.id, name="x"),
        lambda: kit.objectives.set_status(obj.id, "new"),
        lambda: kit.objectives.delete(obj.id),
        lambda: kit.tasks.create(obj.id, "More"),
        lambda: kit.tasks.update(task.id, name="x"),
        lambda: kit.tasks.set_status(task.id, "open"),
        lambda: kit.tasks.delete(task.id),
        lambda: kit.plans.delete(plan.id),
    ]
    for attempt in attempts:
        with pytest.raises(sk.ReadOnlyError) as e:
            attempt()
        assert e.value.rule == "PLAN_06"
    assert snapshot(kit) == before
    reopened = kit.plans.set_status(plan.id, "active").record
    assert reopened.status == "active" and reopened.closed_at is None
    kit.objectives.update(obj.id, name="Editable again")


def test_counts_total_open_overdue__PLAN_07(w: World) -> None:
    kit = w.kit
    plan = w.plan()
    today = kit.today()
    kit.objectives.create(plan.id, "late", start_date=today - timedelta(days=10), due_date=today - timedelta(days=1))
    kit.objectives.create(plan.id, "due today", due_date=today)
    kit.objectives.create(plan.id, "later", due_date=today + timedelta(days=5))
    won = kit.objectives.create(
        plan.id, "won", start_date=today - timedelta(days=9), due_date=today - timedelta(days=2)
    ).record
    lost = kit.objectives.create(plan.id, "lost").record
    kit.objectives.set_status(won, "closed_success")
    kit.objectives.set_status(lost, "closed_lost")
    counts = kit.plans.counts(plan)
    assert counts == sk.PlanCounts(total=5, open=3, overdue=1, closed_success=1, closed_lost=1)


def test_counts_are_four_grouped_counts_for_many_plans__PLAN_07(w: World) -> None:
    """The database counts: four grouped counts however many plans and objectives, no objective read."""
    kit = w.kit
    plans = [w.plan(f"P{i}") for i in range(5)]
    for p in plans:
        for j in range(4):
            kit.objectives.create(p.id, f"O{j}")
    kit.plans.counts_many(plans)
    kit.store.stats.reset()
    counts = kit.plans.counts_many(plans)
    assert kit.store.stats.calls == {"group_counts": 4}
    assert all(c.total == 4 for c in counts.values())


def test_type_due_date_status_owner_are_editable__PLAN_08(w: World) -> None:
    kit = w.kit
    plan = w.plan()
    updated = kit.plans.update(plan, plan_type="renewal", due_date=date(2027, 6, 30), owner=w.bob)
    assert (updated.plan_type, updated.due_date, updated.owner_id) == ("renewal", date(2027, 6, 30), w.bob.id)
    assert kit.plans.set_status(updated, "active").record.status == "active"
    with pytest.raises(sk.ValidationError, match="unknown plan type"):
        kit.plans.update(plan.id, plan_type="spaceship")


def test_later_objective_moves_plan_due_date_with_warning__PLAN_09(w: World) -> None:
    kit = w.kit
    plan = w.plan(due_date=date(2027, 1, 31))
    out = kit.objectives.create(plan.id, "Late objective", due_date=date(2027, 2, 15))
    assert out.plan.due_date == date(2027, 2, 15)
    assert kit.plans.get(plan.id).due_date == date(2027, 2, 15)
    assert [n.rule for n in out.warnings] == ["PLAN_09"]
    assert "2027-02-15" in str(out.warnings[0])
    quiet = kit.objectives.create(plan.id, "Early objective", due_date=date(2027, 1, 10))
    assert quiet.warnings == ()


def test_task_and_edits_move_plan_due_date__PLAN_09(w: World) -> None:
    kit = w.kit
    plan = w.plan(due_date=date(2027, 1, 31))
    obj = kit.objectives.create(plan.id, "O", due_date=date(2027, 1, 20)).record
    out = kit.tasks.create(obj, "Late task", due_date=date(2027, 2, 5))
    assert out.plan.due_date == date(2027, 2, 5) and out.warnings[0].rule == "PLAN_09"
    out = kit.tasks.update(out.record, due_date=date(2027, 2, 20))
    assert kit.plans.get(plan.id).due_date == date(2027, 2, 20) and out.warnings[0].rule == "PLAN_09"
    changed = kit.objectives.update(obj.id, due_date=date(2027, 3, 1))
    assert kit.plans.get(plan.id).due_date == date(2027, 3, 1) and changed.warnings[0].rule == "PLAN_09"


def test_playbook_tasks_move_plan_due_date__PLAN_09(w: World) -> None:
    kit = w.kit
    plan = w.plan(due_date=kit.today() + timedelta(days=10))
    book = kit.playbooks.create("Long", [{"name": "Far away", "due_days": 40}])
    obj = kit.objectives.create(plan.id, "O", due_date=kit.today() + timedelta(days=5)).record
    out = kit.objectives.apply_playbook(obj, book)
    assert out.plan.due_date == kit.today() + timedelta(days=40)
    assert out.warnings[0].rule == "PLAN_09"


class OnHold:
    @hookimpl
    def successkit_register_statuses(self, register: Any) -> None:
        register("plan", "on_hold", "On hold", "active")


def test_custom_plan_status_behaves_as_its_category__PLAN_04(open_kit: Any) -> None:
    kit = open_kit(plugins=[OnHold()])
    w = World(kit)
    plan = w.plan()
    kit.objectives.create(plan.id, "Kickoff", owner=w.alice)
    kit.plans.set_status(plan.id, "on_hold")
    assert [o.name for o in kit.as_user(w.alice).ctas.cockpit()] == ["Kickoff"]  # active category shows
    kit.plans.set_status(plan.id, "closed")
    assert kit.plans.set_status(plan.id, "on_hold").record.status == "on_hold"  # back to active category


def test_plan_type_may_limit_its_statuses__PLAN_04(w: World) -> None:
    w.kit.config.define_plan_type("pilot", "Pilot", statuses=("active", "closed"))
    plan = w.plan(plan_type="pilot")
    assert plan.status == "active"
    with pytest.raises(sk.ValidationError, match="use the statuses"):
        w.kit.plans.set_status(plan.id, "draft")


def test_fault_at_any_write_of_closing_leaves_nothing__PLAN_05(w: World) -> None:
    from successkit.testing import fail_each_write

    kit = w.kit
    plan = w.plan()
    for i in range(3):
        kit.tasks.create(kit.objectives.create(plan.id, f"O{i}").record, "T")
    assert fail_each_write(kit, lambda: kit.plans.set_status(plan.id, "closed")) >= 3
    assert kit.plans.counts(plan).open == 0


def test_plugin_draft_status_does_not_change_the_default__PLAN_04(open_kit: Any) -> None:
    """A plugin adding a draft-category plan status does not make it the status new plans
    start in: the plan.default_status setting keeps 'draft' (and can name another)."""

    class Review:
        @hookimpl
        def successkit_register_statuses(self, register: Any) -> None:
            register("plan", "in_review", "In review", "draft")

    kit = open_kit(plugins=[Review()])
    alice = kit.users.create("Alice")
    acme = kit.companies.create("Acme")
    assert kit.plans.create("One", company=acme, plan_type="onboarding", owner=alice).status == "draft"
    kit.config.set_setting("plan.default_status", "in_review")
    assert kit.plans.create("Two", company=acme, plan_type="onboarding", owner=alice).status == "in_review"
