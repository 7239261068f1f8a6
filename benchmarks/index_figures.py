"""Sorted, limited lists at scale, on the indexes successkit declares (j).

(j) Over N companies (``--sort-rows``; the issue's figure is 1,000,000), six
    lists of 50 through ``kit.companies.list`` against the SQL one writes by
    hand for the same rows, run on the same file (or schema) and reading the
    same index:

    - upcoming renewals: renewal date within the next 120 days, by renewal date;
    - renewals: everything by renewal date, missing dates last;
    - the list query: ``stage = Adoption`` by ``-arr``;
    - largest first: everything by ``-arr``;
    - by name, a column that is never missing: everything by ``name``;
    - a custom field declared ``indexed=True``: everything by it;
    - the health grade (SCORE_06): ``score.grade = Red`` by ``-arr``, on the
      (score_grade, arr) index companies declare (grades set by hand, untimed).

    Each pair is checked to return the same 50 ids.  Each list is a figure of
    its own, target at most 2.0, on SQLite and on PostgreSQL (when a server
    answers).
"""

from __future__ import annotations

import os
import random
import sqlite3
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import successkit as sk
from measure import Figure, Settings, Side, measure, remove_db
from successkit.query.bind import FieldRef
from successkit.query.schema import FieldType

__all__ = ["bench_sorted_lists"]

TODAY = date(2026, 11, 24)
LIMIT = 50
PG_URL = os.environ.get("SUCCESSKIT_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")

#: name -> (successkit conditions, sort; the SQL by hand on SQLite, on PostgreSQL, and its parameters)
_LISTS: dict[str, tuple[list[Any], list[str], str, str, tuple[Any, ...]]] = {
    "upcoming renewals": (
        [("renewal_date", "within next 120 days")],
        ["renewal_date"],
        "WHERE renewal_date BETWEEN ? AND ? ORDER BY renewal_date, id",
        'WHERE "renewal_date" BETWEEN %s AND %s ORDER BY "renewal_date", "id"',
        (TODAY.isoformat(), (TODAY + timedelta(days=120)).isoformat()),
    ),
    "renewals, missing last": (
        [],
        ["renewal_date"],
        "ORDER BY renewal_date NULLS LAST, id",
        'ORDER BY "renewal_date", "id"',
        (),
    ),
    "stage = Adoption by -arr": (
        [("stage", "=", "Adoption")],
        ["-arr"],
        "WHERE stage = ? ORDER BY arr DESC, id",
        'WHERE "stage" = %s ORDER BY "arr" DESC NULLS LAST, "id"',
        ("Adoption",),
    ),
    "largest ARR first": ([], ["-arr"], "ORDER BY arr DESC, id", 'ORDER BY "arr" DESC NULLS LAST, "id"', ()),
    "by name (never missing)": ([], ["name"], "ORDER BY name, id", 'ORDER BY "name", "id"', ()),
    "custom field, indexed": ([], ["score"], "ORDER BY {score}, id", 'ORDER BY {score}, "id"', ()),
    "score.grade = Red by -arr": (
        [("score.grade", "=", "Red")],
        ["-arr"],
        "WHERE score_grade = ? ORDER BY arr DESC, id",
        'WHERE "score_grade" = %s ORDER BY "arr" DESC NULLS LAST, "id"',
        ("Red",),
    ),
}

#: Grades spread over the companies by hand (a recompute of a million is figure (r)'s work).
GRADES_SQL = (
    "UPDATE {table} SET score_grade = CASE WHEN substr(id, 1, 1) IN ('0', '1', '2') THEN 'Red' "
    "WHEN substr(id, 1, 1) IN ('3', '4', '5', '6') THEN 'Yellow' ELSE 'Green' END"
)


def _populate(kit: sk.Kit, rows_for: Callable[..., list[dict[str, Any]]], n: int) -> float:
    """n companies (about a fifth without a renewal date, most with a custom score), then the
    score's indexes, made over the rows already there."""
    start = time.perf_counter()
    kit.custom_fields.declare("company", "score", "number")
    rng = random.Random(3)
    for offset in range(0, n, 50_000):
        rows = rows_for(min(50_000, n - offset), seed=offset, start=offset)
        for row in rows:
            if rng.random() < 0.2:
                row["renewal_date"] = None
            if rng.random() < 0.9:
                row["fields"] = {"score": rng.randrange(1000)}
        kit.companies.create_many(rows)
    kit.custom_fields.set_indexed("company", "score", True)
    return time.perf_counter() - start


def _measure(
    kit: sk.Kit,
    run_sql: Callable[[str, tuple[Any, ...]], list[Any]],
    pg: bool,
    settings: Settings,
    backend: str,
    n: int,
    spent: float,
) -> list[Figure]:
    """One figure per list: successkit against the same SQL by hand, interleaved rounds."""
    store: Any = kit.store
    cols = ", ".join(f'"{c}"' for c in store.schema("company").names)
    score = store.dialect.sort_terms(FieldRef("score", FieldType.FLOAT, custom=True), False)[0]
    out = []
    for name, (where, sort, sqlite_sql, pg_sql, params) in _LISTS.items():
        tail = (pg_sql if pg else sqlite_sql).format(score=score)
        table = store.dialect.table("company")
        sql = f"SELECT {cols} FROM {table} {tail} LIMIT {LIMIT}"

        def via_successkit(_: Any, where: list[Any] = where, sort: list[str] = sort) -> list[Any]:
            return kit.companies.list(where, sort=sort, limit=LIMIT)

        def by_hand(_: Any, sql: str = sql, params: tuple[Any, ...] = params) -> list[Any]:
            return run_sql(sql, params)

        same = [c.id for c in via_successkit(0)] == [r[0] for r in by_hand(0)]
        op, base = measure(settings.times(3), Side("successkit list()", via_successkit), Side("by hand", by_hand))
        notes = [
            f"{n:,} companies written and indexed in {spent:.0f} s; each list read from the index successkit declared"
        ] + ([] if same else ["NOT the same 50 ids!"])
        out.append(Figure(f"(j) {backend} {name}, {LIMIT} of {n:,} / by hand", op, base, 2.0 if same else 0.0, notes))
    return out


def bench_sorted_lists(
    workdir: Path, rows_for: Callable[..., list[dict[str, Any]]], n: int, settings: Settings, postgres: bool = True
) -> tuple[list[Figure], list[str]]:
    """Figure (j) on SQLite, then (unless ``postgres`` is False, or no server answers) on PostgreSQL;
    also the lines saying why PostgreSQL was skipped."""
    figures = _sqlite(workdir, rows_for, n, settings)
    skipped: list[str] = []
    if postgres:
        pg, why = _postgres(rows_for, n, settings)
        figures.extend(pg)
        skipped.extend(why)
    return figures, skipped


def _sqlite(workdir: Path, rows_for: Callable[..., list[dict[str, Any]]], n: int, settings: Settings) -> list[Figure]:
    path = workdir / "sorted.db"
    remove_db(path)  # a file of an earlier run (--keep, or another size of --sizes)
    kit = sk.open(f"sqlite:///{path}", clock=TODAY, entry_points=False)
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        spent = _populate(kit, rows_for, n)
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute(GRADES_SQL.format(table="company"))
        conn.execute("ANALYZE")
        return _measure(
            kit, lambda sql, params: conn.execute(sql, params).fetchall(), False, settings, "SQLite", n, spent
        )
    finally:
        conn.close()
        kit.close()


def _postgres(
    rows_for: Callable[..., list[dict[str, Any]]], n: int, settings: Settings
) -> tuple[list[Figure], list[str]]:
    try:
        import psycopg
    except ImportError:
        return [], ["(j) PostgreSQL skipped: psycopg is not installed"]
    try:
        admin = psycopg.connect(PG_URL, autocommit=True, connect_timeout=5)
    except psycopg.Error as e:
        return [], [f"(j) PostgreSQL skipped: no server at {PG_URL} ({e})"]
    schema = f"sk_bench_sorted_{os.urandom(4).hex()}"
    try:
        kit = sk.open(f"{PG_URL}?schema={schema}", clock=TODAY, entry_points=False)
        try:
            spent = _populate(kit, rows_for, n)
            admin.execute(GRADES_SQL.format(table=f'"{schema}"."company"'))
            admin.execute(f'ANALYZE "{schema}"."company"')
            return _measure(
                kit, lambda sql, params: admin.execute(sql, params).fetchall(), True, settings, "PostgreSQL", n, spent
            ), []
        finally:
            kit.close()
    finally:
        admin.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        admin.close()
