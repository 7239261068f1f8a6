"""Atomicity of the signal writers (STORE_03 with USAGE_01, SURVEY_01-03, PEOPLE_02,
PERSON_01, HIST_01): a failure at any of their writes leaves the store exactly as it
was, and the run that gets through every write keeps all of it."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

import successkit as sk
from successkit.testing import fail_each_write

TODAY = date(2026, 11, 24)  # the kit fixture's clock


@pytest.fixture
def world(kit: sk.Kit) -> dict[str, Any]:
    kit.metrics.declare("logins", "Logins")
    acme, globex = kit.companies.create("Acme", nps=10.0), kit.companies.create("Globex")
    rel = kit.relationships.create(acme, kit.relationship_types.create("Region"), "Acme EU")
    ann = kit.people.create("Ann", company=acme, role="executive_sponsor", relationships=[rel])
    bob = kit.people.create("Bob", company=acme, reports_to=ann)
    survey = kit.surveys.create(
        "Pulse", [{"key": "nps", "type": "nps", "text": "How likely...?"}, {"key": "why", "type": "text", "text": "?"}]
    )
    return {"kit": kit, "acme": acme, "globex": globex, "rel": rel, "ann": ann, "bob": bob, "survey": survey}


def test_a_fault_in_an_ingest_leaves_no_fact__USAGE_01_STORE_03(world: dict[str, Any]) -> None:
    kit, acme, ann = world["kit"], world["acme"], world["ann"]
    rows = [
        {"metric": "logins", "company": acme, "person": ann, "period": TODAY - timedelta(days=d), "value": d}
        for d in range(5)
    ]
    kit.usage.ingest(rows[:2])
    changed = [{**rows[0], "value": 99}, *rows[1:]]  # one replaced, one unchanged, three new
    points = fail_each_write(kit, lambda: kit.usage.ingest(changed))
    assert points >= 2  # the new facts, the replaced one
    assert kit.usage.count() == 5
    row = kit.usage.window("logins", days=10).of(acme)
    assert row is not None and row.current == 99 + 1 + 2 + 3 + 4


def test_a_fault_in_a_response_leaves_neither_it_nor_its_send__SURVEY_01_STORE_03(world: dict[str, Any]) -> None:
    kit, acme, ann, survey = world["kit"], world["acme"], world["ann"], world["survey"]
    send = kit.surveys.send(survey, ann, company=acme, expires_on=TODAY + timedelta(days=7))
    points = fail_each_write(kit, lambda: kit.surveys.respond(survey, ann, {"nps": 3, "why": "slow"}, company=acme))
    assert points >= 2  # the response, the send marked answered
    assert kit.survey_sends.get(send.id).answered_on == TODAY
    assert [r.nps_category for r in kit.survey_responses.list()] == ["detractor"]


def test_a_fault_in_keeping_the_nps_in_step_leaves_it_and_its_history__SURVEY_02_HIST_01(
    world: dict[str, Any],
) -> None:
    kit, acme, ann, survey = world["kit"], world["acme"], world["ann"], world["survey"]
    kit.surveys.respond(survey, ann, {"nps": 0}, company=acme)
    points = fail_each_write(kit, kit.surveys.update_nps)
    assert points >= 2  # the companies, their history
    assert kit.companies.get(acme.id).nps == -100.0
    assert [(p.old, p.value) for p in kit.history.series("nps")] == [(10.0, -100.0)]


def test_a_fault_in_a_move_leaves_the_person_where_they_were__PEOPLE_02_STORE_03(world: dict[str, Any]) -> None:
    kit, ann, bob, globex = world["kit"], world["ann"], world["bob"], world["globex"]
    points = fail_each_write(kit, lambda: kit.people.move(ann, globex))
    assert points >= 2  # the person, the links that end
    moved = kit.people.get(ann.id)
    assert (moved.company_id, moved.relationship_ids) == (globex.id, ())
    assert kit.people.get(bob.id).reports_to_id is None


def test_a_fault_in_an_erasure_leaves_every_trace__PERSON_01_STORE_03(world: dict[str, Any]) -> None:
    kit, acme, ann, survey = world["kit"], world["acme"], world["ann"], world["survey"]
    kit.usage.ingest([{"metric": "logins", "company": acme, "person": ann, "period": TODAY, "value": 1}])
    kit.surveys.respond(survey, ann, {"nps": 9}, company=acme)
    points = fail_each_write(kit, lambda: kit.people.erase(ann))
    assert points >= 3  # the references of several kinds, then the person
    with pytest.raises(sk.NotFound):
        kit.people.get(ann.id)
    assert kit.usage.count() == 0  # usage measured of a person is deleted with them
    assert [r.person_id for r in kit.survey_responses.list()] == [None]
