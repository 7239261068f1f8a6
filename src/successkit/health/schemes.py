"""Scorecard schemes (SCORE_01, SCORE_04): the ranges a score of 0-100 maps to.

A scheme is ``{"type": "numeric", "ranges": [...]}`` or ``{"type": "grade",
"ranges": [...]}``; each range is ``{"label", "colour", "low", "high",
"high_inclusive"}``.  Ranges ascend and cover 0-100 with no gap or overlap:
each starts where the one before ends (``low`` = the previous ``high``), and
the shared bound belongs to the lower range when its ``high_inclusive`` is true,
else to the upper one.  The first range includes 0 and the last includes 100.
A grade scheme's labels are the letters A-F, the best letter highest.  Without
ranges, the defaults below apply.  Pure functions, no storage.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from successkit.errors import RuleViolation

from .mapping import is_number

__all__ = [
    "DEFAULT_GRADES", "DEFAULT_NUMERIC", "MAX_RANGES", "Band", "band_index", "band_of", "bands", "check_scheme",
    "grade_value",
]  # fmt: skip

#: At most this many ranges in a scheme (SCORE_01).
MAX_RANGES = 12
#: The numeric scheme a scorecard gets when none is given.
DEFAULT_NUMERIC: dict[str, Any] = {
    "type": "numeric",
    "ranges": [
        {"label": "Red", "colour": "#d9534f", "low": 0, "high": 50, "high_inclusive": True},
        {"label": "Yellow", "colour": "#f0ad4e", "low": 50, "high": 75, "high_inclusive": True},
        {"label": "Green", "colour": "#5cb85c", "low": 75, "high": 100, "high_inclusive": True},
    ],
}
#: Colours of the letters, where a grade range gives none.
GRADE_COLOURS = {"A": "#2e7d32", "B": "#7cb342", "C": "#fbc02d", "D": "#f57c00", "E": "#e64a19", "F": "#c62828"}
#: The letter grades a ``{"type": "grade"}`` scheme gets without ranges: F below 60, then every ten points.
DEFAULT_GRADES: dict[str, Any] = {
    "type": "grade",
    "ranges": [
        {"label": letter, "colour": GRADE_COLOURS[letter], "low": low, "high": high, "high_inclusive": False}
        for letter, low, high in (("F", 0, 60), ("D", 60, 70), ("C", 70, 80), ("B", 80, 90), ("A", 90, 100))
    ],
}
DEFAULT_GRADES["ranges"][-1]["high_inclusive"] = True
_COLOUR = re.compile(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})")
_RANGE_KEYS = frozenset({"label", "colour", "low", "high", "high_inclusive"})
_MAX_LABEL = 100


@attrs.frozen
class Band:
    """The range a score falls in: its label (the grade) and colour."""

    label: str
    colour: str


def _bad(message: str, value: Any) -> RuleViolation:
    return RuleViolation("SCORE_01", f"scheme: {message}", value=value)


def check_scheme(spec: Any) -> dict[str, Any]:
    """The checked, JSON-ready scheme (None: the default numeric one); every
    refusal is a SCORE_01 error naming the offending value."""
    if spec is None:
        spec = DEFAULT_NUMERIC
    if not isinstance(spec, Mapping):
        raise _bad("a scheme is a mapping with 'type' (numeric or grade) and 'ranges'", spec)
    unknown = set(spec) - {"type", "ranges"}
    if unknown:
        raise _bad("unknown key; known: ranges, type", sorted(unknown)[0])
    kind = spec.get("type")
    if kind not in ("numeric", "grade"):
        raise _bad("'type' is 'numeric' or 'grade'", kind)
    ranges = spec.get("ranges")
    if ranges is None:
        ranges = (DEFAULT_NUMERIC if kind == "numeric" else DEFAULT_GRADES)["ranges"]
    if isinstance(ranges, (str, bytes, Mapping)) or not isinstance(ranges, Sequence) or not ranges:
        raise _bad("'ranges' is a non-empty list of ranges", ranges)
    if len(ranges) > MAX_RANGES:
        raise _bad(f"at most {MAX_RANGES} ranges", len(ranges))
    out = [_range(kind, i, r, last=i == len(ranges) - 1) for i, r in enumerate(ranges)]
    _check_cover(out)
    labels = [r["label"] for r in out]
    if len(set(labels)) != len(labels):
        raise _bad("range labels are unique", next(x for x in labels if labels.count(x) > 1))
    if kind == "grade" and labels != sorted(labels, reverse=True):
        raise _bad("grades ascend from the worst letter to the best (F ... A)", labels)
    return {"type": kind, "ranges": out}


def _range(kind: str, i: int, spec: Any, *, last: bool) -> dict[str, Any]:
    where = f"range {i + 1}"
    if not isinstance(spec, Mapping):
        raise _bad(f"{where} is a mapping with label, colour, low, high, high_inclusive", spec)
    unknown = set(spec) - _RANGE_KEYS
    if unknown:
        raise _bad(f"{where}: unknown key; known: {', '.join(sorted(_RANGE_KEYS))}", sorted(unknown)[0])
    label = spec.get("label")
    if not isinstance(label, str) or not label.strip() or len(label) > _MAX_LABEL:
        raise _bad(f"{where}: 'label' is non-blank text of at most {_MAX_LABEL} characters", label)
    label = label.strip()
    if kind == "grade" and label not in GRADE_COLOURS:
        raise _bad(f"{where}: a grade is one of the letters A-F", label)
    colour = spec.get("colour", GRADE_COLOURS.get(label) if kind == "grade" else None)
    if not isinstance(colour, str) or not _COLOUR.fullmatch(colour):
        raise _bad(f"{where}: 'colour' is #rgb or #rrggbb", colour)
    low, high = _bound(where, "low", spec.get("low")), _bound(where, "high", spec.get("high"))
    if not low < high:
        raise _bad(f"{where}: 'low' is below 'high'", [low, high])
    inclusive = spec.get("high_inclusive", True if last else None)
    if not isinstance(inclusive, bool):
        raise _bad(f"{where}: say whether 'high' belongs to the range: 'high_inclusive' True or False", inclusive)
    return {"label": label, "colour": colour, "low": low, "high": high, "high_inclusive": inclusive}


def _bound(where: str, name: str, value: Any) -> float | int:
    if not is_number(value) or not 0 <= value <= 100:
        raise _bad(f"{where}: {name!r} is a number from 0 to 100", value)
    bound: float | int = value
    return bound


def _check_cover(ranges: list[dict[str, Any]]) -> None:
    """Ordered, contiguous over 0-100, no gap, no overlap."""
    if ranges[0]["low"] != 0:
        raise _bad("the first range starts at 0", ranges[0]["low"])
    if ranges[-1]["high"] != 100 or not ranges[-1]["high_inclusive"]:
        raise _bad("the last range ends at 100, included", [ranges[-1]["high"], ranges[-1]["high_inclusive"]])
    for before, after in itertools.pairwise(ranges):
        if after["low"] > before["high"]:
            raise _bad(f"a gap between {before['label']!r} and {after['label']!r}", [before["high"], after["low"]])
        if after["low"] < before["high"]:
            raise _bad(f"{before['label']!r} and {after['label']!r} overlap", [before["high"], after["low"]])


def band_index(scheme: Mapping[str, Any], score: float | None) -> int | None:
    """The position in ``scheme["ranges"]`` of the range ``score`` falls in (None for an NA score)."""
    if score is None:
        return None
    ranges = scheme["ranges"]
    for i, r in enumerate(ranges):
        if score < r["high"] or (score == r["high"] and r["high_inclusive"]):
            return i
    return len(ranges) - 1


def bands(scheme: Mapping[str, Any]) -> tuple[Band, ...]:
    """Every range of ``scheme`` as a :class:`Band`, in order."""
    return tuple(Band(r["label"], r["colour"]) for r in scheme["ranges"])


def band_of(scheme: Mapping[str, Any], score: float | None) -> Band | None:
    """The range ``score`` falls in (None for an NA score)."""
    i = band_index(scheme, score)
    return None if i is None else bands(scheme)[i]


def grade_value(scheme: Mapping[str, Any], letter: Any, *, rule: str = "SCORE_01") -> float:
    """The score a letter grade stands for: the middle of its range; a letter
    the scheme does not have is refused."""
    if scheme.get("type") == "grade" and isinstance(letter, str):
        for r in scheme["ranges"]:
            if r["label"] == letter.strip():
                return float(r["low"] + r["high"]) / 2
    labels = [r["label"] for r in scheme["ranges"]] if scheme.get("type") == "grade" else []
    known = f"one of {', '.join(labels)}" if labels else "a number from 0 to 100 (the scheme has no letter grades)"
    raise RuleViolation(rule, f"the grade is outside the scheme: give {known}", value=letter)
