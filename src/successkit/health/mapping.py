"""Mapping a measure's raw value to a score of 0-100 (SCORE_02), and the number
checks every scorecard definition shares.

A mapping is declared with the measure, in its source's ``map``:

- ``{"thresholds": [[raw_min, score], ...]}``: ascending ``raw_min``; the score
  of the highest ``raw_min`` at or below the raw value (below the first one: NA);
- ``{"linear": [low, high], "bounded": False, "invert": False}``: ``low`` scores
  0 and ``high`` 100, in a straight line between, clamped to 0-100 outside;
  with ``bounded`` a raw value outside ``[low, high]`` has no effect (NA,
  "outside band"); with ``invert`` ``low`` scores 100 and ``high`` 0.

Without a mapping the raw value is the score and must lie in 0-100.  Pure
functions: preview and recompute call the same ones, without storage.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Mapping, Sequence
from typing import Any

from successkit.errors import RuleViolation

__all__ = ["OUTSIDE_BAND", "check_map", "is_number", "map_value", "score_number"]

#: Why a bounded linear mapping ignores a value (NA, with no effect on the score).
OUTSIDE_BAND = "outside band"
#: At most this many thresholds in one mapping (SEC_07).
MAX_THRESHOLDS = 100


def is_number(value: Any) -> bool:
    """A finite int or float (not a boolean); a whole number beyond the float range is
    not one (``math.isfinite`` would raise OverflowError on it)."""
    t = type(value)
    if t is float:
        return math.isfinite(value)
    if t is int or (isinstance(value, int) and not isinstance(value, bool)):
        return bool(-sys.float_info.max <= value <= sys.float_info.max)
    return isinstance(value, float) and math.isfinite(value)


def score_number(rule: str, what: str, value: Any) -> float:
    """A score of 0-100, as a float; anything else is refused naming ``rule``."""
    if not is_number(value) or not 0 <= value <= 100:
        raise RuleViolation(rule, f"{what} is a number from 0 to 100", value=value)
    return float(value)


def _number(what: str, value: Any) -> float | int:
    if not is_number(value):
        raise RuleViolation("SCORE_02", f"{what} is a finite number", value=value)
    number: float | int = value
    return number


def check_map(spec: Any, *, what: str = "the mapping") -> dict[str, Any]:
    """The checked, JSON-ready form of a mapping; every refusal names SCORE_02."""
    if not isinstance(spec, Mapping):
        raise RuleViolation("SCORE_02", f"{what} is a mapping with 'thresholds' or 'linear'", value=spec)
    kinds = [k for k in ("thresholds", "linear") if k in spec]
    if len(kinds) != 1:
        raise RuleViolation("SCORE_02", f"{what} has exactly one of 'thresholds' or 'linear'", value=sorted(spec))
    if kinds == ["thresholds"]:
        if set(spec) != {"thresholds"}:
            raise RuleViolation("SCORE_02", f"{what}: thresholds take no other key", value=sorted(spec))
        return {"thresholds": _thresholds(what, spec["thresholds"])}
    unknown = set(spec) - {"linear", "bounded", "invert"}
    if unknown:
        raise RuleViolation(
            "SCORE_02", f"{what}: unknown key; known: bounded, invert, linear", value=sorted(unknown)[0]
        )
    band = spec["linear"]
    if isinstance(band, (str, bytes, Mapping)) or not isinstance(band, Sequence) or len(band) != 2:
        raise RuleViolation("SCORE_02", f"{what}: 'linear' is [low, high]", value=band)
    low, high = _number(f"{what}: low", band[0]), _number(f"{what}: high", band[1])
    if not low < high:
        raise RuleViolation("SCORE_02", f"{what}: 'linear' low is below high", value=list(band))
    out: dict[str, Any] = {"linear": [low, high], "bounded": False, "invert": False}
    for flag in ("bounded", "invert"):
        value = spec.get(flag, False)
        if not isinstance(value, bool):
            raise RuleViolation("SCORE_02", f"{what}: {flag!r} is True or False", value=value)
        out[flag] = value
    return out


def _thresholds(what: str, items: Any) -> list[list[float | int]]:
    if isinstance(items, (str, bytes, Mapping)) or not isinstance(items, Sequence) or not items:
        raise RuleViolation("SCORE_02", f"{what}: 'thresholds' is a non-empty list of [raw_min, score]", value=items)
    if len(items) > MAX_THRESHOLDS:
        raise RuleViolation("SCORE_02", f"{what}: at most {MAX_THRESHOLDS} thresholds", value=len(items))
    out: list[list[float | int]] = []
    for item in items:
        if isinstance(item, (str, bytes, Mapping)) or not isinstance(item, Sequence) or len(item) != 2:
            raise RuleViolation("SCORE_02", f"{what}: each threshold is [raw_min, score]", value=item)
        raw_min = _number(f"{what}: a threshold's raw_min", item[0])
        score = score_number("SCORE_02", f"{what}: a threshold's score", item[1])
        if out and not raw_min > out[-1][0]:
            raise RuleViolation("SCORE_02", f"{what}: thresholds ascend by raw_min", value=raw_min)
        out.append([raw_min, score])
    return out


def map_value(spec: Mapping[str, Any] | None, raw: Any) -> tuple[float | None, str | None]:
    """(score, None) for a raw value, or (None, why it is NA)."""
    if raw is None:
        return None, "no value"
    if not is_number(raw):
        return None, "not a number"
    if spec is None:
        if not 0 <= raw <= 100:
            return None, "outside 0-100"
        return float(raw), None
    if "thresholds" in spec:
        found = None
        for raw_min, score in spec["thresholds"]:
            if raw >= raw_min:
                found = float(score)
        return (found, None) if found is not None else (None, "below the lowest threshold")
    low, high = spec["linear"]
    if spec.get("bounded") and not low <= raw <= high:
        return None, OUTSIDE_BAND
    if raw <= low:
        share = 0.0
    elif raw >= high:
        share = 1.0
    else:  # halves: the span of two huge bounds would overflow
        share = min(1.0, (raw / 2 - low / 2) / (high / 2 - low / 2))
    score = 100.0 * share
    return (100.0 - score if spec.get("invert") else score), None
