"""REPORT_01: aggregates of a record set — count, distinct count, sum, mean, min and
max, by none, one or two groupings — computed in the database, with the same
answers on every backend.

The memory backend computes them with the reference in
:mod:`successkit.query.aggregate`; SQLite and PostgreSQL in SQL.  Hypothesis
draws companies (custom fields of every type, values stored before a field was
declared, ties, missing values), filters, groupings and measures, and checks the
backends agree; example tests pin the documented semantics and the refusals.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import successkit as sk
from successkit.query.language import CalendarQuarter, FiscalQuarter, Query

from .conftest import PG_URL, need_postgres
from .test_differential import COMPANY_FIELDS, SETTINGS, companies, groupings, kit_pair, open_kit, queries

#: Which functions read which family of fields.
_FUNCS = {
    "number": ["sum", "mean", "min", "max", "count_distinct"],
    "date": ["min", "max", "count_distinct"],
    "datetime": ["min", "max", "count_distinct"],
    "text": ["count_distinct"],
    "bool": ["count_distinct"],
}


@st.composite
def measures(draw: st.DrawFn) -> dict[str, Any]:
    fields = [f for f, family in COMPANY_FIELDS.items() if family in _FUNCS]
    chosen = draw(st.lists(st.sampled_from(fields), min_size=0, max_size=4, unique=True))
    out: dict[str, Any] = {"n": "count"} if draw(st.booleans()) or not chosen else {}
    for i, field in enumerate(chosen):
        out[f"m{i}"] = (draw(st.sampled_from(_FUNCS[COMPANY_FIELDS[field]])), field)
    return out


def same(a: Any, b: Any) -> bool:
    """Equal, floats to 1e-9 relative (a database adds floats in an order of its own)."""
    if isinstance(a, float) or isinstance(b, float):
        numbers = isinstance(a, (int, float)) and isinstance(b, (int, float))
        return numbers and math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-6)
    return type(a) is type(b) and a == b


def assert_same(want: sk.AggregateTable, got: sk.AggregateTable) -> None:
    assert (got.groups, got.measures) == (want.groups, want.measures)
    assert [r.keys for r in got] == [r.keys for r in want]
    for w, g in zip(want, got, strict=True):
        for name in want.measures:
            assert same(w[name], g[name]), (w.keys, name, w[name], g[name])


def run(kit: sk.Kit, query: Query, by: list[Any], spec: dict[str, Any]) -> sk.AggregateTable:
    return kit.companies.aggregate(query, by=by, measures=spec)


@pytest.mark.slow
@settings(SETTINGS, max_examples=200)
@given(data=st.data())
def test_memory_and_sqlite_aggregate_alike__REPORT_01(data: st.DataObject) -> None:
    """The same groups in the same order with the same measures, for random records,
    filters, groupings (none, one or two) and measures over every field type."""
    records = data.draw(companies(legacy=data.draw(st.booleans())), label="records")
    query = Query(data.draw(queries(records), label="query").conditions)
    by = data.draw(st.lists(groupings(COMPANY_FIELDS), max_size=2), label="by")
    spec = data.draw(measures(), label="measures")
    with kit_pair(records) as (memory, sqlite):
        want = run(memory, query, by, spec)
        assert_same(want, run(sqlite, query, by, spec))
        if "n" in spec:  # the groups' counts add up to the matching records
            assert sum(r["n"] for r in want) == memory.companies.count(query)


@pytest.fixture(scope="module")
def pg_kit() -> Iterator[sk.Kit]:
    need_postgres()
    schema = f"sk_agg_{os.urandom(4).hex()}"
    kit = open_kit(f"{PG_URL}?schema={schema}", declare=True)
    try:
        yield kit
    finally:
        kit.close()
        import psycopg

        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.mark.slow
@settings(SETTINGS, max_examples=80)
@given(data=st.data())
def test_memory_and_postgres_aggregate_alike__REPORT_01(pg_kit: sk.Kit, data: st.DataObject) -> None:
    """The same on PostgreSQL, where custom values are read as typed parts and
    quarters are labelled in SQL."""
    records = data.draw(companies(legacy=data.draw(st.booleans())), label="records")
    query = Query(data.draw(queries(records), label="query").conditions)
    by = data.draw(st.lists(groupings(COMPANY_FIELDS), max_size=2), label="by")
    spec = data.draw(measures(), label="measures")
    pg_kit.store.delete_many("company", [c.id for c in pg_kit.store.query(pg_kit.bind("company", Query()))])
    pg_kit.store.insert_many(records)
    with kit_pair(records) as (memory, _):
        assert_same(run(memory, query, by, spec), run(pg_kit, query, by, spec))


@pytest.fixture
def book(kit: sk.Kit) -> sk.Kit:
    kit.custom_fields.declare("company", "seats", "number")
    kit.custom_fields.declare("company", "signed", "date")
    kit.custom_fields.declare("company", "modules", "multiselect", options=["a", "b"])
    kit.companies.create_many(
        [
            {"name": "A", "stage": "Adoption", "arr": 100.0, "renewal_date": date(2027, 1, 5), "fields": {"seats": 3}},
            {"name": "B", "stage": "Adoption", "arr": 50.5, "renewal_date": date(2027, 4, 5), "fields": {"seats": 2.5}},
            {"name": "C", "stage": "Renewal", "renewal_date": None, "fields": {"signed": "2026-02-01"}},
            {"name": "D", "arr": 7.0, "renewal_date": date(2026, 12, 31), "fields": {"seats": 4}},
        ]
    )
    return kit


def test_sums_means_and_extremes_skip_missing_values__REPORT_01(book: sk.Kit) -> None:
    """Without a grouping there is one row; sum, mean, min and max read the values
    there are; over no value they are None; count counts every record."""
    t = book.companies.aggregate(
        measures={"n": "count", "arr": "sum", "avg": ("mean", "arr"), "seats": "sum", "first": ("min", "renewal_date")}
    )
    assert t.to_dicts() == [{"n": 4, "arr": 157.5, "avg": 52.5, "seats": 9.5, "first": date(2026, 12, 31)}]
    none = book.companies.aggregate([("name", "=", "nobody")], measures={"n": "count", "arr": "sum"})
    assert none.to_dicts() == [{"n": 0, "arr": None}]
    assert book.companies.aggregate([("name", "=", "nobody")], by="stage").to_dicts() == []


def test_groups_by_a_field_and_a_fiscal_quarter__REPORT_01(book: sk.Kit) -> None:
    """Two groupings: keys ascending, the empty key last; a fiscal year starting in
    February puts January 2027 in FY2026's fourth quarter."""
    t = book.companies.aggregate(
        by=["stage", FiscalQuarter("renewal_date", start_month=2)], measures={"n": "count", "arr": "sum"}
    )
    assert t.groups == ("stage", "fiscal_quarter(renewal_date)")
    assert [(r.keys, r["n"], r["arr"]) for r in t] == [
        (("Adoption", "FY2026-Q4"), 1, 100.0),
        (("Adoption", "FY2027-Q1"), 1, 50.5),
        (("Renewal", None), 1, None),
        ((None, "FY2026-Q4"), 1, 7.0),
    ]
    assert t.value("Adoption", "FY2027-Q1", "arr") == 50.5
    by_quarter = book.companies.aggregate(by=CalendarQuarter("fields.signed"), measures={"n": "count"})
    assert [(r.keys, r["n"]) for r in by_quarter] == [(("2026-Q1",), 1), ((None,), 3)]


def test_distinct_counts_and_custom_numbers__REPORT_01(book: sk.Kit) -> None:
    """A distinct count counts present values; a custom number's whole sum reads as an int."""
    t = book.companies.aggregate(measures={"stages": ("count_distinct", "stage"), "seats": ("sum", "seats")})
    assert t.to_dicts() == [{"stages": 2, "seats": 9.5}]
    whole = book.companies.aggregate([("name", "in", ["A", "D"])], measures={"seats": "sum"})
    assert whole.to_dicts() == [{"seats": 7}] and type(whole.rows[0]["seats"]) is int


def test_aggregate_is_one_storage_call__REPORT_01(book: sk.Kit) -> None:
    book.store.stats.reset()
    book.companies.aggregate(by=["stage", "csm_id"], measures={"arr": "sum"})
    assert book.store.stats.calls["aggregate"] == 1
    assert book.store.stats.calls["query"] == 0


@pytest.mark.parametrize(
    ("by", "spec", "message"),
    [
        (None, {"arr": "median"}, "unknown aggregate function"),
        (None, {"name": "sum"}, "sum cannot read 'name'"),
        (None, {"x": ("sum", "nope")}, "unknown field"),
        (None, {"x": ("sum",)}, "function name or a"),
        (None, {}, "measures map output names"),
        (None, {f"m{i}": "count" for i in range(33)}, "at most 32 measures"),
        (["stage", "status", "csm_id"], None, "at most 2 groupings"),
        (42, None, "by is a field name"),
        ("modules", None, "cannot group by"),
    ],
)
def test_bad_aggregates_are_refused_with_query_error__REPORT_01(book: sk.Kit, by: Any, spec: Any, message: str) -> None:
    with pytest.raises(sk.QueryError, match=message):
        book.companies.aggregate(by=by, measures=spec)


def test_aggregate_table_reads_in_a_notebook__REPORT_01(book: sk.Kit) -> None:
    pd = pytest.importorskip("pandas")
    t = book.companies.aggregate(by="stage", measures={"n": "count", "arr": "sum"})
    frame = t.to_pandas()
    assert list(frame.columns) == ["stage", "n", "arr"] and len(frame) == 3
    assert isinstance(frame, pd.DataFrame)
    assert "<th>stage</th>" in t._repr_html_() and "Adoption" in str(t)


def test_value_ranges_group_numbers_below_between_and_above_their_bounds__REPORT_01(book: sk.Kit) -> None:
    """A range holds its lower bound and not its upper; below the first bound and from the
    last bound up are ranges too; a record without the value is in the empty group, last."""
    from successkit.query.language import ByRange, ValueRange

    t = book.companies.aggregate(by=ByRange("arr", [50, 100]), measures={"n": "count", "arr": "sum"})
    assert t.groups == ("range(arr)",)
    assert [(r.keys[0], r["n"], r["arr"]) for r in t] == [
        (ValueRange(None, 50.0), 1, 7.0),
        (ValueRange(50.0, 100.0), 1, 50.5),
        (ValueRange(100.0, None), 1, 100.0),
        (None, 1, None),
    ]
    assert [str(r.keys[0]) for r in t][:3] == ["< 50", "50-100", ">= 100"]
    seats = book.companies.aggregate(by=["stage", ByRange("fields.seats", (3,))])  # a custom number, two groupings
    assert [(r.keys, r["count"]) for r in seats] == [
        (("Adoption", ValueRange(None, 3.0)), 1),
        (("Adoption", ValueRange(3.0, None)), 1),
        (("Renewal", None), 1),
        ((None, ValueRange(3.0, None)), 1),
    ]
    assert book.companies.group(ByRange("arr", [50])) == [
        (ValueRange(None, 50.0), 1), (ValueRange(50.0, None), 2), (None, 1)
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("field", "bounds"),
    [("name", [1]), ("arr", []), ("arr", [2, 1]), ("arr", [1, 1]), ("arr", [math.inf]), ("arr", ["1"]),
     ("arr", [True]), ("arr", [10**400]), ("arr", list(range(51))), ("arr", 5)],
)  # fmt: skip
def test_value_ranges_refuse_what_is_no_range__REPORT_01(book: sk.Kit, field: str, bounds: Any) -> None:
    """Ranges need a number field and 1 to 50 finite, strictly ascending bounds."""
    from successkit.query.language import ByRange

    with pytest.raises(sk.QueryError):
        book.companies.aggregate(by=ByRange(field, bounds))


# ----------------------------------------------------------------------- related groupings
#: Built-in company fields a related grouping may read, and the differential draws.
_RELATED_FIELDS = ["stage", "status", "csm_id", "renewal_date", "arr", "score_grade", "name"]


@st.composite
def linked_companies(draw: st.DrawFn) -> list[sk.Company]:
    """Companies whose parents are among them, missing, or names of no company."""
    import attrs

    records = draw(companies())
    ids = [c.id for c in records]
    pick = st.sampled_from([None, "nobody", *ids])
    return [attrs.evolve(c, parent_id=draw(pick)) for c in records]


def _related_spec(data: st.DataObject) -> tuple[list[Any], dict[str, Any]]:
    from successkit.query.language import ByRelated

    related = ByRelated("parent_id", data.draw(st.sampled_from(_RELATED_FIELDS), label="parent field"))
    other = data.draw(st.lists(groupings(COMPANY_FIELDS), max_size=1), label="other")
    by = data.draw(st.permutations([related, *other]), label="by")
    return by, data.draw(measures(), label="measures")


@pytest.mark.slow
@settings(SETTINGS, max_examples=120)
@given(data=st.data())
def test_memory_and_sqlite_group_by_a_related_field_alike__REPORT_01(data: st.DataObject) -> None:
    """Companies grouped by their parent's field (a join in SQL, a read by id in the
    reference), alone or with another grouping: the same groups and measures."""
    records = data.draw(linked_companies(), label="records")
    query = Query(data.draw(queries(records), label="query").conditions)
    by, spec = _related_spec(data)
    with kit_pair(records) as (memory, sqlite):
        assert_same(run(memory, query, by, spec), run(sqlite, query, by, spec))


@pytest.mark.slow
@settings(SETTINGS, max_examples=40)
@given(data=st.data())
def test_memory_and_postgres_group_by_a_related_field_alike__REPORT_01(pg_kit: sk.Kit, data: st.DataObject) -> None:
    records = data.draw(linked_companies(), label="records")
    query = Query(data.draw(queries(records), label="query").conditions)
    by, spec = _related_spec(data)
    pg_kit.store.delete_many("company", [c.id for c in pg_kit.store.query(pg_kit.bind("company", Query()))])
    pg_kit.store.insert_many(records)
    with kit_pair(records) as (memory, _):
        assert_same(run(memory, query, by, spec), run(pg_kit, query, by, spec))


def test_ctas_grouped_by_their_companys_csm__REPORT_01(kit: sk.Kit) -> None:
    """A related grouping: CTAs by the CSM of their company (the company's field, not the
    CTA's owner), one storage call; a company without a CSM is the empty group."""
    from successkit.query.language import ByRelated

    ann, bob = kit.users.create("Ann"), kit.users.create("Bob")
    a, b, c = kit.companies.create_many(
        [{"name": "A", "csm_id": ann.id}, {"name": "B", "csm_id": bob.id}, {"name": "C"}]
    )
    for company, n in ((a, 3), (b, 1), (c, 2)):
        for i in range(n):
            kit.ctas.create(f"Risk {i}", company=company, type="risk", owner=bob, priority="high" if i else "low")
    kit.store.stats.reset()
    t = kit.ctas.aggregate(by=[ByRelated("company_id", "csm_id"), "priority"], measures={"n": "count"})
    assert kit.store.stats.calls["aggregate"] == 1 and sum(kit.store.stats.calls.values()) == 1
    assert t.groups == ("company_id.csm_id", "priority")
    want = sorted(
        [((ann.id, "high"), 2), ((ann.id, "low"), 1), ((bob.id, "low"), 1), ((None, "high"), 1), ((None, "low"), 1)],
        key=lambda r: (r[0][0] is None, r[0][0] or "", r[0][1]),
    )
    assert [(r.keys, r["n"]) for r in t] == want
    own = sorted([(ann.id, 3), (bob.id, 1)], key=lambda p: p[0])
    assert kit.ctas.group(ByRelated("company_id", "csm_id")) == [*own, (None, 2)]
    names = kit.companies.aggregate(by=ByRelated("csm_id", "name"), measures={"n": "count"})
    assert [(r.keys[0], r["n"]) for r in names] == [("Ann", 1), ("Bob", 1), (None, 1)]
    kit.reports.save("CTAs per CSM", "cta", by={"field": "csm_id", "via": "company_id"}, measures={"n": "count"})
    assert kit.reports.run("CTAs per CSM").to_dicts()[-1] == {"company_id.csm_id": None, "n": 2}


@pytest.mark.parametrize(
    ("via", "field", "message"),
    [
        ("name", "csm_id", "no reference to one kind"),  # not a reference
        ("owner_id", "name", "no reference to one kind"),  # a user or a person
        ("company_id", "nope", "unknown field"),
        ("company_id", "fields.seats", "unknown field"),  # the related kind's custom fields are not read
        ("nope", "csm_id", "unknown field"),
    ],
)
def test_related_groupings_that_cannot_apply_are_refused__REPORT_01(
    kit: sk.Kit, via: str, field: str, message: str
) -> None:
    from successkit.query.language import ByRelated

    with pytest.raises(sk.QueryError, match=message):
        kit.ctas.aggregate(by=ByRelated(via, field))
