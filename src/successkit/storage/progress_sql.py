"""The SQL of the computed goal progress (GOAL_06, :mod:`.progress`), shared by the SQL backends.

A progress query reads its goals from a derived table, ``sk_goal``: every goal
column, the goal's tally (``sk_linked``, ``sk_closed``, ``sk_achieved``) and
``progress``.  The tallies come from one aggregate over the goal links: the
links to CTAs joined to ``cta`` and the links to plans joined to ``plan``, by
primary key, one branch each (an item that no longer exists joins nothing and
is not counted); a judged plan's objectives are counted by a correlated
subquery on ``objective.plan_id``, which runs only for the links to such plans.
The conjuncts of the filter that do not read progress
(:func:`~.progress.prefilter`: the company or relationship of a scoped list)
also restrict the aggregate to the goals they let through, so a narrow list
aggregates only its own goals' links; the whole filter, sort and page then
apply to the derived table exactly as to a table, compiled by the dialect.

Progress is ``100.0 * achieved / linked`` in double precision, the very
operations Python's reference makes, so equal progress is equal in both and a
group's key finds its goals again.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import attrs

from successkit.query.bind import BoundGroup, BoundQuery, Node
from successkit.query.schema import KindSchema

from .progress import LINKED_KINDS, ProgressSpec, Tally, as_column, plain, prefilter
from .sql import Compiled, Dialect, quote

__all__ = ["TALLY_COLUMNS", "SQLProgress", "plain_group", "plain_query", "source", "split_rows"]

#: The columns a progress select adds after the goal's own.
TALLY_COLUMNS = '"sk_linked", "sk_closed", "sk_achieved"'


def plain_query(query: BoundQuery) -> BoundQuery:
    """The query with progress read as the derived table's column."""
    return attrs.evolve(query, where=plain(query.where), sort=tuple((as_column(f), d) for f, d in query.sort))


def plain_group(group: BoundGroup) -> BoundGroup:
    return attrs.evolve(group, field=as_column(group.field))


def _in(dialect: Dialect, column: str, values: Sequence[str]) -> Compiled:
    """``column IN (...)``; false for no values (SQL has no empty list)."""
    if not values:
        return "1=0", []
    marks, params = dialect.values(list(values))
    return f"{column} IN ({marks})", params


def _aggregate(dialect: Dialect, spec: ProgressSpec, pre: Node | None) -> Compiled:
    """goal_id, sk_linked, sk_closed, sk_achieved of each goal with links to existing
    work: the links to CTAs and to plans, each joined to its table, counted together."""
    t = dialect.table
    scope, scope_p = "", list[Any]()
    if pre is not None:
        where, scope_p = dialect.where(pre)
        scope = f' AND l."goal_id" IN (SELECT "id" FROM {t("goal")} WHERE {where})'
    o_won, o_won_p = _in(dialect, 'o."status"', spec.objective_won)
    o_any, o_any_p = _in(dialect, 'o."status"', spec.objective_won + spec.objective_lost)
    vote = (
        f"CASE WHEN COALESCE((SELECT SUM(CASE WHEN {o_won} THEN 1 ELSE -1 END) FROM {t('objective')} o "
        f'WHERE o."plan_id" = x."id" AND {o_any}), 0) >= 0 THEN 1 ELSE 0 END'
    )
    parts, params = [], []
    for kind in LINKED_KINDS:
        done, done_p = _in(dialect, 'x."status"', spec.finished(kind))
        won, won_p = _in(dialect, 'x."status"', spec.won(kind))
        achieved, achieved_p = f"CASE WHEN {won} THEN 1", won_p
        if kind == "plan":  # a judged plan is achieved when its objectives say so; the vote runs only for it
            judged, judged_p = _in(dialect, 'x."status"', spec.plan_judged)
            achieved, achieved_p = f"{achieved} WHEN {judged} THEN {vote}", [*won_p, *judged_p, *o_won_p, *o_any_p]
        parts.append(
            f'SELECT l."goal_id" AS "goal_id", CASE WHEN {done} THEN 1 ELSE 0 END AS "closed", '
            f'{achieved} ELSE 0 END AS "achieved" FROM {t("goal_link")} l JOIN {t(kind)} x ON x."id" = l."item_id" '
            f"WHERE l.\"item_kind\" = '{kind}'{scope}"
        )
        params += [*done_p, *achieved_p, *scope_p]
    sql = (
        'SELECT "goal_id", COUNT(*) AS "sk_linked", SUM("closed") AS "sk_closed", SUM("achieved") AS "sk_achieved" '
        f'FROM ({" UNION ALL ".join(parts)}) AS w GROUP BY "goal_id"'
    )
    return sql, params


def source(dialect: Dialect, schema: KindSchema, spec: ProgressSpec, where: Node | None) -> Compiled:
    """The derived table ``sk_goal`` for a query whose filter is ``where`` (as bound)."""
    cols = ", ".join(f"g.{quote(c)}" for c in schema.names)
    agg, params = _aggregate(dialect, spec, prefilter(where))
    sql = (
        f'(SELECT {cols}, COALESCE(pr."sk_linked", 0) AS "sk_linked", '
        'COALESCE(pr."sk_closed", 0) AS "sk_closed", COALESCE(pr."sk_achieved", 0) AS "sk_achieved", '
        f'CASE WHEN pr."sk_linked" > 0 THEN {dialect.hundred} * pr."sk_achieved" / pr."sk_linked" END AS "progress" '
        f'FROM {dialect.table(schema.kind)} g LEFT JOIN ({agg}) pr ON pr."goal_id" = g."id") AS "sk_goal"'
    )
    return sql, params


def split_rows(schema: KindSchema, rows: Sequence[Sequence[Any]]) -> list[tuple[Any, Tally]]:
    """(record, tally) pairs from the rows of a progress select: the record's columns, then the tally's."""
    n = len(schema.names)
    from_row = schema.from_row
    return [(from_row(tuple(r[:n])), (int(r[n]), int(r[n + 1]), int(r[n + 2]))) for r in rows]


class _SQLStore(Protocol):
    """What :class:`SQLProgress` needs of the store it is mixed into."""

    dialect: Dialect

    def _fetch(self, sql: str, params: list[Any]) -> list[tuple[Any, ...]]: ...

    def _group_counts(
        self, schema: KindSchema, query: BoundQuery, group: BoundGroup, source: Compiled | None = None
    ) -> list[tuple[Any, int]]: ...


class SQLProgress:
    """The progress reads of a SQL store (mixed in before :class:`~.base.Store`): each
    one statement over :func:`source`, run by the store's ``_fetch``, grouped by its
    ``_group_counts`` reading from the derived table."""

    def _query_progress(
        self: _SQLStore, schema: KindSchema, query: BoundQuery, spec: ProgressSpec
    ) -> list[tuple[Any, Tally]]:
        src = source(self.dialect, schema, spec, query.where)
        return split_rows(schema, self._fetch(*self.dialect.select(schema, plain_query(query), src, TALLY_COLUMNS)))

    def _count_progress(self: _SQLStore, schema: KindSchema, query: BoundQuery, spec: ProgressSpec) -> int:
        src = source(self.dialect, schema, spec, query.where)
        return int(self._fetch(*self.dialect.count(schema, plain_query(query), src))[0][0])

    def _group_counts_progress(
        self: _SQLStore, schema: KindSchema, query: BoundQuery, group: BoundGroup, spec: ProgressSpec
    ) -> list[tuple[Any, int]]:
        src = source(self.dialect, schema, spec, query.where)
        return self._group_counts(schema, plain_query(query), plain_group(group), src)
