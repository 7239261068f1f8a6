"""The standard dashboards (REPORT_04), ready calls on ``kit.dashboards``.

Each call returns typed data (headline figures as attributes, its tables as
:class:`~successkit.views.aggregate_table.AggregateTable`), with
``to_pandas()`` (a DataFrame per table, by name), ``html_fragment()`` (for a
host's page or portal: no ``<html>`` wrapper) and ``to_html()`` (a whole page),
the charts drawn by :mod:`successkit.reports.charts`.

Every figure is an aggregate computed in the database: a dashboard makes the
same few storage calls whether the portfolio has ten companies or a million
(the names of the CSMs shown are one more read of at most the users listed).
Weekly trends read one row per day and grouping, never one per record.
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping, Sequence
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

import attrs

from successkit.errors import ValidationError
from successkit.query.language import FiscalQuarter
from successkit.records import User
from successkit.service import aggregate_kind
from successkit.views.aggregate_table import AggregateTable

from .boards import (
    ArrAtRisk,
    CtaEffectiveness,
    Dashboard,
    Portfolio,
    Renewals,
    SuccessPlans,
    Trends,
    quarter_bounds,
    week_starts,
)
from .charts import bar_chart, line_chart, stacked_bar_chart
from .pages import Figure, Panel, table

if TYPE_CHECKING:
    from successkit.kit import Kit

__all__ = [
    "ArrAtRisk",
    "CtaEffectiveness",
    "Dashboard",
    "DashboardService",
    "Portfolio",
    "Renewals",
    "SuccessPlans",
    "Trends",
    "quarter_bounds",
    "week_starts",
]

_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
_OPEN = ("closed_at", "is empty", None)
NO_GRADE = "(no grade)"
_TOP = 10  # the customers a portfolio lists


def _week_label(d: date) -> str:
    return f"{d.day} {_MONTHS[d.month - 1]}"


def _as_int(value: Any) -> int:
    return int(value or 0)


def _as_float(value: Any) -> float:
    return float(value or 0.0)


class DashboardService:
    """``kit.dashboards``: the standard dashboards (REPORT_04)."""

    def __init__(self, kit: Kit) -> None:
        self.kit = kit

    # ---------------------------------------------------------------- helpers
    def _names(self, ids: Any) -> dict[Any, str]:
        """Users' names by id, in one read; an id that names no user shows as itself."""
        wanted = sorted({i for i in ids if isinstance(i, str)})
        found = {u.id: u.name for u in self.kit.store.get_many("user", wanted)} if wanted else {}
        return {i: found.get(i, i) if i is not None else "(no CSM)" for i in [*wanted, None]}

    def _status_keys(self, kind: str) -> dict[str, list[str]]:
        """The status keys of each category of ``kind`` (custom statuses included)."""
        out: dict[str, list[str]] = {}
        for s in self.kit.statuses.of(kind):
            out.setdefault(s.category, []).append(s.key)
        return out

    def _largest(self, where: list[Any]) -> AggregateTable:
        """The companies with the most ARR: name, grade, ARR, renewal date (one limited read)."""
        top = self.kit.companies.list(where, sort=["-arr", "name"], limit=_TOP)
        return table(
            ["company"],
            ["grade", "arr", "renewal_date"],
            [((c.name,), {"grade": c.score_grade, "arr": c.arr, "renewal_date": c.renewal_date}) for c in top],
        )

    def _in_order(self, t: AggregateTable, category: str) -> AggregateTable:
        """Rows in the order the administrator gave the choices (high, medium, low), others after."""
        order = {item.key: i for i, item in enumerate(self.kit.config.items(category))}
        rows = sorted(t.rows, key=lambda r: (r.keys[0] is None, order.get(r.keys[0], len(order)), str(r.keys[0])))
        return attrs.evolve(t, rows=tuple(rows))

    def _category(self, kind: str, status: Any) -> str:
        for category, keys in self._status_keys(kind).items():
            if status in keys:
                return category
        return "open"

    # ---------------------------------------------------------------- portfolio
    def portfolio(self, csm: User | str, *, fiscal_start_month: int = 1) -> Portfolio:
        """A CSM's portfolio (REPORT_04): their customers and ARR, renewals this quarter
        (calendar, or fiscal from ``fiscal_start_month``), their open CTAs by priority,
        their overdue CTAs, objectives and tasks, and their largest customers.  Eight storage calls."""
        user = self.kit.users.get(csm)
        today = self.kit.today()
        first, last = quarter_bounds(today, _month(fiscal_start_month))
        mine = [("csm_id", "=", user.id)]
        grades = self.kit.companies.aggregate(mine, by="score.grade", measures={"customers": "count", "arr": "sum"})
        renewing = self.kit.companies.aggregate(
            [*mine, ("renewal_date", "between", [first, last])], measures={"renewals": "count", "arr": "sum"}
        )
        owned = [("owner_id", "=", user.id), _OPEN]
        ctas = self._in_order(self.kit.ctas.aggregate(owned, by="priority", measures={"open": "count"}), "priority")
        late = [*owned, ("due_date", "<", today)]
        overdue = {
            "CTAs": self.kit.ctas.count(late),
            "objectives": self.kit.objectives.count(late),
            "tasks": self.kit.tasks.count(late),
        }
        customers = sum(_as_int(r["customers"]) for r in grades)
        arr = sum(_as_float(r["arr"]) for r in grades)
        renewal_row = renewing.rows[0]
        open_ctas = {r.keys[0]: _as_int(r["open"]) for r in ctas}
        panels = (
            Panel(
                "ARR by grade",
                grades,
                bar_chart(
                    [r.keys[0] or NO_GRADE for r in grades], {"ARR": [r["arr"] for r in grades]}, value_label="ARR"
                ),
            ),
            Panel(
                "Open CTAs by priority",
                ctas,
                bar_chart([r.keys[0] or "(none)" for r in ctas], {"open CTAs": [r["open"] for r in ctas]}),
            ),
            Panel("Overdue work", table(["work"], ["overdue"], [((k,), {"overdue": v}) for k, v in overdue.items()])),
            Panel(f"Largest customers (top {_TOP})", self._largest(mine)),
        )
        figures = (
            Figure("customers", customers),
            Figure("ARR", arr),
            Figure(f"renewals {first:%d %b}–{last:%d %b %Y}", _as_int(renewal_row["renewals"])),
            Figure("renewing ARR", _as_float(renewal_row["arr"])),
            Figure("open CTAs", sum(open_ctas.values())),
            Figure("overdue items", sum(overdue.values()), alert=sum(overdue.values()) > 0),
        )
        return Portfolio(
            title=f"Portfolio of {user.name}",
            subtitle=f"as of {today:%d %b %Y}",
            figures=figures,
            panels=panels,
            csm=user,
            customers=customers,
            arr=arr,
            quarter=(first, last),
            renewals=_as_int(renewal_row["renewals"]),
            renewal_arr=_as_float(renewal_row["arr"]),
            open_ctas=open_ctas,
            overdue=overdue,
        )

    # ---------------------------------------------------------------- ARR at risk
    def arr_at_risk(
        self, where: Sequence[Any] | None = None, *, risk_grades: Sequence[str] = ("Red", "Yellow")
    ) -> ArrAtRisk:
        """ARR by score grade, and the ARR of companies in ``risk_grades`` per CSM
        (REPORT_04); ``where`` narrows the companies.  Three storage calls."""
        if (
            isinstance(risk_grades, str)
            or not isinstance(risk_grades, Sequence)
            or not all(isinstance(g, str) for g in risk_grades)
        ):
            raise ValidationError("risk_grades is a list of grades", rule="REPORT_04", value=risk_grades)
        base = _where(where)
        grades = self.kit.companies.aggregate(base, by="score.grade", measures={"companies": "count", "arr": "sum"})
        per_csm = self.kit.companies.aggregate(
            [*base, ("score.grade", "in", list(risk_grades))],
            by=["csm_id", "score.grade"],
            measures={"companies": "count", "arr": "sum"},
        )
        names = self._names(r.keys[0] for r in per_csm)
        by_grade = {r.keys[0] or NO_GRADE: _as_float(r["arr"]) for r in grades}
        total = sum(by_grade.values())
        at_risk = sum(v for g, v in by_grade.items() if g in risk_grades)
        risk_of: dict[str, float] = {}
        for r in per_csm:
            risk_of[names[r.keys[0]]] = risk_of.get(names[r.keys[0]], 0.0) + _as_float(r["arr"])
        csms = sorted(risk_of, key=lambda c: (-risk_of[c], c))  # the most at risk first
        cells = {(names[r.keys[0]], r.keys[1]): r["arr"] for r in per_csm}
        named = table(
            ["CSM", "grade"],
            ["companies", "arr"],
            sorted(
                (((names[r.keys[0]], r.keys[1]), dict(r.values)) for r in per_csm),
                key=lambda row: (csms.index(row[0][0]), str(row[0][1])),
            ),
        )
        panels = (
            Panel(
                "ARR by grade", grades, bar_chart(list(by_grade), {"ARR": list(by_grade.values())}, value_label="ARR")
            ),
            Panel(
                "ARR at risk per CSM",
                named,
                stacked_bar_chart(
                    csms,
                    {g: [cells.get((c, g)) for c in csms] for g in risk_grades},
                    value_label="ARR",
                    category_label="CSM",
                ),
            ),
        )
        figures = (
            Figure("total ARR", total),
            Figure(f"ARR at risk ({', '.join(risk_grades)})", at_risk, alert=at_risk > 0),
            Figure("share at risk %", round(100 * at_risk / total, 1) if total else None),
        )
        return ArrAtRisk(
            title="ARR at risk",
            subtitle="companies by score grade",
            figures=figures,
            panels=panels,
            total_arr=total,
            at_risk_arr=at_risk,
            risk_grades=tuple(risk_grades),
            by_grade=by_grade,
        )

    # ---------------------------------------------------------------- renewals
    def renewals(self, *, quarters: int = 4, start_month: int = 4) -> Renewals:
        """Renewals of the next ``quarters`` fiscal quarters (the current one first; the
        fiscal year starts in ``start_month``): how many and what ARR, per quarter and
        per CSM (REPORT_04).  Two storage calls."""
        if isinstance(quarters, bool) or not isinstance(quarters, int) or not 1 <= quarters <= 12:
            raise ValidationError("a renewals dashboard covers 1 to 12 quarters", rule="REPORT_04", value=quarters)
        month = _month(start_month)
        first, _ = quarter_bounds(self.kit.today(), month)
        end = first
        for _ in range(quarters):
            end = quarter_bounds(end, month)[1] + timedelta(days=1)
        t = self.kit.companies.aggregate(
            [("renewal_date", "between", [first, end - timedelta(days=1)])],
            by=[FiscalQuarter("renewal_date", month), "csm_id"],
            measures={"renewals": "count", "arr": "sum"},
        )
        names = self._names(r.keys[1] for r in t)
        labels = _quarter_labels(first, quarters, month)
        count = {q: 0 for q in labels}
        arr = {q: 0.0 for q in labels}
        for r in t:
            count[r.keys[0]] = count.get(r.keys[0], 0) + _as_int(r["renewals"])
            arr[r.keys[0]] = arr.get(r.keys[0], 0.0) + _as_float(r["arr"])
        csms = sorted({names[r.keys[1]] for r in t}, key=lambda c: (c == names[None], c))
        cells = {(r.keys[0], names[r.keys[1]]): r["arr"] for r in t}
        named = table(
            ["fiscal quarter", "CSM"],
            ["renewals", "arr"],
            sorted(
                (((r.keys[0], names[r.keys[1]]), dict(r.values)) for r in t),
                key=lambda row: (str(row[0][0]), csms.index(row[0][1])),
            ),
        )
        series = {c: [cells.get((q, c)) for q in labels] for c in csms}
        chart = stacked_bar_chart(labels, series, value_label="ARR") if series else None  # no renewals: no chart
        totals = table(
            ["fiscal quarter"], ["renewals", "arr"], [((q,), {"renewals": count[q], "arr": arr[q]}) for q in labels]
        )
        panels = (Panel("Renewals per quarter", totals, chart), Panel("Renewals per quarter and CSM", named))
        figures = tuple(Figure(f"{q} renewals · ARR {arr[q]:,.0f}", count[q]) for q in labels)
        return Renewals(
            title="Renewals by fiscal quarter",
            subtitle=f"fiscal years start in {_MONTHS[month - 1]}",
            figures=figures,
            panels=panels,
            quarters=tuple(labels),
            count=count,
            arr=arr,
        )

    # ---------------------------------------------------------------- trends
    def trends(self, *, weeks: int = 6) -> Trends:
        """Companies' mean score (their score snapshots) and NPS (survey responses:
        % promoters − % detractors) per week over the last ``weeks`` weeks (REPORT_04).
        Two storage calls, each reading one row per day (and NPS category)."""
        if isinstance(weeks, bool) or not isinstance(weeks, int) or not 1 <= weeks <= 104:
            raise ValidationError("a trend covers 1 to 104 weeks", rule="REPORT_04", value=weeks)
        today = self.kit.today()
        starts = week_starts(today, weeks)
        span = [starts[0], starts[-1] + timedelta(days=6)]
        scores = aggregate_kind(
            self.kit,
            "score_snapshot",
            [("record_kind", "=", "company"), ("period", "between", span), ("score", "is not empty", None)],
            by="period",
            measures={"total": ("sum", "score"), "n": "count"},
        )
        answers = self.kit.survey_responses.aggregate(
            [("answered_on", "between", span), ("nps_category", "is not empty", None)],
            by=["answered_on", "nps_category"],
            measures={"n": "count"},
        )
        total, n = [0.0] * weeks, [0] * weeks
        for r in scores:
            i = (r.keys[0] - starts[0]).days // 7
            total[i] += _as_float(r["total"])
            n[i] += _as_int(r["n"])
        cats: list[dict[str, int]] = [{} for _ in range(weeks)]
        for r in answers:
            i = (r.keys[0] - starts[0]).days // 7
            cats[i][r.keys[1]] = cats[i].get(r.keys[1], 0) + _as_int(r["n"])
        score = tuple(round(total[i] / n[i], 1) if n[i] else None for i in range(weeks))
        responses = tuple(sum(c.values()) for c in cats)
        nps = tuple(
            round(100 * (c.get("promoter", 0) - c.get("detractor", 0)) / k, 1) if (k := sum(c.values())) else None
            for c in cats
        )
        labels = [_week_label(d) for d in starts]
        rows = table(
            ["week"],
            ["score", "nps", "responses"],
            [((d,), {"score": score[i], "nps": nps[i], "responses": responses[i]}) for i, d in enumerate(starts)],
        )
        chart = line_chart(labels, {"mean score": list(score), "NPS": list(nps)}, category_label="week starting")
        last = next((s for s in reversed(score) if s is not None), None)
        last_nps = next((s for s in reversed(nps) if s is not None), None)
        figures = (
            Figure("mean score, latest week", last),
            Figure("NPS, latest week", last_nps),
            Figure(f"survey responses, {weeks} weeks", sum(responses)),
        )
        return Trends(
            title="Score and NPS trends",
            subtitle=f"weeks from {starts[0]:%d %b %Y}",
            figures=figures,
            panels=(Panel("Per week", rows, chart),),
            weeks=tuple(starts),
            score=score,
            nps=nps,
            responses=responses,
        )

    # ---------------------------------------------------------------- CTAs
    def cta_effectiveness(self, *, days: int = 90) -> CtaEffectiveness:
        """CTAs opened in the last ``days`` days, per CSM (their owner) and per type:
        opened, still open, closed successfully, closed lost, success rate among the
        closed, and open past their due date (REPORT_04).  Five storage calls."""
        if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 3660:
            raise ValidationError("a CTA window is 1 to 3660 days", rule="REPORT_04", value=days)
        today = self.kit.today()
        since = today - timedelta(days=days - 1)
        window = [("created_at", ">=", datetime.combine(since, time(0), tzinfo=self.kit.now().tzinfo))]
        late = [*window, _OPEN, ("due_date", "<", today)]
        by_owner = self.kit.ctas.aggregate(window, by=["owner_id", "status"], measures={"n": "count"})
        by_type = self.kit.ctas.aggregate(window, by=["type", "status"], measures={"n": "count"})
        late_owner = {r.keys[0]: r["n"] for r in self.kit.ctas.aggregate(late, by="owner_id", measures={"n": "count"})}
        late_type = {r.keys[0]: r["n"] for r in self.kit.ctas.aggregate(late, by="type", measures={"n": "count"})}
        names = self._names(r.keys[0] for r in by_owner)
        per_csm = self._effect("CSM", by_owner, late_owner, lambda k: names.get(k, str(k)))
        per_type = self._effect("type", by_type, late_type, lambda k: "(none)" if k is None else str(k))
        panels = tuple(
            Panel(
                f"Per {what}",
                t,
                bar_chart(
                    [r.keys[0] for r in t],
                    {
                        "closed successfully": [r["success"] for r in t],
                        "closed lost": [r["lost"] for r in t],
                        "open": [r["open"] for r in t],
                    },
                    category_label=what,
                    colours=_CTA_COLOURS,
                ),
            )
            for what, t in (("CSM", per_csm), ("type", per_type))
        )
        opened = sum(r["opened"] for r in per_csm)
        success = sum(r["success"] for r in per_csm)
        closed = success + sum(r["lost"] for r in per_csm)
        figures = (
            Figure("CTAs opened", opened),
            Figure("success rate %", round(100 * success / closed, 1) if closed else None),
            Figure("open and overdue", sum(late_owner.values()), alert=bool(late_owner)),
        )
        return CtaEffectiveness(
            title="CTA effectiveness",
            subtitle=f"CTAs opened from {since:%d %b %Y}",
            figures=figures,
            panels=panels,
            since=since,
            per_csm=per_csm,
            per_type=per_type,
        )

    def _effect(self, what: str, counts: AggregateTable, late: Mapping[Any, Any], name: Any) -> AggregateTable:
        """Per key: opened, open, success, lost, success rate, overdue."""
        rows: dict[Any, dict[str, Any]] = {}
        for r in counts:
            row = rows.setdefault(r.keys[0], {"opened": 0, "open": 0, "success": 0, "lost": 0})
            category = self._category("cta", r.keys[1])
            part = {"closed_success": "success", "closed_lost": "lost"}.get(category, "open")
            row[part] += _as_int(r["n"])
            row["opened"] += _as_int(r["n"])
        out = []
        for key, row in rows.items():
            closed = row["success"] + row["lost"]
            rate = round(100 * row["success"] / closed, 1) if closed else None
            out.append(((name(key),), {**row, "success_rate": rate, "overdue": _as_int(late.get(key))}))
        out.sort(key=lambda item: (-item[1]["opened"], str(item[0][0])))
        return table([what], ["opened", "open", "success", "lost", "success_rate", "overdue"], out)

    # ---------------------------------------------------------------- plans
    def success_plans(self, where: Sequence[Any] | None = None) -> SuccessPlans:
        """Success plans at plan, objective and task level (REPORT_04): how many of
        each in each status, and the objectives and tasks open past their due date.
        ``where`` narrows the plans by their fields (objectives and tasks follow
        through ``plan_id`` only when no condition is given).  Five storage calls."""
        today = self.kit.today()
        base = _where(where)
        plans = self.kit.plans.aggregate(base, by="status", measures={"plans": "count"})
        in_plan = [("plan_id", "is not empty", None)]
        objectives = self.kit.objectives.aggregate(in_plan, by="status", measures={"objectives": "count"})
        tasks = self.kit.tasks.aggregate(in_plan, by="status", measures={"tasks": "count"})
        late = [*in_plan, _OPEN, ("due_date", "<", today)]
        overdue_objectives, overdue_tasks = self.kit.objectives.count(late), self.kit.tasks.count(late)
        levels = {
            "plans": ("plan", {str(r.keys[0]): _as_int(r["plans"]) for r in plans}),
            "objectives": ("objective", {str(r.keys[0]): _as_int(r["objectives"]) for r in objectives}),
            "tasks": ("task", {str(r.keys[0]): _as_int(r["tasks"]) for r in tasks}),
        }
        categories: dict[str, dict[str, int]] = {}
        for level, (kind, counts) in levels.items():
            for status, n in counts.items():
                cat = self._category(kind, status)
                categories.setdefault(cat, {}).setdefault(level, 0)
                categories[cat][level] += n
        known: tuple[str, ...] = ("draft", "active", "open", "closed", "closed_success", "closed_lost")
        order = [c for c in known if c in categories]
        order += [c for c in categories if c not in order]
        rows = table(
            ["level", "status"],
            ["count"],
            [((level, status), {"count": n}) for level, (_, counts) in levels.items() for status, n in counts.items()],
        )
        series = {c: [categories[c].get(lv) for lv in levels] for c in order}
        chart = stacked_bar_chart(list(levels), series, colours=_STATUS_COLOURS) if series else None  # no plans yet
        figures = (
            Figure("plans", sum(levels["plans"][1].values())),
            Figure("objectives", sum(levels["objectives"][1].values())),
            Figure("tasks", sum(levels["tasks"][1].values())),
            Figure("overdue objectives", overdue_objectives, alert=overdue_objectives > 0),
            Figure("overdue tasks", overdue_tasks, alert=overdue_tasks > 0),
        )
        return SuccessPlans(
            title="Success plans",
            subtitle=f"as of {today:%d %b %Y}",
            figures=figures,
            panels=(Panel("By level and status", rows, chart),),
            plans=levels["plans"][1],
            objectives=levels["objectives"][1],
            tasks=levels["tasks"][1],
            overdue_objectives=overdue_objectives,
            overdue_tasks=overdue_tasks,
        )

    def all(self, csm: User | str | None = None) -> builtins.list[Dashboard]:
        """Every standard dashboard (the portfolio when ``csm`` is given)."""
        out: list[Dashboard] = [self.portfolio(csm)] if csm is not None else []
        return [
            *out,
            self.arr_at_risk(),
            self.renewals(),
            self.trends(),
            self.cta_effectiveness(),
            self.success_plans(),
        ]


_CTA_COLOURS = {"closed successfully": "#54A24B", "closed lost": "#D62728", "open": "#4C78A8"}
_STATUS_COLOURS = {
    "draft": "#BAB0AC",
    "active": "#4C78A8",
    "open": "#4C78A8",
    "closed": "#8C8C8C",
    "closed_success": "#54A24B",
    "closed_lost": "#D62728",
}


def _where(where: Any) -> list[Any]:
    """A dashboard's extra conditions as a list; the query language checks each."""
    if where is None:
        return []
    if isinstance(where, (str, bytes)) or not isinstance(where, Sequence):
        raise ValidationError("where is a list of conditions (field, operator, value)", rule="REPORT_04", value=where)
    return list(where)


def _month(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 12:
        raise ValidationError("a fiscal year starts in month 1 to 12", rule="REPORT_04", value=value)
    return value


def _quarter_labels(first: date, quarters: int, start_month: int) -> list[str]:
    """``FY2026-Q3`` labels of the quarters from the one starting on ``first``."""
    out, at = [], first
    for _ in range(quarters):
        year = at.year if at.month >= start_month else at.year - 1
        q = ((at.month - start_month) % 12) // 3 + 1
        out.append(f"FY{year}-Q{q}")
        at = quarter_bounds(at, start_month)[1] + timedelta(days=1)
    return out
