"""Event rules (AUTO_01): rules triggered by committed changes (a field changed,
a record created, a CSM changed, a score or grade moved, a survey answered, an
activity logged); a rolled-back change fires nothing; a failing rule never undoes
the change and is recorded in the run log; enrolment limits and the depth limit
(AUTO_04) - on every backend."""

from __future__ import annotations

import itertools
import logging
from datetime import timedelta
from typing import Any

import pytest

import successkit as sk
from successkit.automation.events import MAX_DEPTH
from successkit.automation.run import RuleExecution

from .helpers import World

RISK_CTA = {"do": "create_cta", "name": "At risk: {name}", "type": "risk"}


def risk_rule(kit: sk.Kit, **kw: Any) -> sk.Rule:
    kw.setdefault("trigger", {"on": "changed", "field": "stage", "to": "at_risk"})
    kw.setdefault("actions", [RISK_CTA])
    return kit.rules.create("Stage at risk", **kw)


def ctas(kit: sk.Kit, company: sk.Company | None = None) -> list[str]:
    where = [] if company is None else [("company_id", "=", company.id)]
    return [c.name for c in kit.ctas.list(where, sort=["name"])]


# ------------------------------------------------------------------- AUTO_01
def test_a_field_changed_rule_runs_after_the_commit__AUTO_01(kit: sk.Kit) -> None:
    """The CTA is made once the change commits, not inside the change's
    transaction; another value of the field, or another field, fires nothing."""
    w = World(kit)
    acme = kit.companies.update(w.acme.id, csm_id=w.alice.id)
    risk_rule(kit)
    kit.companies.update(w.other.id, stage="onboarding")
    kit.companies.update(w.acme.id, arr=1000.0)
    assert ctas(kit) == []
    with kit.transaction():
        kit.companies.update(acme.id, stage="at_risk")
        assert ctas(kit) == []  # nothing runs inside the change
    assert ctas(kit) == ["At risk: Acme"]
    (cta,) = kit.ctas.list()
    assert (cta.owner_id, cta.source, cta.type) == (w.alice.id, "rule", "risk")
    (entry,) = kit.rules.run_log()
    assert (entry.rule_name, entry.event, entry.outcome, entry.targets, entry.created) == (
        "Stage at risk", "changed", "ran", (acme.id,), 1,
    )  # fmt: skip


def test_from_and_to_both_count__AUTO_01(kit: sk.Kit) -> None:
    w = World(kit)
    kit.companies.update(w.acme.id, csm_id=w.alice.id, stage="onboarding")
    kit.companies.update(w.other.id, csm_id=w.alice.id, stage="adopting")
    risk_rule(kit, trigger={"on": "changed", "field": "stage", "from": "adopting", "to": "at_risk"})
    kit.companies.update_many([(w.acme.id, {"stage": "at_risk"}), (w.other.id, {"stage": "at_risk"})])
    assert ctas(kit) == ["At risk: Other Co"]


def test_a_rolled_back_change_fires_nothing__AUTO_01(kit: sk.Kit) -> None:
    w = World(kit)
    kit.companies.update(w.acme.id, csm_id=w.alice.id)
    risk_rule(kit)
    with pytest.raises(RuntimeError), kit.transaction():
        kit.companies.update(w.acme.id, stage="at_risk")
        raise RuntimeError("undo")
    with kit.transaction():  # a savepoint rolled back inside a committed transaction
        with pytest.raises(RuntimeError), kit.transaction():
            kit.companies.update(w.acme.id, stage="at_risk")
            raise RuntimeError("undo the inner block")
        kit.companies.update(w.acme.id, arr=5.0)
    assert kit.companies.get(w.acme).stage is None
    assert ctas(kit) == [] and kit.rules.run_log() == []


def test_a_failing_rule_keeps_the_change_and_is_logged__AUTO_01(
    kit: sk.Kit, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The rule's first action (an activity) is undone with it; the change that
    triggered it stays committed; the failure is in the run log and in `logging`."""
    w = World(kit)
    kit.companies.update(w.acme.id, csm_id=w.alice.id)
    risk_rule(kit, actions=[{"do": "log_activity", "type": "note", "subject": "Risk: {name}"}, RISK_CTA])

    def boom(self: RuleExecution, *args: Any) -> None:
        raise RuntimeError("the CTA service is down")

    monkeypatch.setattr(RuleExecution, "_create_cta", boom)
    with caplog.at_level(logging.ERROR, logger="successkit.automation.events"):
        changed = kit.companies.update(w.acme.id, stage="at_risk")
    assert kit.companies.get(w.acme).stage == "at_risk" and changed.stage == "at_risk"
    assert ctas(kit) == [] and kit.timeline.list([("type", "=", "note")]) == []
    (entry,) = kit.rules.run_log(outcome="failed")
    assert entry.error == "RuntimeError: the CTA service is down" and entry.targets == (w.acme.id,)
    assert "Stage at risk" in caplog.text and "the CTA service is down" in caplog.text


def test_a_rule_that_matches_nothing_creates_nothing__AUTO_01(kit: sk.Kit) -> None:
    """The trigger matches, the rule's `where` does not: no CTA and no run-log entry."""
    w = World(kit)
    kit.companies.update(w.acme.id, csm_id=w.alice.id, industry="Retail")
    risk_rule(kit, where=[("industry", "=", "Banking")])
    kit.companies.update(w.acme.id, stage="adopting")
    kit.store.stats.reset()
    kit.companies.update(w.acme.id, stage="onboarding")
    unheard = kit.store.stats.calls.copy()
    kit.store.stats.reset()
    kit.companies.update(w.acme.id, stage="at_risk")
    extra = kit.store.stats.calls - unheard
    assert extra == {"query": 1}  # one read of the rule's where among the targets: no lock, no transaction
    assert ctas(kit) == [] and kit.rules.run_log() == []


def test_a_write_nobody_listens_to_costs_no_storage_call__AUTO_01(kit: sk.Kit) -> None:
    w = World(kit)
    kit.companies.update(w.acme.id, arr=1.0)
    kit.store.stats.reset()
    kit.companies.update(w.acme.id, arr=2.0)
    before = kit.store.stats.total
    risk_rule(kit)
    kit.companies.update(w.acme.id, arr=3.0)  # the rule's cache fills here
    kit.store.stats.reset()
    kit.companies.update(w.acme.id, arr=4.0)
    assert kit.store.stats.total == before


def test_a_record_created_rule__AUTO_01(kit: sk.Kit) -> None:
    w = World(kit)
    kit.rules.create(
        "Welcome", trigger={"on": "created"}, where=[("industry", "=", "Retail")],
        actions=[{"do": "create_cta", "name": "Welcome {name}", "type": "lifecycle", "owner": w.alice.id}],
    )  # fmt: skip
    kit.companies.create("Shop", industry="Retail")
    kit.companies.create("Bank", industry="Banking")
    kit.companies.create_many([{"name": "Market", "industry": "Retail"}])
    assert ctas(kit) == ["Welcome Market", "Welcome Shop"]


def test_a_relationship_rule_hears_of_relationships_only__AUTO_01(kit: sk.Kit) -> None:
    w = World(kit)
    kit.rules.create(
        "New line", target="relationship", trigger={"on": "created"},
        actions=[{"do": "log_activity", "type": "note", "subject": "Started: {name}"}],
    )  # fmt: skip
    kit.companies.create("Shop")
    rel = kit.relationships.create(w.acme, w.product, "Acme Mobile")
    assert [(a.subject, a.relationship_id) for a in kit.timeline.list([("type", "=", "note")])] == [
        ("Started: Acme Mobile", rel.id)
    ]


def test_a_csm_changed_rule__AUTO_01(kit: sk.Kit) -> None:
    """The CTA goes to the new CSM."""
    w = World(kit)
    kit.companies.update(w.acme.id, csm_id=w.alice.id)
    carol = kit.users.create("Carol", license="full")
    kit.rules.create(
        "Handover", trigger={"on": "csm_changed"},
        actions=[{"do": "create_cta", "name": "Handover: {name}", "type": "lifecycle"}],
    )  # fmt: skip
    kit.companies.update(w.acme.id, stage="adopting")
    assert ctas(kit) == []
    kit.companies.update(w.acme.id, csm_id=carol.id)
    (cta,) = kit.ctas.list()
    assert (cta.name, cta.owner_id) == ("Handover: Acme", carol.id)


def test_a_survey_response_rule_by_category__AUTO_01(kit: sk.Kit) -> None:
    w = World(kit)
    kit.companies.update(w.acme.id, csm_id=w.alice.id)
    survey = kit.surveys.create("NPS", questions=[{"key": "nps", "type": "nps", "text": "Recommend us?"}])
    kit.rules.create(
        "Detractor", trigger={"on": "survey_response", "category": "detractor"},
        actions=[{"do": "create_cta", "name": "Detractor: {name}", "type": "risk"}],
    )  # fmt: skip
    kit.surveys.respond(survey, w.pat, {"nps": 10}, company=w.acme)
    assert ctas(kit) == []
    kit.surveys.respond(survey, w.pat, {"nps": 3}, company=w.acme)
    assert ctas(kit) == ["Detractor: Acme"]


def test_a_score_grade_rule__AUTO_01(kit: sk.Kit) -> None:
    """A recompute that moves a company to Red triggers the rule; one that keeps it
    Red does not create again (RULE_02); `dropped_by` counts points."""
    w = World(kit)
    kit.companies.update(w.acme.id, csm_id=w.alice.id, health_score=80.0)
    kit.companies.update(w.other.id, csm_id=w.alice.id, health_score=90.0)
    kit.measures.create("hs", source={"type": "field", "field": "health_score"})
    kit.scorecards.create("standard", default=True, measures=["hs"])
    kit.scorecards.recompute()
    kit.rules.create(
        "Gone red", trigger={"on": "score", "grade_to": "Red"},
        actions=[{"do": "create_cta", "name": "Red: {name}", "type": "risk"}],
    )  # fmt: skip
    kit.rules.create(
        "Big drop", trigger={"on": "score", "dropped_by": 15},
        actions=[{"do": "log_activity", "type": "note", "subject": "Dropped: {name}"}],
    )  # fmt: skip
    kit.companies.update(w.acme.id, health_score=20.0)  # a drop of 60 points, the grade still Green
    kit.companies.update(w.other.id, health_score=80.0)  # a drop of 10
    assert ctas(kit) == []
    assert [a.subject for a in kit.timeline.list([("type", "=", "note")])] == ["Dropped: Acme"]
    kit.scorecards.recompute()
    assert kit.companies.get(w.acme).score_grade == "Red"
    assert ctas(kit) == ["Red: Acme"]


def test_an_activity_logged_rule_by_type_and_field__AUTO_01(kit: sk.Kit) -> None:
    w = World(kit)
    kit.companies.update(w.acme.id, csm_id=w.alice.id)
    kit.custom_fields.declare("activity", "sentiment", "dropdown", options=["green", "red"], scope="call")
    kit.rules.create(
        "Red call", trigger={"on": "activity", "type": "call", "field": "sentiment", "value": "red"},
        actions=[{"do": "create_cta", "name": "Bad call: {name}", "type": "risk"}],
    )  # fmt: skip
    kit.timeline.log("call", "Fine", company=w.acme, fields={"sentiment": "green"})
    kit.timeline.log("meeting", "Chat", company=w.acme)
    draft = kit.timeline.log("call", "Draft", company=w.acme, fields={"sentiment": "red"}, draft=True)
    assert ctas(kit) == []
    kit.timeline.publish(draft)  # an activity is logged when it is published
    assert ctas(kit) == ["Bad call: Acme"]


def test_a_goal_status_rule__AUTO_01(kit: sk.Kit) -> None:
    """A company rule hears of its goals' status changes, of a relationship's goals too."""
    w = World(kit)
    kit.companies.update(w.acme.id, csm_id=w.alice.id)
    kit.rules.create(
        "Goal missed", trigger={"on": "goal_status", "to": "not_achieved"},
        actions=[{"do": "create_cta", "name": "Missed goal: {name}", "type": "risk"}],
    )  # fmt: skip
    goal = kit.goals.create("Adopt reports", company=w.acme, relationship=w.rel)
    kit.goals.set_status(goal.id, "in_progress")
    assert ctas(kit) == []
    kit.goals.set_status(goal.id, "not_achieved")
    assert ctas(kit) == ["Missed goal: Acme"]


def test_an_event_rule_runs_as_the_system_and_logs_who_triggered_it__AUTO_01(kit: sk.Kit) -> None:
    """An internal collaborator's call triggers a rule logging a note: the rule runs as
    the system (no acting user, like a scheduled run), so its note has no author and its
    run is in the run log, naming the collaborator as the one who triggered it."""
    w = World(kit)
    kit.rules.create(
        "Note calls", trigger={"on": "activity", "type": "call"},
        actions=[{"do": "log_activity", "type": "note", "subject": "Call noted: {name}"}],
    )  # fmt: skip
    kit.as_user(w.ian).timeline.log("call", "Hello", company=w.acme)
    (note,) = kit.timeline.list([("type", "=", "note")])
    assert (note.subject, note.author_id, note.created_by) == ("Call noted: Acme", None, None)
    (entry,) = kit.rules.run_log()
    assert (entry.outcome, entry.triggered_by, entry.created_by) == ("ran", w.ian.id, None)
    kit.timeline.log("call", "From the host", company=w.other)
    assert sorted(e.triggered_by or "host" for e in kit.rules.run_log()) == sorted([w.ian.id, "host"])


def test_a_usage_change_rule__AUTO_01(kit: sk.Kit) -> None:
    """Ingested usage that leaves the 30-day window more than 30 % below the 30 days
    before it triggers the rule for that company only."""
    w = World(kit)
    kit.companies.update(w.acme.id, csm_id=w.alice.id)
    kit.companies.update(w.other.id, csm_id=w.alice.id)
    kit.metrics.declare("logins")
    today = kit.today()
    kit.rules.create(
        "Usage drop", trigger={"on": "usage_change", "metric": "logins", "below_percent": -30},
        actions=[{"do": "create_cta", "name": "Usage drop: {name}", "type": "risk"}],
    )  # fmt: skip
    earlier = today - timedelta(days=40)
    kit.usage.ingest([{"metric": "logins", "company": c, "period": earlier, "value": 100} for c in (w.acme, w.other)])
    assert ctas(kit) == []  # nothing in the current window: no change to measure
    kit.usage.ingest([
        {"metric": "logins", "company": w.acme, "period": today, "value": 50},
        {"metric": "logins", "company": w.other, "period": today, "value": 90},
    ])  # fmt: skip
    assert ctas(kit) == ["Usage drop: Acme"]


def test_a_bundle_deploys_an_event_rule__AUTO_01(kit: sk.Kit) -> None:
    """A bundle's rule may carry a trigger and a limit; a bad trigger is refused as a
    VAULT_01 error naming the rule and the AUTO_01 refusal, and nothing is written."""
    w = World(kit)
    kit.companies.update(w.acme.id, csm_id=w.alice.id)
    text = """
format = 1
name = "risk-watch"
version = "1.0"

[[rules]]
name = "Stage at risk"
trigger = { on = "changed", field = "stage", to = "at_risk" }
limit = { once = true }
[[rules.actions]]
do = "create_cta"
name = "At risk: {name}"
type = "risk"
"""
    with pytest.raises(sk.RuleViolation) as e:
        kit.bundles.deploy(sk.Bundle.parse(text.replace('"stage"', '"stag"'), "toml"))
    assert (e.value.rule, e.value.value) == ("VAULT_01", "Stage at risk") and "AUTO_01" in e.value.message
    assert "'stag'" in e.value.message and kit.rules.list() == []
    kit.bundles.deploy(sk.Bundle.parse(text, "toml"))
    kit.companies.update(w.acme.id, stage="at_risk")
    assert ctas(kit) == ["At risk: Acme"]


def test_event_rules_do_not_run_in_run_all__AUTO_01(kit: sk.Kit) -> None:
    """`run_all` runs the rules without a trigger; `run` names an event rule to run it now."""
    w = World(kit)
    kit.companies.update(w.acme.id, csm_id=w.alice.id, stage="at_risk")
    risk_rule(kit, where=[("stage", "=", "at_risk")])
    assert kit.rules.run_all() == []
    assert kit.rules.run("Stage at risk").created == 1


@pytest.mark.parametrize(
    ("trigger", "value"),
    [
        ({"on": "deleted"}, "deleted"),
        ("changed", "changed"),
        ({"on": "changed"}, None),
        ({"on": "changed", "field": "colour"}, "colour"),
        ({"on": "changed", "field": "id"}, "id"),
        ({"on": "changed", "field": "stage", "to": ["a"]}, ["a"]),
        ({"on": "created", "when": "now"}, "when"),
        ({"on": "score", "dropped_by": -5}, -5),
        ({"on": "score", "grade_to": 3}, 3),
        ({"on": "survey_response", "category": "angry"}, "angry"),
        ({"on": "activity", "type": "telegram"}, "telegram"),
        ({"on": "activity", "field": "mood", "value": "red"}, "mood"),
        ({"on": "goal_status", "to": "done"}, "done"),
        ({"on": "usage_change", "metric": "visits", "below_percent": -10}, "visits"),
    ],
)
def test_bad_triggers_are_refused__AUTO_01(kit: sk.Kit, trigger: Any, value: Any) -> None:
    with pytest.raises(sk.RuleViolation) as e:
        kit.rules.create("Bad", trigger=trigger, actions=[RISK_CTA])
    assert (e.value.rule, e.value.value) == ("AUTO_01", value)
    assert kit.rules.list() == []


def test_a_trigger_names_fields_of_the_rules_target__AUTO_01(kit: sk.Kit) -> None:
    """`industry` is a company field, not a relationship one; a declared custom
    field is watched as `fields.<name>`."""
    with pytest.raises(sk.RuleViolation) as e:
        kit.rules.create(
            "Bad", target="relationship", trigger={"on": "changed", "field": "industry"}, actions=[RISK_CTA]
        )
    assert (e.value.rule, e.value.value) == ("AUTO_01", "industry")
    kit.custom_fields.declare("company", "tier", "text")
    rule = kit.rules.create("Tier", trigger={"on": "changed", "field": "tier", "to": "gold"}, actions=[RISK_CTA])
    assert rule.definition["trigger"] == {"on": "changed", "field": "fields.tier", "to": "gold"}
    w = World(kit)
    kit.companies.update(w.acme.id, csm_id=w.alice.id, fields={"tier": "gold"})
    assert ctas(kit) == ["At risk: Acme"]


# ------------------------------------------------------------------- AUTO_04
@pytest.mark.parametrize("limit", [{"once": False}, {"every_days": 0}, {"every_days": "7"}, {"twice": True}, 5])
def test_bad_limits_are_refused__AUTO_04(kit: sk.Kit, limit: Any) -> None:
    with pytest.raises(sk.RuleViolation) as e:
        risk_rule(kit, limit=limit)
    assert e.value.rule == "AUTO_04"


def test_enrolment_once__AUTO_04(kit: sk.Kit) -> None:
    """Once enrolled, a target is left alone, even when its CTA was closed and the
    change happens again; another target still enrols."""
    w = World(kit)
    kit.companies.update(w.acme.id, csm_id=w.alice.id)
    kit.companies.update(w.other.id, csm_id=w.alice.id)
    risk_rule(kit, limit={"once": True})
    kit.companies.update(w.acme.id, stage="at_risk")
    (cta,) = kit.ctas.list()
    kit.ctas.set_status(cta, "closed_success")
    kit.companies.update(w.acme.id, stage="adopting")
    kit.companies.update(w.acme.id, stage="at_risk")
    kit.companies.update(w.other.id, stage="at_risk")
    assert ctas(kit) == ["At risk: Acme", "At risk: Other Co"]
    assert len(kit.ctas.list([("company_id", "=", w.acme.id)])) == 1


def test_enrolment_every_n_days__AUTO_04(kit: sk.Kit, clock: sk.FixedClock) -> None:
    w = World(kit)
    kit.companies.update(w.acme.id, csm_id=w.alice.id)
    kit.rules.create(
        "Note", trigger={"on": "changed", "field": "stage"}, limit={"every_days": 7},
        actions=[{"do": "log_activity", "type": "note", "subject": "Stage moved: {name}", "cooldown_days": 0}],
    )  # fmt: skip

    def notes() -> int:
        return kit.timeline.count([("type", "=", "note")])

    kit.companies.update(w.acme.id, stage="a")
    assert notes() == 1
    clock.advance(days=6)
    kit.companies.update(w.acme.id, stage="b")  # enrolled 6 days ago: held back
    assert notes() == 1
    clock.advance(days=1)
    kit.companies.update(w.acme.id, stage="c")  # 7 days: enrolled again
    assert notes() == 2


def test_rules_triggering_rules_stop_at_the_depth_limit__AUTO_04(kit: sk.Kit) -> None:
    """A chain of rules, each logging the activity the next listens to, runs
    MAX_DEPTH levels deep; the next level is skipped and recorded."""
    w = World(kit)
    chain = ["call", "meeting", "email", "update", "note"]
    assert len(chain) == MAX_DEPTH + 2
    for i, (heard, logged) in enumerate(itertools.pairwise(chain)):
        kit.rules.create(
            f"Step {i + 1}", trigger={"on": "activity", "type": heard},
            actions=[{"do": "log_activity", "type": logged, "subject": f"{logged} after {heard}"}],
        )  # fmt: skip
    kit.timeline.log("call", "Kick-off", company=w.acme)
    types = {a.type for a in kit.timeline.list()}
    assert types == set(chain[: MAX_DEPTH + 1])
    skipped = kit.rules.run_log(outcome="skipped")
    assert [(e.rule_name, e.depth) for e in skipped] == [(f"Step {MAX_DEPTH + 1}", MAX_DEPTH + 1)]
    assert "AUTO_04" in (skipped[0].error or "")
    assert sorted(e.depth for e in kit.rules.run_log(outcome="ran")) == list(range(1, MAX_DEPTH + 1))


def test_two_rules_triggering_each_other_stop__AUTO_04(kit: sk.Kit) -> None:
    """A call logs an email, an email logs a call: saved only with an enrolment limit
    (tests/test_rule_loops.py), which stops the loop, well inside the depth limit."""
    w = World(kit)
    for heard, logged in (("call", "email"), ("email", "call")):
        kit.rules.create(
            f"{heard} to {logged}", trigger={"on": "activity", "type": heard}, limit={"every_days": 1},
            actions=[{"do": "log_activity", "type": logged, "subject": f"Follow-up {logged}"}],
        )  # fmt: skip
    kit.timeline.log("call", "Kick-off", company=w.acme)
    assert sorted(a.subject for a in kit.timeline.list()) == ["Follow-up call", "Follow-up email", "Kick-off"]
    assert kit.rules.run_log(outcome="skipped") == []


def test_deleting_a_rule_forgets_it__AUTO_01(kit: sk.Kit) -> None:
    w = World(kit)
    kit.companies.update(w.acme.id, csm_id=w.alice.id)
    risk_rule(kit, limit={"once": True})
    kit.companies.update(w.acme.id, stage="at_risk")
    kit.rules.delete("Stage at risk")
    assert list(kit.store.query(kit.bind("rule_enrolment", sk.Query()))) == []
    kit.companies.update(w.acme.id, stage="adopting")
    risk_rule(kit, trigger={"on": "changed", "field": "stage", "to": "adopting"}, limit={"once": True})
    kit.rules.set_active("Stage at risk", False)
    kit.companies.update(w.acme.id, stage="at_risk")
    kit.companies.update(w.acme.id, stage="adopting")
    assert len(kit.ctas.list()) == 1
