"""Sorted, limited lists at scale, on the indexes successkit declares (j).

(j) Over N companies (``--sort-rows``; the issue's figure is 1,000,000), five
    lists of 50 through ``kit.companies.list`` against the SQL one writes by
    hand for the same rows, run on the same file (or schema) and reading the
    same index:

    - upcoming renewals: renewal date within the next 120 days, by renewal date;
    - renewals: everything by renewal date, missing dates last;
    - the list query: ``stage = Adoption`` by ``-arr``;
    - largest first: everything by ``-arr``;
    - a custom field declared ``indexed=True``: everything by it.

    Each pair is checked to return the same 50 ids.  The figure is the worst of
    the five ratios; target at most 2.0, on SQLite and on PostgreSQL (when a
    server answers).
"""

from __future__ import annotations

import gc
import os
import random
import sqlite3
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import successkit as sk
from successkit.query.bind import FieldRef
from successkit.query.schema import FieldType

__all__ = ["bench_sorted_lists"]

TODAY = date(2026, 11, 24)
LIMIT = 50
PG_URL = os.environ.get("SUCCESSKIT_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")

#: name -> (successkit conditions, sort; the SQL by hand on SQLite, on PostgreSQL, and its parameters)
_LISTS: dict[str, tuple[list[Any], list[str], str, str, tuple[Any, ...]]] = {
    "upcoming renewals": (
        [("renewal_date", "within next 120 days")], ["renewal_date"],
        "WHERE renewal_date BETWEEN ? AND ? ORDER BY renewal_date, id",
        'WHERE "renewal_date" BETWEEN %s AND %s ORDER BY "renewal_date", "id"',
        (TODAY.isoformat(), (TODAY + timedelta(days=120)).isoformat())),
    "renewals, missing last": (
        [], ["renewal_date"],
        "ORDER BY renewal_date NULLS LAST, id", 'ORDER BY "renewal_date", "id"', ()),
    "stage = Adoption by -arr": (
        [("stage", "=", "Adoption")], ["-arr"],
        "WHERE stage = ? ORDER BY arr DESC, id", 'WHERE "stage" = %s ORDER BY "arr" DESC NULLS LAST, "id"',
        ("Adoption",)),
    "largest ARR first": (
        [], ["-arr"], "ORDER BY arr DESC, id", 'ORDER BY "arr" DESC NULLS LAST, "id"', ()),
    "custom field, indexed": ([], ["score"], "ORDER BY {score}, id", 'ORDER BY {score}, "id"', ()),
}


def _best(repeats: int, funcs: list[Callable[[], object]]) -> list[float]:
    best = [float("inf")] * len(funcs)
    for f in funcs:  # warm the caches
        f()
    gc.collect()
    for _ in range(repeats):
        for i, f in enumerate(funcs):
            start = time.perf_counter()
            f()
            best[i] = min(best[i], time.perf_counter() - start)
    return best


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


def _measure(kit: sk.Kit, run_sql: Callable[[str, tuple[Any, ...]], list[Any]], pg: bool, repeats: int
             ) -> list[tuple[str, float, float, bool]]:
    """(list, successkit seconds, by hand seconds, same ids) for each list."""
    store: Any = kit.store
    cols = ", ".join(f'"{c}"' for c in store.schema("company").names)
    score = store.dialect.sort_terms(FieldRef("score", FieldType.FLOAT, custom=True), False)[0]
    out = []
    for name, (where, sort, sqlite_sql, pg_sql, params) in _LISTS.items():
        tail = (pg_sql if pg else sqlite_sql).format(score=score)
        table = store.dialect.table("company")
        sql = f"SELECT {cols} FROM {table} {tail} LIMIT {LIMIT}"

        def via_successkit(where: list[Any] = where, sort: list[str] = sort) -> list[Any]:
            return kit.companies.list(where, sort=sort, limit=LIMIT)

        def by_hand(sql: str = sql, params: tuple[Any, ...] = params) -> list[Any]:
            return run_sql(sql, params)

        same = [c.id for c in via_successkit()] == [r[0] for r in by_hand()]
        skt, raw = _best(repeats, [via_successkit, by_hand])
        out.append((name, skt, raw, same))
    return out


def _figure(label: str, n: int, results: list[tuple[str, float, float, bool]], spent: float,
            figure: Callable[..., Any]) -> Any:
    worst = max(skt / raw for _, skt, raw, _ in results)
    notes = [f"{name}: {skt * 1000:.2f} ms / {raw * 1000:.2f} ms by hand = {skt / raw:.2f}"
             + ("" if same else "  - NOT the same 50 ids!") for name, skt, raw, same in results]
    notes.append(f"{n:,} companies written and indexed in {spent:.0f} s; lists of {LIMIT}, "
                 "each read from the index successkit declared")
    return figure(f"(j) {label} sorted lists of {LIMIT} over {n:,} / by hand (worst of 5)", worst, 2.0, notes)


def bench_sorted_lists(workdir: Path, rows_for: Callable[..., list[dict[str, Any]]], n: int, repeats: int,
                       figure: Callable[..., Any], postgres: bool = True) -> list[Any]:
    """Figure (j) on SQLite, then (unless ``postgres`` is False, or no server answers) on PostgreSQL."""
    figures = [_sqlite(workdir, rows_for, n, repeats, figure)]
    if postgres:
        pg = _postgres(rows_for, n, repeats, figure)
        if pg is not None:
            figures.append(pg)
    return figures


def _sqlite(workdir: Path, rows_for: Callable[..., list[dict[str, Any]]], n: int, repeats: int,
            figure: Callable[..., Any]) -> Any:
    path = workdir / "sorted.db"
    kit = sk.open(f"sqlite:///{path}", clock=TODAY, entry_points=False)
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        spent = _populate(kit, rows_for, n)
        conn.execute("PRAGMA journal_mode = WAL")
        results = _measure(kit, lambda sql, params: conn.execute(sql, params).fetchall(), False, repeats)
    finally:
        conn.close()
        kit.close()
    return _figure("SQLite", n, results, spent, figure)


def _postgres(rows_for: Callable[..., list[dict[str, Any]]], n: int, repeats: int,
              figure: Callable[..., Any]) -> Any:
    try:
        import psycopg
    except ImportError:
        print("    (j) PostgreSQL skipped: psycopg is not installed")
        return None
    try:
        admin = psycopg.connect(PG_URL, autocommit=True, connect_timeout=5)
    except psycopg.Error as e:
        print(f"    (j) PostgreSQL skipped: no server at {PG_URL} ({e})")
        return None
    schema = f"sk_bench_sorted_{os.urandom(4).hex()}"
    try:
        kit = sk.open(f"{PG_URL}?schema={schema}", clock=TODAY, entry_points=False)
        try:
            spent = _populate(kit, rows_for, n)
            admin.execute(f'ANALYZE "{schema}"."company"')
            results = _measure(kit, lambda sql, params: admin.execute(sql, params).fetchall(), True, repeats)
        finally:
            kit.close()
    finally:
        admin.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        admin.close()
    return _figure("PostgreSQL", n, results, spent, figure)
