"""Scoring many records on one scorecard (SCORE_03, SCORE_04, SCORE_09), pure:
what is the same for every record (each measure's mapping, staleness and place
in the formula, the scheme's ranges) is made once per scorecard as a
:class:`CardPlan`, and each record's score comes from its readings as a
:class:`Scored`, without its breakdown.  ``explain`` builds the breakdown from
a :class:`Scored` (:func:`successkit.health.explain.explanation`), so
recompute, preview and explain share one formula and one mapping.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import Any

import attrs

from successkit.records import Measure, Scorecard, ScoreOverride

from .formula import Evaluation, Layout, evaluate, layout, na_fill
from .mapping import OUTSIDE_BAND, map_value
from .schemes import Band, band_index, bands
from .sources import SOURCE_TYPES, Reading

__all__ = ["CardPlan", "Input", "RollupPart", "Scored", "Slot", "active", "measure_input", "plan_of"]

#: One measure's part in the formula: its score (None: NA), why, and whether an NA has no effect.
Input = tuple[float | None, str | None, bool]


@attrs.frozen
class Slot:
    """One measure of a scorecard, ready to score: its ``key``, ``weight`` and
    ``group``, the stored measure (None: no such measure), the mapping its
    readings go through and its staleness in days."""

    key: str
    weight: float
    group: str | None
    measure: Measure | None
    mapping: Mapping[str, Any] | None
    stale: int | None


@attrs.frozen
class RollupPart:
    """A child company or relationship a parent's score rolls up from (SCORE_08):
    its score (None: left out), ARR, and ``weight``, its share of the roll-up."""

    record_kind: str
    record_id: str
    name: str
    score: float | None
    arr: float | None
    weight: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """The part as a JSON-ready dict."""
        return {f.name: getattr(self, f.name) for f in attrs.fields(type(self))}


def active(override: ScoreOverride | None, today: date) -> ScoreOverride | None:
    """The override while it holds: through its expiry date (SCORE_09)."""
    return override if override is not None and override.expires_on >= today else None


def measure_input(slot: Slot, reading: Reading | None, override: ScoreOverride | None, today: date) -> Input:
    """The formula's input for one measure of one record (an ``override`` already checked active)."""
    if override is not None:
        return override.value, f"overridden until {override.expires_on}", False
    if slot.measure is None:
        return None, "no such measure", False
    if reading is None:
        return None, "no value", False
    stale = slot.stale
    if stale is not None and reading.as_of is not None and (today - reading.as_of).days > stale:
        return None, f"stale since {(reading.as_of + timedelta(days=stale + 1)).isoformat()}", False
    score, why = map_value(slot.mapping, reading.value)
    return score, why, why == OUTSIDE_BAND


@attrs.frozen
class Scored:
    """A record's score on a scorecard (SCORE_05, without the breakdown): ``score``
    (None: NA), its range (``grade``, ``colour``), the ``computed`` score a
    whole-score override replaces (``overridden_until``), and per measure of the
    plan the ``raws`` read and the ``inputs`` the formula got; ``found`` is what
    the formula found.  A rolled-up score (SCORE_08) lists its ``rollup`` parts."""

    plan: CardPlan = attrs.field(eq=False, repr=False)
    record_kind: str
    record_id: str
    score: float | None
    grade: str | None
    colour: str | None
    computed: float | None
    overridden_until: date | None
    why: str | None
    raws: tuple[Any, ...]
    inputs: tuple[Input, ...]
    found: Evaluation = attrs.field(eq=False, repr=False)
    rollup: tuple[RollupPart, ...] = ()
    rollup_method: str | None = None


@attrs.frozen(eq=False)
class CardPlan:
    """What scoring any record on ``card`` needs that is the same for every record."""

    card: Scorecard
    slots: tuple[Slot, ...]
    keys: tuple[str, ...]
    shape: Layout
    fill: float | None
    bands: tuple[Band, ...]

    def band(self, score: float | None) -> Band | None:
        """The range of the scheme ``score`` falls in (None for an NA score)."""
        i = band_index(self.card.scheme, score)
        return None if i is None else self.bands[i]

    def score(
        self,
        record_kind: str,
        record_id: str,
        found: Sequence[Reading | None],
        overrides: Mapping[str | None, ScoreOverride],
        today: date,
    ) -> Scored:
        """A record's score from its readings (``found[i]`` for the ``i``-th slot,
        None: no reading) and overrides (measure key, None for the whole score)."""
        if overrides:
            inputs = tuple(
                measure_input(s, r, active(overrides.get(s.key), today), today)
                for s, r in zip(self.slots, found, strict=True)
            )
        else:
            inputs = tuple(measure_input(s, r, None, today) for s, r in zip(self.slots, found, strict=True))
        result = evaluate(self.shape, [i[0] for i in inputs], [i[2] for i in inputs], self.fill)
        computed = result[0]
        score, why, until = computed, None if computed is not None else "every measure is NA", None
        whole = active(overrides.get(None), today) if overrides else None
        if whole is not None:
            score, why, until = whole.value, f"overridden until {whole.expires_on}", whole.expires_on
        band = self.band(score)
        return Scored(
            self, record_kind, record_id, score, None if band is None else band.label,
            None if band is None else band.colour, computed, until, why,
            tuple(None if r is None else r.raw for r in found), inputs, result,
        )  # fmt: skip


def plan_of(card: Scorecard, measures: Mapping[str, Measure]) -> CardPlan:
    """The plan of ``card`` with the stored ``measures`` (by key)."""
    slots = []
    for entry in card.measures:
        key = entry["measure"]
        measure = measures.get(key)
        mapping, stale = None, None
        if measure is not None:
            source = SOURCE_TYPES.get(measure.source.get("type", ""))
            mapping = measure.source.get("map") if source is not None and source.mapped else None
            stale = measure.staleness_days
        slots.append(Slot(key, float(entry["weight"]), entry.get("group"), measure, mapping, stale))
    shape = layout([(s.key, s.weight, s.group) for s in slots], card.groups)
    return CardPlan(
        card, tuple(slots), tuple(s.key for s in slots), shape, na_fill(card.na_policy, card.na_value),
        bands(card.scheme),
    )  # fmt: skip
