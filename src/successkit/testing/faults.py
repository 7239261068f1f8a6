"""Fault injection for atomicity tests (STORE_03, CLONE_16)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import successkit as sk
from successkit.query.bind import bind

__all__ = ["InjectedFault", "fail_each_write", "snapshot"]


class InjectedFault(sk.StorageError):
    """The failure a test injected at a storage write."""


def snapshot(kit: sk.Kit) -> dict[str, list[dict[str, Any]]]:
    """Every record of every kind, as dicts: the store's whole state.

    The queries are bound without the kit's custom-field declarations: sorting by id
    needs none, and a rollback empties the kit's cache of them, which would cost a
    query per kind after every injected fault.  All kinds are read in one storage call."""
    store, everything, now = kit.store, sk.Query(sort=["id"]), kit.now()
    kinds = sorted(store.schemas)
    found = store.query_many([bind(everything, store.schema(kind), {}, now) for kind in kinds])  # one round trip
    return {kind: [sk.to_dict(r) for r in records] for kind, records in zip(kinds, found, strict=True)}


def fail_each_write(kit: sk.Kit, operation: Callable[[], object]) -> int:
    """Run ``operation`` again and again, failing it at write 1, 2, 3... in turn,
    and check after each failure that the store holds exactly what it held
    before and that no transaction is left open.  The last run, which gets
    through every write, is kept.  Returns the number of write points tried."""
    before = snapshot(kit)
    point = 0
    while True:
        seen = 0

        def fail(op: str, at: int = point) -> None:
            nonlocal seen
            seen += 1
            if seen > at:
                raise InjectedFault(f"injected fault at write {at} ({op})")

        kit.store.fault = fail
        try:
            operation()
        except InjectedFault:
            assert snapshot(kit) == before, f"a fault at write {point} left changes behind"
            assert not kit.store.in_transaction, f"a fault at write {point} left a transaction open"
            point += 1
            continue
        finally:
            kit.store.fault = None
        return point
