"""REPORT_02 (saved reports) and REPORT_04 (standard dashboards), on every backend.

Saved reports: stored, listed, run by name with their order, exported, drawn;
bad definitions refused at save naming the value, with nothing written.
Dashboards: their figures equal what the records say (counted here in Python),
and their storage calls do not grow with the portfolio.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import date, timedelta
from typing import Any

import pytest

import successkit as sk
from successkit.query.language import CalendarQuarter
from successkit.reports.dashboards import quarter_bounds, week_starts
from successkit.reports.sample import sample_book
from successkit.reports.saved import deploy_report, report_asset


@pytest.fixture
def book(kit: sk.Kit) -> sk.Kit:
    kit.companies.create_many(
        [
            {"name": "A", "stage": "Adoption", "arr": 100.0, "renewal_date": date(2027, 1, 5)},
            {"name": "B", "stage": "Adoption", "arr": 50.0, "renewal_date": date(2027, 4, 5)},
            {"name": "C", "stage": "Renewal", "arr": 70.0, "renewal_date": date(2027, 2, 1)},
            {"name": "D", "arr": 7.0},
        ]
    )
    return kit


def test_a_saved_report_runs_by_name_in_its_order__REPORT_02(book: sk.Kit) -> None:
    """Saved once, run by name: the aggregate in the database, rows in the saved sort;
    listed, replaced by a save under the same name, deleted."""
    book.reports.save("ARR by stage", title="ARR per stage", by="stage",
                      measures={"companies": "count", "arr": "sum"}, sort="-arr")  # fmt: skip
    book.store.stats.reset()
    result = book.reports.run("ARR by stage")
    assert book.store.stats.calls["aggregate"] == 1 and book.store.stats.calls["query"] <= 1
    assert [(r.keys, r["companies"], r["arr"]) for r in result] == [
        (("Adoption",), 2, 150.0), (("Renewal",), 1, 70.0), ((None,), 1, 7.0)
    ]  # fmt: skip
    assert result.title == "ARR per stage" and "Adoption" in str(result)
    assert [r.name for r in book.reports.list()] == ["ARR by stage"]
    book.reports.save("ARR by stage", where=[("arr", ">", 60)], by="stage", measures={"arr": "sum"})
    assert book.reports.run("ARR by stage").to_dicts() == [{"stage": "Adoption", "arr": 100.0},
                                                          {"stage": "Renewal", "arr": 70.0}]  # fmt: skip
    assert len(book.reports.list()) == 1
    book.reports.delete("ARR by stage")
    assert book.reports.list() == []
    with pytest.raises(sk.NotFound):
        book.reports.run("ARR by stage")


def test_a_report_by_quarter_exports_and_draws__REPORT_02(book: sk.Kit) -> None:
    """Two groupings draw as stacked bars; to_pandas has a column per grouping and
    measure; the HTML holds the chart and the table."""
    pd = pytest.importorskip("pandas")
    book.reports.save("Renewals", by=[{"field": "renewal_date", "quarter": "fiscal", "start_month": 4}, "stage"],
                      measures={"arr": "sum"}, chart={"type": "stacked_bar", "measure": "arr"})  # fmt: skip
    result = book.reports.run("Renewals")
    frame = result.to_pandas()
    assert isinstance(frame, pd.DataFrame)
    assert list(frame.columns) == ["fiscal_quarter(renewal_date)", "stage", "arr"]
    root = ET.fromstring(result.chart())
    bars = root.findall(".//{http://www.w3.org/2000/svg}rect[@class='bar']")
    assert {(b.attrib["data-category"], b.attrib["data-series"], float(b.attrib["data-value"])) for b in bars} == {
        ("FY2026-Q4", "Adoption", 100.0), ("FY2026-Q4", "Renewal", 70.0), ("FY2027-Q1", "Adoption", 50.0),
        ("(none)", "(none)", 7.0),
    }  # fmt: skip
    assert "stacked-bar-chart" in result.to_html() and "<table>" in result.to_html()
    line = ET.fromstring(result.chart("line"))
    assert line.attrib["class"] == "successkit-chart line-chart"


def test_a_report_deploys_from_its_json_form__REPORT_02(book: sk.Kit) -> None:
    """What a bundle carries: the JSON form installs the same report again."""
    saved = book.reports.save("By quarter", by=CalendarQuarter("renewal_date"), measures={"n": "count"}, sort="-n")
    asset = report_asset(saved)
    assert asset == {
        "name": "By quarter", "record_set": "company", "by": [{"field": "renewal_date", "quarter": "calendar"}],
        "measures": {"n": "count"}, "sort": ["-n"],
    }  # fmt: skip
    book.reports.delete(saved)
    again = deploy_report(book, {**asset, "name": "Again"}, bundle="starter")
    assert again.bundle == "starter" and again.definition == saved.definition
    assert book.reports.run("Again").to_dicts() == [
        {"quarter(renewal_date)": "2027-Q1", "n": 2}, {"quarter(renewal_date)": "2027-Q2", "n": 1},
        {"quarter(renewal_date)": None, "n": 1},
    ]  # fmt: skip
    with pytest.raises(sk.RuleViolation, match="no key") as e:
        deploy_report(book, {"name": "X", "colour": "red"})
    assert e.value.value == "colour"


@pytest.mark.parametrize(
    ("record_set", "given", "message", "value"),
    [
        ("company", {"measures": {"x": ("sum", "nope")}}, "unknown field", "nope"),
        ("company", {"measures": {"x": ("median", "arr")}}, "unknown aggregate function", "median"),
        ("company", {"measures": {"x": ("sum", "name")}}, "sum cannot read 'name'", "name"),
        ("company", {"by": {"field": "name", "quarter": "calendar"}}, "quarters need a date", "name"),
        ("company", {"by": {"field": "stage", "ranges": [1, 2]}}, "number", "stage"),
        ("company", {"by": "stage", "measures": {"first": ("min", "renewal_date")}, "chart": "bar"},
         "numeric measure", {"type": "bar"}),
        ("company", {"by": "stage", "chart": "pie"}, "a chart is one of", "pie"),
        ("company", {"by": "stage", "sort": "-arr"}, "sorts by its columns", "-arr"),
        ("company", {"where": [("nope", "=", 1)]}, "unknown field", "nope"),
        ("secret", {}, "a report reads one of", "secret"),
    ],
)  # fmt: skip
def test_bad_reports_are_refused_at_save_naming_the_value__REPORT_02(
    book: sk.Kit, record_set: str, given: dict[str, Any], message: str, value: Any
) -> None:
    with pytest.raises(sk.RuleViolation, match=message) as e:
        book.reports.save("bad", record_set, **given)
    assert e.value.rule == "REPORT_02" and e.value.value == value
    assert book.reports.list() == []  # nothing written


def test_reports_read_other_record_sets__REPORT_02(kit: sk.Kit) -> None:
    """CTAs by their type and priority, as a saved report."""
    sample_book(kit, 12)
    kit.reports.save("Open CTAs", "cta", where=[("closed_at", "is empty", None)], by=["type", "priority"],
                     measures={"n": "count"})  # fmt: skip
    rows = kit.reports.run("Open CTAs").to_dicts()
    ctas = [c for c in kit.ctas.list() if c.closed_at is None]
    assert sum(r["n"] for r in rows) == len(ctas)
    assert {(r["type"], r["priority"]): r["n"] for r in rows} == {
        (t, p): sum(1 for c in ctas if (c.type, c.priority) == (t, p)) for t, p in {(c.type, c.priority) for c in ctas}
    }


# ---------------------------------------------------------------------------------------------- REPORT_04


def test_portfolio_figures_match_the_records__REPORT_04(kit: sk.Kit) -> None:
    csms = sample_book(kit, 30)
    alice = csms[0]
    p = kit.dashboards.portfolio(alice)
    mine = kit.companies.list([("csm_id", "=", alice.id)])
    first, last = quarter_bounds(kit.today())
    today = kit.today()
    assert p.customers == len(mine) and p.arr == sum(c.arr or 0 for c in mine)
    renewing = [c for c in mine if c.renewal_date and first <= c.renewal_date <= last]
    assert (p.renewals, p.renewal_arr) == (len(renewing), sum(c.arr or 0 for c in renewing))
    open_ctas = [c for c in kit.ctas.list([("owner_id", "=", alice.id)]) if c.closed_at is None]
    assert sum(p.open_ctas.values()) == len(open_ctas)
    assert p.overdue["CTAs"] == sum(1 for c in open_ctas if c.due_date and c.due_date < today)
    tasks = kit.tasks.list([("owner_id", "=", alice.id)])
    assert p.overdue["tasks"] == sum(1 for t in tasks if t.closed_at is None and t.due_date and t.due_date < today)
    assert list(p.open_ctas) == [k for k in ("high", "medium", "low") if k in p.open_ctas]  # the admin's order
    frames = p.to_pandas() if _has_pandas() else {}
    assert not frames or set(frames) == {
        "ARR by grade", "Open CTAs by priority", "Overdue work", "Largest customers (top 10)"
    }  # fmt: skip
    top = p.tables()["Largest customers (top 10)"]
    assert [r["arr"] for r in top] == sorted((c.arr or 0.0 for c in mine), reverse=True)[:10]


def test_dashboard_tables_use_headings_a_person_reads__REPORT_04(kit: sk.Kit) -> None:
    """Panels head their columns "grade", "ARR", "renewal date" (not the stored field
    names) and carry no "N groups" line: the largest-customers rows are companies."""
    csms = sample_book(kit, 20)
    page = kit.dashboards.portfolio(csms[0]).html_fragment()
    headings = [h.strip() for h in re.findall(r"<th[^>]*>([^<]*)</th>", page)]
    assert {"grade", "ARR", "renewal date", "company"} <= set(headings)
    assert not {"score_grade", "score.grade", "renewal_date", "arr"} & set(headings)
    assert not re.search(r"\d+ groups?<", page)


def test_arr_at_risk_and_renewals_add_up__REPORT_04(kit: sk.Kit) -> None:
    sample_book(kit, 30)
    companies = kit.companies.list()
    risk = kit.dashboards.arr_at_risk()
    assert risk.total_arr == sum(c.arr or 0 for c in companies)
    assert risk.at_risk_arr == sum(c.arr or 0 for c in companies if c.score_grade in ("Red", "Yellow"))
    assert risk.by_grade["Green"] == sum(c.arr or 0 for c in companies if c.score_grade == "Green")
    per_csm = risk.tables()["ARR at risk per CSM"]
    assert sum(r["arr"] for r in per_csm) == risk.at_risk_arr
    renewals = kit.dashboards.renewals(quarters=4, start_month=4)
    assert renewals.quarters == ("FY2026-Q3", "FY2026-Q4", "FY2027-Q1", "FY2027-Q2")
    start = quarter_bounds(kit.today(), 4)[0]
    end = date(2027, 10, 1)
    due = [c for c in companies if c.renewal_date and start <= c.renewal_date < end]
    assert sum(renewals.count.values()) == len(due) and sum(renewals.arr.values()) == sum(c.arr or 0 for c in due)


def test_trends_average_scores_and_count_nps_per_week__REPORT_04(kit: sk.Kit) -> None:
    sample_book(kit, 20, weeks=6)
    t = kit.dashboards.trends(weeks=6)
    assert t.weeks == tuple(week_starts(kit.today(), 6)) and t.weeks[-1].weekday() == 0
    snaps = [s for s in kit.store.query(kit.bind("score_snapshot", sk.Query()))]
    monday = t.weeks[-1]
    latest = [s.score for s in snaps if monday <= s.period <= monday + timedelta(days=6)]
    assert t.score[-1] == round(sum(latest) / len(latest), 1)
    answers = [r for r in kit.survey_responses.list() if monday <= r.answered_on <= monday + timedelta(days=6)]
    promoters = sum(1 for r in answers if r.nps_category == "promoter")
    detractors = sum(1 for r in answers if r.nps_category == "detractor")
    assert t.responses[-1] == len(answers)
    assert t.nps[-1] == round(100 * (promoters - detractors) / len(answers), 1)


def test_cta_effectiveness_and_success_plans__REPORT_04(kit: sk.Kit) -> None:
    sample_book(kit, 24)
    e = kit.dashboards.cta_effectiveness(days=90)
    ctas = kit.ctas.list()
    assert sum(r["opened"] for r in e.per_csm) == len(ctas) == sum(r["opened"] for r in e.per_type)
    assert sum(r["success"] for r in e.per_type) == sum(1 for c in ctas if c.status == "closed_success")
    for r in e.per_type:
        closed = r["success"] + r["lost"]
        assert r["success_rate"] == (round(100 * r["success"] / closed, 1) if closed else None)
    plans = kit.dashboards.success_plans()
    assert sum(plans.plans.values()) == kit.plans.count()
    assert sum(plans.tasks.values()) == kit.tasks.count()
    today = kit.today()
    objectives = kit.objectives.list()
    assert plans.overdue_objectives == sum(
        1 for o in objectives if o.closed_at is None and o.due_date is not None and o.due_date < today
    )


def test_dashboards_make_the_same_storage_calls_for_10_and_200_companies__REPORT_04(kit: sk.Kit) -> None:
    """Bounded in storage calls whatever the portfolio size: the calls of every
    dashboard are counted at 10 companies, then at 200."""
    csms = sample_book(kit, 10)

    def calls() -> dict[str, int]:
        kit.store.stats.reset()
        kit.dashboards.all(csms[0])
        return {k: v for k, v in kit.store.stats.calls.items() if v}

    calls()  # the first reads the configuration (priorities) into the kit's cache
    small = calls()
    sample_book(kit, 190, csms=csms, first=10)
    assert kit.companies.count() == 200
    assert calls() == small
    assert sum(small.values()) <= 40 and small.get("query", 0) <= 2


def test_dashboards_render_as_fragments_and_pages__REPORT_04(kit: sk.Kit) -> None:
    """A fragment has no <html> wrapper and parses with its SVG charts; the page wraps it."""
    csms = sample_book(kit, 15)
    for d in kit.dashboards.all(csms[1]):
        fragment = d.html_fragment()
        assert "<html" not in fragment and fragment.startswith('<div class="successkit-dashboard')
        assert d.charts() and all(str(c) in fragment for c in d.charts() if c)
        for chart in d.charts():
            ET.fromstring(chart)
        page = d.to_html()
        assert page.startswith("<!DOCTYPE html>") and fragment in page and d.title in page


def test_dashboards_refuse_bad_arguments__REPORT_04(kit: sk.Kit) -> None:
    with pytest.raises(sk.ValidationError, match="weeks") as e:
        kit.dashboards.trends(weeks=0)
    assert e.value.value == 0
    with pytest.raises(sk.ValidationError, match="month 1 to 12"):
        kit.dashboards.renewals(start_month=13)
    with pytest.raises(sk.ValidationError, match="risk_grades"):
        kit.dashboards.arr_at_risk(risk_grades="Red")


def _has_pandas() -> bool:
    try:
        import pandas  # noqa: F401
    except ImportError:
        return False
    return True


def test_a_report_by_csm_shows_their_names__REPORT_02(kit: sk.Kit) -> None:
    """Group keys that are user ids (a CSM, through a related grouping too) read as the
    users' names in the chart and the HTML; the data keeps the ids."""
    csms = sample_book(kit, 15)
    kit.reports.save("CTAs per CSM", "cta", by={"field": "csm_id", "via": "company_id"}, measures={"n": "count"})
    result = kit.reports.run("CTAs per CSM")
    ids = {u.id: u.name for u in csms}
    assert {r["company_id.csm_id"] for r in result.to_dicts()} - {None} <= set(ids)
    root = ET.fromstring(result.chart())
    shown = {b.attrib["data-category"] for b in root.findall(".//{http://www.w3.org/2000/svg}rect[@class='bar']")}
    assert shown <= {*ids.values(), "(none)"} and "Alice Kim" in shown
    assert "Alice Kim" in result.to_html() and csms[0].id not in result.to_html()


def test_every_dashboard_of_an_empty_workspace_renders__REPORT_04(kit: sk.Kit) -> None:
    """No renewals and no plans: the panels say so and draw no chart, rather than fail."""
    renewals, plans = kit.dashboards.renewals(), kit.dashboards.success_plans()
    assert sum(renewals.count.values()) == 0 and renewals.charts() == [] and plans.charts() == []
    assert "Nothing yet." in renewals.html_fragment() and "Nothing yet." in plans.html_fragment()
