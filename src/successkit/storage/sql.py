"""What the SQL backends share: compiling a bound query to parameterised SQL.

Every value travels as a parameter; identifiers come only from the record
schemas, never from user input.  The compiled SQL follows the reference
semantics of :mod:`successkit.query.evaluate` exactly: a ``NOT`` is compiled
as ``NOT COALESCE(x, 0)`` so that SQL's three-valued logic never leaks out, and
sorting puts nulls last in both directions, ties broken by id.  Each dialect
spells a sort key the way its database can read it from an index
(:meth:`Dialect.sort_terms`), and creates the declared indexes with the very
same key columns (:meth:`Dialect.index_columns`, :mod:`.indexes`).

Whatever its size, a query stays within the limits databases put on one
statement: long AND/OR chains are nested as balanced trees (SQLite refuses
expressions deeper than 1000), and long ``in`` lists travel as one parameter.
"""

from __future__ import annotations

import functools
from typing import Any, ClassVar

import attrs

from successkit.errors import SchemaError
from successkit.query.aggregate import BoundMeasure, sorted_rows, whole_number
from successkit.query.bind import And, BoundGroup, BoundQuery, FieldRef, Node, Not, Or, Pred
from successkit.query.schema import FieldType, KindSchema, storage_scalar

from .indexes import Index, index_name

__all__ = ["Compiled", "Dialect", "aggregate_rows", "quote"]

Compiled = tuple[str, list[Any]]

_COMPARE = {"eq": "=", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}
#: AND/OR chains longer than this are split in halves, recursively.
_FLAT = 8


@functools.lru_cache(maxsize=4096)
def quote(name: str) -> str:
    """Quote an identifier taken from a schema (never from user input); remembered,
    as every statement quotes the same few names."""
    if not name.replace("_", "").isalnum():
        raise ValueError(f"bad identifier {name!r}")
    return f'"{name}"'


def literal(text: str) -> str | None:
    """A name (a custom field's) as an SQL string literal, when it is plain
    letters, digits and ``_``; else None, and it travels as a parameter.  Index
    expressions take no parameters, and a query's expression must be the same
    text as the index's for the database to match them."""
    return f"'{text}'" if text and text.replace("_", "").isalnum() and text.isascii() else None


def _default_of(field: Any) -> Any:
    """The value a field's default gives (a factory is called), or None."""
    default = field.default
    if default is attrs.NOTHING:
        return None
    if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
        return None if default.takes_self else default.factory()
    return default


@functools.cache
def _columns(schema: KindSchema) -> str:
    """The quoted column list of a kind, made once (every query reads all columns)."""
    return ", ".join(quote(c) for c in schema.names)


def _balanced(parts: list[str], joiner: str) -> str:
    """Join conditions, nesting a long chain as a balanced tree of halves so
    that its depth grows with the logarithm of its length."""
    if len(parts) <= _FLAT:
        return joiner.join(parts)
    mid = len(parts) // 2
    return f"({_balanced(parts[:mid], joiner)}){joiner}({_balanced(parts[mid:], joiner)})"


class Dialect:
    """SQL spelling; subclasses adjust placeholders and JSON access."""

    placeholder = "?"
    #: The namespace (PostgreSQL schema) every table name is qualified with, if any (SEC_01).
    namespace: str | None = None
    #: The literal for false where a condition may be NULL.
    false = "0"
    #: What LIMIT takes to mean "no limit" when only an offset is given.
    no_limit: Any = -1
    #: 100 as a double-precision number, whatever it multiplies (goal progress).
    hundred = "100.0"
    column_types: ClassVar[dict[FieldType, str]] = {
        FieldType.TEXT: "TEXT",
        FieldType.INTEGER: "INTEGER",
        FieldType.FLOAT: "REAL",
        FieldType.BOOLEAN: "INTEGER",
        FieldType.DATE: "TEXT",
        FieldType.DATETIME: "TEXT",
        FieldType.LIST: "TEXT",
        FieldType.JSON: "TEXT",
    }

    # --- hooks for the dialects
    def custom(self, field: FieldRef) -> Compiled:
        """The SQL expression reading a custom field's value."""
        raise NotImplementedError

    def lower(self, expr: str) -> str:
        """Lower-case text the way Python's ``str.lower`` does; NULL for non-text."""
        raise NotImplementedError

    def empty(self, field: FieldRef, expr: str, params: list[Any]) -> Compiled:
        """Whether a value is missing, '' or an empty list."""
        raise NotImplementedError

    def list_items(self, field: FieldRef) -> Compiled:
        """A sub-select of the elements of a list value (column ``value``);
        yields nothing when the value is not a list."""
        raise NotImplementedError

    def ids_param(self, ids: list[str]) -> Compiled:
        """``IN``-list for many ids with one parameter."""
        raise NotImplementedError

    #: ``in`` lists longer than this go through :meth:`many_values`.
    inline_values = 500

    def many_values(self, values: list[Any]) -> Compiled:
        """A sub-select (column ``value``) of many query values from one parameter,
        equal value for value to the values themselves."""
        raise NotImplementedError

    def table(self, kind: str) -> str:
        """A record kind's table, qualified with the namespace so that no search
        path can send a statement to another schema's table (SEC_01)."""
        return f"{quote(self.namespace)}.{quote(kind)}" if self.namespace else quote(kind)

    def fill_value(self, ftype: FieldType, value: Any) -> Any:
        """A field's default as a parameter filling a newly added column (STORE_01)."""
        return storage_scalar(ftype, value)

    # --- schema
    def create_table(self, schema: KindSchema) -> str:
        """``CREATE TABLE IF NOT EXISTS`` for a record kind, one column per field."""
        cols = ", ".join(
            f"{quote(c.name)} {self.column_types[c.type]}" + (" PRIMARY KEY" if c.name == "id" else "")
            for c in schema.columns
        )
        return f"CREATE TABLE IF NOT EXISTS {self.table(schema.kind)} ({cols})"

    def upgrade_table(self, schema: KindSchema, existing: set[str]) -> list[Compiled]:
        """Statements that add the columns a newer library version brought, filled
        with the field's default (the indexes: :func:`.indexes.index_changes`)."""
        table = self.table(schema.kind)
        out: list[Compiled] = []
        for col, field in zip(schema.columns, attrs.fields(schema.cls), strict=True):
            if col.name in existing:
                continue
            out.append((f"ALTER TABLE {table} ADD COLUMN {quote(col.name)} {self.column_types[col.type]}", []))
            default = _default_of(field)
            if default is not None:
                out.append(
                    (f"UPDATE {table} SET {quote(col.name)} = {self.placeholder}", [self.fill_value(col.type, default)])
                )
        return out

    # --- indexes
    def index_columns(self, field: FieldRef, descending: bool) -> list[str]:
        """The index columns that give the order :meth:`sort_terms` asks for: here
        the field's expression in the sort's direction, which serves filters on it
        whatever the dialect makes of sorts.  An expression that needs parameters
        (a custom field with an unusual name) cannot be indexed."""
        x, params = self.field(field)
        if params:
            raise SchemaError("a custom field of this name cannot be indexed", rule="STORE_01", value=field.name)
        return [f"{x} DESC" if descending else x]

    def create_index(self, index: Index) -> tuple[str, str]:
        """(name, ``CREATE INDEX`` statement) of a declared index: its keys as
        :meth:`index_columns` spells them, then ``id``, the tie-break of every sort
        (a unique index: its columns alone)."""
        if index.unique:
            columns = [quote(k.field.name) for k in index.keys]
        else:
            columns = [c for k in index.keys for c in self.index_columns(k.field, k.descending)]
            if index.keys[-1].field.name != "id" or index.keys[-1].field.custom:
                columns.append(quote("id"))
        definition = ", ".join(columns)
        name = index_name(index, definition)
        unique = "UNIQUE " if index.unique else ""
        return name, (f"CREATE {unique}INDEX IF NOT EXISTS {quote(name)} ON {self.table(index.kind)} ({definition})")

    def drop_index(self, name: str) -> str:
        """``DROP INDEX`` of a successkit index (named in the namespace, like a table)."""
        return f"DROP INDEX IF EXISTS {self.table(name)}"

    # --- shared compilation
    def field(self, f: FieldRef, datepart: bool = False) -> Compiled:
        sql, params = self.custom(f) if f.custom else (quote(f.name), [])
        if datepart:
            sql = f"substr({sql}, 1, 10)"
        return sql, params

    def where(self, node: Node | None) -> Compiled:
        if node is None:
            return "1=1", []
        return self._node(node)

    def _node(self, node: Node) -> Compiled:
        if isinstance(node, Pred):
            return self._pred(node)
        if isinstance(node, Not):
            sql, params = self._node(node.item)
            return f"NOT COALESCE(({sql}), {self.false})", params
        joiner = " AND " if isinstance(node, And) else " OR "
        assert isinstance(node, (And, Or))
        parts, params = [], []
        for item in node.items:
            s, p = self._node(item)
            parts.append(f"({s})")
            params.extend(p)
        return _balanced(parts, joiner), params

    def values(self, values: list[Any]) -> Compiled:
        """What goes inside ``IN (...)``: a placeholder per value, or one
        parameter for a long list (databases cap the parameters of a statement)."""
        if len(values) <= self.inline_values:
            return ", ".join([self.placeholder] * len(values)), list(values)
        return self.many_values(values)

    def _pred(self, p: Pred) -> Compiled:
        ph = self.placeholder
        x, params = self.field(p.field, p.datepart)
        op = p.op
        if op in ("empty", "not_empty"):
            sql, params = self.empty(p.field, x, params)
            return (sql if op == "empty" else f"NOT ({sql})"), params
        if op in ("has", "has_any", "has_none"):
            sub, sparams = self.list_items(p.field)
            marks, values = self.values([p.value] if op == "has" else list(p.value))
            exists = f"EXISTS ({sub} AND value IN ({marks}))"
            return (f"NOT {exists}" if op == "has_none" else exists), sparams + values
        if op in _COMPARE:
            return f"{x} {_COMPARE[op]} {ph}", [*params, p.value]
        if op == "ne":
            return f"({x} IS NULL OR {x} <> {ph})", [*params, *params, p.value]
        if op in ("in", "not_in"):
            marks, values = self.values(list(p.value))
            if op == "in":
                return f"{x} IN ({marks})", [*params, *values]
            return f"({x} IS NULL OR {x} NOT IN ({marks}))", [*params, *params, *values]
        if op == "between":
            return f"{x} BETWEEN {ph} AND {ph}", [*params, *p.value]
        if op == "contains":
            return f"{self.strpos(self.lower(x), ph)} > 0", [*params, p.value]
        if op == "starts_with":
            return f"substr({self.lower(x)}, 1, {ph}) = {ph}", [*params, len(p.value), p.value]
        raise AssertionError(f"unknown operator {op}")

    def strpos(self, haystack: str, needle: str) -> str:
        return f"instr({haystack}, {needle})"

    def sort_terms(self, field: FieldRef, descending: bool) -> Compiled:
        """``ORDER BY`` terms for one sort key, nulls last: the portable spelling,
        which no index serves; dialects spell it as their indexes can."""
        x, p = self.field(field)
        if not (field.custom or field.nullable):  # never null: no null test
            return (f"{x} DESC" if descending else x), p
        return f"({x}) IS NULL, {x}{' DESC' if descending else ''}", p + p

    def order_by(self, query: BoundQuery) -> Compiled:
        """Nulls last in both directions, ties by id."""
        parts, params = [], []
        for f, desc in query.sort:
            sql, p = self.sort_terms(f, desc)
            parts.append(sql)
            params.extend(p)
        if not query.sort or query.sort[-1][0].name != "id" or query.sort[-1][0].custom:
            parts.append('"id"')
        return ", ".join(parts), params

    def select(self, schema: KindSchema, query: BoundQuery, source: Compiled | None = None, more: str = "") -> Compiled:
        """The matching records' columns in order, paged; ``source`` reads them from a
        derived table instead of the kind's (see :mod:`.progress_sql`), ``more`` adds
        columns of it after the record's."""
        cols = _columns(schema) + (f", {more}" if more else "")
        table, params = source or (self.table(schema.kind), [])
        where, wparams = self.where(query.where)
        order, oparams = self.order_by(query)
        sql = f"SELECT {cols} FROM {table} WHERE {where} ORDER BY {order}"
        params = params + wparams + oparams
        if query.limit is not None or query.offset:
            sql += f" LIMIT {self.placeholder} OFFSET {self.placeholder}"
            params += [query.limit if query.limit is not None else self.no_limit, query.offset]
        return sql, params

    def count(self, schema: KindSchema, query: BoundQuery, source: Compiled | None = None) -> Compiled:
        table, params = source or (self.table(schema.kind), [])
        where, wparams = self.where(query.where)
        return f"SELECT COUNT(*) FROM {table} WHERE {where}", params + wparams

    def group(
        self, schema: KindSchema, query: BoundQuery, group: BoundGroup, source: Compiled | None = None
    ) -> Compiled:
        """Counts per value, or per (year, month) for quarters (folded in Python)."""
        x, xp = self.field(group.field)
        table, tparams = source or (self.table(schema.kind), [])
        where, params = self.where(query.where)
        if group.mode == "value":
            return f"SELECT {x}, COUNT(*) FROM {table} WHERE {where} GROUP BY 1", xp + tparams + params
        if group.mode == "range":
            ((r, rp),) = self.group_terms(group)
            return f"SELECT {r}, COUNT(*) FROM {table} WHERE {where} GROUP BY 1", rp + tparams + params
        ym = f"substr({x}, 1, 7)"
        return f"SELECT {ym}, COUNT(*) FROM {table} WHERE {where} GROUP BY 1", xp + tparams + params

    # --- aggregates (REPORT_01; the reference is successkit.query.aggregate)
    def aggregate(
        self, schema: KindSchema, query: BoundQuery, groups: tuple[BoundGroup, ...], measures: tuple[BoundMeasure, ...]
    ) -> tuple[Compiled, list[int]]:
        """``SELECT`` of the group keys and measures, grouped in the database; with it,
        how many columns each group key takes (:func:`aggregate_rows` reads them)."""
        if self.foldable(groups, measures):
            return self.folded_aggregate(schema, query, groups, measures)
        terms: list[str] = []
        params: list[Any] = []
        widths = []
        joins, jparams = self.related_joins(groups)
        for i, g in enumerate(groups):
            parts = [(f"sk_rel{i}.sk_v", [])] if g.via is not None else self.group_terms(g)
            widths.append(len(parts))
            for sql, p in parts:
                terms.append(sql)
                params += p
        keys = len(terms)
        for m in measures:
            sql, p = self.measure_term(m)
            terms.append(sql)
            params += p
        where, wparams = self.where(query.where)
        grouped = f" GROUP BY {', '.join(str(i) for i in range(1, keys + 1))}" if keys else ""
        sql = f"SELECT {', '.join(terms)} FROM {self.table(schema.kind)}{joins} WHERE {where}{grouped}"
        return (sql, params + jparams + wparams), widths

    @staticmethod
    def foldable(groups: tuple[BoundGroup, ...], measures: tuple[BoundMeasure, ...]) -> bool:
        """Whether a quarter grouping can be labelled after grouping by month: every
        measure re-aggregates (no distinct count) and no grouping reads a related record."""
        return (
            any(g.mode in ("quarter", "fiscal") for g in groups)
            and all(m.func != "count_distinct" for m in measures)
            and all(g.via is None for g in groups)
        )

    def folded_aggregate(
        self, schema: KindSchema, query: BoundQuery, groups: tuple[BoundGroup, ...], measures: tuple[BoundMeasure, ...]
    ) -> tuple[Compiled, list[int]]:
        """A quarter grouping's aggregate in two steps: group by the date's ``YYYY-MM``
        first (a cut of the text, cheap on every row), then label the few months and
        add them up into quarters (the label's checks and arithmetic run once per month,
        not once per record).  Sums, counts and extremes re-aggregate; a mean is its
        sum over its count."""
        inner: list[str] = []
        outer: list[str] = []
        params: list[Any] = []
        widths: list[int] = []
        for i, g in enumerate(groups):
            if g.mode in ("quarter", "fiscal"):
                x, p = self.field(g.field)
                inner.append(f"substr({x}, 1, 7) AS sk_k{i}")
                params += p
                label, _ = self.quarter(f"sk_fold.sk_k{i}", [], g)
                outer.append(label)
                widths.append(1)
                continue
            parts = self.group_terms(g)
            widths.append(len(parts))
            for j, (sql, p) in enumerate(parts):
                inner.append(f"{sql} AS sk_k{i}_{j}")
                outer.append(f"sk_fold.sk_k{i}_{j}")
                params += p
        keys = len(inner)
        for j, m in enumerate(measures):
            if m.func == "mean" and m.field is not None:
                x, p = self.number(m.field)
                inner += [f"SUM({x}) AS sk_m{j}", f"COUNT({x}) AS sk_c{j}"]
                params += p + p
                outer.append(f"CAST(SUM(sk_fold.sk_m{j}) AS DOUBLE PRECISION) / NULLIF(SUM(sk_fold.sk_c{j}), 0)")
                continue
            sql, p = self.measure_term(m)
            inner.append(f"{sql} AS sk_m{j}")
            params += p
            again = "SUM" if m.func in ("count", "sum") else _AGGREGATE_SQL[m.func]
            outer.append(f"{again}(sk_fold.sk_m{j})")
        where, wparams = self.where(query.where)
        inner_groups = ", ".join(str(i) for i in range(1, keys + 1))
        outer_groups = ", ".join(str(i) for i in range(1, len(groups) + sum(w - 1 for w in widths) + 1))
        sql = (
            f"SELECT {', '.join(outer)} FROM (SELECT {', '.join(inner)} FROM {self.table(schema.kind)} "
            f"WHERE {where} GROUP BY {inner_groups}) AS sk_fold GROUP BY {outer_groups}"
        )
        return (sql, params + wparams), widths

    def related_joins(self, groups: tuple[BoundGroup, ...]) -> Compiled:
        """For each related grouping, a ``LEFT JOIN`` of the referenced kind's id and the
        grouped field, as a derived table whose two columns no other table has, so the
        query's own conditions stay unambiguous."""
        sql, params = "", []
        for i, g in enumerate(groups):
            if g.via is None or g.via_kind is None:
                continue
            x, xp = self.field(g.field)
            via, vp = self.field(g.via)
            sql += (
                f' LEFT JOIN (SELECT "id" AS sk_id, {x} AS sk_v FROM {self.table(g.via_kind)}) AS sk_rel{i}'
                f" ON sk_rel{i}.sk_id = {via}"
            )
            params += xp + vp
        return sql, params

    def group_terms(self, group: BoundGroup) -> list[Compiled]:
        """The column(s) of one group key: the value, or the quarter's label."""
        if group.mode == "range":
            return [self.value_range(group)]
        x, p = self.field(group.field)
        return [(x, p)] if group.mode == "value" else [self.quarter(x, p, group)]

    def value_range(self, group: BoundGroup) -> Compiled:
        """The index of a number's range (0 below the first bound), as
        :func:`successkit.query.evaluate.group_key` gives it; NULL for other values."""
        x, p = self.number(group.field)
        whens = " ".join(f"WHEN {x} < {self.placeholder} THEN {i}" for i in range(len(group.bounds)))
        params = [v for b in group.bounds for v in (*p, b)]
        return f"(CASE WHEN {x} IS NULL THEN NULL {whens} ELSE {len(group.bounds)} END)", p + params

    def measure_term(self, m: BoundMeasure) -> Compiled:
        if m.field is None:
            return "COUNT(*)", []
        if m.func == "count_distinct":
            x, p = self.distinct_value(m.field)
            return f"COUNT(DISTINCT {x})", p
        x, p = self.number(m.field) if m.field.type in (FieldType.INTEGER, FieldType.FLOAT) else self.date_text(m.field)
        return f"{_AGGREGATE_SQL[m.func]}({x})", p

    def quarter(self, x: str, params: list[Any], group: BoundGroup) -> Compiled:
        """The quarter label (``2027-Q1``, ``FY2026-Q4``) of a date's first seven characters,
        exactly as :func:`successkit.query.bind.quarter_of` gives it; NULL for other values."""
        y, m = self.to_int(f"substr({_X}, 1, 4)"), self.to_int(f"substr({_X}, 6, 2)")
        if group.mode == "quarter":
            label = f"{self.to_text(y)} || '-Q' || {self.to_text(f'({m} + 2) / 3')}"
        else:
            s = int(group.start_month)  # checked 1..12 when bound: a literal, not input text
            year = f"{y} - (CASE WHEN {m} >= {s} THEN 0 ELSE 1 END)"
            shifted = f"(CASE WHEN {m} >= {s} THEN {m} - {s} ELSE {m} - {s} + 12 END)"
            label = f"'FY' || {self.to_text(year)} || '-Q' || {self.to_text(f'{shifted} / 3 + 1')}"
        sql = f"(CASE WHEN {self.year_month(_X)} THEN {label} END)"
        return sql.replace(_X, x), params * sql.count(_X)

    def to_int(self, expr: str) -> str:
        return f"CAST({expr} AS INTEGER)"

    def to_text(self, expr: str) -> str:
        return f"CAST({expr} AS TEXT)"

    def year_month(self, x: str) -> str:
        """Whether a value starts with ``YYYY-MM`` (a month 01 to 12)."""
        return f"({x} GLOB '[0-9][0-9][0-9][0-9]-[01][0-9]*' AND substr({x}, 6, 2) BETWEEN '01' AND '12')"

    def number(self, field: FieldRef) -> Compiled:
        """A field's value where it is a number (a custom field's other values: NULL)."""
        return self.field(field)

    def date_text(self, field: FieldRef) -> Compiled:
        """A date field's ISO text (a custom field's other values: NULL)."""
        return self.field(field)

    def distinct_value(self, field: FieldRef) -> Compiled:
        """What tells a field's values apart as the reference's storage keys do."""
        return self.field(field)


_AGGREGATE_SQL = {"sum": "SUM", "mean": "AVG", "min": "MIN", "max": "MAX"}
#: Where a quarter expression reads its value (replaced by the value's SQL, params repeated).
_X = "\x00x\x00"


def aggregate_rows(
    rows: list[tuple[Any, ...]], widths: list[int], groups: tuple[BoundGroup, ...], measures: tuple[BoundMeasure, ...]
) -> list[tuple[tuple[Any, ...], tuple[Any, ...]]]:
    """An aggregate's SQL rows as the reference gives them: a key of two columns is a
    custom value's (number, text) parts; keys ordered and decoded, measures decoded."""
    out = []
    for row in rows:
        keys: list[Any] = []
        i = 0
        for width in widths:
            if width == 2:
                num, txt = row[i], row[i + 1]
                keys.append(whole_number(float(num)) if num is not None else txt)
            else:
                keys.append(row[i])
            i += width
        out.append((tuple(keys), tuple(row[i:])))
    return sorted_rows(out, groups, measures)
