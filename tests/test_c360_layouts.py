"""360 layouts (C360_03): an administrator decides which sections a company or
relationship 360 shows, and in which order, per user group, company condition or
relationship type; every backend stores them alike."""

from __future__ import annotations

import json
from typing import Any

import attrs
import pytest

import successkit as sk

from .helpers import World


def headings(view: sk.Company360 | sk.Relationship360) -> list[str]:
    """The first word of every heading the view shows, in order."""
    return [heading.split(" (")[0] for heading, _ in view.sections()]


@pytest.fixture
def w(kit: sk.Kit) -> World:
    w = World(kit)
    kit.companies.update(w.acme, industry="Retail", arr=90_000)
    kit.users.update(w.alice, groups=["execs", "emea"])
    return w


def test_without_layouts_every_section_shows_in_the_standard_order__C360_03(kit: sk.Kit, w: World) -> None:
    view = kit.c360.company(w.acme)
    assert view.layout is not None and view.layout.layout is None
    assert view.section_names == sk.COMPANY_SECTIONS
    assert headings(view) == [
        "Summary", "Attributes", "Hierarchy", "Relationships", "Open CTAs", "Success plans", "Goals",
        "People", "Usage", "Surveys", "Sponsor tracking", "Recent timeline",
    ]  # fmt: skip
    assert kit.c360.relationship(w.rel).section_names == sk.RELATIONSHIP_SECTIONS


def test_the_default_layout_chooses_the_sections_and_their_order__C360_03(kit: sk.Kit, w: World) -> None:
    kit.layouts.create("lean", ["people", "summary", "ctas"], name="Lean", default=True)
    view = kit.c360.company(w.acme)
    assert view.layout is not None and view.layout.layout is not None and view.layout.layout.key == "lean"
    assert headings(view) == ["People", "Summary", "Open CTAs"]
    text = view.describe()
    assert text.index("People (") < text.index("Summary") < text.index("Open CTAs")
    assert "Hierarchy" not in text and "Recent timeline" not in text
    page = view._repr_html_()
    assert page.index("<h5>People") < page.index("<h5>Summary") < page.index("<h5>Open CTAs")
    assert "Hierarchy" not in page
    data = view.to_dict()
    assert data["layout"] == {"key": "lean", "sections": ["people", "summary", "ctas"], "reason": "the default layout"}
    assert {"people", "summary", "open_ctas", "snoozed_ctas"} <= set(data)
    assert not {"hierarchy", "relationships", "plans", "goals", "timeline", "attributes", "signals"} & set(data)
    json.dumps(data)
    # the relationship 360 has its own default
    assert kit.c360.relationship(w.rel).section_names == sk.RELATIONSHIP_SECTIONS


def test_a_condition_layout_applies_to_the_companies_it_matches__C360_03(kit: sk.Kit, w: World) -> None:
    kit.layouts.create("default", ["summary"], default=True)
    kit.layouts.create("retail", ["summary", "usage", "surveys"], where=[("industry", "=", "Retail")])
    view = kit.c360.company(w.acme)
    assert view.section_names == ("summary", "usage", "surveys")
    assert view.to_dict()["signals"].keys() == {"usage", "nps", "nps_answers", "csat", "csat_answers"}
    assert kit.c360.company(w.other).section_names == ("summary",)  # not retail: the default


def test_a_user_group_layout_comes_before_a_condition_layout__C360_03(kit: sk.Kit, w: World) -> None:
    kit.layouts.create("retail", ["summary", "usage"], where=[("industry", "=", "Retail")])
    kit.layouts.create("exec", ["summary", "sponsors", "plans"], user_groups=["execs"], position=5)
    kit.layouts.create("sales", ["summary", "relationships"], user_groups=["sales"])
    alice, bob = kit.as_user(w.alice), kit.as_user(w.bob)
    chosen = alice.c360.company(w.acme)
    assert chosen.section_names == ("summary", "sponsors", "plans")
    assert chosen.layout is not None and chosen.layout.reason == "layout 'exec' by user group execs"
    assert bob.c360.company(w.acme).section_names == ("summary", "usage")  # in no group
    assert kit.c360.company(w.acme).section_names == ("summary", "usage")  # the application itself
    assert kit.layouts.layout_for(w.acme, user=w.alice).layout.key == "exec"  # type: ignore[union-attr]


def test_every_criterion_of_a_layout_must_hold__C360_03(kit: sk.Kit, w: World) -> None:
    kit.layouts.create("emea_retail", ["goals"], user_groups=["emea"], where=[("industry", "=", "Retail")])
    alice = kit.as_user(w.alice)
    assert alice.c360.company(w.acme).section_names == ("goals",)
    assert alice.c360.company(w.other).section_names == sk.COMPANY_SECTIONS  # not retail


def test_ties_go_to_the_lower_position_then_the_key__C360_03(kit: sk.Kit, w: World) -> None:
    kit.layouts.create("b_second", ["plans"], user_groups=["emea"], position=1)
    kit.layouts.create("z_first", ["goals"], user_groups=["execs"], position=0)
    kit.layouts.create("a_first", ["people"], user_groups=["execs"], position=0)
    alice = kit.as_user(w.alice)
    assert alice.c360.company(w.acme).section_names == ("people",)
    kit.layouts.update("a_first", position=2)
    assert alice.c360.company(w.acme).section_names == ("goals",)
    kit.layouts.delete("z_first")
    assert alice.c360.company(w.acme).section_names == ("plans",)


def test_relationship_layouts_apply_per_relationship_type__C360_03(kit: sk.Kit, w: World) -> None:
    service = kit.relationship_types.create("Service")
    other = kit.relationships.create(w.acme, service, "Acme Support", arr=10)
    kit.layouts.create(
        "product", ["summary", "company", "usage"], target="relationship", relationship_types=["Product line"]
    )
    kit.layouts.create("big", ["summary", "plans"], target="relationship", where=[("arr", ">", 5)])
    kit.layouts.create("exec_rel", ["sponsors"], target="relationship", user_groups=["execs"])
    r360 = kit.c360.relationship(w.rel)
    assert r360.section_names == ("summary", "company", "usage")
    assert headings(r360) == ["Summary", "Company", "Usage"]
    assert r360.to_dict()["layout"]["key"] == "product"
    assert kit.c360.relationship(other).section_names == ("summary", "plans")  # type before condition
    assert kit.as_user(w.alice).c360.relationship(w.rel).section_names == ("sponsors",)  # group first
    assert kit.c360.company(w.acme).section_names == sk.COMPANY_SECTIONS  # company views are apart
    assert kit.layouts.get("product").relationship_types == (w.product.id,)


def test_a_view_can_ask_for_a_layout__C360_03(kit: sk.Kit, w: World) -> None:
    kit.layouts.create("short", ["summary", "timeline"])  # no criterion: applies to nothing by itself
    assert kit.c360.company(w.acme).section_names == sk.COMPANY_SECTIONS
    assert kit.c360.company(w.acme, layout="short").section_names == ("summary", "timeline")
    with pytest.raises(sk.RuleViolation, match="C360_03") as e:
        kit.c360.relationship(w.rel, layout="short")
    assert e.value.value == "short"


def test_a_stored_condition_that_no_longer_binds_is_named__C360_03(kit: sk.Kit, w: World) -> None:
    made = kit.layouts.create("retail", ["summary"], where=[("industry", "=", "Retail")])
    broken = attrs.evolve(made, condition={"where": [["gone_field", "=", 1]], "logic": None}, version=2)
    kit.store.update(broken, made.version)  # as if the field it names had gone
    with pytest.raises(sk.RuleViolation, match="C360_03") as e:
        kit.c360.company(w.acme)
    assert "retail" in str(e.value) and e.value.value == "gone_field"


def test_the_scorecard_section_shows_only_once_scored__C360_03(kit: sk.Kit, w: World) -> None:
    kit.layouts.create("card", ["scorecard", "summary"], default=True)
    assert headings(kit.c360.company(w.acme)) == ["Summary"]  # never scored: no scorecard section


def test_layouts_and_user_groups_are_stored_alike_on_every_backend__C360_03(kit: sk.Kit, w: World) -> None:
    made = kit.layouts.create(
        "emea",
        ["summary", "people"],
        name="EMEA",
        user_groups=["emea"],
        where=[("arr", ">=", 50_000), ("industry", "in", ["Retail", "Media"])],
        logic="1 AND 2",
        position=3,
    )
    stored = kit.layouts.get("emea")
    assert stored == made
    assert stored.sections == ("summary", "people") and isinstance(stored.sections, tuple)
    where = [["arr", ">=", 50000], ["industry", "in", ["Retail", "Media"]]]
    assert stored.condition == {"where": where, "logic": "1 AND 2"}
    assert kit.layouts.list([("target", "=", "company")]) == [made]
    assert kit.users.get(w.alice).groups == ("execs", "emea")
    changed = kit.layouts.update(made, sections=["people"], user_groups=[])
    assert kit.layouts.get(made.id) == changed and changed.user_groups == ()
    assert kit.users.update(w.alice.id, groups=[]).groups == ()


@pytest.mark.parametrize(
    ("call", "value"),
    [
        (lambda k: k.layouts.create("x", ["summary", "nonsense"]), "nonsense"),
        (lambda k: k.layouts.create("x", ["company"]), "company"),  # a relationship section
        (lambda k: k.layouts.create("x", ["hierarchy"], target="relationship"), "hierarchy"),
        (lambda k: k.layouts.create("x", ["summary", "people", "summary"]), "summary"),
        (lambda k: k.layouts.create("x", []), []),
        (lambda k: k.layouts.create("x", "summary"), "summary"),
        (lambda k: k.layouts.create("x", ["summary"], where=[("no_such_field", "=", 1)]), "no_such_field"),
        (lambda k: k.layouts.create("x", ["summary"], where=[("arr", "=", 1), ("arr", "=", 2)], logic="1 AND"), None),
        (lambda k: k.layouts.create("x", ["summary"], target="relationship", relationship_types=["Nope"]), "Nope"),
        (lambda k: k.layouts.create("x", ["summary"], relationship_types=["Product line"]), ["Product line"]),
        (lambda k: k.layouts.create("x", ["summary"], user_groups=["Not A Key"]), "Not A Key"),
        (lambda k: k.layouts.create("x", ["summary"], user_groups=["a", "a"]), "a"),
        (lambda k: k.layouts.create("x", ["summary"], default=True, user_groups=["a"]), "x"),
        (lambda k: k.layouts.create("x", ["summary"], target="account"), "account"),
        (lambda k: k.layouts.create("Bad Key", ["summary"]), "Bad Key"),
        (lambda k: k.layouts.create("x", ["summary"], position=-1), -1),
        (lambda k: k.users.create("Zoe", groups=["ok", 5]), 5),
        (lambda k: k.users.update(k.users.list()[0], groups="execs"), "execs"),
    ],
)
def test_bad_layouts_are_refused_naming_the_value__C360_03(kit: sk.Kit, w: World, call: Any, value: Any) -> None:
    before = kit.store.count(kit.bind("view_layout", sk.Query()))
    with pytest.raises(sk.RuleViolation) as e:
        call(kit)
    assert e.value.rule == "C360_03" and "C360_03" in str(e.value)
    if value is not None:
        assert e.value.value == value
    assert kit.store.count(kit.bind("view_layout", sk.Query())) == before  # nothing half-written


def test_at_most_one_default_layout_per_target_and_keys_are_unique__C360_03(kit: sk.Kit, w: World) -> None:
    kit.layouts.create("one", ["summary"], default=True)
    kit.layouts.create("rel", ["summary"], default=True, target="relationship")  # another target: fine
    with pytest.raises(sk.RuleViolation, match="C360_03") as e:
        kit.layouts.create("two", ["people"], default=True)
    assert e.value.value == "two"
    with pytest.raises(sk.RuleViolation, match="C360_03") as e:
        kit.layouts.create("one", ["people"])
    assert e.value.value == "one"
    with pytest.raises(sk.ValidationError):
        kit.layouts.update("one", colour="red")
    assert [lay.key for lay in kit.layouts.list(sort=["key"])] == ["one", "rel"]


def test_choosing_a_layout_costs_one_storage_call__C360_03(kit: sk.Kit, w: World) -> None:
    alice = kit.as_user(w.alice)

    def calls() -> int:
        alice.c360.company(w.acme)
        kit.store.stats.reset()
        alice.c360.company(w.acme)
        return kit.store.stats.total

    none = calls()
    for i in range(20):
        kit.layouts.create(f"l{i}", ["summary", "people"], user_groups=[f"g{i}"], where=[("arr", ">", i)])
    kit.layouts.create("d", ["summary"], default=True)
    assert calls() == none  # twenty layouts and the acting user: still the one read
    kit.store.stats.reset()
    kit.c360.company(w.acme)
    assert kit.store.stats.total == none  # without an acting user too


def test_bundles_carry_layouts__C360_03(kit: sk.Kit, w: World) -> None:
    bundle = sk.Bundle.parse(
        json.dumps(
            {
                "format": 1,
                "name": "layouts",
                "version": "1",
                "layouts": [
                    {"key": "exec", "sections": ["summary", "sponsors"], "user_groups": ["execs"]},
                    {"key": "rel", "sections": ["summary"], "target": "relationship", "default": True},
                ],
            }
        ),
        "json",
    )
    done = kit.bundles.deploy(bundle)
    assert done.count("created") == 2
    assert kit.as_user(w.alice).c360.company(w.acme).section_names == ("summary", "sponsors")
    assert kit.bundles.deploy(bundle).count("exists") == 2
    bad = sk.Bundle.parse(
        json.dumps({"format": 1, "name": "bad", "version": "1", "layouts": [{"key": "x", "sections": ["nope"]}]}),
        "json",
    )
    with pytest.raises(sk.RuleViolation, match="nope"):
        kit.bundles.deploy(bad)
