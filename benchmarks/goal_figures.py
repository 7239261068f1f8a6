"""Benchmark for customer goals: the goal list view (f).

(f) ``kit.goals.view`` over 100,000 goals on SQLite: three conditions with the
    logic ``(1 AND 2) OR 3``, sorted by name, grouped by fiscal quarter of the
    due date (April start), limit 50, with the progress of the 50 rows.  The
    baseline is the same work written by hand with ``sqlite3``: one ``GROUP BY``
    for the group counts and one ``SELECT ... ORDER BY <fiscal quarter>, name,
    id LIMIT 50`` for the rows (the fiscal quarter computed in SQL), then the
    links of those rows and the statuses of the linked CTAs and plans.
    Target: at most 1.5.
"""

from __future__ import annotations

import random
import sqlite3
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import successkit as sk
from measure import Figure, Settings, Side, measure, remove_db

__all__ = ["bench_goal_list"]

START_MONTH = 4
WHERE = [("status", "=", "in_progress"), ("due_date", ">=", date(2027, 1, 1)), ("relationship_id", "is not empty")]
LOGIC = "(1 AND 2) OR 3"
LIMIT = 50
#: A number that orders fiscal quarters (fiscal year * 10 + quarter), NULL without a due date.
FQ = (
    "(CASE WHEN due_date IS NULL THEN NULL ELSE"
    " (CAST(substr(due_date, 1, 4) AS INTEGER) - (CAST(substr(due_date, 6, 2) AS INTEGER) < :start)) * 10"
    " + ((CAST(substr(due_date, 6, 2) AS INTEGER) - :start + 12) % 12) / 3 + 1 END)"
)
FILTER = "((status = :status AND due_date >= :due) OR NOT (relationship_id IS NULL OR relationship_id = ''))"


def _populate(path: Path, n: int) -> sk.Kit:
    """``n`` goals over 500 companies, a third on relationships, one in ten
    linked to one of 1,000 CTAs (half of them closed)."""
    kit = sk.open(f"sqlite:///{path}", clock=date(2026, 11, 24), entry_points=False)
    rng = random.Random(11)
    alice = kit.users.create("Alice")
    companies = kit.companies.create_many([{"name": f"Company {i}"} for i in range(500)])
    rtype = kit.relationship_types.create("Product line")
    rels = [kit.relationships.create(c, rtype, f"{c.name} product") for c in companies[:100]]
    ctas = [
        kit.ctas.create(f"CTA {i}", company=companies[i % 100], type="risk", owner=alice).record for i in range(1_000)
    ]
    for cta in ctas[::2]:
        kit.ctas.set_status(cta.id, "closed_success")
    now = datetime(2026, 11, 24, tzinfo=timezone.utc)
    statuses = ("not_started", "in_progress", "achieved", "not_achieved")
    goals, links = [], []
    for i in range(n):
        rel = rels[i % 100] if rng.random() < 0.33 else None
        company_id = rel.company_id if rel is not None else companies[i % 500].id
        due = None if rng.random() < 0.1 else date(2026, 4, 1) + timedelta(days=rng.randrange(900))
        goal = sk.Goal(
            created_at=now + timedelta(seconds=i),
            updated_at=now,
            name=f"Goal {rng.randrange(10**6):06d}",
            company_id=company_id,
            relationship_id=rel.id if rel else None,
            status=rng.choice(statuses),
            due_date=due,
        )
        goals.append(goal)
        if i % 10 == 0 and company_id == ctas[i % 1_000].company_id:
            links.append(
                sk.GoalLink(
                    created_at=now,
                    updated_at=now,
                    goal_id=goal.id,
                    item_kind="cta",
                    item_id=ctas[i % 1_000].id,
                    company_id=company_id,
                )
            )
    kit.store.insert_many(goals)
    kit.store.insert_many(links)
    return kit


def bench_goal_list(workdir: Path, n: int, settings: Settings) -> Figure:
    path = workdir / "goals.db"
    remove_db(path)
    kit = _populate(path, n)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    cols = ", ".join(kit.store.schema("goal").names)
    params = {"status": "in_progress", "due": "2027-01-01", "start": START_MONTH, "limit": LIMIT}
    groups_sql = f"SELECT {FQ} AS fq, COUNT(*) FROM goal WHERE {FILTER} GROUP BY fq ORDER BY fq IS NULL, fq"
    rows_sql = (
        f"SELECT {cols} FROM goal WHERE {FILTER} ORDER BY {FQ} IS NULL, {FQ}, name IS NULL, name, id LIMIT :limit"
    )
    closed = {
        "cta": set(kit.statuses.in_category("cta", "closed_success", "closed_lost")),
        "plan": set(kit.statuses.in_category("plan", "closed")),
    }

    def via_successkit(_: int = 0) -> list[tuple[str, float | None]]:
        view = kit.goals.view(
            WHERE,
            logic=LOGIC,
            sort=["name"],
            limit=LIMIT,
            group_by=sk.FiscalQuarter("due_date", start_month=START_MONTH),
        )
        return [(r.goal.id, r["progress"]) for r in view]

    def via_sqlite(_: int = 0) -> list[tuple[str, float | None]]:
        groups = conn.execute(groups_sql, params).fetchall()
        rows = conn.execute(rows_sql, params).fetchall()
        ids = [r[0] for r in rows]
        marks = ", ".join("?" * len(ids))
        links = conn.execute(
            f"SELECT goal_id, item_kind, item_id FROM goal_link WHERE goal_id IN ({marks})", ids
        ).fetchall()
        state: dict[str, bool] = {}
        for kind in ("cta", "plan"):
            wanted = [x[2] for x in links if x[1] == kind]
            if wanted:
                found = conn.execute(
                    f"SELECT id, status FROM {kind} WHERE id IN ({', '.join('?' * len(wanted))})", wanted
                ).fetchall()
                state.update((i, s in closed[kind]) for i, s in found)
        tally = {i: [0, 0] for i in ids}
        for goal_id, _, item_id in links:
            if item_id in state:
                tally[goal_id][0] += 1
                tally[goal_id][1] += state[item_id]
        assert groups
        return [(i, None if t[0] == 0 else 100.0 * t[1] / t[0]) for i, t in tally.items()]

    try:
        same = via_successkit() == via_sqlite()
        view = kit.goals.view(WHERE, logic=LOGIC, limit=0, group_by=sk.FiscalQuarter("due_date"))
        kit.store.stats.reset()
        via_successkit()
        calls = kit.store.stats.total
        skt, raw = measure(
            settings,
            Side("kit.goals.view", via_successkit),
            Side("raw sqlite3 (group counts, rows, links, CTA statuses)", via_sqlite),
        )
    finally:
        conn.close()
        kit.close()
    return Figure(
        f"(f) goal list over {n:,} goals, grouped by fiscal quarter / raw SQL",
        skt,
        raw,
        1.5,
        [
            f"{view.total:,} goals match '{LOGIC}' in {len(view.groups)} fiscal quarters; "
            f"first {LIMIT} by quarter, then name; kit.goals.view makes {calls} storage calls",
            "same 50 goals, order and progress: " + ("yes" if same else "NO - the results differ!"),
        ],
    )
