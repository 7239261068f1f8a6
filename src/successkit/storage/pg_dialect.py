"""The PostgreSQL spelling of queries and indexes (the store is in :mod:`.postgres`).

``%s`` placeholders; custom fields and lists in JSONB.  PostgreSQL sorts nulls
last ascending and first descending, so a descending key is spelled
``x DESC NULLS LAST`` and its index declared the same way; an ascending one is
plain ``x``.  A custom field's key reads as two typed parts (its number, its
text), in the order that puts numbers before text before missing values, and a
custom field's index holds the same two expressions, with the field's name
written in them as a literal so that the planner matches query and index.
"""

from __future__ import annotations

from typing import Any

import attrs

from successkit.errors import SchemaError
from successkit.query.bind import BoundGroup, BoundQuery, FieldRef, Pred
from successkit.query.schema import FieldType, KindSchema

from .sql import Compiled, Dialect, literal, quote

__all__ = ["PostgresDialect"]

_SQL_OPS = {"eq": "=", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}
_SCALAR_OPS = {*_SQL_OPS, "ne", "in", "not_in", "between"}


class PostgresDialect(Dialect):
    """PostgreSQL spelling: ``%s`` placeholders, JSONB for custom fields and lists."""

    placeholder = "%s"
    false = "FALSE"
    no_limit = None
    hundred = "CAST(100.0 AS double precision)"  # a bare 100.0 is numeric
    column_types = {  # noqa: RUF012 - a class-level table, like the base class's
        FieldType.TEXT: 'TEXT COLLATE "C"',
        FieldType.INTEGER: "BIGINT",
        FieldType.FLOAT: "DOUBLE PRECISION",
        FieldType.BOOLEAN: "BOOLEAN",
        FieldType.DATE: 'TEXT COLLATE "C"',
        FieldType.DATETIME: 'TEXT COLLATE "C"',
        FieldType.LIST: "JSONB",
        FieldType.JSON: "JSONB",
    }

    def fill_value(self, ftype: FieldType, value: Any) -> Any:
        """Booleans stay booleans: a BOOLEAN column takes no 0/1 (STORE_01)."""
        return bool(value) if ftype is FieldType.BOOLEAN else super().fill_value(ftype, value)

    def field(self, f: FieldRef, datepart: bool = False) -> Compiled:
        if not f.custom and f.type is FieldType.BOOLEAN:
            return f"({quote(f.name)})::int", []  # booleans compare as 0/1, as query values are
        return super().field(f, datepart)

    # A custom value is JSON: under a declared field it may still hold another
    # scalar type (written before the field was declared).  The other backends
    # compare such values as stored, numbers (and flags as 0/1) before text, so
    # here a custom scalar is read as two typed parts: its number and its text.
    @staticmethod
    def _k(k: str) -> Compiled:
        """The key of a custom field in ``fields``: a literal when it can be one."""
        text = literal(k)
        return (text, []) if text else ("%s", [k])

    def _value(self, k: str) -> Compiled:
        key, p = self._k(k)
        return f'"fields" -> {key}', p

    def _num(self, k: str) -> Compiled:
        key, p = self._k(k)
        return (
            f'(CASE jsonb_typeof("fields" -> {key}) WHEN \'number\' THEN ("fields" ->> {key})::double precision '
            f"WHEN 'boolean' THEN (\"fields\" ->> {key})::boolean::int END)",
            p + p + p,
        )

    def _txt(self, k: str, datepart: bool = False) -> Compiled:
        key, p = self._k(k)
        sql = f'((CASE WHEN jsonb_typeof("fields" -> {key}) = \'string\' THEN "fields" ->> {key} END) COLLATE "C")'
        return (f"substr({sql}, 1, 10)" if datepart else sql), p + p

    def custom(self, field: FieldRef) -> Compiled:
        """A custom field's text part (lists: the JSON value); see :meth:`_custom_pred`."""
        if field.type is FieldType.LIST:
            return self._value(field.name)
        return self._txt(field.name)

    def _pred(self, p: Pred) -> Compiled:
        if p.field.custom and p.field.type is not FieldType.LIST and p.op in _SCALAR_OPS:
            return self._custom_pred(p)
        return super()._pred(p)

    def _custom_pred(self, p: Pred) -> Compiled:
        num, num_p = self._num(p.field.name)
        txt, txt_p = self._txt(p.field.name, p.datepart)

        def compare(op: str, value: Any) -> Compiled:
            sql_op = _SQL_OPS[op]
            if isinstance(value, (int, float)):  # numbers below text
                text_side = "FALSE" if op in ("lt", "le", "eq") else f"{txt} IS NOT NULL"
                return f"(({num} {sql_op} %s) OR {text_side})", [*num_p, value, *(txt_p if op in ("gt", "ge") else [])]
            num_side = f"{num} IS NOT NULL" if op in ("lt", "le") else "FALSE"
            return f"(({num_side}) OR ({txt} {sql_op} %s))", [*(num_p if op in ("lt", "le") else []), *txt_p, value]

        op = p.op
        if op in _SQL_OPS:
            return compare(op, p.value)
        if op == "between":
            lo, lo_p = compare("ge", p.value[0])
            hi, hi_p = compare("le", p.value[1])
            return f"({lo} AND {hi})", lo_p + hi_p
        if op in ("ne", "not_in"):
            inner, params = self._custom_pred(attrs.evolve(p, op="eq" if op == "ne" else "in"))
            return f"NOT COALESCE({inner}, FALSE)", params
        parts, params = [], []  # in
        for value in p.value:
            sql, ps = compare("eq", value)
            parts.append(sql)
            params.extend(ps)
        return "(" + " OR ".join(parts) + ")", params

    # --- sorting and indexes: one spelling for both
    def _key_parts(self, f: FieldRef, descending: bool) -> list[Compiled]:
        """What one sort key orders by, first to last.  A custom key ascending: its
        number part, then its text part (numbers, then text, then missing values,
        nulls last); descending: text, then number (text, numbers, missing)."""
        if not f.custom:  # flags sort as stored: false before true, as 0 before 1
            return [(quote(f.name), [])]
        num, txt = self._num(f.name), self._txt(f.name)
        return [txt, num] if descending else [num, txt]

    def sort_terms(self, field: FieldRef, descending: bool) -> Compiled:
        """Ascending, nulls come last by themselves; descending they are asked for last."""
        direction = " DESC NULLS LAST" if descending else ""
        parts = self._key_parts(field, descending)
        return ", ".join(sql + direction for sql, _ in parts), [v for _, params in parts for v in params]

    def index_columns(self, field: FieldRef, descending: bool) -> list[str]:
        direction = " DESC NULLS LAST" if descending else ""
        out = []
        for sql, params in self._key_parts(field, descending):
            if params:
                raise SchemaError("a custom field of this name cannot be indexed", rule="STORE_01", value=field.name)
            out.append((f"({sql})" if field.custom else sql) + direction)
        return out

    def group_parts(
        self, schema: KindSchema, query: BoundQuery, group: BoundGroup, source: Compiled | None = None
    ) -> Compiled:
        """For a custom field grouped by value: (number, text, count) rows."""
        num, num_p = self._num(group.field.name)
        txt, txt_p = self._txt(group.field.name)
        table, tparams = source or (self.table(schema.kind), [])
        where, params = self.where(query.where)
        return (
            f"SELECT {num}, {txt}, COUNT(*) FROM {table} WHERE {where} GROUP BY 1, 2",
            num_p + txt_p + tparams + params,
        )

    def group_terms(self, group: BoundGroup) -> list[Compiled]:
        if group.field.custom and group.mode == "value":
            return [self._num(group.field.name), self._txt(group.field.name)]  # numbers, then text
        return super().group_terms(group)

    def number(self, field: FieldRef) -> Compiled:
        return self._num(field.name) if field.custom else self.field(field)

    def date_text(self, field: FieldRef) -> Compiled:
        return self._txt(field.name) if field.custom else self.field(field)

    def distinct_value(self, field: FieldRef) -> Compiled:
        """A custom value as its typed part, tagged: 3 and 3.0 are one value, 3 and "3" two."""
        if not field.custom:
            return self.field(field)
        num, num_p = self._num(field.name)
        txt, txt_p = self._txt(field.name)
        return f"(CASE WHEN {num} IS NOT NULL THEN 'n:' || ({num})::text ELSE 't:' || {txt} END)", num_p + num_p + txt_p

    def to_int(self, expr: str) -> str:
        return f"({expr})::int"

    def to_text(self, expr: str) -> str:
        return f"({expr})::text"

    def year_month(self, x: str) -> str:
        return f"({x} ~ '^[0-9]{{4}}-(0[1-9]|1[0-2])')"

    #: The collation lower() uses: ICU's root locale lower-cases like Python's str.lower.
    lower_collation = "und-x-icu"

    def lower(self, expr: str) -> str:
        return f'lower(({expr})::text COLLATE "{self.lower_collation}")'

    def strpos(self, haystack: str, needle: str) -> str:
        return f"strpos({haystack}, {needle})"

    def empty(self, field: FieldRef, expr: str, params: list[Any]) -> Compiled:
        if field.custom and field.type is not FieldType.LIST:
            num, num_p = self._num(field.name)
            return f"({num} IS NULL AND ({expr} IS NULL OR {expr} = ''))", num_p + params + params
        if field.type is FieldType.LIST:
            return (
                f"(jsonb_typeof({expr}) IS DISTINCT FROM 'array' OR jsonb_array_length({expr}) = 0)",
                params + params,
            )
        if field.type is FieldType.TEXT:
            return f"({expr} IS NULL OR {expr} = '')", params + params
        return f"{expr} IS NULL", params

    def list_items(self, field: FieldRef) -> Compiled:
        source, params = self.custom(field) if field.custom else (quote(field.name), [])
        return (
            f"SELECT 1 FROM jsonb_array_elements(CASE WHEN jsonb_typeof({source}) = 'array' THEN {source} "
            "ELSE '[]'::jsonb END) AS e(item), LATERAL (SELECT e.item #>> '{}' AS value) AS v "
            "WHERE jsonb_typeof(e.item) = 'string'",
            params + params,
        )

    def many_values(self, values: list[Any]) -> Compiled:
        if all(isinstance(v, str) for v in values):
            return 'SELECT unnest(%s::text[]) COLLATE "C"', [list(values)]
        return "SELECT unnest(%s::double precision[])", [[float(v) for v in values]]
