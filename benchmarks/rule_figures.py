"""Benchmark for rules: one run over 10,000 matching companies, and its rerun (i), (i').

(i) ``kit.rules.run`` of a rule selecting companies whose renewal date is within
    the next 120 days and raising a CTA for each, on SQLite, against the same
    work written by hand with ``sqlite3``: select the matching companies, look
    up their open CTAs of the type and reason (none), build the CTA rows as
    tuples and insert them with ``executemany`` in one transaction.
    Target: at most 3.0.
(i') the same rule run again on a file where it already ran, finding every
    company's CTA and creating none, against the same work by hand: select the
    companies, read their open CTAs of the type and reason (id, priority,
    snoozed until), decide for each company what RULE_02 says (a snoozed CTA
    holds a new one back, a lower priority is raised, else it is left alone)
    and write what follows (nothing here), in one transaction.  successkit also
    records a step per company in the run it returns, and reads whole records
    where the hand-written side reads four columns.  Information, no target.

Every round of each side starts from a fresh copy of one prepared file holding
the companies and no CTA of the rule's reason, so every round creates one CTA
per company and the CTA table does not grow from round to round.  The rule is
created before the timing.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import successkit as sk
from measure import Figure, Settings, Side, copy_db, measure, remove_db, seal_db
from successkit.records import new_id

__all__ = ["bench_rule_run"]

TODAY = date(2026, 11, 24)
REASON = "bench"
WHERE = [("renewal_date", "within next 120 days")]
ACTIONS = [
    {
        "do": "create_cta",
        "name": "Renewal: {name}",
        "type": "renewal",
        "reason": REASON,
        "priority": "high",
        "due_days": 30,
    }
]


def _kit(path: Path) -> sk.Kit:
    return sk.open(f"sqlite:///{path}", clock=TODAY, entry_points=False)


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    return conn


def _open_ctas(path: Path, reason: str) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute("SELECT COUNT(*) FROM cta WHERE reason = ?", (reason,)).fetchone()[0])
    finally:
        conn.close()


def bench_rule_run(workdir: Path, n: int, settings: Settings) -> list[Figure]:
    master = workdir / "rules.db"
    remove_db(master)
    kit = _kit(master)
    csm = kit.users.create("Cleo")
    kit.companies.create_many(
        [
            {"name": f"Company {i}", "csm_id": csm.id, "renewal_date": TODAY + timedelta(days=1 + i % 120)}
            for i in range(n)
        ]
    )
    kit.config.add_item("reason", REASON, "Bench")
    kit.config.add_item("reason", "sample", "Sample")
    sample = kit.ctas.create(
        "sample", company=kit.companies.list(limit=1)[0], type="renewal", reason="sample"
    ).record  # the row the raw side copies; another reason
    schema = kit.store.schema("cta")
    template = schema.to_row(sample)
    names = list(schema.names)
    kit.close()
    seal_db(master)
    at = {c: names.index(c) for c in ("id", "name", "company_id", "owner_id", "reason")}
    insert = f'INSERT INTO "cta" ({", ".join(names)}) VALUES ({", ".join("?" * len(names))})'
    lo, hi = TODAY.isoformat(), (TODAY + timedelta(days=120)).isoformat()
    targets_sql = "SELECT id, name, csm_id FROM company WHERE renewal_date BETWEEN ? AND ?"
    created: list[int] = []

    def sk_prepare(round_: int) -> tuple[sk.Kit, sk.Rule, Path]:
        path = copy_db(master, workdir / f"rules-sk-{round_}.db")
        kit = _kit(path)
        rule = kit.rules.create("Renewal", where=WHERE, actions=ACTIONS)
        kit.companies.count(WHERE)  # reads the companies, as the raw side's warm-up does
        return kit, rule, path

    def via_successkit(arg: tuple[sk.Kit, sk.Rule, Path]) -> None:
        created.append(arg[0].rules.run(arg[1]).created)

    def sk_finish(arg: tuple[sk.Kit, sk.Rule, Path]) -> None:
        arg[0].close()
        assert _open_ctas(arg[2], REASON) == n == created[-1], (arg[2], created[-1])
        remove_db(arg[2])

    def raw_prepare(round_: int) -> tuple[sqlite3.Connection, Path]:
        path = copy_db(master, workdir / f"rules-raw-{round_}.db")
        conn = _connect(path)
        conn.execute(targets_sql, (lo, hi)).fetchall()
        return conn, path

    def via_sqlite(arg: tuple[sqlite3.Connection, Path]) -> None:
        conn = arg[0]
        conn.execute("BEGIN IMMEDIATE")
        targets = conn.execute(targets_sql, (lo, hi)).fetchall()
        ids = [t[0] for t in targets]
        existing = {
            r[0]
            for r in conn.execute(
                "SELECT company_id FROM cta WHERE company_id IN (SELECT value FROM json_each(?)) AND type = ? "
                "AND reason = ? AND closed_at IS NULL",
                (json.dumps(ids), "renewal", REASON),
            )
        }
        rows = []
        for company_id, name, csm_id in targets:
            if company_id in existing:
                continue
            row = list(template)
            row[at["id"]], row[at["name"]], row[at["company_id"]] = new_id(), f"Renewal: {name}", company_id
            row[at["owner_id"]], row[at["reason"]] = csm_id, REASON
            rows.append(tuple(row))
        conn.executemany(insert, rows)
        conn.execute("COMMIT")

    def raw_finish(arg: tuple[sqlite3.Connection, Path]) -> None:
        arg[0].close()
        assert _open_ctas(arg[1], REASON) == n, arg[1]
        remove_db(arg[1])

    skt, raw = measure(
        settings,
        Side("kit.rules.run", via_successkit, sk_prepare, sk_finish),
        Side("raw select + lookup + executemany", via_sqlite, raw_prepare, raw_finish),
    )

    rerun = _bench_rerun(workdir, master, n, settings)
    return [
        Figure(
            f"(i) rule run raising {n:,} CTAs / raw SQL",
            skt,
            raw,
            3.0,
            ["each round on a fresh copy with no CTA of the reason"],
        ),
        rerun,
    ]


def _rerun_by_hand(conn: sqlite3.Connection, ranks: dict[str, int]) -> Callable[[Any], list[str]]:
    """(i')'s baseline: the targets, their open CTAs of the type and reason, and for each
    target what RULE_02 decides (a snoozed CTA holds a new one back, a lower priority is
    raised, else it is left alone), with the inserts and updates that follow: none here."""
    lo, hi = TODAY.isoformat(), (TODAY + timedelta(days=120)).isoformat()
    targets_sql = "SELECT id, name, csm_id FROM company WHERE renewal_date BETWEEN ? AND ? ORDER BY name, id"
    similar_sql = (
        "SELECT company_id, id, priority, snoozed_until FROM cta WHERE company_id IN (SELECT value FROM json_each(?))"
        " AND relationship_id IS NULL AND type = ? AND reason = ? AND status IN ('new', 'work_in_progress')"
        " ORDER BY created_at, id"
    )
    today, wanted = TODAY.isoformat(), ranks[str(ACTIONS[0]["priority"])]

    def run(_: Any) -> list[str]:
        conn.execute("BEGIN IMMEDIATE")
        targets = conn.execute(targets_sql, (lo, hi)).fetchall()
        found: dict[str, tuple[str, str | None, str | None]] = {}
        for company_id, cta_id, priority, snoozed in conn.execute(
            similar_sql, (json.dumps([t[0] for t in targets]), "renewal", REASON)
        ):
            found.setdefault(company_id, (cta_id, priority, snoozed))
        decided = []
        for company_id, _name, _csm in targets:
            cta = found.get(company_id)
            if cta is None:
                decided.append("create")
            elif cta[2] is not None and cta[2] > today:
                decided.append("suppressed")
            elif wanted < ranks.get(cta[1] or "", len(ranks)):
                decided.append("raise")
            else:
                decided.append("unchanged")
        conn.execute("COMMIT")
        assert decided.count("unchanged") == len(targets), "the rerun by hand has work to do"
        return decided

    return run


def _bench_rerun(workdir: Path, master: Path, n: int, settings: Settings) -> Figure:
    """(i') The rule run again, finding the CTA of every company: nothing to create."""
    path = copy_db(master, workdir / "rules-rerun.db")
    kit = _kit(path)
    rule = kit.rules.create("Renewal", where=WHERE, actions=ACTIONS)
    kit.rules.run(rule)
    conn = _connect(path)
    again: list[int] = []
    try:
        kit.store.stats.reset()
        again.append(kit.rules.run(rule).created)
        calls = kit.store.stats.total
        ranks = {item.key: i for i, item in enumerate(kit.config.items("priority"))}
        skt, raw = measure(
            settings,
            Side("kit.rules.run, again", lambda _: again.append(kit.rules.run(rule).created)),
            Side("by hand: select, look up, decide", _rerun_by_hand(conn, ranks)),
        )
        assert set(again) == {0} and _open_ctas(path, REASON) == n, (again, path)
    finally:
        conn.close()
        kit.close()
        remove_db(path)
    return Figure(
        f"(i') rule rerun finding {n:,} CTAs / by hand",
        skt,
        raw,
        None,
        [f"every company already has its CTA: the rerun creates none, in {calls} storage calls"],
    )
