"""People around an account (PEOPLE_02): roles, reporting lines, the relationships they
work on, and a move to another company that keeps their history and raises an event."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import successkit as sk
from successkit.plugins import hookimpl

from .helpers import snapshot


@pytest.fixture
def acme(kit: sk.Kit) -> dict[str, Any]:
    company = kit.companies.create("Acme")
    eu = kit.relationships.create(company, kit.relationship_types.create("Region"), "Acme EU")
    ceo = kit.people.create("Cora", company=company, role="executive_sponsor")
    vp = kit.people.create("Vik", company=company, role="decision_maker", reports_to=ceo, relationships=[eu])
    return {"kit": kit, "company": company, "eu": eu, "ceo": ceo, "vp": vp}


def test_roles_reporting_lines_and_relationships__PEOPLE_02(acme: dict[str, Any]) -> None:
    kit, eu, ceo, vp = acme["kit"], acme["eu"], acme["ceo"], acme["vp"]
    assert (vp.role, vp.reports_to_id, vp.relationship_ids) == ("decision_maker", ceo.id, (eu.id,))
    assert [p.name for p in kit.people.reports(ceo)] == ["Vik"]
    assert [p.name for p in kit.people.of_relationship(eu)] == ["Vik"]
    champ = kit.people.create("Cam", company=acme["company"], role="champion", reports_to=vp)
    assert kit.people.update(champ, role="user", relationships=[eu]).relationship_ids == (eu.id,)


def test_bad_links_are_refused__PEOPLE_02(acme: dict[str, Any]) -> None:
    kit, ceo, vp = acme["kit"], acme["ceo"], acme["vp"]
    other = kit.companies.create("Other")
    stranger = kit.people.create("Sam", company=other)
    far_rel = kit.relationships.create(other, kit.relationship_types.list()[0], "Other EU")
    before = snapshot(kit)
    cases: list[tuple[Callable[[], object], str]] = [
        (lambda: kit.people.update(ceo, reports_to=vp), "circle"),
        (lambda: kit.people.update(vp, reports_to=vp), "another person of their company"),
        (lambda: kit.people.update(vp, reports_to=stranger), "another person of their company"),
        (lambda: kit.people.update(vp, role="boss"), "a role is one of"),
        (lambda: kit.people.update(vp, relationships=[far_rel]), "of their own company"),
        (lambda: kit.people.update(vp, company_id=other.id), "people.move"),
        (lambda: kit.people.move(vp, acme["company"]), "already at this company"),
    ]
    for call, message in cases:
        with pytest.raises(sk.ValidationError, match=message) as e:
            call()
        assert e.value.rule == "PEOPLE_02"
    assert snapshot(kit) == before


def test_a_move_keeps_history_and_raises_an_event_after_commit__PEOPLE_02(kit: sk.Kit) -> None:
    heard: list[tuple[str, str | None, str]] = []

    class Listener:
        @hookimpl
        def successkit_person_moved(self, kit: Any, person: Any, from_company_id: Any, to_company_id: Any) -> None:
            heard.append((person.name, from_company_id, to_company_id))

    kit.plugins.register(Listener())
    acme, globex = kit.companies.create("Acme"), kit.companies.create("Globex")
    eu = kit.relationships.create(acme, kit.relationship_types.create("Region"), "Acme EU")
    ceo = kit.people.create("Cora", company=acme)
    vp = kit.people.create("Vik", company=acme, reports_to=ceo, relationships=[eu])
    call = kit.timeline.log("call", "QBR", company=acme, participants=[ceo])
    with pytest.raises(RuntimeError), kit.transaction():
        kit.people.move(ceo, globex)
        raise RuntimeError("rolled back")
    assert heard == [] and kit.people.get(ceo.id).company_id == acme.id
    moved = kit.people.move(ceo, globex)
    assert heard == [("Cora", acme.id, globex.id)]
    assert (moved.company_id, moved.relationship_ids, moved.reports_to_id) == (globex.id, (), None)
    assert kit.people.get(vp.id).reports_to_id is None  # the line to the old company ends
    assert kit.timeline.get(call.id).company_id == acme.id  # what they did stays with Acme
    assert ceo.id in kit.timeline.get(call.id).participant_person_ids
