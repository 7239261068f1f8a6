"""Bundle asset kinds for the work a team does (VAULT_01, VAULT_05): CTA types,
reasons, priorities and objective categories (configuration choices), email
templates, playbooks, plan templates, goal templates and rules, event rules
included.  Each is one :func:`~successkit.automation.bundle_assets.register` call."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from successkit.errors import ValidationError

from .bundle_assets import AssetKind, Deploying, entries, listed, register
from .definitions import check_definition
from .program_steps import PROGRAM_TARGETS, check_program
from .rules import TARGETS

if TYPE_CHECKING:
    from successkit.kit import Kit

_CHOICE: frozenset[str] = frozenset({"key", "name"})
register(AssetKind("cta_types", 10, _CHOICE, ident="key", choice="cta_type"))
register(AssetKind("reasons", 11, _CHOICE, ident="key", choice="reason"))
register(AssetKind("priorities", 12, _CHOICE, ident="key", choice="priority"))
register(AssetKind("objective_categories", 13, _CHOICE, ident="key", choice="objective_category"))


# ------------------------------------------------------------------------ emails, playbooks
def _with_email(d: Deploying, step: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(step)
    if out.get("email_template") is not None:
        out["email_template"] = d.ref("email_templates", out["email_template"])
    return out


def _emails_of(step: Any) -> Iterator[tuple[str, str]]:
    if isinstance(step, Mapping) and isinstance(step.get("email_template"), str):
        yield "email_templates", step["email_template"].strip()


register(
    AssetKind(
        "email_templates",
        40,
        frozenset({"name", "subject"}),
        frozenset({"body"}),
        create=lambda d, e: d.kit.playbooks.create_email_template(e["name"], e["subject"], e.get("body", "")).id,
        stored="email_template",
    )
)


def _playbook(d: Deploying, e: Mapping[str, Any]) -> str:
    steps = [_with_email(d, s) for s in entries(e["steps"], "steps")]
    return d.kit.playbooks.create(
        e["name"],
        steps,
        all_cta_types=e.get("all_cta_types"),
        cta_types=e.get("cta_types", ()),
        description=e.get("description"),
    ).id


register(
    AssetKind(
        "playbooks",
        41,
        frozenset({"name", "steps"}),
        frozenset({"description", "cta_types", "all_cta_types"}),
        create=_playbook,
        flags=frozenset({"all_cta_types"}),
        stored="playbook",
        refers=lambda e: (ref for s in listed(e.get("steps")) for ref in _emails_of(s)),
    )
)


def _plan_template(d: Deploying, e: Mapping[str, Any]) -> str:
    objectives = []
    for raw in entries(e["objectives"], "objectives"):
        o = dict(raw)
        if o.get("playbook") is not None:
            o["playbook"] = d.ref("playbooks", o["playbook"])
        o["tasks"] = [_with_email(d, t) for t in entries(o.get("tasks", []), "tasks")]
        objectives.append(o)
    return d.kit.plan_templates.create(
        e["name"],
        e["plan_type"],
        objectives,
        business_days=e.get("business_days", False),
        description=e.get("description"),
    ).id


def _template_refers(e: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    for o in listed(e.get("objectives")):
        if isinstance(o, Mapping):
            if isinstance(o.get("playbook"), str):
                yield "playbooks", o["playbook"].strip()
            for t in listed(o.get("tasks")):
                yield from _emails_of(t)


register(
    AssetKind(
        "plan_templates",
        42,
        frozenset({"name", "plan_type", "objectives"}),
        frozenset({"description", "business_days"}),
        create=_plan_template,
        flags=frozenset({"business_days"}),
        stored="plan_template",
        refers=_template_refers,
    )
)

register(
    AssetKind(
        "goal_templates",
        43,
        frozenset({"name"}),
        frozenset({"description", "status", "due_days", "fields"}),
        create=lambda d, e: (
            d.kit.goal_templates.create(
                e["name"],
                description=e.get("description"),
                status=e.get("status"),
                due_days=e.get("due_days"),
                fields=e.get("fields"),
            ).id
        ),
        stored="goal_template",
    )
)


# ------------------------------------------------------------------------------ rules
_DEFINITION = ("where", "logic", "without_activity", "actions", "trigger", "limit", "change", "having")


def _rule(d: Deploying, e: Mapping[str, Any]) -> str:
    return d.kit.rules.create(
        e["name"],
        actions=e["actions"],
        target=e.get("target", "company"),
        where=e.get("where", ()),
        logic=e.get("logic"),
        without_activity=e.get("without_activity"),
        trigger=e.get("trigger"),
        limit=e.get("limit"),
        change=e.get("change"),
        having=e.get("having"),
        description=e.get("description"),
        active=e.get("active", True),
        bundle=d.bundle_name,
    ).id


def _check_rule(kit: Kit, e: Mapping[str, Any]) -> None:
    if e.get("target", "company") not in TARGETS:
        raise ValidationError(f"target is one of {', '.join(TARGETS)}", value=e.get("target"))


def _rule_now(kit: Kit, rule: Any) -> dict[str, Any]:
    """An installed rule in the form of a bundle entry (its checked definition spread out)."""
    return {
        "description": rule.description,
        "target": rule.target,
        "active": rule.active,
        **{k: rule.definition.get(k) for k in _DEFINITION},
    }


def _rule_normal(kit: Kit, e: Mapping[str, Any]) -> dict[str, Any]:
    """An entry's definition as the rule service would store it, so equal rules compare equal."""
    target = e.get("target", "company")
    checked = check_definition(kit, e["name"], target, {k: e.get(k) for k in _DEFINITION})
    header = {k: e[k] for k in ("description", "target", "active") if k in e}
    return {**header, **{k: checked.get(k) for k in _DEFINITION}}


register(
    AssetKind(
        "rules",
        90,
        frozenset({"name", "actions"}),
        frozenset(
            {
                "description",
                "target",
                "where",
                "logic",
                "without_activity",
                "active",
                "trigger",
                "limit",
                "change",
                "having",
            }
        ),
        create=_rule,
        check=_check_rule,
        flags=frozenset({"active"}),
        stored="rule",
        current=_rule_now,
        normal=_rule_normal,
    )
)


# --------------------------------------------------------------------------- programs
def _check_program(kit: Kit, e: Mapping[str, Any]) -> None:
    """What can be checked before anything is written: the target (the steps may name
    email templates the same bundle adds, so they are checked when the program is made)."""
    if e.get("target", "person") not in PROGRAM_TARGETS:
        raise ValidationError(f"target is one of {', '.join(PROGRAM_TARGETS)}", value=e.get("target"))


def _program_now(kit: Kit, program: Any) -> dict[str, Any]:
    """An installed program in the form of a bundle entry (its checked definition spread out)."""
    return {
        "description": program.description,
        "target": program.target,
        "active": program.active,
        "steps": program.definition.get("steps"),
        "exit": program.definition.get("exit"),
    }


def _program_normal(kit: Kit, e: Mapping[str, Any]) -> dict[str, Any]:
    """An entry as the program service would store it, so equal programs compare equal."""
    target = e.get("target", "person")
    checked = check_program(kit, e["name"], target, e["steps"], e.get("exit"))
    header = {k: e[k] for k in ("description", "target", "active") if k in e}
    return {**header, "steps": checked["steps"], "exit": checked["exit"]}


register(
    AssetKind(
        "programs",
        60,  # after the email templates their steps send, before the rules that enter them (MAIL_03)
        frozenset({"name", "steps"}),
        frozenset({"description", "target", "exit", "active"}),
        create=lambda d, e: d.kit.programs.create_from(e, bundle=d.bundle_name).id,
        check=_check_program,
        flags=frozenset({"active"}),
        stored="program",
        current=_program_now,
        normal=_program_normal,
    )
)
