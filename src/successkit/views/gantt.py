"""Gantt charts of a plan's schedule (GANTT_03).

The SVG is written as text from the schedule rows (GANTT_01), so a host draws
charts with no plotting package.

Drawing choices: objectives are thick bars, their tasks thinner bars indented
under them; a bar runs from the start of its start day to the end of its due
day, and is never narrower than :data:`MIN_BAR` pixels, so a one-day task on a
long plan still shows.  An item without a due date is a diamond (milestone) on
its start day.  Arrows go from the end of a predecessor to the start of the
item waiting for it, routed between the rows so that they never cross a bar
(:mod:`successkit.views.gantt_routes`).  Closed items are grey and faded
whatever else they are; open overdue items have a red outline and a red name;
the critical path (:func:`critical_path`) is orange.  The date axis, at the
top (and again at the bottom of long charts), covers every item and, while
anything is open, today; its scale (days, weeks, months, quarters or years) is
the finest whose labels fit (:mod:`successkit.views.gantt_layout`).  Names too
long for the names column wrap to two lines and are then cut with an
ellipsis; the full name is the label's tooltip.  With ``collapse``, an
objective's tasks fold into its bar, which then says how many there are.
"""

from __future__ import annotations

import html
import itertools
import os
import re
import warnings
from collections.abc import Collection, Sequence
from datetime import date

import attrs

from successkit.errors import ValidationError
from successkit.plans.schedule import ScheduleRow

from .gantt_layout import (
    CLOSED,
    CRITICAL,
    GREY,
    PLAIN,
    RED,
    TEXT,
    AxisScale,
    after,
    axis_scale,
    end_of,
    span,
    style,
    text_width,
    wrap_name,
)
from .gantt_routes import Box, route

__all__ = ["MIN_BAR", "Collapse", "check_size", "critical_path", "render_svg", "save_png"]

SVG_NS = "http://www.w3.org/2000/svg"

#: The narrowest a bar is drawn, in pixels: a one-day task on an 18-month plan stays visible.
MIN_BAR = 6
_ROW_H = 28
_AXIS_H = 52  # months or years over the finer cells, and today's tag under them
_FOOT_AXIS_H = 36  # the axis repeated under a long chart
_REPEAT_AXIS = 25  # rows from which the axis is repeated at the bottom
_TITLE_H = 30
_RIGHT = 24
_MIN_PLOT = 200
_MIN_LABEL_W = 120
_FONT = "system-ui, -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif"
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
_TICK_SIZE = 11
Collapse = bool | Collection[str]


def _drivers(rows: Sequence[ScheduleRow]) -> dict[str, str]:
    """Each item's driving predecessor: of its dependencies on the chart, the
    one that finishes last (the first in schedule order on a tie)."""
    by_id = {r.id: r for r in rows}
    order = {r.id: i for i, r in enumerate(rows)}
    out: dict[str, str] = {}
    for r in rows:
        preds = [by_id[d] for d in r.depends_on if d in by_id and d != r.id]
        if preds:
            out[r.id] = max(preds, key=lambda p: (end_of(p), -order[p.id])).id
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
    last = max(end_of(r) for r in rows)
    end = max((r.id for r in rows if end_of(r) == last), key=lambda id: lengths[id])  # max keeps the first
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


def _n(value: float) -> str:
    """A coordinate, short."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _e(text: object) -> str:
    """Escaped for XML, with the characters XML 1.0 cannot hold (controls, lone surrogates) replaced."""
    return html.escape(_XML_INVALID.sub("\ufffd", str(text)), quote=True)


def _day(d: date) -> str:
    return f"{d.day} {_MONTHS[d.month - 1]} {d.year}"


@attrs.frozen
class _Shown:
    """A row on the chart; ``tasks`` counts the tasks folded into a collapsed objective."""

    row: ScheduleRow
    tasks: int | None = None


@attrs.frozen
class _Frame:
    """Where things go: the date axis from ``lo`` to ``hi`` across the chart area."""

    lo: date
    hi: date
    left: float
    right: float
    body_top: float
    rows: int

    @property
    def per_day(self) -> float:
        return (self.right - self.left) / ((self.hi - self.lo).days + 1)

    @property
    def body_bottom(self) -> float:
        return self.body_top + self.rows * _ROW_H

    def x(self, d: date) -> float:
        """A date's x; dates beyond the axis stay at its edges."""
        return self.left + (min(max(d, self.lo), after(self.hi, 1)) - self.lo).days * self.per_day

    def y(self, i: int) -> float:
        """The middle of row ``i``."""
        return self.body_top + i * _ROW_H + _ROW_H / 2


def check_size(width: object, label_width: object) -> None:
    """Refuse a names column or a chart too narrow to draw (GANTT_03)."""
    if isinstance(label_width, bool) or not isinstance(label_width, int) or label_width < _MIN_LABEL_W:
        raise ValidationError(f"the names column is at least {_MIN_LABEL_W} pixels wide", value=label_width)
    least = label_width + _RIGHT + _MIN_PLOT
    if isinstance(width, bool) or not isinstance(width, int) or width < least:
        raise ValidationError(
            f"a chart is at least {least} pixels wide (the names column, {label_width}, plus {_MIN_PLOT + _RIGHT})",
            value=width,
        )


def _shown(rows: Sequence[ScheduleRow], collapse: Collapse) -> tuple[list[_Shown], dict[str, str]]:
    """The rows drawn, and for each item the id of the row it is drawn in (its own, or its
    collapsed objective's)."""
    if isinstance(collapse, str) or not isinstance(collapse, (bool, Collection)):
        raise ValidationError("collapse is True, False or a collection of objective ids", value=collapse)
    folded = {r.id for r in rows if r.level == 0 and (collapse is True or (collapse is not False and r.id in collapse))}
    counts = {id: 0 for id in folded}
    where: dict[str, str] = {}
    for r in rows:
        if r.level > 0 and r.parent_id in folded:
            counts[r.parent_id] += 1
            where[r.id] = r.parent_id
        else:
            where[r.id] = r.id
    shown = [_Shown(r, counts.get(r.id)) for r in rows if where[r.id] == r.id]
    return shown, where


def render_svg(
    rows: Sequence[ScheduleRow],
    *,
    today: date,
    title: str | None = None,
    width: int = 960,
    label_width: int = 250,
    collapse: Collapse = False,
) -> str:
    """A Gantt chart of schedule rows as an SVG document (GANTT_03).

    ``width`` is the whole chart's width in pixels and ``label_width`` that of the names
    column on its left.  ``collapse`` folds tasks into their objective's bar: ``True`` for
    every objective, or the ids of those to fold.

    Elements carry classes and ``data-`` attributes for tests and styling:
    ``rect.bar`` (or ``path.bar.milestone``) with ``data-id``, ``data-kind``,
    ``data-start``, ``data-due`` and ``data-status`` (and ``data-tasks`` on a
    collapsed objective); ``text.label`` with ``data-id``; ``path.dependency``
    with ``data-from`` (the predecessor) and ``data-to``; ``line.today`` with
    ``data-date``; ``text.tick`` with ``data-date``.  Bars also have the
    classes ``objective``/``task``, ``critical``, ``overdue``, ``closed`` and
    ``collapsed`` as they apply.
    """
    check_size(width, label_width)
    shown, where = _shown(rows, collapse)
    out: list[str] = []
    top = 8
    if title:
        (line,), _ = wrap_name(_XML_INVALID.sub("\ufffd", title), width - 24, 15, bold=True, lines=1)
        out.append(
            f'<text class="title" x="12" y="21" font-size="15" font-weight="600" fill="{TEXT}">{_e(line)}</text>'
        )
        top = _TITLE_H
    if not rows:
        out.append(
            f'<text class="empty" x="12" y="{top + 22}" fill="{GREY}">Nothing to draw: the plan has no '
            "objectives or tasks yet.</text>"
        )
        return _document(out, width, top + 40, title)
    legend, legend_h = _legend(top + 10, width)
    out.extend(legend)
    axis_top = top + legend_h + 6
    lo, hi = span(rows, today)
    frame = _Frame(lo, hi, label_width, width - _RIGHT, axis_top + _AXIS_H, len(shown))
    scale = axis_scale(lo, hi, frame.per_day, _TICK_SIZE)
    height = frame.body_bottom + 12
    out.append(f"<defs>{_marker('sk-gantt-arrow', GREY)}{_marker('sk-gantt-arrow-critical', CRITICAL[0])}</defs>")
    for i in range(0, len(shown), 2):
        out.append(
            f'<rect class="stripe" x="0" y="{_n(frame.body_top + i * _ROW_H)}" width="{width}" '
            f'height="{_ROW_H}" fill="#F5F7FA"/>'
        )
    repeat = len(shown) >= _REPEAT_AXIS
    grid_bottom = frame.body_bottom + (18 if repeat else 0)
    out.extend(_grid(scale, frame, axis_top + 18, grid_bottom))
    out.extend(_axis_labels(scale, frame, axis_top + 13, axis_top + 30, "top"))
    if repeat:
        out.extend(_axis_labels(scale, frame, frame.body_bottom + 31, frame.body_bottom + 14, "bottom"))
        height = frame.body_bottom + _FOOT_AXIS_H + 8
    critical = critical_path(rows)
    out.extend(_dependencies(rows, shown, where, frame, set(itertools.pairwise(critical))))
    on_path = {where[id] for id in critical}
    for i, s in enumerate(shown):
        out.extend(_label(s, frame.y(i), label_width))
        out.append(_bar(s, frame.y(i), frame, s.row.id in on_path))
    if lo <= today <= hi:
        out.extend(_today_line(frame, today, axis_top + 45, frame.body_bottom))
    return _document(out, width, height, title)


def _grid(scale: AxisScale, f: _Frame, top: float, bottom: float) -> list[str]:
    """A faint line where each minor cell starts, a darker one where each major cell starts."""
    out = []
    majors = {t.start for t in scale.major}
    for t in scale.minor:
        if f.lo < t.start <= f.hi and t.start not in majors:
            out.append(
                f'<line class="grid {scale.unit}" x1="{_n(f.x(t.start))}" y1="{_n(top + 2)}" '
                f'x2="{_n(f.x(t.start))}" y2="{_n(bottom)}" stroke="#E6E9EE" stroke-width="1"/>'
            )
    for t in scale.major:
        if f.lo < t.start <= f.hi:
            out.append(
                f'<line class="grid major" x1="{_n(f.x(t.start))}" y1="{_n(top - 16)}" '
                f'x2="{_n(f.x(t.start))}" y2="{_n(bottom)}" stroke="#C9CED6" stroke-width="1"/>'
            )
    return out


def _axis_labels(scale: AxisScale, f: _Frame, major_y: float, minor_y: float, where: str) -> list[str]:
    """The labels of the axis's cells, each inside the part of its cell the chart shows;
    a cell too narrow for its label (or its short form) stays unlabelled."""
    out = []
    for tier, ticks, y, bold in (("major", scale.major, major_y, True), ("minor", scale.minor, minor_y, False)):
        for t in ticks:
            x0, x1 = max(f.x(t.start), f.left), min(f.x(t.end), f.right)
            text = t.short if tier == "minor" else t.label
            if tier == "major" and t.start < f.lo:  # a cut first cell: labelled only when much of it shows
                x1 -= text_width(t.short, _TICK_SIZE, bold=bold) + 6
            if text_width(text, _TICK_SIZE, bold=bold) + 6 > x1 - x0:
                text = t.short
            if text_width(text, _TICK_SIZE, bold=bold) + 6 > x1 - x0:
                continue
            weight = ' font-weight="600"' if bold else ""
            out.append(
                f'<text class="tick {tier} {where}" data-date="{t.start.isoformat()}" x="{_n(x0 + 3)}" '
                f'y="{_n(y)}" font-size="{_TICK_SIZE}"{weight} fill="{TEXT if bold else GREY}">{text}</text>'
            )
    return out


def _ends(s: _Shown, cy: float, f: _Frame) -> tuple[float, float]:
    """Where a row's mark starts and ends across."""
    r = s.row
    if r.due is None:
        cx, half = _diamond_x(r, f), _diamond(r)
        return cx - half, cx + half
    x0, x1 = f.x(r.start), f.x(after(r.due, 1))
    if x1 - x0 < MIN_BAR:
        x0 = min(x0, f.right - MIN_BAR)
        x1 = x0 + MIN_BAR
    return x0, x1


def _dependencies(
    rows: Sequence[ScheduleRow],
    shown: Sequence[_Shown],
    where: dict[str, str],
    f: _Frame,
    links: set[tuple[str, str]],
) -> list[str]:
    """Dependency arrows between the rows drawn, from the end of the predecessor to the
    start of the dependent; those on the critical path (``links``) drawn hot, last."""
    index = {s.row.id: i for i, s in enumerate(shown)}
    ends = [_ends(s, f.y(i), f) for i, s in enumerate(shown)]
    pairs: dict[tuple[str, str], bool] = {}
    for r in rows:
        for dep in r.depends_on:
            if dep in where and where[dep] != where[r.id]:
                key = (where[dep], where[r.id])
                pairs[key] = pairs.get(key, False) or (dep, r.id) in links
    order = sorted(pairs, key=lambda k: (pairs[k], index[k[0]], index[k[1]]))
    boxes = [Box(x0, x1, f.body_top + i * _ROW_H, _ROW_H) for i, (x0, x1) in enumerate(ends)]
    paths = route(
        boxes, [(index[a], index[b], ends[index[a]][1], ends[index[b]][0]) for a, b in order], f.left, f.right
    )
    out = []
    for (a, b), corners in zip(order, paths, strict=True):
        hot = pairs[(a, b)]
        colour, marker = (CRITICAL[0], "sk-gantt-arrow-critical") if hot else (GREY, "sk-gantt-arrow")
        out.append(
            f'<path class="dependency{" critical" if hot else ""}" data-from="{_e(a)}" '
            f'data-to="{_e(b)}" d="{_path(corners)}" fill="none" stroke="{colour}" '
            f'stroke-width="{1.6 if hot else 1}" stroke-opacity="{1 if hot else 0.7}" marker-end="url(#{marker})"/>'
        )
    return out


def _path(corners: Sequence[tuple[float, float]]) -> str:
    """``M x,y`` then ``H x`` or ``V y`` to each next corner (the arrows are orthogonal)."""
    (x, y), *rest = corners
    d = [f"M{_n(x)},{_n(y)}"]
    for nx, ny in rest:
        if ny != y:
            d.append(f"V{_n(ny)}")
        if nx != x:
            d.append(f"H{_n(nx)}")
        x, y = nx, ny
    return " ".join(d)


def _today_line(f: _Frame, today: date, top: float, bottom: float) -> list[str]:
    tx = f.x(today) + f.per_day / 2
    word = "today"
    half = text_width(word, 10) / 2
    at = min(max(tx, f.left + half), f.right - half)
    return [
        f'<line class="today" data-date="{today.isoformat()}" x1="{_n(tx)}" y1="{_n(top + 3)}" '
        f'x2="{_n(tx)}" y2="{_n(bottom)}" stroke="{RED}" stroke-width="1.5" stroke-dasharray="5 3"/>',
        f'<text class="today-label" x="{_n(at)}" y="{_n(top)}" text-anchor="middle" '
        f'font-size="10" font-weight="600" fill="{RED}">{word}</text>',
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


def _diamond(row: ScheduleRow) -> int:
    """Half the width of a milestone's diamond."""
    return 7 if row.level == 0 else 5


def _diamond_x(row: ScheduleRow, f: _Frame) -> float:
    """The middle of a milestone's diamond: its day's middle, kept inside the chart area."""
    half = _diamond(row)
    return min(max(f.x(row.start) + f.per_day / 2, f.left + half), f.right - half)


def _label(s: _Shown, cy: float, label_width: int) -> list[str]:
    """The name of a row, wrapped to two lines or cut to fit the names column, with the full
    name as its tooltip; a collapsed objective's task count on the column's right."""
    r = s.row
    indent = 10 + 16 * r.level
    out = []
    count = ""
    if s.tasks:
        count = f"{s.tasks} task" + ("" if s.tasks == 1 else "s")
        out.append(
            f'<text class="count" data-id="{_e(r.id)}" x="{label_width - 8}" y="{_n(cy + 4)}" '
            f'text-anchor="end" font-size="11" fill="{GREY}">{count}</text>'
        )
    room = label_width - indent - 10 - (text_width(count, 11) + 8 if count else 0)
    bold = r.level == 0
    name = _XML_INVALID.sub("\ufffd", r.name)
    lines, _ = wrap_name(name, room, 12, bold=bold, lines=2)
    size = 12 if len(lines) == 1 else 11  # two lines fitted at 12 px, drawn a little smaller
    colour = RED if r.overdue else (GREY if r.closed else TEXT)
    weight = ' font-weight="600"' if bold else ""
    head = (
        f'<text class="label {_e(r.kind)}" data-id="{_e(r.id)}" x="{indent}" y="{_n(cy + 4)}" '
        f'font-size="{size}"{weight} fill="{colour}">'
    )
    if len(lines) == 1:
        body = _e(lines[0])
    else:
        body = "".join(
            f'<tspan x="{indent}" y="{_n(cy - 2.5 + 13 * k)}">{_e(line)}</tspan>' for k, line in enumerate(lines)
        )
    out.append(f"{head}{body}<title>{_e(r.name)}</title></text>")
    return out


def _bar(s: _Shown, cy: float, f: _Frame, critical: bool) -> str:
    """The bar (or milestone) of one row, with its dates and status as a tooltip."""
    r = s.row
    fill, opacity, outline = style(r, critical)
    marks = (
        ("critical", critical),
        ("overdue", r.overdue),
        ("closed", r.closed),
        ("milestone", r.due is None),
        ("collapsed", s.tasks is not None),
    )
    kind = r.kind if r.kind in ("objective", "task") else "item"
    classes = " ".join(["bar", kind, *(c for c, on in marks if on)])
    when = _day(r.start) + (f" – {_day(r.due)}" if r.due else " (no due date)")
    folded = "" if s.tasks is None else f", {s.tasks} task{'' if s.tasks == 1 else 's'} folded in"
    tip = f"<title>{_e(r.name)}: {when}, {_e(r.status)}{', overdue' if r.overdue else ''}{folded}</title>"
    data = (
        f'data-id="{_e(r.id)}" data-kind="{_e(r.kind)}" data-start="{r.start.isoformat()}" '
        f'data-due="{r.due.isoformat() if r.due else ""}" data-status="{_e(r.status)}"'
        + ("" if s.tasks is None else f' data-tasks="{s.tasks}"')
    )
    paint = f'fill="{fill}" fill-opacity="{opacity}"' + (f' stroke="{outline}" stroke-width="2"' if outline else "")
    x0, x1 = _ends(s, cy, f)
    if r.due is None:
        cx, half = (x0 + x1) / 2, _diamond(r)
        return (
            f'<path class="{classes}" {data} d="M{_n(cx)},{_n(cy - half)} L{_n(x1)},{_n(cy)} '
            f'L{_n(cx)},{_n(cy + half)} L{_n(x0)},{_n(cy)} z" {paint}>{tip}</path>'
        )
    h = 16 if r.level == 0 else 10
    return (
        f'<rect class="{classes}" {data} x="{_n(x0)}" y="{_n(cy - h / 2)}" width="{_n(x1 - x0)}" '
        f'height="{h}" rx="{2 if x1 - x0 < 10 else 3}" {paint}>{tip}</rect>'
    )


def _legend(y: float, width: int) -> tuple[list[str], float]:
    """A swatch and a word for each kind of mark, in as many lines as the width needs;
    also the height it takes."""
    items = [
        ("Objective", f'<rect x="0" y="-6" width="18" height="12" rx="2" fill="{PLAIN[0]}"/>'),
        ("Task", f'<rect x="0" y="-4" width="18" height="8" rx="2" fill="{PLAIN[1]}"/>'),
        ("Critical path", f'<rect x="0" y="-6" width="18" height="12" rx="2" fill="{CRITICAL[0]}"/>'),
        (
            "Overdue",
            f'<rect x="1" y="-5" width="16" height="10" rx="2" fill="{PLAIN[0]}" stroke="{RED}" stroke-width="2"/>',
        ),
        ("Closed", f'<rect x="0" y="-6" width="18" height="12" rx="2" fill="{CLOSED}" fill-opacity="0.55"/>'),
        ("No due date", f'<path d="M9,-6 L15,0 L9,6 L3,0 z" fill="{PLAIN[0]}"/>'),
        ("Dependency", f'<path d="M0,0 H16" stroke="{GREY}" stroke-width="1.1" marker-end="url(#sk-gantt-arrow)"/>'),
        ("Today", f'<path d="M9,-7 V7" stroke="{RED}" stroke-width="1.5" stroke-dasharray="4 2"/>'),
    ]
    out = [f'<g class="legend" transform="translate(12,{_n(y)})" font-size="11" fill="{TEXT}">']
    at, line = 0.0, 0
    for word, swatch in items:
        step = 24 + text_width(word, 11) + 16
        if at and 12 + at + step > width:
            at, line = 0.0, line + 1
        out.append(f'<g transform="translate({_n(at)},{line * 20})">{swatch}<text x="24" y="4">{word}</text></g>')
        at += step
    out.append("</g>")
    return out, 20.0 * (line + 1)


def save_png(
    rows: Sequence[ScheduleRow], path: str | os.PathLike[str], *, today: date, title: str | None = None, dpi: int = 150
) -> None:
    """Deprecated: a rough PNG of the chart drawn with matplotlib.

    It is not the chart :func:`render_svg` draws (no collapsing, other labels, arrows across
    bars) and it is slow on large plans; write the SVG and convert it instead (a browser,
    ``rsvg-convert`` or ``cairosvg``).  It goes in a coming release."""
    warnings.warn(
        "save_png() is deprecated and will be removed: its chart is not the SVG chart and it is slow "
        "on large plans; write the SVG (render_svg or kit.plans.gantt) and convert it with a browser, "
        "rsvg-convert or cairosvg",
        DeprecationWarning,
        stacklevel=2,
    )
    from .gantt_png import draw_png

    draw_png(rows, path, today=today, title=title, dpi=dpi)
