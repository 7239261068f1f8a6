"""Conformance for stores that keep their data: closed and reopened, and shared by
two stores at once (STORE_01, STORE_03, STORE_04).

These tests need a second kit on the store the ``kit`` fixture uses: the including
test module provides a ``reopen`` fixture, a function that opens one (each call a
new kit, on the same database).  A backend that keeps its data inside one process
(``memory://``) cannot be reopened or shared: :attr:`PersistenceConformance.persistent`
says so, and these tests are skipped for it, saying why.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date

import pytest

import successkit as sk

from .faults import snapshot

__all__ = ["PersistenceConformance"]

Reopen = Callable[[], sk.Kit]


class PersistenceConformance:
    """Mixed into :class:`~successkit.testing.StoreConformance`."""

    @pytest.fixture
    def reopen(self) -> Reopen:
        """Open another kit on the ``kit`` fixture's store; the including module overrides it."""
        pytest.skip("the test module provides no reopen fixture: persistence and concurrency are not tested")

    @staticmethod
    def persistent(kit: sk.Kit) -> bool:
        """Whether the backend's data outlives its store object and can be shared
        (false for ``memory://``; a backend may override this)."""
        return kit.store.scheme != "memory"

    def _need_persistence(self, kit: sk.Kit) -> None:
        if not self.persistent(kit):
            pytest.skip(f"{kit.store.scheme}:// keeps its data in one store object: it cannot be reopened or shared")

    # ------------------------------------------------------------ close and reopen
    def test_records_survive_close_and_reopen__STORE_01(self, kit: sk.Kit, reopen: Reopen) -> None:
        self._need_persistence(kit)
        kit.custom_fields.declare("company", "tier", "dropdown", options=["gold", "silver"])
        alice = kit.users.create("Alice", email="alice@example.com")
        acme = kit.companies.create("Acme", arr=120_000, renewal_date=date(2027, 3, 31), fields={"tier": "gold"})
        kit.companies.create("Acme Japan", parent=acme, csm_id=alice.id)
        plan = kit.plans.create("Onboarding", company=acme, plan_type="onboarding", owner=alice)
        kit.objectives.create(plan, "Kickoff", owner=alice, due_date=date(2027, 1, 15))
        before = snapshot(kit)
        kit.close()
        again = reopen()
        try:
            assert snapshot(again) == before
            assert again.companies.list([("tier", "=", "gold")])[0].id == acme.id  # declarations came back too
        finally:
            again.close()

    # ------------------------------------------------------------ two stores at once
    def test_another_store_sees_committed_writes_only__STORE_03(self, kit: sk.Kit, reopen: Reopen) -> None:
        self._need_persistence(kit)
        other = reopen()
        with kit.transaction():
            kit.companies.create("Pending")
            assert other.companies.count([("name", "=", "Pending")]) == 0  # not committed yet
        assert other.companies.count([("name", "=", "Pending")]) == 1
        try:
            with kit.transaction():
                kit.companies.create("Rolled back")
                raise RuntimeError("undo")
        except RuntimeError:
            pass
        assert other.companies.count([("name", "=", "Rolled back")]) == 0

    def test_a_stale_update_from_another_store_is_refused__STORE_04(self, kit: sk.Kit, reopen: Reopen) -> None:
        self._need_persistence(kit)
        other = reopen()
        mine = kit.companies.create("Acme")
        theirs = other.companies.get(mine.id)
        kit.companies.update(mine, stage="Adoption")
        with pytest.raises(sk.ConflictError) as e:
            other.companies.update(theirs, stage="Renewal")
        assert e.value.rule == "STORE_04"
        assert other.companies.get(mine.id).stage == "Adoption"

    def test_two_stores_racing_on_one_version_let_one_win__STORE_04(self, kit: sk.Kit, reopen: Reopen) -> None:
        """Two stores update the same version of a record at the same moment: exactly
        one update is stored, the other is refused as stale (never both, never lost)."""
        self._need_persistence(kit)
        other = reopen()
        record = kit.companies.create("Acme")
        start = threading.Barrier(2)
        won: list[str] = []
        refused: list[BaseException] = []

        def write(k: sk.Kit, stage: str) -> None:
            start.wait()
            try:
                k.companies.update(record, stage=stage)
                won.append(stage)
            except sk.ConflictError as e:
                refused.append(e)

        threads = [threading.Thread(target=write, args=a) for a in ((kit, "Adoption"), (other, "Renewal"))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(won) == 1 and len(refused) == 1
        stored = other.companies.get(record.id)
        assert (stored.stage, stored.version) == (won[0], record.version + 1)
