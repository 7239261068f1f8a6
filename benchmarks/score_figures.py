"""Benchmark for scorecard previews (s): a weight change previewed over N companies.

(s) ``kit.scorecards.preview`` of a weight change over N companies scored by a
    scorecard of three measures (a field, a count of risk CTAs, a manual entry),
    on SQLite, against ``kit.scorecards.recompute`` of the same companies (which
    writes a snapshot per company and the changed scores).  The preview scores
    every record twice and writes nothing.  Target: at most 2.0.

The recompute side starts every round from a fresh copy of one prepared file
(already recomputed once, so a round writes what a daily run writes); the
preview side reads the same copy, and the file is checked unchanged after it.
"""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from pathlib import Path

import successkit as sk
from measure import Figure, Settings, Side, copy_db, measure, remove_db, seal_db

__all__ = ["bench_preview"]

TODAY = date(2026, 11, 24)
CHANGE = [{"measure": "nps", "weight": 1}, {"measure": "risks", "weight": 3}, {"measure": "sentiment", "weight": 1}]


def _kit(path: Path, day: date = TODAY) -> sk.Kit:
    return sk.open(f"sqlite:///{path}", clock=day, entry_points=False)


def _digest(path: Path) -> str:
    return hashlib.blake2b(path.read_bytes(), digest_size=16).hexdigest()


def _prepare(master: Path, n: int) -> None:
    kit = _kit(master)
    owner = kit.users.create("Cleo")
    kit.measures.create("nps", source={"type": "field", "field": "nps", "map": {"linear": [-100, 100]}})
    kit.measures.create("risks", source={
        "type": "count", "kind": "cta", "where": [("type", "=", "risk")], "days": 90,
        "map": {"thresholds": [[0, 100], [1, 60], [3, 20]]}})  # fmt: skip
    kit.measures.create("sentiment")
    kit.scorecards.create("standard", default=True, measures=["nps", {"measure": "risks", "weight": 1}, "sentiment"])
    companies = kit.companies.create_many([{"name": f"Company {i}", "nps": i % 200 - 100} for i in range(n)])
    for c in companies[::10]:
        kit.ctas.create("Risk", company=c, type="risk", owner=owner)
    for c in companies[::7]:
        kit.scorecards.set_value(c, "sentiment", 40)
    kit.scorecards.recompute()
    kit.close()
    seal_db(master)


def bench_preview(workdir: Path, n: int, settings: Settings) -> Figure:
    master = workdir / "scores.db"
    remove_db(master)
    _prepare(master, n)
    changed: list[int] = []

    def sk_prepare(round_: int) -> tuple[sk.Kit, Path]:
        path = copy_db(master, workdir / f"scores-{round_}.db")
        return _kit(path, TODAY + timedelta(days=1)), path

    def via_preview(arg: tuple[sk.Kit, Path]) -> None:
        changed.append(arg[0].scorecards.preview("standard", measures=CHANGE).changed_grade)

    def via_recompute(arg: tuple[sk.Kit, Path]) -> None:
        arg[0].scorecards.recompute()

    def finish(arg: tuple[sk.Kit, Path]) -> None:
        arg[0].close()
        remove_db(arg[1])

    before = _digest(master)
    preview_t, recompute_t = measure(
        settings,
        Side("kit.scorecards.preview", via_preview, sk_prepare, finish),
        Side("kit.scorecards.recompute", via_recompute, sk_prepare, finish),
    )
    kit = _kit(master, TODAY + timedelta(days=1))
    kit.store.stats.reset()
    kit.scorecards.preview("standard", measures=CHANGE)
    writes = sum(v for k, v in kit.store.stats.calls.items() if k.startswith(("insert", "update", "delete")))
    kit.close()
    seal_db(master)
    assert writes == 0 and _digest(master) == before
    return Figure(
        f"(s) preview of a weight change over {n:,} companies / recompute",
        preview_t,
        recompute_t,
        2.0,
        [f"the preview changes {changed[-1]:,} grades and writes nothing (no write call, the file unchanged)"],
    )
