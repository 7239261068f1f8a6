"""Benchmark for rules: one run over 10,000 matching companies (i).

(i) ``kit.rules.run`` of a rule selecting companies whose renewal date is within
    the next 120 days and raising a CTA for each, on SQLite, against the same
    work written by hand with ``sqlite3``: select the matching companies, look
    up their open CTAs of the type and reason (none), build the CTA rows as
    tuples and insert them with ``executemany`` in one transaction.  Each round
    uses a new reason, so every round creates one CTA per company.
    Target: at most 3.0.
"""

from __future__ import annotations

import gc
import json
import sqlite3
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import successkit as sk
from successkit.records import new_id

__all__ = ["bench_rule_run"]

TODAY = date(2026, 11, 24)


def bench_rule_run(workdir: Path, n: int, repeats: int, figure: Callable[..., Any]) -> Any:
    path = workdir / "rules.db"
    kit = sk.open(f"sqlite:///{path}", clock=TODAY, entry_points=False)
    csm = kit.users.create("Cleo")
    kit.companies.create_many([{"name": f"Company {i}", "csm_id": csm.id,
                                "renewal_date": TODAY + timedelta(days=1 + i % 120)} for i in range(n)])
    for r in range(repeats + 2):
        kit.config.add_item("reason", f"bench_{r}", f"Bench {r}")
    sample = kit.ctas.create("sample", company=kit.companies.list(limit=1)[0], type="renewal",
                             reason="bench_0").record
    schema = kit.store.schema("cta")
    template = schema.to_row(sample)
    names = list(schema.names)
    at = {c: names.index(c) for c in ("id", "name", "company_id", "owner_id", "reason")}
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    insert = f'INSERT INTO "cta" ({", ".join(names)}) VALUES ({", ".join("?" * len(names))})'
    lo, hi = TODAY.isoformat(), (TODAY + timedelta(days=120)).isoformat()
    created: list[int] = []

    def via_successkit(round_: int) -> None:
        rule = kit.rules.create(f"Renewal {round_}", where=[("renewal_date", "within next 120 days")], actions=[
            {"do": "create_cta", "name": "Renewal: {name}", "type": "renewal", "reason": f"bench_{round_ + 1}",
             "priority": "high", "due_days": 30}])
        created.append(kit.rules.run(rule).created)

    def via_sqlite(round_: int) -> None:
        reason = f"raw_{round_}"
        conn.execute("BEGIN IMMEDIATE")
        targets = conn.execute("SELECT id, name, csm_id FROM company WHERE renewal_date BETWEEN ? AND ?",
                               (lo, hi)).fetchall()
        ids = [t[0] for t in targets]
        existing = {r[0] for r in conn.execute(
            "SELECT company_id FROM cta WHERE company_id IN (SELECT value FROM json_each(?)) AND type = ? "
            "AND reason = ? AND closed_at IS NULL", (json.dumps(ids), "renewal", reason))}
        rows = []
        for company_id, name, csm_id in targets:
            if company_id in existing:
                continue
            row = list(template)
            row[at["id"]], row[at["name"]], row[at["company_id"]] = new_id(), f"Renewal: {name}", company_id
            row[at["owner_id"]], row[at["reason"]] = csm_id, reason
            rows.append(tuple(row))
        conn.executemany(insert, rows)
        conn.execute("COMMIT")

    best = [float("inf"), float("inf")]
    for round_ in range(repeats + 1):  # round 0 warms caches
        for i, f in enumerate((via_successkit, via_sqlite)):
            gc.collect()
            start = time.perf_counter()
            f(round_)
            if round_:
                best[i] = min(best[i], time.perf_counter() - start)
    kit.store.stats.reset()
    kit.rules.run(f"Renewal {repeats}")
    calls = kit.store.stats.total
    conn.close()
    kit.close()
    skt, raw = best
    matched = created[-1]
    return figure(f"(i) rule run raising {matched:,} CTAs / raw SQL", skt / raw, 3.0, [
        f"raw select + lookup + executemany: {raw * 1000:.1f} ms;  kit.rules.run: {skt * 1000:.1f} ms",
        f"best of {repeats}; a rerun finds every CTA and creates nothing in {calls} storage calls",
    ])
