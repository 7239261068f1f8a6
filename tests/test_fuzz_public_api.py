"""SEC_05: every public method, given values of every type, refuses with a successkit
error or succeeds, and then stores the same thing on every backend.

The methods are found, not listed: every public method of every service a
kit offers (``kit.companies``, ``kit.plans``, ``kit.config``...), read with
:func:`inspect.signature`.  Three kits — memory, a SQLite file and a fresh
PostgreSQL schema — hold the same small world (users, companies, a
relationship, a plan with an objective and tasks, a CTA, a goal, templates,
a playbook, a rule, a share), built with the same deterministic ids.

Each example draws one method and arguments for it: now valid ids, records
and values that fit the parameter's name, now values of every other type
(None, booleans, huge integers, NaN, empty, NUL, lone-surrogate and very long
text, bytes, lists, dicts, sets, dates, naive and aware datetimes, records of
the wrong kind, plain objects).  The call runs on each kit inside a
transaction that is rolled back afterwards, so every example starts from the
same world.  It must either raise a :class:`successkit.SuccessKitError` or
succeed; when it succeeds, the record it returns must be the one stored, and
the three stores must hold exactly the same records (types included: ``5``
is not ``5.0``, a list is not a tuple).  All three must also agree on the
outcome: the same result, or the same error class and rule.

The CI budget is small; run longer with, for example::

    SUCCESSKIT_FUZZ_EXAMPLES=5000 pytest tests/test_fuzz_public_api.py
"""

from __future__ import annotations

import copy
import hashlib
import inspect
import itertools
import math
import os
import traceback
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import successkit as sk
from successkit.engagement import sharing
from successkit.query.language import OPERATORS
from successkit.records import Record
from successkit.records import base as records_base

from .conftest import PG_URL, postgres_missing

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=timezone.utc)

#: The CI budget (examples in all); raise it for a longer run.
EXAMPLES = int(os.environ.get("SUCCESSKIT_FUZZ_EXAMPLES", "1500"))

#: Methods that are not calls on stored data.
NOT_FUZZED = frozenset({"record_class"})


# ------------------------------------------------------------------ the methods
def public_methods() -> tuple[list[tuple[str, str]], dict[str, type[Record]]]:
    """(service, method) for every public method of every public service of a kit,
    and the record class of each service that has one."""
    kit = sk.open("memory://", clock=NOW, entry_points=False)
    try:
        out, classes = [], {}
        for name in sk.Kit.service_names():
            service = getattr(kit, name)
            cls = getattr(service, "record_class", None)
            if isinstance(cls, type) and issubclass(cls, Record):
                classes[name] = cls
            for method in dir(service):
                if method.startswith("_") or method in NOT_FUZZED:
                    continue
                if callable(getattr(service, method)) and not isinstance(getattr(service, method), type):
                    out.append((name, method))
        return sorted(out), classes
    finally:
        kit.close()


METHODS, SERVICE_CLASSES = public_methods()


# ------------------------------------------------------------------ determinism
class SequentialIds:
    """Stands in for ``successkit.records.base.entropy``: the n-th id drawn is the same
    on every backend."""

    def __init__(self) -> None:
        self.drawn = 0

    def __call__(self, n: int) -> bytes:
        self.drawn += 1
        return hashlib.blake2b(self.drawn.to_bytes(8, "big"), digest_size=n).digest()

    def token_urlsafe(self, n: int) -> str:
        """Share tokens from the same sequence (stands in for ``secrets`` in sharing)."""
        return self(n).hex()


# ------------------------------------------------------------------ the world
@attrs.define
class World:
    """The records every example can refer to (read from the memory kit)."""

    by_kind: dict[str, list[Record]]
    tokens: list[str]

    def records(self, kind: str) -> list[Record]:
        return self.by_kind.get(kind, [])


def build_world(kit: sk.Kit) -> list[str]:
    """A small workspace touching every service; returns the share tokens."""
    kit.config.update_plan_type("onboarding", sharing_enabled=True)
    kit.custom_fields.declare("company", "tier", "dropdown", options=("Gold", "Silver"))
    kit.custom_fields.declare("company", "score", "number")
    alice = kit.users.create("Alice", email="alice@example.com")
    bob = kit.users.create("Bob", license="viewer")
    kit.users.create("Ian", license="internal_collaborator")
    acme = kit.companies.create("Acme", csm_id=alice.id, fields={"tier": "Gold"})
    kit.companies.create("Acme EMEA", parent=acme)
    product = kit.relationship_types.create("Product line")
    rel = kit.relationships.create(acme, product, "Analytics")
    pat = kit.people.create("Pat", company=acme, email="pat@acme.example")
    book = kit.playbooks.create("Kickoff", [{"name": "Call", "due_days": 2}])
    kit.playbooks.create_email_template("Welcome", "Hello {name}")
    kit.plan_templates.create("Onboard", "onboarding", [{"key": "a", "name": "Go live", "due_days": 5}])
    plan = kit.plans.create("Onboarding", company=acme, plan_type="onboarding", owner=alice, due_date=date(2027, 3, 31))
    kit.plans.create("Renewal", company=acme, relationship=rel, plan_type="renewal", owner=bob)
    objective = kit.objectives.create(plan, "Go live", owner=alice, playbook=book).record
    kit.tasks.create(objective, "Kick-off", owner=pat)
    cta = kit.ctas.create("Risk", company=acme, type="risk", owner=alice).record
    goal_tpl = kit.goal_templates.create("Adoption", due_days=30)
    goal = kit.goals.create("Adopt", company=acme, template=goal_tpl)
    kit.goals.link(goal, cta)
    kit.timeline.log("note", "Met", company=acme)
    kit.timeline.log("call", "Plan call", plan=plan)
    kit.rules.create("Renewals", actions=[{"do": "log_activity", "type": "note", "subject": "x"}])
    cadence = kit.programs.create(
        "Cadence", steps=[{"do": "send_email", "template": "Welcome"}, {"do": "wait", "days": 2}]
    )
    kit.programs.enroll(cadence, [pat])
    kit.notifications.subscribe(alice)
    kit.measures.create("nps", source={"type": "field", "field": "nps", "map": {"linear": [-100, 100]}})
    kit.measures.create("sentiment", staleness_days=30)
    kit.scorecards.create("standard", default=True, measures=["nps", {"measure": "sentiment", "weight": 2}])
    kit.scorecards.set_value(acme, "sentiment", 70, comment="QBR")
    kit.scorecards.recompute()
    kit.layouts.create("exec", ["summary", "people"], user_groups=["execs"])
    grant = kit.sharing.share_with_user(plan, bob)
    return [grant.token]


# ------------------------------------------------------------------ values
class Thing:
    """A plain object: no record, no mapping, no number."""

    def __repr__(self) -> str:
        return "Thing()"


HOSTILE: list[Any] = [
    None, True, False, 0, -1, 7, 2**63, -(2**64), 10**40, 1.5, -0.0, math.nan, math.inf, -math.inf,
    "", " ", "\x00", "a\x00b", "\ud800", "x" * 5000, "🙂", "'; DROP TABLE company; --", "%", "_",
    b"bytes", bytearray(b"x"), [], [None], [1], ["a"], [[]], {}, {"a": 1}, {1: 2}, {"name": {}}, set(), {"a"},
    frozenset({1}), (), ("a",), (1, 2, 3), ("name", "=", "x"), date(2027, 1, 1), date.min, date.max,
    datetime(2027, 1, 1, 9, 0), datetime(2027, 1, 1, 9, 0, tzinfo=timezone.utc), timedelta(days=1),
    Thing(), object, 1j, Ellipsis, sk.Query(), sk.Condition("name", "=", "x"),
]  # fmt: skip

#: Parameter names and the record kinds whose ids or records fit them.
KIND_HINTS: dict[str, tuple[str, ...]] = {
    "plan": ("plan",), "plans": ("plan",), "company": ("company",), "to": ("company", "relationship"),
    "parent": ("company", "objective", "cta"), "relationship": ("relationship",),
    "user": ("user",), "owner": ("user", "person"), "author": ("user",), "principal": ("user", "person"),
    "person": ("person",), "participants": ("user", "person"), "associated_persons": ("person",),
    "objective": ("objective",), "item": ("objective", "cta", "task"), "on": ("task", "objective"),
    "task": ("task",), "goal": ("goal",), "goals": ("goal",), "template": ("plan_template", "goal_template"),
    "playbook": ("playbook",), "playbooks": ("playbook",), "rule": ("rule",), "share": ("share",),
    "activity": ("activity",), "obj": ("plan", "objective", "task", "cta"), "objs": ("plan", "objective"),
    "record": ("plan", "objective", "cta", "company", "relationship"), "records": ("company", "relationship"),
    "measure": ("measure",), "scorecard": ("scorecard",), "layout": ("view_layout",),
    "old": ("plan", "objective", "cta"), "new": ("plan", "objective", "cta"),
    "depends_on": ("task", "objective"), "items": ("objective", "cta", "task"), "type": ("relationship_type",),
    "ref": ("company", "user", "plan", "email_template"), "refs": ("company", "user", "plan"),
    "csm_id": ("user",), "owner_id": ("user",), "company_id": ("company",), "plan_id": ("plan",),
}  # fmt: skip

#: Plain values that fit a parameter name.
VALUE_HINTS: dict[str, list[Any]] = {
    "name": ["New name", "Acme", "Onboarding", "Go live"], "subject": ["Hello"], "title": ["T"],
    "sections": [["summary", "people"], ["people"]], "user_groups": [["execs"]], "groups": [["execs"], []],
    "plan_type": ["onboarding", "renewal", "roi", "ALL"], "key": ["onboarding", "roi", "objective.default_status",
                                                                  "task.close_status", "x"],
    "status": ["draft", "active", "closed", "new", "open", "complete", "closed_success", "in_progress"],
    "category": ["cta_type", "priority", "reason", "objective_category"],
    "kind": ["plan", "objective", "task", "cta", "goal", "company"],
    "record_kind": ["company", "relationship", "plan", "goal"],
    "record_set": ["goals", "goal_templates", "goal_links"], "action": ["read", "write", "change"],
    "event": ["plan_assigned", "cta_assigned"], "events": ["plan_assigned", ["cta_assigned"]],
    "delivery": ["realtime", "daily", "weekly"], "view": ["all", "open", "closed", "my"],
    "sort": ["name", "-name", ["due_date"], ("name", "desc"), "created_date"],
    "logic": ["1", "1 AND 2", "(1 OR 2) AND NOT 3", "1 OR", ")"],
    "by": ["status", sk.ByField("status"), sk.CalendarQuarter("due_date"), sk.FiscalQuarter("due_date", 13)],
    "due_date": [date(2027, 6, 1), "2027-06-01"], "start_date": [date(2026, 11, 1)], "until": [date(2027, 1, 1)],
    "expires_on": [date(2027, 1, 1)], "occurred_at": [NOW], "due": [date(2027, 5, 1)], "start": [date(2026, 12, 1)],
    "limit": [1, 5, 0, -1], "offset": [0, 2, -1], "timeline_limit": [3], "after": ["zzz"],
    "type": ["risk", "note", "call", "text", "number", "dropdown"], "priority": ["high", "low"],
    "reason": ["churn"], "bundle": ["onboarding", "renewal", "ebr"], "token": [], "link": [],
    "actions": [[{"do": "log_activity", "type": "note", "subject": "s"}]], "target": ["company", "relationship"],
    "steps": [[{"name": "Call"}], [{"name": "Mail", "email_template": "Welcome"}]],
    "objectives": ["all", [{"name": "O1", "due_days": 3}]], "tasks": ["all"],
    "options": [("A", "B")], "fields": [{"tier": "Gold"}, {"score": 3}, {"nope": 1}],
    "source": [{"type": "manual"}, {"type": "field", "field": "arr", "map": {"linear": [0, 1e6]}}, {"type": "x"}],
    "measures": [["nps"], [{"measure": "sentiment", "weight": 3}, "nps"], [{"measure": "nps", "weight": -1}]],
    "scheme": [{"type": "grade"}, None], "period": ["day", "week", "month"], "na_policy": ["exclude", "fixed"],
    "where": [[("arr", ">", 10)]], "label": ["Label"], "comment": ["Fine"], "as_of": [date(2026, 11, 20)],
    "since": [date(2026, 11, 1)], "staleness_days": [10, None], "na_value": [50], "trend_tolerance": [2],
    "to": [["a@b.example"]], "text": ["Ad"], "search": ["Go"], "email": ["x@y.example"],
    "license": ["full", "viewer"], "reassign_tasks": ["previous", "all"],
    "value": ["new", "closed_lost", None, 50, 12.5, "B"],
}  # fmt: skip

#: Keyword names tried on ``**options`` parameters (plus the record's own fields).
EXTRA_KEYWORDS = [
    "name",
    "status",
    "owner",
    "due_date",
    "objectives",
    "tasks",
    "copy_plan_info",
    "dry_run",
    "skip",
    "overrides",
    "holidays",
    "on",
    "business_days",
    "company",
    "relationship",
    "plan",
    "type",
    "reason",
    "notes",
    "columns",
    "extra_columns",
    "group_by",
    "sort",
    "where",
    "logic",
    "statuses",
    "sharing_enabled",
    "objective_due_days",
    "active",
    "fields",
    "bogus",
]


class Draw:
    """Draws arguments for one call from hypothesis data and the world."""

    def __init__(self, data: st.DataObject, world: World) -> None:
        self.data = data
        self.world = world

    def pick(self, label: str, options: list[Any]) -> Any:
        return self.data.draw(st.sampled_from(options), label=label) if options else None

    def hostile(self, label: str) -> Any:
        choice = self.data.draw(st.integers(0, 7), label=f"{label}: how hostile")
        if choice == 0:
            return self.data.draw(st.text(max_size=20), label=label)
        if choice == 1:
            return self.data.draw(st.integers() | st.floats(), label=label)
        if choice == 2:  # a record of any kind
            kind = self.pick(label, sorted(self.world.by_kind))
            return self.pick(label, self.world.records(kind))
        return self.pick(label, HOSTILE)

    def fitting(self, name: str) -> list[Any]:
        """Values that fit a parameter named ``name``: records of its kinds, their ids, plain values."""
        options: list[Any] = list(VALUE_HINTS.get(name, []))
        if name == "token":
            options += self.world.tokens
        if name == "link":
            options += [f"objective:{r.id}" for r in self.world.records("objective")]
        for kind in KIND_HINTS.get(name, ()):
            for r in self.world.records(kind):
                options += [r, r.id]
        if name in ("where",):
            options += [[("name", "=", "Acme")], [("status", "in", ["new", "open"])], [("nope", "=", 1)]]
        return options

    def value(self, name: str, depth: int = 0) -> Any:
        """A value for a parameter: mostly fitting, sometimes anything, sometimes a container."""
        fitting = self.fitting(name)
        choice = self.data.draw(st.integers(0, 9), label=f"{name}: kind of value")
        if fitting and choice < 5:
            value = self.pick(name, fitting)
            if name in (
                "plans",
                "goals",
                "refs",
                "playbooks",
                "participants",
                "associated_persons",
                "depends_on",
                "items",
                "objs",
            ) and not isinstance(value, (list, tuple)):
                return [value]
            return value
        if choice < 8 or depth > 1:
            return self.hostile(name)
        return self.container(name, depth)

    def container(self, name: str, depth: int) -> Any:
        shape = self.data.draw(st.sampled_from(["list", "tuple", "dict", "set", "where"]), label=f"{name}: shape")
        items = [self.value(name, depth + 1) for _ in range(self.data.draw(st.integers(0, 3), label="size"))]
        if shape == "list":
            return items
        if shape == "tuple":
            return tuple(items)
        if shape == "set":
            return {i for i in items if _hashable(i)}
        if shape == "where":
            field = self.pick("field", ["name", "status", "due_date", "fields.tier", "tier", "score", "id", "x"])
            op = self.pick("op", [*OPERATORS, "bogus"])
            return [(field, op, items[0] if items else None)]
        keys = [self.pick("key", [*EXTRA_KEYWORDS, "a", 1, None]) for _ in items]
        return {k: v for k, v in zip(keys, items, strict=True) if _hashable(k)}

    def call(self, service: str, method: str, signature: inspect.Signature) -> tuple[list[Any], dict[str, Any]]:
        """Positional and keyword arguments for ``service.method``."""
        args: list[Any] = []
        kwargs: dict[str, Any] = {}
        for p in signature.parameters.values():
            if p.kind is p.VAR_POSITIONAL:
                continue
            if p.kind is p.VAR_KEYWORD:
                for _ in range(self.data.draw(st.integers(0, 3), label=f"{p.name}: how many")):
                    key = self.pick("keyword", self.keywords(service, signature))
                    kwargs[key] = self.value(key)
                continue
            if p.default is not p.empty and self.data.draw(st.booleans(), label=f"omit {p.name}?"):
                continue
            value = self.value(p.name)
            if p.name == "path":  # never write files outside the test's directory
                value = None
            if p.kind is p.POSITIONAL_OR_KEYWORD and not kwargs:
                args.append(value)
            else:
                kwargs[p.name] = value
        return args, kwargs

    def keywords(self, service: str, signature: inspect.Signature) -> list[str]:
        """Keyword names for ``**options``: the service's record fields and common options,
        not the method's own parameters."""
        cls = SERVICE_CLASSES.get(service)
        own = [f.name for f in attrs.fields(cls)] if cls is not None else []
        return sorted({*own, *EXTRA_KEYWORDS} - set(signature.parameters))


def _hashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


# ------------------------------------------------------------------ comparing
def shape(value: Any, depth: int = 0) -> Any:
    """A comparable form of a result or record that keeps types: 5 is not 5.0,
    a list is not a tuple, NaN equals NaN."""
    if depth > 12:
        return ("deep",)
    if isinstance(value, Record):
        return (
            value.__kind__,
            tuple((f.name, shape(getattr(value, f.name), depth + 1)) for f in attrs.fields(type(value))),
        )
    if isinstance(value, float):
        return ("float", repr(value))
    if value is None or isinstance(value, (bool, int, str, bytes, date, timedelta)):
        return (type(value).__name__, value)
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, tuple(shape(v, depth + 1) for v in value))
    if isinstance(value, (set, frozenset)):
        return (type(value).__name__, tuple(sorted(repr(shape(v, depth + 1)) for v in value)))
    if isinstance(value, Mapping):
        return ("map", tuple(sorted((repr(k), shape(v, depth + 1)) for k, v in value.items())))
    if attrs.has(type(value)):
        return (
            type(value).__name__,
            tuple(
                (f.name, shape(getattr(value, f.name), depth + 1)) for f in attrs.fields(type(value)) if f.name != "kit"
            ),
        )
    if isinstance(value, Iterator):
        return ("iter", tuple(shape(v, depth + 1) for v in itertools.islice(value, 200)))
    return ("object", type(value).__name__)


def returned_records(result: Any) -> list[Record]:
    """The records a call handed back as what it made or changed."""
    if isinstance(result, Record):
        return [result]
    if isinstance(result, sk.Outcome) and isinstance(result.record, Record):
        return [result.record]
    return []


def state(kit: sk.Kit) -> dict[str, Any]:
    """Every record of every kind, in a type-keeping comparable form."""
    return {
        kind: [shape(r) for r in kit.store.query(kit.bind(kind, sk.Query(sort=["id"])))]
        for kind in sorted(kit.store.schemas)
    }


class Rollback(Exception):
    """Raised at the end of every call so that the example leaves no trace."""


@attrs.define
class Result:
    """What one backend did with one call."""

    outcome: Any = None
    failure: str | None = None  # an exception that is not a successkit error, with its traceback


def run_on(kit: sk.Kit, ids: SequentialIds, call: Callable[[sk.Kit], Any]) -> Result:
    ids.drawn = 1_000_000
    out = Result()
    try:
        with kit.transaction():
            try:
                result = call(kit)
                got = shape(result)
                stored = [(shape(r), shape(_reread(kit, r))) for r in returned_records(result)]
                for returned, now_stored in stored:
                    if now_stored != ("gone",) and returned != now_stored:
                        out.failure = f"returned record is not what is stored:\n  {returned}\n  {now_stored}"
                out.outcome = ("ok", got, state(kit))
            except sk.SuccessKitError as e:
                out.outcome = ("error", type(e).__name__, e.rule)
            raise Rollback
    except Rollback:
        pass
    except sk.SuccessKitError as e:  # the rollback itself failed in the library's words
        out.outcome = ("error", type(e).__name__, e.rule)
    except Exception:
        out.failure = traceback.format_exc(limit=-8)
    assert not kit.store.in_transaction, "a transaction was left open"
    return out


def _reread(kit: sk.Kit, record: Record) -> Any:
    try:
        return kit.store.get(record.__kind__, record.id)
    except sk.NotFound:
        return None


# ------------------------------------------------------------------ the test
@attrs.define(repr=False)
class Worlds:
    """The three kits holding the same world, and the id sequence they share."""

    kits: dict[str, sk.Kit]
    world: World
    ids: SequentialIds

    def __repr__(self) -> str:
        return f"Worlds({', '.join(self.kits)})"


@contextmanager
def open_worlds(tmp: Path) -> Iterator[Worlds]:
    """The three kits with the same world, record ids drawn deterministically."""
    reason = postgres_missing()
    urls = {"memory": "memory://", "sqlite": f"sqlite:///{tmp}/fuzz.db"}
    schema = None
    if reason is None:
        schema = f"sk_fuzz_{os.urandom(6).hex()}"
        urls["postgres"] = f"{PG_URL}?schema={schema}"
    elif os.environ.get("CI") == "true":
        pytest.fail(f"CI runs every test on PostgreSQL, but {reason}")
    ids = SequentialIds()
    patch = pytest.MonkeyPatch()
    patch.setattr(records_base, "entropy", ids)
    patch.setattr(sharing, "secrets", ids)
    kits: dict[str, sk.Kit] = {}
    try:
        tokens: list[str] = []
        for name, url in urls.items():
            kits[name] = sk.open(url, clock=sk.FixedClock(NOW), entry_points=False)
            ids.drawn = 0
            tokens = build_world(kits[name])
        ref = kits["memory"]
        world = World(
            {kind: list(ref.store.query(ref.bind(kind, sk.Query(sort=["id"])))) for kind in sorted(ref.store.schemas)},
            tokens,
        )
        yield Worlds(kits, world, ids)
    finally:
        patch.undo()
        for kit in kits.values():
            kit.close()
        if schema is not None:
            import psycopg

            with psycopg.connect(PG_URL, autocommit=True) as conn:
                conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


@pytest.fixture(scope="module")
def worlds(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Worlds]:
    with open_worlds(tmp_path_factory.mktemp("fuzz")) as opened:
        yield opened


def check_call(
    kits: dict[str, sk.Kit], service: str, method: str, args: list[Any], kwargs: dict[str, Any], ids: SequentialIds
) -> None:
    """Run one call on every kit: no foreign exception, and every backend agrees."""
    shown = f"kit.{service}.{method}(*{args!r:.300}, **{kwargs!r:.300})"
    results = {}
    for name, kit in kits.items():
        a, kw = copy.deepcopy(args), copy.deepcopy(kwargs)

        def call(k: sk.Kit, a: list[Any] = a, kw: dict[str, Any] = kw) -> Any:
            return getattr(getattr(k, service), method)(*a, **kw)

        results[name] = run_on(kit, ids, call)
        if results[name].failure:
            raise AssertionError(f"{name}: {shown}\n{results[name].failure}")
    want = results["memory"].outcome
    for name, result in results.items():
        if result.outcome != want:
            raise AssertionError(
                f"{name} disagrees with memory on {shown}:\n  {_brief(result.outcome)}\n  {_brief(want)}"
            )


def _brief(outcome: Any) -> str:
    return repr(outcome)[:3000]


@pytest.mark.slow
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_every_public_method_refuses_or_agrees__SEC_05(worlds: Worlds, data: st.DataObject) -> None:
    """Any value of any type at any public method: a successkit error or the same
    stored result on every backend (SEC_05, STORE_02)."""
    kits, world, ids = worlds.kits, worlds.world, worlds.ids
    service, method = data.draw(st.sampled_from(METHODS), label="method")
    signature = inspect.signature(getattr(getattr(kits["memory"], service), method))
    args, kwargs = Draw(data, world).call(service, method, signature)
    check_call(kits, service, method, args, kwargs, ids)


def test_every_service_method_is_fuzzed__SEC_05() -> None:
    """The fuzz test finds the services by itself; a new one is covered without a change here."""
    services = {s for s, _ in METHODS}
    assert {"companies", "plans", "config", "goals", "sharing", "notifications", "bundles"} <= services
    assert len(METHODS) > 250
