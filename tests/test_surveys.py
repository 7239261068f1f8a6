"""Surveys and NPS (SURVEY_01-03): questions and answers checked, NPS categories, a
record's NPS and CSAT over a window counted by the database and kept on the company,
and sends not answered by their expiry."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

import successkit as sk

from .helpers import snapshot

TODAY = date(2026, 11, 24)  # the kit fixture's clock
QUESTIONS: list[dict[str, Any]] = [
    {"key": "nps", "type": "nps", "text": "How likely are you to recommend us?"},
    {"key": "support", "type": "csat", "text": "How happy are you with support?"},
    {"key": "effort", "type": "ces", "text": "How easy was it?"},
    {"key": "area", "type": "choice", "text": "What matters most?", "options": ["Price", "Features"]},
    {"key": "why", "type": "text", "text": "Why?"},
]


@pytest.fixture
def world(kit: sk.Kit) -> dict[str, Any]:
    acme, globex = kit.companies.create("Acme"), kit.companies.create("Globex")
    rel = kit.relationships.create(acme, kit.relationship_types.create("Region"), "Acme EU")
    people = [kit.people.create(f"P{i}", company=acme) for i in range(5)]
    gus = kit.people.create("Gus", company=globex)
    survey = kit.surveys.create("Quarterly pulse", QUESTIONS)
    return {"kit": kit, "acme": acme, "globex": globex, "rel": rel, "people": people, "gus": gus, "survey": survey}


@pytest.mark.parametrize(
    ("score", "category"),
    [(0, "detractor"), (6, "detractor"), (7, "passive"), (8, "passive"), (9, "promoter"), (10, "promoter")],
)
def test_an_nps_answer_has_its_category__SURVEY_01(world: dict[str, Any], score: int, category: str) -> None:
    kit = world["kit"]
    r = kit.surveys.respond(world["survey"], world["people"][0], {"nps": score}, company=world["acme"])
    assert (r.nps, r.nps_category, r.company_id, r.record_kind) == (score, category, world["acme"].id, "company")
    assert sk.nps_category(score) == category


def test_nps_and_csat_over_a_window_are_counted_by_the_database__SURVEY_02(world: dict[str, Any]) -> None:
    """NPS = % promoters - % detractors, CSAT = share of 4-5 answers, over the last 12
    months; older answers do not count; a company's scores include its relationships'."""
    kit, acme, rel, p = world["kit"], world["acme"], world["rel"], world["people"]
    s = world["survey"]
    for who, nps, csat in ((p[0], 10, 5), (p[1], 9, 4), (p[2], 8, 3), (p[3], 3, 2)):
        kit.surveys.respond(s, who, {"nps": nps, "support": csat}, company=acme)
    kit.surveys.respond(s, p[4], {"nps": 0, "support": 1}, relationship=rel)
    kit.surveys.respond(s, p[4], {"nps": 10}, company=acme, answered_on=TODAY - timedelta(days=400))  # too old
    kit.surveys.respond(s, p[4], {"why": "no scores"}, company=acme)
    kit.store.stats.reset()
    scores = kit.surveys.scores()
    assert kit.store.stats.calls["aggregate"] == 2
    a = scores.of(acme)
    assert a is not None and (a.responses, a.nps_answers, a.promoters, a.detractors) == (6, 5, 2, 2)
    assert a.nps == 0.0 and a.csat == pytest.approx(40.0)
    of_rel = kit.surveys.scores(record_kind="relationship").of(rel)
    assert of_rel is not None and (of_rel.nps, of_rel.csat) == (-100.0, 0.0)
    assert kit.surveys.scores(months=1, until=TODAY - timedelta(days=390)).of(acme).nps == 100.0


def test_the_company_nps_is_kept_in_step__SURVEY_02(world: dict[str, Any]) -> None:
    kit, acme, globex, p = world["kit"], world["acme"], world["globex"], world["people"]
    kit.surveys.respond(world["survey"], p[0], {"nps": 10}, company=acme)
    kit.surveys.respond(world["survey"], world["gus"], {"nps": 2}, company=globex)
    by_hand = kit.companies.create("Initech", nps=30.0)  # never surveyed: its NPS stays
    kit.surveys.respond(world["survey"], p[1], {"support": 5}, company=acme)  # no NPS answer in it
    assert kit.surveys.update_nps() == 2
    assert (kit.companies.get(acme.id).nps, kit.companies.get(globex.id).nps) == (100.0, -100.0)
    assert kit.surveys.update_nps() == 0  # nothing changed
    assert kit.surveys.update_nps(until=TODAY + timedelta(days=400)) == 2  # the answers left the window
    assert kit.companies.get(acme.id).nps is None
    assert kit.companies.get(by_hand.id).nps == 30.0


def test_sends_not_answered_by_their_expiry__SURVEY_03(world: dict[str, Any]) -> None:
    kit, acme, p, s = world["kit"], world["acme"], world["people"], world["survey"]
    late = kit.surveys.send(
        s, p[0], company=acme, sent_on=TODAY - timedelta(days=20), expires_on=TODAY - timedelta(days=6)
    )
    answered = kit.surveys.send(
        s, p[1], company=acme, sent_on=TODAY - timedelta(days=20), expires_on=TODAY - timedelta(days=6)
    )
    open_one = kit.surveys.send(s, p[2], company=acme, expires_on=TODAY + timedelta(days=7))
    kit.surveys.respond(s, p[1], {"nps": 9}, company=acme, answered_on=TODAY - timedelta(days=10))
    assert [x.id for x in kit.surveys.unanswered(s)] == [late.id]
    assert kit.survey_sends.get(answered.id).answered_on == TODAY - timedelta(days=10)
    assert [x.id for x in kit.surveys.unanswered(as_of=TODAY + timedelta(days=8))] == [late.id, open_one.id]


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ({"nps": 11}, "nps answer is a whole number 0-10"),
        ({"nps": 7.5}, "whole number"),
        ({"support": 0}, "csat answer"),
        ({"effort": 8}, "ces answer"),
        ({"area": "Colour"}, "is one of Price, Features"),
        ({"why": 5}, "text answer"),
        ({"nope": 1}, "has no question 'nope'"),
        ({}, "answers map"),
    ],
)
def test_bad_answers_are_refused__SURVEY_01(world: dict[str, Any], answers: Any, message: str) -> None:
    kit = world["kit"]
    before = snapshot(kit)
    with pytest.raises(sk.ValidationError, match=message) as e:
        kit.surveys.respond(world["survey"], world["people"][0], answers, company=world["acme"])
    assert e.value.rule == "SURVEY_01"
    assert snapshot(kit) == before


def test_a_response_from_a_person_of_another_company_is_refused__SURVEY_01(world: dict[str, Any]) -> None:
    kit = world["kit"]
    with pytest.raises(sk.ValidationError, match="not of the record's company") as e:
        kit.surveys.respond(world["survey"], world["gus"], {"nps": 9}, company=world["acme"])
    assert e.value.rule == "SURVEY_01"
    with pytest.raises(sk.ValidationError, match="one of them"):
        kit.surveys.respond(world["survey"], world["people"][0], {"nps": 9})


@pytest.mark.parametrize(
    ("questions", "message"),
    [
        ([], "1 to 50 questions"),
        ([{"key": "a", "type": "stars", "text": "?"}], "question type is one of"),
        ([{"key": "a", "type": "nps", "text": "?"}, {"key": "a", "type": "csat", "text": "?"}], "unique"),
        ([{"key": "a", "type": "choice", "text": "?", "options": ["x"]}], "2 to 50 distinct options"),
        ([{"key": "a", "type": "nps", "text": "?", "options": ["x", "y"]}], "only a choice"),
        ([{"key": "a", "type": "nps", "text": "?", "colour": "red"}], "mapping of key"),
    ],
)
def test_bad_surveys_are_refused__SURVEY_01(kit: sk.Kit, questions: Any, message: str) -> None:
    with pytest.raises(sk.ValidationError, match=message):
        kit.surveys.create("Bad", questions)
    assert kit.surveys.count() == 0
