"""The storage conformance suite: what every backend must do (STORE_01-STORE_04).

Each test works through a ``kit`` fixture the including test module provides,
opened on an empty store of the backend under test; the tests of
:mod:`.persistence` also take a ``reopen`` fixture opening another kit on it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from typing import Any

import attrs
import pytest

import successkit as sk
from successkit.query.language import ByField, CalendarQuarter, FiscalQuarter, Query

from .faults import fail_each_write, snapshot
from .persistence import PersistenceConformance

__all__ = ["StoreConformance"]


def _companies(kit: sk.Kit, n: int = 5) -> list[sk.Company]:
    return kit.companies.create_many(
        [
            {
                "name": f"Company {i}",
                "arr": float(i * 100) if i % 2 else None,
                "renewal_date": date(2027, 1 + i % 12, 1),
                "stage": ["Onboarding", "Adoption"][i % 2],
            }
            for i in range(n)
        ]
    )


_snapshot = snapshot


class StoreConformance(PersistenceConformance):
    """Subclass in a test module that provides a ``kit`` fixture, and a ``reopen``
    fixture (another kit on the same store) for the persistence and concurrency
    tests (:mod:`.persistence`)."""

    # ------------------------------------------------------------ records
    def test_insert_then_get_returns_equal_record__STORE_01(self, kit: sk.Kit) -> None:
        c = kit.companies.create(
            "Acme", arr=120_000, renewal_date=date(2027, 3, 31), fields={"tier": "gold", "seats": 12}
        )
        assert kit.store.get("company", c.id) == c

    def test_get_missing_raises_not_found__STORE_01(self, kit: sk.Kit) -> None:
        with pytest.raises(sk.NotFound) as e:
            kit.store.get("company", "nope")
        assert e.value.id == "nope"

    def test_get_many_keeps_order_and_skips_missing__STORE_01(self, kit: sk.Kit) -> None:
        a, _, c = _companies(kit, 3)
        got = kit.store.get_many("company", [c.id, "missing", a.id])
        assert [r.id for r in got] == [c.id, a.id]

    def test_duplicate_id_in_batch_writes_nothing__STORE_03(self, kit: sk.Kit) -> None:
        existing = kit.companies.create("Existing")
        fresh = attrs.evolve(existing, id=sk.records.new_id(), name="Fresh")
        before = _snapshot(kit)
        with pytest.raises(sk.ConflictError):
            kit.store.insert_many([fresh, existing])
        assert _snapshot(kit) == before

    def test_unknown_kind_is_a_clear_error__STORE_01(self, kit: sk.Kit) -> None:
        with pytest.raises(sk.ValidationError, match="unknown record kind"):
            kit.store.get("spaceship", "x")

    # -------------------------------------------------------- versions
    def test_update_bumps_version__STORE_04(self, kit: sk.Kit) -> None:
        c = kit.companies.create("Acme")
        c2 = kit.companies.update(c, stage="Adoption")
        assert c2.version == c.version + 1
        assert kit.companies.get(c.id).stage == "Adoption"

    def test_stale_update_is_refused__STORE_04(self, kit: sk.Kit) -> None:
        c = kit.companies.create("Acme")
        kit.companies.update(c, stage="Adoption")
        with pytest.raises(sk.ConflictError) as e:
            kit.companies.update(c, stage="Renewal")  # c is stale now
        assert e.value.rule == "STORE_04"
        assert kit.companies.get(c.id).stage == "Adoption"

    def test_stale_item_in_batch_update_writes_nothing__STORE_04(self, kit: sk.Kit) -> None:
        a, b = _companies(kit, 2)
        kit.companies.update(b, stage="Churned")
        before = _snapshot(kit)
        new_a = attrs.evolve(a, name="A2", version=a.version + 1)
        new_b = attrs.evolve(b, name="B2", version=b.version + 1)
        with pytest.raises(sk.ConflictError):
            kit.store.update_many([(new_a, a.version), (new_b, b.version)])
        assert _snapshot(kit) == before

    def test_update_of_some_fields_writes_only_those__STORE_04(self, kit: sk.Kit) -> None:
        """``update_many(..., fields=...)`` writes those fields, the version and
        ``updated_at``; every other field keeps its stored value, on every backend."""
        a, b = _companies(kit, 2)
        new_a = attrs.evolve(a, name="Not written", health_score=61.5, score_grade="Yellow", version=a.version + 1)
        new_b = attrs.evolve(b, stage="Not written", health_score=12.0, version=b.version + 1)
        kit.store.update_many([(new_a, a.version), (new_b, b.version)], fields=["health_score", "score_grade"])
        got_a, got_b = kit.store.get("company", a.id), kit.store.get("company", b.id)
        assert (got_a.name, got_a.health_score, got_a.score_grade, got_a.version) == (a.name, 61.5, "Yellow", 2)
        assert (got_b.stage, got_b.health_score, got_b.version) == (b.stage, 12.0, 2)
        with pytest.raises(sk.ConflictError):  # the version is still checked
            kit.store.update_many([(new_a, a.version)], fields=["health_score"])
        for bad in (["id"], ["no_such_field"], "health_score", [5]):
            with pytest.raises(sk.ValidationError):
                kit.store.update_many([(attrs.evolve(got_a, version=3), 2)], fields=bad)  # type: ignore[arg-type]
        assert kit.store.get("company", a.id) == got_a

    def test_update_of_missing_record_is_not_found__STORE_04(self, kit: sk.Kit) -> None:
        c = kit.companies.create("Acme")
        kit.store.delete("company", c.id)
        with pytest.raises(sk.NotFound):
            kit.companies.update(c, stage="x")

    def test_delete_many_counts_existing__STORE_01(self, kit: sk.Kit) -> None:
        a, b, c = _companies(kit, 3)
        assert kit.store.delete_many("company", [a.id, b.id, "missing"]) == 2
        assert [r.id for r in kit.companies.list()] == [c.id]
        with pytest.raises(sk.NotFound):
            kit.store.delete("company", a.id)

    # --------------------------------------------------- transactions
    def test_exception_in_transaction_leaves_nothing__STORE_03(self, kit: sk.Kit) -> None:
        kit.companies.create("Before")
        before = _snapshot(kit)
        with pytest.raises(RuntimeError), kit.transaction():
            a = kit.companies.create("Inside")
            kit.companies.update(a, stage="Adoption")
            kit.users.create("Someone")
            raise RuntimeError("boom")
        assert _snapshot(kit) == before
        assert not kit.store.in_transaction

    def test_inner_block_failure_undoes_only_inner__STORE_03(self, kit: sk.Kit) -> None:
        with kit.transaction():
            kit.companies.create("Outer")
            with pytest.raises(RuntimeError), kit.transaction():
                kit.companies.create("Inner")
                raise RuntimeError("inner")
            kit.companies.create("Outer 2")
        assert sorted(c.name for c in kit.companies.list()) == ["Outer", "Outer 2"]

    def test_fault_at_any_write_leaves_nothing__STORE_03(self, kit: sk.Kit) -> None:
        kit.companies.create("Before")
        before = _snapshot(kit)

        def work() -> None:
            with kit.transaction():
                a = kit.companies.create("A")
                kit.companies.create_many([{"name": "B", "parent": a}, {"name": "C"}])
                kit.companies.update(a, stage="x")
                kit.store.delete("company", a.id)

        points = fail_each_write(kit, work)
        assert points >= 4  # create, bulk create, update, delete
        assert _snapshot(kit) != before  # and the run without faults did write

    def test_after_commit_runs_only_after_commit__STORE_03(self, kit: sk.Kit) -> None:
        ran: list[str] = []
        with kit.transaction():
            kit.after_commit(lambda: ran.append("committed"))
            assert ran == []
        assert ran == ["committed"]
        with pytest.raises(RuntimeError), kit.transaction():
            kit.after_commit(lambda: ran.append("rolled back"))
            raise RuntimeError
        assert ran == ["committed"]

    # --------------------------------------------------------- queries
    def test_query_conditions_sort_and_paging__STORE_02(self, kit: sk.Kit) -> None:
        _companies(kit, 10)
        found = kit.companies.list([("stage", "=", "Adoption"), ("arr", ">", 200)], sort=["-arr"], limit=2, offset=1)
        assert [c.name for c in found] == ["Company 7", "Company 5"]

    def test_nulls_sort_last_both_ways__STORE_02(self, kit: sk.Kit) -> None:
        _companies(kit, 4)
        asc = [c.arr for c in kit.companies.list(sort=["arr"])]
        desc = [c.arr for c in kit.companies.list(sort=["-arr"])]
        assert asc == [100.0, 300.0, None, None]
        assert desc == [300.0, 100.0, None, None]

    def test_logic_combines_numbered_conditions__STORE_02(self, kit: sk.Kit) -> None:
        _companies(kit, 6)
        q = [("stage", "=", "Onboarding"), ("arr", ">=", 300), ("name", "contains", "company 5")]
        found = kit.companies.list(q, logic="(1 OR 2) AND NOT 3", sort=["name"])
        assert [c.name for c in found] == ["Company 0", "Company 2", "Company 3", "Company 4"]

    def test_count_ignores_paging__STORE_02(self, kit: sk.Kit) -> None:
        _companies(kit, 7)
        assert kit.companies.count([("stage", "=", "Adoption")]) == 3

    def test_group_counts_by_value_and_quarter__STORE_02(self, kit: sk.Kit) -> None:
        _companies(kit, 6)  # renewals in Jan..Jun 2027
        assert kit.companies.group(ByField("stage")) == [("Adoption", 3), ("Onboarding", 3)]
        assert kit.companies.group(CalendarQuarter("renewal_date")) == [("2027-Q1", 3), ("2027-Q2", 3)]
        assert kit.companies.group(FiscalQuarter("renewal_date", start_month=4)) == [("FY2026-Q4", 3), ("FY2027-Q1", 3)]

    def test_aggregates_by_value_and_quarter__REPORT_01(self, kit: sk.Kit) -> None:
        _companies(kit, 6)
        table = kit.companies.aggregate(
            by=["stage", CalendarQuarter("renewal_date")], measures={"n": "count", "arr": "sum", "top": ("max", "arr")}
        )
        rows = [(r.keys, r["n"], r["arr"], r["top"]) for r in table]
        assert rows == [
            (("Adoption", "2027-Q1"), 1, 100.0, 100.0),
            (("Adoption", "2027-Q2"), 2, 800.0, 500.0),
            (("Onboarding", "2027-Q1"), 2, None, None),
            (("Onboarding", "2027-Q2"), 1, None, None),
        ]
        assert kit.companies.aggregate([("name", "=", "nobody")]).to_dicts() == [{"count": 0}]

    def test_several_queries_read_at_once__STORE_01(self, kit: sk.Kit) -> None:
        _companies(kit, 3)
        kit.users.create("Ada")
        companies, users = kit.store.query_many(
            [kit.bind("company", Query(sort=["name"])), kit.bind("user", Query(sort=["name"]))]
        )
        assert [c.name for c in companies] == ["Company 0", "Company 1", "Company 2"]
        assert [u.name for u in users] == ["Ada"]

    def test_relative_dates_use_the_kit_clock__STORE_02(self, kit: sk.Kit) -> None:
        today = kit.today()
        soon = kit.companies.create("Soon", renewal_date=date.fromordinal(today.toordinal() + 30))
        kit.companies.create("Later", renewal_date=date.fromordinal(today.toordinal() + 200))
        found = kit.companies.list([("renewal_date", "within next 120 days")])
        assert [c.id for c in found] == [soon.id]

    def test_custom_fields_are_queryable__STORE_02(self, kit: sk.Kit) -> None:
        kit.custom_fields.declare("company", "tier", "dropdown", options=["gold", "silver"])
        kit.custom_fields.declare("company", "seats", "number")
        a = kit.companies.create("A", fields={"tier": "gold", "seats": 50})
        kit.companies.create("B", fields={"tier": "silver", "seats": 500})
        kit.companies.create("C")
        assert [c.id for c in kit.companies.list([("tier", "=", "gold")])] == [a.id]
        assert [c.name for c in kit.companies.list(sort=["-fields.seats"])] == ["B", "A", "C"]

    def test_iter_streams_every_row__STORE_02(self, kit: sk.Kit) -> None:
        kit.companies.create_many([{"name": f"C{i:04d}"} for i in range(2500)])
        names = [c.name for c in kit.companies.iter(sort=["name"])]
        assert names == [f"C{i:04d}" for i in range(2500)]

    def test_bad_query_changes_nothing_and_names_the_problem__STORE_02(self, kit: sk.Kit) -> None:
        _companies(kit, 2)
        with pytest.raises(sk.QueryError, match="unknown field"):
            kit.companies.list([("colour", "=", "red")])
        with pytest.raises(sk.QueryError, match="unknown operator"):
            kit.companies.list([("name", "~=", "x")])
        with pytest.raises(sk.QueryError, match="takes numbers"):
            kit.companies.list([("arr", ">", "lots")])
        with pytest.raises(sk.QueryError, match="3 conditions"):
            kit.companies.list([("arr", ">", 1), ("arr", "<", 5), ("name", "=", "x")], logic="4")

    # ------------------------------------------------------ own copies
    def test_records_handed_out_are_the_callers_own__SEC_06(self, kit: sk.Kit) -> None:
        """Changing the mutable parts of a record read back (its ``fields``, a list or mapping
        inside them) through any read path changes nothing stored (SEC_06)."""
        c = kit.companies.create("Acme", fields={"tags": ["a"], "nested": {"x": 1}})
        before = _snapshot(kit)
        reads: list[Callable[[], Any]] = [
            lambda: kit.store.get("company", c.id),
            lambda: kit.store.get_many("company", [c.id])[0],
            lambda: kit.companies.get(c.id),
            lambda: kit.companies.list()[0],
            lambda: next(iter(kit.companies.iter())),
        ]
        for read in reads:
            got = read()
            got.fields["y"] = 5
            got.fields["tags"].append("b")
            got.fields["nested"]["x"] = 2
        assert _snapshot(kit) == before
        again = kit.companies.get(c.id)
        assert again.fields == {"tags": ["a"], "nested": {"x": 1}}
        assert again.version == c.version

    def test_records_passed_in_stay_the_callers__SEC_06(self, kit: sk.Kit) -> None:
        """A record given to insert or update and changed afterwards by the caller
        leaves the stored one as it was written (SEC_06)."""
        c = kit.companies.create("Acme")
        mine = attrs.evolve(c, id=sk.records.new_id(), fields={"tags": ["a"], "nested": {"x": 1}})
        kit.store.insert(mine)
        mine.fields["tags"].append("b")
        mine.fields["nested"]["x"] = 2
        mine.fields["y"] = 5  # type: ignore[index]
        assert kit.store.get("company", mine.id).fields == {"tags": ["a"], "nested": {"x": 1}}
        changed = attrs.evolve(c, version=c.version + 1, fields={"n": [1]})
        kit.store.update(changed, c.version)
        changed.fields["n"].append(2)
        assert kit.store.get("company", c.id).fields == {"n": [1]}

    # ---------------------------------------------------- stored alike
    def test_timestamps_near_the_ends_of_time_are_stored_alike__SEC_05(self, kit: sk.Kit) -> None:
        """A timestamp whose UTC time is within years 1-9999 is stored on every backend and read
        back as the same instant, in UTC; one outside them is refused alike (rule SEC_05) and
        nothing is written."""
        c = kit.companies.create("Acme")
        fits = [
            datetime(1, 1, 1, tzinfo=timezone.utc),
            datetime(1, 1, 1, 5, tzinfo=timezone(timedelta(hours=5))),
            datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=timezone.utc),
            datetime(9999, 12, 31, 18, tzinfo=timezone(timedelta(hours=-5))),
        ]
        for moment in fits:
            stored = attrs.evolve(c, id=sk.records.new_id(), created_at=moment)
            kit.store.insert(stored)
            got = kit.store.get("company", stored.id).created_at
            assert got == moment and got.tzinfo == timezone.utc
        before = _snapshot(kit)
        beyond = [
            datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=5))),
            datetime(9999, 12, 31, 23, tzinfo=timezone(timedelta(hours=-5))),
            datetime(2026, 1, 1),
        ]
        for moment in beyond:
            with pytest.raises(sk.ValidationError) as e:
                kit.store.insert(attrs.evolve(c, id=sk.records.new_id(), updated_at=moment))
            assert e.value.rule == "SEC_05" and e.value.value == moment
            with pytest.raises(sk.ValidationError, match="SEC_05"):
                kit.store.update(attrs.evolve(c, version=c.version + 1, updated_at=moment), c.version)
        assert _snapshot(kit) == before
