"""The shipped bundles VAULT_06 adds - NPS program, adoption drop, CSM transition,
sponsor check-in, new-customer welcome (with its email, delivered through a real
SMTP server on loopback), sentiment tracking, stale measure reset, and the renewal
follow-up for renewal leads with 100 or more customers - each deployed on a dozen customers with
the signals it reacts to: its plays fire for the right companies, none for the
others, and nothing twice (RULE_02) - on every backend."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from typing import Any

import pytest

import successkit as sk

from .test_email import Inbox, smtp  # noqa: F401  (the loopback SMTP server fixture)

SHIPPED = (
    "adoption-drop",
    "csm-transition",
    "nps-program",
    "sponsor-check-in",
    "welcome",
    "sentiment-tracking",
    "stale-measure-reset",
)


class Portfolio:
    """Twelve customers of two CSMs, each with a sponsor, at various stages."""

    STAGES = ("Adoption", "Adoption", "Renewal", "Expansion", "Onboarding", "Adoption") * 2

    def __init__(self, kit: sk.Kit) -> None:
        self.kit = kit
        self.alice = kit.users.create("Alice Kim", license="full")
        self.bob = kit.users.create("Bob Ito", license="full")
        self.companies: list[sk.Company] = []
        self.sponsors: dict[str, sk.Person] = {}
        for i, stage in enumerate(self.STAGES):
            csm = self.alice if i % 2 == 0 else self.bob
            c = kit.companies.create(f"Customer {i + 1:02}", stage=stage, arr=50_000 + 10_000 * i, csm_id=csm.id)
            self.companies.append(c)
            self.sponsors[c.id] = kit.people.create(f"Sponsor {i + 1:02}", company=c, sponsor=True)

    def names(self, indexes: Any) -> list[str]:
        return sorted(self.companies[i].name for i in indexes)


def cta_names(kit: sk.Kit, reason: str) -> list[str]:
    return sorted(kit.companies.get(c.company_id).name for c in kit.ctas.list([("reason", "=", reason)]))


def test_the_vault_06_bundles_ship_with_catalogue_headers__VAULT_06(kit: sk.Kit) -> None:
    """Each deploys out of the box, says its category and author, and a redeploy
    finds nothing to create and nothing that differs."""
    available = kit.bundles.available()
    assert set(SHIPPED) <= set(available)
    kit.bundles.deploy("onboarding")  # the welcome bundle requires it
    kit.bundles.deploy("health")  # and the stale measure reset this one
    assert all(b.category and b.author == "successkit" for b in available.values())
    for name in SHIPPED:
        assert kit.bundles.deploy(name).created > 0
    for name in SHIPPED:
        again = kit.bundles.deploy(name)
        assert again.created == 0 and again.diffs == ()


# ----------------------------------------------------------------------------- NPS program
def test_nps_program_raises_a_play_per_answer_category__VAULT_06(kit: sk.Kit) -> None:
    kit.bundles.deploy("nps-program")
    p = Portfolio(kit)
    survey = kit.surveys.get("NPS")
    scores = {0: 2, 1: 6, 2: 0, 3: 5, 4: 7, 5: 8, 6: 7, 7: 9, 8: 10, 9: 10}  # 10 and 11 do not answer
    for i, score in scores.items():
        c = p.companies[i]
        kit.surveys.respond(survey, p.sponsors[c.id], {"nps": score, "why": "..."}, company=c)
    assert cta_names(kit, "nps_detractor") == p.names([0, 1, 2, 3])
    assert cta_names(kit, "nps_passive") == p.names([4, 5, 6])
    assert cta_names(kit, "nps_promoter") == p.names([7, 8, 9])
    (cta,) = kit.ctas.list([("company_id", "=", p.companies[1].id), ("reason", "=", "nps_detractor")])
    assert (cta.type, cta.priority, cta.owner_id) == ("risk", "high", p.bob.id)
    tasks = kit.ctas.tasks(cta)
    assert [t.name for t in tasks][:2] == [
        "Read the answer and the account's open issues",
        "Email the respondent to book a call",
    ]
    assert tasks[1].email_template_id is not None
    promo = kit.ctas.list([("reason", "=", "nps_promoter")])[0]
    assert promo.type == "advocacy" and promo.priority == "medium"
    # a second bad answer while the recovery CTA is open raises nothing new (RULE_02)
    count = kit.ctas.count()
    kit.surveys.respond(survey, p.sponsors[p.companies[0].id], {"nps": 1}, company=p.companies[0])
    assert kit.ctas.count() == count
    assert {r.created for r in kit.rules.run_all()} <= {0}


# ----------------------------------------------------------------------------- adoption drop
def test_adoption_drop_fires_when_logins_fall_below_30_percent__VAULT_06(kit: sk.Kit) -> None:
    kit.bundles.deploy("adoption-drop")
    p = Portfolio(kit)
    today = kit.today()
    earlier = today - timedelta(days=40)
    before = [{"metric": "logins", "company": c, "period": earlier, "value": 100} for c in p.companies[:10]]
    kit.usage.ingest(before)
    assert kit.ctas.count() == 0
    now = [50, 20, 60, 0.5, 80, 75, 95, 120, 150, 100]  # the first four fell more than 30 %
    kit.usage.ingest(
        [{"metric": "logins", "company": p.companies[i], "period": today, "value": v} for i, v in enumerate(now)]
    )
    assert cta_names(kit, "low_usage") == p.names([0, 1, 2, 3])
    (cta,) = kit.ctas.list([("company_id", "=", p.companies[2].id)])
    assert (cta.type, cta.priority, cta.owner_id) == ("risk", "high", p.alice.id)
    assert len(kit.ctas.tasks(cta)) == 5
    # more bad days for the same customers: the open CTA stands, nothing twice (RULE_02)
    kit.usage.ingest([{"metric": "logins", "company": p.companies[i], "period": today - timedelta(days=1),
                       "value": 1} for i in range(4)])  # fmt: skip
    assert kit.ctas.count() == 4


# ----------------------------------------------------------------------------- CSM transition
def test_csm_transition_gives_the_new_csm_a_cta_and_a_plan__VAULT_06(kit: sk.Kit) -> None:
    kit.bundles.deploy("csm-transition")
    p = Portfolio(kit)
    carol = kit.users.create("Carol Sato", license="full")
    moved = [0, 3, 6, 9]
    for i in moved:
        kit.companies.update(p.companies[i].id, csm_id=carol.id)
    for i in (1, 2, 4):
        kit.companies.update(p.companies[i].id, stage="Renewal", arr=99_000)  # not a CSM change
    assert cta_names(kit, "csm_change") == p.names(moved)
    assert {c.owner_id for c in kit.ctas.list()} == {carol.id}
    plans = kit.plans.list([("plan_type", "=", "csm_transition")])
    assert sorted(kit.companies.get(pl.company_id).name for pl in plans) == p.names(moved)
    assert {pl.owner_id for pl in plans} == {carol.id}
    objectives = [o.name for o in kit.plans.open(plans[0]).objectives]
    assert objectives == ["Handover completed (transition date)", "Relationship established",
                          "Goals and success criteria confirmed"]  # fmt: skip
    # handing one back within the month: the open CTA and plan stand (RULE_02)
    kit.companies.update(p.companies[0].id, csm_id=p.alice.id)
    assert kit.ctas.count() == 4 and kit.plans.count([("plan_type", "=", "csm_transition")]) == 4


# ----------------------------------------------------------------------------- sponsor check-in
def test_sponsor_check_in_asks_for_a_quarterly_sponsor_meeting__VAULT_06(kit: sk.Kit) -> None:
    kit.bundles.deploy("sponsor-check-in")
    assert "sponsor_check_in" in kit.activity_types
    p = Portfolio(kit)
    now = datetime.combine(kit.today(), time(12), tzinfo=timezone.utc)

    def check_in(i: int, days_ago: int, sentiment: str = "positive") -> None:
        c = p.companies[i]
        kit.timeline.log("sponsor_check_in", "Sponsor check-in", company=c, occurred_at=now - timedelta(days=days_ago),
                         fields={"sponsor_sentiment": sentiment})  # fmt: skip

    check_in(0, 20)
    check_in(1, 60, "negative")
    check_in(2, 120)  # too long ago
    kit.timeline.log("ebr", "Q3 EBR", company=p.companies[3], occurred_at=now - timedelta(days=30))
    kit.timeline.log("call", "Support call", company=p.companies[5], occurred_at=now - timedelta(days=2))
    run = kit.rules.run("Sponsor check-in")
    # established (not onboarding: 4 and 10) and no check-in or EBR in 90 days
    assert sorted(s.target_name for s in run.steps) == p.names([2, 5, 6, 7, 8, 9, 11])
    (cta,) = kit.ctas.list([("company_id", "=", p.companies[2].id)])
    assert (cta.reason, cta.owner_id) == ("sponsor_check_in", p.alice.id)
    assert kit.rules.run("Sponsor check-in").created == 0  # RULE_02
    with pytest.raises(sk.ValidationError):
        check_in(4, 1, "ecstatic")


# ----------------------------------------------------------------------------- welcome
def test_new_customer_welcome_fires_once_per_new_company__VAULT_06(kit: sk.Kit) -> None:
    with pytest.raises(sk.RuleViolation, match="requires bundle 'onboarding'") as e:
        kit.bundles.deploy("welcome")
    assert e.value.rule == "VAULT_05"
    kit.bundles.deploy("onboarding")
    kit.bundles.deploy("welcome")
    cleo = kit.users.create("Cleo", license="full")
    one_by_one = [kit.companies.create(f"New {i:02}", stage="Onboarding", csm_id=cleo.id) for i in range(8)]
    kit.companies.create_many([{"name": f"Bulk {i:02}", "stage": "Onboarding", "csm_id": cleo.id} for i in range(2)])
    kit.companies.create_many([{"name": f"No CSM {i}", "stage": "Onboarding"} for i in range(2)])  # no owner
    welcomed = cta_names(kit, "welcome")
    assert welcomed == sorted([c.name for c in one_by_one] + ["Bulk 00", "Bulk 01"])
    cta = kit.ctas.list([("company_id", "=", one_by_one[0].id), ("reason", "=", "welcome")])[0]
    first = kit.ctas.tasks(cta)[0]
    assert (first.name, first.email_template_id) == ("Check the welcome email reached the sponsor", None)
    assert kit.plans.count([("name", "=", "Onboarding")]) == 10
    # later changes do not welcome again; the onboarding bundle's own rule finds the plan there
    kit.companies.update(one_by_one[0].id, stage="Adoption", arr=10_000)
    runs = {r.rule: r for r in kit.rules.run_all()}
    assert runs["Onboarding kickoff"].summary()["create_plan"] == {"unchanged": 9, "skipped": 2}
    assert kit.plans.count([("name", "=", "Onboarding")]) == 10 and len(cta_names(kit, "welcome")) == 10


def test_new_customer_welcome_emails_the_sponsors_through_smtp__VAULT_06_MAIL_02(
    kit: sk.Kit,
    smtp: tuple[int, Inbox],  # noqa: F811
) -> None:
    """The welcome email goes, rendered, to the sponsors of each new company through a
    real SMTP server on loopback, once; a company without a sponsor gets none."""
    port, inbox = smtp
    kit.plugins.register(sk.SmtpSender(host="127.0.0.1", port=port, sender="cs@vendor.example", timeout=5))
    kit.bundles.deploy("onboarding")
    kit.bundles.deploy("welcome")
    cleo = kit.users.create("Cleo Park", email="cleo@vendor.example", license="full")
    made = []
    for i, first in enumerate(["Aiko", "Ben", "Chloe"]):
        with kit.transaction():  # the closed deal arrives with its sponsor
            c = kit.companies.create(f"New {i}", stage="Onboarding", csm_id=cleo.id)
            kit.people.create(f"{first} Sato", company=c, sponsor=True, email=f"{first.lower()}@new{i}.example")
            kit.people.create(f"Other {i}", company=c, email=f"other@new{i}.example")  # not a sponsor
        made.append(c)
    kit.companies.create("Lonely", stage="Onboarding", csm_id=cleo.id)  # no sponsor: no email
    assert sorted(tuple(e.rcpt_tos) for e in inbox.envelopes) == [
        ("aiko@new0.example",), ("ben@new1.example",), ("chloe@new2.example",),
    ]  # fmt: skip
    msg = next(m for m in inbox.messages() if m["To"] == "ben@new1.example")
    assert msg["Subject"] == "Welcome to the team, New 1"
    payload = msg.get_payload(decode=True)
    assert isinstance(payload, bytes)
    body = payload.decode().replace("\r\n", "\n")
    assert body.startswith("Hello Ben,\n\nWelcome! I am Cleo Park, your customer success manager.")
    assert len(cta_names(kit, "welcome")) == 4
    # nothing twice: a called run and later changes send nothing more (RULE_02, AUTO_04)
    kit.rules.run("New customer welcome")
    kit.companies.update(made[0].id, stage="Adoption")
    assert len(inbox.envelopes) == 3 and len(cta_names(kit, "welcome")) == 4


# ----------------------------------------------------------------------------- sentiment tracking
def test_sentiment_tracking_pushes_the_latest_call_sentiment__VAULT_06(kit: sk.Kit) -> None:
    """A call's red/yellow/green sentiment becomes the company's latest sentiment as the
    call is logged; other activity types, older calls and other companies leave it."""
    report = kit.bundles.deploy("sentiment-tracking")
    assert {s.name for s in report.steps if s.result == "created"} >= {
        "activity.sentiment", "company.latest_sentiment", "Sentiment tracking",
    }  # fmt: skip
    p = Portfolio(kit)
    now = datetime.combine(kit.today(), time(12), tzinfo=timezone.utc)

    def call(i: int, sentiment: str | None, days_ago: int, type: str = "call") -> None:
        fields = {} if sentiment is None else {"sentiment": sentiment}
        kit.timeline.log(type, "Check-in", company=p.companies[i], occurred_at=now - timedelta(days=days_ago),
                         fields=fields)  # fmt: skip

    call(0, "green", 30)
    call(0, "red", 2)  # the latest: red
    call(1, "yellow", 5)
    call(1, "green", 40)  # logged later, but an older call: yellow stays
    call(2, "red", 1)
    call(2, None, 0)  # a call without a sentiment: red stays
    call(3, None, 3, type="note")  # a note is no call
    latest = {c.name: c.fields.get("latest_sentiment") for c in kit.companies.list()}
    assert {n: v for n, v in latest.items() if v is not None} == {
        "Customer 01": "red", "Customer 02": "yellow", "Customer 03": "red",
    }  # fmt: skip
    versions = {c.id: c.version for c in kit.companies.list()}
    again = kit.rules.run("Sentiment tracking")  # a called rerun changes nothing (RULE_02)
    assert again.summary()["update_field"] == {"unchanged": 3, "skipped": 9}
    assert {c.id: c.version for c in kit.companies.list()} == versions
    with pytest.raises(sk.ValidationError):
        call(4, "blue", 0)
    assert kit.companies.get(p.companies[4].id).fields.get("latest_sentiment") is None


# ----------------------------------------------------------------------------- stale measure reset
def test_stale_measure_reset_sets_old_manual_entries_to_na__VAULT_06(kit: sk.Kit) -> None:
    """Sentiment entries older than the measure's 60 days become NA on the scheduled run;
    fresh ones stay; a rerun does nothing."""
    with pytest.raises(sk.RuleViolation, match="requires bundle 'health'"):
        kit.bundles.deploy("stale-measure-reset")
    kit.bundles.deploy("health")
    kit.bundles.deploy("stale-measure-reset")
    p = Portfolio(kit)
    today = kit.today()
    ages = {0: 61, 1: 200, 2: 60, 3: 10, 4: 0, 5: 90}  # 6-11 have no entry
    for i, days in ages.items():
        kit.scorecards.set_value(p.companies[i], "sentiment", 40 + i, as_of=today - timedelta(days=days))
    preview = kit.rules.run("Stale measure reset: sentiment", dry_run=True)  # RULE_03
    assert preview.summary() == {"set_measure": {"updated": 3, "unchanged": 9}}
    assert len(kit.scorecards.entries(p.companies[0])) == 1
    runs = {r.rule: r for r in kit.rules.run_all()}
    reset = runs["Stale measure reset: sentiment"]
    assert sorted(s.target_name for s in reset.steps if s.result == "updated") == p.names([0, 1, 5])
    kept = {c.name: [e.value for e in kit.scorecards.entries(c)] for c in p.companies}
    assert kept == {c.name: ([40.0 + i] if i in (2, 3, 4) else []) for i, c in enumerate(p.companies)}
    assert kit.rules.run("Stale measure reset: sentiment").summary() == {"set_measure": {"unchanged": 12}}


# ----------------------------------------------------------------------------- renewal follow-up
def test_renewal_follow_up_is_for_leads_with_100_or_more_customers__VAULT_06(kit: sk.Kit) -> None:
    """The seed's renewal follow-up: a renewal lead (the CSM) responsible for 100 or more
    customers gets the follow-up CTA; one with 99 does not; the 120-day CTA is for all."""
    assert kit.bundles.deploy("renewal").version == "1.1"
    big = kit.users.create("Bea Large", license="full")
    small = kit.users.create("Sam Small", license="full")
    far = date(2028, 6, 1)
    for csm, count in ((big, 97), (small, 96)):
        kit.companies.create_many([{"name": f"{csm.name} {i:03}", "csm_id": csm.id, "renewal_date": far}
                                   for i in range(count)])  # fmt: skip
    soon = kit.today() + timedelta(days=70)
    for csm in (big, small):
        for tag in ("quiet", "talked", "later"):
            days = 70 if tag != "later" else 100
            kit.companies.create(f"{csm.name} {tag}", csm_id=csm.id, renewal_date=kit.today() + timedelta(days=days))
    renewal_day = datetime.combine(soon, time(12), tzinfo=timezone.utc)
    for csm in (big, small):
        (talked,) = kit.companies.list([("name", "=", f"{csm.name} talked")])
        kit.timeline.log("renewal", "Renewal call", company=talked, occurred_at=renewal_day - timedelta(days=100))
    assert kit.companies.count([("csm_id", "=", big.id)]) == 100
    assert kit.companies.count([("csm_id", "=", small.id)]) == 99
    runs = {r.rule: r for r in kit.rules.run_all()}
    assert [s.target_name for s in runs["Renewal: no conversation yet"].steps] == ["Bea Large quiet"]
    assert len(runs["Renewal: 120 days out"].steps) == 6
    (cta,) = kit.ctas.list([("reason", "=", "renewal_no_activity")])
    assert cta.owner_id == big.id
    assert {r.created for r in kit.rules.run_all()} == {0}  # RULE_02
