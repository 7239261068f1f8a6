"""Cloning success plans: CLONE_01-CLONE_16, the preview, atomicity and bounded calls."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

import successkit as sk
from successkit.plans.cloning import ByStatus
from successkit.testing.faults import fail_each_write

from .helpers import World, snapshot


class CloneWorld(World):
    """A plan worth cloning: objectives with tasks, owners of every sort, dependencies, emails."""

    def __init__(self, kit: sk.Kit) -> None:
        super().__init__(kit)
        self.carol = kit.users.create("Carol")
        self.plan_ = self.plan("Onboarding", due_date=date(2027, 1, 31), highlights="Big launch")
        pid = self.plan_.id
        self.welcome = kit.playbooks.create_email_template("Welcome", "Welcome aboard", "Hello")
        self.book = kit.playbooks.create(
            "Kickoff",
            [
                {"name": "Agenda", "due_days": 2},
                {"name": "Welcome mail", "due_days": 3, "email_template": self.welcome},
            ],
        )
        o = kit.objectives
        self.kickoff = o.create(
            pid,
            "Kickoff",
            owner=self.alice,
            due_date=date(2026, 12, 10),
            playbook=self.book,
            associated_persons=[self.pat],
            links=["opportunity:42"],
        ).record
        self.config = o.create(
            pid, "Configure", owner=self.carol, due_date=date(2027, 1, 20), depends_on=[self.kickoff]
        ).record
        self.customer = o.create(pid, "Customer sign-off", owner=self.pat, due_date=date(2027, 1, 25)).record
        self.done = o.create(pid, "Done already", owner=self.bob, due_date=date(2026, 12, 1)).record
        o.set_status(self.done, "closed_success")
        t = kit.tasks
        self.sso = t.create(self.config, "SSO", owner=self.carol, due_date=date(2027, 1, 5)).record
        self.import_ = t.create(
            self.config, "Import", owner=self.pat, due_date=date(2027, 1, 10), depends_on=[self.sso]
        ).record
        self.closed_task = t.create(self.config, "Closed task", due_date=date(2027, 1, 3)).record
        t.set_status(self.closed_task, "complete")
        self.adhoc = o.send_email(self.config, subject="Quick note").record
        self.after_done = t.create(self.done, "Late follow-up", due_date=date(2027, 1, 2), depends_on=[self.sso]).record
        self.other_rel = kit.relationships.create(self.other, self.product, "Other Analytics")
        self.region = kit.relationship_types.create("Region")
        self.region_rel = kit.relationships.create(self.acme, self.region, "Acme EMEA")


@pytest.fixture
def cw(kit: sk.Kit) -> CloneWorld:
    return CloneWorld(kit)


def by_name(items: Any) -> dict[str, Any]:
    return {i.name: i for i in items}


def test_only_same_plan_type__CLONE_01(cw: CloneWorld) -> None:
    before = snapshot(cw.kit)
    with pytest.raises(sk.RuleViolation) as e:
        cw.kit.plans.clone(cw.plan_, to=cw.other, plan_type="renewal")
    assert e.value.rule == "CLONE_01"
    assert snapshot(cw.kit) == before
    assert cw.kit.plans.clone(cw.plan_, to=cw.other).plan.plan_type == "onboarding"


def test_company_plan_to_company_never_relationship__CLONE_02(cw: CloneWorld) -> None:
    before = snapshot(cw.kit)
    with pytest.raises(sk.RuleViolation) as e:
        cw.kit.plans.clone(cw.plan_, to=cw.rel)
    assert e.value.rule == "CLONE_02"
    assert snapshot(cw.kit) == before
    same = cw.kit.plans.clone(cw.plan_, to=cw.acme, name="Again").plan
    other = cw.kit.plans.clone(cw.plan_, to=cw.other.id).plan
    assert (same.company_id, other.company_id, other.relationship_id) == (cw.acme.id, cw.other.id, None)


def test_relationship_plan_to_relationship_of_same_type__CLONE_03(cw: CloneWorld) -> None:
    kit = cw.kit
    rel_plan = cw.plan("Product plan", relationship=cw.rel)
    kit.objectives.create(rel_plan.id, "O")
    before = snapshot(kit)
    for target in (cw.region_rel, cw.acme):
        with pytest.raises(sk.RuleViolation) as e:
            kit.plans.clone(rel_plan, to=target)
        assert e.value.rule == "CLONE_03"
    assert snapshot(kit) == before
    clone = kit.plans.clone(rel_plan, to=cw.other_rel).plan  # same type, another company
    assert (clone.company_id, clone.relationship_id) == (cw.other.id, cw.other_rel.id)
    assert kit.plans.clone(rel_plan, to=cw.rel, name="Same rel").plan.relationship_id == cw.rel.id


def test_default_name_and_settable_fields__CLONE_04(cw: CloneWorld) -> None:
    kit = cw.kit
    default = kit.plans.clone(cw.plan_, to=cw.other).plan
    assert default.name == "Copy of Onboarding"
    custom = kit.plans.clone(
        cw.plan_, to=cw.other, name="Other onboarding", status="active", owner=cw.bob, due_date=date(2027, 6, 30)
    ).plan
    assert (custom.name, custom.status, custom.owner_id, custom.due_date) == (
        "Other onboarding",
        "active",
        cw.bob.id,
        date(2027, 6, 30),
    )
    with pytest.raises(sk.RuleViolation) as e:
        kit.plans.clone(cw.plan_, to=cw.other)  # "Copy of Onboarding" exists there now
    assert e.value.rule == "PLAN_02"


def test_choose_what_to_copy__CLONE_05(cw: CloneWorld) -> None:
    kit = cw.kit
    bare = kit.plans.clone(cw.plan_, to=cw.other, name="Bare", copy_plan_info=False, objectives=None)
    assert (bare.plan.highlights, bare.objectives, bare.tasks) == (None, (), ())
    full = kit.plans.clone(cw.plan_, to=cw.other, name="Full")
    assert full.plan.highlights == "Big launch"
    assert sorted(by_name(full.objectives)) == ["Configure", "Customer sign-off", "Done already", "Kickoff"]
    only_open = kit.plans.clone(
        cw.plan_, to=cw.other, name="Open only", objectives=ByStatus("new"), tasks=ByStatus("open")
    )
    assert "Done already" not in by_name(only_open.objectives)
    assert "Closed task" not in by_name(only_open.tasks) and "SSO" in by_name(only_open.tasks)
    no_tasks = kit.plans.clone(cw.plan_, to=cw.other, name="No tasks", tasks=None)
    assert no_tasks.tasks == () and len(no_tasks.objectives) == 4
    stored = kit.tasks.list([("plan_id", "=", only_open.plan.id)])
    assert sorted(t.name for t in stored) == sorted(t.name for t in only_open.tasks)


def test_owners_kept_or_replaced_separately__CLONE_06(cw: CloneWorld) -> None:
    kit = cw.kit
    result = kit.plans.clone(cw.plan_, to=cw.acme, name="New owners", objective_owner=cw.bob)
    assert {o.owner_id for o in result.objectives} == {cw.bob.id}
    assert by_name(result.tasks)["SSO"].owner_id == cw.carol.id  # tasks kept theirs
    result = kit.plans.clone(cw.plan_, to=cw.acme, name="New task owners", task_owner=cw.bob)
    assert {t.owner_id for t in result.tasks} == {cw.bob.id}
    assert by_name(result.objectives)["Configure"].owner_id == cw.carol.id
    before = snapshot(kit)
    with pytest.raises(sk.RuleViolation) as e:
        kit.plans.clone(cw.plan_, to=cw.acme, name="Bad", objective_owner=cw.ian)
    assert e.value.rule == "USER_01"
    assert snapshot(kit) == before


def test_due_date_follows_latest_objective__CLONE_07(cw: CloneWorld) -> None:
    result = cw.kit.plans.clone(cw.plan_, to=cw.other, due_date=date(2026, 12, 31))
    assert result.plan.due_date == date(2027, 1, 25)
    assert [w.rule for w in result.warnings] == ["CLONE_07"]
    later = cw.kit.plans.clone(cw.plan_, to=cw.other, name="Later", due_date=date(2027, 5, 1))
    assert later.plan.due_date == date(2027, 5, 1) and later.warnings == ()


def test_due_date_counts_objectives_not_tasks__CLONE_07(cw: CloneWorld) -> None:
    """A task due after every objective does not move the clone's due date: the rule names
    the latest due date among its objectives."""
    kit = cw.kit
    kit.tasks.create(cw.config, "Late task", due_date=date(2027, 3, 1))
    result = kit.plans.clone(cw.plan_, to=cw.other, due_date=date(2026, 12, 31))
    assert by_name(result.tasks)["Late task"].due_date == date(2027, 3, 1)
    dues = [o.due_date for o in result.objectives if o.due_date is not None]
    assert len(dues) == len(result.objectives)  # every objective has a due date
    assert result.plan.due_date == date(2027, 1, 25) == max(dues)
    assert [w.rule for w in result.warnings] == ["CLONE_07"] and "objectives" in str(result.warnings[0])
    assert kit.plans.get(result.plan.id).due_date == date(2027, 1, 25)


def test_statuses_reset_to_default_open__CLONE_08(cw: CloneWorld) -> None:
    kit = cw.kit
    kit.config.set_setting("objective.default_status", "work_in_progress")
    result = kit.plans.clone(cw.plan_, to=cw.other)
    assert {o.status for o in result.objectives} == {"work_in_progress"}
    assert {t.status for t in result.tasks} == {kit.config.default_status("task")}
    items: tuple[sk.Objective | sk.Task, ...] = (*result.objectives, *result.tasks)
    assert all(i.closed_at is None for i in items)
    with pytest.raises(sk.RuleViolation):
        kit.config.set_setting("objective.default_status", "closed_success")


@pytest.mark.parametrize("dry_run", [False, True])
def test_clone_in_a_closed_status_is_refused__CLONE_08(cw: CloneWorld, dry_run: bool) -> None:
    """Copies always start open (CLONE_08) and a closed plan holds no open work (PLAN_05), so a
    clone cannot be born closed: the refusal names CLONE_08 and the status, and nothing is written."""
    kit = cw.kit
    before = snapshot(kit)
    with pytest.raises(sk.RuleViolation) as e:
        kit.plans.clone(cw.plan_, to=cw.other, status="closed", dry_run=dry_run)
    assert e.value.rule == "CLONE_08" and e.value.value == "closed" and "closed" in str(e.value)
    assert snapshot(kit) == before
    active = kit.plans.clone(cw.plan_, to=cw.other, status="active")
    assert {o.status for o in active.objectives} == {kit.config.default_status("objective")}
    assert all(o.closed_at is None for o in active.objectives)


def test_dates_and_dependencies_copied__CLONE_09(cw: CloneWorld) -> None:
    result = cw.kit.plans.clone(cw.plan_, to=cw.other)
    objectives, tasks = by_name(result.objectives), by_name(result.tasks)
    assert (objectives["Configure"].start_date, objectives["Configure"].due_date) == (
        cw.config.start_date,
        cw.config.due_date,
    )
    assert objectives["Configure"].depends_on == (objectives["Kickoff"].id,)
    assert tasks["Import"].depends_on == (tasks["SSO"].id,)
    assert tasks["Import"].parent_id == objectives["Configure"].id


def test_dependency_on_item_not_copied_is_dropped__CLONE_09(cw: CloneWorld) -> None:
    result = cw.kit.plans.clone(
        cw.plan_, to=cw.other, tasks=ByStatus("open"), objectives=ByStatus("new", "closed_success")
    )
    follow_up = by_name(result.tasks)["Late follow-up"]
    assert follow_up.depends_on == (by_name(result.tasks)["SSO"].id,)
    no_sso = cw.kit.plans.clone(cw.plan_, to=cw.other, name="No configure", objectives=ByStatus("closed_success"))
    assert by_name(no_sso.tasks)["Late follow-up"].depends_on == ()
    assert any(x.rule == "CLONE_09" for x in no_sso.left_out)
    items: tuple[sk.Objective | sk.Task, ...] = (*no_sso.objectives, *no_sso.tasks)
    ids = {i.id for i in items}
    assert all(d in ids for i in items for d in i.depends_on)


def test_plan_lives_in_its_own_store_records__CLONE_10(cw: CloneWorld) -> None:
    """Timeline activities belong to the original; the clone starts with none (CLONE_10)."""
    result = cw.kit.plans.clone(cw.plan_, to=cw.other)
    assert result.plan.source_plan_id == cw.plan_.id
    assert all(o.plan_id == result.plan.id for o in cw.kit.objectives.list([("plan_id", "=", result.plan.id)]))
    timeline_kinds = [k for k in cw.kit.store.schemas if k in ("activity", "timeline")]
    for kind in timeline_kinds:
        assert cw.kit.store.count(cw.kit.bind(kind, sk.Query(conditions=[("plan_id", "=", result.plan.id)]))) == 0


def test_copied_as_is_with_email_tasks_reset__CLONE_11(cw: CloneWorld) -> None:
    kit = cw.kit
    original_mail = by_name(kit.objectives.tasks(cw.kickoff))["Welcome mail"]
    kit.tasks.send_email(original_mail)  # sent in the original
    result = kit.plans.clone(cw.plan_, to=cw.other)
    tasks = by_name(result.tasks)
    mail = tasks["Welcome mail"]
    assert (mail.email_state, mail.email_template_id, mail.email_subject) == ("verify", cw.welcome.id, "Welcome aboard")
    assert "Quick note" not in tasks  # ad-hoc email task left out
    assert any(x.rule == "CLONE_11" and x.name == "Quick note" for x in result.left_out)
    kickoff_tasks = [t for t in result.tasks if t.parent_id == by_name(result.objectives)["Kickoff"].id]
    assert sorted(t.name for t in kickoff_tasks) == ["Agenda", "Welcome mail"]  # not the playbook again


def test_shares_not_copied__CLONE_12(cw: CloneWorld) -> None:
    kit = cw.kit
    marked = kit.sharing.set_plan_external(cw.plan_, True).record
    result = kit.plans.clone(marked, to=cw.other)
    assert not result.plan.external and not any(o.external for o in result.objectives)


def test_inactive_plan_owner_gives_way_to_acting_user__CLONE_13(cw: CloneWorld) -> None:
    kit = cw.kit
    kit.users.deactivate(cw.alice)
    dan = kit.users.create("Dan")  # a full license: viewers may not create plans (docs/sharing.md)
    result = kit.as_user(dan).plans.clone(cw.plan_.id, to=cw.other)
    assert result.plan.owner_id == dan.id
    assert result.owners[0].rule == "CLONE_13"
    kit.users.update(cw.alice.id, active=True, licensed=False)
    assert kit.as_user(cw.carol).plans.clone(cw.plan_.id, to=cw.other, name="Again").plan.owner_id == cw.carol.id


def test_inactive_item_owners_get_clone_owner__CLONE_14(cw: CloneWorld) -> None:
    kit = cw.kit
    kit.users.deactivate(cw.carol)
    result = kit.plans.clone(cw.plan_, to=cw.acme, name="Carol left", owner=cw.bob)
    assert by_name(result.objectives)["Configure"].owner_id == cw.bob.id
    assert by_name(result.tasks)["SSO"].owner_id == cw.bob.id
    assert by_name(result.objectives)["Kickoff"].owner_id == cw.alice.id  # active owners kept
    assert {c.rule for c in result.owners if c.name in ("Configure", "SSO")} == {"CLONE_14"}


def test_other_customer_drops_external_owners_persons_links__CLONE_15(cw: CloneWorld) -> None:
    kit = cw.kit
    same = kit.plans.clone(cw.plan_, to=cw.acme, name="Same customer")
    assert by_name(same.objectives)["Customer sign-off"].owner_id == cw.pat.id
    assert by_name(same.objectives)["Kickoff"].associated_person_ids == (cw.pat.id,)
    assert by_name(same.objectives)["Kickoff"].links == ("opportunity:42",)
    other = kit.plans.clone(cw.plan_, to=cw.other)
    objectives, tasks = by_name(other.objectives), by_name(other.tasks)
    assert (objectives["Customer sign-off"].owner_id, objectives["Customer sign-off"].owner_kind) == (
        other.plan.owner_id,
        "user",
    )
    assert tasks["Import"].owner_id == other.plan.owner_id
    assert objectives["Kickoff"].associated_person_ids == () and objectives["Kickoff"].links == ()
    assert {x.rule for x in other.left_out} >= {"CLONE_15"}


def test_clone_is_one_transaction_at_every_write__CLONE_16(cw: CloneWorld) -> None:
    point = fail_each_write(cw.kit, lambda: cw.kit.plans.clone(cw.plan_, to=cw.other))
    assert point >= 3  # plan, objectives, tasks


def test_failed_rollback_during_clone_leaves_store_clean__CLONE_16(
    cw: CloneWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    kit = cw.kit
    before = snapshot(kit)
    store = kit.store
    real_rollback = store._rollback

    def broken_rollback() -> None:
        real_rollback()  # the work is undone, but the driver reports a failure
        raise sk.StorageError("rollback failed too")

    monkeypatch.setattr(store, "_rollback", broken_rollback)
    store.fault = lambda op: (_ for _ in ()).throw(sk.StorageError("injected")) if op == "insert_many" else None
    with pytest.raises(sk.StorageError):
        kit.plans.clone(cw.plan_, to=cw.other)
    store.fault = None
    monkeypatch.undo()
    assert not store.in_transaction
    assert snapshot(kit) == before
    assert kit.plans.clone(cw.plan_, to=cw.other).plan.name == "Copy of Onboarding"


def test_preview_writes_nothing_and_matches_the_clone(cw: CloneWorld) -> None:
    kit = cw.kit
    kit.users.deactivate(cw.carol)
    before = snapshot(kit)
    options: dict[str, Any] = {"to": cw.other, "tasks": ByStatus("open"), "due_date": date(2026, 12, 31)}
    preview = kit.plans.clone(cw.plan_, dry_run=True, **options)
    assert snapshot(kit) == before
    real = kit.plans.clone(cw.plan_, **options)

    def shape(r: Any) -> Any:
        names = {i.id: i.name for i in (*r.objectives, *r.tasks)}
        items = sorted(
            (i.__kind__, i.name, i.owner_id, i.status, i.start_date, i.due_date, tuple(names[d] for d in i.depends_on))
            for i in (*r.objectives, *r.tasks)
        )
        owners = sorted((c.kind, c.name, c.owner_id, c.rule) for c in r.owners)
        left = sorted((x.kind, x.name, x.rule) for x in r.left_out)
        return (r.plan.name, r.plan.owner_id, r.plan.due_date, r.plan.status, items, owners, left, r.warnings)

    assert preview.dry_run and not real.dry_run
    assert shape(preview) == shape(real)
    assert {c.rule for c in preview.owners} >= {"kept", "CLONE_14", "CLONE_15"}
    from successkit.plans.cloning import describe

    text = "\n".join(describe(preview))
    assert "Would create plan 'Copy of Onboarding'" in text and "CLONE_15" in text


def test_clone_costs_bounded_storage_calls(kit: sk.Kit) -> None:
    w = World(kit)
    counts = []
    for size in (2, 20):
        plan = w.plan(f"Plan {size}", due_date=date(2028, 1, 1))
        tpl = kit.plan_templates.create(
            f"T{size}",
            "onboarding",
            [
                {
                    "name": f"O{i}",
                    "due_days": i,
                    "tasks": [
                        {"name": f"T{j}", "due_days": i, "depends_on": [str(j - 1)] if j > 1 else []}
                        for j in range(1, 6)
                    ],
                }
                for i in range(size)
            ],
        )
        kit.plans.apply_template(plan, tpl)
        kit.plans.clone(plan, to=w.other, name=f"warm {size}")
        kit.store.stats.reset()
        kit.plans.clone(plan, to=w.other)
        counts.append(kit.store.stats.total)
    assert counts[0] == counts[1], counts
    assert counts[1] <= 15
