"""Benchmark for the scheduled run of every shipped rule, and its rerun: (A), (A').

Every shipped bundle is deployed, and ``kit.rules.run_all()`` runs each scheduled
(non-event) rule they ship - onboarding kickoff (a CTA with its playbook's tasks
and an onboarding plan from a template), quarterly EBR and sponsor check-in (an
activity anti-join), the renewal CTA 120 days out, the renewal follow-up (an
anti-join since the renewal date and the CSM's book of 100 or more customers,
``having``) and the stale measure reset (``set_measure`` to NA) - over N companies
with realistic data on SQLite: CSMs with large and small books, stages, ARR,
renewal dates, a published activity or two per company, a CSM sentiment entry for
half of them, and ``history`` old closed CTAs per company of each type and reason
the rules raise (closed before any cooldown).

(A) against the same selection and writes by hand with ``sqlite3`` in one
    transaction: for each rule its ``where`` as SQL, the ``without_activity``
    anti-join (``NOT EXISTS``), the ``having`` aggregate (``GROUP BY csm_id``), the
    lookup of similar open (or recently closed) CTAs and of existing plans, the
    owners, and the inserts (and the reset's deletes).  The rows are copied from
    templates: what successkit wrote for one company per rule on a probe copy, with
    the ids, company, owner and name put in by position, as figure (i) does.  Both
    sides must create (and delete) the same number of records of every kind.
    Target: at most 3.0.
(A') the same run again on a file where it ran: nothing to do, against the same
    hand-written run, which finds everything there.  Target: at most 2.0,
    whatever the number of CTAs already closed.
"""

from __future__ import annotations

import json
import random
import sqlite3
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any

import attrs

import successkit as sk
from measure import Figure, Settings, Side, copy_db, measure, remove_db, seal_db
from successkit.query.schema import dump_datetime
from successkit.records import new_id, stable_id

__all__ = ["bench_schedule", "build_portfolio"]

TODAY = date(2026, 11, 24)
STAGES = (("Onboarding", 10), ("Adoption", 35), ("Renewal", 20), ("Expansion", 20), ("Churned", 15))
ACTIVITY_TYPES = ("call", "call", "note", "ebr", "sponsor_check_in", "renewal")
#: The (type, reason) of each CTA the shipped scheduled rules raise: the closed history.
CTA_KINDS = (
    ("onboarding", "kickoff"),
    ("ebr", "business_review"),
    ("renewal", "renewal_due"),
    ("renewal", "renewal_no_activity"),
    ("lifecycle", "sponsor_check_in"),
)
OPEN = ("new", "work_in_progress")
#: Tables whose rows can belong to a company, and the column saying which.
KEYS = ("company_id", "record_id", "target_id")


def _kit(path: Path) -> sk.Kit:
    return sk.open(f"sqlite:///{path}", clock=TODAY, entry_points=False)


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    return conn


def _at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=timezone.utc)


def build_portfolio(kit: sk.Kit, n: int, history: int = 3, seed: int = 11) -> None:
    """Deploy every shipped bundle and lay ``n`` companies with realistic data (see the
    module's docstring).  Bulk rows are copies of one record made through the services."""
    rng = random.Random(seed)
    available = kit.bundles.available()
    # the welcome bundle comes last: the customers were there before it (its event rule
    # would otherwise have given each new company its onboarding plan already)
    for name in sorted(available, key=lambda b: (b == "welcome", b != "health", b != "onboarding", b)):
        if name != "welcome":
            kit.bundles.deploy(name)
    csms = [kit.users.create(f"CSM {i:03}", email=f"csm{i}@cs.example", license="full") for i in range(n // 150 + 2)]
    big, small = csms[: max(1, len(csms) * 4 // 5)], csms[max(1, len(csms) * 4 // 5) :] or csms[:1]
    weights = [w for _, w in STAGES]
    rows = []
    for i in range(n):
        csm = None if i % 50 == 49 else (small[i % len(small)] if i % 10 == 0 else big[i % len(big)])
        rows.append({
            "name": f"Company {i:07}",
            "csm_id": csm.id if csm else None,
            "stage": rng.choices([s for s, _ in STAGES], weights)[0],
            "arr": float(rng.randrange(10_000, 400_000, 1_000)),
            "renewal_date": TODAY + timedelta(days=rng.randrange(-30, 700)),
        })  # fmt: skip
    kit.companies.create_many(rows)
    companies = kit.companies.list(sort=["name"])
    sample = companies[0]
    act = kit.timeline.log("call", "Sample", company=sample, occurred_at=_at(TODAY - timedelta(days=1)))
    entry = kit.scorecards.set_value(sample, "sentiment", 50)
    activities, entries = [], []
    for c in companies[1:]:
        for _ in range(rng.choice((0, 1, 1, 2))):
            when = _at(TODAY - timedelta(days=rng.randrange(1, 240)))
            kind = rng.choice(ACTIVITY_TYPES)
            activities.append(attrs.evolve(act, id=new_id(), company_id=c.id, type=kind, occurred_at=when,
                                           published_at=when, subject=f"{kind} with {c.name}"))  # fmt: skip
        if rng.random() < 0.5:
            key = stable_id("measure_entry", "company", c.id, "sentiment")  # where kit.scorecards puts it
            value, age = float(rng.randrange(0, 101)), timedelta(days=rng.randrange(0, 200))
            entries.append(attrs.evolve(entry, id=key, record_id=c.id, value=value, as_of=TODAY - age))
    for batch in (activities, entries):
        for start in range(0, len(batch), 50_000):
            kit.store.insert_many(batch[start : start + 50_000])
    if history:
        _closed_history(kit, companies, sample, history)
    if "welcome" in available:
        kit.bundles.deploy("welcome")


def _closed_history(kit: sk.Kit, companies: Sequence[sk.Company], sample: sk.Company, history: int) -> None:
    """``history`` CTAs per company of each type and reason the rules raise, closed 800 days
    ago (before every cooldown), written 50,000 at a time."""
    closed = kit.statuses.in_category("cta", "closed_success")[0]
    first = kit.ctas.create("Old", company=sample, type="renewal", reason="renewal_due").record
    done = kit.ctas.set_status(first, closed)
    old = getattr(done, "record", done)
    long_ago = _at(TODAY - timedelta(days=800))
    batch: list[Any] = []
    for c in companies:
        for ctype, reason in CTA_KINDS:
            for h in range(history):
                batch.append(attrs.evolve(old, id=new_id(), company_id=c.id, type=ctype, reason=reason,
                                          name=f"Old {ctype} {h}: {c.name}", owner_id=c.csm_id,
                                          created_at=long_ago, closed_at=long_ago))  # fmt: skip
        if len(batch) >= 50_000:
            kit.store.insert_many(batch)
            batch = []
    if batch:
        kit.store.insert_many(batch)
    kit.store.delete("cta", first.id)


# ----------------------------------------------------------------------- templates
@dataclass(frozen=True)
class Template:
    """The rows one rule writes for one company, ready to be copied by position."""

    rows: tuple[tuple[str, tuple[tuple[str, Any], ...]], ...]  # (table, column specs)
    fixed: tuple[tuple[str, tuple[Any, ...], int], ...]  # rows of the run itself: (table, row, id column)
    columns: dict[str, list[str]]

    def fill(self, targets: Sequence[tuple[str, str, str | None]]) -> dict[str, list[tuple[Any, ...]]]:
        out: dict[str, list[tuple[Any, ...]]] = {}
        for table, row, id_at in self.fixed:
            copy = list(row)
            copy[id_at] = new_id()
            out.setdefault(table, []).append(tuple(copy))
        for company, name, owner in targets:
            ids = [new_id() for _ in self.rows]
            values = {"company": company, "name": name, "owner": owner}
            for table, specs in self.rows:
                made: list[Any] = []
                for how, v in specs:
                    if how == "const":
                        made.append(v)
                    elif how == "id":
                        made.append(ids[v])
                    elif how == "fmt":
                        made.append(v.format(*ids, **values))
                    else:
                        made.append(values[how])
                out.setdefault(table, []).append(tuple(made))
        return out


def _spec(v: Any, ids: dict[str, int], company: str, name: str, owner: str | None) -> tuple[str, Any]:
    if v == company:
        return ("company", None)
    if isinstance(v, str) and v in ids:
        return ("id", ids[v])
    if owner is not None and v == owner:
        return ("owner", None)
    if isinstance(v, str) and (company in v or name in v or any(i in v for i in ids)):
        text = v.replace("{", "{{").replace("}", "}}")
        for i, k in ids.items():
            text = text.replace(i, "{" + str(k) + "}")
        text = text.replace(company, "{company}").replace(name, "{name}")
        return ("fmt", text)
    return ("const", v)


def _specs(
    row: tuple[Any, ...], id_at: int, ids: dict[str, int], company: str, name: str, owner: str | None
) -> tuple[tuple[str, Any], ...]:
    return tuple(("id", ids[v]) if j == id_at else _spec(v, ids, company, name, owner) for j, v in enumerate(row))


def _ids(conn: sqlite3.Connection, tables: Sequence[str]) -> dict[str, set[str]]:
    return {t: {r[0] for r in conn.execute(f'SELECT id FROM "{t}"')} for t in tables}


def probe(master: Path, workdir: Path) -> tuple[dict[str, Template], dict[str, Counter[str]]]:
    """Run each scheduled rule once with successkit on a copy, and keep what it wrote for
    one company as that rule's template; also how many rows of each table it created."""
    path = copy_db(master, workdir / "schedule-probe.db")
    kit = _kit(path)
    conn = _connect(path)
    tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
              if not r[0].startswith("sqlite_")]  # fmt: skip
    columns = {t: [r[1] for r in conn.execute(f'PRAGMA table_info("{t}")')] for t in tables}
    tables = [t for t in tables if "id" in columns[t]]  # record tables, not the library's own bookkeeping
    companies = {r[0]: (r[1], r[2]) for r in conn.execute("SELECT id, name, csm_id FROM company")}
    templates: dict[str, Template] = {}
    created: dict[str, Counter[str]] = {}
    try:
        for rule in sorted((r for r in kit.rules.list() if r.active and not r.definition.get("trigger")),
                           key=lambda r: r.name):  # fmt: skip
            before = _ids(conn, tables)
            kit.rules.run(rule)
            after = _ids(conn, tables)
            created[rule.name] = Counter({t: len(after[t] - before[t]) for t in tables if after[t] - before[t]})
            groups: dict[str | None, list[tuple[str, tuple[Any, ...]]]] = {}
            for t in tables:
                new = after[t] - before[t]
                if not new:
                    continue
                key = next((k for k in KEYS if k in columns[t]), None)
                for row in conn.execute(f'SELECT * FROM "{t}" WHERE id IN (SELECT value FROM json_each(?))',
                                        (json.dumps(sorted(new)),)):  # fmt: skip
                    owner = row[columns[t].index(key)] if key else None
                    groups.setdefault(owner if owner in companies else None, []).append((t, tuple(row)))
            fixed = tuple((t, row, columns[t].index("id")) for t, row in groups.pop(None, []))
            shapes = Counter(tuple(sorted(Counter(t for t, _ in g).items())) for g in groups.values())
            rows: tuple[tuple[str, tuple[tuple[str, Any], ...]], ...] = ()
            if shapes:
                shape = shapes.most_common(1)[0][0]
                company, group = next((c, g) for c, g in groups.items()
                                      if tuple(sorted(Counter(t for t, _ in g).items())) == shape)  # fmt: skip
                name, owner = companies[str(company)]
                ids = {row[columns[t].index("id")]: k for k, (t, row) in enumerate(group)}
                at = {t: columns[t].index("id") for t, _ in group}
                rows = tuple((t, _specs(row, at[t], ids, str(company), name, owner)) for t, row in group)
            templates[rule.name] = Template(rows, fixed, columns)
    finally:
        conn.close()
        kit.close()
        remove_db(path)
    return templates, created


# ------------------------------------------------------------------------ by hand
def _day(d: date) -> str:
    return d.isoformat()


def _moment(d: date) -> str:
    return dump_datetime(datetime.combine(d, time(), tzinfo=timezone.utc))


_ESTABLISHED = ("Adoption", "Renewal", "Expansion", "adoption", "renewal", "expansion")
_TARGETS = "SELECT c.id, c.name, c.csm_id FROM company AS c WHERE "
_NO_ACTIVITY = (
    " AND NOT EXISTS (SELECT 1 FROM activity AS a WHERE a.company_id = c.id AND a.type IN ({types})"
    " AND a.draft = 0 AND a.occurred_at >= {since})"
)
_SIMILAR = (
    "SELECT company_id FROM cta WHERE company_id IN (SELECT value FROM json_each(?)) AND relationship_id IS NULL"
    " AND type = ? AND reason = ? AND (status IN ('new', 'work_in_progress') OR closed_at >= ?)"
)


_PLANS = (
    "SELECT company_id FROM plan WHERE company_id IN (SELECT value FROM json_each(?))"
    " AND plan_type = 'onboarding' AND name = 'Onboarding'"
)


def _in(values: Sequence[str]) -> str:
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)


def _selections() -> list[tuple[str, str, list[Any], tuple[str, str, int] | None, bool]]:
    """Per rule (in name order): its name, the targets' SQL and parameters, the similar
    CTA lookup (type, reason, cooldown) and whether it creates the onboarding plan."""
    t = TODAY

    def cutoff(days: int) -> str:
        return _moment(t - timedelta(days=days))

    return [
        ("Onboarding kickoff", _TARGETS + "c.stage IN ('Onboarding', 'onboarding')", [],
         ("onboarding", "kickoff", 365), True),
        ("Quarterly EBR", _TARGETS + f"c.stage IN ({_in(_ESTABLISHED)}) AND c.arr >= 100000"
         + _NO_ACTIVITY.format(types="'ebr'", since="?"), [cutoff(90)], ("ebr", "business_review", 80), False),
        ("Renewal: 120 days out", _TARGETS + "c.renewal_date BETWEEN ? AND ?",
         [_day(t), _day(t + timedelta(days=120))], ("renewal", "renewal_due", 180), False),
        ("Renewal: no conversation yet", _TARGETS + "c.renewal_date BETWEEN ? AND ?"
         + _NO_ACTIVITY.format(types="'renewal'", since="strftime('%Y-%m-%dT00:00:00', c.renewal_date, '-120 days')")
         + " AND c.csm_id IN (SELECT csm_id FROM company WHERE csm_id IS NOT NULL GROUP BY csm_id"
         " HAVING COUNT(*) >= 100)",
         [_day(t), _day(t + timedelta(days=80))], ("renewal", "renewal_no_activity", 60), False),
        ("Sponsor check-in", _TARGETS + f"c.stage IN ({_in(_ESTABLISHED)})"
         + _NO_ACTIVITY.format(types="'sponsor_check_in', 'ebr'", since="?"), [cutoff(90)],
         ("lifecycle", "sponsor_check_in", 60), False),
    ]  # fmt: skip


def by_hand(templates: dict[str, Template]) -> Callable[[sqlite3.Connection], Counter[str]]:
    """The hand-written run of every rule in one transaction; what it created and
    deleted, per table (``-table`` for deletes)."""
    selections = _selections()

    def run(conn: sqlite3.Connection) -> Counter[str]:
        done: Counter[str] = Counter()
        conn.execute("BEGIN IMMEDIATE")
        active = {r[0] for r in conn.execute('SELECT id FROM "user" WHERE active = 1')}
        for name, sql, params, similar, plan in selections:
            targets = [r for r in conn.execute(sql, params).fetchall()]
            ids = json.dumps([r[0] for r in targets])
            ctype, reason, cooldown = similar  # type: ignore[misc]
            since = _moment(TODAY - timedelta(days=cooldown - 1))
            held = {r[0] for r in conn.execute(_SIMILAR, (ids, ctype, reason, since))}
            planned = {r[0] for r in conn.execute(_PLANS, (ids,))} if plan else set()
            todo = [r for r in targets if r[0] not in held and r[0] not in planned and r[2] in active]
            # one template holds the CTA and the plan: a company has both or neither
            assert not plan or all((r[0] in held) == (r[0] in planned) for r in targets if r[2] in active)
            _insert(conn, templates[name].fill(todo) if todo else {}, templates[name].columns, done)
        # the stale measure reset: every company's sentiment entry older than 60 days
        ids = json.dumps([r[0] for r in conn.execute("SELECT id FROM company")])
        stale = [r[0] for r in conn.execute(
            "SELECT id FROM measure_entry WHERE record_kind = 'company' AND measure = 'sentiment'"
            " AND record_id IN (SELECT value FROM json_each(?)) AND as_of < ?",
            (ids, _day(TODAY - timedelta(days=60))))]  # fmt: skip
        if stale:
            conn.execute("DELETE FROM measure_entry WHERE id IN (SELECT value FROM json_each(?))", (json.dumps(stale),))
            done["-measure_entry"] += len(stale)
        _insert(conn, templates["Stale measure reset: sentiment"].fill([]) if stale else {}, {}, done)
        conn.execute("COMMIT")
        return done

    return run


def _insert(
    conn: sqlite3.Connection, rows: dict[str, list[tuple[Any, ...]]], columns: dict[str, list[str]], done: Counter[str]
) -> None:
    for table, batch in rows.items():
        marks = ", ".join("?" * len(batch[0]))
        conn.executemany(f'INSERT INTO "{table}" VALUES ({marks})', batch)
        done[table] += len(batch)


def _counts(path: Path) -> Counter[str]:
    conn = sqlite3.connect(path)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
                  if not r[0].startswith("sqlite_")]  # fmt: skip
        return Counter({t: conn.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in tables})
    finally:
        conn.close()


def _difference(after: Counter[str], before: Counter[str]) -> Counter[str]:
    out: Counter[str] = Counter()
    for t in set(after) | set(before):
        d = after[t] - before[t]
        if d > 0:
            out[t] = d
        elif d < 0:
            out["-" + t] = -d
    return out


# ------------------------------------------------------------------------ figures
def bench_schedule(workdir: Path, n: int, settings: Settings, history: int = 3) -> list[Figure]:
    master = workdir / "schedule.db"
    remove_db(master)
    kit = _kit(master)
    build_portfolio(kit, n, history)
    kit.close()
    seal_db(master)
    base = _counts(master)
    templates, _ = probe(master, workdir)
    hand = by_hand(templates)
    made: dict[str, list[Counter[str]]] = {"sk": [], "raw": []}
    calls: list[int] = []

    def sk_prepare(round_: int) -> tuple[sk.Kit, Path]:
        path = copy_db(master, workdir / f"schedule-sk-{round_}.db")
        kit = _kit(path)
        kit.companies.count()  # warms the page cache, as the raw side's first read does
        return kit, path

    def via_successkit(arg: tuple[sk.Kit, Path]) -> None:
        arg[0].store.stats.reset()
        arg[0].rules.run_all()
        calls.append(arg[0].store.stats.total)

    def sk_finish(arg: tuple[sk.Kit, Path]) -> None:
        arg[0].close()
        made["sk"].append(_difference(_counts(arg[1]), base))
        remove_db(arg[1])

    def raw_prepare(round_: int) -> tuple[sqlite3.Connection, Path]:
        path = copy_db(master, workdir / f"schedule-raw-{round_}.db")
        conn = _connect(path)
        conn.execute("SELECT COUNT(*) FROM company").fetchone()
        return conn, path

    def raw_finish(arg: tuple[sqlite3.Connection, Path]) -> None:
        arg[0].close()
        made["raw"].append(_difference(_counts(arg[1]), base))
        remove_db(arg[1])

    skt, raw = measure(
        settings,
        Side("kit.rules.run_all (every shipped rule)", via_successkit, sk_prepare, sk_finish),
        Side("by hand: where, anti-joins, having, lookups, inserts", lambda a: hand(a[0]), raw_prepare, raw_finish),
    )
    sk_made, raw_made = made["sk"][-1], made["raw"][-1]
    sk_made.pop("rule_run", None)
    raw_made.pop("rule_run", None)
    assert sk_made == raw_made, (sk_made, raw_made)
    rerun = _bench_rerun(workdir, master, hand, settings)
    summary = ", ".join(f"{t} {c:,}" for t, c in sorted(sk_made.items()))
    notes = [
        f"{history} old closed CTAs per company and rule; created (deleted: -): {summary}",
        f"{calls[-1]} storage calls; each round on a fresh copy",
    ]
    name = f"(A) scheduled run of every shipped rule over {n:,} companies / by hand"
    return [Figure(name, skt, raw, 3.0, notes), rerun]


def _bench_rerun(workdir: Path, master: Path, hand: Callable[[sqlite3.Connection], Counter[str]],
                 settings: Settings) -> Figure:  # fmt: skip
    """(A') every rule again on a file where they ran: nothing to create or delete."""
    path = copy_db(master, workdir / "schedule-rerun.db")
    kit = _kit(path)
    kit.rules.run_all()
    before = _counts(path)
    conn = _connect(path)
    found: list[Counter[str]] = []
    created: list[int] = []
    try:
        kit.store.stats.reset()
        created.append(sum(r.created for r in kit.rules.run_all()))
        calls = kit.store.stats.total
        skt, raw = measure(
            settings,
            Side("kit.rules.run_all, again", lambda _: created.append(sum(r.created for r in kit.rules.run_all()))),
            Side("by hand, again", lambda _: found.append(hand(conn))),
        )
        assert set(created) == {0} and all(not f for f in found), (created, found)
        assert _difference(_counts(path), before).keys() <= {"rule_run"}
    finally:
        conn.close()
        kit.close()
        remove_db(path)
    return Figure(
        "(A') rerun of every shipped rule, nothing to do / by hand",
        skt,
        raw,
        2.0,
        [f"nothing created or deleted, in {calls} storage calls, whatever the closed CTA history"],
    )
