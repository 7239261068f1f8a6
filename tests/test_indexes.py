"""Declared indexes: the SQL backends read sorted, limited lists from them (the
query plans say so), create and drop them on open, and never change an answer."""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import attrs
import pytest

import successkit as sk
from successkit.goals.progress import progress_spec
from successkit.query.evaluate import sort_records
from successkit.query.language import Query
from successkit.query.schema import FieldType, schema_of
from successkit.records import RECORD_CLASSES, Record
from successkit.storage import progress_sql
from successkit.storage.indexes import class_indexes, custom_field_indexes, index_changes
from successkit.storage.pg_dialect import PostgresDialect
from successkit.storage.sqlite import SCHEMA_VERSION, SQLiteDialect

from .conftest import NOW

TODAY = NOW.date()
#: The names of the indexes successkit owns (a primary key's, ``sk_meta_pkey``, is not one).
OURS = ("sk_ix_", "sk_ux_", "sk_cf_")


def _companies(n: int, seed: int = 5) -> list[dict[str, Any]]:
    """Companies with missing values, ties and custom values of mixed types."""
    rng = random.Random(seed)
    return [
        {
            "name": f"Acme {rng.randrange(n // 3)}",
            "stage": rng.choice(["Onboarding", "Adoption", None]),
            "arr": rng.choice([None, 100.0, 200.0, round(rng.uniform(0, 1000), 2)]),
            "renewal_date": rng.choice([None, TODAY + timedelta(days=rng.randrange(-30, 400))]),
            "fields": {"tier": rng.choice([None, 1, 2, 2.5, True, "gold", "silver", [1]])}
            if rng.random() < 0.9
            else {},
        }
        for _ in range(n)
    ]


def _open(url: str) -> sk.Kit:
    return sk.open(url, clock=NOW, entry_points=False)


def _on_sqlite(kit: sk.Kit) -> bool:
    return type(kit.store).__name__ == "SQLiteStore"


def _index_names(kit: sk.Kit) -> dict[str, str]:
    """Every index of the store: name -> table."""
    store: Any = kit.store
    if _on_sqlite(kit):
        return store._existing_indexes()  # type: ignore[no-any-return]
    with store._conn() as conn:  # the open transaction's, if any: its DDL is its own until it commits
        return store._existing_indexes(conn)  # type: ignore[no-any-return]


def _ddl(kit: sk.Kit, statements: list[str]) -> None:
    """Run DDL on the store's database behind its back; ``{ns}`` is the namespace of names."""
    store: Any = kit.store
    if _on_sqlite(kit):
        for s in statements:
            store._conn.execute(s.format(ns=""))
        return
    with store._pool.connection() as conn:
        for s in statements:
            conn.execute(s.format(ns=f'"{store.schema_name}".'))


def _plan(kit: sk.Kit, kind: str, query: Query) -> str:
    """The database's plan for the query successkit sends (PostgreSQL: statistics
    gathered, sequential scans priced out, so that the plan does not depend on the
    few rows a test writes)."""
    store: Any = kit.store
    sql, params = store.dialect.select(store.schema(kind), kit.bind(kind, query))
    if _on_sqlite(kit):
        return "\n".join(r[3] for r in store._conn.execute("EXPLAIN QUERY PLAN " + sql, params))
    with store._pool.connection() as conn, conn.transaction():
        conn.execute(f"ANALYZE {store.dialect.table(kind)}")
        # tiny tables leave many plans of near-equal cost: with whole-table scans and hash
        # and merge joins priced out, what remains shows which indexes can serve each read
        for setting in ("enable_seqscan", "enable_bitmapscan", "enable_hashjoin", "enable_mergejoin"):
            conn.execute(f"SET LOCAL {setting} = off")
        return "\n".join(r[0] for r in conn.execute("EXPLAIN " + sql, params))


def _assert_index_scan(kit: sk.Kit, plan: str, index: str) -> None:
    assert index in plan, plan
    if _on_sqlite(kit):
        assert "TEMP B-TREE" not in plan, plan  # no sort of its own, not even of the ties
    else:
        assert "Index Scan" in plan and "Sort" not in plan, plan


@pytest.fixture
def sql_kit(shared_url: str) -> Iterator[sk.Kit]:
    kit = _open(shared_url)
    kit.custom_fields.declare("company", "tier", "number", indexed=True)
    kit.store.insert_many(_raw_companies(kit, _companies(3000)))
    yield kit
    kit.close()


def _raw_companies(kit: sk.Kit, rows: list[dict[str, Any]]) -> list[sk.Company]:
    """Records straight to the store: custom values of any type, as written before a declaration."""
    return [sk.Company(created_at=NOW, updated_at=NOW, **row) for row in rows]


COMMON_SORTS = [
    pytest.param([], ["renewal_date"], "sk_ix_company_renewal_date_", id="renewals, nulls last"),
    pytest.param(
        [("renewal_date", "within next 120 days")],
        ["renewal_date"],
        "sk_ix_company_renewal_date_",
        id="upcoming renewals",
    ),
    pytest.param([], ["-arr"], "sk_ix_company_arr_desc_", id="largest ARR first"),
    pytest.param([("stage", "=", "Adoption")], ["-arr"], "sk_ix_company_stage_arr_desc_", id="stage, -arr"),
    pytest.param(
        [("stage", "=", "Adoption"), ("arr", ">", 150)],
        ["-arr"],
        "sk_ix_company_stage_arr_desc_",
        id="stage, arr range, -arr",
    ),
    pytest.param([], ["name"], "sk_ix_company_name_", id="by name"),
    pytest.param([], ["tier"], "sk_cf_company_tier_", id="custom field"),
    pytest.param([], ["-tier"], "sk_cf_company_tier_desc_", id="custom field, descending"),
]


@pytest.mark.parametrize(("where", "sort", "index"), COMMON_SORTS)
def test_sorted_limited_lists_read_an_index__STORE_01(
    sql_kit: sk.Kit, where: list[Any], sort: list[str], index: str
) -> None:
    """A sorted, limited list on an indexed field, ascending or descending, with or
    without an equality filter on another indexed field, reads the index in order:
    no sort of the rows, not even of the ties (every index ends with id)."""
    plan = _plan(sql_kit, "company", Query(conditions=where, sort=sort, limit=50))
    _assert_index_scan(sql_kit, plan, index)


def test_a_timeline_reads_its_index_newest_first__STORE_01(shared_url: str) -> None:
    kit = _open(shared_url)
    try:
        company = kit.companies.create("Acme")
        for i in range(30):
            kit.timeline.log("call", f"call {i}", company=company, occurred_at=NOW - timedelta(hours=i))
        query = Query(conditions=[("company_id", "=", company.id)], sort=["-occurred_at", "id"], limit=20)
        _assert_index_scan(kit, _plan(kit, "activity", query), "sk_ix_activity_company_id_occurred_at_desc_")
    finally:
        kit.close()


def test_a_cockpit_reads_its_owners_index_in_order__STORE_01_PLAN_04(shared_url: str) -> None:
    """The cockpit's default order (due date, then name) for one owner's open, unsnoozed
    items comes from the (owner, due date, name) index of CTAs and of objectives: a user
    with thousands of items gets the first page without a sort of all of them."""
    kit = _open(shared_url)
    try:
        owner = kit.users.create("Cleo")
        company = kit.companies.create("Acme")
        for i in range(30):
            kit.ctas.create(f"cta {i}", company=company, type="risk", owner=owner, due_date=NOW.date() + timedelta(i))
        for kind in ("cta", "objective"):
            conditions = [("owner_id", "=", owner.id), ("status", "in", kit.statuses.in_category(kind, "open"))]
            query = Query(conditions=conditions, sort=["due_date", "name"], limit=20)
            _assert_index_scan(kit, _plan(kit, kind, query), f"sk_ix_{kind}_owner_id_due_date_name_")
    finally:
        kit.close()


def _progress_plan(kit: sk.Kit, query: Query) -> str:
    """The database's plan for a goal list by progress (statistics gathered and
    sequential scans, bitmap scans, hash and merge joins priced out on PostgreSQL)."""
    store: Any = kit.store
    bound = kit.bind("goal", query, extra={"progress": FieldType.FLOAT})
    schema = store.schema("goal")
    source = progress_sql.source(store.dialect, schema, progress_spec(kit), bound.where)
    sql, params = store.dialect.select(schema, progress_sql.plain_query(bound), source, progress_sql.TALLY_COLUMNS)
    if _on_sqlite(kit):
        return "\n".join(r[3] for r in store._conn.execute("EXPLAIN QUERY PLAN " + sql, params))
    with store._pool.connection() as conn, conn.transaction():
        for kind in ("goal", "goal_link", "cta", "plan", "objective"):
            conn.execute(f"ANALYZE {store.dialect.table(kind)}")
        # tiny tables leave many plans of near-equal cost: with whole-table scans and hash
        # and merge joins priced out, what remains shows which indexes can serve each read
        for setting in ("enable_seqscan", "enable_bitmapscan", "enable_hashjoin", "enable_mergejoin"):
            conn.execute(f"SET LOCAL {setting} = off")
        return "\n".join(r[0] for r in conn.execute("EXPLAIN " + sql, params))


def test_a_scoped_list_by_progress_aggregates_only_its_goals_links__STORE_01_GOAL_06(shared_url: str) -> None:
    """A company's goals filtered and sorted by progress: the goals come from the
    company index, their links from the goal_link index on goal_id, the work by
    primary key and a closed plan's objectives from the index on plan_id; no
    table of goals, links or work is read whole."""
    kit = _open(shared_url)
    try:
        acme, other = kit.companies.create("Acme"), kit.companies.create("Other")
        owner = kit.users.create("Alice")
        for company in (acme, other):
            plan = kit.plans.create("Plan", company=company, plan_type="onboarding", owner=owner)
            kit.objectives.create(plan, "Kickoff", owner=owner)
            for i in range(20):
                goal = kit.goals.create(f"Goal {i}", company=company)
                kit.goals.link(goal, kit.ctas.create(f"CTA {i}", company=company, type="risk", owner=owner).record)
                kit.goals.link(goal, plan)
            kit.plans.set_status(plan, "closed")
        query = Query([("company_id", "=", acme.id), ("progress", ">=", 0)], sort=["-progress"], limit=10)
        plan_text = _progress_plan(kit, query)
        assert "sk_ix_goal_company_id_" in plan_text, plan_text
        assert "sk_ux_goal_link_goal_id_item_kind_item_id_" in plan_text, plan_text
        assert "sk_ix_objective_plan_id_" in plan_text, plan_text
        if _on_sqlite(kit):
            assert "SCAN l" not in plan_text and "SCAN x" not in plan_text and "SCAN g " not in plan_text, plan_text
            assert "sqlite_autoindex_cta_1 (id=?)" in plan_text and "sqlite_autoindex_plan_1 (id=?)" in plan_text
        else:
            assert "Seq Scan" not in plan_text, plan_text
            assert "cta_pkey" in plan_text and "plan_pkey" in plan_text, plan_text
        assert [r.goal.company_id for r in kit.goals.view(query.conditions, sort=["-progress"])] == [acme.id] * 20
    finally:
        kit.close()


SORTS = [
    ["renewal_date"],
    ["-renewal_date"],
    ["arr"],
    ["-arr"],
    ["stage", "-arr"],
    ["-stage", "arr"],
    ["tier"],
    ["-tier"],
    ["-tier", "name"],
    ["name", "-renewal_date"],
]


def test_indexes_change_no_order__STORE_02(kit: sk.Kit) -> None:
    """Every backend sorts as the reference does: missing values last both ways,
    custom values numbers before text, ties by id; limits and offsets cut the same page."""
    kit.custom_fields.declare("company", "tier", "number", indexed=True)
    kit.store.insert_many(_raw_companies(kit, _companies(400, seed=11)))
    everything = list(kit.companies.list())
    for sort in SORTS:
        for limit, offset in ((None, 0), (25, 0), (25, 370)):
            query = Query(sort=sort, limit=limit, offset=offset)
            expected = sort_records(list(everything), kit.bind("company", query))[offset:]
            expected = expected[:limit] if limit is not None else expected
            got = kit.companies.list(sort=sort, limit=limit, offset=offset)
            assert [c.id for c in got] == [c.id for c in expected], (sort, limit, offset)


# ------------------------------------------------------------------- migration
def _wanted(kit: sk.Kit) -> set[str]:
    store: Any = kit.store
    return {store.dialect.create_index(i)[0] for s in store.schemas.values() for i in class_indexes(s)}


def test_open_brings_a_version_1_layout_to_the_declared_indexes__STORE_01(shared_url: str) -> None:
    """Schema version 1 named its indexes ix_/ux_<kind>_<fields> and gave them no id: opening
    replaces them with the declared ones; an sk_ index no longer declared is dropped, and an
    index of the host's own is kept."""
    kit = _open(shared_url)
    _ddl(kit, [f'DROP INDEX {{ns}}"{n}"' for n in _index_names(kit) if n.startswith(OURS)])
    _ddl(
        kit,
        [
            'CREATE INDEX "ix_company_renewal_date" ON {ns}"company" ("renewal_date")',
            'CREATE UNIQUE INDEX "ux_config_item_category_key" ON {ns}"config_item" ("category", "key")',
            'CREATE INDEX "sk_ix_company_industry_0badf00d" ON {ns}"company" ("industry")',
            'CREATE INDEX "hosts_own_company_industry" ON {ns}"company" ("industry")',
        ],
    )
    kit.close()
    kit = _open(shared_url)
    try:
        names = _index_names(kit)
        assert {n for n in names if n.startswith(OURS)} == _wanted(kit)
        assert "hosts_own_company_industry" in names
        assert not {"ix_company_renewal_date", "ux_config_item_category_key", "sk_ix_company_industry_0badf00d"} & set(
            names
        )
        store: Any = kit.store
        assert index_changes(store.dialect, store.schemas.values(), names) == []  # a current schema: no DDL
    finally:
        kit.close()


def test_schema_version_is_recorded__STORE_01(tmp_path: Any) -> None:
    _open(f"sqlite:///{tmp_path}/v.db").close()
    conn = sqlite3.connect(tmp_path / "v.db")
    assert conn.execute("SELECT value FROM sk_meta WHERE key = 'schema_version'").fetchone()[0] == str(SCHEMA_VERSION)
    conn.close()


def _custom(kit: sk.Kit) -> set[str]:
    return {n for n in _index_names(kit) if n.startswith("sk_cf_")}


def test_custom_field_indexes_follow_the_declarations__STORE_01(shared_url: str) -> None:
    kit = _open(shared_url)
    try:
        kit.custom_fields.declare("company", "segment", "text")
        assert _custom(kit) == set()
        field = kit.custom_fields.declare("company", "tier", "dropdown", options=["gold", "silver"], indexed=True)
        assert field.indexed and {n.rsplit("_", 1)[0] for n in _custom(kit)} == {
            "sk_cf_company_tier",
            "sk_cf_company_tier_desc",
        }
        kit.custom_fields.declare("goal", "weight", "number", indexed=True)
        assert len(_custom(kit)) == 4
        assert not kit.custom_fields.set_indexed("company", "tier", False).indexed
        assert {n.rsplit("_", 1)[0] for n in _custom(kit)} == {"sk_cf_goal_weight", "sk_cf_goal_weight_desc"}
        kit.custom_fields.set_indexed("company", "segment", True)
        assert len(_custom(kit)) == 4
        weight = kit.custom_fields.declared("goal")["weight"]
        kit.store.delete("custom_field", weight.id)  # a declaration gone behind the kit's back
    finally:
        kit.close()
    kit = _open(shared_url)
    try:
        assert {n.rsplit("_", 1)[0] for n in _custom(kit)} == {"sk_cf_company_segment", "sk_cf_company_segment_desc"}
        missing = next(iter(_custom(kit)))
        _ddl(kit, [f'DROP INDEX {{ns}}"{missing}"'])
    finally:
        kit.close()
    kit = _open(shared_url)
    try:
        assert missing in _custom(kit)  # recreated on open
    finally:
        kit.close()


def test_a_declaration_rolled_back_leaves_no_index__STORE_03(shared_url: str) -> None:
    kit = _open(shared_url)
    try:
        with pytest.raises(RuntimeError), kit.transaction():
            kit.custom_fields.declare("company", "tier", "number", indexed=True)
            assert len(_custom(kit)) == 2
            raise RuntimeError("undo")
        assert _custom(kit) == set()
        assert kit.custom_fields.declared("company") == {}
    finally:
        kit.close()


def test_index_declarations_are_checked__STORE_01(kit: sk.Kit) -> None:
    with pytest.raises(sk.ValidationError) as e:
        kit.custom_fields.declare("company", "tier", "number", indexed="yes")  # type: ignore[arg-type]
    assert e.value.rule == "SEC_05" and e.value.value == "yes"
    with pytest.raises(sk.ValidationError) as e:
        kit.custom_fields.declare("company", "tags", "multiselect", options=["a"], indexed=True)
    assert e.value.rule == "STORE_01" and e.value.value == "multiselect"
    with pytest.raises(sk.ValidationError, match="no custom field"):
        kit.custom_fields.set_indexed("company", "nothing", True)
    with pytest.raises(sk.ValidationError) as e:
        kit.store.index_custom_fields({"company": {"tier": "number"}})  # type: ignore[dict-item]
    assert e.value.rule == "SEC_05"
    with pytest.raises(sk.ValidationError):
        kit.store.index_custom_fields({"no_such_kind": {}})
    assert kit.custom_fields.declared("company") == {}


@pytest.mark.parametrize(
    ("indexes", "value"), [((("nope",),), "nope"), ((("-fields",),), "-fields"), (("name",), "name")]
)
def test_a_record_class_declares_indexes_on_its_sortable_fields__STORE_01(indexes: Any, value: Any) -> None:
    @attrs.frozen(kw_only=True)
    class Thing(Record):
        __kind__ = "thing"
        __indexes__ = indexes

        name: str

    with pytest.raises(sk.SchemaError) as e:
        class_indexes(schema_of(Thing))
    assert e.value.rule == "STORE_01" and e.value.value == value


def test_every_declared_index_has_a_name_of_its_own__STORE_01() -> None:
    """Names fit PostgreSQL's 63 bytes and no two indexes share one, on either dialect."""
    for dialect in (SQLiteDialect(), PostgresDialect()):
        names = [dialect.create_index(i)[0] for cls in RECORD_CLASSES for i in class_indexes(schema_of(cls))]
        names += [dialect.create_index(i)[0] for i in custom_field_indexes("company", {"x" * 63: FieldType.TEXT})]
        assert len(set(names)) == len(names)
        assert all(len(n.encode()) <= 63 for n in names)
