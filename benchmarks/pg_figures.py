"""PostgreSQL benchmarks, beside the SQLite ones; skipped when no server answers.

(g) ``kit.companies.create_many`` of N companies on PostgreSQL against raw
    psycopg ``COPY`` of the same rows, already as tuples, into a table with the
    same DDL (successkit creates both).  Target: at most 1.5.
(h) the list query of figure (b) over M companies on PostgreSQL against the
    same SQL by hand through psycopg.  Target: at most 1.5.

The server is ``SUCCESSKIT_BENCH_POSTGRES`` (default: the local test server);
each run works in schemas of its own and drops them.
"""

from __future__ import annotations

import gc
import os
import time
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import successkit as sk
from successkit.records import Company

__all__ = ["bench_postgres"]

PG_URL = os.environ.get("SUCCESSKIT_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
QUERY_WHERE = [("stage", "=", "Adoption"), ("arr", ">", 5000)]


def _best(repeats: int, funcs: list[Callable[[], object]], before: Callable[[], object] | None = None) -> list[float]:
    best = [float("inf")] * len(funcs)
    for round_ in range(repeats + 1):  # round 0 warms caches
        for i, f in enumerate(funcs):
            if before is not None:
                before()
            gc.collect()
            start = time.perf_counter()
            f()
            if round_:
                best[i] = min(best[i], time.perf_counter() - start)
    return best


def bench_postgres(rows_for: Callable[[int], list[dict[str, Any]]], n_insert: int, n_query: int, repeats: int,
                   figure: Callable[..., Any]) -> list[Any]:
    try:
        import psycopg
    except ImportError:
        print("    (g), (h) skipped: psycopg is not installed (pip install 'successkit[postgres]')")
        return []
    try:
        admin = psycopg.connect(PG_URL, autocommit=True, connect_timeout=5)
    except psycopg.Error as e:
        print(f"    (g), (h) skipped: no PostgreSQL server at {PG_URL} ({e})")
        return []
    tag = os.urandom(4).hex()
    schemas = {"sk": f"sk_bench_{tag}", "raw": f"sk_bench_raw_{tag}"}
    try:
        return [_insert(admin, schemas, rows_for(n_insert), repeats, figure),
                _query(admin, schemas, rows_for(n_query), repeats * 3, figure)]
    finally:
        for schema in schemas.values():
            admin.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        admin.close()


def _insert(admin: Any, schemas: dict[str, str], rows: list[dict[str, Any]], repeats: int,
            figure: Callable[..., Any]) -> Any:
    kit = sk.open(f"{PG_URL}?schema={schemas['sk']}", entry_points=False)
    sk.open(f"{PG_URL}?schema={schemas['raw']}", entry_points=False).close()  # the same DDL for the baseline
    schema = kit.store.schema("company")
    now = datetime.now(timezone.utc)
    tuples = [schema.to_row(Company(name=r["name"], created_at=now, updated_at=now,
                                    **{k: v for k, v in r.items() if k != "name"})) for r in rows]
    cols = ", ".join(f'"{c}"' for c in schema.names)
    raw = admin

    def via_successkit() -> None:
        kit.companies.create_many(rows)

    def via_copy() -> None:
        with raw.transaction(), raw.cursor() as cur, cur.copy(
                f'COPY {schemas["raw"]}."company" ({cols}) FROM STDIN') as copy:
            for t in tuples:
                copy.write_row(t)

    def empty() -> None:
        admin.execute(f'TRUNCATE {schemas["sk"]}."company", {schemas["raw"]}."company"')

    skt, copy_time = _best(repeats, [via_successkit, via_copy], before=empty)
    kit.close()
    n = len(rows)
    return figure(f"(g) PostgreSQL create_many {n:,} / raw COPY", skt / copy_time, 1.5, [
        f"raw psycopg COPY: {copy_time:.3f} s;  successkit create_many (checks, records, COPY): {skt:.3f} s",
        f"best of {repeats}; same DDL and indexes, one transaction each"])


def _query(admin: Any, schemas: dict[str, str], rows: list[dict[str, Any]], repeats: int,
           figure: Callable[..., Any]) -> Any:
    kit = sk.open(f"{PG_URL}?schema={schemas['sk']}", entry_points=False)
    admin.execute(f'TRUNCATE {schemas["sk"]}."company"')
    for start in range(0, len(rows), 50_000):
        kit.companies.create_many(rows[start:start + 50_000])
    admin.execute(f'ANALYZE {schemas["sk"]}."company"')
    cols = ", ".join(f'"{c}"' for c in kit.store.schema("company").names)
    sql = (f'SELECT {cols} FROM {schemas["sk"]}."company" WHERE "stage" = %s AND "arr" > %s '
           'ORDER BY "arr" DESC NULLS LAST, "id" LIMIT 50')

    def via_successkit() -> list[Any]:
        return kit.companies.list(QUERY_WHERE, sort=["-arr"], limit=50)

    def via_sql() -> list[Any]:
        return admin.execute(sql, ("Adoption", 5000)).fetchall()  # type: ignore[no-any-return]

    same = [c.id for c in via_successkit()] == [r[0] for r in via_sql()]
    skt, raw = _best(repeats, [via_successkit, via_sql])
    kit.close()
    return figure(f"(h) PostgreSQL list() over {len(rows):,} / raw SQL", skt / raw, 1.5, [
        f"hand-written SQL through psycopg: {raw * 1000:.2f} ms;  kit.companies.list: {skt * 1000:.2f} ms",
        "same 50 ids in the same order: " + ("yes" if same else "NO - the results differ!")])
