"""Storage hardening: namespaces (SEC_01), schema upgrades (STORE_01), bad URLs and paths
(SEC_05) and the errors a dropped PostgreSQL connection gives."""

from __future__ import annotations

import os
import typing
from collections.abc import Iterator
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import attrs
import pytest

import successkit as sk
from successkit.query.schema import FieldType, schema_of
from successkit.records import RECORD_CLASSES

from .conftest import PG_URL, fresh_schema_url, need_postgres

PREFIX = f"sk_h{os.urandom(3).hex()}"


def _admin() -> Any:
    import psycopg

    return psycopg.connect(PG_URL, autocommit=True)


def _schemas_like(prefix: str) -> list[str]:
    with _admin() as conn:
        return sorted(
            r[0]
            for r in conn.execute(
                "SELECT nspname FROM pg_namespace WHERE lower(nspname) LIKE %s", (prefix.lower() + "%",)
            )
        )


@pytest.fixture
def pg_names() -> Iterator[list[str]]:
    """Schema names a test creates; dropped afterwards."""
    need_postgres()
    names: list[str] = []
    yield names
    with _admin() as conn:
        for name in names:
            conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')


def _open(url: str) -> sk.Kit:
    return sk.open(url, entry_points=False)


# ------------------------------------------------------------------ SEC_01
def test_schema_names_postgres_would_cut_short_are_refused_before_creating__SEC_01(pg_names: list[str]) -> None:
    """Names past 63 bytes would be truncated to one schema: both are refused, nothing is created."""
    base = PREFIX + "x" * (59 - len(PREFIX))
    for name in (base + "tenant1", base + "tenant2"):
        with pytest.raises(sk.ValidationError) as e:
            _open(f"{PG_URL}?schema={name}")
        assert e.value.rule == "SEC_01" and e.value.value == name
    assert _schemas_like(PREFIX) == []
    exact = PREFIX + "y" * (63 - len(PREFIX))  # 63 bytes: kept whole
    pg_names.append(exact)
    _open(f"{PG_URL}?schema={exact}").close()
    assert _schemas_like(PREFIX) == [exact]


def test_mixed_case_schema_is_its_own_namespace__SEC_01(pg_names: list[str]) -> None:
    """``Rel_Case`` and ``rel_case`` are two schemas: each store sees only its own records."""
    upper, lower = f"{PREFIX}_Rel_Case", f"{PREFIX}_rel_case"
    pg_names.extend([upper, lower])
    first = _open(f"{PG_URL}?schema={lower}")
    try:
        first.companies.create("Lower")
        second = _open(f"{PG_URL}?schema={upper}")
        try:
            assert second.companies.list() == []
            second.companies.create("Upper")
            assert [c.name for c in second.companies.list()] == ["Upper"]
        finally:
            second.close()
        assert [c.name for c in first.companies.list()] == ["Lower"]
    finally:
        first.close()
    assert _schemas_like(PREFIX) == sorted([upper, lower])


@pytest.mark.parametrize(
    "name",
    [
        "",
        "pg_toast2",
        "bad;name",
        "a b",
        "caf\u00e9",
        "x" * 64,
        'q"uote',
        "information_schema",
        "Information_Schema",
        "pg_catalog",
    ],
)
def test_unusable_schema_names_are_refused__SEC_01(name: str) -> None:
    from urllib.parse import quote

    need_postgres()
    with pytest.raises(sk.ValidationError) as e:
        _open(f"{PG_URL}?schema={quote(name)}")
    assert e.value.rule == "SEC_01" and e.value.value == name


def test_a_repeated_schema_option_is_refused__SEC_01() -> None:
    """``?schema=a&schema=b`` was a StorageError; it is the documented SEC_01 ValidationError."""
    need_postgres()
    with pytest.raises(sk.ValidationError) as e:
        _open(f"{PG_URL}?schema=sk_one&schema=sk_two")
    assert e.value.rule == "SEC_01" and e.value.value == ["sk_one", "sk_two"]


def test_a_store_never_leaves_its_schema__SEC_01(pg_names: list[str]) -> None:
    """Whatever search path a connection ends up with, the store's statements name its own
    schema: a same-named table elsewhere is never read or written."""
    own, other = f"{PREFIX}_own", f"{PREFIX}_other"
    pg_names.extend([own, other])
    _open(f"{PG_URL}?schema={other}").close()  # the same tables, in another schema
    kit = _open(f"{PG_URL}?schema={own}")
    try:
        with kit.store._pool.connection() as conn:  # type: ignore[attr-defined]
            conn.execute(f'SET search_path TO "{other}"')
        kit.companies.create("Mine")
        assert [c.name for c in kit.companies.list()] == ["Mine"]
    finally:
        kit.close()
    with _admin() as conn:
        assert conn.execute(f'SELECT count(*) FROM "{other}".company').fetchone()[0] == 0
        assert conn.execute(f'SELECT count(*) FROM "{own}".company').fetchone()[0] == 1


@pytest.mark.parametrize(("query", "option"), [("foo=bar", "foo"), ("retry_attempts=%D9%A3", "retry_attempts")])
def test_bad_postgres_url_options_are_clear_errors__SEC_05(query: str, option: str) -> None:
    need_postgres()
    with pytest.raises(sk.StorageError) as e:
        _open(f"{PG_URL}?{query}")
    assert option in str(e.value)


# ------------------------------------------------------------------ STORE_01
def _sample(cls: type[Any]) -> Any:
    """A record of ``cls`` with every field at its default, required ones filled in."""
    now = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    filler = {
        FieldType.TEXT: "x",
        FieldType.INTEGER: 1,
        FieldType.FLOAT: 1.5,
        FieldType.BOOLEAN: True,
        FieldType.DATE: date(2026, 1, 2),
        FieldType.DATETIME: now,
        FieldType.LIST: ("a",),
        FieldType.JSON: {"k": 1},
    }
    hints = typing.get_type_hints(cls)
    values: dict[str, Any] = {}
    for f, col in zip(attrs.fields(cls), schema_of(cls).columns, strict=True):
        if f.default is attrs.NOTHING:
            args = typing.get_args(hints[f.name])
            literal = typing.get_origin(hints[f.name]) is typing.Literal
            values[f.name.lstrip("_")] = args[0] if literal else filler[col.type]
    return cls(**values)


def _defaulted_columns(cls: type[Any]) -> list[str]:
    """Columns with a default and no index (SQLite cannot drop an indexed column)."""
    s = schema_of(cls)
    indexed = {c.lstrip("-") for cols in (*s.indexes, *s.unique) for c in cols}
    return [
        f.name for f in attrs.fields(cls) if f.default is not attrs.NOTHING and f.name not in indexed and f.name != "id"
    ]


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_upgrade_fills_every_added_column_with_its_default__STORE_01(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """A table written by an older version (missing any column that has a default: booleans such
    as ``objective.external``, lists, the ``fields`` mapping) opens, and its rows read back with
    the defaults, on every SQL backend.  (Columns are dropped: PostgreSQL gets a schema of its own.)"""
    urls = fresh_schema_url(request) if backend == "postgres" else iter([f"sqlite:///{tmp_path}/old.db"])
    url = next(urls)
    samples = [_sample(cls) for cls in RECORD_CLASSES]
    kit = _open(url)
    kit.store.insert_many(samples)
    kit.close()
    dropped = 0
    if backend == "postgres":
        schema = url.rsplit("schema=", 1)[1]
        with _admin() as conn:
            for cls in RECORD_CLASSES:
                for col in _defaulted_columns(cls):
                    conn.execute(f'ALTER TABLE "{schema}"."{cls.__kind__}" DROP COLUMN "{col}"')
                    dropped += 1
    else:
        import sqlite3

        conn = sqlite3.connect(tmp_path / "old.db")
        for cls in RECORD_CLASSES:
            for col in _defaulted_columns(cls):
                conn.execute(f'ALTER TABLE "{cls.__kind__}" DROP COLUMN "{col}"')
                dropped += 1
        conn.commit()
        conn.close()
    assert dropped > 50
    kit = _open(url)
    try:
        for record in samples:
            assert kit.store.get(record.__kind__, record.id) == record
    finally:
        kit.close()
        for _ in urls:  # drops the PostgreSQL schema
            pass


# ------------------------------------------------------------------ SEC_05: SQLite URLs and paths
def test_bad_sqlite_paths_are_clear_errors__SEC_05(tmp_path: Path) -> None:
    """A NUL in the path, a path under a regular file, under a directory that cannot be made,
    or naming a directory: each is a successkit error carrying the path."""
    (tmp_path / "file.txt").write_text("")
    with pytest.raises(sk.ValidationError) as e:
        _open(f"sqlite:///{tmp_path}/a\x00b.db")
    assert e.value.value == f"{tmp_path}/a\x00b.db"
    for path in (f"{tmp_path}/file.txt/x.db", "/proc/no-such-dir/x.db", str(tmp_path)):
        with pytest.raises(sk.StorageError) as err:
            _open(f"sqlite:///{path}")
        assert err.value.value == path


def test_sqlite_fragments_and_non_files_are_refused_naming_the_cause__SEC_05(tmp_path: Path) -> None:
    """``sqlite:////tmp/x.db#frag`` made a file named ``x.db#frag``; ``sqlite:////dev/null``
    failed with "cannot rollback - no transaction is active"."""
    with pytest.raises(sk.StorageError, match="fragment") as e:
        _open(f"sqlite:///{tmp_path}/x.db#frag")
    assert e.value.value == f"sqlite:///{tmp_path}/x.db#frag"
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(sk.StorageError, match="not a regular file") as e:
        _open("sqlite:////dev/null")
    assert e.value.value == "/dev/null"


@pytest.mark.parametrize(
    ("query", "option"),
    [
        ("busy_timeout=nan", "busy_timeout"),
        ("busy_timeout=inf", "busy_timeout"),
        ("busy_timeout=-1", "busy_timeout"),
        ("busy_timeout=1e12", "busy_timeout"),
        ("busy_timeout=soon", "busy_timeout"),
        ("busy_timeout=", "busy_timeout"),
        ("synchronous=off", "synchronous"),
        ("busy_timeout=1&busy_timeout=2", "busy_timeout"),
        ("mode=ro", "mode"),
    ],
)
def test_bad_sqlite_url_options_are_clear_errors__SEC_05(tmp_path: Path, query: str, option: str) -> None:
    with pytest.raises(sk.SuccessKitError) as e:
        _open(f"sqlite:///{tmp_path}/x.db?{query}")
    assert isinstance(e.value, (sk.ValidationError, sk.StorageError))
    assert option in str(e.value)


def test_bad_sqlite_arguments_are_clear_errors__SEC_05(tmp_path: Path) -> None:
    from successkit.storage.sqlite import SQLiteStore

    for kwargs in ({"busy_timeout": float("nan")}, {"busy_timeout": "10"}, {"synchronous": 1}):
        with pytest.raises(sk.SuccessKitError):
            SQLiteStore(RECORD_CLASSES, tmp_path / "x.db", **kwargs)
    with pytest.raises(sk.ValidationError):
        SQLiteStore(RECORD_CLASSES, 42)  # type: ignore[arg-type]


# ------------------------------------------------------------------ dropped connections
def _kill(schema: str) -> int:
    with _admin() as conn:
        return int(
            conn.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = %s",
                (f"successkit/{schema}",),
            ).fetchone()[0]
        )


@pytest.mark.parametrize("when", ["during", "before commit"])
def test_a_dropped_connection_is_reported_with_its_cause__STORE_03(pg_url: str, when: str) -> None:
    """pg_terminate_backend on the transaction's connection: the StorageError names the
    server's message and SQLSTATE (57P01), nothing of the transaction is kept, and the
    kit works again at once."""
    schema = pg_url.rsplit("schema=", 1)[1]
    kit = _open(pg_url)
    try:
        with pytest.raises(sk.StorageError) as e, kit.transaction():
            kit.companies.create("Lost")
            assert _kill(schema) >= 1
            if when == "during":
                kit.companies.create("Lost too")
        assert "57P01" in str(e.value) and "terminating connection" in str(e.value)
        assert not kit.store.in_transaction
        kit.companies.create("After")
        assert [c.name for c in kit.companies.list()] == ["After"]
    finally:
        kit.close()
