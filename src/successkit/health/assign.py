"""Which scorecard scores a record (SCORE_01), and reading what scoring needs:
the scorecards of a target with their measures in one storage call, the
readings and overrides of many records in a bounded number more.

A record gets the first scorecard, by ``position`` (then key), whose condition
it matches, else its target's default scorecard, else none.  A scorecard that
is neither the default nor conditioned scores no record (a draft).  Conditions
are evaluated in Python with the query language's reference semantics
(:func:`successkit.query.evaluate.matches`, proven equal to every backend's),
on the records already read, so assigning costs no query per scorecard.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, time, timezone
from typing import TYPE_CHECKING, Any

import attrs

from successkit.errors import NotFound, QueryError, RuleViolation, ValidationError
from successkit.query.bind import Node, bind
from successkit.query.evaluate import matches
from successkit.query.language import Query
from successkit.records import Company, Measure, Relationship, Scorecard, ScoreOverride
from successkit.records.checks import plain_text

from .conditions import bind_stored

if TYPE_CHECKING:
    from successkit.kit import Kit

__all__ = ["CardSet", "arrange", "load_cards", "overrides_of", "scoring_moment", "target_record"]


@attrs.frozen(eq=False)
class CardSet:
    """The scorecards of one target kind, ready to assign records to, with
    every measure by key."""

    target: str
    conditioned: tuple[tuple[Scorecard, Node | None], ...]
    default: Scorecard | None
    measures: Mapping[str, Measure]

    def card_for(self, record: Any) -> Scorecard | None:
        """The scorecard that scores ``record`` (SCORE_01), or None."""
        for card, where in self.conditioned:
            if matches(where, record):
                return card
        return self.default

    def cards(self) -> list[Scorecard]:
        """Every scorecard of the set: the conditioned ones in order, then the default."""
        return [c for c, _ in self.conditioned] + ([self.default] if self.default is not None else [])

    def measures_of(self, cards: Sequence[Scorecard]) -> list[Measure]:
        """The measures the scorecards use, each once."""
        keys = dict.fromkeys(m["measure"] for c in cards for m in c.measures)
        return [self.measures[k] for k in keys if k in self.measures]


def load_cards(kit: Kit, target: str, now: datetime) -> CardSet:
    """The scorecards of ``target`` and every measure, in one storage call."""
    store = kit.store
    cards, measures = store.query_many(
        [
            bind(Query([("target", "=", target)], sort=["position", "key"]), store.schema("scorecard"), {}, now),
            bind(Query(sort=["key"]), store.schema("measure"), {}, now),
        ]
    )
    return arrange(kit, target, cards, {m.key: m for m in measures}, now)


def arrange(
    kit: Kit, target: str, cards: Sequence[Scorecard], measures: Mapping[str, Measure], now: datetime
) -> CardSet:
    """The scorecards ``cards`` of ``target`` (in position order) ready to assign records to."""
    conditioned = []
    default = None
    for card in cards:
        if card.default:
            default = default or card
        elif card.condition.get("where"):
            try:
                conditioned.append((card, bind_stored(kit, target, card.condition, now).where))
            except QueryError as e:
                raise RuleViolation(
                    "SCORE_01", f"the condition of scorecard {card.key!r} no longer binds: {e.message}", value=e.value
                ) from None
    return CardSet(target, tuple(conditioned), default, measures)


def target_record(kit: Kit, record: Any) -> Company | Relationship:
    """The stored company or relationship a record or id names (a record is
    re-read by id; an id is looked up as a company, then as a relationship)."""
    if isinstance(record, Company):
        return kit.companies.get(record.id)
    if isinstance(record, Relationship):
        return kit.relationships.get(record.id)
    if not isinstance(record, str) or not record or not plain_text(record):
        raise ValidationError("expected a company or relationship, or its id", rule="SEC_05", value=record)
    found: list[Any] = kit.store.get_many("company", [record]) or kit.store.get_many("relationship", [record])
    if not found:
        raise NotFound("company or relationship", record)
    hit: Company | Relationship = found[0]
    return hit


def overrides_of(kit: Kit, target: str, ids: Sequence[str] | None) -> dict[str, dict[str | None, ScoreOverride]]:
    """The overrides of records of ``target`` (all of them when ``ids`` is None), in one query:
    record id -> measure key (None: the whole score) -> override."""
    conditions: list[tuple[str, str, Any]] = [("record_kind", "=", target)]
    if ids is not None:
        conditions.append(("record_id", "in", list(ids) or [""]))
    out: dict[str, dict[str | None, ScoreOverride]] = {}
    for o in kit.store.query(kit.bind("score_override", Query(conditions))):
        out.setdefault(o.record_id, {})[o.measure] = o
    return out


def scoring_moment(kit: Kit, today: Any) -> tuple[date, datetime]:
    """The day scored and the moment count windows end: now, or the end of ``today``."""
    if today is None:
        return kit.today(), kit.now()
    if isinstance(today, datetime) or not isinstance(today, date):
        raise ValidationError("today is a date", rule="SEC_05", value=today)
    if today == kit.today():
        return today, kit.now()
    return today, datetime.combine(today, time.max, tzinfo=timezone.utc)
