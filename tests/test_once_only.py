"""SEC_04: operations meant to happen once give the result of one run when several
processes run them at the same moment.

Four worker processes (spawn context: nothing shared but the database) open their
own kit on the same PostgreSQL schema or SQLite file, wait at a barrier, then all
run the same operation: every rule, a custom-field declaration, a bundle deploy.
Afterwards the store must hold exactly what one run makes.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import successkit as sk

from .conftest import fresh_schema_url

PROCESSES = 4
COMPANIES = 10

#: Figures of the last runs, printed with ``pytest -s`` (docs/reliability.md quotes them).
FIGURES: dict[str, Any] = {}

BUNDLE = {
    "format": 1,
    "name": "race",
    "cta_types": [{"key": "race", "name": "Race"}],
    "reasons": [{"key": "race_reason", "name": "Race reason"}],
    "email_templates": [{"name": "Race mail", "subject": "Hello"}],
    "playbooks": [{"name": "Race book", "steps": [{"name": "Mail", "email_template": "Race mail"}]}],
    "rules": [{"name": "Race rule", "actions": [{"do": "create_cta", "name": "Race {name}", "type": "race"}]}],
}


def _worker(operation: str, url: str, barrier: Any, results: Any) -> None:
    kit = sk.open(url, entry_points=False)
    try:
        barrier.wait(300)  # every process starts at the same moment
        try:
            if operation == "rules":
                runs = kit.rules.run_all()
                results.put(("ok", sum(r.created for r in runs)))
            elif operation == "declare":
                kit.custom_fields.declare("company", "tier", "text")
                results.put(("ok", 1))
            elif operation == "declare indexed":  # a field of each process's own
                kit.custom_fields.declare("company", f"field_{os.getpid()}", "number", indexed=True)
                results.put(("ok", 1))
            else:
                results.put(("ok", kit.bundles.deploy(BUNDLE).created))
        except sk.SuccessKitError as e:  # a clear refusal ("exists") is one run's answer too
            results.put(("refused", f"{type(e).__name__}: {e}"))
    finally:
        kit.close()


#: The isolation levels a PostgreSQL store can be opened with (docs/reliability.md): once-only
#: operations must give one run's result under each, not only the default.
ISOLATION = {"repeatable read": "repeatable%5C%20read", "serializable": "serializable"}


@pytest.fixture(params=["sqlite", "postgres", "postgres repeatable read", "postgres serializable"])
def race_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A store several processes open at once: a SQLite file, or a PostgreSQL schema of the
    test's own (a worker that outlived its test could not write into the next one's) at the
    default isolation level or a stricter one."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/race.db"
        return
    for url in fresh_schema_url(request):
        level = request.param.removeprefix("postgres").strip()
        yield url if not level else f"{url}&options=-c%20default_transaction_isolation%3D{ISOLATION[level]}"


def _race(operation: str, url: str) -> list[tuple[str, Any]]:
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(PROCESSES), ctx.Queue()
    procs = [ctx.Process(target=_worker, args=(operation, url, barrier, results)) for _ in range(PROCESSES)]
    for p in procs:
        p.start()
    reports = [results.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(300)
    assert [p.exitcode for p in procs] == [0] * PROCESSES
    FIGURES[f"{operation} {url.split(':')[0]}"] = reports
    print(FIGURES)
    return reports


def _open(url: str) -> sk.Kit:
    return sk.open(url, entry_points=False)


@pytest.mark.slow
def test_rule_runs_at_the_same_moment_create_each_cta_once__SEC_04(race_url: str) -> None:
    """Four processes run every rule at once: 10 CTAs for 10 companies (it was 40 on PostgreSQL)."""
    kit = _open(race_url)
    try:
        csm = kit.users.create("Alice", license="full")
        for i in range(COMPANIES):
            kit.companies.create(f"Company {i}", csm_id=csm.id)
        kit.rules.create("Check in", actions=[{"do": "create_cta", "name": "Check in: {name}", "type": "risk"}])
        kit.rules.create(
            "Check in again",
            actions=[  # the same CTA from another rule: still one
                {"do": "create_cta", "name": "Check in: {name}", "type": "risk"},
                {"do": "log_activity", "type": "note", "subject": "Checked {name}"},
            ],
        )
    finally:
        kit.close()
    reports = _race("rules", race_url)
    assert sorted(r[0] for r in reports) == ["ok"] * PROCESSES, reports
    assert sum(r[1] for r in reports) == 2 * COMPANIES  # the CTAs and the activities, each once
    kit = _open(race_url)
    try:
        assert kit.ctas.count() == COMPANIES
        assert kit.store.count(kit.bind("activity", sk.Query())) == COMPANIES
    finally:
        kit.close()


@pytest.mark.slow
def test_custom_field_declared_at_the_same_moment_is_stored_once__SEC_04(race_url: str) -> None:
    """Four processes declare the same field: one row; the others are told it exists."""
    _open(race_url).close()  # tables made before the race
    reports = _race("declare", race_url)
    assert sorted(r[0] for r in reports) == ["ok"] + ["refused"] * (PROCESSES - 1), reports
    assert all("already has a custom field" in r[1] for r in reports if r[0] == "refused"), reports
    kit = _open(race_url)
    try:
        assert kit.custom_fields.count([("name", "=", "tier")]) == 1
    finally:
        kit.close()


def _custom_indexes(url: str) -> list[str]:
    """The custom-field indexes in the store, read without opening a kit (which would make
    any that are missing)."""
    like = "LIKE 'sk^_cf^_company^_field^_%%' ESCAPE '^'"
    if url.startswith("sqlite"):
        import sqlite3

        conn = sqlite3.connect(url[len("sqlite:///") :])
        try:
            return [r[0] for r in conn.execute(f"SELECT name FROM sqlite_master WHERE name {like.replace('%%', '%')}")]
        finally:
            conn.close()
    import psycopg

    base, schema = url.split("?schema=")
    with psycopg.connect(base, autocommit=True) as pg:
        schema = schema.split("&", 1)[0]
        return [
            r[0]
            for r in pg.execute(
                f"SELECT indexname FROM pg_indexes WHERE schemaname = %s AND indexname {like}", (schema,)
            )
        ]


@pytest.mark.slow
def test_indexed_fields_declared_at_the_same_moment_all_get_their_indexes__SEC_04(race_url: str) -> None:
    """Four processes each declare a field of their own with indexed=True: each declaration
    brings its indexes up to what it reads, and the changes take turns, so none drops another's."""
    _open(race_url).close()
    reports = _race("declare indexed", race_url)
    assert [r[0] for r in reports] == ["ok"] * PROCESSES, reports
    assert len(_custom_indexes(race_url)) == 2 * PROCESSES


@pytest.mark.slow
def test_bundle_deployed_at_the_same_moment_is_deployed_once__SEC_04(race_url: str) -> None:
    """Four processes deploy the same bundle: one set of assets; the others find them there."""
    _open(race_url).close()
    reports = _race("deploy", race_url)
    assert sorted(reports, key=repr) == [("ok", 0)] * (PROCESSES - 1) + [("ok", 5)], reports
    kit = _open(race_url)
    try:
        assert [i.key for i in kit.config.items("reason")].count("race_reason") == 1
        assert [i.key for i in kit.config.items("cta_type")].count("race") == 1
        for kind, name in (("email_template", "Race mail"), ("playbook", "Race book"), ("rule", "Race rule")):
            assert kit.store.count(kit.bind(kind, sk.Query(conditions=[("name", "=", name)]))) == 1, kind
    finally:
        kit.close()


def test_a_second_declaration_row_is_refused_by_storage__SEC_04(kit: sk.Kit) -> None:
    """(record kind, name) is a unique key on every backend: the last guard behind the lock."""
    import attrs

    field = kit.custom_fields.declare("company", "tier", "text")
    with pytest.raises(sk.ConflictError):
        kit.store.insert(attrs.evolve(field, id="another"))
    assert kit.custom_fields.count() == 1


def _duplicate_behind_the_library(url: str) -> None:
    """Two declarations of one field, as an older version could leave them, without the unique index."""
    if url.startswith("sqlite"):
        import sqlite3

        conn = sqlite3.connect(url[len("sqlite:///") :])
        (unique,) = conn.execute(
            "SELECT name FROM sqlite_master WHERE name LIKE 'sk^_ux^_custom^_field^_%' ESCAPE '^'"
        ).fetchone()
        conn.execute(f'DROP INDEX "{unique}"')
        cols = [r[1] for r in conn.execute("PRAGMA table_info(custom_field)") if r[1] != "id"]
        conn.execute(f"INSERT INTO custom_field SELECT 'dup', {', '.join(cols)} FROM custom_field")
        conn.commit()
        conn.close()
        return
    import psycopg

    base, schema = url.split("?schema=")
    with psycopg.connect(base, autocommit=True) as pg:
        found = pg.execute(
            "SELECT indexname FROM pg_indexes WHERE schemaname = %s AND indexname "
            "LIKE 'sk^_ux^_custom^_field^_%%' ESCAPE '^'",
            (schema,),
        ).fetchone()
        assert found is not None
        (unique,) = found
        pg.execute(f'DROP INDEX {schema}."{unique}"')
        cols = [
            r[0]
            for r in pg.execute(
                "SELECT column_name FROM information_schema.columns WHERE "
                "table_schema = %s AND table_name = 'custom_field' AND column_name <> 'id'",
                (schema,),
            )
        ]
        pg.execute(f"INSERT INTO {schema}.custom_field SELECT 'dup', {', '.join(cols)} FROM {schema}.custom_field")


def test_upgrading_a_store_with_duplicate_declarations_is_a_clear_error__SEC_04(shared_url: str) -> None:
    """A store holding two declarations of one field cannot get the unique key: opening it
    is refused with a successkit error naming the table and key, and nothing is changed."""
    kit = _open(shared_url)
    kit.custom_fields.declare("company", "tier", "text")
    kit.close()
    _duplicate_behind_the_library(shared_url)
    with pytest.raises(sk.ConflictError, match="custom_field") as e:
        _open(shared_url)
    assert "record_kind" in str(e.value)
