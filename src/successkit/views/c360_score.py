"""The scorecard section of the 360 views (SCORE_12): the stored score with its grade,
colour and trend, each measure's value or NA from the latest snapshot, and the
recent snapshots.  Three storage calls, and none for a record never scored."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import attrs

from successkit.health.history import ScorePoint
from successkit.health.schemes import band_of
from successkit.query.language import Query

if TYPE_CHECKING:
    from successkit.kit import Kit
    from successkit.records import Company, Relationship

__all__ = ["MeasureLine", "ScoreSection", "score_section"]

#: How many snapshots the section shows, newest first.
RECENT = 6


@attrs.frozen
class MeasureLine:
    """One measure of the section: its value and score at the latest snapshot, or NA and why."""

    key: str
    label: str
    raw: Any
    score: float | None
    na: str | None


@attrs.frozen
class ScoreSection:
    """A record's scorecard in its 360 (SCORE_12)."""

    scorecard: str
    name: str
    score: float | None
    grade: str | None
    colour: str | None
    trend: str | None
    previous: float | None
    measures: tuple[MeasureLine, ...]
    recent: tuple[ScorePoint, ...]

    def lines(self) -> list[str]:
        """The section as text lines: the score, then each measure, then the recent scores."""
        score = "NA" if self.score is None else f"{self.score:g}"
        previous = "" if self.previous is None else f", was {self.previous:g}"
        head = f"{self.name}: {score} {self.grade or ''} ({self.trend or 'no trend'}{previous})".replace("  ", " ")
        out = [head]
        for m in self.measures:
            value = f"NA ({m.na})" if m.na else f"{m.score:g}" if m.score is not None else "NA"
            raw = (
                ""
                if m.raw is None or m.na
                else f" from {m.raw:g}"
                if isinstance(m.raw, (int, float))
                else f" from {m.raw}"
            )
            out.append(f"{m.label}: {value}{raw}")
        if self.recent:
            trail = ", ".join(
                f"{p.period.isoformat()} {'NA' if p.score is None else f'{p.score:g}'}" for p in self.recent
            )
            out.append(f"Recent: {trail}")
        return out

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of the section."""
        return {
            "scorecard": self.scorecard,
            "name": self.name,
            "score": self.score,
            "grade": self.grade,
            "colour": self.colour,
            "trend": self.trend,
            "previous": self.previous,
            "measures": [attrs.asdict(m) for m in self.measures],
            "recent": [{"period": p.period.isoformat(), "score": p.score, "grade": p.grade} for p in self.recent],
        }


def score_section(kit: Kit, record: Company | Relationship) -> ScoreSection | None:
    """The section of a record its last recompute scored; None for one never scored."""
    if record.scorecard is None:
        return None
    found = kit.scorecards.list([("key", "=", record.scorecard)], limit=1)
    if not found:
        return None  # the scorecard was deleted since the last recompute
    card = found[0]
    query = Query([("record_id", "=", record.id)], sort=["-period"], limit=RECENT)
    recent = tuple(ScorePoint.of(s) for s in kit.store.query(kit.bind("score_snapshot", query)))
    keys = [m["measure"] for m in card.measures]
    labels = {m.key: m.label for m in kit.measures.list([("key", "in", keys)])} if keys else {}
    latest = recent[0].measures if recent else {}
    lines = tuple(_line(key, labels.get(key, key), latest.get(key)) for key in keys)
    band = band_of(card.scheme, record.health_score)
    return ScoreSection(
        scorecard=card.key,
        name=card.name,
        score=record.health_score,
        grade=record.score_grade,
        colour=band.colour if band is not None else None,
        trend=record.score_trend,
        previous=record.score_previous,
        measures=lines,
        recent=recent,
    )


def _line(key: str, label: str, entry: Any) -> MeasureLine:
    """A measure as the latest snapshot holds it (``{"raw", "score", "na"}``)."""
    if not isinstance(entry, dict):
        return MeasureLine(key, label, None, None, "not computed yet")
    na = (entry.get("why") or "no value") if entry.get("na") else None
    return MeasureLine(key, label, entry.get("raw"), entry.get("score"), na)
