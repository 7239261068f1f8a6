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
    """Progress of the goals of ``ids`` in one storage call, however many: the store
    computes it (:meth:`Store.query_progress`) from the status sets of the rule
    (:func:`progress_spec`), as it does for lists filtered, grouped or sorted by it.

    The goal view's rows and the 360 views read it here.
    """
    if not ids:
        return {}
    bound = kit.bind("goal", Query([("id", "in", list(ids))]))
    tallies = {goal.id: tally for goal, tally in kit.store.query_progress(bound, progress_spec(kit))}
    return {i: GoalProgress(*tallies.get(i, (0, 0, 0))) for i in ids}
