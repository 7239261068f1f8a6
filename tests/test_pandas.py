"""DATA_01, pandas side: list results and reports as typed DataFrames, and HTML tables for notebooks."""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

import pytest

import successkit as sk
from successkit.plans.schedule import ScheduleRow
from successkit.records import Activity, Company, Cta, Goal, Objective, Task
from successkit.views import frames
from successkit.views.record_list import RecordList

from .helpers import World

pd = pytest.importorskip("pandas")

UTC_US = "datetime64[us, UTC]"
DATE_US = "datetime64[us]"


def dtypes(frame: Any) -> dict[str, str]:
    return {name: str(t) for name, t in frame.dtypes.items()}


class PandasWorld(World):
    """The plan world with typed company data, a plan with an objective and a task, an activity and a goal."""

    def __init__(self, kit: sk.Kit) -> None:
        super().__init__(kit)
        kit.custom_fields.declare("company", "segment", "dropdown", options=["Enterprise", "SMB"])
        kit.custom_fields.declare("company", "signed_on", "date")
        kit.custom_fields.declare("company", "seats", "number")
        self.big = kit.companies.create(
            "Big Co",
            stage="Adoption",
            status="active",
            arr=1_200_000.0,
            health_score=78.5,
            renewal_date=date(2027, 2, 1),
            csm_id=self.alice.id,
            fields={"segment": "Enterprise", "signed_on": "2025-03-01", "seats": 40},
        )
        self.sp = self.plan("Onboarding", due_date=date(2027, 1, 31))
        self.o1 = kit.objectives.create(
            self.sp, "Kickoff", start_date=date(2026, 11, 25), due_date=date(2026, 12, 5)
        ).record
        self.t1 = kit.tasks.create(self.o1, "Send agenda", due_date=date(2026, 11, 30)).record
        self.met = datetime(2026, 11, 20, 15, 30, tzinfo=timezone.utc)
        self.call = kit.timeline.log(
            "call", "Kickoff call", company=self.acme, occurred_at=self.met, participants=[self.alice, self.pat]
        )
        self.note = kit.timeline.log("note", "Plan note", plan=self.sp, occurred_at=self.met.replace(hour=16))
        self.goal = kit.goals.create("Grow usage", company=self.acme, due_date=date(2027, 6, 30))


@pytest.fixture
def w(kit: sk.Kit) -> PandasWorld:
    return PandasWorld(kit)


# ------------------------------------------------------------------ record lists
def test_company_list_columns_have_real_dtypes__DATA_01(w: PandasWorld) -> None:
    """Dates, timestamps, categories, nullable numbers and text come out typed from the record class."""
    df = w.kit.companies.list(sort=["name"]).to_pandas()
    t = dtypes(df)
    assert list(df.columns[:3]) == ["name", "stage", "status"]
    assert list(df.columns[-5:]) == list(frames.BOOKKEEPING)
    assert t["id"] == "string" and t["name"] == "string" and t["parent_id"] == "string"
    assert t["version"] == "Int64"
    assert t["created_at"] == UTC_US and t["updated_at"] == UTC_US
    assert t["renewal_date"] == DATE_US
    assert t["stage"] == "category" and t["status"] == "category"
    assert t["arr"] == "float64" and t["health_score"] == "float64" and t["nps"] == "float64"
    assert "fields" not in df.columns and "kind" not in df.columns
    big = df.set_index("name").loc["Big Co"]
    assert big["renewal_date"] == pd.Timestamp("2027-02-01")
    assert big["arr"] == 1_200_000.0 and big["health_score"] == 78.5
    assert pd.isna(big["nps"])
    assert big["stage"] == "Adoption" and big["csm_id"] == w.alice.id
    assert big["created_at"] == pd.Timestamp("2026-11-24 09:00", tz="UTC")
    acme = df.set_index("name").loc["Acme"]
    assert acme["renewal_date"] is pd.NaT and acme["stage"] is not None and pd.isna(acme["stage"])
    assert acme["parent_id"] is pd.NA
    assert df["renewal_date"].dt.year.tolist()[df["name"].tolist().index("Big Co")] == 2027


def test_custom_fields_typed_from_declarations_with_kit__DATA_01(w: PandasWorld) -> None:
    """With the kit, declared custom fields are typed by declaration; a dropdown is a category."""
    df = w.kit.companies.list(sort=["name"]).to_pandas(kit=w.kit)
    t = dtypes(df)
    assert t["fields.segment"] == "category"
    assert t["fields.signed_on"] == DATE_US
    assert t["fields.seats"] == "float64"
    big = df.set_index("name").loc["Big Co"]
    assert big["fields.segment"] == "Enterprise"
    assert big["fields.signed_on"] == pd.Timestamp("2025-03-01")
    assert big["fields.seats"] == 40.0
    assert pd.isna(df.set_index("name").loc["Acme"]["fields.seats"])


def test_custom_fields_inferred_without_kit__DATA_01(w: PandasWorld) -> None:
    """Without declarations, custom columns are inferred from their values (ISO dates become dates)."""
    df = w.kit.companies.list(sort=["name"]).to_pandas()
    t = dtypes(df)
    assert t["fields.segment"] == "string"
    assert t["fields.signed_on"] == DATE_US
    assert t["fields.seats"] == "Int64"
    assert df.set_index("name").loc["Big Co"]["fields.seats"] == 40


def test_declared_custom_fields_have_columns_even_without_values__DATA_01(kit: sk.Kit) -> None:
    """With the kit every declared field has its column, typed, though no record holds a value."""
    kit.custom_fields.declare("company", "tier", "dropdown", options=["gold", "silver"])
    kit.custom_fields.declare("company", "vip", "boolean")
    kit.companies.create("Plain")
    t = dtypes(kit.companies.list().to_pandas(kit=kit))
    assert t["fields.tier"] == "category" and t["fields.vip"] == "boolean"


def test_empty_list_with_record_class_keeps_columns_and_dtypes__DATA_01() -> None:
    """An empty list still has every column of its kind, with the same dtypes as a full one."""
    df = RecordList([], record_class=Company).to_pandas()
    assert len(df) == 0
    assert list(df.columns) == list(frames.reading_order(frames.column_types(Company), [Company]))
    t = dtypes(df)
    assert t["renewal_date"] == DATE_US and t["created_at"] == UTC_US and t["stage"] == "category"
    assert t["arr"] == "float64" and t["version"] == "Int64"


def test_empty_service_list_keeps_columns_and_dtypes__DATA_01(kit: sk.Kit) -> None:
    """``kit.<service>.list()`` with no match still gives the kind's columns (needs Service.list to pass
    ``record_class``)."""
    df = kit.companies.list([("name", "=", "nobody")]).to_pandas()
    assert len(df) == 0
    assert dtypes(df)["renewal_date"] == DATE_US
    assert "name" in df.columns


def test_empty_list_without_kind_is_an_empty_frame__DATA_01() -> None:
    assert RecordList([]).to_pandas().shape == (0, 0)


def test_tuples_become_lists_and_booleans_are_nullable__DATA_01(w: PandasWorld) -> None:
    """Tuple fields are object columns of lists; bools are ``boolean``."""
    df = w.kit.timeline.list(sort=["occurred_at"]).to_pandas()
    t = dtypes(df)
    assert t["participant_user_ids"] == "object" and t["draft"] == "boolean"
    assert t["type"] == "category" and t["level"] == "category" and t["occurred_at"] == UTC_US
    call = df.set_index("subject").loc["Kickoff call"]
    assert call["participant_user_ids"] == [w.alice.id]
    assert call["participant_person_ids"] == [w.pat.id]
    assert bool(call["draft"]) is False
    assert call["occurred_at"] == pd.Timestamp(w.met)


def test_mixed_kinds_have_a_kind_column__DATA_01(w: PandasWorld) -> None:
    """A list of several kinds (the cockpit: CTAs and objectives) has ``kind`` first and both kinds' columns."""
    w.kit.plans.set_status(w.sp, "active")
    w.kit.ctas.create("Renewal risk", company=w.acme, type="risk", owner=w.alice)
    cockpit = w.kit.ctas.cockpit(w.alice)
    df = cockpit.to_pandas()
    assert df.columns[0] == "kind" and dtypes(df)["kind"] == "category"
    assert sorted(df["kind"].astype(str)) == ["cta", "objective"]
    assert "plan_id" in df.columns  # objective only
    assert dtypes(df)["due_date"] == DATE_US
    assert pd.isna(df.set_index("kind").loc["cta", "plan_id"])
    empty = RecordList([], record_class=(Cta, Objective)).to_pandas()
    assert list(empty.columns) == list(df.columns) and dtypes(empty) == dtypes(df)


def test_objectives_and_tasks_are_typed__DATA_01(w: PandasWorld) -> None:
    df = w.kit.objectives.list().to_pandas()
    t = dtypes(df)
    assert t["start_date"] == DATE_US and t["position"] == "Int64" and t["priority"] == "category"
    assert t["depends_on"] == "object" and t["closed_at"] == UTC_US
    assert df.loc[0, "due_date"] == pd.Timestamp("2026-12-05")
    assert df.loc[0, "closed_at"] is pd.NaT
    tasks = w.kit.tasks.list().to_pandas()
    assert dtypes(tasks)["parent_kind"] == "category" and tasks.loc[0, "parent_id"] == w.o1.id


def test_far_future_dates_fit__DATA_01() -> None:
    """Dates up to 9999-12-31 fit the date columns (microsecond resolution)."""
    df = frames.to_frame([{"d": date(9999, 12, 31)}, {"d": date(1, 1, 1)}], {"d": "date"})
    assert df.loc[0, "d"].year == 9999 and df.loc[1, "d"].year == 1


def test_values_that_do_not_fit_their_type_are_kept__DATA_01() -> None:
    """A stored value that does not fit the declared type keeps the column as ``object`` rather than losing it."""
    df = frames.to_frame([{"n": 1.5}, {"n": "many"}], {"n": "float"})
    assert dtypes(df)["n"] == "object" and df["n"].tolist() == [1.5, "many"]


def test_to_frame_refuses_an_unknown_column_type__DATA_01() -> None:
    with pytest.raises(ValueError, match="unknown column type"):
        frames.to_frame([], {"x": "decimal"})


def test_inference_rules__DATA_01() -> None:
    assert frames.infer_type([True, None, False]) == "boolean"
    assert frames.infer_type([1, 2, None]) == "integer"
    assert frames.infer_type([1, 2.5]) == "float"
    assert frames.infer_type([1, True]) == "object"
    assert frames.infer_type(["2026-01-31", None]) == "date"
    assert frames.infer_type(["2026-02-31"]) == "text"
    assert frames.infer_type(["a", "2026-01-31"]) == "text"
    assert frames.infer_type([["a"], []]) == "list"
    assert frames.infer_type([None]) == "object"


def test_category_columns_come_from_field_names__DATA_01() -> None:
    types = frames.column_types(Objective)
    for name in ("status", "priority", "type", "category", "owner_kind", "source"):
        assert types[name] == "category", name
    assert types["name"] == "text" and types["comments"] == "text"
    assert frames.column_types(Activity)["level"] == "category"


def test_slice_stays_a_record_list__DATA_01(w: PandasWorld) -> None:
    companies = w.kit.companies.list(sort=["name"])
    first = companies[:1]
    assert isinstance(first, RecordList) and len(first) == 1
    assert first.to_pandas().loc[0, "name"] == "Acme"
    assert isinstance(companies[0], Company)


def test_to_dicts_of_attrs_rows__DATA_01(w: PandasWorld) -> None:
    rows = RecordList(w.kit.plans.schedule(w.sp), record_class=ScheduleRow)
    dicts = rows.to_dicts()
    assert dicts[0]["kind"] == "objective" and dicts[0]["start"] == "2026-11-25"
    assert dicts[1]["depends_on"] == []


# ------------------------------------------------------------------ HTML for notebooks
def test_record_list_renders_as_html_table__DATA_01(w: PandasWorld) -> None:
    w.kit.companies.create("<script>alert(1)</script>")
    out = w.kit.companies.list(sort=["name"])._repr_html_()
    assert out.startswith('<div class="successkit"><style>') and "<th>renewal_date</th>" in out
    assert "<th>fields.segment</th>" in out
    assert "<script>" not in out and "&lt;script&gt;" in out
    assert "<td>2027-02-01</td>" in out and "<caption>4 rows</caption>" in out
    assert '<th class="n">arr</th>' in out and '<td class="n">1,200,000</td>' in out


def test_html_table_limits_rows_and_shows_empty_kinds__DATA_01() -> None:
    now = datetime(2026, 1, 1, tzinfo=timezone.utc)
    many = [Company(name=f"C{i}", created_at=now, updated_at=now) for i in range(60)]
    out = RecordList(many)._repr_html_()
    assert out.count("<tr>") == 51 and "first 50 of 60 rows" in out
    empty = RecordList([], record_class=Company)._repr_html_()
    assert "<th>name</th>" in empty and "0 rows" in empty
    assert RecordList([])._repr_html_() == "<p>(no records)</p>"


def test_single_record_html_lists_fields_and_values__DATA_01(w: PandasWorld) -> None:
    out = frames.record_html(w.big)
    assert "<h4>company</h4>" in out
    assert "<tr><td>renewal_date</td><td>2027-02-01</td></tr>" in out
    assert "<tr><td>fields.segment</td><td>Enterprise</td></tr>" in out
    assert out.index("<td>name</td>") < out.index("<td>renewal_date</td>") < out.index("<td>id</td>")


# ------------------------------------------------------------------ reports and views (frames functions)
def test_goal_reports_convert__DATA_01(w: PandasWorld) -> None:
    """The three goal record sets (GOAL_13) convert with their own dtypes."""
    w.kit.goals.link(w.goal, w.sp)
    goals = w.kit.goals.report("goals").to_pandas()
    assert dtypes(goals)["due_date"] == DATE_US and dtypes(goals)["status"] == "category"
    assert goals.loc[0, "due_date"] == pd.Timestamp("2027-06-30")
    links = w.kit.goals.report("goal_links").to_pandas()
    assert dtypes(links)["item_kind"] == "category" and links.loc[0, "item_id"] == w.sp.id
    w.kit.goal_templates.create("Adoption", due_days=90)
    templates = w.kit.goals.report("goal_templates").to_pandas()
    assert dtypes(templates)["due_days"] == "Int64" and templates.loc[0, "due_days"] == 90
    assert dtypes(templates)["default_fields"] == "object"


def test_goal_view_frame__DATA_01(w: PandasWorld) -> None:
    w.kit.goals.create("No date", company=w.acme)
    view = w.kit.goals.view(group_by="status", extra_columns=["created_at"])
    df = frames.goal_view_frame(view)
    assert list(df.columns) == ["group", "name", "due_date", "status", "progress", "created_at", "id"]
    t = dtypes(df)
    assert t["group"] == "category" and t["due_date"] == DATE_US and t["status"] == "category"
    assert t["progress"] == "float64" and t["created_at"] == UTC_US
    assert list(df["group"].cat.categories) == [g for g, _ in view.groups]
    row = df.set_index("name").loc["Grow usage"]
    assert row["due_date"] == pd.Timestamp("2027-06-30") and pd.isna(row["progress"])


def test_timeline_frame__DATA_01(w: PandasWorld) -> None:
    df = frames.timeline_frame(w.kit.timeline.company(w.acme))
    assert list(df.columns[:2]) == ["subject", "label"]
    assert df["subject"].tolist() == ["Plan note", "Kickoff call"]  # newest first
    assert df["label"].tolist()[0] == "SP" and pd.isna(df["label"].tolist()[1])
    assert dtypes(df)["occurred_at"] == UTC_US and dtypes(df)["label"] == "category"


def test_plan_view_frame__DATA_01(w: PandasWorld) -> None:
    df = frames.plan_view_frame(w.kit.plans.open(w.sp))
    assert df["kind"].astype(str).tolist() == ["objective", "task"]
    assert df["name"].tolist() == ["Kickoff", "Send agenda"]
    assert dtypes(df)["due_date"] == DATE_US
    assert df.loc[1, "parent_id"] == w.o1.id and pd.isna(df.loc[0, "parent_id"])


def test_plan_view_frame_of_an_empty_plan_has_columns__DATA_01(w: PandasWorld) -> None:
    empty = w.plan("Empty")
    df = frames.plan_view_frame(w.kit.plans.open(empty))
    assert len(df) == 0 and {"kind", "plan_id", "parent_kind"} <= set(df.columns)
    assert dtypes(df)["start_date"] == DATE_US


def test_clone_frame__DATA_01(w: PandasWorld) -> None:
    result = w.kit.plans.clone(w.sp, to=w.other, dry_run=True)
    df = frames.clone_frame(result)
    assert list(df.columns[:2]) == ["kind", "name"]
    assert list(df.columns[-6:]) == ["source_id", *frames.BOOKKEEPING]
    assert df["source_id"].tolist() == [w.o1.id, w.t1.id]
    assert df["kind"].astype(str).tolist() == ["objective", "task"]
    assert dtypes(df)["due_date"] == DATE_US


def test_schedule_rows_frame__DATA_01(w: PandasWorld) -> None:
    df = RecordList(w.kit.plans.schedule(w.sp), record_class=ScheduleRow).to_pandas()
    t = dtypes(df)
    assert t["start"] == DATE_US and t["due"] == DATE_US and t["level"] == "Int64"
    assert t["overdue"] == "boolean" and t["category"] == "category" and t["kind"] == "category"
    assert df["level"].tolist() == [0, 1]
    assert df.loc[0, "due"] == pd.Timestamp("2026-12-05")


# ------------------------------------------------------------------ view and report methods
# These call the ``to_pandas()`` methods of the views and reports themselves.
def test_goal_view_to_pandas__DATA_01(w: PandasWorld) -> None:
    view = w.kit.goals.view()
    df = view.to_pandas()
    assert dtypes(df)["due_date"] == DATE_US and dtypes(df)["status"] == "category"
    assert df.loc[0, "name"] == "Grow usage"


def test_timeline_page_to_pandas__DATA_01(w: PandasWorld) -> None:
    df = w.kit.timeline.company(w.acme).to_pandas()
    assert dtypes(df)["occurred_at"] == UTC_US and df.loc[0, "label"] == "SP"


def test_plan_view_to_pandas__DATA_01(w: PandasWorld) -> None:
    df = w.kit.plans.open(w.sp).to_pandas()
    assert df["kind"].astype(str).tolist() == ["objective", "task"]


def test_schedule_to_pandas__DATA_01(w: PandasWorld) -> None:
    df = w.kit.plans.schedule(w.sp).to_pandas()
    assert dtypes(df)["start"] == DATE_US and df["name"].tolist() == ["Kickoff", "Send agenda"]


def test_clone_result_to_pandas__DATA_01(w: PandasWorld) -> None:
    df = w.kit.plans.clone(w.sp, to=w.other, dry_run=True).to_pandas()
    assert df["source_id"].tolist() == [w.o1.id, w.t1.id]


def test_goal_model_columns_cover_every_field__DATA_01() -> None:
    """Columns are derived from the attrs class: every field but the custom-field bag is a column."""
    import attrs

    assert list(frames.column_types(Goal)) == [f.name for f in attrs.fields(Goal) if f.name != "fields"]
    assert list(frames.column_types(Task))[-1] == "closed_at"


def test_empty_cockpit_and_subtree_keep_their_columns__DATA_01(w: PandasWorld) -> None:
    """Lists whose kinds are known keep their columns and dtypes when empty."""
    kit = w.kit
    nobody = kit.users.create("Nobody")
    cockpit = kit.ctas.cockpit(nobody).to_pandas()
    assert len(cockpit) == 0 and {"kind", "name", "due_date", "priority"} <= set(cockpit.columns)
    assert dtypes(cockpit)["due_date"] == "datetime64[us]"
    leaf = kit.companies.create("Leaf")
    subtree = kit.companies.subtree(leaf).to_pandas()
    assert len(subtree) == 0 and {"name", "arr", "renewal_date"} <= set(subtree.columns)


def test_rule_runs_and_deployments_convert__DATA_01(w: PandasWorld) -> None:
    kit = w.kit
    report = kit.bundles.deploy("ebr").to_pandas()
    assert list(report["kind"].astype(str))[:2] == ["cta_types", "reasons"]
    assert dtypes(report)["result"] == "category"
    kit.rules.create("Note all", actions=[{"do": "log_activity", "type": "note", "subject": "Hello {name}"}])
    run = kit.rules.run("Note all").to_pandas()
    assert len(run) == kit.companies.count() and set(run["result"].astype(str)) == {"created"}
    assert dtypes(run)["action"] == "category" and dtypes(run)["target_kind"] == "category"
