"""Gantt charts of a plan's schedule (GANTT_03).

The SVG is written as text from the schedule rows (GANTT_01), so a host draws
charts with no plotting package; :func:`save_png` draws the same chart with
matplotlib for hosts that have it.

Drawing choices: objectives are thick bars, their tasks thinner bars indented
under them; a bar runs from the start of its start day to the end of its due
day.  An item without a due date is a diamond (milestone) on its start day.
Arrows go from the end of a predecessor to the start of the item waiting for
it.  Closed items are grey and faded whatever else they are; open overdue items
have a red outline and a red name; the critical path (:func:`critical_path`) is
orange.  The date axis covers every item and, while anything is open, today.
"""

from __future__ import annotations

import html
import importlib
import itertools
import os
import re
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from typing import Any

from successkit.errors import ValidationError
from successkit.plans.schedule import ScheduleRow

__all__ = ["critical_path", "render_svg", "save_png"]

SVG_NS = "http://www.w3.org/2000/svg"

_X = Callable[[date], float]  # a date's x on the chart

# Colours: (fill of objectives, fill of tasks)
_PLAIN = ("#4C78A8", "#8FB8DE")
_CRITICAL = ("#E8710A", "#F6B26B")
_CLOSED = "#B4B4B4"
_RED = "#D62728"
_GREY = "#8C8C8C"
_TEXT = "#222222"

_LABEL_W = 250  # the names column
_ROW_H = 26
_AXIS_H = 38
_TITLE_H = 30
_RIGHT = 24
_FOOT_H = 50  # today's label and the legend
_FONT = "system-ui, -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif"
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
#: The longest span drawn (20 years): bars running past it are cut at the chart's edge.
_MAX_SPAN = timedelta(days=7305)
_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def _end(row: ScheduleRow) -> date:
    return row.due or row.start


def _drivers(rows: Sequence[ScheduleRow]) -> dict[str, str]:
    """Each item's driving predecessor: of its dependencies on the chart, the
    one that finishes last (the first in schedule order on a tie)."""
    by_id = {r.id: r for r in rows}
    order = {r.id: i for i, r in enumerate(rows)}
    out: dict[str, str] = {}
    for r in rows:
        preds = [by_id[d] for d in r.depends_on if d in by_id and d != r.id]
        if preds:
            out[r.id] = max(preds, key=lambda p: (_end(p), -order[p.id])).id
    return out


def critical_path(rows: Sequence[ScheduleRow]) -> list[str]:
    """Ids of the chain of dependent items that decides when the plan ends, first first.

    The chain ends at the item that finishes last (its due date, or its start
    when it has none).  Walking back, the critical predecessor of an item is
    its *driving* one: of its dependencies, the one that finishes last, since
    that is the one holding its start.  The walk stops at an item with no
    dependency on the chart.  When several items finish last, the longest
    chain wins, then the first in schedule order.  Empty without rows.

    Work is linear in rows plus dependencies (SEC_07): each item's chain
    length is computed once from its driver's, and only the winning chain is
    walked.
    """
    if not rows:
        return []
    drivers = _drivers(rows)
    lengths = _chain_lengths(drivers, [r.id for r in rows])
    last = max(_end(r) for r in rows)
    end = max((r.id for r in rows if _end(r) == last), key=lambda id: lengths[id])  # max keeps the first
    out, seen = [end], {end}
    while out[-1] in drivers and drivers[out[-1]] not in seen:  # no cycle can hang the walk
        out.append(drivers[out[-1]])
        seen.add(out[-1])
    return out[::-1]


def _chain_lengths(drivers: dict[str, str], ids: Sequence[str]) -> dict[str, int]:
    """How many items the walk back from each item visits: one more than its
    driver's, or, for an item on a cycle of drivers, the cycle's length (the
    walk stops where it would repeat itself).  Each item is visited once."""
    lengths: dict[str, int] = {}
    for start in ids:
        path: list[str] = []
        where: dict[str, int] = {}  # position on this walk
        at: str | None = start
        while at is not None and at not in lengths and at not in where:
            where[at] = len(path)
            path.append(at)
            at = drivers.get(at)
        if at is not None and at in where:  # the walk closed a cycle: each of its items sees all of it
            cycle = path[where[at] :]
            for id in cycle:
                lengths[id] = len(cycle)
            path = path[: where[at]]
        below = 0 if at is None else lengths[at]
        for id in reversed(path):
            below += 1
            lengths[id] = below
    return lengths


def _style(row: ScheduleRow, critical: bool) -> tuple[str, float, str | None]:
    """Fill, opacity and outline of a bar; shared by the SVG and the PNG."""
    if row.closed:
        return _CLOSED, 0.55, None
    fill = (_CRITICAL if critical else _PLAIN)[0 if row.level == 0 else 1]
    return fill, 1.0, _RED if row.overdue else None


def _n(value: float) -> str:
    """A coordinate, short."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _e(text: object) -> str:
    """Escaped for XML, with the characters XML 1.0 cannot hold (controls, lone surrogates) replaced."""
    return html.escape(_XML_INVALID.sub("\ufffd", str(text)), quote=True)


def _day(d: date) -> str:
    return f"{d.day} {_MONTHS[d.month - 1]} {d.year}"


def _span(rows: Sequence[ScheduleRow], today: date) -> tuple[date, date]:
    """First and last day of the axis, with a little room either side."""
    lo = min(r.start for r in rows)
    hi = max(_end(r) for r in rows)
    if any(not r.closed for r in rows):
        lo, hi = min(lo, today), max(hi, today)
    hi = min(hi, _after(lo, _MAX_SPAN.days))
    pad = max(1, round((hi - lo).days * 0.03))  # the first bar never touches the names
    return _after(lo, -pad), _after(hi, pad)


def _after(d: date, days: int) -> date:
    """``d`` moved by ``days``, kept inside the calendar."""
    try:
        return d + timedelta(days=days)
    except OverflowError:
        return date.max if days > 0 else date.min


def render_svg(rows: Sequence[ScheduleRow], *, today: date, title: str | None = None, width: int = 960) -> str:
    """A Gantt chart of schedule rows as an SVG document (GANTT_03).

    Elements carry classes and ``data-`` attributes for tests and styling:
    ``rect.bar`` (or ``path.bar.milestone``) with ``data-id``, ``data-kind``,
    ``data-start``, ``data-due`` and ``data-status``; ``path.dependency`` with
    ``data-from`` (the predecessor) and ``data-to``; ``line.today`` with
    ``data-date``.  Bars also have the classes ``objective``/``task``,
    ``critical``, ``overdue`` and ``closed`` as they apply.
    """
    if isinstance(width, bool) or not isinstance(width, int) or width < _LABEL_W + _RIGHT + 200:
        raise ValidationError(f"a chart is at least {_LABEL_W + _RIGHT + 200} pixels wide", value=width)
    top = _TITLE_H if title else 8
    out: list[str] = []
    if title:
        out.append(
            f'<text class="title" x="12" y="21" font-size="15" font-weight="600" fill="{_TEXT}">{_e(title)}</text>'
        )
    if not rows:
        height = top + 40
        out.append(
            f'<text class="empty" x="12" y="{top + 22}" fill="{_GREY}">Nothing to draw: the plan has no '
            "objectives or tasks yet.</text>"
        )
        return _document(out, width, height, title)

    lo, hi = _span(rows, today)
    plot_x, plot_w = _LABEL_W, width - _LABEL_W - _RIGHT
    per_day = plot_w / ((hi - lo).days + 1)
    body_top = top + _AXIS_H
    body_bottom = body_top + _ROW_H * len(rows)
    height = body_bottom + _FOOT_H

    def x(d: date) -> float:
        """A date's x; dates beyond the axis stay at its edges."""
        return plot_x + (min(max(d, lo), _after(hi, 1)) - lo).days * per_day

    def y(i: int) -> float:
        return body_top + i * _ROW_H + _ROW_H / 2

    critical = critical_path(rows)
    on_path = set(critical)
    links = set(itertools.pairwise(critical))
    index = {r.id: i for i, r in enumerate(rows)}

    out.append(f"<defs>{_marker('sk-gantt-arrow', _GREY)}{_marker('sk-gantt-arrow-critical', _CRITICAL[0])}</defs>")
    for i in range(0, len(rows), 2):
        out.append(
            f'<rect class="stripe" x="0" y="{_n(body_top + i * _ROW_H)}" width="{width}" height="{_ROW_H}" '
            'fill="#F5F7FA"/>'
        )
    out.extend(_axis(lo, hi, x, per_day, top, body_bottom))

    # dependencies under the bars
    out.extend(_dependencies(rows, index, x, y, per_day, links, lo))
    for i, r in enumerate(rows):
        out.extend(_row(r, y(i), x, per_day, r.id in on_path))

    if lo <= today <= hi:
        out.extend(_today_line(x(today) + per_day / 2, today, top, body_bottom))
    out.extend(_legend(body_bottom + 36))
    return _document(out, width, height, title)


def _dependencies(
    rows: Sequence[ScheduleRow],
    index: dict[str, int],
    x: Callable[[date], float],
    y: Callable[[int], float],
    per_day: float,
    links: set[tuple[str, str]],
    lo: date,
) -> list[str]:
    """Dependency arrows, from the end of the predecessor to the start of the dependent;
    those on the critical path (``links``) drawn hot."""
    out = []
    ends = {r.id: _bar_end(r, x, per_day) for r in rows}
    for r in rows:
        for dep in r.depends_on:
            if dep not in index:
                continue
            x1, y1, x2, y2 = ends[dep], y(index[dep]), x(r.start), y(index[r.id])
            if r.due is None:  # to the diamond's left corner
                x2 += per_day / 2 - _diamond(r)
            if x2 - x1 >= 12:
                d = f"M{_n(x1)},{_n(y1)} H{_n(x1 + 6)} V{_n(y2)} H{_n(x2)}"
            else:  # the dependent starts before the predecessor ends: go round along the row boundary,
                # never left of the chart's first day
                ymid = y2 - _ROW_H / 2 if y2 > y1 else y2 + _ROW_H / 2
                back = max(x2 - 10, x(lo) + 1)
                d = f"M{_n(x1)},{_n(y1)} H{_n(x1 + 6)} V{_n(ymid)} H{_n(back)} V{_n(y2)} H{_n(x2)}"
            hot = (dep, r.id) in links
            colour, marker = (_CRITICAL[0], "sk-gantt-arrow-critical") if hot else (_GREY, "sk-gantt-arrow")
            out.append(
                f'<path class="dependency{" critical" if hot else ""}" data-from="{_e(dep)}" '
                f'data-to="{_e(r.id)}" d="{d}" fill="none" stroke="{colour}" '
                f'stroke-width="{1.6 if hot else 1.1}" marker-end="url(#{marker})"/>'
            )
    return out


def _today_line(tx: float, today: date, top: float, body_bottom: float) -> list[str]:
    return [
        f'<line class="today" data-date="{today.isoformat()}" x1="{_n(tx)}" y1="{top + _AXIS_H - 6}" '
        f'x2="{_n(tx)}" y2="{_n(body_bottom)}" stroke="{_RED}" stroke-width="1.5" stroke-dasharray="5 3"/>',
        f'<text class="today-label" x="{_n(tx)}" y="{_n(body_bottom + 13)}" text-anchor="middle" '
        f'font-size="10" fill="{_RED}">today</text>',
    ]


def _document(body: list[str], width: int, height: float, title: str | None) -> str:
    opening = (
        f'<svg xmlns="{SVG_NS}" class="successkit-gantt" font-family="{_e(_FONT)}" font-size="12" '
        f'width="{width}" height="{_n(height)}" viewBox="0 0 {width} {_n(height)}">'
    )
    label = f"<title>{_e(title)}</title>" if title else ""
    return "\n".join([opening + label, *body, "</svg>"]) + "\n"


def _marker(id: str, colour: str) -> str:
    return (
        f'<marker id="{id}" viewBox="0 0 8 8" refX="7.5" refY="4" markerWidth="7" markerHeight="7" '
        f'markerUnits="userSpaceOnUse" orient="auto"><path d="M0,0 L8,4 L0,8 z" fill="{colour}"/></marker>'
    )


def _axis(lo: date, hi: date, x: _X, per_day: float, top: int, bottom: float) -> list[str]:
    """Month lines with labels; day or week (Monday) lines, with day numbers when there is room."""
    out: list[str] = []
    step = 1 if per_day >= 22 else 7
    if per_day * step >= 12:
        d = _after(lo, 0 if step == 1 else -lo.weekday() % 7)
        while d <= hi:
            out.append(
                f'<line class="grid {"day" if step == 1 else "week"}" x1="{_n(x(d))}" y1="{top + 22}" '
                f'x2="{_n(x(d))}" y2="{_n(bottom)}" stroke="#E6E9EE" stroke-width="1"/>'
            )
            if per_day * step >= 24:
                out.append(
                    f'<text class="{"day" if step == 1 else "week"}" data-date="{d.isoformat()}" '
                    f'x="{_n(x(d) + 3)}" y="{top + 32}" font-size="10" fill="{_GREY}">{d.day}</text>'
                )
            if d == date.max:
                break
            d = _after(d, step)
    # A month label needs about 64 px: label every month, every quarter, half year or year.
    every = next((s for s in (1, 3, 6, 12) if per_day * 30.4 * s >= 64), 12)
    m = date(lo.year, lo.month, 1)
    first = True
    while m <= hi and m != date.max:
        labelled = (m.month - 1) % every == 0 and (m >= lo or x(_next_month(m)) - x(lo) >= 80)
        if m >= lo:  # unlabelled month lines stop below the labels
            out.append(
                f'<line class="grid month" x1="{_n(x(m))}" y1="{top + (4 if labelled else 22)}" '
                f'x2="{_n(x(m))}" y2="{_n(bottom)}" stroke="#C9CED6" stroke-width="1"/>'
            )
        if labelled:
            text = f"{_MONTHS[m.month - 1]} {m.year}" if first or m.month == 1 else _MONTHS[m.month - 1]
            out.append(
                f'<text class="month" data-date="{m.isoformat()}" x="{_n(x(max(m, lo)) + 4)}" '
                f'y="{top + 16}" font-weight="600" fill="{_TEXT}">{text}</text>'
            )
            first = False
        m = _next_month(m)
    return out


def _next_month(m: date) -> date:
    if m.year == date.max.year and m.month == 12:
        return date.max  # ends the axis loops at the calendar's end
    return date(m.year + m.month // 12, m.month % 12 + 1, 1)


def _diamond(row: ScheduleRow) -> int:
    """Half the width of a milestone's diamond."""
    return 7 if row.level == 0 else 5


def _bar_end(row: ScheduleRow, x: _X, per_day: float) -> float:
    if row.due is None:
        return x(row.start) + per_day / 2 + _diamond(row)
    return x(_after(row.due, 1))


def _row(r: ScheduleRow, cy: float, x: _X, per_day: float, critical: bool) -> list[str]:
    """The name on the left and the bar (or milestone) of one row."""
    fill, opacity, outline = _style(r, critical)
    classes = " ".join(
        [
            "bar",
            r.kind if r.kind in ("objective", "task") else "item",
            *(
                c
                for c, on in (
                    ("critical", critical),
                    ("overdue", r.overdue),
                    ("closed", r.closed),
                    ("milestone", r.due is None),
                )
                if on
            ),
        ]
    )
    when = _day(r.start) + (f" – {_day(r.due)}" if r.due else " (no due date)")
    tip = f"<title>{_e(r.name)}: {when}, {_e(r.status)}{', overdue' if r.overdue else ''}</title>"
    data = (
        f'data-id="{_e(r.id)}" data-kind="{_e(r.kind)}" data-start="{r.start.isoformat()}" '
        f'data-due="{r.due.isoformat() if r.due else ""}" data-status="{_e(r.status)}"'
    )
    paint = f'fill="{fill}" fill-opacity="{opacity}"' + (f' stroke="{outline}" stroke-width="2"' if outline else "")
    out = []
    indent = 12 + 18 * r.level
    name = r.name if len(r.name) <= (limit := (_LABEL_W - indent - 12) // 7) else r.name[: limit - 1] + "…"
    colour = _RED if r.overdue else (_GREY if r.closed else _TEXT)
    weight = ' font-weight="600"' if r.level == 0 else ""
    out.append(
        f'<text class="label {_e(r.kind)}" data-id="{_e(r.id)}" x="{indent}" y="{_n(cy + 4)}"{weight} '
        f'fill="{colour}">{_e(name)}<title>{_e(r.name)}</title></text>'
    )
    if r.due is None:
        cx, s = x(r.start) + per_day / 2, _diamond(r)
        out.append(
            f'<path class="{classes}" {data} d="M{_n(cx)},{_n(cy - s)} L{_n(cx + s)},{_n(cy)} '
            f'L{_n(cx)},{_n(cy + s)} L{_n(cx - s)},{_n(cy)} z" {paint}>{tip}</path>'
        )
        return out
    h = 16 if r.level == 0 else 10
    x0, x1 = x(r.start), x(_after(r.due, 1))
    out.append(
        f'<rect class="{classes}" {data} x="{_n(x0)}" y="{_n(cy - h / 2)}" width="{_n(max(x1 - x0, 2))}" '
        f'height="{h}" rx="3" {paint}>{tip}</rect>'
    )
    return out


def _legend(y: float) -> list[str]:
    """A swatch and a word for each kind of mark."""
    items = [
        ("Objective", f'<rect x="0" y="-6" width="18" height="12" rx="2" fill="{_PLAIN[0]}"/>'),
        ("Task", f'<rect x="0" y="-4" width="18" height="8" rx="2" fill="{_PLAIN[1]}"/>'),
        ("Critical path", f'<rect x="0" y="-6" width="18" height="12" rx="2" fill="{_CRITICAL[0]}"/>'),
        (
            "Overdue",
            f'<rect x="1" y="-5" width="16" height="10" rx="2" fill="{_PLAIN[0]}" stroke="{_RED}" stroke-width="2"/>',
        ),
        ("Closed", f'<rect x="0" y="-6" width="18" height="12" rx="2" fill="{_CLOSED}" fill-opacity="0.55"/>'),
        ("No due date", f'<path d="M9,-6 L15,0 L9,6 L3,0 z" fill="{_PLAIN[0]}"/>'),
        ("Dependency", f'<path d="M0,0 H16" stroke="{_GREY}" stroke-width="1.1" marker-end="url(#sk-gantt-arrow)"/>'),
        ("Today", f'<path d="M9,-7 V7" stroke="{_RED}" stroke-width="1.5" stroke-dasharray="4 2"/>'),
    ]
    out = [f'<g class="legend" transform="translate(12,{_n(y)})" font-size="11" fill="{_TEXT}">']
    at = 0.0
    for word, swatch in items:
        out.append(f'<g transform="translate({_n(at)},0)">{swatch}<text x="24" y="4">{word}</text></g>')
        at += 24 + len(word) * 6 + 20
    out.append("</g>")
    return out


def save_png(
    rows: Sequence[ScheduleRow], path: str | os.PathLike[str], *, today: date, title: str | None = None, dpi: int = 150
) -> None:
    """Draw the same chart as :func:`render_svg` to a PNG file with matplotlib.

    matplotlib is not a dependency of successkit: install it to use this."""
    try:
        figure = importlib.import_module("matplotlib.figure")
        backend = importlib.import_module("matplotlib.backends.backend_agg")
        mdates = importlib.import_module("matplotlib.dates")
        patches = importlib.import_module("matplotlib.patches")
        lines = importlib.import_module("matplotlib.lines")
    except ImportError as e:
        raise ImportError(
            "save_png() needs matplotlib, which successkit does not install: "
            "pip install matplotlib (render_svg() needs nothing)"
        ) from e
    fig = figure.Figure(figsize=(11, 1.6 + 0.32 * max(len(rows), 1)), dpi=dpi)
    backend.FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    if title:
        ax.set_title(title, loc="left", fontsize=12, fontweight="bold")
    if not rows:
        ax.text(0.02, 0.5, "Nothing to draw: the plan has no objectives or tasks yet.", transform=ax.transAxes)
        ax.set_axis_off()
        fig.savefig(os.fspath(path))
        return
    num = mdates.date2num
    _png_rows(ax, rows, num)
    lo, hi = _span(rows, today)
    ax.set_xlim(num(lo), num(_after(hi, 1)))
    if lo <= today <= hi:
        ax.axvline(num(today) + 0.5, color=_RED, linestyle="--", linewidth=1.2, zorder=4)
    ax.set_ylim(len(rows) - 0.5, -0.5)
    ax.set_yticks(range(len(rows)), ["    " * r.level + r.name for r in rows], fontsize=8)
    for tick, r in zip(ax.get_yticklabels(), rows, strict=True):
        tick.set_color(_RED if r.overdue else (_GREY if r.closed else _TEXT))
        tick.set_fontweight("bold" if r.level == 0 else "normal")
    locator = mdates.AutoDateLocator()
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    ax.grid(axis="x", color="#E6E9EE", zorder=0)
    _png_legend(ax, patches, lines)
    fig.tight_layout()
    fig.savefig(os.fspath(path))


def _png_rows(ax: Any, rows: Sequence[ScheduleRow], num: Callable[[date], float]) -> None:
    """The bars, milestones and dependency arrows of the PNG chart."""
    on_path = set(critical_path(rows))
    index = {r.id: i for i, r in enumerate(rows)}
    for i, r in enumerate(rows):
        fill, opacity, outline = _style(r, r.id in on_path)
        if r.due is None:
            ax.scatter(
                [num(r.start) + 0.5],
                [i],
                marker="D",
                s=50 if r.level == 0 else 30,
                color=fill,
                alpha=opacity,
                edgecolors=outline or "none",
                zorder=3,
            )
        else:
            ax.barh(
                i,
                (r.due - r.start).days + 1,
                left=num(r.start),
                height=0.6 if r.level == 0 else 0.35,
                color=fill,
                alpha=opacity,
                edgecolor=outline or "none",
                linewidth=1.5 if outline else 0,
                zorder=3,
            )
        for dep in r.depends_on:
            if dep in index:
                p = rows[index[dep]]
                start = num(_after(p.due, 1)) if p.due else num(p.start) + 0.5
                ax.annotate(
                    "",
                    xy=(num(r.start), i),
                    xytext=(start, index[dep]),
                    zorder=2,
                    arrowprops={
                        "arrowstyle": "-|>",
                        "color": _GREY,
                        "lw": 0.9,
                        "connectionstyle": "angle,angleA=0,angleB=90,rad=0",
                    },
                )


def _png_legend(ax: Any, patches: Any, lines: Any) -> None:
    ax.legend(
        handles=[
            patches.Patch(color=_PLAIN[0], label="Objective"),
            patches.Patch(color=_PLAIN[1], label="Task"),
            patches.Patch(color=_CRITICAL[0], label="Critical path"),
            patches.Patch(facecolor=_PLAIN[0], edgecolor=_RED, label="Overdue"),
            patches.Patch(color=_CLOSED, alpha=0.55, label="Closed"),
            lines.Line2D([], [], color=_RED, linestyle="--", label="Today"),
        ],
        loc="upper center",
        bbox_to_anchor=(0.5, -0.08),
        ncol=6,
        fontsize=8,
        frameon=False,
    )
