"""Goal progress as a store computes it (GOAL_06): the one computed column a
store filters, sorts and groups by.

A store knows kinds and columns, not the rules: which statuses count as
finished or achieved comes from above as a :class:`ProgressSpec` of status sets
(:func:`successkit.goals.progress.progress_spec` builds it from the status
registry).  With it a store computes, for each goal, over the ``goal_link`` rows
whose CTA or plan still exists: ``linked``, ``closed`` (finished, won or lost)
and ``achieved`` (a CTA whose status is a won one; a plan whose status is a
won one, or a judged one -- closed -- with no more of its objectives lost than
won), and the column :data:`PROGRESS`, ``100 * achieved / linked`` (None when
nothing is linked).  A query names the column like a custom field of goals
(the caller binds it as an extra ``FLOAT`` field), so its conditions, sort and
grouping follow the query language's semantics, nulls last.

The default implementation (:class:`Reference`) is written with the store's
own reads and the reference evaluator: the memory store uses it, and so does a
third-party backend until it brings its own.  The SQL backends compute the
column in the database (:mod:`.progress_sql`), and the differential tests hold
them to the reference.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import attrs

from successkit.errors import ValidationError
from successkit.query import evaluate
from successkit.query.bind import And, BoundGroup, BoundQuery, FieldRef, Node, Not, Or, Pred
from successkit.query.schema import FieldType

__all__ = ["LINKED_KINDS", "PROGRESS", "ProgressSpec", "Reference", "Tally", "names_progress", "prefilter"]

#: The computed column's name, as queries name it.
PROGRESS = "progress"
#: The kinds of work a goal link points at, each with its table.
LINKED_KINDS = ("cta", "plan")
#: A goal's (linked, closed, achieved).
Tally = tuple[int, int, int]

#: Reads a kind's records matching a condition tree (None: all of them).
Read = Callable[[str, Node | None], Iterable[Any]]
#: Reads records of a kind by id.
GetMany = Callable[[str, list[str]], Iterable[Any]]


def _statuses(value: Any) -> tuple[str, ...]:
    if isinstance(value, str) or not all(isinstance(v, str) for v in value):
        raise ValidationError("a progress status set is a collection of status keys", value=value)
    return tuple(dict.fromkeys(value))


@attrs.frozen
class ProgressSpec:
    """The status sets that define progress (GOAL_06), each a tuple of status keys.

    ``*_finished`` statuses are closed, won or lost; ``*_won`` ones are
    achieved; ``plan_judged`` ones (closed) are achieved when no more of the
    plan's objectives are in ``objective_lost`` than in ``objective_won``.
    A status in none of them (unknown ones too) is open.
    """

    cta_won: tuple[str, ...] = attrs.field(converter=_statuses)
    cta_finished: tuple[str, ...] = attrs.field(converter=_statuses)
    plan_won: tuple[str, ...] = attrs.field(converter=_statuses)
    plan_judged: tuple[str, ...] = attrs.field(converter=_statuses)
    plan_finished: tuple[str, ...] = attrs.field(converter=_statuses)
    objective_won: tuple[str, ...] = attrs.field(converter=_statuses)
    objective_lost: tuple[str, ...] = attrs.field(converter=_statuses)

    def won(self, kind: str) -> tuple[str, ...]:
        return self.cta_won if kind == "cta" else self.plan_won

    def finished(self, kind: str) -> tuple[str, ...]:
        return self.cta_finished if kind == "cta" else self.plan_finished


def percent(tally: Tally) -> float | None:
    """100 x achieved / linked, or None when nothing is linked: the column's value."""
    return None if tally[0] == 0 else 100.0 * tally[2] / tally[0]


def names_progress(node: Node | None) -> bool:
    """Whether a condition tree reads the computed column."""
    if node is None:
        return False
    if isinstance(node, Pred):
        return node.field.custom and node.field.name == PROGRESS
    if isinstance(node, Not):
        return names_progress(node.item)
    return any(names_progress(n) for n in node.items)


def prefilter(node: Node | None) -> Node | None:
    """The part of a condition tree that every match satisfies and that does not
    read the computed column: its conjuncts that do not.  Progress needs
    computing only for the goals it lets through."""
    if node is None or not names_progress(node):
        return node
    if not isinstance(node, And):
        return None
    kept = tuple(n for n in node.items if not names_progress(n))
    return None if not kept else kept[0] if len(kept) == 1 else And(kept)


def plain(node: Node | None) -> Node | None:
    """A condition tree with the computed column read as a column of its own
    (``custom=False``): how the SQL backends, which select it as one, compile it."""
    if node is None:
        return None
    if isinstance(node, Pred):
        return attrs.evolve(node, field=as_column(node.field))
    if isinstance(node, Not):
        return Not(plain(node.item))  # type: ignore[arg-type]
    items = tuple(plain(n) for n in node.items)
    return And(items) if isinstance(node, And) else Or(items)  # type: ignore[arg-type]


def as_column(field: FieldRef) -> FieldRef:
    """The computed column as a nullable FLOAT column; any other field as it is."""
    if field.custom and field.name == PROGRESS:
        return FieldRef(PROGRESS, FieldType.FLOAT, nullable=True)
    return field


def check_kind(query: BoundQuery) -> None:
    if query.kind != "goal":
        raise ValidationError("progress is computed for goals only", rule="GOAL_06", value=query.kind)


def _in(field: str, values: Sequence[str]) -> Pred:
    return Pred(FieldRef(field, FieldType.TEXT), "in", tuple(values))


class Reference:
    """The reference semantics, computed from a store's own reads: the goals the
    prefilter lets through (one read), their links (one), the linked CTAs and
    plans (one each) and the objectives of the judged plans (one)."""

    def __init__(self, read: Read, get_many: GetMany, spec: ProgressSpec) -> None:
        self.read, self.get_many, self.spec = read, get_many, spec

    def matching(self, where: Node | None) -> list[tuple[Any, Any, Tally]]:
        """(record, record with progress as a custom value, tally) of each goal
        matching ``where``, in no particular order."""
        goals = list(self.read("goal", prefilter(where)))
        tallies = self.tallies([g.id for g in goals])
        out = []
        for g in goals:
            tally = tallies.get(g.id, (0, 0, 0))
            seen = attrs.evolve(g, fields={**g.fields, PROGRESS: percent(tally)})
            if evaluate.matches(where, seen):
                out.append((g, seen, tally))
        return out

    def query(self, query: BoundQuery) -> list[tuple[Any, Tally]]:
        rows = self.matching(query.where)
        by_id = {seen.id: (g, tally) for g, seen, tally in rows}
        ordered = evaluate.page(evaluate.sort_records([seen for _, seen, _ in rows], query), query)
        return [by_id[seen.id] for seen in ordered]

    def count(self, query: BoundQuery) -> int:
        return len(self.matching(query.where))

    def group_counts(self, query: BoundQuery, group: BoundGroup) -> list[tuple[Any, int]]:
        return evaluate.group_counts([seen for _, seen, _ in self.matching(query.where)], group)

    def tallies(self, ids: list[str]) -> dict[str, Tally]:
        """(linked, closed, achieved) of each goal of ``ids`` that has links."""
        if not ids:
            return {}
        spec = self.spec
        links = list(self.read("goal_link", And((_in("goal_id", ids), _in("item_kind", LINKED_KINDS)))))
        status: dict[tuple[str, str], str] = {}
        for kind in LINKED_KINDS:
            wanted = list(dict.fromkeys(x.item_id for x in links if x.item_kind == kind))
            status.update(((kind, r.id), r.status) for r in (self.get_many(kind, wanted) if wanted else ()))
        judged = [i for (kind, i), s in status.items() if kind == "plan" and s in spec.plan_judged]
        votes = dict.fromkeys(judged, 0)
        if judged and (spec.objective_won or spec.objective_lost):
            where = And((_in("plan_id", judged), _in("status", spec.objective_won + spec.objective_lost)))
            for o in self.read("objective", where):
                votes[o.plan_id] += 1 if o.status in spec.objective_won else -1
        out: dict[str, list[int]] = {}
        for x in links:
            s = status.get((x.item_kind, x.item_id))
            if s is None:
                continue  # the item was deleted: it no longer counts
            on_vote = x.item_kind == "plan" and s in spec.plan_judged
            won = s in spec.won(x.item_kind) or (on_vote and votes[x.item_id] >= 0)
            tally = out.setdefault(x.goal_id, [0, 0, 0])
            tally[0] += 1
            tally[1] += s in spec.finished(x.item_kind)
            tally[2] += won
        return {i: (t[0], t[1], t[2]) for i, t in out.items()}
