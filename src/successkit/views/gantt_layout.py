"""How a Gantt chart fits its text and dates (GANTT_03): name widths, wrapped
names and the time scale of the date axis.

An SVG has no text metrics until a browser shows it, so names and tick labels
are fitted with per-character widths of the wide sans-serif faces a browser may
pick (DejaVu Sans, Verdana-like; Helvetica and Segoe UI are narrower), rounded
up: a name that fits by this estimate fits on screen.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date, timedelta

import attrs

from successkit.plans.schedule import ScheduleRow

__all__ = ["AxisScale", "Tick", "after", "axis_scale", "end_of", "span", "style", "text_width", "wrap_name"]

_NARROW = frozenset(" ilj.,:;'|/\\")
_SEMI = frozenset('frtI-()[]!"`')
_WIDE = frozenset("mwMW@%&")
_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
ELLIPSIS = "…"


def _em(c: str) -> float:
    """One character's width in ems, rounded up."""
    if c in _NARROW:
        return 0.34
    if c in _SEMI:
        return 0.5
    if c in _WIDE:
        return 1.02
    if ord(c) >= 0x2E80:  # CJK and other full-width scripts
        return 1.0
    if c.isupper():
        return 0.8
    return 0.64


def text_width(text: str, size: float, *, bold: bool = False) -> float:
    """An upper estimate of ``text``'s width in pixels at font ``size``."""
    return sum(_em(c) for c in text) * size * (1.1 if bold else 1.0)


def _cut(text: str, room: float, size: float, bold: bool) -> str:
    """``text`` cut so that it and an ellipsis fit in ``room`` pixels."""
    out, used = "", text_width(ELLIPSIS, size, bold=bold)
    for c in text:
        used += text_width(c, size, bold=bold)
        if used > room:
            break
        out += c
    return out.rstrip() + ELLIPSIS


def wrap_name(name: str, room: float, size: float, *, bold: bool = False, lines: int = 2) -> tuple[list[str], bool]:
    """``name`` in at most ``lines`` lines of ``room`` pixels, broken between words (inside a
    word only when the word alone is too long); the last line is cut with an ellipsis when the
    name does not fit.  Also says whether anything was cut."""
    if text_width(name, size, bold=bold) <= room:
        return [name], False
    out: list[str] = []
    words = name.split()
    line = ""
    while words:
        word = words[0]
        trial = f"{line} {word}" if line else word
        if text_width(trial, size, bold=bold) <= room:
            line = trial
            words.pop(0)
            continue
        if not line:  # one word longer than the line: break it where the line ends
            head = _cut(word, room + text_width(ELLIPSIS, size, bold=bold), size, bold)[:-1] or word[:1]
            words[0] = word[len(head) :]
            line = head
        out.append(line)
        line = ""
        if len(out) == lines - 1:
            break
    rest = " ".join([line, *words]).strip()
    if text_width(rest, size, bold=bold) <= room:
        return [*out, rest], False
    return [*out, _cut(rest, room, size, bold)], True


@attrs.frozen
class Tick:
    """A labelled cell of the date axis: from ``start`` to the day before ``end``."""

    start: date
    end: date
    label: str
    short: str


@attrs.frozen
class AxisScale:
    """The two rows of the date axis: ``minor`` cells (days, weeks, months, quarters or
    years) under ``major`` ones (months or years; none when the minor cells are years)."""

    unit: str
    minor: list[Tick]
    major: list[Tick]


#: (unit, a label at its widest) from the finest to the coarsest
_UNITS = [("day", "30"), ("week", "30"), ("month", "May"), ("quarter", "Q4"), ("year", "2027")]
_DAYS = {"day": 1, "week": 7, "month": 30.4, "quarter": 91.3, "year": 365.25}


def axis_scale(lo: date, hi: date, per_day: float, size: float) -> AxisScale:
    """The finest scale whose cells are wide enough for their labels, for an axis from
    ``lo`` to ``hi`` (inclusive) at ``per_day`` pixels a day, labels at font ``size``."""
    unit, every = "year", 1
    for name, sample in _UNITS:
        if per_day * _DAYS[name] >= text_width(sample, size) + 8:
            unit = name
            break
    else:
        need = (text_width("2027", size) + 8) / (per_day * 365.25)
        every = next((k for k in (2, 5, 10, 20, 50) if k >= need), math.ceil(need))
    minor = _cells(unit, lo, hi, every)
    major = {"day": "month", "week": "month", "month": "year", "quarter": "year"}.get(unit)
    return AxisScale(unit, minor, _cells(major, lo, hi, 1) if major else [])


def _cells(unit: str, lo: date, hi: date, every: int) -> list[Tick]:
    """The cells of ``unit`` that meet the axis, the first starting at or before ``lo``."""
    out: list[Tick] = []
    at = _floor(unit, lo, every)
    while at <= hi:
        nxt = _next(unit, at, every)
        out.append(Tick(at, nxt, *_labels(unit, at)))
        if nxt == date.max:
            break
        at = nxt
    return out


def _floor(unit: str, d: date, every: int) -> date:
    if unit == "day":
        return d
    if unit == "week":
        return max(date.min, d - timedelta(days=d.weekday()))
    if unit == "month":
        return date(d.year, d.month, 1)
    if unit == "quarter":
        return date(d.year, 3 * ((d.month - 1) // 3) + 1, 1)
    return date(max(1, d.year - (d.year % every)), 1, 1)


def _next(unit: str, d: date, every: int) -> date:
    """The start of the next cell, or ``date.max`` past the calendar's end."""
    try:
        if unit in ("day", "week"):
            return d + timedelta(days=1 if unit == "day" else 7)
        if unit in ("month", "quarter"):
            months = d.month - 1 + (1 if unit == "month" else 3)
            return date(d.year + months // 12, months % 12 + 1, 1)
        return date(d.year + every, 1, 1)
    except (OverflowError, ValueError):
        return date.max


def _labels(unit: str, d: date) -> tuple[str, str]:
    """A cell's label and its short form."""
    if unit in ("day", "week"):
        return str(d.day), str(d.day)
    if unit == "month":
        return f"{_MONTHS[d.month - 1]} {d.year}", _MONTHS[d.month - 1]
    if unit == "quarter":
        return f"Q{(d.month - 1) // 3 + 1} {d.year}", f"Q{(d.month - 1) // 3 + 1}"
    return str(d.year), str(d.year)


# Colours, shared by the SVG and the (deprecated) PNG: (fill of objectives, fill of tasks)
PLAIN = ("#4C78A8", "#8FB8DE")
CRITICAL = ("#E8710A", "#F6B26B")
CLOSED = "#B4B4B4"
RED = "#D62728"
GREY = "#8C8C8C"
TEXT = "#222222"
#: The longest span drawn (20 years): bars running past it are cut at the chart's edge.
MAX_SPAN = timedelta(days=7305)


def end_of(row: ScheduleRow) -> date:
    """The last day of an item: its due date, or its start when it has none."""
    return row.due or row.start


def style(row: ScheduleRow, critical: bool) -> tuple[str, float, str | None]:
    """Fill, opacity and outline of a bar."""
    if row.closed:
        return CLOSED, 0.55, None
    fill = (CRITICAL if critical else PLAIN)[0 if row.level == 0 else 1]
    return fill, 1.0, RED if row.overdue else None


def after(d: date, days: int) -> date:
    """``d`` moved by ``days``, kept inside the calendar."""
    try:
        return d + timedelta(days=days)
    except OverflowError:
        return date.max if days > 0 else date.min


def span(rows: Sequence[ScheduleRow], today: date) -> tuple[date, date]:
    """First and last day of the axis: every item and, while anything is open, today,
    with a little room either side so no bar touches the names."""
    lo = min(r.start for r in rows)
    hi = max(end_of(r) for r in rows)
    if any(not r.closed for r in rows):
        lo, hi = min(lo, today), max(hi, today)
    hi = min(hi, after(lo, MAX_SPAN.days))
    pad = max(1, round((hi - lo).days * 0.02))
    return after(lo, -pad), after(hi, pad)
