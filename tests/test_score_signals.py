"""Signals as measure sources (SCORE_02): usage, survey scores and activity fields,
read in bulk on every backend, checked when the measure is saved."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest

import successkit as sk

from .helpers import snapshot

TODAY = date(2026, 11, 24)  # the kit fixture's clock
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=timezone.utc)
SENTIMENT = {"red": 0, "yellow": 50, "green": 100}


class Signals:
    """Two companies with usage, survey answers and call sentiment, and a
    scorecard of one measure per signal."""

    def __init__(self, kit: sk.Kit) -> None:
        self.kit = kit
        kit.metrics.declare("logins", "Logins")
        kit.custom_fields.declare("activity", "sentiment", "dropdown", options=list(SENTIMENT), scope="call")
        self.acme, self.globex, self.quiet = (kit.companies.create(n) for n in ("Acme", "Globex", "Quiet"))
        self.survey = kit.surveys.create("Pulse", [{"key": "nps", "type": "nps", "text": "Recommend us?"}])

    def usage(self, company: sk.Company, per_day: float, earlier: float, days: int = 60) -> None:
        rows = [
            {"metric": "logins", "company": company, "period": TODAY - timedelta(days=d),
             "value": per_day if d < 30 else earlier}
            for d in range(days)
        ]  # fmt: skip
        self.kit.usage.ingest(rows)

    def answers(self, company: sk.Company, scores: list[int]) -> None:
        for i, score in enumerate(scores):
            person = self.kit.people.create(f"{company.name} {i}", company=company)
            self.kit.surveys.respond(self.survey, person, {"nps": score}, company=company)

    def call(self, company: sk.Company, sentiment: str, days_ago: int = 1) -> None:
        when = NOW - timedelta(days=days_ago)
        self.kit.timeline.log("call", "Call", company=company, occurred_at=when, fields={"sentiment": sentiment})

    def measures(self) -> None:
        m = self.kit.measures.create
        m("logins", source={"type": "usage", "metric": "logins", "days": 30, "map": {"linear": [0, 300]}})
        m("growth", source={"type": "usage", "metric": "logins", "value": "change", "map": {"linear": [-50, 50]}})
        m("nps", source={"type": "survey", "score": "nps", "months": 12, "map": {"linear": [-100, 100]}})
        m("sentiment", source={"type": "activity_field", "field": "sentiment", "types": ["call"], "values": SENTIMENT},
          staleness_days=30)  # fmt: skip
        self.kit.scorecards.create("signals", default=True, measures=["logins", "growth", "nps", "sentiment"])


@pytest.fixture
def s(kit: sk.Kit) -> Signals:
    world = Signals(kit)
    world.measures()
    world.usage(world.acme, 5, 10)  # 150 in the last 30 days, 300 in the 30 before: -50 %
    world.answers(world.acme, [10, 10, 3])  # NPS 33.3
    world.call(world.acme, "yellow", days_ago=40)
    world.call(world.acme, "green", days_ago=2)
    world.call(world.globex, "red", days_ago=45)  # older than the staleness period
    return world


def by_key(e: sk.ScoreExplanation) -> dict[str, sk.MeasureExplanation]:
    return {m.key: m for m in e.measures}


def test_usage_survey_and_activity_field_measures__SCORE_02(s: Signals) -> None:
    e = by_key(s.kit.scorecards.explain(s.acme))
    assert (e["logins"].raw, e["logins"].score) == (150.0, 50.0)
    assert (e["growth"].raw, e["growth"].score) == (-50.0, 0.0)
    assert e["nps"].raw == pytest.approx(100 / 3) and e["nps"].score == pytest.approx(66.67, abs=0.01)
    assert (e["sentiment"].raw, e["sentiment"].score) == ("green", 100.0)  # the latest call
    g = by_key(s.kit.scorecards.explain(s.globex))
    assert (g["logins"].raw, g["logins"].score) == (0.0, 0.0)  # no usage: a sum of 0
    assert (g["growth"].na, g["growth"].why) == (True, "no value")  # nothing to compare with
    assert (g["nps"].na, g["nps"].why) == (True, "no value")  # no answers
    assert g["sentiment"].raw == "red" and g["sentiment"].why == "stale since 2026-11-10"


def test_recompute_with_signal_sources_equals_explain__SCORE_02(s: Signals) -> None:
    kit = s.kit
    run = kit.scorecards.recompute()
    assert run.scored == 3
    for c in (s.acme, s.globex, s.quiet):
        assert kit.companies.get(c).health_score == kit.scorecards.explain(c).score


def test_usage_functions_and_relationship_targets__SCORE_02(kit: sk.Kit) -> None:
    world = Signals(kit)
    world.usage(world.acme, 5, 10)
    rel = kit.relationships.create(world.acme, kit.relationship_types.create("Region"), "Acme EU")
    kit.usage.ingest([{"metric": "logins", "relationship": rel, "period": TODAY, "value": 40}])
    kit.measures.create("peak", source={"type": "usage", "metric": "logins", "function": "max"})
    kit.measures.create("avg", source={"type": "usage", "metric": "logins", "function": "mean", "days": 7})
    kit.scorecards.create("c", default=True, measures=["peak", "avg"])
    kit.scorecards.create("r", default=True, target="relationship", measures=["peak"])
    acme = by_key(kit.scorecards.explain(world.acme))
    assert acme["peak"].raw == 40.0 and acme["avg"].raw == pytest.approx((5 * 7 + 40) / 8)
    assert by_key(kit.scorecards.explain(world.globex))["peak"].why == "no value"  # no usage: NA for max
    assert by_key(kit.scorecards.explain(rel))["peak"].raw == 40.0


def test_storage_calls_are_the_same_for_10_and_300_companies__SCORE_02(kit: sk.Kit) -> None:
    """Each signal measure costs a fixed number of calls, whatever the number of records."""
    world = Signals(kit)
    world.measures()
    calls = []
    made = 0
    for n in (10, 300):
        rows = kit.companies.create_many([{"name": f"C{i}"} for i in range(made, n)])
        made = n
        for c in rows[::5]:
            world.usage(c, 2, 1, days=3)
            world.call(c, "yellow")
        world.answers(rows[0], [9, 5])
        kit.scorecards.recompute()
        kit.store.stats.reset()
        kit.scorecards.recompute()
        calls.append(dict(kit.store.stats.calls))
    assert calls[0] == calls[1]


@pytest.mark.parametrize(
    ("source", "value"),
    [
        ({"type": "usage", "metric": "nope"}, "nope"),
        ({"type": "usage", "metric": "logins", "days": 0}, 0),
        ({"type": "usage", "metric": "logins", "function": "median"}, "median"),
        ({"type": "usage", "metric": "logins", "value": "ratio"}, "ratio"),
        ({"type": "usage", "metric": "logins", "window": 3}, "window"),
        ({"type": "survey", "score": "ces"}, "ces"),
        ({"type": "survey", "score": "nps", "months": 121}, 121),
        ({"type": "survey", "score": "nps", "map": {"linear": [5, 1]}}, [5, 1]),
        ({"type": "activity_field", "field": "mood", "values": SENTIMENT}, "mood"),
        ({"type": "activity_field", "field": "subject", "values": SENTIMENT}, "subject"),
        ({"type": "activity_field", "field": "sentiment"}, "sentiment"),
        ({"type": "activity_field", "field": "sentiment", "values": {"red": 101}}, 101),
        ({"type": "activity_field", "field": "sentiment", "types": ["séance"], "values": SENTIMENT}, "séance"),
        ({"type": "activity_field", "field": "sentiment", "types": "call", "values": SENTIMENT}, "call"),
    ],
)
def test_bad_signal_sources_are_refused__SCORE_02(kit: sk.Kit, source: dict[str, Any], value: Any) -> None:
    Signals(kit)
    before = snapshot(kit)
    with pytest.raises(sk.RuleViolation) as e:
        kit.measures.create("bad", source=source)
    assert (e.value.rule, e.value.value) == ("SCORE_02", value)
    assert snapshot(kit) == before
