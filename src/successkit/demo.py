"""The demo workspace: a realistic book of business, built on SQLite and printed.

It grows with the library; every run rebuilds the workspace from scratch, so
rerunning on the same file is always clean.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any, TextIO

from successkit.accounts.companies import TreeNode
from successkit.query.language import FiscalQuarter
from successkit.records import Company, User

from .kit import Kit, open

__all__ = ["build", "main"]


def _money(value: float | None) -> str:
    return "-" if value is None else f"${value:,.0f}"


def build(kit: Kit) -> dict[str, Company]:
    """Fill an empty kit with the demo's team, companies, relationships and people."""
    today = kit.today()
    users = kit.users
    alice = users.create("Alice Kim", email="alice@cs.example", license="full")
    bruno = users.create("Bruno Diaz", email="bruno@cs.example", license="full")
    users.create("Chen Li", email="chen@cs.example", license="viewer")
    users.create("Dana Wu", email="dana@cs.example", license="internal_collaborator")
    kit.custom_fields.declare("company", "segment", "dropdown", options=["Enterprise", "Mid-market", "SMB"])

    def soon(days: int) -> date:
        return today + timedelta(days=days)

    made = _companies(kit, alice, bruno)
    acme, acme_jp, globex, initech = made["Acme Holdings"], made["Acme Japan"], made["Globex"], made["Initech"]

    product = kit.relationship_types.create("Product line", description="One licensed product")
    region = kit.relationship_types.create("Region")
    rels = kit.relationships
    rels.create(
        acme, product, "Acme · Analytics Cloud", arr=700_000, health_score=81, csm_id=alice.id, renewal_date=soon(95)
    )
    rels.create(
        acme, product, "Acme · Field Service", arr=500_000, health_score=69, csm_id=bruno.id, renewal_date=soon(180)
    )
    rels.create(globex, region, "Globex EMEA", arr=140_000, health_score=61, csm_id=bruno.id)

    people = kit.people
    people.create("Hiro Tanaka", company=acme_jp, email="hiro@acme.example", title="CIO", sponsor=True)
    people.create("Maria Lopez", company=acme, email="maria@acme.example", title="VP Operations", sponsor=True)
    people.create("Sam Patel", company=acme, email="sam@acme.example", title="Admin")
    people.create("Ivy Chen", company=globex, email="ivy@globex.example", title="Head of CX", sponsor=True)
    people.create("Tom Baker", company=initech, email="tom@initech.example", title="IT Manager")
    _plans(kit, acme_jp, globex, initech, alice, bruno)
    return {"acme": acme, "globex": globex, "initech": initech}


#: The demo's customers: name, parent, CSM ("alice" or "bruno"), renewal in days, attributes.
_CUSTOMERS: list[tuple[str, str | None, str, int, dict[str, Any]]] = [
    ("Acme Holdings", None, "alice", 95, {"stage": "Adoption", "industry": "Manufacturing", "arr": 1_200_000,
                                         "health_score": 78, "nps": 42, "fields": {"segment": "Enterprise"}}),
    ("Acme Japan", "Acme Holdings", "alice", 95, {"stage": "Adoption", "arr": 420_000, "health_score": 71,
                                                  "fields": {"segment": "Enterprise"}}),
    ("Acme Tokyo", "Acme Japan", "alice", 300, {"stage": "Onboarding", "arr": 150_000, "health_score": 64}),
    ("Acme Osaka", "Acme Japan", "bruno", 40, {"stage": "Adoption", "arr": 90_000, "health_score": 82}),
    ("Acme US", "Acme Holdings", "bruno", 25, {"stage": "Renewal", "arr": 380_000, "health_score": 55,
                                               "fields": {"segment": "Enterprise"}}),
    ("Globex", None, "bruno", 200, {"stage": "Onboarding", "industry": "Retail", "arr": 240_000, "health_score": 66,
                                    "nps": 18, "fields": {"segment": "Mid-market"}}),
    ("Initech", None, "alice", 70, {"stage": "Renewal", "industry": "Software", "arr": 60_000, "health_score": 38,
                                    "nps": -12, "fields": {"segment": "SMB"}}),
]  # fmt: skip


def _companies(kit: Kit, alice: User, bruno: User) -> dict[str, Company]:
    """The demo's customers, parents first, by name."""
    csm = {"alice": alice.id, "bruno": bruno.id}
    made: dict[str, Company] = {}
    for name, parent, who, renewal, values in _CUSTOMERS:
        made[name] = kit.companies.create(
            name,
            parent=made[parent] if parent else None,
            csm_id=csm[who],
            renewal_date=kit.today() + timedelta(days=renewal),
            **values,
        )
    return made


def _plans(kit: Kit, acme_jp: Company, globex: Company, initech: Company, alice: User, bruno: User) -> None:
    """A plan built from a template with a playbook, a cockpit CTA and a clone."""
    welcome = kit.playbooks.create_email_template(
        "Welcome", "Welcome to Acme Cloud, {{person.first_name}}", "Here is what the next 90 days look like..."
    )
    kickoff = kit.playbooks.create(
        "Kickoff",
        [
            {"name": "Agree goals with the sponsor", "due_days": 3},
            {
                "name": "Send the welcome email",
                "start_days": 4,
                "due_days": 4,
                "email_template": welcome,
                "depends_on": [1],
            },
            {"name": "Hold the kickoff call", "start_days": 5, "due_days": 7, "depends_on": [2]},
        ],
    )
    template = kit.plan_templates.create(
        "Standard onboarding",
        "onboarding",
        [
            {"key": "kickoff", "name": "1. Kickoff", "due_days": 7, "priority": "high", "playbook": kickoff},
            {
                "key": "config",
                "name": "2. Configure the workspace",
                "start_days": 8,
                "due_days": 25,
                "depends_on": ["kickoff"],
                "tasks": [
                    {"key": "sso", "name": "Single sign-on", "start_days": 8, "due_days": 12},
                    {"key": "import", "name": "Import users", "start_days": 13, "due_days": 20, "depends_on": ["sso"]},
                ],
            },
            {"key": "train", "name": "3. Train the admins", "start_days": 26, "due_days": 38, "depends_on": ["config"]},
            {"key": "live", "name": "10. Go live", "start_days": 39, "due_days": 60, "depends_on": ["train"]},
        ],
        business_days=True,
    )
    plan = kit.plans.create(
        "Acme Japan onboarding",
        company=acme_jp,
        plan_type="onboarding",
        owner=alice,
        due_date=kit.today() + timedelta(days=45),
        highlights="Go live before fiscal year end",
    )
    kit.plans.apply_template(plan, template)
    kit.plans.set_status(plan.id, "active")
    kit.ctas.create(
        "Usage dropped 30% in a month",
        company=initech,
        type="risk",
        reason="low_usage",
        priority="high",
        owner=alice,
        due_date=kit.today() + timedelta(days=5),
    )
    kit.ctas.create(
        "Expansion: Field Service",
        company=globex,
        type="expansion",
        owner=bruno,
        reason="expansion_opportunity",
        due_date=kit.today() + timedelta(days=20),
    )
    kit.plans.clone(plan.id, to=globex, name="Globex onboarding")
    _goals_and_timeline(kit, acme_jp, plan.id, initech, alice)


def _goals_and_timeline(kit: Kit, acme_jp: Company, plan_id: str, initech: Company, alice: User) -> None:
    """Goals linked to the work, and a few timeline activities."""
    live = kit.goals.create(
        "Live before fiscal year end",
        company=acme_jp,
        due_date=kit.today() + timedelta(days=90),
        description="All 400 seats active by March",
    )
    kit.goals.link(live, kit.plans.get(plan_id))
    save = kit.goals.create("Keep Initech", company=initech, due_date=kit.today() + timedelta(days=70))
    calls = [
        kit.goals.create_cta(
            save, f"Call the sponsor ({n})", type="risk", owner=alice, due_date=kit.today() + timedelta(days=days)
        ).record
        for n, days in (("first", 2), ("second", 9))
    ]
    kit.ctas.set_status(calls[0], "closed_success")
    sponsor = kit.people.list([("name", "=", "Hiro Tanaka")])[0]
    kit.timeline.log("call", "Quarterly check-in with the CIO", company=acme_jp, participants=[sponsor, alice])
    kit.timeline.log("update", "Kickoff held; workspace next", plan=plan_id, notes="SSO owner confirmed")
    kit.timeline.log("note", "Draft: agenda for the go-live review", plan=plan_id, draft=True)


def show(kit: Kit, out: TextIO) -> None:
    """Print the workspace readably."""
    w = out.write
    users = {u.id: u for u in kit.users.list(sort=["name"])}
    w("Team\n")
    for u in users.values():
        may = "may own plans" if kit.users.can_own(u) else "cannot own plans (USER_01)"
        w(f"  {u.name:<12} {u.license:<22} {may}\n")

    w("\nCompany hierarchy (HIER_01: at most 5 levels)\n")
    for root in kit.companies.roots():
        tree = kit.companies.tree(root)
        _print_tree(tree, "  ", users, w)

    w("\nRelationships (REL_01: one company, one type each)\n")
    types = {t.id: t.name for t in kit.relationship_types.list()}
    names = {c.id: c.name for c in kit.companies.list()}
    for r in kit.relationships.list(sort=["name"]):
        csm = users[r.csm_id].name if r.csm_id else "-"
        w(
            f"  {r.name:<26} {types[r.type_id]:<13} of {names[r.company_id]:<14} "
            f"ARR {_money(r.arr):>10}  health {_score(r.health_score)}  CSM {csm}\n"
        )

    w("\nPeople (external contacts)\n")
    for p in kit.people.list(sort=["name"]):
        sponsor = "  ★ sponsor" if p.sponsor else ""
        w(f"  {p.name:<12} {p.title or '':<15} {names.get(p.company_id or '', '-'):<14} {p.email}{sponsor}\n")

    w("\nQueries\n")
    due = kit.companies.list(
        [("renewal_date", "within next 120 days"), ("health_score", "<", 70)], logic="1 AND 2", sort=["renewal_date"]
    )
    w("  At-risk renewals (renewal within 120 days AND health < 70):\n")
    for c in due:
        w(f"    {c.name:<14} renews {c.renewal_date}  health {c.health_score:.0f}\n")
    w("  Companies by fiscal quarter of renewal (fiscal year starts in April):\n")
    for label, n in kit.companies.group(FiscalQuarter("renewal_date", start_month=4)):
        w(f"    {label or '(none)':<10} {n}\n")
    w("  Enterprise segment, by ARR:\n")
    for c in kit.companies.list([("segment", "=", "Enterprise")], sort=["-arr"]):
        w(f"    {c.name:<14} {_money(c.arr):>11}\n")
    _show_plans(kit, users, names, w)


def _show_plans(kit: Kit, users: dict[str, User], names: dict[str, str], w: Callable[[str], object]) -> None:
    w("\nSuccess plans (PLAN_07 counts: total / open / overdue)\n")
    plans = kit.plans.list(sort=["name"])
    counts = kit.plans.counts_many(plans)
    for p in plans:
        c = counts[p.id]
        w(
            f"  {p.name:<24} {names[p.company_id]:<12} {p.status:<7} due {p.due_date}  "
            f"owner {users[p.owner_id].name:<11} objectives {c.total} / {c.open} / {c.overdue}\n"
        )
    plan = kit.plans.list([("name", "=", "Acme Japan onboarding")])[0]
    w(f"\nSchedule of {plan.name!r} (GANTT_01; one column a week from {kit.today()})\n")
    for row in kit.plans.schedule(plan):
        bar = _bar(row.start, row.due or row.start, kit.today())
        label = ("  " * row.level + row.name)[:34]
        w(f"  {label:<34} {row.start} → {row.due}  {bar}\n")
    me = kit.as_user(plan.owner_id)
    w(f"\nCockpit of {users[plan.owner_id].name} (open CTAs and objectives of active plans)\n")
    for item in me.ctas.cockpit(limit=6):
        w(f"  {item.__kind__:<9} {item.name:<32} due {item.due_date}  priority {item.priority}\n")
    w("\nCustomer goals (GOAL_06 progress: achieved linked items / linked items)\n")
    goals = kit.goals.list(sort=["name"])
    progress = kit.goals.progress_many(goals)
    for g in goals:
        done = progress[g.id]
        shown = "-" if done.percent is None else f"{done.percent:.0f}% ({done.achieved}/{done.linked})"
        w(f"  {g.name:<30} {names[g.company_id]:<12} due {g.due_date}  progress {shown}\n")
    w(f"\nTimeline of {names[plan.company_id]} (TL_03: its own and its plans' activities; SP = plan level)\n")
    for entry in kit.timeline.company(plan.company_id):
        a = entry.activity
        w(f"  {entry.label or '  '} {a.type:<7} {a.subject}{'  [draft]' if a.draft else ''}\n")
    globex = kit.companies.list([("name", "=", "Globex")])[0]
    preview = kit.plans.clone(plan.id, to=globex, name="Globex onboarding, second wave", dry_run=True)
    w("\nClone preview (dry run: nothing written)\n")
    from successkit.plans.cloning import describe

    lines = describe(preview, kit)
    for line in lines[:8]:
        w(f"  {line}\n")
    if len(lines) > 8:
        w(f"  ... and {len(lines) - 8} more lines (successkit.plans.cloning.describe gives them all)\n")


def _bar(start: date, due: date, today: date) -> str:
    """A text Gantt bar, one character a week."""
    first = max(0, (start - today).days // 7)
    length = max(1, (due - start).days // 7 + 1)
    return " " * first + "█" * length


def _print_tree(node: TreeNode, indent: str, users: dict[str, User], w: Callable[[str], object]) -> None:
    c = node.company
    csm = users[c.csm_id].name if c.csm_id in users else "-"
    label = f"{indent}{c.name}"
    w(
        f"{label:<22} {c.stage or '-':<11} ARR {_money(c.arr):>11}  health {_score(c.health_score)}  "
        f"renews {c.renewal_date}  CSM {csm}\n"
    )
    for child in node.children:
        _print_tree(child, indent + "  ", users, w)


def _score(value: float | None) -> str:
    return "  -" if value is None else f"{value:>3.0f}"


def solutions(kit: Kit, out: TextIO) -> None:
    """Deploy the shipped bundles, preview the rules, run them, and run them again."""
    w = out.write
    w("\nSolution bundles (VAULT_04, VAULT_06: shipped with the library, deployed in one transaction each)\n")
    for name in kit.bundles.available():
        report = kit.bundles.deploy(name)
        w(f"  {report.describe()[0]}\n")
    w("\nRules, dry run first (RULE_03: nothing written)\n")
    for run in kit.rules.run_all(dry_run=True):
        w(f"  {run.describe()[0]}\n")
        for line in run.describe()[1:4]:
            w(f"  {line}\n")
        if len(run.steps) > 3:
            w(f"      ... and {len(run.steps) - 3} more\n")
    w("\nRules, for real, then once more (RULE_02: nothing twice)\n")
    for first, second in zip(kit.rules.run_all(), kit.rules.run_all(), strict=True):
        w(f"  {first.rule:<30} first run {_summary(first.summary())}; second run {_summary(second.summary())}\n")


def _summary(summary: dict[str, dict[str, int]]) -> str:
    parts = [
        f"{action.replace('_', ' ')}: {n} {result}"
        for action, counts in summary.items()
        for result, n in sorted(counts.items())
    ]
    return ", ".join(parts) or "no targets"


def _signals(kit: Kit, japan: Company) -> None:
    """Sixty days of product usage and a survey answered by the sponsor (USAGE_01, SURVEY_01)."""
    today = kit.today()
    if "logins" not in kit.metrics.declared_keys():  # the adoption-drop bundle declares it
        kit.metrics.declare("logins", "Logins", unit="sessions")
    hiro = kit.people.of_company(japan)[0]
    kit.usage.ingest(
        [
            {"metric": "logins", "company": japan, "person": hiro, "period": today - timedelta(days=d),
             "value": 14 if d < 30 else 9}
            for d in range(60)
        ]
    )  # fmt: skip
    pulse = kit.surveys.create("Quarterly pulse", [{"key": "nps", "type": "nps", "text": "Would you recommend us?"}])
    kit.surveys.respond(pulse, hiro, {"nps": 9}, company=japan)
    kit.surveys.update_nps()


def main(path: str | Path, out: TextIO, *, width: int = 1200, label_width: int = 280) -> Kit:
    """Rebuild the demo workspace in the SQLite file ``path``, print it, print a
    360 view and write a Gantt chart ``width`` pixels wide (its names column
    ``label_width``) next to the file."""
    from successkit.views.gantt import check_size

    check_size(width, label_width)  # before anything is rebuilt
    db = Path(path).resolve()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    kit = open(f"sqlite:///{db}")
    with kit.transaction():
        build(kit)
    out.write(f"successkit demo: workspace built in {db} (SQLite)\n\n")
    show(kit, out)
    solutions(kit, out)
    japan = kit.companies.list([("name", "=", "Acme Japan")])[0]
    _signals(kit, japan)
    kit.scorecards.set_value(japan, "sentiment", 70, comment="Steady after the go-live")
    out.write(f"\nHealth scores (SCORE_11): {kit.scorecards.recompute()}\n")
    japan = kit.companies.get(japan.id)
    out.write("\nCustomer 360 of Acme Japan (C360_01, with its scorecard: SCORE_12)\n")
    out.write("".join(f"  {line}\n" for line in str(kit.c360.company(japan)).splitlines()))
    plan = kit.plans.list([("name", "=", "Acme Japan onboarding")])[0]
    chart = db.with_name(f"{db.stem}-gantt.svg")
    kit.plans.gantt(plan, path=str(chart), width=width, label_width=label_width)
    out.write(
        f"\nGantt chart of {plan.name!r} (GANTT_03) written to {chart}\n"
        "  open it in a browser: bars per objective and task, dependency arrows, today's line,\n"
        "  overdue items in red, closed items muted, the critical path highlighted\n"
    )
    return kit
