"""What the standard dashboards return (REPORT_04): typed figures and tables, with
``to_pandas()``, an HTML fragment and a whole page; and the calendar arithmetic
they share (quarters, weeks)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any, ClassVar

import attrs

from successkit.records import User
from successkit.views.aggregate_table import AggregateTable

from .charts import Svg
from .pages import Figure, Panel, fragment, page

__all__ = [
    "ArrAtRisk",
    "CtaEffectiveness",
    "Dashboard",
    "Portfolio",
    "Renewals",
    "SuccessPlans",
    "Trends",
    "quarter_bounds",
    "week_starts",
]


@attrs.frozen(kw_only=True)
class Dashboard:
    """What every dashboard has: a ``title``, a ``subtitle`` (what it covers),
    headline ``figures`` and ``panels`` (a table with its chart each)."""

    kind: ClassVar[str] = "dashboard"
    title: str
    subtitle: str
    figures: tuple[Figure, ...]
    panels: tuple[Panel, ...]

    def tables(self) -> dict[str, AggregateTable]:
        """The dashboard's tables by panel title."""
        return {p.title: p.table for p in self.panels if p.table is not None}

    def charts(self) -> list[Svg]:
        return [p.chart for p in self.panels if p.chart is not None]

    def to_pandas(self) -> dict[str, Any]:
        """A DataFrame per table, by panel title (needs pandas)."""
        return {name: t.to_pandas() for name, t in self.tables().items()}

    def html_fragment(self) -> str:
        """The dashboard as an HTML fragment (no ``<html>`` wrapper) for a host's page."""
        return fragment(self.title, self.subtitle, self.figures, self.panels, self.kind)

    def to_html(self) -> str:
        """The dashboard as a whole HTML page."""
        return page(self.title, self.html_fragment())

    def _repr_html_(self) -> str:
        return self.html_fragment()


@attrs.frozen(kw_only=True)
class Portfolio(Dashboard):
    """A CSM's portfolio: customers, ARR, renewals this quarter, open CTAs by priority, overdue work."""

    kind: ClassVar[str] = "portfolio"
    csm: User
    customers: int
    arr: float
    quarter: tuple[date, date]
    renewals: int
    renewal_arr: float
    open_ctas: Mapping[str | None, int]
    overdue: Mapping[str, int]


@attrs.frozen(kw_only=True)
class ArrAtRisk(Dashboard):
    """ARR by grade (``by_grade``), and at risk (in ``risk_grades``) per CSM."""

    kind: ClassVar[str] = "arr-at-risk"
    total_arr: float
    at_risk_arr: float
    risk_grades: tuple[str, ...]
    by_grade: Mapping[str, float]


@attrs.frozen(kw_only=True)
class Renewals(Dashboard):
    """Renewals by fiscal quarter: count and ARR per quarter, per CSM."""

    kind: ClassVar[str] = "renewals"
    quarters: tuple[str, ...]
    count: Mapping[str, int]
    arr: Mapping[str, float]


@attrs.frozen(kw_only=True)
class Trends(Dashboard):
    """Mean score and NPS per week over the last ``weeks`` weeks (Monday starts)."""

    kind: ClassVar[str] = "trends"
    weeks: tuple[date, ...]
    score: tuple[float | None, ...]
    nps: tuple[float | None, ...]
    responses: tuple[int, ...]


@attrs.frozen(kw_only=True)
class CtaEffectiveness(Dashboard):
    """CTAs opened in the window, per CSM and per type: still open, closed successfully,
    closed lost, success rate and overdue."""

    kind: ClassVar[str] = "cta-effectiveness"
    since: date
    per_csm: AggregateTable
    per_type: AggregateTable


@attrs.frozen(kw_only=True)
class SuccessPlans(Dashboard):
    """Success plans at plan, objective and task level: how many in each status category, overdue."""

    kind: ClassVar[str] = "success-plans"
    plans: Mapping[str, int]
    objectives: Mapping[str, int]
    tasks: Mapping[str, int]
    overdue_objectives: int
    overdue_tasks: int


def quarter_bounds(day: date, start_month: int = 1) -> tuple[date, date]:
    """The first and last day of the (fiscal, with ``start_month``) quarter holding ``day``."""
    offset = (day.month - start_month) % 3
    first_month = day.month - offset
    year = day.year
    if first_month < 1:
        first_month, year = first_month + 12, year - 1
    first = date(year, first_month, 1)
    nxt = date(year + (first_month + 2) // 12, (first_month + 2) % 12 + 1, 1)
    return first, nxt - timedelta(days=1)


def week_starts(today: date, weeks: int) -> list[date]:
    """The Mondays of the last ``weeks`` weeks, this one last."""
    monday = today - timedelta(days=today.weekday())
    return [monday - timedelta(days=7 * (weeks - 1 - i)) for i in range(weeks)]
