"""The timeline: TL_01-TL_05, paging with bounded queries, PLAN_06 inside closed plans."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest

import successkit as sk
from successkit.plugins import hookimpl

from .helpers import World, snapshot


class TimelineWorld(World):
    """A company with a company plan (two objectives) and a relationship plan."""

    def __init__(self, kit: sk.Kit) -> None:
        super().__init__(kit)
        self.sp = self.plan("Onboarding")
        self.o1 = kit.objectives.create(self.sp, "Kickoff").record
        self.o2 = kit.objectives.create(self.sp, "Training").record
        self.rel_plan = self.plan("Analytics rollout", relationship=self.rel)
        self.at = datetime(2026, 11, 1, 9, 0, tzinfo=timezone.utc)

    def when(self, hours: int) -> datetime:
        return self.at + timedelta(hours=hours)


@pytest.fixture
def tw(kit: sk.Kit) -> TimelineWorld:
    return TimelineWorld(kit)


def subjects(page: sk.TimelinePage) -> list[str]:
    return [i.activity.subject for i in page]


def test_activities_logged_at_every_level__TL_01(tw: TimelineWorld) -> None:
    t = tw.kit.as_user(tw.alice).timeline
    company = t.log(
        "call", "Intro call", company=tw.acme, notes="Went well", occurred_at=tw.when(1), participants=[tw.bob, tw.pat]
    )
    rel = t.log("meeting", "Rollout sync", relationship=tw.rel, occurred_at=tw.when(2))
    plan = t.log("update", "Plan update", plan=tw.sp, occurred_at=tw.when(3))
    obj = t.log("email", "Kickoff mail", objective=tw.o1, occurred_at=tw.when(4))
    got = tw.kit.timeline.get(company.id)
    assert (
        got.type,
        got.subject,
        got.notes,
        got.occurred_at,
        got.author_id,
        got.participant_user_ids,
        got.participant_person_ids,
        got.draft,
    ) == ("call", "Intro call", "Went well", tw.when(1), tw.alice.id, (tw.bob.id,), (tw.pat.id,), False)
    levels = [(a.level, a.company_id, a.relationship_id, a.plan_id, a.objective_id) for a in (company, rel, plan, obj)]
    assert levels == [
        ("company", tw.acme.id, None, None, None),
        ("relationship", tw.acme.id, tw.rel.id, None, None),
        ("plan", tw.acme.id, None, tw.sp.id, None),
        ("objective", tw.acme.id, None, tw.sp.id, tw.o1.id),
    ]


def test_activity_can_be_saved_as_draft_and_published__TL_01(tw: TimelineWorld, clock: sk.FixedClock) -> None:
    t = tw.kit.timeline
    draft = t.save_draft("note", "Half-written notes", plan=tw.sp)
    assert draft.draft and draft.published_at is None
    clock.advance(hours=2)
    published = t.publish(draft)
    assert not published.draft and published.published_at == clock()
    before = snapshot(tw.kit)
    with pytest.raises(sk.ValidationError, match="only a draft"):
        t.publish(published)
    assert snapshot(tw.kit) == before


def test_built_in_and_plugin_activity_types__TL_01(open_kit: Any) -> None:
    class Qbr:
        @hookimpl
        def successkit_register_activity_types(self, register: Any) -> None:
            register("qbr", "Quarterly business review")

    kit = open_kit(plugins=[Qbr()])
    assert sorted(kit.activity_types.keys()) == ["call", "ebr", "email", "meeting", "note", "qbr", "renewal", "update"]
    assert kit.activity_types.label("qbr") == "Quarterly business review"
    acme = kit.companies.create("Acme")
    assert kit.timeline.log("qbr", "Q3 review", company=acme).type == "qbr"
    before = snapshot(kit)
    with pytest.raises(sk.ValidationError, match="unknown activity type"):
        kit.timeline.log("carrier_pigeon", "Coo", company=acme)
    assert snapshot(kit) == before


def test_an_activity_type_registered_twice_is_refused_when_the_kit_opens__TL_01() -> None:
    class Twice:
        @hookimpl
        def successkit_register_activity_types(self, register: Any) -> None:
            register("call")

    with pytest.raises(sk.ValidationError, match="registered twice"):
        sk.open(plugins=[Twice()], entry_points=False)


@pytest.mark.parametrize("levels", [{}, {"company": "acme", "plan": "sp"}])
def test_an_activity_has_exactly_one_level__TL_01(tw: TimelineWorld, levels: dict[str, str]) -> None:
    before = snapshot(tw.kit)
    with pytest.raises(sk.ValidationError, match="exactly one level"):
        tw.kit.timeline.log("note", "Where?", **{k: getattr(tw, v) for k, v in levels.items()})
    assert snapshot(tw.kit) == before


def test_unknown_participant_is_refused__TL_01(tw: TimelineWorld) -> None:
    before = snapshot(tw.kit)
    with pytest.raises(sk.ValidationError, match="neither a user nor a person"):
        tw.kit.timeline.log("call", "Call", company=tw.acme, participants=[tw.pat, "no-such-id"])
    assert snapshot(tw.kit) == before


def test_plan_timeline_shows_only_plan_level_activities__TL_02(tw: TimelineWorld) -> None:
    t = tw.kit.timeline
    t.log("update", "Plan update", plan=tw.sp, occurred_at=tw.when(1))
    t.save_draft("note", "Plan draft", plan=tw.sp, occurred_at=tw.when(2))
    t.log("email", "Objective mail", objective=tw.o1, occurred_at=tw.when(3))
    t.save_draft("note", "Objective draft", objective=tw.o1, occurred_at=tw.when(4))
    t.log("update", "Other plan update", plan=tw.rel_plan, occurred_at=tw.when(5))
    assert subjects(t.plan(tw.sp)) == ["Plan draft", "Plan update"]
    assert subjects(t.plan(tw.sp, drafts=False)) == ["Plan update"]


def test_objective_timeline_shows_only_its_own__TL_02(tw: TimelineWorld) -> None:
    t = tw.kit.timeline
    t.log("update", "Plan update", plan=tw.sp, occurred_at=tw.when(1))
    t.log("email", "Kickoff mail", objective=tw.o1, occurred_at=tw.when(2))
    t.save_draft("note", "Kickoff draft", objective=tw.o1, occurred_at=tw.when(3))
    t.log("email", "Training mail", objective=tw.o2, occurred_at=tw.when(4))
    assert subjects(t.objective(tw.o1)) == ["Kickoff draft", "Kickoff mail"]
    assert subjects(t.objective(tw.o2)) == ["Training mail"]


def test_company_timeline_shows_plan_and_objective_activities_with_SP_label__TL_03(tw: TimelineWorld) -> None:
    t = tw.kit.timeline
    t.log("call", "Company call", company=tw.acme, occurred_at=tw.when(1))
    t.log("update", "Plan update", plan=tw.sp, occurred_at=tw.when(2))
    t.save_draft("note", "Plan draft", plan=tw.sp, occurred_at=tw.when(3))
    t.log("email", "Objective mail", objective=tw.o1, occurred_at=tw.when(4))
    t.save_draft("note", "Objective draft", objective=tw.o2, occurred_at=tw.when(5))
    t.log("call", "Other company call", company=tw.other, occurred_at=tw.when(6))
    page = t.company(tw.acme)
    assert [(i.activity.subject, i.label, i.activity.draft) for i in page] == [
        ("Objective draft", None, True),
        ("Objective mail", None, False),
        ("Plan draft", "SP", True),
        ("Plan update", "SP", False),
        ("Company call", None, False),
    ]
    assert page.next is None


def test_relationship_timeline_has_its_own_level__TL_03(tw: TimelineWorld) -> None:
    t = tw.kit.timeline
    t.log("call", "Company call", company=tw.acme, occurred_at=tw.when(1))
    t.log("meeting", "Relationship meeting", relationship=tw.rel, occurred_at=tw.when(2))
    t.log("update", "Relationship plan update", plan=tw.rel_plan, occurred_at=tw.when(3))
    assert [(i.activity.subject, i.label) for i in t.relationship(tw.rel)] == [
        ("Relationship plan update", "SP"),
        ("Relationship meeting", None),
    ]
    assert subjects(t.company(tw.acme)) == ["Company call"]
    assert subjects(t.company(tw.acme, include_relationships=True)) == [
        "Relationship plan update",
        "Relationship meeting",
        "Company call",
    ]


def test_company_activities_never_show_in_plan_or_objective_timelines__TL_04(tw: TimelineWorld) -> None:
    t = tw.kit.timeline
    t.log("call", "Company call", company=tw.acme)
    t.save_draft("note", "Company draft", company=tw.acme)
    t.log("meeting", "Relationship meeting", relationship=tw.rel)
    assert len(t.plan(tw.sp)) == 0
    assert len(t.plan(tw.rel_plan)) == 0
    assert len(t.objective(tw.o1)) == 0
    assert sorted(subjects(t.company(tw.acme))) == ["Company call", "Company draft"]


def _bulk(tw: TimelineWorld, n: int) -> None:
    """``n`` activities over the company, its plan and an objective, many sharing a moment."""
    now = tw.kit.now()
    rows = []
    for i in range(n):
        level = ("company", "plan", "objective")[i % 3]
        rows.append(
            sk.Activity(
                created_at=now,
                updated_at=now,
                type="note",
                subject=f"a{i}",
                level=level,
                company_id=tw.acme.id,
                plan_id=None if level == "company" else tw.sp.id,
                objective_id=tw.o1.id if level == "objective" else None,
                occurred_at=tw.at + timedelta(minutes=i // 4),
                draft=i % 5 == 0,
            )
        )
    tw.kit.store.insert_many(rows)


def _walk(kit: sk.Kit, company: sk.Company, size: int) -> tuple[list[sk.Activity], list[int]]:
    seen: list[sk.Activity] = []
    calls: list[int] = []
    after = None
    while True:
        kit.store.stats.reset()
        page = kit.timeline.company(company, limit=size, after=after)
        calls.append(kit.store.stats.total)
        seen.extend(page.activities)
        after = page.next
        if after is None:
            return seen, calls


@pytest.mark.parametrize("n", [60, 300])
def test_company_timeline_pages_cost_one_query_each__TL_03(tw: TimelineWorld, n: int) -> None:
    """A page costs one store call whatever the size of the timeline, so a
    company with 100,000 activities pages as cheaply as one with 60."""
    _bulk(tw, n)
    tw.kit.timeline.company(tw.acme, limit=1)  # warm the kit's cache of custom-field declarations
    seen, calls = _walk(tw.kit, tw.acme, 25)
    assert set(calls) == {1}
    assert len(seen) == n and len({a.id for a in seen}) == n
    expected = sorted(seen, key=lambda a: (-a.occurred_at.timestamp(), a.id))
    assert [a.id for a in seen] == [a.id for a in expected]


def test_a_malformed_cursor_is_a_clear_error__TL_03(tw: TimelineWorld) -> None:
    with pytest.raises(sk.ValidationError, match="not a timeline cursor"):
        tw.kit.timeline.company(tw.acme, after="' OR 1=1 --")
    with pytest.raises(sk.ValidationError, match="limit"):
        tw.kit.timeline.company(tw.acme, limit=0)


def test_inline_task_from_plan_activity_creates_objective_with_type_defaults__TL_05(tw: TimelineWorld) -> None:
    kit = tw.kit
    kit.config.update_plan_type(
        "onboarding",
        objective_type="lifecycle",
        objective_priority="high",
        objective_category="technical",
        objective_due_days=10,
    )
    activity = kit.timeline.log("meeting", "Kickoff meeting", plan=tw.sp)
    before = kit.objectives.count([("plan_id", "=", tw.sp.id)])
    out = kit.timeline.add_task(activity, "Send the recap", due_date=date(2026, 11, 30))
    objective = out.created[0]
    assert kit.objectives.count([("plan_id", "=", tw.sp.id)]) == before + 1
    assert (
        objective.name,
        objective.plan_id,
        objective.type,
        objective.priority,
        objective.category,
        objective.due_date,
        objective.owner_id,
        objective.source,
    ) == (
        "Kickoff meeting",
        tw.sp.id,
        "lifecycle",
        "high",
        "technical",
        kit.today() + timedelta(days=10),
        tw.alice.id,
        "timeline",
    )
    task = kit.tasks.get(out.record.id)
    assert (task.name, task.parent_id, task.plan_id, task.due_date) == (
        "Send the recap",
        objective.id,
        tw.sp.id,
        date(2026, 11, 30),
    )


def test_inline_task_from_objective_activity_goes_under_it__TL_05(tw: TimelineWorld) -> None:
    kit = tw.kit
    activity = kit.timeline.log("call", "Check-in", objective=tw.o1)
    out = kit.timeline.add_task(activity, "Follow up")
    assert out.created == () and out.record.parent_id == tw.o1.id


def test_inline_task_from_company_activity_is_refused__TL_05(tw: TimelineWorld) -> None:
    activity = tw.kit.timeline.log("call", "Company call", company=tw.acme)
    before = snapshot(tw.kit)
    with pytest.raises(sk.ValidationError, match="plan- or objective-level"):
        tw.kit.timeline.add_task(activity, "Follow up")
    assert snapshot(tw.kit) == before


def test_inline_task_is_atomic__TL_05(tw: TimelineWorld) -> None:
    """A task that cannot be made leaves no half-made objective behind."""
    activity = tw.kit.timeline.log("meeting", "Kickoff meeting", plan=tw.sp)
    before = snapshot(tw.kit)
    with pytest.raises(sk.RuleViolation) as e:
        tw.kit.timeline.add_task(activity, "Follow up", owner=tw.ian)
    assert e.value.rule == "USER_01"
    assert snapshot(tw.kit) == before


def test_closed_plan_timeline_cannot_change__PLAN_06(tw: TimelineWorld) -> None:
    kit = tw.kit
    draft = kit.timeline.save_draft("note", "Draft", plan=tw.sp)
    kit.plans.set_status(tw.sp, "closed")
    before = snapshot(kit)
    attempts: list[Callable[[], object]] = [
        lambda: kit.timeline.log("note", "Late", plan=tw.sp),
        lambda: kit.timeline.log("note", "Late", objective=tw.o1),
        lambda: kit.timeline.publish(draft),
        lambda: kit.timeline.update(draft, subject="Changed"),
        lambda: kit.timeline.delete(draft),
        lambda: kit.timeline.add_task(draft, "Task"),
    ]
    for attempt in attempts:
        with pytest.raises(sk.ReadOnlyError) as e:
            attempt()
        assert e.value.rule == "PLAN_06"
    assert snapshot(kit) == before


def test_activities_can_be_edited_and_deleted__TL_01(tw: TimelineWorld) -> None:
    t = tw.kit.timeline
    a = t.log("call", "Call", company=tw.acme)
    edited = t.update(a, subject="Call with CFO", participants=[tw.pat], occurred_at=date(2026, 11, 2))
    assert (edited.subject, edited.participant_person_ids, edited.occurred_at) == (
        "Call with CFO",
        (tw.pat.id,),
        datetime(2026, 11, 2, tzinfo=timezone.utc),
    )
    with pytest.raises(sk.ConflictError):
        t.update(a, subject="Stale")  # STORE_04: the caller's copy is old
    t.delete(a)
    assert len(t.company(tw.acme)) == 0


def test_deleting_objective_or_plan_deletes_their_activities__OBJ_10(tw: TimelineWorld) -> None:
    t = tw.kit.timeline
    t.log("call", "Company call", company=tw.acme)
    t.log("email", "Objective mail", objective=tw.o1)
    tw.kit.objectives.delete(tw.o1)
    assert subjects(t.company(tw.acme)) == ["Company call"]
    t.log("update", "Plan update", plan=tw.sp)
    tw.kit.plans.delete(tw.sp)
    assert subjects(t.company(tw.acme)) == ["Company call"]


def test_timeline_activities_are_not_cloned__CLONE_10(tw: TimelineWorld) -> None:
    t = tw.kit.timeline
    t.log("update", "Plan update", plan=tw.sp)
    t.log("email", "Objective mail", objective=tw.o1)
    clone = tw.kit.plans.clone(tw.sp, to=tw.other)
    assert len(t.plan(clone.plan)) == 0
    assert all(len(t.objective(o)) == 0 for o in clone.objectives)
    assert len(t.company(tw.other)) == 0
