"""Users and people: USER_01, USER_02, PERSON_01."""

from __future__ import annotations

import pytest

import successkit as sk

from .helpers import snapshot


@pytest.mark.parametrize("license", ["full", "viewer", "viewer_analytics"])
def test_licensed_active_users_may_own__USER_01(kit: sk.Kit, license: str) -> None:
    u = kit.users.create("Owner", license=license)
    assert kit.users.check_owner(u).id == u.id
    assert kit.users.can_own(u)


def test_internal_collaborator_can_never_own__USER_01(kit: sk.Kit) -> None:
    u = kit.users.create("Ian", license="internal_collaborator")
    with pytest.raises(sk.RuleViolation) as e:
        kit.users.check_owner(u, what="success plan")
    assert e.value.rule == "USER_01"
    assert e.value.value == "Ian"
    assert "success plan" in str(e.value)
    assert not kit.users.can_own(u)


@pytest.mark.parametrize("change", [{"active": False}, {"licensed": False}])
def test_inactive_or_unlicensed_users_get_no_new_ownership__USER_02(kit: sk.Kit, change: dict[str, bool]) -> None:
    u = kit.users.update(kit.users.create("Uma"), **change)
    with pytest.raises(sk.RuleViolation) as e:
        kit.users.check_owner(u)
    assert e.value.rule == "USER_02"
    assert not kit.users.can_own(u)


def test_unknown_license_is_refused(kit: sk.Kit) -> None:
    before = snapshot(kit)
    with pytest.raises(sk.ValidationError, match="license must be one of"):
        kit.users.create("X", license="admin")
    assert snapshot(kit) == before


def test_references_to_a_person_are_listed_and_erased__PERSON_01(kit: sk.Kit) -> None:
    acme = kit.companies.create("Acme")
    pat = kit.people.create("Pat Doe", company=acme, email="pat@acme.example", sponsor=True)
    other = kit.people.create("Other", company=acme)
    refs = kit.people.references(pat)
    assert refs == []  # nothing refers to a person yet beyond the person record itself
    report = kit.people.erase(pat)
    assert report.person_id == pat.id
    with pytest.raises(sk.NotFound):
        kit.people.get(pat.id)
    assert [p.id for p in kit.people.of_company(acme)] == [other.id]
    assert not any("pat@acme.example" in str(r) for r in snapshot(kit).values())


def test_erasure_is_atomic__PERSON_01(kit: sk.Kit) -> None:
    pat = kit.people.create("Pat")
    before = snapshot(kit)

    def fail(op: str) -> None:
        raise sk.StorageError("injected")

    kit.store.fault = fail
    with pytest.raises(sk.StorageError):
        kit.people.erase(pat)
    kit.store.fault = None
    assert snapshot(kit) == before
