#!/usr/bin/env python3
"""successkit benchmarks, reported as ratios against hand-written baselines.

    python3 dev.py bench             # full sizes (about a minute on two cores)
    python3 dev.py bench --quick     # a tenth of the sizes, as a smoke run

Every figure is the ratio of two measurements taken in this process, one right
after the other, on the same machine and the same kind of file: absolute times
differ from machine to machine, ratios much less.  The script prints a table
with each figure, its target and PASS or MISS, and always exits 0: it is a
report, not a gate.

(a) bulk insert: ``kit.companies.create_many`` of N companies against
    ``sqlite3.executemany`` of the same rows, already as tuples, into an
    identical table (same DDL and indexes, WAL, synchronous=NORMAL, one
    transaction); the SQLAlchemy 2 ORM (``session.add_all`` + commit) is
    measured beside it for context.
(b) list query: two conditions, a sort and a limit over M companies through
    ``kit.companies.list`` against the same SQL written by hand (nulls last,
    ties by id) run with ``sqlite3``, rows fetched as tuples; best of R runs.
(c) streaming: the tracemalloc peak while iterating all M companies with
    ``kit.companies.iter()`` against the peak while iterating M / 10.
(d), (e) plan template and clone figures: see ``plan_figures.py``.
(f) the goal list view over M / 2 goals: see ``goal_figures.py``.
(g), (h) PostgreSQL: bulk insert against raw ``COPY`` and the list query of
    (b) against the same SQL: see ``pg_figures.py``.
(i) a rule run raising 10,000 CTAs against the same work in raw SQL: see
    ``rule_figures.py``.
(j) sorted, limited lists over N companies (``--sort-rows``) on the declared
    indexes, against the same SQL by hand, SQLite and PostgreSQL: see
    ``index_figures.py``.
"""

from __future__ import annotations

import argparse
import gc
import platform
import random
import sqlite3
import sys
import tempfile
import time
import tracemalloc
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import successkit as sk
from successkit.records import new_id

sys.path.insert(0, str(Path(__file__).parent))
from goal_figures import bench_goal_list
from index_figures import bench_sorted_lists
from pg_figures import bench_postgres
from plan_figures import bench_apply, bench_clone
from rule_figures import bench_rule_run

STAGES = ("Onboarding", "Adoption", "Expansion", "Renewal", "Churned")
STATUSES = ("green", "yellow", "red")
INDUSTRIES = ("Software", "Retail", "Finance", "Health", "Manufacturing", "Education")

#: The company table's columns, in the order the raw baseline writes them.
COLUMNS = (
    "id", "version", "created_at", "updated_at", "created_by", "fields", "name", "parent_id",
    "stage", "status", "csm_id", "renewal_date", "industry", "arr", "health_score", "nps",
)  # fmt: skip

#: The query of figure (b), as a successkit call and as hand-written SQL.
QUERY_WHERE = [("stage", "=", "Adoption"), ("arr", ">", 5000)]
QUERY_SORT = ["-arr"]
QUERY_LIMIT = 50
QUERY_SQL = (  # SQLite sorts nulls last in a descending sort by itself
    f"SELECT {', '.join(COLUMNS)} FROM company"
    " WHERE stage = ? AND arr > ?"
    " ORDER BY arr DESC, id"
    " LIMIT ?"
)
QUERY_PARAMS = ("Adoption", 5000.0, QUERY_LIMIT)


@dataclass
class Figure:
    """One line of the report: a ratio at most (or, with ``at_least``, at least) its target."""

    name: str
    ratio: float
    target: float
    notes: list[str] = field(default_factory=list)
    at_least: bool = False

    @property
    def passed(self) -> bool:
        return self.ratio >= self.target if self.at_least else self.ratio <= self.target


@dataclass
class Sizes:
    insert_rows: int
    insert_repeats: int
    query_rows: int
    query_repeats: int
    stream_small: int
    plan_repeats: int

    @classmethod
    def choose(cls, quick: bool) -> Sizes:
        if quick:
            return cls(insert_rows=10_000, insert_repeats=3, query_rows=20_000, query_repeats=7,
                       stream_small=2_000, plan_repeats=3)
        return cls(insert_rows=100_000, insert_repeats=7, query_rows=200_000, query_repeats=21,
                   stream_small=20_000, plan_repeats=9)


# ------------------------------------------------------------------------------ data
def company_rows(n: int, seed: int = 7, start: int = 0) -> list[dict[str, Any]]:
    """``n`` company rows as a caller would pass them to ``create_many``."""
    rng = random.Random(seed)
    base = date(2026, 1, 1)
    return [
        {
            "name": f"Acme {i}",
            "stage": rng.choice(STAGES),
            "status": rng.choice(STATUSES),
            "industry": rng.choice(INDUSTRIES),
            "renewal_date": base + timedelta(days=rng.randrange(730)),
            "arr": None if rng.random() < 0.05 else round(rng.uniform(500, 250_000), 2),
            "health_score": round(rng.uniform(0, 100), 1),
            "nps": float(rng.randrange(-100, 101)),
        }
        for i in range(start, start + n)
    ]


def raw_tuples(rows: list[dict[str, Any]], now: datetime) -> list[tuple[Any, ...]]:
    """The same rows as the tuples the raw baseline inserts, in ``COLUMNS`` order."""
    stamp = now.astimezone(timezone.utc).isoformat(timespec="microseconds")
    return [
        (uuid.uuid4().hex, 1, stamp, stamp, None, "{}", r["name"], None, r["stage"], r["status"],
         None, r["renewal_date"].isoformat(), r["industry"], r["arr"], r["health_score"], r["nps"])
        for r in rows
    ]


def open_kit(path: Path) -> sk.Kit:
    return sk.open(f"sqlite:///{path}", entry_points=False)


def connect_raw(path: Path) -> sqlite3.Connection:
    """A plain sqlite3 connection with the PRAGMAs successkit uses."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    return conn


def company_ddl(path: Path) -> list[str]:
    """The CREATE TABLE / CREATE INDEX statements successkit wrote for companies."""
    conn = sqlite3.connect(path)
    try:
        rows = conn.execute(
            "SELECT sql FROM sqlite_master WHERE tbl_name = 'company' AND sql IS NOT NULL"
            " ORDER BY type DESC, name"
        ).fetchall()
    finally:
        conn.close()
    return [r[0] for r in rows]


def count_companies(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute("SELECT COUNT(*) FROM company").fetchone()[0])
    finally:
        conn.close()


def remove_db(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)


@contextmanager
def timed() -> Iterator[list[float]]:
    """``with timed() as t: ...`` leaves the elapsed seconds in ``t[0]``."""
    gc.collect()
    out: list[float] = []
    start = time.perf_counter()
    try:
        yield out
    finally:
        out.append(time.perf_counter() - start)


# --------------------------------------------------------------------- (a) bulk insert
def insert_successkit(path: Path, rows: list[dict[str, Any]]) -> float:
    kit = open_kit(path)
    try:
        with timed() as t:
            kit.companies.create_many(rows)
    finally:
        kit.close()
    return t[0]


def insert_raw(path: Path, ddl: list[str], tuples: list[tuple[Any, ...]]) -> float:
    conn = connect_raw(path)
    try:
        for statement in ddl:
            conn.execute(statement)
        sql = f"INSERT INTO company ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
        with timed() as t:
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany(sql, tuples)
            conn.execute("COMMIT")
    finally:
        conn.close()
    return t[0]


def orm_company_class() -> type[Any] | None:
    """A SQLAlchemy mapped class with the company table's columns and indexes."""
    try:
        from sqlalchemy import JSON, Date, DateTime, Float, Integer, Text
        from sqlalchemy.orm import DeclarativeBase, mapped_column
    except ImportError:
        return None

    class Base(DeclarativeBase):
        pass

    class OrmCompany(Base):
        __tablename__ = "company"

        id = mapped_column(Text, primary_key=True, default=lambda: uuid.uuid4().hex)
        version = mapped_column(Integer, nullable=False, default=1)
        created_at = mapped_column(DateTime(timezone=True), nullable=False)
        updated_at = mapped_column(DateTime(timezone=True), nullable=False)
        created_by = mapped_column(Text)
        fields = mapped_column(JSON, nullable=False, default=dict)
        name = mapped_column(Text, nullable=False, index=True)
        parent_id = mapped_column(Text, index=True)
        stage = mapped_column(Text)
        status = mapped_column(Text)
        csm_id = mapped_column(Text, index=True)
        renewal_date = mapped_column(Date, index=True)
        industry = mapped_column(Text)
        arr = mapped_column(Float)
        health_score = mapped_column(Float)
        nps = mapped_column(Float)

    return OrmCompany


def insert_sqlalchemy(path: Path, rows: list[dict[str, Any]]) -> float | None:
    model = orm_company_class()
    if model is None:
        return None
    from sqlalchemy import create_engine, event
    from sqlalchemy.orm import Session

    engine = create_engine(f"sqlite:///{path}")

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode = WAL")
        cur.execute("PRAGMA synchronous = NORMAL")
        cur.close()

    try:
        model.metadata.create_all(engine)
        with timed() as t:
            now = datetime.now(timezone.utc)
            with Session(engine) as session:
                session.add_all([model(created_at=now, updated_at=now, **row) for row in rows])
                session.commit()
    finally:
        engine.dispose()
    return t[0]


def bench_insert(workdir: Path, n: int, repeats: int) -> tuple[Figure, Figure | None]:
    rows = company_rows(n)
    ddl_probe = workdir / "ddl.db"
    kit = open_kit(ddl_probe)
    names = kit.store.schema("company").names
    kit.close()
    if names != COLUMNS:
        raise SystemExit(f"the company columns changed; update COLUMNS in {__file__}: {names}")
    ddl = company_ddl(ddl_probe)
    tuples = raw_tuples(rows, datetime.now(timezone.utc))

    sk_times, raw_times = [], []
    for i in range(repeats):  # alternate, so drift hits both sides alike
        raw_path, sk_path = workdir / f"raw-{i}.db", workdir / f"sk-{i}.db"
        raw_times.append(insert_raw(raw_path, ddl, tuples))
        sk_times.append(insert_successkit(sk_path, rows))
        assert count_companies(raw_path) == count_companies(sk_path) == n
        remove_db(raw_path)
        remove_db(sk_path)
    raw, skt = min(raw_times), min(sk_times)
    paired = sorted(s / r for s, r in zip(sk_times, raw_times, strict=True))
    with timed() as ids:
        for _ in range(n):
            new_id()
    fig = Figure(f"(a) create_many {n:,} companies / raw executemany", skt / raw, 2.0, [
        f"raw sqlite3 executemany: {raw:.3f} s ({n / raw:,.0f} rows/s), ids and stamps made beforehand",
        f"successkit create_many:  {skt:.3f} s ({n / skt:,.0f} rows/s), "
        f"of which making {n:,} random ids takes {ids[0]:.3f} s",
        f"best of {repeats}, interleaved (round by round: {paired[0]:.2f} to {paired[-1]:.2f}); "
        "same DDL and indexes, WAL, synchronous=NORMAL, one transaction",
    ])

    orm_time = insert_sqlalchemy(workdir / "orm.db", rows)
    if orm_time is None:
        fig.notes.append("SQLAlchemy not installed (pip install 'successkit[bench]'): ORM skipped")
        return fig, None
    assert count_companies(workdir / "orm.db") == n
    orm = Figure(f"    SQLAlchemy ORM add_all {n:,} / raw executemany", orm_time / raw, float("inf"), [
        f"SQLAlchemy ORM add_all + commit: {orm_time:.3f} s ({n / orm_time:,.0f} rows/s)",
        f"successkit / SQLAlchemy ORM: {skt / orm_time:.2f}",
    ])
    return fig, orm


# ---------------------------------------------------------------------- (b) list query
def populate(path: Path, n: int, batch: int = 50_000) -> float:
    kit = open_kit(path)
    try:
        start = time.perf_counter()
        for offset in range(0, n, batch):
            kit.companies.create_many(company_rows(min(batch, n - offset), seed=offset, start=offset))
        return time.perf_counter() - start
    finally:
        kit.close()


def best_of(repeats: int, *funcs: Callable[[], object]) -> list[float]:
    """The best time of each function over ``repeats`` interleaved rounds."""
    best = [float("inf")] * len(funcs)
    for f in funcs:  # warm the page cache and the statement caches
        f()
    for _ in range(repeats):
        for i, f in enumerate(funcs):
            start = time.perf_counter()
            f()
            best[i] = min(best[i], time.perf_counter() - start)
    return best


def bench_query(path: Path, n: int, repeats: int) -> Figure:
    kit = open_kit(path)
    conn = connect_raw(path)
    try:
        def via_successkit() -> list[Any]:
            return kit.companies.list(QUERY_WHERE, sort=QUERY_SORT, limit=QUERY_LIMIT)

        def via_sqlite() -> list[tuple[Any, ...]]:
            return conn.execute(QUERY_SQL, QUERY_PARAMS).fetchall()

        same = [c.id for c in via_successkit()] == [r[0] for r in via_sqlite()]
        matching = kit.companies.count(QUERY_WHERE)
        gc.collect()
        skt, raw = best_of(repeats, via_successkit, via_sqlite)
    finally:
        conn.close()
        kit.close()
    return Figure(f"(b) list() over {n:,} companies / raw SQL", skt / raw, 1.5, [
        f"raw sqlite3 + fetchall: {raw * 1000:.2f} ms;  kit.companies.list: {skt * 1000:.2f} ms",
        f"best of {repeats}; {matching:,} rows match, first {QUERY_LIMIT} by arr desc (nulls last, ties by id)",
        "same 50 ids in the same order: " + ("yes" if same else "NO - the results differ!"),
    ])


# ------------------------------------------------------------------ (c) stream memory
def stream_peak(path: Path, limit: int | None) -> tuple[int, int]:
    """(rows seen, tracemalloc peak in bytes) while iterating ``kit.companies.iter``."""
    kit = open_kit(path)
    try:
        gc.collect()
        tracemalloc.start()
        base = tracemalloc.get_traced_memory()[0]
        seen = 0
        for _ in kit.companies.iter(limit=limit):
            seen += 1
        peak = tracemalloc.get_traced_memory()[1] - base
        tracemalloc.stop()
    finally:
        kit.close()
    return seen, peak


def list_peak(path: Path, limit: int) -> int:
    kit = open_kit(path)
    try:
        gc.collect()
        tracemalloc.start()
        base = tracemalloc.get_traced_memory()[0]
        records = kit.companies.list(limit=limit)
        peak = tracemalloc.get_traced_memory()[1] - base
        tracemalloc.stop()
        del records
    finally:
        kit.close()
    return peak


def mib(n: int) -> str:
    return f"{n / 2**20:.2f} MiB"


def bench_stream(path: Path, n: int, small: int) -> Figure:
    seen_small, peak_small = stream_peak(path, small)
    seen_big, peak_big = stream_peak(path, None)
    loaded = list_peak(path, small)
    assert (seen_small, seen_big) == (small, n), (seen_small, seen_big)
    return Figure(f"(c) iter() peak memory {n:,} rows / {small:,} rows", peak_big / peak_small, 1.25, [
        f"peak while iterating {small:,}: {mib(peak_small)};  {n:,}: {mib(peak_big)}",
        f"for comparison, list() of {small:,} holds {mib(loaded)} (tracemalloc sees Python objects only)",
    ])


# ------------------------------------------------------------------------------ report
def report(figures: list[Figure]) -> None:
    width = max(len(f.name) for f in figures)
    print()
    print(f"{'figure':<{width}}  {'ratio':>7}  {'target':>8}  result")
    print("-" * (width + 28))
    for f in figures:
        target = "-" if f.target == float("inf") else f"{'>=' if f.at_least else '<='} {f.target:g}"
        verdict = "info" if f.target == float("inf") else ("PASS" if f.passed else "MISS")
        print(f"{f.name:<{width}}  {f.ratio:>7.2f}  {target:>8}  {verdict}")
        for note in f.notes:
            print(f"{'':<6}{note}")
    print()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a tenth of the sizes")
    parser.add_argument("--keep", metavar="DIR", help="write the databases to DIR and keep them")
    parser.add_argument("--sort-rows", type=int, metavar="N",
                        help="companies for the sorted lists of (j) (default: the size of (b); the issue's is 1000000)")
    parser.add_argument("--only", choices=["j"], help="run only this figure")
    parser.add_argument("--no-postgres", action="store_true", help="leave out the PostgreSQL side of (j)")
    args = parser.parse_args(argv)
    sizes = Sizes.choose(args.quick)
    print(f"successkit {sk.__version__} benchmarks ({'quick' if args.quick else 'full'}); "
          f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, {platform.machine()}")

    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="successkit-bench-") as tmp:
        workdir = Path(args.keep) if args.keep else Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        figures: list[Figure] = []
        sort_rows = args.sort_rows or sizes.query_rows
        if args.only == "j":
            print(f"(j) sorted lists over {sort_rows:,} companies on SQLite and PostgreSQL ...", flush=True)
            figures.extend(bench_sorted_lists(workdir, company_rows, sort_rows, sizes.query_repeats, Figure,
                                              postgres=not args.no_postgres))
            report(figures)
            return 0

        print(f"(a) inserting {sizes.insert_rows:,} companies three ways ...", flush=True)
        fig, orm = bench_insert(workdir, sizes.insert_rows, sizes.insert_repeats)
        figures.append(fig)
        if orm is not None:
            figures.append(orm)

        big = workdir / "query.db"
        print(f"    populating {sizes.query_rows:,} companies for (b) and (c) ...", flush=True)
        spent = populate(big, sizes.query_rows)
        print(f"    ({spent:.1f} s)", flush=True)
        print("(b) timing the list query ...", flush=True)
        figures.append(bench_query(big, sizes.query_rows, sizes.query_repeats))
        print("(c) measuring peak memory while streaming ...", flush=True)
        figures.append(bench_stream(big, sizes.query_rows, sizes.stream_small))
        print("(d) applying a 50x10 plan template ...", flush=True)
        figures.append(bench_apply(workdir, sizes.plan_repeats, Figure))
        print("(e) cloning a 200x10 plan ...", flush=True)
        figures.extend(bench_clone(workdir, sizes.plan_repeats, Figure))
        goal_rows = sizes.query_rows // 2
        print(f"(f) listing {goal_rows:,} goals grouped by fiscal quarter ...", flush=True)
        figures.append(bench_goal_list(workdir, goal_rows, sizes.query_repeats, Figure))
        rule_rows = 10_000 if not args.quick else 1_000
        print(f"(i) a rule raising a CTA for each of {rule_rows:,} companies ...", flush=True)
        figures.append(bench_rule_run(workdir, rule_rows, sizes.plan_repeats, Figure))
        print("(g), (h) PostgreSQL: bulk insert and the list query ...", flush=True)
        figures.extend(bench_postgres(company_rows, sizes.insert_rows, sizes.query_rows, 3, Figure))
        print(f"(j) sorted lists over {sort_rows:,} companies on SQLite and PostgreSQL ...", flush=True)
        figures.extend(bench_sorted_lists(workdir, company_rows, sort_rows, sizes.query_repeats, Figure))

    report(figures)
    gated = [f for f in figures if f.target != float("inf")]
    missed = [f for f in gated if not f.passed]
    print(f"{len(gated) - len(missed)} of {len(gated)} targets met "
          f"in {time.perf_counter() - started:.0f} s on this machine.")
    if args.quick:
        print("--quick: the targets are set for the full sizes; small tables make the raw\n"
              "baselines relatively faster, so these ratios are indicative only.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
