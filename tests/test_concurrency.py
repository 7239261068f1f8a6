"""STORE_04 under real concurrency: several processes update the same records at once.

Each worker process (spawn context, so nothing is shared but the database)
uses a company's ``nps`` as a counter: read the company, add 1, write it back
with ``kit.companies.update``.  Every update either succeeds or is refused
with :class:`successkit.ConflictError`; the worker counts its successes, and
the final value must be exactly the number of successful updates: no update
is ever lost silently.  The same runs with :func:`successkit.retry`, where
every increment gets through.  A naive worker that bypasses the version check
must lose updates, which proves the workload really races.
"""

from __future__ import annotations

import multiprocessing
import time
from datetime import datetime, timedelta, timezone
from typing import Any

import attrs
import pytest

import successkit as sk
from successkit.plugins import hookimpl

PROCESSES = 4
INCREMENTS = 40
#: The counters every worker updates: contention on one record and spread over two.
COUNTERS = 2

#: Figures of the last runs, printed with ``pytest -s`` (docs/reliability.md quotes them).
FIGURES: dict[str, Any] = {}


def _setup(url: str) -> list[str]:
    kit = sk.open(url, entry_points=False)
    try:
        return [kit.companies.create(f"Counter {i}", nps=0).id for i in range(COUNTERS)]
    finally:
        kit.close()


def _finals(url: str, ids: list[str]) -> list[int]:
    kit = sk.open(url, entry_points=False)
    try:
        return [int(kit.companies.get(i).nps or 0) for i in ids]
    finally:
        kit.close()


def _worker(mode: str, url: str, ids: list[str], n: int, barrier: Any, results: Any) -> None:
    """Do ``n`` increments, round robin over ``ids``; report (successes per id, conflicts)."""
    kit = sk.open(url, entry_points=False)
    done = dict.fromkeys(ids, 0)
    conflicts = 0
    barrier.wait(300)  # every process starts updating at the same moment
    for k in range(n):
        cid = ids[k % len(ids)]
        if mode == "plain":
            current = kit.companies.get(cid)
            try:
                kit.companies.update(current, nps=(current.nps or 0) + 1)
            except sk.ConflictError as e:
                assert e.rule == "STORE_04"
                conflicts += 1
                continue
        elif mode == "retry":
            attempts = 0

            def bump(cid: str = cid) -> sk.Company:
                nonlocal attempts
                attempts += 1
                current = kit.companies.get(cid)  # re-read on every attempt
                return kit.companies.update(current, nps=(current.nps or 0) + 1)

            sk.retry(bump, attempts=100, base_delay=0.002, max_delay=0.05)
            conflicts += attempts - 1
        else:  # naive: the value read earlier, written over whatever version is stored now
            current = kit.companies.get(cid)
            time.sleep(0.002)  # widen the window between read and write
            stored = kit.store.get("company", cid)
            new = attrs.evolve(current, nps=(current.nps or 0) + 1, version=stored.version + 1)
            try:
                kit.store.update(new, stored.version)
            except sk.ConflictError:
                conflicts += 1
                continue
        done[cid] += 1
    kit.close()
    results.put((done, conflicts))


def _run(
    mode: str, url: str, ids: list[str], processes: int = PROCESSES, increments: int = INCREMENTS
) -> tuple[dict[str, int], int]:
    """Run the workers; the total successes per counter and the conflicts they saw."""
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(processes)
    results = ctx.Queue()
    procs = [ctx.Process(target=_worker, args=(mode, url, ids, increments, barrier, results)) for _ in range(processes)]
    for p in procs:
        p.start()
    reports = [results.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(300)
    assert [p.exitcode for p in procs] == [0] * processes
    totals = dict.fromkeys(ids, 0)
    for done, _ in reports:
        for cid, count in done.items():
            totals[cid] += count
    return totals, sum(c for _, c in reports)


@pytest.mark.slow
def test_concurrent_increments_conflict_but_never_lose_an_update__STORE_04(shared_url: str) -> None:
    ids = _setup(shared_url)
    successes, conflicts = _run("plain", shared_url, ids)
    finals = _finals(shared_url, ids)
    assert finals == [successes[i] for i in ids]  # every success counted once, none lost
    assert sum(successes.values()) + conflicts == PROCESSES * INCREMENTS
    assert sum(successes.values()) >= INCREMENTS  # progress: conflicts refuse, never block everyone
    FIGURES[f"plain {shared_url.split(':')[0]}"] = {
        "attempted": PROCESSES * INCREMENTS,
        "succeeded": sum(successes.values()),
        "conflicts": conflicts,
        "lost": 0,
    }
    print(FIGURES)


@pytest.mark.slow
def test_retry_gets_every_increment_through__STORE_04(shared_url: str) -> None:
    ids = _setup(shared_url)
    successes, conflicts = _run("retry", shared_url, ids)
    finals = _finals(shared_url, ids)
    assert sum(finals) == PROCESSES * INCREMENTS
    assert finals == [successes[i] for i in ids]
    FIGURES[f"retry {shared_url.split(':')[0]}"] = {
        "increments": PROCESSES * INCREMENTS,
        "conflicts retried": conflicts,
        "lost": 0,
    }
    print(FIGURES)


@pytest.mark.slow
def test_naive_read_modify_write_loses_updates__STORE_04(shared_url: str) -> None:
    """Negative control: bypassing the version check loses updates, so the two
    tests above would catch a backend that let a stale write through."""
    url = shared_url
    ids = _setup(url)
    lost_runs = []
    for _ in range(5):  # bounded: one lossy run is enough
        before = _finals(url, ids)
        successes, _ = _run("naive", url, ids, processes=3, increments=30)
        after = _finals(url, ids)
        lost = sum(successes.values()) - (sum(after) - sum(before))
        lost_runs.append(lost)
        if lost > 0:
            break
    FIGURES[f"naive {url.split(':')[0]}"] = {"runs": len(lost_runs), "lost per run": lost_runs}
    print(FIGURES)
    assert max(lost_runs) > 0, "the naive workers never raced: the concurrency tests prove nothing"


def test_retry_gives_up_after_its_attempts__STORE_04() -> None:
    calls = []

    def always_stale() -> None:
        calls.append(1)
        raise sk.ConflictError("stale", rule="STORE_04")

    with pytest.raises(sk.ConflictError):
        sk.retry(always_stale, attempts=3, base_delay=0)
    assert len(calls) == 3

    def other_error() -> None:
        calls.append(2)
        raise sk.NotFound("company", "x")

    with pytest.raises(sk.NotFound):
        sk.retry(other_error, attempts=3)
    assert calls.count(2) == 1  # only conflicts are retried
    with pytest.raises(sk.ValidationError):
        sk.retry(lambda: None, attempts=0)
    assert sk.retry(lambda: 7) == 7


# ------------------------------------------------------------------ SEC_04: digests
DIGEST_USERS = 3
DAY_ONE = datetime(2026, 11, 24, 9, 0, tzinfo=timezone.utc)


class _Count:
    """A notifier that counts the digests it delivers (in its own process)."""

    def __init__(self) -> None:
        self.got: list[str] = []

    @hookimpl
    def successkit_deliver(self, notification: sk.Notification) -> None:
        if notification.event == "digest":
            self.got.append(notification.recipient.id)


def _digest_setup(url: str) -> list[str]:
    """Users on daily digests, each with waiting items from day one."""
    kit = sk.open(url, clock=DAY_ONE, entry_points=False)
    try:
        company = kit.companies.create("Acme")
        ids = []
        for i in range(DIGEST_USERS):
            user = kit.users.create(f"CSM {i}")
            kit.notifications.subscribe(user, delivery="daily")
            kit.plans.create(f"Plan {i}", company=company, plan_type="onboarding", owner=user)
            ids.append(user.id)
        return ids
    finally:
        kit.close()


def _digest_worker(url: str, barrier: Any, results: Any) -> None:
    counter = _Count()
    kit = sk.open(url, clock=DAY_ONE + timedelta(days=1), plugins=[counter], entry_points=False)
    try:
        barrier.wait(300)  # every process sends at the same moment
        kit.notifications.send_digests()
    finally:
        kit.close()
    results.put(counter.got)


@pytest.mark.slow
def test_digests_sent_by_several_processes_at_once_go_out_once__SEC_04(shared_url: str) -> None:
    """4 processes, each with its own kit on the same store, call send_digests at the
    same moment: each user gets exactly one digest, as from a single run."""
    users = _digest_setup(shared_url)
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(PROCESSES), ctx.Queue()
    procs = [ctx.Process(target=_digest_worker, args=(shared_url, barrier, results)) for _ in range(PROCESSES)]
    for p in procs:
        p.start()
    delivered = [uid for _ in procs for uid in results.get(timeout=120)]
    for p in procs:
        p.join(300)
    assert [p.exitcode for p in procs] == [0] * PROCESSES
    FIGURES["digests"] = {"processes": PROCESSES, "users": len(users), "delivered": len(delivered)}
    assert sorted(delivered) == sorted(users)
