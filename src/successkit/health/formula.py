"""The score of one record from its measures' scores (SCORE_03, SCORE_04): pure
functions, no storage, so recompute, explain and (later) preview compute alike.

With groups ``g`` of weight ``W_g`` and measures ``m`` of weight ``w_m``::

    value(m)  = the measure's score; when NA: left out (policy "exclude"),
                or the scorecard's na_value (policy "fixed")
    mean g    = sum(w_m * value(m)) / sum(w_m)       over the measures of g with a value
    min g     = the lowest value(m) of g, max g the highest (measures of weight 0 left out)
    score     = sum(W_g * score(g)) / sum(W_g)       over the groups with a score

A measure without a group is a group of its own, of its weight.  A measure whose
value is NA "outside band" (a bounded linear mapping) has no effect under either
policy, and a score none of whose measures has a value is NA.  Each measure's
*effective weight* is its share of the score: ``W_g / sum(W) * w_m / sum(w)`` in a
mean group, the whole group's share for the measure a min or max group takes, 0
for the others; its *contribution* is effective weight x value, and the
contributions add up to the score.  The score is rounded to two decimals.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import attrs

__all__ = ["COMBINES", "FormulaResult", "GroupResult", "MeasureInput", "MeasureResult", "compute"]

#: How a group combines its measures (SCORE_04).
COMBINES = ("mean", "min", "max")


@attrs.frozen
class MeasureInput:
    """One measure of a record, ready for the formula: its place in the
    scorecard and its score (None when NA, ``why`` says why).  ``no_effect``
    marks an NA that even the fixed policy leaves out (outside band)."""

    key: str
    weight: float
    group: str | None = None
    score: float | None = None
    why: str | None = None
    no_effect: bool = False


@attrs.frozen
class MeasureResult:
    """What a measure counted for: the value used (its score, or the NA value),
    its effective weight and its contribution to the score."""

    key: str
    value: float | None
    effective_weight: float
    contribution: float


@attrs.frozen
class GroupResult:
    """A group's score (None: no measure of it had a value) and its share of the score."""

    key: str
    score: float | None
    effective_weight: float


@attrs.frozen
class FormulaResult:
    """A record's score (None: NA) with the share of every measure and group."""

    score: float | None
    measures: tuple[MeasureResult, ...]
    groups: tuple[GroupResult, ...]


def _implicit(key: str) -> str:
    return f"\x00{key}"  # no group key holds NUL: never clashes with a declared group


def compute(
    inputs: Sequence[MeasureInput],
    groups: Sequence[Mapping[str, Any]] = (),
    *,
    na_policy: str = "exclude",
    na_value: float | None = None,
) -> FormulaResult:
    """The score of one record (see the module docstring for the formulas)."""
    values: dict[str, float | None] = {}
    for m in inputs:
        if m.score is None and na_policy == "fixed" and na_value is not None and not m.no_effect:
            values[m.key] = float(na_value)
        else:
            values[m.key] = m.score
    declared = {g["key"]: g for g in groups}
    members: dict[str, list[tuple[MeasureInput, float]]] = {}
    weights: dict[str, float] = {}
    combine: dict[str, str] = {}
    for m in inputs:
        if m.group is not None and m.group in declared:
            key, inner = m.group, float(m.weight)
            weights[key] = float(declared[key]["weight"])
            combine[key] = declared[key].get("combine", "mean")
        else:
            key, inner = _implicit(m.key), 1.0 if m.weight > 0 else 0.0
            weights[key], combine[key] = float(m.weight), "mean"
        members.setdefault(key, []).append((m, inner))
    shares: dict[str, float] = {}  # measure key -> share within its group
    group_scores: dict[str, float | None] = {}
    for key, items in members.items():
        group_scores[key] = _group(items, values, combine[key], shares)
    valued = [k for k, s in group_scores.items() if s is not None and weights[k] > 0]
    total = sum(weights[k] for k in valued)
    any_value = any(m.score is not None for m in inputs)
    score: float | None = None
    if any_value and total > 0:  # weights normalised first: tiny weights stay exact
        score = round(sum(weights[k] / total * (group_scores[k] or 0.0) for k in valued), 2)
    group_share = {k: (weights[k] / total if k in valued and score is not None else 0.0) for k in members}
    measures = []
    for m in inputs:
        key = m.group if m.group is not None and m.group in declared else _implicit(m.key)
        eff = group_share[key] * shares.get(m.key, 0.0)
        value = values[m.key]
        measures.append(MeasureResult(m.key, value, eff, eff * value if value is not None else 0.0))
    return FormulaResult(
        score,
        tuple(measures),
        tuple(GroupResult(k, group_scores[k], group_share[k]) for k in members if not k.startswith("\x00")),
    )


def _group(
    items: list[tuple[MeasureInput, float]], values: Mapping[str, float | None], how: str, shares: dict[str, float]
) -> float | None:
    """A group's score, recording each member's share of it in ``shares``."""
    counted = [(m, w) for m, w in items if w > 0 and values[m.key] is not None]
    if not counted:
        return None
    if how == "mean":
        total = sum(w for _, w in counted)
        for m, w in counted:
            shares[m.key] = w / total
        return sum(shares[m.key] * (values[m.key] or 0.0) for m, _ in counted)
    pick = min if how == "min" else max
    chosen = pick(counted, key=lambda mw: values[mw[0].key] or 0.0)[0]  # the first of equal ones
    shares[chosen.key] = 1.0
    return values[chosen.key]
