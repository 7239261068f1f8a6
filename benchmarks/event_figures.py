"""Benchmarks for event rules (AUTO_01): what an event rule that matches nothing adds
to the change that triggers it, (y) and (y').

(y) ``kit.companies.update`` of one company's stage, 200 times in a row, on SQLite,
    with an active event rule listening to stage changes whose ``where`` matches
    none of the companies, against the same updates with no event rule.  Each
    update commits before the rule's one read of its ``where`` among the changed
    companies.  Target: at most 1.2 (the issue's 20 %).
(y') ``kit.companies.update_many`` of N companies' stage with the same rule against
    none: one read for all N targets.  Target: at most 1.2.

Every round starts from a fresh copy of one prepared file (with the rule, or
without it), so the files do not grow from round to round.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import successkit as sk
from measure import Figure, Settings, Side, copy_db, measure, remove_db, seal_db

__all__ = ["bench_event_rules"]

TODAY = date(2026, 11, 24)
SINGLE = 200
RULE = {
    "trigger": {"on": "changed", "field": "stage"},
    "where": [("industry", "=", "Banking")],
    "actions": [{"do": "create_cta", "name": "Stage moved: {name}", "type": "risk"}],
}


def _kit(path: Path) -> sk.Kit:
    return sk.open(f"sqlite:///{path}", clock=TODAY, entry_points=False)


def _masters(workdir: Path, n: int) -> tuple[Path, Path, list[str]]:
    plain, listened = workdir / "events-off.db", workdir / "events-on.db"
    remove_db(plain)
    kit = _kit(plain)
    csm = kit.users.create("Cleo")
    ids = [c.id for c in kit.companies.create_many([{"name": f"Company {i}", "csm_id": csm.id,
                                                     "industry": "Retail"} for i in range(n)])]  # fmt: skip
    kit.close()
    seal_db(plain)
    copy_db(plain, listened)
    kit = _kit(listened)
    kit.rules.create("Stage moved", **RULE)  # type: ignore[arg-type]
    kit.close()
    seal_db(listened)
    return plain, listened, ids


def bench_event_rules(workdir: Path, n: int, settings: Settings) -> list[Figure]:
    plain, listened, ids = _masters(workdir, max(n, SINGLE))
    single, bulk = ids[:SINGLE], [(i, {"stage": "Adoption"}) for i in ids[:n]]

    def fresh(master: Path) -> Callable[[int], tuple[sk.Kit, Path]]:
        def prepare(round_: int) -> tuple[sk.Kit, Path]:
            path = copy_db(master, workdir / f"{master.stem}-{round_}.db")
            kit = _kit(path)
            kit.companies.count()  # warm the connection as a host's kit is
            return kit, path

        return prepare

    def one_by_one(arg: tuple[sk.Kit, Path]) -> None:
        for i in single:
            arg[0].companies.update(i, stage="Adoption")

    def all_at_once(arg: tuple[sk.Kit, Path]) -> None:
        arg[0].companies.update_many(bulk)

    def finish(arg: tuple[sk.Kit, Path]) -> None:
        assert arg[0].ctas.count() == 0 and arg[0].rules.run_log() == []
        arg[0].close()
        remove_db(arg[1])

    on, off = measure(
        settings,
        Side("200 updates, an event rule matching nothing", one_by_one, fresh(listened), finish),
        Side("200 updates, no event rule", one_by_one, fresh(plain), finish),
    )
    bulk_on, bulk_off = measure(
        settings,
        Side(f"update_many of {n:,}, an event rule matching nothing", all_at_once, fresh(listened), finish),
        Side(f"update_many of {n:,}, no event rule", all_at_once, fresh(plain), finish),
    )
    note = "the rule's where is read once per committed change, outside any transaction or lock"
    return [
        Figure("(y) 200 company updates with an event rule that matches nothing / none", on, off, 1.2, [note]),
        Figure(f"(y') update_many of {n:,} with an event rule that matches nothing / none", bulk_on, bulk_off, 1.2),
    ]
