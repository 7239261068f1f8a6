"""Benchmarks for customer signals (u), (v), (w), (x).

(u) ``kit.usage.ingest`` of N usage facts into an empty SQLite table, against
    raw ``sqlite3`` ``executemany`` of the same rows, already encoded as tuples,
    into a table with the same DDL and indexes, one transaction each.
    Target: at most 2.0.  (u') the same facts ingested again into the file that
    holds them (nothing changes), against the same raw ``executemany``.
    Target: at most 2.0.
(v) the same ingest on PostgreSQL against raw psycopg ``COPY`` of the same
    tuples into a table with the same DDL.  Target: at most 1.5.
(w) ``kit.usage.window`` (sum over the last 30 days and the 30 before, with the
    change) for every company, over F facts of C companies, on SQLite, against
    the same two grouped queries written by hand with ``sqlite3`` and the change
    computed in a plain loop.  Target: at most 1.5.
(x) ``kit.companies.update_many`` of N companies changing a tracked attribute
    (stage) and an untracked one (industry), with attribute history on (the
    default), against the same update with history turned off
    (``kit.history.track("company", [])``).  Target: at most 1.2 (HIST_01's
    "adds at most 20 %").

Writes start every round from a fresh copy of one prepared file, so the tables
do not grow from round to round.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import successkit as sk
from measure import Figure, Settings, Side, copy_db, measure, remove_db, seal_db
from pg_figures import against_copy
from successkit.records import UsageFact
from successkit.signals.usage import fact_id, percent_change, window_bounds

__all__ = ["bench_history", "bench_ingest", "bench_ingest_postgres", "bench_windows"]

TODAY = date(2026, 11, 24)
START = date(2026, 1, 1)


def _kit(path: Path) -> sk.Kit:
    return sk.open(f"sqlite:///{path}", clock=TODAY, entry_points=False)


def _companies(kit: sk.Kit, n: int) -> list[str]:
    ids: list[str] = []
    for start in range(0, n, 50_000):
        made = kit.companies.create_many([{"name": f"Company {i}"} for i in range(start, min(n, start + 50_000))])
        ids.extend(c.id for c in made)
    return ids


def _facts(companies: list[str], n: int) -> list[dict[str, Any]]:
    """``n`` daily facts spread over the companies, one per company and day."""
    k = len(companies)
    return [
        {"metric": "logins", "company": companies[i % k], "period": START + timedelta(days=i // k), "value": i % 17}
        for i in range(n)
    ]


def _tuples(kit: sk.Kit, rows: list[dict[str, Any]]) -> tuple[list[tuple[Any, ...]], tuple[str, ...]]:
    """The rows as the table stores them (built untimed: the raw side starts from encoded tuples)."""
    schema = kit.store.schema("usage_fact")
    now = kit.now()
    facts = [
        UsageFact(
            id=fact_id("logins", "company", r["company"], None, r["period"]),
            created_at=now,
            updated_at=now,
            metric="logins",
            record_kind="company",
            record_id=r["company"],
            company_id=r["company"],
            period=r["period"],
            value=float(r["value"]),
        )
        for r in rows
    ]
    return [schema.to_row(f) for f in facts], schema.names


def _count(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute("SELECT COUNT(*) FROM usage_fact").fetchone()[0])
    finally:
        conn.close()


def _rows(path: Path) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT * FROM usage_fact ORDER BY id").fetchall()
    finally:
        conn.close()


def bench_ingest(workdir: Path, n: int, settings: Settings) -> list[Figure]:
    empty, full = workdir / "usage-empty.db", workdir / "usage-full.db"
    remove_db(empty)
    kit = _kit(empty)
    kit.metrics.declare("logins")
    companies = _companies(kit, max(1, n // 100))
    rows = _facts(companies, n)
    tuples, names = _tuples(kit, rows)
    kit.close()
    seal_db(empty)

    def via_ingest(path: Path) -> None:
        kit = _kit(path)
        try:
            kit.usage.ingest(rows)
        finally:
            kit.close()

    copy_db(empty, full)
    kit = _kit(full)
    kit.usage.ingest(rows)
    kit.close()
    seal_db(full)
    once_more = copy_db(full, workdir / "usage-again.db")
    before = _rows(once_more)
    via_ingest(once_more)
    assert _rows(once_more) == before, "a re-ingest of the same facts changed the table"
    remove_db(once_more)
    sql = f"INSERT INTO usage_fact ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"

    def fresh(master: Path) -> Callable[[int], Path]:
        return lambda round_: copy_db(master, workdir / f"usage-{round_}.db")

    def via_raw(path: Path) -> None:
        conn = sqlite3.connect(path, isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("BEGIN")
            conn.executemany(sql, tuples)
            conn.execute("COMMIT")
        finally:
            conn.close()

    def check(path: Path) -> None:
        assert _count(path) == n, path
        remove_db(path)

    first, raw = measure(
        settings,
        Side("kit.usage.ingest into an empty table", via_ingest, fresh(empty), check),
        Side("raw executemany", via_raw, fresh(empty), check),
    )
    again, raw_again = measure(
        settings,
        Side("kit.usage.ingest of the same facts again", via_ingest, fresh(full), check),
        Side("raw executemany into an empty table", via_raw, fresh(empty), check),
    )
    note = "successkit checks each row, its record and person, derives the ids and writes; raw writes encoded tuples"
    return [
        Figure(f"(u) usage ingest of {n:,} facts / raw executemany", first, raw, 2.0, [note]),
        Figure(
            f"(u') re-ingest of the same {n:,} facts / raw executemany",
            again,
            raw_again,
            2.0,
            ["the second load writes nothing (checked: every row, version and stamp as before)"],
        ),
    ]


def bench_ingest_postgres(url: str, n: int, settings: Settings) -> tuple[list[Figure], str | None]:
    try:
        import psycopg
    except ImportError:
        return [], "skipped: psycopg is not installed"
    try:
        admin = psycopg.connect(url, autocommit=True, connect_timeout=5)
    except psycopg.Error as e:
        return [], f"skipped: no PostgreSQL server ({str(e).strip().splitlines()[0]})"
    import os

    tag = os.urandom(4).hex()
    schemas = {"sk": f"sk_bench_u_{tag}", "raw": f"sk_bench_uraw_{tag}"}
    try:
        kit = sk.open(f"{url}?schema={schemas['sk']}", clock=TODAY, entry_points=False)
        sk.open(f"{url}?schema={schemas['raw']}", entry_points=False).close()
        kit.metrics.declare("logins")
        companies = _companies(kit, max(1, n // 100))
        rows = _facts(companies, n)
        tuples, names = _tuples(kit, rows)
        tables = {side: f'{name}."usage_fact"' for side, name in schemas.items()}
        try:
            ingest, copy = against_copy(
                admin, tables, names, tuples, settings, Side("kit.usage.ingest", lambda _: kit.usage.ingest(rows))
            )
        finally:
            kit.close()
        figure = Figure(
            f"(v) PostgreSQL usage ingest of {n:,} facts / raw COPY",
            ingest,
            copy,
            1.5,
            ["tables emptied before every timed run; same DDL and indexes, one transaction each"],
        )
        return [figure], None
    finally:
        for schema in schemas.values():
            admin.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        admin.close()


def _populate_facts(path: Path, companies: list[str], facts: int) -> None:
    """``facts`` facts of the companies spread over the 60 days up to today (so both windows
    hold some), written by hand (the prepared file only)."""
    kit = _kit(path)
    schema = kit.store.schema("usage_fact")
    names = schema.names
    kit.close()
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("BEGIN")
    conn.execute("CREATE TEMP TABLE c (n INTEGER PRIMARY KEY, id TEXT)")
    conn.executemany("INSERT INTO c VALUES (?, ?)", enumerate(companies))
    k = len(companies)
    days = facts // k
    values = {
        "id": "printf('f%09d', s.i)", "version": "1", "created_at": "'2026-11-24T00:00:00+00:00'",
        "updated_at": "'2026-11-24T00:00:00+00:00'", "created_by": "NULL", "fields": "'{}'", "metric": "'logins'",
        "record_kind": "'company'", "record_id": "c.id", "company_id": "c.id", "person_id": "NULL",
        "period": f"date('{TODAY.isoformat()}', '-' || ((s.i / {k}) * 60 / {days}) || ' days')", "days": "1",
        "value": "(s.i * 7919) % 101",
    }  # fmt: skip
    conn.execute(
        f"WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i + 1 < {days * k}) "
        f"INSERT INTO usage_fact ({', '.join(names)}) SELECT {', '.join(values[c] for c in names)} "
        f"FROM s JOIN c ON c.n = s.i % {k}"
    )
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    conn.close()


def bench_windows(workdir: Path, companies_n: int, facts: int, settings: Settings) -> Figure:
    path = workdir / "windows.db"
    remove_db(path)
    kit = _kit(path)
    kit.metrics.declare("logins")
    companies = _companies(kit, companies_n)
    kit.close()
    _populate_facts(path, companies, facts)
    kit = _kit(path)
    conn = sqlite3.connect(path)
    (start, end), (lo, hi) = window_bounds(TODAY, 30)
    sql = (
        "SELECT company_id, SUM(value) FROM usage_fact WHERE metric = ? AND period BETWEEN ? AND ? GROUP BY company_id"
    )
    answers: dict[str, Any] = {}

    def via_kit(_: int) -> None:
        answers["kit"] = kit.usage.window("logins", days=30)

    def via_sql(_: int) -> None:
        now = dict(conn.execute(sql, ("logins", start.isoformat(), end.isoformat())).fetchall())
        before = dict(conn.execute(sql, ("logins", lo.isoformat(), hi.isoformat())).fetchall())
        answers["sql"] = {
            i: (now.get(i), before.get(i), percent_change(now.get(i), before.get(i)))
            for i in sorted(set(now) | set(before))
        }

    try:
        window, hand = measure(settings, Side("kit.usage.window", via_kit), Side("hand-written SQL", via_sql))
        got = {r.record_id: (r.current, r.previous, r.change) for r in answers["kit"]}
        assert got == answers["sql"], "the window differs from the hand-written answer"
    finally:
        kit.close()
        conn.close()
    return Figure(
        f"(w) usage windows of {companies_n:,} companies over {facts:,} facts / hand-written SQL",
        window,
        hand,
        1.5,
        ["sum over the last 30 days and the 30 before, with the change in %; both read the same indexes"],
    )


def bench_history(workdir: Path, n: int, settings: Settings) -> Figure:
    tracked, untracked = workdir / "history-on.db", workdir / "history-off.db"
    remove_db(tracked)
    kit = _kit(tracked)
    ids = _companies(kit, n)
    kit.close()
    seal_db(tracked)
    copy_db(tracked, untracked)
    kit = _kit(untracked)
    kit.history.track("company", [])
    kit.close()
    seal_db(untracked)
    changes = [(i, {"stage": "Adoption", "industry": "Retail"}) for i in ids]

    def fresh(master: Path) -> Callable[[int], tuple[sk.Kit, Path]]:
        def prepare(round_: int) -> tuple[sk.Kit, Path]:
            path = copy_db(master, workdir / f"history-{master.stem}-{round_}.db")
            return _kit(path), path

        return prepare

    def run(arg: tuple[sk.Kit, Path]) -> None:
        arg[0].companies.update_many(changes)

    def finish(arg: tuple[sk.Kit, Path]) -> None:
        arg[0].close()
        remove_db(arg[1])

    on, off = measure(
        settings,
        Side("update_many with history (stage tracked)", run, fresh(tracked), finish),
        Side("update_many with history off", run, fresh(untracked), finish),
    )
    return Figure(
        f"(x) companies.update_many of {n:,} with attribute history / without",
        on,
        off,
        1.2,
        ["history writes one row per changed tracked attribute in the same transaction"],
    )
