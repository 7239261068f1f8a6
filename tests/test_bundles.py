"""Solution bundles: the file format and deploy in one transaction (VAULT_01), skipping
(VAULT_02), redeploying (VAULT_03) and the shipped bundles with their rules firing
(VAULT_04) - on every backend."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

import successkit as sk
from successkit.plugins import hookimpl
from successkit.testing import fail_each_write

from .helpers import snapshot

TODAY = date(2026, 11, 24)


def sample() -> dict[str, Any]:
    """A small bundle with one asset of every kind, referring to each other by name."""
    return {
        "format": 1,
        "name": "churn-rescue",
        "version": "2.1",
        "title": "Churn rescue",
        "cta_types": [{"key": "rescue", "name": "Rescue"}],
        "reasons": [{"key": "usage_drop", "name": "Usage drop"}],
        "email_templates": [{"name": "Rescue: check-in", "subject": "Can we help?", "body": "Hello"}],
        "playbooks": [
            {
                "name": "Rescue",
                "cta_types": ["rescue"],
                "steps": [
                    {"key": "a", "name": "Look at usage", "due_days": 2},
                    {
                        "key": "b",
                        "name": "Email the sponsor",
                        "due_days": 3,
                        "depends_on": ["a"],
                        "email_template": "Rescue: check-in",
                    },
                ],
            }
        ],
        "plan_templates": [
            {
                "name": "Rescue plan",
                "plan_type": "roi",
                "objectives": [
                    {
                        "name": "Find the cause",
                        "due_days": 10,
                        "playbook": None,
                        "tasks": [{"name": "Call", "due_days": 3, "email_template": "Rescue: check-in"}],
                    },
                    {"name": "Recover usage", "due_days": 40, "depends_on": ["1"]},
                ],
            }
        ],
        "goal_templates": [{"name": "Usage back to normal", "due_days": 60}],
        "rules": [
            {
                "name": "Rescue low health",
                "where": [["health_score", "<", 40]],
                "actions": [
                    {
                        "do": "create_cta",
                        "name": "Rescue {name}",
                        "type": "rescue",
                        "reason": "usage_drop",
                        "playbook": "Rescue",
                    }
                ],
            }
        ],
    }


def without_nulls(data: dict[str, Any]) -> dict[str, Any]:
    data["plan_templates"][0]["objectives"][0].pop("playbook")
    return data


# ----------------------------------------------------------------------------- VAULT_01
def test_deploy_creates_every_asset_in_one_go__VAULT_01(kit: sk.Kit) -> None:
    """Every asset kind is created and the references by name are resolved to the new records."""
    report = kit.bundles.deploy(without_nulls(sample()))
    assert (report.bundle, report.version, report.dry_run) == ("churn-rescue", "2.1", False)
    assert [(s.kind, s.result) for s in report.steps] == [
        ("cta_types", "created"),
        ("reasons", "created"),
        ("email_templates", "created"),
        ("playbooks", "created"),
        ("plan_templates", "created"),
        ("goal_templates", "created"),
        ("rules", "created"),
    ]
    assert "rescue" in [i.key for i in kit.config.items("cta_type")]
    assert "usage_drop" in [i.key for i in kit.config.items("reason")]
    book = kit.playbooks.by_name("Rescue")
    steps = kit.playbooks.steps(book)
    mail = kit.playbooks.email_template(steps[1].email_template_id)
    assert (book.cta_types, mail.name, steps[1].depends_on) == (("rescue",), "Rescue: check-in", ("a",))
    (tpl,) = kit.plan_templates.list([("name", "=", "Rescue plan")])
    items = kit.plan_templates.items(tpl)
    assert [i.name for i in items] == ["Find the cause", "Call", "Recover usage"]
    assert items[1].email_template_id == mail.id
    assert kit.goal_templates.search("Usage")[0].due_days == 60
    rule = kit.rules.by_name("Rescue low health")
    assert rule.bundle == "churn-rescue" and rule.definition["actions"][0]["playbook"] == "Rescue"
    # and the deployed rule works
    csm = kit.users.create("Cleo")
    sick = kit.companies.create("Sick", health_score=20, csm_id=csm.id)
    run = kit.rules.run(rule)
    assert run.created == 1 and len(kit.ctas.tasks(run.steps[0].record_id or "")) == 2
    assert kit.ctas.list([("company_id", "=", sick.id)])[0].type == "rescue"


def test_bundle_files_in_json_and_toml__VAULT_01(kit: sk.Kit, tmp_path: Path) -> None:
    """A bundle loads from a .json or .toml file and round-trips through to_dict()."""
    data = without_nulls(sample())
    (tmp_path / "b.json").write_text(json.dumps(data))
    from_json = sk.Bundle.load(tmp_path / "b.json")
    toml = """format = 1
name = "tiny"
version = "1"
[[email_templates]]
name = "Hi"
subject = "Hello there"
"""
    (tmp_path / "t.toml").write_text(toml)
    from_toml = sk.Bundle.load(tmp_path / "t.toml")
    assert from_json.name == "churn-rescue" and from_toml.assets["email_templates"][0]["subject"] == "Hello there"
    assert sk.Bundle.from_dict(from_json.to_dict()) == attr_copy(from_json)
    assert kit.bundles.deploy(str(tmp_path / "t.toml")).created == 1


def attr_copy(b: sk.Bundle) -> sk.Bundle:
    import attrs

    return attrs.evolve(b, source=None)


def test_deploy_is_atomic_at_every_write__VAULT_01_STORE_03(kit: sk.Kit) -> None:
    """A failure at any write point of a deploy leaves storage exactly as it was."""
    points = fail_each_write(kit, lambda: kit.bundles.deploy(without_nulls(sample())))
    assert points >= 7
    assert kit.rules.by_name("Rescue low health").bundle == "churn-rescue"


@pytest.mark.parametrize(
    ("change", "says"),
    [
        (lambda d: d.update(widgets=[{"name": "x"}]), "unknown asset kind"),
        (lambda d: d["playbooks"][0].pop("steps"), "playbooks[1] 'Rescue': missing field 'steps'"),
        (
            lambda d: d["email_templates"][0].update(colour="red"),
            "email_templates[1] 'Rescue: check-in': unknown field",
        ),
        (lambda d: d["rules"][0]["actions"][0].update(playbook="Not anywhere"), "Not anywhere"),
        (lambda d: d["plan_templates"][0]["objectives"][0].update(playbook="Ghost book"), "Ghost book"),
        (lambda d: d["rules"][0].update(where=[["health_score", "is about", 3]]), "rules 'Rescue low health'"),
        (lambda d: d["rules"][0].update(logic="1 OR"), "rules 'Rescue low health'"),
        (lambda d: d.update(format=9), "format"),
        (lambda d: d["goal_templates"].append({"name": "Usage back to normal"}), "listed twice"),
        (lambda d: d["rules"][0].update(target="planet"), "target"),
        (lambda d: d["playbooks"][0]["steps"][1].update(email_template="Nope mail"), "Nope mail"),
    ],
)
def test_bad_bundle_names_the_entry_and_deploys_nothing__VAULT_01(kit: sk.Kit, change: Any, says: str) -> None:
    data = without_nulls(sample())
    change(data)
    before = snapshot(kit)
    with pytest.raises(sk.RuleViolation) as e:
        kit.bundles.deploy(data)
    assert e.value.rule == "VAULT_01" and says in str(e.value)
    assert snapshot(kit) == before
    assert "rescue" not in [i.key for i in kit.config.items("cta_type")]


def test_syntax_errors_are_clear__VAULT_01() -> None:
    with pytest.raises(sk.RuleViolation, match="not valid TOML"):
        sk.Bundle.parse("name = [", "toml")
    with pytest.raises(sk.RuleViolation, match="needs a 'name'"):
        sk.Bundle.from_dict({"format": 1})
    with pytest.raises(sk.RuleViolation, match="a mapping"):
        sk.Bundle.from_dict(["not", "a", "bundle"])


# ----------------------------------------------------------------------------- VAULT_02
def test_skip_kinds_and_single_assets__VAULT_02(kit: sk.Kit) -> None:
    report = kit.bundles.deploy(without_nulls(sample()), skip=["goal_templates", "rules:Rescue low health"])
    results = {(s.kind, s.name): s.result for s in report.steps}
    assert results[("goal_templates", "Usage back to normal")] == "skipped"
    assert results[("rules", "Rescue low health")] == "skipped"
    assert results[("playbooks", "Rescue")] == "created"
    assert kit.rules.count() == 0 and kit.goal_templates.search("Usage") == []


def test_skipping_what_others_need_or_unknown_skips_fail__VAULT_02(kit: sk.Kit) -> None:
    """Skipping a playbook the rule needs (and that storage lacks) fails naming the rule; an
    unknown skip names VAULT_02.  Nothing is deployed either way."""
    before = snapshot(kit)
    with pytest.raises(sk.RuleViolation, match="rules 'Rescue low health'"):
        kit.bundles.deploy(without_nulls(sample()), skip=["playbooks"])
    with pytest.raises(sk.RuleViolation) as e:
        kit.bundles.deploy(without_nulls(sample()), skip=["rules:No such rule"])
    assert e.value.rule == "VAULT_02"
    with pytest.raises(sk.RuleViolation, match="unknown asset kind"):
        kit.bundles.deploy(without_nulls(sample()), skip=["gadgets"])
    assert snapshot(kit) == before


# ----------------------------------------------------------------------------- VAULT_03
def test_redeploy_changes_nothing__VAULT_03(kit: sk.Kit) -> None:
    first = kit.bundles.deploy(without_nulls(sample()))
    before = snapshot(kit)
    again = kit.bundles.deploy(without_nulls(sample()))
    assert {s.result for s in again.steps} == {"exists"} and again.created == 0
    assert [s.record_id for s in again.steps] == [s.record_id for s in first.steps]
    assert snapshot(kit) == before


def test_existing_assets_are_kept_and_reused__VAULT_03(kit: sk.Kit) -> None:
    """An asset of the same name already in storage is left as the user made it, and the
    bundle's other assets refer to it."""
    mine = kit.playbooks.create_email_template("Rescue: check-in", "My own subject")
    report = kit.bundles.deploy(without_nulls(sample()))
    step = next(s for s in report.steps if s.kind == "email_templates")
    assert (step.result, step.record_id) == ("exists", mine.id)
    assert kit.playbooks.email_template(mine.id).subject == "My own subject"
    book = kit.playbooks.by_name("Rescue")
    assert kit.playbooks.steps(book)[1].email_template_id == mine.id


def test_dry_run_deploy_reports_and_rolls_back__VAULT_01(kit: sk.Kit) -> None:
    before = snapshot(kit)
    preview = kit.bundles.deploy(without_nulls(sample()), dry_run=True)
    assert snapshot(kit) == before and "rescue" not in [i.key for i in kit.config.items("cta_type")]
    real = kit.bundles.deploy(without_nulls(sample()))
    assert [(s.kind, s.name, s.result) for s in preview.steps] == [(s.kind, s.name, s.result) for s in real.steps]
    assert "dry run" in str(preview)


# ----------------------------------------------------------------------------- VAULT_04
def test_shipped_bundles_are_available_and_deploy_in_one_call__VAULT_04(kit: sk.Kit) -> None:
    assert set(kit.bundles.available()) >= {"onboarding", "renewal", "ebr"}
    for name in ("onboarding", "renewal", "ebr"):
        report = kit.bundles.deploy(name)
        assert report.created > 0 and report.count("skipped") == 0
    renewal = kit.bundles.get("renewal")
    assert len(renewal.assets["email_templates"]) == 3
    assert {r.name for r in kit.rules.list()} == {
        "Onboarding kickoff",
        "Renewal: 120 days out",
        "Renewal: no conversation yet",
        "Quarterly EBR",
    }
    assert kit.plan_templates.count([("name", "=", "Customer onboarding")]) == 1


def test_onboarding_bundle_fires_on_a_new_customer__VAULT_04(kit: sk.Kit) -> None:
    """Kickoff CTA with its playbook and welcome email, and an onboarding plan from the template."""
    kit.bundles.deploy("onboarding")
    csm = kit.users.create("Cleo")
    new = kit.companies.create("New Co", stage="Onboarding", csm_id=csm.id)
    kit.companies.create("Old Co", stage="Adoption", csm_id=csm.id)
    run = kit.rules.run("Onboarding kickoff")
    assert run.matched == 1 and run.created == 2
    (cta,) = kit.ctas.list([("company_id", "=", new.id)])
    assert (cta.type, cta.reason, cta.owner_id) == ("onboarding", "kickoff", csm.id)
    tasks = kit.ctas.tasks(cta)
    assert tasks[0].name == "Send the welcome email" and tasks[0].email_state == "verify"
    (plan,) = kit.plans.list([("company_id", "=", new.id)])
    assert plan.plan_type == "onboarding"
    assert [o.name for o in kit.plans.open(plan).objectives] == [
        "Kickoff completed",
        "Technical setup",
        "First value reached",
        "Hand-off to adoption",
    ]


def test_renewal_bundle_fires_120_days_out_and_follows_up__VAULT_04(kit: sk.Kit) -> None:
    """A CTA 120 days before renewal with the renewal playbook and its three emails; a
    follow-up CTA when no renewal conversation was logged from 120 days before renewal."""
    kit.bundles.deploy("renewal")
    csm = kit.users.create("Cleo")
    # the follow-up is for renewal leads with 100 or more customers (VAULT_06): Cleo has 100
    kit.companies.create_many([{"name": f"Book {i:02}", "csm_id": csm.id} for i in range(96)])

    def customer(name: str, days: int) -> sk.Company:
        return kit.companies.create(name, csm_id=csm.id, renewal_date=TODAY + timedelta(days=days))

    far, window, late, talked = (
        customer("Far", 121),
        customer("Window", 100),
        customer("Late", 70),
        customer("Talked", 70),
    )
    renewal_day = datetime.combine(TODAY + timedelta(days=70), datetime.min.time(), tzinfo=timezone.utc)
    kit.timeline.log("renewal", "Renewal call", company=talked, occurred_at=renewal_day - timedelta(days=110))
    runs = {r.rule: r for r in kit.rules.run_all()}
    assert sorted(s.target_name for s in runs["Renewal: 120 days out"].steps) == ["Late", "Talked", "Window"]
    assert sorted(s.target_name for s in runs["Renewal: no conversation yet"].steps) == ["Late"]
    assert kit.ctas.list([("company_id", "=", far.id)]) == []
    (cta,) = kit.ctas.list([("company_id", "=", window.id)])
    emails = [t for t in kit.ctas.tasks(cta) if t.email_template_id]
    assert len(emails) == 3
    reasons = sorted(c.reason or "" for c in kit.ctas.list([("company_id", "=", late.id)]))
    assert reasons == ["renewal_due", "renewal_no_activity"]
    assert {r.created for r in kit.rules.run_all()} == {0}  # RULE_02 on the shipped rules too


def test_ebr_bundle_raises_an_ebr_each_quarter__VAULT_04(kit: sk.Kit, clock: sk.FixedClock) -> None:
    """Established customers with no EBR logged for 90 days get an EBR CTA; a logged EBR
    holds the next one back until the quarter has passed."""
    kit.bundles.deploy("ebr")
    csm = kit.users.create("Cleo")
    big = kit.companies.create("Big", stage="Adoption", arr=250_000, csm_id=csm.id)
    kit.companies.create("Small", stage="Adoption", arr=20_000, csm_id=csm.id)
    reviewed = kit.companies.create("Reviewed", stage="Renewal", arr=500_000, csm_id=csm.id)
    kit.timeline.log("ebr", "Q3 EBR", company=reviewed, occurred_at=TODAY - timedelta(days=30))
    run = kit.rules.run("Quarterly EBR")
    assert [s.target_name for s in run.steps] == ["Big"]
    (cta,) = kit.ctas.list([("company_id", "=", big.id)])
    assert cta.type == "ebr" and any(t.email_template_id for t in kit.ctas.tasks(cta))
    kit.ctas.set_status(cta, "closed_success")
    kit.timeline.log("ebr", "Q4 EBR", company=big)
    clock.advance(days=91)
    later = {s.target_name: s.result for s in kit.rules.run("Quarterly EBR").steps}
    assert later == {"Big": "created", "Reviewed": "created"}


# ----------------------------------------------------------------------------- plugins
def test_plugins_ship_bundles_through_a_hook__VAULT_01(open_kit: Any) -> None:
    class Partner:
        @hookimpl
        def successkit_register_bundles(self, register: Any) -> None:
            register(without_nulls(sample()))

    kit = open_kit(plugins=[Partner()])
    assert "churn-rescue" in kit.bundles.available()
    assert kit.bundles.deploy("churn-rescue").created == 7

    class Clash:
        @hookimpl
        def successkit_register_bundles(self, register: Any) -> None:
            register({"format": 1, "name": "renewal"})

    with pytest.raises(sk.ValidationError, match="registered twice"):
        open_kit(plugins=[Clash()]).bundles.available()
    with pytest.raises(sk.NotFound, match="no bundle with name 'no-such-bundle'"):
        kit.bundles.get("no-such-bundle")


def test_redeploy_with_padded_names_changes_nothing__VAULT_03(kit: sk.Kit) -> None:
    """Names are compared as they are stored (stripped), so padding never duplicates an asset
    or fails a redeploy; email template names are unique too."""
    doc = {
        "format": 1,
        "name": "padded",
        "email_templates": [{"name": "Hello ", "subject": "Hi"}],
        "playbooks": [{"name": " Rescue ", "steps": [{"name": "Mail", "email_template": " Hello"}]}],
        "rules": [{"name": "Rule ", "actions": [{"do": "log_activity", "type": "note", "subject": "s"}]}],
    }
    kit.bundles.deploy(doc)
    before = snapshot(kit)
    again = kit.bundles.deploy(doc)
    assert {s.result for s in again.steps} == {"exists"} and snapshot(kit) == before
    assert [s.name for s in again.steps] == ["Hello", "Rescue", "Rule"]
    with pytest.raises(sk.ValidationError, match="email template with this name exists"):
        kit.playbooks.create_email_template("Hello", "Again")


@pytest.mark.parametrize(
    ("doc", "says"),
    [
        (
            {
                "rules": [
                    {"name": "R", "active": "no", "actions": [{"do": "log_activity", "type": "note", "subject": "s"}]}
                ]
            },
            "active is true or false",
        ),
        (
            {"plan_templates": [{"name": "T", "plan_type": "roi", "business_days": "false", "objectives": []}]},
            "business_days is true or false",
        ),
        ({"playbooks": [{"name": "P", "all_cta_types": "no", "steps": []}]}, "all_cta_types is true or false"),
        ({"rules": [{"name": "R", "where": None, "actions": [{"do": ["create_cta"]}]}]}, "'do' is one of"),
        (
            {
                "plan_templates": [
                    {
                        "name": "T",
                        "plan_type": "roi",
                        "objectives": [{"name": "O", "tasks": [{"name": "t", "email_template": ["E"]}]}],
                    }
                ]
            },
            "named by text",
        ),
    ],
)
def test_bundle_values_of_the_wrong_type_are_refused__VAULT_01(kit: sk.Kit, doc: dict[str, Any], says: str) -> None:
    before = snapshot(kit)
    with pytest.raises(sk.RuleViolation) as e:
        kit.bundles.deploy({"format": 1, "name": "typed", **doc})
    assert e.value.rule == "VAULT_01" and says in str(e.value)
    assert snapshot(kit) == before


def test_unreadable_bundle_files_are_clear_errors__VAULT_01(kit: sk.Kit, tmp_path: Path) -> None:
    with pytest.raises(sk.RuleViolation, match="cannot read the bundle file"):
        kit.bundles.deploy(str(tmp_path / "missing.toml"))
    with pytest.raises(sk.RuleViolation, match="json or toml"):
        sk.Bundle.parse("name: x", "yaml")


HEAD = 'format = 1\nname = "deep"\n'


@pytest.mark.parametrize(
    ("syntax", "text"),
    [
        ("json", '{"format": 1, "name": "deep", "rules": ' + "[" * 100_000 + "]" * 100_000 + "}"),
        ("toml", HEAD + "x = " + "[" * 100_000 + "]" * 100_000 + "\n"),
        ("toml", HEAD + "[" + ".".join(f"t{i}" for i in range(5_000)) + "]\n"),
        ("json", '{"format": 1, "name": "deep", "version": ' + "9" * 5_000 + "}"),
        ("toml", HEAD + "version = " + "9" * 5_000 + "\n"),
        ("json", '{"format": 1, "name": "big", "description": "' + "x" * 2_000_001 + '"}'),
    ],
)
def test_deep_huge_or_unreadable_bundles_are_clear_errors__VAULT_01_SEC_07(syntax: str, text: str) -> None:
    """Deep nesting (RecursionError before), 5,000-digit numbers (ValueError before) and
    oversized text are refused with an error naming the bundle."""
    with pytest.raises(sk.RuleViolation, match="SEC_07") as e:
        sk.Bundle.parse(text, syntax, source="deep.bundle")
    assert e.value.rule == "VAULT_01" and "deep.bundle" in str(e.value)


def test_deep_bundle_mappings_and_big_files_are_refused__VAULT_01_SEC_07(kit: sk.Kit, tmp_path: Path) -> None:
    from successkit.automation.bundles import MAX_BUNDLE_SIZE, MAX_DEPTH

    deep: Any = []
    for _ in range(MAX_DEPTH):
        deep = [deep]
    with pytest.raises(sk.RuleViolation, match="SEC_07"):
        kit.bundles.deploy({"format": 1, "name": "deep", "rules": deep})
    big = tmp_path / "big.json"
    big.write_text(json.dumps({"format": 1, "name": "big", "description": "x" * MAX_BUNDLE_SIZE}))
    with pytest.raises(sk.RuleViolation, match="SEC_07") as e:
        kit.bundles.deploy(big)
    assert str(big) in str(e.value)
    assert sk.Bundle.parse(json.dumps({"format": 1, "name": "ok", "rules": []})).name == "ok"


def test_a_bundle_carries_measures_and_scorecards__SCORE_12(kit: sk.Kit) -> None:
    """Measures and scorecards are asset kinds: deployed in order (measures first), found
    again by key on a redeploy, and a bad scorecard names its entry and deploys nothing."""
    doc = {
        "format": 1,
        "name": "health",
        "measures": [
            {"key": "nps", "label": "NPS", "source": {"type": "field", "field": "nps", "map": {"linear": [-100, 100]}}},
            {"key": "sentiment", "label": "CSM sentiment", "locked": False},
        ],
        "scorecards": [
            {"key": "standard", "name": "Standard health", "default": True,
             "measures": [{"measure": "nps", "weight": 2}, "sentiment"]},
        ],
    }  # fmt: skip
    first = kit.bundles.deploy(sk.Bundle.from_dict(doc))
    assert [(s.kind, s.name, s.result) for s in first.steps] == [
        ("measures", "nps", "created"),
        ("measures", "sentiment", "created"),
        ("scorecards", "standard", "created"),
    ]
    assert kit.scorecards.get("standard").measures[0]["weight"] == 2
    again = kit.bundles.deploy(sk.Bundle.from_dict(doc))
    assert {s.result for s in again.steps} == {"exists"}
    before = snapshot(kit)
    bad = {**doc, "name": "bad", "measures": [], "scorecards": [{"key": "other", "measures": ["nope"]}]}
    with pytest.raises(sk.RuleViolation, match="scorecards 'other'"):
        kit.bundles.deploy(sk.Bundle.from_dict(bad))
    assert snapshot(kit) == before
