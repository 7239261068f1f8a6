"""Score history (SCORE_07): one snapshot per record per period, read as a time series.

A period is a day, an ISO week (starting on Monday) or a calendar month; a
snapshot is dated with its period's first day, so a rerun in the same period
finds and replaces the period's snapshot.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import attrs

from successkit.errors import ValidationError
from successkit.query.language import Query
from successkit.records import Company, Relationship, ScoreSnapshot
from successkit.records.checks import plain_text

if TYPE_CHECKING:
    from successkit.kit import Kit

__all__ = ["ScoreHistory", "ScorePoint", "history_of", "period_start"]


def period_start(day: date, period: str) -> date:
    """The first day of the period (``day``, ``week`` from Monday, ``month``) holding ``day``."""
    if period == "week":
        return day - timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    return day


@attrs.frozen
class ScorePoint:
    """A record's score in one period: ``period`` is the period's first day;
    ``measures`` maps each measure key to ``{"raw", "score", "na"}``."""

    record_kind: str
    record_id: str
    period: date
    scorecard: str
    score: float | None
    grade: str | None
    measures: dict[str, Any] = attrs.field(factory=dict, eq=False)

    @classmethod
    def of(cls, s: ScoreSnapshot) -> ScorePoint:
        return cls(s.record_kind, s.record_id, s.period, s.scorecard, s.score, s.grade, dict(s.measures))


@attrs.frozen
class ScoreHistory:
    """Scores over time (SCORE_07): points ordered by record, then period."""

    points: tuple[ScorePoint, ...] = ()

    def __len__(self) -> int:
        return len(self.points)

    def __iter__(self) -> Iterator[ScorePoint]:
        return iter(self.points)

    def __getitem__(self, i: int) -> ScorePoint:
        return self.points[i]

    def of(self, record: Company | Relationship | str) -> ScoreHistory:
        """The points of one record."""
        rid = record if isinstance(record, str) else record.id
        return ScoreHistory(tuple(p for p in self.points if p.record_id == rid))

    def to_dicts(self) -> list[dict[str, Any]]:
        """Each point as a dict: the point's fields, then ``measure.<key>``: that measure's score."""
        out = []
        for p in self.points:
            row: dict[str, Any] = {
                "record_kind": p.record_kind, "record_id": p.record_id, "period": p.period,
                "scorecard": p.scorecard, "score": p.score, "grade": p.grade,
            }  # fmt: skip
            row.update({f"measure.{k}": v.get("score") for k, v in p.measures.items()})
            out.append(row)
        return out

    def to_pandas(self) -> Any:
        """A pandas DataFrame, one row per record and period: ``period`` a date column,
        ``score`` and each ``measure.<key>`` floats (NaN when NA) (needs the ``pandas`` extra)."""
        from successkit.views.frames import to_frame

        keys = sorted({k for p in self.points for k in p.measures})
        columns = {
            "record_kind": "category", "record_id": "text", "period": "date", "scorecard": "category",
            "score": "float", "grade": "category", **{f"measure.{k}": "float" for k in keys},
        }  # fmt: skip
        return to_frame(self.to_dicts(), columns)

    def _repr_html_(self) -> str:
        """One row per record and period, each measure's score beside the score (DATA_01)."""
        from successkit.views import notebook as nb

        keys = sorted({k for p in self.points for k in p.measures})
        rows = [
            [p.period, p.record_id, p.score, p.grade, *(p.measures.get(k, {}).get("score") for k in keys)]
            for p in self.points
        ]
        numeric = [False, False, True, False, *(True for _ in keys)]
        return nb.block(
            nb.title("Score history", nb.plural(len(rows), "snapshot")),
            nb.table(["period", "record", "score", "grade", *keys], rows, numeric=numeric),
        )


def _ids(records: Any) -> list[str]:
    items = [records] if isinstance(records, (str, Company, Relationship)) else records
    if isinstance(items, (bytes, dict)) or not isinstance(items, (list, tuple)):
        raise ValidationError("history takes a company or relationship, its id, or a list of them", value=records)
    out = []
    for r in items:
        if isinstance(r, (Company, Relationship)):
            out.append(r.id)
        elif isinstance(r, str) and r and plain_text(r):
            out.append(r)
        else:
            raise ValidationError("history takes companies or relationships or their ids", rule="SEC_05", value=r)
    return list(dict.fromkeys(out))


def _day(what: str, value: Any) -> date | None:
    if value is not None and (isinstance(value, datetime) or not isinstance(value, date)):
        raise ValidationError(f"history {what} is a date", rule="SEC_05", value=value)
    return value


def history_of(kit: Kit, records: Any, *, since: Any = None, until: Any = None) -> ScoreHistory:
    """The snapshots of ``records`` between ``since`` and ``until`` (both included), in one query."""
    ids, start, end = _ids(records), _day("since", since), _day("until", until)
    if not ids:
        return ScoreHistory()
    conditions: list[tuple[str, str, Any]] = [("record_id", "in", ids)]
    if start is not None:
        conditions.append(("period", ">=", start))
    if end is not None:
        conditions.append(("period", "<=", end))
    query = Query(conditions, sort=["record_id", "period"])
    return ScoreHistory(tuple(ScorePoint.of(s) for s in kit.store.query(kit.bind("score_snapshot", query))))
