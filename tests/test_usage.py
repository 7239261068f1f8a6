"""Product usage (USAGE_01-03): idempotent bulk ingestion, loads refused whole, window
aggregates with their change in two storage calls, power users and lost power users."""

from __future__ import annotations

import io
from datetime import date, timedelta
from typing import Any

import pytest

import successkit as sk

from .helpers import snapshot

TODAY = date(2026, 11, 24)  # the kit fixture's clock


@pytest.fixture
def usage(kit: sk.Kit) -> dict[str, Any]:
    kit.metrics.declare("logins", "Logins", unit="sessions")
    acme, globex = kit.companies.create("Acme"), kit.companies.create("Globex")
    rel = kit.relationships.create(acme, kit.relationship_types.create("Region"), "Acme EU")
    ann, bob = kit.people.create("Ann", company=acme), kit.people.create("Bob", company=acme)
    rows = []
    for d in range(60):
        day = TODAY - timedelta(days=d)
        rows.append({"metric": "logins", "company": acme, "person": ann, "period": day, "value": 3 if d < 30 else 1})
        if d >= 30:  # Bob was active in the earlier window only
            rows.append({"metric": "logins", "company": acme, "person": bob, "period": day, "value": 5})
        rows.append({"metric": "logins", "relationship": rel, "period": day, "value": 1})
        rows.append({"metric": "logins", "company": globex.id, "period": day.isoformat(), "value": 2})
    return {"kit": kit, "acme": acme, "globex": globex, "rel": rel, "ann": ann, "bob": bob, "rows": rows}


def test_ingesting_the_same_facts_again_replaces_them__USAGE_01(usage: dict[str, Any]) -> None:
    kit, rows = usage["kit"], usage["rows"]
    first = kit.usage.ingest(rows)
    assert (first.inserted, first.replaced, first.unchanged, first.written) == (len(rows), 0, 0, len(rows))
    assert kit.usage.count() == len(rows)
    stored = {f.id: f for f in kit.usage.list()}
    again = kit.usage.ingest(rows)  # the same facts again: nothing is written
    assert (again.inserted, again.replaced, again.unchanged, again.written) == (0, 0, len(rows), 0)
    assert {f.id: f for f in kit.usage.list()} == stored  # same versions and stamps
    changed = kit.usage.ingest([{**rows[0], "value": 99}, {**rows[0], "value": 100}])  # in a batch, the last wins
    assert (changed.inserted, changed.replaced, changed.unchanged) == (0, 1, 0)
    fact = kit.usage.get(sk.fact_id("logins", "company", usage["acme"].id, usage["ann"].id, TODAY))
    assert fact.value == 100.0 and fact.company_id == usage["acme"].id
    assert fact.version == stored[fact.id].version + 1 and fact.created_at == stored[fact.id].created_at


def test_a_load_with_bad_rows_is_refused_whole_naming_them__USAGE_01(usage: dict[str, Any]) -> None:
    kit, acme, globex = usage["kit"], usage["acme"], usage["globex"]
    good = {"metric": "logins", "company": acme, "period": TODAY, "value": 1}
    bad = [
        good,
        {**good, "metric": "clicks"},
        {**good, "value": -1},
        {**good, "period": "yesterday"},
        {**good, "company": "nobody"},
        {**good, "person": usage["ann"], "company": globex},  # Ann works at Acme
        {**good, "value": True},
        {**good, "relationship": usage["rel"]},  # both a company and a relationship
    ]
    before = snapshot(kit)
    with pytest.raises(sk.ValidationError) as e:
        kit.usage.ingest(bad)
    assert e.value.rule == "USAGE_01" and e.value.value == [2, 3, 4, 5, 6]
    for text in ("row 2: metric", "row 3: value", "row 4: period", "row 5: company", "row 6: person", "and 2 more"):
        assert text in e.value.message
    assert snapshot(kit) == before


def test_windows_aggregate_per_record_with_their_change__USAGE_02(usage: dict[str, Any]) -> None:
    """Sum, mean, max and distinct active people over the last 30 days and the 30 before;
    a company's window counts its relationships' facts; two storage calls for all records."""
    kit, acme, globex, rel = usage["kit"], usage["acme"], usage["globex"], usage["rel"]
    kit.usage.ingest(usage["rows"])
    kit.store.stats.reset()
    window = kit.usage.window("logins", days=30)
    assert kit.store.stats.calls["aggregate"] == 2 and kit.store.stats.total == 2 + kit.store.stats.calls["query"]
    a = window.of(acme)
    assert a is not None and (a.current, a.previous) == (30 * 3 + 30.0, 30 * 1 + 30 * 5 + 30.0)
    assert a.change == pytest.approx(100 * (120 - 210) / 210)
    g = window.of(globex)
    assert g is not None and (g.current, g.previous, g.change) == (60.0, 60.0, 0.0)
    assert (window.start, window.end) == (TODAY - timedelta(days=29), TODAY)
    people = kit.usage.window("logins", days=30, function="active_persons", records=[acme])
    assert [(r.current, r.previous) for r in people] == [(1, 2)]
    assert kit.usage.window("logins", days=30, function="max").of(acme).previous == 5.0
    of_rel = kit.usage.window("logins", days=30, function="mean", record_kind="relationship")
    assert [(r.record_id, r.current) for r in of_rel] == [(rel.id, 1.0)]
    frame = window.to_pandas() if _has_pandas() else None
    assert frame is None or list(frame.columns) == ["record_id", "current", "previous", "change"]


def test_power_users_and_lost_power_users__USAGE_03(usage: dict[str, Any]) -> None:
    kit, acme, ann, bob = usage["kit"], usage["acme"], usage["ann"], usage["bob"]
    kit.usage.ingest(usage["rows"])
    assert kit.usage.power_users(acme, "logins", days=30, top=2) == [(ann.id, 90.0)]
    assert kit.usage.power_users(acme, "logins", days=60, top=1) == [(bob.id, 150.0)]
    assert kit.usage.lost_power_users(acme, "logins", days=30, top=2) == [bob.id]


def test_csv_and_dataframe_loads__USAGE_01(usage: dict[str, Any]) -> None:
    kit, acme = usage["kit"], usage["acme"]
    text = f"metric,company,person,period,value\nlogins,{acme.id},,2026-11-20,4\nlogins,{acme.id},,2026-11-21,6\n"
    assert kit.usage.load_csv(io.StringIO(text)).written == 2
    with pytest.raises(sk.ValidationError, match="row 1: value"):
        kit.usage.load_csv(io.StringIO(f"metric,company,period,value\nlogins,{acme.id},2026-11-22,many\n"))
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(
        {"metric": ["logins"], "company": [acme.id], "period": [pd.Timestamp("2026-11-20")], "value": [7]}
    )
    assert kit.usage.load_frame(frame).replaced == 1
    row = kit.usage.window("logins", days=5).of(acme)
    assert row is not None and row.current == 13.0


@pytest.mark.parametrize(
    ("call", "rule"),
    [
        (lambda k: k.usage.window("clicks"), "USAGE_01"),
        (lambda k: k.usage.window("logins", days=0), "USAGE_02"),
        (lambda k: k.usage.window("logins", function="median"), "USAGE_02"),
        (lambda k: k.usage.window("logins", record_kind="person"), "USAGE_02"),
        (lambda k: k.usage.power_users(k.companies.list()[0], "logins", top=0), "USAGE_03"),
        (lambda k: k.metrics.declare("logins"), "USAGE_01"),
    ],
)
def test_bad_usage_calls_are_refused__USAGE_01_USAGE_02_USAGE_03(usage: dict[str, Any], call: Any, rule: str) -> None:
    with pytest.raises(sk.ValidationError) as e:
        call(usage["kit"])
    assert e.value.rule == rule


def _has_pandas() -> bool:
    try:
        import pandas  # noqa: F401
    except ImportError:
        return False
    return True


def test_erasing_a_person_deletes_the_usage_measured_of_them__USAGE_01_PERSON_01(usage: dict[str, Any]) -> None:
    kit, ann = usage["kit"], usage["ann"]
    kit.usage.ingest(usage["rows"])
    before = kit.usage.count()
    kit.people.erase(ann)
    assert kit.usage.count([("person_id", "=", ann.id)]) == 0
    assert kit.usage.count() == before - 60
