"""Work bounded by its input (SEC_07): critical path, bundle deploys, formatted
text and bundle documents.

Bounds are proved by counting operations where the code can be observed from
outside (ids that count their hash and equality calls, storage reads counted
per deploy), so no test depends on the speed of the machine.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import attrs
import pytest

import successkit as sk
from successkit.plans.schedule import ScheduleRow
from successkit.views.gantt import critical_path

DAY = date(2027, 1, 1)


class CountedId(str):
    """An id that counts every hash and comparison made with it (one shared
    counter); past ``budget`` it stops the work, so a slow algorithm fails fast."""

    calls = 0
    budget = 0

    @staticmethod
    def _count() -> None:
        CountedId.calls += 1
        if CountedId.calls > CountedId.budget:
            raise AssertionError(f"more than {CountedId.budget} id operations")

    def __hash__(self) -> int:
        CountedId._count()
        return str.__hash__(self)

    def __eq__(self, other: object) -> bool:
        CountedId._count()
        return str.__eq__(self, other)

    __ne__ = lambda self, other: not self.__eq__(other)  # noqa: E731


def _row(id: str, start: int, due: int | None, deps: tuple[str, ...]) -> ScheduleRow:
    return ScheduleRow(
        "task",
        id,
        id,
        1,
        None,
        DAY + timedelta(days=start),
        None if due is None else DAY + timedelta(days=due),
        "new",
        "open",
        None,
        "user",
        deps,
        False,
    )


def _chain(n: int, make: type[str] = CountedId) -> list[ScheduleRow]:
    """Item i waits for item i-1 and all end on one day: every item is a candidate end."""
    ids = [make(f"t{i}") for i in range(n)]
    return [_row(ids[i], 0, 10, (ids[i - 1],) if i else ()) for i in range(n)]


def _operations(rows: list[ScheduleRow]) -> tuple[list[str], int]:
    """The path and how many id operations it took (at most 40 per item: a few dict operations each)."""
    CountedId.calls, CountedId.budget = 0, 40 * len(rows)
    path = critical_path(rows)
    return path, CountedId.calls


def test_critical_path_work_grows_linearly__SEC_07() -> None:
    """Ten times the items costs about ten times the id operations (it was
    cubic: 2,000 items took 22.7 s, 20,000 did not finish)."""
    small, large = _chain(2_000), _chain(20_000)
    path, few = _operations(small)
    assert path == [r.id for r in small]
    path, many = _operations(large)
    assert path == [r.id for r in large]
    assert many <= 11 * few, (few, many)


def test_critical_path_of_50000_items__SEC_07() -> None:
    """A 50,000-item chain sharing one end date (hours before; well under a second now)."""
    rows = _chain(50_000, str)
    assert critical_path(rows) == [r.id for r in rows]


def _reference(rows: list[ScheduleRow]) -> list[str]:
    """The walk as first written (quadratic per chain), for comparing results."""
    by_id = {r.id: r for r in rows}
    order = {r.id: i for i, r in enumerate(rows)}
    drivers: dict[str, str] = {}
    for r in rows:
        preds = [by_id[d] for d in r.depends_on if d in by_id and d != r.id]
        if preds:
            drivers[r.id] = max(preds, key=lambda p: (p.due or p.start, -order[p.id])).id

    def chain(id: str) -> list[str]:
        out = [id]
        while out[-1] in drivers and drivers[out[-1]] not in out:
            out.append(drivers[out[-1]])
        return out[::-1]

    last = max((r.due or r.start) for r in rows)
    return max((chain(r.id) for r in rows if (r.due or r.start) == last), key=len)


def test_critical_path_matches_the_plain_walk__SEC_07() -> None:
    """On random small schedules (cycles, unknown ids, ties) the result is the plain walk's."""
    import random

    rnd = random.Random(7)
    for _ in range(3_000):
        n = rnd.randint(1, 9)
        ids = [f"i{k}" for k in range(n)]
        rows: list[Any] = []
        for k in range(n):
            deps = tuple(rnd.choice([*ids, "gone"]) for _ in range(rnd.randint(0, 3)))
            start = rnd.randint(0, 5)
            rows.append(_row(ids[k], start, rnd.choice([None, start + rnd.randint(0, 4)]), deps))
        assert critical_path(rows) == _reference(rows), rows


# ------------------------------------------------------------------ bundle deploys
def _bundle(n: int) -> dict[str, Any]:
    """n of each configuration choice, n email templates, and n playbooks and plan
    templates referring to templates and playbooks stored before."""
    return {
        "format": 1,
        "name": f"big-{n}",
        "cta_types": [{"key": f"type{n}-{i}", "name": f"Type {i}"} for i in range(n)],
        "reasons": [{"key": f"reason{n}-{i}", "name": f"Reason {i}"} for i in range(n)],
        "email_templates": [{"name": f"Mail {n}-{i}", "subject": "Hello"} for i in range(n)],
        "playbooks": [
            {"name": f"Book {n}-{i}", "steps": [{"name": "Call", "email_template": f"Stored mail {i}"}]}
            for i in range(n)
        ],
        "plan_templates": [
            {
                "name": f"Plan {n}-{i}",
                "plan_type": "onboarding",
                "objectives": [{"name": "Start", "playbook": f"Stored book {i}"}],
            }
            for i in range(n)
        ],
    }


def _reads(kit: sk.Kit, monkeypatch: pytest.MonkeyPatch, bundle: dict[str, Any]) -> Counter[str]:
    """Queries (lists, not counts or gets by id) made while deploying, per record kind."""
    seen: Counter[str] = Counter()
    query = kit.store.query

    def counted(bound: Any) -> Any:
        seen[bound.kind] += 1
        return query(bound)

    with monkeypatch.context() as m:
        m.setattr(kit.store, "query", counted)
        assert kit.bundles.deploy(bundle).created == 5 * len(bundle["reasons"])
    return seen


def test_bundle_deploy_reads_each_kind_once__SEC_07(kit: sk.Kit, monkeypatch: pytest.MonkeyPatch) -> None:
    """The queries a deploy makes do not grow with the bundle (one read per kind,
    then dict lookups): 4,000 reasons took 25 s, re-reading the configuration
    after each one, and every reference to a stored asset was a query of its own."""
    for i in range(30):
        mail = kit.playbooks.create_email_template(f"Stored mail {i}", "Hi")
        kit.playbooks.create(f"Stored book {i}", [{"name": "Call", "email_template": mail.id}])
    _reads(kit, monkeypatch, _bundle(1))  # caches filled (custom fields, plan types)
    few, many = _reads(kit, monkeypatch, _bundle(3)), _reads(kit, monkeypatch, _bundle(30))
    assert many == few, (few, many)
    assert kit.config.items("reason")[-1].key == "reason30-29"  # still in bundle order, after the others
    assert len(kit.config.items("cta_type", include_inactive=True)) == len(
        {i.key for i in kit.config.items("cta_type", include_inactive=True)}
    )


# ------------------------------------------------------------------ formatted text
@pytest.mark.parametrize(
    "template",
    [
        "{name:>20000000}",
        "{company:.500}",
        "{name:x<101}",
        "{name:9>" + "9" * 5000 + "}",
        "{name:{name[0]}>5}",
        "x" * 501,
    ],
)
def test_rule_text_with_huge_format_width_is_refused__RULE_01_SEC_07(kit: sk.Kit, template: str) -> None:
    """A 16-character name made 20 MB CTA names; wide specs and long templates are refused at creation."""
    for action in (
        {"do": "create_cta", "name": template, "type": "risk"},
        {"do": "log_activity", "type": "note", "subject": template},
    ):
        with pytest.raises(sk.RuleViolation, match="SEC_07") as e:
            kit.rules.create("Wide", actions=[action])
        assert e.value.rule == "RULE_01"
    assert kit.rules.count() == 0


def test_rule_text_within_limits_is_kept__RULE_01_SEC_07(kit: sk.Kit) -> None:
    kit.rules.create(
        "Narrow", actions=[{"do": "create_cta", "name": "{name:>10}|{company:.3}|{name:0>100}", "type": "risk"}]
    )
    kit.companies.create("Acme", csm_id=kit.users.create("Alice", license="full").id)
    (run,) = kit.rules.run_all()
    (cta,) = kit.ctas.list()
    assert cta.name == f"{'Acme':>10}|Acm|{'Acme':0>100}".strip()  # stripped, as every CTA name is
    assert run.created == 1


def test_formatted_names_are_cut_to_the_limit__SEC_07(kit: sk.Kit) -> None:
    """A company named with 1,000 characters gives a CTA, a plan and an activity of at most MAX_TEXT characters."""
    from successkit.automation.rules import MAX_TEXT

    company = kit.companies.create("A" * 1_000, csm_id=kit.users.create("Alice", license="full").id)
    kit.rules.create(
        "Long",
        actions=[
            {"do": "create_cta", "name": "Call {name} of {company}", "type": "risk"},
            {"do": "create_plan", "name": "Plan {name}", "plan_type": "onboarding"},
            {"do": "log_activity", "type": "note", "subject": "{name}"},
        ],
    )
    kit.rules.run("Long")
    texts = [kit.ctas.list()[0].name, kit.plans.list()[0].name, kit.timeline.company(company).activities[0].subject]
    assert [len(t) for t in texts] == [MAX_TEXT] * 3, texts
    assert all(t.endswith("\u2026") for t in texts), [t[-3:] for t in texts]
    assert kit.rules.run("Long").created == 0  # cut the same way, so recognised again (RULE_02)


def _deploy_work(kit: sk.Kit, monkeypatch: pytest.MonkeyPatch, tag: str, n: int) -> tuple[int, int]:
    """(store calls, rows examined by the memory store) deploying n email templates and n playbooks."""
    from successkit.query import evaluate

    calls, rows = [0], [0]
    matches = evaluate.matches

    def counted_match(node: Any, record: Any) -> bool:
        rows[0] += 1
        return matches(node, record)

    bundle = {
        "format": 1,
        "name": f"b-{tag}",
        "email_templates": [{"name": f"Mail {tag}-{i}", "subject": "Hi"} for i in range(n)],
        "playbooks": [
            {"name": f"Book {tag}-{i}", "steps": [{"name": "Call", "email_template": f"Mail {tag}-{i}"}]}
            for i in range(n)
        ],
    }
    with monkeypatch.context() as m:
        m.setattr(evaluate, "matches", counted_match)
        for name in ("query", "count", "get", "get_many", "insert_many", "update_many"):
            method = getattr(kit.store, name)
            m.setattr(kit.store, name, lambda *a, _f=method, **k: (calls.__setitem__(0, calls[0] + 1), _f(*a, **k))[1])
        assert kit.bundles.deploy(bundle).created == 2 * n
    return calls[0], rows[0]


def test_bundle_deploy_work_per_asset_does_not_grow_with_the_store__SEC_07(
    kit: sk.Kit, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Deploying templates and playbooks was quadratic on memory:// (8,000 took 67 s):
    every create checked its name with a count that scanned the kind.  Equality
    lookups are indexed: the rows a deploy examines and the store calls it makes
    are the same whether 10 or 400 templates are stored already."""
    _deploy_work(kit, monkeypatch, "warm", 2)  # caches filled
    small = _deploy_work(kit, monkeypatch, "a", 10)
    kit.bundles.deploy(
        {
            "format": 1,
            "name": "filler",
            "email_templates": [{"name": f"Filler {i}", "subject": "Hi"} for i in range(400)],
            "playbooks": [{"name": f"Filler book {i}", "steps": [{"name": "Call"}]} for i in range(400)],
        }
    )
    big = _deploy_work(kit, monkeypatch, "b", 10)
    assert big == small, (small, big)
    twice = _deploy_work(kit, monkeypatch, "c", 20)
    assert twice[0] - big[0] <= 10 * 6, (big, twice)  # a few store calls per asset
    if kit.store.scheme == "memory":
        assert twice[1] <= 2 * big[1] + 10, (big, twice)  # rows examined: a few per asset


def test_memory_store_equality_lookups_match_the_scan__SEC_07(monkeypatch: pytest.MonkeyPatch) -> None:
    """The memory store's equality index answers as the full scan does, through updates,
    deletes and rollbacks."""
    from successkit.storage import memory

    kit = sk.open("memory://")
    a = kit.playbooks.create_email_template("A", "s")
    b = kit.playbooks.create_email_template("B", "s")

    def names(where: Any) -> list[str]:
        return sorted(r.name for r in kit.store.query(kit.bind("email_template", sk.Query(conditions=where))))

    assert names([("name", "=", "A")]) == ["A"]
    kit.store.update(attrs.evolve(a, name="C", version=a.version + 1), a.version)
    assert names([("name", "=", "A")]) == [] and names([("name", "in", ["C", "B"])]) == ["B", "C"]
    with pytest.raises(RuntimeError), kit.transaction():
        kit.store.delete("email_template", b.id)
        assert names([("name", "=", "B")]) == []
        raise RuntimeError
    assert names([("name", "=", "B")]) == ["B"]
    with monkeypatch.context() as m:  # the same answers without the index
        m.setattr(memory.MemoryStore, "_candidates", lambda self, kind, where: None)
        assert names([("name", "=", "B")]) == ["B"] and names([("name", "in", ["C", "A"])]) == ["C"]


def test_text_fields_have_documented_size_limits__SEC_07(kit: sk.Kit) -> None:
    """Plan, CTA and company names and email subjects of 5,000,000 characters were stored;
    names and other short text hold at most 1,000 characters, long text (descriptions,
    comments, bodies) 100,000, refused with a SEC_07 error naming the field and the length."""
    from successkit.records.checks import LONG_TEXT_MAX, SHORT_TEXT_MAX

    from .helpers import World, snapshot

    w = World(kit)
    plan, huge = w.plan(), "x" * 5_000_000
    before = snapshot(kit)
    calls: list[tuple[str, Callable[[], object]]] = [
        ("plan name", lambda: kit.plans.create(huge, company=w.acme, plan_type="onboarding", owner=w.alice)),
        ("cta name", lambda: kit.ctas.create(huge, company=w.acme, type="risk", owner=w.alice)),
        ("company name", lambda: kit.companies.create(huge)),
        ("email template subject", lambda: kit.playbooks.create_email_template("Mail", huge)),
        ("email template body", lambda: kit.playbooks.create_email_template("Mail", "Hi", "b" * 100_001)),
        ("plan name", lambda: kit.plans.update(plan, name="n" * 1_001)),
    ]
    for what, call in calls:
        with pytest.raises(sk.ValidationError, match=what) as e:
            call()
        assert e.value.rule == "SEC_07" and e.value.value in (5_000_000, 100_001, 1_001), e.value
    assert snapshot(kit) == before
    mail = kit.playbooks.create_email_template("m" * SHORT_TEXT_MAX, "s" * SHORT_TEXT_MAX, "b" * LONG_TEXT_MAX)
    assert kit.playbooks.email_template(mail.id).body == "b" * LONG_TEXT_MAX
    assert kit.companies.create("\u00e9" * SHORT_TEXT_MAX).name == "\u00e9" * SHORT_TEXT_MAX


def test_custom_field_values_are_bounded__SEC_07(kit: sk.Kit) -> None:
    """A custom value holds at most 100,000 characters, declared text or undeclared JSON
    data; a longer one is refused with SEC_07 and its size, and nothing is written."""
    kit.custom_fields.declare("company", "notes_long", "text")
    fits = kit.companies.create("Fits", fields={"notes_long": "x" * 100_000, "tags": ["y" * 99_000]})
    assert len(kit.companies.get(fits.id).fields["notes_long"]) == 100_000
    for fields in ({"notes_long": "x" * 100_001}, {"blob": {"k": "z" * 100_000}}):
        with pytest.raises(sk.ValidationError) as e:
            kit.companies.create("Too big", fields=fields)
        assert e.value.rule == "SEC_07" and isinstance(e.value.value, int) and e.value.value > 100_000
        with pytest.raises(sk.ValidationError, match="SEC_07"):
            kit.companies.update(fits, fields=fields)
    assert [c.name for c in kit.companies.list()] == ["Fits"]


def _goals_with_work(kit: sk.Kit, n: int) -> None:
    """``n`` goals linked to none, one or two CTAs, half of which are closed successfully."""
    now = kit.now()
    stamp: dict[str, Any] = {"created_at": now, "updated_at": now}
    ctas = [
        sk.Cta(**stamp, name=f"C{i}", company_id="c", status=("new", "closed_success")[i % 2], start_date=DAY)
        for i in range(4)
    ]
    goals = [sk.Goal(**stamp, name=f"G{i}", company_id="c", status="in_progress") for i in range(n)]
    links = [
        sk.GoalLink(**stamp, goal_id=g.id, item_kind="cta", item_id=c.id, company_id="c")
        for i, g in enumerate(goals)
        for c in ctas[i % 3 : i % 3 + i % 3]
    ]
    kit.store.insert_many([*ctas, *goals, *links])


@pytest.mark.parametrize(
    ("args", "calls"),
    [
        ({"sort": ["-progress", "name"], "limit": 20}, {"query_progress": 1, "count": 1}),
        ({"where": [("progress", ">=", 50)], "limit": 20}, {"query_progress": 1, "count_progress": 1}),
        ({"group_by": "progress", "limit": 2}, {"group_counts_progress": 1, "query_progress": 1}),
        ({"group_by": "status", "sort": ["progress"]}, {"group_counts": 1, "query_progress": 1}),
    ],
)
def test_goal_lists_by_progress_make_the_same_calls_for_any_number_of_goals__GOAL_06_SEC_07(
    kit: sk.Kit, args: dict[str, Any], calls: dict[str, int]
) -> None:
    """A goal list filtered, grouped or sorted by progress makes the storage calls its
    docstring names, for 10 goals as for 300: its rows come with their progress, and a
    sort alone needs no progress to count."""
    kit.goals.view(limit=0)  # the declared custom fields are read once, then kept
    seen = []
    for n in (10, 290):
        _goals_with_work(kit, n)
        kit.store.stats.reset()
        view = kit.goals.view(**args)
        seen.append(dict(kit.store.stats.calls))
        assert len(view) > 0
    assert seen == [calls, calls]
