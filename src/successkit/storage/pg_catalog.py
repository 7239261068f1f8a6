"""What the PostgreSQL backend reads from the catalog when it opens a store: the
store's tables and columns, every index of its schema and the collations it can
use, in one query, so that a schema that is up to date costs no DDL and no lock;
and, from what it read, what a migration of the schema does (:mod:`.migrations`)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from .indexes import index_changes
from .migrations import MigrationPlan, apply_plan, check_version, make_plan
from .sql import quote

if TYPE_CHECKING:
    import psycopg

    from successkit.query.schema import KindSchema

    from .sql import Compiled, Dialect

__all__ = ["CATALOG", "LOWER_COLLATIONS", "fetcher", "layout_statements", "migrate_schema", "read_catalog"]

#: Collations that lower-case text as Python does, best first.
LOWER_COLLATIONS = ("und-x-icu", "C.utf8", "C.UTF-8")
#: The store's tables with their columns, every index of its schema, and the
#: collations it may use: one catalog query, so an up-to-date schema costs no DDL.
CATALOG = (
    "SELECT 'table', c.relname, a.attname FROM pg_class c LEFT JOIN pg_attribute a "
    "ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped "
    "WHERE c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = %s) "
    "AND c.relkind IN ('r', 'p') AND c.relname = ANY(%s) "
    "UNION ALL SELECT 'index', indexname, tablename FROM pg_indexes WHERE schemaname = %s "
    "UNION ALL SELECT 'collation', collname, NULL FROM pg_collation "
    f"WHERE collname IN ({', '.join(repr(c) for c in LOWER_COLLATIONS)})"
)


def read_catalog(rows: Iterable[tuple[str, str, str | None]]) -> tuple[dict[str, set[str]], dict[str, str], set[str]]:
    """The catalog query's rows as tables (name -> columns), indexes (name -> table) and collations."""
    tables: dict[str, set[str]] = {}
    indexes: dict[str, str] = {}
    collations: set[str] = set()
    for what, name, detail in rows:
        if what == "index":
            indexes[name] = str(detail)
        elif what == "collation":
            collations.add(name)
        else:
            columns = tables.setdefault(name, set())
            if detail is not None:
                columns.add(detail)
    return tables, indexes, collations


def layout_statements(
    dialect: Dialect, schemas: Iterable[KindSchema], tables: dict[str, set[str]], indexes: dict[str, str]
) -> list[Compiled]:
    """The statements that make the tables, columns and indexes the schema lacks."""
    schemas = list(schemas)
    out: list[Compiled] = []
    for schema in schemas:
        have = tables.get(schema.kind)
        out += [(dialect.create_table(schema), [])] if have is None else dialect.upgrade_table(schema, have)
    return out + [(sql, []) for sql in index_changes(dialect, schemas, indexes)]


def fetcher(conn: psycopg.Connection[Any]) -> Callable[[str], list[tuple[Any, ...]]]:
    """Run a query of a migration step on ``conn`` (the library's SQL, never user input), giving its rows."""
    return lambda sql: conn.execute(sql).fetchall()


def migrate_schema(
    conn: psycopg.Connection[Any],
    dialect: Dialect,
    schemas: Iterable[KindSchema],
    catalog_params: tuple[str, list[str], str],
) -> tuple[MigrationPlan, Callable[[datetime | None], MigrationPlan]]:
    """Inside the caller's transaction, holding the schema lock: read the schema
    version and the catalog, and give the plan with the function applying it."""
    name = catalog_params[0]
    if conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (name,)).fetchone() is None:
        conn.execute(f"CREATE SCHEMA IF NOT EXISTS {quote(name)}")  # rolled back with a dry run
    row = None
    if conn.execute("SELECT to_regclass(%s)", (f'"{name}".sk_meta',)).fetchone() != (None,):
        row = conn.execute(f"SELECT value FROM {dialect.table('sk_meta')} WHERE key = 'schema_version'").fetchone()
    found = int(row[0]) if row else None
    check_version(f"schema {name}", found)
    tables, indexes, _ = read_catalog(conn.execute(CATALOG, catalog_params).fetchall())
    layout = layout_statements(dialect, schemas, tables, indexes)
    plan = make_plan(f"schema {name}", found, layout, "postgresql", dialect, fetcher(conn))
    return plan, lambda now: apply_plan(plan, layout, "postgresql", dialect, conn.execute, now)
