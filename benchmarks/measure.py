"""The measuring routine every figure shares, and the report.

A figure compares a successkit operation with a hand-written baseline.  Both
run in interleaved rounds (A B, B A, A B, ... so neither always goes first),
after one or more warm-up rounds that are not counted.  Each run of a side can
have an untimed ``prepare`` step, which is where a figure that writes lays
fresh data (a new file, an emptied table), so the data does not grow from round
to round, and an untimed ``finish`` step that checks and cleans up.  Only
``run`` is timed, with the garbage collector collected before and switched off
during the timing (as :mod:`timeit` does), unless ``keep_gc`` is set.

Each side reports its best (fastest) and median time and its spread,
``(slowest - fastest) / median``.  A figure's ratios are successkit's median
over the baseline's median and successkit's best over the baseline's best.  The
verdict uses the ratio of the medians: see docs/performance.md for why.
"""

from __future__ import annotations

import gc
import shutil
import sqlite3
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "Figure",
    "Settings",
    "Side",
    "Timings",
    "copy_db",
    "fmt_bytes",
    "fmt_time",
    "measure",
    "remove_db",
    "report",
    "seal_db",
]


@dataclass(frozen=True)
class Settings:
    """How many rounds to count, how many to run first uncounted, and whether GC stays on."""

    rounds: int = 5
    warmup: int = 1
    keep_gc: bool = False

    def times(self, factor: int) -> Settings:
        """The same settings with ``factor`` times the rounds (for figures that take milliseconds)."""
        return Settings(self.rounds * factor, self.warmup, self.keep_gc)


@dataclass(frozen=True)
class Side:
    """One side of a figure: ``run(prepare(i))`` is timed for round ``i``, ``finish`` is not.

    Without ``prepare``, ``run`` is given the round number itself.  With ``rounds``,
    the side takes part in the warm-up and only that many counted rounds, the first
    ones (for a slow side given for context, such as an ORM).
    """

    label: str
    run: Callable[[Any], object]
    prepare: Callable[[int], Any] | None = None
    finish: Callable[[Any], object] | None = None
    rounds: int | None = None


@dataclass(frozen=True)
class Timings:
    """The counted measurements of one side, in the order they were taken."""

    label: str
    values: tuple[float, ...]

    @property
    def best(self) -> float:
        return min(self.values)

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    @property
    def worst(self) -> float:
        return max(self.values)

    @property
    def spread(self) -> float:
        """(slowest - fastest) / median: 0 when every round took the same time."""
        return (self.worst - self.best) / self.median if self.median else 0.0


def _timed(run: Callable[[Any], object], arg: Any, keep_gc: bool) -> float:
    gc.collect()
    was_enabled = gc.isenabled()
    if not keep_gc:
        gc.disable()
    try:
        start = time.perf_counter()
        run(arg)
        return time.perf_counter() - start
    finally:
        if was_enabled:
            gc.enable()


def measure(settings: Settings, *sides: Side) -> list[Timings]:
    """Run ``sides`` interleaved for ``settings.warmup`` uncounted and ``settings.rounds`` counted rounds.

    The order alternates from round to round (A B, then B A), so a side does not
    always follow the same other side.
    """
    if settings.rounds < 1:
        raise ValueError("at least one counted round is needed")
    values: list[list[float]] = [[] for _ in sides]
    for round_ in range(settings.warmup + settings.rounds):
        order = range(len(sides)) if round_ % 2 == 0 else range(len(sides) - 1, -1, -1)
        for i in order:
            side = sides[i]
            if side.rounds is not None and round_ >= settings.warmup + side.rounds:
                continue
            arg = side.prepare(round_) if side.prepare is not None else round_
            elapsed = _timed(side.run, arg, settings.keep_gc)
            if side.finish is not None:
                side.finish(arg)
            if round_ >= settings.warmup:
                values[i].append(elapsed)
    return [Timings(s.label, tuple(v)) for s, v in zip(sides, values, strict=True)]


# ------------------------------------------------------------------ fresh SQLite files
def remove_db(path: Path) -> None:
    """Delete a SQLite file with its WAL and shared-memory files."""
    for suffix in ("", "-wal", "-shm"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)


def seal_db(path: Path) -> None:
    """Fold the WAL of a closed SQLite file into the file itself, so that copying the file copies everything."""
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()


def copy_db(master: Path, dest: Path) -> Path:
    """A fresh copy of a sealed SQLite file: every round starts from the same data."""
    remove_db(dest)
    shutil.copyfile(master, dest)
    return dest


# ------------------------------------------------------------------------------ report
def fmt_time(seconds: float) -> str:
    return (
        f"{seconds:.3f} s"
        if seconds >= 1
        else f"{seconds * 1000:.1f} ms"
        if seconds >= 0.01
        else f"{seconds * 1000:.2f} ms"
    )


def fmt_bytes(n: float) -> str:
    return f"{n / 2**20:.2f} MiB"


@dataclass
class Figure:
    """One line of the report: ``op`` against ``base``; a figure without a target is information."""

    name: str
    op: Timings
    base: Timings
    target: float | None
    notes: list[str] = field(default_factory=list)
    fmt: Callable[[float], str] = fmt_time
    #: A target on the difference of the medians (in seconds) instead of their ratio:
    #: for a cost that adds to a fixed one, such as importing the package at start-up.
    limit: float | None = None

    @property
    def gated(self) -> bool:
        """Whether the figure has a target (a ratio or a limit), rather than being information."""
        return self.target is not None or self.limit is not None

    @property
    def best_ratio(self) -> float:
        return self.op.best / self.base.best

    @property
    def median_ratio(self) -> float:
        return self.op.median / self.base.median

    @property
    def passed(self) -> bool:
        """The verdict: the ratio of the medians is at most the target (with a
        ``limit``: their difference is at most the limit)."""
        if self.limit is not None:
            return self.op.median - self.base.median <= self.limit
        return self.target is None or self.median_ratio <= self.target

    @property
    def best_disagrees(self) -> bool:
        """True when the ratio (or difference) of the bests falls on the other side of the target."""
        if self.limit is not None:
            return (self.op.best - self.base.best <= self.limit) != self.passed
        return self.target is not None and (self.best_ratio <= self.target) != self.passed

    @property
    def target_text(self) -> str:
        if self.limit is not None:
            return f"+{self.limit * 1000:g} ms"
        return "-" if self.target is None else f"<= {self.target:g}"

    @property
    def verdict(self) -> str:
        if not self.gated:
            return "info"
        return ("PASS" if self.passed else "MISS") + ("*" if self.best_disagrees else "")

    def side_lines(self) -> list[str]:
        lines = []
        for t in (self.op, self.base):
            if len(t.values) == 1:
                lines.append(f"{t.label}: {self.fmt(t.best)} (measured once)")
            else:
                lines.append(
                    f"{t.label}: median {self.fmt(t.median)}, best {self.fmt(t.best)}, "
                    f"spread {t.spread:.0%} over {len(t.values)} rounds"
                )
        return lines


def report(figures: Sequence[Figure], skipped: Sequence[str] = ()) -> None:
    width = max([len(f.name) for f in figures] + [len("figure")])
    print()
    if figures:
        print(f"{'figure':<{width}}  {'median':>6}  {'best':>6}  {'target':>9}  result")
        print("-" * (width + 37))
    for f in figures:
        print(f"{f.name:<{width}}  {f.median_ratio:>6.2f}  {f.best_ratio:>6.2f}  {f.target_text:>9}  {f.verdict}")
        for line in [*f.side_lines(), *f.notes]:
            print(f"{'':<6}{line}")
    for line in skipped:
        print(line)
    print()
    if any(f.best_disagrees for f in figures):
        print(
            "* the ratio of the best times falls on the other side of the target: the figure sits\n"
            "  near its target, or the machine was noisy; rerun with more --rounds to be sure."
        )
