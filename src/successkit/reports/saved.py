"""Saved reports (REPORT_02): aggregate definitions stored by name and run on demand.

A definition names a record set (``company``, ``cta``...), its conditions and
logic, one or two groupings, the measures, the order of the rows and, when it
has one, its chart.  Everything is checked against the record kind when the
report is saved, so a stored report always runs: an unknown field or measure, a
sum over text, a grouping that cannot apply (a quarter of a text field), a sort
by a column the report has not, or a chart without a numeric measure is refused
with an error naming the value, and nothing is written.

Groupings are stored JSON-ready: a field name (``"stage"``),
``{"field": "renewal_date", "quarter": "calendar"}``,
``{"field": "renewal_date", "quarter": "fiscal", "start_month": 2}`` or
``{"field": "arr", "ranges": [10000, 100000]}`` or ``{"field": "csm_id", "via": "company_id"}``
(a field of the record a reference names); the grouping objects of
:mod:`successkit.query.language` are taken too and stored in that form.
"""

from __future__ import annotations

import builtins
import html
import json
from collections.abc import Mapping, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

import attrs

from successkit.errors import QueryError, RuleViolation, SuccessKitError
from successkit.query.aggregate import bind_measures
from successkit.query.bind import referenced_kind
from successkit.query.language import ByField, ByRange, ByRelated, CalendarQuarter, Condition, FiscalQuarter, Query
from successkit.query.schema import FieldType
from successkit.records import Report
from successkit.service import Service, aggregate_kind, group_name
from successkit.views.aggregate_table import AggregateRow, AggregateTable

from .charts import Svg, bar_chart, line_chart, stacked_bar_chart

if TYPE_CHECKING:
    from successkit.kit import Kit

__all__ = [
    "CHART_TYPES", "RECORD_SETS", "ReportResult", "ReportService", "chart_of", "check_report", "deploy_report",
    "grouping", "report_asset", "sort_table",
]  # fmt: skip

#: The record sets a report can read.
RECORD_SETS = (
    "company", "relationship", "person", "plan", "objective", "cta", "task", "activity",
    "goal", "survey_response", "score_snapshot", "usage_fact",
)  # fmt: skip
#: The charts a report can be drawn as (REPORT_03).
CHART_TYPES = ("bar", "stacked_bar", "line")
_KEYS = frozenset({"where", "logic", "by", "measures", "sort", "chart"})
_NUMBERS = frozenset({FieldType.INTEGER, FieldType.FLOAT})


def _bad(message: str, value: Any) -> RuleViolation:
    return RuleViolation("REPORT_02", message, value=value)


def _json(value: Any) -> Any:
    """The JSON-ready form (dates as ISO text), so every backend stores the same."""
    try:
        return json.loads(json.dumps(value, default=lambda v: v.isoformat() if isinstance(v, date) else str(v)))
    except ValueError as e:
        raise _bad(f"a report definition must be JSON-ready: {e}", value) from None


def _grouping_json(g: Any) -> Any:
    """A grouping in its stored form."""
    if isinstance(g, str):
        return g
    if isinstance(g, ByField):
        return g.field
    if isinstance(g, CalendarQuarter):
        return {"field": g.field, "quarter": "calendar"}
    if isinstance(g, FiscalQuarter):
        return {"field": g.field, "quarter": "fiscal", "start_month": g.start_month}
    if isinstance(g, ByRange):
        return {"field": g.field, "ranges": list(g.bounds)}
    if isinstance(g, ByRelated):
        return {"field": g.field, "via": g.via}
    if isinstance(g, Mapping):
        return dict(g)
    raise _bad("a grouping is a field name or a mapping with 'field' and 'quarter' or 'ranges'", g)


def grouping(stored: Any) -> Any:
    """The grouping object of a stored grouping (the inverse of the stored form)."""
    if isinstance(stored, str):
        return stored
    if not isinstance(stored, Mapping) or not isinstance(stored.get("field"), str):
        raise _bad("a grouping is a field name or a mapping with 'field' and 'quarter' or 'ranges'", stored)
    extra = set(stored) - {"field", "quarter", "start_month", "ranges", "via"}
    if extra:
        raise _bad("a grouping has no key; known: field, quarter, start_month, ranges, via", sorted(extra)[0])
    if "via" in stored:
        if set(stored) != {"field", "via"}:
            raise _bad("a related grouping is {'field': ..., 'via': ...}", dict(stored))
        return ByRelated(stored["via"], stored["field"])
    if "ranges" in stored:
        return ByRange(stored["field"], stored["ranges"])
    quarter = stored.get("quarter")
    if quarter == "calendar":
        return CalendarQuarter(stored["field"])
    if quarter == "fiscal":
        month = stored.get("start_month", 4)
        if isinstance(month, bool) or not isinstance(month, int) or not 1 <= month <= 12:
            raise _bad("a fiscal year's start_month is 1 to 12", month)
        return FiscalQuarter(stored["field"], month)
    if quarter is None and set(stored) == {"field"}:
        return stored["field"]
    raise _bad("a grouping's quarter is 'calendar' or 'fiscal'", quarter)


def _condition(c: Any) -> list[Any]:
    if isinstance(c, Condition):
        return [c.field, c.op, c.value]
    if isinstance(c, (list, tuple)):
        return list(c)
    raise _bad("a condition is (field, operator, value)", c)


def check_report(kit: Kit, record_set: Any, definition: Mapping[str, Any]) -> dict[str, Any]:
    """The checked, JSON-ready definition of a report over ``record_set`` (REPORT_02);
    refuses what could not run, naming the value.  Reads no record."""
    if not isinstance(record_set, str) or record_set not in RECORD_SETS:
        raise _bad(f"a report reads one of {', '.join(RECORD_SETS)}", record_set)
    if not isinstance(definition, Mapping):
        raise _bad("a report definition is a mapping", definition)
    unknown = set(definition) - _KEYS
    if unknown:
        raise _bad(f"a report definition has no key; known: {', '.join(sorted(_KEYS))}", sorted(unknown)[0])
    where = definition.get("where") or []
    if isinstance(where, (str, bytes)) or not isinstance(where, Sequence):
        raise _bad("'where' is a list of conditions (field, operator, value)", where)
    by = definition.get("by") or []
    if isinstance(by, (str, Mapping, ByField, CalendarQuarter, FiscalQuarter, ByRange, ByRelated)):
        by = [by]
    if not isinstance(by, Sequence) or len(by) > 2:
        raise _bad("a report has at most 2 groupings", by)
    measures = definition.get("measures") or {"count": "count"}
    if not isinstance(measures, Mapping):
        raise _bad('measures map output names to functions, e.g. {"arr": "sum", "n": "count"}', measures)
    logic = definition.get("logic")
    if logic is not None and not isinstance(logic, str):
        raise _bad("logic is text such as '1 AND (2 OR 3)'", logic)
    out: dict[str, Any] = {
        "where": [_condition(c) for c in where],
        "logic": definition.get("logic"),
        "by": [_grouping_json(g) for g in by],
        "measures": dict(measures),
    }
    out = _json(out)
    try:
        query = Query(conditions=[tuple(c) for c in out["where"]], logic=out["logic"])
        kit.bind(record_set, query)
        groups = [kit.bind_group(record_set, grouping(g)) for g in out["by"]]
        measures = bind_measures(out["measures"], kit.store.schema(record_set), kit.custom_field_types(record_set))
    except QueryError as e:
        raise _bad(e.message, e.value) from None
    columns = [*(group_label(g) for g in groups), *(m.name for m in measures)]
    out["sort"] = _check_sort(definition.get("sort"), columns)
    numeric = numeric_measures(measures)
    if definition.get("chart") is not None:
        out["chart"] = _check_chart(definition["chart"], numeric, len(groups))
    result: dict[str, Any] = _json(out)
    return result


def group_label(group: Any) -> str:
    """A bound grouping's column name, as :class:`AggregateTable` names it."""
    return group_name(group)


def numeric_measures(measures: Sequence[Any]) -> list[str]:
    """The measures a chart can draw: counts, sums, means, and extremes of numbers."""
    return [
        m.name
        for m in measures
        if m.func in ("count", "count_distinct", "sum", "mean") or (m.field is not None and m.field.type in _NUMBERS)
    ]


def _check_sort(sort: Any, columns: Sequence[str]) -> list[str]:
    if sort is None:
        return []
    keys = [sort] if isinstance(sort, str) else sort
    if not isinstance(keys, Sequence) or not all(isinstance(k, str) for k in keys):
        raise _bad("a report's sort is a column name or a list of them ('-arr' for descending)", sort)
    for key in keys:
        if key.removeprefix("-") not in columns:
            raise _bad(f"a report sorts by its columns: {', '.join(columns)}", key)
    return list(keys)


def _check_chart(chart: Any, numeric: Sequence[str], groups: int) -> dict[str, Any]:
    if isinstance(chart, str):
        chart = {"type": chart}
    if not isinstance(chart, Mapping) or set(chart) - {"type", "measure", "title"}:
        raise _bad("a report's chart is a type or a mapping with 'type', 'measure' and 'title'", chart)
    if chart.get("type") not in CHART_TYPES:
        raise _bad(f"a chart is one of {', '.join(CHART_TYPES)}", chart.get("type"))
    if not numeric:
        raise _bad("a chart needs a numeric measure (count, sum, mean, or min or max of a number)", chart)
    measure = chart.get("measure", numeric[0])
    if measure not in numeric:
        raise _bad(f"a chart draws a numeric measure: {', '.join(numeric)}", measure)
    if not groups:
        raise _bad("a chart needs a grouping: its bars or points are the groups", chart)
    return {**chart, "measure": measure}


@attrs.frozen
class ReportResult:
    """What running a report gives: its ``table`` (an :class:`AggregateTable`) and
    the ``report`` it ran; reads as a table, exports to pandas, draws as a chart."""

    report: Report
    table: AggregateTable
    numeric: tuple[str, ...] = ()
    #: The names shown for group keys that are user ids (a CSM, an owner); the table keeps the ids.
    labels: Mapping[Any, str] = attrs.field(factory=dict)

    @property
    def rows(self) -> tuple[AggregateRow, ...]:
        return self.table.rows

    def __iter__(self) -> Any:
        return iter(self.table)

    def __len__(self) -> int:
        return len(self.table)

    @property
    def title(self) -> str:
        return self.report.title or self.report.name

    def to_dicts(self) -> builtins.list[dict[str, Any]]:
        return self.table.to_dicts()

    def to_pandas(self) -> Any:
        """A DataFrame, one column per grouping and per measure (needs pandas)."""
        return self.table.to_pandas()

    def chart(
        self, type: str | None = None, *, measure: str | None = None, width: int = 800, titled: bool = True
    ) -> Svg:
        """The report as an SVG chart (REPORT_03): the saved chart, or a bar chart of
        the first numeric measure.  Two groupings draw the second as series
        (stacked bars unless the chart says otherwise)."""
        saved = dict(self.report.definition.get("chart") or {})
        groups = len(self.table.groups)
        default = "stacked_bar" if groups == 2 else "bar"
        spec = _check_chart(
            {"type": type or saved.get("type", default), "measure": measure or saved.get("measure")}
            if (measure or saved.get("measure"))
            else {"type": type or saved.get("type", default)},
            self.numeric,
            groups,
        )
        title = saved.get("title") or self.title if titled else None
        return chart_of(self.table, spec["type"], spec["measure"], title, width, self.labels)

    def __str__(self) -> str:
        return f"{self.title}\n{self.table}"

    def to_html(self) -> str:
        """An HTML fragment: the title, the chart (when the report can have one) and the table."""
        chart = str(self.chart(titled=False)) if self.numeric and self.table.groups and len(self.table) else ""
        shown = attrs.evolve(
            self.table,
            rows=tuple(attrs.evolve(r, keys=tuple(self.labels.get(k, k) for k in r.keys)) for r in self.table.rows),
        )
        return (
            f'<section class="successkit-report"><h3>{html.escape(self.title)}</h3>{chart}{shown.to_html()}</section>'
        )

    def _repr_html_(self) -> str:
        return self.to_html()


def chart_of(
    table: AggregateTable,
    kind: str,
    measure: str,
    title: str | None,
    width: int = 800,
    labels: Mapping[Any, str] | None = None,
) -> Svg:
    """A chart of one measure of an aggregate: the first grouping along the axis, the
    second (if any) as series (grades in their order: Green, Yellow, Red); ``labels``
    names keys (a user's name for their id)."""
    draw = {"bar": bar_chart, "stacked_bar": stacked_bar_chart, "line": line_chart}[kind]
    names_of = labels or {}

    def _key(value: Any) -> str:
        return "(none)" if value is None else str(names_of.get(value, value))

    label = table.groups[0] if table.groups else None
    if len(table.groups) < 2:
        cats = [_key(r.keys[0]) if r.keys else "" for r in table.rows]
        return draw(cats, {measure: [r.values[measure] for r in table.rows]}, title=title, value_label=measure,
                    category_label=label, width=width)  # fmt: skip
    cats = list(dict.fromkeys(_key(r.keys[0]) for r in table.rows))
    names = list(dict.fromkeys(_key(r.keys[1]) for r in table.rows))
    if all(n in _GRADE_ORDER for n in names):
        names.sort(key=_GRADE_ORDER.index)
    cells = {(_key(r.keys[0]), _key(r.keys[1])): r.values[measure] for r in table.rows}
    series = {n: [cells.get((c, n)) for c in cats] for n in names}
    return draw(cats, series, title=title, value_label=measure, category_label=label, width=width)


_GRADE_ORDER = ("Green", "Yellow", "Red", "(none)")


class ReportService(Service[Report]):
    """``kit.reports``: saved reports by name (REPORT_02)."""

    record_class = Report
    named = True

    def save(
        self,
        name: str,
        record_set: str = "company",
        *,
        title: str | None = None,
        where: Sequence[Any] | None = None,
        logic: str | None = None,
        by: Any = None,
        measures: Mapping[str, Any] | None = None,
        sort: Any = None,
        chart: Any = None,
        bundle: str | None = None,
    ) -> Report:
        """Save a report under ``name``, replacing one of that name; the whole is
        checked before anything is written."""
        if not isinstance(name, str) or not name.strip() or len(name) > 200:
            raise _bad("a report name is non-blank text of at most 200 characters", name)
        if title is not None and (not isinstance(title, str) or len(title) > 200):
            raise _bad("a report title is text of at most 200 characters", title)
        if bundle is not None and (not isinstance(bundle, str) or not bundle.strip() or len(bundle) > 200):
            raise _bad("a report's bundle is the name of a bundle", bundle)
        given = {"where": where, "logic": logic, "by": by, "measures": measures, "sort": sort, "chart": chart}
        definition = check_report(self.kit, record_set, {k: v for k, v in given.items() if v is not None})
        with self.kit.store.exclusive("reports:definitions"), self.kit.transaction():
            found = self.list([("name", "=", name.strip())])
            changes = {"title": title, "record_set": record_set, "definition": definition, "bundle": bundle}
            if found:
                return self._save(found[0], changes)
            report = self._new(name=name.strip(), **changes)
            self.kit.store.insert(report)
        return report

    def delete(self, report: Report | str) -> None:
        """Delete a saved report."""
        with self.kit.store.exclusive("reports:definitions"), self.kit.transaction():
            self.kit.store.delete(self.kind, self.get(report).id)

    def run(self, report: Report | str) -> ReportResult:
        """Run a saved report (by name or record): one aggregate in the database, the
        rows in the report's order."""
        r = report if isinstance(report, Report) else self.get(report)
        d = r.definition
        try:
            table = aggregate_kind(
                self.kit, r.record_set, [tuple(c) for c in d.get("where", [])], logic=d.get("logic"),
                by=[grouping(g) for g in d.get("by", [])], measures=d.get("measures"),
            )  # fmt: skip
            measures = bind_measures(d.get("measures"), self.kit.store.schema(r.record_set),
                                     self.kit.custom_field_types(r.record_set))  # fmt: skip
        except SuccessKitError as e:  # a custom field removed since the report was saved
            raise _bad(f"report {r.name!r} no longer runs: {e.message}", e.value) from None
        labels = self._user_names(r, table)
        return ReportResult(r, sort_table(table, d.get("sort") or []), tuple(numeric_measures(measures)), labels)

    def _user_names(self, report: Report, table: AggregateTable) -> dict[Any, str]:
        """Names of the users whose ids are group keys (a grouping by a reference to
        users, such as ``csm_id``): one read, only when there is such a grouping."""
        columns = []
        for i, g in enumerate(report.definition.get("by", [])):
            bound = self.kit.bind_group(report.record_set, grouping(g))
            if referenced_kind(self.kit.store.schema(bound.via_kind or report.record_set), bound.field) == "user":
                columns.append(i)
        ids = sorted({row.keys[i] for row in table.rows for i in columns if isinstance(row.keys[i], str)})
        return {u.id: u.name for u in self.kit.store.get_many("user", ids)} if ids else {}


def sort_table(table: AggregateTable, keys: Sequence[str]) -> AggregateTable:
    """The table's rows ordered by columns (``-name`` descending), missing values last."""
    rows = list(table.rows)
    columns = list(table.groups)
    for key in reversed(keys):
        name, descending = key.removeprefix("-"), key.startswith("-")

        def read(row: AggregateRow, name: str = name) -> Any:
            return row.keys[columns.index(name)] if name in columns else row.values[name]

        present = [r for r in rows if read(r) is not None]
        present.sort(key=lambda r: _orderable(read(r)), reverse=descending)
        rows = present + [r for r in rows if read(r) is None]
    return attrs.evolve(table, rows=tuple(rows))


def _orderable(value: Any) -> Any:
    return (0, value) if isinstance(value, (int, float)) else (1, str(value))


def deploy_report(kit: Kit, asset: Mapping[str, Any], *, bundle: str | None = None) -> Report:
    """Install a report from its JSON form, as a bundle carries it (REPORT_02):
    ``{"name": ..., "title": ..., "record_set": "company", "where": [...], "by": [...],
    "measures": {...}, "sort": [...], "chart": {...}}``.  A report of that name is replaced."""
    if not isinstance(asset, Mapping) or not isinstance(asset.get("name"), str):
        raise _bad("a report asset is a mapping with a 'name'", asset)
    extra = set(asset) - _KEYS - {"name", "title", "record_set"}
    if extra:
        raise _bad("a report asset has no key; known: name, title, record_set, " + ", ".join(sorted(_KEYS)),
                   sorted(extra)[0])  # fmt: skip
    parts = {k: asset[k] for k in _KEYS if asset.get(k) is not None}
    return kit.reports.save(
        asset["name"], asset.get("record_set", "company"), title=asset.get("title"), bundle=bundle, **parts
    )


def report_asset(report: Report) -> dict[str, Any]:
    """A saved report's JSON form, which :func:`deploy_report` installs again."""
    out: dict[str, Any] = {"name": report.name, "record_set": report.record_set}
    if report.title:
        out["title"] = report.title
    out.update({k: v for k, v in report.definition.items() if v not in (None, [], {})})
    return out
