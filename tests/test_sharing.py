"""Sharing and access: SHARE_01-SHARE_05, TL_06, the access matrix, attacks on share
links, and erasure of a person from every kind of record (PERSON_01)."""

from __future__ import annotations

import copy
import hashlib
import pickle
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest

import successkit as sk
from successkit.engagement import access as access_module

from .helpers import World, snapshot


class ShareWorld(World):
    """An onboarding plan (sharing enabled) with objectives of every visibility and their tasks."""

    def __init__(self, kit: sk.Kit) -> None:
        super().__init__(kit)
        self.vera = kit.users.create("Vera", license="viewer_analytics")
        self.sam = kit.people.create("Sam", company=self.acme, email="sam@acme.example")
        self.stranger = kit.people.create("Stranger", company=self.other, email="x@other.example")
        self.sp = self.plan("Onboarding")
        o = kit.objectives
        self.shown = o.create(self.sp, "Go live").record
        self.hidden = o.create(self.sp, "Internal pricing", sharing_enabled=False).record
        self.inside = o.create(self.sp, "Team staffing").record
        self.t_shown = kit.tasks.create(self.shown, "Configure SSO").record
        self.t_hidden = kit.tasks.create(self.hidden, "Discount approval").record
        self.t_inside = kit.tasks.create(self.inside, "Hire").record
        self.other_plan = self.plan("Renewal", plan_type="renewal")

    def external(self) -> None:
        """Mark the plan external, then take ``inside`` out (SHARE_05)."""
        self.kit.sharing.set_plan_external(self.sp)
        self.kit.sharing.set_objective_external(self.inside.id, False)


@pytest.fixture
def sw(kit: sk.Kit) -> ShareWorld:
    return ShareWorld(kit)


def names(items: Any) -> list[str]:
    return [i.name for i in items]


# ----------------------------------------------------------------------- SHARE_01
@pytest.mark.parametrize("who", ["alice", "bob", "vera"])
def test_plan_shared_by_link_with_full_and_viewer_licenses__SHARE_01(sw: ShareWorld, who: str) -> None:
    user = getattr(sw, who)
    grant = sw.kit.sharing.share_with_user(sw.sp, user)
    assert (grant.share.plan_id, grant.share.audience, grant.share.user_id) == (sw.sp.id, "user", user.id)
    view = sw.kit.sharing.open(grant.token)
    assert view.plan.id == sw.sp.id and view.audience == "user"
    assert names(view.objectives) == ["Go live", "Team staffing"]


def test_internal_collaborator_cannot_receive_a_share__SHARE_01(sw: ShareWorld) -> None:
    before = snapshot(sw.kit)
    with pytest.raises(sk.RuleViolation) as e:
        sw.kit.sharing.share_with_user(sw.sp, sw.ian)
    assert e.value.rule == "SHARE_01" and "internal_collaborator" in str(e.value)
    assert snapshot(sw.kit) == before


def test_inactive_user_cannot_receive_a_share__SHARE_01(sw: ShareWorld) -> None:
    before = snapshot(sw.kit)
    with pytest.raises(sk.RuleViolation) as e:
        sw.kit.sharing.share_with_user(sw.sp, sw.gone)
    assert e.value.rule == "SHARE_01"
    assert snapshot(sw.kit) == before


def test_plan_shared_by_email_with_external_contact__SHARE_01(sw: ShareWorld) -> None:
    grant = sw.kit.sharing.share_with_person(sw.sp, sw.pat)
    assert (grant.share.audience, grant.share.person_id, grant.share.email) == ("person", sw.pat.id, "pat@acme.example")
    assert [w.rule for w in grant.warnings] == ["SHARE_05"]  # not marked external yet: nothing to see
    assert sw.kit.sharing.open(grant.token).objectives == ()
    sw.external()
    assert sw.kit.sharing.share_with_person(sw.sp, sw.sam).warnings == ()


def test_contact_without_email_or_of_another_company_is_refused__SHARE_01(sw: ShareWorld) -> None:
    nomail = sw.kit.people.create("No Mail", company=sw.acme)
    before = snapshot(sw.kit)
    with pytest.raises(sk.ValidationError, match="email address"):
        sw.kit.sharing.share_with_person(sw.sp, nomail)
    with pytest.raises(sk.ValidationError, match="another company"):
        sw.kit.sharing.share_with_person(sw.sp, sw.stranger)
    assert snapshot(sw.kit) == before


def test_sharing_must_be_enabled_for_the_plan_type__SHARE_01(sw: ShareWorld) -> None:
    kit = sw.kit
    internal = sw.plan("Internal notes", plan_type="internal")
    before = snapshot(kit)
    attempts: tuple[Callable[[], object], ...] = (
        lambda: kit.sharing.share_with_user(internal, sw.bob),
        lambda: kit.sharing.share_with_person(internal, sw.pat),
    )
    for attempt in attempts:
        with pytest.raises(sk.RuleViolation) as e:
            attempt()
        assert e.value.rule == "SHARE_01" and "not enabled" in str(e.value)
    assert snapshot(kit) == before
    kit.config.update_plan_type("internal", sharing_enabled=True)
    assert kit.sharing.share_with_user(internal, sw.bob).share.plan_id == internal.id
    kit.config.update_plan_type("onboarding", sharing_enabled=False)
    with pytest.raises(sk.RuleViolation):
        kit.sharing.share_with_user(sw.sp, sw.bob)


# ----------------------------------------------------------------------- SHARE_02
def test_tokens_are_unguessable_and_only_their_hash_is_stored__SHARE_02(sw: ShareWorld) -> None:
    a = sw.kit.sharing.share_with_user(sw.sp, sw.bob)
    b = sw.kit.sharing.share_with_user(sw.sp, sw.bob)
    assert a.token != b.token and len(a.token) >= 43  # 256 random bits
    assert a.share.token_hash == hashlib.sha256(a.token.encode()).hexdigest()
    stored = repr(snapshot(sw.kit))
    assert a.token not in stored and b.token not in stored
    assert a.token not in repr(a)


def test_revoked_token_opens_nothing__SHARE_02(sw: ShareWorld) -> None:
    kit = sw.kit
    grant = kit.sharing.share_with_user(sw.sp, sw.bob)
    kit.sharing.revoke(grant.share)
    assert kit.sharing.revoke(grant.share.id).revoked_at == kit.now()  # revoking twice is harmless
    before = snapshot(kit)
    with pytest.raises(sk.AccessDenied) as e:
        kit.sharing.open(grant.token)
    assert e.value.rule == "SHARE_02"
    assert "Onboarding" not in str(e.value) and grant.token not in str(e.value)
    with pytest.raises(sk.AccessDenied):
        kit.sharing.timeline(grant.token)
    assert snapshot(kit) == before
    assert kit.sharing.of_plan(sw.sp) == []
    assert len(kit.sharing.of_plan(sw.sp, include_revoked=True)) == 1


@pytest.mark.parametrize(
    "token",
    [
        None,
        "",
        "short",
        "x" * 10_000,
        "' OR 1=1 --",
        "%",
        "Qm9ndXMtdG9rZW4tb2YtdGhlLXJpZ2h0LWxlbmd0aC0h",  # well-formed, 32 bytes, never issued
        12345,
        b"bytes-token-123456",
    ],
)
def test_unknown_token_opens_nothing__SHARE_02(sw: ShareWorld, token: Any) -> None:
    kit = sw.kit
    real = kit.sharing.share_with_user(sw.sp, sw.bob)
    before = snapshot(kit)
    with pytest.raises(sk.AccessDenied) as e:
        kit.sharing.open(token)
    assert e.value.rule == "SHARE_02" and str(e.value) == str(_denial(kit, real.token))
    assert snapshot(kit) == before


def _denial(kit: sk.Kit, token: str) -> sk.AccessDenied:
    """The error for a real token opened against the wrong plan: every denial reads the same."""
    try:
        kit.sharing.open(token, plan="not-this-plan")
    except sk.AccessDenied as e:
        return e
    raise AssertionError("expected a denial")


def test_a_token_with_one_character_changed_opens_nothing__SHARE_02(sw: ShareWorld) -> None:
    token = sw.kit.sharing.share_with_user(sw.sp, sw.bob).token
    forged = token[:-1] + ("A" if token[-1] != "A" else "B")
    with pytest.raises(sk.AccessDenied):
        sw.kit.sharing.open(forged)


def test_token_for_another_plan_opens_nothing__SHARE_02(sw: ShareWorld) -> None:
    kit = sw.kit
    grant = kit.sharing.share_with_user(sw.sp, sw.bob)
    before = snapshot(kit)
    with pytest.raises(sk.AccessDenied) as e:
        kit.sharing.open(grant.token, plan=sw.other_plan)
    assert e.value.rule == "SHARE_02" and "Renewal" not in str(e.value)
    assert snapshot(kit) == before
    assert kit.sharing.open(grant.token, plan=sw.sp.id).plan.id == sw.sp.id


def test_a_deleted_plans_links_open_nothing__SHARE_02(sw: ShareWorld) -> None:
    grant = sw.kit.sharing.share_with_user(sw.sp, sw.bob)
    sw.kit.plans.delete(sw.sp)
    assert sw.kit.sharing.list() == []  # its shares went with it
    with pytest.raises(sk.AccessDenied):
        sw.kit.sharing.open(grant.token)


# ----------------------------------------------------------------------- SHARE_03
def test_objective_with_sharing_disabled_is_invisible_through_a_share__SHARE_03(sw: ShareWorld) -> None:
    kit = sw.kit
    sw.external()
    kit.sharing.set_objective_external(sw.inside.id, True)
    for grant in (kit.sharing.share_with_user(sw.sp, sw.bob), kit.sharing.share_with_person(sw.sp, sw.pat)):
        view = kit.sharing.open(grant.token)
        assert sw.hidden.id not in {o.id for o in view.objectives}
        assert sw.hidden.id not in view.tasks
        assert all(t.id != sw.t_hidden.id for ts in view.tasks.values() for t in ts)
        principal = kit.sharing.access(grant.token)
        assert not kit.access.can(principal, "view", kit.objectives.get(sw.hidden.id))
        assert not kit.access.can(principal, "view", sw.t_hidden)
    kit.objectives.set_sharing(sw.shown.id, False)  # OBJ_10: and it disappears from live links at once
    assert "Go live" not in names(kit.sharing.open(grant.token).objectives)


# ----------------------------------------------------------------------- SHARE_04
def test_every_read_through_a_share_goes_through_the_access_function__SHARE_04(
    sw: ShareWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    decided: list[Any] = []
    real = access_module._decide

    def spy(ctx: Any, principal: Any, action: str, obj: Any) -> bool:
        decided.append(obj)
        return real(ctx, principal, action, obj)

    monkeypatch.setattr(access_module, "_decide", spy)
    sw.kit.timeline.log("update", "Plan update", plan=sw.sp)
    grant = sw.kit.sharing.share_with_user(sw.sp, sw.bob)
    decided.clear()
    view = sw.kit.sharing.open(grant.token)
    page = sw.kit.sharing.timeline(grant.token)
    returned = [view.plan, *view.objectives, *(t for ts in view.tasks.values() for t in ts), *page.activities]
    assert len(returned) == 6
    assert all(any(r is d for d in decided) for r in returned)


def test_shared_view_is_read_only_and_cheap__SHARE_04(sw: ShareWorld) -> None:
    grant = sw.kit.sharing.share_with_user(sw.sp, sw.bob)
    sw.kit.sharing.open(grant.token)
    sw.kit.store.stats.reset()
    view = sw.kit.sharing.open(grant.token)
    assert sw.kit.store.stats.total <= 5  # share, plan, objectives, tasks, the user: never one per row
    with pytest.raises(TypeError):
        view.tasks[sw.shown.id] = ()  # type: ignore[index]
    with pytest.raises(AttributeError):
        view.plan.name = "Hacked"  # type: ignore[misc]


MATRIX = [
    # license, action, plan/objective/task, company-level activity
    ("full", "view", True, True),
    ("full", "change", True, True),
    ("viewer", "view", True, True),
    ("viewer", "change", False, False),
    ("viewer_analytics", "view", True, True),
    ("viewer_analytics", "change", False, False),
    ("internal_collaborator", "view", False, True),
    ("internal_collaborator", "change", False, True),
]


@pytest.mark.parametrize("license,action,work,company_activity", MATRIX)
def test_the_access_matrix_of_licenses__SHARE_04(
    sw: ShareWorld, license: str, action: str, work: bool, company_activity: bool
) -> None:
    kit = sw.kit
    user = kit.users.create(f"U-{license}", license=license)
    call = kit.timeline.log("call", "Call", company=sw.acme)
    update = kit.timeline.log("update", "Update", plan=sw.sp)
    cta = kit.ctas.create("Risk", company=sw.acme, type="risk", owner=sw.alice).record
    for obj in (sw.sp, sw.shown, sw.t_shown, update, cta):
        assert kit.access.can(user, action, obj) is work, obj
    assert kit.access.can(user, action, call) is company_activity
    inactive = kit.users.update(user, active=False)
    assert not any(kit.access.can(inactive, action, o) for o in (sw.sp, sw.shown, call))


def test_unknown_objects_and_actions_are_refused__SHARE_04(sw: ShareWorld) -> None:
    assert not sw.kit.access.can(sw.alice, "view", sw.acme)  # deny by default
    assert not sw.kit.access.can("alice", "view", sw.sp)
    with pytest.raises(sk.ValidationError, match="action is one of"):
        sw.kit.access.can(sw.alice, "delete", sw.sp)


def test_a_viewer_cannot_change_a_plan__SHARE_04(sw: ShareWorld) -> None:
    kit = sw.kit
    bob = kit.as_user(sw.bob)
    assert kit.access.can(sw.bob, "view", sw.sp)
    template = kit.plan_templates.create("Std", "onboarding", [{"name": "From template"}])
    before = snapshot(kit)
    attempts: list[Callable[[], Any]] = [
        lambda: bob.plans.update(sw.sp.id, name="Mine now"),
        lambda: bob.plans.set_status(sw.sp.id, "active"),
        lambda: bob.plans.delete(sw.sp.id),
        lambda: bob.plans.create("New", company=sw.acme, plan_type="onboarding", owner=sw.bob),
        lambda: bob.plans.clone(sw.sp.id, to=sw.other),
        lambda: bob.plans.apply_template(sw.sp.id, template),
        lambda: bob.objectives.create(sw.sp.id, "Sneaky"),
        lambda: bob.objectives.update(sw.shown.id, name="Renamed"),
        lambda: bob.objectives.set_sharing(sw.hidden.id, True),
        lambda: bob.tasks.update(sw.t_shown.id, name="Renamed"),
        lambda: bob.tasks.create(sw.shown.id, "Sneaky task"),
        lambda: bob.timeline.log("note", "Sneaky note", plan=sw.sp),
        lambda: bob.sharing.share_with_user(sw.sp.id, sw.bob),
        lambda: bob.sharing.set_plan_external(sw.sp.id),
        lambda: bob.ctas.create("Risk", company=sw.acme, type="risk", owner=sw.alice),
    ]
    for attempt in attempts:
        with pytest.raises(sk.AccessDenied) as e:
            attempt()
        assert e.value.rule == "SHARE_04" and "viewer" in str(e.value)
    assert snapshot(kit) == before
    kit.as_user(sw.alice).plans.update(sw.sp.id, name="Still editable by a full user")


def test_internal_collaborator_has_no_access_to_plans__SHARE_04(sw: ShareWorld) -> None:
    kit = sw.kit
    ian = kit.as_user(sw.ian)
    before = snapshot(kit)
    with pytest.raises(sk.AccessDenied):
        ian.timeline.log("note", "Plan note", plan=sw.sp)
    assert snapshot(kit) == before
    assert not kit.access.can(sw.ian, "view", sw.sp)
    assert ian.timeline.log("note", "Company note", company=sw.acme).author_id == sw.ian.id


def test_an_unknown_acting_user_changes_nothing__SHARE_04(sw: ShareWorld) -> None:
    before = snapshot(sw.kit)
    with pytest.raises(sk.AccessDenied, match="does not exist"):
        sw.kit.as_user("nobody").plans.update(sw.sp.id, name="x")
    assert snapshot(sw.kit) == before


def test_an_external_contact_sees_only_through_live_shares__SHARE_04(sw: ShareWorld) -> None:
    kit = sw.kit
    sw.external()
    assert not kit.access.can(sw.pat, "view", sw.sp)
    grant = kit.sharing.share_with_person(sw.sp, sw.pat)
    shown = kit.objectives.get(sw.shown.id)
    assert kit.access.can(sw.pat, "view", sw.sp) and kit.access.can(sw.pat, "view", shown)
    assert not kit.access.can(sw.pat, "view", kit.objectives.get(sw.inside.id))  # taken out
    assert not kit.access.can(sw.pat, "change", sw.sp)
    assert not kit.access.can(sw.pat, "view", sw.other_plan)
    assert not kit.access.can(sw.sam, "view", sw.sp)
    kit.sharing.revoke(grant.share)
    assert not kit.access.can(sw.pat, "view", sw.sp)


# ----------------------------------------------------------------------- SHARE_05
def test_share_link_expires__SHARE_05(sw: ShareWorld, clock: sk.FixedClock) -> None:
    kit = sw.kit
    last_day = kit.today() + timedelta(days=2)
    grant = kit.sharing.share_with_user(sw.sp, sw.bob, expires_on=last_day)
    clock.advance(days=2)
    assert kit.sharing.open(grant.token).expires_on == last_day  # still open on its last day
    clock.advance(days=1)
    before = snapshot(kit)
    with pytest.raises(sk.AccessDenied) as e:
        kit.sharing.open(grant.token)
    assert e.value.rule == "SHARE_02" and str(e.value) == str(_denial(kit, grant.token))
    assert snapshot(kit) == before
    with pytest.raises(sk.ValidationError, match="from today on"):
        kit.sharing.share_with_user(sw.sp, sw.bob, expires_on=kit.today() - timedelta(days=1))
    assert snapshot(kit) == before


def test_marking_a_plan_external_marks_its_objectives__SHARE_05(sw: ShareWorld) -> None:
    kit = sw.kit
    out = kit.sharing.set_plan_external(sw.sp)
    assert out.record.external
    assert all(o.external for o in kit.objectives.list([("plan_id", "=", sw.sp.id)]))
    taken_out = kit.sharing.set_objective_external(sw.inside.id, False)
    assert not taken_out.external and kit.plans.get(sw.sp.id).external
    assert kit.objectives.create(sw.sp, "Added later").record.external  # new objectives follow the plan
    person = kit.sharing.open(kit.sharing.share_with_person(sw.sp, sw.pat).token)
    assert names(person.objectives) == ["Go live", "Added later"]
    assert names(person.tasks[sw.shown.id]) == ["Configure SSO"]
    internal = kit.sharing.open(kit.sharing.share_with_user(sw.sp, sw.bob).token)
    assert names(internal.objectives) == ["Go live", "Team staffing", "Added later"]
    kit.sharing.set_plan_external(sw.sp.id, False)
    assert not any(o.external for o in kit.objectives.list([("plan_id", "=", sw.sp.id)]))


def test_external_marks_cannot_change_in_a_closed_plan__PLAN_06(sw: ShareWorld) -> None:
    kit = sw.kit
    kit.plans.set_status(sw.sp, "closed")
    before = snapshot(kit)
    with pytest.raises(sk.ReadOnlyError):
        kit.sharing.set_plan_external(sw.sp.id)
    with pytest.raises(sk.ReadOnlyError):
        kit.sharing.set_objective_external(sw.inside.id, False)
    assert snapshot(kit) == before


# -------------------------------------------------------------------------- TL_06
def test_external_contacts_see_no_timeline__TL_06(sw: ShareWorld) -> None:
    kit = sw.kit
    sw.external()
    update = kit.timeline.log("update", "Plan update", plan=sw.sp)
    mail = kit.timeline.log("email", "Objective mail", objective=sw.shown)
    grant = kit.sharing.share_with_person(sw.sp, sw.pat)
    before = snapshot(kit)
    with pytest.raises(sk.AccessDenied) as e:
        kit.sharing.timeline(grant.token)
    assert e.value.rule == "TL_06"
    assert snapshot(kit) == before
    principal = kit.sharing.access(grant.token)
    for activity in (update, mail):
        assert not kit.access.can(principal, "view", activity)
        assert not kit.access.can(sw.pat, "view", activity)


def test_internal_share_shows_the_published_plan_timeline__TL_06(sw: ShareWorld) -> None:
    kit = sw.kit
    kit.timeline.log("update", "Published", plan=sw.sp)
    kit.timeline.save_draft("note", "Draft", plan=sw.sp)
    kit.timeline.log("email", "Objective mail", objective=sw.shown)
    kit.timeline.log("call", "Company call", company=sw.acme)
    grant = kit.sharing.share_with_user(sw.sp, sw.bob)
    assert [i.activity.subject for i in kit.sharing.timeline(grant.token)] == ["Published"]


# ------------------------------------------------------------------------ cloning
def test_shares_are_not_copied_by_a_clone__CLONE_12(sw: ShareWorld) -> None:
    kit = sw.kit
    sw.external()
    kit.sharing.share_with_user(sw.sp, sw.bob)
    kit.sharing.share_with_person(sw.sp, sw.pat)
    clone = kit.plans.clone(sw.sp, to=sw.other)
    assert kit.sharing.of_plan(clone.plan, include_revoked=True) == []
    assert len(kit.sharing.of_plan(sw.sp)) == 2


# ---------------------------------------------------------------------- PERSON_01
def test_erasure_covers_every_kind_of_reference__PERSON_01(sw: ShareWorld) -> None:
    kit = sw.kit
    sw.external()
    owned = kit.objectives.create(sw.sp, "Customer sign-off", owner=sw.pat, associated_persons=[sw.pat, sw.sam]).record
    task = kit.tasks.create(sw.shown, "Customer data", owner=sw.pat).record
    cta = kit.ctas.create(
        "Champion left", company=sw.acme, type="risk", owner=sw.alice, associated_persons=[sw.pat]
    ).record
    grant = kit.sharing.share_with_person(sw.sp, sw.pat)
    sam_share = kit.sharing.share_with_person(sw.sp, sw.sam)
    call = kit.timeline.log("call", "Call", company=sw.acme, participants=[sw.pat, sw.sam, sw.alice])
    update = kit.timeline.log("update", "Update", plan=sw.sp, participants=[sw.pat])
    kit.metrics.declare("logins")
    kit.usage.ingest([{"metric": "logins", "company": sw.acme, "person": sw.pat, "period": "2026-11-20", "value": 3}])
    fact_id = kit.usage.list()[0].id
    survey = kit.surveys.create("Pulse", [{"key": "nps", "type": "nps", "text": "?"}])
    send = kit.surveys.send(survey, sw.pat, company=sw.acme)
    response = kit.surveys.respond(survey, sw.pat, {"nps": 9}, company=sw.acme)
    sam = kit.people.update(sw.sam, reports_to=sw.pat)
    kit.playbooks.create_email_template("Hello", "Hello {{person.first_name}}", "")
    program = kit.programs.create("Welcome", steps=[{"do": "send_email", "template": "Hello"}])
    (enrolment,) = kit.programs.enroll(program, [sw.pat])
    kit.programs.advance()
    (email,) = kit.programs.emails(program)

    refs = kit.people.references(sw.pat)
    found = {(r.kind, r.id, r.field) for r in refs}
    assert found == {
        ("objective", owned.id, "owner_id"),
        ("objective", owned.id, "associated_person_ids"),
        ("task", task.id, "owner_id"),
        ("cta", cta.id, "associated_person_ids"),
        ("share", grant.share.id, "person_id"),
        ("activity", call.id, "participant_person_ids"),
        ("activity", update.id, "participant_person_ids"),
        ("usage_fact", fact_id, "person_id"),
        ("survey_send", send.id, "person_id"),
        ("survey_response", response.id, "person_id"),
        ("person", sam.id, "reports_to_id"),
        ("program_enrolment", enrolment.id, "target_id"),
        ("program_email", email.id, "person_id"),
        ("program_email", email.id, "recipient_ids"),
    }
    # every field that can hold a person is exercised (a CTA is owned by users only)
    every = {(s.kind, s.field) for s in kit.people._reference_fields()}
    assert {(k, f) for k, _, f in found} == every - {("cta", "owner_id")}

    kit.people.erase(sw.pat)
    o = kit.objectives.get(owned.id)
    assert (o.owner_id, o.owner_kind, o.associated_person_ids) == (None, "user", (sw.sam.id,))
    t = kit.tasks.get(task.id)
    assert (t.owner_id, t.owner_kind) == (None, "user")
    assert kit.ctas.get(cta.id).associated_person_ids == ()
    assert kit.timeline.get(call.id).participant_person_ids == (sw.sam.id,)
    assert kit.timeline.get(call.id).participant_user_ids == (sw.alice.id,)
    assert kit.timeline.get(update.id).participant_person_ids == ()
    assert [s.id for s in kit.sharing.list()] == [sam_share.share.id]  # the share to Pat is gone
    assert kit.usage.count() == 0 and kit.survey_sends.count() == 0  # what was measured of or sent to Pat
    assert kit.survey_responses.get(response.id).person_id is None  # the answer stays, anonymous
    assert kit.people.get(sam.id).reports_to_id is None
    assert kit.programs.enrolments(program) == [] and kit.programs.emails(program) == []  # MAIL_03
    with pytest.raises(sk.AccessDenied):
        kit.sharing.open(grant.token)
    everything = repr(snapshot(kit))
    assert sw.pat.id not in everything and "pat@acme.example" not in everything
    assert kit.people.references(sw.sam)  # the others are untouched


def test_references_to_a_person_ignore_user_owned_work__PERSON_01(sw: ShareWorld) -> None:
    kit = sw.kit
    kit.objectives.create(sw.sp, "Owned by Alice", owner=sw.alice)
    assert kit.people.references(sw.alice.id) == []  # an id of a user is no person's reference


def test_erasure_with_shares_is_atomic__PERSON_01(sw: ShareWorld) -> None:
    kit = sw.kit
    kit.sharing.share_with_person(sw.sp, sw.pat)
    kit.timeline.log("call", "Call", company=sw.acme, participants=[sw.pat])
    before = snapshot(kit)
    writes: list[str] = []

    def fail_on_delete(op: str) -> None:
        writes.append(op)
        if op == "delete_many":
            raise sk.StorageError("injected")

    kit.store.fault = fail_on_delete
    with pytest.raises(sk.StorageError):
        kit.people.erase(sw.pat)
    kit.store.fault = None
    assert "update_many" in writes
    assert snapshot(kit) == before


def test_open_share_costs_a_bounded_number_of_calls__SHARE_04(sw: ShareWorld) -> None:
    for i in range(20):
        sw.kit.tasks.create(sw.shown, f"Extra {i}")
    grant = sw.kit.sharing.share_with_person(sw.sp, sw.pat)
    sw.kit.sharing.set_plan_external(sw.sp)
    sw.kit.sharing.open(grant.token)
    sw.kit.store.stats.reset()
    view = sw.kit.sharing.open(grant.token)
    assert len(view.tasks[sw.shown.id]) == 21
    assert sw.kit.store.stats.total <= 4


def test_share_expiry_must_be_a_date__SHARE_05(sw: ShareWorld) -> None:
    before = snapshot(sw.kit)
    with pytest.raises(sk.ValidationError):
        sw.kit.sharing.share_with_user(sw.sp, sw.bob, expires_on="tomorrow")  # type: ignore[arg-type]
    assert snapshot(sw.kit) == before
    assert sw.kit.sharing.share_with_user(sw.sp, sw.bob, expires_on=date(2026, 11, 24)).share.expires_on


@pytest.mark.parametrize("change", [{"active": False}, {"license": "internal_collaborator"}])
def test_a_users_link_follows_the_users_own_rights__SHARE_04(sw: ShareWorld, change: dict[str, Any]) -> None:
    grant = sw.kit.sharing.share_with_user(sw.sp, sw.bob)
    sw.kit.users.update(sw.bob.id, **change)
    with pytest.raises(sk.AccessDenied) as e:
        sw.kit.sharing.open(grant.token)
    assert e.value.rule == "SHARE_02"
    with pytest.raises(sk.AccessDenied):  # the one decision on the share (SEC_03) refuses the principal too
        sw.kit.sharing.access(grant.token)


def test_acting_users_change_only_what_their_license_allows__SHARE_04(kit: sk.Kit) -> None:
    """Beyond plan work, a viewer or an internal collaborator acting through the kit may not
    change companies, people, goals, configuration, templates, rules or bundles; a full user
    may; a refusal names SHARE_04 and changes nothing."""
    w = World(kit)
    goal = kit.goals.create("Reduce churn", company=w.acme)
    linked = w.plan("Linked")
    attempts: dict[str, Callable[[sk.Kit], object]] = {
        "company": lambda k: k.companies.create("Sneaky Co"),
        "company update": lambda k: k.companies.update(w.acme, arr=1.0),
        "person": lambda k: k.people.create("Eve", company=w.acme),
        "goal": lambda k: k.goals.update(goal, name="Mine"),
        "goal link": lambda k: k.goals.link(goal, linked),
        "config": lambda k: k.config.add_item("reason", "sneaky", "Sneaky"),
        "template": lambda k: k.plan_templates.create("T", "onboarding", [{"name": "O"}]),
        "rule": lambda k: k.rules.create("R", actions=[{"do": "log_activity", "type": "note", "subject": "x"}]),
        "bundle": lambda k: k.bundles.deploy("ebr"),
        "user": lambda k: k.users.create("Mallory"),
    }
    for user in (w.bob, w.ian, w.gone):
        for what, attempt in attempts.items():
            before = snapshot(kit)
            with pytest.raises(sk.AccessDenied) as e:
                attempt(kit.as_user(user))
            assert e.value.rule == "SHARE_04", what
            assert snapshot(kit) == before, what
    for attempt in attempts.values():
        attempt(kit.as_user(w.alice))
    assert kit.companies.count([("name", "=", "Sneaky Co")]) == 1


def test_external_contacts_do_not_see_internal_notes_or_email_drafts__SHARE_04(sw: ShareWorld) -> None:
    """A share to an external contact shows the work, not the team's comments, custom fields
    or email drafts; an internal user's link shows the records whole."""
    kit = sw.kit
    kit.sharing.set_plan_external(sw.sp)
    kit.objectives.update(sw.shown.id, comments="Customer is slow to respond")
    mail = kit.playbooks.create_email_template("Nudge", "Please hurry", "Internal draft body")
    kit.playbooks.create("Nudges", [{"name": "Nudge the sponsor", "email_template": mail.id}])
    kit.objectives.apply_playbook(sw.shown.id, kit.playbooks.by_name("Nudges"))
    person = kit.sharing.open(kit.sharing.share_with_person(sw.sp, sw.pat).token)
    (go_live,) = [o for o in person.objectives if o.id == sw.shown.id]
    assert go_live.comments is None and go_live.name == "Go live"
    nudge = next(t for t in person.tasks[sw.shown.id] if t.name == "Nudge the sponsor")
    assert (nudge.email_subject, nudge.email_body) == (None, None)
    internal = kit.sharing.open(kit.sharing.share_with_user(sw.sp, sw.bob).token)
    (whole,) = [o for o in internal.objectives if o.id == sw.shown.id]
    assert whole.comments == "Customer is slow to respond"
    assert (
        next(t for t in internal.tasks[sw.shown.id] if t.name == "Nudge the sponsor").email_body
        == "Internal draft body"
    )


def test_acting_users_store_exposes_no_backend_and_authors_are_the_actor__SEC_02(kit: sk.Kit) -> None:
    alice = kit.users.create("Alice", license="full")
    ian = kit.users.create("Ian", license="internal_collaborator")
    acme = kit.companies.create("Acme")
    guarded = kit.as_user(ian).store
    for name in (
        "_store",
        "_kit",
        "_GuardedStore__store",
        "_GuardedStore__kit",
        "__dict__",
        "_tables",
        "_conn",
        "__slots__",
        "__reduce_ex__",
        "__getstate__",
    ):
        with pytest.raises(AttributeError):
            getattr(guarded, name)
    assert not hasattr(guarded.query, "__self__") and not hasattr(guarded.transaction, "__self__")
    for copier in (copy.copy, copy.deepcopy, pickle.dumps):
        with pytest.raises((TypeError, copy.Error, pickle.PicklingError)):  # a copy would hold the backend
            copier(guarded)
    with pytest.raises(sk.AccessDenied):
        guarded._store = kit.store  # type: ignore[attr-defined]
    before = snapshot(kit)
    with pytest.raises(sk.AccessDenied) as e:
        kit.as_user(ian).timeline.log("call", "x", company=acme, author=alice)
    assert e.value.rule == "SEC_02" and e.value.value == alice.id
    assert snapshot(kit) == before
    mine = kit.as_user(ian).timeline.log("call", "x", company=acme, author=ian)
    assert mine.author_id == ian.id
    assert kit.timeline.log("call", "y", company=acme, author=alice).author_id == alice.id  # the host may
    by_alice = kit.as_user(alice).timeline.log("note", "z", company=acme)
    assert by_alice.author_id == alice.id
