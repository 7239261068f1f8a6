"""GOAL_06 with GOAL_08-GOAL_10 and STORE_02: a goal list filtered, grouped or
sorted by the computed progress gives the same answer on every backend.

The memory backend computes progress in Python (the reference); SQLite and
PostgreSQL compute it inside the query.  Hypothesis makes goals linked to CTAs
and plans of every status (closed-lost CTAs, plans closed with objectives won
and lost, statuses no plugin registers any more), links to deleted work, goals
with nothing linked, ties, and list views over them: progress in the filter
(every operator, with advanced logic), the sort (either direction, with other
keys), the grouping, and pages.  The three backends must return the same rows
in the same order with the same progress, counts and groups; the rows' progress
must be what ``kit.goals.progress_many`` (the rule in Python) says; and an
ungrouped view's order must be the one the list view sorted by in Python before
the stores computed progress: nulls last in both directions, ties by the other
keys, then by id.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import successkit as sk
from successkit.query.evaluate import matches, value_of
from successkit.query.language import CalendarQuarter, Query
from successkit.query.schema import FieldType

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=timezone.utc)
COMPANIES = ("c1", "c2")
CTA_STATUSES = ("new", "work_in_progress", "closed_success", "closed_lost", "uninstalled_plugin_status")
PLAN_STATUSES = ("draft", "active", "closed")
OBJECTIVE_STATUSES = ("new", "closed_success", "closed_lost")
#: Values progress takes (a third and two thirds as Python computes them) and some it does not.
PERCENTS = (0, 0.0, 25, 100 * 1 / 3, 100.0 * 2 / 3, 50, 100, 12.5, 99.9)
SORTS = ("progress", "name", "due_date", "created_at")
SETTINGS = settings(
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


_IDS = itertools.count()


def _id() -> str:
    """An id that does not depend on ``os.urandom`` (what ``new_id`` draws from), so that the
    strategies build the same records each time hypothesis replays an example."""
    return f"{next(_IDS):032x}"


def _stamp(**kw: Any) -> dict[str, Any]:
    return {"id": _id(), "created_at": NOW, "updated_at": NOW, **kw}


@st.composite
def worlds(draw: st.DrawFn) -> list[Any]:
    """Goals, CTAs, plans with objectives and the links between them, as records."""
    ctas = [
        sk.Cta(
            **_stamp(name="c", company_id="c1", status=draw(st.sampled_from(CTA_STATUSES)), start_date=date(2026, 1, 1))
        )
        for _ in range(draw(st.integers(0, 6)))
    ]
    plans, objectives = [], []
    for i in range(draw(st.integers(0, 4))):
        plan = sk.SuccessPlan(
            **_stamp(
                name="p",
                name_key=f"p{i}-{_id()}",
                company_id="c1",
                plan_type="onboarding",
                status=draw(st.sampled_from(PLAN_STATUSES)),
                owner_id="u",
            )
        )
        plans.append(plan)
        for status in draw(st.lists(st.sampled_from(OBJECTIVE_STATUSES), max_size=4)):
            objectives.append(
                sk.Objective(**_stamp(name="o", company_id="c1", plan_id=plan.id, status=status, start_date=NOW.date()))
            )
    items = [("cta", c.id) for c in ctas] + [("plan", p.id) for p in plans]
    items += [("cta", _id()), ("plan", _id())]  # deleted work: the links stay, the items are gone
    goals, links = [], []
    for i in range(draw(st.integers(0, 9))):
        goal = sk.Goal(
            **_stamp(
                name=draw(st.sampled_from(["A", "B", "b"])),
                company_id=draw(st.sampled_from(COMPANIES)),
                status=draw(st.sampled_from(["not_started", "in_progress", "achieved"])),
                due_date=draw(st.sampled_from([None, date(2027, 1, 5), date(2027, 5, 1)])),
                created_at=NOW.replace(minute=i % 3),
            )
        )
        goals.append(goal)
        for kind, item in draw(st.lists(st.sampled_from(items), unique=True, max_size=4)):
            links.append(sk.GoalLink(**_stamp(goal_id=goal.id, item_kind=kind, item_id=item, company_id="c1")))
    return [*ctas, *plans, *objectives, *goals, *links]


def _condition(draw: st.DrawFn) -> tuple[Any, ...]:
    op = draw(st.sampled_from(["=", "!=", "<", "<=", ">", ">=", "between", "in", "not in", "is empty", "is not empty"]))
    other = draw(
        st.sampled_from(
            [("name", "=", "A"), ("status", "in", ["achieved", "in_progress"]), ("due_date", "is empty"), None]
        )
    )
    if other is not None and draw(st.booleans()):
        return other
    if op in ("is empty", "is not empty"):
        return ("progress", op)
    if op == "between":
        return ("progress", op, tuple(sorted(draw(st.lists(st.sampled_from(PERCENTS), min_size=2, max_size=2)))))
    if op in ("in", "not in"):
        return ("progress", op, draw(st.lists(st.sampled_from(PERCENTS), min_size=1, max_size=3)))
    return ("progress", op, draw(st.sampled_from(PERCENTS)))


@st.composite
def views(draw: st.DrawFn) -> dict[str, Any]:
    """Arguments of ``kit.goals.view`` that filter, group or sort by progress (and some that mix it with more)."""
    keys = draw(st.lists(st.sampled_from(SORTS), unique=True, max_size=3))
    sort = [k if draw(st.booleans()) else f"-{k}" for k in keys]
    conditions = [_condition(draw) for _ in range(draw(st.integers(0, 3)))]
    if draw(st.booleans()):
        conditions.append(("company_id", "=", draw(st.sampled_from(COMPANIES))))  # a scope: the prefilter
    logic = None
    if len(conditions) > 1 and draw(st.booleans()):
        logic = " OR ".join(f"NOT {i + 1}" if draw(st.booleans()) else str(i + 1) for i in range(len(conditions)))
    group = draw(st.sampled_from([None, None, "progress", "status", CalendarQuarter("due_date")]))
    if (
        group != "progress"
        and not any(c[0] == "progress" for c in conditions)
        and not any("progress" in s for s in sort)
    ):
        sort.insert(0, draw(st.sampled_from(["progress", "-progress"])))
    return {
        "where": conditions,
        "logic": logic,
        "sort": sort,
        "group_by": group,
        "limit": draw(st.sampled_from([None, 0, 1, 3])),
        "offset": draw(st.sampled_from([0, 0, 1, 4])),
    }


def answer(kit: sk.Kit, args: dict[str, Any]) -> tuple[Any, ...]:
    view = kit.goals.view(**args)
    rows = [(r.goal.id, r.progress, r.group) for r in view]
    expected = kit.goals.progress_many([r.goal for r in view])
    assert {r.goal.id: r.progress for r in view} == {i: expected[i] for i in expected}  # the rule in Python
    return view.total, view.groups, rows


def python_order(kit: sk.Kit, args: dict[str, Any]) -> list[str]:
    """The ids of an ungrouped view as the list view ordered them in Python: every goal
    with its progress as a field, the filter evaluated on it, then a stable sort per key
    from the last to the first, missing values last in both directions, ties by id."""
    goals = list(kit.store.query(kit.bind("goal", Query())))
    progress = kit.goals.progress_many(goals)
    seen = [attrs.evolve(g, fields={**g.fields, "progress": progress[g.id].percent}) for g in goals]
    where = kit.bind("goal", Query(args["where"], logic=args["logic"]), extra={"progress": FieldType.FLOAT}).where
    seen = sorted((g for g in seen if matches(where, g)), key=lambda g: g.id)
    for spec in reversed(Query(sort=args["sort"]).sort):
        field = kit.bind("goal", Query(sort=[spec.field]), extra={"progress": FieldType.FLOAT}).sort[0][0]
        present = [g for g in seen if value_of(g, field) is not None]
        present.sort(key=lambda g, f=field: value_of(g, f), reverse=spec.descending)  # type: ignore[misc]
        seen = present + [g for g in seen if value_of(g, field) is None]
    end = None if args["limit"] is None else args["offset"] + args["limit"]
    return [g.id for g in seen][args["offset"] : end]


@contextmanager
def three_kits(tmp_path: Path, pg_url: str) -> Iterator[list[sk.Kit]]:
    kits = [sk.open(u, clock=NOW, entry_points=False) for u in ("memory://", f"sqlite:///{tmp_path}/p.db", pg_url)]
    try:
        yield kits
    finally:
        for kit in kits:
            kit.close()


def _check(kits: list[sk.Kit], records: list[Any], args: dict[str, Any]) -> None:
    for kit in kits:
        kit.store.insert_many(records)
    try:
        answers = [answer(kit, args) for kit in kits]
        assert answers[1] == answers[0], ("sqlite", args)
        assert answers[2] == answers[0], ("postgres", args)
        if args["group_by"] is None:
            assert [i for i, _, _ in answers[0][2]] == python_order(kits[0], args)
    finally:
        for kit in kits:
            for record in reversed(records):
                kit.store.delete_many(kit.store.schema_for(record).kind, [record.id])


def _run(tmp_path: Path, pg_url: str, examples: int) -> None:
    with three_kits(tmp_path, pg_url) as kits:

        @settings(SETTINGS, max_examples=examples)
        @given(records=worlds(), args=views())
        def run(records: list[Any], args: dict[str, Any]) -> None:
            _check(kits, records, args)

        run()


def test_progress_views_agree_on_every_backend__GOAL_06_STORE_02(tmp_path: Path, pg_url: str) -> None:
    """Random worlds and progress views: the same rows, order, progress, totals and groups everywhere."""
    _run(tmp_path, pg_url, 60)


@pytest.mark.slow
def test_many_progress_views_agree_on_every_backend__GOAL_06_STORE_02(tmp_path: Path, pg_url: str) -> None:
    _run(tmp_path, pg_url, 400)
