"""What scoring every record of a target reads, once, for recompute and preview
alike (SCORE_10, SCORE_11): the records (one query), the readings of every
measure the scorecards use (a bounded number of calls per source type), the
overrides (one query) and, when a company scorecard rolls up, the
relationships (one query, SCORE_08).  Recompute scores with the stored scorecards; a preview
scores the same reads with the stored and the changed ones, so both go through
the same reads and the same pure formula (:meth:`successkit.health.plan.CardPlan.score`, one plan
per scorecard).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import attrs

from successkit.query.language import Query
from successkit.records import Measure, Relationship, Scorecard, ScoreOverride

from .assign import CardSet, load_cards, overrides_of
from .explain import ScoreExplanation, explanation
from .plan import CardPlan, Scored, plan_of
from .rollup import roll_up
from .sources import ReadContext, Reading, read_all

if TYPE_CHECKING:
    from successkit.kit import Kit

__all__ = ["Scoring", "explain_one", "read_scoring"]


@attrs.frozen(eq=False)
class Scoring:
    """The reads of one scoring pass: every record of ``kind`` (by id), and
    ``assigned[i]`` the scorecard of each record in the ``i``-th card set;
    ``readings`` by measure key, then record id."""

    kind: str
    day: date
    records: list[Any]
    assigned: list[dict[str, Scorecard | None]]
    measures: Mapping[str, Measure]
    readings: Mapping[str, Mapping[str, Reading]]
    overrides: Mapping[str, Mapping[str | None, ScoreOverride]]
    relationships: Sequence[Relationship] = ()
    plans: dict[int, CardPlan] = attrs.field(factory=dict, init=False)

    def plan(self, card: Scorecard) -> CardPlan:
        """The plan of ``card`` with this pass's measures, made once."""
        found = self.plans.get(id(card))
        if found is None or found.card is not card:
            found = self.plans[id(card)] = plan_of(card, self.measures)
        return found

    def score_all(self, i: int = 0) -> dict[str, Scored]:
        """Every record's score with its scorecard in the ``i``-th card set, parent
        companies rolled up from their parts (SCORE_08), pure."""
        cards = self.assigned[i]
        own: dict[str, Scored] = {}
        kind, day, overrides = self.kind, self.day, self.overrides
        empty: dict[Any, Any] = {}
        columns: dict[int, list[Mapping[str, Reading]]] = {}
        for r in self.records:
            card = cards[r.id]
            if card is None:
                continue
            plan = self.plan(card)
            cols = columns.get(id(plan))
            if cols is None:
                cols = columns[id(plan)] = [self.readings.get(k, empty) for k in plan.keys]
            rid = r.id
            own[rid] = plan.score(kind, rid, [c.get(rid) for c in cols], overrides.get(rid, empty), day)
        if self.kind != "company" or not any(c is not None and c.rollup for c in cards.values()):
            return own
        return roll_up(own, cards, self.records, self.relationships)


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
        readings = read_all(ReadContext(kit, kind, scored, True, now), cardsets[0].measures_of(used))
        overrides = overrides_of(kit, kind, None)
    relationships: list[Relationship] = []
    if kind == "company" and any(c.rollup for c in used):  # SCORE_08: the relationships' stored scores
        relationships = list(kit.store.query(kit.bind("relationship", Query(sort=["id"]))))
    return Scoring(kind, day, records, assigned, measures, readings, overrides, relationships)


def explain_one(kit: Kit, found: Any, day: date, now: datetime) -> ScoreExplanation:
    """One record's score as recompute would give it, reading only what it needs:
    the record, and for a rolled-up company its subtree and their relationships."""
    kind = found.__kind__
    cards = load_cards(kit, kind, now)
    card = cards.card_for(found)
    if card is None:
        return ScoreExplanation(kind, found.id, None, None, why="no scorecard applies", as_of=day)
    records = [found]
    relationships: list[Relationship] = []
    if kind == "company" and card.rollup:
        records += list(kit.companies.subtree(found))
        where = Query([("company_id", "in", [r.id for r in records])], sort=["id"])
        relationships = list(kit.store.query(kit.bind("relationship", where)))
    assigned = {r.id: cards.card_for(r) for r in records}
    used = list({c.key: c for c in assigned.values() if c is not None}.values())
    scored = [r for r in records if assigned[r.id] is not None]
    readings = read_all(ReadContext(kit, kind, scored, False, now), cards.measures_of(used))
    overrides = overrides_of(kit, kind, [r.id for r in scored])
    reads = Scoring(kind, day, records, [assigned], cards.measures, readings, overrides, relationships)
    return explanation(reads.score_all()[found.id], day)
