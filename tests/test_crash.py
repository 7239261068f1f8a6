"""STORE_03 when the process dies: a SQLite file survives SIGKILL in the middle of bulk work.

A child process (spawn context) applies a large plan template again and
again and bulk-creates companies in batches, each operation one transaction.
The parent kills it with SIGKILL at a random moment, reopens the file and
checks that SQLite finds it sound and that the library's invariants hold:
nothing points at a missing parent, and every operation left either its whole
set of records or nothing.  Then the child is started again on the same file
and killed again, a few rounds in a row.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest

import successkit as sk

OBJECTIVES = 20
TASKS_PER_OBJECTIVE = 10
BATCH = 300
ROUNDS = 3

#: Figures of the last run, printed with ``pytest -s`` (docs/reliability.md quotes them).
FIGURES: dict[str, Any] = {}

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL (POSIX)")


def _setup(url: str) -> tuple[str, str]:
    """A plan and a template of OBJECTIVES objectives with TASKS_PER_OBJECTIVE tasks each."""
    kit = sk.open(url, entry_points=False)
    try:
        owner = kit.users.create("Owner", license="full")
        acme = kit.companies.create("Acme")
        plan = kit.plans.create("Onboarding", company=acme, plan_type="onboarding", owner=owner)
        template = kit.plan_templates.create(
            "Large",
            "onboarding",
            [
                {
                    "key": f"o{i}",
                    "name": f"Objective {i}",
                    "due_days": 10 + i,
                    "tasks": [{"name": f"Task {i}.{j}", "due_days": 5 + j} for j in range(TASKS_PER_OBJECTIVE)],
                }
                for i in range(OBJECTIVES)
            ],
        )
        return plan.id, template.id
    finally:
        kit.close()


def _bulk_work(url: str, plan_id: str, template_id: str, rounds: int) -> None:
    """Apply the template and create a batch of companies, again and again."""
    kit = sk.open(url, entry_points=False)
    for n in range(rounds):
        kit.plans.apply_template(plan_id, template_id)
        kit.companies.create_many([{"name": f"Bulk {os.getpid()} {n} {i}"} for i in range(BATCH)])


def _count(path: Path, sql: str, *params: Any) -> int:
    conn = sqlite3.connect(path)
    try:
        value: int = conn.execute(sql, params).fetchone()[0]
        return value
    finally:
        conn.close()


def _check_file(path: Path, plan_id: str) -> dict[str, int]:
    """SQLite's own check and the library's invariants; the counts found."""
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        orphan_tasks = conn.execute(
            "SELECT count(*) FROM task t WHERE t.parent_kind = 'objective' "
            "AND NOT EXISTS (SELECT 1 FROM objective o WHERE o.id = t.parent_id)"
        ).fetchone()[0]
        orphan_objectives = conn.execute(
            "SELECT count(*) FROM objective o WHERE NOT EXISTS (SELECT 1 FROM plan p WHERE p.id = o.plan_id)"
        ).fetchone()[0]
        assert (orphan_tasks, orphan_objectives) == (0, 0)
        per_objective = conn.execute(
            "SELECT o.id, count(t.id) FROM objective o LEFT JOIN task t ON t.parent_id = o.id "
            "WHERE o.plan_id = ? GROUP BY o.id",
            (plan_id,),
        ).fetchall()
        bulk = conn.execute("SELECT count(*) FROM company WHERE name LIKE 'Bulk %'").fetchone()[0]
    finally:
        conn.close()
    # all or nothing: every application left its full set of objectives, each with all its tasks
    assert all(n == TASKS_PER_OBJECTIVE for _, n in per_objective)
    assert len(per_objective) % OBJECTIVES == 0
    assert bulk % BATCH == 0
    # and the library reads the same state back
    kit = sk.open(f"sqlite:///{path}", entry_points=False)
    try:
        objectives = kit.objectives.list([("plan_id", "=", plan_id)])
        assert len(objectives) == len(per_objective)
        assert kit.tasks.count([("plan_id", "=", plan_id)]) == len(objectives) * TASKS_PER_OBJECTIVE
        assert kit.plans.counts(plan_id).total == len(objectives)
        kit.companies.create("Still writable")  # the file takes new writes after the crash
        kit.companies.delete(kit.companies.list([("name", "=", "Still writable")])[0])
    finally:
        kit.close()
    return {"applications": len(per_objective) // OBJECTIVES, "batches": bulk // BATCH}


@pytest.mark.slow
def test_sigkill_during_bulk_work_leaves_a_sound_file__STORE_03(tmp_path: Path) -> None:
    path = tmp_path / "crash.db"
    url = f"sqlite:///{path}"
    plan_id, template_id = _setup(url)
    ctx = multiprocessing.get_context("spawn")
    rng = random.Random(20261124)
    seen = {"applications": 0, "batches": 0}
    for round_no in range(ROUNDS):
        before = _count(path, "SELECT count(*) FROM objective")
        child = ctx.Process(target=_bulk_work, args=(url, plan_id, template_id, 10_000))
        child.start()
        deadline = time.monotonic() + 60
        while _count(path, "SELECT count(*) FROM objective") <= before:  # wait until it is writing
            assert child.is_alive() and time.monotonic() < deadline, "the bulk worker never started writing"
            time.sleep(0.02)
        time.sleep(rng.uniform(0.05, 0.6))  # mid-way through some later operation
        assert child.is_alive(), "the bulk worker finished before it could be killed"
        assert child.pid is not None
        os.kill(child.pid, signal.SIGKILL)
        child.join(30)
        assert child.exitcode == -signal.SIGKILL
        seen = _check_file(path, plan_id)
        assert seen["applications"] >= round_no + 1
    FIGURES["crash"] = {"rounds": ROUNDS, **seen}
    print(FIGURES)
