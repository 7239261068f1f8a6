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

__all__ = [
    "COMBINES", "Evaluation", "FormulaResult", "GroupResult", "Layout", "MeasureInput", "MeasureResult", "compute",
    "detail", "evaluate", "layout", "na_fill",
]  # fmt: skip

#: What :func:`evaluate` finds: the score, the values counted, each group's score,
#: each measure's share within its group, the total weight of the groups with a score.
Evaluation = tuple[float | None, list[float | None], list[float | None], list[float], float]

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


@attrs.frozen(eq=False)
class Layout:
    """The shape of a scorecard's formula, the same for every record: each
    measure's ``weight``, its group (``slot``, an index into ``groups``) and its
    weight within that group (``inner``); each group's key, weight, combine and
    member indices, in the order of first appearance."""

    weights: tuple[float, ...]
    slot: tuple[int, ...]
    inner: tuple[float, ...]
    groups: tuple[tuple[str, float, str, tuple[int, ...]], ...]


def layout(measures: Sequence[tuple[str, float, str | None]], groups: Sequence[Mapping[str, Any]] = ()) -> Layout:
    """The layout of measures given as (key, weight, group key or None)."""
    declared = {g["key"]: g for g in groups}
    index: dict[str, int] = {}
    shape: list[list[Any]] = []
    slot, inner = [], []
    for i, (key, weight, group) in enumerate(measures):
        if group is not None and group in declared:
            gkey, w = group, float(weight)
            head = (float(declared[group]["weight"]), declared[group].get("combine", "mean"))
        else:
            gkey, w, head = _implicit(key), 1.0 if weight > 0 else 0.0, (float(weight), "mean")
        if gkey not in index:
            index[gkey] = len(shape)
            shape.append([gkey, *head, []])
        shape[index[gkey]][1:3] = head
        shape[index[gkey]][3].append(i)
        slot.append(index[gkey])
        inner.append(w)
    return Layout(
        tuple(float(w) for _, w, _ in measures), tuple(slot), tuple(inner),
        tuple((k, w, how, tuple(members)) for k, w, how, members in shape),
    )  # fmt: skip


def na_fill(na_policy: str, na_value: float | None) -> float | None:
    """The value an NA measure counts for: the NA value under the fixed policy, else None (left out)."""
    return float(na_value) if na_policy == "fixed" and na_value is not None else None


def evaluate(
    shape: Layout, scores: Sequence[float | None], no_effect: Sequence[bool], fill: float | None
) -> Evaluation:
    """The score of one record's measure ``scores`` on ``shape`` (see the module
    docstring), with the values counted, each group's score, each measure's
    share within its group and the total weight of the groups with a score."""
    values: list[float | None] = list(scores)
    if fill is not None:
        values = [fill if s is None and not ne else s for s, ne in zip(scores, no_effect, strict=True)]
    shares = [0.0] * len(values)
    inner = shape.inner
    group_scores = [_group(members, inner, values, how, shares) for _, _, how, members in shape.groups]
    total: float = 0
    score: float | None = None
    if any(s is not None for s in scores):
        valued = [(g[1], s) for g, s in zip(shape.groups, group_scores, strict=True) if s is not None and g[1] > 0]
        total = sum(w for w, _ in valued)
        if total > 0:  # weights normalised first: tiny weights stay exact
            score = round(sum(w / total * (s or 0.0) for w, s in valued), 2)
    return score, values, group_scores, shares, total


def compute(
    inputs: Sequence[MeasureInput],
    groups: Sequence[Mapping[str, Any]] = (),
    *,
    na_policy: str = "exclude",
    na_value: float | None = None,
) -> FormulaResult:
    """The score of one record (see the module docstring for the formulas)."""
    shape = layout([(m.key, m.weight, m.group) for m in inputs], groups)
    found = evaluate(shape, [m.score for m in inputs], [m.no_effect for m in inputs], na_fill(na_policy, na_value))
    return detail(shape, [m.key for m in inputs], found)


def detail(
    shape: Layout,
    keys: Sequence[str],
    found: Evaluation,
) -> FormulaResult:
    """The share of every measure (by ``keys``) and group in a score :func:`evaluate` found."""
    score, values, group_scores, shares, total = found
    share = [(g[1] / total if s is not None and g[1] > 0 and score is not None else 0.0)
             for g, s in zip(shape.groups, group_scores, strict=True)]  # fmt: skip
    measures = []
    for i, key in enumerate(keys):
        eff, value = share[shape.slot[i]] * shares[i], values[i]
        measures.append(MeasureResult(key, value, eff, eff * value if value is not None else 0.0))
    return FormulaResult(
        score,
        tuple(measures),
        tuple(
            GroupResult(g[0], s, share[i])
            for i, (g, s) in enumerate(zip(shape.groups, group_scores, strict=True))
            if not g[0].startswith("\x00")
        ),
    )


def _group(
    members: Sequence[int], inner: Sequence[float], values: Sequence[float | None], how: str, shares: list[float]
) -> float | None:
    """A group's score, recording each member's share of it in ``shares``."""
    if len(members) == 1:  # the common group of one measure: the same arithmetic, without the lists
        i = members[0]
        value = values[i]
        if not inner[i] > 0 or value is None:
            return None
        shares[i] = inner[i] / inner[i] if how == "mean" else 1.0
        return 0 + shares[i] * (value or 0.0) if how == "mean" else value
    counted = [i for i in members if inner[i] > 0 and values[i] is not None]
    if not counted:
        return None
    if how == "mean":
        total = sum(inner[i] for i in counted)
        for i in counted:
            shares[i] = inner[i] / total
        return sum(shares[i] * (values[i] or 0.0) for i in counted)
    pick = min if how == "min" else max
    chosen = pick(counted, key=lambda i: values[i] or 0.0)  # the first of equal ones
    shares[chosen] = 1.0
    return values[chosen]
