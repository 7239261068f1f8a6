"""Fixtures shared by every test: a kit on each backend, a fixed clock."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest

import successkit as sk

from .helpers import opened_kits

#: Every backend the conformance suite and the rule tests run on.
BACKENDS = ["memory", "sqlite", "postgres"]

#: The PostgreSQL server the tests use; each test works in a schema of its own.
PG_URL = os.environ.get("SUCCESSKIT_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=timezone.utc)


def backend_url(name: str, tmp_path: Path) -> str:
    if name == "memory":
        return "memory://"
    if name == "sqlite":
        return f"sqlite:///{tmp_path}/successkit-test.db"
    raise ValueError(name)


@functools.cache
def postgres_missing() -> str | None:
    """Why PostgreSQL tests cannot run here, or None when they can."""
    try:
        import psycopg
    except ImportError:
        return "psycopg is not installed (pip install 'successkit[postgres]')"
    try:
        psycopg.connect(PG_URL, connect_timeout=5).close()
    except psycopg.Error as e:
        return f"no PostgreSQL server at {PG_URL}: {e}"
    return None


def postgres_schema_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh schema on the test server, dropped after the test."""
    reason = postgres_missing()
    if reason is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI runs every test on PostgreSQL, but {reason}")
        pytest.skip(reason)
    import psycopg

    schema = f"sk_test_{os.urandom(6).hex()}"
    yield f"{PG_URL}?schema={schema}"
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


@pytest.fixture(params=BACKENDS)
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a fresh, empty store on each backend."""
    if request.param == "postgres":
        yield from postgres_schema_url(request)
    else:
        yield backend_url(request.param, tmp_path)


@pytest.fixture(params=["sqlite", "postgres"])
def shared_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A store several processes can open at once: a SQLite file or a PostgreSQL schema."""
    if request.param == "postgres":
        yield from postgres_schema_url(request)
    else:
        yield f"sqlite:///{tmp_path}/shared.db"


@pytest.fixture
def clock() -> sk.FixedClock:
    return sk.FixedClock(NOW)


@pytest.fixture
def open_kit(url: str, clock: sk.FixedClock) -> Iterator[Callable[..., sk.Kit]]:
    """Open kits on the test's store; all are closed after the test."""
    with opened_kits(url, clock) as _open:
        yield _open


@pytest.fixture
def kit(open_kit: Callable[..., sk.Kit]) -> sk.Kit:
    """A kit on a fresh store of each backend, with a fixed clock."""
    return open_kit()
