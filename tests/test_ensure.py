"""Unique user emails (USER_03) and get-or-create by a natural key (``ensure``), on
every backend: a setup script runs twice against one store without duplicates."""

from __future__ import annotations

import threading
from collections.abc import Callable

import attrs
import pytest

import successkit as sk

from .helpers import snapshot


def test_a_second_user_with_the_same_email_is_refused_ignoring_case__USER_03(kit: sk.Kit) -> None:
    ann = kit.users.create("Ann Lee", email="ann@example.com")
    before = snapshot(kit)
    with pytest.raises(sk.RuleViolation) as e:
        kit.users.create("Ann Other", email="ANN@Example.com")
    assert e.value.rule == "USER_03" and e.value.value == "ANN@Example.com"
    assert f"Ann Lee ({ann.id})" in str(e.value)  # the user holding it, by name and id
    assert snapshot(kit) == before


def test_an_update_to_another_user_s_email_is_refused__USER_03(kit: sk.Kit) -> None:
    kit.users.create("Ann", email="ann@example.com")
    bob = kit.users.create("Bob", email="bob@example.com")
    with pytest.raises(sk.RuleViolation, match="USER_03"):
        kit.users.update(bob, email="Ann@example.com")
    assert kit.users.get(bob.id).email == "bob@example.com"
    assert kit.users.update(bob, email="BOB@example.com").email == "BOB@example.com"  # its own, recased: fine
    assert kit.users.by_email("bob@EXAMPLE.com") == kit.users.get(bob.id)


def test_users_without_email_are_not_unique_by_it__USER_03(kit: sk.Kit) -> None:
    kit.users.create("No mail 1")
    kit.users.create("No mail 2")
    assert kit.users.count() == 2


def test_the_database_refuses_a_duplicate_email_written_around_the_service__USER_03(kit: sk.Kit) -> None:
    """The SQL backends' unique index on the lower-cased email backs the check: a write
    that skips the service (two processes racing, a direct store insert) is refused too."""
    if kit.store.scheme == "memory":
        pytest.skip("the memory backend has no index; its writers are serialised, so the service check suffices")
    ann = kit.users.create("Ann", email="ann@example.com")
    twin = attrs.evolve(ann, id=sk.records.new_id(), email="ANN@example.com")
    with pytest.raises(sk.ConflictError):
        kit.store.insert(twin)


def test_users_ensure_creates_once_and_refuses_other_values__USER_03(kit: sk.Kit) -> None:
    ann = kit.users.ensure("Ann", email="ann@example.com", license="viewer")
    assert ann.license == "viewer"
    assert kit.users.ensure("Ann", email="ANN@example.com", license="viewer") == ann
    assert kit.users.ensure("Ann", email="ann@example.com") == ann  # what is not given is not compared
    with pytest.raises(sk.ValidationError) as e:
        kit.users.ensure("Ann", email="ann@example.com", license="full")
    assert "license 'viewer', not 'full'" in str(e.value) and f"Ann ({ann.id})" in str(e.value)
    assert kit.users.count() == 1


def test_companies_ensure_by_external_id(kit: sk.Kit) -> None:
    """USER_03's companion for companies: the host's own key finds the record; a second
    company with the same external id is refused by the store on every backend."""
    acme = kit.companies.ensure("Acme", external_id="crm-1", arr=100)
    japan = kit.companies.ensure("Acme Japan", external_id="crm-2", parent=acme)
    assert kit.companies.ensure("Acme", external_id="crm-1", arr=100.0) == acme
    assert kit.companies.ensure("Acme Japan", external_id="crm-2", parent=acme.id) == japan
    with pytest.raises(sk.ValidationError, match="with name 'Acme', not 'ACME'"):
        kit.companies.ensure("ACME", external_id="crm-1")
    with pytest.raises(sk.ValidationError, match=rf"belongs to Acme \({acme.id}\) already"):
        kit.companies.create("Other", external_id="crm-1")
    with pytest.raises(sk.ConflictError):  # around the service, the store refuses it too
        kit.store.insert(attrs.evolve(japan, id=sk.records.new_id(), external_id="crm-1"))
    assert kit.companies.count() == 2


def test_types_templates_and_playbooks_ensure_by_name(kit: sk.Kit) -> None:
    product = kit.relationship_types.ensure("Product line", description="One product")
    assert kit.relationship_types.ensure("Product line") == product
    with pytest.raises(sk.ValidationError, match="description 'One product', not 'Other'"):
        kit.relationship_types.ensure("Product line", description="Other")
    objectives = [{"name": "Kickoff", "due_days": 7}]
    template = kit.plan_templates.ensure("Standard onboarding", "onboarding", objectives)
    assert kit.plan_templates.ensure("Standard onboarding", "onboarding", objectives) == template
    with pytest.raises(sk.ValidationError, match="plan_type"):
        kit.plan_templates.ensure("Standard onboarding", "renewal", objectives)
    steps = [{"name": "Call", "due_days": 2}]
    book = kit.playbooks.ensure("Risk call", steps)
    assert kit.playbooks.ensure("Risk call", steps) == book
    assert (kit.relationship_types.count(), kit.plan_templates.count(), kit.playbooks.count()) == (1, 1, 1)


@pytest.mark.parametrize("exists", [False, True])
def test_ensure_refuses_an_option_create_does_not_take__SEC_05(kit: sk.Kit, exists: bool) -> None:
    """An unknown option is a ValidationError naming it, whether the record exists or not
    (it would be a TypeError from create, or silently ignored for an existing record)."""
    steps, objectives = [{"name": "Call"}], [{"name": "Kickoff", "due_days": 7}]
    if exists:
        kit.playbooks.ensure("Risk call", steps)
        kit.plan_templates.ensure("Standard onboarding", "onboarding", objectives)
    with pytest.raises(sk.ValidationError, match="has no option") as e:
        kit.playbooks.ensure("Risk call", steps, active="")
    assert e.value.value == "active"
    with pytest.raises(sk.ValidationError, match="has no option") as e:
        kit.plan_templates.ensure("Standard onboarding", "onboarding", objectives, colour="red")
    assert e.value.value == "colour"
    assert (kit.playbooks.count(), kit.plan_templates.count()) == (int(exists), int(exists))


def test_a_duplicate_name_refusal_points_at_ensure(kit: sk.Kit) -> None:
    kit.relationship_types.create("Region")
    with pytest.raises(sk.ValidationError, match=r"a relationship type with this name exists \(ensure"):
        kit.relationship_types.create("Region")


def test_two_threads_ensuring_one_user_make_one__USER_03(open_kit: Callable[..., sk.Kit]) -> None:
    """Two kits on one store ensure the same user at once: one creates it, the other
    gets it (or, on PostgreSQL, a conflict it may retry); never two users.  On memory,
    whose kits each hold their own data, two threads share one kit."""
    first = open_kit()
    kits = [first, first if first.store.scheme == "memory" else open_kit()]
    errors: list[BaseException] = []

    def run(kit: sk.Kit) -> None:
        try:
            sk.retry(lambda: kit.users.ensure("Ann", email="ann@example.com"), attempts=5)
        except BaseException as e:  # reported below
            errors.append(e)

    threads = [threading.Thread(target=run, args=(k,)) for k in kits]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert kits[0].users.count() == 1


def test_refusals_name_records_by_name_and_id__HIER_01_PLAN_02_STORE_04(kit: sk.Kit) -> None:
    """The common refusals say which record they mean the way a person reads it: "Acme Japan (c_...)"."""
    acme = kit.companies.create("Acme Holdings")
    japan = kit.companies.create("Acme Japan", parent=acme)
    with pytest.raises(sk.RuleViolation) as e:
        kit.companies.set_parent(acme, japan)
    assert e.value.rule == "HIER_01" and f"Acme Japan ({japan.id})" in str(e.value)
    assert f"Acme Holdings ({acme.id})" in str(e.value)
    owner = kit.users.create("Olga")
    kit.plans.create("Onboarding", company=japan, plan_type="onboarding", owner=owner)
    with pytest.raises(sk.RuleViolation) as e:
        kit.plans.create("Onboarding", company=japan, plan_type="onboarding", owner=owner)
    assert e.value.rule == "PLAN_02" and f"for Acme Japan ({japan.id})" in str(e.value)
    kit.companies.update(japan, stage="Adoption")
    with pytest.raises(sk.ConflictError) as c:
        kit.companies.update(japan, stage="Renewal")  # japan is stale now
    assert c.value.rule == "STORE_04" and f"company Acme Japan ({japan.id}) has changed" in str(c.value)
