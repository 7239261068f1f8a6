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

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import attrs

from .errors import AccessDenied, NotFound, ValidationError
from .records import Activity, Cta, Objective, Person, Share, SuccessPlan, Task, User

if TYPE_CHECKING:
    from .kit import Kit

__all__ = ["ACTIONS", "SHARE_LICENSES", "VIEW_LICENSES", "AccessService", "GuardedStore", "ShareAccess"]

#: What a principal may ask to do with an object.
ACTIONS = ("view", "change")
#: Licenses that may see plans, objectives and tasks (and receive a share link, SHARE_01).
VIEW_LICENSES = ("full", "viewer", "viewer_analytics")
SHARE_LICENSES = VIEW_LICENSES
#: Licenses that may change them.
CHANGE_LICENSES = ("full",)
#: Kinds whose services check every change in detail (plan work, timeline, shares), and
#: records written as consequences of checked changes or for the user themself.
_CHECKED_BY_SERVICES = frozenset({"plan", "objective", "task", "cta", "activity", "share", "goal_history",
                                  "digest_item", "subscription"})
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

    def shares_of(self, person: Person) -> list[Share]:
        if person.id not in self.person_shares:
            self.person_shares[person.id] = self.kit.sharing._of_person(person.id)
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

    def visible(self, principal: Any, objs: Iterable[T]) -> list[T]:
        """The objects of ``objs`` the principal may view, in order.

        The same decision as :meth:`can`, with the records it needs fetched in
        one query for the whole batch instead of one per object.
        """
        items = list(objs)
        ctx = _Context(self.kit)
        ctx.objectives.update({o.id: o for o in items if isinstance(o, Objective)})
        ctx.prefetch(items)
        return [o for o in items if _decide(ctx, principal, "view", o)]

    def check_actor_kinds(self, kinds: Iterable[str]) -> None:
        """Refuse writes to records of ``kinds`` outside the work items unless the
        acting user has a full license: companies, people, goals, configuration,
        templates, playbooks, rules... (SHARE_04; the work items' own checks are
        finer and live in their services)."""
        guarded = sorted(set(kinds) - _CHECKED_BY_SERVICES)
        actor_id = self.kit.actor_id
        if not guarded or actor_id is None:
            return
        try:
            actor = self.kit.users.get(actor_id)
        except NotFound:
            raise AccessDenied("the acting user does not exist", rule="SHARE_04", value=actor_id) from None
        if not (actor.active and actor.licensed and actor.license in CHANGE_LICENSES):
            raise AccessDenied(f"{_who(actor)} may not change {guarded[0].replace('_', ' ')} records", rule="SHARE_04",
                               value=actor.name)

    def check_actor(self, action: str, obj: Any) -> None:
        """Refuse ``action`` on ``obj`` unless the kit's acting user may do it.

        A kit with no acting user is the host application itself and is
        trusted; a kit opened ``as_user`` acts with that user's rights.
        """
        actor_id = self.kit.actor_id
        if actor_id is None:
            return
        try:
            actor = self.kit.users.get(actor_id)
        except NotFound:
            raise AccessDenied("the acting user does not exist", rule="SHARE_04", value=actor_id) from None
        if not self.can(actor, action, obj):
            raise AccessDenied(f"{_who(actor)} may not {action} this {_kind(obj)}", rule="SHARE_04",
                               value=actor.name)


# --------------------------------------------------------------------- the decision
def _decide(ctx: _Context, principal: Any, action: str, obj: Any) -> bool:
    if not isinstance(obj, (SuccessPlan, Objective, Task, Activity, Cta)):
        return False
    if isinstance(principal, User):
        return _user_may(principal, action, obj)
    if action != "view" or isinstance(obj, Cta):
        return False  # nobody outside the team changes anything
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
    if not ctx.kit.sharing._is_live(share):
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
    every write is first checked with :meth:`AccessService.check_actor_kinds`,
    so no service can forget the license matrix."""

    def __init__(self, kit: Kit, store: Any) -> None:
        object.__setattr__(self, "_kit", kit)
        object.__setattr__(self, "_store", store)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._store, name, value)

    def insert(self, record: Any) -> Any:
        self._kit.access.check_actor_kinds([record.__kind__])
        return self._store.insert(record)

    def insert_many(self, records: Sequence[Any]) -> None:
        self._kit.access.check_actor_kinds({r.__kind__ for r in records})
        self._store.insert_many(records)

    def update(self, record: Any, expected_version: int) -> Any:
        self._kit.access.check_actor_kinds([record.__kind__])
        return self._store.update(record, expected_version)

    def update_many(self, items: Sequence[tuple[Any, int]]) -> None:
        self._kit.access.check_actor_kinds({r.__kind__ for r, _ in items})
        self._store.update_many(items)

    def delete(self, kind: str, id: str) -> None:
        self._kit.access.check_actor_kinds([kind])
        self._store.delete(kind, id)

    def delete_many(self, kind: str, ids: Sequence[str]) -> int:
        self._kit.access.check_actor_kinds([kind])
        count: int = self._store.delete_many(kind, ids)
        return count
