#!/usr/bin/env python3
"""successkit benchmarks, reported as ratios against hand-written baselines.

    python3 dev.py bench                 # full sizes, a few minutes on two cores
    python3 dev.py bench --quick         # a tenth of the sizes, as a smoke run
    python3 dev.py bench --rounds 9      # more rounds on a noisy machine
    python3 dev.py bench --only e,i,g    # some figures only
    python3 dev.py bench --only a,k --sizes 10000,100000   # a table by size

Every figure times a successkit operation and its baseline in this process, in
interleaved rounds on the same machine and the same kind of file, through the
routine in ``measure.py``: fresh data for every round where the operation
writes, one uncounted warm-up round, the garbage collector off while a side is
timed.  Each figure shows the ratio of the median times and of the best times,
and each side its median, best and spread.  The verdict is the ratio of the
medians against the target; figures without a target are information.  The
script always exits 0: it is a report, not a gate.

(a) bulk insert: ``kit.companies.create_many`` of N companies against
    ``sqlite3.executemany`` of the same rows, already as tuples, into an
    identical table (same DDL and indexes, WAL, synchronous=NORMAL, one
    transaction), each round into new files; the SQLAlchemy 2 ORM
    (``session.add_all`` + commit) is measured beside it for context.
(b) list query: two conditions, a sort and a limit over M companies through
    ``kit.companies.list`` against the same SQL written by hand (nulls last,
    ties by id) run with ``sqlite3``, rows fetched as tuples.
(c) streaming: the tracemalloc peak while iterating all M companies with
    ``kit.companies.iter()`` against the peak while iterating M / 10.
(d), (e) plan template and clone figures: see ``plan_figures.py``.
(f) the goal list view over M / 2 goals: see ``goal_figures.py``.
(g), (h) PostgreSQL: bulk insert against raw ``COPY`` and the list query of
    (b) against the same SQL: see ``pg_figures.py``.
(i) a rule run raising a CTA for each of R companies against the same work in
    raw SQL: see ``rule_figures.py``.
(j) sorted, limited lists over N companies (``--sort-rows``) on the declared
    indexes, against the same SQL by hand, SQLite and PostgreSQL: see
    ``index_figures.py``.
(k) a get by id among M companies against raw ``sqlite3`` building the same
    record; (l) ``import successkit`` in a new interpreter against a bare one:
    see ``read_figures.py``.
(m) a user's cockpit and (n) the 360 view of a big company, among M companies
    and M CTAs, against the same reads by hand: see ``account_figures.py``.

(s) a scorecard preview of a weight change over 10 x R companies against their
    recompute: see ``score_figures.py``.
(r), (t) the next day's recompute of N companies x 10 measures with history
    snapshots, on SQLite and PostgreSQL, against the same reads, arithmetic and
    writes by hand: see ``recompute_figures.py``.
(p) goal lists sorted and filtered by the computed progress over N goals
    (``--progress-goals``), SQLite and PostgreSQL, against the same answer in
    SQL by hand: see ``goal_figures.py``.
(u) usage ingest of N facts (``--usage-facts``; the issue's figure is 1,000,000)
    and its re-ingest on SQLite, (v) on PostgreSQL, (w) usage windows of M/2
    companies over 10 facts each (``--window-facts``; the issue's figure is
    10,000,000), (x) ``companies.update_many`` of N with attribute history
    against without: see ``signal_figures.py``.
(y) 200 company updates and (y') an update_many of N with an event rule that
    matches nothing, against none (AUTO_01): see ``event_figures.py``.
(z) advancing N program enrolments (an email each, then a wait) against the same
    selection, rendering and writes in raw SQL (MAIL_03): see ``program_figures.py``.

(o) ``companies.aggregate`` of ARR by CSM and fiscal quarter over M companies against
    the GROUP BY by hand, SQLite and PostgreSQL; (q) the six standard dashboards over
    a sample book of N companies (``--dashboard-rows``, default a tenth of (a)'s)
    against the same figures in SQL by hand: see ``report_figures.py``.

(A) a scheduled ``run_all`` of every shipped scheduled rule (all shipped bundles
    deployed) over N companies with realistic data and ``--closed-history`` old
    closed CTAs per company and rule, against the same selections and writes in
    SQL by hand, and (A') its rerun with nothing to do: see
    ``schedule_figures.py``.  Capital ids: ``--only A`` runs them, ``--only a``
    figure (a).

``--sizes 10000,100000,1000000`` runs the chosen figures once per size and ends
with a Markdown table of the ratios by size (``scale.py``).
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
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import successkit as sk
from successkit.records import new_id

sys.path.insert(0, str(Path(__file__).parent))
from account_figures import bench_accounts
from event_figures import bench_event_rules
from goal_figures import bench_goal_list, bench_goal_progress
from index_figures import bench_sorted_lists
from measure import Figure, Settings, Side, Timings, fmt_bytes, measure, remove_db, report
from pg_figures import PG_URL, bench_postgres
from plan_figures import bench_apply, bench_clone
from program_figures import bench_programs
from read_figures import bench_get, bench_import
from recompute_figures import bench_recompute, bench_recompute_pg
from report_figures import bench_aggregate, bench_dashboards
from rule_figures import bench_rule_run
from scale import markdown_table
from schedule_figures import bench_schedule
from score_figures import bench_preview
from signal_figures import bench_history, bench_ingest, bench_ingest_postgres, bench_windows

STAGES = ("Onboarding", "Adoption", "Expansion", "Renewal", "Churned")
STATUSES = ("green", "yellow", "red")
INDUSTRIES = ("Software", "Retail", "Finance", "Health", "Manufacturing", "Education")
#: Figure ids: lowercase letters, then the capitals of later figures ((A): the scheduled run
#: of every shipped rule), which ``--only`` keeps apart from their lowercase namesakes.
FIGURES = "abcdefghijklmnopqrstuvwxyzA"

#: The company table's columns, in the order the raw baseline writes them.
COLUMNS = (
    "id", "version", "created_at", "updated_at", "created_by", "fields", "name", "parent_id",
    "stage", "status", "csm_id", "renewal_date", "industry", "arr", "health_score", "nps",
    "score_grade", "score_previous", "score_trend", "scorecard", "external_id",
)  # fmt: skip

#: The query of figure (b), as a successkit call and as hand-written SQL.
QUERY_WHERE = [("stage", "=", "Adoption"), ("arr", ">", 5000)]
QUERY_SORT = ["-arr"]
QUERY_LIMIT = 50
QUERY_SQL = (
    f"SELECT {', '.join(COLUMNS)} FROM company"
    " WHERE stage = ? AND arr > ?"
    " ORDER BY arr DESC, id"  # SQLite sorts nulls last in a descending sort by itself
    " LIMIT ?"
)
QUERY_PARAMS = ("Adoption", 5000.0, QUERY_LIMIT)


@dataclass(frozen=True)
class Sizes:
    insert_rows: int  # (a), (g)
    query_rows: int  # (b), (c), (h); (f) lists half as many goals
    stream_small: int  # (c)
    rule_rows: int  # (i)

    @classmethod
    def choose(cls, quick: bool) -> Sizes:
        if quick:
            return cls(insert_rows=10_000, query_rows=20_000, stream_small=2_000, rule_rows=1_000)
        return cls(insert_rows=100_000, query_rows=200_000, stream_small=20_000, rule_rows=10_000)


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
        (
            uuid.uuid4().hex,
            1,
            stamp,
            stamp,
            None,
            "{}",
            r["name"],
            None,
            r["stage"],
            r["status"],
            None,
            r["renewal_date"].isoformat(),
            r["industry"],
            r["arr"],
            r["health_score"],
            r["nps"],
            None,
            None,
            None,
            None,
            None,
        )
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
            "SELECT sql FROM sqlite_master WHERE tbl_name = 'company' AND sql IS NOT NULL ORDER BY type DESC, name"
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


# --------------------------------------------------------------------- (a) bulk insert
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


def bench_insert(workdir: Path, n: int, settings: Settings, orm: bool = True) -> list[Figure]:
    rows = company_rows(n)
    ddl_probe = workdir / "ddl.db"
    kit = open_kit(ddl_probe)
    names = kit.store.schema("company").names
    kit.close()
    if names != COLUMNS:
        raise SystemExit(f"the company columns changed; update COLUMNS in {__file__}: {names}")
    ddl = company_ddl(ddl_probe)
    remove_db(ddl_probe)
    tuples = raw_tuples(rows, datetime.now(timezone.utc))
    insert_sql = f"INSERT INTO company ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"

    def checked(path: Path) -> None:
        assert count_companies(path) == n, path
        remove_db(path)

    def raw_prepare(round_: int) -> tuple[sqlite3.Connection, Path]:
        path = workdir / f"raw-{round_}.db"
        remove_db(path)
        conn = connect_raw(path)
        for statement in ddl:
            conn.execute(statement)
        return conn, path

    def raw_run(arg: tuple[sqlite3.Connection, Path]) -> None:
        conn = arg[0]
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(insert_sql, tuples)
        conn.execute("COMMIT")

    def raw_finish(arg: tuple[sqlite3.Connection, Path]) -> None:
        arg[0].close()
        checked(arg[1])

    def sk_prepare(round_: int) -> tuple[sk.Kit, Path]:
        path = workdir / f"sk-{round_}.db"
        remove_db(path)
        return open_kit(path), path

    def sk_finish(arg: tuple[sk.Kit, Path]) -> None:
        arg[0].close()
        checked(arg[1])

    sides = [
        Side("successkit create_many", lambda a: a[0].companies.create_many(rows), sk_prepare, sk_finish),
        Side("raw sqlite3 executemany", raw_run, raw_prepare, raw_finish),
    ]
    model = orm_company_class() if orm else None
    if model is not None:
        sides.append(orm_side(workdir, model, rows, checked))
    timings = measure(settings, *sides)
    skt, raw = timings[0], timings[1]
    start = time.perf_counter()
    for _ in range(n):
        new_id()
    ids = time.perf_counter() - start
    fig = Figure(
        f"(a) create_many {n:,} companies / raw executemany",
        skt,
        raw,
        2.0,
        [
            f"median rates: raw {n / raw.median:,.0f} rows/s (ids and stamps made beforehand), successkit "
            f"{n / skt.median:,.0f} rows/s, of which making {n:,} random ids takes {ids:.3f} s",
            "each round into new files; same DDL and indexes, WAL, synchronous=NORMAL, one transaction",
        ],
    )
    if model is None:
        fig.notes.append(
            "ORM side skipped (--no-orm)"
            if not orm
            else "SQLAlchemy not installed (pip install 'successkit[bench]'): ORM skipped"
        )
        return [fig]
    orm_timings = timings[2]
    return [
        fig,
        Figure(
            f"    SQLAlchemy ORM add_all {n:,} / raw executemany",
            orm_timings,
            raw,
            None,
            [f"successkit / SQLAlchemy ORM (medians): {skt.median / orm_timings.median:.2f}"],
        ),
    ]


def orm_side(workdir: Path, model: type[Any], rows: list[dict[str, Any]], checked: Callable[[Path], None]) -> Side:
    """``session.add_all`` + commit of ``rows`` through the SQLAlchemy ORM, each round into a new file."""
    from sqlalchemy import create_engine, event
    from sqlalchemy.orm import Session

    def prepare(round_: int) -> tuple[Any, Path]:
        path = workdir / f"orm-{round_}.db"
        remove_db(path)
        engine = create_engine(f"sqlite:///{path}")

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode = WAL")
            cur.execute("PRAGMA synchronous = NORMAL")
            cur.close()

        model.metadata.create_all(engine)
        return engine, path

    def run(arg: tuple[Any, Path]) -> None:
        now = datetime.now(timezone.utc)
        with Session(arg[0]) as session:
            session.add_all([model(created_at=now, updated_at=now, **row) for row in rows])
            session.commit()

    def finish(arg: tuple[Any, Path]) -> None:
        arg[0].dispose()
        checked(arg[1])

    return Side("SQLAlchemy ORM add_all + commit", run, prepare, finish, rounds=2)  # about 5x slower than the rest


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


def bench_query(path: Path, n: int, settings: Settings) -> Figure:
    kit = open_kit(path)
    conn = connect_raw(path)
    try:

        def via_successkit(_: int) -> list[Any]:
            return kit.companies.list(QUERY_WHERE, sort=QUERY_SORT, limit=QUERY_LIMIT)

        def via_sqlite(_: int) -> list[tuple[Any, ...]]:
            return conn.execute(QUERY_SQL, QUERY_PARAMS).fetchall()

        same = [c.id for c in via_successkit(0)] == [r[0] for r in via_sqlite(0)]
        matching = kit.companies.count(QUERY_WHERE)
        skt, raw = measure(
            settings, Side("kit.companies.list", via_successkit), Side("raw sqlite3 + fetchall", via_sqlite)
        )
    finally:
        conn.close()
        kit.close()
    return Figure(
        f"(b) list() over {n:,} companies / raw SQL",
        skt,
        raw,
        2.0,  # a sorted, limited list on an index: issue #15's target (docs/performance.md)
        [
            f"{matching:,} rows match, first {QUERY_LIMIT} by arr desc (nulls last, ties by id)",
            "same 50 ids in the same order: " + ("yes" if same else "NO - the results differ!"),
        ],
    )


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


def bench_stream(path: Path, n: int, small: int) -> Figure:
    seen_small, peak_small = stream_peak(path, small)
    seen_big, peak_big = stream_peak(path, None)
    loaded = list_peak(path, small)
    assert (seen_small, seen_big) == (small, n), (seen_small, seen_big)
    return Figure(
        f"(c) iter() peak memory {n:,} rows / {small:,} rows",
        Timings(f"peak while iterating {n:,}", (float(peak_big),)),
        Timings(f"peak while iterating {small:,}", (float(peak_small),)),
        1.25,
        [
            f"for comparison, list() of {small:,} holds {fmt_bytes(loaded)} (tracemalloc sees Python objects only)",
        ],
        fmt=fmt_bytes,
    )


# ------------------------------------------------------------------------------- main
def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a tenth of the sizes (a smoke run)")
    parser.add_argument(
        "--rounds",
        type=int,
        metavar="N",
        help="counted rounds per figure (default 5, 7 with --quick; the query figures run 3 times as many)",
    )
    parser.add_argument("--warmup", type=int, default=1, metavar="N", help="uncounted rounds first (default 1)")
    parser.add_argument(
        "--rows", type=int, metavar="N", help="companies for the bulk inserts (a) and (g); enrolments (z) advances"
    )
    parser.add_argument(
        "--query-rows", type=int, metavar="N", help="companies for (b), (c) and (h); (f) lists half as many goals"
    )
    parser.add_argument("--rule-rows", type=int, metavar="N", help="companies the rule of (i) matches")
    parser.add_argument(
        "--sort-rows",
        type=int,
        metavar="N",
        help="companies for the sorted lists of (j) (default: the size of (b); the issue's is 1000000)",
    )
    parser.add_argument(
        "--progress-goals",
        type=int,
        metavar="N",
        help="goals for the progress lists of (p) (default: half of --query-rows; the issue's is 1000000)",
    )
    parser.add_argument(
        "--only", metavar="LETTERS", default=FIGURES, help="the figures to run, e.g. 'e,i,g' (default: all)"
    )
    parser.add_argument(
        "--sizes",
        metavar="N,N,...",
        help="run the figures once per size, every row count set to it, and end with a Markdown "
        "table of the ratios by size, e.g. 10000,100000,1000000 (see scale.py)",
    )
    parser.add_argument(
        "--usage-facts", type=int, metavar="N", help="usage facts ingested in (u), (v) (default: --rows)"
    )
    parser.add_argument(
        "--window-facts", type=int, metavar="N", help="usage facts (w) aggregates (default: 5 x query rows)"
    )
    parser.add_argument(
        "--dashboard-rows",
        type=int,
        metavar="N",
        help="companies of the sample book of (q) (default: a tenth of --rows)",
    )
    parser.add_argument(
        "--dashboard-ctas",
        type=int,
        metavar="N",
        help="CTAs per company in the sample book of (q) (default: one or two)",
    )
    parser.add_argument(
        "--closed-history",
        type=int,
        default=3,
        metavar="N",
        help="old closed CTAs per company and shipped rule in (A), (A') (default 3)",
    )
    parser.add_argument("--no-postgres", dest="postgres", action="store_false", help="skip the PostgreSQL figures")
    parser.add_argument(
        "--no-orm", dest="orm", action="store_false", help="skip the SQLAlchemy side of (a) (minutes at a million rows)"
    )
    parser.add_argument("--gc", action="store_true", help="keep the garbage collector on while timing")
    parser.add_argument("--keep", metavar="DIR", help="write the SQLite files to DIR and keep them")
    args = parser.parse_args(argv)
    args.only = {c if c in FIGURES else c.lower() for c in args.only if c.isalpha()}
    if not args.only <= set(FIGURES):
        parser.error(f"--only takes letters from {FIGURES}")
    try:
        args.sizes = [int(n.replace("_", "")) for n in args.sizes.split(",") if n.strip()] if args.sizes else []
    except ValueError:
        parser.error("--sizes takes whole numbers separated by commas, e.g. 10000,100000")
    if any(n < 1 for n in args.sizes):
        parser.error("--sizes must be at least 1")
    if args.rounds is None:
        args.rounds = 7 if args.quick else 5
    if args.rounds < 1 or args.warmup < 0:
        parser.error("--rounds must be at least 1 and --warmup at least 0")
    return args


def run_figures(
    args: argparse.Namespace, sizes: Sizes, sort_rows: int, settings: Settings, workdir: Path
) -> tuple[list[Figure], list[str]]:
    """The figures ``args.only`` names at ``sizes``; also the lines saying what was skipped and why."""
    figures: list[Figure] = []
    skipped: list[str] = []

    def add(*new: Figure) -> None:
        figures.extend(new)
        if args.sizes:  # long runs: each figure's lines as soon as it is measured
            report(new)

    if "a" in args.only:
        print(f"(a) inserting {sizes.insert_rows:,} companies three ways ...", flush=True)
        add(*bench_insert(workdir, sizes.insert_rows, settings, orm=args.orm))
    if args.only & set("bc"):
        big = workdir / "query.db"
        remove_db(big)
        print(f"    populating {sizes.query_rows:,} companies for (b) and (c) ...", flush=True)
        print(f"    ({populate(big, sizes.query_rows):.1f} s)", flush=True)
        if "b" in args.only:
            print("(b) timing the list query ...", flush=True)
            add(bench_query(big, sizes.query_rows, settings.times(3)))
        if "c" in args.only:
            print("(c) measuring peak memory while streaming ...", flush=True)
            add(bench_stream(big, sizes.query_rows, sizes.stream_small))
        if not args.keep:
            remove_db(big)
    if "d" in args.only:
        print("(d) applying a 50x10 plan template ...", flush=True)
        add(bench_apply(workdir, settings))
    if "e" in args.only:
        print("(e) cloning a 200x10 plan ...", flush=True)
        add(*bench_clone(workdir, settings))
    if "f" in args.only:
        goal_rows = sizes.query_rows // 2
        print(f"(f) listing {goal_rows:,} goals grouped by fiscal quarter ...", flush=True)
        add(bench_goal_list(workdir, goal_rows, settings.times(3)))
    if "i" in args.only:
        print(f"(i) a rule raising a CTA for each of {sizes.rule_rows:,} companies, then its rerun ...", flush=True)
        add(*bench_rule_run(workdir, sizes.rule_rows, settings))
    if "j" in args.only:
        print(f"(j) sorted lists over {sort_rows:,} companies on SQLite and PostgreSQL ...", flush=True)
        found, why_not = bench_sorted_lists(workdir, company_rows, sort_rows, settings, postgres=args.postgres)
        add(*found)
        skipped.extend(why_not)
    if "k" in args.only:
        print(f"(k) getting companies by id among {sizes.query_rows:,} ...", flush=True)
        add(*bench_get(workdir, company_rows, sizes.query_rows, settings))
    if "l" in args.only:
        print("(l) importing successkit in new interpreters ...", flush=True)
        add(bench_import(settings))
    if args.only & set("mn"):
        print(f"(m), (n) a cockpit and a 360 view among {sizes.query_rows:,} companies and CTAs ...", flush=True)
        add(*bench_accounts(workdir, company_rows, sizes.query_rows, settings, args.only))
    if "p" in args.only:
        progress_goals = args.progress_goals or sizes.query_rows // 2
        print(f"(p) goal lists by progress over {progress_goals:,} goals on SQLite and PostgreSQL ...", flush=True)
        found, why_not = bench_goal_progress(workdir, progress_goals, settings, PG_URL if args.postgres else None)
        add(*found)
        skipped.extend(why_not)
    if "s" in args.only:
        print(f"(s) previewing a weight change over {sizes.rule_rows * 10:,} companies ...", flush=True)
        add(bench_preview(workdir, sizes.rule_rows * 10, settings))
    if "r" in args.only:
        print(f"(r) recomputing {sizes.insert_rows:,} companies x 10 measures on SQLite ...", flush=True)
        add(bench_recompute(workdir, sizes.insert_rows, settings))
    if "t" in args.only and args.postgres:
        print(f"(t) recomputing {sizes.insert_rows:,} companies x 10 measures on PostgreSQL ...", flush=True)
        found, why = bench_recompute_pg(sizes.insert_rows, settings, PG_URL)
        add(*found)
        if why:
            print(f"    {why}", flush=True)
            skipped.append(f"(t) {why}")
    if args.only & set("uvwx"):
        add(*_signal_figures(args, sizes, settings, workdir, skipped))
    if "y" in args.only:
        print("(y) company updates with an event rule that matches nothing ...", flush=True)
        add(*bench_event_rules(workdir, sizes.insert_rows, settings))
    if "z" in args.only:
        print(f"(z) advancing {sizes.insert_rows:,} program enrolments ...", flush=True)
        add(*bench_programs(workdir, sizes.insert_rows, settings))
    if "o" in args.only:
        print(f"(o) aggregating ARR by CSM and fiscal quarter over {sizes.query_rows:,} companies ...", flush=True)
        found, why_not = bench_aggregate(workdir, company_rows, sizes.query_rows, settings, postgres=args.postgres)
        add(*found)
        skipped.extend(f"(o) {w}" for w in why_not)
    if "q" in args.only:
        rows = getattr(args, "dashboard_rows", None) or max(sizes.insert_rows // 10, 10)
        print(f"(q) the six dashboards over a sample book of {rows:,} companies ...", flush=True)
        found, why_not = bench_dashboards(
            workdir, rows, settings, postgres=args.postgres, ctas=getattr(args, "dashboard_ctas", None)
        )
        add(*found)
        skipped.extend(f"(q) {w}" for w in why_not)
    if "A" in args.only:
        print(f"(A) every shipped scheduled rule over {sizes.insert_rows:,} companies, then the rerun ...", flush=True)
        add(*bench_schedule(workdir, sizes.insert_rows, settings, args.closed_history))
    if args.postgres and args.only & set("gh"):
        print("(g), (h) PostgreSQL: bulk insert and the list query ...", flush=True)
        pg, why = bench_postgres(
            company_rows,
            sizes.insert_rows if "g" in args.only else 0,
            sizes.query_rows if "h" in args.only else 0,
            settings,
        )
        add(*pg)
        if why:
            print(f"    {why}", flush=True)
            skipped.append(f"(g), (h) {why}")
    return figures, skipped


def _signal_figures(
    args: argparse.Namespace, sizes: Sizes, settings: Settings, workdir: Path, skipped: list[str]
) -> list[Figure]:
    """(u)-(x): usage ingest on SQLite and PostgreSQL, usage windows, attribute history."""
    found: list[Figure] = []
    facts = args.usage_facts or sizes.insert_rows
    if "u" in args.only:
        print(f"(u) ingesting {facts:,} usage facts, then again ...", flush=True)
        found += bench_ingest(workdir, facts, settings)
    if "v" in args.only and args.postgres:
        print(f"(v) PostgreSQL: ingesting {facts:,} usage facts ...", flush=True)
        pg, why = bench_ingest_postgres(PG_URL, facts, settings)
        found += pg
        if why:
            print(f"    {why}", flush=True)
            skipped.append(f"(v) {why}")
    if "w" in args.only:
        companies = sizes.query_rows // 2
        window_facts = args.window_facts or companies * 10
        print(f"(w) usage windows of {companies:,} companies over {window_facts:,} facts ...", flush=True)
        found.append(bench_windows(workdir, companies, window_facts, settings))
    if "x" in args.only:
        print(f"(x) update_many of {sizes.insert_rows:,} companies with and without history ...", flush=True)
        found.append(bench_history(workdir, sizes.insert_rows, settings))
    return found


def choose_sizes(args: argparse.Namespace, size: int | None) -> tuple[Sizes, int]:
    """The row counts of one run (every one of them ``size`` when given), and (j)'s."""
    sizes = Sizes.choose(args.quick)
    if size is not None:
        return Sizes(insert_rows=size, query_rows=size, stream_small=max(1, size // 10), rule_rows=size), size
    given = (("insert_rows", args.rows), ("query_rows", args.query_rows), ("rule_rows", args.rule_rows))
    sizes = replace(sizes, **{k: v for k, v in given if v is not None})
    sizes = replace(sizes, stream_small=max(1, sizes.query_rows // 10))
    return sizes, args.sort_rows or sizes.query_rows


def main(argv: list[str]) -> int:
    args = parse(argv)
    settings = Settings(rounds=args.rounds, warmup=args.warmup, keep_gc=args.gc)
    print(
        f"successkit {sk.__version__} benchmarks ({'quick' if args.quick else 'full'} sizes); "
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, {platform.machine()}"
    )
    print(
        f"median and best of {settings.rounds} interleaved rounds after {settings.warmup} warm-up "
        f"(queries: {settings.rounds * 3}); GC {'on' if settings.keep_gc else 'off'} while timing"
    )

    started = time.perf_counter()
    runs: list[tuple[int, list[Figure], tuple[int, ...]]] = []
    figures: list[Figure] = []
    skipped: list[str] = []
    with tempfile.TemporaryDirectory(prefix="successkit-bench-") as tmp:
        workdir = Path(args.keep) if args.keep else Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        for size in args.sizes or [None]:
            sizes, sort_rows = choose_sizes(args, size)
            if size is not None:
                print(f"--- N = {size:,} ---", flush=True)
            found, why_not = run_figures(args, sizes, sort_rows, settings, workdir)
            figures.extend(found)
            skipped.extend(why_not)
            if size is not None:
                runs.append((size, found, (sizes.stream_small,)))
                for line in why_not:
                    print(line)
                print(markdown_table(runs) + "\n", flush=True)  # the table so far

    if not args.sizes and (figures or skipped):
        report(figures, skipped)
    gated = [f for f in figures if f.gated]
    missed = [f for f in gated if not f.passed]
    print(
        f"{len(gated) - len(missed)} of {len(gated)} targets met (ratio of the median times) "
        f"in {time.perf_counter() - started:.0f} s on this machine."
    )
    if args.quick:
        print(
            "--quick: the targets are set for the full sizes; small tables make the raw\n"
            "baselines relatively faster, so these ratios are indicative only."
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
