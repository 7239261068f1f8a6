"""Drawing a plan's Gantt chart without a plotting package: GANTT_03."""

from __future__ import annotations

import itertools
import re
import sys
import time
import xml.etree.ElementTree as ET
from datetime import date, timedelta
from pathlib import Path

import attrs
import pytest

import successkit as sk
from successkit.plans.schedule import ScheduleRow
from successkit.views.gantt import MIN_BAR, critical_path, render_svg, save_png
from successkit.views.gantt_layout import text_width

from . import gantt_plans
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

    def ticks(self, tier: str, where: str) -> list[ET.Element]:
        """The axis labels of one row ("major" or "minor") at the "top" or "bottom"."""
        want = {"tick", tier, where}
        return [e for e in self.root.iter(f"{NS}text") if want <= set(e.get("class", "").split())]

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
    """Two years: months under years, every label inside its cell, none crowded."""
    rows = [row("A", 0, 700), row("B", 30, 90, "A", level=1)]
    chart = Chart(render_svg(rows, today=date(2027, 6, 1)))
    minor = chart.ticks("minor", "top")
    assert len(minor) >= 8 and {date.fromisoformat(e.get("data-date", "")).day for e in minor} == {1}
    assert [e.text for e in chart.ticks("major", "top")] == ["2027", "2028"]
    assert_ticks_apart(chart, 960)


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
    with pytest.raises(ImportError, match="pip install matplotlib"), pytest.warns(DeprecationWarning):
        p.kit.plans.gantt(p.plan, path=tmp_path / "plan.png")
    assert not (tmp_path / "plan.png").exists()


def test_png_is_deprecated_but_still_written__GANTT_03(p: Plan, tmp_path: Path) -> None:
    """The PNG is not the SVG chart: it warns that it goes, and says what to use instead."""
    pytest.importorskip("matplotlib")
    with pytest.warns(DeprecationWarning, match="write the SVG"):
        p.kit.plans.gantt(p.plan, path=tmp_path / "plan.png")
    assert (tmp_path / "plan.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.warns(DeprecationWarning, match="save_png"):
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


# --- Charts of real plans: geometry a reader can rely on (GANTT_03) ---------------------------


def boxes(chart: Chart) -> dict[str, tuple[float, float, float, float]]:
    """Each bar's box (left, top, right, bottom); a milestone's is its diamond's."""
    out = {}
    for id, e in chart.bars.items():
        if e.tag == f"{NS}rect":
            x, y = float(e.get("x", "nan")), float(e.get("y", "nan"))
            out[id] = (x, y, x + float(e.get("width", "nan")), y + float(e.get("height", "nan")))
        else:
            points = [tuple(map(float, p.split(","))) for p in re.findall(r"-?[\d.]+,-?[\d.]+", e.get("d", ""))]
            xs, ys = [p[0] for p in points], [p[1] for p in points]
            out[id] = (min(xs), min(ys), max(xs), max(ys))
    return out


def segments(d: str) -> list[tuple[float, float, float, float]]:
    """The straight pieces of an arrow written as ``M x,y`` then ``H x`` / ``V y`` steps."""
    (start,), rest = re.findall(r"M(-?[\d.]+,-?[\d.]+)", d), re.findall(r"([HV])(-?[\d.]+)", d)
    x, y = map(float, start.split(","))
    out = []
    for command, value in rest:
        nx, ny = (float(value), y) if command == "H" else (x, float(value))
        out.append((x, y, nx, ny))
        x, y = nx, ny
    return out


def crosses(seg: tuple[float, float, float, float], box: tuple[float, float, float, float]) -> bool:
    """Whether a horizontal or vertical segment runs through the inside of a box."""
    x1, y1, x2, y2 = seg
    left, top, right, bottom = box
    lo_x, hi_x, lo_y, hi_y = min(x1, x2), max(x1, x2), min(y1, y2), max(y1, y2)
    return lo_x < right and hi_x > left and lo_y < bottom and hi_y > top


def label_lines(e: ET.Element) -> list[tuple[float, float, str]]:
    """(x, baseline, text) of each line of a name."""
    spans = e.findall(f"{NS}tspan")
    if not spans:
        return [(float(e.get("x", "nan")), float(e.get("y", "nan")), e.text or "")]
    return [(float(t.get("x", "nan")), float(t.get("y", "nan")), t.text or "") for t in spans]


def assert_ticks_apart(chart: Chart, width: int) -> None:
    """Each row of axis labels: left to right, no label reaching the next, all inside the chart."""
    for tier, where in itertools.product(("major", "minor"), ("top", "bottom")):
        ticks = sorted(chart.ticks(tier, where), key=lambda e: float(e.get("x", 0)))
        spans = [
            (float(e.get("x", 0)), float(e.get("x", 0)) + text_width(e.text or "", 11, bold=tier == "major"))
            for e in ticks
        ]
        for (_, end), (start, _) in itertools.pairwise(spans):
            assert end + 2 <= start, (tier, where, [e.text for e in ticks])
        assert all(a >= 0 and b <= width for a, b in spans)


def assert_readable(svg: str, width: int, label_width: int) -> Chart:
    """The geometry GANTT_03 promises: bars at least MIN_BAR wide inside the chart area, names
    inside the names column and apart, arrows never through a bar but their own two, axis labels
    apart."""
    chart = Chart(svg)
    assert chart.root.get("width") == str(width)
    area = boxes(chart)
    height = float(chart.root.get("height", "nan"))
    for id, (left, top, right, bottom) in area.items():
        assert right - left >= MIN_BAR - 0.01, id
        assert label_width <= left and right <= width and top > 0 and bottom < height, id
    lines = []  # (top, bottom, right) of every line of every name
    for id, e in chart.labels.items():
        size = float(e.get("font-size", 12))
        bold = e.get("font-weight") == "600"
        for x, y, text in label_lines(e):
            lines.append((y - 0.8 * size, y + 0.25 * size, x + text_width(text, size, bold=bold), id))
            assert x + text_width(text, size, bold=bold) <= label_width - 8, (id, text)
        assert e.find(f"{NS}title") is not None  # the full name, whatever was cut
    for count in (e for e in chart.root.iter(f"{NS}text") if e.get("class") == "count"):
        name = chart.labels[count.get("data-id", "")]
        right = max(x + text_width(t, float(name.get("font-size", 12)), bold=True) for x, _, t in label_lines(name))
        assert right <= float(count.get("x", 0)) - text_width(count.text or "", 11)
    lines.sort()
    for (_, bottom, _, a), (top, _, _, b) in itertools.pairwise(lines):
        assert bottom <= top or a == b, (a, b)
    for (before, after), arrow in chart.arrows.items():
        for seg in segments(arrow.get("d", "")):
            hit = [id for id, box in area.items() if id not in (before, after) and crosses(seg, box)]
            assert not hit, (before, after, seg, hit)
            assert label_width <= min(seg[0], seg[2]) and max(seg[0], seg[2]) <= width
    assert_ticks_apart(chart, width)
    minor = chart.ticks("minor", "top")
    for tag in (e for e in chart.root.iter(f"{NS}text") if e.get("class") == "today-label"):
        assert all(float(tag.get("y", 0)) - 8 >= float(t.get("y", 0)) + 3 for t in minor)  # under the ticks
    title = chart.root.find(f"{NS}text[@class='title']")
    if title is not None:
        assert 12 + text_width(title.text or "", 15, bold=True) <= width
    return chart


SIZES = {
    "small": (gantt_plans.small, 960, 250),
    "medium": (gantt_plans.medium, 1200, 250),
    "large": (gantt_plans.large, 1400, 300),
}


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("collapse", [False, True])
def test_charts_of_three_plan_sizes_keep_bars_names_arrows_and_ticks_apart__GANTT_03(size: str, collapse: bool) -> None:
    make, width, label_width = SIZES[size]
    rows = make()
    title = f"Customer onboarding and expansion programme, {size} plan, all regions and every workstream"
    today = gantt_plans.TODAY
    svg = render_svg(rows, today=today, title=title, width=width, label_width=label_width, collapse=collapse)
    chart = assert_readable(svg, width, label_width)
    assert chart.root.find(f"{NS}title").text == title  # type: ignore[union-attr]
    shown = [r for r in rows if r.level == 0 or not collapse]
    assert list(chart.labels) == [r.id for r in shown]
    drawn_in = {r.id: (r.parent_id if collapse and r.level else r.id) for r in rows}
    expected = {(drawn_in[d], drawn_in[r.id]) for r in rows for d in r.depends_on if drawn_in[d] != drawn_in[r.id]}
    assert set(chart.arrows) == expected and (expected or collapse)  # every dependency is drawn
    assert chart.today().get("data-date") == gantt_plans.TODAY.isoformat()


def test_the_large_plan_draws_in_well_under_a_second__GANTT_03() -> None:
    """40 objectives, 200 tasks over 18 months, with dependencies (it took 11 s as a PNG)."""
    rows = gantt_plans.large()
    assert len(rows) == 240 and (max(r.due or r.start for r in rows) - min(r.start for r in rows)).days >= 500
    assert sum(len(r.depends_on) for r in rows) >= 90
    took = min(_timed(lambda: render_svg(rows, today=gantt_plans.TODAY, width=1400)) for _ in range(3))
    assert took < 0.4, took


def _timed(call: object) -> float:
    start = time.perf_counter()
    call()  # type: ignore[operator]
    return time.perf_counter() - start


def test_a_one_day_task_on_a_long_plan_is_at_least_the_minimum_width__GANTT_03() -> None:
    rows = [row("A", 0, 540), row("t", 100, 100, level=1), row("u", 200, 201, level=1)]
    chart = Chart(render_svg(rows, today=date(2027, 1, 1), width=700))
    assert chart.end("t") - chart.x("t") == MIN_BAR
    assert chart.end("u") - chart.x("u") == MIN_BAR  # two days are 2.3 px at this width
    assert chart.end("A") - chart.x("A") > 400


@pytest.mark.parametrize(
    ("days", "unit", "check"),
    [
        (12, "day", lambda d: True),
        (80, "week", lambda d: d.weekday() == 0),
        (540, "month", lambda d: d.day == 1),
        (1800, "quarter", lambda d: d.day == 1 and d.month in (1, 4, 7, 10)),
        (7000, "year", lambda d: (d.month, d.day) == (1, 1)),
    ],
)
def test_the_time_scale_follows_the_plan_span__GANTT_03(days: int, unit: str, check: object) -> None:
    """Days on a fortnight, weeks on a quarter, months on 18 months, quarters on five years,
    years on twenty: the finest cells whose labels fit."""
    rows = [row("A", 0, days), row("B", days // 3, days // 2, "A", level=1)]
    chart = Chart(render_svg(rows, today=date(2027, 1, 1) + timedelta(days=days // 2), width=1000))
    minor = chart.ticks("minor", "top")
    assert {g.get("class", "").split()[-1] for g in chart.root.iter(f"{NS}line") if "grid" in g.get("class", "")} >= {
        unit
    } or unit == "year"
    assert len(minor) >= 5
    assert all(check(date.fromisoformat(e.get("data-date", ""))) for e in minor)  # type: ignore[operator]
    assert_ticks_apart(chart, 1000)


def test_width_and_label_width_are_honoured__GANTT_03() -> None:
    long = "Migrate every historical support ticket from the old helpdesk into the new one, with attachments"
    rows = [row("A", 0, 60), ScheduleRow("task", "t", long, 1, "A", date(2027, 1, 5), date(2027, 1, 9), "new",
                                          "open", None, "user", (), False)]  # fmt: skip
    for width, label_width in ((700, 150), (1600, 420)):
        chart = assert_readable(
            render_svg(rows, today=date(2027, 1, 1), width=width, label_width=label_width), width, label_width
        )
        assert min(b[0] for b in boxes(chart).values()) == pytest.approx(label_width + 3, abs=25)
        name = chart.labels["t"]
        assert name.find(f"{NS}title").text == long  # type: ignore[union-attr]
        text = " ".join(t for _, _, t in label_lines(name))
        assert len(label_lines(name)) == 2 and (text.endswith("…") == (label_width == 150))
    with pytest.raises(sk.ValidationError, match="names column"):
        render_svg(rows, today=date(2027, 1, 1), label_width=60)
    with pytest.raises(sk.ValidationError, match="at least 824 pixels wide"):
        render_svg(rows, today=date(2027, 1, 1), width=800, label_width=600)


def test_collapsed_objectives_show_one_bar_with_their_task_count__GANTT_03() -> None:
    rows = [
        row("A", 0, 20),
        row("a1", 0, 5, level=1),
        row("a2", 6, 20, "a1", level=1),
        row("B", 21, 40, "A"),
        row("b1", 25, 30, "a2", level=1),
        row("C", 41, 50, "b1"),
    ]
    rows = [attrs.evolve(r, parent_id=r.id[0].upper()) if r.level else r for r in rows]
    chart = Chart(render_svg(rows, today=date(2027, 1, 1), collapse=True))
    assert set(chart.bars) == {"A", "B", "C"}
    assert chart.bars["A"].get("data-tasks") == "2" and "collapsed" in chart.classes("A")
    counts = {e.get("data-id"): e.text for e in chart.root.iter(f"{NS}text") if e.get("class") == "count"}
    assert counts == {"A": "2 tasks", "B": "1 task"}
    assert set(chart.arrows) == {("A", "B"), ("B", "C")}  # task dependencies drawn between their objectives
    some = Chart(render_svg(rows, today=date(2027, 1, 1), collapse={"B"}))
    assert set(some.bars) == {"A", "a1", "a2", "B", "C"}
    assert set(some.arrows) == {("a1", "a2"), ("A", "B"), ("a2", "B"), ("B", "C")}
    with pytest.raises(sk.ValidationError, match="collapse"):
        render_svg(rows, today=date(2027, 1, 1), collapse="B")


def test_arrows_go_round_bars_in_the_way__GANTT_03() -> None:
    """A wall of long bars between a predecessor and its dependent: the arrow keeps to the
    gaps between rows and a clear column, never through a bar."""
    rows = [row("A", 0, 5), *(row(f"w{i}", 3, 60, level=1) for i in range(6)), row("Z", 10, 20, "A")]
    chart = assert_readable(render_svg(rows, today=date(2027, 1, 1)), 960, 250)
    (arrow,) = chart.arrows.values()
    assert len(segments(arrow.get("d", ""))) > 3  # not the straight way down, which crosses the wall


def test_kit_and_notebook_charts_take_width_label_width_and_collapse__GANTT_03(p: Plan) -> None:
    svg = p.kit.plans.gantt(p.plan, width=1300, label_width=320, collapse=True)
    chart = assert_readable(svg, 1300, 320)
    assert set(chart.bars) == {p.kickoff.id, p.config.id, p.training.id, p.live.id}
    view = p.kit.plans.open(p.plan).chart(width=1500, label_width=200)
    page = view._repr_html_()
    assert_readable(page[page.index("<svg") : page.index("</svg>") + 6], 1500, 200)
    assert view == p.kit.plans.open(p.plan)
    with pytest.raises(sk.ValidationError, match="names column"):
        p.kit.plans.open(p.plan).chart(label_width=10)
    with pytest.raises(sk.ValidationError, match="pixels wide"):
        p.kit.plans.gantt(p.plan, width=300)


def test_width_estimates_are_never_narrower_than_the_browser_font__GANTT_03() -> None:
    """Names are fitted by estimated widths: on DejaVu Sans, the widest face a browser falls
    back to on Linux, every name of the large plan is drawn no wider than estimated."""
    pytest.importorskip("matplotlib")
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextToPath

    measure = TextToPath()
    names = {r.name for r in gantt_plans.large()}
    names |= {"MMMM WWWW", "iiii llll", "Q4 2027", "30", "Jan 2028", "R&D (EMEA) [v2]! 100% @HQ/x"}
    for bold in (False, True):
        font = FontProperties(family="DejaVu Sans", size=12, weight="bold" if bold else "normal")
        for name in names:
            real = measure.get_text_width_height_descent(name, font, ismath=False)[0]
            assert real <= text_width(name, 12, bold=bold), (name, bold)
