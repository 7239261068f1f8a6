"""STORE_03 / STORE_04: PostgreSQL serialization failures and deadlocks are retried where that is safe.

A serialization failure (SQLSTATE 40001) or a deadlock (40P01) means the
server rolled a transaction back because of a concurrent one; running it again
usually succeeds.  The PostgreSQL store reruns an operation itself, a bounded
number of times with jittered backoff, only when it is the whole transaction
(a read, or ``insert_many``/``update_many``/``delete_many`` called outside any
transaction).  Inside a caller's transaction it never retries: the error
surfaces at once as a ``ConflictError`` naming the SQLSTATE, the caller's work
is rolled back whole (STORE_03), and ``successkit.retry`` can rerun the unit.

The first tests provoke real failures on the server (two connections, row
locks taken in opposite orders; a serializable transaction overtaken by a
concurrent commit); the others inject the driver's errors at chosen statements
to count attempts exactly.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote as urlquote

import attrs
import pytest

import successkit as sk
from successkit.retry import backoff_delay

from .conftest import PG_URL
from .helpers import opened_kits, snapshot

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
def kits(pg_url: str) -> Iterator[Callable[..., sk.Kit]]:
    with opened_kits(pg_url, NOW) as _open:
        yield _open


@attrs.define
class Backoffs:
    """Every delay the store's retry loop drew: (attempt that failed, delay)."""

    calls: list[tuple[int, float, float, float]] = attrs.field(factory=list)

    def __call__(self, attempt: int, base: float, cap: float) -> float:
        delay = backoff_delay(attempt, base, cap)
        self.calls.append((attempt, base, cap, delay))
        return delay

    def check_bounds(self) -> None:
        for attempt, base, cap, delay in self.calls:
            assert 0 <= delay <= min(cap, base * 2 ** (attempt - 1)), (attempt, delay)


@pytest.fixture
def backoffs(monkeypatch: pytest.MonkeyPatch) -> Backoffs:
    from successkit.storage import postgres

    spy = Backoffs()
    monkeypatch.setattr(postgres, "backoff_delay", spy)
    return spy


def with_options(url: str, **params: str) -> str:
    return url + "".join(f"&{k}={urlquote(v)}" for k, v in params.items())


def _admin(schema: str) -> Any:
    import psycopg

    conn = psycopg.connect(PG_URL, autocommit=True)
    conn.execute(f"SET search_path = {schema}")
    return conn


def _schema(url: str) -> str:
    return url.split("schema=", 1)[1].split("&", 1)[0]


@pytest.fixture
def watcher(pg_url: str) -> Iterator[Any]:
    """An idle connection that watches pg_stat_activity, opened before any lock is taken."""
    import psycopg

    with psycopg.connect(PG_URL, autocommit=True) as conn:
        yield conn


def _wait_until_blocked(watcher: Any, schema: str, timeout: float = 10.0) -> None:
    """Until a connection of the store waits for a row lock."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        row = watcher.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s AND wait_event_type = 'Lock'",
            (f"successkit/{schema}",),
        ).fetchone()
        if row and row[0]:
            return
        time.sleep(0.005)
    raise AssertionError("the store never waited for the lock")


def _in_thread(target: Callable[[], object]) -> tuple[threading.Thread, list[BaseException]]:
    errors: list[BaseException] = []

    def run() -> None:
        try:
            target()
        except BaseException as e:
            errors.append(e)

    thread = threading.Thread(target=run)
    thread.start()
    return thread, errors


def _bumped(record: Any) -> tuple[Any, int]:
    return attrs.evolve(record, version=record.version + 1, stage="Adoption"), record.version


# ----------------------------------------------------------------------------- real failures
def test_real_deadlock_in_a_store_transaction_is_retried__STORE_03(
    pg_url: str, kits: Callable[..., sk.Kit], backoffs: Backoffs, watcher: Any
) -> None:
    """STORE_03: a real deadlock (40P01) aborts the store's own update_many; the
    store runs it again after a jittered delay and it goes through."""
    # The store checks for deadlocks after 1 s, the other session after 30 s:
    # the server picks the store's transaction as the victim.
    kit = kits(with_options(pg_url, options="-c deadlock_timeout=1s"))
    schema = _schema(pg_url)
    first, second = sorted((kit.companies.create("One"), kit.companies.create("Two")), key=lambda c: c.id)
    other = _admin(schema)
    try:
        other.execute("SET deadlock_timeout = '30s'")
        other.execute("BEGIN")
        other.execute("UPDATE company SET name = 'other' WHERE id = %s", (second.id,))  # holds the second row
        kit.store.stats.reset()
        thread, errors = _in_thread(lambda: kit.store.update_many([_bumped(first), _bumped(second)]))
        _wait_until_blocked(watcher, schema)  # the store holds the first row and waits for the second
        other.execute("UPDATE company SET name = 'other' WHERE id = %s", (first.id,))  # closes the cycle
        other.execute("COMMIT")
        thread.join(30)
    finally:
        other.close()
    assert not errors, errors
    assert kit.store.stats.calls["begin"] == 2  # the deadlocked attempt, then the one that went through
    assert [a for a, *_ in backoffs.calls] == [1]
    backoffs.check_bounds()
    assert {c.stage for c in kit.companies.get_many([first.id, second.id])} == {"Adoption"}


def _overtaken(kit: sk.Kit, schema: str, watcher: Any, row_id: str, work: Callable[[], object]) -> list[BaseException]:
    """Run ``work`` while another connection holds row ``row_id``, then let that
    connection commit its own change first: under serializable isolation the
    store's transaction can no longer commit (40001).  The errors ``work`` raised."""
    other = _admin(schema)
    try:
        other.execute("BEGIN")
        other.execute("UPDATE company SET industry = 'Retail' WHERE id = %s", (row_id,))
        kit.store.stats.reset()
        thread, errors = _in_thread(work)
        _wait_until_blocked(watcher, schema)
        other.execute("COMMIT")  # the store's snapshot no longer holds: 40001
        thread.join(30)
    finally:
        other.close()
    return errors


def test_real_serialization_failure_in_a_store_transaction_is_retried__STORE_03(
    pg_url: str, kits: Callable[..., sk.Kit], backoffs: Backoffs, watcher: Any
) -> None:
    """STORE_03: a serializable update_many overtaken by a concurrent commit fails
    with 40001; the store's second attempt sees the commit and goes through."""
    kit = kits(with_options(pg_url, options="-c default_transaction_isolation=serializable"))
    acme = kit.companies.create("Acme")
    errors = _overtaken(kit, _schema(pg_url), watcher, acme.id, lambda: kit.store.update_many([_bumped(acme)]))
    assert not errors, errors
    assert kit.store.stats.calls["begin"] == 2
    assert [a for a, *_ in backoffs.calls] == [1]
    backoffs.check_bounds()
    stored = kit.companies.get(acme.id)
    assert (stored.stage, stored.version) == ("Adoption", 2)


def test_real_serialization_failure_in_a_caller_transaction_surfaces__STORE_04(
    pg_url: str, kits: Callable[..., sk.Kit], backoffs: Backoffs, watcher: Any
) -> None:
    """STORE_04: inside a service call (the caller's transaction) the store does
    not retry: a ConflictError naming SQLSTATE 40001 surfaces after one attempt,
    and nothing of the call is left behind."""
    kit = kits(with_options(pg_url, options="-c default_transaction_isolation=serializable"))
    acme = kit.companies.create("Acme")

    def unit() -> None:
        with kit.transaction():
            kit.companies.create("Beta")
            kit.companies.update(acme, stage="Adoption")

    errors = _overtaken(kit, _schema(pg_url), watcher, acme.id, unit)
    assert len(errors) == 1 and isinstance(errors[0], sk.ConflictError), errors
    e = errors[0]
    assert "SQLSTATE 40001" in str(e) and e.rule == "STORE_04" and e.value == "40001"
    assert getattr(e, "attempts", None) == 1
    assert kit.store.stats.calls["begin"] == 1 and not backoffs.calls
    assert not kit.store.in_transaction
    assert [c.name for c in kit.companies.list()] == ["Acme"]  # "Beta" was rolled back with the rest


# ----------------------------------------------------------------------------- injected failures
@attrs.define
class Injector:
    """Makes the driver raise ``error`` at statements containing ``marker``,
    ``times`` times (or always), counting the statements it saw."""

    error: type[Exception]
    marker: str
    times: int | None = None
    seen: int = 0

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        import psycopg

        real = psycopg.Connection.execute
        injector = self

        def execute(conn: Any, query: Any, params: Any = None, **kw: Any) -> Any:
            if injector.marker in str(query):
                injector.seen += 1
                if injector.times is None or injector.seen <= injector.times:
                    raise injector.error("injected: could not serialize access due to concurrent update")
            return real(conn, query, params, **kw)

        monkeypatch.setattr(psycopg.Connection, "execute", execute)


def _errors() -> dict[str, type[Exception]]:
    from psycopg import errors as pg_errors

    return {"40001": pg_errors.SerializationFailure, "40P01": pg_errors.DeadlockDetected}


@pytest.mark.parametrize("sqlstate", ["40001", "40P01"])
@pytest.mark.parametrize("attempts", [1, 2, 4])
def test_store_gives_up_after_its_attempts_and_names_the_sqlstate__STORE_03(
    pg_url: str,
    kits: Callable[..., sk.Kit],
    backoffs: Backoffs,
    monkeypatch: pytest.MonkeyPatch,
    sqlstate: str,
    attempts: int,
) -> None:
    """STORE_03: a failure that persists is tried ``retry_attempts`` times in all,
    with a jittered delay within bounds before each new attempt; then the
    ConflictError names the SQLSTATE and the attempts, and nothing was written."""
    kit = kits(with_options(pg_url, retry_attempts=str(attempts)))
    acme = kit.companies.create("Acme")
    before = snapshot(kit)
    injector = Injector(_errors()[sqlstate], "FOR UPDATE")
    injector.install(monkeypatch)
    with pytest.raises(sk.ConflictError) as raised:
        kit.store.update_many([_bumped(acme)])
    e = raised.value
    assert injector.seen == attempts
    assert [a for a, *_ in backoffs.calls] == list(range(1, attempts))
    backoffs.check_bounds()
    assert f"SQLSTATE {sqlstate}" in str(e)
    assert (e.rule, e.value, getattr(e, "sqlstate", None), getattr(e, "attempts", None)) == (
        "STORE_04",
        sqlstate,
        sqlstate,
        attempts,
    )
    assert ("gave up after" in str(e)) == (attempts > 1)
    assert isinstance(e.__cause__, _errors()[sqlstate])
    assert not kit.store.in_transaction
    monkeypatch.undo()
    assert snapshot(kit) == before


def test_jitter_spreads_the_delays_within_their_bounds__STORE_03(
    pg_url: str, kits: Callable[..., sk.Kit], backoffs: Backoffs, monkeypatch: pytest.MonkeyPatch
) -> None:
    """STORE_03: the delays grow with the attempt (base 10 ms doubling, capped at
    200 ms) and are drawn at random below that bound, not fixed."""
    kit = kits(with_options(pg_url, retry_attempts="7"))
    acme = kit.companies.create("Acme")
    Injector(_errors()["40001"], "FOR UPDATE").install(monkeypatch)
    rng_state = random.getstate()
    random.seed(7)
    try:
        for _ in range(4):
            with pytest.raises(sk.ConflictError):
                kit.store.update_many([_bumped(acme)])
    finally:
        random.setstate(rng_state)
    backoffs.check_bounds()
    assert [a for a, *_ in backoffs.calls] == list(range(1, 7)) * 4
    assert {(base, cap) for _, base, cap, _ in backoffs.calls} == {(0.01, 0.2)}
    assert max(min(cap, base * 2 ** (a - 1)) for a, base, cap, _ in backoffs.calls) == 0.2  # capped
    delays = [d for *_, d in backoffs.calls]
    assert len(set(delays)) == len(delays)  # jittered: no two alike


def test_backoff_delay_bounds__STORE_04() -> None:
    """STORE_04: full jitter between 0 and min(max_delay, base * 2**(attempt-1))."""
    rng_state = random.getstate()
    try:
        random.seed(3)
        for attempt in range(1, 12):
            samples = [backoff_delay(attempt, 0.01, 0.5) for _ in range(200)]
            bound = min(0.5, 0.01 * 2 ** (attempt - 1))
            assert all(0 <= s <= bound for s in samples)
            assert max(samples) > bound * 0.9 and min(samples) < bound * 0.1  # spread over the range
    finally:
        random.setstate(rng_state)


@pytest.mark.parametrize(
    ("marker", "operation"),
    [
        ("FOR UPDATE", "update"),
        ("DELETE FROM", "delete"),
        ("COMMIT", "insert"),
        ('"id" = ANY', "get"),
        ("SELECT COUNT", "count"),
    ],
)
def test_transient_failure_once_is_absorbed_outside_transactions__STORE_03(
    pg_url: str,
    kits: Callable[..., sk.Kit],
    backoffs: Backoffs,
    monkeypatch: pytest.MonkeyPatch,
    marker: str,
    operation: str,
) -> None:
    """STORE_03: one serialization failure in a read or a store-owned write is
    retried once and the caller sees only the result."""
    kit = kits(pg_url)
    acme = kit.companies.create("Acme")
    store = kit.store
    query = kit.bind("company", sk.Query(conditions=[("name", "=", "Acme")]))
    new = attrs.evolve(acme, id="fresh-id", name="Fresh")
    Injector(_errors()["40001"], marker, times=1).install(monkeypatch)
    run: dict[str, Callable[[], object]] = {
        "update": lambda: store.update_many([_bumped(acme)]),
        "delete": lambda: store.delete_many("company", [acme.id]),
        "insert": lambda: store.insert_many([new]),
        "get": lambda: store.get("company", acme.id),
        "count": lambda: store.count(query),
    }
    result = run[operation]()
    assert len(backoffs.calls) == 1
    monkeypatch.undo()
    if operation == "update":
        assert kit.companies.get(acme.id).stage == "Adoption"
    elif operation == "delete":
        assert result == 1 and kit.companies.count() == 0
    elif operation == "insert":
        assert kit.companies.get("fresh-id").name == "Fresh"
    elif operation == "get":
        assert result == acme
    else:
        assert result == 1


def test_no_store_retry_inside_a_caller_transaction__STORE_04(
    pg_url: str, kits: Callable[..., sk.Kit], backoffs: Backoffs, monkeypatch: pytest.MonkeyPatch
) -> None:
    """STORE_04: inside the caller's transaction the failure surfaces after one
    attempt (the caller's earlier writes are gone, so the store cannot redo them
    alone); successkit.retry reruns the whole unit, which then goes through."""
    kit = kits(with_options(pg_url, retry_attempts="5"))
    acme = kit.companies.create("Acme")
    injector = Injector(_errors()["40P01"], "FOR UPDATE", times=1)
    injector.install(monkeypatch)
    calls = 0

    def unit() -> sk.Company:
        nonlocal calls
        calls += 1
        with kit.transaction():
            kit.companies.create(f"Made by attempt {calls}")
            return kit.companies.update(acme.id, stage="Adoption")  # re-reads the company

    with pytest.raises(sk.ConflictError) as raised:
        unit()
    assert injector.seen == 1 and not backoffs.calls
    assert "SQLSTATE 40P01" in str(raised.value) and getattr(raised.value, "attempts", None) == 1
    assert sorted(c.name for c in kit.companies.list()) == ["Acme"]
    injector.seen, injector.times = 0, 1
    assert sk.retry(unit, base_delay=0).stage == "Adoption"
    assert calls == 3 and injector.seen == 2 and not backoffs.calls
    assert sorted(c.name for c in kit.companies.list()) == ["Acme", "Made by attempt 3"]


def test_other_errors_are_not_retried__STORE_04(pg_url: str, kits: Callable[..., sk.Kit], backoffs: Backoffs) -> None:
    """STORE_04: a duplicate key (a ConflictError of another kind) or a stale
    version is refused at once: retrying could not change the answer."""
    kit = kits(pg_url)
    acme = kit.companies.create("Acme")
    with pytest.raises(sk.ConflictError, match="duplicate"):
        kit.store.insert_many([acme])
    with pytest.raises(sk.ConflictError) as stale:
        kit.store.update_many([(attrs.evolve(acme, version=5), 4)])
    assert stale.value.value == acme.id
    assert not backoffs.calls


@pytest.mark.parametrize("bad", ["0", "-1", "x", "1.5"])
def test_bad_retry_option_is_a_clear_error__STORE_01(bad: str) -> None:
    """STORE_01: retry_attempts in the URL is a whole number >= 1."""
    with pytest.raises(sk.StorageError, match="retry_attempts"):
        sk.open(f"{PG_URL}?retry_attempts={bad}", entry_points=False)
