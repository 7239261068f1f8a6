"""Rules: selection with relative dates and activity absence, the three actions
(RULE_01), idempotence with snooze and cooldown (RULE_02, OBJ_08), dry runs
(RULE_03), atomic runs (STORE_03) and bounded storage calls - on every backend."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest

import successkit as sk
from successkit.plans.builders import initial_plan_status
from successkit.testing import fail_each_write

from .helpers import World, snapshot

TODAY = date(2026, 11, 24)

RENEWAL_CTA = {
    "do": "create_cta",
    "name": "Renewal: {name}",
    "type": "renewal",
    "reason": "renewal_due",
    "priority": "high",
    "due_days": 30,
}


def renewal_rule(kit: sk.Kit, name: str = "Renewal 120", **action: Any) -> sk.Rule:
    return kit.rules.create(name, where=[("renewal_date", "within next 120 days")], actions=[{**RENEWAL_CTA, **action}])


def company(w: World, name: str, renewal_in: int | None = None, **kw: Any) -> sk.Company:
    kw.setdefault("csm_id", w.alice.id)
    if renewal_in is not None:
        kw["renewal_date"] = TODAY + timedelta(days=renewal_in)
    return w.kit.companies.create(name, **kw)


def ctas_of(kit: sk.Kit, c: sk.Company) -> list[sk.Cta]:
    return list(kit.ctas.list([("company_id", "=", c.id)], sort=["name"]))


# ----------------------------------------------------------------------------- RULE_01
def test_rule_selects_by_relative_date_and_creates_cta__RULE_01(kit: sk.Kit) -> None:
    """'renewal date within next 120 days' picks exactly the companies renewing in that window,
    and the CTA gets the rule's type, reason, priority, due date and the CSM as owner."""
    w = World(kit)
    soon, edge, late = company(w, "Soon", 100), company(w, "Edge", 120), company(w, "Late", 121)
    past, none = company(w, "Past", -1), company(w, "No date")
    run = kit.rules.run(renewal_rule(kit))
    assert run.matched == 2 and run.created == 2
    assert {s.target_name for s in run.steps} == {"Soon", "Edge"}
    for c in (late, past, none):
        assert ctas_of(kit, c) == []
    (cta,) = ctas_of(kit, soon)
    assert (cta.name, cta.type, cta.reason, cta.priority, cta.owner_id, cta.source) == (
        "Renewal: Soon",
        "renewal",
        "renewal_due",
        "high",
        w.alice.id,
        "rule",
    )
    assert cta.start_date == TODAY and cta.due_date == TODAY + timedelta(days=30)
    assert cta.relationship_id is None and len(ctas_of(kit, edge)) == 1


def test_rule_cta_with_playbook_creates_its_tasks__RULE_01(kit: sk.Kit) -> None:
    """'create a CTA (with playbook)': the playbook's steps become the CTA's tasks."""
    w = World(kit)
    mail = kit.playbooks.create_email_template("Notice", "Renewal soon", "Hello")
    kit.playbooks.create(
        "Renewal book",
        [
            {"name": "Review", "due_days": 2},
            {"name": "Email", "due_days": 5, "email_template": mail.id, "depends_on": ["1"]},
        ],
        cta_types=["renewal"],
    )
    acme = company(w, "Renewing", 30)
    kit.rules.run(renewal_rule(kit, playbook="Renewal book"))
    (cta,) = ctas_of(kit, acme)
    tasks = kit.ctas.tasks(cta)
    assert [t.name for t in tasks] == ["Review", "Email"]
    assert tasks[1].depends_on == (tasks[0].id,) and tasks[1].email_state == "verify"
    assert tasks[1].email_subject == "Renewal soon" and tasks[1].due_date == TODAY + timedelta(days=5)
    assert all(t.owner_id == w.alice.id for t in tasks)


def test_rule_on_relationships_uses_their_csm_or_the_companys__RULE_01(kit: sk.Kit) -> None:
    """Relationship rules raise relationship CTAs; the owner is the relationship's CSM,
    else its company's."""
    w = World(kit)
    carol = kit.users.create("Carol")
    kit.companies.update(w.acme, csm_id=w.alice.id)
    own = kit.relationships.create(w.acme, w.product, "Own CSM", csm_id=carol.id, renewal_date=TODAY)
    kit.relationships.create(w.other, w.product, "No CSM", renewal_date=TODAY)
    rule = kit.rules.create(
        "Rel renewals",
        target="relationship",
        where=[("renewal_date", "within next 10 days")],
        actions=[{**RENEWAL_CTA, "name": "Renew {name} of {company}"}],
    )
    run = kit.rules.run(rule)
    by_name = {s.target_name: s for s in run.steps}
    assert by_name["Own CSM"].result == "created"
    cta = kit.ctas.get(by_name["Own CSM"].record_id or "")
    assert (cta.relationship_id, cta.company_id, cta.owner_id, cta.name) == (
        own.id,
        w.acme.id,
        carol.id,
        "Renew Own CSM of Acme",
    )
    # Other Co has no CSM and no user runs the rule: skipped, with the reason
    assert by_name["No CSM"].result == "skipped" and "no owner" in by_name["No CSM"].detail


def test_rule_owner_from_a_company_field_and_refused_owners__RULE_01(kit: sk.Kit) -> None:
    """owner='field:<name>' takes the user in a company field; an inactive owner is
    skipped naming USER_02 instead of breaking the run."""
    w = World(kit)
    kit.custom_fields.declare("company", "renewal_manager", "text")
    carol = kit.users.create("Carol")
    a = company(w, "Has manager", 10, fields={"renewal_manager": carol.id})
    b = company(w, "Gone manager", 10, fields={"renewal_manager": w.gone.id})
    run = kit.rules.run(renewal_rule(kit, owner="field:renewal_manager"))
    assert ctas_of(kit, a)[0].owner_id == carol.id
    (skipped,) = [s for s in run.steps if s.target_id == b.id]
    assert skipped.result == "skipped" and "USER_02" in skipped.detail and ctas_of(kit, b) == []


def test_rule_without_recent_activity__RULE_01(kit: sk.Kit) -> None:
    """'no timeline activity of type X in the last 30 days': a recent call excludes the
    company, an older one or a draft does not."""
    w = World(kit)
    recent, old, draft, silent = (company(w, n) for n in ("Recent", "Old", "Draft", "Silent"))
    now = datetime(2026, 11, 24, 9, tzinfo=timezone.utc)
    kit.timeline.log("call", "Catch-up", company=recent, occurred_at=now - timedelta(days=29))
    kit.timeline.log("call", "Catch-up", company=old, occurred_at=now - timedelta(days=31))
    kit.timeline.log("call", "Catch-up", company=draft, occurred_at=now - timedelta(days=1), draft=True)
    kit.timeline.log("note", "Not a call", company=silent, occurred_at=now)
    rule = kit.rules.create(
        "Check in",
        without_activity={"types": ["call", "meeting"], "days": 30},
        actions=[{"do": "create_cta", "name": "Check in with {name}", "type": "activity"}],
    )
    run = kit.rules.run(rule)
    assert sorted(s.target_name for s in run.steps) == ["Acme", "Draft", "Old", "Other Co", "Silent"]


def test_rule_without_activity_since_a_date_field__RULE_01(kit: sk.Kit) -> None:
    """The renewal follow-up: no 'renewal' activity since 120 days before the renewal date."""
    w = World(kit)
    talked, early, quiet = company(w, "Talked", 70), company(w, "Early", 70), company(w, "Quiet", 70)
    renewal = datetime.combine(TODAY + timedelta(days=70), datetime.min.time(), tzinfo=timezone.utc)
    kit.timeline.log("renewal", "Renewal call", company=talked, occurred_at=renewal - timedelta(days=100))
    kit.timeline.log("renewal", "Too early", company=early, occurred_at=renewal - timedelta(days=130))
    rule = kit.rules.create(
        "Follow-up",
        where=[("renewal_date", "within next 80 days")],
        without_activity={"types": ["renewal"], "since": "renewal_date", "days": 120},
        actions=[{**RENEWAL_CTA, "reason": "other"}],
    )
    run = kit.rules.run(rule)
    assert sorted(s.target_name for s in run.steps) == ["Early", "Quiet"]
    assert ctas_of(kit, talked) == [] and len(ctas_of(kit, quiet)) == 1


def test_rule_creates_plan_from_template__RULE_01(kit: sk.Kit) -> None:
    """create a success plan from a template: the plan, its objectives and tasks, the plan
    type's first draft status, the due date moved to the latest item (PLAN_09)."""
    w = World(kit)
    kit.plan_templates.create(
        "Onboard",
        "onboarding",
        [
            {"name": "Kickoff", "due_days": 10, "tasks": [{"name": "Agenda", "due_days": 5}]},
            {"name": "Go live", "due_days": 120, "depends_on": ["1"]},
        ],
    )
    acme = company(w, "New Co", stage="Onboarding")
    rule = kit.rules.create(
        "Start onboarding",
        where=[("stage", "=", "Onboarding")],
        actions=[
            {
                "do": "create_plan",
                "name": "Onboarding {name}",
                "plan_type": "onboarding",
                "template": "Onboard",
                "due_days": 90,
            }
        ],
    )
    run = kit.rules.run(rule)
    (plan,) = kit.plans.list([("company_id", "=", acme.id)])
    assert run.steps[0].record_id == plan.id and plan.name == "Onboarding New Co"
    assert plan.owner_id == w.alice.id and plan.status == initial_plan_status(kit, "onboarding")
    assert plan.due_date == TODAY + timedelta(days=120)
    view = kit.plans.open(plan)
    assert [o.name for o in view.objectives] == ["Kickoff", "Go live"]
    assert view.objectives[1].depends_on == (view.objectives[0].id,)
    assert [t.name for t in view.tasks[view.objectives[0].id]] == ["Agenda"]


def test_rule_logs_timeline_activity__RULE_01(kit: sk.Kit) -> None:
    w = World(kit)
    acme = company(w, "Logged", 10)
    kit.rules.create(
        "Log it",
        where=[("renewal_date", "within next 10 days")],
        actions=[{"do": "log_activity", "type": "update", "subject": "{name} renews soon", "notes": "Automatic"}],
    )
    kit.rules.run("Log it")
    (item,) = kit.timeline.company(acme).items
    a = item.activity
    assert (a.type, a.subject, a.notes, a.level, a.draft) == (
        "update",
        "Logged renews soon",
        "Automatic",
        "company",
        False,
    )


# ----------------------------------------------------------------------------- RULE_02
def test_running_twice_creates_nothing_twice__RULE_02(kit: sk.Kit) -> None:
    """A second run finds the CTA, plan and activity of the first and changes nothing."""
    w = World(kit)
    kit.plan_templates.create("Renew", "renewal", [{"name": "Prepare", "due_days": 10}])
    for i in range(3):
        company(w, f"C{i}", 20 * i)
    rule = kit.rules.create(
        "All three",
        where=[("renewal_date", "within next 120 days")],
        actions=[
            RENEWAL_CTA,
            {"do": "create_plan", "name": "Renewal", "plan_type": "renewal", "template": "Renew"},
            {"do": "log_activity", "type": "update", "subject": "Renewal started"},
        ],
    )
    first = kit.rules.run(rule)
    assert first.created == 9
    before = snapshot(kit)
    second = kit.rules.run(rule)
    assert second.summary() == {
        "create_cta": {"unchanged": 3},
        "create_plan": {"unchanged": 3},
        "log_activity": {"unchanged": 3},
    }
    assert snapshot(kit) == before


def test_open_cta_of_same_type_and_reason_is_updated__RULE_02(kit: sk.Kit) -> None:
    """An open CTA of the same company, type and reason is updated (its priority raised to the
    rule's), not duplicated, and keeps the name its team gave it; another reason is another CTA."""
    w = World(kit)
    acme = company(w, "Acme Renewal", 30)
    manual = kit.ctas.create("Renewal talk", company=acme, type="renewal", reason="renewal_due", priority="low").record
    other_reason = kit.ctas.create("Expansion", company=acme, type="renewal", reason="other").record
    run = kit.rules.run(renewal_rule(kit))
    assert [s.result for s in run.steps] == ["updated"] and run.steps[0].record_id == manual.id
    now = kit.ctas.get(manual)
    assert (now.priority, now.name, now.version) == ("high", "Renewal talk", manual.version + 1)
    assert kit.ctas.get(other_reason) == other_reason
    assert len(ctas_of(kit, acme)) == 2


def test_snoozed_cta_suppresses_a_new_one__RULE_02_OBJ_08(kit: sk.Kit, clock: sk.FixedClock) -> None:
    """While a similar CTA is snoozed the rule neither creates nor updates; once the snooze
    ends, the rule updates it again."""
    w = World(kit)
    acme = company(w, "Snoozer", 30)
    cta = kit.ctas.create("Renewal", company=acme, type="renewal", reason="renewal_due", priority="low").record
    kit.ctas.snooze(cta, TODAY + timedelta(days=7), reason="waiting for budget")
    rule = renewal_rule(kit)
    before = snapshot(kit)
    run = kit.rules.run(rule)
    assert run.steps[0].result == "suppressed" and "OBJ_08" in run.steps[0].detail
    assert snapshot(kit) == before
    clock.advance(days=8)
    assert kit.rules.run("Renewal 120").steps[0].result == "updated"
    assert len(ctas_of(kit, acme)) == 1


def test_closed_cta_within_cooldown_suppresses__RULE_02(kit: sk.Kit, clock: sk.FixedClock) -> None:
    """A closed CTA only holds a new one back within the action's cooldown_days."""
    w = World(kit)
    acme = company(w, "Closer", 100)
    rule = renewal_rule(kit, cooldown_days=30)
    (step,) = kit.rules.run(rule).steps
    kit.ctas.set_status(step.record_id or "", "closed_success")
    clock.advance(days=10)
    assert kit.rules.run(rule).steps[0].result == "suppressed"
    clock.advance(days=25)
    assert kit.rules.run(rule).steps[0].result == "created"
    assert len(ctas_of(kit, acme)) == 2


def test_cooldown_ends_on_its_last_day__RULE_02(kit: sk.Kit, clock: sk.FixedClock) -> None:
    """A CTA closed 29 days ago holds a new one back under a 30-day cooldown; closed 30 days ago, not."""
    w = World(kit)
    company(w, "Edge", 100)
    rule = renewal_rule(kit, cooldown_days=30)
    (step,) = kit.rules.run(rule).steps
    kit.ctas.set_status(step.record_id or "", "closed_success")
    clock.advance(days=29)
    assert kit.rules.run(rule).steps[0].result == "suppressed"
    clock.advance(days=1)
    assert kit.rules.run(rule).steps[0].result == "created"


def test_rerun_reads_only_ctas_that_hold_it_back__RULE_02(
    kit: sk.Kit, clock: sk.FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """CTAs closed before the cooldown, or of another reason, stay in the database: a re-run's
    cost does not grow with a company's CTA history."""
    w = World(kit)
    acme = company(w, "History", 100)
    rule = renewal_rule(kit, cooldown_days=7)
    for _ in range(5):
        (step,) = kit.rules.run(rule).steps
        kit.ctas.set_status(step.record_id or "", "closed_success")
        clock.advance(days=8)
    kit.ctas.create("Other reason", company=acme, type="risk", reason="health_drop")
    seen: list[str] = []
    real = kit.store.query

    def counting(bound: Any) -> Any:
        for record in real(bound):
            seen.append(record.__kind__)
            yield record

    monkeypatch.setattr(kit.store, "query", counting)
    assert kit.rules.run(rule).steps[0].result == "created"
    assert seen.count("cta") == 0  # five old closed CTAs and one of another reason: none read
    assert len(ctas_of(kit, acme)) == 7


def test_plan_of_same_name_is_not_created_twice__RULE_02(kit: sk.Kit) -> None:
    """A plan of the same company, type and name is left alone; the same name with
    another type is skipped naming PLAN_02."""
    w = World(kit)
    a, b = company(w, "Has plan", 10), company(w, "Other type", 10)
    existing = kit.plans.create("Renewal", company=a, plan_type="renewal", owner=w.alice)
    kit.plans.create("Renewal", company=b, plan_type="roi", owner=w.alice)
    rule = kit.rules.create(
        "Plans",
        where=[("renewal_date", "within next 10 days")],
        actions=[{"do": "create_plan", "name": "Renewal", "plan_type": "renewal"}],
    )
    steps = {s.target_name: s for s in kit.rules.run(rule).steps}
    assert steps["Has plan"].result == "unchanged" and steps["Has plan"].record_id == existing.id
    assert steps["Other type"].result == "skipped" and "PLAN_02" in steps["Other type"].detail
    assert kit.plans.count([("name", "=", "Renewal")]) == 2


# ----------------------------------------------------------------------------- RULE_03
def test_dry_run_reports_the_real_run_and_writes_nothing__RULE_03(kit: sk.Kit) -> None:
    w = World(kit)
    kit.plan_templates.create("Renew", "renewal", [{"name": "Prepare", "due_days": 10}])
    company(w, "One", 10)
    two = company(w, "Two", 50)
    kit.ctas.create("Renewal", company=two, type="renewal", reason="renewal_due", priority="low")
    rule = kit.rules.create(
        "Everything",
        where=[("renewal_date", "within next 120 days")],
        actions=[
            RENEWAL_CTA,
            {"do": "create_plan", "name": "Renewal", "plan_type": "renewal", "template": "Renew"},
            {"do": "log_activity", "type": "update", "subject": "Renewal started"},
        ],
    )
    before = snapshot(kit)
    preview = kit.rules.run(rule, dry_run=True)
    assert snapshot(kit) == before
    real = kit.rules.run(rule)

    def shape(run: sk.RuleRun) -> list[tuple[str, str, str, str]]:
        return sorted((s.action, s.result, s.target_name, s.detail) for s in run.steps)

    assert preview.dry_run and not real.dry_run and shape(preview) == shape(real)
    assert all(s.record_id is None for s in preview.steps if s.result == "created")
    assert "would create: create cta for company 'One'" in str(preview)
    assert "would update: create cta for company 'Two'" in str(preview)


# ------------------------------------------------------------------------ bad input
@pytest.mark.parametrize(
    ("where", "logic", "actions", "says"),
    [
        ([("no_such_field", "=", 1)], None, [RENEWAL_CTA], "no_such_field"),
        ([("renewal_date", "within next 120 days")], "1 AND", [RENEWAL_CTA], "logic"),
        ([("name", "within next 3 days")], None, [RENEWAL_CTA], "date field"),
        ([], None, [], "actions"),
        ([], None, [{"do": "send_fax"}], "send_fax"),
        ([], None, [{"do": "create_cta", "type": "renewal"}], "'name'"),
        ([], None, [{**RENEWAL_CTA, "type": "no_such_type"}], "no_such_type"),
        ([], None, [{**RENEWAL_CTA, "playbook": "Missing book"}], "Missing book"),
        ([], None, [{**RENEWAL_CTA, "name": "Hi {ceo}"}], "ceo"),
        ([], None, [{**RENEWAL_CTA, "name": "Call {{company.name}}"}], "{{company.name}}"),  # the email syntax
        ([], None, [{"do": "log_activity", "type": "note", "subject": "On {{ name }}"}], "a rule's texts take"),
        ([], None, [{**RENEWAL_CTA, "due_days": -1}], "-1"),
        ([], None, [{**RENEWAL_CTA, "colour": "red"}], "colour"),
        ([], None, [{"do": "create_plan", "name": "P", "plan_type": "nope"}], "nope"),
        ([], None, [{"do": "log_activity", "type": "fax", "subject": "x"}], "fax"),
    ],
)
def test_bad_rule_is_refused_naming_the_entry__RULE_01(
    kit: sk.Kit, where: Any, logic: Any, actions: Any, says: str
) -> None:
    """A malformed rule is a RULE_01 error naming the rule and the bad value; nothing is stored."""
    before = snapshot(kit)
    with pytest.raises(sk.RuleViolation) as e:
        kit.rules.create("Broken", where=where, logic=logic, actions=actions)
    assert e.value.rule == "RULE_01" and "'Broken'" in str(e.value) and says in str(e.value)
    assert snapshot(kit) == before


def test_unknown_rule_and_inactive_rule_are_clear_errors__RULE_01(kit: sk.Kit) -> None:
    with pytest.raises(sk.NotFound, match="no rule with id or name 'Nope'"):
        kit.rules.run("Nope")
    renewal_rule(kit)
    kit.rules.set_active("Renewal 120", False)
    with pytest.raises(sk.ValidationError, match="not active"):
        kit.rules.run("Renewal 120")
    assert kit.rules.run_all() == []


# ------------------------------------------------------------------ atomic, bounded, access
def test_rule_run_is_atomic_at_every_write__STORE_03(kit: sk.Kit) -> None:
    """A failure at any write of a run leaves storage exactly as it was."""
    w = World(kit)
    kit.playbooks.create("Book", [{"name": "Step"}], cta_types=["renewal"])
    kit.plan_templates.create("Renew", "renewal", [{"name": "Prepare", "due_days": 10, "tasks": [{"name": "Call"}]}])
    company(w, "A", 10)
    b = company(w, "B", 20)
    kit.ctas.create("Renewal", company=b, type="renewal", reason="renewal_due", priority="low")
    rule = kit.rules.create(
        "Atomic",
        where=[("renewal_date", "within next 120 days")],
        actions=[
            {**RENEWAL_CTA, "playbook": "Book"},
            {"do": "create_plan", "name": "Renewal", "plan_type": "renewal", "template": "Renew"},
            {"do": "log_activity", "type": "update", "subject": "Renewal started"},
        ],
    )
    points = fail_each_write(kit, lambda: kit.rules.run(rule))
    assert points >= 4
    assert kit.ctas.count([("type", "=", "renewal")]) == 2


def test_rule_run_costs_bounded_storage_calls__RULE_01(kit: sk.Kit) -> None:
    """Storage calls per run do not grow with the number of companies."""
    w = World(kit)
    kit.playbooks.create("Book", [{"name": "Step"}, {"name": "Step 2"}], cta_types=["renewal"])
    kit.plan_templates.create("Renew", "renewal", [{"name": "Prepare", "due_days": 10, "tasks": [{"name": "Call"}]}])
    counts = []
    for size in (1, 3, 60):  # the first run warms the kit's configuration caches
        kit.companies.create_many(
            [
                {"name": f"S{size}-{i}", "csm_id": w.alice.id, "renewal_date": TODAY + timedelta(days=size)}
                for i in range(size)
            ]
        )
        rule = kit.rules.create(
            f"Size {size}",
            where=[("renewal_date", "=", TODAY + timedelta(days=size))],
            without_activity={"types": ["renewal"], "days": 30},
            actions=[
                {**RENEWAL_CTA, "playbook": "Book"},
                {"do": "create_plan", "name": "Renewal", "plan_type": "renewal", "template": "Renew"},
                {"do": "log_activity", "type": "update", "subject": "Renewal started"},
            ],
        )
        kit.store.stats.reset()
        run = kit.rules.run(rule)
        counts.append(kit.store.stats.total)
        assert run.created == 3 * size
    assert counts[1] == counts[2], counts
    assert counts[2] <= 25 + 3  # and one lock per action (SEC_04)


@pytest.mark.slow
def test_rule_over_ten_thousand_companies__RULE_01(clock: sk.FixedClock) -> None:
    """10,000 matching companies: one CTA each, in a dozen storage calls (checked on the
    in-memory store; the call bound holds on every backend by the test above)."""
    kit = sk.open("memory://", clock=clock, entry_points=False)
    csm = kit.users.create("Cleo")
    kit.companies.create_many(
        [{"name": f"C{i}", "csm_id": csm.id, "renewal_date": TODAY + timedelta(days=30)} for i in range(10_000)]
    )
    rule = renewal_rule(kit)
    kit.store.stats.reset()
    run = kit.rules.run(rule)
    calls = kit.store.stats.total
    assert run.created == 10_000 and kit.ctas.count() == 10_000
    assert calls <= 12, kit.store.stats


def test_viewer_cannot_run_a_rule_that_changes_work__SHARE_04(kit: sk.Kit) -> None:
    """Changes made by a rule run as a user are checked like that user's own."""
    w = World(kit)
    company(w, "Guarded", 10)
    renewal_rule(kit)
    before = snapshot(kit)
    with pytest.raises(sk.AccessDenied):
        kit.as_user(w.bob).rules.run("Renewal 120")
    with pytest.raises(sk.AccessDenied):
        kit.as_user(w.bob).rules.run("Renewal 120", dry_run=True)
    assert snapshot(kit) == before
    assert kit.as_user(w.alice).rules.run("Renewal 120").created == 1


def test_rules_settle_and_never_lower_a_priority__RULE_02(kit: sk.Kit) -> None:
    """Two rules raising the same CTA settle after one run: the higher priority wins, a later
    run changes nothing, and a CSM's rename survives."""
    w = World(kit)
    acme = company(w, "Settle", 30, health_score=20)
    kit.rules.create(
        "A", where=[("renewal_date", "within next 120 days")], actions=[{**RENEWAL_CTA, "priority": "low"}]
    )
    kit.rules.create("B", where=[("health_score", "<", 40)], actions=[{**RENEWAL_CTA, "priority": "high"}])
    first = kit.rules.run_all()
    assert [s.result for r in first for s in r.steps] == ["created", "updated"]
    (cta,) = ctas_of(kit, acme)
    kit.ctas.update(cta, name="Renewal call with the CFO")
    before = snapshot(kit)
    again = kit.rules.run_all()
    assert [s.result for r in again for s in r.steps] == ["unchanged", "unchanged"]
    assert snapshot(kit) == before and kit.ctas.get(cta.id).name == "Renewal call with the CFO"


def test_dry_run_of_all_rules_matches_the_real_run_even_when_they_overlap__RULE_03(kit: sk.Kit) -> None:
    """Later actions and rules see what earlier ones would do: the dry run of overlapping rules
    reports exactly what the real run then does."""
    w = World(kit)
    company(w, "Overlap", 30, health_score=20)
    kit.rules.create("A", where=[("renewal_date", "within next 120 days")], actions=[RENEWAL_CTA])
    kit.rules.create(
        "B",
        where=[("health_score", "<", 40)],
        actions=[
            {**RENEWAL_CTA, "priority": "low"},
            {"do": "log_activity", "type": "note", "subject": "Flag"},
            {"do": "log_activity", "type": "note", "subject": "Flag"},
        ],
    )
    before = snapshot(kit)
    dry = kit.rules.run_all(dry_run=True)
    assert snapshot(kit) == before
    real = kit.rules.run_all()

    def shape(runs: list[sk.RuleRun]) -> list[tuple[str, str, str, str]]:
        return [(r.rule, s.action, s.result, s.detail) for r in runs for s in r.steps]

    assert shape(dry) == shape(real)
    assert [s.result for s in real[1].steps] == ["unchanged", "created", "unchanged"]


@pytest.mark.parametrize(
    ("action", "says"),
    [
        ({**RENEWAL_CTA, "name": "{name:{x}}"}, "cannot be filled in"),
        ({**RENEWAL_CTA, "name": "{name:d}"}, "cannot be filled in"),
        ({**RENEWAL_CTA, "due_days": 3_000_000}, "3000000"),
        ({**RENEWAL_CTA, "cooldown_days": 10**9}, "1000000000"),
        ({**RENEWAL_CTA, "comments": 5}, "comments is text"),
        ({"do": "log_activity", "type": "note", "subject": "s", "notes": 5}, "notes is text"),
        ({**RENEWAL_CTA, "do": ["create_cta"]}, "'do' is one of"),
    ],
)
def test_rules_that_could_not_run_are_refused_when_created__RULE_01(
    kit: sk.Kit, action: dict[str, Any], says: str
) -> None:
    with pytest.raises(sk.RuleViolation) as e:
        kit.rules.create("Broken", actions=[action])
    assert e.value.rule == "RULE_01" and says in str(e.value)
    with pytest.raises(sk.RuleViolation, match="from 0 to 36500"):
        kit.rules.create("Long", without_activity={"types": ["note"], "days": 10**9}, actions=[RENEWAL_CTA])
    assert kit.rules.create("No where", where=None, actions=[RENEWAL_CTA]).definition["where"] == []  # type: ignore[arg-type]


def test_owner_emails_match_without_case__RULE_01(kit: sk.Kit) -> None:
    w = World(kit)
    kit.custom_fields.declare("company", "manager", "text")
    carol = kit.users.create("Carol", email="Carol@Example.com")
    acme = company(w, "Mail", 10, fields={"manager": "carol@example.COM"})
    kit.rules.run(renewal_rule(kit, "By field", owner="field:manager"))
    kit.rules.run(renewal_rule(kit, "By email", owner="CAROL@example.com", reason="other"))
    assert {c.owner_id for c in ctas_of(kit, acme)} == {carol.id}


def test_windows_reaching_back_past_year_one_start_at_the_beginning__RULE_01_RULE_02(
    kit: sk.Kit, clock: sk.FixedClock
) -> None:
    """A cooldown or an activity window longer than the time since year 1 is no overflow:
    the window starts on the first day there is."""
    clock.set(datetime(1, 3, 1, 9, 0, tzinfo=timezone.utc))
    kit.companies.create("Early", csm_id=kit.users.create("Ada", email="ada@example.com").id)
    rule = kit.rules.create(
        "Ancient",
        without_activity={"types": ["call"], "days": 5000},
        actions=[{"do": "create_cta", "name": "Call {name}", "type": "activity", "cooldown_days": 5000}],
    )
    (step,) = kit.rules.run(rule).steps
    assert step.result == "created"
    kit.ctas.set_status(step.record_id or "", "closed_success")
    assert kit.rules.run(rule).steps[0].result == "suppressed"  # closed within the cooldown
