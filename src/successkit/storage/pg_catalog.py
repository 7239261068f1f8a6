"""What the PostgreSQL backend reads from the catalog when it opens a store: the
store's tables and columns, every index of its schema and the collations it can
use, in one query, so that a schema that is up to date costs no DDL and no lock."""

from __future__ import annotations

from collections.abc import Iterable

from successkit.errors import SchemaError

from .sqlite import SCHEMA_VERSION

__all__ = ["CATALOG", "LOWER_COLLATIONS", "check_version", "read_catalog"]

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


def check_version(schema: str, found: int | None) -> None:
    """Refuse a schema written by a newer successkit than this one."""
    if found is not None and found > SCHEMA_VERSION:
        raise SchemaError(
            f"schema {schema} was written by a newer successkit (schema version "
            f"{found}); this one understands up to {SCHEMA_VERSION}",
            value=found,
        )
