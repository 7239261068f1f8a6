"""Attribute history (HIST_01): tracked attributes of companies and relationships keep an
append-only history in the same transaction as the change, read as a time series."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

import successkit as sk
from successkit.testing import fail_each_write

from .helpers import snapshot


@pytest.fixture
def acme(kit: sk.Kit) -> sk.Company:
    return kit.companies.create("Acme", stage="Onboarding", arr=1000.0)


def test_tracked_changes_are_kept_with_who_and_when__HIST_01(
    kit: sk.Kit, clock: sk.FixedClock, acme: sk.Company
) -> None:
    ada = kit.users.create("Ada")
    first = kit.companies.update(acme, stage="Adoption", industry="Retail")  # industry is not tracked
    clock.advance(days=3)
    kit.as_user(ada).companies.update(first, arr=1500.0, csm_id=ada.id)
    stages = kit.history.series("stage")
    assert [(p.old, p.value, p.by) for p in stages] == [("Onboarding", "Adoption", None)]
    arr = kit.history.series("arr", records=[acme])
    assert [(p.old, p.value, p.by, p.at.date()) for p in arr] == [(1000.0, 1500.0, ada.id, date(2026, 11, 27))]
    assert kit.history.series("industry").points == ()
    assert [p.value for p in kit.history.series("csm_id")] == [ada.id]
    assert len(kit.history.series("arr", since=date(2026, 11, 28))) == 0
    assert len(kit.history.series("arr", until=date(2026, 11, 27))) == 1


def test_an_administrator_chooses_what_is_tracked__HIST_01(kit: sk.Kit, acme: sk.Company) -> None:
    kit.custom_fields.declare("company", "tier", "dropdown", options=["Gold", "Silver"])
    assert kit.history.track("company", ["industry", "tier"]) == ("industry", "fields.tier")
    kit.companies.update(acme, industry="Retail", stage="Adoption", fields={"tier": "Gold"})
    assert [p.value for p in kit.history.series("fields.tier")] == ["Gold"]
    assert [p.value for p in kit.history.series("industry")] == ["Retail"]
    assert kit.history.series("stage").points == ()  # no longer tracked
    with pytest.raises(sk.ValidationError) as e:
        kit.history.track("company", ["version"])
    assert e.value.rule == "HIST_01"
    with pytest.raises(sk.ValidationError, match="HIST_01"):
        kit.history.track("plan", ["status"])


def test_history_is_written_in_the_same_transaction__HIST_01(kit: sk.Kit, acme: sk.Company) -> None:
    """A failure at any write of an update leaves neither the change nor its history
    (the store is checked unchanged after each); the run that gets through keeps both."""
    points = fail_each_write(kit, lambda: kit.companies.update(kit.companies.get(acme.id), stage="Renewal"))
    assert points == 2  # the company, then its history
    assert [p.value for p in kit.history.series("stage")] == ["Renewal"]


def test_relationships_and_the_nps_kept_in_step_keep_history__HIST_01(kit: sk.Kit, acme: sk.Company) -> None:
    rel = kit.relationships.create(acme, kit.relationship_types.create("Region"), "Acme EU", arr=10.0)
    kit.relationships.update(rel, arr=20.0)
    (point,) = kit.history.series("arr", records=[rel])
    assert (point.old, point.value) == (10.0, 20.0)
    survey = kit.surveys.create("Pulse", [{"key": "nps", "type": "nps", "text": "?"}])
    kit.surveys.respond(survey, kit.people.create("Ann", company=acme), {"nps": 10}, company=acme)
    kit.surveys.update_nps()
    assert [(p.old, p.value) for p in kit.history.series("nps")] == [(None, 100.0)]
    frame: Any = kit.history.series("arr").to_pandas() if _pandas() else None
    assert frame is None or list(frame.columns) == ["record_id", "at", "value", "old", "by"]


def _pandas() -> bool:
    try:
        import pandas  # noqa: F401
    except ImportError:
        return False
    return True


def test_update_many_writes_the_changes_and_their_history_in_bounded_calls__HIST_01(kit: sk.Kit) -> None:
    """One transaction: one read of the companies, one bulk update, one bulk history insert,
    for 3 companies as for 60; a stale record or an unknown id changes nothing."""
    kit.history.tracked("company")  # the settings are read once, then kept
    seen = []
    for n in (3, 60):
        made = kit.companies.create_many([{"name": f"C{n}-{i}", "arr": 10.0} for i in range(n)])
        kit.store.stats.reset()
        done = kit.companies.update_many([(c.id, {"arr": 20.0, "industry": "Retail"}) for c in made])
        seen.append(dict(kit.store.stats.calls))
        assert {c.arr for c in done} == {20.0}
        assert len(kit.history.series("arr", records=made)) == n
    assert seen[0] == seen[1] and seen[0]["update_many"] == seen[0]["insert_many"] == seen[0]["get_many"] == 1
    stale, fresh = made[0], kit.companies.get(made[1].id)
    before = snapshot(kit)
    with pytest.raises(sk.ConflictError):
        kit.companies.update_many([(fresh, {"arr": 30.0}), (stale, {"arr": 30.0})])
    with pytest.raises(sk.NotFound):
        kit.companies.update_many([(fresh, {"arr": 30.0}), ("nobody", {"arr": 30.0})])
    with pytest.raises(sk.ValidationError):
        kit.companies.update_many([(fresh, {"arr": "lots"})])
    assert snapshot(kit) == before


def test_history_rows_get_ids_in_the_order_they_are_written__HIST_01(kit: sk.Kit, clock: sk.FixedClock) -> None:
    """The history is append-only, so its ids grow with time and within one bulk write:
    the id index is appended to. They look like any id (32 hex characters) and differ."""
    made = kit.companies.create_many([{"name": f"C{i}"} for i in range(5)])
    kit.companies.update_many([(c, {"stage": "Adoption", "arr": 10.0}) for c in made])
    clock.advance(days=1)
    kit.companies.update_many([(c.id, {"stage": "Renewal"}) for c in made])
    rows = kit.history.list(sort=["created_at", "record_version", "id"])
    ids = [r.id for r in rows]
    assert len(ids) == 15 and len(set(ids)) == 15
    assert all(len(i) == 32 and int(i, 16) >= 0 for i in ids)
    assert ids[10:] == sorted(ids[10:]) and min(ids[10:]) > max(ids[:10])  # a later write, later ids
    first = [r.id for r in kit.history.list([("created_at", "=", rows[0].created_at)], sort=["id"])]
    assert sorted(first) == first and len(first) == 10
