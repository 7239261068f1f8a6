"""Dependency arrows of a Gantt chart that never cross a bar (GANTT_03).

Every chart row holds one bar, narrower than the row, so the horizontal lines
between rows are always clear.  An arrow leaves its predecessor's end going
right, and reaches its dependent's start from the left.  When a straight
vertical run between the two rows misses every bar of the rows in between, the
arrow takes it (three segments); otherwise it steps into the gap next to the
predecessor's row, runs along that gap to a column that is clear, goes down (or
up) that column to the gap next to the dependent's row, and along it to just
before the dependent's start.  Arrows sharing a gap are spread over three lanes
a few pixels apart, so they stay apart where they run side by side.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence

import attrs

__all__ = ["Box", "route"]

_STUB = 6  # how far an arrow runs out of a bar before it turns
_CLEAR = 3  # the room kept between an arrow and a bar
_LANES = (0.0, -3.0, 3.0)


@attrs.frozen
class Box:
    """One row's bar: ``x0`` to ``x1`` across, in a row from ``top`` to ``top + height``."""

    x0: float
    x1: float
    top: float
    height: float

    @property
    def middle(self) -> float:
        return self.top + self.height / 2


@attrs.define
class Router:
    """Routes arrows among the rows' bars; remembers how busy each gap is."""

    boxes: Sequence[Box]
    left: float  # the chart area's edges: no arrow runs outside them
    right: float
    _lanes: dict[float, int] = attrs.field(factory=dict, init=False)

    def route(self, a: int, b: int, start: float, end: float) -> list[tuple[float, float]]:
        """The corners of an arrow from ``start`` on row ``a`` (its bar's right end) to ``end``
        on row ``b`` (its bar's left end), first to last."""
        ya, yb = self.boxes[a].middle, self.boxes[b].middle
        sx = min(start + _STUB, self.right)
        ex = max(end - _STUB, self.left + 1)
        between = range(a + 1, b) if b > a else range(b + 1, a)
        if sx <= ex:
            column = self._clear(between, sx, ex, sx)
            if column is not None:
                return [(start, ya), (column, ya), (column, yb), (end, yb)]
        down = b > a
        gap_a = self.boxes[a].top + (self.boxes[a].height if down else 0)
        gap_b = self.boxes[b].top + (0 if down else self.boxes[b].height)
        ga, gb = self._lane(gap_a), self._lane(gap_b) if gap_b != gap_a else None
        if gb is None:  # neighbouring rows: one gap between them
            return [(start, ya), (sx, ya), (sx, ga), (ex, ga), (ex, yb), (end, yb)]
        column = self._clear(between, self.left + 1, self.right, (sx + ex) / 2)
        if column is None:  # every column is taken: keep to the chart's left edge
            column = self.left + 1
        return [(start, ya), (sx, ya), (sx, ga), (column, ga), (column, gb), (ex, gb), (ex, yb), (end, yb)]

    def _lane(self, gap: float) -> float:
        """A lane of the gap at ``gap``: its middle first, then a little above and below."""
        n = self._lanes.get(gap, 0)
        self._lanes[gap] = n + 1
        return gap + _LANES[n % len(_LANES)]

    def _clear(self, rows: range, lo: float, hi: float, want: float) -> float | None:
        """The x in ``lo``..``hi`` nearest ``want`` that no bar of ``rows`` covers, if any."""
        spans = sorted((self.boxes[i].x0 - _CLEAR, self.boxes[i].x1 + _CLEAR) for i in rows)
        merged: list[list[float]] = []
        for s, e in spans:
            if merged and s <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], e)
            else:
                merged.append([s, e])
        starts = [s for s, _ in merged]

        def free(x: float) -> bool:
            i = bisect.bisect_left(starts, x) - 1  # the last span starting before x
            return i < 0 or merged[i][1] <= x

        edges = [x for s, e in merged for x in (s, e) if lo <= x <= hi]
        points = edges + [x for x in (want, lo, hi) if free(x)]
        return min(points, key=lambda x: (abs(x - want), x)) if points else None


def route(
    boxes: Sequence[Box], pairs: Sequence[tuple[int, int, float, float]], left: float, right: float
) -> list[list[tuple[float, float]]]:
    """The corners of each arrow ``(from row, to row, start x, end x)``, in the same order."""
    router = Router(boxes, left, right)
    return [router.route(a, b, s, e) for a, b, s, e in pairs]
