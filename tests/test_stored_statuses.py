"""Stored statuses (VAULT_05): a status an administrator or a bundle stores joins the
registered ones, behaves by its category (PLAN_04, CTA_01), survives reopening the
store, and a bundle carries it - on every backend."""

from __future__ import annotations

import copy
from typing import Any

import pytest

import successkit as sk
from successkit.plugins import hookimpl

from .helpers import snapshot


def test_a_stored_cta_status_behaves_by_its_category__VAULT_05_CTA_01(kit: sk.Kit) -> None:
    """A stored closed-success CTA status closes the CTA (closed_at set), leaves the
    cockpit, and setting an open status again reopens it."""
    won = kit.statuses.add("cta", "won", "Won", category="closed_success")
    assert (won.record_kind, won.key, won.name, won.category, won.order, won.active) == (
        "cta", "won", "Won", "closed_success", 0, True)  # fmt: skip
    assert kit.statuses.of("cta")[-1] == sk.Status("cta", "won", "Won", "closed_success")
    assert "won" in kit.statuses.in_category("cta", "closed_success")
    assert "won" not in kit.statuses.in_category("cta", "open")
    cleo = kit.users.create("Cleo")
    acme = kit.companies.create("Acme", csm_id=cleo.id)
    cta = kit.ctas.create("Renewal", company=acme, type="risk").record
    assert cta.id in [c.id for c in kit.ctas.cockpit(cleo)]
    closed = kit.ctas.set_status(cta.id, "won")
    assert closed.status == "won" and closed.closed_at is not None
    assert cta.id not in [c.id for c in kit.ctas.cockpit(cleo)]
    reopened = kit.ctas.set_status(cta.id, "new")
    assert reopened.closed_at is None


def test_a_stored_plan_status_behaves_by_its_category__VAULT_05_PLAN_04(kit: sk.Kit) -> None:
    """A stored plan status of the closed category closes the plan's objectives (PLAN_05),
    as the built-in 'closed' does; one of the active category is an active status."""
    kit.statuses.add("plan", "on_hold", "On hold", category="active")
    kit.statuses.add("plan", "archived", "Archived", category="closed")
    alice = kit.users.create("Alice")
    acme = kit.companies.create("Acme")
    plan = kit.plans.create("Rescue", company=acme, plan_type="onboarding", owner=alice)
    objective = kit.objectives.create(plan, "Adopt", owner=alice).record
    assert kit.plans.set_status(plan.id, "on_hold").record.status == "on_hold"
    assert kit.objectives.get(objective.id).closed_at is None
    kit.plans.set_status(plan.id, "archived")
    assert kit.statuses.get("objective", kit.objectives.get(objective.id).status).is_closed


def test_goal_progress_counts_a_stored_won_status__VAULT_05_GOAL_06(kit: sk.Kit) -> None:
    """Progress is read from the registry, so a CTA set to a stored closed-success status is
    achieved; a stored goal status is one a goal can take."""
    kit.statuses.add("cta", "won", "Won", category="closed_success")
    kit.statuses.add("goal", "on_track", "On track", category="open")
    cleo = kit.users.create("Cleo")
    acme = kit.companies.create("Acme", csm_id=cleo.id)
    goal = kit.goals.create("Renew", company=acme, status="on_track")
    assert goal.status == "on_track"
    one = kit.goals.create_cta(goal, "One", type="risk", owner=cleo).record
    kit.goals.create_cta(goal, "Two", type="risk", owner=cleo)
    kit.ctas.set_status(one.id, "won")
    assert kit.goals.progress(goal) == sk.GoalProgress(linked=2, closed=1, achieved=1)


def test_stored_statuses_come_after_the_registered_ones_in_their_order__VAULT_05(kit: sk.Kit) -> None:
    registered = [s.key for s in kit.registered_statuses.of("task")]
    kit.statuses.add("task", "blocked", "Blocked", category="open", order=5)
    kit.statuses.add("task", "waiting", "Waiting", category="open", order=1)
    assert [s.key for s in kit.statuses.of("task")] == [*registered, "waiting", "blocked"]
    assert [s.key for s in kit.statuses.stored("task")] == ["waiting", "blocked"]
    assert [s.key for s in kit.registered_statuses.of("task")] == registered  # the plugins' registry is untouched


def test_adding_a_status_is_bounded_and_the_next_read_sees_it__VAULT_05(kit: sk.Kit) -> None:
    """Reading statuses costs nothing once the kit is open; adding one reads the stored
    statuses once and writes one record, and drops the cached registry."""
    before = kit.store.stats.total
    kit.statuses.get("cta", "new")
    kit.statuses.in_category("cta", "open")
    assert kit.store.stats.total == before
    kit.statuses.add("cta", "won", "Won", category="closed_success")
    assert kit.store.stats.total - before <= 3
    assert kit.statuses.get("cta", "won").category == "closed_success"


@pytest.mark.parametrize("url", ["sqlite", "postgres"], indirect=True)  # memory:// opens another store each time
def test_stored_statuses_are_there_when_the_store_is_opened_again__VAULT_05(kit: sk.Kit, open_kit: Any) -> None:
    """A second kit on the same store knows the stored status as it opens, with no extra
    read, and a CTA set to it there is closed."""
    kit.statuses.add("cta", "won", "Won", category="closed_success")
    acme = kit.companies.create("Acme", csm_id=kit.users.create("Cleo").id)
    cta = kit.ctas.create("Renewal", company=acme, type="risk").record
    other = open_kit()
    before = other.store.stats.total
    assert other.statuses.get("cta", "won").label == "Won"
    assert other.store.stats.total == before
    assert other.ctas.set_status(cta.id, "won").closed_at is not None
    kit.reload()
    assert [s.key for s in kit.statuses.stored()] == ["won"]


@pytest.mark.parametrize(
    ("args", "rule", "value"),
    [
        (("deal", "won", "Won", "open"), "SEC_05", "deal"),
        (("cta", "won", "Won", "closed"), "CTA_01", "closed"),  # a plan category, not a CTA one
        (("plan", "won", "Won", "closed_success"), "PLAN_04", "closed_success"),
        (("goal", "met", "Met", "done"), "GOAL_06", "done"),
        (("cta", "new", "New", "closed_lost"), "CTA_01", "new"),  # a built-in open status
        (("plan", "draft", "Draft", "closed"), "PLAN_04", "draft"),
        (("cta", "Won!", "Won", "closed_success"), "SEC_05", "Won!"),
        (("cta", "won", "  ", "closed_success"), "SEC_05", "  "),
        (("cta", 7, "Won", "closed_success"), "SEC_05", 7),
    ],
)
def test_a_bad_status_is_refused_and_nothing_is_written__VAULT_05_PLAN_04_CTA_01(
    kit: sk.Kit, args: tuple[Any, ...], rule: str, value: Any
) -> None:
    """An unknown kind or category, a key a registered status of another category holds,
    a key of another form or a blank name: an error naming the rule and the value."""
    before = snapshot(kit)
    kind, key, name, category = args
    with pytest.raises(sk.ValidationError) as e:
        kit.statuses.add(kind, key, name, category=category)
    assert (e.value.rule, e.value.value) == (rule, value)
    assert snapshot(kit) == before


def test_only_a_full_user_stores_a_status__VAULT_05_SHARE_04(kit: sk.Kit) -> None:
    """Statuses are configuration: a viewer acting on the kit may not add one."""
    viewer = kit.users.create("Vic", license="viewer")
    with pytest.raises(sk.AccessDenied) as e:
        kit.as_user(viewer).statuses.add("cta", "won", "Won", category="closed_success")
    assert e.value.rule == "SHARE_04" and kit.statuses.stored() == []
    admin = kit.users.create("Ada", license="full")
    assert kit.as_user(admin).statuses.add("cta", "won", "Won", category="closed_success").created_by == admin.id
    assert kit.statuses.get("cta", "won").is_closed  # the host kit shares the registry with its views


@pytest.mark.parametrize("order", [-1, True, 1.5, "2"])
def test_a_bad_order_is_refused__VAULT_05(kit: sk.Kit, order: Any) -> None:
    with pytest.raises(sk.ValidationError, match="order") as e:
        kit.statuses.add("cta", "won", "Won", category="closed_success", order=order)
    assert e.value.value == order and kit.statuses.stored() == []


def test_a_key_stored_or_registered_already_is_refused__VAULT_05_CTA_01(kit: sk.Kit) -> None:
    kit.statuses.add("cta", "won", "Won", category="closed_success")
    for key in ("won", "closed_success"):  # stored, then built-in (the same category)
        with pytest.raises(sk.ValidationError, match="exists") as e:
            kit.statuses.add("cta", key, "Again", category="closed_success")
        assert e.value.value == key
    assert kit.statuses.add("objective", "won", "Won", category="closed_success").record_kind == "objective"
    assert [s.key for s in kit.statuses.stored()] == ["won", "won"]


@pytest.mark.parametrize("url", ["sqlite", "postgres"], indirect=True)  # memory:// opens another store each time
def test_a_plugin_status_of_the_same_key_wins__VAULT_05_PLAN_04(kit: sk.Kit, open_kit: Any) -> None:
    """A plugin that later registers a stored key wins, as a plugin's activity type does:
    its label and category are the ones the kit uses, and the key cannot be stored again."""

    class OnHold:
        @hookimpl
        def successkit_register_statuses(self, register: Any) -> None:
            register("plan", "on_hold", "On hold (plugin)", "draft")

    kit.statuses.add("plan", "on_hold", "Paused", category="active")
    plugged = open_kit(plugins=[OnHold()])
    assert plugged.statuses.get("plan", "on_hold") == sk.Status("plan", "on_hold", "On hold (plugin)", "draft")
    assert [s.key for s in plugged.statuses.of("plan")].count("on_hold") == 1
    assert [s.name for s in plugged.statuses.stored("plan")] == ["Paused"]  # kept, in case the plugin goes
    with pytest.raises(sk.ValidationError, match="exists"):
        plugged.statuses.add("plan", "on_hold", "Paused", category="draft")


def definition(s: sk.Status, *, active: bool = True) -> sk.StatusDefinition:
    from datetime import datetime, timezone

    now = datetime(2026, 1, 1, tzinfo=timezone.utc)
    return sk.StatusDefinition(
        record_kind=s.kind, key=s.key, name=s.label, category=s.category, active=active, created_at=now, updated_at=now
    )


def test_an_inactive_or_unknown_stored_status_is_left_out__VAULT_05() -> None:
    registry = sk.StatusRegistry()
    merged = registry.with_stored(
        [
            definition(sk.Status("cta", "gone", "Gone", "open"), active=False),
            definition(sk.Status("cta", "odd", "Odd", "closed")),  # not a CTA category
            definition(sk.Status("deal", "won", "Won", "open")),  # not a status kind
            definition(sk.Status("cta", "won", "Won", "closed_success")),
        ]
    )
    assert [s.key for s in merged.of("cta")] == ["won"]


# ----------------------------------------------------------------------------- bundles
def status_bundle() -> dict[str, Any]:
    """Statuses, a plan type limited to some of them, and a rule closing CTAs with one."""
    return {
        "format": 1,
        "name": "renewals",
        "version": "1.0",
        "statuses": [
            {"kind": "cta", "key": "won", "name": "Won", "category": "closed_success"},
            {"kind": "plan", "key": "on_hold", "name": "On hold", "category": "active", "order": 1},
            {"kind": "cta", "key": "new", "name": "New", "category": "open"},  # built-in: already there
        ],
        "plan_types": [{"key": "rescue", "name": "Rescue", "statuses": ["draft", "active", "on_hold", "closed"]}],
        "rules": [
            {"name": "Close renewed risks", "where": [("stage", "=", "renewed")],
             "actions": [{"do": "close_ctas", "type": "risk", "status": "won"}]},
        ],
    }  # fmt: skip


def test_a_bundle_carries_statuses_a_rule_closes_ctas_with__VAULT_05_AUTO_03(kit: sk.Kit) -> None:
    """The bundle's statuses are created before the plan type and the rule that use them;
    the rule's close_ctas sets the stored status and closes the CTA.  A dry run leaves
    no status behind, in storage or in the registry."""
    before = snapshot(kit)
    assert kit.bundles.deploy(status_bundle(), dry_run=True).created == 4
    assert snapshot(kit) == before and "won" not in kit.statuses.in_category("cta", "closed_success")
    report = kit.bundles.deploy(status_bundle(), skip=["statuses:cta.new"])
    assert [(s.kind, s.name, s.result) for s in report.steps] == [
        ("statuses", "cta.won", "created"),
        ("statuses", "plan.on_hold", "created"),
        ("statuses", "cta.new", "skipped"),
        ("plan_types", "rescue", "created"),
        ("rules", "Close renewed risks", "created"),
    ]
    assert kit.config.plan_type("rescue").statuses == ("draft", "active", "on_hold", "closed")
    assert kit.statuses.get("plan", "on_hold").category == "active"
    acme = kit.companies.create("Acme", stage="renewed", csm_id=kit.users.create("Cleo").id)
    cta = kit.ctas.create("Renewal risk", company=acme, type="risk").record
    assert kit.rules.run("Close renewed risks").summary() == {"close_ctas": {"updated": 1}}
    closed = kit.ctas.get(cta.id)
    assert closed.status == "won" and closed.closed_at is not None


def test_a_redeploy_of_statuses_is_idempotent_and_reports_the_diff__VAULT_05(kit: sk.Kit) -> None:
    kit.bundles.deploy(status_bundle())
    before = snapshot(kit)
    again = kit.bundles.deploy(status_bundle())
    assert again.created == 0 and again.diffs == () and snapshot(kit) == before
    changed = copy.deepcopy(status_bundle())
    changed["statuses"][0]["name"] = "Renewed"
    changed["statuses"][1]["order"] = 3
    changed["statuses"][2]["name"] = "Fresh"  # a built-in's label is compared too
    assert [(d.kind, d.name, d.fields) for d in kit.bundles.diff(changed)] == [
        ("statuses", "cta.won", ("name",)),
        ("statuses", "plan.on_hold", ("order",)),
        ("statuses", "cta.new", ("name",)),
    ]
    assert kit.statuses.get("cta", "won").label == "Won"  # the installed status is kept


@pytest.mark.parametrize(
    ("entry", "says", "value"),
    [
        ({"kind": "cta", "key": "new", "name": "New", "category": "closed_lost"}, "registered with category", "new"),
        ({"kind": "cta", "key": "lost", "name": "Lost", "category": "won"}, "category is one of", "won"),
        ({"kind": "deal", "key": "won", "name": "Won", "category": "open"}, "status kind", "deal"),
    ],
)
def test_a_bad_status_refuses_the_whole_bundle__VAULT_05_CTA_01(
    kit: sk.Kit, entry: dict[str, Any], says: str, value: Any
) -> None:
    before = snapshot(kit)
    doc = status_bundle()
    doc["statuses"] = [*doc["statuses"][:2], entry]
    with pytest.raises(sk.RuleViolation, match=says) as e:
        kit.bundles.deploy(doc)
    assert e.value.value == value and snapshot(kit) == before


def test_a_plan_type_naming_a_status_nobody_adds_refuses_the_bundle__VAULT_05_PLAN_04(kit: sk.Kit) -> None:
    """Plan type statuses are checked in the deploy's transaction: an unknown one undoes
    the bundle's statuses too."""
    before = snapshot(kit)
    doc = status_bundle()
    doc["plan_types"][0]["statuses"] = ["draft", "paused"]
    with pytest.raises(sk.RuleViolation, match="rescue") as e:
        kit.bundles.deploy(doc)
    assert e.value.rule == "VAULT_01" and snapshot(kit) == before
    assert "won" not in kit.statuses.in_category("cta", "closed_success")
