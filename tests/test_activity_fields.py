"""Activity fields (ACT_01): an activity type declares fields, activities carry them
and are filtered by them, and the latest value of a field per company or relationship
is two storage calls."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

import successkit as sk

from .helpers import snapshot

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=timezone.utc)  # the kit fixture's clock


@pytest.fixture
def calls(kit: sk.Kit, clock: sk.FixedClock) -> dict[str, Any]:
    kit.custom_fields.declare("activity", "sentiment", "dropdown", options=["red", "yellow", "green"], scope="call")
    kit.custom_fields.declare("activity", "minutes", "number")  # every type
    acme, globex, quiet = (kit.companies.create(n) for n in ("Acme", "Globex", "Quiet"))
    rel = kit.relationships.create(acme, kit.relationship_types.create("Region"), "Acme EU")
    log = kit.timeline.log
    log("call", "Kickoff", company=acme, occurred_at=NOW - timedelta(days=9), fields={"sentiment": "green"})
    log("call", "Escalation", relationship=rel, occurred_at=NOW - timedelta(days=2), fields={"sentiment": "red"})
    log("call", "Draft", company=acme, occurred_at=NOW, fields={"sentiment": "yellow"}, draft=True)
    log("call", "Check-in", company=globex, occurred_at=NOW - timedelta(days=5), fields={"sentiment": "yellow"})
    clock.advance(seconds=1)
    log("call", "Same moment, logged later", company=globex, occurred_at=NOW - timedelta(days=5),
        fields={"sentiment": "green"})  # fmt: skip
    log("note", "No sentiment", company=quiet, fields={"minutes": 5})
    return {"kit": kit, "acme": acme, "globex": globex, "quiet": quiet, "rel": rel}


def test_activities_carry_their_types_fields_and_are_filtered_by_them__ACT_01(calls: dict[str, Any]) -> None:
    kit = calls["kit"]
    red = kit.timeline.list([("sentiment", "=", "red")])
    assert [a.subject for a in red] == ["Escalation"] and red[0].fields == {"sentiment": "red"}
    assert kit.timeline.count([("minutes", ">", 1)]) == 1
    edited = kit.timeline.update(red[0], fields={"sentiment": "yellow", "minutes": 30})
    assert edited.fields == {"sentiment": "yellow", "minutes": 30}


def test_the_latest_value_per_record_is_two_storage_calls__ACT_01(calls: dict[str, Any]) -> None:
    """A company's latest counts its relationships' activities; drafts do not count; of
    two at the same moment the one logged last wins; a record without a value is absent."""
    kit, acme, globex, rel = calls["kit"], calls["acme"], calls["globex"], calls["rel"]
    kit.store.stats.reset()
    latest = kit.timeline.latest_values("sentiment")
    assert kit.store.stats.calls["aggregate"] == 1 and kit.store.stats.calls["query"] == 1
    assert {rid: v.value for rid, v in latest.items()} == {acme.id: "red", globex.id: "green"}
    assert latest[globex.id].activity.subject == "Same moment, logged later"
    per_rel = kit.timeline.latest_values("sentiment", record_kind="relationship")
    assert {rid: v.value for rid, v in per_rel.items()} == {rel.id: "red"}
    only = kit.timeline.latest_values("sentiment", records=[globex], types=["call"])
    assert list(only) == [globex.id]


def test_activity_field_values_are_checked__ACT_01(calls: dict[str, Any]) -> None:
    kit, acme = calls["kit"], calls["acme"]
    before = snapshot(kit)
    with pytest.raises(sk.ValidationError, match="is one of red, yellow, green"):
        kit.timeline.log("call", "Bad", company=acme, fields={"sentiment": "purple"})
    with pytest.raises(sk.ValidationError, match="belongs to another activity type"):
        kit.timeline.log("meeting", "Wrong type", company=acme, fields={"sentiment": "red"})
    with pytest.raises(sk.ValidationError, match="takes finite numbers"):
        kit.timeline.log("call", "Bad number", company=acme, fields={"minutes": "long"})
    with pytest.raises(sk.ValidationError) as e:
        kit.custom_fields.declare("activity", "mood", "text", scope="séance")
    assert e.value.rule == "ACT_01"
    with pytest.raises(sk.ValidationError, match="ACT_01"):
        kit.timeline.latest_values("sentiment", record_kind="plan")
    assert snapshot(kit) == before
