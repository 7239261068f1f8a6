"""The storage conformance suite, run on every backend of the ``kit`` fixture."""

from collections.abc import Callable
from typing import Any

import pytest

from successkit.testing import StoreConformance


class TestStoreConformance(StoreConformance):
    """STORE_01-STORE_04 on memory, SQLite and PostgreSQL (and any backend added to
    conftest); memory skips reopening and sharing, which it cannot do."""

    @pytest.fixture
    def reopen(self, open_kit: Callable[..., Any]) -> Callable[[], Any]:
        return open_kit  # another kit on the same URL, closed after the test


def test_unique_keys_are_enforced_by_every_backend__PLAN_02(kit: object) -> None:
    """The storage guard behind PLAN_02: two plans with one name key cannot both be stored,
    even when the service-level check is bypassed (as a concurrent writer would)."""
    import attrs

    import successkit as sk

    assert isinstance(kit, sk.Kit)
    alice = kit.users.create("Alice")
    acme = kit.companies.create("Acme")
    plan = kit.plans.create("Onboarding", company=acme, plan_type="onboarding", owner=alice)
    twin = attrs.evolve(plan, id=sk.records.new_id())
    with pytest.raises(sk.ConflictError):
        kit.store.insert(twin)
    other = kit.plans.create("Renewal", company=acme, plan_type="renewal", owner=alice)
    clash = attrs.evolve(other, name_key=plan.name_key, version=other.version + 1)
    with pytest.raises(sk.ConflictError):
        kit.store.update(clash, other.version)
    assert kit.plans.count() == 2
