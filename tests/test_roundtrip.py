"""DATA_01: every record survives ``to_dict`` -> JSON text -> ``from_dict``
unchanged, and a store round trip (insert, then ``get``) on every backend.

Records are generated field by field from their type annotations, so a record
class added to ``RECORD_CLASSES`` is covered without touching this file.
"""

from __future__ import annotations

import json
import math
import typing
from collections.abc import Mapping
from datetime import date, datetime, timedelta, timezone
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import successkit as sk
from successkit.records import RECORD_CLASSES, Record
from successkit.storage.memory import MemoryStore
from successkit.storage.sqlite import SQLiteStore

SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# --------------------------------------------------------------------------- strategies
#: Text as users type it: anything Unicode, plus the awkward cases on purpose; no NUL, which
#: no record holds (PostgreSQL cannot store it, so no backend takes it: SEC_05).
TEXT = st.one_of(
    st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=20),  # no lone surrogates
    st.sampled_from(
        [
            "",
            " ",
            "0",
            "007",
            "1e3",
            "-1",
            "null",
            "true",
            "[]",
            "{}",
            "Ä",
            "İstanbul",
            "straße",
            "東京",
            "\u2028",
            "'; DROP TABLE x",
        ]
    ),
)
#: Finite floats only: JSON has no spelling for NaN or infinity.
FLOATS = st.floats(allow_nan=False, allow_infinity=False)
#: Integers the way SQLite stores them (64-bit).
INTS = st.integers(min_value=-(2**63), max_value=2**63 - 1)
#: Aware timestamps in UTC, microseconds included.
UTC_DATETIMES = st.datetimes(timezones=st.just(timezone.utc))
#: What a ``fields`` mapping may hold: JSON values, nested.
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | FLOATS | TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=12,
)
FIELDS = st.dictionaries(TEXT, JSON_VALUES, max_size=5)

_SCALARS: dict[Any, st.SearchStrategy[Any]] = {
    str: TEXT,
    int: INTS,
    float: FLOATS,
    bool: st.booleans(),
    date: st.dates(),
    datetime: UTC_DATETIMES,
}


def strategy_for(tp: Any) -> st.SearchStrategy[Any]:
    """A strategy honouring one field annotation of a record class."""
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is typing.Union or type(tp).__name__ == "UnionType":
        inner = [a for a in args if a is not type(None)]
        assert len(inner) == 1, tp
        return st.none() | strategy_for(inner[0])
    if tp in _SCALARS:
        return _SCALARS[tp]
    if origin is tuple:
        assert args[1:] == (Ellipsis,), tp
        return st.lists(strategy_for(args[0]), max_size=5).map(tuple)
    if origin in (Mapping, dict) or tp is dict:
        return FIELDS
    raise AssertionError(f"no strategy for {tp!r}: extend strategy_for")


#: Record ids are opaque tokens (the library makes 32 hex digits); any text
#: but NUL, which SQLite's JSON functions cut short when ids are looked up in bulk.
IDS = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), min_size=1, max_size=40)


def records_of(cls: type[Record]) -> st.SearchStrategy[Record]:
    hints = typing.get_type_hints(cls)
    fields = {f.name: strategy_for(hints[f.name]) for f in attrs.fields(cls)}
    fields["id"] = IDS
    return st.fixed_dictionaries(fields).map(lambda values: cls(**values))


ANY_RECORD = st.one_of([records_of(cls) for cls in RECORD_CLASSES])
CLASS_IDS = [cls.__kind__ for cls in RECORD_CLASSES]


# -------------------------------------------------------------------------------- tests
@pytest.mark.parametrize("cls", RECORD_CLASSES, ids=CLASS_IDS)
def test_every_record_class_has_a_strategy__DATA_01(cls: type[Record]) -> None:
    """DATA_01: the generator understands every field of every record class."""
    hints = typing.get_type_hints(cls)
    for f in attrs.fields(cls):
        strategy_for(hints[f.name])


@pytest.mark.parametrize("cls", RECORD_CLASSES, ids=CLASS_IDS)
@SETTINGS
@given(data=st.data())
def test_to_dict_json_from_dict_is_lossless__DATA_01(cls: type[Record], data: st.DataObject) -> None:
    """DATA_01: from_dict(json.loads(json.dumps(to_dict(r)))) == r, through strict JSON."""
    record = data.draw(records_of(cls))
    as_dict = sk.to_dict(record)
    text = json.dumps(as_dict, allow_nan=False, ensure_ascii=False)  # real JSON, nothing Python-only
    back = sk.from_dict(json.loads(text))
    assert type(back) is cls
    assert back == record
    # attrs equality already compares field by field; also pin the types that
    # equality alone would let slip (1 == 1.0 == True, aware vs naive).
    for f in attrs.fields(cls):
        a, b = getattr(record, f.name), getattr(back, f.name)
        assert type(a) is type(b) or (f.name == "fields" and isinstance(b, dict)), f.name
        if isinstance(a, datetime):
            assert b.tzinfo is not None and b.utcoffset() == a.utcoffset()
    assert json.dumps(sk.to_dict(back), allow_nan=False, ensure_ascii=False) == text  # to the byte


@SETTINGS
@given(record=ANY_RECORD)
def test_to_dict_is_plain_json_data__DATA_01(record: Record) -> None:
    """DATA_01: to_dict gives only dict/list/str/int/float/bool/None, with the kind."""

    def check(v: Any) -> None:
        if isinstance(v, dict):
            assert all(isinstance(k, str) for k in v)
            for x in v.values():
                check(x)
        elif isinstance(v, list):
            for x in v:
                check(x)
        else:
            assert v is None or isinstance(v, (str, int, float, bool)), repr(v)
            assert not isinstance(v, float) or math.isfinite(v)

    d = sk.to_dict(record)
    check(d)
    assert d["kind"] == record.__kind__


@pytest.mark.slow
@pytest.mark.parametrize("cls", RECORD_CLASSES, ids=CLASS_IDS)
@SETTINGS
@given(data=st.data())
def test_store_round_trip_memory_and_sqlite__DATA_01(cls: type[Record], data: st.DataObject) -> None:
    """DATA_01: a record inserted into each backend comes back from get() equal,
    and a batch of records of the class comes back from get_many() in order."""
    unique = [lambda r: r.id] + [
        lambda r, cols=cols: tuple(getattr(r, c) for c in cols) for cols in getattr(cls, "__unique__", ())
    ]
    if cls.__kind__ == "user":  # USER_03: emails are unique ignoring case (the index over lower(email))
        unique.append(lambda r: ("email", r.email.casefold()) if r.email is not None else ("id", r.id))
    batch = data.draw(st.lists(records_of(cls), min_size=1, max_size=4, unique_by=tuple(unique)))
    stores = [MemoryStore(RECORD_CLASSES), SQLiteStore(RECORD_CLASSES, ":memory:")]
    try:
        for store in stores:
            store.insert_many(batch)
            for record in batch:
                got = store.get(cls.__kind__, record.id)
                assert got == record, store.scheme
                assert sk.to_dict(got) == sk.to_dict(record), store.scheme
            ids = [r.id for r in reversed(batch)]
            assert store.get_many(cls.__kind__, ids) == list(reversed(batch)), store.scheme
    finally:
        for store in stores:
            store.close()


def test_non_utc_timestamps_keep_their_instant__DATA_01() -> None:
    """DATA_01: an aware timestamp in another zone survives JSON and storage as the same instant."""
    at = datetime(2026, 3, 29, 1, 30, tzinfo=timezone(timedelta(hours=5, minutes=30)))
    c = sk.Company(name="Zoned", created_at=at, updated_at=at, renewal_date=date(2027, 1, 1))
    back = sk.from_dict(json.loads(json.dumps(sk.to_dict(c))))
    assert back == c and back.created_at.utcoffset() == timedelta(hours=5, minutes=30)
    store = SQLiteStore(RECORD_CLASSES, ":memory:")
    try:
        store.insert(c)
        got = store.get("company", c.id)
        assert got.created_at == at and got.created_at.tzinfo is not None
    finally:
        store.close()


def test_kit_created_records_round_trip__DATA_01(kit: sk.Kit) -> None:
    """DATA_01: records made through the services, custom fields included, round trip on each backend."""
    kit.custom_fields.declare("company", "tier", "dropdown", options=["gold", "silver"])
    kit.custom_fields.declare("company", "modules", "multiselect", options=["a", "b", "c"])
    kit.custom_fields.declare("company", "since", "date")
    c = kit.companies.create(
        "Ärzte GmbH",
        arr=1234.5,
        renewal_date=date(2027, 2, 28),
        fields={
            "tier": "gold",
            "modules": ["c", "a"],
            "since": date(2020, 1, 2),
            "free": {"nested": [1, 2.5, None, "x"]},
        },
    )
    for record in [c, kit.custom_fields.declared("company")["modules"]]:
        back = sk.from_dict(json.loads(json.dumps(sk.to_dict(record), allow_nan=False)))
        assert back == record
        assert kit.store.get(record.__kind__, record.id) == record


# ------------------------------------------------------- what the services let in
#: Python values a caller might put in ``fields``: JSON data and things that are not.
ANY_PYTHON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=5)
    | st.dates()
    | st.sampled_from(["a\x00b", "\ud800", float("inf"), float("nan")]),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.lists(inner, max_size=3).map(tuple)
        | st.dictionaries(st.text(max_size=3) | st.integers(0, 3), inner, max_size=3)
        | st.frozensets(st.integers(0, 3), max_size=2)
    ),
    max_leaves=8,
)


@pytest.mark.slow
@settings(max_examples=150, deadline=None)
@given(values=st.dictionaries(st.from_regex(r"[a-z]{1,6}", fullmatch=True), ANY_PYTHON, max_size=3))
def test_accepted_custom_values_survive_json__DATA_01(values: dict[str, Any]) -> None:
    """DATA_01: whatever ``fields`` the custom-field check accepts comes back
    unchanged through strict JSON text (and into a record that round trips);
    anything else is refused with a ValidationError."""
    kit = sk.open("memory://", entry_points=False)
    try:
        try:
            checked = kit.custom_fields.check("company", values)
        except sk.ValidationError:
            return
        assert json.loads(json.dumps(checked, allow_nan=False)) == checked
        now = datetime(2026, 11, 24, tzinfo=timezone.utc)
        company = sk.Company(name="x", created_at=now, updated_at=now, fields=checked)
        assert sk.from_dict(json.loads(json.dumps(sk.to_dict(company), allow_nan=False))) == company
    finally:
        kit.close()


@pytest.mark.parametrize(
    ("fields", "declared"),
    [
        ({"free": {1: "int key"}}, None),
        ({"free": (1, 2)}, None),
        ({"free": [float("nan")]}, None),
        ({"free": {"x": float("inf")}}, None),
        ({"free": "a\x00b"}, None),
        ({"score": float("inf")}, "number"),
        ({"score": float("-inf")}, "number"),
        ({"note": "a\x00b"}, "text"),
        ({"note": "\ud800"}, "text"),
    ],
)
def test_values_json_cannot_carry_are_refused__DATA_01(
    kit: sk.Kit, fields: dict[str, Any], declared: str | None
) -> None:
    """DATA_01: values that would not come back from JSON (or from every backend)
    unchanged are refused when written: int keys, tuples, NaN, infinities, NUL."""
    if declared:
        kit.custom_fields.declare("company", next(iter(fields)), declared)
    with pytest.raises(sk.ValidationError):
        kit.companies.create("Acme", fields=fields)
    assert kit.companies.count() == 0


@pytest.mark.parametrize(
    "arr", [float("inf"), float("-inf"), float("nan"), 10**400], ids=["inf", "-inf", "nan", "10**400"]
)
def test_non_finite_money_is_refused__DATA_01(kit: sk.Kit, arr: float) -> None:
    """DATA_01: arr / health_score / nps must be finite: JSON has no infinity or NaN."""
    with pytest.raises(sk.ValidationError, match=r"finite number"):
        kit.companies.create("Acme", arr=arr)
