"""Notifications (NOTIF_01-NOTIF_05): events, subscriptions, org-wide defaults, delivery, digests.

The services call :meth:`NotificationService.emit` from the places where an
event happens (a plan gets an owner, a plan's due date moves, a CTA or
objective gets an owner).  Who hears of it is decided there, inside the
transaction; delivery happens only after the transaction commits
(``kit.after_commit``), through the ``successkit_deliver`` hook, one notifier
at a time so a failing notifier is logged and the others still deliver.
Digest items are stored in the same transaction as the change, so a
rolled-back change leaves no trace in anyone's digest either.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, time, timedelta
from functools import partial
from typing import Any

import attrs

from successkit.errors import AccessDenied, RuleViolation, ValidationError
from successkit.plugins.builtin_config import NOTIFICATION_CHOICES, NOTIFICATION_DEFAULT_PREFIX
from successkit.query.language import Query
from successkit.records import Cta, DigestItem, Objective, Record, Subscription, SuccessPlan, User
from successkit.records.checks import list_of, plain_text, require_type
from successkit.service import Service

from .notify_events import NotificationEvents

__all__ = ["ACTIVITY_EVENT", "DELIVERIES", "EVENTS", "OFF", "Notification", "NotificationService"]

log = logging.getLogger(__name__)

#: The events a user can subscribe to (NOTIF_01, NOTIF_05).  ``activity_logged``
#: also comes per activity type: ``activity_logged:call`` (:data:`ACTIVITY_EVENT`).
EVENTS = (
    "plan_assigned",
    "plan_due_date_changed",
    "cta_assigned",
    "csm_assigned",
    "activity_logged",
    "overdue",
    "goal_status_changed",
    "grade_changed",
)
#: The event of an activity of one type is ``activity_logged:<type>``.
ACTIVITY_EVENT = "activity_logged"
#: How a subscribed event reaches the user (NOTIF_04).
DELIVERIES = ("realtime", "daily", "weekly")
#: A user's choice not to receive an event, whatever the org-wide default (NOTIF_05).
OFF = "off"
#: The event name of a digest notification.
DIGEST = "digest"


@attrs.frozen
class Notification:
    """What a notifier delivers: one event, or a digest of several (``items``).

    ``recipient`` is the user record (notifiers read its email, name...);
    ``record_kind``/``record_id`` name what the event is about; ``actor_id``
    is who caused it; ``at`` is when (the kit's clock).
    """

    event: str
    recipient: User
    title: str
    message: str = ""
    delivery: str = "realtime"
    record_kind: str | None = None
    record_id: str | None = None
    actor_id: str | None = None
    at: datetime | None = None
    items: tuple[Notification, ...] = ()


class NotificationService(NotificationEvents, Service[Subscription]):
    """``kit.notifications``: subscriptions, org-wide defaults, emitting events and sending digests."""

    record_class = Subscription

    # ------------------------------------------------------------ subscriptions
    def subscribe(
        self, user: User | str, events: str | Sequence[str] = EVENTS, *, delivery: str = "realtime"
    ) -> list[Subscription]:
        """Subscribe a user to events with one delivery each: ``realtime`` or a
        ``daily`` / ``weekly`` digest (NOTIF_02, NOTIF_04), or ``off`` to receive
        none whatever the org-wide default (NOTIF_05).  Subscribing again
        changes the delivery."""
        wanted = self._events(events)
        if delivery not in NOTIFICATION_CHOICES:
            raise ValidationError(f"delivery is one of {', '.join(NOTIFICATION_CHOICES)}", value=delivery)
        with self.kit.transaction():
            uid = self._own(self.kit.users.get(user).id)
            have = {s.event: s for s in self.list([("user_id", "=", uid)])}
            out = []
            for event in wanted:
                current = have.get(event)
                if current is None:
                    new = self._new(user_id=uid, event=event, delivery=delivery)
                    self.kit.store.insert(new)
                elif current.delivery != delivery:
                    new = self._save(current, {"delivery": delivery})
                else:
                    new = current
                out.append(new)
        return out

    def unsubscribe(self, user: User | str, events: str | Sequence[str] = EVENTS) -> None:
        """Stop events for a user; their waiting digest items for them go too.  An
        event with an org-wide default other than ``off`` is kept off for the
        user by an ``off`` choice (NOTIF_05)."""
        wanted = self._events(events)
        with self.kit.transaction():
            uid = self._own(self.kit.users.id_of(user))
            subs = self.list([("user_id", "=", uid), ("event", "in", wanted)])
            self.kit.store.delete_many(self.kind, [s.id for s in subs])
            pending = self.kit.store.query(
                self.kit.bind("digest_item", _q([("user_id", "=", uid), ("event", "in", wanted)]))
            )
            self.kit.store.delete_many("digest_item", [d.id for d in pending])
            offs = [e for e in wanted if self.default(e) != OFF]
            self.kit.store.insert_many([self._new(user_id=uid, event=e, delivery=OFF) for e in offs])

    def _own(self, user_id: str) -> str:
        """``user_id``, if the kit may change that user's subscriptions: the host
        and full users may change anyone's, any other user only their own (SEC_02)."""
        if self.kit.actor_id not in (None, user_id) and not self.kit.access.actor_is_full():
            raise AccessDenied("a user changes only their own subscriptions", rule="SEC_02", value=user_id)
        return user_id

    def subscriptions(self, user: User | str) -> list[Subscription]:
        """A user's subscriptions, one per event."""
        return self.list([("user_id", "=", self.kit.users.id_of(user))], sort=["event"])

    # ------------------------------------------------------------------ events
    def emit(self, event: str, recipient_id: str | None, record: Any, title: str, message: str = "") -> None:
        """Tell ``recipient_id`` of ``event`` if they subscribed to it and did not cause it.

        Called inside the transaction of the change: a realtime notification
        is queued for after commit, a digest item is stored with the change.
        """
        self.emit_many(event, [(recipient_id, record, title, message)])

    def emit_many(self, event: str, events: Sequence[tuple[str | None, Any, str, str]]) -> None:
        """:meth:`emit` for many (recipient id, record, title, message) at once:
        two queries whatever their number (bulk operations: templates, clones)."""
        self._emit(event, events, check_actor=True)

    def _emit(self, event: str, events: Sequence[tuple[str | None, Any, str, str]], *, check_actor: bool) -> None:
        """:meth:`emit_many`.  The library's own events of NOTIF_05 skip the SEC_02
        check (``check_actor``): a change any user may make, such as logging an
        activity, tells the people concerned whoever made it.  Their records must
        then be as stored, so a limited user cannot make one up to message others."""
        event = self._events(event)[0]
        actor = self.kit.actor_id
        # NOTIF_04: not of one's own action
        wanted = [e for e in _emitted(events) if e[0] is not None and e[0] != actor]
        if not wanted:
            return
        if check_actor and not self.kit.access.actor_is_full():  # SEC_02: only the host or a full user
            raise AccessDenied("only the host or an active full user emits notifications", rule="SEC_02", value=actor)
        if not check_actor and not self.kit.access.actor_is_full():
            self._as_stored([e[1] for e in wanted])
        chosen = self._deliveries(event, sorted({str(e[0]) for e in wanted}))
        if not chosen:  # NOTIF_02: only subscribed users (or an org-wide default, NOTIF_05)
            return
        users = {u.id: u for u in self.kit.store.get_many("user", sorted(chosen)) if u.active and u.licensed}
        now = self.kit.now()
        digest: list[DigestItem] = []
        for recipient_id, record, title, message in wanted:
            user = users.get(str(recipient_id))
            if user is None:
                continue
            delivery = chosen[user.id]
            if delivery == "realtime":
                note = Notification(event, user, title, message, "realtime", record.__kind__, record.id, actor, now)
                self.kit.after_commit(partial(self.deliver, note))
            else:
                digest.append(
                    DigestItem(
                        **self._stamp(),
                        user_id=user.id,
                        event=event,
                        delivery=delivery,
                        title=title,
                        message=message,
                        record_kind=record.__kind__,
                        record_id=record.id,
                        actor_id=actor,
                    )
                )
        self.kit.store.insert_many(digest)

    def _as_stored(self, records: list[Record]) -> None:
        """Refuse (SEC_02) records that are not exactly as stored: one read per kind."""
        kinds: dict[str, list[Record]] = {}
        for r in records:
            kinds.setdefault(r.__kind__, []).append(r)
        for kind, given in kinds.items():
            stored = {r.id: r for r in self.kit.store.get_many(kind, sorted({g.id for g in given}))}
            for g in given:
                if stored.get(g.id) != g:
                    raise AccessDenied("a notification is about a record as stored", rule="SEC_02", value=g.id)

    def _deliveries(self, event: str, user_ids: list[str]) -> dict[str, str]:
        """How each of ``user_ids`` receives ``event``: their own choice, else the
        org-wide default (NOTIF_05); users who receive nothing are left out.  A
        choice for ``activity_logged:<type>`` wins over one for ``activity_logged``."""
        names = [event, event.split(":", 1)[0]] if ":" in event else [event]
        on_event = ("event", "in", names) if len(names) > 1 else ("event", "=", event)
        subs = self.list([("user_id", "in", user_ids), on_event])
        mine: dict[str, str] = {}
        for sub in sorted(subs, key=lambda s: s.event != event):  # the specific choice first
            mine.setdefault(sub.user_id, sub.delivery)
        default = self.default(event)
        out = {uid: mine.get(uid, default) for uid in user_ids}
        return {uid: d for uid, d in out.items() if d != OFF}

    # --------------------------------------------------------- org defaults
    def default(self, event: str) -> str:
        """The org-wide default delivery of ``event`` (NOTIF_05): ``off`` unless an
        administrator set one; ``activity_logged:<type>`` falls back to ``activity_logged``."""
        event = self._events(event)[0]
        names = [event, event.split(":", 1)[0]] if ":" in event else [event]
        for name in names:
            value = self.kit.config.setting(NOTIFICATION_DEFAULT_PREFIX + name)
            if value is not None:
                return value
        return OFF

    def defaults(self) -> dict[str, str]:
        """The org-wide default delivery of every event that has one set (NOTIF_05)."""
        prefix = NOTIFICATION_DEFAULT_PREFIX
        rows = self.kit.store.query(self.kit.bind("setting", _q([("key", "starts with", prefix)], sort=["key"])))
        return {r.key[len(prefix) :]: r.value for r in rows if r.value is not None}

    def set_default(self, events: str | Sequence[str], delivery: str) -> None:
        """Set the org-wide default delivery of events (NOTIF_05): ``realtime``,
        ``daily``, ``weekly`` or ``off``.  A user who made their own choice for an
        event keeps it; the others receive the event this way.  Administrators
        only: the host or an active full user (SEC_02)."""
        wanted = self._events(events)
        if delivery not in NOTIFICATION_CHOICES:
            raise RuleViolation(
                "NOTIF_05", f"a default delivery is one of {', '.join(NOTIFICATION_CHOICES)}", value=delivery
            )
        if not self.kit.access.actor_is_full():
            raise AccessDenied(
                "only the host or a full user sets org-wide defaults", rule="SEC_02", value=self.kit.actor_id
            )
        with self.kit.transaction():
            for event in wanted:
                self.kit.config.set_setting(NOTIFICATION_DEFAULT_PREFIX + event, delivery)

    def _events(self, events: Any) -> list[str]:
        """The event names asked for, each once: one name or a list of names (SEC_05);
        ``activity_logged:<type>`` names a registered activity type."""
        wanted = [events] if isinstance(events, str) else list_of("notifications", "events", events, str, "event names")
        types = self.kit.activity_types
        bad = [
            e
            for e in wanted
            if e not in EVENTS and not (e.startswith(ACTIVITY_EVENT + ":") and e.split(":", 1)[1] in types)
        ]
        if bad or not wanted:
            raise ValidationError(f"events are among {', '.join(EVENTS)}", value=bad[0] if bad else events)
        return list(dict.fromkeys(wanted))

    def plan_assigned(self, old: SuccessPlan | None, new: SuccessPlan) -> None:
        """The ``plan_assigned`` event when a plan gets a new owner (NOTIF_01)."""
        require_type("plan_assigned", "old", old, (SuccessPlan, type(None)), "a success plan or None")
        require_type("plan_assigned", "new", new, SuccessPlan, "a success plan")
        if old is None or old.owner_id != new.owner_id:
            self.emit("plan_assigned", new.owner_id, new, f"Success plan {new.name!r} was assigned to you")

    def plan_due_date_changed(self, old: SuccessPlan, new: SuccessPlan) -> None:
        """Only while the plan is in an active-category status (NOTIF_01); the owner hears of it."""
        require_type("plan_due_date_changed", "old", old, SuccessPlan, "a success plan")
        require_type("plan_due_date_changed", "new", new, SuccessPlan, "a success plan")
        if old.due_date == new.due_date or self.kit.statuses.get("plan", new.status).category != "active":
            return
        self.emit(
            "plan_due_date_changed",
            new.owner_id,
            new,
            f"The due date of success plan {new.name!r} changed",
            f"from {old.due_date} to {new.due_date}",
        )

    def work_assigned(self, old: Objective | Cta | None, new: Objective | Cta) -> None:
        """A CTA or objective got a user as owner (NOTIF_01)."""
        require_type("work_assigned", "old", old, (Objective, Cta, type(None)), "an objective, a CTA or None")
        require_type("work_assigned", "new", new, (Objective, Cta), "an objective or a CTA")
        if old is None or (old.owner_id, old.owner_kind) != (new.owner_id, new.owner_kind):
            self.work_created([new])

    def work_created(self, items: Sequence[Objective | Cta] | None) -> None:
        """New CTAs or objectives with user owners (NOTIF_01), in two queries however many."""
        work = list_of("work_created", "items", items, (Objective, Cta), "objectives and CTAs")
        self.emit_many(
            "cta_assigned",
            [
                (
                    i.owner_id,
                    i,
                    f"{'Objective' if isinstance(i, Objective) else 'CTA'} {i.name!r} was assigned to you",
                    "",
                )
                for i in work
                if i.owner_kind == "user"
            ],
        )

    # ---------------------------------------------------------------- delivery
    def deliver(self, notification: Notification) -> None:
        """Hand a notification to every notifier plugin, one by one.

        A notifier that raises is logged and skipped; the others still run,
        and the change that caused the notification stays committed.
        """
        require_type("deliver", "notification", notification, Notification, "a Notification")
        hook = self.kit.plugins.hook.successkit_deliver
        args = {"notification": notification, "kit": self.kit}
        for impl in reversed(hook.get_hookimpls()):
            try:
                impl.function(*[args[name] for name in impl.argnames])
            except Exception:
                log.exception(
                    "notifier %s failed to deliver %s to user %s",
                    impl.plugin_name,
                    notification.event,
                    notification.recipient.id,
                )

    def send_digests(self) -> list[Notification]:
        """Send the digests that are due by the kit's clock and forget their items.

        Daily digests hold the items from before today; weekly digests those
        from before this week (weeks start on Monday).  One digest per user
        and delivery; items are removed in one transaction and delivered
        after it commits, so a digest goes out at most once.
        """
        now = self.kit.now()
        today = datetime.combine(now.date(), time(0), tzinfo=now.tzinfo)
        bounds = {"daily": today, "weekly": today - timedelta(days=now.weekday())}
        sent: list[Notification] = []
        # SEC_04: processes sending at the same moment take turns, and each reads
        # only after the one before it has committed the removal of what it sent.
        with self.kit.store.exclusive("successkit.send_digests"), self.kit.transaction():
            items: list[DigestItem] = []
            for delivery, before in bounds.items():
                items.extend(
                    self.kit.store.query(
                        self.kit.bind(
                            "digest_item",
                            _q([("delivery", "=", delivery), ("created_at", "<", before)], sort=["created_at", "id"]),
                        )
                    )
                )
            if not items:
                return []
            users = {u.id: u for u in self.kit.store.get_many("user", sorted({i.user_id for i in items}))}
            groups: dict[tuple[str, str], list[DigestItem]] = {}
            for item in items:
                groups.setdefault((item.user_id, item.delivery), []).append(item)
            for (uid, delivery), group in groups.items():
                user = users.get(uid)
                if user is None or not user.active or not user.licensed:
                    continue
                parts = tuple(
                    Notification(
                        i.event,
                        user,
                        i.title,
                        i.message,
                        delivery,
                        i.record_kind,
                        i.record_id,
                        i.actor_id,
                        i.created_at,
                    )
                    for i in group
                )
                sent.append(
                    Notification(
                        DIGEST,
                        user,
                        f"Your {delivery} digest: {len(parts)} notification{'s' if len(parts) != 1 else ''}",
                        "\n".join(p.title for p in parts),
                        delivery,
                        at=now,
                        items=parts,
                    )
                )
            self.kit.store.delete_many("digest_item", [i.id for i in items])
            for note in sent:
                self.kit.after_commit(partial(self.deliver, note))
        return sent

    def pending(self, user: User | str | None = None) -> list[DigestItem]:
        """Digest items waiting to be sent (all, or one user's), oldest first."""
        where = [] if user is None else [("user_id", "=", self.kit.users.id_of(user))]
        return list(self.kit.store.query(self.kit.bind("digest_item", _q(where, sort=["created_at", "id"]))))


def _emitted(events: Any) -> list[tuple[str | None, Record, str, str]]:
    """``emit_many``'s events, each checked: (recipient id or None, record, title, message) (SEC_05)."""
    out = []
    for e in list_of("emit_many", "events", events, (tuple, list), "(recipient id, record, title, message)"):
        if len(e) != 4:
            raise ValidationError("emit_many events are (recipient id, record, title, message)", rule="SEC_05", value=e)
        recipient, record, title, message = e
        if recipient is not None and not (isinstance(recipient, str) and recipient and plain_text(recipient)):
            raise ValidationError("notification recipient_id must be a user id or None", rule="SEC_05", value=recipient)
        require_type("notification", "record", record, Record, "a record")
        require_type("notification", "title", title, str, "text")
        require_type("notification", "message", message, str, "text")
        out.append((recipient, record, title, message))
    return out


def _q(where: list[Any], sort: Any = None) -> Query:
    return Query(conditions=where, sort=sort)
