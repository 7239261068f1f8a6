"""Small helpers for the rule tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import successkit as sk
from successkit.testing import faults

snapshot = faults.snapshot  # every record of every kind: proves a refusal changed nothing


@contextmanager
def opened_kits(url: str, clock: Any) -> Iterator[Callable[..., sk.Kit]]:
    """A function opening kits on ``url`` (or ``at=`` another URL) with the test clock
    and no installed plugins; every kit it opened is closed at the end."""
    kits: list[sk.Kit] = []

    def _open(at: str | None = None, **kwargs: Any) -> sk.Kit:
        kwargs.setdefault("clock", clock)
        kwargs.setdefault("entry_points", False)
        kit = sk.open(at or url, **kwargs)
        kits.append(kit)
        return kit

    try:
        yield _open
    finally:
        for kit in kits:
            kit.close()


def chain(kit: sk.Kit, levels: int, prefix: str = "L") -> list[sk.Company]:
    """A hierarchy of ``levels`` companies, each the child of the one before."""
    out: list[sk.Company] = []
    for i in range(levels):
        out.append(kit.companies.create(f"{prefix}{i + 1}", parent=out[-1] if out else None))
    return out


class World:
    """A small workspace for the plan rules: users, a company with a relationship, a person."""

    def __init__(self, kit: sk.Kit) -> None:
        from datetime import date

        self.kit = kit
        self.alice = kit.users.create("Alice", license="full")
        self.bob = kit.users.create("Bob", license="viewer")
        self.ian = kit.users.create("Ian", license="internal_collaborator")
        self.gone = kit.users.create("Gone", active=False)
        self.acme = kit.companies.create("Acme")
        self.other = kit.companies.create("Other Co")
        self.product = kit.relationship_types.create("Product line")
        self.rel = kit.relationships.create(self.acme, self.product, "Acme Analytics")
        self.pat = kit.people.create("Pat", company=self.acme, email="pat@acme.example")
        self.due = date(2027, 3, 31)

    def plan(self, name: str = "Onboarding", **kw: object) -> sk.SuccessPlan:
        kw.setdefault("company", self.acme)
        kw.setdefault("plan_type", "onboarding")
        kw.setdefault("owner", self.alice)
        kw.setdefault("due_date", self.due)
        return self.kit.plans.create(name, **kw)  # type: ignore[arg-type]
