"""What only the PostgreSQL backend has to prove: schemas, versions, a pool that recovers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import successkit as sk
from successkit.storage.sqlite import SCHEMA_VERSION

from .conftest import PG_URL, postgres_schema_url


@pytest.fixture
def pg_url(request: pytest.FixtureRequest) -> Iterator[str]:
    yield from postgres_schema_url(request)


def _admin() -> object:
    import psycopg

    return psycopg.connect(PG_URL, autocommit=True)


def test_two_kits_conflict_on_stale_update__STORE_04(pg_url: str) -> None:
    first, second = sk.open(pg_url, entry_points=False), sk.open(pg_url, entry_points=False)
    try:
        mine = first.companies.create("Acme")
        second.companies.update(second.companies.get(mine.id), stage="Adoption")
        with pytest.raises(sk.ConflictError) as e:
            first.companies.update(mine, stage="Renewal")
        assert e.value.rule == "STORE_04"
        assert first.companies.get(mine.id).stage == "Adoption"
    finally:
        first.close()
        second.close()


def test_newer_schema_version_is_refused__STORE_01(pg_url: str) -> None:
    sk.open(pg_url, entry_points=False).close()
    schema = pg_url.rsplit("schema=", 1)[1]
    with _admin() as conn:  # type: ignore[attr-defined]
        conn.execute(f"UPDATE {schema}.sk_meta SET value = %s WHERE key = 'schema_version'",
                     (str(SCHEMA_VERSION + 1),))
    with pytest.raises(sk.SchemaError, match="newer successkit"):
        sk.open(pg_url, entry_points=False)


def test_pool_recovers_when_the_server_drops_connections__STORE_01(pg_url: str) -> None:
    kit = sk.open(pg_url, entry_points=False)
    try:
        kit.companies.create("Before")
        schema = pg_url.rsplit("schema=", 1)[1]
        with _admin() as conn:  # type: ignore[attr-defined]
            killed = conn.execute("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                  "WHERE application_name = %s", (f"successkit/{schema}",)).fetchone()[0]
        assert killed >= 1
        kit.companies.create("After")  # a fresh connection replaces the dropped one
        assert sorted(c.name for c in kit.companies.list()) == ["After", "Before"]
    finally:
        kit.close()


def test_bad_url_is_a_clear_error__STORE_01() -> None:
    with pytest.raises(sk.ValidationError, match="schema option"):
        sk.open("postgresql://postgres@127.0.0.1:5432/test?schema=bad;name", entry_points=False)


def test_bulk_insert_is_one_copy__STORE_01(pg_url: str) -> None:
    kit = sk.open(pg_url, entry_points=False)
    try:
        kit.store.stats.reset()
        kit.companies.create_many([{"name": f"C{i}"} for i in range(2000)])
        assert kit.store.stats.calls["insert_many"] == 1
        assert kit.companies.count() == 2000
    finally:
        kit.close()


def test_exclusive_lock_makes_a_second_process_wait__SEC_04(pg_url: str) -> None:
    """``store.exclusive(name)`` holds a transaction-scoped lock: a second store asking for the
    same name waits until the first commits, and a different name does not wait (SEC_04)."""
    import threading
    import time

    first, second = sk.open(pg_url), sk.open(pg_url)
    try:
        order: list[str] = []
        held = threading.Event()

        def hold() -> None:
            with first.store.exclusive("rules:renewal"):
                held.set()
                time.sleep(0.5)
                order.append("first released")

        t = threading.Thread(target=hold)
        t.start()
        assert held.wait(10)
        with second.store.exclusive("another lock"):
            order.append("other name")  # not blocked by the first lock
        with second.store.exclusive("rules:renewal"):
            order.append("second acquired")
        t.join()
        assert order == ["other name", "first released", "second acquired"]
    finally:
        first.close()
        second.close()
