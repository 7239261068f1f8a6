"""Schema migrations (OPS_01, OPS_02): a current schema opens without DDL (a role with
only data rights opens it), an older one is refused with the steps it needs until it
is migrated in one transaction, and a store written by the previous release opens
after migrating with nothing lost."""

from __future__ import annotations

import io
import json
import os
import shutil
import sqlite3
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

import successkit as sk
from successkit.cli import main
from successkit.query.schema import FieldType
from successkit.storage import migrations
from successkit.storage.migrations import SCHEMA_VERSION, STEPS

from .conftest import PG_URL

#: Written by the release before migrations (commit c018af9) with tests/data/make_release_db.py.
RELEASE_DB = Path(__file__).parent / "data" / "release_0_schema_v2.db"
AT = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)


@pytest.fixture(params=["sqlite", "postgres"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A new store of its own (these tests change the structure)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'm.db'}"
    else:
        yield request.getfixturevalue("fresh_pg_url")


def _sql(url: str, *statements: str) -> list[Any]:
    """Run statements as the database's owner, outside successkit; the last one's rows."""
    rows: list[Any] = []
    if url.startswith("sqlite"):
        lite = sqlite3.connect(url[len("sqlite:///") :])
        with lite:
            for s in statements:
                rows = lite.execute(s.replace("{ns}", "")).fetchall()
        lite.close()
        return rows
    import psycopg

    schema = url.rsplit("schema=", 1)[1]
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        for s in statements:
            cur = conn.execute(s.replace("{ns}", f'"{schema}".'))
            rows = cur.fetchall() if cur.description else []
    return rows


def _make_old(url: str) -> None:
    """Turn a new store into what the release before step 3 left: version 2, no history, no email index."""
    sk.open(url, entry_points=False).close()
    _sql(
        url,
        "DROP TABLE {ns}sk_migrations",
        'DROP INDEX {ns}"sk_mx_user_email_lower"',
        "UPDATE {ns}sk_meta SET value = '2' WHERE key = 'schema_version'",
    )


def _has_history(url: str) -> bool:
    if url.startswith("sqlite"):
        return bool(_sql(url, "SELECT 1 FROM sqlite_master WHERE name = 'sk_migrations'"))
    return _sql(url, "SELECT to_regclass('{ns}sk_migrations')") != [(None,)]


def _version(url: str) -> str:
    return str(_sql(url, "SELECT value FROM {ns}sk_meta WHERE key = 'schema_version'")[0][0])


def test_a_new_store_records_every_step__OPS_01(store_url: str) -> None:
    kit = sk.open(store_url, clock=AT, entry_points=False)
    try:
        history = kit.migration_history()
        assert [(h.number, h.description) for h in history] == [(s.number, s.description) for s in STEPS]
        assert all(h.applied_at is not None for h in history)  # when the store was made (wall-clock time)
        assert kit.migrate().needed is False  # current: nothing to do
    finally:
        kit.close()
    assert _version(store_url) == str(SCHEMA_VERSION)


def test_an_older_schema_is_refused_with_its_steps_and_left_unchanged__OPS_01(store_url: str) -> None:
    _make_old(store_url)
    with pytest.raises(sk.MigrationNeeded) as e:
        sk.open(store_url, entry_points=False)
    assert e.value.rule == "OPS_01" and e.value.plan.found == 2 and e.value.plan.target == SCHEMA_VERSION
    assert [s.number for s in e.value.plan.steps] == [3]
    assert "step 3 (sk_migrations records" in str(e.value) and "successkit migrate" in str(e.value)
    assert _version(store_url) == "2" and not _has_history(store_url)  # nothing changed


def test_a_dry_run_says_what_it_would_do_and_changes_nothing__OPS_01(store_url: str) -> None:
    _make_old(store_url)
    plan = sk.migrate(store_url, dry_run=True, entry_points=False)
    assert not plan.applied and [s.number for s in plan.steps] == [3]
    assert any("sk_mx_user_email_lower" in s for s in plan.statements)
    assert _version(store_url) == "2"
    plan = sk.migrate(store_url, entry_points=False)
    assert plan.applied and _version(store_url) == str(SCHEMA_VERSION)
    kit = sk.open(store_url, entry_points=False)
    try:
        history = {h.number: h.applied_at for h in kit.migration_history()}
        assert history[1] is None and history[2] is None  # applied by the release before the history
        assert history[3] is not None
    finally:
        kit.close()


def test_open_with_migrate_applies_the_steps__OPS_01(store_url: str) -> None:
    _make_old(store_url)
    kit = sk.open(store_url, clock=AT, entry_points=False, migrate=True)
    try:
        assert kit.migration_history()[-1].applied_at == AT
        kit.users.create("Ann", email="ann@x.example")
        with pytest.raises(sk.RuleViolation, match="USER_03"):
            kit.users.create("Ann again", email="ANN@x.example")
    finally:
        kit.close()


def test_a_step_the_data_refuses_changes_nothing__OPS_01(store_url: str) -> None:
    """Two users sharing an email (written before emails were unique) stop step 3: the
    migration names them and leaves the store at its version, with no history."""
    kit = sk.open(store_url, entry_points=False)
    kit.users.create("Ann", email="ann@x.example")
    kit.close()
    _make_old(store_url)
    _sql(
        store_url,
        "INSERT INTO {ns}\"user\" (id, name, email, license, version) SELECT 'u_dup', 'Ann Two', 'ANN@x.example', "
        "license, version FROM {ns}\"user\" WHERE name = 'Ann'",
    )
    plan = sk.migrate(store_url, dry_run=True, entry_points=False)
    assert len(plan.problems) == 1 and "ann@x.example" in plan.problems[0] and "Ann Two (u_dup)" in plan.problems[0]
    with pytest.raises(sk.SchemaError, match="cannot be migrated as its data stands") as e:
        sk.migrate(store_url, entry_points=False)
    assert e.value.rule == "OPS_01"
    assert _version(store_url) == "2"


def test_a_failing_statement_rolls_the_whole_migration_back__OPS_01(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _make_old(store_url)
    broken = migrations.Step(
        3, STEPS[2].description, ddl={k: (*v, "CREATE TABLE {no_such}.x (y TEXT)") for k, v in STEPS[2].ddl.items()}
    )
    monkeypatch.setattr(migrations, "STEPS", (*STEPS[:2], broken))
    with pytest.raises(sk.StorageError):
        sk.migrate(store_url, entry_points=False)
    assert _version(store_url) == "2"
    assert not _sql(
        store_url,
        "SELECT 1 FROM sqlite_master WHERE name = 'sk_mx_user_email_lower'"
        if store_url.startswith("sqlite")
        else "SELECT 1 FROM pg_indexes WHERE indexname = 'sk_mx_user_email_lower' "
        f"AND schemaname = '{store_url.rsplit('schema=', 1)[1]}'",
    )


def test_a_current_sqlite_file_opens_without_writing__OPS_01(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from successkit.storage.sqlite import SQLiteStore

    url = f"sqlite:///{tmp_path / 'c.db'}"
    sk.open(url, entry_points=False).close()
    statements: list[str] = []
    connect = SQLiteStore._connect

    def traced(self: SQLiteStore) -> sqlite3.Connection:
        conn = connect(self)
        conn.set_trace_callback(statements.append)
        return conn

    monkeypatch.setattr(SQLiteStore, "_connect", traced)
    sk.open(url, entry_points=False).close()
    assert statements and not [
        s for s in statements if s.lstrip().upper().startswith(("CREATE", "ALTER", "DROP", "INSERT", "BEGIN"))
    ]


def test_a_role_with_only_data_rights_opens_a_current_schema__OPS_01(fresh_pg_url: str) -> None:
    """No DDL on open: a role granted SELECT/INSERT/UPDATE/DELETE on the tables and
    USAGE on the schema opens a migrated store and works in it; an older schema is reported
    as needing migration, not as a permission error."""
    import psycopg

    _make_old(fresh_pg_url)
    assert sk.migrate(fresh_pg_url, entry_points=False).applied  # by the owner: a migrated store
    schema = fresh_pg_url.rsplit("schema=", 1)[1]
    role = f"sk_reader_{os.urandom(4).hex()}"
    admin = psycopg.connect(PG_URL, autocommit=True)
    try:
        admin.execute(f'CREATE ROLE "{role}" LOGIN')
        admin.execute(f'GRANT USAGE ON SCHEMA "{schema}" TO "{role}"')
        admin.execute(f'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA "{schema}" TO "{role}"')
        url = fresh_pg_url.replace("postgres@", f"{role}@", 1)
        assert f"{role}@" in url
        kit = sk.open(url, entry_points=False)
        try:
            acme = kit.companies.create("Acme Japan")
            assert kit.companies.get(acme.id).name == "Acme Japan"
            assert not kit.migrate().needed  # current: the schema lock and the catalog reads need no DDL
            with pytest.raises(sk.StorageError, match="42501"):  # the role really has no DDL rights
                kit.store.index_custom_fields({"company": {"tier": FieldType.TEXT}})
        finally:
            kit.close()
        admin.execute(f"UPDATE \"{schema}\".sk_meta SET value = '2' WHERE key = 'schema_version'")
        with pytest.raises(sk.MigrationNeeded, match="step 3"):
            sk.open(url, entry_points=False)
    finally:
        admin.execute(f'REASSIGN OWNED BY "{role}" TO postgres')
        admin.execute(f'DROP OWNED BY "{role}"')
        admin.execute(f'DROP ROLE "{role}"')
        admin.close()


# ------------------------------------------------------------------ the previous release
def _columns(path: Path) -> dict[str, list[str]]:
    """The columns of every table but sk_meta, by table."""
    conn = sqlite3.connect(path)
    try:
        tables = [
            r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name != 'sk_meta'")
        ]
        return {t: [c[1] for c in conn.execute(f'PRAGMA table_info("{t}")')] for t in tables}
    finally:
        conn.close()


def _rows(path: Path, columns: dict[str, list[str]]) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of these tables, these columns only, by table, sorted."""
    conn = sqlite3.connect(path)
    try:
        return {
            t: sorted(conn.execute(f'SELECT {", ".join(f"{c!r}" for c in cols)} FROM "{t}"').fetchall(), key=repr)
            for t, cols in columns.items()
        }
    finally:
        conn.close()


def test_the_previous_release_s_store_opens_after_migrating_with_nothing_lost__OPS_02(tmp_path: Path) -> None:
    path = tmp_path / "release.db"
    shutil.copyfile(RELEASE_DB, path)
    released = _columns(path)
    before = _rows(path, released)
    url = f"sqlite:///{path}"
    with pytest.raises(sk.MigrationNeeded, match="schema version 2"):
        sk.open(url, entry_points=False)
    assert _columns(path) == released and _rows(path, released) == before  # refused: nothing changed
    code = main(["migrate", url], io.StringIO())
    assert code == 0
    assert _rows(path, released) == before  # every row of every table, every column, unchanged
    assert sum(map(len, before.values())) > 100
    added = {t: [c for c in cols if c not in released.get(t, [])] for t, cols in _columns(path).items()}
    columns = {t: cols for t, cols in added.items() if cols and t in released}
    assert columns == {"company": ["external_id"], "share": ["can_change"], "rule_run": ["triggered_by"]}
    tables = {t for t, cols in added.items() if t not in released}
    assert tables == {"sk_migrations", "program", "program_enrolment", "program_email", "report", "status_definition"}
    kit = sk.open(url, entry_points=False)
    try:
        assert kit.companies.count() == 7 and kit.plans.count() == 2 and kit.ctas.count() == 4
        assert kit.goals.count() == 2 and kit.store.count(kit.bind("score_snapshot", sk.Query())) == 7
        acme = kit.companies.list([("name", "=", "Acme Holdings")])[0]
        assert acme.arr == 1_200_000 and acme.health_score is not None
        assert [h.number for h in kit.migration_history()] == [s.number for s in STEPS]
        kit.companies.update(acme, stage="Renewal")  # and it is writable
    finally:
        kit.close()


def test_successkit_migrate_on_the_command_line__OPS_01(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "release.db"
    shutil.copyfile(RELEASE_DB, path)
    url = f"sqlite:///{path}"
    out = io.StringIO()
    assert main(["rules", "list", "--url", url], out) == 2  # a store that needs migrating is refused
    assert "OPS_01" in capsys.readouterr().err
    out = io.StringIO()
    assert main(["migrate", url, "--dry-run", "--json"], out) == 0
    plan = json.loads(out.getvalue())
    assert plan["from_version"] == 2 and plan["to_version"] == SCHEMA_VERSION and not plan["applied"]
    assert [s["number"] for s in plan["steps"]] == [3]
    out = io.StringIO()
    assert main(["--url", url, "migrate"], out) == 0
    assert "migrated from schema version 2 to 3" in out.getvalue()
    out = io.StringIO()
    assert main(["migrate", url, "--json"], out) == 0
    assert json.loads(out.getvalue())["steps"] == []  # nothing left to do
    assert main(["migrate", f"sqlite:///{tmp_path / 'none.db'}"], io.StringIO()) == 1
    assert "nothing to migrate" in capsys.readouterr().err
    assert not (tmp_path / "none.db").exists()


def test_memory_is_always_current__OPS_01() -> None:
    kit = sk.open("memory://", entry_points=False)
    plan = kit.migrate(dry_run=True)
    assert not plan.needed and kit.migration_history() == []


def test_migrate_inside_a_transaction_is_refused__OPS_01(store_url: str) -> None:
    kit = sk.open(store_url, entry_points=False)
    try:
        with pytest.raises(sk.SchemaError, match="transaction of its own") as e, kit.transaction():
            kit.migrate()
        assert e.value.rule == "OPS_01"
    finally:
        kit.close()


def test_processes_opening_an_old_store_at_once_with_migrate_migrate_it_once__OPS_01(store_url: str) -> None:
    """Several kits opening one older store with ``migrate=True`` at the same moment: the
    schema lock makes one migrate and the others find it current; the history has each step once."""
    import threading

    _make_old(store_url)
    errors: list[BaseException] = []
    kits: list[sk.Kit] = []

    def run() -> None:
        try:
            kits.append(sk.open(store_url, entry_points=False, migrate=True))
        except BaseException as e:  # reported below
            errors.append(e)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert not errors and len(kits) == 3
        assert all(k.store.pending_migration is None for k in kits)
        assert [h.number for h in kits[0].migration_history()] == [s.number for s in STEPS]
        assert _version(store_url) == str(SCHEMA_VERSION)
    finally:
        for k in kits:
            k.close()
