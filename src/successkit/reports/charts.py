"""Bar, stacked bar and line charts as SVG, written with the standard library (REPORT_03).

The look is the Gantt chart's (:mod:`successkit.views.gantt`): the same font
stack, text colour, greys, blue and orange, a bold title at the top left and a
legend of swatches at the bottom.  Charts are 800 pixels wide by default, the
width of a notebook's output area, and every mark stays inside the viewBox.

Readability choices: categories are written under their bars in up to two lines,
cut with an ellipsis when longer, the full name in a ``<title>`` tooltip; every bar
carries its value (stacked bars: the total above, each segment inside when it is
tall enough); a line chart labels its points when there are few, otherwise each
line's last point.  Values read short (``12.5k``, ``1.2M``).

Elements carry classes and ``data-`` attributes for tests and styling:
``rect.bar`` with ``data-category``, ``data-series`` and ``data-value``;
``text.value-label``, ``text.category-label``, ``text.axis-label``,
``text.tick``, ``g.legend``; ``path.line`` and ``circle.point`` with
``data-series`` (and ``data-value`` on points).
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

from successkit.errors import ValidationError

__all__ = ["PALETTE", "Svg", "bar_chart", "line_chart", "series_colours", "short_number", "stacked_bar_chart"]

SVG_NS = "http://www.w3.org/2000/svg"
#: Series colours: the Gantt chart's blue and orange first, then a colour-blind-aware set.
PALETTE = ("#4C78A8", "#E8710A", "#54A24B", "#B279A2", "#72B7B2", "#EECA3B", "#9D755D", "#FF9DA6", "#BAB0AC")
#: Colours of the usual grades, so a grade reads the same in every chart.
GRADE_COLOURS = {"Red": "#D62728", "Yellow": "#E3B505", "Green": "#54A24B"}
_TEXT = "#222222"
_GREY = "#8C8C8C"
_GRID = "#E6E9EE"
_AXIS = "#C9CED6"
_FONT = "system-ui, -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif"
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

_TITLE_H = 30
_LEFT = 64  # tick labels
_RIGHT = 24
_TOP_PAD = 22  # room for the value labels over the highest bar
_PLOT_H = 220
_CHAR_W = 6.4  # an average character at 11 px
_MIN_WIDTH = 400
_MAX_POINTS = 500


class Svg(str):
    """An SVG document as text; notebooks show it as a picture."""

    __slots__ = ()

    def _repr_svg_(self) -> str:
        return str(self)


def _e(text: object) -> str:
    """Escaped for XML, with the characters XML 1.0 cannot hold replaced."""
    return html.escape(_XML_INVALID.sub("\ufffd", str(text)), quote=True)


def _n(value: float) -> str:
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def short_number(value: float | None) -> str:
    """A value as a chart shows it: ``1,234``, ``12.5k``, ``1.2M``, ``0.75``; ``—`` for none."""
    if value is None:
        return "—"
    size = abs(value)
    for limit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if size >= limit:
            text = f"{value / limit:.1f}".removesuffix(".0")
            return text + suffix
    if float(value).is_integer():
        return f"{int(value):,}"
    digits = 0 if size >= 100 else 1 if size >= 10 else 2
    return f"{value:.{digits}f}".rstrip("0").rstrip(".") if digits else f"{value:.0f}"


def series_colours(names: Sequence[str], colours: Mapping[str, str] | None = None) -> dict[str, str]:
    """Each series' colour: the caller's, a grade's own, else the palette in order."""
    out: dict[str, str] = {}
    for i, name in enumerate(names):
        given = (colours or {}).get(name) or GRADE_COLOURS.get(name)
        out[name] = given or PALETTE[i % len(PALETTE)]
    return out


def _checked(
    what: str, categories: Sequence[Any], series: Mapping[str, Sequence[Any]] | Sequence[Any], width: Any
) -> tuple[list[str], dict[str, list[float | None]]]:
    """Categories as text and series as lists of finite numbers or None; anything else refused."""
    if isinstance(width, bool) or not isinstance(width, int) or not _MIN_WIDTH <= width <= 4000:
        raise ValidationError(f"a chart is {_MIN_WIDTH} to 4000 pixels wide", rule="REPORT_03", value=width)
    if isinstance(categories, (str, bytes)) or not isinstance(categories, Sequence):
        raise ValidationError(f"a {what}'s categories are a list", rule="REPORT_03", value=categories)
    if len(categories) > _MAX_POINTS:
        raise ValidationError(
            f"a chart shows at most {_MAX_POINTS} categories", rule="REPORT_03", value=len(categories)
        )
    named = dict(series) if isinstance(series, Mapping) else {"": series}
    if not named or len(named) > 24:
        raise ValidationError("a chart has 1 to 24 series", rule="REPORT_03", value=len(named))
    out: dict[str, list[float | None]] = {}
    for name, values in named.items():
        if isinstance(values, (str, bytes)) or not isinstance(values, Sequence) or len(values) != len(categories):
            raise ValidationError(
                f"series {name!r} has one value per category ({len(categories)})", rule="REPORT_03", value=values
            )
        row: list[float | None] = []
        for v in values:
            if v is None:
                row.append(None)
            elif isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
                raise ValidationError(f"series {name!r} holds a value that is no number", rule="REPORT_03", value=v)
            else:
                row.append(float(v))
        out[str(name)] = row
    return ["—" if c is None else str(c) for c in categories], out


def _ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """Round tick values covering ``lo`` to ``hi``."""
    if hi <= lo:
        hi = lo + (abs(lo) or 1.0)
    raw = (hi - lo) / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    start, end = math.floor(lo / step + 1e-9) * step, math.ceil(hi / step - 1e-9) * step
    return [start + i * step for i in range(round((end - start) / step) + 1)]


def _wrap(name: str, chars: int) -> list[str]:
    """A category name in at most two lines of ``chars``, the rest cut with an ellipsis."""
    chars = max(chars, 3)
    words, lines, line = name.split(), [], ""
    for word in words or [name]:
        candidate = f"{line} {word}".strip()
        if len(candidate) <= chars:
            line = candidate
            continue
        if line:
            lines.append(line)
        line = word
    lines.append(line)
    if len(lines) > 2 or any(len(x) > chars for x in lines[:2]):
        first = lines[0] if len(lines[0]) <= chars else lines[0][: chars - 1] + "…"
        rest = " ".join(lines[1:]) if len(lines[0]) <= chars else lines[0][chars - 1 :] + " " + " ".join(lines[1:])
        rest = rest.strip()
        second = rest if len(rest) <= chars else rest[: chars - 1] + "…"
        return [first, second] if second else [first]
    return lines


class _Frame:
    """The parts every chart shares: title, value axis, category labels, legend, document."""

    def __init__(self, width: int, title: str | None, value_label: str | None, lo: float, hi: float) -> None:
        self.width = width
        self.title = title
        self.out: list[str] = []
        self.top = (_TITLE_H if title else 8) + (16 if value_label else 0) + _TOP_PAD
        self.left, self.right = _LEFT, width - _RIGHT
        self.bottom = self.top + _PLOT_H
        self.ticks = _ticks(lo, hi)
        self.lo, self.hi = self.ticks[0], self.ticks[-1]
        if title:
            self.out.append(
                f'<text class="title" x="12" y="21" font-size="15" font-weight="600" fill="{_TEXT}">{_e(title)}</text>'
            )
        if value_label:
            self.out.append(
                f'<text class="axis-label value-axis" x="12" y="{self.top - _TOP_PAD - 2}" font-size="11" '
                f'fill="{_GREY}">{_e(value_label)}</text>'
            )

    def y(self, value: float) -> float:
        return self.bottom - (value - self.lo) / (self.hi - self.lo) * (self.bottom - self.top)

    def grid(self) -> None:
        for t in self.ticks:
            y = self.y(t)
            self.out.append(
                f'<line class="grid" x1="{self.left}" y1="{_n(y)}" x2="{self.right}" y2="{_n(y)}" '
                f'stroke="{_AXIS if t == 0 else _GRID}" stroke-width="1"/>'
            )
            self.out.append(
                f'<text class="tick" x="{self.left - 8}" y="{_n(y + 4)}" text-anchor="end" font-size="11" '
                f'fill="{_GREY}">{_e(short_number(t))}</text>'
            )

    def categories(self, names: Sequence[str], centre: Any, slot: float) -> float:
        """Category names under the plot; returns the y below them."""
        chars = int((slot - 4) // _CHAR_W)
        every = 1 if chars >= 3 else math.ceil(3 * _CHAR_W / max(slot, 1))  # too narrow: label every k-th
        lowest = self.bottom
        for i, name in enumerate(names):
            if i % every:
                continue
            lines = _wrap(name, max(chars, 3) if every == 1 else 8)
            x = centre(i)
            spans = "".join(
                f'<tspan x="{_n(x)}" dy="{0 if j == 0 else 13}">{_e(line)}</tspan>' for j, line in enumerate(lines)
            )
            self.out.append(
                f'<text class="category-label" data-category="{_e(name)}" x="{_n(x)}" y="{self.bottom + 16}" '
                f'text-anchor="middle" font-size="11" fill="{_TEXT}">{spans}<title>{_e(name)}</title></text>'
            )
            lowest = max(lowest, self.bottom + 16 + 13 * (len(lines) - 1))
        return lowest + 4

    def axis_label(self, text: str | None, y: float) -> float:
        if not text:
            return y
        self.out.append(
            f'<text class="axis-label category-axis" x="{_n((self.left + self.right) / 2)}" y="{_n(y + 14)}" '
            f'text-anchor="middle" font-size="11" fill="{_GREY}">{_e(text)}</text>'
        )
        return y + 18

    def legend(self, colours: Mapping[str, str], y: float, line: bool = False) -> float:
        """Swatches and names, wrapping onto further rows; returns the y below."""
        names = [n for n in colours if n]
        if not names:
            return y
        out = [f'<g class="legend" font-size="11" fill="{_TEXT}">']
        at, row_y = 12.0, y + 16
        for name in names:
            shown = name if len(name) <= 40 else name[:39] + "…"
            need = 24 + len(shown) * _CHAR_W + 18
            if at + need > self.width - 12 and at > 12:
                at, row_y = 12.0, row_y + 18
            swatch = (
                f'<path d="M0,0 H18" stroke="{colours[name]}" stroke-width="2.5"/>'
                f'<circle cx="9" cy="0" r="3" fill="{colours[name]}"/>'
                if line
                else f'<rect x="0" y="-6" width="18" height="12" rx="2" fill="{colours[name]}"/>'
            )
            out.append(
                f'<g class="legend-item" data-series="{_e(name)}" transform="translate({_n(at)},{_n(row_y)})">'
                f'{swatch}<text x="24" y="4">{_e(shown)}<title>{_e(name)}</title></text></g>'
            )
            at += need
        out.append("</g>")
        self.out.extend(out)
        return row_y + 12

    def document(self, height: float, kind: str) -> Svg:
        h = _n(math.ceil(height))
        opening = (
            f'<svg xmlns="{SVG_NS}" class="successkit-chart {kind}" font-family="{_e(_FONT)}" font-size="12" '
            f'width="{self.width}" height="{h}" viewBox="0 0 {self.width} {h}">'
        )
        label = f"<title>{_e(self.title)}</title>" if self.title else ""
        return Svg("\n".join([opening + label, *self.out, "</svg>"]) + "\n")


def _ink(fill: str) -> str:
    """Text colour on a fill: dark on light colours (yellow), white on the others."""
    try:
        r, g, b = (int(fill[i : i + 2], 16) for i in (1, 3, 5))
    except ValueError:
        return _TEXT
    return _TEXT if 0.299 * r + 0.587 * g + 0.114 * b > 170 else "#FFFFFF"


def _empty(width: int, title: str | None, kind: str) -> Svg:
    frame = _Frame(width, title, None, 0, 1)
    frame.out.append(f'<text class="empty" x="12" y="{(_TITLE_H if title else 8) + 22}" fill="{_GREY}">No data.</text>')
    return frame.document((_TITLE_H if title else 8) + 40, kind)


def bar_chart(
    categories: Sequence[Any],
    series: Mapping[str, Sequence[float | None]] | Sequence[float | None],
    *,
    title: str | None = None,
    value_label: str | None = None,
    category_label: str | None = None,
    colours: Mapping[str, str] | None = None,
    width: int = 800,
) -> Svg:
    """Bars per category, one per series side by side (REPORT_03).

    ``series`` is a list of values (one series, no legend) or a mapping of series
    names to lists, one value per category; None draws no bar."""
    names, data = _checked("bar chart", categories, series, width)
    return _bars(names, data, title, value_label, category_label, colours, width, stacked=False)


def stacked_bar_chart(
    categories: Sequence[Any],
    series: Mapping[str, Sequence[float | None]],
    *,
    title: str | None = None,
    value_label: str | None = None,
    category_label: str | None = None,
    colours: Mapping[str, str] | None = None,
    width: int = 800,
) -> Svg:
    """One bar per category made of the series' values stacked, first series at the
    bottom, the total above (REPORT_03).  Stacked values cannot be negative."""
    names, data = _checked("stacked bar chart", categories, series, width)
    for name, values in data.items():
        if any(v is not None and v < 0 for v in values):
            raise ValidationError(f"a stacked bar cannot hold negative values (series {name!r})", rule="REPORT_03")
    return _bars(names, data, title, value_label, category_label, colours, width, stacked=True)


def _bars(
    names: list[str],
    data: dict[str, list[float | None]],
    title: str | None,
    value_label: str | None,
    category_label: str | None,
    colours: Mapping[str, str] | None,
    width: int,
    *,
    stacked: bool,
) -> Svg:
    kind = "stacked-bar-chart" if stacked else "bar-chart"
    if not names:
        return _empty(width, title, kind)
    present = [v for values in data.values() for v in values if v is not None]
    if stacked:
        totals = [sum(values[i] or 0.0 for values in data.values()) for i in range(len(names))]
        lo, hi = 0.0, max(totals, default=0.0)
    else:
        lo, hi = min([0.0, *present]), max([0.0, *present])
    frame = _Frame(width, title, value_label, lo, hi)
    frame.grid()
    slot = (frame.right - frame.left) / len(names)
    paint = series_colours(list(data), colours)
    # one series over grades: each bar in its grade's colour
    by_grade = GRADE_COLOURS if len(data) == 1 and all(n in GRADE_COLOURS for n in names) else {}
    n_bars = 1 if stacked else len(data)
    bar_w = min(56.0, slot * 0.72 / n_bars)
    label_size = 10 if bar_w >= 26 else 9
    show_values = bar_w * 1.0 >= len("00.0k") * 5.2 * 0.8

    def centre(i: int) -> float:
        return frame.left + slot * (i + 0.5)

    zero = frame.y(max(frame.lo, 0.0))
    for i, category in enumerate(names):
        base = centre(i) - bar_w * n_bars / 2
        running = 0.0
        for j, (series_name, values) in enumerate(data.items()):
            v = values[i]
            if v is None:
                continue
            x = base if stacked else base + j * bar_w
            y0, y1 = (frame.y(running), frame.y(running + v)) if stacked else (zero, frame.y(v))
            top, h = min(y0, y1), abs(y0 - y1)
            tip = f"{category}" + (f" · {series_name}" if series_name else "") + f": {short_number(v)}"
            out_w = bar_w - (0 if stacked else 2)
            fill = by_grade.get(category, paint[series_name])
            frame.out.append(
                f'<rect class="bar" data-category="{_e(category)}" data-series="{_e(series_name)}" '
                f'data-value="{v!r}" x="{_n(x + (0 if stacked else 1))}" y="{_n(top)}" width="{_n(out_w)}" '
                f'height="{_n(h)}" fill="{fill}"><title>{_e(tip)}</title></rect>'
            )
            if stacked and h >= 15 and bar_w >= 30 and len(data) > 1:
                frame.out.append(
                    f'<text class="value-label segment" x="{_n(x + bar_w / 2)}" y="{_n(top + h / 2 + 4)}" '
                    f'text-anchor="middle" font-size="{label_size}" fill="{_ink(fill)}">{_e(short_number(v))}</text>'
                )
            elif not stacked and show_values:
                below = v < 0
                ty = top + h + 12 if below else top - 4
                frame.out.append(
                    f'<text class="value-label" data-category="{_e(category)}" data-series="{_e(series_name)}" '
                    f'x="{_n(x + bar_w / 2)}" y="{_n(ty)}" text-anchor="middle" font-size="{label_size}" '
                    f'fill="{_TEXT}">{_e(short_number(v))}</text>'
                )
            running += v
        if stacked and any(values[i] is not None for values in data.values()):
            frame.out.append(
                f'<text class="value-label total" data-category="{_e(category)}" x="{_n(centre(i))}" '
                f'y="{_n(frame.y(running) - 4)}" text-anchor="middle" font-size="{label_size + 1}" '
                f'font-weight="600" fill="{_TEXT}">{_e(short_number(running))}</text>'
            )
    frame.out.append(
        f'<line class="axis" x1="{frame.left}" y1="{_n(zero)}" x2="{frame.right}" y2="{_n(zero)}" '
        f'stroke="{_GREY}" stroke-width="1"/>'
    )
    y = frame.axis_label(category_label, frame.categories(names, centre, slot))
    y = frame.legend(paint if len(data) > 1 else {}, y)
    return frame.document(y + 10, kind)


def line_chart(
    labels: Sequence[Any],
    series: Mapping[str, Sequence[float | None]] | Sequence[float | None],
    *,
    title: str | None = None,
    value_label: str | None = None,
    category_label: str | None = None,
    colours: Mapping[str, str] | None = None,
    width: int = 800,
) -> Svg:
    """Lines over a history (REPORT_03): ``labels`` are the points in time (weeks,
    quarters), each series one value per label; a None leaves a gap in its line.
    The value axis covers the values with round ticks, not necessarily from zero."""
    names, data = _checked("line chart", labels, series, width)
    present = [v for values in data.values() for v in values if v is not None]
    if not names or not present:
        return _empty(width, title, "line-chart")
    lo, hi = min(present), max(present)
    pad = (hi - lo) * 0.08 or abs(hi) * 0.1 or 1.0
    lo = 0.0 if lo >= 0 and lo - pad < 0 else lo - pad
    frame = _Frame(width, title, value_label, lo, hi + pad)
    frame.grid()
    slot = (frame.right - frame.left) / len(names)
    paint = series_colours(list(data), colours)
    label_all = len(data) <= 2 and len(names) <= 16

    def centre(i: int) -> float:
        return frame.left + slot * (i + 0.5)

    for k, (series_name, values) in enumerate(data.items()):
        colour = paint[series_name]
        parts, pen_down = [], False
        for i, v in enumerate(values):
            if v is None:
                pen_down = False
                continue
            parts.append(f"{'L' if pen_down else 'M'}{_n(centre(i))},{_n(frame.y(v))}")
            pen_down = True
        frame.out.append(
            f'<path class="line" data-series="{_e(series_name)}" d="{" ".join(parts)}" fill="none" '
            f'stroke="{colour}" stroke-width="2.5" stroke-linejoin="round" stroke-linecap="round"/>'
        )
        last = max((i for i, v in enumerate(values) if v is not None), default=-1)
        for i, v in enumerate(values):
            if v is None:
                continue
            cx, cy = centre(i), frame.y(v)
            tip = f"{names[i]}" + (f" · {series_name}" if series_name else "") + f": {short_number(v)}"
            frame.out.append(
                f'<circle class="point" data-series="{_e(series_name)}" data-category="{_e(names[i])}" '
                f'data-value="{v!r}" cx="{_n(cx)}" cy="{_n(cy)}" r="3.5" fill="{colour}" stroke="#FFFFFF" '
                f'stroke-width="1.5"><title>{_e(tip)}</title></circle>'
            )
            if label_all or i == last:
                dy = -9 if k % 2 == 0 else 17  # a second series labels below its points
                frame.out.append(
                    f'<text class="value-label" data-series="{_e(series_name)}" x="{_n(cx)}" '
                    f'y="{_n(max(cy + dy, frame.top - _TOP_PAD + 10))}" text-anchor="middle" font-size="10" '
                    f'fill="{colour}" font-weight="600" stroke="#FFFFFF" stroke-width="3" paint-order="stroke">'
                    f"{_e(short_number(v))}</text>"
                )
    y = frame.axis_label(category_label, frame.categories(names, centre, slot))
    y = frame.legend(paint if len(data) > 1 else {}, y, line=True)
    return frame.document(y + 10, "line-chart")
