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

from successkit.records import Rule
from successkit.records.checks import flag, require_text
from successkit.service import Service

from .definitions import (
    ACTIONS,
    MAX_DAYS,
    MAX_FORMAT_WIDTH,
    MAX_TEXT,
    TARGETS,
    check_definition,
    fill,
)
from .run import RuleExecution, RuleRun, RuleStep

if TYPE_CHECKING:
    pass

__all__ = [
    "ACTIONS",
    "MAX_DAYS",
    "MAX_FORMAT_WIDTH",
    "MAX_TEXT",
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
    ) -> Rule:
        """A rule (RULE_01): ``where`` conditions (and ``logic``) over companies
        or relationships, an optional ``without_activity`` test, and ``actions``
        (``create_cta``, ``create_plan``, ``log_activity``); see ``docs/rules.md``."""
        name = require_text(self.kind, "name", name)
        definition = check_definition(
            self.kit,
            name,
            target,
            {"where": where, "logic": logic, "without_activity": without_activity, "actions": actions},
        )
        with self.kit.transaction():
            self._check_new_name(name)
            rule = self._new(
                name=name,
                description=description,
                target=target,
                definition=definition,
                active=flag(self.kind, "active", active),
                bundle=bundle,
            )
            self.kit.store.insert(rule)
        return rule

    def resolve(self, ref: Rule | str) -> Rule:
        """A rule by record, id or name."""
        return self.get(ref)

    def set_active(self, rule: Rule | str, active: bool) -> Rule:
        """Switch a rule on or off; ``run_all`` skips inactive rules and ``run`` refuses them."""
        with self.kit.transaction():
            return self._save(self.resolve(rule), {"active": flag(self.kind, "active", active)})

    def delete(self, rule: Rule | str) -> None:
        """Delete a rule; what its runs created stays."""
        with self.kit.transaction():
            self.kit.store.delete(self.kind, self.resolve(rule).id)

    # -------------------------------------------------------------------- runs
    def run(self, rule: Rule | str, *, dry_run: bool = False) -> RuleRun:
        """Run one rule now, in one transaction (STORE_03); ``dry_run=True``
        reports what it would do and writes nothing (RULE_03)."""
        dry_run = flag("rule run", "dry_run", dry_run)
        return self._runs(lambda: [self.resolve(rule)], dry_run)[0]

    def run_all(self, *, dry_run: bool = False) -> list[RuleRun]:
        """Every active rule, in name order, in one transaction: each rule sees
        what the rules before it did."""
        dry_run = flag("rule run", "dry_run", dry_run)
        return self._runs(lambda: list(self.list([("active", "=", True)], sort=["name"])), dry_run)

    def _runs(self, rules: Callable[[], list[Rule]], dry_run: bool) -> list[RuleRun]:
        """A dry run is the real run rolled back, so its report is exactly the
        real run's (later actions and rules see what earlier ones would do)."""
        runs: list[RuleRun] = []
        try:
            # SEC_04: the locks are taken before the run's transaction begins, so it
            # reads what a run that went first committed (at any isolation level)
            held = _locks_of(rules()) if not self.kit.store.in_transaction else {"rules:run"}
            with self.kit.store.exclusive(*held), self.kit.transaction():
                chosen = rules()  # again: rules changed meanwhile take their locks now
                more = _locks_of(chosen) - held
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


def _locks_of(rules: list[Rule]) -> set[str]:
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
        else:
            out.add(f"rules:activity:{a['type']}")
    return out
