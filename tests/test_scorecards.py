"""Health scorecards: definitions, sources, NA, explain, values and overrides
(SCORE_01-SCORE_05, SCORE_09) on every backend.  The pure formulas are in
test_score_formulas.py; recompute, history and the query language in
test_score_recompute.py."""

from __future__ import annotations

import json
import math
from datetime import date, timedelta
from typing import Any

import pytest

import successkit as sk
from successkit.plugins import hookimpl

from .helpers import snapshot

TODAY = date(2026, 11, 24)
NPS = {"type": "field", "field": "nps", "map": {"linear": [-100, 100]}}
RISKS = {
    "type": "count", "kind": "cta", "where": [("type", "=", "risk"), ("status", "!=", "closed_success")],
    "days": 90, "map": {"thresholds": [[0, 100], [1, 60], [3, 20]]},
}  # fmt: skip


class Health:
    """A small workspace: a user, three companies, a relationship and three measures."""

    def __init__(self, kit: sk.Kit) -> None:
        self.kit = kit
        self.alice = kit.users.create("Alice")
        self.acme = kit.companies.create("Acme", nps=40, arr=100_000)
        self.beta = kit.companies.create("Beta", nps=-20, arr=50_000, industry="Retail")
        self.gamma = kit.companies.create("Gamma", arr=10_000)
        self.product = kit.relationship_types.create("Product line")
        self.rel = kit.relationships.create(self.acme, self.product, "Acme Analytics", nps=90)
        kit.measures.create("nps", label="NPS", source=NPS)
        kit.measures.create("risks", label="Open risk CTAs", source=RISKS)
        kit.measures.create("sentiment", label="CSM sentiment", staleness_days=30)

    def card(self, key: str = "standard", **kw: Any) -> sk.Scorecard:
        kw.setdefault("default", True)
        kw.setdefault(
            "measures",
            [{"measure": "nps", "weight": 2}, {"measure": "risks", "weight": 1}, {"measure": "sentiment", "weight": 1}],
        )
        return self.kit.scorecards.create(key, **kw)

    def risk(self, company: sk.Company, name: str = "Risk") -> sk.Cta:
        return self.kit.ctas.create(name, company=company, type="risk", owner=self.alice).record


@pytest.fixture
def h(kit: sk.Kit) -> Health:
    return Health(kit)


def by_key(e: sk.ScoreExplanation) -> dict[str, sk.MeasureExplanation]:
    return {m.key: m for m in e.measures}


# ------------------------------------------------------------------ SCORE_01
def test_scorecard_holds_measures_scheme_and_target__SCORE_01(h: Health) -> None:
    measures = [{"measure": "nps", "weight": 2, "group": "voice"}, {"measure": "risks"}, "sentiment"]
    card = h.card(name="Standard health", groups=[{"key": "voice", "label": "Voice", "weight": 2}], measures=measures)
    got = h.kit.scorecards.get("standard")
    assert got == card and got.id == card.id
    assert (got.name, got.target, got.default, got.na_policy, got.period) == (
        "Standard health", "company", True, "exclude", "day",
    )  # fmt: skip
    assert got.measures == (
        {"measure": "nps", "weight": 2.0, "group": "voice"},
        {"measure": "risks", "weight": 1.0, "group": None},
        {"measure": "sentiment", "weight": 1.0, "group": None},
    )
    assert got.groups == ({"key": "voice", "label": "Voice", "weight": 2.0, "combine": "mean"},)
    assert [r["label"] for r in got.scheme["ranges"]] == ["Red", "Yellow", "Green"]
    assert h.kit.measures.get("nps").label == "NPS"


def test_record_gets_first_matching_scorecard_by_position_else_default__SCORE_01(h: Health) -> None:
    kit = h.kit
    h.card("standard")
    h.card("retail", default=False, position=2, where=[("industry", "=", "Retail")])
    h.card("big", default=False, position=1, where=[("arr", ">=", 50_000)])
    h.card("draft", default=False, position=0)  # neither default nor conditioned: scores nobody
    assert kit.scorecards.scorecard_for(h.acme).key == "big"  # type: ignore[union-attr]
    assert kit.scorecards.scorecard_for(h.beta.id).key == "big"  # type: ignore[union-attr]  # both match: position 1 first
    assert kit.scorecards.scorecard_for(h.gamma).key == "standard"  # type: ignore[union-attr]
    assert kit.scorecards.scorecard_for(h.rel) is None  # no relationship scorecard
    kit.scorecards.update("big", position=3)
    assert kit.scorecards.scorecard_for(h.beta).key == "retail"  # type: ignore[union-attr]
    kit.scorecards.create("rels", target="relationship", default=True, measures=["nps"])
    assert kit.scorecards.scorecard_for(h.rel.id).key == "rels"  # type: ignore[union-attr]


def test_at_most_one_default_per_target__SCORE_01(h: Health) -> None:
    h.card("standard")
    before = snapshot(h.kit)
    with pytest.raises(sk.RuleViolation) as e:
        h.card("other")
    assert (e.value.rule, e.value.value) == ("SCORE_01", "other") and "'standard'" in e.value.message
    assert snapshot(h.kit) == before
    h.card("other2", default=False)  # a second scorecard is fine...
    with pytest.raises(sk.RuleViolation, match="SCORE_01"):
        h.kit.scorecards.update("other2", default=True)  # ...a second default is not
    assert not h.kit.scorecards.get("other2").default
    h.kit.scorecards.create("rels", target="relationship", default=True, measures=["nps"])  # another target


def test_the_default_takes_no_condition__SCORE_01(h: Health) -> None:
    with pytest.raises(sk.RuleViolation, match=r"SCORE_01.*no condition"):
        h.card(where=[("arr", ">", 1)])


BAD_SCHEMES: list[tuple[Any, str]] = [
    ({"type": "numeric", "ranges": [
        {"label": "Red", "colour": "#d9534f", "low": 0, "high": 50, "high_inclusive": True},
        {"label": "Green", "colour": "#5cb85c", "low": 40, "high": 100}]}, "overlap"),
    ({"type": "numeric", "ranges": [
        {"label": "Red", "colour": "#d9534f", "low": 0, "high": 50, "high_inclusive": True},
        {"label": "Green", "colour": "#5cb85c", "low": 51, "high": 100}]}, "gap"),
    ({"type": "numeric", "ranges": [
        {"label": f"R{i}", "colour": "#000", "low": i * 7, "high": min(100, i * 7 + 7), "high_inclusive": True}
        for i in range(15)]}, "at most 12"),
    ({"type": "numeric", "ranges": [
        {"label": "Red", "colour": "#d9534f", "low": 0, "high": 50},
        {"label": "Green", "colour": "#5cb85c", "low": 50, "high": 100}]}, "high_inclusive"),
    ({"type": "numeric", "ranges": [{"label": "All", "colour": "red", "low": 0, "high": 100}]}, "colour"),
    ({"type": "numeric", "ranges": [{"label": "All", "colour": "#fff", "low": 10, "high": 100}]}, "starts at 0"),
    ({"type": "numeric", "ranges": [{"label": "All", "colour": "#fff", "low": 0, "high": 90}]}, "ends at 100"),
    ({"type": "numeric", "ranges": [
        {"label": "X", "colour": "#fff", "low": 0, "high": 50, "high_inclusive": True},
        {"label": "X", "colour": "#fff", "low": 50, "high": 100}]}, "unique"),
    ({"type": "numeric", "ranges": []}, "non-empty"),
    ({"type": "numeric", "ranges": [{"label": "All", "colour": "#fff", "low": 0, "high": math.nan}]}, "number"),
    ({"type": "stars"}, "'type'"),
    ({"type": "grade", "ranges": [
        {"label": "A", "low": 0, "high": 50, "high_inclusive": True},
        {"label": "F", "low": 50, "high": 100}]}, "worst"),
    ({"type": "grade", "ranges": [{"label": "Z", "low": 0, "high": 100}]}, "A-F"),
    ("numeric", "mapping"),
]  # fmt: skip


@pytest.mark.parametrize(("scheme", "message"), BAD_SCHEMES)
def test_overlapping_gapped_or_too_many_ranges_are_refused__SCORE_01(h: Health, scheme: Any, message: str) -> None:
    before = snapshot(h.kit)
    with pytest.raises(sk.RuleViolation) as e:
        h.card(scheme=scheme)
    assert e.value.rule == "SCORE_01" and message in e.value.message
    assert snapshot(h.kit) == before


def test_grade_scheme_takes_letters_of_its_scheme_only__SCORE_01(h: Health) -> None:
    h.card(scheme={"type": "grade"})
    entry = h.kit.scorecards.set_value(h.acme, "sentiment", "B")
    assert (entry.value, entry.grade) == (85.0, "B")  # the middle of B's range
    before = snapshot(h.kit)
    for bad in ("E", "Z", "", "b", "AA"):
        with pytest.raises(sk.RuleViolation) as e:
            h.kit.scorecards.set_value(h.acme, "sentiment", bad)
        assert e.value.rule == "SCORE_01" and e.value.value == bad
    assert snapshot(h.kit) == before
    h.kit.scorecards.update("standard", scheme=None)  # the numeric default: no letters at all
    with pytest.raises(sk.RuleViolation, match=r"SCORE_01.*no letter grades"):
        h.kit.scorecards.set_value(h.acme, "sentiment", "B")


@pytest.mark.parametrize(
    ("measures", "rule"),
    [
        ([{"measure": "nps", "weight": -1}], "SCORE_01"),
        ([{"measure": "nps", "weight": "2"}], "SCORE_01"),
        ([{"measure": "nps", "weight": math.nan}], "SCORE_01"),
        ([{"measure": "nps", "weight": math.inf}], "SCORE_01"),
        ([{"measure": "nps", "weight": True}], "SCORE_01"),
        ([{"measure": "nps", "weight": None}], "SCORE_01"),
        ([{"measure": "nps", "weight": 0}], "SCORE_04"),
        ([{"measure": "nps"}, {"measure": "nps"}], "SCORE_01"),
        ([{"measure": "usage", "weight": 1}], "SCORE_01"),
        ([{"measure": "nps", "weight": 1, "group": "nope"}], "SCORE_04"),
        ([{"measure": "nps", "weight": 1, "colour": "red"}], "SCORE_01"),
        ([], "SCORE_01"),
        ("nps", "SCORE_01"),
        ([42], "SCORE_01"),
    ],
)
def test_weights_that_are_negative_or_not_numbers_are_refused__SCORE_01(h: Health, measures: Any, rule: str) -> None:
    before = snapshot(h.kit)
    with pytest.raises(sk.RuleViolation) as e:
        h.card(measures=measures)
    assert e.value.rule == rule
    assert snapshot(h.kit) == before


@pytest.mark.parametrize(
    ("where", "logic"),
    [
        ([("nope", "=", 1)], None),
        ([("arr", "bogus", 1)], None),
        ([("arr", ">", "many")], None),
        ([("arr", ">", 1), ("stage", "=", "x")], "1 AND"),
        ([("arr", ">", 1)], "1 OR 2"),
        ([("arr", ">", 1)], 7),
        ("arr > 1", None),
        ([("arr",)], None),
        ([("arr", ">", object())], None),
        ([("created_at", ">", "2026-01-01T00:00:00+00:00")], None),
    ],
)
def test_a_condition_that_does_not_parse_or_bind_is_refused__SCORE_01(h: Health, where: Any, logic: Any) -> None:
    before = snapshot(h.kit)
    with pytest.raises(sk.RuleViolation) as e:
        h.card("cond", default=False, where=where, logic=logic)
    assert e.value.rule == "SCORE_01"
    assert snapshot(h.kit) == before


@pytest.mark.parametrize(
    ("options", "rule"),
    [
        ({"na_policy": "zero"}, "SCORE_03"),
        ({"na_policy": "fixed"}, "SCORE_03"),
        ({"na_policy": "fixed", "na_value": 101}, "SCORE_03"),
        ({"na_value": 50}, "SCORE_03"),
        ({"period": "hour"}, "SCORE_07"),
        ({"trend_tolerance": -1}, "SCORE_06"),
        ({"rollup": "median"}, "SCORE_08"),
        ({"position": 1.5}, "SCORE_01"),
        ({"default": "yes"}, "SCORE_01"),
        ({"target": "person"}, "SCORE_01"),
        ({"name": "  "}, "SCORE_01"),
        ({"groups": [{"key": "g", "combine": "median"}]}, "SCORE_04"),
        ({"groups": [{"key": "g", "weight": -2}]}, "SCORE_01"),
        ({"groups": [{"key": "Bad Key"}]}, "SCORE_04"),
    ],
)
def test_settings_of_a_scorecard_are_checked__SCORE_01(h: Health, options: dict[str, Any], rule: str) -> None:
    before = snapshot(h.kit)
    with pytest.raises(sk.RuleViolation) as e:
        h.card(**options)
    assert e.value.rule == rule
    assert snapshot(h.kit) == before


def test_bad_keys_and_duplicate_keys_are_refused__SCORE_01(h: Health) -> None:
    for key in ("", "Has Space", "1st", "x" * 70, None, 5):
        with pytest.raises(sk.RuleViolation, match="SCORE_01"):
            h.kit.measures.create(key)  # type: ignore[arg-type]
    with pytest.raises(sk.ValidationError, match="with this key exists"):
        h.kit.measures.create("nps")
    h.card()
    with pytest.raises(sk.ValidationError, match="with this key exists"):
        h.card(default=False)


def test_a_measure_in_use_is_not_deleted__SCORE_01(h: Health) -> None:
    h.card()
    with pytest.raises(sk.RuleViolation, match=r"SCORE_01.*'standard'"):
        h.kit.measures.delete("nps")
    h.kit.scorecards.set_value(h.acme, "sentiment", 70)
    h.kit.scorecards.update("standard", measures=["nps", "risks"])
    h.kit.measures.delete("sentiment")
    assert not h.kit.scorecards.entries(h.acme)


# ------------------------------------------------------------------ SCORE_02
def test_manual_entry_keeps_author_comment_and_date__SCORE_02(h: Health) -> None:
    h.card()
    me = h.kit.as_user(h.alice)
    entry = me.scorecards.set_value(h.acme, "sentiment", 80, comment="good QBR", as_of=date(2026, 11, 20))
    assert (entry.value, entry.author_id, entry.comment, entry.as_of, entry.record_kind) == (
        80.0, h.alice.id, "good QBR", date(2026, 11, 20), "company",
    )  # fmt: skip
    again = h.kit.scorecards.set_value(h.acme.id, "sentiment", 65)  # by id; replaces the current value
    assert (again.id, again.version, again.value, again.author_id, again.as_of) == (entry.id, 2, 65.0, None, TODAY)
    assert h.kit.scorecards.entries(h.acme) == [again]
    assert by_key(h.kit.scorecards.explain(h.acme))["sentiment"].raw == 65.0


def test_entry_values_are_checked__SCORE_02(h: Health) -> None:
    h.card()
    before = snapshot(h.kit)
    for value in (-1, 100.5, math.nan, math.inf, None, True, [50], {"v": 1}):
        with pytest.raises(sk.RuleViolation, match="SCORE_02"):
            h.kit.scorecards.set_value(h.acme, "sentiment", value)  # type: ignore[arg-type]
    with pytest.raises(sk.RuleViolation, match="SCORE_03"):
        h.kit.scorecards.set_value(h.acme, "sentiment", 50, as_of=TODAY + timedelta(days=1))
    with pytest.raises(sk.RuleViolation, match=r"SCORE_02.*only manual"):
        h.kit.scorecards.set_value(h.acme, "nps", 50)
    with pytest.raises(sk.NotFound):
        h.kit.scorecards.set_value("nobody", "sentiment", 50)
    with pytest.raises(sk.NotFound, match="no measure with id or key 'nothing'"):
        h.kit.scorecards.set_value(h.acme, "nothing", 50)
    assert snapshot(h.kit) == before


def test_a_field_measure_reads_the_record__SCORE_02(h: Health) -> None:
    h.card()
    m = by_key(h.kit.scorecards.explain(h.acme))["nps"]
    assert (m.raw, m.score, m.na) == (40.0, 70.0, False)


def test_linear_bounded_outside_the_band_has_no_effect__SCORE_02(h: Health) -> None:
    h.kit.measures.update("nps", source={**NPS, "map": {"linear": [0, 100], "bounded": True}})
    h.card(na_policy="fixed", na_value=0)
    h.kit.scorecards.set_value(h.beta, "sentiment", 80)
    e = h.kit.scorecards.explain(h.beta)  # nps -20: outside [0, 100]
    nps, risks = by_key(e)["nps"], by_key(e)["risks"]
    assert (nps.na, nps.why, nps.effective_weight, nps.contribution) == (True, "outside band", 0.0, 0.0)
    assert e.score == (100 * risks.weight + 80 * 1) / 2  # even the fixed policy leaves it out


def test_count_of_related_records_over_a_window__SCORE_02(h: Health, clock: sk.FixedClock) -> None:
    h.card()
    old = h.risk(h.acme, "Old risk")
    clock.advance(days=100)
    for i in range(2):
        h.risk(h.acme, f"Risk {i}")
    rel_cta = h.kit.ctas.create("Rel risk", relationship=h.rel, type="risk", owner=h.alice).record
    h.kit.ctas.create("Lifecycle", company=h.acme, type="lifecycle", owner=h.alice)
    m = by_key(h.kit.scorecards.explain(h.acme))["risks"]
    assert (m.raw, m.score) == (3, 20.0)  # two of its own and its relationship's, not the old one
    h.kit.ctas.set_status(rel_cta, "closed_success")
    assert by_key(h.kit.scorecards.explain(h.acme))["risks"].raw == 2
    assert by_key(h.kit.scorecards.explain(h.beta))["risks"].raw == 0  # zero is a value, not NA
    assert old.company_id == h.acme.id


class Tickets:
    """A plugin measure: open support tickets per company."""

    def __init__(self, counts: dict[str, int]) -> None:
        self.counts = counts

    @hookimpl
    def successkit_measure_values(self, kit: sk.Kit, measure: sk.Measure, records: list[Any]) -> Any:
        if measure.source["name"] != "tickets":
            return None
        return {r.id: self.counts[r.id] for r in records if r.id in self.counts}


def test_plugin_measure_through_the_hook__SCORE_02(open_kit: Any) -> None:
    tickets = Tickets({})
    h = Health(open_kit(plugins=[tickets]))
    tickets.counts[h.acme.id] = 2
    with pytest.raises(sk.RuleViolation, match=r"SCORE_02.*no installed plugin"):
        h.kit.measures.create("calls", source={"type": "plugin", "name": "calls"})
    source = {"type": "plugin", "name": "tickets", "map": {"linear": [0, 10], "invert": True}}
    h.kit.measures.create("tickets", source=source)
    h.kit.scorecards.create("support", default=True, measures=["tickets"])
    e = h.kit.scorecards.explain(h.acme)
    assert (e.score, e.measures[0].raw) == (80.0, 2)
    assert h.kit.scorecards.explain(h.beta).measures[0].why == "no value"
    run = h.kit.scorecards.recompute()
    assert (run.scored, run.na) == (1, 2)


@pytest.mark.parametrize(
    "source",
    [
        {"type": "usage"},
        {"type": None},
        {"field": "nps"},
        "manual",
        {"type": "manual", "field": "nps"},
        {"type": "field", "field": "nope"},
        {"type": "field", "field": "name"},
        {"type": "field", "field": "nps", "map": {"linear": [10, 0]}},
        {"type": "field", "field": "nps", "map": {"thresholds": [[10, 50], [5, 60]]}},
        {"type": "field", "field": "nps", "map": {"thresholds": [[0, 150]]}},
        {"type": "field", "field": "nps", "map": {"linear": [0, 1], "thresholds": []}},
        {"type": "count", "kind": "nothing", "map": {"linear": [0, 5]}},
        {"type": "count", "kind": "user", "map": {"linear": [0, 5]}},
        {"type": "count", "kind": "cta"},
        {"type": "count", "kind": "cta", "days": 0, "map": {"linear": [0, 5]}},
        {"type": "count", "kind": "cta", "date_field": "name", "map": {"linear": [0, 5]}},
        {"type": "count", "kind": "cta", "where": [("bogus", "=", 1)], "map": {"linear": [0, 5]}},
        {"type": "plugin", "name": ""},
    ],
)
def test_an_unknown_field_or_measure_source_is_refused__SCORE_02(h: Health, source: Any) -> None:
    before = snapshot(h.kit)
    with pytest.raises(sk.RuleViolation) as e:
        h.kit.measures.create("bad", source=source)
    assert e.value.rule == "SCORE_02"
    assert snapshot(h.kit) == before


def test_a_source_must_suit_the_scorecards_target__SCORE_02(h: Health) -> None:
    h.kit.custom_fields.declare("company", "seats", "number")
    h.kit.measures.create("seats", source={"type": "field", "field": "seats"})
    h.kit.measures.create("people", source={"type": "count", "kind": "person", "map": {"linear": [0, 10]}})
    for measure in ("seats", "people"):
        with pytest.raises(sk.RuleViolation, match="SCORE_02"):
            h.kit.scorecards.create("rels", target="relationship", default=True, measures=[measure])
    h.kit.scorecards.create("rels", target="relationship", default=True, measures=["nps"])
    with pytest.raises(sk.RuleViolation, match="SCORE_02"):
        h.kit.measures.update("nps", source={"type": "field", "field": "seats"})


# ------------------------------------------------------------------ SCORE_03
def test_na_measures_are_left_out_and_their_weight_spread__SCORE_03(h: Health) -> None:
    h.card()
    e = h.kit.scorecards.explain(h.acme)  # sentiment has no value
    s = by_key(e)["sentiment"]
    assert (s.na, s.why, s.effective_weight, s.contribution) == (True, "no value", 0.0, 0.0)
    assert e.score == round((2 * 70 + 1 * 100) / 3, 2)
    assert math.isclose(sum(m.effective_weight for m in e.measures), 1.0)


def test_fixed_na_policy_counts_na_as_a_value__SCORE_03(h: Health) -> None:
    h.card(na_policy="fixed", na_value=40)
    e = h.kit.scorecards.explain(h.acme)
    s = by_key(e)["sentiment"]
    assert e.score == (2 * 70 + 100 + 40) / 4
    assert (s.na, s.score, s.contribution) == (True, None, 10.0) and "counted as 40" in (s.why or "")


def test_a_score_whose_measures_are_all_na_is_na__SCORE_03(h: Health) -> None:
    h.kit.scorecards.create("manual", default=True, na_policy="fixed", na_value=50, measures=["sentiment"])
    e = h.kit.scorecards.explain(h.gamma)
    assert (e.score, e.na, e.grade, e.why) == (None, True, None, "every measure is NA")


def test_a_value_older_than_its_staleness_period_is_na__SCORE_03(h: Health, clock: sk.FixedClock) -> None:
    h.card()
    h.kit.scorecards.set_value(h.acme, "sentiment", 90, as_of=TODAY - timedelta(days=30))
    assert not by_key(h.kit.scorecards.explain(h.acme))["sentiment"].na  # 30 days old: still current
    clock.advance(days=1)
    s = by_key(h.kit.scorecards.explain(h.acme))["sentiment"]
    assert (s.na, s.why, s.raw) == (True, "stale since 2026-11-25", 90.0)


# ------------------------------------------------------------------ SCORE_04
def test_the_score_maps_to_the_schemes_range_label_and_colour__SCORE_04(h: Health) -> None:
    h.card()
    e = h.kit.scorecards.explain(h.acme)
    assert (e.score, e.grade, e.colour) == (80.0, "Green", "#5cb85c")
    h.risk(h.acme)
    h.risk(h.acme, "Another")
    h.risk(h.acme, "Third")
    e = h.kit.scorecards.explain(h.acme)
    assert (e.score, e.grade, e.colour) == (round((140 + 20) / 3, 2), "Yellow", "#f0ad4e")


# ------------------------------------------------------------------ SCORE_05
def test_explain_gives_each_measures_raw_score_na_why_weight_and_contribution__SCORE_05(h: Health) -> None:
    h.card(groups=[{"key": "voice", "label": "Voice", "weight": 3}],
           measures=[{"measure": "nps", "weight": 1, "group": "voice"}, "risks", "sentiment"])  # fmt: skip
    h.kit.measures.update("sentiment", label="<b>Sentiment & co</b>")
    h.kit.scorecards.set_value(h.acme, "sentiment", 50)
    e = h.kit.scorecards.explain(h.acme)
    rows = [
        (m.key, m.group, m.raw, m.score, m.na, m.why, m.weight, m.effective_weight, m.contribution) for m in e.measures
    ]
    assert rows == [
        ("nps", "voice", 40.0, 70.0, False, None, 1.0, 0.6, 42.0),
        ("risks", None, 0, 100.0, False, None, 1.0, 0.2, 20.0),
        ("sentiment", None, 50.0, 50.0, False, None, 1.0, 0.2, 10.0),
    ]
    assert (e.score, e.grade, e.scorecard, e.record_id, e.record_kind) == (
        72.0,
        "Yellow",
        "standard",
        h.acme.id,
        "company",
    )
    assert math.isclose(sum(m.contribution for m in e.measures), e.score)  # type: ignore[arg-type]
    data = e.to_dict()
    assert json.loads(json.dumps(data)) == data and data["measures"][0]["effective_weight"] == 0.6
    assert data["as_of"] == "2026-11-24" and data["na"] is False
    text = str(e)
    assert "72 Yellow" in text and "nps" in text and "0.600" in text
    page = e._repr_html_()
    assert "<b>Sentiment" not in page and "72 Yellow" in page
    assert by_key(e)["sentiment"].label == "<b>Sentiment & co</b>"


def test_explain_of_a_record_no_scorecard_scores__SCORE_05(h: Health) -> None:
    e = h.kit.scorecards.explain(h.rel)
    assert (e.scorecard, e.score, e.why, e.measures) == (None, None, "no scorecard applies", ())
    assert "no scorecard" in str(e)


# ------------------------------------------------------------------ SCORE_09
def test_override_of_a_measure_or_the_whole_score_until_expiry__SCORE_09(h: Health, clock: sk.FixedClock) -> None:
    h.card()
    until = TODAY + timedelta(days=7)
    me = h.kit.as_user(h.alice)
    o = me.scorecards.override(h.acme, 10, measure="nps", reason="NPS survey was botched", expires_on=until)
    assert (o.author_id, o.reason, o.expires_on, o.measure, o.value) == (
        h.alice.id,
        "NPS survey was botched",
        until,
        "nps",
        10.0,
    )
    nps = by_key(h.kit.scorecards.explain(h.acme))["nps"]
    assert (nps.score, nps.raw, nps.why) == (10.0, 40.0, "overridden until 2026-12-01")
    h.kit.scorecards.override(h.acme, 95, reason="exec escalation resolved", expires_on=until)
    e = h.kit.scorecards.explain(h.acme)
    assert (e.score, e.grade, e.overridden_until, e.computed) == (95.0, "Green", until, round((20 + 100) / 3, 2))
    clock.set(until)
    assert h.kit.scorecards.explain(h.acme).score == 95.0  # through its expiry date
    clock.advance(days=1)
    e = h.kit.scorecards.explain(h.acme)
    assert (e.score, e.overridden_until, by_key(e)["nps"].score) == (80.0, None, 70.0)  # the computed value returns
    assert len(h.kit.scorecards.overrides(h.acme)) == 2


def test_an_override_without_reason_or_with_past_expiry_is_refused__SCORE_09(h: Health) -> None:
    h.card()
    before = snapshot(h.kit)
    until = TODAY + timedelta(days=3)
    bad: list[dict[str, Any]] = [
        {"reason": None, "expires_on": until}, {"reason": "  ", "expires_on": until},
        {"reason": "x" * 2000, "expires_on": until}, {"reason": 5, "expires_on": until},
        {"reason": "why", "expires_on": None}, {"reason": "why", "expires_on": TODAY - timedelta(days=1)},
        {"reason": "why", "expires_on": "2027-01-01"}, {"reason": "why", "expires_on": until, "measure": "nothing"},
    ]  # fmt: skip
    for options in bad:
        with pytest.raises(sk.SuccessKitError) as e:
            h.kit.scorecards.override(h.acme, 50, **options)
        assert e.value.rule == "SCORE_09" or isinstance(e.value, sk.NotFound)
    with pytest.raises(sk.RuleViolation, match="SCORE_09"):
        h.kit.scorecards.override(h.acme, 101, reason="why", expires_on=until)
    assert snapshot(h.kit) == before
    h.kit.scorecards.override(h.acme, 50, reason="why", expires_on=TODAY)  # today is not the past


def test_a_locked_measure_refuses_manual_entry__SCORE_09(h: Health) -> None:
    h.card()
    h.kit.measures.update("sentiment", locked=True)
    before = snapshot(h.kit)
    with pytest.raises(sk.RuleViolation) as e:
        h.kit.scorecards.set_value(h.acme, "sentiment", 50)
    assert (e.value.rule, e.value.value) == ("SCORE_09", "sentiment")
    with pytest.raises(sk.RuleViolation, match="SCORE_09"):
        h.kit.scorecards.override(h.acme, 50, measure="sentiment", reason="r", expires_on=TODAY)
    assert snapshot(h.kit) == before
    h.kit.measures.update("sentiment", locked=False)
    assert h.kit.scorecards.set_value(h.acme, "sentiment", 50).value == 50


def test_clearing_an_override_brings_the_computed_value_back__SCORE_09(h: Health) -> None:
    h.card()
    h.kit.scorecards.override(h.acme, 5, reason="test", expires_on=TODAY + timedelta(days=30))
    assert h.kit.scorecards.explain(h.acme).score == 5
    h.kit.scorecards.clear_override(h.acme)
    h.kit.scorecards.clear_override(h.acme)  # nothing left to clear: no error
    assert h.kit.scorecards.explain(h.acme).score == 80.0
    assert h.kit.scorecards.overrides(h.acme) == []


def test_viewers_may_not_change_scores__SCORE_09(h: Health) -> None:
    h.card()
    viewer = h.kit.users.create("Vic", license="viewer")
    with pytest.raises(sk.AccessDenied):
        h.kit.as_user(viewer).scorecards.set_value(h.acme, "sentiment", 10)
    with pytest.raises(sk.AccessDenied):
        h.kit.as_user(viewer).scorecards.create("mine", measures=["nps"])
