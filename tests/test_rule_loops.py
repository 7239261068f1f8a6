"""A recursion through event rules is refused when the rule is saved (AUTO_04):
created, switched on or deployed in a bundle, a rule that closes a cycle of event
rules (an action causing an event another rule hears, round to itself) is refused,
naming the rules, unless a rule of the cycle has an enrolment limit - on every backend."""

from __future__ import annotations

from typing import Any

import pytest

import successkit as sk

from .helpers import World


def on_changed(field: str, **more: Any) -> dict[str, Any]:
    return {"on": "changed", "field": field, **more}


def set_field(field: str, value: Any, **more: Any) -> dict[str, Any]:
    return {"do": "update_field", "field": field, "value": value, **more}


def log(kind: str) -> dict[str, Any]:
    return {"do": "log_activity", "type": kind, "subject": f"Follow-up {kind}"}


def names(kit: sk.Kit) -> list[str]:
    return [r.name for r in kit.rules.list(sort=["name"])]


def test_a_rule_updating_the_field_it_watches_is_refused__AUTO_04(kit: sk.Kit) -> None:
    with pytest.raises(sk.RuleViolation) as e:
        kit.rules.create("Echo", trigger=on_changed("stage"), actions=[set_field("stage", "adopting")])
    assert e.value.rule == "AUTO_04" and e.value.value == ["Echo", "Echo"]
    assert "rule 'Echo'" in e.value.message and "'Echo' -> 'Echo'" in e.value.message
    assert "limit" in e.value.message
    assert names(kit) == []


def test_a_two_rule_cycle_is_refused_naming_both__AUTO_04(kit: sk.Kit) -> None:
    kit.rules.create("Stage to industry", trigger=on_changed("stage"), actions=[set_field("industry", "Retail")])
    with pytest.raises(sk.RuleViolation) as e:
        kit.rules.create(
            "Industry to stage",
            trigger=on_changed("industry"),
            actions=[{"do": "update_field", "field": "stage", "from_field": "industry"}],
        )
    assert e.value.rule == "AUTO_04"
    assert e.value.value == ["Industry to stage", "Stage to industry", "Industry to stage"]
    assert "'Industry to stage' -> 'Stage to industry' -> 'Industry to stage'" in e.value.message
    assert names(kit) == ["Stage to industry"]  # nothing written


def test_a_cycle_through_logged_activities_is_refused__AUTO_04(kit: sk.Kit) -> None:
    kit.rules.create("Call to email", trigger={"on": "activity", "type": "call"}, actions=[log("email")])
    with pytest.raises(sk.RuleViolation) as e:
        kit.rules.create("Email to call", trigger={"on": "activity", "type": "email"}, actions=[log("call")])
    assert (e.value.rule, e.value.value) == ("AUTO_04", ["Email to call", "Call to email", "Email to call"])
    assert "logs a 'call' activity" in e.value.message
    assert names(kit) == ["Call to email"]


def test_a_cycle_through_the_csm_is_refused__AUTO_04(kit: sk.Kit) -> None:
    w = World(kit)
    with pytest.raises(sk.RuleViolation) as e:
        kit.rules.create(
            "Rotate",
            trigger={"on": "csm_changed"},
            actions=[{"do": "assign", "team": [w.alice.id], "how": "round_robin"}],
        )
    assert (e.value.rule, e.value.value) == ("AUTO_04", ["Rotate", "Rotate"])


def test_a_cycle_with_an_enrolment_limit_is_allowed_and_stops__AUTO_04(kit: sk.Kit) -> None:
    w = World(kit)
    kit.rules.create(
        "Stage to industry", trigger=on_changed("stage"), limit={"once": True},
        actions=[{"do": "update_field", "field": "industry", "from_field": "stage"}],
    )  # fmt: skip
    kit.rules.create(
        "Industry to stage", trigger=on_changed("industry"),
        actions=[{"do": "update_field", "field": "stage", "from_field": "name"}],
    )  # fmt: skip
    kit.companies.update(w.acme.id, stage="adopting")
    acme = kit.companies.get(w.acme.id)
    assert (acme.industry, acme.stage) == ("adopting", "Acme")  # one round: the limit holds the next back
    assert kit.rules.run_log(outcome="skipped") == []
    ran = sorted((e.depth, e.rule_name) for e in kit.rules.run_log(outcome="ran"))
    assert ran == [(1, "Stage to industry"), (2, "Industry to stage")]


def test_rules_that_do_not_close_a_cycle_are_allowed__AUTO_04(kit: sk.Kit) -> None:
    """A chain; a `to` the action does not set; a `change` condition the set value fails;
    a relationship rule that does not hear its company's activities or changes."""
    kit.rules.create("A", trigger={"on": "activity", "type": "call"}, actions=[log("meeting")])
    kit.rules.create("B", trigger={"on": "activity", "type": "meeting"}, actions=[log("email")])
    kit.rules.create("Recover", trigger=on_changed("stage", to="at_risk"), actions=[set_field("stage", "recovering")])
    kit.rules.create(
        "Recover again", trigger=on_changed("status"), change=[("to", "=", "churned")],
        actions=[set_field("status", "active")],
    )  # fmt: skip
    kit.rules.create(
        "Relationship call", target="relationship", trigger={"on": "activity", "type": "update"},
        actions=[set_field("stage", "renewing", of="company")],
    )  # fmt: skip
    kit.rules.create("Company stage", trigger=on_changed("stage", to="renewing"), actions=[log("update")])
    assert names(kit) == ["A", "B", "Company stage", "Recover", "Recover again", "Relationship call"]


def test_a_relationship_rule_hears_its_own_activities__AUTO_04(kit: sk.Kit) -> None:
    with pytest.raises(sk.RuleViolation) as e:
        kit.rules.create(
            "Rel", target="relationship", trigger={"on": "activity", "type": "note"}, actions=[log("note")]
        )
    assert (e.value.rule, e.value.value) == ("AUTO_04", ["Rel", "Rel"])


def test_switching_on_a_rule_that_closes_a_cycle_is_refused__AUTO_04(kit: sk.Kit) -> None:
    kit.rules.create("Stage to industry", trigger=on_changed("stage"), actions=[set_field("industry", "Retail")])
    kit.rules.create(
        "Industry to stage", trigger=on_changed("industry"), actions=[set_field("stage", "x")], active=False
    )
    with pytest.raises(sk.RuleViolation) as e:
        kit.rules.set_active("Industry to stage", True)
    assert (e.value.rule, e.value.value) == ("AUTO_04", ["Industry to stage", "Stage to industry", "Industry to stage"])
    assert kit.rules.get("Industry to stage").active is False
    kit.rules.set_active("Stage to industry", False)
    kit.rules.set_active("Industry to stage", True)  # no cycle among active rules
    with pytest.raises(sk.RuleViolation, match="AUTO_04"):
        kit.rules.set_active("Stage to industry", True)


def test_a_bundle_whose_rules_form_a_cycle_is_refused_whole__AUTO_04(kit: sk.Kit) -> None:
    doc: dict[str, Any] = {
        "format": 1,
        "name": "ping-pong",
        "email_templates": [{"name": "Hello", "subject": "Hi"}],
        "rules": [
            {"name": "Ping", "trigger": {"on": "activity", "type": "call"}, "actions": [log("email")]},
            {"name": "Pong", "trigger": {"on": "activity", "type": "email"}, "actions": [log("call")]},
        ],
    }
    with pytest.raises(sk.RuleViolation) as e:
        kit.bundles.deploy(doc)
    assert e.value.rule == "AUTO_04" and e.value.value == ["Pong", "Ping", "Pong"]
    assert "bundle 'ping-pong'" in e.value.message
    assert names(kit) == [] and kit.bundles.installed() == {}
    assert list(kit.store.query(kit.bind("email_template", sk.Query()))) == []
    doc["rules"][1]["limit"] = {"every_days": 1}
    kit.bundles.deploy(doc)
    assert names(kit) == ["Ping", "Pong"]


def test_the_check_reads_the_event_rules_once_at_most__AUTO_04(kit: sk.Kit) -> None:
    for i in range(5):
        kit.rules.create(f"Step {i}", trigger={"on": "activity", "type": "call"}, actions=[log("meeting")])
    kit.rules.create("Plain", actions=[log("note")])
    kit.store.stats.reset()
    kit.rules.create("Plain too", actions=[log("note")])
    plain = kit.store.stats.calls.copy()
    kit.store.stats.reset()
    kit.rules.create("Evented", trigger={"on": "activity", "type": "email"}, actions=[log("note")])
    assert kit.store.stats.calls - plain in ({}, {"query": 1})
