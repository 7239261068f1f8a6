"""HTML of dashboards and digests (REPORT_04, REPORT_05): a fragment a host embeds in
its own page (no ``<html>`` wrapper, styles scoped to ``.successkit-dashboard``) and a
whole page a person opens in a browser.

Headline figures come first as cards, then each panel: its title, its chart
and its table.  Text is escaped; the charts are the SVG of
:mod:`successkit.reports.charts`, in the same font and colours.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

import attrs

from successkit.views import notebook
from successkit.views.aggregate_table import AggregateRow, AggregateTable

from .charts import Svg, short_number

__all__ = ["STYLE", "Figure", "Panel", "fragment", "page", "table"]

#: The dashboards' styles, scoped so that a host's page keeps its own.
STYLE = """
.successkit-dashboard{font-family:system-ui,-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;color:#222;
max-width:840px}
.successkit-dashboard h2{font-size:20px;margin:0 0 4px}
.successkit-dashboard .subtitle{color:#8C8C8C;font-size:13px;margin:0 0 16px}
.successkit-dashboard .cards{display:flex;flex-wrap:wrap;gap:10px;margin:0 0 18px}
.successkit-dashboard .card{border:1px solid #E6E9EE;border-radius:6px;padding:8px 14px;min-width:120px;
background:#F5F7FA}
.successkit-dashboard .card .value{font-size:22px;font-weight:600}
.successkit-dashboard .card .label{font-size:12px;color:#555}
.successkit-dashboard .card.alert .value{color:#D62728}
.successkit-dashboard section.panel{margin:0 0 22px}
.successkit-dashboard h3{font-size:15px;margin:0 0 6px}
.successkit-dashboard table{border-collapse:collapse;font-size:13px;margin-top:6px}
.successkit-dashboard th{text-align:left;border-bottom:1px solid #C9CED6;padding:2px 0.6em}
.successkit-dashboard td{border-bottom:1px solid #F0F2F5}
.successkit-dashboard .empty{color:#8C8C8C;font-size:13px}
.successkit-dashboard ul.lines{font-size:13px;margin:4px 0 6px;padding-left:1.2em}
.successkit-dashboard svg{max-width:100%;height:auto}
"""


@attrs.frozen
class Figure:
    """A headline number: its ``label``, ``value`` and whether it calls for attention."""

    label: str
    value: float | int | None
    alert: bool = False

    def html(self) -> str:
        shown = html.escape(short_number(self.value))
        return (
            f'<div class="card{" alert" if self.alert else ""}"><div class="value">{shown}</div>'
            f'<div class="label">{html.escape(self.label)}</div></div>'
        )


@attrs.frozen
class Panel:
    """One part of a dashboard: a ``title``, its ``table`` and its ``chart`` (either may be absent)."""

    title: str
    table: AggregateTable | None = None
    chart: Svg | None = None
    note: str | None = None
    lines: tuple[str, ...] = ()

    def html(self) -> str:
        parts = [f'<section class="panel"><h3>{html.escape(self.title)}</h3>']
        if self.note:
            parts.append(f'<p class="empty">{html.escape(self.note)}</p>')
        if self.lines:
            parts.append('<ul class="lines">' + "".join(f"<li>{html.escape(x)}</li>" for x in self.lines) + "</ul>")
        if self.chart is not None and self.table is not None and len(self.table):
            parts.append(str(self.chart))
        if self.table is not None:
            parts.append(_table_html(self.table) if len(self.table) else '<p class="empty">Nothing yet.</p>')
        parts.append("</section>")
        return "".join(parts)


#: Column headings a person reads in a panel, for the fields the dashboards group by.
_HEADINGS = {"score.grade": "grade", "score_grade": "grade", "renewal_date": "renewal date", "arr": "ARR"}


def _table_html(t: AggregateTable) -> str:
    """A panel's table: readable headings, and no "N groups" line (a panel's rows are
    companies, weeks or CSMs as often as groups)."""
    header = [_HEADINGS.get(h, h.replace("_", " ")) for h in (*t.groups, *t.measures)]
    values = [[*r.keys, *(r.values[m] for m in t.measures)] for r in t.rows]
    return notebook.block(notebook.table(header, values))


def fragment(title: str, subtitle: str, figures: Sequence[Figure], panels: Sequence[Panel], kind: str) -> str:
    """The dashboard as an HTML fragment for a host's page: a styled ``<div>``."""
    cards = "".join(f.html() for f in figures)
    return (
        f'<div class="successkit-dashboard {html.escape(kind)}"><style>{STYLE}</style>'
        f'<h2>{html.escape(title)}</h2><p class="subtitle">{html.escape(subtitle)}</p>'
        + (f'<div class="cards">{cards}</div>' if cards else "")
        + "".join(p.html() for p in panels)
        + "</div>"
    )


def page(title: str, body: str) -> str:
    """A whole HTML page around fragments."""
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title></head>"
        f'<body style="margin:16px;background:#FFFFFF">{body}</body></html>\n'
    )


def table(
    groups: Sequence[str], measures: Sequence[str], rows: Sequence[tuple[Sequence[Any], dict[str, Any]]]
) -> AggregateTable:
    """An :class:`AggregateTable` of figures computed from aggregates (a week's NPS, a rate)."""
    return AggregateTable(
        groups=tuple(groups), measures=tuple(measures), rows=tuple(AggregateRow(tuple(k), v) for k, v in rows)
    )
