"""Companies, hierarchy and relationships: HIER_01, HIER_02, REL_01-REL_03."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

import successkit as sk

from .helpers import chain, snapshot


def test_five_levels_are_allowed__HIER_01(kit: sk.Kit) -> None:
    levels = chain(kit, 5)
    assert [c.name for c in kit.companies.ancestors(levels[-1])] == ["L1", "L2", "L3", "L4"]


def test_sixth_level_is_refused_and_nothing_written__HIER_01(kit: sk.Kit) -> None:
    levels = chain(kit, 5)
    before = snapshot(kit)
    with pytest.raises(sk.RuleViolation) as e:
        kit.companies.create("L6", parent=levels[-1])
    assert e.value.rule == "HIER_01"
    assert e.value.value == levels[-1].id
    assert snapshot(kit) == before


def test_moving_a_subtree_too_deep_is_refused__HIER_01(kit: sk.Kit) -> None:
    top = chain(kit, 3, "A")  # A1 > A2 > A3
    other = chain(kit, 3, "B")  # B1 > B2 > B3: three levels of subtree under B1
    before = snapshot(kit)
    with pytest.raises(sk.RuleViolation, match="6 levels") as e:
        kit.companies.set_parent(other[0], top[2])  # 3 + 3 = 6 levels
    assert e.value.rule == "HIER_01"
    assert snapshot(kit) == before
    moved = kit.companies.set_parent(other[0], top[1])  # 2 + 3 = 5 levels: allowed
    assert moved.parent_id == top[1].id
    assert [c.name for c in kit.companies.ancestors(other[2])] == ["A1", "A2", "B1", "B2"]


def test_bulk_create_checks_depth_too__HIER_01(kit: sk.Kit) -> None:
    levels = chain(kit, 5)
    before = snapshot(kit)
    with pytest.raises(sk.RuleViolation) as e:
        kit.companies.create_many([{"name": "ok", "parent": levels[0]}, {"name": "deep", "parent": levels[4]}])
    assert e.value.rule == "HIER_01"
    assert snapshot(kit) == before


@pytest.mark.parametrize("target", [0, 1, 2])
def test_cycles_are_refused__HIER_01(kit: sk.Kit, target: int) -> None:
    a, b, c = chain(kit, 3)
    before = snapshot(kit)
    with pytest.raises(sk.RuleViolation, match="cycle") as e:
        kit.companies.set_parent(a, [a, b, c][target])
    assert e.value.rule == "HIER_01"
    assert snapshot(kit) == before


def test_hierarchy_reads_both_ways__HIER_02(kit: sk.Kit) -> None:
    root = kit.companies.create("Acme Group")
    jp = kit.companies.create("Acme Japan", parent=root)
    us = kit.companies.create("Acme US", parent=root)
    tokyo = kit.companies.create("Acme Tokyo", parent=jp)
    osaka = kit.companies.create("Acme Osaka", parent=jp)
    assert [c.id for c in kit.companies.ancestors(osaka)] == [root.id, jp.id]
    assert [c.id for c in kit.companies.children(root)] == [jp.id, us.id]
    assert [c.id for c in kit.companies.subtree(root)] == [jp.id, us.id, osaka.id, tokyo.id]
    assert kit.companies.tree(root).lines() == [
        "Acme Group",
        "  Acme Japan",
        "    Acme Osaka",
        "    Acme Tokyo",
        "  Acme US",
    ]
    assert kit.companies.ancestors(root) == []
    assert kit.companies.subtree(tokyo) == []


def test_subtree_costs_one_query_per_level__HIER_02(kit: sk.Kit) -> None:
    root = kit.companies.create("Root")
    level = [root]
    for depth in range(4):
        level = kit.companies.create_many([{"name": f"D{depth}-{i}", "parent": p} for p in level for i in range(3)])
    kit.companies.subtree(root)  # warm the kit's cache of custom-field declarations
    kit.store.stats.reset()
    descendants = kit.companies.subtree(root)
    assert len(descendants) == 3 + 9 + 27 + 81
    assert kit.store.stats.calls["query"] <= 4
    kit.store.stats.reset()
    kit.companies.ancestors(level[0])
    assert kit.store.stats.total <= 5


def test_unknown_parent_is_not_found__HIER_01(kit: sk.Kit) -> None:
    with pytest.raises(sk.NotFound):
        kit.companies.create("Orphan", parent="no-such-company")


def test_relationship_needs_existing_company_and_type__REL_01(kit: sk.Kit) -> None:
    acme = kit.companies.create("Acme")
    product = kit.relationship_types.create("Product line")
    rel = kit.relationships.create(acme, product, "Acme Analytics", arr=50_000)
    assert (rel.company_id, rel.type_id) == (acme.id, product.id)
    before = snapshot(kit)
    with pytest.raises(sk.NotFound):
        kit.relationships.create(acme, "no-such-type", "X")
    with pytest.raises(sk.NotFound):
        kit.relationships.create("no-such-company", product, "X")
    assert snapshot(kit) == before


def test_relationship_has_company_level_attributes__REL_02(kit: sk.Kit) -> None:
    csm = kit.users.create("Carol")
    acme = kit.companies.create("Acme")
    region = kit.relationship_types.create("Region")
    kit.custom_fields.declare("relationship", "go_live", "date", scope=region)
    rel = kit.relationships.create(
        acme,
        region,
        "Acme EMEA",
        health_score=72,
        nps=41,
        arr=10_000,
        renewal_date=date(2027, 6, 30),
        csm_id=csm.id,
        stage="Adoption",
        fields={"go_live": date(2027, 1, 15)},
    )
    got = kit.relationships.get(rel.id)
    assert (got.health_score, got.nps, got.arr, got.csm_id) == (72.0, 41.0, 10_000.0, csm.id)
    assert got.fields == {"go_live": "2027-01-15"}
    assert [r.id for r in kit.relationships.list([("go_live", "<", date(2027, 2, 1))])] == [rel.id]


def test_relationships_never_change_the_hierarchy__REL_03(kit: sk.Kit) -> None:
    parent = kit.companies.create("Parent")
    child = kit.companies.create("Child", parent=parent)
    other = kit.companies.create("Other")
    rtype = kit.relationship_types.create("Project")
    kit.relationships.create(child, rtype, "Child project")
    kit.relationships.create(other, rtype, "Other project")
    assert kit.companies.get(child.id).parent_id == parent.id
    assert kit.companies.get(other.id).parent_id is None
    assert [c.id for c in kit.companies.children(parent)] == [child.id]
    assert kit.companies.children(other) == []
    assert [r.name for r in kit.relationships.of_company(child)] == ["Child project"]


def test_company_attributes_are_checked(kit: sk.Kit) -> None:
    before = snapshot(kit)
    with pytest.raises(sk.ValidationError, match="arr must be a number"):
        kit.companies.create("Acme", arr="lots")
    with pytest.raises(sk.ValidationError, match="no attribute 'colour'"):
        kit.companies.create("Acme", colour="red")
    with pytest.raises(sk.ValidationError, match="name is required"):
        kit.companies.create("   ")
    assert snapshot(kit) == before


def test_company_with_children_cannot_be_deleted(kit: sk.Kit) -> None:
    parent = kit.companies.create("Parent")
    kit.companies.create("Child", parent=parent)
    with pytest.raises(sk.ValidationError, match="child companies"):
        kit.companies.delete(parent)
    assert kit.companies.get(parent.id).name == "Parent"


@pytest.mark.parametrize("holding", ["plan", "cta", "goal", "activity"])
def test_company_or_relationship_holding_work_cannot_be_deleted__REL_01(kit: sk.Kit, holding: str) -> None:
    """Deleting a company or relationship that still holds plans, CTAs, goals or timeline
    activities is refused naming what it holds, so nothing is left pointing nowhere."""
    alice = kit.users.create("Alice")
    acme = kit.companies.create("Acme")
    rel = kit.relationships.create(acme, kit.relationship_types.create("Product"), "Acme Analytics")
    make: dict[str, Callable[[], object]] = {
        "plan": lambda: kit.plans.create(
            "Onboarding", company=acme, relationship=rel, plan_type="onboarding", owner=alice
        ),
        "cta": lambda: kit.ctas.create("Call", relationship=rel, type="risk", owner=alice),
        "goal": lambda: kit.goals.create("Grow", relationship=rel),
        "activity": lambda: kit.timeline.log("call", "Hello", relationship=rel),
    }
    make[holding]()
    before = snapshot(kit)
    label = {"plan": "success plans", "cta": "CTAs", "goal": "goals", "activity": "timeline activities"}[holding]
    with pytest.raises(sk.ValidationError, match=f"relationship 'Acme Analytics' still has 1 {label}"):
        kit.relationships.delete(rel)
    with pytest.raises(sk.ValidationError, match="relationships"):
        kit.companies.delete(acme)
    assert snapshot(kit) == before
    busy = kit.companies.create("Busy")
    kit.ctas.create("Call", company=busy, type="risk", owner=alice)
    with pytest.raises(sk.ValidationError, match="company 'Busy' still has 1 CTAs"):
        kit.companies.delete(busy)
    empty = kit.companies.create("Empty")
    kit.companies.delete(empty)
    assert kit.companies.count([("name", "=", "Empty")]) == 0
