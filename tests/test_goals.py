"""Customer goals: GOAL_01-GOAL_14 (the goal library, links, progress, list views,
history, system fields, reports, company and relationship goals)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import successkit as sk
from successkit.plugins import hookimpl
from successkit.testing.faults import fail_each_write

from .helpers import World, snapshot


class GoalWorld(World):
    """The plan world plus goal custom fields and a helper to make goals."""

    def __init__(self, kit: sk.Kit) -> None:
        super().__init__(kit)
        kit.custom_fields.declare("goal", "impact", "dropdown", options=["High", "Medium", "Low"])
        kit.custom_fields.declare("goal", "products", "multiselect", options=["Analytics", "CRM"])
        kit.custom_fields.declare("goal", "owner_note", "text")
        kit.custom_fields.declare("goal", "value", "number")
        kit.custom_fields.declare("goal", "review_on", "date")

    def goal(self, name: str = "Reduce churn", **kw: Any) -> sk.Goal:
        if "relationship" not in kw:
            kw.setdefault("company", self.acme)
        return self.kit.goals.create(name, **kw)

    def cta(self, name: str = "Call sponsor", **kw: Any) -> sk.Cta:
        kw.setdefault("company", self.acme)
        kw.setdefault("type", "risk")
        kw.setdefault("owner", self.alice)
        return self.kit.ctas.create(name, **kw).record


@pytest.fixture
def w(kit: sk.Kit) -> GoalWorld:
    return GoalWorld(kit)


def later(clock: sk.FixedClock) -> None:
    clock.advance(minutes=1)


# ------------------------------------------------------------------ GOAL_01 / GOAL_02
def test_goal_has_every_field__GOAL_01(w: GoalWorld) -> None:
    me = w.kit.as_user(w.alice)
    goal = me.goals.create(
        "Reduce churn",
        company=w.acme,
        opportunity="OPP-42",
        due_date=date(2027, 6, 30),
        description="Churn under 5 %",
        fields={"impact": "High", "value": 120_000},
    )
    got = w.kit.goals.get(goal.id)
    assert (
        got.name,
        got.company_id,
        got.relationship_id,
        got.opportunity_id,
        got.status,
        got.due_date,
        got.description,
        dict(got.fields),
        got.created_at,
        got.created_by,
    ) == (
        "Reduce churn",
        w.acme.id,
        None,
        "OPP-42",
        "not_started",
        date(2027, 6, 30),
        "Churn under 5 %",
        {"impact": "High", "value": 120_000},
        w.kit.now(),
        w.alice.id,
    )


def test_goal_of_a_relationship_belongs_to_its_company__GOAL_01(w: GoalWorld) -> None:
    goal = w.goal(relationship=w.rel)
    assert (goal.company_id, goal.relationship_id) == (w.acme.id, w.rel.id)
    with pytest.raises(sk.ValidationError, match="another company"):
        w.goal(company=w.other, relationship=w.rel)


def test_status_defaults_to_first_open_goal_status__GOAL_01(w: GoalWorld) -> None:
    assert w.goal().status == w.kit.statuses.default("goal").key == "not_started"
    assert w.goal("Other", status="achieved").status == "achieved"
    with pytest.raises(sk.ValidationError, match="unknown goal status"):
        w.goal("Bad", status="bogus")


def test_goal_from_template_with_defaults_overridden__GOAL_02(w: GoalWorld) -> None:
    kit = w.kit
    tpl = kit.goal_templates.create(
        "Increase adoption",
        description="80 % weekly active",
        status="in_progress",
        due_days=90,
        fields={"impact": "High", "owner_note": "from the library"},
    )
    plain = kit.goals.create(company=w.acme, template=tpl)
    assert (plain.name, plain.description, plain.status, plain.due_date, dict(plain.fields), plain.template_id) == (
        "Increase adoption",
        "80 % weekly active",
        "in_progress",
        kit.today() + timedelta(days=90),
        {"impact": "High", "owner_note": "from the library"},
        tpl.id,
    )
    custom = kit.goals.create(
        "Adoption in Japan",
        company=w.acme,
        template=tpl,
        status="not_started",
        due_date=date(2027, 1, 31),
        description="Japan only",
        fields={"impact": "Low"},
    )
    assert (custom.name, custom.status, custom.due_date, custom.description, dict(custom.fields)) == (
        "Adoption in Japan",
        "not_started",
        date(2027, 1, 31),
        "Japan only",
        {"impact": "Low", "owner_note": "from the library"},
    )
    assert [t.name for t in kit.goal_templates.search("adopt")] == ["Increase adoption"]


def test_goal_from_scratch__GOAL_02(w: GoalWorld) -> None:
    goal = w.goal("Expand to EMEA")
    assert (goal.template_id, goal.due_date, goal.description) == (None, None, None)


@pytest.mark.parametrize("args", [{"name": None}, {"name": "  "}, {"company": None}])
def test_name_and_company_are_required__GOAL_02(w: GoalWorld, args: dict[str, Any]) -> None:
    values: dict[str, Any] = {"name": "G", "company": w.acme, **args}
    before = snapshot(w.kit)
    with pytest.raises(sk.RuleViolation) as e:
        w.kit.goals.create(values.pop("name"), **values)
    assert e.value.rule == "GOAL_02"
    assert snapshot(w.kit) == before


def test_fields_an_administrator_requires_are_enforced__GOAL_02(w: GoalWorld) -> None:
    kit = w.kit
    kit.goals.set_required_fields(["due_date", "fields.impact"])
    assert kit.goals.required_fields() == ["due_date", "fields.impact"]
    before = snapshot(kit)
    with pytest.raises(sk.RuleViolation, match="'due_date' is required") as e:
        w.goal(fields={"impact": "High"})
    assert e.value.rule == "GOAL_02"
    with pytest.raises(sk.RuleViolation, match=r"'fields\.impact' is required"):
        w.goal(due_date=date(2027, 1, 1))
    assert snapshot(kit) == before
    goal = w.goal(due_date=date(2027, 1, 1), fields={"impact": "High"})
    before = snapshot(kit)
    with pytest.raises(sk.RuleViolation, match="'due_date' is required"):
        kit.goals.update(goal, due_date=None)
    assert snapshot(kit) == before
    with pytest.raises(sk.ValidationError):
        kit.goals.set_required_fields(["no_such_field"])


def test_template_values_are_checked__GOAL_02(w: GoalWorld) -> None:
    before = snapshot(w.kit)
    with pytest.raises(sk.ValidationError):
        w.kit.goal_templates.create("T", fields={"impact": "Enormous"})
    with pytest.raises(sk.ValidationError):
        w.kit.goal_templates.create("T", status="bogus")
    with pytest.raises(sk.ValidationError):
        w.kit.goal_templates.create("T", due_days=-1)
    assert snapshot(w.kit) == before


# ------------------------------------------------------------------ GOAL_03 - GOAL_05
def test_ctas_and_plans_can_be_linked__GOAL_03(w: GoalWorld) -> None:
    kit = w.kit
    goal, cta, plan = w.goal(), w.cta(), w.plan()
    kit.goals.link(goal, cta)
    kit.goals.link(goal.id, plan.id, kind="plan")
    assert kit.goals.link(goal, cta).item_id == cta.id  # linking again keeps one link
    assert sorted((x.item_kind, x.item_id) for x in kit.goals.links(goal)) == sorted(
        [("cta", cta.id), ("plan", plan.id)]
    )
    assert [i.id for i in kit.goals.linked(goal)] == [cta.id, plan.id]


def test_objectives_and_tasks_cannot_be_linked__GOAL_03(w: GoalWorld) -> None:
    kit = w.kit
    goal, plan = w.goal(), w.plan()
    objective = kit.objectives.create(plan, "Kickoff", owner=w.alice).record
    task = kit.tasks.create(objective, "Agenda").record
    before = snapshot(kit)
    for item, kind in [(objective, None), (task, None), (objective.id, "objective"), (task.id, "task")]:
        with pytest.raises(sk.RuleViolation) as e:
            kit.goals.link(goal, item, kind=kind)
        assert e.value.rule == "GOAL_03"
        assert str(e.value).startswith(("GOAL_03: an objective cannot", "GOAL_03: a task cannot"))  # the article
    assert snapshot(kit) == before


def test_only_work_of_the_goals_company_can_be_linked__GOAL_03(w: GoalWorld) -> None:
    goal = w.goal()
    elsewhere = w.cta(company=w.other)
    before = snapshot(w.kit)
    with pytest.raises(sk.ValidationError, match="another company"):
        w.kit.goals.link(goal, elsewhere)
    with pytest.raises(sk.ValidationError, match="kind='cta'"):
        w.kit.goals.link(goal, elsewhere.id)
    assert snapshot(w.kit) == before


def test_cta_and_plan_created_from_a_goal_are_linked__GOAL_04(w: GoalWorld) -> None:
    kit = w.kit
    goal = w.goal(relationship=w.rel)
    cta = kit.goals.create_cta(goal, "Adoption risk", type="risk", owner=w.alice)
    plan = kit.goals.create_plan(goal, "Adoption plan", plan_type="onboarding", owner=w.alice)
    assert cta.record.relationship_id == plan.record.relationship_id == w.rel.id
    assert {(x.item_kind, x.item_id) for x in kit.goals.links(goal)} == {
        ("cta", cta.record.id),
        ("plan", plan.record.id),
    }
    assert cta.created[-1].item_id == cta.record.id


def test_creating_from_a_goal_is_one_transaction__GOAL_04(w: GoalWorld) -> None:
    kit = w.kit
    goal = w.goal()
    before = snapshot(kit)
    with pytest.raises(sk.ValidationError):
        kit.goals.create_cta(goal, "Bad", type="no_such_type", owner=w.alice)
    assert snapshot(kit) == before
    fail_each_write(kit, lambda: kit.goals.create_cta(goal, "Call", type="risk", owner=w.alice))
    fail_each_write(kit, lambda: kit.goals.create_plan(goal, "Plan", plan_type="onboarding", owner=w.alice))
    assert len(kit.goals.links(goal)) == 2


def test_unlinking_leaves_the_cta_and_plan_untouched__GOAL_05(w: GoalWorld) -> None:
    kit = w.kit
    goal = w.goal()
    cta = kit.goals.create_cta(goal, "Call", type="risk", owner=w.alice).record
    plan = kit.goals.create_plan(goal, "Plan", plan_type="onboarding", owner=w.alice).record
    kit.goals.unlink(goal, cta)
    kit.goals.unlink(goal, plan.id)
    assert kit.goals.links(goal) == []
    assert kit.ctas.get(cta.id) == cta
    assert kit.plans.get(plan.id) == plan
    with pytest.raises(sk.ValidationError, match="not linked"):
        kit.goals.unlink(goal, cta)


def test_deleting_a_goal_leaves_the_cta_and_plan_untouched__GOAL_05(w: GoalWorld) -> None:
    kit = w.kit
    goal = w.goal()
    cta = kit.goals.create_cta(goal, "Call", type="risk", owner=w.alice).record
    plan = kit.goals.create_plan(goal, "Plan", plan_type="onboarding", owner=w.alice).record
    fail_each_write(kit, lambda: kit.goals.delete(goal))
    assert kit.goals.count() == 0
    assert kit.goal_links.count() == 0 and kit.goal_history.count() == 0
    assert kit.ctas.get(cta.id) == cta
    assert kit.plans.get(plan.id) == plan


# ---------------------------------------------------------------------------- GOAL_06
class Won:
    @hookimpl
    def successkit_register_statuses(self, register: Any) -> None:
        register("cta", "won", "Won", "closed_success")
        register("plan", "parked", "Parked", "closed")


def test_progress_is_the_share_of_linked_items_achieved__GOAL_06(w: GoalWorld) -> None:
    kit = w.kit
    goal = w.goal()
    assert kit.goals.progress(goal) == sk.GoalProgress(0, 0, 0)
    assert kit.goals.progress(goal).percent is None  # nothing linked: no progress to show
    c1 = kit.goals.create_cta(goal, "One", type="risk", owner=w.alice).record
    c2 = kit.goals.create_cta(goal, "Two", type="risk", owner=w.alice).record
    c3 = kit.goals.create_cta(goal, "Three", type="risk", owner=w.alice).record
    plan = kit.goals.create_plan(goal, "Plan", plan_type="onboarding", owner=w.alice).record
    assert kit.goals.progress(goal).percent == 0.0
    kit.ctas.set_status(c1, "closed_success")
    assert kit.goals.progress(goal).percent == 25.0
    kit.ctas.set_status(c2, "closed_lost")  # finished, but not progress towards the goal
    assert kit.goals.progress(goal) == sk.GoalProgress(linked=4, closed=2, achieved=1)
    kit.plans.set_status(plan, "active")
    won = kit.objectives.create(plan.id, "Kickoff", owner=w.alice).record
    kit.objectives.create(plan.id, "Training", owner=w.alice)
    kit.objectives.set_status(won, "closed_success")
    kit.plans.set_status(plan.id, "closed")  # PLAN_05: Training closes lost; one won, one lost
    assert kit.goals.progress(goal) == sk.GoalProgress(linked=4, closed=3, achieved=2)
    kit.ctas.set_status(c1.id, "work_in_progress")  # reopened: progress follows at once
    assert kit.goals.progress(goal).percent == 25.0
    kit.ctas.delete(c3.id)  # a deleted item no longer counts
    assert kit.goals.progress(goal) == sk.GoalProgress(linked=3, closed=2, achieved=1)


def test_closed_lost_work_is_not_progress__GOAL_06(w: GoalWorld) -> None:
    """A plan closed with its work unfinished (PLAN_05 closes it lost) and a closed-lost CTA are
    finished but not achieved: a goal linked only to them shows 0 %, in the view and its filter too."""
    kit = w.kit
    goal, other = w.goal("Lost"), w.goal("Won")
    plan = kit.goals.create_plan(goal, "Plan", plan_type="onboarding", owner=w.alice).record
    kit.plans.set_status(plan, "active")
    kit.objectives.create(plan.id, "Kickoff", owner=w.alice)
    kit.objectives.create(plan.id, "Training", owner=w.alice)
    kit.plans.set_status(plan.id, "closed")
    lost = kit.goals.create_cta(goal, "Lost CTA", type="risk", owner=w.alice).record
    kit.ctas.set_status(lost, "closed_lost")
    assert kit.goals.progress(goal) == sk.GoalProgress(linked=2, closed=2, achieved=0)
    assert kit.goals.progress(goal).percent == 0.0
    empty = kit.goals.create_plan(other, "Nothing in it", plan_type="onboarding", owner=w.alice).record
    kit.plans.set_status(empty, "closed")  # nothing was lost: the closed plan counts as achieved
    assert kit.goals.progress(other).percent == 100.0
    view = kit.goals.view(sort=["name"])
    assert [(r.goal.name, r["progress"]) for r in view] == [("Lost", 0.0), ("Won", 100.0)]
    assert [r.goal.name for r in kit.goals.view([("progress", "=", 100)])] == ["Won"]
    assert [r.goal.name for r in kit.goals.view(sort=["-progress"])] == ["Won", "Lost"]
    assert [r.goal.name for r in kit.goals.view(group_by="progress")] == ["Lost", "Won"]


def test_progress_follows_custom_plugin_statuses__GOAL_06(open_kit: Any) -> None:
    kit = open_kit(plugins=[Won()])
    w = GoalWorld(kit)
    goal = w.goal()
    cta = kit.goals.create_cta(goal, "Upsell", type="expansion", owner=w.alice).record
    plan = kit.goals.create_plan(goal, "Plan", plan_type="onboarding", owner=w.alice).record
    kit.ctas.set_status(cta, "won")
    kit.plans.set_status(plan, "parked")
    assert kit.goals.progress(goal).percent == 100.0


def test_progress_of_many_goals_costs_bounded_storage_calls__GOAL_06(w: GoalWorld) -> None:
    kit = w.kit
    goals = [w.goal(f"G{i}") for i in range(300)]
    ctas = [w.cta(f"C{i}") for i in range(30)]
    plans = [w.plan(f"P{i}") for i in range(10)]
    for i, goal in enumerate(goals):
        kit.goals.link(goal, ctas[i % 30])
        if i % 3 == 0:
            kit.goals.link(goal, plans[i % 10])
    for cta in ctas[:15]:
        kit.ctas.set_status(cta, "closed_success")
    calls = []
    for n in (10, 100, 300):
        kit.store.stats.reset()
        progress = kit.goals.progress_many(goals[:n])
        calls.append(kit.store.stats.total)
        assert len(progress) == n
    assert calls[0] == calls[1] == calls[2] <= 3  # no closed plan linked: no objective query
    for plan in plans[:5]:
        kit.objectives.create(plan.id, "Kickoff", owner=w.alice)
        kit.plans.set_status(plan, "closed")
    closed_calls = []
    for n in (10, 300):
        kit.store.stats.reset()
        kit.goals.progress_many(goals[:n])
        closed_calls.append(kit.store.stats.total)
    assert closed_calls[0] == closed_calls[1] <= 4  # one more query, for the closed plans' objectives
    view_calls = []
    for n in (20, 300):
        kit.store.stats.reset()
        view = kit.goals.view(limit=n)
        view_calls.append(kit.store.stats.total)
        assert len(view) == n
    # a query and a count, then progress: one call fewer when no goal on the page links a closed plan
    assert max(view_calls) <= 6
    assert progress[goals[0].id] == sk.GoalProgress(linked=2, closed=1, achieved=1)


# ------------------------------------------------------------------ GOAL_07 - GOAL_10
def made(w: GoalWorld, clock: sk.FixedClock) -> dict[str, sk.Goal]:
    """Six goals created a minute apart, in this order."""
    specs: list[tuple[str, dict[str, Any]]] = [
        ("Alpha", {"due_date": date(2027, 1, 15), "fields": {"impact": "High", "value": 10, "owner_note": "b"}}),
        (
            "Bravo",
            {
                "due_date": date(2027, 4, 2),
                "status": "in_progress",
                "fields": {"impact": "Low", "value": 30, "products": ["CRM"]},
            },
        ),
        ("Charlie", {"due_date": date(2026, 12, 1), "fields": {"impact": "High", "value": 20}}),
        ("Delta", {"status": "achieved", "fields": {"value": 5}}),
        ("Echo", {"due_date": date(2027, 3, 31), "relationship": w.rel, "fields": {"impact": "Medium"}}),
        ("Foxtrot", {"due_date": date(2027, 7, 1), "status": "not_achieved"}),
    ]
    out = {}
    for name, kw in specs:
        later(clock)
        out[name] = w.goal(name, **kw)
    return out


def names(view: sk.GoalView) -> list[str]:
    return [r.goal.name for r in view]


def test_default_columns_newest_first__GOAL_07(w: GoalWorld, clock: sk.FixedClock) -> None:
    goals = made(w, clock)
    w.kit.goals.create_cta(goals["Alpha"], "Call", type="risk", owner=w.alice)
    view = w.kit.goals.view()
    assert view.columns == ("name", "due_date", "status", "progress")
    assert names(view) == ["Foxtrot", "Echo", "Delta", "Charlie", "Bravo", "Alpha"]
    assert view.rows[-1].values == {
        "name": "Alpha",
        "due_date": date(2027, 1, 15),
        "status": "not_started",
        "progress": 0.0,
    }
    assert view.rows[0]["progress"] is None and view.total == 6


def test_more_columns_can_be_added__GOAL_07(w: GoalWorld, clock: sk.FixedClock) -> None:
    made(w, clock)
    view = w.kit.goals.view(extra_columns=["impact", "fields.value", "created_at", "relationship_id"], limit=2)
    assert view.columns == (
        "name",
        "due_date",
        "status",
        "progress",
        "impact",
        "fields.value",
        "created_at",
        "relationship_id",
    )
    assert view.rows[1]["impact"] == "Medium" and view.rows[1]["relationship_id"] == w.rel.id
    assert view.total == 6 and len(view) == 2
    own = w.kit.goals.view(columns=["name", "value"], sort=["name"], limit=1)
    assert own.to_dicts() == [{"id": own.rows[0].goal.id, "name": "Alpha", "value": 10}]
    with pytest.raises(sk.QueryError, match="unknown field"):
        w.kit.goals.view(extra_columns=["no_such_column"])


def test_grouping_by_any_field__GOAL_08(w: GoalWorld, clock: sk.FixedClock) -> None:
    made(w, clock)
    view = w.kit.goals.view(group_by="status", sort=["name"])
    assert view.groups == (("achieved", 1), ("in_progress", 1), ("not_achieved", 1), ("not_started", 3))
    assert [(g, [r.goal.name for r in rows]) for g, rows in view.by_group()] == [
        ("achieved", ["Delta"]),
        ("in_progress", ["Bravo"]),
        ("not_achieved", ["Foxtrot"]),
        ("not_started", ["Alpha", "Charlie", "Echo"]),
    ]
    by_impact = w.kit.goals.view(group_by="impact", sort=["name"])
    assert by_impact.groups == (("High", 2), ("Low", 1), ("Medium", 1), (None, 2))
    assert names(by_impact) == ["Alpha", "Charlie", "Bravo", "Echo", "Delta", "Foxtrot"]


def test_grouping_by_calendar_or_fiscal_quarter__GOAL_08(w: GoalWorld, clock: sk.FixedClock) -> None:
    made(w, clock)
    cal = w.kit.goals.view(group_by=sk.CalendarQuarter("due_date"), sort=["name"])
    assert cal.groups == (("2026-Q4", 1), ("2027-Q1", 2), ("2027-Q2", 1), ("2027-Q3", 1), (None, 1))
    assert names(cal) == ["Charlie", "Alpha", "Echo", "Bravo", "Foxtrot", "Delta"]
    april = w.kit.goals.view(group_by=sk.FiscalQuarter("due_date", start_month=4), sort=["name"])
    assert april.groups == (("FY2026-Q3", 1), ("FY2026-Q4", 2), ("FY2027-Q1", 1), ("FY2027-Q2", 1), (None, 1))
    october = w.kit.goals.view(group_by=sk.FiscalQuarter("due_date", start_month=10), sort=["name"])
    assert october.groups == (("FY2026-Q1", 1), ("FY2026-Q2", 2), ("FY2026-Q3", 1), ("FY2026-Q4", 1), (None, 1))
    assert [r.group for r in october] == ["FY2026-Q1", "FY2026-Q2", "FY2026-Q2", "FY2026-Q3", "FY2026-Q4", None]


@pytest.mark.parametrize(
    "group",
    [
        "status",
        "impact",
        sk.CalendarQuarter("due_date"),
        sk.FiscalQuarter("due_date", start_month=2),
        sk.FiscalQuarter("review_on"),
    ],
)
def test_grouped_pages_match_the_whole_list__GOAL_08(w: GoalWorld, clock: sk.FixedClock, group: Any) -> None:
    made(w, clock)
    whole = w.kit.goals.view(group_by=group, sort=["-value", "name"])
    for offset in range(7):
        for limit in (1, 2, 4):
            page = w.kit.goals.view(group_by=group, sort=["-value", "name"], limit=limit, offset=offset)
            assert [(r.goal.id, r.group) for r in page] == [(r.goal.id, r.group) for r in whole][
                offset : offset + limit
            ]
            assert page.groups == whole.groups and page.total == whole.total == 6


def test_sorting_by_columns_and_progress__GOAL_09(w: GoalWorld, clock: sk.FixedClock) -> None:
    goals = made(w, clock)
    kit = w.kit
    for name, closed in [("Alpha", 1), ("Bravo", 0), ("Charlie", 2)]:
        for i in range(2):
            cta = kit.goals.create_cta(goals[name], f"{name} {i}", type="risk", owner=w.alice).record
            if i < closed:
                kit.ctas.set_status(cta, "closed_success")
    assert names(kit.goals.view(sort=["due_date"])) == ["Charlie", "Alpha", "Echo", "Bravo", "Foxtrot", "Delta"]
    assert names(kit.goals.view(sort=[("value", "desc"), "name"])) == [
        "Bravo",
        "Charlie",
        "Alpha",
        "Delta",
        "Echo",
        "Foxtrot",
    ]  # missing values last
    assert names(kit.goals.view(sort=["owner_note", "name"]))[0] == "Alpha"
    by_progress = kit.goals.view(sort=["-progress", "name"])
    assert [(r.goal.name, r["progress"]) for r in by_progress][:3] == [
        ("Charlie", 100.0),
        ("Alpha", 50.0),
        ("Bravo", 0.0),
    ]
    assert names(by_progress)[3:] == ["Delta", "Echo", "Foxtrot"]  # no links: no progress, last
    grouped = kit.goals.view(sort=["progress"], group_by="impact", limit=3, offset=1)
    assert [(r.group, r.goal.name) for r in grouped] == [("High", "Charlie"), ("Low", "Bravo"), ("Medium", "Echo")]
    assert grouped.groups == (("High", 2), ("Low", 1), ("Medium", 1), (None, 2))


@pytest.mark.parametrize("field", ["impact", "fields.impact", "products", "-products", "status", "-status"])
def test_sorting_by_dropdown_or_multiselect_is_refused__GOAL_09(w: GoalWorld, clock: sk.FixedClock, field: str) -> None:
    made(w, clock)
    before = snapshot(w.kit)
    with pytest.raises(sk.QueryError) as e:
        w.kit.goals.view(sort=[field])
    assert e.value.rule == "GOAL_09" and e.value.value == field.lstrip("-")
    assert field.lstrip("-").removeprefix("fields.") in str(e.value)
    assert snapshot(w.kit) == before


def test_numbered_conditions_and_advanced_logic__GOAL_10(w: GoalWorld, clock: sk.FixedClock) -> None:
    made(w, clock)
    conditions = [("status", "=", "not_started"), ("due_date", "<", date(2027, 2, 1)), ("value", ">=", 10)]
    view = w.kit.goals.view(conditions, logic="(1 AND 2) OR NOT 3", sort=["name"])
    assert names(view) == ["Alpha", "Charlie", "Delta", "Echo", "Foxtrot"]
    view = w.kit.goals.view(conditions, logic="(1 AND 2) OR 3", sort=["name"])
    assert names(view) == ["Alpha", "Bravo", "Charlie"]
    view = w.kit.goals.view(
        [("products", "contains", "CRM"), ("value", ">=", 20), ("review_on", "is empty")],
        logic="1 OR (2 AND NOT 1 AND 3)",
        sort=["name"],
    )
    assert names(view) == ["Bravo", "Charlie"]
    saved = sk.Query(conditions=conditions, logic="1 AND (2 OR NOT 3)", sort=["-name"], limit=1)
    assert names(w.kit.goals.view(saved)) == ["Echo"]


@pytest.mark.parametrize(
    "conditions,logic,message",
    [
        ([("status", "=", "achieved"), ("value", ">", 1)], "(1 AND", "ends too early"),
        ([("status", "=", "achieved"), ("value", ">", 1)], "1 AND 2)", r"unexpected '\)'"),
        ([("status", "=", "achieved"), ("value", ">", 1)], "1 XOR 2", "unknown word"),
        ([("status", "=", "achieved"), ("value", ">", 1)], "1 AND 3", "there are 2 conditions"),
        ([("status", "=", "achieved"), ("no_such_field", "=", 1)], "1 OR 2", "unknown field"),
        ([("status", "=", "achieved"), ("value", "=", "ten")], "1 OR 2", "takes numbers"),
    ],
)
def test_bad_filters_are_clear_errors__GOAL_10(
    w: GoalWorld, clock: sk.FixedClock, conditions: Any, logic: str, message: str
) -> None:
    made(w, clock)
    before = snapshot(w.kit)
    with pytest.raises(sk.QueryError, match=message):
        w.kit.goals.view(conditions, logic=logic, group_by=sk.FiscalQuarter("due_date"), limit=5)
    assert snapshot(w.kit) == before


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    logic=st.one_of(
        st.text(max_size=40),
        st.lists(
            st.sampled_from(["1", "2", "3", "4", "0", "AND", "OR", "NOT", "(", ")", " ", "and", "x"]), max_size=14
        ).map(" ".join),
    )
)
def test_random_logic_is_accepted_or_a_query_error__GOAL_10(kit: sk.Kit, logic: str) -> None:
    conditions = [("status", "=", "achieved"), ("name", "contains", "a"), ("due_date", "is empty")]
    try:
        view = kit.goals.view(conditions, logic=logic, sort=["-progress"], limit=5)
    except sk.QueryError:
        return
    assert view.total == 0


# ------------------------------------------------------------------ GOAL_11 / GOAL_12
def test_every_change_is_kept_in_the_history__GOAL_11(w: GoalWorld, clock: sk.FixedClock) -> None:
    kit = w.kit
    me = kit.as_user(w.alice)
    carol = kit.users.create("Carol", license="full")
    goal = me.goals.create("Reduce churn", company=w.acme, fields={"impact": "High"})
    created_at = kit.now()
    later(clock)
    goal = kit.as_user(carol).goals.update(
        goal, status="in_progress", due_date=date(2027, 3, 1), fields={"impact": "Low", "value": 7}
    )
    later(clock)
    cta = me.goals.create_cta(goal, "Call", type="risk", owner=w.alice).record
    me.goals.unlink(goal, cta)
    me.goals.update(goal, name="Reduce churn (EMEA)", description="")  # blank description stays empty
    got = [(h.created_by, h.created_at, h.action, h.field, h.old, h.new) for h in kit.goals.history(goal)]
    assert got == [
        (w.alice.id, created_at, "created", None, None, "Reduce churn"),
        (carol.id, created_at + timedelta(minutes=1), "changed", "status", "not_started", "in_progress"),
        (carol.id, created_at + timedelta(minutes=1), "changed", "due_date", None, "2027-03-01"),
        (carol.id, created_at + timedelta(minutes=1), "changed", "fields.impact", "High", "Low"),
        (carol.id, created_at + timedelta(minutes=1), "changed", "fields.value", None, 7),
        (w.alice.id, kit.now(), "linked", "cta", None, cta.id),
        (w.alice.id, kit.now(), "unlinked", "cta", cta.id, None),
        (w.alice.id, kit.now(), "changed", "name", "Reduce churn", "Reduce churn (EMEA)"),
    ]
    assert kit.goal_history.count([("action", "=", "changed")]) == 5


def test_history_is_written_with_the_change__GOAL_11(w: GoalWorld) -> None:
    kit = w.kit
    goal = w.goal()
    fail_each_write(kit, lambda: kit.goals.update(goal.id, status="achieved", description="Done"))
    assert [h.field for h in kit.goals.history(goal)] == [None, "status", "description"]
    assert kit.goals.update(goal.id, status="achieved").version == 2  # no change: no write, no entry
    assert len(kit.goals.history(goal)) == 3


@pytest.mark.parametrize(
    "field", ["id", "created_at", "created_date", "created_by", "creator", "progress", "version", "company_id"]
)
def test_system_fields_cannot_be_edited__GOAL_12(w: GoalWorld, field: str) -> None:
    goal = w.goal()
    before = snapshot(w.kit)
    with pytest.raises(sk.RuleViolation) as e:
        w.kit.goals.update(goal, **{field: "x", "name": "Renamed"})
    assert e.value.rule == "GOAL_12" and field in str(e.value)
    assert snapshot(w.kit) == before


def test_stale_goal_is_a_conflict__GOAL_11(w: GoalWorld) -> None:
    goal = w.goal()
    w.kit.goals.update(goal, name="New")
    before = snapshot(w.kit)
    with pytest.raises(sk.ConflictError):
        w.kit.goals.update(goal, name="Lost update")
    assert snapshot(w.kit) == before


# ------------------------------------------------------------------ GOAL_13 / GOAL_14
def test_reports_on_goals_templates_and_links__GOAL_13(w: GoalWorld, clock: sk.FixedClock) -> None:
    kit = w.kit
    goals = made(w, clock)
    kit.goal_templates.create("Adoption", fields={"impact": "High"})
    kit.goals.create_cta(goals["Alpha"], "Call", type="risk", owner=w.alice)
    kit.goals.link(goals["Bravo"], w.plan())
    assert [g.name for g in kit.goals.report("goals", [("impact", "=", "High")], sort=["name"])] == ["Alpha", "Charlie"]
    assert [t.name for t in kit.goals.report("goal_templates")] == ["Adoption"]
    links = kit.goals.report(
        "goal_links", [("item_kind", "=", "plan"), ("item_kind", "=", "cta")], logic="1 OR 2", sort=["item_kind"]
    )
    assert [x.item_kind for x in links] == ["cta", "plan"]
    assert links[0].goal_id == goals["Alpha"].id
    with pytest.raises(sk.ValidationError, match="goal reports use one of"):
        kit.goals.report("objectives")


def test_reports_as_dataframes__GOAL_13(w: GoalWorld, clock: sk.FixedClock) -> None:
    pytest.importorskip("pandas")
    kit = w.kit
    goals = made(w, clock)
    kit.goal_templates.create("Adoption")
    kit.goals.create_cta(goals["Alpha"], "Call", type="risk", owner=w.alice)
    frame = kit.goals.report("goals", sort=["name"]).to_pandas()
    assert list(frame["name"]) == ["Alpha", "Bravo", "Charlie", "Delta", "Echo", "Foxtrot"]
    assert "fields.impact" in frame.columns
    assert len(kit.goals.report("goal_templates").to_pandas()) == 1
    assert list(kit.goals.report("goal_links").to_pandas()["item_kind"]) == ["cta"]
    view = kit.goals.view(group_by=sk.FiscalQuarter("due_date"), sort=["name"]).to_pandas()
    assert list(view.columns) == ["group", "name", "due_date", "status", "progress", "id"]
    assert view.loc[view["name"] == "Alpha", "progress"].item() == 0.0


def test_company_goals_with_its_relationships_goals__GOAL_14(w: GoalWorld, clock: sk.FixedClock) -> None:
    kit = w.kit
    own = w.goal("Company goal")
    later(clock)
    rel = w.goal("Relationship goal", relationship=w.rel)
    w.goal("Other company goal", company=w.other)
    kit.store.stats.reset()
    both = kit.goals.of_company(w.acme, relationships=True)
    assert kit.store.stats.total == 1
    assert [g.id for g in both] == [rel.id, own.id]
    assert [g.id for g in kit.goals.of_company(w.acme, relationships=False)] == [own.id]
    assert names(kit.goals.view(company=w.acme, relationships=True)) == ["Relationship goal", "Company goal"]
    assert names(kit.goals.view(company=w.acme, relationships=False)) == ["Company goal"]
    assert names(kit.goals.view(relationship=w.rel)) == ["Relationship goal"]


def test_relationship_goals_join_the_company_list_only_when_configured__GOAL_14(w: GoalWorld) -> None:
    """By default a company's goal list keeps to the company's own goals; an administrator
    turns relationships' goals on for every call that does not say, and a bad setting is a clear error."""
    kit = w.kit
    own, rel = w.goal("Company goal"), w.goal("Relationship goal", relationship=w.rel)
    assert [g.id for g in kit.goals.of_company(w.acme)] == [own.id]
    assert names(kit.goals.view(company=w.acme)) == ["Company goal"]
    kit.goals.show_relationship_goals(True)
    assert {g.id for g in kit.goals.of_company(w.acme)} == {own.id, rel.id}
    assert set(names(kit.goals.view(company=w.acme))) == {"Company goal", "Relationship goal"}
    assert [g.id for g in kit.goals.of_company(w.acme, relationships=False)] == [own.id]
    kit.goals.show_relationship_goals(False)
    assert [g.id for g in kit.goals.of_company(w.acme)] == [own.id]
    for bad in ("yes", 1):
        with pytest.raises(sk.ValidationError) as e:
            kit.goals.of_company(w.acme, relationships=bad)  # type: ignore[arg-type]
        assert e.value.value == bad
    with pytest.raises(sk.ValidationError):
        kit.goals.show_relationship_goals("on")  # type: ignore[arg-type]
    with pytest.raises(sk.ValidationError, match=r"goal\.show_relationship_goals_in_company") as e:
        kit.config.set_setting("goal.show_relationship_goals_in_company", "maybe")
    assert e.value.value == "maybe"
    assert [g.id for g in kit.goals.of_company(w.acme)] == [own.id]


def test_goals_filter_and_group_by_computed_progress__GOAL_10_GOAL_08(w: GoalWorld) -> None:
    """Progress is a field like any other in the list view: numbered conditions with logic,
    grouping and sorting, with the query language's null rules (no links: empty)."""
    kit = w.kit
    done, half = w.goal("Done"), w.goal("Half")
    w.goal("No links")
    high = w.goal("High impact", fields={"impact": "High"})
    for goal, closed, open_ in ((done, 2, 0), (half, 1, 1), (high, 0, 1)):
        for i in range(closed + open_):
            cta = w.cta(f"{goal.name} {i}")
            kit.goals.link(goal, cta)
            if i < closed:
                kit.ctas.set_status(cta, "closed_success")
    view = kit.goals.view([("progress", ">=", 50), ("impact", "=", "High")], logic="1 OR 2", sort=["name"])
    assert [r.goal.name for r in view] == ["Done", "Half", "High impact"] and view.total == 3
    assert [r.goal.name for r in kit.goals.view([("progress", "is empty")])] == ["No links"]
    assert [r.goal.name for r in kit.goals.view([("progress", "between", (1, 99))])] == ["Half"]
    paged = kit.goals.view([("progress", "is not empty")], sort=["-progress"], limit=2)
    assert [r["progress"] for r in paged] == [100.0, 50.0] and paged.total == 3
    grouped = kit.goals.view(group_by="progress", sort=["name"])
    assert grouped.groups == ((0.0, 1), (50.0, 1), (100.0, 1), (None, 1))
    assert [r.group for r in grouped] == [0.0, 50.0, 100.0, None]
    with pytest.raises(sk.QueryError, match="progres"):
        kit.goals.view([("progres", ">", 1)])
    with pytest.raises(sk.QueryError):
        kit.goals.view([("progress", ">", "lots")])


def test_plugin_goal_status_does_not_change_the_default__GOAL_01(open_kit: Any) -> None:
    """A plugin adding an open goal status does not make it the status new goals start in."""

    class Blocked:
        @hookimpl
        def successkit_register_statuses(self, register: Any) -> None:
            register("goal", "blocked", "Blocked", "open")

    kit = open_kit(plugins=[Blocked()])
    acme = kit.companies.create("Acme")
    assert kit.goals.create("Reduce churn", company=acme).status == "not_started"
    assert kit.goals.create("Stuck", company=acme, status="blocked").status == "blocked"


def test_every_goal_sort_refuses_dropdown_fields__GOAL_09(kit: sk.Kit) -> None:
    kit.custom_fields.declare("goal", "impact", "dropdown", options=["High", "Low"])
    kit.goals.create("G", company=kit.companies.create("Acme"))
    for sort in (["status"], ["-status"], ["name", "status"], ["impact"], ["-fields.impact"]):
        for call in (
            lambda s: kit.goals.list(sort=s),
            lambda s: kit.goals.report("goals", sort=s),
            lambda s: list(kit.goals.iter(sort=s)),
            lambda s: kit.goals.list(sk.Query(sort=s)),
            lambda s: kit.goals.view(sort=s),
        ):
            with pytest.raises(sk.QueryError) as e:
                call(sort)
            assert e.value.rule == "GOAL_09", sort
    assert [g.name for g in kit.goals.list(sort=["-due_date", "name"])] == ["G"]
    assert len(kit.goals.report("goal_templates", sort=["name"])) == 0
