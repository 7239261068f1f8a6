"""Roll-up of a parent company's score from its children and relationships
(SCORE_08) on every backend: mean, ARR-weighted mean or worst, chosen per
scorecard, shown by explain, equal in recompute, explain and preview."""

from __future__ import annotations

from datetime import date

import pytest

import successkit as sk

from .helpers import snapshot

TODAY = date(2026, 11, 24)
NPS = {"type": "field", "field": "nps", "map": {"linear": [-100, 100]}}


class Group:
    """A holding with two children (80 and 20 on their own) and a relationship scoring 100."""

    def __init__(self, kit: sk.Kit, rollup: str | None = "mean") -> None:
        self.kit = kit
        kit.measures.create("nps", source=NPS)
        self.holding = kit.companies.create("Holding", nps=0)  # 50 on its own
        self.a = kit.companies.create("A", nps=60, arr=300_000, parent=self.holding)
        self.b = kit.companies.create("B", nps=-60, arr=100_000, parent=self.holding)
        line = kit.relationship_types.create("Region")
        self.rel = kit.relationships.create(self.holding, line, "Holding EU", nps=100, arr=100_000)
        kit.scorecards.create("standard", default=True, measures=["nps"], rollup=rollup)
        kit.scorecards.create("rels", default=True, target="relationship", measures=["nps"])

    def recompute(self) -> None:
        self.kit.scorecards.recompute("relationship")  # relationships first: parents read their scores
        self.kit.scorecards.recompute()

    def score(self, company: sk.Company) -> float | None:
        return self.kit.companies.get(company).health_score


@pytest.mark.parametrize(
    ("rollup", "expected"),
    [
        ("mean", round((80 + 20 + 100) / 3, 2)),
        ("arr_weighted", (300 * 80 + 100 * 20 + 100 * 100) / 500),
        ("worst", 20.0),
    ],
)
def test_a_parent_rolls_up_from_children_and_relationships__SCORE_08(kit: sk.Kit, rollup: str, expected: float) -> None:
    g = Group(kit, rollup)
    g.recompute()
    assert g.score(g.holding) == expected
    assert (g.score(g.a), g.score(g.b)) == (80.0, 20.0)  # leaves keep their own score
    e = kit.scorecards.explain(g.holding)
    assert (e.score, e.computed, e.rollup_method) == (expected, expected, rollup)
    assert [(p.record_kind, p.name, p.score) for p in e.rollup] == [
        ("company", "A", 80.0), ("company", "B", 20.0), ("relationship", "Holding EU", 100.0)
    ]  # fmt: skip
    assert sum(p.weight for p in e.rollup) == pytest.approx(1.0)
    assert sum(p.weight * (p.score or 0) for p in e.rollup) == pytest.approx(expected, abs=0.01)
    assert e.measures[0].score == 50.0  # the holding's own measures, still shown
    assert e.to_dict()["rollup"][0]["name"] == "A" and "rolled up" in str(e)


def test_without_rollup_a_parent_keeps_its_own_score__SCORE_08(kit: sk.Kit) -> None:
    g = Group(kit, None)
    g.recompute()
    assert g.score(g.holding) == 50.0 and kit.scorecards.explain(g.holding).rollup == ()


def test_rollup_goes_up_every_level_deepest_first__SCORE_08(kit: sk.Kit) -> None:
    g = Group(kit, "mean")
    kit.companies.create("C", nps=-100, parent=g.a)  # 0: A now rolls up from C alone
    g.recompute()
    assert g.score(g.a) == 0.0
    assert g.score(g.holding) == 40.0  # (0 + 20 + 100) / 3
    assert kit.scorecards.explain(g.holding).score == 40.0  # explain reads the subtree: the same


def test_arr_weighted_without_arr_is_the_mean_and_unscored_parts_are_left_out__SCORE_08(kit: sk.Kit) -> None:
    g = Group(kit, "arr_weighted")
    kit.companies.update(g.a.id, arr=None)
    kit.companies.update(g.b.id, arr=None, nps=None)  # B: every measure NA, left out
    kit.relationships.update(g.rel.id, arr=None)
    g.recompute()
    assert g.score(g.holding) == 90.0  # (80 + 100) / 2
    parts = {p.name: p for p in kit.scorecards.explain(g.holding).rollup}
    assert (parts["B"].score, parts["B"].weight) == (None, 0.0)


def test_a_whole_score_override_wins_over_the_rollup__SCORE_08(kit: sk.Kit) -> None:
    g = Group(kit, "worst")
    kit.scorecards.override(g.holding, 99, reason="board escalation", expires_on=TODAY)
    g.recompute()
    e = kit.scorecards.explain(g.holding)
    assert (g.score(g.holding), e.computed) == (99.0, 20.0)


def test_preview_of_a_rollup_change_equals_recompute__SCORE_08(kit: sk.Kit) -> None:
    g = Group(kit, None)
    g.recompute()
    seen = kit.scorecards.preview("standard", rollup="worst")
    assert {r.record_id: r.new_score for r in seen}[g.holding.id] == 20.0
    kit.scorecards.update("standard", rollup="worst")
    run = kit.scorecards.recompute()
    assert {(c.record_id, c.old, c.new) for c in run.grade_changes} == {
        (r.record_id, r.old_grade, r.new_grade) for r in seen.changes
    }
    assert g.score(g.holding) == 20.0


def test_an_unknown_rollup_is_refused__SCORE_08(kit: sk.Kit) -> None:
    g = Group(kit)
    before = snapshot(kit)
    with pytest.raises(sk.RuleViolation) as e:
        kit.scorecards.update("standard", rollup="median")
    assert (e.value.rule, e.value.value) == ("SCORE_08", "median")
    assert snapshot(kit) == before and g.kit.scorecards.get("standard").rollup == "mean"


def test_rollup_adds_one_storage_call_to_recompute__SCORE_08(kit: sk.Kit) -> None:
    g = Group(kit)
    g.recompute()
    kit.store.stats.reset()
    kit.scorecards.recompute()
    with_rollup = kit.store.stats.total
    kit.scorecards.update("standard", rollup=None)
    kit.scorecards.recompute()
    kit.store.stats.reset()
    kit.scorecards.recompute()
    assert with_rollup == kit.store.stats.total + 1  # the relationships, read once
