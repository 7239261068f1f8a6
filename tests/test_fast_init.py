"""SEC_05, SEC_06: the records' faster ``__init__`` makes, defaults and refuses exactly as
attrs' own: the same keyword-only signature, fresh factory values, the type check run."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import attrs
import pytest

import successkit as sk
from successkit.query.schema import FieldType, schema_of
from successkit.records import RECORD_CLASSES
from successkit.records.fast_init import install_fast_init

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)


def test_every_record_class_has_the_fast_init_with_attrs_signature__SEC_05() -> None:
    for cls in RECORD_CLASSES:
        assert cls.__init__.__qualname__ == f"{cls.__qualname__}.__init__"
        fields = attrs.fields(cls)
        required = {f.name for f in fields if f.default is attrs.NOTHING}
        with pytest.raises(TypeError, match="missing"):
            cls()  # type: ignore[call-arg]
        made = cls(**{n: _value_for(cls, n) for n in required})
        for f in fields:
            if f.name not in required and not isinstance(f.default, type(attrs.Factory(dict))):
                assert getattr(made, f.name) == f.default, (cls, f.name)


def _value_for(cls: type[Any], name: str) -> Any:
    sample = {"created_at": NOW, "updated_at": NOW}
    if name in sample:
        return sample[name]
    t = schema_of(cls).by_name[name].type
    return {
        FieldType.TEXT: "x",
        FieldType.INTEGER: 1,
        FieldType.FLOAT: 1.0,
        FieldType.BOOLEAN: True,
        FieldType.DATE: NOW.date(),
        FieldType.DATETIME: NOW,
        FieldType.LIST: (),
        FieldType.JSON: {},
    }[t]


def test_fast_init_refuses_and_defaults_like_attrs__SEC_05_SEC_06() -> None:
    with pytest.raises(TypeError, match="unexpected keyword argument 'nmae'"):
        sk.Company(nmae="Acme", created_at=NOW, updated_at=NOW)  # type: ignore[call-arg]
    with pytest.raises(sk.ValidationError) as e:
        sk.Company(name="Acme", arr="lots", created_at=NOW, updated_at=NOW)  # type: ignore[arg-type]
    assert e.value.rule == "SEC_05"
    a = sk.Company(name="A", created_at=NOW, updated_at=NOW)
    b = sk.Company(name="B", created_at=NOW, updated_at=NOW)
    assert a.fields == {} and a.fields is not b.fields and a.id != b.id and len(a.id) == 32
    assert a.version == 1 and a.arr is None
    assert sk.Company(name="A", id="given", arr=3, created_at=NOW, updated_at=NOW).arr == 3.0  # as before
    assert attrs.evolve(a, name="A2").name == "A2"
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        a.name = "changed"  # type: ignore[misc]


def test_a_class_with_validators_keeps_the_attrs_init__SEC_05() -> None:
    @attrs.frozen(kw_only=True)
    class Checked:
        n: int = attrs.field(validator=attrs.validators.instance_of(int))

    before = Checked.__init__
    assert install_fast_init(Checked) is False and Checked.__init__ is before


def test_the_trusted_maker_makes_what_the_checked_init_makes_without_the_check__SEC_05() -> None:
    """Bulk writers make records of values already checked; the maker gives the same
    record as the class itself, fresh defaults included, and skips only the field check."""
    from successkit.records import AttributeChange, UsageFact, trusted_maker

    for cls in RECORD_CLASSES:
        required = {f.name: _value_for(cls, f.name) for f in attrs.fields(cls) if f.default is attrs.NOTHING}
        made, checked = trusted_maker(cls)(**required), cls(**required)
        assert type(made) is cls
        assert attrs.asdict(made, recurse=False) | {"id": checked.id} == attrs.asdict(checked, recurse=False)
        assert made.id != checked.id  # the id factory runs for each record
    make = trusted_maker(AttributeChange)
    at = {"created_at": NOW, "updated_at": NOW}
    unchecked = make(**at, record_kind="company", record_id="c", company_id="c", attribute="stage", number=1)
    assert unchecked.number == 1  # not turned into 1.0: the values are taken as given
    with pytest.raises(sk.ValidationError, match="must be a number"):
        UsageFact(**at, metric="m", record_kind="company", record_id="c", company_id="c", period=NOW.date(), value="x")  # type: ignore[arg-type]


def test_trusted_construction_makes_what_init_makes_without_the_check__SEC_05() -> None:
    """The makers for values the library made itself (recompute's snapshots and next
    versions) give records equal to the checked ones; ``__init__`` still refuses bad values."""
    from successkit.records import Company, ScoreSnapshot
    from successkit.records.fast_init import trusted_evolve, trusted_maker

    when: dict[str, Any] = {"created_at": NOW, "updated_at": NOW, "created_by": None}
    values: dict[str, Any] = dict(
        id="s1", **when, record_kind="company", record_id="c1", scorecard="standard",
        period=NOW.date(), score=61.5, grade="Yellow", measures={"nps": {"raw": 40, "score": 70.0, "na": False}},
    )  # fmt: skip
    assert trusted_maker(ScoreSnapshot)(**values) == ScoreSnapshot(**values)
    company = Company(name="Acme", arr=10.0, fields={"tier": "gold"}, **when)
    changes: dict[str, Any] = {"health_score": 61.5, "score_grade": "Yellow", "version": 2}
    evolved = trusted_evolve(company, **changes)
    assert evolved == attrs.evolve(company, **changes) and evolved is not company
    assert company.version == 1 and company.health_score is None
    with pytest.raises(sk.ValidationError, match="SEC_05"):
        ScoreSnapshot(**{**values, "measures": {"nps": {"raw": float("nan")}}})
