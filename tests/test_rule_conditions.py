"""Richer rule conditions (AUTO_02): conditions on the change an event carries (old and
new values), aggregates over related records computed in the database (the CSM's
number of customers, open risk CTAs, relationships, child companies' ARR), and signals
(score, usage windows, NPS); refused when saved; bounded storage calls; the dry run
(RULE_03) and RULE_02 kept; event rules run as the system (AUTO_01) - on every backend."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import attrs
import pytest

import successkit as sk

from .helpers import World

RISK_CTA = {"do": "create_cta", "name": "At risk: {name}", "type": "risk"}
NOTE = {"do": "log_activity", "type": "note", "subject": "Noted: {name}"}


def ctas(kit: sk.Kit) -> list[str]:
    return [c.name for c in kit.ctas.list(sort=["name"])]


def notes(kit: sk.Kit) -> list[str]:
    return sorted(a.subject for a in kit.timeline.list([("type", "=", "note")]))


def scored(kit: sk.Kit, **scores: float) -> dict[str, sk.Company]:
    """Companies with CSM Alice and these health scores, graded by a recompute."""
    w = World(kit)
    made = {name: kit.companies.create(name, csm_id=w.alice.id, health_score=s) for name, s in scores.items()}
    kit.measures.create("hs", source={"type": "field", "field": "health_score"})
    kit.scorecards.create("standard", default=True, measures=["hs"])
    kit.scorecards.recompute()
    return made


# ------------------------------------------------------------------- the change
def test_a_grade_that_dropped_from_green_to_red__AUTO_02(kit: sk.Kit) -> None:
    """Only the company whose grade went from Green to Red runs; one that reached Red
    from another grade does not."""
    made = scored(kit, Green=90.0, Middle=70.0)
    assert [kit.companies.get(c).score_grade for c in made.values()] == ["Green", "Yellow"]
    kit.rules.create(
        "Green to Red", trigger={"on": "score"},
        change=[("grade_from", "=", "Green"), ("grade_to", "=", "Red")], actions=[RISK_CTA],
    )  # fmt: skip
    for c in made.values():
        kit.companies.update(c.id, health_score=10.0)
    kit.scorecards.recompute()
    assert [kit.companies.get(c).score_grade for c in made.values()] == ["Red", "Red"]
    assert ctas(kit) == ["At risk: Green"]


def test_arr_fell_by_more_than_20_percent__AUTO_02(kit: sk.Kit) -> None:
    w = World(kit)
    for c in (w.acme, w.other):
        kit.companies.update(c.id, csm_id=w.alice.id, arr=1000.0)
    shop = kit.companies.create("Shop", csm_id=w.alice.id)
    kit.rules.create(
        "ARR falls", trigger={"on": "changed", "field": "arr"},
        change=[("change_percent", "<", -20)], actions=[RISK_CTA],
    )  # fmt: skip
    kit.companies.update(w.acme.id, arr=700.0)  # -30 %
    kit.companies.update(w.other.id, arr=900.0)  # -10 %
    kit.companies.update(shop.id, arr=10.0)  # from nothing: no percentage
    assert ctas(kit) == ["At risk: Acme"]


def test_a_stage_that_moved_out_of_onboarding__AUTO_02(kit: sk.Kit) -> None:
    w = World(kit)
    kit.companies.update(w.acme.id, csm_id=w.alice.id, stage="onboarding")
    kit.companies.update(w.other.id, csm_id=w.alice.id, stage="adopting")
    kit.rules.create(
        "Out of onboarding", trigger={"on": "changed", "field": "stage"},
        change=[("from", "=", "onboarding")], actions=[NOTE],
    )  # fmt: skip
    kit.companies.update_many([(w.acme.id, {"stage": "adopting"}), (w.other.id, {"stage": "at_risk"})])
    assert notes(kit) == ["Noted: Acme"]


def test_activity_field_values_in_a_change_condition__AUTO_02(kit: sk.Kit) -> None:
    w = World(kit)
    kit.companies.update(w.acme.id, csm_id=w.alice.id)
    kit.custom_fields.declare("activity", "sentiment", "dropdown", options=["green", "amber", "red"], scope="call")
    rule = kit.rules.create(
        "Worrying call", trigger={"on": "activity", "type": "call"},
        change=[("sentiment", "in", ["amber", "red"])], actions=[RISK_CTA],
    )  # fmt: skip
    assert rule.definition["change"] == [["fields.sentiment", "in", ["amber", "red"]]]
    kit.timeline.log("call", "Fine", company=w.acme, fields={"sentiment": "green"})
    assert ctas(kit) == []
    kit.timeline.log("call", "Hmm", company=w.acme, fields={"sentiment": "amber"})
    assert ctas(kit) == ["At risk: Acme"]


def test_only_the_targets_whose_change_holds_run__AUTO_02(kit: sk.Kit) -> None:
    """One write of two companies: the dispatcher tests each event, so the run's
    targets (and the run log) hold only the company whose change satisfies the rule."""
    w = World(kit)
    kit.companies.update_many([(c.id, {"csm_id": w.alice.id, "arr": 100.0}) for c in (w.acme, w.other)])
    kit.rules.create(
        "Big drop", trigger={"on": "changed", "field": "arr"}, change=[("change", "<=", -50)], actions=[NOTE]
    )
    kit.companies.update_many([(w.acme.id, {"arr": 40.0}), (w.other.id, {"arr": 90.0})])
    (entry,) = kit.rules.run_log()
    assert entry.targets == (w.acme.id,) and notes(kit) == ["Noted: Acme"]


def test_a_survey_responses_scores__AUTO_02(kit: sk.Kit) -> None:
    """A detractor's answer of 3 or less; a 5 is a detractor too, and does not run."""
    w = World(kit)
    kit.companies.update(w.acme.id, csm_id=w.alice.id)
    survey = kit.surveys.create("NPS", questions=[{"key": "nps", "type": "nps", "text": "Recommend us?"}])
    kit.rules.create(
        "Angry", trigger={"on": "survey_response", "category": "detractor"}, change=[("nps", "<=", 3)], actions=[NOTE]
    )
    kit.surveys.respond(survey, w.pat, {"nps": 5}, company=w.acme)
    assert notes(kit) == []
    kit.surveys.respond(survey, w.pat, {"nps": 2}, company=w.acme)
    assert notes(kit) == ["Noted: Acme"]


@pytest.mark.parametrize(
    ("trigger", "change", "value"),
    [
        (None, [("from", "=", "a")], "change"),
        ({"on": "created"}, [("from", "=", "a")], "from"),
        ({"on": "score"}, [("from", "=", "Green")], "from"),
        ({"on": "changed", "field": "stage"}, [("grade_to", "=", "Red")], "grade_to"),
        ({"on": "activity"}, [("mood", "=", "red")], "mood"),
        ({"on": "changed", "field": "stage"}, [("to", "like", "x")], "like"),
        ({"on": "changed", "field": "stage"}, [("to", "in", "abc")], "abc"),
        ({"on": "changed", "field": "stage"}, [("to", "<", ["a"])], ["a"]),
        ({"on": "changed", "field": "stage"}, "to = a", "to = a"),
        ({"on": "changed", "field": "stage"}, [("to",)], ("to",)),
    ],
)
def test_bad_change_conditions_are_refused__AUTO_02(kit: sk.Kit, trigger: Any, change: Any, value: Any) -> None:
    with pytest.raises(sk.RuleViolation) as e:
        kit.rules.create("Bad", trigger=trigger, change=change, actions=[RISK_CTA])
    assert (e.value.rule, e.value.value) == ("AUTO_02", value) and "'Bad'" in e.value.message
    assert kit.rules.list() == []


# ------------------------------------------------------------------- aggregates
def csm_book(kit: sk.Kit) -> tuple[sk.User, sk.User]:
    """Cleo runs three customers (renewing soon), Dan one."""
    cleo = kit.users.create("Cleo", license="full")
    dan = kit.users.create("Dan", license="full")
    soon = kit.today() + timedelta(days=30)
    rows = [{"name": f"Cleo {i}", "csm_id": cleo.id, "renewal_date": soon} for i in range(3)]
    kit.companies.create_many([*rows, {"name": "Dan 0", "csm_id": dan.id, "renewal_date": soon}])
    return cleo, dan


def test_the_csms_number_of_customers__AUTO_02(kit: sk.Kit) -> None:
    """The renewal follow-up of the seed: renewal leads with 3 or more customers (100 in
    the seed); the count is of every company of the CSM, not only those `where` selects."""
    cleo, _ = csm_book(kit)
    kit.companies.create("Cleo old", csm_id=cleo.id)  # no renewal date: counted, not selected
    rule = kit.rules.create(
        "Renewal follow-up", where=[("renewal_date", "within next n days", 120)],
        having=[{"related": {"count": "company", "by": "csm_id"}, "op": ">=", "value": 4}],
        actions=[{"do": "create_cta", "name": "Follow up: {name}", "type": "renewal"}],
    )  # fmt: skip
    assert rule.definition["having"][0]["related"]["to"] == "csm_id"
    again = kit.rules.create("Stored form", having=rule.definition["having"], actions=rule.definition["actions"])
    assert again.definition["having"] == rule.definition["having"]  # what is stored is valid input
    run = kit.rules.run(rule)
    assert sorted(s.target_name for s in run.steps) == ["Cleo 0", "Cleo 1", "Cleo 2"]
    assert run.matched == 3


def test_open_risk_ctas_of_the_company__AUTO_02(kit: sk.Kit) -> None:
    """Two open risk CTAs or more: a closed one and another type do not count."""
    w = World(kit)
    for c in (w.acme, w.other):
        kit.companies.update(c.id, csm_id=w.alice.id)
    for name in ("R1", "R2"):
        kit.ctas.create(name, company=w.acme, type="risk")
    kit.ctas.create("R3", company=w.other, type="risk")
    closed = kit.ctas.create("R4", company=w.other, type="risk").record
    kit.ctas.set_status(closed, "closed_success")
    kit.ctas.create("L1", company=w.other, type="lifecycle")
    open_ = kit.statuses.in_category("cta", "open")
    rule = kit.rules.create(
        "Escalate",
        having=[{"related": {"count": "cta", "by": "company_id",
                             "where": [("type", "=", "risk"), ("status", "in", open_)]}, "op": ">=", "value": 2}],
        actions=[NOTE],
    )  # fmt: skip
    assert rule.definition["having"][0]["related"]["to"] == "id"
    assert [s.target_name for s in kit.rules.run(rule).steps] == ["Acme"]


def test_relationship_counts_and_child_arr__AUTO_02(kit: sk.Kit) -> None:
    """A company with a relationship; a parent whose children's ARR sums to 150 or more
    (`parent_id` links to the target's id); a company without children sums to 0."""
    w = World(kit)
    parent = kit.companies.create("Parent", csm_id=w.alice.id)
    kit.companies.create("Child A", parent=parent, arr=100.0)
    kit.companies.create("Child B", parent=parent, arr=60.0)
    with_rel = kit.rules.create(
        "Has lines", having=[{"related": {"count": "relationship", "by": "company_id"}, "op": ">", "value": 0}],
        actions=[NOTE],
    )  # fmt: skip
    assert [s.target_name for s in kit.rules.run(with_rel).steps] == ["Acme"]
    children_arr = {"sum": "arr", "of": "company", "by": "parent_id"}
    big = kit.rules.create(
        "Big family", having=[{"related": children_arr, "op": ">=", "value": 150}],
        actions=[{**NOTE, "subject": "Family: {name}"}],
    )  # fmt: skip
    assert [s.target_name for s in kit.rules.run(big).steps] == ["Parent"]
    none = kit.rules.create(
        "No family", where=[("parent_id", "is empty", None)],
        having=[{"related": children_arr, "op": "=", "value": 0}],
        actions=[{**NOTE, "subject": "Alone: {name}"}],
    )  # fmt: skip
    assert sorted(s.target_name for s in kit.rules.run(none).steps) == ["Acme", "Other Co"]


def test_a_relationship_rule_aggregates_its_own_records__AUTO_02(kit: sk.Kit) -> None:
    w = World(kit)
    kit.companies.update(w.acme.id, csm_id=w.alice.id)
    second = kit.relationships.create(w.acme, w.product, "Acme Mobile")
    kit.ctas.create("Rel risk", relationship=w.rel, type="risk", owner=w.alice)
    rule = kit.rules.create(
        "Line at risk", target="relationship",
        having=[{"related": {"count": "cta", "by": "relationship_id"}, "op": ">=", "value": 1}], actions=[NOTE],
    )  # fmt: skip
    assert [s.target_id for s in kit.rules.run(rule).steps] == [w.rel.id]
    assert second.id not in [s.target_id for s in kit.rules.run(rule).steps]


@pytest.mark.parametrize(
    ("having", "value"),
    [
        ({"related": {"count": "rule", "by": "id"}, "op": ">", "value": 1}, "rule"),
        ({"related": {"count": "company", "by": "colour"}, "op": ">", "value": 1}, "colour"),
        ({"related": {"count": "company", "by": "csm_id", "to": "colour"}, "op": ">", "value": 1}, "colour"),
        ({"related": {"sum": "name", "of": "company", "by": "csm_id"}, "op": ">", "value": 1}, "name"),
        ({"related": {"sum": "arr", "by": "csm_id"}, "op": ">", "value": 1}, None),
        (
            {"related": {"count": "company", "sum": "arr", "by": "csm_id"}, "op": ">", "value": 1},
            ["by", "count", "sum"],
        ),
        ({"related": {"count": "company", "by": "csm_id", "when": 1}, "op": ">", "value": 1}, "when"),
        (
            {"related": {"count": "company", "by": "csm_id", "where": [("colour", "=", 1)]}, "op": ">", "value": 1},
            "colour",
        ),
        ({"related": {"count": "company", "by": "csm_id"}, "op": "~", "value": 1}, "~"),
        ({"related": {"count": "company", "by": "csm_id"}, "op": ">", "value": "many"}, "many"),
        ({"related": {"count": "company", "by": "csm_id"}, "op": ">", "value": True}, True),
        ({"related": {"count": "company", "by": "csm_id"}, "op": "between", "value": [1]}, [1]),
        ({"usage": {"metric": "visits"}, "op": "<", "value": 10}, "visits"),
        ({"usage": {"metric": "logins", "days": 0}, "op": "<", "value": 10}, 0),
        ({"usage": {"metric": "logins", "measure": "median"}, "op": "<", "value": 10}, "median"),
        ({"nps": {"months": 500}, "op": "<", "value": 0}, 500),
        ({"nps": {"measure": "mood"}, "op": "<", "value": 0}, "mood"),
        ({"score": 5, "op": "<", "value": 0}, "score"),
        ({"op": "<", "value": 0}, ["op", "value"]),
    ],
)
def test_bad_having_conditions_are_refused__AUTO_02(kit: sk.Kit, having: Any, value: Any) -> None:
    """Unknown kinds, fields, functions, operators and values are refused when the
    rule is saved, naming the rule and the bad value; nothing is stored."""
    kit.metrics.declare("logins")
    with pytest.raises(sk.RuleViolation) as e:
        kit.rules.create("Bad", having=[having], actions=[RISK_CTA])
    assert (e.value.rule, e.value.value) == ("AUTO_02", value) and "'Bad'" in e.value.message
    assert kit.rules.list() == []


# ------------------------------------------------------------------- signals
def test_score_conditions_in_where__AUTO_02(kit: sk.Kit) -> None:
    """`score.value` and `score.grade` of the query language work in a rule's `where`."""
    scored(kit, Healthy=90.0, Weak=30.0)
    low = kit.rules.create("Low score", where=[("score.value", "<", 50)], actions=[NOTE])
    assert [s.target_name for s in kit.rules.run(low).steps] == ["Weak"]
    red = kit.rules.create("Red", where=[("score.grade", "=", "Red")], actions=[{**NOTE, "subject": "Red: {name}"}])
    assert [s.target_name for s in kit.rules.run(red).steps] == ["Weak"]
    with pytest.raises(sk.RuleViolation) as e:
        kit.rules.create("Typo", where=[("score.valu", "<", 50)], actions=[NOTE])
    assert e.value.rule == "RULE_01"


def test_usage_window_and_its_change__AUTO_02(kit: sk.Kit) -> None:
    """Fewer than 10 logins in 30 days (a company without usage has none); a window
    that fell more than 30 % against the one before."""
    w = World(kit)
    kit.metrics.declare("logins")
    today = kit.today()
    kit.usage.ingest([
        {"metric": "logins", "company": w.acme, "period": today, "value": 5},
        {"metric": "logins", "company": w.acme, "period": today - timedelta(days=40), "value": 50},
        {"metric": "logins", "company": w.other, "period": today, "value": 40},
        {"metric": "logins", "company": w.other, "period": today - timedelta(days=40), "value": 45},
    ])  # fmt: skip
    quiet = kit.companies.create("Quiet")
    few = kit.rules.create(
        "Few logins", having=[{"usage": {"metric": "logins", "days": 30}, "op": "<", "value": 10}], actions=[NOTE]
    )
    assert sorted(s.target_id for s in kit.rules.run(few).steps) == sorted([w.acme.id, quiet.id])
    fell = kit.rules.create(
        "Logins fell", having=[{"usage": {"metric": "logins", "measure": "change"}, "op": "<", "value": -30}],
        actions=[{**NOTE, "subject": "Fell: {name}"}],
    )  # fmt: skip
    assert [s.target_name for s in kit.rules.run(fell).steps] == ["Acme"]


def test_nps_over_a_window__AUTO_02(kit: sk.Kit) -> None:
    """NPS below 0 over the last 6 months: a response older than the window does not
    count, and a company without answers has no NPS (it is not selected, except by
    `is empty`)."""
    w = World(kit)
    survey = kit.surveys.create("NPS", questions=[{"key": "nps", "type": "nps", "text": "Recommend us?"}])
    kit.surveys.respond(survey, w.pat, {"nps": 2}, company=w.acme)
    kit.surveys.respond(survey, w.pat, {"nps": 10}, company=w.acme, answered_on=kit.today() - timedelta(days=300))
    other_person = kit.people.create("Olga", company=w.other)
    kit.surveys.respond(survey, other_person, {"nps": 9}, company=w.other)
    low = kit.rules.create("Low NPS", having=[{"nps": {"months": 6}, "op": "<", "value": 0}], actions=[NOTE])
    assert [s.target_name for s in kit.rules.run(low).steps] == ["Acme"]
    kit.companies.create("Silent")
    unknown = kit.rules.create(
        "No NPS", having=[{"nps": {"months": 6}, "op": "is empty"}], actions=[{**NOTE, "subject": "Ask: {name}"}]
    )
    assert [s.target_name for s in kit.rules.run(unknown).steps] == ["Silent"]


# ------------------------------------------------------------- runs and calls
def test_dry_run_and_rerun_with_having__RULE_03_RULE_02(kit: sk.Kit) -> None:
    cleo, _ = csm_book(kit)
    rule = kit.rules.create(
        "Busy CSM", having=[{"related": {"count": "company", "by": "csm_id"}, "op": ">=", "value": 3}],
        actions=[{"do": "create_cta", "name": "Check: {name}", "type": "risk"}],
    )  # fmt: skip
    preview = kit.rules.run(rule, dry_run=True)
    assert preview.dry_run and preview.created == 3 and kit.ctas.count() == 0
    run = kit.rules.run(rule)
    assert [s.target_name for s in run.steps] == [s.target_name for s in preview.steps]
    assert kit.ctas.count() == 3
    again = kit.rules.run(rule)
    assert again.created == 0 and {s.result for s in again.steps} == {"unchanged"}
    assert all(c.owner_id == cleo.id for c in kit.ctas.list())


def test_storage_calls_do_not_grow_with_the_targets__AUTO_02(kit: sk.Kit) -> None:
    """A related aggregate, a usage window and an NPS window over 10 targets cost the
    same storage calls as over 100: one grouped read, two and two, for all targets."""
    csm = kit.users.create("Cleo", license="full")
    kit.metrics.declare("logins")
    having: list[dict[str, Any]] = [
        {"related": {"count": "company", "by": "csm_id"}, "op": ">=", "value": 1},
        {"usage": {"metric": "logins"}, "op": "<", "value": 10},
        {"nps": {"months": 12}, "op": "is empty"},
    ]
    counts = []
    for size in (10, 100):
        kit.companies.create_many(
            [{"name": f"S{size}-{i}", "csm_id": csm.id, "industry": f"i{size}"} for i in range(size)]
        )
        rule = kit.rules.create(f"Size {size}", where=[("industry", "=", f"i{size}")], having=having, actions=[NOTE])
        kit.rules.run(rule, dry_run=True)  # warm the configuration caches
        kit.store.stats.reset()
        run = kit.rules.run(rule, dry_run=True)
        counts.append(kit.store.stats.total)
        assert run.matched == size
    assert counts[0] == counts[1], counts


def test_an_event_rule_with_having__AUTO_02(kit: sk.Kit) -> None:
    """The dispatcher's run applies `having` to the changed companies."""
    csm_book(kit)
    kit.rules.create(
        "Busy CSM's churn risk", trigger={"on": "changed", "field": "stage", "to": "at_risk"},
        having=[{"related": {"count": "company", "by": "csm_id"}, "op": ">=", "value": 3}], actions=[RISK_CTA],
    )  # fmt: skip
    ids = [c.id for c in kit.companies.list(sort=["name"])]
    kit.companies.update_many([(i, {"stage": "at_risk"}) for i in (ids[0], ids[3])])  # Cleo 0, Dan 0
    assert ctas(kit) == ["At risk: Cleo 0"]


def test_a_bundle_carries_change_and_having__AUTO_02(kit: sk.Kit) -> None:
    w = World(kit)
    kit.companies.update(w.acme.id, csm_id=w.alice.id, arr=100.0)
    text = """
format = 1
name = "arr-watch"
version = "1.0"

[[rules]]
name = "ARR falls"
trigger = { on = "changed", field = "arr" }
change = [["change_percent", "<", -20]]
having = [{ related = { count = "company", by = "csm_id" }, op = ">=", value = 1 }]
[[rules.actions]]
do = "log_activity"
type = "note"
subject = "ARR fell: {name}"
"""
    kit.bundles.deploy(sk.Bundle.parse(text, "toml"))
    kit.companies.update(w.acme.id, arr=50.0)
    assert notes(kit) == ["ARR fell: Acme"]


# ------------------------------------------------------------- who runs it
def test_a_limited_users_change_runs_a_rule_with_a_limit__AUTO_01_AUTO_04(kit: sk.Kit) -> None:
    """An internal collaborator may not write enrolments, but the rule runs as the
    system: the limit holds (once), the run log names who triggered each run, and a rule
    the first rule's writes trigger is logged as triggered by the same user."""
    w = World(kit)
    kit.companies.update(w.acme.id, csm_id=w.alice.id)
    kit.rules.create("Call risk", trigger={"on": "activity", "type": "call"}, limit={"once": True}, actions=[
        {"do": "log_activity", "type": "meeting", "subject": "Review the call"}, RISK_CTA])  # fmt: skip
    kit.rules.create("Meeting note", trigger={"on": "activity", "type": "meeting"}, actions=[NOTE])
    ian = kit.as_user(w.ian)
    ian.timeline.log("call", "First", company=w.acme)
    ian.timeline.log("call", "Second", company=w.acme)
    assert ctas(kit) == ["At risk: Acme"] and notes(kit) == ["Noted: Acme"]
    log = kit.rules.run_log()
    assert sorted((e.rule_name, e.depth, e.triggered_by) for e in log) == [
        ("Call risk", 1, w.ian.id), ("Meeting note", 2, w.ian.id),
    ]  # fmt: skip
    (cta,) = kit.ctas.list()
    assert (cta.owner_id, cta.created_by) == (w.alice.id, None)


@pytest.mark.parametrize("url", ["sqlite", "postgres"], indirect=True)  # memory:// opens another store each time
def test_a_kit_opened_as_a_user_still_runs_event_rules_as_the_system__AUTO_01(
    kit: sk.Kit, url: str, open_kit: Any
) -> None:
    """`sk.open(url, actor=...)` hands out only the user's kit: the host kit it opened
    first stays alive with it, so the rule runs as the system (the collaborator may not
    write enrolments, yet the limited rule runs), and the user's store still refuses
    what the user may not do (SEC_02)."""
    import gc

    w = World(kit)
    kit.companies.update(w.acme.id, csm_id=w.alice.id)
    kit.rules.create("Call risk", trigger={"on": "activity", "type": "call"}, limit={"once": True}, actions=[RISK_CTA])
    ian = open_kit(url, actor=w.ian.id)
    gc.collect()
    ian.timeline.log("call", "Hello", company=w.acme)
    assert ctas(kit) == ["At risk: Acme"]
    (entry,) = kit.rules.run_log()
    assert (entry.outcome, entry.triggered_by) == ("ran", w.ian.id)
    with pytest.raises(sk.AccessDenied):
        ian.ctas.create("By hand", company=w.acme, type="risk", owner=w.alice)


def test_a_custom_field_links_related_records__AUTO_02(kit: sk.Kit) -> None:
    """Renewal leads kept in a custom field: companies whose lead has 3 or more."""
    kit.custom_fields.declare("company", "renewal_lead", "text")
    lead, other = kit.users.create("Lena", license="full"), kit.users.create("Olaf", license="full")
    kit.companies.create_many([{"name": f"L{i}", "fields": {"renewal_lead": lead.id}} for i in range(3)])
    kit.companies.create_many([{"name": f"O{i}", "fields": {"renewal_lead": other.id}} for i in range(2)])
    kit.companies.create("Nobody's")
    rule = kit.rules.create(
        "Large books", having=[{"related": {"count": "company", "by": "renewal_lead"}, "op": ">=", "value": 3}],
        actions=[NOTE],
    )  # fmt: skip
    assert [s.target_name for s in kit.rules.run(rule).steps] == ["L0", "L1", "L2"]


def test_a_made_up_change_does_not_run_rules_as_the_system__AUTO_01_SEC_02(
    kit: sk.Kit, caplog: pytest.LogCaptureFixture
) -> None:
    """A collaborator reporting a change that is not as stored (a made-up grade) gets the
    rules run with their own rights, never the host's: the risk rule may not write its
    enrolment (nor the run log) for them, so it fails and creates nothing."""
    from successkit.automation.events import report

    w = World(kit)
    kit.companies.update(w.acme.id, csm_id=w.alice.id)
    kit.rules.create("Gone red", trigger={"on": "score", "grade_to": "Red"}, limit={"once": True}, actions=[RISK_CTA])
    acme = kit.companies.get(w.acme)
    made_up = attrs.evolve(acme, score_grade="Red", health_score=5.0)
    with caplog.at_level("WARNING", logger="successkit.automation.events"):
        report(kit.as_user(w.ian), changed=[(acme, made_up)])
    assert ctas(kit) == [] and kit.rules.run_log() == []
    assert "not as stored" in caplog.text and "SHARE_04" in caplog.text


def test_a_users_real_changes_are_as_stored__AUTO_01(kit: sk.Kit, caplog: pytest.LogCaptureFixture) -> None:
    """Every kind of change a full user makes (custom numbers, dates, an activity with
    fields, a survey response, usage, a new company, a goal's status) is reported as
    stored on every backend, so its rules run as the system."""
    from datetime import date

    w = World(kit)
    kit.custom_fields.declare("company", "seats", "number")
    kit.custom_fields.declare("company", "kickoff", "date")
    kit.custom_fields.declare("activity", "mood", "dropdown", options=["good", "bad"], scope="call")
    kit.metrics.declare("logins")
    survey = kit.surveys.create("NPS", questions=[{"key": "nps", "type": "nps", "text": "Recommend us?"}])
    triggers: list[dict[str, Any]] = [
        {"on": "changed", "field": "seats"}, {"on": "changed", "field": "arr"}, {"on": "created"},
        {"on": "activity", "type": "call"}, {"on": "survey_response"}, {"on": "goal_status"},
        {"on": "usage_change", "metric": "logins", "above_percent": 10},
    ]  # fmt: skip
    for i, trigger in enumerate(triggers):
        kit.rules.create(f"R{i}", trigger=trigger, actions=[{**NOTE, "subject": f"R{i}: {{name}}"}])
    alice = kit.as_user(w.alice)
    today = kit.today()
    goal = alice.goals.create("Adopt", company=w.acme)
    kit.usage.ingest([{"metric": "logins", "company": w.acme, "period": today - timedelta(days=40), "value": 1}])
    with caplog.at_level("WARNING", logger="successkit.automation.events"):
        alice.companies.update(w.acme.id, arr=1234.5, fields={"seats": 3, "kickoff": date(2026, 1, 5)})
        alice.companies.create("New Co", fields={"seats": 2.5})
        alice.timeline.log("call", "Chat", company=w.acme, fields={"mood": "bad"})
        alice.surveys.respond(survey, w.pat, {"nps": 3}, company=w.acme)
        alice.goals.set_status(goal.id, "in_progress")
        alice.usage.ingest([{"metric": "logins", "company": w.acme, "period": today, "value": 5}])
    assert "not as stored" not in caplog.text
    log = kit.rules.run_log()
    assert sorted(e.rule_name for e in log) == [f"R{i}" for i in range(len(triggers))]
    assert {e.triggered_by for e in log} == {w.alice.id} and {e.outcome for e in log} == {"ran"}
    assert {a.created_by for a in kit.timeline.list([("type", "=", "note")])} == {None}  # as the system
