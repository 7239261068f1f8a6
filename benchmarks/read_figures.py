"""Reading one record by id, and importing the package (k), (l).

(k) ``kit.companies.get(id)`` over N companies on SQLite, 1,000 gets a timed
    run (the same 1,000 ids, drawn once at random), against raw ``sqlite3`` on
    the same file fetching the same rows and building the same records:
    ``conn.execute('SELECT <the 16 columns> FROM company WHERE id = ?', (id,))``
    ``.fetchone()``, the SQL text written once (so ``sqlite3`` reuses its
    prepared statement, as successkit's does), each row turned into the same
    ``Company`` record by the schema's own ``from_row``, the fastest way to
    build one (it sets the slots, skipping ``__init__`` and the field check
    every stored record passed when it was written).  So the ratio is what
    successkit adds around the database and the row decoding: checking the id,
    the storage bookkeeping, the lock, error translation.  Target: at most 2.0.
    Beside it, as information: the store-level ``kit.store.get("company", id)``
    against the same baseline, and the cost of the bare fetch without building
    any record.
(l) ``import successkit`` in a fresh interpreter (``python -c "import
    successkit"``) against a bare one (``python -c "pass"``), both started the
    same way with the same environment, in interleaved rounds.  The figure is
    the difference of the medians: what importing successkit adds to the start
    of a program.  Target: at most 150 ms.
"""

from __future__ import annotations

import random
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import successkit as sk
from measure import Figure, Settings, Side, fmt_time, measure, remove_db

__all__ = ["bench_get", "bench_import"]

GETS = 1_000


def _populate(path: Path, rows_for: Callable[..., list[dict[str, Any]]], n: int) -> tuple[list[str], float]:
    """``n`` companies written in batches; returns their ids and the seconds it took."""
    kit = sk.open(f"sqlite:///{path}", entry_points=False)
    try:
        start = time.perf_counter()
        ids: list[str] = []
        for offset in range(0, n, 50_000):
            made = kit.companies.create_many(rows_for(min(50_000, n - offset), seed=offset, start=offset))
            ids.extend(c.id for c in made)
        return ids, time.perf_counter() - start
    finally:
        kit.close()


def bench_get(workdir: Path, rows_for: Callable[..., list[dict[str, Any]]], n: int, settings: Settings) -> list[Figure]:
    """Figure (k): a get by id through the service and the store, against raw ``sqlite3``."""
    path = workdir / "get.db"
    remove_db(path)
    all_ids, spent = _populate(path, rows_for, n)
    ids = random.Random(5).sample(all_ids, min(GETS, n))
    del all_ids
    kit = sk.open(f"sqlite:///{path}", entry_points=False)
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        schema = kit.store.schema("company")
        sql = f"SELECT {', '.join(schema.names)} FROM company WHERE id = ?"
        from_row = schema.from_row
        service_get, store_get = kit.companies.get, kit.store.get

        def via_service(_: Any) -> list[Any]:
            return [service_get(i) for i in ids]

        def via_store(_: Any) -> list[Any]:
            return [store_get("company", i) for i in ids]

        def by_hand(_: Any) -> list[Any]:
            return [from_row(conn.execute(sql, (i,)).fetchone()) for i in ids]

        def rows_only(_: Any) -> list[Any]:
            return [conn.execute(sql, (i,)).fetchone() for i in ids]

        same = via_service(0) == by_hand(0) == via_store(0)
        service, store, raw, bare = measure(
            settings.times(3),
            Side("kit.companies.get", via_service),
            Side("kit.store.get", via_store),
            Side("raw sqlite3 fetchone + from_row", by_hand),
            Side("raw sqlite3 fetchone (no record)", rows_only),
        )
    finally:
        conn.close()
        kit.close()
        remove_db(path)
    each = len(ids)
    notes = [
        f"{each:,} gets of random ids a run, over {n:,} companies (written in {spent:.0f} s); "
        f"per get: successkit {service.median / each * 1e6:.1f} µs, store {store.median / each * 1e6:.1f} µs, "
        f"raw {raw.median / each * 1e6:.1f} µs, of which the fetch alone {bare.median / each * 1e6:.1f} µs",
    ] + ([] if same else ["NOT the same records!"])
    return [
        Figure(f"(k) get by id, {n:,} companies / raw SQL", service, raw, 2.0 if same else 0.0, notes),
        Figure(f"    store.get by id, {n:,} companies / raw SQL", store, raw, None),
    ]


def bench_import(settings: Settings) -> Figure:
    """Figure (l): ``import successkit`` in a new interpreter, against starting a bare one."""

    def start(code: str) -> Callable[[Any], None]:
        def run(_: Any) -> None:
            subprocess.run([sys.executable, "-c", code], check=True)

        return run

    op, base = measure(
        settings.times(3),
        Side('python -c "import successkit"', start("import successkit")),
        Side('python -c "pass"', start("pass")),
    )
    extra = op.median - base.median
    return Figure(
        "(l) import successkit, above a bare interpreter",
        op,
        base,
        None,
        [f"import successkit adds {fmt_time(extra)} (median) to starting Python: target at most 150 ms"],
        limit=0.150,
    )
