"""Recomputing every record of a target (SCORE_06, SCORE_07, SCORE_11): one
transaction, a bounded number of storage calls whatever the number of records.

Reads: the scorecards and measures (one call), the records (one query, which
also decides each record's scorecard in Python), the manual entries (one
query), one ``group_counts`` per count measure, one hook call per plugin
measure, the overrides (one query) and the period's existing snapshots (one
``get_many``).  Writes: one ``delete_many`` and one ``insert_many`` of snapshots
and one ``update_many`` of the records whose score, grade, trend or scorecard
changed, with one ``insert_many`` of their attribute history (HIST_01: health
score is tracked by default).  ``health_score`` is the score (None when NA), so every query, rule
and view that reads it keeps working.

Previous score and trend: a record's ``score_previous`` is its score before the
current period's first recompute (a rerun in the same period keeps it), and
``score_trend`` compares the new score with it: ``same`` within the
scorecard's ``trend_tolerance``, else ``up`` or ``down``.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

import attrs

from successkit.outcome import Outcome
from successkit.records import Scorecard, ScoreSnapshot, stable_id
from successkit.records.checks import plain_text
from successkit.records.fast_init import trusted_evolve, trusted_maker
from successkit.service import stamp
from successkit.signals.history import record_changes

from .assign import load_cards, scoring_moment
from .checks import check_target
from .explain import json_raw
from .history import period_start
from .plan import Scored
from .scoring import read_scoring

if TYPE_CHECKING:
    from successkit.kit import Kit

__all__ = ["GradeChange", "ScoreRun", "recompute", "snapshot_id", "trend_of"]

#: The score fields recompute keeps in step on companies and relationships.
SCORE_FIELDS = ("health_score", "score_grade", "score_previous", "score_trend", "scorecard")


@attrs.frozen
class GradeChange:
    """A record whose grade changed: from ``old`` to ``new`` (None: no grade)."""

    record_id: str
    old: str | None
    new: str | None


@attrs.frozen
class ScoreRun(Outcome[None]):
    """What a recompute did (SCORE_11): an :class:`Outcome` whose ``created``
    holds the records it changed, with counts: ``scored`` records got a score,
    ``na`` records have a scorecard but an NA score, ``unscored`` have no
    scorecard; ``grade_changes`` lists the records whose grade changed;
    ``snapshots`` is the number written, for the periods holding ``day``."""

    target: str = "company"
    day: date | None = None
    scored: int = 0
    na: int = 0
    unscored: int = 0
    grade_changes: tuple[GradeChange, ...] = ()
    snapshots: int = 0

    @property
    def changed_grade(self) -> int:
        """How many records changed grade."""
        return len(self.grade_changes)

    def __str__(self) -> str:
        day = self.day.isoformat() if self.day else "-"
        return (
            f"recomputed {self.target} scores on {day}: {self.scored} scored, {self.na} NA, "
            f"{self.unscored} without a scorecard; {len(self.created)} changed, "
            f"{self.changed_grade} changed grade; {self.snapshots} snapshots"
        )


def snapshot_id(record_kind: str, record_id: str, period: date) -> str:
    """The id of a record's snapshot for the period starting on ``period``."""
    return stable_id("score_snapshot", record_kind, record_id, period.isoformat())


def trend_of(score: float | None, previous: float | None, tolerance: float) -> str | None:
    """``up``, ``down`` or ``same`` (a change of at most ``tolerance``); None without both scores."""
    if score is None or previous is None:
        return None
    if abs(score - previous) <= tolerance:
        return "same"
    return "up" if score > previous else "down"


def _snapshot(card: Scorecard, e: Scored, sid: str, period: date, when: dict[str, Any]) -> ScoreSnapshot:
    measures = {
        k: {"raw": json_raw(raw), "score": i[0], "na": i[0] is None}
        for k, raw, i in zip(e.plan.keys, e.raws, e.inputs, strict=True)
    }
    # Every value here was made by scoring (keys checked when the measures were
    # saved, scores 0-100 floats, raws finite numbers or text), so the snapshot
    # skips the check that walks its JSON, unless some raw text (a plugin's) is
    # not plain: then the check refuses it, as it would any record (SEC_05).
    plain = all(type(raw) is not str or plain_text(raw) for raw in e.raws)
    make = trusted_maker(ScoreSnapshot) if plain else ScoreSnapshot
    return make(
        id=sid, **when, record_kind=e.record_kind,
        record_id=e.record_id, scorecard=card.key, period=period, score=e.score, grade=e.grade, measures=measures,
    )  # fmt: skip


def recompute(kit: Kit, target: Any = "company", *, today: Any = None) -> ScoreRun:
    """Score every record of ``target`` in one transaction (see the module docstring)."""
    kind = check_target(target)
    day, now = scoring_moment(kit, today)
    with kit.store.exclusive(f"scorecards:recompute:{kind}"), kit.transaction():
        reads = read_scoring(kit, kind, day, now, [load_cards(kit, kind, now)])
        records, assigned = reads.records, reads.assigned[0]
        used = list({c.key: c for c in assigned.values() if c is not None}.values())
        scored = [r for r in records if assigned[r.id] is not None]
        explained = reads.score_all()
        periods = {c.key: period_start(day, c.period) for c in used}
        ids = {r.id: snapshot_id(kind, r.id, periods[c.key]) for r in scored if (c := assigned[r.id]) is not None}
        existing = {s.id for s in kit.store.get_many("score_snapshot", list(ids.values()))}
        when = stamp(kit)
        moment = when["updated_at"]
        snapshots, updates, changes, befores = [], [], [], []
        counts = {"scored": 0, "na": 0, "unscored": 0}
        for r in records:
            card = assigned[r.id]
            if card is None:
                counts["unscored"] += 1
                new: dict[str, Any] = dict.fromkeys(SCORE_FIELDS)
                if r.scorecard is None:
                    continue  # never scored: a score set by hand stays
            else:
                e = explained[r.id]
                counts["scored" if e.score is not None else "na"] += 1
                period = periods[card.key]
                snapshots.append(_snapshot(card, e, ids[r.id], period, when))
                previous = r.score_previous if ids[r.id] in existing else r.health_score
                new = {
                    "health_score": e.score, "score_grade": e.grade, "score_previous": previous,
                    "score_trend": trend_of(e.score, previous, card.trend_tolerance), "scorecard": card.key,
                }  # fmt: skip
            if any(getattr(r, f) != v for f, v in new.items()):
                updates.append((trusted_evolve(r, **new, version=r.version + 1, updated_at=moment), r.version))
                befores.append(r)
                if r.score_grade != new["score_grade"]:
                    changes.append(GradeChange(r.id, r.score_grade, new["score_grade"]))
        kit.store.delete_many("score_snapshot", sorted(existing))
        kit.store.insert_many(snapshots)
        kit.store.update_many(updates, fields=SCORE_FIELDS)  # the other fields are as read
        record_changes(kit, [(b, u) for b, (u, _) in zip(befores, updates, strict=True)])  # HIST_01
        kit.notifications.grades_changed([u for u, _ in updates], changes)  # NOTIF_05
    return ScoreRun(
        None, created=tuple(u for u, _ in updates), target=kind, day=day, grade_changes=tuple(changes),
        snapshots=len(snapshots), scored=counts["scored"], na=counts["na"], unscored=counts["unscored"],
    )  # fmt: skip
