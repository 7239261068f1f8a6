"""A scheduled run of every shipped rule (RULE_01, VAULT_06) costs the same storage
calls for 10 times the companies, and its rerun (RULE_02) the same whatever the
closed CTA history; the similar-CTA lookup is served by an index - on every backend
(the EXPLAIN on SQLite).  benchmarks/schedule_figures.py times the same run."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from typing import Any

import successkit as sk
from successkit.query.language import Query

#: A fixed book of 100 companies (so the renewal follow-up's having holds at any size)
#: that no rule selects: churned, renewing in years.
BOOK = 100


class Portfolio:
    """Every shipped bundle, a large-book CSM with ``BOOK`` quiet companies, and
    companies added in batches, of which some of every ten match each scheduled rule."""

    STAGES = ("Onboarding", "Adoption", "Renewal", "Expansion", "Adoption")

    def __init__(self, kit: sk.Kit) -> None:
        self.kit = kit
        for name in ("health", "onboarding"):
            kit.bundles.deploy(name)
        for name in kit.bundles.available():
            kit.bundles.deploy(name)
        self.lead = kit.users.create("Lead", email="lead@cs.example", license="full")
        self.other = kit.users.create("Other", email="other@cs.example", license="full")
        self.today = kit.today()
        far = self.today + timedelta(days=1500)
        kit.companies.create_many(
            [{"name": f"Book {i:04}", "csm_id": self.lead.id, "stage": "Churned", "renewal_date": far}
             for i in range(BOOK)]
        )  # fmt: skip
        self.made = 0

    def add(self, n: int) -> None:
        kit, today = self.kit, self.today
        rows = [
            {
                "name": f"Co {i:05}",
                "csm_id": (self.lead if i % 3 else self.other).id,
                "stage": self.STAGES[i % 5],
                "arr": 50_000.0 + 30_000 * (i % 7),
                "renewal_date": today + timedelta(days=(i * 37) % 400),
            }
            for i in range(self.made, self.made + n)
        ]
        self.made += n
        made = kit.companies.create_many(rows)
        now = datetime.combine(today, time(10), tzinfo=timezone.utc)
        for i, c in enumerate(made):
            if i % 4 == 0:
                kit.timeline.log(("ebr", "renewal", "call", "sponsor_check_in")[i % 8 // 2], "Talk", company=c,
                                 occurred_at=now - timedelta(days=(i * 13) % 150))  # fmt: skip
            if i % 2 == 0:
                kit.scorecards.set_value(c, "sentiment", 60, as_of=today - timedelta(days=(i * 11) % 120))

    def close_old_ctas(self, per_company: int) -> None:
        """``per_company`` closed CTAs of the renewal rule's type and reason per company."""
        closed = self.kit.statuses.in_category("cta", "closed_success")[0]
        for c in self.kit.companies.list([("name", "starts with", "Co ")]):
            for _ in range(per_company):
                cta = self.kit.ctas.create("Old", company=c, type="renewal", reason="renewal_due").record
                self.kit.ctas.set_status(cta, closed)


def _run(kit: sk.Kit) -> tuple[int, dict[str, int]]:
    kit.store.stats.reset()
    runs = kit.rules.run_all()
    return kit.store.stats.total, {r.rule: r.created for r in runs}


def _rerun(kit: sk.Kit) -> int:
    kit.store.stats.reset()
    assert sum(r.created for r in kit.rules.run_all()) == 0  # RULE_02
    return kit.store.stats.total


def test_scheduled_run_of_every_shipped_rule_is_bounded__RULE_01_VAULT_06(kit: sk.Kit) -> None:
    """20 companies, then 180 more: the same storage calls for each run and its rerun,
    and every scheduled rule raised work both times."""
    p = Portfolio(kit)
    p.add(20)
    small_run, small_made = _run(kit)
    small_rerun = _rerun(kit)
    p.add(180)
    big_run, big_made = _run(kit)
    big_rerun = _rerun(kit)
    assert set(small_made) == set(big_made) == {
        "Onboarding kickoff", "Quarterly EBR", "Renewal: 120 days out", "Renewal: no conversation yet",
        "Sponsor check-in", "Stale measure reset: sentiment",
    }  # fmt: skip
    assert all(big_made[r] > small_made[r] > 0 for r in big_made if r != "Stale measure reset: sentiment")
    assert (small_run, small_rerun) == (big_run, big_rerun)
    assert len(kit.scorecards.entries(kit.companies.list([("name", "=", "Co 00006")])[0])) == 0  # 66 days: NA


def test_rerun_does_not_grow_with_closed_ctas__RULE_02_VAULT_06(kit: sk.Kit) -> None:
    """Three old closed CTAs of the same type and reason per company, or none: the rerun
    costs the same storage calls, and the similar-CTA lookup reads through an index."""
    p = Portfolio(kit)
    p.add(30)
    _run(kit)
    before = _rerun(kit)
    p.close_old_ctas(3)
    assert _rerun(kit) == before
    if type(kit.store).__name__ == "SQLiteStore":
        plan = _similar_plan(kit)  # seeks the company, type, reason and open status in one index
        assert "USING INDEX sk_ix_cta_company_id_type_reason_status_" in plan, plan


def _similar_plan(kit: sk.Kit) -> str:
    """SQLite's plan for the lookup a create_cta action sends (RULE_02): the targets' CTAs
    of the type and reason, open or closed within the cooldown."""
    store: Any = kit.store
    ids = [c.id for c in kit.companies.list(limit=30)]
    since = datetime.combine(date(2026, 6, 1), time(), tzinfo=timezone.utc)
    query = Query(
        conditions=[("company_id", "in", ids), ("relationship_id", "is empty", None), ("type", "=", "renewal"),
                    ("reason", "=", "renewal_due"), ("status", "in", kit.statuses.in_category("cta", "open")),
                    ("closed_at", ">=", since)],
        logic="1 AND 2 AND 3 AND 4 AND (5 OR 6)",
    )  # fmt: skip
    sql, params = store.dialect.select(store.schema("cta"), kit.bind("cta", query))
    return "\n".join(r[3] for r in store._conn.execute("EXPLAIN QUERY PLAN " + sql, params))
