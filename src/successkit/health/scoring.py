"""What scoring every record of a target reads, once, for recompute and preview
alike (SCORE_10, SCORE_11): the records (one query), the readings of every
measure the scorecards use (a bounded number of calls per source type) and the
overrides (one query).  Recompute scores with the stored scorecards; a preview
scores the same reads with the stored and the changed ones, so both go through
the same reads and the same pure formula (:func:`score_record`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import attrs

from successkit.query.language import Query
from successkit.records import Measure, Scorecard, ScoreOverride

from .assign import CardSet, overrides_of, readings_by_record
from .explain import ScoreExplanation, score_record
from .sources import ReadContext, Reading

if TYPE_CHECKING:
    from successkit.kit import Kit

__all__ = ["Scoring", "read_scoring"]


@attrs.frozen(eq=False)
class Scoring:
    """The reads of one scoring pass: every record of ``kind`` (by id), and
    ``assigned[i]`` the scorecard of each record in the ``i``-th card set."""

    kind: str
    day: date
    records: list[Any]
    assigned: list[dict[str, Scorecard | None]]
    measures: Mapping[str, Measure]
    readings: Mapping[str, Mapping[str, Reading]]
    overrides: Mapping[str, Mapping[str | None, ScoreOverride]]

    def score(self, card: Scorecard, record_id: str) -> ScoreExplanation:
        """The record's score on ``card`` from the reads (pure)."""
        return score_record(
            card, self.measures, self.kind, record_id,
            self.readings.get(record_id, {}), self.overrides.get(record_id, {}), self.day,
        )  # fmt: skip


def read_scoring(kit: Kit, kind: str, day: date, now: datetime, cardsets: Sequence[CardSet]) -> Scoring:
    """Read what scoring every record of ``kind`` with each card set needs: one
    query of the records, then readings and overrides only if some record has a
    scorecard in some set."""
    records = list(kit.store.query(kit.bind(kind, Query(sort=["id"]))))
    assigned = [{r.id: cs.card_for(r) for r in records} for cs in cardsets]
    used = list({id(c): c for a in assigned for c in a.values() if c is not None}.values())
    scored = [r for r in records if any(a[r.id] is not None for a in assigned)]
    measures = cardsets[0].measures
    readings: dict[str, dict[str, Reading]] = {}
    overrides: dict[str, dict[str | None, ScoreOverride]] = {}
    if scored:
        readings = readings_by_record(ReadContext(kit, kind, scored, True, now), cardsets[0].measures_of(used))
        overrides = overrides_of(kit, kind, None)
    return Scoring(kind, day, records, assigned, measures, readings, overrides)
