"""Plan templates and the schedule: TPL_01-TPL_03, GANTT_01, GANTT_02."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

import successkit as sk

from .helpers import World, snapshot


@pytest.fixture
def w(kit: sk.Kit) -> World:
    return World(kit)


def onboarding_template(
    kit: sk.Kit, name: str = "Standard onboarding", plan_type: str = "onboarding"
) -> sk.PlanTemplate:
    return kit.plan_templates.create(
        name,
        plan_type,
        [
            {
                "key": "kickoff",
                "name": "Kickoff",
                "due_days": 5,
                "priority": "high",
                "tasks": [
                    {"key": "agenda", "name": "Send agenda", "due_days": 2},
                    {"key": "meet", "name": "Hold kickoff", "start_days": 3, "due_days": 5, "depends_on": ["agenda"]},
                ],
            },
            {
                "key": "config",
                "name": "Configuration",
                "start_days": 5,
                "due_days": 20,
                "depends_on": ["kickoff"],
                "tasks": [{"name": "SSO", "start_days": 5, "due_days": 10}],
            },
            {"key": "live", "name": "Go live", "start_days": 20, "due_days": 30, "depends_on": ["config"]},
        ],
    )


def test_templates_offered_by_type_and_all__TPL_01(w: World) -> None:
    kit = w.kit
    mine = onboarding_template(kit)
    everyone = kit.plan_templates.create("Health check", sk.ALL, [{"name": "Review health"}])
    kit.plan_templates.create("Renewal playbook", "renewal", [{"name": "Quote"}])
    plan = w.plan()
    assert {t.id for t in kit.plans.templates_for(plan)} == {mine.id, everyone.id}
    renewal = w.plan("Renewal", plan_type="renewal")
    before = snapshot(kit)
    with pytest.raises(sk.RuleViolation) as e:
        kit.plans.apply_template(renewal, mine)
    assert e.value.rule == "TPL_01"
    assert snapshot(kit) == before
    assert kit.plans.apply_template(renewal.id, everyone).created[0].name == "Review health"


def test_apply_adds_items_with_offsets_from_today__TPL_02(w: World) -> None:
    kit = w.kit
    plan = w.plan(due_date=date(2027, 6, 30))
    kit.objectives.create(plan.id, "Already there")
    out = kit.plans.apply_template(plan, onboarding_template(kit))
    today = kit.today()
    objectives = {o.name: o for o in kit.objectives.list([("plan_id", "=", plan.id)])}
    assert set(objectives) == {"Already there", "Kickoff", "Configuration", "Go live"}  # nothing removed
    assert (objectives["Kickoff"].due_date, objectives["Configuration"].start_date, objectives["Go live"].due_date) == (
        today + timedelta(days=5),
        today + timedelta(days=5),
        today + timedelta(days=30),
    )
    tasks = {t.name: t for t in kit.tasks.list([("plan_id", "=", plan.id)])}
    assert tasks["Send agenda"].due_date == today + timedelta(days=2)
    assert tasks["Send agenda"].parent_id == objectives["Kickoff"].id
    assert len(out.created) == 6 and out.warnings == ()


def test_apply_on_a_chosen_day_moves_plan_due__TPL_02(w: World) -> None:
    kit = w.kit
    plan = w.plan(due_date=date(2027, 1, 10))
    out = kit.plans.apply_template(plan, onboarding_template(kit), on=date(2027, 1, 4))
    assert kit.plans.get(plan.id).due_date == date(2027, 2, 3)
    assert out.warnings[0].rule == "PLAN_09"


def test_preset_dependencies_are_kept__TPL_03(w: World) -> None:
    kit = w.kit
    plan = w.plan()
    kit.plans.apply_template(plan, onboarding_template(kit))
    by_name = {r.name: r for r in kit.plans.schedule(plan)}
    assert by_name["Hold kickoff"].depends_on == (by_name["Send agenda"].id,)
    assert by_name["Configuration"].depends_on == (by_name["Kickoff"].id,)
    assert by_name["Go live"].depends_on == (by_name["Configuration"].id,)


def test_skip_and_override_at_apply_time__TPL_03(w: World) -> None:
    kit = w.kit
    plan = w.plan()
    out = kit.plans.apply_template(
        plan,
        onboarding_template(kit),
        skip=["config", "kickoff.agenda"],
        overrides={
            "live": {"name": "Launch", "due_date": date(2027, 2, 1), "owner": w.bob},
            "kickoff.meet": {"priority": "low"},
        },
    )
    names = sorted(r.name for r in out.created)
    assert names == ["Hold kickoff", "Kickoff", "Launch"]  # SSO went with its objective
    by_name = {r.name: r for r in out.created}
    assert by_name["Launch"].due_date == date(2027, 2, 1) and by_name["Launch"].owner_id == w.bob.id
    assert by_name["Launch"].depends_on == ()  # its dependency was skipped: dropped, not dangling
    assert by_name["Hold kickoff"].depends_on == () and by_name["Hold kickoff"].priority == "low"
    with pytest.raises(sk.ValidationError, match="skip names no item"):
        kit.plans.apply_template(plan, onboarding_template(kit, name="Any onboarding", plan_type=sk.ALL), skip=["nope"])
    for bad in ("0", ["live"], 3):  # not a mapping: refused naming it, not a ValueError
        with pytest.raises(sk.ValidationError, match="overrides map item keys") as e:
            kit.plans.apply_template(plan, onboarding_template(kit, name=f"Bad {bad!r}"), overrides=bad)  # type: ignore[arg-type]
        assert e.value.rule == "TPL_03" and e.value.value == bad
    assert {r.name for r in kit.plans.schedule(plan)} == {r.name for r in out.created}


def test_business_day_offsets_skip_weekends_and_holidays__TPL_03(w: World) -> None:
    kit = w.kit
    plan = w.plan(due_date=date(2027, 12, 31))
    tpl = kit.plan_templates.create(
        "Business days",
        "onboarding",
        [{"name": "Five business days", "due_days": 5}, {"name": "Ten business days", "due_days": 10}],
        business_days=True,
    )
    friday = date(2026, 12, 18)
    out = kit.plans.apply_template(plan, tpl, on=friday, holidays=[date(2026, 12, 24), date(2026, 12, 25)])
    due = {o.name: o.due_date for o in out.created}
    # Mon 21, Tue 22, Wed 23, (Thu 24, Fri 25 holidays), Mon 28, Tue 29 -> 5th is Tue 29
    assert due["Five business days"] == date(2026, 12, 29)
    assert due["Ten business days"] == date(2027, 1, 5)
    calendar_days = kit.plans.apply_template(plan, tpl, on=friday, business_days=False).created
    assert calendar_days[0].due_date == date(2026, 12, 23)


def test_apply_is_one_transaction_with_bulk_inserts__TPL_02(w: World) -> None:
    kit = w.kit
    plan = w.plan(due_date=date(2028, 1, 1))
    tpl = kit.plan_templates.create(
        "Big",
        "onboarding",
        [
            {
                "name": f"Objective {i}",
                "due_days": i,
                "tasks": [{"name": f"Task {j}", "due_days": i} for j in range(10)],
            }
            for i in range(50)
        ],
    )
    kit.store.stats.reset()
    out = kit.plans.apply_template(plan, tpl)
    assert len(out.created) == 550
    assert kit.store.stats.calls["insert_many"] == 2  # one bulk write per kind: objectives, tasks
    assert kit.store.stats.calls["begin"] == 1
    before = snapshot(kit)
    kit.store.fault = lambda op: (_ for _ in ()).throw(sk.StorageError("injected"))
    with pytest.raises(sk.StorageError):
        kit.plans.apply_template(plan, tpl)
    kit.store.fault = None
    assert snapshot(kit) == before


def test_template_with_playbook_creates_its_tasks__TPL_02(w: World) -> None:
    kit = w.kit
    book = kit.playbooks.create("Kickoff book", [{"name": "Book room", "due_days": 1}])
    tpl = kit.plan_templates.create("With playbook", "onboarding", [{"name": "Kickoff", "playbook": book}])
    out = kit.plans.apply_template(w.plan(), tpl)
    assert sorted(r.name for r in out.created) == ["Book room", "Kickoff"]


def test_bad_templates_are_refused(w: World) -> None:
    kit = w.kit
    before = snapshot(kit)
    with pytest.raises(sk.ValidationError, match="unknown item"):
        kit.plan_templates.create("Bad", "onboarding", [{"name": "A", "depends_on": ["zzz"]}])
    with pytest.raises(sk.ValidationError, match="no field"):
        kit.plan_templates.create("Bad", "onboarding", [{"name": "A", "colour": "red"}])
    with pytest.raises(sk.ValidationError, match="offsets"):
        kit.plan_templates.create("Bad", "onboarding", [{"name": "A", "due_days": -1}])
    assert snapshot(kit) == before


def test_schedule_lists_items_in_order_with_dependencies__GANTT_01(w: World) -> None:
    kit = w.kit
    plan = w.plan()
    kit.plans.apply_template(plan, onboarding_template(kit))
    rows = kit.plans.schedule(plan)
    assert [(r.level, r.name) for r in rows] == [
        (0, "Kickoff"),
        (1, "Send agenda"),
        (1, "Hold kickoff"),
        (0, "Configuration"),
        (1, "SSO"),
        (0, "Go live"),
    ]
    assert all(r.start <= (r.due or r.start) for r in rows)
    kickoff = rows[0]
    assert (kickoff.kind, kickoff.status, kickoff.closed, kickoff.overdue) == ("objective", "new", False, False)
    assert rows[1].parent_id == kickoff.id


def test_schedule_date_changes_apply_plan_rules__GANTT_02(w: World) -> None:
    kit = w.kit
    plan = w.plan(due_date=kit.today() + timedelta(days=31))
    kit.plans.apply_template(plan, onboarding_template(kit))
    rows = {r.name: r for r in kit.plans.schedule(plan)}
    out = kit.plans.reschedule(
        rows["SSO"].id, start=kit.today() + timedelta(days=20), due=kit.today() + timedelta(days=45)
    )
    assert out.record.start_date == kit.today() + timedelta(days=20)
    assert kit.plans.get(plan.id).due_date == kit.today() + timedelta(days=45)
    assert out.warnings[0].rule == "PLAN_09"
    out = kit.plans.reschedule(rows["Go live"].id, due=kit.today() + timedelta(days=50))
    assert out.record.due_date == kit.today() + timedelta(days=50)
    with pytest.raises(sk.ValidationError, match="before its start"):
        kit.plans.reschedule(rows["Kickoff"].id, due=kit.today() - timedelta(days=1))


def test_schedule_costs_bounded_queries__GANTT_01(w: World) -> None:
    kit = w.kit
    plan = w.plan(due_date=date(2028, 1, 1))
    tpl = kit.plan_templates.create(
        "Wide", "onboarding", [{"name": f"O{i}", "tasks": [{"name": f"T{j}"} for j in range(5)]} for i in range(30)]
    )
    kit.plans.apply_template(plan, tpl)
    kit.plans.schedule(plan)
    kit.store.stats.reset()
    assert len(kit.plans.schedule(plan)) == 180
    assert kit.store.stats.total <= 3
    kit.store.stats.reset()
    view = kit.plans.open(plan)
    assert view.counts.total == 30 and sum(len(v) for v in view.tasks.values()) == 150
    assert kit.store.stats.total <= 3


def test_fault_at_any_write_of_apply_leaves_nothing__TPL_02(w: World) -> None:
    from successkit.testing import fail_each_write

    kit = w.kit
    plan = w.plan(due_date=date(2026, 12, 1))  # the template moves it: one more write (PLAN_09)
    template = onboarding_template(kit)
    assert fail_each_write(kit, lambda: kit.plans.apply_template(plan.id, template)) >= 2
    assert kit.objectives.count([("plan_id", "=", plan.id)]) == 3


def test_apply_costs_the_same_storage_calls_whatever_the_size__TPL_02(w: World) -> None:
    kit = w.kit
    kit.plans.apply_template(w.plan("Warm-up"), kit.plan_templates.create("W", "onboarding", [{"name": "x"}]))
    calls = []
    for size in (5, 50):
        plan = w.plan(f"Plan {size}", due_date=date(2028, 1, 1))
        tpl = kit.plan_templates.create(
            f"T{size}",
            "onboarding",
            [{"name": f"O{i}", "tasks": [{"name": f"T{j}"} for j in range(size // 5)]} for i in range(size)],
        )
        kit.store.stats.reset()
        kit.plans.apply_template(plan.id, tpl)
        calls.append(kit.store.stats.total)
    assert calls[0] == calls[1], calls


def test_items_and_steps_take_a_name_too__TPL_01_OBJ_03(w: World) -> None:
    """Named kinds are taken by name wherever they are taken by id (docs/design.md)."""
    kit = w.kit
    template = onboarding_template(kit)
    assert kit.plan_templates.items(template.name) == kit.plan_templates.items(template.id) != []
    book = kit.playbooks.create("Welcome", [{"name": "Call", "due_days": 1}])
    assert (
        [s.name for s in kit.playbooks.steps("Welcome")] == [s.name for s in kit.playbooks.steps(book.id)] == ["Call"]
    )
