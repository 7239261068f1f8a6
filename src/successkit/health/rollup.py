"""Roll-up of a parent company's score (SCORE_08): pure, no storage.

A company scored by a scorecard with ``rollup`` set takes its score from its
parts: its child companies' scores (themselves rolled up first, deepest
level first) and its relationships' stored scores.  With parts ``p`` of
score ``s_p`` and ARR ``a_p``::

    mean          = sum(s_p) / n
    arr_weighted  = sum(a_p * s_p) / sum(a_p)   (no ARR: 0; no part with ARR: the mean)
    worst         = min(s_p)

Parts without a score are left out; a company without scored parts keeps its
own score from its measures.  The result is rounded to two decimals and maps to
the scheme like any score; a whole-score override still wins (SCORE_09), and the
explanation's ``computed`` holds the rolled-up score.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from successkit.records import Company, Relationship, Scorecard

from .plan import RollupPart, Scored
from .schemes import band_of

__all__ = ["combine", "roll_up"]


def combine(method: str, parts: Sequence[RollupPart]) -> tuple[float | None, tuple[RollupPart, ...]]:
    """The rolled-up score of ``parts`` by ``method``, and each part with its share of it."""
    scored = [p for p in parts if p.score is not None]
    if not scored:
        return None, tuple(parts)
    if method == "worst":
        low = min(scored, key=lambda p: p.score or 0.0)
        shares = {id(low): 1.0}
    else:
        weights = {id(p): (p.arr or 0.0) if method == "arr_weighted" else 1.0 for p in scored}
        if not any(weights.values()):
            weights = dict.fromkeys(weights, 1.0)
        total = sum(weights.values())
        shares = {k: w / total for k, w in weights.items()}
    score = round(sum(shares.get(id(p), 0.0) * (p.score or 0.0) for p in scored), 2)
    return score, tuple(attrs.evolve(p, weight=shares.get(id(p), 0.0)) for p in parts)


def _depth(company: Company, by_id: Mapping[str, Company]) -> int:
    depth, seen, at = 0, set(), company
    while at.parent_id is not None and at.parent_id in by_id and at.id not in seen:
        seen.add(at.id)
        at, depth = by_id[at.parent_id], depth + 1
    return depth


def roll_up(
    explained: Mapping[str, Scored],
    cards: Mapping[str, Scorecard | None],
    companies: Sequence[Company],
    relationships: Sequence[Relationship],
) -> dict[str, Scored]:
    """``explained`` (company id -> its own score) with every company whose
    scorecard rolls up scored from its parts, deepest first."""
    by_id = {c.id: c for c in companies}
    children: dict[str, list[Company]] = {}
    for c in companies:
        if c.parent_id is not None:
            children.setdefault(c.parent_id, []).append(c)
    rels: dict[str, list[Relationship]] = {}
    for r in relationships:
        rels.setdefault(r.company_id, []).append(r)
    out = dict(explained)
    for c in sorted(companies, key=lambda c: -_depth(c, by_id)):
        card = cards.get(c.id)
        if card is None or card.rollup is None or c.id not in out:
            continue
        parts = [
            RollupPart("company", k.id, k.name, _score_of(k, out), k.arr)
            for k in sorted(children.get(c.id, []), key=lambda k: (k.name, k.id))
        ]
        parts += [
            RollupPart("relationship", r.id, r.name, r.health_score, r.arr)
            for r in sorted(rels.get(c.id, []), key=lambda r: (r.name, r.id))
        ]
        out[c.id] = _rolled(out[c.id], card, parts)
    return out


def _score_of(company: Company, explained: Mapping[str, Scored]) -> float | None:
    """A child's score: as scored in this pass, else one set by hand (never scored by a scorecard)."""
    if company.id in explained:
        return explained[company.id].score
    return company.health_score if company.scorecard is None else None


def _rolled(own: Scored, card: Scorecard, parts: Sequence[RollupPart]) -> Scored:
    score, weighed = combine(card.rollup or "mean", parts)
    if score is None:
        return attrs.evolve(own, rollup=weighed, rollup_method=card.rollup)
    final: float | None = score
    why: str | None = None
    if own.overridden_until is not None:
        final, why = own.score, own.why
    band: Any = band_of(card.scheme, final)
    return attrs.evolve(
        own, score=final, grade=None if band is None else band.label, colour=None if band is None else band.colour,
        computed=score, why=why, rollup=weighed, rollup_method=card.rollup,
    )  # fmt: skip
