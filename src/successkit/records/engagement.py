"""Records of engagement: timeline activities, shares, notification subscriptions
and digest items, and the overdue notices sent."""

from __future__ import annotations

from datetime import date, datetime

import attrs

from .base import Record, ref

#: The levels an activity is logged at (TL_01).
ACTIVITY_LEVELS = ("company", "relationship", "plan", "objective")


@attrs.frozen(kw_only=True)
class Activity(Record):
    """One timeline entry: a call, meeting, email, update, note... (TL_01).

    ``level`` says where it was logged; ``company_id`` is always set (the
    company timeline is one indexed query), the other ids down to the level.
    Participants are internal users and external people; the person list is
    a ``ref("person")`` so erasure finds it (PERSON_01).
    """

    __kind__ = "activity"
    __indexes__ = (
        ("company_id", "-occurred_at"),
        ("relationship_id", "-occurred_at"),
        ("plan_id", "-occurred_at"),
        ("objective_id", "-occurred_at"),
    )  # timelines: newest first

    type: str
    subject: str
    notes: str | None = None
    occurred_at: datetime
    author_id: str | None = ref("user")
    participant_user_ids: tuple[str, ...] = ref("user", default=())
    participant_person_ids: tuple[str, ...] = ref("person", default=())
    draft: bool = False
    published_at: datetime | None = None
    level: str
    company_id: str = ref("company", default=attrs.NOTHING)
    relationship_id: str | None = ref("relationship")
    plan_id: str | None = ref("plan")
    objective_id: str | None = ref("objective")


@attrs.frozen(kw_only=True)
class Share(Record):
    """A plan shared by link with an internal user or by email with an external
    contact (SHARE_01).  Only the SHA-256 of the token is stored (SHARE_02); the
    token itself is handed out once.  Erasing the person deletes the share.
    ``can_change``: the holder may mark their own tasks done and comment (PORTAL_02)."""

    __kind__ = "share"
    __indexes__ = (("plan_id",), ("person_id",), ("user_id",))
    __unique__ = (("token_hash",),)

    plan_id: str = ref("plan", default=attrs.NOTHING)
    audience: str
    user_id: str | None = ref("user")
    person_id: str | None = ref("person", on_erase="delete")
    email: str | None = None
    token_hash: str
    expires_on: date | None = None
    revoked_at: datetime | None = None
    revoked_by: str | None = ref("user")
    can_change: bool = False


@attrs.frozen(kw_only=True)
class Subscription(Record):
    """A user's choice to receive one event, and how: ``realtime``, ``daily`` or
    ``weekly`` digest (NOTIF_02, NOTIF_04)."""

    __kind__ = "subscription"
    __indexes__ = (("user_id", "event"),)
    __unique__ = (("user_id", "event"),)

    user_id: str = ref("user", default=attrs.NOTHING)
    event: str
    delivery: str = "realtime"


@attrs.frozen(kw_only=True)
class DigestItem(Record):
    """A notification waiting for its user's daily or weekly digest (NOTIF_04).

    Written in the same transaction as the change that caused it, so a
    rolled-back change leaves none behind (NOTIF_03).
    """

    __kind__ = "digest_item"
    __indexes__ = (("delivery", "created_at"), ("user_id",))

    user_id: str = ref("user", default=attrs.NOTHING)
    event: str
    delivery: str
    title: str
    message: str = ""
    record_kind: str | None = None
    record_id: str | None = None
    actor_id: str | None = ref("user")


@attrs.frozen(kw_only=True)
class OverdueNotice(Record):
    """That the owner of a CTA, objective or task was told it is overdue for
    ``due_date`` (NOTIF_05): each item is notified once per due date."""

    __kind__ = "overdue_notice"
    __indexes__ = (("record_id",),)
    __unique__ = (("record_kind", "record_id", "due_date"),)

    record_kind: str
    record_id: str
    due_date: date
