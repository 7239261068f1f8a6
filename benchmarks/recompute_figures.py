"""Benchmarks for the daily recompute of scores (r) on SQLite and (t) on PostgreSQL.

(r) ``kit.scorecards.recompute`` of N companies scored by one scorecard of ten
    measures (four field measures: ``nps`` and ``arr`` each mapped linearly and
    by thresholds; two counts of CTAs over a window: risk CTAs over 90 days, all
    CTAs over 30; four manual measures with entries on some companies), the day
    after a first recompute and some changed inputs, on SQLite.  It writes a
    snapshot per company, the changed score columns of every company (each has
    a previous score now) and the history of the scores that changed.
    Baseline: the same work by hand with ``sqlite3`` in one transaction: read
    the companies' id, version, ``nps``, ``arr`` and score columns, the CTA
    counts per company (two ``GROUP BY`` queries over the windows) and the
    manual entries (one query), then in a plain Python loop map each value
    (the same thresholds and linear formulas), take the weighted mean of the
    measures with a value, round it, find the grade, the previous score and
    the trend, build the snapshot row with its measures JSON, the company
    update and the history row of a changed score, and write them with three
    ``executemany`` calls.  The baseline knows the period is a new one (no
    snapshot to replace) and reads no scorecard; successkit reads the
    scorecards and measures, looks for the period's snapshots and checks the
    rows' versions.  Both sides must write the same scores, grades, trends,
    snapshots (measures JSON) and history values; the figure checks it once,
    untimed.  Target: at most 3.0.
(t) the same on PostgreSQL through ``psycopg`` (the kit's own tables; both
    sides write the same rows).  Target: at most 3.0.

On SQLite every round of each side starts from a fresh copy of one prepared
file; on PostgreSQL the three tables the run writes are restored from copies
before every round, untimed.  A note gives the storage calls of a recompute
over 1,000 companies and over N: they are the same.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Callable
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any

import successkit as sk
from measure import Figure, Settings, Side, copy_db, measure, remove_db, seal_db
from successkit.records import new_id

__all__ = ["bench_recompute", "prepare_scores", "raw_recompute"]

TODAY = date(2026, 11, 24)
DAY2 = TODAY + timedelta(days=1)
LINEAR_NPS = (-100, 100)
LINEAR_ARR = (0, 200_000)
THRESH_NPS = [[-100, 0], [-20, 40], [30, 70], [60, 100]]
THRESH_ARR = [[0, 10], [1000, 50], [100_000, 90]]
THRESH_RISK = [[0, 100], [1, 60], [3, 20]]
THRESH_ACTS = [[0, 20], [1, 60], [3, 90]]
#: measure key -> weight, in the scorecard's order
WEIGHTS = {"nps": 1, "nps_band": 1, "arr": 1, "arr_size": 1, "risks": 2, "acts": 2,
           "sentiment": 1, "exec": 1, "support": 1, "adoption": 1}  # fmt: skip
MANUAL = ("sentiment", "exec", "support", "adoption")
RANGES = (("Red", 50.0), ("Yellow", 75.0), ("Green", 100.0))  # the default scheme: high bounds, inclusive


def _kit(url: str, day: date) -> sk.Kit:
    return sk.open(url, clock=day, entry_points=False)


def prepare_scores(kit: sk.Kit, n: int) -> None:
    """N companies scored once on TODAY, then some inputs changed for the next day's run."""
    owner = kit.users.create("Cleo")
    kit.measures.create("nps", source={"type": "field", "field": "nps", "map": {"linear": list(LINEAR_NPS)}})
    kit.measures.create("nps_band", source={"type": "field", "field": "nps", "map": {"thresholds": THRESH_NPS}})
    kit.measures.create("arr", source={"type": "field", "field": "arr", "map": {"linear": list(LINEAR_ARR)}})
    kit.measures.create("arr_size", source={"type": "field", "field": "arr", "map": {"thresholds": THRESH_ARR}})
    kit.measures.create("risks", source={
        "type": "count", "kind": "cta", "where": [("type", "=", "risk")], "days": 90,
        "map": {"thresholds": THRESH_RISK}})  # fmt: skip
    kit.measures.create("acts", source={"type": "count", "kind": "cta", "days": 30, "map": {"thresholds": THRESH_ACTS}})
    for key in MANUAL:
        kit.measures.create(key)
    kit.scorecards.create("standard", default=True, measures=[{"measure": k, "weight": w} for k, w in WEIGHTS.items()])
    rows = [{"name": f"Company {i}", "nps": (i * 37) % 201 - 100, "arr": float((i * 7919) % 250_000)}
            for i in range(n)]  # fmt: skip
    companies = []
    for start in range(0, n, 50_000):
        companies += kit.companies.create_many(rows[start : start + 50_000])
    for c in companies[::10]:
        kit.ctas.create("Risk", company=c, type="risk", owner=owner)
    for c in companies[::15]:
        kit.ctas.create("Check in", company=c, type="lifecycle", owner=owner)
    for j, key in enumerate(MANUAL[:3]):
        for i, c in enumerate(companies[j :: 7 + 2 * j]):
            kit.scorecards.set_value(c, key, (i * 13) % 101)
    kit.scorecards.recompute()
    for i, c in enumerate(companies[::20]):  # what changed since: new entries, new risks
        kit.scorecards.set_value(c, "adoption", (i * 29) % 101)
    for c in companies[5::40]:
        kit.ctas.create("Risk 2", company=c, type="risk", owner=owner)


# --------------------------------------------------------------------------- the baseline
def _linear(raw: float, low: float, high: float) -> float:
    if raw <= low:
        share = 0.0
    elif raw >= high:
        share = 1.0
    else:
        share = min(1.0, (raw / 2 - low / 2) / (high / 2 - low / 2))
    return 100.0 * share


def _threshold(raw: float, steps: list[list[int]]) -> float | None:
    found = None
    for low, score in steps:
        if raw >= low:
            found = float(score)
    return found


def _grade(score: float | None) -> str | None:
    if score is None:
        return None
    for label, high in RANGES:
        if score <= high:
            return label
    return RANGES[-1][0]


def _score_one(values: list[tuple[str, Any, float | None]]) -> float | None:
    valued = [(WEIGHTS[k], s) for k, _, s in values if s is not None]
    total = sum(w for w, _ in valued)
    return round(sum(w / total * s for w, s in valued), 2) if valued and total > 0 else None


def raw_recompute(conn: Any, ph: str, now: datetime, stamp: Callable[[Any], Any]) -> int:
    """The recompute by hand (see the module docstring) on a DB-API connection whose
    placeholder is ``ph``; ``stamp`` gives a date or timestamp as the backend stores it.
    The caller commits.  Returns the number of snapshots written."""
    cur = conn.cursor()
    cur.execute(
        "SELECT id, version, nps, arr, health_score, score_grade, score_previous, score_trend, scorecard"
        " FROM company ORDER BY id"
    )
    companies = cur.fetchall()
    window = {d: stamp(now - timedelta(days=d)) for d in (30, 90)}
    cur.execute(
        f"SELECT company_id, COUNT(*) FROM cta WHERE type = {ph} AND created_at >= {ph} AND created_at <= {ph}"
        " GROUP BY company_id", ("risk", window[90], stamp(now)),
    )  # fmt: skip
    risks = dict(cur.fetchall())
    cur.execute(
        f"SELECT company_id, COUNT(*) FROM cta WHERE created_at >= {ph} AND created_at <= {ph} GROUP BY company_id",
        (window[30], stamp(now)),
    )
    acts = dict(cur.fetchall())
    cur.execute(f"SELECT record_id, measure, value FROM measure_entry WHERE record_kind = {ph}", ("company",))
    manual: dict[str, dict[str, float]] = {}
    for rid, key, value in cur.fetchall():
        manual.setdefault(rid, {})[key] = value
    at, period = stamp(now), stamp(now.date())
    snapshots, updates, history = [], [], []
    for cid, version, nps, arr, old, old_grade, old_previous, old_trend, old_card in companies:
        r, a, mine = risks.get(cid, 0), acts.get(cid, 0), manual.get(cid, {})
        values: list[tuple[str, Any, float | None]] = [
            ("nps", nps, None if nps is None else _linear(nps, *LINEAR_NPS)),
            ("nps_band", nps, None if nps is None else _threshold(nps, THRESH_NPS)),
            ("arr", arr, None if arr is None else _linear(arr, *LINEAR_ARR)),
            ("arr_size", arr, None if arr is None else _threshold(arr, THRESH_ARR)),
            ("risks", r, _threshold(r, THRESH_RISK)),
            ("acts", a, _threshold(a, THRESH_ACTS)),
        ]
        values += [(k, mine.get(k), mine.get(k)) for k in MANUAL]
        score = _score_one(values)
        grade = _grade(score)
        trend = None if score is None or old is None else "same" if score == old else "up" if score > old else "down"
        measures = {k: {"raw": raw, "score": s, "na": s is None} for k, raw, s in values}
        sid = hashlib.blake2b(f"score_snapshot\x1fcompany\x1f{cid}\x1f{period}".encode(), digest_size=16).hexdigest()
        snapshots.append((sid, 1, at, at, None, "{}", "company", cid, "standard", period, score, grade,
                          json.dumps(measures, ensure_ascii=False, separators=(",", ":"))))  # fmt: skip
        if (score, grade, old, trend, "standard") != (old, old_grade, old_previous, old_trend, old_card):
            updates.append((score, grade, old, trend, "standard", version + 1, at, cid, version))
            if score != old:
                history.append((new_id(), 1, at, at, None, "{}", "company", cid, cid, "health_score", version + 1,
                                None if old is None else json.dumps(old), None if score is None else json.dumps(score),
                                score))  # fmt: skip
    marks = ", ".join([ph] * 13)
    cur.executemany(
        "INSERT INTO score_snapshot (id, version, created_at, updated_at, created_by, fields, record_kind, record_id,"
        f" scorecard, period, score, grade, measures) VALUES ({marks})", snapshots,
    )  # fmt: skip
    cur.executemany(
        f"UPDATE company SET health_score = {ph}, score_grade = {ph}, score_previous = {ph}, score_trend = {ph},"
        f" scorecard = {ph}, version = {ph}, updated_at = {ph} WHERE id = {ph} AND version = {ph}", updates,
    )  # fmt: skip
    cur.executemany(
        "INSERT INTO attribute_change (id, version, created_at, updated_at, created_by, fields, record_kind,"
        " record_id, company_id, attribute, record_version, old_value, new_value, number)"
        f" VALUES ({', '.join([ph] * 14)})", history,
    )  # fmt: skip
    return len(snapshots)


def _text_stamp(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).isoformat(timespec="microseconds")
    return value.isoformat()


def outcome(conn: Any) -> tuple[Any, ...]:
    """What a recompute wrote, to compare the sides: scores, snapshots, history values."""
    cur = conn.cursor()
    found = []
    for sql in (
        "SELECT id, health_score, score_grade, score_previous, score_trend, version FROM company ORDER BY id",
        "SELECT id, record_id, score, grade, measures FROM score_snapshot ORDER BY id",
        "SELECT record_id, attribute, old_value, new_value, number, record_version FROM attribute_change"
        " ORDER BY record_id, record_version",
    ):
        cur.execute(sql)
        found.append(tuple(tuple(json.loads(v) if isinstance(v, str) and v[:1] == "{" else v for v in row)
                           for row in cur.fetchall()))  # fmt: skip
    return tuple(found)


def storage_calls(url_for: Callable[[str], str], n: int) -> dict[str, int]:
    """The storage calls of the next day's recompute over ``n`` companies."""
    url = url_for(f"calls{n}")
    kit = _kit(url, TODAY)
    prepare_scores(kit, n)
    kit.close()
    kit = _kit(url, DAY2)
    kit.store.stats.reset()
    kit.scorecards.recompute()
    calls = dict(kit.store.stats.calls)
    kit.close()
    return calls


def calls_note(small: dict[str, int], big: dict[str, int], n: int) -> str:
    same = "the same" if small == big else "NOT the same"
    return (
        f"storage calls over 1,000 and {n:,} companies: {sum(small.values())} and {sum(big.values())}, {same} ({big})"
    )


def bench_recompute(workdir: Path, n: int, settings: Settings) -> Figure:
    master = workdir / "recompute.db"
    remove_db(master)
    kit = _kit(f"sqlite:///{master}", TODAY)
    prepare_scores(kit, n)
    kit.close()
    seal_db(master)

    def sk_prepare(round_: int) -> tuple[sk.Kit, Path]:
        path = copy_db(master, workdir / f"recompute-sk-{round_}.db")
        return _kit(f"sqlite:///{path}", DAY2), path

    def via_successkit(arg: tuple[sk.Kit, Path]) -> None:
        arg[0].scorecards.recompute()

    def sk_finish(arg: tuple[sk.Kit, Path]) -> None:
        arg[0].close()
        remove_db(arg[1])

    def raw_prepare(round_: int) -> tuple[sqlite3.Connection, Path]:
        path = copy_db(master, workdir / f"recompute-raw-{round_}.db")
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        return conn, path

    def via_sqlite(arg: tuple[sqlite3.Connection, Path]) -> None:
        conn = arg[0]
        conn.execute("BEGIN IMMEDIATE")
        raw_recompute(conn, "?", datetime.combine(DAY2, time(), tzinfo=timezone.utc), _text_stamp)
        conn.execute("COMMIT")

    def raw_finish(arg: tuple[sqlite3.Connection, Path]) -> None:
        arg[0].close()
        remove_db(arg[1])

    same = _same_sqlite(workdir, master, sk_prepare, via_successkit, raw_prepare, via_sqlite)
    sk_t, raw_t = measure(
        settings,
        Side("kit.scorecards.recompute", via_successkit, sk_prepare, sk_finish),
        Side("hand-written sqlite3", via_sqlite, raw_prepare, raw_finish),
    )
    small = storage_calls(lambda name: f"sqlite:///{workdir / name}.db", 1000)
    big = _calls_on_copy(workdir, master)
    remove_db(workdir / "calls1000.db")
    return Figure(
        f"(r) recompute of {n:,} companies x 10 measures / by hand",
        sk_t,
        raw_t,
        3.0,
        [
            f"both sides write the same scores, snapshots and history: {'yes' if same else 'NO - they differ!'}",
            calls_note(small, big, n),
        ],
    )


def _calls_on_copy(workdir: Path, master: Path) -> dict[str, int]:
    path = copy_db(master, workdir / "recompute-calls.db")
    kit = _kit(f"sqlite:///{path}", DAY2)
    kit.store.stats.reset()
    kit.scorecards.recompute()
    calls = dict(kit.store.stats.calls)
    kit.close()
    remove_db(path)
    return calls


def _same_sqlite(workdir: Path, master: Path, sk_prepare: Any, via_sk: Any, raw_prepare: Any, via_raw: Any) -> bool:
    arg = sk_prepare(-1)
    via_sk(arg)
    arg[0].close()
    conn = sqlite3.connect(arg[1])
    mine = outcome(conn)
    conn.close()
    remove_db(arg[1])
    raw = raw_prepare(-2)
    via_raw(raw)
    theirs = outcome(raw[0])
    raw[0].close()
    remove_db(raw[1])
    return _compare(mine, theirs)


def _compare(mine: tuple[Any, ...], theirs: tuple[Any, ...]) -> bool:
    """The same scores and versions, snapshots (ids and measures) and history values."""
    return mine == theirs


# --------------------------------------------------------------------------- PostgreSQL
_WRITTEN = ("company", "score_snapshot", "attribute_change")


def bench_recompute_pg(n: int, settings: Settings, url: str) -> tuple[list[Figure], str | None]:
    """Figure (t), or why it was skipped."""
    try:
        import psycopg
    except ImportError:
        return [], "skipped: psycopg is not installed (pip install 'successkit[postgres]')"
    try:
        admin = psycopg.connect(url, autocommit=True, connect_timeout=5)
    except psycopg.Error as e:
        return [], f"skipped: no PostgreSQL server ({type(e).__name__})"
    schema = f"sk_bench_rc_{new_id()[:8]}"
    try:
        return [_pg_figure(admin, url, schema, n, settings)], None
    finally:
        for name in (schema, f"{schema}_calls"):
            admin.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")
        admin.close()


def _pg_figure(admin: Any, url: str, schema: str, n: int, settings: Settings) -> Figure:
    kit_url = f"{url}?schema={schema}"
    kit = _kit(kit_url, TODAY)
    prepare_scores(kit, n)
    kit.close()
    for t in _WRITTEN:
        admin.execute(f'CREATE TABLE {schema}."{t}_saved" AS SELECT * FROM {schema}."{t}"')
    admin.execute(f"VACUUM ANALYZE {schema}.company")

    def restore(_: int) -> None:  # untimed: the tables as the prepared day left them
        for t in _WRITTEN:
            wipe = "DELETE FROM" if t == "company" else "TRUNCATE"  # other tables refer to companies
            admin.execute(f'{wipe} {schema}."{t}"')
            admin.execute(f'INSERT INTO {schema}."{t}" SELECT * FROM {schema}."{t}_saved"')
            admin.execute(f'VACUUM ANALYZE {schema}."{t}"')

    def sk_prepare(round_: int) -> sk.Kit:
        restore(round_)
        return _kit(kit_url, DAY2)

    def via_successkit(kit: sk.Kit) -> None:
        kit.scorecards.recompute()

    def raw_prepare(round_: int) -> Any:
        restore(round_)
        import psycopg

        conn = psycopg.connect(url)
        conn.execute(f"SET search_path TO {schema}")
        conn.commit()
        return conn

    def via_psycopg(conn: Any) -> None:
        raw_recompute(conn, "%s", datetime.combine(DAY2, time(), tzinfo=timezone.utc), _text_stamp)
        conn.commit()

    def close(arg: Any) -> None:
        arg.close()

    kit2 = sk_prepare(-1)
    via_successkit(kit2)
    kit2.close()
    mine = _pg_outcome(url, schema)
    conn = raw_prepare(-2)
    via_psycopg(conn)
    conn.close()
    same = _compare(mine, _pg_outcome(url, schema))
    sk_t, raw_t = measure(
        settings,
        Side("kit.scorecards.recompute", via_successkit, sk_prepare, close),
        Side("hand-written psycopg", via_psycopg, raw_prepare, close),
    )
    restore(0)
    kit3 = _kit(kit_url, DAY2)
    kit3.store.stats.reset()
    kit3.scorecards.recompute()
    big = dict(kit3.store.stats.calls)
    kit3.close()
    small = storage_calls(lambda _: f"{url}?schema={schema}_calls", 1000)
    return Figure(
        f"(t) PostgreSQL recompute of {n:,} companies x 10 measures / by hand",
        sk_t,
        raw_t,
        3.0,
        [
            f"both sides write the same scores, snapshots and history: {'yes' if same else 'NO - they differ!'}",
            calls_note(small, big, n),
        ],
    )


def _pg_outcome(url: str, schema: str) -> tuple[Any, ...]:
    import psycopg

    with psycopg.connect(url) as conn:
        conn.execute(f"SET search_path TO {schema}")
        return outcome(conn)
