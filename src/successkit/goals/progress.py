"""Goal progress (GOAL_06): how much of the work linked to each goal is finished and achieved.

The one place the rule is written: :func:`progress_of` computes it for given
goals (the goal view's rows, the 360 views), and :func:`progress_spec` hands
the same rule to the store as status sets, for the lists that filter, group or
sort by progress in the database (:mod:`successkit.storage.progress`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import attrs

from successkit.errors import ValidationError
from successkit.query.language import Query
from successkit.storage.progress import ProgressSpec

if TYPE_CHECKING:
    from successkit.kit import Kit

__all__ = ["LINKABLE", "GoalProgress", "progress_of", "progress_spec"]

#: The kinds of work a goal can be linked to (GOAL_03).
LINKABLE = ("cta", "plan")


@attrs.frozen
class GoalProgress:
    """A goal's progress (GOAL_06): of the ``linked`` CTAs and plans that still
    exist, how many are ``closed`` (finished, whether won or lost) and how many
    of those are ``achieved`` (finished successfully).

    ``percent`` is ``100 * achieved / linked``, or None when nothing is linked:
    closed-lost work is finished but is not progress towards the goal, and a
    goal with no work linked has no progress to show (not 0 % of it done).
    A CTA is achieved when its status is in the ``closed_success`` category; a
    plan when it is closed and no more of its objectives were closed-lost than
    closed-success (so a plan closed with its work unfinished, PLAN_05, is not).
    """

    linked: int = 0
    closed: int = 0
    achieved: int = 0

    @property
    def percent(self) -> float | None:
        """100 x achieved / linked, or None when nothing is linked (GOAL_06)."""
        return None if self.linked == 0 else 100.0 * self.achieved / self.linked


def progress_spec(kit: Kit) -> ProgressSpec:
    """The rule above, as the status sets a store computes progress with when a
    list filters, groups or sorts by it (:mod:`successkit.storage.progress`):
    read from the status registry, so plugin statuses count by their category."""
    s = kit.statuses
    return ProgressSpec(
        cta_won=s.in_category("cta", "closed_success"),
        cta_finished=s.in_category("cta", "closed", "closed_success", "closed_lost"),
        plan_won=s.in_category("plan", "closed_success"),
        plan_judged=s.in_category("plan", "closed"),
        plan_finished=s.in_category("plan", "closed", "closed_success", "closed_lost"),
        objective_won=s.in_category("objective", "closed_success"),
        objective_lost=s.in_category("objective", "closed_lost"),
    )


def progress_of(kit: Kit, ids: Sequence[str]) -> dict[str, GoalProgress]:
    """Progress of the goals of ``ids`` in at most four storage calls, however many:
    one query for the links, one ``get_many`` each for the CTAs and plans,
    and one query for the objectives of the closed plans among them.

    The goal view's rows and the 360 views read it here; a list filtered,
    grouped or sorted by progress gets it from the store with its rows
    (:func:`progress_spec`), and the tests hold the two to the same answers.
    """
    if not ids:
        return {}
    links = list(kit.store.query(kit.bind("goal_link", Query([("goal_id", "in", ids)]))))
    states: dict[str, str] = {}  # item id -> "open", "closed" or "achieved"
    closed_plans: list[str] = []
    for kind in LINKABLE:
        wanted = list(dict.fromkeys(x.item_id for x in links if x.item_kind == kind))
        for record in kit.store.get_many(kind, wanted):
            category = _category(kit, kind, record.status)
            if kind == "plan" and category == "closed":
                closed_plans.append(record.id)
            states[record.id] = (
                "achieved"
                if category == "closed_success"
                else "closed"
                if category in ("closed", "closed_lost")
                else "open"
            )
    for plan_id in _plans_won(kit, closed_plans):
        states[plan_id] = "achieved"
    tallies = {i: [0, 0, 0] for i in ids}
    for x in links:
        state = states.get(x.item_id)
        if state is None:
            continue  # the item was deleted: it no longer counts
        tally = tallies[x.goal_id]
        tally[0] += 1
        tally[1] += state != "open"
        tally[2] += state == "achieved"
    return {i: GoalProgress(linked=t[0], closed=t[1], achieved=t[2]) for i, t in tallies.items()}


def _plans_won(kit: Kit, plan_ids: Sequence[str]) -> set[str]:
    """The closed plans that count as achieved (GOAL_06): no more objectives
    closed-lost than closed-success (a plan without objectives lost nothing)."""
    if not plan_ids:
        return set()
    score = dict.fromkeys(plan_ids, 0)
    finished = kit.statuses.in_category("objective", "closed_success", "closed_lost")
    query = Query([("plan_id", "in", list(plan_ids)), ("status", "in", finished)])
    for o in kit.store.query(kit.bind("objective", query)):
        category = _category(kit, "objective", o.status)
        score[o.plan_id] += (category == "closed_success") - (category == "closed_lost")
    return {p for p, n in score.items() if n >= 0}


def _category(kit: Kit, kind: str, status: str) -> str:
    try:
        return kit.statuses.get(kind, status).category
    except ValidationError:  # a status whose plugin is gone: not known to be closed
        return "open"
