"""A sample book of business for the reports' examples, pictures and benchmarks.

:func:`sample_book` fills an empty kit with CSMs, companies with ARR, renewal
dates and grades (as a scorecard would have set them), CTAs, success plans with objectives and tasks, weekly score
snapshots and survey responses, all derived from a seed so two runs give the
same figures.  Records are written in bulk (one insert per kind), so a book of
thousands of companies is quick to make.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from successkit.plans.builders import name_key
from successkit.records import Company, Cta, Objective, ScoreSnapshot, SuccessPlan, SurveyResponse, Task, User

if TYPE_CHECKING:
    from successkit.kit import Kit

__all__ = ["CSM_NAMES", "sample_book"]

CSM_NAMES = ("Alice Kim", "Bruno Diaz", "Chen Li", "Dana Wu", "Esperanza Villalobos-Montgomery")
_GRADES = (("Green", 80.0), ("Yellow", 60.0), ("Red", 35.0))
_TYPES = ("risk", "lifecycle", "expansion")
_PRIORITIES = ("high", "medium", "low")


def sample_book(
    kit: Kit,
    companies: int = 40,
    *,
    seed: int = 7,
    weeks: int = 6,
    csms: Sequence[User] | None = None,
    first: int = 0,
    ctas: int | None = None,
) -> list[User]:
    """Fill ``kit`` with a book of ``companies`` companies shared among five CSMs and
    return the CSMs.  Each company has a CTA or two (or ``ctas`` each), every third a
    success plan with an objective and two tasks; score snapshots cover the last
    ``weeks`` weeks.  ``csms`` and ``first`` (the number of the first company) grow an
    existing book."""
    rng = random.Random(seed + first)
    today = kit.today()
    at = kit.now()
    if csms is None:
        csms = [kit.users.create(name, email=f"{name.split()[0].lower()}@cs.example") for name in CSM_NAMES]
    csms = list(csms)
    stamp: dict[str, Any] = {"created_at": at, "updated_at": at}
    made = [Company(**_company(rng, i, csms, today), **stamp) for i in range(first, first + companies)]
    records: list[Any] = list(made)
    for i, c in enumerate(made, start=first):
        owner = c.csm_id
        for k in range(1 + i % 2 if ctas is None else ctas):
            records.append(_cta(rng, c.id, owner, today, at - timedelta(days=rng.randrange(80)), k))
        if i % 3 == 0:
            records.extend(_plan(rng, c.id, owner, today, stamp))
        records.extend(_snapshots(rng, c, today, weeks, stamp))
        if i % 2 == 0:
            records.extend(_responses(rng, c.id, today, weeks, stamp))
    kit.store.insert_many(records)
    return csms


def _company(rng: random.Random, i: int, csms: list[User], today: date) -> dict[str, Any]:
    pick = (i * 7 + i // 5) % 10  # not in step with the CSM (i % 5)
    grade, score = _GRADES[0 if pick < 6 else 1 if pick < 8 else 2]
    return {
        "name": f"Company {i:05d}",
        "csm_id": csms[i % len(csms)].id if i % 17 else None,
        "arr": float(rng.randrange(5, 300) * 1000),
        "renewal_date": today + timedelta(days=rng.randrange(-20, 400)),
        "stage": ("Onboarding", "Adoption", "Renewal")[i % 3],
        "score_grade": grade,
        "health_score": score + rng.randrange(-8, 8),
    }


def _cta(rng: random.Random, company_id: str, owner: str | None, today: date, created: datetime, k: int) -> Cta:
    status = rng.choice(("new", "work_in_progress", "closed_success", "closed_lost"))
    return Cta(
        name=f"{_TYPES[k % 3].title()} review",
        company_id=company_id,
        owner_id=owner,
        type=rng.choice(_TYPES),
        priority=rng.choice(_PRIORITIES),
        status=status,
        start_date=created.date(),
        due_date=today + timedelta(days=rng.randrange(-15, 30)),
        closed_at=None if status in ("new", "work_in_progress") else created + timedelta(days=3),
        created_at=created,
        updated_at=created,
    )


def _plan(rng: random.Random, company_id: str, owner: str | None, today: date, stamp: dict[str, Any]) -> list[Any]:
    if owner is None:
        return []
    plan = SuccessPlan(
        name="Onboarding",
        name_key=name_key(company_id, None, "Onboarding"),
        company_id=company_id,
        plan_type="onboarding",
        status=rng.choice(("draft", "active", "active", "closed")),
        owner_id=owner,
        due_date=today + timedelta(days=30),
        **stamp,
    )
    done = rng.random() < 0.4
    objective = Objective(
        name="Kickoff",
        plan_id=plan.id,
        company_id=company_id,
        owner_id=owner,
        status="closed_success" if done else "new",
        start_date=today - timedelta(days=20),
        due_date=today + timedelta(days=rng.randrange(-10, 20)),
        closed_at=stamp["created_at"] if done else None,
        **stamp,
    )
    tasks = [
        Task(
            name=f"Step {n}",
            parent_kind="objective",
            parent_id=objective.id,
            plan_id=plan.id,
            company_id=company_id,
            owner_id=owner,
            status="open" if n or not done else "complete",
            start_date=today - timedelta(days=10),
            due_date=today + timedelta(days=rng.randrange(-6, 12)),
            closed_at=None if n or not done else stamp["created_at"],
            position=n,
            **stamp,
        )
        for n in range(2)
    ]
    return [plan, objective, *tasks]


def _snapshots(rng: random.Random, company: Any, today: date, weeks: int, stamp: dict[str, Any]) -> list[Any]:
    monday = today - timedelta(days=today.weekday())
    base = company.health_score or 60.0
    return [
        ScoreSnapshot(
            record_kind="company",
            record_id=company.id,
            scorecard="health",
            period=monday - timedelta(days=7 * w),
            score=round(base - w * 0.8 + rng.uniform(-3, 3), 1),
            grade=company.score_grade,
            **stamp,
        )
        for w in range(weeks)
    ]


def _responses(rng: random.Random, company_id: str, today: date, weeks: int, stamp: dict[str, Any]) -> list[Any]:
    out = []
    for w in range(weeks):
        nps = min(10, max(0, round(rng.gauss(7.6 + w * -0.1, 2))))
        day = today - timedelta(days=7 * w + rng.randrange(0, 5))
        category = "promoter" if nps >= 9 else "passive" if nps >= 7 else "detractor"
        out.append(
            SurveyResponse(
                survey_id="sample-nps",
                record_kind="company",
                record_id=company_id,
                company_id=company_id,
                answered_on=day,
                answers={"nps": nps},
                nps=nps,
                nps_category=category,
                **stamp,
            )
        )
    return out
