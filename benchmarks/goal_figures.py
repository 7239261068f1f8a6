"""Benchmark for customer goals: the goal list view (f).

(f) ``kit.goals.view`` over 100,000 goals on SQLite: three conditions with the
    logic ``(1 AND 2) OR 3``, sorted by name, grouped by fiscal quarter of the
    due date (April start), limit 50, with the progress of the 50 rows.  The
    baseline is the same work written by hand with ``sqlite3``: one ``GROUP BY``
    for the group counts and one ``SELECT ... ORDER BY <fiscal quarter>, name,
    id LIMIT 50`` for the rows (the fiscal quarter computed in SQL), then the
    links of those rows and the statuses of the linked CTAs and plans.
    Target: at most 1.5.
(p) Goals by their computed progress (GOAL_06) over N goals (``--progress-goals``;
    default half of ``--query-rows``), linked to CTAs and plans of every status
    (:func:`progress_world`), on SQLite and on PostgreSQL when a server answers:
    ``kit.goals.view`` sorted by ``-progress`` then name, and filtered by
    ``progress < 50`` sorted by name, limit 50 with the total, against the SQL
    one writes by hand for the same answer: one aggregate over the links joined
    to their CTAs and plans (a closed plan's objectives counted through their
    index), joined to the goals and sorted or filtered, and a count (of all goals
    for the sort, of the filtered ones for the filter).  Target: at most 2.0.
"""

from __future__ import annotations

import os
import random
import sqlite3
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import successkit as sk
from measure import Figure, Settings, Side, measure, remove_db

__all__ = ["bench_goal_list", "bench_goal_progress", "progress_world"]

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


# ------------------------------------------------------------------ (p) goals by progress
#: The two lists of (p): sorted by progress, and filtered by it (behind: under half done).
PROGRESS_LISTS: dict[str, dict[str, Any]] = {
    "sorted by -progress": {"sort": ["-progress", "name"], "limit": LIMIT},
    "filtered progress < 50, by name": {"where": [("progress", "<", 50)], "sort": ["name"], "limit": LIMIT},
}

#: Per goal with links to work that still exists: linked and achieved (a CTA closed successfully;
#: a closed plan with no more objectives closed lost than closed successfully), written by hand.
_TALLY = """SELECT goal_id, COUNT(*) AS linked, SUM(won) AS achieved FROM (
  SELECT l.goal_id, CASE WHEN c.status = {p} THEN 1 ELSE 0 END AS won
    FROM goal_link l JOIN cta c ON c.id = l.item_id WHERE l.item_kind = 'cta'
  UNION ALL
  SELECT l.goal_id, CASE WHEN p.status = {p} THEN CASE WHEN COALESCE((
      SELECT SUM(CASE WHEN o.status = {p} THEN 1 ELSE -1 END) FROM objective o
       WHERE o.plan_id = p.id AND o.status IN ({p}, {p})), 0) >= 0 THEN 1 ELSE 0 END ELSE 0 END
    FROM goal_link l JOIN plan p ON p.id = l.item_id WHERE l.item_kind = 'plan'
) AS w GROUP BY goal_id"""
_TALLY_PARAMS = ("closed_success", "closed", "closed_success", "closed_success", "closed_lost")


def _by_hand(cols: str, p: str, hundred: str, nulls_last: str) -> dict[str, tuple[str, str]]:
    """(page, total) statements of each list of (p) in one dialect's spelling."""
    tally = _TALLY.format(p=p)
    progress = f"CASE WHEN t.linked > 0 THEN {hundred} * t.achieved / t.linked END"
    base = f"FROM goal g LEFT JOIN ({tally}) AS t ON t.goal_id = g.id"
    cols = ", ".join(f"g.{c}" for c in cols.split(", "))
    return {
        "sorted by -progress": (
            f"SELECT {cols}, t.linked, t.achieved {base} ORDER BY {progress} DESC{nulls_last}, g.name, g.id LIMIT {p}",
            "SELECT COUNT(*) FROM goal",
        ),
        "filtered progress < 50, by name": (
            f"SELECT {cols}, t.linked, t.achieved {base} WHERE {progress} < {p} ORDER BY g.name, g.id LIMIT {p}",
            f"SELECT COUNT(*) {base} WHERE {progress} < {p}",
        ),
    }


def _list_params(name: str) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    if name == "sorted by -progress":
        return (*_TALLY_PARAMS, LIMIT), ()
    return (*_TALLY_PARAMS, 50, LIMIT), (*_TALLY_PARAMS, 50)


def progress_world(kit: sk.Kit, n: int, seed: int = 3, batch: int = 100_000) -> None:
    """``n`` goals over 500 companies: a quarter with nothing linked, the others linked to
    one to three of n / 4 CTAs (some closed lost) and n / 40 plans (some closed, with
    objectives won and lost), 3 % of the links to work since deleted."""
    rng = random.Random(seed)
    now = datetime(2026, 11, 24, tzinfo=timezone.utc)
    stamp: dict[str, Any] = {"created_at": now, "updated_at": now}
    alice = kit.users.create("Alice")
    cids = [c.id for c in kit.companies.create_many([{"name": f"Company {i}"} for i in range(500)])]
    work = ["new", "work_in_progress", "closed_success", "closed_success", "closed_lost"]
    day = date(2026, 1, 1)
    ctas = [
        sk.Cta(**stamp, name=f"CTA {i}", company_id=cids[i % 500], status=rng.choice(work), start_date=day)
        for i in range(max(1, n // 4))
    ]
    plans = [
        sk.SuccessPlan(
            **stamp,
            name=f"Plan {i}",
            name_key=f"plan {i}",
            company_id=cids[i % 500],
            plan_type="onboarding",
            status=rng.choice(["active", "closed", "closed", "draft"]),
            owner_id=alice.id,
        )
        for i in range(max(1, n // 40))
    ]
    objectives = [
        sk.Objective(
            **stamp, name=f"O{j}", company_id=p.company_id, plan_id=p.id, status=rng.choice(work), start_date=day
        )
        for p in plans
        for j in range(rng.randrange(0, 6))
    ]
    for records in (ctas, plans, objectives):
        for start in range(0, len(records), batch):
            kit.store.insert_many(records[start : start + batch])
    statuses = ("not_started", "in_progress", "achieved", "not_achieved")
    for start in range(0, n, batch):
        goals, links = [], []
        for i in range(start, min(n, start + batch)):
            goal = sk.Goal(
                **stamp, name=f"Goal {rng.randrange(10**6):06d}", company_id=cids[i % 500], status=rng.choice(statuses)
            )
            goals.append(goal)
            seen = set()
            for _ in range(rng.choices([0, 1, 2, 3], [25, 35, 25, 15])[0]):
                kind, item = ("cta", rng.choice(ctas).id) if rng.random() < 0.8 else ("plan", rng.choice(plans).id)
                item = sk.records.new_id() if rng.random() < 0.03 else item
                if (kind, item) not in seen:
                    seen.add((kind, item))
                    links.append(
                        sk.GoalLink(**stamp, goal_id=goal.id, item_kind=kind, item_id=item, company_id=goal.company_id)
                    )
        kit.store.insert_many(goals)
        kit.store.insert_many(links)


def _progress_figures(
    label: str, kit: sk.Kit, run_sql: Any, statements: dict[str, tuple[str, str]], n: int, settings: Settings
) -> list[Figure]:
    """One figure per list of (p): kit.goals.view against the statements by hand, same answer checked."""
    figures = []
    for name, args in PROGRESS_LISTS.items():
        page_sql, total_sql = statements[name]
        page_params, total_params = _list_params(name)

        def via_successkit(_: int = 0, args: dict[str, Any] = args) -> tuple[Any, ...]:
            view = kit.goals.view(**args)
            return view.total, [(r.goal.id, r["progress"]) for r in view]

        def via_sql(
            _: int = 0,
            page_sql: str = page_sql,
            total_sql: str = total_sql,
            pp: Any = page_params,
            tp: Any = total_params,
        ) -> tuple[Any, ...]:
            rows = run_sql(page_sql, pp)
            total = run_sql(total_sql, tp)[0][0]
            return total, [(r[0], None if not r[-2] else 100.0 * r[-1] / r[-2]) for r in rows]

        same = via_successkit() == via_sql()
        kit.store.stats.reset()
        via_successkit()
        calls = kit.store.stats.total
        skt, raw = measure(
            settings, Side(f"kit.goals.view ({label})", via_successkit), Side(f"SQL by hand ({label})", via_sql)
        )
        figures.append(
            Figure(
                f"(p) {n:,} goals {name}, {label} / SQL by hand",
                skt,
                raw,
                2.0,
                [
                    f"first {LIMIT} and the total; kit.goals.view makes {calls} storage calls; the SQL by hand "
                    "is one aggregate over the links joined to the goals, and a count",
                    "same total, goals, order and progress: " + ("yes" if same else "NO - the results differ!"),
                ],
            )
        )
    return figures


def bench_goal_progress(
    workdir: Path, n: int, settings: Settings, pg_url: str | None
) -> tuple[list[Figure], list[str]]:
    """(p) on SQLite, and on PostgreSQL when ``pg_url`` answers: figures, and why any were skipped."""
    path = workdir / "progress.db"
    remove_db(path)
    kit = sk.open(f"sqlite:///{path}", clock=date(2026, 11, 24), entry_points=False)
    figures: list[Figure] = []
    skipped: list[str] = []
    try:
        progress_world(kit, n)
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        cols = ", ".join(kit.store.schema("goal").names)
        statements = _by_hand(cols, "?", "100.0", "")  # SQLite puts nulls last in a descending sort
        try:
            figures += _progress_figures(
                "SQLite", kit, lambda sql, params: conn.execute(sql, params).fetchall(), statements, n, settings
            )
        finally:
            conn.close()
    finally:
        kit.close()
        remove_db(path)
    if pg_url is None:
        return figures, skipped
    try:
        import psycopg
    except ImportError:
        return figures, ["(p) PostgreSQL: psycopg is not installed"]
    schema = f"sk_bench_progress_{os.urandom(4).hex()}"
    try:
        admin = psycopg.connect(pg_url, autocommit=True, connect_timeout=5)
    except psycopg.Error as e:
        return figures, [f"(p) PostgreSQL skipped: {str(e).strip().splitlines()[0]}"]
    try:
        kit = sk.open(f"{pg_url}?schema={schema}", clock=date(2026, 11, 24), entry_points=False)
        try:
            progress_world(kit, n)
            admin.execute(f"SET search_path = {schema}")
            admin.execute("VACUUM ANALYZE")
            cols = ", ".join(kit.store.schema("goal").names)
            statements = _by_hand(cols, "%s", "CAST(100.0 AS double precision)", " NULLS LAST")
            figures += _progress_figures(
                "PostgreSQL", kit, lambda sql, params: admin.execute(sql, params).fetchall(), statements, n, settings
            )
        finally:
            kit.close()
    finally:
        admin.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        admin.close()
    return figures, skipped
