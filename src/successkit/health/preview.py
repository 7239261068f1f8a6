"""Previewing a changed scorecard before it is saved (SCORE_10): nothing is written.

``preview`` scores every record of the scorecard's target twice from one set of
reads (:func:`successkit.health.scoring.read_scoring`, the reads recompute
makes): with the stored scorecards, and with the changed one in place of the
stored one.  A record is in the preview when either scores it with this
scorecard (a changed condition or position moves records in or out); its old
grade is the one the stored definitions give now, its new one what a recompute
after saving the change would store.

``replay`` runs the change over the stored history: each snapshot the
scorecard wrote keeps every measure's score of its day, so the changed
weights, groups, NA policy and scheme are applied to them with the same pure
formula.  A measure the change adds has no value in older snapshots (NA); a
whole-score override of the time is not replayed (a snapshot keeps the score,
not why).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping
from datetime import date
from typing import TYPE_CHECKING, Any

import attrs

from successkit.query.language import Query
from successkit.records import Measure, Scorecard, ScoreSnapshot

from .assign import arrange, load_cards, scoring_moment
from .formula import MeasureInput, compute
from .mapping import OUTSIDE_BAND, map_value
from .schemes import band_of
from .scoring import read_scoring
from .sources import SOURCE_TYPES

if TYPE_CHECKING:
    from successkit.kit import Kit

__all__ = ["PreviewRow", "ScorePreview", "preview", "replay"]


@attrs.frozen
class PreviewRow:
    """One record's score and grade before and after the change; ``period`` is
    the snapshot's period in a replay (None in a preview of today)."""

    record_id: str
    old_score: float | None
    old_grade: str | None
    new_score: float | None
    new_grade: str | None
    period: date | None = None

    @property
    def changed(self) -> bool:
        """Whether the grade changes."""
        return self.old_grade != self.new_grade


@attrs.frozen
class ScorePreview:
    """What a change to ``scorecard`` would do (SCORE_10): a row per record it
    applies to (per snapshot in a replay), with the grade changes counted."""

    scorecard: str
    target: str
    rows: tuple[PreviewRow, ...] = ()
    day: date | None = None

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[PreviewRow]:
        return iter(self.rows)

    @property
    def changes(self) -> tuple[PreviewRow, ...]:
        """The rows whose grade changes."""
        return tuple(r for r in self.rows if r.changed)

    @property
    def changed_grade(self) -> int:
        """How many rows change grade."""
        return len(self.changes)

    @property
    def transitions(self) -> dict[tuple[str | None, str | None], int]:
        """How many rows go from each old grade to each new one (grade changes only)."""
        return dict(Counter((r.old_grade, r.new_grade) for r in self.changes))

    def to_dicts(self) -> list[dict[str, Any]]:
        """Each row as a dict, with ``changed``."""
        return [{**attrs.asdict(r), "changed": r.changed} for r in self.rows]

    def to_pandas(self) -> Any:
        """A DataFrame of the rows (needs the ``pandas`` extra)."""
        from successkit.views.frames import to_frame

        columns = {
            "record_id": "text", "old_score": "float", "old_grade": "category", "new_score": "float",
            "new_grade": "category", "period": "date", "changed": "bool",
        }  # fmt: skip
        return to_frame(self.to_dicts(), columns)

    def _repr_html_(self) -> str:
        """How many records change grade, from what to what, then the rows that change (DATA_01)."""
        from successkit.views import notebook as nb

        def na(grade: str | None) -> str:
            return "NA" if grade is None else grade

        moves = [[na(old), na(new), n] for (old, new), n in sorted(self.transitions.items(), key=lambda e: -e[1])]
        rows = [
            [r.record_id, r.period, r.old_score, na(r.old_grade), r.new_score, na(r.new_grade)] for r in self.changes
        ]
        parts = [
            nb.title(f"Preview of scorecard: {self.scorecard}", f"{self.target} records; nothing written"),
            nb.figures([("rows", len(self.rows)), ("change grade", self.changed_grade)]),
        ]
        if moves:
            parts += [nb.subtitle("Grade changes"), nb.table(["from", "to", "rows"], moves)]
            header = ["record", "period", "old score", "old grade", "new score", "new grade"]
            parts += [nb.subtitle("Rows that change grade"), nb.table(header, rows)]
        return nb.block(*parts)


def preview(kit: Kit, proposed: Scorecard, *, today: Any = None) -> ScorePreview:
    """Score every record ``proposed`` (a checked, unsaved scorecard) would
    score or scores now, with and without it (see the module docstring)."""
    day, now = scoring_moment(kit, today)
    kind = proposed.target
    before = load_cards(kit, kind, now)
    cards = sorted([c for c in before.cards() if c.key != proposed.key] + [proposed], key=lambda c: (c.position, c.key))
    after = arrange(kit, kind, cards, before.measures, now)
    reads = read_scoring(kit, kind, day, now, [before, after])
    stored, changed = reads.score_all(0), reads.score_all(1)
    rows = []
    for r in reads.records:
        old, new = reads.assigned[0][r.id], reads.assigned[1][r.id]
        if proposed.key not in (getattr(old, "key", None), getattr(new, "key", None)):
            continue
        was, will = stored.get(r.id), changed.get(r.id)
        old_score, old_grade = (was.score, was.grade) if was is not None else (None, None)
        new_score, new_grade = (will.score, will.grade) if will is not None else (None, None)
        rows.append(PreviewRow(r.id, old_score, old_grade, new_score, new_grade))
    return ScorePreview(proposed.key, kind, tuple(rows), day)


def replay(kit: Kit, proposed: Scorecard, *, since: date | None = None, until: date | None = None) -> ScorePreview:
    """``proposed`` applied to the snapshots its stored version wrote between
    ``since`` and ``until`` (included): one query of snapshots, one of measures."""
    conditions: list[tuple[str, str, Any]] = [("record_kind", "=", proposed.target), ("scorecard", "=", proposed.key)]
    if since is not None:
        conditions.append(("period", ">=", since))
    if until is not None:
        conditions.append(("period", "<=", until))
    snaps, measures = kit.store.query_many(
        [
            kit.bind("score_snapshot", Query(conditions, sort=["record_id", "period"])),
            kit.bind("measure", Query(sort=["key"])),
        ]
    )
    by_key = {m.key: m for m in measures}
    rows = []
    for s in snaps:
        score = replay_score(proposed, by_key, s)
        band = band_of(proposed.scheme, score)
        rows.append(PreviewRow(s.record_id, s.score, s.grade, score, band.label if band else None, s.period))
    return ScorePreview(proposed.key, proposed.target, tuple(rows))


def replay_score(card: Scorecard, measures: Mapping[str, Measure], snap: ScoreSnapshot) -> float | None:
    """The score ``card`` gives the measure scores a snapshot kept (pure)."""
    inputs = []
    for entry in card.measures:
        key, weight, group = entry["measure"], float(entry["weight"]), entry.get("group")
        kept = snap.measures.get(key)
        if kept is None:
            inputs.append(MeasureInput(key, weight, group, None, "not in the snapshot"))
            continue
        score = kept.get("score")
        no_effect = False
        measure = measures.get(key)
        if score is None and measure is not None:
            source = SOURCE_TYPES.get(measure.source.get("type", ""))
            mapping = measure.source.get("map") if source is not None and source.mapped else None
            no_effect = map_value(mapping, kept.get("raw"))[1] == OUTSIDE_BAND
        inputs.append(MeasureInput(key, weight, group, score, None, no_effect=no_effect))
    return compute(inputs, card.groups, na_policy=card.na_policy, na_value=card.na_value).score
