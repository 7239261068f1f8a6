"""Bundles carry plan types, custom fields with dropdown options, activity types with
their fields, priorities, objective categories, usage metrics, surveys and event rules;
a bundle names its category, author and what it requires; a redeploy reports the
assets that differ from the installed ones (VAULT_05) - on every backend."""

from __future__ import annotations

import copy
from typing import Any

import pytest

import successkit as sk
from successkit.automation.bundle_assets import kinds
from successkit.testing import fail_each_write

from .helpers import snapshot


def admin_bundle() -> dict[str, Any]:
    """A bundle with one asset of each kind VAULT_05 adds, referring to each other."""
    return {
        "format": 1,
        "name": "sentiment-watch",
        "version": "1.2",
        "category": "Customer health",
        "author": "Acme CS Ops",
        "priorities": [{"key": "urgent", "name": "Urgent"}],
        "objective_categories": [{"key": "sentiment", "name": "Sentiment"}],
        "plan_types": [
            {"key": "recovery", "name": "Recovery", "objective_priority": "urgent",
             "objective_category": "sentiment", "sharing_enabled": False},
        ],
        "custom_fields": [
            {"record_kind": "company", "name": "sentiment", "type": "dropdown",
             "options": ["red", "yellow", "green"], "label": "Sentiment"},
        ],
        "activity_types": [
            {"key": "exec_call", "label": "Executive call",
             "fields": [{"name": "mood", "type": "dropdown", "options": ["red", "yellow", "green"]}]},
        ],
        "metrics": [{"key": "reports_run", "label": "Reports run", "unit": "reports"}],
        "surveys": [{"name": "Pulse", "questions": [{"key": "nps", "type": "nps", "text": "Recommend us?"}]}],
        "rules": [
            {"name": "Red executive call", "active": True, "description": "A red executive call is a risk.",
             "trigger": {"on": "activity", "type": "exec_call", "field": "mood", "value": "red"},
             "actions": [{"do": "create_cta", "name": "Red call: {name}", "type": "risk", "priority": "urgent",
                          "owner": "csm"}]},
        ],
    }  # fmt: skip


def world(kit: sk.Kit) -> tuple[sk.User, sk.Company, sk.Company]:
    cleo = kit.users.create("Cleo")
    return cleo, kit.companies.create("Acme", csm_id=cleo.id), kit.companies.create("Globex", csm_id=cleo.id)


def test_new_asset_kinds_deploy_and_work__VAULT_05(kit: sk.Kit) -> None:
    """Every new kind is created in order, usable at once, and the event rule that uses
    the bundle's activity type and field fires on a red call only."""
    report = kit.bundles.deploy(admin_bundle())
    assert [(s.kind, s.result) for s in report.steps] == [
        ("priorities", "created"),
        ("objective_categories", "created"),
        ("plan_types", "created"),
        ("activity_types", "created"),
        ("custom_fields", "created"),
        ("metrics", "created"),
        ("surveys", "created"),
        ("rules", "created"),
    ]
    assert [s.name for s in report.steps if s.kind == "custom_fields"] == ["company.sentiment"]
    recovery = kit.config.plan_type("recovery")
    assert (recovery.objective_priority, recovery.objective_category) == ("urgent", "sentiment")
    assert kit.custom_fields.declared("company")["sentiment"].options == ("red", "yellow", "green")
    assert "exec_call" in kit.activity_types and kit.activity_types.label("exec_call") == "Executive call"
    assert kit.custom_fields.declared("activity")["mood"].scope == "exec_call"
    assert "reports_run" in kit.metrics.declared_keys()
    assert kit.surveys.get("Pulse").name == "Pulse"
    _, acme, globex = world(kit)
    kit.companies.update(acme.id, fields={"sentiment": "red"})
    kit.timeline.log("exec_call", "Tense call", company=acme, fields={"mood": "red"})
    kit.timeline.log("exec_call", "Fine call", company=globex, fields={"mood": "green"})
    assert [(c.name, c.priority) for c in kit.ctas.list()] == [("Red call: Acme", "urgent")]
    with pytest.raises(sk.ValidationError):
        kit.timeline.log("exec_call", "Bad", company=acme, fields={"mood": "purple"})


def test_redeploy_of_new_kinds_changes_nothing__VAULT_05_VAULT_03(kit: sk.Kit) -> None:
    first = kit.bundles.deploy(admin_bundle())
    before = snapshot(kit)
    again = kit.bundles.deploy(admin_bundle())
    assert {s.result for s in again.steps} == {"exists"} and again.diffs == ()
    assert [s.record_id for s in again.steps] == [s.record_id for s in first.steps]
    assert snapshot(kit) == before
    assert kit.bundles.installed()["sentiment-watch"] == "1.2"


def test_a_failed_deploy_of_new_kinds_leaves_nothing__VAULT_05_STORE_03(kit: sk.Kit) -> None:
    """A failure at any write leaves storage as it was and the kit's cached
    configuration too: the activity type is not known until a deploy commits."""
    points = fail_each_write(kit, lambda: kit.bundles.deploy(admin_bundle()))
    assert points >= 8
    assert "exec_call" in kit.activity_types and kit.config.plan_type("recovery").name == "Recovery"


def _set(path: tuple[Any, ...], value: Any) -> Any:
    def change(d: dict[str, Any]) -> None:
        target: Any = d
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return change


@pytest.mark.parametrize(
    ("change", "says", "value"),
    [
        (_set(("custom_fields", 0, "type"), "colour"), "custom_fields 'company.sentiment'", "colour"),
        (_set(("custom_fields", 0, "options"), []), "lists its options", "sentiment"),
        (_set(("custom_fields", 0, "record_kind"), "planet"), "custom_fields 'planet.sentiment'", "planet"),
        (_set(("activity_types", 0, "key"), "Exec Call"), "activity_types 'Exec Call'", "Exec Call"),
        (_set(("activity_types", 0, "fields", 0, "options"), "red"), "activity_types 'exec_call'", "red"),
        (_set(("activity_types", 0, "fields", 0, "colour"), "x"), "activity_types 'exec_call'", None),
        (_set(("plan_types", 0, "objective_category"), "nope"), "plan_types 'recovery'", "recovery"),
        (_set(("plan_types", 0, "objective_status"), "nope"), "unknown objective status", "recovery"),
        (_set(("surveys", 0, "questions", 0, "type"), "stars"), "surveys 'Pulse'", "stars"),
        (_set(("plan_types", 0, "sharing_enabled"), "no"), "sharing_enabled is true or false", "no"),
        (lambda d: d["metrics"].append({"key": "reports_run"}), "listed twice", "reports_run"),
        (_set(("rules", 0, "trigger", "type"), "carrier_pigeon"), "rules 'Red executive call'", None),
    ],
)
def test_a_bad_new_asset_refuses_the_whole_bundle__VAULT_05(kit: sk.Kit, change: Any, says: str, value: Any) -> None:
    """The refusal names the bundle, the asset and the value; nothing is written."""
    data = admin_bundle()
    change(data)
    before = snapshot(kit)
    with pytest.raises(sk.RuleViolation) as e:
        kit.bundles.deploy(data)
    assert e.value.rule == "VAULT_01" and "bundle 'sentiment-watch'" in str(e.value) and says in str(e.value)
    if value is not None:
        assert e.value.value == value
    assert snapshot(kit) == before
    assert "exec_call" not in kit.activity_types and "urgent" not in [i.key for i in kit.config.items("priority")]


# ----------------------------------------------------------------------------- header
def test_category_author_and_requires_are_read_and_written__VAULT_05() -> None:
    data = {**admin_bundle(), "requires": {"bundles": ["onboarding"], "extras": ["pandas"],
                                           "features": ["trigger:activity", "asset:activity_types"]}}  # fmt: skip
    b = sk.Bundle.from_dict(data)
    assert (b.category, b.author) == ("Customer health", "Acme CS Ops")
    assert b.requires.bundles == ("onboarding",) and b.requires.features[0] == "trigger:activity"
    again = sk.Bundle.from_dict(b.to_dict())
    assert again == b and again.to_dict()["requires"]["extras"] == ["pandas"]


@pytest.mark.parametrize(
    ("requires", "says"),
    [
        ({"bundles": "onboarding"}, "bundles is a list of text"),
        ({"extras": ["gpu"]}, "unknown extra"),
        ({"features": ["teleport"]}, "a feature is <kind>:<name>"),
        ({"people": ["Cleo"]}, "unknown key"),
        (["onboarding"], "'requires' is a table"),
        ({"features": [3]}, "features is a list of text"),
    ],
)
def test_bad_requires_are_refused_when_read__VAULT_05(requires: Any, says: str) -> None:
    with pytest.raises(sk.RuleViolation) as e:
        sk.Bundle.from_dict({"format": 1, "name": "needy", "requires": requires})
    assert e.value.rule == "VAULT_05" and "bundle 'needy'" in str(e.value) and says in str(e.value)


@pytest.mark.parametrize(
    ("requires", "names"),
    [
        ({"bundles": ["onboarding"]}, "bundle 'onboarding'"),
        ({"features": ["action:teleport"]}, "feature 'action:teleport'"),
        ({"features": ["trigger:moon_phase"]}, "feature 'trigger:moon_phase'"),
        ({"features": ["asset:dashboards"]}, "feature 'asset:dashboards'"),
    ],
)
def test_an_unmet_requirement_refuses_the_deploy__VAULT_05(kit: sk.Kit, requires: Any, names: str) -> None:
    """The refusal names what is missing; nothing is written, not even in part."""
    before = snapshot(kit)
    with pytest.raises(sk.RuleViolation) as e:
        kit.bundles.deploy({**admin_bundle(), "requires": requires})
    assert e.value.rule == "VAULT_05" and f"requires {names}" in str(e.value)
    assert e.value.value == names.split("'")[1]  # the requirement as written
    assert snapshot(kit) == before


def test_a_met_requirement_lets_the_deploy_through__VAULT_05(kit: sk.Kit) -> None:
    needs = {"bundles": ["onboarding"], "features": ["trigger:activity", "action:create_cta", "asset:surveys"]}
    with pytest.raises(sk.RuleViolation, match="requires bundle 'onboarding'"):
        kit.bundles.deploy({**admin_bundle(), "requires": needs})
    kit.bundles.deploy("onboarding")
    assert kit.bundles.installed() == {"onboarding": "1.0"}
    assert kit.bundles.deploy({**admin_bundle(), "requires": needs}).created == 8


# ----------------------------------------------------------------------------- diff
def test_redeploy_reports_what_differs_and_keeps_local_edits__VAULT_05(kit: sk.Kit) -> None:
    """Local changes are kept; the redeploy (and `diff`, which writes nothing) names
    each asset that differs, by kind and name, with the keys that differ."""
    kit.bundles.deploy(admin_bundle())
    kit.config.update_plan_type("recovery", name="Rescue", sharing_enabled=True)
    kit.rules.set_active("Red executive call", False)
    changed = copy.deepcopy(admin_bundle())
    changed["custom_fields"][0]["options"] = ["red", "amber", "green"]
    changed["activity_types"][0]["fields"].append({"name": "minutes", "type": "number"})
    changed["rules"][0]["trigger"]["value"] = "yellow"
    changed["surveys"][0]["questions"].append({"key": "why", "type": "text", "text": "Why?"})
    before = snapshot(kit)
    stats = kit.store.stats.total
    diffs = kit.bundles.diff(changed)
    assert kit.store.stats.total - stats <= len(kinds()) + 4  # one read per kind, a few for configuration
    assert [(d.kind, d.name, d.fields) for d in diffs] == [
        ("plan_types", "recovery", ("name", "sharing_enabled")),
        ("activity_types", "exec_call", ("fields",)),
        ("custom_fields", "company.sentiment", ("options",)),
        ("surveys", "Pulse", ("questions",)),
        ("rules", "Red executive call", ("active", "trigger")),
    ]
    report = kit.bundles.deploy(changed)
    assert report.diffs == diffs and report.created == 0
    assert "1 already there" not in str(report) and "5 differ from the bundle" in str(report)
    assert "(differs: name, sharing_enabled)" in str(report)
    assert snapshot(kit) == before  # kept as the team changed them
    assert kit.config.plan_type("recovery").name == "Rescue"


def test_a_deleted_asset_comes_back_on_redeploy__VAULT_05(kit: sk.Kit) -> None:
    kit.bundles.deploy(admin_bundle())
    kit.rules.delete("Red executive call")
    report = kit.bundles.deploy(admin_bundle())
    assert [(s.kind, s.result) for s in report.steps if s.result == "created"] == [("rules", "created")]


def test_activity_types_from_plugins_count_as_installed__VAULT_05(kit: sk.Kit) -> None:
    """A bundle listing a built-in type reports it there; its label is compared."""
    doc = {"format": 1, "name": "calls", "activity_types": [{"key": "call", "label": "Phone call"}]}
    report = kit.bundles.deploy(doc)
    assert [(s.result, s.record_id) for s in report.steps] == [("exists", None)]
    assert [(d.name, d.fields) for d in report.diffs] == [("call", ("label",))]


# ----------------------------------------------------------------------------- registry
@pytest.fixture
def settings_kind() -> Any:
    """A kind added with one registry entry: workspace settings, found again by key."""
    from successkit.automation.bundle_assets import AssetKind, register, unregister

    def create(d: Any, e: Any) -> str:
        d.kit.config.set_setting(e["key"], e["value"])
        (made,) = d.kit.store.query(d.kit.bind("setting", sk.Query(conditions=[("key", "=", e["key"])])))
        return str(made.id)

    def check(kit: sk.Kit, e: Any) -> None:
        if not isinstance(e["value"], str):
            raise sk.ValidationError("value is text", value=e["value"])

    register(AssetKind("settings", 95, frozenset({"key", "value"}), create=create, check=check, ident="key",
                       stored="setting"))  # fmt: skip
    yield
    unregister("settings")


def test_a_new_asset_kind_is_one_registry_entry__VAULT_05(kit: sk.Kit, settings_kind: Any) -> None:
    """Parsing, checking, deploying, skipping, redeploying and the diff all work for a
    kind registered with one entry, as programs and reports will be."""
    doc = {"format": 1, "name": "tuned", "settings": [{"key": "acme.region", "value": "emea"},
                                                      {"key": "acme.tier", "value": "gold"}]}  # fmt: skip
    report = kit.bundles.deploy(doc, skip=["settings:acme.tier"])
    assert [(s.kind, s.name, s.result) for s in report.steps] == [
        ("settings", "acme.region", "created"),
        ("settings", "acme.tier", "skipped"),
    ]
    assert kit.config.setting("acme.region") == "emea"
    again = kit.bundles.deploy(doc)
    assert [s.result for s in again.steps] == ["exists", "created"] and again.diffs == ()
    kit.config.set_setting("acme.tier", "silver")
    assert [(d.name, d.fields) for d in kit.bundles.diff(doc)] == [("acme.tier", ("value",))]
    before = snapshot(kit)
    with pytest.raises(sk.RuleViolation, match=r"settings 'x\.y': value is text") as e:
        kit.bundles.deploy({**doc, "settings": [{"key": "x.y", "value": 3}]})
    assert e.value.value == 3 and snapshot(kit) == before
    with pytest.raises(sk.RuleViolation, match="missing field 'value'"):
        kit.bundles.deploy({**doc, "settings": [{"key": "x.y"}]})


def test_stored_activity_types_join_the_registered_ones__VAULT_05_TL_01(kit: sk.Kit) -> None:
    """An activity type stored as configuration (as a bundle stores one) is known to
    `kit.activity_types` after the built-ins, loggable at once, and seen by a kit
    that reads the configuration again; a plugin's key wins over a stored one."""
    kit.config.add_item("activity_type", "qbr", "Quarterly business review")
    kit.config.add_item("activity_type", "call", "Stored call")
    assert kit.activity_types.keys()[-1] == "qbr" and kit.activity_types.label("qbr") == "Quarterly business review"
    assert kit.activity_types.label("call") == "Call"
    acme = kit.companies.create("Acme")
    assert kit.timeline.log("qbr", "Q4 review", company=acme).type == "qbr"
    kit.reload()
    assert "qbr" in kit.activity_types
    with pytest.raises(sk.ValidationError):
        kit.timeline.log("qbr_typo", "Nope", company=acme)


def program_bundle(wait: int = 7) -> dict[str, Any]:
    """An email template, a program sending it, and the event rule that enters new customers."""
    return {
        "format": 1,
        "name": "welcome-cadence",
        "version": "1.0",
        "email_templates": [{"name": "Hello", "subject": "Welcome, {{company.name}}", "body": "Hi from the team."}],
        "programs": [
            {"name": "First weeks", "target": "company", "description": "Two emails a week apart.",
             "steps": [{"do": "send_email", "template": "Hello"}, {"do": "wait", "days": wait},
                       {"do": "send_email", "template": "Hello"}],
             "exit": {"activity": ["meeting"]}},
        ],
        "rules": [
            {"name": "Enter the welcome cadence", "trigger": {"on": "created"},
             "actions": [{"do": "enter_program", "program": "First weeks"}]},
        ],
    }  # fmt: skip


def test_programs_are_an_asset_kind_and_rules_enter_them__VAULT_05_MAIL_03(kit: sk.Kit) -> None:
    """A bundle's program is created after the email template it sends and before the rule
    that enters it; a redeploy finds it, and a changed wait is reported as a difference."""
    report = kit.bundles.deploy(program_bundle())
    made = [(s.kind, s.name, s.result) for s in report.steps if s.kind in ("email_templates", "programs", "rules")]
    assert made == [
        ("email_templates", "Hello", "created"),
        ("programs", "First weeks", "created"),
        ("rules", "Enter the welcome cadence", "created"),
    ]
    (program,) = kit.programs.list()
    assert (program.bundle, program.target) == ("welcome-cadence", "company")
    acme = kit.companies.create("Acme")
    assert [e.target_id for e in kit.programs.enrolments(program)] == [acme.id]
    again = kit.bundles.deploy(program_bundle())
    assert {s.result for s in again.steps} == {"exists"} and again.diffs == ()
    changed = kit.bundles.diff(program_bundle(wait=14))
    assert [(d.kind, d.name, d.fields) for d in changed] == [("programs", "First weeks", ("steps",))]


def test_a_bad_program_refuses_the_whole_bundle__VAULT_05_MAIL_03(kit: sk.Kit) -> None:
    bad = program_bundle()
    bad["programs"][0]["steps"][0]["template"] = "Nowhere"
    before = snapshot(kit)
    with pytest.raises(sk.SuccessKitError, match="Nowhere"):
        kit.bundles.deploy(bad)
    assert snapshot(kit) == before


def report_bundle(by: str = "stage") -> dict[str, Any]:
    return {
        "format": 1,
        "name": "arr-reports",
        "version": "1.0",
        "reports": [
            {"name": "ARR by stage", "record_set": "company", "by": [by],
             "measures": {"customers": "count", "arr": "sum"}, "chart": {"type": "bar", "measure": "arr"}},
        ],
    }  # fmt: skip


def test_reports_are_an_asset_kind__VAULT_05_REPORT_02(kit: sk.Kit) -> None:
    """A bundle's saved report runs by name once deployed; a redeploy finds it, and a
    changed grouping is reported as a difference; a bad report refuses the whole bundle."""
    kit.companies.create_many([{"name": "Acme", "stage": "Adoption", "arr": 100.0},
                               {"name": "Globex", "stage": "Adoption", "arr": 50.0},
                               {"name": "Initech", "stage": "Renewal", "arr": 25.0}])  # fmt: skip
    report = kit.bundles.deploy(report_bundle())
    assert [(s.kind, s.name, s.result) for s in report.steps if s.kind == "reports"] == [
        ("reports", "ARR by stage", "created")
    ]
    result = kit.reports.run("ARR by stage")
    if _pandas():
        rows = {r["stage"]: (r["customers"], r["arr"]) for r in result.to_pandas().to_dict("records")}
        assert rows == {"Adoption": (2, 150.0), "Renewal": (1, 25.0)}
    again = kit.bundles.deploy(report_bundle())
    assert {s.result for s in again.steps} == {"exists"} and again.diffs == ()
    assert [(d.kind, d.fields) for d in kit.bundles.diff(report_bundle(by="industry"))] == [("reports", ("by",))]
    bad = report_bundle()
    bad["reports"][0].update(name="Names summed", measures={"arr": "sum", "name": "sum"})  # a sum over text
    before = snapshot(kit)
    with pytest.raises(sk.SuccessKitError, match="name"):
        kit.bundles.deploy({**bad, "name": "bad-reports"})
    assert snapshot(kit) == before


def _pandas() -> bool:
    try:
        import pandas  # noqa: F401
    except ImportError:
        return False
    return True
