"""Rules at the edges: inputs that once slipped through, each refused (or handled) as the rules say."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest

import successkit as sk

from .helpers import World, snapshot


@pytest.fixture
def w(kit: sk.Kit) -> World:
    return World(kit)


def test_template_dependency_cycle_is_refused__TASK_01(w: World) -> None:
    before = snapshot(w.kit)
    for items in (
        [{"key": "a", "name": "a", "depends_on": ["b"]}, {"key": "b", "name": "b", "depends_on": ["a"]}],
        [{"key": "a", "name": "a", "depends_on": ["a"]}],
    ):
        with pytest.raises(sk.RuleViolation) as e:
            w.kit.plan_templates.create("Cyclic", "onboarding", items)
        assert e.value.rule == "TASK_01"
    assert snapshot(w.kit) == before


def test_template_success_criteria_limit__OBJ_02(w: World) -> None:
    with pytest.raises(sk.RuleViolation) as e:
        w.kit.plan_templates.create("Long", "onboarding", [{"name": "a", "success_criteria": "c" * 1001}])
    assert e.value.rule == "OBJ_02"
    tpl = w.kit.plan_templates.create("Ok", "onboarding", [{"key": "a", "name": "a"}])
    plan = w.plan()
    before = snapshot(w.kit)
    with pytest.raises(sk.RuleViolation):
        w.kit.plans.apply_template(plan, tpl, overrides={"a": {"success_criteria": "c" * 1001}})
    with pytest.raises(sk.ValidationError, match="date"):
        w.kit.plans.apply_template(plan, tpl, overrides={"a": {"due_date": "not a date"}})
    assert snapshot(w.kit) == before
    out = w.kit.plans.apply_template(plan, tpl, overrides={"a": {"due_date": "2027-01-05"}})
    assert out.created[0].due_date == date(2027, 1, 5)


def test_clone_checks_its_due_date_and_refuses_a_closed_clone__CLONE_08(w: World) -> None:
    kit = w.kit
    plan = w.plan()
    kit.tasks.create(kit.objectives.create(plan.id, "O").record, "T")
    with pytest.raises(sk.ValidationError, match="due_date"):
        kit.plans.clone(plan, to=w.other, due_date="garbage")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="nme"):  # options are named keywords: Python names the typo
        kit.plans.clone(plan, to=w.other, nme="typo")  # type: ignore[call-arg]
    with pytest.raises(sk.RuleViolation, match="CLONE_08"):
        kit.plans.clone(plan, to=w.other, status="closed")


def test_start_dates_cannot_be_cleared__TASK_01(w: World) -> None:
    kit = w.kit
    obj = kit.objectives.create(w.plan().id, "O").record
    task = kit.tasks.create(obj, "T").record
    before = snapshot(kit)
    with pytest.raises(sk.ValidationError, match="start date"):
        kit.objectives.update(obj.id, start_date=None)
    with pytest.raises(sk.ValidationError, match="start date"):
        kit.tasks.update(task.id, start_date=None)
    assert snapshot(kit) == before


def test_owner_cannot_become_internal_collaborator__USER_01(w: World) -> None:
    kit = w.kit
    w.plan()
    with pytest.raises(sk.RuleViolation) as e:
        kit.users.update(w.alice.id, license="internal_collaborator")
    assert e.value.rule == "USER_01" and "1 plan" in str(e.value)
    assert kit.users.update(w.bob.id, license="internal_collaborator").license == "internal_collaborator"


def test_erasure_removes_email_recipients__PERSON_01(w: World) -> None:
    kit = w.kit
    obj = kit.objectives.create(w.plan().id, "O").record
    assert w.pat.email is not None
    mail = kit.objectives.send_email(obj, subject="Hi", to=[w.pat.email, "other@acme.example"]).record
    assert any(r.field == "email_to" for r in kit.people.references(w.pat))
    kit.people.erase(w.pat)
    assert kit.tasks.get(mail.id).email_to == ("other@acme.example",)


def test_links_open_nothing_once_sharing_is_off__SHARE_01(w: World) -> None:
    kit = w.kit
    plan = w.plan()
    grant = kit.sharing.share_with_user(plan, w.bob)
    assert kit.sharing.open(grant.token).plan.id == plan.id
    kit.config.update_plan_type("onboarding", sharing_enabled=False)
    with pytest.raises(sk.AccessDenied):
        kit.sharing.open(grant.token)


def test_listed_cta_types_mean_only_those__OBJ_04(w: World) -> None:
    kit = w.kit
    book = kit.playbooks.create("Risk", [{"name": "Call"}], cta_types=["risk"])
    assert not book.all_cta_types
    with pytest.raises(sk.RuleViolation) as e:
        kit.objectives.create(w.plan().id, "O", playbook=book)
    assert e.value.rule == "OBJ_04"
    with pytest.raises(sk.ValidationError, match="whole number"):
        kit.playbooks.create("Bad", [{"name": "x", "due_days": -5}])
    with pytest.raises(sk.ValidationError, match="mapping"):
        kit.playbooks.create("Bad", ["x"])  # type: ignore[list-item]


def test_odd_inputs_are_clear_errors(w: World) -> None:
    kit = w.kit
    plan = w.plan()
    obj = kit.objectives.create(plan.id, "O").record
    a = kit.tasks.create(obj, "A").record
    b = kit.tasks.create(obj, "B").record
    assert kit.tasks.add_dependency(b.id, a.id).depends_on == (a.id,)  # ids work as well as records
    with pytest.raises(sk.ValidationError):
        kit.tasks.add_dependency(b, None)  # type: ignore[arg-type]
    snoozed = kit.objectives.snooze(obj.id, datetime(2026, 12, 30, tzinfo=timezone.utc))
    assert snoozed.snoozed_until == date(2026, 12, 30) and kit.objectives.is_snoozed(obj.id)
    assert kit.objectives.age(obj.id) == 0
    with pytest.raises(sk.ValidationError, match="list"):
        kit.objectives.create(plan.id, "L", links="abc")
    with pytest.raises(sk.ValidationError, match="list"):
        kit.objectives.send_email(obj.id, subject="s", to="a@b.c")
    with pytest.raises(sk.NotFound):
        kit.objectives.create(plan.id, "P", associated_persons=["bogus"])
    assert kit.companies.create_many(None) == []  # type: ignore[arg-type]
    with pytest.raises(sk.ValidationError, match="mapping"):
        kit.companies.create_many([None])  # type: ignore[list-item]
    with pytest.raises(sk.ValidationError):
        sk.to_dict(None)  # type: ignore[arg-type]
    with pytest.raises(sk.ValidationError):
        sk.from_dict(None)  # type: ignore[arg-type]
    with pytest.raises(sk.ValidationError, match="limit"):
        kit.ctas.cockpit(w.alice, limit=-1)
    with pytest.raises(sk.ValidationError):
        kit.users.create("U", email=5)  # type: ignore[arg-type]
    with pytest.raises(sk.ValidationError, match="holidays"):
        template = kit.plan_templates.create("T", "onboarding", [{"name": "x"}])
        kit.plans.apply_template(plan, template, holidays="2026-12-25")  # type: ignore[arg-type]
    kit.plans.update(plan.id, fields=None)  # None means no change
    kit.objectives.update(obj.id, associated_persons=None, due_date=kit.today() + timedelta(days=3))


def test_unknown_plan_or_status_is_an_error_not_an_empty_answer__CLONE_05(w: World) -> None:
    from successkit.plans.cloning import ByStatus

    plan = w.plan()
    with pytest.raises(sk.NotFound):
        w.kit.plans.counts("no-such-plan")
    with pytest.raises(sk.ValidationError, match="unknown objective status"):
        w.kit.plans.clone(plan, to=w.other, objectives=ByStatus("bogus"))


def test_external_owner_is_a_contact_of_the_customer__OBJ_02(w: World) -> None:
    kit = w.kit
    stranger = kit.people.create("Zed", company=w.other)
    plan = w.plan()
    before = snapshot(kit)
    with pytest.raises(sk.ValidationError, match="same customer"):
        kit.objectives.create(plan.id, "O", owner=stranger)
    assert snapshot(kit) == before
    obj = kit.objectives.create(plan.id, "O", owner=w.pat).record  # Acme's own contact
    with pytest.raises(sk.ValidationError, match="same customer"):
        kit.tasks.create(obj, "T", owner=stranger)
    with pytest.raises(sk.ValidationError, match="needs a type"):
        kit.ctas.create("No type", company=w.acme, type=None, owner=w.alice)  # type: ignore[arg-type]
    with pytest.raises(sk.ValidationError, match="sharing_enabled"):
        kit.objectives.create(plan.id, "S", sharing_enabled="no")  # type: ignore[arg-type]


def test_loose_list_and_logic_inputs_are_clear_errors__GOAL_10_VAULT_02(w: World) -> None:
    """Logic that is not text, a bare string for a list of columns, a number for the skip list:
    each a successkit error naming the value, never a TypeError or AttributeError."""
    kit = w.kit
    with pytest.raises(sk.QueryError, match="logic is text") as e:
        kit.companies.list([("name", "=", "x")], logic=7)  # type: ignore[arg-type]
    assert e.value.value == 7
    with pytest.raises(sk.ValidationError, match="columns is a list"):
        kit.goals.view(columns="name")
    assert kit.goals.view(extra_columns=None).columns == ("name", "due_date", "status", "progress")
    with pytest.raises(sk.ValidationError, match="skip is a list"):
        kit.bundles.deploy("ebr", skip=5)  # type: ignore[arg-type]
    with pytest.raises(sk.RuleViolation, match="logic is text"):
        kit.rules.create(
            "Bad logic",
            logic=5,  # type: ignore[arg-type]
            actions=[{"do": "log_activity", "type": "note", "subject": "x"}],
        )


def test_plan_type_change_is_checked_like_a_create__SEC_05(open_kit: Any, url: str) -> None:
    """A bad configuration change is refused and leaves the store usable (it used to
    poison every later plan create, deploy and ``plan_types()`` across reopens)."""
    kit = open_kit()
    before = snapshot(kit)
    for changes in (
        {"name": None},
        {"name": "  "},
        {"sharing_enabled": "false"},
        {"statuses": "draft"},
        {"statuses": [5]},
        {"objective_due_days": "3"},
        {"objective_priority": "urgent"},
        {"version": 9},
        {"logic": 1},
    ):
        with pytest.raises(sk.ValidationError) as e:
            kit.config.update_plan_type("roi", **changes)
        ((field, value),) = changes.items()
        assert field in str(e.value) or repr(value) in str(e.value), changes
    assert snapshot(kit) == before
    with pytest.raises(sk.ValidationError, match="sharing_enabled"):
        kit.config.define_plan_type("qbr", "QBR", sharing_enabled="no")
    changed = kit.config.update_plan_type("roi", sharing_enabled=True, objective_due_days=10)
    again = open_kit() if "memory" not in url else kit
    stored = next(t for t in again.config.plan_types() if t.key == "roi")
    assert stored == changed and stored.sharing_enabled is True
    owner = again.users.create("Owner")
    plan = again.plans.create("P", company=again.companies.create("C"), plan_type="roi", owner=owner)
    assert plan.plan_type == "roi"


def test_wrong_types_are_refused_before_any_store__SEC_05(open_kit: Any) -> None:
    """A value of the wrong type for a record field is a ValidationError naming the field
    and the value, on every backend (memory used to keep a list, PostgreSQL ``'{a}'``)."""
    kit = open_kit()
    before = snapshot(kit)
    cases: list[tuple[Callable[[], object], str, object]] = [
        (lambda: kit.relationship_types.create("R", description=["a"]), "description", ["a"]),
        (lambda: kit.config.add_item("priority", "p", "P", order=[1]), "order", [1]),
        (lambda: kit.users.create("x\x00y"), "name", "x\x00y"),
        (lambda: kit.users.create("x\ud800"), "name", "x\ud800"),
        (lambda: kit.playbooks.create_email_template("E", "S", body=5), "body", 5),
        (lambda: kit.goal_templates.create("G", due_days=2**64), "due_days", 2**64),
    ]
    for call, field, value in cases:
        with pytest.raises(sk.ValidationError) as e:
            call()
        assert field in str(e.value) and e.value.value == value
    assert snapshot(kit) == before
    assert [i.key for i in kit.config.items("priority")]  # lookups still work


def _refused(call: Any, name: str, value: Any) -> None:
    """``call()`` is a successkit error (SEC_05) naming the parameter ``name`` and carrying ``value``."""
    with pytest.raises(sk.ValidationError) as e:
        call()
    assert e.value.rule == "SEC_05" and name in str(e.value), str(e.value)
    assert e.value.value is value or e.value.value == value, (e.value.value, value)


def test_notification_hooks_refuse_what_is_not_a_plan_or_work_item__SEC_05(w: World) -> None:
    """The public notification hooks, given a value of the wrong type, give a successkit
    error naming the parameter, never an AttributeError or a TypeError."""
    kit, notes = w.kit, w.kit.notifications
    bad: Any  # values of every wrong type
    value: Any
    kit.notifications.subscribe(w.alice)
    plan = w.plan()
    obj = kit.objectives.create(plan, "O", owner=w.alice).record
    before = snapshot(kit)
    for bad in ("plan", 5, {"owner_id": w.alice.id}, obj):
        _refused(lambda bad=bad: notes.plan_assigned(None, bad), "new", bad)
        _refused(lambda bad=bad: notes.plan_assigned(bad, plan), "old", bad)
        _refused(lambda bad=bad: notes.plan_due_date_changed(plan, bad), "new", bad)
        _refused(lambda bad=bad: notes.plan_due_date_changed(bad, plan), "old", bad)
    for bad in (plan, "objective", 5, {}):
        _refused(lambda bad=bad: notes.work_assigned(None, bad), "new", bad)
        _refused(lambda bad=bad: notes.work_assigned(bad, obj), "old", bad)
    for items, value in (
        (5, 5),
        ("abc", "abc"),
        ([plan], plan),
        ([obj, "x"], "x"),
        (obj, obj),
        ({obj.id: obj}, {obj.id: obj}),
    ):
        _refused(lambda items=items: notes.work_created(items), "items", value)
    for events, name, value in (
        (5, "events", 5),
        ([("a", obj)], "events", ("a", obj)),
        (["abcd"], "events", "abcd"),
        ({"x": 1}, "events", {"x": 1}),
        ([(5, obj, "t", "")], "recipient_id", 5),
        ([(w.alice.id, "obj", "t", "")], "record", "obj"),
        ([(w.alice.id, obj, None, "")], "title", None),
        ([(w.alice.id, obj, "t", b"m")], "message", b"m"),
    ):
        _refused(lambda events=events: notes.emit_many("cta_assigned", events), name, value)
    for bad in ("note", None, obj, {"event": "plan_assigned"}):
        _refused(lambda bad=bad: notes.deliver(bad), "notification", bad)
    assert snapshot(kit) == before
    notes.plan_assigned(None, plan)  # the right types still work
    notes.work_created([obj])
    notes.work_created(None)


def test_subscription_events_are_event_names__SEC_05_SEC_02(w: World) -> None:
    """Events of an unhashable type, a mapping or a record are refused naming ``events``;
    a repeated event is one subscription.  A user still changes only their own (SEC_02)."""
    kit = w.kit
    before = snapshot(kit)
    for events, value in (
        ({"plan_assigned": 1}, {"plan_assigned": 1}),
        ([{}], {}),
        ([{"a"}], {"a"}),
        ([["plan_assigned"]], ["plan_assigned"]),
        (w.alice, w.alice),
        (5, 5),
    ):
        _refused(lambda events=events: kit.notifications.subscribe(w.alice, events), "events", value)
        _refused(lambda events=events: kit.notifications.unsubscribe(w.alice, events), "events", value)
    assert snapshot(kit) == before
    subs = kit.notifications.subscribe(w.alice, ["plan_assigned", "plan_assigned"])
    assert [s.event for s in subs] == ["plan_assigned"]
    assert [s.event for s in kit.notifications.subscriptions(w.alice)] == ["plan_assigned"]
    with pytest.raises(sk.AccessDenied):
        kit.as_user(w.bob).notifications.subscribe(w.alice, ["cta_assigned"])


def test_record_kinds_and_options_are_names__SEC_05(w: World) -> None:
    """An unhashable record kind (store schema, custom fields) and options that are not a list
    give a successkit error naming them, never a TypeError."""
    kit = w.kit
    before = snapshot(kit)
    kind: Any  # values of every wrong type
    for kind in ([], {"a": 1}, {"company"}):
        _refused(lambda kind=kind: kit.custom_fields.declare(kind, "tier", "text"), "record kind", kind)
        _refused(lambda kind=kind: kit.custom_fields.check(kind, {"a": 1}), "record kind", kind)
        _refused(lambda kind=kind: kit.store.schema(kind), "record kind", kind)
    for options in (5, "Gold"):
        _refused(
            lambda options=options: kit.custom_fields.declare("company", "tier", "dropdown", options=options),
            "options",
            options,
        )
    assert snapshot(kit) == before
    assert kit.custom_fields.declare("company", "tier", "dropdown", options=["Gold"]).options == ("Gold",)


def test_access_users_and_bundles_refuse_wrong_types__SEC_05(w: World) -> None:
    """``users.can_own``, ``access.check_actor_kinds`` / ``visible`` / ``share_refusal`` and
    ``bundles.get``, given a value of the wrong type, name the parameter and the value."""
    kit = w.kit
    plan = w.plan()
    for bad in (w.alice.id, None, w.pat, {"license": "full"}):
        _refused(lambda bad=bad: kit.users.can_own(bad), "user", bad)
    assert kit.users.can_own(w.alice) and not kit.users.can_own(w.ian)
    for kinds, value in (
        (5, 5),
        ("company", "company"),
        ({"company": 1}, {"company": 1}),
        ([{}], {}),
        ([["company"]], ["company"]),
        (w.alice, w.alice),
    ):
        _refused(lambda kinds=kinds: kit.access.check_actor_kinds(kinds), "kinds", value)
    kit.as_user(w.alice).access.check_actor_kinds(["company", "plan"])
    for objs in (5, "plan", plan):
        _refused(lambda objs=objs: kit.access.visible(w.alice, objs), "objs", objs)
    assert kit.access.visible(w.alice, [plan]) == [plan] and kit.access.visible(w.alice, None) == []
    for share in ("token", None, plan):
        _refused(lambda share=share: kit.access.share_refusal(share), "share", share)
    name: Any  # values of every wrong type
    for name in ([], {"a": 1}, None, 5):
        _refused(lambda name=name: kit.bundles.get(name), "name", name)
    with pytest.raises(sk.NotFound):
        kit.bundles.get("no such bundle")
    assert kit.bundles.get("ebr").name


def test_offsets_past_the_end_of_the_calendar_are_refused__SEC_05(kit: sk.Kit, clock: sk.FixedClock) -> None:
    """Day offsets near 9999-12-31 raised OverflowError (or IndexError for business
    days); every offset now gives a SEC_05 error naming what overflowed and the offset."""
    w = World(kit)
    plan = w.plan(due_date=None)
    tpl = kit.plan_templates.create("Late", "onboarding", [{"name": "Step", "due_days": 30}])
    btpl = kit.plan_templates.create(
        "Late business", "onboarding", [{"name": "Step", "due_days": 30}], business_days=True
    )
    cta = kit.ctas.create("Renewal", company=w.acme, type="renewal", owner=w.alice, due_date=date(9999, 12, 1)).record
    kit.tasks.create(cta, "Open task", due_date=date(9999, 12, 30))
    kit.config.update_plan_type("onboarding", objective_due_days=10)
    book = kit.playbooks.create("Late book", [{"name": "Call", "due_days": 30}])
    before = snapshot(kit)
    calls: list[Callable[[], object]] = [
        lambda: kit.plans.apply_template(plan, tpl, on=date(9999, 12, 20)),
        lambda: kit.plans.apply_template(plan, btpl, on=date(9999, 12, 20)),
        lambda: kit.ctas.update(cta, due_date=date(9999, 12, 31), shift_tasks=True),
        lambda: kit.ctas.apply_playbook(cta, book),
    ]
    clock.at = datetime(9999, 12, 31, 9, tzinfo=timezone.utc)
    calls.append(lambda: kit.objectives.create(plan, "o"))
    for call in calls:
        with pytest.raises(sk.ValidationError, match="SEC_05") as e:
            call()
        assert e.value.rule == "SEC_05" and e.value.value in (30, 1, 10), e.value
    assert snapshot(kit) == before


def test_configuration_handed_out_is_the_callers_copy__SEC_06(kit: sk.Kit) -> None:
    kit.config.plan_type("onboarding").fields["injected"] = "yes"  # type: ignore[index]
    kit.config.plan_types()[0].fields["injected"] = "yes"  # type: ignore[index]
    kit.config.update_plan_type("onboarding", name="Onboarding 2")
    kit.config.refresh()
    assert "injected" not in kit.config.plan_type("onboarding").fields
    assert all(not t.fields for t in kit.config.plan_types(include_inactive=True))
    kit.config.items("reason")[0].fields["x"] = 1  # type: ignore[index]
    assert kit.config.items("reason")[0].fields == {}
    kit.custom_fields.declare("company", "tier", "dropdown", options=["a", "b"])
    decls = kit.custom_field_decls("company")
    decls["tier"].fields["x"] = 1  # type: ignore[index]
    decls.pop("tier")
    assert kit.custom_field_decls("company")["tier"].fields == {}
    with pytest.raises(sk.ValidationError):  # still declared: the cache was not touched
        kit.companies.create("Acme", fields={"tier": "c"})


def test_records_read_back_share_no_custom_values__SEC_06(kit: sk.Kit) -> None:
    """Rows with the same custom values read back as records of their own: changing one's
    ``fields`` changes neither the other nor what a second read gives."""
    kit.custom_fields.declare("company", "tier", "dropdown", options=["a", "b"])
    kit.companies.create_many([{"name": n, "fields": {"tier": "a"}} for n in ("A", "B")])
    first, second = kit.companies.list(sort=["name"], limit=2)
    first.fields["tier"] = "injected"  # type: ignore[index]
    assert second.fields == {"tier": "a"}
    assert [c.fields for c in kit.companies.list(sort=["name"], limit=2)] == [{"tier": "a"}, {"tier": "a"}]
    assert [c.fields for c in kit.companies.list(sort=["name"])] == [{"tier": "a"}, {"tier": "a"}]


def test_true_false_parameters_refuse_anything_else__SEC_05(w: World) -> None:
    """``"false"`` is truthy: a flag given as text (or a number, or None) is refused, never coerced."""
    kit = w.kit
    plan = w.plan()
    o = kit.objectives.create(plan, "O", owner=w.alice, due_date=w.due).record
    cta = {"do": "create_cta", "name": "Check in with {name}", "type": "activity"}
    rule = kit.rules.create("R", actions=[cta], active=False)
    before = snapshot(kit)
    bundle = sk.Bundle(
        name="b",
        version="1",
        title="b",
        description="",
        assets={"plan_templates": ({"name": "T", "plan_type": "roi", "business_days": "false", "objectives": []},)},
    )
    calls: list[Callable[[Any], object]] = [
        lambda v: kit.objectives.set_sharing(o.id, v),
        lambda v: kit.objectives.create(plan, "O2", owner=w.alice, due_date=w.due, sharing_enabled=v),
        lambda v: kit.sharing.set_plan_external(plan, v),
        lambda v: kit.sharing.set_objective_external(o, v),
        lambda v: kit.rules.create("R2", actions=[cta], active=v),
        lambda v: kit.rules.set_active(rule, v),
        lambda v: kit.playbooks.create("P", [{"name": "s"}], all_cta_types="no" if v is None else v),  # type: ignore[arg-type]
        lambda v: kit.plan_templates.create("T", "roi", [], business_days=v),
        lambda v: kit.timeline.log("call", "x", company=w.acme, draft=v),
        lambda v: kit.timeline.company(w.acme, drafts=v),
        lambda v: kit.config.plan_types(include_inactive=v),
        lambda v: kit.rules.run(rule, dry_run=v),
        lambda v: kit.plans.of_company(w.acme, relationships=v),
    ]
    for call in calls:
        for value in ("false", "", 0, 1, None):
            with pytest.raises(sk.ValidationError) as e:
                call(value)
            assert e.value.rule == "SEC_05" and e.value.value in (value, "no"), (calls.index(call), value)
    with pytest.raises(sk.ValidationError, match="business_days"):  # VAULT_01, naming the asset
        kit.bundles.deploy(bundle)
    assert snapshot(kit) == before


def test_known_settings_are_checked_when_set__SEC_05(kit: sk.Kit) -> None:
    before = snapshot(kit)
    for key, value in (
        ("snooze.enabled", "banana"),
        ("snooze.enabled", "0"),
        ("snooze.enabled", "False"),
        ("snooze.enabled", " true"),
        ("goal.show_relationship_goals_in_company", "yes"),
        ("plan.default_status", "banana"),
        ("goal.default_status", "nope"),
        ("task.close_status", "sometime"),
    ):
        with pytest.raises(sk.ValidationError) as e:
            kit.config.set_setting(key, value)
        assert e.value.rule == "SEC_05" and e.value.value == value and key in str(e.value), (key, value)
    for pairs in (
        [("config_item", {"category": "nope", "key": "k", "name": "K"})],
        [("setting", {"key": "snooze.enabled", "value": "maybe"})],
    ):
        with pytest.raises(sk.ValidationError) as e:
            kit.config.seed(pairs)
        assert e.value.rule == "SEC_05"
    assert snapshot(kit) == before
    kit.config.set_setting("snooze.enabled", "false")
    kit.config.set_setting("plan.default_status", "active")
    assert kit.config.setting("snooze.enabled") == "false"
    kit.config.set_setting("snooze.enabled", None)  # unset: the default again
    assert kit.config.setting("snooze.enabled") is None


def test_reload_reads_what_another_kit_changed_and_the_seed_checks_what_it_is_given__SEC_05(
    shared_url: str,
) -> None:
    """``kit.reload()`` fills the configuration and custom-field caches from the store in one
    storage call: what another kit on the same store added is seen afterwards.  The kit's own
    seeding takes what it read; a caller giving ``seed`` a wrong ``stored`` is refused (SEC_05)."""
    mine, other = sk.open(shared_url, entry_points=False), sk.open(shared_url, entry_points=False)
    try:
        assert "left_behind" not in [i.key for i in mine.config.items("reason")]  # cached now
        other.config.add_item("reason", "left_behind", "Left behind")
        other.custom_fields.declare("company", "tier", "text")
        assert "left_behind" not in [i.key for i in mine.config.items("reason")]
        mine.store.stats.reset()
        mine.reload()
        assert mine.store.stats.calls["query_many"] == 1 and mine.store.stats.calls["query"] == 0
        assert "left_behind" in [i.key for i in mine.config.items("reason")]
        assert "tier" in mine.declared_fields("company")
        with pytest.raises(sk.ValidationError, match="SEC_05"):
            mine.config.seed([], stored={"plan_type": ["x"], "config_item": [], "setting": []})
        with pytest.raises(sk.ValidationError, match="SEC_05"):
            mine.custom_fields.index_all(["tier"])  # type: ignore[list-item]
    finally:
        mine.close()
        other.close()
