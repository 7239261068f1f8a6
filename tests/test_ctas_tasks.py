"""Cockpit CTAs and tasks: CTA_01-CTA_03, TASK_01, custom CTA statuses."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

import successkit as sk
from successkit.plugins import hookimpl

from .helpers import World, snapshot


@pytest.fixture
def w(kit: sk.Kit) -> World:
    return World(kit)


def test_cta_for_company_or_relationship_with_every_field__CTA_01(w: World) -> None:
    kit = w.kit
    book = kit.playbooks.create("Save the account", [{"name": "Call sponsor", "due_days": 1}])
    out = kit.ctas.create(
        "Usage dropped",
        company=w.acme,
        type="risk",
        reason="low_usage",
        priority="high",
        owner=w.alice,
        due_date=date(2026, 12, 15),
        source="rule",
        playbook=book,
    )
    cta = kit.ctas.get(out.record.id)
    assert (
        cta.company_id,
        cta.relationship_id,
        cta.type,
        cta.reason,
        cta.priority,
        cta.status,
        cta.source,
        cta.owner_id,
        cta.due_date,
        cta.playbook_ids,
    ) == (w.acme.id, None, "risk", "low_usage", "high", "new", "rule", w.alice.id, date(2026, 12, 15), (book.id,))
    assert [t.name for t in kit.ctas.tasks(cta)] == ["Call sponsor"]
    rel_cta = kit.ctas.create("Expansion", relationship=w.rel, type="expansion", owner=w.bob).record
    assert (rel_cta.company_id, rel_cta.relationship_id) == (w.acme.id, w.rel.id)


def test_status_categories_and_closed_counts__CTA_01(w: World) -> None:
    kit = w.kit
    categories = {s.key: s.category for s in kit.statuses.of("cta")}
    assert set(categories.values()) == {"open", "closed_success", "closed_lost"}
    plan = w.plan()
    a = kit.objectives.create(plan.id, "A").record
    b = kit.objectives.create(plan.id, "B").record
    kit.objectives.create(plan.id, "C")
    kit.objectives.set_status(a, "closed_success")
    kit.objectives.set_status(b, "closed_lost")
    counts = kit.plans.counts(plan)
    assert (counts.closed_success, counts.closed_lost, counts.open) == (1, 1, 1)


def test_unknown_type_reason_priority_status_refused__CTA_01(w: World) -> None:
    kit = w.kit
    before = snapshot(kit)
    for bad in (
        {"type": "spaceship"},
        {"type": "risk", "reason": "boredom"},
        {"type": "risk", "priority": "urgent"},
        {"type": "risk", "status": "maybe"},
    ):
        with pytest.raises(sk.ValidationError):
            kit.ctas.create("X", company=w.acme, owner=w.alice, **bad)  # type: ignore[arg-type]
    assert snapshot(kit) == before


def test_due_date_move_shifts_open_tasks__CTA_02(w: World) -> None:
    kit = w.kit
    today = kit.today()
    cta = kit.ctas.create(
        "Renewal", company=w.acme, type="renewal", owner=w.alice, due_date=today + timedelta(days=10)
    ).record
    t1 = kit.tasks.create(cta, "Open task", due_date=today + timedelta(days=5)).record
    t2 = kit.tasks.create(cta, "Done task", due_date=today + timedelta(days=6)).record
    kit.tasks.set_status(t2, "complete")
    out = kit.ctas.update(cta, due_date=today + timedelta(days=17), shift_tasks=True)
    assert kit.tasks.get(t1.id).due_date == today + timedelta(days=12)
    assert kit.tasks.get(t1.id).start_date == t1.start_date + timedelta(days=7)
    assert kit.tasks.get(t2.id).due_date == today + timedelta(days=6)  # closed tasks stay
    assert [t.id for t in out.created] == [t1.id]
    kit.ctas.update(out.record, due_date=today + timedelta(days=20))  # without shift_tasks
    assert kit.tasks.get(t1.id).due_date == today + timedelta(days=12)


def test_objective_due_move_shifts_tasks_and_plan__CTA_02(w: World) -> None:
    kit = w.kit
    plan = w.plan(due_date=date(2027, 1, 31))
    obj = kit.objectives.create(plan.id, "O", due_date=date(2027, 1, 20)).record
    task = kit.tasks.create(obj, "T", due_date=date(2027, 1, 25)).record
    out = kit.objectives.update(obj, due_date=date(2027, 1, 30), shift_tasks=True)
    assert kit.tasks.get(task.id).due_date == date(2027, 2, 4)
    assert kit.plans.get(plan.id).due_date == date(2027, 2, 4)
    assert [n.rule for n in out.warnings] == ["PLAN_09"]


@pytest.mark.parametrize(
    "mode,expected",
    [
        ("previous", {"A1": "bob", "A2": "bob", "C1": "carol"}),
        ("all", {"A1": "bob", "A2": "bob", "C1": "bob"}),
        ("none", {"A1": "alice", "A2": "alice", "C1": "carol"}),
    ],
)
def test_owner_change_reassigns_tasks__CTA_03(w: World, mode: str, expected: dict[str, str]) -> None:
    kit = w.kit
    carol = kit.users.create("Carol")
    names = {w.alice.id: "alice", w.bob.id: "bob", carol.id: "carol"}
    cta = kit.ctas.create("Onboard", company=w.acme, type="lifecycle", owner=w.alice).record
    kit.tasks.create(cta, "A1")
    kit.tasks.create(cta, "A2")
    kit.tasks.create(cta, "C1", owner=carol)
    out = kit.ctas.update(cta, owner=w.bob, reassign_tasks=mode)
    assert out.record.owner_id == w.bob.id
    assert {t.name: names[t.owner_id or ""] for t in kit.ctas.tasks(cta)} == expected


def test_owner_change_on_objective_reassigns__CTA_03(w: World) -> None:
    kit = w.kit
    plan = w.plan()
    obj = kit.objectives.create(plan.id, "O", owner=w.alice).record
    kit.tasks.create(obj, "T")
    kit.objectives.update(obj, owner=w.bob, reassign_tasks="previous")
    assert [t.owner_id for t in kit.objectives.tasks(obj)] == [w.bob.id]
    with pytest.raises(sk.ValidationError, match="reassign_tasks"):
        kit.objectives.update(obj.id, owner=w.alice, reassign_tasks="some")


def test_task_fields_and_defaults__TASK_01(w: World) -> None:
    kit = w.kit
    plan = w.plan()
    obj = kit.objectives.create(plan.id, "O", owner=w.bob).record
    task = kit.tasks.create(obj, "Prepare deck", priority="high", due_date=date(2026, 12, 10)).record
    assert (task.name, task.owner_id, task.start_date, task.due_date, task.priority, task.status) == (
        "Prepare deck",
        w.bob.id,
        kit.today(),
        date(2026, 12, 10),
        "high",
        kit.config.default_status("task"),
    )
    by_person = kit.tasks.create(obj, "Customer signs", owner=w.pat).record
    assert (by_person.owner_id, by_person.owner_kind) == (w.pat.id, "person")
    with pytest.raises(sk.RuleViolation) as e:
        kit.tasks.create(obj, "x", owner=w.ian)
    assert e.value.rule == "USER_01"
    assert kit.statuses.get("task", "complete").is_closed
    assert {s.category for s in kit.statuses.of("task")} >= {"open", "closed_success"}


def test_dependencies_within_a_plan_and_no_cycles__TASK_01(w: World) -> None:
    kit = w.kit
    plan = w.plan()
    o1 = kit.objectives.create(plan.id, "O1").record
    o2 = kit.objectives.create(plan.id, "O2").record
    a = kit.tasks.create(o1, "A").record
    b = kit.tasks.create(o1, "B", depends_on=[a]).record
    c = kit.tasks.create(o2, "C", depends_on=[b, o1]).record  # tasks may wait for objectives
    assert c.depends_on == (b.id, o1.id)
    before = snapshot(kit)
    with pytest.raises(sk.RuleViolation) as e:
        kit.tasks.add_dependency(a, c)  # a <- b <- c <- a
    assert e.value.rule == "TASK_01"
    with pytest.raises(sk.RuleViolation):
        kit.tasks.add_dependency(o1, c)  # c waits for o1
    with pytest.raises(sk.RuleViolation):
        kit.tasks.add_dependency(a, a)
    assert snapshot(kit) == before
    kit.tasks.add_dependency(o2, o1)
    other_plan = w.plan("Other")
    stranger = kit.objectives.create(other_plan.id, "Elsewhere").record
    with pytest.raises(sk.ValidationError, match="same plan"):
        kit.tasks.add_dependency(a, stranger)
    with pytest.raises(sk.ValidationError, match="this plan"):
        kit.tasks.create(o1, "D", depends_on=[stranger])
    with pytest.raises(sk.ValidationError, match="this plan"):  # not an id: refused, not a TypeError
        kit.tasks.create(o1, "D", depends_on=[[a.id]])  # type: ignore[list-item]
    assert kit.tasks.list([("name", "=", "D")]) == []


def test_deleting_a_task_drops_dependencies_on_it__TASK_01(w: World) -> None:
    kit = w.kit
    plan = w.plan()
    o = kit.objectives.create(plan.id, "O").record
    a = kit.tasks.create(o, "A").record
    b = kit.tasks.create(o, "B", depends_on=[a]).record
    kit.tasks.delete(a)
    assert kit.tasks.get(b.id).depends_on == ()


class Won:
    @hookimpl
    def successkit_register_statuses(self, register: Any) -> None:
        register("cta", "won", "Won", "closed_success")


def test_custom_cta_status_behaves_as_its_category__CTA_01(open_kit: Any) -> None:
    kit = open_kit(plugins=[Won()])
    w = World(kit)
    cta = kit.ctas.create("Upsell", company=w.acme, type="expansion", owner=w.alice).record
    me = kit.as_user(w.alice)
    assert [c.name for c in me.ctas.cockpit()] == ["Upsell"]
    won = kit.ctas.set_status(cta, "won")
    assert won.closed_at is not None
    assert me.ctas.cockpit() == []


def test_cockpit_is_filterable_and_sortable(w: World) -> None:
    kit = w.kit
    today = kit.today()
    kit.ctas.create(
        "Late", company=w.acme, type="risk", owner=w.alice, due_date=today + timedelta(days=9), priority="low"
    )
    kit.ctas.create(
        "Soon", company=w.acme, type="risk", owner=w.alice, due_date=today + timedelta(days=1), priority="high"
    )
    kit.ctas.create("Bob's", company=w.acme, type="risk", owner=w.bob)
    plan = kit.plans.set_status(w.plan().id, "active").record
    kit.objectives.create(plan.id, "Objective", owner=w.alice, due_date=today + timedelta(days=5), priority="high")
    me = kit.as_user(w.alice)
    assert [i.name for i in me.ctas.cockpit()] == ["Soon", "Objective", "Late"]
    assert [i.name for i in me.ctas.cockpit(where=[("priority", "=", "high")], sort=["-due_date"])] == [
        "Objective",
        "Soon",
    ]
    kit.store.stats.reset()
    me.ctas.cockpit()
    assert kit.store.stats.total <= 3


def test_cockpit_limit_is_the_head_of_the_whole_cockpit__PLAN_04_OBJ_08(w: World) -> None:
    """With a limit the database cuts each kind; objectives of inactive plans and snoozed items
    still never show, and the page is exactly the head of the unlimited cockpit."""
    kit = w.kit
    today = kit.today()
    draft = w.plan(name="Draft plan")
    live = kit.plans.set_status(w.plan(name="Live plan").id, "active").record
    for i in range(6):  # due first, but their plan is a draft: never in the cockpit
        kit.objectives.create(draft.id, f"Hidden {i}", owner=w.alice, due_date=today + timedelta(days=1))
    for i in range(3):
        kit.objectives.create(live.id, f"Live {i}", owner=w.alice, due_date=today + timedelta(days=2 + 2 * i))
        kit.ctas.create(
            f"Call {i}", company=w.acme, type="risk", owner=w.alice, due_date=today + timedelta(days=3 + 2 * i)
        )
    snoozed = kit.ctas.create("Snoozed", company=w.acme, type="risk", owner=w.alice, due_date=today).record
    kit.ctas.snooze(snoozed, today + timedelta(days=3))
    me = kit.as_user(w.alice)
    whole = [i.name for i in me.ctas.cockpit()]
    assert whole == ["Live 0", "Call 0", "Live 1", "Call 1", "Live 2", "Call 2"]
    for limit in (1, 2, 3, 5, 6, 10):
        assert [i.name for i in me.ctas.cockpit(limit=limit)] == whole[:limit]
    assert [i.name for i in me.ctas.cockpit(limit=2, include_snoozed=True)] == ["Snoozed", "Live 0"]
    assert me.ctas.cockpit(limit=0) == []
