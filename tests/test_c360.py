"""Customer 360 views: C360_01 (every section of a company or relationship in one
call) and C360_02 (a bounded number of storage calls, whatever the company holds)."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import attrs
import pytest

import successkit as sk

from .conftest import NOW
from .helpers import World, chain


@attrs.define
class Book:
    """A company with something in every section of its 360 view."""

    w: World
    root: sk.Company
    mid: sk.Company
    target: sk.Company
    rel: sk.Relationship
    ctas: dict[str, sk.Cta]
    plans: dict[str, sk.SuccessPlan]
    goals: dict[str, sk.Goal]
    activities: list[sk.Activity]


@pytest.fixture
def book(kit: sk.Kit) -> Book:
    w = World(kit)
    alice = w.alice
    kit.custom_fields.declare("company", "segment", "text")
    root = kit.companies.create("Group")
    mid = kit.companies.create("Region", parent=root)
    target = kit.companies.create(
        "Target",
        parent=mid,
        csm_id=alice.id,
        arr=120_000,
        health_score=78,
        nps=42,
        stage="Adoption",
        industry="Retail",
        renewal_date=date(2027, 2, 1),
        fields={"segment": "Enterprise"},
    )
    kit.companies.create("Kid B", parent=target)
    kit.companies.create("Kid A", parent=target)
    rel = kit.relationships.create(target, w.product, "Target Analytics", csm_id=w.bob.id, arr=50_000, nps=10)
    kit.people.create("Zed", company=target, sponsor=True, title="CTO")
    kit.people.create("Amy", company=target)

    ctas = {
        "open": kit.ctas.create("Call sponsor", company=target, type="risk", due_date=date(2026, 12, 1)).record,
        "closed": kit.ctas.create("Done", company=target, type="risk", status="closed_success").record,
        "later": kit.ctas.create("Later", relationship=rel, type="risk", owner=alice).record,
        "rel": kit.ctas.create(
            "Rel risk", relationship=rel, type="risk", owner=alice, due_date=date(2026, 11, 30)
        ).record,
    }
    ctas["later"] = kit.ctas.snooze(ctas["later"], date(2026, 12, 10))

    adopt = w.plan("Adopt", company=target)
    kit.plans.set_status(adopt, "active")
    kit.objectives.create(adopt, "Kickoff", start_date=date(2026, 11, 1), due_date=date(2026, 11, 20))
    kit.objectives.create(adopt, "Train", status="closed_success")
    old = w.plan("Old", company=target)
    kit.objectives.create(old, "Leftover")
    old = kit.plans.set_status(old, "closed").record
    rel_plan = w.plan("Rel plan", company=target, relationship=rel)

    churn = kit.goals.create("Reduce churn", company=target)
    kit.goals.link(churn, ctas["open"])
    kit.goals.link(churn, ctas["closed"])
    grow = kit.goals.create("Grow", relationship=rel)

    log = kit.as_user(alice).timeline.log
    activities = [
        log("call", "Newest", company=target, occurred_at=NOW - timedelta(days=1)),
        log("note", "Rel note", relationship=rel, occurred_at=NOW - timedelta(days=1, hours=12)),
        log("meeting", "Middle", company=target, occurred_at=NOW - timedelta(days=2)),
        log("email", "Oldest", company=target, occurred_at=NOW - timedelta(days=3)),
    ]
    return Book(
        w,
        root,
        mid,
        target,
        rel,
        ctas,
        {"adopt": adopt, "old": old, "rel": rel_plan},
        {"churn": churn, "grow": grow},
        activities,
    )


def names(items: Any) -> list[str]:
    return [i.name for i in items]


# ------------------------------------------------------------------ C360_01
def test_company_view_holds_attributes_csm_and_hierarchy__C360_01(kit: sk.Kit, book: Book) -> None:
    view = kit.c360.company(book.target)
    assert view.company.id == book.target.id
    assert view.csm is not None and view.csm.id == book.w.alice.id
    assert (view.arr, view.health_score, view.nps) == (120_000, 78, 42)
    assert view.attributes == {
        "stage": "Adoption",
        "status": None,
        "industry": "Retail",
        "renewal_date": date(2027, 2, 1),
        "arr": 120_000,
        "health_score": 78,
        "nps": 42,
        "fields.segment": "Enterprise",
    }
    assert [a.id for a in view.ancestors] == [book.root.id, book.mid.id]  # root first, then the parent
    assert names(view.children) == ["Kid A", "Kid B"]
    assert [r.id for r in view.relationships] == [book.rel.id]
    assert view.relationship_types[book.rel.type_id].name == "Product line"


def test_the_summary_comes_first__C360_03(kit: sk.Kit, book: Book) -> None:
    """Health (with grade, colour and trend once scored), ARR, NPS, open CTAs and the renewal
    with the days left, first in every rendering."""
    view = kit.c360.company(book.target)
    today = kit.today()
    assert view.summary == {
        "health": 78, "grade": None, "colour": None, "trend": None, "arr": 120_000, "nps": 42,
        "open_ctas": 2, "renewal_date": date(2027, 2, 1), "renewal_in_days": (date(2027, 2, 1) - today).days,
    }  # fmt: skip
    heading, (line,) = view.sections()[0]
    assert heading == "Summary" and line.startswith("Health 78 | ARR") and "2 open CTAs" in line
    assert view.to_dict()["summary"]["renewal_date"] == "2027-02-01"


def test_company_view_lists_open_ctas_and_snoozed_apart__C360_01(kit: sk.Kit, book: Book) -> None:
    view = kit.c360.company(book.target)
    assert [c.id for c in view.open_ctas] == [book.ctas["rel"].id, book.ctas["open"].id]  # by due date
    assert [c.id for c in view.snoozed_ctas] == [book.ctas["later"].id]  # OBJ_08: not among the open ones


def test_company_view_lists_every_plan_with_its_counts__C360_01(kit: sk.Kit, book: Book) -> None:
    view = kit.c360.company(book.target)
    by_name = {s.plan.name: s for s in view.plans}
    assert list(by_name) == ["Adopt", "Old", "Rel plan"]
    assert by_name["Adopt"].category == "active"
    assert by_name["Adopt"].counts == sk.PlanCounts(total=2, open=1, overdue=1, closed_success=1)
    assert by_name["Old"].category == "closed"  # closed plans stay in the view, with their counts
    assert by_name["Old"].counts == sk.PlanCounts(total=1, closed_lost=1)
    assert by_name["Rel plan"].counts == sk.PlanCounts()


def test_company_view_lists_goals_with_progress__C360_01(kit: sk.Kit, book: Book) -> None:
    view = kit.c360.company(book.target, relationship_goals=True)
    progress = {s.goal.name: s.progress for s in view.goals}
    assert progress == {
        "Reduce churn": sk.GoalProgress(linked=2, closed=1, achieved=1),
        "Grow": sk.GoalProgress(),
    }  # the relationship's goal too (GOAL_14)
    assert progress["Reduce churn"].percent == 50.0


def test_relationship_goals_show_in_the_company_view_when_configured__GOAL_14(kit: sk.Kit, book: Book) -> None:
    """Relationships' goals show in the company 360 only if an administrator turned them on
    (off by default) or the call asks for them; their CTAs and plans show either way."""
    view = kit.c360.company(book.target)
    assert [s.goal.name for s in view.goals] == ["Reduce churn"]
    assert book.plans["rel"].id in [s.plan.id for s in view.plans]  # relationship work still shows
    assert sorted(s.goal.name for s in kit.c360.company(book.target, relationship_goals=True).goals) == [
        "Grow",
        "Reduce churn",
    ]
    kit.goals.show_relationship_goals(True)
    assert sorted(s.goal.name for s in kit.c360.company(book.target).goals) == ["Grow", "Reduce churn"]
    assert [s.goal.name for s in kit.c360.company(book.target, relationship_goals=False).goals] == ["Reduce churn"]
    assert [s.goal.name for s in kit.c360.company(book.target, relationships=False).goals] == ["Reduce churn"]
    assert [s.goal.name for s in kit.c360.relationship(book.rel).goals] == ["Grow"]  # its own, always
    with pytest.raises(sk.ValidationError) as e:
        kit.c360.company(book.target, relationship_goals="yes")  # type: ignore[arg-type]
    assert e.value.value == "yes"


def test_company_view_lists_people_and_flags_sponsors__C360_01(kit: sk.Kit, book: Book) -> None:
    view = kit.c360.company(book.target)
    assert names(view.people) == ["Amy", "Zed"]  # Pat works at another company
    assert names(view.sponsors) == ["Zed"]


def test_company_view_shows_the_recent_timeline_newest_first__C360_01(kit: sk.Kit, book: Book) -> None:
    view = kit.c360.company(book.target, timeline_limit=3)
    assert [i.activity.subject for i in view.timeline] == ["Newest", "Rel note", "Middle"]
    assert view.timeline_next is not None
    rest = kit.timeline.company(book.target, include_relationships=True, after=view.timeline_next)
    assert [i.activity.subject for i in rest] == ["Oldest"]
    assert kit.c360.company(book.target).timeline_next is None  # 20 by default: all four


def test_company_view_can_leave_relationships_out__C360_01(kit: sk.Kit, book: Book) -> None:
    view = kit.c360.company(book.target, relationships=False)
    assert [c.id for c in view.open_ctas] == [book.ctas["open"].id]
    assert view.snoozed_ctas == ()
    assert names(s.plan for s in view.plans) == ["Adopt", "Old"]
    assert [s.goal.name for s in view.goals] == ["Reduce churn"]
    assert [i.activity.subject for i in view.timeline] == ["Newest", "Middle", "Oldest"]
    assert [r.id for r in view.relationships] == [book.rel.id]  # still listed: they are the company's


def test_relationship_view__C360_01(kit: sk.Kit, book: Book) -> None:
    view = kit.c360.relationship(book.rel.id)
    assert (view.relationship.id, view.company.id, view.type.name) == (book.rel.id, book.target.id, "Product line")
    assert view.csm is not None and view.csm.id == book.w.bob.id  # the relationship's own CSM
    assert (view.arr, view.health_score, view.nps) == (50_000, None, 10)
    assert [c.id for c in view.open_ctas] == [book.ctas["rel"].id]
    assert [c.id for c in view.snoozed_ctas] == [book.ctas["later"].id]
    assert [(s.plan.id, s.category) for s in view.plans] == [(book.plans["rel"].id, "draft")]
    assert [s.goal.id for s in view.goals] == [book.goals["grow"].id]
    assert [i.activity.subject for i in view.timeline] == ["Rel note"]
    assert names(view.people) == ["Amy", "Zed"] and names(view.sponsors) == ["Zed"]  # the company's people


def test_views_render_as_text_html_and_dicts__C360_01(kit: sk.Kit, book: Book) -> None:
    kit.companies.update(book.target, name="Target <&> Co")
    view = kit.c360.company(book.target, relationship_goals=True)
    text = str(view)
    assert text == view.describe()
    for part in (
        "Target <&> Co: company 360",
        "Path: Group > Region > Target <&> Co",
        "ARR: $120,000",
        "Open CTAs (2)",
        "Snoozed CTAs (1)",
        "Success plans (3)",
        "50% (1 of 2 achieved)",
        "People (2, 1 sponsor)",
        "Zed (sponsor) | CTO",
        "Call: Newest",
        "CSM: Alice",
    ):
        assert part in text
    page = view._repr_html_()
    assert "Target &lt;&amp;&gt; Co" in page and "<&>" not in page
    data = json.loads(json.dumps(view.to_dict()))
    assert data["kind"] == "company_360"
    assert [a["name"] for a in data["hierarchy"]["ancestors"]] == ["Group", "Region"]
    assert data["attributes"]["renewal_date"] == "2027-02-01"
    assert {g["goal"]["name"]: g["progress"]["percent"] for g in data["goals"]} == {"Reduce churn": 50.0, "Grow": None}
    rdata = json.loads(json.dumps(kit.c360.relationship(book.rel).to_dict()))
    assert (rdata["kind"], rdata["type"]["name"]) == ("relationship_360", "Product line")
    assert "Target Analytics: relationship 360" in str(kit.c360.relationship(book.rel))


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda kit, b: kit.c360.company("no-such-company"), sk.NotFound),
        (lambda kit, b: kit.c360.company(42), sk.ValidationError),
        (lambda kit, b: kit.c360.company(None), sk.ValidationError),
        (lambda kit, b: kit.c360.company(b.rel), sk.ValidationError),
        (lambda kit, b: kit.c360.relationship(b.target), sk.ValidationError),
        (lambda kit, b: kit.c360.relationship(b.target.id), sk.NotFound),
        (lambda kit, b: kit.c360.company(b.target, timeline_limit=0), sk.ValidationError),
        (lambda kit, b: kit.c360.company(b.target, timeline_limit=501), sk.ValidationError),
        (lambda kit, b: kit.c360.company(b.target, timeline_limit=True), sk.ValidationError),
        (lambda kit, b: kit.c360.relationship(b.rel, timeline_limit="5"), sk.ValidationError),
        (lambda kit, b: kit.c360.company(b.target, relationships="no"), sk.ValidationError),
    ],
)
def test_bad_input_is_a_successkit_error__C360_01(kit: sk.Kit, book: Book, call: Any, error: type[Exception]) -> None:
    with pytest.raises(error) as e:
        call(kit, book)
    assert isinstance(e.value, sk.SuccessKitError) and not isinstance(e.value, KeyError)


# ------------------------------------------------------------------ C360_02
def populate(w: World, company: sk.Company, n: int, tag: str, *, children: bool = True) -> sk.Relationship:
    """``n`` of everything a view shows: half on the company, half on its first relationship."""
    kit = w.kit
    rels = [kit.relationships.create(company, w.product, f"{tag} rel {i}", csm_id=w.bob.id) for i in range(n)]
    if children:
        kit.companies.create_many([{"name": f"{tag} child {i}", "parent": company} for i in range(n)])
    log = kit.as_user(w.alice).timeline.log
    for i in range(n):
        where: dict[str, Any] = {"relationship": rels[0]} if i % 2 else {"company": company}
        cta = kit.ctas.create(f"{tag} cta {i}", type="risk", owner=w.alice, **where).record
        closed = kit.ctas.create(f"{tag} done {i}", type="risk", owner=w.alice, status="closed_lost", **where).record
        plan = w.plan(f"{tag} plan {i}", company=company, relationship=where.get("relationship"))
        kit.objectives.create(plan, f"{tag} objective {i}")
        if i < 2:  # a closed plan on each level: its goal's progress reads its objectives (GOAL_06)
            plan = kit.plans.set_status(plan, "closed").record
        goal = kit.goals.create(f"{tag} goal {i}", **where)
        for item in (cta, closed, plan):
            kit.goals.link(goal, item)
        kit.people.create(f"{tag} person {i}", company=company, sponsor=i % 3 == 0)
        log("call", f"{tag} call {i}", occurred_at=NOW - timedelta(hours=i), **where)
    return rels[0]


def counted(kit: sk.Kit, build: Any) -> int:
    """Storage calls of one view, once the kit has read its custom-field declarations."""
    build()
    kit.store.stats.reset()
    build()
    return kit.store.stats.total


def test_store_calls_do_not_grow_with_what_the_company_holds__C360_02(kit: sk.Kit) -> None:
    w = World(kit)
    few = kit.companies.create("Few", parent=chain(kit, 2, "F")[-1], csm_id=w.alice.id)
    many = kit.companies.create("Many", parent=chain(kit, 2, "M")[-1], csm_id=w.alice.id)
    few_rel = populate(w, few, 2, "few")
    many_rel = populate(w, many, 30, "many")
    for child in kit.companies.children(many)[:10]:  # a deeper tree below doesn't change a thing
        kit.companies.create(f"{child.name} sub", parent=child)

    kit.goals.show_relationship_goals(True)
    small = counted(kit, lambda: kit.c360.company(few, timeline_limit=50))
    large = counted(kit, lambda: kit.c360.company(many, timeline_limit=50))
    assert len(kit.c360.company(many, timeline_limit=50).timeline) == 30
    assert small == large == 21  # two ancestors, one read a level; plan counts: four grouped counts; the layout
    assert (
        counted(kit, lambda: kit.c360.relationship(few_rel))
        == counted(kit, lambda: kit.c360.relationship(many_rel))
        == 18
    )


def test_store_calls_stay_bounded_at_the_deepest_level__C360_02(kit: sk.Kit) -> None:
    w = World(kit)
    deepest = kit.companies.create("Deepest", parent=chain(kit, sk.MAX_LEVELS - 1)[-1], csm_id=w.alice.id)
    populate(w, deepest, 4, "deep", children=False)  # the last level has none
    view = kit.c360.company(deepest)
    assert len(view.ancestors) == 4
    assert counted(kit, lambda: kit.c360.company(deepest)) == 23  # the most a company view ever costs


def test_usage_surveys_and_sponsor_tracking_show_in_the_360__C360_03(kit: sk.Kit, book: Book) -> None:
    view = kit.c360.company(book.target)
    assert view.signals.usage == () and view.signals.nps is None
    assert [s.name for s in view.signals.sponsors] == ["Zed"]
    kit.metrics.declare("logins", "Logins")
    today = kit.today()
    kit.usage.ingest(
        [
            {"metric": "logins", "company": book.target, "period": today - timedelta(days=d), "value": 2}
            for d in range(60)
        ]
    )
    zed = next(p for p in kit.people.of_company(book.target) if p.name == "Zed")
    survey = kit.surveys.create(
        "Pulse", [{"key": "nps", "type": "nps", "text": "?"}, {"key": "c", "type": "csat", "text": "?"}]
    )
    kit.surveys.respond(survey, zed, {"nps": 10, "c": 5}, company=book.target)
    kit.timeline.log("call", "Sponsor check-in", company=book.target, participants=[zed])
    view = kit.c360.company(book.target)
    (logins,) = view.signals.usage
    assert (logins.current, logins.previous, logins.change) == (60.0, 60.0, 0.0)
    assert (view.signals.nps, view.signals.csat, view.signals.nps_answers) == (100.0, 100.0, 1)
    assert view.signals.sponsors[0].last_contact is not None
    text = view.describe()
    assert "Logins: 60 in the last 30 days (+0% against the 30 before)" in text and "Usage (1 metric)" in text
    assert "NPS +100 from 1 answer" in text and "1 answers" not in text and "Zed (sponsor): last contact" in text
    assert view.to_dict()["signals"]["usage"][0]["current"] == 60.0
