"""Rules (RULE_01-03): select companies or relationships with the query
language, then raise CTAs, create plans from templates or log activities.

A run is idempotent (RULE_02): what a rule would create is first looked up in
bulk, and an open CTA of the same target, type and reason is updated instead of
duplicated, while a snoozed one suppresses it (OBJ_08).  The dry run (RULE_03)
takes every decision the real run takes and only skips the writes, so the
report it gives is the one the real run would give.  Storage calls are bounded
per action kind, not per target: a run over 10,000 companies reads each kind
once and writes it with one bulk insert.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import nullcontext
from typing import TYPE_CHECKING, Any

import attrs

from successkit.errors import ValidationError
from successkit.query.language import Query
from successkit.records import Rule, RuleRunLog
from successkit.records.checks import flag, require_text
from successkit.service import Service

from . import events
from .definitions import (
    ACTIONS,
    MAX_DAYS,
    MAX_FORMAT_WIDTH,
    MAX_TEXT,
    TARGETS,
    check_definition,
    fill,
)
from .loops import check_loops
from .run import RuleExecution, RuleRun, RuleStep, locks_of

if TYPE_CHECKING:
    pass

#: How a run in the rule-run log ended (AUTO_01, AUTO_04).
OUTCOMES = ("ran", "failed", "skipped")

__all__ = [
    "ACTIONS",
    "MAX_DAYS",
    "MAX_FORMAT_WIDTH",
    "MAX_TEXT",
    "OUTCOMES",
    "TARGETS",
    "RuleRun",
    "RuleService",
    "RuleStep",
    "check_definition",
    "fill",
]


class RuleService(Service[Rule]):
    """``kit.rules``: stored rules and their runs."""

    record_class = Rule
    named = True

    def create(
        self,
        name: str,
        *,
        actions: Sequence[Mapping[str, Any]],
        target: str = "company",
        where: Sequence[Any] = (),
        logic: str | None = None,
        without_activity: Mapping[str, Any] | None = None,
        description: str | None = None,
        active: bool = True,
        bundle: str | None = None,
        trigger: Mapping[str, Any] | None = None,
        limit: Mapping[str, Any] | None = None,
        change: Sequence[Any] | None = None,
        having: Sequence[Mapping[str, Any]] | None = None,
    ) -> Rule:
        """A rule (RULE_01): ``where`` conditions (and ``logic``) over companies
        or relationships, an optional ``without_activity`` test, and ``actions``
        (``create_cta``, ``create_plan``, ``log_activity``; AUTO_03 adds
        ``update_field``, ``close_ctas``, ``set_measure``, ``assign``, ``send_email``
        and ``call_webhook``); see ``docs/rules.md``.

        With a ``trigger`` (AUTO_01) the rule runs after every committed change
        that matches it, for the changed records (``{"on": "changed", "field":
        "stage", "to": "Churn risk"}``...); ``limit`` (AUTO_04) lets it act on a
        target ``{"once": True}`` or ``{"every_days": N}``.  ``change`` (AUTO_02)
        tests the event's old and new values (``[("grade_from", "=", "Green")]``);
        ``having`` tests aggregates over related records, usage windows and NPS
        (``[{"related": {"count": "company", "by": "csm_id"}, "op": ">=", "value": 100}]``)."""
        name = require_text(self.kind, "name", name)
        definition = check_definition(
            self.kit,
            name,
            target,
            {
                "where": where,
                "logic": logic,
                "without_activity": without_activity,
                "actions": actions,
                "trigger": trigger,
                "limit": limit,
                "change": change,
                "having": having,
            },
        )
        active = flag(f"rule {name!r}", "active", active)
        if active:  # AUTO_04: no recursion through event rules
            check_loops(self.kit, [(name, target, definition)])
        events.forget(self.kit)
        with self.kit.transaction():
            self._check_new_name(name)
            rule = self._new(
                name=name,
                description=description,
                target=target,
                definition=definition,
                active=active,
                bundle=bundle,
            )
            self.kit.store.insert(rule)
        return rule

    def resolve(self, ref: Rule | str) -> Rule:
        """A rule by record, id or name."""
        return self.get(ref)

    def set_active(self, rule: Rule | str, active: bool) -> Rule:
        """Switch a rule on or off; ``run_all`` skips inactive rules and ``run`` refuses them.
        Switching on an event rule that would close a loop of event rules is refused (AUTO_04)."""
        active = flag(self.kind, "active", active)
        found = self.resolve(rule)
        if active and not found.active:
            check_loops(self.kit, [(found.name, found.target, found.definition)])
        events.forget(self.kit)
        with self.kit.transaction():
            return self._save(found, {"active": active})

    def delete(self, rule: Rule | str) -> None:
        """Delete a rule and its enrolments (AUTO_04); what its runs created stays,
        and so does its run log."""
        events.forget(self.kit)
        with self.kit.transaction():
            found = self.resolve(rule)
            enrolled = self.kit.store.query(
                self.kit.bind("rule_enrolment", Query(conditions=[("rule_id", "=", found.id)]))
            )
            self.kit.store.delete_many("rule_enrolment", [e.id for e in enrolled])
            self.kit.store.delete(self.kind, found.id)

    def run_log(self, rule: Rule | str | None = None, *, outcome: str | None = None) -> list[RuleRunLog]:
        """The runs of event rules (AUTO_01), oldest first: every run that acted on a
        target, failed (``error`` says why) or was skipped by the depth limit
        (AUTO_04); of one rule, or of one ``outcome`` (``ran``, ``failed``, ``skipped``)."""
        where: list[Any] = []
        if rule is not None:
            where.append(("rule_id", "=", self.resolve(rule).id))
        if outcome is not None:
            if outcome not in OUTCOMES:
                raise ValidationError(f"a run's outcome is one of {', '.join(OUTCOMES)}", rule="AUTO_01", value=outcome)
            where.append(("outcome", "=", outcome))
        query = Query(conditions=where, sort=["created_at", "id"])
        return list(self.kit.store.query(self.kit.bind("rule_run", query)))

    # -------------------------------------------------------------------- runs
    def run(self, rule: Rule | str, *, dry_run: bool = False) -> RuleRun:
        """Run one rule now, in one transaction (STORE_03); ``dry_run=True``
        reports what it would do and writes nothing (RULE_03)."""
        dry_run = flag("rule run", "dry_run", dry_run)
        return self._runs(lambda: [self.resolve(rule)], dry_run)[0]

    def run_all(self, *, dry_run: bool = False) -> list[RuleRun]:
        """Every active rule without a trigger, in name order, in one transaction:
        each rule sees what the rules before it did.  Event rules (AUTO_01) run when
        their events happen, or when :meth:`run` names them."""
        dry_run = flag("rule run", "dry_run", dry_run)
        return self._runs(
            lambda: [r for r in self.list([("active", "=", True)], sort=["name"]) if not r.definition.get("trigger")],
            dry_run,
        )

    def _runs(self, rules: Callable[[], list[Rule]], dry_run: bool) -> list[RuleRun]:
        """A dry run is the real run rolled back, so its report is exactly the
        real run's (later actions and rules see what earlier ones would do)."""
        runs: list[RuleRun] = []
        try:
            # SEC_04: the locks are taken before the run's transaction begins, so it
            # reads what a run that went first committed (at any isolation level)
            held = locks_of(rules()) if not self.kit.store.in_transaction else {"rules:run"}
            with self.kit.store.exclusive(*held), self.kit.transaction():
                chosen = rules()  # again: rules changed meanwhile take their locks now
                more = locks_of(chosen) - held
                with self.kit.store.exclusive(*more) if more else nullcontext():
                    runs = [RuleExecution(self.kit, r).execute() for r in chosen]
                if dry_run:
                    raise _DryRun
        except _DryRun:
            runs = [
                attrs.evolve(
                    r,
                    dry_run=True,
                    steps=tuple(attrs.evolve(s, record_id=None) if s.result == "created" else s for s in r.steps),
                )
                for r in runs
            ]
        return runs


class _DryRun(Exception):
    """Raised to roll back a dry run."""
