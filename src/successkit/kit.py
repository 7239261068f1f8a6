"""The Kit: one handle on a store, the plugins, the clock and the acting user."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import date, datetime
from functools import cached_property
from typing import Any, cast

import attrs
import pluggy

from successkit.admin.statuses import StatusRegistry
from successkit.engagement.timeline import ActivityTypes
from successkit.plugins import make_plugin_manager
from successkit.query.bind import BoundGroup, BoundQuery, bind, bind_group
from successkit.query.language import Query
from successkit.query.schema import FieldType, schema_of
from successkit.records import RECORD_CLASSES, CustomField, Record, User
from successkit.storage.base import Store
from successkit.storage.registry import StorageRegistry

from .clock import Clock, to_clock
from .errors import AccessDenied, QueryError, ValidationError

__all__ = ["Kit", "open"]


@attrs.define(eq=False)
class _Core:
    """State shared by a kit and its ``as_user`` views."""

    store: Store
    plugins: pluggy.PluginManager
    statuses: StatusRegistry
    clock: Clock
    activity_types: ActivityTypes = attrs.field(factory=lambda: ActivityTypes())
    custom: dict[str, dict[str, CustomField]] = attrs.field(factory=dict)
    cache: dict[str, Any] = attrs.field(factory=dict)


class Kit:
    """Everything successkit does, reached through services such as ``kit.companies``."""

    def __init__(self, core: _Core, actor: str | None = None) -> None:
        self._core = core
        self.actor_id = actor

    # -------------------------------------------------------------- the basics
    @property
    def store(self) -> Store:
        """The storage; for a kit acting as a user, writes are checked against
        that user's license first (SHARE_04)."""
        return self._core.store if self.actor_id is None else self._guarded_store

    @cached_property
    def _guarded_store(self) -> Store:
        return cast(Store, GuardedStore(self, self._core.store))

    @property
    def plugins(self) -> pluggy.PluginManager:
        """The plugin manager this kit was opened with."""
        return self._core.plugins

    @property
    def statuses(self) -> StatusRegistry:
        """Every status the kit knows, built-in and from plugins."""
        return self._core.statuses

    @property
    def activity_types(self) -> ActivityTypes:
        """Timeline activity types: the built-ins and those plugins registered (TL_01)."""
        return self._core.activity_types

    def now(self) -> datetime:
        """The kit clock's current moment (timezone-aware)."""
        return self._core.clock()

    def today(self) -> date:
        """The kit clock's current date."""
        return self.now().date()

    def as_user(self, user: User | str) -> Kit:
        """The same kit acting as ``user``: every write is checked against that
        user's rights (SEC_02).  The user must exist; the host (trusted) kit is
        the kit opened without an actor, never ``as_user(None)``."""
        if isinstance(user, User):
            actor = user.id
        elif isinstance(user, str) and user:
            actor = user
        else:
            raise ValidationError("as_user takes a user or a user id; the host kit is the kit itself",
                                  rule="SEC_02", value=user)
        if not self._core.store.get_many("user", [actor]):
            raise AccessDenied("the acting user does not exist", rule="SEC_02", value=actor)
        return Kit(self._core, actor)

    @property
    def actor(self) -> User | None:
        """The acting user, or None for the host application itself."""
        return None if self.actor_id is None else self.users.get(self.actor_id)

    @contextmanager
    def transaction(self) -> Iterator[Kit]:
        """All writes in the block commit together or not at all (STORE_03).

        Callbacks queued with :meth:`after_commit` belong to the store's
        transaction (SEC_08): they run once the calling thread's outermost
        transaction has committed, however it was opened, and are dropped if it
        (or the nested block that queued them) rolls back.
        """
        try:
            with self._core.store.transaction():
                yield self
        except BaseException:
            self._core.cache.clear()  # cached configuration may hold what the rollback undid
            self._core.custom.clear()
            raise

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` after the calling thread's transaction commits (now, if none is open)."""
        self._core.store.after_commit(callback)

    def close(self) -> None:
        """Release the storage (connections, files); the kit is unusable afterwards."""
        self.store.close()

    def __enter__(self) -> Kit:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ----------------------------------------------------------------- queries
    def custom_field_decls(self, kind: str, *, refresh: bool = False) -> dict[str, CustomField]:
        """Declared custom fields of a record kind, by name (cached per kit; the
        caller gets its own copies, never the cache: SEC_06)."""
        copy = schema_of(CustomField).copy
        return {n: copy(d) for n, d in self._custom_decls(kind, refresh=refresh).items()}

    def _custom_decls(self, kind: str, *, refresh: bool = False) -> dict[str, CustomField]:
        """The cached declarations: shared, so never handed out."""
        if not isinstance(kind, str):
            raise ValidationError("a record kind is the name of a kind (text)", rule="SEC_05", value=kind)
        cache = self._core.custom
        if kind == CustomField.__kind__:
            return {}  # declarations have no custom fields of their own
        decls = None if refresh else cache.get(kind)
        if decls is None:  # read once: another thread's rollback may clear the cache meanwhile (SEC_08)
            decls = cache[kind] = self.custom_fields.declared(kind)
        return decls

    def custom_field_types(self, kind: str, *, refresh: bool = False) -> dict[str, FieldType]:
        """The storage types of a kind's declared custom fields, by name."""
        return {n: FIELD_TYPES[d.type] for n, d in self._custom_decls(kind, refresh=refresh).items()}

    def bind(self, kind: str, query: Query, *, extra: Mapping[str, FieldType] | None = None) -> BoundQuery:
        """Check a query against a record kind, resolving relative dates with the clock.
        ``extra`` names computed fields the caller adds to the records (goal progress)."""
        schema = self.store.schema(kind)
        try:
            return bind(query, schema, {**self.custom_field_types(kind), **(extra or {})}, self.now())
        except QueryError:
            return bind(query, schema, {**self.custom_field_types(kind, refresh=True), **(extra or {})}, self.now())

    def bind_group(self, kind: str, group: Any, *, extra: Mapping[str, FieldType] | None = None) -> BoundGroup:
        """Check a grouping against a record kind's schema and custom fields (and ``extra`` ones)."""
        schema = self.store.schema(kind)
        try:
            return bind_group(group, schema, {**self.custom_field_types(kind), **(extra or {})})
        except QueryError:
            return bind_group(group, schema, {**self.custom_field_types(kind, refresh=True), **(extra or {})})

    # ---------------------------------------------------------------- services
    @cached_property
    def companies(self) -> CompanyService:
        return CompanyService(self)

    @cached_property
    def relationship_types(self) -> RelationshipTypeService:
        return RelationshipTypeService(self)

    @cached_property
    def relationships(self) -> RelationshipService:
        return RelationshipService(self)

    @cached_property
    def users(self) -> UserService:
        return UserService(self)

    @cached_property
    def people(self) -> PersonService:
        return PersonService(self)

    @cached_property
    def custom_fields(self) -> CustomFieldService:
        return CustomFieldService(self)

    @cached_property
    def config(self) -> ConfigService:
        return ConfigService(self)

    @cached_property
    def plans(self) -> PlanService:
        return PlanService(self)

    @cached_property
    def objectives(self) -> ObjectiveService:
        return ObjectiveService(self)

    @cached_property
    def ctas(self) -> CtaService:
        return CtaService(self)

    @cached_property
    def tasks(self) -> TaskService:
        return TaskService(self)

    @cached_property
    def playbooks(self) -> PlaybookService:
        return PlaybookService(self)

    @cached_property
    def plan_templates(self) -> PlanTemplateService:
        return PlanTemplateService(self)

    @cached_property
    def access(self) -> AccessService:
        return AccessService(self)

    @cached_property
    def timeline(self) -> TimelineService:
        return TimelineService(self)

    @cached_property
    def sharing(self) -> SharingService:
        return SharingService(self)

    @cached_property
    def notifications(self) -> NotificationService:
        return NotificationService(self)

    @cached_property
    def goals(self) -> GoalService:
        return GoalService(self)

    @cached_property
    def goal_templates(self) -> GoalTemplateService:
        return GoalTemplateService(self)

    @cached_property
    def goal_links(self) -> GoalLinkService:
        return GoalLinkService(self)

    @cached_property
    def goal_history(self) -> GoalHistoryService:
        return GoalHistoryService(self)

    @cached_property
    def c360(self) -> Customer360Service:
        return Customer360Service(self)

    @cached_property
    def rules(self) -> RuleService:
        return RuleService(self)

    @cached_property
    def bundles(self) -> BundleService:
        return BundleService(self)

    def record(self, kind: str, id: str) -> Record:
        """Any record by kind and id."""
        record: Record = self.store.get(kind, id)
        return record


def open(
    url: str | None = None,
    *,
    clock: Clock | datetime | date | None = None,
    actor: User | str | None = None,
    plugins: Iterable[Any] = (),
    entry_points: bool = True,
) -> Kit:
    """Open a kit on ``url``: ``memory://`` (the default), ``sqlite:///file.db``,
    ``sqlite:////abs/file.db`` or any scheme a plugin registers.

    ``clock`` is a callable returning an aware datetime (or a fixed datetime or
    date); ``actor`` is the acting user; ``plugins`` are registered for this kit
    only, beside the built-ins and the installed entry points.
    """
    if url is not None and not isinstance(url, str):
        raise ValidationError("the storage URL must be a string", value=url)
    pm = make_plugin_manager(plugins, entry_points=entry_points)
    storage = StorageRegistry()
    pm.hook.successkit_register_storage(register=storage.register)
    statuses = StatusRegistry()
    pm.hook.successkit_register_statuses(register=statuses.register)
    activity_types = ActivityTypes()
    pm.hook.successkit_register_activity_types(register=activity_types.register)
    store = storage.open(url or "memory://", RECORD_CLASSES)
    core = _Core(store=store, plugins=pm, statuses=statuses, clock=to_clock(clock), activity_types=activity_types)
    kit = Kit(core)
    defaults: list[tuple[str, dict[str, Any]]] = []
    pm.hook.successkit_register_defaults(register=lambda kind, **values: defaults.append((kind, values)))
    kit.config.seed(defaults)
    kit.custom_fields.index_all()  # custom-field indexes another process declared or dropped
    if actor is None:
        return kit
    try:
        return kit.as_user(actor)  # an unknown actor is refused like as_user's (SEC_02)
    except BaseException:
        store.close()
        raise


from successkit.accounts.companies import CompanyService, RelationshipService, RelationshipTypeService  # noqa: E402
from successkit.accounts.custom_fields import FIELD_TYPES, CustomFieldService  # noqa: E402
from successkit.accounts.people import PersonService, UserService  # noqa: E402
from successkit.admin.config import ConfigService  # noqa: E402
from successkit.automation.bundles import BundleService  # noqa: E402
from successkit.automation.rules import RuleService  # noqa: E402
from successkit.engagement.access import AccessService, GuardedStore  # noqa: E402
from successkit.engagement.notifications import NotificationService  # noqa: E402
from successkit.engagement.sharing import SharingService  # noqa: E402
from successkit.engagement.timeline import TimelineService  # noqa: E402
from successkit.goals.goals import GoalHistoryService, GoalLinkService, GoalService  # noqa: E402
from successkit.goals.library import GoalTemplateService  # noqa: E402
from successkit.plans.ctas import CtaService  # noqa: E402
from successkit.plans.objectives import ObjectiveService  # noqa: E402
from successkit.plans.plans import PlanService  # noqa: E402
from successkit.plans.playbooks import PlaybookService  # noqa: E402
from successkit.plans.tasks import TaskService  # noqa: E402
from successkit.plans.templates import PlanTemplateService  # noqa: E402
from successkit.views.c360 import Customer360Service  # noqa: E402
