"""STORE_02: memory, SQLite and PostgreSQL keep the same state under any sequence of operations.

A hypothesis state machine drives three kits at once — ``memory://``, a SQLite
file and an empty PostgreSQL schema — with random sequences of domain
operations: create users, companies (in hierarchies), relationships, plans,
objectives, tasks with dependencies, CTAs, goals and plan templates; apply
templates, change statuses (closing a plan closes its work, PLAN_05), clone
plans, link goals to plans and CTAs, move companies, delete records, advance
the clock; then the customer signals and health (tests/stateful_signals.py):
create, move and erase people, delete companies, declare metrics and load usage (the same facts again
replace), create surveys, send them, answer them and keep each company's NPS in
step, log activities with the fields their type declares, choose the attributes
that keep a history (every change of a company writes it), create, change and
delete measures and scorecards, set manual values and overrides, recompute
scores; and run random queries (filters, logic, sorts, paging, groups) over
every record kind, with the composite reads of each.

Every operation runs on each kit in turn.  All three must return equal results,
or all three must refuse with the same error class, rule and message; a refusal
must leave the store as it was (STORE_03).  After every step the three stores
must hold exactly the same records, compared field by field.  The kits share
one fixed clock, and record ids come from a deterministic sequence (the same
on every backend), so that records, sort ties and query answers compare
directly.

The example budget is fixed for CI; raise it for a longer run:

    SUCCESSKIT_STATEFUL_EXAMPLES=500 SUCCESSKIT_STATEFUL_STEPS=60 pytest tests/test_stateful_differential.py
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, ClassVar

import attrs
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

import successkit as sk
from successkit.plans.cloning import ByStatus
from successkit.plans.objectives import OBJECTIVE_SORTS
from successkit.plans.templates import ALL
from successkit.records import RECORD_CLASSES
from successkit.records import base as records_base

from .conftest import SharedSchema
from .helpers import snapshot
from .stateful_signals import SignalRules, signal_world
from .test_differential import fields_of, groupings, queries

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=timezone.utc)

#: The CI budget; the environment raises it for a longer run.
EXAMPLES = int(os.environ.get("SUCCESSKIT_STATEFUL_EXAMPLES", "50"))
STEPS = int(os.environ.get("SUCCESSKIT_STATEFUL_STEPS", "30"))

#: Small pools, so that names clash (PLAN_02) and queries find ties.
NAMES = ["Acme", "acme", "Beta", "Gamma", "Ärger", "東京", "Zeta 9"]
STAGES = [None, "Onboarding", "Adoption", "Renewal", ""]
LICENSES = ["full", "full", "viewer", "viewer_analytics", "internal_collaborator"]
PLAN_TYPES = ["onboarding", "renewal", "business_review", "internal", "roi", "no_such_type"]
CTA_TYPES = ["risk", "expansion", "lifecycle", "activity", "renewal", "objective", "no_such_type"]
PRIORITIES = [None, "high", "medium", "low"]
STATUSES = {
    "plan": ["draft", "active", "closed", "no_such_status"],
    "objective": ["new", "work_in_progress", "closed_success", "closed_lost", "no_such_status"],
    "task": ["open", "in_progress", "complete", "cancelled"],
    "cta": ["new", "work_in_progress", "closed_success", "closed_lost"],
    "goal": ["not_started", "in_progress", "achieved", "not_achieved"],
}
MISSING = "no-such-record"
#: The store calls that write: a step none of them reached on any backend left the three states as they were.
WRITES = ("insert_many", "update_many", "delete_many", "index_custom_fields")

#: The record kinds queries run on, and the fields they filter and sort by.
CUSTOM_COMPANY_FIELDS = {"tier": "text", "fields.tier": "text", "score": "number", "fields.score": "number"}
QUERY_KINDS: dict[str, dict[str, str]] = {
    cls.__kind__: {**fields_of(cls), **(CUSTOM_COMPANY_FIELDS if cls is sk.Company else {})}
    for cls in RECORD_CLASSES
    if cls.__kind__
    in (
        "user",
        "company",
        "relationship",
        "plan",
        "objective",
        "task",
        "cta",
        "goal",
        "goal_link",
        "goal_history",
        "template_item",
        "person",
        "usage_fact",
        "survey_send",
        "survey_response",
        "activity",
        "attribute_change",
        "measure",
        "scorecard",
        "measure_entry",
        "score_override",
        "score_snapshot",
    )
}

SETTINGS = settings(
    max_examples=EXAMPLES,
    stateful_step_count=STEPS,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)


class SequentialIds:
    """Stands in for ``successkit.records.base.entropy``, where ``new_id`` draws its
    16 random bytes: here the bytes are a hash of a counter, so the n-th id
    drawn is the same on every backend (and ids still sort in no particular
    order, as real ones do)."""

    def __init__(self) -> None:
        self.drawn = 0

    def __call__(self, n: int) -> bytes:
        self.drawn += 1
        return hashlib.blake2b(self.drawn.to_bytes(8, "big"), digest_size=n).digest()


@attrs.define
class Outcome:
    """What one backend did with one operation: a result, or a refusal."""

    result: Any = None
    error: sk.SuccessKitError | None = None

    def key(self) -> Any:
        if self.error is None:
            return ("ok", self.result)
        e = self.error
        # A storage failure's message quotes the driver; everything else is the library's own words.
        message = None if isinstance(e, sk.StorageError) else str(e)
        return ("error", type(e).__name__, e.rule, message)


@attrs.define
class Stores:
    """Where each example's three stores live: a SQLite file per example, and the
    shared PostgreSQL schema, emptied before each example (every table, as between
    tests: the example's open finds what it would find on a new schema)."""

    tmp_path: Path
    pg: SharedSchema
    examples: int = 0

    def urls(self) -> dict[str, str]:
        self.examples += 1
        if self.examples > 1:
            self.pg.empty()
        return {
            "memory": "memory://",
            "sqlite": f"sqlite:///{self.tmp_path}/example-{self.examples}.db",
            "postgres": self.pg.url,
        }


class BackendsAgree(SignalRules, RuleBasedStateMachine):
    """Runs every operation on the three kits and checks that they agree."""

    stores: ClassVar[Stores]

    def __init__(self) -> None:
        super().__init__()
        self.clock = sk.FixedClock(NOW)
        self.kits: dict[str, sk.Kit] = {}
        try:
            for name, url in self.stores.urls().items():
                self.kits[name] = sk.open(url, clock=self.clock, entry_points=False)
        except BaseException:
            for kit in self.kits.values():
                kit.close()
            raise
        self.ref = self.kits["memory"]  # the reference: records to pick from are read here
        self.ids = SequentialIds()
        self.last_usage: list[dict[str, Any]] = []  # the last usage batch, to load again
        self.checked: tuple[int, ...] | None = None  # the write counts the states were last compared at
        self.ref_state: dict[str, list[dict[str, Any]]] = {}  # the reference's records then
        self._patch = pytest.MonkeyPatch()
        self._patch.setattr(records_base, "entropy", self.ids)

    def teardown(self) -> None:
        self._patch.undo()
        for kit in self.kits.values():
            kit.close()

    # --------------------------------------------------------------- running
    def on_all(self, operation: Callable[[sk.Kit], Any]) -> Outcome:
        """Run ``operation`` on every kit, each starting from the same id counter;
        they must all succeed with equal results or all refuse alike."""
        start = self.ids.drawn
        before = self.ref_state if self.checked == self.writes() else snapshot(self.ref)
        outcomes: dict[str, Outcome] = {}
        drawn = []
        for name, kit in self.kits.items():
            self.ids.drawn = start
            try:
                outcomes[name] = Outcome(result=operation(kit))
            except sk.SuccessKitError as e:
                outcomes[name] = Outcome(error=e)
            drawn.append(self.ids.drawn)
            assert not kit.store.in_transaction, f"{name}: a transaction was left open"
        self.ids.drawn = max(drawn)
        want = outcomes["memory"].key()
        for name, outcome in outcomes.items():
            assert outcome.key() == want, f"{name} disagrees with memory:\n  {outcome.key()!r}\n  {want!r}"
        if outcomes["memory"].error is not None:
            assert snapshot(self.ref) == before, "a refused operation changed the store (STORE_03)"
        return outcomes["memory"]

    def pick(self, data: st.DataObject, kind: str, *, missing: bool = True) -> str:
        """An existing record's id (now and then one that does not exist)."""
        ids = [r.id for r in self.ref.store.query(self.ref.bind(kind, sk.Query(sort=["id"])))]
        if not ids or (missing and data.draw(st.integers(0, 24), label=f"{kind} missing?") == 12):
            return MISSING
        return str(data.draw(st.sampled_from(ids), label=kind))

    def writes(self) -> tuple[int, ...]:
        """How many write calls each store has had."""
        return tuple(sum(kit.store.stats.calls[op] for op in WRITES) for kit in self.kits.values())

    def has(self, *kinds: str) -> bool:
        return all(self.ref.store.count(self.ref.bind(kind, sk.Query())) for kind in kinds)

    def maybe(self, data: st.DataObject, kind: str) -> str | None:
        return self.pick(data, kind) if data.draw(st.booleans(), label=f"{kind}?") else None

    def day(self, data: st.DataObject, label: str) -> date | None:
        offset = data.draw(st.none() | st.integers(-5, 60), label=label)
        return None if offset is None else self.clock().date() + timedelta(days=offset)

    # ------------------------------------------------------------ the checks
    @invariant()
    def same_state(self) -> None:
        """The three stores hold the very same records, field by field (compared
        again once a store has had a write call: reads and clock changes write nothing)."""
        writes = self.writes()
        if writes == self.checked:
            return
        states = {}
        for name, kit in self.kits.items():
            states[name] = snapshot(kit)  # one storage call
        want = states["memory"]
        for name, state in states.items():
            if state != want:
                raise AssertionError(f"{name} holds other records than memory:\n{_first_difference(want, state)}")
        self.checked, self.ref_state = writes, want

    # ----------------------------------------------------------------- setup
    @initialize()
    def small_world(self) -> None:
        """Custom fields, two users, two companies, a relationship and a plan with
        an objective and a task, people, a metric, a survey, measures and a default
        scorecard, so that every rule has something to work on."""

        def setup(kit: sk.Kit) -> None:
            with kit.transaction():  # one commit: the example starts sooner
                kit.custom_fields.declare("company", "tier", "dropdown", options=("Gold", "Silver", "gold"))
                kit.custom_fields.declare("company", "score", "number")
                product = kit.relationship_types.create("Product line")
                alice = kit.users.create("Alice", license="full")
                kit.users.create("Ian", license="internal_collaborator")
                acme = kit.companies.create("Acme", csm_id=alice.id)
                emea = kit.companies.create("Acme EMEA", parent=acme)
                kit.relationships.create(acme, product, "Analytics")
                plan = kit.plans.create("Onboarding", company=acme, plan_type="onboarding", owner=alice)
                objective = kit.objectives.create(plan, "Go live").record
                kit.tasks.create(objective, "Kick-off")
                signal_world(kit, acme, emea)

        self.on_all(setup)

    # ---------------------------------------------------------------- people
    @rule(name=st.sampled_from(NAMES), license=st.sampled_from(LICENSES), active=st.booleans())
    def create_user(self, name: str, license: str, active: bool) -> None:
        self.on_all(lambda kit: kit.users.create(name, license=license, active=active))

    # ------------------------------------------------------------- companies
    @rule(
        data=st.data(),
        name=st.sampled_from(NAMES),
        stage=st.sampled_from(STAGES),
        arr=st.none() | st.floats(0, 1e7, allow_nan=False),
    )
    def create_company(self, data: st.DataObject, name: str, stage: str | None, arr: float | None) -> None:
        parent = self.maybe(data, "company")
        self.on_all(lambda kit: kit.companies.create(name, parent=parent, stage=stage, arr=arr))

    @precondition(lambda self: self.has("company"))
    @rule(
        data=st.data(),
        stage=st.sampled_from(STAGES),
        nps=st.none() | st.integers(-100, 100),
        tier=st.sampled_from([None, "Gold", "Silver", "gold", "Bronze"]),
        score=st.none() | st.integers(-3, 3),
    )
    def update_company(
        self, data: st.DataObject, stage: str | None, nps: int | None, tier: str | None, score: int | None
    ) -> None:
        company = self.pick(data, "company")
        renewal = self.day(data, "renewal")
        csm = self.maybe(data, "user")
        self.on_all(
            lambda kit: kit.companies.update(
                company, stage=stage, nps=nps, renewal_date=renewal, csm_id=csm, fields={"tier": tier, "score": score}
            )
        )

    @precondition(lambda self: self.has("company"))
    @rule(data=st.data())
    def move_company(self, data: st.DataObject) -> None:
        company, parent = self.pick(data, "company"), self.maybe(data, "company")
        self.on_all(lambda kit: kit.companies.set_parent(company, parent))

    @precondition(lambda self: self.has("company"))
    @rule(data=st.data(), name=st.sampled_from(NAMES))
    def create_relationship(self, data: st.DataObject, name: str) -> None:
        company = self.pick(data, "company")
        self.on_all(lambda kit: kit.relationships.create(company, kit.relationship_types.by_name("Product line"), name))

    # ----------------------------------------------------------------- plans
    @precondition(lambda self: self.has("company", "user"))
    @rule(
        data=st.data(),
        name=st.sampled_from(NAMES),
        plan_type=st.sampled_from(PLAN_TYPES),
        status=st.sampled_from([None, None, "draft", "active", "closed"]),
    )
    def create_plan(self, data: st.DataObject, name: str, plan_type: str, status: str | None) -> None:
        company, owner = self.pick(data, "company"), self.pick(data, "user")
        relationship = self.pick(data, "relationship") if data.draw(st.integers(0, 3), label="rel?") == 0 else None
        due = self.day(data, "plan due")
        self.on_all(
            lambda kit: kit.plans.create(
                name,
                company=company,
                relationship=relationship,
                plan_type=plan_type,
                owner=owner,
                status=status,
                due_date=due,
            )
        )

    @precondition(lambda self: self.has("plan"))
    @rule(data=st.data(), status=st.sampled_from(STATUSES["plan"]))
    def set_plan_status(self, data: st.DataObject, status: str) -> None:
        """Closing a plan closes its open objectives and tasks (PLAN_05); a closed
        plan only goes back to an active status (PLAN_06)."""
        plan = self.pick(data, "plan")
        self.on_all(lambda kit: kit.plans.set_status(plan, status))

    @precondition(lambda self: self.has("plan"))
    @rule(data=st.data(), name=st.sampled_from([None, *NAMES]))
    def update_plan(self, data: st.DataObject, name: str | None) -> None:
        plan = self.pick(data, "plan")
        due = self.day(data, "plan due")
        changes: dict[str, Any] = {"due_date": due} if name is None else {"name": name, "due_date": due}
        self.on_all(lambda kit: kit.plans.update(plan, **changes))

    @precondition(lambda self: self.has("plan", "company"))
    @rule(
        data=st.data(),
        name=st.sampled_from([None, *NAMES]),
        objectives=st.sampled_from(["all", None, ByStatus("new"), ByStatus("closed_success", "work_in_progress")]),
        tasks=st.sampled_from(["all", None, ByStatus("open"), ByStatus("complete")]),
        status=st.sampled_from([None, "draft", "active"]),
    )
    def clone_plan(
        self, data: st.DataObject, name: str | None, objectives: Any, tasks: Any, status: str | None
    ) -> None:
        plan = self.pick(data, "plan")
        to = (
            self.pick(data, "relationship")
            if data.draw(st.integers(0, 3), label="to rel?") == 0
            else self.pick(data, "company")
        )
        owner = self.maybe(data, "user")
        self.on_all(
            lambda kit: kit.plans.clone(
                plan, to=to, name=name, objectives=objectives, tasks=tasks, status=status, owner=owner
            )
        )

    @precondition(lambda self: self.has("plan"))
    @rule(data=st.data())
    def delete_plan(self, data: st.DataObject) -> None:
        plan = self.pick(data, "plan")
        self.on_all(lambda kit: kit.plans.delete(plan))

    # ------------------------------------------------------------ objectives
    @precondition(lambda self: self.has("plan"))
    @rule(
        data=st.data(),
        name=st.sampled_from(NAMES),
        status=st.sampled_from([None, *STATUSES["objective"]]),
        priority=st.sampled_from(PRIORITIES),
    )
    def add_objective(self, data: st.DataObject, name: str, status: str | None, priority: str | None) -> None:
        plan = self.pick(data, "plan")
        owner = self.maybe(data, "user")
        due = self.day(data, "objective due")
        depends = [self.pick(data, "objective")] if self.has("objective") and data.draw(st.booleans()) else []
        self.on_all(
            lambda kit: kit.objectives.create(
                plan, name, owner=owner, due_date=due, status=status, priority=priority, depends_on=depends
            )
        )

    # ----------------------------------------------------------------- tasks
    @precondition(lambda self: self.has("objective") or self.has("cta"))
    @rule(data=st.data(), name=st.sampled_from(NAMES), status=st.sampled_from([None, *STATUSES["task"]]))
    def add_task(self, data: st.DataObject, name: str, status: str | None) -> None:
        on_cta = self.has("cta") and (not self.has("objective") or data.draw(st.booleans(), label="on cta?"))
        parent = self.pick(data, "cta" if on_cta else "objective")
        due = self.day(data, "task due")
        depends = [self.pick(data, "task")] if self.has("task") and data.draw(st.booleans()) else []
        self.on_all(lambda kit: kit.tasks.create(parent, name, due_date=due, status=status, depends_on=depends))

    @precondition(lambda self: self.has("task"))
    @rule(data=st.data(), kind=st.sampled_from(["task", "objective"]))
    def add_dependency(self, data: st.DataObject, kind: str) -> None:
        """Dependencies stay inside a plan and never make a cycle (TASK_01)."""
        if not self.has(kind):
            return
        item, on = self.pick(data, kind, missing=False), self.pick(data, kind, missing=False)

        def link(kit: sk.Kit) -> Any:
            service = kit.tasks if kind == "task" else kit.objectives
            return kit.tasks.add_dependency(service.get(item), service.get(on))

        self.on_all(link)

    @precondition(lambda self: self.has("task"))
    @rule(data=st.data())
    def delete_task(self, data: st.DataObject) -> None:
        task = self.pick(data, "task")
        self.on_all(lambda kit: kit.tasks.delete(task))

    # -------------------------------------------------------------- statuses
    @precondition(lambda self: self.has("objective") or self.has("task") or self.has("cta") or self.has("goal"))
    @rule(data=st.data(), kind=st.sampled_from(["objective", "task", "cta", "goal"]))
    def set_status(self, data: st.DataObject, kind: str) -> None:
        if not self.has(kind):
            return
        item = self.pick(data, kind)
        status = data.draw(st.sampled_from(STATUSES[kind]), label="status")

        def change(kit: sk.Kit) -> Any:
            service = {"objective": kit.objectives, "task": kit.tasks, "cta": kit.ctas, "goal": kit.goals}[kind]
            return service.set_status(item, status)  # type: ignore[attr-defined]

        self.on_all(change)

    # ------------------------------------------------------------- templates
    @rule(data=st.data(), name=st.sampled_from(NAMES), plan_type=st.sampled_from([ALL, "onboarding", "renewal"]))
    def create_template(self, data: st.DataObject, name: str, plan_type: str) -> None:
        objectives: list[dict[str, Any]] = []
        keys: list[str] = []

        def deps() -> list[str]:
            if not keys or not data.draw(st.booleans(), label="depends?"):
                return []
            return [data.draw(st.sampled_from(keys), label="dep")]

        for i in range(data.draw(st.integers(1, 3), label="objectives")):
            start = data.draw(st.integers(0, 10), label="start")
            tasks: list[dict[str, Any]] = []
            for j in range(data.draw(st.integers(0, 2), label="tasks")):
                tasks.append(
                    {
                        "name": f"T{i + 1}.{j + 1}",
                        "start_days": start,
                        "due_days": start + data.draw(st.integers(0, 5)),
                        "depends_on": deps(),
                    }
                )
                keys.append(f"{i + 1}.{j + 1}")
            objectives.append(
                {
                    "name": f"O{i + 1}",
                    "start_days": start,
                    "due_days": start + data.draw(st.integers(0, 20)),
                    "depends_on": deps(),
                    "tasks": tasks,
                }
            )
            keys.append(str(i + 1))
        self.on_all(lambda kit: kit.plan_templates.create(name, plan_type, objectives))

    @precondition(lambda self: self.has("plan", "plan_template"))
    @rule(data=st.data(), skip=st.sampled_from([(), ("1",), ("1.1", "2")]))
    def apply_template(self, data: st.DataObject, skip: tuple[str, ...]) -> None:
        plan, template = self.pick(data, "plan"), self.pick(data, "plan_template")
        on = self.day(data, "template on")
        self.on_all(lambda kit: kit.plans.apply_template(plan, template, on=on, skip=skip))

    # ------------------------------------------------------------------ CTAs
    @precondition(lambda self: self.has("company"))
    @rule(
        data=st.data(),
        name=st.sampled_from(NAMES),
        type=st.sampled_from(CTA_TYPES),
        priority=st.sampled_from(PRIORITIES),
        status=st.sampled_from([None, *STATUSES["cta"]]),
    )
    def create_cta(self, data: st.DataObject, name: str, type: str, priority: str | None, status: str | None) -> None:
        company, owner = self.pick(data, "company"), self.maybe(data, "user")
        due = self.day(data, "cta due")
        self.on_all(
            lambda kit: kit.ctas.create(
                name, company=company, type=type, owner=owner, priority=priority, status=status, due_date=due
            )
        )

    # ----------------------------------------------------------------- goals
    @precondition(lambda self: self.has("company"))
    @rule(data=st.data(), name=st.sampled_from([*NAMES, " "]), status=st.sampled_from([None, *STATUSES["goal"]]))
    def create_goal(self, data: st.DataObject, name: str, status: str | None) -> None:
        on_rel = self.has("relationship") and data.draw(st.booleans(), label="on relationship?")
        target: dict[str, Any] = (
            {"relationship": self.pick(data, "relationship")} if on_rel else {"company": self.pick(data, "company")}
        )
        due = self.day(data, "goal due")
        self.on_all(lambda kit: kit.goals.create(name, status=status, due_date=due, **target))

    @precondition(lambda self: self.has("goal") and (self.has("plan") or self.has("cta")))
    @rule(data=st.data(), kind=st.sampled_from(["plan", "cta"]), unlink=st.booleans())
    def link_goal(self, data: st.DataObject, kind: str, unlink: bool) -> None:
        """Goals link plans and CTAs of their own company (GOAL_03)."""
        goal, item = self.pick(data, "goal"), self.pick(data, kind)
        if unlink:
            self.on_all(lambda kit: kit.goals.unlink(goal, item, kind=kind))
        else:
            self.on_all(lambda kit: kit.goals.link(goal, item, kind=kind))

    @precondition(lambda self: self.has("goal", "user"))
    @rule(data=st.data(), name=st.sampled_from(NAMES), make=st.sampled_from(["plan", "cta"]))
    def create_from_goal(self, data: st.DataObject, name: str, make: str) -> None:
        """A plan or CTA made from a goal is created and linked in one transaction (GOAL_04)."""
        goal, owner = self.pick(data, "goal"), self.pick(data, "user")
        if make == "plan":
            self.on_all(lambda kit: kit.goals.create_plan(goal, name, plan_type="onboarding", owner=owner))
        else:
            self.on_all(lambda kit: kit.goals.create_cta(goal, name, type="risk", owner=owner))

    # ----------------------------------------------------------------- clock
    @rule(hours=st.sampled_from([1, 24, 24 * 7, 24 * 45]))
    def advance_clock(self, hours: int) -> None:
        self.clock.advance(hours=hours)

    # --------------------------------------------------------------- queries
    @rule(data=st.data(), kind=st.sampled_from(sorted(QUERY_KINDS)))
    def query(self, data: st.DataObject, kind: str) -> None:
        """Random filters, logic, sorts, paging and groups over any kind: the
        same records in the same order, the same counts and groups."""
        fields = QUERY_KINDS[kind]
        rows = list(self.ref.store.query(self.ref.bind(kind, sk.Query())))
        query = data.draw(queries(rows, fields), label="query")
        group = data.draw(groupings(fields), label="group")

        def ask(kit: sk.Kit) -> Any:
            bound = kit.bind(kind, query)
            return (
                list(kit.store.query(bound)),
                kit.store.count(bound),
                kit.store.group_counts(bound, kit.bind_group(kind, group)),
            )

        self.on_all(ask)

    @rule(
        data=st.data(),
        view=st.sampled_from(
            ["plan", "counts", "schedule", "objectives", "progress", "linked", "subtree", "ancestors", "cockpit"]
        ),
    )
    def read_view(self, data: st.DataObject, view: str) -> None:
        """The composite reads (a plan opened whole, counts, schedule, the objective
        list view, goal progress, hierarchies, a cockpit) answer alike."""
        kind = {
            "plan": "plan",
            "counts": "plan",
            "schedule": "plan",
            "objectives": "plan",
            "progress": "goal",
            "linked": "goal",
            "subtree": "company",
            "ancestors": "company",
            "cockpit": "user",
        }[view]
        target = self.pick(data, kind)
        sort = data.draw(st.sampled_from(OBJECTIVE_SORTS), label="sort")
        desc = data.draw(st.booleans(), label="descending")
        which = data.draw(st.sampled_from(["all", "open", "closed"]), label="view")

        readers: dict[str, Callable[[sk.Kit], Any]] = {
            "plan": lambda kit: kit.plans.open(target),
            "counts": lambda kit: kit.plans.counts(target),
            "schedule": lambda kit: kit.plans.schedule(target),
            "objectives": lambda kit: list(kit.objectives.view(target, view=which, sort=sort, descending=desc)),
            "progress": lambda kit: kit.goals.progress(target),
            "linked": lambda kit: kit.goals.linked(target),
            "subtree": lambda kit: kit.companies.subtree(target),
            "ancestors": lambda kit: kit.companies.ancestors(target),
            "cockpit": lambda kit: list(kit.ctas.cockpit(target, sort=["due_date", "-name"])),
        }
        self.on_all(readers[view])


def _first_difference(want: dict[str, list[dict[str, Any]]], got: dict[str, list[dict[str, Any]]]) -> str:
    for kind in sorted(set(want) | set(got)):
        a, b = {r["id"]: r for r in want.get(kind, [])}, {r["id"]: r for r in got.get(kind, [])}
        if a == b:
            continue
        only_want, only_got = sorted(set(a) - set(b)), sorted(set(b) - set(a))
        if only_want or only_got:
            return f"{kind}: only in memory {only_want}, only here {only_got}"
        for id_ in sorted(a):
            if a[id_] != b[id_]:
                fields = {
                    k: (a[id_].get(k), b[id_].get(k))
                    for k in a[id_].keys() | b[id_].keys()
                    if a[id_].get(k) != b[id_].get(k)
                }
                return f"{kind} {id_}: (memory, here) {fields}"
    return "(no difference found record by record)"


@pytest.mark.slow
def test_backends_agree_on_random_operation_sequences__STORE_02(
    pg_url: str, postgres_shared_schema: SharedSchema, tmp_path: Path
) -> None:
    """STORE_02 / STORE_03: random sequences of domain operations leave memory,
    SQLite and PostgreSQL with the same records and the same answers; refusals
    are alike and change nothing."""
    assert pg_url == postgres_shared_schema.url
    machine = type("BackendsAgreeRun", (BackendsAgree,), {"stores": Stores(tmp_path, postgres_shared_schema)})
    run_state_machine_as_test(machine, settings=SETTINGS)
