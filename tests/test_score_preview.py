"""Previewing a changed scorecard (SCORE_10) on every backend: it equals what a
recompute after saving the change stores, writes nothing, and replays over the
stored history."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import attrs
import pytest

import successkit as sk

from .helpers import snapshot
from .test_scorecards import Health

TODAY = date(2026, 11, 24)
WRITES = {"insert", "insert_many", "update", "update_many", "delete", "delete_many"}


@pytest.fixture
def h(kit: sk.Kit) -> Health:
    world = Health(kit)
    world.card()
    kit.scorecards.set_value(world.acme, "sentiment", 90)
    kit.scorecards.set_value(world.beta, "sentiment", 55)
    world.risk(world.beta)
    kit.scorecards.recompute()
    return world


def test_preview_equals_the_recompute_after_saving_the_change__SCORE_10(h: Health) -> None:
    kit = h.kit
    change: dict[str, Any] = {
        "measures": [{"measure": "nps", "weight": 1}, {"measure": "risks", "weight": 3}, "sentiment"]
    }
    seen = kit.scorecards.preview("standard", **change)
    assert seen.scorecard == "standard" and len(seen) == 3
    assert seen.changed_grade >= 1
    kit.scorecards.update("standard", **change)
    run = kit.scorecards.recompute()
    assert {(c.record_id, c.old, c.new) for c in run.grade_changes} == {
        (r.record_id, r.old_grade, r.new_grade) for r in seen.changes
    }
    stored = {c.id: (c.health_score, c.score_grade) for c in kit.companies.list()}
    assert {r.record_id: (r.new_score, r.new_grade) for r in seen} == stored
    assert sum(seen.transitions.values()) == seen.changed_grade


def test_preview_of_ranges_na_policy_and_condition_equals_recompute__SCORE_10(h: Health) -> None:
    """Ranges, the NA policy and a condition that moves records between scorecards."""
    kit = h.kit
    kit.scorecards.create("retail", measures=["nps"], position=1)  # a draft: scores nobody yet
    kit.scorecards.recompute()
    scheme = {"type": "numeric", "ranges": [
        {"label": "Low", "colour": "#d00", "low": 0, "high": 60, "high_inclusive": False},
        {"label": "High", "colour": "#0a0", "low": 60, "high": 100, "high_inclusive": True}]}  # fmt: skip
    for card, change in (
        ("standard", {"scheme": scheme}),
        ("standard", {"na_policy": "fixed", "na_value": 0}),
        ("retail", {"where": [("industry", "=", "Retail")]}),
    ):
        seen = kit.scorecards.preview(card, **change)
        kit.scorecards.update(card, **change)
        run = kit.scorecards.recompute()
        assert {(c.record_id, c.old, c.new) for c in run.grade_changes} == {
            (r.record_id, r.old_grade, r.new_grade) for r in seen.changes
        }, change
        stored = {c.id: c.health_score for c in kit.companies.list()}
        assert all(stored[r.record_id] == r.new_score for r in seen), change
    assert kit.companies.get(h.beta).scorecard == "retail"


def test_preview_writes_nothing__SCORE_10(h: Health) -> None:
    kit = h.kit
    before = snapshot(kit)
    kit.store.stats.reset()
    seen = kit.scorecards.preview("standard", measures=["nps"], na_policy="fixed", na_value=10)
    assert not WRITES & set(kit.store.stats.calls), kit.store.stats.calls
    replayed = kit.scorecards.replay("standard", measures=["nps"])
    assert not WRITES & set(kit.store.stats.calls), kit.store.stats.calls
    assert snapshot(kit) == before
    assert len(seen) == 3 and len(replayed) == 3
    assert kit.scorecards.get("standard").measures[0]["weight"] == 2  # the change was not saved


def test_preview_counts_grade_changes_from_what_to_what__SCORE_10(h: Health) -> None:
    kit = h.kit
    grades = {c.id: c.score_grade for c in kit.companies.list()}
    seen = kit.scorecards.preview("standard", measures=["risks"])  # only open risk CTAs count
    assert {r.record_id: r.old_grade for r in seen} == grades
    new = {r.record_id: r.new_grade for r in seen}
    assert new == {h.acme.id: "Green", h.beta.id: "Yellow", h.gamma.id: "Green"}
    expected: dict[tuple[str | None, str | None], int] = {}
    for rid, old in grades.items():
        if old != new[rid]:
            expected[(old, new[rid])] = expected.get((old, new[rid]), 0) + 1
    assert seen.transitions == expected
    frame = seen.to_dicts()
    assert {d["record_id"] for d in frame if d["changed"]} == {r.record_id for r in seen.changes}


def test_an_unsaved_copy_is_previewed_as_it_stands__SCORE_10(h: Health) -> None:
    kit = h.kit
    card = kit.scorecards.get("standard")
    copy = attrs.evolve(card, definition={"measures": [{"measure": "risks", "weight": 1, "group": None}], "groups": []})
    assert kit.scorecards.preview(copy).rows == kit.scorecards.preview("standard", measures=["risks"]).rows


def test_a_bad_change_is_refused_naming_the_rule__SCORE_10(h: Health) -> None:
    kit = h.kit
    before = snapshot(kit)
    with pytest.raises(sk.RuleViolation) as e:
        kit.scorecards.preview("standard", measures=[{"measure": "nps", "weight": -1}])
    assert (e.value.rule, e.value.value) == ("SCORE_01", -1)
    with pytest.raises(sk.ValidationError):
        kit.scorecards.preview("standard", colour="red")
    with pytest.raises(sk.RuleViolation, match="SCORE_03"):
        kit.scorecards.replay("standard", na_policy="sometimes")
    assert snapshot(kit) == before


def test_replay_applies_the_change_to_stored_snapshots__SCORE_10(h: Health, clock: sk.FixedClock) -> None:
    kit = h.kit
    clock.advance(days=1)
    h.risk(h.acme)
    kit.scorecards.recompute()
    same = kit.scorecards.replay("standard")  # no change: the stored history itself
    assert len(same) == 6 and same.changed_grade == 0
    assert all(r.new_score == r.old_score for r in same)
    change: dict[str, Any] = {"measures": ["risks"]}
    replayed = kit.scorecards.replay("standard", **change)
    today = kit.scorecards.preview("standard", **change)
    last = {r.record_id: (r.new_score, r.new_grade) for r in replayed if r.period == TODAY + timedelta(days=1)}
    assert last == {r.record_id: (r.new_score, r.new_grade) for r in today}
    first = kit.scorecards.replay("standard", until=TODAY, **change)
    assert {r.period for r in first} == {TODAY} and len(first) == 3
    assert {(r.old_grade, r.new_grade) for r in replayed.changes} == set(replayed.transitions)


def test_replay_of_an_added_measure_counts_it_na_in_older_snapshots__SCORE_10(h: Health) -> None:
    kit = h.kit
    kit.measures.create("arr", source={"type": "field", "field": "arr", "map": {"linear": [0, 100_000]}})
    replayed = kit.scorecards.replay("standard", measures=["arr"])
    assert {r.new_score for r in replayed} == {None}  # every measure NA: the score is NA
    assert kit.scorecards.preview("standard", measures=["arr"]).rows[0].new_score is not None
