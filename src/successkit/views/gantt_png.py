"""The deprecated PNG of a Gantt chart, drawn with matplotlib (GANTT_03).

Kept so that callers of :func:`successkit.views.gantt.save_png` keep working
while it is deprecated: it is not the SVG chart (no collapsing, labels on
matplotlib's axis, arrows across bars) and it is slow on large plans.
docs/choices.md says why the SVG is the one chart.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from successkit.plans.schedule import ScheduleRow

from .gantt_layout import CLOSED, CRITICAL, GREY, PLAIN, RED, TEXT, after, span, style

__all__ = ["draw_png"]


def draw_png(
    rows: Sequence[ScheduleRow], path: str | os.PathLike[str], *, today: date, title: str | None = None, dpi: int = 150
) -> None:
    """The chart of ``rows`` as a PNG file, drawn with matplotlib (not a dependency of successkit)."""
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
    lo, hi = span(rows, today)
    ax.set_xlim(num(lo), num(after(hi, 1)))
    if lo <= today <= hi:
        ax.axvline(num(today) + 0.5, color=RED, linestyle="--", linewidth=1.2, zorder=4)
    ax.set_ylim(len(rows) - 0.5, -0.5)
    ax.set_yticks(range(len(rows)), ["    " * r.level + r.name for r in rows], fontsize=8)
    for tick, r in zip(ax.get_yticklabels(), rows, strict=True):
        tick.set_color(RED if r.overdue else (GREY if r.closed else TEXT))
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
    from .gantt import critical_path

    on_path = set(critical_path(rows))
    index = {r.id: i for i, r in enumerate(rows)}
    for i, r in enumerate(rows):
        fill, opacity, outline = style(r, r.id in on_path)
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
                start = num(after(p.due, 1)) if p.due else num(p.start) + 0.5
                ax.annotate(
                    "",
                    xy=(num(r.start), i),
                    xytext=(start, index[dep]),
                    zorder=2,
                    arrowprops={
                        "arrowstyle": "-|>",
                        "color": GREY,
                        "lw": 0.9,
                        "connectionstyle": "angle,angleA=0,angleB=90,rad=0",
                    },
                )


def _png_legend(ax: Any, patches: Any, lines: Any) -> None:
    ax.legend(
        handles=[
            patches.Patch(color=PLAIN[0], label="Objective"),
            patches.Patch(color=PLAIN[1], label="Task"),
            patches.Patch(color=CRITICAL[0], label="Critical path"),
            patches.Patch(facecolor=PLAIN[0], edgecolor=RED, label="Overdue"),
            patches.Patch(color=CLOSED, alpha=0.55, label="Closed"),
            lines.Line2D([], [], color=RED, linestyle="--", label="Today"),
        ],
        loc="upper center",
        bbox_to_anchor=(0.5, -0.08),
        ncol=6,
        fontsize=8,
        frameon=False,
    )
