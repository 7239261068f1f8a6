"""The scale table: the same figures at several sizes, printed as Markdown.

``run.py --sizes 10000,100000,1000000 --only k,j`` runs the chosen figures once
per size, every row count set to that size, and ends with one table: a row per
figure, a column per size, each cell the ratio of the medians with successkit's
median time and the baseline's.  docs/performance.md shows one such table and
the command that made it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from measure import Figure

__all__ = ["markdown_table", "row_label"]


def row_label(name: str, sizes: Iterable[int]) -> str:
    """A figure's name without its sizes (``100,000`` becomes ``N``), so that the
    same figure at several sizes lands in one row of the table."""
    label = name.strip()
    for n in sorted(set(sizes), reverse=True):
        label = label.replace(f"{n:,}", "N")
    return label


def _cell(f: Figure) -> str:
    mark = "" if f.passed else " ✗"
    times = f"{f.fmt(f.op.median)} / {f.fmt(f.base.median)}"
    if f.limit is not None:  # a target on the difference: show the difference
        return f"+{f.fmt(f.op.median - f.base.median)}{mark} ({times})"
    return f"{f.median_ratio:.2f}{mark} ({times})"


def markdown_table(runs: Sequence[tuple[int, Sequence[Figure], Iterable[int]]]) -> str:
    """``runs``: (size, the figures measured at it, the row counts those figures used).
    Rows keep the order in which the figures first appear."""
    rows: dict[str, dict[int, Figure]] = {}
    targets: dict[str, str] = {}
    for size, figures, counts in runs:
        for f in figures:
            label = row_label(f.name, [size, *counts])
            rows.setdefault(label, {})[size] = f
            targets.setdefault(label, f.target_text.replace("-", "—"))
    sizes = [size for size, _, _ in runs]
    head = "| figure | target | " + " | ".join(f"N = {n:,}" for n in sizes) + " |"
    lines = [head, "|---|---|" + "---|" * len(sizes)]
    for label, by_size in rows.items():
        cells = [_cell(by_size[n]) if n in by_size else "—" for n in sizes]
        lines.append(f"| {label.replace('|', '/')} | {targets[label]} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
