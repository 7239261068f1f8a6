"""Drawing a plan's Gantt chart without a plotting package: GANTT_03."""

from __future__ import annotations

import itertools
import sys
import xml.etree.ElementTree as ET
from datetime import date, timedelta
from pathlib import Path

import pytest

import successkit as sk
from successkit.plans.schedule import ScheduleRow
from successkit.views.gantt import critical_path, render_svg, save_png

from .helpers import World

NS = "{http://www.w3.org/2000/svg}"
RED = "#D62728"


class Chart:
    """A parsed chart: bars, arrows and the today line by the ids they carry."""

    def __init__(self, svg: str) -> None:
        self.root = ET.fromstring(svg)
        assert self.root.tag == f"{NS}svg"
        self.bars = {e.get("data-id", ""): e for e in self.root.iter() if "bar" in e.get("class", "").split()}
        self.arrows = {
            (e.get("data-from", ""), e.get("data-to", "")): e
            for e in self.root.iter(f"{NS}path")
            if "dependency" in e.get("class", "").split()
        }
        self.labels = {
            e.get("data-id", ""): e for e in self.root.iter(f"{NS}text") if "label" in e.get("class", "").split()
        }

    def classes(self, id: str) -> set[str]:
        return set(self.bars[id].get("class", "").split())

    def x(self, id: str) -> float:
        return float(self.bars[id].get("x", "nan"))

    def end(self, id: str) -> float:
        return self.x(id) + float(self.bars[id].get("width", "nan"))

    def today(self) -> ET.Element:
        (line,) = [e for e in self.root.iter(f"{NS}line") if e.get("class") == "today"]
        return line


class Plan:
    """A hand-built plan around the test clock's today (2026-11-24)."""

    def __init__(self, kit: sk.Kit) -> None:
        self.kit = kit
        self.today = t = kit.today()
        self.plan = World(kit).plan()
        objective, task = kit.objectives.create, kit.tasks.create

        def days(n: int) -> date:
            return t + timedelta(days=n)

        self.kickoff = objective(self.plan, "Kickoff", start_date=days(-14), due_date=days(-3)).record
        self.agenda = task(self.kickoff, "Send agenda", start_date=days(-14), due_date=days(-10)).record
        kit.tasks.set_status(self.agenda, "complete")
        self.meet = task(
            self.kickoff, "Hold kickoff", start_date=days(-9), due_date=days(-3), depends_on=[self.agenda]
        ).record
        self.config = objective(
            self.plan, "Configuration", start_date=t, due_date=days(20), depends_on=[self.kickoff]
        ).record
        self.sso = task(self.config, "SSO", start_date=t, due_date=days(6)).record
        self.data = task(
            self.config, "Data import", start_date=days(7), due_date=days(20), depends_on=[self.sso]
        ).record
        self.training = objective(self.plan, "Training", start_date=days(10), due_date=days(30)).record
        self.admin = task(self.training, "Admin training", start_date=days(12)).record
        self.live = objective(
            self.plan, "Go live", start_date=days(21), due_date=days(60), depends_on=[self.config, self.admin]
        ).record
        self.cutover = task(
            self.live, "Cut-over", start_date=days(50), due_date=days(55), depends_on=[self.data]
        ).record

    def chart(self) -> Chart:
        return Chart(self.kit.plans.gantt(self.plan))


@pytest.fixture
def p(kit: sk.Kit) -> Plan:
    return Plan(kit)


def test_every_objective_and_task_is_a_bar_at_its_dates__GANTT_03(p: Plan) -> None:
    chart = p.chart()
    rows = p.kit.plans.schedule(p.plan)
    assert set(chart.bars) == {r.id for r in rows}
    for r in rows:
        bar = chart.bars[r.id]
        assert (bar.get("data-start"), bar.get("data-due")) == (r.start.isoformat(), r.due.isoformat() if r.due else "")
        assert r.kind in chart.classes(r.id)
    dated = sorted((r for r in rows if r.due), key=lambda r: (r.start, r.id))
    for a, b in itertools.pairwise(dated):  # x grows with the start date, the end with the due date
        assert chart.x(a.id) < chart.x(b.id) if a.start < b.start else chart.x(a.id) == chart.x(b.id)
    per_day = (chart.end(p.kickoff.id) - chart.x(p.kickoff.id)) / 12  # 14 days before to 3 days before, inclusive
    assert chart.end(p.live.id) - chart.x(p.live.id) == pytest.approx(40 * per_day, abs=0.2)
    objective_h, task_h = float(chart.bars[p.config.id].get("height", 0)), float(chart.bars[p.sso.id].get("height", 0))
    assert objective_h > task_h  # objectives are the thick bars


def test_names_are_listed_in_schedule_order_with_tasks_indented__GANTT_03(p: Plan) -> None:
    chart = p.chart()
    rows = p.kit.plans.schedule(p.plan)
    labels = [e for e in chart.root.iter(f"{NS}text") if "label" in e.get("class", "").split()]
    assert [e.get("data-id") for e in labels] == [r.id for r in rows]
    assert [float(e.get("y", 0)) for e in labels] == sorted(float(e.get("y", 0)) for e in labels)
    assert float(chart.labels[p.sso.id].get("x", 0)) > float(chart.labels[p.config.id].get("x", 0))


def test_an_item_without_due_date_is_a_milestone__GANTT_03(p: Plan) -> None:
    bar = p.chart().bars[p.admin.id]
    assert bar.tag == f"{NS}path" and "milestone" in bar.get("class", "").split()
    assert (bar.get("data-start"), bar.get("data-due")) == ((p.today + timedelta(days=12)).isoformat(), "")


def test_dependencies_are_arrows_from_the_predecessor_end_to_the_dependent_start__GANTT_03(p: Plan) -> None:
    chart = p.chart()
    expected = {
        (p.agenda.id, p.meet.id),
        (p.kickoff.id, p.config.id),
        (p.sso.id, p.data.id),
        (p.config.id, p.live.id),
        (p.admin.id, p.live.id),
        (p.data.id, p.cutover.id),
    }
    assert set(chart.arrows) == expected
    marker_ids = {m.get("id") for m in chart.root.iter(f"{NS}marker")}
    for (before, after), arrow in chart.arrows.items():
        assert arrow.get("marker-end", "")[5:-1] in marker_ids  # url(#...)
        if before == p.admin.id:
            continue  # a milestone: its arrow leaves the diamond
        points = arrow.get("d", "").replace("M", "").split()
        start_x = float(points[0].split(",")[0])
        end_x = float(points[-1].lstrip("H"))
        assert start_x == pytest.approx(chart.end(before), abs=0.2)
        assert end_x == pytest.approx(chart.x(after), abs=0.1)


def test_today_line_is_at_today__GANTT_03(p: Plan) -> None:
    chart = p.chart()
    line = chart.today()
    assert line.get("data-date") == "2026-11-24"
    x = float(line.get("x1", "nan"))
    sso = p.sso.id  # starts today: the line runs through its first day
    per_day = (chart.end(sso) - chart.x(sso)) / 7
    assert x == pytest.approx(chart.x(sso) + per_day / 2, abs=0.1)
    assert line.get("stroke") == RED and line.get("stroke-dasharray")


def test_overdue_items_are_marked_and_closed_ones_muted__GANTT_03(p: Plan) -> None:
    chart = p.chart()
    for id in (p.kickoff.id, p.meet.id):
        assert "overdue" in chart.classes(id)
        assert chart.bars[id].get("stroke") == RED
        assert chart.labels[id].get("fill") == RED
    assert "overdue" not in chart.classes(p.config.id) and chart.bars[p.config.id].get("stroke") is None
    closed = chart.bars[p.agenda.id]
    assert {"closed"} <= chart.classes(p.agenda.id) and "overdue" not in chart.classes(p.agenda.id)
    assert float(closed.get("fill-opacity", 1)) < 1
    assert closed.get("fill") != chart.bars[p.sso.id].get("fill")


def test_critical_path_is_highlighted__GANTT_03(p: Plan) -> None:
    rows = p.kit.plans.schedule(p.plan)
    path = [p.kickoff.id, p.config.id, p.live.id]  # go live ends last; configuration holds its start
    assert critical_path(rows) == path
    chart = p.chart()
    assert {id for id in chart.bars if "critical" in chart.classes(id)} == set(path)
    hot = {k for k, e in chart.arrows.items() if "critical" in e.get("class", "").split()}
    assert hot == {(p.kickoff.id, p.config.id), (p.config.id, p.live.id)}
    assert chart.bars[p.config.id].get("fill") != chart.bars[p.training.id].get("fill")


def row(id: str, start: int, due: int | None, *deps: str, level: int = 0, category: str = "open") -> ScheduleRow:
    day = date(2027, 1, 1)
    return ScheduleRow(
        "objective" if level == 0 else "task",
        id,
        id,
        level,
        None,
        day + timedelta(days=start),
        None if due is None else day + timedelta(days=due),
        "new",
        category,
        None,
        "user",
        tuple(deps),
        False,
    )


def test_critical_path_follows_the_predecessor_that_finishes_last__GANTT_03() -> None:
    """A diamond: D waits for B and C, both wait for A; the later of B and C is critical."""
    diamond = [row("A", 0, 5), row("B", 6, 20, "A"), row("C", 6, 12, "A"), row("D", 21, 30, "B", "C"), row("E", 0, 10)]
    assert critical_path(diamond) == ["A", "B", "D"]
    diamond[2] = row("C", 6, 25, "A")
    assert critical_path(diamond) == ["A", "C", "D"]
    assert critical_path([]) == []
    assert critical_path([row("solo", 3, None)]) == ["solo"]
    # Two items finish last: the longer chain wins; unknown dependencies are ignored.
    assert critical_path([row("X", 0, 30, "gone"), row("Y", 0, 10), row("Z", 11, 30, "Y")]) == ["Y", "Z"]
    # Cycles cannot be stored (TASK_01) but must not hang the drawing.
    assert critical_path([row("P", 0, 10, "Q"), row("Q", 0, 10, "P")]) in (["Q", "P"], ["P", "Q"])


def test_names_are_escaped__GANTT_03(kit: sk.Kit) -> None:
    w = World(kit)
    nasty = """R&D <kick-off> "quotes" 'and' ]]>"""
    plan = w.plan(f"Plan {nasty}")
    objective = kit.objectives.create(plan, nasty, start_date=kit.today(), due_date=kit.today()).record
    chart = Chart(kit.plans.gantt(plan))
    assert "".join(chart.labels[objective.id].itertext()).startswith(nasty[:20])
    assert chart.labels[objective.id].find(f"{NS}title").text == nasty  # type: ignore[union-attr]
    assert chart.root.find(f"{NS}title").text == f"Plan {nasty}"  # type: ignore[union-attr]


def test_empty_plan_gives_a_valid_svg_with_a_message__GANTT_03(kit: sk.Kit) -> None:
    plan = World(kit).plan()
    chart = Chart(kit.plans.gantt(plan))
    assert not chart.bars and not chart.arrows
    (message,) = [e for e in chart.root.iter(f"{NS}text") if e.get("class") == "empty"]
    assert "no objectives or tasks" in (message.text or "")
    assert Chart(render_svg([], today=date(2026, 1, 1))).root.get("height")


def test_long_plans_get_a_readable_axis__GANTT_03() -> None:
    """Two years: months are labelled every quarter or less often, never crowded."""
    rows = [row("A", 0, 700), row("B", 30, 90, "A", level=1)]
    root = Chart(render_svg(rows, today=date(2027, 6, 1))).root
    xs = [float(e.get("x", 0)) for e in root.iter(f"{NS}text") if e.get("class") == "month"]
    assert len(xs) >= 4 and all(b - a >= 60 for a, b in itertools.pairwise(xs))


def test_chart_is_written_to_a_file__GANTT_03(p: Plan, tmp_path: Path) -> None:
    svg = p.kit.plans.gantt(p.plan, path=tmp_path / "plan.svg")
    assert (tmp_path / "plan.svg").read_text(encoding="utf-8") == svg


def test_plan_view_shows_its_chart_in_a_notebook__GANTT_03(p: Plan) -> None:
    p.kit.store.stats.reset()
    view = p.kit.plans.open(p.plan)
    assert p.kit.store.stats.total <= 3  # the chart is drawn when shown, not when opened
    page = view._repr_html_()
    assert "Onboarding" in page and "4 (4 open, 1 overdue" in page
    svg = page[page.index("<svg") : page.index("</svg>") + 6]
    assert set(Chart(svg).bars) == {r.id for r in p.kit.plans.schedule(p.plan)}
    assert view == p.kit.plans.open(p.plan)  # the chart takes no part in equality


def test_png_needs_matplotlib__GANTT_03(p: Plan, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)  # as if it were not installed
    with pytest.raises(ImportError, match="pip install matplotlib"):
        p.kit.plans.gantt(p.plan, path=tmp_path / "plan.png")
    assert not (tmp_path / "plan.png").exists()


def test_png_through_matplotlib__GANTT_03(p: Plan, tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    p.kit.plans.gantt(p.plan, path=tmp_path / "plan.png")
    assert (tmp_path / "plan.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    save_png([], tmp_path / "empty.png", today=p.today)
    assert (tmp_path / "empty.png").stat().st_size > 0


def test_control_characters_far_future_dates_and_bad_widths__GANTT_03(kit: sk.Kit) -> None:
    """Names with control characters still give well-formed XML (the characters become U+FFFD),
    a 'never' due date of 9999-12-31 is drawn cut at the chart's edge, and a width that cannot
    hold a chart is a clear error."""
    w = World(kit)
    plan = w.plan("Edges")
    kit.objectives.create(plan, "ctrl\x01\x0bchar", due_date=date(9999, 12, 31))
    kit.objectives.create(plan, "Late start", start_date=date(9999, 12, 30), due_date=date(9999, 12, 31))
    root = ET.fromstring(kit.plans.gantt(plan))
    labels = [e.text for e in root.iter(f"{NS}text") if "label" in (e.get("class") or "").split()]
    assert "ctrl\ufffd\ufffdchar" in labels
    width = float(root.get("width", "0"))
    assert all(
        float(b.get("x", "0")) + float(b.get("width", "0")) <= width
        for b in root.iter(f"{NS}rect")
        if "bar" in (b.get("class") or "").split()
    )
    rows = kit.plans.schedule(plan)
    for bad in (-5, "960", 100):
        with pytest.raises(sk.ValidationError, match="pixels wide"):
            render_svg(rows, today=date(2026, 11, 24), width=bad)  # type: ignore[arg-type]
