"""Benchmarks of reports (REPORT_01, REPORT_04), figures (o) and (q).

(o) ``kit.companies.aggregate`` of count and ARR by CSM and fiscal quarter of the
    renewal date (fiscal years from April) over N companies, against the
    ``GROUP BY`` one writes by hand for the same figures (the fiscal label
    computed in SQL), on SQLite and on PostgreSQL.  Both sides are checked to
    give the same groups, counts and sums.  Target: at most 1.5.
(q) every standard dashboard (``kit.dashboards.all(csm)``: portfolio, ARR at risk,
    renewals, trends, CTA effectiveness, success plans) over a sample book of N
    companies (1.5 CTAs, 6 score snapshots, 3 survey answers each; a plan with an
    objective and two tasks for every third), against the same figures from SQL
    written by hand: one statement per figure the dashboards show, run and
    fetched, with the CSMs' names read by id.  Neither side renders HTML.  The
    storage calls of the successkit side are counted and must not grow with N.
    Target: at most 2.0, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import os
import random
import sqlite3
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, cast

import successkit as sk
from measure import Figure, Settings, Side, measure, remove_db
from successkit.query.language import FiscalQuarter
from successkit.reports.sample import sample_book

__all__ = ["bench_aggregate", "bench_dashboards"]

NOW = datetime(2026, 11, 24, 9, tzinfo=timezone.utc)
PG_URL = os.environ.get("SUCCESSKIT_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
CSMS = 50

#: The fiscal quarter of a renewal date (text ``YYYY-MM-DD``), fiscal years from April, by hand.
_Y = "CAST(substr(renewal_date, 1, 4) AS INTEGER)"
_M = "CAST(substr(renewal_date, 6, 2) AS INTEGER)"
FISCAL = (
    f"'FY' || CAST({_Y} - (CASE WHEN {_M} >= 4 THEN 0 ELSE 1 END) AS TEXT) || '-Q' || "
    f"CAST(((({_M}) + 8) % 12) / 3 + 1 AS TEXT)"
)
AGGREGATE_SQL = f"SELECT csm_id, {FISCAL}, COUNT(*), SUM(arr) FROM {{table}} GROUP BY 1, 2"


def _populate(kit: sk.Kit, rows_for: Callable[..., list[dict[str, Any]]], n: int) -> None:
    users = [kit.users.create(f"CSM {i}") for i in range(CSMS)]
    rng = random.Random(5)
    for offset in range(0, n, 50_000):
        rows = rows_for(min(50_000, n - offset), seed=offset, start=offset)
        for row in rows:
            row["csm_id"] = users[rng.randrange(CSMS)].id if rng.random() < 0.97 else None
        kit.companies.create_many(rows)


def _same(ours: sk.AggregateTable, rows: list[tuple[Any, ...]]) -> bool:
    want = {(r.keys[0], r.keys[1]): (r["n"], round(r["arr"] or 0, 2)) for r in ours}
    got = {(r[0], r[1]): (int(r[2]), round(float(r[3] or 0), 2)) for r in rows}
    return want == got


def bench_aggregate(
    workdir: Path, rows_for: Callable[..., list[dict[str, Any]]], n: int, settings: Settings, postgres: bool = True
) -> tuple[list[Figure], list[str]]:
    """(o) on SQLite, then on PostgreSQL when a server answers; also why PostgreSQL was skipped."""
    path = workdir / "aggregate.db"
    remove_db(path)
    kit = sk.open(f"sqlite:///{path}", clock=NOW, entry_points=False)
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        _populate(kit, rows_for, n)
        figures = [_aggregate_figure(kit, lambda sql: conn.execute(sql).fetchall(), '"company"', "SQLite", n, settings)]
    finally:
        conn.close()
        kit.close()
        remove_db(path)
    if not postgres:
        return figures, []
    found, why = _on_postgres(
        lambda kit, run, table: [_aggregate_figure(kit, run, table, "PostgreSQL", n, settings)],
        lambda kit: _populate(kit, rows_for, n),
    )
    return figures + found, why


def _aggregate_figure(
    kit: sk.Kit, run_sql: Callable[[str], list[Any]], table: str, backend: str, n: int, settings: Settings
) -> Figure:
    sql = AGGREGATE_SQL.format(table=table)
    by = ["csm_id", FiscalQuarter("renewal_date", 4)]

    def via_successkit(_: Any) -> sk.AggregateTable:
        return kit.companies.aggregate(by=cast(Any, by), measures={"n": "count", "arr": "sum"})

    def by_hand(_: Any) -> list[Any]:
        return run_sql(sql)

    same = _same(via_successkit(0), by_hand(0))
    op, base = measure(
        settings.times(3), Side("companies.aggregate", via_successkit), Side("GROUP BY by hand", by_hand)
    )
    notes = [f"{len(by_hand(0)):,} groups: {CSMS} CSMs x fiscal quarters"]
    notes += ["same groups, counts and sums: " + ("yes" if same else "NO - the results differ!")]
    return Figure(
        f"(o) {backend} aggregate ARR by CSM and fiscal quarter, {n:,} companies / GROUP BY",
        op,
        base,
        1.5 if same else 0.0,
        notes,
    )


def _on_postgres(
    figures: Callable[[sk.Kit, Callable[[str], list[Any]], str], list[Figure]], populate: Callable[[sk.Kit], None]
) -> tuple[list[Figure], list[str]]:
    """Run ``figures`` on a PostgreSQL schema of their own, dropped afterwards."""
    try:
        import psycopg
    except ImportError:
        return [], ["PostgreSQL skipped: psycopg is not installed"]
    try:
        admin = psycopg.connect(PG_URL, autocommit=True, connect_timeout=5)
    except psycopg.Error as e:
        return [], [f"PostgreSQL skipped: no server at {PG_URL} ({e})"]
    schema = f"sk_bench_reports_{os.urandom(4).hex()}"
    try:
        admin.execute(f'CREATE SCHEMA "{schema}"')
        admin.execute(f'SET search_path TO "{schema}"')
        kit = sk.open(f"{PG_URL}?schema={schema}", clock=NOW, entry_points=False)
        try:
            populate(kit)
            admin.execute("ANALYZE")
            return figures(kit, lambda sql: admin.execute(sql.replace("?", "%s")).fetchall(), '"company"'), []
        finally:
            kit.close()
    finally:
        admin.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        admin.close()


# ------------------------------------------------------------------------------------------ (q)
def dashboard_sql(today: date) -> list[str]:
    """The dashboards' figures as one writes them by hand: the CSM is ``:csm``."""
    q_first = date(today.year, (today.month - 1) // 3 * 3 + 1, 1)
    q_last = (date(q_first.year + q_first.month // 10, (q_first.month + 2) % 12 + 1, 1)) - timedelta(days=1)
    f_first = date(today.year, 10, 1) if today.month >= 10 else date(today.year, 7, 1)
    f_end = date(f_first.year + 1, f_first.month, 1)
    monday = today - timedelta(days=today.weekday())
    start, end = monday - timedelta(days=35), monday + timedelta(days=6)
    since = (NOW - timedelta(days=89)).replace(hour=0).isoformat(timespec="microseconds")
    open_ = "closed_at IS NULL"
    return [
        "SELECT score_grade, COUNT(*), SUM(arr) FROM company WHERE csm_id = :csm GROUP BY 1",
        "SELECT name, score_grade, arr, renewal_date FROM company WHERE csm_id = :csm "
        "ORDER BY arr DESC NULLS LAST, name LIMIT 10",
        "SELECT COUNT(*), SUM(arr) FROM company WHERE csm_id = :csm "
        f"AND renewal_date BETWEEN '{q_first}' AND '{q_last}'",
        f"SELECT priority, COUNT(*) FROM cta WHERE owner_id = :csm AND {open_} GROUP BY 1",
        *(
            f"SELECT COUNT(*) FROM {t} WHERE owner_id = :csm AND {open_} AND due_date < '{today}'"
            for t in ("cta", "objective", "task")
        ),
        "SELECT score_grade, COUNT(*), SUM(arr) FROM company GROUP BY 1",
        "SELECT csm_id, score_grade, COUNT(*), SUM(arr) FROM company "
        "WHERE score_grade IN ('Red', 'Yellow') GROUP BY 1, 2",
        f"SELECT {FISCAL}, csm_id, COUNT(*), SUM(arr) FROM company "
        f"WHERE renewal_date BETWEEN '{f_first}' AND '{f_end - timedelta(days=1)}' GROUP BY 1, 2",
        f"SELECT period, SUM(score), COUNT(*) FROM score_snapshot WHERE record_kind = 'company' "
        f"AND period BETWEEN '{start}' AND '{end}' AND score IS NOT NULL GROUP BY 1",
        f"SELECT answered_on, nps_category, COUNT(*) FROM survey_response "
        f"WHERE answered_on BETWEEN '{start}' AND '{end}' AND nps_category IS NOT NULL GROUP BY 1, 2",
        f"SELECT owner_id, status, COUNT(*) FROM cta WHERE created_at >= '{since}' GROUP BY 1, 2",
        f"SELECT type, status, COUNT(*) FROM cta WHERE created_at >= '{since}' GROUP BY 1, 2",
        f"SELECT owner_id, COUNT(*) FROM cta WHERE created_at >= '{since}' AND {open_} AND due_date < '{today}' "
        "GROUP BY 1",
        f"SELECT type, COUNT(*) FROM cta WHERE created_at >= '{since}' AND {open_} AND due_date < '{today}' GROUP BY 1",
        "SELECT status, COUNT(*) FROM plan GROUP BY 1",
        "SELECT status, COUNT(*) FROM objective WHERE plan_id IS NOT NULL GROUP BY 1",
        "SELECT status, COUNT(*) FROM task WHERE plan_id IS NOT NULL GROUP BY 1",
        f"SELECT COUNT(*) FROM objective WHERE plan_id IS NOT NULL AND {open_} AND due_date < '{today}'",
        f"SELECT COUNT(*) FROM task WHERE plan_id IS NOT NULL AND {open_} AND due_date < '{today}'",
        'SELECT id, name FROM "user" WHERE id IN (SELECT DISTINCT csm_id FROM company WHERE csm_id IS NOT NULL)',
    ]


def bench_dashboards(
    workdir: Path, n: int, settings: Settings, postgres: bool = True, ctas: int | None = None
) -> tuple[list[Figure], list[str]]:
    """(q) on SQLite, then on PostgreSQL when a server answers; ``ctas`` per company
    (default: the sample book's one or two)."""
    path = workdir / "dashboards.db"
    remove_db(path)
    kit = sk.open(f"sqlite:///{path}", clock=NOW, entry_points=False)
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        csms = sample_book(kit, n, ctas=ctas)
        conn.execute("ANALYZE")
        figures = [_dashboard_figure(kit, csms[0], lambda s: conn.execute(s).fetchall(), "SQLite", n, settings)]
    finally:
        conn.close()
        kit.close()
        remove_db(path)
    if not postgres:
        return figures, []
    made: list[Any] = []

    def populate(kit: sk.Kit) -> None:
        made.extend(sample_book(kit, n, ctas=ctas))

    found, why = _on_postgres(
        lambda kit, run, _: [_dashboard_figure(kit, made[0], run, "PostgreSQL", n, settings)], populate
    )
    return figures + found, why


def _dashboard_figure(
    kit: sk.Kit, csm: Any, run_sql: Callable[[str], list[Any]], backend: str, n: int, settings: Settings
) -> Figure:
    statements = [s.replace(":csm", f"'{csm.id}'") for s in dashboard_sql(kit.today())]

    def via_successkit(_: Any) -> list[Any]:
        return kit.dashboards.all(csm)

    def by_hand(_: Any) -> list[Any]:
        return [run_sql(s) for s in statements]

    via_successkit(0)  # the configuration (priorities) read once into the kit's cache, as a host's kit has it
    kit.store.stats.reset()
    boards = via_successkit(0)
    calls = sum(kit.store.stats.calls.values())
    risk = next(b for b in boards if b.kind == "arr-at-risk")
    hand_total = sum(float(r[2] or 0) for r in by_hand(0)[7])
    same = round(hand_total, 2) == round(risk.total_arr, 2)
    op, base = measure(settings, Side("kit.dashboards.all", via_successkit), Side("the same SQL by hand", by_hand))
    notes = [
        f"{calls} storage calls for the six dashboards; {len(statements)} statements by hand",
        "total ARR the same on both sides: " + ("yes" if same else "NO - the results differ!"),
    ]
    return Figure(
        f"(q) {backend} six dashboards over {n:,} companies / SQL by hand", op, base, 2.0 if same else 0.0, notes
    )
