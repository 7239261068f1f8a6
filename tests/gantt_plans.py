"""Plans of three sizes for the Gantt chart's tests and the pictures in docs/gantt.md (GANTT_03).

Run ``PYTHONPATH=src python -m tests.gantt_plans`` from the repository's root to redraw
docs/images/gantt-{small,medium,large}.svg (and the collapsed large plan).
"""

from __future__ import annotations

import random
import sys
from datetime import date, timedelta
from pathlib import Path

from successkit.plans.schedule import ScheduleRow

TODAY = date(2026, 11, 24)

_SUBJECTS = [
    "Kickoff",
    "Single sign-on",
    "Data migration from the legacy CRM",
    "Admin training",
    "Integrations with billing and the data warehouse",
    "Security review",
    "Executive business review",
    "Go live in the EMEA region",
    "Adoption campaign for field sales",
    "Renewal preparation",
]
_VERBS = [
    "Draft",
    "Review",
    "Agree on",
    "Configure",
    "Test",
    "Sign off",
    "Schedule",
    "Document the rollout plan and owners for",
    "Run",
]


def _name(rng: random.Random, base: str) -> str:
    return f"{rng.choice(_VERBS)} {base[0].lower()}{base[1:]}"


def plan(objectives: int, tasks: int, days: int, *, seed: int = 7, start: date | None = None) -> list[ScheduleRow]:
    """``objectives`` objectives holding ``tasks`` tasks between them over about ``days`` days,
    in schedule order, with dependencies inside and across objectives, closed, overdue and
    one-day items and milestones among them."""
    rng = random.Random(seed)
    first = start or TODAY - timedelta(days=days // 4)
    per = [tasks // objectives + (1 if i < tasks % objectives else 0) for i in range(objectives)]
    rows: list[ScheduleRow] = []
    previous: list[str] = []
    for o in range(objectives):
        o_start = first + timedelta(days=round(o * days * 0.8 / max(objectives, 1)) + rng.randint(0, 5))
        length = max(7, min(days // 3, rng.randint(14, max(15, days // 4))))
        o_due = min(o_start + timedelta(days=length), first + timedelta(days=days))
        base = _SUBJECTS[o % len(_SUBJECTS)] + ("" if o < len(_SUBJECTS) else f" (wave {o // len(_SUBJECTS) + 1})")
        oid = f"o{o:02d}"
        deps = (previous[-1],) if previous and rng.random() < 0.35 else ()
        children: list[ScheduleRow] = []
        at = o_start
        last_task: str | None = None
        last_due = o_start
        for t in range(per[o]):
            t_len = rng.choice([0, 1, 1, 2, 3, 5, 8, 13])
            t_deps: tuple[str, ...] = (last_task,) if last_task and rng.random() < 0.5 else ()
            if t_deps and rng.random() < 0.85:  # most dependents start when their predecessor is done
                at = max(at, last_due + timedelta(days=1))
            t_start = min(at + timedelta(days=rng.randint(0, 3)), o_due)
            t_due: date | None = min(t_start + timedelta(days=t_len), o_due)
            if rng.random() < 0.06:
                t_due = None  # a milestone
            tid = f"{oid}t{t:02d}"
            if previous and rng.random() < 0.08:
                t_deps += (previous[-rng.randint(1, min(3, len(previous)))],)
            children.append(_row("task", tid, _name(rng, base), 1, oid, t_start, t_due, t_deps))
            last_task, last_due = tid, t_due or t_start
            at = t_start + timedelta(days=max(1, t_len // 2))
        rows.append(_row("objective", oid, base, 0, None, o_start, o_due, deps))
        rows.extend(sorted(children, key=lambda r: (r.start, r.due or date.max, r.id)))
        previous.append(oid)
    return rows


def _row(
    kind: str,
    id: str,
    name: str,
    level: int,
    parent: str | None,
    start: date,
    due: date | None,
    deps: tuple[str, ...],
) -> ScheduleRow:
    closed = due is not None and due < TODAY - timedelta(days=5) and sum(map(ord, id)) % 4 != 0
    overdue = not closed and due is not None and due < TODAY
    status = "complete" if closed else "in_progress"
    return ScheduleRow(
        kind, id, name, level, parent, start, due, status, "closed_success" if closed else "open", None, "user",
        deps, overdue,
    )  # fmt: skip


def small() -> list[ScheduleRow]:
    return plan(3, 8, 45, seed=7)


def medium() -> list[ScheduleRow]:
    return plan(10, 40, 120, seed=5)


def large() -> list[ScheduleRow]:
    return plan(40, 200, 548, seed=11)


def main(out: Path) -> None:
    from successkit.views.gantt import render_svg

    out.mkdir(parents=True, exist_ok=True)
    for name, rows, width, options in (
        ("small", small(), 960, {}),
        ("medium", medium(), 1200, {}),
        ("large", large(), 1400, {"label_width": 300}),
        ("large-collapsed", large(), 1400, {"label_width": 300, "collapse": True}),
    ):
        title = f"{name.replace('-', ', ').capitalize()} plan"
        svg = render_svg(rows, today=TODAY, title=title, width=width, **options)  # type: ignore[arg-type]
        (out / f"gantt-{name}.svg").write_text(svg, encoding="utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/images"))
