"""One record's score with its breakdown (SCORE_03-SCORE_05, SCORE_09), from
readings already made: pure, no storage.  Recompute and ``explain`` both score
through :meth:`successkit.health.plan.CardPlan.score`, and the breakdown is built from what it
gave, so what ``explain`` shows is what recompute stores.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

import attrs

from successkit.records import Measure, Scorecard, ScoreOverride

from .formula import detail
from .mapping import is_number
from .plan import RollupPart, Scored, plan_of
from .sources import Reading

__all__ = ["MeasureExplanation", "RollupPart", "ScoreExplanation", "explanation", "json_raw", "score_record"]


def json_raw(value: Any) -> Any:
    """A raw value as a snapshot keeps it: numbers and text as they are, else None."""
    if type(value) is str or isinstance(value, str) or is_number(value):
        return value
    return None


@attrs.frozen
class MeasureExplanation:
    """One measure's part in a score (SCORE_05): the ``raw`` value read, its
    mapped ``score`` (None when NA, ``why`` says why, or notes an override), the
    ``weight`` the scorecard gives it, its ``effective_weight`` (its share of
    the score after NA measures are left out and groups combined) and its
    ``contribution`` (effective weight x the value counted; they add up to the score)."""

    key: str
    label: str
    group: str | None
    raw: Any
    score: float | None
    na: bool
    why: str | None
    weight: float
    effective_weight: float
    contribution: float

    def to_dict(self) -> dict[str, Any]:
        """The breakdown as a JSON-ready dict."""
        return {f.name: getattr(self, f.name) for f in attrs.fields(type(self))}


@attrs.frozen
class ScoreExplanation:
    """A record's score and why (SCORE_05): ``score`` (None: NA), its range in
    the scheme (``grade`` label and ``colour``), the ``computed`` score a
    whole-score override replaces (``overridden_until``), and every measure's
    :class:`MeasureExplanation`.  ``scorecard`` is None when none applies.  A
    rolled-up score (SCORE_08) lists its parts in ``rollup``, combined by
    ``rollup_method``; ``measures`` then show the company's own score."""

    record_kind: str
    record_id: str
    scorecard: str | None
    score: float | None
    grade: str | None = None
    colour: str | None = None
    computed: float | None = None
    overridden_until: date | None = None
    why: str | None = None
    measures: tuple[MeasureExplanation, ...] = ()
    as_of: date | None = None
    rollup: tuple[RollupPart, ...] = ()
    rollup_method: str | None = None

    @property
    def na(self) -> bool:
        """Whether the score is NA (SCORE_03)."""
        return self.score is None

    def to_dict(self) -> dict[str, Any]:
        """The explanation as a JSON-ready dict (dates as ISO text)."""
        out: dict[str, Any] = {f.name: getattr(self, f.name) for f in attrs.fields(type(self))}
        out["measures"] = [m.to_dict() for m in self.measures]
        out["rollup"] = [p.to_dict() for p in self.rollup]
        for key in ("overridden_until", "as_of"):
            out[key] = None if out[key] is None else out[key].isoformat()
        out["na"] = self.na
        return out

    def _head(self) -> str:
        score = "NA" if self.score is None else f"{self.score:g}"
        grade = f" {self.grade}" if self.grade else ""
        card = f"scorecard {self.scorecard!r}" if self.scorecard else "no scorecard"
        why = f" ({self.why})" if self.why else ""
        return f"{self.record_kind} {self.record_id}: {score}{grade}, {card}{why}"

    def _rows(self) -> list[list[str]]:
        rows = []
        for m in self.measures:
            rows.append([
                m.key, "" if m.group is None else m.group, _show(m.raw), "NA" if m.score is None else f"{m.score:g}",
                f"{m.weight:g}", f"{m.effective_weight:.3f}", f"{m.contribution:.2f}", m.why or "",
            ])  # fmt: skip
        return rows

    def __str__(self) -> str:
        head = ["measure", "group", "raw", "score", "weight", "effective", "contribution", "why"]
        rows = [head, *self._rows()]
        widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
        lines = [self._head()]
        lines += ["  " + "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
        if self.rollup:
            lines.append(f"  rolled up ({self.rollup_method}) from:")
            for p in self.rollup:
                score = "NA" if p.score is None else f"{p.score:g}"
                lines.append(f"    {p.record_kind} {p.name}: {score}, weight {p.weight:.3f}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        """The breakdown as an HTML table in notebooks, numbers right-aligned; every value escaped."""
        from successkit.views import notebook as nb

        head = ["measure", "group", "raw", "score", "weight", "effective", "contribution", "why"]
        rows = [[None if c == "" else c for c in r] for r in self._rows()]
        numeric = [False, False, True, True, True, True, True, False]
        parts = [nb.title(self._head(), colour=self.colour), nb.table(head, rows, numeric=numeric)]
        if self.rollup:
            rolled = [[p.name, p.record_kind, p.score, round(p.weight, 3)] for p in self.rollup]
            parts.append(nb.subtitle(f"Rolled up ({self.rollup_method}) from"))
            parts.append(nb.table(["name", "kind", "score", "weight"], rolled))
        return nb.block(*parts)


def _show(value: Any) -> str:
    return "" if value is None else f"{value:g}" if is_number(value) else str(value)


def explanation(scored: Scored, as_of: date) -> ScoreExplanation:
    """The breakdown of a score :meth:`CardPlan.score` gave (SCORE_05)."""
    plan = scored.plan
    result = detail(plan.shape, plan.keys, scored.found)
    out = []
    for slot, raw, (score, why, _), res in zip(plan.slots, scored.raws, scored.inputs, result.measures, strict=True):
        if score is None and res.value is not None:
            why = f"{why}; counted as {res.value:g} (fixed NA value)"
        label = slot.measure.label if slot.measure is not None else slot.key
        out.append(
            MeasureExplanation(
                slot.key,
                label,
                slot.group,
                raw,
                score,
                score is None,
                why,
                slot.weight,
                res.effective_weight,
                res.contribution,
            )
        )
    return ScoreExplanation(
        scored.record_kind, scored.record_id, plan.card.key, scored.score, grade=scored.grade, colour=scored.colour,
        computed=scored.computed, overridden_until=scored.overridden_until, why=scored.why, measures=tuple(out),
        as_of=as_of, rollup=scored.rollup, rollup_method=scored.rollup_method,
    )  # fmt: skip


def score_record(
    card: Scorecard,
    measures: Mapping[str, Measure],
    record_kind: str,
    record_id: str,
    readings: Mapping[str, Reading],
    overrides: Mapping[str | None, ScoreOverride],
    today: date,
) -> ScoreExplanation:
    """One record's score on ``card`` from its readings (measure key -> reading)
    and overrides (measure key, or None for the whole score, -> override)."""
    plan = plan_of(card, measures)
    scored = plan.score(record_kind, record_id, [readings.get(k) for k in plan.keys], overrides, today)
    return explanation(scored, today)
