"""Who may see or change what (SHARE_04, TL_06): one decision function.

``kit.access.can(principal, action, obj)`` answers for every principal the
library knows:

- a :class:`~successkit.records.User`, by license (the matrix in
  ``docs/sharing.md``);
- a :class:`~successkit.records.Person` (an external contact), only through
  an active share of a plan to them;
- a :class:`ShareAccess`, the holder of one opened share link, only what
  that share grants.

Reads through a share and changes made by an acting user go through the same
function, so the answer cannot differ between the two paths.  Anything the
function does not know is refused: deny by default.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any, TypeVar

import attrs

from successkit.errors import AccessDenied, NotFound, ValidationError
from successkit.records import Activity, Cta, Objective, Person, Share, SuccessPlan, Task, User
from successkit.records.checks import as_list, list_of, require_type

if TYPE_CHECKING:
    from successkit.kit import Kit

__all__ = ["ACTIONS", "SHARE_LICENSES", "VIEW_LICENSES", "AccessService", "GuardedStore", "ShareAccess"]

#: What a principal may ask to do with an object.
ACTIONS = ("view", "change")
#: Licenses that may see plans, objectives and tasks (and receive a share link, SHARE_01).
VIEW_LICENSES = ("full", "viewer", "viewer_analytics")
SHARE_LICENSES = VIEW_LICENSES
#: Licenses that may change them.
CHANGE_LICENSES = ("full",)
#: Kinds whose services check every change in detail (plan work, timeline, shares), and
#: records a user keeps for themself.  Everything else takes a full license to write.
_CHECKED_BY_SERVICES = frozenset(
    {"plan", "objective", "task", "cta", "activity", "share", "digest_item", "subscription"}
)
#: Work items: written by whoever the license matrix lets change them (SEC_02).
_WORK_KINDS = frozenset({"plan", "objective", "task", "cta", "activity"})
#: A user's own records (their subscriptions and waiting digest items); a full user writes anyone's.
_OWN_KINDS = frozenset({"subscription", "digest_item"})
#: Activity levels an internal collaborator may see and log (they have no access to plans).
_COLLABORATOR_LEVELS = ("company", "relationship")

T = TypeVar("T")


@attrs.frozen
class ShareAccess:
    """The holder of an opened share link: sees what that one share grants, nothing else."""

    share: Share

    @property
    def external(self) -> bool:
        """Whether the link went to an external contact (no timeline for them, TL_06)."""
        return self.share.audience == "person"


Principal = User | Person | ShareAccess


class _Context:
    """Records the decision needs beyond the object itself, fetched once per call."""

    def __init__(self, kit: Kit) -> None:
        self.kit = kit
        self.objectives: dict[str, Objective | None] = {}
        self.users: dict[str, User | None] = {}
        self.person_shares: dict[str, list[Share]] = {}
        self.plans: dict[str, SuccessPlan | None] = {}
        self.shares: dict[str, Share | None] = {}
        self.refusals: dict[str, str | None] = {}

    def objective(self, id: str) -> Objective | None:
        if id not in self.objectives:
            found = self.kit.store.get_many("objective", [id])
            self.objectives[id] = found[0] if found else None
        return self.objectives[id]

    def user(self, id: str | None) -> User | None:
        if id is None:
            return None
        if id not in self.users:
            found = self.kit.store.get_many("user", [id])
            self.users[id] = found[0] if found else None
        return self.users[id]

    def plan(self, id: str) -> SuccessPlan | None:
        if id not in self.plans:
            found = self.kit.store.get_many("plan", [id])
            self.plans[id] = found[0] if found else None
        return self.plans[id]

    def refusal(self, share: Share) -> str | None:
        """Why ``share`` opens nothing now, or None when it is open (SEC_03).

        Decided on the stored share, read again: a principal opened before a
        revoke holds the share as it was then."""
        if share.id not in self.refusals:
            if share.id not in self.shares:
                found = self.kit.store.get_many("share", [share.id])
                self.shares[share.id] = found[0] if found else None
            stored = self.shares[share.id]
            self.refusals[share.id] = "the share no longer exists" if stored is None else _share_refusal(self, stored)
        return self.refusals[share.id]

    def shares_of(self, person: Person) -> list[Share]:
        if person.id not in self.person_shares:
            self.person_shares[person.id] = live_shares_of_person(self.kit, person.id)
        return self.person_shares[person.id]

    def prefetch(self, objs: Sequence[Any]) -> None:
        """One query for every objective the tasks and activities in ``objs`` need."""
        parents = {o.parent_id for o in objs if isinstance(o, Task) and o.parent_kind == "objective"}
        parents |= {o.objective_id for o in objs if isinstance(o, Activity) and o.objective_id}
        wanted = sorted(parents - set(self.objectives))
        if wanted:
            found = {o.id: o for o in self.kit.store.get_many("objective", wanted)}
            self.objectives.update({i: found.get(i) for i in wanted})


class AccessService:
    """``kit.access``: may this principal see or change this object?"""

    def __init__(self, kit: Kit) -> None:
        self.kit = kit

    def can(self, principal: Any, action: str, obj: Any) -> bool:
        """Whether ``principal`` may ``action`` ("view" or "change") ``obj``.

        ``obj`` is a plan, objective, task, cockpit CTA or timeline activity;
        anything else is refused.  See ``docs/sharing.md`` for the matrix.
        """
        _check_action(action)
        return _decide(_Context(self.kit), principal, action, obj)

    def require(self, principal: Any, action: str, obj: Any) -> None:
        """Raise :class:`AccessDenied` unless :meth:`can` says yes."""
        if not self.can(principal, action, obj):
            raise AccessDenied(f"{_who(principal)} may not {action} this {_kind(obj)}", rule="SHARE_04")

    def visible(self, principal: Any, objs: Iterable[T] | None, *, fresh: Sequence[Share] = ()) -> list[T]:
        """The objects of ``objs`` the principal may view, in order.

        The same decision as :meth:`can`, with the records it needs fetched in
        one query for the whole batch instead of one per object.  ``fresh`` are
        shares the caller has just read from the store in this transaction:
        they are used as they are instead of being read again.
        """
        items = as_list("visible", "objs", objs)
        fresh = list_of("visible", "fresh", fresh, Share, "a share")
        ctx = _Context(self.kit)
        ctx.shares.update({s.id: s for s in fresh})
        ctx.objectives.update({o.id: o for o in items if isinstance(o, Objective)})
        ctx.plans.update({o.id: o for o in items if isinstance(o, SuccessPlan)})
        ctx.prefetch(items)
        return [o for o in items if _decide(ctx, principal, "view", o)]

    def share_refusal(self, share: Share) -> str | None:
        """Why a share opens nothing right now (revoked, expired, plan gone, sharing
        turned off for the plan's type, the user may no longer view plans), or
        None when it is open.  Every read through a share asks this (SEC_03)."""
        require_type("share_refusal", "share", share, Share, "a share record")
        return _Context(self.kit).refusal(share)

    def check_actor_kinds(self, kinds: Iterable[str]) -> None:
        """Refuse writes to records of ``kinds`` outside the work items unless the
        acting user has a full license: companies, people, goals, configuration,
        templates, playbooks, rules... (SHARE_04; the work items' own checks are
        finer and live in their services)."""
        guarded = sorted(
            set(list_of("check_actor_kinds", "kinds", kinds, str, "record kind names")) - _CHECKED_BY_SERVICES
        )
        actor_id = self.kit.actor_id
        if not guarded or actor_id is None:
            return
        actor = self._acting_user("SHARE_04")
        if not _is_full(actor):
            raise AccessDenied(
                f"{_who(actor)} may not change {guarded[0].replace('_', ' ')} records",
                rule="SHARE_04",
                value=actor.name,
            )

    def check_writes(self, records: Sequence[Any]) -> None:
        """Refuse writing ``records`` (new ones, or the stored versions being
        replaced or deleted) unless the acting user may change each (SEC_02):
        work items by the license matrix, a share if they may change its plan,
        subscriptions and digest items only their own unless they are full users.
        Other kinds are :meth:`check_actor_kinds`' (a full license)."""
        if self.kit.actor_id is None:
            return
        mine = [r for r in records if getattr(type(r), "__kind__", None) in _CHECKED_BY_SERVICES]
        if not mine:
            return
        actor = self._acting_user("SEC_02")
        full = _is_full(actor)
        ctx = _Context(self.kit)
        for r in mine:
            kind = r.__kind__
            if kind in _WORK_KINDS:
                ok = _user_may(actor, "change", r)
            elif kind == "share":
                plan = ctx.plan(r.plan_id)
                ok = plan is not None and _user_may(actor, "change", plan)
            else:
                ok = full or r.user_id == actor.id
            if not ok:
                raise AccessDenied(
                    f"{_who(actor)} may not write this {kind.replace('_', ' ')}", rule="SEC_02", value=r.id
                )

    def actor_is_full(self) -> bool:
        """Whether the kit acts for the host or for an active, licensed full user;
        an acting user who does not exist is refused (SEC_02)."""
        return self.kit.actor_id is None or _is_full(self._acting_user("SEC_02"))

    def _acting_user(self, rule: str) -> User:
        """The acting user's record; one that does not exist (any more) acts for nobody."""
        try:
            return self.kit.users.get(str(self.kit.actor_id))
        except NotFound:
            raise AccessDenied("the acting user does not exist", rule=rule, value=self.kit.actor_id) from None

    def check_actor(self, action: str, obj: Any) -> None:
        """Refuse ``action`` on ``obj`` unless the kit's acting user may do it.

        A kit with no acting user is the host application itself and is
        trusted; a kit opened ``as_user`` acts with that user's rights.
        """
        actor_id = self.kit.actor_id
        if actor_id is None:
            return
        actor = self._acting_user("SHARE_04")
        if not self.can(actor, action, obj):
            raise AccessDenied(f"{_who(actor)} may not {action} this {_kind(obj)}", rule="SHARE_04", value=actor.name)


# --------------------------------------------------------------------- the decision
def _decide(ctx: _Context, principal: Any, action: str, obj: Any) -> bool:
    if not isinstance(obj, (SuccessPlan, Objective, Task, Activity, Cta)):
        return False
    if isinstance(principal, User):
        return _user_may(principal, action, obj)
    if action != "view" or isinstance(obj, Cta):
        # outside the team, only a link with change rights changes anything: its holder's own work (PORTAL_02)
        return action == "change" and isinstance(principal, ShareAccess) and _share_changes(ctx, principal.share, obj)
    if isinstance(principal, ShareAccess):
        share = principal.share
        if share.audience == "user":
            user = ctx.user(share.user_id)
            if user is None or not _user_may(user, "view", obj):
                return False
        return _share_shows(ctx, share, obj)
    if isinstance(principal, Person):
        return any(_share_shows(ctx, s, obj) for s in ctx.shares_of(principal))
    return False


def _user_may(user: User, action: str, obj: Any) -> bool:
    """The license matrix of internal users."""
    if not user.active or not user.licensed:
        return False
    if user.license == "internal_collaborator":
        return isinstance(obj, Activity) and obj.level in _COLLABORATOR_LEVELS
    licenses = VIEW_LICENSES if action == "view" else CHANGE_LICENSES
    return user.license in licenses


def _share_shows(ctx: _Context, share: Share, obj: Any) -> bool:
    """What one share lets its holder see: the plan, its shared objectives and
    their tasks; plan- and objective-level activities only for internal users."""
    if ctx.refusal(share) is not None:
        return False
    if isinstance(obj, SuccessPlan):
        return obj.id == share.plan_id
    if isinstance(obj, Objective):
        return _objective_shown(share, obj)
    if isinstance(obj, Task):
        if obj.plan_id != share.plan_id or obj.parent_kind != "objective":
            return False
        parent = ctx.objective(obj.parent_id)
        return parent is not None and _objective_shown(share, parent)
    if isinstance(obj, Activity):
        if share.audience == "person" or obj.draft or obj.plan_id != share.plan_id:
            return False  # TL_06: external people see no timeline
        if obj.level == "plan":
            return True
        parent = ctx.objective(obj.objective_id) if obj.objective_id else None
        return obj.level == "objective" and parent is not None and _objective_shown(share, parent)
    return False


def _share_changes(ctx: _Context, share: Share, obj: Any) -> bool:
    """What a link with change rights lets its holder change (PORTAL_02): a task it
    shows that the holder owns (marking it done), and a new comment it logs as
    themself on the plan or an objective it shows.  An internal user's link still
    needs that user to see the object."""
    if not share.can_change or not isinstance(obj, (Task, Activity)):
        return False
    holder = ("user", share.user_id) if share.audience == "user" else ("person", share.person_id)
    if share.audience == "user":
        user = ctx.user(share.user_id)
        if user is None or not _user_may(user, "view", obj):
            return False
    if isinstance(obj, Task):
        return (obj.owner_kind, obj.owner_id) == holder and _share_shows(ctx, share, obj)
    if obj.draft or obj.level not in ("plan", "objective") or obj.plan_id != share.plan_id:
        return False
    if ctx.refusal(share) is not None:
        return False
    if share.audience == "user":
        mine = obj.author_id == share.user_id
    else:  # an external contact logs as nobody of the team, with themself as the participant
        mine = obj.author_id is None and obj.participant_person_ids == (share.person_id,)
    if not mine:
        return False
    if obj.level == "plan":
        return True
    parent = ctx.objective(obj.objective_id) if obj.objective_id else None
    return parent is not None and _objective_shown(share, parent)


def _is_full(user: User) -> bool:
    """An active, licensed user with a full license: may change anything the matrix covers."""
    return user.active and user.licensed and user.license in CHANGE_LICENSES


def _share_refusal(ctx: _Context, share: Share) -> str | None:
    """The one decision on a share itself (SHARE_02, SHARE_05, SHARE_01 via SEC_03)."""
    if share.revoked_at is not None:
        return "revoked"
    if share.expires_on is not None and ctx.kit.today() > share.expires_on:
        return "expired"
    plan = ctx.plan(share.plan_id)
    if plan is None:
        return "the plan no longer exists"
    if not _sharing_enabled(ctx.kit, plan):
        return "sharing is turned off for the plan's type"
    if share.audience == "user":
        user = ctx.user(share.user_id)
        if user is None or not _user_may(user, "view", plan):
            return "the user may no longer view plans"
    return None


def _sharing_enabled(kit: Kit, plan: SuccessPlan) -> bool:
    """Whether the plan's type allows sharing; a type since removed or deactivated does not."""
    try:
        return bool(kit.config.plan_type(plan.plan_type).sharing_enabled)
    except ValidationError:
        return False


def _objective_shown(share: Share, objective: Objective) -> bool:
    """SHARE_03: sharing disabled hides it; SHARE_05: external contacts see external ones only."""
    if objective.plan_id != share.plan_id or not objective.sharing_enabled:
        return False
    return objective.external or share.audience != "person"


def _check_action(action: Any) -> None:
    if action not in ACTIONS:
        raise ValidationError(f"action is one of {', '.join(ACTIONS)}", value=action)


def _who(principal: Any) -> str:
    if isinstance(principal, User):
        return f"user {principal.name!r} ({principal.license} license)"
    if isinstance(principal, Person):
        return "an external contact"
    if isinstance(principal, ShareAccess):
        return "a share link"
    return "this principal"


def _kind(obj: Any) -> str:
    return str(getattr(obj, "__kind__", type(obj).__name__))


class GuardedStore:
    """The store as a kit acting for a user sees it: reads pass through, and
    every write is first checked against that user's rights, whatever its kind
    (:meth:`AccessService.check_actor_kinds`, :meth:`AccessService.check_writes`),
    so neither a service nor a caller writing to ``kit.store`` can skip the
    license matrix (SEC_02).  No attribute leads to the backend: the kit and the
    backend sit in name-mangled slots, every underscore attribute is refused,
    and the backend's methods are handed out wrapped (never bound to it)."""

    __slots__ = ("__kit", "__store")

    def __init__(self, kit: Kit, store: Any) -> None:
        object.__setattr__(self, "_GuardedStore__kit", kit)
        object.__setattr__(self, "_GuardedStore__store", store)

    def __getattribute__(self, name: str) -> Any:
        if name.startswith("_") and name not in _OPEN_DUNDERS:
            raise AttributeError(f"an acting user's store does not expose {name!r} (SEC_02)")
        return object.__getattribute__(self, name)

    def __getattr__(self, name: str) -> Any:  # what the backend has and this class does not define
        if name.startswith("_"):
            raise AttributeError(f"an acting user's store does not expose {name!r} (SEC_02)")
        value = getattr(_inner(self), name)
        return _forward(value) if callable(value) else value

    def __setattr__(self, name: str, value: Any) -> None:
        raise AccessDenied("an acting user's store cannot be reconfigured", rule="SEC_02", value=name)

    def __delattr__(self, name: str) -> None:
        raise AccessDenied("an acting user's store cannot be reconfigured", rule="SEC_02", value=name)

    def __reduce_ex__(self, protocol: Any) -> Any:
        raise TypeError("an acting user's store cannot be copied or pickled (SEC_02)")

    def insert(self, record: Any) -> Any:
        _check_guarded(self, [record])
        return _inner(self).insert(record)

    def insert_many(self, records: Sequence[Any]) -> None:
        _check_guarded(self, list(records))
        _inner(self).insert_many(records)

    def update(self, record: Any, expected_version: int) -> Any:
        _check_guarded(self, [record], replacing=True)
        return _inner(self).update(record, expected_version)

    def update_many(self, items: Sequence[tuple[Any, int]], *, fields: Sequence[str] | None = None) -> None:
        try:
            records = [r for r, _ in items]
        except (TypeError, ValueError):
            raise ValidationError("update_many takes (record, expected version) pairs", value=items) from None
        _check_guarded(self, records, replacing=True)
        _inner(self).update_many(items, fields=fields)

    def delete(self, kind: str, id: str) -> None:
        _check_guarded_delete(self, kind, [id])
        _inner(self).delete(kind, id)

    def delete_many(self, kind: str, ids: Sequence[str]) -> int:
        _check_guarded_delete(self, kind, ids)
        count: int = _inner(self).delete_many(kind, ids)
        return count

    def index_custom_fields(self, fields: Mapping[str, Mapping[str, Any]]) -> None:
        """Custom-field indexes change the database for everyone: only a full user
        (who may declare custom fields) changes them (SEC_02)."""
        _slot(self, "_GuardedStore__kit").access.check_actor_kinds(["custom_field"])
        _inner(self).index_custom_fields(fields)


#: Special attributes a guarded store answers (none of them leads to the backend).
_OPEN_DUNDERS = frozenset({"__class__", "__doc__"})
_slot = object.__getattribute__


def _inner(guarded: GuardedStore) -> Any:
    return _slot(guarded, "_GuardedStore__store")


def _forward(method: Callable[..., Any]) -> Callable[..., Any]:
    """A backend method as a plain function, so no ``__self__`` leads to the backend."""

    def call(*args: Any, **kwargs: Any) -> Any:
        return method(*args, **kwargs)

    call.__name__ = getattr(method, "__name__", "call")
    call.__doc__ = getattr(method, "__doc__", None)
    return call


def _check_guarded(guarded: GuardedStore, records: Sequence[Any], replacing: bool = False) -> None:
    access = _slot(guarded, "_GuardedStore__kit").access
    access.check_actor_kinds({_kind_of(r) for r in records})
    stored: list[Any] = []
    if replacing:  # the stored versions are checked too: what a record was matters as much
        by_kind: dict[str, list[str]] = {}
        for r in records:
            if _kind_of(r) in _CHECKED_BY_SERVICES:
                by_kind.setdefault(_kind_of(r), []).append(r.id)
        for kind, ids in by_kind.items():
            stored.extend(_inner(guarded).get_many(kind, ids))
    access.check_writes([*records, *stored])
    actor = _slot(guarded, "_GuardedStore__kit").actor_id
    kept = {r.id: r.author_id for r in stored if _kind_of(r) == "activity"}
    for r in records:  # an acting user logs as themselves; an edit keeps the author it had
        if _kind_of(r) == "activity" and r.author_id != actor and kept.get(r.id, actor) != r.author_id:
            raise AccessDenied(
                "an acting user cannot log an activity as another author", rule="SEC_02", value=r.author_id
            )


def _check_guarded_delete(guarded: GuardedStore, kind: str, ids: Sequence[str]) -> None:
    access = _slot(guarded, "_GuardedStore__kit").access
    access.check_actor_kinds([kind])
    if kind in _CHECKED_BY_SERVICES:
        access.check_writes(_inner(guarded).get_many(kind, list(ids)))


def _kind_of(record: Any) -> str:
    """A record's kind; an object of no known kind counts as one only a full user writes."""
    kind = getattr(type(record), "__kind__", None)
    return kind if isinstance(kind, str) else "unknown"


def share_is_live(share: Share, today: date) -> bool:
    """Not revoked and not past its expiry date (SHARE_02, SHARE_05)."""
    return share.revoked_at is None and (share.expires_on is None or today <= share.expires_on)


def live_shares_of_person(kit: Kit, person_id: str) -> list[Share]:
    """The shares of an external contact that are neither revoked nor expired."""
    today = kit.today()
    return [s for s in kit.sharing.list([("person_id", "=", person_id)]) if share_is_live(s, today)]
