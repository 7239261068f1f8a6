#!/usr/bin/env python3
"""A small load test of the portal's shared plan page on loopback (PORTAL_01).

    PYTHONPATH=src python benchmarks/portal_load.py [--requests 400] [--concurrency 4]
        [--seconds 30] [--objectives 10] [--tasks 5]

Builds a SQLite store with one plan of OBJECTIVES x TASKS shared by link, serves the
portal with uvicorn in a process of its own on 127.0.0.1 (access log off), opens the
link once for its cookie, then GETs the plan's page from CONCURRENCY client threads
until REQUESTS are done or SECONDS have passed, whichever comes first.  Prints the
p50 and p95 latency and the requests per second.  Bounded in requests and in time.
"""

from __future__ import annotations

import argparse
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

import successkit as sk


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _build(db: Path, objectives: int, tasks: int) -> str:
    """The store and the link's token."""
    kit = sk.open(f"sqlite:///{db}")
    try:
        company = kit.companies.create("Load Co")
        owner = kit.users.create("Owner", license="full")
        contact = kit.people.create("Contact", company=company, email="contact@load.example")
        plan = kit.plans.create("Load plan", company=company, plan_type="onboarding", owner=owner)
        with kit.transaction():
            for i in range(objectives):
                o = kit.objectives.create(plan, f"Objective {i}").record
                for j in range(tasks):
                    kit.tasks.create(o, f"Task {i}.{j}", owner=contact if j % 2 else None)
        kit.sharing.set_plan_external(plan.id)
        return kit.sharing.share_with_person(plan.id, contact, can_change=True).token
    finally:
        kit.close()


def _serve(db: str, port: int) -> None:
    import uvicorn

    from successkit.web import app

    kit = sk.open(f"sqlite:///{db}")
    uvicorn.run(app(kit), host="127.0.0.1", port=port, log_level="warning", access_log=False)


def _wait(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"the portal did not start on port {port}")


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--requests", type=int, default=400)
    p.add_argument("--concurrency", type=int, default=4)
    p.add_argument("--seconds", type=float, default=30.0)
    p.add_argument("--objectives", type=int, default=10)
    p.add_argument("--tasks", type=int, default=5)
    p.add_argument("--serve", nargs=2, metavar=("DB", "PORT"), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.serve:
        _serve(args.serve[0], int(args.serve[1]))
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "load.db"
        token = _build(db, args.objectives, args.tasks)
        port = _free_port()
        server = subprocess.Popen([sys.executable, __file__, "--serve", str(db), str(port)])
        try:
            _wait(port)
            return _load(port, token, args)
        finally:
            server.terminate()
            server.wait(10)


def _load(port: int, token: str, args: argparse.Namespace) -> int:
    base = f"http://127.0.0.1:{port}"
    first = httpx.get(f"{base}/s/{token}", follow_redirects=False)
    page, cookies = first.headers["location"], dict(first.cookies)
    latencies: list[float] = []
    failures = 0
    lock = threading.Lock()
    left = [args.requests]
    deadline = time.monotonic() + args.seconds

    def worker() -> None:
        nonlocal failures
        with httpx.Client(base_url=base, cookies=cookies) as client:
            while time.monotonic() < deadline:
                with lock:
                    if left[0] <= 0:
                        return
                    left[0] -= 1
                t0 = time.perf_counter()
                r = client.get(page)
                took = time.perf_counter() - t0
                with lock:
                    latencies.append(took)
                    failures += r.status_code != 200

    threads = [threading.Thread(target=worker) for _ in range(args.concurrency)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    latencies.sort()
    p95 = latencies[max(0, int(len(latencies) * 0.95) - 1)]
    print(
        f"shared plan page, {args.objectives} objectives x {args.tasks} tasks, SQLite, {args.concurrency} clients: "
        f"{len(latencies)} requests in {wall:.1f} s, {len(latencies) / wall:.0f} requests/s, "
        f"p50 {statistics.median(latencies) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms, {failures} failures"
    )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
