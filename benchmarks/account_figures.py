"""A user's cockpit and a big company's 360 view among N companies and N CTAs (m), (n).

The data: N companies with 20 CSMs between them, one CTA per company (owned by
its CSM; seven in ten open, one in twenty snoozed, due dates spread over eight
months), and one big company holding, besides its CTA, 200 more open CTAs,
5 relationships, 100 people, 10 active plans of 20 objectives each (owned by
the CSMs) and 300 activities.  No goals: their figures are (f) and the goal
work's own.

(m) ``kit.ctas.cockpit(user, limit=50)`` of the first CSM (N / 20 CTAs and 10
    objectives), against the SQL one writes by hand for the same 50 items, on
    the same file: the user's open CTAs that are not snoozed, ``ORDER BY
    due_date NULLS LAST, name, id LIMIT 50``; the user's open, unsnoozed
    objectives of active plans (a ``JOIN`` on the plan) in the same order; the
    rows turned into the same records with each schema's ``from_row``; the two
    lists merged in Python.  Checked to give the same 50 ids.  Information:
    the issue sets no target.
(n) ``kit.c360.company(big)`` against the very statements it sends to SQLite
    (captured once, after a warm-up view) replayed with their parameters on a
    raw ``sqlite3`` connection, every row of a record kind turned into its
    record with ``from_row``: the database work the view asks for, without
    successkit's assembly of the view around it.  So the ratio is successkit's
    own cost on top of its queries, not a comparison with other SQL.
    Information: the issue sets no target.
"""

from __future__ import annotations

import random
import sqlite3
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import attrs

import successkit as sk
from measure import Figure, Settings, Side, measure, remove_db
from successkit.records import new_id

__all__ = ["bench_accounts"]

TODAY = date(2026, 11, 24)
USERS = 20
LIMIT = 50


def _open(path: Path) -> sk.Kit:
    return sk.open(f"sqlite:///{path}", clock=TODAY, entry_points=False)


def _populate(path: Path, rows_for: Callable[..., list[dict[str, Any]]], n: int) -> tuple[str, str, float]:
    """The data of the module docstring; returns (the first CSM's id, the big company's id, seconds)."""
    start = time.perf_counter()
    kit = _open(path)
    try:
        users = [kit.users.create(f"CSM {i:02d}").id for i in range(USERS)]
        company_ids: list[str] = []
        for offset in range(0, n, 50_000):
            rows = rows_for(min(50_000, n - offset), seed=offset, start=offset)
            for k, row in enumerate(rows):
                row["csm_id"] = users[(offset + k) % USERS]
            company_ids.extend(c.id for c in kit.companies.create_many(rows))
        big = company_ids[0]
        _ctas(kit, company_ids, users)
        del company_ids
        _big_company(kit, big, users)
        return users[0], big, time.perf_counter() - start
    finally:
        kit.close()


def _ctas(kit: sk.Kit, company_ids: list[str], users: list[str]) -> None:
    """One CTA per company, and 200 more for the first, written in bulk."""
    sample = kit.ctas.create("sample", company=company_ids[0], type="risk").record
    now = datetime(2026, 11, 24, tzinfo=timezone.utc)
    rng = random.Random(13)
    targets = [company_ids[0]] * 200 + company_ids
    for offset in range(0, len(targets), 50_000):
        batch = []
        for i in range(offset, min(offset + 50_000, len(targets))):
            closed = rng.random() < 0.3
            batch.append(
                attrs.evolve(
                    sample,
                    id=new_id(),
                    name=f"CTA {rng.randrange(10**6):06d}",
                    company_id=targets[i],
                    owner_id=users[i % USERS],
                    status="closed_success" if closed else ("new", "work_in_progress")[i % 2],
                    closed_at=now if closed else None,
                    due_date=TODAY + timedelta(days=rng.randrange(-30, 210)),
                    snoozed_until=TODAY + timedelta(days=7) if rng.random() < 0.05 else None,
                )
            )
        kit.store.insert_many(batch)


def _big_company(kit: sk.Kit, big: str, users: list[str]) -> None:
    rtype = kit.relationship_types.create("Product line")
    for i in range(5):
        kit.relationships.create(big, rtype, f"Line {i}")
    for i in range(100):
        kit.people.create(f"Person {i:03d}", company=big)
    for p in range(10):
        plan = kit.plans.create(
            f"Plan {p}", company=big, plan_type="onboarding", owner=users[p % USERS], status="active"
        )
        for o in range(20):
            kit.objectives.create(
                plan,
                f"Objective {p}.{o}",
                owner=users[o % USERS],
                start_date=TODAY - timedelta(days=60),
                due_date=TODAY + timedelta(days=o * 9 - 40),
            )
    for i in range(300):
        kit.timeline.log("note", f"Note {i}", company=big)


def _cockpit_by_hand(kit: sk.Kit, conn: sqlite3.Connection, user: str) -> Callable[[Any], list[Any]]:
    """The cockpit written by hand: two statements, the rows decoded, merged in Python."""
    cta, objective = kit.store.schema("cta"), kit.store.schema("objective")
    open_keys = kit.statuses.in_category("cta", "open")
    obj_keys = kit.statuses.in_category("objective", "open")
    active = kit.statuses.in_category("plan", "active")
    marks = ", ".join("?" * len(open_keys))
    cta_sql = (
        f"SELECT {', '.join(cta.names)} FROM cta WHERE owner_id = ? AND status IN ({marks})"
        " AND (snoozed_until IS NULL OR snoozed_until <= ?) ORDER BY due_date NULLS LAST, name, id LIMIT ?"
    )
    obj_sql = (
        f"SELECT {', '.join('o.' + c for c in objective.names)} FROM objective o JOIN plan p ON p.id = o.plan_id"
        f" WHERE o.owner_id = ? AND o.status IN ({', '.join('?' * len(obj_keys))})"
        " AND (o.snoozed_until IS NULL OR o.snoozed_until <= ?)"
        f" AND p.status IN ({', '.join('?' * len(active))}) ORDER BY o.due_date NULLS LAST, o.name, o.id LIMIT ?"
    )
    today = TODAY.isoformat()
    cta_params = (user, *open_keys, today, LIMIT)
    obj_params = (user, *obj_keys, today, *active, LIMIT)
    cta_row, obj_row = cta.from_row, objective.from_row

    def run(_: Any) -> list[Any]:
        items = [cta_row(r) for r in conn.execute(cta_sql, cta_params).fetchall()]
        items += [obj_row(r) for r in conn.execute(obj_sql, obj_params).fetchall()]
        items.sort(key=lambda r: (r.due_date is None, r.due_date or date.min, r.name, r.id))
        return items[:LIMIT]

    return run


class _Recorder:
    """A connection that notes every statement it is given, then runs it."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.seen: list[tuple[str, tuple[Any, ...]]] = []

    def execute(self, sql: str, params: Any = ()) -> sqlite3.Cursor:
        self.seen.append((sql, tuple(params)))
        return self.conn.execute(sql, params)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.conn, name)


def _replay(kit: sk.Kit, conn: sqlite3.Connection, view: Callable[[], object]) -> tuple[Callable[[Any], object], int]:
    """The statements ``view`` sends, as one function replaying them on ``conn``; and how many there are."""
    store: Any = kit.store
    recorder = _Recorder(store._conn)
    store._conn = recorder
    try:
        view()
    finally:
        store._conn = recorder.conn
    readers = {}
    for schema in store.schemas.values():
        cols = ", ".join(f'"{c}"' for c in schema.names)
        readers[f'SELECT {cols} FROM "{schema.kind}"'] = schema.from_row
    steps: list[tuple[str, tuple[Any, ...], Callable[[Any], Any] | None]] = []
    for sql, params in recorder.seen:
        reader = next((r for prefix, r in readers.items() if sql.startswith(prefix)), None)
        steps.append((sql, params, reader))

    def run(_: Any) -> list[Any]:
        out: list[Any] = []
        for sql, params, reader in steps:
            rows = conn.execute(sql, params).fetchall()
            out.append([reader(r) for r in rows] if reader is not None else rows)
        return out

    return run, len(steps)


def bench_accounts(
    workdir: Path, rows_for: Callable[..., list[dict[str, Any]]], n: int, settings: Settings, only: set[str]
) -> list[Figure]:
    """Figures (m) and (n), those of them in ``only``."""
    path = workdir / "accounts.db"
    remove_db(path)
    user, big, spent = _populate(path, rows_for, n)
    kit = _open(path)
    conn = sqlite3.connect(path, isolation_level=None)
    figures = []
    written = f"{n:,} companies and {n + 200:,} CTAs written in {spent:.0f} s"
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        if "m" in only:

            def cockpit(_: Any) -> list[Any]:
                return kit.ctas.cockpit(user, limit=LIMIT)

            by_hand = _cockpit_by_hand(kit, conn, user)
            same = [r.id for r in cockpit(0)] == [r.id for r in by_hand(0)]
            op, base = measure(settings.times(3), Side("kit.ctas.cockpit", cockpit), Side("by hand", by_hand))
            notes = [f"{n // USERS:,} CTAs of the user; {written}"] + ([] if same else ["NOT the same 50 items!"])
            figures.append(Figure(f"(m) cockpit, 50 of {n:,} CTAs / by hand", op, base, None if same else 0.0, notes))
        if "n" in only:
            kit.c360.company(big)  # the first view reads the custom-field declarations once
            replay, statements = _replay(kit, conn, lambda: kit.c360.company(big))
            op, base = measure(
                settings.times(3),
                Side("kit.c360.company", lambda _: kit.c360.company(big)),
                Side("its statements replayed", replay),
            )
            notes = [f"{statements} statements; {written}"]
            figures.append(Figure(f"(n) 360 of a big company among {n:,} / its SQL replayed", op, base, None, notes))
    finally:
        conn.close()
        kit.close()
        remove_db(path)
    return figures
