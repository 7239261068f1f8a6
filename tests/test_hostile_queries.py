"""Hostile input through the query language, on every backend (STORE_02, GOAL_10).

Ten thousand generated filters — nested AND/OR/NOT logic (well-formed and
mangled), values with quotes, ``;``, ``--``, NUL, lone surrogates, Unicode,
very long text, wrong types, unknown fields, bad operators, odd sorts and
paging — run against a memory, a SQLite and a PostgreSQL kit that hold the
very same companies (same ids, same timestamps).  Every call either returns
records or raises a :class:`successkit.SuccessKitError`; the three backends
accept and refuse the same queries and return the same ids in the same order;
and a canary table next to the library's tables is untouched afterwards.
"""

from __future__ import annotations

import math
import random
import sqlite3
from collections.abc import Callable, Iterator
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import pytest

import successkit as sk

from .conftest import NOW, PG_URL, fresh_schema_url

QUERIES = 10_000
SEED = 20261124

#: Figures of the last run, printed with ``pytest -s`` (docs/reliability.md quotes them).
FIGURES: dict[str, Any] = {}

NASTY_TEXT = [
    "'",
    "''",
    '"',
    "`",
    "\\",
    "\\'",
    "%",
    "_",
    "%_%",
    "*",
    "?",
    "$1",
    "%s",
    ":name",
    "{}",
    "[]",
    ";",
    "--",
    "/*",
    "*/",
    "; --",
    "'; DROP TABLE canary; --",
    '"; DELETE FROM canary; --',
    "1' OR '1'='1",
    "') OR 1=1 --",
    "x' UNION SELECT x FROM canary --",
    "'); UPDATE canary SET x = 'pwned'; --",
    "$$; DROP TABLE canary; $$",
    "E'\\x41'",
    "NULL",
    "null",
    "None",
    "true",
    "0",
    "-0",
    "1e309",
    "NaN",
    "\x00",
    "a\x00b",
    "\ud800",
    "x\udfffy",
    "東京",
    "Ä",
    "ä",
    "ß",
    "İ",
    "ǅ",
    "e\u0301",
    "🙂",
    "\u202e",
    "\ufeff",
    " ",
    "\t",
    "\n",
    "\r\n",
    "",
    "Acme",
    "acme",
    "ACME",
    "Gold",
    "fields",
    "name",
    "canary",
]
NASTY_NUMBERS: list[Any] = [
    0,
    1,
    -1,
    1.5,
    -0.0,
    2**63 - 1,
    2**63,
    -(2**63) - 1,
    2**200,
    1e308,
    -1e308,
    math.inf,
    -math.inf,
    math.nan,
    True,
    False,
]
WRONG_TYPES: list[Any] = [
    None,
    [],
    {},
    {"a": 1},
    [1, [2]],
    ("a",),
    (1, 2, 3),
    {1, 2},
    b"bytes",
    bytearray(b"x"),
    object(),
    date(2027, 1, 1),
    datetime(2027, 1, 1, tzinfo=timezone.utc),
    datetime(2027, 1, 1),
    complex(1, 2),
    Exception("x"),
    ["'", "\x00"],
    [math.nan],
]
FIELDS = [
    "name",
    "stage",
    "status",
    "industry",
    "nps",
    "arr",
    "health_score",
    "renewal_date",
    "created_at",
    "updated_at",
    "id",
    "parent_id",
    "csm_id",
    "version",
    "fields",
    "note",
    "score",
    "since",
    "tier",
    "fields.note",
    "fields.score",
    "fields.tier",
    "nope",
    "fields.nope",
    "fields.",
    "",
    " name",
    "name ",
    "NAME",
    "name; DROP TABLE canary",
    "name--",
    "fields.note'; --",
    "fields.\x00",
    "\x00",
    "__class__",
    "_sa_instance",
    "fields.fields.note",
    "東京",
    None,
    1,
    ["name"],
    ("name",),
]
OPS = [
    "=",
    "==",
    "eq",
    "equals",
    "!=",
    "<>",
    "ne",
    "not equals",
    "<",
    "lt",
    "<=",
    "le",
    ">",
    "gt",
    ">=",
    "ge",
    "in",
    "not in",
    "contains",
    "starts with",
    "is empty",
    "is not empty",
    "between",
    "within next 5 days",
    "within last 30 days",
    "within next n days",
    "within last n days",
    "within next 99999999999999999999 days",
    "within last 0 days",
    "within next -1 days",
    "LIKE",
    "like",
    "IN",
    "Contains",
    "=;",
    "= OR 1=1",
    "'",
    "",
    " = ",
    None,
    1,
    ["="],
    "is",
    "not",
    "~",
    "glob",
]
TIERS = ["Gold", "Silver", "東京", "'; --"]


def _text(rng: random.Random) -> str:
    r = rng.random()
    if r < 0.6:
        return rng.choice(NASTY_TEXT)
    if r < 0.9:
        return "".join(rng.choice(NASTY_TEXT) for _ in range(rng.randint(2, 5)))
    if r < 0.97:
        return "".join(chr(rng.randint(1, 0x2FFFF)) for _ in range(rng.randint(1, 12)))
    return rng.choice(NASTY_TEXT) * rng.randint(1000, 20_000)  # very long


def _value(rng: random.Random) -> Any:
    r = rng.random()
    if r < 0.5:
        return _text(rng)
    if r < 0.7:
        return rng.choice(NASTY_NUMBERS)
    if r < 0.8:
        return rng.choice(WRONG_TYPES)
    if r < 0.9:  # a list, for in / not in / between
        return [_value(rng) if rng.random() < 0.3 else _text(rng) for _ in range(rng.randint(0, 4))]
    return rng.choice(
        [
            date(2026, 11, 24),
            date(1, 1, 1),
            date(9999, 12, 31),
            "2027-01-15",
            "2027-13-45",
            "2026-11-24T09:00:00+00:00",
            "yesterday",
            20271231,
        ]
    )


def _condition(rng: random.Random) -> Any:
    field = rng.choice(FIELDS)
    op = rng.choice(OPS)
    r = rng.random()
    if r < 0.1:
        return (field, op)
    if r < 0.13:  # not a condition at all
        return rng.choice([(field,), (field, op, 1, 2), field, None, {"field": field}])
    return (field, op, _value(rng))


#: Fields by type, with the operators each type takes: the plausible half of the queries.
TYPED: dict[str, tuple[list[str], list[str]]] = {
    "text": (
        ["name", "stage", "industry", "note", "fields.note", "tier", "fields.tier", "id"],
        ["=", "!=", "<", ">=", "contains", "starts with", "in", "not in", "between", "is empty"],
    ),
    "number": (
        ["nps", "arr", "health_score", "score", "fields.score", "version"],
        ["=", "!=", "<", "<=", ">", ">=", "in", "not in", "between", "is not empty"],
    ),
    "date": (
        ["renewal_date", "since", "fields.since", "created_at"],
        ["=", "<", ">", "between", "within next 5 days", "within last 400 days", "is empty"],
    ),
}


def _typed_value(rng: random.Random, family: str, op: str) -> Any:
    def one() -> Any:
        if family == "text":
            return _text(rng) if rng.random() < 0.9 else rng.choice(TIERS)
        if family == "number":
            return rng.choice(NASTY_NUMBERS[:13]) if rng.random() < 0.7 else rng.choice([-100, 0, 42, 3.25, 1e15])
        return rng.choice([date(2026, 11, 24), date(2027, 3, 1), date(1, 1, 1), date(9999, 12, 31), "2027-01-15"])

    if op in ("in", "not in"):
        return [one() for _ in range(rng.randint(0, 5))]
    if op == "between":
        return (one(), one())
    return one()


def _typed_condition(rng: random.Random) -> Any:
    family = rng.choice(list(TYPED))
    fields, ops = TYPED[family]
    field, op = rng.choice(fields), rng.choice(ops)
    if op.startswith("is ") or op.startswith("within "):
        return (field, op)
    return (field, op, _typed_value(rng, family, op))


def _logic(rng: random.Random, n: int, mangle: float = 0.45) -> str | None:
    """A logic expression over conditions 1..n: usually well-formed, sometimes mangled."""
    if rng.random() < 0.1:
        return None
    parts = [str(i) for i in range(1, n + 1)]
    rng.shuffle(parts)
    while len(parts) > 1:
        a, b = parts.pop(), parts.pop()
        joined = f"({a} {rng.choice(['AND', 'OR', 'and', 'Or'])} {b})"
        parts.insert(rng.randrange(len(parts) + 1), joined)
    expr = parts[0]
    for _ in range(rng.choice([0, 0, 1, 2])):
        expr = f"NOT {expr}" if rng.random() < 0.7 else f"NOT ({expr})"
    if rng.random() >= mangle:
        return expr
    mangles: list[Callable[[str], str]] = [
        lambda e: e + " AND",
        lambda e: e.replace("(", "", 1),
        lambda e: e + ")",
        lambda e: e + f" OR {n + 1}",
        lambda e: e + " OR 0",
        lambda e: e + " OR -1",
        lambda e: e + "; DROP TABLE canary; --",
        lambda e: e + " -- comment",
        lambda e: e.replace("AND", "XOR"),
        lambda e: e.replace("1", "١"),  # an Arabic-Indic digit one
        lambda e: e.replace(" ", "\x00", 1),
        lambda e: e + " OR 1 = 1",
        lambda e: "(" * 70 + e + ")" * 70,  # deeper than allowed
        lambda e: "NOT " * 70 + e,
        lambda e: e + " AND 1" * 800,  # longer than allowed
        lambda e: "",
        lambda e: "   ",
        lambda e: "()",
        lambda e: e.replace("1", "99999999999999999999999"),
        lambda e: e + "\ud800",
    ]
    return rng.choice(mangles)(expr)


def _sort(rng: random.Random) -> Any:
    r = rng.random()
    if r < 0.5:
        return None
    choices: list[Any] = [
        "name",
        "-nps",
        "arr",
        "-renewal_date",
        "note",
        "-score",
        "id",
        "-created_at",
        ("name", "desc"),
        ("arr", "ASC"),
        ("name", "sideways"),
        "nope",
        "-",
        "",
        "fields",
        "name; DROP TABLE canary",
        None,
        1,
        "tier",
    ]
    # a tuple of the wrong length is left out here: see test_sort_tuple_of_wrong_length_is_a_query_error
    return [rng.choice(choices) for _ in range(rng.randint(1, 3))]


def _paging(rng: random.Random) -> dict[str, Any]:
    r = rng.random()
    if r < 0.8:
        return {}
    return {
        "limit": rng.choice([0, 1, 5, -1, 2**70, "5", 1.5, None, True]),
        "offset": rng.choice([0, 3, -2, 2**70, "1", None]),
    }


def _company_rows(rng: random.Random) -> list[dict[str, Any]]:
    safe = [t for t in NASTY_TEXT if "\x00" not in t and not any(0xD800 <= ord(c) <= 0xDFFF for c in t) and t]
    rows = []
    for i in range(80):
        row: dict[str, Any] = {"name": rng.choice(safe) + f" {i}" if rng.random() < 0.7 else f"Company {i}"}
        if rng.random() < 0.7:
            row["stage"] = rng.choice(safe)
        if rng.random() < 0.7:
            row["nps"] = rng.choice([-100, -1, 0, 0.5, 42, 100, 1e15])
        if rng.random() < 0.6:
            row["arr"] = rng.choice([0, 1000, 120_000.5, 2**52])
        if rng.random() < 0.5:
            row["renewal_date"] = date(2026 + rng.randint(0, 2), rng.randint(1, 12), rng.randint(1, 28))
        fields: dict[str, Any] = {}
        if rng.random() < 0.6:
            fields["note"] = rng.choice(safe)
        if rng.random() < 0.6:
            fields["score"] = rng.choice([-5, 0, 3.25, 99])
        if rng.random() < 0.4:
            fields["tier"] = rng.choice(TIERS)
        if rng.random() < 0.3:
            fields["since"] = rng.choice(["2025-01-01", "2026-11-24", "2027-06-30"])
        row["fields"] = fields
        rows.append(row)
    return rows


def _declare(kit: sk.Kit) -> None:
    kit.custom_fields.declare("company", "note", "text")
    kit.custom_fields.declare("company", "score", "number")
    kit.custom_fields.declare("company", "since", "date")
    kit.custom_fields.declare("company", "tier", "dropdown", options=TIERS)


@pytest.fixture
def kits(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, sk.Kit]]:
    """Three kits holding identical companies, and a canary table beside the SQL ones
    (in a PostgreSQL schema of the test's own: the canary is a table the library did not make)."""
    gen = fresh_schema_url(request)
    pg_url = next(gen)  # skips (or fails on CI) without a server
    clock = sk.FixedClock(NOW)
    kits = {
        "memory": sk.open("memory://", clock=clock, entry_points=False),
        "sqlite": sk.open(f"sqlite:///{tmp_path}/hostile.db", clock=clock, entry_points=False),
        "postgres": sk.open(pg_url, clock=clock, entry_points=False),
    }
    try:
        for kit in kits.values():
            _declare(kit)
        companies = kits["memory"].companies.create_many(_company_rows(random.Random(SEED)))
        for name in ("sqlite", "postgres"):
            kits[name].store.insert_many(companies)
        with sqlite3.connect(tmp_path / "hostile.db") as conn:
            conn.execute("CREATE TABLE canary (x TEXT)")
            conn.execute("INSERT INTO canary VALUES ('alive')")
        import psycopg

        schema = pg_url.rsplit("schema=", 1)[1]
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute(f"CREATE TABLE {schema}.canary (x TEXT)")
            conn.execute(f"INSERT INTO {schema}.canary VALUES ('alive')")
        yield kits
    finally:
        for kit in kits.values():
            kit.close()
        for _ in gen:  # drops the schema
            pass


def _outcome(kit: sk.Kit, query: dict[str, Any]) -> tuple[str, Any]:
    try:
        found = kit.companies.list(query["where"], logic=query["logic"], sort=query["sort"], **query["paging"])
    except sk.SuccessKitError as e:
        return "refused", type(e).__name__
    return "ids", [c.id for c in found]


@pytest.mark.slow
def test_hostile_queries_are_answered_alike_or_refused_cleanly__STORE_02(
    kits: dict[str, sk.Kit], tmp_path: Path
) -> None:
    rng = random.Random(SEED)
    before = {name: kit.companies.list(sort=["id"]) for name, kit in kits.items()}
    assert before["memory"] == before["sqlite"] == before["postgres"]
    accepted = refused = matched = 0
    batch: list[dict[str, Any]] = []
    for q in range(QUERIES):
        n = rng.randint(1, 4)
        if rng.random() < 0.5:  # plausible: known fields and operators, nasty values, mostly sound logic
            where = [_typed_condition(rng) for _ in range(n)]
            query = {
                "where": where,
                "logic": _logic(rng, n, mangle=0.1),
                "sort": _sort(rng) if rng.random() < 0.1 else rng.choice([None, ["name"], ["-nps", "arr"]]),
                "paging": rng.choice([{}, {}, {"limit": 5}, {"limit": 3, "offset": 2}]),
            }
        else:  # hostile everywhere
            where = [_condition(rng) for _ in range(n)]
            query = {"where": where, "logic": _logic(rng, n), "sort": _sort(rng), "paging": _paging(rng)}
        batch.append(query)
        if len(batch) < 500 and q < QUERIES - 1:
            continue
        for query in batch:
            answers = {}
            for name, kit in kits.items():
                try:
                    answers[name] = _outcome(kit, query)
                except Exception as e:  # anything but a SuccessKitError is a bug
                    pytest.fail(f"{name} raised {type(e).__name__}: {e!r} for {query!r:.2000}")
            kinds = {a[0] for a in answers.values()}
            assert len(kinds) == 1, f"backends disagree on accepting {query!r:.2000}: {answers!r:.2000}"
            if "ids" in kinds:
                assert answers["memory"] == answers["sqlite"] == answers["postgres"], f"{query!r:.2000}"
                accepted += 1
                matched += bool(answers["memory"][1])
            else:
                refused += 1
        batch.clear()
    FIGURES["hostile"] = {
        "queries": QUERIES,
        "accepted": accepted,
        "accepted with matches": matched,
        "refused": refused,
    }
    print(FIGURES)
    assert accepted + refused == QUERIES
    assert accepted > QUERIES // 5 and matched > QUERIES // 10  # the generator reaches the backends, not only bind()
    # nothing was changed: the library's rows, and a table the library knows nothing about
    assert {name: kit.companies.list(sort=["id"]) for name, kit in kits.items()} == before
    with sqlite3.connect(tmp_path / "hostile.db") as conn:
        assert conn.execute("SELECT x FROM canary").fetchall() == [("alive",)]
    import psycopg

    schema = kits["postgres"].store.schema_name  # type: ignore[attr-defined]
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        assert conn.execute(f"SELECT x FROM {schema}.canary").fetchall() == [("alive",)]


@pytest.mark.parametrize("spec", [("name", "asc", "extra"), ("name",), ()])
def test_sort_tuple_of_wrong_length_is_a_query_error__GOAL_10(spec: tuple[str, ...]) -> None:
    """Found by the hostile query generator: every refusal must be a SuccessKitError."""
    kit = sk.open("memory://", entry_points=False)
    with pytest.raises(sk.QueryError):
        kit.companies.list(sort=[spec])


def test_unknown_options_are_named_by_python__SEC_05(kit: sk.Kit) -> None:
    """Options are named keywords, so a misspelt or forbidden one fails at the call, naming it."""
    with pytest.raises(TypeError, match="bogus"):
        kit.goals.view(bogus=1)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="draft"):
        kit.timeline.save_draft("note", "s", draft=False)  # type: ignore[call-arg]


def test_wrong_shaped_queries_and_lists_are_clear_errors__SEC_05(kit: sk.Kit) -> None:
    """Conditions, sort keys and record lists of the wrong shape (a number, a set whose
    order numbers nothing, an unhashable field name) are successkit errors naming the value."""
    company = kit.companies.create("Acme")
    cases: list[tuple[Callable[[], object], object]] = [
        (lambda: kit.companies.list(5), 5),  # type: ignore[arg-type]
        (lambda: kit.companies.list({("name", "=", "Acme")}), {("name", "=", "Acme")}),  # type: ignore[arg-type]
        (lambda: kit.companies.list(sort=3), 3),
        (lambda: kit.companies.list(sort=[(["name"], "asc")]), ["name"]),
        (lambda: kit.companies.list([(["name"], "=", "x")]), ["name"]),
        (lambda: kit.companies.get_many(7), 7),  # type: ignore[arg-type]
        (lambda: kit.companies.get("a\x00b"), "a\x00b"),
        (lambda: kit.companies.get("\ud800"), "\ud800"),
        (lambda: kit.ctas.cockpit(kit.users.create("U"), where=[("name", "=", "x")], logic=5), 5),  # type: ignore[arg-type]
        (lambda: kit.statuses.get("plan", {"a": 1}), {"a": 1}),  # type: ignore[arg-type]
        (lambda: kit.config.default_status("company"), "company"),
        (lambda: kit.companies.update(company, fields={"a"}), {"a"}),  # type: ignore[arg-type]
        (lambda: kit.objectives.view(descending="yes"), "yes"),  # type: ignore[arg-type]
    ]
    for call, value in cases:
        with pytest.raises(sk.SuccessKitError) as e:
            call()
        assert e.value.value == value
