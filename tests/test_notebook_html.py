"""DATA_01, the notebook side: record tables lead with what a person reads and end with the
bookkeeping, in pandas and in HTML alike; every result type renders as HTML that parses,
shows its key figures and escapes what it shows."""

from __future__ import annotations

from datetime import timedelta
from html.parser import HTMLParser
from typing import Any, cast

import pytest

import successkit as sk
from successkit.demo import build
from successkit.records import Activity, Company, Cta, Goal, Objective, Person, SuccessPlan, Task
from successkit.views import frames, notebook
from successkit.views.record_list import RecordList

SCRIPT = "<script>alert(1)</script>"
#: Elements without an end tag.
VOID = {"br", "meta", "img", "hr"}


class Page(HTMLParser):
    """What a rendering holds: its text, each table's header, and whether every tag is closed."""

    def __init__(self, markup: str) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[str] = []
        self.texts: list[str] = []
        self.headers: list[list[str]] = []
        self.cells: list[str] = []
        self.errors: list[str] = []
        self._in: str | None = None
        self.feed(markup)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":
            self.errors.append("a script element")
        if tag not in VOID:
            self.open.append(tag)
        if tag == "thead":
            self.headers.append([])
        if tag in ("th", "td", "style"):
            self._in = tag

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.open[-1:] or 'nothing'}")
        else:
            self.open.pop()
        if tag in ("th", "td", "style"):
            self._in = None

    def handle_data(self, data: str) -> None:
        if self._in == "style":
            return
        self.texts.append(data)
        if self._in == "th" and "thead" in self.open:
            self.headers[-1].append(data)
        elif self._in == "td":
            self.cells.append(data)

    @property
    def text(self) -> str:
        return " ".join(t.strip() for t in self.texts if t.strip())


def parsed(result: Any) -> Page:
    """The result's HTML, checked to be well formed and free of markup from the data."""
    page = Page(result._repr_html_())
    assert not page.errors and not page.open, (page.errors, page.open)
    return page


class Book:
    """The demo workspace, with usage, surveys, a stage change, a scorecard, a rule and markup in names."""

    def __init__(self, kit: sk.Kit) -> None:
        self.kit = kit
        with kit.transaction():
            build(kit)
        today = kit.today()
        self.acme = kit.companies.list([("name", "=", "Acme Holdings")])[0]
        self.japan = kit.companies.list([("name", "=", "Acme Japan")])[0]
        self.alice = kit.users.list([("name", "=", "Alice Kim")])[0]
        self.hostile = kit.companies.create(SCRIPT, stage="Onboarding", arr=12_500.5, csm_id=self.alice.id)
        kit.metrics.declare("logins", "Logins", unit="sessions")
        self.hiro = kit.people.of_company(self.japan)[0]
        facts = [
            {"metric": "logins", "company": self.japan, "person": self.hiro, "period": today - timedelta(days=d),
             "value": 14 if d < 30 else 9}
            for d in range(60)
        ]  # fmt: skip
        kit.usage.ingest(facts)
        pulse = kit.surveys.create("Pulse", [{"key": "nps", "type": "nps", "text": "Recommend us?"}])
        kit.surveys.respond(pulse, self.hiro, {"nps": 9}, company=self.japan)
        kit.companies.update(self.acme.id, stage="Renewal")
        self.acme = kit.companies.get(self.acme.id)
        self.rule = kit.rules.create(
            f"Renewal {SCRIPT}",
            where=[("renewal_date", "within next 120 days")],
            actions=[{"do": "create_cta", "name": "Renewal: {name}", "type": "renewal", "owner": "csm"}],
        )
        self.plan = kit.plans.list([("company_id", "=", self.japan.id)])[0]


@pytest.fixture
def book(kit: sk.Kit) -> Book:
    return Book(kit)


# ------------------------------------------------------------------ column order
KINDS = [Company, Cta, Objective, Task, Activity, Goal, SuccessPlan, Person]


@pytest.mark.parametrize("cls", KINDS, ids=lambda c: c.__kind__)
def test_every_kind_leads_with_its_name_and_ends_with_bookkeeping__DATA_01(cls: type[Any]) -> None:
    """One rule for every kind: the name first, the status before the people, dates, numbers
    and references; id, version, timestamps and creator last, in that order."""
    order = list(frames.reading_order(frames.column_types(cls), [cls]))
    assert order[0] in ("name", "subject")
    assert order[-5:] == ["id", "version", "created_at", "updated_at", "created_by"]
    assert sorted(order) == sorted(frames.column_types(cls))  # nothing lost, nothing added
    if "status" in order:
        assert order.index("status") <= 2
    if "owner_id" in order and "due_date" in order:
        assert order.index("status") < order.index("owner_id") < order.index("due_date") < order.index("company_id")


def test_pandas_and_html_tables_share_the_reading_order__DATA_01(book: Book) -> None:
    """The DataFrame's columns and the HTML table's header are the same, in the same order, for
    companies (CSM before dates before numbers), CTAs, tasks, plans and a cockpit of two kinds."""
    kit = book.kit
    kit.rules.run(book.rule)
    lists = [
        kit.companies.list(sort=["name"]),
        kit.ctas.list(),
        kit.tasks.list(),
        kit.plans.list(),
        kit.ctas.cockpit(book.alice),
    ]
    for records in lists:
        df = cast(Any, records).to_pandas()
        page = parsed(records)
        assert page.headers == [list(df.columns)]
        assert list(df.columns[-5:]) == list(frames.BOOKKEEPING)
    companies = list(cast(Any, lists[0]).to_pandas().columns)
    assert companies[:3] == ["name", "stage", "status"]
    assert companies.index("csm_id") < companies.index("renewal_date") < companies.index("arr")
    assert companies.index("arr") < companies.index("parent_id") < companies.index("fields.segment")
    assert companies.index("fields.segment") < companies.index("id")
    cockpit = list(cast(Any, lists[4]).to_pandas().columns)
    assert cockpit[:2] == ["kind", "name"] and cockpit[-5:] == list(frames.BOOKKEEPING)


def test_one_record_and_the_goal_view_put_bookkeeping_last__DATA_01(book: Book) -> None:
    rows = [c for c in parsed(book.acme).cells]
    assert rows[0] == "name" and rows.index("id") > rows.index("fields.segment")
    view = book.kit.goals.view()
    assert list(view.to_pandas().columns)[-1] == "id" and list(view.to_dicts()[0])[-1] == "id"


def test_rows_that_are_not_records_keep_their_class_order__DATA_01(book: Book) -> None:
    """Schedule rows and rule steps were laid out for reading already; the rule leaves them be."""
    run = book.kit.rules.run(book.rule, dry_run=True)
    assert list(run.to_pandas().columns)[:2] == ["action", "result"]


# ------------------------------------------------------------------ each result type
def test_rule_run_html_shows_counts_and_steps__DATA_01(book: Book) -> None:
    run = book.kit.rules.run(book.rule, dry_run=True)
    page = parsed(run)
    assert f"Rule: Renewal {SCRIPT}" in page.text and "dry run, nothing written" in page.text
    assert f"matched {run.matched}" in page.text and f"created {run.created}" in page.text
    assert page.headers == [["target", "kind", "action", "result", "detail"]]
    assert {s.target_name for s in run.steps} <= set(page.cells)


def test_deployment_html_shows_each_asset__DATA_01(book: Book) -> None:
    first = book.kit.bundles.deploy("health")
    page = parsed(first)
    assert "Bundle: health" in page.text and f"created {first.created}" in page.text
    assert {s.name for s in first.steps} <= set(page.cells)
    again = parsed(book.kit.bundles.deploy("health", dry_run=True))
    assert f"already there {len(first.steps)}" in again.text and "dry run" in again.text


def test_clone_html_shows_the_work_in_order_with_owners_by_name__DATA_01(book: Book) -> None:
    result = book.kit.plans.clone(book.plan, to=book.acme, name=f"Copy {SCRIPT}", dry_run=True)
    page = parsed(result)
    assert f"Would create plan: Copy {SCRIPT}" in page.text
    assert f"objectives {len(result.objectives)}" in page.text and f"tasks {len(result.tasks)}" in page.text
    names = [
        c for c in page.cells if c.lstrip("↳ ") in {cast(Any, i).name for i in (*result.objectives, *result.tasks)}
    ]
    first = result.objectives[0]
    assert names[0] == first.name and names[1].startswith("↳ ")  # the first objective, then its tasks
    assert "Alice Kim" in page.cells and "kept" in page.cells


def test_goal_view_html_groups_and_shows_progress__DATA_01(book: Book) -> None:
    view = book.kit.goals.view(group_by="status")
    page = parsed(view)
    assert f"{len(view.rows)} of {view.total} shown" in page.text
    for group, count in view.groups:
        assert f"{group} ({count})" in page.text
    percents = [f"{r.values['progress']:.0f}%" for r in view.rows if r.values["progress"] is not None]
    assert percents and set(percents) <= set(page.cells)


def test_company_360_html_shows_figures_tables_and_names__DATA_01(book: Book) -> None:
    book.kit.rules.run(book.rule)
    view = book.kit.c360.company(book.acme)
    page = parsed(view)
    assert "Acme Holdings: company 360" in page.text and "$1,200,000" in page.text
    assert f"open CTAs {len(view.open_ctas)}" in page.text
    assert ["name", "type", "priority", "status", "due", "owner"] in page.headers
    assert "Alice Kim" in page.cells  # the CTA owner and the CSM by name, not by id
    assert book.alice.id not in page.text
    rel = parsed(book.kit.c360.relationship(book.kit.relationships.list(sort=["name"])[0]))
    assert "relationship 360" in rel.text


def test_signal_results_html_show_their_figures__DATA_01(book: Book) -> None:
    kit = book.kit
    window = kit.usage.window("logins", days=30)
    page = parsed(window)
    row = window.of(book.japan)
    assert row is not None and row.current == 420 and row.previous == 270
    assert {"420", "270", "+56%"} <= set(page.cells) and "Usage: logins (sum)" in page.text
    scores = parsed(kit.surveys.scores(months=12))
    assert "+100" in scores.cells and "Survey scores" in scores.text
    series = parsed(kit.history.series("stage"))
    assert "History of stage" in series.text and {"Adoption", "Renewal"} <= set(series.cells)


def test_other_results_html_show_their_figures__DATA_01(book: Book) -> None:
    kit = book.kit
    table = kit.companies.aggregate(by="stage", measures={"n": "count", "arr": ("sum", "arr")})
    page = parsed(table)
    assert page.headers == [["stage", "n", "arr"]] and "Onboarding" in page.cells
    assert f"{table.value('Renewal', 'arr'):,.0f}" in page.cells
    timeline = parsed(kit.timeline.company(book.japan))
    assert timeline.headers == [["when", "type", "label", "subject", "state"]]
    kit.bundles.deploy("health")
    kit.scorecards.recompute()
    explained = parsed(kit.scorecards.explain(book.acme))
    assert "nps" in explained.cells
    history = parsed(kit.scorecards.history([book.acme]))
    assert "Score history" in history.text and "1 snapshot" in history.text
    outcome = parsed(kit.objectives.create(book.plan, f"Step {SCRIPT}"))
    assert f"Step {SCRIPT}" in outcome.cells
    seen = kit.scorecards.preview("standard", measures=["nps"])
    preview = parsed(seen)
    assert f"rows {len(seen)}" in preview.text and f"change grade {seen.changed_grade}" in preview.text
    for (old, new), n in seen.transitions.items():
        assert {old or "NA", new or "NA"} <= set(preview.cells) and str(n) in preview.cells
    opened = kit.plans.open(book.plan)
    plan_page = parsed(opened)
    assert book.plan.name in plan_page.text and f"Objectives: {opened.counts.total} (" in plan_page.text
    assert "<svg" in opened._repr_html_()
    loaded = parsed(kit.usage.ingest([{"metric": "logins", "company": book.acme, "period": kit.today(), "value": 3}]))
    assert "inserted 1" in loaded.text and "1 fact written" in loaded.text


# ------------------------------------------------------------------ escaping and values
def test_markup_in_data_is_shown_as_text_everywhere__DATA_01(book: Book) -> None:
    """A name holding a script element reads as text in every rendering that shows it."""
    kit = book.kit
    kit.rules.run(book.rule)
    kit.ctas.create(SCRIPT, company=book.hostile, type="risk", owner=book.alice)
    shown = [
        kit.companies.list(),
        book.hostile,
        kit.rules.run(book.rule, dry_run=True),
        kit.c360.company(book.hostile),
        kit.plans.clone(book.plan, to=book.acme, name=SCRIPT, dry_run=True),
        kit.companies.aggregate(by="name", measures={"n": "count"}),
        kit.ctas.list(),
        kit.ctas.cockpit(book.alice),
    ]
    for result in shown:
        markup = cast(Any, result)._repr_html_()
        assert "<script" not in markup and "&lt;script&gt;" in markup
        assert SCRIPT in parsed(result).text


def test_values_read_as_a_person_reads_them__DATA_01() -> None:
    """Thousands separators, at most two decimals, empty values as a dash, long texts and
    ids cut with the whole in a tooltip, numbers right-aligned."""
    long = "x" * 200
    markup = notebook.table(
        ["name", "arr", "note", "id"], [["A & B", 1_200_000.0, long, "0" * 32], [None, 12.3456, "short", None]]
    )
    page = Page(markup)
    assert page.headers == [["name", "arr", "note", "id"]]
    assert {"A & B", "1,200,000", "12.35", notebook.EMPTY, "00000000…"} <= set(page.cells)
    assert f'title="{long}"' in markup and long not in page.cells
    assert '<th class="n">arr</th>' in markup and '<td class="n">1,200,000</td>' in markup
    assert notebook.text(True) == "yes" and notebook.text(float("nan")) == ""
    assert RecordList([])._repr_html_() == "<p>(no records)</p>"
