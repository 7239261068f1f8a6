"""Sharing success plans by link and by email (SHARE_01-SHARE_05, TL_06).

A share holds the SHA-256 of an unguessable token, never the token: whoever
reads the store cannot open a plan.  The token is handed out once, when the
share is made; the host puts it in a link or an email.  Everything a token
opens is decided by :mod:`successkit.engagement.access`, and every failure to open, for
whatever reason, is the same :class:`~successkit.errors.AccessDenied`, so a
guessed, revoked, expired or misdirected token learns nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import string
import unicodedata
from collections.abc import Mapping
from datetime import date, datetime
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import attrs

from successkit.accounts.people import check_email
from successkit.errors import AccessDenied, RuleViolation, ValidationError
from successkit.outcome import Notice, Outcome
from successkit.plans.invariants import check_open_plan, evolve
from successkit.records import Activity, Objective, Person, Share, SuccessPlan, Task, User
from successkit.records.checks import flag
from successkit.service import Service, save
from successkit.views.record_list import RecordList

from .access import SHARE_LICENSES, ShareAccess
from .timeline import TimelinePage

if TYPE_CHECKING:
    from successkit.kit import Kit

__all__ = ["ShareGrant", "SharedPlan", "SharingService", "hash_token"]

log = logging.getLogger(__name__)

#: Bytes of randomness in a token (``secrets.token_urlsafe``): 256 bits.
TOKEN_BYTES = 32
_MAX_TOKEN = 128
#: The characters of ``secrets.token_urlsafe``: anything else is no token of ours.
_TOKEN_CHARS = frozenset(string.ascii_letters + string.digits + "-_")
#: The longest comment a link's holder may leave (PORTAL_02).
MAX_COMMENT = 5000
_DENIED = "this share link opens nothing (unknown, revoked, expired or not for this plan)"


def hash_token(token: str) -> str:
    """The stored form of a token: its SHA-256, hex.  Text that cannot be UTF-8
    (a lone surrogate) hashes too, to a digest no share holds."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


@attrs.frozen
class ShareGrant:
    """A new share and its token: the only time the token is ever available."""

    share: Share
    token: str = attrs.field(repr=False)
    warnings: tuple[Notice, ...] = ()


@attrs.frozen
class SharedPlan:
    """What a share link shows: the plan, its visible objectives and their tasks.

    Records are frozen and ``tasks`` is a read-only mapping (objective id to
    tasks): a shared view can be read, never written back.
    """

    plan: SuccessPlan
    objectives: tuple[Objective, ...]
    tasks: Mapping[str, tuple[Task, ...]]
    audience: str
    expires_on: date | None
    #: The share itself (PORTAL_02: whether it may change, and whose tasks are the holder's).
    share: Share | None = attrs.field(default=None, eq=False, repr=False)

    @property
    def can_change(self) -> bool:
        """Whether the link lets its holder mark their own tasks done and comment (PORTAL_02)."""
        return self.share is not None and self.share.can_change

    def mine(self, task: Task) -> bool:
        """Whether ``task`` is owned by the link's holder (the user or contact it went to)."""
        s = self.share
        if s is None:
            return False
        holder = ("user", s.user_id) if s.audience == "user" else ("person", s.person_id)
        return (task.owner_kind, task.owner_id) == holder


class SharingService(Service[Share]):
    """``kit.sharing``: share plans, revoke shares, open shared plans, mark plans external."""

    record_class = Share

    # ------------------------------------------------------------------ share
    def share_with_user(
        self, plan: SuccessPlan | str, user: User | str, *, expires_on: date | None = None, can_change: bool = False
    ) -> ShareGrant:
        """Share a plan by link with an internal user whose license is full,
        viewer or viewer_analytics (SHARE_01); the plan type must allow sharing.
        ``can_change=True`` lets the holder mark their own tasks done and comment (PORTAL_02)."""
        with self.kit.transaction():
            target = self._shareable(plan)
            u = self.kit.users.get(user)
            if u.license not in SHARE_LICENSES:
                raise RuleViolation(
                    "SHARE_01",
                    f"a plan can be shared only with users whose license is "
                    f"{', '.join(SHARE_LICENSES)}; {u.name} has {u.license}",
                    value=u.name,
                )
            if not u.active or not u.licensed:
                raise RuleViolation(
                    "SHARE_01", "a plan cannot be shared with an inactive or unlicensed user", value=u.name
                )
            email = None if u.email is None else check_email(u.email, param="the user's email")
            return self._grant(target, "user", expires_on, can_change, user_id=u.id, email=email)

    def share_with_person(
        self, plan: SuccessPlan | str, person: Person | str, *, expires_on: date | None = None, can_change: bool = False
    ) -> ShareGrant:
        """Share a plan by email with an external contact of its company (SHARE_01).

        The contact sees the plan and its objectives that are marked external
        and have sharing enabled (SHARE_03, SHARE_05), never a timeline (TL_06).
        ``can_change=True`` lets them mark their own tasks done and comment (PORTAL_02).
        """
        with self.kit.transaction():
            target = self._shareable(plan)
            p = self.kit.people.get(person)
            if not p.email:
                raise ValidationError("an external contact needs an email address to receive a share", value=p.name)
            check_email(p.email, param="the contact's email")  # SEC_09: also one stored before it was checked
            if p.company_id not in (None, target.company_id):
                raise ValidationError("the contact belongs to another company than the plan", value=p.name)
            warnings: tuple[Notice, ...] = ()
            if not target.external:
                warnings = (
                    Notice(
                        "SHARE_05",
                        "the plan is not marked external: the contact sees none of its "
                        "objectives until they are marked external",
                        value=target.name,
                    ),
                )
            grant = self._grant(target, "person", expires_on, can_change, person_id=p.id, email=p.email)
        return attrs.evolve(grant, warnings=warnings)

    def _shareable(self, plan: SuccessPlan | str) -> SuccessPlan:
        target = self.kit.plans.get(plan)
        self.kit.access.check_actor("change", target)
        if not self.kit.config.plan_type(target.plan_type).sharing_enabled:
            raise RuleViolation(
                "SHARE_01", f"sharing is not enabled for plans of type {target.plan_type!r}", value=target.name
            )
        return target

    def _grant(
        self, plan: SuccessPlan, audience: str, expires_on: date | None, can_change: bool, **who: Any
    ) -> ShareGrant:
        if isinstance(expires_on, datetime):
            expires_on = expires_on.date()
        if expires_on is not None and (not isinstance(expires_on, date) or expires_on < self.kit.today()):
            raise ValidationError("a share expires on a date from today on", value=expires_on)
        token = secrets.token_urlsafe(TOKEN_BYTES)
        share = self._new(
            plan_id=plan.id,
            audience=audience,
            token_hash=hash_token(token),
            expires_on=expires_on,
            can_change=flag("share", "can_change", can_change),
            **who,
        )
        self.kit.store.insert(share)
        return ShareGrant(share, token)

    def revoke(self, share: Share | str) -> Share:
        """Revoke a share: its token opens nothing from now on (SHARE_02)."""
        with self.kit.transaction():
            current = self._current(share)
            self.kit.access.check_actor("change", self.kit.plans.get(current.plan_id))
            if current.revoked_at is not None:
                return current
            return self._save(current, {"revoked_at": self.kit.now(), "revoked_by": self.kit.actor_id})

    def of_plan(self, plan: SuccessPlan | str, *, include_revoked: bool = False) -> RecordList[Share]:
        """A plan's shares, oldest first (revoked ones on request)."""
        include_revoked = flag(self.kind, "include_revoked", include_revoked)
        where: list[Any] = [("plan_id", "=", self.kit.plans.id_of(plan))]
        if not include_revoked:
            where.append(("revoked_at", "is empty"))
        return self.list(where, sort=["created_at"])

    # ------------------------------------------------------------------- open
    def open(self, token: str, *, plan: SuccessPlan | str | None = None) -> SharedPlan:
        """The plan a token opens, read-only, with what the share may see.

        Every object passes :meth:`AccessService.visible` (SHARE_04).  A
        revoked, expired or unknown token, or one for another plan than
        ``plan``, raises the same :class:`AccessDenied` (SHARE_02, SHARE_05).
        """
        principal = ShareAccess(self._find(token, plan))
        share = principal.share
        plans = self.kit.store.get_many("plan", [share.plan_id])
        if not plans:
            raise AccessDenied(_DENIED, rule="SHARE_02")
        objectives = self.kit.objectives.list(
            [("plan_id", "=", share.plan_id)], sort=["start_date", "due_date", "position", "name"]
        )
        tasks = self.kit.tasks.list([("plan_id", "=", share.plan_id)], sort=["position", "start_date", "name"])
        # SEC_03: the same decision on the share itself, which _find has just read
        seen = self.kit.access.visible(principal, [plans[0], *objectives, *tasks], fresh=[share])
        if not seen or seen[0] is not plans[0]:
            log.info("share link refused: %s (share %s)", self.kit.access.share_refusal(share), share.id)
            raise AccessDenied(_DENIED, rule="SHARE_02")
        if principal.external:
            seen = [_for_customer(r) for r in seen]
        shown = tuple(o for o in seen if isinstance(o, Objective))
        by_parent: dict[str, list[Task]] = {o.id: [] for o in shown}
        for t in seen:
            if isinstance(t, Task) and t.parent_id in by_parent:
                by_parent[t.parent_id].append(t)
        return SharedPlan(
            seen[0],
            shown,
            MappingProxyType({k: tuple(v) for k, v in by_parent.items()}),
            share.audience,
            share.expires_on,
            share,
        )

    def timeline(self, token: str, *, limit: int = 50, after: str | None = None) -> TimelinePage:
        """The shared plan's timeline, published activities only, for an internal
        user's link; external contacts see no timeline at all (TL_06)."""
        principal = self.access(token)
        if principal.external:
            raise AccessDenied("external contacts a plan is shared with cannot see any timeline", rule="TL_06")
        page = self.kit.timeline.plan(principal.share.plan_id, limit=limit, after=after, drafts=False)
        shown = set(map(id, self.kit.access.visible(principal, page.activities)))
        return attrs.evolve(page, items=tuple(i for i in page.items if id(i.activity) in shown))

    def access(self, token: str, *, plan: SuccessPlan | str | None = None) -> ShareAccess:
        """The principal a live token stands for, or :class:`AccessDenied`.

        Live is :meth:`AccessService.share_refusal`'s answer, the decision every
        read through the principal makes again (SEC_03).
        """
        share = self._find(token, plan)
        reason = self.kit.access.share_refusal(share)
        if reason is not None:
            log.info("share link refused: %s (share %s)", reason, share.id)
            raise AccessDenied(_DENIED, rule="SHARE_02")
        return ShareAccess(share)

    def link_state(self, token: str) -> str:
        """What a link's page tells its holder (PORTAL_01): ``"open"``; ``"expired"`` or
        ``"revoked"``; ``"disabled"`` (the plan is gone, sharing is turned off for its
        type, the user may no longer view plans); ``"unknown"`` for anything that is no
        token of a share.  Only the holder of a real token, 256 random bits, learns why
        it opens nothing; a guess learns ``"unknown"``, as before (SHARE_02)."""
        try:
            share = self._find(token, None)
        except AccessDenied:
            return "unknown"
        reason = self.kit.access.share_refusal(share)
        return "open" if reason is None else reason if reason in ("expired", "revoked") else "disabled"

    def set_task_done(self, token: str, task: Task | str, done: bool = True) -> Task:
        """Mark a task done (its first closed-success status), or open again, through a
        link with change rights: only a task the link shows and its holder owns, as
        :meth:`AccessService.can` decides (PORTAL_02, SHARE_04).  Anything else,
        a task of another plan included, is the same :class:`AccessDenied`.  A task the
        team closed as not done (closed-lost, e.g. cancelled) stays so: a RuleViolation."""
        done = flag("task", "done", done)
        task_id = task.id if isinstance(task, Task) else task
        with self.kit.transaction():
            principal = self.access(token)
            found = self.kit.store.get_many("task", [task_id]) if isinstance(task_id, str) else []
            if not found or not self.kit.access.can(principal, "change", found[0]):
                raise AccessDenied("this link may not change this task", rule="PORTAL_02", value=task_id)
            current: Task = found[0]
            statuses = self.kit.statuses
            category = statuses.get("task", current.status).category
            if category == "closed_lost":  # the team closed it as not done: theirs to reopen
                raise RuleViolation(
                    "PORTAL_02",
                    "this task was closed by the team as not done; ask them to reopen it",
                    value=current.name,
                )
            if category == ("closed_success" if done else "open"):
                return current
            target = statuses.in_category("task", "closed_success")[0] if done else statuses.default("task").key
            changed: Task = self.kit.tasks.set_status(current, target)
            return changed

    def comment(self, token: str, text: str, *, objective: Objective | str | None = None) -> Activity:
        """Log a comment (a published ``note`` activity) on the shared plan, or on one of
        the objectives the link shows, through a link with change rights (PORTAL_02).
        An external contact is its participant, an internal user its author; the
        comment is checked by :meth:`AccessService.can` before anything is kept
        (SHARE_04).  External contacts still see no timeline (TL_06)."""
        if not isinstance(text, str) or not _readable(text) or len(text) > MAX_COMMENT:
            raise RuleViolation("PORTAL_02", f"a comment is 1 to {MAX_COMMENT} characters of text", value=text)
        objective_id = objective.id if isinstance(objective, Objective) else objective
        with self.kit.transaction():
            principal = self.access(token)
            share = principal.share
            if objective_id is not None:
                found = self.kit.store.get_many("objective", [objective_id]) if isinstance(objective_id, str) else []
                if not found or not self.kit.access.can(principal, "view", found[0]):
                    raise AccessDenied("this link may not comment here", rule="PORTAL_02", value=objective_id)
            if not share.can_change:
                raise AccessDenied("this link may not comment", rule="PORTAL_02")
            where: dict[str, Any] = {"objective": objective_id} if objective_id else {"plan": share.plan_id}
            if share.audience == "user":
                who: dict[str, Any] = {"author": share.user_id}
                by = ""
            else:
                who = {"participants": [share.person_id]}
                found_people = self.kit.store.get_many("person", [str(share.person_id)])
                by = f" from {found_people[0].name}" if found_people else ""
            subject = f"Comment{by} on the shared plan"
            activity = self.kit.timeline.log("note", subject, notes=text.strip(), **where, **who)
            if not self.kit.access.can(principal, "change", activity):  # rolled back with the transaction
                raise AccessDenied("this link may not comment here", rule="PORTAL_02")
            return activity

    def _find(self, token: str, plan: SuccessPlan | str | None) -> Share:
        """The share a token belongs to (live or not), or :class:`AccessDenied`."""
        if not isinstance(token, str) or not 16 <= len(token) <= _MAX_TOKEN or not _TOKEN_CHARS.issuperset(token):
            raise AccessDenied(_DENIED, rule="SHARE_02")  # not a token we hand out (SHARE_02): opens nothing
        digest = hash_token(token)
        found = self.list([("token_hash", "=", digest)], limit=1)
        share = found[0] if found else None
        reason = None
        if share is None or not hmac.compare_digest(share.token_hash, digest):
            reason = "unknown token"
        elif plan is not None and self.kit.plans.id_of(plan) != share.plan_id:
            reason = "token for another plan"
        if reason is not None or share is None:
            log.info("share link refused: %s%s", reason, f" (share {share.id})" if share else "")
            raise AccessDenied(_DENIED, rule="SHARE_02")
        return share

    # ---------------------------------------------------------------- external
    def set_plan_external(self, plan: SuccessPlan | str, external: bool = True) -> Outcome[SuccessPlan]:
        """Mark a plan external, which marks all its objectives external, or
        unmark it and them (SHARE_05).  Single objectives can then be taken
        out with :meth:`set_objective_external`."""
        external = flag("plan", "external", external)
        with self.kit.transaction():
            current = plan if isinstance(plan, SuccessPlan) else self.kit.plans.get(plan)
            check_open_plan(self.kit, current, what="changing what is external")
            new = save(self.kit, current, {"external": external})
            objectives = self.kit.objectives.list([("plan_id", "=", current.id), ("external", "!=", external)])
            updates = [(evolve(self.kit, o, external=external), o.version) for o in objectives]
            self.kit.store.update_many(updates)
        return Outcome(new, created=tuple(o for o, _ in updates), plan=new)

    def set_objective_external(self, objective: Objective | str, external: bool) -> Objective:
        """Take one objective out of (or back into) what external contacts see (SHARE_05)."""
        with self.kit.transaction():
            current = objective if isinstance(objective, Objective) else self.kit.objectives.get(objective)
            check_open_plan(self.kit, self.kit.plans.get(current.plan_id), what="changing what is external")
            return save(self.kit, current, {"external": flag("objective", "external", external)})


#: What an external contact's view leaves out: the team's internal notes, custom fields and
#: email drafts (the rest of each record is what the customer works on with the team).
_INTERNAL_ONLY: dict[type, dict[str, Any]] = {
    SuccessPlan: {"fields": {}},
    Objective: {"comments": None, "snooze_reason": None, "fields": {}},
    Task: {"email_subject": None, "email_body": None, "email_to": (), "fields": {}},
}


#: Characters that show nothing: controls, format characters (zero-width spaces, joiners,
#: direction marks) and separators.
_BLANK_CATEGORIES = frozenset({"Cc", "Cf", "Zs", "Zl", "Zp"})


def _readable(text: str) -> bool:
    """Whether ``text`` has something to read: a comment of spaces, zero-width spaces
    or direction marks only is as empty as no comment (PORTAL_02)."""
    return any(not c.isspace() and unicodedata.category(c) not in _BLANK_CATEGORIES for c in text)


def _for_customer(record: Any) -> Any:
    """``record`` without its internal-only fields, for a share to an external contact."""
    blank = _INTERNAL_ONLY.get(type(record))
    return attrs.evolve(record, **blank) if blank else record


def delete_shares_of_plan(kit: Kit, plan_id: str) -> None:
    """Delete the shares of a deleted plan: what deleting a plan cascades to."""
    kit.store.delete_many("share", [s.id for s in kit.sharing.list([("plan_id", "=", plan_id)])])
