"""Hostile input to rules and programs is refused when they are saved (AUTO_01-AUTO_03,
MAIL_03, NOTIF_05, SEC_05, SEC_07): a successkit error naming the rule or program and
the offending value, nothing written, never a bare TypeError or OverflowError - on
every backend."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

import pytest

import successkit as sk

from .helpers import World

NOTE = {"do": "log_activity", "type": "note", "subject": "Noted: {name}"}
SECRET_ENV = "SK_TEST_RULE_INPUT_SECRET"
COUNT: dict[str, Any] = {"related": {"count": "company", "by": "csm_id"}, "op": ">="}


@pytest.fixture
def w(kit: sk.Kit) -> Iterator[World]:
    os.environ[SECRET_ENV] = "s3cret"
    kit.playbooks.create_email_template("Hello", "Hi {{company.name}}")
    yield World(kit)
    os.environ.pop(SECRET_ENV, None)


def refused(kit: sk.Kit, make: Callable[[], Any], rule: str, value: Any, *, named: str = "rule 'R'") -> str:
    """The refusal of ``make``: a RuleViolation of ``rule`` naming the rule and ``value``;
    no rule or program written."""
    before = (kit.rules.count(), kit.programs.count())
    with pytest.raises(sk.SuccessKitError) as e:
        make()
    assert isinstance(e.value, sk.ValidationError), e.value
    assert (e.value.rule, e.value.value) == (rule, value), e.value
    assert named in e.value.message
    assert (kit.rules.count(), kit.programs.count()) == before
    return e.value.message


def webhook(url: Any) -> dict[str, Any]:
    return {"do": "call_webhook", "url": url, "secret_env": SECRET_ENV}


# ----------------------------------------------------------------- AUTO_03 assign
@pytest.mark.parametrize("ref", [["x"], {"id": "x"}, 7])
def test_assign_to_a_user_that_is_not_text_is_refused__AUTO_03(kit: sk.Kit, w: World, ref: Any) -> None:
    actions = [{"do": "assign", "user": ref}]
    refused(kit, lambda: kit.rules.create("R", actions=actions), "AUTO_03", ref)
    team = [{"do": "assign", "team": [w.alice.id, ref], "how": "round_robin"}]
    refused(kit, lambda: kit.rules.create("R", actions=team), "AUTO_03", ref)


def test_assign_to_a_viewer_inactive_user_or_collaborator_is_refused__AUTO_03(kit: sk.Kit, w: World) -> None:
    """The run picks CSMs among active users who may work records: a viewer would be
    skipped at every run, so it is refused when the rule is saved."""
    viewer = kit.users.create("Vic", license="viewer", email="vic@example.com")
    for user, ref in ((viewer, viewer.id), (viewer, "VIC@example.com"), (w.gone, w.gone.id), (w.ian, w.ian.id)):
        actions = [{"do": "assign", "user": ref}]
        message = refused(kit, partial(kit.rules.create, "R", actions=actions), "AUTO_03",
                          ref if user is viewer else user.name)  # fmt: skip
        assert "a a " not in message
    viewer = kit.users.create("Vera", license="viewer", groups=["emea"])
    group = [{"do": "assign", "group": "emea", "how": "least_loaded"}]
    refused(kit, lambda: kit.rules.create("R", actions=group), "AUTO_03", "emea")


# ----------------------------------------------------------- NOTIF_05 webhook URLs
@pytest.mark.parametrize(
    "address",
    ["ftp://h.example/", "http://", "http:/path", "javascript:alert(1)", "https://#x", "https://h.example/\r\nX: y"],
)
def test_webhook_urls_that_are_not_http_are_refused__AUTO_03_NOTIF_05(kit: sk.Kit, w: World, address: str) -> None:
    refused(kit, lambda: kit.rules.create("R", actions=[webhook(address)]), "AUTO_03", address)


@pytest.mark.parametrize("address", ["https://ann:hunter2@hooks.example/in", "https://tok3n@hooks.example/in"])
def test_webhook_urls_with_credentials_are_refused_without_echoing_them__AUTO_03(
    kit: sk.Kit, w: World, address: str
) -> None:
    shown = "https://hooks.example/in"
    message = refused(kit, lambda: kit.rules.create("R", actions=[webhook(address)]), "AUTO_03", shown)
    assert "hunter2" not in message and "tok3n" not in message and "ann" not in message
    with pytest.raises(sk.ValidationError, match="user name or password"):
        sk.WebhookNotifier(address, secret="s")


def test_a_webhook_url_longer_than_the_limit_is_refused__AUTO_03_SEC_07(kit: sk.Kit, w: World) -> None:
    from successkit.plugins.webhook_notifier import MAX_URL

    url = "https://hooks.example/" + "a" * MAX_URL
    refused(kit, lambda: kit.rules.create("R", actions=[webhook(url)]), "AUTO_03", len(url))
    kit.rules.create("R", actions=[webhook("https://hooks.example/" + "a" * 100)])


# ------------------------------------------------------------ AUTO_03 update_field
def test_update_field_text_the_store_would_refuse_is_refused__AUTO_03_SEC_07(kit: sk.Kit, w: World) -> None:
    for value in ("x" * 1001, "a\x00b"):
        action = {"do": "update_field", "field": "stage", "value": value}
        refused(kit, partial(kit.rules.create, "R", actions=[action]), "AUTO_03", value)
    kit.rules.create("R", actions=[{"do": "update_field", "field": "stage", "value": "x" * 1000}])


# ------------------------------------------------------- AUTO_02 having and change
@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf"), 10**16, 10**400, True, "5"])
def test_having_with_a_value_that_is_not_a_sane_number_is_refused__AUTO_02(kit: sk.Kit, w: World, value: Any) -> None:
    having = [{**COUNT, "value": value}]
    refused(kit, lambda: kit.rules.create("R", actions=[NOTE], having=having), "AUTO_02", value)
    between = [{**COUNT, "op": "between", "value": [0, value]}]
    refused(kit, lambda: kit.rules.create("R", actions=[NOTE], having=between), "AUTO_02", [0, value])


@pytest.mark.parametrize("operand", [float("nan"), float("inf"), 10**16, 10**400])
def test_change_conditions_with_numbers_no_store_keeps_are_refused__AUTO_02(
    kit: sk.Kit, w: World, operand: Any
) -> None:
    trigger = {"on": "changed", "field": "arr"}
    change = [("to", ">", operand)]
    refused(kit, lambda: kit.rules.create("R", actions=[NOTE], trigger=trigger, change=change), "AUTO_02", operand)


def test_change_conditions_of_unbounded_size_are_refused__AUTO_02_SEC_07(kit: sk.Kit, w: World) -> None:
    from successkit.automation.conditions import MAX_VALUES

    trigger = {"on": "changed", "field": "stage"}
    many = [("to", "in", [str(i) for i in range(MAX_VALUES + 1)])]
    refused(kit, lambda: kit.rules.create("R", actions=[NOTE], trigger=trigger, change=many), "AUTO_02", MAX_VALUES + 1)
    long = [("to", "=", "x" * 501)]
    refused(kit, lambda: kit.rules.create("R", actions=[NOTE], trigger=trigger, change=long), "AUTO_02", 501)


# ----------------------------------------------------------------- AUTO_01 triggers
@pytest.mark.parametrize("to", [float("inf"), 10**400])
def test_a_trigger_value_no_store_keeps_is_refused__AUTO_01(kit: sk.Kit, w: World, to: Any) -> None:
    trigger = {"on": "changed", "field": "arr", "to": to}
    refused(kit, lambda: kit.rules.create("R", actions=[NOTE], trigger=trigger), "AUTO_01", to)


def test_where_values_no_store_keeps_are_refused_naming_the_rule__RULE_01_SEC_05(kit: sk.Kit, w: World) -> None:
    for value in (float("inf"), 10**400):
        where = [("arr", ">", value)]
        refused(kit, partial(kit.rules.create, "R", actions=[NOTE], where=where), "RULE_01", value)


def test_a_rule_of_unbounded_size_is_refused__RULE_01_SEC_07(kit: sk.Kit, w: World) -> None:
    from successkit.automation.definitions import MAX_ACTIONS, MAX_DEFINITION

    actions = [{**NOTE, "subject": f"Note {i}"} for i in range(MAX_ACTIONS + 1)]
    refused(kit, lambda: kit.rules.create("R", actions=actions), "RULE_01", MAX_ACTIONS + 1)
    where = [("stage", "in", [f"stage {i:06}" for i in range(MAX_DEFINITION // 10)])]
    with pytest.raises(sk.RuleViolation) as e:
        kit.rules.create("R", actions=[NOTE], where=where)
    assert e.value.rule == "RULE_01" and "rule 'R'" in e.value.message and "characters as JSON" in e.value.message
    assert isinstance(e.value.value, int) and e.value.value > MAX_DEFINITION
    assert kit.rules.count() == 0


def test_a_flag_that_is_not_true_or_false_names_the_rule_or_program__SEC_05(kit: sk.Kit, w: World) -> None:
    refused(kit, lambda: kit.rules.create("R", actions=[NOTE], active="yes"), "SEC_05", "yes")  # type: ignore[arg-type]
    steps = [{"do": "send_email", "template": "Hello", "to": "csm"}]
    make = lambda: kit.programs.create("P", target="company", steps=steps, active="yes")  # type: ignore[arg-type]  # noqa: E731
    refused(kit, make, "SEC_05", "yes", named="program 'P'")


# -------------------------------------------------------------------- MAIL_03 programs
def test_a_program_of_unbounded_length_is_refused__MAIL_03_SEC_07(kit: sk.Kit, w: World) -> None:
    from successkit.automation.program_steps import MAX_STEPS

    step: list[dict[str, Any]] = [{"do": "wait", "days": 1}, {"do": "send_email", "template": "Hello", "to": "csm"}]
    steps = step * (MAX_STEPS // 2 + 1)
    make = lambda: kit.programs.create("P", target="company", steps=steps)  # noqa: E731
    refused(kit, make, "MAIL_03", len(steps), named="program 'P'")
    kit.programs.create("P", target="company", steps=step * (MAX_STEPS // 2))


@pytest.mark.parametrize("days", [0, -1, True, 1.5, float("nan"), 10**9, None])
def test_program_waits_that_are_not_whole_days_are_refused__MAIL_03(kit: sk.Kit, w: World, days: Any) -> None:
    steps = [{"do": "wait", "days": days}, {"do": "send_email", "template": "Hello", "to": "csm"}]
    make = lambda: kit.programs.create("P", target="company", steps=steps)  # noqa: E731
    message = refused(kit, make, "MAIL_03", days, named="program 'P'")
    assert "step 1 (wait)" in message


# ------------------------------------------------------------ AUTO_03 set_measure
@pytest.mark.parametrize("value", [10**400, -(10**400), float("nan"), True, 101])
def test_set_measure_with_a_value_out_of_range_is_refused__AUTO_03_SCORE_02(kit: sk.Kit, w: World, value: Any) -> None:
    """A whole number beyond the float range is refused like any other (an OverflowError until now)."""
    kit.measures.create("adoption")
    action = {"do": "set_measure", "measure": "adoption", "value": value}
    refused(kit, partial(kit.rules.create, "R", actions=[action]), "AUTO_03", value)


# --------------------------------------------------------- MAIL_01 email templates
def test_a_template_placeholder_that_does_not_exist_names_the_template__MAIL_01(kit: sk.Kit, w: World) -> None:
    for subject in ("{{company.__class__}}", "{{company.name|upper}}", "{{company.secret}}", "{{company}}"):
        with pytest.raises(sk.ValidationError) as e:
            kit.playbooks.create_email_template("Leaky", subject)
        assert (e.value.rule, e.value.value) == ("MAIL_01", subject) and "'Leaky'" in e.value.message
    assert kit.store.count(kit.bind("email_template", sk.Query(conditions=[("name", "=", "Leaky")]))) == 0


def test_playbook_ensure_with_an_unknown_option_is_refused__SEC_05(kit: sk.Kit) -> None:
    """Found by the public-API fuzz test: a TypeError until now."""
    with pytest.raises(sk.ValidationError) as e:
        kit.playbooks.ensure("Rescue", [{"name": "Call"}], reason="churn")
    assert e.value.value == "reason" and kit.playbooks.count() == 0


def test_plan_template_ensure_with_an_unknown_option_is_refused__SEC_05(kit: sk.Kit) -> None:
    """Found by the public-API fuzz test: a TypeError until now."""
    with pytest.raises(sk.ValidationError) as e:
        kit.plan_templates.ensure("Onboard", "onboarding", [], reason="churn")
    assert e.value.value == "reason" and kit.plan_templates.count() == 0


def test_user_and_company_ensure_with_an_unknown_option_are_refused__SEC_05(kit: sk.Kit) -> None:
    """Found by the public-API fuzz test: a TypeError until now."""
    with pytest.raises(sk.ValidationError) as e:
        kit.users.ensure("Ann", email="ann@example.com", bogus="")
    assert e.value.value == "bogus" and kit.users.count() == 0
    with pytest.raises(sk.ValidationError) as e:
        kit.companies.ensure("Acme", external_id="A-1", bogus="")
    assert e.value.value == "bogus" and kit.companies.count() == 0
