"""The events of NOTIF_05: a company's CSM assigned or changed, an activity logged
(per type), a goal's status changed, a score's grade changed, and CTAs,
objectives and tasks overdue.

:class:`NotificationEvents` is part of ``kit.notifications``.  The services call
its methods inside the transaction of the change, exactly as the NOTIF_01 events
are emitted, so delivery waits for the commit (NOTIF_03).  Who hears of a change
to a company's things: the company's CSM, and the relationship's CSM when it is
about a relationship.  Overdue work has no change to hang on: the host calls
:meth:`NotificationEvents.notify_overdue` from a scheduler, and each item is
notified once per due date (an :class:`~successkit.records.OverdueNotice` remembers it).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

from successkit.errors import ValidationError
from successkit.query.language import Query
from successkit.records import Activity, Company, Cta, Goal, Objective, OverdueNotice, Record, Relationship, Task
from successkit.records.checks import list_of, require_type
from successkit.records.health import stable_id

if TYPE_CHECKING:
    from successkit.health.recompute import GradeChange
    from successkit.kit import Kit

__all__ = ["OVERDUE_KINDS", "NotificationEvents"]

#: What can be overdue: cockpit CTAs, objectives (the CTAs of plans) and tasks.
OVERDUE_KINDS = ("cta", "objective", "task")
_CLOSED = ("closed", "closed_success", "closed_lost")
_LABELS = {"cta": "CTA", "objective": "Objective", "task": "Task"}

Event = tuple[str | None, Record, str, str]


def _snoozed(item: Cta | Objective | Task, today: date) -> bool:
    """Whether a CTA or objective is snoozed past today (tasks are never snoozed)."""
    until = getattr(item, "snoozed_until", None)
    return isinstance(until, date) and until >= today


class NotificationEvents:
    """The NOTIF_05 events of ``kit.notifications``."""

    kit: Kit

    def _emit(self, event: str, events: Sequence[Event], *, check_actor: bool) -> None:
        raise NotImplementedError  # NotificationService delivers

    def _csms(self, company_ids: Sequence[str], relationship_ids: Sequence[str | None] = ()) -> dict[str, Any]:
        """Companies and relationships by id, read in two queries at most."""
        found: dict[str, Any] = {c.id: c for c in self.kit.store.get_many("company", sorted(set(company_ids)))}
        rels = sorted({r for r in relationship_ids if r is not None})
        if rels:
            found.update((r.id, r) for r in self.kit.store.get_many("relationship", rels))
        return found

    def _about(
        self,
        record: Record,
        company_id: str,
        relationship_id: str | None,
        title: str,
        message: str = "",
        found: dict[str, Any] | None = None,
    ) -> list[Event]:
        """One event for each CSM of the company and of the relationship (once each)."""
        found = self._csms([company_id], [relationship_id]) if found is None else found
        csms = [getattr(found.get(i), "csm_id", None) for i in (company_id, relationship_id) if i is not None]
        return [(uid, record, title, message) for uid in dict.fromkeys(csms) if uid is not None]

    def csm_assigned(self, pairs: Sequence[tuple[Company | None, Company]]) -> None:
        """``csm_assigned``: each company (new, or old and new) whose CSM was set or
        changed tells its new CSM (NOTIF_05)."""
        checked = list_of("csm_assigned", "pairs", pairs, (tuple, list), "(old company or None, new company) pairs")
        for pair in checked:
            if len(pair) != 2:
                raise ValidationError("csm_assigned takes (old, new) pairs", rule="SEC_05", value=pair)
            require_type("csm_assigned", "old", pair[0], (Company, type(None)), "a company or None")
            require_type("csm_assigned", "new", pair[1], Company, "a company")
        events: list[Event] = [
            (new.csm_id, new, f"You are now the CSM of {new.name!r}", "")
            for old, new in checked
            if new.csm_id is not None and (old is None or old.csm_id != new.csm_id)
        ]
        self._emit("csm_assigned", events, check_actor=False)

    def activity_logged(self, activity: Activity) -> None:
        """``activity_logged:<type>``: a published activity tells the CSMs of its
        company and relationship (NOTIF_05); drafts tell nobody until published."""
        require_type("activity_logged", "activity", activity, Activity, "an activity")
        if activity.draft:
            return
        found = self._csms([activity.company_id], [activity.relationship_id])
        company = found.get(activity.company_id)
        where = company.name if company is not None else activity.company_id
        title = f"{self.kit.activity_types.label(activity.type)} logged on {where!r}: {activity.subject}"
        events = self._about(activity, activity.company_id, activity.relationship_id, title, found=found)
        self._emit(f"activity_logged:{activity.type}", events, check_actor=False)

    def goal_status_changed(self, old: Goal, new: Goal) -> None:
        """``goal_status_changed``: the CSMs of the goal's company and relationship hear of it (NOTIF_05)."""
        require_type("goal_status_changed", "old", old, Goal, "a goal")
        require_type("goal_status_changed", "new", new, Goal, "a goal")
        if old.status == new.status:
            return
        label = self.kit.statuses.get("goal", new.status).label
        title = f"Goal {new.name!r} is now {label}"
        message = f"from {old.status} to {new.status}"
        self._emit(
            "goal_status_changed",
            self._about(new, new.company_id, new.relationship_id, title, message),
            check_actor=False,
        )

    def grades_changed(self, records: Sequence[Company | Relationship], changes: Sequence[GradeChange]) -> None:
        """``grade_changed``: a recompute that changed a company's or relationship's
        grade tells its CSM (NOTIF_05); ``records`` are the records as recomputed."""
        from successkit.health.recompute import GradeChange

        rows = list_of("grades_changed", "records", records, (Company, Relationship), "companies and relationships")
        moved = list_of("grades_changed", "changes", changes, GradeChange, "grade changes")
        by_id = {r.id: r for r in rows}
        events: list[Event] = []
        for change in moved:
            r = by_id.get(change.record_id)
            if r is not None and r.csm_id is not None:
                what = "" if isinstance(r, Company) else "relationship "
                message = f"from {change.old or 'no grade'} to {change.new or 'no grade'}"
                events.append((r.csm_id, r, f"The health grade of {what}{r.name!r} changed", message))
        self._emit("grade_changed", events, check_actor=False)

    def notify_overdue(self) -> list[OverdueNotice]:
        """Tell the owners of open CTAs, objectives and tasks whose due date has
        passed (``overdue``, NOTIF_05); call it from a scheduler, as often as you like.

        Each item is notified once per due date: an :class:`OverdueNotice` is stored
        with the notification, in one transaction, and a new due date that passes
        notifies again.  Snoozed items, items owned by a person and closed items are
        skipped.  Processes calling it at the same moment take turns (SEC_04).
        Returns the notices written.
        """
        today = self.kit.today()
        with self.kit.store.exclusive("successkit.notify_overdue"), self.kit.transaction():
            due: list[Cta | Objective | Task] = []
            for kind in OVERDUE_KINDS:
                closed = self.kit.statuses.in_category(kind, *_CLOSED)
                where: list[Any] = [("due_date", "<", today), ("owner_kind", "=", "user")]
                if closed:
                    where.append(("status", "not in", closed))
                due.extend(self.kit.store.query(self.kit.bind(kind, Query(conditions=where, sort=["due_date", "id"]))))
            due = [i for i in due if not _snoozed(i, today)]
            if not due:
                return []
            ids = sorted({i.id for i in due})
            sent = self.kit.store.query(self.kit.bind("overdue_notice", Query(conditions=[("record_id", "in", ids)])))
            seen = {(n.record_kind, n.record_id, n.due_date) for n in sent}
            fresh = [i for i in due if (i.__kind__, i.id, i.due_date) not in seen]
            now, actor = self.kit.now(), self.kit.actor_id
            notices = [
                OverdueNotice(
                    id=stable_id("overdue_notice", i.__kind__, i.id, str(i.due_date)),
                    created_at=now,
                    updated_at=now,
                    created_by=actor,
                    record_kind=i.__kind__,
                    record_id=i.id,
                    due_date=i.due_date,
                )
                for i in fresh
                if i.due_date is not None
            ]
            self.kit.store.insert_many(notices)
            events: list[Event] = [
                (i.owner_id, i, f"{_LABELS[i.__kind__]} {i.name!r} is overdue", f"due {i.due_date}") for i in fresh
            ]
            self._emit("overdue", events, check_actor=False)
        return notices
