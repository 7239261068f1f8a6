"""One run of an automation rule (RULE_01-RULE_03), and its report.

The run is idempotent (RULE_02): what a rule would create is first looked up in
bulk, and an open CTA of the same target, type and reason is updated instead of
duplicated, while a snoozed one suppresses it (OBJ_08).  Storage calls are
bounded per action kind, not per target: a run over 10,000 companies reads each
kind once and writes it with one bulk insert.  :class:`RuleService` wraps it in
the locks and the transaction, and rolls it back for a dry run (RULE_03).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, time, timezone
from typing import TYPE_CHECKING, Any, ClassVar

import attrs

from successkit.accounts.people import owner_refusal
from successkit.clock import days_before
from successkit.errors import RuleViolation, ValidationError
from successkit.plans.builders import name_key, new_cta, new_plan, plans_named
from successkit.plans.business_days import add_days
from successkit.plans.invariants import check_playbook_for, latest_beyond, playbook_tasks
from successkit.query.language import Query
from successkit.records import (
    Activity,
    Company,
    Cta,
    Objective,
    Record,
    Relationship,
    Rule,
    RuleEnrolment,
    SuccessPlan,
    Task,
    User,
)
from successkit.service import stamp

from .actions import MORE_ACTIONS, action_locks, run_action
from .conditions import having
from .definitions import by_email, fill, plain, template_by_name
from .events import report
from .step_report import StepReport

if TYPE_CHECKING:
    from successkit.kit import Kit

__all__ = ["RuleExecution", "RuleRun", "RuleStep", "locks_of"]


# ------------------------------------------------------------------------------ report
@attrs.frozen
class RuleStep:
    """What one action did (or, in a dry run, would do) for one target.

    ``result`` is ``created``, ``updated``, ``unchanged``, ``suppressed``
    (a snoozed or recently closed CTA holds it back), ``sent`` (an email or a
    webhook call, made once the run commits, AUTO_03) or ``skipped`` (it could
    not be done: ``detail`` says why, naming the rule that refused)."""

    action: str
    result: str
    target_kind: str
    target_id: str
    target_name: str
    record_id: str | None = None
    detail: str = ""


@attrs.frozen
class RuleRun(StepReport):
    """The report of one rule run (a dry run holds the same steps, nothing written)."""

    step_class: ClassVar[type[Any]] = RuleStep
    rule: str
    dry_run: bool
    matched: int
    steps: tuple[RuleStep, ...]

    @property
    def created(self) -> int:
        """Records created (or, in a dry run, that would be)."""
        return self.count("created")

    @property
    def updated(self) -> int:
        """Open CTAs brought in line with the rule (RULE_02)."""
        return self.count("updated")

    def describe(self) -> list[str]:
        """One line per step, worded for a dry run ("would create") or a real one."""
        verb = {
            "created": "create",
            "updated": "update",
            "unchanged": "leave",
            "suppressed": "hold back",
            "skipped": "skip",
            "sent": "send",
        }
        head = f"Rule {self.rule!r}: {self.matched} {'target' if self.matched == 1 else 'targets'} matched"
        lines = [head + (" (dry run, nothing written)" if self.dry_run else "")]
        for s in self.steps:
            word = f"would {verb[s.result]}" if self.dry_run else s.result
            what = s.action.replace("_", " ")
            lines.append(
                f"  {word}: {what} for {s.target_kind} {s.target_name!r}" + (f" ({s.detail})" if s.detail else "")
            )
        return lines

    def __str__(self) -> str:
        return "\n".join(self.describe())

    def _repr_html_(self) -> str:
        """The counts, then one row per step, in notebooks (DATA_01)."""
        from successkit.views import notebook as nb

        results = ("created", "updated", "unchanged", "suppressed", "skipped")
        note = "dry run, nothing written" if self.dry_run else None
        rows = [
            [s.target_name, s.target_kind, s.action.replace("_", " "), s.result, s.detail or None] for s in self.steps
        ]
        return nb.block(
            nb.title(f"Rule: {self.rule}", note),
            nb.figures([("matched", self.matched), *((r, self.count(r)) for r in results if self.count(r))]),
            nb.table(["target", "kind", "action", "result", "detail"], rows) if rows else nb.items([]),
        )


# ------------------------------------------------------------------------------ service


# ------------------------------------------------------------------------------ one run
Target = Company | Relationship


class RuleExecution:
    """One rule run: the targets, then each action in bulk."""

    def __init__(self, kit: Kit, rule: Rule, *, only: Sequence[str] | None = None) -> None:
        self.kit, self.rule = kit, rule
        self.only = only  # the targets an event named (AUTO_01): the rule selects among them
        self.today = kit.today()
        self.kind = rule.target
        self.key = "company_id" if self.kind == "company" else "relationship_id"
        self.actor: User | None = None
        self.companies: dict[str, Company] = {}
        self.steps: list[RuleStep] = []

    def execute(self) -> RuleRun:
        d = self.rule.definition
        if not self.rule.active:
            raise ValidationError("the rule is not active", value=self.rule.name)
        targets: list[Target] = list(self.kit.store.query(self.kit.bind(self.kind, self._selection())))
        if d.get("having") and targets:  # AUTO_02: aggregates and signals, a read or two each
            targets = having(self.kit, self.kind, targets, d["having"])
        if d.get("without_activity") and targets:
            targets = self._without_activity(targets, d["without_activity"])
        if d.get("limit") and targets:
            targets = self._enrol(targets, d["limit"])
        if self.kind == "relationship" and targets:
            ids = sorted({t.company_id for t in targets if isinstance(t, Relationship)})
            self.companies = {c.id: c for c in self.kit.store.get_many("company", ids)}
        if self.kit.actor_id is not None:
            self.actor = self.kit.users.get(self.kit.actor_id)
        for action in d["actions"]:
            if targets and action["do"] in MORE_ACTIONS:  # AUTO_03: later actions see its writes
                targets = run_action(self, targets, action)
            elif targets:
                getattr(self, "_" + action["do"])(targets, action)
        return RuleRun(self.rule.name, False, len(targets), tuple(self.steps))

    def _selection(self, limit: int | None = None) -> Query:
        """The query of the rule's ``where`` (among the targets an event named)."""
        d = self.rule.definition
        where, logic = [plain(c) for c in d.get("where", [])], d.get("logic")
        if self.only is not None:
            where.append(("id", "in", list(self.only)))
            logic = None if logic is None else f"({logic}) AND {len(where)}"
        return Query(conditions=where, logic=logic, sort=["name", "id"], limit=limit)

    def selects_any(self) -> bool:
        """Whether the rule's ``where`` selects any target (one read, no transaction):
        an event rule that matches nothing costs this read and nothing more."""
        return bool(list(self.kit.store.query(self.kit.bind(self.kind, self._selection(limit=1)))))

    # ------------------------------------------------------------------ helpers
    def _scope(self, targets: Sequence[Target]) -> list[tuple[str, Any, Any]]:
        """Conditions selecting records of these targets (a company's own, not its relationships')."""
        ids = [t.id for t in targets]
        if self.kind == "company":
            return [("company_id", "in", ids), ("relationship_id", "is empty", None)]
        return [("relationship_id", "in", ids)]

    def _company(self, t: Target) -> Company:
        return t if isinstance(t, Company) else self.companies[t.company_id]

    def _text(self, template: str, t: Target) -> str:
        return fill(template, name=t.name, company=self._company(t).name)

    def _step(self, action: str, result: str, t: Target, record_id: str | None = None, detail: str = "") -> None:
        self.steps.append(RuleStep(action, result, self.kind, t.id, t.name, record_id, detail))

    def _guard(self, records: Iterable[Record]) -> None:
        """The acting user (if any) may make these changes (SHARE_04)."""
        if self.actor is not None:
            for r in records:
                if not self.kit.access.can(self.actor, "change", r):
                    self.kit.access.check_actor("change", r)

    def _owners(self, targets: Sequence[Target], spec: str) -> dict[str, str | RuleViolation | None]:
        """Each target's owner (user id), or why it has none: two reads at most."""
        wanted: dict[str, Any] = {}
        for t in targets:
            if spec == "csm":
                wanted[t.id] = t.csm_id or (self._company(t).csm_id if isinstance(t, Relationship) else None)
            elif spec.startswith("field:"):
                wanted[t.id] = t.fields.get(spec[6:])
            else:
                wanted[t.id] = spec
            if wanted[t.id] is None:
                wanted[t.id] = self.kit.actor_id
        refs = {v for v in wanted.values() if isinstance(v, str) and v}
        emails = sorted(v for v in refs if "@" in v)
        users = {u.id: u for u in self.kit.store.get_many("user", sorted(refs - set(emails)))}
        if emails:
            users.update(by_email(self.kit, emails))
        out: dict[str, str | RuleViolation | None] = {}
        for tid, ref in wanted.items():
            user = users.get(ref) if isinstance(ref, str) else None
            if ref is None:
                out[tid] = None
            elif user is None:
                out[tid] = RuleViolation("USER_02", "the owner is not a user", value=ref)
            else:
                out[tid] = owner_refusal(user, "new work") or user.id
        return out

    def _due(self, action: Mapping[str, Any]) -> date | None:
        return (
            None
            if action.get("due_days") is None
            else add_days(self.today, action["due_days"], what="the action's due_days")
        )

    def _owner_or_skip(self, action: str, t: Target, owner: str | RuleViolation | None) -> str | None:
        if isinstance(owner, RuleViolation):
            self._step(action, "skipped", t, detail=str(owner))
            return None
        if owner is None:
            self._step(action, "skipped", t, detail=f"no owner: the {self.kind} has no CSM and no user runs the rule")
        return owner

    # what the actions of actions.py (AUTO_03) use
    step = _step
    scope = _scope
    company_of = _company
    text = _text
    guard = _guard

    # ------------------------------------------------------------- enrolment
    def _enrol(self, targets: list[Target], limit: Mapping[str, Any]) -> list[Target]:
        """The targets the rule's enrolment limit lets in (AUTO_04), enrolled now:
        never enrolled, or (``every_days``) last enrolled that many days ago or more.
        One read and at most two writes, however many targets."""
        kit, now = self.kit, self.kit.now()
        where = [("rule_id", "=", self.rule.id), ("target_id", "in", [t.id for t in targets])]
        enrolled = {e.target_id: e for e in kit.store.query(kit.bind("rule_enrolment", Query(conditions=where)))}
        days = limit.get("every_days")
        kept: list[Target] = []
        new: list[RuleEnrolment] = []
        again: list[tuple[RuleEnrolment, int]] = []
        for t in targets:
            e = enrolled.get(t.id)
            if e is None:
                new.append(RuleEnrolment(**stamp(kit), rule_id=self.rule.id, target_kind=self.kind, target_id=t.id,
                                         enrolled_at=now))  # fmt: skip
            elif days is not None and e.enrolled_at.date() <= days_before(self.today, days):
                again.append((attrs.evolve(e, enrolled_at=now, version=e.version + 1, updated_at=now), e.version))
            else:
                every = "once" if days is None else f"at most once every {days} days"
                detail = f"AUTO_04: enrolled on {e.enrolled_at.date()}; the rule acts on a target {every}"
                self._step("limit", "suppressed", t, e.id, detail)
                continue
            kept.append(t)
        if new:
            kit.store.insert_many(new)
        if again:
            kit.store.update_many(again)
        return kept

    # ------------------------------------------------------------ activity test
    def _without_activity(self, targets: list[Target], spec: Mapping[str, Any]) -> list[Target]:
        """Targets with no published activity of the types since their threshold:
        ``days`` before today, or before the date field ``since`` (one query)."""
        since, days = spec.get("since"), spec["days"]
        thresholds: dict[str, date] = {}
        for t in targets:
            anchor = self.today if since is None else _date_field(t, since)
            if anchor is not None:
                thresholds[t.id] = days_before(anchor, days)
        kept = [t for t in targets if t.id in thresholds]
        if not kept:
            return []
        earliest = datetime.combine(min(thresholds.values()), time(), tzinfo=timezone.utc)
        latest: dict[str, date] = {}
        where = [
            *self._scope(kept),
            ("type", "in", spec["types"]),
            ("draft", "=", False),
            ("occurred_at", ">=", earliest),
        ]
        if self.kind == "company":
            where = [c for c in where if c[0] != "relationship_id"]  # any activity of the company counts
        for a in self.kit.store.query(self.kit.bind("activity", Query(conditions=where))):
            tid = a.company_id if self.kind == "company" else a.relationship_id
            day = a.occurred_at.astimezone(timezone.utc).date()
            latest[tid] = max(latest.get(tid, day), day)
        return [t for t in kept if t.id not in latest or latest[t.id] < thresholds[t.id]]

    # ------------------------------------------------------------------- CTAs
    def _create_cta(self, targets: Sequence[Target], a: Mapping[str, Any]) -> None:
        kit, action = self.kit, "create_cta"
        ctype, reason = a["type"], a.get("reason")
        existing: dict[str, list[Cta]] = {}
        for c in kit.store.query(kit.bind("cta", self._similar_ctas(targets, ctype, reason, a.get("cooldown_days")))):
            existing.setdefault(getattr(c, self.key), []).append(c)
        content = kit.playbooks.content(kit.playbooks.by_name(a["playbook"])) if a.get("playbook") else None
        owners = self._owners(targets, a.get("owner", "csm"))
        created = stamp(kit)
        priority = a.get("priority") or "medium"
        rank = {item.key: i for i, item in enumerate(kit.config.items("priority"))}  # first is highest
        cooldown = a.get("cooldown_days")
        new: list[Cta] = []
        tasks: list[Task] = []
        changed: list[tuple[Cta, int]] = []
        for t in targets:
            held, raised = self._held_back(t, existing.get(t.id, []), priority, rank, cooldown)
            if raised is not None:
                changed.append(raised)
            if held:
                continue
            name = self._text(a["name"], t)  # only for a CTA to create: a rerun holds most back
            owner = self._owner_or_skip(action, t, owners[t.id])
            if owner is None:
                continue
            cta = new_cta(
                kit,
                created=created,
                name=name,
                company_id=self._company(t).id,
                relationship_id=_relationship_id(t),
                owner_id=owner,
                type=ctype,
                reason=reason,
                priority=priority,
                start_date=self.today,
                due_date=self._due(a),
                source="rule",
                comments=a.get("comments"),
                playbook_ids=(content.playbook.id,) if content else (),
            )
            if content is not None:
                check_playbook_for(kit, cta, content.playbook)
                tasks.extend(playbook_tasks(kit, cta, content, self.today))
            new.append(cta)
            self._step(action, "created", t, cta.id, name)
        self._guard([*new, *(c for c, _ in changed)])
        if new or tasks:
            kit.store.insert_many([*new, *tasks])
        if changed:
            kit.store.update_many(changed)
        kit.notifications.work_created(new)

    def _held_back(
        self, t: Target, same: list[Cta], priority: str, rank: dict[str, int], cooldown: int | None
    ) -> tuple[bool, tuple[Cta, int] | None]:
        """Whether a similar CTA holds a new one back (RULE_02, OBJ_08), recorded as a step:
        a snoozed open one suppresses it, an open one is raised to a higher priority or left
        alone, one closed within the cooldown suppresses it: (held back, the raised CTA's update)."""
        action = "create_cta"
        open_ = [c for c in same if not self.kit.statuses.get("cta", c.status).is_closed]
        if open_:
            cta = open_[0]
            if cta.snoozed_until is not None and cta.snoozed_until > self.today:
                detail = f"OBJ_08: a similar CTA is snoozed until {cta.snoozed_until}"
                self._step(action, "suppressed", t, cta.id, detail)
                return True, None
            if rank.get(priority, len(rank)) < rank.get(cta.priority or "", len(rank)):  # escalate only
                raised = attrs.evolve(cta, priority=priority, version=cta.version + 1, updated_at=self.kit.now())
                self._step(action, "updated", t, cta.id, f"RULE_02: the open CTA is raised to {priority} priority")
                return True, (raised, cta.version)
            self._step(action, "unchanged", t, cta.id, "RULE_02: a similar CTA is open")
            return True, None
        recent = [c for c in same if c.closed_at is not None and cooldown is not None
                  and c.closed_at.date() > days_before(self.today, cooldown)]  # fmt: skip
        if not recent:
            return False, None
        closed = recent[0].closed_at.date() if recent[0].closed_at else ""
        self._step(
            action, "suppressed", t, recent[0].id, f"a similar CTA was closed on {closed} (cooldown {cooldown} days)"
        )
        return True, None

    def _similar_ctas(self, targets: Sequence[Target], ctype: str, reason: str | None, cooldown: int | None) -> Query:
        """The CTAs that hold a new one back (RULE_02): of these targets, type and reason,
        open or closed within the cooldown.  The database filters them, so a re-run reads
        what matters now, however many CTAs of the type were closed long ago."""
        scope = self._scope(targets)
        where: list[Any] = [
            *scope,
            ("type", "=", ctype),
            ("reason", "=", reason) if reason is not None else ("reason", "is empty", None),
            ("status", "in", self.kit.statuses.in_category("cta", "open")),
        ]
        logic = " AND ".join(str(i) for i in range(1, len(where) + 1))
        if cooldown is not None:  # closed on a day after today - cooldown
            since = datetime.combine(days_before(self.today, cooldown - 1), time(), tzinfo=timezone.utc)
            where.append(("closed_at", ">=", since))
            n = len(where)
            logic = " AND ".join(str(i) for i in range(1, n - 1)) + f" AND ({n - 1} OR {n})"
        return Query(conditions=where, logic=logic, sort=["created_at", "id"])

    # ------------------------------------------------------------------ plans
    def _create_plan(self, targets: Sequence[Target], a: Mapping[str, Any]) -> None:
        kit, action = self.kit, "create_plan"
        ptype = kit.config.plan_type(a["plan_type"])
        names = {t.id: self._text(a["name"], t) for t in targets}
        keys = {t.id: name_key(self._company(t).id, _relationship_id(t), names[t.id]) for t in targets}
        existing = plans_named(kit, list(keys.values()))
        prepared = (
            kit.plan_templates.prepare(template_by_name(kit, a["template"], ptype.key)) if a.get("template") else None
        )
        owners = self._owners(targets, a.get("owner", "csm"))
        created = stamp(kit)
        plans: list[SuccessPlan] = []
        items: list[Objective | Task] = []
        for t in targets:
            found = existing.get(keys[t.id])
            if found is not None:
                if found.plan_type == ptype.key:
                    self._step(action, "unchanged", t, found.id, f"RULE_02: plan {found.name!r} exists")
                else:
                    self._step(
                        action, "skipped", t, found.id, f"PLAN_02: a {found.plan_type} plan is named {found.name!r}"
                    )
                continue
            owner = self._owner_or_skip(action, t, owners[t.id])
            if owner is None:
                continue
            plan = new_plan(
                kit,
                created=created,
                name=names[t.id],
                company_id=self._company(t).id,
                relationship_id=_relationship_id(t),
                plan_type=ptype.key,
                owner_id=owner,
                due_date=self._due(a),
            )
            if prepared is not None:
                objectives, tasks = prepared.build(kit, plan, on=self.today, owner_of=lambda ref, what: (ref, "user"))
                latest = latest_beyond(
                    plan.due_date, [("", o.due_date) for o in objectives] + [("", x.due_date) for x in tasks]
                )
                if latest is not None:
                    plan = attrs.evolve(plan, due_date=latest[0])  # PLAN_09
                items.extend([*objectives, *tasks])
            plans.append(plan)
            self._step(action, "created", t, plan.id, names[t.id])
        self._guard(plans)
        if plans:
            kit.store.insert_many([*plans, *items])
            kit.notifications.emit_many(
                "plan_assigned", [(p.owner_id, p, f"Success plan {p.name!r} was assigned to you", "") for p in plans]
            )
            kit.notifications.work_created([i for i in items if isinstance(i, Objective)])

    # ------------------------------------------------------------- activities
    def _log_activity(self, targets: Sequence[Target], a: Mapping[str, Any]) -> None:
        kit, action = self.kit, "log_activity"
        subjects = {t.id: self._text(a["subject"], t) for t in targets}
        where: list[Any] = [
            *self._scope(targets),
            ("type", "=", a["type"]),
            ("subject", "in", sorted(set(subjects.values()))),
        ]
        if a.get("cooldown_days") is not None:
            where.append(("occurred_at", "within last n days", a["cooldown_days"]))
        logged = {
            (getattr(x, self.key), x.subject): x for x in kit.store.query(kit.bind("activity", Query(conditions=where)))
        }
        now = kit.now()
        new: list[Activity] = []
        for t in targets:
            found = logged.get((t.id, subjects[t.id]))
            if found is not None:
                self._step(action, "unchanged", t, found.id, "RULE_02: already logged")
                continue
            activity = Activity(
                **stamp(self.kit),
                type=a["type"],
                subject=subjects[t.id],
                notes=a.get("notes"),
                occurred_at=now,
                author_id=kit.actor_id,
                published_at=now,
                level=self.kind,
                company_id=self._company(t).id,
                relationship_id=_relationship_id(t),
            )
            new.append(activity)
            self._step(action, "created", t, activity.id, subjects[t.id])
        self._guard(new)
        if new:
            kit.store.insert_many(new)
            report(kit, created=new)  # AUTO_01: other event rules hear of it (AUTO_04 depth)

    # ------------------------------------------------------------- programs
    def _enter_program(self, targets: Sequence[Target], a: Mapping[str, Any]) -> None:
        """MAIL_03: the targets (a company program) or their company's people enter the program."""
        from .programs import enter_from_rule

        done = enter_from_rule(self.kit, a, {t.id: self._company(t) for t in targets}, f"rule:{self.rule.name}")
        for t in targets:
            result, record_id, detail = done[t.id]
            self._step("enter_program", result, t, record_id, detail)


def _relationship_id(target: Target) -> str | None:
    return target.id if isinstance(target, Relationship) else None


def _date_field(record: Target, field: str) -> date | None:
    value = getattr(record, field) if attrs.has(type(record)) and hasattr(record, field) else record.fields.get(field)
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def locks_of(rules: list[Rule]) -> set[str]:
    """Every lock a run of ``rules`` takes."""
    return {name for rule in rules for name in _locks(rule)} or {"rules:run"}


def _locks(rule: Rule) -> set[str]:
    """The locks a run of ``rule`` takes before it reads anything (SEC_04): one
    per identity of what its actions make once (RULE_02), so processes running
    rules at the same moment take turns, and two rules raising the same CTA do
    too."""
    out = set()
    for a in rule.definition.get("actions", ()):
        if a["do"] == "create_cta":
            out.add(f"rules:cta:{a['type']}:{a.get('reason')}")
        elif a["do"] == "create_plan":
            out.add("rules:plan")  # plans are known by name, whatever made them
        elif a["do"] in MORE_ACTIONS:
            out |= action_locks(rule.id, a)
        elif a["do"] == "enter_program":
            out.add(f"rules:program:{a['program']}")
        else:
            out.add(f"rules:activity:{a['type']}")
    if rule.definition.get("limit"):
        out.add(f"rules:enrol:{rule.id}")
    return out
