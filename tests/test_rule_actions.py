"""The rule actions of AUTO_03 (update a field, close CTAs, set a measure, assign a
CSM, send an email, call a webhook), each keeping RULE_02 (nothing twice) and
RULE_03 (a dry run writes and sends nothing), checked when the rule is saved,
bounded in storage calls; rules triggering rules (AUTO_04); and the fault
injection of event rules (AUTO_01) - on every backend."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

import successkit as sk
from successkit.plugins.hookspecs import hookimpl
from successkit.plugins.webhook_notifier import SIGNATURE_HEADER, verify_signature
from successkit.testing.faults import InjectedFault

from .helpers import World, snapshot

SECRET = "rule-hook-secret"


class Outbox:
    """A sender plugin that keeps what it is given and accepts it."""

    def __init__(self) -> None:
        self.sent: list[sk.OutgoingEmail] = []

    @hookimpl
    def successkit_send_email(self, email: sk.OutgoingEmail, kit: sk.Kit) -> bool:
        assert not kit.store.in_transaction  # after the commit, never inside it
        self.sent.append(email)
        return True


class Receiver:
    """What the loopback server answers (in order; the last repeats) and what it got."""

    def __init__(self) -> None:
        self.got: list[tuple[dict[str, str], bytes]] = []
        self.answers = [204]
        self.url = ""

    def answer(self) -> int:
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    rec = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            rec.got.append(({k.lower(): v for k, v in self.headers.items()}, body))
            self.send_response(rec.answer())
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    rec.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/rule"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield rec
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def w(kit: sk.Kit) -> World:
    world = World(kit)
    kit.users.update(world.alice, email="alice@cs.example")
    kit.companies.update(world.acme.id, csm_id=world.alice.id, stage="adopting")
    kit.companies.update(world.other.id, csm_id=world.alice.id, stage="adopting")
    return world


def rule(kit: sk.Kit, *actions: dict[str, Any], name: str = "Act", **kw: Any) -> sk.Rule:
    kw.setdefault("where", [("stage", "=", "adopting")])
    return kit.rules.create(name, actions=list(actions), **kw)


# ---------------------------------------------------------------------- update_field
def test_update_field_writes_history_and_a_rerun_is_unchanged__AUTO_03_RULE_02(kit: sk.Kit, w: World) -> None:
    kit.custom_fields.declare("company", "tier", "text")
    r = rule(kit, {"do": "update_field", "field": "industry", "value": "Retail"},
             {"do": "update_field", "field": "tier", "from_field": "stage"})  # fmt: skip
    run = kit.rules.run(r)
    assert run.summary() == {"update_field": {"updated": 4}}
    acme = kit.companies.get(w.acme.id)
    assert (acme.industry, acme.fields["tier"]) == ("Retail", "adopting")
    assert kit.rules.run(r).summary() == {"update_field": {"unchanged": 4}}  # RULE_02
    assert "RULE_02: company 'Acme' industry is already 'Retail'" in str(kit.rules.run(r))
    kit.history.track("company", ["stage", "industry"])
    kit.rules.create("Stage", where=[("name", "=", "Acme")],
                     actions=[{"do": "update_field", "field": "stage", "value": "renewing"}])  # fmt: skip
    kit.rules.run("Stage")
    point = kit.history.series("stage", records=[w.acme]).points[-1]  # HIST_01: the writers' path
    assert (point.old, point.value) == ("adopting", "renewing")


def test_update_field_from_the_latest_call_sentiment__AUTO_03_ACT_01(kit: sk.Kit, w: World) -> None:
    """The seed's sentiment tracking: the latest call's sentiment into a company field."""
    kit.custom_fields.declare("activity", "sentiment", "dropdown", options=["red", "yellow", "green"])
    kit.custom_fields.declare("company", "call_sentiment", "dropdown", options=["red", "yellow", "green"])
    kit.timeline.log("call", "Kickoff", company=w.acme, fields={"sentiment": "green"})
    r = rule(kit, {"do": "update_field", "field": "call_sentiment",
                   "from_activity": {"field": "sentiment", "types": ["call"]}})  # fmt: skip
    run = kit.rules.run(r)
    assert kit.companies.get(w.acme.id).fields["call_sentiment"] == "green"
    assert run.summary() == {"update_field": {"updated": 1, "skipped": 1}}
    assert "no published activity has a value for 'sentiment'" in str(run)


def test_update_field_of_a_relationships_company_and_of_sponsors__AUTO_03(kit: sk.Kit, w: World) -> None:
    kit.relationships.update(w.rel.id, stage="adopting", arr=500.0)
    sponsor = kit.people.create("Sam", company=w.acme, sponsor=True, relationships=[w.rel])
    kit.people.create("Not a sponsor", company=w.acme, relationships=[w.rel])
    r = rule(kit, {"do": "update_field", "of": "company", "field": "arr", "from_field": "arr"},
             {"do": "update_field", "of": "sponsors", "field": "title", "value": "Sponsor"},
             target="relationship")  # fmt: skip
    kit.rules.run(r)
    assert kit.companies.get(w.acme.id).arr == 500.0
    titles = {p.name: p.title for p in kit.people.list([("company_id", "=", w.acme.id)])}
    assert titles == {"Sam": "Sponsor", "Not a sponsor": None, "Pat": None}
    assert kit.people.get(sponsor.id).title == "Sponsor"
    assert kit.rules.run(r).summary() == {"update_field": {"unchanged": 2}}


def test_a_field_written_by_a_rule_triggers_event_rules__AUTO_03_AUTO_04(kit: sk.Kit, w: World) -> None:
    """Rules triggering rules: the write goes through the writers' path, so the
    stage change it makes fires the event rule on that stage."""
    kit.rules.create("Detractor", trigger={"on": "changed", "field": "arr"}, where=[("arr", "<", 100)],
                     actions=[{"do": "update_field", "field": "stage", "value": "at_risk"}])  # fmt: skip
    kit.rules.create("At risk", trigger={"on": "changed", "field": "stage", "to": "at_risk"},
                     actions=[{"do": "create_cta", "name": "Risk: {name}", "type": "risk"}])  # fmt: skip
    kit.companies.update(w.acme.id, arr=50.0)
    assert kit.companies.get(w.acme.id).stage == "at_risk"
    assert [c.name for c in kit.ctas.list()] == ["Risk: Acme"]
    assert sorted((e.depth, e.rule_name, e.outcome) for e in kit.rules.run_log()) == [
        (1, "Detractor", "ran"), (2, "At risk", "ran"),
    ]  # fmt: skip


# ------------------------------------------------------------------------ close_ctas
def test_close_ctas_closes_matching_open_ones_once__AUTO_03_RULE_02(kit: sk.Kit, w: World) -> None:
    risk = kit.ctas.create("Risk", company=w.acme, type="risk", reason="low_usage").record
    other = kit.ctas.create("Other", company=w.acme, type="risk").record
    named = kit.ctas.create("Churn: Other Co", company=w.other, type="risk").record
    kit.ctas.create("Churn: Acme?", company=w.other, type="risk")
    closed = kit.statuses.in_category("cta", "closed_success")[0]
    r = rule(kit, {"do": "close_ctas", "type": "risk", "reason": "low_usage", "status": closed})
    run = kit.rules.run(r)
    assert run.count("updated", "close_ctas") == 1 and run.count("unchanged", "close_ctas") == 1
    assert kit.ctas.get(risk.id).status == closed and kit.ctas.get(risk.id).closed_at is not None
    assert kit.ctas.get(other.id).status == other.status
    assert kit.rules.run(r).summary() == {"close_ctas": {"unchanged": 2}}
    by_name = rule(kit, {"do": "close_ctas", "type": "risk", "name": "Churn: {name}", "status": closed}, name="Named")
    assert kit.rules.run(by_name).summary() == {"close_ctas": {"unchanged": 1, "updated": 1}}
    assert kit.ctas.get(named.id).status == closed and kit.ctas.get(other.id).status == other.status


def test_close_ctas_refuses_an_open_or_unknown_status__AUTO_03(kit: sk.Kit, w: World) -> None:
    opened = kit.statuses.in_category("cta", "open")[0]
    for status in (opened, "no_such_status"):
        with pytest.raises(sk.RuleViolation, match=r"rule 'Act'.*closed CTA status") as e:
            rule(kit, {"do": "close_ctas", "type": "risk", "status": status})
        assert e.value.rule == "AUTO_03" and e.value.value == status


# ----------------------------------------------------------------------- set_measure
def test_set_measure_enters_a_manual_value_once__AUTO_03_SCORE_02(kit: sk.Kit, w: World) -> None:
    kit.measures.create("exec_sponsor")
    kit.measures.create("usage", source={"type": "field", "field": "arr", "map": {"linear": [0, 100]}})
    with pytest.raises(sk.RuleViolation, match="only manual measures") as e:
        rule(kit, {"do": "set_measure", "measure": "usage", "value": 10})
    assert e.value.rule == "AUTO_03"
    r = rule(kit, {"do": "set_measure", "measure": "exec_sponsor", "value": 80, "comment": "stale reset"})
    assert kit.rules.run(r).summary() == {"set_measure": {"created": 2}}
    (entry,) = kit.scorecards.entries(w.acme)
    assert (entry.measure, entry.value, entry.comment) == ("exec_sponsor", 80.0, "stale reset")
    assert kit.rules.run(r).summary() == {"set_measure": {"unchanged": 2}}
    kit.scorecards.set_value(w.acme, "exec_sponsor", 20)
    assert kit.rules.run(r).summary() == {"set_measure": {"updated": 1, "unchanged": 1}}


def test_set_measure_clears_stale_entries_to_na__AUTO_03_SCORE_03(kit: sk.Kit, w: World) -> None:
    """``value`` "NA" with ``older_than_days`` "staleness" deletes only the entries older
    than the measure's staleness: the measure reads NA; fresh entries stay; a rerun does
    nothing (RULE_02), a dry run deletes nothing (RULE_03)."""
    from datetime import timedelta

    kit.measures.create("sentiment", staleness_days=60)
    kit.measures.create("fresh_only")
    today = kit.today()
    kit.scorecards.set_value(w.acme, "sentiment", 30, as_of=today - timedelta(days=61))
    kit.scorecards.set_value(w.other, "sentiment", 90, as_of=today - timedelta(days=60))
    with pytest.raises(sk.RuleViolation, match="does not go stale") as e:
        rule(kit, {"do": "set_measure", "measure": "fresh_only", "value": "NA", "older_than_days": "staleness"})
    assert (e.value.rule, e.value.value) == ("AUTO_03", "fresh_only")
    with pytest.raises(sk.RuleViolation, match="older_than_days") as e:
        rule(kit, {"do": "set_measure", "measure": "sentiment", "value": "NA", "older_than_days": -1})
    assert e.value.value == -1
    with pytest.raises(sk.RuleViolation, match="'value'"):
        rule(kit, {"do": "set_measure", "measure": "sentiment"})
    r = rule(kit, {"do": "set_measure", "measure": "sentiment", "value": "NA", "older_than_days": "staleness"},
             where=[])  # fmt: skip
    assert kit.rules.run(r, dry_run=True).summary() == {"set_measure": {"updated": 1, "unchanged": 1}}
    assert len(kit.scorecards.entries(w.acme)) == 1
    assert kit.rules.run(r).summary() == {"set_measure": {"updated": 1, "unchanged": 1}}
    assert kit.scorecards.entries(w.acme) == []
    assert [e.value for e in kit.scorecards.entries(w.other)] == [90.0]
    assert kit.rules.run(r).summary() == {"set_measure": {"unchanged": 2}}
    # a number with an age replaces only old entries; NA without one clears every entry
    kit.scorecards.set_value(w.acme, "sentiment", 10, as_of=today - timedelta(days=5))
    r2 = rule(kit, {"do": "set_measure", "measure": "sentiment", "value": 50, "older_than_days": 3},
              name="Old to 50", where=[])  # fmt: skip
    assert kit.rules.run(r2).summary() == {"set_measure": {"updated": 2}}
    r3 = rule(kit, {"do": "set_measure", "measure": "sentiment", "value": None}, name="Clear", where=[])
    assert kit.rules.run(r3).summary() == {"set_measure": {"updated": 2}}
    assert kit.rules.run(r3).summary() == {"set_measure": {"unchanged": 2}}


# ---------------------------------------------------------------------------- assign
def test_assign_a_named_user_by_email__AUTO_03_RULE_02(kit: sk.Kit, w: World) -> None:
    cleo = kit.users.create("Cleo", email="cleo@cs.example")
    r = rule(kit, {"do": "assign", "user": "CLEO@cs.example"})
    run = kit.rules.run(r)
    assert run.summary() == {"assign": {"updated": 2}} and kit.companies.get(w.acme.id).csm_id == cleo.id
    assert kit.rules.run(r).summary() == {"assign": {"unchanged": 2}}
    for bad in ("nobody@cs.example", w.gone.id):
        with pytest.raises(sk.RuleViolation, match="rule 'Bad'") as e:
            kit.rules.create("Bad", actions=[{"do": "assign", "user": bad}])
        assert e.value.rule == "AUTO_03"


def test_assign_round_robin_goes_on_where_it_stopped__AUTO_03(kit: sk.Kit, w: World) -> None:
    a, b, c = (kit.users.create(n) for n in ("A", "B", "C"))
    kit.companies.create_many([{"name": f"N{i}", "stage": "new"} for i in range(4)])
    r = rule(kit, {"do": "assign", "team": [a.id, b.id, c.id], "how": "round_robin"}, where=[("stage", "=", "new")])
    kit.rules.run(r)
    names = {u.id: u.name for u in (a, b, c)}
    got = [names[x.csm_id or ""] for x in kit.companies.list([("stage", "=", "new")], sort=["name"])]
    assert got == ["A", "B", "C", "A"]
    kit.companies.create_many([{"name": f"M{i}", "stage": "new"} for i in range(2)])
    assert kit.rules.run(r).summary() == {"assign": {"updated": 2, "unchanged": 4}}
    got = [names[x.csm_id or ""] for x in kit.companies.list([("name", "starts with", "M")], sort=["name"])]
    assert got == ["B", "C"]  # the rotation remembered its position


def test_assign_the_least_loaded_of_a_group__AUTO_03(kit: sk.Kit, w: World) -> None:
    """The seed's "match new accounts to the CSM with the lowest load"."""
    a = kit.users.create("A", groups=["east"])
    b = kit.users.create("B", groups=["east"])
    kit.companies.create_many([{"name": f"Old{i}", "csm_id": a.id} for i in range(3)])
    kit.companies.create_many([{"name": f"New{i}", "stage": "new"} for i in range(4)])
    r = rule(kit, {"do": "assign", "group": "east", "how": "least_loaded"}, where=[("stage", "=", "new")])
    kit.store.stats.reset()
    kit.rules.run(r)
    got = [x.csm_id for x in kit.companies.list([("stage", "=", "new")], sort=["name"])]
    assert got == [b.id, b.id, b.id, a.id]  # B catches up with A's three, then A (team order) wins the tie
    with pytest.raises(sk.RuleViolation, match="no active user is in this group"):
        rule(kit, {"do": "assign", "group": "west", "how": "least_loaded"}, name="West")


def test_assign_on_relationships__AUTO_03(kit: sk.Kit, w: World) -> None:
    cleo = kit.users.create("Cleo")
    r = rule(kit, {"do": "assign", "user": cleo.id}, target="relationship", where=[])
    assert kit.rules.run(r).summary() == {"assign": {"updated": 1}}
    assert kit.relationships.get(w.rel.id).csm_id == cleo.id


# ------------------------------------------------------------------------ send_email
def test_send_email_renders_and_sends_once_after_commit__AUTO_03_MAIL_01_RULE_02(kit: sk.Kit, w: World) -> None:
    outbox = Outbox()
    kit.plugins.register(outbox)
    kit.playbooks.create_email_template("Welcome", "Welcome, {{company.name}}", "Your CSM is {{csm.first_name}}.")
    r = rule(kit, {"do": "send_email", "template": "Welcome"})
    with kit.transaction():
        run = kit.rules.run(r)
        assert outbox.sent == []  # inside the transaction nothing has gone
    assert run.summary() == {"send_email": {"sent": 2}}
    assert sorted((m.to, m.subject, m.body, m.rule) for m in outbox.sent) == [
        (("alice@cs.example",), "Welcome, Acme", "Your CSM is Alice.", "Act"),
        (("alice@cs.example",), "Welcome, Other Co", "Your CSM is Alice.", "Act"),
    ]
    again = kit.rules.run(r)
    assert again.summary() == {"send_email": {"unchanged": 2}} and len(outbox.sent) == 2  # RULE_02
    assert "already sent on 2026-11-24" in str(again)


class Declining:
    @hookimpl
    def successkit_send_email(self, email: sk.OutgoingEmail, kit: sk.Kit) -> bool:
        return False


def test_a_refused_email_or_webhook_call_is_tried_again_by_the_next_run__AUTO_03_RULE_02(
    kit: sk.Kit, w: World, receiver: Receiver, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("RULE_HOOK_SECRET", SECRET)
    declining = Declining()
    kit.plugins.register(declining)
    receiver.answers = [400, 204]  # refused (not retried), then accepted
    kit.playbooks.create_email_template("Hello", "Hello {{company.name}}", "")
    r = rule(kit, {"do": "send_email", "template": "Hello"},
             {"do": "call_webhook", "url": receiver.url, "secret_env": "RULE_HOOK_SECRET"},
             where=[("name", "=", "Acme")])  # fmt: skip
    with caplog.at_level("WARNING"):
        assert kit.rules.run(r).count("sent") == 2
    assert "email of rule 'Act' to alice@cs.example not sent: the email sender did not accept" in caplog.text
    assert len(receiver.got) == 1
    kit.plugins.unregister(declining)
    outbox = Outbox()
    kit.plugins.register(outbox)
    assert kit.rules.run(r).count("sent") == 2  # both were forgotten: tried again
    assert [m.subject for m in outbox.sent] == ["Hello Acme"] and len(receiver.got) == 2
    assert kit.rules.run(r).count("unchanged") == 2  # delivered now: not again


def test_send_email_to_sponsors_and_an_enrolment_limit_allows_again__AUTO_03_AUTO_04(
    kit: sk.Kit, w: World, clock: sk.FixedClock
) -> None:
    outbox = Outbox()
    kit.plugins.register(outbox)
    kit.people.create("Sam Lee", company=w.acme, email="sam@acme.example", sponsor=True)
    kit.playbooks.create_email_template("Check-in", "Hi {{person.first_name}}", "")
    r = rule(kit, {"do": "send_email", "template": "Check-in", "to": "sponsors"}, limit={"every_days": 30})
    run = kit.rules.run(r)
    assert run.summary() == {"send_email": {"sent": 1, "skipped": 1}}
    assert "no address to send to (sponsors)" in str(run)
    assert [(m.to, m.subject) for m in outbox.sent] == [(("sam@acme.example",), "Hi Sam")]
    kit.rules.run(r)
    assert len(outbox.sent) == 1  # within the limit's 30 days: held back
    clock.advance(days=30)
    kit.rules.run(r)
    assert len(outbox.sent) == 2  # the limit lets the target in again, and the email goes again


def test_send_email_refuses_placeholders_the_rule_cannot_fill__AUTO_03_MAIL_01(kit: sk.Kit, w: World) -> None:
    kit.playbooks.create_email_template("CTA mail", "About {{cta.name}}", "")
    kit.playbooks.create_email_template("Person mail", "Hi {{person.first_name}}", "")
    for template, bad in (("CTA mail", "{{cta.name}}"), ("Person mail", "{{person.first_name}}")):
        with pytest.raises(sk.RuleViolation, match=r"rule 'Act'.*cannot fill") as e:
            rule(kit, {"do": "send_email", "template": template})
        assert (e.value.rule, e.value.value) == ("AUTO_03", bad)
    with pytest.raises(sk.RuleViolation, match="no email template"):
        rule(kit, {"do": "send_email", "template": "Missing"})


# ---------------------------------------------------------------------- call_webhook
def test_call_webhook_posts_signed_json_once__AUTO_03_RULE_02(
    kit: sk.Kit, w: World, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RULE_HOOK_SECRET", SECRET)
    r = rule(kit, {"do": "call_webhook", "url": receiver.url, "secret_env": "RULE_HOOK_SECRET"},
             where=[("name", "=", "Acme")])  # fmt: skip
    run = kit.rules.run(r)
    assert run.summary() == {"call_webhook": {"sent": 1}}
    ((headers, body),) = receiver.got
    assert verify_signature(SECRET, body, headers[SIGNATURE_HEADER.lower()])
    doc = json.loads(body)
    assert (doc["rule"], doc["company"]["name"], doc["company"]["csm_id"]) == ("Act", "Acme", w.alice.id)
    assert headers["x-successkit-delivery"] == doc["id"] == run.steps[0].record_id
    assert kit.rules.run(r).summary() == {"call_webhook": {"unchanged": 1}} and len(receiver.got) == 1


def test_call_webhook_retries_and_tells_of_a_relationships_company__AUTO_03(
    kit: sk.Kit, w: World, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RULE_HOOK_SECRET", SECRET)
    receiver.answers = [503, 204]  # overloaded once, then delivered
    r = rule(kit, {"do": "call_webhook", "url": receiver.url + "?token=hidden", "secret_env": "RULE_HOOK_SECRET"},
             target="relationship", where=[])  # fmt: skip
    run = kit.rules.run(r)
    assert "hidden" not in str(run)  # a token in the query stays out of the report
    assert len(receiver.got) == 2
    (first, _), (second, body) = receiver.got
    assert first["x-successkit-delivery"] == second["x-successkit-delivery"]  # the same delivery, retried
    assert verify_signature(SECRET, body, second[SIGNATURE_HEADER.lower()])
    doc = json.loads(body)
    assert (doc["relationship"]["name"], doc["company"]["name"]) == ("Acme Analytics", "Acme")


def test_a_webhook_url_that_is_not_http_is_refused_at_save__AUTO_03(
    kit: sk.Kit, w: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RULE_HOOK_SECRET", SECRET)
    for url in ("ftp://hooks.example/x", "file:///etc/passwd", "javascript:alert(1)", "hooks.example"):
        with pytest.raises(sk.RuleViolation, match="rule 'Hook'") as e:
            kit.rules.create("Hook", actions=[{"do": "call_webhook", "url": url, "secret_env": "RULE_HOOK_SECRET"}])
        assert (e.value.rule, e.value.value) == ("AUTO_03", url)
    monkeypatch.delenv("RULE_HOOK_SECRET")
    with pytest.raises(sk.RuleViolation, match="not set"):
        kit.rules.create(
            "Hook", actions=[{"do": "call_webhook", "url": "https://x.example/", "secret_env": "RULE_HOOK_SECRET"}]
        )
    assert kit.rules.list() == []


@pytest.mark.parametrize(
    ("action", "value"),
    [
        ({"do": "update_field", "field": "health_score", "value": 3}, "health_score"),  # computed
        ({"do": "update_field", "field": "no_such_field", "value": 3}, "no_such_field"),
        ({"do": "update_field", "field": "arr", "value": "lots"}, "lots"),
        ({"do": "update_field", "field": "stage", "from_field": "nope"}, "nope"),
        ({"do": "update_field", "field": "stage", "from_activity": {"field": "mood"}}, "mood"),
        ({"do": "update_field", "field": "stage", "of": "company", "value": "x"}, "company"),  # a company rule
        ({"do": "close_ctas", "type": "no_such_type", "status": "x"}, "no_such_type"),
        ({"do": "close_ctas", "type": "risk", "name": "Risk: {owner}", "status": "x"}, "Risk: {owner}"),
        ({"do": "set_measure", "measure": "nope", "value": 3}, "nope"),
        ({"do": "assign", "user": "nobody"}, "nobody"),
        ({"do": "assign", "team": ["nobody"], "how": "round_robin"}, "nobody"),
        ({"do": "assign", "team": [], "how": "least_loaded"}, []),
        ({"do": "send_email", "template": "Missing"}, "Missing"),
        ({"do": "send_email", "template": "Hi", "to": "a@x.example, b@x.example"}, "a@x.example, b@x.example"),
        ({"do": "call_webhook", "url": "mailto:a@x.example", "secret_env": "HOME"}, "mailto:a@x.example"),
        ({"do": "call_webhook", "url": "https://x.example/", "secret_env": "NOT A NAME"}, "NOT A NAME"),
    ],
)
def test_actions_that_cannot_apply_are_refused_at_save__AUTO_03(
    kit: sk.Kit, w: World, action: dict[str, Any], value: Any
) -> None:
    kit.playbooks.create_email_template("Hi", "Hi {{company.name}}", "")
    with pytest.raises(sk.RuleViolation, match="rule 'Bad': action 1") as e:
        kit.rules.create("Bad", actions=[action])
    assert (e.value.rule, e.value.value) == ("AUTO_03", value)
    assert kit.rules.list() == []


def test_an_unknown_action_key_is_refused__RULE_01_AUTO_03(kit: sk.Kit, w: World) -> None:
    with pytest.raises(sk.RuleViolation, match=r"action 1 \(update_field\): unknown key") as e:
        kit.rules.create("Bad", actions=[{"do": "update_field", "field": "stage", "value": "x", "colour": "red"}])
    assert e.value.value == "colour"


def test_every_action_on_relationship_targets__AUTO_03(kit: sk.Kit, w: World) -> None:
    outbox = Outbox()
    kit.plugins.register(outbox)
    kit.relationships.update(w.rel.id, csm_id=w.alice.id)
    kit.measures.create("exec_sponsor")
    kit.playbooks.create_email_template("Rel", "{{relationship.name}} of {{company.name}}", "")
    company_cta = kit.ctas.create("Company risk", company=w.acme, type="risk").record
    rel_cta = kit.ctas.create("Rel risk", company=w.acme, relationship=w.rel, type="risk").record
    closed = kit.statuses.in_category("cta", "closed_success")[0]
    r = rule(kit, {"do": "close_ctas", "type": "risk", "status": closed},
             {"do": "set_measure", "measure": "exec_sponsor", "value": 70},
             {"do": "send_email", "template": "Rel"}, target="relationship", where=[])  # fmt: skip
    run = kit.rules.run(r)
    assert run.summary() == {"close_ctas": {"updated": 1}, "set_measure": {"created": 1}, "send_email": {"sent": 1}}
    assert kit.ctas.get(rel_cta.id).status == closed and kit.ctas.get(company_cta.id).status == company_cta.status
    assert [e.value for e in kit.scorecards.entries(w.rel)] == [70.0] and kit.scorecards.entries(w.acme) == []
    assert [m.subject for m in outbox.sent] == ["Acme Analytics of Acme"]


# ---------------------------------------------------------------- every action at once
def all_actions(kit: sk.Kit, url: str) -> list[dict[str, Any]]:
    kit.custom_fields.declare("company", "tier", "text")
    kit.measures.create("exec_sponsor")
    kit.playbooks.create_email_template("Hello", "Hello {{company.name}}", "")
    closed = kit.statuses.in_category("cta", "closed_success")[0]
    cleo = kit.users.create("Cleo", email="cleo@cs.example")
    return [
        {"do": "update_field", "field": "tier", "value": "gold"},
        {"do": "close_ctas", "type": "risk", "status": closed},
        {"do": "set_measure", "measure": "exec_sponsor", "value": 50},
        {"do": "assign", "user": cleo.id},
        {"do": "send_email", "template": "Hello"},
        {"do": "call_webhook", "url": url, "secret_env": "RULE_HOOK_SECRET"},
    ]


def test_a_dry_run_writes_and_sends_nothing__AUTO_03_RULE_03(
    kit: sk.Kit, w: World, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RULE_HOOK_SECRET", SECRET)
    outbox = Outbox()
    kit.plugins.register(outbox)
    kit.ctas.create("Risk", company=w.acme, type="risk")
    r = rule(kit, *all_actions(kit, receiver.url))
    before = snapshot(kit)
    dry = kit.rules.run(r, dry_run=True)
    assert snapshot(kit) == before and outbox.sent == [] and receiver.got == []
    text = str(dry)
    assert "(dry run, nothing written)" in text and "would send: send email for company 'Acme'" in text
    assert "would update: close ctas for company 'Acme' (CTA 'Risk' closed as" in text
    real = kit.rules.run(r)
    assert real.summary() == dry.summary()
    assert len(outbox.sent) == 2 and len(receiver.got) == 2
    assert {m.to for m in outbox.sent} == {("cleo@cs.example",)}  # the CSM the assign before it chose


def test_every_action_costs_bounded_storage_calls__AUTO_03(
    kit: sk.Kit, w: World, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Storage calls per run do not grow with the number of targets (10 vs 100)."""
    monkeypatch.setenv("RULE_HOOK_SECRET", SECRET)
    kit.plugins.register(Outbox())
    actions = all_actions(kit, receiver.url)
    counts = []
    for size in (1, 10, 100):  # the first run warms the kit's caches
        kit.companies.create_many([{"name": f"S{size}-{i}", "stage": f"s{size}", "csm_id": w.alice.id}
                                   for i in range(size)])  # fmt: skip
        kit.ctas.create(f"Risk {size}", company=kit.companies.list([("stage", "=", f"s{size}")])[0], type="risk")
        r = rule(kit, *actions, name=f"Size {size}", where=[("stage", "=", f"s{size}")])
        kit.store.stats.reset()
        run = kit.rules.run(r)
        counts.append(kit.store.stats.total)
        assert run.count("sent") == 2 * size and run.count("updated", "assign") == size
    assert counts[1] == counts[2], counts
    assert counts[2] <= 30, counts  # six actions, a handful of calls each


# ------------------------------------------------------------------- fault injection
def test_a_fault_in_an_event_rule_keeps_the_change_and_drops_the_rules_writes__AUTO_01_AUTO_03(
    kit: sk.Kit, w: World
) -> None:
    """A fault at any write of an event rule's run: the triggering change stays
    committed, none of the rule's writes are kept, and the run log says it failed."""
    kit.measures.create("exec_sponsor")
    kit.playbooks.create_email_template("Risk", "{{company.name}} is at risk", "")
    kit.rules.create(
        "On risk",
        trigger={"on": "changed", "field": "stage", "to": "at_risk"},
        actions=[
            {"do": "update_field", "field": "industry", "value": "Flagged"},
            {"do": "set_measure", "measure": "exec_sponsor", "value": 10},
            {"do": "create_cta", "name": "Risk: {name}", "type": "risk"},
            {"do": "send_email", "template": "Risk"},
        ],
        limit={"once": True},
    )
    outbox = Outbox()
    kit.plugins.register(outbox)
    writes: list[str] = []
    kit.store.fault = writes.append  # count the writes of a change and its rule
    probe = kit.companies.create("Probe", csm_id=w.alice.id)
    writes.clear()
    kit.companies.update(probe.id, stage="at_risk")
    kit.store.fault = None
    total = len(writes)
    assert kit.ctas.count() == 1 and total > 3
    failed_points = 0
    for point in range(1, total + 1):
        target = kit.companies.create(f"T{point}", csm_id=w.alice.id)
        seen = 0

        def fault(op: str, at: int = point) -> None:
            nonlocal seen
            seen += 1
            if seen == at:
                raise InjectedFault(f"injected fault at write {at} ({op})")

        kit.store.fault = fault
        try:
            kit.companies.update(target.id, stage="at_risk")
        except InjectedFault:
            kit.store.fault = None
            assert kit.companies.get(target.id).stage is None  # the change's own write failed: nothing at all
            continue
        finally:
            kit.store.fault = None
        stored = kit.companies.get(target.id)
        assert stored.stage == "at_risk"  # the triggering change is committed
        if stored.industry is None:  # the rule failed: none of its writes are kept
            failed_points += 1
            assert kit.ctas.count([("company_id", "=", target.id)]) == 0
            assert kit.scorecards.entries(target) == []
            (entry,) = [e for e in kit.rules.run_log(outcome="failed") if target.id in e.targets]
            assert "injected fault" in str(entry.error)
            assert f"T{point} is at risk" not in [m.subject for m in outbox.sent]  # dropped with the rollback
        else:
            assert kit.ctas.count([("company_id", "=", target.id)]) == 1
            assert f"T{point} is at risk" in [m.subject for m in outbox.sent]
    assert failed_points >= 4  # enrolment, field, measure, CTA at least
