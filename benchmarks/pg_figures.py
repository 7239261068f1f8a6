"""PostgreSQL benchmarks, beside the SQLite ones; skipped, with the reason, when no server answers.

(g) ``kit.companies.create_many`` of N companies on PostgreSQL against raw
    psycopg ``COPY`` of the same rows, already as tuples, into a table with the
    same DDL (successkit creates both).  Target: at most 1.5.
(h) the list query of figure (b) over M companies on PostgreSQL against the
    same SQL by hand through psycopg.  Target: at most 1.5.

The server is ``SUCCESSKIT_BENCH_POSTGRES`` (default: the local test server,
``postgresql://postgres@127.0.0.1:5432/test``); each run works in schemas of
its own and drops them.  For (g) both tables are emptied with ``TRUNCATE``
before every timed run (a fresh table each round: new, empty files for the
table and its indexes), autovacuum is off for them so it does not run over one
side's rows while the other side is timed, and a ``CHECKPOINT`` (where the
role may) flushes the previous round's writes before the timing.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from typing import Any

import successkit as sk
from measure import Figure, Settings, Side, Timings, measure
from successkit.records import Company

__all__ = ["PG_URL", "against_copy", "bench_postgres"]

PG_URL = os.environ.get("SUCCESSKIT_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
QUERY_WHERE = [("stage", "=", "Adoption"), ("arr", ">", 5000)]


def shown(url: str) -> str:
    """The URL without its password, for printing."""
    return re.sub(r"(//[^/:@]*:)[^/@]*@", r"\1***@", url)


def bench_postgres(
    rows_for: Callable[[int], list[dict[str, Any]]], n_insert: int, n_query: int, settings: Settings
) -> tuple[list[Figure], str | None]:
    """Figures (g) (when ``n_insert``) and (h) (when ``n_query``), or why they were skipped."""
    try:
        import psycopg
    except ImportError:
        return (
            [],
            "skipped: psycopg is not installed (python3 dev.py bench installs it; or pip install "
            "'successkit[postgres]')",
        )
    try:
        admin = psycopg.connect(PG_URL, autocommit=True, connect_timeout=5)
    except psycopg.Error as e:
        reason = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        return [], f"skipped: no server at {shown(PG_URL)} ({reason}); set SUCCESSKIT_BENCH_POSTGRES to use another"
    tag = os.urandom(4).hex()
    schemas = {"sk": f"sk_bench_{tag}", "raw": f"sk_bench_raw_{tag}"}
    figures = []
    try:
        if n_insert:
            figures.append(_insert(admin, schemas, rows_for(n_insert), settings))
        if n_query:
            figures.append(_query(admin, schemas, rows_for(n_query), settings.times(3)))
        return figures, None
    finally:
        for schema in schemas.values():
            admin.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        admin.close()


def _checkpoint(admin: Any) -> None:
    import psycopg

    with contextlib.suppress(psycopg.Error):  # not a superuser (nor pg_checkpoint): noisier, not wrong
        admin.execute("CHECKPOINT")


def against_copy(
    admin: Any,
    tables: dict[str, str],
    names: Sequence[str],
    tuples: list[tuple[Any, ...]],
    settings: Settings,
    side: Side,
) -> list[Timings]:
    """Time ``side`` (writing into ``tables["sk"]``) against raw ``COPY`` of ``tuples``
    into ``tables["raw"]`` (same DDL): both tables emptied, autovacuum off and the
    previous round's writes flushed before each timed run, and each side's row count
    checked after it.  Shared by (g) and (v)."""
    for table in tables.values():
        admin.execute(f"ALTER TABLE {table} SET (autovacuum_enabled = false)")
    n = len(tuples)
    cols = ", ".join(f'"{c}"' for c in names)
    copy_sql = f"COPY {tables['raw']} ({cols}) FROM STDIN"

    def fresh(_: int) -> None:  # untimed: empty tables, the previous round's writes flushed
        admin.execute(f"TRUNCATE {tables['sk']}, {tables['raw']}")
        _checkpoint(admin)

    def via_copy(_: None) -> None:
        with admin.transaction(), admin.cursor() as cur, cur.copy(copy_sql) as copy:
            for t in tuples:
                copy.write_row(t)

    def check(which: str) -> Callable[[None], None]:
        def finish(_: None) -> None:
            found = admin.execute(f"SELECT COUNT(*) FROM {tables[which]}").fetchone()
            assert found is not None and found[0] == n, which

        return finish

    return measure(
        settings,
        Side(side.label, side.run, fresh, check("sk")),
        Side("raw psycopg COPY", via_copy, fresh, check("raw")),
    )


def _insert(admin: Any, schemas: dict[str, str], rows: list[dict[str, Any]], settings: Settings) -> Figure:
    kit = sk.open(f"{PG_URL}?schema={schemas['sk']}", entry_points=False)
    sk.open(f"{PG_URL}?schema={schemas['raw']}", entry_points=False).close()  # the same DDL for the baseline
    schema = kit.store.schema("company")
    now = datetime.now(timezone.utc)
    tuples = [
        schema.to_row(
            Company(name=r["name"], created_at=now, updated_at=now, **{k: v for k, v in r.items() if k != "name"})
        )
        for r in rows
    ]
    tables = {side: f'{name}."company"' for side, name in schemas.items()}
    try:
        side = Side("successkit create_many", lambda _: kit.companies.create_many(rows))
        skt, copy_time = against_copy(admin, tables, schema.names, tuples, settings, side)
    finally:
        kit.close()
    n = len(rows)
    return Figure(
        f"(g) PostgreSQL create_many {n:,} / raw COPY",
        skt,
        copy_time,
        1.5,
        [
            "successkit checks the rows, builds the records and COPYs them; raw COPYs rows already encoded",
            "tables emptied before every timed run; same DDL and indexes, one transaction each",
        ],
    )


def _query(admin: Any, schemas: dict[str, str], rows: list[dict[str, Any]], settings: Settings) -> Figure:
    kit = sk.open(f"{PG_URL}?schema={schemas['sk']}", entry_points=False)
    admin.execute(f'TRUNCATE {schemas["sk"]}."company"')
    for start in range(0, len(rows), 50_000):
        kit.companies.create_many(rows[start : start + 50_000])
    admin.execute(f'VACUUM ANALYZE {schemas["sk"]}."company"')
    cols = ", ".join(f'"{c}"' for c in kit.store.schema("company").names)
    sql = (
        f'SELECT {cols} FROM {schemas["sk"]}."company" WHERE "stage" = %s AND "arr" > %s '
        'ORDER BY "arr" DESC NULLS LAST, "id" LIMIT 50'
    )

    def via_successkit(_: int) -> list[Any]:
        return kit.companies.list(QUERY_WHERE, sort=["-arr"], limit=50)

    def via_sql(_: int) -> list[Any]:
        return admin.execute(sql, ("Adoption", 5000)).fetchall()  # type: ignore[no-any-return]

    try:
        same = [c.id for c in via_successkit(0)] == [r[0] for r in via_sql(0)]
        skt, raw = measure(
            settings, Side("kit.companies.list", via_successkit), Side("hand-written SQL through psycopg", via_sql)
        )
    finally:
        kit.close()
    return Figure(
        f"(h) PostgreSQL list() over {len(rows):,} / raw SQL",
        skt,
        raw,
        1.5,
        ["same 50 ids in the same order: " + ("yes" if same else "NO - the results differ!")],
    )
