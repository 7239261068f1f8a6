"""Small helpers for the rule tests."""

from __future__ import annotations

from typing import Any

import successkit as sk
from successkit.query import Query


def snapshot(kit: sk.Kit) -> dict[str, list[dict[str, Any]]]:
    """Every record of every kind as dicts: to prove a refusal changed nothing."""
    return {kind: [sk.to_dict(r) for r in kit.store.query(kit.bind(kind, Query(sort=["id"])))]
            for kind in sorted(kit.store.schemas)}


def chain(kit: sk.Kit, levels: int, prefix: str = "L") -> list[sk.Company]:
    """A hierarchy of ``levels`` companies, each the child of the one before."""
    out: list[sk.Company] = []
    for i in range(levels):
        out.append(kit.companies.create(f"{prefix}{i + 1}", parent=out[-1] if out else None))
    return out
