"""Recomputing scores, their place in the query language, and their history
(SCORE_06, SCORE_07, SCORE_11) on every backend: one transaction, bounded
storage calls, a fault at any write leaving scores and snapshots as before."""

from __future__ import annotations

import sqlite3
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

import successkit as sk
from successkit.health.recompute import snapshot_id
from successkit.testing.faults import fail_each_write

from .helpers import snapshot
from .test_scorecards import Health, by_key

TODAY = date(2026, 11, 24)


@pytest.fixture
def h(kit: sk.Kit) -> Health:
    world = Health(kit)
    world.card()
    return world


def names(records: Any) -> list[str]:
    return [r.name for r in records]


# ------------------------------------------------------------------ SCORE_11
def test_recompute_keeps_health_score_in_step__SCORE_11(h: Health) -> None:
    kit = h.kit
    run = kit.scorecards.recompute()
    assert isinstance(run, sk.Outcome) and run.record is None
    assert (run.target, run.day, run.scored, run.na, run.unscored, run.snapshots) == ("company", TODAY, 3, 0, 0, 3)
    acme = kit.companies.get(h.acme)
    explained = kit.scorecards.explain(acme)
    assert (acme.health_score, acme.score_grade, acme.scorecard) == (explained.score, explained.grade, "standard")
    assert {r.id for r in run.created} == {h.acme.id, h.beta.id, h.gamma.id}
    assert names(kit.companies.list([("health_score", ">=", 70)], sort=["name"])) == ["Acme", "Gamma"]
    assert kit.relationships.get(h.rel).health_score is None  # no relationship scorecard
    rels = kit.scorecards.recompute("relationship")
    assert (rels.scored, rels.unscored, rels.snapshots) == (0, 1, 0)


def test_recompute_changes_only_what_changed__SCORE_11(h: Health) -> None:
    kit = h.kit
    kit.scorecards.recompute()
    again = kit.scorecards.recompute()
    assert again.created == () and again.grade_changes == () and again.snapshots == 3
    assert kit.companies.get(h.acme).version == 2


def test_records_no_scorecard_scores_keep_a_score_set_by_hand__SCORE_11(h: Health) -> None:
    kit = h.kit
    kit.scorecards.update("standard", default=False, where=[("arr", ">=", 50_000)])
    kit.companies.update(h.gamma, health_score=33)
    run = kit.scorecards.recompute()
    assert (run.scored, run.unscored) == (2, 1)
    assert kit.companies.get(h.gamma).health_score == 33  # never scored: left alone
    kit.scorecards.update("standard", where=[("arr", ">=", 80_000)])
    run = kit.scorecards.recompute()
    beta = kit.companies.get(h.beta)  # scored before, no scorecard now: its score is cleared
    assert (beta.health_score, beta.score_grade, beta.scorecard, beta.score_trend) == (None, None, None, None)
    assert sk.GradeChange(h.beta.id, "Yellow", None) in run.grade_changes


def test_recompute_is_one_transaction_a_fault_at_any_write_changes_nothing__SCORE_11(
    h: Health, clock: sk.FixedClock
) -> None:
    kit = h.kit
    kit.scorecards.set_value(h.acme, "sentiment", 90)
    kit.scorecards.recompute()
    clock.advance(days=1)
    h.risk(h.acme)
    kit.scorecards.set_value(h.beta, "sentiment", 10)
    kit.scorecards.recompute()
    kit.scorecards.override(h.gamma, 12, reason="churn notice", expires_on=TODAY + timedelta(days=5))
    history = len(kit.history.series("health_score"))
    points = fail_each_write(kit, kit.scorecards.recompute)
    # snapshots deleted and inserted, companies updated, their history (HIST_01) inserted: each
    # failed in turn, each leaving scores, snapshots and history as they were
    assert points == 4
    assert len(kit.history.series("health_score")) == history + 1  # the run that got through: Gamma's 12
    assert kit.companies.get(h.gamma).health_score == 12
    assert len(kit.scorecards.history([h.acme, h.beta, h.gamma])) == 6


def test_recompute_storage_calls_are_the_same_for_10_and_300_companies__SCORE_11(open_kit: Any) -> None:
    """A recompute that scores, snapshots, updates and writes history makes the same calls whatever N."""
    calls = []
    for n in (10, 300):
        kit = open_kit(at="memory://")
        world = Health(kit)
        kit.custom_fields.declare("company", "seats", "number")
        kit.measures.create("seats", source={"type": "field", "field": "seats", "map": {"linear": [0, 500]}})
        world.card(measures=["nps", "risks", "sentiment", "seats"])
        kit.scorecards.create("retail", where=[("industry", "=", "Retail")], measures=["nps", "sentiment"])
        rows = [{"name": f"C{i}", "nps": i % 200 - 100, "industry": "Retail" if i % 3 else None,
                 "fields": {"seats": i}} for i in range(n)]  # fmt: skip
        companies = kit.companies.create_many(rows)
        for c in companies[::4]:
            kit.scorecards.set_value(c, "sentiment", 60)
            world.risk(c)
        kit.scorecards.override(companies[0], 1, reason="r", expires_on=TODAY)
        kit.scorecards.recompute()
        for c in companies[1::5]:  # scores that change: their history is written too (HIST_01)
            kit.scorecards.set_value(c, "sentiment", 5)
        kit.store.stats.reset()
        run = kit.scorecards.recompute(today=TODAY + timedelta(days=1))
        calls.append(dict(kit.store.stats.calls))
        assert run.scored == n + 3
        changed = kit.store.count(kit.bind("attribute_change", sk.Query([("attribute", "=", "health_score")])))
        assert changed > n + 3  # every company once on the first run, and the changed ones again
    assert calls[0] == calls[1]
    assert calls[0]["insert_many"] == 2  # the snapshots, and the history of the changed scores
    assert sum(calls[0].values()) <= 12, calls[0]


def test_bounded_calls_on_every_backend__SCORE_11(h: Health) -> None:
    kit = h.kit
    kit.scorecards.set_value(h.acme, "sentiment", 50)
    kit.scorecards.recompute()
    kit.store.stats.reset()
    kit.scorecards.recompute()
    # lock, begin, scorecards + measures, companies, entries, one count, overrides, snapshots, delete, insert
    assert kit.store.stats.total == 10, kit.store.stats.calls


def test_recompute_refuses_bad_arguments__SCORE_11(h: Health) -> None:
    before = snapshot(h.kit)
    for target in ("person", None, 5, ["company"]):
        with pytest.raises(sk.RuleViolation, match="SCORE_01"):
            h.kit.scorecards.recompute(target)  # type: ignore[arg-type]
    for today in ("2026-11-24", 5, sk.FixedClock):
        with pytest.raises(sk.ValidationError, match="SEC_05"):
            h.kit.scorecards.recompute(today=today)  # type: ignore[arg-type]
    assert snapshot(h.kit) == before


def test_an_older_sqlite_file_gains_the_score_columns__SCORE_11(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    new = ("score_grade", "score_previous", "score_trend", "scorecard")
    with sqlite3.connect(path) as conn:  # company and relationship tables from before scorecards
        kit = sk.open("memory://", entry_points=False)
        for kind in ("company", "relationship"):
            cols = [c.name for c in kit.store.schema(kind).columns if c.name not in new]
            conn.execute(f"CREATE TABLE {kind} ({', '.join(cols)})")
        conn.execute("INSERT INTO company (id, version, created_at, updated_at, fields, name, health_score) "
                     "VALUES ('old', 1, '2026-01-01T00:00:00.000000+00:00', '2026-01-01T00:00:00.000000+00:00', "
                     "'{}', 'Old Co', 55.0)")  # fmt: skip
    kit = sk.open(f"sqlite:///{path}", entry_points=False, clock=TODAY)
    old = kit.companies.get("old")
    assert (old.health_score, old.score_grade, old.scorecard) == (55.0, None, None)
    kit.measures.create("hs", source={"type": "field", "field": "health_score"})
    kit.scorecards.create("standard", default=True, measures=["hs"])
    kit.scorecards.recompute()
    assert kit.companies.list([("score.grade", "=", "Yellow")])[0].id == "old"
    kit.close()


def test_an_older_postgres_schema_gains_the_score_columns__SCORE_11(fresh_pg_url: str) -> None:
    import psycopg

    from .conftest import PG_URL

    sk.open(fresh_pg_url, entry_points=False).close()
    schema = fresh_pg_url.rsplit("schema=", 1)[1]
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        for column in ("score_grade", "score_previous", "score_trend", "scorecard"):
            conn.execute(f'ALTER TABLE "{schema}".company DROP COLUMN {column}')
        conn.execute(f'DROP TABLE "{schema}".score_snapshot')
    kit = sk.open(fresh_pg_url, entry_points=False, clock=TODAY)
    try:
        world = Health(kit)
        world.card()
        kit.scorecards.recompute()
        assert names(kit.companies.list([("score.grade", "=", "Green")], sort=["name"])) == ["Acme", "Gamma"]
    finally:
        kit.close()


# ------------------------------------------------------------------ SCORE_06
def two_days(h: Health, clock: sk.FixedClock) -> None:
    """Day one: everybody scored; day two: Acme drops (three risks), Beta rises."""
    kit = h.kit
    kit.scorecards.set_value(h.beta, "sentiment", 20)
    kit.scorecards.recompute()
    clock.advance(days=1)
    for i in range(3):
        h.risk(h.acme, f"Risk {i}")
    kit.scorecards.set_value(h.beta, "sentiment", 90)
    kit.scorecards.recompute()


def test_score_previous_and_trend_are_kept__SCORE_06(h: Health, clock: sk.FixedClock) -> None:
    two_days(h, clock)
    acme, beta, gamma = (h.kit.companies.get(c) for c in (h.acme, h.beta, h.gamma))
    assert (acme.score_previous, acme.health_score, acme.score_trend) == (80.0, round(160 / 3, 2), "down")
    assert (beta.score_previous, beta.health_score, beta.score_trend) == (50.0, 67.5, "up")
    assert (gamma.score_previous, gamma.score_trend) == (gamma.health_score, "same")


def test_score_grade_trend_value_and_previous_in_the_query_language__SCORE_06(h: Health, clock: sk.FixedClock) -> None:
    kit = h.kit
    two_days(h, clock)
    assert names(kit.companies.list([("score.trend", "=", "down")])) == ["Acme"]
    assert names(kit.companies.list([("score.grade", "=", "Yellow")], sort=["-arr"], limit=50)) == ["Acme", "Beta"]
    assert names(kit.companies.list(sort=["-score.value"])) == ["Gamma", "Beta", "Acme"]
    assert names(kit.companies.list([("score.previous", ">", 60)], sort=["name"])) == ["Acme", "Gamma"]
    moved = [("score.trend", "in", ["up", "down"]), ("score.scorecard", "=", "standard")]
    assert names(kit.companies.list(moved, logic="1 AND 2", sort=["name"])) == ["Acme", "Beta"]
    assert kit.companies.count([("score.grade", "=", "Green")]) == 1
    assert kit.companies.group("score.grade") == [("Green", 1), ("Yellow", 2)]
    with pytest.raises(sk.QueryError, match=r"score\.grade"):
        kit.companies.list([("score.colour", "=", "red")])


def test_rules_select_by_score_grade__SCORE_06(h: Health, clock: sk.FixedClock) -> None:
    kit = h.kit
    two_days(h, clock)
    kit.rules.create(
        "Dropping health",
        where=[("score.trend", "=", "down"), ("score.grade", "!=", "Green")],
        actions=[{"do": "create_cta", "name": "Health dropped: {name}", "type": "lifecycle", "owner": h.alice.id}],
    )
    run = kit.rules.run("Dropping health")
    assert (run.matched, run.created) == (1, 1)
    assert [c.name for c in kit.ctas.list([("name", "starts with", "Health dropped")])] == ["Health dropped: Acme"]


def test_a_change_within_the_tolerance_is_same__SCORE_06(h: Health, clock: sk.FixedClock) -> None:
    kit = h.kit
    kit.scorecards.update("standard", trend_tolerance=5)
    kit.scorecards.set_value(h.acme, "sentiment", 80)
    kit.scorecards.recompute()
    clock.advance(days=1)
    kit.scorecards.set_value(h.acme, "sentiment", 90)  # the score moves by 2.5
    kit.scorecards.recompute()
    assert kit.companies.get(h.acme).score_trend == "same"


def test_a_rerun_in_the_same_period_keeps_the_previous_score__SCORE_06(h: Health, clock: sk.FixedClock) -> None:
    kit = h.kit
    two_days(h, clock)
    clock.advance(hours=3)
    kit.scorecards.recompute()  # again on day two: previous is still day one's score
    acme = kit.companies.get(h.acme)
    assert (acme.score_previous, acme.score_trend) == (80.0, "down")


# ------------------------------------------------------------------ SCORE_07
def test_one_snapshot_per_record_per_period_a_rerun_replaces_it__SCORE_07(h: Health, clock: sk.FixedClock) -> None:
    kit = h.kit
    kit.scorecards.recompute()
    h.risk(h.acme)
    clock.advance(hours=2)
    kit.scorecards.recompute()  # the same day: replaces
    series = kit.scorecards.history(h.acme)
    assert [(p.period, p.score, p.grade) for p in series] == [(TODAY, round((140 + 60) / 3, 2), "Yellow")]
    assert series[0].measures["risks"] == {"raw": 1, "score": 60.0, "na": False}
    assert series[0].measures["sentiment"] == {"raw": None, "score": None, "na": True}
    clock.advance(days=1)
    kit.scorecards.recompute()
    assert [p.period for p in kit.scorecards.history(h.acme)] == [TODAY, TODAY + timedelta(days=1)]
    ids = [snapshot_id("company", h.acme.id, p.period) for p in kit.scorecards.history(h.acme)]
    assert len(kit.store.get_many("score_snapshot", ids)) == 2


@pytest.mark.parametrize(("period", "starts"), [("week", date(2026, 11, 23)), ("month", date(2026, 11, 1))])
def test_week_and_month_periods__SCORE_07(h: Health, clock: sk.FixedClock, period: str, starts: date) -> None:
    kit = h.kit
    kit.scorecards.update("standard", period=period)
    kit.scorecards.recompute()
    clock.advance(days=4)  # Saturday 28 November: the same week and month
    h.risk(h.acme)
    kit.scorecards.recompute()
    series = kit.scorecards.history(h.acme)
    assert [(p.period, p.score) for p in series] == [(starts, kit.companies.get(h.acme).health_score)]


def test_history_is_a_time_series_with_pandas_export__SCORE_07(h: Health, clock: sk.FixedClock) -> None:
    pd = pytest.importorskip("pandas")
    kit = h.kit
    two_days(h, clock)
    clock.advance(days=1)
    kit.scorecards.recompute()
    both = kit.scorecards.history([h.acme, h.beta.id])
    assert [(p.record_id, p.period) for p in both] == sorted(
        (c, TODAY + timedelta(days=d)) for c in (h.acme.id, h.beta.id) for d in range(3)
    )
    assert [p.score for p in both.of(h.beta)] == [50.0, 67.5, 67.5]
    window = kit.scorecards.history(h.beta, since=TODAY + timedelta(days=1), until=TODAY + timedelta(days=1))
    assert [p.period for p in window] == [TODAY + timedelta(days=1)]
    frame = both.to_pandas()
    assert list(frame.columns) == [
        "record_kind", "record_id", "period", "scorecard", "score", "grade",
        "measure.nps", "measure.risks", "measure.sentiment",
    ]  # fmt: skip
    assert str(frame["period"].dtype) == "datetime64[us]" and frame["score"].dtype == "float64"
    assert str(frame["grade"].dtype) == "category"
    assert len(frame) == 6 and frame.loc[frame["record_id"] == h.acme.id, "measure.sentiment"].isna().all()
    assert frame.loc[frame["record_id"] == h.beta.id, "measure.sentiment"].tolist() == [20.0, 90.0, 90.0]
    assert kit.scorecards.history([]).to_pandas().empty
    assert isinstance(pd.DataFrame(both.to_dicts()), pd.DataFrame)


def test_history_refuses_what_is_not_a_record__SCORE_07(h: Health) -> None:
    for bad in (5, None, b"x", {"id": "x"}, [5], "", [""], {h.acme.id}):
        with pytest.raises(sk.ValidationError):
            h.kit.scorecards.history(bad)  # type: ignore[arg-type]
    for since in ("2026-11-01", 5):
        with pytest.raises(sk.ValidationError, match="SEC_05"):
            h.kit.scorecards.history(h.acme, since=since)  # type: ignore[arg-type]


def test_explain_equals_what_recompute_stored__SCORE_05(h: Health, clock: sk.FixedClock) -> None:
    two_days(h, clock)
    for c in (h.acme, h.beta, h.gamma):
        e = h.kit.scorecards.explain(c)
        stored = h.kit.companies.get(c)
        last = h.kit.scorecards.history(c)[-1]
        assert (e.score, e.grade) == (stored.health_score, stored.score_grade) == (last.score, last.grade)
        assert {m.key: m.score for m in e.measures} == {k: v["score"] for k, v in last.measures.items()}
        assert by_key(e)["nps"].raw == last.measures["nps"]["raw"]


def test_deleting_a_company_deletes_its_scores__SCORE_07(h: Health) -> None:
    kit = h.kit
    kit.scorecards.set_value(h.gamma, "sentiment", 50)
    kit.scorecards.override(h.gamma, 5, reason="r", expires_on=TODAY)
    kit.scorecards.recompute()
    kit.companies.delete(h.gamma)
    assert len(kit.scorecards.history(h.gamma.id)) == 0
    assert kit.store.count(kit.bind("measure_entry", sk.Query([("record_id", "=", h.gamma.id)]))) == 0
    assert kit.store.count(kit.bind("score_override", sk.Query())) == 0
    assert len(kit.scorecards.history(h.acme)) == 1
    rels = kit.scorecards.create("rels", target="relationship", default=True, measures=["nps"])
    kit.scorecards.recompute("relationship")
    assert kit.scorecards.history(h.rel)[0].scorecard == rels.key
    kit.relationships.delete(h.rel)
    assert len(kit.scorecards.history(h.rel.id)) == 0


# ------------------------------------------------------------------ SCORE_12
def test_the_360_shows_the_scorecard_section__SCORE_12(h: Health, clock: sk.FixedClock) -> None:
    """Score, grade, colour, trend, each measure's value or NA, the recent snapshots; in
    text, HTML and the dict; three storage calls more for a scored company, none unscored."""
    kit = h.kit
    kit.c360.company(h.acme)  # the kit reads its custom-field declarations once
    kit.store.stats.reset()
    unscored = kit.c360.company(h.acme)
    unscored_calls = kit.store.stats.total
    assert unscored.score is None and "Scorecard" not in unscored.describe()
    kit.scorecards.recompute()
    clock.advance(days=1)
    kit.scorecards.recompute()
    kit.store.stats.reset()
    view = kit.c360.company(h.acme)
    assert kit.store.stats.total == unscored_calls + 3
    section = view.score
    acme = kit.companies.get(h.acme)
    assert section is not None and (section.score, section.grade, section.trend) == (
        acme.health_score, acme.score_grade, acme.score_trend)  # fmt: skip
    assert section.colour is not None and section.colour.startswith("#")
    assert [p.period for p in section.recent] == [TODAY + timedelta(days=1), TODAY]
    assert {m.key for m in section.measures} == {m["measure"] for m in kit.scorecards.get("standard").measures}
    assert f"Scorecard ({acme.score_grade})" in view.describe()
    assert "Scorecard" in view._repr_html_() and view.to_dict()["score"]["grade"] == acme.score_grade
