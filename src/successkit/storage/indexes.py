"""The indexes of the SQL backends: what record classes and custom fields declare.

A record class declares indexes in ``__indexes__``, each a tuple of field names
written like sort keys: ``"name"`` ascending, ``"-arr"`` descending.  An index
serves the sorts it spells and the filters on its leading fields: ``("stage",
"-arr")`` serves ``stage = X`` sorted by ``-arr``, and ``("renewal_date",)``
serves a range on the renewal date sorted by it.  Every index ends with ``id``,
the tie-break of every sort, so a sorted, limited list reads only the rows it
returns.  ``__unique__`` column sets become unique indexes.

A custom field declared with ``indexed=True`` gets two expression indexes on its
JSON value, one per sort direction.

Each backend spells the key columns exactly as it spells the ``ORDER BY``
(:meth:`~successkit.storage.sql.Dialect.index_columns` beside
:meth:`~successkit.storage.sql.Dialect.sort_terms`), so the database matches
the one with the other.  successkit owns the indexes of its tables whose names
start with ``sk_ix_``, ``sk_ux_`` (unique) or ``sk_cf_`` (custom fields): on
open it creates the declared ones that are missing and drops those no longer
declared.  A name carries a digest of the index's definition, so an
index whose definition changed is replaced.  Indexes of other names are left
alone, except those of schema version 1 (``ix_<kind>_<fields>`` and
``ux_<kind>_<fields>`` of the declarations), which these replace.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

import attrs

from successkit.errors import SchemaError
from successkit.query.bind import FieldRef
from successkit.query.schema import FieldType, KindSchema

if TYPE_CHECKING:
    from .sql import Dialect

__all__ = ["Index", "IndexKey", "class_indexes", "custom_field_indexes", "index_changes"]

#: The names of the indexes successkit creates, and so may drop, start with these.
PREFIX = "sk_"
_CLASS = ("sk_ix_", "sk_ux_")
_CUSTOM = "sk_cf_"
#: PostgreSQL cuts longer identifiers; a name is made to fit, its digest kept.
_MAX_NAME = 63


@attrs.frozen
class IndexKey:
    """One key of an index: a field and the direction it sorts in."""

    field: FieldRef
    descending: bool = False


@attrs.frozen
class Index:
    """An index a record kind declares (``custom``: one a custom field declares)."""

    kind: str
    keys: tuple[IndexKey, ...]
    unique: bool = False
    custom: bool = False

    def label(self) -> str:
        """The readable part of the index's name."""
        parts = [k.field.name + ("_desc" if k.descending else "") for k in self.keys]
        if self.custom:
            return f"{_CUSTOM}{self.kind}_{'_'.join(parts)}"
        return f"{PREFIX}{'ux' if self.unique else 'ix'}_{self.kind}_{'_'.join(parts)}"


def _key(schema: KindSchema, spec: str) -> IndexKey:
    name = spec[1:] if spec.startswith("-") else spec
    column = schema.by_name.get(name)
    if column is None:
        raise SchemaError(f"an index of {schema.kind} names a field it does not have", rule="STORE_01", value=spec)
    if not column.type.sortable:
        raise SchemaError(
            f"an index of {schema.kind} names a list or mapping field, which cannot be sorted",
            rule="STORE_01",
            value=spec,
        )
    return IndexKey(FieldRef(name, column.type, nullable=column.nullable), spec.startswith("-"))


def class_indexes(schema: KindSchema) -> list[Index]:
    """The indexes a record class declares, unique ones included."""
    out = []
    for specs, unique in ((schema.indexes, False), (schema.unique, True)):
        for spec in specs:
            if not isinstance(spec, tuple) or not spec or not all(isinstance(s, str) for s in spec):
                raise SchemaError(f"an index of {schema.kind} is a tuple of field names", rule="STORE_01", value=spec)
            if unique and any(s.startswith("-") for s in spec):
                raise SchemaError("a unique key names fields, without directions", rule="STORE_01", value=spec)
            out.append(Index(schema.kind, tuple(_key(schema, s) for s in spec), unique=unique))
    return out


def custom_field_indexes(kind: str, fields: Mapping[str, FieldType]) -> list[Index]:
    """The indexes of a kind's indexed custom fields: one per sort direction."""
    out = []
    for name in sorted(fields):
        if not fields[name].sortable:
            raise SchemaError(
                "a list custom field cannot be indexed (it cannot be sorted)", rule="STORE_01", value=name
            )
        ref = FieldRef(name, fields[name], custom=True)
        out += [Index(kind, (IndexKey(ref, desc),), custom=True) for desc in (False, True)]
    return out


def index_name(index: Index, definition: str) -> str:
    """``sk_...``: the readable label cut to fit, then a digest of the definition."""
    digest = hashlib.sha256(f"{index.unique}|{definition}".encode()).hexdigest()[:8]
    return f"{index.label()[: _MAX_NAME - 9]}_{digest}"


def legacy_names(schema: KindSchema) -> set[str]:
    """The names schema version 1 gave the indexes of these declarations."""
    names = set()
    for prefix, sets in (("ix", schema.indexes), ("ux", schema.unique)):
        for spec in sets:
            names.add(f"{prefix}_{schema.kind}_{'_'.join(s.lstrip('-') for s in spec)}")
    return names


def index_changes(
    dialect: Dialect,
    schemas: Iterable[KindSchema],
    existing: Mapping[str, str],
    custom: Mapping[str, Mapping[str, FieldType]] | None = None,
) -> list[str]:
    """The statements that bring the indexes of ``schemas`` to what they declare.

    ``existing`` maps the name of every index the database has to its table.
    Without ``custom`` the record classes' indexes are brought up to date (and
    custom-field indexes left alone); with it, only the custom-field indexes of
    the kinds it names, to exactly the fields it lists for each.  Drops come first.
    """
    wanted: dict[str, str] = {}
    owned: set[str] = set()
    mine: tuple[str, ...]
    for schema in schemas:
        if custom is None:
            indexes = class_indexes(schema)
            owned |= legacy_names(schema)
            mine = _CLASS
        elif schema.kind in custom:
            indexes = custom_field_indexes(schema.kind, custom[schema.kind])
            mine = (_CUSTOM,)
        else:
            continue
        for index in indexes:
            name, sql = dialect.create_index(index)
            wanted[name] = sql
        owned |= {n for n, table in existing.items() if table == schema.kind and n.startswith(mine)}
    drops = [dialect.drop_index(n) for n in sorted(owned) if n in existing and n not in wanted]
    return drops + [sql for name, sql in wanted.items() if name not in existing]
