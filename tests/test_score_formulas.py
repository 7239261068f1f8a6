"""The pure parts of health scorecards: schemes (SCORE_01) and mappings (SCORE_02),
computed without storage."""

from __future__ import annotations

import math
from typing import Any

import pytest

import successkit as sk
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
