"""Benchmark for programs (MAIL_03): advancing N due enrolments, (z).

(z) ``kit.programs.advance`` of N people enrolled in a program whose next step
    sends an email and then waits 7 days, with an exit condition (a meeting
    logged with the person), on SQLite, with a sender plugin that accepts every
    email, against the same work written by hand with ``sqlite3``: in one
    transaction, select the active programs and the due enrolments, read the
    people, their companies, the CSMs and the template, look up the exit
    activities, render each email (plain substitution of the placeholders), insert
    the email rows with ``executemany`` and move every enrolment on with an
    ``executemany`` UPDATE (version-checked); then hand each email to the same
    sender and mark the accepted ones sent with one more ``executemany`` UPDATE.
    Target: at most 3.0.

Every round of each side starts from a fresh copy of one prepared file holding
the people and their enrolments, all due today, so every round sends N emails.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any

import successkit as sk
from measure import Figure, Settings, Side, copy_db, measure, remove_db, seal_db
from successkit.plugins import hookimpl
from successkit.records import ProgramEmail, new_id

__all__ = ["bench_programs"]

TODAY = date(2026, 11, 24)
NOW = datetime.combine(TODAY, time(9), tzinfo=timezone.utc)
PEOPLE_PER_COMPANY = 4
SUBJECT = "Welcome, {{person.first_name}}"
BODY = "Hi {{person.name}}, I am {{csm.name}}, your CSM at {{company.name}}."
STEPS: list[dict[str, Any]] = [{"do": "send_email", "template": "Welcome"}, {"do": "wait", "days": 7}]
EXIT = {"activity": ["meeting"]}


class Accepting:
    """A sender that accepts every email (both sides hand theirs to it)."""

    def __init__(self) -> None:
        self.count = 0

    @hookimpl
    def successkit_send_email(self, email: sk.OutgoingEmail, kit: sk.Kit) -> bool:
        self.count += 1
        return True


def _kit(path: Path, sender: Accepting | None = None) -> sk.Kit:
    return sk.open(f"sqlite:///{path}", clock=NOW, entry_points=False, plugins=[sender] if sender else [])


def _master(workdir: Path, n: int) -> tuple[Path, tuple[Any, ...], list[str]]:
    """The prepared file: N people enrolled and due; also a program email row to copy, and its columns."""
    master = workdir / "programs.db"
    remove_db(master)
    kit = _kit(master)
    csm = kit.users.create("Carla Diaz", email="carla@vendor.example")
    companies = kit.companies.create_many(
        [{"name": f"Company {i}", "csm_id": csm.id} for i in range(max(1, n // PEOPLE_PER_COMPANY))]
    )
    made: dict[str, Any] = {"created_at": NOW, "updated_at": NOW}
    people = [
        sk.Person(**made, name=f"Person {i} Lee", email=f"p{i}@example.com",
                  company_id=companies[i % len(companies)].id)
        for i in range(n)
    ]  # fmt: skip
    kit.store.insert_many(people)
    kit.playbooks.create_email_template("Welcome", SUBJECT, BODY)
    program = kit.programs.create("Welcome", steps=STEPS, exit=EXIT)
    kit.programs.enroll(program, people)
    kit.timeline.log("meeting", "Kickoff", company=companies[0], occurred_at=NOW - timedelta(days=30))  # before
    sample = ProgramEmail(**made, program_id=program.id, enrolment_id="e", step=0, company_id=companies[0].id,
                          to=("x@example.com",), subject="s")  # fmt: skip
    schema = kit.store.schema("program_email")
    row, names = schema.to_row(sample), list(schema.names)
    kit.close()
    seal_db(master)
    return master, row, names


def _counts(path: Path) -> tuple[int, int]:
    conn = sqlite3.connect(path)
    try:
        sent = conn.execute("SELECT COUNT(*) FROM program_email WHERE state = 'sent'").fetchone()[0]
        moved = conn.execute("SELECT COUNT(*) FROM program_enrolment WHERE step = 2").fetchone()[0]
        return int(sent), int(moved)
    finally:
        conn.close()


def _by_hand(conn: sqlite3.Connection, row: tuple[Any, ...], names: list[str], sender: Accepting) -> None:
    """The advance written by hand: the same selection, reads, rendering and writes."""
    fields = ("id", "enrolment_id", "company_id", "person_id", "recipient_ids", "to", "subject", "body")
    at = {c: names.index(c) for c in fields}
    today, now, due = TODAY.isoformat(), NOW.isoformat(), (TODAY + timedelta(days=7)).isoformat()
    conn.execute("BEGIN IMMEDIATE")
    programs = {p: json.loads(d) for p, d in conn.execute("SELECT id, definition FROM program WHERE active = 1")}
    enrolments = conn.execute(
        "SELECT id, version, program_id, target_id, company_id, enrolled_at FROM program_enrolment"
        " WHERE state = 'active' AND due_on <= ? AND program_id IN (SELECT value FROM json_each(?))"
        " ORDER BY due_on, id",
        (today, json.dumps(list(programs))),
    ).fetchall()

    def many(sql: str, ids: list[str]) -> dict[str, tuple[Any, ...]]:
        return {
            r[0]: r for r in conn.execute(sql + " WHERE id IN (SELECT value FROM json_each(?))", (json.dumps(ids),))
        }

    people = many("SELECT id, name, email FROM person", sorted({e[3] for e in enrolments}))
    companies = many("SELECT id, name, csm_id FROM company", sorted({e[4] for e in enrolments}))
    users = many("SELECT id, name, email FROM user", sorted({c[2] for c in companies.values() if c[2]}))
    template_ids = sorted({s["template_id"] for d in programs.values() for s in d["steps"] if "template_id" in s})
    templates = many("SELECT id, subject, body FROM email_template", template_ids)
    exits = {
        (a[0], p)
        for a in conn.execute(
            "SELECT company_id, participant_person_ids, occurred_at FROM activity WHERE company_id IN"
            " (SELECT value FROM json_each(?)) AND type IN ('meeting') AND draft = 0 AND occurred_at >= ?",
            (json.dumps(sorted(companies)), min(e[5] for e in enrolments)),
        )
        for p in json.loads(a[1])
    }
    emails, moved, outgoing = [], [], []
    for e_id, version, program_id, person_id, company_id, _enrolled in enrolments:
        if (company_id, person_id) in exits:
            continue
        step = programs[program_id]["steps"][0]
        _, subject, body = templates[step["template_id"]]
        _, pname, email = people[person_id]
        _, cname, csm_id = companies[company_id]
        values = {"{{person.first_name}}": pname.split()[0], "{{person.name}}": pname,
                  "{{csm.name}}": users[csm_id][1], "{{company.name}}": cname}  # fmt: skip
        for key, value in values.items():
            subject, body = subject.replace(key, value), body.replace(key, value)
        r = list(row)
        r[at["id"]], r[at["enrolment_id"]], r[at["company_id"]], r[at["person_id"]] = (
            new_id(),
            e_id,
            company_id,
            person_id,
        )
        r[at["recipient_ids"]], r[at["to"]] = json.dumps([person_id]), json.dumps([email])
        r[at["subject"]], r[at["body"]] = subject, body
        emails.append(tuple(r))
        moved.append((2, due, today, now, e_id, version))
        outgoing.append(sk.OutgoingEmail(r[at["id"]], company_id, (email,), subject, body))
    columns = ", ".join(f'"{c}"' for c in names)
    conn.executemany(f"INSERT INTO program_email ({columns}) VALUES ({', '.join('?' * len(names))})", emails)
    conn.executemany(
        "UPDATE program_enrolment SET step = ?, due_on = ?, last_run_on = ?, version = version + 1, updated_at = ?"
        " WHERE id = ? AND version = ?",
        moved,
    )
    conn.execute("COMMIT")
    sent = [(now, o.task_id) for o in outgoing if sender.successkit_send_email(o, None)]  # type: ignore[arg-type]
    conn.execute("BEGIN IMMEDIATE")
    conn.executemany(
        "UPDATE program_email SET state = 'sent', sent_at = ?, version = version + 1 WHERE id = ? AND state = 'verify'",
        sent,
    )
    conn.execute("COMMIT")


def bench_programs(workdir: Path, n: int, settings: Settings) -> list[Figure]:
    master, row, names = _master(workdir, n)
    calls: list[int] = []

    def sk_prepare(round_: int) -> tuple[sk.Kit, Path]:
        path = copy_db(master, workdir / f"programs-sk-{round_}.db")
        kit = _kit(path, Accepting())
        kit.programs.count()  # warm the connection as a host's kit is
        kit.store.stats.reset()
        return kit, path

    def via_successkit(arg: tuple[sk.Kit, Path]) -> None:
        run = arg[0].programs.advance()
        assert run.due == n, run.due

    def sk_finish(arg: tuple[sk.Kit, Path]) -> None:
        calls.append(arg[0].store.stats.total)
        arg[0].close()
        assert _counts(arg[1]) == (n, n), (_counts(arg[1]), arg[1])
        remove_db(arg[1])

    def raw_prepare(round_: int) -> tuple[sqlite3.Connection, Path, Accepting]:
        path = copy_db(master, workdir / f"programs-raw-{round_}.db")
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("SELECT COUNT(*) FROM program").fetchone()
        return conn, path, Accepting()

    def via_sqlite(arg: tuple[sqlite3.Connection, Path, Accepting]) -> None:
        _by_hand(arg[0], row, names, arg[2])

    def raw_finish(arg: tuple[sqlite3.Connection, Path, Accepting]) -> None:
        arg[0].close()
        assert _counts(arg[1]) == (n, n), (_counts(arg[1]), arg[1])
        remove_db(arg[1])

    skt, raw = measure(
        settings,
        Side(f"kit.programs.advance of {n:,}", via_successkit, sk_prepare, sk_finish),
        Side("raw selects + executemany insert/updates", via_sqlite, raw_prepare, raw_finish),
    )
    note = f"each round on a fresh copy, every enrolment due; {calls[-1] if calls else '?'} storage calls"
    return [Figure(f"(z) advancing {n:,} program enrolments / raw SQL", skt, raw, 3.0, [note])]


if __name__ == "__main__":  # a quick check at a small size: python benchmarks/program_figures.py 2000
    import sys
    import tempfile

    from measure import report

    with tempfile.TemporaryDirectory() as tmp:
        report(bench_programs(Path(tmp), int(sys.argv[1]) if len(sys.argv) > 1 else 2000, Settings(rounds=3)))
