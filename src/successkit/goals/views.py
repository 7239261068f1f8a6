"""The goal list view (GOAL_07-GOAL_10): chosen columns, progress, grouping,
sorting and filtering with the query language.

Everything runs in the database: the filter, the sort, the limit and the group
counts.  Progress is computed from the linked CTAs and plans (GOAL_06); a view
that filters, groups or sorts by it asks the store for goals with their
progress (``Store.query_progress`` and its count and group-count siblings,
:mod:`successkit.storage.progress`), which computes the column in the same
query on the SQL backends, so the page's rows arrive with their progress.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

import attrs

from successkit.errors import QueryError
from successkit.query.bind import BoundGroup, BoundQuery, FieldRef, resolve_field
from successkit.query.evaluate import group_decoder, group_key
from successkit.query.language import ByField, CalendarQuarter, Condition, FiscalQuarter, Query, Sort, combine
from successkit.query.schema import FieldType
from successkit.records import Company, Goal, Relationship
from successkit.records.checks import text_list
from successkit.service import Where
from successkit.storage.progress import ProgressSpec, Tally, names_progress, percent

from .progress import GoalProgress, progress_spec

if TYPE_CHECKING:
    from successkit.kit import Kit

__all__ = ["DEFAULT_COLUMNS", "GoalRow", "GoalView", "check_sort", "goal_view"]

#: The columns a goal list shows unless told otherwise (GOAL_07).
DEFAULT_COLUMNS = ("name", "due_date", "status", "progress")
#: The default order: newest created first (GOAL_07).
DEFAULT_SORT = ("-created_at",)
#: The computed column (GOAL_06): filtered, grouped and sorted like a number field.
PROGRESS = "progress"
#: Custom field types whose columns cannot be sorted (GOAL_09).
UNSORTABLE_TYPES = ("dropdown", "multiselect")
#: Built-in goal fields shown as a dropdown, so not sortable either (GOAL_09):
#: a status sorted by its key would read alphabetically, not in any useful order.
UNSORTABLE_FIELDS = ("status",)


@attrs.frozen
class GoalRow:
    """One row of a goal list: the goal, its progress, its group and the
    values of the view's columns (``row["due_date"]``)."""

    goal: Goal
    progress: GoalProgress
    values: Mapping[str, Any]
    group: Any = None

    def __getitem__(self, column: str) -> Any:
        return self.values[column]


@attrs.frozen
class GoalView:
    """A page of the goal list.

    ``total`` counts every goal that matches (not just this page); ``groups``
    holds ``(group, count)`` pairs in display order when the view is grouped,
    and the rows then come group by group.
    """

    columns: tuple[str, ...]
    rows: tuple[GoalRow, ...]
    total: int
    groups: tuple[tuple[Any, int], ...] = ()
    grouped: bool = False

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[GoalRow]:
        return iter(self.rows)

    def __getitem__(self, i: int) -> GoalRow:
        return self.rows[i]

    def by_group(self) -> list[tuple[Any, list[GoalRow]]]:
        """The page's rows under their groups, in order."""
        out: list[tuple[Any, list[GoalRow]]] = []
        for row in self.rows:
            if not out or out[-1][0] != row.group:
                out.append((row.group, []))
            out[-1][1].append(row)
        return out

    def to_dicts(self) -> list[dict[str, Any]]:
        """Each row as a dict: ``group`` (when grouped), the columns, then ``id``."""
        return [{**({"group": r.group} if self.grouped else {}), **r.values, "id": r.goal.id} for r in self.rows]

    def to_pandas(self) -> Any:
        """A pandas DataFrame of the rows, typed like the goal's fields (needs the ``pandas`` extra)."""
        from successkit.views.frames import goal_view_frame

        return goal_view_frame(self)

    def _repr_html_(self) -> str:
        """The page as a table in notebooks, under each group's heading when grouped (DATA_01)."""
        from successkit.views import notebook as nb

        def cells(rows: Sequence[GoalRow]) -> str:
            values = [[nb.percent(v) if c == PROGRESS else v for c, v in r.values.items()] for r in rows]
            return nb.table(list(self.columns), values)

        parts = [nb.title("Goals", f"{len(self.rows)} of {self.total} shown")]
        if not self.grouped:
            parts.append(cells(self.rows))
        counts = dict(self.groups)
        for group, rows in self.by_group() if self.grouped else ():
            parts += [nb.subtitle(f"{nb.text(group) or '(no value)'} ({counts.get(group, len(rows))})"), cells(rows)]
        return nb.block(*parts)


# ------------------------------------------------------------------------------ building
def _resolve(kit: Kit, name: Any) -> FieldRef:
    schema = kit.store.schema("goal")
    try:
        return resolve_field(name, schema, kit.custom_field_types("goal"))
    except QueryError:
        return resolve_field(name, schema, kit.custom_field_types("goal", refresh=True))


def _column_value(goal: Goal, field: FieldRef) -> Any:
    return goal.fields.get(field.name) if field.custom else getattr(goal, field.name)


def check_sort(kit: Kit, sorts: Sequence[Sort]) -> list[tuple[Sort, FieldRef | None]]:
    """Each sort key with its field (None for progress); dropdown and
    multi-select fields, the built-in ``status`` included, are refused (GOAL_09)."""
    out: list[tuple[Sort, FieldRef | None]] = []
    for s in sorts:
        if s.field == "progress":
            out.append((s, None))
            continue
        field = _resolve(kit, s.field)
        if not field.custom and field.name in UNSORTABLE_FIELDS:
            raise QueryError(
                f"goals cannot be sorted by {field.name!r}: it is a dropdown field and dropdown "
                "fields are not sortable; group by it or filter on it instead",
                rule="GOAL_09",
                value=s.field,
            )
        if field.custom:
            decl = kit.custom_field_decls("goal").get(field.name)
            if decl is not None and decl.type in UNSORTABLE_TYPES:
                raise QueryError(
                    f"goals cannot be sorted by {field.name!r}: {decl.type} fields are not sortable; "
                    "group by it or filter on it instead",
                    rule="GOAL_09",
                    value=s.field,
                )
        out.append((s, field))
    return out


def _group_condition(group: BoundGroup, key: Any) -> tuple[Any, ...]:
    """A condition matching exactly the goals of one group."""
    name = f"fields.{group.field.name}" if group.field.custom else group.field.name
    if key is None:
        return (name, "is empty")
    if group.mode == "value":
        return (name, "=", key)
    year, quarter = (int(part) for part in str(key).removeprefix("FY").split("-Q"))
    index = (quarter - 1) * 3 + (group.start_month - 1 if group.mode == "fiscal" else 0)
    return (name, "between", (_month_start(year, index), _month_start(year, index + 3, last_day=True)))


def _month_start(year: int, index: int, *, last_day: bool = False) -> date:
    """The first day of month ``index`` (0-based, may pass 11) counted from
    January of ``year``, or with ``last_day`` the day before it, clamped to
    the calendar (a fiscal year 0 starts in year 1)."""
    y, m = year + index // 12, index % 12 + 1
    if y < 1:
        return date.min
    if y > 9999:
        return date.max
    first = date(y, m, 1)
    return date.fromordinal(first.toordinal() - 1) if last_day and first > date.min else first


def goal_view(
    kit: Kit,
    where: Where = None,
    *,
    logic: str | None = None,
    columns: Sequence[str] | None = None,
    extra_columns: Sequence[str] | None = (),
    sort: Any = None,
    group_by: str | CalendarQuarter | FiscalQuarter | Any = None,
    limit: int | None = None,
    offset: int = 0,
    company: Company | str | None = None,
    relationship: Relationship | str | None = None,
    relationships: bool | None = None,
) -> GoalView:
    """The goal list (GOAL_07-GOAL_10).

    - ``where`` / ``logic``: numbered conditions and an advanced-logic
      expression over their numbers (the query language, ``docs/queries.md``).
    - ``columns``: the columns to show (default name, due date, status,
      progress); ``extra_columns`` adds to them.  Any goal field, declared
      custom field or ``progress``.
    - ``sort``: field names, ``-field`` or ``(field, "desc")``; default newest
      created first.  Dropdown and multi-select fields (custom ones and the
      built-in ``status``) cannot be sorted (GOAL_09).
    - ``group_by``: a field name, ``CalendarQuarter("due_date")`` or
      ``FiscalQuarter("due_date", start_month=4)``.
    - ``company`` (with its relationships' goals when ``relationships=True``,
      GOAL_14; left out, the administrator's setting decides, off by default)
      or ``relationship`` narrow the list.

    Storage calls, however many goals: one query and one count, or, grouped,
    one group count and one query per group the page spans (one in all when
    unlimited); then one for the progress of the page's rows
    (:func:`~successkit.goals.progress.progress_of`), or none when the view
    filters, groups or sorts by progress, whose reads bring it with the rows.
    """
    if isinstance(where, Query):
        base = Query(conditions=where.conditions, logic=where.logic)
        sort = sort if sort is not None else (where.sort or None)
        limit = limit if limit is not None else where.limit
        offset = offset or where.offset
    else:
        base = Query(conditions=where or (), logic=logic)
    scope: list[Condition | tuple[Any, ...]] = []
    if company is not None:
        scope.append(("company_id", "=", kit.companies.id_of(company)))
        if not kit.goals.with_relationship_goals(relationships):
            scope.append(("relationship_id", "is empty"))
    if relationship is not None:
        scope.append(("relationship_id", "=", kit.relationships.id_of(relationship)))
    base = combine(scope, base)

    shown = DEFAULT_COLUMNS if columns is None else text_list("goal view", "columns", columns)
    names = list(dict.fromkeys([*shown, *text_list("goal view", "extra_columns", extra_columns)]))
    fields = {n: (None if n == PROGRESS else _resolve(kit, n)) for n in names}
    sorts = check_sort(kit, Query(sort=sort if sort is not None else DEFAULT_SORT).sort)
    by_progress = _by_progress(base, group_by) or any(f is None for _, f in sorts)
    reads = Reads(kit, progress_spec(kit) if by_progress else None)
    order = tuple(s for s, _ in sorts)
    bound = reads.bind(attrs.evolve(base, sort=order, limit=limit, offset=offset))  # checks it all (GOAL_10)
    bgroup = None if group_by is None else reads.bind_group(group_by)

    groups: list[tuple[Any, int]] = []
    if bgroup is None:
        goals = [(g, t, None) for g, t in reads.query(bound)]
        total = reads.count(bound)
    else:
        goals, groups, total = _grouped(reads, base, order, bgroup, limit, offset)

    progress = kit.goals.progress_many([g for g, t, _ in goals if t is None]) if not by_progress else {}
    rows = []
    for goal, tally, group in goals:
        p = progress[goal.id] if tally is None else GoalProgress(*tally)
        values = {n: (p.percent if f is None else _column_value(goal, f)) for n, f in fields.items()}
        rows.append(GoalRow(goal, p, values, group))
    return GoalView(tuple(names), tuple(rows), total, tuple(groups), bgroup is not None)


@attrs.frozen
class Reads:
    """The storage reads of one view: the plain ones, or, with ``spec``, the ones
    that compute progress (GOAL_06) and take it as a field of the goals."""

    kit: Kit
    spec: ProgressSpec | None

    @property
    def extra(self) -> dict[str, FieldType] | None:
        return None if self.spec is None else {PROGRESS: FieldType.FLOAT}

    def bind(self, query: Query) -> BoundQuery:
        return self.kit.bind("goal", query, extra=self.extra)

    def bind_group(self, group: Any) -> BoundGroup:
        bound = self.kit.bind_group("goal", group, extra=self.extra)
        if bound.mode == "range":  # a view's groups are pages of goals by a condition each
            raise QueryError("goal views group by a field or a quarter, not value ranges", value=group)
        return bound

    def query(self, bound: BoundQuery) -> list[tuple[Goal, Tally | None]]:
        """The goals in order, each with its tally when progress was computed."""
        if self.spec is None:
            return [(g, None) for g in self.kit.store.query(bound)]
        return list(self.kit.store.query_progress(bound, self.spec))

    def count(self, bound: BoundQuery) -> int:
        if self.spec is None or not names_progress(bound.where):  # a sort alone needs no progress to count
            return self.kit.store.count(bound)
        return self.kit.store.count_progress(bound, self.spec)

    def group_counts(self, bound: BoundQuery, group: BoundGroup) -> list[tuple[Any, int]]:
        if self.spec is None or not (names_progress(bound.where) or _is_progress(group.field)):
            return self.kit.store.group_counts(bound, group)
        return self.kit.store.group_counts_progress(bound, group, self.spec)


def _is_progress(field: FieldRef) -> bool:
    return field.custom and field.name == PROGRESS


def _label(group: BoundGroup, goal: Goal, tally: Tally | None) -> Any:
    """The group a goal falls in, in storage form (its progress read from its tally)."""
    if _is_progress(group.field):
        return None if tally is None else percent(tally)
    return group_key(goal, group)


def _grouped(
    reads: Reads, base: Query, sort: tuple[Sort, ...], group: BoundGroup, limit: int | None, offset: int
) -> tuple[list[tuple[Goal, Tally | None, Any]], list[tuple[Any, int]], int]:
    """Group counts in one query, then the page's rows group by group: one
    query per group the page spans (or one query for an unlimited view)."""
    groups = reads.group_counts(reads.bind(base), group)
    total = sum(n for _, n in groups)
    if limit is None:
        found = reads.query(reads.bind(attrs.evolve(base, sort=sort)))
        decode = group_decoder(group)
        rank = {key: i for i, (key, _) in enumerate(groups)}
        labelled = [(g, t, decode(_label(group, g, t))) for g, t in found]
        labelled.sort(key=lambda row: rank.get(row[2], len(rank)))
        return labelled[offset:], groups, total
    out: list[tuple[Goal, Tally | None, Any]] = []
    start, end = offset, offset + limit
    pos = 0
    for key, n in groups:
        if pos >= end:
            break
        lo, hi = max(start, pos), min(end, pos + n)
        if lo < hi:
            query = attrs.evolve(
                combine([_group_condition(group, key)], base), sort=sort, limit=hi - lo, offset=lo - pos
            )
            out.extend((g, t, key) for g, t in reads.query(reads.bind(query)))
        pos += n
    return out, groups, total


def _by_progress(base: Query, group_by: Any) -> bool:
    """Whether the view filters or groups by the computed progress."""
    grouped = group_by == PROGRESS or (isinstance(group_by, ByField) and group_by.field == PROGRESS)
    return grouped or any(c.field == PROGRESS for c in base.conditions)
