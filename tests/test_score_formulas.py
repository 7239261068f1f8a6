"""The pure parts of health scorecards: schemes (SCORE_01), mappings (SCORE_02) and the
score formula (SCORE_03, SCORE_04), computed without storage, as preview and recompute use them."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import successkit as sk
from successkit.health.formula import MeasureInput, compute
from successkit.health.mapping import check_map, map_value
from successkit.health.schemes import DEFAULT_GRADES, DEFAULT_NUMERIC, band_of, check_scheme, grade_value


# ------------------------------------------------------------------ SCORE_01
def test_which_bound_is_inclusive_is_explicit__SCORE_01() -> None:
    lower = check_scheme(DEFAULT_NUMERIC)
    assert [band_of(lower, s).label for s in (0, 50, 50.01, 75, 75.5, 100)] == [  # type: ignore[union-attr]
        "Red", "Red", "Yellow", "Yellow", "Green", "Green",
    ]  # fmt: skip
    upper = check_scheme({"type": "numeric", "ranges": [
        {"label": "Red", "colour": "#d9534f", "low": 0, "high": 50, "high_inclusive": False},
        {"label": "Green", "colour": "#5cb85c", "low": 50, "high": 100, "high_inclusive": True}]})  # fmt: skip
    assert [band_of(upper, s).label for s in (49.99, 50, 100)] == ["Red", "Green", "Green"]  # type: ignore[union-attr]
    assert band_of(upper, None) is None
    grades = check_scheme({"type": "grade"})
    assert (
        [r["label"] for r in grades["ranges"]]
        == ["F", "D", "C", "B", "A"]
        == [r["label"] for r in DEFAULT_GRADES["ranges"]]
    )
    assert [band_of(grades, s).label for s in (0, 59.9, 60, 89.99, 90, 100)] == [  # type: ignore[union-attr]
        "F", "F", "D", "B", "A", "A",
    ]  # fmt: skip


@pytest.mark.parametrize("letter", ["E", "Z", "", "AA", 5])
def test_a_grade_outside_the_scheme_is_refused__SCORE_01(letter: Any) -> None:
    grades = check_scheme({"type": "grade"})
    assert [grade_value(grades, g) for g in ("F", "D", "C", "B", "A")] == [30, 65, 75, 85, 95]
    with pytest.raises(sk.RuleViolation) as e:
        grade_value(grades, letter)
    assert (e.value.rule, e.value.value) == ("SCORE_01", letter)


# ------------------------------------------------------------------ SCORE_02
def test_field_mapped_by_thresholds_or_linear_band__SCORE_02() -> None:
    thresholds = check_map({"thresholds": [[0, 10], [30, 50], [60, 90]]})
    assert [map_value(thresholds, v)[0] for v in (0, 29.9, 30, 59, 60, 1000)] == [10, 10, 50, 50, 90, 90]
    assert map_value(thresholds, -1) == (None, "below the lowest threshold")
    linear = check_map({"linear": [-100, 100]})
    assert [map_value(linear, v)[0] for v in (-200, -100, 0, 40, 100, 300)] == [0, 0, 50, 70, 100, 100]
    inverted = check_map({"linear": [0, 10], "invert": True})
    assert [map_value(inverted, v)[0] for v in (0, 2.5, 10)] == [100, 75, 0]
    assert map_value(None, 120) == (None, "outside 0-100") and map_value(None, "x") == (None, "not a number")


@pytest.mark.parametrize(
    "spec",
    [
        None, [], {"linear": [1, 1]}, {"linear": [0]}, {"linear": ["a", 1]}, {"linear": [0, 1], "bounded": 1},
        {"linear": [0, 1], "clamp": True}, {"thresholds": []}, {"thresholds": [[0, 101]]},
        {"thresholds": [[1, 10], [1, 20]]}, {"thresholds": [[math.nan, 10]]}, {"thresholds": [[0, 1]], "x": 1},
        {"thresholds": [[0, 1, 2]]}, {"thresholds": [[i, 50] for i in range(101)]},
    ],
)  # fmt: skip
def test_a_bad_mapping_is_refused__SCORE_02(spec: Any) -> None:
    with pytest.raises(sk.RuleViolation) as e:
        check_map(spec)
    assert e.value.rule == "SCORE_02"


# ------------------------------------------------------------------ SCORE_04
def test_weighted_mean_of_groups_each_mean_min_or_max__SCORE_04() -> None:
    groups = [
        {"key": "voice", "weight": 3.0, "combine": "mean"},
        {"key": "risk", "weight": 1.0, "combine": "min"},
        {"key": "best", "weight": 1.0, "combine": "max"},
    ]
    inputs = [
        MeasureInput("nps", 2, "voice", 70.0), MeasureInput("csat", 1, "voice", 40.0),
        MeasureInput("ctas", 1, "risk", 20.0), MeasureInput("tickets", 5, "risk", 60.0),
        MeasureInput("a", 1, "best", 10.0), MeasureInput("b", 1, "best", 90.0),
        MeasureInput("solo", 2, None, 50.0), MeasureInput("zero", 0, None, 0.0),
    ]  # fmt: skip
    r = compute(inputs, groups)
    voice = (2 * 70 + 40) / 3
    assert r.score == round((3 * voice + 1 * 20 + 1 * 90 + 2 * 50) / 7, 2)
    eff = {m.key: m.effective_weight for m in r.measures}
    assert math.isclose(eff["nps"], 3 / 7 * 2 / 3) and math.isclose(eff["ctas"], 1 / 7) and eff["tickets"] == 0
    assert eff["b"] == 1 / 7 and eff["a"] == 0 and eff["zero"] == 0 and math.isclose(eff["solo"], 2 / 7)
    assert {g.key: g.score for g in r.groups} == {"voice": voice, "risk": 20.0, "best": 90.0}


SCORES = st.one_of(st.none(), st.floats(0, 100), st.sampled_from([0.0, 50.0, 100.0]))


@settings(max_examples=200, deadline=None)
@given(
    data=st.lists(st.tuples(st.floats(0, 10), st.sampled_from([None, "g1", "g2"]), SCORES), min_size=1, max_size=8),
    combine=st.sampled_from(["mean", "min", "max"]),
    policy=st.sampled_from([("exclude", None), ("fixed", 0.0), ("fixed", 65.0)]),
)
def test_contributions_add_up_to_the_score_within_its_values__SCORE_04(data: Any, combine: str, policy: Any) -> None:
    """For any measures: effective weights sum to 1, contributions to the score,
    and the score lies between the lowest and highest value counted (SCORE_04, SCORE_05)."""
    inputs = [MeasureInput(f"m{i}", w, g, s) for i, (w, g, s) in enumerate(data)]
    groups = [{"key": "g1", "weight": 2.0, "combine": combine}, {"key": "g2", "weight": 1.0, "combine": "mean"}]
    r = compute(inputs, groups, na_policy=policy[0], na_value=policy[1])
    if r.score is None:
        assert all(m.contribution == 0 for m in r.measures)
        return
    assert math.isclose(sum(m.effective_weight for m in r.measures), 1.0)
    assert abs(sum(m.contribution for m in r.measures) - r.score) <= 0.005 + 1e-9
    counted = [m.value for m in r.measures if m.effective_weight > 0 and m.value is not None]
    assert min(counted) - 0.005 <= r.score <= max(counted) + 0.005
