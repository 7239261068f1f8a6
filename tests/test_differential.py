"""STORE_02: every backend answers every query the same way.

The memory backend evaluates bound queries in Python (the reference semantics
in :mod:`successkit.query.evaluate`); SQLite compiles them to SQL.  Here
hypothesis generates companies (every column, custom fields of every
declarable type, awkward text, ties, missing values) and queries (every field
type and alias such as ``score.grade`` (SCORE_06), every operator, nested AND/OR/NOT logic, multi-key sort, paging,
grouping) and checks that both backends return the same ids in the same
order, the same counts and the same groups.  The same runs for custom keys
that held values of another type before they were declared, and for every
other record kind's built-in columns; example tests pin the documented
semantics and very long or extreme queries on each backend.

GOAL_10: advanced logic is parsed or refused with a QueryError, never anything
else, and bad queries are refused with messages that say what is wrong.
"""

from __future__ import annotations

import json
import string
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta, timezone
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import successkit as sk
from successkit.query.bind import And, Node, Not, Or, Pred, bind, bind_group, parse_logic
from successkit.query.evaluate import value_of
from successkit.query.language import ByField, ByRange, CalendarQuarter, Condition, FiscalQuarter, Query, Sort
from successkit.query.schema import FieldType, schema_of
from successkit.records import RECORD_CLASSES, Record
from successkit.storage.base import Store
from successkit.storage.memory import MemoryStore
from successkit.storage.sqlite import SQLiteStore

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=timezone.utc)
TODAY = NOW.date()

TIERS = ("Gold", "gold", "Silber", "Ä", "東京", "10", "9", "")
MODULES = ("a", "B", "ç", "東", "10")
#: Declared custom fields: one of every declarable type.
CUSTOM: dict[str, tuple[str, tuple[str, ...]]] = {
    "note": ("text", ()),
    "score": ("number", ()),
    "since": ("date", ()),
    "flag": ("boolean", ()),
    "tier": ("dropdown", TIERS),
    "modules": ("multiselect", MODULES),
}

#: Every queryable company field (custom ones in both spellings) by the family
#: of operators its type takes: text, number, date, datetime, bool or list.
COMPANY_FIELDS: dict[str, str] = {
    **dict.fromkeys(
        [
            "id",
            "name",
            "parent_id",
            "stage",
            "status",
            "csm_id",
            "industry",
            "created_by",
            "note",
            "fields.note",
            "tier",
            "fields.tier",
            "score_grade",
            "score_trend",
            "scorecard",
            "score.grade",
            "score.trend",
            "score.scorecard",
        ],
        "text",
    ),
    **dict.fromkeys(
        [
            "arr",
            "health_score",
            "nps",
            "version",
            "score",
            "fields.score",
            "score_previous",
            "score.value",
            "score.previous",
        ],
        "number",
    ),
    **dict.fromkeys(["renewal_date", "since", "fields.since"], "date"),
    **dict.fromkeys(["created_at", "updated_at"], "datetime"),
    **dict.fromkeys(["flag", "fields.flag"], "bool"),
    **dict.fromkeys(["modules", "fields.modules"], "list"),
}
SORTABLE = [f for f, family in COMPANY_FIELDS.items() if family != "list"]
_FAMILY = {
    FieldType.TEXT: "text",
    FieldType.INTEGER: "number",
    FieldType.FLOAT: "number",
    FieldType.DATE: "date",
    FieldType.DATETIME: "datetime",
    FieldType.BOOLEAN: "bool",
    FieldType.LIST: "list",
}


def fields_of(cls: type[Record]) -> dict[str, str]:
    """The queryable built-in fields of any record class, by operator family."""
    return {c.name: _FAMILY[c.type] for c in schema_of(cls).columns if c.type in _FAMILY}


SETTINGS = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


# ------------------------------------------------------------------------------ stores
def open_kit(url: str, declare: bool) -> sk.Kit:
    kit = sk.open(url, clock=NOW, entry_points=False)
    if declare:
        for name, (ftype, options) in CUSTOM.items():
            kit.custom_fields.declare("company", name, ftype, options=options)
    return kit


@contextmanager
def kit_pair(records: list[Any], declare: bool = True) -> Iterator[tuple[sk.Kit, sk.Kit]]:
    """A memory kit and a SQLite kit holding the very same records (and, when
    ``declare``, the company custom fields of :data:`CUSTOM`)."""
    kits = (open_kit("memory://", declare), open_kit("sqlite:///:memory:", declare))
    try:
        for kit in kits:
            kit.store.insert_many(records)
        yield kits
    finally:
        for kit in kits:
            kit.close()


# ------------------------------------------------------------------------- record values
#: Text that trips up case folding, collation and type affinity.
TRICKY = [
    "",
    " ",
    "a",
    "A",
    "abc",
    "ABC",
    "Abc",
    "aBc d",
    "Ä",
    "ä",
    "Äpfel",
    "äpfel",
    "İ",
    "i̇",
    "i",
    "I",
    "İstanbul",
    "istanbul",
    "ß",
    "SS",
    "ss",
    "Straße",
    "東京",
    "東",
    "10",
    "9",
    "010",
    "1e3",
    "-1",
    "1.0",
    "%",
    "_",
    "a%",
    "'",
    '"',
    "null",
    "[]",
    "Ω",
    "ω",
    "ǅ",
]
#: Valid Unicode (no lone surrogates, which no UTF-8 store can hold).
UNICODE = st.characters(codec="utf-8")
CUSTOM_TEXT = st.one_of(
    st.sampled_from(TRICKY),
    st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=6),
    st.tuples(st.sampled_from(TRICKY), st.sampled_from(TRICKY)).map("".join),
)
#: Built-in text columns hold any valid Unicode but NUL, which no record holds
#: (PostgreSQL cannot store it, so no backend takes it: SEC_05).
COLUMN_TEXT = st.one_of(CUSTOM_TEXT, st.text(UNICODE, max_size=6).filter(lambda t: "\x00" not in t))
NUMBERS = st.one_of(
    st.sampled_from([0, 1, -1, 2, 10, 0.0, -0.0, 0.5, 1.0, 2.5, -2.5, 1e9, 123456.789, 1e-7]),
    st.integers(-1000, 1000),
    st.floats(-1e12, 1e12, allow_nan=False, allow_infinity=False),
)
FLOATS = NUMBERS.map(float)  # built-in float columns hold floats (the services convert)
DATES = st.one_of(
    st.sampled_from(
        [
            TODAY,
            TODAY + timedelta(days=1),
            TODAY - timedelta(days=1),
            date(2026, 12, 31),
            date(2027, 1, 1),
            date(2027, 3, 31),
            date(2027, 4, 1),
        ]
    ),
    st.integers(-400, 400).map(lambda d: TODAY + timedelta(days=d)),
)
TIMESTAMPS = st.one_of(
    st.sampled_from(
        [
            NOW,
            NOW - timedelta(microseconds=1),
            NOW + timedelta(days=1),
            NOW - timedelta(days=30),
            datetime(2026, 1, 1, tzinfo=timezone.utc),
        ]
    ),
    st.integers(-60 * 86400, 60 * 86400).map(lambda s: NOW + timedelta(seconds=s)),
    st.integers(-(60 * 86400 * 10**6), 60 * 86400 * 10**6).map(lambda us: NOW + timedelta(microseconds=us)),
)
#: Values a custom key may hold from before it was declared: JSON of any shape.
LEGACY = st.one_of(
    CUSTOM_TEXT,
    st.integers(-50, 50),
    FLOATS,
    st.booleans(),
    st.none(),
    DATES.map(date.isoformat),
    st.lists(CUSTOM_TEXT, max_size=2),
    st.dictionaries(st.sampled_from("ab"), st.integers(0, 3), max_size=1),
)


def optional(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.none(), strategy)


@st.composite
def custom_values(draw: st.DrawFn, legacy: bool) -> dict[str, Any]:
    """A ``fields`` mapping as the custom-field checks store it (and, when
    ``legacy``, values of other shapes stored before the keys were declared)."""
    typed: dict[str, st.SearchStrategy[Any]] = {
        "note": CUSTOM_TEXT,
        "score": NUMBERS,
        "since": DATES.map(date.isoformat),
        "flag": st.booleans(),
        "tier": st.sampled_from(TIERS),
        "modules": st.lists(st.sampled_from(MODULES), unique=True).map(lambda ms: sorted(ms, key=MODULES.index)),
    }
    out: dict[str, Any] = {}
    for name, strategy in typed.items():
        how = draw(st.sampled_from(["absent", "none", "value", "value", "value", "legacy"]))
        if how == "none":
            out[name] = None
        elif how == "value" or (how == "legacy" and not legacy):
            out[name] = draw(strategy)
        elif how == "legacy":
            out[name] = draw(LEGACY)
    if draw(st.booleans()):
        out["undeclared"] = draw(LEGACY)
    return out


@st.composite
def companies(draw: st.DrawFn, legacy: bool = False) -> list[sk.Company]:
    ids = draw(
        st.lists(
            st.text(string.ascii_letters + string.digits + "_-é", min_size=1, max_size=5), max_size=14, unique=True
        )
    )
    out = []
    for id_ in ids:
        out.append(
            sk.Company(
                id=id_,
                version=draw(st.integers(1, 4)),
                created_at=draw(TIMESTAMPS),
                updated_at=draw(TIMESTAMPS),
                created_by=draw(optional(COLUMN_TEXT)),
                fields=draw(custom_values(legacy)),
                name=draw(COLUMN_TEXT),
                parent_id=draw(optional(COLUMN_TEXT)),
                stage=draw(optional(COLUMN_TEXT)),
                status=draw(optional(st.sampled_from(["active", "Active", "churned", ""]))),
                csm_id=draw(optional(COLUMN_TEXT)),
                renewal_date=draw(optional(DATES)),
                industry=draw(optional(COLUMN_TEXT)),
                arr=draw(optional(FLOATS)),
                health_score=draw(optional(FLOATS)),
                nps=draw(optional(FLOATS)),
                score_grade=draw(optional(st.sampled_from(["Red", "Yellow", "Green", "red", "A", ""]))),
                score_previous=draw(optional(FLOATS)),
                score_trend=draw(optional(st.sampled_from(["up", "down", "same"]))),
                scorecard=draw(optional(st.sampled_from(["standard", "enterprise"]))),
            )
        )
    return out


#: Values for the built-in columns of any record class, by storage type.
#: (List items hold no NUL: SQLite's JSON functions stop reading at one.)
COLUMN_VALUES: dict[FieldType, st.SearchStrategy[Any]] = {
    FieldType.TEXT: COLUMN_TEXT,
    FieldType.INTEGER: st.integers(-3, 3) | st.integers(-(2**63), 2**63 - 1),
    FieldType.FLOAT: FLOATS,
    FieldType.BOOLEAN: st.booleans(),
    FieldType.DATE: DATES,
    FieldType.DATETIME: TIMESTAMPS,
    FieldType.LIST: st.lists(st.sampled_from([*MODULES, "A", "", "a b"]) | CUSTOM_TEXT, max_size=3).map(tuple),
    FieldType.JSON: st.just({}),
}


@st.composite
def records_of(draw: st.DrawFn, cls: type[Record]) -> list[Any]:
    """Records of any class, every column drawn from small pools (ties, hits)."""
    columns = [c for c in schema_of(cls).columns if c.name != "id"]
    ids = draw(
        st.lists(st.text(string.ascii_letters + string.digits, min_size=1, max_size=4), max_size=10, unique=True)
    )
    out = []
    for id_ in ids:
        values = {
            c.name: draw(optional(COLUMN_VALUES[c.type]) if c.nullable else COLUMN_VALUES[c.type]) for c in columns
        }
        out.append(cls(id=id_, **values))
    return out


# ----------------------------------------------------------------------------- queries
def spelled(draw: st.DrawFn, *ops: str) -> str:
    """One of the spellings users may write for an operator, in any case."""
    op = draw(st.sampled_from(ops))
    return draw(st.sampled_from([op, op.upper(), op.title(), op.replace(" ", "  ")]))


EQ = ("=", "==", "eq", "equals")
NE = ("!=", "<>", "ne", "not equals")
ORDER = ("<", "lt", "<=", "le", ">", "gt", ">=", "ge")


def text_like(draw: st.DrawFn, records: list[Any], field: str) -> str:
    """A text value: one that occurs in the records (perhaps re-cased), or a tricky one.
    Lists and mappings held by custom keys count with their JSON text, which is
    what a backend reading JSON might mistake them for."""
    raw = [_raw(r, field) for r in records]
    seen = [v for v in raw if isinstance(v, str) and "\x00" not in v]
    seen += [json.dumps(v, ensure_ascii=False, separators=(",", ":")) for v in raw if isinstance(v, (list, dict))]
    pool = st.sampled_from(seen) if seen else st.sampled_from(TRICKY)
    value = draw(st.one_of(pool, st.sampled_from(TRICKY), CUSTOM_TEXT))
    recasings: list[Callable[[str], str]] = [str, str.lower, str.upper, str.title, lambda s: s[:2], lambda s: s[1:]]
    recase = draw(st.sampled_from(recasings))
    return recase(value)


def number_like(draw: st.DrawFn, records: list[Any], field: str) -> float | int:
    seen = [v for v in (_raw(r, field) for r in records) if isinstance(v, (int, float)) and not isinstance(v, bool)]
    return draw(st.one_of(st.sampled_from(seen), NUMBERS) if seen else NUMBERS)


def date_like(draw: st.DrawFn, records: list[Any], field: str) -> date | str:
    found = [v for v in (_raw(r, field) for r in records) if isinstance(v, (date, str))]
    seen = [date.fromisoformat(v) if isinstance(v, str) else v for v in found if _is_iso(v)]
    value = draw(st.one_of(st.sampled_from(seen), DATES) if seen else DATES)
    return value.isoformat() if draw(st.booleans()) else value


def timestamp_like(draw: st.DrawFn, records: list[Any], field: str, as_date: bool) -> Any:
    seen = [v for v in (getattr(r, field) for r in records) if v is not None]
    value = draw(st.one_of(st.sampled_from(seen), TIMESTAMPS) if seen else TIMESTAMPS)
    if as_date:
        return value.date() if draw(st.booleans()) else value.date().isoformat()
    zone = draw(
        st.sampled_from([timezone.utc, timezone(timedelta(hours=-5)), timezone(timedelta(hours=9, minutes=30))])
    )
    return value.astimezone(zone)


def _is_iso(v: Any) -> bool:
    try:
        date.fromisoformat(v) if isinstance(v, str) else None
    except ValueError:
        return False
    return True


def _raw(record: Any, field: str) -> Any:
    name = type(record).__aliases__.get(field, field).removeprefix("fields.")  # score.grade: score_grade
    if name in attrs.fields_dict(type(record)):
        return getattr(record, name)
    return record.fields.get(name)


def list_item_like(draw: st.DrawFn, records: list[Any], field: str) -> str:
    seen = [
        x for v in (_raw(r, field) for r in records) if isinstance(v, (list, tuple)) for x in v if isinstance(x, str)
    ]
    extra = st.sampled_from([*MODULES, "A", "zz"])
    return draw(st.one_of(st.sampled_from(seen), extra) if seen else extra)


@st.composite
def conditions(draw: st.DrawFn, records: list[Any], fields: dict[str, str]) -> Condition | tuple[Any, ...]:
    """One valid condition on any field with any operator its type allows."""
    kind = draw(st.sampled_from(sorted(set(fields.values()))))
    field = draw(st.sampled_from([f for f, family in fields.items() if family == kind]))
    as_date = draw(st.booleans())

    def one() -> Any:
        if kind == "text":
            return text_like(draw, records, field)
        if kind == "number":
            return number_like(draw, records, field)
        if kind == "date":
            return date_like(draw, records, field)
        if kind == "datetime":
            return timestamp_like(draw, records, field, as_date)
        if kind == "bool":
            return draw(st.booleans())
        return list_item_like(draw, records, field)

    groups = {
        "text": ["eq", "ne", "order", "in", "not in", "contains", "starts with", "empty", "between"],
        "number": ["eq", "ne", "order", "in", "not in", "empty", "between"],
        "date": ["eq", "ne", "order", "in", "not in", "empty", "between", "within"],
        "datetime": ["eq", "ne", "order", "in", "not in", "empty", "between", "within"],
        "bool": ["eq", "ne", "empty"],
        "list": ["contains", "in", "not in", "empty"],
    }[kind]
    group = draw(st.sampled_from(groups))
    op: str
    value: Any = None
    if group == "eq":
        op, value = spelled(draw, *EQ), one()
    elif group == "ne":
        op, value = spelled(draw, *NE), one()
    elif group == "order":
        op, value = spelled(draw, *ORDER), one()
    elif group in ("in", "not in"):
        op = spelled(draw, group)
        values = [one() for _ in range(draw(st.integers(1, 3)))]
        value = draw(st.sampled_from([list, tuple]))(values)
    elif group in ("contains", "starts with"):
        op, value = spelled(draw, group), one()
    elif group == "between":
        lo, hi = one(), one()
        if draw(st.integers(0, 3)) and _orderable(lo, hi) and _as_key(lo) > _as_key(hi):
            lo, hi = hi, lo  # mostly a real range; sometimes an empty one
        op, value = spelled(draw, "between"), (lo, hi)
    elif group == "empty":
        op = spelled(draw, "is empty", "is not empty")
        spellings: list[Condition | tuple[str, str]] = [(field, op), Condition(field, op)]
        return draw(st.sampled_from(spellings))
    else:
        days = draw(st.sampled_from([0, 1, 7, 30, 90, 365]) | st.integers(0, 400))
        direction = draw(st.sampled_from(["next", "last"]))
        if draw(st.booleans()):
            op = f"within {direction} {days} day{'s' if days != 1 else ''}"
        else:
            op, value = f"within {direction} n days", days
    forms: list[Condition | tuple[str, str, object]] = [Condition(field, op, value), (field, op, value)]
    return draw(st.sampled_from(forms))


def _as_key(v: Any) -> Any:
    if isinstance(v, datetime):
        return v.astimezone(timezone.utc)
    if isinstance(v, str) and _is_iso(v) and len(v) == 10:
        return date.fromisoformat(v)
    return v


def _orderable(a: Any, b: Any) -> bool:
    try:
        _as_key(a) < _as_key(b)  # noqa: B015 - only asking whether they compare
    except TypeError:
        return False
    return True


# Logic trees: ("leaf", n) | ("NOT", t) | ("AND"/"OR", t, t)
LogicTree = tuple[Any, ...]


@st.composite
def logic_trees(draw: st.DrawFn, n: int) -> LogicTree:
    """A random AND/OR/NOT tree using every condition 1..n at least once."""
    leaves = list(draw(st.permutations(range(1, n + 1))))
    leaves += draw(st.lists(st.integers(1, n), max_size=2))
    nodes: list[LogicTree] = [("leaf", i) for i in leaves]
    nodes = [("NOT", t) if draw(st.integers(0, 4)) == 0 else t for t in nodes]
    while len(nodes) > 1:
        i = draw(st.integers(0, len(nodes) - 2))
        node: LogicTree = (draw(st.sampled_from(["AND", "OR"])), nodes[i], nodes[i + 1])
        if draw(st.integers(0, 5)) == 0:
            node = ("NOT", node)
        nodes[i : i + 2] = [node]
    return nodes[0]


_PRECEDENCE = {"OR": 1, "AND": 2, "NOT": 3, "leaf": 4}


def render(tree: LogicTree, full: bool, word: Callable[[str], str] = str, parent: int = 0) -> str:
    """Write a logic tree as users would: fully parenthesised, or with only the
    parentheses precedence needs (NOT binds tighter than AND, AND than OR)."""
    kind = tree[0]
    if kind == "leaf":
        return str(tree[1])
    prec = _PRECEDENCE[kind]
    if kind == "NOT":
        text = f"{word('NOT')} {render(tree[1], full, word, prec)}"
    else:
        text = f" {word(kind)} ".join(render(t, full, word, prec) for t in tree[1:])
    return f"({text})" if full or prec < parent else text


def truth(tree: LogicTree, values: dict[int, bool]) -> bool:
    kind = tree[0]
    if kind == "leaf":
        return values[tree[1]]
    if kind == "NOT":
        return not truth(tree[1], values)
    a, b = truth(tree[1], values), truth(tree[2], values)
    return (a and b) if kind == "AND" else (a or b)


def parsed_truth(node: Node, values: dict[int, bool]) -> bool:
    if isinstance(node, Pred):
        return values[node.value + 1]
    if isinstance(node, Not):
        return not parsed_truth(node.item, values)
    results = [parsed_truth(n, values) for n in node.items]
    return all(results) if isinstance(node, And) else any(results)


@st.composite
def logic_texts(draw: st.DrawFn, n: int) -> str:
    tree = draw(logic_trees(n))
    words: list[Callable[[str], str]] = [str, str.lower, str.title]
    word = draw(st.sampled_from(words))
    return render(tree, draw(st.booleans()), word)


@st.composite
def sorts(draw: st.DrawFn, fields: dict[str, str]) -> list[Any]:
    sortable = [f for f, family in fields.items() if family != "list"]
    keys = draw(st.lists(st.sampled_from(sortable), max_size=3, unique_by=lambda f: f.removeprefix("fields.")))
    out: list[Any] = []
    for key in keys:
        desc = draw(st.booleans())
        out.append(
            draw(
                st.sampled_from(
                    [
                        f"-{key}" if desc else key,
                        (key, "desc" if desc else "asc"),
                        (key, "DESC" if desc else "Asc"),
                        Sort(key, desc),
                    ]
                )
            )
        )
    return out


@st.composite
def groupings(draw: st.DrawFn, fields: dict[str, str]) -> Any:
    sortable = st.sampled_from([f for f, family in fields.items() if family != "list"])
    options = [sortable, sortable.map(ByField)]
    dated = [f for f, family in fields.items() if family in ("date", "datetime")]
    if dated:
        date_field = draw(st.sampled_from(dated))
        options += [
            st.just(CalendarQuarter(date_field)),
            st.integers(1, 12).map(lambda m: FiscalQuarter(date_field, m)),
        ]
    numbers = [f for f, family in fields.items() if family == "number"]
    if numbers:  # REPORT_01 value ranges: bounds that ties and missing values fall on
        bounds = st.lists(st.sampled_from([-5, 0, 0.5, 1, 2, 3, 10, 50, 100, 1e6]), min_size=1, max_size=4, unique=True)
        options.append(st.tuples(st.sampled_from(numbers), bounds).map(lambda fb: ByRange(fb[0], sorted(fb[1]))))
    return draw(st.one_of(options))


@st.composite
def queries(draw: st.DrawFn, records: list[Any], fields: dict[str, str] = COMPANY_FIELDS) -> Query:
    conds = draw(st.just([]) | st.lists(conditions(records, fields), min_size=1, max_size=4))
    logic = draw(logic_texts(len(conds))) if conds and draw(st.integers(0, 3)) != 0 else None
    return Query(
        conditions=conds,
        logic=logic,
        sort=draw(sorts(fields)),
        limit=draw(st.none() | st.integers(0, 8)),
        offset=draw(st.sampled_from([0, 0, 0, 1, 2, 5])),
    )


# ------------------------------------------------------------------------------- tests
def answers(kit: sk.Kit, query: Query, group: Any) -> dict[str, Any]:
    """Everything a query can return, in comparable form."""
    rows = kit.companies.list(query)
    return {
        "ids": [r.id for r in rows],
        "records": list(rows),
        "count": kit.companies.count(query),
        "groups": kit.companies.group(group, query),
    }


def check_same(records: list[sk.Company], query: Query, group: Any) -> None:
    unpaged = attrs.evolve(query, limit=None, offset=0)
    with kit_pair(records) as (memory, sqlite):
        want = answers(memory, query, group)
        got = answers(sqlite, query, group)
        everything = [r.id for r in memory.companies.list(unpaged)]
    assert got["ids"] == want["ids"]
    assert got["records"] == want["records"]
    assert got["count"] == want["count"]
    assert got["groups"] == want["groups"]
    # the pieces agree with one another: groups add up to the count, a page
    # is a slice of the whole answer
    assert sum(n for _, n in want["groups"]) == want["count"]
    end = None if query.limit is None else query.offset + query.limit
    assert want["ids"] == everything[query.offset : end]
    assert len(everything) == want["count"]


@pytest.mark.slow
@settings(SETTINGS, max_examples=250)
@given(data=st.data())
def test_memory_and_sqlite_agree_on_random_queries__STORE_02(data: st.DataObject) -> None:
    """STORE_02: same ids in the same order, same counts, same groups, for
    random companies and random queries over every field type and operator."""
    records = data.draw(companies(), label="records")
    query = data.draw(queries(records), label="query")
    group = data.draw(groupings(COMPANY_FIELDS), label="group")
    check_same(records, query, group)


@pytest.mark.slow
@settings(SETTINGS, max_examples=120)
@given(data=st.data())
def test_memory_and_sqlite_agree_with_legacy_custom_values__STORE_02(data: st.DataObject) -> None:
    """STORE_02: custom keys that held values of another shape before they were
    declared (numbers in a text field, lists in a date field...) still get the
    same answers from every backend."""
    records = data.draw(companies(legacy=True), label="records")
    query = data.draw(queries(records), label="query")
    group = data.draw(groupings(COMPANY_FIELDS), label="group")
    check_same(records, query, group)


@pytest.mark.slow
@settings(SETTINGS, max_examples=60)
@given(data=st.data())
def test_sort_is_total_and_nulls_last__STORE_02(data: st.DataObject) -> None:
    """STORE_02: sorting by any field, either direction, puts empty values last
    and breaks ties by id, identically on every backend."""
    records = data.draw(companies(legacy=True), label="records")
    field = data.draw(st.sampled_from(SORTABLE), label="field")
    desc = data.draw(st.booleans(), label="desc")
    query = Query(sort=[Sort(field, desc)])
    with kit_pair(records) as (memory, sqlite):
        want = [r.id for r in memory.companies.list(query)]
        got = [r.id for r in sqlite.companies.list(query)]
        bound = memory.bind("company", query)
    assert got == want
    assert sorted(want) == sorted(r.id for r in records)
    by_id = {r.id: r for r in records}
    values = [value_of(by_id[i], bound.sort[0][0]) for i in want]
    present = [v for v in values if v is not None]
    assert values == present + [None] * (len(values) - len(present))  # nulls last
    for i in range(len(want) - 1):
        (v1, id1), (v2, id2) = (values[i], want[i]), (values[i + 1], want[i + 1])
        if v2 is None or v1 is None:
            assert v2 is None and (v1 is not None or id1 < id2)  # empties last, by id
        elif order_key(v1) == order_key(v2):
            assert id1 < id2  # ties by id
        else:
            assert (order_key(v1) > order_key(v2)) if desc else (order_key(v1) < order_key(v2))


def order_key(v: Any) -> tuple[int, Any]:
    """The documented order: numbers (and 0/1 flags) before text."""
    return (0, v) if isinstance(v, (int, float)) else (1, v)


def store_answers(store: Store, cls: type[Record], query: Query, group: Any) -> dict[str, Any]:
    schema = schema_of(cls)
    bound = bind(query, schema, {}, NOW)
    rows = list(store.query(bound))
    return {
        "ids": [r.id for r in rows],
        "records": rows,
        "count": store.count(bound),
        "groups": store.group_counts(bound, bind_group(group, schema, {})),
    }


def _distinct_unique_keys(cls: type[Any], records: list[Any]) -> list[Any]:
    """Keep the first record of each unique key: both backends refuse duplicates (tested apart)."""
    kept, seen = [], set()
    for r in records:
        keys = [tuple(getattr(r, c) for c in columns) for columns in getattr(cls, "__unique__", ())]
        if any(k in seen for k in keys):
            continue
        seen.update(keys)
        kept.append(r)
    return kept


@pytest.mark.slow
@settings(SETTINGS, max_examples=120)
@given(data=st.data())
def test_memory_and_sqlite_agree_on_every_record_kind__STORE_02(data: st.DataObject) -> None:
    """STORE_02: the same for every record kind and its built-in columns: lists
    (contains / in / not in on e.g. ``depends_on``), optional timestamps, integers."""
    cls = data.draw(st.sampled_from(RECORD_CLASSES), label="kind")
    records = _distinct_unique_keys(cls, data.draw(records_of(cls), label="records"))
    fields = fields_of(cls)
    query = data.draw(queries(records, fields), label="query")
    group = data.draw(groupings(fields), label="group")
    stores: list[Store] = [MemoryStore(RECORD_CLASSES), SQLiteStore(RECORD_CLASSES, ":memory:")]
    try:
        for store in stores:
            store.insert_many(records)
        want, got = (store_answers(store, cls, query, group) for store in stores)
    finally:
        for store in stores:
            store.close()
    assert got == want
    assert sum(n for _, n in want["groups"]) == want["count"]


# ------------------------------------------------------------------ semantics on both
@pytest.fixture
def crm(kit: sk.Kit) -> sk.Kit:
    for name, (ftype, options) in CUSTOM.items():
        kit.custom_fields.declare("company", name, ftype, options=options)
    kit.companies.create_many(
        [
            {"name": "Äpfel AG", "arr": 10.0, "fields": {"note": "İstanbul office", "score": 3}},
            {"name": "apfel gmbh", "arr": None, "fields": {"note": "", "score": 2.5}},
            {"name": "Zeta", "arr": 10, "fields": {"score": None, "tier": "Gold"}},
            {"name": "beta", "arr": -1.5, "fields": {"note": "STRASSE", "modules": ["a", "B"]}},
        ]
    )
    return kit


def _names(kit: sk.Kit, *args: Any, **kwargs: Any) -> list[str]:
    return [c.name for c in kit.companies.list(*args, **kwargs)]


def test_nulls_last_in_both_directions__STORE_02(crm: sk.Kit) -> None:
    """STORE_02: empty values sort last ascending and descending; ties by id."""
    up = _names(crm, sort=["arr"])
    down = _names(crm, sort=["-arr"])
    assert up[0] == "beta" and up[-1] == "apfel gmbh"
    assert down[-1] == "apfel gmbh" and set(down[:2]) == {"Äpfel AG", "Zeta"}


def test_contains_and_starts_with_ignore_case__STORE_02(crm: sk.Kit) -> None:
    """STORE_02: contains / starts with compare str.lower() of both sides, Unicode included."""
    assert _names(crm, [("name", "starts with", "äPF")]) == ["Äpfel AG"]
    assert sorted(_names(crm, [("name", "contains", "PFEL")])) == ["apfel gmbh", "Äpfel AG"]
    assert _names(crm, [("note", "contains", "i̇stanbul")]) == ["Äpfel AG"]
    assert _names(crm, [("note", "contains", "straße")]) == []  # lower(), not casefold()


def test_conditions_on_missing_values__STORE_02(crm: sk.Kit) -> None:
    """STORE_02: a missing value fails =, <, contains...; passes != and not in; NOT flips."""
    assert crm.companies.count([("arr", "<", 100)]) == 3
    assert crm.companies.count([("arr", "!=", 10)]) == 2
    assert crm.companies.count([("arr", "not in", [10])]) == 2
    assert crm.companies.count([("arr", "<", 100)], logic="NOT 1") == 1
    assert crm.companies.count([("score", ">=", 0)], logic="NOT 1") == 2
    assert crm.companies.count([("note", "is empty")]) == 2  # "" and missing


def test_group_by_custom_number_and_boolean__STORE_02(crm: sk.Kit) -> None:
    """STORE_02: groups come back ascending, empty last, with counts."""
    assert crm.companies.group("score") == [(2.5, 1), (3, 1), (None, 2)]
    assert crm.companies.group("arr") == [(-1.5, 1), (10.0, 2), (None, 1)]


@pytest.fixture
def legacy(kit: sk.Kit) -> sk.Kit:
    """Companies whose custom keys were filled before the fields were declared."""
    kit.companies.create_many(
        [
            {
                "name": "list",
                "fields": {"note": ["abc"], "since": "hello", "modules": "a", "score": "high", "flag": "yes"},
            },
            {
                "name": "map",
                "fields": {"note": {"abc": 1}, "since": 20270101, "modules": ["a", 1, ["B"]], "score": True, "flag": 1},
            },
            {"name": "empty", "fields": {"note": [], "since": [], "modules": [], "score": [1]}},
            {
                "name": "plain",
                "fields": {"note": "abc", "since": "2027-02-01", "modules": ["a"], "score": 5, "flag": True},
            },
        ]
    )
    for name, (ftype, options) in CUSTOM.items():
        kit.custom_fields.declare("company", name, ftype, options=options)
    return kit


def test_values_of_the_wrong_shape_read_as_missing__STORE_02(legacy: sk.Kit) -> None:
    """STORE_02: a list or mapping under a single-value custom field, or a single
    value under a multi-select, reads as missing on every backend (never as JSON text)."""

    def names(*where: Any, **kw: Any) -> list[str]:
        return sorted(_names(legacy, list(where), **kw))

    assert names(("note", "contains", "abc")) == ["plain"]
    assert names(("note", "=", '["abc"]')) == []
    assert names(("note", "starts with", "{")) == []
    assert names(("note", "is empty")) == ["empty", "list", "map"]
    assert names(("note", "!=", "abc")) == ["empty", "list", "map"]
    assert _names(legacy, sort=["note", "name"]) == ["plain", "empty", "list", "map"]
    assert legacy.companies.group("note") == [("abc", 1), (None, 3)]
    assert names(("modules", "contains", "a")) == ["map", "plain"]
    assert names(("modules", "contains", '["B"]')) == []  # a nested list is not an option
    assert names(("modules", "is empty")) == ["empty", "list"]
    assert names(("modules", "not in", ["a"])) == ["empty", "list"]
    assert names(("score", "is empty")) == ["empty"]


def test_values_of_another_type_order_numbers_before_text__STORE_02(legacy: sk.Kit) -> None:
    """STORE_02: a number, text or flag under a field of another type compares as
    stored: booleans as 0/1, numbers before text; quarters of a non-date are empty."""

    def names(*where: Any) -> list[str]:
        return sorted(_names(legacy, list(where)))

    assert names(("score", ">", 3)) == ["list", "plain"]  # "high" is text: after every number
    assert _names(legacy, sort=["score"]) == ["map", "plain", "list", "empty"]
    assert _names(legacy, sort=["-score"]) == ["list", "plain", "map", "empty"]
    assert names(("flag", "=", True)) == ["map", "plain"]
    assert legacy.companies.group("flag") == [(True, 2), ("yes", 1), (None, 1)]
    assert names(("since", ">", "2027-01-01")) == ["list", "plain"]  # "hello" > "2027-..."
    assert legacy.companies.group(CalendarQuarter("since")) == [("2027-Q1", 1), (None, 3)]
    assert legacy.companies.group(FiscalQuarter("since", 2)) == [("FY2027-Q1", 1), (None, 3)]


def test_very_long_queries_run_on_every_backend__STORE_02(kit: sk.Kit) -> None:
    """STORE_02: thousands of conditions and long in-lists work on every backend
    (SQL nests long chains as balanced trees and passes long lists as one parameter)."""
    kit.custom_fields.declare("company", "modules", "multiselect", options=MODULES)
    kit.companies.create_many(
        [{"name": f"c{i:03d}", "arr": float(i), "fields": {"modules": [MODULES[i % 5]]}} for i in range(60)]
    )
    assert kit.companies.count([("arr", "!=", float(i)) for i in range(10, 1510)]) == 10
    ors = [("arr", "=", float(i)) for i in range(0, 1000, 2)]
    assert kit.companies.count(ors, logic=" OR ".join(str(i + 1) for i in range(len(ors)))) == 30
    names = [f"c{i:03d}" for i in range(0, 4000, 2)] + ["", "C000", "c000 "]
    assert kit.companies.count([("name", "in", names)]) == 30
    assert kit.companies.count([("name", "not in", names)]) == 30
    numbers: list[float | int] = [*range(-1000, 1000, 3), float("inf"), 2**70, 0.5]
    assert kit.companies.count([("arr", "in", numbers)]) == 20
    assert kit.companies.count([("arr", "not in", numbers)], logic="NOT 1") == 20
    options = [f"x{i}" for i in range(800)] + ["B"]
    assert kit.companies.count([("modules", "in", options)]) == 12
    assert kit.companies.count([("modules", "not in", options)]) == 48


def test_extreme_values_are_answered_or_refused_alike__STORE_02(kit: sk.Kit) -> None:
    """STORE_02: numbers past 64 bits, huge limits and offsets, day counts past the
    calendar's end: every backend answers; text no backend can store is a QueryError."""
    kit.companies.create_many(
        [
            {"name": "a", "arr": 1.0, "renewal_date": date(2027, 1, 1)},
            {"name": "b", "arr": None, "renewal_date": date(2020, 1, 1)},
        ]
    )
    count = kit.companies.count
    assert count([("arr", "<", 10**30)]) == 1
    assert count([("arr", ">", -(10**400))]) == 1
    assert count([("version", "=", 2**64)]) == 0
    assert count([("version", "!=", -(2**64))]) == 2
    assert len(kit.companies.list(limit=2**70)) == 2
    assert kit.companies.list(offset=2**70) == []
    assert count([("renewal_date", "within next 1000000000000 days")]) == 1
    assert count([("renewal_date", f"within last {'9' * 5000} days")]) == 1
    assert count([("created_at", "within last n days", 10**20)]) == 2
    assert count([("created_at", "within next n days", 10**20)]) == 2
    with pytest.raises(sk.QueryError, match="valid Unicode"):
        count([("name", "=", "\ud800")])
    far = datetime.min.replace(tzinfo=timezone(timedelta(hours=5)))
    with pytest.raises(sk.QueryError, match="out of range"):
        count([("created_at", "<", far)])


# ------------------------------------------------------------------------ GOAL_10 logic
@settings(max_examples=300, deadline=None)
@given(
    text=st.one_of(
        st.text(max_size=40),
        st.text(alphabet="0123456789()ANDORNOTandornot \t", max_size=40),
        st.lists(
            st.sampled_from(
                ["1", "2", "3", "4", "0", "99", "(", ")", "AND", "OR", "NOT", "and", "x", "&&", "||", "-1", "1.5", "١"]
            ),
            max_size=12,
        ).map(" ".join),
    ),
    count=st.integers(0, 5),
)
def test_random_logic_is_parsed_or_refused_with_query_error__GOAL_10(text: str, count: int) -> None:
    """GOAL_10: any string as advanced logic is parsed or refused with a QueryError, never
    another exception; a parsed tree uses every condition and only existing ones."""
    try:
        tree = parse_logic(text, count)
    except sk.QueryError as e:
        assert str(e)
        return
    used: set[int] = set()

    def walk(node: Node) -> None:
        if isinstance(node, Pred):
            used.add(node.value)
        elif isinstance(node, Not):
            walk(node.item)
        else:
            assert isinstance(node, (And, Or))
            for item in node.items:
                walk(item)

    walk(tree)
    assert used == set(range(count))


@settings(max_examples=200, deadline=None)
@given(data=st.data(), n=st.integers(1, 6))
def test_logic_follows_precedence_and_parentheses__GOAL_10(data: st.DataObject, n: int) -> None:
    """GOAL_10: NOT binds tighter than AND, AND tighter than OR; parentheses group;
    the parsed tree gives the same truth value as the expression written."""
    tree = data.draw(logic_trees(n))
    words: list[Callable[[str], str]] = [str, str.lower, str.title]
    word = data.draw(st.sampled_from(words))
    assignment = data.draw(st.fixed_dictionaries({i: st.booleans() for i in range(1, n + 1)}))
    for full in (True, False):
        parsed = parse_logic(render(tree, full, word), n)
        assert parsed_truth(parsed, assignment) == truth(tree, assignment)


def test_logic_examples__GOAL_10() -> None:
    """GOAL_10: a few expressions checked by hand."""
    t = parse_logic("1 OR 2 AND NOT 3", 3)
    assert isinstance(t, Or) and isinstance(t.items[1], And) and isinstance(t.items[1].items[1], Not)
    t = parse_logic("(1 OR 2) AND 3", 3)
    assert isinstance(t, And) and isinstance(t.items[0], Or)
    assert isinstance(parse_logic("  not not 1  ", 1), Not)


@pytest.mark.parametrize(
    ("logic", "count", "message"),
    [
        ("1 AND", 2, "ends too early"),
        ("(1 OR 2", 2, "unclosed '('"),
        ("1 OR 2)", 2, "unexpected ')'"),
        ("4", 3, "names condition 4, but there are 3 conditions"),
        ("0 AND 1", 1, "names condition 0"),
        ("1 AND 2", 3, "conditions [3] are not used"),
        ("1 XOR 2", 2, "unknown word 'XOR'"),
        ("1 && 2", 2, "unexpected character '&'"),
        ("", 1, "logic is empty"),
        ("   ", 1, "logic is empty"),
        ("()", 1, "unexpected ')'"),
        ("1 2", 2, "unexpected '2'"),
        ("NOT", 1, "ends too early"),
        ("(" * 70 + "1" + ")" * 70, 1, "nested deeper"),
        ("1 OR " * 900 + "1", 1, "longer than"),
    ],
)
def test_malformed_logic_is_refused_clearly__GOAL_10(logic: str, count: int, message: str) -> None:
    """GOAL_10: malformed logic raises QueryError saying what is wrong."""
    with pytest.raises(sk.QueryError) as e:
        parse_logic(logic, count)
    assert message in str(e.value)


BAD_QUERIES: list[tuple[dict[str, Any], str]] = [
    ({"where": [("colour", "=", "red")]}, "unknown field for company; known fields: arr"),
    ({"where": [("fields.colour", "=", "red")]}, "unknown field"),
    ({"where": [("name", "like", "a%")]}, "unknown operator; known:"),
    ({"where": [("name", "~", "a")]}, "unknown operator"),
    ({"where": [("arr", "=", "lots")]}, "condition 1: field 'arr' (float) takes numbers"),
    ({"where": [("name", "=", "x"), ("score", ">", "high")]}, "condition 2: field 'score' (float) takes numbers"),
    ({"where": [("renewal_date", "<", "next year")]}, "not an ISO date"),
    ({"where": [("flag", "<", True)]}, "supports only = and !="),
    ({"where": [("arr", "contains", "1")]}, "contains needs a text field, 'arr' is float"),
    ({"where": [("name", "within next n days", 3)]}, "needs a date field"),
    ({"where": [("name", "=", None)]}, "use 'is empty'"),
    ({"where": [("name", "in", "abc")]}, "take a list of values"),
    ({"where": [("arr", "between", (1,))]}, "between takes a pair"),
    ({"where": [("name", "=", "a"), ("arr", ">", 1)], "logic": "1 AND"}, "ends too early"),
    ({"where": [("name", "=", "a"), ("arr", ">", 1)], "logic": "(1 OR 2"}, "unclosed '('"),
    (
        {"where": [("name", "=", "a"), ("arr", ">", 1), ("nps", ">", 1)], "logic": "4"},
        "names condition 4, but there are 3 conditions",
    ),
    ({"where": [], "logic": "1"}, "logic given without conditions"),
    ({"sort": ["modules"]}, "cannot sort by 'modules': list fields are not sortable"),
    ({"sort": ["-fields.modules"]}, "cannot sort by 'modules'"),
    ({"sort": [("name", "up")]}, "sort direction must be 'asc' or 'desc'"),
    ({"sort": ["nope"]}, "unknown field"),
    ({"limit": -1}, "limit must be a whole number"),
    ({"offset": 1.5}, "offset must be a whole number"),
]


@pytest.mark.parametrize(("args", "message"), BAD_QUERIES, ids=[m.split(":")[0][:40] for _, m in BAD_QUERIES])
def test_bad_queries_raise_query_error_before_storage__GOAL_10(
    crm: sk.Kit, args: dict[str, Any], message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GOAL_10 / STORE_02: bad queries raise QueryError with a clear message, on
    every backend, before anything reaches storage."""
    args = dict(args)
    where = args.pop("where", None)
    asked: list[str] = []
    query = crm.store.query

    def spy(bound: Any) -> Any:
        asked.append(bound.kind)
        return query(bound)

    monkeypatch.setattr(crm.store, "query", spy)
    with pytest.raises(sk.QueryError) as e:
        crm.companies.list(where, **args)
    assert message in str(e.value)
    assert "company" not in asked  # refused before any company was read


@pytest.mark.parametrize(
    "by", ["modules", CalendarQuarter("name"), FiscalQuarter("since", 13), FiscalQuarter("since", 0), "nope"]
)
def test_bad_groupings_raise_query_error__GOAL_10(crm: sk.Kit, by: Any) -> None:
    """GOAL_10: grouping by a list field, quarters of a non-date, a bad fiscal month: QueryError."""
    with pytest.raises(sk.QueryError):
        crm.companies.group(by)
