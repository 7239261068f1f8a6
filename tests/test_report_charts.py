"""REPORT_03: bar, stacked bar and line charts as SVG, parsed back and measured.

Each chart is parsed with ``xml.etree``: bar heights are proportional to their
values, every value and category has its label, long names are cut with their
full text in a tooltip, and no mark lies outside the viewBox.
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from typing import Any, cast

import pytest

import successkit as sk
from successkit.reports.charts import bar_chart, line_chart, short_number, stacked_bar_chart

NS = {"s": "http://www.w3.org/2000/svg"}
LONG = "Bartholomew Featherstonehaugh-Cholmondeley of the Northern Accounts"


def parse(svg: str) -> tuple[ET.Element, float, float]:
    root = ET.fromstring(svg)
    _, _, w, h = (float(v) for v in root.attrib["viewBox"].split())
    assert float(root.attrib["width"]) == w and float(root.attrib["height"]) == h
    return root, w, h


def inside(root: ET.Element, w: float, h: float) -> None:
    """Every rect, text, tspan and circle has its anchor point within the viewBox
    (groups' translations applied), and every bar lies wholly inside it."""

    def walk(el: ET.Element, dx: float, dy: float) -> None:
        move = re.match(r"translate\(([-\d.]+),([-\d.]+)\)", el.attrib.get("transform", ""))
        if move:
            dx, dy = dx + float(move[1]), dy + float(move[2])
        for xa, ya in (("x", "y"), ("cx", "cy")):
            if xa in el.attrib and ya in el.attrib:
                x, y = float(el.attrib[xa]) + dx, float(el.attrib[ya]) + dy
                assert 0 <= x <= w and 0 <= y <= h, (el.tag, x, y)
        if el.attrib.get("class") == "bar":
            x, y = float(el.attrib["x"]) + dx, float(el.attrib["y"]) + dy
            assert x + float(el.attrib["width"]) <= w and y + float(el.attrib["height"]) <= h
        for child in el:
            walk(child, dx, dy)

    walk(root, 0.0, 0.0)


def bars(root: ET.Element) -> list[ET.Element]:
    return root.findall(".//s:rect[@class='bar']", NS)


def texts(root: ET.Element, cls: str) -> list[str]:
    return [shown(e) for e in root.findall(f".//s:text[@class='{cls}']", NS)]


def shown(el: ET.Element) -> str:
    """The text an element shows: its own and its tspans', not its tooltip."""
    spans = el.findall("s:tspan", NS)
    return " ".join(t.text or "" for t in spans) if spans else (el.text or "")


def test_bar_heights_are_proportional_to_values__REPORT_03() -> None:
    """Bars of one chart share one scale from zero; each bar carries its value label,
    each category its name; nothing falls outside the viewBox."""
    values = [120_000, 54_000, 230_000, 0, 87_500]
    cats = ["Ann", "Bob", "Cy", "Dee", "Eve"]
    svg = bar_chart(cats, values, title="ARR by CSM", value_label="ARR", category_label="CSM")
    root, w, h = parse(svg)
    assert w == 800
    drawn = bars(root)
    assert [float(b.attrib["data-value"]) for b in drawn] == values
    per_unit = [float(b.attrib["height"]) / v for b, v in zip(drawn, values, strict=True) if v]
    assert per_unit[0] > 0 and all(math.isclose(p, per_unit[0], rel_tol=0.005) for p in per_unit)
    assert float(drawn[3].attrib["height"]) == 0
    bottoms = {round(float(b.attrib["y"]) + float(b.attrib["height"]), 1) for b in drawn}
    assert len(bottoms) == 1  # one baseline
    assert texts(root, "value-label") == ["120k", "54k", "230k", "0", "87.5k"]
    assert [t.strip() for t in texts(root, "category-label")] == cats
    assert "ARR by CSM" in texts(root, "title") and "CSM" in texts(root, "axis-label category-axis")
    inside(root, w, h)


def test_grouped_bars_have_a_legend_and_negative_values_hang_below_zero__REPORT_03() -> None:
    svg = bar_chart(["Q1", "Q2"], {"Won": [10.0, 20.0], "Lost": [-5.0, None]}, title="Net")
    root, w, h = parse(svg)
    drawn = bars(root)
    assert [(b.attrib["data-series"], float(b.attrib["data-value"])) for b in drawn] == [
        ("Won", 10.0), ("Lost", -5.0), ("Won", 20.0)
    ]  # fmt: skip
    won, lost = drawn[0], drawn[1]
    zero = float(won.attrib["y"]) + float(won.attrib["height"])
    assert math.isclose(float(lost.attrib["y"]), zero, abs_tol=0.2)  # the negative bar starts at zero
    assert math.isclose(float(lost.attrib["height"]) * 2, float(won.attrib["height"]), abs_tol=0.3)
    legend = [g.attrib["data-series"] for g in root.findall(".//s:g[@class='legend-item']", NS)]
    assert legend == ["Won", "Lost"]
    inside(root, w, h)


def test_stacked_bars_add_up_and_carry_totals__REPORT_03() -> None:
    series = {"Green": [100.0, 200.0], "Yellow": [20.0, 80.0], "Red": [50.0, 0.0]}
    root, w, h = parse(stacked_bar_chart(["FY2026-Q1", "FY2026-Q2"], series, title="ARR by grade"))
    drawn = bars(root)
    q1 = [b for b in drawn if b.attrib["data-category"] == "FY2026-Q1"]
    heights = [float(b.attrib["height"]) for b in q1]
    assert math.isclose(heights[0] / 100, heights[1] / 20, rel_tol=0.02)
    # segments sit on one another, Green at the bottom
    assert math.isclose(float(q1[0].attrib["y"]), float(q1[1].attrib["y"]) + heights[1], abs_tol=0.2)
    assert texts(root, "value-label total") == ["170", "280"]
    fills = {b.attrib["data-series"]: b.attrib["fill"] for b in drawn}
    assert fills["Red"] == "#D62728" and fills["Green"] == "#54A24B"  # grades keep their colours
    inside(root, w, h)
    with pytest.raises(sk.ValidationError, match="negative"):
        stacked_bar_chart(["a"], {"x": [-1.0]})


def test_line_chart_over_a_history_breaks_at_gaps__REPORT_03() -> None:
    weeks = [f"2026-W{i:02d}" for i in range(40, 46)]
    svg = line_chart(
        weeks, {"Score": [61.0, 62.5, 64.0, 63.0, 65.0, 66.0], "NPS": [20.0, None, 30.0, 35.0, 30.0, 40.0]}
    )
    root, w, h = parse(svg)
    paths = {p.attrib["data-series"]: p.attrib["d"] for p in root.findall(".//s:path[@class='line']", NS)}
    assert paths["Score"].count("M") == 1 and paths["Score"].count("L") == 5
    assert paths["NPS"].count("M") == 2  # the missing week leaves a gap
    points = root.findall(".//s:circle[@class='point']", NS)
    assert len(points) == 11
    ys = {(p.attrib["data-series"], p.attrib["data-category"]): float(p.attrib["cy"]) for p in points}
    assert ys[("Score", weeks[5])] < ys[("Score", weeks[0])]  # higher value, higher on the chart
    assert len(texts(root, "value-label")) == 11  # few points: each labelled
    assert [t.strip() for t in texts(root, "category-label")] == weeks
    inside(root, w, h)


def test_long_names_are_cut_with_the_full_name_as_tooltip__REPORT_03() -> None:
    cats = [LONG, *(f"CSM {i}" for i in range(11))]
    root, w, h = parse(bar_chart(cats, list(range(12)), width=800))
    label = root.find(".//s:text[@class='category-label']", NS)
    assert label is not None
    lines = ["".join(t.itertext()) for t in label.findall("s:tspan", NS)]
    assert 1 <= len(lines) <= 2 and lines[-1].endswith("…")
    assert all(len(x) * 6.4 <= (800 - 88) / 12 for x in lines)  # fits its slot
    title = label.find("s:title", NS)
    assert title is not None and title.text == LONG
    inside(root, w, h)


def test_text_is_escaped_and_bad_values_refused__REPORT_03() -> None:
    svg = bar_chart(['<b>&"x"'], [1.0], title="<script>")
    root, _, _ = parse(svg)  # parses: nothing unescaped
    assert "<script>" not in svg and texts(root, "title") == ["<script>"]
    for bad in ([math.nan], ["1"], [True]):
        with pytest.raises(sk.ValidationError, match="no number"):
            bar_chart(["a"], cast(Any, bad))
    with pytest.raises(sk.ValidationError, match="one value per category"):
        bar_chart(["a", "b"], [1.0])
    with pytest.raises(sk.ValidationError, match="pixels wide"):
        bar_chart(["a"], [1.0], width=100)


@pytest.mark.parametrize(
    ("value", "text"),
    [(None, "—"), (0, "0"), (999, "999"), (1234, "1.2k"), (120_000, "120k"), (2_500_000, "2.5M"), (0.756, "0.76"),
     (61.25, "61.2"), (-4000, "-4k")],
)  # fmt: skip
def test_values_read_short__REPORT_03(value: Any, text: str) -> None:
    assert short_number(value) == text


def test_an_empty_chart_says_so__REPORT_03() -> None:
    root, _, _ = parse(bar_chart([], [], title="Nothing"))
    assert texts(root, "empty") == ["No data."] and not bars(root)
    root, _, _ = parse(line_chart(["a"], [None]))
    assert texts(root, "empty") == ["No data."]


def test_a_chart_shows_as_a_picture_in_a_notebook__REPORT_03() -> None:
    """Notebooks call ``_repr_svg_``: the chart is text that is the SVG document itself."""
    svg = line_chart(["a", "b"], {"x": [1.0, 2.0]}, width=800)
    assert isinstance(svg, str) and svg._repr_svg_() == str(svg) and svg.startswith("<svg")
